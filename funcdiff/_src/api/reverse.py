"""`vjp`, `grad` and `value_and_grad`: reverse mode as users call it.

`vjp` records the function on the reverse interpreter's tape and returns the pullback;
`grad` and `value_and_grad` add the checks users need:
which arguments (`argnums`), float inputs (or `allow_int`), a real scalar output (or
`holomorphic`), and a fast path for one output that skips the pytree bookkeeping.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.api_util import (
    argnums_tuple,
    check_argnums,
    check_diff_input,
    check_flag,
    check_fun,
    check_grad_output,
    check_leaves,
    flatten_fun_args,
    float0,
    foreign_backend,
    fresh_outputs,
    split_aux,
    structure_difference,
)
from funcdiff._src.core import Tracer, get_aval
from funcdiff._src.interpreters.reverse import backward_pass, cast_ct, record
from funcdiff._src.jit.dispatch import staged_call
from funcdiff._src.tree import (
    keystr,
    tree_flatten,
    tree_flatten_with_path,
    tree_map,
    tree_unflatten,
)

__all__ = ["vjp", "vjp_now", "grad", "value_and_grad"]


def vjp_now(fun, *primals, has_aux=False):
    """`vjp` for funcdiff's own rules, whose pullback runs before any other code: the
    tape keeps the arrays themselves, not copies (see `record`'s `keep`)."""
    return _vjp(fun, primals, has_aux, keep=False)


def vjp(fun, *primals, has_aux=False):
    """Reverse-mode vector-Jacobian product.

    Args:
        fun: function of pytrees of arrays.
        *primals: the arguments at which to linearize `fun`.
        has_aux: if True, `fun` returns `(out, aux)`.

    Returns:
        `(out, pullback)` or `(out, pullback, aux)`. `pullback(ct)` takes a
        cotangent shaped like `out` and returns a tuple with one cotangent per
        primal (same structure, shapes and dtypes as the primals). The
        pullback is linear (not conjugate-linear) and may be called many times.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> y, pullback = fd.vjp(lambda x: x ** 2, 3.0)
        >>> pullback(1.0)
        (np.float64(6.0),)

        ```
    """
    return _vjp(fun, primals, has_aux, keep=True)


def _vjp(fun, primals, has_aux, keep):
    check_fun(fun, "vjp")
    check_flag(has_aux, "has_aux", "vjp")
    if foreign_backend(primals, None, "vjp") is not None:
        return _vjp_staged(fun, primals, has_aux)
    flat, in_tree = tree_flatten(primals)
    check_leaves(flat, primals, "vjp")
    flat_fun, store = flatten_fun_args(fun, in_tree, has_aux, "vjp")
    trace, outs, nodes, in_nodes = record(
        flat_fun, flat, [True] * len(flat), "vjp", fun, store if has_aux else None, keep=keep
    )
    out_tree = store["tree"]
    out_avals = [get_aval(o) for o in outs]
    in_avals = [get_aval(x) for x in flat]

    def pullback(ct):
        ct_flat, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise TypeError(
                "vjp pullback: the cotangent must have the output's structure; "
                + structure_difference(ct, tree_unflatten(out_tree, outs), "cotangent",
                                       "output")
                + f" (structures {ct_tree} and {out_tree})."
            )
        seeds = []
        for i, (c, node, aval) in enumerate(zip(ct_flat, nodes, out_avals)):
            if np.shape(c) != aval.shape:
                path = keystr(tree_flatten_with_path(ct)[0][i][0])
                raise ValueError(
                    f"vjp pullback: the cotangent{path} has shape {np.shape(c)}, but the "
                    f"output{path} has shape {aval.shape}; give it the output's shape."
                )
            if node is not None:
                seeds.append((node, c))
        got = backward_pass(trace, seeds, consume=False)
        cts = [cast_ct(got.get(n), a) for n, a in zip(in_nodes, in_avals)]
        return tree_unflatten(in_tree, fresh_outputs(cts, flat + ct_flat))

    y = tree_unflatten(out_tree, fresh_outputs(outs, flat))
    if has_aux:
        return y, pullback, store["aux"]
    return y, pullback


def _vjp_staged(fun, primals, has_aux):
    """`vjp` on another library's arrays: the output now and a pullback, each a staged
    program run on those arrays (the pullback runs the forward pass again)."""

    def forward(*p):
        out = vjp_now(fun, *p, has_aux=has_aux)
        return (out[0], out[2]) if has_aux else out[0]

    def backward(p, ct):
        return vjp_now(fun, *p, has_aux=has_aux)[1](ct)

    res = staged_call(forward, primals, {})

    def pullback(ct):
        return staged_call(backward, (primals, ct), {})

    return (res[0], pullback, res[1]) if has_aux else (res, pullback)


def _is_float_leaf(x):
    if isinstance(x, float):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and dtype.kind in "fc"


_F64 = np.dtype(np.float64)
_LEAF_TYPES = {float, np.ndarray, np.float64, np.float32}


def _check_grad_output(aval, holomorphic):
    if aval.size != 1:
        raise TypeError(
            f"grad requires a function with a single output value (any shape of size 1), "
            f"but the output has shape {aval.shape} and dtype {aval.dtype}. For vector "
            "outputs use jacrev/jacfwd or vjp; to differentiate a sum, return fnp.sum(...)."
        )
    if not holomorphic and aval.dtype.kind != "f":
        raise TypeError(
            f"grad requires a real-valued (float) output, but the output has dtype "
            f"{aval.dtype} (shape {aval.shape}). For complex outputs use "
            "grad(..., holomorphic=True) or vjp; for integer outputs there is no gradient."
        )


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """Function returning both `fun`'s value and its gradient.

    Args: as for `grad`.

    Returns:
        A function returning `(value, g)`, or `((value, aux), g)` with `has_aux`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> v, g = fd.value_and_grad(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0]))
        >>> float(v), g.tolist()
        (5.0, [2.0, 4.0])

        ```
    """
    name = "grad"
    check_fun(fun, name)
    check_argnums(argnums, name)
    for flag, what in ((has_aux, "has_aux"), (holomorphic, "holomorphic"),
                       (allow_int, "allow_int")):
        check_flag(flag, what, name)
    argnums = tuple(argnums) if isinstance(argnums, list) else argnums

    def value_and_grad_f(*args, **kwargs):
        if foreign_backend(args, kwargs, name) is not None:
            return staged_call(value_and_grad_f, args, kwargs)
        if argnums == 0 and args:
            single, nums, wanted = True, (0,), None
        else:
            single, wanted = argnums_tuple(argnums, len(args), name)
            nums = tuple(dict.fromkeys(wanted))  # argnums=(0, 0): differentiate once
            wanted = None if nums == wanted else wanted
        if single and (type(args[nums[0]]) in _LEAF_TYPES or isinstance(args[nums[0]], Tracer)):
            flat, in_tree = [args[nums[0]]], None  # one array or float: no tree to walk
        else:
            flat, in_tree = tree_flatten(tuple(args[i] for i in nums))
            check_leaves(flat, tuple(args[i] for i in nums), name)
        mask = [_is_float_leaf(leaf) for leaf in flat]
        if holomorphic or not all(mask):
            mask = [
                check_diff_input(leaf, f"argument {i}{keystr(path)}", name, holomorphic, allow_int)
                for i in nums
                for path, leaf in tree_flatten_with_path(args[i])[0]
            ]

        def flat_fun(*leaves):
            full = list(args)
            if in_tree is None:
                full[nums[0]] = leaves[0]
            else:
                for i, a in zip(nums, tree_unflatten(in_tree, leaves)):
                    full[i] = a
            out = fun(*full, **kwargs)
            if has_aux:
                out, store["aux"] = split_aux(out, fun, name)
            check_grad_output(out, fun, name, has_aux)
            return [out]

        store = {}
        trace, outs, nodes, in_nodes = record(
            flat_fun, flat, mask, name, fun, store if has_aux else None
        )
        (y,), (node,) = outs, nodes
        if type(y) is float or type(y) is np.float64:
            shape, dtype = (), _F64
        else:
            aval = get_aval(y)
            shape, dtype = aval.shape, aval.dtype
            _check_grad_output(aval, holomorphic)
        got = {}
        if node is not None:
            seed = 1.0 if dtype is _F64 and not shape else np.ones(shape, dtype)
            got = backward_pass(trace, [(node, seed)], True)
        del trace
        grads = []
        for leaf, n, d in zip(flat, in_nodes, mask):
            ct = got.get(n)
            if d and type(leaf) is float and (type(ct) is np.float64 or type(ct) is float):
                grads.append(np.float64(ct))  # the common scalar case needs no cast
            elif d:
                grads.append(cast_ct(ct, get_aval(leaf)))
            else:
                grads.append(np.zeros(np.shape(leaf), float0))
        if type(y) is np.ndarray:
            y, *grads = fresh_outputs([y, *grads], flat)  # never the caller's, never read-only
        elif in_tree is not None or type(grads[0]) is np.ndarray:
            grads = fresh_outputs(grads, flat)
        if in_tree is None:
            g = grads[0]
        else:
            g = tree_unflatten(in_tree, grads)
            if wanted is not None:  # repeated argnums: each entry its own copy
                by_num = dict(zip(nums, g))
                g = tuple(tree_map(_copy_leaf, by_num[i]) if k else by_num[i]
                          for k, i in enumerate(wanted))
            g = g[0] if single else g
        if has_aux:
            return (y, store["aux"]), g
        return y, g

    _wraps(value_and_grad_f, fun, "value_and_grad")
    return value_and_grad_f


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """Gradient of a function with a single real output value.

    Args:
        fun: function whose output has exactly one element (shape `()`, `(1,)`, ...).
        argnums: int or tuple of ints: which positional arguments to differentiate.
        has_aux: if True, `fun` returns `(out, aux)` and the result is `(g, aux)`.
        holomorphic: differentiate a complex function of complex inputs (f'(z)).
        allow_int: give integer/bool inputs a zero gradient of dtype `float0`
            instead of raising `TypeError`.

    Returns:
        A function with `fun`'s signature returning the gradient (a tuple of
        gradients for tuple `argnums`), with the structure, shapes and dtypes
        of the differentiated arguments.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> float(fd.grad(fnp.sin)(0.0))
        1.0
        >>> float(fd.grad(fd.grad(lambda x: x ** 3))(2.0))
        12.0

        ```
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    def grad_f(*args, **kwargs):
        (value, g) = vg(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    _wraps(grad_f, fun, "grad")
    return grad_f


def _copy_leaf(x):
    return x.copy() if isinstance(x, np.ndarray) else x


def _wraps(wrapper, fun, name):
    fname = getattr(fun, "__name__", "fun")
    wrapper.__name__ = f"{name}_{fname}"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.__doc__ = f"The {name} of {fname}." + (
        f"\n\nOriginal docstring:\n{fun.__doc__}" if getattr(fun, "__doc__", None) else ""
    )
    wrapper.__wrapped__ = fun
