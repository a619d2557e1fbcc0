"""`scipy.special`, differentiable: `import funcdiff.scipy.special as fsp`.

Outside transforms each function calls SciPy, so values (and dtypes: SciPy
keeps float32 for most of these) are exactly SciPy's. Inside transforms the
elementwise functions are primitives whose NumPy implementation is the SciPy
ufunc, declared with `elementwise(name, impl, *partials)`: one partial
derivative per argument, written with funcdiff operations (mostly other
functions of this module), so derivatives of any order and vmap work.
`logsumexp`, `softmax`, `log_softmax` and `multigammaln` are compositions, as
are `comb` and `factorial` (exact=False: gamma-based, SciPy's values; exact=True
returns SciPy's Python ints and raises a TypeError when traced), `bessel_jn` (JAX's:
`J_0 .. J_v` stacked on a new leading axis, SciPy's `jv` values) and `sph_harm_y`'s
`diff_n` outputs. `fresnel` and `sici` return a pair, one primitive per output.
`bernoulli` is SciPy's (an integer in, no array to differentiate).

Derivatives:

- closed forms where they exist (`digamma' = polygamma(1, .)`, Bessel
  recurrences `iv'(v, x) = (iv(v-1, x) + iv(v+1, x)) / 2`, `d/dx gammainc(a, x)
  = x**(a-1) e**-x / Gamma(a)`, `d/dq zeta(x, q) = -x zeta(x+1, q)`, ...);
- closed forms of issue #16's functions: `erfcx' = 2x erfcx - 2/sqrt(pi)`,
  `dawsn' = 1 - 2x dawsn`, `exp1' = -e**-x/x`, `expi' = e**x/x`, `d/dx expn(n, x)
  = -expn(n-1, x)`, `i0e' = i1e - sign(x) i0e`, `i1e' = i0e - i1e/x - sign(x) i1e`
  (1/2 at 0), Fresnel `S' = sin(pi x**2/2)`, `C' = cos(pi x**2/2)`, `Si' =
  sin(x)/x`, `Ci' = cos(x)/x`, `spence' = log(z)/(1-z)` (a series near z = 1),
  `wofz' = -2z wofz + 2i/sqrt(pi)`, `d/dx hyp1f1 = a/b hyp1f1(a+1, b+1, x)`, `d/dz
  hyp2f1 = ab/c hyp2f1(a+1, b+1, c+1, z)`, `poch` through digamma, Owen's T in `h`
  and `a`, `boxcox`/`boxcox1p` in `x` (`x**(l-1)`) and in `lmbda` (`log(x)**2 g(lmbda
  log x)`, `g` by its Taylor series near 0: accurate as lmbda -> 0), `comb` through
  `binom`'s digamma form (zero where SciPy returns the constant 0), `factorial =
  gamma(n+1)`, `bessel_jn` by `J_k' = (J_{k-1} - J_{k+1})/2`, `sph_harm_y`: `d/dphi
  = i m Y`, `d/dtheta` SciPy's `diff_n=1` value and, beyond, the ladder relation
  (no cot(theta); at the poles the one-sided derivative from inside [0, pi]).
  The complex functions (`wofz`, and `erfcx`, `dawsn`, `exp1`, `expi`, `spence`,
  `fresnel`, `sici`, `hyp1f1` of complex arguments) are holomorphic: the
  derivative is the complex one, `grad(..., holomorphic=True)` as in JAX;
- integer orders (`n` of `polygamma`, `jn`, `yn`, `expn`; `n`, `m` of
  `sph_harm_y`, which must be integers inside transforms) have no derivative
  (zero);
- derivatives with respect to parameters that have no closed form (`a` of
  `gammainc`/`gammaincc`, `a` and `b` of `betainc`/`betaincc`, the order `v`
  of `iv`/`ive`, the exponent `x` of `zeta`, `df` of `stdtr`, `a` and `b` of
  `hyp1f1`, `a`, `b` and `c` of `hyp2f1`) are computed
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
