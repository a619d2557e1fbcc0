"""Error messages: each names what went wrong and how to fix it."""

from __future__ import annotations

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp

# --------------------------------------------------------------------------
# grad's output and inputs


@pytest.mark.parametrize("shape", [(3,), (2, 2), (0,)])
def test_grad_of_non_scalar_output(shape):
    with pytest.raises(TypeError, match=r"shape \(" + ", ?".join(map(str, shape))):
        fd.grad(lambda x: x * np.ones(shape))(1.0)


def test_grad_of_complex_output():
    with pytest.raises(TypeError, match="complex128"):
        fd.grad(lambda x: x * (1 + 1j))(1.0)
    with pytest.raises(TypeError, match="holomorphic"):
        fd.grad(lambda z: z * z)(1.0 + 1j)


def test_grad_of_integer_output():
    with pytest.raises(TypeError, match="int64"):
        fd.grad(lambda x: fnp.floor(x).astype(np.int64), allow_int=True)(1.5)


@pytest.mark.parametrize("value", [3, np.array([1, 2]), True, np.int32(4)])
def test_grad_of_integer_input(value):
    with pytest.raises(TypeError, match="allow_int") as info:
        fd.grad(lambda x, y: x * y, argnums=1)(2.0, value)
    assert "argument 1" in str(info.value)


def test_grad_of_integer_input_in_pytree_names_the_leaf():
    with pytest.raises(TypeError, match=r"argument 0\['n'\]"):
        fd.grad(lambda p: p["x"] * p["n"])({"x": 1.0, "n": 2})


def test_holomorphic_needs_complex_input():
    with pytest.raises(TypeError, match="holomorphic"):
        fd.grad(lambda z: z * z, holomorphic=True)(1.0)


# --------------------------------------------------------------------------
# argnums


@pytest.mark.parametrize("argnums", [2, -3, (0, 5), (0, -4)])
def test_bad_argnums(argnums):
    with pytest.raises(ValueError, match="argnums"):
        fd.grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums"):
        fd.value_and_grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


# --------------------------------------------------------------------------
# Leaked tracers


def test_tracer_leak_error_names_transform_and_function():
    leaked = []

    def remember_me(x):
        leaked.append(x)
        return x * 2.0

    fd.grad(remember_me)(3.0)
    (t,) = leaked
    with pytest.raises(fd.TracerLeakError) as info:
        t * 2.0
    msg = str(info.value)
    assert "`grad`" in msg and "remember_me" in msg
    with pytest.raises(fd.TracerLeakError):
        fnp.sin(t)
    with pytest.raises(fd.TracerLeakError):
        fd.grad(lambda y: y * t)(1.0)
    with pytest.raises(fd.TracerLeakError):
        np.sin(t)


def test_leaked_tracer_values_can_still_be_read(capsys):
    leaked = []

    def f(x):
        leaked.append(x)
        return fnp.sum(x**2)

    fd.grad(f)(np.array([1.0, 2.0]))
    (t,) = leaked
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])
    print(t)
    assert capsys.readouterr().out.strip() == str(np.array([1.0, 2.0]))
    leaked.clear()
    fd.grad(lambda x: (leaked.append(x), x)[1])(1.5)
    assert float(leaked[0]) == 1.5


def test_tracer_leak_from_jvp():
    leaked = []

    def stash(x):
        leaked.append(x)
        return x

    fd.jvp(stash, (1.0,), (1.0,))
    with pytest.raises(fd.TracerLeakError, match="`jvp`.*stash"):
        leaked[0] + 1.0
    assert float(leaked[0]) == 1.0


def test_tracer_leak_error_is_a_runtime_error():
    assert issubclass(fd.TracerLeakError, RuntimeError)


# --------------------------------------------------------------------------
# jvp tangents


def test_jvp_tangent_structure_mismatch():
    with pytest.raises(TypeError, match="structure"):
        fd.jvp(lambda p: p["a"], ({"a": 1.0},), ({"b": 1.0},))
    with pytest.raises(TypeError, match="structure"):
        fd.jvp(lambda x, y: x * y, (1.0, 2.0), (1.0,))


def test_jvp_tangent_shape_mismatch_names_the_leaf():
    primals = ({"a": np.ones(3), "b": np.ones(2)},)
    tangents = ({"a": np.ones(3), "b": np.ones(3)},)
    with pytest.raises(ValueError, match=r"\['b'\].*\(3,\).*\(2,\)"):
        fd.jvp(lambda p: p["a"].sum() + p["b"].sum(), primals, tangents)


def test_jvp_tangent_dtype_mismatch_names_the_leaf():
    primals = (1.0, (np.ones(2),))
    tangents = (1.0, (np.ones(2, np.float32),))
    with pytest.raises(TypeError, match=r"\[1\]\[0\].*float32.*float64"):
        fd.jvp(lambda x, y: x * y[0], primals, tangents)


def test_jvp_integer_primal_needs_float0_tangent():
    with pytest.raises(TypeError, match="float0"):
        fd.jvp(lambda x, n: x * n, (1.0, 2), (1.0, 1.0))


def test_jvp_primals_must_be_a_tuple():
    with pytest.raises(TypeError, match="tuple"):
        fd.jvp(fnp.sin, 1.0, 1.0)


# --------------------------------------------------------------------------
# vjp pullbacks


def test_pullback_cotangent_structure_mismatch():
    _, pullback = fd.vjp(lambda x: (x, x), 1.0)
    with pytest.raises(TypeError, match="structure"):
        pullback(1.0)


def test_pullback_cotangent_shape_mismatch():
    _, pullback = fd.vjp(lambda x: x * 2.0, np.ones(3))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        pullback(np.ones(2))


# --------------------------------------------------------------------------
# In-place updates, has_aux


def test_setitem_on_an_argument_says_copy_it_first():
    def f(x):
        x[0] = 1.0
        return fnp.sum(x)

    with pytest.raises(ValueError, match=r"argument.*x = x\.copy\(\)"):
        fd.grad(f)(np.ones(3))
    with pytest.raises(ValueError, match=r"argument.*x = x\.copy\(\)"):
        fd.jvp(f, (np.ones(3),), (np.ones(3),))


def test_has_aux_requires_a_pair():
    with pytest.raises(TypeError, match="has_aux"):
        fd.grad(lambda x: x * 2.0, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="has_aux"):
        fd.vjp(lambda x: (x, x, x), 1.0, has_aux=True)


def test_linear_transpose_cotangent_structure():
    f_t = fd.linear_transpose(lambda x: (2.0 * x, x), 1.0)
    with pytest.raises(TypeError, match="structure"):
        f_t(1.0)


def test_arrays_of_other_libraries_are_named_with_the_conversion():
    """An array of a library funcdiff cannot run on (NumPy's dispatch protocols but no
    array-API namespace that array-api-compat knows; Dask, CuPy and array-API libraries
    run: tests/test_backends.py) gets a message that says so and how to convert, not
    'register a pytree node'."""

    class OtherArray:  # the protocols Dask's and CuPy's arrays implement
        __module__ = "otherlib.core"

        def __array_function__(self, func, types, args, kwargs):
            return NotImplemented

        def __array_namespace__(self, api_version=None):
            return None

    with pytest.raises(fd.BackendError, match=r"otherlib's .*OtherArray is an array of "
                                              r"another library.*x.compute\(\)"):
        fd.grad(lambda x: x)(OtherArray())
