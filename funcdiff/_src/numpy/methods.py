"""The NumPy side of `Tracer`, set in this one place: operators, indexing, array
methods, NumPy's protocols, and the conversion of array-like lists.

`funcdiff._src.core` is below `funcdiff.numpy` (which is built on it), so it
cannot name these functions; `install` sets them on `Tracer` once, when
`funcdiff` is imported. Each forwards to the `funcdiff.numpy` function of the
same name, so `x.sum(axis=0)` is `fnp.sum(x, axis=0)` and `x + y` is
`fnp.add(x, y)`.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.core import Tracer, check_alive, normalized_args
from funcdiff._src.numpy import dispatch, inplace
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.indexing import _getitem, at

# funcdiff.numpy's functions by name
_FNP = {name: getattr(m, name) for m in dispatch.NUMPY_FAMILIES for name in m.__all__}

_OPERATORS = {  # __op__ and __rop__
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "floordiv": "floor_divide", "mod": "mod", "pow": "power", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
}
_SYMBOLS = {"add": "+=", "sub": "-=", "mul": "*=", "truediv": "/=", "floordiv": "//=",
            "mod": "%=", "pow": "**=", "matmul": "@=", "and": "&=", "or": "|=", "xor": "^="}
_COMPARISONS = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
                "eq": "equal", "ne": "not_equal"}
_METHODS = ("sum", "mean", "max", "min", "prod", "var", "std", "dot", "ravel", "squeeze",
            "clip", "conj", "conjugate", "cumsum", "cumprod", "argmax", "argmin", "any", "all",
            "round", "swapaxes", "flatten", "trace", "diagonal", "repeat", "take", "argsort",
            "nonzero", "ptp", "astype", "copy")

# NumPy's in-place array methods, and the functional spelling of each
_IN_PLACE = {
    "resize": "x = fnp.reshape(x, shape) (or fnp.pad / fnp.concatenate to change the size)",
    "setfield": "a new array built with funcdiff.numpy functions",
    "setflags": "nothing: traced values are read-only by nature",
}


def _forward(name):
    fn = _FNP[name]

    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Same as `funcdiff.numpy.{name}(self, ...)`."
    return method


# the operand types a binary operator handles itself (grown as types are seen: whether a
# type defers depends on the type alone)
_HANDLED = {float, int, complex, bool, np.ndarray, np.float64, np.float32, np.int64,
            np.int32, np.complex128, np.bool_, list, tuple}
_MISSING = object()


def _defers(other):
    """Whether `tracer <op> other` is left to `other` (Python then calls its reflected
    operator), as NumPy's arrays do: for array containers with an `__array_ufunc__` of
    their own (xarray's DataArray, pandas' Series), which put the traced result back in
    their container, or that opt out with `__array_ufunc__ = None`."""
    if isinstance(other, (Tracer, np.ndarray, np.generic)):
        _HANDLED.add(type(other))
        return False
    if getattr(type(other), "__array_ufunc__", _MISSING) is not _MISSING:
        return True
    _HANDLED.add(type(other))
    return False


def _binary(name, reflected=False):
    fn = _FNP[name]
    if reflected:
        def method(self, other):
            if type(other) not in _HANDLED and _defers(other):
                return NotImplemented
            return fn(other, self)
    else:
        def method(self, other):
            if type(other) not in _HANDLED and _defers(other):
                return NotImplemented
            return fn(self, other)
    method.__name__ = name
    return method


def _shape_method(name):
    fn = _FNP[name]

    def method(self, *shape, **kwargs):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if name == "reshape":
            return fn(self, shape, **kwargs)
        return fn(self, shape or None)

    method.__name__ = name
    return method


def _in_place(name, spelling):
    def method(self, *args, **kwargs):
        raise TypeError(
            f"x.{name}(...) changes the array in place, which a funcdiff traced value cannot "
            f"do (inside a transform values are immutable, so code that relies on the "
            f"change would compute something else): write `{spelling}` and use the result."
        )

    method.__name__ = name
    return method


def _array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """numpy.sin(tracer), numpy.add.reduce(tracer): funcdiff's function for NumPy's."""
    if check_alive(inputs):
        inputs = tuple(normalized_args(inputs))
    return dispatch.dispatch_ufunc(ufunc, method, inputs, kwargs)


def _array_function(self, func, types, args, kwargs):
    """numpy.sum(tracer), numpy.linalg.solve(a, tracer): funcdiff's function for NumPy's."""
    if check_alive(args):
        args = tuple(normalized_args(args))
    return dispatch.dispatch_function(func, args, kwargs)


def install():
    """Set the NumPy side of `Tracer` (see the module docstring)."""
    fnp = _FNP
    for op, name in _OPERATORS.items():
        setattr(Tracer, f"__{op}__", _binary(name))
        setattr(Tracer, f"__r{op}__", _binary(name, reflected=True))
    for op, name in _COMPARISONS.items():
        setattr(Tracer, f"__{op}__", _binary(name))
    Tracer.__neg__ = lambda self: fnp["negative"](self)
    Tracer.__pos__ = lambda self: self
    Tracer.__abs__ = lambda self: fnp["abs"](self)
    Tracer.__invert__ = lambda self: fnp["invert"](self)
    Tracer.__divmod__ = lambda self, o: (fnp["floor_divide"](self, o), fnp["mod"](self, o))
    Tracer.__round__ = lambda self, ndigits=None: fnp["round"](self, ndigits or 0)
    Tracer.__getitem__ = _getitem
    Tracer.__setitem__ = inplace.setitem
    for op in _OPERATORS:  # x += y, ...: written into x's box (funcdiff._src.numpy.inplace)
        setattr(Tracer, f"__i{op}__", inplace.inplace_operator(getattr(Tracer, f"__{op}__"),
                                                               _SYMBOLS[op]))
    for name in _METHODS:
        setattr(Tracer, name, _forward(name))
    Tracer.copy = lambda self, order="K": inplace.copy_tracer(self)
    for name, spelling in _IN_PLACE.items():
        setattr(Tracer, name, _in_place(name, spelling))
    # written like `x[...] = ...` (funcdiff._src.numpy.inplace)
    Tracer.sort = lambda self, axis=-1, kind=None, order=None: inplace.write(
        self, fnp["sort"](self, axis=axis), "x.sort()")
    Tracer.fill = lambda self, value: inplace.write(
        self, fnp["full_like"](self, value), "x.fill()")
    Tracer.partition = lambda self, kth, axis=-1, kind="introselect", order=None: (
        inplace.write(self, fnp["partition"](self, kth, axis=axis), "x.partition()"))
    Tracer.put = lambda self, indices, values, mode="raise": fnp["put"](
        self, indices, values, mode)
    Tracer.reshape = _shape_method("reshape")
    Tracer.transpose = _shape_method("transpose")
    Tracer.T = property(lambda self: fnp["transpose"](self))
    Tracer.mT = property(lambda self: fnp["swapaxes"](self, -1, -2))
    Tracer.real = property(lambda self: fnp["real"](self))
    Tracer.imag = property(lambda self: fnp["imag"](self))
    Tracer.at = property(at)
    Tracer.__array_ufunc__ = _array_ufunc
    Tracer.__array_function__ = _array_function
    Tracer._asarray = staticmethod(asarray)


install()
