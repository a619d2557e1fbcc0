"""Indexing (funcdiff/_src/numpy/indexing.py, funcdiff/_src/lax/indexing.py).

`x[idx]` is checked on a table of NumPy indices: values and exact derivatives
(the tangent is `t[idx]`, the cotangent `np.add.at(zeros, idx, ct)`), central
finite differences to second order in forward and reverse mode, and `vmap`.
Every `.at` method is checked against a NumPy reference built on copies,
then the take/select family.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import rand

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.core import ShapedArray, new_main
from funcdiff._src.interpreters.staging import StagingTrace
from funcdiff._src.lax.indexing import Dyn, Index, IndexArray, gather, normalize_index
from funcdiff._src.numpy.indexing import _getitem
from funcdiff.errors import ConcretizationError, TracerLeakError
from funcdiff.testing import check_grads


def grads_ok(f, args, order=2):
    check_grads(f, args, order=order, modes=("fwd", "rev"))


SHAPE = (4, 5, 6)
M4 = np.array([True, False, True, True])
M5 = np.array([True, False, True, True, False])
M45 = np.random.default_rng(3).random((4, 5)) > 0.5

INDICES = {
    "int": 1,
    "neg-int": -1,
    "ints": (1, 2),
    "all-ints": (1, -1, 3),
    "slice": slice(1, 3),
    "reverse": slice(None, None, -1),
    "neg-step": slice(-2, None, -2),
    "step-from-end": (slice(None), slice(5, 0, -2)),
    "big-step": (Ellipsis, slice(1, None, 4)),
    "out-of-range-slice": slice(2, 100),
    "empty-slice": slice(3, 1),
    "ellipsis": (Ellipsis, 2),
    "ellipsis-alone": Ellipsis,
    "ellipsis-mid": (1, Ellipsis, slice(None, None, 2)),
    "newaxis": (None, 1),
    "newaxis-mid": (slice(None), None, 2, None),
    "ellipsis-newaxis": (Ellipsis, None),
    "empty-tuple": (),
    "np-int": np.int64(2),
    "0d-int-array": np.array(1),
    "int-array": [0, 0, 3],
    "neg-int-array": np.array([-1, -4, 2]),
    "2d-int-array": np.array([[0, 1], [3, 3]]),
    "two-arrays": ([0, 1, 1], [2, 2, 4]),
    "broadcast-arrays": (np.array([[0], [3]]), np.array([1, 1, 2])),
    "adjacent-adv": (slice(None), [0, 0, 4]),
    "adjacent-adv-after-slice": (slice(1, 3), [0, 0], [1, 5]),
    "separated-adv": ([0, 1], slice(None), [1, 1]),
    "int-array-separated": (1, slice(None), [0, 2]),
    "int-array-adjacent": (slice(None), 1, [0, 2]),
    "adv-newaxis-adv": ([0, 1], None, [2, 2]),
    "adv-neg-step": ([2, 2], slice(None, None, -2)),
    "empty-list": [],
    "ellipsis-array": (Ellipsis, [5, 0, 5]),
    "mask-1d": M4,
    "mask-2d": M45,
    "mask-mid": (slice(None), M5),
    "mask-and-array": (M4, slice(None), [1, 1, 0]),
    "mask-all-false": np.zeros(4, bool),
    "bool-scalar": True,
}
IDS = list(INDICES)


def _index(name):
    return INDICES[name]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", IDS)
def test_getitem_values_and_exact_derivatives(name, dtype):
    idx = _index(name)
    x, t = rand(SHAPE, dtype), rand(SHAPE, dtype, seed=1)
    want = x[idx]
    assert _getitem(x, idx) is not None
    np.testing.assert_array_equal(_getitem(x, idx), want)  # outside transforms
    out, tout = fd.jvp(lambda x: x[idx], (x,), (t,))
    assert np.shape(out) == want.shape and np.result_type(out) == dtype
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(tout, t[idx])
    out, pullback = fd.vjp(lambda x: x[idx], x)
    ct = rand(want.shape, dtype, seed=2)
    (got,) = pullback(ct)
    ref = np.zeros(SHAPE, dtype)
    np.add.at(ref, idx, ct)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref, rtol=1e-6)


@pytest.mark.parametrize("name", IDS)
def test_getitem_finite_differences(name):
    idx = _index(name)
    grads_ok(lambda x: fnp.sin(x[idx]) * x[idx], (rand(SHAPE),), order=2)


@pytest.mark.parametrize("name", IDS)
def test_getitem_vmap(name):
    idx = _index(name)
    xs = rand((3,) + SHAPE)
    want = np.stack([x[idx] for x in xs])
    np.testing.assert_array_equal(fd.vmap(lambda x: x[idx])(xs), want)
    moved = np.moveaxis(xs, 0, 2)
    np.testing.assert_array_equal(fd.vmap(lambda x: x[idx], in_axes=2)(moved), want)


def test_getitem_0d_and_1d():
    x = np.float64(3.0)
    assert fd.grad(lambda x: x[()] * x[None][0])(x) == 6.0
    assert fd.grad(lambda x: fnp.sum(x[..., None] ** 2))(x) == 6.0
    v = np.arange(4.0)
    np.testing.assert_array_equal(fd.grad(lambda v: v[-1] * v[0])(v), [3.0, 0, 0, 0])


def test_repeated_indices_accumulate_in_reverse_mode():
    g = fd.grad(lambda x: fnp.sum(x[[0, 0, 0, 2]]))(np.arange(4.0))
    np.testing.assert_array_equal(g, [3.0, 0.0, 1.0, 0.0])
    g = fd.grad(lambda x: fnp.sum(x[[1, 1], [2, 2]] * x[1, 2]))(np.ones((2, 3)))
    np.testing.assert_array_equal(g, [[0, 0, 0], [0, 0, 4.0]])


def test_index_arrays_and_masks_that_are_tracers():
    x = rand((5, 3))

    def f(x):
        i = fnp.argmax(x[:, 0]) if hasattr(fnp, "argmax") else int(np.argmax(x[:, 0]))
        return fnp.sum(x[x > 0] ** 2) + x[i, 1] + fnp.sum(x[fd.stop_gradient(x[:, 0]) > 0])

    xi = int(np.argmax(x[:, 0]))
    want = 2 * x * (x > 0)
    want[xi, 1] += 1
    want[x[:, 0] > 0] += 1
    np.testing.assert_allclose(fd.grad(f)(x), want)
    grads_ok(f, (x,))


def test_abstract_integer_index_arrays():
    """Inside staging (jit-like tracing) index arrays are abstract operands of gather."""
    x = rand((4, 5))
    i = np.array([[3, 0], [0, 0]])
    with new_main(StagingTrace, "test") as main:
        tx = main.trace.new_arg(ShapedArray(x.shape, x.dtype))
        ti = main.trace.new_arg(ShapedArray(i.shape, i.dtype))
        outs = [tx[ti], tx[1:, ti], tx[ti, ::-2], tx.at[ti, 1].add(1.0), tx.at[ti].set(2.0)]
        assert [o.shape for o in outs] == [(2, 2, 5), (3, 2, 2), (2, 2, 3), (4, 5), (4, 5)]
        program = main.trace.build([tx, ti], outs)
    assert "gather" in str(program)
    got = program(x, i)
    for g, w in zip(got, [x[i], x[1:, i], x[i, ::-2], fnp.at(x)[i, 1].add(1.0),
                          fnp.at(x)[i].set(2.0)]):
        np.testing.assert_array_equal(g, w)
    grads_ok(lambda x: program(x, i)[1] ** 2 + program(x, i)[3][1:, i] ** 2, (x,))


def test_abstract_mask_and_slice_bounds_raise():
    with new_main(StagingTrace, "test") as main:
        tx = main.trace.new_arg(ShapedArray((4,), np.float64))
        with pytest.raises(ConcretizationError, match="fnp.where"):
            tx[tx > 0]
        n = main.trace.new_arg(ShapedArray((), np.int64))
        with pytest.raises(ConcretizationError, match="slice"):
            tx[:n]
        with pytest.raises(ConcretizationError, match="nonzero"):
            fnp.nonzero(tx)


def test_vmap_batched_index_arrays():
    x = rand((4, 5, 6))
    idx = np.array([[0, 2, 2], [1, 1, 3]])
    cases = [
        lambda x, i: x[i],
        lambda x, i: x[:, i],
        lambda x, i: x[1, i],
        lambda x, i: x[i, 1:, i],
        lambda x, i: x[:, 1:, i],
        lambda x, i: x[..., i],
        lambda x, i: x[None, i, 2],
        lambda x, i: x[:, 0, i[:2]],
        lambda x, i: x[i, None, ::-1],
        lambda x, i: x[i[:, None], i],
    ]
    for f in cases:
        want = np.stack([f(x, i) for i in idx])
        # a plain array indexed by a batched index: fnp.at(x)[idx].get()
        got = fd.vmap(lambda i, f=f: fnp.at(x)[_idx_of(f, i)].get())(idx)
        np.testing.assert_array_equal(got, want)
        xs = np.stack([x, 2 * x])
        want2 = np.stack([f(xx, i) for xx, i in zip(xs, idx)])
        np.testing.assert_array_equal(fd.vmap(f)(xs, idx), want2)
        # scatter with batched indices: x.at[...] inside vmap
        want3 = np.stack([_ref_update("add", xx, _idx_of(f, i), 1.0) for xx, i in zip(xs, idx)])
        got3 = fd.vmap(lambda xx, i, f=f: fnp.at(xx)[_idx_of(f, i)].add(1.0))(xs, idx)
        np.testing.assert_array_equal(got3, want3)
    # gradients of per-example indexing
    g = fd.vmap(fd.grad(lambda x, i: fnp.sum(x[i, 1] ** 2)), in_axes=(None, 0))(x, idx)
    want = np.stack([fd.grad(lambda x, i=i: fnp.sum(x[i, 1] ** 2))(x) for i in idx])
    np.testing.assert_allclose(g, want)


class _Recorder:
    """`r[idx]` returns idx: recovers the index expression a case applies."""

    def __getitem__(self, idx):
        return idx


def _idx_of(f, i):
    return f(_Recorder(), i)


def test_vmap_jacobians():
    x = np.arange(5.0)
    np.testing.assert_array_equal(fd.jacrev(lambda x: x[[0, 0, 4]])(x), np.eye(5)[[0, 0, 4]])
    np.testing.assert_array_equal(fd.jacfwd(lambda x: x[::-2])(x), np.eye(5)[::-2])
    jac = fd.jacrev(lambda x: x.at[[1, 1]].set(x[3:]))(x)
    want = np.eye(5)
    want[1] = np.eye(5)[4]
    np.testing.assert_array_equal(jac, want)
    np.testing.assert_array_equal(fd.jacfwd(lambda x: x.at[[1, 1]].set(x[3:]))(x), want)


def test_linearize_and_linear_transpose():
    x = rand((4, 5))
    f = lambda x: x[[0, 0, 3], 1:] * 2.0  # noqa: E731
    y, f_jvp = fd.linearize(f, x)
    t = rand((4, 5), seed=4)
    np.testing.assert_array_equal(f_jvp(t), t[[0, 0, 3], 1:] * 2.0)
    (ct,) = fd.linear_transpose(f, x)(np.ones((3, 4)))
    ref = np.zeros((4, 5))
    np.add.at(ref, ([0, 0, 3], slice(1, None)), 2.0)
    np.testing.assert_array_equal(ct, ref)
    (ct,) = fd.linear_transpose(lambda x: x.at[[0, 0]].add(x[2:4]), x)(np.ones((4, 5)))
    np.testing.assert_array_equal(ct[:, 0], [1.0, 1.0, 2.0, 2.0])


def test_index_errors_are_numpys():
    x = rand((3, 4))
    for idx, err in [(5, IndexError), ((0, 0, 0), IndexError), ([0, 9], IndexError),
                     (1.5, IndexError), (np.array([0.5]), IndexError),
                     (np.ones(2, bool), IndexError), ((Ellipsis, Ellipsis), IndexError),
                     (slice(None, None, 0), ValueError)]:
        with pytest.raises(err):
            x[idx]
        with pytest.raises(err):
            fd.grad(lambda x, idx=idx: fnp.sum(x[idx]))(x)


def test_setitem_on_an_argument_raises_and_on_a_copy_works():
    def f(x):
        x[0] = 1.0
        return fnp.sum(x)

    with pytest.raises(ValueError, match=r"argument of the transformed function"):
        fd.grad(f)(np.ones(3))

    def g(x):
        x = x.copy()
        x[0] = 1.0
        return fnp.sum(x * x)

    np.testing.assert_array_equal(fd.grad(g)(np.ones(3)), [0.0, 2.0, 2.0])


def test_leaked_tracer_getitem():
    box = []
    fd.grad(lambda x: box.append(x) or fnp.sum(x))(np.ones(3))
    with pytest.raises(TracerLeakError):
        box[0][0]


def test_index_is_static_and_hashable():
    a, _ = normalize_index((slice(1, None, 2), None, [0, 0], True, Ellipsis, 3))
    b, _ = normalize_index((slice(1, None, 2), None, np.array([0, 0]), True, Ellipsis, 3))
    c, _ = normalize_index((slice(1, None, 2), None, [0, 1], True, Ellipsis, 3))
    assert a == b and hash(a) == hash(b) and a != c
    assert Index((True,)) != Index((1,))
    assert "1::2" in repr(a) and "[0, 0]" in repr(a)
    arr = np.array([1, 2])
    idx, _ = normalize_index(arr)
    arr[0] = 0  # the Index holds its own read-only copy
    assert idx.entries[0] == IndexArray([1, 2])
    assert Dyn(0) == Dyn(0) and Dyn(0) != Dyn(1)
    assert gather(np.arange(5.0), idx).tolist() == [1.0, 2.0]


# --------------------------------------------------------------------------
# .at


UFUNCS = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply,
          "min": np.minimum, "max": np.maximum}
METHODS = ["set", "add", "subtract", "multiply", "min", "max"]


def _ref_update(method, x, idx, v):
    out = np.array(x, copy=True)
    if method == "set":
        out[idx] = v
    else:
        UFUNCS[method].at(out, idx, v)
    return out


def _apply(method, x, idx, v):
    return getattr(fnp.at(x)[idx], method)(v)


AT_INDICES = {
    "int": 1,
    "row-slice": (slice(None), 2),
    "neg-step": slice(None, None, -2),
    "ellipsis": (Ellipsis, [0, 3]),
    "newaxis": (None, 1),
    "repeats": [0, 2, 0],
    "repeats-2d": ([1, 1, 3], [2, 2, 2]),
    "repeats-broadcast": (np.array([[0], [0]]), [4, 4]),
    "mask": M45,
    "mask-rows": M4,
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(AT_INDICES))
def test_at_values(method, name):
    idx = AT_INDICES[name]
    x = rand((4, 5))
    x0 = x.copy()
    v = rand(x[idx].shape, seed=5)
    for vv in (v, 0.5, v[..., :1] if v.ndim else v):
        want = _ref_update(method, x, idx, vv)
        got = _apply(method, x, idx, vv)
        assert type(got) is np.ndarray
        np.testing.assert_allclose(got, want, rtol=1e-12)
        np.testing.assert_array_equal(x, x0)  # plain arrays are never mutated
        out, _ = fd.jvp(lambda x, vv=vv: _apply(method, x, idx, vv), (x,), (x,))
        np.testing.assert_allclose(out, want, rtol=1e-12)
        y = fd.jvp(lambda x: x.at[idx].get(), (x,), (x,))[0]
        np.testing.assert_array_equal(y, x[idx])


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(AT_INDICES))
def test_at_derivatives(method, name):
    idx = AT_INDICES[name]
    x = rand((4, 5))
    v = rand(x[idx].shape, seed=5)
    grads_ok(lambda x, v: fnp.sin(getattr(fnp.at(x)[idx], method)(v)), (x, v), order=2)
    grads_ok(lambda v: getattr(fnp.at(x)[idx], method)(v * v), (v,), order=1)


@pytest.mark.parametrize("method", METHODS)
def test_at_broadcast_values_and_float32(method):
    x = rand((4, 5), np.float32)
    v = np.float32(0.25)
    g = fd.grad(lambda x, v: fnp.sum(getattr(x.at[[0, 0], 1:], method)(v) ** 2),
                argnums=(0, 1))(x, v)
    assert g[0].dtype == np.float32 and g[1].dtype == np.float32
    grads_ok(lambda x, v: getattr(fnp.at(x)[:, ::2], method)(v), (rand((4, 5)), rand((3,), seed=6)))


def test_at_set_repeated_last_wins():
    x, v = np.zeros(3), np.array([1.0, 2.0, 3.0])
    assert fnp.at(x)[[1, 1, 1]].set(v).tolist() == [0.0, 3.0, 0.0]
    gx, gv = fd.grad(lambda x, v: fnp.sum(x.at[[1, 1, 1]].set(v) * fnp.arange(1, 4)),
                     argnums=(0, 1))(x, v)
    np.testing.assert_array_equal(gx, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(gv, [0.0, 0.0, 2.0])
    _, t = fd.jvp(lambda v: fnp.at(x)[[1, 1, 1]].set(v), (v,), (np.array([1.0, 10.0, 100.0]),))
    np.testing.assert_array_equal(t, [0.0, 100.0, 0.0])


def test_at_add_and_multiply_repeated():
    x, v = np.array([2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    gx, gv = fd.grad(lambda x, v: fnp.sum(x.at[[0, 0, 0]].add(v)), argnums=(0, 1))(x, v)
    np.testing.assert_array_equal(gv, [1.0, 1.0, 1.0])
    f = lambda x, v: fnp.sum(fnp.at(x)[[0, 0, 0]].multiply(v))  # noqa: E731
    assert float(f(x, v)) == 2.0 * 8.0 + 3.0
    gx, gv = fd.grad(f, argnums=(0, 1))(x, v)
    np.testing.assert_array_equal(gx, [8.0, 1.0])
    np.testing.assert_array_equal(gv, [16.0, 8.0, 4.0])
    # zeros among the repeated factors
    gv = fd.grad(lambda v: fnp.sum(fnp.at(x)[[0, 0, 0]].multiply(v)))(np.array([0.0, 2.0, 4.0]))
    np.testing.assert_array_equal(gv, [16.0, 0.0, 0.0])
    grads_ok(lambda v: fnp.at(x)[[0, 0, 0]].multiply(v), (np.array([0.0, 2.0, 0.0]),))


@pytest.mark.parametrize("method", ["min", "max"])
def test_at_min_max_ties_split_evenly(method):
    x = np.array([1.0, 5.0])
    g = fd.grad(lambda x, v: getattr(x.at[0], method)(v)[0], argnums=(0, 1))(x, 1.0)
    assert g[0].tolist() == [0.5, 0.0] and float(g[1]) == 0.5
    v = np.array([1.0, 1.0])
    gx, gv = fd.grad(lambda x, v: fnp.sum(getattr(x.at[[0, 0]], method)(v)),
                     argnums=(0, 1))(x, v)
    np.testing.assert_allclose(gx, [1 / 3, 1.0])
    np.testing.assert_allclose(gv, [1 / 3, 1 / 3])
    _, t = fd.jvp(lambda x, v: getattr(x.at[[0, 0]], method)(v), (x, v),
                  (np.array([3.0, 1.0]), np.array([0.0, 6.0])))
    np.testing.assert_allclose(t, [3.0, 1.0])


def test_at_casts_and_checks_values():
    x = np.arange(4.0, dtype=np.float32)
    y = fd.jvp(lambda x: x.at[1].set(np.float64(2.5)), (x,), (x,))[0]
    assert y.dtype == np.float32 and y[1] == 2.5
    with pytest.raises(ValueError, match="shape mismatch"):
        fd.grad(lambda x: fnp.sum(x.at[[0, 1]].set(np.ones(3))))(np.ones(4))
    with pytest.raises(ValueError):
        fnp.at(np.ones(4))[[0, 1]].set(np.ones(3))
    got = fd.jvp(lambda x: x.at[[0, 1]].set(np.ones((1, 1, 2))), (np.zeros(3),), (np.ones(3),))
    np.testing.assert_array_equal(got[0], [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(got[1], [0.0, 0.0, 1.0])
    a = np.arange(3)
    assert fnp.at(a)[0].add(2).tolist() == [2, 1, 2] and a.tolist() == [0, 1, 2]


def test_at_values_that_are_lists_of_tracers():
    f = lambda x: fnp.sum(x.at[[0, 1]].set([x[2], x[2] * 2.0]) ** 2)  # noqa: E731
    np.testing.assert_allclose(fd.grad(f)(np.ones(3)), [0.0, 0.0, 12.0])


# --------------------------------------------------------------------------
# take, take_along_axis, put_along_axis, compress, extract


@pytest.mark.parametrize("mode", ["raise", "clip", "wrap"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take(mode, axis):
    x = rand((3, 4))
    ind = np.array([[0, 2], [-1, 2]]) if mode == "raise" else np.array([[0, 7], [-5, 2]])
    want = np.take(x, ind, axis=axis, mode=mode)
    np.testing.assert_array_equal(fnp.take(x, ind, axis=axis, mode=mode), want)
    out = fd.jvp(lambda x: fnp.take(x, ind, axis=axis, mode=mode), (x,), (x,))[0]
    np.testing.assert_array_equal(out, want)
    out = fd.jvp(lambda x: x.take(ind, axis=axis, mode=mode), (x,), (x,))[0]
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(
        fd.jvp(lambda x: fnp.take(x, 2, axis=axis, mode=mode), (x,), (x,))[0],
        np.take(x, 2, axis=axis, mode=mode),
    )
    grads_ok(lambda x: fnp.take(x, ind, axis=axis, mode=mode) ** 2, (x,))
    got = fd.vmap(lambda i: fnp.take(x, i, axis=axis, mode=mode))(ind)
    np.testing.assert_array_equal(got, np.stack([np.take(x, i, axis=axis, mode=mode)
                                                 for i in ind]))


def test_take_errors_and_numpy_dispatch():
    x = np.ones((2, 3))
    with pytest.raises(IndexError):
        fd.grad(lambda x: fnp.sum(fnp.take(x, [5], axis=0)))(x)
    with pytest.raises(ValueError, match="clipmode"):
        fd.grad(lambda x: fnp.sum(fnp.take(x, [0], mode="foo")))(x)
    with pytest.raises(TypeError):
        fd.grad(lambda x: fnp.sum(fnp.take(x, [0.5])))(x)
    g = fd.grad(lambda x: np.sum(np.take(x, [1, 1, 4])))(np.ones((2, 3)))
    np.testing.assert_array_equal(g, [[0, 2, 0], [0, 1, 0]])


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take_along_axis(axis):
    x = rand((3, 4))
    ind = np.argsort(x, axis=axis)[..., ::-1] if axis is not None else np.array([5, 5, 0])
    if axis is not None:
        ind = np.take(ind, [0, 0, 1], axis=axis)
    want = np.take_along_axis(x, ind, axis=axis)
    np.testing.assert_array_equal(fnp.take_along_axis(x, ind, axis=axis), want)
    out = fd.jvp(lambda x: fnp.take_along_axis(x, ind, axis=axis), (x,), (x,))[0]
    np.testing.assert_array_equal(out, want)
    grads_ok(lambda x: fnp.take_along_axis(x, ind, axis=axis) ** 2, (x,))


def test_take_along_axis_broadcasts_and_errors():
    x = rand((3, 4))
    ind = np.array([[1], [3], [0]])
    np.testing.assert_array_equal(
        fd.jvp(lambda x: fnp.take_along_axis(x, ind, axis=1), (x,), (x,))[0],
        np.take_along_axis(x, ind, axis=1),
    )
    with pytest.raises(ValueError, match="same number of dimensions"):
        fd.grad(lambda x: fnp.sum(fnp.take_along_axis(x, np.zeros(3, int), axis=0)))(x)
    with pytest.raises(IndexError, match="integer"):
        fd.grad(lambda x: fnp.sum(fnp.take_along_axis(x, np.zeros((1, 4)), axis=0)))(x)


@pytest.mark.parametrize("axis", [0, 1, None])
def test_put_along_axis(axis):
    x = rand((3, 4))
    x0 = x.copy()
    ind = np.array([[0, 2, 2]]).T if axis == 1 else np.array([[2, 0, 1, 1]])
    if axis is None:
        ind = np.array([0, 5, 5])
    vals = rand(np.shape(ind), seed=8)
    want = x.copy()
    np.put_along_axis(want, ind, vals, axis)
    got = fnp.put_along_axis(x, ind, vals, axis)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(x, x0)
    out = fd.jvp(lambda x, v: fnp.put_along_axis(x, ind, v, axis), (x, vals), (x, vals))[0]
    np.testing.assert_array_equal(out, want)
    grads_ok(lambda x, v: fnp.put_along_axis(x, ind, v, axis) ** 2, (x, vals))


def test_compress_and_extract():
    x = rand((3, 4))
    c = np.array([True, False, True])
    for axis in (0, None, -1):
        cc = c if axis != -1 else np.array([False, True, True, False])
        want = np.compress(cc, x, axis=axis)
        np.testing.assert_array_equal(fnp.compress(cc, x, axis=axis), want)
        np.testing.assert_array_equal(
            fd.jvp(lambda x, c=cc, a=axis: fnp.compress(c, x, axis=a), (x,), (x,))[0], want)
        grads_ok(lambda x, c=cc, a=axis: fnp.compress(c, x, axis=a) ** 2, (x,), order=1)
    m = x > 0
    np.testing.assert_array_equal(fd.jvp(lambda x: fnp.extract(m, x), (x,), (x,))[0],
                                  np.extract(m, x))
    g = fd.grad(lambda x: fnp.sum(fnp.extract(x > 0, x)))(x)
    np.testing.assert_array_equal(g, (x > 0).astype(float))
    with pytest.raises(ValueError, match="1-d"):
        fd.grad(lambda x: fnp.sum(fnp.compress(np.ones((1, 1), bool), x)))(x)


# --------------------------------------------------------------------------
# nonzero & co, searchsorted


def test_nonzero_argwhere_flatnonzero():
    x = np.array([[0.0, 1.5], [-2.0, 0.0]])

    def f(x):
        (r, c) = fnp.nonzero(x)
        w = fnp.argwhere(x)
        flat = fnp.flatnonzero(x)
        assert np.array_equal(r, [0, 1]) and np.array_equal(c, [1, 0])
        assert np.array_equal(w, np.argwhere(x)) and np.array_equal(flat, [1, 2])
        assert np.array_equal(x.nonzero()[0], [0, 1])
        return fnp.sum(x[fnp.nonzero(x)] ** 2)

    np.testing.assert_array_equal(fd.grad(f)(x), 2 * x)
    assert np.array_equal(fnp.nonzero(x)[1], [1, 0])
    with pytest.raises(ConcretizationError, match="fnp.argwhere"):
        fd.vmap(fnp.argwhere)(x)


def _check_searchsorted(a, v, side):
    want = np.searchsorted(a, v, side=side)
    np.testing.assert_array_equal(fnp.searchsorted(a, v, side=side), want)
    got = fd.jvp(lambda a, v: fnp.searchsorted(a, v, side=side), (a, v), (a, v))
    np.testing.assert_array_equal(got[0], want)
    g = fd.grad(lambda v: fnp.sum(fnp.searchsorted(a, v, side=side) * v))(v)
    np.testing.assert_array_equal(g, want)
    np.testing.assert_array_equal(fd.vmap(lambda v: fnp.searchsorted(a, v, side))(v), want)
    aa = np.stack([a, a + 1])
    np.testing.assert_array_equal(
        fd.vmap(lambda a, v: fnp.searchsorted(a, v, side))(aa, v),
        np.stack([np.searchsorted(aa[k], v[k], side=side) for k in range(2)]),
    )


def test_searchsorted():
    a = np.array([0.0, 1.0, 1.0, 3.0])
    v = np.array([[1.0, 2.5], [-1.0, 9.0]])
    for side in ("left", "right"):
        _check_searchsorted(a, v, side)
    perm = np.array([3, 0, 2, 1])
    shuffled = np.empty(4)
    shuffled[perm] = a
    got = fd.jvp(lambda a: fnp.searchsorted(a, 1.0, sorter=perm), (shuffled,), (shuffled,))[0]
    assert got == np.searchsorted(shuffled, 1.0, sorter=perm)
    with pytest.raises(ValueError, match="side"):
        fd.grad(lambda a: fnp.searchsorted(a, 1.0, side="mid") * 1.0)(a)


# --------------------------------------------------------------------------
# select, choose


def test_select():
    x = np.linspace(-2, 2, 9)[:, None] * np.array([1.0, 0.5])
    f = lambda m, x: m.select([x < -1, x < 1], [-x, x ** 2], default=1.0)  # noqa: E731
    want = f(np, x)
    np.testing.assert_array_equal(f(fnp, x), want)
    np.testing.assert_array_equal(fd.jvp(lambda x: f(fnp, x), (x,), (x,))[0], want)
    g = fd.grad(lambda x: fnp.sum(f(fnp, x)))(x)
    np.testing.assert_allclose(g, np.select([x < -1, x < 1], [-1.0, 2 * x], 0.0))
    grads_ok(lambda x: f(fnp, x + 0.1), (x,))
    # broadcasting, dtypes and the first true condition winning
    c = [np.array([True, False]), np.array([[True], [True]])]
    ch = [np.float32(1.0), np.array([2.0, 3.0], np.float32)]
    got = fd.jvp(lambda a: fnp.select(c, [a * ch[0], ch[1]]), (np.float32(1.0),),
                 (np.float32(1.0),))[0]
    want = np.select(c, ch)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    for bad, err in [(([x > 0], []), ValueError), (([], []), ValueError),
                     (([x], [x]), TypeError)]:
        with pytest.raises(err):
            fd.grad(lambda x, bad=bad: fnp.sum(fnp.select(*bad)))(x)


@pytest.mark.parametrize("mode", ["raise", "clip", "wrap"])
def test_choose(mode):
    a = np.array([[0, 2, 1], [1, 0, 2]]) if mode == "raise" else np.array([[0, 5, -1], [1, 3, 2]])
    chs = [rand((2, 3), seed=k) for k in range(3)]
    want = np.choose(a, chs, mode=mode)
    np.testing.assert_array_equal(fnp.choose(a, chs, mode=mode), want)
    got = fd.jvp(lambda *c: fnp.choose(a, list(c), mode=mode), tuple(chs), tuple(chs))
    np.testing.assert_array_equal(got[0], want)
    grads_ok(lambda *c: fnp.choose(a, list(c), mode=mode) ** 2, tuple(chs))
    with pytest.raises(ValueError):
        if mode == "raise":
            fd.grad(lambda c: fnp.sum(fnp.choose(np.array([3]), [c, c])))(np.ones(1))
        else:
            raise ValueError


def test_index_constructors():
    x = np.ones((3, 3))
    for fn, args in [("diag_indices", (3,)), ("tril_indices", (3, -1)), ("triu_indices", (4,)),
                     ("ix_", ([0, 2], [1]))]:
        for a, b in zip(getattr(fnp, fn)(*args), getattr(np, fn)(*args)):
            np.testing.assert_array_equal(a, b)

    def f(x):
        for fn in ("diag_indices_from", "tril_indices_from", "triu_indices_from"):
            for a, b in zip(getattr(fnp, fn)(x), getattr(np, fn)(np.ones(x.shape))):
                np.testing.assert_array_equal(a, b)
        return fnp.sum(x[fnp.tril_indices_from(x)])

    np.testing.assert_array_equal(fd.grad(f)(x), np.tril(x))
    with pytest.raises(ValueError):
        fnp.tril_indices_from(np.ones(3))


def test_index_out_shape_matches_numpy_without_data_sized_work():
    # the shape rule of gather/scatter stands traced index arrays in by arrays of their
    # rank with axes of length 1 and puts their broadcast shape where NumPy puts the
    # advanced axes: checked against NumPy indexing real arrays, every pattern of up to
    # three entries (slices, ints, None, Ellipsis, traced/constant/boolean index arrays)
    import itertools

    from funcdiff._src.core import ShapedArray
    from funcdiff._src.lax.indexing import Dyn, Index, IndexArray

    shape = (4, 5, 6, 3)
    entries_of = {"D1": (7,), "D2": (2, 1)}
    cands = [slice(None), slice(1, 3), 0, -1, None, Ellipsis, "D1", "D2", "S", "B"]
    checked = 0
    for n in (1, 2, 3):
        for combo in itertools.product(cands, repeat=n):
            if combo.count(Ellipsis) > 1:
                continue
            entries, avals, real = [], [], []
            for c in combo:
                if isinstance(c, str) and c in entries_of:
                    entries.append(Dyn(len(avals)))
                    avals.append(ShapedArray(entries_of[c], np.intp))
                    real.append(np.zeros(entries_of[c], np.intp))
                elif isinstance(c, str) and c == "S":
                    entries.append(IndexArray(np.array([0, 1, 1])))
                elif isinstance(c, str) and c == "B":
                    entries.append(IndexArray(np.array([True, False, True])))
                else:
                    entries.append(c)
            index = Index(entries)
            try:
                want = np.zeros(shape, np.int8)[index.build(real)].shape
            except IndexError:
                with pytest.raises(IndexError):
                    index.out_shape(shape, avals)
                continue
            assert index.out_shape(shape, avals) == want, combo
            checked += 1
    assert checked > 500
