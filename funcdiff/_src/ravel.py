"""`ravel_pytree`: a pytree of arrays as one flat vector, and back (differentiable)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from funcdiff import numpy as fnp
from funcdiff._src.tree import PyTreeDef, tree_flatten

__all__ = ["ravel_pytree"]


def ravel_pytree(tree: Any):
    """Flatten a pytree of arrays into one 1-D array, with an inverse.

    Leaves are raveled and concatenated in flattening order, cast to their common
    promoted dtype (`numpy.result_type`). Written with `funcdiff.numpy`, so it is
    differentiable when the leaves are tracers.

    Args:
        tree: a pytree whose leaves are arrays or scalars.

    Returns:
        `(flat, unravel)`: the 1-D vector and a function mapping a vector of the
        same length back to a tree of the original structure, each leaf cast back
        to its original dtype and shape (leaves come back as arrays). An empty
        tree ravels to `numpy.zeros(0)`.

    Examples:
        ```python
        >>> import numpy as np
        >>> flat, unravel = ravel_pytree({"w": np.ones((2, 2), np.float32), "b": np.zeros(3)})
        >>> flat.shape, flat.dtype
        ((7,), dtype('float64'))
        >>> unravel(flat)["w"].dtype
        dtype('float32')

        ```
    """
    leaves, treedef = tree_flatten(tree)
    if not leaves:
        return np.zeros(0), lambda flat: _unravel_empty(treedef, flat)
    arrays = [fnp.asarray(x) for x in leaves]
    shapes = [tuple(a.shape) for a in arrays]
    dtypes = [np.dtype(a.dtype) for a in arrays]
    sizes = [math.prod(s) for s in shapes]
    dtype = np.result_type(*dict.fromkeys(dtypes))  # unique dtypes: avoids NPY_MAXARGS
    pieces = [fnp.ravel(a) for a in arrays]
    flat = fnp.concatenate([p if d == dtype else p.astype(dtype) for p, d in zip(pieces, dtypes)])
    total = sum(sizes)

    def unravel(flat_vector):
        flat_vector = fnp.asarray(flat_vector)
        if tuple(flat_vector.shape) != (total,):
            raise ValueError(
                f"unravel: expected a 1-D vector of length {total}, "
                f"got shape {tuple(flat_vector.shape)}"
            )
        out, start = [], 0
        for shape, d, size in zip(shapes, dtypes, sizes):
            leaf = fnp.reshape(flat_vector[start : start + size], shape)
            out.append(leaf if np.dtype(leaf.dtype) == d else leaf.astype(d))
            start += size
        return treedef.unflatten(out)

    return flat, unravel


def _unravel_empty(treedef: PyTreeDef, flat) -> Any:
    if np.shape(flat) != (0,):
        raise ValueError(f"unravel: expected a 1-D vector of length 0, got shape {np.shape(flat)}")
    return treedef.unflatten([])
