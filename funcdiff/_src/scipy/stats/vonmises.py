"""The implementation of `funcdiff.scipy.stats.vonmises`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.stats as st

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, safe, standardize, valid, where
from funcdiff.scipy import special as fsp

LOG_2PI = float(np.log(2 * np.pi))


def _log_i0e(kappa):
    """log(i0(kappa)) - kappa for kappa >= 0: from `i0` below 1 (where `ive`'s `exp(-|kappa|)`
    has no derivative at 0), from `ive` above (finite for large kappa)."""
    small = fe.less(kappa, 1.0)
    ks, kl = safe(small, kappa, 0.5), safe(small, 2.0, kappa)
    return where(small, fe.log(fsp.i0(ks)) - ks, fe.log(fsp.ive(0.0, kl)))


def _logpdf(x, kappa, loc, scale):
    z = standardize(x, loc, scale)
    s = fe.sin(0.5 * z)
    cosm1 = -2.0 * (s * s)  # cos(z) - 1, accurate near 0
    val = kappa * cosm1 - LOG_2PI - _log_i0e(kappa) - fe.log(scale)
    return valid(fe.logical_and(kappa >= 0, scale > 0), val)


@numpy_outside_transforms(st.vonmises.logpdf, unless_traced=True)
def logpdf(x, kappa, loc=0, scale=1):
    """`scipy.stats.vonmises.logpdf`: `kappa (cos z - 1) - log(2 pi i0e(kappa)) - log(scale)`.

    The density is periodic in `z = (x - loc) / scale` (no support check, as in SciPy);
    `log(i0e)` keeps it finite for large `kappa`.

    Example:
        ```python
        >>> import funcdiff as fd
        >>> from funcdiff.scipy.stats import vonmises
        >>> float(fd.grad(vonmises.logpdf, argnums=1)(0.0, 2.0))  # 1 - i1(2)/i0(2)
        0.30222534...

        ```
    """
    return _logpdf(*floats(x, kappa, loc, scale))


@numpy_outside_transforms(st.vonmises.pdf, unless_traced=True)
def pdf(x, kappa, loc=0, scale=1):
    """`scipy.stats.vonmises.pdf`: `exp(logpdf)`."""
    return fe.exp(_logpdf(*floats(x, kappa, loc, scale)))


rvs = st.vonmises.rvs  # SciPy's sampler itself (random numbers: nothing to differentiate)
