"""Reduction primitives: sum, max/min, prod, cumulative sums."""

from __future__ import annotations

import numpy as np

from funcdiff.core import Primitive, _state
from funcdiff.primitives.elementwise import shape_of
from funcdiff.primitives.shape import broadcast_to, linear_primitive, reshape


def _keepdims_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _sum_transpose(g, primals, argnums, axes):
    shape = shape_of(primals[0])
    return [broadcast_to(reshape(g, _keepdims_shape(shape, axes)), shape)]


reduce_sum_p = linear_primitive(
    "reduce_sum", lambda x, axes: np.sum(x, axis=axes), _sum_transpose
)


def reduce_sum(x, axes):
    """Sum over the tuple of non-negative `axes` (no keepdims)."""
    if _state.stack:
        return reduce_sum_p.bind(x, axes=tuple(axes))
    return np.sum(x, axis=tuple(axes))
