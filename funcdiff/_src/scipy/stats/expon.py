"""The implementation of `funcdiff.scipy.stats.expon`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import (
    floats,
    log1mexp,
    safe,
    standardize,
    valid,
    where,
)


def _z(x, loc, scale):
    """(inside the support, z clamped to the support)."""
    z = standardize(x, loc, scale)
    inside = fe.greater_equal(z, 0)
    return inside, safe(inside, z, 0.0)


@numpy_outside_transforms(st.expon.logpdf, unless_traced=True)
def logpdf(x, loc=0, scale=1):
    """`scipy.stats.expon.logpdf`: `-z - log(scale)` for `z >= 0`, `-inf` below."""
    x, loc, scale = floats(x, loc, scale)
    inside, z = _z(x, loc, scale)
    return valid(scale > 0, where(inside, -z - fe.log(scale), -np.inf))


@numpy_outside_transforms(st.expon.pdf, unless_traced=True)
def pdf(x, loc=0, scale=1):
    """`scipy.stats.expon.pdf`."""
    return fe.exp(logpdf(x, loc, scale))


@numpy_outside_transforms(st.expon.cdf, unless_traced=True)
def cdf(x, loc=0, scale=1):
    """`scipy.stats.expon.cdf`: `-expm1(-z)`."""
    x, loc, scale = floats(x, loc, scale)
    _, z = _z(x, loc, scale)
    return valid(scale > 0, -fe.expm1(-z))


@numpy_outside_transforms(st.expon.logcdf, unless_traced=True)
def logcdf(x, loc=0, scale=1):
    """`scipy.stats.expon.logcdf`: `log(1 - exp(-z))`, `-inf` for `z <= 0`."""
    x, loc, scale = floats(x, loc, scale)
    _, z = _z(x, loc, scale)
    pos = fe.greater(z, 0)
    return valid(scale > 0, where(pos, log1mexp(safe(pos, z, 1.0)), -np.inf))


@numpy_outside_transforms(st.expon.sf, unless_traced=True)
def sf(x, loc=0, scale=1):
    """`scipy.stats.expon.sf`: `exp(-z)` (1 below the support)."""
    x, loc, scale = floats(x, loc, scale)
    _, z = _z(x, loc, scale)
    return valid(scale > 0, fe.exp(-z))


@numpy_outside_transforms(st.expon.logsf, unless_traced=True)
def logsf(x, loc=0, scale=1):
    """`scipy.stats.expon.logsf`: `-z` (0 below the support)."""
    x, loc, scale = floats(x, loc, scale)
    _, z = _z(x, loc, scale)
    return valid(scale > 0, -z)


@numpy_outside_transforms(st.expon.ppf, unless_traced=True)
def ppf(q, loc=0, scale=1):
    """`scipy.stats.expon.ppf`: `loc - scale * log1p(-q)`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * fe.log1p(-q))


@numpy_outside_transforms(st.expon.isf, unless_traced=True)
def isf(q, loc=0, scale=1):
    """`scipy.stats.expon.isf`: `loc - scale * log(q)`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * fe.log(q))


rvs = st.expon.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
