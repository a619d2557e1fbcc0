"""`scipy.stats.logistic`, differentiable in `x`, `loc` and `scale`.

Built on `log_expit`, so densities, log-CDFs and their derivatives are finite
for any `z` (e.g. +-1000).
"""

from funcdiff._src.scipy.stats.logistic import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
