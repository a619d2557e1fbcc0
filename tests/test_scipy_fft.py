"""funcdiff.scipy.fft (dct, idct, dctn, idctn): values vs scipy.fft for every type, norm,
orthogonalize and size option, exact linear derivatives (the transposition identity),
finite differences, vmap vs a loop, jit vs eager, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft as sf
from helpers import inside

import funcdiff as fd
from funcdiff.scipy import fft as ff
from funcdiff.testing import check_grads

_rng = np.random.default_rng(0)
X = _rng.standard_normal((4, 5))

NORMS = [None, "ortho", "backward", "forward"]
# (funcdiff function, SciPy function, keyword arguments)
CASES = {}
for _t in (1, 2, 3, 4):
    for _norm in NORMS:
        CASES[f"dct-{_t}-{_norm}"] = (ff.dct, sf.dct, dict(type=_t, norm=_norm))
        CASES[f"idct-{_t}-{_norm}"] = (ff.idct, sf.idct, dict(type=_t, norm=_norm))
    CASES[f"dct-{_t}-n7-axis0"] = (ff.dct, sf.dct, dict(type=_t, n=7, axis=0, norm="ortho"))
    CASES[f"idct-{_t}-n3"] = (ff.idct, sf.idct, dict(type=_t, n=3))
    CASES[f"dct-{_t}-orth-false"] = (ff.dct, sf.dct, dict(type=_t, norm="ortho",
                                                           orthogonalize=False))
    CASES[f"idct-{_t}-orth-true"] = (ff.idct, sf.idct, dict(type=_t, orthogonalize=True))
    CASES[f"dctn-{_t}"] = (ff.dctn, sf.dctn, dict(type=_t, norm="ortho"))
    CASES[f"idctn-{_t}"] = (ff.idctn, sf.idctn, dict(type=_t))
    CASES[f"dctn-{_t}-s-axes"] = (ff.dctn, sf.dctn, dict(type=_t, s=(6, 3), axes=(1, 0)))
    CASES[f"idctn-{_t}-s"] = (ff.idctn, sf.idctn, dict(type=_t, s=(3,), norm="forward"))
    CASES[f"dctn-{_t}-axis"] = (ff.dctn, sf.dctn, dict(type=_t, axes=-2))


def _f(name):
    fn, _, kw = CASES[name]
    return lambda x: fn(x, **kw)


def _want(name, x):
    _, sp, kw = CASES[name]
    return sp(x, **kw)


@pytest.mark.parametrize("name", CASES)
def test_values_match_scipy(name):
    want = _want(name, X)
    out = _f(name)(X)  # outside transforms: SciPy's own
    assert out.dtype == want.dtype and np.array_equal(out, want)
    got = inside(_f(name), X)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_transposition_identity_and_exact_jvp(name):
    f = _f(name)
    u = _rng.standard_normal(X.shape)
    y, tangent = fd.jvp(f, (X,), (u,))
    np.testing.assert_allclose(tangent, _want(name, u), rtol=1e-12, atol=1e-12)
    v = _rng.standard_normal(np.shape(y))
    (ct,) = fd.vjp(f, X)[1](v)
    np.testing.assert_allclose(np.vdot(ct, u), np.vdot(v, tangent), rtol=1e-12)


@pytest.mark.parametrize("name", [n for n in CASES if n.endswith(("-ortho", "-s-axes", "-n3"))])
def test_derivatives_second_order(name):
    check_grads(_f(name), (X,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["dct-2-None", "idct-3-ortho", "dctn-1", "idctn-4-s"])
def test_vmap_and_jit(name):
    f = _f(name)
    xs = _rng.standard_normal((3,) + X.shape)
    np.testing.assert_allclose(fd.vmap(f)(xs), np.stack([_want(name, x) for x in xs]),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fd.vmap(f, in_axes=2)(xs), np.stack(
        [_want(name, xs[:, :, i]) for i in range(X.shape[1])]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fd.jit(f)(X), f(X), rtol=1e-12, atol=1e-12)
    g = fd.jit(fd.grad(lambda x: (f(x) ** 2).sum()))
    np.testing.assert_allclose(g(X), fd.grad(lambda x: (f(x) ** 2).sum())(X), rtol=1e-12)


def test_dtypes():
    x32 = X.astype(np.float32)
    for fn, sp in ((ff.dct, sf.dct), (ff.idctn, sf.idctn)):
        got = inside(fn, x32)
        assert got.dtype == sp(x32).dtype == np.float32
        np.testing.assert_allclose(got, sp(x32), rtol=1e-5, atol=1e-5)
        z = X + 1j * X[::-1]
        np.testing.assert_allclose(inside(fn, z), sp(z), rtol=1e-12, atol=1e-12)
        check_grads(fn, (z,), order=1)
        xi = np.arange(6).reshape(2, 3)
        assert fn(xi).dtype == sp(xi).dtype == np.float64


def test_errors():
    with pytest.raises(ValueError):
        fd.grad(lambda x: ff.dct(x, type=5).sum())(X)
    with pytest.raises(ValueError):
        fd.grad(lambda x: ff.dct(x, n=0).sum())(X)
    with pytest.raises(ValueError):
        fd.grad(lambda x: ff.dctn(x, s=(3, 3), axes=(0,)).sum())(X)
    with pytest.raises(ValueError):
        fd.grad(lambda x: ff.dct(x, norm="other").sum())(X)


@pytest.fixture
def fft_path(monkeypatch):
    """Every axis through the FFT path (the matrix path is for axes up to 256)."""
    from funcdiff._src.scipy import fft as impl

    monkeypatch.setattr(impl, "_MATRIX_MAX", 0)


@pytest.mark.parametrize("name", CASES)
def test_fft_path_values_and_transposition(name, fft_path):
    want = _want(name, X)
    f = _f(name)
    got = inside(f, X)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-11)
    u = _rng.standard_normal(X.shape)
    y, tangent = fd.jvp(f, (X,), (u,))
    np.testing.assert_allclose(tangent, _want(name, u), rtol=1e-11, atol=1e-11)
    v = _rng.standard_normal(np.shape(y))
    (ct,) = fd.vjp(f, X)[1](v)
    np.testing.assert_allclose(np.vdot(ct, u), np.vdot(v, tangent), rtol=1e-11)


def test_fft_path_complex_float32_and_long_axes():
    x = _rng.standard_normal(300)  # longer than the matrix path's limit
    for t in (1, 2, 3, 4):
        for fn, sp in ((ff.dct, sf.dct), (ff.idct, sf.idct)):
            for kw in ({}, {"norm": "ortho"}, {"n": 280, "norm": "forward"}):
                got = inside(lambda a, fn=fn, t=t, kw=kw: fn(a, t, **kw), x)
                np.testing.assert_allclose(got, sp(x, t, **kw), rtol=1e-10, atol=1e-10)
    check_grads(lambda a: ff.dct(a, 2, norm="ortho"), (x,), order=1)
    z = x + 1j * x[::-1]
    np.testing.assert_allclose(inside(lambda a: ff.idct(a, 3), z), sf.idct(z, 3), rtol=1e-10,
                               atol=1e-10)
    x32 = x.astype(np.float32)
    got = inside(lambda a: ff.dct(a, 4), x32)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, sf.dct(x32, 4), rtol=1e-4, atol=1e-3)
    f = fd.jit(fd.vmap(lambda a: ff.dct(a, 1)))
    xs = np.stack([x, -x])
    np.testing.assert_allclose(f(xs), sf.dct(xs, 1), rtol=1e-10, atol=1e-10)
