"""Sparse Jacobians and Hessians: detected patterns never miss a non-zero (random probes
against dense Jacobians), structural patterns are exact where they should be, colourings
are valid, and the compressed evaluations equal the dense derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import softplus as _softplus

import funcdiff as fd
import funcdiff.numpy as fnp

sp = pytest.importorskip("scipy.sparse")

A = np.linspace(-1.0, 1.0, 24).reshape(6, 4)
pytest.importorskip("funcdiff.scipy.special")


def _laplacian_residual(u):
    """A 2-D Bratu-like residual on a 6 x 5 grid (five-point stencil, zero boundary)."""
    g = fnp.reshape(u, (6, 5))
    p = fnp.pad(g, 1)
    lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * g
    return fnp.ravel(lap + 0.5 * fnp.exp(g))


# (name, function of a vector of 30, exact: whether the pattern must equal the dense
# Jacobian's non-zeros at a generic point, not just contain them)
FUNCTIONS = [
    ("elementwise", lambda x: fnp.sin(x) * x ** 2, True),
    ("banded", lambda x: x[1:] * x[:-1] + fnp.exp(x[:-1]), True),
    ("stencil", _laplacian_residual, True),
    ("broadcast", lambda x: fnp.reshape(x, (5, 6)) * fnp.reshape(x[:6], (1, 6)), True),
    ("transpose", lambda x: fnp.ravel(fnp.reshape(x, (5, 6)).T ** 2), True),
    ("row_sums", lambda x: fnp.sum(fnp.reshape(x, (5, 6)) ** 2, axis=1), True),
    ("column_max", lambda x: fnp.max(fnp.reshape(x, (5, 6)), axis=0), False),
    ("matvec", lambda x: A @ fnp.tanh(x[:4]), True),
    ("blocks", lambda x: fnp.ravel(fnp.einsum("bij,bj->bi", fnp.reshape(x[:24], (2, 3, 4)),
                                              fnp.reshape(x[22:30], (2, 4)))), True),
    ("gather", lambda x: x[np.array([3, 3, 0, 29, 7])] ** 3, True),
    ("scatter", lambda x: (x[:8] * 0.0).at[np.array([1, 1, 7])].add(x[:3] ** 2), False),
    ("concat", lambda x: fnp.concatenate([x[:3] * 2.0, fnp.cos(x[10:12])]), True),
    ("cumsum", lambda x: fnp.cumsum(x[:6] ** 2), True),
    ("cumprod_2d", lambda x: fnp.ravel(fnp.cumprod(fnp.reshape(x, (5, 6)), axis=0)), True),
    ("reverse_cumsum", lambda x: fnp.cumsum(x[::-1])[::-1], True),
    ("where", lambda x: fnp.where(x > 0.0, x ** 2, fnp.sin(x)), True),
    ("cond", lambda x: fd.cond(x[0] > 0, lambda y: y[:3] * y[3], lambda y: y[1:4] ** 2, x),
     False),
    ("sort", lambda x: fnp.sort(x[:5]) * 2.0, False),  # (conservative: every output)
    ("scan", lambda x: fd.scan(lambda c, xi: (c * 0.5 + fnp.sin(xi), c * xi), x[0], x[1:6])[1],
     False),
    ("fori_chain", lambda x: fd.fori_loop(
        0, 3, lambda i, c: fnp.concatenate([c[:1], c[1:] * c[:-1]]), x[:10]), False),
    ("while", lambda x: fd.while_loop(lambda c: c[0] < 10.0, lambda c: c * 2.0 + 1.0,
                                      x[:3] ** 2 + 0.1), False),
    ("solve", lambda x: fnp.linalg.solve(np.eye(3) * 4.0 + fnp.reshape(x[:9], (3, 3)),
                                         x[9:12]), False),
    ("pytree", lambda x: fnp.stack([x[2] * x[4], x[5]]), True),
    ("traced_index", lambda x: x[fnp.argmax(x[:5])] * x[7:9], False),  # (conservative)
    ("logsumexp_rows", lambda x: fd.scipy.special.logsumexp(fnp.reshape(x, (5, 6)), axis=1),
     True),
    ("custom_jvp", lambda x: _softplus(x[:5]) * x[5:10], True),
    ("checkpoint", lambda x: fd.checkpoint(lambda y: fnp.sin(y[1:]) * y[:-1])(x), True),
]


def _dense(f, x):
    return np.asarray(fd.jacfwd(f)(x)).reshape(-1, x.size)


@pytest.mark.parametrize("name,f,exact", FUNCTIONS, ids=[t[0] for t in FUNCTIONS])
def test_pattern_contains_every_nonzero(name, f, exact):
    x0 = np.linspace(0.3, 1.7, 30)
    pattern = fd.jacobian_sparsity(f, x0).toarray()
    rng = np.random.default_rng(0)
    for _ in range(4):  # random probes: the pattern is global
        x = rng.uniform(-2.0, 2.0, 30)
        nonzero = _dense(f, x) != 0
        assert not (nonzero & ~pattern).any(), f"{name}: the pattern misses a non-zero"
    if exact:
        assert (pattern == (_dense(f, x0) != 0)).all(), f"{name}: pattern too large"


def test_pattern_with_pytree_arguments():
    def f(p, x):
        return p["w"] * x[:3] + p["b"]

    p = {"b": np.ones(3), "w": np.ones(3)}
    pattern = fd.jacobian_sparsity(f, p, np.ones(4)).toarray().astype(int)
    # raveled inputs: b (3), w (3), x (4), in ravel_pytree's order
    want = np.hstack([np.eye(3), np.eye(3), np.eye(3, 4)]).astype(int)
    np.testing.assert_array_equal(pattern, want)


@pytest.mark.parametrize("name,f,exact", FUNCTIONS, ids=[t[0] for t in FUNCTIONS])
def test_sparse_jacobians_equal_the_dense_ones(name, f, exact):
    x = np.random.default_rng(1).uniform(-2.0, 2.0, 30)
    want = _dense(f, x)
    fwd, rev = fd.sparse_jacfwd(f), fd.sparse_jacrev(f)
    if name == "while":  # (its trip count is not known when staged: no reverse mode)
        with pytest.raises(TypeError, match="while_loop"):
            rev(x)
        rev = fwd
    for jac in (fwd, rev):
        got = jac(x)
        assert sp.issparse(got) and got.shape == want.shape
        np.testing.assert_allclose(got.toarray(), want, rtol=1e-12, atol=1e-12)


def _valid_columns(pattern, colors):
    p = np.asarray(pattern.toarray(), bool)
    for c in range(colors.max() + 1):
        if (p[:, colors == c].sum(axis=1) > 1).any():
            return False
    return True


def test_colourings_are_valid_and_few():
    f = _laplacian_residual
    pattern = fd.jacobian_sparsity(f, np.ones(30))
    cols = fd.sparse_jacfwd(f).prepare(np.ones(30))
    assert _valid_columns(pattern, cols.colors)
    # a five-point stencil: 5 colours are optimal (the widest row), greedy is near
    assert 5 <= cols.ncolors <= 7
    rows = fd.sparse_jacrev(f).prepare(np.ones(30))
    assert _valid_columns(pattern.T, rows.colors)
    # deterministic
    np.testing.assert_array_equal(fd.sparse_jacfwd(f).prepare(np.ones(30)).colors, cols.colors)


def test_sparse_hessian_of_a_chained_objective():
    def rosen(x):  # the extended Rosenbrock function: a tridiagonal Hessian
        return fnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    x = np.random.default_rng(2).uniform(-1.0, 1.0, 40)
    h = fd.sparse_hessian(rosen)
    got = h(x)
    np.testing.assert_allclose(got.toarray(), fd.hessian(rosen)(x), rtol=1e-10, atol=1e-10)
    assert h.prepare(x).ncolors == 3 and got.nnz == 3 * 40 - 2
    assert (fd.hessian_sparsity(rosen, x) != fd.hessian_sparsity(rosen, x).T).nnz == 0


def test_a_user_pattern_is_used():
    f = lambda x: fnp.sin(x) * 2.0  # noqa: E731
    band = sp.diags([np.ones(9), np.ones(10)], [1, 0], shape=(10, 10))  # a superset
    jac = fd.sparse_jacfwd(f, sparsity=band)
    x = np.linspace(0, 1, 10)
    np.testing.assert_allclose(jac(x).toarray(), np.diag(2 * np.cos(x)), atol=1e-15)
    assert jac.prepare(x).ncolors == 2


def test_prepared_once_per_signature():
    jac = fd.sparse_jacfwd(lambda x: x[1:] * x[:-1])
    a, b = jac.prepare(np.ones(10)), jac.prepare(np.zeros(10))
    assert a is b
    assert jac.prepare(np.ones(11)) is not a


def test_least_squares_with_a_sparse_jacobian():
    from funcdiff.scipy.optimize import least_squares

    def residuals(p, t, y):  # a chain of coupled residuals: a banded Jacobian
        x = p["x"]
        return fnp.concatenate([10.0 * (x[1:] - x[:-1] ** 2), y - x[:-1] * t])

    t = np.linspace(0.5, 1.5, 39)
    y = np.ones(39)
    sparse = least_squares(residuals, {"x": np.zeros(40)}, (t, y), jac="sparse")
    dense = least_squares(residuals, {"x": np.zeros(40)}, (t, y))
    assert sparse.success and dense.success and sp.issparse(sparse.jac)
    # the same minimum, to SciPy's default tolerances (ftol 1e-8 on the cost)
    np.testing.assert_allclose(sparse.cost, dense.cost, rtol=1e-7)
    np.testing.assert_allclose(sparse.x["x"], dense.x["x"], atol=1e-3)
    x = sparse.x["x"]
    np.testing.assert_allclose(sparse.jac.toarray(), fd.jacfwd(
        lambda v: residuals({"x": v}, t, y))(x), atol=1e-7)


def test_minimize_with_a_sparse_hessian():
    from funcdiff.scipy.optimize import minimize

    def rosen(x):
        return fnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    res = minimize(rosen, np.zeros(100), method="trust-constr", hess="sparse")
    assert res.success and np.allclose(res.x, 1.0, atol=1e-4)
    with pytest.raises(ValueError, match="hess='sparse' is for"):
        minimize(rosen, np.zeros(3), method="trust-exact", hess="sparse")


def _valid_star(pattern, colors):
    """A distance-1 colouring where every path on four vertices has three colours."""
    p = sp.csr_matrix(pattern, dtype=bool)
    p = (p + p.T).tolil()
    p.setdiag(False)
    nb = [set(r) for r in p.rows]
    for v, ws in enumerate(nb):
        for w in ws:
            if colors[v] == colors[w]:
                return False
            for x in nb[w] - {v}:
                for y in nb[x] - {w}:
                    if colors[v] == colors[x] and colors[w] == colors[y]:
                        return False  # the path v-w-x-y has two colours
    return True


def test_star_colouring_of_an_arrowhead_hessian():
    def f(x):  # one variable coupled with every other (an arrowhead), plus a band
        return x[0] * fnp.sum(x ** 2) + fnp.sum(x ** 4) + fnp.sum(x[1:] * x[:-1])

    x = np.linspace(-1.0, 1.0, 60)
    h = fd.sparse_hessian(f)
    prep = h.prepare(x)
    # a column colouring needs 60 colours here (the first column meets every row)
    assert prep.star and prep.ncolors <= 5
    assert _valid_star(prep.pattern, prep.colors)
    np.testing.assert_allclose(h(x).toarray(), fd.hessian(f)(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_sparse_hessians_of_random_sparse_quadratics(seed):
    rng = np.random.default_rng(seed)
    n = 40
    a = sp.random(n, n, density=0.06, random_state=seed, format="coo")
    rows, cols, vals = a.row, a.col, a.data
    hub = int(rng.integers(n))  # and one dense row and column
    rows, cols = np.concatenate([rows, np.full(n, hub)]), np.concatenate([cols, np.arange(n)])
    vals = np.concatenate([vals, rng.uniform(0.5, 1.0, n)])

    def f(x):
        return fnp.sum(vals * x[rows] * x[cols]) + fnp.sum(fnp.sin(x))

    x = rng.uniform(-1.0, 1.0, n)
    h = fd.sparse_hessian(f)
    prep = h.prepare(x)
    if prep.star:
        assert _valid_star(prep.pattern, prep.colors)
    np.testing.assert_allclose(h(x).toarray(), fd.hessian(f)(x), rtol=1e-10, atol=1e-10)
