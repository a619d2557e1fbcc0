"""The implementation of `funcdiff.numpy.linalg`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import collections
import operator
import types

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple
from numpy.linalg import LinAlgError

from funcdiff._src.core import Tracer, _state, concrete_value, dtype_of, shape_of
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.lax import linalg as pl
from funcdiff._src.lax.elementwise import convert_element_type, imag, real, sqrt, where
from funcdiff._src.lax.shape import reshape
from funcdiff._src.numpy import (
    contraction as _contraction,
)
from funcdiff._src.numpy import (
    creation as _creation,
)
from funcdiff._src.numpy import (
    elementwise as _elementwise,
)
from funcdiff._src.numpy import (
    indexing as _indexing,
)
from funcdiff._src.numpy import (
    reductions as _reductions,
)
from funcdiff._src.numpy import (
    shape as _shape,
)
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "LinAlgError",
    "solve",
    "inv",
    "det",
    "slogdet",
    "cholesky",
    "eigh",
    "eigvalsh",
    "eig",
    "eigvals",
    "svd",
    "svdvals",
    "qr",
    "pinv",
    "lstsq",
    "norm",
    "vector_norm",
    "matrix_norm",
    "cond",
    "matrix_rank",
    "matrix_power",
    "multi_dot",
    "tensorsolve",
    "tensorinv",
    "trace",
    "diagonal",
    "matrix_transpose",
    "matmul",
    "outer",
    "cross",
    "vecdot",
    "tensordot",
]


try:  # NumPy's result types (named tuples)
    from numpy.linalg._linalg import (
        EighResult,
        EigResult,
        QRResult,
        SlogdetResult,
        SVDResult,
    )
except ImportError:  # pragma: no cover
    EigResult = collections.namedtuple("EigResult", "eigenvalues eigenvectors")
    EighResult = collections.namedtuple("EighResult", "eigenvalues eigenvectors")
    QRResult = collections.namedtuple("QRResult", "Q R")
    SlogdetResult = collections.namedtuple("SlogdetResult", "sign logabsdet")
    SVDResult = collections.namedtuple("SVDResult", "U S Vh")


_NoValue = np._NoValue


# -- helpers --------------------------------------------------------------------------------
# the NumPy functions these are written with (the families below linalg)
fnp = types.SimpleNamespace(
    **{name: getattr(m, name) for m in (_creation, _elementwise, _reductions, _shape,
                                        _indexing, _contraction) for name in m.__all__}
)


def _arr(x):
    """A tracer or an ndarray (nested lists holding tracers are stacked)."""
    return x if isinstance(x, Tracer) else fnp.asarray(x)


def _prep(*xs):
    """The arguments in NumPy linalg's common dtype (integers and bools -> float64)."""
    xs = [_arr(x) for x in xs]
    dt = np.result_type(*[dtype_of(x) for x in xs])
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    if dt.char in "egG":
        raise TypeError(f"array type {dt.name} is unsupported in linalg")
    return [convert_element_type(x, dt) for x in xs]


def _stacked_2d(*xs):
    for x in xs:
        nd = len(shape_of(x))
        if nd < 2:
            raise LinAlgError(
                f"{nd}-dimensional array given. Array must be at least two-dimensional"
            )


def _stacked_square(*xs):
    _stacked_2d(*xs)
    for x in xs:
        m, n = shape_of(x)[-2:]
        if m != n:
            raise LinAlgError("Last 2 dimensions of the array must be square")


def _two_d(*xs):
    for x in xs:
        nd = len(shape_of(x))
        if nd != 2:
            raise LinAlgError(f"{nd}-dimensional array given. Array must be two-dimensional")


def _hermitian(a, lower):
    """The Hermitian matrix that one triangle of `a` stands for (what LAPACK reads)."""
    t = fnp.tril(a, -1) if lower else fnp.triu(a, 1)
    d = pl._diag(a)
    if pl._is_complex(d):
        d = real(d)
    return t + pl._H(t) + pl._diag_embed(d)


def _abs2(x):
    if pl._is_complex(x):
        return fnp.square(real(x)) + fnp.square(imag(x))
    return x * x


def _safe_sqrt(s):
    """sqrt with derivative 0 (not inf) at 0: the norm's minimum-norm subgradient."""
    zero = s == 0
    return where(zero, 0.0, sqrt(where(zero, 1.0, s)))


def _concrete_or_none(x):
    try:
        return concrete_value(x)
    except ConcretizationError:
        return None


# -- solvers and inverses -----------------------------------------------------------------
@numpy_outside_transforms(np.linalg.solve)
def solve(a, b):
    """`numpy.linalg.solve`: solve `a @ x = b`, differentiable in both arguments.

    As in NumPy 2, `b` is a vector only when it is 1-D; otherwise it is a
    (stack of) matrices `(..., M, K)`; leading axes broadcast.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> A = fnp.array([[3.0, 1.0], [1.0, 2.0]])
        >>> fd.grad(lambda b: la.solve(A, b).sum())(fnp.ones(2)).round(3).tolist()
        [0.2, 0.4]

        ```
    """
    a, b = _prep(a, b)
    _stacked_square(a)
    vector = len(shape_of(b)) == 1
    if vector:
        b = reshape(b, shape_of(b) + (1,))
    sa, sb = shape_of(a), shape_of(b)
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
        ok = sb[-2] == sa[-1]
    except ValueError:
        ok = False
    if not ok:  # NumPy's own error for these shapes
        shape = shape_of(b)[:-1] if vector else shape_of(b)
        np.linalg.solve(np.zeros(sa, dtype_of(a)), np.zeros(shape, dtype_of(b)))
        raise ValueError(f"solve: incompatible shapes {sa} and {shape}")
    x = pl.solve(a, b)
    return reshape(x, shape_of(x)[:-1]) if vector else x


@numpy_outside_transforms(np.linalg.inv)
def inv(a):
    """`numpy.linalg.inv`; derivative `-A^-1 dA A^-1`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> float(fd.grad(lambda x: la.inv(x * fnp.eye(2))[0, 0])(2.0))
        -0.25

        ```
    """
    (a,) = _prep(a)
    _stacked_square(a)
    return pl.inv(a)


@numpy_outside_transforms(np.linalg.det)
def det(a):
    """`numpy.linalg.det`; derivative `tr(adj(A) dA)`, at every matrix.

    The gradient is the cofactor matrix `adj(A)^T`, where `adj(A) = det(A) A^-1`
    is the adjugate, a polynomial in `A`: it exists at singular matrices too, and
    so do all higher derivatives (`hessian(det)` is finite at any rank). No rule
    solves with `A`: the adjugate is `det(A) inv(A)` when the LU of `A` has no
    zero pivot (accurate also for ill-conditioned `A`) and comes from the SVD
    otherwise; its derivatives are exact polynomial formulas (SVD-based, and the
    cofactor expansion over the minors from the third derivative of `det` on),
    so rank `n - 1`, `n - 2` and lower are all handled.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> fd.grad(la.det)(fnp.array([[2.0, 0.0], [0.0, 3.0]])).tolist()
        [[3.0, 0.0], [0.0, 2.0]]
        >>> fd.grad(la.det)(fnp.array([[1.0, 2.0], [2.0, 4.0]])).tolist()  # singular
        [[4.0, -2.0], [-2.0, 1.0]]

        ```
    """
    (a,) = _prep(a)
    _stacked_square(a)
    return pl.det(a)


@numpy_outside_transforms(np.linalg.slogdet)
def slogdet(a):
    """`numpy.linalg.slogdet`: `(sign, logabsdet)`; d logabsdet = Re tr(A^-1 dA).

    At a singular matrix (`sign` 0, `logabsdet` -inf) there is no derivative:
    `log|det|` behaves like `log|x|` at 0 (it tends to -inf from every side, and
    its slope to +inf on one side and -inf on the other). Derivatives there raise
    `LinAlgError` (eagerly with a message saying so; under `jit` and `vmap`,
    where values are abstract while tracing, NumPy's "Singular matrix" from the
    solve). `det` is differentiable there.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> fd.grad(lambda a: la.slogdet(a).logabsdet)(fnp.eye(2) * 2).tolist()
        [[0.5, 0.0], [0.0, 0.5]]

        ```
    """
    (a,) = _prep(a)
    _stacked_square(a)
    return SlogdetResult(*pl.slogdet(a))


def pinv(a, rcond=None, hermitian=False, *, rtol=_NoValue):
    """`numpy.linalg.pinv`, differentiable at constant rank.

    Inside transforms `rcond`/`rtol` must be scalars (not arrays).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> fd.grad(lambda a: la.pinv(a).sum())(fnp.array([[2.0, 0.0]])).tolist()
        [[-0.25, 0.25]]

        ```
    """
    if not _state.stack:
        if rtol is _NoValue:
            return np.linalg.pinv(a, rcond, hermitian)
        return np.linalg.pinv(a, rcond, hermitian, rtol=rtol)
    (a,) = _prep(a)
    _stacked_2d(a)
    if rcond is None:
        if rtol is _NoValue:
            rcond = 1e-15
        elif rtol is None:
            rcond = max(shape_of(a)[-2:]) * np.finfo(dtype_of(a)).eps
        else:
            rcond = rtol
    elif rtol is not _NoValue:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    if isinstance(rcond, Tracer) or np.ndim(rcond) != 0:
        raise NotImplementedError(
            "pinv: inside funcdiff transforms `rcond`/`rtol` must be a scalar, not an array."
        )
    if hermitian:
        _stacked_square(a)
        a = _hermitian(a, lower=True)
    return pl.pinv(a, float(rcond), bool(hermitian))


@numpy_outside_transforms(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """`numpy.linalg.lstsq`: `(x, residuals, rank, s)`; `x = pinv(a, rcond) @ b`.

    Differentiable in `a` (at constant rank) and `b`. Inside `vmap`/`jit`,
    where the rank is not known, `residuals` are computed whenever M > N
    (NumPy returns an empty array when `a` is rank deficient).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> A = fnp.array([[1.0], [1.0]])
        >>> fd.grad(lambda b: la.lstsq(A, b)[0][0])(fnp.array([1.0, 3.0])).round(6).tolist()
        [0.5, 0.5]

        ```
    """
    a, b = _prep(a, b)
    vector = len(shape_of(b)) == 1
    _two_d(a, reshape(b, shape_of(b) + (1,)) if vector else b)
    m, n = shape_of(a)
    if shape_of(b)[0] != m:
        raise LinAlgError("Incompatible dimensions")
    eps = float(np.finfo(dtype_of(a)).eps)
    rcond = eps * max(n, m) if rcond is None else float(rcond)
    if rcond < 0:
        rcond = eps
    x = fnp.matmul(pl.pinv(a, rcond, False), b)
    (s,) = pl.svd(a, False, False)
    real_dt = np.finfo(dtype_of(a)).dtype
    sv = _concrete_or_none(s)
    if sv is not None:
        rank = np.int32(np.sum(sv > rcond * sv.max())) if sv.size else np.int32(0)
        full = int(rank) == n
    else:
        rank = fnp.sum((s > rcond * fnp.max(s, axis=-1)).astype(np.int32), dtype=np.int32)
        full = True
    if m > n and full:
        resid = fnp.sum(_abs2(b - fnp.matmul(a, x)), axis=0)
        if vector:
            resid = reshape(resid, (1,))
    else:
        resid = np.array([], real_dt)
    return x, resid, rank, s


@numpy_outside_transforms(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None):
    """`numpy.linalg.tensorsolve`: reshape to a square system, then `solve`.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> la.tensorsolve(fnp.eye(4).reshape(2, 2, 2, 2), fnp.ones((2, 2))).shape
        (2, 2)

        ```
    """
    a, b = _arr(a), _arr(b)
    an = len(shape_of(a))
    if axes is not None:
        order = list(range(an))
        for k in axes:
            order.remove(k)
            order.insert(an, k)
        a = fnp.transpose(a, order)
    old = shape_of(a)[-(an - len(shape_of(b))) :]
    size = int(np.prod(old, dtype=np.int64))
    if int(np.prod(shape_of(a), dtype=np.int64)) != size**2:
        raise LinAlgError(
            "Input arrays must satisfy the requirement "
            "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])"
        )
    x = solve(reshape(a, (size, size)), reshape(b, (size,)))
    return reshape(x, old)


@numpy_outside_transforms(np.linalg.tensorinv)
def tensorinv(a, ind=2):
    """`numpy.linalg.tensorinv`: reshape to a square matrix, then `inv`.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> la.tensorinv(fnp.eye(6).reshape(6, 2, 3), ind=1).shape
        (2, 3, 6)

        ```
    """
    a = _arr(a)
    shape = shape_of(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    size = int(np.prod(shape[ind:], dtype=np.int64))
    total = int(np.prod(shape, dtype=np.int64))
    return reshape(inv(reshape(a, (size, total // size))), shape[ind:] + shape[:ind])


# -- decompositions -------------------------------------------------------------------------
@numpy_outside_transforms(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """`numpy.linalg.cholesky`: lower (or upper) factor; reads that triangle of `a`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> float(fd.grad(lambda x: la.cholesky(x * fnp.eye(2))[0, 0])(4.0))
        0.25

        ```
    """
    (a,) = _prep(a)
    _stacked_square(a)
    return pl.cholesky(_hermitian(a, lower=not upper), bool(upper))


def _uplo(UPLO):  # noqa: N803
    UPLO = UPLO.upper()  # noqa: N806
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return UPLO


@numpy_outside_transforms(np.linalg.eigh)
def eigh(a, UPLO="L"):  # noqa: N803
    """`numpy.linalg.eigh`: `(eigenvalues, eigenvectors)` of a Hermitian matrix.

    Reads the `UPLO` triangle. Eigenvector derivatives blow up at repeated
    eigenvalues (1/(λj - λi)); eigenvalue derivatives do not.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> fd.grad(lambda a: la.eigh(a).eigenvalues[-1])(fnp.diag(fnp.array([1.0, 2.0]))).tolist()
        [[0.0, 0.0], [0.0, 1.0]]

        ```
    """
    UPLO = _uplo(UPLO)  # noqa: N806
    (a,) = _prep(a)
    _stacked_square(a)
    return EighResult(*pl.eigh(_hermitian(a, lower=UPLO == "L"), UPLO))


@numpy_outside_transforms(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):  # noqa: N803
    """`numpy.linalg.eigvalsh`: eigenvalues of a Hermitian matrix, ascending."""
    return eigh(a, UPLO).eigenvalues


@numpy_outside_transforms(np.linalg.eig)
def eig(a):
    """`numpy.linalg.eig`: `(eigenvalues, eigenvectors)` of a general matrix.

    Derivatives need distinct eigenvalues. As in NumPy, the result is real when
    all eigenvalues are real, complex otherwise. Eigenvector derivatives
    follow NumPy's normalization (unit norm, largest component real).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> A = fnp.array([[2.0, 1.0], [0.0, 3.0]])
        >>> fd.grad(lambda a: la.eig(a).eigenvalues.sum())(A).tolist()
        [[1.0, 0.0], [0.0, 1.0]]

        ```
    """
    (a,) = _prep(a)
    _stacked_square(a)
    return EigResult(*pl.eig(a))


@numpy_outside_transforms(np.linalg.eigvals)
def eigvals(a):
    """`numpy.linalg.eigvals`: eigenvalues of a general matrix."""
    return eig(a).eigenvalues


@numpy_outside_transforms(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """`numpy.linalg.svd`: `(U, S, Vh)` or, with `compute_uv=False`, `S`.

    Singular-value derivatives are `Re diag(U^H dA V)`. Singular-vector
    derivatives need `full_matrices=False` (or a square matrix) and distinct
    nonzero singular values; they are defined up to a common phase per pair of
    vectors, so differentiate phase-invariant functions such as `U diag(S) Vh`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> A = fnp.array([[3.0, 0.0], [0.0, 1.0]])
        >>> fd.grad(lambda a: la.svd(a, compute_uv=False)[0])(A).tolist()
        [[1.0, 0.0], [0.0, 0.0]]

        ```
    """
    (a,) = _prep(a)
    _stacked_2d(a)
    if hermitian:
        return _svd_hermitian(a, compute_uv)
    out = pl.svd(a, bool(full_matrices), bool(compute_uv))
    return SVDResult(*out) if compute_uv else out[0]


def _svd_hermitian(a, compute_uv):
    """NumPy's `hermitian=True` path: singular values are |eigenvalues|, sorted descending."""
    if not compute_uv:
        return fnp.sort(fnp.abs(eigvalsh(a)), axis=-1)[..., ::-1]
    w, v = eigh(a)
    s = fnp.abs(w)
    order = fnp.argsort(s, axis=-1)[..., ::-1]
    sgn = fnp.take_along_axis(fnp.sign(w), order, axis=-1)
    s = fnp.take_along_axis(s, order, axis=-1)
    u = fnp.take_along_axis(v, pl._row(order), axis=-1)
    return SVDResult(u, s, pl._H(u * pl._row(sgn)))


@numpy_outside_transforms(np.linalg.svdvals)
def svdvals(x, /):
    """`numpy.linalg.svdvals`: the singular values, descending."""
    return svd(x, compute_uv=False)


@numpy_outside_transforms(np.linalg.qr)
def qr(a, mode="reduced"):
    """`numpy.linalg.qr`: `(Q, R)` ("reduced", "complete"), `R` ("r") or `(h, tau)` ("raw").

    Derivatives for "reduced" and "r" (any shape) and "complete" when M <= N;
    "raw" is not differentiable (it is computed eagerly from concrete values).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> A = fnp.array([[3.0], [4.0]])
        >>> fd.grad(lambda a: la.qr(a).R[0, 0])(A).round(3).tolist()
        [[-0.6], [-0.8]]

        ```
    """
    if mode not in ("reduced", "complete", "r", "raw"):
        np.linalg.qr(np.eye(1), mode)  # NumPy's error
        raise ValueError(f"Unrecognized mode '{mode}'")
    if mode == "raw":
        return np.linalg.qr(np.asarray(a), mode)
    (a,) = _prep(a)
    _stacked_2d(a)
    out = pl.qr(a, mode)
    return out[0] if mode == "r" else QRResult(*out)


# -- norms, condition numbers, rank -----------------------------------------------------------
def _vector_norm_axis(x, ord, axis, keepdims):  # noqa: A002
    if ord == np.inf:
        return fnp.max(fnp.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return fnp.min(fnp.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        nz = (x != 0).astype(np.finfo(dtype_of(x)).dtype)
        return fnp.sum(nz, axis=axis, keepdims=keepdims)
    if ord == 1:
        return fnp.sum(fnp.abs(x), axis=axis, keepdims=keepdims)
    if ord is None or ord == 2:
        return _safe_sqrt(fnp.sum(_abs2(x), axis=axis, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    total = fnp.sum(fnp.abs(x) ** ord, axis=axis, keepdims=keepdims)
    zero = total == 0
    return where(zero, 0.0, where(zero, 1.0, total) ** (1.0 / ord))


def _svd_norm(x, row, col, op):
    """max/min/sum of the singular values over axes (row, col); 0 with gradient 0 at 0."""
    y = fnp.moveaxis(x, (row, col), (-2, -1))
    (s,) = pl.svd(y, False, False)
    r = getattr(fnp, op)(s, axis=-1)
    return where(fnp.all(y == 0, axis=(-2, -1)), 0.0, r)


def _matrix_norm_axes(x, ord, row, col):  # noqa: A002
    if ord == 2:
        return _svd_norm(x, row, col, "max")
    if ord == -2:
        return _svd_norm(x, row, col, "min")
    if ord in (1, -1):
        ext = fnp.max if ord == 1 else fnp.min
        return ext(fnp.sum(fnp.abs(x), axis=row), axis=col - 1 if col > row else col)
    if ord in (np.inf, -np.inf):
        ext = fnp.max if ord == np.inf else fnp.min
        return ext(fnp.sum(fnp.abs(x), axis=col), axis=row - 1 if row > col else row)
    if ord in (None, "fro", "f"):
        return _safe_sqrt(fnp.sum(_abs2(x), axis=(row, col)))
    if ord == "nuc":
        return _svd_norm(x, row, col, "sum")
    raise ValueError("Invalid norm order for matrices.")


@numpy_outside_transforms(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002
    """`numpy.linalg.norm`: vector norms (`ord` None/2, 1, inf, -inf, 0, any p) and
    matrix norms ('fro', 'nuc', 1, -1, 2, -2, inf, -inf), with `axis` and `keepdims`.

    The gradient at zero is zero for every `ord` (minimum-norm subgradient).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> fd.grad(la.norm)(fnp.array([3.0, 4.0])).round(6).tolist()
        [0.6, 0.8]
        >>> fd.grad(la.norm)(fnp.zeros(2)).tolist()
        [0.0, 0.0]

        ```
    """
    x = _arr(x)
    if dtype_of(x).kind not in "fc":
        x = convert_element_type(x, np.float64)
    nd = len(shape_of(x))
    if axis is None:
        if ord is None or (ord in ("f", "fro") and nd == 2) or (ord == 2 and nd == 1):
            r = _safe_sqrt(fnp.sum(_abs2(x)))
            return reshape(r, (1,) * nd) if keepdims else r
        axis = tuple(range(nd))
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError as e:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from e
    if len(axis) == 1:
        return _vector_norm_axis(x, ord, normalize_axis_index(axis[0], nd), keepdims)
    if len(axis) != 2:
        raise ValueError("Improper number of dimensions to norm.")
    row, col = normalize_axis_tuple(axis, nd)
    r = _matrix_norm_axes(x, ord, row, col)
    if keepdims:
        shape = list(shape_of(x))
        shape[row] = shape[col] = 1
        r = reshape(r, tuple(shape))
    return r


@numpy_outside_transforms(np.linalg.vector_norm)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):  # noqa: A002
    """`numpy.linalg.vector_norm`: a vector norm over `axis` (None: all axes; a tuple:
    those axes as one vector)."""
    x = _arr(x)
    shape = shape_of(x)
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else normalize_axis_tuple(axis, nd)
    rest = [i for i in range(nd) if i not in axes]
    y = reshape(
        fnp.transpose(x, list(axes) + rest),
        (int(np.prod([shape[i] for i in axes], dtype=np.int64)),) + tuple(shape[i] for i in rest),
    )
    r = norm(y, ord=ord, axis=0)
    if keepdims:
        r = reshape(r, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return r


@numpy_outside_transforms(np.linalg.matrix_norm)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):  # noqa: A002
    """`numpy.linalg.matrix_norm`: `norm(x, ord, axis=(-2, -1), keepdims)`."""
    return norm(x, ord=ord, axis=(-2, -1), keepdims=keepdims)


@numpy_outside_transforms(np.linalg.cond)
def cond(x, p=None):
    """`numpy.linalg.cond`: `s_max / s_min` (p None, 2, -2) or `norm(x, p) norm(inv(x), p)`.

    Inside transforms a singular `x` is not special-cased (NumPy returns inf).
    """
    (x,) = _prep(x)
    _stacked_2d(x)
    if 0 in shape_of(x)[-2:]:
        raise LinAlgError("cond is not defined on empty arrays")
    if p is None or p == 2 or p == -2:
        s = svd(x, compute_uv=False)
        return s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    _stacked_square(x)
    return norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1))


@numpy_outside_transforms(np.linalg.matrix_rank)
def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):  # noqa: N803
    """`numpy.linalg.matrix_rank`: the number of singular values above the tolerance
    (an integer: no derivative)."""
    a = _arr(A)
    if len(shape_of(a)) < 2:
        return int(not np.all(np.asarray(a) == 0))
    s = svd(a, compute_uv=False, hermitian=hermitian)
    if tol is None:
        if rtol is None:
            rtol = max(shape_of(a)[-2:]) * np.finfo(dtype_of(s)).eps
        else:
            rtol = fnp.expand_dims(_arr(rtol), -1)
        tol = fnp.max(s, axis=-1, keepdims=True) * rtol
    else:
        tol = fnp.expand_dims(_arr(tol), -1)
    return fnp.sum((s > tol).astype(np.intp), axis=-1)


# -- products -------------------------------------------------------------------------------
@numpy_outside_transforms(np.linalg.matrix_power)
def matrix_power(a, n):
    """`numpy.linalg.matrix_power`: `a` to the integer power `n` (negative: of `inv(a)`),
    by repeated squaring.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> float(fd.grad(lambda x: la.matrix_power(x * fnp.eye(2), 3)[0, 0])(2.0))
        12.0

        ```
    """
    a = _arr(a)
    _stacked_square(a)
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError("exponent must be an integer") from e
    if n == 0:
        m = shape_of(a)[-1]
        return np.broadcast_to(np.eye(m, dtype=dtype_of(a)), shape_of(a)).copy()
    if n < 0:
        a, n = inv(a), -n
    result, square = None, a
    while True:  # binary powering: multiply in the squares for the bits of n
        if n & 1:
            result = square if result is None else fnp.matmul(result, square)
        n >>= 1
        if not n:
            return result
        square = fnp.matmul(square, square)


def _chain_order(dims):
    """Optimal parenthesization of a matrix chain with `dims` (n + 1 sizes): split table."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


@numpy_outside_transforms(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """`numpy.linalg.multi_dot`: a chain of `dot`s in the cheapest order.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp, funcdiff.numpy.linalg as la
        >>> la.multi_dot([fnp.ones(3), fnp.ones((3, 4)), fnp.ones(4)]).item()
        12.0

        ```
    """
    if out is not None:
        raise TypeError(
            "funcdiff.numpy.linalg.multi_dot(..., out=...) is not supported "
            "inside transforms; use the returned value."
        )
    arrays = [_arr(x) for x in arrays]
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    if len(arrays) == 2:
        return fnp.dot(arrays[0], arrays[1])
    first, last = len(shape_of(arrays[0])), len(shape_of(arrays[-1]))
    if first == 1:
        arrays[0] = reshape(arrays[0], (1,) + shape_of(arrays[0]))
    if last == 1:
        arrays[-1] = reshape(arrays[-1], shape_of(arrays[-1]) + (1,))
    _two_d(*arrays)
    split = _chain_order([shape_of(x)[0] for x in arrays] + [shape_of(arrays[-1])[1]])

    def chain(i, j):
        if i == j:
            return arrays[i]
        return fnp.dot(chain(i, split[i][j]), chain(split[i][j] + 1, j))

    result = chain(0, len(arrays) - 1)
    if first == 1 and last == 1:
        return result[0, 0]
    if first == 1 or last == 1:
        return fnp.ravel(result)
    return result


@numpy_outside_transforms(np.linalg.trace)
def trace(x, /, *, offset=0, dtype=None):
    """`numpy.linalg.trace`: the trace of the last two axes."""
    return fnp.trace(x, offset, -2, -1, dtype)


@numpy_outside_transforms(np.linalg.diagonal)
def diagonal(x, /, *, offset=0):
    """`numpy.linalg.diagonal`: the diagonal of the last two axes."""
    return fnp.diagonal(x, offset, -2, -1)


@numpy_outside_transforms(np.linalg.matrix_transpose)
def matrix_transpose(x, /):
    """`numpy.linalg.matrix_transpose`: swap the last two axes."""
    return fnp.matrix_transpose(x)


@numpy_outside_transforms(np.linalg.matmul)
def matmul(x1, x2, /):
    """`numpy.linalg.matmul`: `numpy.matmul`."""
    return fnp.matmul(x1, x2)


@numpy_outside_transforms(np.linalg.outer)
def outer(x1, x2, /):
    """`numpy.linalg.outer`: outer product of two 1-D arrays."""
    x1, x2 = _arr(x1), _arr(x2)
    n1, n2 = len(shape_of(x1)), len(shape_of(x2))
    if n1 != 1 or n2 != 1:
        raise ValueError(
            f"Input arrays must be one-dimensional, but they are x1.ndim={n1} and x2.ndim={n2}."
        )
    return fnp.outer(x1, x2)


@numpy_outside_transforms(np.linalg.cross)
def cross(x1, x2, /, *, axis=-1):
    """`numpy.linalg.cross`: cross product of 3-vectors along `axis`."""
    x1, x2 = _arr(x1), _arr(x2)
    d1, d2 = shape_of(x1)[axis], shape_of(x2)[axis]
    if d1 != 3 or d2 != 3:
        raise ValueError(
            "Both input arrays must be (arrays of) 3-dimensional vectors, "
            f"but they are {d1} and {d2} dimensional instead."
        )
    return fnp.cross(x1, x2, axis=axis)


@numpy_outside_transforms(np.linalg.vecdot)
def vecdot(x1, x2, /, *, axis=-1):
    """`numpy.linalg.vecdot`: dot product of vectors along `axis` (conjugating `x1`)."""
    return fnp.vecdot(x1, x2, axis=axis)


@numpy_outside_transforms(np.linalg.tensordot)
def tensordot(x1, x2, /, *, axes=2):
    """`numpy.linalg.tensordot`: `numpy.tensordot`."""
    return fnp.tensordot(x1, x2, axes)
