"""GradBench `kmeans`: `cost(C) = sum_i min_j |C_j - P_i|^2` and the Newton direction `dir`.

`dir = J / H`: `J` is the gradient of the cost with respect to the centroids and `H` the
diagonal of its Hessian, which is its only nonzero part, so `H` is the Hessian-vector product
with a vector of ones. Both come from one forward-over-reverse pass:
`fd.jvp(fd.grad(cost), (C,), (ones,)) == (J, H @ 1)`.
"""

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def cost(centroids, points):
    # |c - p|^2 = |p|^2 - 2 p.c + |c|^2 for all pairs: (n, k) without an (n, k, d) intermediate
    sq = (
        fnp.sum(points * points, axis=1)[:, None]
        - 2.0 * fnp.matmul(points, centroids.T)
        + fnp.sum(centroids * centroids, axis=1)
    )
    return fnp.sum(fnp.min(sq, axis=1))


def direction(centroids, points):
    j, h = fd.jvp(lambda c: fd.grad(cost)(c, points), (centroids,), (np.ones_like(centroids),))
    return j / h


FUNCTIONS = {
    "cost": lambda a: cost(*a),
    "dir": lambda a: direction(*a),
}


def prepare(input):
    return (
        np.asarray(input["centroids"], dtype=np.float64),
        np.asarray(input["points"], dtype=np.float64),
    )


def to_json(function, result):
    return float(result) if function == "cost" else np.asarray(result).tolist()
