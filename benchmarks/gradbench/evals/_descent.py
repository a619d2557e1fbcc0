"""The gradient-descent solver shared by `saddle` and `particle`, and the two gradient modes.

GradBench specifies the solver (the same in every tool, so that all find the same point):
start with step `eta = 1e-5`; stop when `|grad| <= 1e-5` or a step would move the point by at
most `1e-5`; take a step only if it lowers the objective (then count it), else halve `eta`;
after 10 counted steps in a row, double `eta`.

`grad_fwd` and `grad_rev` compute gradients with respect to the first argument in forward mode
(one `fd.jvp` per coordinate) and reverse mode (`fd.grad`). The other arguments may be tracers
of an enclosing differentiation, which is what makes these evals nested AD. Objectives and
gradients are wrapped in `fd.jit`: on concrete arguments they replay a compiled program, on
tracers they run primitive by primitive.
"""

import functools
import math

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def grad_rev(f):
    return fd.grad(f)


def grad_fwd(f):
    def gradient(x, *args):
        basis = np.eye(x.shape[0])
        return fnp.stack(
            [fd.jvp(lambda x: f(x, *args), (x,), (basis[i],))[1] for i in range(x.shape[0])]
        )

    return gradient


MODES = {"ff": (grad_fwd, grad_fwd), "fr": (grad_fwd, grad_rev),
         "rf": (grad_rev, grad_fwd), "rr": (grad_rev, grad_rev)}  # fmt: skip


def _value(v):
    """The concrete value: the loop's tests only steer it, they need no derivative."""
    return np.asarray(fd.stop_gradient(v), dtype=np.float64)


def _norm(v):
    return math.sqrt(float(np.sum(np.square(v))))


@functools.cache
def _staged(grad, f, sign):
    """`fd.jit` of `sign * f` and of its gradient, made once per (mode, function, sign)."""

    def signed(x, *args):
        return sign * f(x, *args)

    return fd.jit(signed), fd.jit(grad(signed))


def argmin(grad, f, x, *args, stage=False, sign=1.0):
    """Minimize `sign * f(x, *args)` over `x`, from `x`, with gradients by `grad`."""
    if stage:
        f, g = _staged(grad, f, sign)
    else:
        f = (lambda x, *a, f=f: -f(x, *a)) if sign < 0 else f
        g = grad(f)
    fx, gx = f(x, *args), g(x, *args)
    eta, counted = 1e-5, 0
    while True:
        if _norm(_value(gx)) <= 1e-5:
            return x
        if counted == 10:
            eta, counted = 2 * eta, 0
            continue
        x_new = x - eta * gx
        if _norm(_value(x) - _value(x_new)) <= 1e-5:
            return x
        fx_new = f(x_new, *args)
        if _value(fx_new) < _value(fx):
            x, fx, gx = x_new, fx_new, g(x_new, *args)
            counted += 1
        else:
            eta, counted = eta / 2, 0


def argmax(grad, f, x, *args, stage=False):
    return argmin(grad, f, x, *args, stage=stage, sign=-1.0)
