"""In-place updates on traced arrays (`y[i] = v`, `y[i] += v`, `y += v`, views): a table of
programs written in NumPy's in-place style next to their functional spelling, with the same
values as plain NumPy and the same derivatives under every transform; aliases and views see
writes as in NumPy; and the errors (arguments, reshape views, dtypes, shapes, levels)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # buffers made inside the function (fnp's creation functions, NumPy's with like=x)
    ("buffer_fill", lambda x: _buffer_fill(x), lambda x: fnp.cumprod(x)),
    ("array_buffer", lambda x: _array_buffer(x),
     lambda x: at(fnp.arange(4.0))[1:3].set(x[:2]) + x),
    ("ufunc_out", lambda x: _ufunc_out(x), lambda x: fnp.where(x > 0, x * x + x, x * x)),
    ("reduction_out", lambda x: _reduction_out(x),
     lambda x: fnp.cumsum(x) * fnp.sum(fnp.cumsum(x))),
    ("copyto", lambda x: _copyto(x),
     lambda x: fnp.stack([fnp.sin(x), fnp.where(x > 0, x, fnp.sin(x))])),
    # a boolean mask written with a value that does not depend on its count: every transform
    ("mask_assign", lambda x: _mask_assign(x),
     lambda x: fnp.where((x > 1.0)[:, None], x, fnp.where(x < 0, 2.0 * x[0], x)[:, None] * x)),
    ("numpy_writers", lambda x: _numpy_writers(x), lambda x: _numpy_writers_functional(x)),
    ("ufunc_at", lambda x: _ufunc_at(x),
     lambda x: at(at(fnp.zeros(4))[np.array([0, 0, 2])].add(x[:3]))[np.array([2, 2])]
     .multiply(x[3])),
    ("methods", lambda x: _methods(x),
     lambda x: at(fnp.partition(x * 2.0, 1))[3].set(x[0] * x[1])),
]


def _mask_assign(x):
    y = x * 1.0
    y[x < 0] = 2.0 * x[0]
    z = fnp.outer(y, x)
    z[x > 1.0] = x  # every selected row
    return z


def _buffer_fill(x):
    y = fnp.zeros(4)
    y[0] = x[0]
    for i in range(1, 4):
        y[i] = y[i - 1] * x[i]
    return y


def _array_buffer(x):
    y = fnp.array([0.0, 1.0, 2.0, 3.0])
    y[1:3] = x[:2]
    y += x
    return y


def _ufunc_out(x):
    y = np.zeros(4, like=x)  # NumPy's creation function with like= a traced value
    np.multiply(x, x, out=y)
    np.add(y, x, out=y, where=x > 0)
    return y


def _reduction_out(x):
    y = fnp.empty_like(x)
    np.cumsum(x, out=y)
    s = fnp.zeros(())
    np.sum(y, out=s)
    y *= s
    return y


def _copyto(x):
    y = fnp.ones((2, 4))
    np.copyto(y, fnp.sin(x))  # broadcast into both rows
    np.copyto(y[1], x, where=x > 0)  # a view: written through
    return y


def _numpy_writers(x):
    y = fnp.zeros((4, 4))
    np.fill_diagonal(y, x)
    np.put(y, [1, 2], x[:2] * 3.0)
    np.putmask(y, y > 1.0, x[3])  # (values cycled over the flat positions)
    np.put_along_axis(y, np.array([[3], [2], [1], [0]]), x[:, None] * 0.5, axis=1)
    return y


def _numpy_writers_functional(x):
    y = fnp.diag(x)
    y = fnp.reshape(at(fnp.ravel(y))[np.array([1, 2])].set(x[:2] * 3.0), (4, 4))
    y = fnp.where(y > 1.0, x[3], y)
    return at(y)[np.arange(4), np.array([3, 2, 1, 0])].set(x * 0.5)


def _ufunc_at(x):
    y = fnp.zeros(4)
    np.add.at(y, [0, 0, 2], x[:3])  # repeats accumulate
    np.multiply.at(y, [2, 2], x[3])
    return y


def _methods(x):
    y = x * 2.0
    y.partition(1)
    y.put([3], x[0] * x[1])
    return y


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
        y = np.zeros(4)  # NumPy's own: a plain array, whatever the transform
        y[0:2] = x[0:2]
        return y

    with pytest.raises(fd.DetachError, match=r"(?s)fnp\.zeros.*fnp\.at\(y\)\[i\]\.set\(x\)"):
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


def test_buffers_are_numpy_arrays_outside_transforms_and_constants_inside():
    for make in (lambda: fnp.zeros(3), lambda: fnp.ones((2, 2)), lambda: fnp.empty(2),
                 lambda: fnp.full(3, 2.0), lambda: fnp.eye(2), lambda: fnp.identity(2),
                 lambda: fnp.zeros_like(X), lambda: fnp.array([1.0, 2.0])):
        assert type(make()) is np.ndarray

    seen = []

    def f(x):
        b = fnp.zeros(3)
        # a constant: Python control flow, conversions and NumPy functions work on it, in
        # every transform (jit too)
        seen.append((float(b[0]), bool(b[1] == 0.0), np.asarray(b).sum()))
        if b[2] == 0.0:
            b[2] = 1.0
        y = x * b  # y = x * [0, 0, 1]
        b[0] = 5.0  # a later write: a new version of b, y keeps the old one
        return fnp.sum(y) + fnp.sum(b)

    want = [0.0, 0.0, 1.0]
    for run in (fd.grad(f), fd.jit(fd.grad(f)), fd.jacfwd(f),
                lambda x: fd.vmap(fd.grad(f))(np.stack([x, x]))[1]):
        np.testing.assert_allclose(run(X[:3]), want)
    assert seen and all(s == (0.0, True, 0.0) for s in seen)


def test_out_and_numpy_writers_raise_clear_errors():
    def numpy_out(x):
        y = np.zeros(4)  # NumPy's: cannot take a differentiated value
        np.sin(x, out=y)
        return fnp.sum(y)

    with pytest.raises(fd.DetachError, match=r"(?s)numpy\.sin\(\.\.\., out=y\).*fnp\.zeros"):
        fd.grad(numpy_out)(X)

    def put_numpy(x):
        y = np.zeros(4)
        fnp.put(y, [0], x[0])
        return fnp.sum(y)

    with pytest.raises(TypeError, match=r"(?s)fnp\.zeros.*inplace=False"):
        fd.grad(put_numpy)(X)

    def wrong_shape(x):
        s = fnp.zeros(2)
        np.sum(x, out=s)
        return s

    with pytest.raises(ValueError, match=r"shape \(\) and the out= array \(2,\)"):
        fd.grad(lambda x: fnp.sum(wrong_shape(x)))(X)

    def wrong_kind(x):
        k = fnp.zeros(4, int)
        np.multiply(x, 2.0, out=k)
        return k

    with pytest.raises(TypeError, match="same_kind"):
        fd.jvp(wrong_kind, (X,), (X,))

    def into_argument(x):
        np.copyto(x, 1.0)
        return fnp.sum(x)

    with pytest.raises(ValueError, match="argument of the transformed function"):
        fd.grad(into_argument)(X)

    # a NumPy out= array takes a value that carries no derivative (NumPy's own behaviour)
    def count(x):
        k = np.zeros(4, bool)
        np.greater(x, 0.0, out=k)
        return fnp.sum(fnp.where(k, x, 0.0))

    np.testing.assert_allclose(fd.grad(count)(X), X > 0)


def test_numpy_arrays_a_derivative_keeps_are_read_only_until_the_transform_ends():
    def later_write(x):
        b = np.zeros(3)  # NumPy's own array: a constant operand
        y = x * b  # reverse mode keeps b for y's derivative (and jit stages it)
        b[0] = 5.0  # would change that derivative (and jit's replayed value)
        return fnp.sum(y)

    for run in (fd.grad(later_write), fd.jit(later_write), fd.jit(fd.grad(later_write))):
        with pytest.raises(ValueError, match="read-only") as info:
            run(X[:3])
        notes = getattr(info.value, "__notes__", [])
        assert len(notes) == 1 and "fnp.zeros" in notes[0] and "later_write" in notes[0]
    np.testing.assert_array_equal(fd.jacfwd(later_write)(X[:3]), 0.0)  # (keeps nothing)

    base = np.ones(4)
    view = base[1:]

    def through_the_base(x):
        y = x * view
        base[1] = 7.0  # the view's base: also read-only meanwhile
        return fnp.sum(y)

    with pytest.raises(ValueError, match="read-only"):
        fd.grad(through_the_base)(X[:3])
    assert base.flags.writeable and view.flags.writeable  # (given back afterwards)

    b = np.ones(3)
    assert np.allclose(fd.grad(lambda x: fnp.sum(x * b))(X[:3]), 1.0)
    b[0] = 2.0  # writable again once grad has returned


def test_pullbacks_keep_their_own_copies_of_numpy_arrays():
    b, x = np.ones(3), X[:3].copy()
    _, pullback = fd.vjp(lambda v: fnp.sum(v * b * v), x)
    _, f_jvp = fd.linearize(lambda v: fnp.sum(v * b * v), x)
    want_vjp, want_jvp = 2 * X[:3], np.sum(2 * X[:3])
    b[:] = 7.0  # the user's arrays, written after the call
    x[:] = 9.0
    np.testing.assert_allclose(pullback(1.0)[0], want_vjp)
    np.testing.assert_allclose(f_jvp(np.ones(3)), want_jvp)


def _filled(y):  # (an empty array's values are whatever memory held: fill it first)
    y.fill(1.5)
    return y


MAKERS = {
    "fnp.zeros": lambda x: fnp.zeros(3), "fnp.ones": lambda x: fnp.ones(3),
    "fnp.empty": lambda x: _filled(fnp.empty(3)), "fnp.full": lambda x: fnp.full(3, 2.0),
    "fnp.eye": lambda x: fnp.eye(3)[1], "fnp.identity": lambda x: fnp.identity(3)[2],
    "fnp.array": lambda x: fnp.array([1.0, 2.0, 3.0]),
    "fnp.zeros_like": lambda x: fnp.zeros_like(x),
    "fnp.full_like": lambda x: fnp.full_like(x, 2.0),
    "fnp.full(traced)": lambda x: fnp.full(3, x[1]),
    "np.zeros(like)": lambda x: np.zeros(3, like=x),
    "np.ones(like)": lambda x: np.ones(3, like=x),
    "np.empty(like)": lambda x: _filled(np.empty(3, like=x)),
    "np.full(like)": lambda x: np.full(3, 2.0, like=x),
    "np.eye(like)": lambda x: np.eye(3, like=x)[0],
    "np.arange(like)": lambda x: np.arange(3.0, like=x),
    "np.array(like)": lambda x: np.array([1.0, 2.0, 3.0], like=x),
    "np.asarray(like)": lambda x: np.asarray([1.0, 2.0, 3.0], like=x),
    "np.zeros_like": lambda x: np.zeros_like(x),
    "np.empty_like": lambda x: _filled(np.empty_like(x)),
}


@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_every_creation_spelling_makes_a_buffer(make):
    def f(x):
        y = make(x)
        y[0] = x[0] * 2.0
        y[1:] += x[1:] ** 2
        return fnp.sum(y * x)

    x = X[:3]
    want = f(np.array(x))  # the same code on NumPy arrays
    assert np.isclose(fd.jit(f)(x), want)
    check_grads(f, (x,), order=2, modes=("fwd", "rev"))
    np.testing.assert_allclose(fd.vmap(fd.grad(f))(np.stack([x, 2 * x]))[1], fd.grad(f)(2 * x))


# -- random in-place programs: NumPy's values, derivatives against finite differences ----

N_BUF = 6


@st.composite
def _programs(draw):
    """A random sequence of in-place operations on a buffer `y` and its slice views."""
    ops = []
    n_views = 0
    for _ in range(draw(st.integers(1, 8))):
        a = draw(st.integers(0, N_BUF - 1))
        b = draw(st.integers(a + 1, N_BUF))
        k = draw(st.integers(0, 3))
        c = draw(st.sampled_from([-1.5, 0.5, 2.0]))
        kind = draw(st.sampled_from(
            ["set", "set_row", "iadd", "imul", "all", "view", "vset", "mask", "sort"]))
        if kind == "vset" and n_views == 0:
            kind = "view"
        if kind == "view":
            n_views += 1
        j = draw(st.integers(0, max(n_views - 1, 0)))
        ops.append((kind, a, b, k, c, j))
    return ops


def _run_program(ops, x):
    """The program on `x` (4,), as NumPy code writes it: the same code runs on NumPy arrays
    (outside transforms) and on traced ones."""
    y = fnp.zeros(N_BUF)
    y[:4] = x
    views = []
    for op in ops:
        _step(y, views, op, x)
    out = fnp.sum(fnp.sin(y) * fnp.arange(1.0, N_BUF + 1))
    for v in views:  # every view sees the writes made after it
        out = out + fnp.sum(v * v)
    return out


@settings(max_examples=40, deadline=None)
@given(_programs(), st.integers(0, 2 ** 32 - 1))
def test_random_in_place_programs(ops, seed):
    x = np.random.default_rng(seed).uniform(-2.0, 2.0, 4)
    f = lambda v: _run_program(ops, v)  # noqa: E731
    want = f(np.array(x))  # plain NumPy
    np.testing.assert_allclose(fd.jit(f)(x), want, rtol=1e-12)
    np.testing.assert_allclose(fd.vmap(f)(np.stack([x, x])), [want, want], rtol=1e-12)
    # (sort and masks make the function piecewise: skip points near a switch)
    ys = _switch_distance(ops, x)
    if ys < 1e-3:
        return
    check_grads(f, (x,), order=1, modes=("fwd", "rev"), eps=1e-6)
    g = fd.grad(f)(x)
    np.testing.assert_allclose(fd.jit(fd.grad(f))(x), g, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fd.jacfwd(f)(x), g, rtol=1e-10, atol=1e-12)


def _switch_distance(ops, x):
    """How far x is from a point where a comparison (mask, sort) of the program flips."""
    dist = np.inf
    for eps in (1e-4, -1e-4):
        for i in range(4):
            xe = np.array(x)
            xe[i] += eps
            if not np.isclose(_trace_of_comparisons(ops, xe), _trace_of_comparisons(ops, x)):
                dist = min(dist, abs(eps))
    return dist


def _trace_of_comparisons(ops, x):
    """A number that changes when any comparison made by the program changes."""
    seen = []
    y = np.zeros(N_BUF)
    y[:4] = x
    views = []
    for kind, a, b, k, c, j in ops:
        if kind == "mask":
            seen.append(np.flatnonzero(y > c).sum() + 7 * (y > c).sum())
        if kind == "sort":
            seen.append(float(np.argsort(y, kind="stable") @ np.arange(N_BUF)))
        _step(y, views, (kind, a, b, k, c, j), x)
    return float(np.sum(np.array(seen, float) * np.arange(1, len(seen) + 1))) if seen else 0.0


def _step(y, views, op, x):
    """One operation of a random program, NumPy code that runs on traced values too."""
    kind, a, b, k, c, j = op
    if kind == "set":
        y[a:b] = x[k] * c
    elif kind == "set_row":
        y[a:b] = np.sin(np.arange(b - a) + x[k])
    elif kind == "iadd":
        y[a:b] += x[k] ** 2
    elif kind == "imul":
        y[a:b] *= c
    elif kind == "all":
        y += c * y[::-1]
    elif kind == "view":
        views.append(y[a:b])
    elif kind == "vset":
        v = views[j]
        v[(a + k) % v.shape[0]] = x[k] * c  # written through into y
    elif kind == "mask":
        y[y > c] = c * x[k]
    else:
        y.sort()


def test_nested_transforms_keep_an_array_read_only_until_the_last_one_ends():
    b = np.ones(3)
    seen = []

    def outer(a):
        g = fd.grad(lambda x: fnp.sum(x * b * a))(np.ones(3))  # both levels keep b
        try:
            b[0] = 5.0  # the inner grad has returned; the outer one still needs b
        except ValueError:
            seen.append("read-only")
        return fnp.sum(g)

    assert fd.grad(outer)(2.0) == 3.0
    assert seen == ["read-only"] and b.flags.writeable and b[0] == 1.0


# NumPy functions that return a new array, where funcdiff's could give back the argument's
# box or a view of it (found by walking every public function on a computed array)
NEW_ARRAYS = {
    "copy": lambda y: fnp.copy(y), "np.copy": lambda y: np.copy(y),
    "positive": lambda y: fnp.positive(y), "astype": lambda y: y.astype(y.dtype),
    "array": lambda y: fnp.array(y), "flatten": lambda y: y.flatten(),
    "tile": lambda y: fnp.tile(y, 1), "repeat": lambda y: fnp.repeat(y, 1),
    "roll": lambda y: fnp.roll(y, 0), "concatenate": lambda y: fnp.concatenate([y]),
    "meshgrid": lambda y: fnp.meshgrid(y, y[:2])[0][0],
}


@pytest.mark.parametrize("new", NEW_ARRAYS.values(), ids=NEW_ARRAYS.keys())
def test_functions_that_return_new_arrays_do_not_alias(new):
    def f(x):
        y = x * 2.0
        z = new(y)
        y[0] = 100.0 * x[1]  # not seen by z, as in NumPy
        z[1] = -x[2]  # not seen by y
        return fnp.concatenate([y, z])

    want = f(np.array(X))
    np.testing.assert_allclose(fd.jit(f)(X), want)
    np.testing.assert_allclose(fd.jacrev(f)(X), fd.jacfwd(f)(X))
    check_grads(lambda x: fnp.sum(fnp.sin(f(x))), (X,), order=1)


def test_a_stop_gradient_result_is_not_the_array_itself():
    def f(x):
        y = x * 2.0
        z = fd.stop_gradient(y)
        with pytest.raises(ValueError, match="view"):
            z[0] = 100.0  # (under grad it was y's own NumPy array: y changed with it)
        return fnp.sum(y * y)

    np.testing.assert_allclose(fd.grad(f)(X), 8.0 * X)
    np.testing.assert_allclose(fd.jacfwd(f)(X), 8.0 * X)


CLOSURES = {  # a staged body closes over a NumPy array; the program outlives the staging
    "fori_loop": lambda c: lambda x: fd.fori_loop(0, 3, lambda i, v: v * c, x),
    "scan": lambda c: lambda x: fd.scan(lambda h, _: (h * c, None), x, None, length=2)[0],
    "cond": lambda c: lambda x: fd.cond(x[0] > 0, lambda v: v * c, lambda v: v, x),
    "checkpoint": lambda c: lambda x: fd.checkpoint(lambda v: v * c)(x),
    "jit": lambda c: lambda x: fd.jit(lambda v: v * c)(x),
}


@pytest.mark.parametrize("body", CLOSURES.values(), ids=CLOSURES.keys())
def test_numpy_arrays_closed_over_by_staged_bodies_stay_read_only(body):
    def later_write(x):
        c = np.full(3, 2.0)
        y = body(c)(x)
        c[0] = 5.0  # the body's program keeps c: it would change the result or derivative
        return fnp.sum(y)

    for run in (fd.grad(later_write), fd.jit(later_write), fd.jit(fd.grad(later_write))):
        with pytest.raises(ValueError, match="read-only"):
            run(X[:3])

    def no_write(x):
        return fnp.sum(body(np.full(3, 2.0))(x))

    # forward mode uses the body at once: the write afterwards is harmless, and allowed
    np.testing.assert_allclose(fd.jacfwd(later_write)(X[:3]), fd.jacfwd(no_write)(X[:3]))

    c = np.full(3, 2.0)  # a pullback keeps copies: writing afterwards changes nothing
    _, pullback = fd.vjp(lambda x: fnp.sum(body(c)(x)), X[:3])
    want = pullback(1.0)[0]
    c[0] = 5.0
    np.testing.assert_array_equal(pullback(1.0)[0], want)
    assert c.flags.writeable
