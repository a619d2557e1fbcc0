"""Define new primitives: the supported way to extend funcdiff.

A primitive is an operation funcdiff treats as a unit: an implementation in
NumPy (or anything else), plus one rule per transform, each a field of the
`Primitive`:

- `impl(*arrays, **params)`: computes the result (calls outside transforms,
  `jit`'s code);
- `abstract_eval(*avals, **params)`: the result's `ShapedArray` (shape, dtype)
  from the inputs' (`jit`, `make_program`, `linearize`, loop bodies);
- `jvp(primals, tangents, **params)`: `(out, tangent_out)`, a tangent of `None`
  being zero (`jvp`, `jacfwd`, `hessian`);
- `vjp(g, out, primals, argnums, **params)`: one cotangent per entry of
  `argnums`, `None` for zero (`grad`, `vjp`, `jacrev`);
- `batch(args, dims, **params)`: `(out, out_dim)` for arguments batched along
  `dims` (`None`: not batched) (`vmap`).

Write the rules with `funcdiff.numpy` functions (or by binding primitives):
then a rule is itself differentiable and batchable, so derivatives of any
order and every composition of transforms work. The public function binds
the primitive: `prim.bind(*args, **params)` runs `impl` outside transforms and
the right rule inside them.

`elementwise(name, impl, *partials)` defines an elementwise primitive from
one partial derivative per argument (`partial(out, *args)`, or `None` for no
derivative), and derives all five rules from them; `nondifferentiable(name,
impl)` one with no derivative (a comparison, a rounding); `linear_primitive(name,
impl, transpose)` gives an operation linear in its inputs its JVP and VJP from
a transpose rule (set its `abstract_eval` and `batch` yourself).
`bdim_to_front` and `moveaxis_to` help write batching rules; `get_aval`,
`shape_of` and `dtype_of` read the abstract value, shape and dtype of an
array, a tracer or a Python scalar inside rules.

Programs: `funcdiff.make_program(f)(*args)` returns the `Program` that `jit`
compiles: `invars`, `eqns` (each an `Eqn` with `prim`, `inputs`, `params`,
`outputs`), `outvars` and `consts`; inputs are `Var`s (with an `aval`, a
`ShapedArray`) or `Literal`s (Python scalars, `val`). `optimize(program)` returns the program
after `jit`'s passes (no-op removal, constant folding, common subexpressions,
dead code), so a tool that walks programs sees what `jit` runs.

Example (a tested version, with an elementwise and a general primitive, is
docs/extend.md):

```python
import numpy as np
import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.extend import elementwise

# log(cosh(x)), with d/dx = tanh(x): the rules come from the partial
logcosh_p = elementwise("logcosh", lambda x: np.logaddexp(x, -x) - np.log(2.0),
                        lambda out, x: fnp.tanh(x), dtype=np.tanh)

def logcosh(x):
    return logcosh_p.bind(x)

x = np.array([0.5, -2.0])
g = fd.grad(lambda x: fnp.sum(logcosh(x)))(x)
assert np.allclose(g, np.tanh(x))
```
"""

from funcdiff._src.core import Primitive, ShapedArray, dtype_of, get_aval, shape_of
from funcdiff._src.jit.optimize import optimize
from funcdiff._src.lax.elementwise import elementwise, nondifferentiable
from funcdiff._src.lax.shape import bdim_to_front, linear_primitive, moveaxis_to
from funcdiff._src.program import Eqn, Literal, Program, Var

__all__ = [
    "Primitive",
    "ShapedArray",
    "get_aval",
    "shape_of",
    "dtype_of",
    "elementwise",
    "nondifferentiable",
    "linear_primitive",
    "bdim_to_front",
    "moveaxis_to",
    "Program",
    "Eqn",
    "Var",
    "Literal",
    "optimize",
]
