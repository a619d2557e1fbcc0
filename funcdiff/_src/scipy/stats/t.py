"""The implementation of `funcdiff.scipy.stats.t`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, standardize, valid, where
from funcdiff.scipy import special as fsp


def _ok(df, scale):
    return fe.logical_and(df > 0, scale > 0)


@numpy_outside_transforms(st.t.logpdf, unless_traced=True)
def logpdf(x, df, loc=0, scale=1):
    """`scipy.stats.t.logpdf`.

    `gammaln((df+1)/2) - gammaln(df/2) - log(pi df)/2 - (df+1)/2 log1p(z**2/df) - log(scale)`.

    Example:
        ```python
        import funcdiff as fd
        from funcdiff.scipy.stats import t

        fd.grad(t.logpdf, argnums=1)(0.5, 3.0)  # derivative in the degrees of freedom
        ```
    """
    x, df, loc, scale = floats(x, df, loc, scale)
    z = standardize(x, loc, scale)
    logc = fsp.gammaln((df + 1.0) / 2.0) - fsp.gammaln(df / 2.0) - 0.5 * fe.log(df * np.pi)
    return valid(_ok(df, scale), logc - (df + 1.0) / 2.0 * fe.log1p(z * z / df) - fe.log(scale))


@numpy_outside_transforms(st.t.pdf, unless_traced=True)
def pdf(x, df, loc=0, scale=1):
    """`scipy.stats.t.pdf`."""
    return fe.exp(logpdf(x, df, loc, scale))


@numpy_outside_transforms(st.t.cdf, unless_traced=True)
def cdf(x, df, loc=0, scale=1):
    """`scipy.stats.t.cdf` (`stdtr(df, z)`)."""
    x, df, loc, scale = floats(x, df, loc, scale)
    return valid(_ok(df, scale), fsp.stdtr(df, standardize(x, loc, scale)))


def _logcdf(df, z):
    lower = fe.less(z, 0)
    return where(lower, fe.log(fsp.stdtr(df, z)), fe.log1p(-fsp.stdtr(df, -z)))


@numpy_outside_transforms(st.t.logcdf, unless_traced=True)
def logcdf(x, df, loc=0, scale=1):
    """`scipy.stats.t.logcdf`."""
    x, df, loc, scale = floats(x, df, loc, scale)
    return valid(_ok(df, scale), _logcdf(df, standardize(x, loc, scale)))


@numpy_outside_transforms(st.t.sf, unless_traced=True)
def sf(x, df, loc=0, scale=1):
    """`scipy.stats.t.sf` (`stdtr(df, -z)`)."""
    x, df, loc, scale = floats(x, df, loc, scale)
    return valid(_ok(df, scale), fsp.stdtr(df, -standardize(x, loc, scale)))


@numpy_outside_transforms(st.t.logsf, unless_traced=True)
def logsf(x, df, loc=0, scale=1):
    """`scipy.stats.t.logsf`."""
    x, df, loc, scale = floats(x, df, loc, scale)
    return valid(_ok(df, scale), _logcdf(df, -standardize(x, loc, scale)))


rvs = st.t.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
