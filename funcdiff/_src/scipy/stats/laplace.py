"""The implementation of `funcdiff.scipy.stats.laplace`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.scipy.stats.util import floats, safe, standardize, traced, valid, where

_LOG_HALF = float(np.log(0.5))


def logpdf(x, loc=0, scale=1):
    """`scipy.stats.laplace.logpdf`: `-|z| - log(2 scale)`."""
    if not traced(x, loc, scale):
        return st.laplace.logpdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, -fe.abs(z) - fe.log(2.0 * scale))


def pdf(x, loc=0, scale=1):
    """`scipy.stats.laplace.pdf`."""
    if not traced(x, loc, scale):
        return st.laplace.pdf(x, loc, scale)
    return fe.exp(logpdf(x, loc, scale))


def _exp_minus_abs(z):
    """`(z < 0, exp(-|z|))`, with each side's own smooth derivative (no kink at 0)."""
    neg = fe.less(z, 0)
    return neg, fe.exp(where(neg, z, -z))


def _cdf(z):
    neg, e = _exp_minus_abs(z)
    return where(neg, 0.5 * e, 1.0 - 0.5 * e)


def _logcdf(z):
    neg, e = _exp_minus_abs(z)
    return where(neg, _LOG_HALF + safe(neg, z, 0.0), fe.log1p(-0.5 * e))


def cdf(x, loc=0, scale=1):
    """`scipy.stats.laplace.cdf`."""
    if not traced(x, loc, scale):
        return st.laplace.cdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(standardize(x, loc, scale)))


def logcdf(x, loc=0, scale=1):
    """`scipy.stats.laplace.logcdf`: `z + log(1/2)` for `z < 0`, `log1p(-exp(-z)/2)` above."""
    if not traced(x, loc, scale):
        return st.laplace.logcdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _logcdf(standardize(x, loc, scale)))


def sf(x, loc=0, scale=1):
    """`scipy.stats.laplace.sf`."""
    if not traced(x, loc, scale):
        return st.laplace.sf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(-standardize(x, loc, scale)))


def logsf(x, loc=0, scale=1):
    """`scipy.stats.laplace.logsf` (finite in the upper tail)."""
    if not traced(x, loc, scale):
        return st.laplace.logsf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _logcdf(-standardize(x, loc, scale)))


def _ppf(q):
    upper = fe.greater(q, 0.5)
    return where(upper, -fe.log(2.0 * (1.0 - safe(upper, q, 0.75))),
                 fe.log(2.0 * safe(upper, 0.25, q)))


def ppf(q, loc=0, scale=1):
    """`scipy.stats.laplace.ppf`."""
    if not traced(q, loc, scale):
        return st.laplace.ppf(q, loc, scale)
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc + scale * _ppf(q))


def isf(q, loc=0, scale=1):
    """`scipy.stats.laplace.isf`."""
    if not traced(q, loc, scale):
        return st.laplace.isf(q, loc, scale)
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * _ppf(q))


rvs = st.laplace.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
