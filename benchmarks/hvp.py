"""Hessian-vector products: workload 6 of the benchmark plan, measured in one run.

1. HVP of the 784-512-512-10 tanh MLP with softmax cross-entropy (B=128,
   seeded random data, params a dict) along a random direction v:
   forward-over-reverse `fd.jvp(fd.grad(loss), (params,), (v,))` and
   reverse-over-reverse `fd.grad(lambda p: vdot(fd.grad(loss)(p), v))`, eager
   and under `fd.jit`. Reference: a hand-written NumPy HVP with Pearlmutter's
   R-operator (forward pass, R-forward, backward, R-backward).
2. The full Hessian of logistic regression (n = 100 and 1000 features, 1000
   samples) as `fd.vmap(hvp)` over the identity, vs the closed form
   X^T diag(p(1-p)) X / B. `fd.hessian` (jacfwd of jacrev) is timed as well.

Peers when importable: torch.func (jvp(grad), grad of vdot(grad), vmap),
jax (eager and jit, with block_until_ready), autograd (reverse-over-reverse).
Targets: funcdiff eager <= 0.7x torch.func; funcdiff jit <= 1.0x jax jit.

Methodology as in overhead.py and per_example.py: one BLAS thread,
candidates interleaved round-robin, medians, paired per-round ratios, every
result checked against the hand reference (relative error <= 1e-8) first.

Usage (from the repository root):

    python benchmarks/hvp.py              # full run, about 2 min
    python benchmarks/hvp.py --quick      # fewer rounds, no n=1000 Hessian, about 20 s
    python benchmarks/hvp.py --json out.json
    python benchmarks/hvp.py --profile    # cProfile of funcdiff's HVPs and Hessian
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread, set before NumPy is imported

import sys  # noqa: E402

import numpy as np  # noqa: E402
import per_example as pe  # noqa: E402  (the timing harness; also puts the repo on sys.path)

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402

fmt_time, fmt_ratio = pe.fmt_time, pe.fmt_ratio
SIZES = (784, 512, 512, 10)
BATCH = 128
HESSIAN_N = (100, 1000)
HESSIAN_B = 1000  # samples of the logistic regression
TOL = 1e-8
KEYS = pe.KEYS
MODES = ("fwd-over-rev", "rev-over-rev")
VS_TORCH = 0.7  # funcdiff eager <= 0.7x torch.func
VS_JAX = 1.0  # funcdiff jit <= 1.0x jax jit


# --------------------------------------------------------------------------
# The MLP and its losses


def make_mlp_loss(xp, logsumexp):
    """Mean softmax cross-entropy of the MLP, written against the NumPy-like module `xp`.

    The data are arguments, not closure constants, so no jit can fold them.
    """

    def loss(p, X, Y):
        h = xp.tanh(X @ p["W0"] + p["b0"])
        h = xp.tanh(h @ p["W1"] + p["b1"])
        z = h @ p["W2"] + p["b2"]
        return (xp.sum(logsumexp(z)) - xp.sum(Y * z)) / X.shape[0]

    return loss


def fd_logsumexp(z):
    """Row-wise log-sum-exp, shifted by the (constant) row max."""
    m = fd.stop_gradient(fnp.max(z, axis=1, keepdims=True))
    return fnp.log(fnp.sum(fnp.exp(z - m), axis=1, keepdims=True)) + m


def fd_tree_vdot(a, b):
    return sum(fnp.vdot(a[k], b[k]) for k in KEYS)


def hand_hvp(p, v, X, Y):
    """H v by Pearlmutter's R-operator: R{.} is the directional derivative along v.

    forward, R-forward (tangents of the activations), backward (cotangents),
    R-backward (tangents of the cotangents); R{grad} is the HVP.
    """
    W0, b0, W1, b1, W2, b2 = (p[k] for k in KEYS)
    V0, c0, V1, c1, V2, c2 = (v[k] for k in KEYS)
    n = X.shape[0]
    # forward
    h1 = np.tanh(X @ W0 + b0)
    h2 = np.tanh(h1 @ W1 + b1)
    z = h2 @ W2 + b2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    prob = e / e.sum(axis=1, keepdims=True)
    s1, s2 = 1.0 - h1 * h1, 1.0 - h2 * h2  # tanh'
    # R-forward
    r_h1 = s1 * (X @ V0 + c0)
    r_h2 = s2 * (r_h1 @ W1 + h1 @ V1 + c1)
    r_z = r_h2 @ W2 + h2 @ V2 + c2
    r_prob = prob * (r_z - np.sum(prob * r_z, axis=1, keepdims=True))
    # backward (only the cotangents the R-backward needs)
    d_z = (prob - Y) / n
    d_h2 = d_z @ W2.T
    d_a2 = d_h2 * s2
    d_h1 = d_a2 @ W1.T
    # R-backward: R{d_a} = R{d_h} * s - d_h * 2 h R{h}
    r_dz = r_prob / n
    out = {"W2": r_h2.T @ d_z + h2.T @ r_dz, "b2": r_dz.sum(axis=0)}
    r_da2 = (r_dz @ W2.T + d_z @ V2.T) * s2 - 2.0 * d_h2 * h2 * r_h2
    out["W1"], out["b1"] = r_h1.T @ d_a2 + h1.T @ r_da2, r_da2.sum(axis=0)
    r_da1 = (r_da2 @ W1.T + d_a2 @ V1.T) * s1 - 2.0 * d_h1 * h1 * r_h1
    out["W0"], out["b0"] = X.T @ r_da1, r_da1.sum(axis=0)
    return out


def mlp_data(seed=0):
    rng = np.random.default_rng(seed)
    params = pe.init_params(rng, SIZES)
    v = {k: rng.standard_normal(a.shape) for k, a in params.items()}
    X = rng.standard_normal((BATCH, SIZES[0]))
    Y = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], BATCH)]
    return params, v, X, Y


def fd_hvps():
    """funcdiff's two HVPs `f(params, v, X, Y)`."""
    loss = make_mlp_loss(fnp, fd_logsumexp)

    def fwd_over_rev(p, v, X, Y):
        return fd.jvp(lambda q: fd.grad(loss)(q, X, Y), (p,), (v,))[1]

    def rev_over_rev(p, v, X, Y):
        return fd.grad(lambda q: fd_tree_vdot(fd.grad(loss)(q, X, Y), v))(p)

    return {"fwd-over-rev": fwd_over_rev, "rev-over-rev": rev_over_rev}


def candidates_mlp(peers, params, v, X, Y):
    """name -> zero-argument callable returning H v as a dict."""
    cands = {"hand R-op": lambda: hand_hvp(params, v, X, Y)}
    for mode, f in fd_hvps().items():
        jf = fd.jit(f)
        cands[f"funcdiff {mode}"] = lambda f=f: f(params, v, X, Y)
        cands[f"funcdiff jit {mode}"] = lambda jf=jf: jf(params, v, X, Y)
    if "torch" in peers:
        torch = peers["torch"]
        tp = {k: torch.from_numpy(a) for k, a in params.items()}
        tv = {k: torch.from_numpy(a) for k, a in v.items()}
        tX, tY = torch.from_numpy(X), torch.from_numpy(Y)
        tloss = make_mlp_loss(torch, lambda z: torch.logsumexp(z, dim=1))
        tgrad = torch.func.grad(tloss)

        def t_fwd():
            return torch.func.jvp(lambda q: tgrad(q, tX, tY), (tp,), (tv,))[1]

        def t_rev():
            return torch.func.grad(lambda q: sum(torch.sum(g * tv[k])
                                                 for k, g in tgrad(q, tX, tY).items()))(tp)

        cands["torch.func fwd-over-rev"] = t_fwd
        cands["torch.func rev-over-rev"] = t_rev
    if "jax" in peers:
        jax = peers["jax"]
        jnp = jax.numpy
        jp = {k: jnp.asarray(a) for k, a in params.items()}
        jv = {k: jnp.asarray(a) for k, a in v.items()}
        jX, jY = jnp.asarray(X), jnp.asarray(Y)
        jgrad = jax.grad(make_mlp_loss(jnp, lambda z: jax.nn.logsumexp(z, axis=1)))

        def j_fwd(p, u, X, Y):
            return jax.jvp(lambda q: jgrad(q, X, Y), (p,), (u,))[1]

        def j_rev(p, u, X, Y):
            return jax.grad(lambda q: sum(jnp.vdot(g, u[k])
                                          for k, g in jgrad(q, X, Y).items()))(p)

        for mode, f in (("fwd-over-rev", j_fwd), ("rev-over-rev", j_rev)):
            jf = jax.jit(f)
            cands[f"jax eager {mode}"] = lambda f=f: jax.block_until_ready(f(jp, jv, jX, jY))
            cands[f"jax jit {mode}"] = lambda jf=jf: jax.block_until_ready(jf(jp, jv, jX, jY))
    if "autograd" in peers:
        autograd, anp = peers["autograd"]
        from autograd.scipy.special import logsumexp

        agrad = autograd.grad(make_mlp_loss(anp, lambda z: logsumexp(z, axis=1)))
        arev = autograd.grad(lambda q: sum(anp.sum(g * v[k])
                                           for k, g in agrad(q, X, Y).items()))
        cands["autograd rev-over-rev"] = lambda: arev(params)
    return cands


def mlp_rows(peers, args, failures):
    params, v, X, Y = mlp_data()
    cands = candidates_mlp(peers, params, v, X, Y)
    label = f"6 MLP HVP B={BATCH}"
    want = cands["funcdiff fwd-over-rev"]()
    hand = cands["hand R-op"]()
    err = pe.rel_err(hand, want)
    if err > TOL:
        failures.append(f"{label}: hand R-op differs from funcdiff (rel err {err:.3g})")
        return []
    cands = pe.checked(cands, hand, TOL, failures, label)
    samples, ks = pe.interleaved(cands, args.rounds, args.batch, args.budget)
    rows = []
    for mode in MODES:
        names = [n for n in samples if n == "hand R-op" or n.endswith(mode)]
        r = pe.row(f"6 HVP, {mode}", f"MLP B={BATCH}", {n: samples[n] for n in names},
                   {n: ks[n] for n in names})
        r["check_hand_vs_funcdiff"] = err
        rows.append(targets(r, mode, "hand R-op"))
    return rows


def targets(r, mode, ref):
    """Add the column names and the two targets (vs torch.func, vs jax jit) to row `r`."""
    sfx = "" if mode is None else f" {mode}"
    r["cols"] = {"eager": f"funcdiff{sfx}", "jit": f"funcdiff jit{sfx}", "hand": ref,
                 "torch": f"torch.func{sfx}", "jax": f"jax jit{sfx}"}
    c, rat = r["cols"], r["ratios"]
    vs_t = rat.get(f"{c['eager']} / {c['torch']}")
    vs_j = rat.get(f"{c['jit']} / {c['jax']}")
    r["target"] = f"eager <= {VS_TORCH:g}x torch.func; jit <= {VS_JAX:g}x jax jit"
    r["met_vs_torch"] = None if vs_t is None else vs_t <= VS_TORCH
    r["met_vs_jax"] = None if vs_j is None else vs_j <= VS_JAX
    return r


# --------------------------------------------------------------------------
# Full Hessian of logistic regression


def logistic_data(n, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((HESSIAN_B, n))
    y = rng.integers(0, 2, HESSIAN_B).astype(np.float64)
    w = rng.standard_normal(n) / np.sqrt(n)  # logits of order 1
    return w, X, y


def closed_form_hessian(w, X, y):
    p = 1.0 / (1.0 + np.exp(-(X @ w)))
    return X.T @ ((p * (1.0 - p))[:, None] * X) / X.shape[0]


def candidates_hessian(peers, w, X, y):
    """name -> zero-argument callable returning the n x n Hessian.

    The data and the identity are arguments of the jitted functions, not
    closure constants: a jit could otherwise fold X @ I at compile time.
    """
    eye = np.eye(w.size)

    def loss(w, X, y):
        z = X @ w
        return fnp.mean(fnp.logaddexp(0.0, z) - y * z)

    def full_hessian(w, X, y, eye):
        def hvp(u):
            return fd.jvp(lambda w: fd.grad(loss)(w, X, y), (w,), (u,))[1]

        return fd.vmap(hvp)(eye)

    jitted = fd.jit(full_hessian)
    hess = fd.hessian(loss)
    cands = {
        "closed form": lambda: closed_form_hessian(w, X, y),
        "funcdiff": lambda: full_hessian(w, X, y, eye),
        "funcdiff jit": lambda: jitted(w, X, y, eye),
        "funcdiff fd.hessian": lambda: hess(w, X, y),
    }
    if "torch" in peers:
        torch = peers["torch"]
        targs = tuple(torch.from_numpy(a) for a in (w, X, y, eye))

        def tloss(w, X, y):
            z = X @ w
            return torch.mean(torch.nn.functional.softplus(z) - y * z)

        def thess(w, X, y, eye):
            tgrad = torch.func.grad(tloss)
            return torch.func.vmap(lambda u: torch.func.jvp(lambda w: tgrad(w, X, y),
                                                            (w,), (u,))[1])(eye)

        cands["torch.func"] = lambda: thess(*targs)
    if "jax" in peers:
        jax = peers["jax"]
        jnp = jax.numpy
        jargs = tuple(jnp.asarray(a) for a in (w, X, y, eye))

        def jloss(w, X, y):
            z = X @ w
            return jnp.mean(jax.nn.softplus(z) - y * z)

        def jhess(w, X, y, eye):
            jgrad = jax.grad(jloss)
            return jax.vmap(lambda u: jax.jvp(lambda w: jgrad(w, X, y), (w,), (u,))[1])(eye)

        jj = jax.jit(jhess)
        cands["jax eager"] = lambda: jax.block_until_ready(jhess(*jargs))
        cands["jax jit"] = lambda: jax.block_until_ready(jj(*jargs))
    return cands


def hessian_rows(peers, args, failures):
    rows = []
    for n in HESSIAN_N[:1] if args.quick else HESSIAN_N:
        w, X, y = logistic_data(n)
        cands = candidates_hessian(peers, w, X, y)
        label = f"6 logistic Hessian n={n}"
        want = cands["closed form"]()
        cands = pe.checked(cands, want, TOL, failures, label)
        r = pe.row("6 Hessian, vmap(hvp)", f"logistic n={n}",
                   *pe.interleaved(cands, args.rounds, args.batch, args.budget))
        rows.append(targets(r, None, "closed form"))
    return rows


# --------------------------------------------------------------------------
# Report


def _met(flag):
    return "n/a" if flag is None else ("yes" if flag else "**no**")


def markdown(rows):
    lines = [
        "| workload | size | funcdiff eager | funcdiff jit | hand | eager / hand | jit / hand "
        "| torch.func | eager / torch.func (<= 0.7x) | jax jit | jit / jax jit (<= 1.0x) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        med, rat, c = r["medians_s"], r["ratios"], r["cols"]
        vs_t = rat.get(f"{c['eager']} / {c['torch']}")
        vs_j = rat.get(f"{c['jit']} / {c['jax']}")
        vs_t = "-" if vs_t is None else f"{vs_t:.2f}x, met: {_met(r['met_vs_torch'])}"
        vs_j = "-" if vs_j is None else f"{vs_j:.2f}x, met: {_met(r['met_vs_jax'])}"
        lines.append(
            f"| {r['workload']} | {r['size']} | {fmt_time(med.get(c['eager']))} | "
            f"{fmt_time(med.get(c['jit']))} | {fmt_time(med.get(c['hand']))} "
            f"({c['hand']}) | {fmt_ratio(rat.get(c['eager'] + ' / ' + c['hand']))} | "
            f"{fmt_ratio(rat.get(c['jit'] + ' / ' + c['hand']))} | "
            f"{fmt_time(med.get(c['torch']))} | {vs_t} | {fmt_time(med.get(c['jax']))} | "
            f"{vs_j} |"
        )
    lines += ["", "Every candidate (same run; ratio = funcdiff eager / candidate, paired):", "",
              "| workload | size | candidate | median | funcdiff eager / candidate | rounds |",
              "|---|---|---|---|---|---|"]
    for r in rows:
        eager = r["cols"]["eager"]
        for n, t in r["medians_s"].items():
            rel = "-" if n == eager else fmt_ratio(r["ratios"].get(f"{eager} / {n}"))
            lines.append(f"| {r['workload']} | {r['size']} | {n} | {fmt_time(t)} | {rel} | "
                         f"{r['rounds']} |")
    return "\n".join(lines)


def profile(calls, top):
    """cProfile funcdiff's two MLP HVPs and the n=100 logistic Hessian; top entries by tottime."""
    import cProfile
    import pstats

    params, v, X, Y = mlp_data()
    jobs = [(f"MLP HVP {mode}, B={BATCH}", lambda f=f: f(params, v, X, Y))
            for mode, f in fd_hvps().items()]
    w, Xl, yl = logistic_data(HESSIAN_N[0])
    jobs.append((f"logistic Hessian vmap(hvp), n={HESSIAN_N[0]}",
                 candidates_hessian({}, w, Xl, yl)["funcdiff"]))
    for title, fn in jobs:
        fn()
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(calls):
            fn()
        prof.disable()
        print(f"## cProfile: {calls} calls of {title}, by tottime\n")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main(argv=None):
    args = pe.parse_args(argv, __doc__, budget_full=30.0, budget_quick=8.0)
    if args.profile:
        profile(20, 20)
        return 0
    peers, info = pe.setup(args)
    pe.header("funcdiff Hessian-vector products (workload 6)", args, info)
    failures = []
    rows = mlp_rows(peers, args, failures) + hessian_rows(peers, args, failures)
    return pe.report(rows, failures, info, args, markdown(rows))


if __name__ == "__main__":
    sys.exit(main())
