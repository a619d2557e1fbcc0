"""The implementation of `funcdiff.scipy.stats.chi2`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import scipy.stats as st

from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats import gamma as _gamma
from funcdiff._src.scipy.stats.util import floats


def _as_gamma(x, df, loc, scale):
    x, df, loc, scale = floats(x, df, loc, scale)
    return x, df / 2.0, loc, 2.0 * scale


@numpy_outside_transforms(st.chi2.logpdf, unless_traced=True)
def logpdf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.logpdf`.

    Example:
        ```python
        import funcdiff as fd
        from funcdiff.scipy.stats import chi2

        fd.grad(chi2.logpdf, argnums=(0, 1))(3.0, 4.0)
        ```
    """
    return _gamma.logpdf(*_as_gamma(x, df, loc, scale))


@numpy_outside_transforms(st.chi2.pdf, unless_traced=True)
def pdf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.pdf`."""
    return _gamma.pdf(*_as_gamma(x, df, loc, scale))


@numpy_outside_transforms(st.chi2.cdf, unless_traced=True)
def cdf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.cdf` (`gammainc(df/2, z/2)`)."""
    return _gamma.cdf(*_as_gamma(x, df, loc, scale))


@numpy_outside_transforms(st.chi2.logcdf, unless_traced=True)
def logcdf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.logcdf`."""
    return _gamma.logcdf(*_as_gamma(x, df, loc, scale))


@numpy_outside_transforms(st.chi2.sf, unless_traced=True)
def sf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.sf`."""
    return _gamma.sf(*_as_gamma(x, df, loc, scale))


@numpy_outside_transforms(st.chi2.logsf, unless_traced=True)
def logsf(x, df, loc=0, scale=1):
    """`scipy.stats.chi2.logsf`."""
    return _gamma.logsf(*_as_gamma(x, df, loc, scale))


rvs = st.chi2.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
