"""`scipy.stats.poisson`, differentiable in the rate `mu`.

`cdf(k) = gammaincc(floor(k) + 1, mu)` and `sf(k) = gammainc(floor(k) + 1, mu)`,
whose derivatives in `mu` are closed forms. The count `k` is an integer; in
`k` the pmf has the derivative of its continuous extension (`log(mu) -
digamma(k + 1)`), the step functions `cdf`/`sf` have derivative 0.
"""

from funcdiff._src.scipy.stats.poisson import cdf, logcdf, logpmf, logsf, pmf, sf

__all__ = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf"]
