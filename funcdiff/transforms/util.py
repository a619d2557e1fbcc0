"""Helpers shared by the transforms: flattening functions, checks, zeros."""

from __future__ import annotations

import numpy as np

from funcdiff.core import Tracer, get_aval
from funcdiff.tree import keystr, tree_flatten, tree_flatten_with_path, tree_unflatten

float0 = np.dtype([("float0", np.void, 0)])
"""dtype of the (empty) tangents and gradients of integer and boolean values."""


def is_float(dtype):
    kind = getattr(dtype, "kind", None)  # a dtype: a field read, not numpy.issubdtype
    return kind in ("f", "c") if kind is not None else np.issubdtype(dtype, np.inexact)


def zeros_like_aval(aval):
    """A zero tangent/cotangent for a value with abstract value `aval`."""
    if is_float(aval.dtype):
        return np.zeros(aval.shape, aval.dtype)
    return np.zeros(aval.shape, float0)


def flatten_fun_args(fun, in_tree, has_aux=False):
    """Wrap `fun` (pytree in, pytree out) as a function of flat leaves.

    Returns `(flat_fun, store)`; after a call, `store["tree"]` is the output
    treedef and `store["aux"]` the auxiliary output when `has_aux`.
    """
    store = {}

    def flat_fun(*leaves):
        out = fun(*tree_unflatten(in_tree, leaves))
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(
                    "with has_aux=True the function must return a pair (out, aux), got "
                    f"{type(out).__name__}"
                )
            out, store["aux"] = out
        flat, store["tree"] = tree_flatten(out)
        return flat

    return flat_fun, store


def unflatten_out(tree, leaves):
    return tree_unflatten(tree, leaves)


def strip_tracers(tree, trace):
    """Replace tracers of `trace` in `tree` by their primal values (for aux outputs)."""

    def strip(x):
        while isinstance(x, Tracer) and x._trace is trace:
            x = x.primal
        return x

    leaves, treedef = tree_flatten(tree)
    return tree_unflatten(treedef, [strip(x) for x in leaves])


def check_tangents(flat_p, tree_p, flat_t, tree_t, primals, tangents):
    """Tangents must match the primals' structure, shapes and dtypes."""
    if tree_p != tree_t:
        raise TypeError(
            "jvp: primal and tangent arguments must have the same tree structure, got "
            f"{tree_p} and {tree_t}."
        )
    paths = None
    for i, (p, t) in enumerate(zip(flat_p, flat_t)):
        pa, ta = get_aval(p), get_aval(t)
        if pa.shape == ta.shape and (pa.dtype == ta.dtype or _tangent_dtype_ok(pa, ta)):
            continue
        if paths is None:
            paths = [keystr(path) for path, _ in tree_flatten_with_path(primals)[0]]
        where = f"primals{paths[i]}"
        if pa.shape != ta.shape:
            raise ValueError(
                f"jvp: the tangent for {where} has shape {ta.shape}, but the primal has shape "
                f"{pa.shape}; tangents must have the primals' shapes."
            )
        want = pa.dtype if is_float(pa.dtype) else float0
        raise TypeError(
            f"jvp: the tangent for {where} has dtype {ta.dtype}, but the primal has dtype "
            f"{pa.dtype}, so the tangent must have dtype {want}. Cast it, e.g. "
            f"`t.astype({want.name if want is not float0 else 'funcdiff.float0'})`."
        )


def _tangent_dtype_ok(pa, ta):
    # Python floats come in as float64; integer primals take float0 tangents.
    if not is_float(pa.dtype):
        return ta.dtype == float0
    return False
