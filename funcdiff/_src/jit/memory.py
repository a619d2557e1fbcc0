"""What each value of a Program may share memory with (`output_copies`).

`jit` promises that every array it returns is new: never an input, a constant, or
another output, and never shared with a later call. From each primitive's `aliases`
field this module finds, for every value, the buffers it may point into ("roots"), so
that the generated code copies exactly the outputs that need it."""

from __future__ import annotations

import numpy as np

from funcdiff._src.jit.optimize import optimize
from funcdiff._src.program import Branches, Literal, Loop, Program, Slice

__all__ = ["output_copies"]


# -- code generation --------------------------------------------------------------


# Which outputs of a compiled Program must be copied so that every array a jitted
# function returns is fresh and writeable: decided once, at compile time, from what
# each primitive says of its outputs' memory (`Primitive.aliases`). A value's *roots*
# are the buffers it may be or point into: an input ("in", i), a constant array
# (_CONST), a read-only array (_READONLY), anything (_ANY: implementations that run
# arbitrary code), or a fresh array made inside the Program (its Var; a branch's fresh
# arrays get tuples), or a basic slice of one ("region", fresh root, sliced Var, index
# ranges per axis): the blocks of a Jacobian split into outputs share a base but not
# memory, so they need no copy.
_CONST, _READONLY, _ANY = "const", "readonly", "any"
_FORCED = frozenset({_CONST, _READONLY, _ANY})


def aliases(e):
    """What equation `e`'s primitive says its outputs' memory may be (`Primitive.aliases`)."""
    rule = e.prim.aliases
    if callable(rule):
        return rule([a.aval for a in e.inputs], **e.params)
    return rule


def _eqn_roots(e, in_roots):
    """The roots of each output of equation `e`, given those of its inputs."""
    kind = aliases(e)
    if kind is None:
        if any(callable(p) or isinstance(p, Program) for p in e.params.values()):
            # custom_jvp/custom_vjp, checkpoint, odeint...: run arbitrary code
            return [frozenset([_ANY])] * len(e.outputs)
        return [frozenset([v]) for v in e.outputs]
    if kind == "new" or kind == "fresh":
        return [frozenset([v]) for v in e.outputs]
    if kind == "view":
        return [in_roots[0]]
    if kind == "readonly view":  # e.g. a broadcast (stride 0)
        return [in_roots[0] | {_READONLY}]
    if kind == "view or new":  # e.g. numpy.einsum's "ii->i", "ij->ji"
        return [in_roots[0] | {e.outputs[0]}]
    if kind == "readonly":
        return [frozenset([_READONLY])]
    if type(kind) is Slice:
        return [_sliced(in_roots[0], e.inputs[0], kind.ranges)]
    if type(kind) is Branches:
        return _branch_roots(e, kind, in_roots)
    if type(kind) is Loop:
        carry = _loop_roots(
            e, kind.body, in_roots[kind.consts], in_roots[kind.carry], in_roots[kind.extra],
            kind.may_skip,
        )
        return carry + [frozenset([v]) for v in e.outputs[len(carry):]]  # e.g. scan's ys
    raise ValueError(f"primitive `{e.prim.name}`: unknown aliases {kind!r}")


def _sliced(roots, var, ranges):
    """The roots of a basic slice (index `ranges` per axis) of `var`, whose roots are
    `roots`: a region of each fresh root (an input's view stays an input's)."""
    if ranges is None or type(var) is Literal:
        return roots
    out = set()
    for t in roots:
        if t in _FORCED or (type(t) is tuple and t[0] == "in"):
            out.add(t)
        else:
            base = t[1] if type(t) is tuple and t[0] == "region" else t
            out.add(("region", base, id(var), ranges))
    return frozenset(out)


def _overlap(a, b):
    """Whether roots `a` and `b` may share memory."""
    ra = type(a) is tuple and a[0] == "region"
    rb = type(b) is tuple and b[0] == "region"
    if (a[1] if ra else a) != (b[1] if rb else b):
        return False
    if not (ra and rb) or a[2] != b[2]:
        return True  # the whole array, or slices of different views of it
    return all(_meet(x, y) for x, y in zip(a[3], b[3]))


def _meet(r, q):
    """Whether the index ranges `r` and `q` share an index."""
    if not r or not q:
        return False
    if abs(r.step) == 1 and abs(q.step) == 1:
        return max(min(r), min(q)) <= min(max(r), max(q))
    if len(r) * len(q) > 1 << 16:
        return True
    return not set(r).isdisjoint(q)


def _branch_roots(e, branches, in_roots):
    """The outputs of one of several Programs (`Branches`): the union over the branches of
    what each output may be."""
    ops = in_roots[branches.first:]
    outs = [set() for _ in e.outputs]
    for b, branch in enumerate(branches.programs):
        for k, roots in enumerate(_memory_roots(optimize(branch))):  # what compiled() runs
            for t in roots:
                if type(t) is tuple and t[0] == "in":
                    outs[k] |= ops[t[1]]
                elif t in _FORCED:
                    outs[k].add(t)
                else:  # fresh in the branch: fresh here, one token per branch
                    outs[k].add((e.outputs[0], b, t))
    return [frozenset(o) for o in outs]


def _loop_roots(e, body, consts, init, extra, may_skip):
    """The final carries of a loop whose `body` maps (consts, carry, extra) to the carry
    first: what enters the last iteration is the initial carry or an earlier iteration's
    result (a fixpoint); with `may_skip` (no iteration) the initial carry too."""
    body_roots = _memory_roots(optimize(body))  # what compiled() runs
    nc, nk = len(consts), len(init)

    def result(k, carry):
        r = set()
        for t in body_roots[k]:
            if type(t) is tuple and t[0] == "in":
                j = t[1]
                r |= consts[j] if j < nc else carry[j - nc] if j < nc + nk else extra[j - nc - nk]
            elif t in _FORCED:
                r.add(t)
            else:  # made by the body: new here
                r.add((e.outputs[0], t))
        return frozenset(r)

    entering = list(init)
    while True:
        more = [entering[k] | result(k, entering) for k in range(nk)]
        if more == entering:
            break
        entering = more
    final = [result(k, entering) for k in range(nk)]
    return [f | i for f, i in zip(final, init)] if may_skip else final


def _memory_roots(program):
    """The roots (see above) of each of `program`'s outputs."""
    empty = frozenset()
    roots = {id(v): frozenset([("in", i)]) for i, v in enumerate(program.invars)}
    for v, c in program.consts.items():  # scalars are immutable
        roots[id(v)] = frozenset([_CONST]) if isinstance(c, np.ndarray) else empty
    unknown = frozenset([_ANY])
    for e in program.eqns:
        ins = [empty if type(a) is Literal else roots.get(id(a), unknown) for a in e.inputs]
        for v, r in zip(e.outputs, _eqn_roots(e, ins)):
            roots[id(v)] = r
    return [empty if type(v) is Literal else roots.get(id(v), unknown) for v in program.outvars]


def output_copies(program):
    """For each output of `program`, whether the compiled function must return a copy:
    it may be an input, a constant, read-only, or share memory with an earlier output."""
    claimed, copies = [], []
    for v, roots in zip(program.outvars, _memory_roots(program)):
        if type(v) is Literal:
            copies.append(False)
            continue
        copy = any(t in _FORCED or (type(t) is tuple and t[0] == "in") for t in roots) or any(
            _overlap(t, c) for t in roots for c in claimed
        )
        if not copy:
            claimed.extend(roots)
        copies.append(copy)
    return copies


# Scalar-only float64 programs run on Python floats with the math module: each
# primitive's `scalar` form, an expression template or a function. Where math raises
# (log(0), exp(1000), sin(inf), 1/0) the whole call reruns as NumPy code, which
# returns NumPy's inf/nan.
