"""Workload 9: the other GradBench evals (lse, llsq, ode, det, kmeans, lstm, ht, saddle,
particle): validity and time of the GradBench tool's functions (`benchmarks/gradbench/evals`).

GradBench judges a tool against its C++ `manual` tool, which is not available here; each
output is judged here instead against what can be computed independently:

- closed forms: lse (softmax), llsq (`V^T (V x - s)`), det (cofactors `det(A) A^-T`), kmeans
  (`J / H = c_j - mean of cluster j`), with GradBench's elementwise tolerance
  `|x - y| / max(1, |x| + |y|) <= 1e-4`;
- central differences of the eval's own primal (run outside transforms, that is plain NumPy)
  along random directions: ode (also at n = 8, since with GradBench's inputs `x ~ U(0, 1)` and
  n >= 1000 the last element underflows to 0), lstm, ht;
- the known fixed points of the descent evals: saddle `8.246324826140356e-06` (x4), particle
  `0.2071918746486116` (GradBench's outputs, validated before in benchmarks/gradbench/README).

Inputs follow the evals' generators (`np.random.rand` data, GradBench's default sizes); lstm
use synthetic data of ADBench's shapes, ht GradBench's hands (ADBench's models and data)
where build_manual.py has written them, else synthetic hands of the same shapes.
`FUNCDIFF_GRADBENCH_EVALS=ht,lstm` runs those evals only. With GradBench's C++ `manual` tool
built (`FUNCDIFF_GRADBENCH_MANUAL`), lstm and ht are timed against it in the same rounds
(target for ht: the tool's function <= 3x C++ manual; lstm's ratio is reported).
References (hand-written NumPy, checked against funcdiff before timing): lse, llsq, kmeans,
ode (a hand adjoint of the RK4 loop). Peers (lse, llsq, ode, det, kmeans): the same
formulation in autograd / jax / torch.func, not GradBench's PyTorch tool. The target is
"valid, and <= torch where torch runs", on the function the GradBench tool uses (`fd.jit`
for ode and lstm, eager otherwise).
"""

import json
import os
import time

import numpy as np
from evals import det, kmeans, llsq, lse, lstm, ode, saddle
from evals import ht as ht_eval
from evals import particle as particle_eval

import funcdiff as fd
from workloads.common import (
    MANUAL,
    MANUAL_ENV,
    Ops,
    add_manual,
    check,
    jax_ready,
    make_row,
    manual_binary,
    measure,
    progress,
    short,
    target,
    to_numpy,
)

NUMBER, NAME, TITLE = 9, "gradbench", "GradBench evals"
PEERS = ("autograd", "torch", "jax")
TOL = 1e-8  # normwise, candidates vs reference / funcdiff


def gb_err(got, want):
    """GradBench's comparison: max over elements of |x - y| / max(1, |x| + |y|)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return np.inf
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(got) + np.abs(want)),
                        initial=0.0))  # fmt: skip


def closed_form(want):
    def validate(got):
        e = gb_err(got, want)
        return e <= 1e-4, f"GradBench error {e:.2g} vs closed form"

    return validate


def directional(f, x, grad_dot, rng, count=3, rtol=1e-5):
    """(ok, detail): `grad_dot(v)` vs central differences of `f` along random directions."""
    worst = 0.0
    for _ in range(count):
        v = rng.standard_normal(np.shape(x))
        h = 1e-5 * max(1.0, float(np.max(np.abs(x))))
        fdv = (np.asarray(f(x + h * v)) - np.asarray(f(x - h * v))) / (2 * h)
        ad = np.asarray(grad_dot(v))
        scale = max(float(np.max(np.abs(fdv), initial=0.0)), float(np.max(np.abs(ad), initial=0.0)))
        err = float(np.max(np.abs(fdv - ad), initial=0.0)) / scale if scale > 0 else 0.0
        worst = max(worst, err)
    return worst <= rtol, f"central differences: relative error {worst:.2g} ({count} directions)"


# --------------------------------------------------------------------------
# Peers of the simple evals


def add_peers(cands, peers, make, to_args, grad="grad", jax_jit=True):
    """Peers computing `grad(make(ops))(*to_args(ops))`; `grad="hvp-dir"` for kmeans.

    `jax_jit=False` leaves out jax jit (XLA compiles a Python loop unrolled: minutes and
    gigabytes for ode's s = 100)."""
    for name in ("autograd", "torch", "jax"):
        if name not in peers or (name == "autograd" and grad != "grad"):
            continue
        ops = Ops(name, peers)
        f = make(ops)
        if name == "autograd":
            g = peers["autograd"][0].grad(f)
        elif name == "torch":
            torch = peers["torch"]
            g = torch.func.grad(f) if grad == "grad" else _torch_dir(torch, f)
        else:
            jax = peers["jax"]
            g = jax.grad(f) if grad == "grad" else _jax_dir(jax, f)
        if name == "jax":
            jg = peers["jax"].jit(g)
            cands["jax eager"] = jax_ready(peers, lambda g=g, ops=ops: g(*to_args(ops)))
            if jax_jit:
                cands["jax jit"] = jax_ready(peers, lambda jg=jg, ops=ops: jg(*to_args(ops)))
        else:
            cands[name] = lambda g=g, ops=ops: g(*to_args(ops))


def _torch_dir(torch, f):
    def direction(c):
        j, h = torch.func.jvp(torch.func.grad(f), (c,), (torch.ones_like(c),))
        return j / h

    return direction


def _jax_dir(jax, f):
    def direction(c):
        j, h = jax.jvp(jax.grad(f), (c,), (jax.numpy.ones_like(c),))
        return j / h

    return direction


# --------------------------------------------------------------------------
# Cases: one per eval and size


def case_lse(ctx, rng, n):
    x = rng.random(n)
    jg = fd.jit(lse.FUNCTIONS["gradient"])

    def hand(x):
        e = np.exp(x - x.max())
        return e / e.sum()

    cands = {"funcdiff eager": lambda: lse.FUNCTIONS["gradient"](x),
             "funcdiff jit": lambda: jg(x), "reference": lambda: hand(x)}  # fmt: skip

    def make(ops):
        if ops.name == "torch":
            return lambda v: ops.m.logsumexp(v, 0)
        if ops.name == "jax":
            return ctx.peers["jax"].nn.logsumexp
        from autograd.scipy.special import logsumexp

        return logsumexp

    add_peers(cands, ctx.peers, make, lambda ops: (ops.const(x),))
    return {"function": "gradient", "size": f"n={n}", "cands": cands,
            "validate": closed_form(hand(x)), "reference": "softmax by hand",
            "notes": ["lse peers: each library's logsumexp"]}  # fmt: skip


def _vander(n, m):
    t = -1.0 + (np.arange(n) * 2.0) / (n - 1)
    return np.vander(t, m, increasing=True), np.sign(t)


def case_llsq(ctx, rng, n, m=128):
    x = rng.random(m)
    fn = llsq.FUNCTIONS["gradient"]
    jg = fd.jit(fd.grad(llsq.primal), static_argnums=1)

    def hand(x):
        V, s = _vander(n, m)  # built per call, as the eval's primal does
        return V.T @ (V @ x - s)

    cands = {"funcdiff eager": lambda: fn((x, n)), "funcdiff jit": lambda: jg(x, n),
             "reference": lambda: hand(x)}  # fmt: skip

    def make(ops):
        def primal(x, V, s):
            r = s - V @ x
            return 0.5 * ops.sum(r * r)

        return primal

    def to_args(ops):
        V, s = _vander(n, m)
        return ops.const(x), ops.const(V), ops.const(s)

    add_peers(cands, ctx.peers, make, to_args)
    return {"function": "gradient", "size": f"n={n} m={m}", "cands": cands,
            "validate": closed_form(hand(x)), "reference": "closed form V^T (V x - s)",
            "notes": ["llsq: everyone builds the Vandermonde matrix per call"]}  # fmt: skip


def ode_hand_gradient(x, s):
    """d y_last / d x by a hand adjoint of the RK4 loop (stages recomputed backwards)."""
    h = 2.0 / s

    def rhs(y):
        return np.concatenate([x[:1], x[1:] * y[:-1]])

    def vjp(g, y):  # of rhs at y: (d/dx, d/dy)
        return np.concatenate([g[:1], g[1:] * y[:-1]]), np.concatenate([g[1:] * x[1:], [0.0]])

    ys, y = [], np.zeros_like(x)
    for _ in range(s):
        ys.append(y)
        k1 = rhs(y)
        k2 = rhs(y + h / 2 * k1)
        k3 = rhs(y + h / 2 * k2)
        y = y + h / 6 * (k1 + 2.0 * k2 + 2.0 * k3 + rhs(y + h * k3))
    gy, gx = np.zeros_like(x), np.zeros_like(x)
    gy[-1] = 1.0
    for y in reversed(ys):  # gy: cotangent of the step's output
        a2 = y + h / 2 * rhs(y)
        a3 = y + h / 2 * rhs(a2)
        a4 = y + h * rhs(a3)
        gk1, gk2, gk3, gk4 = h / 6 * gy, h / 3 * gy, h / 3 * gy, h / 6 * gy
        new_gy = gy.copy()
        dx, da = vjp(gk4, a4)  # k4 = rhs(y + h k3)
        gx += dx
        new_gy += da
        gk3 = gk3 + h * da
        dx, da = vjp(gk3, a3)  # k3 = rhs(y + h/2 k2)
        gx += dx
        new_gy += da
        gk2 = gk2 + h / 2 * da
        dx, da = vjp(gk2, a2)  # k2 = rhs(y + h/2 k1)
        gx += dx
        new_gy += da
        gk1 = gk1 + h / 2 * da
        dx, da = vjp(gk1, y)  # k1 = rhs(y)
        gx += dx
        gy = new_gy + da
    return gx


def case_ode(ctx, rng, n, s):
    x = rng.random(n)
    eager = fd.grad(lambda x, s: ode.primal(x, s)[-1])
    cands = {"funcdiff eager": lambda: eager(x, s),
             "funcdiff jit": lambda: ode.FUNCTIONS["gradient"]((x, s)),
             "reference": lambda: ode_hand_gradient(x, s)}  # fmt: skip

    def make(ops):
        def last(x):
            h = 2.0 / s
            y = x * 0.0

            def rhs(y):
                return ops.concatenate([x[:1], x[1:] * y[:-1]])

            for _ in range(s):
                k1 = rhs(y)
                k2 = rhs(y + (h / 2) * k1)
                k3 = rhs(y + (h / 2) * k2)
                k4 = rhs(y + h * k3)
                y = y + (h / 6) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            return y[-1]

        return last

    add_peers(cands, ctx.peers, make, lambda ops: (ops.const(x),), jax_jit=s <= 10)
    small = rng.random(8) + 0.5
    tool_small = ode.FUNCTIONS["gradient"]

    def validate(got):
        rel = float(np.max(np.abs(got - ode_hand_gradient(x, s)), initial=0.0))
        ok1 = rel <= 1e-8 * max(1e-300, float(np.max(np.abs(got), initial=0.0))) or rel == 0.0
        ok2, detail = directional(lambda v: ode.primal(v, s)[-1], small,
                                  lambda v: tool_small((small, s)) @ v, rng)  # fmt: skip
        return ok1 and ok2, f"hand adjoint: max abs diff {rel:.2g}; at n=8: {detail}"

    return {
        "function": "gradient",
        "size": f"n={n} s={s}",
        "cands": cands,
        "tool": "funcdiff jit",
        "validate": validate,
        "reference": "hand adjoint of the RK4 loop",
        "notes": ["ode: no jax jit for s > 10 (XLA unrolls the loop: minutes to compile)"],
    }


def case_det(ctx, rng, ell):
    a = rng.random((ell, ell))
    jg = fd.jit(det.FUNCTIONS["gradient"])
    cands = {"funcdiff eager": lambda: det.FUNCTIONS["gradient"](a), "funcdiff jit": lambda: jg(a)}

    def make(ops):
        levels = [(ops.const(c), ops.const(sg), ops.const(ch)) for c, sg, ch in det._levels(ell)]

        def det_by_minors(a):
            minors = ops.const(np.ones(1))
            for k, (cols, signs, child) in enumerate(levels, start=1):
                minors = ops.sum(signs * a[ell - k][cols] * minors[child], axis=1)
            return minors[0]

        return det_by_minors

    add_peers(cands, ctx.peers, make, lambda ops: (ops.const(a),))
    return {
        "function": "gradient",
        "size": f"l={ell}",
        "cands": cands,
        "validate": closed_form(np.linalg.det(a) * np.linalg.inv(a).T),
        "notes": ["det: no hand reference of the expansion by minors (validity: cofactors)"],
    }


def case_kmeans(ctx, rng, k, n, d):
    points = rng.random((n, d))
    centroids = points[-k:].copy()  # every cluster nonempty, as GradBench's generator
    args = (centroids, points)
    jd = fd.jit(kmeans.direction)

    def hand(c, p):
        sq = (p * p).sum(1)[:, None] - 2.0 * (p @ c.T) + (c * c).sum(1)
        owner = np.argmin(sq, axis=1)
        counts = np.bincount(owner, minlength=c.shape[0])[:, None]
        sums = np.zeros_like(c)
        np.add.at(sums, owner, p)
        return c - sums / counts

    cands = {"funcdiff eager": lambda: kmeans.FUNCTIONS["dir"](args),
             "funcdiff jit": lambda: jd(*args), "reference": lambda: hand(*args)}  # fmt: skip

    def make(ops):
        P = ops.const(points)
        pp = ops.sum(P * P, axis=1)[:, None]

        def cost(c):
            return ops.sum(ops.min(pp - 2.0 * (P @ c.T) + ops.sum(c * c, axis=1), axis=1))

        return cost

    add_peers(cands, ctx.peers, make, lambda ops: (ops.const(centroids),), grad="hvp-dir")
    return {"function": "dir", "size": f"k={k} n={n} d={d}", "cands": cands,
            "validate": closed_form(hand(*args)), "reference": "J / H by cluster means",
            "notes": ["kmeans peers: jvp of grad (no autograd)"]}  # fmt: skip


def case_lstm(ctx, rng, layers, c, b=14):
    main, extra = rng.random((2 * layers, 4 * b)), rng.random((3, b))
    state, seq = rng.random((2 * layers, b)), rng.random((c, b))
    args = (main, extra, state, seq)
    inp = {"main_params": main.tolist(), "extra_params": extra.tolist(),
           "state": state.tolist(), "sequence": seq.tolist()}  # fmt: skip
    eager = fd.grad(lstm.objective, argnums=(0, 1))
    cands = {
        "funcdiff eager": lambda: np.concatenate([np.ravel(g) for g in eager(*args)]),
        "funcdiff jit": lambda: lstm.FUNCTIONS["jacobian"](args),
    }

    def validate(got):
        params = np.concatenate([main.ravel(), extra.ravel()])

        def f(v):
            return lstm.objective(v[: main.size].reshape(main.shape),
                                  v[main.size:].reshape(extra.shape), state, seq)  # fmt: skip

        return directional(f, params, lambda v: got @ v, rng)

    for name in ("autograd", "torch"):
        if name in ctx.peers:
            cands[name] = lstm_peer(Ops(name, ctx.peers), ctx.peers, args)
    return {"function": "jacobian", "size": f"l={layers} c={c} b={b}", "cands": cands,
            "tool": "funcdiff jit", "validate": validate, "manual": ("lstm", lstm, inp, None),
            "notes": ["lstm peers: loops over time and layers (as GradBench's PyTorch tool), "
                      "no jax (its jit would unroll thousands of steps)"]}  # fmt: skip


def lstm_peer(ops, peers, args):
    """The LSTM loss as loops over time steps and layers, and its gradient by the peer."""
    main, extra, state, seq = (ops.const(a) for a in args)
    layers, (c, b) = state.shape[0] // 2, seq.shape

    def sigmoid(v):
        return 1.0 / (1.0 + ops.exp(-v))

    def objective(p):
        main, extra = p
        ws = [main[2 * i].reshape(4, b) for i in range(layers)]
        biases = [main[2 * i + 1].reshape(4, b) for i in range(layers)]
        hidden, cell = (
            [state[2 * i] for i in range(layers)],
            [state[2 * i + 1] for i in range(layers)],
        )
        total = 0.0
        for t in range(c - 1):
            inp = seq[t] * extra[0]
            for i in range(layers):
                w, bias, h = ws[i], biases[i], hidden[i]
                forget, ingate = sigmoid(inp * w[0] + bias[0]), sigmoid(h * w[1] + bias[1])
                outgate, change = sigmoid(inp * w[2] + bias[2]), ops.tanh(h * w[3] + bias[3])
                cell[i] = cell[i] * forget + ingate * change
                hidden[i] = outgate * ops.tanh(cell[i])
                inp = hidden[i]
            ypred = inp * extra[1] + extra[2]
            total = total + ops.sum(seq[t + 1] * (ypred - ops.log(ops.sum(ops.exp(ypred)) + 2.0)))
        return -total / ((c - 1) * b)

    if ops.name == "torch":
        grad = peers["torch"].func.grad(objective)
    else:
        grad = peers["autograd"][0].grad(objective)

    def jacobian():
        g_main, g_extra = to_numpy(grad((main, extra)))
        return np.concatenate([np.ravel(g_main), np.ravel(g_extra)])

    return jacobian


def ht_input(rng, n_verts, n_corr, complicated):
    """A synthetic hand of ADBench's shape: 22 bones (a tree), skinning weights, triangles."""
    bones = 22

    def rigid():
        q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        t = np.eye(4)
        t[:3, :3], t[:3, 3] = q, rng.standard_normal(3)
        return t

    weights = rng.random((n_verts, bones)) * (rng.random((n_verts, bones)) < 0.2)
    weights[:, 0] += 0.1
    weights /= weights.sum(1, keepdims=True)
    model = {
        "parents": [-1] + [int(rng.integers(0, i)) for i in range(1, bones)],
        "base_relatives": [rigid() for _ in range(bones)],
        "inverse_base_absolutes": [rigid() for _ in range(bones)],
        "base_positions": np.c_[rng.standard_normal((n_verts, 3)), np.ones(n_verts)],
        "weights": weights,
        "triangles": rng.integers(0, n_verts, (2 * n_verts, 3)),
        "is_mirrored": False,
    }
    data = {"model": model, "correspondences": rng.integers(0, n_verts, n_corr),
            "points": rng.standard_normal((n_corr, 3))}  # fmt: skip
    us = rng.random((n_corr, 2)) if complicated else []
    return {"theta": 0.5 * rng.standard_normal(26), "data": data, "us": us}


def case_ht(ctx, rng, n_verts, n_corr, complicated, instance=None):
    """A synthetic hand of ADBench's shapes, or GradBench's `instance` (a JSON input written
    by build_manual.py from ADBench's hand data) when given."""
    inp = ht_input(rng, n_verts, n_corr, complicated) if instance is None else instance[1]
    args = ht_eval.prepare(inp)
    theta, us, data = args[:3]
    cands = {"funcdiff jit": lambda: ht_eval.FUNCTIONS["jacobian"](args)}
    if us is None:  # the dense Jacobian by eager forward mode, to check the sparse one
        cands["funcdiff eager"] = lambda: fd.jacfwd(ht_eval.residuals)(theta, None, data)
    else:  # (the two us columns: one shift of every us[i], as residual i reads us[i] only)
        cands["funcdiff eager"] = lambda: fd.jacfwd(
            lambda q: ht_eval.residuals(q[2:], us + q[:2], data))(np.r_[0.0, 0.0, theta])

    def validate(got):
        if us is None:
            return directional(lambda t: ht_eval.residuals(t, None, data), theta,
                               lambda v: got @ v, rng)  # fmt: skip
        params = np.concatenate([np.zeros(2), theta])
        return directional(lambda q: ht_eval.residuals(q[2:], us + q[:2], data), params,
                           lambda v: got @ v, rng)  # fmt: skip

    if instance is None:
        size = f"{'complicated' if complicated else 'simple'} verts={n_verts} c={n_corr}"
    else:
        size = f"{instance[0]} c={len(data['correspondences'])}"
    return {"function": "jacobian", "size": size, "cands": cands, "tool": "funcdiff jit",
            "validate": validate, "manual": ("ht", ht_eval, _jsonable(inp), 3.0),
            "notes": ["ht: fd.sparse_jacfwd of the residuals in (us, theta), one jitted "
                      "vmap of jvp over the colours, into GradBench's dense layout"]}  # fmt: skip


def _jsonable(o):
    """`o` with NumPy arrays and scalars as lists and Python numbers (GradBench's JSON)."""
    if isinstance(o, dict):
        return {k: _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return o.tolist()
    return o.item() if isinstance(o, np.generic) else o


def ht_instances(sets, hands):
    """GradBench's ht inputs written by build_manual.py (`<dir>/inputs/ht/<set>_hand<i>.json`
    of `$FUNCDIFF_GRADBENCH_MANUAL`): [(name, input)] of those present, in order."""
    folder = os.environ.get(MANUAL_ENV)
    found = []
    for name in sets:
        for i in hands:
            path = os.path.join(folder or "", "inputs", "ht", f"{name}_hand{i}.json")
            if folder and os.path.exists(path):
                with open(path) as f:
                    found.append((f"{name} hand{i}", json.load(f)))
    return found


def case_saddle(ctx, rng, mode):
    expected = [8.246324826140356e-06] * 4

    def validate(got):
        e = gb_err(got, expected)
        return e <= 1e-4, f"GradBench error {e:.2g} vs the known saddle point"

    return {"function": mode, "size": "start (1, 1)", "slow": True, "validate": validate,
            "cands": {"funcdiff eager": lambda: saddle.FUNCTIONS[mode](np.array([1.0, 1.0]))},
            "notes": ["saddle/particle: one timed run (seconds each); nested AD, staged inner "
                      "gradients"]}  # fmt: skip


def case_particle(ctx, rng, mode):
    def validate(got):
        e = gb_err(got, 0.2071918746486116)
        return e <= 1e-4, f"GradBench error {e:.2g} vs the known w"

    return {
        "function": mode,
        "size": "w0=0",
        "slow": True,
        "validate": validate,
        "cands": {"funcdiff eager": lambda: particle_eval.FUNCTIONS[mode](0.0)},
    }


def cases(ctx):
    """(eval, builder, args) per mode: GradBench's smallest default size, more in full runs."""
    modes = ("rr", "ff", "fr", "rf")
    full = [("lse", case_lse, (2500,)), ("lse", case_lse, (1280000,)),
            ("llsq", case_llsq, (1024,)), ("llsq", case_llsq, (16392,)),
            ("ode", case_ode, (1000, 10)), ("ode", case_ode, (10000, 100)),
            ("det", case_det, (7,)), ("det", case_det, (11,)),
            ("kmeans", case_kmeans, (10, 1000, 8)), ("kmeans", case_kmeans, (100, 10000, 16)),
            ("lstm", case_lstm, (2, 1024)), ("lstm", case_lstm, (4, 1024)),
            ("lstm", case_lstm, (2, 4096)), ("lstm", case_lstm, (4, 4096))]  # fmt: skip
    real = ht_instances(("complicated_big", "simple_big", "complicated_small"), range(1, 13))
    full += [("ht", case_ht, (0, 0, False, inst)) for inst in real] or [
        ("ht", case_ht, (544, 100, False)), ("ht", case_ht, (544, 100, True)),
        ("ht", case_ht, (5000, 10000, True))]  # fmt: skip
    full += [("saddle", case_saddle, (m,)) for m in modes]
    full += [("particle", case_particle, (m,)) for m in modes]
    quick = [("lse", case_lse, (2500,)), ("llsq", case_llsq, (1024,)),
             ("ode", case_ode, (1000, 10)), ("det", case_det, (7,)),
             ("kmeans", case_kmeans, (10, 1000, 8)), ("lstm", case_lstm, (2, 1024)),
             ("ht", case_ht, (544, 100, False, (real or [None])[0])),
             ("saddle", case_saddle, ("rr",)),
             ("particle", case_particle, ("rr",))]  # fmt: skip
    smoke = [("lse", case_lse, (100,)), ("det", case_det, (4,))]
    picked = ctx.pick(full, quick, smoke)
    only = os.environ.get("FUNCDIFF_GRADBENCH_EVALS")  # e.g. "ht,lstm": those evals only
    return [c for c in picked if c[0] in only.split(",")] if only else picked


def run(ctx):
    rows = []
    for i, (name, build, params) in enumerate(cases(ctx)):
        rng = np.random.default_rng(31337 + i)
        case = build(ctx, rng, *params)
        label = f"9 {name} {case['function']} {case['size']}"
        tool = case.get("tool", "funcdiff eager")
        cands = case["cands"]
        t0 = time.perf_counter()
        try:
            result = cands[tool]()
        except Exception as e:
            ctx.fail(f"{label}: the tool's function raised {type(e).__name__}: {str(e)[:300]}")
            continue
        seconds = time.perf_counter() - t0
        ok, detail = case["validate"](to_numpy(result))
        if not ok:
            ctx.fail(f"{label}: funcdiff's output INVALID ({detail})")
        if case.get("slow"):
            timing = {"medians": {tool: seconds}, "quartiles": {}, "ratios": {},
                      "batch_k": {tool: 1}, "rounds": 1}  # fmt: skip
            checks = {}
        else:
            cands, checks = check(ctx, label, cands, TOL)
            timing = measure(ctx, cands)
        targets = []
        manual = case.get("manual")
        binary = manual_binary(manual[0]) if manual and not case.get("slow") else None
        if binary is not None and ok:  # GradBench's C++ tool, same rounds
            module, evals_module, inp, limit = manual
            want = evals_module.to_json(case["function"], result)
            add_manual(ctx, label, timing, cands, binary, inp, case["function"], want)
            if limit is not None and f"{tool} / {MANUAL}" in timing["ratios"]:
                targets.append(target(timing, tool, MANUAL, limit))
        if "torch" in timing["medians"] and tool in timing["medians"]:
            targets.append(target(timing, tool, "torch", 1.0, f"{short(tool)} <= torch"))
        rows.append(make_row(
            case["size"], timing, title=f"GradBench `{name}` {case['function']}", label=name,
            reference=case.get("reference"), targets=targets, checks=checks, valid=bool(ok),
            notes=case.get("notes", []), validity=detail, tool_function=tool))  # fmt: skip
        progress(
            f"  {label}: {'valid' if ok else 'INVALID'} ({detail}), {seconds:.3g} s first call"
        )
    return rows
