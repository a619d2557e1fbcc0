"""`scipy.stats.laplace`, differentiable in `x`, `loc` and `scale`.

`logcdf`/`logsf` are finite in both tails (`laplace.logsf(1000.0) == -1000 - log 2`,
where SciPy gives -inf). At `x == loc` the density has a kink: its derivative
there is 0, the minimum-norm subgradient (`abs'(0) == 0`).
"""

from funcdiff._src.scipy.stats.laplace import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
