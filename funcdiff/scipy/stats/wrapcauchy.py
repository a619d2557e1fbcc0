"""`scipy.stats.wrapcauchy`, differentiable in `x`, `c`, `loc`, `scale`.

On `0 <= z <= 2 pi`: `pdf = (1 - c**2) / (2 pi (1 + c**2 - 2 c cos z))`; `cdf`, `sf` and
`ppf` are SciPy's closed forms (`arctan(tan(z/2) (1 + c)/(1 - c)) / pi`, mirrored above pi).
"""

from funcdiff._src.scipy.stats.wrapcauchy import cdf, logpdf, pdf, ppf, rvs, sf

__all__ = ["logpdf", "pdf", "cdf", "sf", "ppf", "rvs"]
