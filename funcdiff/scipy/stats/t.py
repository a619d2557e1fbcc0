"""`scipy.stats.t` (Student's t), differentiable in `x`, `df`, `loc` and `scale`.

The CDF is `scipy.special.stdtr`; its derivative in `df` is numerical (see
`funcdiff.scipy.special`). `logcdf`/`logsf` take the log of whichever tail
probability is small, so they keep their accuracy in both tails.
"""

from funcdiff._src.scipy.stats.t import cdf, logcdf, logpdf, logsf, pdf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "rvs"]
