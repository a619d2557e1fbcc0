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

import numpy as np

from funcdiff._src import nans
from funcdiff._src.core import (
    ConcretizationError,
    Trace,
    Tracer,
    UnsupportedPrimitiveError,
    carries_derivative,
    constant_result,
    get_aval,
    mark_argument,
    needs_protection,
    pop_main,
    protect,
    push_main,
)
from funcdiff._src.messages import concretization_error
from funcdiff._src.program import Eqn, Literal, Program, Var

__all__ = ["StagingTrace", "ObservingStagingTrace", "StagingTracer", "stage", "stage_flat"]


_PY_SCALARS = (int, float, complex, bool)


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
            raise concretization_error(
                self._trace.main, "converting a traced value to a Python value"
            )
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


def _eqn(prim, inputs, params, outputs):
    """An equation; it keeps the user's line while debug_nans/debug_infs is on."""
    return Eqn(prim, inputs, params, outputs, nans.user_location() if nans.ON else None)


class StagingTrace(Trace):
    __slots__ = ("eqns", "consts", "const_ids", "concrete", "buffers")
    hands_over = True  # (its program: an operand of the enclosing transform, if any)
    records = True

    def __init__(self, main):
        super().__init__(main)
        self.eqns = []
        self.consts = {}  # Var -> value
        self.const_ids = {}  # id(value) -> Var
        self.concrete = False  # concrete staging: tracers hold values (see the module doc)
        self.buffers = set()  # the Vars of `buffer`s

    def new_arg(self, aval, val=UNKNOWN, carries=False):
        return mark_argument(StagingTracer(self, Var(aval), val, carries))

    def pure(self, val, protected=True):
        var = self.const_ids.get(id(val))
        if var is None or self.consts[var] is not val:
            var = Var(get_aval(val))
            self.consts[var] = val
            self.const_ids[id(val)] = var
            if protected and type(val) is np.ndarray and needs_protection(val):
                protect(self.main, val)  # (the user's array: read-only while it is staged)
        if not isinstance(val, Tracer):  # a constant's value is known, staged or not
            return StagingTracer(self, var, val)
        if not self.concrete:
            return StagingTracer(self, var)
        try:
            known = val.concrete()
        except ConcretizationError:
            known = UNKNOWN
        return StagingTracer(self, var, known, carries_derivative(val) is not None)

    def buffer(self, val):
        # a new array made inside the function (`core.new_buffer`): primitives on buffers
        # and plain values only are computed now, as on NumPy arrays, not staged
        t = self.pure(val, protected=False)  # (funcdiff's own array: never written)
        self.buffers.add(t.var)
        return t

    def process_primitive(self, prim, args, params):
        atoms, avals, vals = [], [], []
        carries = False
        folds = True  # buffers and plain values only (see `buffer`)
        for a in args:
            if type(a) in _PY_SCALARS:
                lit = Literal(a)
                atoms.append(lit)
                avals.append(lit.aval)  # a weak ShapedArray
                vals.append(a)
            else:
                if folds and isinstance(a, Tracer):
                    folds = a._trace is self and a.var in self.buffers
                t = self.full_raise(a)
                atoms.append(t.var)
                avals.append(t.var.aval)
                vals.append(t.val)
                carries = carries or t.carries
        if folds and not self.observes_eager:  # constants in, a constant out, computed now
            # (as the other traces do; a trace that observes_eager records them instead)
            return constant_result(self, vals, prim.bind(*vals, **params))
        if self.concrete and all(v is not UNKNOWN for v in vals):
            if nans.ON and not nans.silenced():  # debug_nans: checked as eagerly
                with nans.quiet():
                    out = prim.impl(*vals, **params)
                nans.check_forward(prim, vals, out)
            else:
                out = prim.impl(*vals, **params)  # the value, and from it the abstract value
            if prim.multiple_results:
                outs = [Var(get_aval(o)) for o in out]
                self.eqns.append(_eqn(prim, atoms, params, outs))
                return [StagingTracer(self, v, o, carries) for v, o in zip(outs, out)]
            var = Var(get_aval(out))
            self.eqns.append(_eqn(prim, atoms, params, [var]))
            return StagingTracer(self, var, out, carries)
        rule = prim.abstract_eval  # shape rules see ShapedArrays; Python scalars weak ones
        if rule is None:
            raise _missing_abstract_eval(prim)
        out_aval = rule(*avals, **params)
        if prim.multiple_results:
            outs = [Var(a) for a in out_aval]
            self.eqns.append(_eqn(prim, atoms, params, outs))
            return [StagingTracer(self, v, UNKNOWN, carries) for v in outs]
        out = Var(out_aval)
        self.eqns.append(_eqn(prim, atoms, params, [out]))
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


class ObservingStagingTrace(StagingTrace):
    """Staging at the bottom of the stack that also records the primitives bound on plain
    values while the function is traced (`Trace.observes_eager`): a derivative's
    constants (a cotangent broadcast from the seed 1.0) become equations of the program,
    computed where it runs, instead of NumPy arrays made now. For programs that run on
    another library's arrays (funcdiff._src.backend): a constant the size of the data
    would otherwise be made on the host and shipped."""

    __slots__ = ()
    observes_eager = True


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
