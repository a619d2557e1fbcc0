"""`scipy.stats.dirichlet`, differentiable in `x` and `alpha`.

As in SciPy, the components are along the first axis of `x` (shape `(K,)` or
`(K, n)`), and `x` may omit the last component (it is `1 - sum(x, 0)`).
Inside transforms with concrete values (grad, jvp) SciPy's input checks run
too; under vmap/jit they are skipped.
"""

from funcdiff._src.scipy.stats.dirichlet import logpdf, pdf, rvs

__all__ = ["logpdf", "pdf", "rvs"]
