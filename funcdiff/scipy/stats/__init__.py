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

Each module (`norm`, `t`, `gamma`, `beta`, `chi2`, `poisson`, `binom`,
`dirichlet`, `multivariate_normal`, `logistic`, `laplace`, `uniform`,
`expon`, `cauchy`) has SciPy's functions and signatures (`logpdf`/`pdf` or
`logpmf`/`pmf`, `cdf`/`logcdf`, `sf`/`logsf`, and `ppf`/`isf` where they
are closed forms), differentiable in every float argument. Outside
transforms they return SciPy's values exactly.
"""

from funcdiff.scipy.stats import (
    beta,
    binom,
    cauchy,
    chi2,
    dirichlet,
    expon,
    gamma,
    laplace,
    logistic,
    multivariate_normal,
    norm,
    poisson,
    t,
    uniform,
)

__all__ = [
    "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace", "logistic",
    "multivariate_normal", "norm", "poisson", "t", "uniform",
]
