"""`scipy.stats.bernoulli`, differentiable in `p` and `loc`.

`k` is a count: `logpmf`/`pmf` are `-inf`/0 at non-integer `k` and outside `{0, 1}` (as in
SciPy), and are not differentiated in `k` or in `loc`, which shifts it (the derivative is 0:
the pmf is a function on the integers). `ppf`/`isf` are integer-valued, piecewise constant in
`q` and `p`: their derivative there is 0, which is the derivative almost everywhere.
"""

from funcdiff._src.scipy.stats.bernoulli import cdf, isf, logcdf, logpmf, logsf, pmf, ppf, rvs, sf

__all__ = ["logpmf", "pmf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf", "rvs"]
