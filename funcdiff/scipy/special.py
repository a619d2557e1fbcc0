"""`scipy.special`, differentiable: `import funcdiff.scipy.special as fsp`.

Outside transforms each function calls SciPy, so values (and dtypes: SciPy
keeps float32 for most of these) are exactly SciPy's. Inside transforms the
elementwise functions are primitives whose NumPy implementation is the SciPy
ufunc, declared with `elementwise(name, impl, *partials)`: one partial
derivative per argument, written with funcdiff operations (mostly other
functions of this module), so derivatives of any order and vmap work.
`logsumexp`, `softmax`, `log_softmax` and `multigammaln` are compositions.

Derivatives:

- closed forms where they exist (`digamma' = polygamma(1, .)`, Bessel
  recurrences `iv'(v, x) = (iv(v-1, x) + iv(v+1, x)) / 2`, `d/dx gammainc(a, x)
  = x**(a-1) e**-x / Gamma(a)`, `d/dq zeta(x, q) = -x zeta(x+1, q)`, ...);
- integer orders (`n` of `polygamma`, `jn`, `yn`) have no derivative (zero);
- derivatives with respect to parameters that have no closed form (`a` of
  `gammainc`/`gammaincc`, `a` and `b` of `betainc`/`betaincc`, the order `v`
  of `iv`/`ive`, the exponent `x` of `zeta`, `df` of `stdtr`) are computed
  numerically: a five-point central difference of the SciPy function itself
  (relative error about 1e-10 in float64), with the step scaled to the
  parameter and taken on whichever of P/Q (I/1-I) is smaller so that tails
  keep their relative accuracy. The difference is built from funcdiff
  operations, so it can be differentiated again (each order loses about
  three digits).
- `xlogy`, `xlog1py`, `entr`, `rel_entr`, `kl_div` at `x == 0`: the value is
  SciPy's (0 even where the log is -inf) and the derivative in `x` there is 0,
  as for JAX's `where`-based definitions.
"""

from funcdiff._src.scipy.special import *  # noqa: F403
from funcdiff._src.scipy.special import __all__  # noqa: F401
