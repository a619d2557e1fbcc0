"""Tests of the contraction primitive (einsum) and the products built on it."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from helpers import assert_same, inside, normal

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.lax import contraction as pc
from funcdiff.testing import check_grads

RNG = np.random.default_rng(0)
rand = functools.partial(normal, RNG)


EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ij,kj->ik", [(3, 4), (5, 4)]),
    ("ji,jk->ki", [(4, 3), (4, 5)]),
    ("ij,jk->ki", [(3, 4), (4, 5)]),
    ("ij,j->i", [(3, 4), (4,)]),
    ("j,ij->i", [(4,), (3, 4)]),
    ("i,i->", [(4,), (4,)]),
    ("i,i", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,j", [(3,), (4,)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("ij,ij->ij", [(1, 4), (3, 4)]),  # a size-1 axis broadcasts
    ("ij->i", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ji", [(3, 4)]),  # implicit output: sorted labels, so a transpose
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ii->", [(3, 3)]),
    ("iij->ij", [(3, 3, 2)]),
    ("iji->j", [(3, 2, 3)]),
    ("iii->i", [(3, 3, 3)]),
    ("ii,ij->j", [(3, 3), (3, 4)]),
    ("ij,jj->i", [(2, 3), (3, 3)]),
    ("ijk,jl->", [(2, 3, 4), (3, 5)]),
    ("ij,kl->", [(2, 3), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ibj,bjk->kbi", [(3, 2, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("i...->...", [(3, 2, 4)]),
    ("...i,...i->...", [(2, 3), (3,)]),
    ("...,...", [(2, 3), (3,)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,jk,kl", [(2, 3), (3, 4), (4, 5)]),
    ("abc,cd,db->a", [(2, 3, 4), (4, 5), (5, 3)]),
    ("i,i,i->i", [(3,), (3,), (3,)]),
    ("ij,ij,ij->", [(2, 3), (2, 3), (2, 3)]),
    ("ab,bc,cd,de,ef->af", [(2, 3), (3, 4), (4, 2), (2, 3), (3, 2)]),
    ("iJ,Jk->ik", [(2, 3), (3, 4)]),
    (" ij , jk -> ik ", [(2, 3), (3, 4)]),
    (",->", [(), ()]),
    ("->", [()]),
    ("i,->i", [(3,), ()]),
    ("ij,jk->ik", [(0, 3), (3, 2)]),
]


@pytest.mark.parametrize("subs,shapes", EINSUM_CASES)
def test_einsum_values(subs, shapes):
    ops = [rand(s) for s in shapes]
    want = np.einsum(subs, *ops)
    assert_same(inside(lambda *xs: fnp.einsum(subs, *xs), *ops), want)
    got = fnp.einsum(subs, *ops)  # outside transforms: NumPy itself
    assert type(got) is type(want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("subs,shapes", [c for c in EINSUM_CASES if "0" not in str(c[1])])
def test_einsum_derivatives(subs, shapes):
    ops = [rand(s) for s in shapes]
    check_grads(lambda *xs: fnp.einsum(subs, *xs), ops, order=2)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float32, np.complex64, np.complex128])
def test_einsum_dtypes(dtype):
    for subs, shapes in EINSUM_CASES:
        ops = [(rand(s) * 3).astype(dtype) for s in shapes]
        want = np.einsum(subs, *ops)
        got = inside(lambda *xs, subs=subs: fnp.einsum(subs, *xs), *ops)
        assert_same(got, want, rtol=1e-5, atol=1e-5)


def test_einsum_mixed_dtypes():
    a, b = rand((3, 4), np.float32), rand((4, 2))
    assert_same(inside(lambda a, b: fnp.einsum("ij,jk", a, b), a, b), np.einsum("ij,jk", a, b))
    c = rand((4, 2), np.complex64)
    assert_same(inside(lambda a, c: fnp.einsum("ij,jk", a, c), a, c), np.einsum("ij,jk", a, c),
                rtol=1e-5)
    n = np.arange(8).reshape(4, 2)
    assert_same(inside(lambda a: fnp.einsum("ij,jk", a, n), a), np.einsum("ij,jk", a, n),
                rtol=1e-5)


def test_einsum_interleaved_and_kwargs():
    a, b = rand((2, 3)), rand((3, 4))
    want = np.einsum(a, [0, 1], b, [1, 2], [0, 2])
    assert_same(inside(lambda a, b: fnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), a, b), want)
    want = np.einsum(a, [Ellipsis, 1], b[:, 0], [1])
    assert_same(inside(lambda a, v: fnp.einsum(a, [Ellipsis, 1], v, [1]), a, b[:, 0]), want)
    assert_same(inside(lambda a: fnp.einsum(a, [0, 26]), a), np.einsum(a, [0, 26]))
    got = inside(lambda a, b: fnp.einsum("ij,jk", a, b, optimize=True), a, b)
    assert_same(got, a @ b)
    got = inside(lambda a, b: fnp.einsum("ij,jk", a, b, dtype=np.float32), a, b)
    assert_same(got, np.einsum("ij,jk", a, b, dtype=np.float32, casting="unsafe"), rtol=1e-5)


# -- the public products ------------------------------------------------------

DOT_SHAPES = [
    ((), (3,)), ((3,), ()), ((), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
    ((2, 3), (3, 4)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 3, 4), (5, 4, 2)),
]
MATMUL_SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)),
    ((6, 1, 2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)), ((2, 1, 3), (2, 3, 1)),
]
INNER_SHAPES = [((), (3,)), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)), ((2, 2, 3), (4, 3))]
OUTER_SHAPES = [((3,), (4,)), ((2, 3), (4,)), ((), (3,)), ((2, 2), (3, 1))]
VDOT_SHAPES = [((3,), (3,)), ((2, 3), (6,)), ((2, 3), (3, 2)), ((), ())]
KRON_SHAPES = [((2, 3), (4, 5)), ((2,), (3,)), ((2, 3), (4,)), ((), (3,)), ((2, 1, 3), (2, 2))]
TENSORDOT_CASES = [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])), ((3, 4), (4, 3), ([0, 1], [1, 0])),
    ((2, 3), (3, 4), (1, 0)), ((2, 3, 4), (5, 4), (-1, -1)),
]
CROSS_CASES = [
    ((3,), (3,), {}), ((4, 3), (3,), {}), ((4, 3), (4, 3), {}), ((3, 4), (4, 3), {"axisa": 0}),
    ((4, 3), (4, 3), {"axisc": 0}), ((3, 4), (3, 4), {"axis": 0}), ((2,), (3,), {}),
    ((4, 3), (4, 2), {}), ((2, 1, 3), (5, 3), {}),
]

PRODUCT_CASES = (
    [(fnp.dot, np.dot, s, {}) for s in DOT_SHAPES]
    + [(fnp.matmul, np.matmul, s, {}) for s in MATMUL_SHAPES]
    + [(fnp.inner, np.inner, s, {}) for s in INNER_SHAPES]
    + [(fnp.outer, np.outer, s, {}) for s in OUTER_SHAPES]
    + [(fnp.vdot, np.vdot, s, {}) for s in VDOT_SHAPES]
    + [(fnp.kron, np.kron, s, {}) for s in KRON_SHAPES]
    + [(fnp.tensordot, np.tensordot, (a, b), {"axes": ax}) for a, b, ax in TENSORDOT_CASES]
    + [(fnp.cross, np.cross, (a, b), kw) for a, b, kw in CROSS_CASES]
    + [(fnp.vecdot, np.vecdot, s, {}) for s in [((3,), (3,)), ((2, 3), (3,)), ((4, 1, 3), (2, 3))]]
    + [(fnp.vecdot, np.vecdot, ((3, 2), (3, 2)), {"axis": 0})]
    + [(fnp.matvec, np.matvec, s, {}) for s in [((2, 3), (3,)), ((4, 2, 3), (3,)), ((2, 3), (4, 3))]
       ]
    + [(fnp.vecmat, np.vecmat, s, {}) for s in [((3,), (3, 2)), ((4, 3), (3, 2)), ((3,), (4, 3, 2))]
       ]
)
PRODUCT_IDS = [f"{f.__name__}-{s}-{kw}" for f, _, s, kw in PRODUCT_CASES]


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@pytest.mark.parametrize("f,npf,shapes,kw", PRODUCT_CASES, ids=PRODUCT_IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128, np.int64])
def test_product_values(f, npf, shapes, kw, dtype):
    a, b = ((rand(s) * 3).astype(dtype) for s in shapes)
    want = npf(a, b, **kw)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert_same(inside(lambda a, b: f(a, b, **kw), a, b), want, rtol=tol, atol=tol)
    got = f(a, b, **kw)  # outside transforms: NumPy itself
    assert type(got) is type(want)
    np.testing.assert_array_equal(got, want)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@pytest.mark.parametrize("f,npf,shapes,kw", PRODUCT_CASES, ids=PRODUCT_IDS)
def test_product_derivatives(f, npf, shapes, kw):
    a, b = (rand(s) for s in shapes)
    check_grads(lambda a, b: f(a, b, **kw), (a, b), order=2)


@pytest.mark.parametrize("f", [fnp.vdot, fnp.vecdot, fnp.vecmat, fnp.dot, fnp.matmul])
def test_complex_derivatives(f):
    shapes = {fnp.vecmat: ((3,), (3, 2))}.get(f, ((3,), (3,)))
    a, b = (rand(s, np.complex128) for s in shapes)
    check_grads(f, (a, b), order=2)


def test_cross_2d_vectors_warn_like_numpy():
    a, b = rand((4, 2)), rand((4, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want = np.cross(a, b)
    with pytest.warns(DeprecationWarning):
        got = inside(fnp.cross, a, b)
    assert_same(got, want)
    with pytest.warns(DeprecationWarning):
        inside(fnp.cross, a, rand((4, 3)))


def test_python_scalars_and_lists():
    v = rand(3)
    assert_same(inside(lambda v: fnp.dot(2.0, v), v), np.dot(2.0, v))
    x = rand((2, 2))
    assert_same(inside(lambda x: fnp.matmul(x, [[1.0, 0.0], [0.0, 1.0]]), x), x)
    assert_same(inside(lambda x: fnp.dot([1.0, 2.0], x), x), np.dot([1.0, 2.0], x))


# -- float32, cotangent dtypes -----------------------------------------------------------


def test_float32_stays_float32():
    x, w = rand((4, 3), np.float32), rand((3, 2), np.float32)
    gx, gw = fd.grad(lambda x, w: fnp.sum(fnp.tanh(x @ w)), argnums=(0, 1))(x, w)
    assert gx.dtype == np.float32 and gw.dtype == np.float32
    check_grads(lambda x, w: fnp.einsum("ij,jk->ik", x, w), (x, w), order=2)
    check_grads(lambda x: fnp.einsum("ii->i", x), (rand((3, 3), np.float32),), order=2)


def test_cotangent_dtype_follows_operand():
    x, w = rand((4, 3), np.float32), rand((3, 2))
    g = rand((4, 2))
    out = pc.einsum("ij,jk->ik", x, w)
    assert out.dtype == np.float64
    ct_x, ct_w = pc.einsum_p.vjp(g, out, (x, w), (0, 1), subscripts="ij,jk->ik", path=((0, 1),))
    assert ct_x.dtype == np.float32 and ct_w.dtype == np.float64
    # a real operand of a complex product gets a real cotangent (JAX's convention)
    c = rand((3, 2), np.complex128)
    (ct_x,) = pc.einsum_p.vjp(rand((4, 2), np.complex128), None, (x, c), (0,),
                              subscripts="ij,jk->ik", path=((0, 1),))
    assert ct_x.dtype == np.float32
    # integer operands get no cotangent
    n = np.arange(6).reshape(3, 2)
    assert pc.einsum_p.vjp(g, None, (x, n), (1,), subscripts="ij,jk->ik", path=((0, 1),)) == [None]


# -- the transposition identity and higher order ------------------------------------------


@pytest.mark.parametrize("subs,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("ii->i", [(3, 3)]), ("ii->", [(3, 3)]),
    ("ij->i", [(3, 4)]), ("iij,jk->ik", [(2, 2, 3), (3, 4)]),
    ("abc,cd,db->a", [(2, 3, 4), (4, 5), (5, 3)]),
])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_transposition_identity(subs, shapes, dtype):
    ops = [rand(s, dtype) for s in shapes]
    out, pullback = fd.vjp(lambda *xs: fnp.einsum(subs, *xs), *ops)
    u = rand(np.shape(out), dtype)
    v = [rand(s, dtype) for s in shapes]
    cts = pullback(u)
    _, jv = fd.jvp(lambda *xs: fnp.einsum(subs, *xs), tuple(ops), tuple(v))
    lhs = sum(np.sum(c * t) for c, t in zip(cts, v))
    np.testing.assert_allclose(lhs, np.sum(u * jv), rtol=1e-10)
    # the cotangents themselves, against the explicit formula for a linear map
    for k, x in enumerate(ops):
        def lin(t, k=k):
            xs = list(ops)
            xs[k] = t
            return fnp.einsum(subs, *xs)

        (ct,) = fd.linear_transpose(lin, x)(u)
        np.testing.assert_allclose(ct, cts[k], rtol=1e-12, atol=1e-12)


def test_diagonal_cotangent_is_diagonal():
    a = rand((3, 3))
    g = fd.grad(lambda a: fnp.sum(fnp.einsum("ii->i", a) ** 2))(a)
    np.testing.assert_allclose(g, np.diag(2 * np.diag(a)))
    g = fd.grad(lambda a: fnp.einsum("ii", a))(a)
    np.testing.assert_allclose(g, np.eye(3))
    g = fd.grad(lambda a: fnp.sum(fnp.einsum("ij->i", a) ** 2))(a)
    np.testing.assert_allclose(g, np.repeat(2 * a.sum(1, keepdims=True), 3, axis=1))


def test_hessian_of_quadratic_form():
    a, x = rand((4, 4)), rand(4)
    h = fd.hessian(lambda x: x @ a @ x)(x)
    np.testing.assert_allclose(h, a + a.T, rtol=1e-12)
    h = fd.jacfwd(fd.grad(lambda x: fnp.einsum("i,ij,j->", x, a, x)))(x)
    np.testing.assert_allclose(h, a + a.T, rtol=1e-12)


# -- other transforms ------------------------------------------------------------------------


def test_vmap():
    a, b = rand((5, 2, 3)), rand((5, 3, 4))
    got = fd.vmap(lambda a, b: fnp.einsum("ij,jk->ik", a, b))(a, b)
    np.testing.assert_allclose(got, np.einsum("bij,bjk->bik", a, b), rtol=1e-12)
    got = fd.vmap(lambda a: a @ b[0], in_axes=1)(a)
    np.testing.assert_allclose(got, np.einsum("ibj,jk->bik", a, b[0]), rtol=1e-12)
    got = fd.vmap(lambda a: fnp.einsum("ii->i", a))(rand((5, 3, 3)))
    assert got.shape == (5, 3)
    g = fd.vmap(fd.grad(lambda w, x: fnp.sum(fnp.tanh(x @ w))), in_axes=(None, 0))(b[0], a)
    want = np.stack([fd.grad(lambda w, x=x: fnp.sum(fnp.tanh(x @ w)))(b[0]) for x in a])
    np.testing.assert_allclose(g, want, rtol=1e-12)


def test_jit_and_linearize():
    a, b = rand((2, 3)), rand((3, 4))
    np.testing.assert_allclose(fd.jit(lambda a, b: a @ b)(a, b), a @ b, rtol=1e-12)
    y, f_jvp = fd.linearize(lambda a: fnp.einsum("ij,jk->ik", a, b), a)
    np.testing.assert_allclose(f_jvp(a), a @ b, rtol=1e-12)


def test_tracer_operators_and_numpy_dispatch():
    a, b = rand((2, 3)), rand((3, 4))
    for f in (lambda a: a @ b, lambda a: b.T @ a.T, lambda a: a.dot(b), lambda a: np.dot(a, b),
              lambda a: np.matmul(a, b), lambda a: np.einsum("ij,jk", a, b),
              lambda a: np.tensordot(a, b, 1)):
        got = inside(f, a)
        np.testing.assert_allclose(got.T if got.shape == (4, 2) else got, a @ b, rtol=1e-12)
    g = fd.grad(lambda a: np.sum(np.dot(a, b)))(a)
    np.testing.assert_allclose(g, np.broadcast_to(b.sum(1), (2, 3)), rtol=1e-12)


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [
    lambda a, b: fnp.matmul(a, b),
    lambda a, b: fnp.dot(a, b),
    lambda a, b: fnp.inner(a, b),
    lambda a, b: fnp.tensordot(a, b, 1),
    lambda a, b: fnp.einsum("ij,jk", a, b),
    lambda a, b: fnp.einsum("ij,jk->ii", a, b),
    lambda a, b: fnp.einsum("ij", a, b),
    lambda a, b: fnp.einsum("ij,ij->...", a, b),
    lambda a, b: fnp.matmul(a[0, 0], b),
])
def test_errors_are_numpy_errors(call):
    a, b = rand((2, 3)), rand((4, 5))
    with pytest.raises(ValueError) as numpy_err:
        call(a, b)
    with pytest.raises(ValueError) as our_err:
        inside(call, a, b)
    assert str(our_err.value) == str(numpy_err.value)


def test_out_argument_is_refused_inside_transforms():
    a = rand((2, 2))
    with pytest.raises(TypeError, match="out="):
        inside(lambda a: fnp.einsum("ij,jk", a, a, out=np.empty((2, 2))), a)


# -- paths ---------------------------------------------------------------------------------


def test_contraction_paths_are_cached():
    shapes = ((2, 3), (3, 4), (4, 5))
    pc.contraction_path("ij,jk,kl->il", shapes)
    hits = pc.contraction_path.cache_info().hits
    ops = [rand(s) for s in shapes]
    for _ in range(3):
        inside(lambda *xs: fnp.einsum("ij,jk,kl->il", *xs), *ops)
    assert pc.contraction_path.cache_info().hits >= hits + 3


def test_matrix_products_reach_blas():
    # the impl of a pairwise contraction is one numpy.matmul: same result bits
    x, w = rand((16, 32)), rand((32, 8))
    np.testing.assert_array_equal(pc.einsum("ik,kj->ij", x, w), np.matmul(x, w))
    np.testing.assert_array_equal(pc.einsum("kj,ik->ij", w, x), np.matmul(x, w))


@pytest.mark.parametrize("shapes", [
    [(3,), (3, 4), (4,)], [(2, 3), (3, 4), (4, 5), (5, 2)], [(3,), (3, 4)], [(2, 3), (3,)],
    [(3,), (3,)], [(2, 3), (3, 6), (6, 1), (1, 4), (4, 2)],
])
def test_multi_dot(shapes):
    from funcdiff._src.numpy.contraction import multi_dot

    ops = [rand(s) for s in shapes]
    assert_same(inside(lambda *xs: multi_dot(list(xs)), *ops), np.linalg.multi_dot(ops))
    check_grads(lambda *xs: multi_dot(xs), ops, order=2)
    with pytest.raises(ValueError, match="not aligned"):
        inside(lambda a: multi_dot([a, np.ones((4, 5))]), ops[0].reshape(-1, 1) @ np.ones((1, 3)))
