"""The implementation of `funcdiff.scipy.stats.cauchy`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, log_prob, standardize, valid

_LOG_PI = float(np.log(np.pi))


@numpy_outside_transforms(st.cauchy.logpdf, unless_traced=True)
def logpdf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.logpdf`: `-log(pi scale (1 + z**2))`."""
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, -_LOG_PI - fe.log(scale) - fe.log1p(z * z))


@numpy_outside_transforms(st.cauchy.pdf, unless_traced=True)
def pdf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.pdf`."""
    return fe.exp(logpdf(x, loc, scale))


def _cdf(z):
    return fe.arctan2(1.0, -z) / np.pi


@numpy_outside_transforms(st.cauchy.cdf, unless_traced=True)
def cdf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.cdf`."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(standardize(x, loc, scale)))


@numpy_outside_transforms(st.cauchy.logcdf, unless_traced=True)
def logcdf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.logcdf`."""
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, log_prob(_cdf(z), _cdf(-z)))


@numpy_outside_transforms(st.cauchy.sf, unless_traced=True)
def sf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.sf`."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, _cdf(-standardize(x, loc, scale)))


@numpy_outside_transforms(st.cauchy.logsf, unless_traced=True)
def logsf(x, loc=0, scale=1):
    """`scipy.stats.cauchy.logsf`."""
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, log_prob(_cdf(-z), _cdf(z)))


@numpy_outside_transforms(st.cauchy.ppf, unless_traced=True)
def ppf(q, loc=0, scale=1):
    """`scipy.stats.cauchy.ppf`: `loc + scale * tan(pi (q - 1/2))`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc + scale * fe.tan(np.pi * (q - 0.5)))


@numpy_outside_transforms(st.cauchy.isf, unless_traced=True)
def isf(q, loc=0, scale=1):
    """`scipy.stats.cauchy.isf`: `loc - scale * tan(pi (q - 1/2))`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * fe.tan(np.pi * (q - 0.5)))


rvs = st.cauchy.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
