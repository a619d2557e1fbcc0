"""Workload 11: peak memory of workload 4's gradient at B = 1024 vs forward activations +
parameters.

Peak traced memory (`tracemalloc`, which sees NumPy's array buffers) of one gradient call,
above what was live before it (the inputs and parameters were allocated before, so they do
not count; the returned gradient, one parameter-sized dict, does). The baseline is the
forward activations a backward pass needs, the two hidden layers' outputs and the logits
(B x (512 + 512 + 10) doubles), plus the parameters' size (the gradient). Target: funcdiff's
grad <= 1.25x that (eager and jit). The hand backprop and autograd (NumPy-based) are measured
the same way; jax and torch allocate outside NumPy, so tracemalloc cannot see them.
Each figure is the median of 3 calls.
"""

import funcdiff as fd
from workloads import w04_mlp as mlp
from workloads.common import check, make_row, median, value_target
from workloads.w10_scaling import peak_bytes

NUMBER, NAME, TITLE = 11, "memory", "peak memory of #4's grad"
PEERS = ("autograd",)
LIMIT = 1.25


def run(ctx):
    b = ctx.pick(1024, 1024, 32)
    params, X, Y = mlp.data(b)
    cands = {
        "funcdiff eager": lambda: fd.grad(mlp.loss)(params, X, Y),
        "funcdiff jit": (lambda jg: lambda: jg(params, X, Y))(fd.jit(fd.grad(mlp.loss))),
        "reference": lambda: mlp.hand_grad(params, X, Y),
    }
    if "autograd" in ctx.peers:
        cands["autograd"] = mlp.candidates(ctx.peers, params, X, Y)["autograd"]
    cands, checks = check(ctx, f"11 memory B={b}", cands, 1e-10)
    peaks = {n: float(median([peak_bytes(fn) for _ in range(3)])) for n, fn in cands.items()}
    act = b * sum(mlp.SIZES[1:]) * 8
    par = sum(a.nbytes for a in params.values())
    base = act + par
    ratios = {f"funcdiff {k} / {n}": peaks[f"funcdiff {k}"] / peaks[n]
              for k in ("eager", "jit") if f"funcdiff {k}" in peaks
              for n in peaks if n != f"funcdiff {k}"}  # fmt: skip
    timing = {"medians": peaks, "quartiles": {}, "ratios": ratios,
              "batch_k": dict.fromkeys(peaks, 1), "rounds": 3}  # fmt: skip
    targets = [value_target(f"{k} peak / (act + params)",
                            peaks[f"funcdiff {k}"] / base if f"funcdiff {k}" in peaks else None,
                            LIMIT, f"{k} <= {LIMIT}x (act + params)")
               for k in ("eager", "jit")]  # fmt: skip
    per_base = {n: p / base for n, p in peaks.items()}
    note = (
        f"baseline act + params = {act / 2**20:.2f} + {par / 2**20:.2f} MiB; peak / baseline: "
        + ", ".join(f"{n} {r:.2f}x" for n, r in per_base.items())
    )
    return [make_row(f"B={b}", timing, unit="bytes", reference="hand backprop (NumPy)",
                     targets=targets, checks=checks, activations_bytes=act, params_bytes=par,
                     peak_over_baseline=per_base,
                     notes=[note, "jax, torch: not traced by tracemalloc"])]  # fmt: skip
