"""Indexing of funcdiff.numpy: `x[idx]`, `x.at[idx]`, take, take_along_axis, select, ...

Every NumPy index works on traced values: ints, slices (negative steps
too), `None`, `Ellipsis`, integer arrays (with NumPy's rule for where the
advanced axes go) and boolean masks. Index arrays and masks must have
concrete values (they do inside `grad`/`jvp`); inside `jit`/`vmap`, integer
index arrays may be traced, masks may not (the shape would depend on them).

Arrays are never modified in place: `x.at[idx].set(v)` (or `fnp.at(x)[idx].set(v)`,
which also works on plain NumPy arrays) returns a new array.
"""

from __future__ import annotations

import operator

import numpy as np

from funcdiff._src.core import (
    Tracer,
    _state,
    dtype_of,
    find_top_trace,
    get_aval,
    has_tracer,
    shape_of,
)
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.lax.elementwise import (
    convert_element_type,
    equal,
    floor_divide,
    less,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
)
from funcdiff._src.lax.elementwise import where as _select
from funcdiff._src.lax.indexing import (
    Index,
    IndexArray,
    gather,
    normalize_index,
    scatter_add,
    scatter_max,
    scatter_min,
    scatter_set,
    searchsorted_p,
)
from funcdiff._src.lax.shape import broadcast_to, concatenate, reshape
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.reductions import cumsum
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "at", "take", "take_along_axis", "put_along_axis", "compress", "extract",
    "nonzero", "argwhere", "flatnonzero", "where", "searchsorted", "select", "choose",
    "diag_indices", "diag_indices_from", "tril_indices", "tril_indices_from",
    "triu_indices", "triu_indices_from", "ix_",
]

_normalize_axis = np.lib.array_utils.normalize_axis_index
_OUT_ERROR = (
    "`out=` cannot be used inside a funcdiff transform (arrays are not modified in place); "
    "drop it and use the returned value."
)


_is_traced = has_tracer


def _concrete(x, what):
    """The concrete NumPy value of `x`, or a ConcretizationError saying why it is needed."""
    if isinstance(x, Tracer):
        try:
            return np.asarray(x.concrete())
        except ConcretizationError:
            raise ConcretizationError(
                f"{what} needs concrete values, because the shape of its result depends on "
                "them; here it got an abstract traced value (inside jit or vmap). Call it "
                "outside the transform, or use `fnp.where(cond, x, y)`, which keeps the shape."
            ) from None
    return x


def _concrete_if_possible(x):
    if isinstance(x, Tracer):
        try:
            return np.asarray(x.concrete())
        except ConcretizationError:
            return x
    return x


# --------------------------------------------------------------------------
# x[idx]


def _getitem(x, idx):
    """`x[idx]` with NumPy's full indexing semantics, differentiable in `x`.

    `Tracer.__getitem__` calls this. Basic indices (ints, slices with any step,
    `None`, `...`), integer arrays (repeats allowed: their gradients
    accumulate) and boolean masks with concrete values are supported; in
    `jit`/`vmap`, integer index arrays may be traced.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> x = fnp.array([1.0, 2.0, 3.0, 4.0])
        >>> fd.grad(lambda x: fnp.sum(x[::-2] * x[[0, 0]]))(x).tolist()
        [6.0, 1.0, 0.0, 1.0]

        ```
    """
    if not _state.stack:
        if isinstance(x, Tracer):
            find_top_trace((x,))  # a tracer of a finished transform: TracerLeakError
        return x[idx]
    index, dyn = normalize_index(idx)
    if not dyn and not isinstance(x, Tracer):
        return np.asarray(x)[index.build()]
    return gather(x, index, *dyn)


# --------------------------------------------------------------------------
# x.at[idx].set(v) and friends


class _At:
    """`x.at`: `x.at[idx]` gives the functional update methods for `x[idx]`."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, idx):
        return _AtIndex(self.array, idx)

    def __repr__(self):
        return f"_At({self.array!r})"


class _AtIndex:
    """Functional updates of `x[idx]`; each returns a new array, `x` is unchanged."""

    __slots__ = ("array", "idx")

    def __init__(self, array, idx):
        self.array = array
        self.idx = idx

    def get(self):
        """`x[idx]`."""
        if not _state.stack and not isinstance(self.array, Tracer):
            return np.asarray(self.array)[self.idx]
        return _getitem(self.array, self.idx)

    def set(self, values):
        """`x[idx] = values`; with repeated indices the last write wins (as in NumPy)."""
        return _update("set", self.array, self.idx, values)

    def add(self, values):
        """`x[idx] += values`; repeated indices accumulate (`numpy.add.at`)."""
        return _update("add", self.array, self.idx, values)

    def subtract(self, values):
        """`x[idx] -= values`; repeated indices accumulate."""
        return _update("subtract", self.array, self.idx, values)

    def multiply(self, values):
        """`x[idx] *= values`; repeated indices multiply (`numpy.multiply.at`)."""
        return _update("multiply", self.array, self.idx, values)

    def min(self, values):  # noqa: A003
        """`x[idx] = minimum(x[idx], values)`, repeats included (`numpy.minimum.at`)."""
        return _update("min", self.array, self.idx, values)

    def max(self, values):  # noqa: A003
        """`x[idx] = maximum(x[idx], values)`, repeats included (`numpy.maximum.at`)."""
        return _update("max", self.array, self.idx, values)


def at(x):
    """JAX's `x.at`, for traced values and plain NumPy arrays alike.

    `at(x)[idx]` has the methods `set`, `add`, `subtract`, `multiply`, `min`,
    `max` (each returns a new array; `x` is never modified) and `get`. Values
    are cast to `x`'s dtype and broadcast to the shape of `x[idx]` as in NumPy.
    Repeated indices: `add`/`multiply`/`min`/`max` combine every value (like
    `numpy.add.at`); `set` keeps the last one (like NumPy's assignment).
    Derivatives: `set` passes `x`'s derivative except at the written entries,
    which take the written values' derivative; `min`/`max` split ties evenly.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> x = fnp.zeros(3)
        >>> fnp.at(x)[[0, 0, 2]].add(1.0).tolist()     # x.at[...] on traced values
        [2.0, 0.0, 1.0]
        >>> float(fd.grad(lambda v: fnp.sum(fnp.at(x)[1].set(v) ** 2))(3.0))
        6.0

        ```
    """
    return _At(x)


_UFUNCS = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply,
    "min": np.minimum, "max": np.maximum,
}


def _update(kind, x, idx, values):
    if _state.stack:
        if isinstance(idx, Tracer) and np.dtype(dtype_of(idx)) == np.bool_:
            new = _masked_update(kind, x, idx, values)
            if new is not None:
                return new
        index, dyn = normalize_index(idx)
        if has_tracer(values):
            values = asarray(values)
        if dyn or _is_traced(x, values):
            return _traced_update(kind, x, index, dyn, values)
        idx = index.build()
    out = np.array(x, copy=True)
    if kind == "set":
        out[idx] = values
    else:
        _UFUNCS[kind].at(out, idx, values)
    return out


def _masked_update(kind, x, mask, values):
    """`x.at[mask].set(v)` (`add`, ...) by `where`, for an abstract boolean `mask` (inside
    jit/vmap) and values that do not depend on how many entries it selects (a scalar, or
    one value for each selected row): `x[mask] = 0.0` works in every transform. None if
    `mask` is concrete (the scatter then) or the values need its count."""
    try:
        mask.concrete()
        return None
    except ConcretizationError:
        pass
    x, v = asarray(x), asarray(values)
    xshape, mshape = shape_of(x), shape_of(mask)
    rest = xshape[len(mshape):]
    vshape = shape_of(v)
    while vshape and vshape[0] == 1 and len(vshape) > len(rest):  # NumPy drops leading 1s
        vshape = vshape[1:]
    if xshape[:len(mshape)] != mshape or len(vshape) > len(rest):
        return None
    v = _broadcast_values(convert_element_type(reshape(v, vshape), dtype_of(x)), rest)
    new = {"set": lambda: v, "add": lambda: x + v, "subtract": lambda: x - v,
           "multiply": lambda: x * v, "min": lambda: minimum(x, v),
           "max": lambda: maximum(x, v)}[kind]()
    new = convert_element_type(new, dtype_of(x))
    return _select(reshape(mask, mshape + (1,) * len(rest)), new, x)


def _broadcast_values(v, shape):
    vshape = shape_of(v)
    if vshape == shape:
        return v
    extra = len(vshape) - len(shape)
    if extra > 0 and all(n == 1 for n in vshape[:extra]):  # NumPy drops leading 1s
        vshape = vshape[extra:]
        v = reshape(v, vshape)
    try:
        ok = np.broadcast_shapes(vshape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"shape mismatch: value array of shape {shape_of(v)} could not be broadcast to "
            f"indexing result of shape {shape}"
        )
    return broadcast_to(v, shape)


def _traced_update(kind, x, index, dyn, values):
    x = asarray(x)
    out_shape = index.out_shape(shape_of(x), [get_aval(d) for d in dyn])
    v = asarray(values)
    v = _broadcast_values(convert_element_type(v, dtype_of(x)), out_shape)
    if kind == "set":
        return scatter_set(x, v, index, *dyn)
    if kind == "add":
        return scatter_add(x, v, index, *dyn)
    if kind == "subtract":
        return scatter_add(x, negative(v), index, *dyn)
    if kind == "min":
        return scatter_min(x, v, index, *dyn)
    if kind == "max":
        return scatter_max(x, v, index, *dyn)
    return _scatter_multiply(x, v, index, dyn)


def _repeat_rounds(index, shape):
    """For an index that repeats elements: [(flat targets, flat update positions)] per
    round, where round r holds the r-th write to each element. None if nothing repeats."""
    targets = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)[index.build()]
    targets = targets.ravel()
    n = targets.size
    order = np.argsort(targets, kind="stable")
    ordered = targets[order]
    first = np.ones(n, bool)
    first[1:] = ordered[1:] != ordered[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else order
    rank = np.empty(n, np.intp)
    rank[order] = np.arange(n) - group_start
    if n == 0 or rank.max() == 0:
        return None
    rounds = (np.flatnonzero(rank == r) for r in range(rank.max() + 1))
    return [(targets[sel], sel) for sel in rounds]


def _scatter_multiply(x, v, index, dyn):
    # x.at[idx].multiply(v) == x.at[idx].set(x[idx] * v) when no element repeats; with
    # repeats, one such step per round of writes (exact derivatives, zeros included).
    if index.basic:
        return scatter_set(x, multiply(gather(x, index), v), index)
    if dyn:
        raise ConcretizationError(
            "x.at[idx].multiply(v) needs concrete index arrays (to find repeated indices), "
            "but the index is an abstract traced value (inside jit/vmap). If the indices are "
            "unique, write x.at[idx].set(x[idx] * v) instead."
        )
    rounds = _repeat_rounds(index, shape_of(x))
    if rounds is None:
        return scatter_set(x, multiply(gather(x, index), v), index)
    shape = shape_of(x)
    xf = reshape(x, (int(np.prod(shape, dtype=np.int64)),))
    vf = reshape(v, (int(np.prod(shape_of(v), dtype=np.int64)),))
    for targets, sources in rounds:
        t, s = Index((IndexArray(targets),)), Index((IndexArray(sources),))
        xf = scatter_set(xf, multiply(gather(xf, t), gather(vf, s)), t)
    return reshape(xf, shape)


# --------------------------------------------------------------------------
# take, take_along_axis, put_along_axis, compress, extract


def _ravel(a):
    return reshape(a, (int(np.prod(shape_of(a), dtype=np.int64)),))


def _int_indices(indices):
    """Index array for take-like functions: concrete when possible, bools as 0/1."""
    indices = _concrete_if_possible(indices)
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
    dt = dtype_of(indices)
    if dt == np.bool_:
        return indices.astype(np.intp)
    if dt.kind not in "iu":
        raise TypeError(
            f"Cannot cast array data from {dt!r} to dtype('int64') according to the rule "
            "'same_kind'"
        )
    return indices


@numpy_outside_transforms(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """`numpy.take`, differentiable in `a` (repeated indices accumulate gradients).

    `mode`: 'raise' (negative indices count from the end), 'clip' or 'wrap'.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(lambda x: fnp.sum(fnp.take(x, [4, 0, 4])))(fnp.arange(5.0)).tolist()
        [1.0, 0.0, 0.0, 0.0, 2.0]

        ```
    """
    if out is not None:
        raise TypeError(_OUT_ERROR)
    if mode not in ("raise", "clip", "wrap"):
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    a = asarray(a)
    if axis is None:
        a, axis = _ravel(a), 0
    nd = len(shape_of(a))
    axis = _normalize_axis(axis, nd)
    n = shape_of(a)[axis]
    indices = _int_indices(indices)
    if mode == "clip":
        if isinstance(indices, Tracer):
            indices = maximum(minimum(indices, n - 1), 0)
        else:
            indices = np.clip(indices, 0, n - 1)
    elif mode == "wrap":
        indices = mod(indices, n) if isinstance(indices, Tracer) else np.mod(indices, n)
    return _getitem(a, (slice(None),) * axis + (indices,))


def _along_axis_index(shape, indices, axis):
    nd = len(shape)
    if len(shape_of(indices)) != nd:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    if dtype_of(indices).kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    return tuple(
        indices if d == axis
        else np.arange(shape[d]).reshape((1,) * d + (shape[d],) + (1,) * (nd - d - 1))
        for d in range(nd)
    )


def _along_axis_args(arr, indices, axis):
    indices = _concrete_if_possible(indices)
    if not isinstance(indices, Tracer):
        indices = np.asarray(indices)
    if axis is None:
        if len(shape_of(indices)) != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr, axis = _ravel(arr), 0
    axis = _normalize_axis(axis, len(shape_of(arr)))
    return arr, _along_axis_index(shape_of(arr), indices, axis)


@numpy_outside_transforms(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """`numpy.take_along_axis`, differentiable in `arr`.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> x = fnp.array([[3.0, 1.0], [2.0, 5.0]])
        >>> fnp.take_along_axis(x, fnp.array([[1], [0]]), axis=1).tolist()
        [[1.0], [2.0]]

        ```
    """
    arr, fancy = _along_axis_args(asarray(arr), indices, axis)
    return _getitem(arr, fancy)


def put_along_axis(arr, indices, values, axis):
    """`numpy.put_along_axis`, functional: returns the updated copy (`arr` is unchanged).

    Differentiable in `arr` and `values`; with repeated indices the last write wins.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> x = fnp.array([[3.0, 1.0], [2.0, 5.0]])
        >>> fnp.put_along_axis(x, fnp.array([[1], [0]]), 0.0, axis=1).tolist()
        [[3.0, 0.0], [0.0, 5.0]]

        ```
    """
    if not _state.stack:
        out = np.array(arr, copy=True)
        np.put_along_axis(out, indices, values, axis)
        return out
    arr = asarray(arr)
    shape = shape_of(arr)
    flat, fancy = _along_axis_args(arr, indices, axis)
    out = at(flat)[fancy].set(values)
    return reshape(out, shape) if shape_of(out) != shape else out


def first_true(mask, size):
    """The positions of the first `size` true entries of the 1-d `mask` (clipped into
    range), and which of the `size` slots hold one: JAX's `size=` for results whose length
    depends on the values, from a cumulative sum and a search, so it works on abstract
    values (under jit and vmap) too."""
    size = operator_index(size, "size")
    n = shape_of(mask)[0]
    if n == 0:
        return np.zeros(size, np.intp), np.zeros(size, bool)
    count = cumsum(convert_element_type(not_equal(mask, False), np.intp))
    pos = searchsorted(count, np.arange(1, size + 1), side="left")
    return minimum(pos, n - 1), less(pos, n)


def operator_index(value, name):
    """`value` as a Python int (a static size), or a TypeError/ValueError naming `name`."""
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be a non-negative integer known before tracing (a "
                        f"Python int), got {value!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def _fill(valid, values, fill_value):
    """`values` where `valid` (broadcast), else `fill_value` in `values`' dtype."""
    fill = np.asarray(fill_value if fill_value is not None else 0).astype(dtype_of(values))
    return _select(valid, values, fill)


@numpy_outside_transforms(np.compress, own=("size", "fill_value"))
def compress(condition, a, axis=None, out=None, *, size=None, fill_value=0):
    """`numpy.compress`, differentiable in `a` (`condition` needs concrete values, unless
    `size=` fixes the length of the result, as in JAX: the first `size` selected slices,
    padded with `fill_value`)."""
    if out is not None:
        raise TypeError(_OUT_ERROR)
    if size is not None:
        a = asarray(a)
        if axis is None:
            a, axis = _ravel(a), 0
        axis = _normalize_axis(axis, len(shape_of(a)))
        cond = asarray(condition)
        if len(shape_of(cond)) != 1:
            raise ValueError("condition must be a 1-d array")
        pos, valid = first_true(cond, size)
        taken = take(a, pos, axis=axis)
        shape = [1] * len(shape_of(taken))
        shape[axis] = size
        return _fill(reshape(valid, tuple(shape)), taken, fill_value)
    cond = np.asarray(_concrete(condition, "fnp.compress"))
    if cond.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    return take(a, np.flatnonzero(cond), axis=axis)


@numpy_outside_transforms(np.extract, own=("size", "fill_value"))
def extract(condition, arr, *, size=None, fill_value=0):
    """`numpy.extract`, differentiable in `arr` (`condition` needs concrete values, unless
    `size=` fixes the length: the first `size` elements, padded with `fill_value`)."""
    if size is not None:
        pos, valid = first_true(_ravel(asarray(condition)), size)
        return _fill(valid, take(_ravel(asarray(arr)), pos), fill_value)
    cond = np.asarray(_concrete(condition, "fnp.extract"))
    return take(_ravel(arr), np.flatnonzero(cond))


# --------------------------------------------------------------------------
# index-valued functions (no derivative)


def nonzero(a, *, size=None, fill_value=None):
    """`numpy.nonzero`: concrete values, or with `size=` (JAX's) the indices of the first
    `size` non-zero elements on any values (under jit and vmap too), padded with
    `fill_value` (0; a scalar or one per dimension)."""
    if size is None:
        return np.nonzero(_concrete(a, "fnp.nonzero"))
    a = asarray(a)
    shape = shape_of(a)
    if not shape:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use np.atleast_1d("
                         "scalar).nonzero() instead.")
    fills = fill_value if isinstance(fill_value, (tuple, list)) else [fill_value] * len(shape)
    if len(fills) != len(shape):
        raise ValueError(f"fill_value: expected a scalar or {len(shape)} values (one per "
                         f"dimension of the input), got {len(fills)}")
    pos, valid = first_true(_ravel(not_equal(a, 0)), size)
    out = []
    for d in reversed(shape):
        out.append(mod(pos, d) if d else pos)
        pos = floor_divide(pos, max(d, 1))
    return tuple(_fill(valid, convert_element_type(i, np.intp), f)
                 for i, f in zip(reversed(out), fills))


def argwhere(a, *, size=None, fill_value=None):
    """`numpy.argwhere`: concrete values, or with `size=` (JAX's) the first `size` index
    rows on any values, padded with `fill_value`."""
    if size is None:
        return np.argwhere(_concrete(a, "fnp.argwhere"))
    a = asarray(a)
    if not shape_of(a):
        return np.zeros((size, 0), np.intp)
    columns = nonzero(a, size=size, fill_value=fill_value)
    return concatenate([reshape(c, (size, 1)) for c in columns], 1)


def flatnonzero(a, *, size=None, fill_value=None):
    """`numpy.flatnonzero`: concrete values, or with `size=` (JAX's) the first `size` flat
    indices on any values, padded with `fill_value` (0)."""
    if size is None:
        return np.flatnonzero(_concrete(a, "fnp.flatnonzero"))
    return nonzero(_ravel(asarray(a)), size=size, fill_value=fill_value)[0]


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """`numpy.where(condition, x, y)`: differentiable in `x` and `y`. With `condition`
    only, `nonzero(condition)` (with JAX's `size=` and `fill_value=`)."""
    if x is None and y is None:
        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    if size is not None or fill_value is not None:
        raise ValueError("where: size and fill_value apply to where(condition) alone (the "
                         "indices of the true elements), not to where(condition, x, y)")
    return _select(condition, x, y)


@numpy_outside_transforms(np.searchsorted)
def searchsorted(a, v, side="left", sorter=None):
    """`numpy.searchsorted` (integer result, no derivative); traceable under jit/vmap."""
    if side not in ("left", "right"):
        raise ValueError(f"search side must be 'left' or 'right' (got {side!r})")
    if sorter is not None:
        a = take(a, sorter)
    return searchsorted_p.bind(a, v, side=side)


# --------------------------------------------------------------------------
# select, choose


def _dtype_arg(x):
    """What np.result_type should see: Python scalars stay weak."""
    if isinstance(x, (bool, int, float, complex)):
        return x
    return dtype_of(x)


def _finish(out, dtype, shape):
    out = convert_element_type(out, dtype)
    return broadcast_to(out, shape) if shape_of(out) != shape else out


@numpy_outside_transforms(np.select)
def select(condlist, choicelist, default=0):
    """`numpy.select`, differentiable in the choices and `default`.

    The first true condition wins (a chain of `where`s).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> f = lambda x: fnp.select([x < 0, x < 1], [-x, x ** 2], default=1.0)
        >>> f(fnp.array([-2.0, 0.5, 3.0])).tolist()
        [2.0, 0.25, 1.0]
        >>> fd.grad(lambda x: fnp.sum(f(x)))(fnp.array([-2.0, 0.5, 3.0])).tolist()
        [-1.0, 1.0, 0.0]

        ```
    """
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("select with an empty condition list is not possible")
    conds = [asarray(c) for c in condlist]
    choicelist = [asarray(c) if type(c) in (list, tuple) else c for c in choicelist]
    for i, c in enumerate(conds):
        if dtype_of(c) != np.bool_:
            raise TypeError(f"invalid entry {i} in condlist: should be boolean ndarray")
    dtype = np.result_type(*[_dtype_arg(c) for c in choicelist], _dtype_arg(default))
    shape = np.broadcast_shapes(*[shape_of(a) for a in (*conds, *choicelist, default)])
    out = default
    for c, choice in zip(conds[::-1], choicelist[::-1]):
        out = _select(c, choice, out)
    return _finish(out, dtype, shape)


@numpy_outside_transforms(np.choose)
def choose(a, choices, out=None, mode="raise"):
    """`numpy.choose`, differentiable in `choices` (a chain of `where`s)."""
    if out is not None:
        raise TypeError(_OUT_ERROR)
    n = len(choices)
    choices = [choices[k] for k in range(n)]
    a = _concrete_if_possible(a)
    if not isinstance(a, Tracer):
        a = np.asarray(a)
    if mode == "clip":
        a = maximum(minimum(a, n - 1), 0)
    elif mode == "wrap":
        a = mod(a, n)
    elif mode == "raise":
        if not isinstance(a, Tracer) and np.any((a < 0) | (a >= n)):
            raise ValueError("invalid entry in choice array")
    else:
        raise ValueError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    dtype = np.result_type(*[_dtype_arg(c) for c in choices])
    shape = np.broadcast_shapes(shape_of(a), *[shape_of(c) for c in choices])
    res = choices[-1]
    for k in range(n - 2, -1, -1):
        res = _select(equal(a, k), choices[k], res)
    return _finish(res, dtype, shape)


# --------------------------------------------------------------------------
# index constructors (static)

diag_indices, tril_indices, triu_indices, ix_ = (
    np.diag_indices, np.tril_indices, np.triu_indices, np.ix_
)


def diag_indices_from(arr):
    """`numpy.diag_indices_from`, also for traced values (uses only the shape)."""
    shape = shape_of(arr)
    if len(shape) < 2:
        raise ValueError("input array must be at least 2-d")
    if len(set(shape)) != 1:
        raise ValueError("All dimensions of input must be of equal length")
    return np.diag_indices(shape[0], len(shape))


def tril_indices_from(arr, k=0):
    """`numpy.tril_indices_from`, also for traced values (uses only the shape)."""
    shape = shape_of(arr)
    if len(shape) != 2:
        raise ValueError("input array must be 2-d")
    return np.tril_indices(shape[-2], k=k, m=shape[-1])


def triu_indices_from(arr, k=0):
    """`numpy.triu_indices_from`, also for traced values (uses only the shape)."""
    shape = shape_of(arr)
    if len(shape) != 2:
        raise ValueError("input array must be 2-d")
    return np.triu_indices(shape[-2], k=k, m=shape[-1])
