"""`scipy.stats.multivariate_normal`, differentiable in `x`, `mean` and `cov`.

Shapes follow SciPy: the last axis of `x` holds the components (a 1-d `x` is
one point, or `n` points when the dimension is 1), `cov` may be a scalar
(times the identity), a vector (the diagonal) or a matrix, and the result is
squeezed. As in SciPy only the lower triangle of a matrix `cov` is read (so
the derivative in its upper triangle is 0). Inside transforms `cov` must be
positive definite (`allow_singular` has no effect there); the log-density
uses `solve` and `slogdet`.
"""

from funcdiff._src.scipy.stats.multivariate_normal import logpdf, pdf

__all__ = ["logpdf", "pdf"]
