"""The implementation of `funcdiff.scipy.integrate`.

The public module re-exports the public names and documents them.
"""

from __future__ import annotations

import inspect
import math
import warnings

import numpy as np
import scipy.integrate as _si

from funcdiff import numpy as fnp
from funcdiff._src.api.forward import jvp
from funcdiff._src.api.reverse import vjp_now
from funcdiff._src.api.vmap import vmap
from funcdiff._src.core import Primitive, ShapedArray, Tracer, _state, dtype_of, get_aval, shape_of
from funcdiff._src.interpreters.staging import stage_flat
from funcdiff._src.lax.elementwise import convert_element_type
from funcdiff._src.lax.shape import bdim_to_front, concatenate, reshape, slice_in_dim
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.extras import trapezoid as _np_trapezoid
from funcdiff._src.numpy.util import numpy_outside_transforms
from funcdiff._src.tree import tree_flatten, tree_unflatten

_F64 = np.dtype(np.float64)

# -- Dormand-Prince 5(4) tableau ------------------------------------------------------------
_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
_B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])  # 5th order
_E = _B - np.array(  # 5th minus 4th order weights: the error estimate
    [5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40]
)


def _rms(x):
    """The largest root-mean-square over the last axis (one norm per batch member)."""
    if x.shape[-1] == 0:
        return 0.0
    return float(np.max(np.sqrt(np.mean(x * x, axis=-1)), initial=0.0))


def _initial_step(g, y, k1, rtol, atol):
    """Hairer, Norsett & Wanner's starting step (in s units) for y' = g(s, y)."""
    scale = atol + rtol * np.abs(y)
    d0, d1 = _rms(y / scale), _rms(k1 / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    d2 = _rms((g(h0, y + h0 * k1) - k1) / scale) / h0
    big = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if big <= 1e-15 else (0.01 / big) ** 0.2
    return min(100 * h0, h1, 1.0)


class _StepFailure(Exception):
    pass


def _interval(f, y, f0, t0, dt, h, rtol, atol, mxstep, hmax):
    """Integrate from t0 to t0 + dt (per batch member) in s in [0, 1]; returns
    (y, f(y), proposed next step in t units)."""
    dtc = dt[..., None]

    def g(s, y):
        return dtc * f(y, t0 + s * dt)

    span = float(np.max(np.abs(dt), initial=0.0))
    if span == 0.0:
        return y, f0, h
    k1 = dtc * f0
    h = _initial_step(g, y, k1, rtol, atol) if h is None else h / span
    hmax_s = hmax / span
    h = min(h, hmax_s, 1.0)
    s, steps = 0.0, 0
    while s < 1.0:
        if steps >= mxstep:
            raise _StepFailure(f"mxstep={mxstep} steps were not enough")
        if h < 1e-14:
            raise _StepFailure("the step size underflowed")
        last = s + h >= 1.0
        h_try = 1.0 - s if last else h
        ks = [k1]
        for i in range(1, 6):
            yi = y + h_try * sum(a * k for a, k in zip(_A[i], ks) if a)
            ks.append(g(s + _C[i] * h_try, yi))
        y_new = y + h_try * sum(b * k for b, k in zip(_B, ks) if b)
        f_new = f(y_new, t0 + (s + h_try) * dt)
        ks.append(dtc * f_new)
        err = h_try * sum(e * k for e, k in zip(_E, ks) if e)
        scale = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
        ratio = _rms(err / scale)
        if not ratio <= 1.0:  # reject (NaN too) and retry with a smaller step
            h = h_try * (max(0.2, 0.9 * ratio**-0.2) if ratio < np.inf else 0.2)
        else:  # accept
            factor = 10.0 if ratio == 0 else min(10.0, 0.9 * ratio**-0.2)
            s = 1.0 if last else s + h_try
            y, f0, k1 = y_new, f_new, ks[-1]
            h = max(h, h_try * factor) if last else h_try * factor
        h = min(h, hmax_s)
        steps += 1
    return y, f0, h * span


def _odeint_impl(y0, ts, *params, dyn, rtol, atol, mxstep, hmax):
    y0, ts = np.asarray(y0), np.asarray(ts)

    def f(y, t):
        out = dyn(y, t, *params)
        if isinstance(out, Tracer):
            raise TypeError(
                "odeint: func closes over a traced value that odeint could not make explicit "
                "(func could not be staged). Pass such values through odeint's *args."
            )
        return np.asarray(out, y0.dtype)

    m = ts.shape[-1]
    ys = np.empty(y0.shape[:-1] + (m, y0.shape[-1]), y0.dtype)
    if m == 0:
        return ys
    ys[..., 0, :] = y0
    y, fy, h = y0, f(y0, ts[..., 0]), None
    for i in range(m - 1):
        try:
            y, fy, h = _interval(
                f, y, fy, ts[..., i], ts[..., i + 1] - ts[..., i], h, rtol, atol, mxstep, hmax
            )
        except _StepFailure as e:
            warnings.warn(
                f"odeint: {e} between t={ts[..., i]} and t={ts[..., i + 1]}; the remaining "
                "values are NaN. Loosen rtol/atol, raise mxstep, or check func.",
                RuntimeWarning,
                stacklevel=2,
            )
            ys[..., i + 1 :, :] = np.nan
            break
        ys[..., i + 1, :] = y
    return ys


odeint_p = Primitive("odeint", _odeint_impl)
odeint_p.abstract_eval = lambda y0, ts, *params, **kw: ShapedArray(
    y0.shape[:-1] + (ts.shape[-1], y0.shape[-1]), y0.dtype
)


def _solve(y0, ts, params, dyn, opts):
    if _state.stack:
        return odeint_p.bind(y0, ts, *params, dyn=dyn, **opts)
    return _odeint_impl(y0, ts, *params, dyn=dyn, **opts)


# -- small helpers (funcdiff operations) ---------------------------------------------------------


def _last(x, start, stop):
    return slice_in_dim(x, start, stop, 1, -1)


def _at(x, i, axis=-1):
    """x[..., i] (axis -1) or x[..., i, :] (axis -2)."""
    nd = len(shape_of(x))
    axis %= nd
    s = slice_in_dim(x, i, i + 1, 1, axis)
    return reshape(s, tuple(shape_of(s)[:axis]) + tuple(shape_of(s)[axis + 1 :]))


def _flat(x, lead):
    """x with its axes after the `lead` batch axes raveled, as float64."""
    x = convert_element_type(x, _F64)
    return reshape(x, tuple(lead) + (math.prod(shape_of(x)[len(lead) :]),))


def _grid_f(dyn, ys, ts, params):
    """f(y_i, t_i) at every grid point: (..., m, n)."""

    return vmap(lambda y, t: dyn(y, t, *params), in_axes=(-2, -1), out_axes=-2)(ys, ts)


def _inexact(x):
    return dtype_of(x).kind in "fc"


def _merge(params, idx, vals):
    full = list(params)
    for j, v in zip(idx, vals):
        full[j] = v
    return full


# -- JVP: the sensitivity system [y, δ] ------------------------------------------------------------
def _odeint_jvp(primals, tangents, dyn, **opts):
    y0, ts, *params = primals
    dy0, dts, *dps = [t if t is not None and _inexact(t) else None for t in tangents]
    ys = _solve(y0, ts, params, dyn, opts)
    idx = [j for j, t in enumerate(dps) if t is not None]
    if dy0 is None and dts is None and not idx:
        return ys, None
    n, npar = shape_of(y0)[-1], len(params)

    def aug(z, t, *ps):
        p, dp = ps[:npar], ps[npar:]

        def fy(y, *pj):
            return dyn(y, t, *_merge(p, idx, pj))

        f, df = jvp(fy, (_last(z, 0, n), *[p[j] for j in idx]), (_last(z, n, 2 * n), *dp))
        return concatenate([f, convert_element_type(df, dtype_of(f))], len(shape_of(f)) - 1)

    d0 = np.zeros(shape_of(y0), dtype_of(y0)) if dy0 is None else dy0
    if dts is not None:
        d0 = d0 - dyn(y0, _at(ts, 0), *params) * _at(dts, 0)[..., None]
    z0 = concatenate([y0, convert_element_type(d0, dtype_of(y0))], len(shape_of(y0)) - 1)
    zs = _solve(z0, ts, list(params) + [dps[j] for j in idx], aug, opts)
    tout = _last(zs, n, 2 * n)
    if dts is not None:
        tout = tout + _grid_f(dyn, ys, ts, params) * dts[..., None]
    return ys, tout


# -- VJP: the adjoint system [y, a, a_params], backward between grid points ------------------------
def _odeint_vjp(g, ys, primals, argnums, dyn, **opts):
    y0, ts, *params = primals
    lead, n, m = tuple(shape_of(y0)[:-1]), shape_of(y0)[-1], shape_of(ts)[-1]
    idx = [j for j, p in enumerate(params) if 2 + j in argnums and _inexact(p)]
    sizes = [math.prod(shape_of(params[j])[len(lead) :]) for j in idx]

    def adjoint(state, t, *ps):
        y, a = _last(state, 0, n), _last(state, n, 2 * n)
        b = tuple(shape_of(state)[:-1])

        def fy(y, *pj):
            return dyn(y, t, *_merge(ps, idx, pj))

        f, pullback = vjp_now(fy, y, *[ps[j] for j in idx])
        cts = pullback(a)
        parts = [f] + [-_flat(c, b) for c in cts]
        return concatenate([convert_element_type(p, _F64) for p in parts], len(b))

    need_t = 1 in argnums
    fs = _grid_f(dyn, ys, ts, params) if need_t else None
    a = _at(g, m - 1, -2)
    pbar = [np.zeros(lead + (k,)) for k in sizes]
    t_cts = []
    for i in range(m - 1, 0, -1):
        if need_t:
            t_cts.append(fnp.sum(_at(g, i, -2) * _at(fs, i, -2), axis=-1))
        state = concatenate([convert_element_type(_at(ys, i, -2), _F64), a, *pbar], len(lead))
        grid = fnp.stack([_at(ts, i), _at(ts, i - 1)], axis=-1)
        back = _at(_solve(state, grid, params, adjoint, opts), 1, -2)
        a = _last(back, n, 2 * n) + _at(g, i - 1, -2)
        offsets = np.cumsum([2 * n] + sizes)
        pbar = [_last(back, int(lo), int(hi)) for lo, hi in zip(offsets[:-1], offsets[1:])]
    cts = {0: a}
    if need_t:
        a0 = a - _at(g, 0, -2)  # a(t_0) from the later outputs only
        t_cts.append(-fnp.sum(a0 * _at(fs, 0, -2), axis=-1))
        cts[1] = fnp.stack(t_cts[::-1], axis=-1)
    for j, p in zip(idx, pbar):
        cts[2 + j] = reshape(p, shape_of(params[j]))
    return [cts.get(i) for i in argnums]


# -- vmap: one integration of the whole batch ------------------------------------------------------
def _odeint_batch(args, dims, dyn, **opts):
    size = next(shape_of(a)[d] for a, d in zip(args, dims) if d is not None)
    args = [bdim_to_front(a, d, size) for a, d in zip(args, dims)]
    return odeint_p.bind(*args, dyn=vmap(dyn), **opts), 0


odeint_p.jvp = _odeint_jvp
odeint_p.vjp = _odeint_vjp
odeint_p.batch = _odeint_batch


# -- the public function ---------------------------------------------------------------------------
def _closure_convert(dyn, avals):
    """`dyn` with the traced values it closes over made explicit: (dyn2, extra_params)."""

    try:
        program, hoisted = stage_flat(lambda *xs: [dyn(*xs)], avals, "odeint")
    except Exception:  # not stageable (e.g. Python control flow on values): checked when
        return dyn, []  # it runs (_odeint_impl); a genuine error in func shows up there too
    if not hoisted:
        return dyn, []
    k = len(hoisted)  # the program takes them first; dyn2 takes them last

    def explicit(y, t, *params):
        return program(*params[len(params) - k :], y, t, *params[: len(params) - k])[0]

    return explicit, hoisted


def _extra_args(func, args, scipy_args):
    """JAX's `*args`; SciPy's (and autograd's) `args=(...)`, by keyword or as the one
    positional argument after `t`: a tuple that `func` takes unpacked (it cannot take it
    whole, as its third parameter, but can take its items as the third, fourth, ...)."""
    if scipy_args is not None:
        if args:
            raise TypeError("odeint: give func's extra arguments either after t (JAX's "
                            "*args) or as args=(...) (SciPy's), not both")
        return tuple(scipy_args) if isinstance(scipy_args, (tuple, list)) else (scipy_args,)
    if len(args) != 1 or not isinstance(args[0], tuple):
        return args
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return args

    def takes(n):
        try:
            sig.bind(*range(n))
        except TypeError:
            return False
        return True

    return args[0] if not takes(3) and takes(2 + len(args[0])) else args


def odeint(func, y0, t, *args, rtol=1.4e-8, atol=1.4e-8, mxstep=np.inf, hmax=np.inf,
           **scipy_kwargs):
    """Solve `dy/dt = func(y, t, *args)` from `y(t[0]) = y0`; y at every time of `t`.

    JAX's `odeint`: adaptive Dormand-Prince 5(4) steps, differentiable with
    respect to `y0`, the time grid `t` and every float leaf of `args` (reverse
    mode by the adjoint ODE, forward mode by the sensitivity ODE), batchable
    with `vmap`. The state is computed in float64; each output leaf has its
    `y0` leaf's dtype.

    Args:
        func: `func(y, t, *args) -> dy/dt`, with `dy/dt` of `y`'s structure
            and shapes; written with `funcdiff.numpy` (or NumPy functions that
            dispatch to it).
        y0: the initial state, an array or pytree of arrays.
        t: 1-D grid of times (increasing or decreasing); `t[0]` is the
            initial time.
        *args: extra arguments of `func` (pytrees of arrays). SciPy's spelling works
            too: `args=(a, b)` by keyword, or the tuple as the one argument after `t`
            when `func` takes its items (and could not take the tuple whole).
        rtol: relative tolerance of the local error.
        atol: absolute tolerance of the local error.
        mxstep: maximum number of steps per grid interval; beyond it (or when
            the step size underflows) a RuntimeWarning is given and the
            remaining values are NaN.
        hmax: maximum step size.

    Returns:
        `y` with the structure of `y0`, each leaf with a leading axis of
        length `len(t)`.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.integrate import odeint
        >>> t = np.array([0.0, 1.0])
        >>> round(float(odeint(lambda y, t, k: -k * y, 1.0, t, 2.0)[1]), 6)  # exp(-2)
        0.135335
        >>> g = fd.grad(lambda k: odeint(lambda y, t: -k * y, 1.0, t)[1])(2.0)
        >>> round(float(g), 6)  # d/dk exp(-k) = -exp(-k)
        -0.135335

        ```
    """
    unknown = set(scipy_kwargs) - {"args"}
    if unknown:
        raise TypeError(f"odeint: unsupported argument(s) {sorted(unknown)} (funcdiff's "
                        "odeint takes func, y0, t, *args, rtol, atol, mxstep, hmax, and "
                        "SciPy's args=)")
    args = _extra_args(func, args, scipy_kwargs.get("args"))
    y_leaves, y_tree = tree_flatten(y0)
    y_leaves = [asarray(x) for x in y_leaves]
    shapes = [tuple(shape_of(x)) for x in y_leaves]
    for x in y_leaves:
        if dtype_of(x).kind == "c":
            raise TypeError(
                "odeint: complex states are not supported; split y0 into real and imaginary parts"
            )
    out_dtypes = [dtype_of(x) if _inexact(x) else _F64 for x in y_leaves]
    sizes = [math.prod(s) for s in shapes]
    offsets = np.cumsum([0] + sizes)
    t = asarray(t)
    if len(shape_of(t)) != 1:
        raise ValueError(f"odeint: t must be a 1-D array of times, got shape {shape_of(t)}")
    ts = convert_element_type(t, _F64)
    arg_leaves, arg_tree = tree_flatten(args)
    arg_leaves = [asarray(x) for x in arg_leaves]

    def unravel(flat):
        """The pytree of `flat`'s last axis (..., n) -> leaves of shape (..., *shape)."""
        lead = tuple(shape_of(flat)[:-1])
        parts = [
            reshape(_last(flat, int(lo), int(hi)), lead + s)
            for lo, hi, s in zip(offsets[:-1], offsets[1:], shapes)
        ]
        return parts

    def dyn(y, t, *leaves):
        out = func(tree_unflatten(y_tree, unravel(y)), t, *tree_unflatten(arg_tree, leaves))
        out_leaves, out_tree = tree_flatten(out)
        if out_tree != y_tree:
            raise TypeError(f"odeint: func returned structure {out_tree}, but y0 has {y_tree}")
        for o, s in zip(out_leaves, shapes):
            if tuple(shape_of(o)) != s:
                raise TypeError(
                    f"odeint: func returned a leaf of shape {shape_of(o)} for a "
                    f"state leaf of shape {s}"
                )
        return concatenate([_flat(o, ()) for o in out_leaves], 0)

    y_flat = concatenate([_flat(x, ()) for x in y_leaves], 0) if y_leaves else np.zeros(0)
    opts = dict(rtol=float(rtol), atol=float(atol), mxstep=mxstep, hmax=float(hmax))
    params = list(arg_leaves)
    if _state.stack:
        avals = [ShapedArray(shape_of(y_flat), _F64), ShapedArray((), _F64)]
        dyn, extra = _closure_convert(dyn, avals + [get_aval(p) for p in params])
        params += extra
    ys = _solve(y_flat, ts, params, dyn, opts)
    leaves = [convert_element_type(x, d) for x, d in zip(unravel(ys), out_dtypes)]
    return tree_unflatten(y_tree, leaves)


# -- trapezoid -----------------------------------------------------------------------------------
@numpy_outside_transforms(_si.trapezoid, unless_traced=True)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """`scipy.integrate.trapezoid`: the trapezoidal rule along `axis`, differentiable in
    `y`, in the sample points `x` (or the spacing `dx`).

    It is a sum of products of differences: d/dy_i and d/dx_i are the neighbouring
    half-intervals and half-sums, exact (`funcdiff.numpy.trapezoid`).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> from funcdiff.scipy.integrate import trapezoid
        >>> x = np.array([0.0, 1.0, 3.0])
        >>> float(trapezoid(x**2, x))
        10.5
        >>> fd.grad(lambda x: trapezoid(x**2, x))(x).tolist()
        [-0.5, -1.5, 11.0]

        ```
    """
    return _np_trapezoid(y, x, dx, axis)
