"""Every fast path that remains agrees with the general path it shortcuts.

`grad`/`value_and_grad` skip the pytree bookkeeping for one array or float argument
and convert a float64 scalar cotangent directly; `vmap` skips it for plain array
arguments and for one batched output. Each is checked here against the same call
spelled so that it takes the general path (the argument inside a pytree, the output
inside a tuple), and `grad` against `vjp`, over a table of functions and inputs.
(The elementwise fast path against `bind` is in test_primitive_fields.py; jit's
dispatch cache in test_jit.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import assert_same

import funcdiff as fd
import funcdiff.numpy as fnp

FUNCTIONS = {
    "sin_sum": lambda x: fnp.sum(fnp.sin(x) * x),
    "chain": lambda x: fnp.sum(fnp.tanh(fnp.exp(-(x**2)) + 0.5 * x) / (1.0 + x * x)),
    "max_mean": lambda x: fnp.mean(fnp.maximum(x, 0.1) ** 2),
    "matmul": lambda x: fnp.sum(fnp.tanh(fnp.reshape(x, (-1, 1)) @ fnp.ones((1, 3)))),
    "constant": lambda x: fnp.sum(fnp.ones(3)),  # no dependence on x: zero gradient
}
INPUTS = {
    "float": lambda: 0.7,
    "f64_scalar": lambda: np.float64(-1.3),
    "f64_vector": lambda: np.linspace(-1.0, 2.0, 5),
    "f32_vector": lambda: np.linspace(-1.0, 2.0, 4).astype(np.float32),
}


@pytest.mark.parametrize("fname", FUNCTIONS)
@pytest.mark.parametrize("iname", INPUTS)
def test_grad_fast_path_agrees_with_the_pytree_path_and_vjp(fname, iname):
    f, x = FUNCTIONS[fname], INPUTS[iname]()
    fast = fd.grad(f)(x)
    general = fd.grad(lambda t: f(t["x"]))({"x": x})["x"]
    y, pullback = fd.vjp(f, x)
    (via_vjp,) = pullback(np.ones_like(np.asarray(y)))
    for other in (general, via_vjp):
        assert type(fast) is type(other)
        assert np.result_type(fast) == np.result_type(other) == np.result_type(x)
        assert_same(fast, other, rtol=1e-6 if np.result_type(x) == np.float32 else 1e-12)


@pytest.mark.parametrize("fname", FUNCTIONS)
@pytest.mark.parametrize("iname", INPUTS)
def test_value_and_grad_fast_path_agrees_with_the_pytree_path(fname, iname):
    f, x = FUNCTIONS[fname], INPUTS[iname]()
    v_fast, g_fast = fd.value_and_grad(f)(x)
    v_gen, g_gen = fd.value_and_grad(lambda a, t: f(t[0]), argnums=1)(None, (x,))
    assert_same(v_fast, v_gen)
    assert_same(g_fast, g_gen[0])
    assert np.result_type(g_fast) == np.result_type(g_gen[0])


VMAPPED = {
    "elementwise": lambda x: fnp.sin(x) * x,
    "reduction": lambda x: fnp.sum(x**2),
    "matmul": lambda x: x @ fnp.ones((x.shape[-1], 2)),
    "constant": lambda x: fnp.ones(2),  # unbatched output: broadcast
}


@pytest.mark.parametrize("fname", VMAPPED)
@pytest.mark.parametrize("in_axes", [0, 1, -1])
@pytest.mark.parametrize("out_axes", [0, -1])
def test_vmap_fast_paths_agree_with_the_pytree_path(fname, in_axes, out_axes):
    f = VMAPPED[fname]
    xs = np.random.default_rng(0).normal(size=(3, 4))
    fast = fd.vmap(f, in_axes=in_axes, out_axes=out_axes)(xs)
    general = fd.vmap(lambda d: (f(d["x"]),), in_axes=({"x": in_axes},),
                      out_axes=(out_axes,))({"x": xs})[0]
    assert_same(fast, general)
    loop = np.stack([f(x) for x in np.moveaxis(xs, in_axes, 0)], axis=out_axes)
    assert_same(fast, loop)


def test_every_numpy_outside_transforms_function_is_walked():
    """`numpy_outside_transforms` (funcdiff/_src/numpy/util.py) is the NumPy API's one
    eager fast path: with no transform active the function is NumPy's. tests/test_walk.py
    calls every public function on a probe input under `jvp` and compares the primal
    output with the eager (NumPy) value, and its derivatives with finite differences: the
    fast path against the general path. Here: every decorated function has such a case,
    and the eager call really is NumPy's."""
    import importlib

    from tests import test_walk

    walked = {c.id for c in test_walk.CASES}
    decorated = []
    for module in test_walk.MODULES:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            fn = getattr(mod, name)
            np_fn = getattr(fn, "numpy_function", None)
            if np_fn is not None:
                decorated.append(f"{module}.{name}")
                assert (module, name) in test_walk.NOT_APPLICABLE or (
                    f"{module}.{name}" in walked), f"{module}.{name} is not walked"
    assert len(decorated) > 150
    x = np.linspace(0.1, 0.9, 6).reshape(2, 3)
    assert_same(fnp.sum(x, axis=1), np.sum(x, axis=1))
    assert type(fnp.cumsum(x)) is np.ndarray


@pytest.mark.parametrize("value", [1.5, np.linspace(0.1, 1.0, 4)])
@pytest.mark.parametrize("lower", [False, True])
def test_reverse_mode_unary_shortcut_agrees_with_unbox(value, lower):
    """RevTrace.process_primitive unboxes a single argument inline; the tape entry it
    writes is what the general `_unbox` gives (also when the value is a tracer of a
    lower level, under jvp, and for an output of a multiple-result primitive)."""
    from funcdiff._src.core import pop_main, push_main
    from funcdiff._src.interpreters.reverse import RevTrace, RevTracer
    from funcdiff._src.lax.elementwise import sin_p

    def check(v):
        main = push_main(RevTrace, "test")
        try:
            trace = main.trace
            for x in (trace.new_input(v), RevTracer(trace, v, 0, 1)):
                trace.process_primitive(sin_p, (x,), {})
                entry = trace.tape[-1]
                primals, argnums, parents, low, arrays = trace._unbox((x,))
                assert entry[2] == primals and entry[4] == argnums and entry[5] == parents
                assert low == lower and arrays is None
        finally:
            pop_main(main)
        return fnp.sin(v)

    if lower:
        fd.jvp(check, (value,), (np.ones_like(value),))
    else:
        check(value)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape,axis", [((3000, 3), 1), ((3, 3000), 0), ((40, 7, 30), 1),
                                        ((2, 2100, 2), 2), ((1000, 8), 1)])
def test_sums_over_a_short_axis_equal_numpys(shape, axis, dtype):
    # (reduce_sum adds the slices of an axis of at most 7 one after another: NumPy's order)
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 10.0 ** rng.uniform(-8, 8, shape)).astype(dtype)
    for arr in (x, np.asfortranarray(x), x[::-1]):  # contiguous, transposed, reversed
        want = np.sum(arr, axis=axis)
        got = fnp.sum(arr, axis=axis)
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
        jitted = fd.jit(lambda a: fnp.sum(a * 1.0, axis=axis))(arr)
        np.testing.assert_array_equal(jitted, np.sum(arr * 1.0, axis=axis))
        g = fd.grad(lambda a: fnp.sum(fnp.sum(a, axis=axis) ** 2))(arr)
        np.testing.assert_allclose(g, 2 * np.expand_dims(want, axis) * np.ones_like(arr),
                                   rtol=1e-5 if dtype == np.float32 else 1e-12)
