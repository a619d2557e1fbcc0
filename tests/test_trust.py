"""No silent wrong derivative: every path gives the right derivative or a clear, typed error.

Each section is one way a derivative used to be lost without a word (a zero
gradient, a broadcast cotangent, an aliased array): the right number is checked
against central differences or a closed form, and the error against its type and
the words a user needs (what went wrong, where, the fix).
"""

from __future__ import annotations

import math
import re
import threading
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.special
import scipy.stats
from helpers import close, fd_grad

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.tree import tree_map

X = np.array([0.5, -1.25, 2.0])


TOL = 1e-8  # this file's tolerance, passed to every `close`


# ------------------------------------------------------------------ no silent detaching

DETACHING = {
    "np.array(x)": lambda x: fnp.sum(np.array(x) ** 2),
    "np.array([x0, x1])": lambda x: fnp.sum(np.array([x[0], x[1]]) ** 2),
    "np.asarray(x) * x": lambda x: fnp.sum(np.asarray(x) * x),
    "np.r_": lambda x: fnp.sum(np.r_[x, x]),
    "math.sin": lambda x: math.sin(x[0]),
    "np.sum of a list": lambda x: np.sum([x[0], x[1] * 2]),
    "return float": lambda x: float(fnp.sum(x)),
    ".item()": lambda x: fnp.sum(x).item(),
    ".tolist()": lambda x: sum(x.tolist()),
    "complex()": lambda x: complex(x[0]).real,
    "normalize by float(max)": lambda x: fnp.sum(x / float(fnp.max(x))),
    "scipy logsumexp": lambda x: scipy.special.logsumexp(x),
    "scipy norm.logpdf": lambda x: fnp.sum(scipy.stats.norm.logpdf(x)),
    "scipy linalg.eigvalsh": lambda x: fnp.sum(scipy.linalg.eigvalsh(fnp.outer(x, x) + fnp.eye(3))),
    "write into a NumPy buffer": lambda x: fnp.sum(_fill_buffer(x)),
}


def _fill_buffer(x):
    y = np.zeros(3)
    y[:] = x
    return y
DIFF_TRANSFORMS = {
    "grad": lambda f: fd.grad(f)(X),
    "value_and_grad": lambda f: fd.value_and_grad(f)(X),
    "vjp": lambda f: fd.vjp(f, X)[1](1.0),
    "jvp": lambda f: fd.jvp(f, (X,), (np.ones(3),)),
    "jacrev": lambda f: fd.jacrev(f)(X),
    "hessian": lambda f: fd.hessian(f)(X),
}


@pytest.mark.parametrize("transform", sorted(DIFF_TRANSFORMS))
@pytest.mark.parametrize("case", sorted(DETACHING))
def test_conversions_that_drop_a_derivative_raise(case, transform):
    with pytest.raises(fd.DetachError) as info:
        DIFF_TRANSFORMS[transform](DETACHING[case])
    msg = str(info.value)
    assert isinstance(info.value, TypeError)
    assert "test_trust.py" in msg  # the user's line
    assert "stop_gradient" in msg  # how to detach on purpose


@pytest.mark.parametrize("case, fix", [
    ("scipy logsumexp", "funcdiff.scipy.special.logsumexp"),
    ("scipy norm.logpdf", "funcdiff.scipy.stats.norm.logpdf"),
    ("np.sum of a list", "funcdiff.numpy.sum"),
    ("np.array([x0, x1])", "fnp.stack"),
    ("math.sin", "fnp.sin"),
    ("write into a NumPy buffer", "y = fnp.at(y)[i].set(x)"),
])
def test_detach_error_names_the_fix(case, fix):
    with pytest.raises(fd.DetachError, match=re.escape(fix)):
        fd.grad(DETACHING[case])(X)


def test_detach_error_names_the_function_funcdiff_lacks():
    with pytest.raises(fd.DetachError, match=r"no `scipy\.linalg\.eigvalsh` yet"):
        fd.grad(DETACHING["scipy linalg.eigvalsh"])(X)


def test_reading_values_still_works():
    seen = []

    def f(x):
        seen.append(f"{x[0]:.2f}")
        seen.append(str(x[1]))
        seen.append(repr(x[2]))
        seen.append(int(x[2]))  # ints carry no derivative
        seen.append(x.shape)
        seen.append(x.dtype)
        seen.append(bool(x[0] > 0))
        seen.append(np.asarray(x > 0))  # a boolean array: no derivative either
        seen.append(float(fd.stop_gradient(x[0])))  # detached on purpose
        seen.append(np.asarray(fd.stop_gradient(x)))
        y = x[int(x[2])]  # an index from a value
        return y * x[0] if x[0] > 0 else y

    close(fd.grad(f)(X), [2.0, 0.0, 0.5], TOL)
    assert seen[0] == "0.50" and seen[3] == 2 and seen[4] == (3,) and seen[6] is True
    assert seen[8] == 0.5 and np.array_equal(seen[9], X)


def test_dead_tracers_convert_freely():
    leaked = []

    def f(x):
        leaked.append(x * 2)
        leaked.append(x[0] * 2)
        return fnp.sum(x)

    fd.grad(f)(X)
    close(np.asarray(leaked[0]), 2 * X, TOL)
    assert float(leaked[1]) == 1.0 and f"{leaked[1]:.1f}" == "1.0"
    with pytest.raises(fd.TracerLeakError):
        leaked[0] + 1.0  # computing with it is still an error


def test_config_detach_modes():
    f = DETACHING["np.asarray(x) * x"]
    assert fd.config.detach == "raise"
    with pytest.raises(ValueError, match="detach"):
        fd.config.update("detach", "sometimes")
    try:
        fd.config.update("detach", "warn")
        with pytest.warns(fd.DetachWarning, match="test_trust.py"):
            g = fd.grad(f)(X)
        close(g, X, TOL)  # the old silent result: only the traced factor's derivative
        fd.config.update("detach", "allow")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            close(fd.grad(f)(X), X, TOL)
    finally:
        fd.config.update("detach", "raise")
    with fd.config.override("detach", "allow"):
        fd.grad(f)(X)
    assert fd.config.detach == "raise"
    with pytest.raises(AttributeError, match="settings"):
        fd.config.update("no_such_setting", 1)


def test_concretization_advice_fits_the_case():
    # converting under vmap/jit: keep the computation in funcdiff (not where/cond)
    for transform in (fd.vmap, fd.jit):
        with pytest.raises(fd.ConcretizationError) as info:
            transform(lambda x: math.sin(x))(X)
        msg = str(info.value)
        assert "funcdiff.numpy" in msg and "fnp.where" not in msg and "test_trust.py" in msg
        with pytest.raises(fd.ConcretizationError, match="where"):
            transform(lambda x: x if x > 0 else -x)(X)
    with pytest.raises(fd.ConcretizationError, match="static"):
        fd.jit(lambda x, n: x * fnp.ones(int(n)))(X, 3)


# ------------------------------------------------------------------ NumPy's own functions


def test_dispatch_is_keyed_by_function_object():
    # numpy.emath.sqrt is not numpy.sqrt: sqrt(-4) is 2j there
    with pytest.raises(TypeError, match=r"numpy\.emath\.sqrt"):
        fd.jvp(lambda s: np.emath.sqrt(s), (-4.0,), (1.0,))
    with pytest.raises(TypeError, match="no equivalent"):
        fd.grad(lambda x: len(np.array2string(x)))(X)
    close(fd.grad(lambda x: np.sum(np.sin(x)))(X), np.cos(X), TOL)
    close(fd.grad(lambda x: fnp.sum(scipy.special.expit(x)))(X),
          scipy.special.expit(X) * (1 - scipy.special.expit(X)), TOL)
    close(fd.grad(lambda x: np.add.reduce(x * x))(X), 2 * X, TOL)
    close(fd.grad(lambda x: np.sum(np.multiply.outer(x, x)))(X), 2 * np.sum(X) * np.ones(3), TOL)
    with pytest.raises(ValueError, match="argument"):  # (written in place: not an argument)
        fd.grad(lambda x: np.add.at(x, [0], 1.0))(X)
    with pytest.raises(TypeError, match=r"at\(x\)\[idx\]"):  # (nor a NumPy array)
        fd.grad(lambda x: np.add.at(np.zeros(3), [0], x[0]))(X)
    with pytest.raises(fd.DetachError, match="out="):
        fd.grad(lambda x: fnp.sum(np.sin(x, out=np.empty(3))))(X)


# ------------------------------------------------------------------ lists holding tracers

LISTS = {
    "exp": (lambda v: fnp.sum(fnp.exp([v[0], v[1]])), lambda v: np.sum(np.exp(v[:2]))),
    "dot": (lambda v: fnp.dot([v[0], v[1]], v[1:]), lambda v: v[0] * v[1] + v[1] * v[2]),
    "matmul": (lambda v: fnp.matmul([v[0], v[1]], v[1:]), lambda v: v[0] * v[1] + v[1] * v[2]),
    "einsum": (lambda v: fnp.einsum("i,i", [v[0], v[1]], v[1:]),
               lambda v: v[0] * v[1] + v[1] * v[2]),
    "vdot": (lambda v: fnp.vdot([v[0], v[1]], v[1:]), lambda v: v[0] * v[1] + v[1] * v[2]),
    "inner": (lambda v: fnp.inner([v[0], v[1]], v[1:]), lambda v: v[0] * v[1] + v[1] * v[2]),
    "where": (lambda v: fnp.sum(fnp.where([True, False], [v[0], v[1]], v[2])),
              lambda v: v[0] + v[2]),
    "nested": (lambda v: fnp.sum(fnp.array([[v[0], 1.0], [v[1], v[2]]]) ** 2),
               lambda v: np.sum(v**2) + 1.0),
    "tracer + list": (lambda v: fnp.sum((v + [1.0, 2.0, 3.0]) ** 2),
                      lambda v: np.sum((v + [1.0, 2.0, 3.0]) ** 2)),
    "list + tracer": (lambda v: fnp.sum(([1.0, 2.0, 3.0] + v) ** 2),
                      lambda v: np.sum((v + [1.0, 2.0, 3.0]) ** 2)),
    "numpy function of a list": (lambda v: np.sum(fnp.stack([v[0], v[1]]) * [2.0, 3.0]),
                                 lambda v: 2 * v[0] + 3 * v[1]),
}


@pytest.mark.parametrize("case", sorted(LISTS))
def test_lists_of_tracers_are_differentiable(case):
    f, ref = LISTS[case]
    close(fd.grad(f)(X), fd_grad(ref, X), 1e-6)
    close(fd.jacfwd(f)(X), fd_grad(ref, X), 1e-6)
    close(f(X), ref(X), TOL)


# ------------------------------------------------------------------ outputs and arguments


@pytest.mark.parametrize("out, words", [
    (None, "`return` statement"),
    ("loss", "a str"),
    ({"a": 1.0}, "a dict"),
    ([1.0, 2.0, 3.0], "a list"),
    ((1.0, 2.0), "has_aux=True"),
])
def test_grad_output_must_be_a_scalar_array(out, words):
    def f(x):
        y = fnp.sum(x)
        if out is None:
            return None
        return tree_map(lambda o: y * o, out) if not isinstance(out, str) else out

    for transform in (fd.grad, fd.value_and_grad):
        with pytest.raises(TypeError, match=words):
            transform(f)(X)


def test_other_transforms_check_their_outputs():
    for run in (lambda f: fd.vjp(f, X), lambda f: fd.jacrev(f)(X), lambda f: fd.hessian(f)(X),
                lambda f: fd.jvp(f, (X,), (X,)), lambda f: fd.jacfwd(f)(X)):
        with pytest.raises(TypeError, match="`return` statement"):
            run(lambda x: None)
        with pytest.raises(TypeError, match=r"output\['name'\] is a str"):
            run(lambda x: {"v": x, "name": "label"})
    out, pullback = fd.vjp(lambda x: {"a": x, "b": [x * 2]}, X)  # pytrees are fine
    close(pullback({"a": X, "b": [X]})[0], 3 * X, TOL)


def test_misused_transform_arguments_show_the_jax_spelling():
    for transform in (fd.grad, fd.value_and_grad, fd.jacfwd, fd.jacrev, fd.hessian):
        with pytest.raises(TypeError, match=r"\(f\)\(x\)"):
            transform(lambda x: fnp.sum(x), X)
    for transform in (fd.grad, fd.vmap, fd.jit, fd.jacrev):
        with pytest.raises(TypeError, match="function"):
            transform(X)
    with pytest.raises(TypeError, match="has_aux"):
        fd.grad(lambda x: x, 0, X)


def test_unregistered_argument_names_its_path_and_the_fix():
    class Params:
        def __init__(self, w):
            self.w = w

    for run in (lambda: fd.grad(lambda p: fnp.sum(p.w))(Params(X)),
                lambda: fd.grad(lambda d: fnp.sum(d["p"].w))({"p": Params(X)}),
                lambda: fd.jvp(lambda p: p.w, (Params(X),), (Params(X),)),
                lambda: fd.vmap(lambda p: p.w)([Params(X)]),
                lambda: fd.jit(lambda p: p.w)(Params(X))):
        with pytest.raises(TypeError, match="register_pytree_node") as info:
            run()
        assert "Params" in str(info.value)
    with pytest.raises(TypeError, match=r"argument 0\['p'\]"):
        fd.grad(lambda d: 1.0)({"p": Params(X)})


def test_matrix_and_masked_inputs_are_refused():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    masked = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    for arr in (m, masked):
        for run in (lambda a: fd.grad(lambda v: fnp.sum(v * v))(a),
                    lambda a: fd.jvp(lambda v: v * v, (a,), (np.asarray(a),)),
                    lambda a: fd.vjp(lambda v: v * v, a)):
            with pytest.raises(TypeError, match="numpy.asarray"):
                run(arr)


# ------------------------------------------------------------------ custom rules checked


def test_custom_vjp_cotangents_are_checked_not_broadcast():
    for bad in (lambda r, ct: (fnp.sum(ct),), lambda r, ct: (ct[:1],),
                lambda r, ct: (ct.astype(complex),), lambda r, ct: ({"x": ct},)):
        f = fd.custom_vjp(lambda v: v * 2.0)
        f.defvjp(lambda v: (v * 2.0, None), bad)
        with pytest.raises(TypeError, match="bwd") as info:
            fd.grad(lambda v, f=f: fnp.sum(f(v)))(X)
        assert "argument 0" in str(info.value)


def test_custom_jvp_rule_outputs_are_checked():
    f = fd.custom_jvp(lambda v: v * 2.0)
    f.defjvp(lambda p, t: (p[0] * 2.0, fnp.sum(t[0])))  # a scalar tangent for a vector
    with pytest.raises(TypeError, match="shape"):
        fd.jvp(f, (X,), (X,))
    g = fd.custom_jvp(lambda v: v * 2.0)
    g.defjvp(lambda p, t: (p[0][:2], t[0][:2]))  # an output unlike the function's
    with pytest.raises(TypeError, match="primal output"):
        fd.grad(lambda v: fnp.sum(g(v)))(X)


# ------------------------------------------------------------------ closures, any way reached


class Holder:
    pass


def _attr_jvp(w, x):
    h = Holder()
    h.w = w

    @fd.custom_jvp
    def f(v):
        return fnp.sin(v) * h.w

    @f.defjvp
    def f_jvp(p, t):
        return f(p[0]), fnp.cos(p[0]) * h.w * t[0]

    return fnp.sum(f(x * w))


def _attr_vjp(w, x):
    h = Holder()
    h.w = w

    @fd.custom_vjp
    def f(v):
        return fnp.sin(v) * h.w

    f.defvjp(lambda v: (f(v), v), lambda v, g: (fnp.cos(v) * h.w * g,))
    return fnp.sum(f(x * w))


def _helper_closure_checkpoint(w, x):
    def scale():
        return w

    return fnp.sum(fd.checkpoint(lambda v: fnp.sin(v) * scale())(x * w))


_GLOBAL = {}


def _global_jvp(w, x):
    _GLOBAL["w"] = w

    @fd.custom_jvp
    def f(v):
        return fnp.sin(v) * _GLOBAL["w"]

    f.defjvp(lambda p, t: (f(p[0]), fnp.cos(p[0]) * _GLOBAL["w"] * t[0]))
    return fnp.sum(f(x * w))


def _default_arg_vjp(w, x):
    @fd.custom_vjp
    def f(v, w=w):
        return fnp.sin(v) * w

    f.defvjp(lambda v, w=w: (f(v), v), lambda v, g, w=w: (fnp.cos(v) * w * g,))
    return fnp.sum(f(x * w))


class Layer:
    def __init__(self, w):
        self.w = w

    def __call__(self, v):
        return fnp.tanh(v * self.w)


def _bound_method_checkpoint(w, x):
    return fnp.sum(fd.checkpoint(Layer(w).__call__)(x * w))


CLOSURES = {
    "custom_jvp via attribute": (_attr_jvp, lambda w, x: np.sum(np.sin(x * w) * w)),
    "custom_vjp via attribute": (_attr_vjp, lambda w, x: np.sum(np.sin(x * w) * w)),
    "checkpoint via helper closure": (_helper_closure_checkpoint,
                                      lambda w, x: np.sum(np.sin(x * w) * w)),
    "custom_jvp via global": (_global_jvp, lambda w, x: np.sum(np.sin(x * w) * w)),
    "custom_vjp via default argument": (_default_arg_vjp, lambda w, x: np.sum(np.sin(x * w) * w)),
    "checkpoint of a bound method": (_bound_method_checkpoint,
                                     lambda w, x: np.sum(np.tanh(x * w * w))),
}
COMPOSITIONS = {
    "grad": lambda f: lambda w: fd.grad(f)(w, X),
    "jit(grad)": lambda f: lambda w: fd.jit(fd.grad(f))(w, X),
    "grad(jit)": lambda f: lambda w: fd.grad(fd.jit(f))(w, X),
    "jvp": lambda f: lambda w: fd.jvp(lambda w: f(w, X), (w,), (1.0,))[1],
    "vmap(grad)": lambda f: lambda w: fd.vmap(fd.grad(f), (0, None))(np.array([w, w]), X)[1],
    "grad(checkpoint)": lambda f: lambda w: fd.grad(fd.checkpoint(f))(w, X),
    "jit(grad(jit))": lambda f: lambda w: fd.jit(fd.grad(fd.jit(f)))(w, X),
    "vmap(jit(grad))": lambda f: lambda w: fd.vmap(fd.jit(fd.grad(f)), (0, None))(
        np.array([w]), X)[0],
}


@pytest.mark.parametrize("composition", sorted(COMPOSITIONS))
@pytest.mark.parametrize("case", sorted(CLOSURES))
def test_closures_reached_any_way(case, composition):
    f, ref = CLOSURES[case]
    w = 0.7
    if composition == "jvp" and "custom_vjp" in case:  # no forward rule: a clear error
        with pytest.raises(TypeError, match="defjvp"):
            COMPOSITIONS[composition](f)(w)
        return
    want = (ref(w + 1e-6, X) - ref(w - 1e-6, X)) / 2e-6
    close(COMPOSITIONS[composition](f)(w), want, 1e-6)


def test_closures_in_threads():
    # no closure cell is rewritten, so calls in several threads don't interfere
    results, errors = {}, []

    def work(i):
        try:
            w = 0.3 + 0.1 * i
            results[i] = (float(fd.grad(_attr_jvp)(w, X)), w)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ref = CLOSURES["custom_jvp via attribute"][1]
    for g, w in results.values():
        close(g, (ref(w + 1e-6, X) - ref(w - 1e-6, X)) / 2e-6, 1e-6)


def test_a_tracer_used_in_another_thread_is_a_clear_error():
    out = {}

    def f(x):
        def work():
            try:
                fnp.sin(x)
            except Exception as e:  # noqa: BLE001
                out["error"] = e

        t = threading.Thread(target=work)
        t.start()
        t.join()
        return fnp.sum(x)

    fd.grad(f)(X)
    assert isinstance(out["error"], RuntimeError)
    assert "thread" in str(out["error"]) and "grad" in str(out["error"])


# ------------------------------------------------------------------ no aliasing, no hidden mutation


def _shares(a, b):
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.shares_memory(a, b)


def test_transform_outputs_are_fresh_and_writeable():
    x = X.copy()
    cases = {
        "grad of sum": fd.grad(fnp.sum)(x),
        "grad of a broadcast": fd.grad(lambda v: fnp.sum(v * 2.0))(x),
        "vmap of copy": fd.vmap(fnp.copy)(x),
        "vmap of identity": fd.vmap(lambda v: v)(x),
        "vmap of a constant": fd.vmap(lambda v: X, axis_size=2, in_axes=None)(1.0),
        "jvp of identity": fd.jvp(lambda v: v, (x,), (x,))[0],
        "jvp tangent of identity": fd.jvp(lambda v: v, (x,), (x,))[1],
        "vjp output": fd.vjp(lambda v: v, x)[0],
        "vjp cotangent": fd.vjp(lambda v: v, x)[1](x)[0],
        "linearize": fd.linearize(lambda v: v, x)[1](x),
        "jit of copy": fd.jit(lambda v: v.copy())(x),
        "jit of a constant gradient": fd.jit(fd.grad(lambda v: fnp.sum(2.0 * v)))(x),
    }
    for name, out in cases.items():
        assert isinstance(out, np.ndarray), name
        assert out.flags.writeable, name
        assert not _shares(out, x) and not _shares(out, X), name
    # mutating a result changes nothing a later call returns
    gj = fd.jit(fd.grad(lambda v: fnp.sum(2.0 * v)))
    g = gj(x)
    g *= 0.1
    close(gj(x), 2 * np.ones(3), TOL)
    gr = fd.grad(lambda v: fnp.sum(v * v))
    g = gr(x)
    g += 100.0
    close(x, X, TOL)


def test_in_place_methods_on_tracers_write_or_raise_with_the_functional_spelling():
    def f(v):
        v = v * 1.0
        v.resize((3,))  # changes the size: not followed
        return fnp.sum(v)

    with pytest.raises(TypeError, match="fnp.reshape"):
        fd.grad(f)(X)
    for method, args in (("put", ([0], 1.0)), ("partition", (1,)), ("fill", (0.0,))):
        def g(v, method=method, args=args):
            getattr(v, method)(*args)  # into an argument: never
            return fnp.sum(v)

        with pytest.raises(ValueError, match=r"argument"):  # (tests/test_inplace.py: the rest)
            fd.grad(g)(X)
    with pytest.raises(ValueError, match=r"argument"):
        fd.grad(lambda v: v.__setitem__(0, 1.0))(X)


# ------------------------------------------------------------------ the remaining findings


def test_repeated_argnums():
    assert fd.grad(lambda a, b: a * b, argnums=(0, 0))(2.0, 3.0) == (3.0, 3.0)
    g = fd.grad(lambda a, b: fnp.sum(a * b), argnums=(1, 0, 1))(X, 2 * X)
    close(g[0], X, TOL)
    close(g[1], 2 * X, TOL)
    close(g[2], X, TOL)
    assert not _shares(g[0], g[2])


def test_cond_checks_the_branch_not_taken():
    with pytest.raises(TypeError, match="false branch"):
        fd.cond(True, lambda v: v, lambda v: v[:1], X)
    with pytest.raises(TypeError, match="false branch"):
        fd.grad(lambda v: fnp.sum(fd.cond(True, lambda u: u, lambda u: u[:1], v)))(X)


def test_round_of_a_tracer():
    close(fd.grad(lambda s: round(s) * s)(1.3), 1.0, TOL)
    close(fd.grad(lambda s: round(s, 1) * s)(1.34), 1.3, TOL)
    assert fd.jit(lambda s: round(s))(2.6) == 3.0


def test_where_unselected_branch_has_no_nan_gradient():
    v = np.array([0.0, 1.0])
    close(fd.grad(lambda v: fnp.sum(fnp.where(v > 0, v * fnp.log(v), 0.0)))(v), [0.0, 1.0], TOL)
    close(fd.grad(lambda v: fnp.sum(fnp.where(v > 0, fnp.log(v) ** 2, 0.0)))(v), [0.0, 0.0], TOL)
    big = np.array([1000.0, 1.0])
    with np.errstate(over="ignore"):
        close(fd.grad(lambda v: fnp.sum(fnp.where(v < 100, fnp.exp(v), v)))(big), [1.0, np.e], TOL)


def test_conversion_to_integers_reads_the_value():
    """np.int64(x), np.asarray(x, int): integers carry no derivative to drop (as int(x)),
    so under grad they read the value (autograd's test_cast_to_int); under jit they need
    the concrete value; to floats they still raise DetachError."""
    w = np.array([[0.5, 1.0], [2.0, 0.0]])

    def fun(w):
        rows = np.int64(w[:, -1])
        assert rows.dtype == np.int64
        return fnp.sum(w[:, :-1][rows])

    close(fd.grad(fun)(w), [[1.0, 0.0], [1.0, 0.0]], TOL)
    close(fd.grad(lambda x: fnp.sum(x * np.asarray(x, dtype=int)))(np.array([1.5, 2.5])),
          [1.0, 2.0], TOL)
    with pytest.raises(fd.ConcretizationError):
        fd.jit(lambda x: np.int64(x))(np.ones(2))
    with pytest.raises(fd.DetachError):
        fd.grad(lambda x: fnp.sum(np.asarray(x, dtype=float)))(np.ones(2))
