"""Sparse Jacobians and Hessians: detected patterns never miss a non-zero (random probes
against dense Jacobians), structural patterns are exact where they should be, colourings
are valid, and the compressed evaluations equal the dense derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import softplus as _softplus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def test_reads_through_gathers_are_coloured_after_the_gather():
    # bundle adjustment in small: every residual reads one of 3 cameras, read by about 40
    # residuals each (J's rows share columns: row colouring J needs >= 80 colours), and a
    # point; the rows of J_h (h: after the gathers) share no column across observations
    rng = np.random.default_rng(5)
    ci, pi = rng.integers(0, 3, 120), rng.integers(0, 40, 120)

    def f(cams, pts):
        c, p = cams[ci], pts[pi]
        r = fnp.stack([c[:, 0] * fnp.sin(p[:, 0]) + c[:, 1] * p[:, 1] ** 2,
                       c[:, 2] * fnp.exp(c[:, 3] * p[:, 0])], axis=1)
        return fnp.ravel(r)

    cams, pts = rng.normal(size=(3, 4)), rng.normal(size=(40, 2))
    flat, unravel = fd.tree.ravel_pytree((cams, pts))
    want = np.asarray(fd.jacrev(lambda x: f(*unravel(x)))(flat))
    rev = fd.sparse_jacrev(f)
    prep = rev.prepare(cams, pts)
    assert prep.split and prep.ncolors <= 2  # (1: the two residuals read separate slices)
    got = rev(cams, pts)
    np.testing.assert_allclose(got.toarray(), want, rtol=1e-13, atol=1e-13)
    assert (got.toarray() != 0).sum() == got.nnz == (prep.pattern.toarray()).sum()
    assert (prep.pattern != fd.jacobian_sparsity(f, cams, pts)).nnz == 0


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_an_element_read_twice_adds_both_contributions(mode):
    # x[a] * x[b] with a[k] == b[k] for some k: J_f[k, a[k]] sums two entries of J_h
    rng = np.random.default_rng(6)
    a, b = rng.integers(0, 8, 50), rng.integers(0, 8, 50)
    b[:10] = a[:10]
    f = lambda x: fnp.sin(x[a]) * x[b] + x[b] ** 3  # noqa: E731
    x = rng.normal(size=8)
    jac = (fd.sparse_jacfwd if mode == "fwd" else fd.sparse_jacrev)(f)
    np.testing.assert_allclose(jac(x).toarray(), _dense(f, x), rtol=1e-13, atol=1e-13)


# -- random sparse programs (hypothesis) --------------------------------------------------

_UNARY = (fnp.sin, fnp.exp, fnp.tanh, lambda v: v * v, lambda v: fnp.cos(v) * v)


def _step(kind, arg, v, x):
    """One step of a random program: a new vector from the current one `v` (and `x`)."""
    k = v.shape[0]
    rng = np.random.default_rng(arg)
    if kind == "unary":
        return _UNARY[arg % len(_UNARY)](v)
    if kind == "gather_product":  # two gathers with static random indices, repeats allowed
        m = int(rng.integers(1, 2 * k + 1))
        return v[rng.integers(0, k, m)] * v[rng.integers(0, k, m)]
    if kind == "shift":
        return v[1:] * fnp.sin(v[:-1]) if k > 1 else v
    if kind == "segment_sum":  # a reduction over pairs
        return fnp.sum(fnp.reshape(v[: k - k % 2], (-1, 2)), axis=1) if k > 1 else v
    if kind == "cumsum":
        return fnp.cumsum(v)
    if kind == "where":  # both sides count in the pattern
        return fnp.where(v > 0.1, v * v, fnp.sin(v))
    if kind == "mix":  # read the input again, through a gather
        return v * x[rng.integers(0, x.shape[0], k)]
    if kind == "matmul":  # a contraction with a sparse constant
        a = rng.normal(size=(k, k)) * (rng.random((k, k)) < 0.3)
        return fnp.tanh(a @ v)
    if kind == "write":  # in place: some elements overwritten (repeats: the last wins)
        y = fnp.zeros(k)
        y[rng.random(k) < 0.7] = 1.0
        y[: k // 2 + 1] = v[: k // 2 + 1] * 0.5
        idx = rng.integers(0, k, int(rng.integers(1, k + 1)))
        y[idx] = fnp.sin(v[rng.integers(0, k, idx.size)])
        return y
    if kind == "write_at":  # ufunc.at: repeats combine
        y = v * 1.0
        idx = rng.integers(0, k, int(rng.integers(1, k + 1)))
        (np.add if arg % 2 else np.maximum).at(y, idx, v[rng.integers(0, k, idx.size)] ** 2)
        return y
    raise AssertionError(kind)


_KINDS = ("unary", "gather_product", "shift", "segment_sum", "cumsum", "where", "mix", "matmul",
          "write", "write_at")


@st.composite
def _sparse_programs(draw):
    n = draw(st.integers(2, 10))
    steps = draw(st.lists(st.tuples(st.sampled_from(_KINDS), st.integers(0, 2**16)),
                          min_size=1, max_size=5))
    keep = draw(st.lists(st.booleans(), min_size=len(steps), max_size=len(steps)))
    seed = draw(st.integers(0, 2**16))
    return n, steps, keep, seed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_sparse_programs())
def test_random_sparse_programs_agree_with_dense_derivatives(program):
    n, steps, keep, seed = program

    def f(x):
        v, outs = x, []
        for (kind, arg), k in zip(steps, keep):
            v = _step(kind, arg, v, x)
            if k:
                outs.append(v)
        return fnp.concatenate(outs + [v])

    x = np.random.default_rng(seed).uniform(-1.5, 1.5, n)
    want = _dense(f, x)
    pattern = fd.jacobian_sparsity(f, x).toarray()
    assert not ((want != 0) & ~pattern).any(), "the pattern misses a non-zero"
    for jac in (fd.sparse_jacfwd(f), fd.sparse_jacrev(f)):
        got = jac(x)
        np.testing.assert_allclose(got.toarray(), want, rtol=1e-11, atol=1e-11)
        assert (got.toarray()[~pattern] == 0).all()
        prep = jac.prepare(x)
        if not prep.split:  # the colouring is of the pattern itself: check it
            p = pattern.T if prep.by_rows else pattern
            assert _valid_columns(sp.csr_matrix(p), prep.colors)


def test_in_place_residuals_keep_their_pattern():
    n = 50

    def residual(u):  # a finite-difference residual written into a buffer, NumPy style
        r = fnp.zeros(n)
        r[1:-1] = u[:-2] - 2 * u[1:-1] + u[2:] + 0.1 * fnp.exp(u[1:-1])
        r[0] = u[0]
        r[-1] = u[-1] - 1.0
        return r

    u = np.linspace(0.0, 1.0, n)
    prep = fd.sparse_jacfwd(residual).prepare(u)
    assert fd.jacobian_sparsity(residual, u).nnz == 3 * n - 4 and prep.ncolors == 3
    np.testing.assert_allclose(fd.sparse_jacfwd(residual)(u).toarray(), _dense(residual, u))


@pytest.mark.parametrize("b", [1, 2, 3, 5, 8])
def test_a_band_of_width_b_needs_b_colours(b):
    n = 40

    def f(x):  # row i reads x[i .. i + b - 1]
        xp = fnp.concatenate([x, fnp.zeros(b - 1)])
        return sum(fnp.sin((k + 1) * xp[k:k + n]) for k in range(b))

    x = np.linspace(0.1, 1.0, n)
    prep = fd.sparse_jacfwd(f).prepare(x)
    assert prep.ncolors == b and not prep.split
    np.testing.assert_allclose(fd.sparse_jacfwd(f)(x).toarray(), _dense(f, x), atol=1e-13)


def test_bundle_adjustment_needs_at_most_15_forward_colours_and_2_reverse():
    # GradBench's ba in small: 11 camera parameters, 3 point coordinates and a weight per
    # observation (2 residuals), observations spread over 5 cameras and 30 points
    rng = np.random.default_rng(7)
    n_obs = 200
    ci, pi = np.arange(n_obs) % 5, rng.integers(0, 30, n_obs)

    def residuals(cams, pts, w):
        c, p = cams[ci], pts[pi]
        xc = p - c[:, 3:6] + fnp.cross(c[:, 0:3], p)
        proj = xc[:, :2] / xc[:, 2:3]
        r2 = fnp.sum(proj * proj, axis=1, keepdims=True)
        dist = 1.0 + c[:, 9:10] * r2 + c[:, 10:11] * r2 * r2
        err = w[:, None] * (proj * dist * c[:, 6:7] + c[:, 7:9])
        return fnp.concatenate([fnp.ravel(err), 1.0 - w * w])

    cams = rng.normal(size=(5, 11)) * 0.1
    pts = rng.normal(size=(30, 3)) + np.array([0.0, 0.0, 5.0])
    w = rng.uniform(0.5, 1.5, n_obs)
    flat, unravel = fd.tree.ravel_pytree((cams, pts, w))
    want = np.asarray(fd.jacfwd(lambda v: residuals(*unravel(v)))(flat))
    fwd, rev = fd.sparse_jacfwd(residuals), fd.sparse_jacrev(residuals)
    assert fwd.prepare(cams, pts, w).ncolors <= 15
    assert rev.prepare(cams, pts, w).ncolors <= 2 and rev.prepare(cams, pts, w).split
    for jac in (fwd, rev):
        np.testing.assert_allclose(jac(cams, pts, w).toarray(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_the_compressed_derivative_holds_every_entry_where_documented(mode):
    f = _laplacian_residual
    x = np.random.default_rng(8).uniform(0.1, 1.0, 30)
    jac = (fd.sparse_jacfwd if mode == "fwd" else fd.sparse_jacrev)(f)
    prep = jac.prepare(x)
    c = prep.compressed(x)
    J = jac(x).tocoo()
    assert c.shape == (prep.ncolors, J.shape[0] if mode == "fwd" else J.shape[1])
    got = c[prep.colors[J.col], J.row] if mode == "fwd" else c[prep.colors[J.row], J.col]
    np.testing.assert_array_equal(got, J.data)
