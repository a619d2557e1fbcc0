"""Workload 2: grad of a chain of 50 scalar `sin` at x = 2.0 (the per-operation cost).

Functions from `overhead.py`. Reference: the hand-written loop on Python floats (`math.sin`
forward storing the inputs, `math.cos` products backward). Targets: funcdiff eager <= 0.5x
autograd; funcdiff jit <= 2x the hand loop.
"""

import overhead as oh

import funcdiff as fd
from workloads.common import check, jax_ready, make_row, measure, target

NUMBER, NAME, TITLE = 2, "chain", "grad of a 50-`sin` scalar chain"
PEERS = ("autograd", "torch", "jax")


def candidates(peers, x):
    g, jg = fd.grad(oh.chain_fd), fd.jit(fd.grad(oh.chain_fd))
    cands = {
        "funcdiff eager": lambda: g(x),
        "funcdiff jit": lambda: jg(x),
        "reference": lambda: oh.hand_chain_grad(x),
        "hand numpy": lambda: oh.hand_chain_grad_numpy(x),
    }
    if "autograd" in peers:
        autograd, anp = peers["autograd"]

        def chain_ag(v):
            for _ in range(oh.CHAIN):
                v = anp.sin(v)
            return v

        ag = autograd.grad(chain_ag)
        cands["autograd"] = lambda: ag(x)
    if "torch" in peers:
        torch = peers["torch"]
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)

        def torch_grad():
            y = t
            for _ in range(oh.CHAIN):
                y = torch.sin(y)
            return torch.autograd.grad(y, t)[0].item()

        cands["torch"] = torch_grad
    if "jax" in peers:
        jax = peers["jax"]

        def chain_jax(v):
            for _ in range(oh.CHAIN):
                v = jax.numpy.sin(v)
            return v

        jgr, jj = jax.grad(chain_jax), jax.jit(jax.grad(chain_jax))
        cands["jax eager"] = jax_ready(peers, lambda: jgr(x))
        cands["jax jit"] = jax_ready(peers, lambda: jj(x))
    return cands


def run(ctx):
    x = oh.X_CHAIN
    cands, checks = check(ctx, "2 chain", candidates(ctx.peers, x), 1e-12)
    timing = measure(ctx, cands)
    targets = [
        target(timing, "funcdiff eager", "autograd", 0.5),
        target(timing, "funcdiff jit", "reference", 2.0, "jit <= 2x hand loop"),
    ]
    return [
        make_row(
            f"x={x}",
            timing,
            reference="hand loop (math.sin/cos)",
            targets=targets,
            checks=checks,
            notes=["torch: torch.autograd.grad on a 0-d tensor"],
        )
    ]
