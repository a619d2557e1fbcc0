"""The implementation of `funcdiff.scipy.stats.pareto`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.scipy.stats.util import (
    floats,
    log1mexp,
    safe,
    standardize,
    traced,
    valid,
    where,
)


def _parts(x, b, loc, scale):
    """(z >= 1, b * log(z) clamped to 0 outside the support)."""
    z = standardize(x, loc, scale)
    inside = fe.greater_equal(z, 1.0)
    return inside, b * fe.log(safe(inside, z, 1.0))


def _ok(b, scale):
    return fe.logical_and(b > 0, scale > 0)


def _logpdf(x, b, loc, scale):
    inside, blogz = _parts(x, b, loc, scale)
    val = fe.log(b) - blogz - blogz / b - fe.log(scale)
    return valid(_ok(b, scale), where(inside, val, -np.inf))


def logpdf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.logpdf`: `log(b) - (b + 1) log(z) - log(scale)` for `z >= 1`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import pareto
        >>> float(fd.grad(pareto.logpdf, argnums=1)(2.0, 3.0))  # 1/b - log(2)
        -0.35981384...

        ```
    """
    if not traced(x, b, loc, scale):
        return st.pareto.logpdf(x, b, loc, scale)
    return _logpdf(*floats(x, b, loc, scale))


def pdf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.pdf`: `exp(logpdf)`."""
    if not traced(x, b, loc, scale):
        return st.pareto.pdf(x, b, loc, scale)
    return fe.exp(_logpdf(*floats(x, b, loc, scale)))


def _tail(x, b, loc, scale, kind):
    x, b, loc, scale = floats(x, b, loc, scale)
    _, blogz = _parts(x, b, loc, scale)  # 0 below the support: cdf 0, sf 1
    if kind == "cdf":
        val = -fe.expm1(-blogz)
    elif kind == "sf":
        val = fe.exp(-blogz)
    elif kind == "logsf":
        val = -blogz
    else:
        pos = fe.greater(blogz, 0.0)
        val = where(pos, log1mexp(safe(pos, blogz, 1.0)), -np.inf)
    return valid(_ok(b, scale), val)


def cdf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.cdf`: `1 - z**-b = -expm1(-b log z)`."""
    if not traced(x, b, loc, scale):
        return st.pareto.cdf(x, b, loc, scale)
    return _tail(x, b, loc, scale, "cdf")


def logcdf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.logcdf`: `log(1 - exp(-b log z))`, accurate near the support's end."""
    if not traced(x, b, loc, scale):
        return st.pareto.logcdf(x, b, loc, scale)
    return _tail(x, b, loc, scale, "logcdf")


def sf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.sf`: `z**-b`."""
    if not traced(x, b, loc, scale):
        return st.pareto.sf(x, b, loc, scale)
    return _tail(x, b, loc, scale, "sf")


def logsf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.logsf`: `-b log z`."""
    if not traced(x, b, loc, scale):
        return st.pareto.logsf(x, b, loc, scale)
    return _tail(x, b, loc, scale, "logsf")


def ppf(q, b, loc=0, scale=1):
    """`scipy.stats.pareto.ppf`: `loc + scale * (1 - q)**(-1/b)`."""
    if not traced(q, b, loc, scale):
        return st.pareto.ppf(q, b, loc, scale)
    q, b, loc, scale = floats(q, b, loc, scale)
    return valid(_ok(b, scale), loc + scale * fe.exp(-fe.log1p(-q) / b))


def isf(q, b, loc=0, scale=1):
    """`scipy.stats.pareto.isf`: `loc + scale * q**(-1/b)`."""
    if not traced(q, b, loc, scale):
        return st.pareto.isf(q, b, loc, scale)
    q, b, loc, scale = floats(q, b, loc, scale)
    return valid(_ok(b, scale), loc + scale * fe.exp(-fe.log(q) / b))


rvs = st.pareto.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
