"""GradBench `llsq`: `y(x) = 1/2 sum_i (s_i - sum_j x_j t_i^j)^2`, and its gradient.

`t_i = -1 + 2 i / (n - 1)` and `s_i = sign(t_i)`, for `i < n`.
"""

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def primal(x, n):
    m = x.shape[0]
    t = -1.0 + (np.arange(n) * 2.0) / (n - 1)
    powers = np.vander(t, m, increasing=True)  # powers[i, j] = t_i ** j (constants)
    r = np.sign(t) - fnp.matmul(powers, x)
    return 0.5 * fnp.sum(r * r)


_gradient = fd.grad(primal)

FUNCTIONS = {
    "primal": lambda a: primal(*a),
    "gradient": lambda a: _gradient(*a),
}


def prepare(input):
    return np.asarray(input["x"], dtype=np.float64), int(input["n"])


def to_json(function, result):
    return float(result) if function == "primal" else np.asarray(result).tolist()
