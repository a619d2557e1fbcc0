"""Custom derivative rules: `custom_jvp` and `custom_vjp`.

Each rule is checked to be *used* (a deliberately "wrong" rule shows up in the
derivative) and to be *right* where it is meant to be (against the plain
derivative or central finite differences), under every transform: jvp,
grad/vjp, vmap, jacfwd/jacrev/hessian, jit, and nestings of them.
"""

from functools import partial

import numpy as np
import pytest
from helpers import close, fd_grad

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.testing import check_grads
from funcdiff.tree import tree_map

RNG = np.random.default_rng(0)


# ------------------------------------------------------------------ custom_jvp fixtures


def sigmoid(x):
    return 0.5 * (1.0 + fnp.tanh(0.5 * x))  # no overflow for large |x|


@fd.custom_jvp
def softplus(x):
    """log(1 + exp(x)), computed without overflow."""
    return fnp.logaddexp(0.0, x)


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), sigmoid(x) * t


@fd.custom_jvp
def naive_softplus(x):
    return fnp.log1p(fnp.exp(x))


@naive_softplus.defjvp
def _naive_softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return naive_softplus(x), t * (1.0 - 1.0 / (1.0 + fnp.exp(x)))


@fd.custom_jvp
def sin10(x):
    """sin(x) whose rule deliberately claims the derivative 10 cos(x)."""
    return fnp.sin(x)


@sin10.defjvp
def _sin10_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return sin10(x), 10.0 * fnp.cos(x) * t


@fd.custom_jvp
def fsin(x, y):
    """sin(x) * y with a correct rule in both arguments."""
    return fnp.sin(x) * y


@fsin.defjvp
def _fsin_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return fsin(x, y), fnp.cos(x) * y * tx + fnp.sin(x) * ty


X = np.array([-1.3, 0.2, 0.9, 2.5])
Y = np.array([0.5, -2.0, 1.5, 3.0])


# ------------------------------------------------------------------ custom_jvp


def test_custom_jvp_outside_transforms_is_the_function():
    out = softplus(X)
    assert type(out) is np.ndarray
    close(out, np.logaddexp(0.0, X))
    assert softplus.__name__ == "softplus" and "overflow" in softplus.__doc__


def test_custom_jvp_under_jvp_uses_the_rule():
    y, t = fd.jvp(sin10, (0.3,), (2.0,))
    close(y, np.sin(0.3))
    close(t, 20.0 * np.cos(0.3))
    y, t = fd.jvp(fsin, (X, Y), (np.ones(4), 0.5 * np.ones(4)))
    close(y, np.sin(X) * Y)
    close(t, np.cos(X) * Y + 0.5 * np.sin(X))


def test_custom_jvp_reverse_mode_is_the_transposed_rule():
    close(fd.grad(sin10)(0.3), 10.0 * np.cos(0.3))
    gx, gy = fd.grad(lambda x, y: fnp.sum(fsin(x, y)), (0, 1))(X, Y)
    close(gx, np.cos(X) * Y)
    close(gy, np.sin(X))
    out, pullback = fd.vjp(fsin, X, Y)
    ct = np.arange(4.0)
    cx, cy = pullback(ct)
    close(cx, ct * np.cos(X) * Y)
    close(cy, ct * np.sin(X))


def test_the_rule_replaces_differentiation_of_the_body():
    # a rule that differs from the body's derivative shows up in every mode
    x = np.array([0.3, -0.4])
    want = 10.0 * np.diag(np.cos(x))
    close(fd.jacfwd(sin10)(x), want)
    close(fd.jacrev(sin10)(x), want)
    close(fd.vmap(fd.grad(sin10))(x), np.diag(want))
    close(fd.grad(lambda x: fnp.sum(fd.vmap(sin10)(x)))(x), np.diag(want))
    # second order: d/dx of 10 cos(x) is -10 sin(x), in all four combinations
    close(fd.grad(fd.grad(sin10))(0.3), -10.0 * np.sin(0.3))
    close(fd.jvp(fd.grad(sin10), (0.3,), (1.0,))[1], -10.0 * np.sin(0.3))
    close(fd.hessian(sin10)(0.3), -10.0 * np.sin(0.3))
    close(fd.jacrev(fd.jacrev(sin10))(0.3), -10.0 * np.sin(0.3))


def test_custom_jvp_derivatives_against_finite_differences():
    check_grads(fsin, (X, Y), order=2, modes=("fwd", "rev"))
    check_grads(softplus, (X,), order=2, modes=("fwd", "rev"))


def test_stable_softplus_gradient_at_1000():
    # the naive body overflows to inf, and its plain derivative is 1/inf * inf, which
    # the safe product takes as 0 (docs/conventions.md): wrong, where the rule is right
    with np.errstate(over="ignore"):
        assert fnp.log(1.0 + fnp.exp(1000.0)) == np.inf
        assert fd.grad(lambda x: fnp.log(1.0 + fnp.exp(x)))(1000.0) == 0.0
        assert float(fd.grad(naive_softplus)(1000.0)) == 1.0
    assert float(softplus(1000.0)) == 1000.0
    assert float(fd.grad(softplus)(1000.0)) == 1.0
    assert float(fd.grad(softplus)(-1000.0)) == 0.0
    g = fd.vmap(fd.grad(softplus))(np.array([-1000.0, 0.0, 1000.0]))
    close(g, [0.0, 0.5, 1.0])
    assert not np.isnan(fd.grad(fd.grad(softplus))(1000.0))
    close(fd.grad(fd.grad(softplus))(0.0), 0.25)


def test_custom_jvp_under_vmap():
    close(fd.vmap(fsin)(X, Y), np.sin(X) * Y)
    close(fd.vmap(fsin, (0, None))(X, 2.0), 2.0 * np.sin(X))
    close(fd.vmap(fd.grad(fsin, (0, 1)))(X, Y), (np.cos(X) * Y, np.sin(X)))
    # vmap of jvp, and a batch axis that is not the first one
    xs = RNG.normal(size=(3, 4))
    _, t = fd.vmap(lambda x: fd.jvp(sin10, (x,), (fnp.ones_like(x),)), in_axes=1)(xs)
    close(t, 10.0 * np.cos(xs.T))


def test_custom_jvp_jacobians_and_hessian():
    jx = fd.jacfwd(fsin)(X, Y)
    close(jx, np.diag(np.cos(X) * Y))
    close(fd.jacrev(fsin, argnums=1)(X, Y), np.diag(np.sin(X)))
    h = fd.hessian(lambda x: fnp.sum(softplus(x)))(X)
    close(h, np.diag(sigmoid(X) * (1 - sigmoid(X))))


def test_custom_jvp_under_jit():
    close(fd.jit(fd.grad(sin10))(0.3), 10.0 * np.cos(0.3))
    close(fd.grad(fd.jit(sin10))(0.3), 10.0 * np.cos(0.3))
    close(fd.jit(softplus)(X), np.logaddexp(0.0, X))


def test_custom_jvp_nested_in_itself():
    # a custom function whose body and rule call another custom function
    @fd.custom_jvp
    def outer(x):
        return softplus(sin10(x))

    @outer.defjvp
    def outer_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return outer(x), sigmoid(fnp.sin(x)) * fnp.cos(x) * t

    close(fd.grad(outer)(0.4), sigmoid(np.sin(0.4)) * np.cos(0.4))
    check_grads(outer, (0.4,), order=2)


def test_custom_jvp_integer_argument_gets_zero_tangent():
    seen = {}

    @fd.custom_jvp
    def scale(x, n):
        return x * n

    @scale.defjvp
    def scale_jvp(primals, tangents):
        (x, n), (tx, tn) = primals, tangents
        seen["tn"] = tn
        return scale(x, n), tx * n

    close(fd.grad(scale)(2.0, 3), 3.0)
    assert seen["tn"].dtype == fd.float0
    close(fd.jvp(lambda x: scale(x, 3), (2.0,), (1.0,))[1], 3.0)


# -------------------------------------------------------------- closures over tracers


def _scaled_sin(a):
    """A custom_jvp function that closes over `a`."""

    @fd.custom_jvp
    def f(x):
        return a * fnp.sin(x)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return f(x), a * fnp.cos(x) * t

    return f


def test_custom_jvp_closure_over_outer_tracer_constant_input():
    # d/da [a sin(2)] = sin(2): `a` is closed over, the input is a constant
    close(fd.grad(lambda a: _scaled_sin(a)(2.0))(0.7), np.sin(2.0))
    close(fd.jvp(lambda a: _scaled_sin(a)(2.0), (0.7,), (1.0,))[1], np.sin(2.0))
    close(fd.vmap(lambda a: _scaled_sin(a)(2.0))(X), X * np.sin(2.0))
    # the inner derivative is a function of the outer variable: d/da [a cos(2)]
    close(fd.grad(lambda a: fd.grad(_scaled_sin(a))(2.0))(0.7), np.cos(2.0))
    close(fd.vmap(lambda a: fd.grad(_scaled_sin(a))(2.0))(X), X * np.cos(2.0))


CLOSURE_TRANSFORMS = {
    "grad": lambda h, a: fd.grad(h)(a),
    "jvp": lambda h, a: fd.jvp(h, (a,), (1.0,))[1],
    "jacrev": lambda h, a: fd.jacrev(h)(a),
    "vmap_grad": lambda h, a: fd.vmap(fd.grad(h))(np.array([a]))[0],
}


@pytest.mark.parametrize("transform", sorted(CLOSURE_TRANSFORMS))
def test_custom_jvp_closure_over_outer_tracer_traced_input(transform):
    # h(a) = a sin(a): the outer variable reaches f through the closure AND its input,
    # so dh/da = sin(a) + a cos(a) (closure path + the rule's path)
    a = 0.7
    got = CLOSURE_TRANSFORMS[transform](lambda a: _scaled_sin(a)(a), a)
    assert isinstance(got, (np.ndarray, np.generic, float)), type(got)
    close(got, np.sin(a) + a * np.cos(a))


def test_custom_jvp_closure_over_outer_tracer_under_vmap():
    out = fd.vmap(lambda a: _scaled_sin(a)(a))(X)
    assert type(out) is np.ndarray, type(out)
    close(out, X * np.sin(X))


# -------------------------------------------------------------- nondiff_argnums


@partial(fd.custom_jvp, nondiff_argnums=(0, 2))
def apply_n(f, x, n):
    """f applied n times; `f` and `n` are not differentiated."""
    for _ in range(n):
        x = f(x)
    return x


@apply_n.defjvp
def _apply_n_jvp(f, n, primals, tangents):
    (x,), (t,) = primals, tangents
    for _ in range(n):
        x, t = fd.jvp(f, (x,), (t,))
    return x, t


def _sin3(x):
    return fnp.sin(fnp.sin(fnp.sin(x)))


def test_custom_jvp_nondiff_argnums_function_and_int():
    close(apply_n(np.sin, 0.5, 3), _sin3(0.5))
    close(fd.grad(lambda x: apply_n(fnp.sin, x, 3))(0.5), fd.grad(_sin3)(0.5))
    close(fd.jvp(lambda x: apply_n(fnp.sin, x, 3), (0.5,), (2.0,))[1], 2 * fd.grad(_sin3)(0.5))
    close(fd.vmap(lambda x: apply_n(fnp.sin, x, 3))(X), _sin3(X))
    close(fd.vmap(fd.grad(lambda x: apply_n(fnp.sin, x, 3)))(X), fd.vmap(fd.grad(_sin3))(X))
    close(fd.hessian(lambda x: apply_n(fnp.sin, x, 3))(0.5), fd.hessian(_sin3)(0.5))
    close(
        fd.jit(fd.grad(lambda x: apply_n(fnp.sin, x, 2)))(0.5),
        fd.grad(lambda x: fnp.sin(fnp.sin(x)))(0.5),
    )


def test_custom_jvp_nondiff_argnums_rejects_traced_values():
    with pytest.raises(TypeError, match="nondiff_argnums"):
        fd.grad(lambda x: apply_n(fnp.sin, x, x))(2.0)


def test_custom_jvp_nondiff_argnums_out_of_range():
    bad = fd.custom_jvp(lambda x: x, nondiff_argnums=(3,))
    bad.defjvp(lambda n, p, t: (p[0], t[0]))
    with pytest.raises(TypeError, match="nondiff_argnums"):
        fd.grad(bad)(1.0)


# -------------------------------------------------------------- pytrees


@fd.custom_jvp
def polar(p):
    """{"r", "th"} -> (x, y, {"r2": r**2})"""
    r, th = p["r"], p["th"]
    return r * fnp.cos(th), r * fnp.sin(th), {"r2": r * r}


@polar.defjvp
def _polar_jvp(primals, tangents):
    (p,), (t,) = primals, tangents
    r, th = p["r"], p["th"]
    dr, dth = t["r"], t["th"]
    c, s = fnp.cos(th), fnp.sin(th)
    tangent = (c * dr - r * s * dth, s * dr + r * c * dth, {"r2": 2 * r * dr})
    return polar(p), tangent


def _polar_plain(p):
    r, th = p["r"], p["th"]
    return r * fnp.cos(th), r * fnp.sin(th), {"r2": r * r}


P = {"r": np.array([1.0, 2.0, 0.5]), "th": np.array([0.1, -0.7, 2.0])}


def test_custom_jvp_pytrees_in_and_out():
    t = {"r": np.array([1.0, 0.0, 2.0]), "th": np.array([0.5, 1.0, -1.0])}
    out, tout = fd.jvp(polar, (P,), (t,))
    want, want_t = fd.jvp(_polar_plain, (P,), (t,))
    tree_map(close, (out, tout), (want, want_t))

    def loss(f):
        return lambda p: fnp.sum(f(p)[0] * f(p)[1]) + fnp.sum(f(p)[2]["r2"])

    tree_map(close, fd.grad(loss(polar))(P), fd.grad(loss(_polar_plain))(P))
    tree_map(close, fd.vmap(polar)(P), _polar_plain(P))
    tree_map(close, fd.jacrev(polar)(P), fd.jacfwd(_polar_plain)(P))
    check_grads(lambda p: polar(p)[2]["r2"] + polar(p)[0], (P,), order=2)


def test_custom_jvp_rule_with_wrong_tangent_structure():
    @fd.custom_jvp
    def two(x):
        return x, 2 * x

    two.defjvp(lambda p, t: (two(p[0]), t[0]))  # one tangent for two outputs
    with pytest.raises(TypeError, match="structure"):
        fd.jvp(two, (1.0,), (1.0,))


# -------------------------------------------------------------- custom_jvp errors


def test_custom_jvp_without_rule():
    @fd.custom_jvp
    def f(x):
        return x

    with pytest.raises(AttributeError, match="defjvp"):
        f(1.0)
    with pytest.raises(AttributeError, match="defjvp"):
        fd.grad(f)(1.0)


def test_custom_jvp_keyword_arguments():
    with pytest.raises(TypeError, match="positionally"):
        fsin(x=1.0, y=2.0)
    with pytest.raises(TypeError, match="positionally"):
        fd.grad(lambda x: fsin(x, y=2.0))(1.0)


# ------------------------------------------------------------------ custom_vjp fixtures


@fd.custom_vjp
def vsin(x, y):
    """sin(x) * y with a hand-written VJP."""
    return fnp.sin(x) * y


def _vsin_fwd(x, y):
    return vsin(x, y), {"cos": fnp.cos(x), "sin_y": (fnp.sin(x), y)}  # residuals: a pytree


def _vsin_bwd(res, g):
    s, y = res["sin_y"]
    return res["cos"] * y * g, s * g


vsin.defvjp(_vsin_fwd, _vsin_bwd)


@fd.custom_vjp
def ident7(x):
    """identity whose bwd deliberately multiplies the cotangent by 7."""
    return x


ident7.defvjp(lambda x: (x, None), lambda res, g: (7.0 * g,))


# ------------------------------------------------------------------ custom_vjp


def test_custom_vjp_outside_transforms_is_the_function():
    close(vsin(X, Y), np.sin(X) * Y)
    assert type(vsin(X, Y)) is np.ndarray


def test_custom_vjp_grad_uses_bwd():
    assert float(fd.grad(ident7)(1.0)) == 7.0
    close(fd.grad(lambda x: fnp.sum(ident7(x) ** 2))(X), 14.0 * X)
    gx, gy = fd.grad(lambda x, y: fnp.sum(vsin(x, y)), (0, 1))(X, Y)
    close(gx, np.cos(X) * Y)
    close(gy, np.sin(X))
    _, pullback = fd.vjp(vsin, X, Y)
    cx, cy = pullback(np.arange(4.0))
    close(cx, np.arange(4.0) * np.cos(X) * Y)
    close(cy, np.arange(4.0) * np.sin(X))
    # finite differences, first and second order (a custom_vjp without defjvp has no
    # forward mode, and check_grads' reverse check compares with jvp too)
    close(gx, fd_grad(lambda x: np.sum(vsin(x, Y)), X), tol=1e-8)
    close(
        fd.grad(lambda x: fnp.sum(fd.grad(lambda x: fnp.sum(vsin(x, Y)))(x)))(X),
        fd_grad(lambda x: np.sum(fd.grad(lambda x: fnp.sum(vsin(x, Y)))(x)), X),
        tol=1e-8,
    )


def test_custom_vjp_vmap_of_grad_and_grad_of_vmap():
    want = (np.cos(X) * Y, np.sin(X))
    close(fd.vmap(fd.grad(vsin, (0, 1)))(X, Y), want)
    close(fd.grad(lambda x, y: fnp.sum(fd.vmap(vsin)(x, y)), (0, 1))(X, Y), want)
    close(fd.vmap(fd.grad(vsin), (0, None))(X, 2.0), 2.0 * np.cos(X))
    close(fd.vmap(fd.grad(ident7))(X), np.full(4, 7.0))
    close(fd.jacrev(lambda x: vsin(x, Y))(X), np.diag(np.cos(X) * Y))
    close(fd.vmap(vsin)(X, Y), np.sin(X) * Y)


def test_custom_vjp_nesting():
    # grad of grad differentiates bwd (written with funcdiff operations)
    close(fd.grad(fd.grad(vsin))(0.3, 2.0), -2.0 * np.sin(0.3))
    close(fd.jacrev(fd.jacrev(vsin))(0.3, 2.0), -2.0 * np.sin(0.3))
    close(fd.grad(lambda x: fd.grad(ident7)(x) * x)(2.0), 7.0)
    close(fd.vmap(fd.grad(fd.grad(vsin)))(X, Y), -np.sin(X) * Y)
    close(fd.jit(fd.grad(vsin))(0.3, 2.0), 2.0 * np.cos(0.3))
    close(fd.grad(fd.jit(vsin))(0.3, 2.0), 2.0 * np.cos(0.3))


def test_custom_vjp_none_in_bwd_means_zero():
    @fd.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, x), lambda x, g: (None, x * g))
    gx, gy = fd.grad(f, (0, 1))(3.0, 4.0)
    assert float(gx) == 0.0 and float(gy) == 3.0
    gx, gy = fd.vmap(fd.grad(f, (0, 1)))(X, Y)
    close(gx, np.zeros(4))
    close(gy, X)
    assert gx.shape == X.shape and gx.dtype == X.dtype

    # None for one leaf of a pytree argument
    @fd.custom_vjp
    def h(d):
        return d["a"] * d["b"]

    h.defvjp(lambda d: (h(d), d), lambda d, g: ({"a": g * d["b"], "b": None},))
    g = fd.grad(lambda d: fnp.sum(h(d)))({"a": X, "b": Y})
    close(g["a"], Y)
    close(g["b"], np.zeros(4))


def test_custom_vjp_pytrees_in_and_out():
    @fd.custom_vjp
    def f(d):
        return {"p": d["a"] * d["b"], "q": (d["a"] + 1.0,)}

    def fwd(d):
        return f(d), (d["a"], [d["b"]])

    def bwd(res, g):
        a, (b,) = res
        return ({"a": g["p"] * b + g["q"][0], "b": g["p"] * a},)

    f.defvjp(fwd, bwd)
    d = {"a": X, "b": Y}
    g = fd.grad(lambda d: fnp.sum(f(d)["p"]) + 3.0 * fnp.sum(f(d)["q"][0]))(d)
    close(g["a"], Y + 3.0)
    close(g["b"], X)
    ga = fd.grad(lambda a: fnp.sum(f({"a": a, "b": Y})["p"] * f({"a": a, "b": Y})["q"][0]))(X)
    close(ga, fd_grad(lambda a: np.sum(a * Y * (a + 1)), X), tol=1e-8)


def test_custom_vjp_nondiff_argnums():
    @partial(fd.custom_vjp, nondiff_argnums=(0,))
    def clip_grad(limit, x):
        return x

    clip_grad.defvjp(
        lambda limit, x: (x, None), lambda limit, res, g: (fnp.clip(g, -limit, limit),)
    )
    close(fd.grad(lambda x: 5.0 * clip_grad(1.5, x))(1.0), 1.5)
    close(fd.grad(lambda x: 0.5 * clip_grad(1.5, x))(1.0), 0.5)
    # d/dx [5 x c(x)] = 5 c(x) + clip(5 x, -1.5, 1.5)
    close(
        fd.vmap(fd.grad(lambda x: 5.0 * x * clip_grad(1.5, x)))(X),
        5 * X + np.clip(5 * X, -1.5, 1.5),
    )

    @partial(fd.custom_vjp, nondiff_argnums=(1,))
    def apply(x, f):
        return f(x)

    apply.defvjp(lambda x, f: (f(x), x), lambda f, x, g: (fd.vjp(f, x)[1](g)[0],))
    close(fd.grad(lambda x: apply(x, fnp.sin))(0.3), np.cos(0.3))
    with pytest.raises(TypeError, match="nondiff_argnums"):
        fd.grad(lambda x: clip_grad(x, x))(1.0)


def test_custom_vjp_forward_mode_without_defjvp_says_how_to_add_one():
    for run in (
        lambda: fd.jvp(vsin, (0.3, 2.0), (1.0, 0.0)),
        lambda: fd.jacfwd(vsin)(0.3, 2.0),
        lambda: fd.jacfwd(lambda x: fnp.sum(fd.jacrev(vsin)(x, 2.0) * vsin(x, 2.0)))(0.3),
    ):
        with pytest.raises(TypeError) as e:
            run()
        msg = str(e.value)
        assert "vsin" in msg and "defjvp" in msg and "forward" in msg
    # forward over reverse differentiates fwd's body and bwd, as in JAX
    close(fd.hessian(vsin)(0.3, 2.0), -2.0 * np.sin(0.3))
    close(fd.jvp(fd.grad(vsin), (0.3, 2.0), (1.0, 0.0))[1], -2.0 * np.sin(0.3))
    close(fd.jvp(fd.grad(lambda x: ident7(x) ** 2), (1.0,), (1.0,))[1], 14.0)


def test_custom_vjp_with_defjvp_forward_mode_and_hessian():
    @fd.custom_vjp
    def f(x, y):
        return fnp.sin(x) * y

    def fwd(x, y):
        return f(x, y), (fnp.cos(x), fnp.sin(x), y)

    def bwd(res, g):
        c, s, y = res
        return c * y * g, s * g

    f.defvjp(fwd, bwd)

    @f.defjvp
    def f_jvp(primals, tangents):
        (x, y), (tx, ty) = primals, tangents
        return f(x, y), fnp.cos(x) * y * tx + fnp.sin(x) * ty

    x, y = 0.3, 2.0
    close(fd.jvp(f, (x, y), (1.0, 0.5))[1], np.cos(x) * y + 0.5 * np.sin(x))
    h = fd.hessian(f, (0, 1))(x, y)
    close(np.array(h, float), [[-np.sin(x) * y, np.cos(x)], [np.cos(x), 0.0]])
    close(fd.jvp(fd.grad(f), (x, y), (1.0, 0.0))[1], -np.sin(x) * y)
    close(fd.jacfwd(lambda x: f(x, Y))(X), np.diag(np.cos(X) * Y))
    close(fd.vmap(lambda x, y: fd.jvp(f, (x, y), (1.0, 0.0))[1])(X, Y), np.cos(X) * Y)
    check_grads(f, (X, Y), order=2)


def test_custom_vjp_defjvp_is_used_in_forward_mode():
    @fd.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda res, g: (7.0 * g,))
    f.defjvp(lambda p, t: (f(p[0]), 3.0 * t[0]))
    assert float(fd.grad(f)(1.0)) == 7.0
    assert float(fd.jvp(f, (1.0,), (1.0,))[1]) == 3.0
    close(fd.jacfwd(f)(np.ones(2)), 3.0 * np.eye(2))
    close(fd.jacrev(f)(np.ones(2)), 7.0 * np.eye(2))


def test_custom_vjp_closure_over_outer_tracer():
    def scaled(a):
        @fd.custom_vjp
        def f(x):
            return a * fnp.sin(x)

        f.defvjp(lambda x: (f(x), x), lambda x, g: (a * fnp.cos(x) * g,))
        return f

    # the input is a constant: the closed-over value is differentiated through the body
    close(fd.grad(lambda a: scaled(a)(2.0))(0.7), np.sin(2.0))
    close(fd.grad(lambda a: fd.grad(scaled(a))(2.0))(0.7), np.cos(2.0))
    close(fd.vmap(lambda a: fd.grad(scaled(a))(2.0))(X), X * np.cos(2.0))
    # the outer variable reaches f through the closure and its input: the total
    # derivative, or (like JAX) a clear TypeError about the closure
    try:
        g = fd.grad(lambda a: scaled(a)(a))(0.7)
    except TypeError as e:
        assert "custom_vjp" in str(e)
    else:
        close(g, np.sin(0.7) + 0.7 * np.cos(0.7))


# -------------------------------------------------------------- custom_vjp errors


def test_custom_vjp_without_defvjp():
    @fd.custom_vjp
    def f(x):
        return x

    with pytest.raises(AttributeError, match="defvjp"):
        f(1.0)


def test_custom_vjp_bwd_with_wrong_arity():
    @fd.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (res[1] * g,))
    with pytest.raises(TypeError, match=r"one cotangent per differentiable argument \(2\)"):
        fd.grad(f)(1.0, 2.0)

    @fd.custom_vjp
    def h(x):
        return x

    h.defvjp(lambda x: (x, None), lambda res, g: g)  # not a tuple
    with pytest.raises(TypeError, match="tuple"):
        fd.grad(h)(1.0)


def test_custom_vjp_keyword_arguments():
    with pytest.raises(TypeError, match="positionally"):
        vsin(x=1.0, y=2.0)


# ------------------------------------------------------------------ worked examples


@fd.custom_vjp
def clip_gradient(lo, hi, x):
    """Identity in the forward pass; clips the cotangent in the backward pass."""
    return x


def _clip_fwd(lo, hi, x):
    return x, (lo, hi)


def _clip_bwd(res, g):
    lo, hi = res
    return None, None, fnp.clip(g, lo, hi)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_gradient_clipping():
    f = lambda x: fnp.sum(clip_gradient(-1.0, 1.0, x) ** 3)  # noqa: E731
    x = np.array([-2.0, -0.5, 0.1, 0.8, 3.0])
    close(f(x), np.sum(x**3))
    g = fd.grad(f)(x)
    close(g, np.clip(3 * x**2, -1.0, 1.0))
    close(fd.vmap(fd.grad(lambda x: clip_gradient(-1.0, 1.0, x) ** 3))(x), g)
    # the bounds get zero cotangents
    glo, ghi = fd.grad(lambda lo, hi: fnp.sum(clip_gradient(lo, hi, x) ** 3), (0, 1))(-1.0, 1.0)
    assert float(glo) == 0.0 and float(ghi) == 0.0


def _tanh_fixed_point_iter(A, b, n=200):
    x = fnp.zeros_like(b)
    for _ in range(n):
        x = fnp.tanh(A @ x + b)
    return x


@fd.custom_vjp
def tanh_fixed_point(A, b):
    """The x with x = tanh(A x + b) (a contraction for ||A|| < 1), by iteration."""

    def not_converged(carry):
        x, x_prev, i = carry
        return (fnp.max(fnp.abs(x - x_prev)) > 1e-15) & (i < 500)

    def step(carry):
        x, _, i = carry
        return fnp.tanh(A @ x + b), x, i + 1

    x0 = fnp.zeros_like(b)
    return fd.while_loop(not_converged, step, (fnp.tanh(b), x0, 0))[0]


def _fp_fwd(A, b):
    x = tanh_fixed_point(A, b)
    return x, (A, b, x)


def _fp_bwd(res, g):
    # implicit function theorem: x = T(x, A, b) with J = dT/dx = diag(1 - x^2) A, so
    # the cotangent u of T's output solves u = g + J^T u, and (A, b) get T's vjp of u
    A, b, x = res
    J = (1.0 - x**2)[:, None] * A
    u = fnp.linalg.solve(fnp.eye(len(x)) - J.T, g)
    _, pullback = fd.vjp(lambda A, b: fnp.tanh(A @ x + b), A, b)
    return pullback(u)


tanh_fixed_point.defvjp(_fp_fwd, _fp_bwd)


def test_implicit_differentiation_of_a_fixed_point():
    n = 4
    rng = np.random.default_rng(1)
    A = 0.5 * rng.normal(size=(n, n)) / np.sqrt(n)
    b = rng.normal(size=n)
    w = rng.normal(size=n)
    x = tanh_fixed_point(A, b)
    close(x, np.tanh(A @ x + b))

    def loss(A, b):
        return fnp.dot(w, tanh_fixed_point(A, b))

    gA, gb = fd.grad(loss, (0, 1))(A, b)
    # against central differences of the solver itself
    close(gb, fd_grad(lambda b: loss(A, b), b), tol=1e-8)
    close(gA, fd_grad(lambda A: loss(A, b), A), tol=1e-8)
    # and against differentiating through the unrolled iteration
    uA, ub = fd.grad(lambda A, b: fnp.dot(w, _tanh_fixed_point_iter(A, b)), (0, 1))(A, b)
    close(gA, uA, tol=1e-10)
    close(gb, ub, tol=1e-10)
    # batched over several right-hand sides
    bs = rng.normal(size=(3, n))
    gbs = fd.vmap(fd.grad(loss, 1), (None, 0))(A, bs)
    for bi, gi in zip(bs, gbs):
        close(gi, fd.grad(loss, 1)(A, bi), tol=1e-12)
