"""Custom derivative rules: `custom_jvp` and `custom_vjp`.

A call of a custom function under a transform *stages* the function and its
rules (`staging.stage`): each becomes a closed `Program`, and every traced
value of an enclosing transform that they use, however they reach it (a
closure, an attribute, a global, a default argument, a bound method), is
hoisted into an explicit operand of the primitive that runs them. Each trace
then treats the call like any other primitive, on operands of its own level:

- forward mode runs the JVP rule program;
- reverse mode of a `custom_jvp` transposes the JVP rule (it is linear in the
  tangents);
- reverse mode of a `custom_vjp` runs `fwd` on the way forward (the
  primitive's `fwd` hook keeps its residuals on the tape) and `bwd` on the way
  back;
- vmap binds the primitive again with vmapped programs.

Hoisted values that the function itself (not the rule) uses are
differentiated through the function's body: for them, the rule does not
apply. Under `grad` and `jvp` the staging is concrete (values are known), so
Python control flow and printing work inside the functions, and the
function's outputs computed while staging are handed to the primitive
instead of being computed again.

`bwd` of a `custom_vjp` runs in the backward pass of the reverse-mode level
that recorded the call, where that level's tracers stand for their values;
it is staged (and so has to be traceable) only when the call is itself
staged or batched (inside `jit` or `vmap`). So an eager `bwd` may use any
NumPy or SciPy code on its residuals and cotangent.
"""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager

import numpy as np

from funcdiff._src.api.reverse import vjp_now
from funcdiff._src.api.vmap import vmap
from funcdiff._src.api_util import float0
from funcdiff._src.core import (
    Primitive,
    ShapedArray,
    Tracer,
    _state,
    carries_derivative,
    dtype_of,
    get_aval,
    shape_of,
)
from funcdiff._src.interpreters.batching import BatchTrace
from funcdiff._src.interpreters.jvp import jvp_flat
from funcdiff._src.interpreters.staging import UNKNOWN, StagingTrace, stage
from funcdiff._src.lax.elementwise import convert_element_type
from funcdiff._src.lax.shape import bdim_to_front
from funcdiff._src.tree import tree_flatten, tree_unflatten

__all__ = ["custom_jvp", "custom_vjp"]


# -- helpers ---------------------------------------------------------------------------


def _zero_tangent(x):
    dt = dtype_of(x)
    return np.zeros(shape_of(x), dt if dt.kind in "fc" else float0)


def _tangent_aval(x):
    dt = dtype_of(x)
    return ShapedArray(shape_of(x), dt if dt.kind in "fc" else float0)


def _instantiate(primals, tangents):
    return [_zero_tangent(p) if t is None else t for p, t in zip(primals, tangents)]


def _value(x):
    """The concrete value of an argument, or UNKNOWN (abstract: vmap, jit)."""
    if not isinstance(x, Tracer):
        return x
    try:
        return x.concrete()
    except Exception:  # noqa: BLE001 (ConcretizationError, or a dead tracer's error)
        return UNKNOWN


def _batch_all_front(vals, dims):
    size = next(shape_of(v)[d] for v, d in zip(vals, dims) if d is not None)
    return [bdim_to_front(v, d, size) for v, d in zip(vals, dims)]


def _vmapped(fn, avals):
    """`fn` vmapped over axis 0 of every input (of abstract values `avals`), staged as a
    closed program."""

    return stage(vmap(lambda *xs: fn(*xs)), avals, "vmap of a custom rule").program


def _batching_or_staging():
    """True when a `vmap` or a staging trace is active: callables kept in a primitive's
    parameters must then be closed programs (see the module docstring on `bwd`)."""

    return any(isinstance(m.trace, (BatchTrace, StagingTrace)) for m in _state.stack)


class _Stash:
    """Outputs computed while staging concretely, handed once to the primitive's
    implementation when it runs on the very inputs they were computed from."""

    __slots__ = ("inputs", "outputs")

    def __init__(self, inputs, outputs):
        self.inputs, self.outputs = inputs, outputs

    def take(self, args):
        outs = self.outputs
        if outs is not None and len(args) == len(self.inputs) and all(
            a is b for a, b in zip(args, self.inputs)
        ):
            self.outputs = self.inputs = None
            return list(outs)
        return None

    def __repr__(self):
        return "stash"


_staging_rules = threading.local()  # custom function -> which of its rules is being staged


def _in_progress(cf):
    """"fwd" or "rule" while that function of `cf` is being staged (in this thread)."""
    return getattr(_staging_rules, "active", {}).get(cf)


@contextmanager
def _staging(cf, kind):
    active = getattr(_staging_rules, "active", None)
    if active is None:
        active = _staging_rules.active = {}
    before = active.get(cf)
    active[cf] = kind
    try:
        yield
    finally:
        if before is None:
            del active[cf]
        else:
            active[cf] = before


def _check_nondiff(args, nondiff_argnums, name):
    for i in nondiff_argnums:
        if i >= len(args):
            raise TypeError(f"{name}: nondiff_argnums has {i} but only {len(args)} arguments")
        if any(isinstance(x, Tracer) for x in tree_flatten(args[i])[0]):
            raise TypeError(
                f"{name}: argument {i} is in nondiff_argnums but is a traced value; "
                "nondiff_argnums are for non-array arguments (functions, flags, sizes). "
                "Pass arrays as ordinary arguments and give them a zero tangent in the rule."
            )


def _describe(x):
    return f"{np.dtype(dtype_of(x)).name}{list(shape_of(x))}"


class _Call:
    """One call of a custom function: static (nondiff) arguments and traced leaves."""

    def __init__(self, cf, args, kwargs, kind):
        if kwargs:
            raise TypeError(
                f"{kind} function {cf.__name__}: pass arguments positionally "
                f"(got keyword arguments {sorted(kwargs)})."
            )
        _check_nondiff(args, cf.nondiff_argnums, kind)
        self.cf, self.kind, self.n = cf, kind, len(args)
        static = {i: args[i] for i in cf.nondiff_argnums}
        self.static = static
        self.dyn = tuple(a for i, a in enumerate(args) if i not in static)
        self.nondiff = [static[i] for i in sorted(static)]
        self.leaves, self.in_tree = tree_flatten(self.dyn)
        self.out_tree = None
        self.out_avals = None

    def args(self, leaves):
        it = iter(tree_unflatten(self.in_tree, leaves))
        return [self.static[i] if i in self.static else next(it) for i in range(self.n)]

    def flatten_out(self, out, who):
        flat, tree = tree_flatten(out)
        if self.out_tree is None:
            self.out_tree = tree
            self.out_avals = [get_aval(o) for o in flat]
        elif tree != self.out_tree or [get_aval(o) for o in flat] != self.out_avals:
            self._mismatch(who, "output", tree, flat)
        return flat

    def _mismatch(self, who, what, tree, flat):
        want = ", ".join(a.str_short() for a in self.out_avals)
        got = ", ".join(_describe(o) for o in flat)
        raise TypeError(
            f"{self.kind} function {self.cf.__name__}: {who} returned a primal {what} of "
            f"structure {tree} ({got}), but the function returns {self.out_tree} ({want}). "
            "The rule must return outputs exactly like the function's."
        )

    def stage_values(self, leaves, carries):
        """Values (when known) and derivative flags of the leaves, for `stage`."""
        values = [_value(x) for x in leaves]
        if any(v is UNKNOWN for v in values):
            return None, None
        return values, carries

    # -- the user's functions as functions of flat leaves --------------------------
    def flat_fun(self, *leaves):
        return self.flatten_out(self.cf.fun(*self.args(leaves)), "the function")

    def flat_jvp(self, *primals_and_tangents):
        n = len(self.leaves)
        p = tuple(tree_unflatten(self.in_tree, primals_and_tangents[:n]))
        t = tuple(tree_unflatten(self.in_tree, primals_and_tangents[n:]))
        rule = self.cf.jvp_rule
        result = rule(*self.nondiff, p, t)
        name = getattr(rule, "__name__", "the JVP rule")
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                f"the JVP rule {name} of {self.cf.__name__} must return a pair "
                f"(primal_out, tangent_out), got {type(result).__name__}"
            )
        out, tout = result
        flat = self.flatten_out(out, f"the JVP rule {name}")
        tflat, ttree = tree_flatten(tout)
        if ttree != self.out_tree:
            raise TypeError(
                f"the JVP rule {name} of {self.cf.__name__} returned a tangent with structure "
                f"{ttree}, but the output has structure {self.out_tree}."
            )
        checked = []
        for o, t in zip(flat, tflat):
            want = get_aval(o)
            if t is None:
                t = _zero_tangent(o)
            got_shape, got_dt = shape_of(t), np.dtype(dtype_of(t))
            want_dt = want.dtype if want.dtype.kind in "fc" else float0
            if tuple(got_shape) != want.shape or (
                got_dt != want_dt and not (got_dt.kind in "fc" and want_dt.kind == got_dt.kind)
            ):
                raise TypeError(
                    f"the JVP rule {name} of {self.cf.__name__} returned a tangent "
                    f"{got_dt.name}{list(got_shape)} for an output {want.str_short()}; each "
                    f"tangent must have its output's shape and dtype ({want_dt.name})."
                )
            checked.append(t)
        return flat + checked

    def stage_fun(self, fn, name, carries):
        values, flags = self.stage_values(self.leaves, carries)
        avals = [get_aval(x) for x in self.leaves]
        return stage(fn, avals, name, values, flags)

    def stage_rule(self):
        """The JVP rule as a program of (primals, tangents) -> outputs + tangents."""
        leaves = self.leaves
        avals = [get_aval(x) for x in leaves] + [_tangent_aval(x) for x in leaves]
        values, flags = self.stage_values(leaves, [_carries_below(x) for x in leaves])
        if values is not None:  # primals known, tangents abstract
            values = values + [UNKNOWN] * len(leaves)
            flags = flags + [False] * len(leaves)
        with _staging(self.cf, "rule"):
            return stage(self.flat_jvp, avals, f"JVP rule of {self.cf.__name__}", values, flags)


def _carries_below(x):
    """Whether `x`'s value one level down carries a derivative: the JVP rule of a
    custom function sees its primals at that level (derivatives of the rule itself
    are taken there)."""

    return isinstance(x, Tracer) and carries_derivative(x._lower()) is not None


class _Lazy:
    """A rule kept as the user's Python function: a custom function called inside the
    staging of its own rule (`f(x)` in `f`'s JVP rule) cannot stage that rule again
    (the staging would recurse); a transform that needs it calls the function."""

    __slots__ = ("call",)

    def __init__(self, call):
        self.call = call

    def __repr__(self):
        return f"<rule of {self.call.cf.__name__}>"


# -- custom_jvp -----------------------------------------------------------------------
# operands: the function's hoisted values (n_fun), the rule's (n_rule), the leaves


def _split3(ops, n_fun, n_rule):
    return ops[:n_fun], ops[n_fun : n_fun + n_rule], ops[n_fun + n_rule :]


class _BatchedRule:
    """A rule (JVP rule, `bwd`) of a batched call: `vmap` of the call's rule, made when
    a transform needs it (batching it at once could recurse: a rule calling its own
    function)."""

    __slots__ = ("rule",)

    def __init__(self, rule):
        self.rule = rule

    def __repr__(self):
        return f"<vmap of {self.rule!r}>"


def _batched_rule(rule):
    """`bwd` as a function: a `_BatchedRule` becomes `vmap` of its rule."""
    if not isinstance(rule, _BatchedRule):
        return rule

    inner = _batched_rule(rule.rule)
    return vmap(lambda *ops: inner(*ops))


def _rule_program(jvp):
    """The JVP rule as a function of (rule operands, primals, tangents): the program
    staged at the call, the user's rule itself (a lazy rule: see `_Lazy`), or `vmap`
    of one (a batched call)."""
    if isinstance(jvp, _BatchedRule):

        inner = _rule_program(jvp.rule)
        return vmap(lambda *ops: inner(*ops))
    if isinstance(jvp, _Lazy):
        # Called directly: traced values it reaches are then those of the transforms
        # running, and the traces merge what the rule's outputs carry of them.
        return jvp.call.flat_jvp
    return jvp


def _cj_impl(*ops, fun, jvp, n_fun, n_rule, name, stash):
    if stash is not None:
        outs = stash.take(ops)
        if outs is not None:
            return outs
    f, _, xs = _split3(ops, n_fun, n_rule)
    return fun(*f, *xs)


def _cj_rule(primals, tangents, fun, jvp, n_fun, n_rule):
    f, r, xs = _split3(primals, n_fun, n_rule)
    tf, _, txs = _split3(tangents, n_fun, n_rule)
    outs = _rule_program(jvp)(*r, *xs, *_instantiate(xs, txs))
    n_out = len(outs) // 2
    out, tout = list(outs[:n_out]), list(outs[n_out:])
    if any(t is not None for t in tf):  # hoisted values used by the body: through the body

        _, t_body = jvp_flat(lambda *c: fun(*c, *xs), list(f), list(tf))
        tout = [t if tb is None else t + tb for t, tb in zip(tout, t_body)]
    return out, tout


def _cj_jvp(primals, tangents, fun, jvp, n_fun, n_rule, name, stash):
    return _cj_rule(primals, tangents, fun, jvp, n_fun, n_rule)


def _cj_vjp(g, out, primals, argnums, fun, jvp, n_fun, n_rule, name, stash):
    f, r, xs = _split3(primals, n_fun, n_rule)
    g = list(g)
    cts = [None] * len(primals)
    lo = n_fun + n_rule
    if any(i >= lo for i in argnums):  # the leaves: transpose the rule (linear in tangents)
        rule = _rule_program(jvp)

        def tangent_map(*ts):
            outs = rule(*r, *xs, *ts)
            return list(outs[len(outs) // 2 :])

        _, pullback = vjp_now(tangent_map, *[_zero_tangent(x) for x in xs])
        cts[lo:] = pullback(g)
    if any(i < n_fun for i in argnums):  # hoisted values of the body: through the body
        _, pullback = vjp_now(lambda *c: fun(*c, *xs), *f)
        cts[:n_fun] = pullback(g)
    return [cts[i] for i in argnums]


def _cj_batch(vals, dims, fun, jvp, n_fun, n_rule, name, stash):
    vals = _batch_all_front(vals, dims)
    f, r, xs = _split3(vals, n_fun, n_rule)
    bfun = _vmapped(fun, [get_aval(v) for v in (*f, *xs)])
    outs = custom_jvp_call_p.bind(
        *vals, fun=bfun, jvp=_BatchedRule(jvp), n_fun=n_fun, n_rule=n_rule, name=name,
        stash=None,
    )
    return outs, [0] * len(outs)


def _cj_abstract(*avals, fun, jvp, n_fun, n_rule, name, stash):
    return list(fun.out_avals)


custom_jvp_call_p = Primitive("custom_jvp_call", _cj_impl, multiple_results=True)
custom_jvp_call_p.xp_impl = lambda xp, *ops, **params: _cj_impl(*ops, **params)  # (binds)
custom_jvp_call_p.sparsity = "custom_jvp"
custom_jvp_call_p.jvp = _cj_jvp
custom_jvp_call_p.vjp = _cj_vjp
custom_jvp_call_p.batch = _cj_batch
custom_jvp_call_p.abstract_eval = _cj_abstract


class custom_jvp:
    """A function with a custom JVP rule.

    The rule `rule(primals, tangents) -> (out, tangent_out)` must be linear in
    the tangents; reverse mode is derived from it. With `nondiff_argnums`,
    those arguments are passed first to the rule: `rule(*nondiff, primals, tangents)`.
    The function and the rule may use traced values of enclosing transforms
    (closures, attributes, globals): those are differentiated through the
    function's body.

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
        # the rule supplies the arguments' derivatives: converting them is no loss
        body = call.stage_fun(call.flat_fun, self.__name__, [False] * len(call.leaves))
        if _in_progress(self) == "rule":  # called inside the staging of its own rule
            rule, rule_ops = _Lazy(call), []
        else:
            staged = call.stage_rule()
            rule, rule_ops = staged.program, staged.hoisted
        ops = [*body.hoisted, *rule_ops, *call.leaves]
        stash = None if body.outputs is None else _Stash([_value(x) for x in ops], body.outputs)
        outs = custom_jvp_call_p.bind(
            *ops, fun=body.program, jvp=rule, n_fun=len(body.hoisted), n_rule=len(rule_ops),
            name=self.__name__, stash=stash,
        )
        return tree_unflatten(call.out_tree, outs)


# -- custom_vjp -----------------------------------------------------------------------
# operands: fwd's hoisted values (n_fwd), bwd's (n_bwd), the JVP rule's (n_rule), the
# leaves. `fwd` is a program: leaves -> outputs + residual leaves (n_out outputs).


def _split4(ops, n_fwd, n_bwd, n_rule):
    a, b = n_fwd, n_fwd + n_bwd
    return ops[:a], ops[a:b], ops[b : b + n_rule], ops[b + n_rule :]


def _cv_fwd(*ops, fwd, bwd, jvp, n_fwd, n_bwd, n_rule, n_out, name, stash):
    if stash is not None:
        outs = stash.take(ops)
        if outs is not None:
            return outs[:n_out], outs[n_out:]
    f, _, _, xs = _split4(ops, n_fwd, n_bwd, n_rule)
    outs = fwd(*f, *xs)
    return list(outs[:n_out]), list(outs[n_out:])


def _cv_impl(*ops, **params):
    return _cv_fwd(*ops, **params)[0]


def _cv_vjp(g, out, primals, argnums, fwd, bwd, jvp, n_fwd, n_bwd, n_rule, n_out, name, stash,
            residuals):

    f, b, _, xs = _split4(primals, n_fwd, n_bwd, n_rule)
    g = list(g)
    cts = [None] * len(primals)
    lo = n_fwd + n_bwd + n_rule
    if any(i >= lo for i in argnums):
        cts[lo:] = _batched_rule(bwd)(*b, *residuals, *g)
    if any(i < n_fwd for i in argnums):  # hoisted values of fwd: through its body
        _, pullback = vjp_now(lambda *c: list(fwd(*c, *xs))[:n_out], *f)
        cts[:n_fwd] = pullback(g)
    return [cts[i] for i in argnums]


def _cv_jvp(primals, tangents, fwd, bwd, jvp, n_fwd, n_bwd, n_rule, n_out, name, stash):
    if jvp is None:
        raise TypeError(
            f"the custom_vjp function {name} has no forward-mode rule, so jvp/jacfwd/hessian "
            "cannot differentiate it. Add one with `@f.defjvp` (a rule "
            "`(primals, tangents) -> (out, tangent_out)`), or use reverse mode (grad, jacrev)."
        )
    f, _, r, xs = _split4(primals, n_fwd, n_bwd, n_rule)
    tf, _, tr, txs = _split4(tangents, n_fwd, n_bwd, n_rule)
    body = lambda *ops: list(fwd(*ops))[:n_out]  # noqa: E731
    return _cj_rule([*f, *r, *xs], [*tf, *tr, *txs], body, jvp, n_fwd, n_rule)


def _cv_batch(vals, dims, fwd, bwd, jvp, n_fwd, n_bwd, n_rule, n_out, name, stash):
    vals = _batch_all_front(vals, dims)
    f, b, r, xs = _split4(vals, n_fwd, n_bwd, n_rule)
    bfwd = _vmapped(fwd, [get_aval(v) for v in (*f, *xs)])
    bbwd = _BatchedRule(bwd)
    bjvp = None if jvp is None else _BatchedRule(jvp)
    outs = custom_vjp_call_p.bind(
        *vals, fwd=bfwd, bwd=bbwd, jvp=bjvp, n_fwd=n_fwd, n_bwd=n_bwd, n_rule=n_rule,
        n_out=n_out, name=name, stash=None,
    )
    return outs, [0] * len(outs)


def _cv_abstract(*avals, fwd, bwd, jvp, n_fwd, n_bwd, n_rule, n_out, name, stash):
    return list(fwd.out_avals[:n_out])


custom_vjp_call_p = Primitive("custom_vjp_call", _cv_impl, multiple_results=True)
custom_vjp_call_p.fwd = _cv_fwd
custom_vjp_call_p.vjp = _cv_vjp
custom_vjp_call_p.jvp = _cv_jvp
custom_vjp_call_p.batch = _cv_batch
custom_vjp_call_p.abstract_eval = _cv_abstract
custom_vjp_call_p.xp_impl = lambda xp, *ops, **params: _cv_impl(*ops, **params)  # (binds)


class custom_vjp:
    """A function with a custom VJP: `.defvjp(fwd, bwd)`.

    `fwd(*args) -> (out, residuals)` runs on the way forward; `bwd(residuals,
    ct) -> tuple` returns one cotangent per (differentiable) argument, with the
    argument's structure, shapes and dtypes (`None` meaning zero). Residuals
    may be any pytree. Beyond JAX, an optional `.defjvp(rule)` makes forward
    mode (`jvp`, `jacfwd`, `hessian`) work too. Under `grad`, `bwd` runs eagerly
    on concrete residuals and cotangents, so it may call any NumPy or SciPy code.

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
        kind = _in_progress(self)
        if kind == "fwd":  # `fwd` computing its output with `f`: that is the function itself
            return self.fun(*args)
        call = _Call(self, args, kwargs, "custom_vjp")
        if kind == "rule":
            return self._nested(call)
        flat_fwd = _Fwd(call, self)
        bwd = _Bwd(call, self, flat_fwd)
        with _staging(self, "fwd"):
            staged = call.stage_fun(flat_fwd, f"fwd of {self.__name__}",
                                    [False] * len(call.leaves))
        n_out = len(call.out_avals)
        rule, rule_ops = None, []
        if self.jvp_rule is not None:
            r = call.stage_rule()
            rule, rule_ops = r.program, r.hoisted
        bwd_ops = []
        if _batching_or_staging():  # the call is staged or batched: bwd must be closed
            avals = staged.program.out_avals
            b = stage(bwd, [*avals[n_out:], *avals[:n_out]], f"bwd of {self.__name__}")
            bwd, bwd_ops = b.program, b.hoisted
        ops = [*staged.hoisted, *bwd_ops, *rule_ops, *call.leaves]
        stash = None
        if staged.outputs is not None:
            stash = _Stash([_value(x) for x in ops], staged.outputs)
        outs = custom_vjp_call_p.bind(
            *ops, fwd=staged.program, bwd=bwd, jvp=rule, n_fwd=len(staged.hoisted),
            n_bwd=len(bwd_ops), n_rule=len(rule_ops), n_out=n_out, name=self.__name__,
            stash=stash,
        )
        return tree_unflatten(call.out_tree, outs)

    def _nested(self, call):
        """A call made while staging this function's JVP rule (the rule calling `f` for
        its output): staging the rules again would recurse. The call's forward pass is
        the function itself, keeping its inputs as residuals; `bwd` runs `fwd` on them
        first, and its JVP rule is the user's function, called when needed."""
        def fun_and_inputs(*xs):
            return call.flat_fun(*xs) + list(xs)

        staged = call.stage_fun(fun_and_inputs, self.__name__, [False] * len(call.leaves))
        rule = None if self.jvp_rule is None else _Lazy(call)
        ops = [*staged.hoisted, *call.leaves]
        stash = None
        if staged.outputs is not None:
            stash = _Stash([_value(x) for x in ops], staged.outputs)
        outs = custom_vjp_call_p.bind(
            *ops, fwd=staged.program, bwd=_Bwd(call, self, None), jvp=rule,
            n_fwd=len(staged.hoisted), n_bwd=0, n_rule=0, n_out=len(call.out_avals),
            name=self.__name__, stash=stash,
        )
        return tree_unflatten(call.out_tree, outs)


class _Fwd:
    """The user's `fwd` as a function of flat leaves returning outputs + residual leaves
    (the residuals' structure is kept in `res_tree`)."""

    def __init__(self, call, cf):
        self.call, self.cf, self.res_tree = call, cf, None

    def __repr__(self):
        return f"<fwd of {self.cf.__name__}>"

    def __call__(self, *xs):
        cf, call = self.cf, self.call
        result = cf.fwd(*call.args(xs))
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                f"custom_vjp fwd of {cf.__name__} must return a pair (output, residuals), "
                f"got {type(result).__name__}"
            )
        out, res = result
        res_leaves, self.res_tree = tree_flatten(res)
        return call.flatten_out(out, "fwd") + res_leaves


class _Bwd:
    """The user's `bwd` as a function of flat residuals and cotangents returning one
    cotangent per leaf, checked against the arguments (structure, shape, dtype). With
    no `fwd`, the residuals are the call's inputs and `bwd` runs the user's `fwd` on
    them first (see `custom_vjp._nested`)."""

    def __init__(self, call, cf, fwd):
        self.call, self.cf, self.fwd = call, cf, fwd

    def __repr__(self):
        return f"<bwd of {self.cf.__name__}>"

    def __call__(self, *flat):
        call, cf = self.call, self.cf
        if self.fwd is None:
            n_res = len(call.leaves)
            res = cf.fwd(*call.args(flat[:n_res]))[1]
        else:
            n_res = self.fwd.res_tree.num_leaves
            res = tree_unflatten(self.fwd.res_tree, flat[:n_res])
        g = tree_unflatten(call.out_tree, flat[n_res:])
        cts = cf.bwd(*call.nondiff, res, g)
        bwd_name = getattr(cf.bwd, "__name__", "bwd")
        dyn = call.dyn
        if not isinstance(cts, (tuple, list)) or len(cts) != len(dyn):
            raise TypeError(
                f"custom_vjp bwd {bwd_name} of {cf.__name__} must return a tuple with one "
                f"cotangent per differentiable argument ({len(dyn)}), got {cts!r:.80}"
            )
        flat_cts = []
        for k, (arg, ct) in enumerate(zip(dyn, cts)):
            arg_leaves, arg_tree = tree_flatten(arg)
            if ct is None:
                flat_cts.extend(_zero_tangent(x) for x in arg_leaves)
                continue
            try:
                parts = arg_tree.flatten_up_to(ct)
            except ValueError as e:
                raise TypeError(
                    f"custom_vjp bwd {bwd_name} of {cf.__name__} returned, for argument {k}, a "
                    f"cotangent whose structure does not match the argument's {arg_tree}: {e}"
                ) from None
            for x, c in zip(arg_leaves, parts):
                flat_cts.append(self._check(x, c, k, bwd_name))
        return flat_cts

    def _check(self, x, c, k, bwd_name):
        if c is None:
            return _zero_tangent(x)
        want = get_aval(x)
        if not isinstance(c, (Tracer, np.ndarray, np.generic, float, int, complex)):
            raise TypeError(
                f"custom_vjp bwd {bwd_name} of {self.cf.__name__} returned a "
                f"{type(c).__name__} as the cotangent of argument {k}, which is "
                f"{want.str_short()}: return an array of its shape (or None for zero)."
            )
        shape, dt = tuple(shape_of(c)), np.dtype(dtype_of(c))
        ok = shape == want.shape
        if want.dtype.kind in "fc":
            ok = ok and dt.kind in "fc" and not (dt.kind == "c" and want.dtype.kind == "f")
        else:
            ok = ok and (dt == float0 or not np.any(c))
        if not ok:
            raise TypeError(
                f"custom_vjp bwd {bwd_name} of {self.cf.__name__} returned a cotangent "
                f"{dt.name}{list(shape)} for argument {k}, which is {want.str_short()}: each "
                "cotangent must have its argument's shape and a matching dtype (no "
                "broadcasting is done; `None` means zero)."
            )
        if want.dtype.kind not in "fc":
            return _zero_tangent(x)
        if dt != want.dtype:

            c = convert_element_type(c, want.dtype)
        return c
