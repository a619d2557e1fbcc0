"""Elementwise primitives: arithmetic, transcendental functions, comparisons.

Each primitive is one line: a name, its NumPy implementation and one partial
derivative per argument, `partial(out, *args)`. From those partials
`elementwise` writes all rules at once: the JVP (sum of tangent * partial),
the VJP (cotangent * partial, summed back to the argument's shape where it
was broadcast) and the batching rule (broadcasting does the work). A partial
of `ONE`/`NEG_ONE` skips the multiplication; `None` means no derivative.

Conventions (docs/conventions.md): at kinks the minimum-norm subgradient
(`abs'(0) = 0`, ties in `maximum` split evenly), and a zero (co)tangent
times an infinite (or NaN) partial is zero: the JVPs and VJPs multiply with
the safe product `mul_safe` unless a primitive declares its partials
`bounded` (sin, cos, tanh, ...: finite wherever the primitive's value is a
number), so an unselected branch of `where` never turns into a NaN gradient,
to any order (`mul_safe`'s own rules are safe products too).
"""

from __future__ import annotations

import functools
import math
import operator

import numpy as np

from funcdiff._src.backend import elementwise_xp_impl, xp_dtype
from funcdiff._src.core import (
    REBIND,
    Primitive,
    ShapedArray,
    Tracer,
    _state,
    dtype_of,
    find_top_trace,
    normalized_args,
    note_view,
    shape_of,
)
from funcdiff._src.lax.shape import broadcast_tangent, move_batch_axes, unbroadcast

ONE = "one"
NEG_ONE = "neg_one"


def real_for_real(ct, x):
    """The cotangent `ct` of an input `x`: its real part when `x` is real (JAX's
    convention: a real input gets a real cotangent)."""
    t = type(ct)
    if t is _F64 or t is float or (t is np.ndarray and ct.dtype.kind != "c"):
        return ct  # (the common cases, at once)
    if dtype_of(ct).kind == "c" and dtype_of(x).kind != "c":
        return real(ct)
    return ct


def _scale_plain(t, d):
    """`t * d` for a `bounded` partial `d` (or a marker)."""
    if d is ONE:
        return t
    if d is NEG_ONE:
        return -t
    return t * d


def _scale_safe(t, d):
    """`t * d` with 0 * inf == 0 (`mul_safe`): float64 scalars and NumPy arrays directly,
    tracers by binding `mul_safe` (differentiable, and safe again at the next order)."""
    if d is ONE:
        return t
    if d is NEG_ONE:
        return -t
    tt = type(t)
    if tt is _F64 or tt is float:
        td = type(d)
        if td is _F64 or td is float:
            return t * d if t and d else _ZERO  # no zero factor: no 0 * inf, no warning
    elif tt is np.ndarray and type(d) is np.ndarray:
        return _mul_safe_impl(t, d)
    if isinstance(t, Tracer) or isinstance(d, Tracer):
        return mul_safe(t, d)
    return _mul_safe_impl(t, d)


def _scale_by_plain_number(t, d):
    """`_scale_safe(t, d)` for a `t` that `_plain_number` accepted: a plain product,
    unless `d` is complex (`(x + 0j) * (inf + 0j)` has 0 * inf inside) or a tracer."""
    if d is ONE:
        return t
    if d is NEG_ONE:
        return -t
    td = type(d)
    if (td is np.ndarray and d.dtype.kind != "c") or td is _F64 or td is float:
        return t * d
    return _scale_safe(t, d)


def _plain_number(g):
    """Whether the array `g` is one real number, finite and nonzero (every stride 0, like
    the cotangent `sum` broadcasts): times it, no real product is 0 * inf, so the safe
    product is the plain one."""
    if any(g.strides) or not g.size or g.dtype.kind != "f":
        return False
    g = g.item(0)
    return bool(g) and -_INF < g < _INF


def _scale_into_plain(t, d):
    """`t * d`, written into `d` when both are arrays alike (`d` is a new array)."""
    if type(t) is np.ndarray and type(d) is np.ndarray and t.shape == d.shape and (
        t.dtype == d.dtype
    ):
        return np.multiply(t, d, out=d)
    return _scale_plain(t, d)


def _scale_into_safe(t, d):
    """The safe product `t * d`, written into `d` when both are arrays alike."""
    tt = type(t)
    if tt is np.ndarray:
        if type(d) is np.ndarray:
            dt = d.dtype
            if t.dtype is dt and dt.kind == "f" and t.ndim == 1 == d.ndim:
                # `_mul_safe_impl`'s tests, fewer: `d` is new, so 1-d means contiguous
                n = len(d)
                if len(t) == n:
                    if t.strides[0]:
                        s = np.vdot(t, d)  # any size: the slow path would test first too
                        if s == s:
                            return np.multiply(t, d, out=d)
                    elif n:  # a cotangent broadcast from a scalar: one value
                        s = t.item(0)
                        if s and -_INF < s < _INF:
                            return np.multiply(t, d, out=d)
                    return _mul_safe_slow(t, d, d)
            if t.shape == d.shape and t.dtype == dt:
                return _mul_safe_impl(t, d, d)
    elif tt is _F64 or tt is float:
        td = type(d)
        if td is _F64 or td is float:
            return t * d if t and d else _ZERO
    return _scale_safe(t, d)


def _one_buffer(traced, inner, outer, *c):
    """The partial `traced(x)` (funcdiff ops: differentiable), computed for a NumPy array
    as `outer(*c, inner(x))` in one new buffer."""

    def partial(x):
        if type(x) is np.ndarray:
            d = inner(x)  # a NumPy scalar for a 0-d x
            return outer(*c, d, out=d) if type(d) is np.ndarray else outer(*c, d)
        return traced(x)

    return partial


def _elementwise_jvp(prim, partials, scale, primals, tangents):
    out = prim.bind(*primals)
    tout = None
    for t, p in zip(tangents, partials):
        if t is None or p is None:
            continue
        term = scale(t, p(out, *primals))
        tout = term if tout is None else add(tout, term)
    if tout is not None:
        tout = broadcast_tangent(tout, shape_of(out))
        od = dtype_of(out)
        if dtype_of(tout) != od and od.kind in "fc":  # e.g. a Python scalar's float64 tangent
            if isinstance(tout, Tracer):
                tout = convert_element_type(tout, od)
            else:
                tout = np.asarray(tout, od)[()]
    return out, tout


def _elementwise_vjp(partials, scale, g, out, primals, argnums):
    if type(g) is np.ndarray and scale is _scale_safe and len(argnums) > 1 and (
        _plain_number(g)
    ):
        scale = _scale_by_plain_number  # one test of g for all the products
    cts = []
    for i in argnums:
        p = partials[i]
        if p is None:
            cts.append(None)
            continue
        cts.append(real_for_real(unbroadcast(scale(g, p(out, *primals)), shape_of(primals[i])),
                                 primals[i]))
    return cts


def _elementwise_batch(prim, args, dims, **params):
    if not _aligned(args, dims):
        args = move_batch_axes(args, dims)
    for a in args:
        if isinstance(a, Tracer):  # values of a lower level: bind there
            return prim.bind(*args, **params), 0
    return prim.impl(*args, **params), 0


def _aligned(args, dims):
    """True when broadcasting already lines the batch axes up: every batched argument
    has it first and the same rank, and no unbatched one has a higher rank."""
    if len(args) == 1:
        return dims[0] == 0
    rank = -1
    for a, d in zip(args, dims):
        if d is not None:
            r = len(shape_of(a))
            if d != 0 or (rank >= 0 and r != rank):
                return False
            rank = r
    if rank < 0:  # nothing batched
        return True
    for a, d in zip(args, dims):
        if d is None and len(shape_of(a)) >= rank:
            return False
    return True


def _quiet(partial):
    """Compute a partial that may be infinite without NumPy's warnings."""
    if partial is None:
        return None

    def quiet(*args):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return partial(*args)

    return quiet


_F64 = np.float64
_NUMBERS = frozenset({float, np.float64, int})


def _scalar_first(ufunc, op):
    """`ufunc(a, b)`, computed as NumPy scalar arithmetic `op` when one is a float64
    scalar and the other a float or int: same value, dtype and warnings, in ~0.15 us
    instead of the ufunc's ~0.9 us (what eager scalar code, and every backward pass on
    scalars, pays per operation)."""

    def impl(a, b):
        ta, tb = type(a), type(b)
        if ta is _F64:
            if tb in _NUMBERS:
                return op(a, b)
        elif ta is float:
            if tb in _NUMBERS:
                return op(_F64(a), b)
        elif ta is int and (tb is _F64 or tb is float):
            return op(a, _F64(b))
        return ufunc(a, b)

    impl.__name__ = impl.__qualname__ = ufunc.__name__
    return impl


# -- shape and dtype rules ------------------------------------------------------------
def broadcast_shape(avals):
    """The shape NumPy's broadcasting gives the inputs of these abstract values."""
    shape = ()
    for a in avals:
        s = a.shape
        if s != shape and s:  # (0-d inputs change nothing)
            if shape:
                return np.broadcast_shapes(*[a.shape for a in avals])
            shape = s
    return shape


def _resolve_key(a):
    """An input as NumPy's type resolution sees it: its dtype, or for a Python scalar (a
    weak abstract value) its type, which NumPy promotes weakly (`float32 * 0.5`: float32)."""
    kind = a.dtype.kind
    if not a.weak or kind == "b":  # a Python bool is a NumPy bool
        return a.dtype
    return float if kind == "f" else complex if kind == "c" else int  # ints of any size


def _promotion_operand(a):
    """An input for `np.result_type`: its dtype, or a Python scalar's zero (weak)."""
    key = _resolve_key(a)
    return key(0) if type(key) is type else key


def ufunc_dtype(ufunc):
    """The dtype rule `dtype(*avals)` of a ufunc: NumPy's own type resolution
    (`ufunc.resolve_dtypes`) on the input dtypes alone, no data (cached per dtypes).
    Inputs it has no loop for raise its TypeError, as a call would."""
    cache = {}
    outs = (None,) * ufunc.nout

    def dtype(*avals):
        key = tuple([_resolve_key(a) for a in avals])
        d = cache.get(key)
        if d is None:
            d = cache[key] = ufunc.resolve_dtypes(key + outs)[ufunc.nin]
        return d

    return dtype


def dtype_by_running(impl):
    """The dtype rule of an `impl` whose dtype NumPy cannot tell beforehand (a Python
    function of several ufuncs): `impl` run on 0-size arrays of the input dtypes (Python
    scalars as a 0 of their type). The last resort: each use is documented at its
    primitive; its cost does not depend on the arrays' sizes."""
    cache = {}

    def dtype(*avals):
        key = tuple([_resolve_key(a) for a in avals])
        d = cache.get(key)
        if d is None:
            args = [np.zeros(0, k) if isinstance(k, np.dtype) else k(0) for k in key]
            with np.errstate(all="ignore"):
                d = cache[key] = np.result_type(impl(*args))
        return d

    return dtype


def elementwise_abstract_eval(dtype):
    """The shape/dtype rule of an elementwise primitive: NumPy's broadcasting of the input
    shapes, and `dtype(*avals)` (a ufunc: its type resolution, see `ufunc_dtype`)."""
    if isinstance(dtype, np.ufunc):
        dtype = ufunc_dtype(dtype)

    def abstract_eval(*avals):
        dt = dtype(*avals)  # (NumPy resolves the types before it broadcasts the shapes)
        return ShapedArray(broadcast_shape(avals), dt)

    return abstract_eval


# the binary operators that `elementwise(scalar=...)` writes infix in jit's scalar code
_INFIX = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/"}


def elementwise(
    name, impl, *partials, safe=False, bounded=False, linear=None, quiet=True, residuals=None,
    fresh=False, scalar=None, neutral=None, dtype=None, xp=None,
):
    """Define an elementwise primitive from its partial derivatives.

    The JVP and VJP multiply (co)tangents by the partials with the safe product
    (`mul_safe`: zero times inf or NaN is zero), so that a zero (co)tangent, e.g.
    from the branch of a `where` that is not taken, stays zero where a partial is
    infinite (`exp` overflowing, `x * log(x)` at 0). `bounded=True` opts out (a
    plain multiply) for partials that are finite wherever the primitive's value is
    a number: sin, cos, tanh, arctan, tie splits. `safe=True` declares partials
    with poles (sqrt, log, division, power): they are computed without NumPy's
    divide-by-zero warnings unless `quiet=False` (a partial that silences what it
    needs itself). `fresh=True` says that the (unary) partial always returns a
    new array, never an input or the output: on NumPy arrays the JVP and VJP then
    multiply into that array instead of allocating one more (reverse mode's peak
    memory). `scalar` is the primitive on float64 scalars (`Primitive.scalar`): a
    function of `math`, an expression template, or for a binary ufunc `impl` an
    operator of `operator` (`+ - * /`), which eager code on float64 scalars then
    uses too (see `_scalar_first`; compiled code still calls the ufunc). `neutral`:
    the neutral elements per input (`Primitive.neutral`). The shape/dtype rule
    broadcasts the shapes and takes the dtype from `dtype`: `impl` itself by default
    (which must then be a ufunc), another ufunc whose type resolution `impl`
    follows, or a rule `dtype(*avals) -> dtype`.
    """
    if safe and quiet:
        partials = tuple(_quiet(p) for p in partials)
    if dtype is None:
        if not isinstance(impl, np.ufunc):
            raise TypeError(f"elementwise `{name}`: `impl` is no ufunc: declare its `dtype`")
        dtype = impl
    infix = _INFIX.get(scalar)
    prim = Primitive(name, impl if infix is None else _scalar_first(impl, scalar), linear=linear)
    if infix is not None:
        prim.specialize = lambda avals: impl
        scalar = f"({{0}} {infix} {{1}})"
    prim.scalar = scalar
    prim.neutral = neutral
    prim.xp_impl = elementwise_xp_impl(impl, name, xp)
    prim.abstract_eval = elementwise_abstract_eval(dtype)
    prim.residuals = residuals  # "out": the partials use only the output; "shapes": nothing
    prim.sparsity = "elementwise"
    scale = _scale_plain if bounded else _scale_safe
    unary = len(partials) == 1 and partials[0] is not None
    if unary and fresh:
        scale = _scale_into_plain if bounded else _scale_into_safe
    prim.jvp = lambda primals, tangents: _elementwise_jvp(prim, partials, scale, primals, tangents)
    if unary:
        (partial,) = partials  # the cotangent already has the argument's shape
        prim.vjp = lambda g, out, primals, argnums: [scale(g, partial(out, *primals))]
    else:
        prim.vjp = lambda g, out, primals, argnums: _elementwise_vjp(
            partials, scale, g, out, primals, argnums
        )
    prim.batch = functools.partial(_elementwise_batch, prim)
    return prim


def nondifferentiable(name, impl, dtype=None, xp=None):
    """An elementwise primitive with zero derivative (comparisons, floor, ...)."""
    prim = elementwise(name, impl, *([None] * 3), dtype=dtype, xp=xp)
    prim.nondiff = True
    return prim


def _fn(prim, doc=None):
    """The public function for a unary/binary primitive: `prim.bind(*args)` with bind's
    logic inlined (one Python frame less per operation: 250 vs 400 ns per call outside
    transforms, 7% of a scalar chain's grad). The one fast path of binding; a test
    checks it against `bind` under every transform
    (tests/test_primitive_fields.py)."""
    impl = prim.impl
    empty = {}

    def f(*args):
        stack = _state.stack
        if stack:
            trace = find_top_trace(args, stack)
            if trace is not None:
                if trace is REBIND:
                    return f(*normalized_args(args))
                out = trace.process_primitive(prim, args, empty)
                if prim.maybe_view and isinstance(args[0], Tracer):  # (real, imag)
                    note_view(prim, args, empty, out)
                return out
            bottom = stack[0].trace
            if bottom.observes_eager:
                return bottom.process_primitive(prim, args, empty)
        return impl(*args)

    f.__name__ = f.__qualname__ = prim.name
    f.__doc__ = doc or f"Elementwise `numpy.{prim.name}`, differentiable."
    f.primitive = prim
    return f


_SCALAR_TYPES = {float, int, np.float64, np.float32, np.complex128, np.complex64}
_REAL_SCALAR_TYPES = frozenset(
    {float, int, bool, np.float64, np.float32, np.float16, np.int64, np.int32, np.bool_}
)
_ZERO = np.float64(0.0)
_INF = float("inf")
# arrays up to this size (any size with `out`): test the factors before multiplying;
# larger ones multiply first and test the product (one pass less)
_PRECHECK_MAX = 1 << 16


def _mul_safe_impl(a, b, out=None):
    """`a * b`, except that zero times anything (inf, NaN) is zero. `out`: as np.multiply.

    Where no product is 0 * inf or 0 * NaN this is `np.multiply` exactly, and the
    fast paths make sure of that before multiplying (so NumPy has nothing to warn
    about): float64 scalars by their truth value; a factor with a single value
    (a scalar, a 0-d or broadcast array) by that value being finite and nonzero;
    two float arrays of one shape and dtype (at most `_PRECHECK_MAX` elements, or
    any number with `out`) by `np.vdot`, NaN iff a product is (or an inf - inf), and
    which unlike `np.dot` sets off no NumPy warning. Otherwise `_mul_safe_slow`
    multiplies without the warning and fixes up.
    """
    ta, tb = type(a), type(b)
    if ta is np.ndarray:
        if tb is np.ndarray:
            dt = a.dtype
            if dt is b.dtype and dt.kind == "f":
                if a.ndim == 1 == b.ndim:  # the common case, in few attribute reads
                    sa, sb = a.strides[0], b.strides[0]
                    if sa and sb:
                        n = len(a)
                        if n == len(b) and (n <= _PRECHECK_MAX or out is not None):
                            s = np.vdot(a, b)  # never warns (np.dot does: 0 * inf)
                            if s == s:
                                return np.multiply(a, b, out=out)
                    else:  # a cotangent broadcast from a scalar (sum's VJP): one value
                        x = b if sa else a
                        if len(x):
                            s = x.item(0)
                            if s and -_INF < s < _INF:  # finite and nonzero
                                return np.multiply(a, b, out=out)
                elif a.shape == b.shape:
                    if a.flags.c_contiguous and b.flags.c_contiguous:
                        if a.size <= _PRECHECK_MAX or out is not None:
                            s = np.vdot(a, b)
                            if s == s:
                                return np.multiply(a, b, out=out)
                    else:
                        s = _single(a) or _single(b)
                        if s and -_INF < s < _INF:
                            return np.multiply(a, b, out=out)
        elif tb in _REAL_SCALAR_TYPES and a.dtype.kind in "fiub" and b and -_INF < b < _INF:
            return np.multiply(a, b, out=out)
    elif ta is _F64 or ta is float:
        if tb is _F64 or tb is float:
            return a * b if a and b else _ZERO
        if tb is np.ndarray and b.dtype.kind in "fiub" and a and -_INF < a < _INF:
            return np.multiply(a, b, out=out)
    elif tb is np.ndarray:
        if ta in _REAL_SCALAR_TYPES and b.dtype.kind in "fiub" and a and -_INF < a < _INF:
            return np.multiply(a, b, out=out)
    if ta in _SCALAR_TYPES and tb in _SCALAR_TYPES:
        return a * b if a and b else np.zeros((), np.result_type(a, b))[()]
    return _mul_safe_slow(a, b, out)


def _single(x):
    """The one value (a Python number) of a nonempty array whose strides are all 0, else
    None."""
    if not any(x.strides) and x.size:
        return x.item(0)
    return None


def _mul_safe_slow(a, b, out=None):
    """The safe product in general: the plain product when both factors are finite (the
    common case: then no product is 0 * inf); else multiply without NumPy's invalid-value
    warning and, where the product has a NaN, zero it where a factor is zero. The smaller
    factor is tested first: finite and without a zero, the plain product is the safe one
    whatever the larger holds (a broadcast tangent is then read once, not twice)."""
    small = a if np.size(a) <= np.size(b) else b
    if _finite(small) and (np.all(small) or _finite(b if small is a else a)):
        return np.multiply(a, b, out=out)  # (no 0 * inf, no NaN: the plain product)
    if out is not None:  # `out` may be a factor: find the zeros before writing it
        zero = np.logical_or(np.equal(a, 0), np.equal(b, 0))
        with np.errstate(invalid="ignore"):
            r = np.multiply(a, b, out=out)
        np.copyto(r, 0, where=zero)
        return r
    with np.errstate(invalid="ignore"):
        r = np.multiply(a, b)
    if not _has_nan(r):
        return r
    zero = np.logical_or(np.equal(a, 0), np.equal(b, 0))
    if type(r) is not np.ndarray or not r.ndim:
        return np.zeros((), r.dtype)[()] if zero else r
    np.copyto(r, 0, where=zero)
    return r


def _finite(x):
    """True if every entry of the array or number `x` is certainly finite: its sum of
    squares is (which never warns; where it overflows, False sends the caller the
    careful way), over the values stored (a broadcast array's once)."""
    if type(x) is np.ndarray:
        k = x.dtype.kind
        if k not in "fc":
            return k in "iub"
        if 0 in x.strides:  # broadcast: test each stored value once, not each repeat
            x = x[tuple(slice(0, 1) if not s else slice(None) for s in x.strides)]
        x = x.ravel(order="K")  # a view when `x` is a transposed contiguous array
        x = np.vdot(x, x).real
    elif type(x) not in _REAL_SCALAR_TYPES:
        return False
    return -_INF < x < _INF


def _has_nan(r):
    """Whether `r` may hold a NaN: False is certain; True may be an inf - inf (complex)."""
    if r.dtype.kind not in "fc":
        return False
    if type(r) is np.ndarray:
        r = np.vdot(r, r)  # sum of |r|^2 (real): NaN iff an entry is; never warns
    return r != r


# -- arithmetic -------------------------------------------------------------
add_p = elementwise(
    "add",
    np.add,
    lambda o, x, y: ONE,
    lambda o, x, y: ONE,
    linear="all",
    residuals="shapes",
    scalar=operator.add,
    neutral=(0, 0),
)
subtract_p = elementwise(
    "subtract",
    np.subtract,
    lambda o, x, y: ONE,
    lambda o, x, y: NEG_ONE,
    linear="all",
    residuals="shapes",
    scalar=operator.sub,
    neutral=(None, 0),  # x - 0 is x
)
multiply_p = elementwise(
    "multiply",
    np.multiply,
    lambda o, x, y: y,
    lambda o, x, y: x,
    linear="each",
    scalar=operator.mul,
    neutral=(1, 1),
)
# its rules are safe products too (elementwise's default): safe at every order
mul_safe_p = elementwise(
    "mul_safe",
    _mul_safe_impl,
    lambda o, x, y: y,
    lambda o, x, y: x,
    linear="each",
    scalar="({0} * {1} if {0} and {1} else 0.0)",  # 0 * inf == 0, as its impl
    neutral=(1, 1),
    dtype=np.multiply,
)


def _mul_safe_alike(a, b, out=None):
    """`_mul_safe_impl` for two float arrays of one shape and dtype, known beforehand:
    test the factors, then multiply (into `out`, which may be a factor)."""
    s = np.vdot(a, b)
    if s == s:
        return np.multiply(a, b, out=out)
    return _mul_safe_slow(a, b, out)


def _mul_safe_large(a, b, out=None):
    """`_mul_safe_alike` for arrays over `_PRECHECK_MAX` elements: without `out`,
    multiply first and test the product (one pass less); with it, `_mul_safe_impl`
    (whose tests of the layout cost nothing at this size)."""
    return _mul_safe_slow(a, b) if out is None else _mul_safe_impl(a, b, out)


def _mul_safe_specialize(avals):
    # compiled code (jit) knows the shapes: skip the type tests where they are alike
    a, b = avals
    if a.shape and a.shape == b.shape and a.dtype == b.dtype and a.dtype.kind == "f":
        return _mul_safe_alike if math.prod(a.shape) <= _PRECHECK_MAX else _mul_safe_large
    return None


mul_safe_p.specialize = _mul_safe_specialize
mul_safe_p.out_param = True  # jit may write it into a dead factor's buffer, as a ufunc
# on other libraries, branch-free: the product, zero wherever a factor is zero
def _mul_safe_xp(xp, x, y):
    p = x * y
    return xp.where((x == 0) | (y == 0), xp.zeros_like(p), p)


mul_safe_p.xp_impl = _mul_safe_xp
negative_p = elementwise(
    "negative", np.negative, lambda o, x: NEG_ONE, linear="all", residuals="shapes",
    scalar="(-{0})",
)
divide_p = elementwise(
    "divide",
    np.true_divide,
    lambda o, x, y: divide(1.0, y),
    lambda o, x, y: negative(divide(o, y)),
    safe=True,
    scalar=operator.truediv,
)


def _pow_dx(o, x, y):
    # y * x ** (y - 1), written so that y == 0 gives 0 (d/dx x**0 == 0 everywhere)
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        if y == 0:
            return np.zeros_like(o) if not isinstance(o, Tracer) else multiply(o, 0.0)
        if y == 2:
            return multiply(x, 2)
        if y >= 1:
            return multiply(y, power(x, y - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return mul_safe(y, power(x, subtract(y, 1)))


def _pow_dy(o, x, y):
    # out * log(x), taking 0 where x == 0 (the limit for y > 0)
    zero = equal(x, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return mul_safe(o, log(where(zero, np.ones((), dtype_of(x)), x)))


power_p = elementwise(
    "power", np.power, _pow_dx, _pow_dy, safe=True, quiet=False, scalar=math.pow
)

# -- transcendental ---------------------------------------------------------
exp_p = elementwise("exp", np.exp, lambda o, x: o, residuals="out", scalar=math.exp)
exp2_p = elementwise("exp2", np.exp2, lambda o, x: multiply(o, np.log(2.0)), fresh=True,
                     xp=lambda xp, x: xp.pow(2.0, x))
expm1_p = elementwise(
    "expm1", np.expm1, lambda o, x: add(o, 1), residuals="out", fresh=True, scalar=math.expm1
)
log_p = elementwise(
    "log", np.log, lambda o, x: reciprocal(x), safe=True, fresh=True, scalar=math.log
)
log2_p = elementwise(
    "log2", np.log2, lambda o, x: reciprocal(multiply(x, np.log(2.0))), safe=True, fresh=True
)
log10_p = elementwise(
    "log10", np.log10, lambda o, x: reciprocal(multiply(x, np.log(10.0))), safe=True, fresh=True
)
log1p_p = elementwise(
    "log1p", np.log1p, lambda o, x: reciprocal(add(x, 1)), safe=True, fresh=True,
    scalar=math.log1p,
)
sqrt_p = elementwise(
    "sqrt", np.sqrt, lambda o, x: divide(0.5, o), safe=True, residuals="out", fresh=True,
    scalar=math.sqrt,
)
cbrt_p = elementwise(
    "cbrt", np.cbrt, lambda o, x: divide(1.0, multiply(3.0, square(o))), safe=True, fresh=True,
    xp=lambda xp, x: xp.sign(x) * xp.pow(xp.abs(x), 1.0 / 3.0),
)
square_p = elementwise(
    "square", np.square, lambda o, x: multiply(x, 2), fresh=True, scalar="({0} * {0})"
)
reciprocal_p = elementwise(
    "reciprocal", np.reciprocal, lambda o, x: negative(square(o)), safe=True, fresh=True,
    scalar="(1.0 / {0})", xp=lambda xp, x: xp.divide(xp.ones_like(x), x),
)
# bounded: the partial is finite wherever the value is a number (plain multiply)
sin_p = elementwise("sin", np.sin, lambda o, x: cos(x), fresh=True, bounded=True, scalar=math.sin)
_neg_sin = _one_buffer(lambda x: negative(sin(x)), np.sin, np.negative)
cos_p = elementwise(
    "cos", np.cos, lambda o, x: _neg_sin(x), fresh=True, bounded=True, scalar=math.cos
)
_one_plus_square = _one_buffer(lambda o: add(1, square(o)), np.square, np.add, 1)
tan_p = elementwise(
    "tan", np.tan, lambda o, x: _one_plus_square(o), residuals="out", fresh=True, scalar=math.tan
)
arcsin_p = elementwise(
    "arcsin",
    np.arcsin,
    lambda o, x: reciprocal(sqrt(subtract(1, square(x)))),
    safe=True,
    fresh=True,
)
arccos_p = elementwise(
    "arccos",
    np.arccos,
    lambda o, x: negative(reciprocal(sqrt(subtract(1, square(x))))),
    safe=True,
    fresh=True,
)
arctan_p = elementwise(
    "arctan", np.arctan, lambda o, x: reciprocal(add(1, square(x))), fresh=True, bounded=True,
    scalar=math.atan,
)
sinh_p = elementwise("sinh", np.sinh, lambda o, x: cosh(x), fresh=True, scalar=math.sinh)
cosh_p = elementwise("cosh", np.cosh, lambda o, x: sinh(x), fresh=True, scalar=math.cosh)
_one_minus_square = _one_buffer(lambda o: subtract(1, square(o)), np.square, np.subtract, 1)
tanh_p = elementwise(
    "tanh", np.tanh, lambda o, x: _one_minus_square(o), residuals="out", fresh=True, bounded=True,
    scalar=math.tanh,
)
arcsinh_p = elementwise(
    "arcsinh",
    np.arcsinh,
    lambda o, x: reciprocal(sqrt(add(square(x), 1))),
    fresh=True,
    bounded=True,
    scalar=math.asinh,
)
arccosh_p = elementwise(
    "arccosh",
    np.arccosh,
    # 1 / (sqrt(x - 1) sqrt(x + 1)): the same as 1 / sqrt(x^2 - 1) for real x > 1, and on
    # arccosh's branch for complex x (the one-root form has the wrong sign for Re x < 0)
    lambda o, x: reciprocal(multiply(sqrt(subtract(x, 1)), sqrt(add(x, 1)))),
    safe=True,
    fresh=True,
)
arctanh_p = elementwise(
    "arctanh", np.arctanh, lambda o, x: reciprocal(subtract(1, square(x))), safe=True, fresh=True
)
# exp(x - out) <= 1, but NaN where x and out are both infinite (inf - inf): not bounded
logaddexp_p = elementwise(
    "logaddexp",
    np.logaddexp,
    lambda o, x, y: exp(subtract(x, o)),
    lambda o, x, y: exp(subtract(y, o)),
)
logaddexp2_p = elementwise(
    "logaddexp2",
    np.logaddexp2,
    lambda o, x, y: exp2(subtract(x, o)),
    lambda o, x, y: exp2(subtract(y, o)),
    xp=lambda xp, x, y: xp.logaddexp(x * math.log(2.0), y * math.log(2.0)) / math.log(2.0),
)
arctan2_p = elementwise(
    "arctan2",
    np.arctan2,
    # x / (x^2 + y^2), written as x / h / h with h = hypot(x, y): no under/overflow
    lambda o, y, x: divide(divide(x, hypot(x, y)), hypot(x, y)),
    lambda o, y, x: negative(divide(divide(y, hypot(x, y)), hypot(x, y))),
    safe=True,
)
# |x| / hypot(x, y) <= 1, but NaN at an infinite x (inf / inf): not bounded
hypot_p = elementwise("hypot", np.hypot, lambda o, x, y: _div0(x, o), lambda o, x, y: _div0(y, o))


def _div0(a, b):
    """a / b, with 0 where b == 0 (the minimum-norm choice at a kink)."""
    zero = equal(b, 0)
    return where(zero, 0.0, divide(a, where(zero, 1.0, b)))


def _sinc_d(o, x):
    # (cos(pi x) - sinc(x)) / x; near 0 its Taylor series -pi^2 x/3 + pi^4 x^3/30,
    # so that higher derivatives at 0 are right too
    small = less(abs(x), 1e-4)
    safe_x = where(small, np.ones((), dtype_of(x)), x)
    series = multiply(x, add(-(np.pi**2) / 3, multiply(square(x), np.pi**4 / 30)))
    return where(small, series, divide(subtract(cos(multiply(np.pi, x)), o), safe_x))


# numpy.sinc computes in the dtype of `pi * x` (x made an array: no weak scalars)
def _sinc_xp(xp, x):
    y = x * math.pi
    zero = x == 0
    return xp.where(zero, xp.ones_like(y), xp.sin(y) / xp.where(zero, xp.ones_like(y), y))


sinc_p = elementwise("sinc", np.sinc, _sinc_d, dtype=lambda x: np.result_type(x.dtype, 1.0),
                     xp=_sinc_xp)


# -- piecewise: minimum-norm subgradients at the kinks ---------------------
def _tie_split(o, x, y, op):
    gt = op(x, y).astype(dtype_of(o))
    eq = equal(x, y).astype(gt.dtype)
    return add(gt, multiply(eq, 0.5))


abs_p = elementwise("abs", np.abs, lambda o, x: sign(x), bounded=True, scalar="abs({0})")


def _abs_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    out = abs(x)
    if dtype_of(x).kind != "c":
        return out, multiply(t, sign(x))
    # |z| is not holomorphic: d|z| = Re(conj(z) dz) / |z| (0 at z == 0)
    return out, _div0(real(mul_safe(t, conj(x))), out)


def _abs_vjp(g, out, primals, argnums):
    (x,) = primals
    if dtype_of(x).kind != "c":
        return [multiply(g, sign(x))]
    return [_div0(mul_safe(g, conj(x)), out)]


abs_p.jvp = _abs_jvp
abs_p.vjp = _abs_vjp
sign_p = nondifferentiable("sign", np.sign)
maximum_p = elementwise(
    "maximum",
    np.maximum,
    lambda o, x, y: _tie_split(o, x, y, greater),
    lambda o, x, y: _tie_split(o, y, x, greater),
    bounded=True,
)
minimum_p = elementwise(
    "minimum",
    np.minimum,
    lambda o, x, y: _tie_split(o, x, y, less),
    lambda o, x, y: _tie_split(o, y, x, less),
    bounded=True,
)
mod_p = elementwise(
    "mod", np.mod, lambda o, x, y: ONE, lambda o, x, y: negative(floor(divide(x, y)))
)
fmod_p = elementwise(
    "fmod", np.fmod, lambda o, x, y: ONE, lambda o, x, y: negative(trunc(divide(x, y))),
    xp=lambda xp, x, y: x - xp.trunc(x / y) * y,
)
copysign_p = elementwise(
    "copysign",
    np.copysign,
    lambda o, x, y: multiply(copysign(1.0, x), copysign(1.0, y)),
    None,
    bounded=True,
)
floor_p = nondifferentiable("floor", np.floor)
ceil_p = nondifferentiable("ceil", np.ceil)
trunc_p = nondifferentiable("trunc", np.trunc)
rint_p = nondifferentiable("rint", np.rint)
floor_divide_p = nondifferentiable("floor_divide", np.floor_divide)
heaviside_p = nondifferentiable(
    "heaviside", np.heaviside,
    xp=lambda xp, x, h0: xp.where(x < 0, xp.zeros_like(x), xp.where(x > 0, xp.ones_like(x), h0)),
)

# -- comparisons and logic (no derivative) ----------------------------------
equal_p = nondifferentiable("equal", np.equal)
not_equal_p = nondifferentiable("not_equal", np.not_equal)
less_p = nondifferentiable("less", np.less)
less_equal_p = nondifferentiable("less_equal", np.less_equal)
greater_p = nondifferentiable("greater", np.greater)
greater_equal_p = nondifferentiable("greater_equal", np.greater_equal)
logical_and_p = nondifferentiable("logical_and", np.logical_and)
logical_or_p = nondifferentiable("logical_or", np.logical_or)
logical_xor_p = nondifferentiable("logical_xor", np.logical_xor)
logical_not_p = nondifferentiable("logical_not", np.logical_not)
isfinite_p = nondifferentiable("isfinite", np.isfinite)
isnan_p = nondifferentiable("isnan", np.isnan)
isinf_p = nondifferentiable("isinf", np.isinf)
bitwise_and_p = nondifferentiable("bitwise_and", np.bitwise_and)
bitwise_or_p = nondifferentiable("bitwise_or", np.bitwise_or)
bitwise_xor_p = nondifferentiable("bitwise_xor", np.bitwise_xor)
invert_p = nondifferentiable("invert", np.invert)
left_shift_p = nondifferentiable("left_shift", np.left_shift)
right_shift_p = nondifferentiable("right_shift", np.right_shift)
gcd_p = nondifferentiable("gcd", np.gcd)
lcm_p = nondifferentiable("lcm", np.lcm)
bitwise_count_p = nondifferentiable("bitwise_count", np.bitwise_count)
spacing_p = nondifferentiable("spacing", np.spacing)  # piecewise constant: derivative 0
frexp_exponent_p = nondifferentiable(  # (its dtype: NumPy's, from an empty array)
    "frexp_exponent", lambda x: np.frexp(x)[1],
    dtype=lambda a: np.frexp(np.zeros(0, a.dtype))[1].dtype)
# nextafter(x, y) is x moved by one unit in the last place: derivative 1 in x, 0 in y
nextafter_p = elementwise("nextafter", np.nextafter, lambda o, x, y: ONE, None, bounded=True)
# ldexp(x, n) = x * 2**n exactly (also where 2**n alone would overflow): derivative 2**n in x
# (not `bounded`: 2**n overflows where x * 2**n need not, for a subnormal x)
ldexp_p = elementwise(
    "ldexp", np.ldexp, lambda o, x, n: ldexp(np.asarray(1.0, dtype_of(x)), n), None)


def _bessel_dtype(a):
    """numpy.i0's result type (and errors), from an empty array of `a`'s dtype."""
    return np.i0(np.zeros(0, a.dtype)).dtype


def _i1_impl(x):
    """The modified Bessel function I1 (NumPy has only I0), by its power series
    sum_k (x/2)^(2k+1) / (k! (k+1)!) of positive terms, summed until they no longer
    change the result (about |x| + 40 terms; relative error ~1e-14)."""
    x = np.asarray(x)
    dt = _bessel_dtype(x)
    a = np.abs(x.astype(np.float64))
    term = a / 2
    total = term.copy()
    q = (a / 2) ** 2
    k = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while np.any(term > 1e-17 * total) and k < 2000:
            term = term * q / ((k + 1) * (k + 2))
            total = total + term
            k += 1
    return (np.sign(x.astype(np.float64)) * total).astype(dt, copy=False)


def _i1_partial(o, x):  # I1'(x) = I0(x) - I1(x) / x, and 1/2 at x = 0
    zero = equal(x, 0.0)
    return where(zero, 0.5, subtract(i0(x), divide(o, where(zero, 1.0, x))))


i0_p = elementwise("bessel_i0", np.i0, lambda o, x: i1(x), dtype=_bessel_dtype)
i1_p = elementwise("bessel_i1", _i1_impl, _i1_partial, dtype=_bessel_dtype)


# -- where: select between two arrays ---------------------------------------
def _where_impl(c, x, y):
    return np.where(c, x, y)


def _where_jvp(primals, tangents):
    (c, x, y), (_, tx, ty) = primals, tangents
    out = where_p.bind(c, x, y)
    zero = np.zeros((), dtype_of(out))
    tout = where_p.bind(c, zero if tx is None else tx, zero if ty is None else ty)
    return out, broadcast_tangent(tout, shape_of(out))


def _where_vjp(g, out, primals, argnums):
    c, x, y = primals
    zero = np.zeros((), dtype_of(g))
    picks = {1: (g, zero, x), 2: (zero, g, y)}
    return [
        None
        if i == 0
        else unbroadcast(where_p.bind(c, picks[i][0], picks[i][1]), shape_of(picks[i][2]))
        for i in argnums
    ]


# select, not multiply by a 0/1 mask: an infinite (co)tangent in the branch that
# is not taken must not become 0 * inf = NaN
where_p = Primitive("where", _where_impl)
# numpy.where: the operands' common dtype (weakly for Python scalars), never the condition's
where_p.abstract_eval = elementwise_abstract_eval(
    lambda c, x, y: np.result_type(_promotion_operand(x), _promotion_operand(y))
)
where_p.jvp = _where_jvp
where_p.xp_impl = lambda xp, c, x, y: xp.where(c, x, y)
where_p.sparsity = "elementwise"
where_p.vjp = _where_vjp
where_p.batch = lambda args, dims: _elementwise_batch(where_p, args, dims)


# -- complex parts -----------------------------------------------------------
_INT64 = np.dtype(np.int64)


def _part_dtype(x):
    """The dtype of numpy.real and numpy.imag: a complex dtype's real one, other dtypes as
    they are (a Python bool's part is an int: `True.real` is 1)."""
    if x.dtype.kind == "c":
        return np.finfo(x.dtype).dtype
    return _INT64 if x.weak and x.dtype.kind == "b" else x.dtype


def _part_abstract_eval(x):
    # a Python scalar's part is a Python scalar (numpy.real returns `x.real`)
    return ShapedArray(x.shape, _part_dtype(x), weak=x.weak)


real_p = Primitive("real", np.real, linear="all")
real_p.abstract_eval = _part_abstract_eval
real_p.sparsity = "elementwise"
real_p.xp_impl = lambda xp, x: xp.real(x) if xp.isdtype(x.dtype, "complex floating") else x
real_p.aliases = "view"  # the real part of a complex array, or a real array itself
real_p.jvp = lambda primals, tangents: (real(primals[0]), real(tangents[0]))
# a cast, not g * (1 + 0j): an infinite g would get a NaN imaginary part (inf * 0)
real_p.vjp = lambda g, out, primals, argnums: [
    convert_element_type(g, np.result_type(dtype_of(g), np.complex64))
    if dtype_of(primals[0]).kind == "c"
    else g
]
real_p.batch = lambda args, dims: (real(args[0]), dims[0])

imag_p = Primitive("imag", np.imag, linear="all")
imag_p.abstract_eval = _part_abstract_eval
imag_p.sparsity = "elementwise"
imag_p.xp_impl = lambda xp, x: xp.imag(x) if xp.isdtype(x.dtype, "complex floating") else (
    x * 0)
# the imaginary part of a complex array is a view; a real array's a new read-only one
imag_p.aliases = lambda avals: "view" if avals[0].dtype.kind == "c" else "readonly"
imag_p.jvp = lambda primals, tangents: (imag(primals[0]), imag(tangents[0]))
imag_p.vjp = lambda g, out, primals, argnums: [  # the imaginary part of a real x is 0
    multiply(g, -1j).astype(dtype_of(primals[0])) if dtype_of(primals[0]).kind == "c" else None
]
imag_p.batch = lambda args, dims: (imag(args[0]), dims[0])

conj_p = Primitive("conjugate", np.conjugate, linear="all")
conj_p.abstract_eval = elementwise_abstract_eval(np.conjugate)
conj_p.sparsity = "elementwise"
conj_p.xp_impl = lambda xp, x: xp.conj(x) if xp.isdtype(x.dtype, "complex floating") else x
conj_p.jvp = lambda primals, tangents: (conj(primals[0]), conj(tangents[0]))
conj_p.vjp = lambda g, out, primals, argnums: [conj(g)]
conj_p.batch = lambda args, dims: (conj(args[0]), dims[0])


# -- the public functions ----------------------------------------------------
add = _fn(add_p)
subtract = _fn(subtract_p)
multiply = _fn(multiply_p)
mul_safe = _fn(mul_safe_p, "Multiply, with 0 * inf == 0 (used by derivative rules).")
negative = _fn(negative_p)
divide = _fn(divide_p)
_power = _fn(power_p)


def power(x1, x2):
    """Elementwise `numpy.power`, differentiable (`x ** 2` runs as `square`, like NumPy)."""
    if type(x2) is int and x2 == 2:
        return square(x1)
    return _power(x1, x2)


power.primitive = power_p
exp = _fn(exp_p)
exp2 = _fn(exp2_p)
expm1 = _fn(expm1_p)
log = _fn(log_p)
log2 = _fn(log2_p)
log10 = _fn(log10_p)
log1p = _fn(log1p_p)
sqrt = _fn(sqrt_p)
cbrt = _fn(cbrt_p)
square = _fn(square_p)
reciprocal = _fn(reciprocal_p)
sin = _fn(sin_p)
cos = _fn(cos_p)
tan = _fn(tan_p)
arcsin = _fn(arcsin_p)
arccos = _fn(arccos_p)
arctan = _fn(arctan_p)
sinh = _fn(sinh_p)
cosh = _fn(cosh_p)
tanh = _fn(tanh_p)
arcsinh = _fn(arcsinh_p)
arccosh = _fn(arccosh_p)
arctanh = _fn(arctanh_p)
logaddexp = _fn(logaddexp_p)
logaddexp2 = _fn(logaddexp2_p)
arctan2 = _fn(arctan2_p)
hypot = _fn(hypot_p)
abs = _fn(abs_p)  # noqa: A001
sign = _fn(sign_p)
sinc = _fn(sinc_p)
maximum = _fn(maximum_p)
minimum = _fn(minimum_p)
mod = _fn(mod_p)
fmod = _fn(fmod_p)
copysign = _fn(copysign_p)
floor = _fn(floor_p)
ceil = _fn(ceil_p)
trunc = _fn(trunc_p)
rint = _fn(rint_p)
floor_divide = _fn(floor_divide_p)
heaviside = _fn(heaviside_p)
equal = _fn(equal_p)
not_equal = _fn(not_equal_p)
less = _fn(less_p)
less_equal = _fn(less_equal_p)
greater = _fn(greater_p)
greater_equal = _fn(greater_equal_p)
logical_and = _fn(logical_and_p)
logical_or = _fn(logical_or_p)
logical_xor = _fn(logical_xor_p)
logical_not = _fn(logical_not_p)
isfinite = _fn(isfinite_p)
isnan = _fn(isnan_p)
isinf = _fn(isinf_p)
bitwise_and = _fn(bitwise_and_p)
bitwise_or = _fn(bitwise_or_p)
bitwise_xor = _fn(bitwise_xor_p)
invert = _fn(invert_p)
left_shift = _fn(left_shift_p)
right_shift = _fn(right_shift_p)
gcd = _fn(gcd_p)
lcm = _fn(lcm_p)
bitwise_count = _fn(bitwise_count_p)
spacing = _fn(spacing_p)
frexp_exponent = _fn(frexp_exponent_p)
nextafter = _fn(nextafter_p)
ldexp = _fn(ldexp_p)
i0 = _fn(i0_p)
i1 = _fn(i1_p)
real = _fn(real_p)
imag = _fn(imag_p)
conj = _fn(conj_p)


def where(condition, x=None, y=None):
    """`numpy.where(condition, x, y)`: differentiable in `x` and `y`.

    With only `condition`, returns `nonzero(condition)` (eager only).
    """
    if x is None and y is None:
        return np.nonzero(np.asarray(condition))
    if _state.stack:
        return where_p.bind(condition, x, y)
    return np.where(condition, x, y)


def stop_gradient_impl(x):
    return x


stop_gradient_p = Primitive("stop_gradient", stop_gradient_impl)
stop_gradient_p.nondiff = True
stop_gradient_p.xp_impl = lambda xp, x: x
stop_gradient_p.abstract_eval = lambda x: x
stop_gradient_p.aliases = "view"  # its input itself
stop_gradient_p.jvp = lambda primals, tangents: (stop_gradient_p.bind(primals[0]), None)
stop_gradient_p.vjp = lambda g, out, primals, argnums: [None]
stop_gradient_p.batch = lambda args, dims: (stop_gradient_p.bind(args[0]), dims[0])


# -- dtype conversion ----------------------------------------------------------
def _convert_impl(x, dtype):
    if isinstance(x, (np.ndarray, np.generic)):
        return x.astype(dtype)
    return np.asarray(x, dtype)[()]


def _is_inexact(dtype):
    return np.dtype(dtype).kind in "fc"


def _convert_jvp(primals, tangents, dtype):
    (x,), (t,) = primals, tangents
    out = convert_element_type(x, dtype)
    if not (_is_inexact(dtype) and _is_inexact(dtype_of(x))):
        return out, None
    return out, convert_element_type(t, dtype)


def _convert_vjp(g, out, primals, argnums, dtype):
    src = dtype_of(primals[0])
    if not (_is_inexact(dtype) and _is_inexact(src)):
        return [None]
    return [convert_element_type(g, src)]


convert_element_type_p = Primitive("convert_element_type", _convert_impl, linear="all")
convert_element_type_p.abstract_eval = lambda x, dtype: ShapedArray(x.shape, dtype)
convert_element_type_p.sparsity = "elementwise"
convert_element_type_p.identity = 0  # a cast to the input's own dtype
convert_element_type_p.xp_impl = lambda xp, x, dtype: xp.astype(x, xp_dtype(xp, dtype, x))
convert_element_type_p.jvp = _convert_jvp
convert_element_type_p.vjp = _convert_vjp
convert_element_type_p.batch = lambda args, dims, dtype: (
    convert_element_type(args[0], dtype),
    dims[0],
)


def convert_element_type(x, dtype):
    """Cast to `dtype` (like `x.astype(dtype)`); complex to real keeps the real part."""
    dtype = np.dtype(dtype)
    if dtype_of(x) == dtype and not isinstance(x, (int, float, complex)):
        return x
    if dtype.kind != "c" and dtype_of(x).kind == "c":
        x = real(x)
    if _state.stack:
        return convert_element_type_p.bind(x, dtype=dtype)
    return _convert_impl(x, dtype)
