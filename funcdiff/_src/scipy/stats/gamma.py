"""The implementation of `funcdiff.scipy.stats.gamma`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, log_prob, safe, standardize, valid, where
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


@numpy_outside_transforms(st.gamma.logpdf, unless_traced=True)
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
    return _logpdf(*floats(x, a, loc, scale))


@numpy_outside_transforms(st.gamma.pdf, unless_traced=True)
def pdf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.pdf`."""
    return fe.exp(_logpdf(*floats(x, a, loc, scale)))


def _cdf(x, a, loc, scale, upper):
    _, z = _support(x, loc, scale)
    p = fsp.gammaincc(a, z) if upper else fsp.gammainc(a, z)
    return valid(_ok(a, scale), p)


@numpy_outside_transforms(st.gamma.cdf, unless_traced=True)
def cdf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.cdf` (`gammainc(a, z)`)."""
    return _cdf(*floats(x, a, loc, scale), upper=False)


@numpy_outside_transforms(st.gamma.logcdf, unless_traced=True)
def logcdf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.logcdf`."""
    args = floats(x, a, loc, scale)
    return log_prob(_cdf(*args, upper=False), _cdf(*args, upper=True))


@numpy_outside_transforms(st.gamma.sf, unless_traced=True)
def sf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.sf` (`gammaincc(a, z)`)."""
    return _cdf(*floats(x, a, loc, scale), upper=True)


@numpy_outside_transforms(st.gamma.logsf, unless_traced=True)
def logsf(x, a, loc=0, scale=1):
    """`scipy.stats.gamma.logsf`."""
    args = floats(x, a, loc, scale)
    return log_prob(_cdf(*args, upper=True), _cdf(*args, upper=False))


rvs = st.gamma.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
