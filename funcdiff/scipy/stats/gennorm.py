"""`scipy.stats.gennorm` (the generalized normal), differentiable in `x`, `beta`, `loc`, `scale`.

`logpdf = log(beta/2) - gammaln(1/beta) - |z|**beta - log(scale)`; `cdf`/`sf` from
`gammaincc(1/beta, |z|**beta)` on their small side, so both tails keep their digits; the
derivative in `beta` goes through `gammaincc`'s derivative in its first argument. `|z|**beta`
has derivative 0 at `z = 0` (the true one for `beta > 1`). `ppf`/`isf` are not provided: they
need the inverse of the incomplete gamma function, which `funcdiff.scipy.special` lacks.
"""

from funcdiff._src.scipy.stats.gennorm import cdf, logcdf, logpdf, logsf, pdf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "rvs"]
