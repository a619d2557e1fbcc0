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
import operator

import numpy as np

from funcdiff._src import nans
from funcdiff._src.api_util import check_fun, check_leaves, run_on
from funcdiff._src.config import config
from funcdiff._src.core import Tracer, get_aval, pop_main, push_main
from funcdiff._src.interpreters.staging import ObservingStagingTrace, StagingTrace
from funcdiff._src.jit.codegen import compile_program
from funcdiff._src.jit.optimize import optimize
from funcdiff._src.program import Literal
from funcdiff._src.tree import (
    _flatten,
    keystr,
    tree_flatten,
    tree_flatten_with_path,
    tree_unflatten,
)

__all__ = ["jit", "make_program"]

log = logging.getLogger("funcdiff.jit")


# -- staging ------------------------------------------------------------------


class _Statics:
    """The static arguments of a jitted function: positions and names, each completed
    from the other through the signature, checked against it (`_static_spec`)."""

    __slots__ = ("nums", "names", "user_nums", "positional", "optional", "fname", "what")

    def split(self, args, kwargs):
        """(dynamic args, dynamic kwargs, static (position, value)s, static (name, value)s)."""
        nargs = len(args)
        static_nums = set()
        for a in self.nums:
            if -nargs <= a < nargs:
                static_nums.add(a % nargs)
            elif a in self.user_nums:
                self._check_missing(a, nargs, kwargs)
        names = self.names
        if static_nums:
            dyn_args = tuple(a for i, a in enumerate(args) if i not in static_nums)
            static_args = tuple((i, args[i]) for i in sorted(static_nums))
        else:
            dyn_args, static_args = tuple(args), ()
        if kwargs:
            dyn_kwargs = {k: v for k, v in kwargs.items() if k not in names}
            static_kwargs = tuple(sorted((k, v) for k, v in kwargs.items() if k in names))
        else:
            dyn_kwargs, static_kwargs = {}, ()
        return dyn_args, dyn_kwargs, static_args, static_kwargs

    def _check_missing(self, a, nargs, kwargs):
        """A static position beyond the call's positional arguments: fine if that
        parameter came by keyword or has a default, a ValueError otherwise."""
        pos = self.positional
        if pos is not None and 0 <= a < len(pos) and (pos[a] in kwargs or pos[a] in self.optional):
            return
        raise ValueError(
            f"{self.what}: {self.fname} has static_argnums={self.user_nums} but was called with "
            f"only {nargs} positional argument(s), so static_argnums={a} names none of them. "
            "Pass the static argument positionally, or fix static_argnums."
        )


def _static_spec(fun, static_argnums, static_argnames, what="jit"):
    """The `_Statics` of `fun`; a ValueError where the signature makes a static
    position or name impossible (a position beyond the parameters with no *args, a
    name that is no keyword parameter with no **kwargs)."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    for a in nums:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{what}: static_argnums must be ints, got {a!r}")
    nums = tuple(int(a) for a in nums)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"{what}: static_argnames must be strings, got {n!r}")
    spec = _Statics()
    spec.fname = getattr(fun, "__name__", None) or repr(fun)
    spec.what = what
    spec.user_nums = nums
    spec.positional, spec.optional = None, frozenset()
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        spec.nums, spec.names = tuple(dict.fromkeys(nums)), frozenset(names)
        return spec
    kinds = {p.kind for p in params}
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if inspect.Parameter.VAR_POSITIONAL not in kinds:
        bad = [a for a in nums if not -len(positional) <= a < len(positional)]
        if bad:
            raise ValueError(
                f"{what}: {spec.fname} has static_argnums={nums} but takes only "
                f"{len(positional)} positional argument(s) ({', '.join(positional) or 'none'}) "
                f"and no *args: static_argnums {bad} name no parameter."
            )
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        keyword = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        bad = [n for n in names if n not in keyword]
        if bad:
            raise ValueError(
                f"{what}: {spec.fname} has static_argnames={names} but no parameter that can "
                f"be passed by keyword is named {', '.join(map(repr, bad))} (its keyword "
                f"parameters: {', '.join(keyword) or 'none'}); use static_argnums for "
                "positional-only parameters."
            )
    names = tuple(names) + tuple(
        positional[i] for i in nums if -len(positional) <= i < len(positional)
    )
    nums = tuple(nums) + tuple(positional.index(n) for n in names if n in positional)
    spec.nums, spec.names = tuple(dict.fromkeys(nums)), frozenset(names)
    spec.positional = positional
    spec.optional = frozenset(p.name for p in params if p.default is not p.empty)
    return spec


def _rebuild(dyn_args, dyn_kwargs, static_args, static_kwargs):
    n = len(dyn_args) + len(static_args)
    static = dict(static_args)
    it = iter(dyn_args)
    args = [static[i] if i in static else next(it) for i in range(n)]
    return args, {**dyn_kwargs, **dict(static_kwargs)}


def _stage(fun, leaves, in_tree, static_args, static_kwargs, name, trace_type=StagingTrace):
    """Trace `fun` with abstract leaves; returns (Program, out_tree)."""
    main = push_main(trace_type, name, fun)
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
    program.origin = _origin(fun)
    return program, out_tree


def _origin(fun):
    """(file, line) of the user's function under the wrappers (`grad(f)`: `f`), or None:
    the compiled code reports its warnings and errors there."""
    try:
        code = inspect.unwrap(fun).__code__
    except (AttributeError, ValueError):
        return None
    return code.co_filename, code.co_firstlineno


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
    statics = _static_spec(fun, static_argnums, (), "make_program")

    def make(*args, **kwargs):
        dyn_args, dyn_kwargs, sa, sk = statics.split(args, kwargs)
        leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs))
        _leaf_keys(leaves, in_tree, statics, sa)  # a clear error for huge ints
        program, out_tree = _stage(fun, leaves, in_tree, sa, sk, "make_program")
        program.out_tree = out_tree
        return program

    return make




# -- jit ----------------------------------------------------------------------------


_I64 = 2**63


def _leaf_key(x):
    t = type(x)
    key = _SCALAR_KEYS.get(t)
    if key is not None:
        if t is int and not -_I64 <= x < _I64:
            raise _HugeInt
        return key
    a = get_aval(x)
    return (a.shape, a.dtype)


class _HugeInt(Exception):
    pass


def _leaf_keys(leaves, in_tree, statics, static_args):
    """The cache keys of the dynamic leaves; an OverflowError naming the argument for a
    Python int outside int64 (traced integers are int64)."""
    try:
        return tuple(_leaf_key(x) for x in leaves)
    except _HugeInt:
        pass
    dyn_args, dyn_kwargs = tree_unflatten(in_tree, list(leaves))
    paths, _ = tree_flatten_with_path((dyn_args, dyn_kwargs))
    path, x = next(
        (p, v) for p, v in paths if type(v) is int and not -_I64 <= v < _I64
    )
    static = {i for i, _ in static_args}
    if path[0].idx == 0:  # a positional argument: its position among all of them
        j = path[1].idx
        pos = [i for i in range(len(dyn_args) + len(static)) if i not in static][j]
        names = statics.positional
        where = f"argument {names[pos]!r}" if names and pos < len(names) else f"argument {pos}"
        where += f" (position {pos})" if names and pos < len(names) else ""
        rest = path[2:]
    else:
        where, rest = f"keyword argument {path[1].key!r}", path[2:]
    if rest:
        where += f" at {keystr(rest)}"
    text = f"{x}" if abs(x) < 10**30 else f"of {len(str(abs(x)))} digits"
    raise OverflowError(
        f"{statics.what}: {where} of {statics.fname} is the Python int {text}, outside the "
        "int64 range that traced integers have. Mark it static (static_argnums or "
        "static_argnames: its value is then baked into the trace) or pass it as a float "
        "(float(k))."
    )


def _typed_key(v):
    """A static value as a cache key that tells types apart: 1, 1.0 and True are equal
    and hash alike in Python, but trace to different dtypes. Tuples and frozensets are
    keyed element by element; unhashable values raise TypeError (here, or when the key
    is hashed)."""
    t = type(v)
    if isinstance(v, tuple):
        return (t, tuple([_typed_key(x) for x in v]))
    if isinstance(v, frozenset):
        return (t, frozenset([_typed_key(x) for x in v]))
    if isinstance(v, (list, dict, set)):
        raise TypeError(f"unhashable type: {t.__name__!r}")
    return (t, v)


class _Compiled:
    __slots__ = ("program", "fn", "out_tree", "has_tracer_consts", "unflatten")

    def __init__(self, program, out_tree):
        self.program = optimize(program)
        self.out_tree = out_tree
        self.has_tracer_consts = any(isinstance(c, Tracer) for c in self.program.consts.values())
        self.fn = (
            None if self.has_tracer_consts
            else compile_program(self.program, fresh_outputs=True)
        )
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
            if t is int and not -_I64 <= x < _I64:
                return None  # the general path raises a clear error
            key.append(_SCALAR_KEYS[t])
        elif isinstance(x, np.generic):
            key.append(((), x.dtype))
        else:
            return None  # tracers and other leaves take the general path
    return tuple(key)


def _unhashable(static_args, static_kwargs):
    """`static argument 1[1] is a list`, ...: which static arguments cannot be keys."""
    out = []
    for where, value in [(f"static argument {i}", v) for i, v in static_args] + [
        (f"static keyword argument {k!r}", v) for k, v in static_kwargs
    ]:
        try:
            hash(_typed_key(value))
        except TypeError:
            path, bad = _first_unhashable(value, "")
            out.append(f"{where}{path} is a {type(bad).__name__}")
    return out or ["one of them is not hashable"]


def _first_unhashable(value, path):
    """(path, value) of the outermost part of `value` that cannot be hashed."""
    if isinstance(value, tuple):
        for i, v in enumerate(value):
            try:
                hash(v)
            except TypeError:
                return _first_unhashable(v, f"{path}[{i}]")
    return path, value


def _checked_run(entry, fun, args, kwargs, leaves):
    """debug_nans/debug_infs: the compiled program's outputs are checked; on a NaN (inf)
    that the inputs did not have, the function runs again eagerly, where every primitive
    and rule is checked, to name the culprit and its line."""
    with nans.quiet():
        outs = entry.fn(*leaves)
    if not nans.has_bad(list(outs)) or nans.has_bad(list(leaves)):
        return outs
    name = getattr(fun, "__name__", "the function")
    try:
        fun(*args, **kwargs)
    except FloatingPointError as e:
        raise FloatingPointError(
            f"jit({name}) returned a non-finite value; running it again eagerly found where:"
            f" {e}"
        ) from None
    try:
        _replay(entry.program, leaves)
    except FloatingPointError as e:
        raise FloatingPointError(
            f"jit({name}) returned a non-finite value; running it again eagerly did not, "
            f"but its program, replayed equation by equation, did: {e}"
        ) from None
    raise FloatingPointError(
        f"jit({name}) returned a non-finite value from finite inputs, but neither running it "
        "again eagerly nor replaying its program equation by equation did (the compiled "
        "float64-scalar code can differ in the last bits); check it with `jit` off."
    )


def _replay(program, args):
    """Evaluate `program` one equation at a time, checking each output (debug_nans)."""
    env = {id(v): c for v, c in program.consts.items()}
    env.update((id(v), a) for v, a in zip(program.invars, args))
    for e in program.eqns:
        ins = [v.val if type(v) is Literal else env[id(v)] for v in e.inputs]
        with nans.quiet():
            out = e.prim.impl(*ins, **e.params)
        line = e.source or "(a line of the traced function: jit it with the check on to see it)"
        nans.check_forward(e.prim, ins, out, line)
        for v, o in zip(e.outputs, out if e.prim.multiple_results else [out]):
            env[id(v)] = o


class _Cache:
    """A jitted function's compiled entries, least recently used evicted first, keyed by
    (input structure, leaf shapes/dtypes, static arguments). Calls whose arguments are
    plain arrays and scalars only also reach their entry through a cheaper key
    (`_flatten`'s node and `_fast_key`), an index into the same entries: the dispatch
    fast path."""

    def __init__(self):
        self.entries = collections.OrderedDict()
        self.fast = {}  # fast key -> key of `entries`
        self.hits = self.misses = 0

    def get(self, key):
        entry = self.entries.get(key)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
            self.entries.move_to_end(key)
        return entry

    def get_fast(self, fast_key):
        key = self.fast.get(fast_key)
        return None if key is None else self.get(key)

    def put(self, key, entry):
        self.entries[key] = entry
        if len(self.entries) > config.cache_size:
            self.entries.popitem(last=False)
            self.fast.clear()  # (rebuilt by the next calls)
        return entry

    def index(self, fast_key, key):
        self.fast[fast_key] = key

    def info(self):
        return {"hits": self.hits, "misses": self.misses, "size": len(self.entries),
                "maxsize": config.cache_size}

    def clear(self):
        self.entries.clear()
        self.fast.clear()


def staged_call(fn, args, kwargs):
    """`fn(*args, **kwargs)` for a transform's function called on another library's arrays
    (Dask, CuPy, the array API): staged as `jit` stages it, once per signature, and run
    on those arrays (funcdiff._src.backend)."""
    staged = getattr(fn, "_on_backend", None)
    if staged is None:
        staged = fn._on_backend = _jit(fn, (), (), ObservingStagingTrace)
    return staged(*args, **kwargs)


def jit(fun, static_argnums=(), static_argnames=()):
    """Compile `fun`: trace once per input signature, then run optimized NumPy.

    The cache key is the input pytree structure, each leaf's shape and dtype
    (for a Python scalar, its type), and the static arguments' values with their
    types (which must be hashable; `1`, `1.0` and `True` trace separately).
    Inside the function, traced values are abstract: Python control flow on them
    raises `ConcretizationError` (use `static_argnums`, `fnp.where` or `fd.cond`).

    Every array the jitted function returns is new and writeable: no argument,
    constant, other output or later call's result shares its memory (outputs
    that could are copied; that is decided once per trace).

    Args:
        fun: the function to compile.
        static_argnums: positions of arguments that are Python values baked
            into the trace (a new trace per distinct value). A position the
            signature cannot have (beyond the parameters, no `*args`) raises
            `ValueError` here; one beyond a call's positional arguments (that
            is neither passed by keyword nor left at a default) at that call.
        static_argnames: names of keyword arguments treated likewise. A name
            that is no parameter that can be passed by keyword raises
            `ValueError` here (unless `fun` takes `**kwargs`).

    Raises:
        OverflowError: at a call, for a dynamic Python int outside int64 (the
            dtype integers are traced with); the message names the argument.

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
    return _jit(fun, static_argnums, static_argnames, StagingTrace)


def _jit(fun, static_argnums, static_argnames, trace_type):
    """`jit`, staging with `trace_type` (`ObservingStagingTrace` for another library's
    arrays)."""
    check_fun(fun, "jit")
    statics = _static_spec(fun, static_argnums, static_argnames)
    split = statics.split
    cache = _Cache()
    use_fast = not statics.nums and not statics.names

    def lookup(dyn_args, dyn_kwargs, sa, sk):
        leaves, in_tree = tree_flatten((dyn_args, dyn_kwargs))
        be = check_leaves(leaves, dyn_args if not dyn_kwargs else (dyn_args, dyn_kwargs),
                          "jit")
        leaf_keys = _leaf_keys(leaves, in_tree, statics, sa)
        tag = () if be is None else ("backend",)  # (staged for another library: see below)
        if sa or sk:
            try:
                key = (
                    in_tree,
                    leaf_keys,
                    tuple([(i, _typed_key(v)) for i, v in sa]),
                    tuple([(k, _typed_key(v)) for k, v in sk]),
                ) + tag
                entry = cache.get(key)
            except TypeError:
                raise TypeError(
                    "jit: static arguments must be hashable (they are part of the cache key); "
                    + "; ".join(_unhashable(sa, sk))
                    + ". Pass arrays as normal arguments, lists as tuples and dicts as "
                    "tuples of pairs."
                ) from None
        else:
            key = (in_tree, leaf_keys, (), ()) + tag
            entry = cache.get(key)
        if entry is None:
            if config.log_compiles:
                log.warning(
                    "jit: tracing %s for %s (trace #%d)",
                    getattr(fun, "__name__", fun),
                    key[1],
                    cache.misses,
                )
            program, out_tree = _stage(  # (another library's arrays: no data-sized constants)
                fun, leaves, in_tree, sa, sk, "jit",
                ObservingStagingTrace if be is not None else trace_type)
            entry = cache.put(key, _Compiled(program, out_tree))
        return entry, leaves, key, be

    @functools.wraps(fun)
    def jitted(*args, **kwargs):
        fast_key = None
        if use_fast and not kwargs:
            leaves = []
            node = _flatten(args, None, leaves)
            k = _fast_key(leaves)
            if k is not None:
                fast_key = (node, k)
                entry = cache.get_fast(fast_key)
                if entry is not None:
                    if nans.ON:
                        return entry.unflatten(_checked_run(entry, fun, args, kwargs, leaves))
                    return entry.unflatten(entry.fn(*leaves))
        entry, leaves, key, be = lookup(*split(args, kwargs))
        if be is not None:  # another library's arrays: the program runs on them
            return entry.unflatten(run_on(be, entry.program, leaves))
        if entry.fn is not None and not any(isinstance(x, Tracer) for x in leaves):
            if nans.ON:
                outs = _checked_run(entry, fun, args, kwargs, leaves)
            else:
                outs = entry.fn(*leaves)
            if fast_key is not None:
                cache.index(fast_key, key)
        else:
            outs = entry.program(*leaves)
        return entry.unflatten(outs)

    def lower(*args, **kwargs):
        """The optimized Program for these arguments."""
        return lookup(*split(args, kwargs))[0].program

    def source(*args, **kwargs):
        """The generated Python source for these arguments (for debugging)."""
        fn = lookup(*split(args, kwargs))[0].fn
        return fn.source if fn is not None else "<evaluated with bind: closes over tracers>"

    jitted.lower = lower
    jitted.source = source
    jitted.cache_info = cache.info
    jitted.clear_cache = cache.clear
    return jitted
