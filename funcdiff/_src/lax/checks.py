"""`check`: a guard on values that exist only when a program runs.

`check(x, *operands, test=...)` is `x` itself, after `test(*operands)` has run on the
concrete values of the operands: eagerly at once, under `jit` each time the compiled
program runs, under `vmap` once on the whole batch (batched operands with their batch
axis first). `test` raises (a ValueError naming the function and the fix) when the
values are outside what the caller can compute correctly: SciPy's bounds errors, or a
derivative that would otherwise be a plausible wrong number. It is a static parameter
(a module-level function, so jit's cache sees the same one each time).

The rules are the identity's: the tangent and cotangent of `x` pass through unchanged
(the operands get none), and the check stays in every derived program.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.core import Primitive, _state
from funcdiff._src.lax.shape import moveaxis_to


def _impl(x, *operands, test):
    test(*(np.asarray(o) for o in operands))
    return x


check_p = Primitive("check", _impl)
check_p.aliases = "view"  # its first input itself
check_p.abstract_eval = lambda x, *operands, test: x
check_p.jvp = lambda primals, tangents, test: (check(*primals, test=test), tangents[0])
check_p.vjp = lambda g, out, primals, argnums, test: [g] + [None] * (len(primals) - 1)


def _batch(args, dims, test):
    operands = [a if d is None else moveaxis_to(a, d, 0) for a, d in zip(args[1:], dims[1:])]
    return check(args[0], *operands, test=test), dims[0]


check_p.batch = _batch


def check(x, *operands, test):
    """`x`, once `test(*operands)` has run on concrete values (see the module docstring)."""
    if _state.stack:
        return check_p.bind(x, *operands, test=test)
    return _impl(x, *operands, test=test)
