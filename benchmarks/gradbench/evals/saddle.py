"""GradBench `saddle`: `min_x max_y f(x, y)` for `f = (x1^2 + y1^2) - (x2^2 + y2^2)`.

Both optimizations are the shared gradient descent (`_descent.py`) from the given start: first
`x = argmin_x max_y f(x, y)` (the outer descent differentiates through the inner one: nested
AD), then `y = argmax_y f(x, y)`. The function name picks the modes: `rf` = reverse outer,
forward inner, and so on. Output `[x1, x2, y1, y2]`.
"""

import numpy as np

import funcdiff.numpy as fnp
from evals._descent import MODES, argmax, argmin


def f_swapped(y, x):
    """`f(x, y) = (x1^2 + y1^2) - (x2^2 + y2^2)`, with `x = (x1, y1)` and `y = (x2, y2)`."""
    return fnp.sum(x * x) - fnp.sum(y * y)


def saddle(start, outer, inner):
    def max_over_y(x):
        y = argmax(inner, f_swapped, start, x, stage=True)
        return f_swapped(y, x)

    x = argmin(outer, max_over_y, start)
    y = argmax(outer, f_swapped, start, x, stage=True)
    return fnp.concatenate([x, y])


FUNCTIONS = {
    name: (lambda start, modes=modes: saddle(start, *modes)) for name, modes in MODES.items()
}


def prepare(input):
    return np.asarray(input["start"], dtype=np.float64)


def to_json(function, result):
    return np.asarray(result).tolist()
