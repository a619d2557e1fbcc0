"""Control flow: `cond`, `switch`, `while_loop`, `fori_loop`, `scan`.

Each construct is compared with the same computation written with plain Python
control flow (values, and derivatives to 1e-10), checked against finite
differences to second order, run under `vmap` against a Python loop over the
examples (batched predicates and loop conditions), under `jit`, and nested.
The last tests run the Python examples of docs/control-flow.md and
docs/custom-rules.md.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from helpers import close, fd_grad, tree_close

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.testing import check_grads
from funcdiff.tree import tree_map

ROOT = Path(__file__).resolve().parents[1]
RNG = np.random.default_rng(0)
TOL = 1e-10  # this file's tolerance, passed to every `close` and `tree_close`


def same_derivatives(f, ref, x):
    """f and ref have the same value, grad, jvp (and vjp) at x."""
    close(f(x), ref(x), TOL)
    close(fd.grad(f)(x), fd.grad(ref)(x), TOL)
    t = np.ones_like(np.asarray(x)) * 0.7
    y, ty = fd.jvp(f, (x,), (t,))
    y0, ty0 = fd.jvp(ref, (x,), (t,))
    close(y, y0, TOL)
    close(ty, ty0, TOL)


# ------------------------------------------------------------------ cond


def branch_a(x):
    return fnp.sin(x) * x


def branch_b(x):
    return x**3 - x


def f_cond(x):
    return fd.cond(x > 0.5, branch_a, branch_b, x)


def f_cond_ref(x):
    return branch_a(x) if x > 0.5 else branch_b(x)


XS = np.array([-1.3, 0.2, 0.5, 0.9, 2.5])


@pytest.mark.parametrize("x", [-1.3, 0.2, 0.9, 2.5])
def test_cond_against_python_if(x):
    same_derivatives(f_cond, f_cond_ref, x)
    close(fd.hessian(f_cond)(x), fd.hessian(f_cond_ref)(x), TOL)
    check_grads(f_cond, (x,), order=2)


def test_cond_outside_transforms_returns_plain_values():
    assert type(fd.cond(True, fnp.sin, fnp.cos, np.ones(2))) is np.ndarray
    assert fd.cond(False, lambda: 1.0, lambda: 2.0) == 2.0  # no operands
    assert fd.cond(np.bool_(True), lambda a, b: a - b, lambda a, b: b - a, 3.0, 1.0) == 2.0


def _concrete(x):
    try:
        bool(x > 0)
    except fd.ConcretizationError:
        return False
    return True


def test_cond_computes_only_the_taken_branch_when_the_predicate_is_concrete():
    # the other branch is traced on abstract values only, to check its output type
    calls = []

    def a(x):
        calls.append(("a", _concrete(x)))
        return x

    def b(x):
        calls.append(("b", _concrete(x)))
        return -x

    fd.grad(lambda x: fd.cond(x > 0, a, b, x))(1.0)
    assert calls == [("a", True), ("b", False)]
    calls.clear()
    fd.jvp(lambda x: fd.cond(x > 0, a, b, x), (-1.0,), (1.0,))
    assert calls == [("b", True), ("a", False)]


@pytest.mark.parametrize("pred", [True, False])
def test_cond_checks_every_branch_even_with_a_concrete_predicate(pred):
    # code that passes eagerly must pass under vmap and jit: a branch returning another
    # shape, dtype or structure is an error whichever branch is taken
    x = np.array([1.0, -2.0, 3.0])
    bad = [
        (lambda v: v, lambda v: v[:1], "shape"),
        (lambda v: v, lambda v: v.astype(np.float32), "dtype"),
        (lambda v: v, lambda v: (v, v), "structure"),
    ]
    for t, f, what in bad:
        for run in (lambda t=t, f=f: fd.cond(pred, t, f, x),
                    lambda t=t, f=f: fd.grad(lambda v: fnp.sum(fd.cond(pred, t, f, v)))(x),
                    lambda t=t, f=f: fd.jit(lambda v: fd.cond(pred, t, f, v))(x)):
            with pytest.raises(TypeError, match="cond"):
                run()
            assert what
        with pytest.raises(TypeError, match="switch"):
            fd.switch(0 if pred else 1, [t, f], x)
    # a branch that needs concrete values cannot be traced: it is not checked
    needs_values = lambda v: v if float(fd.stop_gradient(v[0])) > 0 else -v  # noqa: E731
    assert np.allclose(fd.cond(True, lambda v: 2 * v, needs_values, x), 2 * x)
    # Python scalars and arrays of the same dtype agree
    assert fd.cond(pred, lambda v: 1.0, lambda v: np.float64(2.0), x) in (1.0, 2.0)


def test_cond_pytree_operands_and_outputs():
    def t(p, s):
        return {"u": p["u"] * s, "v": (p["v"] + s,)}

    def f(p, s):
        return {"u": -p["u"], "v": (p["v"] * s,)}

    p = {"u": np.array([1.0, 2.0]), "v": np.array([3.0, 4.0])}
    tree_close(fd.cond(True, t, f, p, 2.0), t(p, 2.0), TOL)
    tree_close(fd.cond(False, t, f, p, 2.0), f(p, 2.0), TOL)

    def loss(p, s, pred):
        out = fd.cond(pred, t, f, p, s)
        return fnp.sum(out["u"] * out["v"][0])

    for pred, branch in ((True, t), (False, f)):
        g = fd.grad(loss, (0, 1))(p, 2.0, pred)

        def ref(p, s, branch=branch):
            out = branch(p, s)
            return fnp.sum(out["u"] * out["v"][0])

        tree_close(g, fd.grad(ref, (0, 1))(p, 2.0), TOL)


def test_cond_under_vmap_runs_both_branches_and_selects():
    calls = []

    def a(x):
        calls.append("a")
        return branch_a(x)

    def b(x):
        calls.append("b")
        return branch_b(x)

    out = fd.vmap(lambda x: fd.cond(x > 0.5, a, b, x))(XS)
    assert sorted(calls) == ["a", "b"]
    close(out, [f_cond_ref(x) for x in XS], TOL)
    close(fd.vmap(fd.grad(f_cond))(XS), [fd.grad(f_cond_ref)(x) for x in XS], TOL)
    close(fd.grad(lambda x: fnp.sum(fd.vmap(f_cond)(x)))(XS), [fd.grad(f_cond_ref)(x) for x in XS],
          TOL)
    close(fd.jacfwd(fd.vmap(f_cond))(XS), np.diag([fd.grad(f_cond_ref)(x) for x in XS]), TOL)
    close(fd.vmap(fd.hessian(f_cond))(XS), [fd.hessian(f_cond_ref)(x) for x in XS], TOL)


def test_cond_under_vmap_unbatched_predicate_and_mixed_operands():
    w = np.array([1.0, 2.0, 3.0])
    out = fd.vmap(lambda x, p: fd.cond(p, lambda x: x * w[0], lambda x: -x, x), (0, None))(XS, True)
    close(out, XS, TOL)
    # batched predicate, an operand shared by every example
    out = fd.vmap(lambda p, x: fd.cond(p, fnp.sin, fnp.cos, x), (0, None))(
        np.array([True, False, True]), 0.3
    )
    close(out, [np.sin(0.3), np.cos(0.3), np.sin(0.3)], TOL)


def test_cond_under_vmap_no_nan_from_the_unselected_branch():
    xs = np.array([-1.0, 0.0, 4.0])

    def f(x):
        return fd.cond(x > 0, fnp.sqrt, lambda x: 2.0 * x, x)

    with np.errstate(invalid="ignore", divide="ignore"):
        close(fd.vmap(f)(xs), [-2.0, 0.0, 2.0], TOL)
        close(fd.vmap(fd.grad(f))(xs), [2.0, 2.0, 0.25], TOL)
        close(fd.grad(lambda x: fnp.sum(fd.vmap(f)(x)))(xs), [2.0, 2.0, 0.25], TOL)
        close(fd.jvp(fd.vmap(f), (xs,), (np.ones(3),))[1], [2.0, 2.0, 0.25], TOL)


def test_cond_errors():
    with pytest.raises(TypeError, match="scalar"):
        fd.cond(np.array([True, False]), fnp.sin, fnp.cos, 1.0)
    with pytest.raises(TypeError, match="leaf"):
        fd.vmap(lambda x: fd.cond(x > 0, lambda x: x, lambda x: fnp.stack([x, x]), x))(XS)
    with pytest.raises(TypeError, match="float32"):
        fd.vmap(lambda x: fd.cond(x > 0, lambda x: x, lambda x: x.astype(np.float32), x))(XS)
    with pytest.raises(TypeError, match=r"\['v'\]"):
        fd.vmap(lambda x: fd.cond(x > 0, lambda x: {"v": x}, lambda x: {"v": x[None]}, x))(XS)


def test_cond_under_jit():
    for x in XS:
        close(fd.jit(f_cond)(x), f_cond_ref(x), TOL)
        close(fd.jit(fd.grad(f_cond))(x), fd.grad(f_cond_ref)(x), TOL)
        close(fd.grad(fd.jit(f_cond))(x), fd.grad(f_cond_ref)(x), TOL)
    close(fd.jit(fd.vmap(f_cond))(XS), [f_cond_ref(x) for x in XS], TOL)


def test_cond_under_jit_branch_mismatch_is_an_error():
    # the staged program's output must not depend on which branch runs
    with pytest.raises(TypeError, match="shape|leaf"):
        fd.jit(lambda x: fd.cond(x > 0, lambda x: x, lambda x: fnp.stack([x, x]), x))(1.0)
    with pytest.raises(TypeError, match="float32|dtype"):
        fd.jit(lambda x: fd.cond(x > 0, lambda x: x, lambda x: x.astype(np.float32), x))(1.0)


# ------------------------------------------------------------------ switch

BRANCHES = [lambda x: x, lambda x: x**2, fnp.sin]


def f_switch(i, x):
    return fd.switch(i, BRANCHES, x)


def f_switch_ref(i, x):
    return BRANCHES[min(max(int(i), 0), len(BRANCHES) - 1)](x)


INDICES = [-5, -1, 0, 1, 2, 3, 100]


def test_switch_index_clamping():
    for i in INDICES:
        close(f_switch(i, 2.0), f_switch_ref(i, 2.0), TOL)
        close(fd.grad(f_switch, 1)(i, 2.0), fd.grad(f_switch_ref, 1)(i, 2.0), TOL)
        _, t = fd.jvp(lambda x, i=i: f_switch(i, x), (2.0,), (1.0,))
        close(t, fd.grad(f_switch_ref, 1)(i, 2.0), TOL)
    close(f_switch(np.int32(1), 3.0), 9.0, TOL)


def test_switch_under_vmap_with_batched_index():
    idx = np.array(INDICES)
    x = np.linspace(0.5, 2.0, len(idx))
    close(fd.vmap(f_switch)(idx, x), [f_switch_ref(i, v) for i, v in zip(idx, x)], TOL)
    close(
        fd.vmap(fd.grad(f_switch, 1))(idx, x),
        [fd.grad(f_switch_ref, 1)(i, v) for i, v in zip(idx, x)], TOL,
    )
    close(fd.vmap(f_switch, (0, None))(idx, 2.0), [f_switch_ref(i, 2.0) for i in idx], TOL)


def test_switch_under_jit():
    for i in INDICES:
        close(fd.jit(f_switch)(i, 2.0), f_switch_ref(i, 2.0), TOL)
        close(fd.grad(fd.jit(f_switch), 1)(i, 2.0), fd.grad(f_switch_ref, 1)(i, 2.0), TOL)


def test_switch_second_order_and_pytrees():
    check_grads(lambda x: f_switch(2, x), (0.4,), order=2)
    out = fd.switch(1, [lambda p: {"a": p["a"]}, lambda p: {"a": -p["a"]}], {"a": 1.0})
    assert out == {"a": -1.0}


def test_switch_errors():
    with pytest.raises(ValueError, match="branch"):
        fd.switch(0, [], 1.0)
    with pytest.raises(TypeError, match="scalar"):
        fd.switch(np.array([0, 1]), BRANCHES, 1.0)
    with pytest.raises(TypeError, match="leaf"):
        fd.vmap(lambda i: fd.switch(i, [lambda: 1.0, lambda: fnp.ones(2)]))(np.array([0, 1]))


# ------------------------------------------------------------------ second order under jit
# cond/switch on a traced predicate inside jit(hessian), jit(jacfwd(grad)), ...: the
# batching rule of `cond` must report the outputs no branch batches as unbatched (the
# primal outputs of a cond's JVP, which jacfwd maps with out_axes=None).


def _cubic_or_square(v):
    return fd.cond(v[0] > 0, lambda u: fnp.sum(u**3), lambda u: fnp.sum(u**2), v)


def _linear_or_nonlinear(v):
    return fd.cond(
        v[1] > 0, lambda u: 2.0 * fnp.sum(u) + u[0], lambda u: fnp.sum(fnp.sin(u) * u), v
    )


def _ignores_operand(v):
    return fd.cond(v[0] > 0, lambda u: fnp.sum(fnp.exp(u)), lambda u: np.float64(3.0), v)


def _vector_branches(v):
    w = fd.cond(v[0] > 0, lambda u: fnp.sin(u) * u[0], lambda u: u**2 - u, v)
    return fnp.sum(w * v)


def _closes_over_a_traced_value(v):
    s = fnp.sum(v**2)  # hoisted into the branches as an operand
    return fd.cond(v[2] > 0, lambda u: s * u[0], lambda u: fnp.cos(u[1]) * s, v)


def _two_outputs(v):
    a, b = fd.cond(
        v[0] > 0,
        lambda u: (fnp.sum(u**2), np.float64(1.0)),
        lambda u: (fnp.sum(u), np.float64(2.0)),
        v,
    )
    return a * b + a**2


def _switch3(v):
    i = (v[0] > 0).astype(np.int32) + (v[1] > 0).astype(np.int32)
    return fd.switch(
        i, [lambda u: fnp.sum(u**3), lambda u: 3.0 * u[0] - u[1], lambda u: np.float64(2.0)], v
    )


def _switch_two_operands(v):
    i = (v[2] > 0).astype(np.int32) * 2
    branches = [
        lambda u, s: s * fnp.sum(u**2),
        lambda u, s: s,
        lambda u, s: fnp.sum(fnp.tanh(u)) + s**2,
    ]
    return fd.switch(i, branches, v, v[0] * v[1])


SECOND_ORDER = [
    _cubic_or_square, _linear_or_nonlinear, _ignores_operand, _vector_branches,
    _closes_over_a_traced_value, _two_outputs, _switch3, _switch_two_operands,
]
# no coordinate near a predicate's kink (0): finite differences stay on one branch
PTS = np.array([[0.7, 0.4, -1.2], [-0.6, 0.9, 0.5], [0.8, -0.7, 1.1], [-0.9, -0.3, -0.4]])


def _fd_hessian(f, x, h=1e-5):
    g = fd.grad(f)
    return np.stack([(g(x + d) - g(x - d)) / (2 * h) for d in np.eye(len(x)) * h], axis=1)


@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
def test_second_derivatives_of_cond_and_switch_under_jit(f):
    for x in PTS:
        want = fd.hessian(f)(x)
        close(want, _fd_hessian(f, x), 1e-6)
        close(fd.grad(f)(x), fd_grad(f, x, eps=1e-6), 1e-6)
        for name, h in [
            ("jit(hessian)", fd.jit(fd.hessian(f))),
            ("jit(jacfwd(grad))", fd.jit(fd.jacfwd(fd.grad(f)))),
            ("jit(jacrev(grad))", fd.jit(fd.jacrev(fd.grad(f)))),
            ("jit(jacfwd(jit(grad)))", fd.jit(fd.jacfwd(fd.jit(fd.grad(f))))),
        ]:
            got = h(x)
            assert got.shape == (3, 3), name
            close(got, want, TOL)
    grads = [fd.grad(f)(x) for x in PTS]
    close(fd.vmap(fd.grad(f))(PTS), grads, TOL)  # a batched predicate: both branches, selected
    close(fd.jit(fd.vmap(fd.grad(f)))(PTS), grads, TOL)
    close(fd.jit(fd.vmap(fd.hessian(f)))(PTS), [fd.hessian(f)(x) for x in PTS], TOL)
    close(fd.vmap(fd.jit(fd.grad(f)))(PTS), grads, TOL)


def test_vmap_of_cond_with_an_unbatched_predicate_under_jit():
    # the predicate is the same for every example: one cond of batched branches, whose
    # outputs are batched in one branch and not in the other
    def g(v, p):
        return fd.cond(p > 0, lambda u: fnp.sum(u**2), lambda u: np.float64(3.0), v)

    def two(v, p):
        return fd.cond(p > 0, lambda u: (u * 2.0, np.float64(1.0)), lambda u: (-u, p * 2.0), v)

    for p in (1.5, -1.5):
        close(fd.jit(fd.vmap(g, (0, None)))(PTS, p), [g(x, p) for x in PTS], TOL)
        close(fd.jit(fd.vmap(fd.grad(g), (0, None)))(PTS, p), [fd.grad(g)(x, p) for x in PTS], TOL)
        a, b = fd.jit(fd.vmap(two, (0, None)))(PTS, p)
        want = [two(x, p) for x in PTS]
        close(a, [w[0] for w in want], TOL)
        close(b, [w[1] for w in want], TOL)


# ------------------------------------------------------------------ while_loop


def body(v):
    return v * 1.5 + fnp.sin(v)


def f_while(x):
    return fd.while_loop(lambda v: v < 10.0, body, x)


def f_while_ref(x):
    v = x
    while v < 10.0:
        v = body(v)
    return v


WXS = np.array([0.3, 1.0, 4.0, 9.5, 12.0])  # 6, 5, 3, 1 and 0 iterations


@pytest.mark.parametrize("x", list(WXS))
def test_while_loop_against_python_while(x):
    # reverse mode too (beyond JAX): the trip count is concrete outside jit
    same_derivatives(f_while, f_while_ref, x)
    close(fd.hessian(f_while)(x), fd.hessian(f_while_ref)(x), TOL)


def test_while_loop_second_order_finite_differences():
    check_grads(f_while, (1.0,), order=2)
    check_grads(f_while, (4.0,), order=2)


def test_while_loop_pytree_carry_and_python_scalar_init():
    def f(x):
        def cond_fun(c):
            return c["i"] < 5

        def body_fun(c):
            return {"i": c["i"] + 1, "v": (c["v"][0] * x, c["v"][1] + c["v"][0])}

        return fd.while_loop(cond_fun, body_fun, {"i": 0, "v": (1.0, 0.0)})

    out = f(2.0)
    assert out["i"] == 5
    close(out["v"][0], 32.0, TOL)
    close(out["v"][1], 31.0, TOL)
    close(fd.grad(lambda x: f(x)["v"][1])(2.0), 1 + 2 * 2 + 3 * 4 + 4 * 8, TOL)
    close(fd.while_loop(lambda v: v < 10, lambda v: v * 2, 1), 16, TOL)


def test_while_loop_under_vmap_lanes_finish_at_different_times():
    # each example runs its own number of iterations; finished ones stay put
    close(fd.vmap(f_while)(WXS), [f_while_ref(x) for x in WXS], TOL)
    g = [fd.grad(f_while_ref)(x) for x in WXS]
    close(fd.vmap(fd.grad(f_while))(WXS), g, TOL)
    close(fd.grad(lambda x: fnp.sum(fd.vmap(f_while)(x)))(WXS), g, TOL)
    close(fd.jacfwd(fd.vmap(f_while))(WXS), np.diag(g), TOL)
    close(fd.jacrev(fd.vmap(f_while))(WXS), np.diag(g), TOL)
    xs = WXS.reshape(1, -1).repeat(2, 0)
    close(fd.vmap(fd.vmap(f_while))(xs), [[f_while_ref(x) for x in WXS]] * 2, TOL)


def test_while_loop_under_vmap_counts_iterations_per_example():
    def steps(x):
        return fd.while_loop(lambda c: c[1] < 10.0, lambda c: (c[0] + 1, body(c[1])), (0, x))[0]

    def steps_ref(x):
        n = 0
        while x < 10.0:
            n, x = n + 1, body(x)
        return n

    counts = [steps_ref(x) for x in WXS]
    assert len(set(counts)) == len(WXS)  # every example stops at a different step
    assert fd.vmap(steps)(WXS).tolist() == counts


def test_while_loop_under_vmap_no_nan_from_finished_examples():
    # the body is evaluated for finished examples too (and gives nan there)
    def f(x):
        return fd.while_loop(lambda v: v < 10.0, lambda v: v + fnp.sqrt(10.0 - v) + 1.0, x)

    def ref(x):
        while x < 10.0:
            x = x + fnp.sqrt(10.0 - x) + 1.0
        return x

    xs = np.array([0.5, 9.5, 12.0])
    with np.errstate(invalid="ignore"):
        close(fd.vmap(f)(xs), [ref(x) for x in xs], TOL)
        close(fd.vmap(fd.grad(f))(xs), [fd.grad(ref)(x) for x in xs], TOL)


def test_while_loop_under_jit():
    for x in WXS:
        close(fd.jit(f_while)(x), f_while_ref(x), TOL)
        close(fd.jvp(fd.jit(f_while), (x,), (1.0,))[1], fd.grad(f_while_ref)(x), TOL)
    close(fd.jit(fd.vmap(f_while))(WXS), [f_while_ref(x) for x in WXS], TOL)
    # reverse mode needs the trip count: inside jit it is abstract, a clear error
    with pytest.raises(TypeError, match="while_loop"):
        fd.jit(fd.grad(f_while))(1.0)


def test_while_loop_carry_changes_are_errors():
    with pytest.raises(TypeError, match=r"\(root\).*float32"):
        fd.while_loop(lambda v: v[0] < 3, lambda v: (v + 1.0).astype(np.float32), np.zeros(2))
    with pytest.raises(TypeError, match=r"\['v'\]"):
        fd.while_loop(
            lambda c: c["i"] < 3,
            lambda c: {"i": c["i"] + 1, "v": c["v"] * fnp.ones(2)},
            {"i": 0, "v": 1.0},
        )
    with pytest.raises(TypeError, match="structure"):
        fd.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1,), (0, 1.0))
    with pytest.raises(TypeError, match="scalar"):
        fd.while_loop(lambda v: v < 3, lambda v: v + 1, np.zeros(2))


def test_while_loop_numpy_scalar_carry_keeps_its_dtype():
    # NumPy scalars have a dtype (only Python scalars are weakly typed)
    with pytest.raises(TypeError, match="float32"):
        fd.while_loop(lambda v: v < 3, lambda v: v * np.float64(2.0), np.float32(1.0))
    with pytest.raises(TypeError, match="float32"):
        fd.fori_loop(0, 2, lambda i, v: (v * 2).astype(np.float32), np.float64(1.0))


def test_while_loop_carry_changes_are_errors_under_jit():
    with pytest.raises(TypeError, match="float32"):
        fd.jit(
            lambda x: fd.while_loop(lambda v: v[0] < 3, lambda v: (v + 1.0).astype(np.float32), x)
        )(np.zeros(2))
    with pytest.raises(TypeError, match="shape|leaf"):
        fd.jit(
            lambda x: fd.while_loop(lambda v: fnp.sum(v) < 3, lambda v: fnp.concatenate([v, v]), x)
        )(np.ones(1))


# ------------------------------------------------------------------ fori_loop


def fori_body(i, v):
    return v * fnp.cos(v) + 0.1 * i


def f_fori(x):
    return fd.fori_loop(0, 5, fori_body, x)


def f_fori_ref(x):
    for i in range(5):
        x = fori_body(i, x)
    return x


@pytest.mark.parametrize("x", [0.3, -0.8, 1.2])
def test_fori_loop_against_python_for(x):
    same_derivatives(f_fori, f_fori_ref, x)
    close(fd.hessian(f_fori)(x), fd.hessian(f_fori_ref)(x), TOL)
    check_grads(f_fori, (x,), order=2)


def test_fori_loop_hessian_of_an_array_function():
    def f(x):
        return fnp.sum(fd.fori_loop(1, 4, lambda i, v: fnp.tanh(v * i + x), x) ** 2)

    def ref(x):
        v = x
        for i in range(1, 4):
            v = fnp.tanh(v * i + x)
        return fnp.sum(v**2)

    x = RNG.normal(size=3)
    close(fd.hessian(f)(x), fd.hessian(ref)(x), TOL)
    close(fd.jacrev(fd.jacrev(f))(x), fd.hessian(ref)(x), TOL)


def test_fori_loop_python_int_carry_and_empty_range():
    assert fd.fori_loop(0, 4, lambda i, v: v + i, 0) == 6
    assert fd.fori_loop(3, 3, lambda i, v: v + 1.0, 2.0) == 2.0
    assert fd.fori_loop(5, 2, lambda i, v: v + 1.0, 2.0) == 2.0


def test_fori_loop_batched_bounds_under_vmap():
    ns = np.array([0, 1, 2, 3])
    xs = np.array([1.5, 2.0, 0.5, 3.0])

    def power(x, n):
        return fd.fori_loop(0, n, lambda i, v: v * x, 1.0)

    close(fd.vmap(power)(xs, ns), xs**ns, TOL)
    close(fd.vmap(fd.grad(power))(xs, ns), ns * xs ** np.maximum(ns - 1, 0), TOL)


def test_fori_loop_under_jit():
    close(fd.jit(f_fori)(0.3), f_fori_ref(0.3), TOL)
    close(fd.jit(fd.grad(f_fori))(0.3), fd.grad(f_fori_ref)(0.3), TOL)
    close(fd.grad(fd.jit(f_fori))(0.3), fd.grad(f_fori_ref)(0.3), TOL)
    # traced bounds: a while loop inside jit
    close(fd.jit(lambda n, x: fd.fori_loop(0, n, lambda i, v: v * 2.0, x))(3, 1.0), 8.0, TOL)


def test_fori_loop_carry_change_error_names_fori_loop():
    with pytest.raises(TypeError, match="fori_loop"):
        fd.fori_loop(0, 2, lambda i, v: v * np.ones(2), 1.0)
    with pytest.raises(TypeError, match="fori_loop"):
        fd.jit(lambda x: fd.fori_loop(0, 2, lambda i, v: v * fnp.ones(2), x))(1.0)


# ------------------------------------------------------------------ scan


def rnn_step(w, c, x):
    h = fnp.tanh(w * c + x)
    return h, h * x


def f_scan(w, xs, reverse=False):
    return fd.scan(lambda c, x: rnn_step(w, c, x), 0.2, xs, reverse=reverse)


def f_scan_ref(w, xs, reverse=False):
    c, ys = 0.2, []
    for x in xs[::-1] if reverse else xs:
        c, y = rnn_step(w, c, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    return c, fnp.stack(ys)


SXS = np.linspace(-1.0, 1.5, 6)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_against_python_loop(reverse):
    c, ys = f_scan(0.8, SXS, reverse)
    c0, ys0 = f_scan_ref(0.8, SXS, reverse)
    close(c, c0, TOL)
    close(ys, ys0, TOL)

    def loss(f):
        return lambda w, xs: f(w, xs, reverse)[0] + fnp.sum(f(w, xs, reverse)[1] ** 2)

    gw, gx = fd.grad(loss(f_scan), (0, 1))(0.8, SXS)
    gw0, gx0 = fd.grad(loss(f_scan_ref), (0, 1))(0.8, SXS)
    close(gw, gw0, TOL)
    close(gx, gx0, TOL)
    t = fd.jvp(lambda w: loss(f_scan)(w, SXS), (0.8,), (1.0,))[1]
    close(t, gw0, TOL)
    check_grads(loss(f_scan), (0.8, SXS), order=2)


def test_scan_jacobians():
    jf = fd.jacfwd(lambda xs: f_scan(0.8, xs)[1])(SXS)
    jr = fd.jacrev(lambda xs: f_scan(0.8, xs)[1])(SXS)
    j0 = fd.jacfwd(lambda xs: f_scan_ref(0.8, xs)[1])(SXS)
    close(jf, j0, TOL)
    close(jr, j0, TOL)
    assert np.allclose(np.triu(jr, 1), 0.0)  # causal: y_t depends on x_<=t only


def test_scan_xs_none_with_length():
    c, ys = fd.scan(lambda c, _: (c * 2.0, c), 1.0, None, length=4)
    close(c, 16.0, TOL)
    close(ys, [1.0, 2.0, 4.0, 8.0], TOL)
    g = fd.grad(lambda a: fd.scan(lambda c, _: (c * a, c), 1.0, None, length=4)[0])(1.5)
    close(g, 4 * 1.5**3, TOL)
    with pytest.raises(ValueError, match="length"):
        fd.scan(lambda c, _: (c, c), 1.0, None)


def test_scan_multiple_xs_leaves_and_pytree_ys():
    xs = {"a": np.arange(4.0), "b": (np.ones((4, 2)), np.linspace(0, 1, 4))}

    def step(c, x):
        new = c + x["a"] * x["b"][0] * x["b"][1]
        return new, {"sum": fnp.sum(new), "pair": (x["a"], new)}

    c, ys = fd.scan(step, np.zeros(2), xs)
    c0, want = np.zeros(2), []
    for t in range(4):
        c0 = c0 + xs["a"][t] * xs["b"][0][t] * xs["b"][1][t]
        want.append(c0)
    close(c, c0, TOL)
    close(ys["sum"], [w.sum() for w in want], TOL)
    close(ys["pair"][0], xs["a"], TOL)
    close(ys["pair"][1], np.stack(want), TOL)
    assert ys["pair"][1].shape == (4, 2)
    g = fd.grad(lambda xs: fnp.sum(fd.scan(step, np.zeros(2), xs)[1]["sum"]))(xs)
    assert tree_map(np.shape, g) == tree_map(np.shape, xs)
    check_grads(lambda xs: fd.scan(step, np.zeros(2), xs)[1]["sum"], (xs,), order=1)


def test_scan_ys_none_and_python_scalar_carry():
    c, ys = fd.scan(lambda c, x: (c + x, None), 0.0, np.arange(4.0))
    assert ys is None
    close(c, 6.0, TOL)
    c, ys = fd.scan(lambda c, x: (c + x, c), 0, np.arange(4))
    assert c == 6 and ys.tolist() == [0, 0, 1, 3]


def test_scan_of_length_zero():
    c, ys = fd.scan(lambda c, x: (c + fnp.sum(x), x * 2.0), 1.0, np.zeros((0, 3)))
    assert c == 1.0
    assert np.shape(ys) == (0, 3)


def test_scan_under_vmap_against_a_loop():
    ws = np.array([0.5, 0.8, 1.1])
    xs = RNG.normal(size=(3, 6))
    c, ys = fd.vmap(f_scan)(ws, xs)
    for i in range(3):
        c0, ys0 = f_scan_ref(ws[i], xs[i])
        close(c[i], c0, TOL)
        close(ys[i], ys0, TOL)
    # xs mapped along its second axis, the parameter shared
    c, ys = fd.vmap(lambda xs: f_scan(0.8, xs), in_axes=1)(xs.T)
    close(ys, np.stack([f_scan_ref(0.8, x)[1] for x in xs]), TOL)
    g = fd.vmap(fd.grad(lambda w, xs: f_scan(w, xs)[0]))(ws, xs)
    close(g, [fd.grad(lambda w, x: f_scan_ref(w, x)[0])(w, x) for w, x in zip(ws, xs)], TOL)


def test_scan_under_jit():
    c, ys = fd.jit(f_scan)(0.8, SXS)
    c0, ys0 = f_scan_ref(0.8, SXS)
    close(c, c0, TOL)
    close(ys, ys0, TOL)
    g = fd.jit(fd.grad(lambda w, xs: f_scan(w, xs)[0]))(0.8, SXS)
    close(g, fd.grad(lambda w: f_scan_ref(w, SXS)[0])(0.8), TOL)
    g = fd.grad(fd.jit(lambda w, xs: f_scan(w, xs, True)[0]))(0.8, SXS)
    close(g, fd.grad(lambda w: f_scan_ref(w, SXS, True)[0])(0.8), TOL)


def test_scan_carry_changes_are_errors():
    with pytest.raises(TypeError, match=r"\['h'\].*float64\[\].*float64\[2\]"):
        fd.scan(lambda c, x: ({"h": c["h"] * fnp.ones(2)}, None), {"h": 0.0}, np.ones(3))
    with pytest.raises(TypeError, match=r"\(root\).*float32\[2\].*float64\[2\]"):
        fd.scan(lambda c, x: (c + x, None), np.ones(2, np.float32), np.ones((3, 2)))
    with pytest.raises(TypeError, match="structure"):
        fd.scan(lambda c, x: ((c, c), None), 0.0, np.ones(3))
    with pytest.raises(TypeError, match="pair"):
        fd.scan(lambda c, x: c, 0.0, np.ones(3))
    with pytest.raises(TypeError, match="float32"):
        fd.scan(lambda c, x: (c + x, None), np.float32(0.0), np.ones(3))


def test_scan_xs_errors():
    with pytest.raises(ValueError, match=r"\[3, 4\]"):
        fd.scan(lambda c, x: (c, None), 0.0, (np.ones(3), np.ones(4)))
    with pytest.raises(ValueError, match="leading axis"):
        fd.scan(lambda c, x: (c, None), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"\[3, 5\]"):
        fd.scan(lambda c, x: (c, None), 0.0, np.ones(3), length=5)


# ------------------------------------------------------------------ nesting


CXS = np.array([-1.0, -0.4, 0.3, 0.8, 1.3])


def test_grad_of_scan_of_cond():
    # no x at the predicate's kink (0), so finite differences stay on one branch
    def step(c, x):
        c = fd.cond(x > 0, lambda c: c * fnp.sin(x + c), lambda c: c + x**2, c)
        return c, c

    def step_ref(c, x):
        c = c * fnp.sin(x + c) if x > 0 else c + x**2
        return c, c

    def loss(step):
        return lambda c0, xs: fnp.sum(fd.scan(step, c0, xs)[1])

    def loss_ref(c0, xs):
        out = 0.0
        for x in xs:
            c0, y = step_ref(c0, x)
            out = out + y
        return out

    g = fd.grad(loss(step), (0, 1))(0.7, CXS)
    g0 = fd.grad(loss_ref, (0, 1))(0.7, CXS)
    close(g[0], g0[0], TOL)
    close(g[1], g0[1], TOL)
    check_grads(loss(step), (0.7, CXS), order=2)
    # the same under vmap: the predicate x > 0 is batched there
    c0s = np.array([0.7, -0.2, 1.1])
    close(
        fd.vmap(fd.grad(loss(step)), (0, None))(c0s, CXS), [fd.grad(loss_ref)(c, CXS) for c in c0s],
        TOL,
    )
    xss = np.stack([CXS, -CXS, CXS[::-1]])
    close(
        fd.vmap(fd.grad(loss(step), 1), (None, 0))(0.7, xss),
        [fd.grad(loss_ref, 1)(0.7, xs) for xs in xss], TOL,
    )


def test_vmap_of_while_inside_grad():
    def f(a):
        xs = a * np.array([0.1, 1.0, 3.0])
        return fnp.sum(fd.vmap(f_while)(xs))

    def ref(a):
        return sum(f_while_ref(a * x) for x in (0.1, 1.0, 3.0))

    close(fd.grad(f)(1.3), fd.grad(ref)(1.3), TOL)


def test_scan_of_while_and_while_of_scan():
    def f(x):
        def step(c, t):
            return fd.while_loop(lambda v: v < 2.0 + t, lambda v: v * 1.3 + 0.1, c), c

        return fd.scan(step, x, np.arange(3.0))[0]

    def ref(x):
        for t in range(3):
            while x < 2.0 + t:
                x = x * 1.3 + 0.1
        return x

    same_derivatives(f, ref, 0.5)

    def g(x):
        return fd.while_loop(
            lambda c: c[0] < 3, lambda c: (c[0] + 1, f_scan(c[1], SXS)[0] + 1.0), (0, x)
        )[1]

    def g_ref(x):
        for _ in range(3):
            x = f_scan_ref(x, SXS)[0] + 1.0
        return x

    same_derivatives(g, g_ref, 0.3)


def test_jacfwd_jacrev_hessian_through_loops():
    def f(x):
        c, ys = fd.scan(lambda c, xi: (c * fnp.cos(xi) + xi, c * xi), 1.0, x)
        return fd.fori_loop(0, 3, lambda i, v: v * fnp.sin(v + i), ys)

    def ref(x):
        c, ys = 1.0, []
        for xi in x:
            c, y = c * fnp.cos(xi) + xi, c * xi
            ys.append(y)
        v = fnp.stack(ys)
        for i in range(3):
            v = v * fnp.sin(v + i)
        return v

    x = RNG.normal(size=4)
    close(fd.jacfwd(f)(x), fd.jacfwd(ref)(x), TOL)
    close(fd.jacrev(f)(x), fd.jacfwd(ref)(x), TOL)
    close(fd.hessian(lambda x: fnp.sum(f(x)))(x), fd.hessian(lambda x: fnp.sum(ref(x)))(x), TOL)


# ------------------------------------------------------------------ the docs pages run

DOC_PAGES = ["docs/control-flow.md", "docs/custom-rules.md"]


def _python_blocks(path):
    text = (ROOT / path).read_text()
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


@pytest.mark.parametrize("page", DOC_PAGES)
def test_docs_page_examples_run(page):
    blocks = _python_blocks(page)
    assert blocks, f"{page} has no ```python blocks"
    namespace = {"__name__": "docs_example"}
    with np.errstate(over="ignore"):
        for i, block in enumerate(blocks):
            exec(compile(block, f"{page} (block {i + 1})", "exec"), namespace)
