"""The forward-mode interpreter (jvp): `JVPTrace`, and `jvp_flat` to run a function on it.

A `JVPTracer` carries a primal value and its tangent (`None` is a symbolic
zero). Each primitive's `jvp` rule maps (primals, tangents) to (out,
tangent_out) using funcdiff operations, so the rule itself can be traced by
any transform below this one.
"""

from __future__ import annotations

from funcdiff._src import nans
from funcdiff._src.api_util import (
    strip_tracers,
)
from funcdiff._src.config import config
from funcdiff._src.core import Trace, Tracer, constant_result, get_aval, mark_argument, new_main

__all__ = ["JVPTrace", "JVPTracer", "jvp_flat"]


class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self):
        return get_aval(self.primal)

    def concrete(self):
        p = self.primal
        return p.concrete() if isinstance(p, Tracer) else p

    def _depends(self):
        return self.tangent is not None  # None: a symbolic zero tangent

    def _lower(self):
        return self.primal


class JVPTrace(Trace):
    __slots__ = ()

    def pure(self, val):
        return JVPTracer(self, val, None)

    def process_primitive(self, prim, args, params):
        primals, tangents = [], []
        nonzero = False
        for a in args:
            if isinstance(a, JVPTracer) and a._trace is self:
                primals.append(a.primal)
                tangents.append(a.tangent)
                nonzero = nonzero or a.tangent is not None
            else:
                primals.append(a)
                tangents.append(None)
        if not nonzero:
            return constant_result(self, primals, prim.bind(*primals, **params))
        out, tout = prim.rule("jvp")(primals, tangents, **params)
        if prim.multiple_results:
            return [self._merge(o, t) for o, t in zip(out, tout)]
        return JVPTracer(self, out, tout)

    def _merge(self, o, t):
        """Output of a rule that may hold this trace's own tracers.

        A custom rule (custom_jvp, checkpoint) runs user code, which can close
        over tracers of this very trace: then its output already carries the
        tangent of that closure path, and its tangent expression is a tracer
        whose primal is the rule's tangent. Both paths add up.
        """
        if isinstance(t, JVPTracer) and t._trace is self:
            t = t.primal
        if isinstance(o, JVPTracer) and o._trace is self:
            extra = o.tangent
            o = o.primal
            if extra is not None:
                t = extra if t is None else add_tangents(t, extra)
        return JVPTracer(self, o, t)


def add_tangents(a, b):
    return a + b


class CheckedJVPTrace(JVPTrace):
    """Forward mode that checks every JVP rule's tangents against its outputs' shapes
    (`config.check_rules`, on in funcdiff's tests: a wrong shape is a funcdiff bug)."""

    __slots__ = ()

    def process_primitive(self, prim, args, params):
        out = super().process_primitive(prim, args, params)
        for o in out if prim.multiple_results else (out,):
            if isinstance(o, JVPTracer) and o._trace is self and o.tangent is not None:
                want, got = get_aval(o.primal), get_aval(o.tangent)
                if got.shape != want.shape:
                    raise RuntimeError(
                        f"funcdiff bug: the JVP rule of `{prim.name}` returned a tangent "
                        f"{got.str_short()} for an output {want.str_short()}. Please report it."
                    )
        return out


class NaNCheckJVPTrace(JVPTrace):
    """Forward mode under `debug_nans`/`debug_infs`: each rule is checked as a whole (its
    primal output against the primal inputs, its tangents against the input tangents)."""

    __slots__ = ()

    def process_primitive(self, prim, args, params):
        if nans.silenced():
            return super().process_primitive(prim, args, params)
        with nans.rules_checked():
            out = super().process_primitive(prim, args, params)
        primals = [a.primal if isinstance(a, JVPTracer) and a._trace is self else a for a in args]
        tangents = [a.tangent if isinstance(a, JVPTracer) and a._trace is self else None
                    for a in args]
        outs = out if prim.multiple_results else [out]
        p_out = [o.primal if isinstance(o, JVPTracer) and o._trace is self else o for o in outs]
        t_out = [o.tangent if isinstance(o, JVPTracer) and o._trace is self else None
                 for o in outs]
        line = nans.user_line()
        nans.check_forward(prim, primals, p_out, line)
        nans.check_rule(prim, "JVP", tangents, t_out, primals, line)
        return out


def jvp_flat(fun, primals, tangents, name="jvp", fun_desc=None, store=None):
    """Run `fun(*primals)` with tangents; flat lists in, flat lists out.

    Returns (primals_out, tangents_out, out_tree, extra) where tangents_out
    contains None for symbolic zeros.
    """
    trace_type = (NaNCheckJVPTrace if nans.ON else CheckedJVPTrace if config.check_rules
                  else JVPTrace)
    with new_main(trace_type, name, fun_desc or fun) as main:
        trace = main.trace
        out = fun(*[mark_argument(JVPTracer(trace, p, t)) for p, t in zip(primals, tangents)])
        out_primals, out_tangents = [], []
        for o in out:
            if isinstance(o, JVPTracer) and o._trace is trace:
                out_primals.append(o.primal)
                out_tangents.append(o.tangent)
            else:
                out_primals.append(o)
                out_tangents.append(None)
        if store is not None and "aux" in store:
            store["aux"] = strip_tracers(store["aux"], trace)
    return out_primals, out_tangents
