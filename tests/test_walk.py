"""Walk every public function, and every NumPy/SciPy function funcdiff dispatches, under grad/jvp.

Three walks, one probe input each:

1. every name in the `__all__` of `funcdiff.numpy` (with `linalg` and `fft`) and of
   `funcdiff.scipy`'s modules (`MODULES`), every `funcdiff.scipy.stats.<dist>.<method>`
   and stats function, called as funcdiff's function (and the private functions that
   public syntax calls, `BEYOND_ALL`: `x[idx]`);
2. every NumPy (SciPy) callable in the dispatch table
   (`funcdiff._src.numpy.dispatch.implementation` over the objects of `numpy`,
   `numpy.linalg`, `numpy.fft` and `scipy.special` whose names are in the
   funcdiff modules' `__all__`), called as the NumPy function itself on tracers,
   and the ufunc methods the dispatch handles (`reduce`, `accumulate`, `outer`);
3. the elementwise functions again on complex input, on both sides.

Inputs are the probe table of tools/gen_coverage.py (`PROBES`, whose templates
`fn(module)` give the call for the funcdiff module and for the NumPy/SciPy module
alike), plus its `EXTRA` for the public names the coverage checklist does not
list. With every float argument traced, a function with float outputs must
either give the derivative of finite differences, in reverse mode (`fd.grad` of
the sum of the real parts of all float outputs, paired with a random direction)
and in forward mode (`fd.jvp`, output by output), or raise a clear error (a
TypeError, ValueError, NotImplementedError or LinAlgError with a message; never
an AssertionError or a RecursionError). A zero or otherwise wrong derivative
fails. A function with integer or boolean outputs must run under `jvp`/`vjp`
and give its eager value. Names that are not functions of arrays are listed in
`NOT_APPLICABLE` (also in tools/gen_coverage.py) with the reason; a new public name that is
in none of the tables fails `test_walk_is_complete`. The calls that raise (clear) errors
are pinned in `CLEAR_ERROR_CASES`.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.numpy import dispatch as _dispatch
from funcdiff._src.numpy.dispatch import implementation
from funcdiff._src.numpy.indexing import _getitem
from funcdiff.testing import check_grads, numerical_jvp
from funcdiff.tree import tree_flatten, tree_leaves

pytest.importorskip("scipy.special")  # (its import puts SciPy's ufuncs in the dispatch table)

ROOT = Path(__file__).resolve().parents[1]


def _load_gen():
    path = ROOT / "tools" / "gen_coverage.py"
    spec = importlib.util.spec_from_file_location("gen_coverage_walk", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_gen()
P = GEN.P

# the walked funcdiff modules and the NumPy/SciPy modules dispatched to them
MODULES = GEN.MODULES
STATS = "funcdiff.scipy.stats"
DISPATCHED = (("numpy", "funcdiff.numpy"), ("numpy.linalg", "funcdiff.numpy.linalg"),
              ("numpy.fft", "funcdiff.numpy.fft"), ("scipy.special", "funcdiff.scipy.special"))

# ------------------------------------------------------------------ inputs beyond the probes
# (the probe table's EXTRA and NOT_APPLICABLE live with PROBES in tools/gen_coverage.py)
N, C = GEN.N, GEN.C
EXTRA, NOT_APPLICABLE = GEN.EXTRA, GEN.NOT_APPLICABLE

# functions that are in no `__all__` but that public syntax calls, walked as the public names
# (id -> probe): `x[idx]` on a traced value is `_getitem(x, idx)`
BEYOND_ALL = {
    "funcdiff._src.numpy.indexing._getitem": P(N(3, 4), fn=lambda m: lambda x: _getitem(
        x, (slice(None, None, -2), [0, 0, 3]))),
}


# NumPy/SciPy calls that convert their traced input before any dispatch hook can run (no
# `__array_function__`/`__array_ufunc__`): they raise DetachError naming the funcdiff function
# to call instead, which is the contract's clear error.
_CONVERTS = "converts its input before NumPy's dispatch (DetachError names the fix)"
CLEAR_ERROR_CASES = {
    "numpy.array": "numpy.array has no dispatch hook (`like=` only): " + _CONVERTS,
    "numpy.asarray": "numpy.asarray has no dispatch hook (`like=` only): " + _CONVERTS,
    "numpy.full": "numpy.full dispatches on `like=` only: " + _CONVERTS,
    **{f"scipy.special.{n}": f"a Python function, not a ufunc: {_CONVERTS}"
       for n in ("polygamma", "multigammaln", "logsumexp", "softmax", "log_softmax", "comb",
                 "factorial", "sph_harm_y")},
}


# ------------------------------------------------------------------ the walk
def _inexact(x):
    return np.result_type(x).kind in "fc"


_public = GEN.public_names


def _probe(key):
    return GEN.PROBES.get(key) or EXTRA.get(key)


def _resolve(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _template(key, p):
    return p.fn or (lambda m: _resolve(m, key[1]))


def _dispatched():
    """(NumPy module name, funcdiff key) of every NumPy/SciPy callable of the dispatch table."""
    out = []
    for np_name, fd_name in DISPATCHED:
        np_mod = importlib.import_module(np_name)
        for name in importlib.import_module(fd_name).__all__:
            obj = getattr(np_mod, name, None)
            if obj is not None and callable(obj) and implementation(obj) is not None:
                out.append((np_name, (fd_name, name)))
    return out


def _ufunc_methods():
    """(id, template, probe) of the ufunc methods funcdiff dispatches: `reduce`/`accumulate`
    (`_dispatch._METHODS`), and `outer` of every binary (non-generalized) ufunc of the table
    whose probe calls it directly on its arguments."""
    out = []
    for ufunc, method in _dispatch._METHODS:
        arg = N(3, 4)
        if ufunc in (np.logical_and, np.logical_or):  # boolean in, boolean out
            out.append((f"numpy.{ufunc.__name__}.{method}", lambda m, u=ufunc, me=method: (
                lambda x: getattr(u, me)(x > 0, axis=1)), P(arg)))
            continue
        for kw in ({}, {"axis": 1}):
            out.append((f"numpy.{ufunc.__name__}.{method}({', '.join(kw)})",
                        lambda m, u=ufunc, me=method, kw=kw: lambda x: getattr(u, me)(x, **kw),
                        P(arg)))
    for np_name, key in _dispatched():
        ufunc = getattr(importlib.import_module(np_name), key[1])
        p = _probe(key)
        # (NumPy's gufuncs, matmul and vecdot, have no outer)
        if (isinstance(ufunc, np.ufunc) and ufunc.nin == 2 and ufunc.signature is None
                and p is not None and p.fn is None):
            out.append((f"{np_name}.{key[1]}.outer", lambda m, u=ufunc: u.outer, p))
    return out


_NUMPY_WRITERS = {"put", "place", "fill_diagonal"}  # NumPy's, writing into their argument


def _cases():
    cases = []
    for module in (*MODULES, STATS):
        mod = importlib.import_module(module)
        for key in _public(module):
            p = _probe(key)
            if p is not None and key not in NOT_APPLICABLE:
                cases.append(pytest.param(_template(key, p)(mod), p, id=f"{key[0]}.{key[1]}"))
    for name, p in BEYOND_ALL.items():
        cases.append(pytest.param(p.fn(fnp), p, id=name))
    for np_name, key in _dispatched():
        p = _probe(key)
        if np_name == "numpy" and key[1] in _NUMPY_WRITERS:
            continue  # (they return None: test_numpy_in_place_functions_write_traced_arrays)
        if p is not None and key not in NOT_APPLICABLE:
            template = _template(key, p)
            cases.append(pytest.param(template(importlib.import_module(np_name)), p,
                                      id=f"{np_name}.{key[1]}"))
    for name, template, p in _ufunc_methods():
        cases.append(pytest.param(template(np), p, id=name))
    for name, p in _complex_probes():
        for side in (fnp, np):
            cases.append(pytest.param(getattr(side, name), p,
                                      id=f"{side.__name__}.{name}(complex)"))
    return cases


def _complex_probes():
    """(name, probe) of the elementwise functions of the probe table again, on complex input
    (both sides), where NumPy accepts complex numbers: the branches of complex derivatives."""
    z = 0.4 * C(3) + 0.3
    out = []
    for names, args in ((GEN._pos + GEN._real + ["arccosh", "acosh"], (z,)),
                        (GEN._binary + ["power", "pow", "float_power"], (z, z[::-1] + 0.1))):
        for name in names:
            try:
                with np.errstate(all="ignore"):
                    getattr(np, name)(*args)
            except TypeError:  # not defined for complex numbers
                continue
            out.append((name, P(*args)))
    return out


CASES = _cases()
CLEAR_ERRORS = (TypeError, ValueError, NotImplementedError, np.linalg.LinAlgError)


def _assert_clear(exc, what):
    """`exc` is a typed error with a message, not a crash (AssertionError, RecursionError)."""
    if not isinstance(exc, CLEAR_ERRORS) or not str(exc).strip():
        raise AssertionError(
            f"{what} raised {type(exc).__name__}({exc!r}), not a clear typed error") from exc


def _like(x, rng):
    t = rng.standard_normal(np.shape(x))
    if np.result_type(x).kind == "c":
        t = t + 1j * rng.standard_normal(np.shape(x))
    return np.asarray(t, np.result_type(x))


def _same(got, want, rtol):
    g_leaves, w_leaves = tree_leaves(got), tree_leaves(want)
    if len(g_leaves) != len(w_leaves):
        return False
    for g, w in zip(g_leaves, w_leaves):
        g, w = np.asarray(g), np.asarray(w)
        if g.shape != w.shape or g.dtype != w.dtype:
            return False
        if w.dtype.kind in "fc":
            if not np.allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True):
                return False
        elif not np.array_equal(g, w):
            return False
    return True


def walk(fn, p, name="f"):
    """Check `fn` on the probe `p`; returns {"rev"|"fwd": "ok" | "value" | "Error: msg"}."""
    args = p.args
    idx = [i for i, a in enumerate(args) if _inexact(a)]
    assert idx, f"{name}: the probe has no float argument to trace"
    tol = p.tol or 1e-5

    def h(*xs):
        full = list(args)
        for i, x in zip(idx, xs):
            full[i] = x
        return fn(*full)

    xs = tuple(args[i] for i in idx)
    eager = h(*xs)
    outcome = {}
    if any(np.finfo(np.result_type(a)).bits < 64 for a in (*xs, *tree_leaves(eager))
           if _inexact(a)):
        tol = max(tol, 1e-2)  # single precision somewhere (as funcdiff.testing's defaults)
    if not any(_inexact(o) for o in tree_leaves(eager)):  # integer/boolean outputs
        for mode in ("fwd", "rev"):
            try:
                if mode == "fwd":
                    out = fd.jvp(h, xs, tuple(np.zeros_like(x) for x in xs))[0]
                else:
                    out = fd.vjp(h, *xs)[0]
            except Exception as e:  # noqa: BLE001
                _assert_clear(e, f"{name} under {mode}")
                outcome[mode] = f"{type(e).__name__}: {e}"
                continue
            assert _same(out, eager, 1e-6), (
                f"{name}: under {mode} the value is {out!r}, eagerly {eager!r}")
            outcome[mode] = "value"
        return outcome

    rng = np.random.default_rng(zlib.crc32(name.encode()))
    ts = tuple(_like(x, rng) for x in xs)
    num, _ = tree_flatten(numerical_jvp(h, xs, ts, eps=p.eps))
    want = sum(float(np.real(np.sum(n))) for n, o in zip(num, tree_leaves(eager))
               if _inexact(o))
    assert np.isfinite(want), f"{name}: the finite difference is {want} (change the probe)"

    # reverse mode: grad of the sum of the real parts of the float outputs, paired with ts
    def total(*xs):
        return sum(fnp.sum(fnp.real(o)) for o in tree_leaves(h(*xs)) if _inexact(o))

    try:
        g = fd.grad(total, argnums=tuple(range(len(xs))))(*xs)
    except Exception as e:  # noqa: BLE001
        _assert_clear(e, f"{name} under grad")
        outcome["rev"] = f"{type(e).__name__}: {e}"
    else:
        got = sum(float(np.real(np.sum(np.asarray(gi) * ti))) for gi, ti in zip(g, ts))
        scale = 1.0 + abs(want) + sum(float(np.sum(np.abs(gi) * np.abs(ti)))
                                      for gi, ti in zip(g, ts))
        zero = all(not np.any(np.asarray(gi)) for gi in g)
        assert abs(got - want) <= tol * scale, (
            f"{name}: grad paired with a random direction is {got!r}, finite differences "
            f"give {want!r}" + (" (a ZERO gradient)" if zero else "") + f"; grad = {g!r}")
        outcome["rev"] = "ok"

    # forward mode, output by output
    try:
        out, t_out = fd.jvp(h, xs, ts)
    except Exception as e:  # noqa: BLE001
        _assert_clear(e, f"{name} under jvp")
        outcome["fwd"] = f"{type(e).__name__}: {e}"
        return outcome
    assert _same(out, eager, p.tol or 1e-6), (
        f"{name}: jvp's primal output {out!r} differs from the eager value {eager!r}")
    t_leaves = tree_leaves(t_out)
    assert len(t_leaves) == len(num), f"{name}: jvp's tangents have the wrong structure"
    for k, (t, n, o) in enumerate(zip(t_leaves, num, tree_leaves(eager))):
        if not _inexact(o):
            continue
        t = np.asarray(t)
        assert t.shape == np.shape(o), f"{name}: tangent {k} has shape {t.shape}"
        assert np.allclose(t, n, rtol=tol, atol=tol, equal_nan=True), (
            f"{name}: jvp output {k} is {t!r}, finite differences give {n!r}"
            + (" (a ZERO tangent)" if not np.any(t) else ""))
    outcome["fwd"] = "ok"
    return outcome


@pytest.mark.parametrize(("fn", "p"), CASES)
def test_walk(fn, p, request):
    name = request.node.callspec.id
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        outcome = walk(fn, p, name)
    # a clear error passes the contract; these are pinned, so that a function that stops
    # working (or starts to) is noticed
    errors = {mode: why for mode, why in outcome.items() if why not in ("ok", "value")}
    if name in CLEAR_ERROR_CASES:
        assert set(errors) == {"fwd", "rev"}, (
            f"{name} works now ({outcome}): remove it from CLEAR_ERROR_CASES")
        assert all(why.startswith("DetachError") for why in errors.values()), errors
    else:
        assert not errors, (
            f"{name} raised {errors}; if that is a deliberate limitation, list it in "
            "CLEAR_ERROR_CASES with the reason")


def test_walk_is_complete():
    """Every public name is probed, in EXTRA, or documented as not applicable."""
    missing = [key for module in (*MODULES, STATS) for key in _public(module)
               if _probe(key) is None and key not in NOT_APPLICABLE]
    assert not missing, (
        f"new public names {missing}: add probe inputs to EXTRA in tools/gen_coverage.py, "
        "or, for a name that is not a function of arrays, to its NOT_APPLICABLE with the "
        "reason")
    stale = [key for key in list(EXTRA) + list(NOT_APPLICABLE)
             if key not in {k for m in (*MODULES, STATS) for k in _public(m)}]
    assert not stale, f"EXTRA/NOT_APPLICABLE name {stale}, which are not public names"
    both = [key for key in EXTRA if key in GEN.PROBES or key in NOT_APPLICABLE]
    assert not both, f"{both} are probed twice (EXTRA and PROBES/NOT_APPLICABLE)"
    ids = {c.id for c in CASES}
    assert set(CLEAR_ERROR_CASES) <= ids, set(CLEAR_ERROR_CASES) - ids
    table = [key for _, key in _dispatched() if _probe(key) is None and key not in NOT_APPLICABLE]
    assert not table, f"dispatched NumPy functions {table} have no probe input"


def test_stop_gradient_detaches():
    x = N(3)
    t = N(3)
    assert not np.any(fd.grad(lambda x: fnp.sum(fnp.stop_gradient(x) * 2.0))(x))
    out, tangent = fd.jvp(fnp.stop_gradient, (x,), (t,))
    np.testing.assert_array_equal(out, x)
    assert not np.any(tangent)
    # while the product rule through it keeps the other factor's derivative
    np.testing.assert_allclose(fd.grad(lambda x: fnp.sum(x * fnp.stop_gradient(x)))(x), x)


@pytest.mark.parametrize("empty_like", [fnp.empty_like, np.empty_like], ids=["fnp", "np"])
def test_empty_like_has_no_derivative(empty_like):
    x, t = N(2, 3), N(2, 3)
    out, tangent = fd.jvp(lambda x: empty_like(x), (x,), (t,))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert np.shape(tangent) == x.shape and not np.any(tangent)
    _, pullback = fd.vjp(lambda x: empty_like(x), x)
    assert not np.any(pullback(np.ones_like(x))[0])


_IDX = np.array([[1], [0]])


def _np_put_along_axis(x, v):
    y = x * 1.0  # a fresh array (a tracer inside the transforms)
    np.put_along_axis(y, _IDX, v, axis=1)  # NumPy writes in place and returns None
    return np.sum(y * y)


def _np_putmask(x, v):
    y = x * 1.0
    np.putmask(y, y > 0, v)
    return np.sum(y * y)


def _np_copyto(x, v):
    y = x * 1.0
    np.copyto(y, v)
    return np.sum(y * y)


def _np_place(x, v):
    y = x * 1.0
    np.place(y, y > 0, v)
    return np.sum(y * y)


def _np_put(x, v):
    y = x * 1.0
    np.put(y, [0, 2], v)
    return np.sum(y * y)


def _np_fill_diagonal(x, v):
    y = x * 1.0
    np.fill_diagonal(y, v)
    return np.sum(y * y)


@pytest.mark.parametrize("f", [_np_put_along_axis, _np_putmask, _np_copyto, _np_place, _np_put,
                               _np_fill_diagonal], ids=lambda f: f.__name__[1:])
def test_numpy_in_place_functions_write_traced_arrays(f):
    """NumPy's in-place writers on an array computed inside the function write into it
    (funcdiff._src.numpy.inplace): NumPy's values, and derivatives that match central
    differences in both modes (never funcdiff's functional version, whose result NumPy's
    caller would ignore); into an argument they raise."""
    x, v = N(2, 3), N(2, 1)
    want = f(x.copy(), v)  # NumPy itself
    if f is _np_place:  # (its positions are the mask's True entries: a concrete mask only)
        with pytest.raises(fd.ConcretizationError, match="mask"):
            fd.jit(f)(x, v)
    else:
        assert np.isclose(fd.jit(f)(x, v), want)
    check_grads(f, (x, v), order=1, modes=("fwd", "rev"))
    with pytest.raises(ValueError, match="argument of the transformed function"):
        fd.grad(lambda y, v: _write_argument(f, y, v))(x, v)


def _write_argument(f, y, v):
    """`f`'s NumPy writer applied to the argument `y` itself (not a copy)."""
    name = f.__name__[4:]
    args = {"put_along_axis": (_IDX, v, 1), "putmask": (y > 0, v), "copyto": (v,),
            "place": (y > 0, v), "put": ([0, 2], v), "fill_diagonal": (v,)}[name]
    getattr(np, name)(y, *args)
    return np.sum(y * y)


def _chain(t):
    """`t` and the traced arrays it is (transitively) a view of."""
    out = [t]
    for _ in range(32):
        m = getattr(t, "_mut", None)
        base = getattr(m, "base", None) if m is not None and not isinstance(m, str) else None
        if base is None:
            break
        t = base[0]
        out.append(t)
    return out


@pytest.mark.parametrize(("fn", "p"), CASES)
def test_results_are_new_arrays_where_numpy_makes_new_arrays(fn, p, request):
    """Every function on a traced array computed inside the function (one that may be
    written in place): where NumPy's result shares no memory with the arguments, funcdiff's
    is not an argument's box, nor a view of one (else a later write into either would show
    in the other, docs/in-place.md)."""
    args = [np.array(a) if _inexact(a) else a for a in p.args]
    idx = [i for i, a in enumerate(args) if _inexact(a)]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        np_args = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
        try:
            np_out = fn(*np_args)
        except Exception:  # noqa: BLE001  (what NumPy refuses: test_walk's business)
            return
        shares = any(np.shares_memory(o, a) for o in tree_leaves(np_out)
                     if isinstance(o, np.ndarray) for a in np_args if isinstance(a, np.ndarray))
        linked = []

        def h(*xs):
            full = list(args)
            ys = [x * 1.0 for x in xs]  # computed: writable in place
            for i, y in zip(idx, ys):
                full[i] = y
            out = fn(*full)
            linked.extend(leaf for leaf in tree_leaves(out)
                          if any(c is y for c in _chain(leaf) for y in ys))
            return out

        try:
            fd.jvp(h, tuple(args[i] for i in idx), tuple(np.zeros_like(args[i]) for i in idx))
        except Exception:  # noqa: BLE001  (clear errors: test_walk checks them)
            return
    assert shares or not linked, (
        f"{request.node.callspec.id}: NumPy returns a new array, funcdiff the argument's "
        "box or a view of it (a write into one would show in the other): decorate it with "
        "`returns_new`")
