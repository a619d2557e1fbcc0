"""Custom derivative rules: `custom_jvp` and `custom_vjp`.

A call of a custom function binds one primitive whose parameters are the
function and its rules (flattened to leaves). Each trace treats it like any
other primitive:

- forward mode calls the JVP rule;
- reverse mode of a `custom_jvp` transposes the JVP rule: the rule is linear in
  the tangents, so the pullback of `t -> rule(primals, t)[1]` is its transpose;
- reverse mode of a `custom_vjp` runs `fwd` on the way forward (through the
  primitive's `fwd` hook, which keeps its residuals on the tape) and `bwd` on
  the way back;
- vmap binds the primitive again with vmapped function and rules, so the custom
  rule still applies to the batched function.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager

import numpy as np

from funcdiff.core import Primitive, Tracer, _state
from funcdiff.primitives.elementwise import dtype_of, shape_of
from funcdiff.transforms.util import float0
from funcdiff.tree import tree_flatten, tree_unflatten

__all__ = ["custom_jvp", "custom_vjp"]


def _zero_tangent(x):
    dt = dtype_of(x)
    return np.zeros(shape_of(x), dt if dt.kind in "fc" else float0)


def _nonzero(t):
    return t is not None and (isinstance(t, Tracer) or getattr(t, "dtype", None) != float0)


def _instantiate(primals, tangents):
    return [_zero_tangent(p) if t is None else t for p, t in zip(primals, tangents)]


def _split(args, nondiff_argnums):
    static = {i: args[i] for i in nondiff_argnums}
    dyn = tuple(a for i, a in enumerate(args) if i not in static)
    return static, dyn


def _merge(static, dyn, n):
    it = iter(dyn)
    return [static[i] if i in static else next(it) for i in range(n)]


def _check_nondiff(args, nondiff_argnums, name):
    from funcdiff.core import Tracer

    for i in nondiff_argnums:
        if i >= len(args):
            raise TypeError(f"{name}: nondiff_argnums has {i} but only {len(args)} arguments")
        if any(isinstance(x, Tracer) for x in tree_flatten(args[i])[0]):
            raise TypeError(
                f"{name}: argument {i} is in nondiff_argnums but is a traced value; "
                "nondiff_argnums are for non-array arguments (functions, flags, sizes). "
                "Pass arrays as ordinary arguments and give them a zero tangent in the rule."
            )


def _batch_all_front(vals, dims):
    from funcdiff.transforms.vmap import bdim_to_front

    size = next(shape_of(v)[d] for v, d in zip(vals, dims) if d is not None)
    return [bdim_to_front(v, d, size) for v, d in zip(vals, dims)]


class ClosureConversion:
    """Tracers that a function closes over, made explicit operands.

    A custom rule or a checkpoint must see every value its function depends on
    as an operand: a traced value captured by a Python closure would otherwise
    be invisible to the primitive (vmap could not batch it, checkpoint would
    record the closure's computation). The function's closure cells holding
    tracers (inside any pytree) are listed here, and `substituted(values)`
    temporarily puts other values in those cells while the function runs.
    """

    def __init__(self, *fns):
        self.cells, self.leaves, self.trees = [], [], []
        for fn in fns:
            for cell in getattr(fn, "__closure__", None) or ():
                if any(cell is c for c in self.cells):
                    continue
                try:
                    contents = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                leaves, tree = tree_flatten(contents)
                if any(isinstance(x, Tracer) and x._trace.main.alive for x in leaves):
                    self.cells.append(cell)
                    self.leaves.append(leaves)
                    self.trees.append(tree)
        self.values = [x for leaves in self.leaves for x in leaves]

    def __len__(self):
        return len(self.values)

    def wrap(self, fun, jvp, n):
        """`fun` and a JVP rule over (n arguments, then the closed-over values).

        The rule covers the arguments; the closed-over values are
        differentiated through the function's body and the two tangents add.
        """

        def fun_all(*xs):
            with self.substituted(xs[n:]):
                return fun(*xs[:n])

        def jvp_all(primals, tangents):
            from funcdiff.transforms.jvp import jvp_flat

            with self.substituted(primals[n:]):
                out, tout = jvp(primals[:n], tangents[:n])
            if any(_nonzero(t) for t in tangents[n:]):
                _, t_closure = jvp_flat(
                    lambda *c: fun_all(*primals[:n], *c), primals[n:], tangents[n:]
                )
                tout = [t if tc is None else t + tc for t, tc in zip(tout, t_closure)]
            return out, tout

        return fun_all, jvp_all

    @contextmanager
    def substituted(self, values):
        saved = [c.cell_contents for c in self.cells]
        it = iter(values)
        try:
            for cell, leaves, tree in zip(self.cells, self.leaves, self.trees):
                cell.cell_contents = tree_unflatten(tree, [next(it) for _ in leaves])
            yield
        finally:
            for cell, value in zip(self.cells, saved):
                cell.cell_contents = value


class _Call:
    """One call of a custom function: static (nondiff) arguments and traced leaves."""

    def __init__(self, cf, args, kwargs, kind):
        if kwargs:
            raise TypeError(
                f"{kind} function {cf.__name__}: pass arguments positionally "
                f"(got keyword arguments {sorted(kwargs)})."
            )
        _check_nondiff(args, cf.nondiff_argnums, kind)
        self.cf, self.n = cf, len(args)
        self.static, self.dyn = _split(args, cf.nondiff_argnums)
        self.nondiff = [self.static[i] for i in sorted(self.static)]
        self.leaves, self.in_tree = tree_flatten(self.dyn)
        self.out_tree = None

    def args(self, leaves):
        return _merge(self.static, tree_unflatten(self.in_tree, leaves), self.n)

    def flatten_out(self, out):
        flat, self.out_tree = tree_flatten(out)
        return flat

    def flat_fun(self, *leaves):
        return self.flatten_out(self.cf.fun(*self.args(leaves)))

    def flat_jvp(self, primals, tangents):
        p = tuple(tree_unflatten(self.in_tree, primals))
        t = tuple(tree_unflatten(self.in_tree, tangents))
        out, tout = self.cf.jvp_rule(*self.nondiff, p, t)
        flat = self.flatten_out(out)
        tflat, ttree = tree_flatten(tout)
        if ttree != self.out_tree:
            raise TypeError(
                f"the JVP rule of {self.cf.__name__} returned a tangent with structure "
                f"{ttree}, but the output has structure {self.out_tree}."
            )
        return flat, tflat


# -- custom_jvp -----------------------------------------------------------------


def _cj_impl(*leaves, fun, jvp, name):
    return fun(*leaves)


def _cj_jvp(primals, tangents, fun, jvp, name):
    return jvp(list(primals), _instantiate(primals, tangents))


def _cj_vjp(g, out, primals, argnums, fun, jvp, name):
    from funcdiff.transforms.reverse import vjp

    def tangent_map(*ts):
        return jvp(list(primals), list(ts))[1]

    _, pullback = vjp(tangent_map, *[_zero_tangent(p) for p in primals])
    cts = pullback(list(g))
    return [cts[i] for i in argnums]


def _cj_batch(vals, dims, fun, jvp, name):
    from funcdiff.transforms.vmap import vmap

    vals = _batch_all_front(vals, dims)
    bfun = vmap(lambda *xs: fun(*xs))
    bjvp = vmap(lambda ps, ts: jvp(ps, ts))
    outs = custom_jvp_call_p.bind(*vals, fun=bfun, jvp=lambda p, t: bjvp(p, t), name=name)
    return outs, [0] * len(outs)


custom_jvp_call_p = Primitive("custom_jvp_call", _cj_impl, multiple_results=True)
custom_jvp_call_p.jvp = _cj_jvp
custom_jvp_call_p.vjp = _cj_vjp
custom_jvp_call_p.batch = _cj_batch


class custom_jvp:
    """A function with a custom JVP rule.

    The rule `rule(primals, tangents) -> (out, tangent_out)` must be linear in
    the tangents; reverse mode is derived from it. With `nondiff_argnums`,
    those arguments are passed first to the rule: `rule(*nondiff, primals, tangents)`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> @fd.custom_jvp
        ... def log1pexp(x):
        ...     return fnp.log1p(fnp.exp(x))
        >>> @log1pexp.defjvp
        ... def log1pexp_jvp(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return log1pexp(x), t * (1 - 1 / (1 + fnp.exp(x)))
        >>> float(fd.grad(log1pexp)(100.0))
        1.0

        ```
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp_rule = None

    def defjvp(self, jvp):
        """Set the JVP rule; returns it (usable as a decorator)."""
        self.jvp_rule = jvp
        return jvp

    def __call__(self, *args, **kwargs):
        if self.jvp_rule is None:
            raise AttributeError(
                f"No JVP rule is defined for the custom_jvp function {self.__name__}; "
                "define one with @f.defjvp."
            )
        if not _state.stack and not kwargs:
            return self.fun(*args)
        call = _Call(self, args, kwargs, "custom_jvp")
        closure = ClosureConversion(self.fun, self.jvp_rule)
        if not len(closure):
            outs = custom_jvp_call_p.bind(
                *call.leaves, fun=call.flat_fun, jvp=call.flat_jvp, name=self.__name__
            )
            return tree_unflatten(call.out_tree, outs)
        fun, jvp = closure.wrap(call.flat_fun, call.flat_jvp, len(call.leaves))
        outs = custom_jvp_call_p.bind(
            *call.leaves, *closure.values, fun=fun, jvp=jvp, name=self.__name__
        )
        return tree_unflatten(call.out_tree, outs)


# -- custom_vjp -----------------------------------------------------------------


def _cv_impl(*leaves, fun, fwd, bwd, jvp, name):
    return fun(*leaves)


def _cv_fwd(*leaves, fun, fwd, bwd, jvp, name):
    return fwd(*leaves)


def _cv_vjp(g, out, primals, argnums, fun, fwd, bwd, jvp, name, residuals):
    cts = bwd(residuals, list(g))
    return [cts[i] for i in argnums]


def _cv_jvp(primals, tangents, fun, fwd, bwd, jvp, name):
    if jvp is None:
        raise TypeError(
            f"the custom_vjp function {name} has no forward-mode rule, so jvp/jacfwd/hessian "
            "cannot differentiate it. Add one with `@f.defjvp` (a rule "
            "`(primals, tangents) -> (out, tangent_out)`), or use reverse mode (grad, jacrev)."
        )
    return jvp(list(primals), _instantiate(primals, tangents))


def _cv_batch(vals, dims, fun, fwd, bwd, jvp, name):
    from funcdiff.transforms.vmap import vmap

    vals = _batch_all_front(vals, dims)
    bfun = vmap(lambda *xs: fun(*xs))
    bfwd = vmap(lambda *xs: fwd(*xs))
    bbwd = vmap(lambda res, g: bwd(res, g))
    bjvp = None if jvp is None else vmap(lambda ps, ts: jvp(ps, ts))
    outs = custom_vjp_call_p.bind(
        *vals, fun=bfun, fwd=bfwd, bwd=lambda r, g: bbwd(r, g), jvp=bjvp, name=name
    )
    return outs, [0] * len(outs)


custom_vjp_call_p = Primitive("custom_vjp_call", _cv_impl, multiple_results=True)
custom_vjp_call_p.fwd = _cv_fwd
custom_vjp_call_p.vjp = _cv_vjp
custom_vjp_call_p.jvp = _cv_jvp
custom_vjp_call_p.batch = _cv_batch


class custom_vjp:
    """A function with a custom VJP: `.defvjp(fwd, bwd)`.

    `fwd(*args) -> (out, residuals)` runs on the way forward; `bwd(residuals,
    ct) -> tuple` returns one cotangent per (differentiable) argument, `None`
    meaning zero. Residuals may be any pytree. Beyond JAX, an optional
    `.defjvp(rule)` makes forward mode (`jvp`, `jacfwd`, `hessian`) work too.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> @fd.custom_vjp
        ... def clip_gradient(x):
        ...     return x
        >>> def fwd(x):
        ...     return x, None
        >>> def bwd(res, g):
        ...     return (fnp.clip(g, -1.0, 1.0),)
        >>> clip_gradient.defvjp(fwd, bwd)
        >>> float(fd.grad(lambda x: 5.0 * clip_gradient(x))(2.0))
        1.0

        ```
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = self.jvp_rule = None

    def defvjp(self, fwd, bwd):
        """Set the forward function `fwd(*args) -> (out, res)` and `bwd(res, ct) -> tuple`."""
        self.fwd, self.bwd = fwd, bwd

    def defjvp(self, jvp):
        """Optional forward-mode rule `(primals, tangents) -> (out, tangent_out)`."""
        self.jvp_rule = jvp
        return jvp

    def __call__(self, *args, **kwargs):
        if self.fwd is None:
            raise AttributeError(
                f"No VJP is defined for the custom_vjp function {self.__name__}; define one "
                "with f.defvjp(fwd, bwd)."
            )
        if not _state.stack and not kwargs:
            return self.fun(*args)
        call = _Call(self, args, kwargs, "custom_vjp")
        dyn = call.dyn

        def flat_fwd(*xs):
            out, res = self.fwd(*call.args(xs))
            return call.flatten_out(out), res

        def flat_bwd(res, g):
            cts = self.bwd(*call.nondiff, res, tree_unflatten(call.out_tree, g))
            if not isinstance(cts, (tuple, list)) or len(cts) != len(dyn):
                raise TypeError(
                    f"custom_vjp bwd of {self.__name__} must return a tuple with one "
                    f"cotangent per differentiable argument ({len(dyn)}), got {cts!r:.80}"
                )
            flat = []
            for arg, ct in zip(dyn, cts):
                arg_leaves, arg_tree = tree_flatten(arg)
                if ct is None:
                    flat.extend(_zero_tangent(x) for x in arg_leaves)
                    continue
                parts = arg_tree.flatten_up_to(ct)
                flat.extend(_zero_tangent(x) if c is None else c for x, c in zip(arg_leaves, parts))
            return flat

        flat_jvp = None if self.jvp_rule is None else call.flat_jvp
        closure = ClosureConversion(self.fun, self.fwd, self.bwd, self.jvp_rule)
        if not len(closure):
            outs = custom_vjp_call_p.bind(
                *call.leaves,
                fun=call.flat_fun,
                fwd=flat_fwd,
                bwd=flat_bwd,
                jvp=flat_jvp,
                name=self.__name__,
            )
            return tree_unflatten(call.out_tree, outs)
        # closed-over tracers become operands: bwd covers the arguments, the body
        # gives the closed-over values' cotangents
        n = len(call.leaves)
        fun_all, jvp_all = closure.wrap(call.flat_fun, flat_jvp or call.flat_jvp, n)

        def fwd_all(*xs):
            with closure.substituted(xs[n:]):
                out, res = flat_fwd(*xs[:n])
            return out, (res, xs[:n], xs[n:])

        def bwd_all(residuals, g):
            from funcdiff.transforms.reverse import vjp

            res, args, closed = residuals
            with closure.substituted(closed):
                cts = flat_bwd(res, g)
            _, pullback = vjp(lambda *c: fun_all(*args, *c), *closed)
            return list(cts) + list(pullback(list(g)))

        outs = custom_vjp_call_p.bind(
            *call.leaves,
            *closure.values,
            fun=fun_all,
            fwd=fwd_all,
            bwd=bwd_all,
            jvp=None if flat_jvp is None else jvp_all,
            name=self.__name__,
        )
        return tree_unflatten(call.out_tree, outs)
