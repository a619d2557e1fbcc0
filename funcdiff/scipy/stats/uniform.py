"""`scipy.stats.uniform` on `[loc, loc + scale]`, differentiable in `x`, `loc` and `scale`.

At the ends of the support the CDF has kinks; there its derivative in `x` is
split evenly (1/2 of the inside slope), like `clip`.
"""

from funcdiff._src.scipy.stats.uniform import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
