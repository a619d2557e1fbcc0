"""Transforms on other array libraries: the same programs on NumPy, Dask and
array-api-strict's simulated devices, compared value for value.

`xp` runs each program over every backend the machine has: NumPy; Dask (synchronous
scheduler, with a counter that fails the test if building the derivative computes
anything); array-api-strict on a non-default device (`device1`: any copy to the host
raises, standing in for a GPU) and on its `no_float64` device (float32 only); CuPy when
CuPy and a GPU are present. Outputs must be arrays of the input's library on the input's
device, with the input's dtype.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from helpers import softplus as _softplus

import funcdiff as fd
import funcdiff.numpy as fnp

da = pytest.importorskip("dask.array", reason="the `backends` test extra installs Dask")
strict = pytest.importorskip("array_api_strict", reason="installed with the test extras")
pytest.importorskip("array_api_compat", reason="installed with the test extras")

import dask  # noqa: E402


class _Counter:
    """Counts Dask computations (a scheduler callback)."""

    def __init__(self):
        self.n = 0

    def __call__(self, *args, **kwargs):
        self.n += 1


@contextlib.contextmanager
def _dask_counting():
    counter = _Counter()
    from dask.callbacks import Callback

    with dask.config.set(scheduler="synchronous"), Callback(start=counter):
        yield counter


def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
    except Exception:
        return None
    return cupy


class Backend:
    """How a test makes, recognizes and reads back one library's arrays."""

    def __init__(self, name, make, is_ours, to_numpy, rtol=1e-10):
        self.name, self.make, self.is_ours, self.to_numpy, self.rtol = (
            name, make, is_ours, to_numpy, rtol)

    def __repr__(self):
        return self.name


def _strict_to_numpy(x, device):
    # the tests' own way back: onto the CPU device explicitly, then NumPy
    return np.asarray(strict.asarray(x, device=strict.Device("CPU_DEVICE"), copy=True))


_StrictArray = type(strict.asarray(0.0))


def _strict(device, dtype):
    dev = strict.Device(device)
    return Backend(
        f"array_api_strict[{device}]",
        lambda a: strict.asarray(np.asarray(a, dtype), device=dev),
        lambda y: isinstance(y, _StrictArray) and y.device == dev,
        lambda y: _strict_to_numpy(y, dev),
        rtol=1e-10 if dtype == np.float64 else 2e-4,
    )


BACKENDS = [
    Backend("numpy", np.asarray, lambda y: isinstance(y, (np.ndarray, np.generic)),
            np.asarray),
    Backend("dask", lambda a: da.from_array(np.asarray(a), chunks=3),
            lambda y: isinstance(y, da.Array), lambda y: np.asarray(y.compute())),
    _strict("device1", np.float64),
    _strict("no_float64", np.float32),
]
_cp = _cupy()
if _cp is not None:  # pragma: no cover - needs a GPU
    BACKENDS.append(Backend("cupy", _cp.asarray, lambda y: isinstance(y, _cp.ndarray),
                            lambda y: y.get()))


@pytest.fixture(params=BACKENDS, ids=repr)
def xp(request):
    return request.param


W = np.linspace(-1.0, 1.0, 12).reshape(4, 3)

try:
    import funcdiff.scipy.special  # noqa: F401

    _HAS_SCIPY = True
except ImportError:  # pragma: no cover
    _HAS_SCIPY = False


@fd.custom_vjp
def _clip_gradient(x):
    return x


def _clip_fwd(x):
    return x, None


def _clip_bwd(res, g):
    return (fnp.clip(g, -0.5, 0.5),)


_clip_gradient.defvjp(_clip_fwd, _clip_bwd)

# (name, function of one vector of 8, whether it is scalar-valued)
PROGRAMS = [
    ("sin_times_x", lambda x: fnp.sum(fnp.sin(x) * x)),
    ("mean_square", lambda x: fnp.mean((x - 1.0) ** 2)),
    ("mlp_layer", lambda x: fnp.sum(fnp.tanh(fnp.reshape(x, (2, 4)) @ W) ** 2)),
    ("log_sum_exp", lambda x: fnp.log(fnp.sum(fnp.exp(x)))),
    ("max", lambda x: fnp.max(x * x)),
    ("where", lambda x: fnp.sum(fnp.where(x > 0.5, x, x ** 2))),
    ("slices", lambda x: fnp.sum(x[1:5] * 2.0) * x[0] + x[-1]),
    ("concat", lambda x: fnp.sum(fnp.concatenate([x, x * 2.0]) ** 2)),
    ("gram", lambda x: fnp.sum(fnp.reshape(x, (2, 4)).T @ fnp.reshape(x, (2, 4)))),
    ("sqrt_abs", lambda x: fnp.sum(fnp.sqrt(fnp.abs(x) + 1.0) / (1.0 + x ** 2))),
    ("exp_log1p", lambda x: fnp.sum(fnp.log1p(fnp.exp(-x)))),
    ("prod_min", lambda x: fnp.prod(x[:3]) + fnp.min(x)),
    ("mean_axis", lambda x: fnp.sum(fnp.mean(fnp.reshape(x, (2, 4)), axis=0) ** 3)),
    ("broadcast", lambda x: fnp.sum(fnp.reshape(x, (8, 1)) * fnp.reshape(x, (1, 8)))),
    ("stack_sum", lambda x: fnp.sum(fnp.stack([x, fnp.cos(x)]) ** 2)),
    ("take", lambda x: fnp.sum(x[np.array([0, 2, 2, 7])] ** 2 * x[1:5])),
    ("cond", lambda x: fd.cond(fnp.sum(x) > 1.0, lambda y: fnp.sum(y ** 2),
                               lambda y: fnp.sum(fnp.sin(y)), x)),
    ("fori_loop", lambda x: fnp.sum(fd.fori_loop(0, 3, lambda i, c: fnp.sin(c) * x, x))),
    ("scan", lambda x: fd.scan(lambda c, xi: (c * fnp.cos(xi) + xi, c), x[0] * 0.0 + 1.0, x)[0]),
    ("custom_jvp", lambda x: fnp.sum(_softplus(x))),
    ("custom_vjp", lambda x: fnp.sum(_clip_gradient(x) ** 2)),
    ("checkpoint", lambda x: fnp.sum(fd.checkpoint(lambda y: fnp.sin(fnp.sin(y)))(x))),
    ("einsum", lambda x: fnp.einsum("ij,jk->", fnp.reshape(x, (2, 4)), W)),
    ("cumsum", lambda x: fnp.sum(fnp.cumsum(x) ** 2)),
    ("logsumexp", lambda x: fd.scipy.special.logsumexp(x) if _HAS_SCIPY else fnp.sum(x)),
    ("sort", lambda x: fnp.sum(fnp.sort(x) * fnp.arange(8.0))),
    ("argmax_gather", lambda x: x[fnp.argmax(x)] * fnp.sum(x)),
    ("median", lambda x: fnp.median(x * x)),
    ("fft", lambda x: fnp.sum(fnp.abs(fnp.fft.rfft(x)) ** 2) + fnp.sum(fnp.real(
        fnp.fft.fft(x) * fnp.exp(1j * x)))),
    ("at_set", lambda x: fnp.sum(x.at[2:5].set(fnp.sin(x[:3])) ** 2)),
    ("at_add", lambda x: fnp.sum(x.at[np.array([0, 0, 3])].add(x[:3] ** 2) ** 2)),
    ("new_axes", lambda x: fnp.sum(fnp.expand_dims(x, 0) * x[:, None] * x[None, :, None])),
    ("std_clip", lambda x: fnp.std(fnp.clip(x, -0.5, 1.0)) + fnp.var(x)),
    ("pad_roll", lambda x: fnp.sum(fnp.pad(x, 2) ** 2 * fnp.roll(fnp.pad(x, 2), 3))),
    ("percentile", lambda x: fnp.percentile(x, 30.0) + fnp.quantile(x ** 2, 0.8)),
    ("special", lambda x: fnp.sum(fd.scipy.special.expit(x) + fd.scipy.special.xlogy(
        x * x, x * x + 1.0)) if _HAS_SCIPY else fnp.sum(x)),
    ("fancy_index", lambda x: fnp.sum(fnp.reshape(x, (2, 4))[np.array([1, 0, 1]),
                                                           np.array([3, 3, 0])] ** 2)),
    ("take_along_axis", lambda x: fnp.sum(fnp.take_along_axis(
        fnp.reshape(x, (2, 4)), np.array([[3, 0], [1, 1]]), axis=1) ** 2)),
]

_SPD = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])


def _mat(x):  # a symmetric positive definite matrix from x (SPD for the X below)
    a = fnp.reshape(x[:6], (2, 3))
    return _SPD + a.T @ a * 0.1


# linear algebra (on Dask each runs as one task on whole matrices: `backend.dask_one_task`)
LINALG = [
    ("solve", lambda x: fnp.sum(fnp.linalg.solve(_mat(x), x[:3]) ** 2)),
    ("inv", lambda x: fnp.sum(fnp.linalg.inv(_mat(x)))),
    ("cholesky", lambda x: fnp.sum(fnp.linalg.cholesky(_mat(x)))),
    ("slogdet", lambda x: fnp.linalg.slogdet(_mat(x))[1]),
    ("det", lambda x: fnp.linalg.det(_mat(x))),
    ("eigh", lambda x: fnp.sum(fnp.linalg.eigh(_mat(x))[0] ** 2)),
    ("svd", lambda x: fnp.sum(fnp.linalg.svd(fnp.reshape(x, (2, 4)), compute_uv=False))),
    ("qr", lambda x: fnp.sum(fnp.linalg.qr(fnp.reshape(x, (4, 2)))[1] ** 2)),
]


@pytest.mark.parametrize("transform", ["grad", "jvp", "jit", "hessian"])
@pytest.mark.parametrize("name,f", LINALG, ids=[p[0] for p in LINALG])
def test_linalg_on_backend(xp, transform, name, f):
    t = TRANSFORMS[transform]
    want = t(f)(X)
    got = _as_backend(xp, t(f), X)
    assert xp.is_ours(got)
    np.testing.assert_allclose(xp.to_numpy(got), want, rtol=xp.rtol * 100, atol=xp.rtol * 10)


# outside transforms, funcdiff.numpy's functions are NumPy's; on another library's
# arrays they run under `jit`
_pair = fd.jit(lambda x: fnp.stack([x, x * 0.5]))


def _vec_fun(f):
    return lambda x: fnp.stack([f(x), f(x * 0.5)])


TRANSFORMS = {
    "grad": lambda f: fd.grad(f),
    "value_and_grad": lambda f: lambda x: fd.value_and_grad(f)(x)[1],
    "jit_grad": lambda f: fd.jit(fd.grad(f)),
    "jit": lambda f: fd.jit(f),
    "jvp": lambda f: lambda x: fd.jvp(f, (x,), (x * 0.5 + 1.0,))[1],
    "vjp": lambda f: lambda x: fd.vjp(_vec_fun(f), x)[1](x[:2] - 0.5)[0],
    "vmap_grad": lambda f: lambda x: fd.vmap(fd.grad(f))(_pair(x)),
    "jacfwd": lambda f: fd.jacfwd(_vec_fun(f)),
    "jacrev": lambda f: fd.jacrev(_vec_fun(f)),
    "hessian": lambda f: fd.hessian(f),
    "linearize": lambda f: lambda x: fd.linearize(f, x)[1](x),
}

X = np.linspace(0.15, 1.2, 8) * np.array([1, -1, 1, 1, -1, 1, 1, 1])


def _as_backend(xp, fn, x):
    """Run `fn` on the backend's version of `x`; constants the test builds on the way
    (tangents, cotangents) are made from `x` so that they are the backend's arrays."""
    if xp.name == "dask":
        with _dask_counting() as counter:
            out = fn(xp.make(x))
        assert counter.n == 0, "building the derivative computed the Dask graph"
        return out
    return fn(xp.make(x))


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("name,f", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_program_on_backend(xp, transform, name, f):
    t = TRANSFORMS[transform]
    try:
        want = t(f)(X)
    except TypeError as e:  # (a custom_vjp without a forward rule, under forward mode)
        with pytest.raises(type(e)):
            _as_backend(xp, t(f), X)
        return
    got = _as_backend(xp, t(f), X)
    assert xp.is_ours(got), f"{transform} returned {type(got)} for {xp.name} input"
    got = xp.to_numpy(got)
    assert got.shape == np.shape(want)
    if xp.name.endswith("no_float64]"):
        assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=xp.rtol, atol=xp.rtol)


# -- the table of elementwise primitives, on every backend ------------------------------

from test_primitives import ELEMENTWISE, _draw  # noqa: E402

# the rows whose primitive the array API standard lacks and funcdiff does not compose
# from standard functions: on array-API-only libraries they raise `BackendError`
NOT_IN_STANDARD = {
    "gcd", "lcm", "ldexp", "spacing", "bitwise_count", "frexp_exponent", "bessel_i0",
    "bessel_i1",
}


def _elementwise_rows():
    for row in ELEMENTWISE:
        if np.float64 in row.dtypes and row.fd:
            yield pytest.param(row, id=row.id)


def _on(xp, fn, args):
    """`fn(*args)` with the array arguments made the backend's; Python scalars stay."""
    made = [xp.make(a) if isinstance(a, np.ndarray) else a for a in args]
    return fn(*made)


@pytest.mark.parametrize("row", list(_elementwise_rows()))
def test_elementwise_row_on_backend(xp, row):
    args = _draw(row, np.dtype(np.float64), tuple((3,) for _ in row.args))
    if xp.name.endswith("no_float64]"):
        args = tuple(np.asarray(a, np.float32) for a in args)
    n = len(args)

    def value(*a):
        return row.fn(*a)

    def grad(*a):  # reverse mode, every argument
        return fd.grad(lambda *b: fnp.sum(row.fn(*b)), argnums=tuple(range(n)))(*a)

    def tangent(*a):  # forward mode, every argument at once
        return fd.jvp(row.fn, a, tuple(x * 0.5 + 0.25 for x in a))[1]

    out_kind = np.result_type(row.fn(*args)).kind
    hows = (fd.jit(value), grad, tangent) if row.diff and out_kind == "f" else (fd.jit(value),)
    for how in hows:
        want = how(*args)
        try:
            got = _on(xp, how, args) if xp.name != "dask" else _as_backend_many(xp, how, args)
        except fd.BackendError:
            assert xp.name.startswith("array_api_strict") and row.prim in NOT_IN_STANDARD
            return
        for g, w in zip(got if isinstance(got, tuple) else (got,),
                        want if isinstance(want, tuple) else (want,)):
            assert xp.is_ours(g)
            np.testing.assert_allclose(xp.to_numpy(g), w, rtol=xp.rtol * 100, atol=xp.rtol)
    assert not (xp.name.startswith("array_api_strict") and row.prim in NOT_IN_STANDARD), (
        f"{row.prim} works on {xp.name} now: remove it from NOT_IN_STANDARD")


def _as_backend_many(xp, fn, args):
    with _dask_counting() as counter:
        out = _on(xp, fn, args)
    assert counter.n == 0, "building the derivative computed the Dask graph"
    return out


# -- mismatches: two libraries or two devices in one call ------------------------------


def _d(a):
    return da.from_array(np.asarray(a, float), chunks=2)


def _s(a, device="device1"):
    return strict.asarray(np.asarray(a, float), device=strict.Device(device))


def _loss(p, x):
    return fnp.sum(p["w"] * x) + fnp.sum(p["b"])


@pytest.mark.parametrize("transform", ["grad", "jit", "jvp", "vmap", "jacrev", "hessian"])
def test_two_libraries_in_one_call_name_both_arguments(transform):
    p = {"w": _d([1.0, 2.0]), "b": np.array([0.5, 0.5])}
    x = _d([3.0, 4.0])
    call = {
        "grad": lambda: fd.grad(_loss)(p, x),
        "jit": lambda: fd.jit(_loss)(p, x),
        "jvp": lambda: fd.jvp(_loss, (p, x), (p, x)),
        "vmap": lambda: fd.vmap(_loss, in_axes=(None, 0))(p, x),
        "jacrev": lambda: fd.jacrev(_loss)(p, x),
        "hessian": lambda: fd.hessian(_loss)(p, x),
    }[transform]
    with pytest.raises(fd.BackendError) as e:
        call()
    msg = str(e.value)
    assert "0['w']" in msg and "0['b']" in msg, msg  # both, by pytree path
    assert ("primal" in msg) == (transform == "jvp")
    assert "dask" in msg and "numpy.ndarray" in msg and "dask.array.from_array" in msg


def test_jvp_primals_and_tangents_of_two_libraries():
    with pytest.raises(fd.BackendError, match=r"primals are dask.*tangents are NumPy.*"
                                              r"dask.array.from_array"):
        fd.jvp(fnp.sin, (_d([1.0, 2.0]),), (np.ones(2),))


def test_two_devices_in_one_call():
    with pytest.raises(fd.BackendError) as e:
        fd.grad(lambda a, b: fnp.sum(a * b))(_s([1.0, 2.0]), _s([1.0, 2.0], "device2"))
    msg = str(e.value)
    assert "argument 0" in msg and "argument 1" in msg and "two devices" in msg
    assert "device1" in msg and "device2" in msg and "to_device" in msg


def test_dask_and_a_device_array_in_one_call():
    with pytest.raises(fd.BackendError, match=r"argument 0 is a dask.*argument 1 is a "
                                              r"array_api_strict.*two libraries"):
        fd.jit(lambda a, b: a + b)(_d([1.0, 2.0]), _s([1.0, 2.0]))


def test_scalars_and_numpy_constants_inside_the_function_are_converted():
    c = np.array([2.0, 3.0])  # a NumPy constant the function closes over
    for x in (_d([1.0, 2.0]), _s([1.0, 2.0])):
        g = fd.grad(lambda x, s: fnp.sum(c * x * s + 1.5), argnums=0)(x, 2.0)
        y = g.compute() if isinstance(g, da.Array) else _strict_to_numpy(g, None)
        np.testing.assert_allclose(y, [4.0, 6.0])


def test_float32_stays_float32():
    for x in (da.from_array(np.ones(3, np.float32)), strict.asarray(np.ones(3, np.float32))):
        g = fd.grad(lambda x: fnp.mean(fnp.exp(x) * 2.0))(x)
        assert str(g.dtype).endswith("float32")


def test_a_primitive_without_an_implementation_names_itself():
    x = _s([0.5, 1.5])
    with pytest.raises(fd.BackendError, match=r"`gcd`|gcd"):
        fd.jit(lambda x: fnp.gcd(fnp.astype(x, int), 2))(x)


def test_jit_on_dask_is_one_lazy_graph_reused():
    f = fd.jit(fd.grad(lambda x: fnp.sum(fnp.tanh(x) ** 2)))
    x = da.random.default_rng(0).standard_normal(10_000, chunks=1_000)
    with _dask_counting() as counter:
        g1 = f(x)
        g2 = f(x * 2.0)
    assert counter.n == 0 and isinstance(g1, da.Array)
    assert f.cache_info()["misses"] == 1  # one trace for both calls
    xs = x.compute()
    np.testing.assert_allclose(g1.compute(), 2 * np.tanh(xs) / np.cosh(xs) ** 2, rtol=1e-12)
    np.testing.assert_allclose(g2.compute(), fd.grad(lambda x: fnp.sum(fnp.tanh(x) ** 2))(
        2 * xs), rtol=1e-12)


def test_dask_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    X = da.random.default_rng(1).standard_normal((4_000, 5), chunks=(1_000, 5))
    y = (X @ da.from_array(np.arange(5.0)) > 0).astype(float)
    w = da.zeros(5, chunks=5)

    def loss(w, X, y):  # logistic regression
        z = X @ w
        return fnp.mean(fnp.logaddexp(0.0, z) - y * z)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        g = fd.grad(loss)(w, X, y)
        assert isinstance(g, da.Array)
        got = g.compute()
        Xn, yn = X.compute(), y.compute()
    want = fd.grad(loss)(np.zeros(5), Xn, yn)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_cupy_when_a_gpu_is_present():
    """CuPy runs in the `xp` fixture (every test above) when CuPy and a GPU are here."""
    cp = _cupy()
    if cp is None:
        pytest.skip("CuPy with a GPU is not available on this machine; the backend tests "
                    "run on CuPy where it is (and benchmarks/gpu.py)")
    g = fd.grad(lambda x: fnp.sum(fnp.sin(x) ** 2))(cp.asarray(X))
    assert isinstance(g, cp.ndarray)
    np.testing.assert_allclose(g.get(), np.sin(2 * X), rtol=1e-12)


@pytest.mark.parametrize("f", [lambda x: x, lambda x: x[1:], lambda x: fnp.reshape(x, (2, 2)),
                               lambda x: (x, x)], ids=["identity", "slice", "reshape", "twice"])
def test_outputs_never_alias_the_arguments(f):
    x = _s([1.0, 2.0, 3.0, 4.0])
    out = fd.jit(f)(x)
    outs = out if isinstance(out, tuple) else (out,)
    before = _strict_to_numpy(x, None).copy()
    for o in outs:
        o[...] = 0.0  # writing an output ...
    np.testing.assert_array_equal(_strict_to_numpy(x, None), before)  # ... leaves x alone
    if len(outs) == 2:
        assert outs[0] is not outs[1]


def test_out_of_bounds_dynamic_index_raises_on_a_device():
    # NumPy raises; the standard leaves `take` out of bounds unspecified (a GPU library may
    # wrap around): funcdiff checks, never a plausible wrong value
    x = _s([1.0, 2.0, 3.0])
    i = strict.asarray(np.array([0, 3]), device=strict.Device("device1"))
    with pytest.raises(IndexError, match="out of bounds"):
        fd.jit(lambda x, i: x[i])(x, i)
    j = strict.asarray(np.array([0, -1]), device=strict.Device("device1"))
    got = _strict_to_numpy(fd.grad(lambda x, j: fnp.sum(x[j] ** 2))(x, j), None)
    np.testing.assert_allclose(got, [2.0, 0.0, 6.0])


def test_jit_keeps_numpy_and_other_libraries_apart():
    f = fd.jit(fd.grad(lambda x: fnp.sum(fnp.sin(x) * x)))
    g_np = f(X)
    g_da = f(da.from_array(X, chunks=3))
    assert isinstance(g_np, np.ndarray) and isinstance(g_da, da.Array)
    assert f.cache_info()["misses"] == 2  # (a program for each: NumPy's compiled code,
    np.testing.assert_allclose(g_da.compute(), g_np, rtol=1e-12)  # and the staged one)
