"""Shape primitives: reshape, broadcast, transpose, concatenate and static slicing.

All of these are linear, so each is declared with `linear_primitive`: the JVP
applies the same primitive to the tangent, and the VJP is the transpose
rule, given right beside the implementation. The set is closed under
transposition (reshape <-> reshape, broadcast_to -> reduce_sum,
transpose <-> transpose, concatenate -> static_slice,
static_slice <-> slice_transpose), so derivatives of any order stay inside it.

Every function of `funcdiff.numpy`'s shape family (flip, roll, pad, tile,
repeat, diagonal, split, ...) is composed from these six primitives.
"""

from __future__ import annotations

import functools
import operator

import numpy as np

from funcdiff._src import backend
from funcdiff._src.backend import to_numpy_dtype
from funcdiff._src.core import Primitive, ShapedArray, _state, dtype_of, shape_of
from funcdiff._src.program import Slice


def linear_primitive(name, impl, transpose, *, multiple_results=False):
    """A primitive linear in all its arguments jointly.

    `transpose(g, primals, argnums, **params)` returns one cotangent per
    entry of `argnums`. The JVP binds the primitive on the tangents (zero
    tangents are instantiated only when some other tangent is nonzero).
    """
    prim = Primitive(name, impl, multiple_results=multiple_results, linear="all")
    prim.residuals = "shapes"  # a transpose needs only shapes, never values

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        ts = [_zeros_like(p) if t is None else t for p, t in zip(primals, tangents)]
        return out, prim.bind(*ts, **params)

    prim.jvp = jvp
    prim.vjp = lambda g, out, primals, argnums, **params: transpose(g, primals, argnums, **params)
    return prim


def _zeros_like(x):
    return np.zeros(shape_of(x), dtype_of(x))


# -- reshape -----------------------------------------------------------------
reshape_p = linear_primitive(
    "reshape",
    lambda x, shape: (x if type(x) is np.ndarray else np.asarray(x)).reshape(shape),
    lambda g, primals, argnums, shape: [reshape(g, shape_of(primals[0]))],
)
reshape_p.abstract_eval = lambda a, shape: ShapedArray(shape, a.dtype)
reshape_p.xp_impl = lambda xp, x, shape: xp.reshape(x, shape)
reshape_p.sparsity = "move"
reshape_p.identity = 0  # a reshape to the input's own shape
reshape_p.aliases = "view"
reshape_p.specialize = lambda avals, shape: (
    operator.methodcaller("reshape", shape) if avals[0].shape else None
)


def _reshape_batch(args, dims, shape):
    x = bdim_to_front(args[0], dims[0])
    return reshape(x, shape_of(x)[:1] + shape), 0


reshape_p.batch = _reshape_batch


def reshape(x, shape):
    """Reshape to a static `shape` (a tuple of ints, with no -1)."""
    if _state.stack:
        return reshape_p.bind(x, shape=tuple(shape))
    return (x if type(x) is np.ndarray else np.asarray(x)).reshape(shape)


# -- broadcast_to --------------------------------------------------------------
_NUMERIC_KINDS = frozenset("biufc")


def _broadcast_impl(x, shape):
    """`numpy.broadcast_to(x, shape)`: the same read-only view, made directly (~0.5 us)
    for contiguous numeric arrays and scalars instead of through NumPy's iterator (~4 us:
    every backward pass of a sum or mean pays it)."""
    if type(x) is not np.ndarray:
        if type(x) not in _SCALARS:
            return np.broadcast_to(x, shape)
        x = np.asarray(x)
    lead = len(shape) - x.ndim
    if lead < 0 or not x.flags.c_contiguous or x.dtype.kind not in _NUMERIC_KINDS:
        return np.broadcast_to(x, shape)
    strides = [0] * lead
    for n, m, st in zip(shape[lead:], x.shape, x.strides):
        if m == n:
            strides.append(st)
        elif m == 1:
            strides.append(0)
        else:
            return np.broadcast_to(x, shape)  # NumPy's error message
    if any(n < 0 for n in shape):
        return np.broadcast_to(x, shape)
    out = np.ndarray(shape, x.dtype, x, 0, tuple(strides))
    out.flags.writeable = False
    return out


_SCALARS = frozenset({float, int, complex, bool, np.float64, np.float32, np.complex128})

broadcast_to_p = linear_primitive(
    "broadcast_to",
    _broadcast_impl,
    lambda g, primals, argnums, shape: [unbroadcast(g, shape_of(primals[0]))],
)
broadcast_to_p.abstract_eval = lambda a, shape: ShapedArray(shape, a.dtype)
broadcast_to_p.xp_impl = lambda xp, x, shape: backend.broadcast_to(xp, x, shape)
broadcast_to_p.sparsity = "move"
broadcast_to_p.identity = 0  # a broadcast to the input's own shape
broadcast_to_p.aliases = "readonly view"  # (stride 0)


def _broadcast_to_batch(args, dims, shape):
    x = bdim_to_front(args[0], dims[0])
    s = shape_of(x)
    x = reshape(x, s[:1] + (1,) * (len(shape) - len(s) + 1) + s[1:])
    return broadcast_to(x, s[:1] + shape), 0


broadcast_to_p.batch = _broadcast_to_batch


def broadcast_to(x, shape):
    """Broadcast to `shape` (read-only view outside transforms, like NumPy)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if _state.stack:
        return broadcast_to_p.bind(x, shape=shape)
    return _broadcast_impl(x, shape)


# -- transpose -----------------------------------------------------------------
transpose_p = linear_primitive(
    "transpose",
    lambda x, axes: np.transpose(x, axes),
    lambda g, primals, argnums, axes: [transpose(g, tuple(np.argsort(axes)))],
)
transpose_p.abstract_eval = lambda a, axes: ShapedArray([a.shape[i] for i in axes], a.dtype)
transpose_p.identity = lambda avals, axes: 0 if tuple(axes) == tuple(range(len(axes))) else None
transpose_p.aliases = "view"
transpose_p.xp_impl = lambda xp, x, axes: xp.permute_dims(x, axes)
transpose_p.sparsity = "move"
transpose_p.batch = lambda args, dims, axes: (
    transpose(bdim_to_front(args[0], dims[0]), (0,) + tuple(a + 1 for a in axes)), 0
)


def transpose(x, axes=None):
    """Permute axes (reverse them when `axes` is None)."""
    if axes is None:
        axes = tuple(range(len(shape_of(x))))[::-1]
    else:
        nd = len(shape_of(x))
        axes = tuple(int(a) % nd if nd else int(a) for a in axes)
    if _state.stack:
        return transpose_p.bind(x, axes=axes)
    return np.transpose(x, axes)


# -- static slicing and its transpose --------------------------------------------
# Parameters are normalized per axis: `start` in range, `stop` exclusive, and
# `stop == -1` (only with a negative step) means "through index 0".
def _slices(starts, stops, steps):
    return tuple(
        slice(a, None if b < 0 else b, c) for a, b, c in zip(starts, stops, steps)
    )


def _slice_shape(starts, stops, steps):
    return tuple(len(range(a, b, c)) for a, b, c in zip(starts, stops, steps))


def _static_slice_impl(x, starts, stops, steps):
    return np.asarray(x)[_slices(starts, stops, steps)]


def _static_slice_transpose(g, primals, argnums, starts, stops, steps):
    return [slice_transpose(g, shape_of(primals[0]), starts, stops, steps)]


static_slice_p = linear_primitive("static_slice", _static_slice_impl, _static_slice_transpose)
static_slice_p.xp_impl = lambda xp, x, starts, stops, steps: x[_slices(starts, stops, steps)]
static_slice_p.sparsity = "move"
static_slice_p.abstract_eval = lambda a, starts, stops, steps: ShapedArray(
    _slice_shape(starts, stops, steps), a.dtype
)
static_slice_p.aliases = lambda avals, starts, stops, steps: Slice(
    tuple(map(range, starts, stops, steps))  # (stop -1, negative steps only: through 0)
)


def _static_slice_batch(args, dims, starts, stops, steps):
    x = bdim_to_front(args[0], dims[0])
    n = shape_of(x)[0]
    return _bind_slice(x, (0,) + starts, (n,) + stops, (1,) + steps), 0


static_slice_p.batch = _static_slice_batch


def _slice_transpose_impl(g, shape, starts, stops, steps):
    out = np.zeros(shape, dtype_of(g))
    out[_slices(starts, stops, steps)] = g
    return out


slice_transpose_p = linear_primitive(
    "slice_transpose",
    _slice_transpose_impl,
    lambda g, primals, argnums, shape, starts, stops, steps: [
        _bind_slice(g, starts, stops, steps)
    ],
)


def _slice_transpose_xp(xp, g, shape, starts, stops, steps):
    out = backend.zeros(xp, shape, to_numpy_dtype(g), g)
    out[_slices(starts, stops, steps)] = g
    return out


slice_transpose_p.xp_impl = _slice_transpose_xp
slice_transpose_p.sparsity = "move"
slice_transpose_p.abstract_eval = lambda a, shape, starts, stops, steps: ShapedArray(
    shape, a.dtype
)


def _slice_transpose_batch(args, dims, shape, starts, stops, steps):
    g = bdim_to_front(args[0], dims[0])
    n = shape_of(g)[0]
    return slice_transpose(g, (n,) + shape, (0,) + starts, (n,) + stops, (1,) + steps), 0


slice_transpose_p.batch = _slice_transpose_batch


def _bind_slice(x, starts, stops, steps):
    if _state.stack:
        return static_slice_p.bind(x, starts=starts, stops=stops, steps=steps)
    return _static_slice_impl(x, starts, stops, steps)


def _normalize_slices(shape, starts, stops, steps):
    """Python-slice semantics per axis -> the normalized static parameters."""
    nd = len(shape)
    starts = tuple(starts) if starts is not None else (None,) * nd
    stops = tuple(stops) if stops is not None else (None,) * nd
    steps = tuple(steps) if steps is not None else (None,) * nd
    if not len(starts) == len(stops) == len(steps) == nd:
        raise ValueError(
            f"static_slice: starts, stops and steps need one entry per axis ({nd}), got "
            f"{len(starts)}, {len(stops)} and {len(steps)}"
        )
    out = ([], [], [])
    for n, a, b, c in zip(shape, starts, stops, steps):
        a, b, c = slice(a, b, c).indices(n)
        length = len(range(a, b, c))
        if length == 0:
            a, b, c = 0, 0, 1
        else:
            b = a + (length - 1) * c + (1 if c > 0 else -1)
        for lst, v in zip(out, (a, b, c)):
            lst.append(v)
    return tuple(out[0]), tuple(out[1]), tuple(out[2])


def static_slice(x, starts=None, stops=None, steps=None):
    """`x[starts[0]:stops[0]:steps[0], ...]` with static Python-slice bounds per axis.

    Each of `starts`, `stops`, `steps` has one entry per axis of `x` (`None`
    entries, or `None` for the whole argument, mean the slice default);
    negative values count from the end as in Python. Linear; the transpose is
    `slice_transpose` (embedding into zeros).

    Example:
        ```python
        x = np.arange(12.0).reshape(4, 3)
        y = static_slice(x, (1, None), (None, None), (2, -1))
        assert np.array_equal(y, x[1::2, ::-1])
        ```
    """
    shape = shape_of(x)
    starts, stops, steps = _normalize_slices(shape, starts, stops, steps)
    if _slice_shape(starts, stops, steps) == shape and all(c == 1 for c in steps):
        return x
    return _bind_slice(x, starts, stops, steps)


def slice_in_dim(x, start, stop, step=1, axis=0):
    """`static_slice` along one `axis` (Python-slice semantics for start/stop/step)."""
    nd = len(shape_of(x))
    axis = int(axis) % nd
    sl = [None] * nd
    starts, stops, steps = list(sl), list(sl), list(sl)
    starts[axis], stops[axis], steps[axis] = start, stop, step
    return static_slice(x, starts, stops, steps)


def slice_transpose(g, shape, starts, stops, steps):
    """Embed `g` into zeros of `shape` at the normalized static slice (transpose of slicing).

    The parameters are the normalized ones that `static_slice` binds (see
    `_normalize_slices`): `out = zeros(shape); out[slices] = g`.
    """
    shape, starts, stops, steps = tuple(shape), tuple(starts), tuple(stops), tuple(steps)
    if _state.stack:
        return slice_transpose_p.bind(g, shape=shape, starts=starts, stops=stops, steps=steps)
    return _slice_transpose_impl(g, shape, starts, stops, steps)


# -- concatenate ---------------------------------------------------------------------
def _concatenate_transpose(g, primals, argnums, axis):
    offsets = np.cumsum([0] + [shape_of(p)[axis] for p in primals])
    return [slice_in_dim(g, int(offsets[i]), int(offsets[i + 1]), 1, axis) for i in argnums]


concatenate_p = linear_primitive(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis), _concatenate_transpose
)
concatenate_p.xp_impl = lambda xp, *xs, axis: xp.concat(xs, axis=axis)
concatenate_p.sparsity = "move"


def _concatenate_abstract_eval(*avals, axis):
    shape = list(avals[0].shape)
    shape[axis] = sum(a.shape[axis] for a in avals)
    return ShapedArray(shape, np.result_type(*[a.dtype for a in avals]))


def _concatenate_batch(args, dims, axis):
    n = batch_size(args, dims)
    xs = [bdim_to_front(a, d, n) for a, d in zip(args, dims)]
    return concatenate(xs, axis + 1), 0


concatenate_p.abstract_eval = _concatenate_abstract_eval
concatenate_p.batch = _concatenate_batch


def concatenate(xs, axis):
    """Join arrays of one dtype along the non-negative `axis` (shapes already checked)."""
    xs = tuple(xs)
    if len(xs) == 1:
        return xs[0]
    if _state.stack:
        return concatenate_p.bind(*xs, axis=axis)
    return np.concatenate(xs, axis=axis)


# -- batch axes: the helpers every batching rule uses ----------------------------
def moveaxis_to(x, src, dst):
    """Move axis `src` of `x` to position `dst` (a `transpose`, so differentiable)."""
    if src == dst:
        return x
    perm = [i for i in range(len(shape_of(x))) if i != src]
    perm.insert(dst, src)
    return transpose(x, tuple(perm))


def bdim_to_front(x, d, size=None):
    """`x` with its batch axis `d` first; an unbatched `x` (`d` None) is broadcast to
    `size` examples (or returned as it is when `size` is None)."""
    if d is None:
        return x if size is None else broadcast_to(x, (size,) + tuple(shape_of(x)))
    return moveaxis_to(x, d, 0)


def batch_size(args, dims):
    """The number of examples: the length of the first batched argument's batch axis."""
    return next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)


def move_batch_axes(args, dims):
    """Move batch axes to the front so that broadcasting lines them up.

    Unbatched arguments are left alone; batched ones get axis 0 as the batch
    axis and are padded with size-1 axes to the rank of the widest argument.
    """
    rank = max(len(shape_of(a)) - (d is not None) for a, d in zip(args, dims))
    out = []
    for a, d in zip(args, dims):
        if d is None:
            out.append(a)
            continue
        a = moveaxis_to(a, d, 0)
        s = shape_of(a)
        if len(s) - 1 < rank:
            a = reshape(a, (s[0],) + (1,) * (rank - len(s) + 1) + s[1:])
        out.append(a)
    return out


def axis_batch_rule(prim):
    """Give `prim` (with an `axis` or `axes` parameter) its vmap rule: batch axes to
    the front (unbatched arguments broadcast), the axis parameters shifted by one."""

    def rule(args, dims, **params):
        size = batch_size(args, dims)
        moved = [bdim_to_front(a, d, size) for a, d in zip(args, dims)]
        if "axes" in params:
            params["axes"] = tuple(a + 1 for a in params["axes"])
        if "axis" in params:
            params["axis"] = params["axis"] + 1
        return prim.bind(*moved, **params), 0

    prim.batch = rule
    return prim


# -- reduce_sum: linear, so it lives with the structural ops (unbroadcast needs it) --
def keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


_INT, _UINT = np.dtype(np.int_), np.dtype(np.uint)


def sum_dtype(dtype):
    """NumPy's result dtype of `sum`, `prod`, `cumsum` and `cumprod`: bools and integers
    narrower than the platform integer widen to it (signed or unsigned); others stay."""
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < _INT.itemsize):
        return _INT
    if dtype.kind == "u" and dtype.itemsize < _UINT.itemsize:
        return _UINT
    return dtype


def reduced_shape(shape, axes):
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def reduction_rule(dtype_rule):
    """The shape/dtype rule of a reduction over the tuple `axes` (no keepdims)."""
    return lambda x, axes: ShapedArray(reduced_shape(x.shape, axes), dtype_rule(x.dtype))


# -- sum ----------------------------------------------------------------------
def _sum_transpose(g, primals, argnums, axes):
    shape = shape_of(primals[0])
    return [broadcast_to(reshape(g, keepdims_shape(shape, axes)), shape)]


# A sum over one axis this short (float32/float64, at least _SHORT_MIN elements) adds the
# slices one after another: NumPy's reduce loops over every other element for each (10-40x
# slower on (p, 3) arrays); for fewer than 8 terms NumPy adds in the same order, so the
# result is the same (a sum of negative zeros aside: -0.0 here, IEEE's, 0.0 there)
_SHORT_AXIS, _SHORT_MIN = 7, 4096


def _short_axis(shape, dtype, axes):
    return (len(axes) == 1 and 2 <= shape[axes[0]] <= _SHORT_AXIS and dtype.kind == "f"
            and dtype.itemsize >= 4 and int(np.prod(shape)) >= _SHORT_MIN)


def _short_sum(x, axes):
    (axis,) = axes
    idx = [slice(None)] * x.ndim

    def part(i):
        idx[axis] = i
        return x[tuple(idx)]

    r = np.add(part(0), part(1))
    for i in range(2, x.shape[axis]):
        np.add(r, part(i), out=r)
    return r


def _sum_impl(x, axes):
    if type(x) is np.ndarray and x.dtype.kind in "fc":
        if _short_axis(x.shape, x.dtype, axes):
            return _short_sum(x, axes)
        return np.add.reduce(x, axis=axes)  # numpy.sum without its Python wrapper
    return np.sum(x, axis=axes)


reduce_sum_p = axis_batch_rule(linear_primitive("reduce_sum", _sum_impl, _sum_transpose))
reduce_sum_p.xp_impl = lambda xp, x, axes: xp.sum(x, axis=axes)
reduce_sum_p.sparsity = "reduce"
reduce_sum_p.specialize = lambda avals, axes: (
    None if not avals[0].shape or avals[0].dtype.kind not in "fc"
    else functools.partial(_short_sum, axes=axes)
    if _short_axis(avals[0].shape, avals[0].dtype, axes)
    else functools.partial(np.add.reduce, axis=axes)
)
reduce_sum_p.abstract_eval = reduction_rule(sum_dtype)


def reduce_sum(x, axes):
    """Sum over the tuple of non-negative `axes` (no keepdims)."""
    return reduce_sum_p.bind(x, axes=tuple(axes))


def unbroadcast(ct, shape):
    """Sum `ct` over the axes that broadcasting added to a value of `shape`."""
    cshape = shape_of(ct)
    if cshape == shape:
        return ct
    lead = len(cshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and cshape[lead + i] != 1
    )
    if axes:
        ct = reduce_sum(ct, axes)
    return reshape(ct, shape) if shape_of(ct) != shape else ct


def broadcast_tangent(t, shape):
    if shape_of(t) == shape:
        return t
    return broadcast_to(t, shape)
