"""The implementation of `funcdiff.scipy.stats.poisson`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy import reductions as fr
from funcdiff._src.numpy import shape as fs
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, log_prob, safe, valid, where
from funcdiff.scipy import special as fsp


def _logpmf(k, mu, loc):
    k = k - loc
    ok = fe.logical_and(fe.greater_equal(k, 0), fe.equal(k, fe.floor(k)))
    k = safe(ok, k, 0.0)
    val = fsp.xlogy(k, mu) - fsp.gammaln(k + 1.0) - mu
    return valid(mu >= 0, where(ok, val, -np.inf))


@numpy_outside_transforms(st.poisson.logpmf, unless_traced=True)
def logpmf(k, mu, loc=0):
    """`scipy.stats.poisson.logpmf`: `xlogy(k, mu) - gammaln(k + 1) - mu`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import poisson
        >>> float(fd.grad(poisson.logpmf, argnums=1)(3, 2.0))  # 3 / 2 - 1
        0.5

        ```
    """
    return _logpmf(*floats(k, mu, loc))


@numpy_outside_transforms(st.poisson.pmf, unless_traced=True)
def pmf(k, mu, loc=0):
    """`scipy.stats.poisson.pmf`."""
    return fe.exp(_logpmf(*floats(k, mu, loc)))


def _cdf(k, mu, loc, upper):
    k = fe.floor(k - loc)
    ok = fe.greater_equal(k, 0)
    k = safe(ok, k, 0.0)
    if upper:
        return valid(mu >= 0, where(ok, fsp.gammainc(k + 1.0, mu), 1.0))
    return valid(mu >= 0, where(ok, fsp.gammaincc(k + 1.0, mu), 0.0))


@numpy_outside_transforms(st.poisson.cdf, unless_traced=True)
def cdf(k, mu, loc=0):
    """`scipy.stats.poisson.cdf`."""
    return _cdf(*floats(k, mu, loc), upper=False)


@numpy_outside_transforms(st.poisson.logcdf, unless_traced=True)
def logcdf(k, mu, loc=0):
    """`scipy.stats.poisson.logcdf`."""
    args = floats(k, mu, loc)
    return log_prob(_cdf(*args, upper=False), _cdf(*args, upper=True))


@numpy_outside_transforms(st.poisson.sf, unless_traced=True)
def sf(k, mu, loc=0):
    """`scipy.stats.poisson.sf`."""
    return _cdf(*floats(k, mu, loc), upper=True)


@numpy_outside_transforms(st.poisson.logsf, unless_traced=True)
def logsf(k, mu, loc=0):
    """`scipy.stats.poisson.logsf`."""
    args = floats(k, mu, loc)
    return log_prob(_cdf(*args, upper=True), _cdf(*args, upper=False))


_K = np.arange(161.0)  # the counts summed over for mu <= 50 (at least 15 sd beyond the mean)


def _entropy(mu):
    """mu - mu log mu + E[log k!] (= -sum_k p_k log p_k, with the expectation summed over
    the counts; `entr` gives the infinite derivative at mu = 0) for mu <= 50; above, the
    asymptotic series 1/2 log(2 pi e mu) - 1/(12 mu) - 1/(24 mu^2) - 19/(360 mu^3) (error
    below 1e-7 at 50, 1e-9 at 100)."""
    small = fe.less_equal(mu, 50.0)
    m = safe(small, mu, 1.0)
    p = fe.exp(_logpmf(_K, fs.expand_dims(m, -1), 0.0))
    summed = m + fsp.entr(m) + fr.sum(p * fsp.gammaln(_K + 1.0), axis=-1)
    big = safe(small, 1.0, mu)
    series = (0.5 * fe.log(2 * np.pi * np.e * big) - 1 / (12 * big) - 1 / (24 * big ** 2)
              - 19 / (360 * big ** 3))
    return valid(mu >= 0, where(small, summed, series))


@numpy_outside_transforms(st.poisson.entropy, unless_traced=True)
def entropy(mu, loc=0):
    """`scipy.stats.poisson.entropy` (in nats), differentiable in `mu`: the sum over the
    counts up to mu <= 50, the asymptotic series beyond."""
    mu, _ = floats(mu, loc)
    return _entropy(mu)


rvs = st.poisson.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
