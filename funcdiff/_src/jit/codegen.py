"""Code generation: a Program as one Python function of straight-line NumPy calls.

`compile_program` writes the source (each equation one call of the primitive's
`impl`, or what its `specialize` field returns), frees every intermediate after its
last use, lets ufunc-like equations write into a dead input's buffer (`out=`), splits
long programs into chunks, and compiles float64-scalar programs to Python floats and
`math` instead (the primitive's `scalar` field)."""

from __future__ import annotations

import ast
import functools

import numpy as np

from funcdiff._src.jit.memory import aliases, output_copies
from funcdiff._src.jit.optimize import optimize, params_key
from funcdiff._src.program import Literal

__all__ = ["compile_program", "compiled"]


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
        if e.prim.scalar is None or e.params or e.prim.multiple_results:
            return False
        if any(
            type(a) is Literal and type(a.val) is not float and type(a.val) is not int
            for a in e.inputs
        ):
            return False
        if e.outputs[0].aval.shape != () or e.outputs[0].aval.dtype != f64:
            return False
    return True


def compiled(program):
    """`program` optimized and compiled to straight-line NumPy, cached on the program
    (how control-flow primitives run their bodies on concrete values)."""
    fn = program.__dict__.get("_compiled")
    if fn is None:
        fn = program.__dict__["_compiled"] = compile_program(optimize(program))
    return fn


def compile_program(program, fresh_outputs=False):
    """Python source of straight-line NumPy calls for `program`, compiled.

    Returns a function of the flat inputs returning the flat outputs; its
    source is in `fn.source`. Programs on float64 scalars only use Python
    floats and the math module instead (NumPy's per-call overhead dominates
    there), converting back to NumPy scalars at the end.

    With `fresh_outputs` (what `jit` uses), every array returned is a new, writeable
    array that no input, constant, later call or other output shares: the outputs
    that `output_copies` finds may alias one are copied in the return statement, the
    others cost nothing. Without it (sub-programs: loop bodies and branches, run by
    their primitives' implementations) outputs may be inputs, constants or views.
    """
    if _scalar_program(program):  # returns new float64 scalars: immutable
        fast, slow = _compile_scalar(program), []

        def run(*args):
            try:
                return fast(*args)
            except (ValueError, OverflowError, ZeroDivisionError):
                if not slow:  # compiled on first need
                    slow.append(_compile_numpy(program, fresh_outputs))
                return slow[0](*args)

        run.source = fast.source
        return run
    return _compile_numpy(program, fresh_outputs)


CHUNK = 1000  # equations per generated function (longer programs are split, see _Names)


class _Names:
    """Python names of a Program's values in the generated source.

    A Program of at most `CHUNK` equations becomes one function and every value a local
    variable. A longer one becomes a function per `CHUNK` equations, called in turn by the
    main function; a value used outside the chunk that computes it (and every input and
    output) lives in a slot of a list `_s` shared by the chunks. (CPython runs one function
    of 1e5 statements markedly slower per statement than one of 1e3.)

    Inside chunk `c` (after `enter(c)`), slots are addressed relative to bases the caller
    passes in (`_s[_o0 + 3]`) and locals are numbered from 0, so chunks doing the same
    work on different slots (the repeated middle of a long chain) get the same text and
    share one code object: CPython runs 1e5 statements of distinct code markedly slower
    per statement than 1e3 statements 100 times. Outside chunks (the main function's
    prologue and return), slots are absolute (`_s[k]`).
    """

    def __init__(self, program):
        eqns = program.eqns
        self.chunked = len(eqns) > CHUNK
        self.fixed, self.local, self.slot = {}, {}, {}  # fixed: constants' names
        self.rel = None  # slot -> expression inside the current chunk
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
        self.chunk_slots = [set() for _ in range(0, len(eqns), CHUNK)]
        for i, e in enumerate(eqns):
            for v in (*e.inputs, *e.outputs):
                k = self.slot.get(id(v))
                if k is not None:
                    self.chunk_slots[i // CHUNK].add(k)
        self.bases = []

    def enter(self, c):
        """Name values as the code of chunk `c` does: slots in runs, each relative to its
        base `_oN` (a stretch of a chain's values, a cotangent handed from chunk to
        chunk), locals from `v0`. The chunk's bases go to `self.bases[c]`."""
        slots = sorted(self.chunk_slots[c])
        bases, self.rel, self.local = [], {}, {}
        for i, k in enumerate(slots):
            if i == 0 or k - slots[i - 1] > CHUNK:
                bases.append(k)
            run, d = len(bases) - 1, k - bases[-1]
            self.rel[k] = f"_s[_o{run} + {d}]" if d else f"_s[_o{run}]"
        self.bases.append(bases)

    def leave(self):
        self.rel = None

    def __call__(self, v):
        n = self.fixed.get(id(v))
        if n is not None:
            return n
        k = self.slot.get(id(v))
        if k is not None:
            return f"_s[{k}]" if self.rel is None else self.rel[k]
        n = self.local.get(id(v))
        if n is None:
            n = self.local[id(v)] = f"v{len(self.local)}"
        return n

    def free(self, vs):
        """Statements releasing the values `vs` after their last use."""
        local = [self(v) for v in vs if id(v) not in self.slot]
        out = [f"del {', '.join(sorted(local))}"] if local else []
        return out + [f"{self(v)} = None" for v in vs if id(v) in self.slot]

    def lines(self, program, emit):
        """The lines of each equation, `emit(i, eqn)`, chunk by chunk when chunked."""
        out = []
        for i, e in enumerate(program.eqns):
            if self.chunked and i % CHUNK == 0:
                self.enter(i // CHUNK)
            out.append(emit(i, e))
        self.leave()
        return out

    def assemble(self, program, args, prologue, eqn_lines, rets, ns):
        """Compile the function of `args` running `prologue` then the equations' lines."""
        if not self.chunked:
            body = prologue + [ln for lines in eqn_lines for ln in lines]
            src = f"def _compiled({', '.join(args)}):\n" + "\n".join(f"    {ln}" for ln in body)
        else:
            src, calls, chunks = "", [], {}
            for c, bases in zip(range(0, len(eqn_lines), CHUNK), self.bases):
                text = "\n".join(f"    {ln}" for lines in eqn_lines[c:c + CHUNK] for ln in lines)
                params = "".join(f", _o{i}" for i in range(len(bases)))
                fname = chunks.get((text, params))
                if fname is None:
                    fname = chunks[text, params] = f"_chunk{len(chunks)}"
                    src += f"def {fname}(_s{params}):\n{text or '    pass'}\n\n"
                calls.append(f"{fname}(_s{''.join(f', {b}' for b in bases)})")
            body = [f"_s = [None] * {len(self.slot)}", *prologue, *calls]
            src += f"def _compiled({', '.join(args)}):\n" + "\n".join(f"    {ln}" for ln in body)
        src += f"\n    return ({rets}{',' if len(program.outvars) == 1 else ''})\n"
        exec(_code(src, getattr(program, "origin", None)), ns)  # noqa: S102
        fn = ns["_compiled"]
        fn.source = src
        return fn


def _code(src, origin):
    """The code object of generated source `src`. With `origin` (file, line) of the user's
    function, every statement is placed on that line of that file, so NumPy's warnings
    (and tracebacks) from the compiled function point at the user's function; `source`
    keeps the generated text."""
    if origin is None:
        return compile(src, "<funcdiff.jit>", "exec")
    tree = ast.parse(src)
    filename, line = origin
    for node in ast.walk(tree):
        if hasattr(node, "lineno"):
            node.lineno = node.end_lineno = line
    return compile(tree, filename, "exec")


def _arguments(program, names, convert="{}"):
    """Parameter names of the generated function and the prologue storing them."""
    if not names.chunked:
        args = [names(v) for v in program.invars]
        return args, [f"{a} = {convert.format(a)}" for a in args if convert != "{}"]
    args = [f"a{i}" for i in range(len(program.invars))]
    return args, [f"{names(v)} = {convert.format(a)}" for v, a in zip(program.invars, args)]


def _compile_numpy(program, fresh_outputs=False):
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
        names.fixed[id(v)] = cname
    args, prologue = _arguments(program, names)
    # free each intermediate after its last use, as eager evaluation would
    last_use = {}
    for i, e in enumerate(program.eqns):
        for a in e.inputs:
            if type(a) is not Literal:
                last_use[id(a)] = i
    keep = {id(v) for v in program.outvars} | {id(v) for v in program.consts}
    reusable = _reusable_buffers(program)
    fnames = {}  # one name per distinct function, so repeated chunks read the same

    def emit(i, e):
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
        return lines

    eqn_lines = names.lines(program, emit)
    copies = output_copies(program) if fresh_outputs else [False] * len(program.outvars)
    rets = ", ".join(_returned(name(v), v, c) for v, c in zip(program.outvars, copies))
    ns["_ndarray"] = np.ndarray  # named last: constants keep their numbers
    return names.assemble(program, args, prologue, eqn_lines, rets, ns)


def _returned(n, v, copy):
    """The return expression of output `v` named `n`: a copy where `copy` says so (a 0-d
    value may be an immutable scalar, which stays as it is)."""
    if not copy:
        return n
    if v.aval.shape:
        return f"{n}.copy()"
    return f"({n}.copy() if type({n}) is _ndarray else {n})"


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
    params = params_key(fn.keywords)
    if params is None or fn.args:
        return None
    return fn.func, params, tuple(type(v) for _, v in params)


def _ufunc_eqn(e):
    """Whether `e` calls a ufunc, or a function its primitive says works like one
    (`Primitive.out_param`: elementwise, a new array, takes `out=`)."""
    return not e.params and len(e.outputs) == 1 and (
        e.prim.out_param or isinstance(_numpy_fn(e), np.ufunc))


def _reusable_buffers(program):
    """For each ufunc(-like) equation, the inputs whose buffer it may overwrite (`out=`).

    An input qualifies when a ufunc(-like) equation or one whose primitive says "fresh"
    (`Primitive.aliases`: a new array nothing else points into) produced it, every use of
    it is a ufunc(-like) equation (no view of it exists), and it has the output's
    shape (not 0-d) and dtype. Whether it is dead there is checked by the caller.
    """
    produced = set()
    only_ufunc_uses = {}
    for e in program.eqns:
        ok = _ufunc_eqn(e)
        for a in e.inputs:
            if type(a) is not Literal:
                only_ufunc_uses[id(a)] = only_ufunc_uses.get(id(a), True) and ok
        fresh = ok or aliases(e) == "fresh"
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
        names.fixed[id(v)] = repr(float(c)) if np.isfinite(c) else f"float('{float(c)}')"
    args, prologue = _arguments(program, names, "float({})")

    def emit(i, e):
        op = e.prim.scalar
        ins = [name(a) for a in e.inputs]
        if isinstance(op, str):
            expr = op.format(*ins)
        else:
            fname = f"_{e.prim.name}"
            ns[fname] = op
            expr = f"{fname}({', '.join(ins)})"
        return [f"{name(e.outputs[0])} = {expr}"]

    eqn_lines = names.lines(program, emit)
    rets = ", ".join(f"_f64({name(v)})" for v in program.outvars)
    return names.assemble(program, args, prologue, eqn_lines, rets, ns)
