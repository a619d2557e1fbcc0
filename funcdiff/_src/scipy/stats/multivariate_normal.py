"""The implementation of `funcdiff.scipy.stats.multivariate_normal`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.core import shape_of
from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy import reductions as fr
from funcdiff._src.numpy import shape as fs
from funcdiff._src.scipy.stats.util import LOG_SQRT_2PI, floats, traced
from funcdiff.numpy import linalg


def _params(mean, cov):
    """SciPy's `_process_parameters_psd`: (dim, mean vector, covariance matrix)."""
    if mean is None:
        dim = 1 if cov is None or len(np.shape(cov)) < 2 else shape_of(cov)[0]
    else:
        dim = int(np.prod(shape_of(mean)))
    mean = np.zeros(dim) if mean is None else mean
    cov = 1.0 if cov is None else cov
    mean, cov = floats(mean, cov)
    if dim == 1:
        mean, cov = fs.reshape(mean, (1,)), fs.reshape(cov, (1, 1))
    if len(shape_of(mean)) != 1 or shape_of(mean)[0] != dim:
        raise ValueError(f"Array 'mean' must be a vector of length {dim}.")
    nd = len(shape_of(cov))
    if nd == 0:
        cov = cov * np.eye(dim)
    elif nd == 1:
        cov = fs.diag(cov)
    elif nd == 2 and shape_of(cov) != (dim, dim):
        rows, cols = shape_of(cov)
        if rows != cols:
            raise ValueError("Array 'cov' must be square if it is two dimensional, "
                             f"but cov.shape = {shape_of(cov)}.")
        raise ValueError(f"Dimension mismatch: array 'cov' is of shape {shape_of(cov)}, "
                         f"but 'mean' is a vector of length {dim}.")
    elif nd > 2:
        raise ValueError(f"Array 'cov' must be at most two-dimensional, but cov.ndim = {nd}")
    else:  # like SciPy (eigh of the lower triangle), read only the lower triangle
        cov = fs.tril(cov) + fs.transpose(fs.tril(cov, -1))
    return dim, mean, cov


def _logpdf(x, mean, cov):
    dim, mean, cov = _params(mean, cov)
    (x,) = floats(x)
    nd = len(shape_of(x))
    if nd == 0:
        x = fs.reshape(x, (1,))
    elif nd == 1:
        x = fs.reshape(x, (-1, 1) if dim == 1 else (1, -1))
    batch = shape_of(x)[:-1]
    dev = fs.reshape(x - mean, (-1, dim))
    sol = linalg.solve(cov, fs.transpose(dev))  # (dim, n)
    maha = fr.sum(fs.transpose(dev) * sol, axis=0)
    _, logdet = linalg.slogdet(cov)
    out = fs.reshape(-0.5 * (maha + logdet) - dim * LOG_SQRT_2PI, batch)
    return fs.squeeze(out) if shape_of(out) else out


def logpdf(x, mean=None, cov=1, allow_singular=False):
    """`scipy.stats.multivariate_normal.logpdf`.

    Example:
        ```python
        import numpy as np, funcdiff as fd
        from funcdiff.scipy.stats import multivariate_normal

        cov = np.array([[2.0, 0.3], [0.3, 1.0]])
        fd.grad(multivariate_normal.logpdf, argnums=(1, 2))(np.ones(2), np.zeros(2), cov)
        ```
    """
    if not traced(x, mean, cov):
        return st.multivariate_normal.logpdf(x, mean, cov, allow_singular)
    return _logpdf(x, mean, cov)


def pdf(x, mean=None, cov=1, allow_singular=False):
    """`scipy.stats.multivariate_normal.pdf`."""
    if not traced(x, mean, cov):
        return st.multivariate_normal.pdf(x, mean, cov, allow_singular)
    return fe.exp(_logpdf(x, mean, cov))
