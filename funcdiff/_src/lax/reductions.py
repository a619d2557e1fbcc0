"""Reduction primitives: sum, max/min, prod, cumulative sums and products, sorting.

Each primitive is followed by its rules, written with funcdiff operations so
that they can be differentiated again. Conventions:

- `reduce_max`/`reduce_min` split the derivative evenly among tied extrema
  (the minimum-norm subgradient); the weights are a constant mask.
- `reduce_prod` and `cumprod` never divide: the derivative of a product is
  the product of the *other* factors, computed with exclusive cumulative
  products, so zeros (one or many) in the input are exact at every order.
- The derivative of `cumprod` is a first-order linear recurrence
  `h[i] = a[i] * h[i-1] + b[i]` (`linear_recurrence`), whose own rules are
  again linear recurrences: the family is closed under differentiation.
- Sorting is `gather_along_axis(x, argsort(x))`: `argsort` has no
  derivative, the gather is linear and its transpose scatters back.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src import backend
from funcdiff._src.core import Primitive, ShapedArray, dtype_of, shape_of
from funcdiff._src.lax.elementwise import (
    add,
    convert_element_type,
    divide,
    equal,
    isnan,
    logical_or,
    multiply,
)
from funcdiff._src.lax.shape import (
    axis_batch_rule,
    broadcast_to,
    keepdims_shape,
    linear_primitive,
    reduce_sum,
    reduced_shape,
    reduction_rule,
    reshape,
    sum_dtype,
    transpose,
)

_BOOL, _INTP = np.dtype(bool), np.dtype(np.intp)


def _same_dtype(dtype):
    return dtype


def _scan_rule(dtype_rule):
    """The shape/dtype rule of a cumulative op along `axis` (None: over the flattened x)."""
    return lambda x, axis, reverse: ShapedArray(
        x.shape if axis is not None else (x.size,), dtype_rule(x.dtype)
    )


# -- max and min: ties share the derivative evenly ----------------------------
def _tie_weights(x, out, axes):
    """1/count at the elements equal to the reduced value (NaNs count as equal), else 0."""
    keep = keepdims_shape(shape_of(x), axes)
    hit = logical_or(equal(x, reshape(out, keep)), isnan(x))
    w = convert_element_type(hit, dtype_of(x))
    return divide(w, reshape(reduce_sum(w, axes), keep))


def _extremum(name, impl):
    prim = Primitive(name, lambda x, axes: impl(x, axis=axes))

    def jvp(primals, tangents, axes):
        (x,), (t,) = primals, tangents
        out = prim.bind(x, axes=axes)
        return out, reduce_sum(multiply(t, _tie_weights(x, out, axes)), axes)

    def vjp(g, out, primals, argnums, axes):
        x = primals[0]
        g = reshape(g, keepdims_shape(shape_of(x), axes))
        return [multiply(g, _tie_weights(x, out, axes))]

    prim.jvp, prim.vjp = jvp, vjp
    return axis_batch_rule(prim)


reduce_max_p = _extremum("reduce_max", np.maximum.reduce)
reduce_max_p.xp_impl = lambda xp, x, axes: xp.max(x, axis=axes)
reduce_max_p.sparsity = "reduce"
reduce_min_p = _extremum("reduce_min", np.minimum.reduce)
reduce_min_p.xp_impl = lambda xp, x, axes: xp.min(x, axis=axes)
reduce_min_p.sparsity = "reduce"
reduce_max_p.abstract_eval = reduce_min_p.abstract_eval = reduction_rule(_same_dtype)


def reduce_max(x, axes):
    """Maximum over the tuple of non-negative `axes`; ties split the derivative."""
    return reduce_max_p.bind(x, axes=tuple(axes))


def reduce_min(x, axes):
    """Minimum over the tuple of non-negative `axes`; ties split the derivative."""
    return reduce_min_p.bind(x, axes=tuple(axes))


# -- shift: the linear map x[i] -> x[i-1] (reverse: x[i+1]), zero filled ------
def _shift_impl(x, axis, reverse):
    x = np.asarray(x)
    n = x.shape[axis]
    if n == 0:
        return x.copy()
    index = [slice(None)] * x.ndim
    pad = [(0, 0)] * x.ndim
    index[axis], pad[axis] = (slice(1, None), (0, 1)) if reverse else (slice(0, n - 1), (1, 0))
    return np.pad(x[tuple(index)], pad)


shift_p = axis_batch_rule(
    linear_primitive(
        "shift",
        _shift_impl,
        lambda g, primals, argnums, axis, reverse: [shift(g, axis, not reverse)],
    )
)
shift_p.abstract_eval = lambda x, axis, reverse: ShapedArray(x.shape, x.dtype)


def _shift_xp(xp, x, axis, reverse):
    n = x.shape[axis]
    if n == 0:
        return x
    index = [slice(None)] * x.ndim
    index[axis] = slice(1, None) if reverse else slice(0, n - 1)
    zero = xp.zeros_like(x[tuple(slice(0, 1) if i == axis else slice(None)
                                 for i in range(x.ndim))])
    body = x[tuple(index)]
    return xp.concat([body, zero] if reverse else [zero, body], axis=axis)


shift_p.xp_impl = _shift_xp


def shift(x, axis, reverse=False):
    """`y[i] = x[i-1]` along `axis` with `y[0] = 0` (reverse: `y[i] = x[i+1]`, last is 0)."""
    return shift_p.bind(x, axis=axis, reverse=reverse)


def _edge(shape, axis, reverse, dtype):
    """A constant with 1 at the first (reverse: last) position along `axis`, broadcastable."""
    e = np.zeros(tuple(n if i == axis else 1 for i, n in enumerate(shape)), dtype)
    if shape[axis]:
        e[(0,) * axis + (-1 if reverse else 0,)] = 1
    return e


# -- cumsum (linear; its transpose is the reverse cumsum) ---------------------
def _cumsum_impl(x, axis, reverse):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis), axis)
    return np.cumsum(x, axis)


cumsum_p = axis_batch_rule(
    linear_primitive(
        "cumsum",
        _cumsum_impl,
        lambda g, primals, argnums, axis, reverse: [cumsum(g, axis, not reverse)],
    )
)
cumsum_p.abstract_eval = _scan_rule(sum_dtype)


def _cumulative_xp(name):
    """The array-API implementation of a cumulative op (`cumulative_sum`, ...), reversed
    by flipping."""

    def impl(xp, x, axis, reverse):
        f = getattr(xp, name)
        if reverse:
            return xp.flip(f(xp.flip(x, axis=axis), axis=axis), axis=axis)
        return f(x, axis=axis)

    return impl


cumsum_p.xp_impl = _cumulative_xp("cumulative_sum")
cumsum_p.sparsity = "lane"


def cumsum(x, axis, reverse=False):
    """Cumulative sum along the non-negative `axis` (reverse: sums from the end)."""
    return cumsum_p.bind(x, axis=axis, reverse=reverse)


# -- linear recurrence h[i] = a[i] * h[i-1] + b[i], h[-1] = 0 -----------------
def _linrec_impl(a, b, axis, reverse):
    out = np.array(b, dtype=np.result_type(a, b), copy=True)
    h, a = np.moveaxis(out, axis, 0), np.moveaxis(np.asarray(a), axis, 0)
    n = h.shape[0]
    step = 1 if reverse else -1
    for i in range(n - 2, -1, -1) if reverse else range(1, n):
        h[i] += a[i] * h[i + step]
    return out


def _linrec_jvp(primals, tangents, axis, reverse):
    (a, b), (ta, tb) = primals, tangents
    h = linear_recurrence(a, b, axis, reverse)
    drive = tb
    if ta is not None:
        da = multiply(ta, shift(h, axis, reverse))
        drive = da if tb is None else add(tb, da)
    return h, linear_recurrence(a, drive, axis, reverse)


def _linrec_vjp(g, h, primals, argnums, axis, reverse):
    a = primals[0]
    # the transpose runs the recurrence the other way, with the coefficients shifted
    u = linear_recurrence(shift(a, axis, not reverse), g, axis, not reverse)
    return [multiply(u, shift(h, axis, reverse)) if i == 0 else u for i in argnums]


linear_recurrence_p = Primitive("linear_recurrence", _linrec_impl, linear=(1,))


def _linrec_xp(xp, a, b, axis, reverse):
    """The recurrence one step at a time (a Python loop over the axis: array-API
    libraries have no in-place row update; the graph has one node per step)."""
    a, b = xp.moveaxis(a, axis, 0), xp.moveaxis(b, axis, 0)
    n = b.shape[0]
    h = [None] * n
    order = range(n - 1, -1, -1) if reverse else range(n)
    prev = None
    for i in order:
        h[i] = b[i, ...] if prev is None else b[i, ...] + a[i, ...] * prev
        prev = h[i]
    return xp.moveaxis(xp.stack(h, axis=0), 0, axis) if n else xp.moveaxis(b, 0, axis)


linear_recurrence_p.xp_impl = _linrec_xp
linear_recurrence_p.jvp = _linrec_jvp
linear_recurrence_p.vjp = _linrec_vjp
axis_batch_rule(linear_recurrence_p)
linear_recurrence_p.abstract_eval = lambda a, b, axis, reverse: ShapedArray(
    b.shape, np.result_type(*[v.dtype.type(0).item() if v.weak else v.dtype for v in (a, b)])
)


def linear_recurrence(a, b, axis, reverse=False):
    """Solve `h[i] = a[i] * h[i-1] + b[i]` along `axis` with `h[-1] = 0` (`a[0]` is unused).

    With `reverse`, `h[i] = a[i] * h[i+1] + b[i]` from the end. Linear in `b`.
    """
    shape = np.broadcast_shapes(shape_of(a), shape_of(b))
    a = a if shape_of(a) == shape else broadcast_to(a, shape)
    b = b if shape_of(b) == shape else broadcast_to(b, shape)
    return linear_recurrence_p.bind(a, b, axis=axis, reverse=reverse)


# -- cumprod: derivative by linear recurrences, exact with zeros --------------
def _cumprod_impl(x, axis, reverse):
    if reverse:
        return np.flip(np.cumprod(np.flip(x, axis), axis), axis)
    return np.cumprod(x, axis)


def _exclusive(y, axis, reverse):
    """The exclusive cumulative product from the inclusive one `y` (1 at the start)."""
    return add(shift(y, axis, reverse), _edge(shape_of(y), axis, reverse, dtype_of(y)))


def _cumprod_jvp(primals, tangents, axis, reverse):
    (x,), (t,) = primals, tangents
    y = cumprod(x, axis, reverse)
    # dy[i] = x[i] * dy[i-1] + t[i] * y[i-1]
    return y, linear_recurrence(x, multiply(t, _exclusive(y, axis, reverse)), axis, reverse)


def _cumprod_vjp(g, y, primals, argnums, axis, reverse):
    x = primals[0]
    # ct[k] = y[k-1] * s[k] with s[k] = g[k] + x[k+1] * s[k+1]
    s = linear_recurrence(shift(x, axis, not reverse), g, axis, not reverse)
    return [multiply(_exclusive(y, axis, reverse), s)]


cumprod_p = Primitive("cumprod", _cumprod_impl)
cumprod_p.xp_impl = _cumulative_xp("cumulative_prod")
cumprod_p.sparsity = "lane"
cumprod_p.jvp = _cumprod_jvp
cumprod_p.vjp = _cumprod_vjp
axis_batch_rule(cumprod_p)
cumprod_p.abstract_eval = _scan_rule(sum_dtype)


def cumprod(x, axis, reverse=False):
    """Cumulative product along the non-negative `axis` (reverse: from the end)."""
    return cumprod_p.bind(x, axis=axis, reverse=reverse)


# -- prod: derivative = product of the other elements, without division -------
def _prod_others(x, axes):
    """Each element's product of the *other* elements of its reduced slice."""
    shape = shape_of(x)
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    perm = kept + tuple(axes)
    moved = transpose(x, perm) if perm != tuple(range(len(shape))) else x
    lead = tuple(shape[i] for i in kept)
    flat = reshape(moved, lead + (int(np.prod([shape[i] for i in axes], dtype=np.int64)),))
    ax = len(lead)
    before = _exclusive(cumprod(flat, ax), ax, False)
    after = _exclusive(cumprod(flat, ax, True), ax, True)
    others = reshape(multiply(before, after), shape_of(moved))
    return transpose(others, tuple(np.argsort(perm))) if moved is not x else others


def _prod_jvp(primals, tangents, axes):
    (x,), (t,) = primals, tangents
    return reduce_prod(x, axes), reduce_sum(multiply(t, _prod_others(x, axes)), axes)


def _prod_vjp(g, out, primals, argnums, axes):
    x = primals[0]
    return [multiply(reshape(g, keepdims_shape(shape_of(x), axes)), _prod_others(x, axes))]


reduce_prod_p = Primitive("reduce_prod", lambda x, axes: np.prod(x, axis=axes))
reduce_prod_p.xp_impl = lambda xp, x, axes: xp.prod(x, axis=axes)
reduce_prod_p.sparsity = "reduce"
reduce_prod_p.jvp = _prod_jvp
reduce_prod_p.vjp = _prod_vjp
axis_batch_rule(reduce_prod_p)
reduce_prod_p.abstract_eval = reduction_rule(sum_dtype)


def reduce_prod(x, axes):
    """Product over the tuple of non-negative `axes` (no keepdims)."""
    return reduce_prod_p.bind(x, axes=tuple(axes))


# -- no derivative: argmax, argmin, argsort, all, any --------------------------
def _nondifferentiable(name, impl):
    prim = Primitive(name, impl)
    prim.jvp = lambda primals, tangents, **params: (prim.bind(*primals, **params), None)
    prim.vjp = lambda g, out, primals, argnums, **params: [None] * len(argnums)
    return axis_batch_rule(prim)


argmax_p = _nondifferentiable(
    "argmax", lambda x, axis, keepdims: np.argmax(x, axis=axis, keepdims=keepdims)
)
argmin_p = _nondifferentiable(
    "argmin", lambda x, axis, keepdims: np.argmin(x, axis=axis, keepdims=keepdims)
)
argsort_p = _nondifferentiable(
    "argsort", lambda x, axis, kind, stable: np.argsort(x, axis=axis, kind=kind, stable=stable)
)
reduce_and_p = _nondifferentiable("reduce_and", lambda x, axes: np.all(x, axis=axes))
reduce_and_p.xp_impl = lambda xp, x, axes: xp.all(x, axis=axes)
reduce_or_p = _nondifferentiable("reduce_or", lambda x, axes: np.any(x, axis=axes))
reduce_or_p.xp_impl = lambda xp, x, axes: xp.any(x, axis=axes)
reduce_and_p.abstract_eval = reduce_or_p.abstract_eval = reduction_rule(lambda dtype: _BOOL)


def _arg_abstract_eval(x, axis, keepdims):
    axes = tuple(range(x.ndim)) if axis is None else (axis,)
    shape = keepdims_shape(x.shape, axes) if keepdims else reduced_shape(x.shape, axes)
    return ShapedArray(shape, _INTP)


argmax_p.abstract_eval = argmin_p.abstract_eval = _arg_abstract_eval
argmax_p.xp_impl = lambda xp, x, axis, keepdims: xp.argmax(x, axis=axis, keepdims=keepdims)
argmin_p.xp_impl = lambda xp, x, axis, keepdims: xp.argmin(x, axis=axis, keepdims=keepdims)
argsort_p.xp_impl = lambda xp, x, axis, kind, stable: xp.argsort(
    xp.reshape(x, (-1,)) if axis is None else x, axis=-1 if axis is None else axis,
    stable=bool(stable) or kind == "stable")
argsort_p.abstract_eval = lambda x, axis, kind, stable: ShapedArray(
    x.shape if axis is not None else (x.size,), _INTP
)


def argmax(x, axis, keepdims=False):
    """Index of the maximum along the non-negative `axis` (integer, no derivative)."""
    return argmax_p.bind(x, axis=axis, keepdims=keepdims)


def argmin(x, axis, keepdims=False):
    """Index of the minimum along the non-negative `axis` (integer, no derivative)."""
    return argmin_p.bind(x, axis=axis, keepdims=keepdims)


def argsort(x, axis, kind=None, stable=None):
    """`numpy.argsort` along the non-negative `axis` (integer, no derivative)."""
    return argsort_p.bind(x, axis=axis, kind=kind, stable=stable)


def reduce_and(x, axes):
    """`numpy.all` over the tuple of non-negative `axes`."""
    return reduce_and_p.bind(x, axes=tuple(axes))


def reduce_or(x, axes):
    """`numpy.any` over the tuple of non-negative `axes`."""
    return reduce_or_p.bind(x, axes=tuple(axes))


# -- gather along an axis and its transpose, the scatter-add -------------------
def _scatter_add_impl(g, idx, axis, size):
    g = np.asarray(g)
    shape = g.shape[:axis] + (size,) + g.shape[axis + 1:]
    index = list(np.indices(g.shape, sparse=True))
    index[axis] = np.asarray(idx) % max(size, 1)
    flat = np.ravel_multi_index(np.broadcast_arrays(*index), shape).ravel()
    n = int(np.prod(shape, dtype=np.int64))
    if g.dtype.kind == "c":  # bincount: a fast scatter-add, for real weights
        out = np.bincount(flat, g.real.ravel(), n) + 1j * np.bincount(flat, g.imag.ravel(), n)
    else:
        out = np.bincount(flat, g.ravel(), n)
    return out.reshape(shape).astype(g.dtype, copy=False)


gather_along_axis_p = Primitive(
    "gather_along_axis", lambda x, idx, axis: np.take_along_axis(x, idx, axis=axis), linear=(0,)
)
gather_along_axis_p.xp_impl = lambda xp, x, idx, axis: xp.take_along_axis(x, idx, axis=axis)
gather_along_axis_p.jvp = lambda primals, tangents, axis: (
    gather_along_axis(primals[0], primals[1], axis),
    None if tangents[0] is None else gather_along_axis(tangents[0], primals[1], axis),
)
gather_along_axis_p.vjp = lambda g, out, primals, argnums, axis: [
    scatter_add_along_axis(g, primals[1], axis, shape_of(primals[0])[axis]) if i == 0 else None
    for i in argnums
]
axis_batch_rule(gather_along_axis_p)
gather_along_axis_p.abstract_eval = lambda x, idx, axis: ShapedArray(  # (broadcasts)
    np.broadcast_shapes(x.shape[:axis] + idx.shape[axis:axis + 1] + x.shape[axis + 1:],
                        idx.shape),
    x.dtype,
)

scatter_add_along_axis_p = Primitive(
    "scatter_add_along_axis", _scatter_add_impl, linear=(0,)
)


def _scatter_add_along_axis_xp(xp, g, idx, axis, size):
    """`_scatter_add_impl` by a one-hot product: out[.., j, ..] = sum_k g[.., k, ..] where
    idx[.., k, ..] == j (modulo `size`, as there)."""
    idx = xp.remainder(idx, max(size, 1))
    dev = backend.device_of(idx)
    hot = xp.astype(idx[..., None] == xp.arange(size, device=dev), g.dtype)
    out = xp.sum(hot * xp.broadcast_to(g, idx.shape)[..., None], axis=axis)
    return xp.moveaxis(out, -1, axis)


scatter_add_along_axis_p.xp_impl = _scatter_add_along_axis_xp
scatter_add_along_axis_p.jvp = lambda primals, tangents, axis, size: (
    scatter_add_along_axis(primals[0], primals[1], axis, size),
    None if tangents[0] is None else scatter_add_along_axis(tangents[0], primals[1], axis, size),
)
scatter_add_along_axis_p.vjp = lambda g, out, primals, argnums, axis, size: [
    gather_along_axis(g, primals[1], axis) if i == 0 else None for i in argnums
]
axis_batch_rule(scatter_add_along_axis_p)
scatter_add_along_axis_p.abstract_eval = lambda g, idx, axis, size: ShapedArray(
    g.shape[:axis] + (size,) + g.shape[axis + 1:], g.dtype
)


def gather_along_axis(x, idx, axis):
    """`numpy.take_along_axis(x, idx, axis)` with `idx` of the full shape; linear in `x`."""
    return gather_along_axis_p.bind(x, idx, axis=axis)


def scatter_add_along_axis(g, idx, axis, size):
    """Transpose of `gather_along_axis`: add `g` into zeros of length `size` at `idx`."""
    return scatter_add_along_axis_p.bind(g, idx, axis=axis, size=size)
