"""`linearize`, `linear_transpose` and `stop_gradient`."""

from __future__ import annotations

import numpy as np

from funcdiff import numpy as fnp
from funcdiff._src.api.forward import jvp
from funcdiff._src.api.reverse import vjp
from funcdiff._src.api_util import (
    check_fun,
    check_leaves,
    check_tangents,
    flatten_fun_args,
    float0,
    foreign_backend,
    fresh_outputs,
    is_float,
    zeros_like_aval,
)
from funcdiff._src.core import ShapedArray, get_aval, new_main
from funcdiff._src.interpreters.jvp import jvp_flat
from funcdiff._src.interpreters.staging import StagingTrace
from funcdiff._src.jit.dispatch import staged_call
from funcdiff._src.tree import tree_flatten, tree_map, tree_unflatten

__all__ = ["linearize", "linear_transpose", "stop_gradient"]


def _tangent_aval(aval):
    return ShapedArray(aval.shape, aval.dtype if is_float(aval.dtype) else float0)


def linearize(fun, *primals):
    """Evaluate `fun` and its linearization at `primals`.

    The primal computation runs once, now; the returned `f_jvp` replays only
    the linear (tangent) operations, on residuals computed now, so calling it
    does not re-run `fun`.

    Returns:
        `(out, f_jvp)` where `f_jvp(*tangents)` equals `jvp(fun, primals, tangents)[1]`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> y, f_jvp = fd.linearize(fnp.sin, 0.0)
        >>> float(f_jvp(3.0))
        3.0

        ```
    """
    check_fun(fun, "linearize")
    if foreign_backend(primals, None, "linearize") is not None:
        out = staged_call(fun, primals, {})
        return out, lambda *tangents: staged_call(
            lambda p, t: jvp(fun, p, t)[1], (primals, tangents), {})
    flat_p, in_tree = tree_flatten(primals)
    check_leaves(flat_p, primals, "linearize")
    flat_fun, store = flatten_fun_args(fun, in_tree, name="linearize")
    avals = [get_aval(p) for p in flat_p]
    with new_main(StagingTrace, "linearize", fun) as main:
        st = main.trace
        tin = [st.new_arg(_tangent_aval(a)) for a in avals]
        jvp_tangents = [t if is_float(a.dtype) else None for t, a in zip(tin, avals)]
        out_p, out_t = jvp_flat(flat_fun, flat_p, jvp_tangents, name="linearize", fun_desc=fun)
        out_t = [zeros_like_aval(get_aval(p)) if t is None else t for p, t in zip(out_p, out_t)]
        program = st.build(tin, out_t)
        if main.protected:  # f_jvp outlives this call: copies of the user's arrays it keeps
            kept = {id(a) for a in main.protected}
            for var, v in program.consts.items():
                if id(v) in kept:
                    program.consts[var] = np.array(v)
    out_tree = store["tree"]

    def f_jvp(*tangents):
        flat_t, tree_t = tree_flatten(tangents)
        check_tangents(flat_p, in_tree, flat_t, tree_t, primals, tangents)
        consts = list(program.consts.values())  # never hand out the program's own arrays
        return tree_unflatten(out_tree, fresh_outputs(program(*flat_t), flat_t + consts))

    f_jvp.program = program
    return tree_unflatten(out_tree, fresh_outputs(out_p, flat_p)), f_jvp


def linear_transpose(fun, *primals):
    """Transpose of a linear function.

    Args:
        fun: a function linear in its arguments.
        *primals: example arguments (only their structure, shapes and dtypes matter).

    Returns:
        `f_t(ct)` returning a tuple with one cotangent per argument of `fun`.
        A `fun` that is not linear raises `TypeError` naming the offending operation.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> f_t = fd.linear_transpose(lambda x: 2.0 * x[:2], fnp.zeros(3))
        >>> f_t(fnp.array([1.0, 1.0]))[0].tolist()
        [2.0, 2.0, 0.0]

        ```
    """
    flat_p, in_tree = tree_flatten(primals)
    flat_fun, store = flatten_fun_args(fun, in_tree)
    avals = [get_aval(p) for p in flat_p]
    with new_main(StagingTrace, "linear_transpose", fun) as main:
        st = main.trace
        tin = [st.new_arg(a) for a in avals]
        outs = flat_fun(*tin)
        program = st.build(tin, outs)
    err = program.linearity_error()
    if err is not None:
        raise TypeError(f"linear_transpose: {err}")
    out_tree = store["tree"]
    zeros = [np.zeros(a.shape, a.dtype) for a in avals]
    _, pullback = vjp(lambda *xs: program(*xs), *zeros)

    def f_t(ct):
        ct_flat, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise TypeError(
                f"linear_transpose: the cotangent must have the output structure {out_tree}, "
                f"got {ct_tree}."
            )
        return tree_unflatten(in_tree, list(pullback(ct_flat)))

    return f_t


def stop_gradient(x):
    """Identity on a pytree, with zero derivative (in every mode, at every order).

    Example:
        ```python
        >>> import funcdiff as fd
        >>> float(fd.grad(lambda x: x * fd.stop_gradient(x))(3.0))
        3.0

        ```
    """

    return tree_map(fnp.stop_gradient, x)
