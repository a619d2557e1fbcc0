"""`scipy.stats`, differentiable: distributions as modules.

```python
import funcdiff as fd
from funcdiff.scipy import stats

stats.norm.logpdf(0.5, loc=0.0, scale=2.0)               # SciPy's value
fd.grad(stats.norm.logcdf)(-40.0)                         # 40.02498... (finite)
fd.grad(stats.gamma.logpdf, argnums=1)(2.0, 3.0)          # d/da
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
