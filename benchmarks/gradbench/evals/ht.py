"""GradBench `ht`: ADBench's hand-tracking residuals and their Jacobian.

`theta` (26) poses a skinned hand model: 3 global rotation (angle-axis), 3 global translation
and 20 finger angles, laid into per-bone Euler angles (`_pose_index`). Each bone's relative
transform is its base transform times the rotation `Rz Ry Rx` of its Euler angles; the
transforms are chained through `parents` and multiplied by the inverse base absolutes; every
vertex is the weight-blended image of its base position under those transforms, optionally
mirrored, then rotated and translated globally. The residuals are
`points[i] - vertex[correspondences[i]]` (3 per correspondence), or, when `us` is not empty,
`points[i] - (u0 v0 + u1 v1 + (1 - u0 - u1) v2)` over the triangle `correspondences[i]`.

The Jacobian is `fd.sparse_jacfwd` with respect to `(us, theta)`: residual `i` depends only on
its own `us[i]`, so the column colouring gives every `u0` one colour and every `u1` another,
and the theta columns one each (28 forward passes, jitted); GradBench's two `us` columns
(first) are each row's entries in its own `us` columns.
"""

import functools

import numpy as np

import funcdiff as fd
import funcdiff.numpy as fnp


@functools.cache
def _pose_index(n_bones):
    """Gather index into `[theta (26), 0, 1]` of the (n_bones + 3, 3) pose parameters.

    Row 0: global rotation, row 1: scale (ones), row 2: global translation, row 3 + i: the
    Euler angles of bone i (fingers: three bones each, the first with two angles, then one
    bone without parameters).
    """
    zero, one = 26, 27
    idx = np.full((n_bones + 3, 3), zero, dtype=np.intp)
    idx[0] = [0, 1, 2]
    idx[1] = one
    idx[2] = [3, 4, 5]
    i_theta, row = 6, 5
    for _finger in range(5):
        for joint in range(3):
            idx[row, 0] = i_theta
            i_theta += 1
            if joint == 0:
                idx[row, 1] = i_theta
                i_theta += 1
            row += 1
        row += 1
    return idx


def _axis_terms(axis):
    """(E0, Ec, Es): the rotation by `a` about `axis` is `E0 + cos(a) Ec + sin(a) Es`."""
    i, j = [k for k in range(3) if k != axis]
    e0, ec, es = np.zeros((3, 3)), np.eye(3), np.zeros((3, 3))
    e0[axis, axis], ec[axis, axis] = 1.0, 0.0
    sign = -1.0 if axis == 1 else 1.0  # (Ry's sine terms have the other signs)
    es[j, i], es[i, j] = sign, -sign
    return e0, ec, es


# pose angles per bone are (x, z, y): the terms of each column's rotation, stacked
_E0, _EC, _ES = (np.stack(t) for t in zip(*(_axis_terms(a) for a in (0, 2, 1))))


def _rotations(angles):
    """`Rz(a[1]) Ry(a[2]) Rx(a[0])` for each row of `angles` (n, 3): each rotation as
    constant matrices weighted by the cosines and sines (a few array operations instead
    of nine stacked entries per matrix)."""
    c = fnp.cos(angles)[:, :, None, None]
    s = fnp.sin(angles)[:, :, None, None]
    r = _E0 + c * _EC + s * _ES  # (n, 3, 3, 3): Rx, Rz, Ry
    return fnp.matmul(fnp.matmul(r[:, 1], r[:, 2]), r[:, 0])


_CROSS = np.zeros((3, 3, 3))  # tensordot(_CROSS, k, 1) = [k]_x, the cross-product matrix
for _i, _j, _l, _v in [(0, 1, 2, -1), (0, 2, 1, 1), (1, 0, 2, 1), (1, 2, 0, -1),
                       (2, 0, 1, -1), (2, 1, 0, 1)]:
    _CROSS[_i, _j, _l] = _v


@functools.cache
def _levels(parents):
    """The bones by depth in the tree (`parents[i] < 0`: a root), as (bones, rows of their
    parents among the bones before them) per level, and each bone's row in that order."""
    depth = []
    for p in parents:
        depth.append(0 if p < 0 else depth[p] + 1)
    order, row, levels = [], {}, []
    for d in range(max(depth) + 1):
        bones = [i for i, di in enumerate(depth) if di == d]
        levels.append((np.array(bones), np.array([row.get(parents[b], -1) for b in bones])))
        for b in bones:
            row[b] = len(order)
            order.append(b)
    return levels, np.array([row[i] for i in range(len(parents))])


def _chain(relatives, parents):
    """The absolute transforms: each bone's parent's absolute times its relative, one
    batched product per depth of the tree instead of one product per bone."""
    levels, rows = _levels(parents)
    done = None
    for bones, parent_rows in levels:
        level = relatives[bones]
        if done is not None:
            level = fnp.matmul(done[parent_rows], level)
        done = level if done is None else fnp.concatenate([done, level])
    return done[rows]


def angle_axis_to_rotation(aa):
    """The rotation matrix of the angle-axis vector `aa` (the identity below norm 1e-4,
    as ADBench does; a `where`, so that the function stages for `jit`)."""
    sqnorm = fnp.sum(aa * aa)
    small = sqnorm < 1e-8
    norm = fnp.sqrt(fnp.where(small, 1.0, sqnorm))  # (no division by 0 in either branch)
    k = aa / norm
    s, c = fnp.sin(norm), fnp.cos(norm)
    # Rodrigues: cos I + (1 - cos) k k^T + sin [k]_x
    cross = fnp.tensordot(_CROSS, k, axes=1)  # [k]_x
    rotation = c * np.eye(3) + (1.0 - c) * (k[:, None] * k[None, :]) + s * cross
    return fnp.where(small, fnp.eye(3), rotation)


def vertex_positions(theta, model):
    """(n_verts, 3) posed vertex positions."""
    n_bones = model["base_relatives"].shape[0]
    pose = fnp.concatenate([theta, fnp.array([0.0, 1.0])])[_pose_index(n_bones)]
    angles = pose[3:]  # (n_bones, 3): x, z, y
    rot = _rotations(angles)
    base = model["base_relatives"]
    # base @ [[R, 0], [0, 1]]: rotate the first three columns, keep the translation column
    relatives = fnp.concatenate([fnp.matmul(base[:, :, :3], rot), base[:, :, 3:]], axis=2)
    absolutes = _chain(relatives, tuple(model["parents"]))
    transforms = fnp.matmul(absolutes, model["inverse_base_absolutes"])[:, :3, :]
    blended = fnp.einsum("vb,bjk->vjk", model["weights"], transforms)  # (n_verts, 3, 4)
    positions = fnp.einsum("vjk,vk->vj", blended, model["base_positions"])
    if model["is_mirrored"]:
        positions = positions * np.array([-1.0, 1.0, 1.0])
    rotation = angle_axis_to_rotation(pose[0]) * pose[1]  # columns scaled by pose[1]
    return fnp.matmul(positions, rotation.T) + pose[2]


def residuals(theta, us, data):
    """Flat residuals `points - hand points`, 3 per correspondence."""
    verts = vertex_positions(theta, data["model"])
    corr = data["correspondences"]
    if us is None:
        hand = verts[corr]
    else:
        tri = data["model"]["triangles"][corr]  # (n_corr, 3)
        u0, u1 = us[:, 0:1], us[:, 1:2]
        hand = u0 * verts[tri[:, 0]] + u1 * verts[tri[:, 1]] + (1.0 - u0 - u1) * verts[tri[:, 2]]
    return fnp.ravel(data["points"] - hand)


def objective(args):
    return residuals(*args[:3])


def jacobian(args):
    """GradBench's dense (3 n_corr) x (2 + 26) Jacobian from `fd.sparse_jacfwd` of the
    residuals as a function of `(us, theta)` (or of `theta` alone): residual `i` depends
    on its own `us` only, so the `us` columns share colours with the `theta` ones (26
    forward passes, jitted), and GradBench's two `us` columns are each row's entries in
    its own `us` columns, gathered straight from the compressed Jacobian
    (`prepare(...).compressed`) into GradBench's layout."""
    theta, us, data, state = args
    if us is None:
        return state["jac"](theta).toarray()
    prep = state["jac"].prepare(us, theta)
    if "take" not in state:  # where each entry of GradBench's matrix is in the compressed one
        m, n_us = prep.pattern.shape[0], us.size
        rows = np.repeat(np.arange(m), np.diff(prep.pattern.indptr))
        cols = prep.pattern.indices
        own = cols < n_us
        if prep.split or not (cols[own] // 2 == rows[own] // 3).all():
            raise AssertionError("a residual depends on another correspondence's us")
        pos = rows * 28 + np.where(own, cols % 2, cols - n_us + 2)
        take = np.zeros(m * 28, np.int64)
        take[pos] = prep.colors[cols] * m + rows  # c[colour of column j, i] = J[i, j]
        structural_zero = np.ones(m * 28, bool)
        structural_zero[pos] = False
        state.update(take=take, zeros=np.flatnonzero(structural_zero))
    out = prep.compressed(us, theta).ravel()[state["take"]]  # one gather, no CSR
    out[state["zeros"]] = 0.0
    return out.reshape(-1, 28)


FUNCTIONS = {"objective": objective, "jacobian": jacobian}


def prepare(input):
    data = input["data"]
    model = data["model"]

    def arr(v, dtype=np.float64):
        return np.asarray(v, dtype=dtype)

    us = arr(input["us"]).reshape(-1, 2) if len(input["us"]) else None
    model = {
        "parents": [int(p) for p in model["parents"]],
        "base_relatives": arr(model["base_relatives"]).reshape(-1, 4, 4),
        "inverse_base_absolutes": arr(model["inverse_base_absolutes"]).reshape(-1, 4, 4),
        "base_positions": arr(model["base_positions"]).reshape(-1, 4),
        "weights": arr(model["weights"]).reshape(len(model["base_positions"]), -1),
        "triangles": arr(model["triangles"], np.intp).reshape(-1, 3),
        "is_mirrored": bool(model["is_mirrored"]),
    }
    theta = arr(input["theta"])
    data = {
        "model": model,
        "correspondences": arr(data["correspondences"], np.intp),
        "points": arr(data["points"]).reshape(-1, 3),
    }
    if us is None:
        jac = fd.sparse_jacfwd(lambda t: residuals(t, None, data))
    else:
        jac = fd.sparse_jacfwd(lambda u, t: residuals(t, u, data))
    return theta, us, data, {"jac": jac}  # (prepared on the first call)


def to_json(function, result):
    return np.asarray(result).tolist()
