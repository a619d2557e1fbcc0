"""In-place updates on traced arrays (`y[i] = v`, `y[i] += v`, `y += v`, views): a table of
programs written in NumPy's in-place style next to their functional spelling, with the same
values as plain NumPy and the same derivatives under every transform; aliases and views see
writes as in NumPy; and the errors (arguments, reshape views, dtypes, shapes, levels)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.testing import check_grads

X = np.array([0.7, -1.3, 2.1, 0.4])


def at(y):
    return fnp.at(y)


# (name, in-place program, functional program): each takes x (4,) and returns an array
PROGRAMS = [
    ("setitem", lambda x: _setitem(x), lambda x: at(2.0 * x)[1].set(x[0] ** 2)),
    ("slice_mul", lambda x: _slice_mul(x),
     lambda x: at(x * 1.0)[1:].multiply(fnp.sin(x[:-1]))),
    ("iadd", lambda x: _iadd(x), lambda x: x * x + 1.0),
    ("imul_ipow", lambda x: _imul_ipow(x), lambda x: ((x + 0.0) * x) ** 2),
    ("getitem_iadd", lambda x: _getitem_iadd(x), lambda x: at(x * 3.0)[::2].add(x[1::2])),
    ("fill_loop", lambda x: _fill_loop(x), lambda x: fnp.cumsum(x)),
    ("view_sees", lambda x: _view_sees(x), lambda x: fnp.stack([x[0] * 5.0, x[2]])),
    ("write_through", lambda x: _write_through(x),
     lambda x: at(x * 1.0)[2].set(x[3] * x[1])),
    ("alias", lambda x: _alias(x), lambda x: (x * 2.0 + 1.0) * (x * 2.0 + 1.0)),
    ("boolean_index", lambda x: _boolean(x), lambda x: fnp.where(x > 0, x * 10.0, x)),
]


def _setitem(x):
    y = 2.0 * x
    y[1] = x[0] ** 2
    return y


def _slice_mul(x):
    y = x * 1.0
    y[1:] *= fnp.sin(x[:-1])
    return y


def _iadd(x):
    y = x * x
    y += 1.0
    return y


def _imul_ipow(x):
    y = x + 0.0
    y *= x
    y **= 2
    return y


def _getitem_iadd(x):
    y = x * 3.0
    y[::2] += x[1::2]  # (Python: tmp = y[::2]; tmp += ...; y[::2] = tmp)
    return y


def _fill_loop(x):
    y = x * 0.0
    y[0] = x[0]
    for i in range(1, x.shape[0]):
        y[i] = y[i - 1] + x[i]
    return y


def _view_sees(x):
    y = x * 1.0
    z = y[::2]  # a view: sees the write below, as in NumPy
    y[0] = x[0] * 5.0
    return z * 1.0


def _write_through(x):
    y = x * 1.0
    z = y[2:]
    z[0] = x[3] * x[1]  # writes into y
    return y


def _alias(x):
    y = x * 2.0
    w = y
    y += 1.0  # w is y
    return y * w


def _boolean(x):
    y = x * 1.0
    y[x > 0] *= 10.0
    return y


def _numpy(f, x):
    """The in-place program on plain NumPy arrays (fnp is NumPy outside transforms)."""
    return f(np.array(x, dtype=float))


@pytest.mark.parametrize("name,inplace,functional", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_in_place_programs_equal_their_functional_spelling(name, inplace, functional):
    np.testing.assert_allclose(_numpy(inplace, X), fd.jit(functional)(X), rtol=1e-14)
    loss_i = lambda x: fnp.sum(fnp.sin(inplace(x)))  # noqa: E731
    loss_f = lambda x: fnp.sum(fnp.sin(functional(x)))  # noqa: E731
    np.testing.assert_allclose(loss_i(X), loss_f(X), rtol=1e-14)
    for transform in (fd.grad, fd.jacfwd, fd.hessian):
        np.testing.assert_allclose(transform(loss_i)(X), transform(loss_f)(X), rtol=1e-12,
                                   atol=1e-12)
    np.testing.assert_allclose(fd.jacrev(inplace)(X), fd.jacfwd(inplace)(X), rtol=1e-12,
                               atol=1e-12)
    if name == "boolean_index":  # a mask's result has a data-dependent shape: not in jit/vmap
        with pytest.raises(fd.ConcretizationError, match="boolean mask"):
            fd.jit(fd.grad(loss_i))(X)
        return
    np.testing.assert_allclose(fd.jit(fd.grad(loss_i))(X), fd.grad(loss_f)(X), rtol=1e-12)
    xs = np.stack([X, X[::-1], X * 0.5])
    np.testing.assert_allclose(fd.vmap(fd.grad(loss_i))(xs),
                               np.stack([fd.grad(loss_f)(x) for x in xs]), rtol=1e-12)
    check_grads(loss_i, (X,), order=2, modes=("fwd", "rev"))


def test_the_caller_array_is_never_changed():
    x = X.copy()
    fd.grad(lambda v: fnp.sum(_setitem(v)))(x)
    np.testing.assert_array_equal(x, X)


def test_writing_into_an_argument_raises_in_every_transform():
    def f(v):
        v[0] = 1.0
        return fnp.sum(v)

    def g(v):
        v += 1.0
        return fnp.sum(v)

    for h in (f, g):
        for run in (lambda h: fd.grad(h)(X), lambda h: fd.jvp(h, (X,), (X,)),
                    lambda h: fd.vmap(h)(np.stack([X, X])), lambda h: fd.jit(h)(X)):
            with pytest.raises(ValueError, match="argument of the transformed function"):
                run(h)


def test_a_copy_is_a_new_array():
    def f(v):
        w = v.copy()
        w[0] = 0.0
        return fnp.sum(w * v)

    np.testing.assert_allclose(fd.grad(f)(X), [0.0, *(2 * X[1:])])


def test_writing_into_a_reshape_view_raises():
    def f(v):
        y = v * 1.0
        z = y.reshape(2, 2)
        z[0, 0] = 5.0
        return fnp.sum(y)

    with pytest.raises(ValueError, match="view of another traced array made by `reshape`"):
        fd.grad(f)(X)


def test_dtypes_and_shapes_follow_numpy():
    def widen(v):
        y = v * 1.0
        y += np.ones((2, 4))  # NumPy: non-broadcastable output operand
        return y

    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        fd.grad(lambda v: fnp.sum(widen(v)))(X)

    def to_int(v):
        k = fnp.astype(v, np.int64)
        k += v  # NumPy: cannot cast float64 to int64 with 'same_kind'
        return k

    with pytest.raises(TypeError, match="same_kind"):
        fd.jvp(to_int, (X,), (X,))

    def f32(v):  # setitem casts to the array's dtype, as NumPy does
        y = fnp.zeros(4, np.float32) + fnp.astype(v, np.float32)
        y[0] = v[1] * 2.0
        return y

    out = fd.jit(f32)(X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, _numpy(lambda x: _f32_numpy(x), X), rtol=1e-6)


def _f32_numpy(v):
    y = np.zeros(4, np.float32) + v.astype(np.float32)
    y[0] = v[1] * 2.0
    return y


def test_a_value_of_an_inner_transform_cannot_be_written_into_an_outer_array():
    def f(v):
        y = v * 1.0

        def inner(s):
            y[0] = s  # y belongs to the outer grad, s to the inner one
            return s

        fd.grad(inner)(1.0)
        return fnp.sum(y)

    with pytest.raises(TypeError, match="traced by a transform that this array is not part of"):
        fd.grad(f)(X)


def test_the_in_place_page_examples_run():
    text = (Path(__file__).resolve().parents[1] / "docs" / "in-place.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 2
    namespace = {"__name__": "in_place_page"}
    for block in blocks:
        exec(compile(block, "docs/in-place.md", "exec"), namespace)


def test_sibling_views_of_a_temporary_see_each_others_writes():
    def f(x):
        t = x * 1.0
        a, b = t[1:], t[2:]  # both views of t
        del t  # (NumPy keeps the base alive through its views; so does funcdiff)
        a[1] = x[0] * 7.0  # t[2]: b[0]
        return b * 1.0

    want = np.array([X[0] * 7.0, X[3]])
    np.testing.assert_allclose(f(np.array(X)), want)
    np.testing.assert_allclose(fd.jit(f)(X), want)
    np.testing.assert_allclose(fd.jacrev(f)(X), [[7.0, 0, 0, 0], [0, 0, 0, 1.0]])


def test_views_of_views_are_kept_up_to_date():
    def f(x):
        y = x * 1.0
        z = y[1:]
        w = z[1:]  # y[2:]
        w[0] = 100.0 * x[0]  # y[2]
        y[3] = -1.0
        return fnp.stack([y[2], z[1], w[1], z[2]])

    want = [100.0 * X[0], 100.0 * X[0], -1.0, -1.0]
    np.testing.assert_allclose(f(np.array(X)), want)
    np.testing.assert_allclose(fd.grad(lambda x: fnp.sum(f(x)))(X), [200.0, 0, 0, 0])


def test_sort_and_fill_write_in_place_like_numpy():
    def f(x):
        y = x * 2.0
        w = y  # an alias sees it
        y.sort()
        z = x * 0.0
        z.fill(3.0)
        return w * z

    np.testing.assert_allclose(f(np.array(X)), np.sort(2 * X) * 3.0)
    for transform in (fd.jacrev, fd.jacfwd, lambda f: fd.jit(fd.jacrev(f))):
        np.testing.assert_allclose(transform(f)(X), np.eye(4)[np.argsort(X)] * 6.0)
    with pytest.raises(ValueError, match="argument"):
        fd.grad(lambda v: v.sort() or fnp.sum(v))(X)


def test_a_value_of_an_enclosing_transform_can_be_written():
    def outer(a):
        def inner(x):
            y = x * 1.0
            y[0] = a * x[0]  # a: traced by the outer grad, y by the inner one
            return fnp.sum(y * y)

        return fd.grad(inner)(X)[0]  # 2 a**2 X[0]

    assert np.isclose(fd.grad(outer)(3.0), 4 * 3.0 * X[0])


def test_other_numpy_views_are_kept_up_to_date_too():
    def f(x):
        y = x * 1.0
        z = y.real  # NumPy: y itself (a view)
        d = fnp.diagonal(fnp.reshape(y, (2, 2)))  # a view of a view
        y[0] = 5.0 * x[1]
        return fnp.concatenate([z, d])

    want = f(np.array(X))
    assert want[0] == 5.0 * X[1] and want[4] == 5.0 * X[1]
    np.testing.assert_allclose(fd.jit(f)(X), want)
    np.testing.assert_allclose(fd.jacrev(f)(X)[:, 1], [5.0, 1, 0, 0, 5.0, 0])


def test_a_numpy_buffer_becomes_writable_after_one_functional_update():
    def f(x):
        y = fnp.zeros(4)
        y = fnp.at(y)[0].set(x[0])  # now traced
        for i in range(1, 4):
            y[i] = y[i - 1] * x[i]
        return y

    want = np.cumprod(X)
    np.testing.assert_allclose(f(np.array(X)), want)
    np.testing.assert_allclose(fd.jit(f)(X), want)
    np.testing.assert_allclose(fd.jacrev(f)(X), fd.jacfwd(f)(X), rtol=1e-12)
    np.testing.assert_allclose(fd.jacrev(f)(X)[3], want[3] / X)

    def bad(x):
        y = fnp.zeros(4)
        y[0:2] = x[0:2]
        return y

    with pytest.raises(fd.DetachError, match=r"fnp\.at\(y\)\[i\]\.set\(x\)"):
        fd.grad(lambda x: fnp.sum(bad(x)))(X)


def test_a_view_at_a_traced_index_sees_writes_under_jit_and_vmap():
    def f(x, i):
        y = fnp.reshape(x, (2, 2)) * 1.0
        z = y[i]  # a row view; i is traced under jit and vmap
        y[0, 1] = 9.0
        return z * 1.0

    for i in (0, 1):
        want = f(np.array(X), i)
        np.testing.assert_allclose(fd.jit(f)(X, i), want)
    xs, idx = np.stack([X, X[::-1]]), np.array([0, 1])
    np.testing.assert_allclose(fd.vmap(f)(xs, idx),
                               np.stack([f(np.array(x), i) for x, i in zip(xs, idx)]))

    def through(x, i):  # writing into such a view: NumPy writes through; refused
        y = fnp.reshape(x, (2, 2)) * 1.0
        z = y[i]
        z[0] = 1.0
        return y

    with pytest.raises(ValueError, match="view of another traced array"):
        fd.jit(through)(X, 0)
