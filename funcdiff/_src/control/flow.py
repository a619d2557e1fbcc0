"""Control flow: `cond`, `switch`, `while_loop`, `fori_loop`, `scan`, and `checkpoint`.

funcdiff is eager: under `grad`, `vjp` and `jvp` every value is concrete, so a
predicate can simply be evaluated and the chosen branch run in Python, and a
loop is a Python loop. Every transform then works through the operations the
branch or loop body performs (reverse mode of `while_loop` included, which
JAX cannot do). Only a predicate that is *abstract* needs more: under `vmap`
a batched predicate runs both branches and selects per example, and a batched
loop condition runs until every example is done, freezing the finished ones.
"""

from __future__ import annotations

import numpy as np

from funcdiff import numpy as fnp
from funcdiff._src.api.forward import jvp
from funcdiff._src.api.reverse import vjp_now
from funcdiff._src.api_util import foreign_backend
from funcdiff._src.control.custom import _batch_all_front, _instantiate, _Stash, _value, _vmapped
from funcdiff._src.control.primitives import bind_cond, bind_scan, bind_while
from funcdiff._src.core import (
    ConcretizationError,
    Primitive,
    ShapedArray,
    Tracer,
    _state,
    carries_derivative,
    dtype_of,
    get_aval,
    shape_of,
)
from funcdiff._src.interpreters.batching import BatchTracer
from funcdiff._src.interpreters.staging import UNKNOWN, stage, stage_flat
from funcdiff._src.jit.dispatch import staged_call
from funcdiff._src.lax.elementwise import where
from funcdiff._src.tree import keystr, tree_flatten, tree_flatten_with_path, tree_unflatten

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan", "checkpoint", "remat"]


_PY_SCALARS = (int, float, complex, bool)


def _staging():
    """True inside `jit`/`make_program`: loops and branches are staged as primitives."""
    return any(m.name in ("jit", "make_program") for m in _state.stack)


def _has_tracer(*trees):
    return any(isinstance(x, Tracer) for t in trees for x in tree_flatten(t)[0])


def _flat_fn(fn, in_trees, out_store=None, n_out_split=None):
    """`fn` on pytrees as a function of flat leaves (for staging)."""

    def flat(*leaves):
        it = iter(leaves)
        args = [tree_unflatten(t, [next(it) for _ in range(t.num_leaves)]) for t in in_trees]
        out = fn(*args)
        leaves_out, tree = tree_flatten(out)
        if out_store is not None:
            out_store.append(tree)
        return leaves_out

    return flat


def _concrete(x):
    """(True, Python value) if `x` is concrete, else (False, None)."""
    if not isinstance(x, Tracer):
        return True, x
    try:
        return True, x.concrete()
    except ConcretizationError:
        return False, None


def _lanes(x):
    """The concrete values of a batched predicate for every example (eager vmap), or
    None when it is abstract (a staged value: the loop must be staged)."""

    while isinstance(x, Tracer):
        if isinstance(x, BatchTracer):
            x = x.val
        elif hasattr(x, "primal"):
            x = x.primal
        else:
            return None
    return np.asarray(x)


def _avals(tree):
    leaves = tree_flatten(tree)[0]
    return [(tuple(shape_of(x)), np.dtype(dtype_of(x))) for x in leaves]


def _check_same(name, what, before, after):
    """Carries/branch outputs must keep their structure, shapes and dtypes."""
    lb, tb = tree_flatten(before)
    la, ta = tree_flatten(after)
    if tb != ta:
        raise TypeError(f"{name}: {what} changed structure: {tb} became {ta}.")
    paths = [keystr(p) for p, _ in tree_flatten_with_path(before)[0]]
    for path, x, y in zip(paths, lb, la):
        sx, sy = tuple(shape_of(x)), tuple(shape_of(y))
        dx, dy = np.dtype(dtype_of(x)), np.dtype(dtype_of(y))
        weak = _weak(x) or _weak(y)  # Python scalars take the other side's dtype
        if sx != sy or (dx != dy and not weak):
            raise TypeError(
                f"{name}: {what} leaf {path or '(root)'} changed from {dx.name}{list(sx)} to "
                f"{dy.name}{list(sy)}; it must keep its shape and dtype (cast with .astype or "
                "reshape inside the function)."
            )


def _weak(x):
    return type(x) in _PY_SCALARS or (type(x) is ShapedArray and x.weak)


def _check_other_branches(name, branches, taken, out, operands):
    """With a concrete predicate only the taken branch runs; the others are traced on
    abstract values, so that a branch returning another type fails here, as it would
    under `vmap` and `jit`. A branch that needs concrete values (Python control flow
    on its operands) cannot run under those either: it is not checked."""

    leaves, tree = tree_flatten(operands)
    avals = [get_aval(x) for x in leaves]
    for k, branch in enumerate(branches):
        if k == taken:
            continue
        store = []
        fn = _flat_fn(lambda ops, b=branch: b(*ops), [tree], store)
        try:
            program, _ = stage_flat(fn, avals, f"{name} branch {k}")
        except ConcretizationError:
            continue
        other = tree_unflatten(store[0], program.out_avals)
        which = ("the true branch", "the false branch") if name == "cond" else (
            f"branch {taken}", f"branch {k}")
        _check_same(name, f"{which[1]}'s output (vs {which[0]}'s, which ran)", out, other)


def _check_pred(pred, name):
    if tuple(shape_of(pred)) != ():
        raise TypeError(
            f"{name}: the predicate must be a scalar (shape ()), got shape {tuple(shape_of(pred))}"
        )


def _select(pred, a, b):
    la, ta = tree_flatten(a)
    lb = tree_flatten(b)[0]
    return tree_unflatten(ta, [where(pred, x, y) for x, y in zip(la, lb)])


def cond(pred, true_fun, false_fun, *operands):
    """`true_fun(*operands)` if `pred` else `false_fun(*operands)`.

    With a concrete predicate (plain values, or inside grad/vjp/jvp) only the
    chosen branch runs. With a batched predicate (inside vmap) both branches run
    and the result is selected per example; they must return the same
    structure, shapes and dtypes.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> f = lambda x: fd.cond(x > 0, fnp.sin, fnp.cos, x)
        >>> [float(fd.grad(f)(v)) for v in (0.0, 1.0)] == [0.0, float(fnp.cos(1.0))]
        True

        ```
    """
    if foreign_backend((pred, operands), None, "cond") is not None:
        return staged_call(lambda p, ops: cond(p, true_fun, false_fun, *ops), (pred, operands), {})
    _check_pred(pred, "cond")
    known, p = _concrete(pred)
    if known:
        taken = 0 if p else 1
        out = (true_fun, false_fun)[taken](*operands)
        _check_other_branches("cond", (true_fun, false_fun), taken, out, operands)
        return out
    if _staging():

        return _staged_switch(fnp.where(pred, 0, 1), [true_fun, false_fun], operands, "cond")
    t = true_fun(*operands)
    f = false_fun(*operands)
    _check_same("cond", "the false branch's output (vs the true branch's)", t, f)
    return _select(pred, t, f)


def switch(index, branches, *operands):
    """`branches[index](*operands)`, with `index` clamped to the valid range.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> float(fd.switch(1, [fnp.sin, fnp.cos, fnp.tan], 0.0))
        1.0

        ```
    """
    if foreign_backend((index, operands), None, "switch") is not None:
        return staged_call(lambda i, ops: switch(i, branches, *ops), (index, operands), {})
    branches = list(branches)
    if not branches:
        raise ValueError("switch: needs at least one branch")
    _check_pred(index, "switch")
    known, i = _concrete(index)
    if known:
        taken = int(np.clip(i, 0, len(branches) - 1))
        out = branches[taken](*operands)
        _check_other_branches("switch", branches, taken, out, operands)
        return out

    if _staging():
        return _staged_switch(index, branches, operands, "switch")

    index = fnp.clip(index, 0, len(branches) - 1)
    outs = [b(*operands) for b in branches]
    for o in outs[1:]:
        _check_same("switch", "a branch's output (vs branch 0's)", outs[0], o)
    result = outs[-1]
    for k in range(len(outs) - 2, -1, -1):
        result = _select(fnp.equal(index, k), outs[k], result)
    return result


def _staged_switch(index, branches, operands, name):
    leaves, tree = tree_flatten(operands)
    stores = [[] for _ in branches]
    fns = [_flat_fn(lambda ops, b=b: b(*ops), [tree], st) for b, st in zip(branches, stores)]
    outs = bind_cond(index, fns, leaves)
    trees = [st[0] for st in stores]
    for t in trees[1:]:
        if t != trees[0]:
            raise TypeError(f"{name}: the branches return different structures: {trees}")
    return tree_unflatten(trees[0], list(outs))


def _staged_while(cond_fun, body_fun, init):
    leaves, tree = tree_flatten(init)

    def checked_body(v):
        new = body_fun(v)
        _check_same("while_loop", "body_fun's output (vs its input)", v, new)
        return new

    cfn = _flat_fn(lambda v: cond_fun(v), [tree])
    bfn = _flat_fn(checked_body, [tree])
    outs = bind_while(cfn, bfn, [], [], leaves)
    return tree_unflatten(tree, list(outs))


def while_loop(cond_fun, body_fun, init):
    """`while cond_fun(val): val = body_fun(val)`; returns the final `val`.

    Differentiable in forward and (beyond JAX) reverse mode whenever the trip
    count is concrete, i.e. outside jit. Under vmap with a batched condition it
    runs until every example is done, and finished examples keep their value.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> float(fd.while_loop(lambda v: v < 10, lambda v: v * 2, 1.0))
        16.0
        >>> float(fd.grad(lambda x: fd.while_loop(lambda v: v < 10, lambda v: v * 2, x))(1.0))
        16.0

        ```
    """
    if foreign_backend((init,), None, "while_loop") is not None:
        return staged_call(lambda v: while_loop(cond_fun, body_fun, v), (init,), {})
    val = init
    while True:
        c = cond_fun(val)
        _check_pred(c, "while_loop")
        known, p = _concrete(c)
        if known:
            if not p:
                return val
            new = body_fun(val)
            _check_same("while_loop", "body_fun's output (vs its input)", val, new)
            val = new
            continue
        lanes = None if _staging() else _lanes(c)
        if lanes is None:
            return _staged_while(cond_fun, body_fun, val)
        # batched condition: freeze the finished examples
        if not np.any(lanes):
            return val
        new = body_fun(val)
        _check_same("while_loop", "body_fun's output (vs its input)", val, new)
        val = _select(c, new, val)


def fori_loop(lower, upper, body_fun, init):
    """`for i in range(lower, upper): val = body_fun(i, val)`; returns `val`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> float(fd.fori_loop(0, 4, lambda i, v: v + i, 0.0))
        6.0

        ```
    """
    if foreign_backend((init,), None, "fori_loop") is not None:  # (the bounds stay static)
        return staged_call(lambda v: fori_loop(lower, upper, body_fun, v), (init,), {})
    known_l, lo = _concrete(lower)
    known_u, hi = _concrete(upper)
    if not (known_l and known_u):
        # abstract bounds: a while loop over (i, val)
        def body(carry):
            i, v = carry
            return i + 1, body_fun(i, v)

        return while_loop(lambda c: c[0] < upper, body, (lower, init))[1]
    if _staging() and _has_tracer(init):
        idx = np.arange(int(lo), int(hi))
        return _staged_scan(
            lambda v, i: (body_fun(i, v), None), init, [idx], tree_flatten(idx)[1], len(idx),
            False, "fori_loop", "body_fun's output (vs its input)",
        )[0]
    val = init
    for i in range(int(lo), int(hi)):
        new = body_fun(i, val)
        _check_same("fori_loop", "body_fun's output (vs its input)", val, new)
        val = new
    return val


def scan(f, init, xs, length=None, reverse=False):
    """Loop `carry, y = f(carry, x)` over the leading axis of `xs`; returns `(carry, ys)`.

    `xs` and the `y`s are pytrees; `ys` stacks the `y`s along a new leading
    axis. With `xs=None`, pass `length`. To save memory in reverse mode, wrap
    `f` in `checkpoint`: each step's residuals are then recomputed.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> carry, ys = fd.scan(lambda c, x: (c + x, c + x), 0.0, fnp.arange(4.0))
        >>> float(carry), ys.tolist()
        (6.0, [0.0, 1.0, 3.0, 6.0])

        ```
    """
    if foreign_backend((init, xs), None, "scan") is not None:
        return staged_call(lambda c, x: scan(f, c, x, length, reverse), (init, xs), {})

    x_leaves, x_tree = tree_flatten(xs)
    lengths = {int(shape_of(x)[0]) for x in x_leaves if len(shape_of(x)) > 0}
    if any(len(shape_of(x)) == 0 for x in x_leaves):
        raise ValueError("scan: every leaf of xs needs a leading axis to scan over")
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1:
        raise ValueError(
            "scan: the leading axes of xs (and length) must agree, got "
            f"{sorted(lengths) if lengths else 'none: pass length= when xs is None'}"
        )
    n = lengths.pop()
    if _staging() and _has_tracer(init, xs):
        return _staged_scan(f, init, x_leaves, x_tree, n, reverse)
    carry = init
    ys = []
    order = range(n - 1, -1, -1) if reverse else range(n)
    for i in order:
        x = tree_unflatten(x_tree, [leaf[i] for leaf in x_leaves])
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError("scan: f must return a pair (carry, y)")
        new, y = out
        _check_same("scan", "the carry returned by f (vs the carry passed in)", carry, new)
        carry = new
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:  # length 0: the ys' shapes come from f run on abstract values

        c_leaves, c_tree = tree_flatten(init)
        store = {}

        def probe(*leaves):
            carry_in = tree_unflatten(c_tree, leaves[: len(c_leaves)])
            x = tree_unflatten(x_tree, leaves[len(c_leaves) :])
            y_leaves, store["y"] = tree_flatten(f(carry_in, x)[1])
            return y_leaves

        avals = [get_aval(c) for c in c_leaves] + [
            ShapedArray(shape_of(x)[1:], dtype_of(x)) for x in x_leaves
        ]
        prog, _ = stage_flat(probe, avals, "scan")
        ys = [np.zeros((0,) + a.shape, a.dtype) for a in prog.out_avals]
        return carry, tree_unflatten(store["y"], ys)
    y_leaves = [tree_flatten(y)[0] for y in ys]
    y_tree = tree_flatten(ys[0])[1]
    stacked = [fnp.stack([yl[k] for yl in y_leaves]) for k in range(len(y_leaves[0]))]
    return carry, tree_unflatten(y_tree, stacked)


def _staged_scan(f, init, x_leaves, x_tree, n, reverse, name="scan",
                 what="the carry returned by f (vs the carry passed in)"):

    c_leaves, c_tree = tree_flatten(init)
    store = {}

    def body(*leaves):
        carry = tree_unflatten(c_tree, leaves[: len(c_leaves)])
        x = tree_unflatten(x_tree, leaves[len(c_leaves) :])
        out = f(carry, x)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError("scan: f must return a pair (carry, y)")
        new, y = out
        _check_same(name, what, carry, new)
        new_leaves = tree_flatten(new)[0]
        y_leaves, store["y"] = tree_flatten(y)
        return new_leaves + y_leaves

    outs = bind_scan(body, [], c_leaves, x_leaves, n, reverse)
    carry = tree_unflatten(c_tree, outs[: len(c_leaves)])
    return carry, tree_unflatten(store["y"], outs[len(c_leaves) :])


# -- checkpoint ------------------------------------------------------------------
# operands: the values of enclosing transforms the function uses (hoisted), then the
# arguments' leaves; `fun` is the function staged as a closed program (see custom.py).


def _ckpt_impl(*ops, fun, stash):
    if stash is not None:
        outs = stash.take(ops)
        if outs is not None:
            return outs
    return fun(*ops)


def _ckpt_jvp(primals, tangents, fun, stash):
    out, tout = jvp(lambda *xs: fun(*xs), tuple(primals), tuple(_instantiate(primals, tangents)))
    return list(out), list(tout)


def _ckpt_vjp(g, out, primals, argnums, fun, stash):
    # Re-run the function now, recording its residuals only for this backward step,
    # and only for the inputs that need a cotangent.
    def f(*diff):
        args = list(primals)
        for i, x in zip(argnums, diff):
            args[i] = x
        return fun(*args)

    _, pullback = vjp_now(f, *[primals[i] for i in argnums])
    return list(pullback(list(g)))


def _ckpt_batch(vals, dims, fun, stash):
    vals = _batch_all_front(vals, dims)
    outs = checkpoint_p.bind(*vals, fun=_vmapped(fun, [get_aval(v) for v in vals]), stash=None)
    return outs, [0] * len(outs)


checkpoint_p = Primitive("checkpoint", _ckpt_impl, multiple_results=True)
checkpoint_p.jvp = _ckpt_jvp
checkpoint_p.vjp = _ckpt_vjp
checkpoint_p.batch = _ckpt_batch
checkpoint_p.abstract_eval = lambda *avals, fun, stash: list(fun.out_avals)
checkpoint_p.xp_impl = lambda xp, *ops, fun, stash: _ckpt_impl(*ops, fun=fun, stash=stash)
checkpoint_p.sparsity = "call"


def checkpoint(fun, policy=None):
    """Same values and derivatives as `fun`, but reverse mode stores only its
    inputs and recomputes everything inside during the backward pass.

    Use it to trade compute for memory: wrapping each layer of a deep network
    keeps peak memory of `grad` at the layer boundaries plus one layer's
    intermediates, instead of every intermediate of every layer. `fun` may use
    traced values of enclosing transforms (parameters in a closure or an
    attribute): they are found by staging `fun` and become explicit inputs.

    Args:
        fun: the function to rematerialize.
        policy: accepted for JAX compatibility; only `None` (save nothing
            inside `fun`) is supported.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> layer = fd.checkpoint(lambda x: fnp.tanh(fnp.sin(x) * 2.0))
        >>> float(fd.grad(layer)(0.5)) == float(fd.grad(lambda x: fnp.tanh(fnp.sin(x) * 2.0))(0.5))
        True

        ```
    """
    if policy is not None:
        raise NotImplementedError("checkpoint: only policy=None (save nothing) is supported")

    def wrapped(*args, **kwargs):
        if not _state.stack:
            return fun(*args, **kwargs)

        leaves, in_tree = tree_flatten((args, kwargs))
        store = {}

        def flat_fun(*xs):
            a, k = tree_unflatten(in_tree, xs)
            flat, store["tree"] = tree_flatten(fun(*a, **k))
            return flat

        values = [_value(x) for x in leaves]
        carries = [carries_derivative(x) is not None for x in leaves]
        staged = stage(flat_fun, [get_aval(x) for x in leaves], wrapped.__name__,
                       None if any(v is UNKNOWN for v in values) else values, carries)
        ops = [*staged.hoisted, *leaves]
        stash = None
        if staged.outputs is not None:
            stash = _Stash([_value(x) for x in ops], staged.outputs)
        outs = checkpoint_p.bind(*ops, fun=staged.program, stash=stash)
        return tree_unflatten(store["tree"], outs)

    wrapped.__name__ = f"checkpoint_{getattr(fun, '__name__', 'fun')}"
    wrapped.__wrapped__ = fun
    return wrapped


remat = checkpoint
