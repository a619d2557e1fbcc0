"""`scipy.stats.vonmises`, differentiable in `x`, `kappa`, `loc`, `scale`.

`logpdf = kappa (cos z - 1) - log(2 pi i0e(kappa)) - log(scale)`, periodic in `z` (no support
check, as in SciPy), finite for large `kappa`; at `kappa = 0` the derivative in `kappa` is
the one-sided (`kappa >= 0`) one. JAX's set of methods: no `cdf` (SciPy's is a series
without a closed-form derivative in `kappa`).
"""

from funcdiff._src.scipy.stats.vonmises import logpdf, pdf, rvs

__all__ = ["logpdf", "pdf", "rvs"]
