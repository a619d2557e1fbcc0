"""Table-driven tests of the elementwise primitives (and, at the end, other families).

One row per function: the funcdiff function, its NumPy reference and how to
draw inputs (one sampler per argument: a `(lo, hi)` interval or a function of
`(rng, shape)`). `test_elementwise` expands every row over dtypes and shapes
(0-d, (3,), size-1, broadcasting pairs, Python scalars) and checks

* values and dtypes equal NumPy's, outside transforms and under `jvp`;
* derivatives: `check_grads(order=2, modes=("fwd", "rev"))`, which covers
  jvp-of-jvp, vjp-of-jvp, jvp-of-vjp and vjp-of-vjp;
* non-differentiable rows: zero derivatives in both modes.

`test_every_primitive_has_a_row` fails when a primitive is added to
`funcdiff/_src/lax/elementwise.py` without a row here.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import funcdiff as fd
import funcdiff._src.lax.elementwise as ew
import funcdiff.numpy as fnp
from funcdiff._src.core import Primitive
from funcdiff._src.numpy.indexing import _getitem
from funcdiff.testing import check_grads
from funcdiff.tree import tree_leaves, tree_map

# --------------------------------------------------------------------------
# Input samplers: each maps (rng, shape) to a float64 (or int) array.


def pm(lo, hi):
    """Magnitudes in (lo, hi), random signs: keeps values away from zero."""
    return lambda rng, shape: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def off_integers(rng, shape):
    """Values in (-3, 3) at least 0.1 away from integers and half-integers."""
    frac = rng.uniform(0.1, 0.4, shape) + rng.choice([0.0, 0.5], shape)
    return rng.integers(-3, 3, shape) + frac


def mod_dividend(rng, shape):
    """x with x / y at least 0.1 away from integers for every y in +-{1, 2}."""
    return 2 * rng.integers(-2, 2, shape) + rng.choice([0.0, 1.0], shape) + rng.uniform(
        0.2, 0.8, shape
    )


def mod_divisor(rng, shape):
    return rng.choice([-2.0, -1.0, 1.0, 2.0], shape)


def truthy(rng, shape):
    return rng.choice([0.0, 1.5, -0.5], shape)


def specials(rng, shape):
    return rng.choice([1.5, -0.5, 0.0, np.inf, -np.inf, np.nan], shape)


def small_ints(rng, shape):
    return rng.integers(-6, 7, shape)


def shift_amounts(rng, shape):
    return rng.integers(0, 5, shape)


STD = (-2.0, 2.0)
POS = (0.1, 5.0)


class Op(NamedTuple):
    prim: str  # the primitive this row covers
    fn: Callable  # the funcdiff function
    ref: Callable  # the NumPy reference
    args: tuple  # one sampler per argument: (lo, hi) or a function (rng, shape) -> array
    diff: bool = True  # False: the derivative must be zero
    fd: bool = True  # whether finite differences agree with the derivative (check_grads)
    dtypes: tuple = (np.float64, np.float32)
    complex: bool = False  # also test complex128 inputs (both parts drawn from the samplers)
    name: str = ""

    @property
    def id(self):
        return self.name or self.prim


def op(prim, *args, fn=None, ref=None, **kw):
    fn = fn or getattr(fnp, prim)
    ref = ref or getattr(np, prim)
    return Op(prim, fn, ref, args, **kw)


NONDIFF = dict(diff=False)
INTS = dict(diff=False, dtypes=(np.int64, np.int32))

ELEMENTWISE = [
    # arithmetic
    op("add", STD, STD, complex=True),
    op("subtract", STD, STD, complex=True),
    op("multiply", STD, STD, complex=True),
    op("mul_safe", STD, STD, fn=ew.mul_safe, ref=np.multiply, complex=True),
    op("negative", STD, complex=True),
    op("divide", STD, pm(0.5, 2.0), complex=True),
    op("power", (0.5, 2.0), STD, complex=True),
    op("power", STD, fn=lambda x: fnp.power(x, 3), ref=lambda x: np.power(x, 3), name="cube"),
    op("power", STD, fn=lambda x: x**2, ref=lambda x: x**2, name="pow_int2", complex=True),
    op("power", (0.5, 2.0), fn=lambda x: x**-1.5, ref=lambda x: x**-1.5, name="pow_float"),
    op("power", STD, fn=lambda x: x**0.0, ref=lambda x: x**0.0, name="pow_zero"),
    op("power", (0.5, 2.0), fn=lambda y: fnp.power(2.0, y), ref=lambda y: np.power(2.0, y),
       name="pow_const_base"),
    # exponentials and logarithms
    op("exp", STD, complex=True),
    op("exp2", STD, complex=True),
    op("expm1", STD, complex=True),
    op("log", POS, complex=True),
    op("log2", POS, complex=True),
    op("log10", POS, complex=True),
    op("log1p", (-0.5, 3.0), complex=True),
    op("sqrt", POS, complex=True),
    op("cbrt", pm(0.1, 5.0)),
    op("square", STD, complex=True),
    op("reciprocal", pm(0.5, 3.0), complex=True),
    op("sinc", STD, fn=lambda x: fnp.sinc(x), ref=np.sinc),
    op("logaddexp", STD, STD),
    op("logaddexp2", STD, STD),
    # trigonometric and hyperbolic
    op("sin", (-3.0, 3.0), complex=True),
    op("cos", (-3.0, 3.0), complex=True),
    op("tan", (-1.2, 1.2), complex=True),
    op("arcsin", (-0.9, 0.9), complex=True),
    op("arccos", (-0.9, 0.9), complex=True),
    op("arctan", (-3.0, 3.0)),
    op("sinh", STD, complex=True),
    op("cosh", STD, complex=True),
    op("tanh", (-1.2, 1.2), complex=True),
    op("arcsinh", (-3.0, 3.0)),
    op("arccosh", (1.1, 5.0), complex=True),
    op("arctanh", (-0.9, 0.9), complex=True),
    op("arctan2", STD, (0.5, 2.0)),
    op("hypot", (0.5, 2.0), STD),
    # piecewise
    op("abs", STD, complex=True),
    op("maximum", STD, STD),
    op("minimum", STD, STD),
    op("mod", mod_dividend, mod_divisor),
    op("fmod", mod_dividend, mod_divisor),
    op("copysign", pm(0.2, 2.0), pm(0.2, 2.0)),
    op("where", pm(0.2, 2.0), STD, STD, fn=lambda c, x, y: fnp.where(c > 0, x, y),
       ref=lambda c, x, y: np.where(c > 0, x, y)),
    # no derivative
    op("sign", pm(0.2, 2.0), **NONDIFF),
    op("floor", off_integers, **NONDIFF),
    op("ceil", off_integers, **NONDIFF),
    op("trunc", off_integers, **NONDIFF),
    op("rint", off_integers, **NONDIFF),
    op("floor_divide", mod_dividend, mod_divisor, **NONDIFF),
    op("heaviside", pm(0.2, 2.0), STD, **NONDIFF),
    op("equal", STD, STD, **NONDIFF),
    op("not_equal", STD, STD, **NONDIFF),
    op("less", STD, STD, **NONDIFF),
    op("less_equal", STD, STD, **NONDIFF),
    op("greater", STD, STD, **NONDIFF),
    op("greater_equal", STD, STD, **NONDIFF),
    op("logical_and", truthy, truthy, **NONDIFF),
    op("logical_or", truthy, truthy, **NONDIFF),
    op("logical_xor", truthy, truthy, **NONDIFF),
    op("logical_not", truthy, **NONDIFF),
    op("isfinite", specials, **NONDIFF),
    op("isnan", specials, **NONDIFF),
    op("isinf", specials, **NONDIFF),
    op("bitwise_and", small_ints, small_ints, **INTS),
    op("bitwise_or", small_ints, small_ints, **INTS),
    op("bitwise_xor", small_ints, small_ints, **INTS),
    op("invert", small_ints, **INTS),
    op("left_shift", small_ints, shift_amounts, **INTS),
    op("right_shift", small_ints, shift_amounts, **INTS),
    op("gcd", small_ints, small_ints, **INTS),
    op("lcm", small_ints, small_ints, **INTS),
    op("bitwise_count", small_ints, **INTS),
    op("spacing", STD, **NONDIFF),
    op("frexp_exponent", STD, fn=lambda x: fnp.frexp(x)[1], ref=lambda x: np.frexp(x)[1],
       **NONDIFF),
    op("nextafter", STD, STD),
    op("ldexp", STD, fn=lambda x: fnp.ldexp(x, 3), ref=lambda x: np.ldexp(x, 3)),
    op("ldexp", STD, fn=lambda x: fnp.ldexp(x, np.array([-2, 0, 5])[:, None]),
       ref=lambda x: np.ldexp(x, np.array([-2, 0, 5])[:, None]), name="ldexp_broadcast"),
    op("bessel_i0", (-4.0, 4.0), fn=fnp.i0, ref=np.i0),
    # (i1's values against SciPy's: tests/test_extras.py::test_i1_against_scipy)
    op("bessel_i1", (-4.0, 4.0), fn=ew.i1, ref=ew.i1_p.impl),
    op("stop_gradient", STD, ref=lambda x: x, diff=False, fd=False, complex=True),
    # complex parts (on real inputs too)
    op("real", STD, complex=True),
    op("imag", STD, complex=True),
    op("conjugate", STD, fn=fnp.conj, ref=np.conj, complex=True),
    # dtype conversion
    op("convert_element_type", STD, fn=lambda x: fnp.astype(x, np.float32),
       ref=lambda x: np.asarray(x).astype(np.float32), dtypes=(np.float64,),
       name="to_float32"),
    op("convert_element_type", STD, fn=lambda x: fnp.astype(x, np.float64),
       ref=lambda x: np.asarray(x).astype(np.float64), dtypes=(np.float32,),
       name="to_float64"),
    op("convert_element_type", STD, fn=lambda x: fnp.astype(x, np.complex128),
       ref=lambda x: np.asarray(x).astype(np.complex128), name="to_complex"),
    op("convert_element_type", STD, fn=lambda x: fnp.astype(x, np.float64),
       ref=lambda x: np.asarray(np.real(x)).astype(np.float64), dtypes=(np.complex128,),
       name="complex_to_real"),
    op("convert_element_type", (-5.0, 5.0), fn=lambda x: fnp.astype(x, np.int32),
       ref=lambda x: np.asarray(x).astype(np.int32), name="to_int", **NONDIFF),
]


def test_every_primitive_has_a_row():
    prims = {v.name for v in vars(ew).values() if isinstance(v, Primitive)}
    covered = {row.prim for row in ELEMENTWISE}
    assert prims - covered == set(), "elementwise primitives without a test row"
    assert covered - prims == set(), "rows for primitives that do not exist"


def test_row_ids_are_unique():
    ids = [row.id for row in ELEMENTWISE]
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------
# Expanding the rows over dtypes and shapes. `None` is a Python scalar.

SHAPES = {
    1: [(), (3,), (1,), None],
    2: [((), ()), ((3,), (3,)), ((1,), (1,)), ((3, 1), (4,)), ((2, 3), ()), ((3,), None),
        (None, (2, 2)), (None, None)],
    3: [((), (), ()), ((3,), (3,), (3,)), ((1,), (1,), (1,)), ((3, 1), (4,), (1,)),
        ((3, 1), None, (4,)), (None, None, None)],
}
PY_DTYPES = (np.float64, np.complex128, np.int64)  # the dtypes Python scalars have


def _cases(rows):
    for row in rows:
        dtypes = row.dtypes + ((np.complex128,) if row.complex else ())
        for dtype in dtypes:
            for shapes in SHAPES[len(row.args)]:
                shapes = (shapes,) if len(row.args) == 1 else shapes
                if all(s is None for s in shapes) and dtype not in PY_DTYPES:
                    continue  # all-Python inputs are the float64/complex128/int64 case
                sid = ",".join("py" if s is None else str(s) for s in shapes)
                yield pytest.param(row, np.dtype(dtype), shapes,
                                   id=f"{row.id}-{np.dtype(dtype).name}-{sid}")


def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def _draw(row, dtype, shapes):
    rng = np.random.default_rng(zlib.crc32(f"{row.id}{dtype}{shapes}".encode()))
    args = []
    for sampler, shape in zip(row.args, shapes):
        shp = () if shape is None else shape
        if not callable(sampler):
            sampler = _uniform(*sampler)
        v = sampler(rng, shp)
        if dtype.kind == "c":
            v = v + 1j * sampler(rng, shp)
        v = np.asarray(v).astype(dtype)
        args.append(v.item() if shape is None else v)
    return tuple(args)


def _is_zero(t):
    t = np.asarray(t)
    return t.dtype == fd.float0 or not np.any(t)


def _tangents(args):
    rng = np.random.default_rng(1)

    def one(x):
        d = np.result_type(x)
        if d.kind not in "fc":
            return np.zeros(np.shape(x), fd.float0)
        t = np.asarray(rng.standard_normal(np.shape(x))).astype(d)
        return t if isinstance(x, np.ndarray) else t[()]

    return tree_map(one, args)


def _assert_same_values(got, want, ulps=0):
    assert np.result_type(got) == np.result_type(want), (np.result_type(got), want)
    assert np.shape(got) == np.shape(want)
    if ulps and np.result_type(want).kind in "fc":
        rtol = ulps * np.finfo(np.result_type(want)).eps
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=0)
    else:
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def _assert_zero_derivatives(fn, args):
    _, t_out = fd.jvp(fn, args, _tangents(args))
    assert all(_is_zero(t) for t in tree_leaves(t_out)), t_out
    out, pullback = fd.vjp(fn, *args)
    cts = pullback(_tangents((out,))[0])
    assert all(_is_zero(c) for c in tree_leaves(cts)), cts


@pytest.mark.parametrize("row, dtype, shapes", list(_cases(ELEMENTWISE)))
def test_elementwise(row, dtype, shapes):
    args = _draw(row, dtype, shapes)
    with np.errstate(all="ignore"):
        want = row.ref(*args)
    # values and dtypes: outside transforms exactly NumPy's; under jvp up to rounding
    _assert_same_values(row.fn(*args), want)
    out, _ = fd.jvp(row.fn, args, _tangents(args))
    _assert_same_values(out, want, ulps=2)
    if not row.diff:
        _assert_zero_derivatives(row.fn, args)
    if row.fd:
        check_grads(row.fn, args, order=2, modes=("fwd", "rev"))


# --------------------------------------------------------------------------
# Second order, the four fwd/rev combinations spelled out


def _d1(f):
    return lambda x: fd.jvp(f, (x,), (1.0,))[1]


SECOND = [
    (fnp.sin, lambda x: -np.sin(x), 0.7),
    (fnp.exp, np.exp, -0.3),
    (fnp.log, lambda x: -1 / x**2, 1.7),
    (fnp.sqrt, lambda x: -0.25 * x**-1.5, 2.5),
    (fnp.tanh, lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2), 0.4),
    (lambda x: x**3, lambda x: 6 * x, -1.2),
    (lambda x: 1.0 / x, lambda x: 2 / x**3, 0.8),
]


@pytest.mark.parametrize("f, d2, x", SECOND, ids=lambda v: getattr(v, "__name__", None))
def test_second_derivative_four_ways(f, d2, x):
    want = d2(x)
    np.testing.assert_allclose(fd.grad(fd.grad(f))(x), want, rtol=1e-12)  # rev of rev
    np.testing.assert_allclose(_d1(fd.grad(f))(x), want, rtol=1e-12)  # fwd of rev
    np.testing.assert_allclose(fd.grad(_d1(f))(x), want, rtol=1e-12)  # rev of fwd
    np.testing.assert_allclose(_d1(_d1(f))(x), want, rtol=1e-12)  # fwd of fwd


def test_second_order_binary_four_ways():
    # f(x, y) = x**y: d2f/dxdy = x**(y-1) * (1 + y log x)
    x, y = 1.3, 2.2
    want = x ** (y - 1) * (1 + y * np.log(x))
    f = fnp.power
    dfdx_rev = fd.grad(f, argnums=0)
    dfdx_fwd = lambda x, y: fd.jvp(lambda x: f(x, y), (x,), (1.0,))[1]  # noqa: E731
    for dfdx in (dfdx_rev, dfdx_fwd):
        np.testing.assert_allclose(fd.grad(dfdx, argnums=1)(x, y), want, rtol=1e-12)
        got = fd.jvp(dfdx, (x, y), (0.0, 1.0))[1]
        np.testing.assert_allclose(got, want, rtol=1e-12)


# --------------------------------------------------------------------------
# Derivative conventions at kinks (the contract's minimum-norm subgradient)


def test_abs_at_zero():
    assert fd.grad(fnp.abs)(0.0) == 0.0
    assert fd.jvp(fnp.abs, (0.0,), (1.0,))[1] == 0.0
    assert fd.grad(lambda x: abs(x))(0.0) == 0.0


def test_maximum_minimum_split_ties():
    assert fd.grad(lambda x: fnp.maximum(x, 0.0))(0.0) == 0.5
    assert fd.grad(lambda x: fnp.minimum(x, 0.0))(0.0) == 0.5
    assert fd.jvp(lambda x: fnp.maximum(x, 0.0), (0.0,), (1.0,))[1] == 0.5
    assert fd.grad(fnp.maximum, argnums=(0, 1))(1.0, 1.0) == (0.5, 0.5)
    assert fd.grad(fnp.minimum, argnums=(0, 1))(1.0, 1.0) == (0.5, 0.5)


def test_power_zero_exponent_at_zero():
    assert fd.grad(lambda x: x**0.0)(0.0) == 0.0
    assert fd.grad(lambda x: fnp.power(x, 0.0))(0.0) == 0.0
    assert fd.jvp(lambda x: x**0.0, (0.0,), (1.0,))[1] == 0.0


def test_sqrt_at_zero_is_inf():
    assert fd.grad(fnp.sqrt)(0.0) == np.inf


WHERE_CASES = [
    (lambda x: fnp.sqrt(fnp.abs(x)), [0.0, 0.25]),
    (fnp.sqrt, [0.0, 0.25]),
    (fnp.log, [0.0, 0.25]),
    (lambda x: 1.0 / x, [0.0, -1.0 / 16]),
    (lambda x: x**0.5, [0.0, 0.25]),
]
WHERE_IDS = ["sqrt_abs", "sqrt", "log", "divide", "power"]


@pytest.mark.parametrize("branch, want", WHERE_CASES, ids=WHERE_IDS)
def test_where_unselected_inf_is_not_nan(branch, want):
    def f(x):
        return fnp.sum(fnp.where(x > 0, branch(x), 0.0))

    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(fd.grad(f)(np.array([0.0, 4.0])), want)


@pytest.mark.parametrize("branch, want", WHERE_CASES, ids=WHERE_IDS)
def test_where_unselected_inf_is_not_nan_forward(branch, want):
    # forward mode too: jacfwd and hessian (= jacfwd of jacrev) are built on jvp
    def f(x):
        return fnp.sum(fnp.where(x > 0, branch(x), 0.0))

    with np.errstate(all="ignore"):
        _, t = fd.jvp(f, (np.array([0.0, 4.0]),), (np.ones(2),))
    assert t == sum(want)


# --------------------------------------------------------------------------
# A second table: reductions, shape functions, contractions and indexing.
# Each row: the funcdiff function, its NumPy reference, one shape per argument.


class Fn(NamedTuple):
    name: str
    fn: Callable | str  # a function, or the name of a funcdiff.numpy function
    ref: Callable
    shapes: tuple


IDX = np.array([0, 2, 2, -1])  # repeated and negative indices: cotangents accumulate
MASK = np.array([True, False, True])

FAMILIES = [
    # reductions
    Fn("sum", "sum", np.sum, [(3, 4)]),
    Fn("sum_0d", "sum", np.sum, [()]),
    Fn("sum_axis", lambda x: fnp.sum(x, axis=1), lambda x: np.sum(x, axis=1), [(3, 4)]),
    Fn("sum_axes_keepdims", lambda x: fnp.sum(x, axis=(0, -1), keepdims=True),
       lambda x: np.sum(x, axis=(0, -1), keepdims=True), [(2, 3, 4)]),
    Fn("mean", "mean", np.mean, [(3, 4)]),
    Fn("mean_axis_keepdims", lambda x: fnp.mean(x, axis=-1, keepdims=True),
       lambda x: np.mean(x, axis=-1, keepdims=True), [(3, 4)]),
    Fn("prod", "prod", np.prod, [(5,)]),
    Fn("prod_axis", lambda x: fnp.prod(x, axis=0), lambda x: np.prod(x, axis=0), [(3, 4)]),
    Fn("var", "var", np.var, [(3, 4)]),
    Fn("var_axis_ddof", lambda x: fnp.var(x, axis=0, ddof=1),
       lambda x: np.var(x, axis=0, ddof=1), [(4, 3)]),
    Fn("std", "std", np.std, [(5,)]),
    Fn("std_axis", lambda x: fnp.std(x, axis=1, keepdims=True),
       lambda x: np.std(x, axis=1, keepdims=True), [(3, 4)]),
    Fn("max", "max", np.max, [(3, 4)]),
    Fn("max_axis", lambda x: fnp.max(x, axis=1), lambda x: np.max(x, axis=1), [(3, 4)]),
    Fn("min", "min", np.min, [(5,)]),
    Fn("min_axis_keepdims", lambda x: fnp.min(x, axis=0, keepdims=True),
       lambda x: np.min(x, axis=0, keepdims=True), [(3, 4)]),
    Fn("cumsum", "cumsum", np.cumsum, [(2, 3)]),
    Fn("cumsum_axis", lambda x: fnp.cumsum(x, axis=-1), lambda x: np.cumsum(x, axis=-1),
       [(3, 4)]),
    # shapes
    Fn("reshape", lambda x: fnp.reshape(x, (3, 4)), lambda x: np.reshape(x, (3, 4)), [(2, 6)]),
    Fn("reshape_minus1", lambda x: fnp.reshape(x, (-1, 2)), lambda x: np.reshape(x, (-1, 2)),
       [(2, 3, 2)]),
    Fn("transpose", "transpose", np.transpose, [(2, 3)]),
    Fn("transpose_axes", lambda x: fnp.transpose(x, (2, 0, 1)),
       lambda x: np.transpose(x, (2, 0, 1)), [(2, 3, 4)]),
    Fn("concatenate", lambda a, b: fnp.concatenate([a, b]),
       lambda a, b: np.concatenate([a, b]), [(2,), (3,)]),
    Fn("concatenate_axis", lambda a, b: fnp.concatenate((a, b), axis=-1),
       lambda a, b: np.concatenate((a, b), axis=-1), [(2, 3), (2, 2)]),
    Fn("stack", lambda a, b: fnp.stack([a, b]), lambda a, b: np.stack([a, b]), [(3,), (3,)]),
    Fn("stack_axis", lambda a, b, c: fnp.stack([a, b, c], axis=-1),
       lambda a, b, c: np.stack([a, b, c], axis=-1), [(2, 3), (2, 3), (2, 3)]),
    # contractions
    Fn("einsum_matmul", lambda a, b: fnp.einsum("ij,jk->ik", a, b),
       lambda a, b: np.einsum("ij,jk->ik", a, b), [(2, 3), (3, 4)]),
    Fn("einsum_batch", lambda a, b: fnp.einsum("bij,bjk->bik", a, b),
       lambda a, b: np.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)]),
    Fn("einsum_diag", lambda a: fnp.einsum("ii->i", a), lambda a: np.einsum("ii->i", a),
       [(3, 3)]),
    Fn("einsum_inner", lambda a, b: fnp.einsum("i,i->", a, b),
       lambda a, b: np.einsum("i,i->", a, b), [(3,), (3,)]),
    Fn("einsum_outer", lambda a, b: fnp.einsum("i,j->ij", a, b),
       lambda a, b: np.einsum("i,j->ij", a, b), [(2,), (3,)]),
    Fn("einsum_three", lambda a, b, c: fnp.einsum("ij,jk,k->i", a, b, c),
       lambda a, b, c: np.einsum("ij,jk,k->i", a, b, c), [(2, 3), (3, 4), (4,)]),
    Fn("dot_vv", "dot", np.dot, [(3,), (3,)]),
    Fn("dot_mv", "dot", np.dot, [(2, 3), (3,)]),
    Fn("dot_mm", "dot", np.dot, [(2, 3), (3, 4)]),
    Fn("dot_scalar", "dot", np.dot, [(), (3,)]),
    Fn("matmul", "matmul", np.matmul, [(2, 3), (3, 4)]),
    Fn("matmul_batched", "matmul", np.matmul, [(2, 3, 4), (4, 2)]),
    Fn("matmul_vm", "matmul", np.matmul, [(3,), (3, 4)]),
    Fn("matmul_operator", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3), (3,)]),
    Fn("tensordot_2", lambda a, b: fnp.tensordot(a, b, axes=2),
       lambda a, b: np.tensordot(a, b, axes=2), [(2, 3, 4), (3, 4, 2)]),
    Fn("tensordot_pairs", lambda a, b: fnp.tensordot(a, b, axes=([0], [1])),
       lambda a, b: np.tensordot(a, b, axes=([0], [1])), [(3, 2), (4, 3)]),
    Fn("tensordot_0", lambda a, b: fnp.tensordot(a, b, axes=0),
       lambda a, b: np.tensordot(a, b, axes=0), [(2,), (3,)]),
    # indexing
    Fn("take", lambda x: fnp.take(x, IDX), lambda x: np.take(x, IDX), [(5,)]),
    Fn("take_axis", lambda x: fnp.take(x, IDX[:3], axis=1),
       lambda x: np.take(x, IDX[:3], axis=1), [(2, 4)]),
    Fn("getitem_slice", lambda x: x[1:3], lambda x: x[1:3], [(5,)]),
    Fn("getitem_reverse", lambda x: x[::-1], lambda x: x[::-1], [(4,)]),
    Fn("getitem_int", lambda x: x[1], lambda x: x[1], [(3, 2)]),
    Fn("getitem_column", lambda x: x[:, -1], lambda x: x[:, -1], [(3, 4)]),
    Fn("getitem_mixed", lambda x: x[None, ..., 1:], lambda x: x[None, ..., 1:], [(2, 3)]),
    Fn("getitem_array", lambda x: x[IDX], lambda x: x[IDX], [(4,)]),
    Fn("getitem_arrays", lambda x: x[[0, 1, 1], [2, 0, 0]], lambda x: x[[0, 1, 1], [2, 0, 0]],
       [(2, 3)]),
    Fn("getitem_mask", lambda x: x[MASK], lambda x: x[MASK], [(3,)]),
    Fn("getitem_fnp", lambda x: _getitem(x, (slice(None), 0)), lambda x: x[:, 0],
       [(3, 2)]),
]


def test_family_row_names_are_unique():
    names = [row.name for row in FAMILIES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("row", FAMILIES, ids=lambda row: row.name)
def test_families(row, dtype):
    fn = getattr(fnp, row.fn) if isinstance(row.fn, str) else row.fn
    rng = np.random.default_rng(zlib.crc32(f"{row.name}{np.dtype(dtype)}".encode()))
    # distinct values: no ties for max/min, no zero variance
    args = tuple(
        (rng.uniform(0.2, 2.0, s) * rng.choice([-1, 1], s)).astype(dtype) for s in row.shapes
    )
    want = row.ref(*args)
    _assert_same_values(fn(*args), want)
    out, _ = fd.jvp(fn, args, _tangents(args))
    assert np.result_type(out) == np.result_type(want) and np.shape(out) == np.shape(want)
    rtol = 50 * np.finfo(dtype).eps
    np.testing.assert_allclose(np.asarray(out), want, rtol=rtol, atol=rtol)
    check_grads(fn, args, order=2, modes=("fwd", "rev"))


def test_max_min_split_ties_evenly():
    x = np.array([1.0, 3.0, 3.0, -2.0])
    np.testing.assert_array_equal(fd.grad(fnp.max)(x), [0.0, 0.5, 0.5, 0.0])
    np.testing.assert_array_equal(fd.grad(lambda x: fnp.min(-x))(x), [0.0, -0.5, -0.5, 0.0])
    _, t = fd.jvp(fnp.max, (x,), (np.array([0.0, 1.0, 3.0, 0.0]),))
    assert t == 2.0


def test_std_at_zero_variance_has_zero_gradient():
    np.testing.assert_array_equal(fd.grad(fnp.std)(np.full(3, 2.0)), [0.0, 0.0, 0.0])


def test_prod_with_zeros():
    x = np.array([1.5, 0.0, 2.0])
    np.testing.assert_array_equal(fd.grad(fnp.prod)(x), [0.0, 3.0, 0.0])
    x = np.array([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(fd.grad(lambda x: fnp.sum(fnp.prod(x, axis=1)))(x),
                                  [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])
    check_grads(lambda x: fnp.prod(x, axis=1), (x,), order=2)


# --------------------------------------------------------------------------
# The safe product behind every elementwise JVP/VJP (`mul_safe`): NumPy's product
# except that zero times anything (inf, NaN) is zero, never a NumPy warning (the
# untaken branch of a `where`), on each of its fast paths.
_SAFE_VALUES = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, np.nan, 1e150, 1e-300, 3.0])


def _safe_product_reference(a, b):
    with np.errstate(invalid="ignore"):
        r = np.multiply(a, b)
    zero = (np.asarray(a) == 0) | (np.asarray(b) == 0)
    return np.where(zero, np.zeros((), np.result_type(r)), r)


def _safe_product_cases():
    v = _SAFE_VALUES
    x, y = (m.ravel() for m in np.meshgrid(v, v))  # every pair
    x32, y32 = (np.where(np.abs(m) == 1e150, 1e15, m).astype(np.float32) for m in (x, y))
    yield "1-d", x, y
    yield "1-d strided", np.repeat(x, 2)[::2], np.repeat(y, 2)[::2]
    yield "2-d", x.reshape(10, 10), y.reshape(10, 10)
    yield "2-d transposed", x.reshape(10, 10).T, y.reshape(10, 10).T
    yield "broadcast rows", v.reshape(10, 1), v.reshape(1, 10)
    yield "float32", x32, y32
    yield "float32 * float64", x32, y
    yield "complex", x + 0j, y - 1j * (y == 1.0)
    yield "int", np.arange(-3, 3), np.array([0, 1, -2, 3, 0, 5])
    big = np.ones(70_000)  # above the size where inputs are tested before multiplying
    big[::7001] = 0.0
    other = np.full(70_000, 2.0)
    other[::7001] = np.inf
    yield "large", big, other
    yield "large, no zeros", np.full(70_000, 0.5), other
    for s in v:
        yield f"broadcast {s}", np.broadcast_to(np.float64(s), (10,)), v
        yield f"broadcast 2-d {s}", np.broadcast_to(np.float64(s), (2, 10)), v
        yield f"0-d {s}", np.array(s), v
        yield f"0-d * 0-d {s}", np.array(s), np.array(np.inf)
        yield f"float64 {s}", np.float64(s), v
        yield f"float {s}", float(s), v
        yield f"float * float {s}", float(s), np.inf
        yield f"float64 * float64 {s}", np.float64(s), np.float64(-np.inf)
        yield f"float32 * float {s}", np.float32(min(s, 1e15)), 0.0


@pytest.mark.parametrize("case", list(_safe_product_cases()), ids=lambda c: c[0])
def test_mul_safe_matches_numpy_except_zero_times_anything(case):
    _, a, b = case
    want = _safe_product_reference(a, b)
    for x, y in ((a, b), (b, a)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "invalid value" warning on any path
            got = ew._mul_safe_impl(x, y)
            via_fn = ew.mul_safe(x, y)
        for r in (got, via_fn):
            assert np.result_type(r) == want.dtype, (np.result_type(r), want.dtype)
            assert np.shape(r) == want.shape
            np.testing.assert_array_equal(r, want)


def test_mul_safe_writes_into_out():
    # into a factor's own buffer (a fresh partial, as the VJPs do), at every size
    for n in (1, 70_000):
        a = np.tile([0.0, 1.0, 2.0, np.inf], n)
        for b in (np.tile([np.inf, 2.0, 3.0, 0.0], n), np.tile([1.0, 2.0, 3.0, 4.0], n)):
            for x, y in ((a, b), (np.broadcast_to(np.float64(0.0), a.shape), b)):
                out = y.copy()
                r = ew._mul_safe_impl(x, out, out)
                assert r is out
                np.testing.assert_array_equal(r, _safe_product_reference(x, y))
                out = y.copy()
                r = ew._scale_into_safe(x, out)
                assert r is out
                np.testing.assert_array_equal(r, _safe_product_reference(x, y))
