"""`scipy.stats.binom`, differentiable in `p` (and in `n` through `gammaln`/`betainc`).

`cdf(k) = betainc(n - k, k + 1, 1 - p)` and `sf(k) = betainc(k + 1, n - k, p)`
with `k = floor(k)`; their derivatives in `p` are closed forms, in `n`
numerical (see `funcdiff.scipy.special`). `k` and `n` are integers (SciPy's
NaN for a non-integer `n` is kept); in them the pmf has the derivative of its
continuous extension (through `gammaln`), `cdf`/`sf` are steps in `k`.
"""

from funcdiff._src.scipy.stats.binom import cdf, logcdf, logpmf, logsf, pmf, rvs, sf

__all__ = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "rvs"]
