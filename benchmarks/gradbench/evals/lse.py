"""GradBench `lse`: LogSumExp by the max trick, and its gradient by reverse mode."""

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def lse(x):
    """`max(x) + log(sum(exp(x - max(x))))`, written from its primitive elements.

    The shift `a = max(x)` cancels out of the value, so its derivative contribution is exactly
    zero: `fd.stop_gradient` skips differentiating the max (half the gradient's time).
    """
    a = fd.stop_gradient(fnp.max(x))
    return a + fnp.log(fnp.sum(fnp.exp(x - a)))


FUNCTIONS = {"primal": lse, "gradient": fd.grad(lse)}


def prepare(input):
    return np.asarray(input["x"], dtype=np.float64)


def to_json(function, result):
    return float(result) if function == "primal" else np.asarray(result).tolist()
