"""The implementation of `funcdiff.scipy.linalg`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.linalg as _sl

from funcdiff import numpy as fnp
from funcdiff._src.core import (
    Primitive,
    ShapedArray,
    Tracer,
    _state,
    concrete_value,
    dtype_of,
    shape_of,
)
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.lax import linalg as pl
from funcdiff._src.lax.checks import check
from funcdiff._src.lax.elementwise import conj, convert_element_type, imag, real, real_for_real
from funcdiff._src.lax.linalg import (
    _H,
    _adjoint_vjp,
    _is_complex,
    _is_zero,
    _mm,
    _mT,
    _row,
    _scalar_mat,
)
from funcdiff._src.lax.shape import move_batch_axes, reshape, slice_in_dim, unbroadcast
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff.numpy import linalg as fla

_NoValue = object()


# -- helpers (funcdiff operations, so rules stay differentiable) -------------------------
def _arr(x):
    return x if isinstance(x, Tracer) else np.asarray(x)


def _lapack_dtype(*dtypes):
    """SciPy's computation dtype: the common dtype, integers -> float64, half -> single."""
    dt = np.result_type(*dtypes)
    if dt.kind not in "fc":
        return np.dtype(np.float64)
    return {"e": np.dtype(np.float32), "g": np.dtype(np.float64), "G": np.dtype(np.complex128)}.get(
        dt.char, dt
    )


def _prep(*xs):
    """The arguments as arrays in SciPy's common computation dtype."""
    xs = [_arr(x) for x in xs]
    dt = _lapack_dtype(*[dtype_of(x) for x in xs])
    return [convert_element_type(x, dt) for x in xs]


def _probe(fn, *args):
    """Call the SciPy function `fn` on harmless stand-ins of `args`' shapes, so that
    bad shapes raise SciPy's own error. Square matrices become identities."""
    stand_ins = []
    for x in args:
        s = tuple(shape_of(x))
        if len(s) >= 2 and s[-1] == s[-2]:
            stand_ins.append(np.broadcast_to(np.eye(s[-1]), s))
        else:
            stand_ins.append(np.zeros(s))
    fn(*stand_ins)


def _broadcast_batch_rule(prim):
    """Batch rule of a primitive whose implementation broadcasts over leading axes."""

    def rule(args, dims, **params):
        return prim.bind(*move_batch_axes(args, dims), **params), 0

    return rule


def _as_matrix_rhs(b):
    """SciPy's rule: a 1-D `b` is one vector, otherwise (a stack of) matrices."""
    if len(shape_of(b)) == 1:
        return reshape(b, shape_of(b) + (1,)), True
    return b, False


def _from_matrix_rhs(x, vector):
    return reshape(x, shape_of(x)[:-1]) if vector else x


# -- triangular_solve: x = op(T)^-1 b, T a triangle of a, op in (identity, ^T, ^H) --------------
def _tri_mask(a, lower, unit_diagonal):
    """The 0/1 mask of the entries of `a` that the solve reads."""
    n = shape_of(a)[-1]
    k = (-1 if lower else 1) if unit_diagonal else 0
    ones = np.ones((n, n), np.finfo(dtype_of(a)).dtype)
    return np.tril(ones, k) if lower else np.triu(ones, k)


def _op(x, trans):
    return x if trans == 0 else _mT(x) if trans == 1 else _H(x)


def _triangular_solve_impl(a, b, lower, trans, unit_diagonal):
    return _sl.solve_triangular(
        a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, check_finite=False
    )


triangular_solve_p = Primitive("triangular_solve", _triangular_solve_impl, linear=(1,))


def triangular_solve(a, b, lower=False, trans=0, unit_diagonal=False):
    """`op(T)^-1 b` for the `lower`/upper triangle T of `a` and `b` of shape (..., M, K)."""
    return triangular_solve_p.bind(a, b, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


def _triangular_solve_jvp(primals, tangents, lower, trans, unit_diagonal):
    (a, b), (da, db) = primals, tangents
    kw = dict(lower=lower, trans=trans, unit_diagonal=unit_diagonal)
    x = triangular_solve(a, b, **kw)
    rhs = db
    if da is not None:
        dax = _mm(_op(da * _tri_mask(a, lower, unit_diagonal), trans), x)
        rhs = -dax if rhs is None else rhs - dax
    return x, triangular_solve(a, rhs, **kw)


def _triangular_solve_vjp(g, x, primals, argnums, lower, trans, unit_diagonal):
    a, b = primals
    kw = dict(lower=lower, unit_diagonal=unit_diagonal)
    if trans == 0:  # gb = op(T)^-T g
        gb = triangular_solve(a, g, trans=1, **kw)
    elif trans == 1 or not _is_complex(a):
        gb = triangular_solve(a, g, trans=0, **kw)
    else:
        gb = conj(triangular_solve(a, conj(g), trans=0, **kw))
    cts = []
    for i in argnums:
        if i == 1:
            cts.append(unbroadcast(gb, shape_of(b)))
            continue
        ct_op = -_mm(gb, _mT(x))  # cotangent of op(T)
        ct = ct_op if trans == 0 else _mT(ct_op) if trans == 1 else _H(ct_op)
        cts.append(unbroadcast(ct * _tri_mask(a, lower, unit_diagonal), shape_of(a)))
    return cts


triangular_solve_p.jvp = _triangular_solve_jvp
triangular_solve_p.vjp = _triangular_solve_vjp
triangular_solve_p.batch = _broadcast_batch_rule(triangular_solve_p)
triangular_solve_p.abstract_eval = lambda a, b, **params: ShapedArray(
    np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:],
    np.result_type(a.dtype, b.dtype),
)


def _trans_code(trans):
    codes = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}
    try:
        return codes[trans.upper() if isinstance(trans, str) else int(trans)]
    except (KeyError, TypeError, ValueError):
        raise ValueError("Invalid trans argument") from None


@numpy_outside_transforms(_sl.solve_triangular)
def solve_triangular(
    a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, check_finite=True
):
    """`scipy.linalg.solve_triangular`: solve `op(T) x = b` for a triangular `T`.

    Reads only the `lower` (or upper) triangle of `a`, without its diagonal when
    `unit_diagonal`; `trans` is 0/'N' (T x = b), 1/'T' (T^T x = b) or 2/'C'
    (T^H x = b). Differentiable in `a` (its cotangent lives on that triangle) and `b`.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> T = np.array([[2.0, 0.0], [1.0, 1.0]])
        >>> fd.grad(lambda b: fsl.solve_triangular(T, b, lower=True).sum())(np.ones(2)).tolist()
        [0.0, 1.0]

        ```
    """
    trans = _trans_code(trans)
    a, b = _prep(a, b)
    _probe(lambda x, y: _sl.solve_triangular(x, y, check_finite=False), a, b)
    b, vector = _as_matrix_rhs(b)
    x = triangular_solve(a, b, lower=bool(lower), trans=trans, unit_diagonal=bool(unit_diagonal))
    return _from_matrix_rhs(x, vector)


# -- Cholesky ---------------------------------------------------------------------------------
@numpy_outside_transforms(_sl.cho_factor)
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """`scipy.linalg.cho_factor`: `(c, lower)` for use in `cho_solve`.

    `c` holds the Cholesky factor in its `lower` (default: upper) triangle and
    the entries of `a` in the other one, as SciPy (LAPACK) leaves them. Reads the
    chosen triangle of `a`.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> float(fd.grad(lambda s: fsl.cho_factor(s * np.eye(2))[0][0, 0])(4.0))
        0.25

        ```
    """
    (a,) = _prep(a)
    _probe(lambda x: _sl.cho_factor(x, check_finite=False), a)
    lower = bool(lower)
    factor = fla.cholesky(a, upper=not lower)
    rest = fnp.triu(a, 1) if lower else fnp.tril(a, -1)
    return factor + rest, lower


@numpy_outside_transforms(_sl.cho_solve)
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """`scipy.linalg.cho_solve`: solve `A x = b` given `cho_factor(A)`.

    Differentiable in `c` (its factor triangle) and `b`: two triangular solves.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> cf = fsl.cho_factor(np.array([[4.0, 2.0], [2.0, 3.0]]))
        >>> fd.grad(lambda b: fsl.cho_solve(cf, b).sum())(np.ones(2)).round(6).tolist()
        [0.125, 0.25]

        ```
    """
    c, lower = c_and_lower
    lower = bool(np.all(np.asarray(lower)))
    c, b = _prep(c, b)
    _probe(lambda x, y: _sl.cho_solve((x, lower), y, check_finite=False), c, b)
    b, vector = _as_matrix_rhs(b)
    if lower:  # A = L L^H
        y = triangular_solve(c, b, lower=True)
        x = triangular_solve(c, y, lower=True, trans=2)
    else:  # A = U^H U
        y = triangular_solve(c, b, lower=False, trans=2)
        x = triangular_solve(c, y, lower=False)
    return _from_matrix_rhs(x, vector)


# -- LU ---------------------------------------------------------------------------------------
def _perm_impl(piv, m):
    """Row permutation `perm` of LAPACK pivots (row i swapped with piv[i], in order):
    A[perm] = L U."""
    piv = np.asarray(piv)
    lead, k = piv.shape[:-1], piv.shape[-1]
    pv = piv.reshape(-1, k)
    perm = np.tile(np.arange(m, dtype=np.int32), (pv.shape[0], 1))
    rows = np.arange(pv.shape[0])
    for i in range(k):
        j = pv[:, i]
        tmp = perm[rows, i].copy()
        perm[rows, i] = perm[rows, j]
        perm[rows, j] = tmp
    return perm.reshape(lead + (m,))


lu_pivots_to_permutation_p = Primitive("lu_pivots_to_permutation", _perm_impl)
lu_pivots_to_permutation_p.jvp = lambda primals, tangents, m: (
    lu_pivots_to_permutation(primals[0], m),
    None,
)
lu_pivots_to_permutation_p.vjp = lambda g, out, primals, argnums, m: [None]
lu_pivots_to_permutation_p.batch = _broadcast_batch_rule(lu_pivots_to_permutation_p)
lu_pivots_to_permutation_p.abstract_eval = lambda piv, m: ShapedArray(
    piv.shape[:-1] + (m,), np.int32
)


def lu_pivots_to_permutation(piv, m):
    """The row permutation (int32, length `m`) that LAPACK pivots `piv` stand for."""
    return lu_pivots_to_permutation_p.bind(piv, m=m)


def _perm_matrix(piv, m, dtype):
    """P with P A = A[perm] (a 0/1 matrix, no derivative)."""
    perm = lu_pivots_to_permutation(piv, m)
    return fnp.equal(reshape(perm, shape_of(perm) + (1,)), np.arange(m)).astype(dtype)


def _lu_impl(a):
    lu, piv = _sl.lu_factor(a, check_finite=False)
    return [lu, piv]


lu_p = Primitive("lu", _lu_impl, multiple_results=True)


def _lu_squares(lu):
    """L~ (m x m, unit lower) and U~ (n x n, upper) of a packed M x N `lu` (K = min(M, N)):
    L (M x K) completed by the last M - K columns of the identity, U (K x N) by its last
    N - K rows, so that P A = L U = L~ [U; 0] (tall) or [L, 0] U~ (wide)."""
    m, n = shape_of(lu)[-2:]
    k = min(m, n)
    lead = tuple(shape_of(lu)[:-2])
    lo = fnp.tril(slice_in_dim(lu, 0, k, axis=-1), -1)
    if m > k:
        lo = fnp.concatenate([lo, np.zeros(lead + (m, m - k), dtype_of(lu))], -1)
    up = fnp.triu(slice_in_dim(lu, 0, k, axis=-2))
    if n > k:
        up = fnp.concatenate([up, np.zeros(lead + (n - k, n), dtype_of(lu))], -2)
    return (lo + np.eye(m, dtype=dtype_of(lu)),
            up + np.diag((np.arange(n) >= k).astype(dtype_of(lu))))


def _lu_masks(m, n, dtype):
    """The packed positions of L's strictly lower part and of U's upper part (M x N)."""
    lower = np.tri(m, n, -1, dtype=np.finfo(dtype).dtype)
    return lower, 1 - lower


def _lu_jvp(primals, tangents):
    # P dA = dL U + L dU. With X = L~^-1 P dA U~^-1 (M x N): dL = L~ (strictly lower X)
    # and dU = (upper X) U~, each cut to its packed block (any M x N; square: the
    # textbook dL = L tril(C, -1), dU = triu(C) U).
    (a,), (da,) = primals, tangents
    lu, piv = lu_p.bind(a)
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    lsq, usq = _lu_squares(lu)
    pda = _mm(_perm_matrix(piv, m, dtype_of(a)), da)
    x = triangular_solve(lsq, pda, lower=True, unit_diagonal=True)
    x = _mT(triangular_solve(usq, _mT(x), lower=False, trans=1))  # X U~^-1
    lower, upper = _lu_masks(m, n, dtype_of(x))
    dl = _mm(lsq, slice_in_dim(x * lower, 0, k, axis=-1))  # M x K
    du = _mm(slice_in_dim(x * upper, 0, k, axis=-2), usq)  # K x N
    dlu = _pad_to(dl, m, n) * lower + _pad_to(du, m, n) * upper
    return [lu, piv], [dlu, None]


def _pad_to(x, m, n):
    """`x` (M x K or K x N) with zero columns or rows to M x N."""
    r, c = shape_of(x)[-2:]
    lead = tuple(shape_of(x)[:-2])
    if c < n:
        x = fnp.concatenate([x, np.zeros(lead + (r, n - c), dtype_of(x))], -1)
    if r < m:
        x = fnp.concatenate([x, np.zeros(lead + (m - r, n), dtype_of(x))], -2)
    return x


def _lu_vjp(g, out, primals, argnums):
    # the adjoint of the JVP: K = lower (L~^T G_L) + upper (G_U U~^T), then
    # A-bar = P^T L~^-T K U~^-T
    (a,), (glu, _), (lu, piv) = primals, g, out
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    lsq, usq = _lu_squares(lu)
    lower, upper = _lu_masks(m, n, dtype_of(glu))
    gl = slice_in_dim(glu * lower, 0, k, axis=-1)  # M x K
    gu = slice_in_dim(glu * upper, 0, k, axis=-2)  # K x N
    kk = (_pad_to(_mm(_mT(lsq), gl), m, n) * lower
          + _pad_to(_mm(gu, _mT(usq)), m, n) * upper)
    z = triangular_solve(lsq, kk, lower=True, trans=1, unit_diagonal=True)  # L~^-T K
    z = _mT(triangular_solve(usq, _mT(z), lower=False))  # ... U~^-T
    return [_mm(_mT(_perm_matrix(piv, m, dtype_of(z))), z)]  # P^T ...


lu_p.jvp = _lu_jvp
lu_p.vjp = _lu_vjp
lu_p.batch = _broadcast_batch_rule(lu_p)
lu_p.abstract_eval = lambda a: [
    a,
    ShapedArray(a.shape[:-2] + (min(a.shape[-2:]),), np.int32),
]


@numpy_outside_transforms(_sl.lu_factor)
def lu_factor(a, overwrite_a=False, check_finite=True):
    """`scipy.linalg.lu_factor`: `(lu, piv)` with `A = P L U` packed in `lu`.

    Differentiable in `a`, any M x N: P A = L U gives, with C = L^-1 P dA U^-1,
    dL = L tril(C, -1) and dU = triu(C) U (square; a rectangular `a` completes L and U
    to square triangles first). `piv` is integer.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> A = np.array([[4.0, 3.0], [6.0, 3.0]])
        >>> f = lambda a: fsl.lu_solve(fsl.lu_factor(a), np.ones(2)).sum()
        >>> np.allclose(fd.grad(f)(A), fd.grad(lambda a: np.linalg.solve(a, np.ones(2)).sum())(A))
        True

        ```
    """
    (a,) = _prep(a)
    if len(shape_of(a)) < 2:
        _sl.lu_factor(np.zeros(shape_of(a)))  # SciPy's error
    lu, piv = lu_p.bind(a)
    return lu, piv


@numpy_outside_transforms(_sl.lu_solve)
def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """`scipy.linalg.lu_solve`: solve `op(A) x = b` given `lu_factor(A)`.

    Differentiable in `lu` and `b` (so, through `lu_factor`, in `A`).
    """
    lu, piv = lu_and_piv
    trans = _trans_code(trans)
    lu, b = _prep(lu, b)
    _probe(lambda x, y: _sl.lu_solve((x, np.arange(x.shape[-1])), y, check_finite=False), lu, b)
    b, vector = _as_matrix_rhs(b)
    m = shape_of(lu)[-1]
    pm = _perm_matrix(piv, m, dtype_of(b))
    if trans == 0:  # A = P^T L U
        y = triangular_solve(lu, _mm(pm, b), lower=True, unit_diagonal=True)
        x = triangular_solve(lu, y, lower=False)
    else:  # A^T = U^T L^T P (conjugated for 'C')
        y = triangular_solve(lu, b, lower=False, trans=trans)
        y = triangular_solve(lu, y, lower=True, trans=trans, unit_diagonal=True)
        x = _mm(_mT(pm), y)
    return _from_matrix_rhs(x, vector)


# -- expm -------------------------------------------------------------------------------------
expm_p = Primitive("expm", lambda a: _sl.expm(a))


def _expm(a):
    return expm_p.bind(a)


def _expm_frechet(a, e):
    """L(A, E), the derivative of expm at A in direction E: the top-right block of
    expm([[A, E], [0, A]])."""
    n = shape_of(a)[-1]
    dt = np.result_type(dtype_of(a), dtype_of(e))
    zero = np.zeros(np.broadcast_shapes(shape_of(a), shape_of(e)), dt)
    a = convert_element_type(a, dt)
    big = fnp.concatenate(
        [fnp.concatenate([a + zero, e + zero], axis=-1), fnp.concatenate([zero, a + zero], -1)],
        axis=-2,
    )
    top = slice_in_dim(_expm(big), 0, n, axis=-2)
    return slice_in_dim(top, n, 2 * n, axis=-1)


expm_p.jvp = lambda primals, tangents: (_expm(primals[0]), _expm_frechet(primals[0], tangents[0]))
expm_p.vjp = lambda g, out, primals, argnums: [_expm_frechet(_mT(primals[0]), g)]
expm_p.batch = _broadcast_batch_rule(expm_p)
expm_p.abstract_eval = lambda a: a


def _square(a):
    nd = len(shape_of(a))
    if nd < 2:
        raise np.linalg.LinAlgError("The input array must be at least two-dimensional")
    if shape_of(a)[-1] != shape_of(a)[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")


@numpy_outside_transforms(_sl.expm)
def expm(A):  # noqa: N803  (SciPy's name)
    """`scipy.linalg.expm`: the matrix exponential (of each matrix of a stack).

    The derivative in direction E is the Fréchet derivative L(A, E), computed as
    the top-right block of `expm([[A, E], [0, A]])`; the VJP is L(A^T, G).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> round(float(fd.grad(lambda s: fsl.expm(s * np.eye(2))[0, 0])(1.0)), 6)
        2.718282

        ```
    """
    (a,) = _prep(A)
    _square(a)
    return _expm(a)


# -- solve_sylvester: A X + X B = Q ------------------------------------------------------------
sylvester_p = Primitive(
    "solve_sylvester", lambda a, b, q: _sl.solve_sylvester(a, b, q), linear=(2,)
)


def _sylvester(a, b, q):
    return sylvester_p.bind(a, b, q)


def _sylvester_jvp(primals, tangents):
    (a, b, q), (da, db, dq) = primals, tangents
    x = _sylvester(a, b, q)
    rhs = dq
    for term in (None if da is None else _mm(da, x), None if db is None else _mm(x, db)):
        if term is not None:
            rhs = -term if rhs is None else rhs - term
    return x, _sylvester(a, b, rhs)


def _sylvester_vjp(g, x, primals, argnums):
    a, b, q = primals
    y = _sylvester(_mT(a), _mT(b), g)  # the transposed operator: A^T Y + Y B^T = G
    cts = {0: lambda: -_mm(y, _mT(x)), 1: lambda: -_mm(_mT(x), y), 2: lambda: y}
    return [unbroadcast(cts[i](), shape_of(primals[i])) for i in argnums]


sylvester_p.jvp = _sylvester_jvp
sylvester_p.vjp = _sylvester_vjp
sylvester_p.batch = _broadcast_batch_rule(sylvester_p)
sylvester_p.abstract_eval = lambda a, b, q: ShapedArray(
    np.broadcast_shapes(a.shape[:-2], b.shape[:-2], q.shape[:-2]) + q.shape[-2:],
    np.result_type(a.dtype, b.dtype, q.dtype),
)


@numpy_outside_transforms(_sl.solve_sylvester)
def solve_sylvester(a, b, q):
    """`scipy.linalg.solve_sylvester`: X with `A X + X B = Q`.

    Derivatives solve Sylvester equations too: `A dX + dX B = dQ - dA X - X dB`
    (JVP) and `A^T Y + Y B^T = G` (VJP: Q gets Y, A gets -Y X^T, B gets -X^T Y).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> f = lambda s: fsl.solve_sylvester(s * np.eye(1), np.eye(1), np.eye(1))[0, 0]
        >>> float(fd.grad(f)(1.0))
        -0.25

        ```
    """
    a, b, q = _prep(a, b, q)
    _probe(_sl.solve_sylvester, a, b, q)
    return _sylvester(a, b, q)


# -- sqrtm: S S = A ---------------------------------------------------------------------------
sqrtm_p = Primitive("sqrtm", lambda a: _sl.sqrtm(a))


def _sqrtm(a):
    return sqrtm_p.bind(a)


def _sqrtm_jvp(primals, tangents):
    s = _sqrtm(primals[0])
    return s, _sylvester(s, s, tangents[0])  # S dS + dS S = dA


sqrtm_p.jvp = _sqrtm_jvp
sqrtm_p.vjp = lambda g, s, primals, argnums: [
    real_for_real(_sylvester(_mT(s), _mT(s), g), primals[0])
]
sqrtm_p.batch = _broadcast_batch_rule(sqrtm_p)
sqrtm_p.abstract_eval = lambda a: a


def sqrtm(A, disp=_NoValue, blocksize=_NoValue):  # noqa: N803  (SciPy's name)
    """`scipy.linalg.sqrtm`: the principal matrix square root S (S S = A).

    The derivative solves the Sylvester equation `S dS + dS S = dA`; the VJP
    solves `S^T Y + Y S^T = G`. As in SciPy, a real matrix with negative real
    eigenvalues has a complex square root. `disp=False` also returns SciPy's
    error estimate `||S S - A||_F^2 / ||A||_F` (`disp`, `blocksize` are deprecated
    in SciPy and passed on to it outside transforms).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> float(fd.grad(lambda s: fsl.sqrtm(s * np.eye(2))[0, 0])(4.0))
        0.25

        ```
    """
    if not _state.stack:
        kwargs = {}
        if disp is not _NoValue:
            kwargs["disp"] = disp
        if blocksize is not _NoValue:
            kwargs["blocksize"] = blocksize
        return _sl.sqrtm(A, **kwargs)
    (a,) = _prep(A)
    if fnp.size(a) == 1 and len(shape_of(a)) < 2:  # SciPy's own scalar path
        return reshape(fnp.exp(a), (1, 1))
    _square(a)
    s = _sqrtm(a)
    if disp is False:
        err = fla.norm(_mm(s, s) - a, "fro") ** 2 / fla.norm(a, "fro")
        return s, err
    return s


# -- solve_banded: the dense equivalent -----------------------------------------------------
def _band_to_dense(ab, lower, upper):
    """The (..., M, M) matrix of LAPACK band storage: a[i, j] = ab[upper + i - j, j]."""
    rows, m = shape_of(ab)[-2:]
    i, j = np.indices((m, m))
    r = upper + i - j
    inside = (r >= 0) & (r < rows)
    flat_index = np.where(inside, r, 0) * m + j
    flat = reshape(ab, shape_of(ab)[:-2] + (rows * m,))
    return fnp.where(inside, fnp.take(flat, flat_index, axis=-1), 0)


@numpy_outside_transforms(_sl.solve_banded)
def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """`scipy.linalg.solve_banded`: solve `a x = b` for a banded `a` in LAPACK band storage.

    `ab[u + i - j, j] == a[i, j]`. Inside transforms the dense matrix is built from
    the band (entries outside it are ignored, with zero derivative) and
    `funcdiff.numpy.linalg.solve` does the work, so values agree with SciPy's
    banded solver to rounding.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> ab = np.array([[0.0, 1.0], [2.0, 2.0]])  # upper diagonal, then the diagonal
        >>> fd.grad(lambda b: fsl.solve_banded((0, 1), ab, b).sum())(np.ones(2)).tolist()
        [0.5, 0.25]

        ```
    """
    lower, upper = (int(v) for v in l_and_u)
    ab, b = _prep(ab, b)
    sab, sb = tuple(shape_of(ab)), tuple(shape_of(b))
    probe_ab = np.zeros(sab)
    if len(sab) >= 2 and 0 <= upper < sab[-2]:
        probe_ab[..., upper, :] = 1.0
    _sl.solve_banded((lower, upper), probe_ab, np.zeros(sb), check_finite=False)
    return fla.solve(_band_to_dense(ab, lower, upper), b)


# -- block_diag (linear) -----------------------------------------------------------------------
@numpy_outside_transforms(_sl.block_diag)
def block_diag(*arrs):
    """`scipy.linalg.block_diag`: the blocks on the diagonal of a zero matrix.

    0-d and 1-d inputs are 1 x 1 and 1 x n blocks; leading (batch) axes broadcast.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> fd.grad(lambda x: (fsl.block_diag(x, 2 * x) ** 2).sum())(np.ones(2)).tolist()
        [10.0, 10.0]

        ```
    """
    if arrs == ():
        arrs = ([],)
    arrs = [_arr(a) for a in arrs]
    arrs = [reshape(a, (1,) * (2 - len(shape_of(a))) + tuple(shape_of(a))) for a in arrs]
    dt = np.result_type(*[dtype_of(a) for a in arrs])
    batch = np.broadcast_shapes(*[tuple(shape_of(a))[:-2] for a in arrs])
    arrs = [
        fnp.broadcast_to(convert_element_type(a, dt), batch + tuple(shape_of(a))[-2:]) for a in arrs
    ]
    total = sum(shape_of(a)[-1] for a in arrs)
    rows, col = [], 0
    for a in arrs:
        n = shape_of(a)[-1]
        pad = [(0, 0)] * (len(batch) + 1) + [(col, total - col - n)]
        rows.append(fnp.pad(a, pad))
        col += n
    return fnp.concatenate(rows, axis=-2)


# -- eigh ---------------------------------------------------------------------------------------
def _hermitian(a, lower):
    """The Hermitian matrix that the `lower` (or upper) triangle of `a` stands for."""
    t = fnp.tril(a, -1) if lower else fnp.triu(a, 1)
    d = fnp.diagonal(a, 0, -2, -1)
    if _is_complex(d):
        d = real(d)
    n = shape_of(a)[-1]
    return t + _H(t) + reshape(d, shape_of(d)[:-1] + (1, n)) * np.eye(n, dtype=dtype_of(d))


def _eigh_checks(type, subset_by_index, subset_by_value, driver):  # noqa: A002
    if type not in (1, 2, 3):
        raise ValueError('"type" keyword only accepts 1, 2, and 3.')
    if subset_by_index is not None and subset_by_value is not None:
        raise ValueError("Either index or value subset can be requested.")
    drivers = (None, "ev", "evd", "evr", "evx", "gv", "gvd", "gvx")
    if driver not in drivers:
        raise ValueError(
            f'"{driver}" is unknown. Possible values are "None", '
            f'"{", ".join(d for d in drivers[1:])}".'
        )


@numpy_outside_transforms(_sl.eigh)
def eigh(
    a,
    b=None,
    *,
    lower=True,
    eigvals_only=False,
    overwrite_a=False,
    overwrite_b=False,
    type=1,
    check_finite=True,
    subset_by_index=None,
    subset_by_value=None,  # noqa: A002
    driver=None,
):
    """`scipy.linalg.eigh`: eigenvalues (ascending) and eigenvectors of a Hermitian
    matrix, or of the generalized problem with a Hermitian positive definite `b`.

    Reads the `lower` (default) or upper triangle of `a` (and `b`). Built on
    `funcdiff.numpy.linalg.eigh`; the generalized problem of `type` 1 (A v = λ B v),
    2 (A B v = λ v) or 3 (B A v = λ v) is reduced with the Cholesky factor L of B
    to a standard one (eigenvectors normalized like SciPy's: V^H B V = I, or
    V^H B^-1 V = I for type 3). `subset_by_index=[lo, hi]` keeps eigenvalues lo..hi.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> A = np.diag([1.0, 3.0])
        >>> fd.grad(lambda a: fsl.eigh(a, eigvals_only=True)[-1])(A).tolist()
        [[0.0, 0.0], [0.0, 1.0]]

        ```
    """
    _eigh_checks(type, subset_by_index, subset_by_value, driver)
    lower = bool(lower)
    if b is None:
        (a,) = _prep(a)
        _square(a)
        w, v = fla.eigh(a, "L" if lower else "U")
    else:
        a, b = _prep(a, b)
        _square(a)
        _square(b)
        if shape_of(a)[-1] != shape_of(b)[-1]:
            raise ValueError(f"wrong b dimensions {shape_of(b)}, should be {shape_of(a)}")
        w, v = _generalized_eigh(_hermitian(a, lower), b, lower, type)
    if subset_by_index is not None:
        lo, hi = (int(i) for i in subset_by_index)
        w, v = w[..., lo : hi + 1], v[..., lo : hi + 1]
    elif subset_by_value is not None:
        lo, hi = subset_by_value
        keep = np.nonzero((concrete_value(w) > lo) & (concrete_value(w) <= hi))[0]
        start, stop = (int(keep[0]), int(keep[-1]) + 1) if keep.size else (0, 0)
        w, v = w[..., start:stop], v[..., start:stop]
    return w if eigvals_only else (w, v)


def _generalized_eigh(a, b, lower, kind):
    chol = fla.cholesky(b, upper=not lower)
    low = chol if lower else _H(chol)  # B = L L^H
    if kind == 1:  # C = L^-1 A L^-H, V = L^-H U
        y = triangular_solve(low, a, lower=True)
        c = _H(triangular_solve(low, _H(y), lower=True))
    else:  # C = L^H A L; V = L^-H U (type 2) or L U (type 3)
        c = _mm(_H(low), _mm(a, low))
    w, u = fla.eigh(c)
    if kind == 3:
        return w, _mm(low, u)
    return w, triangular_solve(low, u, lower=True, trans=2)


# =============================================================================================
# decompositions and solvers (cholesky, det, inv, solve, lu, qr, qr_multiply, svd, schur,
# rsf2csf, hessenberg, polar, funm, expm_frechet, eigh_tridiagonal)
# =============================================================================================
def _concrete_or_none(x):
    try:
        return concrete_value(x)
    except ConcretizationError:
        return None


def _mask_matrix(a, mask):
    return a * np.asarray(mask, np.finfo(dtype_of(a)).dtype)


def _symmetric(a, lower):
    """The (complex) symmetric matrix that one triangle of `a` stands for (no conjugate)."""
    t = fnp.tril(a, -1) if lower else fnp.triu(a, 1)
    n = shape_of(a)[-1]
    return t + _mT(t) + _mask_matrix(a, np.eye(n))


_SOLVE_KINDS = {
    None: "general", "general": "general", "gen": "general", "diagonal": "diagonal",
    "tridiagonal": "tridiagonal", "banded": "general", "upper triangular": "upper",
    "lower triangular": "lower", "symmetric": "sym", "sym": "sym", "hermitian": "her",
    "her": "her", "positive definite": "her", "pos": "her",
}


def _structured(a, kind, lower):
    """The matrix SciPy's solver for `kind` reads from `a` (entries it ignores are dropped)."""
    n = shape_of(a)[-1]
    if kind == "general":
        return a
    if kind == "diagonal":
        return _mask_matrix(a, np.eye(n))
    if kind == "tridiagonal":
        return _mask_matrix(a, np.tri(n, n, 1) * np.tri(n, n, 1).T)
    if kind == "upper":
        return fnp.triu(a)
    if kind == "lower":
        return fnp.tril(a)
    if kind == "sym":
        return _symmetric(a, lower)
    return _hermitian(a, lower)  # 'her', 'pos'


@numpy_outside_transforms(_sl.cholesky, unless_traced=True)
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """`scipy.linalg.cholesky`: the upper (default) or `lower` Cholesky factor;
    derivative of `funcdiff.numpy.linalg.cholesky` (reads that triangle of `a`).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> A = np.array([[4.0, 2.0], [2.0, 3.0]])
        >>> fd.grad(lambda a: fsl.cholesky(a)[0, 1])(A).tolist()  # U[0, 1] = a01 / sqrt(a00)
        [[-0.125, 0.5], [0.0, 0.0]]

        ```
    """
    (a,) = _prep(a)
    _probe(lambda x: _sl.cholesky(x, check_finite=False), a)
    return fla.cholesky(a, upper=not bool(lower))


@numpy_outside_transforms(_sl.det, unless_traced=True)
def det(a, overwrite_a=False, check_finite=True):
    """`scipy.linalg.det`: the determinant; derivative `tr(adj(A) dA)` (that of
    `funcdiff.numpy.linalg.det`, valid at singular matrices too).

    As in SciPy, the result is float64 (complex128) also for single-precision input.
    """
    (a,) = _prep(a)
    _probe(lambda x: _sl.det(x, check_finite=False), a)
    d = fla.det(a)
    return convert_element_type(d, np.result_type(dtype_of(d), np.float64))


def _kind(assume_a, table):
    if assume_a not in table:
        raise ValueError(f"{assume_a} is not a recognized matrix structure")
    return table[assume_a]


_INV_KINDS = {k: v for k, v in _SOLVE_KINDS.items()
              if k in (None, "general", "gen", "diagonal", "upper triangular",
                       "lower triangular", "sym", "her", "pos")}


@numpy_outside_transforms(_sl.inv, unless_traced=True)
def inv(a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False):
    """`scipy.linalg.inv`: the inverse; derivative `-A^-1 dA A^-1` of the matrix that
    `assume_a` reads.

    `assume_a` 'upper triangular'/'lower triangular' read that triangle, 'sym', 'her'
    and 'pos' the `lower` (default: upper) triangle; `None` and 'general' the whole
    matrix. 'diagonal' inverts the diagonal and, as SciPy does, leaves the other
    entries of `a` as they are.
    """
    if assume_a not in _INV_KINDS:
        raise KeyError(assume_a)  # (SciPy's error)
    kind = _INV_KINDS[assume_a]
    (a,) = _prep(a)
    _probe(lambda x: _sl.inv(x, check_finite=False), a)
    if kind == "diagonal":
        n = shape_of(a)[-1]
        eye = np.eye(n, dtype=bool)
        return fnp.where(eye, 1.0 / fnp.where(eye, a, 1.0), a)
    return fla.inv(_structured(a, kind, bool(lower)))


@numpy_outside_transforms(_sl.solve, unless_traced=True)
def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """`scipy.linalg.solve`: `x` with `a @ x = b`; derivatives of
    `funcdiff.numpy.linalg.solve` applied to the matrix that `assume_a` reads.

    `assume_a`: None/'general'/'banded' (the whole matrix: where SciPy detects a
    structure from the values, the values agree), 'diagonal', 'tridiagonal',
    'upper triangular', 'lower triangular' (only those entries), 'sym'/'symmetric',
    'her'/'hermitian', 'pos'/'positive definite' (the `lower`, default upper,
    triangle). `transposed=True` solves `a.T @ x = b` (real `a`). A 1-D `b` is one
    vector; otherwise `b` is a (stack of) matrices `(..., N, K)`.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> A = np.array([[2.0, 9.0], [1.0, 4.0]])  # 'lower triangular': 9.0 is not read
        >>> g = fd.grad(lambda a: fsl.solve(a, np.ones(2), assume_a="lower triangular").sum())
        >>> (g(A) + 0.0).tolist()
        [[-0.1875, 0.0], [-0.125, -0.03125]]

        ```
    """
    kind = _kind(assume_a, _SOLVE_KINDS)
    a, b = _prep(a, b)
    if transposed and _is_complex(a):
        raise NotImplementedError(
            "scipy.linalg.solve can currently not solve a^T x = b or a^H x = b for "
            "complex matrices.")
    _probe(lambda x, y: _sl.solve(x, y, check_finite=False), a, b)
    m = _structured(a, kind, bool(lower))
    if transposed:
        m = _mT(m)
    b, vector = _as_matrix_rhs(b)
    return _from_matrix_rhs(pl.solve(m, b), vector)




@numpy_outside_transforms(_sl.lu, unless_traced=True)
def lu(a, permute_l=False, overwrite_a=False, check_finite=True, p_indices=False):
    """`scipy.linalg.lu`: `(P, L, U)` with `A = P L U` (any M x N; `L` is M x K and `U`
    K x N, K = min(M, N)); `(P L, U)` with `permute_l`, and the row indices `p`
    (`A = L[p] U`) instead of `P` with `p_indices`.

    Derivatives (any M x N) come from the LU primitive of `lu_factor`: with
    C = L^-1 P^T dA U^-1, dL = L tril(C, -1), dU = triu(C) U (L and U completed to
    square triangles when `a` is rectangular). `P` and `p` have no derivative (they
    hold where the pivoting does not change).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
        >>> f = lambda a: fsl.lu(a)[2][1, 1]  # U[1, 1] = a01 - a00 a11 / a10
        >>> fd.grad(f)(A).round(6).tolist()
        [[-1.333333, 1.0], [0.444444, -0.333333]]

        ```
    """
    (a,) = _prep(a)
    if len(shape_of(a)) < 2:
        _sl.lu(np.zeros(shape_of(a)))  # SciPy's error
    m, n = shape_of(a)[-2:]
    k = min(m, n)
    packed, piv = lu_p.bind(a)
    lo = fnp.tril(slice_in_dim(packed, 0, k, axis=-1), -1) + np.eye(m, k, dtype=dtype_of(a))
    up = fnp.triu(slice_in_dim(packed, 0, k, axis=-2))
    perm = lu_pivots_to_permutation(piv, m)  # A[perm] = L U
    if p_indices:
        return fnp.argsort(perm, axis=-1).astype(np.int32), lo, up
    onehot = fnp.equal(reshape(perm, shape_of(perm) + (1,)), np.arange(m))
    pmat = _mT(onehot.astype(np.finfo(dtype_of(a)).dtype))
    if permute_l:
        return _mm(pmat, lo), up
    return pmat, lo, up


# -- qr -----------------------------------------------------------------------------------------
def _qr_pivots_impl(a):
    lead, n = a.shape[:-2], a.shape[-1]
    out = np.empty(lead + (n,), np.int32)
    for idx in np.ndindex(*lead):
        out[idx] = _sl.qr(a[idx], mode="r", pivoting=True, check_finite=False)[-1]
    return out


qr_pivots_p = Primitive("qr_pivots", _qr_pivots_impl)
qr_pivots_p.jvp = lambda primals, tangents: (qr_pivots_p.bind(primals[0]), None)
qr_pivots_p.vjp = lambda g, out, primals, argnums: [None]
qr_pivots_p.batch = _broadcast_batch_rule(qr_pivots_p)
qr_pivots_p.abstract_eval = lambda a: ShapedArray(a.shape[:-2] + (a.shape[-1],), np.int32)
qr_pivots_p.nondiff = True


def _qr_parts(a, mode, pivoting):
    """(q or None, r, p or None) of SciPy's qr for `mode` in full/economic/r."""
    p = None
    if pivoting:
        p = qr_pivots_p.bind(a)
        a = fnp.take_along_axis(a, fnp.broadcast_to(_row(p), shape_of(a)), axis=-1)
    m, n = shape_of(a)[-2:]
    if mode == "r":
        (r,) = pl.qr(a, "r")
        if m > n:
            r = fnp.concatenate([r, np.zeros(shape_of(r)[:-2] + (m - n, n), dtype_of(r))], -2)
        return None, r, p
    q, r = pl.qr(a, "complete" if mode == "full" else "reduced")
    return q, r, p


@numpy_outside_transforms(_sl.qr, unless_traced=True)
def qr(a, overwrite_a=False, lwork=None, mode="full", pivoting=False, check_finite=True):
    """`scipy.linalg.qr`: `(Q, R)` ('full': Q is M x M; 'economic': M x K), `(R,)` ('r':
    R is M x N), `(Q, R, P)` with `pivoting` (`a[:, P] = Q R`).

    Derivatives are those of `funcdiff.numpy.linalg.qr` ('full' with M > N has none:
    the extra columns of Q are not unique; use 'economic'). With `pivoting`, the column
    permutation P comes from SciPy (integers, no derivative) and the QR of `a[:, P]`
    is differentiated. 'raw' (Householder reflectors) has no derivative.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> A = np.array([[3.0], [4.0]])
        >>> fd.grad(lambda a: fsl.qr(a, mode="economic")[1][0, 0])(A).round(3).tolist()
        [[-0.6], [-0.8]]

        ```
    """
    if mode not in ("full", "r", "economic", "raw"):
        raise ValueError("Mode argument should be one of ['full', 'r', 'economic', 'raw']")
    if mode == "raw":
        raise NotImplementedError(
            "qr: mode='raw' (LAPACK's Householder reflectors) has no derivative in funcdiff; "
            "use mode='economic' or 'full' inside transforms")
    (a,) = _prep(a)
    if len(shape_of(a)) < 2:
        _sl.qr(np.zeros(shape_of(a)))  # SciPy's error
    q, r, p = _qr_parts(a, mode, bool(pivoting))
    if mode == "r" and not pivoting and len(shape_of(a)) > 2:
        return r  # (SciPy 1.17 returns stacks of R this way)
    out = (r,) if mode == "r" else (q, r)
    return out + (p,) if pivoting else out


@numpy_outside_transforms(_sl.qr_multiply, unless_traced=True)
def qr_multiply(a, c, mode="right", pivoting=False, conjugate=False, overwrite_a=False,
                overwrite_c=False):
    """`scipy.linalg.qr_multiply`: `(Q @ c, R)` (mode 'left') or `(c @ Q, R)` ('right'),
    with the economic Q and R of `qr(a)` (`(..., P)` too with `pivoting`); `conjugate`
    uses conj(Q). A 1-D `c` is a vector.

    Derivatives in `a` and `c`: those of `qr` (economic) and of the product.
    """
    if mode not in ("left", "right"):
        raise ValueError(f"Mode argument can only be 'left' or 'right' but not '{mode}'")
    a, c = _prep(a, c)
    _sl.qr_multiply(np.zeros(shape_of(a)), np.zeros(shape_of(c)), mode=mode,
                    overwrite_c=bool(overwrite_c))  # SciPy's shape errors
    m, n = shape_of(a)[-2:]
    full_left = bool(overwrite_c) and mode == "left" and m > n and shape_of(c)[0] == m
    q, r, p = _qr_parts(a, "full" if full_left else "economic", bool(pivoting))
    if full_left:  # (SciPy applies all M columns of Q then)
        r = slice_in_dim(r, 0, n, axis=-2)
    if conjugate:
        q = conj(q) if _is_complex(q) else q
    vector = len(shape_of(c)) < 2
    if mode == "left":
        cq = _mm(q, reshape(c, shape_of(c) + (1,)) if vector else c)
    else:
        cq = _mm(reshape(c, (1,) + shape_of(c)) if vector else c, q)
    if vector:
        sq = tuple(shape_of(cq))
        cq = reshape(cq, sq[:-1] if mode == "left" else sq[:-2] + sq[-1:])
    return (cq, r, p) if pivoting else (cq, r)


@numpy_outside_transforms(_sl.svd, unless_traced=True)
def svd(a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True,
        lapack_driver="gesdd"):
    """`scipy.linalg.svd`: `(U, s, Vh)` or `s`; derivatives of `funcdiff.numpy.linalg.svd`.

    Singular-vector derivatives need distinct nonzero singular values and, for a
    non-square matrix, `full_matrices=False`; the vectors' signs (phases) are
    arbitrary, so differentiate phase-invariant functions such as `U diag(s) Vh`.
    `lapack_driver` is checked and otherwise ignored.
    """
    if lapack_driver not in ("gesdd", "gesvd"):
        raise ValueError(f'lapack_driver must be "gesdd" or "gesvd", not "{lapack_driver}"')
    (a,) = _prep(a)
    if len(shape_of(a)) < 2:
        _sl.svd(np.zeros(shape_of(a)))  # SciPy's error
    m, n = shape_of(a)[-2:]
    if compute_uv and full_matrices and m != n:
        # the extra columns of U or V have no derivative: the singular values come from
        # their own primitive, so that derivatives through `s` alone work in reverse mode
        u, _, vh = fla.svd(a, full_matrices=True)
        return u, fla.svd(a, compute_uv=False), vh
    out = fla.svd(a, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    return tuple(out) if compute_uv else out


@numpy_outside_transforms(_sl.polar, unless_traced=True)
def polar(a, side="right"):
    """`scipy.linalg.polar`: `(u, p)` with `a = u p` ('right') or `a = p u` ('left').

    Where `p` is square in the smaller dimension of `a` (right with M >= N, left with
    M <= N, the usual cases): `p = sqrtm(a^H a)` (or `sqrtm(a a^H)`) and `u = a p^-1`
    (`p^-1 a`), so derivatives come from sqrtm's Sylvester equation and hold at repeated
    singular values too (an orthogonal `a`); `a` must have full rank (a singular `p`
    raises LinAlgError). Otherwise (a rank-deficient `p`), from the reduced SVD
    `a = W diag(s) Vh`, as SciPy: `u = W Vh`, `p = Vh^H diag(s) Vh` (right) or
    `W diag(s) W^H` (left), whose derivatives need distinct nonzero singular values.
    """
    if side not in ("right", "left"):
        raise ValueError("`side` must be either 'right' or 'left'")
    (a,) = _prep(a)
    if len(shape_of(a)) < 2:
        raise ValueError("`a` must be a 2-D array.")
    m, n = shape_of(a)[-2:]
    if (side == "right" and m >= n) or (side == "left" and m <= n):
        gram = _mm(_H(a), a) if side == "right" else _mm(a, _H(a))
        p = _maybe_real(a, sqrtm(gram))
        p = (p + _H(p)) / 2  # (Hermitian to rounding)
        if side == "right":  # u = a p^-1 = (p^-1 a^H)^H
            return _H(pl.solve(p, _H(a))), p
        return pl.solve(p, a), p
    w, s, vh = fla.svd(a, full_matrices=False)
    u = _mm(w, vh)
    if side == "right":
        p = _mm(_H(vh) * _row(s), vh)
    else:
        p = _mm(w * _row(s), _H(w))
    return u, p


@numpy_outside_transforms(_sl.expm_frechet, unless_traced=True)
def expm_frechet(A, E, method=None, compute_expm=True, check_finite=True):  # noqa: N803
    """`scipy.linalg.expm_frechet`: `(expm(A), L(A, E))` or `L(A, E)`, the Fréchet
    derivative of expm at A in direction E.

    Both come from one `expm` of the block matrix `[[A, E], [0, A]]` (its top-left
    block is expm(A), its top-right block L(A, E)), so derivatives in A and E of any
    order are those of `expm`. `method` is checked and otherwise ignored.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> f = lambda s: fsl.expm_frechet(s * np.eye(2), np.eye(2), compute_expm=False)[0, 0]
        >>> round(float(fd.grad(f)(0.0)), 6)  # d/ds e^s at 0
        1.0

        ```
    """
    if method not in (None, "SPS", "blockEnlarge"):
        raise ValueError(f"Unknown implementation {method}")
    a, e = _prep(A, E, np.float64(0))[:2]  # SciPy computes in double precision
    _sl.expm_frechet(np.zeros(shape_of(a)), np.zeros(shape_of(e)), compute_expm=False)
    n = shape_of(a)[-1]
    zero = np.zeros(shape_of(a), dtype_of(a))
    big = fnp.concatenate(
        [fnp.concatenate([a, e], axis=-1), fnp.concatenate([zero, a], axis=-1)], axis=-2)
    top = slice_in_dim(_expm(big), 0, n, axis=-2)
    frechet = slice_in_dim(top, n, 2 * n, axis=-1)
    if not compute_expm:
        return frechet
    return slice_in_dim(top, 0, n, axis=-1), frechet


# -- eigh_tridiagonal ---------------------------------------------------------------------------
def _tridiagonal_dense(d, e):
    """The symmetric tridiagonal matrix of diagonal `d` and off-diagonal `e` (stacks too)."""
    n = shape_of(d)[-1]
    sd = np.zeros((n, n * n))
    sd[np.arange(n), np.arange(n) * (n + 1)] = 1.0
    se = np.zeros((max(n - 1, 0), n * n))
    k = np.arange(n - 1)
    se[k, k * n + k + 1] = 1.0
    se[k, (k + 1) * n + k] = 1.0
    dt = dtype_of(d)
    flat = fnp.matmul(d, sd.astype(dt)) + fnp.matmul(e, se.astype(dt))
    return reshape(flat, tuple(shape_of(d)[:-1]) + (n, n))


@numpy_outside_transforms(_sl.eigh_tridiagonal, unless_traced=True)
def eigh_tridiagonal(d, e, eigvals_only=False, select="a", select_range=None,
                     check_finite=True, tol=0.0, lapack_driver="auto"):
    """`scipy.linalg.eigh_tridiagonal`: eigenvalues (ascending) and eigenvectors of the
    real symmetric tridiagonal matrix with diagonal `d` and off-diagonal `e`.

    Inside transforms the dense matrix is built and `funcdiff.numpy.linalg.eigh`
    differentiated (eigenvectors may differ from SciPy's by a sign per column).
    `select` 'a' (all), 'i' (indices `select_range = (lo, hi)`, inclusive) or 'v'
    (values in `(lo, hi]`, which needs concrete values: not under vmap/jit).
    `tol` and `lapack_driver` are checked by SciPy and otherwise ignored.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> g = fd.grad(lambda d: fsl.eigh_tridiagonal(d, np.ones(1), eigvals_only=True)[-1])
        >>> g(np.array([1.0, 1.0])).round(6).tolist()
        [0.5, 0.5]

        ```
    """
    d, e = _prep(d, e)
    if _is_complex(d) or _is_complex(e):
        raise TypeError("Only real arrays currently supported")
    _sl.eigh_tridiagonal(np.zeros(shape_of(d)), np.zeros(shape_of(e)), eigvals_only=True,
                         select=select, select_range=select_range, tol=tol,
                         lapack_driver=lapack_driver)  # SciPy's argument checks
    w, v = fla.eigh(_tridiagonal_dense(d, e))
    sel = select.lower() if isinstance(select, str) else select
    if sel in ("i", 1):
        lo, hi = (int(i) for i in select_range)
        w, v = w[..., lo: hi + 1], v[..., lo: hi + 1]
    elif sel in ("v", 2):
        lo, hi = select_range
        wv = _concrete_or_none(w)
        if wv is None:
            raise NotImplementedError(
                "eigh_tridiagonal: select='v' needs concrete values (not under vmap or jit); "
                "use select='i'")
        keep = np.nonzero((wv > lo) & (wv <= hi))[0]
        start, stop = (int(keep[0]), int(keep[-1]) + 1) if keep.size else (0, 0)
        w, v = w[..., start:stop], v[..., start:stop]
    return w if eigvals_only else (w, v)


# -- funm ---------------------------------------------------------------------------------------
def _maybe_real(a, f):
    """SciPy's rule: a real `a` with a complex `f` whose imaginary part is ~0 gives real `f`.
    Without concrete values (vmap, jit), the result is taken as real."""
    if _is_complex(a) or not _is_complex(f):
        return f
    fv = _concrete_or_none(f)
    if fv is not None:
        single = np.finfo(dtype_of(f)).bits <= 64
        tol = np.finfo(np.float32).eps * 1e3 if single else np.finfo(np.float64).eps * 1e6
        if not np.allclose(fv.imag, 0.0, atol=tol):
            return f
    return real(f)


def _distinct_eigenvalues(w):
    """funm's guard: inside transforms it goes through the eigendecomposition, whose
    derivative does not exist at repeated eigenvalues (and loses all accuracy near them)."""
    n = w.shape[-1]
    if n < 2:
        return
    gap = np.abs(w[..., :, None] - w[..., None, :]) + np.where(np.eye(n, dtype=bool), np.inf, 0)
    scale = np.maximum(1.0, np.max(np.abs(w), axis=-1))
    if np.any(np.min(gap, axis=(-2, -1)) <= 1e-8 * scale):
        raise ValueError(
            "funm: the matrix has repeated (or nearly repeated) eigenvalues. Inside "
            "transforms funm is computed from the eigendecomposition A = V diag(w) V^-1, "
            "whose derivative does not exist there (SciPy's own funm loses accuracy there "
            "too). Use a dedicated function (expm, sqrtm, fnp.linalg.matrix_power, ...), or "
            "give funm a matrix with distinct eigenvalues")


@numpy_outside_transforms(_sl.funm, unless_traced=True)
def funm(A, func, disp=True):  # noqa: N803
    """`scipy.linalg.funm`: the matrix function `f(A)` of a scalar function `func`.

    Inside transforms `func` (vectorized, written with NumPy or funcdiff operations) is
    applied to the (complex) eigenvalues of a diagonalizable `A = V diag(w) V^-1`:
    `f(A) = V diag(func(w)) V^-1`, differentiated through `funcdiff.numpy.linalg.eig`:
    the eigenvalues must be distinct (a ValueError otherwise, where the values exist:
    eagerly, when a jitted function runs, on the whole batch under vmap). SciPy uses the
    Schur-Parlett algorithm: the values agree to rounding. As in SciPy, a real `A` gives
    a real result when its imaginary part is ~0 (always real under vmap/jit, where values
    are abstract). `disp=False` also returns SciPy's error estimate, computed by SciPy
    from the concrete values.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> a = np.array([[1.0, 2.0], [0.5, 3.0]])
        >>> g = fd.grad(lambda a: fsl.funm(a, np.exp).sum())(a)  # == the derivative of expm
        >>> bool(np.allclose(g, fd.grad(lambda a: fsl.expm(a).sum())(a)))
        True

        ```
    """
    (a,) = _prep(A)
    _probe(lambda x: _sl.funm(x, np.exp), a)
    w, v = fla.eig(a)
    w = check(w, w, test=_distinct_eigenvalues)
    cdt = np.result_type(dtype_of(a), np.complex64)
    w, v = convert_element_type(w, cdt), convert_element_type(v, cdt)
    fw = func(w)
    f = _mT(pl.solve(_mT(v), _mT(v * _row(fw))))  # V diag(f(w)) V^-1
    f = _maybe_real(a, f)
    if disp:
        return f
    av = _concrete_or_none(a)
    if av is None:
        raise NotImplementedError(
            "funm: disp=False (SciPy's error estimate) needs concrete values (not under "
            "vmap or jit)")
    return f, _sl.funm(av, func, disp=False)[1]


# -- schur and hessenberg: A = Z T Z^H; with E = Z^H dA Z and X = Z^H dZ (skew-Hermitian),
#    dT = E - X T + T X, and X's strictly lower part L solves the entries of this equation
#    where dT is zero (a linear system in L, triangular in a suitable order: nonsingular
#    for distinct eigenvalues, for an unreduced Hessenberg matrix). --------------------------
def _commutator_matrix(t, rows, cols):
    """The matrix of L -> (L T - T L) at the flat positions `rows`, for L supported on the
    flat positions `cols` (stacks of T)."""
    n = shape_of(t)[-1]
    lead = tuple(shape_of(t)[:-2])
    eye = np.eye(n, dtype=dtype_of(t))
    t1 = reshape(eye, (n, 1, n, 1)) * reshape(_mT(t), lead + (1, n, 1, n))
    t2 = reshape(t, lead + (n, 1, n, 1)) * reshape(eye, (1, n, 1, n))
    k = reshape(t1 - t2, lead + (n * n, n * n))
    return fnp.take(fnp.take(k, rows, axis=-2), cols, axis=-1)


def _flat_take(x, idx):
    n = shape_of(x)[-1]
    return fnp.take(reshape(x, tuple(shape_of(x)[:-2]) + (n * n,)), idx, axis=-1)


def _flat_put(v, idx, n):
    """The (..., n, n) matrix with `v` at the flat positions `idx`, zero elsewhere."""
    s = np.zeros((len(idx), n * n))
    s[np.arange(len(idx)), idx] = 1.0
    return reshape(fnp.matmul(v, s.astype(np.finfo(dtype_of(v)).dtype)),
                   tuple(shape_of(v)[:-1]) + (n, n))


def _vec_solve(k, v):
    return reshape(pl.solve(k, reshape(v, shape_of(v) + (1,))), shape_of(v))


def _similarity_index_sets(n, zero_below, fixed_first):
    """Flat positions where dT must vanish (below diagonal `-zero_below`), and the unknown
    strictly lower entries of X (not in column 0 when the first column of Z is fixed)."""
    i, j = np.indices((n, n))
    rows = np.flatnonzero(i - j >= zero_below)
    cols = np.flatnonzero((i > j) & (j >= (1 if fixed_first else 0)))
    return rows, cols


def _sub_index(n):
    """Flat positions of the subdiagonal (j + 1, j)."""
    return np.arange(n - 1) * (n + 1) + n


def _phase_matrix(n, dtype):
    """C with theta = s @ C: theta[0] = 0, theta[j + 1] = s[0] + ... + s[j]."""
    return np.triu(np.ones((max(n - 1, 0), n), dtype), 1)


def _guarded_commutator(t, rows, cols, zero_below):
    k = _commutator_matrix(t, rows, cols)
    name = "schur" if zero_below == 1 else "hessenberg"
    return check(k, k, test=functools.partial(_nonsingular_commutator, name))


def _similarity_jvp(t, z, da, zero_below, fixed_first, real_subdiagonal=False):
    """(dT, dZ) of A = Z T Z^H. With `real_subdiagonal` (complex Hessenberg form), the
    phases diag(X) = i theta keep T's subdiagonal real, as LAPACK's reflectors do."""
    n = shape_of(t)[-1]
    rows, cols = _similarity_index_sets(n, zero_below, fixed_first)
    e = _mm(_H(z), _mm(da, z))
    keep = np.tri(n, n, zero_below - 1).T.astype(np.finfo(dtype_of(e)).dtype)  # triu(., 1-zb)
    if not len(rows):
        dt, dz = e * keep, _mm(z, e * 0)
    else:
        k = _guarded_commutator(t, rows, cols, zero_below)
        low = _flat_put(_vec_solve(k, _flat_take(e, rows)), cols, n)
        x = low - _H(low)
        dt, dz = (e - _mm(x, t) + _mm(t, x)) * keep, _mm(z, x)
    if real_subdiagonal and _is_complex(t) and n > 1:
        sub = _sub_index(n)
        s = imag(_flat_take(dt, sub)) / real(_flat_take(t, sub))
        theta = fnp.matmul(s, _phase_matrix(n, dtype_of(s)))
        dt = dt + 1j * t * (_row(theta) - reshape(theta, shape_of(theta) + (1,)))
        dz = dz + z * _row(1j * theta)
    return dt, dz


def _similarity_adjoint(gt, gz, t, z, zero_below, fixed_first, real_subdiagonal=False):
    """The adjoint (for Re tr(X^H Y)) of dA -> (dT, dZ) of `_similarity_jvp`."""
    n = shape_of(t)[-1]
    rows, cols = _similarity_index_sets(n, zero_below, fixed_first)
    keep = np.tri(n, n, zero_below - 1).T.astype(np.finfo(dtype_of(t)).dtype)
    gt = None if _is_zero(gt) else gt * keep
    gz = None if _is_zero(gz) else gz
    if real_subdiagonal and _is_complex(t) and n > 1 and (gt is not None or gz is not None):
        gtheta = None
        if gz is not None:
            p = _mm(_H(z), gz)
            gtheta = imag(fnp.diagonal(p, 0, -2, -1))
        if gt is not None:
            w = imag(gt * conj(t))
            term = fnp.sum(w, axis=-2) - fnp.sum(w, axis=-1)
            gtheta = term if gtheta is None else gtheta + term
        gs = fnp.matmul(gtheta, _phase_matrix(n, dtype_of(gtheta)).T)
        sub = _sub_index(n)
        extra = _flat_put(1j * gs / real(_flat_take(t, sub)), sub, n)
        gt = extra if gt is None else gt + extra
    ge, gx = None, None
    if gt is not None:
        ge = gt
        gx = _mm(_H(t), ge) - _mm(ge, _H(t))
    if gz is not None:
        term = _mm(_H(z), gz)
        gx = term if gx is None else gx + term
    if gx is not None and len(rows):
        gl = _flat_take(gx - _H(gx), cols)
        k = _guarded_commutator(t, rows, cols, zero_below)
        gev = _flat_put(_vec_solve(_H(k), gl), rows, n)
        ge = gev if ge is None else ge + gev
    if ge is None:
        return None
    return _mm(z, _mm(ge, _H(z)))


def _triangular(t):
    """schur's guard (output='real'): the derivatives below need a triangular T."""
    if np.any(np.diagonal(t, -1, -2, -1) != 0):
        raise NotImplementedError(
            "schur: derivatives of the real Schur form need real eigenvalues (a triangular "
            "T); this matrix has complex ones (2x2 blocks). Use output='complex'.")


def _nonsingular_commutator(name, k):
    """schur's and hessenberg's guard: the linear system for the derivative is singular at
    repeated eigenvalues (schur) or at a reduced Hessenberg form (a zero subdiagonal
    entry, hessenberg of an identity, say), where the factors have no derivative."""
    if not np.all(np.isfinite(np.linalg.cond(k))) or np.any(np.linalg.cond(k) > 1e14):
        what = ("repeated eigenvalues" if name == "schur" else
                "a reduced Hessenberg form (a zero subdiagonal entry)")
        raise ValueError(
            f"{name}: the factors have no derivative at this matrix ({what}): their "
            "derivative is not unique there. Differentiate a function of the matrix that "
            "does not depend on the choice of factors, or perturb the matrix")


def _schur_impl(a, output, sort):
    lead = a.shape[:-2]
    cdt = np.result_type(a.dtype, np.complex64) if output == "complex" else a.dtype
    t = np.empty(a.shape, cdt)
    z = np.empty(a.shape, cdt)
    sdim = np.empty(lead, np.int32)
    for idx in np.ndindex(*lead):
        res = _sl.schur(a[idx], output=output, sort=sort, check_finite=False)
        t[idx], z[idx] = res[0], res[1]
        if sort is not None:
            sdim[idx] = res[2]
    return [t, z] if sort is None else [t, z, sdim]


schur_p = Primitive("schur", _schur_impl, multiple_results=True)


def _schur_checked(a, output, sort):
    outs = schur_p.bind(a, output=output, sort=sort)
    t = outs[0]
    if output == "real":
        t = check(t, t, test=_triangular)
    return outs, t, outs[1]


def _schur_jvp(primals, tangents, output, sort):
    (a,), (da,) = primals, tangents
    outs, t, z = _schur_checked(a, output, sort)
    dt, dz = _similarity_jvp(t, z, da, 1, False)
    return outs, [dt, dz] + ([None] if sort is not None else [])


def _schur_adjoint(g, out, primals, argnums, output, sort):
    (a,) = primals
    outs, t, z = _schur_checked(a, output, sort)
    return [_similarity_adjoint(g[0], g[1], t, z, 1, False)]


def _schur_abstract_eval(a, output, sort):
    cdt = np.result_type(a.dtype, np.complex64) if output == "complex" else a.dtype
    outs = [ShapedArray(a.shape, cdt), ShapedArray(a.shape, cdt)]
    return outs if sort is None else outs + [ShapedArray(a.shape[:-2], np.int32)]


schur_p.jvp = _schur_jvp
schur_p.vjp = _adjoint_vjp(_schur_adjoint)
schur_p.batch = _broadcast_batch_rule(schur_p)
schur_p.abstract_eval = _schur_abstract_eval


@numpy_outside_transforms(_sl.schur, unless_traced=True)
def schur(a, output="real", lwork=None, overwrite_a=False, sort=None, check_finite=True):
    """`scipy.linalg.schur`: `(T, Z)` with `A = Z T Z^H` (and `sdim` with `sort`).

    Derivatives for distinct eigenvalues, with T triangular (output 'complex', or
    'real' when all eigenvalues are real; real 2x2 blocks raise NotImplementedError):
    with E = Z^H dA Z and X = Z^H dZ skew-Hermitian, dT = E - X T + T X, whose
    strictly lower part must vanish; that fixes the strictly lower part of X (a
    linear system with the coefficients T_jj - T_ii). Z's column phases are
    arbitrary (as in LAPACK): the rule keeps diag(X) = 0, so differentiate
    phase-invariant functions (|T|, |Z|, Z T Z^H, ...).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> A = np.array([[1.0, 2.0], [0.5, 3.0]])
        >>> t_sum = lambda a: fsl.schur(a)[0][0, 0] + fsl.schur(a)[0][1, 1]  # the trace
        >>> bool(np.allclose(fd.grad(t_sum)(A), np.eye(2)))
        True
        >>> z_abs = lambda a: abs(fsl.schur(a)[1][0, 0])  # |Z|: free of the sign convention
        >>> fd.grad(z_abs)(A).shape
        (2, 2)

        ```
    """
    if output not in ("real", "complex", "r", "c"):
        raise ValueError("argument must be 'real', or 'complex'")
    output = {"r": "real", "c": "complex"}.get(output, output)
    (a,) = _prep(a)
    _probe(lambda x: _sl.schur(x, check_finite=False), a)
    if isinstance(sort, str) and sort not in ("lhp", "rhp", "iuc", "ouc"):
        raise ValueError("'sort' parameter must either be 'None', or a callable, or "
                         "one of ('lhp','rhp','iuc','ouc')")
    if _is_complex(a):
        output = "complex"
    outs = schur_p.bind(a, output=output, sort=sort)
    if sort is not None and not shape_of(outs[2]):
        sdim = _concrete_or_none(outs[2])
        if sdim is not None:
            outs[2] = int(sdim)  # a Python int, as SciPy's
    return tuple(outs)


# -- hessenberg: A = Q H Q^H, Q e1 = e1 ---------------------------------------------------------
def _hessenberg_impl(a):
    h = np.empty_like(a)
    q = np.empty_like(a)
    for idx in np.ndindex(*a.shape[:-2]):
        h[idx], q[idx] = _sl.hessenberg(a[idx], calc_q=True, check_finite=False)
    return [h, q]


hessenberg_p = Primitive("hessenberg", _hessenberg_impl, multiple_results=True)


def _hessenberg_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    h, q = hessenberg_p.bind(a)
    dh, dq = _similarity_jvp(h, q, da, 2, True, real_subdiagonal=True)
    return [h, q], [dh, dq]


def _hessenberg_adjoint(g, out, primals, argnums):
    h, q = out
    return [_similarity_adjoint(g[0], g[1], h, q, 2, True, real_subdiagonal=True)]


hessenberg_p.jvp = _hessenberg_jvp
hessenberg_p.vjp = _adjoint_vjp(_hessenberg_adjoint)
hessenberg_p.batch = _broadcast_batch_rule(hessenberg_p)
hessenberg_p.abstract_eval = lambda a: [a, a]


@numpy_outside_transforms(_sl.hessenberg, unless_traced=True)
def hessenberg(a, calc_q=False, overwrite_a=False, check_finite=True):
    """`scipy.linalg.hessenberg`: the upper Hessenberg form `H` (and `Q` with `calc_q`),
    `A = Q H Q^H`, from Householder reflections (`Q e1 = e1`).

    Derivatives (unreduced H: nonzero subdiagonal): with E = Q^H dA Q and
    X = Q^H dQ skew-Hermitian with zero first column, dH = E - X H + H X, whose
    entries below the subdiagonal vanish; that fixes X's strictly lower part (a
    linear system with the subdiagonal of H as pivots). For complex matrices
    X's diagonal phases keep H's subdiagonal real, as LAPACK's reflectors do, so H
    and Q themselves are differentiable (real or complex; the signs are LAPACK's,
    smooth where H's subdiagonal keeps its signs). For n <= 2, H is `a` and Q the
    identity, as in SciPy.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy import linalg as fsl
        >>> A = np.arange(9.0).reshape(3, 3) + np.eye(3)
        >>> g = fd.grad(lambda a: fsl.hessenberg(a).trace())(A)  # similarity keeps the trace
        >>> bool(np.allclose(g, np.eye(3)))
        True

        ```
    """
    (a,) = _prep(a)
    _probe(lambda x: _sl.hessenberg(x, check_finite=False), a)
    n = shape_of(a)[-1]
    if n <= 2:  # already Hessenberg: SciPy returns `a` and a float64 identity
        q = np.broadcast_to(np.eye(n), tuple(shape_of(a)[:-2]) + (n, n)).copy()
        return (a, q) if calc_q else a
    h, q = hessenberg_p.bind(a)
    return (h, q) if calc_q else h


# -- rsf2csf: Givens rotations of the 2x2 blocks of a real Schur form ------------------------
@numpy_outside_transforms(_sl.rsf2csf, unless_traced=True)
def rsf2csf(T, Z, check_finite=True):  # noqa: N803
    """`scipy.linalg.rsf2csf`: the complex Schur form `(T, Z)` of a real one.

    SciPy's algorithm written with funcdiff operations (differentiable): for each
    subdiagonal entry above SciPy's threshold, a Givens rotation from the block's
    eigenvalue (in closed form) is applied to T and Z; where the entry is below the
    threshold the rotation is the identity (a `where`, so vmap and jit work).
    """
    z, t = (_arr(x) for x in (Z, T))
    for name, x in (("Z", z), ("T", t)):
        s = shape_of(x)
        if len(s) < 2 or s[-1] != s[-2]:
            raise ValueError(f"Input '{name}' must be square.")
    if shape_of(t)[-1] != shape_of(z)[-1]:
        raise ValueError(
            f"Input array shapes must match: Z: {shape_of(z)} vs. T: {shape_of(t)}")
    cdt = np.result_type(dtype_of(z), dtype_of(t), np.complex64)
    t, z = convert_element_type(t, cdt), convert_element_type(z, cdt)
    batch = np.broadcast_shapes(shape_of(t)[:-2], shape_of(z)[:-2])
    n = shape_of(t)[-1]
    t = fnp.broadcast_to(t, batch + (n, n))
    eps = np.finfo(float).eps
    for m in range(n - 1, 0, -1):
        a_, b_, c_, d_ = (_scalar_mat(t[..., i, j])
                          for i, j in ((m - 1, m - 1), (m - 1, m), (m, m - 1), (m, m)))
        rotate = fnp.abs(c_) > eps * (fnp.abs(a_) + fnp.abs(d_))
        p = (a_ - d_) / 2
        disc = fnp.where(rotate, p * p + b_ * c_, -1.0)
        mu = p + fnp.sqrt(disc)  # eigenvalue of the block minus T[m, m] (LAPACK's first)
        r = fnp.sqrt(real(mu * conj(mu)) + real(c_ * conj(c_)))
        r = fnp.where(rotate, r, 1.0)
        cc = fnp.where(rotate, mu / r, 1.0)
        s = fnp.where(rotate, c_ / r, 0.0)
        g = np.eye(n, dtype=cdt)
        rot = np.zeros((4, n, n), np.finfo(cdt).dtype)
        rot[0, m - 1, m - 1] = rot[1, m - 1, m] = rot[2, m, m - 1] = rot[3, m, m] = 1.0
        gm = fnp.where(np.eye(n, dtype=bool) & ~np.isin(np.arange(n), [m - 1, m]), g, 0.0)
        gm = gm + conj(cc) * rot[0] + s * rot[1] - s * rot[2] + cc * rot[3]
        t = _mm(_mm(gm, t), _H(gm))
        z = _mm(z, _H(gm))
        keep = np.ones((n, n), np.finfo(cdt).dtype)
        keep[m, m - 1] = 0.0
        t = t * keep
    return t, z
