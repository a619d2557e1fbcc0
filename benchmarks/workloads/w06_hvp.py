"""Workload 6: Hessian-vector products of workload 4's MLP (B=128; forward-over-reverse and
reverse-over-reverse) and the full Hessian of logistic regression by `vmap(hvp)` (n = 100,
1000 features; n = 1000 only in full runs).

Runs `hvp.py`'s rows (its candidates, its check of the hand R-operator HVP and of the closed
form Hessian against funcdiff, its timing) and renames the candidates for run.py's columns.
Targets: funcdiff eager <= 0.7x torch.func; funcdiff jit <= 1.0x jax jit (same mode).
"""

import types

import hvp

from workloads.common import make_row, renamed, target

NUMBER, NAME, TITLE = 6, "hvp", "HVP of #4 / logistic Hessian `vmap(hvp)`"
PEERS = ("autograd", "torch", "jax")


def run(ctx):
    args = types.SimpleNamespace(rounds=ctx.rounds, batch=ctx.batch, budget=ctx.budget,
                                 quick=not ctx.full)  # fmt: skip
    failures = []
    rows = []
    for r in hvp.mlp_rows(ctx.peers, args, failures) + hvp.hessian_rows(ctx.peers, args, failures):
        c = r["cols"]
        mode = c["eager"][len("funcdiff") :]  # "" or " fwd-over-rev" ...
        names = {c["eager"]: "funcdiff eager", c["jit"]: "funcdiff jit", c["hand"]: "reference",
                 c["torch"]: "torch", c["jax"]: "jax jit", f"jax eager{mode}": "jax eager",
                 f"autograd{mode}": "autograd"}  # fmt: skip
        timing = renamed(r, names)
        targets = [
            target(timing, "funcdiff eager", "torch", hvp.VS_TORCH),
            target(timing, "funcdiff jit", "jax jit", hvp.VS_JAX),
        ]
        title = r["workload"][2:]  # "HVP, fwd-over-rev" / "Hessian, vmap(hvp)"
        rows.append(make_row(
            r["size"], timing, title=title, label=title.split(",")[0], reference=c["hand"],
            targets=targets,
            checks={"reference": r.get("check_hand_vs_funcdiff")},
            notes=["torch: torch.func"]))  # fmt: skip
    for f in failures:
        ctx.fail(f)
    return rows
