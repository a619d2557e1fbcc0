"""`funcdiff.scipy.linalg`: SciPy's linear algebra, differentiable.

Outside transforms every function is `scipy.linalg`'s own (same values, same
errors, SciPy's speed). Inside transforms the functions are built from a few
primitives defined here, each followed by its rules, plus `funcdiff.numpy.linalg`:

- `triangular_solve` (solve_triangular, cho_solve, lu_solve): the JVP solves
  again with the same triangle; the VJP solves with the transposed triangle and
  masks the matrix cotangent to the triangle that is read (its strict part
  with `unit_diagonal`).
- `lu` (lu_factor): P A = L U; with C = L^-1 P dA U^-1,
  dL = L tril(C, -1) and dU = triu(C) U (square matrices).
- `expm`: the Fréchet derivative L(A, E) is the top-right block of
  expm([[A, E], [0, A]]); the VJP is L(A^T, G).
- `sqrtm`: S dS + dS S = dA, a Sylvester equation; the VJP solves the
  transposed one.
- `solve_sylvester` (A X + X B = Q): derivatives solve another Sylvester
  equation with the same (JVP) or transposed (VJP) coefficients.

The rules are written with funcdiff operations (these primitives included), so
derivatives of every order work, and each primitive has a batching rule
(SciPy's functions broadcast over leading axes, so the batch axis is moved to
the front). Stacks of matrices `(..., M, N)` work wherever SciPy 1.17 accepts
them. Complex values follow JAX's convention (VJPs are linear, not
conjugate-linear). Integer inputs are computed in float64, float32 stays
float32, as in SciPy.

Limits (inside transforms):

- `solve_banded` builds the dense matrix from the band and differentiates
  `numpy.linalg.solve` (values agree with SciPy's banded solver to rounding).
- `cho_factor` returns `(c, lower)` like SciPy, with the input's entries in
  the triangle that is not the factor (as LAPACK leaves them); derivatives of
  `cho_solve` flow to the factor's triangle of `c` only.
- `lu_factor` derivatives need a square matrix; the pivots are integers (no
  derivative), and derivatives hold where the pivoting does not change.
- `eigh` uses `funcdiff.numpy.linalg.eigh` (LAPACK syevd, like SciPy's
  ``driver="evd"``): eigenvectors may differ from SciPy's default driver by a
  sign (phase) per column. Generalized problems (`b`) are reduced with a
  Cholesky factor of `b`; `subset_by_value` needs concrete values (not under
  vmap or jit); `driver` is ignored.
- `sqrtm` of a real matrix is complex when SciPy's is (concrete values);
  under `jit` the output dtype is assumed to be the input's.
- `check_finite` and `overwrite_*` are accepted and ignored.

Example:
    ```python
    >>> import numpy as np, funcdiff as fd
    >>> from funcdiff.scipy import linalg as fsl
    >>> A = np.array([[2.0, 7.0], [1.0, 4.0]])  # only the lower triangle is read
    >>> g = fd.grad(lambda a: fsl.solve_triangular(a, np.ones(2), lower=True).sum())(A)
    >>> g[np.tril_indices(2)].tolist(), bool(g[0, 1] == 0)
    ([-0.1875, -0.125, -0.03125], True)

    ```
"""

from funcdiff._src.scipy.linalg import (
    block_diag,
    cho_factor,
    cho_solve,
    eigh,
    expm,
    lu_factor,
    lu_solve,
    solve_banded,
    solve_sylvester,
    solve_triangular,
    sqrtm,
)
from funcdiff._src.scipy.matrices import *  # noqa: F403
from funcdiff._src.scipy.matrices import __all__ as _matrices

__all__ = [
    "solve_triangular",
    "cho_factor",
    "cho_solve",
    "lu_factor",
    "lu_solve",
    "expm",
    "sqrtm",
    "solve_sylvester",
    "solve_banded",
    "block_diag",
    "eigh",
    # (add new functions of funcdiff._src.scipy.linalg above this line)
] + _matrices
