"""The implementation of `funcdiff.scipy.stats.multinomial`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.core import shape_of
from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy import reductions as fr
from funcdiff._src.numpy import shape as fs
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, valid, where
from funcdiff.scipy import special as fsp


def _logpmf(x, n, p):
    x, n, p = floats(x, n, p)
    if len(shape_of(x)) == 0:
        raise ValueError("x must be an array.")
    if len(shape_of(p)) == 0:
        p = fs.reshape(p, (1,))
    k = shape_of(p)[-1]
    if int(np.prod(shape_of(x))) != 0 and shape_of(x)[-1] != k:
        raise ValueError(f"Size of each quantile should be size of p: received "
                         f"{shape_of(x)[-1]}, but expected {k}.")
    # SciPy replaces the last probability by 1 - (the sum of the others)
    head = p[..., :-1]
    p = fs.concatenate([head, 1.0 - fr.sum(head, axis=-1, keepdims=True)], axis=-1)
    bad_p = fe.logical_or(fr.any(fe.less(p, 0.0), axis=-1), fr.any(fe.greater(p, 1.0), axis=-1))
    n = fe.trunc(n)  # SciPy casts n and x to integers
    xi = fe.trunc(x)
    bad_x = fe.logical_or(fr.any(fe.not_equal(xi, x), axis=-1), fr.any(fe.less(xi, 0.0), axis=-1))
    bad_x = fe.logical_or(bad_x, fe.not_equal(fr.sum(xi, axis=-1), n))
    val = fsp.gammaln(n + 1.0) + fr.sum(fsp.xlogy(xi, p) - fsp.gammaln(xi + 1.0), axis=-1)
    val = where(bad_x, -np.inf, val)
    return valid(fe.logical_not(fe.logical_or(bad_p, fe.less(n, 0.0))), val)


@numpy_outside_transforms(st.multinomial.logpmf, unless_traced=True)
def logpmf(x, n, p):
    """`scipy.stats.multinomial.logpmf`: `gammaln(n + 1) + sum(xlogy(x, p) - gammaln(x + 1))`
    over the last axis; differentiable in `p` (the counts `x` and `n` are integers: truncated,
    as SciPy casts them, with derivative 0).

    As in SciPy, the last component of `p` is taken as `1 - sum(p[..., :-1])`, so the
    derivative in `p[..., -1]` is 0 and the others carry the constraint.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.stats import multinomial
        >>> x, p = np.array([1, 2, 0]), np.array([0.2, 0.3, 0.5])
        >>> g = fd.grad(multinomial.logpmf, argnums=2)(x, 3, p)
        >>> [float(v) for v in g]  # x_i/p_i - x_last/p_last for i < last, 0 for the last
        [5.0, 6.66666666..., 0.0]

        ```
    """
    return _logpmf(x, n, p)


@numpy_outside_transforms(st.multinomial.pmf, unless_traced=True)
def pmf(x, n, p):
    """`scipy.stats.multinomial.pmf`: `exp(logpmf)`."""
    return fe.exp(_logpmf(x, n, p))


rvs = st.multinomial.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
