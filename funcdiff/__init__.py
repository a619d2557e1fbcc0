"""funcdiff: composable function transforms (grad, jvp, vjp, vmap, jit) for NumPy.

```python
import funcdiff as fd
import funcdiff.numpy as fnp

fd.grad(lambda x: fnp.sum(fnp.sin(x) * x ** 2))(fnp.ones(3))
```
"""

from funcdiff import debug, numpy, optimizers  # noqa: F401  (numpy sets up Tracer methods)
from funcdiff._src.api.collectives import axis_index, pmax, pmean, pmin, psum
from funcdiff._src.api.forward import jvp
from funcdiff._src.api.jacobians import hessian, jacfwd, jacrev
from funcdiff._src.api.linear import linear_transpose, linearize, stop_gradient
from funcdiff._src.api.reverse import grad, value_and_grad, vjp
from funcdiff._src.api.vmap import vmap
from funcdiff._src.api_util import float0
from funcdiff._src.config import config
from funcdiff._src.control.custom import custom_jvp, custom_vjp
from funcdiff._src.control.flow import (
    checkpoint,
    cond,
    fori_loop,
    remat,
    scan,
    switch,
    while_loop,
)
from funcdiff._src.core import Tracer
from funcdiff._src.errors import (
    BackendError,
    ConcretizationError,
    DetachError,
    DetachWarning,
    SolveError,
    TracerLeakError,
    UnsupportedPrimitiveError,
)
from funcdiff._src.implicit import custom_root, dense_solve, fixed_point, linear_solve
from funcdiff._src.jit.dispatch import jit, make_program
from funcdiff._src.nans import debug_infs, debug_nans
from funcdiff._src.sparse import (
    hessian_sparsity,
    jacobian_sparsity,
    sparse_hessian,
    sparse_jacfwd,
    sparse_jacrev,
)

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
    "jacobian_sparsity",
    "hessian_sparsity",
    "sparse_jacfwd",
    "sparse_jacrev",
    "sparse_hessian",
    "custom_jvp",
    "custom_vjp",
    "custom_root",
    "fixed_point",
    "linear_solve",
    "dense_solve",
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
    "debug_nans",
    "debug_infs",
    "psum",
    "pmean",
    "pmax",
    "pmin",
    "axis_index",
    "Tracer",
    "float0",
    "BackendError",
    "ConcretizationError",
    "SolveError",
    "DetachError",
    "DetachWarning",
    "TracerLeakError",
    "UnsupportedPrimitiveError",
]
