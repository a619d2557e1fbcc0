"""Array creation and inspection: array, asarray, zeros, ones, ..., shape, ndim."""

from __future__ import annotations

import numpy as np

from funcdiff._src.core import Tracer, copy_tracer, dtype_of, has_tracer, new_buffer, shape_of
from funcdiff._src.lax.elementwise import convert_element_type
from funcdiff._src.lax.shape import broadcast_to, concatenate, reshape

__all__ = [
    "array", "asarray", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "eye", "identity", "arange", "shape", "ndim", "size",
    "result_type", "ndarray", "pi", "e", "inf",
    "nan", "newaxis", "dtype", "finfo", "iinfo", "issubdtype", "floating", "complexfloating",
    "integer", "inexact", "number", "isscalar", "iscomplexobj", "isrealobj", "promote_types",
]

ndarray = np.ndarray
pi, e, inf, nan, newaxis = np.pi, np.e, np.inf, np.nan, np.newaxis
dtype, finfo, iinfo, issubdtype = np.dtype, np.finfo, np.iinfo, np.issubdtype
floating, complexfloating, integer = np.floating, np.complexfloating, np.integer
inexact, number, promote_types = np.inexact, np.number, np.promote_types


# -- new arrays: inside a transform they are traced constants (`core.new_buffer`), so
# that NumPy-style code can fill them in place (`y = fnp.zeros(n); y[0] = x`); outside,
# NumPy's arrays. `like=` is NumPy's (`numpy.zeros(3, like=x)` of a traced `x` lands here).


def zeros(shape, dtype=float, order="C", *, device=None, like=None):
    """`numpy.zeros`; inside a transform a buffer that traced values can be written into
    (see the in-place guide).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> def running_sum(x):
        ...     y = fnp.zeros(3)
        ...     y[0] = x[0]
        ...     y[1:] = y[0] + x[1:]
        ...     return fnp.sum(y)
        >>> fd.grad(running_sum)(fnp.ones(3)).tolist()
        [3.0, 1.0, 1.0]

        ```
    """
    return new_buffer(np.zeros(shape, dtype, order))


def ones(shape, dtype=None, order="C", *, device=None, like=None):
    """`numpy.ones`; inside a transform a buffer that traced values can be written into."""
    return new_buffer(np.ones(shape, dtype, order))


def empty(shape, dtype=float, order="C", *, device=None, like=None):
    """`numpy.empty` (zeros: what it holds is never read); inside a transform a buffer that
    traced values can be written into."""
    return new_buffer(np.zeros(shape, dtype, order))


def eye(N, M=None, k=0, dtype=float, order="C", *, device=None, like=None):  # noqa: N803 (NumPy's)
    """`numpy.eye`; inside a transform a buffer that traced values can be written into."""
    return new_buffer(np.eye(N, M, k, dtype, order))


def identity(n, dtype=None, *, like=None):
    """`numpy.identity`; inside a transform a buffer that traced values can be written
    into."""
    return new_buffer(np.identity(n, dtype))


def array(object, dtype=None, copy=True, ndmin=0, *, like=None):  # noqa: A002
    """`numpy.array`; nested lists/tuples containing traced values are stacked. Inside a
    transform a new array of plain values is a buffer that traced values can be written
    into (`y = fnp.array([0.0, 1.0]); y[0] = x`)."""
    out = _array(object, dtype, copy, ndmin)
    if isinstance(out, Tracer):  # (a new box, as NumPy copies: writes stay apart)
        return copy_tracer(out) if copy and out is object else out
    if out is object or not isinstance(out, np.ndarray):
        return out
    return new_buffer(out)


def _array(object, dtype=None, copy=True, ndmin=0):  # noqa: A002
    if has_tracer(object):
        out = object if isinstance(object, Tracer) else _stack(object)
        if dtype is not None:
            out = convert_element_type(out, dtype)
        shape = shape_of(out)
        if len(shape) < ndmin:
            out = reshape(out, (1,) * (ndmin - len(shape)) + shape)
        return out
    return np.array(object, dtype=dtype, copy=copy, ndmin=ndmin)


def _stack(items):
    """A list or tuple holding tracers as one array, in NumPy's result dtype."""
    shape_of(items)  # NumPy's check: every item has the same shape
    items = [_array(o) for o in items]
    dt = np.result_type(*[dtype_of(o) for o in items])
    return concatenate(
        [reshape(convert_element_type(o, dt), (1,) + shape_of(o)) for o in items], 0
    )


def asarray(a, dtype=None, order=None, *, device=None, copy=None, like=None):
    """`numpy.asarray`; a traced value is returned as it is (cast if `dtype` is given),
    and lists or tuples holding traced values are stacked (so they stay differentiable).
    `copy` is NumPy's (a traced value is immutable: copying it changes nothing).

    funcdiff's own functions take their array-like arguments through this one function.
    """
    if dtype is None and (type(a) is np.ndarray or isinstance(a, Tracer)):
        return np.array(a) if copy and type(a) is np.ndarray else a
    if has_tracer(a):
        return array(a, dtype=dtype)
    out = np.asarray(a, dtype=dtype, copy=copy)
    # (with `like=` a traced value, as NumPy's given it: a new array is a buffer)
    return out if like is None or out is a else new_buffer(out)


def zeros_like(a, dtype=None, shape=None, *, device=None):
    """`numpy.zeros_like` (a constant: no derivative flows through it; inside a transform
    a buffer that traced values can be written into)."""
    return new_buffer(np.zeros(shape_of(a) if shape is None else shape, dtype or dtype_of(a)))


def ones_like(a, dtype=None, shape=None, *, device=None):
    """`numpy.ones_like` (a constant; inside a transform a buffer, as `zeros_like`)."""
    return new_buffer(np.ones(shape_of(a) if shape is None else shape, dtype or dtype_of(a)))


def empty_like(a, dtype=None, shape=None, *, device=None):
    """`numpy.empty_like` (returns zeros, a constant; inside a transform a buffer)."""
    return zeros_like(a, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None, *, device=None):
    """`numpy.full_like`; differentiable in `fill_value`."""
    shp = shape_of(a) if shape is None else shape
    dt = dtype or dtype_of(a)
    if isinstance(fill_value, Tracer):  # (a new array, not a view of `fill_value`)
        return copy_tracer(broadcast_to(convert_element_type(fill_value, dt), shp))
    return new_buffer(np.full(shp, fill_value, dt))


def arange(*args, device=None, like=None, **kwargs):
    """`numpy.arange` (a constant; with `like=` a traced value, as NumPy's given it, a
    buffer that traced values can be written into)."""
    out = np.arange(*[int(a) if isinstance(a, Tracer) else a for a in args], **kwargs)
    return out if like is None else new_buffer(out)


def shape(a):
    """`numpy.shape`, also for traced values."""
    return shape_of(a)


def ndim(a):
    """`numpy.ndim`, also for traced values."""
    return len(shape_of(a))


def size(a, axis=None):
    """`numpy.size`, also for traced values."""
    s = shape_of(a)
    return int(np.prod(s, dtype=np.int64)) if axis is None else s[axis]


def result_type(*arrays_and_dtypes):
    """`numpy.result_type`, also for traced values."""
    return np.result_type(*[dtype_of(a) if isinstance(a, Tracer) else a for a in arrays_and_dtypes])


def isscalar(x):
    """`numpy.isscalar`; traced values are never scalars (like 0-d arrays)."""
    return False if isinstance(x, Tracer) else np.isscalar(x)


def iscomplexobj(x):
    """`numpy.iscomplexobj`, also for traced values."""
    return np.dtype(dtype_of(x)).kind == "c"


def isrealobj(x):
    """`numpy.isrealobj`, also for traced values."""
    return not iscomplexobj(x)


def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    """`numpy.full`; differentiable in `fill_value` (a scalar or broadcastable array);
    inside a transform a buffer that traced values can be written into."""
    if not has_tracer(fill_value):
        return new_buffer(np.full(shape, fill_value, dtype=dtype, order=order))

    value = array(fill_value)
    if dtype is not None:
        value = convert_element_type(value, dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return copy_tracer(broadcast_to(value, shape))  # (a new array, not a view of `value`)
