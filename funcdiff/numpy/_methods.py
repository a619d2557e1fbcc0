"""The array methods and operators of `Tracer`, attached in this one place.

`funcdiff.core` cannot import `funcdiff.numpy` (which is built on it), so the
NumPy-style methods are added to `Tracer` here, each forwarding to the
`funcdiff.numpy` function of the same name.
"""

from __future__ import annotations

from funcdiff.core import Tracer


def _forward(name):
    import funcdiff.numpy as fnp

    def method(self, *args, **kwargs):
        return getattr(fnp, name)(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Same as `funcdiff.numpy.{name}(self, ...)`."
    return method


def _binary(name, reflected=False):
    import funcdiff.numpy as fnp

    fn = getattr(fnp, name, None)
    if fn is None:  # defined by a later module: look it up at call time
        def fn(a, b):
            return getattr(fnp, name)(a, b)
    if reflected:
        def method(self, other):
            return fn(other, self)
    else:
        def method(self, other):
            return fn(self, other)
    method.__name__ = name
    return method


def _shape_method(name):
    import funcdiff.numpy as fnp

    def method(self, *shape, **kwargs):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if name == "reshape":
            return fnp.reshape(self, shape, **kwargs)
        return fnp.transpose(self, shape or None)

    method.__name__ = name
    return method


# NumPy's in-place array methods, and the functional spelling of each
_IN_PLACE = {
    "sort": "x = fnp.sort(x, axis=...)",
    "partition": "x = fnp.partition(x, kth)",
    "fill": "x = fnp.full_like(x, value)",
    "put": "x = x.ravel().at[indices].set(values).reshape(x.shape)",
    "itemset": "x = x.at[index].set(value)",
    "resize": "x = fnp.reshape(x, shape) (or fnp.pad / fnp.concatenate to change the size)",
    "setfield": "a new array built with funcdiff.numpy functions",
    "setflags": "nothing: traced values are read-only by nature",
}


def _in_place(name, spelling):
    def method(self, *args, **kwargs):
        raise TypeError(
            f"x.{name}(...) changes the array in place, which a funcdiff traced value cannot "
            f"do (inside a transform values are immutable, so code that relies on the "
            f"change would compute something else): write `{spelling}` and use the result."
        )

    method.__name__ = name
    return method


def attach():
    import funcdiff.numpy as fnp
    from funcdiff import core
    from funcdiff.numpy import _dispatch
    from funcdiff.numpy._indexing import _getitem

    core._fnp = _dispatch

    ops = {
        "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
        "floordiv": "floor_divide", "mod": "mod", "pow": "power", "matmul": "matmul",
        "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    }
    for op, name in ops.items():
        setattr(Tracer, f"__{op}__", _binary(name))
        setattr(Tracer, f"__r{op}__", _binary(name, reflected=True))
    for op, name in {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
                     "eq": "equal", "ne": "not_equal"}.items():
        setattr(Tracer, f"__{op}__", _binary(name))
    Tracer.__neg__ = lambda self: fnp.negative(self)
    Tracer.__pos__ = lambda self: self
    Tracer.__abs__ = lambda self: fnp.abs(self)
    Tracer.__invert__ = lambda self: fnp.invert(self)
    Tracer.__divmod__ = lambda self, o: (fnp.floor_divide(self, o), fnp.mod(self, o))
    Tracer.__getitem__ = lambda self, idx: _getitem(self, idx)
    for name in ("sum", "mean", "max", "min", "prod", "var", "std", "dot", "ravel",
                 "squeeze", "clip", "conj", "conjugate", "cumsum", "cumprod", "argmax",
                 "argmin", "any", "all", "round", "swapaxes", "flatten", "trace", "diagonal",
                 "repeat", "take", "argsort", "nonzero", "ptp", "astype", "copy"):
        setattr(Tracer, name, _forward(name))
    for name, spelling in _IN_PLACE.items():
        setattr(Tracer, name, _in_place(name, spelling))
    Tracer.reshape = _shape_method("reshape")
    Tracer.transpose = _shape_method("transpose")
    Tracer.T = property(lambda self: fnp.transpose(self))
    Tracer.mT = property(lambda self: fnp.swapaxes(self, -1, -2))
    Tracer.real = property(lambda self: fnp.real(self))
    Tracer.imag = property(lambda self: fnp.imag(self))
    Tracer.at = property(lambda self: fnp.at(self))
