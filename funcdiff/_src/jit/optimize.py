"""`optimize`: the passes `jit` runs over a Program before compiling it.

One pass over the equations: no-op removal (an equation returning an input unchanged,
by the primitive's `identity` and `neutral` fields), constant folding (up to
`_FOLD_LIMIT` elements), common subexpressions, and dead code."""

from __future__ import annotations

import numpy as np

from funcdiff._src.core import Tracer
from funcdiff._src.program import Literal, Program

__all__ = ["optimize"]


# -- optimization ---------------------------------------------------------------


def _is_const(atom, consts):
    return type(atom) is Literal or atom in consts


def _const_val(atom, consts):
    return atom.val if type(atom) is Literal else consts[atom]


def params_key(params):
    try:
        key = tuple(sorted(params.items()))
        hash(key)
        return key
    except TypeError:
        return None


_FOLD_LIMIT = 1 << 16  # don't materialize big constants (broadcasts of scalars)


def optimize(program):
    """An optimized copy of `program`: no-ops removed, constants folded,
    common subexpressions merged, dead code eliminated."""
    consts = dict(program.consts)
    subst = {}

    def sub(a):
        while type(a) is not Literal and a in subst:
            a = subst[a]
        return a

    eqns = []
    seen = {}
    for e in program.eqns:
        ins = [sub(a) for a in e.inputs]
        prim = e.prim
        # 1. no-ops that reverse mode and broadcasting rules produce
        if not prim.multiple_results:
            same = _noop_input(prim, ins, e.params, e.outputs[0].aval, consts)
            if same is not None:
                subst[e.outputs[0]] = same
                continue
        # 2. constant folding (small results only; no tracers from outer transforms)
        if ins and not prim.effect and all(_is_const(a, consts) for a in ins):
            vals = [_const_val(a, consts) for a in ins]
            if not any(isinstance(v, Tracer) for v in vals):
                outs_avals = [v.aval for v in e.outputs]
                if all(a.size <= _FOLD_LIMIT for a in outs_avals):
                    with np.errstate(all="ignore"):
                        res = prim.impl(*vals, **e.params)
                    res = res if prim.multiple_results else [res]
                    for v, r in zip(e.outputs, res):
                        consts[v] = r
                    continue
        # 3. common subexpressions
        pk = None if prim.effect else params_key(e.params)
        if pk is not None:
            key = (
                prim,
                tuple(("L", type(a.val), a.val) if type(a) is Literal else id(a) for a in ins),
                pk,
            )
            prev = seen.get(key)
            if prev is not None:
                for v, p in zip(e.outputs, prev.outputs):
                    subst[v] = p
                continue
        new = type(e)(prim, ins, e.params, e.outputs, e.source)
        if pk is not None:
            seen[key] = new
        eqns.append(new)
    outvars = [sub(v) for v in program.outvars]
    # 4. dead code
    live = {id(v) for v in outvars if type(v) is not Literal}
    kept = []
    for e in reversed(eqns):
        if e.prim.effect or any(id(v) in live for v in e.outputs):
            kept.append(e)
            live.update(id(a) for a in e.inputs if type(a) is not Literal)
    kept.reverse()
    out = Program(program.invars, kept, outvars, consts)
    out.out_tree = getattr(program, "out_tree", None)
    out.origin = getattr(program, "origin", None)
    return out


def _noop_input(prim, ins, params, out_aval, consts):
    """The input an equation passes through unchanged (`Primitive.identity`, `.neutral`),
    or None."""
    if not ins:
        return None
    same = prim.identity
    if same is not None:
        if type(same) is not int:
            same = same([a.aval for a in ins], **params)
        if same is not None:
            keep = ins[same]
            if type(keep) is not Literal and keep.aval == out_aval:
                return keep
    neutral = prim.neutral
    if neutral is not None and len(ins) == 2:
        a, b = ins
        for keep, other, unit in ((a, b, neutral[1]), (b, a, neutral[0])):
            if unit is None or type(keep) is Literal or keep.aval != out_aval:
                continue
            if _is_const(other, consts):
                v = _const_val(other, consts)
                if not isinstance(v, Tracer) and _all_equal(v, unit):
                    return keep
    return None


def _all_equal(v, x):
    """Whether every entry of the constant `v` is `x`, where that is cheap to tell: a small
    constant, or one value broadcast (every stride 0: the seed of a sum's cotangent)."""
    if type(v) is np.ndarray and v.size > _FOLD_LIMIT:
        return not any(v.strides) and v.item(0) == x
    return np.size(v) <= _FOLD_LIMIT and bool(np.all(np.asarray(v) == x))
