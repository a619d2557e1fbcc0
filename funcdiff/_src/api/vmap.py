"""`vmap`: the batching interpreter behind the API users call.

`vmap(f, in_axes, out_axes)` matches the axes to the arguments' pytrees (a prefix, as in
JAX), finds the batch size (naming every mismatched argument), runs `f` on
`BatchTracer`s and moves each output's batch axis to its `out_axes` entry. Arguments
that are plain arrays skip the pytree bookkeeping (checked against the general path in
tests/test_fast_paths.py).
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.api_util import check_fun, check_leaves, fresh_outputs
from funcdiff._src.core import (
    mark_argument,
    pop_main,
    push_main,
    shape_of,
)
from funcdiff._src.interpreters.batching import BatchTrace, BatchTracer
from funcdiff._src.jit.dispatch import staged_call
from funcdiff._src.lax.shape import broadcast_to, moveaxis_to
from funcdiff._src.tree import (
    broadcast_prefix,
    keystr,
    tree_flatten,
    tree_flatten_with_path,
    tree_unflatten,
)

__all__ = ["vmap"]


def _normalize_axis(ax, ndim, what):
    """A non-negative axis; for out_axes, an axis of the result (rank ndim + 1)."""
    if ax is None:
        return None
    if not isinstance(ax, (int, np.integer)) or isinstance(ax, bool):
        raise TypeError(f"vmap: {what} must be an int or None, got {ax!r}")
    rank = ndim + 1 if what.startswith("out") else ndim
    if not -rank <= ax < rank:
        raise ValueError(
            f"vmap: {what}={ax} is out of range for a value of rank {ndim}"
            + ("" if what.startswith("out") else " (in_axes must name an existing axis)")
        )
    return int(ax) % rank


def vmap(fun, in_axes=0, out_axes=0, axis_name=None, axis_size=None):
    """Vectorizing map: `fun` applied to every slice along the mapped axes, at once.

    Args:
        fun: function of pytrees of arrays.
        in_axes: int (negative allowed), None (not mapped), or a pytree prefix of
            the positional arguments (a tuple with one entry per argument, each an
            int, None or a prefix of that argument). Keyword arguments are mapped
            over axis 0.
        out_axes: the same for the outputs; None for outputs that do not depend on
            the mapped axis.
        axis_name: a name for the mapped axis, for collectives (`psum`, ...).
        axis_size: the batch size, required when no argument is mapped.

    Returns:
        The vectorized function.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.vmap(fnp.dot, in_axes=(0, None))(fnp.ones((4, 3)), fnp.arange(3.0)).tolist()
        [3.0, 3.0, 3.0, 3.0]

        ```
    """
    check_fun(fun, "vmap")
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    prefix_cache = {}  # argument structure -> in_axes per leaf
    out_cache = {}  # output structure -> out_axes per leaf

    def vmapped(*args, **kwargs):
        if isinstance(in_axes, tuple) and len(in_axes) != len(args):
            raise ValueError(
                f"vmap: in_axes is a tuple of length {len(in_axes)} but the function was "
                f"called with {len(args)} positional argument(s); give one entry per argument."
            )
        all_args = (args, kwargs)
        if not kwargs and all(type(x) is np.ndarray for x in args):
            flat, in_tree = list(args), None  # plain array arguments: no tree to walk
            axes = prefix_cache.get(len(args))
        else:
            flat, in_tree = tree_flatten(all_args)
            if check_leaves(flat, args if not kwargs else all_args, "vmap") is not None:
                return staged_call(vmapped, args, kwargs)
            axes = prefix_cache.get(in_tree)
        if axes is None:
            try:
                axes = broadcast_prefix((in_axes, 0), all_args)
            except ValueError as e:
                raise ValueError(f"vmap: in_axes does not match the arguments: {e}") from None
            prefix_cache[len(args) if in_tree is None else in_tree] = axes
        axes = [
            a
            if a is None or (type(a) is int and a == 0 and shape_of(x))
            else _normalize_axis(a, len(shape_of(x)), "in_axes")
            for a, x in zip(axes, flat)
        ]
        size = _batch_size(flat, axes, all_args, axis_size)
        main = push_main(BatchTrace, "vmap", fun)
        try:
            trace = main.trace
            trace.axis_size = size
            trace.axis_name = axis_name
            boxed = [x if a is None else mark_argument(BatchTracer(trace, x, a))
                     for x, a in zip(flat, axes)]
            if in_tree is None:
                out = fun(*boxed)
            else:
                a, k = tree_unflatten(in_tree, boxed)
                out = fun(*a, **k)
            if type(out) is BatchTracer and type(out_axes) is int:  # one array out
                return fresh_outputs([_unbatch(trace, out, out_axes, size)], flat)[0]
            out_flat, out_tree = tree_flatten(out)
            oaxes = out_cache.get(out_tree)
            if oaxes is None:
                try:
                    oaxes = out_cache[out_tree] = broadcast_prefix(out_axes, out)
                except ValueError as e:
                    raise ValueError(f"vmap: out_axes does not match the outputs: {e}") from None
            results = [_unbatch(trace, o, ax, size) for o, ax in zip(out_flat, oaxes)]
        finally:
            pop_main(main)
        return tree_unflatten(out_tree, fresh_outputs(results, flat))

    vmapped.__name__ = f"vmap_{getattr(fun, '__name__', 'fun')}"
    vmapped.__doc__ = f"Vectorized {getattr(fun, '__name__', 'function')}."
    vmapped.__wrapped__ = fun
    return vmapped


def _batch_size(flat, axes, all_args, axis_size):
    sizes = {shape_of(x)[a] for x, a in zip(flat, axes) if a is not None}
    if len(sizes) == 1 and (axis_size is None or axis_size in sizes):
        return sizes.pop()
    if not sizes:
        if axis_size is None:
            raise ValueError(
                "vmap: no argument is mapped (every in_axes entry is None), so the batch size "
                "is unknown; pass axis_size=N."
            )
        return axis_size
    named = {}  # a mismatch: name every mapped argument with its size
    for (path, _), x, a in zip(tree_flatten_with_path(all_args)[0], flat, axes):
        if a is not None:
            named[_argpath(path)] = shape_of(x)[a]
    listing = "\n".join(f"  {p}: size {n}" for p, n in named.items())
    extra = f"\n  axis_size={axis_size}" if axis_size is not None else ""
    raise ValueError(
        "vmap got mapped axes of different sizes:\n"
        + listing
        + extra
        + "\nAll mapped axes must have the same size."
    )


def _argpath(path):
    s = keystr(path)
    # (args, kwargs) -> "args[0]..." / "kwargs['k']"
    if s.startswith("[0]"):
        return "argument " + s[3:].replace("[", "", 1).replace("]", "", 1) if s[3:] else s
    if s.startswith("[1]"):
        return "keyword argument " + s[3:]
    return s


def _unbatch(trace, o, ax, size):
    if type(o) is BatchTracer and o._trace is trace and o.bdim == 0 and ax == 0:
        return o.val  # the common case: batch axis already first
    if isinstance(o, BatchTracer) and o._trace is trace and o.bdim is not None:
        if ax is None:
            raise ValueError(
                "vmap: an output that depends on the mapped axis has out_axes=None; "
                "only outputs that are the same for every example can use None."
            )
        nd = len(shape_of(o.val))
        ax = _normalize_axis(ax, nd - 1, "out_axes")
        return moveaxis_to(o.val, o.bdim, ax)
    val = o.val if isinstance(o, BatchTracer) and o._trace is trace else o
    if ax is None:
        return val

    shape = tuple(shape_of(val))
    ax = _normalize_axis(ax, len(shape), "out_axes")
    out = broadcast_to(val, (size,) + shape)
    return moveaxis_to(out, 0, ax) if ax else out
