"""funcdiff.scipy.integrate.odeint: values vs closed forms and SciPy, adjoint gradients
vs finite differences and closed forms, vmap vs a loop, closures, higher order."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate as si
import scipy.linalg as sl

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.scipy.integrate import odeint
from funcdiff.testing import check_grads


def decay(y, t, k):
    return -k * y


def linear(y, t, a):
    return a @ y


def lotka_volterra(y, t, alpha, beta, gamma, delta):
    x, z = y[0], y[1]
    return fnp.stack([alpha * x - beta * x * z, gamma * x * z - delta * z])


LV_ARGS = (1.5, 1.0, 1.0, 3.0)
LV_Y0 = np.array([1.0, 0.5])


# -- values ---------------------------------------------------------------------------------------
def test_exponential_decay():
    t = np.linspace(0.0, 3.0, 7)
    y = odeint(decay, 2.0, t, 0.7)
    np.testing.assert_allclose(y, 2.0 * np.exp(-0.7 * t), rtol=1e-7)
    ref = si.odeint(decay, 2.0, t, args=(0.7,), rtol=1e-12, atol=1e-12)[:, 0]
    np.testing.assert_allclose(y, ref, rtol=1e-7)


def test_linear_system_closed_form():
    a = np.array([[-0.5, 2.0], [-2.0, -0.5]])
    y0, t = np.array([1.0, -1.0]), np.linspace(0.0, 4.0, 9)
    y = odeint(linear, y0, t, a, rtol=1e-10, atol=1e-10)
    want = np.stack([sl.expm(a * ti) @ y0 for ti in t])
    np.testing.assert_allclose(y, want, rtol=1e-8, atol=1e-9)
    ref = si.odeint(linear, y0, t, args=(a,), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(y, ref, rtol=1e-8, atol=1e-9)


def test_lotka_volterra_vs_solve_ivp():
    t = np.linspace(0.0, 10.0, 21)
    y = odeint(lotka_volterra, LV_Y0, t, *LV_ARGS, rtol=1e-11, atol=1e-11)
    ref = si.solve_ivp(
        lambda t, y: lotka_volterra(y, t, *LV_ARGS),
        (0.0, 10.0),
        LV_Y0,
        method="DOP853",
        t_eval=t,
        rtol=1e-13,
        atol=1e-13,
    ).y.T
    np.testing.assert_allclose(y, ref, rtol=1e-8, atol=1e-8)


def test_pytrees_shapes_and_dtypes():
    def oscillator(y, t, p):
        return {"x": y["v"], "v": -(p["w"] ** 2) * y["x"]}

    t = np.linspace(0.0, 1.0, 4)
    y0 = {"x": np.ones(2), "v": np.zeros(2, np.float32)}
    y = odeint(oscillator, y0, t, {"w": np.array([1.0, 2.0])})
    assert y["x"].shape == (4, 2) and y["x"].dtype == np.float64
    assert y["v"].dtype == np.float32  # each leaf keeps its dtype (state in float64)
    np.testing.assert_allclose(y["x"], np.cos(np.outer(t, [1.0, 2.0])), rtol=1e-7, atol=1e-8)
    y = odeint(lambda y, t: -y, np.ones((2, 3)), t)
    assert y.shape == (4, 2, 3)
    np.testing.assert_allclose(y[:, 1, 2], np.exp(-t), rtol=1e-7)


def test_grids_decreasing_repeated_single():
    y = odeint(lambda y, t: -y, 1.0, np.array([1.0, 0.0, 0.0, -1.0]))
    np.testing.assert_allclose(y, np.exp([0.0, 1.0, 1.0, 2.0]), rtol=1e-7)
    np.testing.assert_array_equal(odeint(lambda y, t: -y, 1.0, np.array([0.5])), [1.0])
    with pytest.raises(ValueError, match="1-D"):
        odeint(decay, 1.0, 0.5, 1.0)


def test_inside_transform_values_and_jit():
    t = np.linspace(0.0, 1.0, 3)
    got = fd.vjp(lambda k: odeint(decay, 1.0, t, k), 0.5)[0]
    np.testing.assert_allclose(got, np.exp(-0.5 * t), rtol=1e-7)
    f = fd.jit(lambda k: odeint(lambda y, t: -k * y, 1.0, t))
    np.testing.assert_allclose(f(0.5), np.exp(-0.5 * t), rtol=1e-7)


def test_mxstep_and_blow_up_warn_and_give_nan():
    with pytest.warns(RuntimeWarning, match="odeint"):
        y = odeint(lambda y, t: y**2, 1.0, np.array([0.0, 0.5, 2.0]))  # blows up at t = 1
    assert np.isfinite(y[1]) and np.isnan(y[2])
    with pytest.warns(RuntimeWarning, match="mxstep"):
        y = odeint(decay, 1.0, np.array([0.0, 10.0]), 1.0, mxstep=3)
    assert np.isnan(y[1])


# -- derivatives -----------------------------------------------------------------------------------
def test_gradients_closed_form():
    t = np.array([0.0, 0.5, 1.5])
    k, y0 = 0.8, 2.0

    def loss(y0, t, k):
        return odeint(decay, y0, t, k).sum()

    gy0, gt, gk = fd.grad(loss, argnums=(0, 1, 2))(y0, t, k)
    e = np.exp(-k * t)
    np.testing.assert_allclose(gy0, e.sum(), rtol=1e-7)
    np.testing.assert_allclose(gk, -(y0 * t * e).sum(), rtol=1e-6)
    # dL/dt_i = f(y_i) for i > 0; moving t_0 shifts the whole trajectory
    want_t = -k * y0 * e
    want_t[0] = -want_t[1:].sum()
    np.testing.assert_allclose(gt, want_t, rtol=1e-6)
    _, tangent = fd.jvp(lambda k: odeint(decay, y0, t, k), (k,), (1.0,))
    np.testing.assert_allclose(tangent, -y0 * t * e, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_check_grads_lotka_volterra(mode):
    t = np.linspace(0.0, 2.0, 4)
    check_grads(
        lambda y0, t, *p: odeint(lotka_volterra, y0, t, *p),
        (LV_Y0, t, *LV_ARGS),
        order=1,
        modes=(mode,),
        rtol=1e-4,
        atol=1e-4,
    )


def test_check_grads_pytree_and_matrix_parameter():
    a = np.array([[-0.5, 1.0], [-1.0, -0.2]])

    def f(y0, a, c):
        y = odeint(
            lambda y, t, p: {"u": p["a"] @ y["u"] + p["c"]},
            y0,
            np.array([0.0, 1.0]),
            {"a": a, "c": c},
        )
        return y["u"]

    check_grads(
        f, ({"u": np.array([1.0, 2.0])}, a, 0.3), order=1, modes=("rev",), rtol=1e-4, atol=1e-4
    )


def test_closure_over_traced_values():
    t = np.array([0.0, 1.0])
    g = fd.grad(lambda k: odeint(lambda y, t: -k * y, 1.0, t)[-1])(2.0)
    np.testing.assert_allclose(g, -np.exp(-2.0), rtol=1e-7)
    ks = np.array([0.5, 1.0, 2.0])
    g = fd.vmap(fd.grad(lambda k: odeint(lambda y, t: -k * y, 1.0, t)[-1]))(ks)
    np.testing.assert_allclose(g, -np.exp(-ks), rtol=1e-7)

    def branchy(y, t, k):  # not stageable: traced values must come through *args
        return -k * y if float(t) > 0.5 else -2 * k * y

    g = fd.grad(lambda k: odeint(branchy, 1.0, np.array([0.0, 0.5, 1.0]), k)[-1])(1.0)
    np.testing.assert_allclose(g, -1.5 * np.exp(-1.5), rtol=1e-5)
    with pytest.raises(TypeError, match=r"\*args"):
        fd.grad(lambda k: odeint(lambda y, t: branchy(y, t, k), 1.0, t)[-1])(1.0)


def test_second_order():
    t = np.array([0.0, 1.5])
    want = 1.5**2 * np.exp(-0.7 * 1.5)  # d2/dk2 exp(-k t)
    f = lambda k: odeint(decay, 1.0, t, k)[-1]  # noqa: E731
    np.testing.assert_allclose(fd.grad(fd.grad(f))(0.7), want, rtol=1e-5)
    np.testing.assert_allclose(fd.hessian(f)(0.7), want, rtol=1e-5)


# -- vmap ------------------------------------------------------------------------------------------
def test_vmap_over_y0_matches_loop():
    t = np.linspace(0.0, 2.0, 5)
    y0s = np.array([[1.0, 0.5], [2.0, 1.0], [0.5, 0.2]])
    f = lambda y0: odeint(lotka_volterra, y0, t, *LV_ARGS, rtol=1e-10, atol=1e-10)  # noqa: E731
    got = fd.vmap(f)(y0s)
    want = np.stack([f(y0) for y0 in y0s])
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)


def test_vmap_over_grid_and_parameters():
    t = np.linspace(0.0, 2.0, 4)
    ts = np.stack([t, 1.5 * t, t[::-1]])
    alphas = np.array([1.5, 1.2, 1.0])

    def f(t, alpha):
        return odeint(lotka_volterra, LV_Y0, t, alpha, *LV_ARGS[1:], rtol=1e-10, atol=1e-10)

    got = fd.vmap(f)(ts, alphas)
    want = np.stack([f(t, a) for t, a in zip(ts, alphas)])
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    got = fd.vmap(f, in_axes=(None, 0))(t, alphas)
    np.testing.assert_allclose(got[1], f(t, alphas[1]), rtol=1e-7, atol=1e-8)


def test_vmap_of_grad_and_grad_of_vmap():
    t = np.linspace(0.0, 1.0, 3)
    y0s = np.array([[1.0, 0.5], [2.0, 1.0]])

    def loss(y0, alpha):
        return odeint(lotka_volterra, y0, t, alpha, *LV_ARGS[1:])[-1].sum()

    g = fd.grad(loss, argnums=(0, 1))
    got = fd.vmap(g, in_axes=(0, None))(y0s, 1.5)
    for i, y0 in enumerate(y0s):
        want = g(y0, 1.5)
        np.testing.assert_allclose(got[0][i], want[0], rtol=1e-6)
        np.testing.assert_allclose(got[1][i], want[1], rtol=1e-6)
    total = fd.grad(lambda a: fd.vmap(lambda y0: loss(y0, a))(y0s).sum())(1.5)
    np.testing.assert_allclose(total, sum(g(y0, 1.5)[1] for y0 in y0s), rtol=1e-6)


# -- trapezoid (#16) ------------------------------------------------------------------------------
from funcdiff.scipy.integrate import trapezoid  # noqa: E402

_r = np.random.default_rng(5)
TRAP_CASES = {
    "y": (lambda y: trapezoid(y), lambda y: si.trapezoid(y), (_r.standard_normal(7),)),
    "y-dx-axis0": (lambda y: trapezoid(y, dx=0.3, axis=0),
                   lambda y: si.trapezoid(y, dx=0.3, axis=0),
                   (_r.standard_normal((5, 3)),)),
    "y-x": (lambda y, x: trapezoid(y, x), lambda y, x: si.trapezoid(y, x),
            (_r.standard_normal((2, 6)), np.sort(_r.uniform(0, 3, 6)))),
    "y-x-nd": (lambda y, x: trapezoid(y, x, axis=0), lambda y, x: si.trapezoid(y, x, axis=0),
               (_r.standard_normal((4, 3)), np.sort(_r.uniform(0, 3, (4, 3)), axis=0))),
    "y-traced-dx": (lambda y, d: trapezoid(y, dx=d), lambda y, d: si.trapezoid(y, dx=d),
                    (_r.standard_normal(5), np.array(0.7))),
}


@pytest.mark.parametrize("name", TRAP_CASES)
def test_trapezoid_values_grads_vmap_jit(name):
    f, g, args = TRAP_CASES[name]
    want = g(*args)
    assert np.array_equal(f(*args), want)
    np.testing.assert_allclose(fd.vjp(f, *args)[0], want, rtol=1e-12, atol=1e-12)
    check_grads(f, args, order=2, modes=("fwd", "rev"))
    batched = np.stack([args[0], 2 * args[0], -args[0] + 1])
    np.testing.assert_allclose(fd.vmap(f, in_axes=(0,) + (None,) * (len(args) - 1))(
        batched, *args[1:]), np.stack([g(b, *args[1:]) for b in batched]), rtol=1e-12)
    np.testing.assert_allclose(fd.jit(f)(*args), want, rtol=1e-12, atol=1e-12)


def test_trapezoid_closed_form_derivatives():
    x = np.array([0.0, 1.0, 3.0])
    # d/dy_i: half the neighbouring intervals; d/dx: from the products
    np.testing.assert_allclose(fd.grad(lambda y: trapezoid(y, x))(x**2), [0.5, 1.5, 1.0])
    np.testing.assert_allclose(fd.grad(lambda x: trapezoid(x**2, x))(x), [-0.5, -1.5, 11.0])
    with pytest.raises(ValueError):
        fd.grad(lambda y: trapezoid(y, np.ones(4)))(np.ones(3))


def test_odeint_takes_scipys_args_too():
    """SciPy's (and autograd's) spelling of func's extra arguments: args=(...) by keyword,
    or the tuple after t when func takes its items; a tuple func takes whole stays whole."""
    def func(y, t, a, b):
        return -np.sqrt(t) - y + a - np.mean((y + b) ** 2)

    y0, t = np.ones(3), np.linspace(0.1, 0.2, 4)
    a, b = np.array([0.1, 0.2, 0.3]), np.array([0.3, 0.2, 0.1])
    want = si.odeint(func, y0, t, args=(a, b), rtol=1e-11, atol=1e-11)
    for got in (odeint(func, y0, t, (a, b)), odeint(func, y0, t, args=(a, b)),
                odeint(func, y0, t, a, b)):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9)
    check_grads(lambda a, b: odeint(func, y0, t, (a, b)), (a, b), order=1,
                modes=("fwd", "rev"), eps=1e-4, atol=1e-5, rtol=1e-5)

    def whole(y, t, ab):  # takes the tuple as one pytree argument
        return -y * ab[0] + ab[1]

    np.testing.assert_allclose(odeint(whole, y0, t, (0.5, 0.1)),
                               si.odeint(whole, y0, t, args=((0.5, 0.1),), rtol=1e-11,
                                         atol=1e-11), rtol=1e-7)
    with pytest.raises(TypeError, match="unsupported argument"):
        odeint(func, y0, t, a, b, tfirst=True)
    with pytest.raises(TypeError, match="not both"):
        odeint(func, y0, t, a, args=(b,))
