"""The reverse-mode interpreter (vjp, grad): `RevTrace`, its tape and the backward pass.

Autograd-style: while the function runs, a `RevTrace` appends one entry per
primitive to a tape (the primitive, its parameters, input primals, output and
which inputs need a cotangent). The tape is in execution order, which is a
topological order, so the backward pass is a plain loop over it in reverse:
no recursion, no sort. Each entry's `vjp` rule is written with funcdiff
operations, so a backward pass run under another transform (grad of grad,
jvp of grad) is itself differentiated.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src import messages, nans
from funcdiff._src.api_util import (
    float0,
    is_float,
    strip_tracers,
    zeros_like_aval,
)
from funcdiff._src.config import config
from funcdiff._src.core import (
    Primitive,
    Trace,
    Tracer,
    _state,
    constant_result,
    get_aval,
    mark_argument,
    needs_protection,
    pop_main,
    protect,
    push_main,
)
from funcdiff._src.program import Program

__all__ = ["RevTrace", "RevTracer", "record", "backward_pass"]


class RevTracer(Tracer):
    __slots__ = ("primal", "node", "index")

    def __init__(self, trace, primal, node, index=None):
        self._trace = trace
        self.primal = primal
        self.node = node  # position of the producing entry on the tape, None for constants
        self.index = index  # output index for primitives with several results

    @property
    def aval(self):
        return get_aval(self.primal)

    @property
    def shape(self):
        p = self.primal
        return p.shape if type(p) is np.ndarray else get_aval(p).shape

    @property
    def dtype(self):
        p = self.primal
        return p.dtype if type(p) is np.ndarray else get_aval(p).dtype

    def concrete(self):
        p = self.primal
        return p.concrete() if isinstance(p, Tracer) else p

    def _depends(self):
        return self.node is not None  # constants (node None) carry no derivative

    def _lower(self):
        return self.primal


class RevTrace(Trace):
    __slots__ = ("tape",)
    records = True  # (its tape)

    def __init__(self, main):
        super().__init__(main)
        self.tape = []

    def pure(self, val):
        # a constant of this trace: no tape entry; primitives on constants only give
        # plain values, as in the other traces (`core.new_buffer` makes such boxes)
        return RevTracer(self, val, None)

    def new_input(self, val):
        tape = self.tape
        tape.append(None)  # inputs are tape entries without a rule
        return mark_argument(RevTracer(self, val, len(tape) - 1))

    def process_primitive(self, prim, args, params):
        tape = self.tape
        if prim.nondiff:  # no derivative: a constant to this trace, nothing on the tape
            primals = [a.primal if type(a) is RevTracer and a._trace is self else a
                       for a in args]
            # (boxed where it may share memory with a value of this trace: stop_gradient(y)
            # is y's array, and writing into it must not change y)
            return constant_result(self, primals, prim.bind(*primals, **params))
        if len(args) == 1:  # `_unbox` without the loop (the argument is ours): the common case
            a = args[0]
            p = a.primal
            if a.node is None:  # a constant of this trace (a buffer): a constant result
                return constant_result(self, (p,), prim.bind(p, **params))
            primals, argnums, lower = (p,), _ARG0, isinstance(p, Tracer)
            parents = (a.node if a.index is None else (a.node, a.index),)
        else:
            primals, argnums, parents, lower, arrays = self._unbox(args)
            if not argnums:  # constants of this trace only
                return constant_result(self, primals, prim.bind(*primals, **params))
            if arrays is not None and (prim.residuals is None or prim.residuals == "inputs"):
                for a in arrays:  # the user's NumPy arrays the tape keeps: read-only meanwhile
                    protect(self.main, a)
        if prim.fwd is not None:
            out, res = prim.fwd(*primals, **params)
            params = {**params, "residuals": res}
        else:
            out = prim.bind(*primals, **params) if lower else prim.impl(*primals, **params)
        if prim.residuals is None:
            tape.append((prim, params, primals, out, argnums, parents))
        else:
            tape.append((prim, params, *_keep(prim.residuals, primals, out), argnums, parents))
        node = len(tape) - 1
        if prim.multiple_results:
            if any(type(o) is RevTracer and o._trace is self for o in out):
                return self._merge_closures(node, out)
            return [RevTracer(self, o, node, k) for k, o in enumerate(out)]
        return RevTracer(self, out, node)

    def _unbox(self, args):
        """(primals, argnums, parents, lower, arrays): the values of the arguments (this
        trace's tracers unboxed), which of them are this trace's, the tape positions they
        come from, whether some value is a tracer of a lower level (then bind there), and
        the writable NumPy arrays among the other arguments (or None)."""
        primals, argnums, parents = [], [], []
        lower = False
        arrays = None
        for i, a in enumerate(args):
            if type(a) is RevTracer and a._trace is self:
                p = a.primal
                if a.node is not None:  # (None: a constant of this trace, see `pure`)
                    argnums.append(i)
                    parents.append(a.node if a.index is None else (a.node, a.index))
            else:
                p = a
                if type(a) is np.ndarray and needs_protection(a):
                    arrays = [a] if arrays is None else [*arrays, a]
            primals.append(p)
            if not lower and isinstance(p, Tracer):
                lower = True
        # (tuples: a tape of tuples of numbers is one the garbage collector can skip)
        return tuple(primals), tuple(argnums), tuple(parents), lower, arrays

    def _merge_closures(self, node, out):
        """Outputs of a custom rule that closed over this trace's own tracers.

        Running the user's function recorded the closure path on this tape, so
        such an output `o` is one of our tracers; the rule's node gives the
        path through the arguments. The result depends on both: a merge entry
        sends its cotangent to each.
        """
        tape = self.tape
        entry = tape[node]
        primals_out = [o.primal if type(o) is RevTracer and o._trace is self else o for o in out]
        tape[node] = entry[:3] + (primals_out,) + entry[4:]
        result = []
        for k, o in enumerate(out):
            if type(o) is RevTracer and o._trace is self:
                parents = ((node, k), o.node if o.index is None else (o.node, o.index))
                tape.append((merge_p, {}, (None, None), None, (0, 1), parents))
                result.append(RevTracer(self, o.primal, len(tape) - 1))
            else:
                result.append(RevTracer(self, o, node, k))
        return result


_ARG0 = (0,)

# the sum of two paths to one value (see RevTrace._merge_closures)
merge_p = Primitive("closure_merge", lambda a, b: a)
merge_p.aliases = "view"  # its first input itself
merge_p.vjp = lambda g, out, primals, argnums: [g for _ in argnums]
merge_p.batch = lambda args, dims: (args[0], dims[0])
merge_p.abstract_eval = lambda a, b: a  # both paths have the value's shape and dtype


def _keep(policy, primals, out):
    """What a tape entry holds for the VJP rule (the rest is freed at once)."""
    if policy == "inputs":
        return primals, None
    if policy == "out":
        return [None] * len(primals), out
    return [p if type(p) in _SHAPE_ONLY else get_aval(p) for p in primals], None  # "shapes"


_SHAPE_ONLY = frozenset({float, int, bool, complex})  # no memory to free: keep as they are


def _copy_protected(tape, protected):
    """Replace the `protected` arrays among the tape's kept operands, and among the
    constants of the programs its entries hold (loop bodies, branches), by copies."""
    ids = {id(a) for a in protected}
    copies = {}

    def fresh(p):
        return copies.setdefault(id(p), np.array(p)) if id(p) in ids else p

    def in_params(v):
        if isinstance(v, Program):
            for var, c in v.consts.items():
                v.consts[var] = fresh(c)
            for e in v.eqns:
                for w in e.params.values():
                    in_params(w)
        elif type(v) in (list, tuple):
            for w in v:
                in_params(w)

    for i, entry in enumerate(tape):
        if entry is None:
            continue
        for v in entry[1].values():
            in_params(v)
        if any(id(p) in ids for p in entry[2]):
            tape[i] = entry[:2] + (tuple(fresh(p) for p in entry[2]),) + entry[3:]


def backward_pass(trace, out_cts, consume):
    """Propagate cotangents from the outputs back through `tape`.

    `out_cts` maps (node, index) -> cotangent. Returns the list of cotangents
    per tape position (only input positions are meaningful). With `consume`,
    each entry (and the residuals it holds) is released as soon as it is used.
    """
    tape = trace.tape
    main = trace.main
    main.transparent = True  # its tracers met in rules (closed over) stand for their values
    # (outside any transform, NumPy's warnings in the rules go to the user's line too)
    token = None if _state.stack else messages.fp_warnings_switch()
    try:
        return _backward(tape, out_cts, consume, getattr(trace, "in_avals", None),
                         getattr(trace, "sources", None))
    finally:
        messages.fp_warnings_restore(token)
        main.transparent = False


def _backward(tape, out_cts, consume, in_avals=None, sources=None):
    n = len(tape)
    cts = [None] * n
    for (node, index), ct in out_cts:
        _accumulate(cts, tape, node, index, ct)
    if not consume:
        tape = list(tape)
    inputs = {}
    for i in range(n - 1, -1, -1):
        g = cts[i]
        entry = tape[i]
        if entry is None:  # an input
            if g is not None:
                inputs[i] = g
            continue
        if g is None:
            continue
        cts[i] = None
        tape[i] = None  # release the residuals of this entry
        prim, params, primals, out, argnums, parents = entry
        if prim.multiple_results:
            g = [zeros_like_aval(get_aval(o)) if c is None else c for c, o in zip(g, out)]
        if sources is None:
            in_cts = prim.vjp(g, out, primals, argnums, **params)
        else:  # debug_nans: the rule as a whole is checked
            with nans.rules_checked():
                in_cts = prim.vjp(g, out, primals, argnums, **params)
            nans.check_rule(prim, "VJP", g if prim.multiple_results else [g], in_cts, primals,
                            sources.get(i), out)
        if in_avals is not None and i in in_avals:
            _check_rule(prim, in_cts, argnums, in_avals[i])
        for node, c in zip(parents, in_cts):
            if c is not None:
                if type(node) is int:
                    cur = cts[node]
                    cts[node] = c if cur is None else cur + c
                else:
                    _accumulate(cts, tape, node[0], node[1], c)
    return inputs


class CheckedRevTrace(RevTrace):
    """Reverse mode that also keeps each entry's input shapes and dtypes, so that the
    backward pass checks every VJP rule's cotangents (`config.check_rules`, which
    funcdiff's own tests turn on: a rule returning a wrong shape is a funcdiff bug, and
    NumPy would broadcast it silently into a wrong gradient)."""

    __slots__ = ("in_avals",)

    def __init__(self, main):
        super().__init__(main)
        self.in_avals = {}

    def process_primitive(self, prim, args, params):
        n = len(self.tape)
        out = super().process_primitive(prim, args, params)
        if len(self.tape) > n:
            self.in_avals[n] = [
                get_aval(a.primal if type(a) is RevTracer and a._trace is self else a)
                for a in args
            ]
        return out


class NaNCheckRevTrace(RevTrace):
    """Reverse mode under `debug_nans`/`debug_infs`: each tape entry keeps the user's line,
    forward values computed here are checked, and the backward pass checks each rule."""

    __slots__ = ("sources",)

    def __init__(self, main):
        super().__init__(main)
        self.sources = {}

    def process_primitive(self, prim, args, params):
        n = len(self.tape)
        with nans.quiet():
            out = super().process_primitive(prim, args, params)
        if len(self.tape) > n and not nans.silenced():
            self.sources[n] = line = nans.user_line()
            primals = [a.primal if type(a) is RevTracer and a._trace is self else a
                       for a in args]  # (the tape may keep only shapes)
            if not any(isinstance(p, Tracer) for p in primals):  # (a lower level checks its own)
                values = [o.primal for o in out] if prim.multiple_results else out.primal
                nans.check_forward(prim, primals, values, line)
        return out


def _check_rule(prim, in_cts, argnums, avals):
    for k, c in zip(argnums, in_cts):
        if c is None:
            continue
        want, got = avals[k], get_aval(c)
        if got.shape != want.shape or (got.dtype.kind == "c" and want.dtype.kind != "c"):
            raise RuntimeError(
                f"funcdiff bug: the VJP rule of `{prim.name}` returned a cotangent "
                f"{got.str_short()} for its argument {k}, which is {want.str_short()}. "
                "Please report it."
            )


def _accumulate(cts, tape, node, index, ct):
    if index is None:
        cur = cts[node]
        cts[node] = ct if cur is None else cur + ct
    else:
        cur = cts[node]
        if cur is None:
            cur = cts[node] = [None] * len(tape[node][3])
        cur[index] = ct if cur[index] is None else cur[index] + ct


def cast_ct(ct, aval):
    """Give a cotangent its primal's shape and dtype."""
    if ct is None:
        return zeros_like_aval(aval)
    if not is_float(aval.dtype):
        return np.zeros(aval.shape, float0)
    shape = ct.shape if type(ct) is np.ndarray else get_aval(ct).shape
    if shape != aval.shape:  # never broadcast: a wrong shape is a bug
        raise RuntimeError(
            f"funcdiff bug: reverse mode computed a cotangent of shape {shape} for "
            f"an input of shape {aval.shape}. Please report it."
        )
    if isinstance(ct, Tracer):
        return ct.astype(aval.dtype) if ct.dtype != aval.dtype else ct
    ct = np.asarray(ct)
    if ct.dtype != aval.dtype:
        if np.iscomplexobj(ct) and not np.issubdtype(aval.dtype, np.complexfloating):
            ct = ct.real
        ct = ct.astype(aval.dtype)
    return ct[()] if ct.ndim == 0 else ct


def record(fun, flat_args, diff_mask, name, fun_desc, has_aux_store=None, keep=False):
    """Run `fun` on flat args, tracing those in `diff_mask`. Returns tape info.

    `keep`: the tape outlives this call (a `vjp` pullback): it keeps copies of the user's
    NumPy arrays, the inputs included, not the arrays (written later, they would change
    the pullback)."""
    kind = NaNCheckRevTrace if nans.ON else CheckedRevTrace if config.check_rules else RevTrace
    main = push_main(kind, name, fun_desc)
    try:
        trace = main.trace
        if keep:
            flat_args = [np.array(x) if type(x) is np.ndarray and x.flags.writeable else x
                         for x in flat_args]
        args = [trace.new_input(x) if d else x for x, d in zip(flat_args, diff_mask)]
        out = fun(*args)
        outs, nodes = [], []
        for o in out:
            if type(o) is RevTracer and o._trace is trace:
                outs.append(o.primal)
                nodes.append(None if o.node is None else (o.node, o.index))
            else:
                outs.append(o)
                nodes.append(None)
        in_nodes = [a.node if d else None for a, d in zip(args, diff_mask)]
        if has_aux_store is not None and "aux" in has_aux_store:
            has_aux_store["aux"] = strip_tracers(has_aux_store["aux"], trace)
        if keep and main.protected:
            _copy_protected(trace.tape, main.protected)
    finally:
        pop_main(main)
    return trace, outs, nodes, in_nodes
