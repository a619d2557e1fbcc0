"""The implementation of `funcdiff.scipy.interpolate`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import scipy.interpolate as _si

from funcdiff import numpy as fnp
from funcdiff._src.core import (
    Tracer,
    _state,
    dtype_of,
    has_tracer,
    shape_of,
)
from funcdiff._src.lax.checks import check
from funcdiff._src.numpy.creation import asarray

__all__ = ["RegularGridInterpolator"]

_TRACEABLE = ("linear", "nearest")


def _stand_in(values):
    """A NumPy array of `values`' shape and dtype (for SciPy's checks)."""
    return np.zeros(shape_of(values), dtype_of(values))


def _ndim_coords(xi, ndim):
    """SciPy's `_ndim_coords_from_arrays` for traced input: a tuple of ndim arrays is
    broadcast and stacked on a last axis; a 1-D array is reshaped to (-1, ndim)."""
    if isinstance(xi, tuple) and len(xi) == 1:
        xi = xi[0]
    if isinstance(xi, tuple):
        parts = fnp.broadcast_arrays(*[asarray(p) for p in xi])
        return fnp.stack(parts, axis=-1)
    xi = asarray(xi)
    if len(shape_of(xi)) == 1:
        xi = fnp.reshape(xi, (-1, ndim))
    return xi


# -- the bounds check: SciPy's ValueError wherever the values of xi exist ------------------
def _out_of_bounds(lows, highs, xi):
    for i, (lo, hi) in enumerate(zip(lows, highs)):
        p = xi[..., i]
        if not np.logical_and(np.all(lo <= p), np.all(p <= hi)):
            raise ValueError(f"One of the requested xi is out of bounds in dimension {i}")


def bounds_check(xi, lows, highs):
    """`xi` (shape (..., ndim)) unchanged, or SciPy's ValueError when a point lies outside
    [lows, highs]: checked wherever the values exist (eagerly, at `jit`'s run time, on
    the whole batch under `vmap`)."""
    return check(xi, xi, test=functools.partial(_out_of_bounds, lows, highs))


class RegularGridInterpolator:
    """`scipy.interpolate.RegularGridInterpolator`: interpolation on a rectilinear grid,
    differentiable in `values` and in the points `xi` for the methods `'linear'` and
    `'nearest'` (also when `values` is a traced value, say constructed inside `grad`).

    Outside transforms (and when neither `values` nor `xi` is traced) it is SciPy's
    interpolator, every method. Inside a transform, `'linear'` is the sum of the
    2**ndim corner values of the cell weighted by products of `1 - t` and `t` (its
    derivative in `xi` is that of the multilinear interpolant, one-sided on grid
    lines), `'nearest'` a gather (zero derivative in `xi`). Other methods raise
    NotImplementedError inside transforms. The grid `points` are constants (a traced
    grid raises NotImplementedError). Out of bounds: SciPy's ValueError when
    `bounds_error` (raised where the values of `xi` exist: eagerly, or when the jitted
    function runs), else `fill_value` (`None` extrapolates linearly).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.interpolate import RegularGridInterpolator
        >>> x, y = np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0])
        >>> values = np.add.outer(x**2, y)
        >>> float(RegularGridInterpolator((x, y), values)([0.5, 1.0])[0])
        1.5
        >>> g = fd.grad(lambda p: RegularGridInterpolator((x, y), values)(p)[0])
        >>> g(np.array([0.5, 1.0])).tolist()
        [1.0, 1.0]

        ```
    """

    def __init__(self, points, values, method="linear", bounds_error=True,
                 fill_value=np.nan, *, solver=None, solver_args=None):
        if has_tracer(points) and _state.stack:
            raise NotImplementedError(
                "RegularGridInterpolator: the grid `points` must be constants (no derivative "
                "with respect to the grid); pass NumPy arrays")
        self._traced_values = isinstance(values, Tracer) or (
            not isinstance(values, np.ndarray) and has_tracer(values))
        values = asarray(values) if self._traced_values else values
        stand_in = _stand_in(values) if self._traced_values else values
        self._scipy = _si.RegularGridInterpolator(
            points, stand_in, method=method, bounds_error=bounds_error, fill_value=fill_value,
            solver=solver, solver_args=solver_args)
        self.method = method
        self.bounds_error = bounds_error
        self.fill_value = fill_value
        self._grid = tuple(np.asarray(g, dtype=float) for g in self._scipy.grid)
        self._descending = tuple(self._scipy._descending_dimensions)
        if self._traced_values:
            if dtype_of(values).kind not in "fc":
                values = fnp.astype(values, np.float64)
            for axis in self._descending:
                values = fnp.flip(values, axis)
            self._values = values
        else:
            self._values = self._scipy.values

    @property
    def grid(self):
        return self._grid

    @property
    def values(self):
        return self._values

    def __call__(self, xi, method=None, *, nu=None):
        """The interpolated values at `xi` (shape (..., ndim)); see the class."""
        method = self.method if method is None else method
        if not _state.stack or not (self._traced_values or has_tracer(xi)):
            if self._traced_values:  # a traced construction, called outside its transform
                raise TypeError("RegularGridInterpolator: this interpolator holds traced "
                                "values; call it inside the transform that made it")
            return self._scipy(xi, method=method, nu=nu)
        if method not in _TRACEABLE:
            if method not in self._scipy._ALL_METHODS:
                raise ValueError(f"Method '{method}' is not defined")
            raise NotImplementedError(
                f"RegularGridInterpolator: method={method!r} is not supported inside funcdiff "
                "transforms; use method='linear' or 'nearest'")
        if nu is not None:
            raise ValueError(f"Can only compute derivatives for methods "
                             f"{self._scipy._SPLINE_METHODS_ndbspl}, got {method =}.")
        return self._evaluate(xi, method)

    def _evaluate(self, xi, method):
        grid, values = self._grid, self._values
        ndim = len(grid)
        xi = _ndim_coords(xi, ndim)
        if shape_of(xi)[-1] != ndim:
            raise ValueError(f"The requested sample points xi have dimension "
                             f"{shape_of(xi)[-1]} but this RegularGridInterpolator has "
                             f"dimension {ndim}")
        xi_shape = tuple(shape_of(xi))
        xi = fnp.astype(fnp.reshape(xi, (-1, ndim)), np.float64)
        if self.bounds_error:
            xi = bounds_check(xi, tuple(float(g[0]) for g in grid),
                              tuple(float(g[-1]) for g in grid))
        corners = []
        oob = None
        nans = None
        for i, g in enumerate(grid):
            x = xi[:, i]
            n = len(g)
            isnan = fnp.isnan(x)
            nans = isnan if nans is None else nans | isnan
            out = (x < g[0]) | (x > g[-1])
            oob = out if oob is None else oob | out
            if n == 1:
                idx = fnp.zeros(shape_of(x), np.intp)
                t = fnp.zeros(shape_of(x))
                corners.append(((idx, 1.0 - t), (idx, t)))
                continue
            safe = fnp.where(isnan, g[0], x)
            idx = fnp.clip(fnp.searchsorted(g, safe, side="right") - 1, 0, n - 2)
            lo = fnp.take(g, idx)
            hi = fnp.take(g, idx + 1)
            t = (x - lo) / (hi - lo)
            corners.append(((idx, 1.0 - t), (idx + 1, t)))
        tail = tuple(shape_of(values)[ndim:])
        if method == "nearest":
            index = tuple(fnp.where(c[1][1] <= 0.5, c[0][0], c[1][0]) for c in corners)
            result = _gather(values, index, ndim)
        else:
            result = None
            for corner in itertools.product(*corners):
                w = corner[0][1]
                for c in corner[1:]:
                    w = w * c[1]
                term = _gather(values, tuple(c[0] for c in corner), ndim)
                term = term * fnp.reshape(w, shape_of(w) + (1,) * len(tail))
                result = term if result is None else result + term
        mask_shape = (-1,) + (1,) * len(tail)
        if not self.bounds_error and self.fill_value is not None:
            fill = np.asarray(self.fill_value)
            result = fnp.where(fnp.reshape(oob, mask_shape), fill, result)
        result = fnp.where(fnp.reshape(nans, mask_shape), np.nan, result)
        return fnp.reshape(result, xi_shape[:-1] + tail)


def _gather(values, index, ndim):
    """values[i_0, ..., i_{ndim-1}] for integer index arrays (values may be a constant)."""
    shape = shape_of(values)
    tail = tuple(shape[ndim:])
    flat = fnp.reshape(values, (-1,) + tail)
    pos = index[0]
    for i, n in zip(index[1:], shape[1:ndim]):
        pos = pos * n + i
    return fnp.take(flat, pos, axis=0)
