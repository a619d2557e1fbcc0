"""`scipy.stats.chi2`, differentiable in `x`, `df`, `loc` and `scale`.

`chi2(df)` is `gamma(a=df/2, scale=2)`: every function here is the gamma
distribution's with those parameters (see `funcdiff.scipy.stats.gamma`).
"""

from funcdiff._src.scipy.stats.chi2 import cdf, logcdf, logpdf, logsf, pdf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "rvs"]
