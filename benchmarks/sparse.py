"""Sparse Jacobians and Hessians: funcdiff's detected-and-coloured derivatives against
the dense ones and against hand-written sparse ones, in one run.

1. The Jacobian of a 2-D Bratu residual F(u) = Laplacian(u) + lambda exp(u) (five-point
   stencil, zero boundary) on N x N grids: funcdiff `sparse_jacfwd` (preparation, i.e.
   detection and colouring, once; then each evaluation), dense `jacfwd` where it fits,
   and the Jacobian assembled by hand with scipy.sparse (the Laplacian plus a diagonal).
2. The Hessian of the extended Rosenbrock function sum(100 (x[i+1] - x[i]^2)^2 +
   (1 - x[i])^2) for n variables: `sparse_hessian`, dense `hessian` where it fits, and the
   tridiagonal Hessian by hand.

    python benchmarks/sparse.py            # N = 50, 100, 300, 1000; n = 1e3 ... 1e6
    python benchmarks/sparse.py --quick
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

import funcdiff as fd
import funcdiff.numpy as fnp

LAM = 1.0


def bratu(n):
    def residual(u):
        g = fnp.reshape(u, (n, n))
        p = fnp.pad(g, 1)
        lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * g
        return fnp.ravel(lap + LAM * fnp.exp(g))

    return residual


def bratu_jacobian_by_hand(n, u):
    one = sp.diags([1.0, -2.0, 1.0], [-1, 0, 1], shape=(n, n))
    eye = sp.identity(n)
    lap = sp.kron(eye, one) + sp.kron(one, eye)
    return (lap + sp.diags(LAM * np.exp(u))).tocsr()


def rosenbrock(x):
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian_by_hand(x):
    n = x.size
    d = np.zeros(n)
    d[:-1] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    d[1:] += 200.0
    off = -400.0 * x[:-1]
    return sp.diags([off, d, off], [-1, 0, 1]).tocsr()


def best(fn, repeats=5):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def row(name, size, cells):
    print(f"| {name} | {size} | " + " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    grids = (30, 100) if args.quick else (50, 100, 300, 1000)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000, 1_000_000)
    dense_limit = 5_000  # inputs: a dense Jacobian of 5,000^2 float64 is 200 MB

    print("| derivative | size | prepare (detect + colour) | colours | sparse evaluation "
          "| by hand (scipy.sparse) | sparse / by hand | dense | dense / sparse | max diff |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for n in grids:
        u = rng.uniform(-0.5, 0.5, n * n)
        measure("Bratu Jacobian (fwd)", f"{n}x{n} grid, n={n * n:,}", fd.sparse_jacfwd,
                fd.jacfwd, bratu(n), u, lambda u, n=n: bratu_jacobian_by_hand(n, u),
                n * n <= dense_limit)
    for n in sizes:
        x = rng.uniform(-1.0, 1.0, n)
        measure("extended Rosenbrock Hessian", f"n={n:,}", fd.sparse_hessian, fd.hessian,
                rosenbrock, x, rosenbrock_hessian_by_hand, n <= dense_limit)


def measure(name, size, sparse, dense, f, x, by_hand, with_dense):
    """One row: preparation (fresh), sparse evaluation, by hand, dense (if it fits)."""
    t_prep, prep = best(lambda: sparse(f).prepare(x), repeats=1)
    d = sparse(f)
    d.prepare(x)
    t_eval, got = best(lambda: d(x))
    t_hand, want = best(lambda: by_hand(x))
    diff = abs(got - want).max()
    if with_dense:
        t_dense, _ = best(lambda: dense(f)(x), repeats=3)
        cells = [f"{t_dense * 1e3:.1f} ms", f"{t_dense / t_eval:.0f}x"]
    else:
        cells = ["(too large)", "-"]
    row(name, size, [f"{t_prep:.2f} s", str(prep.ncolors), f"{t_eval * 1e3:.1f} ms",
                     f"{t_hand * 1e3:.2f} ms", f"{t_eval / t_hand:.1f}x", *cells,
                     f"{diff:.1e}"])

if __name__ == "__main__":
    main()
