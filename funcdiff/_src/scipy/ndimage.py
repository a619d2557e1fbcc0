"""The implementation of `funcdiff.scipy.ndimage`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import itertools

import numpy as np
import scipy.ndimage as _nd

from funcdiff import numpy as fnp
from funcdiff._src.core import dtype_of, shape_of
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = ["map_coordinates"]

_MODES = {"constant": "constant", "nearest": "nearest", "wrap": "wrap", "mirror": "mirror",
          "reflect": "reflect", "grid-mirror": "reflect", "grid-constant": "grid-constant",
          "grid-wrap": "grid-wrap"}
# SciPy's `_get_spline_boundary_mode`: how the indices of the interpolation footprint that
# fall outside the input are mapped back into it
_SPLINE_MODE = {"constant": "mirror", "wrap": "mirror"}


def _floor(x):
    return fnp.floor(x)


def _map_coordinate(c, n, mode):
    """SciPy's `map_coordinate` (ni_interpolation.c): a coordinate outside [0, n-1]
    mapped back by the boundary mode, written with funcdiff operations (piecewise
    affine in `c`, so its derivative is +-1 or 0)."""
    if mode in ("nearest", "grid-constant"):
        return fnp.clip(c, 0.0, n - 1.0) if mode == "nearest" else c
    if mode == "constant":
        return fnp.where((c < 0) | (c > n - 1), -1.0, c)
    if n <= 1:
        return fnp.where((c < 0) | (c > n - 1), 0.0, c)
    if mode == "mirror":
        sz2 = 2.0 * n - 2
        neg = sz2 * _floor(-c / sz2) + c
        neg = fnp.where(neg <= 1 - n, neg + sz2, -neg)
        pos = c - sz2 * _floor(c / sz2)
        pos = fnp.where(pos >= n, sz2 - pos, pos)
    elif mode == "reflect":
        sz2 = 2.0 * n
        neg = fnp.where(c < -sz2, sz2 * _floor(-c / sz2) + c, c)
        neg = fnp.where(neg < -n, neg + sz2, fnp.where(neg > -1e-15, 1e-15, -neg) - 1)
        pos = c - sz2 * _floor(c / sz2)
        pos = fnp.where(pos >= n, sz2 - pos - 1, pos)
    elif mode == "wrap":
        sz = n - 1.0
        neg = c + sz * (_floor(-c / sz) + 1)
        pos = c - sz * _floor(c / sz)
    else:  # grid-wrap
        neg = c + n * (_floor((-1 - c) / n) + 1)
        pos = c - n * _floor(c / n)
    return fnp.where(c < 0, neg, fnp.where(c > n - 1, pos, c))


def _index(i, n, mode):
    """The integer index `i` (a float array of whole numbers) of the footprint mapped
    into [0, n-1] by the spline boundary mode; also whether it was inside."""
    inside = (i >= 0) & (i <= n - 1)
    mode = _SPLINE_MODE.get(mode, mode)
    mapped = i if mode == "grid-constant" else _map_coordinate(i, n, mode)
    mapped = fnp.clip(fnp.trunc(mapped), 0, n - 1)
    return fnp.astype(mapped, np.intp), inside


def _interpolate(x, coords, order, mode, cval):
    shape = shape_of(x)
    valid = None
    axes = []  # per axis: [(index, weight or None, inside)] for the footprint's points
    for k, n in enumerate(shape):
        c = coords[k]
        cc = _map_coordinate(c, n, mode)
        if mode == "constant":
            ok = cc > -1.0
            valid = ok if valid is None else valid & ok
        if order == 0:
            start = _floor(cc + 0.5)
            idx, inside = _index(start, n, mode)
            axes.append([(idx, None, inside)])
        else:
            start = _floor(cc)
            w1 = cc - start
            i0, in0 = _index(start, n, mode)
            i1, in1 = _index(start + 1.0, n, mode)
            axes.append([(i0, 1.0 - w1, in0), (i1, w1, in1)])
    flat = fnp.ravel(x)
    strides = [int(np.prod(shape[k + 1:])) for k in range(len(shape))]
    out = None
    for corner in itertools.product(*axes):
        index = corner[0][0] * strides[0]
        for p, st in zip(corner[1:], strides[1:]):
            index = index + p[0] * st
        val = fnp.take(flat, index, axis=0)
        if mode == "grid-constant":
            inside = corner[0][2]
            for p in corner[1:]:
                inside = inside & p[2]
            val = fnp.where(inside, val, cval)
        for p in corner:
            if p[1] is not None:
                val = val * p[1]
        out = val if out is None else out + val
    if valid is not None:
        out = fnp.where(valid, out, cval)
    return out


@numpy_outside_transforms(_nd.map_coordinates, unless_traced=True)
def map_coordinates(input, coordinates, output=None, order=3, mode="constant", cval=0.0,  # noqa: A002
                    prefilter=True):
    """`scipy.ndimage.map_coordinates` for `order` 0 (nearest) and 1 (linear): the input
    sampled at `coordinates` (shape `(input.ndim, ...)`), differentiable in `input` and,
    for `order=1`, in `coordinates` (piecewise linear: the derivative of the linear
    interpolation; `order=0` is piecewise constant, zero derivative).

    SciPy's boundary modes and values: `'constant'` (points outside [0, n-1] are
    `cval`), `'nearest'`, `'wrap'` (SciPy's period n-1), `'mirror'`, `'reflect'`
    (`'grid-mirror'`), `'grid-wrap'`, `'grid-constant'`. `order > 1` (spline
    interpolation) raises NotImplementedError inside transforms.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.ndimage import map_coordinates
        >>> a = np.array([1.0, 2.0, 4.0, 8.0])
        >>> map_coordinates(a, [[0.5, 2.25]], order=1).tolist()
        [1.5, 5.0]
        >>> fd.grad(lambda c: map_coordinates(a, c, order=1).sum())(np.array([[0.5, 2.25]]))
        array([[1., 4.]])

        ```
    """
    if output is not None:
        raise TypeError("map_coordinates: `output=` cannot be written inside a funcdiff "
                        "transform; drop it and use the returned value")
    if int(order) != order or not 0 <= order <= 5:
        raise RuntimeError("spline order not supported")
    if order > 1:
        raise NotImplementedError(
            f"map_coordinates: order={order} (spline interpolation) is not supported inside "
            "funcdiff transforms; use order=0 or order=1")
    if mode not in _MODES:
        raise RuntimeError("boundary mode not supported")
    mode = _MODES[mode]
    x = asarray(input)
    coords = asarray(coordinates)
    if dtype_of(coords).kind == "c":
        raise TypeError("Complex type not supported")
    shape = shape_of(x)
    if len(shape) < 1:
        raise RuntimeError("input and output rank must be > 0")
    if len(shape_of(coords)) < 1 or shape_of(coords)[0] != len(shape):
        raise RuntimeError("invalid shape for coordinate array")
    coords = fnp.astype(coords, np.float64)
    dtype = np.dtype(dtype_of(x))
    work = x if dtype.kind in "fc" else fnp.astype(x, np.float64)
    out = _interpolate(work, coords, int(order), mode, cval)
    if dtype.kind in "fc":
        return fnp.astype(out, dtype)
    if dtype.kind == "b":
        return fnp.astype(out, dtype)
    rounded = fnp.trunc(fnp.where(out > 0, out + 0.5, out - 0.5))
    if dtype.kind == "u":
        rounded = fnp.maximum(rounded, 0.0)
    return fnp.astype(rounded, dtype)
