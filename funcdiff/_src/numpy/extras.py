"""The rest of NumPy's checklist: finite differences, grids, partitions, convolutions, ...

Each function is NumPy's own outside transforms (exactly NumPy's values and
types, at NumPy's speed). Inside transforms it is a composition of other
`funcdiff.numpy` functions, so it is differentiable to any order, in forward
and reverse mode, and works under `vmap` and `jit`, with no rules of its own.
The one exception is the index computation of `partition`/`argpartition`, a
primitive with no derivative (the values then follow a linear gather).
"""

from __future__ import annotations

import builtins
import operator

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from funcdiff._src.core import ShapedArray, Tracer, concrete_value, dtype_of, shape_of, traced
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.lax import elementwise as lew
from funcdiff._src.lax import reductions as rp
from funcdiff._src.numpy import elementwise as _ew
from funcdiff._src.numpy import indexing as _ix
from funcdiff._src.numpy import linalg as _linalg
from funcdiff._src.numpy import reductions as _rd
from funcdiff._src.numpy import shape as _sh
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
from funcdiff._src.numpy.inplace import write
from funcdiff._src.numpy.reductions import all as _all
from funcdiff._src.numpy.shape import broadcast_to, concatenate, flip, moveaxis, pad, reshape
from funcdiff._src.numpy.util import numpy_outside_transforms, returns_new

__all__ = [
    "angle", "real_if_close", "nan_to_num", "isclose", "allclose", "diff", "gradient",
    "linspace", "meshgrid", "partition", "argpartition", "convolve", "correlate", "polyval",
    "append", "delete", "ediff1d", "trapezoid", "isposinf", "isneginf", "isreal", "iscomplex",
    "count_nonzero", "array_equal", "array_equiv", "nanargmax", "nanargmin", "cov", "corrcoef",
    "vander", "tri", "logspace", "geomspace", "polyadd", "polysub", "polymul", "polyder",
    "polyint", "interp", "signbit", "divmod", "ldexp", "modf", "unwrap", "resize",
    "trim_zeros", "unique", "union1d", "intersect1d", "setdiff1d", "isin", "digitize",
    "bartlett", "blackman", "hamming", "hanning", "kaiser", "indices", "block", "r_", "c_",
    "s_", "index_exp", "mgrid", "ogrid", "bincount", "histogram", "poly", "polydiv", "polyfit",
    "roots", "apply_along_axis", "apply_over_axes", "piecewise",
    "array_repr", "array_str", "get_printoptions", "set_printoptions", "printoptions", "load",
    "save", "savez", "frombuffer", "fromfile", "fromiter", "fromstring", "from_dlpack",
    "can_cast", "isdtype", "iterable", "einsum_path", "mask_indices", "ravel_multi_index",
    "unravel_index", "frompyfunc", "fromfunction",
    "unique_values", "unique_counts", "unique_inverse", "unique_all",
    "setxor1d", "histogram_bin_edges", "sort_complex", "lexsort", "nanmedian", "nanquantile",
    "nanpercentile", "insert", "fill_diagonal", "place", "put", "frexp", "nextafter",
    "spacing", "i0", "histogram2d", "histogramdd", "packbits", "unpackbits",
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


@returns_new
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


# -- editing arrays (#16) ---------------------------------------------------------------------
@numpy_outside_transforms(np.append, unless_traced=True)
def append(arr, values, axis=None):
    """`numpy.append`: `values` joined after `arr` (both raveled when `axis` is None),
    differentiable in both."""
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        return concatenate([_sh.ravel(arr), _sh.ravel(values)])
    return concatenate([arr, values], axis=axis)


@numpy_outside_transforms(np.delete, unless_traced=True)
def delete(arr, obj, axis=None):
    """`numpy.delete`: `arr` without the entries `obj` along `axis` (raveled when None);
    the indices must be known (NumPy's rules and errors), the values are differentiable."""
    arr = _arr(arr)
    if axis is None:
        arr, axis = _sh.ravel(arr), 0
    axis = normalize_axis_index(axis, len(shape_of(arr)))
    keep = np.delete(np.arange(shape_of(arr)[axis]), _concrete_index(obj, "delete"))
    return take(arr, keep, axis=axis)


def _concrete_index(obj, name):
    if isinstance(obj, Tracer):
        try:
            return np.asarray(obj.concrete())
        except ConcretizationError:
            raise ConcretizationError(
                f"{name}: the indices must be known while tracing (they fix the result's "
                "shape); pass them as a NumPy array or Python ints."
            ) from None
    return obj


@numpy_outside_transforms(np.ediff1d, unless_traced=True)
def ediff1d(ary, to_end=None, to_begin=None):
    """`numpy.ediff1d`: differences of the raveled array, with optional ends."""
    a = _sh.ravel(_arr(ary))
    d = subtract(_slice(a, 0, 1), _slice(a, 0, None, -1))
    parts = [d]
    if to_begin is not None:
        parts.insert(0, astype(_sh.ravel(_arr(to_begin)), dtype_of(a)))
    if to_end is not None:
        parts.append(astype(_sh.ravel(_arr(to_end)), dtype_of(a)))
    return concatenate(parts) if len(parts) > 1 else d


@numpy_outside_transforms(np.trapezoid, unless_traced=True)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """`numpy.trapezoid`: the trapezoidal rule along `axis`, differentiable in `y`, `x`
    and `dx`."""
    y = _arr(y)
    nd = len(shape_of(y))
    axis = normalize_axis_index(axis, nd)
    if x is None:
        d = dx
    else:
        x = _arr(x)
        if len(shape_of(x)) == 1:
            d = diff(x)
            shape = [1] * nd
            shape[axis] = shape_of(d)[0]
            d = reshape(d, shape)
        else:
            d = diff(x, axis=axis)
    mid = add(_slice(y, axis, 1), _slice(y, axis, None, -1))
    return _rd.sum(divide(multiply(d, mid), 2.0), axis=axis)


# -- predicates (#16) -------------------------------------------------------------------------
@numpy_outside_transforms(np.isposinf, unless_traced=True)
def isposinf(x, out=None):
    """`numpy.isposinf` (boolean, no derivative)."""
    _no_out(out, "isposinf")
    x = _arr(x)
    return logical_and(isinf(x), less(0.0, x))


@numpy_outside_transforms(np.isneginf, unless_traced=True)
def isneginf(x, out=None):
    """`numpy.isneginf` (boolean, no derivative)."""
    _no_out(out, "isneginf")
    x = _arr(x)
    return logical_and(isinf(x), less(x, 0.0))


@numpy_outside_transforms(np.isreal, unless_traced=True)
def isreal(x):
    """`numpy.isreal`: entries with zero imaginary part."""
    return equal(imag(_arr(x)), 0)


@numpy_outside_transforms(np.iscomplex, unless_traced=True)
def iscomplex(x):
    """`numpy.iscomplex`: entries with a nonzero imaginary part."""
    return not_equal(imag(_arr(x)), 0)


@numpy_outside_transforms(np.count_nonzero, unless_traced=True)
def count_nonzero(a, axis=None, *, keepdims=False):
    """`numpy.count_nonzero` (integer, no derivative)."""
    return _rd.sum(astype(not_equal(_arr(a), 0), np.intp), axis=axis, keepdims=keepdims)


@numpy_outside_transforms(np.array_equal, unless_traced=True)
def array_equal(a1, a2, equal_nan=False):
    """`numpy.array_equal`: same shape and elements (a boolean; traced when the values are)."""
    a1, a2 = _arr(a1), _arr(a2)
    if shape_of(a1) != shape_of(a2):
        return False
    same = equal(a1, a2)
    if equal_nan:
        same = logical_or(same, logical_and(isnan(a1), isnan(a2)))
    return _all(same)


@numpy_outside_transforms(np.array_equiv, unless_traced=True)
def array_equiv(a1, a2):
    """`numpy.array_equiv`: broadcastable and equal elementwise."""
    a1, a2 = _arr(a1), _arr(a2)
    try:
        np.broadcast_shapes(shape_of(a1), shape_of(a2))
    except ValueError:
        return False
    return _all(equal(a1, a2))


def _nan_arg(pick, fill, name, a, axis, out, keepdims):
    _no_out(out, name)
    a = _arr(a)
    mask = isnan(a)
    try:
        values = concrete_value(mask)
    except ConcretizationError:
        values = None  # (abstract: NumPy's all-NaN error cannot be checked)
    if values is not None and np.all(values, axis=axis).any():
        raise ValueError("All-NaN slice encountered")
    # (abstract values, under vmap/jit: an all-NaN slice gives -1, JAX's answer, not an index)
    found = pick(where(mask, fill, a), axis=axis, keepdims=keepdims)
    return where(_all(mask, axis=axis, keepdims=keepdims), -1, found)


@numpy_outside_transforms(np.nanargmax, unless_traced=True)
def nanargmax(a, axis=None, out=None, *, keepdims=False):
    """`numpy.nanargmax`: the index of the maximum, ignoring NaNs."""
    return _nan_arg(_rd.argmax, -np.inf, "nanargmax", a, axis, out, keepdims)


@numpy_outside_transforms(np.nanargmin, unless_traced=True)
def nanargmin(a, axis=None, out=None, *, keepdims=False):
    """`numpy.nanargmin`: the index of the minimum, ignoring NaNs."""
    return _nan_arg(_rd.argmin, np.inf, "nanargmin", a, axis, out, keepdims)


def _no_out(out, name):
    if out is not None:
        raise TypeError(f"{name}: out= writes in place, which funcdiff cannot differentiate; "
                        "use the returned array")


# -- statistics (#16) -------------------------------------------------------------------------
@numpy_outside_transforms(np.cov, unless_traced=True)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """`numpy.cov`: the covariance matrix of the rows (variables) of `m` (and `y`),
    differentiable in the data and the weights."""
    m = _arr(m)
    if dtype is None:
        dtype = np.result_type(dtype_of(m), np.float64)
    x = astype(_atleast2(m), dtype)
    if not rowvar and shape_of(x)[0] != 1:
        x = _sh.transpose(x)
    if y is not None:
        y = astype(_atleast2(_arr(y)), dtype)
        if not rowvar and shape_of(y)[0] != 1:
            y = _sh.transpose(y)
        x = concatenate([x, y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    w = None
    if fweights is not None:
        w = astype(_arr(fweights), np.float64)
    if aweights is not None:
        aw = astype(_arr(aweights), np.float64)
        w = aw if w is None else multiply(w, aw)
    n = shape_of(x)[1]
    if w is None:
        avg = _rd.mean(x, axis=1)
        fact = n - ddof
    else:
        w_sum = _rd.sum(w)
        avg = divide(_rd.sum(multiply(x, w), axis=1), w_sum)
        if ddof == 0:
            fact = w_sum
        elif aweights is None:
            fact = subtract(w_sum, ddof)
        else:
            fact = subtract(w_sum, divide(multiply(ddof, _rd.sum(multiply(w, aw))), w_sum))
    xc = subtract(x, _sh.expand_dims(avg, 1))
    xw = xc if w is None else multiply(xc, w)
    c = divide(matmul(xc, conj(_sh.transpose(xw))), fact)
    return _sh.squeeze(c)


def _atleast2(a):
    nd = len(shape_of(a))
    return reshape(a, (1,) * (2 - nd) + shape_of(a)) if nd < 2 else a


@numpy_outside_transforms(np.corrcoef, unless_traced=True)
def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """`numpy.corrcoef`: Pearson correlation coefficients (real parts clipped to [-1, 1])."""
    c = cov(x, y, rowvar, dtype=dtype)
    if not shape_of(c):
        return divide(c, c)
    d = _sh.diagonal(c)
    s = _ew.sqrt(real(d))
    c = divide(divide(c, _sh.expand_dims(s, 1)), _sh.expand_dims(s, 0))
    if dtype_of(c).kind == "c":
        return add(_ew.clip(real(c), -1, 1), multiply(1j, _ew.clip(imag(c), -1, 1)))
    return _ew.clip(c, -1, 1)


# -- grids and polynomials (#16) --------------------------------------------------------------
@numpy_outside_transforms(np.vander, unless_traced=True)
def vander(x, N=None, increasing=False):  # noqa: N803  (NumPy's name)
    """`numpy.vander`: columns are powers of `x` (decreasing unless `increasing`)."""
    x = _arr(x)
    if len(shape_of(x)) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = shape_of(x)[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    return _ew.power(_sh.expand_dims(x, 1), powers)


tri = np.tri  # a constant of integers: NumPy's own


@numpy_outside_transforms(np.logspace, unless_traced=True)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """`numpy.logspace`: `base ** linspace(start, stop)`, differentiable in `start`,
    `stop` and `base`."""
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    base = _arr(base)
    if shape_of(base):
        base = _sh.expand_dims(base, axis % len(shape_of(y)) if shape_of(y) else 0)
    out = _ew.power(base, y)
    return out if dtype is None else astype(out, dtype)


@numpy_outside_transforms(np.geomspace, unless_traced=True)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """`numpy.geomspace`: a geometric progression from `start` to `stop` (real, of one
    sign), with exact endpoints; differentiable in `start` and `stop`."""
    start, stop = _arr(start), _arr(stop)
    if dtype_of(start).kind == "c" or dtype_of(stop).kind == "c":
        raise NotImplementedError("funcdiff's geomspace on traced values is real-valued only")
    sign = _ew.sign(start)
    log_start, log_stop = _ew.log10(abs(start)), _ew.log10(abs(stop))
    out = logspace(log_start, log_stop, num=num, endpoint=endpoint, axis=axis)
    out = multiply(_expand_like(sign, out, axis), out)
    n = shape_of(out)[axis % len(shape_of(out))]
    first = np.zeros(n, bool)
    first[0] = True
    last = np.zeros(n, bool)
    last[-1] = endpoint and n > 1
    shape = [1] * len(shape_of(out))
    shape[axis % len(shape)] = n
    out = where(first.reshape(shape), _expand_like(start, out, axis), out)
    out = where(last.reshape(shape), _expand_like(stop, out, axis), out)
    return out if dtype is None else astype(out, dtype)


def _expand_like(v, out, axis):
    return _sh.expand_dims(v, axis % len(shape_of(out))) if shape_of(v) else v


def _poly_pad(a, n):
    k = shape_of(a)[0]
    return a if k == n else concatenate([np.zeros(n - k, dtype_of(a)), a])


@numpy_outside_transforms(np.polyadd, unless_traced=True)
def polyadd(a1, a2):
    """`numpy.polyadd`: the sum of two coefficient arrays (highest power first)."""
    a1, a2 = _sh.atleast_1d(_arr(a1)), _sh.atleast_1d(_arr(a2))
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return add(_poly_pad(a1, n), _poly_pad(a2, n))


@numpy_outside_transforms(np.polysub, unless_traced=True)
def polysub(a1, a2):
    """`numpy.polysub`: the difference of two coefficient arrays."""
    a1, a2 = _sh.atleast_1d(_arr(a1)), _sh.atleast_1d(_arr(a2))
    n = max(shape_of(a1)[0], shape_of(a2)[0])
    return subtract(_poly_pad(a1, n), _poly_pad(a2, n))


@numpy_outside_transforms(np.polymul, unless_traced=True)
def polymul(a1, a2):
    """`numpy.polymul`: the product of two coefficient arrays (a full convolution)."""
    return convolve(_sh.atleast_1d(_arr(a1)), _sh.atleast_1d(_arr(a2)))


@numpy_outside_transforms(np.polyder, unless_traced=True)
def polyder(p, m=1):
    """`numpy.polyder`: the `m`-th derivative of a coefficient array."""
    if m < 0:
        raise ValueError("Order of derivative must be positive (see polyint)")
    p = _sh.atleast_1d(_arr(p))
    for _ in range(m):
        n = shape_of(p)[0] - 1
        if n <= 0:
            return np.zeros(1, np.result_type(dtype_of(p), np.int_)) if n < 0 else multiply(
                _slice(p, 0, None, -1), np.arange(n, 0, -1))
        p = multiply(_slice(p, 0, None, -1), np.arange(n, 0, -1))
    return p


@numpy_outside_transforms(np.polyint, unless_traced=True)
def polyint(p, m=1, k=None):
    """`numpy.polyint`: the `m`-th antiderivative, integration constants `k` (default 0)."""
    if m < 0:
        raise ValueError("Order of integral must be positive (see polyder)")
    k = np.zeros(m) if k is None else k
    k = _sh.atleast_1d(_arr(k))
    if shape_of(k)[0] == 1 and m > 1:
        k = broadcast_to(k, (m,))
    if shape_of(k)[0] < m:
        raise ValueError("k must be a scalar or a rank-1 array of length 1 or >m.")
    p = astype(_sh.atleast_1d(_arr(p)), np.result_type(dtype_of(_arr(p)), np.float64))
    for i in range(m):
        n = shape_of(p)[0]
        p = concatenate([divide(p, np.arange(n, 0, -1)), _sh.atleast_1d(k[i])])
    return p


# -- interpolation (#16) -----------------------------------------------------------------------
@numpy_outside_transforms(np.interp, unless_traced=True)
def interp(x, xp, fp, left=None, right=None, period=None):
    """`numpy.interp`: piecewise-linear interpolation of (`xp`, `fp`) at `x`,
    differentiable in `x`, `fp` and `xp` (at a knot, the derivative in `x` is the
    slope on its right)."""
    if period is not None:
        raise NotImplementedError("funcdiff's interp on traced values has no period= yet")
    x, xp, fp = _arr(x), _arr(xp), _arr(fp)
    if len(shape_of(xp)) != 1 or shape_of(xp) != shape_of(fp):
        raise ValueError("fp and xp are not of the same length.")
    n = shape_of(xp)[0]
    if n == 0:
        raise ValueError("array of sample points is empty")
    dt = np.result_type(dtype_of(x), dtype_of(fp), np.float64)
    if n == 1:
        y = broadcast_to(astype(fp[0], dt), shape_of(x))
    else:
        i = _ew.clip(_ix.searchsorted(stop_gradient(xp), stop_gradient(x), side="right"), 1,
                     n - 1)
        x0, x1 = take(xp, i - 1), take(xp, i)
        f0, f1 = take(fp, i - 1), take(fp, i)
        y = add(f0, multiply(divide(subtract(x, x0), subtract(x1, x0)), subtract(f1, f0)))
    y = where(less(x, xp[0]), fp[0] if left is None else left, y)
    y = where(less(xp[n - 1], x), fp[n - 1] if right is None else right, y)
    return astype(y, dt)


# -- elementwise helpers (#16) ----------------------------------------------------------------
@numpy_outside_transforms(np.signbit, unless_traced=True)
def signbit(x):
    """`numpy.signbit`: True where the sign bit is set (-0.0 and -nan included)."""
    x = _arr(x)
    if dtype_of(x).kind not in "fc":
        return less(x, 0)
    return less(_ew.copysign(1.0, x), 0)


@numpy_outside_transforms(np.divmod, unless_traced=True)
def divmod(x1, x2):  # noqa: A001
    """`numpy.divmod`: `(floor_divide(x1, x2), mod(x1, x2))`."""
    return _ew.floor_divide(x1, x2), _ew.mod(x1, x2)


@numpy_outside_transforms(np.ldexp, unless_traced=True)
def ldexp(x1, x2):
    """`numpy.ldexp`: `x1 * 2**x2` (integer `x2`), differentiable in `x1`."""
    return lew.ldexp(x1, x2)


@numpy_outside_transforms(np.frexp, unless_traced=True)
def frexp(x):
    """`numpy.frexp`: `(mantissa, exponent)` with `x == mantissa * 2**exponent`; the
    mantissa is differentiable (`2**-exponent`), the exponent is an integer."""
    x = _arr(x)
    if dtype_of(x).kind == "c":
        raise TypeError("frexp: complex values are not supported (NumPy's frexp takes real "
                        "numbers); pass the real and imaginary parts separately")
    e = lew.frexp_exponent(x)
    return ldexp(x, negative(e)), e


@numpy_outside_transforms(np.nextafter, unless_traced=True)
def nextafter(x1, x2):
    """`numpy.nextafter`: the next floating-point value after `x1` towards `x2`
    (derivative 1 in `x1`, 0 in `x2`, as for `x1` plus a constant)."""
    return lew.nextafter(x1, x2)


@numpy_outside_transforms(np.spacing, unless_traced=True)
def spacing(x):
    """`numpy.spacing`: the distance to the next floating-point value (piecewise constant:
    derivative 0)."""
    return lew.spacing(x)


@numpy_outside_transforms(np.i0, unless_traced=True)
def i0(x):
    """`numpy.i0`, the modified Bessel function of order 0; derivative `I1(x)` (computed by
    funcdiff, which needs no SciPy), to any order."""
    return lew.i0(x)


@numpy_outside_transforms(np.modf, unless_traced=True)
def modf(x):
    """`numpy.modf`: `(fractional part, integral part)`, both with `x`'s sign."""
    x = _arr(x)
    whole = _ew.trunc(x)
    return subtract(x, whole), whole


@numpy_outside_transforms(np.unwrap, unless_traced=True)
def unwrap(p, discont=None, axis=-1, *, period=2 * np.pi):
    """`numpy.unwrap`: remove jumps larger than `discont` along `axis` by adding multiples
    of `period` (the multiples carry no derivative: the result's derivative is `p`'s)."""
    p = _arr(p)
    nd = len(shape_of(p))
    axis = normalize_axis_index(axis, nd)
    if discont is None:
        discont = period / 2
    dd = diff(p, axis=axis)
    half = period / 2
    ddmod = subtract(_ew.mod(add(dd, half), period), half)
    ddmod = where(logical_and(equal(ddmod, -half), less(0, dd)), half, ddmod)
    correct = subtract(ddmod, dd)
    correct = where(less(abs(dd), discont), 0.0, correct)
    correct = stop_gradient(_rd.cumsum(correct, axis=axis))
    pad_shape = list(shape_of(p))
    pad_shape[axis] = 1
    correct = concatenate([np.zeros(pad_shape, dtype_of(correct)), correct], axis=axis)
    return add(p, correct)


@numpy_outside_transforms(np.resize, unless_traced=True)
def resize(a, new_shape):
    """`numpy.resize`: the raveled `a` repeated (or cut) to fill `new_shape`."""
    a = _sh.ravel(_arr(a))
    shape = (new_shape,) if isinstance(new_shape, (int, np.integer)) else tuple(new_shape)
    size = int(np.prod(shape, dtype=np.int64))
    n = shape_of(a)[0]
    if size == 0 or n == 0:
        return np.zeros(shape, dtype_of(a))
    return reshape(take(a, np.arange(size) % n), shape)


# -- data-dependent results: values known, or a clear error (#16) ----------------------------
def _known(x, name, what="the result's size depends on the values"):
    """The concrete values of `x` (a NumPy array), or ConcretizationError naming `name`."""
    try:
        return concrete_value(x)
    except ConcretizationError:
        raise ConcretizationError(
            f"{name}: {what}, which are not known here (inside vmap or jit). Compute it "
            "outside the transform, or pass the values as a static argument."
        ) from None


@numpy_outside_transforms(np.trim_zeros, unless_traced=True)
def trim_zeros(filt, trim="fb", axis=None):
    """`numpy.trim_zeros`: without leading (`"f"`) and trailing (`"b"`) zeros; the kept
    values stay differentiable."""
    filt = _arr(filt)
    values = _known(filt, "trim_zeros")
    if values.ndim != 1 or axis is not None:
        raise NotImplementedError("funcdiff's trim_zeros on traced values is 1-d only")
    nz = np.flatnonzero(values != 0)
    if not len(nz):
        first = last = 0
    else:
        first = nz[0] if "f" in trim.lower() else 0
        last = nz[-1] + 1 if "b" in trim.lower() else values.size
    return _slice(filt, 0, int(first), int(last))


_SIZED = ("size", "fill_value")


def _sorted_firsts(a, equal_nan=True):
    """The stable sort order of the 1-d `a`, the sorted values, and where each run of equal
    values starts (NaNs one run when `equal_nan`)."""
    n = shape_of(a)[0]
    if n == 0:
        return np.zeros(0, np.intp), a, np.zeros(0, bool)
    order = _rd.argsort(a, kind="stable")
    s = take(a, order)
    new = not_equal(s[1:], s[:-1])
    if equal_nan and dtype_of(a).kind in "fc":
        new = logical_and(new, _ew.logical_not(logical_and(isnan(s[1:]), isnan(s[:-1]))))
    return order, s, concatenate([np.ones(1, bool), new])


def _sized_unique(a, size, fill_value, starts, s, order, outputs):
    """JAX's `size=`: the first `size` runs that `starts` marks in the sorted `s`, padded with
    `fill_value` (default: the smallest of them); `outputs` picks among index (first
    position in `a`), inverse and counts (padded slots: index 0, count 0)."""
    pos, valid = _ix.first_true(starts, size)
    n = shape_of(s)[0]
    if n == 0:
        if fill_value is None:
            raise ValueError("unique with size= of an empty array needs a fill_value")
        values = np.full(size, fill_value, dtype_of(s))
    else:
        values = take(s, pos)
        fill = values[0] if fill_value is None else np.asarray(fill_value, dtype_of(s))
        values = where(valid, values, fill)
    out = [values]
    if "index" in outputs:
        out.append(where(valid, take(order, pos), 0) if n else np.zeros(size, np.intp))
    if "inverse" in outputs:
        run = subtract(_rd.cumsum(astype(starts, np.intp)), 1)
        out.append(take(run, _rd.argsort(order, kind="stable")) if n else np.zeros(0, np.intp))
    if "counts" in outputs:
        if n:
            ends, _ = _ix.first_true(concatenate([starts[1:], np.ones(1, bool)]), size)
            out.append(where(valid, add(subtract(ends, pos), 1), 0))
        else:
            out.append(np.zeros(size, np.intp))
    return out


@numpy_outside_transforms(np.unique, unless_traced=True, own=_SIZED)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True, size=None, fill_value=None):  # noqa: A002
    """`numpy.unique` on 1-d results (`axis=None`): the sorted unique values, gathered from
    `ar` so they stay differentiable; indices, inverse and counts as NumPy gives them. The
    values must be known (under vmap and jit the result's size is not), unless JAX's
    `size=` fixes it: the first `size` unique values, padded with `fill_value` (default:
    the smallest unique value; padded indices and counts are 0)."""
    if axis is not None:
        raise NotImplementedError("funcdiff's unique on traced values has no axis= yet")
    ar = _arr(ar)
    if size is not None:
        order, s, starts = _sorted_firsts(_sh.ravel(ar), equal_nan)
        outputs = [name for name, want in (("index", return_index), ("inverse", return_inverse),
                                           ("counts", return_counts)) if want]
        out = _sized_unique(_sh.ravel(ar), size, fill_value, starts, s, order, outputs)
        if return_inverse:
            k = 1 + return_index
            out[k] = reshape(out[k], shape_of(ar)) if shape_of(ar) else out[k]
        return out[0] if len(out) == 1 else tuple(out)
    values = _known(ar, "unique")
    _, index, inverse, counts = np.unique(values, return_index=True, return_inverse=True,
                                          return_counts=True, equal_nan=equal_nan)
    out = [take(_sh.ravel(ar), index)]
    if return_index:
        out.append(index)
    if return_inverse:
        out.append(inverse.reshape(values.shape) if values.ndim else inverse)
    if return_counts:
        out.append(counts)
    return out[0] if len(out) == 1 else tuple(out)


def _set_result(name, ar1, ar2, pick):
    """A set operation of `numpy`'s on the known values; the result's values gathered from
    the concatenated inputs (so they stay differentiable)."""
    a, b = _sh.ravel(_arr(ar1)), _sh.ravel(_arr(ar2))
    va, vb = _known(a, name), _known(b, name)
    both = concatenate([a, b])
    values = np.concatenate([va, vb])
    result = pick(va, vb)
    # the first position of each result value in the concatenation
    order = np.argsort(values, kind="stable")
    pos = order[np.searchsorted(values[order], result, side="left")]
    return take(both, pos)


def _sized_set(ar1, ar2, size, fill_value, keep, nans):
    """A set operation with JAX's `size=`: the unique values of the concatenation whose
    membership (`keep(in_first, in_second)`) holds, the first `size` of them, padded.
    NaN is never a member of anything (as in NumPy, which compares values); how many NaNs
    NumPy's result holds is `nans(first has NaN, second has NaN)` (0, 1 or 2), kept
    last, where NumPy sorts them."""
    a, b = _sh.ravel(_arr(ar1)), _sh.ravel(_arr(ar2))
    both = concatenate([a, b])
    order, s, starts = _sorted_firsts(both, equal_nan=False)  # (each NaN a run of its own)
    if shape_of(both)[0]:
        starts = logical_and(starts, keep(isin(s, a), isin(s, b)))
        if dtype_of(both).kind in "fc":
            nan = isnan(s)
            count = astype(nans(_rd.any(isnan(a)), _rd.any(isnan(b))), np.intp)
            nth = subtract(_rd.cumsum(astype(nan, np.intp)), 1)  # (the rank among the NaNs)
            starts = logical_or(logical_and(starts, _ew.logical_not(nan)),
                                logical_and(nan, less(nth, count)))
    return _sized_unique(both, size, fill_value, starts, s, order, ())[0]


@numpy_outside_transforms(np.union1d, unless_traced=True, own=_SIZED)
def union1d(ar1, ar2, *, size=None, fill_value=None):
    """`numpy.union1d` (values known, or JAX's `size=`; the result's values
    differentiable)."""
    if size is not None:
        return _sized_set(ar1, ar2, size, fill_value, lambda p, q: True, logical_or)
    return _set_result("union1d", ar1, ar2, np.union1d)


@numpy_outside_transforms(np.intersect1d, unless_traced=True, own=_SIZED)
def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    """`numpy.intersect1d` (values known, or JAX's `size=`; the result's values
    differentiable)."""
    if size is not None:
        values = _sized_set(ar1, ar2, size, fill_value, logical_and, lambda p, q: 0)
        if not return_indices:
            return values
        out = [values]
        for ar in (ar1, ar2):  # the first position of each common value in each input
            x = _sh.ravel(_arr(ar))
            order = _rd.argsort(x, kind="stable")
            at = _ew.clip(_ix.searchsorted(take(x, order), values), 0, shape_of(x)[0] - 1)
            out.append(where(equal(take(x, take(order, at)), values), take(order, at), 0))
        return tuple(out)
    if return_indices:
        a, b = _sh.ravel(_arr(ar1)), _sh.ravel(_arr(ar2))
        va, vb = _known(a, "intersect1d"), _known(b, "intersect1d")
        common, ia, ib = np.intersect1d(va, vb, assume_unique, return_indices=True)
        return take(a, ia), ia, ib
    return _set_result("intersect1d", ar1, ar2,
                       lambda a, b: np.intersect1d(a, b, assume_unique))


@numpy_outside_transforms(np.setdiff1d, unless_traced=True, own=_SIZED)
def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """`numpy.setdiff1d` (values known, or JAX's `size=`; the result's values
    differentiable)."""
    if size is not None:
        return _sized_set(ar1, ar2, size, fill_value,
                          lambda p, q: logical_and(p, _ew.logical_not(q)), lambda p, q: p)
    return _set_result("setdiff1d", ar1, ar2, lambda a, b: np.setdiff1d(a, b, assume_unique))


@numpy_outside_transforms(np.isin, unless_traced=True)
def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """`numpy.isin`: whether each element is among `test_elements` (boolean)."""
    element = _arr(element)
    tests = _sh.ravel(_arr(test_elements))
    hit = _rd.any(equal(_sh.expand_dims(element, -1), tests), axis=-1)
    return _ew.logical_not(hit) if invert else hit


@numpy_outside_transforms(np.digitize, unless_traced=True)
def digitize(x, bins, right=False):
    """`numpy.digitize`: the index of the bin of each `x` (integer, no derivative)."""
    x, bins = _arr(x), _arr(bins)
    side = "left" if right else "right"
    up = _ix.searchsorted(bins, x, side=side)
    n = shape_of(bins)[0]
    if n < 2:
        return up
    # decreasing bins (NumPy's other case), decided on the values even when they are abstract
    down = subtract(n, _ix.searchsorted(flip(bins, 0), x, side=side))
    return where(less(bins[n - 1], bins[0]), down, up)


# windows and index grids of integer sizes: constants, NumPy's own
bartlett, blackman, hamming, hanning, kaiser = (
    np.bartlett, np.blackman, np.hamming, np.hanning, np.kaiser)
indices = np.indices


# -- building arrays (#16) --------------------------------------------------------------------
def _block(x, depth, max_depth, ndim):
    if isinstance(x, list):
        parts = [_block(e, depth + 1, max_depth, ndim) for e in x]
        return concatenate(parts, axis=-(max_depth - depth))
    a = _arr(x)
    nd = len(shape_of(a))
    return reshape(a, (1,) * (ndim - nd) + shape_of(a)) if nd < ndim else a


def _block_depth(x):
    if isinstance(x, list):
        depths = {_block_depth(e) for e in x}
        if len(depths) != 1:
            raise ValueError("List depths are mismatched")
        return 1 + depths.pop()
    if isinstance(x, tuple):
        raise TypeError("arrays is a tuple. Only lists can be used to arrange blocks, and "
                        "np.block does not allow implicit conversion from tuple to ndarray.")
    return 0


def _block_ndim(x):
    if isinstance(x, list):
        return max(_block_ndim(e) for e in x)
    return len(shape_of(_arr(x)))


@numpy_outside_transforms(np.block, unless_traced=True)
def block(arrays):
    """`numpy.block`: an array assembled from nested lists of blocks (the innermost lists
    along the last axis), differentiable in every block."""
    depth = _block_depth(arrays)
    ndim = max(_block_ndim(arrays), depth)
    return _block(arrays, 0, depth, ndim)


class _Concatenator:
    """`r_` / `c_`: NumPy's index-syntax concatenation, with traced values kept traced."""

    def __init__(self, np_obj, column):
        self._np, self._column = np_obj, column

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        if not any(isinstance(i, Tracer) or (isinstance(i, (list, tuple)) and traced(i))
                   for i in items) or not traced(*[i for i in items if not isinstance(i, slice)]):
            return self._np[key]
        if items and isinstance(items[0], str):
            raise NotImplementedError(
                "funcdiff's r_/c_ on traced values takes no directive string; use "
                "funcdiff.numpy.concatenate / stack")
        parts = []
        for i in items:
            if isinstance(i, slice):
                parts.append(self._np[i])
            else:
                parts.append(_arr(i))
        if self._column:
            parts = [reshape(p, (shape_of(p)[0], 1)) if len(shape_of(p)) == 1 else p
                     for p in parts]
            return concatenate([_sh.atleast_2d(p) for p in parts], axis=1)
        return concatenate([_sh.atleast_1d(p) for p in parts], axis=0)

    def __len__(self):
        return 0


r_ = _Concatenator(np.r_, column=False)
c_ = _Concatenator(np.c_, column=True)
s_, index_exp, mgrid, ogrid = np.s_, np.index_exp, np.mgrid, np.ogrid  # index helpers


# -- counting (#16) ---------------------------------------------------------------------------
@numpy_outside_transforms(np.bincount, unless_traced=True, own=("length",))
def bincount(x, weights=None, minlength=0, *, length=None):
    """`numpy.bincount`: counts (or sums of `weights`, differentiable) per non-negative
    integer of `x`; `x`'s values must be known (they fix the length), unless JAX's
    `length=` fixes it: then values outside `[0, length)` are dropped, on any values
    (under jit and vmap too)."""
    if length is not None:
        length = _ix.operator_index(length, "length")
        x = _arr(x)
        if dtype_of(x).kind not in "biu":
            raise TypeError(f"bincount: x must hold integers, got {dtype_of(x)}")
        if len(shape_of(x)) != 1:
            raise ValueError("object too deep for desired array")
        valid = logical_and(less_equal(0, x), less(x, length))
        if weights is None:
            w = astype(valid, np.intp)
        else:
            w = _arr(weights)
            w = where(valid, astype(w, np.result_type(dtype_of(w), np.float64)), 0)
        return _ix.at(np.zeros(length, dtype_of(w)))[where(valid, x, 0)].add(w)
    xv = _known(_arr(x), "bincount", "the result's length depends on the values of x")
    if xv.ndim != 1:
        raise ValueError("object too deep for desired array")
    if xv.size and xv.min() < 0:
        raise ValueError("'list' argument must have no negative elements")
    n = max(int(xv.max()) + 1 if xv.size else 0, minlength)
    if weights is None:
        return np.bincount(xv, minlength=minlength)
    w = astype(_arr(weights), np.float64) if dtype_of(_arr(weights)).kind != "c" else _arr(
        weights)
    return _ix.at(np.zeros(n, dtype_of(w)))[xv].add(w)


def _bin_edges(a, bins, range):  # noqa: A002
    """The bin edges of the 1-d values `a` as NumPy computes them: `bins + 1` equally spaced
    edges over `range` (the values' range, widened by 0.5 on each side when empty) or the
    given edges. Edges from the values follow their minimum and maximum (so they are
    differentiable, as in JAX); the counts are piecewise constant (derivative 0)."""
    if isinstance(bins, str):
        raise NotImplementedError("funcdiff's histograms on traced values take bin counts or "
                                  "edges, not estimator names")
    if np.ndim(bins) != 0:
        return _arr(bins)
    if range is None:
        lo, hi = _rd.min(a), _rd.max(a)
    else:
        lo, hi = range
    edges = linspace(lo, hi, int(bins) + 1)
    if range is None:
        same = equal(lo, hi)  # NumPy widens an empty range by 0.5 on each side
        edges = where(same, add(edges, linspace(-0.5, 0.5, int(bins) + 1)), edges)
    return edges


def _bin_index(a, edges):
    """The bin of each value (the last edge belongs to the last bin), and whether the value
    lies inside the edges at all."""
    n = shape_of(edges)[0] - 1
    idx = subtract(_ix.searchsorted(edges, a, side="right"), 1)
    idx = where(equal(a, edges[n]), n - 1, idx)
    inside = logical_and(less_equal(edges[0], a), less_equal(a, edges[n]))
    return _ew.clip(idx, 0, n - 1), inside


def _binned_sums(flat, inside, weights, nbins, dtype):
    """Per bin, the sum of `weights` (ones when None) of the values inside."""
    w = np.ones(shape_of(flat), dtype) if weights is None else _sh.ravel(_arr(weights))
    w = where(inside, w, 0)
    onehot = equal(_sh.expand_dims(flat, -1), np.arange(nbins))
    return _rd.sum(multiply(astype(onehot, dtype_of(w)), _sh.expand_dims(w, -1)), axis=0)


@numpy_outside_transforms(np.histogram, unless_traced=True)
def histogram(a, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """`numpy.histogram`: counts (or sums of `weights`, differentiable in the weights) per
    bin, and the bin edges (from the values' range when not given, then differentiable in
    the smallest and largest value)."""
    a = _sh.ravel(_arr(a))
    edges = _bin_edges(a, bins, range)
    idx, inside = _bin_index(a, edges)
    hist = _binned_sums(idx, inside, weights, shape_of(edges)[0] - 1, np.float64)
    if weights is None and not density:
        hist = astype(hist, np.intp)
    if density:
        hist = divide(divide(hist, diff(edges)), _rd.sum(hist))
    return hist, edges


@numpy_outside_transforms(np.histogramdd, unless_traced=True)
def histogramdd(sample, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """`numpy.histogramdd`: the D-dimensional histogram of N points (an (N, D) array, or a
    sequence of D coordinate arrays), as float counts or sums of `weights`
    (differentiable in the weights), and the D arrays of edges."""
    if isinstance(sample, (list, tuple)):
        sample = _sh.transpose(_sh.atleast_2d(_arr(sample)))
    sample = _arr(sample)
    if len(shape_of(sample)) == 1:
        sample = _sh.expand_dims(sample, -1)
    n, d = shape_of(sample)
    if np.ndim(bins) == 0 or isinstance(bins, str):
        bins = [bins] * d
    if len(bins) != d:
        raise ValueError("The dimension of bins must be equal to the dimension of the sample x.")
    ranges = [None] * d if range is None else list(range)
    if len(ranges) != d:
        raise ValueError(f"range: expected {d} (lo, hi) pairs or None, got {len(ranges)}")
    edges, flat, inside, nb = [], np.zeros(n, np.intp), np.ones(n, bool), []
    for i in builtins.range(d):
        e = _bin_edges(sample[:, i], bins[i], ranges[i])
        idx, ok = _bin_index(sample[:, i], e)
        nb.append(shape_of(e)[0] - 1)
        flat, inside = add(multiply(flat, nb[-1]), idx), logical_and(inside, ok)
        edges.append(e)
    hist = _binned_sums(flat, inside, weights, int(np.prod(nb)), np.float64)
    hist = reshape(hist, tuple(nb))
    if density:
        volume = diff(edges[0])
        for e in edges[1:]:
            volume = multiply(_sh.expand_dims(volume, -1), diff(e))
        hist = divide(divide(hist, volume), _rd.sum(hist))
    return hist, edges


@numpy_outside_transforms(np.histogram2d, unless_traced=True)
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):  # noqa: A002
    """`numpy.histogram2d`: `histogramdd` of the points `(x, y)`; returns `(H, xedges,
    yedges)`."""
    if np.ndim(bins) != 0 and len(bins) not in (1, 2):
        bins = [bins, bins]  # one array of edges for both axes
    hist, edges = histogramdd([x, y], bins, range, density, weights)
    return hist, edges[0], edges[1]


# -- bits (#16) -------------------------------------------------------------------------------
def _bits_args(a, name, axis, dtypes):
    a = _arr(a)
    if dtype_of(a).kind not in dtypes:
        raise TypeError(f"{name}: expected an input array of "
                        + ("unsigned byte" if dtypes == "u" else "integer or boolean")
                        + f" data type, got {dtype_of(a)}")
    if axis is None:
        return _sh.ravel(a), 0
    return a, normalize_axis_index(axis, len(shape_of(a)))


@numpy_outside_transforms(np.packbits, unless_traced=True)
def packbits(a, axis=None, bitorder="big"):
    """`numpy.packbits`: the truth values of `a`, eight to a `uint8` along `axis` (zero
    padded; integer result, no derivative)."""
    a, axis = _bits_args(a, "packbits", axis, "biu")
    a = moveaxis(astype(not_equal(a, 0), np.uint8), axis, -1)
    n = shape_of(a)[-1]
    a = pad(a, [(0, 0)] * (len(shape_of(a)) - 1) + [(0, -n % 8)])
    a = reshape(a, shape_of(a)[:-1] + (shape_of(a)[-1] // 8, 8))
    weights = np.array([128, 64, 32, 16, 8, 4, 2, 1], np.uint8)
    out = _rd.sum(multiply(a, weights if bitorder == "big" else weights[::-1]), axis=-1,
                  dtype=np.uint8)
    return moveaxis(out, -1, axis)


@numpy_outside_transforms(np.unpackbits, unless_traced=True)
def unpackbits(a, axis=None, count=None, bitorder="big"):
    """`numpy.unpackbits`: the bits of the `uint8` array `a` along `axis` (`count` keeps
    that many, padding with zeros; integer result, no derivative)."""
    a, axis = _bits_args(a, "unpackbits", axis, "u")
    if dtype_of(a) != np.uint8:
        raise TypeError(f"unpackbits: expected an input array of unsigned byte data type, "
                        f"got {dtype_of(a)}")
    a = moveaxis(a, axis, -1)
    shifts = np.arange(7, -1, -1, dtype=np.uint8)
    bits = _ew.bitwise_and(_ew.right_shift(_sh.expand_dims(a, -1),
                                           shifts if bitorder == "big" else shifts[::-1]), 1)
    bits = reshape(bits, shape_of(a)[:-1] + (shape_of(a)[-1] * 8,))
    if count is not None:
        n = shape_of(bits)[-1]
        if count < -n:
            raise ValueError("-count larger than number of elements")  # (NumPy's words)
        keep = count if count >= 0 else n + count
        if keep > n:
            bits = pad(bits, [(0, 0)] * (len(shape_of(bits)) - 1) + [(0, keep - n)])
        else:
            bits = bits[..., :keep]
    return moveaxis(astype(bits, np.uint8), -1, axis)


# -- polynomials (#16) ------------------------------------------------------------------------
@numpy_outside_transforms(np.poly, unless_traced=True)
def poly(seq_of_zeros):
    """`numpy.poly` of a 1-d sequence of roots: the monic polynomial's coefficients,
    differentiable in the roots."""
    r = _sh.atleast_1d(_arr(seq_of_zeros))
    if len(shape_of(r)) != 1:
        raise NotImplementedError("funcdiff's poly on traced values takes the roots (1-d)")
    p = np.ones(1)
    for i in range(shape_of(r)[0]):
        p = convolve(p, concatenate([np.ones(1, dtype_of(r)), -_sh.atleast_1d(r[i])]))
    return p


@numpy_outside_transforms(np.polydiv, unless_traced=True)
def polydiv(u, v):
    """`numpy.polydiv`: quotient and remainder of polynomial division (the leading
    coefficient of `v` must be nonzero), differentiable in both."""
    u = astype(_sh.atleast_1d(_arr(u)), np.float64) if dtype_of(_arr(u)).kind != "c" else (
        _sh.atleast_1d(_arr(u)))
    v = _sh.atleast_1d(_arr(v))
    m, n = shape_of(u)[0] - 1, shape_of(v)[0] - 1
    scale = divide(1.0, v[0])
    q = []
    r = u
    for k in range(max(m - n + 1, 0)):
        d = multiply(scale, r[k])
        q.append(d)
        pad = concatenate([np.zeros(k), multiply(d, v), np.zeros(m - n - k)])
        r = subtract(r, pad)
    q = _sh.stack(q) if q else np.zeros(1)
    r = _slice(r, 0, max(m - n + 1, 0)) if m >= n else r
    return q, r


@numpy_outside_transforms(np.polyfit, unless_traced=True)
def polyfit(x, y, deg, rcond=None, full=False, w=None, cov=False):  # noqa: A002
    """`numpy.polyfit`: the least-squares polynomial of degree `deg` (highest power first),
    differentiable in `x`, `y` and the weights `w`."""
    if full or cov:
        raise NotImplementedError("funcdiff's polyfit on traced values returns the "
                                  "coefficients only (full=False, cov=False)")
    x, y = _arr(x), _arr(y)
    a = vander(astype(x, np.result_type(dtype_of(x), np.float64)), deg + 1)
    b = y
    if w is not None:
        w = _arr(w)
        a = multiply(a, _sh.expand_dims(w, -1))
        b = multiply(b, w if len(shape_of(b)) == 1 else _sh.expand_dims(w, -1))
    scale = _ew.sqrt(_rd.sum(multiply(a, a), axis=0))  # NumPy scales the columns too
    from_scaled = _linalg.lstsq(divide(a, scale), b, rcond=rcond)[0]
    return divide(from_scaled, scale if len(shape_of(from_scaled)) == 1
                  else _sh.expand_dims(scale, -1))


@numpy_outside_transforms(np.roots, unless_traced=True)
def roots(p):
    """`numpy.roots`: the eigenvalues of the companion matrix (complex), differentiable in
    the coefficients; leading and trailing zeros must be known."""
    p = _sh.atleast_1d(_arr(p))
    pv = _known(p, "roots", "the number of roots depends on the leading and trailing zeros")
    nz = np.flatnonzero(pv)
    if not len(nz):
        return np.array([])
    trailing = len(pv) - nz[-1] - 1
    p = _slice(p, 0, int(nz[0]), int(nz[-1]) + 1)
    n = shape_of(p)[0]
    if n > 1:
        companion = concatenate([
            _sh.expand_dims(divide(negative(_slice(p, 0, 1)), p[0]), 0),
            np.eye(n - 2, n - 1) if n > 2 else np.zeros((0, n - 1)),
        ], axis=0)
        r = _linalg.eigvals(companion)
    else:
        r = np.zeros(0)
    return concatenate([r, np.zeros(trailing, np.result_type(dtype_of(r), np.complex128)
                                    if dtype_of(r).kind == "c" else dtype_of(r))])


# -- applying functions (#16) -----------------------------------------------------------------
def apply_along_axis(func1d, axis, arr, *args, **kwargs):
    """`numpy.apply_along_axis`: `func1d` on every 1-d slice along `axis`; on traced values
    it runs once, under `vmap` over the other axes (so `func1d` must be written with
    funcdiff functions, as JAX requires)."""
    if not traced(arr, *args, *kwargs.values()):
        return np.apply_along_axis(func1d, axis, arr, *args, **kwargs)
    arr = _arr(arr)
    nd = len(shape_of(arr))
    axis = normalize_axis_index(axis, nd)
    moved = moveaxis(arr, axis, -1)
    outer = shape_of(moved)[:-1]
    results = [_arr(func1d(moved[idx], *args, **kwargs)) for idx in np.ndindex(*outer)]
    if not results:
        raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")
    out = reshape(_sh.stack(results), outer + shape_of(results[0]))
    # NumPy puts the function's output axes where `axis` was
    k = len(shape_of(results[0]))
    order = list(range(axis)) + list(range(len(outer), len(outer) + k)) + list(
        range(axis, len(outer)))
    return _sh.transpose(out, order)


def apply_over_axes(func, a, axes):
    """`numpy.apply_over_axes`: `func(a, axis)` for each axis in turn, keeping dimensions."""
    if not traced(a):
        return np.apply_over_axes(func, a, axes)
    val = _arr(a)
    nd = len(shape_of(val))
    for ax in np.atleast_1d(axes):
        ax = normalize_axis_index(int(ax), nd)
        res = func(val, ax)
        if len(shape_of(res)) == nd:
            val = res
        elif len(shape_of(res)) == nd - 1:
            val = _sh.expand_dims(res, ax)
        else:
            raise ValueError("function is not returning an array of the correct shape")
    return val


@numpy_outside_transforms(np.piecewise, unless_traced=True)
def piecewise(x, condlist, funclist, *args, **kw):
    """`numpy.piecewise`: `funclist[i](x)` where `condlist[i]` holds (later conditions win;
    an extra function is the default), differentiable in `x` through each piece."""
    x = _arr(x)
    if isinstance(condlist, (bool, np.bool_)) or not isinstance(condlist, (list, tuple)) and (
            len(shape_of(_arr(condlist))) == len(shape_of(x))):
        condlist = [condlist]
    n = len(condlist)
    if len(funclist) not in (n, n + 1):
        raise ValueError(f"with {n} condition(s), either {n} or {n + 1} functions are "
                         f"expected")
    out = np.zeros(shape_of(x), dtype_of(x))
    if len(funclist) == n + 1:
        default = funclist[-1]
        out = default(x, *args, **kw) if callable(default) else default
        out = broadcast_to(astype(_arr(out), dtype_of(x)), shape_of(x))
    for cond, f in zip(condlist, funclist):
        val = f(x, *args, **kw) if callable(f) else f
        out = where(_arr(cond), val, out)
    return astype(out, dtype_of(x))


# -- NumPy's own: input/output, printing, dtypes, index arithmetic (#16) ----------------------
# Functions of files, strings, settings, dtypes or integer indices: nothing to differentiate,
# so funcdiff.numpy re-exports NumPy's (on traced values they raise, naming the function).
(array_repr, array_str, get_printoptions, set_printoptions, printoptions, load, save, savez,
 frombuffer, fromfile, fromiter, fromstring, from_dlpack, can_cast, isdtype, iterable,
 einsum_path, mask_indices, ravel_multi_index, unravel_index, frompyfunc, fromfunction) = (
    np.array_repr, np.array_str, np.get_printoptions, np.set_printoptions, np.printoptions,
    np.load, np.save, np.savez, np.frombuffer, np.fromfile, np.fromiter, np.fromstring,
    np.from_dlpack, np.can_cast, np.isdtype, np.iterable, np.einsum_path, np.mask_indices,
    np.ravel_multi_index, np.unravel_index, np.frompyfunc, np.fromfunction)


# -- more data-dependent results (#16) --------------------------------------------------------
# NumPy's named-tuple result types (by example: their module is private)
_UniqueCounts = type(np.unique_counts(np.zeros(1)))
_UniqueInverse = type(np.unique_inverse(np.zeros(1)))
_UniqueAll = type(np.unique_all(np.zeros(1)))


@numpy_outside_transforms(np.unique_values, unless_traced=True, own=_SIZED)
def unique_values(x, *, size=None, fill_value=None):
    """`numpy.unique_values` (the array API's): the sorted unique values (values known, or
    JAX's `size=`)."""
    return unique(_sh.ravel(_arr(x)), equal_nan=False, size=size, fill_value=fill_value)


@numpy_outside_transforms(np.unique_counts, unless_traced=True, own=_SIZED)
def unique_counts(x, *, size=None, fill_value=None):
    """`numpy.unique_counts`: `(values, counts)` (values known, or JAX's `size=`)."""
    values, counts = unique(x, return_counts=True, equal_nan=False, size=size,
                            fill_value=fill_value)
    return _UniqueCounts(values, counts)


@numpy_outside_transforms(np.unique_inverse, unless_traced=True, own=_SIZED)
def unique_inverse(x, *, size=None, fill_value=None):
    """`numpy.unique_inverse`: `(values, inverse_indices)` (values known, or JAX's
    `size=`)."""
    values, inverse = unique(x, return_inverse=True, equal_nan=False, size=size,
                             fill_value=fill_value)
    return _UniqueInverse(values, inverse)


@numpy_outside_transforms(np.unique_all, unless_traced=True, own=_SIZED)
def unique_all(x, *, size=None, fill_value=None):
    """`numpy.unique_all`: `(values, indices, inverse_indices, counts)` (values known, or
    JAX's `size=`)."""
    values, index, inverse, counts = unique(x, return_index=True, return_inverse=True,
                                            return_counts=True, equal_nan=False,
                                            size=size, fill_value=fill_value)
    return _UniqueAll(values, index, inverse, counts)


@numpy_outside_transforms(np.setxor1d, unless_traced=True, own=_SIZED)
def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """`numpy.setxor1d` (values known, or JAX's `size=`; the result's values
    differentiable)."""
    if size is not None:
        return _sized_set(ar1, ar2, size, fill_value, _ew.logical_xor,
                          lambda p, q: add(astype(p, np.intp), astype(q, np.intp)))
    return _set_result("setxor1d", ar1, ar2, lambda a, b: np.setxor1d(a, b, assume_unique))


@numpy_outside_transforms(np.histogram_bin_edges, unless_traced=True)
def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """`numpy.histogram_bin_edges` (bin counts or edges; no derivative)."""
    return histogram(a, bins, range)[1]


@numpy_outside_transforms(np.sort_complex, unless_traced=True)
def sort_complex(a):
    """`numpy.sort_complex`: sorted by real part, then imaginary part, as complex."""
    a = _arr(a)
    if dtype_of(a).kind != "c":
        a = astype(a, np.result_type(dtype_of(a), np.complex64))
    return _rd.sort(a)


@numpy_outside_transforms(np.lexsort, unless_traced=True)
def lexsort(keys, axis=-1):
    """`numpy.lexsort`: the indices sorting by the last key, then the previous ones (integer;
    the keys' values must be known)."""
    keys = [_known(_arr(k), "lexsort", "the order depends on the values") for k in keys] if (
        isinstance(keys, (list, tuple))) else _known(_arr(keys), "lexsort",
                                                      "the order depends on the values")
    return np.lexsort(keys, axis=axis)


def _nan_reduce(name, fn, a, axis, keepdims, *args):
    a = _arr(a)
    mask = _known(isnan(a), name, "the result depends on the positions of the NaNs")
    if axis is None:
        kept = take(_sh.ravel(a), np.flatnonzero(~mask.ravel()))
        out = fn(kept, *args)
        if keepdims:
            out = reshape(out, shape_of(out) + (1,) * len(shape_of(a)))
        return out
    axis = normalize_axis_index(axis, len(shape_of(a)))
    moved = moveaxis(a, axis, -1)
    mmask = np.moveaxis(mask, axis, -1)
    outer = shape_of(moved)[:-1]
    pieces = [fn(take(moved[idx], np.flatnonzero(~mmask[idx])), *args)
              for idx in np.ndindex(*outer)]
    out = _sh.stack(pieces) if pieces else np.zeros((0,))
    tail = shape_of(pieces[0]) if pieces else ()
    out = reshape(out, outer + tail)
    if tail:  # quantiles first, as NumPy
        out = moveaxis(out, -1, 0)
    if keepdims:
        out = _sh.expand_dims(out, axis + (1 if tail else 0))
    return out


@numpy_outside_transforms(np.nanmedian, unless_traced=True)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """`numpy.nanmedian`: the median of the non-NaN entries (which must be known),
    differentiable in their values."""
    _no_out(out, "nanmedian")
    return _nan_reduce("nanmedian", _rd.median, a, axis, keepdims)


@numpy_outside_transforms(np.nanquantile, unless_traced=True)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None):
    """`numpy.nanquantile` of the non-NaN entries (which must be known)."""
    _no_out(out, "nanquantile")
    if weights is not None:
        raise NotImplementedError("funcdiff's nanquantile has no weights= yet")
    return _nan_reduce("nanquantile", lambda v: _rd.quantile(v, q, method=method), a, axis,
                       keepdims)


@numpy_outside_transforms(np.nanpercentile, unless_traced=True)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None):
    """`numpy.nanpercentile` of the non-NaN entries (which must be known)."""
    _no_out(out, "nanpercentile")
    if weights is not None:
        raise NotImplementedError("funcdiff's nanpercentile has no weights= yet")
    return _nan_reduce("nanpercentile", lambda v: _rd.percentile(v, q, method=method), a,
                       axis, keepdims)


# -- inserting and writing, functionally (#16) ------------------------------------------------
def _from_tags(tags, sources):
    """The array whose entry at each position comes from `sources[k]` (raveled) at index
    `i`, where `tags` holds `i` for source 0 and `-(i + 1)` for source 1 (a layout NumPy
    computed on integer tags: its own indexing rules, errors and broadcasting)."""
    a, b = sources
    flat_a = _sh.ravel(a)
    flat_b = _sh.ravel(astype(b, dtype_of(a)))
    from_a = take(flat_a, np.where(tags >= 0, tags, 0))
    if not shape_of(flat_b)[0]:
        return from_a
    from_b = take(flat_b, np.where(tags < 0, -tags - 1, 0))
    return where(tags < 0, from_b, from_a)


def _tags(shape):
    return np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)


@numpy_outside_transforms(np.insert, unless_traced=True)
def insert(arr, obj, values, axis=None):
    """`numpy.insert`: `values` inserted before `obj` along `axis` (raveled when None); the
    indices must be known, the values of both arrays are differentiable."""
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        arr, axis = _sh.ravel(arr), 0
    obj = _concrete_index(obj, "insert")
    vtags = -_tags(shape_of(values)) - 1
    tags = np.insert(_tags(shape_of(arr)), obj, vtags, axis=axis)
    return _from_tags(tags, (arr, values))


def _numpy_writes(np_fn, a, args, inplace):
    """NumPy's in-place `np_fn(a, *args)` on values that hold no tracer: into `a` itself
    (returning None, as NumPy does), or with `inplace=False` into a copy it returns."""
    if inplace:
        return np_fn(a, *args)
    a = np.array(a)
    np_fn(a, *args)
    return a


def _in_place(name, a, new):
    """`new` written into `a` in place (`inplace=True`): a traced array takes it
    (funcdiff._src.numpy.inplace); a NumPy array cannot take a traced value."""
    if not isinstance(a, Tracer):
        raise TypeError(
            f"{name} writes into its argument in place, and this argument is a NumPy array, "
            "which cannot hold a traced value. Make it inside the transformed function with "
            f"`fnp.zeros(...)` / `fnp.array(...)` (a traced buffer), or call "
            f"`funcdiff.numpy.{name}(..., inplace=False)`, which returns the new array "
            "(JAX's spelling)")
    write(a, new, f"{name}(...)")


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """`numpy.fill_diagonal`: in place on a NumPy array (returns None); with
    `inplace=False` (needed for traced values) a new array, differentiable in `a` and
    `val`."""
    if not traced(a, val):
        return _numpy_writes(np.fill_diagonal, a, (val, wrap), inplace)
    if inplace:
        return _in_place("fill_diagonal", a, fill_diagonal(a, val, wrap, inplace=False))
    a, val = _arr(a), _arr(val)
    tags = _tags(shape_of(a))
    n = max(int(np.prod(shape_of(val), dtype=np.int64)), 1)
    np.fill_diagonal(tags, -np.arange(n) - 1, wrap)
    if not shape_of(val):
        val = reshape(val, (1,))
    return _from_tags(tags, (a, val))


def place(arr, mask, vals, *, inplace=True):
    """`numpy.place`: `arr` with the entries where `mask` holds taken from `vals` in turn
    (cycled); `inplace=False` returns a new array (needed for traced values)."""
    if not traced(arr, vals):
        return _numpy_writes(np.place, arr, (mask, vals), inplace)
    if inplace:
        return _in_place("place", arr, place(arr, mask, vals, inplace=False))
    arr, vals = _arr(arr), _sh.ravel(_arr(vals))
    m = _known(_arr(mask), "place", "the positions depend on the mask")
    tags = _tags(shape_of(arr))
    k = int(np.count_nonzero(m))
    if k:
        nv = shape_of(vals)[0]
        if nv == 0:
            raise ValueError("Cannot insert from an empty array!")
        tags[np.broadcast_to(m, tags.shape).astype(bool)] = -(np.arange(k) % nv) - 1
    return _from_tags(tags, (arr, vals))


def put(a, ind, v, mode="raise", *, inplace=True):
    """`numpy.put`: the raveled `a` with positions `ind` set from `v` (cycled; the last
    write wins); `inplace=False` returns a new array (needed for traced values)."""
    if not traced(a, v):
        return _numpy_writes(np.put, a, (ind, v, mode), inplace)
    if inplace:
        return _in_place("put", a, put(a, ind, v, mode, inplace=False))
    a, v = _arr(a), _sh.ravel(_arr(v))
    ind = _concrete_index(ind, "put")
    tags = _tags(shape_of(a))
    nv = shape_of(v)[0]
    np.put(tags, ind, -(np.arange(max(np.size(ind), 1)) % max(nv, 1)) - 1, mode)
    return _from_tags(tags, (a, v))
