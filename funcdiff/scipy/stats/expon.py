"""`scipy.stats.expon`, differentiable in `x`, `loc` and `scale`.

`logsf` is `-z` and `logcdf` is `log(1 - exp(-z))` computed without
cancellation, so both are finite (with finite derivatives) in the tails.
"""

from funcdiff._src.scipy.stats.expon import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
