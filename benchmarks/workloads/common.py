"""Pieces shared by the workload modules: settings, timing, checks, rows and peer adapters.

Timing reuses `per_example.py`'s harness: candidates are zero-argument callables, timed in
interleaved rounds (each round times every candidate once, rotating the order), each sample
a batch of k calls lasting at least `batch` seconds, rounds cut to a time budget per row;
medians and paired per-round ratios `funcdiff ... / other`.

Candidate names are fixed so that `run.py` can put them in columns: "funcdiff eager",
"funcdiff jit", "autograd", "jax eager", "jax jit", "torch", "reference" (the hand-written
NumPy reference); any other name is an extra candidate (kept in results.json and listed
under the main table).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import per_example as pe  # the timing harness (sets the BLAS variables if not set already)

COLUMNS = ("funcdiff eager", "funcdiff jit", "autograd", "jax eager", "jax jit", "torch",
           "reference")  # fmt: skip

SETTINGS = {  # rounds (max), batch (min seconds per sample), budget (s per row), min rounds
    "full": {"rounds": 61, "batch": 0.004, "budget": 12.0, "min_rounds": 5},
    "quick": {"rounds": 11, "batch": 0.004, "budget": 3.0, "min_rounds": 5},
    "smoke": {"rounds": 3, "batch": 0.0005, "budget": 0.2, "min_rounds": 3},
}


@dataclasses.dataclass
class Ctx:
    """What a workload needs to know: the mode, timing settings, peers, and where to report."""

    mode: str = "quick"
    peers: dict = dataclasses.field(default_factory=dict)
    inject: bool = False  # selftest only: make the reference wrong on purpose
    failures: list = dataclasses.field(default_factory=list)
    rounds: int = 11
    batch: float = 0.004
    budget: float = 3.0
    min_rounds: int = 5
    call_seconds: dict = dataclasses.field(default_factory=dict)  # of the last check()

    @classmethod
    def make(cls, mode, peers=None, inject=False):
        return cls(mode=mode, peers=peers or {}, inject=inject, **SETTINGS[mode])

    @property
    def full(self):
        return self.mode == "full"

    def pick(self, full, quick, smoke=None):
        """The sizes (or any setting) for this mode."""
        if self.mode == "full":
            return full
        return quick if self.mode == "quick" or smoke is None else smoke

    def fail(self, message):
        self.failures.append(message)
        progress(f"  CHECK FAILURE: {message}")


def progress(message):
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Checks


def to_numpy(tree):
    """Nested dicts / tuples / lists of NumPy, jax or torch arrays as float64 NumPy."""
    if isinstance(tree, dict):
        return {k: to_numpy(v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return [to_numpy(v) for v in tree]
    return pe.to_numpy(tree)


def rel_err(got, want):
    """Largest normwise relative error over the leaves (max|got - want| / max|want|)."""
    got, want = to_numpy(got), to_numpy(want)
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return math.inf
        return max((rel_err(g, w) for g, w in zip(got, want)), default=0.0)
    return pe.rel_err(got, want)


def _call(fn, seconds=None, name=None):
    t0 = time.perf_counter()
    try:
        return fn(), None
    except Exception as e:  # a broken candidate must not stop the other figures
        return None, f"{type(e).__name__}: {str(e)[:300]}"
    finally:
        if seconds is not None:
            seconds[name] = time.perf_counter() - t0


def check(ctx, label, cands, tol, want=None, err=rel_err):
    """The candidates whose result agrees; every disagreement is a failure.

    Without `want`, the reference is first checked against funcdiff eager's result (a
    reference that disagrees is a failure and is left out), then every candidate against
    the reference. With `want` (a closed form, say), everything is checked against it.
    Returns `(kept candidates, errors per candidate)`; errors are None for exceptions.
    """
    ctx.call_seconds = {}
    results = {n: _call(fn, ctx.call_seconds, n) for n, fn in cands.items()}
    errors, dropped = {}, set()
    if want is None:
        fd_val, fd_why = results.get("funcdiff eager", (None, "absent"))
        ref_val, ref_why = results.get("reference", (None, "absent"))
        if fd_why is None and ref_why is None:
            e = err(ref_val, fd_val)
            errors["reference"] = e
            if not e <= tol:
                ctx.fail(f"{label}: reference differs from funcdiff eager "
                         f"(relative error {e:.3g} > {tol:g})")  # fmt: skip
                dropped.add("reference")
                want = fd_val
            else:
                want = ref_val
        elif fd_why is None:
            want = fd_val
        elif ref_why is None:
            want = ref_val
    for name, (val, why) in results.items():
        if name in dropped or name in errors:
            continue
        if why is None and want is None:
            why = "nothing to compare with"
        if why is None:
            e = err(val, want)
            errors[name] = e
            if not e <= tol:
                ctx.fail(f"{label}: {name} left out (relative error {e:.3g} > {tol:g})")
                dropped.add(name)
        else:
            errors[name] = None
            ctx.fail(f"{label}: {name} left out ({why})")
            dropped.add(name)
    kept = {n: fn for n, fn in cands.items() if n not in dropped}
    return kept, {n: (None if e is None or math.isinf(e) else float(e)) for n, e in errors.items()}


# --------------------------------------------------------------------------
# Timing and rows


SLOW_ROUND_S = 1.0  # above this (one call of every candidate), plain runs without calibration


def measure(ctx, cands, budget=None, batch=None):
    """Interleaved timing of `cands` (name -> zero-argument callable); a timing dict.

    When one call of every candidate takes more than `SLOW_ROUND_S` (in the last `check`,
    which also warmed them up, and again after it: first calls include compiles), the
    calibration calls are skipped (`measure_runs`: one call per sample) and the rounds are
    fit to the budget, never fewer than 3 (1 in smoke mode).
    """
    if not cands:
        return {"medians": {}, "quartiles": {}, "ratios": {}, "batch_k": {}, "rounds": 0}
    budget = ctx.budget if budget is None else budget
    per_round = sum(ctx.call_seconds.get(n, 0.0) for n in cands)
    ctx.call_seconds = {}
    if per_round > SLOW_ROUND_S:  # first calls include compiles (jit, torch.func): time again
        per_round = 0.0
        for fn in cands.values():
            t0 = time.perf_counter()
            fn()
            per_round += time.perf_counter() - t0
    if per_round > SLOW_ROUND_S:
        low = ctx.pick(3, 3, 1)
        return measure_runs(cands, max(low, min(ctx.min_rounds, int(budget / per_round))))
    samples, ks = pe.interleaved(
        cands, ctx.rounds, ctx.batch if batch is None else batch, budget, ctx.min_rounds
    )
    med, quartiles, ratios = pe.summarize(samples)
    return {"medians": med, "quartiles": quartiles, "ratios": ratios, "batch_k": ks,
            "rounds": len(next(iter(samples.values()))), "method": "batched"}  # fmt: skip


def measure_runs(cands, runs):
    """For slow candidates (seconds per call): `runs` calls each, interleaved, no warm-up."""
    samples = {n: [] for n in cands}
    names = list(cands)
    for r in range(runs):
        s = r % len(names)
        for n in names[s:] + names[:s]:
            t0 = time.perf_counter()
            cands[n]()
            samples[n].append(time.perf_counter() - t0)
    med, quartiles, ratios = pe.summarize(samples)
    return {
        "medians": med,
        "quartiles": quartiles,
        "ratios": ratios,
        "batch_k": dict.fromkeys(cands, 1),
        "rounds": runs,
        "method": "single calls",
    }


# --------------------------------------------------------------------------
# GradBench's C++ manual tool, when built here (benchmarks/gradbench/build_manual.py)

MANUAL_ENV = "FUNCDIFF_GRADBENCH_MANUAL"
MANUAL = "C++ manual"


def manual_binary(module):
    """Path of GradBench's C++ manual tool for `module`, if `$FUNCDIFF_GRADBENCH_MANUAL` names
    a directory holding it (built by benchmarks/gradbench/build_manual.py), else None."""
    folder = os.environ.get(MANUAL_ENV)
    path = os.path.join(folder, module) if folder else None
    return path if path and os.access(path, os.X_OK) else None


def run_manual(binary, inp, function, runs):
    """(output, seconds of each of `runs` evaluations) of the C++ tool on the GradBench
    input `inp`; parsing the input and printing the output are outside its timings."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({**inp, "min_runs": runs}, f)
        f.flush()
        proc = subprocess.run([binary, f.name, function], capture_output=True, text=True,
                              check=True)  # fmt: skip
    lines = proc.stdout.splitlines()
    times = [json.loads(ln) for ln in lines[1:]]
    return json.loads(lines[0]), [t["nanoseconds"] * 1e-9 for t in times if t["name"] == "evaluate"]


def gradbench_mismatch(got, want):
    """Largest |x - y| / max(1, |x| + |y|) over two JSON values (GradBench's check)."""
    if isinstance(want, dict):
        return max((gradbench_mismatch(got[k], want[k]) for k in want), default=0.0)
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return math.inf
        return max((gradbench_mismatch(g, w) for g, w in zip(got, want)), default=0.0)
    return abs(got - want) / max(1.0, abs(got) + abs(want))


def add_manual(ctx, label, timing, cands, binary, inp, function, want_json, rounds=None):
    """Time the C++ manual tool beside the funcdiff candidates of `cands`, into `timing`.

    Its output is first checked against `want_json` (funcdiff's, in GradBench's format,
    with GradBench's tolerance 1e-4). Then each round times every funcdiff candidate
    (an untimed warm-up call, then a batch of calls, as `measure` does) and one run of the
    tool evaluating the function as many times; the ratios are paired per round.
    Adds the tool's median, quartiles and the ratios "funcdiff ... / C++ manual".
    """
    try:
        out, times = run_manual(binary, inp, function, 3)
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        ctx.fail(f"{label}: {MANUAL} failed ({type(e).__name__}: {str(e)[:200]})")
        return None
    err = gradbench_mismatch(out, want_json)
    if not err <= 1e-4:
        ctx.fail(f"{label}: {MANUAL} differs from funcdiff (GradBench error {err:.3g})")
        return err
    per_call = min(times)
    rounds = rounds or ctx.pick(max(ctx.min_rounds, 11), 5, 1)
    fd_names = [n for n in cands if n.startswith("funcdiff")]
    ks = {n: timing["batch_k"].get(n, 1) for n in fd_names}
    runs = max(1, min(1 << 12, round(ctx.batch / per_call)))
    samples = {n: [] for n in [*fd_names, MANUAL]}
    for _ in range(rounds):
        for n in fd_names:
            cands[n]()
            samples[n].append(pe._time_batch(cands[n], ks[n]))
        samples[MANUAL].append(statistics.median(run_manual(binary, inp, function, runs)[1]))
    cpp = samples[MANUAL]
    timing["medians"][MANUAL] = statistics.median(cpp)
    timing["quartiles"][MANUAL] = [float(q) for q in np.percentile(cpp, [25, 75])]
    timing["batch_k"][MANUAL] = runs
    for n in fd_names:
        timing["ratios"][f"{n} / {MANUAL}"] = statistics.median(
            a / b for a, b in zip(samples[n], cpp)
        )
    return err


def short(name):
    return {"funcdiff eager": "eager", "funcdiff jit": "jit"}.get(name, name)


def target(timing, num, den, limit, text=None):
    """A target `num / den <= limit` on the paired ratio of the timing."""
    r = timing["ratios"].get(f"{num} / {den}")
    return {
        "name": f"{short(num)} / {short(den)}",
        "ratio": r,
        "limit": limit,
        "text": text or f"{short(num)} <= {limit:g}x {short(den)}",
        "met": None if r is None else bool(r <= limit),
    }


def value_target(name, value, limit, text):
    """A target on a computed figure (already a ratio to its limit's unit)."""
    return {"name": name, "ratio": value, "limit": limit, "text": text,
            "met": None if value is None else bool(value <= limit)}  # fmt: skip


def make_row(size, timing, *, reference=None, targets=(), checks=None, notes=(), unit="s",
             valid=None, title=None, **extra):  # fmt: skip
    """One table row. `reference` says what the reference is; `unit` "s" or "bytes"."""
    row = {
        "size": size,
        "unit": unit,
        "medians": timing["medians"],
        "quartiles": timing["quartiles"],
        "ratios": timing["ratios"],
        "batch_k": timing["batch_k"],
        "rounds": timing["rounds"],
        "timing_method": timing.get("method"),
        "reference": reference,
        "targets": list(targets),
        "checks": checks or {},
        "valid": valid,
        "notes": list(notes),
    }
    if title is not None:
        row["title"] = title
    row.update(extra)
    return row


def median(xs):
    return statistics.median(xs)


# --------------------------------------------------------------------------
# Peers: a small NumPy-like namespace over autograd.numpy, jax.numpy or torch


class Ops:
    """The few array functions the peer implementations use, one spelling for all backends."""

    def __init__(self, name, peers):
        self.name = name
        if name == "torch":
            import torch

            self.m = torch
            self.asarray = torch.from_numpy
        elif name == "jax":
            self.m = peers["jax"].numpy
            self.asarray = self.m.asarray
        else:
            self.m = peers["autograd"][1]
            self.asarray = lambda a: a
        for f in ("exp", "log", "sin", "cos", "tanh", "sqrt", "einsum", "where", "sign"):
            setattr(self, f, getattr(self.m, f))

    def sum(self, x, axis=None, keepdims=False):
        if self.name == "torch":
            return self.m.sum(x) if axis is None else self.m.sum(x, dim=axis, keepdim=keepdims)
        return self.m.sum(x, axis=axis, keepdims=keepdims)

    def max(self, x, axis=None, keepdims=False):
        if self.name == "torch":
            return self.m.amax(x) if axis is None else self.m.amax(x, dim=axis, keepdim=keepdims)
        return self.m.max(x, axis=axis, keepdims=keepdims)

    def min(self, x, axis=None):
        if self.name == "torch":
            return self.m.amin(x) if axis is None else self.m.amin(x, dim=axis)
        return self.m.min(x, axis=axis)

    def concatenate(self, xs, axis=0):
        if self.name == "torch":
            return self.m.cat(xs, dim=axis)
        return self.m.concatenate(xs, axis=axis)

    def stack(self, xs, axis=0):
        if self.name == "torch":
            return self.m.stack(xs, dim=axis)
        return self.m.stack(xs, axis=axis)

    def zeros(self, shape):
        if self.name == "torch":
            return self.m.zeros(shape, dtype=self.m.float64)
        return self.m.zeros(shape)

    def const(self, a):
        """A NumPy constant as this backend's array (autograd: unchanged)."""
        return self.asarray(np.ascontiguousarray(a))


def tree_map(f, tree):
    if isinstance(tree, dict):
        return {k: tree_map(f, v) for k, v in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(tree_map(f, v) for v in tree)
    return f(tree)


def jax_ready(peers, fn):
    """`fn` followed by `jax.block_until_ready` of its result."""
    jax = peers["jax"]
    return lambda: jax.block_until_ready(fn())


def renamed(row, mapping):
    """A timing dict from a `per_example.py`/`hvp.py` row, candidates renamed by `mapping`."""

    def rn(name):
        return mapping.get(name, name)

    def rn_pair(key):
        a, b = key.split(" / ", 1)
        return f"{rn(a)} / {rn(b)}"

    return {
        "medians": {rn(n): t for n, t in row["medians_s"].items()},
        "quartiles": {rn(n): q for n, q in row["quartiles_s"].items()},
        "ratios": {rn_pair(k): v for k, v in row["ratios"].items()},
        "batch_k": {rn(n): k for n, k in row["batch_k"].items()},
        "rounds": row["rounds"],
    }
