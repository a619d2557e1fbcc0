"""The implementation of `funcdiff.scipy.stats.nbinom`.

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
    return fe.logical_and(n > 0, fe.logical_and(p > 0, p <= 1))


def _logpmf(k, n, p, loc):
    k = fe.stop_gradient(k - loc)  # a count: not differentiated (nor loc, which shifts it)
    ok = fe.logical_and(fe.greater_equal(k, 0.0), fe.equal(k, fe.floor(k)))
    k = safe(ok, k, 0.0)
    coeff = fsp.gammaln(n + k) - fsp.gammaln(k + 1.0) - fsp.gammaln(n)
    val = coeff + n * fe.log(p) + fsp.xlog1py(k, -p)
    return valid(_ok(n, p), where(ok, val, -np.inf))


@numpy_outside_transforms(st.nbinom.logpmf, unless_traced=True)
def logpmf(k, n, p, loc=0):
    """`scipy.stats.nbinom.logpmf`: `gammaln(n + k) - gammaln(k + 1) - gammaln(n) + n log(p)
    + xlog1py(k, -p)`, differentiable in `n` (a real number of successes) and `p`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import nbinom
        >>> float(fd.grad(nbinom.logpmf, argnums=2)(3, 2.0, 0.5))  # n/p - k/(1 - p)
        -2.0

        ```
    """
    return _logpmf(*floats(k, n, p, loc))


@numpy_outside_transforms(st.nbinom.pmf, unless_traced=True)
def pmf(k, n, p, loc=0):
    """`scipy.stats.nbinom.pmf`: `exp(logpmf)`."""
    return fe.exp(_logpmf(*floats(k, n, p, loc)))


def _cdf(k, n, p, loc, upper):
    k = fe.floor(k - loc)
    inside = fe.greater_equal(k, 0.0)
    k = safe(inside, k, 0.0)
    if upper:  # P(K > k) = I_{1-p}(k + 1, n)
        val = where(inside, fsp.betainc(k + 1.0, n, 1.0 - p), 1.0)
    else:  # P(K <= k) = I_p(n, k + 1)
        val = where(inside, fsp.betainc(n, k + 1.0, p), 0.0)
    return valid(_ok(n, p), val)


@numpy_outside_transforms(st.nbinom.cdf, unless_traced=True)
def cdf(k, n, p, loc=0):
    """`scipy.stats.nbinom.cdf`: `betainc(n, k + 1, p)` (`k` floored)."""
    return _cdf(*floats(k, n, p, loc), upper=False)


@numpy_outside_transforms(st.nbinom.logcdf, unless_traced=True)
def logcdf(k, n, p, loc=0):
    """`scipy.stats.nbinom.logcdf`: the log of the smaller of cdf and sf."""
    args = floats(k, n, p, loc)
    return log_prob(_cdf(*args, upper=False), _cdf(*args, upper=True))


@numpy_outside_transforms(st.nbinom.sf, unless_traced=True)
def sf(k, n, p, loc=0):
    """`scipy.stats.nbinom.sf`: `betainc(k + 1, n, 1 - p)`."""
    return _cdf(*floats(k, n, p, loc), upper=True)


@numpy_outside_transforms(st.nbinom.logsf, unless_traced=True)
def logsf(k, n, p, loc=0):
    """`scipy.stats.nbinom.logsf`."""
    args = floats(k, n, p, loc)
    return log_prob(_cdf(*args, upper=True), _cdf(*args, upper=False))


rvs = st.nbinom.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
