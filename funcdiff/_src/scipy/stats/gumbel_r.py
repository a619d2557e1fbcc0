"""The implementation of `funcdiff.scipy.stats.gumbel_r`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import scipy.stats as st

from funcdiff._src.scipy.stats.gumbel import document, methods

_FNS = methods(1, st.gumbel_r)
document(_FNS, "gumbel_r", True)
logpdf, pdf, cdf, logcdf, sf, logsf, ppf, isf = _FNS


rvs = st.gumbel_r.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
