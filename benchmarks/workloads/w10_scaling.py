"""Workload 10: scaling of reverse mode with the length of the program: grad of a chain of
N scalar `sin`, N = 1e3, 1e4, 1e5.

Targets (funcdiff): the time per operation at N stays within 1.5x of that at N = 1e3 (eager
and jit); no RecursionError (every N runs); memory linear: the peak traced memory
(`tracemalloc`) of the eager grad per operation stays within 1.5x of that at N = 1e3.
Reference: the hand loop on Python floats (forward storing the inputs, backward multiplying
the cosines). Peers: autograd, torch (`torch.autograd.grad` on a 0-d tensor); jax only at
N = 1e3 (eager jax costs ~170 us per op here and jit compiles the unrolled chain).
`fd.jit`'s compile time is recorded in results.json (`jit_compile_s`), not in the medians.
funcdiff and the reference are timed among themselves, the peers apart (`measure_split`).
"""

import gc
import time
import tracemalloc

import overhead as oh

import funcdiff as fd
from workloads.common import check, jax_ready, make_row, measure, progress, value_target

NUMBER, NAME, TITLE = 10, "scaling", "grad of a chain of N `sin` (scaling)"
PEERS = ("autograd", "torch", "jax")
NS = (1000, 10000, 100000)
X0 = 0.5
LIMIT = 1.5


def peak_bytes(fn):
    """Peak traced memory while `fn()` runs, above what was live before."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def candidates(peers, n):
    g = fd.grad(lambda x: oh.chain_fd(x, n))
    jg = fd.jit(fd.grad(lambda x: oh.chain_fd(x, n)))
    t0 = time.perf_counter()
    jg(X0)  # compile
    compile_s = time.perf_counter() - t0
    cands = {"funcdiff eager": lambda: g(X0), "funcdiff jit": lambda: jg(X0),
             "reference": lambda: oh.hand_chain_grad(X0, n)}  # fmt: skip
    if "autograd" in peers:
        autograd, anp = peers["autograd"]

        def chain_ag(x):
            for _ in range(n):
                x = anp.sin(x)
            return x

        ag = autograd.grad(chain_ag)
        cands["autograd"] = lambda: ag(X0)
    if "torch" in peers:
        torch = peers["torch"]
        t = torch.tensor(X0, dtype=torch.float64, requires_grad=True)

        def torch_grad():
            y = t
            for _ in range(n):
                y = torch.sin(y)
            return torch.autograd.grad(y, t)[0].item()

        cands["torch"] = torch_grad
    if "jax" in peers and n <= 1000:
        jax = peers["jax"]

        def chain_jax(x):
            for _ in range(n):
                x = jax.numpy.sin(x)
            return x

        jgr, jj = jax.grad(chain_jax), jax.jit(jax.grad(chain_jax))
        cands["jax eager"] = jax_ready(peers, lambda: jgr(X0))
        cands["jax jit"] = jax_ready(peers, lambda: jj(X0))
    return cands, compile_s


OWN = ("funcdiff eager", "funcdiff jit", "reference")


def measure_split(ctx, cands):
    """Time funcdiff and the reference among themselves, then the peers among themselves.

    Peers take seconds per call at N >= 1e4, which puts a round above `SLOW_ROUND_S`:
    timed together, every candidate would be timed as single cold calls following a peer's
    multi-second run at large N, but batched and warm at N = 1e3, and the per-op ratio
    (this workload's target) would compare two methods. Medians of the two groups come
    from the same run; ratios across groups are ratios of medians (not paired).
    """
    seconds = ctx.call_seconds
    groups = [{k: f for k, f in cands.items() if (k in OWN) == own} for own in (True, False)]
    timing = None
    for group in groups:
        if not group:
            continue
        ctx.call_seconds = {k: seconds[k] for k in group if k in seconds}
        t = measure(ctx, group)
        if timing is None:
            timing = t
            continue
        for key in ("medians", "quartiles", "ratios", "batch_k"):
            timing[key].update(t[key])
        for a in OWN:
            for b in group:
                if a.startswith("funcdiff") and a in timing["medians"]:
                    timing["ratios"][f"{a} / {b}"] = timing["medians"][a] / t["medians"][b]
        timing["method"] = f"{timing.get('method')}; peers: {t.get('method')}"
    return timing


def run(ctx):
    rows, first = [], None
    for n in ctx.pick(NS, NS, (100, 1000)):
        cands, compile_s = candidates(ctx.peers, n)
        cands, checks = check(ctx, f"10 chain N={n}", cands, 1e-10)
        timing = measure_split(ctx, cands)
        peak = peak_bytes(cands["funcdiff eager"]) if "funcdiff eager" in cands else None
        per_op = {c: t / n for c, t in timing["medians"].items()}
        figures = {"per_op": per_op, "bytes_per_op": None if peak is None else peak / n}
        targets = []
        if first is None:
            first = figures
        else:
            for c in ("funcdiff eager", "funcdiff jit"):
                a, b = per_op.get(c), first["per_op"].get(c)
                ratio = None if a is None or b is None else a / b
                targets.append(
                    value_target(
                        f"{c[9:]} per-op time vs N=1e3",
                        ratio,
                        LIMIT,
                        f"{c[9:]} per op <= {LIMIT}x N=1e3",
                    )
                )
            a, b = figures["bytes_per_op"], first["bytes_per_op"]
            targets.append(
                value_target(
                    "memory per op vs N=1e3",
                    None if a is None or b is None else a / b,
                    LIMIT,
                    f"memory per op <= {LIMIT}x N=1e3",
                )
            )
        rows.append(make_row(
            f"N={n:.0e}".replace("+0", ""), timing, reference="hand loop (math.sin/cos)",
            targets=targets,
            checks=checks, valid="funcdiff eager" in cands, per_op_s=per_op,
            peak_bytes_eager=peak, bytes_per_op_eager=figures["bytes_per_op"],
            jit_compile_s=compile_s,
            notes=["valid = no RecursionError (or any error) and the right value",
                   "jax only at N=1e3"]))  # fmt: skip
        mem = "-" if peak is None else f"{peak / n:.0f} B/op"
        progress(
            f"  10 N={n}: eager {per_op.get('funcdiff eager', 0) * 1e6:.2f} us/op, "
            f"peak {mem}, jit compile {compile_s:.1f} s"
        )
    return rows
