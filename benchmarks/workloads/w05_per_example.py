"""Workload 5: per-example gradients `vmap(grad)` of an MLP 32-64-64-1, B = 64, 256, 1024.

Runs `per_example.py`'s workload (its candidates, its check of the hand einsum backprop
against funcdiff, its timing) and renames the candidates for run.py's columns. Target:
funcdiff eager <= 2x the hand einsum (the plan states it at B=256; shown on every row).
"""

import types

import per_example as pe

from workloads.common import make_row, renamed, target

NUMBER, NAME, TITLE = 5, "per_example", "per-example grads `vmap(grad)`, MLP 32-64-64-1"
PEERS = ("autograd", "torch", "jax")
NAMES = {"hand einsum": "reference", "autograd loop": "autograd", "torch.func": "torch"}


def run(ctx):
    pe.BATCHES = ctx.pick(pe.BATCHES, pe.BATCHES[:1])
    args = types.SimpleNamespace(rounds=ctx.rounds, batch=ctx.batch, budget=ctx.budget)
    failures = []
    rows = []
    for r in pe.workload5(ctx.peers, args, failures):
        timing = renamed(r, NAMES)
        rows.append(make_row(
            r["size"], timing, reference="hand einsum backprop (NumPy)",
            targets=[target(timing, "funcdiff eager", "reference", pe.TARGET)],
            checks={"reference": r.get("check_hand_vs_funcdiff")},
            notes=["autograd: a Python loop of grads", "torch: torch.func.vmap(grad)",
                   "the plan states the target at B=256"]))  # fmt: skip
    for f in failures:
        ctx.fail(f)
    return rows
