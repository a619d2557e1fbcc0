"""funcdiff.scipy.special: values against SciPy, derivatives against finite differences,
stability at extreme inputs, vmap against a loop, dtypes, and the package import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")

import scipy.special as sc  # noqa: E402
from helpers import inside_jvp  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import funcdiff as fd  # noqa: E402
import funcdiff.numpy as fnp  # noqa: E402
from funcdiff._src.core import Primitive  # noqa: E402
from funcdiff._src.scipy import special as fsp_impl  # noqa: E402
from funcdiff.scipy import special as fsp  # noqa: E402
from funcdiff.testing import arrays, check_grads  # noqa: E402

X = np.array([0.3, 0.7, 1.6])

# name, arguments inside the domain (fixed points), derivative order to check
ELEMENTWISE = [
    ("gamma", (X + 0.5,), 3),
    ("gammaln", (X + 0.5,), 3),
    ("loggamma", (X + 0.5,), 2),
    ("rgamma", (X - 2.2,), 2),
    ("digamma", (X,), 2),
    ("psi", (X,), 2),
    ("erf", (X - 1.0,), 3),
    ("erfc", (X - 1.0,), 2),
    ("erfinv", (X / 2 - 0.3,), 2),
    ("erfcinv", (X / 2 + 0.2,), 2),
    ("ndtr", (X - 1.0,), 2),
    ("ndtri", (X / 2 + 0.1,), 2),
    ("log_ndtr", (np.array([-40.0, -3.0, 0.5, 10.0]),), 2),
    ("log_ndtr", (np.array([-10.0, -3.0, 0.5, 10.0]),), 3),  # see test_log_ndtr_tail_accuracy
    ("expit", (X - 1.0,), 3),
    ("logit", (X / 2,), 2),
    ("log_expit", (X - 1.0,), 2),
    ("i0", (X - 1.0,), 2),
    ("i1", (X - 1.0,), 2),
    ("j0", (X,), 2),
    ("j1", (X,), 2),
    ("y0", (X,), 2),
    ("y1", (X,), 2),
    ("entr", (X,), 2),
    ("beta", (X + 0.2, X[::-1] + 0.5), 2),
    ("betaln", (X + 0.2, X[::-1] + 0.5), 2),
    ("xlogy", (X - 0.5, X), 2),
    ("xlog1py", (X - 0.5, X), 2),
    ("kl_div", (X, X[::-1]), 2),
    ("rel_entr", (X, X[::-1]), 2),
    ("gammainc", (X + 0.5, X[::-1]), 2),
    ("gammaincc", (X + 0.5, X[::-1]), 2),
    ("betainc", (X + 0.5, X[::-1] + 0.3, X / 2), 2),
    ("betaincc", (X + 0.5, X[::-1] + 0.3, X / 2), 2),
    ("stdtr", (X + 1.0, X - 1.0), 2),
    ("iv", (X - 0.2, X + 0.1), 2),
    ("ive", (X - 0.2, X + 0.5), 2),
    ("jv", (X + 0.2, X + 0.1), 2),
    ("zeta", (X + 1.5,), 2),
    ("zeta", (X + 1.5, X + 0.5), 2),
]
IDS = [f"{name}{len(args)}" for name, args, _ in ELEMENTWISE]


@pytest.mark.parametrize("name,args,order", ELEMENTWISE, ids=IDS)
def test_elementwise_values_and_grads(name, args, order):
    f, ref = getattr(fsp, name), getattr(sc, name)
    out = f(*args)
    assert type(out) is type(ref(*args)) and np.array_equal(out, ref(*args))
    np.testing.assert_allclose(inside_jvp(f, *args), ref(*args), rtol=1e-14)
    check_grads(f, args, order=order, modes=("fwd", "rev"))


@pytest.mark.parametrize("name,n", [("polygamma", 2), ("jn", 3), ("yn", 2), ("jn", 0)])
def test_integer_orders(name, n):
    f, ref = getattr(fsp, name), getattr(sc, name)
    np.testing.assert_allclose(inside_jvp(lambda x: f(n, x), X + 0.5), ref(n, X + 0.5), rtol=1e-14)
    check_grads(lambda x: f(n, x), (X + 0.5,), order=2)
    # the order has no derivative
    assert fd.grad(lambda m: f(m, 1.5))(float(n)) == 0.0


def test_integer_order_arrays_iv_ive():
    v = np.array([0.0, 1.0, 2.0])
    check_grads(lambda x: fsp.ive(v, x), (X - 0.5,), order=3)
    check_grads(lambda x: fsp.iv(v, x), (X - 0.5,), order=2)


def test_multigammaln():
    a = X + 2.0
    np.testing.assert_allclose(inside_jvp(lambda a: fsp.multigammaln(a, 3), a),
                               sc.multigammaln(a, 3), rtol=1e-14)
    check_grads(lambda a: fsp.multigammaln(a, 3), (a,), order=2)
    assert fsp.multigammaln(a, 3).dtype == sc.multigammaln(a, 3).dtype


def test_closed_form_derivatives():
    g = fd.grad(fsp.gammainc, argnums=1)(2.5, 1.2)
    np.testing.assert_allclose(g, 1.2**1.5 * np.exp(-1.2) / sc.gamma(2.5), rtol=1e-14)
    np.testing.assert_allclose(fd.grad(fsp.digamma)(0.7), sc.polygamma(1, 0.7), rtol=1e-14)
    np.testing.assert_allclose(fd.grad(fsp.zeta, argnums=1)(3.0, 1.5), -3 * sc.zeta(4.0, 1.5),
                               rtol=1e-14)
    np.testing.assert_allclose(fd.grad(lambda x: fsp.jn(2, x))(1.5),
                               (sc.jn(1, 1.5) - sc.jn(3, 1.5)) / 2, rtol=1e-14)
    # d/dx 1/Gamma(x) at its zeros x = -n is (-1)^n n!
    for n in range(4):
        assert fd.grad(fsp.rgamma)(-float(n)) == pytest.approx((-1) ** n * sc.factorial(n))


def test_numerical_parameter_derivatives_are_accurate():
    # d/da gammainc(a, x) against a Richardson-extrapolated difference of SciPy
    def richardson(f, a, h=1e-2):
        d = lambda h: (f(a + h) - f(a - h)) / (2 * h)  # noqa: E731
        return (4 * d(h / 2) - d(h)) / 3

    for a, x in [(0.05, 0.3), (3.0, 10.0), (50.0, 45.0), (20.0, 1.0)]:
        want = richardson(lambda a, x=x: sc.gammainc(a, x), a, 1e-3 * a)
        got = fd.grad(fsp.gammainc)(a, x)
        np.testing.assert_allclose(got, want, rtol=1e-7)
    got = fd.grad(fsp.betainc, argnums=1)(2.0, 3.0, 0.4)
    np.testing.assert_allclose(got, richardson(lambda b: sc.betainc(2.0, b, 0.4), 3.0), rtol=1e-7)


@given(arrays(dtype=np.float64, min_value=0.05, max_value=8.0))
def test_hypothesis_unary_values(x):
    for name in ("gammaln", "digamma", "erf", "expit", "i1", "j0", "entr", "log_ndtr"):
        f, ref = getattr(fsp, name), getattr(sc, name)
        np.testing.assert_allclose(inside_jvp(f, x), ref(x), rtol=1e-13, atol=1e-300)


@given(st.data())
def test_hypothesis_binary_broadcast(data):
    from funcdiff.testing import broadcastable_shapes

    s1, s2 = data.draw(broadcastable_shapes(2, max_dims=2))
    a = data.draw(arrays(s1, min_value=0.2, max_value=5.0))
    x = data.draw(arrays(s2, min_value=0.2, max_value=5.0))
    for name in ("gammainc", "xlogy", "betaln", "kl_div"):
        f, ref = getattr(fsp, name), getattr(sc, name)
        np.testing.assert_allclose(inside_jvp(f, a, x), ref(a, x), rtol=1e-13)
    check_grads(lambda a, x: fsp.gammainc(a, x) * fsp.xlogy(a, x), (a, x), order=1)


# -- logsumexp, softmax, log_softmax -------------------------------------------------------
LSE_CASES = [
    dict(), dict(axis=0), dict(axis=-1), dict(axis=(0, 1)), dict(axis=1, keepdims=True),
    dict(keepdims=True),
]


@pytest.mark.parametrize("kw", LSE_CASES, ids=str)
def test_logsumexp_values_and_grads(kw):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    b = rng.random((3, 4)) + 0.1
    np.testing.assert_allclose(inside_jvp(lambda a: fsp.logsumexp(a, **kw), a),
                               sc.logsumexp(a, **kw), rtol=1e-14)
    np.testing.assert_allclose(inside_jvp(lambda a, b: fsp.logsumexp(a, b=b, **kw), a, b),
                               sc.logsumexp(a, b=b, **kw), rtol=1e-14)
    check_grads(lambda a: fsp.logsumexp(a, **kw), (a,), order=2)
    check_grads(lambda a, b: fsp.logsumexp(a, b=b, **kw), (a, b), order=2)
    # signed sums
    bs = b - 0.5
    got = inside_jvp(lambda a, b: fsp.logsumexp(a, b=b, return_sign=True, **kw), a, bs)
    want = sc.logsumexp(a, b=bs, return_sign=True, **kw)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_array_equal(got[1], want[1])
    check_grads(lambda a, b: fsp.logsumexp(a, b=b, return_sign=True, **kw)[0], (a, bs), order=2)


def test_logsumexp_edge_cases():
    cases = [
        (np.array([-np.inf, -np.inf]), None),
        (np.array([-np.inf, 0.0]), None),
        (np.array([2000.0, 1.0]), np.array([0.0, 1.0])),  # b == 0 ignores its term
        (np.array([1.0, 2.0]), np.array([1.0, -1.0])),  # negative sum: NaN
        (np.float64(3.0), None),
        (np.zeros((2, 0)), None),
    ]
    for a, b in cases:
        axis = -1 if np.size(a) == 0 else None
        want = sc.logsumexp(a, b=b, axis=axis)
        got = fd.jvp(lambda a, b=b, axis=axis: fsp.logsumexp(a, b=b, axis=axis), (a,),
                     (np.ones_like(a),))[0]
        np.testing.assert_allclose(got, want)
        assert np.shape(got) == np.shape(want)
    g = fd.grad(lambda b: fsp.logsumexp(np.array([0.0, 1.0]), b=b))(np.array([0.0, 1.0]))
    np.testing.assert_allclose(g, np.exp(np.array([0.0, 1.0]) - 1.0))
    z = np.array([1.0 + 1j, 2.0 - 0.5j])
    np.testing.assert_allclose(inside_jvp(fsp.logsumexp, z), sc.logsumexp(z))


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_softmax_log_softmax(axis):
    a = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_allclose(inside_jvp(lambda a: fsp.softmax(a, axis), a), sc.softmax(a, axis),
                               rtol=1e-13)
    np.testing.assert_allclose(inside_jvp(lambda a: fsp.log_softmax(a, axis), a),
                               sc.log_softmax(a, axis), rtol=1e-13)
    check_grads(lambda a: fsp.softmax(a, axis), (a,), order=2)
    check_grads(lambda a: fsp.log_softmax(a, axis), (a,), order=2)


# -- stability at extreme inputs ---------------------------------------------------------------
BIG = np.array([-1000.0, 1000.0])
STABLE = {
    "logsumexp": lambda x: fsp.logsumexp(fnp.stack([x, -x, 3.0 * x, 0.0 * x])),
    "logsumexp_b": lambda x: fsp.logsumexp(fnp.stack([x, -x]), b=np.array([0.5, 2.0])),
    "softmax": lambda x: fsp.softmax(fnp.stack([x, -x, 3.0 * x]))[0],
    "log_softmax": lambda x: fsp.log_softmax(fnp.stack([x, -x, 3.0 * x]))[1],
    "logaddexp": lambda x: fnp.logaddexp(x, 0.5 * x),
    "expit": fsp.expit,
    "log_expit": fsp.log_expit,
    "log_ndtr": fsp.log_ndtr,
    "xlogy": lambda x: fsp.xlogy(x, 2.0),
    "xlogy_y": lambda x: fsp.xlogy(0.5, fnp.abs(x)),
    "logit": lambda x: fsp.logit(fsp.expit(x / 50.0)),
}


@pytest.mark.parametrize("name", list(STABLE))
def test_finite_values_and_derivatives_at_extremes(name):
    f = STABLE[name]
    g = fd.grad(f)
    h = fd.grad(g)
    for fun in (f, g, h):
        out = fd.vmap(fun)(BIG)
        assert np.all(np.isfinite(out)), (name, out)
    np.testing.assert_allclose(fd.vmap(f)(BIG), [f(x) for x in BIG])


def test_stable_known_values():
    assert fsp.logsumexp(BIG) == 1000.0
    np.testing.assert_allclose(fd.grad(fsp.logsumexp)(BIG), [0.0, 1.0])
    np.testing.assert_allclose(fd.grad(lambda x: fsp.log_softmax(x)[0])(BIG), [1.0, -1.0])
    np.testing.assert_allclose(fd.grad(fsp.log_ndtr)(-40.0), 40.02498, rtol=1e-6)


def test_log_ndtr_tail_accuracy():
    # derivatives of log(Phi(x)) to 40 digits (mpmath), against nested grad: the
    # accuracy the docstring states for the lower tail
    want = {
        -40.0: [40.0249688472073, -0.999377331621409, 3.10174403964862e-5],
        -10.0: [10.0980932339625, -0.990554622174344, 1.78640039211651e-3],
    }
    rtol = {-40.0: [1e-12, 1e-9, 1e-3], -10.0: [1e-13, 1e-11, 1e-8]}
    for x, values in want.items():
        g = fsp.log_ndtr
        for k, value in enumerate(values):
            g = fd.grad(g)
            np.testing.assert_allclose(g(x), value, rtol=rtol[x][k])
    # logit near 0 and 1: finite values and derivatives
    for p in (1e-300, 1.0 - 1e-16):
        assert np.isfinite(fd.grad(fsp.logit)(p)) and np.isfinite(fsp.logit(p))


def test_xlogy_conventions():
    # 0 at x == 0 (even where log is -inf), with zero gradient there
    assert fsp.xlogy(0.0, 0.0) == 0.0
    assert fd.grad(fsp.xlogy, argnums=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    assert fd.grad(fsp.xlogy, argnums=1)(0.0, 2.0) == 0.0
    assert fd.grad(fsp.xlogy, argnums=0)(0.0, 2.0) == np.log(2.0)
    assert fd.grad(lambda p: fsp.xlogy(p, p))(0.0) == 0.0
    assert fd.grad(fsp.xlog1py, argnums=(0, 1))(0.0, -1.0) == (0.0, 0.0)
    assert fd.grad(fsp.entr)(0.0) == 0.0
    assert fd.grad(fsp.kl_div, argnums=(0, 1))(0.0, 2.0) == (0.0, 1.0)
    assert fd.grad(fsp.rel_entr, argnums=(0, 1))(0.0, 2.0) == (0.0, 0.0)
    # an unselected branch never turns into NaN
    g = fd.grad(lambda x: fnp.sum(fnp.where(x > 0, fsp.xlogy(x, x), 0.0)))(np.array([0.0, 1.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0])


# -- vmap, jit, dtypes ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["gammainc", "betaln", "xlogy", "iv", "stdtr"])
@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None), (1, -1)])
def test_vmap_matches_loop(name, in_axes):
    f = getattr(fsp, name)
    rng = np.random.default_rng(2)
    a = rng.random((3, 2)) + 0.5
    x = rng.random((3, 2)) + 0.1
    args = [a if ax is None else np.moveaxis(np.stack([a, a + 0.3, a + 1.0]), 0, ax)
            for a, ax in zip((a, x), in_axes)]
    out = fd.vmap(f, in_axes=in_axes)(*args)
    loop = np.stack([f(*[u if ax is None else np.take(u, i, axis=ax)
                         for u, ax in zip(args, in_axes)]) for i in range(3)])
    np.testing.assert_allclose(out, loop, rtol=1e-14)
    # and the derivatives
    gv = fd.vmap(fd.grad(lambda *z: fnp.sum(f(*z)), argnums=1), in_axes=in_axes)(*args)
    gl = np.stack([fd.grad(lambda *z: fnp.sum(f(*z)), argnums=1)(
        *[u if ax is None else np.take(u, i, axis=ax) for u, ax in zip(args, in_axes)])
        for i in range(3)])
    np.testing.assert_allclose(gv, gl, rtol=1e-12)


def test_vmap_logsumexp_and_jit():
    a = np.random.default_rng(3).standard_normal((4, 3, 2))
    out = fd.vmap(lambda r: fsp.logsumexp(r, axis=0))(a)
    np.testing.assert_allclose(out, [sc.logsumexp(r, axis=0) for r in a], rtol=1e-14)
    out = fd.vmap(lambda r: fsp.log_softmax(r), in_axes=2)(a)
    np.testing.assert_allclose(out, [sc.log_softmax(a[..., i]) for i in range(2)], rtol=1e-13)
    jf = fd.jit(fd.grad(lambda a: fsp.logsumexp(a) + fnp.sum(fsp.gammaln(a**2 + 1.0))))
    np.testing.assert_allclose(jf(a), fd.grad(lambda a: fsp.logsumexp(a)
                                              + fnp.sum(fsp.gammaln(a**2 + 1.0)))(a))


def test_every_primitive_has_rules():
    prims = [v for v in vars(fsp_impl).values() if isinstance(v, Primitive)]
    assert len(prims) > 30
    for p in prims:
        assert p.jvp and p.vjp and p.batch, p.name


@pytest.mark.parametrize("name", ["erf", "gammaln", "digamma", "expit", "log_ndtr", "i0", "j1",
                                  "entr", "ndtri"])
def test_float32_kept(name):
    x = np.array([0.2, 0.4], np.float32)
    f = getattr(fsp, name)
    out, t = fd.jvp(f, (x,), (x,))
    g = fd.grad(lambda x: fnp.sum(f(x)))(x)
    assert out.dtype == t.dtype == g.dtype == getattr(sc, name)(x).dtype == np.float32
    check_grads(f, (x,), order=2)


def test_float32_compositions():
    x = np.array([0.2, 0.4, 3.0], np.float32)
    for f in (fsp.logsumexp, fsp.softmax, fsp.log_softmax):
        out, t = fd.jvp(f, (x,), (x,))
        assert out.dtype == t.dtype == np.float32
    out = fd.jvp(lambda a: fsp.gammainc(a, a), (x,), (x,))[0]
    assert out.dtype == np.float32
    check_grads(lambda a: fsp.gammainc(a, 1.5), (x,), order=1, atol=5e-2, rtol=5e-2)


def test_outside_transforms_returns_scipy_results():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    for f, ref in [(fsp.logsumexp, sc.logsumexp), (fsp.softmax, sc.softmax),
                   (fsp.log_softmax, sc.log_softmax), (fsp.gammaln, sc.gammaln)]:
        out = f(a)
        assert type(out) is type(ref(a)) and np.array_equal(out, ref(a))
    assert fsp.zeta(2.0) == sc.zeta(2.0)
    assert fsp.multigammaln(3.0, 2) == sc.multigammaln(3.0, 2)


# -- the package ------------------------------------------------------------------------------
def test_package_without_scipy_says_how_to_install():
    code = (
        "import sys; sys.modules['scipy'] = None\n"
        "try:\n"
        "    import funcdiff.scipy\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=root)
    assert "pip install funcdiff[scipy]" in out.stdout


def test_package_submodules():
    import funcdiff.scipy as fs

    assert fs.special is fsp
    assert fs.stats.norm.logpdf(0.0) == pytest.approx(-0.5 * np.log(2 * np.pi))
    assert callable(fs.signal.convolve)
    with pytest.raises(AttributeError):
        fs.not_a_module  # noqa: B018


def test_unsupported_ufunc_keyword_names_the_public_function():
    # the message names funcdiff's public function, not the private module defining it
    for call, public in ((lambda x: sc.erf(x, casting="same_kind"), "funcdiff.scipy.special.erf"),
                         (lambda x: np.sin(x, casting="same_kind"), "funcdiff.numpy.sin")):
        with pytest.raises(TypeError, match=f"call `{public}` without them"):
            fd.grad(call)(0.5)
