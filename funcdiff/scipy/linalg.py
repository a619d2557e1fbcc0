"""`funcdiff.scipy.linalg`: SciPy's linear algebra, differentiable.

Outside transforms every function is `scipy.linalg`'s own (same values, same
errors, SciPy's speed). Inside transforms the functions are built from a few
primitives defined here, each followed by its rules, plus `funcdiff.numpy.linalg`:

- `triangular_solve` (solve_triangular, cho_solve, lu_solve): the JVP solves
  again with the same triangle; the VJP solves with the transposed triangle and
  masks the matrix cotangent to the triangle that is read (its strict part
  with `unit_diagonal`).
- `lu` (lu_factor): P A = L U; with C = L^-1 P dA U^-1,
  dL = L tril(C, -1) and dU = triu(C) U (a rectangular A: with L and U completed
  to square triangles by the identity, C = L~^-1 P dA U~^-1, cut to L's and U's blocks).
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
- `lu_factor`: the pivots are integers (no derivative), and derivatives hold where
  the pivoting does not change.
- `eigh` uses `funcdiff.numpy.linalg.eigh` (LAPACK syevd, like SciPy's
  ``driver="evd"``): eigenvectors may differ from SciPy's default driver by a
  sign (phase) per column. Generalized problems (`b`) are reduced with a
  Cholesky factor of `b`; `subset_by_value` needs concrete values (not under
  vmap or jit); `driver` is ignored.
- `sqrtm` of a real matrix is complex when SciPy's is (concrete values);
  under `jit` the output dtype is assumed to be the input's.
- `check_finite` and `overwrite_*` are accepted and ignored.

Decompositions and solvers (SciPy 1.17's signatures, defaults and dtypes; `det` and
`expm_frechet` return double precision for single-precision input, as SciPy):

- `cholesky` (upper factor by default), `det`, `inv`, `solve`, `svd`, `polar`:
  compositions of `funcdiff.numpy.linalg` (derivatives of every order, complex
  too). `solve`/`inv` differentiate the matrix that `assume_a` reads: 'diagonal',
  'tridiagonal', 'upper triangular', 'lower triangular' (those entries), 'sym',
  'her', 'pos' (the `lower`, default upper, triangle), None/'general'/'banded'
  (the whole matrix; where SciPy detects a structure from the values, values
  agree). `inv(assume_a='diagonal')` keeps the off-diagonal entries, as SciPy.
  `solve(transposed=True)` solves with `a.T` (real `a`, as SciPy).
- `svd`: singular-vector derivatives need distinct nonzero singular values and,
  for a non-square matrix, `full_matrices=False` (with `full_matrices=True` the
  singular values alone still differentiate in reverse mode). `polar` is
  `p = sqrtm(a^H a)`, `u = a p^-1` (full rank; differentiable at repeated singular
  values too), or, where `p` would be rank-deficient by shape, `u = W Vh`,
  `p = Vh^H S Vh` (or `W S W^H`) from the reduced SVD (the SVD's needs).
- `lu`: `(P, L, U)` with `A = P L U` for any M x N, from the `lu` primitive (P and
  `p_indices` are integers or 0/1 matrices, no derivative), differentiable for any
  M x N.
- `qr`: modes 'full', 'economic', 'r' through `funcdiff.numpy.linalg.qr` ('full'
  with M > N has no derivative: the extra columns of Q are not unique);
  `pivoting` takes SciPy's column permutation (integer, no derivative) and
  differentiates the QR of `a[:, P]`; 'raw' raises NotImplementedError inside
  transforms. `qr_multiply` is the economic Q times `c` (derivatives in both).
- `schur` and `hessenberg`: primitives (SciPy computes) whose rules solve, for
  A = Z T Z^H with E = Z^H dA Z and X = Z^H dZ skew-Hermitian,
  dT = E - X T + T X with the entries of dT that must vanish (below the diagonal;
  below the subdiagonal for `hessenberg`, where also X e1 = 0) as a linear system
  in X's strictly lower part (dense, O(n^6): meant for small matrices). They
  need distinct eigenvalues (an unreduced H). `schur`'s vectors keep diag(X) = 0:
  the column phases are arbitrary, so differentiate phase-invariant functions
  (|T|, |Z|, Z T Z^H); real Schur forms with 2x2 blocks (complex eigenvalues)
  raise NotImplementedError (use `output='complex'`). `hessenberg` keeps LAPACK's
  gauge (real subdiagonal for complex input), so H and Q differentiate as they are.
- `rsf2csf`: SciPy's Givens rotations written with funcdiff operations (a `where`
  instead of the branch on each subdiagonal entry, so vmap and jit work). It is
  differentiable along real Schur forms (the block pattern fixed).
- `funm(A, func)`: `V diag(func(w)) V^-1` from `funcdiff.numpy.linalg.eig` (A
  diagonalizable with distinct eigenvalues; `func` must accept funcdiff arrays of
  complex eigenvalues); SciPy uses Schur-Parlett, the values agree to rounding.
  A real `A` gives a real result where SciPy's is (concrete values; always real
  under vmap/jit). `disp=False`'s error estimate is SciPy's, from concrete values.
- `expm_frechet`: both outputs from one `expm` of [[A, E], [0, A]]: derivatives
  in A and E of every order.
- `eigh_tridiagonal`: `eigh` of the dense tridiagonal matrix (eigenvectors may
  differ from SciPy's by a sign); `select='v'` needs concrete values.

Example:
    ```python
    >>> import numpy as np, funcdiff as fd
    >>> from funcdiff.scipy import linalg as fsl
    >>> A = np.array([[2.0, 7.0], [1.0, 4.0]])  # only the lower triangle is read
    >>> g = fd.grad(lambda a: fsl.solve_triangular(a, np.ones(2), lower=True).sum())(A)
    >>> g[np.tril_indices(2)].tolist(), bool(g[0, 1] == 0)
    ([-0.1875, -0.125, -0.03125], True)

    ```

Special matrices (SciPy 1.17's signatures): `circulant`, `companion`,
`convolution_matrix`, `fiedler`, `fiedler_companion`, `hankel`, `leslie` and
`toeplitz` are differentiable in their array arguments. Inside transforms each is a
gather (`funcdiff.numpy.take`) of its inputs by a constant index matrix laid out by
SciPy's own function on integer labels, so derivatives of every order, `vmap` and
`jit` come from the gather (r[0] of `toeplitz`/`hankel` is ignored, so its derivative
is zero; `toeplitz(c)` reads `conj(c)` for the first row). `companion` and
`fiedler_companion` gather `-a / a[0]` (quotient rule), and `fiedler` is
`abs(a[..., :, None] - a[..., None, :])` (kinks where entries tie). Batched (N-D)
inputs work where SciPy 1.17 batches them (all but `hankel`, which ravels N-D input
with SciPy's FutureWarning). A zero leading coefficient of `companion` or
`fiedler_companion` raises SciPy's ValueError when the values are concrete (not under
`jit`). `dft`, `hadamard`, `helmert`, `hilbert`, `invhilbert`, `invpascal` and `pascal`
take integer sizes only: they are SciPy's own functions.
"""

from funcdiff._src.scipy.linalg import (
    block_diag,
    cho_factor,
    cho_solve,
    cholesky,
    det,
    eigh,
    eigh_tridiagonal,
    expm,
    expm_frechet,
    funm,
    hessenberg,
    inv,
    lu,
    lu_factor,
    lu_solve,
    polar,
    qr,
    qr_multiply,
    rsf2csf,
    schur,
    solve,
    solve_banded,
    solve_sylvester,
    solve_triangular,
    sqrtm,
    svd,
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
    "cholesky",
    "det",
    "inv",
    "solve",
    "lu",
    "qr",
    "qr_multiply",
    "svd",
    "schur",
    "rsf2csf",
    "hessenberg",
    "polar",
    "funm",
    "expm_frechet",
    "eigh_tridiagonal",
    # (add new functions of funcdiff._src.scipy.linalg above this line)
] + _matrices
