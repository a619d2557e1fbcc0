"""`funcdiff.numpy.vectorize`: NumPy's vectorize with JAX's semantics (one vmapped call)."""

from __future__ import annotations

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import ConcretizationError
from funcdiff.testing import check_grads

RNG = np.random.default_rng(0)
A, B = RNG.normal(size=(4, 3)), RNG.normal(size=3)
X, Y = RNG.normal(size=(2, 3)), RNG.normal(size=3)


def test_elementwise_and_signatures_match_numpy():
    f = fnp.vectorize(lambda x, y: fnp.sin(x) * y)
    np.testing.assert_allclose(f(X, Y), np.vectorize(lambda x, y: np.sin(x) * y)(X, Y))
    dot = fnp.vectorize(lambda a, c: fnp.sum(a * c), signature="(n),(n)->()")
    np.testing.assert_allclose(dot(A, B), np.vectorize(lambda a, c: np.sum(a * c),
                                                       signature="(n),(n)->()")(A, B))
    outer = fnp.vectorize(lambda a: fnp.outer(a, a), signature="(n)->(n,n)")
    assert outer(A).shape == (4, 3, 3)
    np.testing.assert_allclose(outer(A)[2], np.outer(A[2], A[2]))
    pair = fnp.vectorize(lambda x: (x, 2 * x))(Y)
    assert isinstance(pair, tuple) and np.allclose(pair[1], 2 * Y)
    assert np.isclose(fnp.vectorize(lambda x, y: x * y)(2.0, 3.0), 6.0)


def test_excluded_arguments_are_passed_as_they_are():
    power = fnp.vectorize(lambda x, p: x ** p, excluded={1})
    np.testing.assert_allclose(power(X, 3), X ** 3)
    scaled = fnp.vectorize(lambda x, scale=1.0: x * scale, excluded={"scale"})
    np.testing.assert_allclose(scaled(X, scale=2.0), 2 * X)


def test_differentiable_and_composes():
    f = fnp.vectorize(lambda x, y: fnp.sin(x) * y)
    check_grads(lambda x, y: fnp.sum(f(x, y)), (X, Y), order=2, modes=("fwd", "rev"))
    dot = fnp.vectorize(lambda a, c: fnp.sum(a * c), signature="(n),(n)->()")
    np.testing.assert_allclose(fd.jit(dot)(A, B), A @ B)
    np.testing.assert_allclose(fd.vmap(lambda a: dot(a, B))(A[None]), (A @ B)[None])
    np.testing.assert_allclose(fd.grad(lambda c: fnp.sum(dot(A, c)))(B), A.sum(axis=0))


def test_errors_are_clear():
    with pytest.raises(ValueError, match="not a valid gufunc signature"):
        fnp.vectorize(lambda a: a, signature="n->m")
    dot = fnp.vectorize(lambda a, c: fnp.sum(a * c), signature="(n),(n)->()")
    with pytest.raises(ValueError, match="inconsistent size for core dimension 'n'"):
        dot(A, np.ones(4))
    with pytest.raises(ConcretizationError):  # Python `if` on an abstract value, as in JAX
        fd.jit(fnp.vectorize(lambda x: x if x > 0 else -x))(X)
    # where the values are known, NumPy's per-element semantics
    np.testing.assert_array_equal(fnp.vectorize(lambda x: x if x > 0 else -x)(X),
                                  np.vectorize(lambda x: x if x > 0 else -x)(X))


# -- numpy.vectorize on traced values dispatches to funcdiff's -------------------------------
def test_numpy_vectorize_on_traced_values():
    """np.vectorize(f)(tracer) is fnp.vectorize(f) (vmap), with NumPy's pyfunc, excluded and
    signature; outside transforms it is NumPy's own."""
    x = np.array([1.0, 2.0, 3.0])
    f = np.vectorize(lambda a, b: a * b + np.sin(a))
    assert type(f(x, 2.0)) is np.ndarray  # NumPy's call, unchanged
    check_grads(lambda x: f(x, 2.0), (x,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(fd.jit(lambda x: f(x, 2.0))(x), f(x, 2.0))
    np.testing.assert_allclose(fd.vmap(lambda r: f(r, 3.0))(np.stack([x, 2 * x])),
                               np.stack([f(x, 3.0), f(2 * x, 3.0)]))
    dot = np.vectorize(lambda a, b: np.sum(a * b), signature="(n),(n)->()")
    np.testing.assert_allclose(fd.grad(lambda v: fnp.sum(dot(np.ones((4, 3)), v)))(x),
                               4 * np.ones(3))
    scaled = np.vectorize(lambda a, k: a * k, excluded={1})
    np.testing.assert_allclose(fd.grad(lambda v: fnp.sum(scaled(v, 5.0)))(x), 5 * np.ones(3))


def test_vectorize_with_python_control_flow_runs_per_element():
    """A pyfunc that reads its values (a Python `if`) cannot be vmapped: where the values
    are known (grad, jvp) it runs once per element, as NumPy's vectorize does; under jit
    the ConcretizationError stands."""
    x = np.array([1.0, 2.0, 3.0])
    for vec in (np.vectorize, fnp.vectorize):
        g = vec(lambda v: v ** 2 if v > 1.5 else -v)
        np.testing.assert_allclose(fd.grad(lambda x, g=g: fnp.sum(g(x)))(x), [-1.0, 4.0, 6.0])
        np.testing.assert_allclose(fd.jvp(g, (x,), (np.ones(3),))[1], [-1.0, 4.0, 6.0])
        with pytest.raises(fd.ConcretizationError):
            fd.jit(g)(x)
