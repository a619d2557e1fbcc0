"""Reductions and statistics: values against NumPy, derivatives against finite differences.

Table-driven: each spec is one public function with its keyword arguments; the
tables are expanded over shapes, axes, keepdims and dtypes. Values are
computed on traced arguments (inside `vjp`) and compared with NumPy's values,
shapes and dtypes; derivatives are checked to second order in forward and
reverse mode (`check_grads`).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from helpers import inside as traced
from helpers import normal

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.lax import reductions as rp
from funcdiff.testing import check_grads

RNG = np.random.default_rng(0)
SHAPES = [(), (5,), (3, 4), (2, 3, 4)]
AXES = [None, 0, -1, (0, -1)]


def randn(shape, dtype=np.float64):
    """Distinct values (no ties), so every function is smooth at the point."""
    return normal(RNG, shape, dtype)  # (a named function: its name is in the test ids)


def unit(shape, dtype=np.float64):
    """Values of magnitude in [0.5, 1.5] with random signs (products stay moderate)."""
    mag = RNG.uniform(0.5, 1.5, shape)
    return np.asarray(mag * RNG.choice([-1.0, 1.0], shape), dtype)


def with_nans(shape, dtype=np.float64):
    x = randn(shape, dtype)
    if x.size > 1:
        x.flat[1] = np.nan
    return x


def assert_like_numpy(got, want, dtype):
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape, (got_a.shape, want_a.shape)
    assert got_a.dtype == want_a.dtype, (got_a.dtype, want_a.dtype)
    tol = 2e-6 if np.dtype(dtype) == np.float32 else 1e-12
    if got_a.dtype.kind in "fc":
        np.testing.assert_allclose(got_a, want_a, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got_a, want_a)


def at(v, i):
    """`v[i]` written as a weighted sum (these tests do not depend on indexing)."""
    e = np.zeros(np.shape(v))
    e[i] = 1.0
    return fnp.sum(v * e)


def valid_axes(shape, axis):
    if not shape:
        return axis is None
    return axis is None or isinstance(axis, int) or len(shape) >= 2


# -- the table ---------------------------------------------------------------
# name, extra keyword arguments, input generator, takes keepdims, takes tuple axes
SPECS = [
    ("sum", {}, randn, True, True),
    ("sum", {"dtype": np.float32}, randn, True, True),
    ("prod", {}, unit, True, True),
    ("mean", {}, randn, True, True),
    ("var", {}, randn, True, True),
    ("var", {"ddof": 1}, randn, True, True),
    ("std", {}, randn, True, True),
    ("std", {"ddof": 1}, randn, True, True),
    ("max", {}, randn, True, True),
    ("min", {}, randn, True, True),
    ("amax", {}, randn, True, True),
    ("amin", {}, randn, True, True),
    ("ptp", {}, randn, True, True),
    ("median", {}, randn, True, True),
    ("quantile", {"q": 0.3}, randn, True, True),
    ("quantile", {"q": [0.1, 0.5, 0.85]}, randn, True, True),
    ("percentile", {"q": 70.0}, randn, True, True),
    ("average", {}, randn, True, True),
    ("nansum", {}, with_nans, True, True),
    ("nanprod", {}, unit, True, True),
    ("nanmean", {}, with_nans, True, True),
    ("nanvar", {}, with_nans, True, True),
    ("nanstd", {"ddof": 1}, randn, True, True),
    ("nanmax", {}, with_nans, True, True),
    ("nanmin", {}, with_nans, True, True),
    ("cumsum", {}, randn, False, False),
    ("cumprod", {}, unit, False, False),
    ("nancumsum", {}, with_nans, False, False),
    ("nancumprod", {}, unit, False, False),
    ("sort", {}, randn, False, False),
]
NONDIFF = [("argmax", randn), ("argmin", randn), ("argsort", randn), ("all", randn),
           ("any", randn)]


def call(module, name, x, axis, keepdims, extra):
    kwargs = dict(extra)
    q = kwargs.pop("q", None)
    args = (x,) if q is None else (x, q)
    if keepdims:
        kwargs["keepdims"] = True
    if name in ("sort", "argsort") and axis is None and not np.shape(x):
        axis = None  # flattened
    return getattr(module, name)(*args, axis=axis, **kwargs)


def value_cases():
    for (name, extra, gen, has_keep, tuples), shape, axis in itertools.product(SPECS, SHAPES, AXES):
        if not valid_axes(shape, axis) or (isinstance(axis, tuple) and not tuples):
            continue
        if name in ("sort",) and not shape and axis is not None:
            continue
        for keepdims in ([False, True] if has_keep else [False]):
            for dtype in (np.float64, np.float32):
                yield pytest.param(name, extra, gen, shape, axis, keepdims, dtype,
                                   id=f"{name}{extra or ''}-{shape}-{axis}-k{int(keepdims)}-"
                                   f"{np.dtype(dtype).name}")


@pytest.mark.parametrize("name,extra,gen,shape,axis,keepdims,dtype", list(value_cases()))
def test_values_like_numpy(name, extra, gen, shape, axis, keepdims, dtype):
    x = gen(shape, dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = call(np, name, x, axis, keepdims, extra)
        eager = call(fnp, name, x, axis, keepdims, extra)
        got = traced(lambda v: call(fnp, name, v, axis, keepdims, extra), x)
    assert type(eager) is type(want)
    np.testing.assert_array_equal(eager, want)
    assert_like_numpy(got, want, dtype)


def grad_cases():
    for (name, extra, gen, has_keep, tuples), shape, axis in itertools.product(SPECS, SHAPES, AXES):
        if not valid_axes(shape, axis) or (isinstance(axis, tuple) and not tuples):
            continue
        if name == "sort" and not shape and axis is not None:
            continue
        if name.startswith(("var", "std", "nanvar", "nanstd")) and np.prod(shape) == 1:
            continue  # one element: zero variance (no second derivative of std; NaN for ddof=1)
        keepdims = has_keep and axis == 0
        yield pytest.param(name, extra, gen, shape, axis, keepdims,
                           id=f"{name}{extra or ''}-{shape}-{axis}-k{int(keepdims)}")


@pytest.mark.parametrize("name,extra,gen,shape,axis,keepdims", list(grad_cases()))
def test_derivatives_second_order(name, extra, gen, shape, axis, keepdims):
    x = gen(shape)
    # the table has no point where the value is NaN (no derivative to check there)
    assert not np.isnan(np.asarray(call(np, name, x, axis, keepdims, extra), float)).any()
    check_grads(lambda v: call(fnp, name, v, axis, keepdims, extra), (x,), order=2,
                modes=("fwd", "rev"))


@pytest.mark.parametrize("name,gen", NONDIFF)
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_nondifferentiable_values(name, gen, shape, axis):
    x = gen(shape)
    pre = (lambda v: v > 0) if name in ("all", "any") else (lambda v: v)
    want = getattr(np, name)(pre(x), axis=axis)
    got = traced(lambda v: getattr(fnp, name)(pre(v), axis=axis), x)
    assert_like_numpy(got, want, np.float64)
    if name in ("argmax", "argmin"):
        got = traced(lambda v: getattr(fnp, name)(v, axis=axis, keepdims=True), x)
        assert_like_numpy(got, getattr(np, name)(x, axis=axis, keepdims=True), np.float64)
    if name == "argsort":
        got = traced(lambda v: fnp.argsort(v, axis=axis), x)
        assert_like_numpy(got, want, np.float64)


# -- conventions at kinks ------------------------------------------------------
def test_max_min_ties_split_evenly():
    x = np.array([1.0, 3.0, 3.0])
    np.testing.assert_array_equal(fd.grad(fnp.max)(x), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(fd.grad(fnp.min)(np.array([2.0, 2.0, 5.0, 2.0])),
                                  [1 / 3, 1 / 3, 0.0, 1 / 3])
    _, t = fd.jvp(fnp.max, (x,), (np.array([10.0, 1.0, 3.0]),))
    assert t == 2.0
    m = np.array([[1.0, 4.0, 4.0], [7.0, 2.0, 7.0]])
    np.testing.assert_array_equal(fd.grad(lambda v: fnp.sum(fnp.max(v, axis=1)))(m),
                                  [[0, 0.5, 0.5], [0.5, 0, 0.5]])
    np.testing.assert_array_equal(fd.grad(fnp.ptp)(np.array([1.0, 1.0, 3.0])), [-0.5, -0.5, 1])
    # the second derivative of max is zero, also at ties
    np.testing.assert_array_equal(fd.hessian(fnp.max)(x), np.zeros((3, 3)))


def test_max_with_nan_and_infinities():
    g = fd.grad(fnp.max)(np.array([1.0, np.nan, 3.0]))
    assert g[1] == 1.0 and g[0] == 0.0 and g[2] == 0.0
    g = fd.grad(fnp.max)(np.array([-np.inf, -np.inf]))
    np.testing.assert_array_equal(g, [0.5, 0.5])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 0.5], [2.0, 0.0, 0.0, 0.5], [0.0, 0.0, 0.0, 1.5],
                               [0.0]])
def test_prod_and_cumprod_with_zeros(x):
    x = np.array(x)
    others = np.array([np.prod(np.delete(x, i)) for i in range(x.size)])
    np.testing.assert_array_equal(fd.grad(fnp.prod)(x), others)
    np.testing.assert_array_equal(fd.jvp(fnp.prod, (x,), (np.ones_like(x),))[1], others.sum())
    hess = np.array([[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(x.size)]
                     for i in range(x.size)])
    np.testing.assert_allclose(fd.hessian(fnp.prod)(x), hess)
    np.testing.assert_allclose(fd.jacfwd(fd.grad(fnp.prod))(x), hess)
    check_grads(fnp.prod, (x,), order=3)
    check_grads(fnp.cumprod, (x,), order=3)
    check_grads(lambda v: fnp.flip(fnp.cumprod(fnp.flip(v))), (x,), order=2)
    jac = np.array([[np.prod(np.delete(x[:i + 1], j)) if j <= i else 0.0 for j in range(x.size)]
                    for i in range(x.size)])
    np.testing.assert_allclose(fd.jacrev(fnp.cumprod)(x), jac)
    np.testing.assert_allclose(fd.jacfwd(fnp.cumprod)(x), jac)


def test_prod_with_zeros_along_axes():
    x = unit((3, 4, 2))
    x[0, 1, :] = 0.0
    x[1, 2, 0] = x[1, 3, 0] = 0.0
    for axis in [0, 1, (0, 2), None]:
        check_grads(lambda v, axis=axis: fnp.prod(v, axis=axis), (x,), order=2)


def test_std_at_zero_variance_has_zero_gradient():
    x = np.full(4, 2.5)
    for f in (fnp.std, fnp.nanstd, lambda v: fnp.std(v, ddof=1)):
        np.testing.assert_array_equal(fd.grad(f)(x), np.zeros(4))
        assert fd.jvp(f, (x,), (np.arange(4.0),))[1] == 0.0
    m = np.stack([np.full(3, 1.0), np.array([1.0, 2.0, 4.0])])
    g = fd.grad(lambda v: fnp.sum(fnp.std(v, axis=1)))(m)
    assert np.all(g[0] == 0) and np.all(np.isfinite(g))
    check_grads(lambda v: at(fnp.std(v, axis=1), 1), (m,), order=1)
    g32 = fd.grad(fnp.std)(np.ones(3, np.float32))
    assert g32.dtype == np.float32 and np.all(g32 == 0)
    z = np.array([1.0 + 1.0j, 1.0 + 1.0j])
    np.testing.assert_array_equal(fd.grad(fnp.std)(z), np.zeros(2))


def test_nan_entries_get_zero_gradient():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]])
    for f in (fnp.nansum, fnp.nanmean, fnp.nanmax, fnp.nanmin, fnp.nanvar, fnp.nanstd,
              fnp.nanprod, lambda v: at(fnp.nancumsum(v), -1), lambda v: at(fnp.nancumprod(v), -1)):
        g = fd.grad(f)(x)
        assert np.all(g[np.isnan(x)] == 0) and np.all(np.isfinite(g)), f
        check_grads(f, (x,), order=2)
    np.testing.assert_array_equal(fd.grad(fnp.nanmean)(x), np.where(np.isnan(x), 0, 1 / 3))


def test_all_nan_slices():
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in ("nanmax", "nanmin", "nanmean", "nanvar", "nanstd"):
            want = getattr(np, name)(x, axis=1)
            got = traced(lambda v, name=name: getattr(fnp, name)(v, axis=1), x)
            assert_like_numpy(got, want, np.float64)
            g = fd.grad(lambda v, name=name: at(getattr(fnp, name)(v, axis=1), 1))(x)
            assert np.all(np.isfinite(g)) and np.all(g[0] == 0)
        for name in ("median", "quantile", "percentile"):
            extra = {} if name == "median" else {"q": 0.5 if name == "quantile" else 50}
            y = np.array([[1.0, np.nan, 0.0], [1.0, 2.0, 0.5]])
            got = traced(lambda v, n=name, e=extra: call(fnp, n, v, 1, False, e), y)
            assert_like_numpy(got, call(np, name, y, 1, False, extra), np.float64)


# -- dtypes --------------------------------------------------------------------
def test_float32_stays_float32():
    x = randn((3, 4), np.float32)
    for name in ("sum", "prod", "mean", "var", "std", "max", "min", "ptp", "median", "cumsum",
                 "cumprod", "sort", "nansum", "nanmean", "nanvar", "nanstd", "average"):
        f = getattr(fnp, name)
        y = traced(f, x)
        assert np.asarray(y).dtype == np.float32, name
        g = fd.grad(lambda v, f=f: fnp.sum(f(v)))(x)
        assert g.dtype == np.float32, name
        check_grads(lambda v, f=f: f(v), (x,), order=2)
    assert traced(lambda v: fnp.quantile(v, 0.3), x).dtype == np.float32
    assert traced(lambda v: fnp.quantile(v, [0.3]), x).dtype == np.float64  # like NumPy


def test_integer_and_bool_reductions_like_numpy():
    ints = np.arange(12, dtype=np.int32).reshape(3, 4) - 5
    bools = ints > 0

    def f(s):
        n = (ints * (s > 0)).astype(np.int32)  # an int32 tracer with the values of `ints`
        b = (n > 0)
        outs = [fnp.sum(n), fnp.sum(n, axis=0), fnp.prod(n, axis=1), fnp.mean(n), fnp.var(n),
                fnp.cumsum(n, axis=1), fnp.cumprod(n), fnp.max(n, axis=1), fnp.sum(b),
                fnp.mean(b, axis=0), fnp.median(n, axis=1), fnp.std(n, axis=0),
                fnp.quantile(n, 0.5, method="lower"), fnp.argmax(n), fnp.sort(n, axis=0)]
        return s, outs

    _, outs = fd.vjp(f, 1.0)[0]
    wants = [np.sum(ints), np.sum(ints, axis=0), np.prod(ints, axis=1), np.mean(ints),
             np.var(ints), np.cumsum(ints, axis=1), np.cumprod(ints), np.max(ints, axis=1),
             np.sum(bools), np.mean(bools, axis=0), np.median(ints, axis=1),
             np.std(ints, axis=0), np.quantile(ints, 0.5, method="lower"), np.argmax(ints),
             np.sort(ints, axis=0)]
    for got, want in zip(outs, wants):
        assert_like_numpy(got, want, np.float64)


def test_float16_mean_and_complex():
    h = randn((7,), np.float16)
    assert_like_numpy(traced(fnp.mean, h), np.mean(h), np.float32)
    z = randn((3, 4)) + 1j * randn((3, 4))
    for name in ("sum", "prod", "mean", "var", "std", "cumsum", "cumprod"):
        want = getattr(np, name)(z, axis=1)
        assert_like_numpy(traced(lambda v, n=name: getattr(fnp, n)(v, axis=1), z), want, np.float64)
    # order 1: second derivatives through `real`/`imag` of complex values are the lead's (#todo)
    check_grads(lambda v: fnp.var(v, axis=0), (z,), order=1)
    check_grads(lambda v: fnp.prod(v, axis=1), (z,), order=2)
    check_grads(lambda v: fnp.cumprod(v, axis=1), (z,), order=2)


# -- keyword arguments ----------------------------------------------------------
def test_where_initial_dtype_arguments():
    x = randn((3, 4))
    mask = np.array([True, False, True, True])
    cases = [
        ("sum", dict(axis=1, where=mask)), ("sum", dict(initial=2.0)),
        ("sum", dict(axis=0, dtype=np.float32)), ("prod", dict(axis=1, where=mask)),
        ("prod", dict(initial=0.5)), ("mean", dict(axis=1, where=mask)),
        ("mean", dict(axis=None, where=mask)), ("var", dict(axis=1, where=mask)),
        ("std", dict(axis=1, where=mask, ddof=1)), ("var", dict(axis=0, correction=1)),
        ("var", dict(axis=1, mean=np.mean(x, axis=1, keepdims=True))),
        ("max", dict(axis=1, where=mask, initial=-5.0)), ("max", dict(initial=10.0)),
        ("min", dict(axis=0, initial=-0.5)), ("nansum", dict(axis=1, where=mask)),
        ("nanmean", dict(axis=1, where=mask)), ("nanvar", dict(axis=1, where=mask)),
        ("nanmax", dict(axis=1, initial=0.0)),
    ]
    for name, kw in cases:
        want = getattr(np, name)(x, **kw)
        got = traced(lambda v, name=name, kw=kw: getattr(fnp, name)(v, **kw), x)
        assert_like_numpy(got, want, np.float64)
        check_grads(lambda v, name=name, kw=kw: getattr(fnp, name)(v, **kw), (x,), order=2)
    b = x > 0
    for name in ("all", "any"):
        want = getattr(np, name)(b, axis=1, where=mask)
        got = fd.vjp(lambda s, name=name: (s, getattr(fnp, name)(b, axis=1, where=mask)), 1.0)[0]
        assert_like_numpy(got[1], want, np.float64)


def test_errors_inside_transforms():
    x = randn((3, 4))

    def inside(f):
        return fd.grad(lambda v: fnp.sum(f(v)))(x)

    with pytest.raises(np.exceptions.AxisError):
        inside(lambda v: fnp.sum(v, axis=2))
    with pytest.raises(ValueError, match="duplicate"):
        inside(lambda v: fnp.mean(v, axis=(0, 0)))
    with pytest.raises(TypeError, match="out="):
        inside(lambda v: fnp.max(v, out=np.empty(4)))
    with pytest.raises(ValueError):  # numpy: max of an empty slice
        inside(lambda v: fnp.max(np.zeros((0, 4)) * fnp.sum(v), axis=0))
    with pytest.raises(ValueError):  # numpy: where without initial
        inside(lambda v: fnp.max(v, where=v > 0))
    with pytest.raises(ValueError, match="Quantiles"):
        inside(lambda v: fnp.quantile(v, 1.5))
    with pytest.raises(ValueError, match="ddof and correction"):
        inside(lambda v: fnp.var(v, ddof=1, correction=1))
    with pytest.raises(ZeroDivisionError):
        inside(lambda v: fnp.average(v, axis=1, weights=np.zeros(4)))


# -- cumulative, sorting, order statistics --------------------------------------
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_axes_and_dtypes(name):
    x = unit((2, 3, 4))
    for axis in (None, 0, 1, -1):
        want = getattr(np, name)(x, axis=axis)
        def f(v, axis=axis):
            return getattr(fnp, name)(v, axis=axis)

        assert_like_numpy(traced(f, x), want, float)
        check_grads(f, (x,), order=2)
    want = getattr(np, name)(x, axis=1, dtype=np.float32)
    got = traced(lambda v: getattr(fnp, name)(v, axis=1, dtype=np.float32), x)
    assert_like_numpy(got, want, np.float32)
    assert_like_numpy(traced(getattr(fnp, name), np.float64(3.0)), getattr(np, name)(3.0), float)
    cname = {"cumsum": "cumulative_sum", "cumprod": "cumulative_prod"}[name]
    for inc in (False, True):
        want = getattr(np, cname)(x, axis=2, include_initial=inc)
        got = traced(lambda v, inc=inc: getattr(fnp, cname)(v, axis=2, include_initial=inc), x)
        assert_like_numpy(got, want, float)


def test_cumsum_transpose_is_reverse_cumsum():
    x = randn((3, 5))
    f_t = fd.linear_transpose(lambda v: fnp.cumsum(v, axis=1), x)
    g = randn((3, 5))
    np.testing.assert_allclose(f_t(g)[0], np.flip(np.cumsum(np.flip(g, 1), 1), 1))
    _, f_jvp = fd.linearize(fnp.prod, unit((4,)))
    assert np.shape(f_jvp(np.ones(4))) == ()


def test_sort_argsort():
    x = randn((3, 5))
    for axis in (0, 1, -1, None):
        def f(v, axis=axis):
            return fnp.sort(v, axis=axis)

        assert_like_numpy(traced(f, x), np.sort(x, axis=axis), float)
        check_grads(f, (x,), order=2)
        got = traced(lambda v, axis=axis: fnp.argsort(v, axis=axis), x)
        assert_like_numpy(got, np.argsort(x, axis=axis), float)
    g = fd.grad(lambda v: at(fnp.sort(v), 0) * 2.0 + at(fnp.sort(v), -1))(np.array([3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [1.0, 2.0, 0.0])
    y = np.array([3.0, np.nan, 1.0, 2.0])
    assert_like_numpy(traced(fnp.sort, y), np.sort(y), float)
    ties = np.array([2.0, 1.0, 2.0, 1.0])
    assert_like_numpy(traced(lambda v: fnp.argsort(v, kind="stable"), ties),
                      np.argsort(ties, kind="stable"), float)


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest",
                                    "inverted_cdf", "averaged_inverted_cdf",
                                    "closest_observation", "interpolated_inverted_cdf", "hazen",
                                    "weibull", "median_unbiased", "normal_unbiased"])
@pytest.mark.parametrize("q", [0.0, 0.37, 1.0, [0.05, 0.5, 0.95], np.array([[0.2], [0.8]])])
def test_quantile_methods(method, q):
    x = randn((4, 6))
    for axis, keepdims in [(None, False), (1, False), (0, True), ((0, 1), True)]:
        want = np.quantile(x, q, axis=axis, method=method, keepdims=keepdims)
        got = traced(lambda v, a=axis, k=keepdims: fnp.quantile(v, q, axis=a, method=method,
                                                              keepdims=k), x)
        assert_like_numpy(got, want, np.float64)
    check_grads(lambda v: fnp.quantile(v, q, axis=1, method=method), (x,), order=2)
    want = np.percentile(x, np.multiply(q, 100), axis=0, method=method)
    got = traced(lambda v: fnp.percentile(v, np.multiply(q, 100), axis=0, method=method), x)
    assert_like_numpy(got, want, np.float64)


def test_quantile_differentiable_in_q():
    x = np.array([1.0, 4.0, 2.0, 8.0])
    g = fd.grad(lambda q: fnp.quantile(x, q), argnums=0)(np.float64(0.5))
    assert g == pytest.approx((4.0 - 2.0) * 3)
    check_grads(lambda q: fnp.quantile(x, q), (np.array([0.2, 0.6]),), order=2)
    check_grads(lambda q: fnp.percentile(x, q, method="hazen"), (np.array(40.0),), order=2)


def test_median_gradient_goes_to_middle():
    np.testing.assert_array_equal(fd.grad(fnp.median)(np.array([4.0, 1.0, 3.0, 2.0])),
                                  [0, 0, 0.5, 0.5])
    np.testing.assert_array_equal(fd.grad(fnp.median)(np.array([5.0, 1.0, 3.0])), [0, 0, 1])


def test_average():
    x = randn((3, 4))
    w_full, w_axis = unit((3, 4)) ** 2, unit((4,)) ** 2
    cases = [dict(), dict(axis=1), dict(axis=1, weights=w_axis), dict(weights=w_full),
             dict(axis=(0, 1), weights=w_full, returned=True),
             dict(axis=1, weights=w_axis, returned=True, keepdims=True),
             dict(axis=0, returned=True)]
    for kw in cases:
        want = np.average(x, **kw)
        got = traced(lambda v, kw=kw: fnp.average(v, **kw), x)
        if kw.get("returned"):
            for g_, w_ in zip(got, want):
                assert_like_numpy(g_, w_, np.float64)
        else:
            assert_like_numpy(got, want, np.float64)
    check_grads(lambda v, w: fnp.average(v, axis=1, weights=w), (x, w_axis), order=2)
    check_grads(lambda v, w: fnp.average(v, weights=w), (x, w_full), order=2)
    wt = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    xt = randn((2, 4, 3))
    assert_like_numpy(traced(lambda v: fnp.average(v, axis=(2, 0), weights=wt), xt),
                      np.average(xt, axis=(2, 0), weights=wt), np.float64)


# -- transforms of the primitives ------------------------------------------------
def test_numpy_functions_dispatch_on_tracers():
    x = randn((3, 4))
    for f in (np.sum, np.prod, np.mean, np.std, np.max, np.amin, np.median, np.cumsum,
              np.nanmean, np.sort):
        np.testing.assert_allclose(traced(lambda v, f=f: f(v, axis=0), x), f(x, axis=0))
    g = fd.grad(lambda v: np.var(v) + v.sum() + v.max() + v.std())(x)
    check_grads(lambda v: np.var(v) + v.sum() + v.max() + v.std(), (x,), order=1)
    assert g.shape == x.shape


@pytest.mark.parametrize("f", [
    lambda v: fnp.max(v, axis=0), lambda v: fnp.prod(v, axis=1), lambda v: fnp.cumsum(v, axis=0),
    lambda v: fnp.cumprod(v, axis=1), lambda v: fnp.sort(v, axis=0), lambda v: fnp.median(v),
    lambda v: fnp.quantile(v, [0.2, 0.7], axis=1), lambda v: fnp.argmax(v, axis=1),
    lambda v: fnp.std(v, axis=0), lambda v: fnp.all(v > 0, axis=1),
])
def test_vmap_matches_loop(f):
    from funcdiff._src.interpreters.batching import FALLBACK_USED

    x = randn((4, 3, 5))
    before = set(FALLBACK_USED)
    got = fd.vmap(f)(x)
    np.testing.assert_allclose(got, np.stack([f(xi) for xi in x]))
    got_t = fd.vmap(f, in_axes=2)(x)
    np.testing.assert_allclose(got_t, np.stack([f(x[:, :, i]) for i in range(5)]))
    if np.asarray(got).dtype.kind == "f":
        grads = fd.vmap(fd.grad(lambda v: fnp.sum(f(v))))(x)
        np.testing.assert_allclose(grads, np.stack([fd.grad(lambda v: fnp.sum(f(v)))(xi)
                                                    for xi in x]))
    assert set(FALLBACK_USED) == before


def test_linear_recurrence_primitive():
    a, b = unit((3, 6)), randn((3, 6))
    for reverse in (False, True):
        h = rp.linear_recurrence(a, b, 1, reverse)
        want = np.zeros_like(b)
        order = range(5, -1, -1) if reverse else range(6)
        prev = np.zeros(3)
        for i in order:
            prev = a[:, i] * prev + b[:, i]
            want[:, i] = prev
        np.testing.assert_allclose(h, want)
        for axis, order in ((1, 3), (0, 2)):
            check_grads(lambda a_, b_, ax=axis, r=reverse: rp.linear_recurrence(a_, b_, ax, r),
                        (a, b), order=order)
