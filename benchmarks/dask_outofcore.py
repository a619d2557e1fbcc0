"""The gradient of a logistic-regression loss over a Dask array larger than memory.

`X` (N x 100 float64, generated lazily by `dask.array.random` in chunks of ~100 MB)
never exists in memory as a whole: `fd.grad(loss)(w, X, y)` builds a lazy Dask graph
(nothing computed), and a `dask.distributed.LocalCluster` with a memory limit per worker
computes it chunk by chunk. The same gradient written by hand in Dask runs on a fresh
cluster of the same size, and NumPy (funcdiff eager and the hand-written gradient) runs
on a slice that fits in memory. Reported: wall time, the peak resident memory of the
cluster's worker processes (sampled every 0.2 s), the number of tasks in each graph,
and the largest difference between the two gradients.

    python benchmarks/dask_outofcore.py              # 50 GB of X
    python benchmarks/dask_outofcore.py --gb 2       # a quick run
    python benchmarks/dask_outofcore.py --json out.json   # also the memory traces

Needs `dask[array]` and `distributed` (the `backends` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time

import dask
import dask.array as da
import numpy as np
import psutil
from distributed import Client, LocalCluster

import funcdiff as fd
import funcdiff.numpy as fnp

D = 100  # features
CHUNK_ROWS = 125_000  # 125,000 x 100 float64 = 100 MB per chunk


def loss(w, X, y):
    """Mean logistic loss: log(1 + exp(z)) - y z with z = X w."""
    z = X @ w
    return fnp.mean(fnp.logaddexp(0.0, z) - y * z)


def grad_by_hand(w, X, y):
    """The same gradient, written by hand: X^T (sigmoid(X w) - y) / N."""
    z = X @ w
    return X.T @ (1.0 / (1.0 + np.exp(-z)) - y) / X.shape[0]


def data(n_rows, seed=0):
    rng = da.random.default_rng(seed)
    X = rng.standard_normal((n_rows, D), chunks=(CHUNK_ROWS, D))
    w_true = np.linspace(-1.0, 1.0, D)
    y = (X @ w_true > 0).astype(np.float64)  # labels, lazily too
    return X, y


class MemorySampler:
    """Samples the summed resident memory of the cluster's worker processes."""

    def __init__(self, pids, every=0.2):
        self.procs = [psutil.Process(p) for p in pids]
        self.every, self.trace, self._stop = every, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        t0 = time.perf_counter()
        while not self._stop.is_set():
            rss = 0
            for p in self.procs:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            self.trace.append((time.perf_counter() - t0, rss / 2**30))
            time.sleep(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_gib(self):
        return max(m for _, m in self.trace) if self.trace else float("nan")


def on_cluster(make_graph, n_rows, workers, memory_limit):
    """Build the graph (timed, nothing computed), then compute it on a fresh cluster."""
    with LocalCluster(n_workers=workers, threads_per_worker=1, memory_limit=memory_limit,
                      dashboard_address=None, processes=True) as cluster, Client(cluster) as client:
        X, y = data(n_rows)
        w = da.zeros(D, chunks=D)
        t0 = time.perf_counter()
        g = make_graph(w, X, y)
        t_build = time.perf_counter() - t0
        assert isinstance(g, da.Array)
        tasks = len(dict(g.__dask_graph__()))
        pids = list(client.run(os.getpid).values())
        with MemorySampler(pids) as mem:
            t0 = time.perf_counter()
            out = g.compute()
            t = time.perf_counter() - t0
    return out, {"build_s": t_build, "compute_s": t, "peak_worker_gib": mem.peak_gib,
                 "tasks": tasks, "memory_trace": mem.trace}


def numpy_slice(n_rows, repeats=3):
    """funcdiff eager and the hand-written gradient on NumPy arrays that fit."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, D))
    y = (X @ np.linspace(-1.0, 1.0, D) > 0).astype(np.float64)
    w = np.zeros(D)
    g = fd.grad(loss)
    best = {}
    for name, fn in (("funcdiff", lambda: g(w, X, y)), ("by hand", lambda: grad_by_hand(w, X, y))):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t0)
        best[name] = (min(times), out)
    diff = float(np.max(np.abs(best["funcdiff"][1] - best["by hand"][1])))
    return {k: v[0] for k, v in best.items()}, diff


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gb", type=float, default=50.0, help="size of X in GB (1e9 bytes)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GiB", help="per worker")
    ap.add_argument("--slice-gb", type=float, default=0.8, help="NumPy's in-memory slice")
    ap.add_argument("--json", help="write the results (with the memory traces) here")
    args = ap.parse_args()

    n_rows = int(args.gb * 1e9 / (8 * D)) // CHUNK_ROWS * CHUNK_ROWS
    total = psutil.virtual_memory().total / 2**30
    print(f"X: {n_rows:,} x {D} float64 = {n_rows * D * 8 / 1e9:.1f} GB in "
          f"{n_rows // CHUNK_ROWS} chunks of 100 MB; machine memory {total:.1f} GiB; "
          f"{args.workers} workers x {args.memory_limit}")

    with dask.config.set({"distributed.worker.memory.target": 0.6,
                          "distributed.worker.memory.spill": 0.7}):
        g_fd, r_fd = on_cluster(lambda w, X, y: fd.grad(loss)(w, X, y), n_rows,
                                args.workers, args.memory_limit)
        g_hand, r_hand = on_cluster(grad_by_hand, n_rows, args.workers, args.memory_limit)
    diff = float(np.max(np.abs(g_fd - g_hand)))

    n_slice = int(args.slice_gb * 1e9 / (8 * D))
    t_np, diff_np = numpy_slice(n_slice)
    gb_slice = n_slice * D * 8 / 1e9

    print(f"\n{'':32s} {'build':>8s} {'compute':>9s} {'GB/s':>6s} {'peak RSS':>9s} {'tasks':>7s}")
    for name, r in (("funcdiff grad on Dask", r_fd), ("hand-written Dask gradient", r_hand)):
        print(f"{name:32s} {r['build_s']:7.3f}s {r['compute_s']:8.1f}s "
              f"{n_rows * D * 8 / 1e9 / r['compute_s']:6.2f} {r['peak_worker_gib']:7.2f}GiB "
              f"{r['tasks']:7d}")
    print(f"funcdiff / by hand: {r_fd['compute_s'] / r_hand['compute_s']:.2f}x time, "
          f"{r_fd['peak_worker_gib'] / r_hand['peak_worker_gib']:.2f}x peak memory; "
          f"largest difference of the gradients {diff:.1e}")
    print(f"\nNumPy on a {gb_slice:.1f} GB slice in memory: funcdiff {t_np['funcdiff']:.3f}s "
          f"({gb_slice / t_np['funcdiff']:.2f} GB/s), by hand {t_np['by hand']:.3f}s "
          f"({gb_slice / t_np['by hand']:.2f} GB/s); ratio "
          f"{t_np['funcdiff'] / t_np['by hand']:.2f}x; difference {diff_np:.1e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"gb": n_rows * D * 8 / 1e9, "workers": args.workers,
                       "memory_limit": args.memory_limit, "machine_gib": total,
                       "funcdiff": r_fd, "by_hand": r_hand, "max_abs_diff": diff,
                       "numpy_slice": {"gb": gb_slice, **t_np, "max_abs_diff": diff_np}},
                      f, indent=1)


if __name__ == "__main__":
    main()
