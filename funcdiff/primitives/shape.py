"""Shape primitives: reshape, broadcast, transpose, concatenate, slicing helpers.

All of these are linear, so each is declared with `linear_primitive`: the JVP
applies the same primitive to the tangent, and the VJP is the transpose
rule, given right beside the implementation.
"""

from __future__ import annotations

import numpy as np

from funcdiff.core import Primitive, _state
from funcdiff.primitives.elementwise import shape_of, unbroadcast


def linear_primitive(name, impl, transpose, *, multiple_results=False):
    """A primitive linear in all its arguments jointly.

    `transpose(g, primals, argnums, **params)` returns one cotangent per
    entry of `argnums`. The JVP binds the primitive on the tangents (zero
    tangents are instantiated only when some other tangent is nonzero).
    """
    prim = Primitive(name, impl, multiple_results=multiple_results, linear="all")

    def jvp(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        ts = [_zeros_like(p) if t is None else t for p, t in zip(primals, tangents)]
        return out, prim.bind(*ts, **params)

    prim.jvp = jvp
    prim.vjp = lambda g, out, primals, argnums, **params: transpose(g, primals, argnums, **params)
    return prim


def _zeros_like(x):
    from funcdiff.primitives.elementwise import dtype_of

    return np.zeros(shape_of(x), dtype_of(x))


def _bind(prim):
    impl, bind = prim.impl, prim.bind

    def f(*args, **params):
        if _state.stack:
            return bind(*args, **params)
        return impl(*args, **params)

    f.__name__ = f.__qualname__ = prim.name
    f.primitive = prim
    return f


# -- reshape -----------------------------------------------------------------
reshape_p = linear_primitive(
    "reshape",
    lambda x, shape: np.reshape(x, shape),
    lambda g, primals, argnums, shape: [reshape(g, shape_of(primals[0]))],
)



def reshape(x, shape):
    """Reshape to a static `shape` (a tuple of ints, with no -1)."""
    if _state.stack:
        return reshape_p.bind(x, shape=tuple(shape))
    return np.reshape(x, shape)


# -- broadcast_to --------------------------------------------------------------
broadcast_to_p = linear_primitive(
    "broadcast_to",
    lambda x, shape: np.broadcast_to(x, shape),
    lambda g, primals, argnums, shape: [unbroadcast(g, shape_of(primals[0]))],
)


def broadcast_to(x, shape):
    """Broadcast to `shape` (read-only view outside transforms, like NumPy)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if _state.stack:
        return broadcast_to_p.bind(x, shape=shape)
    return np.broadcast_to(x, shape)


# -- transpose -----------------------------------------------------------------
transpose_p = linear_primitive(
    "transpose",
    lambda x, axes: np.transpose(x, axes),
    lambda g, primals, argnums, axes: [transpose(g, tuple(np.argsort(axes)))],
)


def transpose(x, axes=None):
    """Permute axes (reverse them when `axes` is None)."""
    if axes is None:
        axes = tuple(range(len(shape_of(x))))[::-1]
    else:
        nd = len(shape_of(x))
        axes = tuple(int(a) % nd if nd else int(a) for a in axes)
    if _state.stack:
        return transpose_p.bind(x, axes=axes)
    return np.transpose(x, axes)


def move_batch_axes(args, dims):
    """Move batch axes to the front so that broadcasting lines them up.

    Unbatched arguments are left alone; batched ones get axis 0 as the batch
    axis and are padded with size-1 axes to the rank of the widest argument.
    """
    rank = max(len(shape_of(a)) - (d is not None) for a, d in zip(args, dims))
    out = []
    for a, d in zip(args, dims):
        if d is None:
            out.append(a)
            continue
        if d != 0:
            nd = len(shape_of(a))
            perm = (d,) + tuple(i for i in range(nd) if i != d)
            a = transpose(a, perm)
        s = shape_of(a)
        if len(s) - 1 < rank:
            a = reshape(a, (s[0],) + (1,) * (rank - len(s) + 1) + s[1:])
        out.append(a)
    return out
