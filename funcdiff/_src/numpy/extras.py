"""The rest of NumPy's checklist: finite differences, grids, partitions, convolutions, ...

Each function is NumPy's own outside transforms (exactly NumPy's values and
types, at NumPy's speed). Inside transforms it is a composition of other
`funcdiff.numpy` functions, so it is differentiable to any order, in forward
and reverse mode, and works under `vmap` and `jit`, with no rules of its own.
The one exception is the index computation of `partition`/`argpartition`, a
primitive with no derivative (the values then follow a linear gather).
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from funcdiff._src.core import ShapedArray, Tracer, dtype_of, shape_of, traced
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.lax import reductions as rp
from funcdiff._src.numpy.contraction import matmul
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.elementwise import (
    abs,
    add,
    arctan2,
    astype,
    conj,
    divide,
    equal,
    floor,
    imag,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_or,
    multiply,
    negative,
    not_equal,
    real,
    stop_gradient,
    subtract,
    where,
)
from funcdiff._src.numpy.indexing import take
from funcdiff._src.numpy.reductions import all as _all
from funcdiff._src.numpy.shape import broadcast_to, concatenate, flip, moveaxis, pad, reshape
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "angle", "real_if_close", "nan_to_num", "isclose", "allclose", "diff", "gradient",
    "linspace", "meshgrid", "partition", "argpartition", "convolve", "correlate", "polyval",
]

_NoValue = np._NoValue


_traced = traced  # inside a transform, one of the arguments is or holds a tracer


_arr = asarray


def _slice(x, axis, start=None, stop=None):
    """`x[start:stop]` along `axis`."""
    return x[(slice(None),) * axis + (slice(start, stop),)]


# -- complex numbers ---------------------------------------------------------------------
@numpy_outside_transforms(np.angle, unless_traced=True)
def angle(z, deg=False):
    """`numpy.angle`: the argument of complex `z` (0 or pi for real `z`).

    The derivative is that of `arctan2(imag, real)`; at `z == 0`, where the
    angle jumps, it is 0. For real `z` it is 0 everywhere.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> float(fnp.angle(1j))
        1.5707963267948966
        >>> complex(fd.grad(fnp.angle)(1j))  # d/dx - i d/dy of atan2(y, x)
        (-1+0j)

        ```
    """
    if dtype_of(z).kind == "c":
        re, im = real(z), imag(z)
        zero = logical_and(equal(re, 0), equal(im, 0))
        # double where: at z == 0 the derivative of the taken branch is 0 and the
        # untaken branch is evaluated at (1, 0), where it is finite
        smooth = arctan2(where(zero, 0, im), where(zero, 1, re))
        a = where(zero, arctan2(stop_gradient(im), stop_gradient(re)), smooth)
    else:
        a = arctan2(0, stop_gradient(z))
    return multiply(a, 180 / np.pi) if deg else a


@numpy_outside_transforms(np.real_if_close, unless_traced=True)
def real_if_close(a, tol=100):
    """`numpy.real_if_close`: the real part if every imaginary part is below `tol`.

    `tol` counts machine epsilons when above 1. Whether the result is real
    depends on the values, so inside `vmap`/`jit` (abstract values) it raises
    `ConcretizationError`; use `fnp.real` there. Under `grad`/`jvp` it works.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.real_if_close(fnp.array([2.1 + 4e-14j, 5.2 + 3e-15j]), tol=1000)
        array([2.1, 5.2])

        ```
    """
    a = _arr(a)
    if dtype_of(a).kind != "c":
        return a
    if tol > 1:
        tol = np.finfo(dtype_of(a)).eps * tol
    try:
        close = bool(_all(less(abs(imag(a)), tol)))
    except ConcretizationError:
        raise ConcretizationError(
            "real_if_close: whether the result is real or complex depends on the values, "
            "which are abstract here (inside vmap or jit). Use `fnp.real(a)` to take the "
            "real part explicitly."
        ) from None
    return real(a) if close else a


# -- NaN and comparison helpers --------------------------------------------------------
def _replace_nonfinite(x, nan, posinf, neginf):
    dt = dtype_of(x)
    big = np.finfo(dt).max

    def const(v, default):
        v = default if v is None else v
        return astype(v, dt) if isinstance(v, Tracer) else np.asarray(v).astype(dt)

    x = where(isnan(x), const(nan, 0.0), x)
    x = where(logical_and(isinf(x), x > 0), const(posinf, big), x)
    return where(logical_and(isinf(x), x < 0), const(neginf, -big), x)


@numpy_outside_transforms(np.nan_to_num, unless_traced=True)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """`numpy.nan_to_num`: NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf`.

    Defaults: 0, and the largest finite values of the dtype. The replaced
    elements get a zero derivative; the others pass theirs through.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> x = fnp.array([fnp.nan, fnp.inf, 1.0])
        >>> fd.grad(lambda x: fnp.sum(fnp.nan_to_num(3.0 * x)))(x)
        array([0., 0., 3.])

        ```
    """
    x = _arr(x)
    kind = dtype_of(x).kind
    if kind == "c":
        re = _replace_nonfinite(real(x), nan, posinf, neginf)
        im = _replace_nonfinite(imag(x), nan, posinf, neginf)
        return add(re, multiply(im, 1j))
    if kind != "f":
        return x
    return _replace_nonfinite(x, nan, posinf, neginf)


@numpy_outside_transforms(np.isclose, unless_traced=True)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """`numpy.isclose`: `|a - b| <= atol + rtol * |b|` elementwise (boolean, no derivative).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.isclose([1e10, 1e-8], [1.00001e10, 1e-9]).tolist()
        [True, True]

        ```
    """
    x = a if isinstance(a, (int, float, complex)) else _arr(a)
    y = b if isinstance(b, (int, float, complex)) else _arr(b)
    if isinstance(y, int):
        y = float(y)
    elif not isinstance(y, (float, complex)):
        y = astype(y, np.result_type(dtype_of(y), 1.0))
    # NumPy's (|x - y| <= atol + rtol |y|) & isfinite(y) | (x == y), with the non-finite
    # pairs set aside first (so no inf - inf, also not when a jit program runs later)
    finite = logical_and(isfinite(x), isfinite(y))
    xs, ys = where(finite, x, 0), where(finite, y, 0)
    close = less_equal(abs(subtract(xs, ys)), add(atol, multiply(rtol, abs(ys))))
    result = logical_or(logical_and(close, finite), equal(x, y))
    if equal_nan:
        result = logical_or(result, logical_and(isnan(x), isnan(y)))
    return result


@numpy_outside_transforms(np.allclose, unless_traced=True)
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """`numpy.allclose`: `all(isclose(a, b, ...))`.

    Outside transforms a Python `bool` (like NumPy); with traced arguments a
    0-d boolean traced array (usable in `if` under `grad`, in `fnp.where`
    under `vmap`/`jit`).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.allclose([1.0, 2.0], [1.0, 2.0 + 1e-9])
        True

        ```
    """
    return _all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


# -- finite differences ------------------------------------------------------------------
@numpy_outside_transforms(np.diff, unless_traced=True)
def diff(a, n=1, axis=-1, prepend=_NoValue, append=_NoValue):
    """`numpy.diff`: the `n`-th discrete difference along `axis`, differentiable.

    `prepend`/`append` (scalars are broadcast) are joined to `a` first and are
    differentiable too. Boolean arrays use `!=` like NumPy.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.diff(fnp.array([1.0, 4.0, 9.0, 16.0]), n=2)
        array([2., 2.])

        ```
    """
    if n == 0:
        return a
    if n < 0:
        raise ValueError("order must be non-negative but got " + repr(n))
    a = _arr(a)
    nd = len(shape_of(a))
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = normalize_axis_index(axis, nd)
    parts = []
    for extra in (prepend, a, append):
        if extra is _NoValue:
            continue
        extra = _arr(extra)
        if extra is not a and len(shape_of(extra)) == 0:
            extra = broadcast_to(extra, shape_of(a)[:axis] + (1,) + shape_of(a)[axis + 1:])
        parts.append(extra)
    if len(parts) > 1:
        a = concatenate(parts, axis)
    op = not_equal if dtype_of(a) == np.bool_ else subtract
    for _ in range(n):
        a = op(_slice(a, axis, 1, None), _slice(a, axis, None, -1))
    return a


def _spacings(f, varargs, axes):
    """Per axis: a scalar step, or the 1-d array of coordinate differences."""
    n = len(varargs)
    if n == 0:
        return [1.0] * len(axes)
    if n == 1 and len(shape_of(varargs[0])) == 0:
        return [varargs[0]] * len(axes)
    if n != len(axes):
        raise TypeError("invalid number of arguments")
    out = []
    for d, ax in zip(varargs, axes):
        d = d if isinstance(d, (int, float)) else _arr(d)
        nd = len(shape_of(d))
        if nd == 0:
            out.append(d)
            continue
        if nd != 1:
            raise ValueError("distances must be either scalars or 1d")
        if shape_of(d)[0] != shape_of(f)[ax]:
            raise ValueError(
                "when 1d, distances must match the length of the corresponding dimension"
            )
        if dtype_of(d).kind not in "fc":
            d = astype(d, np.float64)
        out.append(diff(d))
    return out


def _gradient_axis(f, ax, h, edge_order):
    """Second-order central differences along `ax`, one-sided of `edge_order` at the ends."""
    nd = len(shape_of(f))

    def s(i, j=_NoValue):  # f[i:j] along ax; f[i:i+1] (keeping the axis) without j
        return _slice(f, ax, i, (None if i == -1 else i + 1) if j is _NoValue else j)

    if len(shape_of(h)) == 0:  # uniform step h
        inner = divide(subtract(s(2, None), s(None, -2)), multiply(2.0, h))
        if edge_order == 1:
            first = divide(subtract(s(1), s(0)), h)
            last = divide(subtract(s(-1), s(-2)), h)
        else:
            first = add(add(multiply(divide(-1.5, h), s(0)), multiply(divide(2.0, h), s(1))),
                        multiply(divide(-0.5, h), s(2)))
            last = add(add(multiply(divide(0.5, h), s(-3)), multiply(divide(-2.0, h), s(-2))),
                       multiply(divide(1.5, h), s(-1)))
        return concatenate([first, inner, last], ax)

    # non-uniform: h holds the n - 1 coordinate differences
    def along(v):  # a 1-d array of coefficients, shaped to broadcast along `ax`
        return reshape(v, (1,) * ax + (-1,) + (1,) * (nd - ax - 1))

    d1, d2 = h[:-1], h[1:]
    a = divide(negative(d2), multiply(d1, add(d1, d2)))
    b = divide(subtract(d2, d1), multiply(d1, d2))
    c = divide(d1, multiply(d2, add(d1, d2)))
    inner = add(add(multiply(along(a), s(None, -2)), multiply(along(b), s(1, -1))),
                multiply(along(c), s(2, None)))
    if edge_order == 1:
        first = divide(subtract(s(1), s(0)), h[0])
        last = divide(subtract(s(-1), s(-2)), h[-1])
    else:
        d1, d2 = h[0], h[1]
        a = divide(negative(add(multiply(2.0, d1), d2)), multiply(d1, add(d1, d2)))
        b = divide(add(d1, d2), multiply(d1, d2))
        c = divide(negative(d1), multiply(d2, add(d1, d2)))
        first = add(add(multiply(a, s(0)), multiply(b, s(1))), multiply(c, s(2)))
        d1, d2 = h[-2], h[-1]
        a = divide(d2, multiply(d1, add(d1, d2)))
        b = divide(negative(add(d2, d1)), multiply(d1, d2))
        c = divide(add(multiply(2.0, d2), d1), multiply(d2, add(d1, d2)))
        last = add(add(multiply(a, s(-3)), multiply(b, s(-2))), multiply(c, s(-1)))
    return concatenate([first, inner, last], ax)


@numpy_outside_transforms(np.gradient, unless_traced=True)
def gradient(f, *varargs, axis=None, edge_order=1):
    """`numpy.gradient`: central differences inside, one-sided at the boundaries.

    `varargs`: nothing (unit steps), one scalar step for every axis, or one
    scalar step or 1-d coordinate array per axis. `edge_order` 1 or 2. The
    result is differentiable in `f` and in the steps/coordinates. One array
    for one axis, else a tuple of arrays (one per axis).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fnp.gradient(fnp.array([1.0, 2.0, 4.0, 7.0]), 0.5)
        array([2., 3., 5., 6.])
        >>> fd.grad(lambda h: fnp.gradient(fnp.array([1.0, 2.0, 4.0]), h)[1])(2.0)
        np.float64(-0.375)

        ```
    """
    f = _arr(f)
    nd = len(shape_of(f))
    axes = tuple(range(nd)) if axis is None else normalize_axis_tuple(axis, nd)
    steps = _spacings(f, varargs, axes)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    otype = dtype_of(f) if dtype_of(f).kind in "fc" else np.dtype(np.float64)
    if dtype_of(f).kind not in "fc":
        f = astype(f, np.float64)
    outs = []
    for ax, h in zip(axes, steps):
        if shape_of(f)[ax] < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, "
                "at least (edge_order + 1) elements are required."
            )
        g = _gradient_axis(f, ax, h, edge_order)
        outs.append(g if dtype_of(g) == otype else astype(g, otype))
    return outs[0] if len(axes) == 1 else tuple(outs)


# -- grids --------------------------------------------------------------------------
@numpy_outside_transforms(np.linspace, unless_traced=True)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *,
             device=None):
    """`numpy.linspace`, differentiable in `start` and `stop` (arrays broadcast).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fnp.linspace(0.0, 1.0, 5)
        array([0.  , 0.25, 0.5 , 0.75, 1.  ])
        >>> fd.grad(lambda a: fnp.sum(fnp.linspace(a, 1.0, 5)))(0.0)  # sum of (1 - i/4)
        np.float64(2.5)

        ```
    """
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = num - 1 if endpoint else num
    vals = [x if isinstance(x, (int, float, complex)) else _arr(x) for x in (start, stop)]
    dt = np.result_type(*[v if isinstance(v, (int, float, complex)) else dtype_of(v)
                          for v in vals])
    if dt.kind not in "fc":
        dt = np.result_type(dt, 1.0)
    start, stop = (astype(v, dt) if isinstance(v, Tracer) else np.asarray(v, dt) for v in vals)
    delta = subtract(stop, start)
    shape = shape_of(delta)
    ramp = np.arange(num, dtype=dt).reshape((-1,) + (1,) * len(shape))
    if div > 0:
        step = divide(delta, div)
        y = multiply(ramp, step)
    else:
        step = np.full(shape, np.nan, dt)[()]
        y = multiply(ramp, delta)
    y = add(y, start)
    if endpoint and num > 1:
        y = concatenate([y[:-1], reshape(broadcast_to(stop, shape), (1,) + shape)], 0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        if np.issubdtype(dtype, np.integer):
            y = floor(y)
        y = astype(y, dtype)
    return (y, step) if retstep else y


@numpy_outside_transforms(np.meshgrid, unless_traced=True)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """`numpy.meshgrid`: coordinate arrays from 1-d coordinate vectors, differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> X, Y = fnp.meshgrid(fnp.array([1.0, 2.0, 3.0]), fnp.array([4.0, 5.0]))
        >>> X.shape, Y.shape
        ((2, 3), (2, 3))

        ```
    """
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    nd = len(xi)
    shapes = [(1,) * i + (-1,) + (1,) * (nd - i - 1) for i in range(nd)]
    if indexing == "xy" and nd > 1:
        shapes[0] = (1, -1) + (1,) * (nd - 2)
        shapes[1] = (-1, 1) + (1,) * (nd - 2)
    out = [reshape(_arr(x), s) for x, s in zip(xi, shapes)]
    if not sparse:
        full = np.broadcast_shapes(*[shape_of(o) for o in out])
        out = [broadcast_to(o, full) for o in out]
    return tuple(out)


# -- partitions -------------------------------------------------------------------------
def _partition_index(a, kth, axis, kind):
    """Indices `idx` with `take_along_axis(a, idx) == numpy.partition(a, kth)` exactly."""
    p = np.partition(a, kth, axis=axis, kind=kind)
    a_order = np.argsort(a, axis=axis, kind="stable")
    p_order = np.argsort(p, axis=axis, kind="stable")
    idx = np.empty_like(a_order)
    np.put_along_axis(idx, p_order, a_order, axis=axis)  # p[p_order] == a[a_order]
    return idx


partition_index_p = rp._nondifferentiable(
    "partition_index", lambda x, kth, axis, kind: _partition_index(x, list(kth), axis, kind)
)
argpartition_p = rp._nondifferentiable(
    "argpartition", lambda x, kth, axis, kind: np.argpartition(x, list(kth), axis=axis, kind=kind)
)
partition_index_p.abstract_eval = argpartition_p.abstract_eval = (
    lambda x, kth, axis, kind: ShapedArray(x.shape, np.intp)
)


def _partition_args(a, kth, axis, order, name):
    if order is not None:
        raise TypeError(f"{name}: `order` (structured arrays) is not supported inside transforms")
    a = _arr(a)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = normalize_axis_index(axis, len(shape_of(a)))
    kth = tuple(int(k) for k in np.atleast_1d(np.asarray(kth)))
    n = shape_of(a)[axis]
    for k in kth if n else ():  # NumPy's error for a bad kth (it checks none for n == 0)
        if not -n <= k < n:
            raise ValueError(f"kth(={k + n if k < 0 else k}) out of bounds ({n})")
    return a, kth, axis


@numpy_outside_transforms(np.partition, unless_traced=True)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """`numpy.partition`: the values, differentiable (each follows its element).

    Inside transforms the values are exactly NumPy's, arrangement included.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> float(fnp.partition(fnp.array([3.0, 1.0, 2.0, 5.0]), 1)[1])
        2.0
        >>> fd.grad(lambda x: fnp.partition(x, 1)[1])(fnp.array([3.0, 1.0, 2.0, 5.0]))
        array([0., 0., 1., 0.])

        ```
    """
    a, kth, axis = _partition_args(a, kth, axis, order, "partition")
    idx = partition_index_p.bind(a, kth=kth, axis=axis, kind=kind)
    return rp.gather_along_axis(a, idx, axis)


@numpy_outside_transforms(np.argpartition, unless_traced=True)
def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """`numpy.argpartition` (integer result, no derivative).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> int(fnp.argpartition(fnp.array([3.0, 1.0, 2.0]), 0)[0])
        1

        ```
    """
    a, kth, axis = _partition_args(a, kth, axis, order, "argpartition")
    return argpartition_p.bind(a, kth=kth, axis=axis, kind=kind)


# -- convolution -------------------------------------------------------------------------
_MODES = {"valid": 0, "same": 1, "full": 2, 0: 0, 1: 1, 2: 2}


def _as_1d(x):
    x = _arr(x)
    nd = len(shape_of(x))
    if nd > 1:
        raise ValueError("object too deep for desired array")
    return reshape(x, (1,)) if nd == 0 else x


def _correlate_core(x, y, mode):
    """`out[k] = sum_j xp[k + j] * y[j]` for `len(x) >= len(y)`, `xp` = `x` zero-padded.

    The padding is NumPy's for `mode`: none ("valid"), about half of `len(y)`
    ("same") or `len(y) - 1` on each side ("full"). The windows of `xp` are
    gathered with one static index matrix, then contracted with `y`.
    """
    n = shape_of(y)[0]
    left, right = {0: (0, 0), 1: (n // 2, n - n // 2 - 1), 2: (n - 1, n - 1)}[mode]
    if left or right:
        x = pad(x, (left, right))
    length = shape_of(x)[0] - n + 1
    windows = take(x, np.arange(length)[:, None] + np.arange(n)[None, :])
    return matmul(windows, y)


def _check_conv(a, v, mode):
    np.correlate(np.zeros(1), np.zeros(1), mode)  # NumPy's error for a bad mode
    a, v = _as_1d(a), _as_1d(v)
    return a, v, _MODES[mode]


@numpy_outside_transforms(np.convolve, unless_traced=True)
def convolve(a, v, mode="full"):
    """`numpy.convolve`: discrete linear convolution of 1-d arrays, differentiable in both.

    `mode`: "full" (length n + m - 1), "same" (max(n, m)) or "valid"
    (max(n, m) - min(n, m) + 1).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.convolve(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]))
        array([0. , 1. , 2.5, 4. , 1.5])

        ```
    """
    a, v, mode = _check_conv(a, v, mode)
    if shape_of(v)[0] > shape_of(a)[0]:
        a, v = v, a
    if shape_of(a)[0] == 0:
        raise ValueError("a cannot be empty")
    if shape_of(v)[0] == 0:
        raise ValueError("v cannot be empty")
    return _correlate_core(a, flip(v), mode)


@numpy_outside_transforms(np.correlate, unless_traced=True)
def correlate(a, v, mode="valid"):
    """`numpy.correlate`: `c[k] = sum_n a[n + k] * conj(v[n])` for 1-d arrays, differentiable.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.correlate(fnp.array([1.0, 2.0, 3.0]), fnp.array([0.0, 1.0, 0.5]), "full")
        array([0.5, 2. , 3.5, 3. , 0. ])

        ```
    """
    a, v, mode = _check_conv(a, v, mode)
    if shape_of(a)[0] == 0 or shape_of(v)[0] == 0:
        raise ValueError("Array arguments cannot be empty")
    if dtype_of(v).kind == "c":
        v = conj(v)
    if shape_of(a)[0] < shape_of(v)[0]:  # NumPy swaps the arguments and reverses the result
        return flip(_correlate_core(v, a, mode))
    return _correlate_core(a, v, mode)


@numpy_outside_transforms(np.polyval, unless_traced=True)
def polyval(p, x):
    """`numpy.polyval`: `p[0] * x**(n-1) + ... + p[n-1]` by Horner's rule, differentiable.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> float(fnp.polyval([3.0, 0.0, 1.0], 5.0))
        76.0
        >>> float(fd.grad(lambda x: fnp.polyval([3.0, 0.0, 1.0], x))(5.0))
        30.0

        ```
    """
    if isinstance(p, np.poly1d):
        p = p.coeffs
    p, x = _arr(p), _arr(x)
    y = np.zeros_like(x) if not isinstance(x, Tracer) else np.zeros(shape_of(x), dtype_of(x))
    for i in range(shape_of(p)[0]):
        y = add(multiply(y, x), p[i])
    return y
