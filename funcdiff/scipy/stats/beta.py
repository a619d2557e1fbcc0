"""`scipy.stats.beta` on `[loc, loc + scale]`, differentiable in `x`, `a`, `b`, `loc`, `scale`.

The CDF is `betainc(a, b, z)` (`sf` is `betaincc`); their derivatives in `a`
and `b` are numerical (see `funcdiff.scipy.special`).
"""

from funcdiff._src.scipy.stats.beta import cdf, logcdf, logpdf, logsf, pdf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "rvs"]
