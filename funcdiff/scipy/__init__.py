"""SciPy's API, differentiable (the optional `scipy` extra: `pip install "funcdiff[scipy]"`).

Submodules, imported on first use:

- `funcdiff.scipy.special`: special functions (`gammaln`, `erf`, `logsumexp`, ...);
- `funcdiff.scipy.stats`: distributions as modules (`funcdiff.scipy.stats.norm.logpdf`),
  and `mode`, `rankdata`, `sem`, `gaussian_kde`;
- `funcdiff.scipy.linalg`: decompositions, solvers, `expm`/`sqrtm`/`funm`, special
  matrices;
- `funcdiff.scipy.signal`: convolutions and correlations, `stft`/`istft`, `welch`, ...;
- `funcdiff.scipy.fft` (DCTs), `funcdiff.scipy.integrate` (`odeint`, `trapezoid`),
  `funcdiff.scipy.ndimage` (`map_coordinates`), `funcdiff.scipy.interpolate`
  (`RegularGridInterpolator`);
- `funcdiff.scipy.optimize`: `minimize`, SciPy's minimizers given funcdiff's exact
  gradients, Hessian-vector products and Hessians.

Outside transforms the functions call SciPy itself; inside transforms they
are differentiable (any order) and batchable.

```python
>>> import funcdiff as fd
>>> from funcdiff.scipy import special, stats
>>> float(fd.grad(lambda mu: stats.norm.logpdf(1.0, mu, 2.0))(0.5))
0.125

```
"""

import importlib as _importlib

try:
    import scipy
except ImportError as e:  # ModuleNotFoundError, or scipy blocked in sys.modules
    raise ImportError(
        'funcdiff.scipy needs SciPy: pip install "funcdiff[scipy]" '
        '(from a checkout: pip install ".[scipy]")'
    ) from e
del scipy  # (imported only to check that it is installed)

__all__ = ["special", "stats", "signal", "linalg", "integrate", "fft", "ndimage", "interpolate",
           "optimize"]


def __getattr__(name):
    if name not in __all__:
        raise AttributeError(f"module 'funcdiff.scipy' has no attribute {name!r}")
    module = _importlib.import_module(f"{__name__}.{name}")
    globals()[name] = module
    return module


def __dir__():
    return sorted(set(globals()) | set(__all__))
