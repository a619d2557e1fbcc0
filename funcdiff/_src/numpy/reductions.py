"""Reductions and statistics of funcdiff.numpy: sum, prod, mean, var, max, sort, quantile, ...

Outside transforms every function is NumPy's own (same result, same speed).
Inside transforms each one is composed from the primitives of
`funcdiff._src.lax.reductions` and elementwise operations, following
NumPy's dtype rules (float32 stays float32, integer sums are integers, means
of integers are float64).

Derivative conventions: ties of `max`/`min` share the derivative evenly,
`prod` and `cumprod` are exact with zeros in the input, `std` at zero
variance has derivative 0, NaN entries get a zero derivative in the `nan*`
functions, and `sort`/`median`/`quantile` route the derivative to the
elements they select. `where=` masks are supported; `out=` is not, inside
transforms.
"""

from __future__ import annotations

import math

import numpy as np

from funcdiff._src.core import Tracer, concrete_value, dtype_of, shape_of
from funcdiff._src.errors import ConcretizationError
from funcdiff._src.lax import elementwise as ew
from funcdiff._src.lax import reductions as rp
from funcdiff._src.lax.elementwise import convert_element_type
from funcdiff._src.lax.shape import broadcast_to, concatenate, reshape, transpose
from funcdiff._src.numpy.creation import asarray
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "sum", "prod", "mean", "var", "std", "max", "min", "amax", "amin", "ptp",
    "cumsum", "cumprod", "cumulative_sum", "cumulative_prod", "argmax", "argmin", "all",
    "any", "average", "median", "quantile", "percentile", "sort", "argsort", "nansum",
    "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nancumsum", "nancumprod",
]

_NoValue = np._NoValue


# -- helpers -----------------------------------------------------------------
def normalize_axes(axis, ndim, name="axis"):
    """`axis` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in '{name}': {axis}")
    return tuple(sorted(out))


_asarray = asarray  # a tracer or array; lists holding tracers are stacked


def _setup(a, axis, out, name):
    if out is not None:
        raise TypeError(
            f"funcdiff.numpy.{name}(..., out=...) cannot write into an array inside a "
            "transform; drop `out=` and use the returned value."
        )
    a = _asarray(a)
    shape = shape_of(a)
    return a, shape, normalize_axes(axis, len(shape))


def _keep(x, axes, shape):
    return reshape(x, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _finish(x, axes, shape, keepdims):
    return _keep(x, axes, shape) if keepdims and keepdims is not _NoValue else x


def _size(shape, axes):
    return math.prod([shape[i] for i in axes])


def _kind(a):
    return np.dtype(dtype_of(a)).kind


def _masked(a, where, fill):
    """`a` with the elements outside the `where` mask replaced by the constant `fill`."""
    if where is _NoValue or where is True:
        return a
    shape = shape_of(a)
    bcast = broadcast_to if isinstance(where, Tracer) else np.broadcast_to
    mask = bcast(where, shape)
    return ew.where(mask, a, _const(fill, a))


def _const(value, like):
    """A constant `value` of `like`'s dtype (so `where` keeps float32 tangents float32)."""
    return np.asarray(value, dtype_of(like))


def _count(shape, axes, where, keepdims):
    """Number of elements reduced into each output (NumPy's intp count)."""
    if where is _NoValue or where is True:
        return np.intp(_size(shape, axes))
    ones = _masked(np.ones(shape, np.intp), where, 0)
    return sum(ones, axes, keepdims=keepdims)


def _divide_count(total, count):
    """`total / count` as NumPy computes it: true division, cast back to `total`'s dtype."""
    out = ew.divide(total, count)
    return convert_element_type(out, dtype_of(total)) if dtype_of(out) != dtype_of(total) else out


def _abs2(d):
    """|d|**2, with 0 * inf == 0 in its derivative (so std at zero variance has gradient 0)."""
    if _kind(d) == "c":
        re, im = ew.real(d), ew.imag(d)
        return ew.add(ew.mul_safe(re, re), ew.mul_safe(im, im))
    return ew.mul_safe(d, d)


def _to_last(a, axes):
    """Move `axes` to the end and flatten them into one axis: shape `rest + (n,)`."""
    shape = shape_of(a)
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    perm = kept + tuple(axes)
    if perm != tuple(range(len(shape))):
        a = transpose(a, perm)
    rest = tuple(shape[i] for i in kept)
    return reshape(a, rest + (_size(shape, axes),)), rest


def _take_last(x, idx):
    """`x[..., idx]` for a static 1-d index array, as a gather (shape `rest + (len(idx),)`)."""
    rest = shape_of(x)[:-1]
    idx = np.broadcast_to(np.asarray(idx, np.intp), rest + (len(idx),))
    return rp.gather_along_axis(x, idx, len(rest))


def _one_axis(a, axis):
    """(a, axis) with axis None meaning the flattened array, like NumPy's cumulative functions."""
    shape = shape_of(a)
    if axis is None or not shape:
        a = reshape(a, (_size(shape, tuple(range(len(shape)))),))
        return a, normalize_axes(0 if axis is None else axis, 1)[0]
    return a, normalize_axes(axis, len(shape))[0]


# -- sums and products -------------------------------------------------------
@numpy_outside_transforms(np.sum)
def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):  # noqa: A001
    """`numpy.sum`, differentiable.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(lambda x: fnp.sum(x ** 2))(fnp.array([1.0, 2.0])).tolist()
        [2.0, 4.0]

        ```
    """
    a, shape, axes = _setup(a, axis, out, "sum")
    if dtype is not None:
        a = convert_element_type(a, dtype)
    s = rp.reduce_sum(_masked(a, where, 0), axes)
    if dtype is not None and dtype_of(s) != np.dtype(dtype):
        s = convert_element_type(s, dtype)  # NumPy sums small integers in the platform int
    if initial is not _NoValue:
        s = ew.add(s, np.asarray(initial, dtype_of(s)))
    return _finish(s, axes, shape, keepdims)


@numpy_outside_transforms(np.prod)
def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    """`numpy.prod`, differentiable; the derivative is exact when elements are zero.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(fnp.prod)(fnp.array([2.0, 0.0, 3.0])).tolist()
        [0.0, 6.0, 0.0]

        ```
    """
    a, shape, axes = _setup(a, axis, out, "prod")
    if dtype is not None:
        a = convert_element_type(a, dtype)
    p = rp.reduce_prod(_masked(a, where, 1), axes)
    if initial is not _NoValue:
        p = ew.multiply(p, np.asarray(initial, dtype_of(p)))
    return _finish(p, axes, shape, keepdims)


@numpy_outside_transforms(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """`numpy.cumsum`, differentiable (the transpose is a reversed cumulative sum)."""
    a, _, _ = _setup(a, None, out, "cumsum")
    a, ax = _one_axis(a, axis)
    if dtype is not None:
        a = convert_element_type(a, dtype)
    return rp.cumsum(a, ax)


@numpy_outside_transforms(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """`numpy.cumprod`, differentiable to any order, exact with zeros in the input.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(lambda x: fnp.cumprod(x)[-1])(fnp.array([2.0, 0.0, 3.0])).tolist()
        [0.0, 6.0, 0.0]

        ```
    """
    a, _, _ = _setup(a, None, out, "cumprod")
    a, ax = _one_axis(a, axis)
    if dtype is not None:
        a = convert_element_type(a, dtype)
    return rp.cumprod(a, ax)


def _cumulative(fn, x, axis, dtype, out, include_initial, identity):
    if axis is None:
        if len(shape_of(x)) > 1:
            raise ValueError("The input array is multi-dimensional; `axis` must be given.")
        axis = 0
    r = fn(x, axis=axis, dtype=dtype, out=out)
    if not include_initial:
        return r
    shape = list(shape_of(r))
    ax = normalize_axes(axis, len(shape))[0]
    shape[ax] = 1
    return concatenate([np.full(shape, identity, dtype_of(r)), r], ax)


@numpy_outside_transforms(np.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """`numpy.cumulative_sum` (array API), differentiable."""
    return _cumulative(cumsum, x, axis, dtype, out, include_initial, 0)


@numpy_outside_transforms(np.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    """`numpy.cumulative_prod` (array API), differentiable."""
    return _cumulative(cumprod, x, axis, dtype, out, include_initial, 1)


# -- mean, var, std ------------------------------------------------------------
@numpy_outside_transforms(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NoValue):
    """`numpy.mean`, differentiable (integers average in float64, float16 in float32)."""
    a, shape, axes = _setup(a, axis, out, "mean")
    half = None
    if dtype is None and _kind(a) in "biu":
        dtype = np.float64
    elif dtype is None and dtype_of(a) == np.float16:
        dtype, half = np.float32, np.float16
    s = sum(a, axes, dtype=dtype, keepdims=keepdims, where=where)
    m = _divide_count(s, _count(shape, axes, where, keepdims))
    return convert_element_type(m, half) if half else m


def _ddof(ddof, correction):
    if correction is _NoValue:
        return ddof
    if ddof != 0:
        raise ValueError("ddof and correction can't be provided simultaneously.")
    return correction


def _var(a, axis, dtype, out, ddof, keepdims, where, mean_, correction, name):
    a, shape, axes = _setup(a, axis, out, name)
    ddof = _ddof(ddof, correction)
    if dtype is None and _kind(a) in "biu":
        dtype = np.float64
    if mean_ is _NoValue:
        total = sum(a, axes, dtype=dtype, keepdims=True, where=where)
        mean_ = _divide_count(total, _count(shape, axes, where, True))
    sq = sum(_abs2(ew.subtract(a, mean_)), axes, dtype=dtype, keepdims=keepdims, where=where)
    dof = ew.maximum(ew.subtract(_count(shape, axes, where, keepdims), ddof), 0)
    return _divide_count(sq, dof)


@numpy_outside_transforms(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
        mean=_NoValue, correction=_NoValue):
    """`numpy.var`, differentiable (`ddof`/`correction`, `where`, precomputed `mean`)."""
    return _var(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "var")


@numpy_outside_transforms(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
        mean=_NoValue, correction=_NoValue):
    """`numpy.std`, differentiable; at zero variance the gradient is 0 (not NaN).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(fnp.std)(fnp.array([1.0, 1.0, 1.0])).tolist()
        [0.0, 0.0, 0.0]

        ```
    """
    return ew.sqrt(_var(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "std"))


# -- max, min, ptp -------------------------------------------------------------
def _extremum(a, axis, out, keepdims, initial, where, name):
    a, shape, axes = _setup(a, axis, out, name)
    if _size(shape, axes) == 0 or (where is not _NoValue and initial is _NoValue):
        # NumPy's error (empty slice, `where` without `initial`), or all `initial`
        w = np.ones(shape, bool) if isinstance(where, Tracer) else where
        return getattr(np, name)(np.zeros(shape, dtype_of(a)), axis=axes, keepdims=keepdims,
                                 initial=initial, where=w)
    if where is not _NoValue:
        a = _masked(a, where, np.asarray(initial, dtype_of(a)))
    reduce, combine = (rp.reduce_max, ew.maximum) if name == "max" else (rp.reduce_min, ew.minimum)
    r = reduce(a, axes)
    if initial is not _NoValue:
        r = combine(r, np.asarray(initial, dtype_of(r)))
    return _finish(r, axes, shape, keepdims)


@numpy_outside_transforms(np.max)
def max(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):  # noqa: A001
    """`numpy.max`, differentiable; tied maxima share the derivative evenly.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(fnp.max)(fnp.array([1.0, 3.0, 3.0])).tolist()
        [0.0, 0.5, 0.5]

        ```
    """
    return _extremum(a, axis, out, keepdims, initial, where, "max")


@numpy_outside_transforms(np.min)
def min(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):  # noqa: A001
    """`numpy.min`, differentiable; tied minima share the derivative evenly."""
    return _extremum(a, axis, out, keepdims, initial, where, "min")


amax, amin = max, min


@numpy_outside_transforms(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    """`numpy.ptp` (max - min), differentiable."""
    return ew.subtract(max(a, axis, out, keepdims), min(a, axis, None, keepdims))


# -- no derivative: argmax, argmin, all, any -----------------------------------
def _arg(prim_fn, a, axis, out, keepdims, name):
    a, shape, _ = _setup(a, None, out, name)
    if axis is None:
        r = prim_fn(reshape(a, (_size(shape, tuple(range(len(shape)))),)), 0)
        return reshape(r, (1,) * len(shape)) if keepdims else r
    return prim_fn(a, normalize_axes(axis, len(shape))[0], bool(keepdims))


@numpy_outside_transforms(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=False):
    """`numpy.argmax` (integer result, no derivative)."""
    return _arg(rp.argmax, a, axis, out, keepdims, "argmax")


@numpy_outside_transforms(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=False):
    """`numpy.argmin` (integer result, no derivative)."""
    return _arg(rp.argmin, a, axis, out, keepdims, "argmin")


@numpy_outside_transforms(np.all)
def all(a, axis=None, out=None, keepdims=False, *, where=_NoValue):  # noqa: A001
    """`numpy.all` (boolean result, no derivative)."""
    a, shape, axes = _setup(a, axis, out, "all")
    return _finish(rp.reduce_and(_masked(a, where, True), axes), axes, shape, keepdims)


@numpy_outside_transforms(np.any)
def any(a, axis=None, out=None, keepdims=False, *, where=_NoValue):  # noqa: A001
    """`numpy.any` (boolean result, no derivative)."""
    a, shape, axes = _setup(a, axis, out, "any")
    return _finish(rp.reduce_or(_masked(a, where, False), axes), axes, shape, keepdims)


# -- average -------------------------------------------------------------------
@numpy_outside_transforms(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=_NoValue):
    """`numpy.average`, differentiable in `a` and in `weights`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> w = fnp.array([1.0, 3.0])
        >>> fd.grad(lambda x: fnp.average(x, weights=w))(fnp.array([1.0, 2.0])).tolist()
        [0.25, 0.75]

        ```
    """
    a = _asarray(a)
    shape = shape_of(a)
    kd = False if keepdims is _NoValue else keepdims
    if weights is None:
        avg = mean(a, axis, keepdims=kd)
        scl = np.asarray(np.prod(shape, dtype=np.int64) / np.prod(shape_of(avg), dtype=np.int64))
        scl = scl.astype(dtype_of(avg))[()]
    else:
        axes = None if axis is None else _axes_as_given(axis, len(shape))
        w = _weights(_asarray(weights), shape, axes)
        rdt = np.result_type(dtype_of(a), dtype_of(w), *(["f8"] if _kind(a) in "biu" else []))
        scl = sum(w, axes, dtype=rdt, keepdims=kd)
        try:
            zero = np.any(concrete_value(scl) == 0.0)
        except ConcretizationError:  # abstract (vmap/jit): the check needs a concrete value
            zero = False
        if zero:
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        prod_ = ew.multiply(convert_element_type(a, rdt), convert_element_type(w, rdt))
        avg = ew.divide(sum(prod_, axes, keepdims=kd), scl)
    if returned:
        if shape_of(scl) != shape_of(avg):
            scl = broadcast_to(scl, shape_of(avg))
        return avg, scl
    return avg


def _axes_as_given(axis, ndim):
    """Like `normalize_axes`, but in the order given (NumPy's `normalize_axis_tuple`)."""
    normalize_axes(axis, ndim)  # NumPy's errors
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axes)


def _weights(w, shape, axes):
    """NumPy's weight validation: same shape as `a`, or the shape of `a` along `axes`."""
    wshape = shape_of(w)
    if wshape == shape:
        return w
    if axes is None:
        raise TypeError("Axis must be specified when shapes of a and weights differ.")
    if wshape != tuple(shape[ax] for ax in axes):
        raise ValueError(
            "Shape of weights must be consistent with shape of a along specified axis."
        )
    w = transpose(w, tuple(int(i) for i in np.argsort(axes)))
    return reshape(w, tuple(s if ax in axes else 1 for ax, s in enumerate(shape)))


# -- sorting, median, quantiles ------------------------------------------------
@numpy_outside_transforms(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """`numpy.argsort` (integer result, no derivative)."""
    if order is not None:
        raise TypeError("argsort: `order` (structured arrays) is not supported inside transforms")
    a = _asarray(a)
    if axis is None:
        a, axis = reshape(a, (int(np.prod(shape_of(a), dtype=np.int64)),)), 0
    return rp.argsort(a, normalize_axes(axis, len(shape_of(a)))[0], kind, stable)


@numpy_outside_transforms(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """`numpy.sort`, differentiable: the derivative follows each element to its place.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(lambda x: fnp.sort(x)[0])(fnp.array([3.0, 1.0, 2.0])).tolist()
        [0.0, 1.0, 0.0]

        ```
    """
    if order is not None:
        raise TypeError("sort: `order` (structured arrays) is not supported inside transforms")
    a = _asarray(a)
    if axis is None:
        a, axis = reshape(a, (int(np.prod(shape_of(a), dtype=np.int64)),)), 0
    ax = normalize_axes(axis, len(shape_of(a)))[0]
    return rp.gather_along_axis(a, rp.argsort(a, ax, None, None), ax)


def _nan_last(s, result):
    """NaN where the sorted slice `s` (NaNs sort last) holds a NaN, like NumPy's median."""
    if _kind(s) not in "fc":
        return result
    last = reshape(_take_last(s, [shape_of(s)[-1] - 1]), shape_of(s)[:-1])
    return ew.where(ew.isnan(last), _const(np.nan, result), result)


@numpy_outside_transforms(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """`numpy.median`, differentiable (the derivative goes to the middle element(s)).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(fnp.median)(fnp.array([4.0, 1.0, 3.0, 2.0])).tolist()
        [0.0, 0.0, 0.5, 0.5]

        ```
    """
    a, shape, axes = _setup(a, axis, out, "median")
    x, rest = _to_last(a, axes)
    n = shape_of(x)[-1]
    if n == 0:  # NumPy's NaN (with its warning), a constant
        return np.median(np.zeros(shape, dtype_of(a)), axis=axis, keepdims=keepdims)
    s = sort(x, axis=-1)
    mid = _take_last(s, [n // 2] if n % 2 else [n // 2 - 1, n // 2])
    r = _nan_last(s, mean(mid, axis=-1))
    return _finish(r, axes, shape, keepdims)


_ALPHA_BETA = {
    "interpolated_inverted_cdf": (0.0, 1.0), "hazen": (0.5, 0.5), "weibull": (0.0, 0.0),
    "median_unbiased": (1 / 3.0, 1 / 3.0), "normal_unbiased": (3 / 8.0, 3 / 8.0),
}
_METHODS = (
    "inverted_cdf", "averaged_inverted_cdf", "closest_observation", *_ALPHA_BETA, "linear",
    "lower", "higher", "midpoint", "nearest",
)


def _continuous_index(method, n, q):
    """The fractional index of quantile `q` (a NumPy array or a traced value)."""
    if method == "linear":
        return (n - 1) * q
    if method == "averaged_inverted_cdf":
        return n * q - 1
    alpha, beta = _ALPHA_BETA[method]
    return n * q + (alpha + q * (1 - alpha - beta)) - 1


def _discrete_index(index, take_previous):
    prev = np.floor(index)
    res = np.where(take_previous(index - prev, index), prev, prev + 1).astype(np.intp)
    return np.maximum(res, 0)


def _virtual_index(method, n, q):
    """NumPy's virtual index for `method` (Hyndman & Fan); integer for the discrete methods."""
    if method not in _METHODS:
        raise ValueError(f"{method!r} is not a valid method. Use one of: {_METHODS}")
    if method in ("lower", "higher", "nearest"):
        op = {"lower": np.floor, "higher": np.ceil, "nearest": np.around}[method]
        return op((n - 1) * q).astype(np.intp)
    if method == "midpoint":
        return 0.5 * (np.floor((n - 1) * q) + np.ceil((n - 1) * q))
    if method == "inverted_cdf":
        return _discrete_index(n * q - 1, lambda g, i: g == 0)
    if method == "closest_observation":
        return _discrete_index(n * q - 1 - 0.5, lambda g, i: (g == 0) & (np.floor(i) % 2 == 1))
    return np.asarray(_continuous_index(method, n, q))


def _lerp(a, b, t):
    """NumPy's quantile interpolation: `a + (b - a) t`, from the `b` side when t >= 0.5."""
    d = ew.subtract(b, a)
    lo = ew.add(a, ew.multiply(d, t))
    hi = ew.subtract(b, ew.multiply(d, 1 - t))  # `t` is a float, an array or a tracer
    if isinstance(t, float):
        return hi if t >= 0.5 else lo
    return ew.where(t >= 0.5, hi, lo)


def _quantile(a, q, axis, out, method, keepdims, weights, weak_q, name):
    if weights is not None:
        raise NotImplementedError(f"{name}: `weights` is not supported inside transforms yet")
    a, shape, axes = _setup(a, axis, out, name)
    if _kind(a) == "c":
        raise TypeError("a must be an array of real numbers")
    qv = np.asarray(q.concrete() if isinstance(q, Tracer) else q)
    if qv.ndim > 2:
        raise ValueError("q must be a scalar or 1d")
    if not (np.all(qv >= 0) and np.all(qv <= 1)):
        what = "Percentiles must be in the range [0, 100]" if name == "percentile" else \
            "Quantiles must be in the range [0, 1]"
        raise ValueError(what)
    x, rest = _to_last(a, axes)
    n = shape_of(x)[-1]
    out_shape = qv.shape + (tuple(1 if i in axes else d for i, d in enumerate(shape))
                            if keepdims else rest)
    if n == 0:  # NumPy's result (NaN with a warning), a constant
        return np.quantile(np.zeros(shape, dtype_of(a)), qv, axis=axis, method=method,
                           keepdims=keepdims)
    s = sort(x, axis=-1)
    v = _virtual_index(method, n, qv)

    def pick(idx):  # s[..., idx] with the q axes in front: shape q.shape + rest
        vals = _take_last(s, np.asarray(idx).ravel())
        vals = transpose(vals, (len(rest),) + tuple(range(len(rest))))
        return reshape(vals, qv.shape + rest)

    if np.issubdtype(v.dtype, np.integer):
        r = pick(v)
    else:
        # NumPy's neighbours: -1 (the last) above the range or for NaN, 0 below it
        above, below = v >= n - 1, v < 0
        if _kind(a) in "fc":
            above = above | np.isnan(v)
        prev = np.where(above, -1, np.where(below, 0, np.floor(v))).astype(np.intp)
        nxt = np.where(above, -1, np.where(below, 0, np.floor(v) + 1)).astype(np.intp)
        gamma = np.asarray(v - prev, v.dtype)
        if method == "midpoint":
            gamma = np.where(v % 1 == 0, 0.0, 0.5).astype(v.dtype)
        elif method == "averaged_inverted_cdf":
            gamma = np.where(gamma == 0, 0.5, 1.0).astype(v.dtype)
        elif isinstance(q, Tracer):  # differentiable in q: the same formula, traced
            gamma = ew.subtract(_continuous_index(method, n, q), prev)
            gamma = reshape(convert_element_type(gamma, v.dtype), qv.shape + (1,) * len(rest))
        if weak_q and not isinstance(gamma, Tracer):
            gamma = float(gamma)
        elif not isinstance(gamma, Tracer):
            gamma = gamma.reshape(qv.shape + (1,) * len(rest))
        r = _lerp(pick(prev % n), pick(nxt % n), gamma)
    r = _nan_last(s, r)
    return reshape(r, out_shape) if shape_of(r) != out_shape else r


@numpy_outside_transforms(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, weights=None):
    """`numpy.quantile`, differentiable in `a` (and in a traced `q` for continuous methods).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(lambda x: fnp.quantile(x, 0.25))(fnp.array([1.0, 2.0, 3.0])).tolist()
        [0.5, 0.5, 0.0]

        ```
    """
    weak_q = type(q) in (int, float)
    if not isinstance(q, Tracer):
        q = np.asarray(q)
    return _quantile(a, q, axis, out, method, keepdims, weights, weak_q, "quantile")


@numpy_outside_transforms(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None):
    """`numpy.percentile` (`quantile` of `q / 100`), differentiable."""
    weak_q = type(q) in (int, float)
    q = ew.divide(q, 100) if isinstance(q, Tracer) else np.true_divide(q, 100)
    return _quantile(a, q, axis, out, method, keepdims, weights, weak_q, "percentile")


# -- NaN-ignoring versions -----------------------------------------------------
def _nan_replaced(a, fill):
    """(a with NaNs replaced by `fill`, the NaN mask), or (a, None) for non-float `a`."""
    a = _asarray(a)
    if _kind(a) not in "fc":
        return a, None
    mask = ew.isnan(a)
    return ew.where(mask, _const(fill, a), a), mask


@numpy_outside_transforms(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
           where=_NoValue):
    """`numpy.nansum`: NaNs count as 0 and get a zero derivative."""
    return sum(_nan_replaced(a, 0)[0], axis, dtype, out, keepdims, initial, where)


@numpy_outside_transforms(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NoValue,
            where=_NoValue):
    """`numpy.nanprod`: NaNs count as 1 and get a zero derivative."""
    return prod(_nan_replaced(a, 1)[0], axis, dtype, out, keepdims, initial, where)


@numpy_outside_transforms(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    """`numpy.nancumsum`: NaNs count as 0 and get a zero derivative."""
    return cumsum(_nan_replaced(a, 0)[0], axis, dtype, out)


@numpy_outside_transforms(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    """`numpy.nancumprod`: NaNs count as 1 and get a zero derivative."""
    return cumprod(_nan_replaced(a, 1)[0], axis, dtype, out)


def _nan_dtype(dtype):
    if dtype is not None and not issubclass(np.dtype(dtype).type, np.inexact):
        raise TypeError("If a is inexact, then dtype must be inexact")


@numpy_outside_transforms(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NoValue):
    """`numpy.nanmean`: the mean of the non-NaN elements; NaNs get a zero derivative."""
    arr, mask = _nan_replaced(a, 0)
    if mask is None:
        return mean(arr, axis, dtype, out, keepdims, where=where)
    _nan_dtype(dtype)
    cnt = sum(ew.logical_not(mask), axis, np.intp, out, keepdims, where=where)
    return _divide_count(sum(arr, axis, dtype, None, keepdims, where=where), cnt)


def _nanvar(a, axis, dtype, out, ddof, keepdims, where, mean_, correction, name):
    arr, mask = _nan_replaced(a, 0)
    if mask is None:
        return _var(arr, axis, dtype, out, ddof, keepdims, where, mean_, correction, name)
    _nan_dtype(dtype)
    ddof = _ddof(ddof, correction)
    cnt = sum(ew.logical_not(mask), axis, np.intp, out, True, where=where)
    if mean_ is _NoValue:
        mean_ = _divide_count(sum(arr, axis, dtype, None, True, where=where), cnt)
    d = ew.subtract(arr, mean_)
    d = ew.where(mask, _const(0, d), d)
    sq = sum(_abs2(d), axis, dtype, None, keepdims, where=where)
    dof = ew.subtract(cnt if keepdims else reshape(cnt, shape_of(sq)), ddof)
    var_ = _divide_count(sq, dof)
    return ew.where(ew.less_equal(dof, 0), _const(np.nan, var_), var_)


@numpy_outside_transforms(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
           mean=_NoValue, correction=_NoValue):
    """`numpy.nanvar`: the variance of the non-NaN elements; NaNs get a zero derivative."""
    return _nanvar(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "nanvar")


@numpy_outside_transforms(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NoValue,
           mean=_NoValue, correction=_NoValue):
    """`numpy.nanstd`: like `std` over the non-NaN elements (gradient 0 at zero variance)."""
    return ew.sqrt(_nanvar(a, axis, dtype, out, ddof, keepdims, where, mean, correction, "nanstd"))


def _nanextremum(a, axis, out, keepdims, initial, where, name):
    arr, mask = _nan_replaced(a, np.inf if name == "min" else -np.inf)
    fn = max if name == "max" else min
    r = fn(arr, axis, out, keepdims, initial, where)
    if mask is None or initial is not _NoValue:
        return r
    return ew.where(all(mask, axis, None, keepdims, where=where), _const(np.nan, r), r)


@numpy_outside_transforms(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    """`numpy.nanmax`: the max of the non-NaN elements (ties share the derivative)."""
    return _nanextremum(a, axis, out, keepdims, initial, where, "max")


@numpy_outside_transforms(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, initial=_NoValue, where=_NoValue):
    """`numpy.nanmin`: the min of the non-NaN elements (ties share the derivative)."""
    return _nanextremum(a, axis, out, keepdims, initial, where, "min")
