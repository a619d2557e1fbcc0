"""GradBench `gmm`: log posterior of a Gaussian mixture with a Wishart prior, and its gradient.

With `Q_k` lower triangular (diagonal `exp(q_k)`, strictly lower part `l_k` filled column by
column) and precision `Q_k^T Q_k`:

    beta[i, k] = alpha_k + sum_j q_kj - 1/2 |Q_k (x_i - mu_k)|^2
    F = -N (D/2 log 2pi + lse(alpha)) + sum_i lse(beta[i])
        + K (nD log(gamma / sqrt 2) - log Gamma_D(n / 2))
        - sum_k (gamma^2 / 2 |Q_k|_F^2 - m sum_j q_kj)              with n = D + m + 1

When `K >= D / 2` the quadratic form is expanded with the precision `P_k = Q_k^T Q_k`:
`|Q_k (x_i - mu_k)|^2 = <x_i x_i^T, P_k> - 2 x_i . P_k mu_k + mu_k . P_k mu_k`, so all `N x K`
of them are two matrix products (no `N x K x D` intermediate; the first over the upper
triangle of the symmetric `P_k`); for few components `Q_k x_i` is one matrix product
`x @ [Q_1^T ... Q_K^T]` instead (no `N x D^2` intermediate). The gradient is `fd.grad` of
this with respect to `(alpha, mu, q, l)`, eager.
"""

import functools
import math

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


def logsumexp(v, axis=-1):
    mx = fnp.max(v, axis=axis, keepdims=True)
    return fnp.squeeze(mx, axis) + fnp.log(fnp.sum(fnp.exp(v - mx), axis=axis))


@functools.cache
def _tril_gather(d):
    """Index into `[l_k, 0]` giving the strictly lower part of `Q_k` (row-major `d * d`)."""
    p = d * (d - 1) // 2
    idx = np.full((d, d), p, dtype=np.intp)  # p points at the appended zero
    rows, cols = [], []
    for c in range(d):  # column by column
        for r in range(c + 1, d):
            rows.append(r)
            cols.append(c)
    idx[rows, cols] = np.arange(p)
    return idx.ravel()


def log_multigamma(a, d):
    return 0.25 * d * (d - 1) * math.log(math.pi) + sum(
        math.lgamma(a + 0.5 * (1 - j)) for j in range(1, d + 1)
    )


def _quadratic_forms(qmat, mu, x):
    """`|Q_k (x_i - mu_k)|^2` for all `i, k` as
    `x_i^T P_k x_i - 2 x_i . (P_k mu_k) + mu_k . (P_k mu_k)` with `P_k = Q_k^T Q_k`."""
    n_pts, d = x.shape
    prec = fnp.einsum("kij,kil->kjl", qmat, qmat)  # (K, D, D)
    pmu = fnp.einsum("kjl,kl->kj", prec, mu)  # (K, D)
    # <x x^T, P> over the upper triangle of the symmetric P (off-diagonal terms twice)
    iu, ju = np.triu_indices(d)
    xx = x[:, iu] * (x[:, ju] * np.where(iu == ju, 1.0, 2.0))  # data only: no gradient
    return fnp.matmul(xx, prec[:, iu, ju].T) - 2.0 * fnp.matmul(x, pmu.T) + fnp.sum(mu * pmu, 1)


def _quadratic_forms_direct(qmat, mu, x):
    """`|Q_k x_i - Q_k mu_k|^2`, the `Q_k x_i` for all `i, k` by one matrix product."""
    n_pts, d = x.shape
    k = mu.shape[0]
    qt = fnp.reshape(fnp.transpose(qmat, (2, 0, 1)), (d, k * d))  # qt[j, (k, i)] = Q_k[i, j]
    diff = fnp.reshape(fnp.matmul(x, qt), (n_pts, k, d)) - fnp.einsum("kij,kj->ki", qmat, mu)
    return fnp.sum(diff * diff, axis=2)


def objective(params, x, m, gamma):
    alpha, mu, q, lower = params["alpha"], params["mu"], params["q"], params["l"]
    n_pts, d = x.shape
    k = alpha.shape[0]
    qdiag = fnp.exp(q)  # (K, D)
    sum_q = fnp.sum(q, axis=1)  # (K,)
    lpad = fnp.concatenate([lower, fnp.zeros((k, 1))], axis=1)
    qmat = fnp.reshape(lpad[:, _tril_gather(d)], (k, d, d)) + qdiag[:, :, None] * np.eye(d)
    quad = _quadratic_forms(qmat, mu, x) if 2 * k >= d else _quadratic_forms_direct(qmat, mu, x)
    beta = (alpha + sum_q) - 0.5 * quad
    nu = d + m + 1
    const = -n_pts * d * 0.5 * math.log(2 * math.pi) + k * (
        nu * d * (math.log(gamma) - 0.5 * math.log(2)) - log_multigamma(0.5 * nu, d)
    )
    frob = fnp.sum(qdiag * qdiag) + fnp.sum(lower * lower)
    prior = -(0.5 * gamma * gamma * frob - m * fnp.sum(sum_q))
    return const + fnp.sum(logsumexp(beta)) - n_pts * logsumexp(alpha) + prior


_objective = objective
_jacobian = fd.grad(objective)  # eager: as fast as fd.jit here (README.md), no staging

FUNCTIONS = {
    "objective": lambda a: _objective(*a),
    "jacobian": lambda a: _jacobian(*a),
}


def prepare(input):
    d, k = int(input["d"]), int(input["k"])

    def arr(name, shape):
        return np.asarray(input[name], dtype=np.float64).reshape(shape)

    params = {
        "alpha": arr("alpha", (k,)),
        "mu": arr("mu", (k, d)),
        "q": arr("q", (k, d)),
        "l": arr("l", (k, d * (d - 1) // 2)),
    }
    x = arr("x", (int(input["n"]), d))
    return params, x, int(input["m"]), float(input["gamma"])


def to_json(function, result):
    if function == "objective":
        return float(result)
    return {name: np.asarray(v).tolist() for name, v in result.items()}
