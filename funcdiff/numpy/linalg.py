"""`funcdiff.numpy.linalg`: NumPy's linear algebra, differentiable.

Outside transforms every function is `numpy.linalg`'s own. Inside transforms
the decompositions and solvers bind the primitives of
`funcdiff._src.lax.linalg` (solve, inv, det, slogdet, cholesky, eigh, eig,
svd, qr, pinv), whose JVP/VJP rules are the standard closed forms; the rest
(norm, lstsq, matrix_power, multi_dot, tensorsolve, tensorinv, cond, ...) is
composed from them and from `funcdiff.numpy`. Stacks of matrices `(..., M, N)`
work wherever NumPy accepts them. Integer inputs are computed in float64 and
float32 stays float32, as in NumPy.

Conventions and limits (see also the primitives module):

- `cholesky`, `eigh`, `eigvalsh` and `pinv`/`svd` with `hermitian=True` read
  one triangle of the input, like NumPy, so their derivatives with respect to
  the other triangle are zero; for symmetric perturbations this is the usual
  derivative.
- Eigenvector and singular-vector derivatives divide by differences of
  eigenvalues (singular values): with repeated values they are inf/NaN.
  Functions of the eigenvalues or singular values alone (`eigvalsh`,
  `svdvals`, `norm(x, 'nuc')`, ...) are fine. Complex eigenvectors of `eigh`
  and singular vectors are defined up to a phase: differentiate functions that
  do not depend on it (e.g. `U diag(s) V^H`, `|v|**2`).
- `det` is differentiable to any order at every matrix, singular ones included
  (its gradient is the cofactor matrix; no rule solves with `A`). `slogdet`,
  `inv` and `solve` have no derivative at a singular matrix: they raise
  `LinAlgError`. `pinv` and `lstsq` are differentiated at constant rank.
- `norm` has gradient zero at zero (minimum-norm subgradient), for every `ord`.
- `svd` derivatives need `full_matrices=False` (or a square matrix); `qr`
  derivatives support modes "reduced", "r" and, for M <= N, "complete".

Example:
    ```python
    >>> import funcdiff as fd, funcdiff.numpy as fnp
    >>> import funcdiff.numpy.linalg as la
    >>> A = fnp.array([[2.0, 1.0], [1.0, 3.0]])
    >>> round(float(fd.grad(lambda a: la.slogdet(a)[1])(A)[0, 0]), 6)
    0.6

    ```
"""

from funcdiff._src.numpy.linalg import *  # noqa: F403
from funcdiff._src.numpy.linalg import __all__  # noqa: F401
