"""`funcdiff.scipy.ndimage`: `map_coordinates` of orders 0 and 1, differentiable.

`map_coordinates(input, coordinates, order=..., mode=..., cval=...)` samples
`input` at the points `coordinates` (shape `(input.ndim, ...)`), as SciPy does,
with the same values for the boundary modes `'constant'`, `'nearest'`,
`'wrap'`, `'mirror'`, `'reflect'` (and SciPy's `'grid-mirror'`, `'grid-wrap'`,
`'grid-constant'`). Inside a transform it is a composition of funcdiff
operations: each coordinate is first mapped into the input by SciPy's rule for
the mode (a piecewise affine function, e.g. a reflection), then

- `order=0` takes the nearest element (`floor(c + 0.5)`): differentiable in
  `input` (a gather), with a zero derivative in the coordinates (piecewise
  constant);
- `order=1` sums the 2**ndim corners of the surrounding cell weighted by the
  products of `1 - t` and `t` per axis: differentiable in `input` and in the
  coordinates (one-sided at the grid lines, where the interpolant has a kink).

So grad, jvp, vmap, jit and higher orders work. SciPy's conventions, not
JAX's: `'wrap'` has period n - 1 (SciPy's historical rule; `'grid-wrap'` has
period n), and `'constant'` gives `cval` at every point outside [0, n - 1] (no
interpolation towards `cval`; that is `'grid-constant'`).

Limits: `order > 1` (spline interpolation) raises NotImplementedError inside
transforms (outside them the function is SciPy's own, every order);
`output=` cannot be given inside transforms (TypeError). Integer inputs are
rounded as SciPy does.
"""

from funcdiff._src.scipy.ndimage import map_coordinates

__all__ = ["map_coordinates"]
