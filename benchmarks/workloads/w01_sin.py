"""Workload 1: `fnp.sin(x)` outside any transform vs `np.sin(x)` (the cost of the dispatch).

Runs `overhead.py`'s workload 1 as it is (its own batched timing: each sample is a batch of
calls of `fn(x)` without a wrapping lambda, which matters at a fraction of a microsecond).
Target: funcdiff <= 1.3x NumPy + 0.5 us, i.e. a ratio limit of 1.3 + 0.5 us / NumPy's time.
`fd.jit` does not apply (there is no transform to stage).
"""

import overhead as oh

from workloads.common import make_row, progress

NUMBER, NAME, TITLE = 1, "overhead", "`fnp.sin` outside transforms vs `np.sin`"
PEERS = ("autograd", "jax")
NAMES = {"funcdiff": "funcdiff eager"}


def _timing(r):
    """overhead.py's row as a `common.measure` timing, with run.py's candidate names."""
    med = {NAMES.get(n, n): t for n, t in r["medians_s"].items()}
    ratios = {f"funcdiff eager / {NAMES.get(n, n)}": v for n, v in r["ratios_fd_over"].items()}
    return {"medians": med, "quartiles": {NAMES.get(n, n): q for n, q in r["quartiles_s"].items()},
            "ratios": ratios, "batch_k": {NAMES.get(n, n): k for n, k in r["batch_k"].items()},
            "rounds": r["rounds"]}  # fmt: skip


def run(ctx):
    rounds, batch = ctx.pick((61, 0.004), (15, 0.002), (3, 0.0005))
    failures = []
    rows = []
    for r in oh.workload1(ctx.peers, rounds, batch, failures):
        timing = _timing(r)
        fd_t, ref_t = timing["medians"].get("funcdiff eager"), timing["medians"].get("reference")
        ratio = timing["ratios"].get("funcdiff eager / reference")
        limit = None if ref_t is None else 1.3 + 0.5e-6 / ref_t
        met = None if fd_t is None or ref_t is None else bool(fd_t <= 1.3 * ref_t + 0.5e-6)
        tgt = {"name": "eager / reference", "ratio": ratio, "limit": limit,
               "text": "eager <= 1.3x ref + 0.5 us", "met": met}  # fmt: skip
        rows.append(
            make_row(
                r["size"],
                timing,
                reference="`np.sin`",
                targets=[tgt],
                notes=["fd.jit: not applicable (no transform)"],
            )
        )
        progress(f"  1 {r['size']}: done")
    for f in failures:
        ctx.fail(f"1 {f}")
    return rows
