"""The implementation of `funcdiff.scipy.stats.uniform`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.scipy.stats.util import floats, safe, standardize, traced, valid, where


def _inside(z):
    return fe.logical_and(fe.greater_equal(z, 0), fe.less_equal(z, 1))


def logpdf(x, loc=0, scale=1):
    """`scipy.stats.uniform.logpdf`: `-log(scale)` inside the support, `-inf` outside."""
    if not traced(x, loc, scale):
        return st.uniform.logpdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, where(_inside(z), -fe.log(scale), -np.inf))


def pdf(x, loc=0, scale=1):
    """`scipy.stats.uniform.pdf`."""
    if not traced(x, loc, scale):
        return st.uniform.pdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, where(_inside(z), 1.0 / scale, 0.0))


def _cdf(x, loc, scale):
    return fe.clip(standardize(x, loc, scale), 0.0, 1.0)


def _logcdf(z):
    """log(clip(z, 0, 1)), -inf (with derivative 0) for z <= 0."""
    pos = fe.greater(z, 0)
    return where(pos, fe.log(fe.clip(safe(pos, z, 1.0), 0.0, 1.0)), -np.inf)


def cdf(x, loc=0, scale=1):
    """`scipy.stats.uniform.cdf`: `clip(z, 0, 1)`."""
    if not traced(x, loc, scale):
        return st.uniform.cdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(x, loc, scale))


def logcdf(x, loc=0, scale=1):
    """`scipy.stats.uniform.logcdf`."""
    if not traced(x, loc, scale):
        return st.uniform.logcdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _logcdf(standardize(x, loc, scale)))


def sf(x, loc=0, scale=1):
    """`scipy.stats.uniform.sf`: `1 - cdf`."""
    if not traced(x, loc, scale):
        return st.uniform.sf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, 1.0 - _cdf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    """`scipy.stats.uniform.logsf`."""
    if not traced(x, loc, scale):
        return st.uniform.logsf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _logcdf(1.0 - standardize(x, loc, scale)))


def _in_unit(q):
    return fe.logical_and(fe.greater_equal(q, 0), fe.less_equal(q, 1))


def ppf(q, loc=0, scale=1):
    """`scipy.stats.uniform.ppf`: `loc + scale * q` (NaN outside [0, 1])."""
    if not traced(q, loc, scale):
        return st.uniform.ppf(q, loc, scale)
    q, loc, scale = floats(q, loc, scale)
    return valid(fe.logical_and(scale > 0, _in_unit(q)), loc + scale * q)


def isf(q, loc=0, scale=1):
    """`scipy.stats.uniform.isf`: `loc + scale * (1 - q)`."""
    if not traced(q, loc, scale):
        return st.uniform.isf(q, loc, scale)
    q, loc, scale = floats(q, loc, scale)
    return valid(fe.logical_and(scale > 0, _in_unit(q)), loc + scale * (1.0 - q))


rvs = st.uniform.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
