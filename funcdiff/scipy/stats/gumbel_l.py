"""`scipy.stats.gumbel_l` (left-skewed Gumbel), differentiable in `x`, `loc`, `scale`.

`gumbel_r` mirrored (`z -> -z`): `logpdf = z - exp(z) - log(scale)`, `logsf = -exp(z)`,
`cdf = -expm1(-exp(z))`, and `logcdf` stays finite far in the lower tail.
"""

from funcdiff._src.scipy.stats.gumbel_l import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
