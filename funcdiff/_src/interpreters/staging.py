"""Staging: record a function as a `Program` of primitive applications.

A `StagingTracer` holds an abstract value (shape and dtype); every
primitive bound on one is appended to the program as an equation instead of
being computed. `linearize` stages the tangent half of a JVP this way, so the
returned function replays only linear operations on precomputed residuals.
The output's shape and dtype come from the primitive's `abstract_eval` rule:
staging never runs an implementation to learn them, so tracing costs the same
for any array size (a primitive without the rule is a funcdiff bug, reported
as `UnsupportedPrimitiveError`).

Custom rules and checkpoints stage the user's functions too (`stage`), to
find every traced value they use, however they reach it: such values of
enclosing transforms become the program's first inputs ("hoisted"), so the
primitive that runs the program has them as explicit operands. That staging
is *concrete* where the values are known (under `grad`, `jvp`): each tracer
also holds its value and every equation is computed as it is recorded, so
Python control flow and printing work inside those functions as they do
everywhere under `grad`, and the outputs are known without running the
program again. (That is evaluation, on the real values; an equation with an
unknown input still gets its shape from `abstract_eval`.)
"""

from __future__ import annotations

import html
import itertools

import numpy as np

from funcdiff._src.core import (
    ConcretizationError,
    ShapedArray,
    Trace,
    Tracer,
    UnsupportedPrimitiveError,
    carries_derivative,
    get_aval,
    pop_main,
    push_main,
)

__all__ = ["Program", "StagingTrace", "StagingTracer", "Var", "stage_flat"]


class Var:
    """A variable of a Program, with its abstract value."""

    __slots__ = ("aval", "name")
    _counter = itertools.count()

    def __init__(self, aval):
        self.aval = aval
        self.name = None

    def __repr__(self):
        return self.name or f"v{id(self) % 10000}"


class Literal:
    """A Python scalar used directly in an equation (keeps NumPy's weak typing)."""

    __slots__ = ("val", "aval")

    def __init__(self, val):
        self.val = val
        self.aval = get_aval(val)

    def __repr__(self):
        return repr(self.val)


_PY_SCALARS = (int, float, complex, bool)


class Eqn:
    """One equation of a Program: `outputs = prim.bind(*inputs, **params)`."""

    __slots__ = ("prim", "inputs", "params", "outputs")

    def __init__(self, prim, inputs, params, outputs):
        self.prim, self.inputs, self.params, self.outputs = prim, inputs, params, outputs


UNKNOWN = None  # the value of an abstract StagingTracer


class StagingTracer(Tracer):
    __slots__ = ("var", "val", "carries")

    def __init__(self, trace, var, val=UNKNOWN, carries=False):
        self._trace = trace
        self.var = var
        self.val = val  # the concrete value, when staging concretely (else UNKNOWN)
        self.carries = carries  # converting it would drop a derivative (see DetachError)

    @property
    def aval(self):
        return self.var.aval

    def concrete(self):
        if self.val is UNKNOWN:
            raise self._concrete_error("converting a traced value to a Python value")
        return self.val

    def _depends(self):
        return self.carries


def _missing_abstract_eval(prim):
    """Staging never runs an implementation to learn shapes (that would cost as much as
    the computation, on made-up values): a primitive without a shape rule is a bug."""
    return UnsupportedPrimitiveError(
        f"funcdiff bug: primitive `{prim.name}` has no shape/dtype rule (`abstract_eval`), "
        "so it cannot be staged by `jit`, `make_program`, `linearize` or a loop or branch "
        "body. Please report this."
    )


class StagingTrace(Trace):
    __slots__ = ("eqns", "consts", "const_ids", "concrete")

    def __init__(self, main):
        super().__init__(main)
        self.eqns = []
        self.consts = {}  # Var -> value
        self.const_ids = {}  # id(value) -> Var
        self.concrete = False  # concrete staging: tracers hold values (see the module doc)

    def new_arg(self, aval, val=UNKNOWN, carries=False):
        return StagingTracer(self, Var(aval), val, carries)

    def pure(self, val):
        var = self.const_ids.get(id(val))
        if var is None or self.consts[var] is not val:
            var = Var(get_aval(val))
            self.consts[var] = val
            self.const_ids[id(val)] = var
        if not self.concrete:
            return StagingTracer(self, var)
        if not isinstance(val, Tracer):
            return StagingTracer(self, var, val)
        try:
            known = val.concrete()
        except ConcretizationError:
            known = UNKNOWN
        return StagingTracer(self, var, known, carries_derivative(val) is not None)

    def process_primitive(self, prim, args, params):
        atoms, avals, vals = [], [], []
        carries = False
        for a in args:
            if type(a) in _PY_SCALARS:
                lit = Literal(a)
                atoms.append(lit)
                avals.append(lit.aval)  # a weak ShapedArray
                vals.append(a)
            else:
                t = self.full_raise(a)
                atoms.append(t.var)
                avals.append(t.var.aval)
                vals.append(t.val)
                carries = carries or t.carries
        if self.concrete and all(v is not UNKNOWN for v in vals):
            out = prim.impl(*vals, **params)  # the value, and from it the abstract value
            if prim.multiple_results:
                outs = [Var(get_aval(o)) for o in out]
                self.eqns.append(Eqn(prim, atoms, params, outs))
                return [StagingTracer(self, v, o, carries) for v, o in zip(outs, out)]
            var = Var(get_aval(out))
            self.eqns.append(Eqn(prim, atoms, params, [var]))
            return StagingTracer(self, var, out, carries)
        rule = prim.abstract_eval  # shape rules see ShapedArrays; Python scalars weak ones
        if rule is None:
            raise _missing_abstract_eval(prim)
        out_aval = rule(*avals, **params)
        if prim.multiple_results:
            outs = [Var(a) for a in out_aval]
            self.eqns.append(Eqn(prim, atoms, params, outs))
            return [StagingTracer(self, v, UNKNOWN, carries) for v in outs]
        out = Var(out_aval)
        self.eqns.append(Eqn(prim, atoms, params, [out]))
        return StagingTracer(self, out, UNKNOWN, carries)

    def build(self, in_tracers, outs):
        """The Program from `in_tracers` to `outs` (tracers of this trace or constants)."""
        out_atoms = []
        for o in outs:
            if isinstance(o, StagingTracer) and o._trace is self:
                out_atoms.append(o.var)
            else:
                out_atoms.append(self.pure(o).var)
        return Program([t.var for t in in_tracers], self.eqns, out_atoms, self.consts)


def stage_flat(fn, avals, name="stage"):
    """Stage `fn` (flat list of values in, flat list out) on abstract `avals`.

    Returns `(program, hoisted)`: tracers of enclosing transforms that `fn`
    closes over become the program's *first* inputs (their values are in
    `hoisted`, to be passed as operands), so that a sub-program (a loop body, a
    branch) stays a closed function that every transform can process.
    """
    staged = stage(fn, avals, name)
    return staged.program, staged.hoisted


class Staged:
    """What `stage` returns: the closed `program`, the `hoisted` values of enclosing
    transforms to pass as its first operands, and the concrete `outputs` (or None)."""

    __slots__ = ("program", "hoisted", "outputs")

    def __init__(self, program, hoisted, outputs):
        self.program, self.hoisted, self.outputs = program, hoisted, outputs


def stage(fn, avals, name="stage", values=None, carries=None):
    """Stage `fn` (flat list of values in, flat list out) on `avals`; see `stage_flat`.

    With `values` (one per input, `UNKNOWN` where not known) the staging is
    concrete where it can be: tracers hold values, equations are computed as
    they are recorded, and `Staged.outputs` are the output values when all are
    known. `carries[i]` says whether converting input i would drop a
    derivative (see `funcdiff.DetachError`).
    """
    main = push_main(StagingTrace, name, fn)
    try:
        trace = main.trace
        if values is None:
            ins = [trace.new_arg(a) for a in avals]
        else:
            trace.concrete = True
            flags = carries or [False] * len(avals)
            ins = [trace.new_arg(a, v, c) for a, v, c in zip(avals, values, flags)]
        outs = [trace.full_raise(o) if isinstance(o, Tracer) else o for o in fn(*ins)]
        program = trace.build(ins, outs)
        known = None
        if values is not None:
            known = [o.val if isinstance(o, StagingTracer) and o._trace is trace else o
                     for o in outs]
            if any(k is UNKNOWN for k in known):
                known = None
    finally:
        pop_main(main)
    lifted = [(v, c) for v, c in program.consts.items() if isinstance(c, Tracer)]
    if lifted:
        consts = {v: c for v, c in program.consts.items() if not isinstance(c, Tracer)}
        invars = [v for v, _ in lifted] + list(program.invars)
        program = Program(invars, program.eqns, program.outvars, consts)
    return Staged(program, [c for _, c in lifted], known)


class Program:
    """A staged function: input variables, equations, outputs and constants.

    `str(program)` prints one equation per line with primitive names, shapes
    and dtypes; calling the program evaluates it with `bind`, so a program is
    itself differentiable and batchable.
    """

    def __init__(self, invars, eqns, outvars, consts):
        self.invars, self.eqns, self.outvars = invars, eqns, outvars
        used = {id(v) for e in eqns for v in e.inputs} | {id(v) for v in outvars}
        self.consts = {v: c for v, c in consts.items() if id(v) in used}

    def __call__(self, *args):
        env = {id(v): c for v, c in self.consts.items()}
        for v, a in zip(self.invars, args):
            env[id(v)] = a
        for e in self.eqns:
            ins = [v.val if type(v) is Literal else env[id(v)] for v in e.inputs]
            out = e.prim.bind(*ins, **e.params)
            if e.prim.multiple_results:
                for v, o in zip(e.outputs, out):
                    env[id(v)] = o
            else:
                env[id(e.outputs[0])] = out
        return [env[id(v)] for v in self.outvars]

    @property
    def in_avals(self):
        return [v.aval for v in self.invars]

    @property
    def out_avals(self):
        return [v.aval for v in self.outvars]

    def _repr_html_(self):

        return f"<pre>{html.escape(str(self))}</pre>"

    def linearity_error(self):
        """None if every equation is linear in the inputs, else a message."""
        lin = {id(v) for v in self.invars}
        for e in self.eqns:
            flags = [id(v) in lin for v in e.inputs]
            literal_zero = [type(v) is Literal and v.val == 0 for v in e.inputs]
            if not any(flags):
                continue
            kind = e.prim.linear
            ok = (kind == "all" and all(flags)) or (kind == "each" and sum(flags) == 1)
            if kind == "all" and not all(flags):
                # a linear op with a constant operand is affine unless the constant is zero
                ok = all(
                    f or z or (v in self.consts and not np.any(self.consts[v]))
                    for f, z, v in zip(flags, literal_zero, e.inputs)
                )
            if isinstance(kind, tuple):  # linear in these positions, the others constant
                ok = all(i in kind for i, f in enumerate(flags) if f)
            if not ok:
                return (
                    f"the function is not linear in its inputs: primitive `{e.prim.name}` is "
                    "applied to values that depend on the inputs in a nonlinear way "
                    f"(equation: {self._eqn_str(e, {})})"
                )
            for v in e.outputs:
                lin.add(id(v))
        return None

    def _eqn_str(self, e, names):
        def name(v):
            if type(v) is Literal:
                return repr(v.val)
            if id(v) not in names:
                names[id(v)] = _var_name(len(names))
            return names[id(v)]

        outs = " ".join(f"{name(v)}:{v.aval.str_short()}" for v in e.outputs)
        params = " ".join(f"{k}={_fmt(p)}" for k, p in e.params.items())
        ins = " ".join(name(v) for v in e.inputs)
        return f"{outs} = {e.prim.name}{'[' + params + ']' if params else ''} {ins}"

    def __str__(self):
        names = {}
        lines = []
        ins = []
        for v in self.invars:
            names[id(v)] = _var_name(len(names))
            ins.append(f"{names[id(v)]}:{v.aval.str_short()}")
        consts = []
        for v in self.consts:
            names[id(v)] = _var_name(len(names))
            consts.append(f"{names[id(v)]}:{v.aval.str_short()}")
        lines.append(f"{{ lambda {' '.join(consts)} ; {' '.join(ins)} .")
        for e in self.eqns:
            lines.append("    " + self._eqn_str(e, names))
        outs = " ".join(names.get(id(v), "?") for v in self.outvars)
        lines.append(f"  in ({outs}) }}")
        return "\n".join(lines)

    __repr__ = __str__


def _var_name(i):
    letters = "abcdefghijklmnopqrstuvwxyz"
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = letters[r] + s
    return s


def _fmt(p):
    if isinstance(p, np.dtype):
        return p.name
    if isinstance(p, Program):
        return "\n        " + str(p).replace("\n", "\n        ") + "\n    "
    if isinstance(p, tuple) and p and all(isinstance(x, Program) for x in p):
        return "(" + ",".join(_fmt(x) for x in p) + ")"
    return repr(p)


_ = ShapedArray
