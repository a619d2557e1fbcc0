"""Tests of funcdiff.numpy.fft: values and dtypes vs NumPy (shapes, axes, padding and
truncation, norms), the transposition identity, derivatives vs finite differences (forward,
reverse, second order), vmap vs a loop, jit, errors and conventions."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
from helpers import assert_same, normal

import funcdiff as fd
import funcdiff.numpy as fnp
import funcdiff.numpy.fft as ffft
from funcdiff._src.core import ShapedArray
from funcdiff._src.lax import fft as pf
from funcdiff.testing import check_grads

RNG = np.random.default_rng(0)
NORMS = [None, "backward", "ortho", "forward"]


rand = functools.partial(normal, RNG)


def tol(want):
    """This file's tolerances for comparing with `want` (an array or a dtype)."""
    single = np.result_type(want) in (np.float32, np.complex64, np.float16)
    return dict(rtol=2e-5, atol=2e-5) if single else dict(rtol=1e-11, atol=1e-11)


def inside(f, x):
    """f(x) computed through the primitives: under vjp (inexact x) and under vmap."""
    out = []
    if np.result_type(x).kind in "fc":
        out.append(fd.vjp(f, x)[0])
    out.append(fd.vmap(f)(np.asarray(x)[None])[0])
    return out


# -- the table: (function name, input shape, input dtype, keyword arguments) --------------------
ONE_D = []
for _name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft"):
    _real_in = _name in ("rfft", "ihfft")
    for _dt in (np.float64, np.float32) if _real_in else (np.complex128, np.float64, np.complex64):
        for _shape, _kw in [
            ((7,), {}),
            ((6,), {"n": 4}),
            ((5,), {"n": 9}),
            ((4, 6), {"axis": 0}),
            ((4, 6), {"axis": -1, "n": 8}),
            ((3, 4, 5), {"axis": 1, "n": 3}),
            ((1,), {}),
        ]:
            if _name in ("irfft", "hfft") and _shape == (1,) and "n" not in _kw:
                _kw = {"n": 1}
            for _norm in NORMS:
                ONE_D.append((_name, _shape, _dt, dict(_kw, norm=_norm)))
ONE_D += [
    ("fft", (5,), np.int64, {}),
    ("rfft", (6,), np.int32, {"n": 5}),
    ("irfft", (4,), np.int64, {}),
    ("fft", (5,), np.float16, {}),
    ("rfft", (8,), np.float16, {}),
    ("irfft", (5,), np.float16, {"n": 7}),
    ("irfft", (5,), np.complex64, {"n": 7}),
    ("fft", (0, 4), np.float64, {}),
    ("irfft", (3, 4), np.complex128, {"axis": 0, "n": 5}),
]

N_D = []
for _name in ("fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"):
    _real_in = _name.startswith("rfft")
    _dts = (np.float64, np.float32) if _real_in else (np.complex128, np.float64, np.complex64)
    for _dt in _dts:
        for _shape, _kw in [
            ((3, 4), {}),
            ((2, 3, 5), {"axes": (0, 2)}),
            ((2, 3, 5), {"axes": (2, 0)}),
            ((4, 6), {"s": (3, 9), "axes": (0, 1)}),
            ((3, 4, 5), {"s": (5, 2), "axes": (-1, 1)}),
            ((3, 4, 5), {"s": (4, -1), "axes": (0, 2)}),
            ((3, 4, 5), {"axes": (1, 1)}),
            ((3, 4, 5), {"s": (6, 3), "axes": (2, 2)}),
        ]:
            if _name.endswith("2") and "axes" in _kw and len(_kw["axes"]) != 2:
                continue
            for _norm in NORMS:
                N_D.append((_name, _shape, _dt, dict(_kw, norm=_norm)))
N_D += [
    ("fftn", (2, 3), np.float64, {"axes": ()}),
    ("fftn", (2, 3, 4), np.float64, {"axes": (1, 0, 2), "s": (3, 3, 3)}),
    ("rfftn", (4,), np.int64, {}),
    ("irfftn", (3, 4), np.float16, {}),
    ("irfftn", (3, 4), np.complex64, {"s": (3, 7), "axes": (0, 1)}),
    ("rfftn", (3, 4), np.float16, {}),
    ("fftn", (4, 6, 3), np.complex128, {}),
    ("irfftn", (2, 3, 4), np.complex128, {}),
]

SHIFTS = [
    (name, shape, np.float64, kw)
    for name in ("fftshift", "ifftshift")
    for shape, kw in [
        ((5,), {}),
        ((4, 5), {}),
        ((4, 5), {"axes": 1}),
        ((4, 5, 3), {"axes": (0, 2)}),
    ]
]
CASES = ONE_D + N_D + SHIFTS


def _id(case):
    name, shape, dt, kw = case
    return f"{name}-{shape}-{np.dtype(dt).name}-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _f(name, kw):
    fn = getattr(ffft, name)
    return lambda x: fn(x, **kw)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_values_vs_numpy(case):
    name, shape, dt, kw = case
    x = rand(shape, dt)
    want = getattr(np.fft, name)(x, **kw)
    f = _f(name, kw)
    got = f(x)
    assert type(got) is type(want)
    np.testing.assert_array_equal(got, want)
    for got in inside(f, x):
        assert_same(got, want, **tol(want))


# -- the transposition identity ------------------------------------------------------------------
LINEAR = [c for c in CASES if c[2] not in (np.int64, np.int32, np.float16) and 0 not in c[1]]


@pytest.mark.parametrize("case", LINEAR, ids=_id)
def test_transposition_identity(case):
    """Re sum(vjp(u) * v) == Re sum(u * jvp(v)), and the jvp is the function itself."""
    name, shape, dt, kw = case
    f = _f(name, kw)
    x = rand(shape, dt)
    v = rand(shape, dt)
    y, pullback = fd.vjp(f, x)
    u = rand(np.shape(y), np.result_type(y))
    (ct,) = pullback(u)
    assert np.shape(ct) == np.shape(x) and np.result_type(ct) == np.result_type(x)
    _, jv = fd.jvp(f, (x,), (v,))
    fv = f(v)
    assert_same(jv, fv, **tol(fv))
    lhs = np.sum(ct.astype(complex) * v)
    rhs = np.sum(u.astype(complex) * np.asarray(jv))
    t = 1e-4 if np.dtype(dt) in (np.float32, np.complex64) else 1e-10
    scale = np.sqrt(np.sum(np.abs(u) ** 2) * np.sum(np.abs(jv) ** 2)) + 1
    assert abs(lhs.real - rhs.real) <= t * scale, (lhs, rhs)
    complex_linear = name in ("fft", "ifft", "fftn", "ifftn", "fft2", "ifft2", "fftshift",
                              "ifftshift")
    if complex_linear and np.dtype(dt).kind == "c":
        assert abs(lhs - rhs) <= t * scale, (lhs, rhs)  # fully complex-bilinear


@pytest.mark.parametrize(
    "case",
    [c for c in LINEAR if c[3].get("norm") in (None, "ortho") and len(c[1]) <= 2
     and c[2] in (np.float64, np.complex128)],
    ids=_id,
)
def test_transpose_of_transpose(case):
    """linear_transpose twice gives the function back (rules are transposable)."""
    name, shape, dt, kw = case
    f = _f(name, kw)
    x = rand(shape, dt)
    y = f(x)
    f_t = fd.linear_transpose(f, x)
    f_tt = fd.linear_transpose(lambda u: f_t(u)[0], np.zeros_like(y))
    assert_same(f_tt(x)[0], y, **tol(y))


def test_dense_transposes_1d():
    """The vjps equal the transposes of the dense matrices (JAX's convention, no conj)."""
    for n in (1, 2, 5, 6):
        eye = np.eye(n)
        F = np.fft.fft(eye, axis=0)
        x = rand((n,), complex)
        u = rand((n,), complex)
        assert_same(fd.vjp(ffft.fft, x)[1](u)[0], F.T @ u, **tol(complex))
        assert_same(fd.vjp(ffft.ifft, x)[1](u)[0], np.fft.ifft(eye, axis=0).T @ u,
                    **tol(complex))
        # rfft: real input, cotangent Re(R^T u)
        R = np.fft.rfft(eye, axis=0)
        m = n // 2 + 1
        um = rand((m,), complex)
        assert_same(fd.vjp(ffft.rfft, x.real)[1](um)[0], (R.T @ um).real, **tol(float))
        # irfft: derivative w.r.t. real and imaginary parts of each bin
        ur = rand((n,))
        c = rand((m,), complex)
        dx = np.fft.irfft(np.eye(m), n=n, axis=0)  # d out / d Re c_k
        dy = np.fft.irfft(1j * np.eye(m), n=n, axis=0)  # d out / d Im c_k
        want = dx.T @ ur - 1j * (dy.T @ ur)
        got = fd.vjp(lambda c, n=n: ffft.irfft(c, n=n), c)[1](ur)[0]
        assert_same(got, want, **tol(want))


# -- derivatives of real-valued functions vs finite differences ---------------------------------
def _w(shape, dtype=complex):
    return rand(shape, dtype)


W8 = _w((8,))
W35 = _w((3, 5))
H5 = _w((5,))

GRAD_FNS = [
    ("abs2-fft", lambda x: fnp.sum(fnp.abs(ffft.fft(x)) ** 2), (rand((6,)),)),
    ("abs2-fft-c", lambda x: fnp.sum(fnp.abs(ffft.fft(x, n=8)) ** 2), (rand((6,), complex),)),
    ("re-ifft-w", lambda x: fnp.sum(fnp.real(ffft.ifft(x * W8))), (rand((8,)),)),
    ("re-ifft-w-c", lambda x: fnp.sum(fnp.real(ffft.ifft(x * W8, norm="ortho")) ** 2),
     (rand((8,), complex),)),
    ("sin-fft2", lambda x: fnp.sum(fnp.sin(fnp.real(ffft.fft2(x, s=(4, 4)) * W35[0, 0]))),
     (rand((3, 5)),)),
    ("rfft-filter-irfft", lambda x: fnp.sum(ffft.irfft(ffft.rfft(x) * H5, n=8) ** 3),
     (rand((8,)),)),
    ("rfft-odd", lambda x: fnp.sum(fnp.abs(ffft.rfft(x, n=7, norm="forward")) ** 2),
     (rand((5,)),)),
    ("irfft-c", lambda c: fnp.sum(ffft.irfft(c, n=6) ** 2 * fnp.arange(6.0)),
     (rand((4,), complex),)),
    ("irfft-c-odd", lambda c: fnp.sum(fnp.cos(ffft.irfft(c, n=5, norm="ortho"))),
     (rand((3,), complex),)),
    ("rfftn-abs", lambda x: fnp.sum(fnp.abs(ffft.rfftn(x, axes=(0, 1))) ** 3),
     (rand((3, 4)),)),
    ("irfftn", lambda c: fnp.sum(ffft.irfftn(c, s=(3, 5), axes=(0, 1)) ** 3),
     (rand((3, 3), complex),)),
    ("irfft2-trunc", lambda c: fnp.sum(fnp.exp(ffft.irfft2(c, s=(2, 4)))),
     (rand((3, 4), complex),)),
    ("fftn-ortho", lambda x: fnp.sum(fnp.real(ffft.fftn(x, norm="ortho") ** 2)),
     (rand((2, 3, 2), complex),)),
    ("ifftn-rep", lambda x: fnp.sum(fnp.imag(ffft.ifftn(x, axes=(1, 1))) ** 2),
     (rand((2, 3), complex),)),
    ("shift", lambda x: fnp.sum(ffft.fftshift(x) ** 2 * W35.real), (rand((3, 5)),)),
    ("ishift", lambda x: fnp.sum(ffft.ifftshift(x, axes=0) ** 3 * W35.real), (rand((3, 5)),)),
    ("hfft", lambda c: fnp.sum(ffft.hfft(c, n=6) ** 2), (rand((4,), complex),)),
    ("ihfft", lambda x: fnp.sum(fnp.abs(ffft.ihfft(x)) ** 2 * fnp.arange(4.0)), (rand((6,)),)),
    ("fftfreq-d", lambda d: fnp.sum(ffft.fftfreq(5, d) ** 2) + fnp.sum(ffft.rfftfreq(6, d)),
     (0.7,)),
]


@pytest.mark.parametrize("name, f, args", GRAD_FNS, ids=[g[0] for g in GRAD_FNS])
def test_grads_vs_finite_differences(name, f, args):
    check_grads(f, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("case", [c for c in LINEAR if c[2] == np.float64 and c[3].get("norm")
                                  in (None, "forward")][::3], ids=_id)
def test_check_grads_linear(case):
    """check_grads on the transforms themselves (complex outputs; identity in the checker)."""
    name, shape, dt, kw = case
    check_grads(_f(name, kw), (rand(shape, dt),), order=1)


def test_float32_gradients_stay_float32():
    x = rand((8,), np.float32)
    g = fd.grad(lambda x: fnp.sum(fnp.abs(ffft.rfft(x)) ** 2))(x)
    assert g.dtype == np.float32
    z = rand((8,), np.complex64)
    g = fd.grad(lambda z: fnp.sum(fnp.abs(ffft.fft(z)) ** 2))(z)
    assert g.dtype == np.complex64
    np.testing.assert_allclose(g, 16 * np.conj(z), rtol=1e-4)


def test_complex_convention_parseval():
    """JAX's convention: grad(sum |fft(z)|^2) = 2 n conj(z)."""
    z = rand((5,), complex)
    assert_same(fd.grad(lambda z: fnp.sum(fnp.abs(ffft.fft(z)) ** 2))(z), 10 * np.conj(z),
                **tol(complex))
    x = rand((5,))
    assert_same(fd.grad(lambda x: fnp.sum(fnp.abs(ffft.fft(x)) ** 2))(x), 10 * x, **tol(float))


def test_irfft_ignores_imaginary_dc_and_nyquist():
    c = rand((5,), complex)
    w = rand((8,))
    g = fd.grad(lambda c: fnp.sum(ffft.irfft(c) * w))(c)
    assert g[0].imag == 0 and g[-1].imag == 0
    g = fd.grad(lambda c: fnp.sum(ffft.irfft(c, n=9) * fnp.arange(9.0)))(c)
    assert g[0].imag == 0 and g[-1].imag != 0


def test_numpy_functions_dispatch():
    x = rand((6,))
    g = fd.grad(lambda x: np.sum(np.abs(np.fft.rfft(x)) ** 2))(x)
    assert_same(g, fd.grad(lambda x: fnp.sum(fnp.abs(ffft.rfft(x)) ** 2))(x), **tol(float))
    y = fd.grad(lambda x: np.sum(np.fft.fftshift(x) * np.arange(6.0)))(x)
    assert_same(y, np.fft.ifftshift(np.arange(6.0)), **tol(float))


# -- vmap ------------------------------------------------------------------------------------------
VMAP = [c for c in CASES if c[3].get("norm") in (None, "ortho") and c[2] != np.float16
        and 0 not in c[1]]


@pytest.mark.parametrize("case", VMAP, ids=_id)
@pytest.mark.parametrize("in_axis", [0, 1, -1])
def test_vmap_vs_loop(case, in_axis):
    name, shape, dt, kw = case
    f = _f(name, kw)
    xs = rand((3,) + shape, dt)
    xs = np.moveaxis(xs, 0, in_axis % (len(shape) + 1))
    got = fd.vmap(f, in_axes=in_axis)(xs)
    want = np.stack([f(np.take(xs, i, axis=in_axis)) for i in range(3)])
    assert_same(got, want, **tol(want))


def test_vmap_of_grad_and_jacobians():
    xs = rand((4, 6))
    f = lambda x: fnp.sum(fnp.abs(ffft.rfft(x, n=8)) ** 2)  # noqa: E731
    got = fd.vmap(fd.grad(f))(xs)
    assert_same(got, np.stack([fd.grad(f)(x) for x in xs]), **tol(float))
    J = fd.jacfwd(lambda x: ffft.irfft(x, n=6))(rand((4,)))
    Jr = fd.jacrev(lambda x: ffft.irfft(x, n=6))(rand((4,)))
    assert_same(J, np.fft.irfft(np.eye(4), n=6, axis=0), **tol(float))
    assert_same(Jr, J, **tol(J))
    H = fd.hessian(f)(rand((6,)))
    assert H.shape == (6, 6)


# -- jit and the abstract evaluation rule ------------------------------------------------------
@pytest.mark.parametrize("case", [c for c in CASES if c[3].get("norm") in (None, "ortho")],
                         ids=_id)
def test_jit(case):
    name, shape, dt, kw = case
    x = rand(shape, dt)
    want = getattr(np.fft, name)(x, **kw)
    assert_same(fd.jit(_f(name, kw))(x), want, **tol(want))


@pytest.mark.parametrize("fft_type", ["fft", "ifft", "rfft", "irfft"])
@pytest.mark.parametrize(
    "dt", [np.float16, np.float32, np.float64, np.complex64, np.complex128, np.int64]
)
@pytest.mark.parametrize("axes", [(1,), (0, 1), (2, 0)])
def test_abstract_eval_matches_impl(fft_type, dt, axes):
    if fft_type == "rfft" and np.dtype(dt).kind == "c":
        return
    x = rand((4, 5, 6), dt)
    s = tuple(x.shape[a] for a in axes)
    if fft_type == "irfft":
        s = s[:-1] + (2 * s[-1] - 1,)  # odd output length from s[-1] // 2 + 1 bins
    want = pf.fft_p.impl(x, fft_type=fft_type, axes=axes, s=s, norm="backward")
    got = pf.fft_p.abstract_eval(ShapedArray(x.shape, x.dtype), fft_type=fft_type, axes=axes,
                                 s=s, norm="backward")
    assert got == ShapedArray(want.shape, want.dtype)


# -- errors, outputs and frequencies ---------------------------------------------------------------
def _under_grad(f, x):
    return fd.grad(lambda x: fnp.sum(fnp.abs(f(x))))(x)


def test_errors():
    x = rand((4,))
    with pytest.raises(ValueError, match="Invalid norm"):
        _under_grad(lambda x: ffft.fft(x, norm="bad"), x)
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        _under_grad(lambda x: ffft.fft(x, n=0), x)
    with pytest.raises(ValueError, match="Invalid number of FFT data points"):
        _under_grad(lambda x: ffft.irfft(x[:1]), x)
    with pytest.raises(TypeError, match="real"):
        fd.grad(lambda z: fnp.sum(fnp.abs(ffft.rfft(z))), holomorphic=False)(x + 1j)
    with pytest.raises(TypeError, match="out="):
        _under_grad(lambda x: ffft.fft(x, out=np.zeros(4, complex)), x)
    with pytest.raises(ValueError, match="different lengths"):
        _under_grad(lambda x: ffft.fftn(x, s=(4, 4), axes=(0,)), x)
    with pytest.raises(IndexError):
        _under_grad(lambda x: ffft.fft(x, axis=3), x)
    with pytest.raises(TypeError):
        _under_grad(lambda x: ffft.fft(x, n=2.0), x)


def test_deprecated_s_without_axes_warns_like_numpy():
    x = rand((3, 4))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = fd.vjp(lambda x: ffft.fftn(x, s=(2, 6)), x)[0]
    assert any(issubclass(i.category, DeprecationWarning) for i in w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert_same(got, np.fft.fftn(x, s=(2, 6)), **tol(complex))


def test_outside_transforms_is_numpy():
    x = rand((4, 6))
    out = np.empty((4, 6), complex)
    assert ffft.fft(x, out=out) is out
    np.testing.assert_array_equal(ffft.fftfreq(7, 0.3), np.fft.fftfreq(7, 0.3))
    np.testing.assert_array_equal(ffft.rfftfreq(7, 0.3), np.fft.rfftfreq(7, 0.3))
    np.testing.assert_array_equal(ffft.fftshift(x, axes=0), np.fft.fftshift(x, axes=0))


@pytest.mark.parametrize("n", [1, 4, 7])
@pytest.mark.parametrize("d", [0.3, np.float32(2.0)])
def test_frequencies_with_traced_spacing(n, d):
    for name in ("fftfreq", "rfftfreq"):
        want = getattr(np.fft, name)(n, d)
        freq = getattr(ffft, name)
        got = fd.vjp(lambda d, freq=freq: freq(n, d), d)[0]
        assert_same(got, want, **tol(want))
        g = fd.grad(lambda d, freq=freq: fnp.sum(freq(n, d)))(d)
        np.testing.assert_allclose(g, -np.sum(want) / d, rtol=1e-5, atol=1e-12)
