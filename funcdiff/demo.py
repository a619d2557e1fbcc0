"""A tour of funcdiff in a few seconds: `python -m funcdiff.demo`.

Fits a tiny tanh network to noisy samples of a 1-D function:

1. gradient descent with `fd.value_and_grad` (parameters are a dict: a pytree);
2. a directional derivative with `fd.jvp`;
3. Hessian-vector products, forward-over-reverse `fd.jvp(fd.grad(loss), ...)`,
   for the curvature along the gradient and a few Newton-CG steps;
4. derivative checks: gradient vs central differences, the jvp/vjp
   transposition identity, HVP vs central differences of the gradient.

Exits with status 1 if a check fails. Needs only NumPy.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.testing import check_grads
from funcdiff.tree import tree_leaves, tree_map

HIDDEN = 8
STEPS = 600  # gradient descent steps
LR = 0.05
MOMENTUM = 0.9
NEWTON_STEPS = 4

# -- data and model ---------------------------------------------------------


def target(x):
    return np.sin(2.0 * x) + 0.3 * x


def make_data(n=48, noise=0.1, seed=0):
    """Noisy samples of the target function on [-2, 2]."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-2.0, 2.0, n)
    return x, target(x) + noise * rng.standard_normal(n)


def init_params(seed=1):
    rng = np.random.default_rng(seed)
    return {
        "w1": rng.standard_normal(HIDDEN),
        "b1": 0.5 * rng.standard_normal(HIDDEN),
        "w2": 0.3 * rng.standard_normal(HIDDEN),
        "b2": np.float64(0.0),
    }


def predict(params, x):
    """y = sum_j w2_j tanh(w1_j x + b1_j) + b2, for every sample of x at once."""
    hidden = fnp.tanh(x[:, None] * params["w1"] + params["b1"])  # (n, HIDDEN)
    return fnp.sum(hidden * params["w2"], axis=1) + params["b2"]


def mse(params, x, y):
    return fnp.mean((predict(params, x) - y) ** 2)


# -- pytree arithmetic (params are plain NumPy arrays here, outside transforms) ---


def vdot(a, b):
    return sum(float(np.vdot(u, v)) for u, v in zip(tree_leaves(a), tree_leaves(b)))


def axpy(alpha, a, b):
    """alpha * a + b, leaf by leaf."""
    return tree_map(lambda u, v: alpha * u + v, a, b)


def rel_err(a, b):
    """Relative distance between two pytrees (or numbers)."""
    diff = axpy(-1.0, a, b)
    scale = max(vdot(a, a), vdot(b, b)) ** 0.5
    return vdot(diff, diff) ** 0.5 / max(scale, 1e-300)


# -- second order -------------------------------------------------------------


def make_hvp(loss):
    """v -> H(params) v, forward-over-reverse: the jvp of the gradient."""
    grad_loss = fd.grad(loss)

    def hvp(params, v):
        return fd.jvp(grad_loss, (params,), (v,))[1]

    return hvp


def newton_cg_step(loss, hvp, params, damping=1e-3, max_cg=25):
    """One damped Newton step: solve (H + damping I) d = -g by conjugate gradients,
    stopping at negative curvature, then backtrack until the loss decreases."""
    value, g = fd.value_and_grad(loss)(params)
    d = tree_map(np.zeros_like, g)
    r = tree_map(np.negative, g)  # residual of (H + damping I) d = -g at d = 0
    p, rr = r, vdot(r, r)
    iters = 0
    while iters < max_cg:
        iters += 1
        hp = axpy(damping, p, hvp(params, p))
        php = vdot(p, hp)
        if php <= 0:  # negative curvature: keep what we have (or the gradient step)
            break
        alpha = rr / php
        d = axpy(alpha, p, d)
        r = axpy(-alpha, hp, r)
        rr_new = vdot(r, r)
        if rr_new**0.5 < 1e-10 * vdot(g, g) ** 0.5:
            break
        p, rr = axpy(rr_new / rr, p, r), rr_new
    if vdot(d, d) == 0:
        d = tree_map(np.negative, g)
    step = 1.0
    while step > 1e-4:
        trial = axpy(step, d, params)
        new_value = loss(trial)
        if new_value < value:
            return trial, new_value, iters, step
        step /= 2
    return params, value, iters, 0.0


# -- derivative checks ----------------------------------------------------------


def random_like(tree, rng):
    return tree_map(lambda a: rng.standard_normal(np.shape(a)), tree)


def check_gradient(loss, params, rng, h=1e-5, directions=3):
    """grad . v vs (loss(p + h v) - loss(p - h v)) / 2h along random directions."""
    g = fd.grad(loss)(params)
    worst = 0.0
    for _ in range(directions):
        v = random_like(params, rng)
        fd_slope = (loss(axpy(h, v, params)) - loss(axpy(-h, v, params))) / (2 * h)
        worst = max(worst, rel_err(vdot(g, v), float(fd_slope)))
    return worst


def check_transpose(fun, params, rng):
    """u . (J v) == (J^T u) . v for the vector-valued `fun` (jvp vs vjp)."""
    v = random_like(params, rng)
    out, jv = fd.jvp(fun, (params,), (v,))
    u = rng.standard_normal(np.shape(out))
    (jtu,) = fd.vjp(fun, params)[1](u)
    return rel_err(float(np.vdot(u, jv)), vdot(jtu, v))


def check_hvp(loss, hvp, params, rng, h=1e-5):
    """H v vs (grad(p + h v) - grad(p - h v)) / 2h."""
    v = random_like(params, rng)
    grad_loss = fd.grad(loss)
    plus, minus = grad_loss(axpy(h, v, params)), grad_loss(axpy(-h, v, params))
    fd_hv = tree_map(lambda a, b: (a - b) / (2 * h), plus, minus)
    return rel_err(hvp(params, v), fd_hv)


def run_checks(loss, model, hvp, params):
    """Run every check at `params`; return a list of (name, passed, detail)."""
    rng = np.random.default_rng(2)
    results = []
    for name, err, tol in [
        ("gradient vs central differences", check_gradient(loss, params, rng), 1e-6),
        ("jvp vs vjp: u.(J v) == (J^T u).v", check_transpose(model, params, rng), 1e-10),
        ("HVP vs central differences of grad", check_hvp(loss, hvp, params, rng), 1e-5),
    ]:
        results.append((name, err <= tol, f"error {err:8.1e}  (tol {tol:.0e})"))
    name = "testing.check_grads(loss, order=2)"
    try:
        check_grads(loss, (params,), order=2, modes=("fwd", "rev"))
    except AssertionError as e:
        results.append((name, False, str(e).splitlines()[0]))
    else:
        results.append((name, True, "fwd and rev, orders 1 and 2"))
    return results


# -- the tour ------------------------------------------------------------------------


def main():
    start = time.perf_counter()
    x, y = make_data()
    params = init_params()
    n_params = sum(np.size(a) for a in tree_leaves(params))

    def loss(p):
        return mse(p, x, y)

    def model(p):
        return predict(p, x)

    hvp = make_hvp(loss)
    print("funcdiff demo: fit a tiny tanh network to noisy samples of a 1-D function\n")
    print(f"data   {len(x)} samples of y = sin(2x) + 0.3x + noise (sd 0.1), x in [-2, 2]")
    print(f"model  y = sum_j w2_j tanh(w1_j x + b1_j) + b2, {HIDDEN} hidden units,")
    print(f"       {n_params} parameters in a dict {{w1, b1, w2, b2}} (a pytree)\n")

    print("derivative checks at the initial parameters")
    checks = run_checks(loss, model, hvp, params)
    for name, passed, detail in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  {name:<36} {detail}")
    print()

    value_and_grad = fd.value_and_grad(loss)
    initial = float(loss(params))
    print(f"1. gradient descent with fd.value_and_grad (lr {LR}, momentum {MOMENTUM})")
    velocity = tree_map(np.zeros_like, params)
    for step in range(STEPS + 1):
        value, g = value_and_grad(params)
        if step % 100 == 0:
            print(f"   step {step:4d}   loss {float(value):.6f}")
        if step < STEPS:
            velocity = axpy(MOMENTUM, velocity, tree_map(lambda a: -LR * a, g))
            params = axpy(1.0, velocity, params)
    print()

    print("2. directional derivative with fd.jvp, along the unit descent direction -g/|g|")
    value, g = value_and_grad(params)
    gnorm = vdot(g, g) ** 0.5
    direction = tree_map(lambda a: -a / max(gnorm, 1e-300), g)
    _, slope = fd.jvp(loss, (params,), (direction,))
    print(f"   d/dt loss(params + t u) at t=0 = {float(slope):.6e}   (-|g| = {-gnorm:.6e})\n")

    print("3. Hessian-vector products: fd.jvp(fd.grad(loss), (params,), (v,))")
    curvature = vdot(g, hvp(params, g)) / max(vdot(g, g), 1e-300)
    print(f"   curvature along the gradient g.Hg / g.g = {curvature:.4f}")
    print(f"   {NEWTON_STEPS} damped Newton-CG steps (CG on H v products):")
    for k in range(1, NEWTON_STEPS + 1):
        params, value, iters, step = newton_cg_step(loss, hvp, params)
        print(f"   newton {k}   loss {float(value):.6f}   ({iters:2d} CG iterations, "
              f"step {step:g})")
    final = float(loss(params))
    print()

    print(f"initial loss {initial:.6f}")
    print(f"final loss   {final:.6f}")
    fit = float(np.mean((model(params) - target(x)) ** 2))
    print(f"mean squared distance of the fit to the noise-free function: {fit:.6f}")
    failed = [name for name, passed, _ in checks if not passed]
    if failed:
        print(f"FAILED: {len(failed)} derivative check(s): {', '.join(failed)}")
    else:
        print(f"all {len(checks)} derivative checks passed")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
