"""funcdiff's GradBench tool (benchmarks/gradbench), driven through the protocol in a subprocess.

Every eval gets small inputs built here from its spec; outputs are checked with GradBench's
tolerance `|x - y| / max(1, |x| + |y|) <= 1e-4` against values computed independently of the
tool: closed forms, a second (loop-by-loop NumPy) formulation of the primal, and central
finite differences of that formulation. The full four-mode runs of `saddle` and `particle`
take minutes: they run only with GRADBENCH_SLOW=1.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "benchmarks" / "gradbench" / "tool.py"
SLOW = bool(os.environ.get("GRADBENCH_SLOW"))


class Tool:
    """The tool in a subprocess; `send(message)` returns its one-line reply."""

    def __init__(self):
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(TOOL)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=str(ROOT / "tests"),  # not the repo root: the tool must find funcdiff itself
            env=env,
        )
        self.id = 0

    def send(self, message):
        message = {"id": self.id} | message
        self.id += 1
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        assert reply["id"] == message["id"]
        return reply

    def evaluate(self, module, function, input, runs=1):
        reply = self.send(
            {
                "kind": "evaluate",
                "module": module,
                "function": function,
                "input": input | {"min_runs": runs, "min_seconds": 0}
                if isinstance(input, dict)
                else input,
            }
        )
        assert reply["success"], reply.get("error")
        assert len(reply["timings"]) >= runs
        return reply["output"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def tool():
    t = Tool()
    yield t
    t.close()


def assert_close(expected, actual, path="output"):
    """GradBench's comparison: same structure, floats within the relative tolerance."""
    if isinstance(expected, dict):
        assert set(expected) == set(actual), path
        for k in expected:
            assert_close(expected[k], actual[k], f"{path}.{k}")
    elif isinstance(expected, (list, tuple, np.ndarray)):
        expected, actual = list(expected), list(actual)
        assert len(expected) == len(actual), path
        for i, (e, a) in enumerate(zip(expected, actual)):
            assert_close(e, a, f"{path}[{i}]")
    elif isinstance(expected, (int, np.integer)) and not isinstance(expected, bool):
        assert isinstance(actual, int) and actual == expected, (path, expected, actual)
    else:
        e, a = float(expected), float(actual)
        assert abs(e - a) / max(1.0, abs(e) + abs(a)) <= 1e-4, (path, e, a)


def central_diff(f, x, h=1e-6):
    """Gradient (or Jacobian, output axes first) of `f` at `x` by central differences."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return np.zeros(np.shape(f(x)) + (0,))
    cols = []
    for i in range(x.size):
        step = np.zeros(x.size)
        step[i] = h * max(1.0, abs(x.flat[i]))
        plus = np.asarray(f((x.ravel() + step).reshape(x.shape)))
        minus = np.asarray(f((x.ravel() - step).reshape(x.shape)))
        cols.append((plus - minus) / (2 * step[i]))
    return np.stack(cols, axis=-1)


# -- protocol ------------------------------------------------------------------------------


def test_protocol():
    tool = Tool()
    start = tool.send({"kind": "start", "eval": "hello"})
    assert start["tool"] == "funcdiff" and set(start) >= {"id", "tool"}
    assert tool.send({"kind": "define", "module": "hello"}) == {"id": 1, "success": True}
    unknown = tool.send({"kind": "define", "module": "no-such-eval"})
    assert unknown["success"] is False and "error" in unknown
    bad = tool.send({"kind": "evaluate", "module": "hello", "function": "cube", "input": 2.0})
    assert bad["success"] is False
    assert tool.send({"kind": "analysis", "of": 3, "valid": True}) == {"id": 4}
    assert tool.send({"kind": "something-new", "x": 1}) == {"id": 5}
    tool.close()


def test_min_runs_and_min_seconds(tool):
    msg = {"kind": "evaluate", "module": "lse", "function": "primal"}
    reply = tool.send(msg | {"input": {"x": [1.0, 2.0], "min_runs": 7, "min_seconds": 0}})
    timings = reply["timings"]
    assert len(timings) == 7 and all(t["name"] == "evaluate" for t in timings)
    assert all(isinstance(t["nanoseconds"], int) and t["nanoseconds"] > 0 for t in timings)
    reply = tool.send(msg | {"input": {"x": [1.0, 2.0], "min_runs": 1, "min_seconds": 0.05}})
    assert sum(t["nanoseconds"] for t in reply["timings"]) >= 0.05e9
    assert len(reply["timings"]) > 1


def test_tool_runs_gradbench_hello_session():
    """A whole session as GradBench's `hello` eval sends it, one line each way."""
    lines = [
        {"id": 0, "kind": "start", "eval": "hello"},
        {"id": 1, "kind": "define", "module": "hello"},
        {"id": 2, "kind": "evaluate", "module": "hello", "function": "square", "input": 1.0},
        {"id": 3, "kind": "analysis", "of": 2, "valid": True},
        {"id": 4, "kind": "evaluate", "module": "hello", "function": "double", "input": 1.0},
    ]
    out = subprocess.run(
        [sys.executable, str(TOOL)],
        input="".join(json.dumps(m) + "\n" for m in lines),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    replies = [json.loads(line) for line in out]
    assert [r["id"] for r in replies] == [0, 1, 2, 3, 4]
    assert replies[2]["output"] == 1.0 and replies[4]["output"] == 2.0
    assert replies[3] == {"id": 3}


# -- hello, lse, llsq, ode, det ---------------------------------------------------------------


def test_hello(tool):
    assert tool.send({"kind": "define", "module": "hello"})["success"]
    for x in [1.0, -3.0, 0.5]:
        assert_close(x * x, tool.evaluate("hello", "square", x))
        assert_close(2 * x, tool.evaluate("hello", "double", x))


def test_lse(tool):
    x = np.random.default_rng(0).uniform(-100, 100, size=50)
    x[7] = x.max()  # a tie at the max
    inp = {"x": x.tolist()}
    shifted = np.exp(x - x.max())
    assert_close(x.max() + math.log(shifted.sum()), tool.evaluate("lse", "primal", inp))
    assert_close(shifted / shifted.sum(), tool.evaluate("lse", "gradient", inp))


def llsq_reference(x, n):
    total = 0.0
    for i in range(n):
        t = -1 + i * 2 / (n - 1)
        r = np.sign(t) - sum(x[j] * t**j for j in range(len(x)))
        total += r * r
    return total / 2


@pytest.mark.parametrize("n", [2, 9, 16])
def test_llsq(tool, n):
    x = np.random.default_rng(n).random(5)
    inp = {"x": x.tolist(), "n": n}
    assert_close(llsq_reference(x, n), tool.evaluate("llsq", "primal", inp))
    t = -1 + np.arange(n) * 2 / (n - 1)
    vander = t[:, None] ** np.arange(5)
    closed_form = vander.T @ (vander @ x - np.sign(t))
    assert_close(closed_form, tool.evaluate("llsq", "gradient", inp))


def ode_reference(x, s):
    """Classical RK4 on [0, 2], element by element."""
    n, h = len(x), 2.0 / s

    def rhs(y):
        return [x[0]] + [x[i] * y[i - 1] for i in range(1, n)]

    y = [0.0] * n
    for _ in range(s):
        k1 = rhs(y)
        k2 = rhs([y[i] + h / 2 * k1[i] for i in range(n)])
        k3 = rhs([y[i] + h / 2 * k2[i] for i in range(n)])
        k4 = rhs([y[i] + h * k3[i] for i in range(n)])
        y = [y[i] + h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]) for i in range(n)]
    return np.array(y)


def test_ode(tool):
    x = np.random.default_rng(1).random(6) + 0.5
    for s in [1, 3]:
        inp = {"x": x.tolist(), "s": s}
        assert_close(ode_reference(x, s), tool.evaluate("ode", "primal", inp))
        fd_grad = central_diff(lambda v, s=s: ode_reference(v, s)[-1], x)
        assert_close(fd_grad, tool.evaluate("ode", "gradient", inp))
    # the polynomial solution is exact for RK4 when y's degree is <= 4: y_i(2) closed form
    x = x[:3]
    exact = [x[0] * np.prod(x[1 : i + 1]) * 2 ** (i + 1) / math.factorial(i + 1) for i in range(3)]
    assert_close(exact, tool.evaluate("ode", "primal", {"x": x.tolist(), "s": 2}))


@pytest.mark.parametrize("ell", [1, 2, 4, 6])
def test_det(tool, ell):
    a = np.random.default_rng(ell).random((ell, ell))
    inp = {"A": a.ravel().tolist(), "ell": ell}
    det = np.linalg.det(a)
    assert_close(det, tool.evaluate("det", "primal", inp))
    cofactors = det * np.linalg.inv(a).T
    assert_close(cofactors.ravel(), tool.evaluate("det", "gradient", inp))


# -- gmm ------------------------------------------------------------------------------------


def gmm_reference(alpha, mu, q, l, x, m, gamma):  # noqa: E741 (GradBench's names)
    """The definition: log of the mixture likelihood times the Wishart prior densities."""
    k, d = mu.shape
    phi = np.exp(alpha) / np.exp(alpha).sum()
    precisions = []
    for c in range(k):
        qm = np.diag(np.exp(q[c]))
        idx = 0
        for col in range(d):
            for row in range(col + 1, d):
                qm[row, col] = l[c][idx]
                idx += 1
        precisions.append(qm.T @ qm)
    log_lik = 0.0
    for xi in x:
        dens = 0.0
        for c in range(k):
            diff = xi - mu[c]
            dens += (
                phi[c]
                * math.exp(-0.5 * diff @ precisions[c] @ diff)
                / math.sqrt((2 * math.pi) ** d / np.linalg.det(precisions[c]))
            )
        log_lik += math.log(dens)
    nu = d + m + 1
    v = np.eye(d) / gamma**2
    log_multigamma = 0.25 * d * (d - 1) * math.log(math.pi) + sum(
        math.lgamma(nu / 2 + (1 - j) / 2) for j in range(1, d + 1)
    )
    log_prior = 0.0
    for p in precisions:
        log_prior += (
            (nu - d - 1) / 2 * math.log(np.linalg.det(p))
            - np.trace(np.linalg.inv(v) @ p) / 2
            - nu * d / 2 * math.log(2)
            - nu / 2 * math.log(np.linalg.det(v))
            - log_multigamma
        )
    return log_lik + log_prior


@pytest.mark.parametrize("d,k,m", [(1, 2, 0), (3, 2, 1), (4, 3, 0), (5, 2, 2)])  # 2k < d: direct
def test_gmm(tool, d, k, m):
    rng = np.random.default_rng(d * 10 + k)
    n, gamma = 6, 0.8
    params = {
        "alpha": rng.normal(size=k),
        "mu": rng.uniform(size=(k, d)),
        "q": 0.3 * rng.normal(size=(k, d)),
        "l": 0.3 * rng.normal(size=(k, d * (d - 1) // 2)),
    }
    x = rng.normal(size=(n, d))
    inp = {"d": d, "k": k, "n": n, "x": x.tolist(), "m": m, "gamma": gamma}
    inp |= {name: v.tolist() for name, v in params.items()}
    expected = gmm_reference(**params, x=x, m=m, gamma=gamma)
    assert_close(expected, tool.evaluate("gmm", "objective", inp))
    jac = tool.evaluate("gmm", "jacobian", inp)
    assert set(jac) == {"alpha", "mu", "q", "l"}
    for name, value in params.items():

        def f(v, name=name):
            return gmm_reference(**(params | {name: v}), x=x, m=m, gamma=gamma)

        assert_close(central_diff(f, value).reshape(value.shape), jac[name], name)


# -- kmeans ----------------------------------------------------------------------------------


def test_kmeans(tool):
    rng = np.random.default_rng(3)
    points = rng.random((40, 3))
    centroids = points[-4:]  # every cluster nonempty, as GradBench guarantees
    inp = {"points": points.tolist(), "centroids": centroids.tolist()}
    dist = ((points[:, None, :] - centroids[None]) ** 2).sum(-1)
    assert_close(dist.min(1).sum(), tool.evaluate("kmeans", "cost", inp))
    owner = dist.argmin(1)
    # J_j = sum 2 (c_j - p_i), H_jj = 2 |cluster j|: J / H = c_j - mean of cluster j
    newton = np.stack([centroids[j] - points[owner == j].mean(0) for j in range(4)])
    assert_close(newton, tool.evaluate("kmeans", "dir", inp))


# -- lstm ------------------------------------------------------------------------------------


def lstm_reference(main, extra, state, seq):
    layers, (c, b) = state.shape[0] // 2, seq.shape
    state = state.copy()
    total = 0.0

    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    for t in range(c - 1):
        inp = seq[t] * extra[0]
        for i in range(layers):
            w, bias = main[2 * i].reshape(4, b), main[2 * i + 1].reshape(4, b)
            h, cell = state[2 * i], state[2 * i + 1]
            forget = sigmoid(inp * w[0] + bias[0])
            ingate = sigmoid(h * w[1] + bias[1])
            outgate = sigmoid(inp * w[2] + bias[2])
            change = np.tanh(h * w[3] + bias[3])
            cell = cell * forget + ingate * change
            h = outgate * np.tanh(cell)
            state[2 * i], state[2 * i + 1] = h, cell
            inp = h
        ypred = inp * extra[1] + extra[2]
        total += (seq[t + 1] * (ypred - math.log(np.exp(ypred).sum() + 2))).sum()
    return -total / ((c - 1) * b)


@pytest.mark.parametrize("layers,c", [(1, 2), (2, 6), (3, 5)])
def test_lstm(tool, layers, c):
    rng = np.random.default_rng(layers + c)
    b = 3
    main, extra = rng.random((2 * layers, 4 * b)), rng.random((3, b))
    state, seq = rng.random((2 * layers, b)), rng.integers(0, 2, (c, b)).astype(float)
    inp = {"main_params": main, "extra_params": extra, "state": state, "sequence": seq}
    inp = {k: v.tolist() for k, v in inp.items()}
    assert_close(lstm_reference(main, extra, state, seq), tool.evaluate("lstm", "objective", inp))
    g_main = central_diff(lambda v: lstm_reference(v, extra, state, seq), main)
    g_extra = central_diff(lambda v: lstm_reference(main, v, state, seq), extra)
    expected = np.concatenate([g_main.ravel(), g_extra.ravel()])
    assert_close(expected, tool.evaluate("lstm", "jacobian", inp))


# -- ba --------------------------------------------------------------------------------------

# ADBench's ba1 camera: rotation (3), center (3), focal, principal point (2), radial (2)
BA_CAM = [
    float(v)
    for v in """-0.758453 -1.109613 -0.845551 34.556073 39.676747 53.881673
    419.194514 5.864426 -8.518870 0.087812 0.002739""".split()
]
BA_X, BA_W, BA_FEAT = [7.203245, 0.001144, 3.023326], 0.417022, [271.760969, 834.209256]


def ba_reference(cam, x, w, feat):
    """Reprojection error with the rotation as a matrix, `R = I + sin K + (1 - cos) K^2`."""
    rot = np.asarray(cam[:3])
    theta = np.linalg.norm(rot)
    axis = rot / theta
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    r = np.eye(3) + math.sin(theta) * k + (1 - math.cos(theta)) * k @ k
    xc = r @ (np.asarray(x) - np.asarray(cam[3:6]))
    proj = xc[:2] / xc[2]
    rsq = proj @ proj
    proj = proj * (1 + cam[9] * rsq + cam[10] * rsq**2)
    return w * (proj * cam[6] + np.asarray(cam[7:9]) - np.asarray(feat))


def test_ba(tool):
    n, m, p = 3, 4, 7
    inp = {"n": n, "m": m, "p": p, "cam": BA_CAM, "x": BA_X, "w": BA_W, "feat": BA_FEAT}
    err = ba_reference(BA_CAM, BA_X, BA_W, BA_FEAT)
    expected = {
        "reproj_error": {"elements": err.tolist(), "repeated": p},
        "w_err": {"element": 1 - BA_W**2, "repeated": p},
    }
    assert_close(expected, tool.evaluate("ba", "objective", inp))

    params = np.concatenate([BA_CAM, BA_X, [BA_W]])
    block = central_diff(lambda v: ba_reference(v[:11], v[11:14], v[14], BA_FEAT), params)
    # the full CSR matrix: 2 rows of 15 entries per observation, then one per weight
    rows, cols, vals = [0], [], []
    for i in range(p):
        cam_cols = list(range(11 * (i % n), 11 * (i % n) + 11))
        pt_cols = list(range(11 * n + 3 * (i % m), 11 * n + 3 * (i % m) + 3))
        for r in range(2):
            cols += cam_cols + pt_cols + [11 * n + 3 * m + i]
            vals += block[r].tolist()
            rows.append(rows[-1] + 15)
    for i in range(p):
        cols.append(11 * n + 3 * m + i)
        vals.append(-2 * BA_W)
        rows.append(rows[-1] + 1)
    expected = {"rows": rows[:30] + rows[-1:], "cols": cols[:30] + cols[-1:],
                "vals": vals[:30] + vals[-1:]}  # fmt: skip
    assert_close(expected, tool.evaluate("ba", "jacobian", inp))


# -- ht --------------------------------------------------------------------------------------


def random_rigid(rng):
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    t = np.eye(4)
    t[:3, :3], t[:3, 3] = q, rng.normal(size=3)
    return t


def ht_input(rng, n_corr, complicated, mirrored=False):
    """A synthetic hand: 22 bones in a random tree, 12 vertices, random correspondences."""
    bones, verts = 22, 12
    weights = rng.random((verts, bones)) * (rng.random((verts, bones)) < 0.3)
    weights[:, 0] += 0.1
    weights /= weights.sum(1, keepdims=True)
    model = {
        "bone_count": bones,
        "bone_names": [f"bone{i}" for i in range(bones)],
        "parents": [-1] + [int(rng.integers(0, i)) for i in range(1, bones)],
        "base_relatives": [random_rigid(rng).tolist() for _ in range(bones)],
        "inverse_base_absolutes": [random_rigid(rng).tolist() for _ in range(bones)],
        "base_positions": np.c_[rng.normal(size=(verts, 3)), np.ones(verts)].tolist(),
        "weights": weights.tolist(),
        "triangles": rng.integers(0, verts, (8, 3)).tolist(),
        "is_mirrored": mirrored,
    }
    n_targets = 8 if complicated else verts
    data = {
        "model": model,
        "correspondences": rng.integers(0, n_targets, n_corr).tolist(),
        "points": rng.normal(size=(n_corr, 3)).tolist(),
    }
    us = rng.random((n_corr, 2)).tolist() if complicated else []
    return {"theta": (0.5 * rng.normal(size=26)).tolist(), "data": data, "us": us}


def ht_reference(theta, us, data):
    """The ADBench hand model with 4 x 4 matrices, bone by bone and vertex by vertex."""
    model = data["model"]
    bones = len(model["parents"])
    pose = np.zeros((bones + 3, 3))
    pose[0], pose[1], pose[2] = theta[0:3], 1.0, theta[3:6]
    i_theta = 6
    for finger in range(5):
        for joint in range(3):
            row = 5 + 4 * finger + joint
            pose[row, 0] = theta[i_theta]
            i_theta += 1
            if joint == 0:
                pose[row, 1] = theta[i_theta]
                i_theta += 1
    absolutes = []
    for i in range(bones):
        tx, tz, ty = pose[i + 3]
        cx, sx, cy, sy, cz, sz = (math.cos(tx), math.sin(tx), math.cos(ty), math.sin(ty),
                                  math.cos(tz), math.sin(tz))  # fmt: skip
        rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
        ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
        rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
        posed = np.eye(4)
        posed[:3, :3] = rz @ ry @ rx
        rel = np.array(model["base_relatives"][i]) @ posed
        parent = model["parents"][i]
        absolutes.append(rel if parent < 0 else absolutes[parent] @ rel)
    base = np.array(model["base_positions"])
    weights = np.array(model["weights"])
    verts = np.zeros((len(base), 3))
    for i in range(bones):
        transform = absolutes[i] @ np.array(model["inverse_base_absolutes"][i])
        for v in range(len(base)):
            verts[v] += weights[v, i] * (transform @ base[v])[:3]
    if model["is_mirrored"]:
        verts[:, 0] *= -1
    aa = np.asarray(pose[0])
    angle = np.linalg.norm(aa)
    rot = np.eye(3)
    if angle >= 1e-4:
        k = np.cross(np.eye(3), aa / angle)  # k @ v == axis x v
        rot = np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k
    verts = verts @ rot.T + pose[2]
    err = []
    for i, c in enumerate(data["correspondences"]):
        if len(us):
            t = model["triangles"][c]
            u0, u1 = us[i]
            hand = u0 * verts[t[0]] + u1 * verts[t[1]] + (1 - u0 - u1) * verts[t[2]]
        else:
            hand = verts[c]
        err.extend(np.array(data["points"][i]) - hand)
    return np.array(err)


@pytest.mark.parametrize("complicated,mirrored", [(False, False), (True, False), (False, True)])
def test_ht(tool, complicated, mirrored):
    rng = np.random.default_rng(7 + complicated + 2 * mirrored)
    inp = ht_input(rng, 5, complicated, mirrored)
    theta, us = np.array(inp["theta"]), np.array(inp["us"])
    assert_close(ht_reference(theta, us, inp["data"]), tool.evaluate("ht", "objective", inp))
    jac = central_diff(lambda t: ht_reference(t, us, inp["data"]), theta)
    if complicated:
        shift = central_diff(lambda d: ht_reference(theta, us + d, inp["data"]), np.zeros(2))
        jac = np.concatenate([shift, jac], axis=1)
    out = tool.evaluate("ht", "jacobian", inp)
    assert np.shape(out) == (3 * 5, 28 if complicated else 26)
    assert_close(jac, out)


# -- saddle, particle --------------------------------------------------------------------------

MODES = ["rr", "ff", "fr", "rf"]


@pytest.mark.parametrize("mode", MODES if SLOW else ["rr"])
def test_saddle(tool, mode):
    out = tool.evaluate("saddle", mode, {"start": [1.0, 1.0]})
    # the saddle point of (x1^2 + y1^2) - (x2^2 + y2^2) is the origin; the descent stops
    # within its tolerances of it, at the same point whatever the modes
    assert len(out) == 4 and max(abs(v) for v in out) < 1e-4
    assert_close([8.246324826140356e-06] * 4, out)


def test_particle_nested_derivative():
    """The outer derivative through the Euler loop and the inner AD, in all four modes."""
    sys.path.insert(0, str(TOOL.parent))
    sys.path.insert(0, str(ROOT))
    from evals import _descent, particle

    w = 0.1
    h = 1e-6
    for outer in (_descent.grad_fwd, _descent.grad_rev):
        for inner in (_descent.grad_fwd, _descent.grad_rev):
            f = particle.landing_cost
            fd_slope = (f(w + h, inner) - f(w - h, inner)) / (2 * h)
            slope = outer(lambda v, inner=inner: particle.landing_cost(v[0], inner))(np.array([w]))
            assert_close(fd_slope, slope[0])


@pytest.mark.skipif(not SLOW, reason="a minute; set GRADBENCH_SLOW=1 (.ci/run does)")
@pytest.mark.parametrize("mode", MODES)
def test_particle(tool, mode):
    out = tool.evaluate("particle", mode, {"w": 0.0})
    sys.path.insert(0, str(TOOL.parent))
    sys.path.insert(0, str(ROOT))
    from evals import _descent, particle

    cost = particle.landing_cost(out, _descent.grad_rev)
    slope = central_diff(lambda v: particle.landing_cost(v[0], _descent.grad_rev), [out])
    # cost = x0(w)^2 with x0' ~ 12 here, and the solver stops on the step size, not the
    # slope: cost < 1e-6 allows |slope| = 2 |x0 x0'| up to ~0.024 (it ends near 0.002)
    assert cost < 1e-6 and abs(slope[0]) < 0.03
    assert_close(0.2071918746486116, out)
