"""GradBench `ode`: `s` classical Runge-Kutta steps on `[0, 2]` of

    y_0' = x_0,    y_i' = x_i y_{i-1}  (i > 0),    y(0) = 0,

returning `y(2)` (`primal`) or the gradient of its last element with respect to `x`
(`gradient`, reverse mode through the loop, under `fd.jit`).
"""

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def rhs(x, y):
    return fnp.concatenate([x[:1], x[1:] * y[:-1]])


def primal(x, s):
    h = 2.0 / s
    y = fnp.zeros_like(x)
    for _ in range(s):
        k1 = rhs(x, y)
        k2 = rhs(x, y + (h / 2) * k1)
        k3 = rhs(x, y + (h / 2) * k2)
        k4 = rhs(x, y + h * k3)
        y = y + (h / 6) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


# staged once per (n, s): 3-4x faster than eager for the gradient; the primal gains nothing
_gradient = fd.jit(fd.grad(lambda x, s: primal(x, s)[-1]), static_argnums=1)

FUNCTIONS = {
    "primal": lambda a: primal(*a),
    "gradient": lambda a: _gradient(*a),
}


def prepare(input):
    return np.asarray(input["x"], dtype=np.float64), int(input["s"])


def to_json(function, result):
    return np.asarray(result).tolist()
