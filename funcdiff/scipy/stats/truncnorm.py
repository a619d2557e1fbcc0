"""`scipy.stats.truncnorm`, differentiable in `x`, `a`, `b`, `loc`, `scale`.

`a` and `b` are standardized bounds (as in SciPy), finite or infinite. The normalizing mass
`log(Phi(b) - Phi(a))` is computed from `log_ndtr` in the lower tail, mirrored in the upper
tail and from `erf` when the interval holds 0, so the density and its derivatives stay finite
far in the tails (`truncnorm.logpdf(41, 40, 45)` is about -36.8) and for narrow intervals;
`logcdf`/`logsf` take the smaller probability from its own mass and the larger as
`log1p(-smaller)`, and `cdf`/`sf` are their exponentials. Infinite bounds have derivative 0.
"""

from funcdiff._src.scipy.stats.truncnorm import cdf, logcdf, logpdf, logsf, pdf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "rvs"]
