"""Workload 3: grad of `sin(x) * x**2` at x = 1.5 (the fixed cost of one `grad` call).

Functions from `overhead.py`. Reference: the closed form `cos(x) x^2 + 2x sin(x)` with `math`.
Target: funcdiff eager <= 25 us (the ratio shown is eager / 25 us).
"""

import overhead as oh

import funcdiff as fd
from workloads.common import check, jax_ready, make_row, measure, value_target

NUMBER, NAME, TITLE = 3, "poly", "grad of `sin(x)*x**2` at a float"
PEERS = ("autograd", "torch", "jax")
LIMIT_S = 25e-6


def candidates(peers, x):
    g, jg = fd.grad(oh.poly_fd), fd.jit(fd.grad(oh.poly_fd))
    cands = {
        "funcdiff eager": lambda: g(x),
        "funcdiff jit": lambda: jg(x),
        "reference": lambda: oh.hand_poly_grad(x),
    }
    if "autograd" in peers:
        autograd, anp = peers["autograd"]
        ag = autograd.grad(lambda v: anp.sin(v) * v**2)
        cands["autograd"] = lambda: ag(x)
    if "torch" in peers:
        torch = peers["torch"]
        tg = torch.func.grad(lambda t: torch.sin(t) * t**2)
        t = torch.tensor(x, dtype=torch.float64)
        cands["torch"] = lambda: tg(t).item()
    if "jax" in peers:
        jax = peers["jax"]
        jgr = jax.grad(lambda v: jax.numpy.sin(v) * v**2)
        jj = jax.jit(jgr)
        cands["jax eager"] = jax_ready(peers, lambda: jgr(x))
        cands["jax jit"] = jax_ready(peers, lambda: jj(x))
    return cands


def run(ctx):
    x = oh.X_POLY
    cands, checks = check(ctx, "3 poly", candidates(ctx.peers, x), 1e-12)
    timing = measure(ctx, cands)
    eager = timing["medians"].get("funcdiff eager")
    tgt = value_target(
        "eager / 25 us", None if eager is None else eager / LIMIT_S, 1.0, "eager <= 25 us"
    )
    return [
        make_row(
            f"x={x}",
            timing,
            reference="closed form (math)",
            targets=[tgt],
            checks=checks,
            notes=["torch: torch.func.grad"],
        )
    ]
