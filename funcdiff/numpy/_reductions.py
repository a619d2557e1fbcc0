"""Reductions of funcdiff.numpy (sum, mean, ...), composed from primitives."""

from __future__ import annotations

import numpy as np

from funcdiff.core import _state
from funcdiff.primitives.elementwise import divide, shape_of
from funcdiff.primitives.reductions import reduce_sum
from funcdiff.primitives.shape import reshape

__all__ = ["sum", "mean"]


def normalize_axes(axis, ndim, name="axis"):
    """`axis` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in '{name}': {axis}")
    return tuple(sorted(out))


def _keep(x, axes, shape):
    return reshape(x, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def sum(a, axis=None, dtype=None, keepdims=False):  # noqa: A001
    """`numpy.sum`: differentiable; `axis` int/tuple/None, `keepdims`."""
    if not _state.stack:
        return np.sum(a, axis=axis, dtype=dtype, keepdims=keepdims)
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    if dtype is not None:
        a = a.astype(dtype)
    out = reduce_sum(a, axes)
    return _keep(out, axes, shape) if keepdims else out


def mean(a, axis=None, dtype=None, keepdims=False):
    """`numpy.mean`: differentiable."""
    if not _state.stack:
        return np.mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    shape = shape_of(a)
    axes = normalize_axes(axis, len(shape))
    n = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    s = sum(a, axis=axes, dtype=dtype, keepdims=keepdims)
    if np.result_type(s.dtype).kind in "biu":
        s = s.astype(np.float64)
    return divide(s, n)
