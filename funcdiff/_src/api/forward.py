"""`jvp`: forward mode for pytrees of primals and tangents, on `jvp_flat`."""

from __future__ import annotations

from funcdiff._src.api_util import (
    check_flag,
    check_fun,
    check_leaves,
    check_tangents,
    flatten_fun_args,
    float0,
    foreign_backend,
    fresh_outputs,
    same_backend,
    unflatten_out,
    zeros_like_aval,
)
from funcdiff._src.core import get_aval
from funcdiff._src.interpreters.jvp import jvp_flat
from funcdiff._src.jit.dispatch import staged_call
from funcdiff._src.tree import tree_flatten, tree_unflatten

__all__ = ["jvp"]


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode Jacobian-vector product.

    Args:
        fun: function of `len(primals)` positional arguments (pytrees of arrays).
        primals: tuple or list of the arguments.
        tangents: tuple or list with the same structure, shapes and dtypes.
        has_aux: if True, `fun` returns `(out, aux)` and `aux` is returned too.

    Returns:
        `(out, tangent_out)`, or `(out, tangent_out, aux)` with `has_aux`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> y, t = fd.jvp(fnp.sin, (0.0,), (2.0,))
        >>> float(y), float(t)
        (0.0, 2.0)

        ```
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            "jvp(fun, primals, tangents): primals and tangents must be tuples or lists "
            f"of arguments, got {type(primals).__name__} and {type(tangents).__name__}; "
            "for one argument write jvp(f, (x,), (t,))."
        )
    check_fun(fun, "jvp")
    check_flag(has_aux, "has_aux", "jvp")
    if same_backend("jvp", foreign_backend(tuple(primals), None, "jvp", "primal"), "primals",
                    foreign_backend(tuple(tangents), None, "jvp", "tangent"), "tangents"):
        return staged_call(
            lambda p, t: jvp(fun, p, t, has_aux=has_aux), (tuple(primals), tuple(tangents)), {}
        )
    flat_p, tree_p = tree_flatten(tuple(primals))
    flat_t, tree_t = tree_flatten(tuple(tangents))
    check_leaves(flat_p, tuple(primals), "jvp")
    check_tangents(flat_p, tree_p, flat_t, tree_t, tuple(primals), tuple(tangents))
    flat_fun, out_store = flatten_fun_args(fun, tree_p, has_aux, "jvp")
    # integer inputs carry float0 tangents: symbolic zeros for the rules
    flat_t = [None if getattr(t, "dtype", None) == float0 else t for t in flat_t]
    out_p, out_t = jvp_flat(flat_fun, flat_p, flat_t, fun_desc=fun, store=out_store)
    out_t = [zeros_like_aval(get_aval(p)) if t is None else t for p, t in zip(out_p, out_t)]
    out_tree = out_store["tree"]
    fresh = fresh_outputs(out_p + out_t, flat_p + flat_t)  # never the caller's arrays
    y = unflatten_out(out_tree, fresh[: len(out_p)])
    ty = tree_unflatten(out_tree, fresh[len(out_p) :])
    if has_aux:
        return y, ty, out_store["aux"]
    return y, ty
