"""The implementation of `funcdiff.scipy.stats.norm`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import LOG_SQRT_2PI, floats, standardize, valid
from funcdiff.scipy import special as fsp


@numpy_outside_transforms(st.norm.logpdf, unless_traced=True)
def logpdf(x, loc=0, scale=1):
    """`scipy.stats.norm.logpdf`: `-z**2/2 - log(scale) - log(sqrt(2 pi))`, `z = (x-loc)/scale`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import norm
        >>> dx, dloc, dscale = fd.grad(norm.logpdf, argnums=(0, 1, 2))(1.0, 0.0, 2.0)
        >>> float(dx), float(dloc), float(dscale)
        (-0.25, 0.25, -0.375)

        ```
    """
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, -0.5 * (z * z) - fe.log(scale) - LOG_SQRT_2PI)


@numpy_outside_transforms(st.norm.pdf, unless_traced=True)
def pdf(x, loc=0, scale=1):
    """`scipy.stats.norm.pdf`."""
    return fe.exp(logpdf(x, loc, scale))


@numpy_outside_transforms(st.norm.cdf, unless_traced=True)
def cdf(x, loc=0, scale=1):
    """`scipy.stats.norm.cdf` (`ndtr(z)`)."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.ndtr(standardize(x, loc, scale)))


@numpy_outside_transforms(st.norm.logcdf, unless_traced=True)
def logcdf(x, loc=0, scale=1):
    """`scipy.stats.norm.logcdf` (`log_ndtr(z)`): finite far in the lower tail.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import norm
        >>> float(norm.logcdf(-40.0))
        -804.60844201375...
        >>> float(fd.grad(norm.logcdf)(-40.0))
        40.0249...

        ```
    """
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.log_ndtr(standardize(x, loc, scale)))


@numpy_outside_transforms(st.norm.sf, unless_traced=True)
def sf(x, loc=0, scale=1):
    """`scipy.stats.norm.sf` (`ndtr(-z)`, accurate in the upper tail)."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.ndtr(-standardize(x, loc, scale)))


@numpy_outside_transforms(st.norm.logsf, unless_traced=True)
def logsf(x, loc=0, scale=1):
    """`scipy.stats.norm.logsf` (`log_ndtr(-z)`): finite far in the upper tail."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.log_ndtr(-standardize(x, loc, scale)))


@numpy_outside_transforms(st.norm.ppf, unless_traced=True)
def ppf(q, loc=0, scale=1):
    """`scipy.stats.norm.ppf`: `loc + scale * ndtri(q)`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc + scale * fsp.ndtri(q))


@numpy_outside_transforms(st.norm.isf, unless_traced=True)
def isf(q, loc=0, scale=1):
    """`scipy.stats.norm.isf`: `loc - scale * ndtri(q)`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * fsp.ndtri(q))


rvs = st.norm.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
