"""Elementwise functions of funcdiff.numpy: the primitives plus NumPy's aliases."""

from __future__ import annotations

import numpy as np

from funcdiff._src.core import Tracer, _state, copy_tracer, dtype_of
from funcdiff._src.lax import elementwise as ew
from funcdiff._src.lax.elementwise import (  # noqa: F401  (re-exported)
    abs,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    bitwise_and,
    bitwise_count,
    bitwise_or,
    bitwise_xor,
    cbrt,
    ceil,
    conj,
    copysign,
    cos,
    cosh,
    divide,
    equal,
    exp,
    exp2,
    expm1,
    floor,
    floor_divide,
    fmod,
    gcd,
    greater,
    greater_equal,
    heaviside,
    hypot,
    imag,
    invert,
    isfinite,
    isinf,
    isnan,
    lcm,
    left_shift,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    power,
    real,
    reciprocal,
    right_shift,
    rint,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    trunc,
    where,
)
from funcdiff._src.numpy.util import numpy_outside_transforms, returns_new

__all__ = [
    "abs", "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
    "arctanh", "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "bitwise_and",
    "bitwise_or", "bitwise_xor", "cbrt", "ceil", "conj", "conjugate", "copysign", "cos", "cosh",
    "divide", "true_divide", "equal", "exp", "exp2", "expm1", "fabs", "floor", "floor_divide",
    "fmod", "greater", "greater_equal", "heaviside", "hypot", "imag", "invert", "isfinite",
    "isinf", "isnan", "less", "less_equal", "log", "log1p", "log2", "log10", "logaddexp",
    "logaddexp2", "logical_and", "logical_not", "logical_or", "logical_xor", "maximum",
    "minimum", "mod", "remainder", "multiply", "negative", "positive", "not_equal", "power",
    "pow", "real", "reciprocal", "rint", "round", "around", "sign", "sin", "sinh", "sqrt",
    "square", "subtract", "tan", "tanh", "trunc", "fix", "astype", "stop_gradient",
    "clip", "fmax", "fmin", "deg2rad", "rad2deg", "degrees", "radians", "sinc",
    "float_power", "left_shift", "right_shift", "bitwise_left_shift", "bitwise_right_shift",
    "bitwise_invert", "bitwise_not", "bitwise_count", "gcd", "lcm",
]

bitwise_left_shift, bitwise_right_shift = left_shift, right_shift  # NumPy 2's names
bitwise_invert = bitwise_not = invert

absolute = abs
conjugate = conj
true_divide = divide
remainder = mod
pow = power  # noqa: A001
acos, acosh, asin, asinh = arccos, arccosh, arcsin, arcsinh
atan, atan2, atanh = arctan, arctan2, arctanh


def sign(x):
    """`numpy.sign`: -1, 0 or 1 for real `x` (derivative zero); `x / |x|` (0 at 0) for complex
    `x`, as NumPy 2 defines it, which is differentiable away from 0."""
    if isinstance(x, Tracer) and dtype_of(x).kind == "c":
        r = abs(x)
        zero = equal(r, 0)
        return where(zero, 0, divide(x, where(zero, 1, r)))
    return ew.sign(x)


def fabs(x):
    """`numpy.fabs`: absolute value of real input."""
    return abs(x)


@returns_new
@numpy_outside_transforms(np.positive)
def positive(x):
    """`numpy.positive`: returns `x`."""
    return x


def round(a, decimals=0):  # noqa: A001
    """`numpy.round`; zero derivative (piecewise constant)."""
    if decimals == 0:
        return rint(a)
    scale = 10.0 ** decimals
    return divide(rint(multiply(a, scale)), scale)


around = round


def fix(x):
    """`numpy.fix`: round toward zero; zero derivative."""
    return trunc(x)


def astype(x, dtype, copy=True):
    """`x.astype(dtype)`, differentiable between float/complex dtypes; a new array (box)
    unless `copy=False` and the dtype is `x`'s already, as in NumPy."""
    out = ew.convert_element_type(x, dtype)
    return copy_tracer(out) if copy and out is x else out


def stop_gradient(x):
    """Identity with zero derivative (on a single array; `funcdiff.stop_gradient` maps pytrees)."""
    if _state.stack:
        return ew.stop_gradient_p.bind(x)
    return x


_NOVALUE = object()


def clip(a, a_min=_NOVALUE, a_max=_NOVALUE, out=None, *, min=None, max=None):  # noqa: A002
    """`numpy.clip`; the derivative is 1 inside, 0 outside, 1/2 at a bound (ties split)."""
    lo = min if a_min is _NOVALUE else a_min
    hi = max if a_max is _NOVALUE else a_max
    if not _state.stack:
        return np.clip(a, lo, hi, out=out)
    if lo is None and hi is None:
        raise ValueError("One of max or min must be given")
    if lo is not None:
        a = maximum(a, lo)
    if hi is not None:
        a = minimum(a, hi)
    return a


@numpy_outside_transforms(np.fmax)
def fmax(x1, x2):
    """`numpy.fmax`: maximum ignoring NaNs (ties split the derivative)."""
    return where(isnan(x2), x1, where(isnan(x1), x2, maximum(x1, x2)))


@numpy_outside_transforms(np.fmin)
def fmin(x1, x2):
    """`numpy.fmin`: minimum ignoring NaNs (ties split the derivative)."""
    return where(isnan(x2), x1, where(isnan(x1), x2, minimum(x1, x2)))


@numpy_outside_transforms(np.deg2rad)
def deg2rad(x):
    """`numpy.deg2rad`."""
    return multiply(x, np.pi / 180)


@numpy_outside_transforms(np.rad2deg)
def rad2deg(x):
    """`numpy.rad2deg`."""
    return multiply(x, 180 / np.pi)


radians, degrees = deg2rad, rad2deg


def sinc(x):
    """`numpy.sinc`: sin(pi x) / (pi x), 1 at 0, with correct derivatives at 0."""
    return ew.sinc(x)


@numpy_outside_transforms(np.float_power)
def float_power(x1, x2):
    """`numpy.float_power`: power computed in float64 (or complex128)."""
    dt = np.result_type(dtype_of(x1), dtype_of(x2), np.float64)
    return power(astype(x1, dt), astype(x2, dt) if not isinstance(x2, (int, float)) else x2)
