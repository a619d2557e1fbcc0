"""funcdiff.scipy.signal.convolve: values against SciPy in every mode and dimension,
derivatives in both inputs (to third order), vmap against a loop, dtypes, errors, jit."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")

import scipy.signal as ss  # noqa: E402
from helpers import inside, inside_jvp  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402
from funcdiff._src.scipy.signal import convolve_full_p  # noqa: E402
from funcdiff.scipy import signal  # noqa: E402
from funcdiff.testing import arrays, check_grads  # noqa: E402

SHAPES = [
    ((5,), (3,)),
    ((3,), (5,)),
    ((1,), (4,)),
    ((4, 3), (2, 2)),
    ((2, 3), (3, 4)),
    ((3, 2, 2), (2, 2, 1)),
]
VALID = [(s1, s2) for s1, s2 in SHAPES
         if all(a >= b for a, b in zip(s1, s2)) or all(a <= b for a, b in zip(s1, s2))]
CASES = [(m, s1, s2) for m in ("full", "same") for s1, s2 in SHAPES]
CASES += [("valid", s1, s2) for s1, s2 in VALID]


@pytest.mark.parametrize("mode,s1,s2", CASES, ids=[f"{m}-{a}-{b}" for m, a, b in CASES])
def test_values_and_grads(mode, s1, s2):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(s1), rng.standard_normal(s2)

    def f(a, b):
        return signal.convolve(a, b, mode)

    want = ss.convolve(x, y, mode)
    assert np.array_equal(f(x, y), want)
    np.testing.assert_allclose(inside_jvp(f, x, y), want, rtol=1e-12, atol=1e-12)
    check_grads(f, (x, y), order=2, modes=("fwd", "rev"))


def test_third_order():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(4), rng.standard_normal(3)
    check_grads(lambda a, b: fnp.sum(signal.convolve(a, b) ** 3), (x, y), order=3)
    check_grads(lambda a: signal.convolve(a, a, "same"), (x,), order=3)


@given(st.data())
def test_hypothesis_values(data):
    nd = data.draw(st.integers(1, 3))
    s1 = tuple(data.draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    s2 = tuple(data.draw(st.lists(st.integers(1, 4), min_size=nd, max_size=nd)))
    x = data.draw(arrays(s1))
    y = data.draw(arrays(s2))
    valid_ok = all(p >= q for p, q in zip(s1, s2)) or all(p <= q for p, q in zip(s1, s2))
    for mode in ("full", "same", "valid") if valid_ok else ("full", "same"):
        for method in ("direct", "fft"):
            got = inside_jvp(lambda a, b, mode=mode, method=method: signal.convolve(a, b, mode,
                                                                                  method), x, y)
            np.testing.assert_allclose(got, ss.convolve(x, y, mode, method), rtol=1e-9,
                                       atol=1e-9)


def test_grad_is_a_correlation():
    x, k = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0])
    np.testing.assert_allclose(fd.grad(lambda k: fnp.sum(signal.convolve(x, k, "valid")))(k),
                               [5.0, 3.0])
    g = np.array([1.0, -1.0, 2.0, 0.5])
    _, pullback = fd.vjp(lambda x: signal.convolve(x, k), x)
    np.testing.assert_allclose(pullback(g)[0], ss.correlate(g, k, "valid"))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("in_axes", [(0, 0), (0, None), (None, 1), (-1, 0)])
def test_vmap_matches_loop(mode, in_axes):
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((2, 2))
    args = [a if ax is None else np.moveaxis(np.stack([a, 2 * a + 1, -a]), 0, ax)
            for a, ax in zip((x, y), in_axes)]

    def f(a, b):
        return signal.convolve(a, b, mode)

    def pick(i):
        return [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)]

    out = fd.vmap(f, in_axes=in_axes)(*args)
    np.testing.assert_allclose(out, np.stack([ss.convolve(*pick(i), mode) for i in range(3)]),
                               atol=1e-12)
    g = fd.vmap(fd.grad(lambda a, b: fnp.sum(f(a, b) ** 2), argnums=(0, 1)),
                in_axes=in_axes)(*args)
    for i in range(3):
        gi = fd.grad(lambda a, b: fnp.sum(f(a, b) ** 2), argnums=(0, 1))(*pick(i))
        np.testing.assert_allclose(g[0][i], gi[0], atol=1e-12)
        np.testing.assert_allclose(g[1][i], gi[1], atol=1e-12)


def test_nested_vmap_and_jit():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 3, 2))
    out = fd.vmap(fd.vmap(signal.convolve))(x, y)
    np.testing.assert_allclose(out, [[ss.convolve(a, b) for a, b in zip(xa, ya)]
                                     for xa, ya in zip(x, y)], atol=1e-12)
    f = fd.jit(fd.grad(lambda a, b: fnp.sum(signal.convolve(a, b, "same") ** 2)))
    want = fd.grad(lambda a, b: fnp.sum(signal.convolve(a, b, "same") ** 2))(x[0], y[0])
    np.testing.assert_allclose(f(x[0], y[0]), want, atol=1e-12)
    assert convolve_full_p.batch is not None and convolve_full_p.abstract_eval is not None


def test_dtypes():
    x32 = np.array([1.0, 2.0, 3.0], np.float32)
    out, t = fd.jvp(lambda a: signal.convolve(a, a), (x32,), (x32,))
    assert out.dtype == t.dtype == ss.convolve(x32, x32).dtype == np.float32
    g = fd.grad(lambda a: fnp.sum(signal.convolve(a, np.array([1.0, 2.0], np.float32))))(x32)
    assert g.dtype == np.float32
    # complex inputs, linear (not conjugate-linear) pullback
    z = np.array([1.0 + 1j, 2.0 - 1j])
    k = np.array([0.5 - 2j, 1.0])
    check_grads(lambda a, b: signal.convolve(a, b), (z, k), order=2)
    # an integer kernel (not differentiated)
    ik = np.array([1, 2])
    np.testing.assert_allclose(inside_jvp(lambda a: signal.convolve(a, ik), x32),
                               ss.convolve(x32, ik))


def test_errors_and_edge_cases():
    x = fnp.ones(3)
    with pytest.raises(ValueError, match="dimensionality"):
        fd.grad(lambda a: fnp.sum(signal.convolve(a, np.ones((2, 2)))))(x)
    with pytest.raises(ValueError, match="at least as large"):
        fd.grad(lambda a: fnp.sum(signal.convolve(a, np.ones((3, 1)), "valid")))(
            np.ones((2, 2)))
    with pytest.raises(ValueError):
        fd.grad(lambda a: fnp.sum(signal.convolve(a, x, "middle")))(x)
    with pytest.raises(ValueError):
        fd.grad(lambda a: fnp.sum(signal.convolve(a, x, method="slow")))(x)
    # 0-d inputs multiply
    assert fd.grad(lambda a: signal.convolve(a, 3.0))(2.0) == 3.0


# -- correlate, convolve2d, correlate2d, fftconvolve, detrend, stft, istft, welch, csd (#16) ----
import warnings  # noqa: E402

_r = np.random.default_rng(10)


def _n(*shape):
    return _r.standard_normal(shape)


def _stft_of(x, **kw):
    z = ss.stft(x, **kw)[2]
    return z + 0.1 * _r.standard_normal(z.shape)


_SIG = _n(40)
_SIG2 = _n(3, 30)
# name -> (funcdiff function, SciPy function, arguments): every function of float arrays
CASES2 = {
    "correlate-full": (lambda a, b: signal.correlate(a, b), lambda a, b: ss.correlate(a, b),
                       (_n(6), _n(3))),
    "correlate-same-even": (lambda a, b: signal.correlate(a, b, "same", "direct"),
                            lambda a, b: ss.correlate(a, b, "same", "direct"), (_n(5), _n(4))),
    "correlate-valid-swapped": (lambda a, b: signal.correlate(a, b, "valid"),
                                lambda a, b: ss.correlate(a, b, "valid"), (_n(3, 2), _n(4, 3))),
    "correlate-2d-fft": (lambda a, b: signal.correlate(a, b, "same", "fft"),
                         lambda a, b: ss.correlate(a, b, "same", "fft"), (_n(4, 3), _n(2, 2))),
    "convolve2d-fill": (lambda a, b: signal.convolve2d(a, b, fillvalue=1.5),
                        lambda a, b: ss.convolve2d(a, b, fillvalue=1.5), (_n(4, 3), _n(2, 3))),
    "convolve2d-same-wrap": (lambda a, b: signal.convolve2d(a, b, "same", "wrap"),
                             lambda a, b: ss.convolve2d(a, b, "same", "wrap"),
                             (_n(4, 5), _n(2, 3))),
    "convolve2d-symm-big-kernel": (lambda a, b: signal.convolve2d(a, b, "full", "symm"),
                                   lambda a, b: ss.convolve2d(a, b, "full", "symm"),
                                   (_n(2, 3), _n(4, 5))),
    "convolve2d-valid": (lambda a, b: signal.convolve2d(a, b, "valid"),
                         lambda a, b: ss.convolve2d(a, b, "valid"), (_n(2, 3), _n(4, 5))),
    "correlate2d-same-fill": (lambda a, b: signal.correlate2d(a, b, "same", fillvalue=-1.0),
                              lambda a, b: ss.correlate2d(a, b, "same", fillvalue=-1.0),
                              (_n(4, 5), _n(2, 2))),
    "correlate2d-wrap": (lambda a, b: signal.correlate2d(a, b, "full", "wrap"),
                         lambda a, b: ss.correlate2d(a, b, "full", "wrap"), (_n(3, 4), _n(3, 2))),
    "correlate2d-valid-swapped": (lambda a, b: signal.correlate2d(a, b, "valid"),
                                  lambda a, b: ss.correlate2d(a, b, "valid"),
                                  (_n(2, 2), _n(3, 4))),
    "correlate2d-symm-same": (lambda a, b: signal.correlate2d(a, b, "same", "symm"),
                              lambda a, b: ss.correlate2d(a, b, "same", "symm"),
                              (_n(3, 3), _n(3, 4))),
    "fftconvolve": (lambda a, b: signal.fftconvolve(a, b), lambda a, b: ss.fftconvolve(a, b),
                    (_n(7), _n(4))),
    "fftconvolve-axes-same": (lambda a, b: signal.fftconvolve(a, b, "same", axes=1),
                              lambda a, b: ss.fftconvolve(a, b, "same", axes=1),
                              (_n(3, 6), _n(1, 3))),
    "fftconvolve-valid-swapped": (lambda a, b: signal.fftconvolve(a, b, "valid", axes=[0, 2]),
                                  lambda a, b: ss.fftconvolve(a, b, "valid", axes=[0, 2]),
                                  (_n(2, 3, 2), _n(3, 3, 4))),
    "detrend-linear-bp": (lambda a: signal.detrend(a, bp=[4, 9]),
                          lambda a: ss.detrend(a, bp=[4, 9]), (_n(2, 15),)),
    "detrend-constant-axis0": (lambda a: signal.detrend(a, axis=0, type="constant"),
                               lambda a: ss.detrend(a, axis=0, type="constant"), (_n(6, 3),)),
    "stft": (lambda a: signal.stft(a, nperseg=8)[2], lambda a: ss.stft(a, nperseg=8)[2],
             (_SIG,)),
    "stft-even-linear-psd": (
        lambda a: signal.stft(a, 2.0, nperseg=10, noverlap=6, nfft=12, boundary="even",
                              detrend="linear", scaling="psd")[2],
        lambda a: ss.stft(a, 2.0, nperseg=10, noverlap=6, nfft=12, boundary="even",
                          detrend="linear", scaling="psd")[2], (_SIG,)),
    "stft-odd-twosided-axis0": (
        lambda a: signal.stft(a, nperseg=7, boundary="odd", return_onesided=False, axis=0,
                              window=("tukey", 0.3))[2],
        lambda a: ss.stft(a, nperseg=7, boundary="odd", return_onesided=False, axis=0,
                          window=("tukey", 0.3))[2], (_SIG2.T,)),
    "stft-constant-unpadded": (
        lambda a: signal.stft(a, nperseg=9, boundary="constant", padded=False,
                              window=np.hamming(9), detrend="constant")[2],
        lambda a: ss.stft(a, nperseg=9, boundary="constant", padded=False,
                          window=np.hamming(9), detrend="constant")[2], (_SIG2,)),
    "istft": (lambda z: signal.istft(z, nperseg=8)[1], lambda z: ss.istft(z, nperseg=8)[1],
              (_stft_of(_SIG, nperseg=8),)),
    "istft-psd-odd-nfft": (
        lambda z: signal.istft(z, 3.0, nperseg=9, noverlap=5, nfft=12, scaling="psd")[1],
        lambda z: ss.istft(z, 3.0, nperseg=9, noverlap=5, nfft=12, scaling="psd")[1],
        (_stft_of(_SIG, fs=3.0, nperseg=9, noverlap=5, nfft=12, scaling="psd"),)),
    "istft-twosided-axes-noboundary": (
        lambda z: signal.istft(z, nperseg=8, input_onesided=False, boundary=False,
                               time_axis=0, freq_axis=2, window="hamming")[1],
        lambda z: ss.istft(z, nperseg=8, input_onesided=False, boundary=False,
                           time_axis=0, freq_axis=2, window="hamming")[1],
        (np.moveaxis(_stft_of(_SIG2, nperseg=8, return_onesided=False, boundary=None,
                              window="hamming"),
                     (-1, -2), (0, 2)),)),
    "welch": (lambda a: signal.welch(a, nperseg=8)[1], lambda a: ss.welch(a, nperseg=8)[1],
              (_SIG,)),
    "welch-median-spectrum": (
        lambda a: signal.welch(a, 4.0, nperseg=12, noverlap=4, nfft=15, detrend="linear",
                               scaling="spectrum", average="median")[1],
        lambda a: ss.welch(a, 4.0, nperseg=12, noverlap=4, nfft=15, detrend="linear",
                           scaling="spectrum", average="median")[1], (_SIG2,)),
    "welch-twosided-axis0": (
        lambda a: signal.welch(a, nperseg=6, return_onesided=False, axis=0, detrend=False)[1],
        lambda a: ss.welch(a, nperseg=6, return_onesided=False, axis=0, detrend=False)[1],
        (_SIG2.T,)),
    "csd": (lambda a, b: signal.csd(a, b, nperseg=8)[1], lambda a, b: ss.csd(a, b, nperseg=8)[1],
            (_SIG, _n(40))),
    "csd-median-broadcast": (
        lambda a, b: signal.csd(a, b, nperseg=8, average="median", window="hamming")[1],
        lambda a, b: ss.csd(a, b, nperseg=8, average="median", window="hamming")[1],
        (_SIG2, _n(30))),
}


def _leaves(x):
    return x if isinstance(x, tuple) else (x,)


@pytest.mark.parametrize("name", CASES2)
def test_new_values_match_scipy(name):
    f, g, args = CASES2[name]
    want = g(*args)
    out = f(*args)  # outside transforms: SciPy's own
    assert out.dtype == want.dtype and np.array_equal(out, want)
    got = inside(f, *args)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CASES2)
def test_new_derivatives_second_order(name):
    f, _, args = CASES2[name]
    check_grads(f, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", CASES2)
def test_new_vmap_and_jit(name):
    f, g, args = CASES2[name]
    batched = (np.stack([args[0], 2 * args[0] + 1, -args[0]]),) + args[1:]
    in_axes = (0,) + (None,) * (len(args) - 1)
    out = fd.vmap(f, in_axes=in_axes)(*batched)
    np.testing.assert_allclose(out, np.stack([g(a, *args[1:]) for a in batched[0]]),
                               rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(fd.jit(f)(*args), g(*args), rtol=1e-11, atol=1e-11)
    h = fd.jit(fd.grad(lambda *a: fnp.sum(fnp.abs(f(*a)) ** 2)))
    np.testing.assert_allclose(h(*args), fd.grad(lambda *a: fnp.sum(fnp.abs(f(*a)) ** 2))(*args),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("fn", ["stft", "welch", "csd"])
def test_spectral_frequencies_times_and_dtypes(fn):
    x32 = _SIG.astype(np.float32)
    args = (x32, x32[::-1].copy()) if fn == "csd" else (x32,)
    f = getattr(signal, fn)
    g = getattr(ss, fn)
    want = g(*args, nperseg=8)
    got = fd.vjp(lambda *a: f(*a, nperseg=8), *args)[0]
    for w, h in zip(want, got):
        assert np.shape(w) == np.shape(h) and np.result_type(w) == np.result_type(h)
        np.testing.assert_allclose(h, w, rtol=2e-5, atol=2e-5)
    z = _SIG + 1j * _SIG[::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = g(z, z[::-1].copy(), nperseg=8) if fn == "csd" else g(z, nperseg=8)
        got = (inside(lambda a: f(a, a[::-1], nperseg=8), z) if fn == "csd"
               else inside(lambda a: f(a, nperseg=8), z))
    for w, h in zip(want, got):
        np.testing.assert_allclose(h, w, rtol=1e-12, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_grads(lambda a: f(a, nperseg=8)[-1] if fn != "csd" else f(a, a, nperseg=8)[-1],
                    (z[:20],), order=1)


def test_stft_istft_round_trip_and_callable_detrend():
    def f(x):
        return signal.istft(signal.stft(x, nperseg=8)[2], nperseg=8)[1]

    x = _SIG
    np.testing.assert_allclose(inside(f, x)[: len(x)], x, atol=1e-12)
    # the round trip is the identity on the signal: its Jacobian too
    np.testing.assert_allclose(fd.jacfwd(lambda x: f(x)[: len(x)])(x), np.eye(len(x)),
                               atol=1e-12)

    def demean(d):
        return d - fnp.mean(d, axis=-1, keepdims=True)

    want = ss.stft(x, nperseg=8, detrend=lambda d: d - d.mean(axis=-1, keepdims=True))[2]
    np.testing.assert_allclose(inside(lambda a: signal.stft(a, nperseg=8, detrend=demean)[2],
                                      x), want, atol=1e-12)


def test_welch_median_derivative_is_that_of_the_median():
    # an odd number of segments: the median is one segment's value
    x = _n(36)
    check_grads(lambda a: signal.welch(a, nperseg=8, average="median")[1], (x,), order=1)
    # an even number: the mean of the two middle ones
    x = _n(40)
    assert (40 - 4) // 4 % 2 == 1
    check_grads(lambda a: signal.welch(a, nperseg=8, noverlap=0, average="median")[1], (x,),
                order=1)


def test_new_errors():
    x = _n(4, 4)
    cases = [
        (lambda a: signal.convolve2d(a, a[0]), ValueError, "2-D"),
        (lambda a: signal.convolve2d(a, a, boundary="mirror"), ValueError, "boundary"),
        (lambda a: signal.correlate2d(a, a, "middle"), ValueError, "mode"),
        (lambda a: signal.correlate(a, a, method="slow"), ValueError, "method"),
        (lambda a: signal.convolve2d(a[:2, :3], a[:3, :2], "valid"), ValueError, "at least"),
        (lambda a: signal.fftconvolve(a, a[0]), ValueError, "dimensionality"),
        (lambda a: signal.fftconvolve(a, a[:2, :3], axes=0), ValueError, "incompatible"),
        (lambda a: signal.detrend(a, type="cubic"), ValueError, "Trend type"),
        (lambda a: signal.detrend(a, bp=[9]), ValueError, "Breakpoints"),
        (lambda a: signal.stft(a[0], nperseg=4, noverlap=4)[2], ValueError, "noverlap"),
        (lambda a: signal.stft(a[0], nperseg=4, boundary="other")[2], ValueError, "boundary"),
        (lambda a: signal.stft(a[0], nperseg=4, scaling="other")[2], ValueError, "scaling"),
        (lambda a: signal.stft(a[0], window=a[1])[2], NotImplementedError, "window"),
        (lambda a: signal.welch(a, nperseg=2, average="mode")[1], ValueError, "average"),
        (lambda a: signal.istft(a[0])[1], ValueError, "2d"),
        (lambda a: signal.istft(a, nperseg=6, window=np.ones(5))[1], ValueError, "length"),
    ]
    for f, err, match in cases:
        with pytest.raises(err, match=match):
            fd.vjp(f, x)


@pytest.mark.parametrize("fn", ["correlate", "correlate2d", "convolve2d", "fftconvolve"])
def test_new_complex_inputs(fn):
    a = _n(3, 4) + 1j * _n(3, 4)
    b = _n(2, 3) - 1j * _n(2, 3)
    f, g = getattr(signal, fn), getattr(ss, fn)
    for mode in ("full", "same", "valid"):
        np.testing.assert_allclose(inside(lambda x, y, mode=mode: f(x, y, mode), a, b),
                                   g(a, b, mode), rtol=1e-12, atol=1e-12)
        check_grads(lambda x, y, mode=mode: f(x, y, mode), (a, b), order=1)


def test_csd_pads_the_shorter_input():
    x, y = _n(40), _n(33)
    want = ss.csd(x, y, nperseg=8)[1]
    np.testing.assert_allclose(inside(lambda a, b: signal.csd(a, b, nperseg=8)[1], x, y), want,
                               rtol=1e-12, atol=1e-12)
    check_grads(lambda a, b: signal.csd(a, b, nperseg=8)[1], (x, y), order=1)


@pytest.mark.parametrize("bp", [0, [100, 357], [1, 599], 600])
def test_detrend_long_axes(bp):
    # axes longer than 256 points: the segment-by-segment least-squares path
    x = _n(2, 600)
    want = ss.detrend(x, bp=bp)
    np.testing.assert_allclose(inside(lambda a: signal.detrend(a, bp=bp), x), want,
                               rtol=1e-12, atol=1e-12)
    check_grads(lambda a: signal.detrend(a, bp=bp), (x,), order=1)
    np.testing.assert_allclose(fd.vmap(lambda a: signal.detrend(a, axis=0, bp=bp))(
        np.swapaxes(x[None], 1, 2)), want[None].swapaxes(1, 2), rtol=1e-12, atol=1e-12)


# -- autograd's generalized convolve: axes to convolve, dot_axes to contract ------------------
_RNG_T = np.random.default_rng(11)
_A35, _A34, _A342 = (_RNG_T.normal(size=s) for s in ((3, 5), (3, 4), (3, 4, 2)))
_A2543, _A24232 = _RNG_T.normal(size=(2, 5, 4, 3)), _RNG_T.normal(size=(2, 4, 2, 3, 2))


@pytest.mark.parametrize("mode", ["full", "valid", "same"])
def test_convolve_axes_and_dot_axes(mode):
    """Values against SciPy slice by slice (and tensordot), derivatives against finite
    differences, vmap against a loop, jit."""
    conv = signal.convolve
    np.testing.assert_allclose(conv(_A35, _A34, mode, axes=([1], [0]))[1, 2],
                               ss.convolve(_A35[1], _A34[:, 2], mode))
    np.testing.assert_allclose(conv(_A35, _A34, mode, axes=([], []), dot_axes=([0], [0])),
                               np.tensordot(_A35, _A34, axes=([0], [0])))
    np.testing.assert_allclose(
        conv(_A35, _A342, mode, axes=([1], [2]), dot_axes=([0], [0]))[2],
        sum(ss.convolve(_A35[i], _A342[i, 2], mode) for i in range(3)))
    np.testing.assert_allclose(
        conv(_A2543, _A24232, mode, axes=([1, 2], [2, 4]), dot_axes=([0, 3], [0, 3]))[2],
        sum(ss.convolve(_A2543[i, :, :, j], _A24232[i, 2, :, j, :], mode)
            for i in range(2) for j in range(3)))
    f = lambda a, b: conv(a, b, mode, axes=([1], [2]), dot_axes=([0], [0]))  # noqa: E731
    check_grads(f, (_A35, _A342), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(fd.jit(f)(_A35, _A342), f(_A35, _A342))
    batch = np.stack([_A35, 2 * _A35])
    np.testing.assert_allclose(fd.vmap(f, in_axes=(0, None))(batch, _A342),
                               np.stack([f(a, _A342) for a in batch]))


def test_convolve_axes_errors():
    with pytest.raises(ValueError, match="dot_axes pair in1's axis 0"):
        signal.convolve(_A35, _A34, axes=([1], [1]), dot_axes=([0], [1]))
    with pytest.raises(ValueError, match="must pair as many"):
        signal.convolve(_A35, _A34, axes=([1], []))
