"""funcdiff.scipy.stats, the names of issue #16: the distributions bernoulli, betabinom, geom,
nbinom, gennorm, gumbel_l, gumbel_r, pareto, truncnorm, vonmises, wrapcauchy, multinomial,
multivariate_normal.entropy/allow_singular, and the functions mode, rankdata, sem and the class
gaussian_kde: values against SciPy (outside and inside transforms), derivatives against finite
differences to second order (forward and reverse), vmap against a loop, jit against eager,
tails, supports and errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest

pytest.importorskip("scipy")

import scipy.stats as sst  # noqa: E402
from helpers import inside_jvp  # noqa: E402

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402
from funcdiff.scipy import stats  # noqa: E402
from funcdiff.testing import check_grads  # noqa: E402

mpmath = pytest.importorskip("mpmath")
mpmath.mp.dps = 60

X = np.array([-0.7, 0.3, 1.5])
Q = np.array([0.1, 0.45, 0.8])
LS = (0.2, 1.3)  # loc, scale


def _methods(dist):
    """A distribution's functions of its parameters (not `rvs`, SciPy's sampler)."""
    return [m for m in dist.__all__ if m != "rvs"]


# -- continuous: (distribution, x, shape parameters + loc + scale) ---------------------------
CONTINUOUS = [
    ("gumbel_r", X, LS),
    ("gumbel_l", X, LS),
    ("pareto", X + 2.5, (2.5,) + LS),
    ("gennorm", X, (1.7,) + LS),
    ("gennorm", X, (0.8,) + LS),
    ("truncnorm", np.array([-0.3, 0.3, 1.5]), (-0.5, 2.0) + LS),
    ("truncnorm", np.array([40.3, 41.0, 43.0]), (40.0, 45.0)),
    ("truncnorm", np.array([-40.3, -41.0, -43.0]), (-45.0, -40.0)),
    ("vonmises", np.array([-4.0, 0.3, 1.5, 7.0]), (2.5,) + LS),
    ("vonmises", X, (0.5,)),
    ("wrapcauchy", np.array([0.4, 2.0, 5.5]), (0.3,) + LS),
]
ROWS = [(d, m, x, p) for d, x, p in CONTINUOUS for m in _methods(getattr(stats, d))]
IDS = [f"{d}.{m}{p}" for d, m, _, p in ROWS]


def _args(method, x, params):
    return ((Q,) if method in ("ppf", "isf") else (x,)) + params


@pytest.mark.parametrize("dist,method,x,params", ROWS, ids=IDS)
def test_continuous_values_and_derivatives(dist, method, x, params):
    f, ref = getattr(getattr(stats, dist), method), getattr(getattr(sst, dist), method)
    args = _args(method, x, params)
    want = ref(*args)
    assert np.array_equal(f(*args), want)  # outside transforms: SciPy itself
    np.testing.assert_allclose(inside_jvp(f, *args), want, rtol=1e-11, atol=1e-300)
    check_grads(f, args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("dist,method,x,params", ROWS, ids=IDS)
def test_continuous_vmap_and_jit(dist, method, x, params):
    f = getattr(getattr(stats, dist), method)
    args = _args(method, x, params)
    # vmap over the points, and over the last parameter (scale, or the shape parameter)
    np.testing.assert_allclose(fd.vmap(lambda v: f(v, *params))(args[0]),
                               [f(v, *params) for v in args[0]], rtol=1e-12)
    grid = params[-1] * np.array([0.8, 1.0, 1.1])
    out = fd.vmap(lambda s: f(args[0], *params[:-1], s))(grid)
    np.testing.assert_allclose(out, [f(args[0], *params[:-1], s) for s in grid], rtol=1e-12)
    g = fd.vmap(fd.grad(lambda s: fnp.sum(f(args[0], *params[:-1], s))))(grid)
    gl = [fd.grad(lambda s: fnp.sum(f(args[0], *params[:-1], s)))(s) for s in grid]
    np.testing.assert_allclose(g, gl, rtol=1e-10)
    jf = fd.jit(fd.grad(lambda s: fnp.sum(f(args[0], *params[:-1], s))))
    np.testing.assert_allclose(jf(params[-1]), gl[1], rtol=1e-12)
    np.testing.assert_allclose(fd.jit(f)(*args), f(*args), rtol=1e-12)


WIDE = np.array([-1000.0, -30.0, -3.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0, 40.0, 800.0])
SUPPORT = [("gumbel_r", ()), ("gumbel_l", ()), ("pareto", (2.5,)), ("gennorm", (1.5,)),
           ("truncnorm", (-1.0, 2.0)), ("truncnorm", (-np.inf, 1.0)), ("truncnorm", (0.5, np.inf)),
           ("truncnorm", (-np.inf, np.inf)), ("vonmises", (1.5,)), ("wrapcauchy", (0.4,))]


@pytest.mark.parametrize("dist,params", SUPPORT, ids=[f"{d}{p}" for d, p in SUPPORT])
def test_wide_range_and_outside_support(dist, params):
    mod, ref = getattr(stats, dist), getattr(sst, dist)
    for method in _methods(mod):
        if method in ("ppf", "isf"):
            continue
        f = getattr(mod, method)
        want = getattr(ref, method)(WIDE, *params)
        got = inside_jvp(lambda x, f=f: f(x, *params), WIDE)
        # (where SciPy underflows to -inf in a log tail, funcdiff may stay finite: compare
        # only where SciPy's value is finite or both are infinite)
        keep = np.isfinite(want) | (got == want)
        np.testing.assert_allclose(got[keep], want[keep], rtol=1e-9, atol=1e-300, err_msg=method)
        assert np.all(np.isfinite(want) <= np.isfinite(got) | (got == want)), method
        g = fd.grad(lambda x, f=f: fnp.sum(fnp.where(fnp.isfinite(f(x, *params)),
                                                     f(x, *params), 0.0)))(WIDE)
        assert not np.any(np.isnan(g)), (method, g)


def _mp_log_gauss_mass(a, b):
    """log(Phi(b) - Phi(a)) in 60 digits (from erfc on the tail's side)."""
    r = mpmath.sqrt(2)
    if a >= 0:
        return float(mpmath.log((mpmath.erfc(a / r) - mpmath.erfc(b / r)) / 2))
    return float(mpmath.log((mpmath.erfc(-b / r) - mpmath.erfc(-a / r)) / 2))


TAILS = [  # (f, x, reference from mpmath)
    (lambda x: stats.gumbel_r.logsf(x), 800.0, -800.0),
    (lambda x: stats.gumbel_l.logcdf(x), -800.0, -800.0),
    (lambda x: stats.truncnorm.logpdf(x, 40.0, 45.0), 41.0,
     -41.0**2 / 2 - 0.5 * np.log(2 * np.pi) - _mp_log_gauss_mass(40.0, 45.0)),
    (lambda x: stats.truncnorm.logsf(x, 40.0, 45.0), 40.5,
     _mp_log_gauss_mass(40.5, 45.0) - _mp_log_gauss_mass(40.0, 45.0)),
    (lambda x: stats.truncnorm.logcdf(x, -45.0, -40.0), -40.5,
     _mp_log_gauss_mass(-45.0, -40.5) - _mp_log_gauss_mass(-45.0, -40.0)),
    (lambda x: stats.truncnorm.logcdf(x, 40.0, 45.0), 41.0,  # near 0: log1p of the other side
     float(mpmath.log(1 - mpmath.exp(_mp_log_gauss_mass(41.0, 45.0)
                                     - _mp_log_gauss_mass(40.0, 45.0))))),
    (lambda x: stats.truncnorm.cdf(x, -1e-9, 1e-9), 0.0, 0.5),  # a narrow interval
    (lambda x: stats.pareto.logcdf(x, 2.0), 1.0 + 1e-12,  # 1 - x**-2 = 2 (x - 1) - ...
     float(mpmath.log(1 - mpmath.mpf(1.0 + 1e-12) ** -2))),
    (lambda x: stats.vonmises.logpdf(x, 1e4), 0.01,
     float(1e4 * mpmath.cos(0.01) - mpmath.log(2 * mpmath.pi * mpmath.besseli(0, 1e4)))),
]


@pytest.mark.parametrize("f,x,want", TAILS)
def test_tails_are_accurate_and_differentiable(f, x, want):
    got = inside_jvp(f, x)
    np.testing.assert_allclose(got, want, rtol=1e-8)
    for g in (fd.grad(f), fd.grad(fd.grad(f))):
        assert np.isfinite(g(x))


def test_known_derivatives():
    # truncnorm.logpdf far in the tail: d/da = phi(a) / (Phi(b) - Phi(a)) ~ a + 1/a
    assert fd.grad(stats.truncnorm.logpdf, argnums=1)(41.0, 40.0, 45.0) == pytest.approx(
        40.0 + 1 / 40.0, rel=1e-3)
    # vonmises: d/dkappa logpdf(0) = 1 - i1(k)/i0(k); one-sided at kappa = 0: cos(x)
    from scipy.special import i0, i1
    assert fd.grad(stats.vonmises.logpdf, argnums=1)(0.0, 2.0) == pytest.approx(1 - i1(2) / i0(2))
    assert fd.grad(stats.vonmises.logpdf, argnums=1)(0.3, 0.0) == pytest.approx(np.cos(0.3))
    # gennorm with beta = 2 is a normal with variance 1/2
    assert fd.grad(stats.gennorm.logpdf)(0.7, 2.0) == pytest.approx(-1.4)
    # gumbel_r: d/dx logcdf = exp(-x)
    assert fd.grad(stats.gumbel_r.logcdf)(0.5) == pytest.approx(np.exp(-0.5))


def test_invalid_parameters_give_nan():
    for f in (lambda x: stats.gumbel_r.pdf(x, 0.0, -1.0), lambda x: stats.pareto.cdf(x, -1.0),
              lambda x: stats.gennorm.logpdf(x, 0.0), lambda x: stats.truncnorm.logpdf(x, 2.0, 1.0),
              lambda x: stats.vonmises.pdf(x, -1.0), lambda x: stats.wrapcauchy.pdf(x, 1.5)):
        assert np.isnan(inside_jvp(f, 0.5))


# -- discrete -------------------------------------------------------------------------------
K = np.array([-1.0, 0.0, 1.0, 2.0, 2.5, 5.0, 9.0, 12.0])
QD = np.array([0.0, 0.1, 0.5, 0.6, 0.9, 1.0, 1.2, -0.1])
DISCRETE = [  # (distribution, parameter tuples (the first checked for derivatives), k in support)
    ("bernoulli", [(0.3,), (0.3, 1.0), (0.0,), (1.0,)], np.array([0.0, 1.0, 1.0])),
    ("geom", [(0.3,), (0.3, -1.0), (1.0,), (1e-5,)], np.array([1.0, 2.0, 5.0])),
    ("nbinom", [(2.5, 0.3), (2.5, 0.3, 1.0), (1.0, 1.0), (0.0, 0.5)], np.array([0.0, 2.0, 5.0])),
    ("betabinom", [(7, 2.5, 1.5), (7, 2.5, 1.5, -1.0), (7.5, 2.0, 2.0), (-1, 2.0, 2.0)],
     np.array([0.0, 2.0, 7.0])),
]
DROWS = [(d, m, ps, k) for d, ps, k in DISCRETE for m in _methods(getattr(stats, d))]


@pytest.mark.parametrize("dist,method,params,k", DROWS, ids=[f"{r[0]}.{r[1]}" for r in DROWS])
def test_discrete(dist, method, params, k):
    f, ref = getattr(getattr(stats, dist), method), getattr(getattr(sst, dist), method)
    quantile = method in ("ppf", "isf")
    pts = QD if quantile else K
    for p in params:
        want = ref(pts, *p)
        assert np.array_equal(f(pts, *p), want, equal_nan=True)
        got = inside_jvp(lambda *fp, p=p: f(pts, *_merge(p, fp)), *_floats(p))
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-300)
        assert got.dtype == want.dtype
    p = params[0]
    if quantile:  # integer-valued, piecewise constant: the derivative is 0 (and 1 in loc)
        g = fd.jacfwd(lambda *fp: f(QD[1:5], *_merge(p, fp)), argnums=0)(*_floats(p))
        assert not np.any(g)
        np.testing.assert_array_equal(fd.vmap(lambda q: f(q, *p))(QD), ref(QD, *p))
        np.testing.assert_array_equal(fd.jit(lambda q: f(q, *p))(QD), ref(QD, *p))
        return
    k = k[np.isfinite(ref(k, *p))]  # (log-probabilities of -inf: no finite differences)
    check_grads(lambda *fp: f(k, *_merge(p, fp)), _floats(p), order=2, modes=("fwd", "rev"))
    # vmap over the first float parameter, jit
    fl = _floats(p)
    grid = fl[0] * np.array([0.9, 1.0])
    out = fd.vmap(lambda v: f(k, *_merge(p, (v,) + fl[1:])))(grid)
    np.testing.assert_allclose(out, [ref(k, *_merge(p, (v,) + fl[1:])) for v in grid], rtol=1e-11)
    np.testing.assert_allclose(fd.jit(lambda *fp: f(K, *_merge(p, fp)))(*fl), ref(K, *p),
                               rtol=1e-11)


def _floats(p):
    return tuple(np.float64(v) for v in p if isinstance(v, float))


def _merge(p, fp):
    """The parameters `p` with its float entries replaced by `fp` (in order)."""
    fp = list(fp)
    return tuple(fp.pop(0) if isinstance(v, float) else v for v in p)


def test_discrete_known_derivatives_and_no_derivative_in_k():
    assert fd.grad(stats.geom.logpmf, argnums=1)(3, 0.5) == pytest.approx(1 / 0.5 - 2 / 0.5)
    assert fd.grad(stats.nbinom.logpmf, argnums=2)(3, 2.0, 0.5) == pytest.approx(2 / 0.5 - 3 / 0.5)
    assert fd.grad(stats.bernoulli.logpmf, argnums=1)(1, 0.2) == pytest.approx(5.0)
    assert fd.grad(stats.bernoulli.ppf, argnums=2)(0.5, 0.3, 2.0) == 1.0  # in loc
    assert fd.grad(stats.geom.cdf)(3.0, 0.4) == 0.0  # a step function of k
    for f, args in ((stats.geom.logpmf, (3.0, 0.4)), (stats.nbinom.logpmf, (3.0, 2.0, 0.4)),
                    (stats.bernoulli.logpmf, (1.0, 0.4)),
                    (stats.betabinom.logpmf, (3.0, 5, 2.0, 2.0))):  # counts: not differentiated
        assert fd.grad(f)(*args) == 0.0


# -- multinomial ----------------------------------------------------------------------------
P3 = np.array([0.2, 0.3, 0.5])
MULTINOMIAL = [
    (np.array([1, 2, 0]), 3, P3),
    (np.array([[1, 2, 0], [0, 0, 3], [1, 1, 1.5], [1, 1, 2], [-1, 2, 2]]), 3, P3),
    (np.array([1, 2, 0]), 3, np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.5, 0.7, -0.2]])),
    (np.array([1, 2, 0]), np.array([3, 4]), np.stack([P3, P3])),
    (np.array([1, 2, 0]), -3, P3),
]


@pytest.mark.parametrize("x,n,p", MULTINOMIAL)
def test_multinomial(x, n, p):
    for method in ("logpmf", "pmf"):
        f, ref = getattr(stats.multinomial, method), getattr(sst.multinomial, method)
        want = ref(x, n, p)
        got = inside_jvp(lambda p, f=f: f(x, n, p), p)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        assert np.shape(got) == np.shape(want)


def test_multinomial_derivatives_vmap_jit_errors():
    xs = np.array([[1, 2, 0], [0, 1, 2]])
    check_grads(lambda p: stats.multinomial.logpmf(xs, 3, p), (P3,), order=2)
    # the last probability is 1 - sum(the others), as SciPy: its derivative is 0
    g = fd.grad(stats.multinomial.logpmf, argnums=2)(np.array([1, 2, 0]), 3, P3)
    np.testing.assert_allclose(g, [1 / 0.2, 2 / 0.3, 0.0])
    ps = np.array([[0.2, 0.3, 0.5], [0.1, 0.6, 0.3]])
    np.testing.assert_allclose(fd.vmap(lambda p: stats.multinomial.pmf(xs, 3, p))(ps),
                               [sst.multinomial.pmf(xs, 3, p) for p in ps], rtol=1e-12)
    np.testing.assert_allclose(fd.jit(lambda p: stats.multinomial.logpmf(xs, 3, p))(P3),
                               sst.multinomial.logpmf(xs, 3, P3), rtol=1e-12)
    with pytest.raises(ValueError, match="must be an array"):
        fd.grad(lambda p: stats.multinomial.logpmf(1, 3, p)[()])(P3)
    with pytest.raises(ValueError, match="size of p"):
        fd.grad(lambda p: stats.multinomial.logpmf(np.array([1, 2]), 3, p))(P3)


# -- multivariate_normal: entropy, allow_singular -------------------------------------------
A = np.array([[1.0, 0.2], [0.3, 1.1], [-0.5, 0.4]])  # cov = A A^T has rank 2
Z = np.array([[0.3, -0.2], [1.0, 0.5]])
M3 = np.array([0.1, 0.2, 0.3])
C2 = np.array([[2.0, 0.3], [0.3, 1.0]])


@pytest.mark.parametrize("x,mean,cov", [
    (Z @ A.T + M3, M3, A @ A.T),  # singular, points in the support
    (Z @ A.T + M3 + np.array([1.0, 0.0, 0.0]), M3, A @ A.T),  # off the support: -inf
    (np.array([[0.5, 0.0], [0.2, 0.1]]), np.zeros(2), np.diag([1.0, 0.0])),
    (np.array([0.5, -1.0]), np.array([0.1, 0.2]), C2),  # nonsingular
], ids=["singular", "off-support", "diag-singular", "nonsingular"])
def test_multivariate_normal_allow_singular(x, mean, cov):
    for method in ("logpdf", "pdf"):
        f, ref = getattr(stats.multivariate_normal, method), getattr(sst.multivariate_normal,
                                                                     method)
        want = ref(x, mean, cov, allow_singular=True)
        got = inside_jvp(lambda x, m, c, f=f: f(x, m, c, allow_singular=True), x, mean, cov)
        np.testing.assert_allclose(got, want, rtol=1e-10)
        got = fd.jit(lambda x, m, c, f=f: f(x, m, c, allow_singular=True))(x, mean, cov)
        np.testing.assert_allclose(got, want, rtol=1e-8)
    np.testing.assert_allclose(inside_jvp(lambda c: stats.multivariate_normal.entropy(mean, c),
                                          cov), sst.multivariate_normal.entropy(mean, cov),
                               rtol=1e-12)


def test_multivariate_normal_singular_derivatives_keep_the_rank():
    # perturbations of A, z and the mean keep cov = A A^T at rank 2 and x in its support
    def f(a, z, m):
        return stats.multivariate_normal.logpdf(z @ a.T + m, m, a @ a.T, allow_singular=True)

    check_grads(f, (A, Z, M3), order=2, modes=("fwd", "rev"))
    check_grads(lambda a: stats.multivariate_normal.entropy(None, a @ a.T), (A,), order=2)
    # against SciPy's own values by central differences
    da = np.random.default_rng(1).normal(size=A.shape)
    eps = 1e-6

    def ref(a):
        return sst.multivariate_normal.logpdf(Z @ a.T + M3, M3, a @ a.T, allow_singular=True)

    num = (ref(A + eps * da) - ref(A - eps * da)) / (2 * eps)
    np.testing.assert_allclose(fd.jvp(lambda a: f(a, Z, M3), (A,), (da,))[1], num, rtol=1e-6)


def test_multivariate_normal_entropy():
    g = fd.grad(stats.multivariate_normal.entropy, argnums=1)(None, np.diag([2.0, 4.0]))
    np.testing.assert_allclose(g, [[0.25, 0.0], [0.0, 0.125]])  # inv(cov) / 2 (lower triangle)
    for mean, cov in ((None, 1.7), (np.zeros(2), np.array([2.0, 0.5])), (None, C2)):
        want = sst.multivariate_normal.entropy(mean, cov)
        assert stats.multivariate_normal.entropy(mean, cov) == want
        got = inside_jvp(lambda c, m=mean: stats.multivariate_normal.entropy(m, c), cov)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    check_grads(lambda c: stats.multivariate_normal.entropy(None, (c + c.T) / 2), (C2,), order=2)
    covs = np.stack([C2, 2 * C2])
    np.testing.assert_allclose(fd.vmap(lambda c: stats.multivariate_normal.entropy(None, c))(
        covs), [sst.multivariate_normal.entropy(None, c) for c in covs], rtol=1e-12)
    with pytest.raises(ValueError, match="positive semidefinite"):
        fd.grad(stats.multivariate_normal.entropy, argnums=1)(None, np.diag([1.0, -1.0]))


# -- sem, rankdata, mode ---------------------------------------------------------------------
DATA = np.array([[1.0, 2.0, 4.0, 3.0], [2.0, 2.0, 5.0, np.nan], [0.5, 1.0, 1.0, 7.0]])
SEM_KW = [{}, {"axis": 1}, {"axis": None}, {"ddof": 0}, {"nan_policy": "omit", "axis": 1},
          {"keepdims": True, "axis": 1}, {"axis": None, "keepdims": True}, {"axis": -1}]


@pytest.mark.parametrize("kw", SEM_KW, ids=str)
def test_sem(kw):
    want = sst.sem(DATA, **kw)
    got = inside_jvp(lambda x: stats.sem(x, **kw), DATA)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    assert np.shape(got) == np.shape(want)
    clean = DATA[[0, 2]]
    check_grads(lambda x: stats.sem(x, **kw), (clean,), order=2)
    np.testing.assert_allclose(fd.jit(lambda x: stats.sem(x, **kw))(DATA), want, rtol=1e-12,
                               equal_nan=True)
    if kw.get("axis") in (1, -1):
        rows = fd.vmap(lambda r: stats.sem(r, **{**kw, "axis": 0}))(DATA)
        np.testing.assert_allclose(rows, want.reshape(rows.shape), rtol=1e-12, equal_nan=True)


def test_sem_nan_omit_derivative_and_errors():
    g = fd.grad(lambda x: fnp.sum(stats.sem(x, axis=1, nan_policy="omit")))(DATA)
    assert g[1, 3] == 0.0 and np.all(np.isfinite(g))
    check_grads(lambda v: stats.sem(fnp.concatenate([v, np.array([np.nan])]), nan_policy="omit"),
                (DATA[0],), order=2)
    with pytest.raises(ValueError, match="nan values"):
        fd.grad(lambda x: stats.sem(x, nan_policy="raise"))(DATA[1])
    with pytest.raises(NotImplementedError, match="nan_policy='raise'"):
        fd.jit(lambda x: stats.sem(x, nan_policy="raise"))(DATA[0])
    with pytest.raises(ValueError, match="nan_policy must be one of"):
        fd.grad(lambda x: stats.sem(x, nan_policy="skip"))(DATA[0])


RANKS = np.array([[3.0, 1.0, 1.0, 2.0], [np.nan, 2.0, 0.0, 2.0], [5.0, 5.0, 5.0, 1.0]])
RANK_ROWS = [(m, kw) for m in ("average", "min", "max", "dense", "ordinal")
             for kw in ({}, {"axis": 1}, {"axis": 0}, {"axis": 1, "nan_policy": "omit"})]


@pytest.mark.parametrize("method,kw", RANK_ROWS, ids=[f"{m}{kw}" for m, kw in RANK_ROWS])
def test_rankdata(method, kw):
    want = sst.rankdata(RANKS, method, **kw)
    got = inside_jvp(lambda x: stats.rankdata(x, method, **kw), RANKS)  # concrete: SciPy's
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    jitted = fd.jit(lambda x: stats.rankdata(x, method, **kw))(RANKS)  # abstract: comparisons
    np.testing.assert_array_equal(jitted, want)
    if kw.get("axis") == 1:
        rows = fd.vmap(lambda r: stats.rankdata(r, method, nan_policy=kw.get(
            "nan_policy", "propagate")))(RANKS)
        np.testing.assert_array_equal(rows, want)
    # ranks are piecewise constant: the derivative is exactly 0
    x = RANKS[[0, 2]]
    _, tangent = fd.jvp(lambda x: stats.rankdata(x, method, **kw), (x,), (np.ones_like(x),))
    assert not np.any(np.asarray(tangent, float) if tangent.dtype.kind == "f" else 0)
    if method == "average":
        assert not np.any(fd.grad(lambda x: fnp.sum(stats.rankdata(x, method, **kw)))(x))


def test_rankdata_integer_dtypes_under_jit_and_errors():
    ri = np.array([[3, 1, 1, 2], [0, 2, 0, 2]])
    for method in ("min", "max", "dense", "ordinal"):
        got = fd.jit(lambda x, method=method: stats.rankdata(x + 0, method, axis=1))(ri)
        want = sst.rankdata(ri, method, axis=1)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
    with pytest.raises(ValueError, match="unknown method"):
        fd.grad(lambda x: fnp.sum(stats.rankdata(x, "mean")))(RANKS[0])


MODES = np.array([[1.0, 2.0, 2.0, np.nan, np.nan, np.nan], [3.0, 1.0, 1.0, 3.0, 0.0, 0.0],
                  [1.0, 1.0, np.nan, 5.0, 5.0, 5.0]])
MODE_KW = [{"axis": 1}, {"axis": 0}, {"axis": None}, {"axis": 1, "nan_policy": "omit"},
           {"axis": 1, "keepdims": True}, {"axis": None, "keepdims": True}, {}]


@pytest.mark.parametrize("kw", MODE_KW, ids=str)
def test_mode(kw):
    want = sst.mode(MODES, **kw)
    for got in (inside_jvp(lambda x: stats.mode(x, **kw), MODES),
                fd.jit(lambda x: stats.mode(x, **kw))(MODES)):
        assert type(got) is type(want)
        np.testing.assert_array_equal(got.mode, want.mode)
        np.testing.assert_array_equal(got.count, want.count)
        assert np.shape(got.mode) == np.shape(want.mode)
        assert np.shape(got.count) == np.shape(want.count)


def test_mode_derivative_vmap():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.5, 0.25, 0.25, 0.5]])
    g = fd.grad(lambda x: fnp.sum(stats.mode(x, axis=1).mode))(x)
    np.testing.assert_array_equal(g.sum(axis=1), [1.0, 1.0])  # one gathered element per row
    assert g[0, 0] + g[0, 2] == 1.0 and g[1, 1] + g[1, 2] == 1.0
    check_grads(lambda x: stats.mode(x, axis=1).mode, (np.array([[0.3, 0.1, 0.7]]),), order=2)
    out = fd.vmap(lambda r: stats.mode(r))(MODES)
    want = sst.mode(MODES, axis=1)
    np.testing.assert_array_equal(out.mode, want.mode)
    np.testing.assert_array_equal(out.count, want.count)
    assert out.count.dtype == want.count.dtype


# -- gaussian_kde ----------------------------------------------------------------------------
RNG = np.random.default_rng(0)
D1, D2 = RNG.normal(size=7), RNG.normal(size=(2, 9))
W1, W2 = RNG.uniform(0.5, 2.0, 7), RNG.uniform(0.5, 2.0, 9)
P1, P2 = np.array([-1.0, 0.2, 3.0]), RNG.normal(size=(2, 4))
KDE_METHODS = {
    "evaluate": lambda k, p: k.evaluate(p), "call": lambda k, p: k(p), "pdf": lambda k, p: k.pdf(p),
    "logpdf": lambda k, p: k.logpdf(p),
    "integrate_gaussian": lambda k, p: k.integrate_gaussian(p[..., 0] if p.ndim == 2 else p[:1],
                                                            0.5 * np.eye(k.d)),
    "integrate_box_1d": lambda k, p: k.integrate_box_1d(p[0], p[2]),
}
BWS = {"scott": None, "silverman": "silverman", "scalar": 0.7,
       "callable": lambda k: 0.5 * k.neff ** (-1.0 / (k.d + 4))}
KDE_ROWS = [(name, bw, data, pts, w) for name in KDE_METHODS for bw in BWS
            for data, pts, w in ((D1, P1, None), (D1, P1, W1), (D2, P2, None), (D2, P2, W2))
            if not (name == "integrate_box_1d" and data.ndim == 2)]


@pytest.mark.parametrize("name,bw,data,pts,w", KDE_ROWS, ids=[
    f"{r[0]}-{r[1]}-{r[2].ndim}d-{'w' if r[4] is not None else 'u'}" for r in KDE_ROWS])
def test_gaussian_kde(name, bw, data, pts, w):
    call, bw_method = KDE_METHODS[name], BWS[bw]
    want = call(sst.gaussian_kde(data, bw_method, w), pts)
    np.testing.assert_array_equal(call(stats.gaussian_kde(data, bw_method, w), pts), want)
    if w is None:
        def f(d, p):
            return call(stats.gaussian_kde(d, bw_method), p)
        args = (data, pts)
    else:
        def f(d, p, w):
            return call(stats.gaussian_kde(d, bw_method, w), p)
        args = (data, pts, w)
    np.testing.assert_allclose(inside_jvp(f, *args), want, rtol=1e-11)
    # a SciPy estimate evaluated at traced points
    np.testing.assert_allclose(inside_jvp(lambda p: call(stats.gaussian_kde(data, bw_method, w),
                                                         p), pts), want, rtol=1e-11)
    check_grads(f, args, order=2, modes=("fwd", "rev"))


def test_gaussian_kde_bandwidth_vmap_jit():
    # differentiable in a numeric bandwidth
    check_grads(lambda h: stats.gaussian_kde(D1, h).logpdf(P1), (np.float64(0.6),), order=2)
    datasets = np.stack([D1, 2.0 * D1, D1 + 1.0])
    out = fd.vmap(lambda d: stats.gaussian_kde(d).evaluate(P1))(datasets)
    np.testing.assert_allclose(out, [sst.gaussian_kde(d).evaluate(P1) for d in datasets],
                               rtol=1e-11)
    got = fd.jit(lambda d, p: stats.gaussian_kde(d, weights=W2).logpdf(p))(D2, P2)
    np.testing.assert_allclose(got, sst.gaussian_kde(D2, weights=W2).logpdf(P2), rtol=1e-11)
    far = np.array([60.0])  # the density underflows; logpdf stays finite
    assert np.isfinite(fd.grad(lambda d: stats.gaussian_kde(d).logpdf(far)[0])(D1)).all()
    with pytest.raises(ValueError, match="only handles 1D"):
        fd.grad(lambda d: stats.gaussian_kde(d).integrate_box_1d(0.0, 1.0))(D2)
    with pytest.raises(ValueError, match="dimension"):
        fd.grad(lambda d: fnp.sum(stats.gaussian_kde(d).evaluate(np.zeros((3, 2)))))(D2)


@pytest.mark.parametrize("seed", [3, np.random.RandomState(5), np.random.default_rng(7)],
                         ids=["int", "RandomState", "Generator"])
@pytest.mark.parametrize("data,w", [(D1, None), (D2, W2)], ids=["1d", "2d-weighted"])
def test_gaussian_kde_resample(seed, data, w):
    want = sst.gaussian_kde(data, weights=w).resample(5, copy.deepcopy(seed))
    got = inside_jvp(lambda d: stats.gaussian_kde(d, weights=w).resample(5, copy.deepcopy(seed)),
                     data)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    check_grads(lambda d: stats.gaussian_kde(d, weights=w).resample(5, copy.deepcopy(seed)),
                (data,), order=2)
    # the default size is int(neff)
    got = inside_jvp(lambda d: stats.gaussian_kde(d, weights=w).resample(seed=1), data)
    assert got.shape == sst.gaussian_kde(data, weights=w).resample(seed=1).shape


@pytest.mark.parametrize("a,b,w", [(D1, D1[:4] + 0.3, None), (D2, D2[:, :5] * 1.5, W2)],
                         ids=["1d", "2d-weighted"])
def test_gaussian_kde_integrate_kde_and_factor_methods(a, b, w):
    want = sst.gaussian_kde(a, weights=w).integrate_kde(sst.gaussian_kde(b))

    def f(a, b):
        return stats.gaussian_kde(a, weights=w).integrate_kde(stats.gaussian_kde(b))

    np.testing.assert_allclose(inside_jvp(f, a, b), want, rtol=1e-11)
    check_grads(f, (a, b), order=2, modes=("fwd", "rev"))
    # a callable bandwidth may call the factor methods, as with SciPy's class
    for bw in (lambda k: 0.5 * k.scotts_factor(), lambda k: k.silverman_factor()):
        want = sst.gaussian_kde(a, bw, w).logpdf(b)
        got = inside_jvp(lambda d, bw=bw: stats.gaussian_kde(d, bw, w).logpdf(b), a)
        np.testing.assert_allclose(got, want, rtol=1e-11)


def test_gaussian_kde_resample_needs_concrete_weights():
    with pytest.raises(NotImplementedError, match="abstract under jit/vmap"):
        fd.vmap(lambda w: stats.gaussian_kde(D1, weights=w).resample(3, 0))(np.stack([W1, W1]))
