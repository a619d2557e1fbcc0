"""funcdiff.scipy.ndimage.map_coordinates: SciPy's values for orders 0 and 1 in every
boundary mode (dense sweeps of coordinates inside and outside the input, SciPy's own 'wrap'
and 'constant' conventions), derivatives in the input and the coordinates, vmap vs a
loop, jit vs eager, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as snd
from helpers import inside

import funcdiff as fd
from funcdiff.scipy.ndimage import map_coordinates
from funcdiff.testing import check_grads

MODES = ["constant", "nearest", "wrap", "mirror", "reflect", "grid-wrap", "grid-constant",
         "grid-mirror"]
_rng = np.random.default_rng(0)


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("mode", MODES)
def test_values_sweep_1d(mode, order, n):
    a = _rng.standard_normal(n)
    xs = np.concatenate([np.linspace(-3 * n - 1.3, 3 * n + 1.7, 201),
                         np.arange(-2 * n, 3 * n) + 0.0, np.arange(-2 * n, 3 * n) + 0.5,
                         [-1e-16, n - 1 + 1e-13]])[None]
    want = snd.map_coordinates(a, xs, order=order, mode=mode, cval=-0.7)
    assert np.array_equal(map_coordinates(a, xs, order=order, mode=mode, cval=-0.7), want)
    got = inside(lambda a, c: map_coordinates(a, c, order=order, mode=mode, cval=-0.7), a, xs)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_scipy_conventions_differ_from_periodic():
    a = np.array([1.0, 2.0, 4.0, 8.0])
    c = np.array([[3.5, -0.5, 4.6]])
    # SciPy's 'wrap' has period n - 1 = 3; 'constant' is cval outside [0, n - 1]
    np.testing.assert_allclose(inside(lambda c: map_coordinates(a, c, order=1, mode="wrap"), c),
                               [1.5, 6.0, 3.2])
    np.testing.assert_allclose(inside(lambda c: map_coordinates(a, c, order=1), c), [0, 0, 0])
    np.testing.assert_allclose(
        inside(lambda c: map_coordinates(a, c, order=1, mode="grid-wrap"), c), [4.5, 4.5, 1.6])


CASES = [(m, o) for m in MODES for o in (0, 1)]


@pytest.mark.parametrize("mode,order", CASES)
def test_values_2d_and_derivatives(mode, order):
    a = _rng.standard_normal((4, 5))
    # coordinates away from the grid lines and the mode's kinks (finite differences)
    c = np.floor(_rng.uniform(-3, 8, (2, 3, 2))) + _rng.uniform(0.1, 0.4, (2, 3, 2))

    def f(a, c):
        return map_coordinates(a, c, order=order, mode=mode, cval=0.3)

    want = snd.map_coordinates(a, c, order=order, mode=mode, cval=0.3)
    np.testing.assert_allclose(inside(f, a, c), want, rtol=1e-12, atol=1e-12)
    check_grads(f, (a, c), order=2, modes=("fwd", "rev"))
    if order == 0:
        assert not np.any(fd.grad(lambda c: f(a, c).sum())(c))


@pytest.mark.parametrize("mode", ["constant", "wrap", "mirror"])
def test_coordinate_gradient_is_the_slope(mode):
    a = np.array([1.0, 2.0, 4.0, 8.0])
    c = np.array([[0.5, 1.25, 2.75]])
    g = fd.grad(lambda c: map_coordinates(a, c, order=1, mode=mode).sum())(c)
    np.testing.assert_allclose(g, [[1.0, 2.0, 4.0]])


@pytest.mark.parametrize("order", [0, 1])
def test_vmap_and_jit(order):
    a = _rng.standard_normal((4, 5))
    cs = _rng.uniform(-1, 5, (3, 2, 6))
    as_ = _rng.standard_normal((3, 4, 5))

    def f(a, c):
        return map_coordinates(a, c, order=order, mode="mirror")

    np.testing.assert_allclose(fd.vmap(f, in_axes=(None, 0))(a, cs),
                               np.stack([f(a, c) for c in cs]), atol=1e-12)
    np.testing.assert_allclose(fd.vmap(f, in_axes=(0, None))(as_, cs[0]),
                               np.stack([f(x, cs[0]) for x in as_]), atol=1e-12)
    np.testing.assert_allclose(fd.vmap(f)(as_, cs), np.stack([f(x, c) for x, c in zip(as_, cs)]),
                               atol=1e-12)
    np.testing.assert_allclose(fd.jit(f)(a, cs[0]), f(a, cs[0]), atol=1e-12)
    h = fd.grad(lambda a, c: (f(a, c) ** 2).sum(), argnums=(0, 1))
    for x, y in zip(fd.jit(h)(a, cs[0]), h(a, cs[0])):
        np.testing.assert_allclose(x, y, atol=1e-12)


def test_dtypes():
    a = _rng.standard_normal((3, 3))
    c = _rng.uniform(0, 2, (2, 4))
    for x in (a.astype(np.float32), a + 1j * a[::-1], (10 * a).astype(np.int64)):
        want = snd.map_coordinates(x, c, order=1)
        got = inside(lambda c, x=x: map_coordinates(x, c, order=1), c)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    check_grads(lambda z: map_coordinates(z, c, order=1), (a + 1j * a,), order=1)


def test_errors():
    a = np.ones((3, 3))
    c = np.ones((2, 4))
    with pytest.raises(NotImplementedError, match="order=3"):
        fd.grad(lambda a: map_coordinates(a, c).sum())(a)
    with pytest.raises(RuntimeError, match="coordinate"):
        fd.grad(lambda a: map_coordinates(a, c[:1], order=1).sum())(a)
    with pytest.raises(RuntimeError, match="mode"):
        fd.grad(lambda a: map_coordinates(a, c, order=1, mode="other").sum())(a)
    with pytest.raises(TypeError, match="output"):
        fd.grad(lambda a: map_coordinates(a, c, np.empty(4), order=1).sum())(a)
    # outside transforms SciPy's own function, every order
    np.testing.assert_array_equal(map_coordinates(a, c), snd.map_coordinates(a, c))
