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
expit_p = elementwise("expit", sc.expit, lambda o, x: o * (1.0 - o))
logit_p = elementwise("logit", sc.logit, lambda o, x: fe.reciprocal(x * (1.0 - x)), safe=True)
log_expit_p = elementwise("log_expit", sc.log_expit, lambda o, x: expit(fe.negative(x)))

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


xlogy_p = elementwise("xlogy", sc.xlogy, _xlogy_dx, _xlogy_dy, safe=True)
xlog1py_p = elementwise("xlog1py", sc.xlog1py, _xlog1py_dx, _xlog1py_dy, safe=True)


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
