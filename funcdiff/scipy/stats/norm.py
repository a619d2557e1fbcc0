"""`scipy.stats.norm`, differentiable in `x`, `loc` and `scale`.

`logcdf`/`logsf` use `log_ndtr`, so they and their derivatives stay finite
far in the tails (`logcdf(-40) == -804.6...`, derivative about 40).
"""

from funcdiff._src.scipy.stats.norm import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
