"""The implementation of `funcdiff.scipy.special`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np
import scipy.special as sc

from funcdiff._src.core import Tracer, _state, dtype_of, shape_of
from funcdiff._src.lax.elementwise import dtype_by_running, elementwise, nondifferentiable
from funcdiff._src.numpy import elementwise as fe
from funcdiff._src.numpy import reductions as fr
from funcdiff._src.numpy import shape as fs
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "beta", "betainc", "betaincc", "betaln", "digamma", "psi", "polygamma", "erf", "erfc",
    "erfinv", "erfcinv", "expit", "logit", "log_expit", "gamma", "gammaln", "loggamma",
    "rgamma", "gammasgn", "gammainc", "gammaincc", "multigammaln", "i0", "i1", "iv", "ive",
    "j0", "j1", "jn", "jv", "y0", "y1", "yn", "logsumexp", "softmax", "log_softmax", "xlogy",
    "xlog1py", "entr", "kl_div", "rel_entr", "zeta", "ndtr", "ndtri", "log_ndtr", "stdtr",
]


_SQRT_PI = float(np.sqrt(np.pi))
_SQRT_2PI = float(np.sqrt(2 * np.pi))
_LOG_SQRT_2PI = float(np.log(np.sqrt(2 * np.pi)))


def _arg(x):
    """Tracers, arrays and Python scalars as they are; lists and tuples as arrays
    (stacked when they hold tracers)."""
    if isinstance(x, (Tracer, np.ndarray, np.generic, float, int, complex)):
        return x
    return asarray(x)


def _call(prim, *args):
    """SciPy itself outside transforms; the primitive inside (which takes lists too)."""
    if _state.stack:
        return prim.bind(*args)
    return prim.impl(*args)


def _where(c, x, y):
    return fe.where(c, x, y)


def _safe(mask, x, fill=1.0):
    """`x` where `mask`, else a harmless constant (so unused branches stay finite)."""
    return _where(mask, x, np.asarray(fill, dtype_of(x)))


# -- numerical derivatives with respect to parameters --------------------------
def _rel_step(p):
    """Relative finite-difference step: about eps**(1/5) of `p`'s precision."""
    dt = np.result_type(dtype_of(p), np.float32)
    return 1e-3 if np.finfo(dt).eps < 1e-10 else 3e-2


def _step_positive(p, rel):
    """Step for a positive shape parameter: ~rel*p for small p, ~rel*sqrt(p) for large p."""
    return rel * p / (1.0 + fe.sqrt(p))


def _step_any(p, rel):
    """Step for a real order: absolute."""
    return rel


def _numerical_partial(f, args, i, step):
    """d f(*args) / d args[i] by a five-point central difference of `f` itself.

    The step `h` is a function of the parameter with its derivative stopped;
    everything is a funcdiff operation, so the result is differentiable again.
    """
    p = args[i]
    h = fe.stop_gradient(step(p, _rel_step(p)))

    def at(k):
        a = list(args)
        a[i] = p + k * h
        return f(*a)

    return (8.0 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12.0 * h)


def _tail_partial(f, fc, args, i, step, out):
    """Numerical partial of a probability `f` (complement `fc = 1 - f`), from the smaller one."""
    df = _numerical_partial(f, args, i, step)
    dfc = _numerical_partial(fc, args, i, step)
    return _where(fe.less_equal(out, 0.5), df, fe.negative(dfc))


# -- gamma function family -----------------------------------------------------
def _rgamma_d(o, x):
    # -rgamma * digamma, except at the zeros x = -n of 1/Gamma where it is (-1)^n n!
    pole = fe.logical_and(fe.less_equal(x, 0), fe.equal(x, fe.floor(x)))
    n = _safe(pole, fe.negative(x), 0.0)
    at_pole = (1.0 - 2.0 * fe.mod(n, 2.0)) * gamma(n + 1.0)
    xs = _where(pole, np.asarray(0.5, dtype_of(x)), x)
    return _where(pole, at_pole, fe.negative(o * digamma(xs)))


gamma_p = elementwise("gamma", sc.gamma, lambda o, x: o * digamma(x))
gammaln_p = elementwise("gammaln", sc.gammaln, lambda o, x: digamma(x))
loggamma_p = elementwise("loggamma", sc.loggamma, lambda o, x: digamma(x))
rgamma_p = elementwise("rgamma", sc.rgamma, _rgamma_d)
gammasgn_p = nondifferentiable("gammasgn", sc.gammasgn)
digamma_p = elementwise("digamma", sc.digamma, lambda o, x: polygamma(1, x))
# scipy's polygamma is a Python function of several ufuncs: its dtype comes from running
# it on 0-size arrays (`dtype_by_running`)
polygamma_p = elementwise(
    "polygamma", sc.polygamma, None, lambda o, n, x: polygamma(fe.add(n, 1), x),
    dtype=dtype_by_running(sc.polygamma),
)
beta_p = elementwise(
    "beta",
    sc.beta,
    lambda o, a, b: o * (digamma(a) - digamma(a + b)),
    lambda o, a, b: o * (digamma(b) - digamma(a + b)),
)
betaln_p = elementwise(
    "betaln",
    sc.betaln,
    lambda o, a, b: digamma(a) - digamma(a + b),
    lambda o, a, b: digamma(b) - digamma(a + b),
)


def _gammainc_dx(o, a, x):
    return fe.exp(xlogy(a - 1.0, x) - x - gammaln(a))


gammainc_p = elementwise(
    "gammainc",
    sc.gammainc,
    lambda o, a, x: _tail_partial(gammainc, gammaincc, (a, x), 0, _step_positive, o),
    _gammainc_dx,
    safe=True,
)
gammaincc_p = elementwise(
    "gammaincc",
    sc.gammaincc,
    lambda o, a, x: _tail_partial(gammaincc, gammainc, (a, x), 0, _step_positive, o),
    lambda o, a, x: fe.negative(_gammainc_dx(o, a, x)),
    safe=True,
)


def _betainc_dx(o, a, b, x):
    return fe.exp(xlogy(a - 1.0, x) + xlog1py(b - 1.0, fe.negative(x)) - betaln(a, b))


betainc_p = elementwise(
    "betainc",
    sc.betainc,
    lambda o, a, b, x: _tail_partial(betainc, betaincc, (a, b, x), 0, _step_positive, o),
    lambda o, a, b, x: _tail_partial(betainc, betaincc, (a, b, x), 1, _step_positive, o),
    _betainc_dx,
    safe=True,
)
betaincc_p = elementwise(
    "betaincc",
    sc.betaincc,
    lambda o, a, b, x: _tail_partial(betaincc, betainc, (a, b, x), 0, _step_positive, o),
    lambda o, a, b, x: _tail_partial(betaincc, betainc, (a, b, x), 1, _step_positive, o),
    lambda o, a, b, x: fe.negative(_betainc_dx(o, a, b, x)),
    safe=True,
)


def _stdtr_dt(o, df, t):
    # the Student t density
    logc = gammaln((df + 1.0) / 2.0) - gammaln(df / 2.0) - 0.5 * fe.log(df * np.pi)
    return fe.exp(logc - (df + 1.0) / 2.0 * fe.log1p(t * t / df))


def _stdtr_c(df, t):
    return stdtr(df, fe.negative(t))


stdtr_p = elementwise(
    "stdtr",
    sc.stdtr,
    lambda o, df, t: _tail_partial(stdtr, _stdtr_c, (df, t), 0, _step_positive, o),
    _stdtr_dt,
)

# -- error function and normal distribution --------------------------------------
erf_p = elementwise("erf", sc.erf, lambda o, x: (2.0 / _SQRT_PI) * fe.exp(-(x * x)))
erfc_p = elementwise("erfc", sc.erfc, lambda o, x: (-2.0 / _SQRT_PI) * fe.exp(-(x * x)))
erfinv_p = elementwise(
    "erfinv", sc.erfinv, lambda o, x: (_SQRT_PI / 2.0) * fe.exp(o * o), safe=True
)
erfcinv_p = elementwise(
    "erfcinv", sc.erfcinv, lambda o, x: (-_SQRT_PI / 2.0) * fe.exp(o * o), safe=True
)
ndtr_p = elementwise("ndtr", sc.ndtr, lambda o, x: fe.exp(-0.5 * (x * x)) / _SQRT_2PI)
ndtri_p = elementwise("ndtri", sc.ndtri, lambda o, x: _SQRT_2PI * fe.exp(0.5 * (o * o)), safe=True)
# d/dx log ndtr(x) = pdf(x) / ndtr(x) = exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi): finite
# and accurate deep in the lower tail (about -x there), 0 in the upper tail
log_ndtr_p = elementwise(
    "log_ndtr", sc.log_ndtr, lambda o, x: fe.exp(-0.5 * (x * x) - o - _LOG_SQRT_2PI)
)

# -- logistic -------------------------------------------------------------------------
expit_p = elementwise("expit", sc.expit, lambda o, x: o * (1.0 - o),
                      xp=lambda xp, x: 1.0 / (1.0 + xp.exp(-x)))
logit_p = elementwise("logit", sc.logit, lambda o, x: fe.reciprocal(x * (1.0 - x)), safe=True,
                      xp=lambda xp, x: xp.log(x) - xp.log1p(-x))
log_expit_p = elementwise("log_expit", sc.log_expit, lambda o, x: expit(fe.negative(x)),
                          xp=lambda xp, x: -xp.logaddexp(xp.zeros_like(x), -x))

# -- Bessel functions --------------------------------------------------------------------
i0_p = elementwise("i0", sc.i0, lambda o, x: i1(x))
i1_p = elementwise("i1", sc.i1, lambda o, x: 0.5 * (i0(x) + iv(2.0, x)))
iv_p = elementwise(
    "iv",
    sc.iv,
    lambda o, v, x: _numerical_partial(iv, (v, x), 0, _step_any),
    lambda o, v, x: 0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)),
)
ive_p = elementwise(
    "ive",
    sc.ive,
    lambda o, v, x: _numerical_partial(ive, (v, x), 0, _step_any),
    lambda o, v, x: 0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - fe.sign(fe.real(x)) * o,
)
j0_p = elementwise("j0", sc.j0, lambda o, x: fe.negative(j1(x)))
j1_p = elementwise("j1", sc.j1, lambda o, x: 0.5 * (j0(x) - jn(2, x)))
jv_p = elementwise(
    "jv",
    sc.jv,
    lambda o, v, x: _numerical_partial(jv, (v, x), 0, _step_any),
    lambda o, v, x: 0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)),
)
jn_p = elementwise(
    "jn", sc.jn, None, lambda o, n, x: 0.5 * (jn(fe.subtract(n, 1), x) - jn(fe.add(n, 1), x))
)
y0_p = elementwise("y0", sc.y0, lambda o, x: fe.negative(y1(x)))
y1_p = elementwise("y1", sc.y1, lambda o, x: 0.5 * (y0(x) - yn(2, x)), safe=True)
yn_p = elementwise(
    "yn",
    sc.yn,
    None,
    lambda o, n, x: 0.5 * (yn(fe.subtract(n, 1), x) - yn(fe.add(n, 1), x)),
    safe=True,
)


# -- x log y and entropies --------------------------------------------------------------------
def _xlogy_dx(o, x, y):
    return _where(fe.logical_and(fe.equal(x, 0), fe.equal(y, 0)), 0.0, fe.log(y))


def _xlogy_dy(o, x, y):
    return _where(fe.equal(x, 0), 0.0, fe.divide(x, y))


def _xlog1py_dx(o, x, y):
    return _where(fe.logical_and(fe.equal(x, 0), fe.equal(y, -1)), 0.0, fe.log1p(y))


def _xlog1py_dy(o, x, y):
    return _where(fe.equal(x, 0), 0.0, fe.divide(x, fe.add(1.0, y)))




def _x_times(log):
    """SciPy's x * log(y) that is 0 where x is 0 (unless y is NaN), on array-API arrays."""

    def impl(xp, x, y):
        p = x * log(xp, y)
        return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(p), p)

    return impl


xlogy_p = elementwise("xlogy", sc.xlogy, _xlogy_dx, _xlogy_dy, safe=True,
                      xp=_x_times(lambda xp, y: xp.log(y)))
xlog1py_p = elementwise("xlog1py", sc.xlog1py, _xlog1py_dx, _xlog1py_dy, safe=True,
                        xp=_x_times(lambda xp, y: xp.log1p(y)))


def _entr_d(o, x):
    pos = fe.greater(x, 0)
    return _where(pos, fe.negative(fe.log(_safe(pos, x)) + 1.0), 0.0)


def _both_positive(x, y):
    return fe.logical_and(fe.greater(x, 0), fe.greater(y, 0))


def _rel_entr_dx(o, x, y, shift):
    ok = _both_positive(x, y)
    return _where(ok, fe.log(_safe(ok, x) / _safe(ok, y)) + shift, 0.0)


def _rel_entr_dy(o, x, y):
    ok = _both_positive(x, y)
    return _where(ok, fe.negative(_safe(ok, x) / _safe(ok, y)), 0.0)


def _kl_div_dy(o, x, y):
    # 1 - x/y inside the domain; 1 on the edge x == 0 (where kl_div(0, y) == y)
    edge = fe.logical_and(fe.equal(x, 0), fe.greater_equal(y, 0))
    return _where(fe.logical_or(_both_positive(x, y), edge), 1.0 + _rel_entr_dy(o, x, y), 0.0)


entr_p = elementwise("entr", sc.entr, _entr_d)
rel_entr_p = elementwise(
    "rel_entr", sc.rel_entr, lambda o, x, y: _rel_entr_dx(o, x, y, 1.0), _rel_entr_dy
)
kl_div_p = elementwise("kl_div", sc.kl_div, lambda o, x, y: _rel_entr_dx(o, x, y, 0.0), _kl_div_dy)


# -- zeta -----------------------------------------------------------------------------------
def _step_zeta(x, rel):
    # the Riemann zeta function has a pole at 1: keep the stencil away from it
    return rel * fe.minimum(fe.abs(x - 1.0), 1.0)


# scipy's zeta is a Python function calling one of two private ufuncs: the dtypes come
# from running it on 0-size arrays (`dtype_by_running`)
hurwitz_zeta_p = elementwise(
    "hurwitz_zeta",
    lambda x, q: sc.zeta(x, q),
    lambda o, x, q: _numerical_partial(zeta, (x, q), 0, _step_zeta),
    lambda o, x, q: fe.negative(x * zeta(x + 1.0, q)),
    dtype=dtype_by_running(sc.zeta),
)
riemann_zeta_p = elementwise(
    "riemann_zeta",
    sc.zeta,
    lambda o, x: _numerical_partial(zeta, (x,), 0, _step_zeta),
    dtype=dtype_by_running(sc.zeta),
)


# -- public elementwise functions ----------------------------------------------------------
def gamma(z):
    """`scipy.special.gamma`; derivative `gamma(z) * digamma(z)`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> float(fd.grad(fsp.gamma)(3.0))  # 2 * (1.5 - euler_gamma)
        1.84556867...

        ```
    """
    return _call(gamma_p, z)


def gammaln(x):
    """`scipy.special.gammaln` (log |Gamma(x)|); derivative `digamma(x)`."""
    return _call(gammaln_p, x)


def loggamma(z):
    """`scipy.special.loggamma` (principal branch of log Gamma); derivative `digamma(z)`."""
    return _call(loggamma_p, z)


def rgamma(z):
    """`scipy.special.rgamma` (1 / Gamma(z)); exact derivative also at its zeros z = -n."""
    return _call(rgamma_p, z)


def gammasgn(x):
    """`scipy.special.gammasgn` (sign of Gamma(x)); zero derivative."""
    return _call(gammasgn_p, x)


def digamma(z):
    """`scipy.special.digamma` (alias `psi`); derivative `polygamma(1, z)`."""
    return _call(digamma_p, z)


psi = digamma


def polygamma(n, x):
    """`scipy.special.polygamma`; derivative in `x` is `polygamma(n + 1, x)` (none in `n`)."""
    return _call(polygamma_p, n, x)


def beta(a, b):
    """`scipy.special.beta`; derivatives `beta(a, b) * (digamma(a) - digamma(a + b))`, ..."""
    return _call(beta_p, a, b)


def betaln(a, b):
    """`scipy.special.betaln` (log |B(a, b)|); derivative `digamma(a) - digamma(a + b)`, ..."""
    return _call(betaln_p, a, b)


def gammainc(a, x):
    """`scipy.special.gammainc` (regularized lower incomplete gamma P(a, x)).

    The derivative in `x` is `x**(a-1) exp(-x) / Gamma(a)`; in `a` it is
    numerical (module docstring).

    Example:
        ```python
        import funcdiff as fd, funcdiff.scipy.special as fsp

        fd.grad(fsp.gammainc, argnums=(0, 1))(2.0, 1.5)
        ```
    """
    return _call(gammainc_p, a, x)


def gammaincc(a, x):
    """`scipy.special.gammaincc` (Q(a, x) = 1 - P(a, x)); derivatives as for `gammainc`."""
    return _call(gammaincc_p, a, x)


def betainc(a, b, x):
    """`scipy.special.betainc` (regularized incomplete beta I_x(a, b)).

    The derivative in `x` is `x**(a-1) (1-x)**(b-1) / B(a, b)`; in `a` and
    `b` it is numerical (module docstring).
    """
    return _call(betainc_p, a, b, x)


def betaincc(a, b, x):
    """`scipy.special.betaincc` (1 - I_x(a, b)); derivatives as for `betainc`."""
    return _call(betaincc_p, a, b, x)


def stdtr(df, t):
    """`scipy.special.stdtr` (Student t CDF); derivative in `t`: the density; in `df`: numerical."""
    return _call(stdtr_p, df, t)


def erf(z):
    """`scipy.special.erf`; derivative `2/sqrt(pi) exp(-z**2)`."""
    return _call(erf_p, z)


def erfc(x):
    """`scipy.special.erfc` (1 - erf(x), accurate for large x)."""
    return _call(erfc_p, x)


def erfinv(y):
    """`scipy.special.erfinv`; derivative `sqrt(pi)/2 exp(erfinv(y)**2)` (infinite at +-1)."""
    return _call(erfinv_p, y)


def erfcinv(y):
    """`scipy.special.erfcinv`; derivative `-sqrt(pi)/2 exp(erfcinv(y)**2)`."""
    return _call(erfcinv_p, y)


def ndtr(x):
    """`scipy.special.ndtr` (standard normal CDF)."""
    return _call(ndtr_p, x)


def ndtri(y):
    """`scipy.special.ndtri` (inverse of `ndtr`)."""
    return _call(ndtri_p, y)


def log_ndtr(x):
    """`scipy.special.log_ndtr`: log of the normal CDF, finite (with finite derivatives) far in
    the lower tail.

    The first two derivatives are accurate to 1e-9 (relative) down to x = -40;
    higher ones lose digits in the far lower tail, where each order cancels
    nearly equal terms: the third derivative is off by 4e-9 at x = -10, 1e-6 at
    -20 and 3e-4 at -40 (the fourth by 1e-7, 1e-4 and 14%).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> float(fsp.log_ndtr(-40.0))
        -804.60844201375...
        >>> float(fd.grad(fsp.log_ndtr)(-40.0))
        40.02496884...

        ```
    """
    return _call(log_ndtr_p, x)


def expit(x):
    """`scipy.special.expit` (logistic sigmoid); derivative `expit(x) * (1 - expit(x))`."""
    return _call(expit_p, x)


def logit(x):
    """`scipy.special.logit` (log(x / (1 - x))); derivative `1 / (x (1 - x))`."""
    return _call(logit_p, x)


def log_expit(x):
    """`scipy.special.log_expit` (log of the sigmoid, stable); derivative `expit(-x)`."""
    return _call(log_expit_p, x)


def i0(x):
    """`scipy.special.i0` (modified Bessel function of order 0); derivative `i1(x)`."""
    return _call(i0_p, x)


def i1(x):
    """`scipy.special.i1`; derivative `(i0(x) + iv(2, x)) / 2`."""
    return _call(i1_p, x)


def iv(v, z):
    """`scipy.special.iv`; derivative in `z` by recurrence, in the order `v` numerical."""
    return _call(iv_p, v, z)


def ive(v, z):
    """`scipy.special.ive` (iv(v, z) exp(-|z|)); derivatives as for `iv`."""
    return _call(ive_p, v, z)


def j0(x):
    """`scipy.special.j0` (Bessel function of the first kind, order 0); derivative `-j1(x)`."""
    return _call(j0_p, x)


def j1(x):
    """`scipy.special.j1`; derivative `(j0(x) - jn(2, x)) / 2`."""
    return _call(j1_p, x)


def jv(v, z):
    """`scipy.special.jv` (real order `v`); derivative in `z` by recurrence, in `v` numerical."""
    return _call(jv_p, v, z)


def jn(n, x):
    """`scipy.special.jn` (integer order `n`, no derivative in `n`).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> float(fd.grad(fsp.jn, argnums=1)(2, 1.5))  # (jn(1, 1.5) - jn(3, 1.5)) / 2
        0.24848627...

        ```
    """
    return _call(jn_p, n, x)


def y0(x):
    """`scipy.special.y0` (Bessel function of the second kind, order 0); derivative `-y1(x)`."""
    return _call(y0_p, x)


def y1(x):
    """`scipy.special.y1`; derivative `(y0(x) - yn(2, x)) / 2`."""
    return _call(y1_p, x)


def yn(n, x):
    """`scipy.special.yn` (integer order `n`, no derivative in `n`)."""
    return _call(yn_p, n, x)


def xlogy(x, y):
    """`scipy.special.xlogy`: `x * log(y)`, 0 where `x == 0` (even for `y == 0`).

    Derivatives `log(y)` and `x / y`; both are 0 at `x == y == 0`, and the
    one in `y` is 0 wherever `x == 0`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> float(fd.grad(lambda p: fsp.xlogy(p, p))(0.0))
        0.0

        ```
    """
    return _call(xlogy_p, x, y)


def xlog1py(x, y):
    """`scipy.special.xlog1py`: `x * log1p(y)`, 0 where `x == 0`; derivatives as for `xlogy`."""
    return _call(xlog1py_p, x, y)


def entr(x):
    """`scipy.special.entr`: `-x log x` (0 at 0, -inf below); derivative `-(log x + 1)`, 0 at 0."""
    return _call(entr_p, x)


def rel_entr(x, y):
    """`scipy.special.rel_entr`: `x log(x / y)`; derivatives `log(x/y) + 1`, `-x/y` (0 at x=0)."""
    return _call(rel_entr_p, x, y)


def kl_div(x, y):
    """`scipy.special.kl_div`: `x log(x / y) - x + y`; derivatives `log(x/y)`, `1 - x/y`."""
    return _call(kl_div_p, x, y)


def zeta(x, q=None):
    """`scipy.special.zeta`: Riemann zeta `zeta(x)` or Hurwitz zeta `zeta(x, q)`.

    The derivative in `q` is `-x * zeta(x + 1, q)`; in the exponent `x` it is
    numerical (module docstring).
    """
    if q is None:
        return _call(riemann_zeta_p, x)
    return _call(hurwitz_zeta_p, x, q)


# -- compositions ------------------------------------------------------------------------------
@numpy_outside_transforms(sc.multigammaln)
def multigammaln(a, d):
    """`scipy.special.multigammaln`: log of the multivariate gamma function of dimension `d`.

    `sum_{j<d} gammaln(a - j/2) + d (d-1)/4 log(pi)`; `d` is a static int.
    """
    if int(d) != d or d < 0:
        raise ValueError("d should be a positive integer (dimension)")
    d = int(d)
    a = fe.astype(_arg(a), np.result_type(dtype_of(a), np.float64))
    res = d * (d - 1) * 0.25 * np.log(np.pi)
    for j in range(d):
        res = res + gammaln(a - 0.5 * j)
    return res


def _max_shift(a, axes, mask):
    """The max of `a` over `axes` (kept), over the entries where `mask`; 0 if not finite."""
    real = fe.real(a) if np.dtype(dtype_of(a)).kind == "c" else a
    if mask is not None:
        real = _where(mask, real, -np.inf)
    m = fr.max(real, axis=axes, keepdims=True)
    return _where(fe.isfinite(m), m, 0.0)


@numpy_outside_transforms(sc.logsumexp)
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """`scipy.special.logsumexp`: `log(sum(b * exp(a), axis))`, computed stably.

    The maximum `m` of `a` is subtracted before exponentiating and added back:
    `m + log(sum(b * exp(a - m)))`. `m` is not `stop_gradient`-ed: its
    derivative cancels exactly (the result does not depend on it), so the
    derivative is `b * exp(a - out)` (a softmax) at every order, finite for
    inputs like +-1000. With `return_sign`, returns `(log|sum|, sign(sum))`;
    otherwise a negative sum gives NaN, as in SciPy.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd, funcdiff.scipy.special as fsp
        >>> float(fsp.logsumexp(np.array([1000.0, -1000.0])))
        1000.0
        >>> fd.grad(fsp.logsumexp)(np.array([1000.0, -1000.0])).tolist()
        [1.0, 0.0]

        ```
    """
    a = _arg(a)
    dt = np.result_type(dtype_of(a), np.float16) if b is None else np.result_type(
        dtype_of(a), dtype_of(_arg(b)), np.float16
    )
    a = fe.astype(a, dt)
    if b is not None:
        b = fe.astype(_arg(b), dt)
        shape = np.broadcast_shapes(shape_of(a), shape_of(b))
        a, b = fs.broadcast_to(a, shape), fs.broadcast_to(b, shape)
    if not shape_of(a):
        a = fs.reshape(a, (1,))
        b = fs.reshape(b, (1,)) if b is not None else None
    nd = len(shape_of(a))
    axes = fr.normalize_axes(axis, nd)
    if any(shape_of(a)[i] == 0 for i in axes):
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape_of(a)))
        out = np.full(kept, -np.inf, dt)
        if not keepdims:
            out = out.reshape([n for i, n in enumerate(kept) if i not in axes])[()]
        return (out, np.sign(out)) if return_sign else out
    mask = None
    if b is not None:
        mask = fe.not_equal(b, 0)
    m = _max_shift(a, axes, mask)
    shifted = a - m
    if mask is not None:
        # terms with b == 0 add nothing, even where exp(a - m) would overflow
        real_shift = fe.real(shifted) if dt.kind == "c" else shifted
        keep = fe.logical_or(mask, fe.less_equal(real_shift, 0))
        terms = b * fe.exp(_where(keep, shifted, np.zeros((), dt)))
    else:
        terms = fe.exp(shifted)
    s = fr.sum(terms, axis=axes, keepdims=True)
    if return_sign:
        if dt.kind == "c":
            mag = fe.abs(s)
            sgn = s / _where(fe.equal(mag, 0), 1.0, mag)
        else:
            sgn = fe.sign(s)
        s = fe.abs(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = fe.log(s) + m
    if return_sign and dt.kind == "c":
        out = fe.real(out)
    if not keepdims:
        out = fs.squeeze(out, axis=axes)
        if return_sign:
            sgn = fs.squeeze(sgn, axis=axes)
    return (out, sgn) if return_sign else out


@numpy_outside_transforms(sc.softmax)
def softmax(x, axis=None):
    """`scipy.special.softmax`: `exp(x - logsumexp(x, axis))`, stable at any magnitude.

    Example:
        ```python
        >>> import numpy as np, funcdiff.scipy.special as fsp
        >>> fsp.softmax(np.array([1000.0, 0.0])).tolist()
        [1.0, 0.0]

        ```
    """
    x = _arg(x)
    return fe.exp(x - logsumexp(x, axis=axis, keepdims=True))


@numpy_outside_transforms(sc.log_softmax)
def log_softmax(x, axis=None):
    """`scipy.special.log_softmax`: `x - logsumexp(x, axis)`, stable at any magnitude."""
    x = _arg(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


# == issue #16: more of scipy.special ========================================================
__all__ += [
    "bernoulli", "bessel_jn", "boxcox", "boxcox1p", "comb", "dawsn", "erfcx", "exp1", "expi",
    "expn", "factorial", "fresnel", "hyp1f1", "hyp2f1", "i0e", "i1e", "owens_t", "poch", "sici",
    "spence", "sph_harm_y", "wofz",
]

_INV_2PI = float(1.0 / (2.0 * np.pi))


def _const(value, like):
    """`value` as a 0-d array of `like`'s (inexact) dtype."""
    dt = dtype_of(like)
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    return np.asarray(value, dt)


# -- scaled error functions, exponential integrals, Fresnel and sine/cosine integrals ---------
def _sici_si_d(o, x):
    # sin(x) / x, 1 at 0 (numpy's sinc is sin(pi t) / (pi t))
    return fe.sinc(x / np.pi)


def _sici_ci_d(o, x):
    return fe.cos(x) / x


def _spence_d(o, z):
    # log(z) / (1 - z) = -log1p(u) / u with u = z - 1; near u = 0 (-1 at z == 1) by the
    # series -(1 - u/2 + u**2/3 - ...), so that higher derivatives are right there too
    u = z - 1.0
    small = fe.less(fe.abs(u), 0.01)
    us = _where(small, u, _const(0.0, u))
    series = _const(0.0, u)
    for k in range(9, 0, -1):
        series = series * us + (-1.0) ** k / k  # -sum_k (-u)**(k-1) / k
    ub = _where(small, _const(1.0, u), u)
    return _where(small, series, fe.negative(fe.log1p(ub) / ub))


def _i1e_d(o, x):
    # i0e(x) - i1e(x)/x - sign(x) i1e(x); 1/2 at 0
    zero = fe.equal(x, 0)
    xs = _safe(fe.logical_not(zero), x)
    return _where(zero, _const(0.5, x), i0e(xs) - i1e(xs) / xs - fe.sign(xs) * i1e(xs))


def _expn_dx(o, n, x):
    # -expn(n - 1, x); for n == 0 (expn(0, x) = exp(-x)/x): -exp(-x) (x + 1) / x**2
    n0 = fe.less_equal(n, 0)
    ns = _where(n0, np.asarray(1, dtype_of(n)), n)
    below = fe.negative(expn(fe.subtract(ns, 1), x))
    return _where(n0, fe.negative(fe.exp(fe.negative(x)) * (x + 1.0) / (x * x)), below)


erfcx_p = elementwise("erfcx", sc.erfcx, lambda o, x: 2.0 * x * o - 2.0 / _SQRT_PI)
dawsn_p = elementwise("dawsn", sc.dawsn, lambda o, x: 1.0 - 2.0 * x * o)
exp1_p = elementwise(
    "exp1", sc.exp1, lambda o, x: fe.negative(fe.exp(fe.negative(x)) / x), safe=True
)
expi_p = elementwise("expi", sc.expi, lambda o, x: fe.exp(x) / x, safe=True)
expn_p = elementwise("expn", sc.expn, None, _expn_dx, safe=True)
i0e_p = elementwise("i0e", sc.i0e, lambda o, x: i1e(x) - fe.sign(x) * o)
i1e_p = elementwise("i1e", sc.i1e, _i1e_d)
# the two outputs of the ufuncs `fresnel` and `sici`, one primitive each (same dtype rule)
fresnel_s_p = elementwise(
    "fresnel_s", lambda z: sc.fresnel(z)[0],
    lambda o, z: fe.sin((0.5 * np.pi) * (z * z)), dtype=sc.fresnel,
)
fresnel_c_p = elementwise(
    "fresnel_c", lambda z: sc.fresnel(z)[1],
    lambda o, z: fe.cos((0.5 * np.pi) * (z * z)), dtype=sc.fresnel,
)
sici_si_p = elementwise("sici_si", lambda x: sc.sici(x)[0], _sici_si_d, dtype=sc.sici)
sici_ci_p = elementwise("sici_ci", lambda x: sc.sici(x)[1], _sici_ci_d, dtype=sc.sici, safe=True)
spence_p = elementwise("spence", sc.spence, _spence_d, safe=True)
wofz_p = elementwise(
    "wofz", sc.wofz, lambda o, z: -2.0 * z * o + 2j / _SQRT_PI
)


# -- hypergeometric functions, Pochhammer symbol, Owen's T ------------------------------------
def _hyp1f1_dx(o, a, b, x):
    return a / b * hyp1f1(a + 1.0, b + 1.0, x)


def _hyp2f1_dx(o, a, b, c, x):
    return a * b / c * hyp2f1(a + 1.0, b + 1.0, c + 1.0, x)


hyp1f1_p = elementwise(
    "hyp1f1",
    sc.hyp1f1,
    lambda o, a, b, x: _numerical_partial(hyp1f1, (a, b, x), 0, _step_any),
    lambda o, a, b, x: _numerical_partial(hyp1f1, (a, b, x), 1, _step_any),
    _hyp1f1_dx,
)
hyp2f1_p = elementwise(
    "hyp2f1",
    sc.hyp2f1,
    lambda o, a, b, c, x: _numerical_partial(hyp2f1, (a, b, c, x), 0, _step_any),
    lambda o, a, b, c, x: _numerical_partial(hyp2f1, (a, b, c, x), 1, _step_any),
    lambda o, a, b, c, x: _numerical_partial(hyp2f1, (a, b, c, x), 2, _step_any),
    _hyp2f1_dx,
)
poch_p = elementwise(
    "poch",
    sc.poch,
    lambda o, z, m: o * (digamma(z + m) - digamma(z)),
    lambda o, z, m: o * digamma(z + m),
    safe=True,
)


def _owens_t_dh(o, h, a):
    # -phi(h) erf(a h / sqrt 2) / 2
    return -0.5 * fe.exp(-0.5 * (h * h)) / _SQRT_2PI * erf(a * h / np.sqrt(2.0))


def _owens_t_da(o, h, a):
    q = 1.0 + a * a
    return fe.exp(-0.5 * (h * h) * q) * _INV_2PI / q


owens_t_p = elementwise("owens_t", sc.owens_t, _owens_t_dh, _owens_t_da)


# -- Box-Cox transforms -------------------------------------------------------------------------
def _boxcox_g(t):
    """d/dt (expm1(t) / t) = (t e**t - expm1(t)) / t**2, by its Taylor series near 0
    (sum_k k t**(k-1) / (k+1)!), so that d/dlmbda stays accurate as lmbda -> 0."""
    small = fe.less(fe.abs(t), 0.1)
    ts = _where(small, t, _const(0.0, t))
    series = _const(0.0, t)
    for k in range(13, 0, -1):  # Horner, k = 13 .. 1
        series = series * ts + float(k / np.prod(np.arange(1, k + 2, dtype=np.float64)))
    tb = _where(small, _const(1.0, t), t)
    closed = (tb * fe.exp(tb) - fe.expm1(tb)) / (tb * tb)
    return _where(small, series, closed)


def _boxcox_dl(y, lmbda):
    # boxcox = y expm1(lmbda y) / (lmbda y) with y = log x: d/dlmbda = y**2 g(lmbda y)
    return y * y * _boxcox_g(lmbda * y)


boxcox_p = elementwise(
    "boxcox",
    sc.boxcox,
    lambda o, x, lmbda: fe.power(x, lmbda - 1.0),
    lambda o, x, lmbda: _boxcox_dl(fe.log(x), lmbda),
    safe=True,
)
boxcox1p_p = elementwise(
    "boxcox1p",
    sc.boxcox1p,
    lambda o, x, lmbda: fe.power(1.0 + x, lmbda - 1.0),
    lambda o, x, lmbda: _boxcox_dl(fe.log1p(x), lmbda),
    safe=True,
)

# -- binomial coefficient (for comb) --------------------------------------------------------------
binom_p = elementwise(
    "binom",
    sc.binom,
    lambda o, n, k: o * (digamma(n + 1.0) - digamma(n - k + 1.0)),
    lambda o, n, k: o * (digamma(n - k + 1.0) - digamma(k + 1.0)),
    safe=True,
)


# -- spherical harmonics -------------------------------------------------------------------
def _sph_ladder(F, n, m, theta, phi):
    """d/dtheta of Y_n^m from the neighbouring orders (ladder operators, no cot(theta)):
    (sqrt((n-m)(n+m+1)) e**-i phi F(n, m+1) - sqrt((n+m)(n-m+1)) e**i phi F(n, m-1)) / 2,
    for F = Y or any theta-derivative of Y."""
    up = fe.sqrt(fe.maximum(fe.astype((n - m) * (n + m + 1), np.float64), 0.0))
    down = fe.sqrt(fe.maximum(fe.astype((n + m) * (n - m + 1), np.float64), 0.0))
    e = fe.exp(1j * phi)
    return 0.5 * (up * fe.conj(e) * F(n, fe.add(m, 1), theta, phi)
                  - down * e * F(n, fe.subtract(m, 1), theta, phi))


def _sph_dphi(o, n, m, theta, phi):
    return 1j * fe.astype(m, np.float64) * o


def _sph_dtheta(n, m, theta, phi):
    return _call(sph_harm_y_dtheta_p, n, m, theta, phi)


def _sph_int(x):
    # the primitives take real-typed degrees/orders too (the public function checks that
    # they are integers): SciPy's multi-ufunc has integer loops only
    x = np.asarray(x)
    return x.astype(np.int64) if x.dtype.kind == "f" else x


def _sph_y_impl(n, m, theta, phi):
    return sc.sph_harm_y(_sph_int(n), _sph_int(m), theta, phi)


def _sph_dtheta_impl(n, m, theta, phi):
    return sc.sph_harm_y(_sph_int(n), _sph_int(m), theta, phi, diff_n=1)[1][..., 0]


# Y_n^m(theta, phi) and its theta-derivative (SciPy's `diff_n=1` value), whose own theta-
# derivative comes from the ladder relation; SciPy's multi-ufunc's dtype from running it
sph_harm_y_p = elementwise(
    "sph_harm_y", _sph_y_impl, None, None,
    lambda o, n, m, theta, phi: _sph_dtheta(n, m, theta, phi),
    _sph_dphi,
    dtype=dtype_by_running(_sph_y_impl),
)
sph_harm_y_dtheta_p = elementwise(
    "sph_harm_y_dtheta", _sph_dtheta_impl, None, None,
    lambda o, n, m, theta, phi: _sph_ladder(_sph_dtheta, n, m, theta, phi),
    _sph_dphi,
    dtype=dtype_by_running(_sph_dtheta_impl),
)


# -- public functions --------------------------------------------------------------------
def erfcx(x):
    """`scipy.special.erfcx` (exp(x**2) erfc(x)); derivative `2 x erfcx(x) - 2/sqrt(pi)`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> float(fd.grad(fsp.erfcx)(30.0))  # finite where exp(x**2) overflows
        -0.00062583...

        ```
    """
    return _call(erfcx_p, x)


def dawsn(x):
    """`scipy.special.dawsn` (Dawson's integral); derivative `1 - 2 x dawsn(x)`."""
    return _call(dawsn_p, x)


def exp1(z):
    """`scipy.special.exp1` (E1, the exponential integral); derivative `-exp(-z) / z`."""
    return _call(exp1_p, z)


def expi(x):
    """`scipy.special.expi` (Ei, the exponential integral); derivative `exp(x) / x`."""
    return _call(expi_p, x)


def expn(n, x):
    """`scipy.special.expn` (generalized exponential integral E_n, integer `n`).

    The derivative in `x` is `-expn(n - 1, x)` (`-exp(-x) (x + 1) / x**2` for
    `n = 0`); the integer order `n` has none (zero).
    """
    return _call(expn_p, n, x)


def i0e(x):
    """`scipy.special.i0e` (i0(x) exp(-|x|)); derivative `i1e(x) - sign(x) i0e(x)` (0 at 0)."""
    return _call(i0e_p, x)


def i1e(x):
    """`scipy.special.i1e` (i1(x) exp(-|x|)); derivative `i0e - i1e/x - sign(x) i1e` (1/2 at 0)."""
    return _call(i1e_p, x)


def fresnel(z):
    """`scipy.special.fresnel`: the Fresnel integrals `(S(z), C(z))`.

    Derivatives `S' = sin(pi z**2 / 2)`, `C' = cos(pi z**2 / 2)`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> [float(d) for d in fd.jacfwd(fsp.fresnel)(1.0)]  # sin(pi/2), cos(pi/2)
        [1.0, 6.12...e-17]

        ```
    """
    if not _state.stack:
        return sc.fresnel(z)
    return _call(fresnel_s_p, z), _call(fresnel_c_p, z)


def sici(x):
    """`scipy.special.sici`: the sine and cosine integrals `(Si(x), Ci(x))`.

    Derivatives `Si' = sin(x) / x` (1 at 0) and `Ci' = cos(x) / x`.
    """
    if not _state.stack:
        return sc.sici(x)
    return _call(sici_si_p, x), _call(sici_ci_p, x)


def spence(z):
    """`scipy.special.spence` (dilogarithm, `int_1^z log(t) / (1 - t) dt`); derivative
    `log(z) / (1 - z)` (-1 at z = 1)."""
    return _call(spence_p, z)


def wofz(z):
    """`scipy.special.wofz` (Faddeeva function, complex); derivative `-2 z wofz(z) + 2i/sqrt(pi)`.

    Holomorphic: `fd.grad(f, holomorphic=True)` gives the complex derivative,
    `jvp`/`vjp` follow funcdiff's (JAX's) complex convention.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> complex(fd.grad(fsp.wofz, holomorphic=True)(0.5 + 0.5j))
        (-0.30266847...+0.36473422...j)

        ```
    """
    return _call(wofz_p, z)


def hyp1f1(a, b, x):
    """`scipy.special.hyp1f1` (confluent hypergeometric 1F1).

    The derivative in `x` is `a/b hyp1f1(a+1, b+1, x)`; in `a` and `b` it is
    numerical (module docstring).
    """
    return _call(hyp1f1_p, a, b, x)


def hyp2f1(a, b, c, z):
    """`scipy.special.hyp2f1` (Gauss hypergeometric 2F1).

    The derivative in `z` is `ab/c hyp2f1(a+1, b+1, c+1, z)`; in `a`, `b`, `c`
    it is numerical (module docstring).
    """
    return _call(hyp2f1_p, a, b, c, z)


def poch(z, m):
    """`scipy.special.poch` (Gamma(z + m) / Gamma(z)); derivatives `poch (digamma(z+m) -
    digamma(z))` in `z`, `poch digamma(z+m)` in `m`.

    Where `z` or `z + m` is a pole of digamma (0, -1, -2, ...) the formulas give
    NaN derivatives (not the limits).
    """
    return _call(poch_p, z, m)


def owens_t(h, a):
    """`scipy.special.owens_t` (Owen's T function).

    Derivatives `-phi(h) erf(a h / sqrt 2) / 2` in `h` (phi: the normal
    density) and `exp(-h**2 (1 + a**2) / 2) / (2 pi (1 + a**2))` in `a`.
    """
    return _call(owens_t_p, h, a)


def boxcox(x, lmbda):
    """`scipy.special.boxcox`: `(x**lmbda - 1) / lmbda` (`log(x)` at `lmbda = 0`).

    Derivatives `x**(lmbda - 1)` in `x` and `(lmbda x**lmbda log x - x**lmbda + 1)
    / lmbda**2` in `lmbda`, the latter as `log(x)**2 g(lmbda log x)` with `g` by
    its Taylor series near 0, so it is accurate as `lmbda -> 0` (`log(x)**2 / 2`
    there).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd, funcdiff.scipy.special as fsp
        >>> float(fd.grad(fsp.boxcox, argnums=1)(2.0, 0.0)), float(np.log(2.0) ** 2 / 2)
        (0.2402265069591007, 0.2402265069591007)

        ```
    """
    return _call(boxcox_p, x, lmbda)


def boxcox1p(x, lmbda):
    """`scipy.special.boxcox1p`: `boxcox(1 + x, lmbda)`, accurate for small `x`; derivatives
    as for `boxcox` with `log1p(x)` for `log(x)`."""
    return _call(boxcox1p_p, x, lmbda)


def _exact_traced(name, arg):
    return TypeError(
        f"funcdiff.scipy.special.{name}(..., exact=True) computes Python integers, which have "
        f"no derivative: `{arg}` is traced. Call it with exact=False (gamma-based, "
        "differentiable) or on concrete integers."
    )


@numpy_outside_transforms(sc.comb, unless_traced=True)
def comb(N, k, *, exact=False, repetition=False):
    """`scipy.special.comb` (N choose k); with exact=False the gamma-based `binom(N, k)`.

    The derivatives are those of `binom(N, k) = Gamma(N+1) / (Gamma(k+1)
    Gamma(N-k+1))`: `binom (digamma(N+1) - digamma(N-k+1))` in `N` and `binom
    (digamma(N-k+1) - digamma(k+1))` in `k`; zero where SciPy returns the
    constant 0 (k > N, N < 0 or k < 0) or 1 (`repetition` with k = 0).
    `exact=True` returns SciPy's Python int and cannot be traced (TypeError).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> float(fsp.comb(5.0, 2.0)), float(fd.grad(fsp.comb)(5.0, 2.0))  # 10 (H_5 - H_3)
        (10.0, 4.50000000...)

        ```
    """
    if exact:
        raise _exact_traced("comb", "N` or `k")
    N, k = _arg(N), _arg(k)
    if repetition:
        vals = _call(binom_p, N + k - 1, k)
        one = fe.logical_and(fe.equal(k, 0), fe.greater_equal(N, 0))
        return _where(one, _const(1.0, vals), vals)
    ok = fe.logical_and(fe.logical_and(fe.less_equal(k, N), fe.greater_equal(N, 0)),
                        fe.greater_equal(k, 0))
    vals = _call(binom_p, _safe(ok, N, 1.0), _safe(ok, k, 0.0))
    return _where(ok, vals, _const(0.0, vals))


@numpy_outside_transforms(sc.factorial, unless_traced=True)
def factorial(n, exact=False, extend="zero"):
    """`scipy.special.factorial`; with exact=False `gamma(n + 1)`, derivative
    `gamma(n + 1) digamma(n + 1)`.

    With `extend='zero'` (SciPy's default) negative `n` give 0 (derivative 0);
    with `extend='complex'` it is `gamma(n + 1)` everywhere (NaN at -1, as in
    SciPy). `exact=True` returns SciPy's Python ints and cannot be traced
    (TypeError).
    """
    if exact:
        raise _exact_traced("factorial", "n")
    if extend not in ("zero", "complex"):
        raise ValueError(
            f"argument `extend` must be either 'zero' or 'complex', received: {extend}")
    n = _arg(n)
    if dtype_of(n).kind == "c" and extend != "complex":
        raise ValueError("funcdiff.scipy.special.factorial: complex `n` needs extend='complex'")
    dt = np.result_type(dtype_of(n), np.float64 if shape_of(n) or dtype_of(n).kind in "iub"
                        else np.float16)
    n = fe.astype(n, dt)
    if extend == "complex":
        bad = fe.equal(n, -1)
        return _where(bad, _const(np.nan, n), gamma(_safe(fe.logical_not(bad), n, 0.0) + 1.0))
    ok = fe.greater_equal(n, 0)
    vals = gamma(_safe(ok, n, 0.0) + 1.0)
    return _where(ok, vals, _where(fe.isnan(n), n, _const(0.0, n)))


def bernoulli(n):
    """`scipy.special.bernoulli`: the Bernoulli numbers B_0 .. B_n (an integer `n`, no array
    to differentiate).

    Example:
        ```python
        >>> import funcdiff.scipy.special as fsp
        >>> [round(float(b), 8) for b in fsp.bernoulli(4)]
        [1.0, -0.5, 0.16666667, 0.0, -0.03333333]

        ```
    """
    if isinstance(n, Tracer):
        raise TypeError(
            "funcdiff.scipy.special.bernoulli(n): `n` is an integer count, not a value to "
            "trace; pass a Python int")
    return sc.bernoulli(n)


def _bessel_order(v, n_iter):
    if isinstance(v, Tracer) or int(v) != v or v < 0:
        raise ValueError(
            f"funcdiff.scipy.special.bessel_jn: `v` must be a non-negative Python int, got {v!r}")
    if isinstance(n_iter, Tracer) or int(n_iter) != n_iter or n_iter < 1:
        raise ValueError(
            f"funcdiff.scipy.special.bessel_jn: `n_iter` must be a positive int, got {n_iter!r}")
    return int(v)


def _bessel_jn_scipy(z, *, v, n_iter=50):
    v = _bessel_order(v, n_iter)
    z = np.asarray(z)
    return sc.jv(np.arange(v + 1).reshape((-1,) + (1,) * z.ndim), z)


@numpy_outside_transforms(_bessel_jn_scipy, unless_traced=True)
def bessel_jn(z, *, v, n_iter=50):
    """`jax.scipy.special.bessel_jn`: J_0(z) .. J_v(z) stacked on a new leading axis.

    The values are SciPy's `jv` (`n_iter`, the length of JAX's recurrence, is
    accepted and checked but not used); the derivative in `z` is the recurrence
    `J_k' = (J_{k-1} - J_{k+1}) / 2` (`J_{-1} = -J_1`), to any order.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd, funcdiff.scipy.special as fsp
        >>> fsp.bessel_jn(np.array([1.0, 2.0]), v=2).shape
        (3, 2)
        >>> float(fd.grad(lambda z: fsp.bessel_jn(z, v=1)[0])(1.0))  # -J_1(1)
        -0.44005058...

        ```
    """
    v = _bessel_order(v, n_iter)
    z = _arg(z)
    orders = np.arange(v + 1).reshape((-1,) + (1,) * len(shape_of(z)))
    return _call(jv_p, orders, z)


def _integer_degree(name, x):
    if dtype_of(x).kind not in "iub":
        raise TypeError(
            f"funcdiff.scipy.special.sph_harm_y: `{name}` is an integer degree/order "
            f"(dtype {dtype_of(x)}), with no derivative; pass integers")


@numpy_outside_transforms(sc.sph_harm_y, unless_traced=True)
def sph_harm_y(n, m, theta, phi, *, diff_n=0):
    """`scipy.special.sph_harm_y`: the spherical harmonic Y_n^m(theta, phi) (complex).

    Derivatives: `d/dphi = i m Y`; `d/dtheta` is SciPy's own (`diff_n=1`), and
    its theta-derivative the ladder relation `(sqrt((n-m)(n+m+1)) e**-i phi
    Y_n^{m+1} - sqrt((n+m)(n-m+1)) e**i phi Y_n^{m-1}) / 2` applied to it (no
    cot(theta): finite at the poles). The integer `n`, `m` have no derivative.
    With `diff_n=1`/`2` also returns the gradient `[..., (theta, phi)]`
    (and the Hessian `[..., 2, 2]`) as SciPy does, differentiable too.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.scipy.special as fsp
        >>> d = fd.jacfwd(lambda p: fsp.sph_harm_y(2, 1, 0.7, p))(0.4)
        >>> bool(abs(d - 1j * fsp.sph_harm_y(2, 1, 0.7, 0.4)) < 1e-15)
        True

        ```
    """
    if diff_n not in (0, 1, 2):
        raise ValueError(f"funcdiff.scipy.special.sph_harm_y: diff_n must be 0, 1 or 2, "
                         f"got {diff_n!r}")
    n, m, theta, phi = _arg(n), _arg(m), _arg(theta), _arg(phi)
    _integer_degree("n", n)
    _integer_degree("m", m)
    y = _call(sph_harm_y_p, n, m, theta, phi)
    if diff_n == 0:
        return y
    im = 1j * fe.astype(m, np.float64)
    yt = _sph_dtheta(n, m, theta, phi)
    shape = shape_of(y)
    yt = fs.broadcast_to(fe.astype(yt, dtype_of(y)), shape)
    yp = fs.broadcast_to(fe.astype(im * y, dtype_of(y)), shape)
    jac = fs.stack([yt, yp], axis=-1)
    if diff_n == 1:
        return y, jac
    ytt = fs.broadcast_to(fe.astype(_sph_ladder(_sph_dtheta, n, m, theta, phi), dtype_of(y)),
                          shape)
    ytp = fs.broadcast_to(fe.astype(im * yt, dtype_of(y)), shape)
    ypp = fs.broadcast_to(fe.astype(im * yp, dtype_of(y)), shape)
    hess = fs.stack([fs.stack([ytt, ytp], axis=-1), fs.stack([ytp, ypp], axis=-1)], axis=-2)
    return y, jac, hess
