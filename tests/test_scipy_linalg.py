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
COMPLEX = [
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


@parametrize_product(name=list(CASES), dtype=[np.float64, np.float32, np.complex128],
                     keep=complex_rows_only_complex)
def test_values_and_dtypes_match_scipy(name, dtype):
    f, ref, _ = CASES[name]
    args = _args(name, dtype=dtype)
    want = ref(*args)
    assert np.array_equal(f(*args), want)  # outside transforms: SciPy itself
    got = inside(f, *args)
    assert got.dtype == want.dtype
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", CASES)
def test_stacks_match_scipy(name):
    f, ref, makers = CASES[name]
    # stacks of matrices (a 2-D right-hand side is one matrix, as in SciPy: vectors unstacked)
    args = [make(2) if np.ndim(make()) >= 2 else make() for make in makers]
    np.testing.assert_allclose(inside(f, *args), ref(*args), rtol=1e-10, atol=1e-10)


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
        got = fd.vmap(f, in_axes=axes)(*args)
        want = np.stack(
            [f(*[a[i] if ax == 0 else a for a, ax in zip(args, axes)]) for i in range(4)]
        )
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=str(axes))


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


def test_lu_factor_of_non_square_matrix():
    a = _mat(2, 3)
    lu, piv = fd.vjp(fsl.lu_factor, a)[0]
    np.testing.assert_allclose(lu, sl.lu_factor(a)[0])
    with pytest.raises(NotImplementedError, match="square"):
        fd.grad(lambda a: fsl.lu_factor(a)[0].sum())(a)


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
