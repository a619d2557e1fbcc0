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
    assert 'pip install "funcdiff[scipy]"' in out.stdout  # from an index
    assert 'pip install ".[scipy]"' in out.stdout  # from a checkout


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


# == issue #16: the names added to funcdiff.scipy.special ======================================
# name, arguments inside the domain, derivative order to check (forward and reverse)
NEW_ELEMENTWISE = [
    ("erfcx", (X - 1.0,), 3),
    ("erfcx", (np.array([-3.0, 5.0, 30.0]),), 2),
    ("dawsn", (X - 1.0,), 3),
    ("exp1", (X,), 3),
    ("expi", (X - 1.0,), 2),
    ("i0e", (X - 1.0,), 3),
    ("i1e", (X - 1.0,), 3),
    ("spence", (X,), 2),
    ("spence", (np.array([1.0, 0.5, 2.5]),), 2),  # log(z)/(1-z) -> -1 at z = 1
    ("poch", (X + 0.5, X - 0.2), 2),
    ("owens_t", (X - 1.0, X), 2),
    ("boxcox", (X + 0.2, X - 1.0), 2),
    ("boxcox", (X + 0.2, np.array([0.0, 1e-9, -0.05])), 2),  # lmbda -> 0
    ("boxcox1p", (X - 0.2, X - 1.0), 2),
    ("boxcox1p", (X - 0.2, np.array([0.0, -1e-9, 0.05])), 2),
    ("hyp1f1", (X, X + 1.0, X - 1.0), 2),
    ("hyp2f1", (X, X + 0.2, X + 1.5, X / 2 - 0.3), 2),
]
NEW_IDS = [f"{name}{i}" for i, (name, _, _) in enumerate(NEW_ELEMENTWISE)]


@pytest.mark.parametrize("name,args,order", NEW_ELEMENTWISE, ids=NEW_IDS)
def test_new_elementwise_values_and_grads(name, args, order):
    f, ref = getattr(fsp, name), getattr(sc, name)
    out = f(*args)
    assert type(out) is type(ref(*args)) and np.array_equal(out, ref(*args))
    np.testing.assert_array_equal(inside_jvp(f, *args), ref(*args))
    check_grads(f, args, order=order, modes=("fwd", "rev"))


# name, arguments, the closed-form derivative (in the argument `argnum`) from SciPy's values
CLOSED_FORMS = [
    ("erfcx", (0.7,), 0, lambda x: 2 * x * sc.erfcx(x) - 2 / np.sqrt(np.pi)),
    ("dawsn", (0.7,), 0, lambda x: 1 - 2 * x * sc.dawsn(x)),
    ("exp1", (0.7,), 0, lambda x: -np.exp(-x) / x),
    ("expi", (-0.7,), 0, lambda x: np.exp(x) / x),
    ("i0e", (-0.7,), 0, lambda x: sc.i1e(x) - np.sign(x) * sc.i0e(x)),
    ("i1e", (0.7,), 0, lambda x: sc.i0e(x) - sc.i1e(x) / x - sc.i1e(x)),
    ("i1e", (0.0,), 0, lambda x: 0.5),
    ("i0e", (0.0,), 0, lambda x: 0.0),
    ("spence", (0.4,), 0, lambda z: np.log(z) / (1 - z)),
    ("spence", (1.0,), 0, lambda z: -1.0),
    ("poch", (1.3, 2.2), 0, lambda z, m: sc.poch(z, m) * (sc.digamma(z + m) - sc.digamma(z))),
    ("poch", (1.3, 2.2), 1, lambda z, m: sc.poch(z, m) * sc.digamma(z + m)),
    ("hyp1f1", (0.5, 1.5, 0.7), 2, lambda a, b, x: a / b * sc.hyp1f1(a + 1, b + 1, x)),
    ("hyp2f1", (0.5, 1.5, 2.5, 0.3), 3,
     lambda a, b, c, x: a * b / c * sc.hyp2f1(a + 1, b + 1, c + 1, x)),
    ("owens_t", (0.8, 1.3), 0, lambda h, a: -np.exp(-h * h / 2) / np.sqrt(2 * np.pi)
     * sc.erf(a * h / np.sqrt(2)) / 2),
    ("owens_t", (0.8, 1.3), 1, lambda h, a: np.exp(-h * h * (1 + a * a) / 2)
     / (2 * np.pi * (1 + a * a))),
    ("boxcox", (2.5, 0.3), 0, lambda x, lm: x ** (lm - 1)),
    ("boxcox", (2.5, 0.3), 1, lambda x, lm: (lm * x**lm * np.log(x) - x**lm + 1) / lm**2),
    ("boxcox", (2.5, 0.0), 1, lambda x, lm: np.log(x) ** 2 / 2),
    ("boxcox1p", (1.5, 0.0), 1, lambda x, lm: np.log1p(x) ** 2 / 2),
    ("boxcox1p", (1.5, -0.4), 0, lambda x, lm: (1 + x) ** (lm - 1)),
    ("expn", (3, 0.7), 1, lambda n, x: -sc.expn(n - 1, x)),
    ("expn", (0, 0.7), 1, lambda n, x: -np.exp(-x) * (x + 1) / x**2),
]


@pytest.mark.parametrize("name,args,argnum,want", CLOSED_FORMS,
                         ids=[f"{c[0]}{i}" for i, c in enumerate(CLOSED_FORMS)])
def test_new_closed_form_derivatives(name, args, argnum, want):
    got = fd.grad(getattr(fsp, name), argnums=argnum)(*args)
    np.testing.assert_allclose(got, want(*args), rtol=1e-12, atol=1e-15)


def test_boxcox_lmbda_derivatives_near_zero():
    # d/dl boxcox = log(x)**2 g(l log x), g(t) = sum_k k t**(k-1)/(k+1)!; d2/dl2 at 0 = log**3/3
    for x in (0.3, 2.5, 40.0):
        y = np.log(x)
        for lm in (0.0, 1e-12, -3e-6, 0.02):
            t = lm * y
            g = sum(k * t ** (k - 1) / sc.factorial(k + 1) for k in range(1, 20))
            np.testing.assert_allclose(fd.grad(fsp.boxcox, argnums=1)(x, lm), y * y * g,
                                       rtol=1e-13)
        np.testing.assert_allclose(fd.grad(fd.grad(fsp.boxcox, argnums=1), argnums=1)(x, 0.0),
                                   y**3 / 3, rtol=1e-12)


def test_hypergeometric_parameter_derivatives_are_numerical_and_accurate():
    def richardson(f, a, h=1e-3):
        d = lambda h: (f(a + h) - f(a - h)) / (2 * h)  # noqa: E731
        return (4 * d(h / 2) - d(h)) / 3

    got = fd.grad(fsp.hyp1f1, argnums=(0, 1))(0.7, 1.8, 1.2)
    np.testing.assert_allclose(got[0], richardson(lambda a: sc.hyp1f1(a, 1.8, 1.2), 0.7),
                               rtol=1e-8)
    np.testing.assert_allclose(got[1], richardson(lambda b: sc.hyp1f1(0.7, b, 1.2), 1.8),
                               rtol=1e-8)
    got = fd.grad(fsp.hyp2f1, argnums=(0, 1, 2))(0.7, 1.1, 2.3, 0.4)
    for i, g in enumerate(got):
        def f(p, i=i):
            args = [0.7, 1.1, 2.3, 0.4]
            args[i] = p
            return sc.hyp2f1(*args)

        assert g != 0.0
        np.testing.assert_allclose(g, richardson(f, [0.7, 1.1, 2.3][i]), rtol=1e-8)


def test_expn_integer_order():
    n = np.array([0, 1, 2, 5])
    x = X[[0, 1, 2, 2]] + 0.2
    np.testing.assert_array_equal(inside_jvp(lambda x: fsp.expn(n, x), x), sc.expn(n, x))
    check_grads(lambda x: fsp.expn(n, x), (x,), order=3)
    assert fd.grad(lambda m: fsp.expn(m, 1.5))(2.0) == 0.0  # the order has no derivative


@pytest.mark.parametrize("name", ["fresnel", "sici"])
def test_two_output_ufuncs(name):
    f, ref = getattr(fsp, name), getattr(sc, name)
    x = np.array([-1.3, 0.0, 0.4, 2.2])
    out = f(x)
    assert isinstance(out, tuple) and all(np.array_equal(o, r) for o, r in zip(out, ref(x)))
    inside = fd.jvp(f, (x,), (np.ones_like(x),))[0]
    for o, r in zip(inside, ref(x)):
        np.testing.assert_array_equal(o, r)
    xs = x[x != 0] if name == "sici" else x  # (Ci has a log singularity at 0)
    check_grads(f, (xs,), order=3)
    d0, d1 = fd.jacfwd(lambda v: f(v))(0.8)
    if name == "fresnel":
        want = np.sin(np.pi * 0.32), np.cos(np.pi * 0.32)
    else:
        want = np.sin(0.8) / 0.8, np.cos(0.8) / 0.8
    np.testing.assert_allclose([d0, d1], want, rtol=1e-14)
    if name == "sici":
        assert fd.grad(lambda v: fsp.sici(v)[0])(0.0) == 1.0
    # complex arguments: the same holomorphic derivatives
    z = np.array([0.4 + 0.3j, -0.8 + 1.1j])
    for o, r in zip(fd.jvp(f, (z,), (np.ones_like(z),))[0], ref(z)):
        np.testing.assert_array_equal(o, r)
    check_grads(lambda z: f(z)[0], (z,), order=2)


def test_wofz_complex():
    z = np.array([0.5 + 0.5j, -0.3 + 1.2j, 2.0 - 0.1j])
    assert np.array_equal(fsp.wofz(z), sc.wofz(z))
    np.testing.assert_array_equal(inside_jvp(fsp.wofz, z), sc.wofz(z))
    check_grads(fsp.wofz, (z,), order=3)
    want = -2 * z[0] * sc.wofz(z[0]) + 2j / np.sqrt(np.pi)
    np.testing.assert_allclose(fd.grad(fsp.wofz, holomorphic=True)(z[0]), want, rtol=1e-14)
    # the gradient of the real part (JAX's convention: d/dx - i d/dy) is w' itself
    g = fd.grad(lambda z: fnp.real(fsp.wofz(z)))(z[0])
    np.testing.assert_allclose(g, want, rtol=1e-14)
    # complex arguments of the other holomorphic ones (erfcx, dawsn, exp1, expi, spence)
    for name in ("erfcx", "dawsn", "exp1", "expi", "spence"):
        f, ref = getattr(fsp, name), getattr(sc, name)
        np.testing.assert_array_equal(inside_jvp(f, z), ref(z))
        check_grads(f, (z,), order=2)


def test_comb_factorial_bernoulli():
    # exact=True: SciPy's Python ints, and a clear error when traced
    assert fsp.comb(10, 3, exact=True) == 120 and type(fsp.comb(10, 3, exact=True)) is int
    assert fsp.comb(10, 3, exact=True, repetition=True) == 220
    assert fsp.factorial(20, exact=True) == sc.factorial(20, exact=True)
    np.testing.assert_array_equal(fsp.factorial(np.array([3, 4]), exact=True), [6, 24])
    with pytest.raises(TypeError, match="exact=True"):
        fd.grad(lambda n: fsp.comb(n, 2.0, exact=True))(5.0)
    with pytest.raises(TypeError, match="exact=True"):
        fd.grad(lambda n: fsp.factorial(n, exact=True))(5.0)
    # exact=False: SciPy's values (0 outside the domain) inside transforms too
    N = np.array([5.0, 6.5, 2.0, -1.0, 4.0, 3.0])
    k = np.array([2.0, 3.2, 3.0, 1.0, -1.0, 0.0])
    for kw in ({}, {"repetition": True}):
        assert np.array_equal(fsp.comb(N, k, **kw), sc.comb(N, k, **kw), equal_nan=True)
        np.testing.assert_array_equal(inside_jvp(lambda N, k, kw=kw: fsp.comb(N, k, **kw), N, k),
                                      sc.comb(N, k, **kw))
    check_grads(lambda N, k: fsp.comb(N, k), (N[:3] + 0.1, k[:3] - 0.3), order=2)
    check_grads(lambda N, k: fsp.comb(N, k, repetition=True), (N[:3], k[:3] + 0.2), order=2)
    g = fd.grad(lambda N: fnp.sum(fsp.comb(N, k)))(N)
    np.testing.assert_allclose(g[0], 10 * (sc.digamma(6) - sc.digamma(4)), rtol=1e-14)
    assert g[2] == g[3] == g[4] == 0.0  # where SciPy's comb is the constant 0
    n = np.array([0.0, 1.0, 2.5, 4.0, -1.5])
    assert np.array_equal(fsp.factorial(n), sc.factorial(n))
    np.testing.assert_array_equal(inside_jvp(fsp.factorial, n), sc.factorial(n))
    np.testing.assert_array_equal(inside_jvp(fsp.factorial, np.array([np.nan, 2.0])),
                                  sc.factorial(np.array([np.nan, 2.0])))
    nc = np.array([2.5, -0.5, -1.0, -2.5])
    np.testing.assert_array_equal(
        inside_jvp(lambda n: fsp.factorial(n, extend="complex"), nc),
        sc.factorial(nc, extend="complex"))
    check_grads(fsp.factorial, (n[:4] + 0.2,), order=2)
    np.testing.assert_allclose(fd.grad(fsp.factorial)(3.0), 6 * sc.digamma(4.0), rtol=1e-14)
    assert fd.grad(fsp.factorial)(-1.5) == 0.0
    with pytest.raises(ValueError, match="extend"):
        fd.grad(lambda n: fsp.factorial(n, extend="bad"))(2.0)
    assert np.array_equal(fsp.bernoulli(6), sc.bernoulli(6))
    with pytest.raises(TypeError, match="bernoulli"):
        fd.grad(lambda n: fsp.bernoulli(n)[0])(3.0)


def test_bessel_jn():
    z = np.array([[0.3, 1.7], [4.0, -2.5]])
    out = fsp.bessel_jn(z, v=4)
    assert out.shape == (5, 2, 2)
    np.testing.assert_array_equal(out, [sc.jv(k, z) for k in range(5)])
    np.testing.assert_array_equal(inside_jvp(lambda z: fsp.bessel_jn(z, v=4), z), out)
    check_grads(lambda z: fsp.bessel_jn(z, v=4), (z,), order=3)
    # the recurrence, J_{-1} = -J_1
    g = fd.jacfwd(lambda t: fsp.bessel_jn(t, v=2))(1.3)
    np.testing.assert_allclose(g, [-sc.j1(1.3), (sc.j0(1.3) - sc.jv(2, 1.3)) / 2,
                                   (sc.j1(1.3) - sc.jv(3, 1.3)) / 2], rtol=1e-14)
    assert fsp.bessel_jn(2.0, v=0).shape == (1,)
    for bad in (-1, 1.5):
        with pytest.raises(ValueError, match="`v`"):
            fsp.bessel_jn(z, v=bad)
    with pytest.raises(ValueError, match="n_iter"):
        fsp.bessel_jn(z, v=2, n_iter=0)
    out = fd.vmap(lambda r: fsp.bessel_jn(r, v=3))(z)
    np.testing.assert_allclose(out, [fsp.bessel_jn(r, v=3) for r in z], rtol=1e-15)


def test_sph_harm_y():
    theta = np.array([0.0, 0.4, 1.3, 2.9, np.pi])
    phi = np.array([0.2, 1.0, -0.7, 3.0, 5.5])
    for n, m in [(0, 0), (1, 1), (3, -2), (4, 1), (2, 3)]:
        out = fsp.sph_harm_y(n, m, theta, phi)
        assert np.array_equal(out, sc.sph_harm_y(n, m, theta, phi))
        np.testing.assert_array_equal(
            inside_jvp(lambda t, p, n=n, m=m: fsp.sph_harm_y(n, m, t, p), theta, phi), out)
        # (inside (0, pi): SciPy's values reflect at the poles, where the derivative is the
        # one-sided one from inside, below)
        check_grads(lambda t, p, n=n, m=m: fsp.sph_harm_y(n, m, t, p),
                    (theta[1:-1], phi[1:-1]), order=3)
        # diff_n: SciPy's gradient and Hessian, inside transforms too (and differentiable)
        for d in (1, 2):
            want = sc.sph_harm_y(n, m, theta, phi, diff_n=d)
            got = inside_jvp(lambda t, p, n=n, m=m, d=d: fsp.sph_harm_y(n, m, t, p, diff_n=d),
                             theta, phi)
            for g, w in zip(got, want):
                assert g.shape == w.shape and g.dtype == w.dtype
                np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)
        check_grads(lambda t, p, n=n, m=m: fsp.sph_harm_y(n, m, t, p, diff_n=2)[2],
                    (theta[1:-1], phi[1:-1]), order=1)
        # at the poles: SciPy's diff_n=1 value, the one-sided difference from inside
        for t0, side in ((0.0, 1.0), (np.pi, -1.0)):
            got = fd.jvp(lambda t, n=n, m=m: fsp.sph_harm_y(n, m, t, 0.3), (t0,), (1.0,))[1]
            np.testing.assert_allclose(got, sc.sph_harm_y(n, m, t0, 0.3, diff_n=1)[1][0],
                                       rtol=1e-14, atol=1e-15)
            h = side * 1e-7
            one_sided = (sc.sph_harm_y(n, m, t0 + h, 0.3) - sc.sph_harm_y(n, m, t0, 0.3)) / h
            np.testing.assert_allclose(got, one_sided, rtol=1e-5, atol=1e-6)
    # derivatives against SciPy's diff_n=1 (theta, phi), integer n and m broadcast
    n, m = np.array([2, 3, 5]), np.array([[1], [-2]])
    gt = fd.jvp(lambda t: fsp.sph_harm_y(n, m, t, 0.9), (0.7,), (1.0,))[1]
    gp = fd.jvp(lambda p: fsp.sph_harm_y(n, m, 0.7, p), (0.9,), (1.0,))[1]
    jac = sc.sph_harm_y(n, m, 0.7, 0.9, diff_n=1)[1]
    np.testing.assert_allclose(gt, jac[..., 0], rtol=1e-14)
    np.testing.assert_allclose(gp, jac[..., 1], rtol=1e-14)
    np.testing.assert_allclose(gp, 1j * m * sc.sph_harm_y(n, m, 0.7, 0.9), rtol=1e-14)
    with pytest.raises(TypeError, match="integer"):
        fd.grad(lambda v: fnp.real(fsp.sph_harm_y(v, 1, 0.5, 0.5)))(2.0)
    with pytest.raises(ValueError, match="diff_n"):
        fd.jvp(lambda t: fsp.sph_harm_y(2, 1, t, 0.5, diff_n=3), (0.5,), (1.0,))


def test_new_names_dispatch_from_scipy_ufuncs():
    x = X - 0.2
    for name in ("erfcx", "dawsn", "exp1", "i0e", "i1e", "spence", "expi"):
        got = fd.grad(lambda x, name=name: fnp.sum(getattr(sc, name)(x)))(x)
        want = fd.grad(lambda x, name=name: fnp.sum(getattr(fsp, name)(x)))(x)
        np.testing.assert_array_equal(got, want)
    s, c = fd.jvp(sc.fresnel, (x,), (np.ones_like(x),))[1]
    np.testing.assert_allclose(s, np.sin(np.pi * x**2 / 2), rtol=1e-14)
    np.testing.assert_allclose(c, np.cos(np.pi * x**2 / 2), rtol=1e-14)
    g = fd.grad(lambda h, a: sc.owens_t(h, a) + sc.poch(a, h) + sc.boxcox(a, h),
                argnums=(0, 1))(0.3, 1.2)
    w = fd.grad(lambda h, a: fsp.owens_t(h, a) + fsp.poch(a, h) + fsp.boxcox(a, h),
                argnums=(0, 1))(0.3, 1.2)
    assert g == w
    np.testing.assert_allclose(fd.grad(sc.wofz, holomorphic=True)(0.3 + 0.2j),
                               fd.grad(fsp.wofz, holomorphic=True)(0.3 + 0.2j))


NEW_VMAP = {
    "erfcx": (lambda x, y: fsp.erfcx(x * y), (0.5, 2)),
    "poch": (fsp.poch, (0.5, 2)),
    "owens_t": (fsp.owens_t, (-1.0, 2)),
    "boxcox": (lambda x, lm: fsp.boxcox(x, lm - 1.0), (0.5, 2)),
    "hyp1f1": (lambda a, x: fsp.hyp1f1(a, a + 1.0, x), (0.5, 1)),
    "hyp2f1": (lambda a, x: fsp.hyp2f1(a, 0.5, a + 1.5, x / 3.0), (0.5, 1)),
    "expn": (lambda a, x: fsp.expn(2, a + x), (0.2, 1)),
    "fresnel": (lambda a, x: fsp.fresnel(a * x)[1], (0.0, 1)),
    "sici": (lambda a, x: fsp.sici(a + x)[1], (0.2, 1)),
    "sph_harm_y": (lambda t, p: fnp.real(fsp.sph_harm_y(3, np.array([[1], [-2], [0]]), t, p)),
                   (0.1, 2)),
    "comb": (lambda n, k: fsp.comb(n + 2.0, k), (0.1, 1)),
    "factorial": (lambda a, x: fsp.factorial(a * x), (0.2, 3)),
    "bessel_jn": (lambda a, x: fsp.bessel_jn(a * x, v=2), (0.1, 2)),
}


@pytest.mark.parametrize("name", list(NEW_VMAP))
@pytest.mark.parametrize("in_axes", [(0, 0), (None, 0), (0, None), (1, -1)])
def test_new_vmap_matches_loop_and_jit_matches_eager(name, in_axes):
    f, (lo, scale) = NEW_VMAP[name]
    rng = np.random.default_rng(4)
    args = [lo + scale * rng.random((3, 2)) if ax is None
            else np.moveaxis(lo + scale * rng.random((3, 3, 2)), 0, ax) for ax in in_axes]

    def at(i):
        return [u if ax is None else np.take(u, i, axis=ax) for u, ax in zip(args, in_axes)]

    def total(*z):
        return fnp.sum(f(*z))

    out = fd.vmap(f, in_axes=in_axes)(*args)
    loop = np.stack([f(*at(i)) for i in range(3)])
    np.testing.assert_allclose(out, loop, rtol=1e-13)
    gv = fd.vmap(fd.grad(total, argnums=(0, 1)), in_axes=in_axes)(*args)
    gl = [fd.grad(total, argnums=(0, 1))(*at(i)) for i in range(3)]
    for j in range(2):
        np.testing.assert_allclose(gv[j], np.stack([g[j] for g in gl]), rtol=1e-11, atol=1e-14)
    # jit, of the function and of its gradient
    a0 = at(0)
    np.testing.assert_allclose(fd.jit(f)(*a0), f(*a0), rtol=1e-14)
    jg = fd.jit(fd.grad(total, argnums=(0, 1)))(*a0)
    for got, want in zip(jg, fd.grad(total, argnums=(0, 1))(*a0)):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ["erfcx", "dawsn", "exp1", "expi", "i0e", "i1e", "spence"])
def test_new_float32_kept(name):
    x = np.array([0.2, 0.4], np.float32)
    f = getattr(fsp, name)
    out, t = fd.jvp(f, (x,), (x,))
    g = fd.grad(lambda x: fnp.sum(f(x)))(x)
    assert out.dtype == t.dtype == g.dtype == getattr(sc, name)(x).dtype == np.float32
    check_grads(f, (x,), order=1)
