"""The implementation of `funcdiff.scipy.stats.cauchy`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.scipy.stats.util import floats, log_prob, standardize, traced, valid

_LOG_PI = float(np.log(np.pi))


def logpdf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.logpdf`: `-log(pi scale (1 + z**2))`."""
    if not traced(x, loc, scale):
        return st.cauchy.logpdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, -_LOG_PI - fe.log(scale) - fe.log1p(z * z))


def pdf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.pdf`."""
    if not traced(x, loc, scale):
        return st.cauchy.pdf(x, loc, scale)
    return fe.exp(logpdf(x, loc, scale))


def _cdf(z):
    return fe.arctan2(1.0, -z) / np.pi


def cdf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.cdf`."""
    if not traced(x, loc, scale):
        return st.cauchy.cdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(standardize(x, loc, scale)))


def logcdf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.logcdf`."""
    if not traced(x, loc, scale):
        return st.cauchy.logcdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, log_prob(_cdf(z), _cdf(-z)))


def sf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.sf`."""
    if not traced(x, loc, scale):
        return st.cauchy.sf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(-standardize(x, loc, scale)))


def logsf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.logsf`."""
    if not traced(x, loc, scale):
        return st.cauchy.logsf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, log_prob(_cdf(-z), _cdf(z)))


def ppf(q, loc=0, scale=1):
    """`scipy.stats.cauchy.ppf`: `loc + scale * tan(pi (q - 1/2))`."""
    if not traced(q, loc, scale):
        return st.cauchy.ppf(q, loc, scale)
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc + scale * fe.tan(np.pi * (q - 0.5)))


def isf(q, loc=0, scale=1):
    """`scipy.stats.cauchy.isf`: `loc - scale * tan(pi (q - 1/2))`."""
    if not traced(q, loc, scale):
        return st.cauchy.isf(q, loc, scale)
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * fe.tan(np.pi * (q - 0.5)))


rvs = st.cauchy.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
