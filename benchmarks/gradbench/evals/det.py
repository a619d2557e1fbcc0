"""GradBench `det`: the determinant by expansion by minors, and its gradient.

Expansion along the top row: `det M = sum_j (-1)^j M[0, j] det(minor_{0j} M)`, applied
recursively. The minors of the bottom `k` rows are indexed by the set `S` of their columns;
level `k` computes all of them at once from level `k - 1`, as arrays:

    D_k[S] = sum_{p} (-1)^p A[l - k, S_p] D_{k-1}[S without S_p]    (S sorted)

Each distinct minor is computed once and shared by the expansions that use it
(`O(2^l l)` products rather than the `O(l!)` of the textbook recursion).
"""

import functools
import itertools

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


@functools.cache
def _levels(ell):
    """Per level k = 1..ell: (columns, signs, child indices), each of shape (C(ell,k), k)."""
    index = {(): 0}
    levels = []
    for k in range(1, ell + 1):
        subsets = list(itertools.combinations(range(ell), k))
        cols = np.array(subsets, dtype=np.intp).reshape(len(subsets), k)
        signs = np.tile((-1.0) ** np.arange(k), (len(subsets), 1))
        child = np.array(
            [[index[s[:p] + s[p + 1 :]] for p in range(k)] for s in subsets], dtype=np.intp
        ).reshape(len(subsets), k)
        index = {s: i for i, s in enumerate(subsets)}
        levels.append((cols, signs, child))
    return levels


def det_by_minors(a):
    ell = a.shape[0]
    minors = fnp.ones(1)
    for k, (cols, signs, child) in enumerate(_levels(ell), start=1):
        row = a[ell - k]
        minors = fnp.sum(signs * row[cols] * minors[child], axis=1)
    return minors[0]


FUNCTIONS = {"primal": det_by_minors, "gradient": fd.grad(det_by_minors)}


def prepare(input):
    ell = int(input["ell"])
    return np.asarray(input["A"], dtype=np.float64).reshape(ell, ell)


def to_json(function, result):
    return float(result) if function == "primal" else np.asarray(result).ravel().tolist()
