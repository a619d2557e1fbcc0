"""The implementation of `funcdiff.scipy.stats.bernoulli`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, safe, valid, where
from funcdiff.scipy import special as fsp


def _ok(p):
    return fe.logical_and(p >= 0, p <= 1)


def _logpmf(k, p, loc):
    k = fe.stop_gradient(k - loc)  # a count: not differentiated (nor loc, which shifts it)
    ok = fe.logical_or(fe.equal(k, 0.0), fe.equal(k, 1.0))
    k = safe(ok, k, 0.0)
    val = fsp.xlogy(k, p) + fsp.xlog1py(1.0 - k, -p)
    return valid(_ok(p), where(ok, val, -np.inf))


@numpy_outside_transforms(st.bernoulli.logpmf, unless_traced=True)
def logpmf(k, p, loc=0):
    """`scipy.stats.bernoulli.logpmf`: `log(p)` at 1, `log1p(-p)` at 0, `-inf` elsewhere
    (non-integer `k` included).

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import bernoulli
        >>> float(fd.grad(bernoulli.logpmf, argnums=1)(0, 0.2))  # -1 / (1 - p)
        -1.25

        ```
    """
    return _logpmf(*floats(k, p, loc))


@numpy_outside_transforms(st.bernoulli.pmf, unless_traced=True)
def pmf(k, p, loc=0):
    """`scipy.stats.bernoulli.pmf`: `p` at 1, `1 - p` at 0."""
    return fe.exp(_logpmf(*floats(k, p, loc)))


def _tail(k, p, loc, kind):
    k, p, loc = floats(k, p, loc)
    k = fe.floor(k - loc)
    below, above = fe.less(k, 0.0), fe.greater_equal(k, 1.0)
    if kind == "cdf":
        val = where(below, 0.0, where(above, 1.0, 1.0 - p))
    elif kind == "sf":
        val = where(below, 1.0, where(above, 0.0, p))
    elif kind == "logcdf":
        val = where(below, -np.inf, where(above, 0.0, fe.log1p(-p)))
    else:
        val = where(below, 0.0, where(above, -np.inf, fe.log(p)))
    return valid(_ok(p), val)


@numpy_outside_transforms(st.bernoulli.cdf, unless_traced=True)
def cdf(k, p, loc=0):
    """`scipy.stats.bernoulli.cdf`: 0 below 0, `1 - p` on `[0, 1)`, 1 above."""
    return _tail(k, p, loc, "cdf")


@numpy_outside_transforms(st.bernoulli.logcdf, unless_traced=True)
def logcdf(k, p, loc=0):
    """`scipy.stats.bernoulli.logcdf`: `log1p(-p)` on `[0, 1)`."""
    return _tail(k, p, loc, "logcdf")


@numpy_outside_transforms(st.bernoulli.sf, unless_traced=True)
def sf(k, p, loc=0):
    """`scipy.stats.bernoulli.sf`: 1 below 0, `p` on `[0, 1)`, 0 above."""
    return _tail(k, p, loc, "sf")


@numpy_outside_transforms(st.bernoulli.logsf, unless_traced=True)
def logsf(k, p, loc=0):
    """`scipy.stats.bernoulli.logsf`: `log(p)` on `[0, 1)`."""
    return _tail(k, p, loc, "logsf")


def _quantile(q, p, loc, upper):
    q, p, loc = floats(q, p, loc)
    if upper:  # the smallest k with sf(k) <= q
        val = where(fe.greater_equal(q, p), 0.0, 1.0)
        val = where(fe.equal(q, 1.0), -1.0, where(fe.equal(q, 0.0), 1.0, val))
    else:  # the smallest k with cdf(k) >= q
        val = where(fe.less_equal(q, 1.0 - p), 0.0, 1.0)
        val = where(fe.equal(q, 0.0), -1.0, where(fe.equal(q, 1.0), 1.0, val))
    ok = fe.logical_and(_ok(p), fe.logical_and(q >= 0, q <= 1))
    return valid(ok, fe.stop_gradient(val) + loc)


@numpy_outside_transforms(st.bernoulli.ppf, unless_traced=True)
def ppf(q, p, loc=0):
    """`scipy.stats.bernoulli.ppf`: -1 at `q = 0`, 0 up to `q = 1 - p`, then 1 (plus `loc`).
    Piecewise constant in `q` and `p`: its derivative in them is 0 (1 in `loc`)."""
    return _quantile(q, p, loc, upper=False)


@numpy_outside_transforms(st.bernoulli.isf, unless_traced=True)
def isf(q, p, loc=0):
    """`scipy.stats.bernoulli.isf`: `ppf(1 - q)`; its derivative in `q` and `p` is 0."""
    return _quantile(q, p, loc, upper=True)


rvs = st.bernoulli.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
