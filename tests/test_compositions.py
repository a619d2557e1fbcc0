"""Every composition of transforms, up to depth 3, agrees with eager `grad`.

A table of small programs uses what tends to break compositions: closures reaching
traced values (attributes, defaults, bound methods, helper functions), custom rules,
control flow on traced values, pytrees and lists of traced values. Each program is
a scalar function of a vector `w`. A composition applies one gradient transform
(`grad`, a `vjp` pullback, `jacfwd`'s forward mode) and up to two value-preserving
ones (`jit`, `checkpoint`, and `vmap` over two points whose results are summed)
in every order. The reference applies the same recipe with eager `grad` and plain
Python in place of the value-preserving transforms; the reference itself is
checked against central differences. Hypothesis draws the points.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from helpers import fd_grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.tree import tree_leaves, tree_map

C = np.array([0.3, -0.8, 1.1])


# ------------------------------------------------------------------ the programs


class Holder:
    pass


def closure_custom_jvp(w):
    h = Holder()
    h.scale = w[0]

    @fd.custom_jvp
    def f(v):
        return fnp.sin(v) * h.scale

    @f.defjvp
    def f_jvp(p, t):
        return f(p[0]), fnp.cos(p[0]) * h.scale * t[0]

    return fnp.sum(f(w * C))


def custom_vjp_default_arg(w):
    @fd.custom_vjp
    def f(v, s=w[1]):
        return fnp.exp(0.5 * v) * s

    f.defvjp(lambda v, s=w[1]: (f(v), fnp.exp(0.5 * v)),
             lambda e, g, s=w[1]: (0.5 * e * s * g,))
    f.defjvp(lambda p, t, s=w[1]: (f(p[0]), 0.5 * fnp.exp(0.5 * p[0]) * s * t[0]))
    return fnp.sum(f(w)) + w[2] ** 2


class Layer:
    def __init__(self, w):
        self.w = w

    def __call__(self, v):
        return fnp.tanh(v * self.w + 0.1)


def checkpoint_bound_method(w):
    return fnp.sum(fd.checkpoint(Layer(w).__call__)(C + w))


def cond_on_traced(w):
    def scale():
        return w[2]

    return fd.cond(w[0] > 0, lambda u: fnp.sum(u ** 3) * scale(),
                   lambda u: fnp.sum(fnp.sin(u)) + scale(), w * C)


def scan_with_closure(w):
    def step(c, x):
        c = fnp.tanh(c * w[0] + x * w[1])
        return c, c * w[2]

    carry, ys = fd.scan(step, 0.2, C)
    return carry + fnp.sum(ys)


def pytree_params(w):
    params = {"a": w[:2], "b": [w[2], w[0] * w[1]]}
    sq = tree_map(lambda p: fnp.sum(p * p), params)
    return sum(tree_leaves(sq)) + fnp.sum(params["a"] * params["b"][0])


def lists_of_tracers(w):
    return fnp.dot([w[0], w[1], w[2]], w) + fnp.sum(fnp.exp([w[1], w[2] * 0.5]))


def fori_with_closure(w):
    return fd.fori_loop(0, 3, lambda i, x: x * fnp.cos(w[0]) + w[1] * i, w[2])


PROGRAMS = {f.__name__: f for f in (
    closure_custom_jvp, custom_vjp_default_arg, checkpoint_bound_method, cond_on_traced,
    scan_with_closure, pytree_params, lists_of_tracers, fori_with_closure,
)}


# ------------------------------------------------------------------ the transforms


def _vmap_sum(f):
    return lambda w: fnp.sum(fd.vmap(f)(fnp.stack([w, 0.9 * w])), axis=0)


def _vmap_sum_ref(f):
    return lambda w: f(w) + f(0.9 * w)


# value-preserving: (transform, what it means in plain Python)
VALUE = {
    "jit": (fd.jit, lambda f: f),
    "checkpoint": (fd.checkpoint, lambda f: f),
    "vmap": (_vmap_sum, _vmap_sum_ref),
}
# gradient transforms, each compared with eager grad
GRADIENT = {
    "grad": fd.grad,
    "vjp": lambda f: lambda w: fd.vjp(f, w)[1](1.0)[0],
    "jacfwd": fd.jacfwd,
}


def _compositions():
    out = []
    for depth in (0, 1, 2):
        for values in itertools.product(sorted(VALUE), repeat=depth):
            for g in sorted(GRADIENT):
                for pos in range(depth + 1):
                    out.append(tuple(values[:pos]) + (g,) + tuple(values[pos:]))
    return sorted(set(out))


COMPOSITIONS = _compositions()  # outermost first, e.g. ("jit", "grad", "vmap")


def _build(names, f, reference):
    for name in reversed(names):
        if name in GRADIENT:
            f = fd.grad(f) if reference else GRADIENT[name](f)
        else:
            f = VALUE[name][1 if reference else 0](f)
    return f


def _points():
    w = arrays(np.float64, 3, elements=st.floats(-1.4, 1.4, allow_subnormal=False))
    return w.filter(lambda w: abs(w[0]) > 0.05 and abs(w[0] * C[0]) > 0.05)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@settings(max_examples=10, deadline=None)
@given(w=_points())
def test_eager_grad_agrees_with_central_differences(name, w):
    f = PROGRAMS[name]
    np.testing.assert_allclose(fd.grad(f)(w), fd_grad(f, w, eps=1e-6), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("names", COMPOSITIONS, ids="-".join)
@settings(max_examples=2, deadline=None)
@given(w=_points())
def test_composition_agrees_with_eager_grad(names, w):
    assume(abs(0.9 * w[0] * C[0]) > 0.05)  # keep cond away from its switch point
    for name, f in PROGRAMS.items():
        got = _build(names, f, reference=False)(w)
        want = _build(names, f, reference=True)(w)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9,
                                   err_msg=f"{name} under {'(' .join(names)}")
        if names == ("grad",):
            np.testing.assert_allclose(want, fd_grad(f, w, eps=1e-6), rtol=1e-6, atol=1e-6)
