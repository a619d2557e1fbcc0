"""Tests of funcdiff.testing: finite differences, the gradient checks and the strategies."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.core import Primitive
from funcdiff.testing import (
    GradientCheckError,
    array_shapes,
    arrays,
    broadcastable_shapes,
    check_grads,
    check_jvp,
    check_vjp,
    numerical_jvp,
    pytrees_of_arrays,
)
from funcdiff.tree import tree_leaves, tree_structure


def test_import_without_hypothesis():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import funcdiff.testing as t, funcdiff.numpy as fnp\n"
        "t.check_grads(fnp.sin, (0.5,))\n"
        "try:\n    t.arrays()\nexcept ImportError:\n    print('lazy')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "lazy"


# --------------------------------------------------------------------------
# numerical_jvp


def test_numerical_jvp_scalar():
    t = numerical_jvp(np.sin, (0.3,), (2.0,))
    np.testing.assert_allclose(t, 2 * np.cos(0.3), rtol=1e-9)


def test_numerical_jvp_pytrees():
    def f(p, y):
        return {"u": p["a"] * y, "v": (np.sum(p["b"]) ** 2, None)}

    p = {"a": np.array([1.0, 2.0]), "b": np.array([0.5, 0.5])}
    t = numerical_jvp(f, (p, 3.0), ({"a": np.array([1.0, 0.0]), "b": np.ones(2)}, 1.0))
    assert tree_structure(t) == tree_structure(f(p, 3.0))
    np.testing.assert_allclose(t["u"], [3.0 + 1.0, 2.0], rtol=1e-9)
    np.testing.assert_allclose(t["v"][0], 2 * 1.0 * 2.0, rtol=1e-9)


def test_numerical_jvp_keeps_dtypes_and_integer_leaves():
    x = np.array([0.5, 1.0], np.float32)
    t = numerical_jvp(lambda x, n: (x * n, n), (x, 3), (np.ones(2, np.float32), None or 0))
    assert t[0].dtype == np.float32
    np.testing.assert_allclose(t[0], [3.0, 3.0], rtol=1e-3)
    assert t[1].dtype == fd.float0


def test_numerical_jvp_python_scalars_stay_weak():
    # a Python float argument must not promote a float32 array to float64
    seen = []

    def f(x, s):
        seen.append(type(s))
        return x * s

    t = numerical_jvp(f, (np.ones(2, np.float32), 2.0), (np.ones(2, np.float32), 1.0))
    assert t.dtype == np.float32
    assert set(seen) == {float}


def test_numerical_jvp_complex():
    t = numerical_jvp(lambda z: z * z, (1 + 2j,), (1j,))
    np.testing.assert_allclose(t, 2 * (1 + 2j) * 1j, rtol=1e-9)


def test_numerical_jvp_explicit_eps():
    # a huge step makes a visibly wrong derivative of a curved function
    t = numerical_jvp(lambda x: x**3, (1.0,), (1.0,), eps=0.5)
    np.testing.assert_allclose(t, 3.25)


def test_numerical_jvp_structure_mismatch():
    with pytest.raises(ValueError, match="structure"):
        numerical_jvp(lambda x, y: x * y, (1.0, 2.0), (1.0, (2.0,)))


def test_args_must_be_a_tuple():
    for check in (check_grads, check_jvp, check_vjp):
        with pytest.raises(TypeError, match=r"\(x,\)"):
            check(fnp.sin, 0.5)


def test_bad_modes():
    with pytest.raises(ValueError, match="modes"):
        check_grads(fnp.sin, (0.5,), modes=("forward",))


# --------------------------------------------------------------------------
# The checks pass on correct derivatives ...


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_checks_pass_on_correct_functions(dtype):
    x = np.array([0.3, -0.7, 1.1], dtype)

    def f(x, p):
        return {"a": fnp.sin(x) * p["w"], "b": (fnp.exp(x * 0.5), fnp.sum(x**2))}

    args = (x, {"w": dtype(1.5)})
    check_jvp(f, args)
    check_vjp(f, args)
    check_grads(f, args, order=3)
    check_grads(f, args, order=2, modes="rev")
    check_grads(f, args, order=2, modes=["fwd"])


def test_checks_with_integer_and_bool_leaves():
    check_grads(lambda x, n, b: (x * 2.0, n, b), (np.ones(2), 3, True), order=2)


def test_check_vjp_complex_convention():
    # real function of complex z: vjp(1) = df/dx - i df/dy
    check_vjp(lambda z: fnp.real(z * fnp.conj(z)), (1.0 + 2.0j,))
    check_vjp(lambda z: fnp.imag(z), (np.array([1.0 + 2.0j, -0.5j]),))
    # real to complex
    check_vjp(lambda x: x * (1 + 2j), (np.array([0.5, 1.5]),))
    # holomorphic
    check_grads(lambda z: fnp.exp(z) * z, (np.array([0.5 + 0.1j, -1j]),), order=2)


# --------------------------------------------------------------------------
# ... and fail on wrong ones


def _primitive(name, jvp=None, vjp=None):
    """A sin primitive with the given (possibly wrong) rules."""
    p = Primitive(name, np.sin)
    p.jvp = jvp
    p.vjp = vjp
    return lambda x: p.bind(x)


GOOD_JVP = lambda primals, tangents: (fnp.sin(primals[0]), tangents[0] * fnp.cos(primals[0]))  # noqa: E731
GOOD_VJP = lambda g, out, primals, argnums: [g * fnp.cos(primals[0])]  # noqa: E731


def test_wrong_jvp_fails_with_numbers_difference_and_tolerance():
    bad = _primitive(
        "bad_jvp", jvp=lambda p, t: (fnp.sin(p[0]), 1.01 * t[0] * fnp.cos(p[0])), vjp=GOOD_VJP
    )
    with pytest.raises(GradientCheckError) as info:
        check_jvp(bad, (np.array([0.3, 0.5]),))
    msg = str(info.value)
    assert msg.startswith("JVP:")
    for word in ("jvp:", "finite differences:", "difference", "atol", "rtol"):
        assert word in msg
    assert isinstance(info.value, AssertionError)
    with pytest.raises(GradientCheckError, match="jvp"):  # vjp disagrees with the bad jvp
        check_vjp(bad, (np.array([0.3, 0.5]),))


def test_wrong_vjp_fails():
    bad = _primitive("bad_vjp", jvp=GOOD_JVP, vjp=lambda g, out, p, argnums: [g * fnp.sin(p[0])])
    check_jvp(bad, (0.4,))
    with pytest.raises(GradientCheckError) as info:
        check_vjp(bad, (0.4,))
    msg = str(info.value)
    assert msg.startswith("VJP:") and "finite differences" in msg
    assert "difference" in msg and "atol" in msg


def test_conjugate_linear_vjp_fails():
    # a pullback that conjugates (the other convention) must be caught
    p = Primitive("cmul", lambda z: z * (2 + 1j))
    p.jvp = lambda primals, tangents: (p.bind(primals[0]), tangents[0] * (2 + 1j))
    good = lambda primals: lambda x: p.bind(x)  # noqa: E731
    p.vjp = lambda g, out, primals, argnums: [g * (2 + 1j)]
    check_vjp(good(None), (0.5 + 0.5j,))
    p.vjp = lambda g, out, primals, argnums: [g * (2 - 1j)]
    with pytest.raises(GradientCheckError):
        check_vjp(good(None), (0.5 + 0.5j,))


def _flat_jvp(primals, tangents):
    # correct at first order but not differentiable: uses the primal with its
    # derivative stopped, so every derivative of the rule itself is zero
    return fnp.sin(primals[0]), tangents[0] * fnp.cos(fd.stop_gradient(primals[0]))


def _flat_vjp(g, out, primals, argnums):
    return [g * fnp.cos(fd.stop_gradient(primals[0]))]


def test_wrong_second_derivative_found_only_at_order_2():
    x = (np.array([0.3, 0.9]),)
    bad = _primitive("flat_rules", jvp=_flat_jvp, vjp=_flat_vjp)
    check_grads(bad, x, order=1)
    with pytest.raises(GradientCheckError, match="^JVP of JVP"):
        check_grads(bad, x, order=2)
    with pytest.raises(GradientCheckError, match="^VJP of VJP"):
        check_grads(bad, x, order=2, modes=("rev",))


def test_the_four_second_order_combinations_are_checked():
    x = (np.array([0.3, 0.9]),)
    # only the vjp rule is flat: forward-over-forward and reverse-over-forward pass
    bad_vjp = _primitive("flat_vjp", jvp=GOOD_JVP, vjp=_flat_vjp)
    check_grads(bad_vjp, x, order=2, modes=("fwd",))
    with pytest.raises(GradientCheckError, match="^JVP of VJP"):
        check_grads(bad_vjp, x, order=2)
    # only the jvp rule is flat: reverse-over-reverse passes, VJP of JVP does not
    bad_jvp = _primitive("flat_jvp", jvp=_flat_jvp, vjp=GOOD_VJP)
    check_grads(bad_jvp, x, order=2, modes=("rev",))
    with pytest.raises(GradientCheckError, match="^JVP of JVP"):
        check_grads(bad_jvp, x, order=2)


def test_wrong_output_dtype_fails():
    p = Primitive("upcast", np.sin)
    p.jvp = lambda primals, tangents: (
        p.bind(primals[0]), (tangents[0] * fnp.cos(primals[0])).astype(np.float64)
    )
    bad = lambda x: p.bind(x)  # noqa: E731
    with pytest.raises(GradientCheckError, match="dtype"):
        check_jvp(bad, (np.ones(2, np.float32),))


def test_default_tolerance_depends_on_dtype():
    # a 0.1% error passes the float32 defaults and fails the float64 ones
    bad = _primitive(
        "slightly_off",
        jvp=lambda p, t: (fnp.sin(p[0]), 1.001 * t[0] * fnp.cos(p[0])),
        vjp=lambda g, out, p, argnums: [1.001 * g * fnp.cos(p[0])],
    )
    check_grads(bad, (np.array([0.3, 0.5], np.float32),), order=1)
    with pytest.raises(GradientCheckError):
        check_grads(bad, (np.array([0.3, 0.5]),), order=1)
    with pytest.raises(GradientCheckError):
        check_grads(bad, (np.array([0.3, 0.5], np.float32),), order=1, atol=1e-6, rtol=1e-6)


def test_default_step_fits_small_elements_in_float32():
    # an array that arrays(dtype=np.float32, min_value=0.1, max_value=5.0) draws: the
    # example of that strategy's docstring checks fnp.log on them to order 2
    # (one step for the whole array, 1e-3 * max|x|, was 5% of 0.109 and failed JVP of JVP)
    x = np.array([[0.109375, 1.0, 2.0], [3.0, 5.0, 1.5]], np.float32)
    check_grads(fnp.log, (x,), order=2)


def test_per_element_step_still_catches_a_wrong_derivative_at_a_small_element():
    @fd.custom_jvp
    def f(x):
        return fnp.log(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return fnp.log(x), t / x * fnp.where(x < 0.2, 1.05, 1.0)  # 5% off at the small one

    x = np.array([0.109375, 1.0, 5.0], np.float32)
    with pytest.raises(GradientCheckError):
        check_grads(f, (x,), order=1, modes=("fwd",))


# --------------------------------------------------------------------------
# Strategies


@given(arrays())
def test_arrays_default(x):
    assert isinstance(x, np.ndarray) and x.dtype == np.float64
    assert x.ndim <= 3 and all(1 <= n <= 4 for n in x.shape)
    assert np.all(np.isfinite(x)) and np.all(np.abs(x) <= 10)
    assert len(np.unique(x)) == x.size


@given(arrays(shape=(5,), dtype=np.float32, min_value=0.1, max_value=5.0))
def test_arrays_float32_bounds_not_representable(x):
    assert x.dtype == np.float32 and x.shape == (5,)
    assert np.all(x >= 0.1) and np.all(x <= 5.0)


@given(arrays(shape=array_shapes(max_dims=2), min_magnitude=0.5))
def test_arrays_min_magnitude(x):
    assert np.all(np.abs(x) >= 0.5)


@given(arrays(shape=(3,), dtype=np.complex128, min_value=-1, max_value=1))
def test_arrays_complex(x):
    assert x.dtype == np.complex128
    assert np.all(np.abs(x.real) <= 1) and np.all(np.abs(x.imag) <= 1)


def test_arrays_rejects_integer_dtype():
    with pytest.raises(ValueError, match="float"):
        arrays(dtype=np.int64)


@given(array_shapes(min_dims=1, max_dims=2, max_side=3))
def test_array_shapes(shape):
    assert 1 <= len(shape) <= 2 and all(1 <= n <= 3 for n in shape)


@given(broadcastable_shapes(3))
def test_broadcastable_shapes(shapes):
    assert len(shapes) == 3
    np.broadcast_shapes(*shapes)


@given(broadcastable_shapes(2, base_shape=(2, 3)))
def test_broadcastable_shapes_with_base(shapes):
    out = np.broadcast_shapes(*shapes, (2, 3))
    assert out[-2:] == (2, 3)


@given(pytrees_of_arrays(arrays(shape=(2,)), max_leaves=5))
def test_pytrees_of_arrays(tree):
    leaves = tree_leaves(tree)
    assert len(leaves) >= 1
    assert all(isinstance(x, np.ndarray) and x.shape == (2,) for x in leaves)


@given(st.data())
def test_strategies_compose_with_check_grads(data):
    shapes = data.draw(broadcastable_shapes(2, max_dims=2))
    x = data.draw(arrays(shape=shapes[0], min_value=-2, max_value=2))
    y = data.draw(arrays(shape=shapes[1], min_value=0.5, max_value=2))
    check_grads(lambda x, y: fnp.sin(x) / y, (x, y), order=2)
