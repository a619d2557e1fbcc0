"""Collectives: reductions over a named `vmap` axis (`psum`, `pmean`, `pmax`, `pmin`,
`axis_index`), each a `CollectivePrimitive` whose `reduce` works on the whole batch.

Inside `vmap(f, axis_name="i")`, `psum(x, "i")` is the same value for every example: the
sum over the batch. The batching interpreter hands a collective of its own axis to
`reduce`, and binds one of another axis lane by lane (collectives commute with maps).
"""

from __future__ import annotations

import numpy as np

from funcdiff import numpy as fnp
from funcdiff._src.core import Primitive, ShapedArray, Tracer, _state, dtype_of
from funcdiff._src.interpreters.batching import BatchTrace
from funcdiff._src.lax.elementwise import convert_element_type
from funcdiff._src.lax.shape import reduce_sum, sum_dtype
from funcdiff._src.tree import tree_flatten, tree_unflatten

__all__ = ["psum", "pmean", "pmax", "pmin", "axis_index", "CollectivePrimitive"]


def _find_axis(name):
    for main in reversed(_state.stack):
        trace = main.trace
        if isinstance(trace, BatchTrace) and trace.axis_name == name:
            return trace
    names = [m.trace.axis_name for m in _state.stack if isinstance(m.trace, BatchTrace)]
    raise NameError(
        f"unbound axis name: {name!r}. Collectives need an enclosing "
        f"vmap(..., axis_name={name!r}); the names in scope are {names}."
    )


class CollectivePrimitive(Primitive):
    """A primitive that reduces over a named mapped axis (its `reduce` does the work;
    `out_dim` is where the result's batch axis is: None for a reduction, the same
    for every example, 0 for `axis_index`)."""

    collective = True

    def __init__(self, name, reduce, out_dim=None):
        # Reached with no tracer of the named axis among the arguments (say, psum of a
        # constant under grad): lift the argument into that axis's trace and bind again.
        super().__init__(name, lambda x, axis_name: _bind_collective(self, x, axis_name))
        self.reduce = reduce
        self.out_dim = out_dim


def _collective(name, reduce, jvp, vjp, out_dim=None):
    prim = CollectivePrimitive(name, reduce, out_dim)
    prim.jvp = jvp
    prim.vjp = vjp
    return prim


def _psum_reduce(trace, vals, dims):
    (x,), (d,) = vals, dims
    if d is None:  # the same value in every example: times their number, in sum's dtype
        return convert_element_type(x, sum_dtype(dtype_of(x))) * trace.axis_size
    return reduce_sum(x, (d,))


psum_p = _collective(
    "psum",
    _psum_reduce,
    lambda primals, tangents, axis_name: (
        psum(primals[0], axis_name),
        psum(tangents[0], axis_name),
    ),
    lambda g, out, primals, argnums, axis_name: [psum(g, axis_name)],
)
psum_p.linear = "all"
# per example, like the batched reduction (`reduce_sum`: small integers and bools widen)
psum_p.abstract_eval = lambda x, axis_name: ShapedArray(x.shape, sum_dtype(x.dtype))


def _pext_reduce(op):
    def reduce(trace, vals, dims):
        (x,), (d,) = vals, dims
        if d is None:
            return x
        return (fnp.max if op == "max" else fnp.min)(x, axis=d)

    return reduce


def _pext_vjp(op):
    def vjp(g, out, primals, argnums, axis_name):
        x = primals[0]

        mask = fnp.equal(x, out).astype(dtype_of(x))
        count = psum(mask, axis_name)
        return [g * mask / count]

    return vjp


def _pext_jvp(op, prim_ref):
    def jvp(primals, tangents, axis_name):
        x, t = primals[0], tangents[0]
        out = prim_ref[0].bind(x, axis_name=axis_name)

        mask = fnp.equal(x, out).astype(dtype_of(x))
        return out, psum(t * mask, axis_name) / psum(mask, axis_name)

    return jvp


_pmax_ref, _pmin_ref = [None], [None]
pmax_p = _collective("pmax", _pext_reduce("max"), _pext_jvp("max", _pmax_ref), _pext_vjp("max"))
pmin_p = _collective("pmin", _pext_reduce("min"), _pext_jvp("min", _pmin_ref), _pext_vjp("min"))
_pmax_ref[0], _pmin_ref[0] = pmax_p, pmin_p
pmax_p.abstract_eval = pmin_p.abstract_eval = lambda x, axis_name: ShapedArray(x.shape, x.dtype)


def _axis_index_reduce(trace, vals, dims):
    return np.arange(trace.axis_size)


axis_index_p = _collective(
    "axis_index",
    _axis_index_reduce,
    lambda primals, tangents, axis_name: (axis_index(axis_name), None),
    lambda g, out, primals, argnums, axis_name: [None],
    out_dim=0,  # one index per example
)
axis_index_p.abstract_eval = lambda x, axis_name: ShapedArray((), np.int_)  # np.arange's


def _bind_collective(prim, x, axis_name):
    trace = _find_axis(axis_name)
    if not (isinstance(x, Tracer) and find_level(x) >= trace.main.level):
        x = trace.pure(x)
    return prim.bind(x, axis_name=axis_name)


def find_level(x):
    return x._trace.main.level if isinstance(x, Tracer) else -1


def psum(x, axis_name):
    """Sum of `x` over the mapped axis `axis_name` (inside `vmap(..., axis_name=...)`).

    Works on pytrees; differentiable (its transpose is itself).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.vmap(lambda x: x / fd.psum(x, "i"), axis_name="i")(fnp.array([1.0, 3.0])).tolist()
        [0.25, 0.75]

        ```
    """
    leaves, tree = tree_flatten(x)
    return tree_unflatten(tree, [_bind_collective(psum_p, v, axis_name) for v in leaves])


def pmean(x, axis_name):
    """Mean of `x` over the mapped axis `axis_name`."""
    size = _find_axis(axis_name).axis_size
    leaves, tree = tree_flatten(psum(x, axis_name))
    return tree_unflatten(tree, [v / size for v in leaves])


def pmax(x, axis_name):
    """Maximum of `x` over the mapped axis `axis_name` (ties share the derivative)."""
    leaves, tree = tree_flatten(x)
    return tree_unflatten(tree, [_bind_collective(pmax_p, v, axis_name) for v in leaves])


def pmin(x, axis_name):
    """Minimum of `x` over the mapped axis `axis_name` (ties share the derivative)."""
    leaves, tree = tree_flatten(x)
    return tree_unflatten(tree, [_bind_collective(pmin_p, v, axis_name) for v in leaves])


def axis_index(axis_name):
    """The position of the current example along the mapped axis `axis_name`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.vmap(lambda x: x * fd.axis_index("i"), axis_name="i")(fnp.ones(3)).tolist()
        [0.0, 1.0, 2.0]

        ```
    """
    trace = _find_axis(axis_name)
    return axis_index_p.bind(trace.pure(0), axis_name=axis_name)
