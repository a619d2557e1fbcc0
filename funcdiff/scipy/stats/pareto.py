"""`scipy.stats.pareto`, differentiable in `x`, `b`, `loc`, `scale`.

Support `z >= 1`: `logpdf = log(b) - (b + 1) log(z) - log(scale)`, `sf = z**-b`,
`cdf = -expm1(-b log z)`, `logcdf = log(1 - z**-b)` (accurate near the start of the support),
`ppf`/`isf` in closed form. Outside the support the derivative is 0, never NaN.
"""

from funcdiff._src.scipy.stats.pareto import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
