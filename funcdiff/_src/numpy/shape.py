"""Shape manipulation of funcdiff.numpy: reshape, transpose, stacking, splitting, padding, ...

Outside transforms (and on arguments holding no traced value) every function
is NumPy's own. Inside transforms each one is composed from the six linear
shape primitives of `funcdiff._src.lax.shape` (reshape, broadcast_to,
transpose, concatenate, static_slice, slice_transpose), plus `mul_safe` by a
constant mask for `tril`/`triu`, so all are differentiable to any order in
both modes. Shapes, axes, pad widths and repeat counts are static; NumPy
validates them on the abstract shapes, so bad arguments raise NumPy's errors.

Gathers with a static index map along one axis (roll, pad's edge/reflect/
symmetric/wrap modes, repeat with per-element counts) take the map that NumPy
computes on `numpy.arange(n)` and lower it to runs of strided slices joined
by one concatenate (`_take_static`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from funcdiff._src.core import (
    Tracer,
    _state,
    copy_tracer,
    dtype_of,
    has_tracer,
    new_buffer,
    shape_of,
    traced,
)
from funcdiff._src.lax import shape as sp
from funcdiff._src.lax.elementwise import add, convert_element_type, mul_safe
from funcdiff._src.numpy.creation import asarray as _arr
from funcdiff._src.numpy.reductions import sum as _sum
from funcdiff._src.numpy.util import numpy_outside_transforms, returns_new

__all__ = [
    "reshape", "ravel", "flatten", "squeeze", "expand_dims", "transpose", "permute_dims",
    "matrix_transpose", "swapaxes", "moveaxis", "rollaxis", "atleast_1d", "atleast_2d",
    "atleast_3d", "broadcast_to", "broadcast_arrays", "broadcast_shapes", "concatenate",
    "concat", "stack", "unstack", "hstack", "vstack", "dstack", "column_stack", "split",
    "array_split", "hsplit", "vsplit", "dsplit", "tile", "repeat", "pad", "roll", "rot90",
    "flip", "fliplr", "flipud", "tril", "triu", "diag", "diagonal", "diagflat", "trace",
    "copy",
]

broadcast_shapes = np.broadcast_shapes


# -- helpers ---------------------------------------------------------------------------
_traced = traced  # inside a transform, the argument is or holds a tracer




def _dummy(shape):
    """A zero-memory array of `shape`, to let NumPy validate arguments and compute shapes."""
    return np.broadcast_to(np.int8(0), shape)


def _reshape(x, shape):
    shape = tuple(int(n) for n in shape)
    return x if shape_of(x) == shape else sp.reshape(x, shape)


def _transpose(x, perm):
    perm = tuple(perm)
    return x if perm == tuple(range(len(perm))) else sp.transpose(x, perm)


def _runs(idx):
    """Split a list of indices into arithmetic runs `(start, step, length)` (step may be 0)."""
    runs, i, n = [], 0, len(idx)
    while i < n:
        j, step = i + 1, 1
        if j < n:
            step = idx[j] - idx[i]
            while j + 1 < n and idx[j + 1] - idx[j] == step:
                j += 1
            j += 1
        runs.append((idx[i], step, j - i))
        i = j
    return runs


def _take_static(x, idx, axis):
    """`numpy.take(x, idx, axis)` for a static index list, as strided slices + concatenate."""
    shape = shape_of(x)
    idx = [int(i) for i in idx]
    if idx == list(range(shape[axis])):
        return x
    if not idx:
        return sp.slice_in_dim(x, 0, 0, 1, axis)
    pieces = []
    for start, step, length in _runs(idx):
        if step == 0:
            piece = sp.slice_in_dim(x, start, start + 1, 1, axis)
            if length > 1:
                piece = sp.broadcast_to(piece, shape[:axis] + (length,) + shape[axis + 1:])
        else:
            stop = start + (length - 1) * step + (1 if step > 0 else -1)
            piece = sp.slice_in_dim(x, start, None if stop < 0 else stop, step, axis)
        pieces.append(piece)
    return sp.concatenate(pieces, axis)


# -- reshaping -----------------------------------------------------------------------
def reshape(a, shape=None, order="C", *, copy=None):
    """`numpy.reshape`, differentiable: `shape` may contain one -1; `order` "C" or "F".

    Inside transforms order "A" is taken as "C" (traced values have no memory layout).

    Example:
        ```python
        fnp.reshape(fnp.arange(6.0), (2, -1), order="F")
        ```
    """
    if not _state.stack or not has_tracer(a):
        if type(a) is np.ndarray and copy is None:
            return a.reshape(shape, order=order)  # what numpy.reshape calls, minus dispatch
        return np.reshape(a, shape, order=order, copy=copy)
    a = _arr(a)
    new = _dummy(shape_of(a)).reshape(shape, order=order).shape
    if order in ("F", "f"):
        return _transpose(_reshape(_transpose(a, range(len(shape_of(a)))[::-1]), new[::-1]),
                          range(len(new))[::-1])
    return _reshape(a, new)


@numpy_outside_transforms(np.ravel, unless_traced=True)
def ravel(a, order="C"):
    """`numpy.ravel`, differentiable (orders "C" and "F"; "A"/"K" are "C" inside transforms).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.ravel(fnp.ones((2, 3))).shape
        (6,)

        ```
    """
    a = _arr(a)
    return reshape(a, (-1,), order="F" if order in ("F", "f") else "C")


@returns_new
def flatten(a, order="C"):
    """`a.flatten(order)` as a function (also used by the `.flatten()` method of tracers).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.flatten(fnp.ones((2, 3))).shape
        (6,)

        ```
    """
    if not _traced(a):
        return np.asarray(a).flatten(order)
    a = _arr(a)
    return ravel(a, order)


@numpy_outside_transforms(np.squeeze, unless_traced=True)
def squeeze(a, axis=None):
    """`numpy.squeeze`, differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.squeeze(fnp.ones((1, 3, 1)), axis=-1).shape
        (1, 3)

        ```
    """
    a = _arr(a)
    return _reshape(a, np.squeeze(_dummy(shape_of(a)), axis=axis).shape)


@numpy_outside_transforms(np.expand_dims, unless_traced=True)
def expand_dims(a, axis):
    """`numpy.expand_dims` (`axis` an int or a tuple), differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.expand_dims(fnp.ones(3), (0, -1)).shape
        (1, 3, 1)

        ```
    """
    a = _arr(a)
    return _reshape(a, np.expand_dims(_dummy(shape_of(a)), axis).shape)


@numpy_outside_transforms(np.transpose, unless_traced=True)
def transpose(a, axes=None):
    """`numpy.transpose`, differentiable (negative axes allowed).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.transpose(fnp.ones((2, 3, 4)), (1, 0, -1)).shape
        (3, 2, 4)

        ```
    """
    a = _arr(a)
    nd = len(shape_of(a))
    np.transpose(_dummy(shape_of(a)), axes)  # NumPy's checks
    if axes is None:
        return _transpose(a, range(nd)[::-1])
    return _transpose(a, [normalize_axis_index(int(i), nd) for i in axes])


@numpy_outside_transforms(np.permute_dims, unless_traced=True)
def permute_dims(a, axes=None):
    """`numpy.permute_dims` (the array-API name of `transpose`)."""
    a = _arr(a)
    return transpose(a, axes)


@numpy_outside_transforms(np.matrix_transpose, unless_traced=True)
def matrix_transpose(x):
    """`numpy.matrix_transpose`: swap the last two axes.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.matrix_transpose(fnp.ones((5, 2, 3))).shape
        (5, 3, 2)

        ```
    """
    x = _arr(x)
    if len(shape_of(x)) < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return swapaxes(x, -1, -2)


@numpy_outside_transforms(np.swapaxes, unless_traced=True)
def swapaxes(a, axis1, axis2):
    """`numpy.swapaxes`, differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.swapaxes(fnp.ones((2, 3, 4)), 0, -1).shape
        (4, 3, 2)

        ```
    """
    a = _arr(a)
    nd = len(shape_of(a))
    i, j = normalize_axis_index(axis1, nd), normalize_axis_index(axis2, nd)
    perm = list(range(nd))
    perm[i], perm[j] = j, i
    return _transpose(a, perm)


@numpy_outside_transforms(np.moveaxis, unless_traced=True)
def moveaxis(a, source, destination):
    """`numpy.moveaxis`, differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.moveaxis(fnp.ones((2, 3, 4)), 0, -1).shape
        (3, 4, 2)

        ```
    """
    a = _arr(a)
    nd = len(shape_of(a))
    np.moveaxis(_dummy(shape_of(a)), source, destination)  # NumPy's checks
    src = normalize_axis_tuple(source, nd, "source")
    dst = normalize_axis_tuple(destination, nd, "destination")
    perm = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        perm.insert(d, s)
    return _transpose(a, perm)


@numpy_outside_transforms(np.rollaxis, unless_traced=True)
def rollaxis(a, axis, start=0):
    """`numpy.rollaxis`, differentiable (prefer `moveaxis`)."""
    a = _arr(a)
    nd = len(shape_of(a))
    np.rollaxis(_dummy(shape_of(a)), axis, start)  # NumPy's checks
    axis = normalize_axis_index(axis, nd)
    start = start + nd if start < 0 else start
    if axis < start:
        start -= 1
    perm = [i for i in range(nd) if i != axis]
    perm.insert(start, axis)
    return _transpose(a, perm)


def _atleast(arys, np_fn, new_shape):
    if not _traced(arys):
        return np_fn(*arys)
    res = [_reshape(a, new_shape(shape_of(a))) for a in map(_arr, arys)]
    return res[0] if len(res) == 1 else tuple(res)


def atleast_1d(*arys):
    """`numpy.atleast_1d`: 0-d -> (1,). One array in, one out; several -> a tuple."""
    return _atleast(arys, np.atleast_1d, lambda s: s if len(s) >= 1 else (1,))


def atleast_2d(*arys):
    """`numpy.atleast_2d`: 0-d -> (1, 1), (N,) -> (1, N)."""
    return _atleast(arys, np.atleast_2d, lambda s: s if len(s) >= 2 else (1,) * (2 - len(s)) + s)


def atleast_3d(*arys):
    """`numpy.atleast_3d`: 0-d -> (1, 1, 1), (N,) -> (1, N, 1), (M, N) -> (M, N, 1)."""

    def new_shape(s):
        return {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s)

    return _atleast(arys, np.atleast_3d, new_shape)


# -- broadcasting ----------------------------------------------------------------------
@numpy_outside_transforms(np.broadcast_to, unless_traced=True)
def broadcast_to(array, shape, subok=False):
    """`numpy.broadcast_to`, differentiable (the gradient sums over the broadcast axes).

    Example:
        ```python
        fnp.broadcast_to(fnp.ones(3), (2, 3))
        ```
    """
    array = _arr(array)
    new = np.broadcast_to(_dummy(shape_of(array)), shape).shape
    return array if new == shape_of(array) else sp.broadcast_to(array, new)


@numpy_outside_transforms(np.broadcast_arrays, unless_traced=True)
def broadcast_arrays(*args, subok=False):
    """`numpy.broadcast_arrays`: a tuple of the arguments broadcast to one shape."""
    args = [_arr(a) for a in args]
    shape = np.broadcast_shapes(*[shape_of(a) for a in args])
    return tuple(broadcast_to(a, shape) for a in args)


# -- joining ------------------------------------------------------------------------------
def _join_dtype(arrays, dtype, casting):
    dtypes = [dtype_of(a) for a in arrays]
    out = np.dtype(dtype) if dtype is not None else np.result_type(*dtypes)
    for dt in dtypes:
        if not np.can_cast(dt, out, casting):
            raise TypeError(
                f"Cannot cast array data from {dt!r} to {out!r} according to the rule {casting!r}"
            )
    return out


def _check_out(out, name):
    if out is not None:
        raise TypeError(
            f"fnp.{name}(..., out=...) cannot write into an array inside a funcdiff transform; "
            "drop `out=` and use the returned value."
        )


@numpy_outside_transforms(np.concatenate, unless_traced=True)
@returns_new
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """`numpy.concatenate`, differentiable in every array (`axis=None` joins them raveled).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.concatenate([fnp.ones((2, 3)), fnp.zeros((1, 3))]).shape
        (3, 3)

        ```
    """
    _check_out(out, "concatenate")
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    shapes = [shape_of(a) for a in arrays]
    nd = len(shapes[0])
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis_index(axis, nd)
    for i, s in enumerate(shapes[1:], 1):
        if len(s) != nd:
            raise ValueError(
                "all the input arrays must have same number of dimensions, but the array at "
                f"index 0 has {nd} dimension(s) and the array at index {i} has {len(s)} "
                "dimension(s)"
            )
        for d in range(nd):
            if d != axis and s[d] != shapes[0][d]:
                raise ValueError(
                    "all the input array dimensions except for the concatenation axis must "
                    f"match exactly, but along dimension {d}, the array at index 0 has size "
                    f"{shapes[0][d]} and the array at index {i} has size {s[d]}"
                )
    dt = _join_dtype(arrays, dtype, casting)
    arrays = [convert_element_type(a, dt) for a in arrays]
    return sp.concatenate(arrays, axis)


concat = concatenate


@numpy_outside_transforms(np.stack, unless_traced=True)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    """`numpy.stack`: join same-shaped arrays along a new `axis`, differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.stack([fnp.ones(3), fnp.zeros(3)], axis=-1).shape
        (3, 2)

        ```
    """
    _check_out(out, "stack")
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    if len({shape_of(a) for a in arrays}) != 1:
        raise ValueError("all input arrays must have the same shape")
    axis = normalize_axis_index(axis, len(shape_of(arrays[0])) + 1)
    return concatenate(
        [expand_dims(a, axis) for a in arrays], axis, dtype=dtype, casting=casting
    )


@numpy_outside_transforms(np.unstack, unless_traced=True)
def unstack(x, /, *, axis=0):
    """`numpy.unstack`: the tuple of slices along `axis` (inverse of `stack`)."""
    x = _arr(x)
    nd = len(shape_of(x))
    if nd == 0:
        raise ValueError("Input array must be at least 1-d.")
    axis = normalize_axis_index(axis, nd)
    return tuple(
        squeeze(sp.slice_in_dim(x, i, i + 1, 1, axis), axis) for i in range(shape_of(x)[axis])
    )


@numpy_outside_transforms(np.hstack, unless_traced=True)
def hstack(tup, *, dtype=None, casting="same_kind"):
    """`numpy.hstack`: along axis 1 (axis 0 for 1-d arrays)."""
    arrs = [atleast_1d(_arr(a)) for a in tup]
    axis = 0 if arrs and len(shape_of(arrs[0])) == 1 else 1
    return concatenate(arrs, axis, dtype=dtype, casting=casting)


@numpy_outside_transforms(np.vstack, unless_traced=True)
def vstack(tup, *, dtype=None, casting="same_kind"):
    """`numpy.vstack`: along axis 0 after `atleast_2d`."""
    return concatenate([atleast_2d(_arr(a)) for a in tup], 0, dtype=dtype, casting=casting)


@numpy_outside_transforms(np.dstack, unless_traced=True)
def dstack(tup):
    """`numpy.dstack`: along axis 2 after `atleast_3d`."""
    return concatenate([atleast_3d(_arr(a)) for a in tup], 2)


@numpy_outside_transforms(np.column_stack, unless_traced=True)
def column_stack(tup):
    """`numpy.column_stack`: 1-d arrays become columns, then join along axis 1."""
    arrs = []
    for a in map(_arr, tup):
        s = shape_of(a)
        arrs.append(_reshape(a, (int(np.prod(s)), 1)) if len(s) < 2 else a)
    return concatenate(arrs, 1)


# -- splitting ------------------------------------------------------------------------------
@numpy_outside_transforms(np.array_split, unless_traced=True)
def array_split(ary, indices_or_sections, axis=0):
    """`numpy.array_split`: a list of slices along `axis` (sections may be unequal)."""
    ary = _arr(ary)
    axis = normalize_axis_index(axis, len(shape_of(ary)))
    n = shape_of(ary)[axis]
    try:
        points = [0, *[int(i) for i in indices_or_sections], n]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.") from None
        each, extras = divmod(n, sections)
        sizes = [0] + extras * [each + 1] + (sections - extras) * [each]
        points = np.cumsum(sizes).tolist()
    return [sp.slice_in_dim(ary, a, b, 1, axis) for a, b in zip(points[:-1], points[1:])]


@numpy_outside_transforms(np.split, unless_traced=True)
def split(ary, indices_or_sections, axis=0):
    """`numpy.split`: like `array_split`, but sections must divide the axis equally.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> a, b = fnp.split(fnp.arange(6.0), [2])
        >>> a.shape, b.shape
        ((2,), (4,))

        ```
    """
    ary = _arr(ary)
    try:
        len(indices_or_sections)
    except TypeError:
        if shape_of(ary)[axis] % int(indices_or_sections):
            raise ValueError("array split does not result in an equal division") from None
    return array_split(ary, indices_or_sections, axis)


@numpy_outside_transforms(np.hsplit, unless_traced=True)
def hsplit(ary, indices_or_sections):
    """`numpy.hsplit`: split along axis 1 (axis 0 for 1-d arrays)."""
    ary = _arr(ary)
    nd = len(shape_of(ary))
    if nd == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if nd > 1 else 0)


@numpy_outside_transforms(np.vsplit, unless_traced=True)
def vsplit(ary, indices_or_sections):
    """`numpy.vsplit`: split along axis 0 (arrays of 2 or more dimensions)."""
    ary = _arr(ary)
    if len(shape_of(ary)) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


@numpy_outside_transforms(np.dsplit, unless_traced=True)
def dsplit(ary, indices_or_sections):
    """`numpy.dsplit`: split along axis 2 (arrays of 3 or more dimensions)."""
    ary = _arr(ary)
    if len(shape_of(ary)) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


# -- repetition ---------------------------------------------------------------------------
@returns_new
@numpy_outside_transforms(np.tile, unless_traced=True)
def tile(A, reps):  # noqa: N803  (NumPy's name)
    """`numpy.tile`, differentiable (a broadcast between interleaved axes, then a reshape).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.tile(fnp.array([1.0, 2.0]), (2, 2)).shape
        (2, 4)

        ```
    """
    A = _arr(A)
    try:
        reps = tuple(int(r) for r in reps)
    except TypeError:
        reps = (int(reps),)
    shape = shape_of(A)
    nd = max(len(reps), len(shape))
    shape = (1,) * (nd - len(shape)) + shape
    reps = (1,) * (nd - len(reps)) + reps
    x = _reshape(A, shape)
    if all(r == 1 for r in reps):
        return x
    x = _reshape(x, [m for s in shape for m in (1, s)])
    x = sp.broadcast_to(x, tuple(m for r, s in zip(reps, shape) for m in (r, s)))
    return _reshape(x, [r * s for r, s in zip(reps, shape)])


@returns_new
@numpy_outside_transforms(np.repeat, unless_traced=True)
def repeat(a, repeats, axis=None):
    """`numpy.repeat` with an int or per-element `repeats` (static), differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.repeat(fnp.array([1.0, 2.0]), [1, 3]).tolist()
        [1.0, 2.0, 2.0, 2.0]

        ```
    """
    a = _arr(a)
    if axis is None:
        a, axis = ravel(a), 0
    shape = shape_of(a)
    axis = normalize_axis_index(axis, len(shape))
    reps = np.asarray(repeats)
    if reps.size == 1:
        r = int(reps.reshape(()))
        if r < 0:
            raise ValueError("repeats may not contain negative values.")
        x = _reshape(a, shape[:axis + 1] + (1,) + shape[axis + 1:])
        x = sp.broadcast_to(x, shape[:axis + 1] + (r,) + shape[axis + 1:])
        return _reshape(x, shape[:axis] + (shape[axis] * r,) + shape[axis + 1:])
    return _take_static(a, np.repeat(np.arange(shape[axis]), reps), axis)


# -- padding, rolling, flipping -----------------------------------------------------------
def _as_pairs(x, nd):
    """Pad widths as `nd` (before, after) pairs of ints, NumPy's broadcasting rules."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.integer):
        raise TypeError("`pad_width` must be of integral type.")
    if x.size and x.min() < 0:
        raise ValueError("index can't contain negative values")
    if x.ndim < 3 and x.size == 1:
        return [(int(x.ravel()[0]),) * 2] * nd
    if x.ndim < 3 and x.size == 2 and x.shape != (2, 1):
        return [tuple(int(v) for v in x.ravel())] * nd
    return np.broadcast_to(x, (nd, 2)).tolist()


_PAD_KWARGS = {
    "constant": {"constant_values"}, "empty": set(), "edge": set(), "wrap": set(),
    "reflect": {"reflect_type"}, "symmetric": {"reflect_type"},
}


def _pad_constant(x, pads, constant_values):
    shape = shape_of(x)
    out_shape = tuple(n + b + a for n, (b, a) in zip(shape, pads))
    out = sp.slice_transpose(
        x, out_shape, tuple(b for b, _ in pads), tuple(b + n for n, (b, _) in zip(shape, pads)),
        (1,) * len(shape),
    )
    nd, cv = len(shape), constant_values
    if not has_tracer(cv):
        if np.any(np.asarray(cv) != 0):
            out = add(out, np.pad(np.zeros(shape, dtype_of(x)), pads, constant_values=cv))
        return out
    # a traced fill value: one constant mask per (axis, side), in NumPy's overwrite order
    codes = np.arange(1, 2 * nd + 1).reshape(nd, 2)
    region = np.pad(np.zeros(shape, np.intp), pads, constant_values=codes)
    cv = convert_element_type(_arr(cv), dtype_of(x))
    if cv.size == 1:
        cv = _reshape(cv, ())
    elif cv.size == 2 and cv.shape != (2, 1):
        cv = _reshape(cv, (2,))
    cv = sp.broadcast_to(cv, (nd, 2)) if cv.ndim else cv
    for k in range(2 * nd):
        mask = region == k + 1
        if mask.any():
            val = cv if cv.ndim == 0 else _reshape(
                sp.static_slice(cv, (k // 2, k % 2), (k // 2 + 1, k % 2 + 1), None), ()
            )
            out = add(out, mul_safe(mask.astype(dtype_of(x)), val))
    return out


@numpy_outside_transforms(np.pad, unless_traced=True)
def pad(array, pad_width, mode="constant", **kwargs):
    """`numpy.pad`, differentiable; modes constant, edge, reflect, symmetric, wrap, empty.

    `constant_values` may be traced (then the result is differentiable in it
    too); `reflect_type="odd"` is not supported inside transforms.

    Example:
        ```python
        x = fnp.arange(6.0).reshape(2, 3)
        fnp.pad(x, ((1, 2), (0, 1)), mode="reflect")
        ```
    """
    x = _arr(array)
    shape = shape_of(x)
    pads = _as_pairs(pad_width, len(shape))
    if callable(mode) or mode not in _PAD_KWARGS:
        if callable(mode) or mode in ("linear_ramp", "maximum", "mean", "median", "minimum"):
            raise NotImplementedError(
                f"fnp.pad: mode={mode!r} is not supported inside funcdiff transforms; "
                f"supported: {sorted(_PAD_KWARGS)}"
            )
        raise ValueError(f"mode '{mode}' is not supported")
    unsupported = set(kwargs) - _PAD_KWARGS[mode]
    if unsupported:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {unsupported}")
    if mode in ("constant", "empty"):
        return _pad_constant(x, pads, kwargs.get("constant_values", 0))
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("fnp.pad: reflect_type='odd' is not supported in transforms")
    for axis, (n, (b, a)) in enumerate(zip(shape, pads)):
        if n == 0 and (b or a):
            raise ValueError(
                f"can't extend empty axis {axis} using modes other than 'constant' or 'empty'"
            )
        if b or a:
            x = _take_static(x, np.pad(np.arange(n), (b, a), mode=mode), axis)
    return x


@numpy_outside_transforms(np.roll, unless_traced=True)
@returns_new
def roll(a, shift, axis=None):
    """`numpy.roll`, differentiable (`shift`/`axis` ints or sequences).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.roll(fnp.arange(5.0), 2).tolist()
        [3.0, 4.0, 0.0, 1.0, 2.0]

        ```
    """
    a = _arr(a)
    shape = shape_of(a)
    if axis is None:
        return _reshape(roll(ravel(a), shift, 0), shape)
    pairs = np.broadcast(shift, axis)
    if pairs.ndim > 1:
        raise ValueError("'shift' and 'axis' should be scalars or 1D sequences")
    shifts = [0] * len(shape)
    for sh, ax in pairs:
        shifts[normalize_axis_index(int(ax), len(shape))] += int(sh)
    for ax, sh in enumerate(shifts):
        if shape[ax] and sh % shape[ax]:
            a = _take_static(a, np.roll(np.arange(shape[ax]), sh), ax)
    return a


@numpy_outside_transforms(np.flip, unless_traced=True)
def flip(m, axis=None):
    """`numpy.flip`, differentiable (a slice with step -1 on each flipped axis).

    Example:
        ```python
        fnp.flip(fnp.ones((2, 3)), axis=(0, 1))
        ```
    """
    m = _arr(m)
    nd = len(shape_of(m))
    axes = range(nd) if axis is None else normalize_axis_tuple(axis, nd)
    return sp.static_slice(m, None, None, [-1 if i in axes else None for i in range(nd)])


@numpy_outside_transforms(np.fliplr, unless_traced=True)
def fliplr(m):
    """`numpy.fliplr`: reverse axis 1."""
    m = _arr(m)
    if len(shape_of(m)) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


@numpy_outside_transforms(np.flipud, unless_traced=True)
def flipud(m):
    """`numpy.flipud`: reverse axis 0."""
    m = _arr(m)
    if len(shape_of(m)) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


@numpy_outside_transforms(np.rot90, unless_traced=True)
def rot90(m, k=1, axes=(0, 1)):
    """`numpy.rot90`: rotate by 90 degrees `k` times in the plane of `axes`.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.rot90(fnp.ones((2, 3))).shape
        (3, 2)

        ```
    """
    m = _arr(m)
    nd = len(shape_of(m))
    np.rot90(_dummy(shape_of(m)), k, axes)  # NumPy's checks
    a0, a1 = (normalize_axis_index(int(a), nd) for a in axes)
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(m, (a0, a1))
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return _transpose(flip(m, a1), perm)
    return flip(_transpose(m, perm), a1)


# -- triangles and diagonals ----------------------------------------------------------------
@numpy_outside_transforms(np.tril, unless_traced=True)
def tril(m, k=0):
    """`numpy.tril`: zero above the `k`-th diagonal (a product with a constant 0/1 mask).

    Example:
        ```python
        fnp.tril(fnp.ones((3, 3)), k=-1)
        ```
    """
    m = _arr(m)
    mask = np.tri(*shape_of(m)[-2:], k=k, dtype=dtype_of(m))
    return mul_safe(m, mask)


@numpy_outside_transforms(np.triu, unless_traced=True)
def triu(m, k=0):
    """`numpy.triu`: zero below the `k`-th diagonal (a product with a constant 0/1 mask)."""
    m = _arr(m)
    mask = ~np.tri(*shape_of(m)[-2:], k=k - 1, dtype=bool)
    return mul_safe(m, mask.astype(dtype_of(m)))


@numpy_outside_transforms(np.diagonal, unless_traced=True)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """`numpy.diagonal`, differentiable: axes moved last, merged, then a strided slice.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.diagonal(fnp.ones((2, 3, 4)), offset=1, axis1=-1, axis2=0).shape
        (3, 1)

        ```
    """
    a = _arr(a)
    shape = shape_of(a)
    nd = len(shape)
    out_shape = np.diagonal(_dummy(shape), offset, axis1, axis2).shape  # NumPy's checks
    a1, a2 = normalize_axis_index(axis1, nd), normalize_axis_index(axis2, nd)
    rest = [i for i in range(nd) if i not in (a1, a2)]
    n, m = shape[a1], shape[a2]
    x = _reshape(_transpose(a, rest + [a1, a2]), out_shape[:-1] + (n * m,))
    length = out_shape[-1]
    if length == 0:
        return sp.slice_in_dim(x, 0, 0, 1, nd - 2)
    start = offset if offset >= 0 else -offset * m
    return sp.slice_in_dim(x, start, start + (length - 1) * (m + 1) + 1, m + 1, nd - 2)


@numpy_outside_transforms(np.diag, unless_traced=True)
def diag(v, k=0):
    """`numpy.diag`: the `k`-th diagonal of a 2-d array, or a 2-d array with 1-d `v` on it.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.diag(fnp.array([1.0, 2.0]), k=1).shape
        (3, 3)

        ```
    """
    v = _arr(v)
    s = shape_of(v)
    if len(s) == 2:
        return diagonal(v, k)
    if len(s) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    k = int(k)
    n = s[0] + abs(k)
    if s[0] == 0:
        return np.zeros((n, n), dtype_of(v))
    start = k if k >= 0 else -k * n
    flat = sp.slice_transpose(v, (n * n,), (start,), (start + (s[0] - 1) * (n + 1) + 1,), (n + 1,))
    return _reshape(flat, (n, n))


@numpy_outside_transforms(np.diagflat, unless_traced=True)
def diagflat(v, k=0):
    """`numpy.diagflat`: a 2-d array with the raveled `v` on the `k`-th diagonal."""
    v = _arr(v)
    return diag(ravel(v), k)


@numpy_outside_transforms(np.trace, unless_traced=True)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """`numpy.trace`: the sum of the diagonal, differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> float(fnp.trace(fnp.eye(3)))
        3.0

        ```
    """
    a = _arr(a)
    _check_out(out, "trace")

    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


@numpy_outside_transforms(np.copy, unless_traced=True)
def copy(a, order="K", subok=False):
    """`numpy.copy`: a new array (a new box for a traced value: writing into one does
    not change the other; inside a transform a copy of a NumPy array is a buffer)."""
    return copy_tracer(a) if isinstance(a, Tracer) else new_buffer(np.array(a, copy=True))
