"""The implementation of `funcdiff.scipy.stats.dirichlet`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import scipy.stats as st

from funcdiff._src.core import shape_of
from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy import reductions as fr
from funcdiff._src.numpy import shape as fs
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import concrete, floats
from funcdiff.scipy import special as fsp


def _logpdf(x, alpha):
    x, alpha = floats(x, alpha)
    values = concrete(x, alpha)
    if values is not None:
        st.dirichlet.logpdf(*values)  # SciPy's argument errors, if any
    if len(shape_of(alpha)) != 1:
        raise ValueError("Parameter vector 'a' must be one dimensional, "
                         f"but a.shape = {shape_of(alpha)}.")
    k = shape_of(alpha)[0]
    if shape_of(x)[0] == k - 1:
        last = 1.0 - fr.sum(x, axis=0, keepdims=True)
        x = fs.concatenate([x, last], axis=0)
    a = fs.reshape(alpha, (k,) + (1,) * (len(shape_of(x)) - 1))
    log_b = fr.sum(fsp.gammaln(alpha)) - fsp.gammaln(fr.sum(alpha))
    out = fr.sum(fsp.xlogy(a - 1.0, x), axis=0) - log_b
    return fs.squeeze(out) if shape_of(out) else out


@numpy_outside_transforms(st.dirichlet.logpdf, unless_traced=True)
def logpdf(x, alpha):
    """`scipy.stats.dirichlet.logpdf`: `sum(xlogy(alpha - 1, x), 0) - log B(alpha)`.

    Example:
        ```python
        import numpy as np, funcdiff as fd
        from funcdiff.scipy.stats import dirichlet

        fd.grad(dirichlet.logpdf, argnums=1)(np.array([0.2, 0.3, 0.5]), np.array([1.0, 2.0, 3.0]))
        ```
    """
    return _logpdf(x, alpha)


@numpy_outside_transforms(st.dirichlet.pdf, unless_traced=True)
def pdf(x, alpha):
    """`scipy.stats.dirichlet.pdf`."""
    return fe.exp(_logpdf(x, alpha))


rvs = st.dirichlet.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
