"""`funcdiff.scipy.interpolate`: `RegularGridInterpolator`, differentiable in the values
and in the sample points.

`RegularGridInterpolator(points, values, method='linear', bounds_error=True,
fill_value=nan)` is SciPy's class with SciPy's signature. Outside transforms
(neither `values` nor `xi` traced) calling it is SciPy's own interpolation,
every method. Inside a transform, for `method='linear'` and `'nearest'`, it is
a composition of funcdiff operations:

- each coordinate finds its cell with `searchsorted` on the (constant) grid,
  `t = (x - g[i]) / (g[i+1] - g[i])` (SciPy's rule, extrapolating from the end
  cells);
- `'linear'` sums the 2**ndim corner values gathered from `values`, weighted
  by the products of `1 - t` and `t`: differentiable in `values` (a
  scatter-add of the weights) and in `xi` (the derivative of the multilinear
  interpolant, one-sided on grid lines);
- `'nearest'` gathers the nearest corner (`t <= 0.5` picks the lower one):
  differentiable in `values`, zero derivative in `xi`.

`values` may be traced when the interpolator is constructed (inside `grad`,
`vmap`, `jit`); such an interpolator must be called inside that transform.
Trailing dimensions of `values` beyond the grid's are carried along, and
descending grids are flipped as SciPy does.

Limits: the grid `points` are constants (traced points raise
NotImplementedError); the methods `'slinear'`, `'cubic'`, `'quintic'`,
`'pchip'` raise NotImplementedError inside transforms. `bounds_error=True`
checks `xi` with a small identity primitive, `rgi_bounds_check`, that raises
SciPy's ValueError when it runs on values outside the grid: eagerly, when a
jitted function runs, and on the whole batch under `vmap`. NaN coordinates give
NaN, as in SciPy.
"""

from funcdiff._src.scipy.interpolate import RegularGridInterpolator

__all__ = ["RegularGridInterpolator"]
