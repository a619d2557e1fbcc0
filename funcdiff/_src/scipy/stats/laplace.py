"""The implementation of `funcdiff.scipy.stats.laplace`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, safe, standardize, valid, where

_LOG_HALF = float(np.log(0.5))


@numpy_outside_transforms(st.laplace.logpdf, unless_traced=True)
def logpdf(x, loc=0, scale=1):
    """`scipy.stats.laplace.logpdf`: `-|z| - log(2 scale)`."""
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, -fe.abs(z) - fe.log(2.0 * scale))


@numpy_outside_transforms(st.laplace.pdf, unless_traced=True)
def pdf(x, loc=0, scale=1):
    """`scipy.stats.laplace.pdf`."""
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


@numpy_outside_transforms(st.laplace.cdf, unless_traced=True)
def cdf(x, loc=0, scale=1):
    """`scipy.stats.laplace.cdf`."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(standardize(x, loc, scale)))


@numpy_outside_transforms(st.laplace.logcdf, unless_traced=True)
def logcdf(x, loc=0, scale=1):
    """`scipy.stats.laplace.logcdf`: `z + log(1/2)` for `z < 0`, `log1p(-exp(-z)/2)` above."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _logcdf(standardize(x, loc, scale)))


@numpy_outside_transforms(st.laplace.sf, unless_traced=True)
def sf(x, loc=0, scale=1):
    """`scipy.stats.laplace.sf`."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(-standardize(x, loc, scale)))


@numpy_outside_transforms(st.laplace.logsf, unless_traced=True)
def logsf(x, loc=0, scale=1):
    """`scipy.stats.laplace.logsf` (finite in the upper tail)."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _logcdf(-standardize(x, loc, scale)))


def _ppf(q):
    upper = fe.greater(q, 0.5)
    return where(upper, -fe.log(2.0 * (1.0 - safe(upper, q, 0.75))),
                 fe.log(2.0 * safe(upper, 0.25, q)))


@numpy_outside_transforms(st.laplace.ppf, unless_traced=True)
def ppf(q, loc=0, scale=1):
    """`scipy.stats.laplace.ppf`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc + scale * _ppf(q))


@numpy_outside_transforms(st.laplace.isf, unless_traced=True)
def isf(q, loc=0, scale=1):
    """`scipy.stats.laplace.isf`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * _ppf(q))


rvs = st.laplace.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
