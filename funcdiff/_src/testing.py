"""The implementation of `funcdiff.testing`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.api.forward import jvp
from funcdiff._src.api.reverse import vjp_now
from funcdiff._src.api_util import float0
from funcdiff._src.tree import (
    keystr,
    tree_flatten,
    tree_flatten_with_path,
    tree_map,
    tree_structure,
    tree_unflatten,
)

_SEED = 0
# Finite-difference step by real precision (itemsize of the real dtype), before scaling.
_EPS = {2: 1e-1, 4: 1e-3, 8: 1e-6}
# Default atol = rtol by real precision.
_TOL = {2: 5e-2, 4: 1e-2, 8: 1e-5}


class GradientCheckError(AssertionError):
    """A derivative computed by funcdiff disagrees with finite differences (or
    forward mode disagrees with reverse mode)."""


# --------------------------------------------------------------------------
# Small helpers on leaves


def _dtype(x):
    return np.result_type(x)


def _is_inexact(x):
    return _dtype(x).kind in "fc"


def _real_size(x):
    """Bytes of the real part of an inexact leaf: 2, 4 or 8."""
    return np.finfo(_dtype(x)).dtype.itemsize


def _like(x, value):
    """`value` with `x`'s dtype and kind: an array, a NumPy scalar or a Python scalar.

    Python scalars stay Python scalars, so NumPy's promotion rules (a Python
    float does not promote a float32 array) are the same for shifted inputs.
    """
    value = np.asarray(value).astype(_dtype(x))
    if isinstance(x, np.ndarray):
        return value
    return value[()] if isinstance(x, np.generic) else value.item()


def _random_like(rng, x):
    """A standard-normal tangent/cotangent for leaf `x` (float0 zeros for non-float leaves)."""
    if not _is_inexact(x):

        return np.zeros(np.shape(x), float0)
    shape = np.shape(x)
    v = rng.standard_normal(shape)
    if _dtype(x).kind == "c":
        v = v + 1j * rng.standard_normal(shape)
    return _like(x, v)


def _wide(x):
    """`x` as a float64/complex128 array (for accurate differences and sums)."""
    x = np.asarray(x)
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


def _as_args(args, name):
    if not isinstance(args, (tuple, list)):
        raise TypeError(
            f"{name}: `args` must be a tuple or list of positional arguments, got "
            f"{type(args).__name__}; for one argument write {name}(f, (x,))."
        )
    return tuple(args)


def _default_eps(flat_args, outputs=(), scaled=True):
    """The step: by the least precise float input or output, times `max(1, max |x|)`
    over the inputs (`scaled`) or not (for directions already scaled per element)."""
    inexact = [x for x in flat_args if _is_inexact(x)]
    sizes = [_real_size(x) for x in inexact + [y for y in outputs if _is_inexact(y)]]
    base = _EPS[min(sizes)] if sizes else _EPS[8]
    if not scaled:
        return base
    mags = [np.abs(_wide(x)) for x in inexact]
    return base * max([1.0] + [float(np.max(m[np.isfinite(m)])) for m in mags
                               if np.any(np.isfinite(m))])


def _per_element(x, t):
    """Direction `t` scaled by `max(1, |x|)` element by element, so that a default step
    moves every element of `x` by about the same relative amount: one step for the
    whole array would be too large for its small elements (log at 0.1 next to 5)."""
    if not _is_inexact(x):
        return t
    m = np.abs(_wide(x))
    return _like(x, _wide(t) * np.where(np.isfinite(m), np.maximum(m, 1.0), 1.0))


def _default_tols(leaves, atol, rtol):
    sizes = [_real_size(x) for x in leaves if _is_inexact(x)]
    tol = _TOL[min(sizes)] if sizes else _TOL[8]
    return (tol if atol is None else atol), (tol if rtol is None else rtol)


def _fmt(x):
    return np.array2string(np.asarray(x), precision=8, threshold=20, max_line_width=100)


def _fmt_shape(x):
    return f"shape {np.shape(x)}, dtype {_dtype(x)}"


# --------------------------------------------------------------------------
# Finite differences


def numerical_jvp(f, args, tangents, eps=None):
    """Central finite-difference approximation of the JVP of `f` at `args`.

    Computes `(f(args + eps * tangents) - f(args - eps * tangents)) / (2 eps)`
    leaf by leaf. Only float and complex leaves of `args` are moved; other
    leaves (integers, booleans) stay fixed and their tangents are ignored.

    Args:
        f: function of `len(args)` positional arguments (pytrees in, pytree out).
        args: tuple of positional arguments.
        tangents: tuple with the structure of `args`.
        eps: step size. Default: `1e-6` for float64/complex128 (`1e-3` for
            float32, `1e-1` for float16; the least precise input or output
            decides), times `max(1, max |x|)` over the finite elements of the
            float inputs (and outputs, when those are less precise).

    Returns:
        A pytree shaped like `f`'s output: arrays with each output's dtype
        (float0 zeros for integer or boolean outputs).

    Example:
        ```python
        >>> import numpy as np
        >>> from funcdiff.testing import numerical_jvp
        >>> t = numerical_jvp(np.sin, (0.0,), (2.0,))
        >>> bool(abs(t - 2.0) < 1e-8)
        True

        ```
    """
    return _numerical_jvp(f, args, tangents, eps)


def _numerical_jvp(f, args, tangents, eps, scaled=True):
    args = _as_args(args, "numerical_jvp")
    tangents = _as_args(tangents, "numerical_jvp")
    flat_x, tree_x = tree_flatten(args)
    flat_t, tree_t = tree_flatten(tangents)
    if tree_x != tree_t:
        raise ValueError(
            f"numerical_jvp: tangents must have the structure of args: {tree_x} vs {tree_t}"
        )
    auto_eps = eps is None
    if auto_eps:
        eps = _default_eps(flat_x, scaled=scaled)

    def shifted(h):
        leaves = [
            _like(x, _wide(x) + h * _wide(t)) if _is_inexact(x) else x
            for x, t in zip(flat_x, flat_t)
        ]
        return f(*tree_unflatten(tree_x, leaves))

    plus, out_tree = tree_flatten(shifted(eps))
    if auto_eps:
        # outputs less precise than the inputs (a cast to float32) need a larger step
        out_eps = _default_eps(flat_x, plus, scaled)
        if out_eps > eps:
            eps = out_eps
            plus, out_tree = tree_flatten(shifted(eps))
    minus, minus_tree = tree_flatten(shifted(-eps))
    if out_tree != minus_tree:
        raise ValueError(
            f"numerical_jvp: f's output structure changed between evaluations: "
            f"{out_tree} vs {minus_tree}"
        )
    out = []
    for p, m in zip(plus, minus):
        if _is_inexact(p):
            out.append(((_wide(p) - _wide(m)) / (2 * eps)).astype(_dtype(p)))
        else:
            out.append(np.zeros(np.shape(p), float0))
    return tree_unflatten(out_tree, out)


# --------------------------------------------------------------------------
# Comparisons


def _compare_trees(what, got, want, atol, rtol, got_name, want_name):
    """Leafwise `|got - want| <= atol + rtol * |want|` over float leaves."""
    got_leaves, got_tree = tree_flatten(got)
    want_paths, want_tree = tree_flatten_with_path(want)
    if got_tree != want_tree:
        raise GradientCheckError(
            f"{what}: {got_name} has structure {got_tree} but {want_name} has {want_tree}."
        )
    for g, (path, w) in zip(got_leaves, want_paths):
        where = f"output{keystr(path)}" if path else "the output"
        if np.shape(g) != np.shape(w):
            raise GradientCheckError(
                f"{what}: at {where}, {got_name} has shape {np.shape(g)} but {want_name} has "
                f"shape {np.shape(w)}."
            )
        if not _is_inexact(w):
            continue
        if _dtype(g) != _dtype(w):
            raise GradientCheckError(
                f"{what}: at {where}, {got_name} has dtype {_dtype(g)} but {want_name} has "
                f"dtype {_dtype(w)}."
            )
        gw, ww = _wide(g), _wide(w)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(gw - ww)
            allowed = atol + rtol * np.abs(ww)
            bad = ~(diff <= allowed) & ~((gw == ww) | (np.isnan(gw) & np.isnan(ww)))
        if np.any(bad):
            idx = np.unravel_index(int(np.argmax(np.where(bad, diff, -1.0))), np.shape(bad))
            idx_str = f" at index {idx}" if np.ndim(bad) else ""
            raise GradientCheckError(
                f"{what}: {got_name} and {want_name} differ at {where} ({_fmt_shape(w)}).\n"
                f"  {got_name}: {_fmt(g)}\n"
                f"  {want_name}: {_fmt(w)}\n"
                f"  difference: |{got_name} - {want_name}| = {diff[idx]:.3g}{idx_str}, "
                f"allowed atol + rtol * |{want_name}| = {allowed[idx]:.3g} "
                f"(atol={atol:g}, rtol={rtol:g}); {int(np.sum(bad))} of {np.size(bad)} "
                "elements differ."
            )


def _pairing(a_leaves, b_leaves):
    """Re sum(a * b) over the float leaves (JAX's bilinear pairing), and sum |a * b|."""
    total, mag = 0.0, 0.0
    for a, b in zip(a_leaves, b_leaves):
        if _is_inexact(a) and _is_inexact(b):
            prod = _wide(a) * _wide(b)
            total += float(np.sum(prod.real))
            mag += float(np.sum(np.abs(prod)))
    return total, mag


# --------------------------------------------------------------------------
# The checks


def _directions(rng, args, eps):
    """Random input directions; with the default step, scaled per element (`_per_element`)."""
    v = tree_map(lambda x: _random_like(rng, x), args)
    return v if eps is not None else tree_map(_per_element, args, v)


def _check_jvp(f, args, atol, rtol, eps, rng, what):
    tangents = _directions(rng, args, eps)
    out, t_out = jvp(f, args, tangents)
    atol, rtol = _default_tols(tree_flatten((args, out))[0], atol, rtol)
    _compare_trees(what + " (primal output)", out, f(*args), atol, rtol, "jvp's output", "f(*args)")
    num = _numerical_jvp(f, args, tangents, eps, scaled=False)
    _compare_trees(what, t_out, num, atol, rtol, "jvp", "finite differences")


def _check_vjp(f, args, atol, rtol, eps, rng, what, with_jvp=True):
    out, pullback = vjp_now(f, *args)
    atol, rtol = _default_tols(tree_flatten((args, out))[0], atol, rtol)
    u = tree_map(lambda y: _random_like(rng, y), out)
    v = _directions(rng, args, eps)
    ct = pullback(u)
    if tree_structure(ct) != tree_structure(args):
        raise GradientCheckError(
            f"{what}: the pullback returned structure {tree_structure(ct)}, but the arguments "
            f"have structure {tree_structure(args)}."
        )
    flat_args = tree_flatten_with_path(args)[0]
    flat_ct = tree_flatten(ct)[0]
    for (path, x), c in zip(flat_args, flat_ct):
        if _is_inexact(x) and (np.shape(c) != np.shape(x) or _dtype(c) != _dtype(x)):
            raise GradientCheckError(
                f"{what}: the cotangent for args{keystr(path)} has {_fmt_shape(c)}, but the "
                f"argument has {_fmt_shape(x)}."
            )
    flat_u = tree_flatten(u)[0]
    flat_v = tree_flatten(v)[0]
    lhs, _ = _pairing(flat_ct, flat_v)
    num = tree_flatten(_numerical_jvp(f, args, v, eps, scaled=False))[0]
    rhs_num, mag = _pairing(flat_u, num)
    u_l1 = sum(float(np.sum(np.abs(_wide(a)))) for a in flat_u if _is_inexact(a))
    tol = atol * u_l1 + rtol * mag
    checks = [(rhs_num, "finite differences")]
    if with_jvp:  # the transposition identity, when forward mode is checked too
        _, jv = jvp(f, args, v)
        checks.append((_pairing(flat_u, tree_flatten(jv)[0])[0], "jvp"))
    for rhs, name in checks:
        if not abs(lhs - rhs) <= tol:
            raise GradientCheckError(
                f"{what}: reverse mode disagrees with {name} on random projections u, v:\n"
                f"  Re sum(vjp(u) * v) = {lhs!r}\n"
                f"  Re sum(u * {'numerical_jvp' if name != 'jvp' else 'jvp'}(v)) = {rhs!r}\n"
                f"  difference: {abs(lhs - rhs):.3g}, allowed atol * sum|u| + rtol * "
                f"sum|u * numerical_jvp(v)| = {tol:.3g} (atol={atol:g}, rtol={rtol:g})."
            )


def check_jvp(f, args, atol=None, rtol=None, eps=None):
    """Check `funcdiff.jvp(f, args, tangents)` against central finite differences.

    Tangents are random (standard normal, from a seeded generator, so runs are
    reproducible). Also checks that `jvp`'s primal output equals `f(*args)`
    and that tangent outputs have the outputs' dtypes.

    Args:
        f: function of pytrees of arrays.
        args: tuple of positional arguments.
        atol: absolute tolerance; default by dtype (`1e-5` for float64, `1e-2`
            for float32; the least precise input or output decides).
        rtol: relative tolerance; default as for `atol`.
        eps: finite-difference step. Default: by precision as for `numerical_jvp`
            (`1e-6` for float64, `1e-3` for float32), with each element's random
            direction scaled by `max(1, |x|)`, so small elements next to large ones
            get a step their size allows.

    Raises:
        GradientCheckError: (an `AssertionError`) on a mismatch.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff.testing import check_jvp
        >>> check_jvp(fnp.tanh, (fnp.array([0.1, -0.4]),))

        ```
    """
    args = _as_args(args, "check_jvp")
    _check_jvp(f, args, atol, rtol, eps, np.random.default_rng(_SEED), "JVP")


def check_vjp(f, args, atol=None, rtol=None, eps=None):
    """Check `funcdiff.vjp(f, *args)` by random projections.

    With random `u` (shaped like the output) and `v` (shaped like `args`),
    checks `Re sum(vjp(u) * v) == Re sum(u * J v)` where `J v` is computed by
    central finite differences and, separately, by `funcdiff.jvp`. The pairing
    is bilinear (no conjugation), which is JAX's convention for complex
    values: the pullback is linear, not conjugate-linear, and for a real `f`
    of complex `z` it gives `df/dx - i df/dy`. Also checks that each
    cotangent has its argument's shape and dtype.

    The tolerance for the projected numbers is `atol * sum|u| + rtol * sum|u * J v|`
    (the bound that leafwise tolerances `atol + rtol * |J v|` imply).

    Args:
        f: function of pytrees of arrays.
        args: tuple of positional arguments.
        atol: absolute tolerance, as for `check_jvp`.
        rtol: relative tolerance, as for `check_jvp`.
        eps: finite-difference step, as for `check_jvp`.

    Raises:
        GradientCheckError: (an `AssertionError`) on a mismatch.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff.testing import check_vjp
        >>> check_vjp(lambda z: fnp.abs(z) ** 2, (1.0 + 2.0j,))

        ```
    """
    args = _as_args(args, "check_vjp")
    _check_vjp(f, args, atol, rtol, eps, np.random.default_rng(_SEED), "VJP")


def check_grads(f, args, order=2, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check derivatives of `f` at `args` against finite differences, up to `order`.

    At each order, mode "fwd" runs `check_jvp` and "rev" runs `check_vjp`.
    For order > 1 it recurses on the derivative functions themselves:
    `(primals, tangents) -> jvp(f, primals, tangents)` for "fwd" and
    `args -> vjp(f, *args)[1](u)` (fixed random `u`) for "rev", each checked in
    every mode of `modes`. So order 2 with both modes covers jvp-of-jvp,
    vjp-of-jvp, jvp-of-vjp and vjp-of-vjp.

    Args:
        f: function of pytrees of arrays (float or complex leaves are
            differentiated; integer and boolean leaves are held fixed).
        args: tuple of positional arguments.
        order: highest derivative order to check.
        modes: a subset of `("fwd", "rev")`.
        atol: absolute tolerance; default by dtype (`1e-5` for float64, `1e-2`
            for float32).
        rtol: relative tolerance; default as for `atol`.
        eps: finite-difference step. Default: by precision as for `numerical_jvp`
            (`1e-6` for float64, `1e-3` for float32), with each element's random
            direction scaled by `max(1, |x|)`, so small elements next to large ones
            get a step their size allows.

    Raises:
        GradientCheckError: (an `AssertionError`) naming the failing check,
            e.g. "JVP of VJP", with both numbers, their difference and the
            tolerance.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff.testing import check_grads
        >>> check_grads(lambda x, y: fnp.sin(x) * y, (0.5, fnp.array([1.0, 2.0])), order=2)

        ```
    """

    args = _as_args(args, "check_grads")
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    unknown = set(modes) - {"fwd", "rev"}
    if unknown:
        raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {modes!r}")
    rng = np.random.default_rng(_SEED)

    def check(f, args, order, label):
        if "fwd" in modes:
            what = f"JVP of {label}" if label else "JVP"
            _check_jvp(f, args, atol, rtol, eps, rng, what)
            if order > 1:
                tangents = tree_map(lambda x: _random_like(rng, x), args)
                check(lambda p, t: jvp(f, p, t), (args, tangents), order - 1, what)
        if "rev" in modes:
            what = f"VJP of {label}" if label else "VJP"
            _check_vjp(f, args, atol, rtol, eps, rng, what, with_jvp="fwd" in modes)
            if order > 1:
                u = tree_map(lambda y: _random_like(rng, y), f(*args))

                def f_vjp(*xs):
                    return vjp_now(f, *xs)[1](u)

                check(f_vjp, args, order - 1, what)

    check(f, args, order, "")


# --------------------------------------------------------------------------
# Hypothesis strategies (hypothesis is imported lazily)


def array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Strategy for array shapes: tuples of `min_dims..max_dims` sides in `min_side..max_side`.

    Example:
        ```python
        from hypothesis import given
        from funcdiff.testing import array_shapes

        @given(array_shapes(max_dims=2))
        def test_something(shape):
            assert len(shape) <= 2 and all(1 <= n <= 4 for n in shape)
        ```
    """
    from hypothesis.extra import numpy as hnp

    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes=2, base_shape=(), min_dims=0, max_dims=3, min_side=1,
                         max_side=4):
    """Strategy for a tuple of `num_shapes` shapes that broadcast together (with `base_shape`).

    Example:
        ```python
        from hypothesis import given
        from funcdiff.testing import broadcastable_shapes

        @given(broadcastable_shapes(2))
        def test_add(shapes):
            a_shape, b_shape = shapes      # e.g. (3, 1) and (4,)
            np.broadcast_shapes(a_shape, b_shape)  # they broadcast
        ```
    """
    from hypothesis.extra import numpy as hnp

    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, base_shape=base_shape, min_dims=min_dims, max_dims=max_dims,
        min_side=min_side, max_side=max_side,
    ).map(lambda s: s.input_shapes)


def _inward(lo, hi, dtype):
    """The bounds rounded inward to values representable in `dtype`."""
    lo_r, hi_r = dtype.type(lo), dtype.type(hi)
    if lo_r < lo:
        lo_r = np.nextafter(lo_r, dtype.type(np.inf))
    if hi_r > hi:
        hi_r = np.nextafter(hi_r, dtype.type(-np.inf))
    return float(lo_r), float(hi_r)


def arrays(shape=None, dtype=np.float64, min_value=-10.0, max_value=10.0, *,
           min_magnitude=0.0, unique=True):
    """Strategy for finite float (or complex) arrays fit for gradient checks.

    Elements lie in `[min_value, max_value]` (both parts for complex dtypes):
    no NaN, no infinity, no subnormals and no huge magnitudes, so finite
    differences are accurate. `min_magnitude` keeps elements (moduli for
    complex) away from zero (for `log`, division, kinks at zero); `unique`
    (default) avoids ties, where `max`, `sort` and friends have kinks.

    Args:
        shape: a shape, or a strategy for shapes (default `array_shapes()`).
        dtype: a float or complex dtype.
        min_value: lower bound of the elements (of their real and imaginary
            parts for complex dtypes).
        max_value: upper bound, likewise.
        min_magnitude: smallest allowed absolute value.
        unique: whether the elements of one array are distinct.

    Example:
        ```python
        from hypothesis import given
        from funcdiff.testing import arrays, check_grads

        @given(arrays(dtype=np.float32, min_value=0.1, max_value=5.0))
        def test_log(x):
            check_grads(fnp.log, (x,), order=2)
        ```
    """
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp

    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        raise ValueError(f"arrays: dtype must be a float or complex dtype, got {dtype}")
    real = np.finfo(dtype).dtype
    lo, hi = _inward(min_value, max_value, real)
    part = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                     width=8 * real.itemsize)
    elements = st.builds(complex, part, part) if dtype.kind == "c" else part
    if min_magnitude > 0:
        elements = elements.filter(lambda v: abs(v) >= min_magnitude)
    if shape is None:
        shape = array_shapes()
    return hnp.arrays(dtype, shape, elements=elements, unique=unique)


def pytrees_of_arrays(leaves=None, max_leaves=4):
    """Strategy for pytrees (nested tuples, lists and dicts) of arrays.

    Args:
        leaves: strategy for the leaves (default `arrays()`).
        max_leaves: roughly the largest number of leaves.

    Every container has at least one child, so each tree has at least one leaf.

    Example:
        ```python
        from hypothesis import given
        from funcdiff.testing import arrays, check_grads, pytrees_of_arrays
        from funcdiff._src.tree import tree_leaves

        @given(pytrees_of_arrays(arrays(shape=(2,))))
        def test_sum_of_squares(tree):
            check_grads(lambda t: sum(fnp.sum(x ** 2) for x in tree_leaves(t)), (tree,))
        ```
    """
    from hypothesis import strategies as st

    if leaves is None:
        leaves = arrays()

    def containers(children):
        return st.one_of(
            st.lists(children, min_size=1, max_size=3).map(tuple),
            st.lists(children, min_size=1, max_size=3),
            st.dictionaries(st.sampled_from("abcd"), children, min_size=1, max_size=3),
        )

    return st.recursive(leaves, containers, max_leaves=max_leaves)
