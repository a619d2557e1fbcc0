"""`scipy.stats.gamma`, differentiable in `x`, `a`, `loc` and `scale`.

The CDF is `gammainc(a, z)`; its derivative in the shape `a` is numerical
(see `funcdiff.scipy.special`). `logcdf`/`logsf` are logs of `gammainc` and
`gammaincc`, which keep their relative accuracy in the tails until they
underflow (then -inf, as in SciPy).
"""

from funcdiff._src.scipy.stats.gamma import cdf, logcdf, logpdf, logsf, pdf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "rvs"]
