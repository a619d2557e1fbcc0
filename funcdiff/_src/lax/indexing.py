"""Indexing primitives: `gather` and the scatters (add, set, min, max).

A NumPy index is normalized once into an `Index`: a static, hashable and
printable description (ints, slices, None, Ellipsis, boolean scalars,
integer and boolean arrays held by content). Integer index arrays known only
abstractly (inside `jit` or `vmap`) become extra operands of the primitive,
marked by `Dyn(k)` placeholders in the `Index`. Every implementation is
NumPy's own indexing with the rebuilt index, so NumPy's semantics (negative
indices, where advanced axes go, broadcasting of index arrays, errors) hold
by construction:

    gather(x, index)               x[index]
    scatter_add(x, u, index)       x with u added at index; repeats accumulate (np.add.at)
    scatter_set(x, u, index)       x with x[index] = u; with repeats the last write wins
    scatter_min/max(x, u, index)   np.minimum.at / np.maximum.at on a copy of x

`u` always has exactly the indexed shape (`index.out_shape(x.shape)`).
gather, scatter_add and scatter_set are linear; their transposes are
gather <-> scatter_add, and scatter_set -> (scatter_set of zeros into the
cotangent, gather of the cotangent at the writes that won).
"""

from __future__ import annotations

import numpy as np

from funcdiff._src import backend
from funcdiff._src.backend import to_numpy_dtype
from funcdiff._src.core import Primitive, ShapedArray, Tracer, dtype_of, shape_of
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.lax.elementwise import (
    convert_element_type,
    divide,
    equal,
    less,
    less_equal,
    multiply,
    where,
)
from funcdiff._src.lax.shape import broadcast_to, reduce_sum, reshape, transpose
from funcdiff._src.program import Slice

__all__ = [
    "Index", "IndexArray", "Dyn", "normalize_index",
    "gather", "scatter_add", "scatter_set", "scatter_min", "scatter_max",
    "gather_p", "scatter_add_p", "scatter_set_p", "scatter_min_p", "scatter_max_p",
    "searchsorted_p", "winners",
]

_INDEX_ERROR = (
    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or "
    "boolean arrays are valid indices"
)


# --------------------------------------------------------------------------
# The static index description


class IndexArray:
    """A concrete integer or boolean index array, hashable by content (read-only copy)."""

    __slots__ = ("value", "_hash")

    def __init__(self, value):
        value = np.array(value, copy=True)
        value.flags.writeable = False
        self.value = value
        self._hash = None

    def __hash__(self):
        if self._hash is None:
            v = self.value
            self._hash = hash((v.shape, v.dtype.str, v.tobytes()))
        return self._hash

    def __eq__(self, other):
        if not isinstance(other, IndexArray):
            return NotImplemented
        a, b = self.value, other.value
        return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))

    def __repr__(self):
        v = self.value
        if v.size <= 6:
            return repr(v.tolist())
        return f"{v.dtype.name}[{','.join(map(str, v.shape))}]"


class Dyn:
    """Placeholder for the integer index array that is the primitive's operand number k+1."""

    __slots__ = ("k",)

    def __init__(self, k):
        self.k = k

    def __hash__(self):
        return hash(("Dyn", self.k))

    def __eq__(self, other):
        return isinstance(other, Dyn) and other.k == self.k

    def __repr__(self):
        return f"<operand {self.k + 1}>"


def _entry_key(e):
    if isinstance(e, slice):
        return ("slice", e.start, e.stop, e.step)
    if isinstance(e, bool):
        return ("bool", e)
    return e


def _entry_str(e):
    if isinstance(e, slice):
        a, b, c = ("" if v is None else str(v) for v in (e.start, e.stop, e.step))
        return f"{a}:{b}" + (f":{c}" if c else "")
    if e is Ellipsis:
        return "..."
    return repr(e)


class Index:
    """A normalized NumPy index: a tuple of ints, slices, None, Ellipsis,
    bools, `IndexArray`s and `Dyn` placeholders. Static and hashable.

    `basic` is True for indices of ints, slices, None and Ellipsis only (a view
    in NumPy, never repeating an element).
    """

    __slots__ = ("entries", "basic", "ndyn", "_static", "_key")

    def __init__(self, entries):
        self.entries = entries = tuple(entries)
        self.basic = all(
            e is None or e is Ellipsis or isinstance(e, slice)
            or (isinstance(e, int) and not isinstance(e, bool))
            for e in entries
        )
        self.ndyn = sum(isinstance(e, Dyn) for e in entries)
        self._static = None if self.ndyn else self._build(())
        self._key = None

    def _build(self, dyn):
        return tuple(
            e.value if isinstance(e, IndexArray) else dyn[e.k] if isinstance(e, Dyn) else e
            for e in self.entries
        )

    def build(self, dyn=()):
        """The NumPy index tuple, with `dyn` (concrete arrays) in the `Dyn` places."""
        return self._static if self._static is not None else self._build(dyn)

    def out_shape(self, shape, dyn_avals=()):
        """Shape of `x[index]` for `x` of `shape` (NumPy checks the index here).

        NumPy indexes a zero-memory stand-in of `x`. The traced index arrays are
        replaced by arrays of their rank with every axis of length 1, so the work does
        not depend on their size; their broadcast shape is then put where NumPy puts the
        advanced-index axes (in place when the advanced indices are adjacent, else first).
        """
        dummy = np.broadcast_to(np.zeros((), np.int8), shape)
        if not dyn_avals or any(isinstance(e, bool) for e in self.entries):
            dyn = [np.broadcast_to(np.zeros((), a.dtype), a.shape) for a in dyn_avals]
            return dummy[self.build(dyn)].shape
        small = [np.zeros((1,) * len(a.shape), a.dtype) for a in dyn_avals]
        out = dummy[self.build(small)].shape
        shapes = self._advanced_shapes(dyn_avals)
        try:
            block = np.broadcast_shapes(*shapes)
        except ValueError:  # NumPy's error and message
            raise IndexError(
                "shape mismatch: indexing arrays could not be broadcast together with shapes "
                + " ".join(str(s) for s in shapes)
            ) from None
        first = self._advanced_position(len(shape))
        return out[:first] + block + out[first + len(block):]

    def _advanced_shapes(self, dyn_avals):
        shapes = []
        for e in self.entries:
            if isinstance(e, Dyn):
                shapes.append(dyn_avals[e.k].shape)
            elif isinstance(e, IndexArray):
                v = e.value
                shapes.extend([(int(np.count_nonzero(v)),)] * v.ndim if v.dtype == bool
                              else [v.shape])
            elif isinstance(e, int):  # with index arrays, an int is one more (0-d) of them
                shapes.append(())
        return shapes

    def _advanced_position(self, ndim):
        """Where NumPy puts the advanced-index axes in the result (index arrays present)."""
        entries = self.entries
        adv = [i for i, e in enumerate(entries)
               if isinstance(e, (Dyn, IndexArray, int))]
        if adv != list(range(adv[0], adv[-1] + 1)):  # not adjacent: they go first
            return 0
        consumed = sum(e.value.ndim if isinstance(e, IndexArray) and e.value.dtype == bool
                       else 1 for e in entries if e is not None and e is not Ellipsis)
        pos = 0
        for e in entries[: adv[0]]:
            pos += ndim - consumed if e is Ellipsis else 1  # None and slices: one axis each
        return pos

    def ranges(self, shape):
        """For a basic index, the indices it selects per axis of an array of `shape`
        (`range`s); None where that is not clear."""
        entries = self.entries
        consumed = sum(1 for x in entries if x is not None and x is not Ellipsis)
        ranges, axis = [], 0
        for x in entries:
            if x is None:
                continue
            if x is Ellipsis:
                for _ in range(len(shape) - consumed):
                    ranges.append(range(shape[axis]))
                    axis += 1
                continue
            if axis >= len(shape):
                return None
            n = shape[axis]
            if isinstance(x, slice):
                ranges.append(range(*x.indices(n)))
            else:
                i = int(x) + n if int(x) < 0 else int(x)
                ranges.append(range(i, i + 1))
            axis += 1
        ranges.extend(range(n) for n in shape[axis:])
        return tuple(ranges)

    def key(self):
        if self._key is None:
            self._key = tuple(_entry_key(e) for e in self.entries)
        return self._key

    def __hash__(self):
        return hash(self.key())

    def __eq__(self, other):
        return isinstance(other, Index) and self.key() == other.key()

    def __repr__(self):
        return "[" + ", ".join(_entry_str(e) for e in self.entries) + "]"


def _static_int(v, what):
    if v is None:
        return None
    if isinstance(v, Tracer):
        try:
            v = v.concrete()
        except ConcretizationError:
            raise ConcretizationError(
                f"{what} must be a concrete integer, but it is a traced value whose value "
                "is not known here (inside jit/vmap); the shape of the result would depend "
                "on it. Use static Python ints, or index with an integer array instead, "
                "e.g. `fnp.take(x, start + fnp.arange(size), axis)`."
            ) from None
    return int(np.asarray(v).__index__())


def _array_entry(a):
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return bool(a) if a.ndim == 0 else IndexArray(a)
    if a.dtype.kind in "iu":
        return int(a) if a.ndim == 0 else IndexArray(a)
    if a.size == 0 and a.dtype.kind == "f":  # `x[[]]`
        return IndexArray(a.astype(np.intp))
    raise IndexError(_INDEX_ERROR)


def normalize_index(idx):
    """Normalize a NumPy index into `(Index, dyn)`.

    Tracers with concrete values (grad, jvp) are read and become static;
    abstract integer tracers (jit, vmap) go into the list `dyn` of extra
    operands. Abstract boolean masks raise `ConcretizationError` (the shape
    of the result would depend on their values).
    """
    if not isinstance(idx, tuple):
        idx = (idx,)
    entries, dyn = [], []
    for e in idx:
        if e is None or e is Ellipsis:
            entries.append(e)
        elif isinstance(e, slice):
            entries.append(slice(
                _static_int(e.start, "a slice start"),
                _static_int(e.stop, "a slice stop"),
                _static_int(e.step, "a slice step"),
            ))
        elif isinstance(e, (bool, np.bool_)):
            entries.append(bool(e))
        elif isinstance(e, (int, np.integer)):
            entries.append(int(e))
        elif isinstance(e, Tracer):
            try:
                val = e.concrete()
            except ConcretizationError:
                kind = e.dtype.kind
                if kind in "iu":
                    entries.append(Dyn(len(dyn)))
                    dyn.append(e)
                    continue
                if kind == "b":
                    raise ConcretizationError(
                        "indexing with a boolean mask needs its concrete value (the shape "
                        "of the result depends on how many entries are True), but this mask "
                        "is an abstract traced value (inside jit/vmap). Use "
                        "`fnp.where(mask, x, 0)` (or another fill value) instead, which "
                        "keeps the shape."
                    ) from None
                raise IndexError(_INDEX_ERROR) from None
            entries.append(_array_entry(val))
        else:
            entries.append(_array_entry(e))
    return Index(entries), dyn


# --------------------------------------------------------------------------
# gather: x[index]


def _gather_impl(x, *dyn, index):
    return np.asarray(x)[index.build(dyn)]


def _gather_jvp(primals, tangents, index):
    x, *dyn = primals
    t = tangents[0]
    return gather(x, index, *dyn), (None if t is None else gather(t, index, *dyn))


def _gather_vjp(g, out, primals, argnums, index):
    x, *dyn = primals
    zeros = np.broadcast_to(np.zeros((), dtype_of(g)), shape_of(x))  # (no memory)
    return [scatter_add(zeros, g, index, *dyn) if i == 0 else None for i in argnums]


gather_p = Primitive("gather", _gather_impl, linear=(0,))
gather_p.xp_impl = lambda xp, x, *dyn, index: backend.gather(xp, x, index.build(dyn))
gather_p.sparsity = "move"
gather_p.jvp = _gather_jvp
gather_p.vjp = _gather_vjp
gather_p.abstract_eval = lambda x, *dyn, index: ShapedArray(index.out_shape(x.shape, dyn), x.dtype)


def _gather_aliases(avals, index):
    if index.basic:  # a view: a basic slice
        return Slice(index.ranges(avals[0].shape))
    if not any(isinstance(x, (bool, IndexArray)) for x in index.entries) and all(
        a.shape == () for a in avals[1:]
    ):
        return "view"  # 0-d integer operands index as ints do
    return "new"


gather_p.aliases = _gather_aliases
_gather = gather_p.bind


def gather(x, index, *dyn):
    """`x[index]` for a normalized `Index` (and its dynamic index operands)."""
    return _gather(x, *dyn, index=index)


# --------------------------------------------------------------------------
# scatter_add: x + (u added at index), repeated indices accumulate


def _copy_for_update(x, u):
    dtype = np.result_type(dtype_of(x), dtype_of(u))
    if type(x) is np.ndarray and x.size and not any(x.strides):  # one value broadcast
        v = x.item(0)  # (a VJP's zeros: a new array, not a copy of a materialized one)
        return np.zeros(x.shape, dtype) if v == 0 else np.full(x.shape, v, dtype)
    return np.array(x, dtype=dtype, copy=True)


def _scatter_add_impl(x, u, *dyn, index):
    out = _copy_for_update(x, u)
    if index.basic:  # a basic index never repeats an element
        out[index.build()] += u
    else:
        np.add.at(out, index.build(dyn), u)
    return out


def _scatter_add_jvp(primals, tangents, index):
    x, u, *dyn = primals
    tx, tu = tangents[:2]
    out = scatter_add(x, u, index, *dyn)
    if tu is None:
        return out, tx
    if tx is None:
        tx = np.zeros(shape_of(x), dtype_of(tu))
    return out, scatter_add(tx, tu, index, *dyn)


def _scatter_add_vjp(g, out, primals, argnums, index):
    dyn = primals[2:]
    return [g if i == 0 else gather(g, index, *dyn) if i == 1 else None for i in argnums]


def _scatter_abstract_eval(x, u, *dyn, index):
    return ShapedArray(x.shape, np.result_type(x.dtype, u.dtype))


scatter_add_p = Primitive("scatter_add", _scatter_add_impl, linear=(0, 1))
scatter_add_p.xp_impl = lambda xp, x, u, *dyn, index: backend.scatter_add(
    xp, x, index.build(dyn), u, np.result_type(to_numpy_dtype(x), to_numpy_dtype(u)))
scatter_add_p.sparsity = "scatter"
scatter_add_p.jvp = _scatter_add_jvp
scatter_add_p.vjp = _scatter_add_vjp
scatter_add_p.abstract_eval = _scatter_abstract_eval
_scatter_add = scatter_add_p.bind


def scatter_add(x, u, index, *dyn):
    """`x` with `u` added at `index`; repeated indices accumulate (like `np.add.at`)."""
    return _scatter_add(x, u, *dyn, index=index)


# --------------------------------------------------------------------------
# scatter_set: x with x[index] = u (repeated indices: the last write wins)


def _scatter_set_impl(x, u, *dyn, index):
    out = _copy_for_update(x, u)
    out[index.build(dyn)] = u
    return out


def _scatter_set_jvp(primals, tangents, index):
    x, u, *dyn = primals
    tx, tu = tangents[:2]
    if tx is None:
        tx = np.zeros(shape_of(x), dtype_of(tu))
    if tu is None:
        tu = np.zeros(shape_of(u), dtype_of(tx))
    return scatter_set(x, u, index, *dyn), scatter_set(tx, tu, index, *dyn)


def winners(index, dyn, x_shape, u_shape):
    """Boolean mask over the updates: which writes of `scatter_set` survive.

    None when every write survives (basic indices, or no repeated element).
    """
    if index.basic:
        return None
    pos = np.arange(int(np.prod(u_shape, dtype=np.int64))).reshape(u_shape)
    last = scatter_set(np.full(x_shape, -1, np.intp), pos, index, *dyn)
    won = equal(gather(last, index, *dyn), pos)
    if not isinstance(won, Tracer) and np.all(won):
        return None
    return won


def _scatter_set_vjp(g, out, primals, argnums, index):
    x, u, *dyn = primals
    cts = []
    for i in argnums:
        if i == 0:
            cts.append(scatter_set(g, np.zeros(shape_of(u), dtype_of(g)), index, *dyn))
        elif i == 1:
            ct = gather(g, index, *dyn)
            won = winners(index, dyn, shape_of(x), shape_of(u))
            if won is not None:
                ct = where(won, ct, np.zeros((), dtype_of(ct)))
            cts.append(ct)
        else:
            cts.append(None)
    return cts


scatter_set_p = Primitive("scatter_set", _scatter_set_impl, linear=(0, 1))
scatter_set_p.xp_impl = lambda xp, x, u, *dyn, index: backend.scatter_set(
    xp, x, index.build(dyn), u, np.result_type(to_numpy_dtype(x), to_numpy_dtype(u)))
scatter_set_p.jvp = _scatter_set_jvp
scatter_set_p.vjp = _scatter_set_vjp
scatter_set_p.abstract_eval = _scatter_abstract_eval
scatter_set_p.sparsity = "scatter"  # (x's pattern where not written, u's where written)
_scatter_set = scatter_set_p.bind


def scatter_set(x, u, index, *dyn):
    """`x` with `x[index] = u` (a new array); with repeated indices the last write wins."""
    return _scatter_set(x, u, *dyn, index=index)


# --------------------------------------------------------------------------
# scatter_min / scatter_max: np.minimum.at / np.maximum.at on a copy of x
#
# Derivative: each output element is one of the values competing for it (x's
# element and the updates aimed at it); the tied winners share it evenly
# (minimum-norm subgradient), with weights `is_winner / number_of_winners`.


def _extremum_weights(out, x, u, index, dyn):
    dt = dtype_of(out)
    ex = equal(x, out).astype(dt)
    eu = equal(u, gather(out, index, *dyn)).astype(dt)
    count = scatter_add(ex, eu, index, *dyn)
    return divide(ex, count), divide(eu, gather(count, index, *dyn))


def _scatter_extremum(name, ufunc):
    def impl(x, u, *dyn, index):
        out = _copy_for_update(x, u)
        ufunc.at(out, index.build(dyn), u)
        return out

    prim = Primitive(name, impl)
    bind = prim.bind

    def jvp(primals, tangents, index):
        x, u, *dyn = primals
        tx, tu = tangents[:2]
        out = bind(x, u, *dyn, index=index)
        wx, wu = _extremum_weights(out, x, u, index, dyn)
        t = np.zeros(shape_of(out), dtype_of(out)) if tx is None else multiply(tx, wx)
        if tu is not None:
            t = scatter_add(t, multiply(tu, wu), index, *dyn)
        return out, t

    def vjp(g, out, primals, argnums, index):
        x, u, *dyn = primals
        wx, wu = _extremum_weights(out, x, u, index, dyn)
        return [
            multiply(g, wx) if i == 0
            else multiply(gather(g, index, *dyn), wu) if i == 1
            else None
            for i in argnums
        ]

    prim.jvp = jvp
    prim.vjp = vjp
    prim.abstract_eval = _scatter_abstract_eval
    prim.sparsity = "scatter"  # (each written element on x's and the values written there)
    return prim, bind


scatter_min_p, _scatter_min = _scatter_extremum("scatter_min", np.minimum)
scatter_max_p, _scatter_max = _scatter_extremum("scatter_max", np.maximum)


def scatter_min(x, u, index, *dyn):
    """`x` with `x[index] = minimum(x[index], u)`, repeats included (`np.minimum.at`)."""
    return _scatter_min(x, u, *dyn, index=index)


def scatter_max(x, u, index, *dyn):
    """`x` with `x[index] = maximum(x[index], u)`, repeats included (`np.maximum.at`)."""
    return _scatter_max(x, u, *dyn, index=index)



# --------------------------------------------------------------------------
# vmap: index the batched operand with a batched index
#
# The batch axis of `x` goes first. With no batched index array the new index
# is `(:, *index)`; otherwise `(arange(B)[:, None, ...], *index)` with the
# batched index arrays' batch axes first, so that the batch axis joins the
# advanced block. NumPy then puts the batch axis where its placement rule says
# (the advanced block goes first when it is not contiguous); `perm` moves it
# back to the front of the unbatched result's layout.


def _to_front(a, d, size):
    if d is None:
        return broadcast_to(a, (size,) + shape_of(a))
    if d == 0:
        return a
    nd = len(shape_of(a))
    return transpose(a, (d,) + tuple(i for i in range(nd) if i != d))


def _advanced_layout(index, dyn_shapes, ndim):
    """(positions of advanced entries, their broadcast shape, output dims before them)."""
    entries = index.entries
    arrays = [i for i, e in enumerate(entries) if isinstance(e, (IndexArray, Dyn, bool))]
    if not arrays:
        return [], (), 0
    adv = [i for i, e in enumerate(entries) if i in arrays or isinstance(e, int)]
    shapes = []
    for i in adv:
        e = entries[i]
        if isinstance(e, Dyn):
            shapes.append(dyn_shapes[e.k])
        elif isinstance(e, IndexArray):
            v = e.value
            shapes.append((int(np.count_nonzero(v)),) if v.dtype == np.bool_ else v.shape)
        elif isinstance(e, bool):
            shapes.append((int(e),))
    consumed = sum(
        e.value.ndim if isinstance(e, IndexArray) and e.value.dtype == np.bool_
        else 0 if e is None or e is Ellipsis or isinstance(e, bool) else 1
        for e in entries
    )
    before = sum(
        1 if e is None or isinstance(e, slice) else ndim - consumed
        for e in entries[: adv[0]]
    )
    return adv, np.broadcast_shapes(*shapes), before


def _batched_index(index, dyn, ddims, ndim, size):
    """The index for the batched `x` (batch axis first), its operands, and the
    layout of NumPy's result (None when the batch axis comes out first)."""
    dyn_shapes = [
        shape_of(a) if d is None else shape_of(a)[:d] + shape_of(a)[d + 1:]
        for a, d in zip(dyn, ddims)
    ]
    adv, adv_shape, before = _advanced_layout(index, dyn_shapes, ndim)
    na = len(adv_shape)
    contiguous = bool(adv) and adv == list(range(adv[0], adv[-1] + 1))
    if all(d is None for d in ddims):
        new_index = Index((slice(None),) + index.entries)
        if not adv or contiguous:
            return new_index, list(dyn), None
        return new_index, list(dyn), ("front", na, 0)  # NumPy's layout: (adv, batch, rest)
    new_dyn = []
    for a, d, s in zip(dyn, ddims, dyn_shapes):
        if d is not None:
            a = _to_front(a, d, size)
            if len(s) < na:
                a = reshape(a, (size,) + (1,) * (na - len(s)) + s)
        new_dyn.append(a)
    batch_ix = IndexArray(np.arange(size).reshape((size,) + (1,) * na))
    new_index = Index((batch_ix,) + index.entries)
    if not contiguous or adv[0] == 0:
        return new_index, new_dyn, None
    return new_index, new_dyn, ("swap", na, before)  # NumPy's: (batch, adv, before, after)


def _layout_perm(layout, nd):
    """The permutation from NumPy's layout to (batch, unbatched result's layout)."""
    kind, na, before = layout
    if kind == "front":
        return (na,) + tuple(range(na)) + tuple(range(na + 1, nd))
    head = (0,) + tuple(range(1 + na, 1 + na + before)) + tuple(range(1, 1 + na))
    return head + tuple(range(len(head), nd))


def _gather_batch(args, dims, index):
    x, *dyn = args
    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    xb = _to_front(x, dims[0], size)
    new_index, new_dyn, layout = _batched_index(
        index, dyn, dims[1:], len(shape_of(xb)) - 1, size
    )
    out = gather(xb, new_index, *new_dyn)
    if layout is not None:
        out = transpose(out, _layout_perm(layout, len(shape_of(out))))
    return out, 0


def _scatter_batch(bind):
    def batch(args, dims, index):
        x, u, *dyn = args
        size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
        xb, ub = _to_front(x, dims[0], size), _to_front(u, dims[1], size)
        new_index, new_dyn, layout = _batched_index(
            index, dyn, dims[2:], len(shape_of(xb)) - 1, size
        )
        if layout is not None:  # the updates in NumPy's layout of the batched index
            perm = _layout_perm(layout, len(shape_of(ub)))
            ub = transpose(ub, tuple(int(i) for i in np.argsort(perm)))
        return bind(xb, ub, *new_dyn, index=new_index), 0

    return batch


gather_p.batch = _gather_batch
scatter_add_p.batch = _scatter_batch(_scatter_add)
scatter_set_p.batch = _scatter_batch(_scatter_set)
scatter_min_p.batch = _scatter_batch(_scatter_min)
scatter_max_p.batch = _scatter_batch(_scatter_max)


# --------------------------------------------------------------------------
# searchsorted: integer-valued, no derivative


def _searchsorted_impl(a, v, side):
    return np.searchsorted(a, v, side=side)


def _searchsorted_batch(args, dims, side):
    a, v = args
    if dims[0] is None:
        return searchsorted_p.bind(a, v, side=side), dims[1]
    # a batched sorted array: count, per batch, the entries before each value
    size = shape_of(a)[dims[0]]
    a, v = _to_front(a, dims[0], size), _to_front(v, dims[1], size)
    vs = shape_of(v)[1:]
    a = reshape(a, (size,) + (1,) * len(vs) + shape_of(a)[1:])
    v = reshape(v, (size,) + vs + (1,))
    before = (less if side == "left" else less_equal)(a, v)
    return reduce_sum(convert_element_type(before, np.intp), (len(vs) + 1,)), 0


searchsorted_p = Primitive("searchsorted", _searchsorted_impl)
searchsorted_p.jvp = lambda primals, tangents, side: (
    searchsorted_p.bind(*primals, side=side), None
)
searchsorted_p.vjp = lambda g, out, primals, argnums, side: [None] * len(argnums)
searchsorted_p.abstract_eval = lambda a, v, side: ShapedArray(v.shape, np.intp)
searchsorted_p.xp_impl = lambda xp, a, v, side: xp.searchsorted(a, v, side=side)
searchsorted_p.batch = _searchsorted_batch
