"""The implementation of `funcdiff.scipy.stats.binom`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, log_prob, safe, valid, where
from funcdiff.scipy import special as fsp


def _ok(n, p):
    n_ok = fe.logical_and(fe.greater_equal(n, 0), fe.equal(n, fe.floor(n)))
    return fe.logical_and(n_ok, fe.logical_and(fe.greater_equal(p, 0), fe.less_equal(p, 1)))


def _logpmf(k, n, p, loc):
    k = k - loc
    ok = fe.logical_and(fe.logical_and(fe.greater_equal(k, 0), fe.less_equal(k, n)),
                        fe.equal(k, fe.floor(k)))
    k = safe(ok, k, 0.0)
    comb = fsp.gammaln(n + 1.0) - fsp.gammaln(k + 1.0) - fsp.gammaln(n - k + 1.0)
    val = comb + fsp.xlogy(k, p) + fsp.xlog1py(n - k, -p)
    return valid(_ok(n, p), where(ok, val, -np.inf))


@numpy_outside_transforms(st.binom.logpmf, unless_traced=True)
def logpmf(k, n, p, loc=0):
    """`scipy.stats.binom.logpmf`: `log C(n, k) + xlogy(k, p) + xlog1py(n - k, -p)`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import binom
        >>> float(fd.grad(binom.logpmf, argnums=2)(3, 10, 0.4))  # 3/0.4 - 7/0.6
        -4.16666666...

        ```
    """
    return _logpmf(*floats(k, n, p, loc))


@numpy_outside_transforms(st.binom.pmf, unless_traced=True)
def pmf(k, n, p, loc=0):
    """`scipy.stats.binom.pmf`."""
    return fe.exp(_logpmf(*floats(k, n, p, loc)))


def _cdf(k, n, p, loc, upper):
    k = fe.floor(k - loc)
    below, above = fe.less(k, 0), fe.greater_equal(k, n)
    mid = fe.logical_not(fe.logical_or(below, above))
    ks, ns = safe(mid, k, 0.0), safe(mid, n, 1.0)
    if upper:
        val = where(below, 1.0, where(above, 0.0, fsp.betainc(ks + 1.0, ns - ks, p)))
    else:
        val = where(below, 0.0, where(above, 1.0, fsp.betainc(ns - ks, ks + 1.0, 1.0 - p)))
    return valid(_ok(n, p), val)


@numpy_outside_transforms(st.binom.cdf, unless_traced=True)
def cdf(k, n, p, loc=0):
    """`scipy.stats.binom.cdf`."""
    return _cdf(*floats(k, n, p, loc), upper=False)


@numpy_outside_transforms(st.binom.logcdf, unless_traced=True)
def logcdf(k, n, p, loc=0):
    """`scipy.stats.binom.logcdf`."""
    args = floats(k, n, p, loc)
    return log_prob(_cdf(*args, upper=False), _cdf(*args, upper=True))


@numpy_outside_transforms(st.binom.sf, unless_traced=True)
def sf(k, n, p, loc=0):
    """`scipy.stats.binom.sf`."""
    return _cdf(*floats(k, n, p, loc), upper=True)


@numpy_outside_transforms(st.binom.logsf, unless_traced=True)
def logsf(k, n, p, loc=0):
    """`scipy.stats.binom.logsf`."""
    args = floats(k, n, p, loc)
    return log_prob(_cdf(*args, upper=True), _cdf(*args, upper=False))


rvs = st.binom.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
