"""The implementation of `funcdiff.scipy.stats.geom`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, log1mexp, safe, valid, where
from funcdiff.scipy import special as fsp


def _ok(p):
    return fe.logical_and(p > 0, p <= 1)


def _logpmf(k, p, loc):
    k = fe.stop_gradient(k - loc)  # a count: not differentiated (nor loc, which shifts it)
    ok = fe.logical_and(fe.greater_equal(k, 1.0), fe.equal(k, fe.floor(k)))
    k = safe(ok, k, 1.0)
    val = fsp.xlog1py(k - 1.0, -p) + fe.log(p)
    return valid(_ok(p), where(ok, val, -np.inf))


@numpy_outside_transforms(st.geom.logpmf, unless_traced=True)
def logpmf(k, p, loc=0):
    """`scipy.stats.geom.logpmf`: `xlog1py(k - 1, -p) + log(p)` for integers `k >= 1`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import geom
        >>> float(fd.grad(geom.logpmf, argnums=1)(3, 0.5))  # 1/p - (k - 1)/(1 - p)
        -2.0

        ```
    """
    return _logpmf(*floats(k, p, loc))


@numpy_outside_transforms(st.geom.pmf, unless_traced=True)
def pmf(k, p, loc=0):
    """`scipy.stats.geom.pmf`: `(1 - p)**(k - 1) p`."""
    return fe.exp(_logpmf(*floats(k, p, loc)))


def _tail(k, p, loc, kind):
    k, p, loc = floats(k, p, loc)
    k = fe.floor(k - loc)
    inside = fe.greater_equal(k, 1.0)
    k = safe(inside, k, 1.0)
    logsf_ = k * fe.log1p(-p)  # log P(K > k)
    if kind == "cdf":
        val = where(inside, -fe.expm1(logsf_), 0.0)
    elif kind == "sf":
        val = where(inside, fe.exp(logsf_), 1.0)
    elif kind == "logsf":
        val = where(inside, logsf_, 0.0)
    else:
        val = where(inside, log1mexp(-logsf_), -np.inf)
    return valid(_ok(p), val)


@numpy_outside_transforms(st.geom.cdf, unless_traced=True)
def cdf(k, p, loc=0):
    """`scipy.stats.geom.cdf`: `-expm1(k log1p(-p))` (`k` floored)."""
    return _tail(k, p, loc, "cdf")


@numpy_outside_transforms(st.geom.logcdf, unless_traced=True)
def logcdf(k, p, loc=0):
    """`scipy.stats.geom.logcdf`: `log(1 - (1 - p)**k)`, accurate for small `p`."""
    return _tail(k, p, loc, "logcdf")


@numpy_outside_transforms(st.geom.sf, unless_traced=True)
def sf(k, p, loc=0):
    """`scipy.stats.geom.sf`: `(1 - p)**k`."""
    return _tail(k, p, loc, "sf")


@numpy_outside_transforms(st.geom.logsf, unless_traced=True)
def logsf(k, p, loc=0):
    """`scipy.stats.geom.logsf`: `k log1p(-p)`."""
    return _tail(k, p, loc, "logsf")


@numpy_outside_transforms(st.geom.ppf, unless_traced=True)
def ppf(q, p, loc=0):
    """`scipy.stats.geom.ppf`: `ceil(log1p(-q) / log1p(-p))` (corrected by one where
    rounding requires, as SciPy does). Integer-valued, piecewise constant: its derivative in
    `q` and `p` is 0 (1 in `loc`)."""
    q, p, loc = floats(q, p, loc)
    qs, ps = fe.stop_gradient(q), fe.stop_gradient(p)
    inner = fe.logical_and(fe.greater(qs, 0.0), fe.less(qs, 1.0))
    qi = safe(inner, qs, 0.5)
    pi_ = safe(fe.less(ps, 1.0), ps, 0.5)
    vals = fe.ceil(fe.log1p(-qi) / fe.log1p(-pi_))
    prev = -fe.expm1(fe.maximum(vals - 1.0, 0.0) * fe.log1p(-pi_))  # cdf(vals - 1)
    vals = where(fe.logical_and(fe.greater_equal(prev, qi), fe.greater(vals, 0.0)),
                 vals - 1.0, vals)
    vals = where(fe.equal(ps, 1.0), 0.0, vals)  # (SciPy's formula gives 0 at p = 1)
    vals = where(fe.equal(qs, 0.0), 0.0, where(fe.equal(qs, 1.0), np.inf, vals))
    ok = fe.logical_and(_ok(p), fe.logical_and(q >= 0, q <= 1))
    return valid(ok, vals + loc)


rvs = st.geom.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
