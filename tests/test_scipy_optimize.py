"""funcdiff.scipy.optimize.minimize: SciPy's minimize fed funcdiff's exact derivatives.

Each method runs on the 2-D and a 10-D Rosenbrock function and on pytree-parameter
least-squares and logistic-regression problems. Results are compared with the known
optimum and with `scipy.optimize.minimize` given hand-written derivatives (the same
iterations: the derivatives agree to rounding), and the number of evaluations with
SciPy's finite-difference gradients (never fewer). Then: pytree results, bounds,
constraints, `jit=True`, user-supplied derivatives, that `hessp` is what the
Hessian-based methods use, and the errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize as so

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.scipy import optimize as _opt
from funcdiff.scipy.optimize import minimize


def rosen(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


X0 = {2: np.array([-1.2, 1.0]), 10: np.linspace(-1.2, 1.0, 10)}

# method -> (tolerance on |x - optimum|, SciPy's derivative arguments it uses, dimensions)
GRADIENT = ("jac",)
HESSP = ("jac", "hessp")
HESS = ("jac", "hess")
METHODS = {
    "BFGS": (1e-5, GRADIENT, (2, 10)),
    "L-BFGS-B": (1e-4, GRADIENT, (2, 10)),
    "CG": (1e-5, GRADIENT, (2, 10)),
    "TNC": (1e-3, GRADIENT, (2,)),
    "SLSQP": (3e-3, GRADIENT, (2, 10)),
    "Newton-CG": (1e-3, HESSP, (2, 10)),
    "trust-ncg": (1e-5, HESSP, (2, 10)),
    "trust-krylov": (5e-4, HESSP, (2, 10)),
    "trust-exact": (1e-5, HESS, (2, 10)),
    "trust-constr": (1e-5, HESSP, (2, 10)),
    "dogleg": (1e-5, HESS, (2,)),
}
# the methods SciPy can run with finite-difference gradients (the others require `jac`)
FINITE = ("BFGS", "L-BFGS-B", "CG", "TNC", "SLSQP", "trust-constr")
DERIVATIVE_FREE = ("Nelder-Mead", "Powell", "COBYLA", "COBYQA")
_HAND = {"jac": so.rosen_der, "hess": so.rosen_hess, "hessp": so.rosen_hess_prod}


def _options(method):
    return {"maxiter": 5000} if method == "trust-constr" else None


# (dogleg and TNC stop short on the 10-D Rosenbrock from X0[10] in SciPy too: 2-D only)
@pytest.mark.parametrize("method, n", [(m, n) for m in METHODS for n in METHODS[m][2]])
def test_rosenbrock_matches_optimum_and_scipy(method, n):
    tol, uses, _ = METHODS[method]
    x0 = X0[n]
    res = minimize(rosen, x0, method=method, options=_options(method))
    assert res.success, res.message
    np.testing.assert_allclose(res.x, np.ones(n), atol=tol)
    assert isinstance(res.fun, float) and res.fun < 1e-6
    hand = so.minimize(so.rosen, x0, method=method, options=_options(method),
                       **{k: _HAND[k] for k in uses})
    np.testing.assert_allclose(res.x, hand.x, atol=tol)
    np.testing.assert_allclose(res.fun, hand.fun, atol=1e-8)
    if method in FINITE:
        finite = so.minimize(so.rosen, x0, method=method, options=_options(method))
        assert res.nfev <= finite.nfev


@pytest.mark.parametrize("method", DERIVATIVE_FREE)
def test_derivative_free_methods_are_passed_through(method):
    res = minimize(rosen, X0[2], method=method, options={"maxiter": 5000})
    ref = so.minimize(so.rosen, X0[2], method=method, options={"maxiter": 5000})
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-12)
    assert res.nfev == ref.nfev and res.success == ref.success


# -- pytree parameters ---------------------------------------------------------------------
_rng = np.random.default_rng(16)
A = _rng.standard_normal((30, 3))
Y = A @ np.array([1.0, -2.0, 0.5]) + 0.7 + 0.1 * _rng.standard_normal(30)
LABELS = (A @ np.array([1.0, -2.0, 0.5]) + 0.3 + _rng.standard_normal(30) > 0).astype(float)


def least_squares(p, a, y):
    r = a @ p["w"] + p["b"] - y
    return 0.5 * fnp.sum(r ** 2)


def _lstsq_optimum():
    sol = np.linalg.lstsq(np.c_[A, np.ones(30)], Y, rcond=None)[0]
    return sol[:3], sol[3]


def logistic(p, a, labels):
    z = a @ p["w"] + p["b"]
    return fnp.sum(fnp.logaddexp(0.0, z) - labels * z) + 0.5 * fnp.sum(p["w"] ** 2)


def _logistic_hand(v):
    """Value, gradient and Hessian of `logistic` over [w, b], written by hand."""
    w, b = v[:3], v[3]
    z = A @ w + b
    s = 1 / (1 + np.exp(-z))
    value = np.sum(np.logaddexp(0, z) - LABELS * z) + 0.5 * w @ w
    g = np.r_[A.T @ (s - LABELS) + w, np.sum(s - LABELS)]
    ab = np.c_[A, np.ones(30)]
    h = ab.T @ (ab * (s * (1 - s))[:, None]) + np.diag([1.0, 1.0, 1.0, 0.0])
    return value, g, h


@pytest.mark.parametrize("method", [*METHODS, *DERIVATIVE_FREE])
def test_pytree_least_squares(method):
    p0 = {"w": np.zeros(3), "b": np.float64(0.0)}
    res = minimize(least_squares, p0, args=(A, Y), method=method,
                   options={"maxiter": 20000} if method in DERIVATIVE_FREE else None)
    w, b = _lstsq_optimum()
    tol = 2e-2 if method in DERIVATIVE_FREE else 1e-4
    np.testing.assert_allclose(res.x["w"], w, atol=tol)
    np.testing.assert_allclose(res.x["b"], b, atol=tol)
    assert set(res.x) == {"w", "b"} and res.x["w"].shape == (3,) and res.x["b"].shape == ()
    assert res.x["w"] is not p0["w"] and not np.shares_memory(res.x["w"], p0["w"])
    if "jac" in res and method != "trust-constr":
        assert set(res.jac) == {"w", "b"} and res.jac["w"].shape == (3,)


@pytest.mark.parametrize("method", ["BFGS", "L-BFGS-B", "CG", "Newton-CG", "trust-ncg",
                                    "trust-krylov", "trust-exact", "trust-constr", "SLSQP"])
def test_pytree_logistic_matches_scipy_with_hand_derivatives(method):
    p0 = {"b": np.float64(0.0), "w": np.zeros(3)}  # (flattened in key order: b, w)
    # SciPy's vector is [w, b]: the same problem with the coordinates permuted
    res = minimize(logistic, p0, args=(A, LABELS), method=method)
    assert res.success, res.message

    kw = {"jac": True}
    if method in ("Newton-CG", "trust-ncg", "trust-krylov", "trust-exact", "trust-constr"):
        kw["hess"] = lambda v: _logistic_hand(v)[2]
    hand = so.minimize(lambda v: _logistic_hand(v)[:2], np.zeros(4), method=method, **kw)
    np.testing.assert_allclose(res.x["w"], hand.x[:3], atol=1e-4)
    np.testing.assert_allclose(res.x["b"], hand.x[3], atol=1e-4)
    assert abs(res.fun - hand.fun) < 1e-7
    grad = _logistic_hand(np.r_[res.x["w"], res.x["b"]])[1]
    assert np.abs(grad).max() < 1e-3
    if method in FINITE:
        finite = so.minimize(lambda v: _logistic_hand(v)[0], np.zeros(4), method=method)
        assert res.nfev <= finite.nfev


def test_result_keeps_dtypes_and_structure():
    p0 = {"w": np.zeros(3, np.float32), "b": (np.float64(0.0), 0)}  # an int leaf: float64
    res = minimize(lambda p, a, y: least_squares({"w": p["w"], "b": p["b"][0] + p["b"][1]},
                                                 a, y), p0, args=(A, Y))
    assert res.x["w"].dtype == np.float32 and res.x["b"][0].dtype == np.float64
    assert res.x["b"][1].dtype == np.float64 and isinstance(res.x["b"], tuple)
    assert res.jac["w"].dtype == np.float32
    w, b = _lstsq_optimum()
    np.testing.assert_allclose(res.x["w"], w, atol=1e-4)
    np.testing.assert_allclose(res.x["b"][0] + res.x["b"][1], b, atol=1e-4)
    x0 = np.zeros((2, 2))  # one array of any shape
    res = minimize(lambda x: fnp.sum((x - np.arange(4.0).reshape(2, 2)) ** 2), x0)
    assert res.x.shape == (2, 2) and not np.shares_memory(res.x, x0)
    np.testing.assert_allclose(res.x, np.arange(4.0).reshape(2, 2), atol=1e-6)


# -- bounds and constraints ----------------------------------------------------------------
def test_pytree_bounds_equal_flat_bounds():
    p0 = {"w": np.zeros(3), "b": np.float64(0.0)}
    lower, upper = {"w": -0.5, "b": -np.inf}, {"w": np.array([0.5, 0.5, 2.0]), "b": 0.0}
    res = minimize(least_squares, p0, args=(A, Y), method="L-BFGS-B", bounds=(lower, upper))
    flat = [(-np.inf, 0.0), (-0.5, 0.5), (-0.5, 0.5), (-0.5, 2.0)]  # order: b, w
    ref = minimize(least_squares, p0, args=(A, Y), method="L-BFGS-B", bounds=flat)
    np.testing.assert_allclose(res.x["w"], ref.x["w"], rtol=1e-12)
    assert res.x["w"][0] == 0.5 and res.x["w"][1] == -0.5 and res.x["b"] <= 0.0
    res2 = minimize(least_squares, p0, args=(A, Y), method="trust-constr",
                    bounds=(lower, upper))
    np.testing.assert_allclose(res2.x["w"], res.x["w"], atol=1e-3)  # (interior point)


def test_slsqp_dict_constraint_gets_an_exact_jacobian():
    x0 = np.array([2.0, 0.0])
    cons = {"type": "ineq", "fun": lambda x: 1.0 - x[0] ** 2 - x[1] ** 2}
    res = minimize(rosen, x0, method="SLSQP", constraints=cons)
    hand = so.minimize(so.rosen, x0, jac=so.rosen_der, method="SLSQP", constraints={
        "type": "ineq", "fun": cons["fun"], "jac": lambda x: np.array([-2 * x[0], -2 * x[1]])})
    np.testing.assert_allclose(res.x, hand.x, atol=1e-8)
    assert res.nfev == hand.nfev and res.success
    np.testing.assert_allclose(res.x, [0.7864, 0.6177], atol=1e-3)  # the known optimum


def test_trust_constr_nonlinear_constraint_without_jac():
    x0 = np.array([0.5, 0.0])
    con = so.NonlinearConstraint(lambda x: x[0] ** 2 + x[1] ** 2, -np.inf, 1.0)
    res = minimize(rosen, x0, method="trust-constr", constraints=[con])
    hand = so.minimize(so.rosen, x0, jac=so.rosen_der, hessp=so.rosen_hess_prod,
                       method="trust-constr", constraints=[so.NonlinearConstraint(
                           con.fun, -np.inf, 1.0, jac=lambda x: 2 * x[None, :])])
    np.testing.assert_allclose(res.x, hand.x, atol=1e-6)
    np.testing.assert_allclose(res.x, [0.7864, 0.6177], atol=1e-3)
    assert res.nfev <= so.minimize(so.rosen, x0, method="trust-constr",
                                   constraints=[con]).nfev


def test_constraints_on_pytrees():
    p0 = {"w": np.zeros(3), "b": np.float64(0.0)}
    cons = [{"type": "eq", "fun": lambda p: p["w"][0] + p["w"][1]}]
    res = minimize(least_squares, p0, args=(A, Y), method="SLSQP", constraints=cons)
    assert res.success and abs(res.x["w"][0] + res.x["w"][1]) < 1e-8
    res2 = minimize(least_squares, p0, args=(A, Y), method="trust-constr", constraints=[
        so.NonlinearConstraint(lambda p: p["w"][0] + p["w"][1], 0.0, 0.0)])
    np.testing.assert_allclose(res2.x["w"], res.x["w"], atol=1e-5)


# -- jit, user derivatives, hessp ----------------------------------------------------------
@pytest.mark.parametrize("method", ["BFGS", "Newton-CG", "trust-exact", "trust-constr",
                                    "SLSQP"])
def test_jit_gives_the_same_answer(method):
    cons = {"type": "ineq", "fun": lambda x: 10.0 - fnp.sum(x ** 2)} if method == "SLSQP" else ()
    a = minimize(rosen, X0[10], method=method, constraints=cons)
    b = minimize(rosen, X0[10], method=method, constraints=cons, jit=True)
    np.testing.assert_allclose(b.x, a.x, rtol=1e-10, atol=1e-12)
    assert a.nfev == b.nfev


def _counting(fn, counter, key):
    def wrapped(*args, **kwargs):
        counter[key] = counter.get(key, 0) + 1
        return fn(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize("method", ["Newton-CG", "trust-ncg", "trust-krylov", "trust-constr"])
def test_hessp_is_used_where_accepted(method, monkeypatch):
    calls = {}
    monkeypatch.setattr(_opt, "jvp", _counting(_opt.jvp, calls, "hvp"))

    def no_hessian(*args, **kwargs):
        raise AssertionError("the full Hessian was built where hessp is accepted")

    monkeypatch.setattr(_opt, "hessian", no_hessian)
    res = minimize(rosen, X0[10], method=method, options=_options(method))
    assert res.success and calls["hvp"] > 0
    # at least one product per iteration, about as many as SciPy counts (trust-constr
    # counts the Hessian operators it builds, each used for several products)
    assert calls["hvp"] >= res.nit > 0 and calls["hvp"] >= res.nhev - 1


@pytest.mark.parametrize("method", ["trust-exact", "dogleg"])
def test_hessian_where_a_matrix_is_needed(method, monkeypatch):
    calls = {}
    hessian = _opt.hessian
    monkeypatch.setattr(_opt, "hessian", lambda f: _counting(hessian(f), calls, "hessian"))
    res = minimize(rosen, X0[2], method=method)
    assert res.success and calls["hessian"] >= res.nhev > 0


def test_user_derivatives_override():
    calls = {}
    jac = _counting(so.rosen_der, calls, "jac")
    res = minimize(rosen, X0[2], method="BFGS", jac=jac)
    assert calls["jac"] == res.njev > 0
    hessp = _counting(lambda x, p: so.rosen_hess_prod(x, p), calls, "hessp")
    res = minimize(rosen, X0[2], method="Newton-CG", hessp=hessp)
    assert calls["hessp"] >= res.nhev > 0 and res.success
    hess = _counting(so.rosen_hess, calls, "hess")
    res = minimize(rosen, X0[2], method="trust-ncg", hess=hess)
    assert calls["hess"] >= res.nhev > 0 and res.success
    res = minimize(lambda x: (so.rosen(x), so.rosen_der(x)), X0[2], method="BFGS", jac=True)
    np.testing.assert_allclose(res.x, np.ones(2), atol=1e-5)
    res = minimize(rosen, X0[2], method="BFGS", jac="2-point")  # SciPy's finite differences
    assert res.nfev == so.minimize(so.rosen, X0[2], method="BFGS", jac="2-point").nfev


def test_args_and_callback_see_pytrees():
    seen = []
    minimize(least_squares, {"w": np.zeros(3), "b": np.float64(0.0)}, args=(A, Y),
             callback=lambda x: seen.append(x))
    assert seen and set(seen[-1]) == {"w", "b"}
    got = []
    minimize(least_squares, {"w": np.zeros(3), "b": np.float64(0.0)}, args=(A, Y),
             method="L-BFGS-B", callback=lambda intermediate_result: got.append(
                 intermediate_result))
    assert got and set(got[-1].x) == {"w", "b"} and np.isfinite(got[-1].fun)


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["BFGS", "Newton-CG", "Nelder-Mead"])
def test_non_scalar_or_complex_fun_raises(method):
    def vector_fun(x):
        return x ** 2

    with pytest.raises(TypeError, match=r"`fun` \(vector_fun\).*shape \(2,\).*float64.*fnp.sum"):
        minimize(vector_fun, np.ones(2), method=method)
    with pytest.raises(TypeError, match=r"`fun`.*complex128.*abs"):
        minimize(lambda x: fnp.sum(x) * (1 + 1j), np.ones(2), method=method)


def test_inside_a_transform_raises():
    f = lambda x0: minimize(rosen, x0).fun  # noqa: E731
    for transform in (fd.grad, fd.jit, lambda g: (lambda x: fd.jvp(g, (x,), (x,))),
                      fd.vmap):
        with pytest.raises(TypeError, match="not differentiable.*implicit differentiation"):
            transform(f)(np.ones(2) if transform is not fd.vmap else np.ones((2, 2)))
    with pytest.raises(TypeError, match="closes over a value traced"):
        fd.grad(lambda p: minimize(lambda x: fnp.sum((x - p) ** 2), np.zeros(2)).fun)(
            np.ones(2))
    with pytest.raises(TypeError, match="`args`.*not differentiable"):
        fd.grad(lambda a: minimize(least_squares, {"w": np.zeros(3), "b": 0.0},
                                   args=(a, Y)).fun)(A)


def test_method_none_chooses_as_scipy():
    for kw, name in [({}, "BFGS"), ({"bounds": [(0, 0.5), (0, 2)]}, "L-BFGS-B"),
                     ({"constraints": {"type": "eq", "fun": lambda x: x[0] - x[1]}}, "SLSQP")]:
        res = minimize(rosen, X0[2], method=None, **kw)
        ref = minimize(rosen, X0[2], method=name, **kw)
        np.testing.assert_array_equal(res.x, ref.x)
        assert res.nfev == ref.nfev


def test_bad_x0_and_method():
    with pytest.raises(TypeError, match="complex"):
        minimize(rosen, np.ones(2) + 0j)
    with pytest.raises(ValueError, match="method"):
        minimize(rosen, np.ones(2), method="newton")
