"""The implementation of `funcdiff.scipy.stats.chi2`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import scipy.stats as st

from funcdiff._src.scipy.stats import gamma as _gamma
from funcdiff._src.scipy.stats.util import floats, traced


def _as_gamma(x, df, loc, scale):
    x, df, loc, scale = floats(x, df, loc, scale)
    return x, df / 2.0, loc, 2.0 * scale


def logpdf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.logpdf`.

    Example:
        ```python
        import funcdiff as fd
        from funcdiff.scipy.stats import chi2

        fd.grad(chi2.logpdf, argnums=(0, 1))(3.0, 4.0)
        ```
    """
    if not traced(x, df, loc, scale):
        return st.chi2.logpdf(x, df, loc, scale)
    return _gamma.logpdf(*_as_gamma(x, df, loc, scale))


def pdf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.pdf`."""
    if not traced(x, df, loc, scale):
        return st.chi2.pdf(x, df, loc, scale)
    return _gamma.pdf(*_as_gamma(x, df, loc, scale))


def cdf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.cdf` (`gammainc(df/2, z/2)`)."""
    if not traced(x, df, loc, scale):
        return st.chi2.cdf(x, df, loc, scale)
    return _gamma.cdf(*_as_gamma(x, df, loc, scale))


def logcdf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.logcdf`."""
    if not traced(x, df, loc, scale):
        return st.chi2.logcdf(x, df, loc, scale)
    return _gamma.logcdf(*_as_gamma(x, df, loc, scale))


def sf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.sf`."""
    if not traced(x, df, loc, scale):
        return st.chi2.sf(x, df, loc, scale)
    return _gamma.sf(*_as_gamma(x, df, loc, scale))


def logsf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.logsf`."""
    if not traced(x, df, loc, scale):
        return st.chi2.logsf(x, df, loc, scale)
    return _gamma.logsf(*_as_gamma(x, df, loc, scale))


rvs = st.chi2.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
