"""The implementation of `funcdiff.scipy.stats.betabinom`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, safe, valid, where
from funcdiff.scipy import special as fsp


def _ok(n, a, b):
    n_ok = fe.logical_and(fe.greater_equal(n, 0.0), fe.equal(n, fe.floor(n)))
    return fe.logical_and(n_ok, fe.logical_and(a > 0, b > 0))


def _logpmf(k, n, a, b, loc):
    k = fe.stop_gradient(k - loc)  # a count: not differentiated (nor loc, which shifts it)
    ok = fe.logical_and(fe.logical_and(fe.greater_equal(k, 0.0), fe.less_equal(k, n)),
                        fe.equal(k, fe.floor(k)))
    k = safe(ok, k, 0.0)
    n = safe(ok, n, 1.0)
    comb = -fe.log1p(n) - fsp.betaln(n - k + 1.0, k + 1.0)
    val = comb + fsp.betaln(k + a, n - k + b) - fsp.betaln(a, b)
    return where(ok, val, -np.inf)


@numpy_outside_transforms(st.betabinom.logpmf, unless_traced=True)
def logpmf(k, n, a, b, loc=0):
    """`scipy.stats.betabinom.logpmf`: `-log(n + 1) - betaln(n - k + 1, k + 1)
    + betaln(k + a, n - k + b) - betaln(a, b)`, differentiable in `a` and `b`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import betabinom
        >>> float(fd.grad(betabinom.logpmf, argnums=2)(0, 1, 1.0, 1.0))  # pmf(0) = b/(a+b)
        -0.5

        ```
    """
    k, n, a, b, loc = floats(k, n, a, b, loc)
    return valid(_ok(n, a, b), _logpmf(k, n, a, b, loc))


@numpy_outside_transforms(st.betabinom.pmf, unless_traced=True)
def pmf(k, n, a, b, loc=0):
    """`scipy.stats.betabinom.pmf`: `exp(logpmf)`."""
    k, n, a, b, loc = floats(k, n, a, b, loc)
    return valid(_ok(n, a, b), fe.exp(_logpmf(k, n, a, b, loc)))


rvs = st.betabinom.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
