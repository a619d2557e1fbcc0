"""The implementation of `funcdiff.scipy.stats.beta`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, log_prob, safe, standardize, valid, where
from funcdiff.scipy import special as fsp


def _ok(a, b, scale):
    return fe.logical_and(fe.logical_and(a > 0, b > 0), scale > 0)


def _logpdf(x, a, b, loc, scale):
    z = standardize(x, loc, scale)
    inside = fe.logical_and(fe.greater_equal(z, 0), fe.less_equal(z, 1))
    z = safe(inside, z, 0.5)
    val = fsp.xlogy(a - 1.0, z) + fsp.xlog1py(b - 1.0, -z) - fsp.betaln(a, b) - fe.log(scale)
    return valid(_ok(a, b, scale), where(inside, val, -np.inf))


@numpy_outside_transforms(st.beta.logpdf, unless_traced=True)
def logpdf(x, a, b, loc=0, scale=1):
    """`scipy.stats.beta.logpdf`: `xlogy(a-1, z) + xlog1py(b-1, -z) - betaln(a, b) - log(scale)`.

    Example:
        ```python
        import funcdiff as fd
        from funcdiff.scipy.stats import beta

        fd.grad(beta.logpdf, argnums=(0, 1, 2))(0.3, 2.0, 3.0)
        ```
    """
    return _logpdf(*floats(x, a, b, loc, scale))


@numpy_outside_transforms(st.beta.pdf, unless_traced=True)
def pdf(x, a, b, loc=0, scale=1):
    """`scipy.stats.beta.pdf`."""
    return fe.exp(_logpdf(*floats(x, a, b, loc, scale)))


def _cdf(x, a, b, loc, scale, upper):
    z = fe.clip(standardize(x, loc, scale), 0.0, 1.0)
    p = fsp.betaincc(a, b, z) if upper else fsp.betainc(a, b, z)
    return valid(_ok(a, b, scale), p)


@numpy_outside_transforms(st.beta.cdf, unless_traced=True)
def cdf(x, a, b, loc=0, scale=1):
    """`scipy.stats.beta.cdf` (`betainc(a, b, z)`)."""
    return _cdf(*floats(x, a, b, loc, scale), upper=False)


@numpy_outside_transforms(st.beta.logcdf, unless_traced=True)
def logcdf(x, a, b, loc=0, scale=1):
    """`scipy.stats.beta.logcdf`."""
    args = floats(x, a, b, loc, scale)
    return log_prob(_cdf(*args, upper=False), _cdf(*args, upper=True))


@numpy_outside_transforms(st.beta.sf, unless_traced=True)
def sf(x, a, b, loc=0, scale=1):
    """`scipy.stats.beta.sf` (`betaincc(a, b, z)`)."""
    return _cdf(*floats(x, a, b, loc, scale), upper=True)


@numpy_outside_transforms(st.beta.logsf, unless_traced=True)
def logsf(x, a, b, loc=0, scale=1):
    """`scipy.stats.beta.logsf`."""
    args = floats(x, a, b, loc, scale)
    return log_prob(_cdf(*args, upper=True), _cdf(*args, upper=False))


rvs = st.beta.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
