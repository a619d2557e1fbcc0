"""The implementation of `funcdiff.scipy.stats.logistic`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.scipy.stats.util import floats, standardize, traced, valid
from funcdiff.scipy import special as fsp


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
    if not traced(x, loc, scale):
        return st.logistic.logpdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    z = standardize(x, loc, scale)
    return valid(scale > 0, fsp.log_expit(z) + fsp.log_expit(-z) - fe.log(scale))


def pdf(x, loc=0, scale=1):
    """`scipy.stats.logistic.pdf`."""
    if not traced(x, loc, scale):
        return st.logistic.pdf(x, loc, scale)
    return fe.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """`scipy.stats.logistic.cdf` (`expit(z)`)."""
    if not traced(x, loc, scale):
        return st.logistic.cdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.expit(standardize(x, loc, scale)))


def logcdf(x, loc=0, scale=1):
    """`scipy.stats.logistic.logcdf` (`log_expit(z)`)."""
    if not traced(x, loc, scale):
        return st.logistic.logcdf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.log_expit(standardize(x, loc, scale)))


def sf(x, loc=0, scale=1):
    """`scipy.stats.logistic.sf` (`expit(-z)`)."""
    if not traced(x, loc, scale):
        return st.logistic.sf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.expit(-standardize(x, loc, scale)))


def logsf(x, loc=0, scale=1):
    """`scipy.stats.logistic.logsf` (`log_expit(-z)`)."""
    if not traced(x, loc, scale):
        return st.logistic.logsf(x, loc, scale)
    x, loc, scale = floats(x, loc, scale)
    return valid(scale > 0, fsp.log_expit(-standardize(x, loc, scale)))


def ppf(q, loc=0, scale=1):
    """`scipy.stats.logistic.ppf`: `loc + scale * logit(q)`."""
    if not traced(q, loc, scale):
        return st.logistic.ppf(q, loc, scale)
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc + scale * fsp.logit(q))


def isf(q, loc=0, scale=1):
    """`scipy.stats.logistic.isf`: `loc - scale * logit(q)`."""
    if not traced(q, loc, scale):
        return st.logistic.isf(q, loc, scale)
    q, loc, scale = floats(q, loc, scale)
    return valid(scale > 0, loc - scale * fsp.logit(q))


rvs = st.logistic.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
