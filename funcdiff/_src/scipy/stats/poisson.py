"""The implementation of `funcdiff.scipy.stats.poisson`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.scipy.stats.util import floats, log_prob, safe, traced, valid, where
from funcdiff.scipy import special as fsp


def _logpmf(k, mu, loc):
    k = k - loc
    ok = fe.logical_and(fe.greater_equal(k, 0), fe.equal(k, fe.floor(k)))
    k = safe(ok, k, 0.0)
    val = fsp.xlogy(k, mu) - fsp.gammaln(k + 1.0) - mu
    return valid(mu >= 0, where(ok, val, -np.inf))


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
    if not traced(k, mu, loc):
        return st.poisson.logpmf(k, mu, loc)
    return _logpmf(*floats(k, mu, loc))


def pmf(k, mu, loc=0):
    """`scipy.stats.poisson.pmf`."""
    if not traced(k, mu, loc):
        return st.poisson.pmf(k, mu, loc)
    return fe.exp(_logpmf(*floats(k, mu, loc)))


def _cdf(k, mu, loc, upper):
    k = fe.floor(k - loc)
    ok = fe.greater_equal(k, 0)
    k = safe(ok, k, 0.0)
    if upper:
        return valid(mu >= 0, where(ok, fsp.gammainc(k + 1.0, mu), 1.0))
    return valid(mu >= 0, where(ok, fsp.gammaincc(k + 1.0, mu), 0.0))


def cdf(k, mu, loc=0):
    """`scipy.stats.poisson.cdf`."""
    if not traced(k, mu, loc):
        return st.poisson.cdf(k, mu, loc)
    return _cdf(*floats(k, mu, loc), upper=False)


def logcdf(k, mu, loc=0):
    """`scipy.stats.poisson.logcdf`."""
    if not traced(k, mu, loc):
        return st.poisson.logcdf(k, mu, loc)
    args = floats(k, mu, loc)
    return log_prob(_cdf(*args, upper=False), _cdf(*args, upper=True))


def sf(k, mu, loc=0):
    """`scipy.stats.poisson.sf`."""
    if not traced(k, mu, loc):
        return st.poisson.sf(k, mu, loc)
    return _cdf(*floats(k, mu, loc), upper=True)


def logsf(k, mu, loc=0):
    """`scipy.stats.poisson.logsf`."""
    if not traced(k, mu, loc):
        return st.poisson.logsf(k, mu, loc)
    args = floats(k, mu, loc)
    return log_prob(_cdf(*args, upper=True), _cdf(*args, upper=False))
