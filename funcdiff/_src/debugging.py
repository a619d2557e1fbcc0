"""`debug.print` and `debug.breakpoint`: see values under every transform.

Both are primitives with an `effect` (so `jit` keeps them although they return
nothing, and never merges or folds them) and no derivative (`nondiff`: reverse mode
binds them on the primal values and records nothing). Eagerly, and under `grad`/`jvp`
where values are concrete, they act at once. Under `jit` they are staged and act each
time the compiled function runs. Under `vmap` they see all examples at once: every
batched value with its batch axis first.
"""

from __future__ import annotations

import builtins
import sys

from funcdiff._src.core import Primitive, Tracer, traced
from funcdiff._src.lax.shape import bdim_to_front
from funcdiff._src.tree import tree_flatten, tree_unflatten

__all__ = ["print", "breakpoint"]


def _effect(name, impl):
    """A primitive with an effect, no outputs and no derivative."""
    prim = Primitive(name, impl, multiple_results=True)
    prim.effect = prim.nondiff = True
    prim.abstract_eval = lambda *avals, **params: []
    prim.jvp = lambda primals, tangents, **params: (prim.bind(*primals, **params), [])
    prim.vjp = lambda g, out, primals, argnums, **params: [None] * len(argnums)

    def batch(args, dims, **params):  # all examples at once, batch axis first
        return prim.bind(*[bdim_to_front(a, d) for a, d in zip(args, dims)], **params), []

    prim.batch = batch
    return prim


# -- print ------------------------------------------------------------------------------------


def _print_impl(*leaves, fmt, tree, file):
    args, kwargs = tree_unflatten(tree, list(leaves))
    builtins.print(fmt.format(*args, **kwargs), file=file or sys.stdout)
    return []


debug_print_p = _effect("debug_print", _print_impl)


def print(fmt, *args, file=None, **kwargs):  # noqa: A001
    """Print `fmt.format(*args, **kwargs)` with the arguments' values, under any transform.

    Eagerly and under `grad`, `vjp` and `jvp` it prints at once (the primal values; in a
    `custom_vjp` backward function, the cotangents it is given). Under `jit` it prints
    each time the compiled function runs. Under `vmap` it prints once for all examples:
    each batched value with its batch axis first.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd, funcdiff.numpy as fnp
        >>> def f(x):
        ...     y = fnp.sin(x)
        ...     fd.debug.print("y = {}", y)
        ...     return y * 2
        >>> _ = fd.jit(f)(np.array([0.0]))
        y = [0.]
        >>> _ = fd.vmap(f)(np.array([0.0, 0.0]))
        y = [0. 0.]

        ```
    """
    if not isinstance(fmt, str):
        raise TypeError(f"debug.print(fmt, ...): fmt must be a format string, got {fmt!r}")
    leaves, tree = tree_flatten((args, kwargs))
    if traced(*leaves):
        debug_print_p.bind(*leaves, fmt=fmt, tree=tree, file=file)
    else:
        _print_impl(*leaves, fmt=fmt, tree=tree, file=file)


# -- breakpoint -------------------------------------------------------------------------------


def _enter_debugger(namespace):
    """pdb, in a frame whose local variables are `namespace` (`p x`, `pp`, `c` to go on)."""
    exec("import pdb as _pdb; _pdb.Pdb().set_trace()", {"__builtins__": builtins}, namespace)


def _breakpoint_impl(*values, names, consts):
    namespace = dict(consts)
    namespace.update(zip(names, values))
    _enter_debugger(namespace)
    return []


debug_breakpoint_p = _effect("debug_breakpoint", _breakpoint_impl)


def breakpoint():  # noqa: A001
    """Stop in `pdb` with the caller's local variables, as concrete values, under any
    transform: at once eagerly and under `grad`/`jvp` (traced values as their values),
    each time the compiled function runs under `jit`, once for all examples under `vmap`
    (batched values with their batch axis first). Continue with `c`.
    """
    frame = sys._getframe(1)
    names, values, consts = [], [], {}
    for name, value in frame.f_locals.items():
        if isinstance(value, Tracer):
            names.append(name)
            values.append(value)
        else:
            consts[name] = value
    if traced(*values):
        debug_breakpoint_p.bind(*values, names=tuple(names), consts=consts)
    else:
        _breakpoint_impl(*values, names=tuple(names), consts=consts)
