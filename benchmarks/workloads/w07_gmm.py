"""Workload 7: GradBench `gmm` gradient (log posterior of a Gaussian mixture, Wishart prior),
n = 1000 points, d in {2, 10, 20, 32, 64} x K in {5, 10, 25, 50, 100}.

funcdiff eager is the GradBench tool's own function (`evals/gmm.py`, `fd.grad` w.r.t.
`alpha, mu, q, l`); funcdiff jit is `fd.jit` of it (m and gamma static). The plan's
reference is GradBench's C++ `manual` tool, which is not available here: the reference is a
hand-written NumPy gradient instead (the same expansion of the quadratic forms through the
precision matrices `P_k = Q_k^T Q_k`, then `dF/dQ_k = -Q_k S_k` with `S_k` the responsibility-
weighted scatter of the points about `mu_k`). Peers compute the objective as GradBench's
PyTorch tool does (the `N x K x D` tensor of `Q_k (x_i - mu_k)`), each with its own reverse
mode. Data: random like ADBench's generator (alpha, q, l, x standard normal, mu uniform),
m = 0, gamma = 1.

Full runs time the whole 5 x 5 grid (about 3 min here; d in {2, 10, 64} x K in {5, 25, 100}
only with the environment variable FUNCDIFF_BENCH_GMM_GRID=subset); quick runs d=2 K=5 and
the target size d=10 K=25.

Targets: eager <= 1.5x the reference at d=10, K=25 (the plan: <= 1.5x C++ manual), and
eager <= 1.0x torch at every size.
"""

import math
import os

import numpy as np
from evals import gmm

import funcdiff as fd
from workloads.common import (
    MANUAL,
    Ops,
    add_manual,
    check,
    jax_ready,
    make_row,
    manual_binary,
    measure,
    progress,
    target,
    tree_map,
)

NUMBER, NAME, TITLE = 7, "gmm", "GradBench `gmm` gradient, n=1000"
PEERS = ("autograd", "torch", "jax")
N = 1000
GRID = [(d, k) for d in (2, 10, 20, 32, 64) for k in (5, 10, 25, 50, 100)]  # the plan's
SUBSET = [(d, k) for d in (2, 10, 64) for k in (5, 25, 100)]  # with FUNCDIFF_BENCH_GMM_GRID
TARGET_SIZE = (10, 25)
M, GAMMA = 0, 1.0
KEYS = ("alpha", "mu", "q", "l")


def data(d, k, seed=0):
    rng = np.random.default_rng(seed)
    params = {
        "alpha": rng.standard_normal(k),
        "mu": rng.random((k, d)),
        "q": rng.standard_normal((k, d)),
        "l": rng.standard_normal((k, d * (d - 1) // 2)),
    }
    return params, rng.standard_normal((N, d))


def _lower(d):
    """Row and column indices of the strictly lower triangle, column by column (GradBench)."""
    rows, cols = [], []
    for c in range(d):
        for r in range(c + 1, d):
            rows.append(r)
            cols.append(c)
    return np.array(rows, dtype=np.intp), np.array(cols, dtype=np.intp)


def hand_gradient(params, x, m, gamma):
    """d F / d (alpha, mu, q, l) by hand.

    With responsibilities `r = softmax_k(beta)`, `R_k = sum_i r_ik`, `xr_k = sum_i r_ik x_i`:
    dF/dalpha = R - N softmax(alpha); dF/dmu_k = P_k (xr_k - R_k mu_k);
    dF/dQ_k = -Q_k S_k with S_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T; q gets the chain
    rule through exp on the diagonal plus R_k (from sum q in beta) and the prior terms.
    """
    alpha, mu, q, lower = (params[k] for k in KEYS)
    n, d = x.shape
    k = alpha.size
    rows, cols = _lower(d)
    di = np.arange(d)
    qdiag = np.exp(q)
    Q = np.zeros((k, d, d))
    Q[:, rows, cols] = lower
    Q[:, di, di] = qdiag
    P = np.matmul(Q.transpose(0, 2, 1), Q)
    Pmu = np.einsum("kjl,kl->kj", P, mu)
    iu, ju = np.triu_indices(d)
    xu = x[:, iu] * x[:, ju]  # (n, T): upper triangle of every x_i x_i^T
    quad = ((xu * np.where(iu == ju, 1.0, 2.0)) @ P[:, iu, ju].T - 2.0 * (x @ Pmu.T)
            + np.sum(mu * Pmu, axis=1))  # fmt: skip
    beta = alpha + q.sum(axis=1) - 0.5 * quad
    e = np.exp(beta - beta.max(axis=1, keepdims=True))
    r = e / e.sum(axis=1, keepdims=True)
    ea = np.exp(alpha - alpha.max())
    rsum = r.sum(axis=0)
    xr = r.T @ x
    su = r.T @ xu
    S = np.empty((k, d, d))
    S[:, iu, ju] = su
    S[:, ju, iu] = su
    mxr = mu[:, :, None] * xr[:, None, :]
    S -= mxr + mxr.transpose(0, 2, 1) - rsum[:, None, None] * (mu[:, :, None] * mu[:, None, :])
    dQ = -np.matmul(Q, S)
    return {
        "alpha": rsum - n * ea / ea.sum(),
        "mu": np.einsum("kjl,kl->kj", P, xr - rsum[:, None] * mu),
        "q": rsum[:, None] + dQ[:, di, di] * qdiag - gamma * gamma * qdiag * qdiag + m,
        "l": dQ[:, rows, cols] - gamma * gamma * lower,
    }


def peer_objective(ops, x, m, gamma):
    """GradBench-PyTorch-style objective of the parameter dict, written against `ops`."""
    n, d = x.shape
    gather = ops.const(gmm._tril_gather(d))
    eye, xc = ops.const(np.eye(d)), ops.const(x)

    def lse(v, axis=None):
        mx = ops.max(v, axis=axis, keepdims=True)
        return ops.log(ops.sum(ops.exp(v - mx), axis=axis)) + ops.max(v, axis=axis)

    def objective(p):
        alpha, mu, q, lower = (p[k] for k in KEYS)
        k = alpha.shape[0]
        nu = d + m + 1
        const = -n * d * 0.5 * math.log(2 * math.pi) + k * (
            nu * d * (math.log(gamma) - 0.5 * math.log(2)) - gmm.log_multigamma(0.5 * nu, d)
        )
        qdiag = ops.exp(q)
        sum_q = ops.sum(q, axis=1)
        lpad = ops.concatenate([lower, ops.zeros((k, 1))], axis=1)
        Q = lpad[:, gather].reshape(k, d, d) + qdiag[:, :, None] * eye
        z = ops.einsum("kij,nkj->nki", Q, xc[:, None, :] - mu[None])
        beta = alpha + sum_q - 0.5 * ops.sum(z * z, axis=2)
        frob = ops.sum(qdiag * qdiag) + ops.sum(lower * lower)
        prior = -(0.5 * gamma * gamma * frob - m * ops.sum(sum_q))
        return const + ops.sum(lse(beta, axis=1)) - n * lse(alpha) + prior

    return objective


_jit_grad = fd.jit(fd.grad(gmm.objective), static_argnums=(2, 3))


def candidates(peers, params, x):
    args = (params, x, M, GAMMA)
    cands = {
        "funcdiff eager": lambda: gmm.FUNCTIONS["jacobian"](args),
        "funcdiff jit": lambda: _jit_grad(*args),
        "reference": lambda: hand_gradient(*args),
    }
    if "autograd" in peers:
        ag = peers["autograd"][0].grad(peer_objective(Ops("autograd", peers), x, M, GAMMA))
        cands["autograd"] = lambda: ag(params)
    if "torch" in peers:
        torch = peers["torch"]
        tp = tree_map(torch.from_numpy, params)
        tg = torch.func.grad(peer_objective(Ops("torch", peers), x, M, GAMMA))
        cands["torch"] = lambda: tg(tp)
    if "jax" in peers:
        jax = peers["jax"]
        jp = tree_map(jax.numpy.asarray, params)
        jg = jax.grad(peer_objective(Ops("jax", peers), x, M, GAMMA))
        jj = jax.jit(jg)
        cands["jax eager"] = jax_ready(peers, lambda: jg(jp))
        cands["jax jit"] = jax_ready(peers, lambda: jj(jp))
    return cands


def run(ctx):
    rows = []
    grid = SUBSET if os.environ.get("FUNCDIFF_BENCH_GMM_GRID") == "subset" else GRID
    for d, k in ctx.pick(grid, [GRID[0], TARGET_SIZE], [GRID[0]]):
        params, x = data(d, k)
        label = f"7 gmm d={d} K={k}"
        cands, checks = check(ctx, label, candidates(ctx.peers, params, x), 1e-8)
        timing = measure(ctx, cands)
        binary = manual_binary("gmm")
        if binary is not None and (d, k) in (TARGET_SIZE, *ctx.pick([], [], [GRID[0]])):
            inp = {"d": d, "k": k, "n": N, "m": M, "gamma": GAMMA, "x": x.tolist(),
                   **{name: params[name].tolist() for name in KEYS}}  # fmt: skip
            want = gmm.to_json("jacobian", cands["funcdiff eager"]())
            add_manual(ctx, label, timing, cands, binary, inp, "jacobian", want)
        targets = [target(timing, "funcdiff eager", "torch", 1.0)]
        if (d, k) == TARGET_SIZE:
            if f"funcdiff eager / {MANUAL}" in timing["ratios"]:
                plan = target(timing, "funcdiff eager", MANUAL, 1.5)
            else:
                plan = target(timing, "funcdiff eager", "reference", 1.5,
                              "eager <= 1.5x reference (plan: C++ manual)")  # fmt: skip
            targets.insert(0, plan)
        rows.append(make_row(
            f"d={d} K={k}", timing, reference="hand-written NumPy gradient", targets=targets,
            checks=checks, notes=["peers: GradBench-PyTorch-style N x K x D objective",
                                  "torch: torch.func.grad"]))  # fmt: skip
        progress(f"  {label}: done")
    return rows
