"""GradBench `particle`: choose `w` so that a charged particle hits the origin.

The particle starts at `(0, 8)` with velocity `(0.75, 0)`, in the potential
`p(x) = 1/|x - (10, 10 - w)| + 1/|x - (10, 0)|`; naive Euler steps (`dt = 0.1`, acceleration
`-grad p`, the inner AD) run until the next position would have `x_1 <= 0`, then the crossing
of the x axis is linearly extrapolated and the cost is its `x_0^2`. `w` is found by the shared
gradient descent (`_descent.py`) on that cost (the outer AD, through the loop and the inner
gradient). Function names pick the modes: `rf` = reverse outer, forward inner, and so on.
"""

import functools

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp
from evals._descent import MODES, argmin

DT = 0.1


def potential(x, w):
    """`1/|x - (10, 10 - w)| + 1/|x - (10, 0)|`."""
    charges = fnp.stack([fnp.stack([10.0, 10.0 - w]), np.array([10.0, 0.0])])
    d = x - charges
    return fnp.sum(1.0 / fnp.sqrt(fnp.sum(d * d, axis=1)))


@functools.cache
def _force(inner):
    """`grad_x potential(x, w)` in the inner mode, staged by `fd.jit`."""
    return fd.jit(inner(potential))


def landing_cost(w, inner):
    force = _force(inner)
    x, xdot = np.array([0.0, 8.0]), np.array([0.75, 0.0])
    while True:
        xddot = -force(x, w)
        x_new = x + DT * xdot
        if not x_new[1] > 0:
            break
        x, xdot = x_new, xdot + DT * xddot
    dt_final = -x[1] / xdot[1]
    return (x[0] + dt_final * xdot[0]) ** 2


def particle(w0, outer, inner):
    w = argmin(outer, lambda w: landing_cost(w[0], inner), fnp.array([w0]))
    return w[0]


FUNCTIONS = {name: (lambda w0, modes=modes: particle(w0, *modes)) for name, modes in MODES.items()}


def prepare(input):
    return float(input["w"])


def to_json(function, result):
    return float(result)
