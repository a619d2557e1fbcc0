"""Helpers shared by the distribution modules of `funcdiff.scipy.stats`.

Every public function follows one pattern: with no tracer among its
arguments it returns SciPy's own result (`scipy.stats.<dist>.<method>`, through
`@numpy_outside_transforms(st.<dist>.<method>, unless_traced=True)` as the NumPy API
does); otherwise it promotes the arguments to float64 (SciPy's stats compute in
float64), standardizes `z = (x - loc) / scale` and composes the density from
funcdiff operations and `funcdiff.scipy.special`. Values outside the support
(and invalid parameters, which give NaN as in SciPy) are selected with
`where` from branches that are evaluated only at harmless points, so they
never produce NaN derivatives.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.core import Tracer, concrete_value, dtype_of, traced  # noqa: F401 (traced: for the modules)
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.creation import asarray

LOG_SQRT_2PI = float(np.log(np.sqrt(2 * np.pi)))


def floats(*args):
    """The arguments as float64 (or wider) arrays or tracers."""
    out = []
    for a in args:
        if not isinstance(a, (Tracer, np.ndarray, np.generic, float, int)):
            a = asarray(a)
        out.append(fe.astype(a, np.result_type(dtype_of(a), np.float64)))
    return out


def where(c, x, y):
    return fe.where(c, x, y)


def safe(mask, x, fill):
    """`x` where `mask`, else the constant `fill` (a point where every branch is finite)."""
    return fe.where(mask, x, fill)


def valid(cond, value):
    """`value` where the parameters are valid (`cond`), NaN elsewhere (SciPy's convention)."""
    return fe.where(cond, value, np.nan)


def standardize(x, loc, scale):
    return (x - loc) / scale


def log1mexp(t):
    """log(1 - exp(-t)) for t >= 0, accurate for small and large t."""
    small = fe.less(t, np.log(2.0))
    ts = safe(small, t, 1.0)
    tl = safe(small, 1.0, t)
    return where(small, fe.log(-fe.expm1(-ts)), fe.log1p(-fe.exp(-tl)))


def log_prob(p, q):
    """log(p) for a probability `p` with complement `q = 1 - p`, from the smaller of the two."""
    small = fe.less_equal(p, 0.5)
    pos = fe.greater(p, 0)
    log_p = where(pos, fe.log(safe(fe.logical_and(small, pos), p, 0.5)), -np.inf)
    return where(small, log_p, fe.log1p(-safe(small, 0.5, q)))


def concrete(*args):
    """The NumPy values of the arguments, or None if some are abstract (vmap, jit)."""
    try:
        return [concrete_value(a) for a in args]
    except ConcretizationError:
        return None
