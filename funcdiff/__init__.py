"""funcdiff: composable function transforms (grad, jvp, vjp, vmap, jit) for NumPy.

```python
import funcdiff as fd
import funcdiff.numpy as fnp

fd.grad(lambda x: fnp.sum(fnp.sin(x) * x ** 2))(fnp.ones(3))
```
"""

from funcdiff import numpy  # noqa: F401  (sets up Tracer methods)
from funcdiff._config import config
from funcdiff.core import Tracer
from funcdiff.errors import (
    ConcretizationError,
    DetachError,
    DetachWarning,
    TracerLeakError,
    UnsupportedPrimitiveError,
)
from funcdiff.transforms.api import linear_transpose, linearize, stop_gradient
from funcdiff.transforms.control import (
    checkpoint,
    cond,
    fori_loop,
    remat,
    scan,
    switch,
    while_loop,
)
from funcdiff.transforms.custom import custom_jvp, custom_vjp
from funcdiff.transforms.jacobians import hessian, jacfwd, jacrev
from funcdiff.transforms.jit import jit, make_program
from funcdiff.transforms.jvp import jvp
from funcdiff.transforms.reverse import grad, value_and_grad, vjp
from funcdiff.transforms.util import float0
from funcdiff.transforms.vmap import axis_index, pmax, pmean, pmin, psum, vmap

__version__ = "0.1.0"

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "linearize",
    "linear_transpose",
    "stop_gradient",
    "vmap",
    "jacfwd",
    "jacrev",
    "hessian",
    "custom_jvp",
    "custom_vjp",
    "checkpoint",
    "remat",
    "cond",
    "switch",
    "while_loop",
    "fori_loop",
    "scan",
    "jit",
    "make_program",
    "config",
    "psum",
    "pmean",
    "pmax",
    "pmin",
    "axis_index",
    "Tracer",
    "float0",
    "ConcretizationError",
    "DetachError",
    "DetachWarning",
    "TracerLeakError",
    "UnsupportedPrimitiveError",
]
