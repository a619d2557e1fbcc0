"""The implementation of `funcdiff.scipy.stats.gamma`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.scipy.stats.util import floats, log_prob, safe, standardize, traced, valid, where
from funcdiff.scipy import special as fsp


def _ok(a, scale):
    return fe.logical_and(a > 0, scale > 0)


def _support(x, loc, scale):
    """(z >= 0, z clamped to the support at 0)."""
    z = standardize(x, loc, scale)
    inside = fe.greater_equal(z, 0)
    return inside, safe(inside, z, 0.0)


def _logpdf(x, a, loc, scale):
    inside, z = _support(x, loc, scale)
    val = fsp.xlogy(a - 1.0, z) - z - fsp.gammaln(a) - fe.log(scale)
    return valid(_ok(a, scale), where(inside, val, -np.inf))


def logpdf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.logpdf`: `xlogy(a-1, z) - z - gammaln(a) - log(scale)` for `z >= 0`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import gamma
        >>> float(fd.grad(gamma.logpdf, argnums=1)(2.0, 3.0))  # log(2) - digamma(3)
        -0.22963715...

        ```
    """
    if not traced(x, a, loc, scale):
        return st.gamma.logpdf(x, a, loc, scale)
    return _logpdf(*floats(x, a, loc, scale))


def pdf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.pdf`."""
    if not traced(x, a, loc, scale):
        return st.gamma.pdf(x, a, loc, scale)
    return fe.exp(_logpdf(*floats(x, a, loc, scale)))


def _cdf(x, a, loc, scale, upper):
    _, z = _support(x, loc, scale)
    p = fsp.gammaincc(a, z) if upper else fsp.gammainc(a, z)
    return valid(_ok(a, scale), p)


def cdf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.cdf` (`gammainc(a, z)`)."""
    if not traced(x, a, loc, scale):
        return st.gamma.cdf(x, a, loc, scale)
    return _cdf(*floats(x, a, loc, scale), upper=False)


def logcdf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.logcdf`."""
    if not traced(x, a, loc, scale):
        return st.gamma.logcdf(x, a, loc, scale)
    args = floats(x, a, loc, scale)
    return log_prob(_cdf(*args, upper=False), _cdf(*args, upper=True))


def sf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.sf` (`gammaincc(a, z)`)."""
    if not traced(x, a, loc, scale):
        return st.gamma.sf(x, a, loc, scale)
    return _cdf(*floats(x, a, loc, scale), upper=True)


def logsf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.logsf`."""
    if not traced(x, a, loc, scale):
        return st.gamma.logsf(x, a, loc, scale)
    args = floats(x, a, loc, scale)
    return log_prob(_cdf(*args, upper=True), _cdf(*args, upper=False))


rvs = st.gamma.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
