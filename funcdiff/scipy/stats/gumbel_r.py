"""`scipy.stats.gumbel_r` (right-skewed Gumbel), differentiable in `x`, `loc`, `scale`.

`logpdf = -z - exp(-z) - log(scale)`, `logcdf = -exp(-z)`, `sf = -expm1(-exp(-z))`;
`logsf` stays finite far in the upper tail (`-z - exp(-z)/2` there, where SciPy's gives
`-inf` beyond `z = 745`); `ppf = loc - scale log(-log q)`, `isf = loc - scale log(-log1p(-q))`.
"""

from funcdiff._src.scipy.stats.gumbel_r import cdf, isf, logcdf, logpdf, logsf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
