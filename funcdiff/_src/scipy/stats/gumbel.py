"""The Gumbel distributions, right- and left-skewed, from one set of formulas: `methods(1,
scipy.stats.gumbel_r)` and `methods(-1, scipy.stats.gumbel_l)` (gumbel_l's density at `x` is
gumbel_r's at `-x`). `gumbel_r.py` and `gumbel_l.py` instantiate them.
"""

from __future__ import annotations

from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.scipy.stats.util import floats, log1mexp, safe, standardize, valid, where

# `sign` is +1 for gumbel_r (`z = (x - loc) / scale`) and -1 for gumbel_l (`z = -(x - loc) /
# scale`): gumbel_l's density at `x` is gumbel_r's at `-x`, its cdf is gumbel_r's sf.


def _z(x, loc, scale, sign):
    return sign * standardize(x, loc, scale)


def _logpdf(x, loc, scale, sign, clamp=False):
    z = _z(x, loc, scale, sign)
    if clamp:  # for the pdf: below z = -7 it is 0 in double precision (finite derivatives)
        z = fe.maximum(z, -7.0)
    return valid(scale > 0, -z - fe.exp(-z) - fe.log(scale))


def _lower(z):
    """log P(Z <= z) = -exp(-z) for the right-skewed standard Gumbel."""
    return -fe.exp(-z)


def _log_upper(z):
    """log P(Z > z) = log(1 - exp(-exp(-z))), finite far in the upper tail."""
    z = fe.maximum(z, -30.0)  # (below, the value is 0 to double precision)
    far = fe.greater(z, 20.0)
    t = fe.exp(-safe(far, 0.0, z))
    tf = fe.exp(-safe(far, z, 20.0))
    return where(far, -safe(far, z, 20.0) - 0.5 * tf, log1mexp(t))


def _method(name, fn, sign, ref):
    @numpy_outside_transforms(getattr(ref, name), unless_traced=True)
    def f(x, loc=0, scale=1):
        x, loc, scale = floats(x, loc, scale)
        return valid(scale > 0, fn(_z(x, loc, scale, sign)))

    f.__name__ = f.__qualname__ = name
    return f


def methods(sign, ref):
    """(logpdf, pdf, cdf, logcdf, sf, logsf, ppf, isf) of gumbel_r (sign 1) or gumbel_l (-1)."""
    # (below z = -7, exp(-exp(-z)) is 0 in double precision: clamped, for finite derivatives)
    lo = lambda z: fe.exp(_lower(fe.maximum(z, -7.0)))  # noqa: E731
    up = lambda z: -fe.expm1(_lower(z))  # noqa: E731
    cdf = _method("cdf", lo if sign > 0 else up, sign, ref)
    sf = _method("sf", up if sign > 0 else lo, sign, ref)
    logcdf = _method("logcdf", _lower if sign > 0 else _log_upper, sign, ref)
    logsf = _method("logsf", _log_upper if sign > 0 else _lower, sign, ref)

    @numpy_outside_transforms(ref.logpdf, unless_traced=True)
    def logpdf(x, loc=0, scale=1):
        return _logpdf(*floats(x, loc, scale), sign)

    @numpy_outside_transforms(ref.pdf, unless_traced=True)
    def pdf(x, loc=0, scale=1):
        return fe.exp(_logpdf(*floats(x, loc, scale), sign, clamp=True))

    def _quantile(q, loc, scale, lower):
        q, loc, scale = floats(q, loc, scale)
        # the standard right Gumbel: ppf(q) = -log(-log(q)), isf(q) = -log(-log1p(-q))
        if lower == (sign > 0):
            z = -fe.log(-fe.log(q))
        else:
            z = -fe.log(-fe.log1p(-q))
        return valid(scale > 0, loc + sign * scale * z)

    @numpy_outside_transforms(ref.ppf, unless_traced=True)
    def ppf(q, loc=0, scale=1):
        return _quantile(q, loc, scale, True)

    @numpy_outside_transforms(ref.isf, unless_traced=True)
    def isf(q, loc=0, scale=1):
        return _quantile(q, loc, scale, False)

    return logpdf, pdf, cdf, logcdf, sf, logsf, ppf, isf


def document(fns, name, extra):
    docs = {
        "logpdf": "`-z - exp(-z) - log(scale)`",
        "pdf": "`exp(logpdf)`",
        "cdf": "`exp(-exp(-z))`" if extra else "`-expm1(-exp(z))`",
        "logcdf": "`-exp(-z)`" if extra else "`log(1 - exp(-exp(z)))`, finite in the tail",
        "sf": "`-expm1(-exp(-z))`" if extra else "`exp(-exp(z))`",
        "logsf": "`log(1 - exp(-exp(-z)))`, finite in the tail" if extra else "`-exp(z)`",
        "ppf": "closed form",
        "isf": "closed form",
    }
    for f in fns:
        f.__doc__ = (f"`scipy.stats.{name}.{f.__name__}`: {docs[f.__name__]}, "
                     f"differentiable in every argument.")
        f.__module__ = f"funcdiff._src.scipy.stats.{name}"
        f.__qualname__ = f.__name__
