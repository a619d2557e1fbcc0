"""funcdiff.scipy.stats: every distribution function against SciPy (inside transforms) and
against finite differences in every float argument; tails, supports, shapes, vmap."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("scipy")

import scipy.special as ssp  # noqa: E402
import scipy.stats as sst  # noqa: E402
from helpers import inside_jvp  # noqa: E402
from hypothesis import given  # noqa: E402

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402
from funcdiff.scipy import stats  # noqa: E402
from funcdiff.testing import arrays, check_grads  # noqa: E402

X = np.array([0.3, 0.7, 1.5])
Q = np.array([0.1, 0.45, 0.8])


def _methods(dist):
    """A distribution's functions of its parameters (not `rvs`, SciPy's sampler)."""
    return [m for m in dist.__all__ if m != "rvs"]


# distribution, argument tuples after x (shape parameters, loc, scale)
CONTINUOUS = [
    ("norm", X - 1.0, (0.2, 1.3)),
    ("logistic", X - 1.0, (0.2, 1.3)),
    ("laplace", X - 1.0, (0.2, 1.3)),
    ("cauchy", X - 1.0, (0.2, 1.3)),
    ("uniform", X, (-0.2, 2.0)),
    ("expon", X, (0.1, 1.3)),
    ("t", X - 1.0, (3.5, 0.2, 1.3)),
    ("gamma", X, (2.5, 0.1, 1.3)),
    ("chi2", X, (3.5, 0.1, 1.3)),
    ("beta", X, (2.5, 1.5, -0.1, 2.0)),
]
ROWS = [(d, m, x, p) for d, x, p in CONTINUOUS for m in _methods(getattr(stats, d))]


@pytest.mark.parametrize("dist,method,x,params", ROWS, ids=[f"{r[0]}.{r[1]}" for r in ROWS])
def test_continuous(dist, method, x, params):
    f = getattr(getattr(stats, dist), method)
    ref = getattr(getattr(sst, dist), method)
    if method in ("ppf", "isf"):
        x = Q
    args = (x,) + params
    assert np.array_equal(f(*args), ref(*args))  # outside transforms: SciPy itself
    np.testing.assert_allclose(inside_jvp(f, *args), ref(*args), rtol=1e-12)
    check_grads(f, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("dist,x,params", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_defaults_and_outside_support(dist, x, params):
    mod, ref = getattr(stats, dist), getattr(sst, dist)
    shape_params = params[:-2]
    wide = np.array([-30.0, -3.0, -0.5, 0.0, 0.5, 1.0, 2.0, 40.0])
    for method in _methods(mod):
        if method in ("ppf", "isf"):
            continue
        f = getattr(mod, method)
        got = inside_jvp(lambda x, f=f: f(x, *shape_params), wide)
        np.testing.assert_allclose(got, getattr(ref, method)(wide, *shape_params), rtol=1e-10,
                                   atol=1e-300, err_msg=method)
        # the derivative is finite (zero outside the support), never NaN
        g = fd.grad(lambda x, f=f: fnp.sum(f(x, *shape_params)))(wide)
        assert not np.any(np.isnan(g)), (method, g)


@given(arrays(dtype=np.float64, min_value=-6.0, max_value=6.0))
def test_hypothesis_values(x):
    for dist, _, params in CONTINUOUS:
        for method in ("logpdf", "logcdf", "logsf"):
            f = getattr(getattr(stats, dist), method)
            want = getattr(getattr(sst, dist), method)(x, *params)
            np.testing.assert_allclose(inside_jvp(f, x, *params), want, rtol=1e-9, atol=1e-12)


def test_invalid_parameters_give_nan():
    assert np.isnan(inside_jvp(lambda x: stats.norm.logpdf(x, 0.0, -1.0), 0.5))
    assert np.isnan(inside_jvp(lambda x: stats.gamma.cdf(x, -1.0), 0.5))
    assert np.isnan(inside_jvp(lambda x: stats.beta.logpdf(x, 1.0, 0.0), 0.5))
    assert np.isnan(inside_jvp(lambda p: stats.binom.pmf(2, 5, p), 1.5))


# -- discrete --------------------------------------------------------------------------------------
K = np.array([-1.0, 0.0, 2.0, 5.0, 2.5, 9.0])


@pytest.mark.parametrize("method", [m for m in _methods(stats.poisson) if m != "entropy"])
def test_poisson(method):  # (entropy, a function of mu alone: tests/test_surface.py)
    f, ref = getattr(stats.poisson, method), getattr(sst.poisson, method)
    np.testing.assert_allclose(inside_jvp(lambda mu: f(K, mu), 2.5), ref(K, 2.5), rtol=1e-12)
    np.testing.assert_allclose(inside_jvp(lambda mu: f(K, mu, 1), 2.5), ref(K, 2.5, 1), rtol=1e-12)
    k = np.array([0.0, 2.0, 5.0])
    check_grads(lambda mu: f(k, mu), (np.array([2.5, 0.7, 6.0]),), order=2)


@pytest.mark.parametrize("method", _methods(stats.binom))
def test_binom(method):
    f, ref = getattr(stats.binom, method), getattr(sst.binom, method)
    np.testing.assert_allclose(inside_jvp(lambda p: f(K, 7, p), 0.3), ref(K, 7, 0.3), rtol=1e-12)
    np.testing.assert_allclose(inside_jvp(lambda p: f(K, 7.0, p, -1), 0.3), ref(K, 7, 0.3, -1),
                               rtol=1e-12)
    k = np.array([0.0, 2.0, 5.0])
    check_grads(lambda p: f(k, 7, p), (np.array([0.3, 0.05, 0.9]),), order=2)


def test_discrete_known_derivatives():
    assert fd.grad(stats.poisson.logpmf, argnums=1)(3, 2.0) == pytest.approx(3 / 2 - 1)
    assert fd.grad(stats.binom.logpmf, argnums=2)(3, 10, 0.4) == pytest.approx(3 / 0.4 - 7 / 0.6)
    # in the count: the continuous extension for the pmf, zero for the (step) cdf
    assert fd.grad(stats.poisson.logpmf)(3.0, 2.0) == pytest.approx(np.log(2.0) - ssp.digamma(4))
    assert fd.grad(stats.poisson.cdf)(3.0, 2.0) == 0.0


# -- multivariate ----------------------------------------------------------------------------------
def test_dirichlet():
    alpha = np.array([1.5, 2.0, 3.0])
    x = np.array([0.2, 0.3, 0.5])
    xs = np.array([[0.2, 0.1], [0.3, 0.6], [0.5, 0.3]])  # components along axis 0
    for args in [(x, alpha), (xs, alpha), (x[:2], alpha), (xs[:2], alpha)]:
        for method in ("logpdf", "pdf"):
            f, ref = getattr(stats.dirichlet, method), getattr(sst.dirichlet, method)
            np.testing.assert_allclose(inside_jvp(f, *args), ref(*args), rtol=1e-12)
    check_grads(stats.dirichlet.logpdf, (x[:2], alpha), order=2)
    check_grads(lambda a: stats.dirichlet.logpdf(xs, a), (alpha,), order=2)
    with pytest.raises(ValueError):  # SciPy's checks run on concrete values
        fd.grad(stats.dirichlet.logpdf, argnums=1)(np.array([0.2, 0.3, 0.6]), alpha)
    out = fd.vmap(stats.dirichlet.logpdf, in_axes=(1, None))(xs, alpha)
    np.testing.assert_allclose(out, sst.dirichlet.logpdf(xs, alpha), rtol=1e-12)


MVN = [
    (np.array([0.5, -1.0]), np.array([0.1, 0.2]), np.array([[2.0, 0.3], [0.3, 1.0]])),
    (np.array([[0.5, -1.0], [0.0, 0.2], [1.0, 1.0]]), np.array([0.1, 0.2]),
     np.array([[2.0, 0.3], [0.3, 1.0]])),
    (np.array([0.5, -1.0]), np.array([0.1, 0.2]), np.array([2.0, 0.5])),  # diagonal
    (np.array([0.5, -1.0]), np.array([0.1, 0.2]), 1.7),  # scalar times identity
    (np.array([0.5, -1.0, 2.0]), np.array(0.3), 2.0),  # dimension 1: three points
    (np.array([[[0.5, -1.0]], [[0.0, 0.2]]]), np.zeros(2), np.eye(2)),
]


@pytest.mark.parametrize("x,mean,cov", MVN)
def test_multivariate_normal(x, mean, cov):
    for method in ("logpdf", "pdf"):
        f, ref = getattr(stats.multivariate_normal, method), getattr(sst.multivariate_normal,
                                                                     method)
        got = inside_jvp(f, x, mean, cov)
        want = ref(x, mean, cov)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        assert np.shape(got) == np.shape(want)
    check_grads(stats.multivariate_normal.logpdf, (x, mean, cov), order=2)


def test_multivariate_normal_defaults_and_vmap():
    x = np.array([[0.5, -1.0], [0.0, 0.2], [1.0, 1.0]])
    np.testing.assert_allclose(inside_jvp(lambda x: stats.multivariate_normal.logpdf(x), 0.3),
                               sst.multivariate_normal.logpdf(0.3))
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    means = np.array([[0.0, 0.0], [1.0, -1.0]])
    out = fd.vmap(lambda m: stats.multivariate_normal.logpdf(x, m, cov))(means)
    np.testing.assert_allclose(out, [sst.multivariate_normal.logpdf(x, m, cov) for m in means])


# -- tails -----------------------------------------------------------------------------------------
TAILS = [
    (stats.norm.logcdf, -40.0, sst.norm.logcdf(-40.0)),
    (stats.norm.logsf, 40.0, sst.norm.logsf(40.0)),
    (stats.norm.logcdf, -1e5, -5000000011.651),
    (stats.logistic.logcdf, -1000.0, -1000.0),
    (stats.logistic.logsf, 1000.0, -1000.0),
    (stats.logistic.logpdf, 1000.0, -1000.0),
    (stats.laplace.logsf, 1000.0, -1000.0 - np.log(2.0)),
    (stats.laplace.logcdf, -1000.0, -1000.0 - np.log(2.0)),
    (stats.expon.logsf, 1000.0, -1000.0),
    (stats.expon.logcdf, 1e-20, np.log(1e-20)),
    (stats.cauchy.logcdf, -1e10, np.log(1 / (np.pi * 1e10))),
    (lambda x: stats.t.logcdf(x, 2.5), -1e6, sst.t.logcdf(-1e6, 2.5)),
    (lambda x: stats.t.logsf(x, 2.5), 1e6, sst.t.logsf(1e6, 2.5)),
]


@pytest.mark.parametrize("f,x,want", TAILS)
def test_log_probabilities_finite_in_the_tails(f, x, want):
    np.testing.assert_allclose(inside_jvp(f, x), want, rtol=1e-9)
    for g in (fd.grad(f), fd.grad(fd.grad(f))):
        assert np.isfinite(g(x))


def test_norm_logcdf_derivative_in_the_tail():
    # d/dx log Phi(x) ~ -x - 1/x for x -> -inf
    np.testing.assert_allclose(fd.grad(stats.norm.logcdf)(-40.0), 40.0 + 1 / 40.0, rtol=1e-6)
    check_grads(stats.norm.logcdf, (np.array([-40.0, -10.0, 5.0]),), order=3)


# -- vmap, dtypes ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dist,x,params", CONTINUOUS[:6] + CONTINUOUS[7:8],
                         ids=[c[0] for c in CONTINUOUS[:6] + CONTINUOUS[7:8]])
def test_vmap_over_parameters_matches_loop(dist, x, params):
    f = getattr(stats, dist).logcdf
    scales = np.array([0.5, 1.0, 2.0])
    out = fd.vmap(lambda s: f(x, *params[:-1], s))(scales)
    loop = np.stack([f(x, *params[:-1], s) for s in scales])
    np.testing.assert_allclose(out, loop, rtol=1e-12)
    g = fd.vmap(fd.grad(lambda s: fnp.sum(f(x, *params[:-1], s))))(scales)
    gl = [fd.grad(lambda s: fnp.sum(f(x, *params[:-1], s)))(s) for s in scales]
    np.testing.assert_allclose(g, gl, rtol=1e-10)


def test_float32_inputs_give_scipy_dtype():
    x = np.array([0.2, 0.4], np.float32)
    for f, ref in [(stats.norm.logpdf, sst.norm.logpdf), (stats.gamma.logcdf, sst.gamma.logcdf)]:
        args = (x, 2.0) if f is stats.gamma.logcdf else (x,)
        out, t = fd.jvp(f, args, (x,) + args[1:])
        assert out.dtype == ref(*args).dtype
        g = fd.grad(lambda x, f=f, args=args: fnp.sum(f(x, *args[1:])))(x)
        assert g.dtype == np.float32


def test_jit():
    f = fd.jit(fd.grad(lambda s: fnp.sum(stats.t.logpdf(X, 3.0, 0.0, s))))
    np.testing.assert_allclose(f(1.5), fd.grad(lambda s: fnp.sum(stats.t.logpdf(X, 3.0, 0.0, s)))(
        1.5))
