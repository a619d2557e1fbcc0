"""The implementation of `funcdiff.scipy.stats.wrapcauchy`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, safe, standardize, valid, where

TWO_PI = 2 * np.pi


def _ok(c, scale):
    return fe.logical_and(fe.logical_and(c > 0, c < 1), scale > 0)


def _logpdf(x, c, loc, scale):
    z = standardize(x, loc, scale)
    inside = fe.logical_and(fe.greater_equal(z, 0.0), fe.less_equal(z, TWO_PI))
    z = safe(inside, z, 1.0)
    val = (fe.log1p(-c * c) - np.log(TWO_PI) - fe.log1p(c * c - 2.0 * c * fe.cos(z))
           - fe.log(scale))
    return valid(_ok(c, scale), where(inside, val, -np.inf))


@numpy_outside_transforms(st.wrapcauchy.logpdf, unless_traced=True)
def logpdf(x, c, loc=0, scale=1):
    """`scipy.stats.wrapcauchy.logpdf`: `log((1 - c**2) / (2 pi (1 + c**2 - 2 c cos z)))`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import wrapcauchy
        >>> float(fd.grad(wrapcauchy.logpdf, argnums=1)(0.0, 0.5))  # -2c/(1-c^2) + 2/(1-c)
        2.66666666...

        ```
    """
    return _logpdf(*floats(x, c, loc, scale))


@numpy_outside_transforms(st.wrapcauchy.pdf, unless_traced=True)
def pdf(x, c, loc=0, scale=1):
    """`scipy.stats.wrapcauchy.pdf`: `exp(logpdf)`."""
    return fe.exp(_logpdf(*floats(x, c, loc, scale)))


def _cdf(x, c, loc, scale, upper):
    z = standardize(x, loc, scale)
    cr = (1.0 + c) / (1.0 - c)
    below, above = fe.less(z, 0.0), fe.greater(z, TWO_PI)
    first = fe.less(z, np.pi)
    # SciPy's two branches, each away from tan's pole at pi
    z1 = safe(fe.logical_and(first, fe.logical_not(below)), z, 1.0)
    z2 = safe(fe.logical_and(fe.logical_not(first), fe.logical_not(above)), z, 4.0)
    low = fe.arctan(cr * fe.tan(0.5 * z1)) / np.pi  # P(Z <= z), z < pi
    high = fe.arctan(cr * fe.tan(0.5 * (TWO_PI - z2))) / np.pi  # P(Z > z), z >= pi
    if upper:
        val = where(first, 1.0 - low, high)
        val = where(below, 1.0, where(above, 0.0, val))
    else:
        val = where(first, low, 1.0 - high)
        val = where(below, 0.0, where(above, 1.0, val))
    return valid(_ok(c, scale), val)


@numpy_outside_transforms(st.wrapcauchy.cdf, unless_traced=True)
def cdf(x, c, loc=0, scale=1):
    """`scipy.stats.wrapcauchy.cdf`: `arctan(cr tan(z/2)) / pi`, `cr = (1 + c)/(1 - c)`
    (below pi; mirrored above)."""
    return _cdf(*floats(x, c, loc, scale), upper=False)


@numpy_outside_transforms(st.wrapcauchy.sf, unless_traced=True)
def sf(x, c, loc=0, scale=1):
    """`scipy.stats.wrapcauchy.sf`: `1 - cdf`, from the small side above pi."""
    return _cdf(*floats(x, c, loc, scale), upper=True)


@numpy_outside_transforms(st.wrapcauchy.ppf, unless_traced=True)
def ppf(q, c, loc=0, scale=1):
    """`scipy.stats.wrapcauchy.ppf`: `2 arctan(tan(pi q) (1 - c)/(1 + c))` (mirrored above
    `q = 1/2`)."""
    q, c, loc, scale = floats(q, c, loc, scale)
    val = (1.0 - c) / (1.0 + c)
    lower = fe.less(q, 0.5)
    ql, qh = safe(lower, q, 0.25), safe(lower, 0.75, q)
    z = where(lower, 2.0 * fe.arctan(val * fe.tan(np.pi * ql)),
              TWO_PI - 2.0 * fe.arctan(val * fe.tan(np.pi * (1.0 - qh))))
    ok = fe.logical_and(_ok(c, scale), fe.logical_and(q >= 0, q <= 1))
    return valid(ok, loc + scale * z)


rvs = st.wrapcauchy.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
