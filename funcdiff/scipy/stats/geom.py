"""`scipy.stats.geom`, differentiable in `p` and `loc`.

Support `k = 1, 2, ...`; `logpmf = xlog1py(k - 1, -p) + log(p)`, `sf = (1 - p)**k` (`k`
floored), `logcdf` from `log(1 - exp(k log1p(-p)))` (accurate for small `p`). `ppf` is
integer-valued and piecewise constant (derivative 0 in `q` and `p`). The count `k` (and
`loc`, which shifts it) is not differentiated: its derivative is 0 (a function on the integers).
"""

from funcdiff._src.scipy.stats.geom import cdf, logcdf, logpmf, logsf, pmf, ppf, rvs, sf

__all__ = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf", "rvs"]
