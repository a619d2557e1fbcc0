"""funcdiff.scipy.linalg: values vs scipy.linalg, derivatives vs finite differences, vmap.

Each row of CASES is a function of arrays built on funcdiff.scipy.linalg and
the same function on scipy.linalg. Values are compared inside a transform
(where the funcdiff primitives run) with SciPy's, derivatives of order 2 in
forward and reverse mode with `check_grads`, and `vmap` with a loop.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sl
from helpers import inside, parametrize_product

import funcdiff as fd
from funcdiff.scipy import linalg as fsl
from funcdiff.testing import check_grads

N = 3
_rng = np.random.default_rng(0)


def _mat(*shape, dtype=np.float64):
    x = _rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * _rng.standard_normal(shape)
    return x.astype(dtype)


def _tri(*lead, dtype=np.float64):
    return _mat(*lead, N, N, dtype=dtype) + 3 * np.eye(N)


def _spd(*lead, dtype=np.float64):
    a = _mat(*lead, N, N, dtype=dtype)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) + N * np.eye(N)).astype(dtype)


def _band(*lead, dtype=np.float64):
    return (_mat(*lead, 4, N, dtype=dtype) + np.array([0, 0, 4, 0])[:, None]).astype(dtype)


def _sym(*lead, dtype=np.float64):
    a = _mat(*lead, N, N, dtype=dtype)
    return a + np.conj(np.swapaxes(a, -1, -2))


# name -> (funcdiff function, SciPy function, argument makers)
CASES = {
    "solve_triangular": (
        lambda a, b: fsl.solve_triangular(a, b),
        lambda a, b: sl.solve_triangular(a, b),
        (_tri, lambda *lead, dtype=np.float64: _mat(*lead, N, 2, dtype=dtype)),
    ),
    "solve_triangular_lower_T_vector": (
        lambda a, b: fsl.solve_triangular(a, b, trans="T", lower=True),
        lambda a, b: sl.solve_triangular(a, b, trans="T", lower=True),
        (_tri, lambda *lead, dtype=np.float64: _mat(*lead, N, dtype=dtype)),
    ),
    "solve_triangular_unit_C": (
        lambda a, b: fsl.solve_triangular(a, b, trans=2, lower=True, unit_diagonal=True),
        lambda a, b: sl.solve_triangular(a, b, trans=2, lower=True, unit_diagonal=True),
        (_tri, lambda *lead, dtype=np.float64: _mat(*lead, N, 2, dtype=dtype)),
    ),
    "cho_factor": (
        lambda a: fsl.cho_factor(a)[0],
        lambda a: sl.cho_factor(a)[0],
        (_spd,),
    ),
    "cho_solve": (
        lambda a, b: fsl.cho_solve(fsl.cho_factor(a), b),
        lambda a, b: sl.cho_solve(sl.cho_factor(a), b),
        (_spd, lambda *lead, dtype=np.float64: _mat(*lead, N, 2, dtype=dtype)),
    ),
    "cho_solve_lower": (
        lambda c, b: fsl.cho_solve((c, True), b),
        lambda c, b: sl.cho_solve((c, True), b),
        (_tri, lambda *lead, dtype=np.float64: _mat(*lead, N, dtype=dtype)),
    ),
    "lu_factor": (
        lambda a: fsl.lu_factor(a)[0],
        lambda a: sl.lu_factor(a)[0],
        (lambda *lead, dtype=np.float64: _mat(*lead, N, N, dtype=dtype),),
    ),
    "lu_solve": (
        lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b),
        lambda a, b: sl.lu_solve(sl.lu_factor(a), b),
        (
            lambda *lead, dtype=np.float64: _mat(*lead, N, N, dtype=dtype),
            lambda *lead, dtype=np.float64: _mat(*lead, N, 2, dtype=dtype),
        ),
    ),
    "lu_solve_trans": (
        lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b, trans=1),
        lambda a, b: sl.lu_solve(sl.lu_factor(a), b, trans=1),
        (
            lambda *lead, dtype=np.float64: _mat(*lead, N, N, dtype=dtype),
            lambda *lead, dtype=np.float64: _mat(*lead, N, dtype=dtype),
        ),
    ),
    "expm": (fsl.expm, sl.expm, (lambda *lead, dtype=np.float64: _mat(*lead, N, N, dtype=dtype),)),
    "sqrtm": (fsl.sqrtm, sl.sqrtm, (_spd,)),
    "solve_sylvester": (
        fsl.solve_sylvester,
        sl.solve_sylvester,
        (
            _tri,
            lambda *lead, dtype=np.float64: _mat(*lead, 2, 2, dtype=dtype) + 3 * np.eye(2),
            lambda *lead, dtype=np.float64: _mat(*lead, N, 2, dtype=dtype),
        ),
    ),
    "solve_banded": (
        lambda ab, b: fsl.solve_banded((1, 2), ab, b),
        lambda ab, b: sl.solve_banded((1, 2), ab, b),
        (_band, lambda *lead, dtype=np.float64: _mat(*lead, N, 2, dtype=dtype)),
    ),
    "block_diag": (
        lambda x, y: fsl.block_diag(x, y, 2.0),
        lambda x, y: sl.block_diag(x, y, 2.0),
        (
            lambda *lead, dtype=np.float64: _mat(*lead, 2, 3, dtype=dtype),
            lambda *lead, dtype=np.float64: _mat(*lead, 2, dtype=dtype),
        ),
    ),
    "eigh_values": (
        lambda a: fsl.eigh(a, eigvals_only=True),
        lambda a: sl.eigh(a, eigvals_only=True),
        (lambda *lead, dtype=np.float64: _mat(*lead, N, N, dtype=dtype),),
    ),
    "eigh_vectors_upper": (  # squared: the sign of each eigenvector is arbitrary
        lambda a: abs(fsl.eigh(a, lower=False)[1]) ** 2,
        lambda a: abs(sl.eigh(a, lower=False)[1]) ** 2,
        (lambda *lead, dtype=np.float64: _mat(*lead, N, N, dtype=dtype),),
    ),
    "eigh_generalized": (
        lambda a, b: fsl.eigh(a, b, eigvals_only=True),
        lambda a, b: sl.eigh(a, b, eigvals_only=True),
        (_sym, _spd),
    ),
}


# -- decompositions and solvers (issue #16) ---------------------------------------------------
def _rows(*lead, dtype=np.float64, n=N):
    return _mat(*lead, n, n, dtype=dtype)


def _tall(*lead, dtype=np.float64):
    return _mat(*lead, N + 1, N, dtype=dtype)


def _rhs(*lead, dtype=np.float64):
    return _mat(*lead, N, 2, dtype=dtype)


def _vec(*lead, dtype=np.float64):
    return _mat(*lead, N, dtype=dtype)


def _off(*lead, dtype=np.float64):
    return _mat(*lead, N - 1, dtype=dtype)


def _real_eigs(*lead, dtype=np.float64):
    """Matrices with distinct real eigenvalues (1, 2, 3.5): triangular Schur forms."""
    q = _mat(*lead, N, N) + 3 * np.eye(N)
    return (q @ np.diag([1.0, 2.0, 3.5]) @ np.linalg.inv(q)).astype(dtype)


def _quasi_triangular(*lead, dtype=np.float64):
    """Real Schur forms with a 2x2 block of complex eigenvalues at the top."""
    t = np.triu(_mat(*lead, N, N))
    t[..., 0, 0] = t[..., 1, 1] = 0.5
    t[..., 0, 1] = 1.5 + abs(t[..., 0, 1])
    t[..., 1, 0] = -0.8
    return t.astype(dtype)


def _orthogonal(*lead, dtype=np.float64):
    return np.linalg.qr(_mat(*lead, N, N))[0].astype(dtype)


_QUASI = np.triu(np.ones((N, N))) + np.diag([1.0] + [0.0] * (N - 2), -1)  # the block pattern


def _abs(res):
    """Decomposition outputs without their arbitrary signs/phases (gauge-invariant)."""
    return tuple(abs(r) for r in res)


def _fsl_and_sl(template, *makers):
    return template(fsl), template(sl), makers


CASES.update({
    "cholesky": _fsl_and_sl(lambda m: m.cholesky, _spd),
    "cholesky_lower": _fsl_and_sl(lambda m: lambda a: m.cholesky(a, lower=True), _spd),
    "det": _fsl_and_sl(lambda m: m.det, _rows),
    "inv": _fsl_and_sl(lambda m: m.inv, _rows),
    "inv_pos_lower": _fsl_and_sl(lambda m: lambda a: m.inv(a, assume_a="pos", lower=True), _spd),
    "inv_upper_triangular": _fsl_and_sl(
        lambda m: lambda a: m.inv(a, assume_a="upper triangular"), _tri),
    "inv_diagonal": _fsl_and_sl(lambda m: lambda a: m.inv(a, assume_a="diagonal"), _tri),
    "solve": _fsl_and_sl(lambda m: m.solve, _rows, _rhs),
    "solve_vector": _fsl_and_sl(lambda m: m.solve, _rows, _vec),
    "solve_sym_lower": _fsl_and_sl(
        lambda m: lambda a, b: m.solve(a, b, assume_a="sym", lower=True), _tri, _rhs),
    "solve_her": _fsl_and_sl(lambda m: lambda a, b: m.solve(a, b, assume_a="her"), _spd, _rhs),
    "solve_pos": _fsl_and_sl(lambda m: lambda a, b: m.solve(a, b, assume_a="pos"), _spd, _rhs),
    "solve_tridiagonal": _fsl_and_sl(
        lambda m: lambda a, b: m.solve(a, b, assume_a="tridiagonal"), _tri, _rhs),
    "solve_diagonal": _fsl_and_sl(
        lambda m: lambda a, b: m.solve(a, b, assume_a="diagonal"), _tri, _vec),
    "solve_lower_triangular": _fsl_and_sl(
        lambda m: lambda a, b: m.solve(a, b, assume_a="lower triangular"), _tri, _rhs),
    "solve_banded_structure": _fsl_and_sl(
        lambda m: lambda a, b: m.solve(a, b, assume_a="banded"), _tri, _rhs),
    "solve_transposed": _fsl_and_sl(
        lambda m: lambda a, b: m.solve(a, b, transposed=True), _rows, _vec),
    "lu": _fsl_and_sl(lambda m: m.lu, _rows),
    "lu_permute_l": _fsl_and_sl(lambda m: lambda a: m.lu(a, permute_l=True), _rows),
    "lu_p_indices": _fsl_and_sl(lambda m: lambda a: m.lu(a, p_indices=True)[1:], _rows),
    "qr": _fsl_and_sl(lambda m: m.qr, _rows),
    "qr_economic": _fsl_and_sl(lambda m: lambda a: m.qr(a, mode="economic"), _tall),
    "qr_r": _fsl_and_sl(lambda m: lambda a: m.qr(a, mode="r")[0], _tall),
    "qr_pivoting": _fsl_and_sl(
        lambda m: lambda a: m.qr(a, mode="economic", pivoting=True)[:2], _tall),
    "qr_multiply": _fsl_and_sl(
        lambda m: m.qr_multiply, _tall, lambda *lead, dtype=np.float64: _mat(
            *lead, 2, N + 1, dtype=dtype)),
    "qr_multiply_left_vector": _fsl_and_sl(
        lambda m: lambda a, c: m.qr_multiply(a, c, mode="left", conjugate=True), _tall, _vec),
    "svd": _fsl_and_sl(lambda m: lambda a: _abs(m.svd(a)), _rows),
    "svd_values": _fsl_and_sl(lambda m: lambda a: m.svd(a, compute_uv=False), _tall),
    "svd_economic_projector": _fsl_and_sl(lambda m: lambda a: (lambda u, s, vh: (
        u @ np.conj(np.swapaxes(u, -1, -2)), s))(*m.svd(a, full_matrices=False)), _tall),
    "polar": _fsl_and_sl(lambda m: m.polar, _tall),
    "polar_left": _fsl_and_sl(lambda m: lambda a: m.polar(a, side="left"), _rows),
    "schur": _fsl_and_sl(lambda m: lambda a: _abs(m.schur(a)), _real_eigs),
    "schur_complex": _fsl_and_sl(lambda m: lambda a: _abs(m.schur(a, output="complex")), _rows),
    "schur_reconstructs": _fsl_and_sl(lambda m: lambda a: (lambda t, z: (
        z @ t @ np.conj(np.swapaxes(z, -1, -2))))(*m.schur(a, output="complex")), _rows),
    "rsf2csf": _fsl_and_sl(
        lambda m: lambda t, z: m.rsf2csf(t * _QUASI, z), _quasi_triangular, _orthogonal),
    "hessenberg": _fsl_and_sl(lambda m: lambda a: _abs(m.hessenberg(a, calc_q=True)), _rows),
    "hessenberg_h": _fsl_and_sl(lambda m: lambda a: abs(m.hessenberg(a)), _rows),
    "funm": _fsl_and_sl(lambda m: lambda a: m.funm(a, np.exp), _rows),
    "funm_sin": _fsl_and_sl(lambda m: lambda a: m.funm(a, np.sin), _real_eigs),
    "expm_frechet": _fsl_and_sl(lambda m: m.expm_frechet, _rows, _rows),
    "expm_frechet_only": _fsl_and_sl(
        lambda m: lambda a, e: m.expm_frechet(a, e, compute_expm=False), _rows, _rows),
    "eigh_tridiagonal": _fsl_and_sl(
        lambda m: lambda d, e: _abs(m.eigh_tridiagonal(d, e)), _vec, _off),
    "eigh_tridiagonal_index": _fsl_and_sl(
        lambda m: lambda d, e: m.eigh_tridiagonal(
            d, e, eigvals_only=True, select="i", select_range=(1, 2)), _vec, _off),
})
NEW = [name for name in CASES if list(CASES).index(name) >= list(CASES).index("cholesky")]
# SciPy 1.17 does not batch these (vmap still works)
UNSTACKED = {"eigh_tridiagonal", "eigh_tridiagonal_index"}
COMPLEX = [
    "cholesky", "det", "inv", "inv_pos_lower", "solve", "solve_sym_lower", "solve_her",
    "solve_pos", "lu", "qr", "qr_economic", "qr_multiply", "qr_multiply_left_vector", "svd",
    "svd_values", "svd_economic_projector", "polar", "schur_complex", "schur_reconstructs",
    "funm", "expm_frechet",
    "solve_triangular",
    "solve_triangular_unit_C",
    "cho_solve",
    "lu_solve",
    "expm",
    "sqrtm",
    "solve_sylvester",
    "eigh_vectors_upper",
]


def _args(name, *lead, dtype=np.float64):
    return tuple(make(*lead, dtype=dtype) for make in CASES[name][2])


def complex_rows_only_complex(name, dtype):
    """Complex inputs for the rows that take them (COMPLEX) only."""
    return np.dtype(dtype).kind != "c" or name in COMPLEX


def _outs(x):
    """The outputs as a tuple (SciPy returns lists for stacked input)."""
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _all_close(got, want, tol, dtypes=True):
    got, want = _outs(got), _outs(want)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape, (g.shape, w.shape)
        if dtypes:
            assert g.dtype == w.dtype, (g.dtype, w.dtype)
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@parametrize_product(name=list(CASES), dtype=[np.float64, np.float32, np.complex128],
                     keep=complex_rows_only_complex)
def test_values_and_dtypes_match_scipy(name, dtype):
    f, ref, _ = CASES[name]
    args = _args(name, dtype=dtype)
    want = ref(*args)
    for g, w in zip(_outs(f(*args)), _outs(want), strict=True):
        assert np.array_equal(g, w)  # outside transforms: SciPy itself
    tol = 1e-4 if dtype == np.float32 else 1e-10
    _all_close(inside(f, *args), want, tol)


def test_integer_inputs_compute_in_float64():
    a, b = np.array([[3, 1, 0], [1, 4, 1], [0, 2, 5]]), _mat(N)
    for f in (lambda m: m.solve, lambda m: lambda a, b: m.lu(a)[2] @ b,
              lambda m: lambda a, b: m.cholesky(a + a.T) @ b, lambda m: lambda a, b: m.det(a) * b,
              lambda m: lambda a, b: m.qr(a)[1] @ b, lambda m: lambda a, b: m.inv(a) @ b):
        _all_close(inside(lambda b, f=f: f(fsl)(a, b), b), f(sl)(a, b), 1e-12)
        assert inside(lambda b, f=f: f(fsl)(a, b.astype(np.float32)), b).dtype == np.float64


@pytest.mark.parametrize("name", CASES)
def test_stacks_match_scipy(name):
    f, ref, makers = CASES[name]
    # stacks of matrices (a 2-D right-hand side is one matrix, as in SciPy: vectors unstacked)
    args = [make(2) if np.ndim(make()) >= 2 and name not in UNSTACKED else make()
            for make in makers]
    _all_close(inside(f, *args), ref(*args), 1e-10, dtypes=False)


@pytest.mark.parametrize("name", CASES)
def test_derivatives_second_order(name):
    check_grads(CASES[name][0], _args(name), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", COMPLEX)
def test_derivatives_complex(name):
    check_grads(CASES[name][0], _args(name, dtype=np.complex128), order=1, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", CASES)
def test_vmap_matches_loop(name):
    f = CASES[name][0]
    nargs = len(CASES[name][2])
    batched = _args(name, 4)
    single = _args(name)
    axes_cases = [(0,) * nargs] + [
        tuple(None if j == i else 0 for j in range(nargs)) for i in range(nargs) if nargs > 1
    ]
    for axes in axes_cases:
        args = [b if ax == 0 else s for b, s, ax in zip(batched, single, axes)]
        got = _outs(fd.vmap(f, in_axes=axes)(*args))
        loop = [_outs(f(*[a[i] if ax == 0 else a for a, ax in zip(args, axes)]))
                for i in range(4)]
        for k, g in enumerate(got):
            want = np.stack([out[k] for out in loop])
            np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-10, err_msg=str(axes))


@pytest.mark.parametrize("name", NEW)
def test_jit_matches_eager(name):
    f = CASES[name][0]
    args = _args(name)
    _all_close(fd.jit(f)(*args), f(*args), 1e-10)


@pytest.mark.parametrize("name", ["solve_triangular", "lu_solve", "expm"])
def test_vmap_of_grad_and_last_axis(name):
    f = CASES[name][0]
    args = _args(name, 3)
    moved = [np.moveaxis(a, 0, -1) for a in args]
    got = fd.vmap(f, in_axes=-1)(*moved)
    np.testing.assert_allclose(got, np.stack([f(*[a[i] for a in args]) for i in range(3)]))
    g = fd.grad(lambda *xs: f(*xs).sum())
    got = fd.vmap(g)(*args)
    want = np.stack([g(*[a[i] for a in args]) for i in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


# -- specifics -----------------------------------------------------------------------------
def test_solve_triangular_cotangent_lives_on_the_triangle():
    a, b = _tri(), _mat(N)
    g = fd.grad(lambda a: fsl.solve_triangular(a, b, lower=True, unit_diagonal=True).sum())(a)
    assert np.all(g[np.triu_indices(N)] == 0) and np.any(g != 0)
    g = fd.grad(lambda a: fsl.solve_triangular(a, b).sum())(a)
    assert np.all(g[np.tril_indices(N, -1)] == 0)


def test_factor_structures():
    a = _spd()
    c, lower = fd.vjp(lambda a: fsl.cho_factor(a, lower=True), a)[0]
    assert lower is True
    np.testing.assert_allclose(c, sl.cho_factor(a, lower=True)[0])
    lu, piv = fd.vjp(lambda a: fsl.lu_factor(a), a)[0]
    want_lu, want_piv = sl.lu_factor(a)
    assert piv.dtype == want_piv.dtype and np.array_equal(piv, want_piv)
    np.testing.assert_allclose(lu, want_lu)
    # through cho_factor and lu_factor, the gradient is the one of solve with the matrix
    b = _mat(N)
    g_lu = fd.grad(lambda a: fsl.lu_solve(fsl.lu_factor(a), b).sum())(a)
    g_solve = fd.grad(lambda a: np.linalg.solve(a, b).sum())(a)
    np.testing.assert_allclose(g_lu, g_solve, rtol=1e-10)
    g_cho = fd.grad(lambda a: fsl.cho_solve(fsl.cho_factor(a, lower=True), b).sum())(a)
    sym = np.tril(g_solve + g_solve.T, -1) + np.diag(np.diag(g_solve))  # reads the lower half
    np.testing.assert_allclose(g_cho, sym, rtol=1e-10)


@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (1, 4), (4, 1), (2, 3, 5)])
def test_lu_factor_of_non_square_matrix(shape):
    """Rectangular LU: values as SciPy's, derivatives (L and U completed to square
    triangles) against finite differences to second order, vmap and jit."""
    a = _mat(*shape)
    lu, piv = fd.vjp(fsl.lu_factor, a)[0]
    np.testing.assert_allclose(lu, sl.lu_factor(a)[0])
    check_grads(lambda a: fsl.lu_factor(a)[0], (a,), order=2, modes=("fwd", "rev"))
    check_grads(lambda a: fsl.lu(a)[1:], (a,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(fd.jit(lambda a: fsl.lu(a)[2])(a), sl.lu(a)[2])
    if len(shape) == 2:
        batch = np.stack([a, 2 * a])
        _all_close(fd.vmap(fsl.lu)(batch), tuple(np.stack(x) for x in zip(
            *(sl.lu(b) for b in batch))), 1e-12)


def test_sqrtm_complex_result_and_disp():
    a = np.array([[-2.0, 0.3], [0.1, 1.0]])  # a negative eigenvalue: complex root
    got = inside(fsl.sqrtm, a)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, sl.sqrtm(a))
    s, err = inside(lambda a: fsl.sqrtm(a, disp=False), _spd())
    assert err < 1e-12
    check_grads(fsl.sqrtm, (a,), order=1)


def test_expm_frechet_matches_scipy():
    a, e = _mat(N, N), _mat(N, N)
    _, t = fd.jvp(fsl.expm, (a,), (e,))
    np.testing.assert_allclose(t, sl.expm_frechet(a, e, compute_expm=False), rtol=1e-10)


def test_eigh_options():
    a, b = _sym(), _spd()
    for kind in (1, 2, 3):
        w, v = inside(lambda a, b, k=kind: fsl.eigh(a, b, type=k, lower=False), a, b)
        w_ref, v_ref = sl.eigh(a, b, type=kind, lower=False)
        np.testing.assert_allclose(w, w_ref, rtol=1e-10)
        np.testing.assert_allclose(np.abs(v), np.abs(v_ref), rtol=1e-8, atol=1e-10)
    w = inside(lambda a: fsl.eigh(a, subset_by_index=[1, 2], eigvals_only=True), a)
    np.testing.assert_allclose(w, sl.eigh(a, subset_by_index=[1, 2], eigvals_only=True))
    w = inside(lambda a: fsl.eigh(a, subset_by_value=[-1.0, np.inf])[0], a)
    np.testing.assert_allclose(w, sl.eigh(a, subset_by_value=[-1.0, np.inf])[0])
    check_grads(lambda a, b: fsl.eigh(a, b, type=2)[0], (a, b), order=1)
    with pytest.raises(ValueError, match="type"):
        inside(lambda a: fsl.eigh(a, type=4), a)


def test_block_diag_shapes():
    for arrs in [(), ([],), (1.0, [2.0, 3.0], [[4.0]]), (np.ones((2, 0)), np.ones((0, 3)))]:
        want = sl.block_diag(*arrs)
        got = inside(lambda x, arrs=arrs: fsl.block_diag(*arrs) + 0 * x, 1.0)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    x = _mat(2, 2, 2)  # leading axes broadcast, as in SciPy
    np.testing.assert_array_equal(
        inside(lambda x: fsl.block_diag(x, 1.0), x), sl.block_diag(x, 1.0)
    )


@pytest.mark.parametrize(
    "f, args, error",
    [
        (lambda a, b: fsl.solve_triangular(a, b), (np.eye(3), np.ones(2)), ValueError),
        (lambda a, b: fsl.solve_triangular(a, b), (np.ones((2, 3)), np.ones(2)), ValueError),
        (lambda a, b: fsl.solve_banded((1, 1), a, b), (np.ones((2, 3)), np.ones(3)), ValueError),
        (lambda a, b: fsl.solve_banded((1, 1), a, b), (np.ones((3, 3)), np.ones(2)), ValueError),
        (lambda a: fsl.expm(a), (np.ones((2, 3)),), np.linalg.LinAlgError),
        (lambda a: fsl.sqrtm(a), (np.ones(3),), np.linalg.LinAlgError),
        (lambda a, b: fsl.lu_solve(fsl.lu_factor(a), b), (np.eye(3), np.ones(2)), ValueError),
    ],
)
def test_bad_shapes_raise_scipys_errors(f, args, error):
    with pytest.raises(error):
        f(*args)  # SciPy
    with pytest.raises(error):
        inside(f, *args)


def test_jit():
    a = _mat(N, N)
    f = fd.jit(lambda a: fsl.expm(a) @ fsl.solve_triangular(a + 3 * np.eye(N), np.ones(N)))
    np.testing.assert_allclose(
        f(a), sl.expm(a) @ sl.solve_triangular(a + 3 * np.eye(N), np.ones(N))
    )


# -- decompositions and solvers (issue #16): specifics ------------------------------------------
def test_lu_permutations_and_non_square():
    a = _mat(N, N)
    p, lo, up = inside(lambda a: fsl.lu(a, p_indices=True), a)
    want = sl.lu(a, p_indices=True)
    assert p.dtype == want[0].dtype and np.array_equal(p, want[0])
    np.testing.assert_allclose(lo[p] @ up, a, atol=1e-12)
    pm, lo, up = inside(fsl.lu, a)
    np.testing.assert_allclose(pm @ lo @ up, a, atol=1e-12)
    for shape in [(2, 4), (4, 2)]:
        b = _mat(*shape)
        _all_close(inside(fsl.lu, b), sl.lu(b), 1e-12)
        _all_close(inside(lambda b: fsl.lu(b, p_indices=True), b), sl.lu(b, p_indices=True), 1e-12)
        check_grads(lambda b: fsl.lu(b, permute_l=True), (b,), order=1, modes=("fwd", "rev"))


def test_qr_pivots_modes_and_limits():
    a = _tall()
    for mode in ("full", "economic", "r"):
        got = inside(lambda a, mode=mode: fsl.qr(a, mode=mode, pivoting=True), a)
        want = sl.qr(a, mode=mode, pivoting=True)
        assert got[-1].dtype == want[-1].dtype and np.array_equal(got[-1], want[-1])
        _all_close(got, want, 1e-10)
    c = _mat(2, N + 1)
    got = inside(lambda a, c: fsl.qr_multiply(a, c, pivoting=True), a, c)
    _all_close(got, sl.qr_multiply(a, c, pivoting=True), 1e-10)
    c = _mat(N + 1, 2)  # with overwrite_c, mode 'left' multiplies by all M columns of Q
    _all_close(inside(lambda a, c: fsl.qr_multiply(a, c, "left", overwrite_c=True), a, c),
               sl.qr_multiply(a, c.copy(), "left", overwrite_c=True), 1e-10)
    assert isinstance(inside(lambda a: fsl.qr(a, mode="r"), _tall(2)), np.ndarray)  # as SciPy
    with pytest.raises(NotImplementedError, match="raw"):
        inside(lambda a: fsl.qr(a, mode="raw"), a)
    with pytest.raises(ValueError, match="Mode"):
        inside(lambda a: fsl.qr(a, mode="reduced"), a)
    with pytest.raises(NotImplementedError, match="complete"):  # extra columns of a full Q
        fd.grad(lambda a: fsl.qr(a)[0].sum())(a)
    # the pivoted QR is differentiated where the permutation is constant
    check_grads(lambda a: fsl.qr(a, pivoting=True, mode="economic")[:2], (a,), order=1)


def test_svd_of_non_square_full_matrices():
    a = _tall()
    _all_close(inside(fsl.svd, a), sl.svd(a), 1e-10)
    g = fd.grad(lambda a: fsl.svd(a)[1].sum())(a)  # reverse mode through s alone works
    np.testing.assert_allclose(g, fd.grad(lambda a: fsl.svd(a, compute_uv=False).sum())(a))
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        fd.jvp(lambda a: fsl.svd(a)[1], (a,), (a,))
    with pytest.raises(ValueError, match="lapack_driver"):
        inside(lambda a: fsl.svd(a, lapack_driver="gesvj"), a)


def test_schur_raw_outputs_limits_and_sort():
    a = _real_eigs()
    # real Schur vectors have discrete signs only: T and Z themselves are differentiable
    check_grads(fsl.schur, (a,), order=2, modes=("fwd", "rev"))
    rot = np.array([[0.0, 2.0, 0.3], [-0.5, 0.0, 0.2], [0.1, 0.0, 2.0]])  # eigenvalues ~+-i, 2
    _all_close(inside(fsl.schur, rot), sl.schur(rot), 1e-12)  # values still work
    for run in (lambda f: fd.grad(lambda a: f(a).sum())(rot), lambda f: fd.jvp(f, (rot,), (rot,)),
                lambda f: fd.jit(fd.grad(lambda a: f(a).sum()))(rot)):
        with pytest.raises(NotImplementedError, match="schur.*output='complex'"):
            run(lambda a: fsl.schur(a)[0])
    check_grads(lambda a: _abs(fsl.schur(a, output="complex")), (rot,), order=1)
    for sort in ("lhp", "iuc", lambda x: x.real > 1.5):
        got = inside(lambda a, sort=sort: fsl.schur(a, output="complex", sort=sort), a)
        want = sl.schur(a, output="complex", sort=sort)
        assert got[2] == want[2] and np.asarray(got[2]).dtype == np.asarray(want[2]).dtype
        _all_close(_abs(got[:2]), _abs(want[:2]), 1e-10)
    with pytest.raises(ValueError, match="sort"):
        inside(lambda a: fsl.schur(a, sort="up"), a)


def test_hessenberg_complex_and_small():
    a = _mat(4, 4, dtype=np.complex128)
    _all_close(inside(lambda a: fsl.hessenberg(a, calc_q=True), a),
               sl.hessenberg(a, calc_q=True), 1e-10)
    # LAPACK's gauge (Q e1 = e1, real subdiagonal) is kept: H and Q themselves differentiate
    check_grads(lambda a: fsl.hessenberg(a, calc_q=True), (a,), order=2, modes=("fwd", "rev"))
    check_grads(lambda a: fsl.hessenberg(a, calc_q=True), (a.real,), order=2)
    for n in (1, 2):
        b = _mat(n, n, dtype=np.float32)
        _all_close(inside(lambda b: fsl.hessenberg(b, calc_q=True), b),
                   sl.hessenberg(b, calc_q=True), 1e-6)


def test_rsf2csf_values_jit_and_errors():
    t, z = sl.schur(_mat(4, 4) + np.diag([0.0, 0.0, 0.0, 3.0]))
    _all_close(inside(fsl.rsf2csf, t, z), sl.rsf2csf(t, z), 1e-12)
    _all_close(fd.jit(fsl.rsf2csf)(t, z), sl.rsf2csf(t, z), 1e-12)
    with pytest.raises(ValueError, match="square"):
        inside(fsl.rsf2csf, t[:, :3], z)
    with pytest.raises(ValueError, match="shapes must match"):
        inside(fsl.rsf2csf, t, z[:3, :3])


def test_funm_options():
    a = 0.5 * _mat(N, N)
    f, err = inside(lambda a: fsl.funm(a, np.exp, disp=False), a)
    f_ref, err_ref = sl.funm(a, np.exp, disp=False)
    np.testing.assert_allclose(f, f_ref, atol=1e-10)
    assert err == err_ref
    with pytest.raises(NotImplementedError, match="disp=False"):
        fd.vmap(lambda a: fsl.funm(a, np.exp, disp=False)[0])(_mat(2, N, N))
    g = lambda w: 1j * w  # not real on the real axis: a complex result, as SciPy's  # noqa: E731
    got = inside(lambda a: fsl.funm(a, g), a)
    assert got.dtype == np.complex128
    np.testing.assert_allclose(got, sl.funm(a, g), atol=1e-10)
    sq = _spd()  # np.sqrt of the complex eigenvalues, as SciPy's complex Schur form
    np.testing.assert_allclose(inside(lambda a: fsl.funm(a, np.sqrt), sq), sl.funm(sq, np.sqrt))


def test_eigh_tridiagonal_selections():
    d, e = _mat(5), _mat(4)
    for select, rng in (("v", (-0.5, 10.0)), ("i", (0, 1)), ("a", None)):
        got = inside(lambda d, e, s=select, r=rng: fsl.eigh_tridiagonal(
            d, e, select=s, select_range=r), d, e)
        want = sl.eigh_tridiagonal(d, e, select=select, select_range=rng)
        _all_close(_abs(got), _abs(want), 1e-10)
    check_grads(lambda d, e: fsl.eigh_tridiagonal(d, e, eigvals_only=True, select="v",
                                                  select_range=(-0.5, 10.0)), (d, e), order=2)
    with pytest.raises(NotImplementedError, match="select='v'"):
        fd.vmap(lambda d: fsl.eigh_tridiagonal(d, e, select="v", select_range=(0, 1))[0])(
            _mat(2, 5))
    with pytest.raises(TypeError, match="real"):
        inside(lambda d: fsl.eigh_tridiagonal(d + 0j, e), d)


def test_solve_and_inv_structures():
    a, b = _tri(), _mat(N, 2)
    g = fd.grad(lambda a: fsl.solve(a, b, assume_a="upper triangular").sum())(a)
    assert np.all(g[np.tril_indices(N, -1)] == 0) and np.any(g != 0)
    g = fd.grad(lambda a: fsl.solve(a, b, assume_a="tridiagonal").sum())(a)
    assert g[0, 2] == 0 and g[2, 0] == 0 and np.all(np.diag(g, 1) != 0)
    g = fd.grad(lambda a: fsl.inv(a, assume_a="diagonal").sum())(a)  # off-diagonal: identity
    np.testing.assert_allclose(g, np.where(np.eye(N), -1 / np.diag(a) ** 2, 1.0))
    with pytest.raises(ValueError, match="structure"):
        inside(lambda a: fsl.solve(a, b, assume_a="triangular"), a)
    with pytest.raises(KeyError):  # SciPy's error
        inside(lambda a: fsl.inv(a, assume_a="tridiagonal"), a)
    with pytest.raises(NotImplementedError, match="complex"):
        inside(lambda a: fsl.solve(a + 0j, b, transposed=True), a)


def test_expm_frechet_methods_and_det_precision():
    a, e = 0.5 * _mat(N, N), _mat(N, N)
    for method in (None, "SPS", "blockEnlarge"):
        _all_close(inside(lambda a, e, m=method: fsl.expm_frechet(a, e, method=m), a, e),
                   sl.expm_frechet(a, e, method=method), 1e-10)
    with pytest.raises(ValueError, match="Unknown"):
        inside(lambda a: fsl.expm_frechet(a, e, method="pade"), a)
    # the derivative in E is the Fréchet derivative itself (linear in E)
    g = fd.jacfwd(lambda e: fsl.expm_frechet(a, e, compute_expm=False))(e)
    np.testing.assert_allclose(np.einsum("ijkl,kl->ij", g, e),
                               sl.expm_frechet(a, e, compute_expm=False), atol=1e-10)


@pytest.mark.parametrize(
    "f, args",
    [
        (lambda a: fsl.cholesky(a), (np.ones((2, 3)),)),
        (lambda a: fsl.det(a), (np.ones((2, 3)),)),
        (lambda a: fsl.inv(a), (np.ones((2, 3)),)),
        (lambda a, b: fsl.solve(a, b), (np.eye(3), np.ones(2))),
        (lambda a: fsl.lu(a), (np.ones(3),)),
        (lambda a: fsl.qr(a), (np.ones(3),)),
        (lambda a, c: fsl.qr_multiply(a, c), (np.ones((3, 2)), np.ones((2, 2)))),
        (lambda a: fsl.svd(a), (np.ones(3),)),
        (lambda a: fsl.schur(a), (np.ones((2, 3)),)),
        (lambda a: fsl.schur(a, output="x"), (np.eye(2),)),
        (lambda a: fsl.hessenberg(a), (np.ones((2, 3)),)),
        (lambda a: fsl.polar(a), (np.ones(3),)),
        (lambda a: fsl.polar(a, side="x"), (np.eye(2),)),
        (lambda a: fsl.funm(a, np.exp), (np.ones((2, 3)),)),
        (lambda a, e: fsl.expm_frechet(a, e), (np.eye(2), np.eye(3))),
        (lambda d, e: fsl.eigh_tridiagonal(d, e), (np.ones(3), np.ones(3))),
        (lambda d, e: fsl.eigh_tridiagonal(d, e, select="x"), (np.ones(3), np.ones(2))),
    ],
)
def test_new_functions_raise_scipys_errors(f, args):
    with pytest.raises(ValueError) as want:
        f(*args)  # SciPy
    with pytest.raises(ValueError) as got:
        inside(f, *args)
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("a", [np.array([[1.0, 1.0], [0.0, 1.0]]), np.eye(2),
                               np.array([[2.0, 0.0], [0.0, 2.0 + 1e-12]])],
                         ids=["jordan", "identity", "nearly-repeated"])
def test_funm_raises_at_repeated_eigenvalues(a):
    """funm inside transforms goes through the eigendecomposition: at repeated eigenvalues
    its derivative would be a plausible wrong number (diag(e) for the gradient of
    sum(exp(A)) at the identity, not e * ones), so it raises, wherever the values exist."""
    f = lambda a: fsl.funm(a, np.exp)  # noqa: E731
    calls = {
        "jvp": lambda: fd.jvp(f, (a,), (np.eye(2),)),
        "grad": lambda: fd.grad(lambda a: f(a).sum())(a),
        "jit": lambda: fd.jit(f)(a),
        "vmap": lambda: fd.vmap(f)(np.stack([a + np.diag([0.0, 1.0]), a])),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match="repeated"):
            call()
            pytest.fail(f"{name}: no error")
    # distinct eigenvalues: the derivative of funm(., exp) is expm's
    b = np.array([[1.0, 2.0], [0.5, 3.0]])
    np.testing.assert_allclose(fd.grad(lambda a: f(a).sum())(b),
                               fd.grad(lambda a: fsl.expm(a).sum())(b), rtol=1e-9)


@pytest.mark.parametrize("side", ["right", "left"])
def test_polar_derivatives_at_repeated_singular_values(side):
    """The polar factors are smooth at an orthogonal matrix (all singular values 1), where
    a derivative through the SVD is NaN: the sqrtm route gives finite differences'."""
    q = sl.qr(np.random.default_rng(3).normal(size=(3, 3)))[0]
    for a in (np.eye(3), 2.0 * q):
        check_grads(lambda a: fsl.polar(a, side), (a,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["schur", "hessenberg"])
def test_schur_and_hessenberg_raise_where_the_factors_have_no_derivative(name):
    """At the identity (repeated eigenvalues; a reduced Hessenberg form) the linear system
    for the factors' derivative is singular: a clear ValueError, eagerly and under jit."""
    f = (lambda a: fsl.schur(a)[0]) if name == "schur" else fsl.hessenberg
    e = np.random.default_rng(1).normal(size=(3, 3))
    with pytest.raises(ValueError, match=f"{name}: the factors have no derivative"):
        fd.jvp(f, (np.eye(3),), (e,))
    with pytest.raises(ValueError, match=f"{name}: the factors have no derivative"):
        fd.jit(lambda a: fd.grad(lambda a: f(a).sum())(a))(np.eye(3))
