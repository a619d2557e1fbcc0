"""`debug_nans` / `debug_infs`: the primitive or rule that made a NaN (inf), and the line.

NaNs and infinities are planted in the forward pass, the backward pass and the tangents,
eagerly and under grad, jvp, vjp, vmap, jit and their compositions; each report must
name the primitive (and the rule) and this file's line where the primitive was called.
"""

from __future__ import annotations

import threading

import helpers
import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp

HERE = __file__


def line_of(marker):
    """`this file:line` of the line ending with the comment `# <marker>`."""
    return f"{HERE}:{helpers.line_of(HERE, marker)}"


def log_sum(x):
    y = x * 2.0
    z = fnp.log(y)  # PLANTED-LOG
    return fnp.sum(z)


def sqrt_sum(x):
    return fnp.sum(fnp.sqrt(x) * 3.0)  # PLANTED-SQRT


NEG = np.array([-1.0, 2.0])  # log of -2: a NaN in the forward pass
ZERO = np.array([0.0, 2.0])  # sqrt at 0: an infinite derivative

FORWARD = {
    "eager": lambda x: log_sum(x),
    "grad": lambda x: fd.grad(log_sum)(x),
    "vjp": lambda x: fd.vjp(log_sum, x)[0],
    "jvp": lambda x: fd.jvp(log_sum, (x,), (np.ones_like(x),)),
    "vmap": lambda x: fd.vmap(log_sum)(x[None]),
    "jit": lambda x: fd.jit(log_sum)(x),
    "jit(vmap)": lambda x: fd.jit(fd.vmap(log_sum))(x[None]),
    "grad(jit)": lambda x: fd.grad(fd.jit(log_sum))(x),
    "vmap(grad)": lambda x: fd.vmap(fd.grad(log_sum))(x[None]),
    "hessian": lambda x: fd.hessian(log_sum)(x),
    "grad(grad)": lambda x: fd.grad(lambda v: fd.grad(log_sum)(v)[1])(x),
    "checkpoint": lambda x: fd.grad(fd.checkpoint(log_sum))(x),
}


@pytest.mark.parametrize("how", FORWARD)
def test_forward_nan_names_the_primitive_and_line(how):
    with fd.debug_nans(), pytest.raises(FloatingPointError) as info:
        FORWARD[how](NEG)
    msg = str(info.value)
    assert "`log` made a NaN from inputs without one" in msg, msg
    if how not in ("grad(jit)",):  # (inside a jitted program evaluated by grad: its call)
        assert line_of("PLANTED-LOG") in msg, msg
    assert "non-finite at (0" in msg, msg
    if how.startswith("jit"):
        assert msg.startswith("jit(") and "running it again eagerly" in msg


BACKWARD = {
    "grad": lambda x: fd.grad(sqrt_sum)(x),
    "vjp": lambda x: fd.vjp(sqrt_sum, x)[1](1.0),
    "jit(grad)": lambda x: fd.jit(fd.grad(sqrt_sum))(x),
    "vmap(grad)": lambda x: fd.vmap(fd.grad(sqrt_sum))(x[None]),
    "grad(grad)": lambda x: fd.grad(lambda v: fd.grad(sqrt_sum)(v)[1])(x),
    "jacrev": lambda x: fd.jacrev(sqrt_sum)(x),
    "value_and_grad": lambda x: fd.value_and_grad(sqrt_sum)(x),
}


@pytest.mark.parametrize("how", BACKWARD)
def test_backward_inf_names_the_vjp_rule_and_the_forward_line(how):
    with fd.debug_infs(), pytest.raises(FloatingPointError) as info:
        BACKWARD[how](ZERO)
    msg = str(info.value)
    assert "the VJP rule of `sqrt` (reverse mode) made a non-finite cotangent" in msg, msg
    assert f"`sqrt` was called at {line_of('PLANTED-SQRT')}" in msg, msg
    assert "incoming cotangents" in msg and "non-finite at (0" in msg


TANGENT = {
    "jvp": lambda x: fd.jvp(sqrt_sum, (x,), (np.ones_like(x),)),
    "jacfwd": lambda x: fd.jacfwd(sqrt_sum)(x),
    "hessian": lambda x: fd.hessian(sqrt_sum)(x),
    "jvp(grad)": lambda x: fd.jvp(fd.grad(sqrt_sum), (x,), (np.ones_like(x),)),
}


@pytest.mark.parametrize("how", TANGENT)
def test_tangent_inf_names_the_jvp_rule_and_line(how):
    with fd.debug_infs(), pytest.raises(FloatingPointError) as info:
        TANGENT[how](ZERO)
    msg = str(info.value)
    assert "the JVP rule of `sqrt` (forward mode) made a non-finite tangent" in msg, msg
    assert line_of("PLANTED-SQRT") in msg, msg


def test_jit_checks_what_the_compiled_program_returns():
    """Under jit the outputs are checked (as JAX's debug_nans does): grad(log_sum) at NEG
    is finite although its forward pass made a NaN, so the jitted gradient passes, while
    the eager one, where every primitive is checked, reports the log."""
    with fd.debug_nans():
        g = fd.jit(fd.grad(log_sum))(NEG)
        np.testing.assert_allclose(g, [-1.0, 0.5])
        with pytest.raises(FloatingPointError, match="`log` made a NaN"):
            fd.grad(log_sum)(NEG)


def test_linearize_checks_the_linear_function_when_it_runs():
    """linearize stages the tangents: the rule's infinite factor is a constant of the
    linear program, so the inf shows where that program multiplies by it."""
    with fd.debug_infs():
        _, f_jvp = fd.linearize(sqrt_sum, ZERO)
        out = f_jvp(np.ones(2))
    assert np.isinf(out)


def test_nans_and_infs_are_told_apart():
    with fd.debug_nans():  # sqrt's infinite derivative is no NaN
        g = fd.grad(sqrt_sum)(ZERO)
    assert np.isinf(g[0])
    with fd.debug_infs(), np.errstate(invalid="ignore"):  # log(-2) is NaN, not inf
        assert np.isnan(log_sum(NEG))
    with fd.debug_infs(), pytest.raises(FloatingPointError, match="`log` made an infinity"):
        log_sum(np.array([0.0, 1.0]))
    with fd.debug_nans(), fd.debug_infs(), pytest.raises(FloatingPointError,
                                                         match="a non-finite value"):
        log_sum(NEG)


def test_values_that_already_had_a_nan_pass():
    x = np.array([np.nan, 2.0])
    with fd.debug_nans(), np.errstate(invalid="ignore"):
        assert np.isnan(log_sum(x))
        g = fd.grad(log_sum)(x)
    assert np.isnan(g[0]) and g[1] == 0.5


def test_off_by_default_and_results_unchanged():
    assert not fd.config.debug_nans and not fd.config.debug_infs
    with np.errstate(all="ignore"):
        assert np.isnan(log_sum(NEG))
        assert np.isinf(fd.grad(sqrt_sum)(ZERO)[0])
    x = np.array([0.5, 2.0])
    with fd.debug_nans(), fd.debug_infs():
        on = (log_sum(x), fd.grad(log_sum)(x), fd.jit(fd.grad(sqrt_sum))(x),
              fd.vmap(fd.grad(log_sum))(x[None]), fd.hessian(log_sum)(x))
    off = (log_sum(x), fd.grad(log_sum)(x), fd.jit(fd.grad(sqrt_sum))(x),
           fd.vmap(fd.grad(log_sum))(x[None]), fd.hessian(log_sum)(x))
    for a, b in zip(on, off):
        np.testing.assert_array_equal(a, b)
        assert type(a) is type(b)
    assert not fd.config.debug_nans and not fd.config.debug_infs


def test_config_update_switches_it_and_refuses_inside_a_transform():
    fd.config.update("debug_nans", True)
    try:
        with pytest.raises(FloatingPointError):
            log_sum(NEG)

        def inside(x):
            fd.config.update("debug_nans", False)
            return x

        with pytest.raises(RuntimeError, match="outside transforms"):
            fd.grad(inside)(1.0)
    finally:
        fd.config.update("debug_nans", False)
    with np.errstate(invalid="ignore"):
        assert np.isnan(log_sum(NEG))  # off again


def test_other_threads_are_not_affected():
    results = []

    def worker():
        with np.errstate(invalid="ignore"):
            results.append(log_sum(NEG))

    with fd.debug_nans():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert np.isnan(results[0])


def test_programs_keep_the_line_while_debugging():
    with fd.debug_nans():
        text = str(fd.make_program(log_sum)(np.ones(2)))
    assert f"log b  # {line_of('PLANTED-LOG')}" in text
    assert "#" not in str(fd.make_program(log_sum)(np.ones(2)))


def test_custom_vjp_bwd_is_checked_as_a_rule():
    @fd.custom_vjp
    def f(x):
        return fnp.sin(x)

    f.defvjp(lambda x: (fnp.sin(x), x), lambda x, g: (g / x,))  # inf at 0

    with fd.debug_infs(), pytest.raises(FloatingPointError) as info:
        fd.grad(lambda x: fnp.sum(f(x)))(ZERO)  # PLANTED-CUSTOM
    assert "VJP rule" in str(info.value) and "custom_vjp" in str(info.value)
    assert line_of("PLANTED-CUSTOM") in str(info.value)


def test_numpy_warnings_give_way_to_the_report():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fd.debug_nans(), pytest.raises(FloatingPointError):
            fd.jit(log_sum)(NEG)


def test_jit_replays_its_program_when_the_eager_run_differs():
    """A jitted function that read a global while tracing: running it again eagerly
    gives no NaN, so the compiled program is replayed equation by equation."""
    state = {"k": -1.0}

    def f(x):
        return fnp.log(x * state["k"])

    jf = fd.jit(f)
    with np.errstate(invalid="ignore"):
        jf(np.ones(2))  # traced (checks off) with k = -1
    state["k"] = 1.0
    with fd.debug_nans(), pytest.raises(FloatingPointError) as info:
        jf(np.ones(2))
    msg = str(info.value)
    assert msg.startswith("jit(f) returned a non-finite value; running it again eagerly did "
                          "not, but its program, replayed equation by equation, did: `log`")
