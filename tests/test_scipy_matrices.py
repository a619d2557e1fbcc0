"""funcdiff.scipy.linalg's special matrices: values vs scipy.linalg, derivatives, vmap, jit.

Each row of CASES is a function of arrays built on one special matrix of
funcdiff.scipy.linalg and the same function on scipy.linalg, with the makers of
its arguments (`lead` leading axes for SciPy's batched inputs). Values and dtypes
are compared with SciPy's outside transforms (SciPy itself) and inside one
(funcdiff's gathers), derivatives of order 2 in forward and reverse mode with
`check_grads`, `vmap` with a loop and `jit` with eager calls.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg as sl
from helpers import inside

import funcdiff as fd
from funcdiff.scipy import linalg as fsl
from funcdiff.testing import check_grads

_rng = np.random.default_rng(16)


def _vec(n):
    def make(*lead, dtype=np.float64):
        x = _rng.standard_normal(lead + (n,))
        if np.dtype(dtype).kind == "c":
            x = x + 1j * _rng.standard_normal(lead + (n,))
        return x.astype(dtype)

    return make


def _lead(n):  # coefficients with a leading one far from zero (companion matrices)
    def make(*lead, dtype=np.float64):
        x = _vec(n)(*lead, dtype=dtype)
        x[..., 0] = np.where(x[..., 0].real >= 0, 1.5, -1.5) + x[..., 0] * 0.2
        return x

    return make


def _distinct(n):  # entries far apart (fiedler's abs has kinks at ties)
    def make(*lead, dtype=np.float64):
        x = np.arange(n) * 1.7 + 0.3 * _rng.standard_normal(lead + (n,))
        return _rng.permuted(x, axis=-1).astype(dtype)

    return make


# name -> (funcdiff function, SciPy function, argument makers, batched inputs allowed)
CASES = {
    "circulant": (fsl.circulant, sl.circulant, (_vec(4),), True),
    "companion": (fsl.companion, sl.companion, (_lead(5),), True),
    "convolution_matrix_full": (
        lambda a: fsl.convolution_matrix(a, 5),
        lambda a: sl.convolution_matrix(a, 5), (_vec(3),), True),
    "convolution_matrix_same": (
        lambda a: fsl.convolution_matrix(a, 4, "same"),
        lambda a: sl.convolution_matrix(a, 4, "same"), (_vec(3),), True),
    "convolution_matrix_valid": (
        lambda a: fsl.convolution_matrix(a, 3, mode="valid"),
        lambda a: sl.convolution_matrix(a, 3, mode="valid"), (_vec(5),), True),
    "fiedler": (fsl.fiedler, sl.fiedler, (_distinct(4),), True),
    "fiedler_companion_even": (fsl.fiedler_companion, sl.fiedler_companion, (_lead(6),), True),
    "fiedler_companion_odd": (fsl.fiedler_companion, sl.fiedler_companion, (_lead(7),), True),
    "fiedler_companion_2": (fsl.fiedler_companion, sl.fiedler_companion, (_lead(2),), True),
    "hankel": (fsl.hankel, sl.hankel, (_vec(3), _vec(4)), False),
    "hankel_square": (fsl.hankel, sl.hankel, (_vec(3),), False),
    "leslie": (fsl.leslie, sl.leslie, (_vec(4), _vec(3)), True),
    "toeplitz": (fsl.toeplitz, sl.toeplitz, (_vec(3), _vec(4)), True),
    "toeplitz_hermitian": (fsl.toeplitz, sl.toeplitz, (_vec(3),), True),
}
COMPLEX = ["circulant", "companion", "convolution_matrix_full", "fiedler",
           "fiedler_companion_even", "hankel", "leslie", "toeplitz", "toeplitz_hermitian"]


def _args(name, *lead, dtype=np.float64):
    return tuple(make(*lead, dtype=dtype) for make in CASES[name][2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("name", CASES)
def test_values_and_dtypes_match_scipy(name, dtype):
    if np.dtype(dtype).kind == "c" and name not in COMPLEX:
        dtype = np.float64
    f, ref, _, _ = CASES[name]
    args = _args(name, dtype=dtype)
    want = ref(*args)
    got = f(*args)  # outside transforms: SciPy itself
    assert got.dtype == want.dtype and np.array_equal(got, want)
    got = inside(f, *args)  # the gathers
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n][3]])
def test_batched_inputs_match_scipy(name):
    f, ref, makers, _ = CASES[name]
    args = [make(2, 3) for make in makers]
    if len(args) == 2:  # leading axes broadcast against each other
        args[1] = args[1][0]
    want = ref(*args)
    got = inside(f, *args)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_hankel_nd_input_is_raveled_with_scipys_warning():
    c, r = _vec(3)(2), _vec(2)(2)
    with pytest.warns(FutureWarning, match="ravel"):
        want = sl.hankel(c, r)
    with pytest.warns(FutureWarning, match="ravel"):
        got = inside(fsl.hankel, c, r)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", CASES)
def test_derivatives_second_order(name):
    check_grads(CASES[name][0], _args(name), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", COMPLEX)
def test_derivatives_complex(name):
    check_grads(CASES[name][0], _args(name, dtype=np.complex128), order=1, modes=("fwd", "rev"))


def test_toeplitz_hermitian_reads_conj_c():
    c = _vec(3)(dtype=np.complex128)
    # the first row is conj(c): d/dc of the imaginary part of T[0, 1] = -Im(c[1])
    _, t = fd.jvp(fsl.toeplitz, (c,), (np.array([0, 1j, 0]),))
    np.testing.assert_allclose(t, sl.toeplitz(np.array([0, 1j, 0])))


def test_ignored_entries_have_zero_derivative():
    c, r = _vec(3)(), _vec(4)()
    g = fd.grad(lambda r: fsl.toeplitz(c, r).sum())(r)
    assert g[0] == 0 and np.all(g[1:] != 0)
    g = fd.grad(lambda r: fsl.hankel(c, r).sum())(r)
    assert g[0] == 0 and np.all(g[1:] != 0)


@pytest.mark.parametrize("name", CASES)
def test_vmap_matches_loop(name):
    f = CASES[name][0]
    batched, single = _args(name, 4), _args(name)
    nargs = len(batched)
    axes_cases = [(0,) * nargs] + [
        tuple(None if j == i else 0 for j in range(nargs)) for i in range(nargs) if nargs > 1]
    for axes in axes_cases:
        args = [b if ax == 0 else s for b, s, ax in zip(batched, single, axes)]
        got = fd.vmap(f, in_axes=axes)(*args)
        want = np.stack([f(*[a[i] if ax == 0 else a for a, ax in zip(args, axes)])
                         for i in range(4)])
        np.testing.assert_allclose(got, want, rtol=1e-14, err_msg=str(axes))
    g = fd.grad(lambda *xs: (f(*xs) ** 2).sum())
    got = fd.vmap(g)(*batched)
    want = np.stack([g(*[a[i] for a in batched]) for i in range(4)])
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_jit_matches_eager(name):
    f = CASES[name][0]
    args = _args(name)
    np.testing.assert_allclose(fd.jit(f)(*args), f(*args), rtol=1e-14)
    g = fd.grad(lambda *xs: (f(*xs) ** 2).sum())
    np.testing.assert_allclose(fd.jit(g)(*args), g(*args), rtol=1e-12)


@pytest.mark.parametrize(
    "f, args, error",
    [
        (fsl.companion, (np.array([0.0, 1.0, 2.0]),), ValueError),
        (fsl.companion, (np.array([1.0]),), ValueError),
        (fsl.fiedler_companion, (np.array([0.0, 1.0, 2.0]),), ValueError),
        (fsl.leslie, (np.ones(3), np.ones(3)), ValueError),
        (fsl.leslie, (np.ones(1), np.ones(0)), ValueError),
        (lambda a: fsl.convolution_matrix(a, 0), (np.ones(3),), ValueError),
        (lambda a: fsl.convolution_matrix(a, 3, "middle"), (np.ones(3),), ValueError),
        (lambda a: fsl.convolution_matrix(a, 3), (np.ones(0),), ValueError),
    ],
)
def test_bad_inputs_raise_scipys_errors(f, args, error):
    with pytest.raises(error) as want:
        f(*args)  # SciPy
    with pytest.raises(error) as got:
        inside(f, *args)
    assert str(got.value) == str(want.value)


def test_small_and_empty_inputs_match_scipy():
    for f, ref, x in [
        (fsl.fiedler, sl.fiedler, np.array([2.0])),
        (fsl.fiedler, sl.fiedler, np.zeros(0)),
        (fsl.fiedler_companion, sl.fiedler_companion, np.array([2.0])),
        (fsl.circulant, sl.circulant, np.float64(2.0)),
        (fsl.toeplitz, sl.toeplitz, np.float64(2.0)),
    ]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = ref(x)
            got = inside(lambda x, f=f: f(x), x)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["dft", "hadamard", "helmert", "hilbert", "invhilbert",
                                  "invpascal", "pascal"])
def test_integer_size_matrices_are_scipys(name):
    assert getattr(fsl, name) is getattr(sl, name)
