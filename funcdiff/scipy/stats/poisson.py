"""`scipy.stats.poisson`, differentiable in the rate `mu`.

`cdf(k) = gammaincc(floor(k) + 1, mu)` and `sf(k) = gammainc(floor(k) + 1, mu)`,
whose derivatives in `mu` are closed forms. The count `k` is an integer; in
`k` the pmf has the derivative of its continuous extension (`log(mu) -
digamma(k + 1)`), the step functions `cdf`/`sf` have derivative 0. `entropy(mu)`
sums -p log p over the counts for mu <= 50 and uses the asymptotic series beyond; at
mu = 0, the edge of the domain, its derivative follows `entr`'s convention at 0 (the
`-mu log mu` term contributes 0, as in JAX), where the one-sided derivative is infinite.
"""

from funcdiff._src.scipy.stats.poisson import cdf, entropy, logcdf, logpmf, logsf, pmf, rvs, sf

__all__ = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "entropy", "rvs"]
