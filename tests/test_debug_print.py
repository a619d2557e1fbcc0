"""`funcdiff.debug.print` and `funcdiff.debug.breakpoint` under every transform."""

from __future__ import annotations

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src import debugging

X = np.array([0.0, 1.0])
XS = np.stack([X, X + 1.0])


def f(x):
    y = fnp.sin(x)
    fd.debug.print("y={} x={x}", y, x=x)
    return fnp.sum(y * 2.0)


ONE = f"y={np.sin(X)} x={X}"
BATCH = f"y={np.sin(XS)} x={XS}"
CASES = {
    "eager": (lambda: f(X), [ONE]),
    "grad": (lambda: fd.grad(f)(X), [ONE]),
    "vjp": (lambda: fd.vjp(f, X)[1](1.0), [ONE]),
    "jvp": (lambda: fd.jvp(f, (X,), (np.ones(2),)), [ONE]),
    "jit": (lambda: fd.jit(f)(X), [ONE]),
    "jit(grad)": (lambda: fd.jit(fd.grad(f))(X), [ONE]),
    "grad(jit)": (lambda: fd.grad(fd.jit(f))(X), [ONE]),
    "vmap": (lambda: fd.vmap(f)(XS), [BATCH]),
    "vmap(grad)": (lambda: fd.vmap(fd.grad(f))(XS), [BATCH]),
    "jit(vmap)": (lambda: fd.jit(fd.vmap(f))(XS), [BATCH]),
    "vmap in_axes=1": (lambda: fd.vmap(f, in_axes=1)(XS.T), [BATCH]),
    "hessian": (lambda: fd.hessian(f)(X), [ONE]),
    "checkpoint": (lambda: fd.grad(fd.checkpoint(f))(X), None),  # staged, then run again
}


@pytest.mark.parametrize("how", CASES)
def test_print_shows_the_values(how, capsys):
    run, want = CASES[how]
    run()
    lines = capsys.readouterr().out.strip().split("\n")
    text = "\n".join(lines)
    if want is None:
        assert text.count(ONE) >= 1
    else:
        assert text == "\n".join(want)


def test_jit_prints_at_every_call_and_keeps_unused_prints(capsys):
    def g(x):
        fd.debug.print("a {}", x)
        fd.debug.print("a {}", x)  # the same twice: not merged
        return x * 2.0

    jg = fd.jit(g)
    jg(np.float64(1.0))
    jg(np.float64(3.0))
    assert capsys.readouterr().out.split("\n")[:4] == ["a 1.0", "a 1.0", "a 3.0", "a 3.0"]
    program = jg.lower(np.float64(1.0))
    assert [e.prim.name for e in program.eqns].count("debug_print") == 2
    assert "debug_print[fmt='a {}'" in str(program)


def test_print_in_a_custom_vjp_backward_shows_cotangents(capsys):
    @fd.custom_vjp
    def h(x):
        return fnp.sin(x)

    def bwd(x, g):
        fd.debug.print("ct={}", g)
        return (g * fnp.cos(x),)

    h.defvjp(lambda x: (fnp.sin(x), x), bwd)
    fd.grad(lambda x: fnp.sum(h(x) * 3.0))(X)
    fd.jit(fd.grad(lambda x: fnp.sum(h(x) * 3.0)))(X)
    assert capsys.readouterr().out == "ct=[3. 3.]\nct=[3. 3.]\n"


def test_print_does_not_change_results():
    for run in (lambda f: fd.grad(f)(X), lambda f: fd.jit(fd.grad(f))(X),
                lambda f: fd.vmap(fd.grad(f))(XS), lambda f: fd.hessian(f)(X)):
        np.testing.assert_array_equal(run(f), run(lambda x: fnp.sum(fnp.sin(x) * 2.0)))


def test_print_checks_its_format():
    with pytest.raises(TypeError, match="format string"):
        fd.debug.print(X)


def test_breakpoint_sees_concrete_values(monkeypatch):
    seen = []
    monkeypatch.setattr(debugging, "_enter_debugger", lambda ns: seen.append(dict(ns)))

    def g(x, scale=2.0):
        y = fnp.sin(x) * scale
        fd.debug.breakpoint()
        return fnp.sum(y)

    g(X)
    fd.grad(g)(X)
    fd.jit(g)(X)
    fd.jit(g)(X + 1.0)
    fd.vmap(g)(XS)
    fd.jvp(g, (X,), (np.ones(2),))
    fd.vmap(fd.grad(g))(XS)
    fd.jit(fd.grad(g))(X)
    assert len(seen) == 8
    for ns, x in zip(seen, (X, X, X, X + 1.0, XS, X, XS, X)):
        assert ns["scale"] == 2.0
        np.testing.assert_allclose(ns["x"], x)
        np.testing.assert_allclose(ns["y"], np.sin(x) * 2.0)
        assert type(ns["y"]) is np.ndarray


def test_breakpoint_enters_pdb_with_the_values(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("p y\nc\n"))

    def g(x):
        y = x * 3.0
        fd.debug.breakpoint()
        return y

    fd.jit(g)(np.array([1.0, 2.0]))
    assert "array([3., 6.])" in capsys.readouterr().out
