"""The implementation of `funcdiff.scipy.linalg`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

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
from funcdiff._src.lax.elementwise import conj, convert_element_type, real, real_for_real
from funcdiff._src.lax.linalg import _H, _is_complex, _mm, _mT
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


def _lu_factors(lu):
    """L (unit lower) and U of a square packed `lu`."""
    n = shape_of(lu)[-1]
    return fnp.tril(lu, -1) + np.eye(n, dtype=dtype_of(lu)), fnp.triu(lu)


def _right_solve_upper(x, lu):
    """x U^-1 (U the upper triangle of lu)."""
    return _mT(triangular_solve(lu, _mT(x), lower=False, trans=1))


def _check_square_lu(a):
    m, n = shape_of(a)[-2:]
    if m != n:
        raise NotImplementedError(
            f"lu_factor: derivatives need a square matrix, got shape {shape_of(a)}"
        )


def _lu_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    _check_square_lu(a)
    lu, piv = lu_p.bind(a)
    l_, u_ = _lu_factors(lu)
    pda = _mm(_perm_matrix(piv, shape_of(a)[-2], dtype_of(a)), da)
    c = _right_solve_upper(triangular_solve(lu, pda, lower=True, unit_diagonal=True), lu)
    dlu = _mm(l_, fnp.tril(c, -1)) + _mm(fnp.triu(c), u_)
    return [lu, piv], [dlu, None]


def _lu_vjp(g, out, primals, argnums):
    (a,), (glu, _), (lu, piv) = primals, g, out
    _check_square_lu(a)
    l_, u_ = _lu_factors(lu)
    k = fnp.tril(_mm(_mT(l_), glu), -1) + fnp.triu(_mm(glu, _mT(u_)))
    z = triangular_solve(lu, k, lower=True, trans=1, unit_diagonal=True)  # L^-T K
    z = _mT(triangular_solve(lu, _mT(z), lower=False))  # ... U^-T
    return [_mm(_mT(_perm_matrix(piv, shape_of(a)[-2], dtype_of(z))), z)]  # P^T ...


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

    Differentiable in `a` (square matrices): P A = L U gives, with
    C = L^-1 P dA U^-1, dL = L tril(C, -1) and dU = triu(C) U. `piv` is integer.

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
