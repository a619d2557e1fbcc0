"""funcdiff.scipy.signal.convolve: values against SciPy in every mode and dimension,
derivatives in both inputs (to third order), vmap against a loop, dtypes, errors, jit."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")

import scipy.signal as ss  # noqa: E402
from helpers import inside_jvp  # noqa: E402
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
