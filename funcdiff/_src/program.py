"""Programs: a function recorded as equations `outputs = primitive(inputs, params)`.

What staging produces (`make_program`, `jit`, `linearize`, loop bodies and custom
rules) and what `jit` optimizes and compiles. A `Program` is callable: it evaluates its
equations with `bind`, so a program is itself differentiable and batchable.
"""

from __future__ import annotations

import html
import itertools

import numpy as np

from funcdiff._src.core import get_aval

__all__ = ["Program", "Eqn", "Var", "Literal", "Slice", "Branches", "Loop"]


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


class Eqn:
    """One equation of a Program: `outputs = prim.bind(*inputs, **params)`; `source` is
    the user's `file:line` that bound it, kept while `debug_nans`/`debug_infs` is on."""

    __slots__ = ("prim", "inputs", "params", "outputs", "source")

    def __init__(self, prim, inputs, params, outputs, source=None):
        self.prim, self.inputs, self.params, self.outputs = prim, inputs, params, outputs
        self.source = source


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
        call = f"{e.prim.name}{'[' + params + ']' if params else ''} {ins}"
        return f"{outs} = {call}" if outs else call  # (an effect: no outputs)

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
            lines.append("    " + self._eqn_str(e, names)
                         + (f"  # {e.source}" if e.source else ""))
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




# -- What `Primitive.aliases` returns beyond its strings (jit reads them; see jit/memory.py)


class Slice:
    """Aliases: a basic slice of input 0, `ranges` the indices it takes per axis (None:
    not known), so that `jit` tells disjoint slices of one array apart."""

    __slots__ = ("ranges",)

    def __init__(self, ranges):
        self.ranges = ranges


class Branches:
    """Aliases: output k is output k of one of the `programs`, run on the inputs from
    position `first` on (cond)."""

    __slots__ = ("programs", "first")

    def __init__(self, programs, first):
        self.programs, self.first = programs, first


class Loop:
    """Aliases of a loop whose Program `body` maps (consts, carry, extra) to the carry
    first: the outputs are the final carries, then new arrays. `consts`, `carry` and
    `extra` are `slice`s of the inputs; `may_skip`: the loop may run no iteration."""

    __slots__ = ("body", "consts", "carry", "extra", "may_skip")

    def __init__(self, body, consts, carry, extra, may_skip):
        self.body, self.consts, self.carry, self.extra = body, consts, carry, extra
        self.may_skip = may_skip
