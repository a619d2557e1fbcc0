"""Implicit differentiation: the derivative of a solution, not of the solver.

`custom_root(f, initial_guess, solve, tangent_solve)` returns the `x` with `f(x) = 0` that
`solve` finds (any solver: SciPy's `root`, Newton by hand, bisection), and differentiates it
by the implicit function theorem. With `p` the traced values `f` closes over,
`f(x(p), p) = 0` gives `J_x dx = -J_p dp`: forward mode solves that system once per tangent
(`tangent_solve` with the linearized `f`), reverse mode solves `J_x^T w = x_bar` once per
cotangent (`tangent_solve` with its transpose) and returns `p_bar = -J_p^T w`. The solver's
iterations are never differentiated. `fixed_point(f, x0, params)` is the root of
`x - f(x, params)`; `linear_solve(matvec, b, solve)` the root of `matvec(x) - b`.

How: `f` is staged once, so that the values of enclosing transforms it closes over become
explicit operands (`staging.stage`'s `hoisted`); the solution is a `custom_vjp` function of
those operands with a JVP rule too (`custom_vjp.defjvp`), so forward and reverse mode, `vmap`
and `jit` all apply the theorem to them. Every linear solve is checked: where
`|g(z) - y| > residual_tol |y|` (a singular Jacobian, a solver that did not converge) or `z`
is not finite, `funcdiff.errors.SolveError` is raised (by an effect primitive: at once
where values are known, when a jitted function runs, for any example under `vmap`), never
a plausible wrong derivative (jaxopt returned zero gradients there).
"""

from __future__ import annotations

import numpy as np

from funcdiff import numpy as fnp
from funcdiff._src.api.forward import jvp
from funcdiff._src.api.linear import stop_gradient
from funcdiff._src.api.reverse import vjp_now
from funcdiff._src.api.vmap import vmap
from funcdiff._src.control.custom import custom_vjp
from funcdiff._src.control.flow import while_loop
from funcdiff._src.core import get_aval
from funcdiff._src.debugging import _effect
from funcdiff._src.errors import SolveError
from funcdiff._src.interpreters.staging import stage
from funcdiff._src.ravel import ravel_pytree
from funcdiff._src.tree import tree_flatten, tree_map, tree_structure, tree_unflatten

__all__ = ["custom_root", "fixed_point", "linear_solve", "dense_solve"]

RESIDUAL_TOL = 1e-6  # a derivative's linear solve must reach |g(z) - y| <= tol |y|


# -- the linear solves, checked -------------------------------------------------------------


def _check_impl(ok, *values, message):
    if not np.all(ok):
        raise SolveError(message.format(*[float(np.max(v)) for v in values]))
    return []


# raises SolveError where `ok` is false: at once where values are known, each time a jitted
# function runs, for any example under vmap (an effect: jit keeps it; no derivative)
implicit_check_p = _effect("implicit_check", _check_impl)


def dense_solve(g, y):
    """Solve the linear system `g(z) = y` by materializing `g` as a dense matrix (one
    product per unknown, `vmap`ped) and `numpy.linalg.solve`: exact, for systems of up to
    a few thousand unknowns. The default `tangent_solve` of `custom_root` and
    `fixed_point`; `y` and `z` are pytrees of the same structure.

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd
        >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
        >>> fd.dense_solve(lambda z: A @ z, np.array([1.0, 2.0])).round(6).tolist()
        [0.2, 0.6]

        ```
    """
    flat_y, unravel = ravel_pytree(y)
    n = int(np.shape(flat_y)[0])

    def column(e):
        out, _ = ravel_pytree(g(unravel(e)))
        return out

    matrix = fnp.transpose(vmap(column)(np.eye(n, dtype=np.result_type(flat_y, np.float64))))
    s = fnp.linalg.svd(stop_gradient(matrix), compute_uv=False)  # (before the solve)
    implicit_check_p.bind(s[-1] > s[0] * n * np.finfo(np.float64).eps, s[-1], s[0], message=(
        "dense_solve: the linear system of the derivative is singular (singular values "
        "{0:.3g} to {1:.3g}): the Jacobian of f with respect to x at the solution is not "
        "invertible, so the solution does not depend smoothly on the parameters there"))
    return unravel(fnp.linalg.solve(matrix, flat_y))


def _norm(tree):
    flat, _ = ravel_pytree(tree)
    return fnp.sqrt(fnp.sum(fnp.abs(flat) ** 2))


def _checked(solver, g, y, tol, name, what):
    """`solver(g, y)`, and a check that it solved `g(z) = y` (`implicit_check_p`)."""
    z = solver(g, y)
    if tree_structure(z) != tree_structure(y):
        raise TypeError(f"{name}: the linear solver returned {tree_structure(z)}, not the "
                        f"structure of its right-hand side, {tree_structure(y)}")
    residual = tree_map(lambda a, b: a - b, g(z), y)
    r, ny, nz = _norm(residual), _norm(y), _norm(z)
    ok = (r <= tol * fnp.maximum(ny, np.finfo(np.float64).tiny)) & fnp.isfinite(nz)
    implicit_check_p.bind(ok, r, ny, message=(
        f"{name}: the {what} linear system of the implicit derivative was not solved "
        f"(|g(z) - y| = {{0:.3g}} for |y| = {{1:.3g}}, tolerance {tol:g} |y|, or z not "
        "finite). The Jacobian of f with respect to x at the solution may be singular (then "
        "the solution has no derivative there), or the tangent solver did not converge: "
        "tighten its tolerance or use a direct one (funcdiff.dense_solve)."))
    return z


# -- the core: a solution as a function of explicit parameters --------------------------------


def _solution(residual, params, guess, run_solver, tangent_solve, transpose_solve, tol, name):
    """`run_solver(params, guess)`, a root of `residual(params, .)`, differentiated with
    respect to the tuple of arrays `params` by the implicit function theorem (the guess
    has no derivative)."""

    def solution(params, guess):
        return run_solver(params, guess)

    fn = custom_vjp(solution)

    def fwd(params, guess):
        x = run_solver(params, guess)
        return x, (params, x)

    def bwd(res, x_bar):
        params, x = res
        _, pull_x = vjp_now(lambda y: residual(params, y), x)
        w = _checked(transpose_solve, lambda v: pull_x(v)[0], x_bar, tol, name,
                     "transposed")
        _, pull_p = vjp_now(lambda p: residual(p, x), params)
        (p_bar,) = pull_p(tree_map(fnp.negative, w))
        return p_bar, None

    def rule(primals, tangents):
        params, guess = primals
        dparams = tangents[0]
        x = fn(params, guess)
        _, rhs = jvp(lambda p: residual(p, x), (params,), (dparams,))
        dx = _checked(tangent_solve, lambda v: jvp(lambda y: residual(params, y), (x,),
                                                   (v,))[1],
                      tree_map(fnp.negative, rhs), tol, name, "tangent")
        return x, dx

    fn.defvjp(fwd, bwd)
    fn.defjvp(rule)
    return fn(params, guess)


def _closed(fn, example, name):
    """`(program_fn, hoisted)`: `fn` (a function of one pytree like `example`, returning one)
    staged, with the traced values it closes over as explicit parameters:
    `program_fn(params, x) == fn(x)` for `params = hoisted`."""
    leaves, tree = tree_flatten(example)
    avals = [get_aval(leaf) for leaf in leaves]
    out_tree = []

    def flat(*xs):
        out = fn(tree_unflatten(tree, list(xs)))
        out_leaves, t = tree_flatten(out)
        out_tree.append(t)
        return out_leaves

    staged = stage(flat, avals, name)
    if out_tree[0] != tree:
        raise TypeError(f"{name} must return a pytree of the structure of its argument "
                        f"({tree}), got {out_tree[0]}")
    program = staged.program

    def program_fn(params, x):
        return tree_unflatten(tree, program(*params, *tree_flatten(x)[0]))

    return program_fn, tuple(staged.hoisted)


# -- the public functions ---------------------------------------------------------------------


def custom_root(f, initial_guess, solve, tangent_solve=None, *, residual_tol=RESIDUAL_TOL):
    """The root `x` of `f(x) = 0` that `solve(f, initial_guess)` finds, differentiated by
    the implicit function theorem (JAX's `lax.custom_root`).

    Derivatives are taken with respect to the values `f` closes over (parameters), never
    through the iterations of `solve`, which may be any code: SciPy's `root`, Newton by
    hand, bisection. `tangent_solve(g, y)` solves `g(z) = y` for a linear `g` (`f`
    linearized at the root, or its transpose in reverse mode); default `dense_solve`.
    Forward and reverse mode, to any order, under `vmap` and `jit` (there `solve` must be
    traceable too: `fd.while_loop`, not SciPy; `tangent_solve` always must, its
    right-hand sides being traced). A derivative whose
    linear solve fails (a singular Jacobian, a solver that did not converge:
    `|g(z) - y| > residual_tol |y|`) raises `funcdiff.errors.SolveError`, also under `jit`
    and `vmap`, never a wrong number.

    Args:
        f: function of one pytree `x` returning a pytree of the same structure.
        initial_guess: pytree of arrays, the solver's start (no derivative flows to it).
        solve: `solve(f, initial_guess) -> x`, any root finder.
        tangent_solve: `tangent_solve(g, y) -> z` with `g(z) = y`; default `dense_solve`.
        residual_tol: relative tolerance of the check of every derivative's linear solve.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> def newton(f, x):
        ...     for _ in range(30):
        ...         x = x - f(x) / fd.grad(f)(x)
        ...     return x
        >>> def sqrt(a):  # the root of x**2 - a, found by Newton's method
        ...     return fd.custom_root(lambda x: x ** 2 - a, 1.0, newton)
        >>> round(float(sqrt(2.0)), 12), round(float(fd.grad(sqrt)(2.0)), 12)  # 1/(2 sqrt 2)
        (1.414213562373, 0.353553390593)

        ```
    """
    name = "custom_root"
    residual_fn, params = _closed(f, initial_guess, "custom_root's f")

    def run_solver(params, guess):
        x = solve(lambda y: residual_fn(params, y), guess)
        if tree_structure(x) != tree_structure(guess):
            raise TypeError(f"{name}: solve returned {tree_structure(x)}, not the structure "
                            f"of initial_guess, {tree_structure(guess)}")
        return x

    tsolve = dense_solve if tangent_solve is None else tangent_solve
    return _solution(residual_fn, params, initial_guess, run_solver, tsolve, tsolve,
                     residual_tol, name)


def _iterate(f, x0, tol, max_iter):
    """Fixed-point iteration `x <- f(x)` until the step is below `tol` (relative), with
    `while_loop` (so it runs eagerly, under `jit` and `vmap`)."""
    flat0, unravel = ravel_pytree(x0)

    def step(carry):
        i, x, _ = carry
        new, _ = ravel_pytree(f(unravel(x)))
        return i + 1, new, fnp.max(fnp.abs(new - x)) / fnp.maximum(1.0, fnp.max(fnp.abs(new)))

    def go_on(carry):
        i, _, delta = carry
        return (delta > tol) & (i < max_iter)

    _, x, delta = while_loop(go_on, step, (0, flat0, np.inf))
    implicit_check_p.bind(delta <= tol, delta, message=(
        f"fixed_point: no fixed point within {max_iter} iterations (last relative step "
        f"{{0:.3g}} > tol {tol:g}); the map may not be a contraction here: pass solve= "
        "(e.g. a Newton solver)"))
    return unravel(x)


def fixed_point(f, x0, params, *, solve=None, tangent_solve=None, tol=1e-12, max_iter=10000,
                residual_tol=RESIDUAL_TOL):
    """The `x` with `x = f(x, params)`, differentiated with respect to `params` (and the
    values `f` closes over) by the implicit function theorem, not through the iterations.

    By default the iteration `x <- f(x, params)` from `x0` until the relative step is below
    `tol` (with `fd.while_loop`: eager, `jit` and `vmap` alike; `SolveError` if it has not
    converged after `max_iter` steps); `solve(g, x0)` may instead find the root of
    `g(x) = x - f(x, params)` any way. `tangent_solve` as in `custom_root`.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> def babylon(a):  # sqrt(a) as the fixed point of x -> (x + a / x) / 2
        ...     return fd.fixed_point(lambda x, a: 0.5 * (x + a / x), 1.0, a)
        >>> round(float(babylon(2.0)), 12), round(float(fd.grad(babylon)(2.0)), 12)
        (1.414213562373, 0.353553390593)

        ```
    """
    if solve is None:
        def solve(g, x):  # g(y) = y - f(y, params), params explicit in its staged program
            return _iterate(lambda y: tree_map(lambda a, b: a - b, y, g(y)), x, tol,
                            max_iter)

    return custom_root(lambda x: tree_map(lambda a, b: a - b, x, f(x, params)), x0, solve,
                       tangent_solve, residual_tol=residual_tol)


def linear_solve(matvec, b, solve, transpose_solve=None, symmetric=False, *,
                 residual_tol=RESIDUAL_TOL):
    """The `x` with `matvec(x) = b` that `solve(matvec, b)` finds (any solver: CG by hand,
    SciPy's), differentiated implicitly (JAX's `lax.custom_linear_solve`): with respect to
    `b` and to the values `matvec` closes over, with one more solve per tangent
    (`solve`) or per cotangent (`transpose_solve(vecmat, x_bar)`; `solve` itself where
    `symmetric`; default: `dense_solve`). Checked as in `custom_root`. `solve` also
    solves the tangent systems, whose right-hand sides are traced: it must be written
    with `funcdiff.numpy` operations (no Python `if` on values, no SciPy).

    Example:
        ```python
        >>> import numpy as np, funcdiff as fd, funcdiff.numpy as fnp
        >>> def cg(A, b):  # conjugate gradients, n steps, traceable (no `if` on values)
        ...     x = b * 0.0
        ...     r = p = b - A(x)
        ...     for _ in range(b.shape[0]):
        ...         rr, Ap = fnp.vdot(r, r), A(p)
        ...         alpha = rr / fnp.vdot(p, Ap)
        ...         x, r_new = x + alpha * p, r - alpha * Ap
        ...         p, r = r_new + fnp.vdot(r_new, r_new) / rr * p, r_new
        ...     return x
        >>> M = np.array([[4.0, 1.0], [1.0, 3.0]])
        >>> def solve_scaled(s, b):
        ...     return fd.linear_solve(lambda x: s * (M @ x), b, cg, symmetric=True)
        >>> b = np.array([1.0, 2.0])
        >>> g = fd.grad(lambda s: fnp.sum(solve_scaled(s, b)))(2.0)  # d/ds of (sM)^-1 b
        >>> bool(np.isclose(g, -np.sum(np.linalg.solve(M, b)) / 4.0))
        True

        ```
    """
    name = "linear_solve"
    av_fn, hoisted = _closed(matvec, b, "linear_solve's matvec")
    b_leaves, b_tree = tree_flatten(b)
    nh = len(hoisted)

    def residual(params, x):  # params: (matvec's hoisted values..., b's leaves...)
        ax = av_fn(params[:nh], x)
        return tree_map(lambda a, c: a - c, ax, tree_unflatten(b_tree, list(params[nh:])))

    def run_solver(params, guess):
        x = solve(lambda y: av_fn(params[:nh], y), tree_unflatten(b_tree, list(params[nh:])))
        if tree_structure(x) != b_tree:
            raise TypeError(f"{name}: solve returned {tree_structure(x)}, not the "
                            f"structure of b, {b_tree}")
        return x

    def forward(g, y):
        return solve(g, y)

    if transpose_solve is not None:
        backward = transpose_solve
    elif symmetric:
        backward = solve
    else:
        backward = dense_solve
    zeros = tree_map(lambda a: fnp.zeros_like(a), b)
    return _solution(residual, hoisted + tuple(b_leaves), zeros, run_solver, forward,
                     backward, residual_tol, name)
