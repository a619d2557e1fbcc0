"""funcdiff.optimizers against update formulas written out in NumPy, eagerly and under jit.

Each optimizer's first steps on a pytree (a dict holding a matrix and a vector) equal a
hand-written loop of its formulas; the jitted training step gives the same numbers and
is traced once; schedules equal their closed forms; clipping, composition, convergence
on least squares, no mutation of the caller's arrays, and the errors for bad arguments.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
import funcdiff.optimizers as optim
from funcdiff.tree import tree_leaves, tree_map, tree_structure

ROOT = Path(__file__).resolve().parents[1]
STEPS = 5
TOL = {"rtol": 1e-12, "atol": 1e-14}


def _params():
    rng = np.random.default_rng(0)
    return {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}


_G = [  # the constant part of each step's gradient
    {k: v for k, v in zip(("w", "b"), (r.standard_normal((3, 2)), r.standard_normal(2)))}
    for r in [np.random.default_rng(10 + k) for k in range(STEPS)]
]


def _grads(params, k):
    """A gradient that depends on the parameters (the gradient of a quadratic plus a
    different tilt at every step), in plain NumPy."""
    return {"w": 0.7 * params["w"] + _G[k]["w"], "b": -1.3 * params["b"] + _G[k]["b"]}


def _copy(tree):
    return {k: np.array(v, copy=True) for k, v in tree.items()}


# -- the formulas, written out (one dict of leaves at a time) ---------------------------------


def _lr_at(lr, k):
    return lr(k) if callable(lr) else lr


def ref_sgd(lr, momentum=None, nesterov=False):
    def run(params):
        p, trace, out = _copy(params), {k: np.zeros_like(v) for k, v in params.items()}, []
        for k in range(STEPS):
            g = _grads(p, k)
            for key in p:
                if momentum is None:
                    direction = g[key]
                else:
                    trace[key] = g[key] + momentum * trace[key]
                    direction = g[key] + momentum * trace[key] if nesterov else trace[key]
                p[key] = p[key] - _lr_at(lr, k) * direction
            out.append(_copy(p))
        return out
    return run


def ref_adam(lr, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    def run(params):
        p, out = _copy(params), []
        m = {k: np.zeros_like(v) for k, v in params.items()}
        v = {k: np.zeros_like(x) for k, x in params.items()}
        for k in range(STEPS):
            g = _grads(p, k)
            t = k + 1
            for key in p:
                m[key] = b1 * m[key] + (1 - b1) * g[key]
                v[key] = b2 * v[key] + (1 - b2) * g[key] ** 2
                m_hat = m[key] / (1 - b1**t)
                v_hat = v[key] / (1 - b2**t)
                step = m_hat / (np.sqrt(v_hat) + eps) + weight_decay * p[key]
                p[key] = p[key] - _lr_at(lr, k) * step
            out.append(_copy(p))
        return out
    return run


def ref_rmsprop(lr, decay=0.9, eps=1e-8, momentum=None, centered=False):
    def run(params):
        p, out = _copy(params), []
        nu = {k: np.zeros_like(v) for k, v in params.items()}
        mu = {k: np.zeros_like(v) for k, v in params.items()}
        trace = {k: np.zeros_like(v) for k, v in params.items()}
        for k in range(STEPS):
            g = _grads(p, k)
            for key in p:
                nu[key] = decay * nu[key] + (1 - decay) * g[key] ** 2
                if centered:
                    mu[key] = decay * mu[key] + (1 - decay) * g[key]
                    u = -_lr_at(lr, k) * g[key] / np.sqrt(nu[key] - mu[key] ** 2 + eps)
                else:
                    u = -_lr_at(lr, k) * g[key] / np.sqrt(nu[key] + eps)
                if momentum is not None:
                    trace[key] = u + momentum * trace[key]
                    u = trace[key]
                p[key] = p[key] + u
            out.append(_copy(p))
        return out
    return run


def _decay(k):  # a learning-rate schedule written out
    return 0.1 * 0.5 ** (k / 2)


CASES = {
    "sgd": (lambda: optim.sgd(0.1), ref_sgd(0.1)),
    "sgd_schedule": (lambda: optim.sgd(optim.exponential_decay(0.1, 2, 0.5)), ref_sgd(_decay)),
    "momentum": (lambda: optim.sgd(0.05, momentum=0.9), ref_sgd(0.05, 0.9)),
    "nesterov": (lambda: optim.sgd(0.05, momentum=0.8, nesterov=True),
                 ref_sgd(0.05, 0.8, nesterov=True)),
    "adam": (lambda: optim.adam(0.03), ref_adam(0.03)),
    "adam_hyper": (lambda: optim.adam(0.02, b1=0.5, b2=0.9, eps=0.1),
                   ref_adam(0.02, 0.5, 0.9, 0.1)),
    "adam_schedule": (lambda: optim.adam(optim.exponential_decay(0.1, 2, 0.5)),
                      ref_adam(_decay)),
    "adamw": (lambda: optim.adamw(0.03, weight_decay=0.1),
              ref_adam(0.03, weight_decay=0.1)),
    "adamw_default_decay": (lambda: optim.adamw(0.03), ref_adam(0.03, weight_decay=1e-4)),
    "rmsprop": (lambda: optim.rmsprop(0.01), ref_rmsprop(0.01)),
    "rmsprop_eps": (lambda: optim.rmsprop(0.01, decay=0.8, eps=0.5),
                    ref_rmsprop(0.01, 0.8, 0.5)),
    "rmsprop_centered": (lambda: optim.rmsprop(0.01, eps=1e-3, centered=True),
                         ref_rmsprop(0.01, eps=1e-3, centered=True)),
    "rmsprop_momentum": (lambda: optim.rmsprop(0.01, momentum=0.9),
                         ref_rmsprop(0.01, momentum=0.9)),
    "rmsprop_centered_momentum": (
        lambda: optim.rmsprop(0.01, decay=0.95, eps=1e-3, momentum=0.5, centered=True),
        ref_rmsprop(0.01, 0.95, 1e-3, momentum=0.5, centered=True)),
}


def _run(opt, params, jit=False):
    """The trajectory of `STEPS` steps, and the number of times the step was traced."""
    traces = [0]

    def step(p, s, g):
        traces[0] += 1  # a Python side effect: runs once per trace under jit
        updates, s = opt.update(g, s, p)
        return optim.apply_updates(p, updates), s

    step = fd.jit(step) if jit else step
    p, s, out = params, opt.init(params), []
    for k in range(STEPS):
        p, s = step(p, s, _grads(p, k))
        out.append(p)
    return out, s, traces[0]


def _assert_trajectories(got, want):
    assert len(got) == len(want)
    for k, (a, b) in enumerate(zip(got, want)):
        assert tree_structure(a) == tree_structure(b)
        for key in b:
            np.testing.assert_allclose(a[key], b[key], **TOL, err_msg=f"step {k}, {key}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_steps_match_the_formulas(case):
    make, reference = CASES[case]
    params = _params()
    got, state, traces = _run(make(), params)
    want = reference(params)
    _assert_trajectories(got, want)
    assert traces == STEPS
    # the parameters moved (the test would pass trivially otherwise)
    assert np.abs(got[-1]["w"] - params["w"]).max() > 1e-3
    # outputs are NumPy arrays; the count is a 0-d integer array
    assert all(type(leaf) is np.ndarray for leaf in tree_leaves((got, state)))
    count = tree_leaves(state)[0]
    assert count.shape == () and count.dtype.kind == "i" and int(count) == STEPS


@pytest.mark.parametrize("case", sorted(CASES))
def test_jitted_steps_match_and_trace_once(case):
    make, reference = CASES[case]
    params = _params()
    got, state, traces = _run(make(), params, jit=True)
    _assert_trajectories(got, reference(params))
    assert traces == 1
    eager, eager_state, _ = _run(make(), params)
    _assert_trajectories(got, eager)
    for a, b in zip(tree_leaves(state), tree_leaves(eager_state)):
        np.testing.assert_allclose(a, b, **TOL)
    assert tree_structure(state) == tree_structure(eager_state)


def test_whole_training_step_under_jit_traces_once():
    """fd.grad, the update and apply_updates in one jitted function, with a schedule."""
    opt = optim.chain(optim.clip_by_global_norm(10.0),
                      optim.adam(optim.cosine_decay_schedule(0.05, 100)))
    traces = [0]

    def loss(p):
        return fnp.sum(p["w"] ** 2) + fnp.sum(fnp.sin(p["b"]))

    @fd.jit
    def step(p, s):
        traces[0] += 1
        g = fd.grad(loss)(p)
        u, s = opt.update(g, s, p)
        return optim.apply_updates(p, u), s

    p = q = _params()
    s = r = opt.init(p)
    for _ in range(20):
        p, s = step(p, s)
        g = fd.grad(loss)(q)
        u, r = opt.update(g, r, q)
        q = optim.apply_updates(q, u)
    assert traces[0] == 1 and step.cache_info()["misses"] == 1
    for a, b in zip(tree_leaves((p, s)), tree_leaves((q, r))):
        np.testing.assert_allclose(a, b, **TOL)


# -- schedules ------------------------------------------------------------------------------

SCHEDULE_STEPS = [0, 1, 5, 9, 10, 11, 50, 99, 100, 101, 250, 1000]


def _warmup_cosine(s, init, peak, warmup, decay, end):
    if s < warmup:
        return init + (peak - init) * s / warmup
    t = min(s - warmup, decay - warmup) / (decay - warmup)
    return end + (peak - end) * 0.5 * (1 + math.cos(math.pi * t))


SCHEDULES = {
    "constant": (lambda: optim.constant_schedule(0.3), lambda s: 0.3),
    "exponential": (lambda: optim.exponential_decay(0.5, 10, 0.9),
                    lambda s: 0.5 * 0.9 ** (s / 10)),
    "exponential_staircase": (lambda: optim.exponential_decay(0.5, 10, 0.9, staircase=True),
                              lambda s: 0.5 * 0.9 ** (s // 10)),
    "cosine": (lambda: optim.cosine_decay_schedule(2.0, 100),
               lambda s: 2.0 * 0.5 * (1 + math.cos(math.pi * min(s, 100) / 100))),
    "cosine_alpha": (lambda: optim.cosine_decay_schedule(2.0, 100, alpha=0.25),
                     lambda s: 2.0 * (0.75 * 0.5 * (1 + math.cos(math.pi * min(s, 100) / 100))
                                      + 0.25)),
    "warmup_cosine": (lambda: optim.warmup_cosine_decay_schedule(0.1, 1.0, 10, 250, 0.05),
                      lambda s: _warmup_cosine(s, 0.1, 1.0, 10, 250, 0.05)),
    "warmup_cosine_no_warmup": (lambda: optim.warmup_cosine_decay_schedule(0.0, 1.0, 0, 100),
                                lambda s: _warmup_cosine(s, 0.0, 1.0, 0, 100, 0.0)),
    "piecewise": (lambda: optim.piecewise_constant_schedule(1.0, {100: 0.5, 10: 0.1, 250: 3.0}),
                  lambda s: 1.0 * (0.1 if s >= 10 else 1) * (0.5 if s >= 100 else 1)
                  * (3.0 if s >= 250 else 1)),
    "piecewise_none": (lambda: optim.piecewise_constant_schedule(0.7), lambda s: 0.7),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_match_closed_forms(name):
    make, closed = SCHEDULES[name]
    schedule = make()
    jitted = fd.jit(schedule)
    for s in SCHEDULE_STEPS:
        want = closed(s)
        for step in (s, np.array(s, np.int64), np.int64(s)):
            np.testing.assert_allclose(float(schedule(step)), want, **TOL, err_msg=f"step {s}")
        np.testing.assert_allclose(float(jitted(np.array(s, np.int64))), want, **TOL,
                                   err_msg=f"jit, step {s}")
    assert jitted.cache_info()["misses"] <= 1  # (0 for a constant schedule's Python float)


def test_schedules_inside_a_jitted_update_follow_the_count():
    lr = optim.piecewise_constant_schedule(1.0, {2: 0.5, 4: 0.1})
    opt = optim.sgd(lr)
    step = fd.jit(lambda g, s: opt.update(g, s))
    state = opt.init(np.zeros(1))
    seen = []
    for _ in range(6):
        updates, state = step(np.ones(1), state)
        seen.append(-float(updates[0]))
    np.testing.assert_allclose(seen, [1.0, 1.0, 0.5, 0.5, 0.05, 0.05], **TOL)
    assert step.cache_info()["misses"] == 1


# -- clipping and composition ----------------------------------------------------------------


def _global_norm(tree):
    return math.sqrt(sum(float(np.sum(np.asarray(x) ** 2)) for x in tree_leaves(tree)))


def test_clip_by_global_norm_clips_to_exactly_max_norm():
    grads = {"w": 3.0 * _params()["w"], "b": np.array([10.0, -20.0])}
    norm = _global_norm(grads)
    assert norm > 2.5
    clip = optim.clip_by_global_norm(2.5)
    clipped, state = clip.update(grads, clip.init(grads))
    assert state == optim.clip_by_global_norm(1.0).init(grads)  # (an empty state)
    np.testing.assert_allclose(_global_norm(clipped), 2.5, rtol=1e-14)
    for key in grads:  # the same direction
        np.testing.assert_allclose(clipped[key], grads[key] * (2.5 / norm), **TOL)
    jitted = fd.jit(clip.update)(grads, ())
    for key in grads:
        np.testing.assert_allclose(jitted[0][key], clipped[key], **TOL)


@pytest.mark.parametrize("scale", [0.0, 0.3, 1.0])
def test_clip_by_global_norm_leaves_small_gradients_unchanged(scale):
    grads = tree_map(lambda x: scale * x / _global_norm(_params()), _params())
    clip = optim.clip_by_global_norm(1.0)  # scale 1.0: exactly at the bound
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no 0 / 0 for zero gradients)
        clipped, _ = clip.update(grads, clip.init(grads))
        jitted, _ = fd.jit(clip.update)(grads, ())
    for key in grads:
        np.testing.assert_array_equal(clipped[key], grads[key])
        np.testing.assert_array_equal(jitted[key], grads[key])


def test_clip_keeps_float32():
    grads = {"a": np.full(4, 100.0, np.float32), "b": np.ones(2, np.float32)}
    clip = optim.clip_by_global_norm(1.0)
    clipped, _ = clip.update(grads, clip.init(grads))
    assert all(v.dtype == np.float32 for v in clipped.values())
    np.testing.assert_allclose(_global_norm(clipped), 1.0, rtol=1e-6)


def test_chain_of_clip_and_adam_equals_them_in_turn():
    params = _params()
    chained = optim.chain(optim.clip_by_global_norm(0.5), optim.adam(0.05))
    clip, adam = optim.clip_by_global_norm(0.5), optim.adam(0.05)
    state = chained.init(params)
    assert isinstance(state, tuple) and len(state) == 2
    clip_state, adam_state = clip.init(params), adam.init(params)
    p = q = params
    for k in range(STEPS):
        updates, state = chained.update(_grads(p, k), state, p)
        p = optim.apply_updates(p, updates)
        g, clip_state = clip.update(_grads(q, k), clip_state, q)
        u, adam_state = adam.update(g, adam_state, q)
        q = optim.apply_updates(q, u)
        for key in p:
            np.testing.assert_array_equal(p[key], q[key])
    for a, b in zip(tree_leaves(state), tree_leaves((clip_state, adam_state))):
        np.testing.assert_array_equal(a, b)


def test_scale_and_empty_chain():
    g = {"w": np.array([1.0, -2.0])}
    opt = optim.scale(-0.5)
    updates, state = opt.update(g, opt.init(g))
    np.testing.assert_array_equal(updates["w"], [-0.5, 1.0])
    identity = optim.chain()
    updates, state = identity.update(g, identity.init(g))
    assert state == () and updates is g
    # sgd(lr) is chain(scale(-lr)) for a constant learning rate
    a, _ = optim.sgd(0.25).update(g, optim.sgd(0.25).init(g))
    b, _ = optim.chain(optim.scale(-0.25)).update(g, optim.chain(optim.scale(-0.25)).init(g))
    np.testing.assert_array_equal(a["w"], b["w"])


# -- convergence ------------------------------------------------------------------------------


def test_adam_solves_least_squares():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((40, 5)), rng.standard_normal(40)
    solution = np.linalg.lstsq(a, b, rcond=None)[0]

    def loss(params):
        return 0.5 * fnp.mean((a @ params["x"] + params["c"] - b) ** 2)

    opt = optim.adam(0.05)

    @fd.jit
    def step(params, state):
        value, grads = fd.value_and_grad(loss)(params)
        updates, state = opt.update(grads, state, params)
        return optim.apply_updates(params, updates), state, value

    params = {"x": np.zeros(5), "c": np.zeros(())}
    state = opt.init(params)
    first = None
    for _ in range(3000):
        params, state, value = step(params, state)
        first = value if first is None else first
    # (the model has an intercept: compare with lstsq on [a, 1])
    full = np.linalg.lstsq(np.column_stack([a, np.ones(40)]), b, rcond=None)[0]
    np.testing.assert_allclose(params["x"], full[:5], atol=1e-4)
    np.testing.assert_allclose(params["c"], full[5], atol=1e-4)
    assert float(loss(params)) < float(first)
    assert step.cache_info()["misses"] == 1
    assert np.abs(full[:5] - solution).max() > 1e-3  # (the intercept matters here)


def test_sgd_momentum_solves_least_squares_eagerly():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((30, 3)), rng.standard_normal(30)
    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    opt = optim.sgd(0.1, momentum=0.9, nesterov=True)
    params = np.zeros(3)
    state = opt.init(params)
    for _ in range(500):
        grads = fd.grad(lambda x: 0.5 * fnp.mean((a @ x - b) ** 2))(params)
        updates, state = opt.update(grads, state, params)
        params = optim.apply_updates(params, updates)
    np.testing.assert_allclose(params, solution, atol=1e-8)


# -- purity and dtypes ------------------------------------------------------------------------


def _read_only(tree):
    def freeze(x):
        x = np.array(x, copy=True)
        x.flags.writeable = False
        return x
    return tree_map(freeze, tree)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_callers_arrays_are_not_modified(case):
    make, _ = CASES[case]
    opt = make()
    params = _read_only(_params())  # an in-place write would raise
    kept = _copy(params)
    state = opt.init(params)
    for k in range(3):
        grads = _read_only(_grads(params, k))
        grads_kept = _copy(grads)
        state = _read_only(state)  # (NamedTuples of read-only arrays)
        state_kept = [np.array(x, copy=True) for x in tree_leaves(state)]
        updates, new_state = opt.update(grads, state, params)
        new_params = optim.apply_updates(params, updates)
        for key in params:
            np.testing.assert_array_equal(params[key], kept[key])
            np.testing.assert_array_equal(grads[key], grads_kept[key])
            assert not np.shares_memory(new_params[key], params[key])
            assert not np.shares_memory(updates[key], grads[key])
        for a, b in zip(tree_leaves(state), state_kept):
            np.testing.assert_array_equal(a, b)
        params, state = _read_only(new_params), new_state
        kept = _copy(params)


def test_the_same_state_gives_the_same_step_twice():
    opt = optim.adam(0.1)
    params = _params()
    state = opt.init(params)
    u1, s1 = opt.update(_grads(params, 0), state, params)
    u2, s2 = opt.update(_grads(params, 0), state, params)
    for a, b in zip(tree_leaves((u1, s1)), tree_leaves((u2, s2))):
        np.testing.assert_array_equal(a, b)
    assert int(state.count) == 0 and int(s1.count) == 1


def test_float32_parameters_stay_float32_and_jit_does_not_retrace():
    params = {k: v.astype(np.float32) for k, v in _params().items()}
    opt = optim.adamw(optim.warmup_cosine_decay_schedule(0.0, 0.1, 2, 10), weight_decay=0.01)
    traces = [0]

    @fd.jit
    def step(p, s):
        traces[0] += 1
        g = fd.grad(lambda p: fnp.sum(p["w"] ** 2) + fnp.sum(p["b"] ** 3))(p)
        u, s = opt.update(g, s, p)
        return optim.apply_updates(p, u), s

    s = opt.init(params)
    for _ in range(4):
        params, s = step(params, s)
        assert all(v.dtype == np.float32 for v in tree_leaves(params))
        assert all(v.dtype == np.float32 for v in tree_leaves((s.mu, s.nu)))
    assert traces[0] == 1


def test_apply_updates_keeps_the_parameters_dtype():
    new = optim.apply_updates({"a": np.ones(2, np.float32), "b": 1.0, "n": np.arange(2)},
                              {"a": np.full(2, 0.5), "b": 0.5, "n": np.full(2, 0.5)})
    assert new["a"].dtype == np.float32 and new["a"].tolist() == [1.5, 1.5]
    assert type(new["b"]) is np.ndarray and float(new["b"]) == 1.5
    assert new["n"].tolist() == [0.5, 1.5]  # an integer parameter is not truncated


def test_a_learning_rate_computed_under_jit():
    """Hyperparameters may be traced values (say, a learning rate that is an argument)."""
    def step(lr, p, g):
        opt = optim.sgd(lr, momentum=0.5)
        u, _ = opt.update(g, opt.init(p), p)
        return optim.apply_updates(p, u)
    p, g = np.ones(3), np.arange(3.0)
    np.testing.assert_allclose(fd.jit(step)(0.1, p, g), step(0.1, p, g), **TOL)
    # and differentiable with respect to it
    d = fd.grad(lambda lr: fnp.sum(step(lr, p, g)))(0.1)
    np.testing.assert_allclose(d, -np.sum(g), **TOL)


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda lr: optim.sgd(lr), lambda lr: optim.sgd(lr, momentum=0.9), lambda lr: optim.adam(lr),
    lambda lr: optim.adamw(lr), lambda lr: optim.rmsprop(lr),
])
def test_negative_learning_rate(make):
    with pytest.raises(ValueError, match="learning_rate"):
        make(-0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        make(float("nan"))
    with pytest.raises(TypeError, match="learning_rate"):
        make("0.1")
    make(0.0)  # zero is allowed


@pytest.mark.parametrize("max_norm", [0.0, -1.0, float("inf"), float("nan")])
def test_bad_max_norm(max_norm):
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_by_global_norm(max_norm)


@pytest.mark.parametrize(("make", "match"), [
    (lambda: optim.adam(0.1, b1=1.0), "b1"),
    (lambda: optim.adam(0.1, b2=-0.1), "b2"),
    (lambda: optim.adam(0.1, eps=-1e-8), "eps"),
    (lambda: optim.adamw(0.1, weight_decay=-1.0), "weight_decay"),
    (lambda: optim.rmsprop(0.1, decay=1.5), "decay"),
    (lambda: optim.rmsprop(0.1, momentum=-0.5), "momentum"),
    (lambda: optim.sgd(0.1, momentum=-0.9), "momentum"),
    (lambda: optim.sgd(0.1, nesterov=True), "nesterov"),
    (lambda: optim.exponential_decay(1.0, 0, 0.5), "transition_steps"),
    (lambda: optim.exponential_decay(1.0, 10, 0.0), "decay_rate"),
    (lambda: optim.cosine_decay_schedule(1.0, 0), "decay_steps"),
    (lambda: optim.cosine_decay_schedule(1.0, 10, alpha=2.0), "alpha"),
    (lambda: optim.warmup_cosine_decay_schedule(0.0, 1.0, 10, 10), "decay_steps"),
    (lambda: optim.warmup_cosine_decay_schedule(0.0, 1.0, -1, 10), "warmup_steps"),
    (lambda: optim.piecewise_constant_schedule(1.0, {-5: 0.1}), "boundaries"),
    (lambda: optim.piecewise_constant_schedule(1.0, {5: -0.1}), "boundaries_and_scales"),
    (lambda: optim.constant_schedule(float("inf")), "value"),
])
def test_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(("make", "match"), [
    (lambda: optim.scale("2"), "step"),
    (lambda: optim.sgd(0.1, nesterov="yes"), "nesterov"),
    (lambda: optim.rmsprop(0.1, centered=1), "centered"),
    (lambda: optim.exponential_decay(1.0, 2.5, 0.5), "transition_steps"),
    (lambda: optim.piecewise_constant_schedule(1.0, [(5, 0.1)]), "boundaries_and_scales"),
    (lambda: optim.chain(optim.sgd(0.1), "adam"), "argument 1"),
])
def test_bad_argument_types(make, match):
    with pytest.raises(TypeError, match=match):
        make()


@pytest.mark.parametrize("case", sorted(CASES))
def test_grads_with_another_structure(case):
    opt = CASES[case][0]()
    params = _params()
    state = opt.init(params)
    bad = {"w": params["w"], "c": params["b"]}
    with pytest.raises(ValueError, match="grads"):
        opt.update(bad, state, params)
    with pytest.raises(ValueError, match="grads"):
        opt.update([params["b"], params["w"]], state, params)


@pytest.mark.parametrize("make", [lambda: optim.adam(0.1), lambda: optim.rmsprop(0.1),
                                  lambda: optim.sgd(0.1, momentum=0.9)])
def test_grads_with_another_structure_without_params(make):
    opt = make()
    state = opt.init(_params())
    with pytest.raises(ValueError, match=r"grads .*expected a dict with keys \['b', 'w'\]"):
        opt.update({"w": np.ones((3, 2)), "c": np.ones(2)}, state)
    with pytest.raises(ValueError, match=r"grads .*at path \['b'\]: expected a leaf"):
        opt.update({"w": np.ones((3, 2)), "b": [np.ones(2)]}, state)


def test_transformations_check_grads_against_params():
    params = _params()
    for opt in (optim.scale(2.0), optim.clip_by_global_norm(1.0)):
        with pytest.raises(ValueError, match="grads"):
            opt.update({"w": params["w"]}, opt.init(params), params)


def test_adamw_needs_params():
    opt = optim.adamw(0.1)
    params = _params()
    with pytest.raises(ValueError, match="params"):
        opt.update(_grads(params, 0), opt.init(params))
    with pytest.raises(ValueError, match="params"):
        optim.chain(optim.clip_by_global_norm(1.0), opt).update(
            _grads(params, 0), (optim.clip_by_global_norm(1.0).init(params), opt.init(params)))


def test_wrong_state():
    params = _params()
    with pytest.raises(TypeError, match="state"):
        optim.adam(0.1).update(_grads(params, 0), optim.sgd(0.1).init(params))
    with pytest.raises(TypeError, match="state"):
        optim.chain(optim.adam(0.1)).update(_grads(params, 0), optim.adam(0.1).init(params))


def test_apply_updates_with_another_structure():
    with pytest.raises(ValueError, match="updates"):
        optim.apply_updates({"a": np.ones(2)}, {"b": np.ones(2)})


# -- the docs page ----------------------------------------------------------------------------


def test_docs_page_examples_run():
    text = (ROOT / "docs" / "optimizers.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 3
    namespace = {"__name__": "docs_optimizers"}
    for block in blocks:
        exec(compile(block, "docs/optimizers.md", "exec"), namespace)
