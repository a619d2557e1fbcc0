"""The implementation of `funcdiff.scipy.stats.logistic`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, standardize, valid
from funcdiff.scipy import special as fsp


@numpy_outside_transforms(st.logistic.logpdf, unless_traced=True)
def logpdf(x, loc=0, scale=1):
    """`scipy.stats.logistic.logpdf`: `log_expit(z) + log_expit(-z) - log(scale)`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import logistic
        >>> float(fd.grad(logistic.logpdf)(1000.0))
        -1.0

        ```
    """
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, fsp.log_expit(z) + fsp.log_expit(-z) - fe.log(scale))


@numpy_outside_transforms(st.logistic.pdf, unless_traced=True)
def pdf(x, loc=0, scale=1):
    """`scipy.stats.logistic.pdf`."""
    return fe.exp(logpdf(x, loc, scale))


@numpy_outside_transforms(st.logistic.cdf, unless_traced=True)
def cdf(x, loc=0, scale=1):
    """`scipy.stats.logistic.cdf` (`expit(z)`)."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.expit(standardize(x, loc, scale)))


@numpy_outside_transforms(st.logistic.logcdf, unless_traced=True)
def logcdf(x, loc=0, scale=1):
    """`scipy.stats.logistic.logcdf` (`log_expit(z)`)."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.log_expit(standardize(x, loc, scale)))


@numpy_outside_transforms(st.logistic.sf, unless_traced=True)
def sf(x, loc=0, scale=1):
    """`scipy.stats.logistic.sf` (`expit(-z)`)."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.expit(-standardize(x, loc, scale)))


@numpy_outside_transforms(st.logistic.logsf, unless_traced=True)
def logsf(x, loc=0, scale=1):
    """`scipy.stats.logistic.logsf` (`log_expit(-z)`)."""
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.log_expit(-standardize(x, loc, scale)))


@numpy_outside_transforms(st.logistic.ppf, unless_traced=True)
def ppf(q, loc=0, scale=1):
    """`scipy.stats.logistic.ppf`: `loc + scale * logit(q)`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc + scale * fsp.logit(q))


@numpy_outside_transforms(st.logistic.isf, unless_traced=True)
def isf(q, loc=0, scale=1):
    """`scipy.stats.logistic.isf`: `loc - scale * logit(q)`."""
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * fsp.logit(q))


rvs = st.logistic.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
