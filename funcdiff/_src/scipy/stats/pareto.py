"""The implementation of `funcdiff.scipy.stats.pareto`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import (
    floats,
    log1mexp,
    safe,
    standardize,
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


@numpy_outside_transforms(st.pareto.logpdf, unless_traced=True)
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
    return _logpdf(*floats(x, b, loc, scale))


@numpy_outside_transforms(st.pareto.pdf, unless_traced=True)
def pdf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.pdf`: `exp(logpdf)`."""
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


@numpy_outside_transforms(st.pareto.cdf, unless_traced=True)
def cdf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.cdf`: `1 - z**-b = -expm1(-b log z)`."""
    return _tail(x, b, loc, scale, "cdf")


@numpy_outside_transforms(st.pareto.logcdf, unless_traced=True)
def logcdf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.logcdf`: `log(1 - exp(-b log z))`, accurate near the support's end."""
    return _tail(x, b, loc, scale, "logcdf")


@numpy_outside_transforms(st.pareto.sf, unless_traced=True)
def sf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.sf`: `z**-b`."""
    return _tail(x, b, loc, scale, "sf")


@numpy_outside_transforms(st.pareto.logsf, unless_traced=True)
def logsf(x, b, loc=0, scale=1):
    """`scipy.stats.pareto.logsf`: `-b log z`."""
    return _tail(x, b, loc, scale, "logsf")


@numpy_outside_transforms(st.pareto.ppf, unless_traced=True)
def ppf(q, b, loc=0, scale=1):
    """`scipy.stats.pareto.ppf`: `loc + scale * (1 - q)**(-1/b)`."""
    q, b, loc, scale = floats(q, b, loc, scale)
    return valid(_ok(b, scale), loc + scale * fe.exp(-fe.log1p(-q) / b))


@numpy_outside_transforms(st.pareto.isf, unless_traced=True)
def isf(q, b, loc=0, scale=1):
    """`scipy.stats.pareto.isf`: `loc + scale * q**(-1/b)`."""
    q, b, loc, scale = floats(q, b, loc, scale)
    return valid(_ok(b, scale), loc + scale * fe.exp(-fe.log(q) / b))


rvs = st.pareto.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
