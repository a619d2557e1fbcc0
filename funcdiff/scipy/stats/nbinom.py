"""`scipy.stats.nbinom`, differentiable in `n` (a positive real number) and `p`.

`logpmf` is SciPy's `gammaln` formula; `cdf = betainc(n, k + 1, p)` and
`sf = betainc(k + 1, n, 1 - p)` with `k` floored, differentiable in both shape parameters
through `funcdiff.scipy.special.betainc`. Non-integer `k` gives `pmf` 0, as in SciPy.
The count `k` (and `loc`, which shifts it) is not differentiated: its derivative is 0.
"""

from funcdiff._src.scipy.stats.nbinom import cdf, logcdf, logpmf, logsf, pmf, rvs, sf

__all__ = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "rvs"]
