"""Linear-algebra primitives: solve, inv, adjugate, det, slogdet, cholesky, eigh, eig, svd,
qr, pinv.

Each implementation is the `numpy.linalg` function, which already works on
stacks of matrices `(..., M, N)`. Each primitive is followed by its rules:

- JVP and VJP: the standard closed forms, written with funcdiff operations
  (`matmul`, this module's `solve`, ...) so that they are differentiable
  themselves (any order) and batchable. Solves replace explicit inverses
  wherever the formula allows.
- Batching: NumPy's linalg broadcasts over leading axes, so the batch axis is
  moved to the front and the primitive is bound again (output batch axis 0).
- Complex values follow JAX's convention (VJPs are linear, not
  conjugate-linear). The VJPs of holomorphic maps (solve, inv, adjugate, det)
  are written with plain transposes. The others are written as the usual adjoint
  for the real inner product `Re tr(X^H Y)` and wrapped by `_adjoint_vjp`,
  which conjugates the cotangents in and out: that turns one convention into
  the other (`ct_jax = conj(adjoint(conj(g)))`).
- Decompositions of Hermitian matrices (cholesky, eigh) read one triangle.
  The public functions (funcdiff/_src/numpy/linalg.py) first rebuild the Hermitian
  matrix from that triangle, so these primitives may assume Hermitian inputs
  and derivatives agree with finite differences of NumPy's functions.

Singular matrices: det's rules use the adjugate (its derivative), never a solve, so
det is differentiable to any order at every matrix; slogdet, inv and solve have no
derivative there and raise LinAlgError.

Degenerate spectra: eigenvector derivatives (eigh, eig) contain 1/(λj - λi)
and singular-vector derivatives (svd) 1/(sj² - si²); they are inf/NaN when
eigenvalues or singular values coincide (the vectors are not differentiable
functions there). A cotangent of exactly zero for the vectors skips those
terms, so functions of the eigenvalues or singular values alone stay finite.
"""

from __future__ import annotations

import math

import numpy as np

from funcdiff._src import backend
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
from funcdiff._src.lax.contraction import einsum
from funcdiff._src.lax.elementwise import (
    abs,  # noqa: A004
    conj,
    convert_element_type,
    divide,
    equal,
    imag,
    mul_safe,
    real,
    real_for_real,
    where,
)
from funcdiff._src.lax.reductions import argmax
from funcdiff._src.lax.shape import (
    bdim_to_front,
    broadcast_tangent,
    concatenate,
    move_batch_axes,
    reduce_sum,
    reshape,
    slice_in_dim,
    transpose,
    unbroadcast,
)


# -- helpers (funcdiff operations, so rules stay differentiable) -------------------------
def _is_complex(x):
    return dtype_of(x).kind == "c"


def _real_dtype(x):
    return np.finfo(dtype_of(x)).dtype


def _cj(x):
    """conj(x) for complex values; real values unchanged."""
    return conj(x) if _is_complex(x) else x


def _mT(x):
    """Swap the last two axes."""
    nd = len(shape_of(x))
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


def _H(x):
    """Conjugate transpose of the last two axes."""
    return _cj(_mT(x))


def _mm(a, b):
    """Matrix product of two stacks of matrices (batch axes broadcast)."""
    sa, sb = shape_of(a), shape_of(b)
    batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    a, b = broadcast_tangent(a, batch + sa[-2:]), broadcast_tangent(b, batch + sb[-2:])
    axes = "abcdefghlmnop"[: len(batch)]
    return einsum(f"{axes}ij,{axes}jk->{axes}ik", a, b)


def _diag(x):
    """The diagonals of a stack of matrices: a strided slice of the flattened last two axes."""
    shape = shape_of(x)
    n, m = shape[-2:]
    length = min(n, m)
    flat = reshape(x, shape[:-2] + (n * m,))
    return slice_in_dim(flat, 0, (length - 1) * (m + 1) + 1 if length else 0, m + 1, len(shape) - 2)


def _sum_last(x, k):
    """Sum over the last `k` axes."""
    nd = len(shape_of(x))
    return reduce_sum(x, tuple(range(nd - k, nd)))


def _sum_axis(x, axis):
    """Sum over one (negative) axis."""
    return reduce_sum(x, (len(shape_of(x)) + axis,))


def _trace(x):
    return _sum_last(_diag(x), 1)


def _tri_mask(x, k, upper):
    """`x` with the entries below (upper) or above (lower) the `k`-th diagonal zeroed."""
    n, m = shape_of(x)[-2:]
    mask = ~np.tri(n, m, k=k - 1, dtype=bool) if upper else np.tri(n, m, k=k, dtype=bool)
    return mul_safe(x, mask.astype(dtype_of(x)))


def _row(v):
    """(..., n) -> (..., 1, n): `x * _row(v)` scales column j of x by v[j] (x @ diag(v))."""
    s = shape_of(v)
    return reshape(v, s[:-1] + (1, s[-1]))


def _col(v):
    """(..., n) -> (..., n, 1): `_col(v) * x` scales row i of x by v[i] (diag(v) @ x)."""
    return reshape(v, shape_of(v) + (1,))


def _diag_embed(v):
    """(..., n) -> (..., n, n) with `v` on the diagonal."""
    n = shape_of(v)[-1]
    return _row(v) * np.eye(n, dtype=_real_dtype(v))


def _scalar_mat(c):
    """(...) -> (..., 1, 1), to scale a stack of matrices."""
    return reshape(c, shape_of(c) + (1, 1))


def _is_zero(g):
    """True for a cotangent known to be zero (instantiated zeros of an unused output)."""
    return g is None or (isinstance(g, (np.ndarray, np.generic)) and not np.any(g))


def _inv_diffs(w):
    """F[..., i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (inf where w[i] == w[j])."""
    n = shape_of(w)[-1]
    d = _row(w) - _col(w)
    eye = np.eye(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        return where(eye, 0.0, divide(1.0, where(eye, 1.0, d)))


def _lower_mask(x, k):
    """tril(ones) with 1/2 on the diagonal when k == 0.5 (Phi of the Cholesky rule)."""
    n = shape_of(x)[-1]
    return np.tril(np.ones((n, n), _real_dtype(x)), -1) + k * np.eye(n, dtype=_real_dtype(x))


def _adjoint_vjp(adjoint):
    """A VJP in JAX's convention from `adjoint`, the adjoint for Re tr(X^H Y)."""

    def vjp(g, out, primals, argnums, **params):
        g = [_cj(c) for c in g] if isinstance(g, list) else _cj(g)
        cts = adjoint(g, out, primals, argnums, **params)
        return [None if c is None else real_for_real(_cj(c), primals[i])
                for i, c in zip(argnums, cts)]

    return vjp


def _front_batch_rule(prim):
    """Batch rule of a one-argument primitive: batch axis first, bind again."""

    def rule(args, dims, **params):
        return prim.bind(bdim_to_front(args[0], dims[0]), **params), 0

    return rule



# -- solve: x = a^-1 b for a stack of matrices b (..., M, K) ------------------------------
def _xp_solve(xp, a, b):
    """`numpy.linalg.solve` on array-API arrays: `b` a vector (a.ndim - 1 dims) or matrices
    (the standard's `solve` broadcasts `b` as a stack of matrices only)."""
    if b.ndim == a.ndim - 1:
        return xp.linalg.solve(a, b[..., None])[..., 0]
    return xp.linalg.solve(a, b)


solve_p = Primitive("solve", lambda a, b: np.linalg.solve(a, b), linear=(1,))
solve_p.xp_impl = backend.not_chunked(_xp_solve)


def solve(a, b):
    """Solve a x = b with `b` a stack of matrices `(..., M, K)` (leading axes broadcast)."""
    return solve_p.bind(a, b)


def _solve_jvp(primals, tangents):
    (a, b), (da, db) = primals, tangents
    x = solve(a, b)
    rhs = db
    if da is not None:
        rhs = -_mm(da, x) if rhs is None else rhs - _mm(da, x)
    return x, solve(a, rhs)


def _solve_vjp(g, x, primals, argnums):
    a, b = primals
    gb = solve(_mT(a), g)
    return [
        unbroadcast(-_mm(gb, _mT(x)), shape_of(a)) if i == 0 else unbroadcast(gb, shape_of(b))
        for i in argnums
    ]


solve_p.jvp = _solve_jvp
solve_p.vjp = _solve_vjp
solve_p.batch = lambda args, dims: (solve(*move_batch_axes(args, dims)), 0)
solve_p.abstract_eval = lambda a, b: ShapedArray(
    np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:],
    np.result_type(a.dtype, b.dtype),
)


# -- inv: d(A^-1) = -A^-1 dA A^-1 ------------------------------------------------------------
inv_p = Primitive("inv", np.linalg.inv)
inv_p.xp_impl = backend.not_chunked(lambda xp, a: xp.linalg.inv(a))


def inv(a):
    return inv_p.bind(a)


def _inv_jvp(primals, tangents):
    b = inv(primals[0])
    return b, -_mm(b, _mm(tangents[0], b))


inv_p.jvp = _inv_jvp
inv_p.vjp = lambda g, b, primals, argnums: [-_mm(_mT(b), _mm(g, _mT(b)))]
inv_p.batch = _front_batch_rule(inv_p)
inv_p.abstract_eval = lambda a: a


# -- adjugate: adj(A) = det(A) A^-1, the transposed cofactor matrix, exact at every rank ----
# det's derivative is adj(A)^T and adj is a polynomial in A, so the derivatives of det of
# every order exist at singular matrices too; they are built here without solving.
#
# Values (`_adjugate_np`): det(A) * inv(A) when the LU of A has no zero pivot and the inverse
# is finite. That product stays accurate (normwise) when A is ill conditioned, even singular
# up to rounding, as checked against exact rational arithmetic at ranks n - 1 and n - 2 (see
# also G. W. Stewart, "On the adjugate matrix", Linear Algebra Appl. 283, 1998). Otherwise
# the SVD A = U S V^H gives adj(A) = c V adj(S) U^H with c = det(U) det(V^H) and
# adj(S) = diag(prod_{j != i} s_j), products taken without dividing.
#
# First derivative (`adjugate_jvp`, L(A)[E] = d adj(A)[E]): adj(A + E) = c V adj(S + F) U^H
# with F = U^H E V exactly (U, V held fixed), and at a diagonal S
#     d adj(S)[F] = diag(Q diag(F)) - Q * F,   Q_ij = prod_{l not in {i, j}} s_l (Q_ii = 0),
# a polynomial in s: no singular-vector derivative, so it holds at repeated (zero) singular
# values too. Where A is well conditioned the same map is det(A) (tr(X E) X - X E X), X = A^-1.
# The map is its own transpose up to transposes (d adj(A)_ji / dA_kl = d2 det / dA_ij dA_kl
# is symmetric), so the VJPs of adjugate and of adjugate_jvp in `e` are
# E -> L(A)[E^T]^T.
#
# Second derivative, for the rules of adjugate_jvp in `a` (third derivatives of det): the
# cofactor identity adj(A)_ji = (-1)^(i+j) det(M_ij), M_ij = A without row i and column j,
# gives d2 adj(A)[X, Y]_ji = (-1)^(i+j) tr(L(M_ij)[X_ij] Y_ij) over the (n-1) x (n-1) minors
# (one gather builds them all); adjugate_jvp on that stack recurses the same way down to
# 2 x 2 matrices, where adj is linear and its second derivative is 0. Its cost is O(n^5).
def _np_mT(x):
    return np.swapaxes(x, -1, -2)


def _np_H(x):
    x = np.swapaxes(x, -1, -2)
    return x.conj() if x.dtype.kind == "c" else x


def _adjugate_small(a):
    """adj of 0 x 0 (empty), 1 x 1 ([[1]]) and 2 x 2 ([[d, -b], [-c, a]]) matrices, exactly."""
    n = a.shape[-1]
    if n < 2:
        return np.ones_like(a)
    out = np.empty_like(a)
    out[..., 0, 0] = a[..., 1, 1]
    out[..., 1, 1] = a[..., 0, 0]
    out[..., 0, 1] = 0 - a[..., 0, 1]  # 0 - x, not -x: no negative zeros
    out[..., 1, 0] = 0 - a[..., 1, 0]
    return out


def _prod_except_one(s):
    """p[..., i] = prod_{j != i} s[..., j], without dividing (exact where some s_j are 0)."""
    one = np.ones_like(s[..., :1])
    pre = np.cumprod(np.concatenate([one, s[..., :-1]], axis=-1), axis=-1)
    suf = np.cumprod(np.concatenate([one, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return pre * suf


def _prod_except_two(s):
    """q[..., i, j] = prod_{l not in {i, j}} s[..., l] off the diagonal, 0 on it."""
    n = s.shape[-1]
    eye = np.eye(n, dtype=bool)
    t = np.where(eye, np.ones((), s.dtype), s[..., None, :])  # row i: s with s_i -> 1
    return np.where(eye, np.zeros((), s.dtype), _prod_except_one(t))


def _svd_parts(a):
    """V, s, U^H and c = det(U) det(V^H) of A = U diag(s) V^H: adj(A) = c V adj(S) U^H."""
    u, s, vh = np.linalg.svd(a)
    c = (np.linalg.det(u) * np.linalg.det(vh))[..., None, None]
    return _np_H(vh), s, _np_H(u), c


def _regular_inverse(a):
    """inv(a), or None where its LU has an exactly zero pivot or the inverse overflows."""
    try:
        x = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return None
    # finite? (a sum of squares: one BLAS call; it overflows only near 1e154, where the
    # SVD route is the better one anyway)
    return x if math.isfinite(np.vdot(x, x).real) else None


def _adjugate_svd(a):
    if not np.isfinite(a).all():  # NaN or inf in: NaN out, as det * inv would give
        return np.full_like(a, np.nan)
    v, s, uh, c = _svd_parts(a)
    return np.matmul(c * v * _prod_except_one(s)[..., None, :], uh)


def _adjugate_np(a):
    """adj(a) of a stack of square NumPy matrices."""
    if a.shape[-1] <= 2:
        return _adjugate_small(a)
    x = _regular_inverse(a)
    if x is None:
        return _adjugate_svd(a)
    return x * np.linalg.det(a)[..., None, None]


def _cofactor_np(a, d, g):
    """g * adj(a)^T (det's VJP) on NumPy values, `d` = det(a) known: one LU, not two."""
    x = _regular_inverse(a) if a.shape[-1] > 2 else None
    if x is None:
        return _np_mT(_adjugate_np(a)) * np.asarray(g)[..., None, None]
    gd = g * d
    return x.T * gd if x.ndim == 2 else _np_mT(x) * gd[..., None, None]


def _well_conditioned(a, x):
    """Whether det(A) (tr(X E) X - X E X), X = A^-1, is accurate: it cancels terms of size
    |X|^2, so its error grows like eps * kappa(A); kappa_1 <= eps^(-1/4) keeps it small."""
    with np.errstate(over="ignore"):
        kappa = np.abs(a).sum(axis=-2).max(axis=-1) * np.abs(x).sum(axis=-2).max(axis=-1)
    return bool(np.all(kappa <= np.finfo(x.dtype).eps ** -0.25))


def _adjugate_jvp_inv(x, d, e):
    """L(A)[E] = det(A) (tr(X E) X - X E X) from X = A^-1 and d = det(A)[..., None, None]."""
    xe = np.matmul(x, e)
    tr = np.trace(xe, axis1=-2, axis2=-1)[..., None, None]
    return d * (tr * x - np.matmul(xe, x))


def _adjugate_jvp_svd(a, e):
    """L(A)[E] = c V (diag(Q diag(F)) - Q * F) U^H, F = U^H E V: exact at any rank."""
    if not (np.isfinite(a).all() and np.isfinite(e).all()):
        return np.full(np.broadcast_shapes(a.shape, e.shape), np.nan, np.result_type(a, e))
    v, s, uh, c = _svd_parts(a)
    f = np.matmul(np.matmul(uh, e), v)
    q = _prod_except_two(s)
    k = -q * f
    i = np.arange(s.shape[-1])
    k[..., i, i] = np.einsum("...ik,...k->...i", q, np.diagonal(f, 0, -2, -1))
    return c * np.matmul(np.matmul(v, k), uh)


def _adjugate_jvp_np(a, e):
    """L(a)[e] = d adj(a)[e] for stacks of square NumPy matrices (leading axes broadcast)."""
    n = a.shape[-1]
    dtype = np.result_type(a, e)
    if n <= 2:  # adj is constant (n <= 1) or linear (n = 2)
        small = np.zeros_like(e) if n < 2 else _adjugate_small(e)
        return np.broadcast_to(small, np.broadcast_shapes(a.shape, e.shape)).astype(dtype)
    x = _regular_inverse(a)
    if x is not None and _well_conditioned(a, x):
        out = _adjugate_jvp_inv(x, np.linalg.det(a)[..., None, None], e)
    else:
        out = _adjugate_jvp_svd(a, e)
    return out.astype(dtype, copy=False)


def _adjugate_jvp_rule(primals, tangents):
    (a,), (e,) = primals, tangents
    if isinstance(a, Tracer) or isinstance(e, Tracer) or shape_of(a)[-1] <= 2:
        return adjugate(a), adjugate_jvp(a, e)
    # plain values: one inverse and one det serve the value and the derivative
    x = _regular_inverse(a)
    if x is None:
        return _adjugate_svd(a), _adjugate_jvp_svd(a, e)
    d = np.linalg.det(a)[..., None, None]
    dot = _adjugate_jvp_inv(x, d, e) if _well_conditioned(a, x) else _adjugate_jvp_svd(a, e)
    return x * d, dot


adjugate_p = Primitive("adjugate", _adjugate_np)
adjugate_jvp_p = Primitive("adjugate_jvp", _adjugate_jvp_np, linear=(1,))


# on other libraries: through the inverse, for regular matrices only (a singular one fails
# in the library's `inv`, never a wrong number; NumPy's path above is exact at any rank)
def _adjugate_xp(xp, a):
    return xp.linalg.det(a)[..., None, None] * xp.linalg.inv(a)


def _adjugate_jvp_xp(xp, a, e):
    x = xp.linalg.inv(a)
    xe = xp.matmul(x, e)
    tr = xp.sum(xp.linalg.diagonal(xe), axis=-1)[..., None, None]
    return xp.linalg.det(a)[..., None, None] * (tr * x - xp.matmul(xe, x))


adjugate_p.xp_impl = backend.not_chunked(_adjugate_xp)
adjugate_jvp_p.xp_impl = backend.not_chunked(_adjugate_jvp_xp)


def adjugate(a):
    """adj(A) = det(A) A^-1 (the transposed cofactor matrix) of a stack of square matrices,
    at any rank; differentiable to any order (d det(A) = tr(adj(A) dA))."""
    return adjugate_p.bind(a)


def adjugate_jvp(a, e):
    """d adj(A)[E], linear in `e` (leading axes of `a` and `e` broadcast)."""
    return adjugate_jvp_p.bind(a, e)


_MINORS = {}


def _minor_index(n):
    """Index arrays that gather the (n-1) x (n-1) minors M_ij of an n x n matrix into
    axes (..., i, j, :, :), and the signs (-1)^(i+j)."""
    if n not in _MINORS:
        keep = np.array([[k for k in range(n) if k != i] for i in range(n)], dtype=np.intp)
        ar = np.arange(n)
        sign = 1 - 2 * ((ar[:, None] + ar[None, :]) % 2)
        _MINORS[n] = (keep[:, None, :, None], keep[None, :, None, :], sign.astype(np.int8))
    return _MINORS[n]


def _adjugate_d2(a, x, y):
    """d2 adj(A)[X, Y] (symmetric, bilinear), from the cofactor identity over the minors:
    entry (j, i) is (-1)^(i+j) tr(L(M_ij)[X_ij] Y_ij). Zero for n <= 2 (callers skip it)."""
    n = shape_of(a)[-1]
    rows, cols, sign = _minor_index(n)
    lm = adjugate_jvp(a[..., rows, cols], x[..., rows, cols])  # (..., n, n, n-1, n-1)
    t = _sum_last(lm * _mT(y[..., rows, cols]), 2)  # (..., n, n) at [i, j]
    return _mT(t * sign)


def _adjugate_vjp(g, out, primals, argnums):
    return [_mT(adjugate_jvp(primals[0], _mT(g)))]


adjugate_p.jvp = _adjugate_jvp_rule
adjugate_p.vjp = _adjugate_vjp
adjugate_p.residuals = "inputs"
adjugate_p.batch = _front_batch_rule(adjugate_p)
adjugate_p.abstract_eval = lambda a: a


def _adjugate_jvp_jvp(primals, tangents):
    (a, e), (da, de) = primals, tangents
    t = None if de is None else adjugate_jvp(a, de)
    if da is not None and shape_of(a)[-1] > 2:
        t2 = _adjugate_d2(a, e, da)
        t = t2 if t is None else t + t2
    return adjugate_jvp(a, e), t


def _adjugate_jvp_vjp(g, out, primals, argnums):
    a, e = primals
    gt = _mT(g)
    cts = []
    for i in argnums:
        if i == 1:
            cts.append(unbroadcast(_mT(adjugate_jvp(a, gt)), shape_of(e)))
        elif shape_of(a)[-1] > 2:  # d/dA <G, L(A)[E]> = d2 adj(A)[G^T, E]^T
            cts.append(unbroadcast(_mT(_adjugate_d2(a, gt, e)), shape_of(a)))
        else:
            cts.append(None)
    return cts


adjugate_jvp_p.jvp = _adjugate_jvp_jvp
adjugate_jvp_p.vjp = _adjugate_jvp_vjp
adjugate_jvp_p.residuals = "inputs"
adjugate_jvp_p.batch = lambda args, dims: (adjugate_jvp(*move_batch_axes(args, dims)), 0)
adjugate_jvp_p.abstract_eval = lambda a, e: ShapedArray(
    np.broadcast_shapes(a.shape, e.shape), np.result_type(a.dtype, e.dtype)
)


# -- det: d det = tr(adj(A) dA); the VJP is the cofactor matrix g * adj(A)^T (no solve) ------
det_p = Primitive("det", np.linalg.det)
det_p.xp_impl = backend.not_chunked(lambda xp, a: xp.linalg.det(a))


def det(a):
    return det_p.bind(a)


def _det_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    d = det(a)
    if isinstance(a, Tracer):
        return d, _sum_last(_mT(adjugate(a)) * da, 2)
    # plain values: det(A) is known, so the cofactors cost one LU (an inverse)
    cof = _cofactor_np(a, d, np.ones((), a.dtype))
    if isinstance(da, Tracer):
        return d, _sum_last(cof * da, 2)
    return d, (cof * da).sum(axis=(-2, -1))


def _det_vjp(g, d, primals, argnums):
    (a,) = primals
    if not _state.stack:  # a first-order backward pass: plain values, det(A) known
        return [_cofactor_np(a, d, g)]
    return [_scalar_mat(g) * _mT(adjugate(a))]


det_p.jvp = _det_jvp
det_p.vjp = _det_vjp
det_p.batch = _front_batch_rule(det_p)
det_p.abstract_eval = lambda a: ShapedArray(a.shape[:-2], a.dtype)


# -- slogdet: (sign, log|det|); d log|det| = Re t, d sign = sign * i Im t, t = tr(A^-1 dA) ---
slogdet_p = Primitive("slogdet", lambda a: list(np.linalg.slogdet(a)), multiple_results=True)
slogdet_p.xp_impl = backend.not_chunked(lambda xp, a: list(xp.linalg.slogdet(a)))


def slogdet(a):
    return slogdet_p.bind(a)


def _check_nonsingular(sign):
    """slogdet's derivative does not exist at a singular matrix: raise a clear LinAlgError
    where the sign is known (abstract values of jit and vmap: the solve raises NumPy's
    `LinAlgError: Singular matrix` when it runs)."""
    try:
        sign = concrete_value(sign)
    except ConcretizationError:
        return
    if not np.all(sign):
        raise np.linalg.LinAlgError(
            "slogdet: no derivative at a singular matrix. log|det(A)| is -inf there and, "
            "like log|x| at 0, has no derivative (d log|det| = tr(A^-1 dA), A^-1 does not "
            "exist). det itself is differentiable everywhere (its gradient is the cofactor "
            "matrix)."
        )


def _slogdet_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    sign, logdet = slogdet(a)
    _check_nonsingular(sign)
    t = _trace(solve(a, da))
    if not _is_complex(a):
        return [sign, logdet], [None, t]
    return [sign, logdet], [sign * (1j * imag(t)), real(t)]


def _slogdet_vjp(g, out, primals, argnums):
    (g_sign, g_log), (sign, _) = g, out
    _check_nonsingular(sign)
    c = g_log
    if _is_complex(primals[0]) and not _is_zero(g_sign):
        c = g_log + 1j * imag(g_sign * sign)
    return [_scalar_mat(c) * _mT(inv(primals[0]))]


slogdet_p.jvp = _slogdet_jvp
slogdet_p.vjp = _slogdet_vjp
slogdet_p.batch = _front_batch_rule(slogdet_p)
slogdet_p.abstract_eval = lambda a: [
    ShapedArray(a.shape[:-2], a.dtype),
    ShapedArray(a.shape[:-2], np.finfo(a.dtype).dtype),
]


# -- cholesky: A = L L^H; dL = L Phi(L^-1 dA L^-H), Phi = lower triangle, diagonal halved ------
cholesky_p = Primitive("cholesky", lambda a, upper: np.linalg.cholesky(a, upper=upper))
cholesky_p.xp_impl = backend.not_chunked(
    lambda xp, a, upper: xp.linalg.cholesky(a, upper=upper))


def cholesky(a, upper=False):
    return cholesky_p.bind(a, upper=upper)


def _cholesky_jvp(primals, tangents, upper):
    (a,), (da,) = primals, tangents
    out = cholesky(a, upper)
    low = _H(out) if upper else out
    c = solve(low, _H(solve(low, _H(da))))  # L^-1 dA L^-H
    dl = _mm(low, c * _lower_mask(c, 0.5))
    return out, _H(dl) if upper else dl


def _cholesky_adjoint(g, out, primals, argnums, upper):
    low, g = (_H(out), _H(g)) if upper else (out, g)
    p = _mm(_H(low), g) * _lower_mask(low, 0.5)
    z = solve(_H(low), p)  # L^-H P
    return [_H(solve(_H(low), _H(z)))]  # L^-H P L^-1


cholesky_p.jvp = _cholesky_jvp
cholesky_p.vjp = _adjoint_vjp(_cholesky_adjoint)
cholesky_p.batch = _front_batch_rule(cholesky_p)
cholesky_p.abstract_eval = lambda a, upper: a


# -- eigh: A = V diag(w) V^H; dw = diag(C), dV = V (F * C), C = V^H dA V ----------------------
eigh_p = Primitive(
    "eigh", lambda a, UPLO: list(np.linalg.eigh(a, UPLO=UPLO)), multiple_results=True
)
eigh_p.xp_impl = backend.not_chunked(lambda xp, a, UPLO: list(xp.linalg.eigh(  # noqa: N803
    a if UPLO == "L" else xp.conj(xp.matrix_transpose(a)))))


def eigh(a, UPLO="L"):  # noqa: N803  (NumPy's name)
    return eigh_p.bind(a, UPLO=UPLO)


def _eigh_jvp(primals, tangents, UPLO):  # noqa: N803
    (a,), (da,) = primals, tangents
    w, v = eigh(a, UPLO)
    c = _mm(_H(v), _mm(da, v))
    dw = _diag(c)
    if _is_complex(dw):
        dw = real(dw)
    return [w, v], [dw, _mm(v, mul_safe(_inv_diffs(w), c))]


def _eigh_adjoint(g, out, primals, argnums, UPLO):  # noqa: N803
    (gw, gv), (w, v) = g, out
    inner = _diag_embed(gw)
    if not _is_zero(gv):
        inner = inner + mul_safe(_inv_diffs(w), _mm(_H(v), gv))
    return [_mm(v, _mm(inner, _H(v)))]


eigh_p.jvp = _eigh_jvp
eigh_p.vjp = _adjoint_vjp(_eigh_adjoint)
eigh_p.batch = _front_batch_rule(eigh_p)
eigh_p.abstract_eval = lambda a, UPLO: [
    ShapedArray(a.shape[:-1], np.finfo(a.dtype).dtype),
    a,
]


# -- eig (general): A V = V diag(w); C = V^-1 dA V, dw = diag(C), dV = V (F * C) -----------
# NumPy (LAPACK geev) normalizes each eigenvector to unit norm with its largest
# component real; the rules follow that gauge (two projections below), so
# eigenvector derivatives match finite differences of numpy.linalg.eig.
eig_p = Primitive("eig", lambda a: list(np.linalg.eig(a)), multiple_results=True)


def eig(a):
    return eig_p.bind(a)


def _eig_gauge(v):
    """One-hot mask of each column's largest component (no derivative), and that component."""
    shape = shape_of(v)
    big = argmax(abs(v), len(shape) - 2)
    mask = convert_element_type(equal(np.arange(shape[-2])[:, None], _row(big)), _real_dtype(v))
    return mask, _sum_axis(mask * v, -2)


def _eig_project(v, dv):
    """Keep the gauge: Re(v_k^H dv_k) = 0 (unit norm) and, for complex v, the largest
    component of each v_k stays real. Self-adjoint for Re tr(X^H Y) up to the order."""
    dv = dv - v * _row(real(_sum_axis(_cj(v) * dv, -2)))
    if _is_complex(v):
        mask, vmax = _eig_gauge(v)
        e = _sum_axis(mask * dv, -2) / vmax
        dv = dv - v * _row(1j * imag(e))
    return dv


def _eig_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    w, v = eig(a)
    c = solve(v, _mm(da, v))
    dv = _mm(v, mul_safe(_inv_diffs(w), c))
    return [w, v], [_diag(c), _eig_project(v, dv)]


def _eig_adjoint(g, out, primals, argnums):
    (gw, gv), (w, v) = g, out
    inner = _diag_embed(gw)
    if not _is_zero(gv):
        if _is_complex(v):  # adjoint of the "largest component real" projection
            mask, vmax = _eig_gauge(v)
            k = _sum_axis(_cj(v) * gv, -2)
            gv = gv + mask * _row(-1j * imag(k) / _cj(vmax))
        gv = gv - v * _row(real(_sum_axis(_cj(v) * gv, -2)))
        inner = inner + mul_safe(_cj(_inv_diffs(w)), _mm(_H(v), gv))
    return [solve(_H(v), _mm(inner, _H(v)))]  # V^-H inner V^H


eig_p.jvp = _eig_jvp
eig_p.vjp = _adjoint_vjp(_eig_adjoint)
eig_p.batch = _front_batch_rule(eig_p)


def _eig_abstract_eval(a):
    cdt = np.result_type(a.dtype, np.complex64)
    return [ShapedArray(a.shape[:-1], cdt), ShapedArray(a.shape, cdt)]


eig_p.abstract_eval = _eig_abstract_eval


# -- svd: A = U diag(s) V^H (derivatives for reduced factors) ------------------------------------
def _svd_impl(a, full_matrices, compute_uv):
    out = np.linalg.svd(a, full_matrices=full_matrices, compute_uv=compute_uv)
    return list(out) if compute_uv else [out]


svd_p = Primitive("svd", _svd_impl, multiple_results=True)
svd_p.xp_impl = backend.not_chunked(lambda xp, a, full_matrices, compute_uv: (
    list(xp.linalg.svd(a, full_matrices=full_matrices)) if compute_uv
    else [xp.linalg.svdvals(a)]))


def svd(a, full_matrices=False, compute_uv=True):
    """[u, s, vh], or [s] when `compute_uv` is False."""
    return svd_p.bind(a, full_matrices=full_matrices, compute_uv=compute_uv)


def _svd_check(a, full_matrices, compute_uv):
    m, n = shape_of(a)[-2:]
    if compute_uv and full_matrices and m != n:
        raise NotImplementedError(
            "svd: derivatives of the singular vectors need full_matrices=False for a "
            f"non-square matrix (got shape {shape_of(a)}): the extra columns of U or V are "
            "not unique."
        )


def _svd_jvp(primals, tangents, full_matrices, compute_uv):
    (a,), (da,) = primals, tangents
    _svd_check(a, full_matrices, compute_uv)
    out = svd(a, full_matrices, compute_uv)
    u, s, vh = out if compute_uv else svd(a)
    v = _H(vh)
    dav = _mm(da, v)
    dp = _mm(_H(u), dav)  # U^H dA V
    ds = _diag(dp)
    ds = real(ds) if _is_complex(ds) else ds
    if not compute_uv:
        return out, [ds]
    f = _inv_diffs(s * s)  # 1 / (sj^2 - si^2)
    dps = dp * _row(s)  # dP S
    sdp = _col(s) * dp  # S dP
    du = _mm(u, mul_safe(f, dps + _H(dps)))
    dv = _mm(v, mul_safe(f, sdp + _H(sdp)))
    if _is_complex(dp):  # the phase: V^H dV gets a zero diagonal, U takes it all
        du = du + u * _row(1j * imag(_diag(dp)) / s)
    m, n = shape_of(a)[-2:]
    if m > n:
        du = du + (dav - _mm(u, dp)) / _row(s)
    if n > m:
        dahu = _mm(_H(da), u)
        dv = dv + (dahu - _mm(v, _H(dp))) / _row(s)
    return out, [du, ds, _H(dv)]


def _svd_adjoint(g, out, primals, argnums, full_matrices, compute_uv):
    (a,) = primals
    _svd_check(a, full_matrices, compute_uv)
    if not compute_uv:
        (gs,), (u, _, vh) = g, svd(a)
        return [_mm(u * _row(gs), vh)]
    (gu, gs, gvh), (u, s, vh) = g, out
    m, n = shape_of(a)[-2:]
    inner = _diag_embed(gs)
    extra = None
    if not _is_zero(gu):
        k = _mm(_H(u), gu)
        j = mul_safe(_inv_diffs(s * s), k)
        inner = inner + (j + _H(j)) * _row(s)
        if _is_complex(k):
            inner = inner + _diag_embed(1j * imag(_diag(k)) / s)
        if m > n:
            extra = _mm((gu - _mm(u, k)) / _row(s), vh)
    if not _is_zero(gvh):
        gv = _H(gvh)
        v = _H(vh)
        lv = mul_safe(_inv_diffs(s * s), _mm(vh, gv))
        inner = inner + _col(s) * (lv + _H(lv))
        if n > m:
            term = _mm(u / _row(s), gvh - _mm(_mm(gvh, v), vh))
            extra = term if extra is None else extra + term
    ct = _mm(u, _mm(inner, vh))
    return [ct if extra is None else ct + extra]


svd_p.jvp = _svd_jvp
svd_p.vjp = _adjoint_vjp(_svd_adjoint)
svd_p.batch = _front_batch_rule(svd_p)


def _svd_abstract_eval(a, full_matrices, compute_uv):
    *lead, m, n = a.shape
    lead, k = tuple(lead), min(m, n)
    s = ShapedArray(lead + (k,), np.finfo(a.dtype).dtype)
    if not compute_uv:
        return [s]
    ku, kv = (m, n) if full_matrices else (k, k)
    return [ShapedArray(lead + (m, ku), a.dtype), s, ShapedArray(lead + (kv, n), a.dtype)]


svd_p.abstract_eval = _svd_abstract_eval


# -- qr: A = Q R. With C = Q^H dA R^-1 and M = triu(C, 1) + tril(C, -1)^H + Re diag(C):
#    dR = M R and dQ = dA R^-1 - Q M. For M < N, A = [X Y] with X square: Q R1 = X
#    gives dQ, dR1, and R2 = Q^H Y gives dR2 = dQ^H Y + Q^H dY. ------------------------------
def _qr_impl(a, mode):
    out = np.linalg.qr(a, mode=mode)
    return [out] if mode == "r" else list(out)


qr_p = Primitive("qr", _qr_impl, multiple_results=True)
qr_p.xp_impl = backend.not_chunked(lambda xp, a, mode: (
    list(xp.linalg.qr(a, mode=mode)) if mode in ("reduced", "complete")
    else [xp.linalg.qr(a)[1]]))


def qr(a, mode="reduced"):
    """[q, r] (modes "reduced", "complete") or [r] (mode "r")."""
    return qr_p.bind(a, mode=mode)


def _qr_parts(a, mode):
    m, n = shape_of(a)[-2:]
    if mode == "complete" and m > n:
        raise NotImplementedError(
            "qr: derivatives of mode='complete' need M <= N (the extra columns of Q are not "
            f"unique); got shape {shape_of(a)}. Use mode='reduced'."
        )
    q, r = qr(a, "reduced") if mode == "r" else qr(a, mode)
    return q, r, m, n


def _right_solve(b, r):
    """b R^-1 for upper-triangular R (a solve with R^H)."""
    return _H(solve(_H(r), _H(b)))


def _qr_jvp(primals, tangents, mode):
    (a,), (da,) = primals, tangents
    q, r, m, n = _qr_parts(a, mode)
    r1, dx = (r[..., :m], da[..., :m]) if m < n else (r, da)
    dxr = _right_solve(dx, r1)
    c = _mm(_H(q), dxr)
    mm = _tri_mask(c, 1, upper=True) + _H(_tri_mask(c, -1, upper=False)) + _diag_embed(
        real(_diag(c))
    )
    dq = dxr - _mm(q, mm)
    dr = _mm(mm, r1)
    if m < n:
        dr2 = _mm(_H(dq), a[..., m:]) + _mm(_H(q), da[..., m:])
        dr = concatenate([dr, dr2], len(shape_of(dr)) - 1)
    if mode == "r":
        return [r], [dr]
    return [q, r], [dq, dr]


def _qr_adjoint(g, out, primals, argnums, mode):
    (a,) = primals
    q, r, m, n = _qr_parts(a, mode)
    gq, gr = (None, g[0]) if mode == "r" else g
    gq = None if _is_zero(gq) else gq
    r1, gr1 = (r[..., :m], gr[..., :m]) if m < n else (r, gr)
    if m < n:
        y, gr2 = a[..., m:], gr[..., m:]
        gq = _mm(y, _H(gr2)) if gq is None else gq + _mm(y, _H(gr2))
    nn = _mm(gr1, _H(r1))
    if gq is not None:
        nn = nn - _mm(_H(q), gq)
    up = _tri_mask(nn, 1, upper=True)
    ms = up + _H(up) + _diag_embed(real(_diag(nn)))
    b = _mm(q, ms) if gq is None else gq + _mm(q, ms)
    gx = _H(solve(r1, _H(b)))  # b R^-H
    if m < n:
        gx = concatenate([gx, _mm(q, gr2)], len(shape_of(gx)) - 1)
    return [gx]


qr_p.jvp = _qr_jvp
qr_p.vjp = _adjoint_vjp(_qr_adjoint)
qr_p.batch = _front_batch_rule(qr_p)


def _qr_abstract_eval(a, mode):
    *lead, m, n = a.shape
    lead, k = tuple(lead), min(m, n)
    kq = m if mode == "complete" else k
    r = ShapedArray(lead + (kq, n), a.dtype)
    return [r] if mode == "r" else [ShapedArray(lead + (m, kq), a.dtype), r]


qr_p.abstract_eval = _qr_abstract_eval


# -- pinv (constant rank): dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P ----------
pinv_p = Primitive(
    "pinv", lambda a, rcond, hermitian: np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)
)
pinv_p.xp_impl = backend.not_chunked(lambda xp, a, rcond, hermitian: xp.linalg.pinv(
    a, rtol=rcond))


def pinv(a, rcond=1e-15, hermitian=False):
    """Pseudo-inverse; `rcond` is a Python float (relative cutoff for singular values)."""
    return pinv_p.bind(a, rcond=rcond, hermitian=hermitian)


def _pinv_jvp(primals, tangents, **params):
    (a,), (da,) = primals, tangents
    p = pinv(a, **params)
    dah, ph = _H(da), _H(p)
    dp = -_mm(p, _mm(da, p))
    dp = dp + _mm(_mm(p, ph), dah - _mm(_mm(dah, a), p))
    dp = dp + _mm(dah - _mm(p, _mm(a, dah)), _mm(ph, p))
    return p, dp


def _pinv_adjoint(g, p, primals, argnums, **params):
    (a,) = primals
    gh, ph = _H(g), _H(p)
    ct = -_mm(ph, _mm(g, ph))
    ct = ct + _mm(gh - _mm(a, _mm(p, gh)), _mm(p, ph))
    ct = ct + _mm(_mm(ph, p), gh - _mm(_mm(gh, p), a))
    return [ct]


pinv_p.jvp = _pinv_jvp
pinv_p.vjp = _adjoint_vjp(_pinv_adjoint)
pinv_p.batch = _front_batch_rule(pinv_p)
pinv_p.abstract_eval = lambda a, **params: ShapedArray(
    a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype
)
