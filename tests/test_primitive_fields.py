"""One source of truth per primitive (issue #14).

Every `Primitive` funcdiff defines carries each of its rules as a field beside it
(`impl`, `abstract_eval`, `jvp`, `vjp`, `batch`), and staging (`make_program`, `jit`)
learns shapes and dtypes from `abstract_eval` alone: it never runs an
implementation, so tracing costs the same for any array size.
"""

from __future__ import annotations

import gc
import importlib
import itertools
import pkgutil
import sys
import tracemalloc
import warnings

import numpy as np
import pytest

import funcdiff
import funcdiff as fd
import funcdiff.numpy as fnp
import funcdiff.scipy.special as fsp
from funcdiff._src.api.collectives import CollectivePrimitive
from funcdiff._src.core import Primitive, ShapedArray, get_aval
from funcdiff.errors import UnsupportedPrimitiveError


def _all_primitives():
    """Every Primitive instance of funcdiff: all its modules imported, then a walk
    over the live objects (finds those held in dicts or closures too)."""
    for m in pkgutil.walk_packages(funcdiff.__path__, "funcdiff."):
        importlib.import_module(m.name)
    found = {id(o): o for o in gc.get_objects() if isinstance(o, Primitive)}
    return sorted(found.values(), key=lambda p: p.name)


PRIMITIVES = _all_primitives()

# Primitives that reverse mode puts on its tape itself and that are never bound, so no
# transform ever asks them for a JVP: the sum of a custom rule's two paths to one value.
TAPE_ONLY = {"closure_merge"}


def test_the_walk_finds_every_family():
    names = {p.name for p in PRIMITIVES}
    assert len(names) == len(PRIMITIVES), "two primitives share a name"
    for name in ("sin", "add", "reduce_sum", "reshape", "gather", "einsum", "solve", "fft",
                 "scan", "while", "cond", "custom_jvp_call", "checkpoint", "psum",
                 "argpartition", "erf", "lu", "convolve_full", "odeint", "closure_merge"):
        assert name in names, name


def _missing_fields(p):
    """The fields `p` lacks, as each transform reads them (see core.Primitive)."""
    missing = []
    if not callable(p.impl):
        missing.append("impl")  # evaluation (and the concrete staging of custom rules)
    if p.abstract_eval is None:
        missing.append("abstract_eval")  # staging: make_program, jit, loop/branch bodies
    # forward mode asks every primitive with a nonzero tangent in for its rule, nondiff
    # ones included (`prim.rule("jvp")`)
    if p.jvp is None and p.name not in TAPE_ONLY:
        missing.append("jvp")
    # reverse mode records nothing for a `nondiff` primitive and calls `vjp` for all the
    # others; `linear` is only read by linear_transpose's linearity check, never instead
    # of `vjp`
    if p.vjp is None and not p.nondiff:
        missing.append("vjp (or nondiff=True)")
    # vmap hands collectives to their `reduce` (they reduce over the mapped axis itself);
    # every other primitive needs a batching rule (the loop fallback only warns)
    if isinstance(p, CollectivePrimitive):
        if not callable(getattr(p, "reduce", None)):
            missing.append("reduce (a collective's batching)")
    elif p.batch is None:
        missing.append("batch")
    if p.residuals not in (None, "out", "inputs", "shapes"):
        missing.append(f"a valid residuals policy (got {p.residuals!r})")
    return missing


@pytest.mark.parametrize("prim", PRIMITIVES, ids=[p.name for p in PRIMITIVES])
def test_every_primitive_has_every_rule(prim):
    missing = _missing_fields(prim)
    assert not missing, f"primitive `{prim.name}` has no {', no '.join(missing)}"


# -- staging never runs an implementation ------------------------------------------------


def _matrix(y):
    m = fnp.reshape(y[:16], (4, 4)).T
    # (NumPy's eye: `fnp.eye` inside a transform is a buffer, and primitives on buffers only
    # are computed at once, as on NumPy arrays, which this test would count)
    return m + 4.0 * np.eye(4)


# functions of a vector, one per family of primitives, each returning a scalar
FAMILIES = {
    "elementwise": lambda y: fnp.sum(fnp.sin(y) * 2.0 + fnp.where(y > 0, y, -y) + fsp.erf(y)),
    "reductions": lambda y: (fnp.sum(y) + fnp.max(y) + fnp.prod(y[:4]) + fnp.mean(y > 0)
                             + fnp.cumsum(y)[-1] + fnp.argmax(y)),
    "sorting": lambda y: fnp.sort(y)[0] + fnp.partition(y, 2)[2],
    "shape": lambda y: fnp.sum(fnp.concatenate([y, y[::-1]])[y.shape[0] // 2:]),
    "indexing": lambda y: fnp.sum(fnp.at(y)[3].set(1.0)[1::2]) + fnp.take(y, fnp.argsort(y))[0],
    "contraction": lambda y: fnp.sum(fnp.einsum("ij,jk->ik", _matrix(y), _matrix(y)) @ y[:4]),
    "linalg": lambda y: fnp.sum(fnp.linalg.solve(_matrix(y), y[:4])) + fnp.linalg.det(_matrix(y)),
    "fft": lambda y: (fnp.sum(fnp.abs(fnp.fft.rfft(y)))
                      + fnp.sum(fnp.fft.irfft(fnp.fft.rfft(y), y.shape[0]))),
    "control flow": lambda y: (
        fd.fori_loop(0, 3, lambda i, v: v * 0.5 + fnp.sum(y), 0.0)
        + fd.cond(y[0] > 0, lambda v: v + 1.0, lambda v: v - 1.0, y[1])
        + fd.scan(lambda h, v: (h * 0.9 + v, h * v), 0.0, y)[0]
        + fd.while_loop(lambda v: v < 10.0, lambda v: v * 2.0 + 1.0, y[2])
    ),
    "checkpoint": lambda y: fd.checkpoint(lambda v: fnp.sum(fnp.tanh(v)))(y),
}


def _families(x):
    return sum(f(x) for f in FAMILIES.values())


@pytest.fixture
def impl_calls(monkeypatch):
    """Record every primitive implementation call (by name) while the test runs."""
    calls = []
    for p in PRIMITIVES:
        def recording(*args, _impl=p.impl, _name=p.name, **params):
            calls.append(_name)
            return _impl(*args, **params)

        monkeypatch.setattr(p, "impl", recording)
    return calls


def test_staging_never_runs_an_implementation(impl_calls):
    x = np.linspace(-1.0, 1.0, 4096)
    program = fd.make_program(_families)(x)
    assert impl_calls == [], f"staging ran the implementations of {sorted(set(impl_calls))}"
    staged = {e.prim.name for e in program.eqns}
    for name in ("sin", "erf", "reduce_sum", "gather", "einsum", "solve", "fft", "scan",
                 "while", "cond", "checkpoint", "argsort", "partition_index"):
        assert name in staged, name
    # the program computes the function (evaluation, of course, runs implementations)
    np.testing.assert_allclose(program(x)[0], _families(x), rtol=1e-12)
    assert impl_calls


def _tracing_cost(f, n):
    """(Python function calls, peak traced memory in bytes) of staging `f` on n floats."""
    x = np.linspace(-1.0, 1.0, n)
    calls = [0]

    def count(frame, event, arg):
        if event == "call":
            calls[0] += 1

    gc.disable()  # (a collection could run finalizers: Python calls of its own)
    tracemalloc.start()
    sys.setprofile(count)
    try:
        fd.make_program(f)(x)
    finally:
        sys.setprofile(None)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        gc.enable()
    return calls[0], peak


def _grows(f):
    """What of staging `f` grows from 4K to 4M elements (one float64 temporary of the big
    size would be 32 MB), or None."""
    _tracing_cost(f, 1000)  # warm up (imports, caches)
    calls_small, peak_small = _tracing_cost(f, 4_000)
    calls_big, peak_big = _tracing_cost(f, 4_000_000)
    if calls_big != calls_small or peak_big > peak_small + 1_000_000:
        return (f"{calls_small} -> {calls_big} Python calls, peak memory "
                f"{peak_small} -> {peak_big} bytes")
    return None


def test_tracing_cost_does_not_depend_on_the_array_size():
    grown = {name: _grows(f) for name, f in {**FAMILIES, "all": _families}.items()}
    grown = {name: g for name, g in grown.items() if g is not None}
    assert not grown, "staging does work proportional to the data, in " + "; ".join(
        f"{name}: {g}" for name, g in grown.items()
    )


def test_a_primitive_without_a_shape_rule_is_a_clear_error():
    ran = []
    p = Primitive("no_shape_rule", lambda x: ran.append(x) or x)
    with pytest.raises(UnsupportedPrimitiveError, match="`no_shape_rule`.*abstract_eval"):
        fd.make_program(lambda x: p.bind(x))(np.ones(3))
    with pytest.raises(UnsupportedPrimitiveError, match="`no_shape_rule`"):
        fd.jit(lambda x: p.bind(x))(np.ones(3))
    assert ran == []


# -- the reductions' shape/dtype rules are NumPy's ---------------------------------------

_DTYPES = [np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint64, np.float16,
           np.float32, np.float64, np.complex64]
_SHAPES = [(), (0,), (3,), (2, 3), (2, 0, 4)]


def _check_rule(prim, args, **params):
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = prim.impl(*args, **params)
    except (ValueError, TypeError, IndexError, np.exceptions.AxisError):
        return 0  # not a valid call
    want = [get_aval(o) for o in out] if prim.multiple_results else get_aval(out)
    got = prim.abstract_eval(*[get_aval(a) for a in args], **params)
    assert got == want, f"{prim.name}{[get_aval(a) for a in args]} {params}: {got} != {want}"
    assert all(isinstance(a, ShapedArray) for a in (got if prim.multiple_results else [got]))
    return 1


def _reduction_cases(dtype):
    """(primitive, args, params) for every reduction-family primitive over a table of
    shapes and parameters (some invalid: `_check_rule` skips those)."""
    from funcdiff._src.lax import reductions as rp
    from funcdiff._src.lax.shape import reduce_sum_p
    from funcdiff._src.numpy import extras as ex

    for shape in _SHAPES:
        x = (np.arange(int(np.prod(shape))) % 3).astype(dtype).reshape(shape)
        nd = len(shape)
        for r in range(nd + 1):
            for axes in itertools.combinations(range(nd), r):
                for p in (reduce_sum_p, rp.reduce_prod_p, rp.reduce_max_p, rp.reduce_min_p,
                          rp.reduce_and_p, rp.reduce_or_p):
                    yield p, [x], {"axes": axes}
        for axis in [*range(nd), None]:
            for reverse in (False, True):
                for p in (rp.shift_p, rp.cumsum_p, rp.cumprod_p):
                    yield p, [x], {"axis": axis, "reverse": reverse}
                for a in (np.ones(shape, np.float32), np.ones(shape, np.int16), 2.0, 3):
                    yield rp.linear_recurrence_p, [a, x], {"axis": axis, "reverse": reverse}
            for keepdims in (False, True):
                yield rp.argmax_p, [x], {"axis": axis, "keepdims": keepdims}
                yield rp.argmin_p, [x], {"axis": axis, "keepdims": keepdims}
            yield rp.argsort_p, [x], {"axis": axis, "kind": None, "stable": None}
            if axis is None:
                continue
            for kth in [(0,), (0, shape[axis] - 1)] if shape[axis] else []:
                for p in (ex.partition_index_p, ex.argpartition_p):
                    yield p, [x], {"kth": kth, "axis": axis, "kind": "introselect"}
            for j in (0, 2):
                full, thin = list(shape), [1] * nd  # (thin broadcasts against x)
                full[axis] = thin[axis] = j
                for idx in (np.zeros(full, np.intp), np.zeros(thin, np.intp)):
                    yield rp.gather_along_axis_p, [x, idx], {"axis": axis}
                idx = np.zeros(shape, np.intp)
                yield rp.scatter_add_along_axis_p, [x, idx], {"axis": axis, "size": j}
    for scalar in (True, 3, 2.5):  # Python scalars: weak inputs, never weak results
        for p in (reduce_sum_p, rp.reduce_prod_p, rp.reduce_max_p, rp.reduce_and_p):
            yield p, [scalar], {"axes": ()}


@pytest.mark.parametrize("dtype", _DTYPES, ids=lambda d: np.dtype(d).name)
def test_reduction_rules_match_numpy(dtype):
    checked = sum(_check_rule(p, args, **params) for p, args, params in _reduction_cases(dtype))
    assert checked > 250  # (most cases are valid calls)


COLLECTIVES = {"psum": fd.psum, "pmax": fd.pmax, "pmin": fd.pmin}


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.int64, np.float32, np.complex128])
@pytest.mark.parametrize("name", COLLECTIVES)
def test_collective_rules_match_their_batched_reduction(name, dtype):
    def f(x):
        return COLLECTIVES[name](x, "i")

    xs = (np.arange(6) % 3).reshape(3, 2).astype(dtype)
    eager = fd.vmap(f, axis_name="i")(xs)
    staged = fd.vmap(fd.jit(f), axis_name="i")(xs)  # staged per example: the rule
    assert (staged.shape, staged.dtype) == (eager.shape, eager.dtype)
    np.testing.assert_array_equal(staged, eager)


def test_the_elementwise_fast_path_agrees_with_bind():
    # `_fn` (the public unary/binary elementwise functions) inlines `Primitive.bind`'s
    # logic to save a call frame per operation: it must give bind's results everywhere
    import funcdiff as fd
    from funcdiff._src.lax import elementwise as ew

    fns = [f for f in vars(ew).values() if callable(f) and hasattr(f, "primitive")
           and getattr(f, "__module__", "") == ew.__name__ and f.primitive.impl is not None]
    assert len(fns) > 50
    x = np.array([0.3, 0.7, 0.2])
    y = np.array([0.9, 0.4, 0.6])
    for f in fns:
        prim = f.primitive
        n = 1 if prim.name in _UNARY else 2
        args = (x, y)[:n]
        if prim.name in ("arccosh",):
            args = (x + 1.5,)
        with np.errstate(all="ignore"):
            for transform in (lambda g: g, fd.jit, fd.vmap,
                              lambda g: lambda *a: fd.jvp(g, a, tuple(np.ones(3) for _ in a))):
                try:
                    want = transform(lambda *a: prim.bind(*a))(*args)  # noqa: B023
                except Exception as e:  # noqa: BLE001
                    with pytest.raises(type(e)):
                        transform(f)(*args)
                    continue
                np.testing.assert_array_equal(np.asarray(transform(f)(*args), dtype=object),
                                              np.asarray(want, dtype=object), err_msg=prim.name)


_UNARY = {
    "negative", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt",
    "square", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "arcsinh", "arccosh", "arctanh", "abs", "sign", "sinc", "floor", "ceil", "trunc",
    "rint", "logical_not", "isfinite", "isnan", "isinf", "invert", "real", "imag", "conjugate",
}
