"""Shape manipulation (funcdiff/_src/numpy/shape.py, funcdiff/_src/lax/shape.py).

One table row per (function, arguments): `fn(m, *arrays)` is called with
`m = numpy` for the reference and `m = funcdiff.numpy` for funcdiff; `shapes`
are the shapes of the random float inputs. Each row is checked for exact
values (plain arrays, inside transforms and under `linearize`'s abstract
tracing), derivatives to second order in forward and reverse mode against
finite differences, float32 gradients, `linear_transpose`, `vmap` and `jit`.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.lax import shape as sp
from funcdiff.testing import check_grads
from funcdiff.tree import tree_flatten, tree_map


def row(name, fn, *shapes, linear=True):
    """`linear=False`: affine (a nonzero pad constant), so `linear_transpose` must refuse it."""
    return pytest.param(fn, shapes, linear, id=name)


ROWS = [
    # -- reshaping
    row("reshape-2x3-to-3x-1", lambda m, x: m.reshape(x, (3, -1)), (2, 3)),
    row("reshape-F", lambda m, x: m.reshape(x, (2, 3), order="F"), (6,)),
    row("reshape-F-3d", lambda m, x: m.reshape(x, (4, -1), order="F"), (2, 3, 4)),
    row("reshape-0d", lambda m, x: m.reshape(x, (1, 1)), ()),
    row("reshape-to-0d", lambda m, x: m.reshape(x, ()), (1,)),
    row("ravel", lambda m, x: m.ravel(x), (2, 3)),
    row("ravel-F", lambda m, x: m.ravel(x, order="F"), (2, 3)),
    row("ravel-0d", lambda m, x: m.ravel(x), ()),
    row("flatten", lambda m, x: fnp.flatten(x) if m is fnp else x.flatten(), (2, 3)),
    row("flatten-F", lambda m, x: fnp.flatten(x, "F") if m is fnp else x.flatten("F"), (3, 2)),
    row("squeeze", lambda m, x: m.squeeze(x), (1, 3, 1)),
    row("squeeze-neg-axis", lambda m, x: m.squeeze(x, axis=-1), (1, 3, 1)),
    row("squeeze-size1", lambda m, x: m.squeeze(x), (1,)),
    row("squeeze-0d", lambda m, x: m.squeeze(x), ()),
    row("expand_dims", lambda m, x: m.expand_dims(x, 0), (3,)),
    row("expand_dims-tuple", lambda m, x: m.expand_dims(x, (0, -1)), (3,)),
    row("expand_dims-0d", lambda m, x: m.expand_dims(x, 0), ()),
    row("expand_dims-neg", lambda m, x: m.expand_dims(x, -2), (2, 3)),
    # -- axes
    row("transpose", lambda m, x: m.transpose(x), (2, 3, 4)),
    row("transpose-axes", lambda m, x: m.transpose(x, (1, -1, 0)), (2, 3, 4)),
    row("transpose-0d", lambda m, x: m.transpose(x), ()),
    row("transpose-1d", lambda m, x: m.transpose(x), (3,)),
    row("permute_dims", lambda m, x: m.permute_dims(x, (2, 0, 1)), (2, 3, 4)),
    row("matrix_transpose", lambda m, x: m.matrix_transpose(x), (4, 2, 3)),
    row("swapaxes", lambda m, x: m.swapaxes(x, 0, -1), (2, 3, 4)),
    row("swapaxes-same", lambda m, x: m.swapaxes(x, 0, 0), (3,)),
    row("moveaxis", lambda m, x: m.moveaxis(x, 0, -1), (2, 3, 4)),
    row("moveaxis-multi", lambda m, x: m.moveaxis(x, [0, 1], [-1, 0]), (2, 3, 4)),
    row("rollaxis", lambda m, x: m.rollaxis(x, 2), (2, 3, 4)),
    row("rollaxis-start", lambda m, x: m.rollaxis(x, -1, 1), (2, 3, 4)),
    row("rollaxis-end", lambda m, x: m.rollaxis(x, 0, 3), (2, 3, 4)),
    row("atleast_1d-0d", lambda m, x: m.atleast_1d(x), ()),
    row("atleast_1d-many", lambda m, x, y: m.atleast_1d(x, y), (), (2, 3)),
    row("atleast_2d-0d", lambda m, x: m.atleast_2d(x), ()),
    row("atleast_2d-1d", lambda m, x, y: m.atleast_2d(x, y), (3,), (2, 3, 1)),
    row("atleast_3d-0d", lambda m, x: m.atleast_3d(x), ()),
    row("atleast_3d-1d", lambda m, x: m.atleast_3d(x), (3,)),
    row("atleast_3d-2d", lambda m, x, y: m.atleast_3d(x, y), (2, 3), (1, 2, 3, 4)),
    # -- broadcasting
    row("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3)), (3,)),
    row("broadcast_to-mid", lambda m, x: m.broadcast_to(x, (4, 2, 3)), (2, 1)),
    row("broadcast_to-0d", lambda m, x: m.broadcast_to(x, 2), ()),
    row("broadcast_arrays", lambda m, x, y: m.broadcast_arrays(x, y), (3,), (2, 1)),
    row("broadcast_arrays-0d", lambda m, x, y: m.broadcast_arrays(x, y), (), (2, 2)),
    # -- joining
    row("concatenate", lambda m, x, y: m.concatenate([x, y]), (2, 3), (1, 3)),
    row("concatenate-neg", lambda m, x, y: m.concatenate((x, y), axis=-1), (2, 3), (2, 1)),
    row("concatenate-None", lambda m, x, y: m.concatenate([x, y], axis=None), (2, 2), (3,)),
    row("concatenate-one", lambda m, x: m.concatenate([x]), (2, 2)),
    row("concatenate-empty", lambda m, x, y: m.concatenate([x, y]), (0, 2), (2, 2)),
    row("concat", lambda m, x, y: m.concat([x, y], axis=1), (2, 1), (2, 2)),
    row("stack", lambda m, x, y: m.stack([x, y]), (3,), (3,)),
    row("stack-neg", lambda m, x, y, z: m.stack([x, y, z], axis=-1), (2, 3), (2, 3), (2, 3)),
    row("stack-0d", lambda m, x, y: m.stack([x, y]), (), ()),
    row("unstack", lambda m, x: m.unstack(x, axis=1), (3, 2)),
    row("hstack-1d", lambda m, x, y: m.hstack([x, y]), (2,), (3,)),
    row("hstack-2d", lambda m, x, y: m.hstack([x, y]), (2, 2), (2, 1)),
    row("hstack-0d", lambda m, x, y: m.hstack([x, y]), (), ()),
    row("vstack-1d", lambda m, x, y: m.vstack([x, y]), (3,), (3,)),
    row("vstack-2d", lambda m, x, y: m.vstack([x, y]), (2, 3), (1, 3)),
    row("vstack-0d", lambda m, x, y: m.vstack([x, y]), (), ()),
    row("dstack-1d", lambda m, x, y: m.dstack([x, y]), (2,), (2,)),
    row("dstack-2d", lambda m, x, y: m.dstack([x, y]), (2, 3), (2, 3)),
    row("dstack-3d", lambda m, x, y: m.dstack([x, y]), (2, 3, 1), (2, 3, 2)),
    row("column_stack", lambda m, x, y: m.column_stack([x, y]), (3,), (3, 2)),
    row("column_stack-1d", lambda m, x, y: m.column_stack([x, y]), (3,), (3,)),
    # -- splitting
    row("split-sections", lambda m, x: m.split(x, 3), (6,)),
    row("split-indices", lambda m, x: m.split(x, [1, 4]), (6,)),
    row("split-axis", lambda m, x: m.split(x, 2, axis=-1), (4, 6)),
    row("split-unsorted", lambda m, x: m.split(x, [3, 1]), (5,)),
    row("split-negative", lambda m, x: m.split(x, [-2]), (5,)),
    row("array_split", lambda m, x: m.array_split(x, 3), (7,)),
    row("array_split-axis", lambda m, x: m.array_split(x, 4, axis=1), (3, 5)),
    row("hsplit", lambda m, x: m.hsplit(x, 2), (2, 4)),
    row("hsplit-1d", lambda m, x: m.hsplit(x, 2), (4,)),
    row("vsplit", lambda m, x: m.vsplit(x, [1]), (4, 2)),
    row("dsplit", lambda m, x: m.dsplit(x, 2), (2, 2, 4)),
    # -- repetition
    row("tile", lambda m, x: m.tile(x, 2), (3,)),
    row("tile-2d", lambda m, x: m.tile(x, (2, 1)), (2, 3)),
    row("tile-0d", lambda m, x: m.tile(x, (2, 2)), ()),
    row("tile-more-reps", lambda m, x: m.tile(x, (2, 1, 2)), (2,)),
    row("tile-ones", lambda m, x: m.tile(x, 1), (2, 3)),
    row("tile-fewer-reps", lambda m, x: m.tile(x, 2), (2, 3)),
    row("repeat", lambda m, x: m.repeat(x, 2), (3,)),
    row("repeat-axis", lambda m, x: m.repeat(x, 2, axis=1), (2, 3)),
    row("repeat-counts", lambda m, x: m.repeat(x, [1, 0, 2], axis=-1), (2, 3)),
    row("repeat-counts-flat", lambda m, x: m.repeat(x, [2, 1, 3, 1]), (2, 2)),
    row("repeat-None", lambda m, x: m.repeat(x, 3), (2, 3)),
    row("repeat-0d", lambda m, x: m.repeat(x, 3), ()),
    # -- padding
    row("pad-constant", lambda m, x: m.pad(x, 2), (3,)),
    row("pad-constant-value", lambda m, x: m.pad(x, ((1, 2), (0, 1)), constant_values=1.5),
        (2, 3), linear=False),
    row("pad-constant-pairs",
        lambda m, x: m.pad(x, [(1, 1), (2, 1)], constant_values=((1, 2), (3, 4))),
        (2, 3), linear=False),
    row("pad-edge", lambda m, x: m.pad(x, 2, mode="edge"), (2, 3)),
    row("pad-reflect", lambda m, x: m.pad(x, ((1, 2), (2, 1)), mode="reflect"), (3, 3)),
    row("pad-reflect-wide", lambda m, x: m.pad(x, (5, 7), mode="reflect"), (3,)),
    row("pad-symmetric", lambda m, x: m.pad(x, ((1, 4), (2, 0)), mode="symmetric"), (2, 3)),
    row("pad-wrap", lambda m, x: m.pad(x, (7, 2), mode="wrap"), (3,)),
    row("pad-0d", lambda m, x: m.pad(x, 1), ()),
    row("pad-traced-value", lambda m, x, c: m.pad(x, ((1, 0), (2, 1)), constant_values=c),
        (2, 3), (), linear=True),
    row("pad-traced-pairs", lambda m, x, c: m.pad(x, 1, constant_values=c), (2, 3), (2, 2)),
    row("pad-traced-pair", lambda m, x, c: m.pad(x, (1, 2), constant_values=c), (3,), (2,)),
    # -- rolling, flipping, rotating
    row("roll", lambda m, x: m.roll(x, 2), (5,)),
    row("roll-negative-big", lambda m, x: m.roll(x, -7), (5,)),
    row("roll-None-2d", lambda m, x: m.roll(x, 1), (2, 3)),
    row("roll-axes", lambda m, x: m.roll(x, (1, 2), axis=(0, 1)), (2, 3)),
    row("roll-same-axis", lambda m, x: m.roll(x, (1, 1), axis=(1, -1)), (2, 3)),
    row("roll-0d", lambda m, x: m.roll(x, 1), ()),
    row("flip", lambda m, x: m.flip(x), (2, 3)),
    row("flip-axis", lambda m, x: m.flip(x, 0), (2, 3)),
    row("flip-axes", lambda m, x: m.flip(x, (0, -1)), (2, 3, 2)),
    row("flip-0d", lambda m, x: m.flip(x), ()),
    row("fliplr", lambda m, x: m.fliplr(x), (2, 3)),
    row("flipud", lambda m, x: m.flipud(x), (3,)),
    row("rot90", lambda m, x: m.rot90(x), (2, 3)),
    row("rot90-k2", lambda m, x: m.rot90(x, 2), (2, 3)),
    row("rot90-k3", lambda m, x: m.rot90(x, 3), (2, 3)),
    row("rot90-k-1", lambda m, x: m.rot90(x, -1), (2, 3)),
    row("rot90-k0", lambda m, x: m.rot90(x, 0), (2, 3)),
    row("rot90-axes", lambda m, x: m.rot90(x, 1, axes=(2, 1)), (2, 3, 4)),
    # -- triangles and diagonals
    row("tril", lambda m, x: m.tril(x), (3, 4)),
    row("tril-k", lambda m, x: m.tril(x, -1), (4, 3)),
    row("tril-batch", lambda m, x: m.tril(x, 1), (2, 3, 3)),
    row("tril-1d", lambda m, x: m.tril(x), (3,)),
    row("triu", lambda m, x: m.triu(x), (3, 4)),
    row("triu-k", lambda m, x: m.triu(x, 2), (4, 3)),
    row("triu-batch", lambda m, x: m.triu(x, -1), (2, 3, 3)),
    row("diag-1d", lambda m, x: m.diag(x), (3,)),
    row("diag-1d-k", lambda m, x: m.diag(x, 2), (3,)),
    row("diag-1d-negk", lambda m, x: m.diag(x, -1), (3,)),
    row("diag-1d-size1", lambda m, x: m.diag(x, 1), (1,)),
    row("diag-2d", lambda m, x: m.diag(x), (3, 4)),
    row("diag-2d-k", lambda m, x: m.diag(x, 1), (3, 4)),
    row("diag-2d-negk", lambda m, x: m.diag(x, -2), (3, 4)),
    row("diagonal", lambda m, x: m.diagonal(x), (3, 4)),
    row("diagonal-offset", lambda m, x: m.diagonal(x, 1), (4, 3)),
    row("diagonal-axes", lambda m, x: m.diagonal(x, -1, 2, 0), (2, 3, 4)),
    row("diagonal-neg-axes", lambda m, x: m.diagonal(x, 1, -1, -2), (2, 3, 4)),
    row("diagonal-empty", lambda m, x: m.diagonal(x, 10), (3, 4)),
    row("diagflat", lambda m, x: m.diagflat(x, 1), (2, 2)),
    row("diagflat-1d", lambda m, x: m.diagflat(x, -1), (3,)),
    row("trace", lambda m, x: m.trace(x), (3, 4)),
    row("trace-axes", lambda m, x: m.trace(x, 1, 1, 2), (2, 3, 4)),
    row("copy", lambda m, x: m.copy(x), (2, 3)),
    # -- zero-size edge cases
    row("empty-tile", lambda m, x: m.tile(x, (0, 2)), (2,)),
    row("empty-repeat", lambda m, x: m.repeat(x, 0, axis=0), (2, 3)),
    row("empty-roll", lambda m, x: m.roll(x, 3, axis=0), (0, 2)),
    row("empty-split", lambda m, x: m.split(x, [0, 0, 5]), (3,)),
    row("empty-pad", lambda m, x: m.pad(x, ((0, 0), (1, 1)), mode="edge"), (0, 2)),
    row("empty-flip", lambda m, x: m.flip(x), (0, 3)),
    row("empty-diagonal", lambda m, x: m.diagonal(x), (0, 3)),
    row("empty-reshape", lambda m, x: m.reshape(x, (2, 0, 1)), (0, 2)),
    row("empty-stack", lambda m, x, y: m.stack([x, y], axis=1), (0,), (0,)),
]


def _inputs(shapes, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(s).astype(dtype) for s in shapes)


def _leaves(out):
    return tree_flatten(out)[0]


def _assert_same(got, want):
    """Same pytree structure, shapes, dtypes and values (exactly)."""
    gl, gt = tree_flatten(got)
    wl, wt = tree_flatten(want)
    assert gt == wt
    for g, w in zip(gl, wl):
        assert np.shape(g) == np.shape(w)
        assert np.result_type(g) == np.result_type(w)
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def _smooth(fn):
    """sin(fn(sin(args))): makes the derivative functions of a linear fn depend on the point."""
    return lambda *xs: tree_map(fnp.sin, fn(fnp, *[fnp.sin(x) for x in xs]))


PARAMS = "fn, shapes, linear"


@pytest.mark.parametrize(PARAMS, ROWS)
def test_values_plain(fn, shapes, linear):
    args = _inputs(shapes)
    got, want = fn(fnp, *args), fn(np, *args)
    _assert_same(got, want)
    for g, w in zip(_leaves(got), _leaves(want)):
        assert type(g) is type(w)


@pytest.mark.parametrize(PARAMS, ROWS)
def test_values_traced(fn, shapes, linear):
    args = _inputs(shapes)
    want = fn(np, *args)
    out, tangent = fd.jvp(lambda *xs: fn(fnp, *xs), args, tree_map(np.ones_like, args))
    _assert_same(out, want)
    out, _ = fd.vjp(lambda *xs: fn(fnp, *xs), *args)
    _assert_same(out, want)
    # abstract tracing (staging): shapes and dtypes only
    out, f_jvp = fd.linearize(lambda *xs: fn(fnp, *xs), *args)
    _assert_same(out, want)
    _assert_same(f_jvp(*tree_map(np.ones_like, args)), tangent)


@pytest.mark.parametrize(PARAMS, ROWS)
def test_grads(fn, shapes, linear):
    check_grads(_smooth(fn), _inputs(shapes), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize(PARAMS, ROWS)
def test_float32(fn, shapes, linear):
    args = _inputs(shapes, np.float32)
    want = fn(np, *args)
    out = fd.jvp(lambda *xs: fn(fnp, *xs), args, args)[0]
    _assert_same(out, want)

    def loss(*xs):
        return sum(fnp.sum(fnp.sin(o)) for o in _leaves(fn(fnp, *xs)))

    grads = fd.grad(loss, argnums=tuple(range(len(args))))(*args)
    for g, x in zip(grads, args):
        assert np.shape(g) == np.shape(x) and np.result_type(g) == np.float32


@pytest.mark.parametrize(PARAMS, ROWS)
def test_linear_transpose(fn, shapes, linear):
    args = _inputs(shapes)
    f = lambda *xs: fn(fnp, *xs)  # noqa: E731
    out, pullback = fd.vjp(f, *args)
    ct = tree_map(lambda o: np.random.default_rng(1).standard_normal(np.shape(o)), out)
    if not linear:
        with pytest.raises(TypeError, match="linear"):
            fd.linear_transpose(f, *args)
        return
    _assert_close(fd.linear_transpose(f, *args)(ct), pullback(ct))


def _assert_close(got, want):
    for g, w in zip(_leaves(got), _leaves(want)):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(PARAMS, ROWS)
def test_vmap(fn, shapes, linear):
    batch = [_inputs(shapes, seed=s) for s in range(3)]
    stacked = tuple(np.stack(xs) for xs in zip(*batch))
    got = fd.vmap(lambda *xs: fn(fnp, *xs))(*stacked)
    outs = [fn(np, *xs) for xs in batch]
    want = tree_map(lambda *ys: np.stack(ys), *outs)
    _assert_same(got, want)


@pytest.mark.parametrize(PARAMS, ROWS)
def test_jit(fn, shapes, linear):
    args = _inputs(shapes)
    _assert_same(fd.jit(lambda *xs: fn(fnp, *xs))(*args), fn(np, *args))


# -- primitives -------------------------------------------------------------------------
def test_static_slice_matches_python_slicing():
    x = np.arange(60.0).reshape(3, 4, 5)
    cases = [
        ((None, 1, -1), (None, None, None), (None, 2, -2)),
        ((2, -1, 0), (0, None, 5), (-1, 1, 1)),
        ((5, 10, None), (7, 2, None), (1, -1, -1)),
    ]
    for starts, stops, steps in cases:
        want = x[tuple(slice(a, b, c) for a, b, c in zip(starts, stops, steps))]
        np.testing.assert_array_equal(sp.static_slice(x, starts, stops, steps), want)
        f = lambda v, a=starts, b=stops, c=steps: fnp.sin(sp.static_slice(fnp.sin(v), a, b, c))  # noqa: E731
        check_grads(f, (x / 10,), order=2)


def test_slice_transpose_is_transpose_of_static_slice():
    x = np.random.default_rng(0).standard_normal((4, 5))
    f = lambda v: sp.static_slice(v, (3, 1), (None, None), (-2, 2))  # noqa: E731
    out, pullback = fd.vjp(f, x)
    ct = np.ones_like(out)
    want = np.zeros_like(x)
    want[3::-2, 1::2] = 1.0
    np.testing.assert_array_equal(pullback(ct)[0], want)


# -- NumPy dispatch, methods and errors ---------------------------------------------------
def test_numpy_functions_dispatch_on_tracers():
    x = np.arange(6.0)

    def f(v):
        a = np.reshape(v, (2, 3))
        b = np.concatenate([a, np.ones((1, 3))])
        c = np.pad(np.transpose(b), 1, mode="edge")
        return np.sum(np.stack([c, np.flip(c)]) ** 2)

    g = fd.grad(f)(x)
    assert g.shape == x.shape
    check_grads(f, (x,), order=1)


def test_tracer_methods():
    x = np.arange(12.0).reshape(3, 4) / 10

    def f(v):
        outs = [v.reshape(4, 3), v.reshape((2, 6)), v.T, v.mT, v.ravel(), v.flatten(),
                v[None].squeeze(),
                v.swapaxes(0, 1), v.transpose(), v.transpose(1, 0), v.diagonal(1),
                v.trace(), v.repeat(2, axis=0), v.copy()]
        return [fnp.sin(o) for o in outs]

    want = [np.sin(o) for o in (x.reshape(4, 3), x.reshape(2, 6), x.T, x.mT, x.ravel(),
                                x.flatten(), x.squeeze(), x.swapaxes(0, 1), x.transpose(),
                                x.transpose(1, 0), x.diagonal(1), x.trace(), x.repeat(2, 0),
                                x.copy())]
    out, _ = fd.vjp(f, x)
    _assert_same(out, want)
    check_grads(f, (x,), order=1)


@pytest.mark.parametrize(
    "call, err",
    [
        (lambda x: fnp.reshape(x, (4, 4)), ValueError),
        (lambda x: fnp.reshape(x, (-1, -1)), ValueError),
        (lambda x: fnp.squeeze(x, 0), ValueError),
        (lambda x: fnp.expand_dims(x, 5), np.exceptions.AxisError),
        (lambda x: fnp.transpose(x, (0, 0)), ValueError),
        (lambda x: fnp.moveaxis(x, 0, 3), np.exceptions.AxisError),
        (lambda x: fnp.concatenate([x, x[0]]), ValueError),
        (lambda x: fnp.concatenate([x, fnp.ones((2, 2))], axis=0), ValueError),
        (lambda x: fnp.concatenate([fnp.sum(x), fnp.sum(x)]), ValueError),
        (lambda x: fnp.concatenate([x, x], axis=2), np.exceptions.AxisError),
        (lambda x: fnp.concatenate([x, x], dtype=np.int64), TypeError),
        (lambda x: fnp.stack([x, fnp.ravel(x)]), ValueError),
        (lambda x: fnp.split(x, 4), ValueError),
        (lambda x: fnp.array_split(x, 0), ValueError),
        (lambda x: fnp.pad(x, -1), ValueError),
        (lambda x: fnp.pad(x, 1.5), TypeError),
        (lambda x: fnp.pad(x, 1, mode="bogus"), ValueError),
        (lambda x: fnp.pad(x, 1, mode="edge", foo=1), ValueError),
        (lambda x: fnp.pad(x, 1, mode="median"), NotImplementedError),
        (lambda x: fnp.pad(x, 1, mode="reflect", reflect_type="odd"), NotImplementedError),
        (lambda x: fnp.repeat(x, [1, 2]), ValueError),
        (lambda x: fnp.repeat(x, -1), ValueError),
        (lambda x: fnp.diagonal(x, 0, 0, 0), ValueError),
        (lambda x: fnp.diag(fnp.ones((2, 2, 2)) * fnp.sum(x)), ValueError),
        (lambda x: fnp.rot90(x, 1, (0, 0)), ValueError),
        (lambda x: fnp.fliplr(fnp.ravel(x)), ValueError),
        (lambda x: fnp.vsplit(fnp.ravel(x), 2), ValueError),
    ],
)
def test_errors_match_numpy(call, err):
    x = np.ones((2, 3))
    if err is not NotImplementedError:  # supported by NumPy, not inside transforms
        with pytest.raises(err):
            call(x)  # plain arrays: NumPy's own error
    with pytest.raises(err):
        fd.grad(lambda v: fnp.sum(call(v)))(x)


def test_out_argument_inside_transforms():
    with pytest.raises(TypeError, match="out="):
        fd.grad(lambda v: fnp.trace(v, out=np.zeros(())))(np.ones((2, 2)))


def test_pad_traced_constant_gradient():
    x = np.arange(6.0).reshape(2, 3)
    g = fd.grad(lambda c: fnp.sum(fnp.pad(x, ((1, 0), (0, 2)), constant_values=c)))(2.0)
    assert g == np.pad(np.zeros((2, 3)), ((1, 0), (0, 2)), constant_values=1.0).sum()


def test_pad_constant_values_sequence_of_tracers():
    x = np.arange(3.0)
    f = lambda a, b: fnp.pad(fnp.sin(x * a), (2, 1), constant_values=(a, b * b))  # noqa: E731
    out, _ = fd.vjp(f, 0.5, 3.0)
    np.testing.assert_array_equal(out, np.pad(np.sin(x * 0.5), (2, 1), constant_values=(0.5, 9.0)))
    check_grads(f, (0.5, 3.0), order=2)


def test_pad_traced_constant_overwrite_order():
    # corners take the value of the last axis, as in NumPy
    x = np.zeros((2, 2))
    c = np.array([[1.0, 2.0], [3.0, 4.0]])
    out, _ = fd.vjp(lambda cv: fnp.pad(x, 1, constant_values=cv), c)
    np.testing.assert_array_equal(out, np.pad(x, 1, constant_values=c))


def test_inf_and_nan_values_inside_transforms():
    x = np.array([[np.inf, np.nan], [1.0, -np.inf]])
    for name, f in [("tril", lambda m, v: m.tril(v)), ("triu", lambda m, v: m.triu(v, 1)),
                    ("pad", lambda m, v: m.pad(v, 1, constant_values=np.inf)),
                    ("diag", lambda m, v: m.diag(m.diagonal(v)))]:
        out, _ = fd.vjp(lambda v, f=f: f(fnp, v), x)
        np.testing.assert_array_equal(out, f(np, x), err_msg=name)


def test_integer_and_bool_inputs_inside_transforms():
    y = np.arange(6).reshape(2, 3)
    b = y > 2

    def f(v):
        assert fnp.tril(y).dtype == np.tril(y).dtype
        np.testing.assert_array_equal(fnp.concatenate([y, b]), np.concatenate([y, b]))
        np.testing.assert_array_equal(fnp.pad(b, 1), np.pad(b, 1))
        mixed = fnp.concatenate([fnp.ravel(v), y.ravel().astype(np.int8)])
        assert mixed.dtype == np.float32
        return fnp.sum(mixed * 2)

    g = fd.grad(f)(np.ones((2, 2), np.float32))
    assert g.dtype == np.float32 and np.all(g == 2)


def _calls(f):
    """The functions that `f()` enters, Python ("module.name") and C ("qualname"), in order:
    the work a call does, counted the same way on any machine (no clock)."""
    seen = []

    def profile(frame, event, arg):
        if event == "call":
            seen.append(f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}")
        elif event == "c_call":
            seen.append(getattr(arg, "__qualname__", repr(arg)))

    old = sys.getprofile()
    sys.setprofile(profile)
    try:
        f()
    finally:
        sys.setprofile(old)
    return seen[1:-1]  # without f itself and sys.setprofile


def test_reshape_of_a_plain_array_is_one_ndarray_call():
    """Outside transforms, fnp.reshape of an ndarray is the ndarray method itself: fewer
    calls than numpy.reshape (no array-function dispatch, no wrapper), and a view."""
    x = np.arange(6.0)
    got = _calls(lambda: fnp.reshape(x, (2, 3)))
    assert got == [f"{fnp.reshape.__module__}.reshape", "ndarray.reshape"], got
    assert len(got) < len(_calls(lambda: np.reshape(x, (2, 3))))
    y = fnp.reshape(x, (2, 3))
    assert type(y) is np.ndarray and y.base is x
    np.testing.assert_array_equal(y, np.reshape(x, (2, 3)))


BROADCASTS = [
    (np.float64(2.0), (2, 3)), (2.0, (3,)), (3, (2, 2)), (True, (2,)), (1 + 2j, (2,)),
    (np.arange(3.0), (2, 3)), (np.arange(3.0).reshape(3, 1), (2, 3, 4)),
    (np.ones((2, 3))[:, ::2], (4, 2, 2)), (np.arange(6).reshape(2, 3), (5, 2, 3)),
    (np.array(1.0), ()), (np.ones((0,)), (3, 0)), (np.ones((1, 0)), (2, 0)),
    (np.arange(3.0), (0, 3)), (np.array(["a"]), (3,)), (np.float32(1.5), (2, 1)),
]


@pytest.mark.parametrize("x, shape", BROADCASTS)
def test_broadcast_view_is_numpys(x, shape):
    """broadcast_to's direct view: the same shape, dtype, strides, values and read-only
    flag as numpy.broadcast_to, and the same errors."""
    got, want = sp.broadcast_to(x, shape), np.broadcast_to(x, shape)
    assert (got.shape, got.dtype, got.strides) == (want.shape, want.dtype, want.strides)
    assert not got.flags.writeable
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("x, shape", [(np.arange(3.0), (2, 4)), (np.ones((2, 3)), (3,)),
                                      (np.ones(3), (-1, 3))])
def test_broadcast_view_errors_are_numpys(x, shape):
    with pytest.raises(ValueError) as want:
        np.broadcast_to(x, shape)
    with pytest.raises(ValueError) as got:
        sp.broadcast_to(x, shape)
    assert str(got.value) == str(want.value)
