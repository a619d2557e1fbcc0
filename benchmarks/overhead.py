"""Overhead benchmarks: workloads 1-3 of the benchmark plan, measured in one run.

1. `fnp.sin(x)` outside any transform vs `np.sin(x)` (np.float64, Python float, n=100).
2. grad of a chain of 50 scalar `sin` at x=2.0: funcdiff vs a hand-written loop vs peers.
3. grad of `sin(x) * x**2` at a float.

Every figure is the median over many rounds; the candidates of one comparison
are interleaved (round-robin, rotating the order each round) and each sample
is the time of a batch of k calls divided by k. Ratios use medians of the
same run. Each candidate's result is checked against the reference before
timing. Peers (autograd, torch, jax) are measured when importable.

Usage (from the repository root):

    python benchmarks/overhead.py              # full run, about 15 s
    python benchmarks/overhead.py --quick      # under 30 s
    python benchmarks/overhead.py --json out.json
    python benchmarks/overhead.py --profile    # cProfile of funcdiff's grads, workloads 2, 3
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread, set before NumPy is imported

import argparse  # noqa: E402
import importlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402

CHAIN = 50  # workload 2: number of chained sin
X_CHAIN = 2.0
X_POLY = 1.5  # workload 3
TOL = 1e-12


# --------------------------------------------------------------------------
# Timing


def _batch(fn, arg, k):
    """Seconds per call of `fn(arg)`, timed over a batch of `k` calls."""
    calls = itertools.repeat(arg, k)
    t0 = time.perf_counter()
    for a in calls:
        fn(a)
    return (time.perf_counter() - t0) / k


def _calibrate(fn, arg, batch_seconds):
    """A batch size k such that k calls take about `batch_seconds`."""
    for _ in range(3):  # warm up
        fn(arg)
    k = 1
    while True:
        per_call = _batch(fn, arg, k)
        if per_call * k >= batch_seconds / 8 or k >= 1 << 20:
            return max(1, min(1 << 22, int(batch_seconds / per_call)))
        k *= 8


def interleaved(candidates, rounds, batch_seconds):
    """Per-call seconds of each candidate `name -> (fn, arg)`: one sample per round.

    Each round times every candidate once (one batch each), so sample i of all
    candidates comes from the same few milliseconds of machine load.
    """
    names = list(candidates)
    ks = {n: _calibrate(*candidates[n], batch_seconds) for n in names}
    samples = {n: [] for n in names}
    for r in range(rounds):
        s = r % len(names)
        for n in names[s:] + names[:s]:  # rotate the order: no fixed position bias
            fn, arg = candidates[n]
            samples[n].append(_batch(fn, arg, ks[n]))
    return samples, ks


def summarize(samples):
    """Medians, quartiles and paired ratios funcdiff / other (median over rounds)."""
    med = {n: statistics.median(s) for n, s in samples.items()}
    quartiles = {n: [float(q) for q in np.percentile(s, [25, 75])] for n, s in samples.items()}
    ratios = {}
    if "funcdiff" in samples:
        fds = samples["funcdiff"]
        for n, s in samples.items():
            if n != "funcdiff":
                ratios[n] = statistics.median(a / b for a, b in zip(fds, s))
    return med, quartiles, ratios


# --------------------------------------------------------------------------
# Checks


def _max_err(got, want):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return math.inf
    if got.size == 0:
        return 0.0
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def checked(candidates, want, failures, label):
    """Keep the candidates whose result equals `want` within TOL; record the others."""
    kept = {}
    for name, (fn, arg) in candidates.items():
        try:
            got = fn(arg)
            err = _max_err(got, want)
        except Exception as e:  # a broken candidate must not stop the other figures
            err, got = math.inf, f"{type(e).__name__}: {e}"
        if err <= TOL:
            kept[name] = (fn, arg)
        else:
            failures.append(f"{label}: {name} returned {got!r}, expected {want!r} (err {err:.3g})")
    return kept


# --------------------------------------------------------------------------
# Peers (optional)


def _import(name):
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def load_peers(wanted):
    peers = {}
    if "autograd" in wanted and _import("autograd") is not None:
        import autograd
        import autograd.numpy as anp

        peers["autograd"] = (autograd, anp)
    if "torch" in wanted and _import("torch") is not None:
        import torch

        torch.set_num_threads(1)
        peers["torch"] = torch
    if "jax" in wanted and _import("jax") is not None:
        import jax

        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        peers["jax"] = jax
    return peers


# --------------------------------------------------------------------------
# Workloads


def chain_fd(x, n=CHAIN):
    for _ in range(n):
        x = fnp.sin(x)
    return x


def hand_chain_grad(x, n=CHAIN):
    """d/dx of sin(sin(...sin(x))) (n sines): forward storing the inputs, backward
    multiplying the cosines."""
    xs = []
    for _ in range(n):
        xs.append(x)
        x = math.sin(x)
    g = 1.0
    for v in reversed(xs):
        g *= math.cos(v)
    return g


def hand_chain_grad_numpy(x):
    """The same loop on NumPy scalars (np.sin/np.cos)."""
    x = np.float64(x)
    xs = []
    for _ in range(CHAIN):
        xs.append(x)
        x = np.sin(x)
    g = np.float64(1.0)
    for v in reversed(xs):
        g = g * np.cos(v)
    return g


def poly_fd(x):
    return fnp.sin(x) * x**2


def hand_poly_grad(x):
    return math.cos(x) * x * x + 2.0 * x * math.sin(x)


def workload1(peers, rounds, batch_seconds, failures):
    rows = []
    rng = np.random.default_rng(0)
    inputs = {
        "scalar np.float64": np.float64(0.7),
        "scalar float": 0.7,
        "n=100": rng.standard_normal(100),
    }
    for size, x in inputs.items():
        cands = {"funcdiff": (fnp.sin, x), "reference": (np.sin, x)}
        if "autograd" in peers:
            cands["autograd"] = (peers["autograd"][1].sin, x)
        if "jax" in peers:
            jsin = peers["jax"].numpy.sin
            cands["jax eager"] = (lambda v, jsin=jsin: jsin(v).block_until_ready(), x)
        label = f"1 sin {size}"
        cands = checked(cands, np.sin(x), failures, label)
        if type(fnp.sin(x)) is not type(np.sin(x)):
            failures.append(f"{label}: fnp.sin returns {type(fnp.sin(x)).__name__}, "
                            f"np.sin returns {type(np.sin(x)).__name__}")
        row = _row("1 `fnp.sin` eager", size, *interleaved(cands, rounds, batch_seconds),
                   "<= 1.3x ref + 0.5 us")
        fdt, ref = row["medians_s"].get("funcdiff"), row["medians_s"].get("reference")
        row["met"] = None if fdt is None or ref is None else fdt <= 1.3 * ref + 0.5e-6
        rows.append(row)
    return rows


def workload2(peers, rounds, batch_seconds, failures):
    cands = {
        "funcdiff": (fd.grad(chain_fd), X_CHAIN),
        "funcdiff jit": (fd.jit(fd.grad(chain_fd)), X_CHAIN),
        "reference": (hand_chain_grad, X_CHAIN),
        "hand numpy": (hand_chain_grad_numpy, X_CHAIN),
    }
    if "autograd" in peers:
        autograd, anp = peers["autograd"]

        def chain_ag(x):
            for _ in range(CHAIN):
                x = anp.sin(x)
            return x

        cands["autograd"] = (autograd.grad(chain_ag), X_CHAIN)
    if "torch" in peers:
        torch = peers["torch"]

        def torch_grad(t):
            y = t
            for _ in range(CHAIN):
                y = torch.sin(y)
            return torch.autograd.grad(y, t)[0].item()

        t = torch.tensor(X_CHAIN, dtype=torch.float64, requires_grad=True)
        cands["torch"] = (torch_grad, t)
    if "jax" in peers:
        jax = peers["jax"]

        def chain_jax(x):
            for _ in range(CHAIN):
                x = jax.numpy.sin(x)
            return x

        jg, jj = jax.grad(chain_jax), jax.jit(jax.grad(chain_jax))
        cands["jax eager"] = (lambda x: jg(x).block_until_ready(), X_CHAIN)
        cands["jax jit"] = (lambda x: jj(x).block_until_ready(), X_CHAIN)
    cands = checked(cands, hand_chain_grad(X_CHAIN), failures, "2 chain")
    row = _row(f"2 grad, {CHAIN}-sin chain", f"x={X_CHAIN}",
               *interleaved(cands, rounds, batch_seconds), "<= 0.5x autograd")
    vs_autograd = row["ratios_fd_over"].get("autograd")
    row["met"] = None if vs_autograd is None else vs_autograd <= 0.5
    return [row]


def workload3(peers, rounds, batch_seconds, failures):
    cands = {
        "funcdiff": (fd.grad(poly_fd), X_POLY),
        "funcdiff jit": (fd.jit(fd.grad(poly_fd)), X_POLY),
        "reference": (hand_poly_grad, X_POLY),
    }
    if "autograd" in peers:
        autograd, anp = peers["autograd"]
        cands["autograd"] = (autograd.grad(lambda x: anp.sin(x) * x**2), X_POLY)
    if "torch" in peers:
        torch = peers["torch"]
        tg = torch.func.grad(lambda t: torch.sin(t) * t**2)
        t = torch.tensor(X_POLY, dtype=torch.float64)
        cands["torch.func"] = (lambda t: tg(t).item(), t)
    if "jax" in peers:
        jax = peers["jax"]
        jg = jax.grad(lambda x: jax.numpy.sin(x) * x**2)
        jj = jax.jit(jg)
        cands["jax eager"] = (lambda x: jg(x).block_until_ready(), X_POLY)
        cands["jax jit"] = (lambda x: jj(x).block_until_ready(), X_POLY)
    cands = checked(cands, hand_poly_grad(X_POLY), failures, "3 poly")
    row = _row("3 grad `sin(x)*x**2`", f"x={X_POLY}", *interleaved(cands, rounds, batch_seconds),
               "<= 25 us")
    fdt = row["medians_s"].get("funcdiff")
    row["met"] = None if fdt is None else fdt <= 25e-6
    return [row]


def _row(workload, size, samples, ks, target):
    med, quartiles, ratios = summarize(samples)
    return {
        "workload": workload,
        "size": size,
        "medians_s": med,
        "quartiles_s": quartiles,
        "ratios_fd_over": ratios,  # paired: median over rounds of funcdiff / candidate
        "batch_k": ks,
        "rounds": len(next(iter(samples.values()), [])),
        "target": target,
        "met": None,
    }


# --------------------------------------------------------------------------
# Report


def fmt_time(t):
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.3g} us"
    if t < 1:
        return f"{t * 1e3:.3g} ms"
    return f"{t:.3g} s"


def _met_text(row):
    met = row["met"]
    if met is None:
        return "n/a (no autograd)" if "autograd" in row["target"] else "n/a"
    detail = ""
    if "autograd" in row["target"]:
        detail = f" ({row['ratios_fd_over']['autograd']:.2f}x autograd)"
    return ("yes" if met else "**no**") + detail


def markdown(rows):
    lines = [
        "| workload | size | funcdiff | reference | autograd | ratio (fd/ref) | target | met? |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        med = r["medians_s"]
        ratio = r["ratios_fd_over"].get("reference")
        ratio = "-" if ratio is None else f"{ratio:.2f}x"
        lines.append(
            f"| {r['workload']} | {r['size']} | {fmt_time(med.get('funcdiff'))} | "
            f"{fmt_time(med.get('reference'))} | {fmt_time(med.get('autograd'))} | {ratio} | "
            f"{r['target']} | {_met_text(r)} |"
        )
    others = [
        (r, name, t)
        for r in rows
        for name, t in r["medians_s"].items()
        if name not in ("funcdiff", "reference", "autograd")
    ]
    if others:
        lines += [
            "",
            "Other candidates (same run):",
            "",
            "| workload | size | candidate | median | funcdiff / candidate |",
            "|---|---|---|---|---|",
        ]
        for r, name, t in others:
            rel = r["ratios_fd_over"].get(name)
            rel = "-" if rel is None else f"{rel:.2f}x"
            lines.append(f"| {r['workload']} | {r['size']} | {name} | {fmt_time(t)} | {rel} |")
    return "\n".join(lines)


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_commit():
    """The repository's commit, '+dirty' when tracked files have local changes."""
    import subprocess

    try:
        run = {"cwd": _ROOT, "capture_output": True, "text": True, "timeout": 10}
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], **run)
        return (head + ("+dirty" if dirty.stdout.strip() else "")) or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def meta(args, peers):
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "funcdiff": fd.__version__}
    if "autograd" in peers:
        versions["autograd"] = _version("autograd")
    if "torch" in peers:
        versions["torch"] = peers["torch"].__version__
    if "jax" in peers:
        versions["jax"] = peers["jax"].__version__
    return {
        "versions": versions,
        "commit": _git_commit(),
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "threads": {v: os.environ[v] for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                "MKL_NUM_THREADS")},
        "rounds": args.rounds,
        "batch_seconds": args.batch,
        "dtype": "float64",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def _version(dist):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


def profile(calls, top):
    """cProfile `calls` runs of workload 2's and 3's funcdiff grads; print the top by tottime.

    Note: NumPy ufunc calls do not appear as entries of their own; their time
    is in the tottime of the Python function that calls them.
    """
    import cProfile
    import pstats

    for title, g, x in [
        (f"grad of the {CHAIN}-sin chain at x={X_CHAIN} (workload 2)", fd.grad(chain_fd), X_CHAIN),
        (f"grad of sin(x)*x**2 at x={X_POLY} (workload 3)", fd.grad(poly_fd), X_POLY),
    ]:
        for _ in range(20):
            g(x)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(calls):
            g(x)
        prof.disable()
        print(f"## cProfile: {calls} calls of {title}, by tottime\n")
        pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer rounds (whole run < 30 s)")
    p.add_argument("--rounds", type=int, help="rounds per comparison (default 61; quick 15)")
    p.add_argument("--batch", type=float, help="seconds per batch (default 0.004; quick 0.002)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--peers", default="autograd,torch,jax",
                   help="comma-separated peers to measure when importable ('' for none)")
    p.add_argument("--profile", action="store_true",
                   help="instead of timing, cProfile the funcdiff grads of workloads 2, 3")
    args = p.parse_args(argv)
    if args.profile:
        profile(2000, 25)
        return 0
    args.rounds = args.rounds or (15 if args.quick else 61)
    args.batch = args.batch or (0.002 if args.quick else 0.004)
    peers = load_peers({s.strip() for s in args.peers.split(",") if s.strip()})
    info = meta(args, peers)
    print("# funcdiff overhead benchmarks (workloads 1-3)\n")
    print(", ".join(f"{k} {v}" for k, v in info["versions"].items())
          + f" (commit {info['commit']})")
    print(f"{info['cpu']}, {info['cores']} cores, 1 BLAS thread, float64, "
          f"{args.rounds} interleaved rounds of ~{args.batch * 1e3:g} ms batches, medians\n")
    failures = []
    rows = []
    for w in (workload1, workload2, workload3):
        rows += w(peers, args.rounds, args.batch, failures)
    return report(rows, failures, info, args, markdown(rows))


def report(rows, failures, info, args, table):
    """Print `table` and the check failures, write --json; the exit status."""
    print(table)
    if failures:
        print("\nCHECK FAILURES (excluded from timing):")
        for f in failures:
            print("  " + f)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"meta": info, "rows": rows, "failures": failures}, indent=2) + "\n"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
