"""Sparse Jacobians and Hessians: sparsity detection, colouring, compressed evaluation.

`jacobian_sparsity(f, x)` stages `f` (as `jit` does) on the abstract value of `x`
(raveled, pytrees allowed) and interprets the program over *patterns*: for each value, a
boolean sparse matrix with one row per element and one column per input element, true
where the element may depend on that input element. Each primitive's `sparsity` field
says how (`core.Primitive`): elementwise (broadcasting), data movement (its `impl` run on
arrays of element codes), reductions, cumulative ops, contractions, scatter-add, `cond`
(the union of the branches); any other primitive makes each output element depend on
everything its inputs depend on, which is conservative: a pattern never misses a
non-zero, for any input value (the patterns are global).

Colouring: columns that share no row can be evaluated in one forward pass (one seed
vector, a distance-2 colouring of the column intersection graph); rows that share no
column in one reverse pass; for a Hessian, columns by the same rule, or a star colouring
where it needs fewer colours (entries recovered from the symmetric one where needed).
Greedy, largest degree first, deterministic.

Evaluation: `sparse_jacfwd(f)(x)` is one `vmap` of `jvp` over the seed matrix (`jit`ted,
prepared once per input signature), then the decompression into a `scipy.sparse` CSR
matrix; `sparse_jacrev` one `vmap` of `vjp`; `sparse_hessian` one `vmap` of forward-over-
reverse Hessian-vector products.
"""

from __future__ import annotations

import numpy as np

from funcdiff._src.api.forward import jvp
from funcdiff._src.api.reverse import grad, vjp_now
from funcdiff._src.api.vmap import vmap
from funcdiff._src.core import get_aval
from funcdiff._src.interpreters.staging import stage_flat
from funcdiff._src.jit.dispatch import jit
from funcdiff._src.lax.indexing import gather_p, scatter_set_p
from funcdiff._src.program import Literal, Program
from funcdiff._src.ravel import ravel_pytree

__all__ = [
    "jacobian_sparsity", "hessian_sparsity", "sparse_jacfwd", "sparse_jacrev",
    "sparse_hessian", "color_columns", "color_rows", "color_star",
]


def _sp():
    try:
        import scipy.sparse
    except ImportError:  # pragma: no cover - scipy is an optional extra
        raise ImportError(
            'funcdiff\'s sparse Jacobians return scipy.sparse matrices: pip install '
            '"funcdiff[scipy]" (from a checkout: pip install ".[scipy]").'
        ) from None
    return scipy.sparse


# -- patterns ------------------------------------------------------------------------------


def _size(aval):
    return int(np.prod(aval.shape, dtype=np.int64))


def _empty(sp, rows, n):
    return sp.csr_matrix((rows, n), dtype=bool)


def _rows(sp, pattern, index):
    """Rows `index` (flat, with repeats) of `pattern`."""
    index = np.asarray(index, dtype=np.int64).ravel()
    return pattern[index] if index.size else _empty(sp, 0, pattern.shape[1])


def _union(sp, patterns, rows, n):
    out = _empty(sp, rows, n)
    for p in patterns:
        out = out + p
    return out.astype(bool).tocsr()


def _conservative(sp, in_patterns, out_avals, n):
    """Every output element on every input element that any input depends on."""
    cols = np.zeros(n, bool)
    for p in in_patterns:
        if p is not None and p.nnz:
            cols |= np.asarray(p.sum(axis=0)).ravel() > 0
    row = sp.csr_matrix(cols[None, :])
    return [sp.csr_matrix(sp.kron(np.ones((_size(a), 1), bool), row), dtype=bool)
            for a in out_avals]


def _elementwise(sp, in_patterns, in_avals, out_aval, n):
    shape = out_aval.shape
    parts = []
    for p, a in zip(in_patterns, in_avals):
        if p is None or not p.nnz:
            continue
        index = np.broadcast_to(np.arange(_size(a)).reshape(a.shape), shape)
        parts.append(_rows(sp, p, index))
    return _union(sp, parts, _size(out_aval), n)


def _codes(in_avals, dtype=np.int64):
    """Arrays of element codes, one per input: input k's elements are offset_k + 1 + i."""
    codes, offset = [], 0
    for a in in_avals:
        k = _size(a)
        codes.append((np.arange(k, dtype=dtype) + offset + 1).reshape(a.shape))
        offset += k
    return codes


def _stacked(sp, in_patterns, in_avals, n):
    """The inputs' patterns stacked under a row of no dependence (code 0)."""
    blocks = [_empty(sp, 1, n)] + [
        p if p is not None else _empty(sp, _size(a), n) for p, a in zip(in_patterns, in_avals)
    ]
    return sp.vstack(blocks, format="csr")


def _move(sp, prim, in_patterns, in_avals, out_aval, params, n):
    index = params.get("index")
    if index is not None and index.ndyn:  # (traced indices: which element moves where
        return None                       # depends on values: conservative)
    out = prim.impl(*_codes(in_avals), **params)
    return _rows(sp, _stacked(sp, in_patterns, in_avals, n), np.asarray(out))


def _reduce(sp, p, in_aval, out_aval, axes, n):
    shape = in_aval.shape
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
    target = np.broadcast_to(np.arange(_size(out_aval)).reshape(kept), shape).ravel()
    r = sp.csr_matrix((np.ones(target.size, bool), (target, np.arange(target.size))),
                      shape=(_size(out_aval), target.size))
    return (r @ p).astype(bool).tocsr()


def _lane(sp, p, aval, axis, reverse, n):
    """A cumulative op along `axis`: each element on the elements of its lane up to it
    (from it to the end, `reverse`)."""
    k = aval.shape[axis]
    size = _size(aval)
    if not size:
        return _empty(sp, 0, n)
    lanes = np.moveaxis(np.arange(size).reshape(aval.shape), axis, -1).reshape(-1, k)
    i, j = np.tril_indices(k) if not reverse else np.triu_indices(k)  # (output, input)
    rows = lanes[:, i].ravel()
    cols = lanes[:, j].ravel()
    r = sp.csr_matrix((np.ones(rows.size, bool), (rows, cols)), shape=(size, size))
    return (r @ p).astype(bool).tocsr()


_GRID_LIMIT = 1 << 24  # contractions with a larger index grid: the conservative rule


def _contract(sp, in_patterns, in_avals, out_aval, subscripts, n):
    ins, out = subscripts.replace(" ", "").split("->")
    ins = ins.split(",")
    dims = {}
    for t, a in zip(ins, in_avals):
        for c, d in zip(t, a.shape):
            dims[c] = d
    letters = "".join(dims)
    if int(np.prod([dims[c] for c in letters], dtype=np.int64)) > _GRID_LIMIT:
        return None
    grid = np.indices([dims[c] for c in letters]).reshape(len(letters), -1)
    where = {c: grid[i] for i, c in enumerate(letters)}
    o = (np.ravel_multi_index([where[c] for c in out], [dims[c] for c in out])
         if out else np.zeros(grid.shape[1], np.int64))
    parts = []
    for t, p, a in zip(ins, in_patterns, in_avals):
        if p is None or not p.nnz:
            continue
        e = (np.ravel_multi_index([where[c] for c in t], a.shape) if t
             else np.zeros(grid.shape[1], np.int64))
        d = sp.csr_matrix((np.ones(o.size, bool), (o, e)), shape=(_size(out_aval), _size(a)))
        parts.append(d.astype(bool) @ p)
    return _union(sp, parts, _size(out_aval), n)


def _scatter(sp, prim, in_patterns, in_avals, out_aval, params, n):
    """scatter_add(x, u) (and min, max): x's pattern, plus u's moved where the index puts
    it; scatter_set (`y[i] = v`): the written elements lose x's pattern."""
    p_x, p_u = in_patterns[0], in_patterns[1]
    a_x, a_u = in_avals[0], in_avals[1]
    if len(in_avals) > 2:  # a traced index: conservative
        return None
    index = params["index"]
    pos = np.asarray(gather_p.impl(np.arange(_size(a_x)).reshape(a_x.shape), index=index))
    if p_x is not None and prim is scatter_set_p:  # (overwritten: x's rows there go)
        keep = np.ones(_size(a_x), bool)
        keep[pos.ravel()] = False
        p_x = (sp.diags(keep.astype(np.int8), dtype=np.int8) @ p_x).astype(bool).tocsr()
        p_x.eliminate_zeros()
    parts = [] if p_x is None else [p_x]
    if p_u is not None and p_u.nnz:
        src = np.broadcast_to(np.arange(_size(a_u)).reshape(a_u.shape), pos.shape).ravel()
        r = sp.csr_matrix((np.ones(src.size, bool), (pos.ravel(), src)),
                          shape=(_size(out_aval), _size(a_u)))
        parts.append(r @ p_u)
    return _union(sp, parts, _size(out_aval), n)


def _same(a, b):
    return a.shape == b.shape and a.nnz == b.nnz and (a != b).nnz == 0


def _carry_fixed_point(sp, body, before, carry, after, steps, n):
    """The carry's patterns through a loop body run any number of times up to `steps`:
    the union with the body's outputs, iterated until nothing changes (a superset of the
    pattern after each step: monotone). `before`/`after`: the body's other inputs' patterns
    around the carry's. Returns (carry patterns, the body's outputs at the fixed point)."""
    for _ in range(max(int(steps), 1) + 1):
        outs = _program_patterns(sp, body, list(before) + list(carry) + list(after), n)
        new = [c + o if o is not None else c for c, o in zip(carry, outs[:len(carry)])]
        new = [p.astype(bool).tocsr() for p in new]
        if all(_same(a, b) for a, b in zip(new, carry)):
            return new, outs
        carry = new
    return carry, outs


def _dense_or_empty(sp, p, aval, n):
    return p if p is not None else _empty(sp, _size(aval), n)


def _scan(sp, ins, in_avals, out_avals, params, n):
    """`scan`: the carry to a fixed point, each step's `x` as the union over the steps, and
    each `y` the same pattern at every step (conservative across steps)."""
    body, nc, nk = params["body"], params["num_consts"], params["num_carry"]
    length = params["length"]
    pats = [_dense_or_empty(sp, p, a, n) for p, a in zip(ins, in_avals)]
    consts, carry, xs = pats[:nc], pats[nc:nc + nk], pats[nc + nk:]
    steps = []
    for p, a in zip(xs, in_avals[nc + nk:]):
        k = _size(a) // max(length, 1)
        rows = np.arange(_size(a))
        r = sp.csr_matrix((np.ones(rows.size, bool), (rows % max(k, 1), rows)),
                          shape=(k, _size(a)))
        steps.append((r @ p).astype(bool).tocsr())
    carry, outs = _carry_fixed_point(sp, body, consts, carry, steps, length, n)
    ys = [_dense_or_empty(sp, o, a, n) for o, a in zip(outs[nk:], body.out_avals[nk:])]
    return carry + [sp.vstack([y] * length, format="csr") if length else
                    _empty(sp, 0, n) for y in ys]


def _while(sp, ins, in_avals, out_avals, params, n):
    """`while_loop`: the carry to a fixed point (any number of steps)."""
    body, ncc, nbc = params["body"], params["num_cconsts"], params["num_bconsts"]
    pats = [_dense_or_empty(sp, p, a, n) for p, a in zip(ins, in_avals)]
    bconsts, carry = pats[ncc:ncc + nbc], pats[ncc + nbc:]
    size = sum(_size(a) for a in in_avals) + 1
    carry, _ = _carry_fixed_point(sp, body, bconsts, carry, [], size, n)
    return carry


def _custom_jvp(sp, ins, in_avals, out_avals, params, n):
    """A `custom_jvp` function: the derivative is the rule's, so the patterns go through
    the rule's program, tangents in (the arguments' patterns), tangents out. Values the
    function or its rule close over that depend on the inputs, or a rule not staged as a
    program: conservative."""
    rule, nf, nr = params["jvp"], params["n_fun"], params["n_rule"]
    closed = ins[:nf + nr]
    if not isinstance(rule, Program) or any(p is not None and p.nnz for p in closed):
        return _conservative(sp, ins, out_avals, n)
    xs = ins[nf + nr:]
    k = len(out_avals)
    outs = _program_patterns(sp, rule, [None] * (nr + len(xs)) + list(xs), n)
    return [_dense_or_empty(sp, o, a, n) for o, a in zip(outs[k:], out_avals)]


def _program_patterns(sp, program, in_patterns, n):
    """The patterns of `program`'s outputs from its inputs' patterns (None: depends on
    nothing)."""
    env = {}
    for v, p in zip(program.invars, in_patterns):
        env[id(v)] = p
    for e in program.eqns:
        ins = [None if type(v) is Literal else env.get(id(v)) for v in e.inputs]
        in_avals = [v.aval for v in e.inputs]
        out_avals = [v.aval for v in e.outputs]
        outs = _eqn_patterns(sp, e.prim, ins, in_avals, out_avals, e.params, n)
        for v, p in zip(e.outputs, outs):
            env[id(v)] = p
    return [None if type(v) is Literal else env.get(id(v)) for v in program.outvars]


def _eqn_patterns(sp, prim, ins, in_avals, out_avals, params, n):
    if prim.nondiff or all(p is None or not p.nnz for p in ins):
        return [None] * len(out_avals)
    kind = prim.sparsity
    out = None
    if kind == "elementwise":
        out = _elementwise(sp, ins, in_avals, out_avals[0], n)
    elif kind == "move":
        out = _move(sp, prim, ins, in_avals, out_avals[0], params, n)
    elif kind == "reduce":
        out = _reduce(sp, ins[0], in_avals[0], out_avals[0], tuple(params["axes"]), n)
    elif kind == "lane":
        out = _lane(sp, ins[0], in_avals[0], params["axis"], params["reverse"], n)
    elif kind == "contract":
        out = _contract(sp, ins, in_avals, out_avals[0], params["subscripts"], n)
    elif kind == "scatter":
        out = _scatter(sp, prim, ins, in_avals, out_avals[0], params, n)
    elif kind == "scan":
        return _scan(sp, ins, in_avals, out_avals, params, n)
    elif kind == "while":
        return _while(sp, ins, in_avals, out_avals, params, n)
    elif kind == "custom_jvp":
        return _custom_jvp(sp, ins, in_avals, out_avals, params, n)
    elif kind == "call":  # (checkpoint: its program, on its operands)
        outs = _program_patterns(sp, params["fun"], ins, n)
        return [_dense_or_empty(sp, o, a, n) for o, a in zip(outs, out_avals)]
    elif kind == "branches":
        outs = [_program_patterns(sp, b, ins[1:], n) for b in params["branches"]]
        return [_union(sp, [p for p in ps if p is not None], _size(a), n)
                for ps, a in zip(zip(*outs), out_avals)]
    if out is None:
        return _conservative(sp, ins, out_avals, n)
    return [out]


def _staged(fun, args):
    """(program, n, unravel): `fun` of the raveled arguments, staged."""
    flat, unravel = ravel_pytree(args)
    flat = np.asarray(flat)

    def flat_fun(x):
        out = fun(*unravel(x))
        out_flat, _ = ravel_pytree(out)
        return [out_flat]

    program, hoisted = stage_flat(flat_fun, [get_aval(flat)], "jacobian_sparsity")
    return program, flat, unravel


def _output_pattern(sp, program, n):
    """The pattern of a staged one-output program of its inputs (raveled together, `n`
    elements in all)."""
    eye = sp.identity(n, dtype=bool, format="csr")
    ins, start = [], 0
    for v in program.invars:
        k = _size(v.aval)
        ins.append(eye[start:start + k])
        start += k
    (p,) = _program_patterns(sp, program, ins, n)
    m = _size(program.outvars[0].aval)
    return _empty(sp, m, n) if p is None else _canonical(p)


def _canonical(p):
    """A boolean CSR matrix with sorted, unique indices (the order values come in)."""
    p = p.astype(bool).tocsr()
    p.sum_duplicates()
    p.sort_indices()
    return p


def _pattern(fun, args):
    program, flat, _ = _staged(fun, args)
    return _output_pattern(_sp(), program, flat.size), flat


_SPREAD_LIMIT = 64  # input reads up to this many times the input size are factored


def _split_reads(program, n):
    """`f(x) = h(x[index])` where the program reads its input through data movement with
    static indices (slices, reshapes, gathers, broadcasts): the program `h` of the values
    those reads produce (the first values not moved any further) and the flat `index`, or
    None when there is nothing to split off.

    The Jacobian of `f` is `J_h P` (`P[k, index[k]] = 1`), and `J_h` is often far easier
    to colour: where many residuals read the same parameters through a gather (bundle
    adjustment's cameras), the rows of `J_f` share columns but those of `J_h` do not."""
    (x,) = program.invars
    codes = {id(x): np.arange(1, n + 1, dtype=np.int64)}
    moved, rest = [], []
    for e in program.eqns:
        index = e.params.get("index")
        if (e.prim.sparsity == "move" and not (index is not None and index.ndyn)
                and all(type(v) is not Literal and id(v) in codes for v in e.inputs)):
            ins = [codes[id(v)].reshape(v.aval.shape) for v in e.inputs]
            codes[id(e.outputs[0])] = np.asarray(e.prim.impl(*ins, **e.params))
            moved.append(e)
        else:
            rest.append(e)
    used = {id(v) for e in rest for v in e.inputs if type(v) is not Literal}
    used |= {id(v) for v in program.outvars if type(v) is not Literal}
    reads = [v for v in [x] + [e.outputs[0] for e in moved] if id(v) in used]
    if [id(v) for v in reads] == [id(x)]:
        return None
    index = np.concatenate([codes[id(v)].ravel() for v in reads]) - 1
    if index.size > _SPREAD_LIMIT * max(n, 1) or (index < 0).any():
        return None  # (an element no input moved into it, a fill: not split)
    return Program(reads, rest, program.outvars, program.consts), index


def jacobian_sparsity(fun, *args):
    """The sparsity pattern of the Jacobian of `fun` at any arguments of these shapes.

    Inputs and outputs are raveled (`ravel_pytree`): entry (i, j) is True where output
    element i may depend on input element j. The pattern is global (valid for every input
    value) and conservative: it never misses a non-zero.

    Returns:
        A `scipy.sparse.csr_matrix` of booleans, (output size, input size).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
        >>> p = fd.jacobian_sparsity(lambda x: x[1:] * x[:-1], np.ones(4))
        >>> p.toarray().astype(int)
        array([[1, 1, 0, 0],
               [0, 1, 1, 0],
               [0, 0, 1, 1]])

        ```
    """
    return _pattern(fun, args)[0]


def hessian_sparsity(fun, *args):
    """The sparsity pattern of the Hessian of the scalar `fun` (the Jacobian pattern of
    its gradient), inputs raveled; symmetric, global and conservative.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
        >>> f = lambda x: fnp.sum((x[1:] - x[:-1] ** 2) ** 2)
        >>> fd.hessian_sparsity(f, np.ones(3)).toarray().astype(int)
        array([[1, 1, 0],
               [1, 1, 1],
               [0, 1, 1]])

        ```
    """
    flat, unravel = ravel_pytree(args)

    def g(x):
        return grad(lambda y: fun(*unravel(y)))(x)

    p = jacobian_sparsity(g, np.asarray(flat))
    return (p + p.T).astype(bool).tocsr()


# -- colouring -------------------------------------------------------------------------------


def _greedy(conflicts, k):
    """Greedy colouring of `k` vertices of a conflict graph (CSR, symmetric), largest
    degree first, ties by index: deterministic. (Smallest-last ordering gave the same
    counts on stencils and bands, at 10x the time.)"""
    order = np.lexsort((np.arange(k), -np.diff(conflicts.indptr)))
    colors = np.full(k, -1, np.int64)
    for v in order:
        neigh = conflicts.indices[conflicts.indptr[v]:conflicts.indptr[v + 1]]
        colors[v] = _smallest_free(set(colors[neigh].tolist()))
    return colors


def _smallest_free(used):
    """The smallest colour (non-negative int) not in `used` (uncoloured: -1)."""
    c = 0
    while c in used:
        c += 1
    return c


def color_columns(pattern):
    """A colour per column such that columns of one colour share no row (forward mode:
    one pass per colour). Returns an int array; `colors.max() + 1` passes."""
    p = _sp().csr_matrix(pattern, dtype=bool).astype(np.int64)
    conflicts = (p.T @ p).tocsr()
    conflicts.setdiag(0)
    conflicts.eliminate_zeros()
    return _greedy(conflicts, p.shape[1])


_STAR_BUDGET = 5_000_000  # neighbour visits beyond which star colouring is not tried


def color_star(pattern):
    """A star colouring of a symmetric pattern (a distance-1 colouring in which every path
    on four vertices has at least three colours; Gebremedhin, Manne and Pothen 2005,
    greedy), or None where it would be too slow to compute. With it a symmetric matrix is
    recovered from `ncolors` products, often far fewer than a column colouring needs (an
    arrowhead: 2 instead of n)."""
    p = _sp().csr_matrix(pattern, dtype=bool)
    p = (p + p.T).tocsr()
    p.setdiag(False)
    p.eliminate_zeros()
    k = p.shape[0]
    ptr, idx = p.indptr, p.indices
    degree = np.diff(ptr)
    if int(degree[idx].sum()) > _STAR_BUDGET:
        return None
    nbrs = [idx[ptr[v]:ptr[v + 1]] for v in range(k)]
    colors = np.full(k, -1, np.int64)
    for v in np.lexsort((np.arange(k), -degree)):
        forbidden = set()
        for w in nbrs[v]:
            cw = colors[w]
            if cw >= 0:
                forbidden.add(cw)
            for x in nbrs[w]:
                cx = colors[x]
                if x == v or cx < 0:
                    continue
                if cw < 0:
                    forbidden.add(cx)
                elif any(y != w and colors[y] == cw for y in nbrs[x]):
                    forbidden.add(cx)
        colors[v] = _smallest_free(forbidden)
    return colors


def color_rows(pattern):
    """A colour per row such that rows of one colour share no column (reverse mode)."""
    return color_columns(_sp().csr_matrix(pattern, dtype=bool).T)


def _seeds(colors, dtype):
    k = int(colors.max()) + 1 if colors.size else 0
    s = np.zeros((k, colors.size), dtype)
    s[colors, np.arange(colors.size)] = 1
    return s


class _Prepared:
    """Detection and colouring done once for one input signature: `pattern`, `colors`,
    `ncolors`, and the batched, jitted evaluation of the compressed derivative.

    With `split = (index, inner)` the colours are those of `inner`, the pattern of the
    Jacobian of `h` with `f(x) = h(x[index])` (`_split_reads`): the compressed derivative
    is `J_h`'s, and each entry of `J_f` is the sum of the entries of `J_h` whose column
    reads that input element."""

    def __init__(self, pattern, colors, evaluate, by_rows, star=False, split=None):
        self.pattern, self.colors, self.evaluate, self.by_rows = pattern, colors, evaluate, by_rows
        self.ncolors = int(colors.max()) + 1 if colors.size else 0
        self.star, self.split = star, split is not None
        inner = pattern if split is None else split[1]
        coo = inner.tocoo()  # (canonical CSR: entries in the order of the CSR data)
        rows, cols = coo.row, coo.col
        if star:  # symmetric recovery: H[i, j] from row i if colour(j) is alone there
            counts = np.zeros((pattern.shape[0], max(self.ncolors, 1)), np.int64)
            np.add.at(counts, (rows, colors[cols]), 1)
            direct = counts[rows, colors[cols]] == 1
            swapped = counts[cols, colors[rows]] == 1
            if not (direct | swapped).all():  # (never guess: a bad colouring)
                raise ValueError("funcdiff: the star colouring does not determine the "
                                 "Hessian; please report this")
            # H[i, j] = c[colour(j), i], else H[j, i] = c[colour(i), j]
            self._take = np.where(direct, colors[cols] * pattern.shape[0] + rows,
                                  colors[rows] * pattern.shape[0] + cols)
        elif by_rows:  # c[colour of row i, j] = J[i, j]
            self._take = colors[rows] * inner.shape[1] + cols
        else:  # c[colour of column j, i] = J[i, j]
            self._take = colors[cols] * inner.shape[0] + rows
        self._sum = None
        if split is not None:  # where in J_f's data each entry of J_h adds
            index = split[0]
            n = pattern.shape[1]
            outer = np.repeat(np.arange(pattern.shape[0], dtype=np.int64),
                              np.diff(pattern.indptr)) * n + pattern.indices
            self._sum = np.searchsorted(outer, rows.astype(np.int64) * n + index[cols])
            if (np.bincount(self._sum, minlength=pattern.nnz) == 1).all():
                # each entry of J_f is one entry of J_h: a gather, not a sum
                self._take = self._take[np.argsort(self._sum, kind="stable")]
                self._sum = None

    def compressed(self, *args):
        """The compressed derivative at `args` (the signature prepared), before
        decompression: `(ncolors, m)` with `c[colors[j], i] = J[i, j]` (forward mode, and
        Hessians without `star`), `(ncolors, n)` with `c[colors[i], j] = J[i, j]` (reverse
        mode); for a layout of one's own. (With `split`, the colours are those of the
        values read: use `decompress`.)"""
        flat, _ = ravel_pytree(args)
        if self.ncolors == 0:
            return np.zeros((0, self.pattern.shape[1 if self.by_rows else 0]))
        return self.evaluate(np.asarray(flat))

    def decompress(self, compressed):
        """The CSR matrix from the compressed derivative (ncolors x m or ncolors x n)."""
        c = np.asarray(compressed).ravel()
        vals = c[self._take] if c.size else np.zeros(self._take.size, c.dtype)
        if self._sum is not None:  # (bincount adds reals: complex by parts)
            nnz = self.pattern.nnz
            total = np.bincount(self._sum, weights=vals.real, minlength=nnz).astype(c.dtype)
            if c.dtype.kind == "c":
                total += 1j * np.bincount(self._sum, weights=vals.imag, minlength=nnz)
            vals = total
        p = self.pattern
        return _sp().csr_matrix((vals, p.indices.copy(), p.indptr.copy()), shape=p.shape)


def _signature(args):
    flat, _ = ravel_pytree(args)
    leaves = [np.shape(a) for a in args]
    return (str(leaves), np.asarray(flat).shape, np.asarray(flat).dtype.str)


def _colors(pattern, by_rows):
    return color_rows(pattern) if by_rows else color_columns(pattern)


def _ncolors(colors):
    return int(colors.max()) + 1 if colors.size else 0


def _try_split(sp, program, n, by_rows):
    """(pattern of J_f, colours, split): `split` when colouring J_h of `_split_reads` needs
    fewer colours than J_f (then the colours are J_h's), else None and J_f's colours; None
    if there is nothing to split. J_f is coloured only when J_h's count is not below J_f's
    lower bound (its densest row or column), so a J_f that is expensive to colour (a
    camera read by thousands of residuals) is not coloured when it need not be."""
    found = _split_reads(program, n)
    if found is None:
        return None
    inner_program, index = found
    inner = _output_pattern(sp, inner_program, index.size)
    reads = sp.csr_matrix((np.ones(index.size, bool), (np.arange(index.size), index)),
                          shape=(index.size, n))
    pattern = _canonical(inner.astype(np.int64) @ reads.astype(np.int64))
    colors = _colors(inner, by_rows)
    k = _ncolors(colors)
    counts = np.diff(pattern.indptr) if not by_rows else np.bincount(pattern.indices,
                                                                    minlength=n)
    if k >= (int(counts.max()) if counts.size else 0):
        outer = _colors(pattern, by_rows)
        if k >= _ncolors(outer):
            return pattern, outer, None
    return pattern, colors, (index, inner, inner_program)


def _make(fun, mode, sparsity):
    cache = {}

    def prepare(*args):
        key = _signature(args)
        prepared = cache.get(key)
        if prepared is not None:
            return prepared
        sp = _sp()
        flat, unravel = ravel_pytree(args)
        flat = np.asarray(flat)

        def f(x):
            out, _ = ravel_pytree(fun(*unravel(x)))
            return out

        by_rows = mode == "rev"
        found = split = None
        if sparsity is not None:
            pattern = _canonical(sp.csr_matrix(sparsity, dtype=bool))
        elif mode == "hessian":
            pattern = _canonical(hessian_sparsity(fun, *args))
        else:
            program, _, _ = _staged(fun, args)
            found = _try_split(sp, program, flat.size, by_rows)
            if found is not None:
                pattern, colors, split = found
            else:
                pattern = _output_pattern(sp, program, flat.size)
        if found is None:
            colors = _colors(pattern, by_rows)
        star = None
        if mode == "hessian" and colors.size and int(colors.max()) + 1 > 2 * np.median(
                np.diff(pattern.indptr)):  # (far above a typical row: try a star colouring)
            star = color_star(pattern)
            if star is not None and star.max() < colors.max():
                colors = star  # (fewer products; recovered symmetrically)
            else:
                star = None
        seeds = _seeds(colors, flat.dtype if flat.dtype.kind == "f" else np.float64)
        if split is None:
            g, avals = f, [get_aval(flat)]

            def point(x):
                return [x]
        else:  # J_h at the values read, x[index]: h's inputs one by one (no flat z: the
            index, _, inner_program = split  # cotangent of each read stays its own)
            avals = inner_program.in_avals

            def g(*parts):
                return inner_program(*parts)[0]

            def point(x):
                return _unflatten(x[index], avals)
        if mode == "fwd":
            def compressed(x, s):
                parts = point(x)
                return vmap(lambda t: jvp(g, parts, _unflatten(t, avals))[1])(s)
        elif mode == "rev":
            def compressed(x, s):
                _, pullback = vjp_now(g, *point(x))
                return vmap(lambda c: ravel_pytree(list(pullback(c)))[0])(s)
        else:
            h = grad(lambda y: fun(*unravel(y)))

            def compressed(x, s):
                return vmap(lambda t: jvp(h, (x,), (t,))[1])(s)

        run = jit(compressed)
        prepared = _Prepared(pattern, colors, lambda x: run(x, seeds), by_rows,
                             star=star is not None, split=split and split[:2])
        cache[key] = prepared
        return prepared

    def call(*args):
        prepared = prepare(*args)
        return prepared.decompress(prepared.compressed(*args))

    call.prepare = prepare
    return call


def _unflatten(z, avals):
    """The arrays of `avals`' shapes laid one after another in the flat `z`."""
    out, start = [], 0
    for a in avals:
        k = _size(a)
        out.append(z[start:start + k].reshape(a.shape))
        start += k
    return out


def sparse_jacfwd(fun, sparsity=None):
    """The Jacobian of `fun` as a `scipy.sparse` CSR matrix, by forward mode with
    column colouring (inputs and outputs raveled, as in `jacobian_sparsity`).

    The pattern is detected (or taken from `sparsity`, a boolean (m, n) matrix) and
    coloured once per input signature (`.prepare(*args)` returns that preparation:
    `pattern`, `colors`, `ncolors`, `star`, `split`); each call is then one jitted `vmap` of
    `jvp` over `ncolors` seed vectors and a decompression. Where `fun` reads its input
    through gathers or slices with static indices and the values read colour with fewer
    colours than `J` itself (`split`), the passes are over those values and each entry of
    `J` sums the entries of the columns that read its input element.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
        >>> jac = fd.sparse_jacfwd(lambda x: fnp.sin(x[1:]) * x[:-1])
        >>> J = jac(np.arange(5.0))
        >>> J.shape, J.nnz, jac.prepare(np.arange(5.0)).ncolors
        ((4, 5), 8, 2)

        ```
    """
    return _make(fun, "fwd", sparsity)


def sparse_jacrev(fun, sparsity=None):
    """`sparse_jacfwd` by reverse mode: rows coloured (rows of one colour share no
    column), one jitted `vmap` of `vjp` over `ncolors` seeds. With reads through gathers
    (bundle adjustment: residuals reading shared cameras) the rows of the Jacobian with
    respect to the values read share no columns where those of `J` do: 2 colours instead
    of hundreds (`prepare(...).split`).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
        >>> idx = np.arange(1000) % 3             # 1000 residuals read 3 parameters
        >>> jac = fd.sparse_jacrev(lambda p, x: fnp.sin(p[idx]) * x)
        >>> prep = jac.prepare(np.ones(3), np.ones(1000))
        >>> prep.split, prep.ncolors, jac(np.ones(3), np.ones(1000)).nnz
        (True, 1, 2000)

        ```
    """
    return _make(fun, "rev", sparsity)


def sparse_hessian(fun, sparsity=None):
    """The Hessian of the scalar `fun` as a `scipy.sparse` CSR matrix (inputs raveled):
    its pattern (`hessian_sparsity`, or `sparsity`) coloured by columns, or by a star
    colouring where that needs fewer colours (`prepare(...).star`; entries recovered
    symmetrically), then one jitted `vmap` of forward-over-reverse Hessian-vector products
    over `ncolors` seeds.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp, numpy as np
        >>> rosen = lambda x: fnp.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
        >>> H = fd.sparse_hessian(rosen)(np.zeros(1000))
        >>> H.nnz, fd.sparse_hessian(rosen).prepare(np.zeros(1000)).ncolors
        (2998, 3)

        ```
    """
    return _make(fun, "hessian", sparsity)
