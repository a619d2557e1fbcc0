"""funcdiff.scipy.interpolate.RegularGridInterpolator: SciPy's values for 'linear' and
'nearest' (bounds, fill values, extrapolation, NaN, descending grids, trailing value
dimensions, 1-D grids), derivatives in values and xi, a traced construction, vmap vs a
loop, jit vs eager, bounds errors everywhere, and the other methods' clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.interpolate as si
from helpers import inside

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.scipy.interpolate import RegularGridInterpolator as RGI
from funcdiff.testing import check_grads

_rng = np.random.default_rng(0)
X = np.array([0.0, 0.5, 1.5, 3.0])
Y = np.array([2.0, 1.0, -1.0])  # descending
Z = np.array([0.0, 1.0])
POINTS = (X, Y, Z)
V = _rng.standard_normal((4, 3, 2))
V5 = _rng.standard_normal((4, 3, 2, 5))
XI = np.stack([_rng.uniform(0.05, 2.9, 7), _rng.uniform(-0.9, 1.9, 7),
               _rng.uniform(0.05, 0.95, 7)], -1)
XO = np.stack([_rng.uniform(-1, 4, 9), _rng.uniform(-2, 3, 9), _rng.uniform(-0.5, 1.5, 9)], -1)
XO[0, 0] = np.nan

CASES = {
    "linear": dict(method="linear"),
    "nearest": dict(method="nearest"),
    "linear-fill-nan": dict(method="linear", bounds_error=False),
    "linear-extrapolate": dict(method="linear", bounds_error=False, fill_value=None),
    "nearest-fill": dict(method="nearest", bounds_error=False, fill_value=2.5),
    "linear-fill": dict(method="linear", bounds_error=False, fill_value=-1.0),
}


def _xi(kw):
    return XI if kw.get("bounds_error", True) else XO


@pytest.mark.parametrize("values", [V, V5], ids=["values", "trailing-dims"])
@pytest.mark.parametrize("name", CASES)
def test_values_match_scipy(name, values):
    kw = CASES[name]
    xi = _xi(kw)
    want = si.RegularGridInterpolator(POINTS, values, **kw)(xi)
    out = RGI(POINTS, values, **kw)(xi)
    np.testing.assert_array_equal(out, want)
    # traced values (a construction inside the transform), and traced xi only
    got = inside(lambda v, p: RGI(POINTS, v, **kw)(p), values, xi)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    got = inside(lambda p: RGI(POINTS, values, **kw)(p), xi)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    # the method given at the call
    other = "nearest" if kw["method"] == "linear" else "linear"
    want = si.RegularGridInterpolator(POINTS, values, **kw)(xi, method=other)
    got = inside(lambda p: RGI(POINTS, values, **kw)(p, method=other), xi)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", CASES)
def test_derivatives(name):
    kw = CASES[name]
    xi = _xi(kw)[1:]  # no NaN for finite differences
    if name == "linear-fill-nan":  # a NaN value (outside) has no finite differences
        xi = XI
    check_grads(lambda v, p: RGI(POINTS, v, **kw)(p), (V, xi), order=2, modes=("fwd", "rev"))
    if kw["method"] == "nearest":
        assert not np.any(fd.grad(lambda p: RGI(POINTS, V, **kw)(p).sum())(xi))


def test_gradient_in_xi_is_the_slope():
    x, y = np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0])
    values = np.add.outer(x**2, 3 * y)
    g = fd.grad(lambda p: RGI((x, y), values)(p)[0])(np.array([1.5, 0.5]))
    np.testing.assert_allclose(g, [3.0, 3.0])
    # the gradient in values: the interpolation weights
    gv = fd.grad(lambda v: RGI((x, y), v)(np.array([0.5, 0.5]))[0])(values)
    np.testing.assert_allclose(gv, [[0.375, 0.125], [0.375, 0.125], [0.0, 0.0]])


@pytest.mark.parametrize("name", ["linear", "nearest", "linear-extrapolate"])
def test_vmap_and_jit(name):
    kw = CASES[name]
    xi = _xi(kw)[1:]

    def f(v, p):
        return RGI(POINTS, v, **kw)(p)

    vs = np.stack([V, 2 * V, V - 1])
    xs = np.stack([xi, xi[::-1], xi[::2].repeat(2, 0)[: len(xi)]])
    np.testing.assert_allclose(fd.vmap(f, in_axes=(0, None))(vs, xi),
                               np.stack([f(v, xi) for v in vs]), atol=1e-12)
    np.testing.assert_allclose(fd.vmap(f, in_axes=(None, 0))(V, xs),
                               np.stack([f(V, p) for p in xs]), atol=1e-12)
    np.testing.assert_allclose(fd.jit(f)(V, xi), f(V, xi), atol=1e-12)
    h = fd.grad(lambda v, p: fnp.sum(f(v, p) ** 2), argnums=(0, 1))
    for a, b in zip(fd.jit(h)(V, xi), h(V, xi)):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_bounds_error_eager_jit_and_vmap():
    bad = XO[1:]
    with pytest.raises(ValueError, match="out of bounds"):
        RGI(POINTS, V)(bad)
    with pytest.raises(ValueError, match="out of bounds"):
        fd.grad(lambda p: RGI(POINTS, V)(p).sum())(bad)
    with pytest.raises(ValueError, match="out of bounds"):
        fd.jit(lambda p: RGI(POINTS, V)(p))(bad)
    with pytest.raises(ValueError, match="out of bounds"):
        fd.vmap(lambda p: RGI(POINTS, V)(p))(np.stack([XI, bad[: len(XI)]]))


def test_shapes_dtypes_and_one_dimensional_grids():
    g = np.array([0.0, 1.0, 2.0])
    v = np.array([1.0, 3.0, 2.0])
    for xi in (np.array([0.5, 1.5]), np.array([[0.5], [1.5]]), (np.array([0.5, 1.5]),)):
        want = si.RegularGridInterpolator((g,), v)(xi)
        got = inside(lambda v, xi=xi: RGI((g,), v)(xi), v)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want)
    # a tuple of coordinate arrays, broadcast together
    pts = (np.array([[0.2], [1.1]]), np.array([-0.5, 0.5, 1.5]), np.array(0.3))
    want = si.RegularGridInterpolator(POINTS, V)(pts)
    np.testing.assert_allclose(inside(lambda v: RGI(POINTS, v)(pts), V), want, atol=1e-12)
    for m in ("linear", "nearest"):
        v32 = v.astype(np.float32)
        want = si.RegularGridInterpolator((g,), v32, m)(np.array([0.5, 1.5]))
        got = inside(lambda p, m=m, v32=v32: RGI((g,), v32, m)(p), np.array([0.5, 1.5]))
        assert got.dtype == want.dtype
    # a grid dimension of length 1
    want = si.RegularGridInterpolator((g, np.array([1.0])), v[:, None])(np.array([[0.7, 1.0]]))
    got = inside(lambda v: RGI((g, np.array([1.0])), v)(np.array([[0.7, 1.0]])), v[:, None])
    np.testing.assert_allclose(got, want)


def test_other_methods_and_errors():
    big = (X, X, X)
    v = _rng.standard_normal((4, 4, 4))
    p = np.full((2, 3), 1.2)
    # outside transforms every method is SciPy's
    np.testing.assert_array_equal(RGI(big, v, "cubic")(p),
                                  si.RegularGridInterpolator(big, v, "cubic")(p))
    with pytest.raises(NotImplementedError, match="cubic"):
        fd.grad(lambda v: RGI(big, v, "cubic")(p).sum())(v)
    with pytest.raises(NotImplementedError, match="pchip"):
        fd.grad(lambda p: RGI(big, v)(p, method="pchip").sum())(p)
    with pytest.raises(ValueError, match="not defined"):
        fd.grad(lambda p: RGI(big, v)(p, method="spline").sum())(p)
    with pytest.raises(ValueError, match="dimension"):
        fd.grad(lambda p: RGI(big, v)(p[:, :2]).sum())(p)
    with pytest.raises(ValueError):
        fd.grad(lambda v: RGI(big, v[:3])(p).sum())(v)
    with pytest.raises(NotImplementedError, match="points"):
        fd.grad(lambda x: RGI((x, X, X), v)(p).sum())(X)
