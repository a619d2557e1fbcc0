"""`scipy.stats`, differentiable: distributions as modules.

```python
>>> import funcdiff as fd
>>> from funcdiff.scipy import stats
>>> float(stats.norm.logpdf(0.5, loc=0.0, scale=2.0))  # SciPy's value
-1.64333571...
>>> float(fd.grad(stats.norm.logcdf)(-40.0))  # finite
40.02496884...
>>> float(fd.grad(stats.gamma.logpdf, argnums=1)(2.0, 3.0))  # d/da: log(2) - digamma(3)
-0.22963715...

```

Each distribution module (`norm`, `t`, `gamma`, `beta`, `chi2`, `poisson`,
`binom`, `dirichlet`, `multivariate_normal`, `logistic`, `laplace`, `uniform`,
`expon`, `cauchy`, `bernoulli`, `betabinom`, `geom`, `nbinom`, `gennorm`,
`gumbel_l`, `gumbel_r`, `pareto`, `truncnorm`, `vonmises`, `wrapcauchy`,
`multinomial`) has SciPy's functions and signatures (`logpdf`/`pdf` or
`logpmf`/`pmf`, `cdf`/`logcdf`, `sf`/`logsf`, and `ppf`/`isf` where they
are closed forms; `multivariate_normal.entropy`), differentiable in every
float argument (loc and scale included) to any order, under `vmap` and `jit`.
Discrete counts `k` (and `n`) are not differentiated; pmfs are 0 (`-inf`) at
non-integer `k` and outside the support, as in SciPy. Outside transforms they
return SciPy's values exactly.

Functions and classes (JAX's `jax.scipy.stats` set):

- `mode(a, axis=0, nan_policy='propagate', keepdims=False)`: SciPy's
  `ModeResult(mode, count)`; the mode is an element of `a` (its derivative
  flows to that element), the count an integer.
- `rankdata(a, method='average', *, axis=None, nan_policy='propagate')`: the
  ranks are piecewise constant in `a`, so their derivative is exactly 0.
- `sem(a, axis=0, ddof=1, nan_policy='propagate', *, keepdims=False)`:
  differentiable in `a`.
- `gaussian_kde(dataset, bw_method=None, weights=None)` with `evaluate`/
  `__call__`, `pdf`, `logpdf`, `integrate_gaussian`, `integrate_kde`,
  `integrate_box_1d`, `resample`: differentiable in the data, the weights, a numeric bandwidth
  and the evaluation points.
"""

from funcdiff._src.scipy.stats.functions import gaussian_kde, mode, rankdata, sem
from funcdiff.scipy.stats import (
    bernoulli,
    beta,
    betabinom,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    gennorm,
    geom,
    gumbel_l,
    gumbel_r,
    laplace,
    logistic,
    multinomial,
    multivariate_normal,
    nbinom,
    norm,
    pareto,
    poisson,
    t,
    truncnorm,
    uniform,
    vonmises,
    wrapcauchy,
)

__all__ = [
    "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace", "logistic",
    "multivariate_normal", "norm", "poisson", "t", "uniform",
    "bernoulli", "betabinom", "geom", "nbinom", "gennorm", "gumbel_l", "gumbel_r", "pareto",
    "truncnorm", "vonmises", "wrapcauchy", "multinomial",
    "mode", "rankdata", "sem", "gaussian_kde",
]
