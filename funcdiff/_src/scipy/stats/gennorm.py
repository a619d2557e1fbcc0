"""The implementation of `funcdiff.scipy.stats.gennorm`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, log_prob, safe, standardize, valid, where
from funcdiff.scipy import special as fsp


def _ok(beta, scale):
    return fe.logical_and(beta > 0, scale > 0)


def _abs_pow(z, beta):
    """`|z|**beta`, 0 at `z = 0` with finite derivatives (in `beta` too)."""
    az = fe.abs(z)
    pos = fe.greater(az, 0.0)
    return where(pos, fe.exp(beta * fe.log(safe(pos, az, 1.0))), 0.0)


def _logpdf(x, beta, loc, scale):
    z = standardize(x, loc, scale)
    val = fe.log(0.5 * beta) - fsp.gammaln(1.0 / beta) - _abs_pow(z, beta) - fe.log(scale)
    return valid(_ok(beta, scale), val)


@numpy_outside_transforms(st.gennorm.logpdf, unless_traced=True)
def logpdf(x, beta, loc=0, scale=1):
    """`scipy.stats.gennorm.logpdf`: `log(beta/2) - gammaln(1/beta) - |z|**beta - log(scale)`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import gennorm
        >>> float(fd.grad(gennorm.logpdf)(1.0, 2.0))  # beta = 2: -2 z
        -2.0

        ```
    """
    return _logpdf(*floats(x, beta, loc, scale))


@numpy_outside_transforms(st.gennorm.pdf, unless_traced=True)
def pdf(x, beta, loc=0, scale=1):
    """`scipy.stats.gennorm.pdf`: `exp(logpdf)`."""
    return fe.exp(_logpdf(*floats(x, beta, loc, scale)))


def _half(x, beta, loc, scale, upper):
    """P(Z <= z) (or P(Z > z) with `upper`), each from `gammaincc` on its small side."""
    z = standardize(x, loc, scale)
    if upper:
        z = -z
    tail = 0.5 * fsp.gammaincc(1.0 / beta, _abs_pow(z, beta))
    return valid(_ok(beta, scale), where(fe.less(z, 0.0), tail, 1.0 - tail))


@numpy_outside_transforms(st.gennorm.cdf, unless_traced=True)
def cdf(x, beta, loc=0, scale=1):
    """`scipy.stats.gennorm.cdf`: `1/2 + sign(z)/2 * gammainc(1/beta, |z|**beta)`."""
    return _half(*floats(x, beta, loc, scale), upper=False)


@numpy_outside_transforms(st.gennorm.sf, unless_traced=True)
def sf(x, beta, loc=0, scale=1):
    """`scipy.stats.gennorm.sf`: `cdf(-z)`."""
    return _half(*floats(x, beta, loc, scale), upper=True)


@numpy_outside_transforms(st.gennorm.logcdf, unless_traced=True)
def logcdf(x, beta, loc=0, scale=1):
    """`scipy.stats.gennorm.logcdf`: the log of the cdf, from the smaller of cdf and sf."""
    args = floats(x, beta, loc, scale)
    return log_prob(_half(*args, upper=False), _half(*args, upper=True))


@numpy_outside_transforms(st.gennorm.logsf, unless_traced=True)
def logsf(x, beta, loc=0, scale=1):
    """`scipy.stats.gennorm.logsf`: the log of the sf, from the smaller of sf and cdf."""
    args = floats(x, beta, loc, scale)
    return log_prob(_half(*args, upper=True), _half(*args, upper=False))


rvs = st.gennorm.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
