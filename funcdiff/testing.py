"""Checking derivatives against finite differences, and hypothesis strategies.

`check_grads` is the one-line test of a differentiable function: it compares
funcdiff's forward mode (`jvp`) and reverse mode (`vjp`) with central finite
differences along random directions, then does the same for the derivative
functions themselves, up to `order`:

```python
import funcdiff.numpy as fnp
from funcdiff.testing import check_grads

check_grads(lambda x, y: fnp.sin(x) * y, (0.5, 2.0), order=2)
```

A failed check raises `GradientCheckError` (an `AssertionError`, so test
runners report it as a failed assertion) showing both numbers, their
difference and the tolerance.

The hypothesis strategies (`arrays`, `array_shapes`, `broadcastable_shapes`,
`pytrees_of_arrays`) need the `hypothesis` package (the `test` extra); it is
imported only when a strategy is built, so this module imports without it.

Complex numbers follow JAX's convention: `vjp` is linear, not
conjugate-linear. The reverse-mode check uses the identity

    Re sum(vjp(u) * v) == Re sum(u * jvp(v))

(a bilinear pairing, no conjugation, real part taken), which holds for
every dtype combination: for real values it is the usual transposition
identity, and for complex values it is exactly JAX's convention (for a real
`f` of complex `z`, `vjp(1) = df/dx - i df/dy`, the conjugate of the
gradient of the realified function).
"""

from funcdiff._src.testing import (
    GradientCheckError,
    array_shapes,
    arrays,
    broadcastable_shapes,
    check_grads,
    check_jvp,
    check_vjp,
    numerical_jvp,
    pytrees_of_arrays,
)

__all__ = [
    "GradientCheckError",
    "numerical_jvp",
    "check_jvp",
    "check_vjp",
    "check_grads",
    "arrays",
    "array_shapes",
    "broadcastable_shapes",
    "pytrees_of_arrays",
]
