"""Jacobians and Hessians: `jacfwd` (vmap of jvp), `jacrev` (vmap of vjp), `hessian`."""

from __future__ import annotations

import numpy as np

from funcdiff._src.api.forward import jvp
from funcdiff._src.api.reverse import vjp_now
from funcdiff._src.api.vmap import vmap
from funcdiff._src.api_util import (
    argnums_tuple,
    check_argnums,
    check_diff_input,
    check_flag,
    check_fun,
    check_leaves,
    foreign_backend,
)
from funcdiff._src.core import dtype_of, shape_of
from funcdiff._src.jit.dispatch import staged_call
from funcdiff._src.tree import keystr, tree_flatten, tree_flatten_with_path, tree_unflatten

__all__ = ["jacfwd", "jacrev", "hessian"]


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _basis(leaves):
    """Rows of the identity over the flattened leaves, split per leaf: (N, *leaf.shape)."""
    sizes = [_size(shape_of(x)) for x in leaves]
    n = sum(sizes)
    dtype = np.result_type(*[dtype_of(x) for x in leaves]) if leaves else np.float64
    eye = np.eye(n, dtype=dtype)
    out, start = [], 0
    for x, k in zip(leaves, sizes):
        out.append(eye[:, start : start + k].reshape((n,) + tuple(shape_of(x))).astype(dtype_of(x)))
        start += k
    return out, sizes


def _dyn_fun(fun, args, nums, in_tree):
    def f(*leaves):
        full = list(args)
        for i, a in zip(nums, tree_unflatten(in_tree, leaves)):
            full[i] = a
        return fun(*full)

    return f


def _check_transform_args(fun, argnums, has_aux, name):
    check_fun(fun, name)
    check_argnums(argnums, name)
    check_flag(has_aux, "has_aux", name)


def _check_inputs(args, nums, name):
    check_leaves(tree_flatten(tuple(args[i] for i in nums))[0],
                 tuple(args[i] for i in nums), name)
    for i in nums:
        for path, leaf in tree_flatten_with_path(args[i])[0]:
            check_diff_input(leaf, f"argument {i}{keystr(path)}", name, False, False)


def _nest(out_leaves_blocks, out_tree, in_tree, single):
    """Build the output-tree-of-input-trees structure from per-(out, in) blocks."""
    rows = []
    for blocks in out_leaves_blocks:
        inner = tree_unflatten(in_tree, blocks)
        rows.append(inner[0] if single else inner)
    return tree_unflatten(out_tree, rows)


def jacfwd(fun, argnums=0, has_aux=False):
    """Jacobian by forward mode: `vmap` of `jvp` over the standard basis of the inputs.

    The Jacobian of an output leaf of shape `S` with respect to an input leaf of
    shape `T` has shape `S + T`; for pytrees the result nests the output
    structure outside the input structure. Best when inputs are smaller than outputs.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.jacfwd(lambda x: x ** 2)(fnp.array([1.0, 2.0])).tolist()
        [[2.0, 0.0], [0.0, 4.0]]

        ```
    """

    _check_transform_args(fun, argnums, has_aux, "jacfwd")

    def jacfun(*args):
        if foreign_backend(args, None, "jacfwd") is not None:
            return staged_call(jacfun, args, {})
        single, nums = argnums_tuple(argnums, len(args), "jacfwd")
        _check_inputs(args, nums, "jacfwd")
        dyn = tuple(args[i] for i in nums)
        leaves, in_tree = tree_flatten(dyn)
        basis, sizes = _basis(leaves)
        f = _dyn_fun(fun, args, nums, in_tree)
        aux_store = {}

        def pushforward(*tangents):
            if has_aux:
                y, t, aux = jvp(f, tuple(leaves), tangents, has_aux=True)
                aux_store["aux"] = aux
                return y, t
            return jvp(f, tuple(leaves), tangents)

        n = sum(sizes)
        if n == 0:
            y = f(*leaves)
            if has_aux:
                y, aux_store["aux"] = y
            t = _zeros_out(y, 0)
        else:
            y, t = vmap(pushforward, in_axes=0, out_axes=(None, -1))(*basis)
        out_leaves, out_tree = tree_flatten(t)
        blocks = []
        for tl in out_leaves:
            oshape = tuple(shape_of(tl))[:-1]
            row, start = [], 0
            for x, k in zip(leaves, sizes):
                piece = tl[..., start : start + k] if n else tl
                row.append(piece.reshape(oshape + tuple(shape_of(x))))
                start += k
            blocks.append(row)
        jac = _nest(blocks, out_tree, in_tree, single)
        if has_aux:
            return jac, aux_store.get("aux")
        return jac

    jacfun.__name__ = f"jacfwd_{getattr(fun, '__name__', 'fun')}"
    return jacfun


def _zeros_out(y, n):
    leaves, tree = tree_flatten(y)
    return tree_unflatten(tree, [np.zeros(tuple(shape_of(v)) + (n,), dtype_of(v)) for v in leaves])


def jacrev(fun, argnums=0, has_aux=False):
    """Jacobian by reverse mode: one `vjp`, then `vmap` of its pullback over the
    standard basis of the outputs. Same layout as `jacfwd`; best when outputs are
    smaller than inputs.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.jacrev(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0])).tolist()
        [2.0, 4.0]

        ```
    """

    _check_transform_args(fun, argnums, has_aux, "jacrev")

    def jacfun(*args):
        if foreign_backend(args, None, "jacrev") is not None:
            return staged_call(jacfun, args, {})
        single, nums = argnums_tuple(argnums, len(args), "jacrev")
        _check_inputs(args, nums, "jacrev")
        dyn = tuple(args[i] for i in nums)
        leaves, in_tree = tree_flatten(dyn)
        f = _dyn_fun(fun, args, nums, in_tree)
        if has_aux:
            y, pullback, aux = vjp_now(f, *leaves, has_aux=True)
        else:
            y, pullback = vjp_now(f, *leaves)
        out_leaves, out_tree = tree_flatten(y)
        basis, sizes = _basis(out_leaves)
        m = sum(sizes)

        def pull(*cts):
            return pullback(tree_unflatten(out_tree, list(cts)))

        if m == 0:
            cts_in = [np.zeros((0,) + tuple(shape_of(x)), dtype_of(x)) for x in leaves]
        else:
            cts_in = list(vmap(pull)(*basis))
        blocks = []
        start = 0
        for o, k in zip(out_leaves, sizes):
            row = []
            for x, c in zip(leaves, cts_in):
                piece = c[start : start + k]
                row.append(piece.reshape(tuple(shape_of(o)) + tuple(shape_of(x))))
            blocks.append(row)
            start += k
        jac = _nest(blocks, out_tree, in_tree, single)
        if has_aux:
            return jac, aux
        return jac

    jacfun.__name__ = f"jacrev_{getattr(fun, '__name__', 'fun')}"
    return jacfun


def hessian(fun, argnums=0, has_aux=False):
    """Hessian: `jacfwd(jacrev(fun))` (forward over reverse).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.hessian(lambda x: fnp.sum(x ** 3))(fnp.array([1.0, 2.0])).tolist()
        [[6.0, 0.0], [0.0, 12.0]]

        ```
    """
    _check_transform_args(fun, argnums, has_aux, "hessian")
    return jacfwd(jacrev(fun, argnums, has_aux), argnums, has_aux)
