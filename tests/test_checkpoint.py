"""`checkpoint` (alias `remat`): same values and derivatives, less memory in reverse mode.

The memory test measures the peak of `tracemalloc` (NumPy reports its array
buffers to it) during `grad` of a deep residual MLP, with and without
`checkpoint` around each layer, at several depths, and fits the growth per layer.
What `checkpoint` promises (see its docstring): reverse mode stores only each
checkpointed call's inputs and recomputes the rest during the backward pass, so
only one layer's intermediates are live at a time. The stored state then grows
by one activation (the layer's input, which is the previous layer's output) per
layer, while plain reverse mode keeps every intermediate of every layer that a
VJP rule needs.
"""

import gc
import tracemalloc

import numpy as np
import pytest
from helpers import close

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff.tree import tree_map

RNG = np.random.default_rng(0)


def block(p, x):
    """A residual block: x + tanh(tanh(x W1 + b) W2)."""
    h = fnp.tanh(x @ p["w1"] + p["b"])
    return x + fnp.tanh(h @ p["w2"])


def params(width, rng):
    s = 0.5 / np.sqrt(width)
    return {
        "w1": s * rng.normal(size=(width, width)),
        "b": 0.1 * rng.normal(size=width),
        "w2": s * rng.normal(size=(width, width)),
    }


def net(layer, ps):
    def loss(x):
        for p in ps:
            x = layer(p, x)
        return fnp.sum(x**2)

    return loss


PS = [params(3, RNG) for _ in range(3)]
XB = RNG.normal(size=(2, 3))
CBLOCK = fd.checkpoint(block)


# ------------------------------------------------------------------ values and derivatives


def test_values_outside_transforms():
    out = CBLOCK(PS[0], XB)
    assert type(out) is np.ndarray
    close(out, block(PS[0], XB), 0)
    assert fd.remat is fd.checkpoint


def test_grad_same_as_without_checkpoint():
    close(fd.grad(net(CBLOCK, PS))(XB), fd.grad(net(block, PS))(XB))

    def loss(layer):
        return lambda ps, x: net(layer, ps)(x)

    tree_map(close, fd.grad(loss(CBLOCK))(PS, XB), fd.grad(loss(block))(PS, XB))
    out, pullback = fd.vjp(lambda x: CBLOCK(PS[0], x), XB)
    out0, pullback0 = fd.vjp(lambda x: block(PS[0], x), XB)
    close(out, out0)
    ct = RNG.normal(size=XB.shape)
    close(pullback(ct)[0], pullback0(ct)[0])
    close(pullback(2 * ct)[0], pullback0(2 * ct)[0])  # the pullback can be called again


def test_jvp_and_jacobians_same_as_without_checkpoint():
    t = RNG.normal(size=XB.shape)
    y, ty = fd.jvp(net(CBLOCK, PS), (XB,), (t,))
    y0, ty0 = fd.jvp(net(block, PS), (XB,), (t,))
    close(y, y0)
    close(ty, ty0)
    close(fd.jacfwd(lambda x: CBLOCK(PS[0], x))(XB), fd.jacfwd(lambda x: block(PS[0], x))(XB))
    close(fd.jacrev(lambda x: CBLOCK(PS[0], x))(XB), fd.jacfwd(lambda x: block(PS[0], x))(XB))


def test_second_order_same_as_without_checkpoint():
    x = XB[0]
    close(fd.hessian(net(CBLOCK, PS))(x), fd.hessian(net(block, PS))(x))
    v = RNG.normal(size=3)
    hvp = fd.jvp(fd.grad(net(CBLOCK, PS)), (x,), (v,))[1]
    close(hvp, fd.jvp(fd.grad(net(block, PS)), (x,), (v,))[1])
    gg = fd.grad(lambda x: fnp.sum(fd.grad(net(CBLOCK, PS))(x) ** 2))(x)
    close(gg, fd.grad(lambda x: fnp.sum(fd.grad(net(block, PS))(x) ** 2))(x))


def test_vmap_same_as_without_checkpoint():
    xs = RNG.normal(size=(4, 3))
    close(fd.vmap(CBLOCK, (None, 0))(PS[0], xs), block(PS[0], xs))
    close(fd.vmap(fd.grad(net(CBLOCK, PS)))(xs), fd.vmap(fd.grad(net(block, PS)))(xs))
    g = fd.grad(lambda p: fnp.sum(fd.vmap(CBLOCK, (None, 0))(p, xs)))(PS[0])
    tree_map(close, g, fd.grad(lambda p: fnp.sum(block(p, xs)))(PS[0]))


def test_jit_same_as_without_checkpoint():
    close(fd.jit(fd.grad(net(CBLOCK, PS)))(XB), fd.grad(net(block, PS))(XB))
    close(fd.grad(fd.jit(net(CBLOCK, PS)))(XB), fd.grad(net(block, PS))(XB))


def test_nested_checkpoints():
    inner = fd.checkpoint(fnp.sin)
    outer = fd.checkpoint(lambda x: inner(x) * x)
    close(fd.grad(outer)(0.5), np.cos(0.5) * 0.5 + np.sin(0.5))
    close(fd.grad(fd.grad(outer))(0.5), fd.grad(fd.grad(lambda x: fnp.sin(x) * x))(0.5))


def test_pytrees_and_static_python_arguments():
    f = fd.checkpoint(lambda p, n: {"y": fnp.sin(p["a"]) * p["b"] ** n})
    g = fd.grad(lambda p: f(p, 2)["y"])({"a": 1.0, "b": 2.0})
    close(g["a"], np.cos(1.0) * 4.0)
    close(g["b"], np.sin(1.0) * 4.0)


def test_keyword_arguments():
    f = fd.checkpoint(lambda x, n=2: x**n)
    assert float(f(2.0, n=3)) == 8.0
    close(fd.grad(lambda x: f(x, n=3))(2.0), 12.0)


def test_policy_other_than_none_is_refused():
    with pytest.raises(NotImplementedError, match="policy"):
        fd.checkpoint(fnp.sin, policy=lambda *a: True)


# ------------------------------------------------------------------ closures over tracers

A = 0.7
WANT = np.sin(A) + A * np.cos(A)  # d/da [a sin(a)]


def _closure(a):
    return fd.checkpoint(lambda x: a * fnp.sin(x))(a)


def test_closure_over_outer_tracer_constant_input():
    close(fd.grad(lambda a: fd.checkpoint(lambda x: a * fnp.sin(x))(2.0))(A), np.sin(2.0))


@pytest.mark.parametrize(
    "transform",
    [
        lambda: fd.grad(_closure)(A),
        lambda: fd.jvp(_closure, (A,), (1.0,))[1],
        lambda: fd.jacrev(_closure)(A),
        lambda: fd.vmap(fd.grad(_closure))(np.array([A]))[0],
    ],
    ids=["grad", "jvp", "jacrev", "vmap_grad"],
)
def test_closure_over_outer_tracer(transform):
    # a checkpointed layer that closes over the parameter being differentiated
    got = transform()
    assert isinstance(got, (np.ndarray, np.generic, float)), type(got)
    close(got, WANT)


def test_closure_under_vmap():
    xs = np.array([0.1, A, 2.0])
    out = fd.vmap(_closure)(xs)
    assert type(out) is np.ndarray, type(out)
    close(out, xs * np.sin(xs))


def test_checkpointed_scan_step_closing_over_a_parameter():
    # what the scan docstring recommends: wrap the step in checkpoint
    xs = np.linspace(-1.0, 1.0, 5)

    def run(w, step_wrapper):
        step = step_wrapper(lambda c, x: (fnp.tanh(w * c + x), c))
        return fd.scan(step, 0.1, xs)[0]

    close(fd.grad(run)(0.5, fd.checkpoint), fd.grad(run)(0.5, lambda f: f))


# ------------------------------------------------------------------ memory


WIDTH, BATCH = 256, 64
ACT = WIDTH * BATCH * 8  # bytes of one float64 activation
DEPTHS = (10, 20, 40, 50)


def _peak_bytes(fn, *args):
    """Peak traced memory while `fn(*args)` runs, above what was live before."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def _slope(depths, peaks):
    return np.polyfit(depths, peaks, 1)[0]


def test_checkpoint_memory_per_layer():
    rng = np.random.default_rng(0)
    ps = [params(WIDTH, rng) for _ in range(max(DEPTHS))]
    x = rng.normal(size=(BATCH, WIDTH))
    plain, ckpt = [], []
    for depth in DEPTHS:
        plain.append(_peak_bytes(fd.grad(net(block, ps[:depth])), x))
        ckpt.append(_peak_bytes(fd.grad(net(CBLOCK, ps[:depth])), x))
    s_plain, s_ckpt = _slope(DEPTHS, plain), _slope(DEPTHS, ckpt)
    rows = [
        f"{d:3d} layers: plain {p / 2**20:6.2f} MiB, checkpoint {c / 2**20:6.2f} MiB"
        for d, p, c in zip(DEPTHS, plain, ckpt)
    ]
    report = "\n".join(
        ["grad of a residual MLP w.r.t. its input, width 256, batch 64, peak tracemalloc:"]
        + rows
        + [
            f"per layer: plain {s_plain / ACT:.2f}, checkpoint {s_ckpt / ACT:.2f} activations "
            f"(1 activation = {ACT / 2**10:.0f} KiB)"
        ]
    )
    print(report)
    # the promise: one stored activation (the layer's input) per checkpointed layer
    assert s_ckpt <= 1.25 * ACT, report
    # plain reverse mode keeps tanh's outputs (h, tanh(h W2)) and the block output
    assert s_plain >= 2.5 * ACT, report
    assert s_ckpt <= 0.5 * s_plain, report
    assert ckpt[-1] < 0.6 * plain[-1], report


def test_checkpoint_memory_50_layers_with_parameter_gradients():
    # Gradients w.r.t. the weights: each layer's weight gradient (2 x 512 KiB = 8
    # activations) is created as the backward pass frees that layer's residuals, so
    # the peak is at the end of the backward pass and is the weight gradients
    # themselves, with or without checkpoint: at this width and batch, checkpoint
    # cannot lower it (and costs at most one layer's recomputation).
    rng = np.random.default_rng(0)
    ps = [params(WIDTH, rng) for _ in range(50)]
    x = rng.normal(size=(BATCH, WIDTH))

    def loss(layer):
        return lambda ps, x: net(layer, ps)(x)

    plain = _peak_bytes(fd.grad(loss(block)), ps, x)
    ckpt = _peak_bytes(fd.grad(loss(CBLOCK)), ps, x)
    grads = 50 * 2 * WIDTH * WIDTH * 8
    report = (
        f"50 layers, gradient w.r.t. the weights: plain {plain / 2**20:.2f} MiB, "
        f"checkpoint {ckpt / 2**20:.2f} MiB (the weight gradients alone: {grads / 2**20:.2f} MiB)"
    )
    print(report)
    assert plain < 1.05 * grads, report
    assert ckpt < 1.05 * plain, report
