"""NumPy's scalar types as `funcdiff.numpy` names: `fnp.float32`, `fnp.int64`, ...

Each is NumPy's type everywhere a type is read (`dtype=fnp.float32`, `np.dtype(...)`,
`x.astype(...)`, `isinstance(x, fnp.float32)`, `fnp.float32 == np.float32`, as a dict
key) and, as in JAX (`jnp.float32(x)`), also a function that converts traced values:
`fnp.float32(x)` is `fnp.astype(x, float32)` on a tracer (differentiable; integer
types give a zero derivative), NumPy's own `numpy.float32(x)` otherwise. (NumPy's type
itself cannot take a traced value: it converts it with `numpy.asarray` first.)

`issubclass(fnp.float32, ...)` does not work (it is not a class): use
`numpy.issubdtype(fnp.float32, numpy.floating)`, which does.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.core import has_tracer
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.elementwise import astype

__all__ = [
    "float16", "float32", "float64", "complex64", "complex128", "int8", "int16", "int32",
    "int64", "uint8", "uint16", "uint32", "uint64", "bool_", "bool", "longdouble",
    "clongdouble", "int_", "uint", "intp", "uintp", "half", "single", "double", "csingle",
    "cdouble",
]


class ScalarType:
    """A NumPy scalar type that also converts traced values (see the module docstring)."""

    def __init__(self, np_type):
        self.type = np_type
        self.dtype = np.dtype(np_type)
        self.__name__ = self.__qualname__ = np_type.__name__
        self.__doc__ = (f"`numpy.{np_type.__name__}`: NumPy's type (as a dtype), and "
                        f"`fnp.{np_type.__name__}(x)` converts `x`, traced values "
                        "included (JAX's `jnp.float32(x)`).")

    def __call__(self, x=0, /):
        if has_tracer(x):
            return astype(asarray(x), self.dtype)
        return self.type(x)

    def __instancecheck__(self, obj):
        return isinstance(obj, self.type)

    def __eq__(self, other):
        return other is self or other == self.type

    def __hash__(self):
        return hash(self.type)

    def __repr__(self):
        return f"<funcdiff.numpy scalar type {self.type.__name__}>"

    def __reduce__(self):  # (pickles as the type it wraps)
        return (ScalarType, (self.type,))


(float16, float32, float64, complex64, complex128, int8, int16, int32, int64, uint8, uint16,
 uint32, uint64, bool_, longdouble, clongdouble, int_, uint, intp, uintp, half, single,
 double, csingle, cdouble) = (ScalarType(t) for t in (
    np.float16, np.float32, np.float64, np.complex64, np.complex128, np.int8, np.int16,
    np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_, np.longdouble,
    np.clongdouble, np.int_, np.uint, np.intp, np.uintp, np.half, np.single, np.double,
    np.csingle, np.cdouble))
globals()["bool"] = bool_  # NumPy 2's name (set last: this module's code reads no `bool`)
