"""Per-example gradients: workload 5 of the benchmark plan, measured in one run.

`fd.vmap(fd.grad(loss), in_axes=(None, 0, 0))(params, xs, ys)`: one gradient
per example of an MLP 32-64-64-1 (tanh hidden layers, squared error, params a
dict), at B = 64, 256, 1024. The reference is a hand-written NumPy backprop
that computes every example's gradient at once (the weight gradients are
per-example outer products, `np.einsum("bi,bj->bij", ...)`). Also timed:
`fd.jit` of the same function, the hand backprop with broadcasting instead of
einsum, and peers when importable (autograd: a Python loop of grads; jax:
`jit(vmap(grad))` and eager `vmap(grad)`; torch: `torch.func.vmap(grad)`).

Methodology as in overhead.py: one BLAS thread, candidates interleaved
round-robin (rotating the order), medians, paired per-round ratios, every
result checked against the reference before timing.

Usage (from the repository root):

    python benchmarks/per_example.py              # full run, about 2 min
    python benchmarks/per_example.py --quick      # fewer rounds, about 20 s
    python benchmarks/per_example.py --json out.json
    python benchmarks/per_example.py --profile    # cProfile of funcdiff's vmap(grad), B=256
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread, set before NumPy is imported

import argparse  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

_HERE = Path(__file__).resolve().parent
for _p in (str(_HERE.parent), str(_HERE)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from overhead import fmt_time, load_peers, meta, report  # noqa: E402

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402

SIZES = (32, 64, 64, 1)  # layer widths
BATCHES = (64, 256, 1024)
TARGET_B = 256  # the plan's target is stated at this batch size
TARGET = 2.0  # funcdiff eager <= 2x hand einsum
TOL = 1e-10
KEYS = ("W0", "b0", "W1", "b1", "W2", "b2")


# --------------------------------------------------------------------------
# Timing (shared with hvp.py): zero-argument callables, interleaved rounds


def _time_batch(fn, k):
    """Seconds per call of `fn()`, timed over a batch of `k` calls."""
    t0 = time.perf_counter()
    for _ in range(k):
        fn()
    return (time.perf_counter() - t0) / k


def _calibrate(fn, batch_seconds):
    """(k, seconds per call): k calls take about `batch_seconds` (at least one call)."""
    fn()  # warm up (a jit compiles here, if the check did not already)
    per_call = min(_time_batch(fn, 1) for _ in range(3))
    return max(1, min(1 << 16, round(batch_seconds / per_call))), per_call


def interleaved(candidates, rounds, batch_seconds, budget=None, min_rounds=5):
    """Per-call seconds of each candidate `name -> fn`: one sample per round.

    Each round times every candidate once (one batch each), rotating the
    order. With `budget` (seconds), the rounds are cut so that the row takes
    about that long, but never below `min_rounds`.
    """
    names = list(candidates)
    ks, per_call = {}, {}
    for n in names:
        ks[n], per_call[n] = _calibrate(candidates[n], batch_seconds)
    if budget is not None:
        per_round = sum((ks[n] + 1) * per_call[n] for n in names)
        rounds = max(min_rounds, min(rounds, int(budget / per_round)))
    samples = {n: [] for n in names}
    for r in range(rounds):
        s = r % len(names)
        for n in names[s:] + names[:s]:
            candidates[n]()  # untimed: the caches the previous candidate left are not its cost
            samples[n].append(_time_batch(candidates[n], ks[n]))
    return samples, ks


def summarize(samples):
    """Medians, quartiles and paired ratios "a / b" for every funcdiff candidate a."""
    med = {n: statistics.median(s) for n, s in samples.items()}
    quartiles = {n: [float(q) for q in np.percentile(s, [25, 75])] for n, s in samples.items()}
    ratios = {}
    for a, sa in samples.items():
        if a.startswith("funcdiff"):
            for b, sb in samples.items():
                if b != a:
                    ratios[f"{a} / {b}"] = statistics.median(x / y for x, y in zip(sa, sb))
    return med, quartiles, ratios


def pin_one_cpu():
    """Run this process on one CPU (the last allowed one); return it, or None if impossible.

    jax's jit runs its matrix products on a thread pool that ignores the BLAS
    variables and XLA's thread flags here, so one core for the whole process
    is what makes every candidate single-threaded. Called before jax is imported.
    """
    try:
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    except (AttributeError, OSError):
        return None


# --------------------------------------------------------------------------
# Checks


def to_numpy(tree):
    """A dict (or array) of torch/jax/NumPy arrays as float64 NumPy arrays."""
    if isinstance(tree, dict):
        return {k: to_numpy(v) for k, v in tree.items()}
    if hasattr(tree, "detach"):  # torch
        tree = tree.detach().cpu().numpy()
    return np.asarray(tree, dtype=np.float64)


def rel_err(got, want):
    """Largest normwise relative error over the leaves: max|got - want| / max|want|."""
    got, want = to_numpy(got), to_numpy(want)
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return math.inf
        return max((rel_err(got[k], want[k]) for k in want), default=0.0)
    if got.shape != want.shape:
        return math.inf
    if want.size == 0:
        return 0.0
    scale = float(np.max(np.abs(want)))
    err = float(np.max(np.abs(got - want)))
    return err / scale if scale > 0 else err


def checked(candidates, want, tol, failures, label):
    """Keep the candidates whose result equals `want` within `tol`; record the others."""
    kept = {}
    for name, fn in candidates.items():
        try:
            err = rel_err(fn(), want)
            why = f"relative error {err:.3g} > {tol:g}"
        except Exception as e:  # a broken candidate must not stop the other figures
            err, why = math.inf, f"{type(e).__name__}: {str(e)[:300]}"
        if err <= tol:
            kept[name] = fn
        else:
            failures.append(f"{label}: {name} left out ({why})")
    return kept


def row(label, size, samples, ks):
    med, quartiles, ratios = summarize(samples)
    return {
        "workload": label,
        "size": size,
        "medians_s": med,
        "quartiles_s": quartiles,
        "ratios": ratios,  # paired: median over rounds of the per-round ratio
        "batch_k": ks,
        "rounds": len(next(iter(samples.values()), [])),
    }


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def setup(args):
    """Pin to one CPU (unless --no-pin), then import the peers; return (peers, meta)."""
    cpu = None if args.no_pin else pin_one_cpu()
    peers = load_peers({s.strip() for s in args.peers.split(",") if s.strip()})
    info = meta(args, peers)
    info["pinned_cpu"] = cpu
    info["budget_s"] = args.budget
    return peers, info


def header(title, args, info):
    pinned = "not pinned" if info["pinned_cpu"] is None else f"pinned to CPU {info['pinned_cpu']}"
    print(f"# {title}\n")
    print(", ".join(f"{k} {v}" for k, v in info["versions"].items())
          + f" (commit {info['commit']})")
    print(f"{info['cpu']}, {info['cores']} cores, {pinned}, 1 BLAS thread, float64, "
          f"up to {args.rounds} interleaved rounds of >= {args.batch * 1e3:g} ms batches "
          f"(~{args.budget:g} s per row), medians\n")


# --------------------------------------------------------------------------
# Workload 5


def init_params(rng, sizes=SIZES):
    params = {}
    for i, (m, n) in enumerate(zip(sizes[:-1], sizes[1:])):
        params[f"W{i}"] = rng.standard_normal((m, n)) / np.sqrt(m)
        params[f"b{i}"] = 0.1 * rng.standard_normal(n)
    return params


def make_loss(xp):
    """The per-example loss written against the NumPy-like module `xp`."""

    def loss(p, x, y):  # x: (32,), y: (1,)
        h = xp.tanh(x @ p["W0"] + p["b0"])
        h = xp.tanh(h @ p["W1"] + p["b1"])
        out = h @ p["W2"] + p["b2"]
        return xp.sum((out - y) ** 2)

    return loss


loss = make_loss(fnp)


def _outer_einsum(a, b):
    return np.einsum("bi,bj->bij", a, b)


def _outer_broadcast(a, b):
    return a[:, :, None] * b[:, None, :]


def hand_per_example(p, xs, ys, outer=_outer_einsum):
    """All per-example gradients at once: batched forward, then backprop keeping the batch axis.

    The gradient of example b for a weight matrix is the outer product of the
    layer's input row b and the cotangent row b of its output.
    """
    h1 = np.tanh(xs @ p["W0"] + p["b0"])
    h2 = np.tanh(h1 @ p["W1"] + p["b1"])
    out = h2 @ p["W2"] + p["b2"]
    d = 2.0 * (out - ys)  # d loss_b / d out_b, shape (B, 1)
    g = {"W2": outer(h2, d), "b2": d}
    d = (d @ p["W2"].T) * (1.0 - h2 * h2)
    g["W1"], g["b1"] = outer(h1, d), d
    d = (d @ p["W1"].T) * (1.0 - h1 * h1)
    g["W0"], g["b0"] = outer(xs, d), d
    return g


def candidates_w5(peers, params, xs, ys):
    """name -> zero-argument callable returning the per-example gradients."""
    per_example = fd.vmap(fd.grad(loss), in_axes=(None, 0, 0))
    jitted = fd.jit(per_example)
    cands = {
        "funcdiff eager": lambda: per_example(params, xs, ys),
        "funcdiff jit": lambda: jitted(params, xs, ys),
        "hand einsum": lambda: hand_per_example(params, xs, ys),
        "hand broadcast": lambda: hand_per_example(params, xs, ys, _outer_broadcast),
    }
    if "autograd" in peers:
        autograd, anp = peers["autograd"]
        ag = autograd.grad(make_loss(anp))

        def autograd_loop():
            gs = [ag(params, x, y) for x, y in zip(xs, ys)]
            return {k: np.stack([g[k] for g in gs]) for k in KEYS}

        cands["autograd loop"] = autograd_loop
    if "jax" in peers:
        jax = peers["jax"]
        jp = {k: jax.numpy.asarray(v) for k, v in params.items()}
        jx, jy = jax.numpy.asarray(xs), jax.numpy.asarray(ys)
        jeager = jax.vmap(jax.grad(make_loss(jax.numpy)), in_axes=(None, 0, 0))
        jjit = jax.jit(jeager)
        cands["jax jit"] = lambda: jax.block_until_ready(jjit(jp, jx, jy))
        cands["jax eager"] = lambda: jax.block_until_ready(jeager(jp, jx, jy))
    if "torch" in peers:
        torch = peers["torch"]
        tp = {k: torch.from_numpy(v) for k, v in params.items()}
        tx, ty = torch.from_numpy(xs), torch.from_numpy(ys)
        tf = torch.func.vmap(torch.func.grad(make_loss(torch)), in_dims=(None, 0, 0))
        cands["torch.func"] = lambda: tf(tp, tx, ty)
    return cands


def workload5(peers, args, failures):
    rows = []
    rng = np.random.default_rng(0)
    params = init_params(rng)
    for b in BATCHES:
        xs = rng.standard_normal((b, SIZES[0]))
        ys = rng.standard_normal((b, SIZES[-1]))
        cands = candidates_w5(peers, params, xs, ys)
        label = f"5 per-example grads B={b}"
        # the hand backprop must equal funcdiff's result, then it is the reference
        want = cands["funcdiff eager"]()
        err = rel_err(cands["hand einsum"](), want)
        if err > TOL:
            failures.append(f"{label}: hand einsum differs from funcdiff (rel err {err:.3g})")
            continue
        want = cands["hand einsum"]()
        cands = checked(cands, want, TOL, failures, label)
        r = row("5 per-example grads", f"B={b}",
                *interleaved(cands, args.rounds, args.batch, args.budget))
        r["check_hand_vs_funcdiff"] = err
        eager = r["ratios"].get("funcdiff eager / hand einsum")
        r["target"] = f"eager <= {TARGET:g}x hand einsum"
        r["met"] = None if eager is None else eager <= TARGET
        r["target_row"] = b == TARGET_B
        rows.append(r)
    return rows


# --------------------------------------------------------------------------
# Report


def markdown(rows):
    lines = [
        "| B | funcdiff eager | funcdiff jit | hand einsum | eager / hand | jit / hand | "
        "target | met? | peers (median) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    main_cols = ("funcdiff eager", "funcdiff jit", "hand einsum")
    for r in rows:
        med, rat = r["medians_s"], r["ratios"]
        peers = "; ".join(f"{n} {fmt_time(t)}" for n, t in med.items() if n not in main_cols)
        met = "n/a" if r["met"] is None else ("yes" if r["met"] else "**no**")
        if r.get("target_row"):
            met += " (plan's row)"
        lines.append(
            f"| {r['size'][2:]} | {fmt_time(med.get('funcdiff eager'))} | "
            f"{fmt_time(med.get('funcdiff jit'))} | {fmt_time(med.get('hand einsum'))} | "
            f"{fmt_ratio(rat.get('funcdiff eager / hand einsum'))} | "
            f"{fmt_ratio(rat.get('funcdiff jit / hand einsum'))} | <= {TARGET:g}x | {met} | "
            f"{peers or '-'} |"
        )
    lines += ["", "funcdiff eager / each candidate (paired, same run):", "",
              "| B | candidate | median | funcdiff eager / candidate | rounds |",
              "|---|---|---|---|---|"]
    for r in rows:
        for n, t in r["medians_s"].items():
            if n != "funcdiff eager":
                rel = fmt_ratio(r["ratios"].get(f"funcdiff eager / {n}"))
                lines.append(f"| {r['size'][2:]} | {n} | {fmt_time(t)} | {rel} | {r['rounds']} |")
    return "\n".join(lines)


def profile(calls, top, b=TARGET_B):
    """cProfile `calls` runs of funcdiff's per-example gradients at batch size `b`."""
    import cProfile
    import pstats

    rng = np.random.default_rng(0)
    params = init_params(rng)
    xs, ys = rng.standard_normal((b, SIZES[0])), rng.standard_normal((b, SIZES[-1]))
    per_example = fd.vmap(fd.grad(loss), in_axes=(None, 0, 0))
    for _ in range(5):
        per_example(params, xs, ys)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(calls):
        per_example(params, xs, ys)
    prof.disable()
    print(f"## cProfile: {calls} calls of vmap(grad(loss)) at B={b}, by tottime\n")
    pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def parse_args(argv, doc, budget_full, budget_quick):
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds, shorter run")
    p.add_argument("--rounds", type=int, help="max rounds per row (default 61; quick 11)")
    p.add_argument("--batch", type=float, help="min seconds per batch (default 0.004)")
    p.add_argument("--budget", type=float,
                   help=f"about this many seconds per row (default {budget_full:g}; "
                        f"quick {budget_quick:g}); never fewer than 5 rounds")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--peers", default="autograd,torch,jax",
                   help="comma-separated peers to measure when importable ('' for none)")
    p.add_argument("--no-pin", action="store_true",
                   help="do not pin the process to one CPU (jax jit then uses every core)")
    p.add_argument("--profile", action="store_true",
                   help="instead of timing, cProfile funcdiff's candidates")
    args = p.parse_args(argv)
    args.rounds = args.rounds or (11 if args.quick else 61)
    args.batch = args.batch or 0.004
    args.budget = args.budget or (budget_quick if args.quick else budget_full)
    return args


def main(argv=None):
    args = parse_args(argv, __doc__, budget_full=25.0, budget_quick=5.0)
    if args.profile:
        profile(200, 25)
        return 0
    peers, info = setup(args)
    header("funcdiff per-example gradients (workload 5)", args, info)
    failures = []
    rows = workload5(peers, args, failures)
    return report(rows, failures, info, args, markdown(rows))


if __name__ == "__main__":
    sys.exit(main())
