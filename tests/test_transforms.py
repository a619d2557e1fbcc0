"""Tests of the transforms: grad, value_and_grad, vjp, jvp, linearize, linear_transpose,
stop_gradient; nesting, pytrees, complex numbers, concrete values, threads, long chains."""

from __future__ import annotations

import collections
import gc
import math
import threading
import weakref

import numpy as np
import pytest
from hypothesis import given, settings

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.testing import arrays, check_grads, pytrees_of_arrays
from funcdiff.tree import tree_leaves, tree_map, tree_structure

Point = collections.namedtuple("Point", ["x", "y"])


def f3(x):
    """sin(x) * x**2, with derivatives known in closed form."""
    return fnp.sin(x) * x**2


def f3_d1(x):
    return np.cos(x) * x**2 + 2 * x * np.sin(x)


def f3_d2(x):
    return -np.sin(x) * x**2 + 4 * x * np.cos(x) + 2 * np.sin(x)


def f3_d3(x):
    return -np.cos(x) * x**2 - 6 * x * np.sin(x) + 6 * np.cos(x)


def fwd(f):
    """The derivative of a scalar function, by forward mode."""
    return lambda x: fd.jvp(f, (x,), (np.ones_like(x),))[1]


def rev(f):
    return fd.grad(f)


# --------------------------------------------------------------------------
# Nesting


@pytest.mark.parametrize("outer", [fwd, rev], ids=["fwd", "rev"])
@pytest.mark.parametrize("inner", [fwd, rev], ids=["fwd", "rev"])
def test_second_order_all_combinations(outer, inner):
    x = 0.7
    np.testing.assert_allclose(outer(inner(f3))(x), f3_d2(x), rtol=1e-12)


@pytest.mark.parametrize("a", [fwd, rev], ids=["fwd", "rev"])
@pytest.mark.parametrize("b", [fwd, rev], ids=["fwd", "rev"])
@pytest.mark.parametrize("c", [fwd, rev], ids=["fwd", "rev"])
def test_third_order_all_combinations(a, b, c):
    x = -1.3
    np.testing.assert_allclose(a(b(c(f3)))(x), f3_d3(x), rtol=1e-12)


def test_hessian_vector_products_agree():
    def f(x):
        return fnp.sum(fnp.sin(x) * x**2) * fnp.sum(x)

    x = np.array([0.3, -1.1, 2.0])
    v = np.array([1.0, 0.5, -2.0])
    fwd_over_rev = fd.jvp(fd.grad(f), (x,), (v,))[1]
    rev_over_fwd = fd.grad(lambda x: fd.jvp(f, (x,), (v,))[1])(x)
    rev_over_rev = fd.grad(lambda x: fnp.sum(fd.grad(f)(x) * v))(x)
    np.testing.assert_allclose(fwd_over_rev, rev_over_fwd, rtol=1e-12)
    np.testing.assert_allclose(rev_over_rev, rev_over_fwd, rtol=1e-12)


@given(arrays(shape=(3,), min_value=-3, max_value=3))
@settings(max_examples=20, deadline=None)
def test_check_grads_order_3(x):
    check_grads(lambda x: fnp.sum(fnp.tanh(x) * fnp.exp(x / 3)), (x,), order=3)


# --------------------------------------------------------------------------
# Perturbation confusion and closures over outer tracers


def test_perturbation_confusion_grad():
    assert fd.grad(lambda x: x * fd.grad(lambda y: x * y)(1.0))(1.5) == 3.0


def test_perturbation_confusion_jvp():
    def inner(x):
        return fd.jvp(lambda y: x * y, (1.0,), (1.0,))[1]

    assert fd.jvp(lambda x: x * inner(x), (1.5,), (1.0,))[1] == 3.0


def test_perturbation_confusion_mixed():
    assert fd.grad(lambda x: x * fd.jvp(lambda y: x * y, (1.0,), (1.0,))[1])(1.5) == 3.0
    inner = fd.grad(lambda y, x: x * y)
    assert fd.jvp(lambda x: x * inner(1.0, x), (1.5,), (1.0,))[1] == 3.0


def test_closure_over_outer_tracer():
    # d/dx [ d/dy x * y**2 at y=2 ] = d/dx 4x = 4
    assert fd.grad(lambda x: fd.grad(lambda y: x * y**2)(2.0))(3.0) == 4.0
    # the inner function closes over x; outer derivative through the inner jvp
    def g(x):
        return fd.jvp(lambda y: fnp.sin(x * y), (2.0,), (1.0,))[1]  # x cos(2x)

    want = np.cos(2 * 0.4) - 2 * 0.4 * np.sin(2 * 0.4)
    np.testing.assert_allclose(fd.grad(g)(0.4), want, rtol=1e-12)
    np.testing.assert_allclose(fd.jvp(g, (0.4,), (1.0,))[1], want, rtol=1e-12)


def test_inner_transform_of_constant_function_of_outer():
    # the inner function ignores its argument: zero inner derivative, no confusion
    assert fd.grad(lambda x: fd.grad(lambda y: x**2)(1.0) + x)(3.0) == 1.0


# --------------------------------------------------------------------------
# Pytrees in and out


def tree_fn(p):
    """dict/tuple/namedtuple/None in, dict/tuple/None out."""
    a = p["a"]
    pt = p["pt"]
    return {"s": fnp.sum(a * pt.x) + pt.y ** 2, "t": (fnp.sin(pt.y), None)}


def tree_arg():
    return {"a": np.array([1.0, 2.0]), "pt": Point(np.array([0.5, -1.0]), 0.3), "none": None}


def test_grad_pytree_input():
    def f(p):
        out = tree_fn(p)
        return out["s"] + out["t"][0]

    p = tree_arg()
    g = fd.grad(f)(p)
    assert tree_structure(g) == tree_structure(p)
    assert isinstance(g["pt"], Point)
    assert g["none"] is None
    np.testing.assert_allclose(g["a"], p["pt"].x)
    np.testing.assert_allclose(g["pt"].x, p["a"])
    np.testing.assert_allclose(g["pt"].y, 2 * 0.3 + np.cos(0.3))
    check_grads(f, (p,), order=2)


def test_value_and_grad_pytree():
    p = {"w": np.array([1.0, -2.0]), "b": (0.5, None)}
    v, g = fd.value_and_grad(lambda p: fnp.sum(p["w"] ** 2) * p["b"][0])(p)
    assert v == 2.5
    np.testing.assert_allclose(g["w"], [1.0, -2.0])
    assert g["b"][0] == 5.0 and g["b"][1] is None


def test_vjp_pytrees():
    p = tree_arg()
    out, pullback = fd.vjp(tree_fn, p)
    assert tree_structure(out) == tree_structure(tree_fn(p))
    ct = tree_map(np.ones_like, out)
    (g,) = pullback(ct)
    assert tree_structure(g) == tree_structure(p)
    assert isinstance(g["pt"], Point)
    check_grads(tree_fn, (p,), order=2)


def test_jvp_pytrees():
    p = tree_arg()
    t = tree_map(np.ones_like, p)
    out, t_out = fd.jvp(tree_fn, (p,), (t,))
    assert tree_structure(out) == tree_structure(t_out) == tree_structure(tree_fn(p))
    np.testing.assert_allclose(t_out["t"][0], np.cos(0.3))


def test_linearize_pytrees():
    p = tree_arg()
    t = tree_map(np.ones_like, p)
    out, f_jvp = fd.linearize(tree_fn, p)
    _, want = fd.jvp(tree_fn, (p,), (t,))
    got = f_jvp(t)
    assert tree_structure(got) == tree_structure(want)
    for a, b in zip(tree_leaves(got), tree_leaves(want)):
        np.testing.assert_allclose(a, b)


def test_linear_transpose_pytrees():
    def f(p):
        return {"u": 2.0 * p["a"] + p["pt"].x, "v": (3.0 * p["pt"].y, None)}

    p = tree_arg()
    f_t = fd.linear_transpose(f, p)
    ct = {"u": np.array([1.0, -1.0]), "v": (2.0, None)}
    (got,) = f_t(ct)
    (want,) = fd.vjp(f, p)[1](ct)
    assert tree_structure(got) == tree_structure(p)
    for a, b in zip(tree_leaves(got), tree_leaves(want)):
        np.testing.assert_allclose(a, b)


@given(pytrees_of_arrays(arrays(shape=(2,), min_value=-3, max_value=3), max_leaves=4))
@settings(max_examples=15, deadline=None)
def test_grad_of_arbitrary_pytrees(tree):
    def f(t):
        return sum(fnp.sum(fnp.sin(x) * x) for x in tree_leaves(t))

    g = fd.grad(f)(tree)
    assert tree_structure(g) == tree_structure(tree)
    for x, gx in zip(tree_leaves(tree), tree_leaves(g)):
        np.testing.assert_allclose(gx, np.cos(x) * x + np.sin(x), rtol=1e-12)
    check_grads(f, (tree,), order=1)


def test_stop_gradient_pytree():
    p = {"a": 2.0, "b": (np.array([1.0, 3.0]), None)}

    def f(p):
        s = fd.stop_gradient(p)
        assert tree_structure(s) == tree_structure(p)
        return s["a"] * p["a"] + fnp.sum(s["b"][0] * p["b"][0])

    g = fd.grad(f)(p)
    assert g["a"] == 2.0
    np.testing.assert_allclose(g["b"][0], [1.0, 3.0])
    assert fd.jvp(lambda x: fd.stop_gradient((x, x))[0] * x, (2.0,), (1.0,))[1] == 2.0
    # second order too
    assert fd.grad(fd.grad(lambda x: fd.stop_gradient(x) * x**2))(3.0) == 6.0


# --------------------------------------------------------------------------
# argnums and has_aux


def h(a, b, c):
    return a * b**2 + fnp.sin(c)


def test_argnums_int_tuple_negative():
    a, b, c = 1.5, 2.0, 0.3
    assert fd.grad(h)(a, b, c) == 4.0
    assert fd.grad(h, argnums=1)(a, b, c) == 2 * a * b
    assert fd.grad(h, argnums=-1)(a, b, c) == np.cos(c)
    assert fd.grad(h, argnums=(0, 2))(a, b, c) == (4.0, np.cos(c))
    assert fd.grad(h, argnums=(-3, -2))(a, b, c) == (4.0, 2 * a * b)
    g = fd.grad(h, argnums=(1,))(a, b, c)
    assert isinstance(g, tuple) and len(g) == 1
    v, g = fd.value_and_grad(h, argnums=(0, 1))(a, b, c)
    assert v == h(a, b, c) and g == (4.0, 6.0)


def test_kwargs_are_not_differentiated():
    def f(x, *, scale):
        return scale * x**2

    assert fd.grad(f)(3.0, scale=2.0) == 12.0


def test_has_aux_grad():
    g, aux = fd.grad(lambda x: (x**2, {"x": x, "s": "text"}), has_aux=True)(3.0)
    assert g == 6.0
    assert aux["x"] == 3.0 and aux["s"] == "text"
    assert not isinstance(aux["x"], fd.Tracer)


def test_has_aux_value_and_grad():
    (v, aux), g = fd.value_and_grad(lambda x: (x**2, x + 1), has_aux=True)(3.0)
    assert (v, aux, g) == (9.0, 4.0, 6.0)
    assert not isinstance(aux, fd.Tracer)


def test_has_aux_vjp():
    out, pullback, aux = fd.vjp(lambda x: (x**3, [x, 2 * x]), 2.0, has_aux=True)
    assert out == 8.0 and aux == [2.0, 4.0]
    assert not any(isinstance(a, fd.Tracer) for a in aux)
    assert pullback(1.0) == (12.0,)


def test_has_aux_jvp():
    out, t, aux = fd.jvp(lambda x: (x**3, x * 10), (2.0,), (1.0,), has_aux=True)
    assert (out, t, aux) == (8.0, 12.0, 20.0)
    assert not isinstance(aux, fd.Tracer)


def test_has_aux_nested():
    # the aux of an inner grad is a plain value of the outer transform
    def f(x):
        g, aux = fd.grad(lambda y: (x * y**2, y), has_aux=True)(2.0)
        return g * aux

    assert fd.grad(f)(3.0) == 8.0


# --------------------------------------------------------------------------
# Complex numbers


def test_holomorphic_grad():
    z = 1 + 2j
    assert fd.grad(lambda z: z**2, holomorphic=True)(z) == 2 * z
    np.testing.assert_allclose(fd.grad(fnp.sin, holomorphic=True)(z), np.cos(z), rtol=1e-14)
    np.testing.assert_allclose(fd.grad(fnp.exp, holomorphic=True)(z), np.exp(z), rtol=1e-14)


def test_complex_convention_real_function():
    # grad of a real function of z is df/dx - i df/dy
    assert fd.grad(lambda z: abs(z) ** 2)(1 + 2j) == 2 - 4j
    assert fd.grad(lambda z: fnp.real(z * fnp.conj(z)))(1 + 2j) == 2 - 4j
    assert fd.grad(lambda z: fnp.imag(z))(1 + 2j) == -1j
    assert fd.grad(lambda z: fnp.real(z))(1 + 2j) == 1


def test_real_intermediates_get_real_cotangents():
    # the cotangent of a real intermediate value is real, even when the function
    # around it is complex; otherwise the imaginary part leaks into the gradient
    z = 1 + 2j
    g = fd.grad(lambda z: fnp.real(fnp.abs(z) * (1 + 1j)))(z)  # = grad |z|
    np.testing.assert_allclose(g, np.conj(z) / abs(z), rtol=1e-14)
    g = fd.grad(lambda z: fnp.real(fnp.exp(fnp.real(z)) * 1j * z))(z)  # -Im(z) e^Re(z)
    np.testing.assert_allclose(g, -2 * np.e + 1j * np.e, rtol=1e-14)


def test_vjp_is_linear_not_conjugate_linear():
    z = 0.3 - 0.8j
    _, pullback = fd.vjp(lambda z: z * (2 + 1j), z)
    ct = 1.0 - 2.0j
    assert pullback(ct) == (ct * (2 + 1j),)


@given(arrays(shape=(2,), dtype=np.complex128, min_value=-2, max_value=2))
@settings(max_examples=15, deadline=None)
def test_check_grads_complex(z):
    check_grads(lambda z: fnp.sum(fnp.real(fnp.exp(z) * fnp.conj(z))), (z,), order=2)
    check_grads(lambda z: fnp.sin(z) * z, (z,), order=2)


# --------------------------------------------------------------------------
# Integer inputs, output shapes, dtypes, Python scalars


def test_allow_int_gives_float0_zero_gradient():
    gx, gn = fd.grad(lambda x, n: x * n, argnums=(0, 1), allow_int=True)(2.0, 3)
    assert gx == 3.0
    assert np.asarray(gn).dtype == fd.float0
    gn = fd.grad(lambda x, n: fnp.sum(x * n), argnums=1, allow_int=True)(
        np.ones(2), np.arange(3)[:, None]
    )
    assert gn.dtype == fd.float0 and gn.shape == (3, 1)


def test_jvp_with_integer_argument():
    # integer primals take float0 tangents and are held constant
    n = np.array([1, 2, 3])
    t0 = np.zeros(3, fd.float0)
    out, t = fd.jvp(lambda x, n: x * n, (2.0, n), (1.0, t0))
    np.testing.assert_array_equal(out, [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(t, [1.0, 2.0, 3.0])
    check_grads(lambda x, n: x * n, (2.0, n), order=2)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_grad_accepts_any_single_element_output(shape):
    g = fd.grad(lambda x: x**2 * np.ones(shape))(3.0)
    assert g == 6.0
    g = fd.grad(lambda x: fnp.sum(x**2) * np.ones(shape))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [2.0, 4.0])


def test_float32_in_float32_out():
    x = np.array([0.5, 1.5], np.float32)

    def f(x):
        return fnp.sum(fnp.exp(x) * 2.0 + x**2)

    g = fd.grad(f)(x)
    assert g.dtype == np.float32
    out, t = fd.jvp(f, (x,), (np.ones(2, np.float32),))
    assert np.result_type(out) == np.float32 and np.result_type(t) == np.float32
    (c,) = fd.vjp(f, x)[1](np.float32(1.0))
    assert c.dtype == np.float32
    assert fd.grad(lambda x: fnp.sum(fd.grad(f)(x)))(x).dtype == np.float32
    assert fd.grad(lambda x: fnp.sin(x))(np.float32(1.0)).dtype == np.float32


FLOAT32_CASES = [
    lambda x: x / 2, lambda x: 1.0 - x, lambda x: fnp.exp2(x), lambda x: x**-0.5,
    lambda x: fnp.maximum(x, 0.5), lambda x: fnp.log10(x), lambda x: fnp.arctan2(x, 2.0),
    lambda x: fnp.sin(x) * 3.0,
]
FLOAT32_IDS = ["divide", "rsub", "exp2", "pow", "maximum", "log10", "arctan2", "sin_times_3"]


@pytest.mark.parametrize("f", FLOAT32_CASES, ids=FLOAT32_IDS)
@pytest.mark.parametrize("outer", [fwd, rev], ids=["fwd", "rev"])
@pytest.mark.parametrize("inner", [fwd, rev], ids=["fwd", "rev"])
def test_float32_second_order_with_python_constants(f, outer, inner):
    def f_sum(x):
        return fnp.sum(f(x))

    assert np.result_type(outer(inner(f_sum))(np.float32(1.3))) == np.float32
    # elementwise second derivative of an array function: d/dx of grad
    x = np.array([1.3, 0.7], np.float32)
    second = inner(lambda x: fnp.sum(outer(f_sum)(x)))
    assert np.result_type(second(x)) == np.float32


@pytest.mark.parametrize("f", FLOAT32_CASES, ids=FLOAT32_IDS)
def test_float32_jvp_of_jvp_function(f):
    # derivative of (x, t) -> jvp(f, x, t) with respect to both primal and tangent
    x = np.array([1.3, 0.7], np.float32)
    _, t2 = fd.jvp(lambda x, t: fd.jvp(f, (x,), (t,))[1], (x, x), (x, x))
    assert np.result_type(t2) == np.float32


def test_python_scalars_everywhere():
    assert fd.grad(fnp.sin)(0.0) == 1.0
    assert fd.grad(lambda x, y: x * y, argnums=1)(2.0, 3.0) == 2.0
    assert fd.value_and_grad(lambda x: x**2)(3.0) == (9.0, 6.0)
    assert fd.jvp(lambda x: 3.0 * x, (2.0,), (1.0,)) == (6.0, 3.0)
    out, pullback = fd.vjp(lambda x, y: x / y, 1.0, 2.0)
    assert out == 0.5 and pullback(1.0) == (0.5, -0.25)
    y, f_jvp = fd.linearize(lambda x: x**3, 2.0)
    assert y == 8.0 and f_jvp(1.0) == 12.0
    assert fd.linear_transpose(lambda x: 3.0 * x, 1.0)(2.0) == (6.0,)
    assert fd.grad(lambda x: 2 * x + 1)(1.0) == 2.0  # Python int constants


def test_constant_function_has_zero_gradient():
    assert fd.grad(lambda x: 3.0)(1.0) == 0.0
    g = fd.grad(lambda x: fnp.sum(np.ones(2)))(np.ones(2))
    np.testing.assert_array_equal(g, [0.0, 0.0])
    assert fd.jvp(lambda x: 3.0, (1.0,), (1.0,))[1] == 0.0


# --------------------------------------------------------------------------
# linearize and linear_transpose


def test_linearize_matches_jvp_and_does_not_rerun_fun():
    calls = []

    def f(x, y):
        calls.append(1)
        return fnp.sin(x) * y + fnp.exp(x)

    x, y = np.array([0.3, -0.5]), np.array([2.0, 1.0])
    out, f_jvp = fd.linearize(f, x, y)
    assert len(calls) == 1
    np.testing.assert_allclose(out, f(x, y))
    calls.clear()
    rng = np.random.default_rng(0)
    for _ in range(3):
        tx, ty = rng.standard_normal(2), rng.standard_normal(2)
        _, want = fd.jvp(f, (x, y), (tx, ty))
        np.testing.assert_allclose(f_jvp(tx, ty), want, rtol=1e-13)
    assert len(calls) == 3  # only the three reference jvp calls
    calls.clear()
    f_jvp(x, y)
    assert calls == []


def test_linearize_is_linear():
    _, f_jvp = fd.linearize(lambda x: fnp.sin(x) ** 2, np.array([0.3, 1.0]))
    a, b = np.array([1.0, 2.0]), np.array([-0.5, 0.25])
    np.testing.assert_allclose(f_jvp(2 * a + b), 2 * f_jvp(a) + f_jvp(b), rtol=1e-13)


def test_linear_transpose_matches_vjp():
    def f(x, y):
        return 3.0 * x - y + fnp.sum(x) * 2.0

    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, -1.0])
    ct = np.array([1.0, -2.0, 0.5])
    got = fd.linear_transpose(f, x, y)(ct)
    want = fd.vjp(f, x, y)[1](ct)
    assert isinstance(got, tuple) and len(got) == 2
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b)


@pytest.mark.parametrize(
    "fun",
    [lambda x: x * x, fnp.sin, lambda x: x + 1.0, lambda x: 1.0 / x],
    ids=["square", "sin", "affine", "reciprocal"],
)
def test_linear_transpose_of_nonlinear_function_raises_type_error(fun):
    with pytest.raises(TypeError, match="linear") as info:
        fd.linear_transpose(fun, np.ones(2))
    assert not isinstance(info.value, AssertionError)


# --------------------------------------------------------------------------
# Concrete values inside grad and jvp


@pytest.mark.parametrize("transform", ["grad", "jvp"])
def test_concrete_values(transform, capsys):
    seen = {}

    def f(x):
        # reading a value works; converting the traced value itself would drop its
        # derivative (DetachError), so detach on purpose first
        seen["float"] = float(fd.stop_gradient(x))
        seen["int"] = int(x)
        seen["bool"] = bool(x > 0)
        seen["item"] = np.float64(fd.stop_gradient(x)).item()
        seen["asarray"] = np.asarray(fd.stop_gradient(x))
        seen["f-string"] = f"{x:.2f}"
        for convert in (float, complex, np.asarray, lambda v: v.item(), lambda v: v.tolist()):
            with pytest.raises(fd.DetachError):
                convert(x)
        print("value:", x)
        if x > 0:  # Python control flow on a traced value
            return x**2
        return -x

    if transform == "grad":
        assert fd.grad(f)(2.5) == 5.0
        assert fd.grad(f)(-2.5) == -1.0
    else:
        assert fd.jvp(f, (2.5,), (1.0,))[1] == 5.0
        assert fd.jvp(f, (-2.5,), (1.0,))[1] == -1.0
    assert seen["float"] == -2.5 and type(seen["float"]) is float
    assert seen["int"] == -2 and type(seen["int"]) is int
    assert seen["bool"] is False
    assert seen["item"] == -2.5
    assert isinstance(seen["asarray"], np.ndarray) and seen["asarray"] == -2.5
    assert seen["f-string"] == "-2.50"
    assert capsys.readouterr().out == "value: 2.5\nvalue: -2.5\n"


def test_concrete_values_nested():
    def f(x):
        assert float(fd.stop_gradient(x)) == 1.5
        return fd.grad(lambda y: y * x if y > 0 else y)(2.0) * x

    assert fd.grad(f)(1.5) == 3.0


def test_numpy_functions_dispatch_to_funcdiff():
    def f(x):
        return np.sum(np.sin(x) * x)

    x = np.array([0.3, 1.2])
    np.testing.assert_allclose(fd.grad(f)(x), np.cos(x) * x + np.sin(x), rtol=1e-14)
    _, t = fd.jvp(f, (x,), (np.ones(2),))
    np.testing.assert_allclose(t, np.sum(np.cos(x) * x + np.sin(x)), rtol=1e-14)
    check_grads(f, (x,), order=2)


# --------------------------------------------------------------------------
# Threads, long chains, memory


def test_grad_in_threads():
    n_threads, n_iters = 8, 30
    barrier = threading.Barrier(n_threads)
    errors, results = [], {}

    def work(k):
        try:
            x = np.linspace(-1, 1, 5) + k
            f = lambda x: fnp.sum(fnp.sin(k * x) + x**k)  # noqa: E731
            barrier.wait()
            for _ in range(n_iters):
                g = fd.grad(f)(x)
                h = fd.grad(lambda x: fnp.sum(fd.grad(f)(x)))(x)
            results[k] = (x, g, h)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, n_threads + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k, (x, g, h) in results.items():
        np.testing.assert_allclose(g, k * np.cos(k * x) + k * x ** (k - 1), rtol=1e-12)
        h_want = -(k**2) * np.sin(k * x) + k * (k - 1) * x ** max(k - 2, 0) * (k > 1)
        np.testing.assert_allclose(h, h_want, rtol=1e-12, atol=1e-12)
    assert len(results) == n_threads


def test_long_chain_sin_no_recursion_error():
    n = 100_000

    def f(x):
        for _ in range(n):
            x = fnp.sin(x)
        return x

    x0 = 0.5
    g = fd.grad(f)(x0)
    want, x = 1.0, x0
    for _ in range(n):
        want *= math.cos(x)
        x = math.sin(x)
    np.testing.assert_allclose(g, want, rtol=1e-9)


def test_long_chain_additions():
    n = 100_000

    def f(x):
        y = x
        for _ in range(n):
            y = y + x
        return y

    assert fd.grad(f)(1.0) == n + 1
    assert fd.jvp(f, (1.0,), (1.0,))[1] == n + 1


def test_residuals_released_after_grad():
    refs = []

    def f(x):
        y = fnp.sin(x)
        refs.append(weakref.ref(np.asarray(fd.stop_gradient(y))))
        return fnp.sum(y * y)

    x = np.linspace(0, 1, 200_000)
    g = fd.grad(f)(x)
    np.testing.assert_allclose(g, 2 * np.sin(x) * np.cos(x), rtol=1e-12)
    gc.collect()
    assert refs[0]() is None


def test_pullback_is_reusable():
    _, pullback = fd.vjp(lambda x: fnp.sin(x) * 2.0, np.array([0.1, 0.2]))
    a = pullback(np.array([1.0, 1.0]))[0]
    b = pullback(np.array([1.0, 1.0]))[0]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(pullback(np.array([2.0, 0.0]))[0], [4 * np.cos(0.1), 0.0])


@pytest.mark.parametrize("name", ["tanh", "sin", "cos", "sinh", "cosh", "tan"])
def test_unary_vjp_on_arrays_allocates_one_new_array(name):
    """The partial is a new array, so the pullback multiplies into it (peak memory)."""
    import tracemalloc

    f = getattr(fnp, name)
    x = np.linspace(-1.0, 1.0, 250_000)  # 2 MB
    g = np.ones_like(x)
    _, pullback = fd.vjp(f, x)
    tracemalloc.start()
    try:
        (ct,) = pullback(g)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.6 * x.nbytes, (name, peak / x.nbytes)  # two arrays would be 2.0x
    h = 1e-6
    np.testing.assert_allclose(ct, (f(x + h) - f(x - h)) / (2 * h), rtol=1e-6, atol=1e-8)
