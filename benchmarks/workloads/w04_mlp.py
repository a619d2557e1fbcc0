"""Workload 4: gradient of the loss of an MLP 784-512-512-10 (tanh, mean softmax
cross-entropy, parameters a dict) at B = 1, 32, 128, 1024.

The loss is `hvp.py`'s (the same model as workload 6). Reference: a hand-written NumPy
backprop (forward, softmax minus labels, three layers back). Targets: funcdiff eager <=
1.15x the hand backprop; funcdiff jit <= 1.0x.
"""

import hvp
import numpy as np
import per_example as pe

import funcdiff as fd
import funcdiff.numpy as fnp
from workloads.common import check, jax_ready, make_row, measure, progress, target, tree_map

NUMBER, NAME, TITLE = 4, "mlp", "MLP 784-512-512-10 loss grad"
PEERS = ("autograd", "torch", "jax")
SIZES = hvp.SIZES
BATCHES = (1, 32, 128, 1024)

loss = hvp.make_mlp_loss(fnp, hvp.fd_logsumexp)


def data(b, seed=0):
    rng = np.random.default_rng(seed)
    params = pe.init_params(rng, SIZES)
    X = rng.standard_normal((b, SIZES[0]))
    Y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], b)]
    return params, X, Y


def hand_grad(p, X, Y):
    """Backprop by hand: d loss / d z = (softmax(z) - Y) / B, then each layer back."""
    h1 = np.tanh(X @ p["W0"] + p["b0"])
    h2 = np.tanh(h1 @ p["W1"] + p["b1"])
    z = h2 @ p["W2"] + p["b2"]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    dz = (e / e.sum(axis=1, keepdims=True) - Y) / X.shape[0]
    g = {"W2": h2.T @ dz, "b2": dz.sum(axis=0)}
    da = (dz @ p["W2"].T) * (1.0 - h2 * h2)
    g["W1"], g["b1"] = h1.T @ da, da.sum(axis=0)
    da = (da @ p["W1"].T) * (1.0 - h1 * h1)
    g["W0"], g["b0"] = X.T @ da, da.sum(axis=0)
    return g


def candidates(peers, params, X, Y):
    g, jg = fd.grad(loss), fd.jit(fd.grad(loss))
    cands = {
        "funcdiff eager": lambda: g(params, X, Y),
        "funcdiff jit": lambda: jg(params, X, Y),
        "reference": lambda: hand_grad(params, X, Y),
    }
    if "autograd" in peers:
        autograd, anp = peers["autograd"]
        from autograd.scipy.special import logsumexp

        ag = autograd.grad(hvp.make_mlp_loss(anp, lambda z: logsumexp(z, axis=1)))
        cands["autograd"] = lambda: ag(params, X, Y)
    if "torch" in peers:
        torch = peers["torch"]
        tp = tree_map(torch.from_numpy, params)
        tX, tY = torch.from_numpy(X), torch.from_numpy(Y)
        tg = torch.func.grad(hvp.make_mlp_loss(torch, lambda z: torch.logsumexp(z, dim=1)))
        cands["torch"] = lambda: tg(tp, tX, tY)
    if "jax" in peers:
        jax = peers["jax"]
        jp = tree_map(jax.numpy.asarray, params)
        jX, jY = jax.numpy.asarray(X), jax.numpy.asarray(Y)
        jgr = jax.grad(hvp.make_mlp_loss(jax.numpy, lambda z: jax.nn.logsumexp(z, axis=1)))
        jj = jax.jit(jgr)
        cands["jax eager"] = jax_ready(peers, lambda: jgr(jp, jX, jY))
        cands["jax jit"] = jax_ready(peers, lambda: jj(jp, jX, jY))
    return cands


def run(ctx):
    rows = []
    for b in ctx.pick(BATCHES, BATCHES[:1]):
        params, X, Y = data(b)
        cands, checks = check(ctx, f"4 mlp B={b}", candidates(ctx.peers, params, X, Y), 1e-10)
        timing = measure(ctx, cands)
        targets = [
            target(timing, "funcdiff eager", "reference", 1.15),
            target(timing, "funcdiff jit", "reference", 1.0),
        ]
        rows.append(
            make_row(
                f"B={b}",
                timing,
                reference="hand backprop (NumPy)",
                targets=targets,
                checks=checks,
                notes=["torch: torch.func.grad"],
            )
        )
        progress(f"  4 B={b}: done")
    return rows
