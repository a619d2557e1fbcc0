"""The core: primitives, tracers, traces and the interpreter stack.

Everything funcdiff computes goes through `Primitive.bind`. With no
transform active, `bind` calls the primitive's NumPy implementation
directly. Inside transforms, each active transform owns one level of the
interpreter stack (a `MainTrace`); `bind` finds the highest-level trace among
its arguments (`find_top_trace`), lifts the other arguments into it
(`Trace.full_raise`) and lets that trace process the primitive. A trace
processes a primitive by binding it again on the values one level down, so
nested transforms compose in any order. See docs/design.md.
"""

from __future__ import annotations

import math
import sys
import threading
import weakref
from contextlib import contextmanager

import numpy as np

from funcdiff._src import messages as _messages
from funcdiff._src.backend import library_of, to_numpy_dtype
from funcdiff._src.config import config as _config
from funcdiff._src.errors import (
    ConcretizationError,
    DetachError,
    UnsupportedPrimitiveError,
)

__all__ = [
    "Primitive",
    "Trace",
    "Tracer",
    "MainTrace",
    "new_main",
    "push_main",
    "pop_main",
    "find_top_trace",
    "get_aval",
    "ShapedArray",
]


# --------------------------------------------------------------------------
# The interpreter stack (one per thread)


class _State(threading.local):
    def __init__(self):
        self.stack = []  # MainTrace objects, index == level


_state = _State()


class MainTrace:
    """One level of the interpreter stack: one active transform."""

    __slots__ = ("level", "name", "fun", "alive", "transparent", "trace", "fp_token",
                 "protected")

    def __init__(self, level, trace_type, name, fun):
        self.level = level
        self.name = name  # transform name for messages: "grad", "jvp", "vmap", ...
        self.fun = fun  # the user function being transformed (for messages)
        self.alive = True
        # A finished level may mark itself transparent for a while: its tracers then
        # stand for the values they box (`Tracer._lower`) instead of being leaked
        # (reverse mode does, while it runs its backward pass: closures met there hold
        # its tracers)
        self.transparent = False
        self.fp_token = None  # (the outermost level: NumPy's error state to restore)
        self.protected = None  # NumPy arrays made read-only while it runs (`protect`)
        self.trace = trace_type(self)

    def where(self):
        """Where tracers of this level are made: the transformed function."""
        fun = self.fun
        code = getattr(fun, "__code__", None)
        name = getattr(fun, "__qualname__", None) or repr(fun)
        if code is None:
            return name
        return f"{name} ({code.co_filename}:{code.co_firstlineno})"


def push_main(trace_type, name, fun=None):
    """Push a new level for `trace_type`; pair with `pop_main` in a `finally`."""
    stack = _state.stack
    main = MainTrace(len(stack), trace_type, name, fun)
    if not stack:  # the outermost transform: NumPy's warnings inside it at the user's line
        main.fp_token = _messages.fp_warnings_switch()
    stack.append(main)
    return main


def pop_main(main):
    main.alive = False
    trace = main.trace
    # Break the main <-> trace cycle, so that a finished trace (and a reverse-mode
    # tape with its residuals) is freed by reference counting, not by a later GC.
    main.trace = None
    stack = _state.stack
    if stack and stack[-1] is main:
        stack.pop()
    else:  # unbalanced (should not happen): remove it wherever it is
        stack.remove(main)
    if main.protected:
        # (what it staged lives on in the nearest enclosing transform that records it)
        keeper = next((m for m in reversed(stack) if m.trace.records), None) \
            if trace.hands_over else None
        if keeper is not None:
            keeper.protected = main.protected + (keeper.protected or [])
        else:
            release(main.protected)
        _explain_read_only(main)
    if main.fp_token is not None:
        _messages.fp_warnings_restore(main.fp_token)


def protect(main, a):
    """Make NumPy array `a`, an operand that `main`'s transform keeps (a residual on a tape,
    a constant of a staged program), read-only until the transform ends, with the arrays
    it is a view of: a later write into it by the user's code (`buf[0] = 1.0` after
    `y = x * buf`) would change a derivative computed from it. NumPy raises instead
    ("assignment destination is read-only"). Nested transforms may protect one array:
    it is writable again when the last of them ends."""
    chain = []
    while isinstance(a, np.ndarray) and (a.flags.writeable or id(a) in _PROTECTED):
        chain.append(a)
        a = a.base
    for arr in chain:
        if arr.flags.writeable:
            arr.flags.writeable = False
        _PROTECTED[id(arr)] = _PROTECTED.get(id(arr), 0) + 1
    if main.protected is None:
        main.protected = chain
    else:
        main.protected.extend(chain)


def needs_protection(a):
    """True if NumPy array `a` is writable, or read-only by `protect` (of another level)."""
    return a.flags.writeable or id(a) in _PROTECTED


_PROTECTED = {}  # id of an array `protect` made read-only -> how many levels hold it so


def _explain_read_only(main):
    """A NumPy "read-only" error leaving `main`'s transform: say why (an array `protect`
    made read-only) and what to do, as a note on the error."""
    exc = sys.exc_info()[1]
    if isinstance(exc, ValueError) and "read-only" in str(exc):
        notes = getattr(exc, "__notes__", ())
        if not any(n.startswith(_messages.READ_ONLY) for n in notes):  # (the innermost's)
            exc.add_note(_messages.read_only_note(main))


def release(arrays):
    """Undo `protect` for `arrays`: writable again where no other level holds them (bases
    before views)."""
    pending = []
    for arr in arrays:
        n = _PROTECTED.pop(id(arr), 1) - 1
        if n > 0:
            _PROTECTED[id(arr)] = n
        else:
            pending.append(arr)
    while pending:
        failed = []
        for arr in pending:
            try:
                arr.flags.writeable = True
            except ValueError:  # (its base is still read-only: after the base)
                failed.append(arr)
        if len(failed) == len(pending):
            break
        pending = failed


@contextmanager
def new_main(trace_type, name, fun=None):
    """Push a new level for `trace_type` for the duration of the block."""
    main = push_main(trace_type, name, fun)
    try:
        yield main
    finally:
        pop_main(main)


class _Rebind:
    """Returned by `find_top_trace` when `args` must be normalized first (see below)."""


REBIND = _Rebind()


def normalized_args(args):
    """`args` normalized for binding: tracers of finished, transparent levels replaced
    by the values they box, and lists/tuples (array-likes, perhaps holding
    tracers) made arrays as `funcdiff.numpy.asarray` makes them (stacked when
    they hold tracers, so they stay differentiable)."""
    out = []
    for a in args:
        if type(a) in _SEQUENCES:
            a = Tracer._asarray(_unboxed_leaves(a))
        while isinstance(a, Tracer) and not a._trace.main.alive and a._trace.main.transparent:
            a = a._lower()
        out.append(a)
    return out


def _unboxed_leaves(seq):
    """A nested list/tuple with the tracers of transparent levels replaced by their values."""
    out = []
    for a in seq:
        if type(a) in _SEQUENCES:
            a = _unboxed_leaves(a)
        while isinstance(a, Tracer) and not a._trace.main.alive and a._trace.main.transparent:
            a = a._lower()
        out.append(a)
    return out


_SEQUENCES = (list, tuple)


def find_top_trace(args, stack=None):
    """The trace of the highest level among `args`' tracers, or None. `stack`: this
    thread's `_state.stack`, where the caller has it already (saves a thread-local read).

    Returns `REBIND` when `args` must be normalized with `normalized_args`
    before binding: some argument is a list or tuple (an array-like, which
    may hold tracers), or a tracer of a finished level marked transparent (reverse
    mode running its backward pass, which meets tracers closures captured). Raises
    `TracerLeakError` for a tracer of a finished transform, and a
    `RuntimeError` for a tracer of a transform running in another thread.
    """
    top = None
    level = -1
    for a in args:
        if isinstance(a, Tracer):
            trace = a._trace
            main = trace.main
            if not main.alive:
                if main.transparent:
                    return REBIND
                raise _messages.leak_error(main)
            if main.level > level:
                level = main.level
                top = trace
        elif type(a) in _SEQUENCES:
            return REBIND
    if top is not None:  # this thread's stack holds its main, unless it is another thread's
        try:
            owner = (_state.stack if stack is None else stack)[level]
        except IndexError:
            owner = None
        if owner is not top.main:
            raise _messages.thread_error(top.main)
    return top


# --------------------------------------------------------------------------
# Primitives


class Primitive:
    """A named operation with its rules, written together beside it.

    Attributes:
        impl: the NumPy implementation, `impl(*arrays, **params)`.
        xp_impl: the implementation on another array library's arrays,
            `xp_impl(xp, *arrays, **params)` with `xp` their array-API namespace
            (funcdiff._src.backend); None: `impl`, where NumPy's functions dispatch to the
            library (Dask, CuPy), else a `BackendError`.
        sparsity: which output elements depend on which input elements, for
            `jacobian_sparsity` (funcdiff._src.sparse): `"elementwise"` (broadcasting),
            `"move"` (each output element is one input element or zero: reshapes, slices,
            static gathers; `impl` run on index arrays says which), `"reduce"` (over
            `axes`), `"lane"` (along `axis`: cumulative ops), `"contract"` (einsum),
            `"scatter"` (scatter-add), `"branches"` (cond), `"scan"`, `"while"` (the carry
            to a fixed point through the body's program), `"custom_jvp"` (through the
            rule's program), `"call"` (through the `fun` program: checkpoint); None: every
            output element on
            every input element the inputs depend on (conservative, never missing one).
            A primitive with `nondiff` has none.
        jvp: `jvp(primals, tangents, **params) -> (out, tangent_out)`; a tangent
            of `None` is a symbolic zero (rules may skip work for it).
        vjp: `vjp(ct, out, primals, argnums, **params) -> cotangents`, one per
            entry of `argnums` (the arguments that need one); `None` is zero.
        batch: `batch(args, dims, **params) -> (out, out_dim)` (vmap).
        abstract_eval: `abstract_eval(*avals, **params) -> aval` (staging).
        linear: which arguments the primitive is linear in, jointly
            (`"all"`), separately (`"each"`, e.g. multiplication), only in
            some positions with the others held constant (a tuple, e.g.
            `(1,)` for `solve(a, b)` in `b`), or None.
        fwd: optional `fwd(*primals, **params) -> (out, residuals)` used by
            reverse mode instead of `impl`; the residuals reach `vjp` as the
            keyword argument `residuals` (custom_vjp uses this).
        residuals: what reverse mode keeps for `vjp` (memory): None keeps the
            inputs and the output; `"out"` only the output; `"inputs"` only the
            inputs; `"shapes"` only their shapes and dtypes (`ShapedArray`s).
        specialize: optional `specialize(avals, **params) -> callable | None`: an
            implementation for inputs of these abstract values only (shapes known,
            so work like parsing subscripts is done once); `jit`'s generated code
            calls it instead of `impl`.
        nondiff: True when the output never carries a derivative of the inputs
            (comparisons, `floor`, `stop_gradient`): reverse mode records nothing
            for it, and its result converts to a plain value freely.
        out_param: True when `impl` (and whatever `specialize` returns) works like a
            NumPy ufunc for `jit`'s generated code: elementwise, returning a new array
            (never a view), and taking `out=` (an array of the output's shape and dtype,
            possibly one of the inputs) to write the result into. `jit` then treats it
            as it treats ufuncs: its result may go into a dead input's buffer, and its
            own result's buffer may be reused by later such equations.
        scalar: the primitive on float64 scalars, for `jit`'s code for programs of float64
            scalars only (Python floats and `math`): an expression template of the inputs
            (`"({0} + {1})"`) or a function of Python floats (`math.sin`), which may raise
            ValueError, OverflowError or ZeroDivisionError where NumPy gives inf or nan (that
            call then runs as NumPy code). None: no such form.
        identity: when an equation returns an input unchanged (`jit` drops it): an int `i`
            (input `i`, whenever it has the output's shape and dtype: reshape, casts), or
            `identity(avals, **params) -> i | None` (transpose by the identity permutation).
        neutral: a binary operation's neutral elements, one per input (or None): where input
            `i` is a constant equal to `neutral[i]` everywhere, the equation returns the other
            input unchanged, if that has the output's shape and dtype (`(0, 0)` for add).
        effect: True when binding the primitive does something beyond computing its
            outputs (`debug.print` prints, `debug.breakpoint` stops): `jit` keeps its
            equations although nothing uses their outputs, and never merges or folds them.
        aliases: what an output's memory may be, for `jit`'s promise that every array it
            returns is new (it copies the others): None (the default) a new array, or
            anything where a parameter is a function or a Program (arbitrary code); or one
            of `"new"`, `"fresh"` (new, and only this output refers to it: later equations
            may write into it), `"view"` (input 0 or a view of it), `"readonly view"`,
            `"view or new"`, `"readonly"` (a new read-only array), `Slice`, `Branches`,
            `Loop` (below); or `aliases(avals, **params)` returning one of those.
    """

    __slots__ = (
        "name", "impl", "jvp", "vjp", "batch", "abstract_eval", "multiple_results",
        "linear", "fwd", "residuals", "specialize", "nondiff", "out_param", "scalar",
        "identity", "neutral", "_aliases", "effect", "xp_impl", "sparsity", "maybe_view",
    )

    collective = False  # a reduction over a named vmap axis (api/collectives.py)

    def __init__(self, name, impl, *, multiple_results=False, linear=None):
        self.name = name
        self.impl = impl
        self.jvp = None
        self.vjp = None
        self.batch = None
        self.abstract_eval = None
        self.multiple_results = multiple_results
        self.linear = linear
        self.fwd = None
        self.residuals = None
        self.specialize = None
        self.nondiff = False
        self.out_param = False
        self.scalar = None
        self.identity = None
        self.neutral = None
        self.aliases = None
        self.effect = False
        self.xp_impl = None
        self.sparsity = None

    @property
    def aliases(self):
        return self._aliases

    @aliases.setter
    def aliases(self, kind):  # (`maybe_view`: bind records views of traced arrays)
        self._aliases = kind
        self.maybe_view = callable(kind) or _is_view_kind(kind)

    def bind(self, *args, **params):
        stack = _state.stack
        if stack:
            trace = find_top_trace(args, stack)
            if trace is not None:
                if trace is REBIND:
                    return self.bind(*normalized_args(args), **params)
                out = trace.process_primitive(self, args, params)
                if self.maybe_view and isinstance(args[0], Tracer):
                    note_view(self, args, params, out)
                return out
            bottom = stack[0].trace
            if bottom.observes_eager:  # (debug_nans: funcdiff._src.nans)
                return bottom.process_primitive(self, args, params)
        return self.impl(*args, **params)

    def rule(self, kind):
        """The rule of `kind` ("jvp", "vjp", "batch"), or a clear error if missing."""
        r = getattr(self, kind)
        if r is None:
            raise UnsupportedPrimitiveError(
                f"primitive `{self.name}` has no {kind} rule, so it cannot be used under "
                "this transform. Please report this; as a workaround wrap the computation "
                "in `funcdiff.custom_jvp`/`custom_vjp` with a rule of your own."
            )
        return r

    def __repr__(self):
        return f"Primitive({self.name})"


# --------------------------------------------------------------------------
# Abstract values


class ShapedArray:
    """The abstract value of an array: its shape and dtype.

    `weak` marks a value that stands for a Python scalar, which NumPy's type
    promotion treats as weakly typed (`float32_array * 0.5` stays float32).
    """

    __slots__ = ("shape", "dtype", "weak")

    def __init__(self, shape, dtype, weak=False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.weak = weak

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    def __eq__(self, other):
        return (
            isinstance(other, ShapedArray)
            and self.shape == other.shape
            and self.dtype == other.dtype
        )

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def str_short(self):
        weak = "~" if self.weak else ""
        return f"{weak}{self.dtype.name}[{','.join(map(str, self.shape))}]"

    __repr__ = str_short


def _shaped(shape, dtype, weak=False):
    """A `ShapedArray` from a tuple and a `numpy.dtype` (no conversions: the hot path)."""
    a = _new_aval(ShapedArray)
    a.shape, a.dtype, a.weak = shape, dtype, weak
    return a


_new_aval = object.__new__
_F64_DTYPE = np.dtype(np.float64)
_WEAK_SCALAR_AVALS = {
    t: ShapedArray((), np.result_type(t(0)), weak=True) for t in (float, int, complex, bool)
}


_SCALAR_SHAPE_TYPES = frozenset({float, int, complex, bool, np.float64, np.float32})


def shape_of(x):
    """The shape of an array, a tracer, a `ShapedArray`, a Python scalar or a (nested)
    list of them, as a tuple."""
    t = type(x)
    if t is np.ndarray or t is ShapedArray:
        return x.shape
    if t in _SCALAR_SHAPE_TYPES:
        return ()
    if isinstance(x, (np.ndarray, Tracer, np.generic, ShapedArray)):
        return x.shape
    if (t is list or t is tuple) and x and has_tracer(x):  # as funcdiff.numpy.array would
        inner = {shape_of(e) for e in x}
        if len(inner) != 1:
            raise ValueError(
                "setting an array element with a sequence: the nested lists have "
                f"inhomogeneous shapes {sorted(inner)}"
            )
        return (len(x),) + inner.pop()
    return np.shape(x)


_PY_DTYPES = {float: np.dtype(float), complex: np.dtype(complex), bool: np.dtype(bool)}


def dtype_of(x):
    """The dtype of an array, a tracer, a `ShapedArray`, a Python scalar (its NumPy
    default) or a (nested) list of them."""
    t = type(x)
    if t is np.ndarray or t is ShapedArray or isinstance(x, (np.ndarray, Tracer, np.generic)):
        return x.dtype
    d = _PY_DTYPES.get(t)  # (a dtype is falsy: len() counts its fields)
    if d is not None:
        return d
    if t is list or t is tuple:  # as funcdiff.numpy.array would make it
        return np.result_type(*[dtype_of(e) for e in x]) if has_tracer(x) else np.asarray(x).dtype
    return np.result_type(x)


def get_aval(x):
    """The `ShapedArray` of a value or tracer."""
    t = type(x)
    if t is np.ndarray:
        return _shaped(x.shape, x.dtype)
    if t is np.float64:
        return _shaped((), _F64_DTYPE)
    if isinstance(x, Tracer):
        return x.aval
    if isinstance(x, np.ndarray):
        return _shaped(x.shape, x.dtype)
    if t in _WEAK_SCALAR_AVALS:
        if t is int and not -(2**63) <= x < 2**63:
            return ShapedArray((), np.result_type(x), weak=True)  # NumPy's error for huge ints
        return _WEAK_SCALAR_AVALS[t]
    if library_of(x) is not None:  # another library's array (funcdiff._src.backend)
        return ShapedArray(tuple(x.shape), to_numpy_dtype(x))
    return ShapedArray(np.shape(x), np.result_type(x))


# --------------------------------------------------------------------------
# Traces and tracers


class Trace:
    """How one transform interprets primitives. One instance per `MainTrace`."""

    __slots__ = ("main",)
    # A trace at the bottom of the stack that observes_eager also receives the primitives
    # bound on plain values (no tracer among the arguments): `debug_nans` checks them so.
    observes_eager = False
    # False for a trace that boxes nothing (debug_nans' and a backend's, at the bottom of
    # the stack): `new_buffer` leaves values plain there
    boxes = True
    # True for a trace whose result outlives it inside the enclosing transform (a staged
    # loop body, branch, checkpointed or jitted function is an operand there): the NumPy
    # arrays it keeps stay read-only until that transform ends (`protect`)
    hands_over = False
    # True for a trace that keeps what it is given for later (a tape, a program), where a
    # finished staging level's arrays stay read-only; forward mode and vmap use them at once
    records = False

    def __init__(self, main):
        self.main = main

    def pure(self, val):
        """Box a value that does not depend on this transform's inputs."""
        raise NotImplementedError

    def lift(self, tracer):
        """Box a tracer of a lower level (default: like a constant)."""
        return self.pure(tracer)

    def buffer(self, val):
        """Box a new array made inside the transformed function (`new_buffer`)."""
        return self.pure(val)

    def full_raise(self, val):
        if isinstance(val, Tracer):
            if val._trace is self:
                return val
            return self.lift(val)
        return self.pure(val)

    def process_primitive(self, prim, args, params):
        """Apply `prim` to `args`: this trace's tracers and lower-level values.

        A trace that wants all arguments boxed calls `self.full_raise` on them.
        """
        raise NotImplementedError


class Tracer:
    """A boxed value inside a transform, with the array API of a NumPy array.

    Tracers of `grad`, `vjp`, `jvp` and `linearize` hold concrete values, so
    `bool(t > 0)`, `int(t)`, `print(t)` and f-strings work, while conversions that
    would drop a derivative (`float(t)`, `numpy.asarray(t)`, ...) raise
    `DetachError`; tracers of `vmap` and `jit` are abstract and raise
    `ConcretizationError` instead.

    The NumPy side of the class (operators `+ - * / @ < ==`..., indexing, array
    methods such as `.sum()`, `.T` and `.at`, `round()`, NumPy's own functions
    through `__array_ufunc__`/`__array_function__`, and `_asarray`, which makes
    arrays of lists that hold tracers) is built from `funcdiff.numpy`, a layer
    above this module: `funcdiff._src.numpy.methods.install` sets it on this
    class, the one place that does, when `funcdiff` is imported.
    """

    __slots__ = ("_trace", "_mut", "__weakref__")
    __array_priority__ = 1000

    # -- what a subclass provides
    @property
    def aval(self):
        raise NotImplementedError

    def concrete(self):
        """The concrete value (a NumPy array or scalar), or ConcretizationError."""
        raise NotImplementedError

    # -- array attributes
    @property
    def shape(self):
        return self.aval.shape

    @property
    def dtype(self):
        return self.aval.dtype

    @property
    def ndim(self):
        return len(self.aval.shape)

    @property
    def size(self):
        return int(np.prod(self.aval.shape, dtype=np.int64))

    def __len__(self):
        shape = self.aval.shape
        if not shape:
            raise TypeError("len() of unsized object (a 0-d traced array)")
        return shape[0]

    def __iter__(self):
        shape = self.aval.shape
        if not shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(shape[0]))

    # -- reading values (concrete tracers only) ---------------------------------
    # Reading never detaches anything: a bool, an int or an index carries no
    # derivative. Conversions that hand the value on as a plain float or array
    # (float, complex, item, tolist, __array__) would silently drop a
    # derivative, so they go through `_detached`, which raises DetachError when
    # this value is being differentiated (see `carries_derivative`).
    def _depends(self):
        """True if this tracer's own transform differentiates it (a subclass tells)."""
        return False

    def _lower(self):
        """The value this tracer boxes, one level down (None if there is none)."""
        return None

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and np.dtype(dtype).kind in "biu":
            # to integers or booleans (`numpy.int64(x)`, `numpy.asarray(x, int)`): the
            # result is piecewise constant in x, so no derivative is dropped (as `int(x)`)
            return np.asarray(self._concrete_for("numpy.asarray(x, dtype)")).astype(dtype)
        v = np.asarray(self._detached("numpy.asarray() / numpy.array()"))
        if dtype is not None:
            return v.astype(dtype)
        if type(v) is np.ndarray and v.flags.writeable:  # (a traced value is never written:
            v = v.view()  # in place: only through its box, `funcdiff._src.numpy.inplace`)
            v.flags.writeable = False
        return v

    def __float__(self):
        return float(self._detached("float()"))

    def __complex__(self):
        return complex(self._detached("complex()"))

    def item(self, *args):
        return np.asarray(self._detached(".item()")).item(*args)

    def tolist(self):
        return np.asarray(self._detached(".tolist()")).tolist()

    def __int__(self):
        return int(self._concrete_for("int()"))

    def __bool__(self):
        return bool(self._concrete_for("bool() (an `if` or `while` on a traced value)"))

    def __index__(self):
        return int(np.asarray(self._concrete_for("an index or size")).__index__())

    def all_values(self):
        """The values this tracer stands for as one array (a batched tracer: all its
        examples), or None when they are not known; for funcdiff's own checks
        (`debug_nans`), never a conversion."""
        try:
            v = self.concrete()
        except ConcretizationError:
            return None
        return v.all_values() if isinstance(v, Tracer) else v

    def _concrete_for(self, what):
        try:
            return self.concrete()
        except ConcretizationError:
            raise _messages.concretization_error(self._trace.main, what) from None

    def _detached(self, what):
        """The concrete value, for a conversion that drops derivatives (see DetachError)."""
        value = self._concrete_for(what)
        mode = _config.detach
        if mode != "allow":
            carrier = carries_derivative(self)
            if carrier is not None:
                message = _messages.detach_message(carrier._trace.main, what)
                if mode == "raise":
                    raise DetachError(message)
                _messages.warn_detach(message)
        return value

    def __repr__(self):
        name = type(self).__name__
        try:
            val = self.concrete()
        except ConcretizationError:
            return f"{name}<{self.aval.str_short()}>"
        return f"{name}({val!r})"

    def __str__(self):
        try:
            return str(self.concrete())
        except ConcretizationError:
            return repr(self)

    def __format__(self, spec):
        try:
            return format(self.concrete(), spec)
        except ConcretizationError:
            return repr(self)

    def __hash__(self):
        raise TypeError("traced arrays are unhashable (like numpy arrays)")

    def __setitem__(self, idx, value):
        raise TypeError(
            "funcdiff arrays are immutable inside transforms: instead of "
            "`x[idx] = y` write `x = x.at[idx].set(y)` (or `fnp.at(x)[idx].set(y)`, "
            "which also works on plain arrays); likewise `.add`, `.multiply`, "
            "`.min`, `.max`."
        )


# -- in-place updates (funcdiff._src.numpy.inplace) ----------------------------------------
# What a write `y[i] = v` / `y += v` on a traced array needs to know, kept on the tracer only
# when there is something to keep: whether it is an argument of a transform (writing into it
# would change the caller's array: an error), the array it is a view of and how (a write
# into a basic-index view goes through into the base; into other views: an error), and the
# live views made of it (recomputed after each write, as NumPy shows them the new values).

_VIEW_KINDS = ("view", "readonly view", "view or new")


def _is_view_kind(kind):
    return kind in _VIEW_KINDS or type(kind).__name__ == "Slice"


class _Mutable:
    __slots__ = ("arg", "base", "views")

    def __init__(self):
        self.arg, self.base, self.views = False, None, []


_ARGUMENT = "argument"  # `_mut` of an argument not looked at yet (one store per argument)


def new_buffer(val):
    """`val` (a new array) boxed as a constant of the innermost transform running, so
    that writing traced values into it in place (`y[i] = x`) is followed; `val` itself
    outside transforms. Primitives on constants only still give plain values."""
    for main in reversed(_state.stack):
        trace = main.trace
        if trace.boxes:
            return trace.buffer(val)
    return val


def constant_result(trace, values, out):
    """`out`, computed by `trace` from its constant boxes (buffers) and plain `values`:
    plain, as NumPy's result would be, unless it may share memory with one of them (a
    view such as `b[1:]`, or `b` itself): then a buffer too, so that a write into it is
    followed (and cannot change a value a derivative kept)."""
    if type(out) is np.ndarray:
        if out.base is not None or any(out is v for v in values):
            return trace.buffer(out)
    elif type(out) is list:  # (several results)
        return [constant_result(trace, values, o) for o in out]
    return out


def mutable_state(t):
    """The in-place bookkeeping of tracer `t` (made on first use)."""
    m = getattr(t, "_mut", None)
    if m is None or m is _ARGUMENT:
        arg = m is _ARGUMENT
        m = t._mut = _Mutable()
        m.arg = arg
    return m


def swap_box(y, new):
    """Put the value boxed by tracer `new` into the box `y` (same class and trace)."""
    for cls in type(y).__mro__:
        for slot in cls.__dict__.get("__slots__", ()):
            if slot in ("__weakref__", "_mut"):
                continue
            try:
                value = getattr(new, slot)
            except AttributeError:  # (a lazily cached slot: drop y's stale one)
                try:
                    delattr(y, slot)
                except AttributeError:
                    pass
            else:
                setattr(y, slot, value)


def copy_tracer(x):
    """A new box with `x`'s value: written later, neither sees the other's writes."""
    if not isinstance(x, Tracer):
        return np.array(x, copy=True)
    clone = object.__new__(type(x))
    swap_box(clone, x)
    return clone


def mark_argument(t):
    """Mark `t`, an argument of a transform, as not to be written in place."""
    t._mut = _ARGUMENT
    return t


def note_view(prim, args, params, out):
    """Record that `out` is (in NumPy) a view of the traced `args[0]`."""
    kind = prim.aliases
    if callable(kind):
        kind = kind([get_aval(a) for a in args], **params)
        if not _is_view_kind(kind):
            return
    base = args[0]
    for o in out if prim.multiple_results else (out,):
        if isinstance(o, Tracer) and o is not base and o.aval.shape:  # (x[0]: a scalar)
            rest = args[1:]  # (a view's other operands: a traced row index, y[i])
            mutable_state(o).base = (base, prim, params, rest)  # (kept alive, as .base)
            views = mutable_state(base).views
            if len(views) >= 16:  # (drop the dead ones now and then)
                views[:] = [v for v in views if v[0]() is not None]
            views.append((weakref.ref(o), prim, params, rest))


def has_tracer(*objs):
    """True if one of `objs` is a tracer or a (nested) list or tuple holding one."""
    todo = list(objs)
    while todo:
        x = todo.pop()
        if isinstance(x, Tracer):
            return True
        if type(x) in _SEQUENCES:
            todo.extend(x)
    return False


def traced(*objs):
    """True inside a transform when one of `objs` is (or holds) a tracer."""
    return bool(_state.stack) and has_tracer(*objs)


def concrete_value(x):
    """`x`'s concrete value as a NumPy array or scalar, for funcdiff's own reading
    (a check, a rank, a mask): no DetachError, `ConcretizationError` when abstract."""
    return np.asarray(x.concrete()) if isinstance(x, Tracer) else np.asarray(x)


def carries_derivative(x):
    """The tracer in `x`'s chain whose transform would lose a derivative if `x`
    were converted to a plain value, or None.

    A tracer carries a derivative when its own transform is live (not returned,
    and not running its backward pass, where tracers stand for their values)
    and differentiates it (a reverse-mode value computed from the inputs, a
    forward-mode value with a nonzero tangent) and it is of a float or complex
    dtype. The boxed value one level down is checked the same way.
    """
    while isinstance(x, Tracer):
        main = x._trace.main
        if main.alive and not main.transparent and x._depends() and x.dtype.kind in "fc":
            return x
        x = x._lower()
    return None


def check_alive(args):
    """Raise for a leaked tracer or one of another thread; True if some argument is a
    tracer of a transparent level (to be replaced by its value)."""
    transparent = False
    for a in args:
        if isinstance(a, Tracer):
            main = a._trace.main
            if not main.alive:
                if not main.transparent:
                    raise _messages.leak_error(main)
                transparent = True
            else:
                stack = _state.stack
                if main.level >= len(stack) or stack[main.level] is not main:
                    raise _messages.thread_error(main)
        if isinstance(a, (list, tuple)):
            transparent = check_alive(a) or transparent
    return transparent
