"""Run the benchmark plan's workloads 1-11, each in a process of its own, and report.

Every workload runs in a fresh Python process (`run.py --worker NAME`) with one BLAS/OpenMP
thread (set in the child's environment before NumPy is imported), float64, pinned to one
CPU (`--no-pin` to turn off). Within a workload the candidates (funcdiff eager, funcdiff
`fd.jit`, the peers autograd / jax eager / jax jit / torch when importable, and the
hand-written NumPy reference) are timed in interleaved rounds; figures are medians and the
ratios are medians of per-round ratios. Every reference is checked against funcdiff's
result before timing, and every candidate against the reference: a disagreement is a CHECK
FAILURE (left out of the timings; exit status 1).

Usage (from the repository root):

    python benchmarks/run.py                  # everything, full sizes (about 18 min here)
    python benchmarks/run.py --quick          # the smallest size of each workload (~4 min)
    python benchmarks/run.py --only gmm,ba    # some workloads (names or numbers)
    python benchmarks/run.py --smoke --only overhead --peers ''   # seconds: a plumbing test
    python benchmarks/run.py --json out.json  # default: benchmarks/results.json
    python benchmarks/run.py --list           # the workloads

Output: a markdown table on stdout (one row per workload and size), a progress line per
workload on stderr, and a JSON file with every figure, the versions and the machine.
"""

import os

_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _var in _THREADS:
    os.environ[_var] = "1"  # one BLAS thread, before NumPy is imported (here and in workers)
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

# name, plan number, module in benchmarks/workloads/
WORKLOADS = [
    ("overhead", 1, "w01_sin"),
    ("chain", 2, "w02_chain"),
    ("poly", 3, "w03_poly"),
    ("mlp", 4, "w04_mlp"),
    ("per_example", 5, "w05_per_example"),
    ("hvp", 6, "w06_hvp"),
    ("gmm", 7, "w07_gmm"),
    ("ba", 8, "w08_ba"),
    ("gradbench", 9, "w09_gradbench"),
    ("scaling", 10, "w10_scaling"),
    ("memory", 11, "w11_memory"),
]
EXTRA = [("selftest", 0, "selftest")]  # only with --only: tests the checks themselves
COLUMNS = ("funcdiff eager", "funcdiff jit", "autograd", "jax eager", "jax jit", "torch",
           "reference")  # fmt: skip
TIMEOUT = {"full": 3600, "quick": 900, "smoke": 120}  # seconds per workload process
PEER_DISTS = ("autograd", "jax", "jaxlib", "torch")


def progress(message):
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Worker: one workload in this process


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def worker(args):
    import overhead
    import per_example as pe
    import workloads  # noqa: F401  (puts the repository and evals/ on sys.path)
    from workloads.common import Ctx

    name, number, module = _lookup(args.worker)
    cpu = None if args.no_pin else pe.pin_one_cpu()  # before jax starts its threads
    t0 = time.perf_counter()
    ctx = Ctx.make(args.mode, inject=args.inject_mismatch)
    rows = []
    versions = {}
    try:
        mod = importlib.import_module(f"workloads.{module}")
        wanted = set(mod.PEERS) & {p.strip() for p in args.peers.split(",") if p.strip()}
        ctx.peers = overhead.load_peers(wanted)
        versions = {p: _dist_version(p) for p in ctx.peers}
        rows = mod.run(ctx)
        for r in rows:
            r.update(workload=number, name=name, title=r.get("title", mod.TITLE))
    except Exception:
        ctx.fail(f"{number} {name}: crashed:\n{traceback.format_exc()}")
    out = {
        "rows": rows,
        "failures": ctx.failures,
        "seconds": time.perf_counter() - t0,
        "pinned_cpu": cpu,
        "peers": versions,
        "settings": {
            k: getattr(ctx, k) for k in ("mode", "rounds", "batch", "budget", "min_rounds")
        },
    }
    Path(args.out).write_text(json.dumps(out, default=_json_default))
    return 0


# --------------------------------------------------------------------------
# Driver


def _lookup(key):
    for entry in WORKLOADS + EXTRA:
        if key in (entry[0], str(entry[1])):
            return entry
    raise SystemExit(f"unknown workload {key!r}; --list shows them")


def _dist_version(dist):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def machine_info(args, mode):
    import numpy as np
    import overhead

    import funcdiff

    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception as e:  # the layout of show_config changes between NumPy versions
        blas = {"error": repr(e)}
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "mode": mode,
        "argv": sys.argv[1:],
        "commit": overhead._git_commit(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": overhead._cpu_name(),
        "cores": os.cpu_count(),
        "load_average_start": _load(),
        "numpy": np.__version__,
        "blas": blas,
        "versions": {"funcdiff": funcdiff.__version__} | {d: _dist_version(d) for d in PEER_DISTS},
        "threads": {v: os.environ[v] for v in _THREADS},
        "xla_flags": os.environ.get("XLA_FLAGS"),
        "pinned": not args.no_pin,
        "peers_requested": args.peers,
        "dtype": "float64",
    }


def run_one(entry, args, mode):
    """Run one workload in a child process; returns its result dict."""
    name, number, module = entry
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--mode", mode,
               "--out", str(out), "--peers", args.peers]  # fmt: skip
        cmd += ["--no-pin"] if args.no_pin else []
        cmd += ["--inject-mismatch"] if args.inject_mismatch else []
        env = dict(os.environ, **dict.fromkeys(_THREADS, "1"))
        load_before = _load()
        t0 = time.perf_counter()
        try:
            # the child's stdout (peers' chatter) goes to our stderr: stdout is the table
            proc = subprocess.run(cmd, env=env, stdout=sys.stderr, timeout=args.timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        seconds = time.perf_counter() - t0
        if out.exists():
            result = json.loads(out.read_text())
        else:
            result = {
                "rows": [],
                "failures": [
                    f"{number} {name}: the worker process ended without a result (exit status {rc})"
                ],
            }
    result.update(
        number=number,
        module=module,
        returncode=rc,
        wall_seconds=seconds,
        load_average_before=load_before,
        load_average_after=_load(),
    )
    return result


def _load():
    """The 1-minute load average (other jobs share these machines), or None."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def fmt_value(v, unit):
    if v is None:
        return "-"
    if unit == "bytes":
        return f"{v / 2**20:.3g} MiB"
    if v < 1e-3:
        return f"{v * 1e6:.3g} us"
    if v < 1:
        return f"{v * 1e3:.3g} ms"
    return f"{v:.3g} s"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def _met(t):
    return "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")


def _cells(row):
    """The ratio, target and met? cells of a row."""
    targets = row.get("targets") or []
    if targets:
        ratio = "; ".join(f"{t['name']} {fmt_ratio(t['ratio'])}" for t in targets)
        text = "; ".join(t["text"] for t in targets)
        met = "; ".join(_met(t) for t in targets)
    else:
        tool = row.get("tool_function") or "funcdiff eager"
        ratios = row.get("ratios", {})
        for den in ("C++ manual", "reference"):  # (a ratio without a target)
            r = ratios.get(f"{tool} / {den}")
            if r is not None:
                break
        ratio = "-" if r is None else f"{_short(tool)} / {den} {fmt_ratio(r)}"
        text, met = "-", "-"
    if row.get("valid") is not None:
        met = ("valid" if row["valid"] else "**INVALID**") + ("" if met == "-" else f"; {met}")
    return ratio, text, met


def _short(name):
    return name.replace("funcdiff ", "")


HEADER = ("| # | workload | size | funcdiff eager | funcdiff jit | autograd | jax eager | jax jit "
          "| torch | reference | ratio | target | met? |")  # fmt: skip


def markdown(results):
    lines = [HEADER, "|" + "---|" * 13]
    extras, notes = [], []
    for name, res in results.items():
        if not res["rows"]:
            lines.append(f"| {res['number']} | {name} | - |" + " - |" * 7
                         + " - | - | **failed** (see CHECK FAILURES) |")  # fmt: skip
        for row in res["rows"]:
            med, unit = row["medians"], row.get("unit", "s")
            cells = [fmt_value(med.get(c), unit) for c in COLUMNS]
            lines.append(
                f"| {row['workload']} | {row['title']} | {row['size']} | "
                + " | ".join(cells)
                + " | "
                + " | ".join(_cells(row))
                + " |"
            )
            tool = row.get("tool_function") or "funcdiff eager"
            for c, v in med.items():
                if c not in COLUMNS:
                    r = row["ratios"].get(f"{tool} / {c}")
                    extras.append(f"| {row['workload']} | {row['size']} | {c} | "
                                  f"{fmt_value(v, unit)} | {_short(tool)} {fmt_ratio(r)} |")
        seen = set()
        for row in res["rows"]:
            for note in [f"reference: {row['reference']}"] * bool(row.get("reference")) + row.get(
                "notes", []
            ):
                if note not in seen:
                    seen.add(note)
                    notes.append(f"- {res['number']} {name}: {note}")
    if extras:
        lines += ["", "Other candidates (same runs):", "",
                  "| # | size | candidate | median | funcdiff / candidate |",
                  "|---|---|---|---|---|", *extras]  # fmt: skip
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines)


def summary(results):
    targets = [t for res in results.values() for r in res["rows"] for t in r.get("targets", [])]
    met = sum(t["met"] is True for t in targets)
    missed = sum(t["met"] is False for t in targets)
    return f"targets met: {met}, missed: {missed}, n/a: {len(targets) - met - missed}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smallest size of each workload")
    mode.add_argument(
        "--smoke",
        action="store_true",
        help="tiny rounds and budgets: checks the plumbing, not the speed",
    )
    p.add_argument("--only", help="comma-separated workload names or numbers")
    p.add_argument(
        "--json",
        metavar="PATH",
        default=str(BENCH / "results.json"),
        help="where to write the results (default benchmarks/results.json)",
    )
    p.add_argument(
        "--peers",
        default="autograd,torch,jax",
        help="comma-separated peers to time when importable ('' for none)",
    )
    p.add_argument("--no-pin", action="store_true", help="do not pin workers to one CPU")
    p.add_argument("--timeout", type=float, help="seconds per workload process")
    p.add_argument(
        "--inject-mismatch",
        action="store_true",
        help="make the selftest workload's reference wrong (tests the checks)",
    )
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--mode", default="full", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.list:
        for name, number, module in WORKLOADS + EXTRA:
            print(f"{number:2d}  {name:<12} benchmarks/workloads/{module}.py")
        return 0
    run_mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    args.timeout = args.timeout or TIMEOUT[run_mode]
    selected = WORKLOADS if not args.only else [_lookup(k.strip()) for k in
                                                args.only.split(",") if k.strip()]  # fmt: skip
    info = machine_info(args, run_mode)
    results = {}
    t_all = time.perf_counter()
    for i, entry in enumerate(selected, 1):
        progress(f"[run.py {i}/{len(selected)}] workload {entry[1]} {entry[0]}: running")
        res = run_one(entry, args, run_mode)
        results[entry[0]] = res
        progress(f"[run.py {i}/{len(selected)}] workload {entry[1]} {entry[0]}: "
                 f"{res['wall_seconds']:.1f} s, {len(res['rows'])} rows, "
                 f"{len(res['failures'])} check failures")  # fmt: skip
    info["wall_seconds"] = time.perf_counter() - t_all
    loads = [
        x
        for r in results.values()
        for x in (r.get("load_average_before"), r.get("load_average_after"))
        if x is not None
    ]
    info["load_average_range"] = [min(loads), max(loads)] if loads else None
    failures = [f for res in results.values() for f in res["failures"]]
    v = info["versions"]
    print(f"# funcdiff benchmarks ({run_mode} run, {info['date']})\n")
    load = info["load_average_range"]
    load = "" if load is None else f"; load average {load[0]:.1f}-{load[1]:.1f}"
    print(
        f"{info['cpu']}, {info['cores']} cores, {info['platform']}; python {info['python']}, "
        f"numpy {info['numpy']} ({info['blas'].get('name', '?')} "
        f"{info['blas'].get('version', '')}), one BLAS thread, float64, "
        + ("workers pinned to one CPU" if info["pinned"] else "not pinned")
        + "; "
        + ", ".join(f"{d} {v[d]}" for d in PEER_DISTS if v.get(d))
        + f"; commit {info['commit']}; {info['wall_seconds'] / 60:.1f} min{load}\n"
    )
    print(markdown(results))
    print(f"\n{summary(results)}")
    if failures:
        print("\nCHECK FAILURES (left out of the timings):")
        for f in failures:
            print("  " + f.replace("\n", "\n    "))
    doc = {"meta": info, "workloads": {n: {k: v for k, v in r.items() if k != "rows"}
                                       for n, r in results.items()},
           "rows": [row for r in results.values() for row in r["rows"]],
           "failures": failures}  # fmt: skip
    Path(args.json).write_text(json.dumps(doc, indent=1, default=_json_default) + "\n")
    progress(f"[run.py] wrote {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
