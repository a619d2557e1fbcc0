"""`jit` and `make_program`: stage a function once, then replay optimized NumPy.

`make_program` traces a function on abstract values into a `Program`
(staging.py). `jit` caches one Program per input structure, shapes, dtypes
and static arguments, optimizes it (dead code, common subexpressions,
constant folding, no-op reshapes/broadcasts/casts/zero additions) and
compiles it to a Python function of straight-line NumPy calls, which is what
runs on later calls with concrete arguments. Called with tracers (under
`grad`, `vmap`, ...), the Program is evaluated primitive by primitive with
`bind`, so every transform sees through it.
"""

from __future__ import annotations

import collections
import functools
import inspect
import logging
import math
import operator
import os
import re

import numpy as np

from funcdiff.core import ShapedArray, Tracer, get_aval, pop_main, push_main
from funcdiff.transforms.staging import Literal, Program, StagingTrace, Var
from funcdiff.tree import _flatten, tree_flatten, tree_unflatten

__all__ = ["jit", "make_program", "config"]

log = logging.getLogger("funcdiff.jit")


class _Config:
    """Settings of `jit`: `log_compiles` (also env FUNCDIFF_LOG_COMPILES=1) and
    `cache_size` (Programs kept per jitted function)."""

    def __init__(self):
        self.log_compiles = os.environ.get("FUNCDIFF_LOG_COMPILES", "") not in ("", "0")
        self.cache_size = int(os.environ.get("FUNCDIFF_JIT_CACHE_SIZE", "64"))


config = _Config()


# -- staging ------------------------------------------------------------------


def _static_spec(fun, static_argnums, static_argnames):
    """Static positions and names, each completed from the other via the signature."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return nums, names
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = tuple(names) + tuple(
        positional[i] for i in nums if -len(positional) <= i < len(positional)
    )
    nums = tuple(nums) + tuple(positional.index(n) for n in names if n in positional)
    return tuple(dict.fromkeys(nums)), tuple(dict.fromkeys(names))


def _split_static(args, kwargs, static_argnums, static_argnames):
    nargs = len(args)
    static_nums = {a % nargs for a in static_argnums if -nargs <= a < nargs}
    dyn_args = tuple(a for i, a in enumerate(args) if i not in static_nums)
    static_args = tuple((i, args[i]) for i in sorted(static_nums))
    dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_argnames}
    static_kwargs = tuple(sorted((k, v) for k, v in kwargs.items() if k in static_argnames))
    return dyn_args, dyn_kwargs, static_args, static_kwargs


def _rebuild(dyn_args, dyn_kwargs, static_args, static_kwargs):
    n = len(dyn_args) + len(static_args)
    static = dict(static_args)
    it = iter(dyn_args)
    args = [static[i] if i in static else next(it) for i in range(n)]
    return args, {**dyn_kwargs, **dict(static_kwargs)}


def _stage(fun, leaves, in_tree, static_args, static_kwargs, name):
    """Trace `fun` with abstract leaves; returns (Program, out_tree)."""
    main = push_main(StagingTrace, name, fun)
    try:
        trace = main.trace
        tracers = [trace.new_arg(get_aval(x)) for x in leaves]
        dyn_args, dyn_kwargs = tree_unflatten(in_tree, tracers)
        args, kwargs = _rebuild(dyn_args, dyn_kwargs, static_args, static_kwargs)
        out = fun(*args, **kwargs)
        out_leaves, out_tree = tree_flatten(out)
        program = trace.build(tracers, out_leaves)
    finally:
        pop_main(main)
    return program, out_tree


def make_program(fun, static_argnums=()):
    """Trace `fun` on abstract values and return the staged `Program`.

    `str(program)` prints one equation per line with primitive names,
    parameters, shapes and dtypes.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> print(fd.make_program(lambda x: fnp.sin(x) * 2.0)(fnp.ones(3)))
        { lambda  ; a:float64[3] .
            b:float64[3] = sin a
            c:float64[3] = multiply b 2.0
          in (c) }

        ```
    """
    static_argnums, static_argnames = _static_spec(fun, static_argnums, ())

    def make(*args, **kwargs):
        dyn_args, dyn_kwargs, sa, sk = _split_static(args, kwargs, static_argnums, static_argnames)
        leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs))
        program, out_tree = _stage(fun, leaves, in_tree, sa, sk, "make_program")
        program.out_tree = out_tree
        return program

    return make


# -- optimization ---------------------------------------------------------------


def _is_const(atom, consts):
    return type(atom) is Literal or atom in consts


def _const_val(atom, consts):
    return atom.val if type(atom) is Literal else consts[atom]


def _params_key(params):
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
        if ins and all(_is_const(a, consts) for a in ins):
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
        pk = _params_key(e.params)
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
        new = type(e)(prim, ins, e.params, e.outputs)
        if pk is not None:
            seen[key] = new
        eqns.append(new)
    outvars = [sub(v) for v in program.outvars]
    # 4. dead code
    live = {id(v) for v in outvars if type(v) is not Literal}
    kept = []
    for e in reversed(eqns):
        if any(id(v) in live for v in e.outputs):
            kept.append(e)
            live.update(id(a) for a in e.inputs if type(a) is not Literal)
    kept.reverse()
    out = Program(program.invars, kept, outvars, consts)
    out.out_tree = getattr(program, "out_tree", None)
    return out


def _noop_input(prim, ins, params, out_aval, consts):
    """The input an equation passes through unchanged, or None."""
    name = prim.name
    if not ins:
        return None
    first = ins[0]
    if name in ("reshape", "broadcast_to", "convert_element_type") or (
        name == "transpose" and tuple(params.get("axes", ())) == tuple(range(len(out_aval.shape)))
    ):
        return first if type(first) is not Literal and first.aval == out_aval else None
    if name in ("add", "subtract", "multiply", "mul_safe") and len(ins) == 2:
        neutral = 1 if name in ("multiply", "mul_safe") else 0
        a, b = ins
        for keep, other in ((a, b), (b, a)):
            if name == "subtract" and keep is b:
                continue
            if type(keep) is Literal or keep.aval != out_aval:
                continue
            if _is_const(other, consts):
                v = _const_val(other, consts)
                if (
                    not isinstance(v, Tracer)
                    and np.size(v) <= _FOLD_LIMIT
                    and np.all(np.asarray(v) == neutral)
                ):
                    return keep
    return None


# -- code generation --------------------------------------------------------------


def _mul_safe_scalar(a, b):
    return a * b if a != 0 and b != 0 else 0.0


# Scalar-only float64 programs run on Python floats with the math module:
# an expression template or a function per primitive. Where math raises
# (log(0), exp(1000), sin(inf), 1/0) the whole call reruns as NumPy code, which
# returns NumPy's inf/nan.
_SCALAR = {
    "add": "({0} + {1})",
    "subtract": "({0} - {1})",
    "multiply": "({0} * {1})",
    "negative": "(-{0})",
    "square": "({0} * {0})",
    "abs": "abs({0})",
    "divide": "({0} / {1})",
    "reciprocal": "(1.0 / {0})",
    "mul_safe": _mul_safe_scalar,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "tanh": math.tanh,
    "arctan": math.atan,
    "arcsinh": math.asinh,
    "exp": math.exp,
    "expm1": math.expm1,
    "log": math.log,
    "log1p": math.log1p,
    "sqrt": math.sqrt,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "power": math.pow,
}


def _scalar_program(program):
    """True if every value is a float64 scalar and every primitive has a math form."""
    f64 = np.dtype(np.float64)
    for v in list(program.invars) + list(program.outvars):
        if type(v) is not Literal and (v.aval.shape != () or v.aval.dtype != f64):
            return False
    for c in program.consts.values():
        if not (isinstance(c, (float, np.floating)) and np.result_type(c) == f64):
            return False
    for e in program.eqns:
        if e.prim.name not in _SCALAR or e.params or e.prim.multiple_results:
            return False
        if any(
            type(a) is Literal and type(a.val) is not float and type(a.val) is not int
            for a in e.inputs
        ):
            return False
        if e.outputs[0].aval.shape != () or e.outputs[0].aval.dtype != f64:
            return False
    return True


def compile_program(program):
    """Python source of straight-line NumPy calls for `program`, compiled.

    Returns a function of the flat inputs returning the flat outputs; its
    source is in `fn.source`. Programs on float64 scalars only use Python
    floats and the math module instead (NumPy's per-call overhead dominates
    there), converting back to NumPy scalars at the end.
    """
    if _scalar_program(program):
        fast, slow = _compile_scalar(program), []

        def run(*args):
            try:
                return fast(*args)
            except (ValueError, OverflowError, ZeroDivisionError):
                if not slow:  # compiled on first need
                    slow.append(_compile_numpy(program))
                return slow[0](*args)

        run.source = fast.source
        return run
    return _compile_numpy(program)


CHUNK = 1000  # equations per generated function (longer programs are split, see _Names)


class _Names:
    """Python names of a Program's values in the generated source.

    A Program of at most `CHUNK` equations becomes one function and every value a local
    variable. A longer one becomes a function per `CHUNK` equations, called in turn by the
    main function; a value used outside the chunk that computes it (and every input and
    output) lives in a slot of a list `_s` shared by the chunks. (CPython runs one function
    of 1e5 statements markedly slower per statement than one of 1e3.)
    """

    def __init__(self, program):
        eqns = program.eqns
        self.chunked = len(eqns) > CHUNK
        self.local, self.slot = {}, {}
        if not self.chunked:
            return
        where = {}
        for i, e in enumerate(eqns):
            for v in e.outputs:
                where[id(v)] = i // CHUNK
        for v in program.invars:
            self.slot[id(v)] = len(self.slot)
        for i, e in enumerate(eqns):
            for a in e.inputs:
                if type(a) is not Literal and id(a) in where and where[id(a)] != i // CHUNK:
                    self.slot.setdefault(id(a), len(self.slot))
        for v in program.outvars:
            if id(v) in where:
                self.slot.setdefault(id(v), len(self.slot))

    def __call__(self, v):
        k = self.slot.get(id(v))
        if k is not None:
            return f"\x01{k}\x02"
        n = self.local.get(id(v))
        if n is None:
            n = self.local[id(v)] = (
                f"\x03{len(self.local)}\x02" if self.chunked else f"v{len(self.local)}")
        return n

    def free(self, vs):
        """Statements releasing the values `vs` after their last use."""
        local = [self(v) for v in vs if id(v) not in self.slot]
        out = [f"del {', '.join(sorted(local))}"] if local else []
        return out + [f"{self(v)} = None" for v in vs if id(v) in self.slot]

    def assemble(self, program, args, prologue, eqn_lines, rets, ns):
        """Compile the function of `args` running `prologue` then the equations' lines."""
        if not self.chunked:
            body = prologue + [ln for lines in eqn_lines for ln in lines]
            src = f"def _compiled({', '.join(args)}):\n" + "\n".join(f"    {ln}" for ln in body)
        else:
            src, calls, chunks = "", [], {}
            for c in range(0, len(eqn_lines), CHUNK):
                text, bases = _relative("\n".join(
                    f"    {ln}" for lines in eqn_lines[c:c + CHUNK] for ln in lines))
                params = "".join(f", _o{i}" for i in range(len(bases)))
                fname = chunks.get((text, params))
                if fname is None:
                    fname = chunks[text, params] = f"_chunk{len(chunks)}"
                    src += f"def {fname}(_s{params}):\n{text or '    pass'}\n\n"
                calls.append(f"{fname}(_s{''.join(f', {b}' for b in bases)})")
            body = [f"_s = [None] * {len(self.slot)}", *prologue, *calls]
            src += f"def _compiled({', '.join(args)}):\n" + _absolute(
                "\n".join(f"    {ln}" for ln in body))
        src += f"\n    return ({_absolute(rets)}{',' if len(program.outvars) == 1 else ''})\n"
        exec(compile(src, "<funcdiff.jit>", "exec"), ns)  # noqa: S102
        fn = ns["_compiled"]
        fn.source = src
        return fn


_SLOT = re.compile("\x01([0-9]+)\x02")
_LOCAL = re.compile("\x03([0-9]+)\x02")


def _absolute(text):
    """Resolve `_Names`' placeholders: slot k -> `_s[k]`, local n -> `vn`."""
    return _LOCAL.sub(r"v\1", _SLOT.sub(r"_s[\1]", text))


def _relative(text):
    """A chunk's code with slots relative to bases `_o0, _o1, ...` and locals numbered from 0.

    The slots a chunk touches fall in runs (a stretch of a chain's values, a cotangent
    handed from chunk to chunk); each run is addressed from its own base, passed in by
    the caller. Chunks doing the same work on different slots (the repeated middle of a
    long chain) then get the same text and share one code object: CPython runs 1e5
    statements of distinct code markedly slower per statement than 1e3 statements 100
    times. Returns (text, bases).
    """
    slots = sorted({int(k) for k in _SLOT.findall(text)})
    bases, run = [], {}
    for i, k in enumerate(slots):
        if i == 0 or k - slots[i - 1] > CHUNK:
            bases.append(k)
        run[k] = len(bases) - 1

    def rel(m):
        k = int(m[1])
        d = k - bases[run[k]]
        return f"_s[_o{run[k]} + {d}]" if d else f"_s[_o{run[k]}]"

    text = _SLOT.sub(rel, text)
    renumber = {}
    text = _LOCAL.sub(lambda m: renumber.setdefault(m[1], f"v{len(renumber)}"), text)
    return text, bases


def _arguments(program, names, convert="{}"):
    """Parameter names of the generated function and the prologue storing them."""
    if not names.chunked:
        args = [names(v) for v in program.invars]
        return args, [f"{a} = {convert.format(a)}" for a in args if convert != "{}"]
    args = [f"a{i}" for i in range(len(program.invars))]
    return args, [f"{names(v)} = {convert.format(a)}" for v, a in zip(program.invars, args)]


def _compile_numpy(program):
    names = _Names(program)
    ns = {}

    def name(v):
        if type(v) is Literal:
            if type(v.val) in (int, bool) or (type(v.val) is float and np.isfinite(v.val)):
                return repr(v.val)
            key = f"_k{len(ns)}"
            ns[key] = v.val
            return key
        return names(v)

    for v, c in program.consts.items():
        cname = f"_c{len(ns)}"
        ns[cname] = c
        names.local[id(v)] = cname
    args, prologue = _arguments(program, names)
    # free each intermediate after its last use, as eager evaluation would
    last_use = {}
    for i, e in enumerate(program.eqns):
        for a in e.inputs:
            if type(a) is not Literal:
                last_use[id(a)] = i
    keep = {id(v) for v in program.outvars} | {id(v) for v in program.consts}
    reusable = _reusable_buffers(program)
    eqn_lines = []
    fnames = {}  # one name per distinct function, so repeated chunks read the same
    for i, e in enumerate(program.eqns):
        fn = _numpy_fn(e)
        key = _fn_key(fn)
        fname = fnames.get(key) if key is not None else None
        if fname is None:
            fname = f"_{e.prim.name}_{i}"
            ns[fname] = fn
            if key is not None:
                fnames[key] = fname
        outs = ", ".join(name(v) for v in e.outputs)
        if e.prim.multiple_results:
            outs = outs + ("," if len(e.outputs) == 1 else "")
        call_args = [name(a) for a in e.inputs]
        donors = [  # a dead input whose buffer the output can take (no new array)
            a for a in e.inputs
            if id(a) in reusable.get(id(e), ()) and last_use[id(a)] == i and id(a) not in keep
        ]
        if donors:
            call_args.append(f"out={name(donors[0])}")
        call = f"{fname}({', '.join(call_args)})"
        lines = [f"{outs} = {call}" if e.outputs else call]
        dead = {
            id(a): a
            for a in e.inputs
            if type(a) is not Literal and last_use[id(a)] == i and id(a) not in keep
        }
        dead.update((id(v), v) for v in e.outputs if id(v) not in last_use and id(v) not in keep)
        lines += names.free(list(dead.values()))
        eqn_lines.append(lines)
    rets = ", ".join(name(v) for v in program.outvars)
    return names.assemble(program, args, prologue, eqn_lines, rets, ns)


def _numpy_fn(e):
    """The function generated code calls for equation `e`."""
    if e.prim.specialize is not None:
        fn = e.prim.specialize([a.aval for a in e.inputs], **e.params)
        if fn is not None:
            return fn
    return functools.partial(e.prim.impl, **e.params) if e.params else e.prim.impl


def _fn_key(fn):
    """A hashable identity of a generated-code function (None: treat it as unique)."""
    if type(fn) is not functools.partial:
        try:
            hash(fn)
        except TypeError:
            return None
        return fn
    params = _params_key(fn.keywords)
    if params is None or fn.args:
        return None
    return fn.func, params, tuple(type(v) for _, v in params)


def _ufunc_eqn(e):
    return not e.params and len(e.outputs) == 1 and isinstance(_numpy_fn(e), np.ufunc)


def _reusable_buffers(program):
    """For each ufunc equation, the inputs whose buffer it may overwrite (`out=`).

    An input qualifies when a ufunc equation or a contraction of several
    operands produced it (a fresh array nothing else points into), every use of
    it is a ufunc equation (no view of it exists), and it has the output's
    shape (not 0-d) and dtype. Whether it is dead there is checked by the caller.
    """
    produced = set()
    only_ufunc_uses = {}
    for e in program.eqns:
        ok = _ufunc_eqn(e)
        for a in e.inputs:
            if type(a) is not Literal:
                only_ufunc_uses[id(a)] = only_ufunc_uses.get(id(a), True) and ok
        fresh = ok or (e.prim.name == "einsum" and len(e.inputs) > 1)
        if fresh and e.outputs[0].aval.shape:
            produced.add(id(e.outputs[0]))
    out = {}
    for e in program.eqns:
        if not _ufunc_eqn(e) or not e.outputs[0].aval.shape:
            continue
        o = e.outputs[0].aval
        cands = {
            id(a) for a in e.inputs
            if type(a) is not Literal and id(a) in produced and only_ufunc_uses[id(a)]
            and a.aval.shape == o.shape and a.aval.dtype == o.dtype
        }
        if cands:
            out[id(e)] = cands
    return out


def _compile_scalar(program):
    names = _Names(program)
    ns = {"_f64": np.float64}

    def name(v):
        if type(v) is Literal:
            return repr(float(v.val))
        return names(v)

    for v, c in program.consts.items():
        names.local[id(v)] = repr(float(c)) if np.isfinite(c) else f"float('{float(c)}')"
    args, prologue = _arguments(program, names, "float({})")
    eqn_lines = []
    for e in program.eqns:
        op = _SCALAR[e.prim.name]
        ins = [name(a) for a in e.inputs]
        if isinstance(op, str):
            expr = op.format(*ins)
        else:
            fname = f"_{e.prim.name}"
            ns[fname] = op
            expr = f"{fname}({', '.join(ins)})"
        eqn_lines.append([f"{name(e.outputs[0])} = {expr}"])
    rets = ", ".join(f"_f64({name(v)})" for v in program.outvars)
    return names.assemble(program, args, prologue, eqn_lines, rets, ns)


# -- jit ----------------------------------------------------------------------------


def _leaf_key(x):
    key = _SCALAR_KEYS.get(type(x))
    if key is not None:
        return key
    a = get_aval(x)
    return (a.shape, a.dtype)


class _Compiled:
    __slots__ = ("program", "fn", "out_tree", "has_tracer_consts", "unflatten")

    def __init__(self, program, out_tree):
        self.program = optimize(program)
        self.out_tree = out_tree
        self.has_tracer_consts = any(isinstance(c, Tracer) for c in self.program.consts.values())
        self.fn = None if self.has_tracer_consts else compile_program(self.program)
        if out_tree == _LEAF:
            self.unflatten = _first
        else:
            self.unflatten = lambda outs: tree_unflatten(out_tree, list(outs))


_LEAF = tree_flatten(0.0)[1]
_first = operator.itemgetter(0)
_SCALAR_KEYS = {float: ("f",), int: ("i",), bool: ("b",), complex: ("c",)}


def _fast_key(leaves):
    """The cache key of plain array/scalar leaves (what `_leaf_key` gives), or None."""
    key = []
    for x in leaves:
        t = type(x)
        if t is np.ndarray:
            key.append((x.shape, x.dtype))
        elif t in _SCALAR_KEYS:
            key.append(_SCALAR_KEYS[t])
        elif isinstance(x, np.generic):
            key.append(((), x.dtype))
        else:
            return None  # tracers and other leaves take the general path
    return tuple(key)


def jit(fun, static_argnums=(), static_argnames=()):
    """Compile `fun`: trace once per input signature, then run optimized NumPy.

    The cache key is the input pytree structure, each leaf's shape and dtype,
    and the values of the static arguments (which must be hashable). Inside
    the function, traced values are abstract: Python control flow on them
    raises `ConcretizationError` (use `static_argnums`, `fnp.where` or `fd.cond`).

    Args:
        fun: the function to compile.
        static_argnums: positions of arguments that are Python values baked
            into the trace (a new trace per distinct value).
        static_argnames: names of keyword arguments treated likewise.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> f = fd.jit(lambda x: fnp.sum(fnp.sin(x) ** 2))
        >>> float(f(fnp.zeros(3)))
        0.0
        >>> f.cache_info()["misses"]
        1

        ```
    """
    static_argnums, static_argnames = _static_spec(fun, static_argnums, static_argnames)
    cache = collections.OrderedDict()
    stats = {"hits": 0, "misses": 0}
    # the dispatch fast path: (tree node, leaf keys) -> entry, for calls with no static
    # or keyword arguments whose leaves are plain arrays and scalars
    fast = {}
    use_fast = not static_argnums and not static_argnames

    def lookup(dyn_args, dyn_kwargs, sa, sk):
        leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs))
        try:
            key = (in_tree, tuple(_leaf_key(x) for x in leaves), sa, sk)
            hash(key)
        except TypeError:
            raise TypeError(
                "jit: static arguments must be hashable; got "
                f"{[type(v).__name__ for _, v in sa + sk]}"
            ) from None
        entry = cache.get(key)
        if entry is None:
            stats["misses"] += 1
            if config.log_compiles:
                log.warning(
                    "jit: tracing %s for %s (trace #%d)",
                    getattr(fun, "__name__", fun),
                    key[1],
                    stats["misses"],
                )
            program, out_tree = _stage(fun, leaves, in_tree, sa, sk, "jit")
            entry = _Compiled(program, out_tree)
            cache[key] = entry
            if len(cache) > config.cache_size:
                cache.popitem(last=False)
                fast.clear()
        else:
            stats["hits"] += 1
            cache.move_to_end(key)
        return entry, leaves, key

    @functools.wraps(fun)
    def jitted(*args, **kwargs):
        fast_key = None
        if use_fast and not kwargs:
            leaves = []
            node = _flatten(args, None, leaves)
            k = _fast_key(leaves)
            if k is not None:
                fast_key = (node, k)
                hit = fast.get(fast_key)
                if hit is not None:
                    key, entry = hit
                    stats["hits"] += 1
                    cache.move_to_end(key)
                    return entry.unflatten(entry.fn(*leaves))
        dyn_args, dyn_kwargs, sa, sk = _split_static(args, kwargs, static_argnums, static_argnames)
        entry, leaves, key = lookup(dyn_args, dyn_kwargs, sa, sk)
        if entry.fn is not None and not any(isinstance(x, Tracer) for x in leaves):
            outs = entry.fn(*leaves)
            if fast_key is not None:
                fast[fast_key] = (key, entry)
        else:
            outs = entry.program(*leaves)
        return entry.unflatten(outs)

    def lower(*args, **kwargs):
        """The optimized Program for these arguments."""
        dyn_args, dyn_kwargs, sa, sk = _split_static(args, kwargs, static_argnums, static_argnames)
        return lookup(dyn_args, dyn_kwargs, sa, sk)[0].program

    def source(*args, **kwargs):
        """The generated Python source for these arguments (for debugging)."""
        dyn_args, dyn_kwargs, sa, sk = _split_static(args, kwargs, static_argnums, static_argnames)
        fn = lookup(dyn_args, dyn_kwargs, sa, sk)[0].fn
        return fn.source if fn is not None else "<evaluated with bind: closes over tracers>"

    jitted.lower = lower
    jitted.source = source
    jitted.cache_info = lambda: {**stats, "size": len(cache), "maxsize": config.cache_size}
    def clear_cache():
        cache.clear()
        fast.clear()

    jitted.clear_cache = clear_cache
    return jitted


_ = (ShapedArray, Var)
