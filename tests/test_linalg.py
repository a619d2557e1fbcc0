"""Tests of funcdiff.numpy.linalg: values vs NumPy, derivatives vs finite differences
(forward and reverse, second order), vmap vs a loop, jit, dtypes, conventions."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from helpers import (
    assert_same,
    close_scaled,
    fd_grad,
    inside,
    leaves,
    normal,
    parametrize_product,
)

import funcdiff as fd
import funcdiff.numpy as fnp
import funcdiff.numpy.linalg as la
from funcdiff.testing import check_grads

RNG = np.random.default_rng(0)
rand = functools.partial(normal, RNG)


def general(shape, dtype=np.float64):
    """A random well-conditioned square matrix (stack)."""
    n = shape[-1]
    return np.asarray(rand(shape, dtype) + 3 * np.eye(n), dtype)


def spd(shape, dtype=np.float64):
    """A random Hermitian positive definite matrix (stack), well conditioned."""
    a = rand(shape, dtype)
    return np.asarray(a @ np.conj(np.swapaxes(a, -1, -2)) + shape[-1] * np.eye(shape[-1]), dtype)


def sym(shape, dtype=np.float64):
    """A random Hermitian matrix (stack) with well-separated eigenvalues."""
    a = rand(shape, dtype)
    h = (a + np.conj(np.swapaxes(a, -1, -2))) / 2
    return np.asarray(h + np.diag(np.arange(shape[-1]) * 3.0), dtype)


def tol(dtype):
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


# --------------------------------------------------------------------------------------------
# Values: inside transforms (through the primitives) equal NumPy's values, shapes, dtypes

# name -> (function of arrays, builder(shape, dtype) -> args, square-only)
VALUE_CASES = {
    "solve": (la.solve, lambda s, d: (general(s, d), rand(s[:-1] + (2,), d))),
    "solve_vec": (la.solve, lambda s, d: (general(s, d), rand(s[-1:], d))),
    "inv": (la.inv, lambda s, d: (general(s, d),)),
    "det": (la.det, lambda s, d: (general(s, d),)),
    "slogdet": (la.slogdet, lambda s, d: (general(s, d),)),
    "cholesky": (la.cholesky, lambda s, d: (spd(s, d),)),
    "cholesky_upper": (lambda a: la.cholesky(a, upper=True), lambda s, d: (spd(s, d),)),
    "eigh": (la.eigh, lambda s, d: (sym(s, d),)),
    "eigh_U": (lambda a: la.eigh(a, "U"), lambda s, d: (sym(s, d),)),
    "eigvalsh": (la.eigvalsh, lambda s, d: (sym(s, d),)),
    "eig": (la.eig, lambda s, d: (general(s, d),)),
    "eigvals": (la.eigvals, lambda s, d: (rand(s, d),)),
    "svd": (la.svd, lambda s, d: (rand(s, d),)),
    "svd_reduced": (lambda a: la.svd(a, full_matrices=False), lambda s, d: (rand(s, d),)),
    "svd_hermitian": (lambda a: la.svd(a, hermitian=True), lambda s, d: (sym(s, d),)),
    "svdvals": (la.svdvals, lambda s, d: (rand(s, d),)),
    "qr": (la.qr, lambda s, d: (rand(s, d),)),
    "qr_complete": (lambda a: la.qr(a, "complete"), lambda s, d: (rand(s, d),)),
    "qr_r": (lambda a: la.qr(a, "r"), lambda s, d: (rand(s, d),)),
    "pinv": (la.pinv, lambda s, d: (rand(s, d),)),
    "pinv_hermitian": (lambda a: la.pinv(a, hermitian=True), lambda s, d: (sym(s, d),)),
    "matrix_power3": (lambda a: la.matrix_power(a, 3), lambda s, d: (general(s, d),)),
    "matrix_power-2": (lambda a: la.matrix_power(a, -2), lambda s, d: (general(s, d),)),
    "cond": (la.cond, lambda s, d: (general(s, d),)),
    "cond_fro": (lambda a: la.cond(a, "fro"), lambda s, d: (general(s, d),)),
    "matrix_rank": (la.matrix_rank, lambda s, d: (rand(s, d),)),
    "trace": (la.trace, lambda s, d: (rand(s, d),)),
    "diagonal": (la.diagonal, lambda s, d: (rand(s, d),)),
    "matrix_norm": (la.matrix_norm, lambda s, d: (rand(s, d),)),
}
SQUARE_ONLY = {
    "solve",
    "solve_vec",
    "inv",
    "det",
    "slogdet",
    "cholesky",
    "cholesky_upper",
    "eigh",
    "eigh_U",
    "eigvalsh",
    "eig",
    "eigvals",
    "svd_hermitian",
    "pinv_hermitian",
    "matrix_power3",
    "matrix_power-2",
    "cond",
    "cond_fro",
}
SHAPES = [(3, 3), (2, 3, 3), (1, 1), (4, 3), (3, 4), (2, 1, 4, 2)]


def square_or_any(name, shape, **_):
    """The functions of square matrices get square shapes only."""
    return name not in SQUARE_ONLY or shape[-1] == shape[-2]


@parametrize_product(name=sorted(VALUE_CASES), shape=SHAPES,
                     dtype=[np.float64, np.float32, np.complex128], keep=square_or_any)
def test_values_match_numpy(name, shape, dtype):
    f, build = VALUE_CASES[name]
    args = build(shape, dtype)
    want = f(*args)  # outside transforms: NumPy itself
    np_name = name.split("_")[0]
    if hasattr(np.linalg, np_name) and f is getattr(la, np_name):
        assert_same(want, getattr(np.linalg, np_name)(*args), rtol=0, atol=0)
    got = inside(f, *args)
    if name in ("eig", "eigvals"):  # eigenvalue order may differ; compare sorted values
        got, want = leaves(got)[0], leaves(want)[0]
        got, want = np.sort_complex(np.asarray(got)), np.sort_complex(np.asarray(want))
    assert_same(got, want, rtol=tol(dtype), atol=tol(dtype))


def test_outside_transforms_is_numpy():
    a = general((3, 3))
    assert type(la.solve(a, a)) is np.ndarray
    assert type(la.slogdet(a)) is type(np.linalg.slogdet(a))
    assert la.eigh(sym((3, 3))).eigenvalues.dtype == np.float64
    assert la.norm(np.arange(3)) == np.linalg.norm(np.arange(3))


def test_named_results_inside_transforms():
    a = spd((3, 3))

    def f(a):
        w, v = la.eigh(a)
        out = la.eigh(a)
        assert out.eigenvalues is not None and out.eigenvectors is not None
        q = la.qr(a)
        s = la.slogdet(a)
        u = la.svd(a)
        return w.sum() + q.R[0, 0] + s.logabsdet + u.S[0] + la.eig(a).eigenvalues.real.sum()

    fd.grad(f)(a)


def test_integer_input_is_float64_and_float32_stays():
    a = np.array([[2, 1], [1, 3]])
    assert inside(la.inv, a).dtype == np.float64
    assert inside(la.det, a).dtype == np.float64
    a32 = spd((3, 3), np.float32)
    for f in (
        la.inv,
        la.det,
        la.cholesky,
        lambda x: la.eigh(x)[1],
        lambda x: la.svd(x)[0],
        la.pinv,
        lambda x: la.qr(x)[1],
        la.norm,
        lambda x: la.norm(x, 2),
        lambda x: la.slogdet(x)[1],
    ):
        assert inside(f, a32).dtype == np.float32
        g = fd.grad(lambda x, f=f: fnp.sum(f(x)))(a32)
        assert g.dtype == np.float32


def test_errors():
    with pytest.raises(la.LinAlgError):
        fd.grad(lambda a: la.det(a))(np.ones((2, 3)))
    with pytest.raises(la.LinAlgError):
        fd.grad(lambda a: la.inv(a).sum())(np.ones(3))
    with pytest.raises(ValueError, match="UPLO"):
        fd.grad(lambda a: la.eigh(a, "X")[0].sum())(spd((2, 2)))
    with pytest.raises(ValueError):
        fd.grad(lambda a: la.solve(a, np.ones(4)).sum())(general((3, 3)))
    with pytest.raises(TypeError, match="integer"):
        fd.grad(lambda a: la.matrix_power(a, 1.5).sum())(general((3, 3)))
    with pytest.raises(NotImplementedError, match="full_matrices"):
        fd.grad(lambda a: la.svd(a)[0].sum())(rand((4, 3)))
    with pytest.raises(NotImplementedError, match="complete"):
        fd.grad(lambda a: la.qr(a, "complete")[0].sum())(rand((4, 3)))
    with pytest.raises(ValueError, match="Invalid norm order"):
        fd.grad(lambda x: la.norm(x, "fro"))(rand(3))
    with pytest.raises(ValueError, match="Improper number"):
        fd.grad(lambda x: la.norm(x, 2))(rand((2, 2, 2)))


# --------------------------------------------------------------------------------------------
# Derivatives against central finite differences (forward and reverse)


def _recon_eigh(a):
    w, v = la.eigh(a)
    return (v * w[..., None, :]) @ fnp.conj(fnp.swapaxes(v, -1, -2))


def _recon_svd(a):
    u, s, vh = la.svd(a, full_matrices=False)
    return (u * s[..., None, :]) @ vh


def _abs2(x):
    return fnp.real(x * fnp.conj(x))


# name -> (function, args builder(shape, dtype), orders)
GRAD_CASES = {
    "solve": (la.solve, lambda s, d: (general(s, d), rand(s[:-1] + (2,), d)), 2),
    "solve_vec": (la.solve, lambda s, d: (general(s, d), rand(s[-1:], d)), 2),
    "inv": (la.inv, lambda s, d: (general(s, d),), 2),
    "det": (la.det, lambda s, d: (general(s, d),), 2),
    "slogdet": (lambda a: la.slogdet(a)[1], lambda s, d: (general(s, d),), 2),
    "slogdet_sign": (lambda a: la.slogdet(a)[0], lambda s, d: (general(s, d),), 1),
    "cholesky": (la.cholesky, lambda s, d: (spd(s, d),), 2),
    "cholesky_upper": (lambda a: la.cholesky(a, upper=True), lambda s, d: (spd(s, d),), 2),
    "eigvalsh": (la.eigvalsh, lambda s, d: (sym(s, d),), 2),
    "eigh_sum_f": (lambda a: fnp.sum(fnp.sin(la.eigh(a)[0])), lambda s, d: (sym(s, d),), 2),
    "eigh_recon": (_recon_eigh, lambda s, d: (sym(s, d),), 2),
    "eigh_U_recon": (
        lambda a: _recon_eigh(fnp.conj(fnp.swapaxes(a, -1, -2))),
        lambda s, d: (sym(s, d),),
        1,
    ),
    "eigh_vec_abs2": (lambda a: _abs2(la.eigh(a)[1]), lambda s, d: (sym(s, d),), 1),
    "svdvals": (la.svdvals, lambda s, d: (rand(s, d),), 2),
    "svd_recon": (_recon_svd, lambda s, d: (rand(s, d),), 2),
    "svd_u_abs2": (
        lambda a: _abs2(la.svd(a, full_matrices=False)[0]),
        lambda s, d: (rand(s, d),),
        1,
    ),
    "svd_vh_abs2": (
        lambda a: _abs2(la.svd(a, full_matrices=False)[2]),
        lambda s, d: (rand(s, d),),
        1,
    ),
    "svd_hermitian_s": (lambda a: la.svd(a, hermitian=True)[1], lambda s, d: (sym(s, d),), 1),
    "qr": (la.qr, lambda s, d: (rand(s, d) + np.eye(*s[-2:]) * 2,), 2),
    "qr_r": (lambda a: la.qr(a, "r"), lambda s, d: (rand(s, d) + np.eye(*s[-2:]) * 2,), 1),
    "pinv": (la.pinv, lambda s, d: (rand(s, d) + np.eye(*s[-2:]) * 2,), 2),
    "eigvals": (la.eigvals, lambda s, d: (general(s, d),), 1),
    "matrix_power": (lambda a: la.matrix_power(a, 5), lambda s, d: (general(s, d) / 3,), 2),
    "matrix_power_neg": (lambda a: la.matrix_power(a, -2), lambda s, d: (general(s, d),), 1),
    "norm_nuc": (lambda a: la.norm(a, "nuc", axis=(-2, -1)), lambda s, d: (rand(s, d),), 1),
    "norm_2": (lambda a: la.norm(a, 2, axis=(-2, -1)), lambda s, d: (rand(s, d),), 1),
    "cond": (la.cond, lambda s, d: (general(s, d),), 1),
}
GRAD_SQUARE = {
    "solve",
    "solve_vec",
    "inv",
    "det",
    "slogdet",
    "slogdet_sign",
    "cholesky",
    "cholesky_upper",
    "eigvalsh",
    "eigh_sum_f",
    "eigh_recon",
    "eigh_U_recon",
    "eigh_vec_abs2",
    "svd_hermitian_s",
    "eigvals",
    "matrix_power",
    "matrix_power_neg",
    "cond",
}
REAL_ONLY = {"slogdet_sign", "eigvals", "svd_hermitian_s", "cond"}


GRAD_SHAPES = [(3, 3), (2, 3, 3), (4, 3), (3, 4)]


def grad_square_or_any(name, shape):
    """The functions of square matrices get square shapes only."""
    return name not in GRAD_SQUARE or shape[-1] == shape[-2]


@parametrize_product(name=sorted(GRAD_CASES), shape=GRAD_SHAPES, keep=grad_square_or_any)
def test_grads(name, shape):
    f, build, order = GRAD_CASES[name]
    check_grads(f, build(shape, np.float64), order=order)


@parametrize_product(name=sorted(set(GRAD_CASES) - REAL_ONLY), shape=GRAD_SHAPES,
                     keep=grad_square_or_any)
def test_grads_complex(name, shape):
    f, build, order = GRAD_CASES[name]
    check_grads(f, build(shape, np.complex128), order=order)


def test_grads_float32():
    a = spd((3, 3), np.float32)
    for f in (la.inv, la.det, la.cholesky, la.eigvalsh, lambda x: la.slogdet(x)[1]):
        check_grads(f, (a,), order=1, atol=2e-2, rtol=2e-2)


def test_slogdet_complex_sign():
    check_grads(lambda a: la.slogdet(a)[0], (general((3, 3), np.complex128),), order=2)


def test_eig_vectors_follow_numpy_normalization():
    # real eigenvalues, complex eigenvalues of a real matrix, and a complex matrix
    p = general((3, 3))
    real_spectrum = p @ np.diag([1.0, 2.0, 4.0]) @ np.linalg.inv(p)
    for a in (real_spectrum, rand((4, 4)), rand((3, 3), np.complex128)):
        check_grads(la.eig, (a,), order=1)
    check_grads(la.eig, (rand((3, 3)),), order=2)


def test_lstsq():
    a, b = rand((5, 3)), rand((5, 2))
    got = inside(lambda a, b: la.lstsq(a, b), a, b)
    want = np.linalg.lstsq(a, b)
    assert_same(got[0], want[0], rtol=1e-10, atol=1e-10)
    assert_same(got[1], want[1], rtol=1e-10, atol=1e-10)
    assert int(got[2]) == want[2]
    assert_same(got[3], want[3], rtol=1e-10, atol=1e-10)
    got1 = inside(lambda a, b: la.lstsq(a, b), a, b[:, 0])
    assert_same(got1[1], np.linalg.lstsq(a, b[:, 0])[1], rtol=1e-10, atol=1e-10)  # shape (1,)
    deficient = np.c_[a[:, :2], a[:, :1]]
    got2 = inside(lambda a: la.lstsq(a, b), deficient)
    want2 = np.linalg.lstsq(deficient, b)
    assert_same(got2[0], want2[0], rtol=1e-10, atol=1e-10)
    assert got2[1].shape == (0,) and int(got2[2]) == 2
    check_grads(lambda a, b: la.lstsq(a, b)[0], (a, b), order=2)
    check_grads(lambda a, b: la.lstsq(a, b)[1], (a, b), order=1)
    check_grads(lambda a, b: la.lstsq(a, b)[0], (rand((3, 5)), rand(3)), order=1)


def test_tensorsolve_tensorinv_multi_dot():
    a = general((6, 6)).reshape(2, 3, 6)
    b = rand((2, 3))
    assert_same(inside(la.tensorsolve, a, b), np.linalg.tensorsolve(a, b), rtol=1e-10, atol=1e-10)
    a2 = general((6, 6)).reshape(6, 2, 3)
    b2 = rand((2, 3))
    assert_same(
        inside(lambda a, b: la.tensorsolve(a, b, (0,)), a2, b2),
        np.linalg.tensorsolve(a2, b2, (0,)),
        rtol=1e-10, atol=1e-10,
    )
    assert_same(inside(lambda a: la.tensorinv(a, 1), a2), np.linalg.tensorinv(a2, 1),
                rtol=1e-10, atol=1e-10)
    check_grads(la.tensorsolve, (a, b), order=1)
    check_grads(lambda a: la.tensorinv(a, 1), (a2,), order=1)
    arrays = [rand(3), rand((3, 4)), rand((4, 2)), rand((2, 5)), rand(5)]
    assert_same(inside(lambda *xs: la.multi_dot(list(xs)), *arrays), np.linalg.multi_dot(arrays),
                rtol=1e-10, atol=1e-10)
    arrays2 = [rand((2, 3)), rand((3, 4)), rand((4, 2))]
    assert_same(inside(lambda *xs: la.multi_dot(xs), *arrays2), np.linalg.multi_dot(arrays2),
                rtol=1e-10, atol=1e-10)
    check_grads(lambda *xs: la.multi_dot(list(xs)), arrays, order=1)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -3])
def test_matrix_power(n):
    a = general((2, 3, 3)) / 3
    assert_same(inside(lambda a: la.matrix_power(a, n), a), np.linalg.matrix_power(a, n),
                rtol=1e-10, atol=1e-10)


def test_array_api_functions():
    x, y = rand((2, 3, 3)), rand((2, 3, 3))
    v = rand(3)
    for f, args in [
        (la.trace, (x,)),
        (lambda x: la.trace(x, offset=1), (x,)),
        (la.diagonal, (x,)),
        (la.matrix_transpose, (x,)),
        (la.matmul, (x, y)),
        (la.vecdot, (x, y)),
        (la.cross, (x, y)),
        (la.outer, (v, v)),
        (lambda a, b: la.tensordot(a, b, axes=1), (x, rand((3, 2)))),
        (la.vector_norm, (x,)),
        (lambda x: la.vector_norm(x, axis=(0, 2), keepdims=True), (x,)),
        (lambda x: la.vector_norm(x, ord=3, axis=1), (x,)),
        (lambda x: la.matrix_norm(x, ord=1), (x,)),
        (lambda x: la.matrix_norm(x, ord="nuc"), (x,)),
    ]:
        assert_same(inside(f, *args), f(*args), rtol=1e-10, atol=1e-10)
        check_grads(f, args, order=1)


# --------------------------------------------------------------------------------------------
# norm: every ord, axes, keepdims; gradient zero at zero

VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize("axis", [None, 0, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_vector_norm_values_and_grads(ord, axis, keepdims):  # noqa: A002
    x = rand((3, 4)) if axis is not None else rand(5)
    f = lambda x: la.norm(x, ord, axis, keepdims)  # noqa: E731
    assert_same(inside(f, x), np.linalg.norm(x, ord, axis, keepdims), rtol=1e-10, atol=1e-10)
    if ord != 0:
        check_grads(f, (x,), order=2 if ord in (None, 2, 3) else 1)


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("axis", [None, (0, 1), (2, 0), (-1, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norm_values_and_grads(ord, axis, keepdims):  # noqa: A002
    x = rand((3, 4)) if axis is None else rand((3, 4, 2))
    f = lambda x: la.norm(x, ord, axis, keepdims)  # noqa: E731
    assert_same(inside(f, x), np.linalg.norm(x, ord, axis, keepdims), rtol=1e-10, atol=1e-10)
    check_grads(f, (x,), order=1)


def test_norm_complex_and_int():
    z = rand((3, 4), np.complex128)
    for p in (None, 1, 2, np.inf, 3):
        f = lambda z, p=p: la.norm(z, p, axis=1)  # noqa: E731
        assert_same(inside(f, z), np.linalg.norm(z, p, axis=1), rtol=1e-10, atol=1e-10)
        check_grads(f, (z,), order=1)
    for p in ("fro", "nuc", 2, 1):
        f = lambda z, p=p: la.norm(z, p)  # noqa: E731
        assert_same(inside(f, z), np.linalg.norm(z, p), rtol=1e-10, atol=1e-10)
        check_grads(f, (z,), order=1)
    i = np.arange(6).reshape(2, 3)
    assert_same(inside(lambda x: la.norm(x) + 0 * fnp.sum(x), i), np.linalg.norm(i),
                rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "ord,axis,shape",
    [
        (None, None, (3,)),
        (2, None, (3,)),
        (None, None, (2, 3)),
        ("fro", None, (2, 3)),
        (3, 0, (3,)),
        (1, None, (3,)),
        (np.inf, None, (3,)),
        (2, None, (2, 3)),
        ("nuc", None, (2, 3)),
        (-2, None, (2, 2)),
        (1, None, (2, 3)),
        (np.inf, None, (2, 3)),
    ],
)
def test_norm_gradient_at_zero_is_zero(ord, axis, shape):
    x = np.zeros(shape)
    g = fd.grad(lambda x: la.norm(x, ord, axis))(x)
    assert np.all(g == 0), g
    h = fd.jvp(lambda x: la.norm(x, ord, axis), (x,), (np.ones(shape),))[1]
    assert h == 0
    z = np.zeros(shape, np.complex128)
    assert np.all(fd.grad(lambda z: la.norm(z, ord, axis))(z) == 0)
    # a batch of vectors where one is zero: that row's gradient is 0, the others finite
    xb = np.stack([np.zeros(3), np.ones(3)])
    gb = fd.grad(lambda x: la.norm(x, axis=1).sum())(xb)
    assert_same(gb, np.stack([np.zeros(3), np.ones(3) / np.sqrt(3)]), rtol=1e-10, atol=1e-10)


def test_degenerate_eigenvalues():
    # eigenvalue-only functions stay finite at repeated eigenvalues
    g = fd.grad(lambda a: fnp.sum(la.eigvalsh(a) ** 2))(np.eye(3))
    assert_same(g, 2 * np.eye(3), rtol=1e-10, atol=1e-10)
    g = fd.grad(lambda a: fnp.sum(la.svdvals(a)))(np.eye(3))
    assert_same(g, np.eye(3), rtol=1e-10, atol=1e-10)
    # eigenvector derivatives there are not finite (documented)
    with np.errstate(all="ignore"):
        g = fd.grad(lambda a: la.eigh(a)[1][1, 0])(np.eye(3) + np.diag([0.0, 0.0, 1.0]))
    assert not np.all(np.isfinite(g))


def test_cholesky_reads_lower_triangle():
    a = spd((3, 3))
    g = fd.grad(lambda a: fnp.sum(la.cholesky(a)))(a)
    assert np.all(np.triu(g, 1) == 0)
    g = fd.grad(lambda a: fnp.sum(la.cholesky(a, upper=True)))(a)
    assert np.all(np.tril(g, -1) == 0)
    g = fd.grad(lambda a: fnp.sum(la.eigh(a, "U")[0] ** 3))(a)
    assert np.all(np.tril(g, -1) == 0)


# --------------------------------------------------------------------------------------------
# vmap against a loop, for every primitive (batch axis 0 and elsewhere, unbatched arguments)

VMAP_CASES = {
    "solve": (la.solve, lambda: (general((3, 3)), rand((3, 2)))),
    "solve_vec": (la.solve, lambda: (general((3, 3)), rand(3))),
    "inv": (la.inv, lambda: (general((3, 3)),)),
    "det": (la.det, lambda: (general((3, 3)),)),
    "slogdet": (la.slogdet, lambda: (general((3, 3)),)),
    "cholesky": (la.cholesky, lambda: (spd((3, 3)),)),
    "eigh": (la.eigh, lambda: (sym((3, 3)),)),
    "eig": (la.eig, lambda: (general((3, 3)),)),
    "svd": (lambda a: la.svd(a, full_matrices=False), lambda: (rand((4, 3)),)),
    "svdvals": (la.svdvals, lambda: (rand((4, 3)),)),
    "qr": (la.qr, lambda: (rand((4, 3)),)),
    "pinv": (la.pinv, lambda: (rand((3, 4)),)),
    "norm": (lambda x: la.norm(x, "nuc"), lambda: (rand((3, 4)),)),
    "lstsq": (lambda a, b: la.lstsq(a, b)[0], lambda: (rand((4, 3)), rand(4))),
}


def _stacked(xs):
    return tuple(np.stack([leaves(x)[k] for x in xs]) for k in range(len(leaves(xs[0]))))


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_vmap_matches_loop(name):
    f, build = VMAP_CASES[name]
    examples = [build() for _ in range(3)]
    nargs = len(examples[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback loop: every primitive has a batch rule
        # all arguments batched on axis 0
        batched = [np.stack([e[i] for e in examples]) for i in range(nargs)]
        got = fd.vmap(f)(*batched)
        assert_same(tuple(leaves(got)), _stacked([f(*e) for e in examples]), rtol=1e-8, atol=1e-8)
        # batch axis last on the first argument, the others unbatched
        moved = np.moveaxis(batched[0], 0, -1)
        in_axes = (-1,) + (None,) * (nargs - 1)
        got = fd.vmap(f, in_axes=in_axes)(moved, *examples[0][1:])
        want = _stacked([f(e[0], *examples[0][1:]) for e in examples])
        assert_same(tuple(leaves(got)), want, rtol=1e-8, atol=1e-8)
        if nargs == 2:  # first argument unbatched, second batched
            got = fd.vmap(f, in_axes=(None, 0))(examples[0][0], batched[1])
            want = _stacked([f(examples[0][0], e[1]) for e in examples])
            assert_same(tuple(leaves(got)), want, rtol=1e-8, atol=1e-8)


def test_vmap_of_grad_and_grad_of_vmap():
    a = np.stack([general((3, 3)) for _ in range(3)])
    g = fd.vmap(fd.grad(lambda x: la.slogdet(x)[1]))(a)
    assert_same(g, np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-10, atol=1e-10)
    s = np.stack([sym((3, 3)) for _ in range(2)])
    f = lambda x: fnp.sum(_recon_eigh(x) ** 2) + fnp.sum(la.cholesky(x @ x + 9 * fnp.eye(3)))  # noqa: E731
    g1 = fd.vmap(fd.grad(f))(s)
    g2 = np.stack([fd.grad(f)(x) for x in s])
    assert_same(g1, g2, rtol=1e-8, atol=1e-8)
    g3 = fd.grad(lambda x: fnp.sum(fd.vmap(f)(x)))(s)
    assert_same(g3, g2, rtol=1e-8, atol=1e-8)
    # batched second order: hessian-vector products
    hv = fd.vmap(lambda x: fd.jvp(fd.grad(lambda y: la.det(y)), (x,), (fnp.ones((3, 3)),))[1])(a)
    want = np.stack([fd.jvp(fd.grad(la.det), (x,), (np.ones((3, 3)),))[1] for x in a])
    assert_same(hv, want, rtol=1e-8, atol=1e-8)


# --------------------------------------------------------------------------------------------
# jit and linearize (abstract evaluation of every primitive)


@pytest.mark.parametrize("name", sorted(VMAP_CASES))
def test_jit(name):
    f, build = VMAP_CASES[name]
    args = build()
    assert_same(tuple(leaves(fd.jit(f)(*args))), tuple(leaves(f(*args))), rtol=1e-10, atol=1e-10)


def test_linearize_and_jit_of_grad():
    a, b = general((3, 3)), rand((3, 2))
    f = lambda a, b: fnp.sum(la.solve(a, b) ** 2) + la.slogdet(a)[1] + fnp.sum(la.inv(a))  # noqa: E731
    y, f_jvp = fd.linearize(f, a, b)
    ta, tb = rand((3, 3)), rand((3, 2))
    assert_same(f_jvp(ta, tb), fd.jvp(f, (a, b), (ta, tb))[1], rtol=1e-10, atol=1e-10)
    g = fd.jit(fd.grad(f))(a, b)
    assert_same(g, fd.grad(f)(a, b), rtol=1e-10, atol=1e-10)
    h = lambda a: fnp.sum(la.eigh(a)[0] ** 3) + fnp.sum(la.svd(a)[1]) + fnp.sum(la.qr(a)[1])  # noqa: E731
    s = sym((3, 3))
    assert_same(fd.jit(fd.grad(h))(s), fd.grad(h)(s), rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------------------------
# More shapes and dtypes


def test_solve_broadcasting_grads():
    a = general((2, 3, 3))
    check_grads(la.solve, (a, rand((3, 2))), order=2)
    check_grads(la.solve, (a[0], rand((2, 3, 2))), order=2)
    check_grads(la.solve, (a[:, None], rand((4, 3, 2))), order=1)
    check_grads(la.solve, (a, rand(3)), order=2)


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0)])
@pytest.mark.parametrize(
    "f",
    [
        la.inv,
        la.det,
        lambda x: la.slogdet(x)[1],
        la.cholesky,
        lambda x: la.eigh(x)[0],
        lambda x: la.svd(x)[1],
        lambda x: la.qr(x)[1],
        la.pinv,
        la.norm,
        lambda x: la.solve(x, fnp.ones(x.shape[:-1] + (2,))),
    ],
)
def test_empty_matrices(f, shape):
    a = np.zeros(shape)
    assert_same(inside(f, a), f(a), rtol=1e-10, atol=1e-10)
    assert fd.grad(lambda x: fnp.sum(f(x)))(a).shape == shape


@pytest.mark.parametrize(
    "f",
    [
        la.inv,
        la.det,
        lambda x: la.eigh(x)[1],
        lambda x: la.svd(x)[0],
        lambda x: la.qr(x)[0],
        la.pinv,
        lambda x: la.slogdet(x)[0],
        lambda x: la.eig(x)[1],
        la.cholesky,
    ],
)
def test_complex64_stays_complex64(f):
    c = spd((3, 3), np.complex64)
    assert inside(f, c).dtype == f(c).dtype
    assert fd.grad(lambda x: fnp.sum(fnp.abs(f(x))))(c).dtype == np.complex64


def test_pinv_hermitian_and_tolerances():
    a = rand((4, 4))
    check_grads(lambda a: la.pinv(a, hermitian=True), (a @ a.T + np.eye(4),), order=2)
    for kw in ({"rtol": 0.5}, {"rtol": None}, {"rcond": 0.3}):
        assert_same(inside(lambda a, kw=kw: la.pinv(a, **kw), a), np.linalg.pinv(a, **kw),
                    rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="both set"):
        fd.grad(lambda a: la.pinv(a, 0.1, rtol=0.1).sum())(a)


def test_numpy_functions_dispatch_to_funcdiff():
    a = general((3, 3))
    assert_same(fd.grad(lambda a: np.linalg.det(a))(a), fd.grad(la.det)(a), rtol=1e-10, atol=1e-10)
    assert_same(fd.grad(lambda a: np.linalg.norm(a))(a), a / np.linalg.norm(a),
                rtol=1e-10, atol=1e-10)
    s = spd((3, 3))
    assert_same(
        fd.grad(lambda a: np.sum(np.linalg.cholesky(a)))(s),
        fd.grad(lambda a: fnp.sum(la.cholesky(a)))(s), rtol=1e-10, atol=1e-10,
    )


def test_vmap_grad_eig_complex_spectrum():
    r = rand((3, 4, 4))

    def f(a):
        w, v = la.eig(a)
        return fnp.sum(fnp.abs(v[0])) + fnp.sum(fnp.real(w**2))

    assert_same(fd.vmap(fd.grad(f))(r), np.stack([fd.grad(f)(x) for x in r]), rtol=1e-8, atol=1e-8)


def test_lstsq_under_vmap():
    a, b = rand((2, 5, 3)), rand((2, 5))
    x, res, rank, s = fd.vmap(la.lstsq)(a, b)
    for i in range(2):
        want = np.linalg.lstsq(a[i], b[i])
        assert_same(x[i], want[0], rtol=1e-8, atol=1e-8)
        assert_same(res[i], want[1], rtol=1e-8, atol=1e-8)
        assert int(rank[i]) == want[2]
        assert_same(s[i], want[3], rtol=1e-8, atol=1e-8)


def test_lists_holding_tracers():
    g = fd.grad(lambda x: la.det([[x, 1.0], [2.0, 3.0]]))(2.0)
    assert float(g) == 3.0
    g = fd.grad(lambda x: la.norm([x, 4.0]))(3.0)
    assert abs(float(g) - 0.6) < 1e-12


# --------------------------------------------------------------------------------------------
# det at singular matrices: its derivatives of every order are polynomials (the adjugate and
# its derivatives), checked against finite differences of numpy.linalg.det. det is affine in
# each entry, so central differences along one entry (and mixed ones along two) are exact up
# to rounding, and five-point differences along any direction are exact for n <= 4.


def singular(shape, rank, kind="integer", dtype=np.float64, seed=0):
    """A (stack of) n x n matrices of exactly this rank: integer products (exactly singular
    in floating point) or Gaussian products (singular up to rounding)."""
    n = shape[-1]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(int(np.prod(shape[:-2], dtype=int))):
        while True:
            if kind == "integer":
                draw = lambda s: rng.integers(-3, 4, s).astype(dtype)  # noqa: E731
            else:
                draw = lambda s: rng.standard_normal(s).astype(dtype)  # noqa: E731
            u, v = draw((n, rank)), draw((rank, n))
            if np.dtype(dtype).kind == "c":
                u, v = u + 1j * draw((n, rank)), v + 1j * draw((rank, n))
            a = np.asarray(u @ v, dtype)
            if np.linalg.matrix_rank(a) == rank:
                break
        out.append(a)
    return np.stack(out).reshape(shape)


def fd_hess(f, a, h=0.1):
    out = np.zeros(a.shape * 2, np.result_type(a, f(a)))
    for i in np.ndindex(a.shape):
        for j in np.ndindex(a.shape):
            ei, ej = np.zeros_like(a), np.zeros_like(a)
            ei[i], ej[j] = h, h
            num = f(a + ei + ej) - f(a + ei - ej) - f(a - ei + ej) + f(a - ei - ej)
            out[i + j] = num / (4 * h * h)
    return out


def fd_dir(f, a, e, h=0.1):
    """Derivative along `e`: five points, exact for polynomials of degree <= 4."""
    return (-f(a + 2 * h * e) + 8 * f(a + h * e) - 8 * f(a - h * e) + f(a - 2 * h * e)) / (12 * h)


def det_sum(a):
    return np.sum(np.linalg.det(a))


def cofactors(a):
    """C[i, j] = (-1)^(i+j) det(a without row i and column j), from numpy.linalg.det."""
    n = a.shape[-1]
    c = np.zeros_like(a)
    for i in range(n):
        for j in range(n):
            m = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
            c[..., i, j] = (-1) ** (i + j) * (np.linalg.det(m) if n > 1 else 1.0)
    return c


# (n, rank): rank n - 1 and rank <= n - 2 for n = 1..4
SINGULAR = [(1, 0), (2, 1), (2, 0), (3, 2), (3, 1), (3, 0), (4, 3), (4, 2), (4, 1), (4, 0)]


@pytest.mark.parametrize("kind", ["integer", "float"])
@pytest.mark.parametrize("n,rank", SINGULAR)
def test_det_grad_at_singular(n, rank, kind):
    a = singular((n, n), rank, kind)
    want = fd_grad(np.linalg.det, a, eps=1e-2)
    close_scaled(cofactors(a), want)  # the two references agree
    g = fd.grad(la.det)(a)
    close_scaled(g, want)
    close_scaled(fd.vjp(la.det, a)[1](1.0)[0], want)
    close_scaled(fd.jacrev(la.det)(a), want)
    close_scaled(fd.jacfwd(la.det)(a), want)
    if rank <= n - 2:  # all (n-1)-minors vanish
        assert np.abs(g).max() <= 1e-12 * max(1.0, np.abs(a).max()) ** (n - 1)


@pytest.mark.parametrize("kind", ["integer", "float"])
@pytest.mark.parametrize("n,rank", SINGULAR)
def test_det_jvp_at_singular(n, rank, kind):
    a, e = singular((n, n), rank, kind), rand((n, n))
    want = fd_dir(np.linalg.det, a, e)
    close_scaled(fd.jvp(la.det, (a,), (e,))[1], want)
    close_scaled(fd.linearize(la.det, a)[1](e), want)


@pytest.mark.parametrize("kind", ["integer", "float"])
@pytest.mark.parametrize("n,rank", SINGULAR)
def test_det_hessian_at_singular(n, rank, kind):
    a, e = singular((n, n), rank, kind), rand((n, n))
    want = fd_hess(np.linalg.det, a)
    close_scaled(fd.hessian(la.det)(a), want)
    close_scaled(fd.jacfwd(fd.grad(la.det))(a), want)
    close_scaled(fd.jacrev(fd.grad(la.det))(a), want)
    want_e = np.einsum("ijkl,kl->ij", want, e)
    close_scaled(fd.grad(lambda x: fnp.sum(fd.grad(la.det)(x) * e))(a), want_e)  # grad of grad
    close_scaled(fd.jvp(fd.grad(la.det), (a,), (e,))[1], want_e)  # forward over reverse
    close_scaled(
        fd.jvp(lambda x: fd.jvp(la.det, (x,), (e,))[1], (a,), (e,))[1],
        fd_dir(lambda x: fd_dir(np.linalg.det, x, e), a, e),
    )  # forward over forward


@pytest.mark.parametrize("n,rank", [(3, 2), (3, 1), (3, 0), (4, 3), (4, 2), (4, 1)])
def test_det_third_derivative_at_singular(n, rank):
    a, e = singular((n, n), rank), rand((n, n))
    h = 0.1  # Hessian entries are polynomials of degree n - 2 <= 2 along e
    want = (fd_hess(np.linalg.det, a + h * e) - fd_hess(np.linalg.det, a - h * e)) / (2 * h)
    t_fwd = fd.jacfwd(fd.hessian(la.det))(a)
    close_scaled(np.einsum("ijklmn,mn->ijkl", t_fwd, e), want, rtol=1e-8)
    t_rev = fd.jacrev(fd.hessian(la.det))(a)
    close_scaled(np.einsum("ijklmn,mn->ijkl", t_rev, e), want, rtol=1e-8)
    # and the fourth, along e four times (d^4/dt^4 det(a + t e) = 24 x the t^4 coefficient)
    d = la.det
    for _ in range(4):
        d = (lambda f: lambda x: fd.jvp(f, (x,), (e,))[1])(d)
    ts = np.arange(-2.0, 3.0)
    coef = np.polyfit(ts, [np.linalg.det(a + t * e) for t in ts], 4)  # exact: degree n <= 4
    close_scaled(d(a), 24 * coef[0], rtol=1e-7)


def test_det_derivatives_batched_singular():
    a = np.stack([singular((3, 3), 2, seed=1), singular((3, 3), 1, seed=2)])
    e = rand((2, 3, 3))
    close_scaled(fd.grad(lambda x: fnp.sum(la.det(x)))(a), fd_grad(det_sum, a, eps=1e-2))
    close_scaled(
        fd.jvp(la.det, (a,), (e,))[1], np.array([fd_dir(np.linalg.det, x, y) for x, y in zip(a, e)])
    )
    close_scaled(fd.hessian(lambda x: fnp.sum(la.det(x)))(a), fd_hess(det_sum, a))
    b = singular((2, 3, 3), 2, "float", seed=3)
    close_scaled(fd.grad(lambda x: fnp.sum(la.det(x)))(b), fd_grad(det_sum, b, eps=1e-2))


def test_det_vmap_at_singular():
    a = np.stack([singular((3, 3), r, seed=r) for r in (2, 1, 0)] + [general((3, 3))])
    e = rand((4, 3, 3))
    g = fd.vmap(fd.grad(la.det))(a)
    close_scaled(g, np.stack([fd.grad(la.det)(x) for x in a]))
    close_scaled(g, np.stack([fd_grad(np.linalg.det, x, eps=1e-2) for x in a]))
    h = fd.vmap(fd.hessian(la.det))(a)
    close_scaled(h, np.stack([fd.hessian(la.det)(x) for x in a]))
    close_scaled(h, np.stack([fd_hess(np.linalg.det, x) for x in a]))
    # batched tangents at one singular matrix, and batched matrices with one tangent
    hv = fd.vmap(lambda t: fd.jvp(fd.grad(la.det), (a[1],), (t,))[1])(e)
    close_scaled(hv, np.stack([np.einsum("ijkl,kl->ij", h[1], t) for t in e]))
    hv = fd.vmap(lambda x: fd.jvp(fd.grad(la.det), (x,), (e[0],))[1])(a)
    close_scaled(hv, np.einsum("bijkl,kl->bij", h, e[0]))
    t3 = fd.vmap(fd.jacfwd(fd.hessian(la.det)))(a[:2])
    close_scaled(t3, np.stack([fd.jacfwd(fd.hessian(la.det))(x) for x in a[:2]]))


def test_jit_grad_det_at_singular():
    g, h = fd.jit(fd.grad(la.det)), fd.jit(fd.hessian(la.det))
    for a in (
        singular((3, 3), 2),
        singular((3, 3), 1),
        singular((4, 4), 2, "float"),
        general((3, 3)),
    ):
        close_scaled(g(a), fd_grad(np.linalg.det, a, eps=1e-2))
        close_scaled(h(a), fd_hess(np.linalg.det, a))
    a = singular((2, 3, 3), 1)
    close_scaled(fd.jit(fd.grad(lambda x: fnp.sum(la.det(x))))(a), fd_grad(det_sum, a, eps=1e-2))


@pytest.mark.parametrize("n,rank", [(1, 0), (2, 1), (3, 2), (3, 1), (4, 2), (4, 1)])
def test_det_complex_at_singular(n, rank):
    a = singular((n, n), rank, dtype=np.complex128)
    e = rand((n, n), np.complex128)
    # real steps: the complex derivative (det is holomorphic)
    want = fd_grad(np.linalg.det, a, eps=1e-2)
    close_scaled(fd.grad(la.det, holomorphic=True)(a), want)
    close_scaled(fd.vjp(la.det, a)[1](1.0 + 0j)[0], want)
    close_scaled(fd.jvp(la.det, (a,), (e,))[1], fd_dir(np.linalg.det, a, e))
    hess = fd_hess(np.linalg.det, a)
    close_scaled(
        fd.jvp(lambda x: fd.vjp(la.det, x)[1](1.0 + 0j)[0], (a,), (e,))[1],
        np.einsum("ijkl,kl->ij", hess, e),
    )
    gg = fd.grad(lambda x: fd.grad(la.det, holomorphic=True)(x)[0, -1], holomorphic=True)(a)
    close_scaled(gg, hess[0, -1])
    check_grads(la.det, (a,), order=2)


@pytest.mark.parametrize("kind", ["integer", "float"])
def test_check_grads_det_at_singular(kind):
    for n, rank in [(3, 1), (4, 2), (4, 3)]:
        check_grads(la.det, (singular((n, n), rank, kind),), order=3)


def test_det_near_singular_matches_differences():
    # ill conditioned (not singular): the adjugate's derivative leaves its det * inverse
    # formula for the SVD one; both must agree with the numbers
    u, _ = np.linalg.qr(rand((4, 4)))
    v, _ = np.linalg.qr(rand((4, 4)))
    for s in ([2.0, 1.0, 0.5, 1e-7], [2.0, 1.0, 1e-6, 1e-9], [1.0, 1.0, 1.0, 1e-3]):
        a = (u * s) @ v.T
        close_scaled(fd.grad(la.det)(a), fd_grad(np.linalg.det, a, eps=1e-2))
        close_scaled(fd.hessian(la.det)(a), fd_hess(np.linalg.det, a))


@pytest.mark.parametrize(
    "a",
    [
        general((3, 3)),
        singular((3, 3), 2),
        singular((4, 4), 1),
        singular((4, 4), 2, "float"),
        singular((5, 5), 3, "float"),
        singular((2, 3, 3), 1),
        np.zeros((3, 3)),
        singular((3, 3), 2, dtype=np.complex128),
        general((2, 4, 4), np.complex128),
        singular((3, 3), 1, dtype=np.float32),
        np.zeros((0, 0)),
        np.array([[5.0]]),
        np.array([[1.0, 2.0], [3.0, 4.0]]),
    ],
    ids=lambda a: f"{a.dtype}{a.shape}",
)
def test_adjugate_values(a):
    from funcdiff._src.lax.linalg import adjugate

    want = np.swapaxes(cofactors(a), -1, -2)
    got = adjugate(a)
    assert got.dtype == a.dtype and got.shape == a.shape
    close_scaled(got, want, rtol=1e-4 if a.dtype == np.float32 else 1e-9)
    close_scaled(inside(adjugate, a), want, rtol=1e-4 if a.dtype == np.float32 else 1e-9)


def test_det_float32_at_singular():
    a = singular((3, 3), 1, dtype=np.float32)
    g = fd.grad(la.det)(a)
    assert g.dtype == np.float32
    close_scaled(g, fd_grad(np.linalg.det, a.astype(np.float64), eps=1e-2), rtol=1e-5)
    h = fd.hessian(la.det)(a)
    assert h.dtype == np.float32
    close_scaled(h, fd_hess(np.linalg.det, a.astype(np.float64)), rtol=1e-5)


def test_slogdet_at_singular_matrix_raises():
    a = singular((3, 3), 2)
    sign, logdet = inside(la.slogdet, a)  # the values are NumPy's: (0, -inf)
    assert sign == 0 and logdet == -np.inf
    for f in (
        lambda: fd.grad(lambda x: la.slogdet(x).logabsdet)(a),
        lambda: fd.jvp(lambda x: la.slogdet(x).logabsdet, (a,), (a,)),
        lambda: fd.grad(lambda x: la.slogdet(x).sign)(a),
        lambda: fd.grad(lambda x: la.slogdet(x).logabsdet)(a.astype(np.complex128)),
        lambda: fd.grad(lambda x: fnp.sum(la.slogdet(x).logabsdet))(np.stack([general((3, 3)), a])),
    ):
        with pytest.raises(la.LinAlgError, match="slogdet: no derivative at a singular"):
            f()
    # abstract values (jit, vmap): the solve in the rule raises when it runs
    with pytest.raises(la.LinAlgError):
        fd.jit(fd.grad(lambda x: la.slogdet(x).logabsdet))(a)
    with pytest.raises(la.LinAlgError):
        fd.vmap(fd.grad(lambda x: la.slogdet(x).logabsdet))(a[None])


def test_inv_and_solve_at_singular_matrix_raise():
    a = singular((3, 3), 2)
    with pytest.raises(la.LinAlgError):
        fd.grad(lambda x: fnp.sum(la.inv(x)))(a)
    with pytest.raises(la.LinAlgError):
        fd.grad(lambda x: fnp.sum(la.solve(x, np.ones(3))))(a)
