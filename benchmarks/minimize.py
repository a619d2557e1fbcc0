"""`funcdiff.scipy.optimize.minimize` against SciPy given hand-written derivatives.

The 100-dimensional Rosenbrock function, whose gradient (`scipy.optimize.rosen_der`),
Hessian (`rosen_hess`) and Hessian-vector product (`rosen_hess_prod`) SciPy writes by
hand in NumPy: the reference. For each method, three runs from the same start:

- funcdiff: `funcdiff.scipy.optimize.minimize(rosen, x0, method=...)`, derivatives by
  `value_and_grad`, forward-over-reverse HVPs and `hessian` (eager; and `jit=True`);
- hand: `scipy.optimize.minimize` given `rosen_der` (and `rosen_hess_prod`/`rosen_hess`);
- FD (BFGS and L-BFGS-B only): SciPy's finite-difference gradient.

The table gives the median wall time of a whole minimization, the number of function
evaluations, the distance to the optimum (all ones), and time / hand. funcdiff's runs must
reach the optimum to 1e-2 (L-BFGS-B stops at its default tolerance about 1e-3 away);
finite differences may not.
One BLAS thread; candidates interleaved round-robin; medians over rounds.

    python benchmarks/minimize.py           # about a minute
    python benchmarks/minimize.py --quick   # a few seconds
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread, set before NumPy is imported

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scipy.optimize as so  # noqa: E402

import funcdiff.numpy as fnp  # noqa: E402
from funcdiff.scipy.optimize import minimize  # noqa: E402

N = 100


def rosen(x):
    """The Rosenbrock function written with funcdiff.numpy (NumPy itself on arrays)."""
    return fnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def candidates(method):
    hand = {"jac": so.rosen_der}
    if method in ("Newton-CG", "trust-krylov", "trust-ncg"):
        hand["hessp"] = so.rosen_hess_prod
    if method in ("trust-exact", "dogleg"):
        hand["hess"] = so.rosen_hess
    out = {
        "funcdiff": lambda x0: minimize(rosen, x0, method=method),
        "funcdiff jit": lambda x0: minimize(rosen, x0, method=method, jit=True),
        "hand": lambda x0: so.minimize(so.rosen, x0, method=method, **hand),
    }
    if method in ("BFGS", "L-BFGS-B"):
        out["FD"] = lambda x0: so.minimize(so.rosen, x0, method=method)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, three methods")
    args = parser.parse_args(argv)
    methods = (("BFGS", "L-BFGS-B", "trust-krylov") if args.quick else
               ("BFGS", "L-BFGS-B", "Newton-CG", "trust-krylov", "trust-exact"))
    rounds = 1 if args.quick else 5
    x0 = np.linspace(-1.2, 1.2, N)
    print(f"Rosenbrock, n = {N}; median of {rounds} rounds; one BLAS thread\n")
    print("| method | candidate | time | nfev | nit | max abs(x - 1) | time / hand |")
    print("|---|---|---|---|---|---|---|")
    for method in methods:
        cands = candidates(method)
        times = {k: [] for k in cands}
        results = {}
        for _ in range(rounds):
            for name, run in cands.items():
                t = time.perf_counter()
                res = run(x0.copy())
                times[name].append(time.perf_counter() - t)
                results[name] = res
                err = float(np.max(np.abs(np.asarray(res.x) - 1.0)))
                if err > 1e-2 and name.startswith("funcdiff"):
                    raise SystemExit(f"{method} / {name}: not at the optimum ({err:.2g})")
        hand = float(np.median(times["hand"]))
        for name in cands:
            med = float(np.median(times[name]))
            res = results[name]
            err = float(np.max(np.abs(np.asarray(res.x) - 1.0)))
            print(f"| {method} | {name} | {med * 1e3:.1f} ms | {res.nfev} | {res.nit} "
                  f"| {err:.1e} | {med / hand:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
