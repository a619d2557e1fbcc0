"""In-place updates of traced arrays, as NumPy code writes them: `y[i] = v`, `y[i] += v`,
`y += v`, `y *= v`, ...

A traced array is a box (a tracer); a write computes the functional update (`y.at[i].set(v)`,
`y + v`) and puts it in the same box, so every reference to `y` sees the new value, as every
reference to a NumPy array sees its new contents. Each write is an ordinary primitive of the
program, so it is differentiated in forward and reverse mode to any order, batched and jitted
like any other; the values an earlier derivative rule saved are earlier versions, which a
write never changes (reverse mode keeps them), so no derivative can see a later write.

NumPy's aliasing is kept where NumPy has it and refused where funcdiff cannot follow it
(`core.mutable_state` records what is needed):

- an argument of a transform is never written (NumPy would change the caller's array):
  `ValueError`, copy it first;
- a view made by basic indexing (`y[1:]`, `y[0, :]`) is written through into its base, and
  the base's other live views are recomputed after every write to it (as NumPy shows them
  the new values); writing into another kind of view (a reshape, a transpose) is refused;
- dtypes and shapes follow NumPy: `y[i] = v` casts `v` to `y`'s dtype, `y += v` needs
  `y`'s shape and a same-kind cast.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.core import Tracer, copy_tracer, dtype_of, mutable_state, shape_of, swap_box
from funcdiff._src.lax.elementwise import where as _where
from funcdiff._src.lax.indexing import gather_p, scatter_set_p
from funcdiff._src.lax.shape import broadcast_to as _broadcast_to
from funcdiff._src.numpy.elementwise import astype

__all__ = ["setitem", "write", "inplace_operator", "copy_tracer", "write_out"]


def _state(y):
    """`y`'s bookkeeping, or None if it has none (most tracers)."""
    return mutable_state(y) if getattr(y, "_mut", None) is not None else None


def _commit(y, new, what):
    """Make `y` hold `new`; update its live views (NumPy shows them the new values)."""
    trace = y._trace
    if not isinstance(new, Tracer) or (
            new._trace is not trace and new._trace.main.level < trace.main.level):
        # a constant (x.fill(3.0)) or a value of an enclosing transform: boxed by y's
        new = trace.full_raise(new) if isinstance(new, Tracer) else trace.buffer(new)
    if type(new) is not type(y) or new._trace is not trace:
        raise TypeError(
            f"{what}: the new value is traced by a transform that this array is not part of "
            "(a value of an inner grad/vmap/jit written into an array of an outer one); "
            "build the array inside that transform, or return the value from it"
        )
    swap_box(y, new)
    m = _state(y)
    if m is None:
        return y
    live = []
    for entry in m.views:
        ref, prim, params, rest = entry
        view = ref()
        if view is not None:
            _commit(view, prim.bind(y, *rest, **params), what)
            live.append(entry)
    m.views = live
    return y


def _write(y, new, what):
    """Checks, then the write of `new` into `y` (through to its base if `y` is a view)."""
    m = _state(y)
    if m is not None and m.arg:
        main = y._trace.main
        raise ValueError(
            f"{what}: this array is an argument of the transformed function (of "
            f"`{main.name}`: {main.where()}); writing into it would change the caller's "
            "array in NumPy, which funcdiff never does. Copy it first (`x = x.copy()`) "
            "and write into the copy."
        )
    if m is not None and m.base is not None:
        base, prim, params, rest = m.base
        index = params.get("index")
        if prim is not gather_p or rest or not index.basic:
            raise ValueError(
                f"{what}: this array is a view of another traced array made by "
                f"`{prim.name}` (a reshape, a transpose, ...), which NumPy would write through "
                "and funcdiff cannot; write into the array itself, or into a copy of the "
                "view (`z = y.reshape(...).copy()`)"
            )
        # write through: the base with this view's region replaced; its views (this one
        # too) are then recomputed from it
        new = astype(new, dtype_of(base)) if dtype_of(new) != dtype_of(base) else new
        _write(base, scatter_set_p.bind(base, new, index=index), what)
        return y
    return _commit(y, new, what)


def write(y, new, what):
    """Write `new` (of `y`'s shape) into `y` as an in-place method would (`y.sort()`,
    `y.fill(v)`); returns None, as NumPy's in-place methods do."""
    if dtype_of(new) != dtype_of(y):
        new = astype(new, dtype_of(y))
    _write(y, new, what)


def setitem(y, idx, value):
    """`y[idx] = value` on a traced array (see the module docstring); NumPy casts the value
    to the array's dtype."""
    write(y, y.at[idx].set(value), f"x[{_index_str(idx)}] = ...")


def _index_str(idx):
    try:
        return ", ".join(map(repr, idx)) if isinstance(idx, tuple) else repr(idx)
    except Exception:  # pragma: no cover - a repr that fails
        return "..."


def inplace_operator(op, symbol):
    """The `__iadd__`-style method for binary operator `op` (`symbol`: "+=")."""

    def method(y, other):
        new = op(y, other)
        if new is NotImplemented:
            return NotImplemented
        if tuple(shape_of(new)) != tuple(shape_of(y)):
            raise ValueError(
                f"non-broadcastable output operand with shape {tuple(shape_of(y))} doesn't "
                f"match the broadcast shape {tuple(shape_of(new))} (x {symbol} y)"
            )
        dt, want = np.dtype(dtype_of(new)), np.dtype(dtype_of(y))
        if dt != want:
            if not np.can_cast(dt, want, "same_kind"):
                raise TypeError(
                    f"Cannot cast ufunc output from {dt!r} to {want!r} with casting rule "
                    f"'same_kind' (x {symbol} y)"
                )
            new = astype(new, want)
        return _write(y, new, f"x {symbol} ...")

    method.__name__ = f"__i{op.__name__.strip('_')}__"
    return method


def write_out(out, results, what, *, where=True, casting="same_kind", broadcast=True):
    """NumPy's `out=`: write `results` into the arrays of `out` (one, or a tuple with None
    for results not wanted) and return what NumPy returns (the out array, or the tuple).

    A traced `out` is written in place (`write`); a NumPy `out` takes a result that carries
    no derivative (else `DetachError`, naming the fix). `broadcast`: a ufunc's result is
    broadcast to `out`'s shape; a reduction's must have it. `where`: a ufunc's mask."""
    outs = out if isinstance(out, tuple) else (out,)
    res = tuple(results) if isinstance(results, (tuple, list)) else (results,)
    if len(outs) != len(res):
        raise ValueError(f"{what}: out= has {len(outs)} arrays for {len(res)} results")
    for o, r in zip(outs, res):
        if o is None:
            continue
        shape, want = tuple(shape_of(o)), np.dtype(dtype_of(o))
        got = tuple(shape_of(r))
        if got != shape and not (broadcast and np.broadcast_shapes(got, shape) == shape):
            raise ValueError(
                f"{what}: the result has shape {got} and the out= array {shape}; pass an out= "
                "array of the result's shape, or drop out= and use the returned value")
        dt = np.dtype(dtype_of(r))
        if dt != want and not np.can_cast(dt, want, casting):
            raise TypeError(
                f"Cannot cast ufunc output from {dt!r} to {want!r} with casting rule "
                f"{casting!r} ({what})")
        if not isinstance(o, Tracer):
            if isinstance(r, Tracer) or isinstance(where, Tracer):
                # NumPy's array can only take a plain value: DetachError if r is differentiated
                r = np.asarray(r._detached(f"{what} with `y` a NumPy array")
                               if isinstance(r, Tracer) else r)
                where = np.asarray(where._detached(f"{what} (where=)")
                                   if isinstance(where, Tracer) else where)
            np.copyto(o, r, casting="unsafe", where=where)
            continue
        if where is not True:
            r = _where(where, r, o)
        if tuple(shape_of(r)) != shape:
            r = _broadcast_to(r, shape)
        write(o, r, what)
    return out if isinstance(out, tuple) and len(out) > 1 else outs[0]
