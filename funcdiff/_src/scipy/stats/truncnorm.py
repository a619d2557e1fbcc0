"""The implementation of `funcdiff.scipy.stats.truncnorm`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import (
    LOG_SQRT_2PI,
    floats,
    log1mexp,
    safe,
    standardize,
    valid,
    where,
)
from funcdiff.scipy import special as fsp

SQRT_HALF = float(np.sqrt(0.5))


def _log_ndtr(x):
    """log_ndtr, exact -inf/0 at -inf/inf with a zero (not NaN) derivative there."""
    fin = fe.isfinite(x)
    val = fsp.log_ndtr(safe(fin, x, 0.0))
    return where(fin, val, where(fe.greater(x, 0), 0.0, -np.inf))


def _log_gauss_mass(a, b):
    """log(Phi(b) - Phi(a)) for a < b, accurate in both tails and for a narrow interval:
    from log_ndtr in the lower tail (b <= 0), mirrored in the upper (a >= 0), from erf when
    the interval holds 0 (no cancellation: the two erf terms have opposite signs)."""
    left = fe.less(b, 0.0)
    right = fe.greater(a, 0.0)
    center = fe.logical_not(fe.logical_or(left, right))
    # lower tail: log Phi(hi) + log(1 - Phi(lo)/Phi(hi)), with (lo, hi) = (a, b) or (-b, -a)
    lo = where(left, safe(left, a, -2.0), safe(right, -b, -2.0))
    hi = where(left, safe(left, b, -1.0), safe(right, -a, -1.0))
    lhi, llo = _log_ndtr(hi), _log_ndtr(lo)
    gap = lhi - llo
    pos = fe.greater(gap, 0.0)
    tail = lhi + where(pos, log1mexp(safe(pos, gap, 1.0)), -np.inf)
    ac, bc = safe(center, a, -1.0), safe(center, b, 1.0)
    mid = fe.log(0.5 * (fsp.erf(bc * SQRT_HALF) - fsp.erf(ac * SQRT_HALF)))
    return where(center, mid, tail)


def _prep(x, a, b, loc, scale):
    x, a, b, loc, scale = floats(x, a, b, loc, scale)
    z = standardize(x, loc, scale)
    ok = fe.logical_and(fe.less(a, b), scale > 0)
    a, b = safe(ok, a, -1.0), safe(ok, b, 1.0)
    return z, a, b, scale, ok, _log_gauss_mass(a, b)


def _logpdf(x, a, b, loc, scale):
    z, a, b, scale, ok, log_mass = _prep(x, a, b, loc, scale)
    inside = fe.logical_and(fe.greater_equal(z, a), fe.less_equal(z, b))
    z = safe(inside, z, 0.0)
    val = -0.5 * (z * z) - LOG_SQRT_2PI - log_mass - fe.log(scale)
    return valid(ok, where(inside, val, -np.inf))


@numpy_outside_transforms(st.truncnorm.logpdf, unless_traced=True)
def logpdf(x, a, b, loc=0, scale=1):
    """`scipy.stats.truncnorm.logpdf`: `-z**2/2 - log(sqrt(2 pi)) - log(Phi(b) - Phi(a))
    - log(scale)` on `[a, b]` (`a`, `b` standardized, as in SciPy).

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import truncnorm
        >>> float(truncnorm.logpdf(41.0, 40.0, 45.0))  # far in the tail: finite
        -36.81049651...
        >>> float(fd.grad(truncnorm.logpdf, argnums=1)(41.0, 40.0, 45.0))  # about a
        40.02496884...

        ```
    """
    return _logpdf(x, a, b, loc, scale)


@numpy_outside_transforms(st.truncnorm.pdf, unless_traced=True)
def pdf(x, a, b, loc=0, scale=1):
    """`scipy.stats.truncnorm.pdf`: `exp(logpdf)`."""
    return fe.exp(_logpdf(x, a, b, loc, scale))


def _log_tail(x, a, b, loc, scale, upper):
    """log P(Z <= z) (log P(Z > z) with `upper`) for the truncated standard normal: the
    smaller probability from its own mass, the larger as `log1p(-smaller)` (so a logsf near 0
    keeps its digits)."""
    z, a, b, scale, ok, log_mass = _prep(x, a, b, loc, scale)
    below, above = fe.less_equal(z, a), fe.greater_equal(z, b)
    inside = fe.logical_not(fe.logical_or(below, above))
    fa, fb = fe.isfinite(a), fe.isfinite(b)
    a0, b0 = safe(fa, a, 0.0), safe(fb, b, 0.0)  # (a point inside [a, b] for the other lanes)
    zs = safe(inside, z, where(fa, where(fb, 0.5 * (a0 + b0), a0 + 1.0), where(fb, b0 - 1.0, 0.0)))
    lower = fe.minimum(_log_gauss_mass(a, zs) - log_mass, 0.0)
    higher = fe.minimum(_log_gauss_mass(zs, b) - log_mass, 0.0)
    if upper:
        lower, higher = higher, lower
    small = fe.less(lower, np.log(0.5))
    val = where(small, lower, log1mexp(-safe(small, np.log(0.75), higher)))
    if upper:
        val = where(below, 0.0, where(above, -np.inf, val))
    else:
        val = where(below, -np.inf, where(above, 0.0, val))
    return valid(ok, val)


@numpy_outside_transforms(st.truncnorm.logcdf, unless_traced=True)
def logcdf(x, a, b, loc=0, scale=1):
    """`scipy.stats.truncnorm.logcdf`: `log(Phi(z) - Phi(a)) - log(Phi(b) - Phi(a))`, each
    mass from log_ndtr/erf on its accurate side (finite far in the tails)."""
    return _log_tail(x, a, b, loc, scale, upper=False)


@numpy_outside_transforms(st.truncnorm.cdf, unless_traced=True)
def cdf(x, a, b, loc=0, scale=1):
    """`scipy.stats.truncnorm.cdf`: `exp(logcdf)`."""
    return fe.exp(_log_tail(x, a, b, loc, scale, upper=False))


@numpy_outside_transforms(st.truncnorm.logsf, unless_traced=True)
def logsf(x, a, b, loc=0, scale=1):
    """`scipy.stats.truncnorm.logsf`: `log(Phi(b) - Phi(z)) - log(Phi(b) - Phi(a))`."""
    return _log_tail(x, a, b, loc, scale, upper=True)


@numpy_outside_transforms(st.truncnorm.sf, unless_traced=True)
def sf(x, a, b, loc=0, scale=1):
    """`scipy.stats.truncnorm.sf`: `exp(logsf)`."""
    return fe.exp(_log_tail(x, a, b, loc, scale, upper=True))


rvs = st.truncnorm.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
