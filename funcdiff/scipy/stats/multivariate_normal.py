"""`scipy.stats.multivariate_normal`, differentiable in `x`, `mean` and `cov`.

Shapes follow SciPy: the last axis of `x` holds the components (a 1-d `x` is
one point, or `n` points when the dimension is 1), `cov` may be a scalar
(times the identity), a vector (the diagonal) or a matrix, and the result is
squeezed. As in SciPy only the lower triangle of a matrix `cov` is read (so
the derivative in its upper triangle is 0). The log-density uses `solve` and
`slogdet`. With `allow_singular=True` (and in `entropy`) a singular `cov` is
handled as SciPy does: the pseudo-determinant and pseudo-inverse over the
eigenvalues above `1e6 eps max|eigenvalue|`, and `-inf` for points off the
support. Their derivatives are those of the pseudo-determinant/inverse along
perturbations that keep the rank (the null space is located on
`stop_gradient(cov)` and its projector `N` held fixed: `slogdet(cov + N)`,
`inv(cov + N) - N`); where the rank would change the function jumps and has no
derivative. A nonsingular `cov` gives the ordinary derivatives.
"""

from funcdiff._src.scipy.stats.multivariate_normal import entropy, logpdf, pdf, rvs

__all__ = ["logpdf", "pdf", "entropy", "rvs"]
