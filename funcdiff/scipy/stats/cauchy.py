"""`scipy.stats.cauchy`, differentiable in `x`, `loc` and `scale`.

The CDF is `arctan2(1, -z) / pi`, which equals `1/2 + arctan(z)/pi` but keeps
its relative accuracy in the lower tail (so `logcdf(-1e10)` is accurate).
"""

from funcdiff._src.scipy.stats.cauchy import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
