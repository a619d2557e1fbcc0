"""Tests of `jit`, `make_program` and the Program optimizer.

* every row of the primitive tables (tests/test_primitives.py) under `jit`:
  the same values, shapes and dtypes as eager, and `jit(grad)` equal to `grad`;
* each optimizer pass on small Programs (dead code, common subexpressions,
  constant folding, no-ops);
* the cache: hits, misses, static arguments, eviction, logging;
* the generated source and the scalar (`math` module) path, incl. inf/nan;
* composition with every transform in both orders, and staged control flow
  (one `scan`/`while`/`cond` equation, not an unrolled loop);
* errors: Python control flow on traced values;
* printing Programs; the code blocks of docs/jit.md run.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.jit.codegen import compile_program
from funcdiff._src.jit.optimize import optimize
from funcdiff._src.lax.elementwise import convert_element_type_p
from funcdiff._src.lax.shape import reshape
from funcdiff._src.program import Program
from funcdiff.tree import tree_leaves
from tests.test_primitives import ELEMENTWISE, FAMILIES, _cases, _draw

ROOT = Path(__file__).resolve().parents[1]


def _assert_close(got, want, tol=1e-12):
    """Same pytree structure, dtypes and shapes, values within `tol` (NaNs match)."""
    got_leaves, want_leaves = tree_leaves(got), tree_leaves(want)
    assert len(got_leaves) == len(want_leaves)
    for g, w in zip(got_leaves, want_leaves):
        assert np.result_type(g) == np.result_type(w), (np.result_type(g), np.result_type(w))
        assert np.shape(g) == np.shape(w), (np.shape(g), np.shape(w))
        if np.result_type(w).kind in "fc":
            # contractions inside transforms run as BLAS matmuls, NumPy's einsum sums in
            # another order: a few float32 ulps apart (float64 stays within `tol`)
            t = max(tol, 4 * np.finfo(np.result_type(w)).eps)
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=t, atol=t)
        else:
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w))


def _eqn_names(program):
    return [e.prim.name for e in program.eqns]


def _assert_fresh(jitted, *args):
    """Every array `jitted(*args)` returns is writeable and shares memory with no argument,
    no other output and no output of another call; writing into it changes neither the
    arguments nor what later calls return."""
    arrays = [a for a in tree_leaves(args) if isinstance(a, np.ndarray)]
    saved = [a.copy() for a in arrays]
    first = jitted(*args)
    want = [np.array(o, copy=True) for o in tree_leaves(first)]
    outs = [o for o in tree_leaves(first) if isinstance(o, np.ndarray)]
    for i, o in enumerate(outs):
        assert o.flags.writeable, f"output {i} is read-only"
        for a in arrays:
            assert not np.shares_memory(o, a), f"output {i} shares memory with an argument"
        for j, p in enumerate(outs[:i]):
            assert not np.shares_memory(o, p), f"outputs {j} and {i} share memory"
    with np.errstate(all="ignore"):
        for o in outs:  # the caller owns its outputs: it may write into them
            o[...] = ~o if o.dtype == np.bool_ else o + 1
    second = jitted(*args)
    got = tree_leaves(second)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    for a, b in zip(arrays, saved):
        np.testing.assert_array_equal(a, b)
    for o in outs:
        for q in got:
            if isinstance(q, np.ndarray):
                assert not np.shares_memory(o, q), "two calls return the same memory"
    return second


# --------------------------------------------------------------------------
# 1. The primitive tables under jit


@pytest.mark.parametrize("row, dtype, shapes", list(_cases(ELEMENTWISE)))
def test_elementwise_under_jit(row, dtype, shapes):
    args = _draw(row, dtype, shapes)
    with np.errstate(all="ignore"):
        want = row.fn(*args)
        jitted = fd.jit(row.fn)
        _assert_close(jitted(*args), want)
        _assert_close(jitted(*args), want)  # second call: the cached, compiled program
        _assert_fresh(jitted, *args)
    assert jitted.cache_info()["misses"] == 1
    if row.diff and row.fd:
        argnums = tuple(range(len(args)))

        def loss(*a):
            return fnp.sum(fnp.real(row.fn(*a)))

        _assert_close(fd.jit(fd.grad(loss, argnums))(*args), fd.grad(loss, argnums)(*args))


def _family_args(row, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{row.name}{np.dtype(dtype)}".encode()))
    return tuple(
        (rng.uniform(0.2, 2.0, s) * rng.choice([-1, 1], s)).astype(dtype) for s in row.shapes
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("row", FAMILIES, ids=lambda row: row.name)
def test_families_under_jit(row, dtype):
    fn = getattr(fnp, row.fn) if isinstance(row.fn, str) else row.fn
    args = _family_args(row, dtype)
    want = fn(*args)
    jitted = fd.jit(fn)
    _assert_close(jitted(*args), want)
    _assert_close(jitted(*args), want)
    _assert_fresh(jitted, *args)  # views (reshape, diagonal, flip, ...) are copied
    argnums = tuple(range(len(args)))

    def loss(*a):
        return fnp.sum(fn(*a) ** 2)

    _assert_close(fd.jit(fd.grad(loss, argnums))(*args), fd.grad(loss, argnums)(*args))


def test_python_scalar_arguments_keep_numpy_weak_typing():
    # Eagerly, float32 array * Python float is float32 (NumPy's weak scalars), and the
    # gradient for the Python float is a float64 computed from float32 products. The staged
    # Program must agree with the values jit returns and with eager.
    x = np.array([1.5, -0.5, 2.0], np.float32)
    program = fd.make_program(lambda a, b: a * b)(x, 0.7)
    assert program.out_avals[0].dtype == np.float32, str(program)
    assert fd.jit(lambda a, b: fnp.zeros((), (a * b).dtype))(x, 0.7).dtype == np.float32

    def loss(b, a):
        return fnp.sum(a * b)

    _assert_close(fd.jit(fd.grad(loss))(0.7, x), fd.grad(loss)(0.7, x))


# --------------------------------------------------------------------------
# 2. The optimizer, one pass at a time


def _opt(fun, *args):
    program = fd.make_program(fun)(*args)
    return program, optimize(program)


def _staged_const(tracer, value):
    """`value` as a staged constant of `tracer`'s Program (an equation input, not folded
    at trace time the way NumPy values are)."""
    return tracer._trace.pure(value)


def _run(program, *args):
    return compile_program(program)(*args)


X3 = np.array([0.5, -1.0, 2.0])


def test_dead_code_elimination():
    def f(x):
        unused = fnp.cos(x) * 3.0  # noqa: F841
        return fnp.sin(x)

    before, after = _opt(f, X3)
    assert _eqn_names(before) == ["cos", "multiply", "sin"]
    assert _eqn_names(after) == ["sin"]
    _assert_close(_run(after, X3)[0], np.sin(X3))


def test_dead_code_elimination_keeps_everything_an_output_needs():
    before, after = _opt(lambda x: (fnp.exp(x), fnp.sin(fnp.cos(x))), X3)
    assert _eqn_names(after) == _eqn_names(before) == ["exp", "cos", "sin"]


def test_common_subexpression_elimination():
    before, after = _opt(lambda x: fnp.sin(x) * fnp.sin(x) + fnp.sin(x), X3)
    assert _eqn_names(before).count("sin") == 3
    assert _eqn_names(after) == ["sin", "multiply", "add"]
    _assert_close(_run(after, X3)[0], np.sin(X3) ** 2 + np.sin(X3))


def test_cse_distinguishes_parameters_and_literals():
    # different params (axis) or literals of another type (2 vs 2.0) are different values
    x = np.arange(6.0).reshape(2, 3)
    _, after = _opt(lambda x: (fnp.sum(x, axis=0), fnp.sum(x, axis=1)), x)
    assert _eqn_names(after) == ["reduce_sum", "reduce_sum"]
    _, after = _opt(lambda x: (x * 2, x * 2.0, x * 2), np.arange(3, dtype=np.int32))
    assert _eqn_names(after) == ["multiply", "multiply"]
    outs = _run(after, np.arange(3, dtype=np.int32))
    assert [o.dtype for o in outs] == [np.int32, np.float64, np.int32]


def test_constant_folding():
    def f(x):
        c = fnp.exp(fnp.sin(_staged_const(x, 2.0)))  # depends on constants only
        return x * c

    before, after = _opt(f, X3)
    assert _eqn_names(before) == ["sin", "exp", "multiply"]
    assert _eqn_names(after) == ["multiply"]
    assert any(np.allclose(c, np.exp(np.sin(2.0))) for c in after.consts.values())
    _assert_close(_run(after, X3)[0], X3 * np.exp(np.sin(2.0)))


def test_constant_folding_does_not_materialize_big_constants():
    def f(x):
        big = fnp.broadcast_to(_staged_const(x, np.float64(1.5)), (300, 300))
        return x + big

    _, after = _opt(f, np.ones((300, 300)))
    assert _eqn_names(after) == ["broadcast_to", "add"]
    assert all(np.size(c) == 1 for c in after.consts.values())


@pytest.mark.parametrize(
    "fun",
    [
        lambda x: reshape(x, x.shape),
        lambda x: x + 0.0,
        lambda x: 0.0 + x,
        lambda x: x - 0.0,
        lambda x: x * 1.0,
        lambda x: 1.0 * x,
        lambda x: x + np.zeros(3),
        lambda x: x * np.ones(3),
        lambda x: convert_element_type_p.bind(x, dtype=x.dtype),
        lambda x: fnp.transpose(reshape(x, x.shape), (0,)),
    ],
    ids=[
        "reshape_same",
        "add_zero",
        "zero_add",
        "sub_zero",
        "mul_one",
        "one_mul",
        "add_zeros_array",
        "mul_ones_array",
        "convert_same",
        "transpose_identity",
    ],
)
def test_noops_disappear(fun):
    before, after = _opt(fun, X3)
    assert before.eqns, "the no-op should be staged before optimization"
    assert _eqn_names(after) == []
    _assert_close(_run(after, X3)[0], X3)


@pytest.mark.parametrize(
    "fun, x",
    [
        (lambda x: 0.0 - x, X3),  # negation, not a no-op
        (lambda x: x + 0.0, np.arange(3)),  # int + float: a cast to float64
        (lambda x: x * np.ones((2, 3)), X3),  # broadcasts to a bigger shape
        (lambda x: x + np.zeros(3), X3.astype(np.float32)),  # promotes to float64
        (lambda x: x * 2.0, X3),
        (lambda x: reshape(x, (3, 1)), X3),
    ],
    ids=["zero_minus", "int_plus_float", "broadcasting", "promoting", "mul_two", "reshape"],
)
def test_operations_that_are_not_noops_stay(fun, x):
    before, after = _opt(fun, x)
    assert _eqn_names(after) == _eqn_names(before) != []
    _assert_close(_run(after, x)[0], fun(x))


def test_optimized_gradient_program_drops_the_forward_value():
    # grad's Program computes the loss too; only the gradient is returned
    before, after = _opt(fd.grad(lambda x: fnp.sum(fnp.sin(x) ** 2)), X3)
    assert "reduce_sum" in _eqn_names(before)
    assert "reduce_sum" not in _eqn_names(after)
    assert len(after.eqns) < len(before.eqns)
    _assert_close(_run(after, X3)[0], 2 * np.sin(X3) * np.cos(X3))


def test_jit_runs_the_optimized_program():
    f = fd.jit(lambda x: fnp.sin(x) + fnp.sin(x) * 1.0 + fnp.cos(x) * 0.0)
    assert _eqn_names(f.lower(X3)).count("sin") == 1
    _assert_close(f(X3), 2 * np.sin(X3))


# --------------------------------------------------------------------------
# 3. The cache


def test_cache_hits_and_misses():
    f = fd.jit(lambda x: fnp.sum(fnp.sin(x)))
    f(np.ones(3))
    f(np.zeros(3))  # same shape and dtype: hit
    assert f.cache_info()["hits"] == 1 and f.cache_info()["misses"] == 1
    f(np.ones(4))  # new shape: miss
    f(np.ones(3, np.float32))  # new dtype: miss
    f(np.ones((3, 1)))  # new rank: miss
    assert f.cache_info()["misses"] == 4
    f(np.ones(4))
    f(np.full(3, 2.0, np.float32))
    info = f.cache_info()
    assert (info["hits"], info["misses"], info["size"]) == (3, 4, 4)


def test_cache_key_includes_pytree_structure_and_python_scalar_types():
    f = fd.jit(lambda t: t[0] * t[1])
    f((1.0, 2.0))
    f((3.0, 4.0))  # Python floats: one entry whatever the value
    f([1.0, 2.0])  # a list, not a tuple: another structure
    f((1, 2.0))  # an int: another type
    f((np.float64(1.0), 2.0))  # a NumPy scalar is not a Python float
    info = f.cache_info()
    assert (info["hits"], info["misses"]) == (1, 4)


def _power_loop(x, n):
    for _ in range(n):  # Python control flow on a static argument
        x = fnp.sin(x)
    return x


def _want_power_loop(x, n):
    for _ in range(n):
        x = np.sin(x)
    return x


def test_static_argnums_values_are_in_the_key():
    f = fd.jit(_power_loop, static_argnums=1)
    _assert_close(f(X3, 2), _want_power_loop(X3, 2))
    _assert_close(f(X3 + 1, 2), _want_power_loop(X3 + 1, 2))
    _assert_close(f(X3, 3), _want_power_loop(X3, 3))
    info = f.cache_info()
    assert (info["hits"], info["misses"]) == (1, 2)
    assert _eqn_names(f.lower(X3, 3)) == ["sin"] * 3
    g = fd.jit(_power_loop, static_argnums=(-1,))  # negative positions count from the end
    _assert_close(g(X3, 2), _want_power_loop(X3, 2))


def test_static_argnames_values_are_in_the_key():
    f = fd.jit(_power_loop, static_argnames="n")
    _assert_close(f(X3, n=2), _want_power_loop(X3, 2))
    _assert_close(f(X3, n=2), _want_power_loop(X3, 2))
    _assert_close(f(X3, n=4), _want_power_loop(X3, 4))
    info = f.cache_info()
    assert (info["hits"], info["misses"]) == (1, 2)


def test_static_arguments_by_position_or_by_name():
    # as in JAX, a static argument stays static whichever way it is passed
    _assert_close(fd.jit(_power_loop, static_argnums=1)(X3, n=2), _want_power_loop(X3, 2))
    _assert_close(fd.jit(_power_loop, static_argnames="n")(X3, 2), _want_power_loop(X3, 2))


@pytest.mark.parametrize("value", [[1, 2], {"a": 1}, np.ones(2)], ids=["list", "dict", "array"])
def test_unhashable_static_argument_raises_type_error(value):
    with pytest.raises(TypeError, match="hashable"):
        fd.jit(lambda x, s: x * len(s), static_argnums=1)(1.0, value)
    with pytest.raises(TypeError, match="hashable"):
        fd.jit(lambda x, s: x * len(s), static_argnames="s")(1.0, s=value)


def test_cache_size_limit_evicts_least_recently_used(monkeypatch):
    monkeypatch.setattr(fd.config, "cache_size", 2)
    f = fd.jit(fnp.sin)
    f(np.ones(1))
    f(np.ones(2))
    f(np.ones(1))  # hit: (1,) is now the most recently used
    f(np.ones(3))  # evicts (2,)
    assert f.cache_info()["size"] == 2
    f(np.ones(1))  # still cached
    assert f.cache_info()["misses"] == 3
    f(np.ones(2))  # was evicted: traced again
    info = f.cache_info()
    assert (info["hits"], info["misses"], info["size"], info["maxsize"]) == (2, 4, 2, 2)
    f.clear_cache()
    assert f.cache_info()["size"] == 0


def test_log_compiles(monkeypatch, caplog):
    def my_function(x):
        return fnp.cos(x)

    f = fd.jit(my_function)
    with caplog.at_level(logging.DEBUG, logger="funcdiff.jit"):
        monkeypatch.setattr(fd.config, "log_compiles", False)
        f(np.ones(2))
        assert not caplog.records
        monkeypatch.setattr(fd.config, "log_compiles", True)
        f(np.ones(3))
        f(np.ones(3))  # a cache hit is not logged
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "my_function" in message and "(3,)" in message


def test_log_compiles_from_the_environment():
    code = (
        "import funcdiff as fd, funcdiff.numpy as fnp\n"
        "print(fd.config.log_compiles)\n"
        "fd.jit(fnp.sin)(1.0)\n"
    )
    env = {**os.environ, "FUNCDIFF_LOG_COMPILES": "1", "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True"
    assert "jit: tracing" in res.stderr


# --------------------------------------------------------------------------
# 4. Generated source and the scalar path


def test_source_is_straight_line_numpy():
    f = fd.jit(lambda x: fnp.sum(fnp.sin(x) ** 2))
    src = f.source(X3)
    assert src.startswith("def _compiled(")
    assert "_sin_" in src and "return" in src
    compile(src, "<test>", "exec")  # valid Python


def test_scalar_programs_use_python_floats():
    f = fd.jit(lambda x, y: fnp.sin(x) * fnp.exp(y) + x / y)
    src = f.source(0.5, 2.0)
    assert "float(" in src and "_sin(" in src and "_f64(" in src
    out = f(0.5, 2.0)
    assert type(out) is np.float64
    _assert_close(out, np.sin(0.5) * np.exp(2.0) + 0.5 / 2.0)
    # a NumPy float64 scalar and a 0-d array take the scalar path too
    assert type(fd.jit(fnp.sin)(np.float64(0.5))) is np.float64
    assert type(fd.jit(fnp.sin)(np.array(0.5))) is np.float64
    # float32 does not: NumPy's rounding must be kept
    assert type(fd.jit(fnp.sin)(np.float32(0.5))) is np.float32
    assert "float(" not in fd.jit(fnp.sin).source(np.float32(0.5))


def test_jit_grad_of_scalar_chain_uses_the_scalar_path():
    def chain(x):
        for _ in range(10):
            x = fnp.sin(x)
        return x

    g = fd.jit(fd.grad(chain))
    assert "float(" in g.source(0.3)
    out = g(0.3)
    assert type(out) is np.float64
    _assert_close(out, fd.grad(chain)(0.3))


SCALAR_SPECIAL = {
    "exp(1000)": (fnp.exp, 1000.0),
    "exp(-1000)": (fnp.exp, -1000.0),
    "log(0)": (fnp.log, 0.0),
    "log(-1)": (fnp.log, -1.0),
    "sqrt(-1)": (fnp.sqrt, -1.0),
    "1/0": (lambda x: 1.0 / x, 0.0),
    "-1/0": (lambda x: -1.0 / x, 0.0),
    "0/0": (lambda x: x / x, 0.0),
    "reciprocal(0)": (fnp.reciprocal, 0.0),
    "log1p(-1)": (fnp.log1p, -1.0),
    "expm1(1000)": (fnp.expm1, 1000.0),
    "sinh(1000)": (fnp.sinh, 1000.0),
    "cosh(-1000)": (fnp.cosh, -1000.0),
    "(-4)**0.5": (lambda x: x**0.5, -4.0),
    "0**-1": (lambda x: x**-1.0, 0.0),
    "(1e200)**2": (lambda x: x**2.0, 1e200),
    "1e200*1e200*1e200": (lambda x: x * x * x, 1e200),
    "inf-inf": (lambda x: x - x, np.inf),
    "sin(inf)": (fnp.sin, np.inf),
    "cos(-inf)": (fnp.cos, -np.inf),
    "tan(inf)": (fnp.tan, np.inf),
    "tanh(inf)": (fnp.tanh, np.inf),
    "sin(nan)": (fnp.sin, np.nan),
    "exp(nan)": (fnp.exp, np.nan),
    "arctan(-inf)": (fnp.arctan, -np.inf),
}


@pytest.mark.parametrize("fun, x", list(SCALAR_SPECIAL.values()), ids=list(SCALAR_SPECIAL))
def test_scalar_path_handles_inf_nan_overflow_like_numpy(fun, x):
    x = np.float64(x)  # a NumPy scalar: eager is NumPy, not Python float arithmetic
    with np.errstate(all="ignore"):
        want = fun(x)
        got = fd.jit(fun)(x)
    assert type(got) is np.float64
    np.testing.assert_array_equal(got, want)


def test_scalar_path_named_examples():
    with np.errstate(all="ignore"):
        assert fd.jit(fnp.exp)(1000.0) == np.inf
        assert fd.jit(fnp.log)(0.0) == -np.inf
        assert np.isnan(fd.jit(fnp.sqrt)(-1.0))
        assert fd.jit(lambda x: 1.0 / x)(0.0) == np.inf


def test_compiled_program_releases_intermediates_like_eager():
    # Eager grad frees each residual once the backward pass has used it. The compiled
    # straight-line function must not be worse: it should drop each intermediate after
    # its last use, not keep all of them alive until it returns.
    rng = np.random.default_rng(0)
    params = {"w1": rng.normal(size=(8, 32)), "w2": rng.normal(size=(32, 1))}
    x, y = rng.normal(size=(4096, 8)), rng.normal(size=(4096, 1))

    def loss(p, x, y):
        h = fnp.tanh(x @ p["w1"])
        return fnp.mean((h @ p["w2"] - y) ** 2)

    eager, jitted = fd.grad(loss), fd.jit(fd.grad(loss))
    jitted(params, x, y)

    def peak(fn):
        tracemalloc.start()
        try:
            fn(params, x, y)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    assert peak(jitted) <= 1.05 * peak(eager), (peak(jitted), peak(eager))


# --------------------------------------------------------------------------
# 5. Composition with the other transforms, in every order


def _f(x):
    return fnp.sum(fnp.sin(x) * x**2 + fnp.exp(-x) * fnp.tanh(x))


def _vec(x):
    return fnp.sin(x) * fnp.cumsum(x) + x[::-1] ** 2


XS = np.array([0.3, -1.2, 0.8, 2.0])
BATCH = np.array([[0.1, 0.2, 0.3, 0.4], [-1.0, 0.5, 2.0, 0.0], [1.5, -0.5, 0.25, 1.0]])

COMPOSITIONS = {
    "jit(grad)": (lambda: fd.jit(fd.grad(_f)), lambda: fd.grad(_f), XS),
    "grad(jit)": (lambda: fd.grad(fd.jit(_f)), lambda: fd.grad(_f), XS),
    "vmap(jit)": (lambda: fd.vmap(fd.jit(_f)), lambda: fd.vmap(_f), BATCH),
    "jit(vmap)": (lambda: fd.jit(fd.vmap(_f)), lambda: fd.vmap(_f), BATCH),
    "jacfwd(jit)": (lambda: fd.jacfwd(fd.jit(_vec)), lambda: fd.jacfwd(_vec), XS),
    "jacrev(jit)": (lambda: fd.jacrev(fd.jit(_vec)), lambda: fd.jacrev(_vec), XS),
    "jit(jacfwd)": (lambda: fd.jit(fd.jacfwd(_vec)), lambda: fd.jacfwd(_vec), XS),
    "jit(jacrev)": (lambda: fd.jit(fd.jacrev(_vec)), lambda: fd.jacrev(_vec), XS),
    "hessian(jit)": (lambda: fd.hessian(fd.jit(_f)), lambda: fd.hessian(_f), XS),
    "jit(hessian)": (lambda: fd.jit(fd.hessian(_f)), lambda: fd.hessian(_f), XS),
    "jit(grad(grad))": (
        lambda: fd.jit(fd.grad(fd.grad(lambda x: fnp.sin(x) * x**3))),
        lambda: fd.grad(fd.grad(lambda x: fnp.sin(x) * x**3)),
        0.7,
    ),
    "grad(jit(grad))": (
        lambda: fd.grad(fd.jit(fd.grad(lambda x: fnp.sin(x) * x**3))),
        lambda: fd.grad(fd.grad(lambda x: fnp.sin(x) * x**3)),
        0.7,
    ),
    "jit(vmap(grad))": (lambda: fd.jit(fd.vmap(fd.grad(_f))), lambda: fd.vmap(fd.grad(_f)), BATCH),
    "vmap(jit(grad))": (lambda: fd.vmap(fd.jit(fd.grad(_f))), lambda: fd.vmap(fd.grad(_f)), BATCH),
    "grad(vmap(jit))": (
        lambda: fd.grad(lambda b: fnp.sum(fd.vmap(fd.jit(_f))(b))),
        lambda: fd.grad(lambda b: fnp.sum(fd.vmap(_f)(b))),
        BATCH,
    ),
    "jit(jit)": (lambda: fd.jit(lambda x: fd.jit(_f)(x) * 2.0), lambda: lambda x: _f(x) * 2.0, XS),
}


@pytest.mark.parametrize("name", list(COMPOSITIONS))
def test_composition(name):
    make, make_ref, x = COMPOSITIONS[name]
    want = make_ref()(x)
    fun = make()
    _assert_close(fun(x), want)
    _assert_close(fun(x + 0.25), make_ref()(x + 0.25))  # a second call reuses the trace


def test_jvp_and_linearize_of_jit():
    f = fd.jit(_vec)
    t = np.array([1.0, -2.0, 0.5, 0.0])
    _assert_close(fd.jvp(f, (XS,), (t,)), fd.jvp(_vec, (XS,), (t,)))
    out, f_jvp = fd.linearize(f, XS)
    _assert_close(f_jvp(t), fd.jvp(_vec, (XS,), (t,))[1])


def test_nested_jit_is_inlined_into_the_outer_program():
    inner = fd.jit(fnp.sin)
    program = fd.make_program(lambda x: inner(x) * 2.0)(XS)
    assert _eqn_names(program) == ["sin", "multiply"]
    outer = fd.jit(lambda x: inner(inner(x)))
    _assert_close(outer(XS), np.sin(np.sin(XS)))


def test_jit_of_a_closure_over_an_outer_tracer():
    assert fd.grad(lambda x: fd.jit(lambda y: x * y)(2.0))(3.0) == 2.0
    assert fd.grad(lambda x: fd.jit(lambda y: fnp.sin(x * y))(2.0))(3.0) == 2.0 * np.cos(6.0)
    # the outer tracer is a constant of the inner Program: evaluated, not compiled
    _assert_close(fd.vmap(lambda x: fd.jit(lambda y: x * y)(2.0))(XS), XS * 2.0)
    _assert_close(fd.jvp(lambda x: fd.jit(lambda y: x * y)(2.0), (3.0,), (1.0,)), (6.0, 2.0))


def _my_sin():
    f = fd.custom_jvp(lambda x: fnp.sin(x))
    # a deliberately different rule (2 cos x), so that using it is visible
    f.defjvp(lambda p, t: (fnp.sin(p[0]), 2.0 * fnp.cos(p[0]) * t[0]))
    return f


def _my_exp():
    f = fd.custom_vjp(lambda x: fnp.exp(x))
    f.defvjp(lambda x: (fnp.exp(x), fnp.exp(x)), lambda r, g: (3.0 * g * r,))
    return f


def test_jit_of_custom_jvp():
    f = _my_sin()
    x = np.array([0.0, 1.0, 2.0])
    _assert_close(fd.jit(f)(x), np.sin(x))
    for g in (fd.jit(fd.grad(lambda x: fnp.sum(f(x)))), fd.grad(lambda x: fnp.sum(fd.jit(f)(x)))):
        _assert_close(g(x), 2.0 * np.cos(x))
        _assert_close(g(x + 1.0), 2.0 * np.cos(x + 1.0))  # not baked in at trace time
    _assert_close(fd.jit(lambda x: fd.jvp(f, (x,), (np.ones(3),))[1])(x), 2.0 * np.cos(x))
    _assert_close(fd.jit(fd.vmap(fd.grad(f)))(x), 2.0 * np.cos(x))


def test_jit_of_custom_vjp():
    f = _my_exp()
    x = np.array([0.0, 1.0, 2.0])
    _assert_close(fd.jit(f)(x), np.exp(x))
    for g in (fd.jit(fd.grad(lambda x: fnp.sum(f(x)))), fd.grad(lambda x: fnp.sum(fd.jit(f)(x)))):
        _assert_close(g(x), 3.0 * np.exp(x))
        _assert_close(g(x - 1.0), 3.0 * np.exp(x - 1.0))
    _assert_close(fd.jit(fd.vmap(fd.grad(f)))(x), 3.0 * np.exp(x))


def test_custom_rules_and_checkpoint_closing_over_jit_values():
    # a custom_jvp / custom_vjp / checkpoint function defined inside the jitted function,
    # closing over one of its (traced) arguments
    def scale_jvp(y):
        f = fd.custom_jvp(lambda a: a * y)
        f.defjvp(lambda p, t: (p[0] * y, t[0] * y))
        return f

    def scale_vjp(y):
        f = fd.custom_vjp(lambda a: a * y)
        f.defvjp(lambda a: (a * y, None), lambda r, g: (g * y,))
        return f

    for make in (scale_jvp, scale_vjp, lambda y: fd.checkpoint(lambda a: a * y)):
        assert fd.jit(lambda x, y, make=make: make(y)(x))(2.0, 3.0) == 6.0
        assert fd.jit(fd.grad(lambda x, y, make=make: make(y)(x)))(2.0, 3.0) == 3.0


def test_jit_of_checkpoint():
    f = fd.checkpoint(lambda x: fnp.sin(fnp.sin(x)))
    _assert_close(fd.jit(fd.grad(f))(0.4), np.cos(np.sin(0.4)) * np.cos(0.4))
    _assert_close(fd.grad(fd.jit(f))(0.4), np.cos(np.sin(0.4)) * np.cos(0.4))


# --------------------------------------------------------------------------
# 6. Control flow is staged once, as a sub-program (not unrolled)


def _top_names(fun, *args):
    return _eqn_names(optimize(fd.make_program(fun)(*args)))


def test_jit_of_cond():
    def f(x):
        return fd.cond(x > 0, fnp.sin, fnp.cos, x)

    jf = fd.jit(f)
    for v in (1.0, -1.0, 0.0):
        _assert_close(jf(v), f(v))
    assert jf.cache_info()["misses"] == 1  # one Program for both branches
    assert _top_names(f, 1.0).count("cond") == 1
    assert "sin" not in _top_names(f, 1.0)  # the branches live inside the cond equation
    _assert_close(fd.jit(fd.grad(f))(-1.0), np.sin(1.0))
    _assert_close(fd.grad(jf)(1.0), np.cos(1.0))


def test_jit_of_switch():
    def f(i, x):
        return fd.switch(i, [fnp.sin, fnp.cos, lambda x: x**2], x)

    jf = fd.jit(f)
    for i in (0, 1, 2, 7, -3):  # out-of-range indices are clamped
        _assert_close(jf(i, 0.5), f(i, 0.5))
    assert jf.cache_info()["misses"] == 1
    assert _top_names(f, 1, 0.5).count("cond") == 1
    _assert_close(fd.jit(fd.grad(f, argnums=1))(2, 0.5), 1.0)


def _doubling(x):
    return fd.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, x)


def test_jit_of_while_loop():
    jf = fd.jit(_doubling)
    for v in (1.0, 3.0, 20.0):
        _assert_close(jf(v), _doubling(v))
    assert jf.cache_info()["misses"] == 1
    assert _top_names(_doubling, 1.0) == ["while"]
    _assert_close(fd.jvp(jf, (1.0,), (1.0,)), (16.0, 16.0))


def test_grad_of_jit_while_loop_raises_a_clear_error():
    with pytest.raises(TypeError, match="while_loop inside jit"):
        fd.grad(fd.jit(_doubling))(1.0)


def test_jit_of_fori_loop():
    def f(x):
        return fd.fori_loop(0, 5, lambda i, v: v * x + i, x)

    _assert_close(fd.jit(f)(0.7), f(0.7))
    assert _top_names(f, 0.7) == ["scan"]  # concrete bounds: a scan, not 5 copies
    _assert_close(fd.jit(fd.grad(f))(0.7), fd.grad(f)(0.7))

    def g(x, n):  # traced bounds: a while loop
        return fd.fori_loop(0, n, lambda i, v: v * 2.0, x)

    _assert_close(fd.jit(g)(1.5, 3), 12.0)
    assert "while" in _top_names(g, 1.5, 3)


def _scan_fun(xs):
    carry, ys = fd.scan(lambda c, x: (fnp.sin(c) * x + 1.0, c * x), 0.5, xs)
    return carry + fnp.sum(ys**2)


XSCAN = np.array([0.3, -1.0, 2.0, 0.5, 1.5])


def test_jit_of_scan():
    jf = fd.jit(_scan_fun)
    _assert_close(jf(XSCAN), _scan_fun(XSCAN))
    names = _top_names(_scan_fun, XSCAN)
    assert names.count("scan") == 1 and "sin" not in names
    rev = fd.jit(lambda xs: fd.scan(lambda c, x: (c * 2.0 + x, c), 1.0, xs, reverse=True))
    _assert_close(rev(XSCAN), fd.scan(lambda c, x: (c * 2.0 + x, c), 1.0, XSCAN, reverse=True))


def test_jit_grad_of_scan_reverse_pass_is_a_scan():
    g = fd.jit(fd.grad(_scan_fun))
    _assert_close(g(XSCAN), fd.grad(_scan_fun)(XSCAN))
    program = g.lower(XSCAN)
    scans = [e for e in program.eqns if e.prim.name == "scan"]
    assert [e.params["reverse"] for e in scans] == [False, True]
    assert "sin" not in _eqn_names(program) and "cos" not in _eqn_names(program)
    # longer inputs: same number of equations (not unrolled)
    longer = np.linspace(-1.0, 1.0, 50)
    assert len(g.lower(longer).eqns) == len(program.eqns)
    _assert_close(g(longer), fd.grad(_scan_fun)(longer))
    _assert_close(fd.grad(fd.jit(_scan_fun))(XSCAN), fd.grad(_scan_fun)(XSCAN))


def test_jit_vmap_while_loop_with_batched_predicate():
    xs = np.array([1.0, 3.0, 20.0, 0.3])
    jf = fd.jit(fd.vmap(_doubling))
    _assert_close(jf(xs), np.array([_doubling(v) for v in xs]))
    assert _top_names(fd.vmap(_doubling), xs) == ["while"]
    _assert_close(fd.vmap(fd.jit(_doubling))(xs), np.array([_doubling(v) for v in xs]))


def test_jit_vmap_of_cond_and_scan():
    xs = np.array([1.0, -2.0, 0.5])
    f = fd.jit(fd.vmap(lambda x: fd.cond(x > 0, fnp.sin, fnp.cos, x)))
    _assert_close(f(xs), np.where(xs > 0, np.sin(xs), np.cos(xs)))
    batch = np.stack([XSCAN, XSCAN * 0.5])
    _assert_close(fd.jit(fd.vmap(_scan_fun))(batch), np.array([_scan_fun(b) for b in batch]))
    _assert_close(
        fd.jit(fd.vmap(fd.grad(_scan_fun)))(batch), np.array([fd.grad(_scan_fun)(b) for b in batch])
    )


def test_hessian_of_jit_scan():
    def f(x):
        return fd.scan(lambda c, a: (c * a, c), 1.0, x)[0]

    x = np.array([1.0, 2.0, 3.0])
    want = np.array([[0.0, 3.0, 2.0], [3.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
    _assert_close(fd.hessian(fd.jit(f))(x), want)
    _assert_close(fd.jit(fd.hessian(f))(x), want)


# --------------------------------------------------------------------------
# 7. Python control flow on traced values


def _branchy(x):
    if x > 0:  # Python `if` on a traced value
        return x
    return -x


def test_python_if_raises_concretization_error_naming_function_and_line():
    with pytest.raises(fd.ConcretizationError) as info:
        fd.jit(_branchy)(1.0)
    msg = str(info.value)
    line = _branchy.__code__.co_firstlineno + 1
    assert "_branchy" in msg
    assert f"test_jit.py:{line}" in msg
    assert "jit" in msg
    for hint in ("static_argnums", "where", "cond"):
        assert hint in msg, hint


@pytest.mark.parametrize(
    "fun",
    [
        lambda x: float(x),
        lambda x: int(x),
        lambda x: x.item(),
        lambda x: bool(x > 0),
        lambda x: [v for v in range(int(x))],
    ],
    ids=["float", "int", "item", "bool", "range"],
)
def test_converting_a_traced_value_raises_concretization_error(fun):
    with pytest.raises(fd.ConcretizationError, match="static_argnums"):
        fd.jit(fun)(3.0)
    with pytest.raises(fd.ConcretizationError):
        fd.make_program(fun)(3.0)


def test_fixes_suggested_by_the_error_work():
    _assert_close(fd.jit(lambda x: fnp.where(x > 0, x, -x))(-2.0), 2.0)
    _assert_close(fd.jit(lambda x: fd.cond(x > 0, lambda v: v, lambda v: -v, x))(-2.0), 2.0)
    _assert_close(fd.jit(_branchy, static_argnums=0)(-2.0), 2.0)


def test_side_effects_run_once_at_trace_time(capsys):
    calls = []

    def f(x):
        calls.append(1)
        print("tracing with", x)
        return x * 2.0

    jf = fd.jit(f)
    jf(np.ones(2))
    jf(np.zeros(2))
    assert len(calls) == 1
    out = capsys.readouterr().out
    assert out.count("tracing with") == 1
    assert "float64[2]" in out  # print shows the abstract value, not the numbers


def test_concrete_globals_are_baked_in_at_trace_time():
    scale = {"v": 2.0}
    jf = fd.jit(lambda x: x * scale["v"])
    assert jf(1.0) == 2.0
    scale["v"] = 5.0
    assert jf(1.0) == 2.0  # the cached Program still holds 2.0
    jf.clear_cache()
    assert jf(1.0) == 5.0


# --------------------------------------------------------------------------
# 8. Printing Programs


def test_program_str_one_equation_per_line():
    program = fd.make_program(lambda x, y: fnp.sum(fnp.sin(x) * y, axis=0))(
        np.ones((2, 3)), np.ones(3, np.float32)
    )
    text = str(program)
    lines = text.splitlines()
    assert len(lines) == len(program.eqns) + 2
    assert lines[0].startswith("{ lambda") and "a:float64[2,3]" in lines[0]
    assert "b:float32[3]" in lines[0]
    assert lines[-1].strip().startswith("in (")
    body = lines[1:-1]
    for line, eqn in zip(body, program.eqns):
        assert f"= {eqn.prim.name}" in line
    assert re.search(r"float64\[2,3\] = sin a", body[0])
    assert re.search(r"float64\[3\] = reduce_sum\[axes=\(0,\)\]", body[-1])
    assert repr(program) == text


def test_program_repr_html():
    program = fd.make_program(lambda x: fnp.where(x < 1, x, 1.0))(X3)
    html = program._repr_html_()
    assert html.startswith("<pre>") and html.endswith("</pre>")
    assert "&lt;" not in str(program) and "less" in html
    assert "<" not in html[5:-6]  # escaped


def test_program_prints_sub_programs_of_control_flow():
    text = str(fd.make_program(_scan_fun)(XSCAN))
    assert "scan[body=" in text and "sin" in text and "length=5" in text


def test_program_is_callable_and_differentiable():
    program = fd.make_program(lambda x: fnp.sin(x) * x)(XS)
    assert isinstance(program, Program)
    _assert_close(program(XS)[0], np.sin(XS) * XS)
    _assert_close(fd.grad(lambda x: fnp.sum(program(x)[0]))(XS), np.cos(XS) * XS + np.sin(XS))
    assert [a.shape for a in program.in_avals] == [(4,)]
    assert [a.dtype for a in program.out_avals] == [np.float64]


def test_make_program_static_argnums():
    program = fd.make_program(_power_loop, static_argnums=1)(X3, 3)
    assert _eqn_names(program) == ["sin"] * 3
    assert len(program.invars) == 1


# --------------------------------------------------------------------------
# 9. docs/jit.md: every python block runs


def test_docs_jit_page_runs(capsys):
    text = (ROOT / "docs" / "jit.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 5
    namespace = {"__name__": "docs_jit"}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/jit.md block {i + 1}", "exec"), namespace)
        except Exception as e:  # the message says which block
            raise AssertionError(f"docs/jit.md python block {i + 1} fails: {e!r}\n{block}") from e
    # the Programs and sources shown on the page are what the blocks print
    printed = capsys.readouterr().out
    shown = re.findall(r"^```text\n(.*?)^```", text, re.S | re.M)
    listings = [s for s in shown if s.startswith(("{ lambda", "def _compiled"))]
    assert len(listings) >= 4
    for listing in listings:
        assert listing in printed, f"docs/jit.md shows output that is not printed:\n{listing}"


def test_dispatch_fast_path_keys_structure_shapes_dtypes_and_scalar_kinds():
    calls = []

    def f(x, tree):
        calls.append(1)
        return x * 2 + sum(fnp.sum(v) for v in fd.tree.tree_leaves(tree))

    jf = fd.jit(f)
    args = [
        (2.0, {"a": np.ones(2)}),
        (2, {"a": np.ones(2)}),  # a Python int: a new (weakly typed int) trace
        (np.float64(2.0), {"a": np.ones(2)}),
        (np.array(2.0), {"a": np.ones(2)}),  # same key as np.float64: shape (), float64
        (2.0, {"a": np.ones(3)}),
        (2.0, {"b": np.ones(2)}),
        (2.0, {"a": np.ones(2, np.float32)}),
        (2.0, [np.ones(2), np.ones(2)]),
        (2.0, [np.ones(2)]),
    ]
    for x, tree in args * 2:  # the second pass hits the cache every time
        np.testing.assert_allclose(jf(x, tree), f(x, tree))
    info = jf.cache_info()
    assert info["misses"] == 8 and info["hits"] == 10, info
    assert len(calls) == 8 + 18  # traces + the direct calls above


def test_generated_code_reuses_dead_fresh_buffers_only():
    def chain(x):
        return fnp.tanh(fnp.exp(fnp.sin(x) * 2.0) + 1.0)

    x = np.linspace(-1.0, 1.0, 7)
    src = fd.jit(chain).source(x)
    assert src.count("out=") == 4, src  # multiply, exp, add, tanh: into dead inputs
    assert "out=v0" not in src  # never into the caller's argument
    np.testing.assert_allclose(fd.jit(chain)(x), chain(x))
    np.testing.assert_array_equal(x, np.linspace(-1.0, 1.0, 7))

    def views(x):
        a = fnp.sin(x)
        b = fnp.reshape(a, (-1,))  # a view of a's buffer, still alive below
        c = fnp.cos(a)  # a is dead here, but b points into it: no reuse
        return b, c * 3.0, a.T + 0.5

    x = np.arange(6.0).reshape(2, 3)
    got, want = fd.jit(views)(x), views(x)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)

    def kept(x):
        a = fnp.sin(x)
        return a, fnp.cos(a)  # a is an output: never overwritten

    np.testing.assert_allclose(fd.jit(kept)(x)[0], np.sin(x))
    assert "out=" not in fd.jit(kept).source(x)


def test_mul_safe_under_jit_writes_into_dead_buffers_with_the_same_values():
    from funcdiff._src.lax.elementwise import mul_safe

    def f(x, y):
        return mul_safe(x * 2.0, y * 3.0) + 1.0  # both factors fresh and dead

    inf, nan = np.inf, np.nan
    x = np.array([0.0, 0.0, inf, nan, 2.0, 0.0, -inf, 1.0, nan, -0.0, 4.0])
    y = np.array([inf, nan, 0.0, 0.0, 3.0, -0.0, 2.0, nan, 1.0, -inf, 0.5])
    want = np.array([1.0, 1.0, 1.0, 1.0, 37.0, 1.0, -inf, nan, nan, 1.0, 13.0])
    big = np.resize(x, 70_001), np.resize(y, 70_001)  # over _PRECHECK_MAX: another path
    for a, b, w in [(x, y, want), (x[4:5], y[4:5], want[4:5]), (x[[4, 10]], y[[4, 10]], None),
                    (*big, np.resize(want, 70_001)), (x[:10].reshape(2, 5), y[:10].reshape(2, 5),
                                                      want[:10].reshape(2, 5))]:
        src = fd.jit(f).source(a, b)
        assert re.search(r"_mul_safe_\d+\(v\d+, v\d+, out=v\d+\)", src), src
        assert re.search(r"_add_\d+\(v\d+, 1.0, out=v\d+\)", src), src
        a0, b0 = a.copy(), b.copy()
        got = fd.jit(f)(a, b)
        np.testing.assert_array_equal(got, f(a, b))
        if w is not None:
            np.testing.assert_array_equal(got, w)
        np.testing.assert_array_equal(a, a0)  # the arguments are never written
        np.testing.assert_array_equal(b, b0)
    # a broadcast factor: the product still goes into the dead full-shape one
    w = np.array([inf, 0.0, nan, 2.0, -1.0])
    for a in (x[:10].reshape(2, 5), np.arange(10.0).reshape(2, 5) + 1.0):
        src = fd.jit(f).source(a, w)
        assert re.search(r"_mul_safe_\d+\(v\d+, v\d+, out=v\d+\)", src), src
        np.testing.assert_array_equal(fd.jit(f)(a, w), f(a, w))
        np.testing.assert_array_equal(fd.jit(f)(w, a), f(w, a))
    # the scalar path: an inline expression, 0 * inf and 0 * nan == 0, nan * 1 == nan
    src = fd.jit(f).source(0.0, inf)
    assert "float(" in src and "_mul_safe" not in src, src
    pairs = [(0.0, inf), (0.0, nan), (inf, 0.0), (nan, 0.0), (nan, 1.0), (2.0, 3.0),
             (-0.0, -inf), (-inf, 2.0)]
    for (a, b), w in zip(pairs, [1.0, 1.0, 1.0, 1.0, nan, 37.0, 1.0, -inf]):
        got = fd.jit(f)(a, b)
        assert type(got) is np.float64
        np.testing.assert_array_equal(got, w)
        np.testing.assert_array_equal(got, f(a, b))
    # a staged gradient: the safe product's result is reused by the add, as a ufunc's
    g = fd.grad(lambda x: fnp.sum(fnp.exp(x) * x))
    xs = np.linspace(-1.0, 1.0, 9)
    src = fd.jit(g).source(xs)
    assert "_mul_safe_" in src and re.search(r"_add_\d+\(v\d+, v\d+, out=v\d+\)", src), src
    np.testing.assert_array_equal(fd.jit(g)(xs), g(xs))
    np.testing.assert_array_equal(fd.jit(g)(0.5), g(0.5))
    # a big sum's seed (ones broadcast from one value) is no factor of the generated code
    xs = np.linspace(-1.0, 1.0, 70_001)
    src = fd.jit(g).source(xs)
    assert "_c0" not in src and src.count("_mul_safe_") == 1, src
    np.testing.assert_array_equal(fd.jit(g)(xs), g(xs))


def test_long_programs_are_split_into_chunks(monkeypatch):
    from funcdiff._src.jit import codegen as jit_module

    monkeypatch.setattr(jit_module, "CHUNK", 3)
    rng = np.random.default_rng(0)
    W, x = rng.standard_normal((4, 3)), rng.standard_normal(4)
    W0, x0 = W.copy(), x.copy()

    def mlp(W, x):  # arrays: NumPy code with del, out= and constants
        h = fnp.tanh(x @ W) * np.arange(1.0, 4.0)
        return fnp.sum(fnp.sin(h) ** 2) + fnp.sum(W)

    def chain(x):  # float64 scalars: the math-module code
        for _ in range(10):
            x = fnp.sin(x) * 1.1
        return x

    def several(x, W):  # an input returned as is, an input used late, a constant output
        y = fnp.cos(x) + 1.0
        z = y * 2.0 - x
        return x, z @ W, np.ones(2), fnp.exp(z)

    cases = [
        (fd.grad(mlp, argnums=(0, 1)), (W, x)),
        (fd.grad(chain), (0.5,)),
        (several, (x, W)),
        (fd.jacrev(several, argnums=1), (x, W)),
    ]
    for f, args in cases:
        jf = fd.jit(f)
        got, want = fd.tree.tree_leaves(jf(*args)), fd.tree.tree_leaves(f(*args))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
        assert "def _chunk1(_s" in jf.source(*args)
    np.testing.assert_array_equal(W, W0)  # no out= into an argument
    np.testing.assert_array_equal(x, x0)


def test_repeated_chunks_share_code(monkeypatch):
    from funcdiff._src.jit import codegen as jit_module

    monkeypatch.setattr(jit_module, "CHUNK", 12)

    def chain(x, n=300):
        for _ in range(n):
            x = fnp.sin(x) * 1.1
        return x

    for f, x in [(fd.grad(chain), 0.5), (fd.grad(lambda x: fnp.sum(chain(x))), np.full(3, 0.5))]:
        jf = fd.jit(f)
        np.testing.assert_allclose(jf(x), f(x), rtol=1e-12)
        src = jf.source(x)
        calls = src.count("    _chunk")
        assert calls >= 900 // 12  # forward and backward, split every 12 equations
        assert src.count("def _chunk") <= 12  # the repeated middle shares a few functions


# --------------------------------------------------------------------------
# 10. Outputs are fresh arrays; static keys tell types apart; argument checks


def _ident_custom_jvp():
    @fd.custom_jvp
    def ident(x):
        return x

    @ident.defjvp
    def _(primals, tangents):
        return primals[0], tangents[0]

    return ident


M3 = np.arange(9.0).reshape(3, 3) + 1.0
_FRESH_CASES = {
    # constants (folded, or cached at trace time) are never handed out by reference
    "grad_of_linear": (fd.grad(lambda v: fnp.sum(2.0 * v)), (X3,), {}),
    "zeros_static": (fnp.zeros, (3,), {"static_argnums": 0}),
    "zeros_static_big": (fnp.zeros, ((300, 300),), {"static_argnums": 0}),
    "ones_like": (lambda v: fnp.ones_like(v), (X3,), {}),
    "zeros_like_big": (lambda v: fnp.zeros_like(v), (np.ones((300, 300)),), {}),
    "hessian_constant": (fd.hessian(lambda v: fnp.sum(v**2)), (X3,), {}),
    "jacrev_constant": (fd.jacrev(lambda v: 2.0 * v), (X3,), {}),
    "jacfwd_constant": (fd.jacfwd(lambda v: 2.0 * v), (X3,), {}),
    "value_and_grad": (fd.value_and_grad(lambda v: fnp.sum(2.0 * v)), (X3,), {}),
    "constant_and_input": (lambda v: (v, np.ones(3), v), (X3,), {}),
    # the caller's own input, returned as is (the optimizer removes no-ops)
    "identity": (lambda v: v, (X3,), {}),
    "copy_method": (lambda v: v.copy(), (X3,), {}),
    "fnp_copy": (fnp.copy, (X3,), {}),
    "fnp_array": (lambda v: fnp.array(v), (X3,), {}),
    "fnp_asarray": (lambda v: fnp.asarray(v), (X3,), {}),
    "astype_same": (lambda v: v.astype(np.float64), (X3,), {}),
    "plus_zero": (lambda v: v + 0.0, (X3,), {}),
    "minus_zero": (lambda v: v - 0.0, (X3,), {}),
    "times_one": (lambda v: v * 1.0, (X3,), {}),
    "stop_gradient": (fd.stop_gradient, (X3,), {}),
    "identity_0d_int": (lambda v: v, (np.array(3),), {}),
    "identity_in_tree": (lambda t: {"a": t[0], "b": (t[1], t[0])}, ((X3, M3),), {}),
    # views of the input
    "reshape": (lambda v: v.reshape(-1), (M3,), {}),
    "ravel": (fnp.ravel, (M3,), {}),
    "transpose": (lambda v: v.T, (M3,), {}),
    "swapaxes": (lambda v: fnp.swapaxes(v, 0, 1), (M3,), {}),
    "squeeze": (fnp.squeeze, (X3[None],), {}),
    "expand_dims": (lambda v: fnp.expand_dims(v, 0), (X3,), {}),
    "newaxis": (lambda v: v[None, :, None], (X3,), {}),
    "slice": (lambda v: v[1:], (X3,), {}),
    "reverse": (lambda v: v[::-1], (X3,), {}),
    "row": (lambda v: v[1], (M3,), {}),
    "column": (lambda v: v[:, 2], (M3,), {}),
    "ellipsis": (lambda v: v[..., 1:], (M3,), {}),
    "diagonal": (fnp.diagonal, (M3,), {}),
    "einsum_diagonal": (lambda v: fnp.einsum("ii->i", v), (M3,), {}),
    "einsum_transpose": (lambda v: fnp.einsum("ij->ji", v), (M3,), {}),
    "real_of_real": (fnp.real, (X3,), {}),
    "real_of_complex": (fnp.real, (X3 + 2j,), {}),
    "imag_of_complex": (fnp.imag, (X3 + 2j,), {}),
    "imag_of_real": (fnp.imag, (X3,), {}),  # NumPy's is read-only
    "broadcast": (lambda v: fnp.broadcast_to(fnp.sum(v), (4, 3)), (X3,), {}),
    "broadcast_input": (lambda v: fnp.broadcast_to(v, (2, 3)), (X3,), {}),
    "atleast_2d": (fnp.atleast_2d, (X3,), {}),
    # one array returned twice, or views of one array
    "same_value_twice": (lambda v: (v * 2.0, v * 2.0), (X3,), {}),
    "value_and_view": (lambda v: ((v * 2.0)[None], v * 2.0), (X3,), {}),
    "overlapping_slices": (lambda v: ((v * 2.0)[1:], (v * 2.0)[:2]), (X3,), {}),
    "scalar_twice": (lambda v: (fnp.sum(v), fnp.sum(v)), (X3,), {}),
    # control flow and custom rules: what their implementations return
    "cond_identity_branch": (
        lambda v: fd.cond(v[0] > 0, lambda u: u, lambda u: -u, v), (X3,), {}),
    "cond_constant_branch": (
        lambda v: fd.cond(v[0] > 0, lambda u: -u, lambda u: np.ones(3), v), (-X3,), {}),
    "cond_twice": (
        lambda v: fd.cond(v[0] > 0, lambda u: (u * 2, u * 2), lambda u: (-u, u), v), (X3,), {}),
    "switch_views": (
        lambda i, v: fd.switch(i, [lambda u: u, lambda u: u * 2, lambda u: u.T], v),
        (2, M3), {}),
    "scan_carry_is_init": (
        lambda c, xs: fd.scan(lambda c, x: (c, x * 2), c, xs), (X3, np.ones((2, 3))), {}),
    "scan_carry_is_x": (
        lambda c, xs: fd.scan(lambda c, x: (x, c * 2), c, xs), (X3, np.ones((2, 3))), {}),
    "while_no_iteration": (
        lambda v: fd.while_loop(lambda u: u[2] < 1.0, lambda u: u * 2, v), (X3,), {}),
    "fori_loop_zero_trips": (lambda v: fd.fori_loop(0, 0, lambda i, u: u * 2, v), (X3,), {}),
    "custom_jvp_identity": (lambda v: _ident_custom_jvp()(v), (X3,), {}),
    "checkpoint_identity": (fd.checkpoint(lambda v: v), (X3,), {}),
}


@pytest.mark.parametrize("name", list(_FRESH_CASES))
def test_jit_outputs_are_fresh_writeable_arrays(name):
    fun, args, kw = _FRESH_CASES[name]
    jitted = fd.jit(fun, **kw)
    got = _assert_fresh(jitted, *args)
    with np.errstate(all="ignore"):
        _assert_close(got, fun(*args))
    _assert_fresh(jitted, *args)  # and again from the cache (the dispatch fast path)


def test_jit_copies_only_the_outputs_that_may_alias():
    def loss(w, x):
        return fnp.sum(fnp.tanh(x @ w) ** 2)

    w, x = np.array([0.5, -1.0, 2.0]), np.ones((4, 3))
    fresh = [
        (fd.grad(loss), (w, x)),
        (lambda v: fnp.sin(v) * 2.0, (X3,)),
        (lambda v: (v * 2.0, v * 3.0), (X3,)),
        (lambda v: ((v * 2.0)[1:], (v * 2.0)[:1]), (X3,)),  # disjoint blocks of one array
        (fd.jacfwd(lambda a, b: a * b, argnums=(0, 1)), (X3, X3 + 1.0)),  # blocks, too
        (lambda v: fd.cond(v[0] > 0, lambda u: u * 2, lambda u: -u, v), (X3,)),
        (lambda v: fd.fori_loop(0, 3, lambda i, u: u * 2, v), (X3,)),
        (lambda c, xs: fd.scan(lambda c, x: (c * x, c + x), c, xs), (X3, np.ones((2, 3)))),
        (lambda v: fd.while_loop(lambda u: u[0] < 9.0, lambda u: u * 2, v + 1.0), (X3,)),
    ]
    for fun, args in fresh:
        src = fd.jit(fun).source(*args)
        assert ".copy()" not in src, src
        _assert_fresh(fd.jit(fun), *args)
    # exactly the aliasing outputs are copied, in the return statement
    src = fd.jit(lambda v: (v * 2.0, v, v * 2.0, fnp.sin(v))).source(X3)
    assert src.count(".copy()") == 2 and "copy" in src.splitlines()[-1], src
    src = fd.jit(lambda v: v).source(np.array(3))  # 0-d: NumPy scalars are immutable
    assert "type(v0) is _ndarray" in src, src


def test_static_argument_keys_tell_types_apart():
    x = np.arange(3)
    for kw, call in [
        ({"static_argnums": 1}, lambda f, k: f(x, k)),
        ({"static_argnames": "k"}, lambda f, k: f(x, k=k)),
    ]:
        jf = fd.jit(lambda v, k: v * k, **kw)
        values = (1, 1.0, True, np.float32(1.0), 1 + 0j)  # all equal, with equal hashes
        for k in values * 2:
            got, want = call(jf, k), x * k
            assert got.dtype == want.dtype, (k, got.dtype, want.dtype)
            np.testing.assert_array_equal(got, want)
        info = jf.cache_info()
        assert (info["misses"], info["hits"]) == (len(values), len(values)), info
    # inside tuples and frozensets too
    jf = fd.jit(lambda v, ks: v * sum(ks), static_argnums=1)
    for ks in [(1, 2), (1.0, 2), (1, 2.0), frozenset({1}), frozenset({1.0})]:
        got, want = jf(x, ks), x * sum(ks)
        assert got.dtype == want.dtype, (ks, got.dtype, want.dtype)
    assert jf.cache_info()["misses"] == 5
    jf(x, (1, 2))
    assert jf.cache_info()["hits"] == 1


def test_static_argnums_out_of_range_is_an_error():
    with pytest.raises(ValueError, match=r"static_argnums=\(5,\).*1 positional argument"):
        fd.jit(lambda v: v, static_argnums=5)
    with pytest.raises(ValueError, match=r"static_argnums=\(-3,\)"):
        fd.jit(lambda v, k: v * k, static_argnums=-3)
    with pytest.raises(ValueError, match="static_argnums"):
        fd.make_program(lambda v: v, static_argnums=1)
    with pytest.raises(TypeError, match="static_argnums must be ints"):
        fd.jit(lambda v: v, static_argnums="1")
    # with *args only the call can tell
    star = fd.jit(lambda *a: a[0] * a[1], static_argnums=1)
    np.testing.assert_array_equal(star(X3, 2), X3 * 2)
    with pytest.raises(ValueError, match=r"static_argnums=\(1,\).*called with only 1 positional"):
        star(X3)

    def scaled(x, n=2):
        return x * n

    # a static parameter left at its default, or passed by keyword, is fine
    by_position = fd.jit(scaled, static_argnums=1)
    np.testing.assert_array_equal(by_position(X3), X3 * 2)
    np.testing.assert_array_equal(by_position(X3, n=3), X3 * 3)
    np.testing.assert_array_equal(by_position(X3, 4), X3 * 4)


def test_static_argnames_that_name_no_parameter_is_an_error():
    with pytest.raises(ValueError, match=r"static_argnames=\('k',\).*'k'"):
        fd.jit(lambda v: v, static_argnames="k")

    def positional_only(x, n, /):
        return x * n

    with pytest.raises(ValueError, match="positional-only"):
        fd.jit(positional_only, static_argnames="n")
    np.testing.assert_array_equal(fd.jit(positional_only, static_argnums=1)(X3, 2), X3 * 2)

    def with_kwargs(x, **kw):
        return x * kw["k"]

    jf = fd.jit(with_kwargs, static_argnames="k")  # **kwargs may take any name
    np.testing.assert_array_equal(jf(X3, k=2), X3 * 2)
    np.testing.assert_array_equal(jf(X3, k=3), X3 * 3)
    assert jf.cache_info()["misses"] == 2


def test_huge_python_int_argument_is_a_clear_error():
    f = fd.jit(lambda v, k: v * k)
    for k in (2**63, 2**70, -(2**63) - 1):
        with pytest.raises(OverflowError, match=r"'k'.*static_argnums.*float"):
            f(X3, k)
    with pytest.raises(OverflowError, match="keyword argument 'k'"):
        f(X3, k=2**70)
    with pytest.raises(OverflowError, match=r"\['a'\]\[1\]"):
        fd.jit(lambda v, t: v * t["a"][1])(X3, {"a": (1, 2**64)})
    with pytest.raises(OverflowError, match="'k'"):
        fd.make_program(lambda v, k: v * k)(X3, 2**70)
    # after a call with a small int (the dispatch fast path) as before it
    np.testing.assert_array_equal(f(X3, 3), X3 * 3)
    with pytest.raises(OverflowError, match="'k'"):
        f(X3, 2**64)
    # the int64 range itself is fine, and so is a static or float huge int
    for k in (2**63 - 1, -(2**63)):
        np.testing.assert_array_equal(f(X3, k), X3 * k)
    np.testing.assert_array_equal(fd.jit(lambda v, k: v * k, static_argnums=1)(X3, 2**70),
                                  X3 * 2**70)
    np.testing.assert_array_equal(f(X3, float(2**70)), X3 * float(2**70))
