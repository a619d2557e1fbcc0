"""A tiny workload that tests run.py's checks: with `--inject-mismatch` its reference is
wrong on purpose, which must be reported as a CHECK FAILURE (and exit status 1)."""

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp
from workloads.common import check, make_row, measure

NUMBER, NAME, TITLE = 0, "selftest", "self-test: grad of sum(sin(x) x)"
PEERS = ()


def f(x):
    return fnp.sum(fnp.sin(x) * x)


def run(ctx):
    x = np.linspace(-1.0, 1.0, 5)

    def hand(x):
        out = np.cos(x) * x + np.sin(x)
        return out + 1e-3 if ctx.inject else out

    g, jg = fd.grad(f), fd.jit(fd.grad(f))
    cands = {"funcdiff eager": lambda: g(x), "funcdiff jit": lambda: jg(x),
             "reference": lambda: hand(x)}  # fmt: skip
    cands, checks = check(ctx, "0 selftest", cands, 1e-12)
    return [
        make_row(
            "n=5",
            measure(ctx, cands),
            reference="closed form",
            checks=checks,
            notes=["--inject-mismatch adds 1e-3 to the reference"] * ctx.inject,
        )
    ]
