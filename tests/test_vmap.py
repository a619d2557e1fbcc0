"""vmap: axes, sizes, errors, collectives, composition with grad, and Jacobians."""

import collections

import numpy as np
import pytest
from helpers import fd_grad, fd_jac

import funcdiff as fd
import funcdiff.numpy as fnp

rng = np.random.default_rng(0)


def loop(f, in_axes, args, out_axis=0):
    """Reference: apply f to each slice in a Python loop and stack."""
    sizes = {np.shape(a)[ax] for a, ax in zip(args, in_axes) if ax is not None}
    (n,) = sizes
    outs = []
    for i in range(n):
        sl = [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, in_axes)]
        outs.append(np.asarray(f(*sl)))
    return np.stack(outs, axis=out_axis) if outs else None


BINARY = [fnp.add, fnp.multiply, fnp.subtract, fnp.maximum, fnp.arctan2, fnp.divide]
AXES = [0, 1, -1, None]


@pytest.mark.parametrize("f", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("ax0", AXES)
@pytest.mark.parametrize("ax1", AXES)
@pytest.mark.parametrize("n", [1, 3])
def test_binary_elementwise_against_loop(f, ax0, ax1, n):
    if ax0 is None and ax1 is None:
        return  # nothing mapped: covered by test_axis_size

    def arg(ax):
        if ax is None:
            return rng.uniform(0.5, 2.0, (4,))
        shape = [4, 4]
        shape.insert(ax % 3 if ax < 0 else ax, n)
        return rng.uniform(0.5, 2.0, shape)

    x, y = arg(ax0), arg(ax1)
    got = fd.vmap(f, in_axes=(ax0, ax1))(x, y)
    want = loop(f, (ax0, ax1), (x, y))
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("n", [0, 1, 3])
def test_batch_sizes(n):
    x = rng.normal(size=(n, 2))
    got = fd.vmap(lambda v: fnp.sin(v) * v)(x)
    assert got.shape == (n, 2)
    np.testing.assert_allclose(got, np.sin(x) * x)


def test_out_axes_and_unbatched_outputs():
    x = rng.normal(size=(3, 2))
    out = fd.vmap(lambda v: (v * 2, 5.0), out_axes=(1, None))(x)
    np.testing.assert_allclose(out[0], (x * 2).T)
    assert out[1] == 5.0
    out = fd.vmap(lambda v: 5.0, out_axes=0)(x)  # unbatched output is broadcast
    np.testing.assert_allclose(out, np.full(3, 5.0))
    with pytest.raises(ValueError, match="out_axes=None"):
        fd.vmap(lambda v: v, out_axes=None)(x)


def test_pytree_in_axes_prefix_and_kwargs():
    Point = collections.namedtuple("Point", "x y")
    p = Point(rng.normal(size=(3, 2)), rng.normal(size=(2,)))
    got = fd.vmap(lambda p, s: p.x * p.y * s, in_axes=(Point(0, None), None))(p, 2.0)
    np.testing.assert_allclose(got, p.x * p.y * 2.0)
    got = fd.vmap(lambda a, *, b: a + b)(np.ones((3, 2)), b=np.arange(3.0)[:, None] * np.ones(2))
    np.testing.assert_allclose(got, 1.0 + np.arange(3.0)[:, None] * np.ones(2))
    d = {"a": np.ones((2, 3)), "b": np.ones(3)}
    got = fd.vmap(lambda d: d["a"] * d["b"], in_axes=({"a": 1, "b": 0},))(d)
    np.testing.assert_allclose(got, np.ones((3, 2)))


def test_axis_size():
    out = fd.vmap(lambda a: a * 2.0, in_axes=None, axis_size=4)(1.5)
    np.testing.assert_allclose(out, np.full(4, 3.0))
    with pytest.raises(ValueError, match="axis_size"):
        fd.vmap(lambda a: a, in_axes=None)(1.0)


def test_size_mismatch_lists_every_argument():
    with pytest.raises(ValueError) as e:
        fd.vmap(lambda a, b: a + b)(np.ones(3), {"w": np.ones(4)})
    msg = str(e.value)
    assert "argument 0: size 3" in msg and "size 4" in msg and "'w'" in msg


def test_in_axes_errors():
    with pytest.raises(ValueError, match="in_axes"):
        fd.vmap(lambda a: a, in_axes=(0, 0))(np.ones(3))
    with pytest.raises(ValueError, match="out of range"):
        fd.vmap(lambda a: a, in_axes=2)(np.ones(3))


def test_batched_values_are_abstract():
    with pytest.raises(fd.ConcretizationError, match="vmap") as e:
        fd.vmap(lambda a: 1.0 if a > 0 else 0.0)(np.ones(3))
    assert "where" in str(e.value) and "cond" in str(e.value)
    # values that do not depend on the mapped axis stay concrete
    out = fd.vmap(lambda a, c: a * (2.0 if c > 0 else 3.0), in_axes=(0, None))(np.ones(2), 1.0)
    np.testing.assert_allclose(out, [2.0, 2.0])


def test_vmap_of_grad_equals_loop_of_grad():
    f = lambda w, x: fnp.sum(fnp.tanh(w * x) ** 2)  # noqa: E731
    w = rng.normal(size=3)
    xs = rng.normal(size=(5, 3))
    got = fd.vmap(fd.grad(f), in_axes=(None, 0))(w, xs)
    want = np.stack([fd.grad(f)(w, x) for x in xs])
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_grad_of_vmap_and_vmap_of_vmap():
    x = rng.normal(size=(4, 3))
    g = fd.grad(lambda x: fnp.sum(fd.vmap(lambda r: fnp.sin(r) * r)(x)))(x)
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-12)
    vv = fd.vmap(fd.vmap(lambda a, b: a * b, in_axes=(0, None)), in_axes=(None, 0))
    np.testing.assert_allclose(
        vv(np.arange(3.0), np.arange(4.0)), np.outer(np.arange(4.0), np.arange(3.0))
    )


def test_jvp_of_vmap_and_vmap_of_jvp():
    x = rng.normal(size=5)
    t = rng.normal(size=5)
    y, ty = fd.jvp(fd.vmap(fnp.sin), (x,), (t,))
    np.testing.assert_allclose(ty, np.cos(x) * t)
    y2, ty2 = fd.vmap(lambda a, b: fd.jvp(fnp.sin, (a,), (b,)))(x, t)
    np.testing.assert_allclose(ty2, np.cos(x) * t)


def test_collectives():
    x = rng.normal(size=4)
    np.testing.assert_allclose(
        fd.vmap(lambda v: fd.psum(v, "i"), axis_name="i")(x), np.full(4, x.sum())
    )
    np.testing.assert_allclose(
        fd.vmap(lambda v: v - fd.pmean(v, "i"), axis_name="i")(x), x - x.mean()
    )
    np.testing.assert_allclose(
        fd.vmap(lambda v: fd.pmax(v, "i"), axis_name="i")(x), np.full(4, x.max())
    )
    np.testing.assert_allclose(
        fd.vmap(lambda v: fd.pmin(v, "i"), axis_name="i")(x), np.full(4, x.min())
    )
    np.testing.assert_allclose(
        fd.vmap(lambda v: v * fd.axis_index("i"), axis_name="i")(x), x * np.arange(4)
    )


def test_nested_collectives_with_names():
    x = rng.normal(size=(3, 4))
    f = fd.vmap(
        fd.vmap(lambda v: fd.psum(v, "i") + 10 * fd.psum(v, "j"), axis_name="j"), axis_name="i"
    )
    want = x.sum(0, keepdims=True) + 10 * x.sum(1, keepdims=True)
    np.testing.assert_allclose(f(x), want)
    with pytest.raises(NameError, match="unbound axis name"):
        fd.vmap(lambda v: fd.psum(v, "k"), axis_name="i")(x)


def test_collectives_are_differentiable():
    x = rng.normal(size=4)

    # d/dx_j sum_k (x_k / sum(x)) ** 2 through pmean and psum against finite differences
    def f(x):
        return fnp.sum(fd.vmap(lambda v: (v / fd.psum(v, "i")) ** 2, axis_name="i")(x))

    g = fd.grad(f)(x)
    fdiff = fd_grad(f, x, eps=1e-6)
    np.testing.assert_allclose(g, fdiff, rtol=1e-6)
    _, t = fd.jvp(f, (x,), (np.ones(4),))
    np.testing.assert_allclose(t, fdiff.sum(), rtol=1e-6)


def test_jacobians_match_finite_differences():
    f = lambda x: fnp.sin(x) * x[::-1]  # noqa: E731
    x = rng.normal(size=(2, 3))
    jf, jr = fd.jacfwd(f)(x), fd.jacrev(f)(x)
    assert jf.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(jf, jr, rtol=1e-12)
    np.testing.assert_allclose(jf, fd_jac(f, x, eps=1e-6), rtol=1e-6, atol=1e-8)


def test_jacobian_pytrees_argnums_has_aux():
    def f(p, x):
        return {"y": p["w"] * x, "z": fnp.sin(p["b"]) * 2.0}, "aux"

    p = {"w": rng.normal(size=3), "b": 0.3}
    x = rng.normal(size=3)
    for jac in (fd.jacfwd, fd.jacrev):
        j, aux = jac(f, has_aux=True)(p, x)
        assert aux == "aux"
        np.testing.assert_allclose(j["y"]["w"], np.diag(x))
        assert np.shape(j["y"]["b"]) == (3,)
        np.testing.assert_allclose(j["z"]["b"], 2.0 * np.cos(0.3))
        jx = jac(lambda p, x: f(p, x)[0]["y"], argnums=(0, 1))(p, x)
        np.testing.assert_allclose(jx[1], np.diag(p["w"]))


def test_hessian():
    f = lambda x: fnp.sin(x[0]) * x[1] ** 2  # noqa: E731
    x = np.array([0.3, 1.7])
    h = fd.hessian(f)(x)
    a, b = x
    want = np.array([[-np.sin(a) * b**2, 2 * b * np.cos(a)], [2 * b * np.cos(a), 2 * np.sin(a)]])
    np.testing.assert_allclose(h, want, rtol=1e-12)


def test_hvp_forward_over_reverse():
    f = lambda x: fnp.sum(fnp.sin(x) * x)  # noqa: E731
    x = rng.normal(size=4)
    v = rng.normal(size=4)
    _, hv = fd.jvp(fd.grad(f), (x,), (v,))
    h = np.diag(2 * np.cos(x) - x * np.sin(x))
    np.testing.assert_allclose(hv, h @ v, rtol=1e-12)
