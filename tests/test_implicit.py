"""Implicit differentiation (`custom_root`, `fixed_point`, `linear_solve`): derivatives of
solutions against closed forms, central differences, derivatives through unrolled solvers
and the transposition identity; forward and reverse mode, second order, `vmap` against a
loop, `jit`; and the errors where the derivative's linear system is not solved."""

from __future__ import annotations

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.errors import SolveError
from funcdiff.testing import check_grads


def newton(f, x, steps=40):
    """Newton's method for a scalar root, traceable (a fixed number of steps)."""
    for _ in range(steps):
        x = x - f(x) / fd.grad(f)(x)
    return x


def cbrt(a):  # the root of x**3 - a (a > 0), by Newton from 1
    return fd.custom_root(lambda x: x ** 3 - a, 1.0, newton)


def test_custom_root_derivatives_are_the_implicit_function_theorems():
    a = 2.5
    assert np.isclose(cbrt(a), a ** (1 / 3), rtol=1e-14)
    d1 = a ** (-2 / 3) / 3
    d2 = -2 / 9 * a ** (-5 / 3)
    assert np.isclose(fd.grad(cbrt)(a), d1, rtol=1e-12)
    assert np.isclose(fd.jvp(cbrt, (a,), (1.0,))[1], d1, rtol=1e-12)
    assert np.isclose(fd.grad(fd.grad(cbrt))(a), d2, rtol=1e-10)
    assert np.isclose(fd.jacfwd(fd.jacrev(cbrt))(a), d2, rtol=1e-10)
    check_grads(cbrt, (a,), order=2, modes=("fwd", "rev"))


def test_custom_root_under_vmap_and_jit():
    a = np.array([0.5, 1.0, 8.0, 27.0])
    want = np.array([fd.grad(cbrt)(v) for v in a])
    np.testing.assert_allclose(fd.vmap(fd.grad(cbrt))(a), want, rtol=1e-12)
    np.testing.assert_allclose(fd.jit(fd.vmap(fd.grad(cbrt)))(a), want, rtol=1e-12)
    np.testing.assert_allclose(fd.jit(cbrt)(8.0), 2.0, rtol=1e-14)


def _system(A, b):
    """The root of A x + 0.1 x**3 - b, found by SciPy (not traceable, run on values)."""
    import scipy.optimize

    def solve(f, x0):
        sol = scipy.optimize.root(lambda v: np.asarray(f(v)), np.asarray(x0), tol=1e-14)
        return sol.x

    return fd.custom_root(lambda x: A @ x + 0.1 * x ** 3 - b, np.zeros(len(b)), solve)


def test_a_scipy_solver_is_differentiated_implicitly_in_both_modes():
    pytest.importorskip("scipy")
    rng = np.random.default_rng(0)
    A = np.eye(4) * 3.0 + 0.3 * rng.normal(size=(4, 4))
    b = rng.normal(size=4)
    x = _system(A, b)
    np.testing.assert_allclose(A @ x + 0.1 * x ** 3, b, atol=1e-12)
    check_grads(_system, (A, b), order=1, modes=("fwd", "rev"))
    # the transposition identity <vjp(u), v> == <u, jvp(v)>
    u, vb = rng.normal(size=4), rng.normal(size=4)
    _, pull = fd.vjp(lambda bb: _system(A, bb), b)
    _, tangent = fd.jvp(lambda bb: _system(A, bb), (b,), (vb,))
    assert np.isclose(np.vdot(pull(u)[0], vb), np.vdot(u, tangent), rtol=1e-10)


def test_fixed_point_against_the_unrolled_iteration():
    # x = cos(a x) + b: a contraction for small a
    def f(x, p):
        return fnp.cos(p["a"] * x) + p["b"]

    def unrolled(p, steps=200):
        x = fnp.zeros(3)
        for _ in range(steps):
            x = f(x, p)
        return x

    p = {"a": np.array([0.3, 0.5, 0.2]), "b": np.array([0.1, -0.2, 0.4])}

    def implicit(p):
        return fd.fixed_point(f, np.zeros(3), p)

    np.testing.assert_allclose(implicit(p), unrolled(p), rtol=1e-12)
    for transform in (fd.jacrev, fd.jacfwd):
        got, want = transform(implicit)(p), transform(unrolled)(p)
        for k in p:
            np.testing.assert_allclose(got[k], want[k], rtol=1e-9, atol=1e-12)
    check_grads(implicit, (p,), order=2, modes=("fwd", "rev"))
    # vmap against a loop, and jit
    bs = np.linspace(-0.3, 0.3, 5)
    batched = fd.vmap(lambda b: fd.grad(lambda bb: fnp.sum(implicit({"a": p["a"], "b": bb})))(
        b + p["b"]))(bs)
    loop = [fd.grad(lambda bb: fnp.sum(implicit({"a": p["a"], "b": bb})))(b + p["b"])
            for b in bs]
    np.testing.assert_allclose(batched, np.stack(loop), rtol=1e-12)
    np.testing.assert_allclose(fd.jit(fd.grad(lambda q: fnp.sum(implicit(q))))(p)["a"],
                               fd.grad(lambda q: fnp.sum(implicit(q)))(p)["a"], rtol=1e-12)


def cg(A, b):
    """Conjugate gradients, len(b) steps: traceable."""
    x = b * 0.0
    r = p = b - A(x)
    for _ in range(b.shape[0]):
        rr, Ap = fnp.vdot(r, r), A(p)
        alpha = rr / fnp.vdot(p, Ap)
        x, r_new = x + alpha * p, r - alpha * Ap
        p, r = r_new + fnp.vdot(r_new, r_new) / rr * p, r_new
    return x


@pytest.mark.parametrize("how", ["symmetric", "transpose_solve", "dense"])
def test_linear_solve_derivatives_in_b_and_in_the_matrix(how):
    rng = np.random.default_rng(1)
    M = rng.normal(size=(5, 5))
    M = M @ M.T + 5 * np.eye(5)
    b = rng.normal(size=5)
    kw = {"symmetric": True} if how == "symmetric" else (
        {"transpose_solve": cg} if how == "transpose_solve" else {})

    def solve(s, b):
        return fd.linear_solve(lambda x: s * (M @ x), b, cg, **kw)

    np.testing.assert_allclose(solve(2.0, b), np.linalg.solve(2 * M, b), rtol=1e-10)
    # d/db: (sM)^-1; d/ds: -(sM)^-1 M (sM)^-1 b
    np.testing.assert_allclose(fd.jacrev(lambda bb: solve(2.0, bb))(b),
                               np.linalg.inv(2 * M), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fd.jacfwd(lambda bb: solve(2.0, bb))(b),
                               np.linalg.inv(2 * M), rtol=1e-9, atol=1e-12)
    want = -np.linalg.solve(2 * M, M @ np.linalg.solve(2 * M, b))
    np.testing.assert_allclose(fd.jacrev(solve)(2.0, b), want, rtol=1e-9)
    np.testing.assert_allclose(fd.jacfwd(solve)(2.0, b), want, rtol=1e-9)
    check_grads(solve, (2.0, b), order=2, modes=("fwd", "rev"))


def test_a_singular_jacobian_raises_instead_of_a_wrong_derivative():
    def cube_root(a):  # x**3 = a at a = 0: x = 0, where 3 x**2 = 0
        return fd.custom_root(lambda x: x ** 3 - a, 0.0, lambda f, x: x * 0.0)

    assert cube_root(0.0) == 0.0
    for derivative in (fd.grad(cube_root), lambda a: fd.jvp(cube_root, (a,), (1.0,))[1]):
        with pytest.raises(SolveError, match="singular"):
            derivative(0.0)


def test_a_tangent_solver_that_does_not_solve_raises_in_every_mode():
    def lazy(g, y):  # "converged" after no step: returns zeros
        return y * 0.0

    def root(a):
        return fd.custom_root(lambda x: x ** 2 - a, 1.0, newton, lazy)

    assert np.isclose(root(4.0), 2.0)
    with pytest.raises(SolveError, match="transposed linear system"):
        fd.grad(root)(4.0)
    with pytest.raises(SolveError, match="tangent linear system"):
        fd.jvp(root, (4.0,), (1.0,))
    with pytest.raises(SolveError):  # at run time, under jit
        fd.jit(fd.grad(root))(4.0)
    with pytest.raises(SolveError):  # any example, under vmap
        fd.vmap(fd.grad(root))(np.array([1.0, 4.0]))


def test_fixed_point_that_does_not_converge_raises():
    with pytest.raises(SolveError, match="no fixed point within 50 iterations"):
        fd.fixed_point(lambda x, p: p * x + 1.0, 0.0, 2.0, max_iter=50)  # |p| > 1
    with pytest.raises(SolveError):
        fd.jit(lambda p: fd.fixed_point(lambda x, q: q * x + 1.0, 0.0, p, max_iter=50))(2.0)


def test_bad_solvers_and_functions_get_clear_errors():
    with pytest.raises(TypeError, match="structure of initial_guess"):
        fd.custom_root(lambda x: (x[0] - 1.0, x[1] - 2.0), (1.0, 2.0), lambda f, x: 1.0)
    with pytest.raises(TypeError, match="structure of its argument"):
        fd.custom_root(lambda x: (x[0] - 1.0,), (1.0, 2.0), lambda f, x: x)
