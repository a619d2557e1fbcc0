"""The implementation of `funcdiff.scipy.stats.uniform`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, safe, standardize, valid, where


def _inside(z):
    return fe.logical_and(fe.greater_equal(z, 0), fe.less_equal(z, 1))


@numpy_outside_transforms(st.uniform.logpdf, unless_traced=True)
def logpdf(x, loc=0, scale=1):
    """`scipy.stats.uniform.logpdf`: `-log(scale)` inside the support, `-inf` outside."""
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, where(_inside(z), -fe.log(scale), -np.inf))


@numpy_outside_transforms(st.uniform.pdf, unless_traced=True)
def pdf(x, loc=0, scale=1):
    """`scipy.stats.uniform.pdf`."""
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, where(_inside(z), 1.0 / scale, 0.0))


def _cdf(x, loc, scale):
    return fe.clip(standardize(x, loc, scale), 0.0, 1.0)


def _logcdf(z):
    """log(clip(z, 0, 1)), -inf (with derivative 0) for z <= 0."""
    pos = fe.greater(z, 0)
    return where(pos, fe.log(fe.clip(safe(pos, z, 1.0), 0.0, 1.0)), -np.inf)


@numpy_outside_transforms(st.uniform.cdf, unless_traced=True)
def cdf(x, loc=0, scale=1):
    """`scipy.stats.uniform.cdf`: `clip(z, 0, 1)`."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(x, loc, scale))


@numpy_outside_transforms(st.uniform.logcdf, unless_traced=True)
def logcdf(x, loc=0, scale=1):
    """`scipy.stats.uniform.logcdf`."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _logcdf(standardize(x, loc, scale)))


@numpy_outside_transforms(st.uniform.sf, unless_traced=True)
def sf(x, loc=0, scale=1):
    """`scipy.stats.uniform.sf`: `1 - cdf`."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, 1.0 - _cdf(x, loc, scale))


@numpy_outside_transforms(st.uniform.logsf, unless_traced=True)
def logsf(x, loc=0, scale=1):
    """`scipy.stats.uniform.logsf`."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _logcdf(1.0 - standardize(x, loc, scale)))


def _in_unit(q):
    return fe.logical_and(fe.greater_equal(q, 0), fe.less_equal(q, 1))


@numpy_outside_transforms(st.uniform.ppf, unless_traced=True)
def ppf(q, loc=0, scale=1):
    """`scipy.stats.uniform.ppf`: `loc + scale * q` (NaN outside [0, 1])."""
    q, loc, scale = floats(q, loc, scale)
    return valid(fe.logical_and(scale > 0, _in_unit(q)), loc + scale * q)


@numpy_outside_transforms(st.uniform.isf, unless_traced=True)
def isf(q, loc=0, scale=1):
    """`scipy.stats.uniform.isf`: `loc + scale * (1 - q)`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(fe.logical_and(scale > 0, _in_unit(q)), loc + scale * (1.0 - q))


rvs = st.uniform.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
