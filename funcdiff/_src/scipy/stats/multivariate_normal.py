"""The implementation of `funcdiff.scipy.stats.multivariate_normal`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff import numpy as fnp
from funcdiff._src.core import shape_of
from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy import reductions as fr
from funcdiff._src.numpy import shape as fs
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import LOG_SQRT_2PI, concrete, floats, traced
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


def _pseudo(cov, dim):
    """SciPy's `_PSD` of a symmetric PSD `cov` (eigenvalues at most `1e6 eps max|s|` count as
    0): (log pseudo-determinant, `maha(dev)` giving `dev^T pinv(cov) dev` for the columns of
    `dev`, rank, null-space projector, support tolerance), or None where `cov` is concretely
    nonsingular (the caller then uses the ordinary formulas).

    The range of `cov` is located on `stop_gradient(cov)`: `Q` holds the eigenvectors of the
    nonzero eigenvalues (the other columns zeroed, so that the shapes do not depend on the
    rank), `E` is the identity on the null directions. With `B = cov Q`, `K = Q^T cov Q + E`
    and `G = B^T B + E`, `cov = B K^+ B^T` for every `cov` of the same rank near it, so
    `log pdet = slogdet(G) - slogdet(K)` and, for `dev` in the range, `dev^T pinv dev =
    y^T K y` with `y = G^-1 B^T dev`: smooth in `cov` along rank-preserving perturbations, to
    every order.
    """
    s, u = linalg.eigh(fnp.stop_gradient(cov))
    eps = 1e6 * np.finfo(np.float64).eps * fr.max(fe.abs(s))
    values = concrete(s, eps)
    if values is not None:
        if np.min(values[0]) < -values[1]:
            raise ValueError("The input matrix must be symmetric positive semidefinite.")
        if np.all(values[0] > values[1]):
            return None
    null = fe.astype(fe.less_equal(s, eps), np.float64)
    q = u * (1.0 - null)
    e = fs.diag(null)
    b = cov @ q
    k = fs.transpose(q) @ cov @ q + e
    g = fs.transpose(b) @ b + e
    log_pdet = linalg.slogdet(g)[1] - linalg.slogdet(k)[1]

    def maha(dev):
        y = linalg.solve(g, fs.transpose(b) @ dev)
        return fr.sum(y * (k @ y), axis=0)

    proj = (u * null) @ fs.transpose(u)
    return log_pdet, maha, dim - fr.sum(null), proj, 1e3 * eps


def _logpdf(x, mean, cov, allow_singular=False):
    dim, mean, cov = _params(mean, cov)
    (x,) = floats(x)
    nd = len(shape_of(x))
    if nd == 0:
        x = fs.reshape(x, (1,))
    elif nd == 1:
        x = fs.reshape(x, (-1, 1) if dim == 1 else (1, -1))
    batch = shape_of(x)[:-1]
    dev = fs.reshape(x - mean, (-1, dim))
    pseudo = _pseudo(cov, dim) if allow_singular else None
    if pseudo is not None:
        log_det, pinv_maha, rank, proj, tol = pseudo
        maha = pinv_maha(fs.transpose(dev))
        dev_t = fs.transpose(fnp.stop_gradient(dev))  # (the support test has no derivative)
        residual = fe.sqrt(fe.maximum(fr.sum(dev_t * (proj @ dev_t), axis=0), 0.0))
    else:
        sol = linalg.solve(cov, fs.transpose(dev))  # (dim, n)
        _, log_det = linalg.slogdet(cov)
        rank = dim
        maha = fr.sum(fs.transpose(dev) * sol, axis=0)
    out = -0.5 * (maha + log_det) - rank * LOG_SQRT_2PI
    if pseudo is not None:
        out = fe.where(fe.less(residual, tol), out, -np.inf)
    out = fs.reshape(out, batch)
    return fs.squeeze(out) if shape_of(out) else out


def logpdf(x, mean=None, cov=1, allow_singular=False):
    """`scipy.stats.multivariate_normal.logpdf`.

    With `allow_singular=True` a singular `cov` uses its pseudo-determinant and
    pseudo-inverse over the nonzero eigenvalues (`-inf` off the support), as SciPy does.

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
    return _logpdf(x, mean, cov, allow_singular)


def pdf(x, mean=None, cov=1, allow_singular=False):
    """`scipy.stats.multivariate_normal.pdf`: `exp(logpdf)` (`allow_singular` as there)."""
    if not traced(x, mean, cov):
        return st.multivariate_normal.pdf(x, mean, cov, allow_singular)
    return fe.exp(_logpdf(x, mean, cov, allow_singular))


@numpy_outside_transforms(st.multivariate_normal.entropy, unless_traced=True)
def entropy(mean=None, cov=1):
    """`scipy.stats.multivariate_normal.entropy`: `(rank (log(2 pi) + 1) + log pdet(cov)) / 2`
    (the pseudo-determinant for a singular `cov`, as SciPy), differentiable in `cov`
    (`mean` only sets the dimension).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.stats import multivariate_normal
        >>> fd.grad(multivariate_normal.entropy, argnums=1)(None, np.diag([2.0, 4.0]))
        array([[0.25 , 0.   ],
               [0.   , 0.125]])

        ```
    """
    dim, _, cov = _params(mean, cov)
    pseudo = _pseudo(cov, dim)
    if pseudo is None:
        log_pdet, rank = linalg.slogdet(cov)[1], dim
    else:
        log_pdet, _, rank, _, _ = pseudo
    return 0.5 * (rank * (2 * LOG_SQRT_2PI + 1.0) + log_pdet)


rvs = st.multivariate_normal.rvs  # SciPy's sampler itself (nothing to differentiate)
