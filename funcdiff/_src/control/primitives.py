"""Control-flow primitives for staged code: `scan`, `while`, `cond`.

Eager code never needs them: `funcdiff._src.control.flow` runs branches and
loops in Python when values are concrete. Inside `jit` values are abstract,
so `cond`, `while_loop`, `fori_loop` and `scan` bind these primitives, with
the branch or loop body staged once as a `Program` (not unrolled). Their
operands are the body's hoisted closure values ("consts") followed by the
loop state; each rule stages a transformed body (its JVP, its VJP, its
batched version) and binds the primitive again, so the reverse pass of a scan
is itself a scan.
"""

from __future__ import annotations

import numpy as np

from funcdiff import numpy as fnp
from funcdiff._src import backend
from funcdiff._src.api.reverse import vjp_now
from funcdiff._src.api.vmap import vmap
from funcdiff._src.api_util import float0
from funcdiff._src.backend import library_of
from funcdiff._src.core import Primitive, ShapedArray, Tracer, get_aval, shape_of
from funcdiff._src.interpreters.batching import batch_flat
from funcdiff._src.interpreters.jvp import jvp_flat
from funcdiff._src.interpreters.staging import stage_flat
from funcdiff._src.jit.codegen import compiled
from funcdiff._src.lax.elementwise import where
from funcdiff._src.lax.shape import bdim_to_front, moveaxis_to
from funcdiff._src.program import Branches, Loop

__all__ = ["scan_p", "while_p", "cond_p", "bind_scan", "bind_while", "bind_cond"]


def _is_float(aval):
    return aval.dtype.kind in "fc"


def _zeros(aval):
    return np.zeros(aval.shape, aval.dtype)


def _step_aval(aval):
    return ShapedArray(aval.shape[1:], aval.dtype)


def _stacked_aval(aval, length):
    return ShapedArray((length,) + tuple(aval.shape), aval.dtype)


def _concrete_args(args):
    return not any(isinstance(a, Tracer) for a in args)


def _run(program, args):
    return compiled(program)(*args) if _concrete_args(args) else program(*args)


# -- scan -----------------------------------------------------------------------
# operands: consts (num_consts), carry (num_carry), xs (scanned over axis 0)
# body: (consts, carry, x) -> (carry, y)


def _scan_impl(*ops, body, num_consts, num_carry, length, reverse):
    consts = ops[:num_consts]
    carry = list(ops[num_consts : num_consts + num_carry])
    xs = ops[num_consts + num_carry :]
    fn = compiled(body)
    ys = []
    for i in range(length - 1, -1, -1) if reverse else range(length):
        outs = fn(*consts, *carry, *[x[i] for x in xs])
        carry = list(outs[:num_carry])
        ys.append(outs[num_carry:])
    if reverse:
        ys.reverse()
    y_avals = body.out_avals[num_carry:]
    stacked = [
        np.stack([np.asarray(y[k]) for y in ys]) if ys else np.zeros((0,) + a.shape, a.dtype)
        for k, a in enumerate(y_avals)
    ]
    return [np.asarray(c) if np.ndim(c) else c for c in carry] + stacked


def _scan_abstract(*avals, body, num_consts, num_carry, length, reverse):
    outs = body.out_avals
    return list(outs[:num_carry]) + [_stacked_aval(a, length) for a in outs[num_carry:]]


def bind_scan(body_fn, consts, init, xs, length, reverse):
    """Stage `body_fn(*consts, *carry, *x) -> carry + ys` and bind `scan_p`."""
    avals = (
        [_aval(c) for c in consts]
        + [_aval(c) for c in init]
        + [_step_aval(_aval(x)) for x in xs]
    )
    body, hoisted = stage_flat(body_fn, avals, "scan body")
    return scan_p.bind(
        *hoisted, *consts, *init, *xs,
        body=body, num_consts=len(hoisted) + len(consts), num_carry=len(init),
        length=length, reverse=reverse,
    )


def _aval(x):
    return get_aval(x)


def _scan_jvp(primals, tangents, body, num_consts, num_carry, length, reverse):
    nc, nk = num_consts, num_carry
    consts, init, xs = primals[:nc], primals[nc : nc + nk], primals[nc + nk :]
    t_consts, t_init, t_xs = tangents[:nc], tangents[nc : nc + nk], tangents[nc + nk :]
    c_nz = [t is not None for t in t_consts]
    x_nz = [t is not None for t in t_xs]
    carry_avals = body.in_avals[nc : nc + nk]
    t_init = [
        _zeros(a) if t is None else t for t, a in zip(t_init, carry_avals)
    ]
    ny = len(body.outvars) - nk

    def jbody(*args):
        it = iter(args)
        cs = [next(it) for _ in range(nc)]
        tcs = [next(it) if nz else None for nz in c_nz]
        carry = [next(it) for _ in range(nk)]
        tcarry = [next(it) for _ in range(nk)]
        x = [next(it) for _ in range(len(xs))]
        tx = [next(it) if nz else None for nz in x_nz]
        outs, touts = jvp_flat(lambda *a: body(*a), cs + carry + x, tcs + tcarry + tx)
        touts = [_zeros(_aval(o)) if t is None else t for o, t in zip(outs, touts)]
        return outs[:nk] + touts[:nk] + outs[nk:] + touts[nk:]

    ops_consts = list(consts) + [t for t in t_consts if t is not None]
    ops_xs = list(xs) + [t for t in t_xs if t is not None]
    outs = bind_scan(jbody, ops_consts, list(init) + t_init, ops_xs, length, reverse)
    carry, tcarry = outs[:nk], outs[nk : 2 * nk]
    ys, tys = outs[2 * nk : 2 * nk + ny], outs[2 * nk + ny :]
    return list(carry) + list(ys), list(tcarry) + list(tys)


def _scan_fwd(*primals, body, num_consts, num_carry, length, reverse):
    """Forward pass for reverse mode: also stack the carry entering each step."""
    nc, nk = num_consts, num_carry

    def rbody(*args):
        return list(body(*args)) + list(args[nc : nc + nk])

    outs = bind_scan(rbody, primals[:nc], primals[nc : nc + nk], primals[nc + nk :], length,
                     reverse)
    n_out = len(body.outvars)
    return outs[:n_out], outs[n_out:]


def _scan_vjp(g, out, primals, argnums, body, num_consts, num_carry, length, reverse,
              residuals):

    nc, nk = num_consts, num_carry
    consts, xs = primals[:nc], primals[nc + nk :]
    in_avals = body.in_avals
    c_avals, k_avals = in_avals[:nc], in_avals[nc : nc + nk]
    x_avals = in_avals[nc + nk :]
    y_avals = body.out_avals[nk:]
    fc = [_is_float(a) for a in c_avals]
    fk = [_is_float(a) for a in k_avals]
    fx = [_is_float(a) for a in x_avals]
    g_carry = [gc for gc, f in zip(g[:nk], fk) if f]
    g_ys = [gy for gy, a in zip(g[nk:], y_avals) if _is_float(a)]
    fy = [_is_float(a) for a in y_avals]

    def vbody(*args):
        it = iter(args)
        cs = [next(it) for _ in range(nc)]
        ct_carry = [next(it) for f in fk if f]
        acc = [next(it) for f in fc if f]
        carry = [next(it) for _ in range(nk)]
        x = [next(it) for _ in range(len(xs))]
        gy = [next(it) for f in fy if f]
        _, pullback = vjp_now(lambda *a: list(body(*a)), *cs, *carry, *x)
        ct_out = []
        it_c, it_y = iter(ct_carry), iter(gy)
        for f, a in zip(fk, k_avals):
            ct_out.append(next(it_c) if f else np.zeros(a.shape, float0))
        for f, a in zip(fy, y_avals):
            ct_out.append(next(it_y) if f else np.zeros(a.shape, float0))
        cts = pullback(ct_out)
        ct_c, ct_k, ct_x = cts[:nc], cts[nc : nc + nk], cts[nc + nk :]
        new_acc = [a + c for a, c in zip(acc, [c for c, f in zip(ct_c, fc) if f])]
        return (
            [c for c, f in zip(ct_k, fk) if f] + new_acc + [c for c, f in zip(ct_x, fx) if f]
        )

    zeros_acc = [_zeros(a) for a, f in zip(c_avals, fc) if f]
    scan_xs = list(residuals) + list(xs) + g_ys
    outs = bind_scan(vbody, list(consts), g_carry + zeros_acc, scan_xs, length, not reverse)
    n_k = sum(fk)
    ct_init_f, ct_consts_f = outs[:n_k], outs[n_k : n_k + sum(fc)]
    ct_xs_f = outs[n_k + sum(fc) :]
    ct_init = _unmask(ct_init_f, fk)
    ct_consts = _unmask(ct_consts_f, fc)
    ct_xs = _unmask(ct_xs_f, fx)
    cts = ct_consts + ct_init + ct_xs
    return [cts[i] for i in argnums]




def _unmask(values, mask):
    it = iter(values)
    return [next(it) if m else None for m in mask]


def _scan_batch(vals, dims, body, num_consts, num_carry, length, reverse):
    nc, nk = num_consts, num_carry
    size = next(shape_of(v)[d] for v, d in zip(vals, dims) if d is not None)
    consts = [v if d is None else bdim_to_front(v, d) for v, d in zip(vals[:nc], dims[:nc])]
    c_axes = [None if d is None else 0 for d in dims[:nc]]
    xs, x_axes = [], []
    for v, d in zip(vals[nc + nk :], dims[nc + nk :]):
        xs.append(v if d is None else moveaxis_to(v, d, 1))
        x_axes.append(None if d is None else 0)
    # which carries are batched: those batched on entry, and those the body makes
    # batched from batched inputs (a fixpoint over the loop state)
    carry_b = [d is not None for d in dims[nc : nc + nk]]
    y_dims, found = [], []

    def make_body(carry_b):
        axes = c_axes + [0 if b else None for b in carry_b] + x_axes

        def bbody(*args):
            outs, out_dims = batch_flat(lambda *a: list(body(*a)), args, axes, size)
            y_dims[:] = out_dims[nk:]
            found[:] = out_dims[:nk]
            return [
                bdim_to_front(o, d, size) if b else o
                for o, d, b in zip(outs[:nk], out_dims[:nk], carry_b)
            ] + outs[nk:]

        return bbody

    while True:
        bbody = make_body(carry_b)
        carry = [
            bdim_to_front(v, d, size) if b else v
            for v, d, b in zip(vals[nc : nc + nk], dims[nc : nc + nk], carry_b)
        ]
        avals = (
            [_aval(c) for c in consts] + [_aval(c) for c in carry]
            + [_step_aval(_aval(x)) for x in xs]
        )
        stage_flat(bbody, avals, "scan body")  # discover batching of the outputs
        new_b = [b or d is not None for b, d in zip(carry_b, found)]
        if new_b == carry_b:
            break
        carry_b = new_b
    outs = bind_scan(bbody, consts, carry, xs, length, reverse)
    ys_dims = [None if d is None else 1 for d in y_dims]
    return outs, [0 if b else None for b in carry_b] + ys_dims


scan_p = Primitive("scan", _scan_impl, multiple_results=True)


def _scan_xp(xp, *ops, body, num_consts, num_carry, length, reverse):
    """The scan on another library's arrays: the body program, bound step by step (on
    Dask a graph with one copy of the body per step)."""
    consts = ops[:num_consts]
    carry = list(ops[num_consts : num_consts + num_carry])
    xs = ops[num_consts + num_carry :]
    ys = []
    for i in range(length - 1, -1, -1) if reverse else range(length):
        outs = body(*consts, *carry, *[x[i, ...] for x in xs])
        carry = list(outs[:num_carry])
        ys.append(outs[num_carry:])
    if reverse:
        ys.reverse()
    like = next((o for o in ops if library_of(o) is not None), None)
    stacked = [
        xp.stack([y[k] for y in ys]) if ys else backend.zeros(xp, (0,) + a.shape, a.dtype, like)
        for k, a in enumerate(body.out_avals[num_carry:])
    ]
    return carry + stacked


scan_p.xp_impl = _scan_xp
scan_p.sparsity = "scan"
scan_p.abstract_eval = _scan_abstract
# operands: consts, initial carries, xs (the body gets views x[i]); outputs: carries, ys (new)
scan_p.aliases = lambda avals, body, num_consts, num_carry, length, reverse: Loop(
    body, slice(0, num_consts), slice(num_consts, num_consts + num_carry),
    slice(num_consts + num_carry, None), length == 0,
)
scan_p.jvp = _scan_jvp
scan_p.fwd = _scan_fwd
scan_p.vjp = _scan_vjp
scan_p.batch = _scan_batch


# -- while --------------------------------------------------------------------------
# operands: cond consts, body consts, carry; cond: (cconsts, carry) -> pred;
# body: (bconsts, carry) -> carry


def _while_impl(*ops, cond, body, num_cconsts, num_bconsts):
    cc = ops[:num_cconsts]
    bc = ops[num_cconsts : num_cconsts + num_bconsts]
    carry = list(ops[num_cconsts + num_bconsts :])
    cfn, bfn = compiled(cond), compiled(body)
    while cfn(*cc, *carry)[0]:
        carry = list(bfn(*bc, *carry))
    return carry


def bind_while(cond_fn, body_fn, cconsts, bconsts, init):
    avals = [_aval(c) for c in init]
    cond, ch = stage_flat(cond_fn, [_aval(c) for c in cconsts] + avals, "while cond")
    body, bh = stage_flat(body_fn, [_aval(c) for c in bconsts] + avals, "while body")
    return while_p.bind(
        *ch, *cconsts, *bh, *bconsts, *init,
        cond=cond, body=body, num_cconsts=len(ch) + len(cconsts),
        num_bconsts=len(bh) + len(bconsts),
    )


def _while_jvp(primals, tangents, cond, body, num_cconsts, num_bconsts):
    ncc, nbc = num_cconsts, num_bconsts
    cc, bc = primals[:ncc], primals[ncc : ncc + nbc]
    init = primals[ncc + nbc :]
    t_bc = tangents[ncc : ncc + nbc]
    t_init = [
        _zeros(_aval(p)) if t is None else t for p, t in zip(init, tangents[ncc + nbc :])
    ]
    b_nz = [t is not None for t in t_bc]
    nk = len(init)

    def jcond(*args):
        return list(cond(*args[:ncc], *args[ncc : ncc + nk]))

    def jbody(*args):
        it = iter(args)
        cs = [next(it) for _ in range(nbc)]
        tcs = [next(it) if nz else None for nz in b_nz]
        carry = [next(it) for _ in range(nk)]
        tcarry = [next(it) for _ in range(nk)]
        outs, touts = jvp_flat(lambda *a: body(*a), cs + carry, tcs + tcarry)
        return outs + [_zeros(_aval(o)) if t is None else t for o, t in zip(outs, touts)]

    outs = bind_while(
        jcond, jbody, list(cc), list(bc) + [t for t in t_bc if t is not None],
        list(init) + t_init,
    )
    return outs[:nk], outs[nk:]


def _while_vjp(*args, **kwargs):
    raise TypeError(
        "reverse-mode differentiation of a while_loop inside jit is not possible: its trip "
        "count is not known when the program is staged. Use fori_loop with concrete bounds or "
        "scan, or differentiate outside jit (eager while_loop supports grad)."
    )


def _while_batch(vals, dims, cond, body, num_cconsts, num_bconsts):
    ncc, nbc = num_cconsts, num_bconsts
    size = next(shape_of(v)[d] for v, d in zip(vals, dims) if d is not None)
    cc = [v if d is None else bdim_to_front(v, d) for v, d in zip(vals[:ncc], dims[:ncc])]
    bc = [
        v if d is None else bdim_to_front(v, d)
        for v, d in zip(vals[ncc : ncc + nbc], dims[ncc : ncc + nbc])
    ]
    cc_axes = [None if d is None else 0 for d in dims[:ncc]]
    bc_axes = [None if d is None else 0 for d in dims[ncc : ncc + nbc]]
    init_vals, init_dims = vals[ncc + nbc :], dims[ncc + nbc :]

    def lift(carry_b):
        return [
            bdim_to_front(v, d, size) if b else v
            for v, d, b in zip(init_vals, init_dims, carry_b)
        ]

    # which parts of the loop state are batched (a fixpoint), and is the predicate?
    carry_b = [d is not None for d in init_dims]
    info = {}
    while True:
        k_axes = [0 if b else None for b in carry_b]

        def probe(*args, k_axes=k_axes):
            cs_c, cs_b, carry = args[:ncc], args[ncc : ncc + nbc], args[ncc + nbc :]
            _, pd = batch_flat(lambda *a: list(cond(*a)), list(cs_c) + list(carry),
                               cc_axes + k_axes, size)
            _, bd = batch_flat(lambda *a: list(body(*a)), list(cs_b) + list(carry),
                               bc_axes + k_axes, size)
            info["pred"], info["body"] = pd[0], bd
            return []

        carry = lift(carry_b)
        stage_flat(probe, [_aval(v) for v in cc + bc + carry], "while probe")
        new_b = [b or d is not None for b, d in zip(carry_b, info["body"])]
        if info["pred"] is not None:
            new_b = [True] * len(new_b)
        if new_b == carry_b:
            break
        carry_b = new_b
    k_axes = [0 if b else None for b in carry_b]
    pred_batched = info["pred"] is not None

    def run_cond(cs_c, carry):
        outs, pd = batch_flat(lambda *a: list(cond(*a)), list(cs_c) + list(carry),
                              cc_axes + k_axes, size)
        return outs[0], pd[0]

    def run_body(cs_b, carry):
        outs, bd = batch_flat(lambda *a: list(body(*a)), list(cs_b) + list(carry),
                              bc_axes + k_axes, size)
        return [bdim_to_front(o, d, size) if b else o for o, d, b in zip(outs, bd, carry_b)]

    def bcond(*args):
        pred, _ = run_cond(args[:ncc], args[ncc:])
        return [fnp.any(pred) if pred_batched else pred]

    def bbody(*args):
        # body consts are the cond consts then the body consts: with a batched
        # predicate each example runs the body only while its own predicate holds
        cs_c, cs_b, carry = args[:ncc], args[ncc : ncc + nbc], args[ncc + nbc :]
        new = run_body(cs_b, carry)
        if not pred_batched:
            return new
        pred, _ = run_cond(cs_c, carry)
        out = []
        for n, o in zip(new, carry):
            p = fnp.reshape(pred, (size,) + (1,) * (len(shape_of(o)) - 1))
            out.append(where(p, n, o))
        return out

    outs = bind_while(bcond, bbody, cc, list(cc) + bc, lift(carry_b))
    return outs, k_axes


while_p = Primitive("while", _while_impl, multiple_results=True)


def _while_xp(xp, *ops, cond, body, num_cconsts, num_bconsts):
    """The loop on another library's arrays: its predicate is read at every step (one
    scalar from the device; on Dask, a computation of that scalar: the one place a
    funcdiff program computes a Dask value, since the number of steps depends on it)."""
    cc = ops[:num_cconsts]
    bc = ops[num_cconsts : num_cconsts + num_bconsts]
    carry = list(ops[num_cconsts + num_bconsts :])
    while bool(cond(*cc, *carry)[0]):
        carry = list(body(*bc, *carry))
    return carry


while_p.xp_impl = _while_xp
while_p.sparsity = "while"
while_p.abstract_eval = lambda *avals, cond, body, num_cconsts, num_bconsts: list(
    body.out_avals
)
# operands: cond consts, body consts, initial carries (the loop may run no iteration)
while_p.aliases = lambda avals, cond, body, num_cconsts, num_bconsts: Loop(
    body, slice(num_cconsts, num_cconsts + num_bconsts),
    slice(num_cconsts + num_bconsts, None), slice(0, 0), True,
)
while_p.jvp = _while_jvp
while_p.vjp = _while_vjp
while_p.batch = _while_batch


# -- cond -------------------------------------------------------------------------------
# operands: index, then the operands shared by every branch; branches: tuple of
# Programs with one signature (ops) -> outs


def _cond_impl(index, *ops, branches):
    i = int(np.clip(index, 0, len(branches) - 1))
    return list(compiled(branches[i])(*ops))


def bind_cond(index, branch_fns, operands):
    """Stage each branch on the operands' avals; bind `cond_p` with a shared signature."""
    avals = [_aval(o) for o in operands]
    staged = [stage_flat(fn, avals, "cond branch") for fn in branch_fns]
    first = staged[0][0].out_avals
    for k, (prog, _) in enumerate(staged[1:], 1):
        outs = prog.out_avals
        if len(outs) != len(first):
            raise TypeError(
                f"cond/switch: branch {k} returns {len(outs)} leaves, branch 0 {len(first)}"
            )
        for i, (a, b) in enumerate(zip(first, outs)):
            if a != b:
                raise TypeError(
                    f"cond/switch: output leaf {i} is {a.str_short()} in branch 0 but "
                    f"{b.str_short()} in branch {k}; every branch must return the same shapes "
                    "and dtypes (cast with .astype, or reshape)."
                )
    hoisted = [h for _, hs in staged for h in hs]
    programs, start = [], 0
    for prog, hs in staged:
        k = len(hs)

        def wrapper(*args, prog=prog, start=start, k=k):
            return list(prog(*args[start : start + k], *args[len(hoisted) :]))

        start += k
        programs.append(wrapper)
    all_avals = [_aval(h) for h in hoisted] + avals
    closed = [stage_flat(w, all_avals, "cond branch")[0] for w in programs]
    return cond_p.bind(index, *hoisted, *operands, branches=tuple(closed))


def _cond_jvp(primals, tangents, branches):
    index, ops = primals[0], primals[1:]
    t_ops = tangents[1:]
    nz = [t is not None for t in t_ops]

    def make(br):
        def jbranch(*args):
            x = list(args[: len(ops)])
            it = iter(args[len(ops) :])
            tx = [next(it) if z else None for z in nz]
            outs, touts = jvp_flat(lambda *a: br(*a), x, tx)
            return outs + [_zeros(_aval(o)) if t is None else t for o, t in zip(outs, touts)]

        return jbranch

    t_nz = [t for t in t_ops if t is not None]
    outs = bind_cond(index, [make(b) for b in branches], list(ops) + t_nz)
    n = len(branches[0].outvars)
    return outs[:n], outs[n:]


def _cond_vjp(g, out, primals, argnums, branches):
    index, ops = primals[0], primals[1:]
    n_ops = len(ops)

    def make(br):
        def vbranch(*args):
            x, cts = args[:n_ops], args[n_ops:]
            _, pullback = vjp_now(lambda *a: list(br(*a)), *x)
            res = pullback(list(cts))
            return [
                np.zeros(_aval(xi).shape, _aval(xi).dtype) if not _is_float(_aval(xi)) else r
                for xi, r in zip(x, res)
            ]

        return vbranch

    cts = bind_cond(index, [make(b) for b in branches], list(ops) + list(g))
    full = [None] + [c if _is_float(_aval(o)) else None for c, o in zip(cts, ops)]
    return [full[i] for i in argnums]


def _cond_batch(vals, dims, branches):
    """Batch a `cond`: one `cond` of batched branches, or (batched index) every branch
    run and the results selected per example.

    With an unbatched index, an output is batched only if some branch makes it depend
    on the mapped axis; the others keep batch dim None. (Reporting every output as
    batched breaks `jacfwd` and `hessian` under `jit`: the primal outputs of a
    `cond`'s JVP do not depend on the tangents being mapped, and `jacfwd` maps them
    with `out_axes=None`.)
    """

    size = next(shape_of(v)[d] for v, d in zip(vals, dims) if d is not None)
    index, idim = vals[0], dims[0]
    ops = [v if d is None else bdim_to_front(v, d) for v, d in zip(vals[1:], dims[1:])]
    axes = [None if d is None else 0 for d in dims[1:]]
    if idim is None:
        # stage each batched branch once, noting which outputs it batches; then
        # replay the staged branches, broadcasting an output that some other branch
        # batches, so that all branches agree
        avals = [_aval(o) for o in ops]
        staged, out_dims = [], []
        for b in branches:
            found = []

            def bbranch(*a, b=b, found=found):
                outs, ds = batch_flat(lambda *x: list(b(*x)), a, axes, size)
                found[:] = ds
                return outs

            staged.append(stage_flat(bbranch, avals, "cond branch"))
            out_dims.append(found)
        out_b = [any(d is not None for d in ds) for ds in zip(*out_dims)]

        def replay(prog, hoisted, ds):
            def branch(*a):
                outs = prog(*hoisted, *a)
                return [
                    bdim_to_front(o, None, size) if b and d is None else o
                    for o, d, b in zip(outs, ds, out_b)
                ]

            return branch

        fns = [replay(p, h, ds) for (p, h), ds in zip(staged, out_dims)]
        outs = bind_cond(index, fns, ops)
        return outs, [0 if b else None for b in out_b]
    # a batched index: run every branch, select per example
    index = fnp.clip(bdim_to_front(index, idim), 0, len(branches) - 1)
    vbranches = [
        vmap(lambda *a, b=b: list(b(*a)), in_axes=tuple(axes), axis_size=size) for b in branches
    ]
    results = [vb(*ops) for vb in vbranches]
    outs = []
    for k in range(len(results[0])):
        choice = results[-1][k]
        for j in range(len(results) - 2, -1, -1):
            r = results[j][k]
            p = fnp.reshape(fnp.equal(index, j), (size,) + (1,) * (len(shape_of(r)) - 1))
            choice = fnp.where(p, r, choice)
        outs.append(choice)
    return outs, [0] * len(outs)


cond_p = Primitive("cond", _cond_impl, multiple_results=True)


def _cond_xp(xp, index, *ops, branches):
    """`cond` on another library's arrays. On Dask, whose values are not known while the
    graph is built, every branch and a selection by the index (nothing computed; a branch
    not taken must not raise); elsewhere the index is read (one scalar from the device)
    and the one branch runs."""
    n = len(branches)
    if library_of(index) == "dask":
        index = xp.clip(index, 0, n - 1)
        outs = [list(b(*ops)) for b in branches]
        chosen = outs[-1]
        for k in range(n - 2, -1, -1):
            chosen = [xp.where(index == k, a, b) for a, b in zip(outs[k], chosen)]
        return chosen
    i = min(max(int(index), 0), n - 1)
    return list(branches[i](*ops))


cond_p.xp_impl = _cond_xp
cond_p.sparsity = "branches"
cond_p.abstract_eval = lambda index, *avals, branches: list(branches[0].out_avals)
cond_p.aliases = lambda avals, branches: Branches(branches, 1)  # operands after the index
cond_p.jvp = _cond_jvp
cond_p.vjp = _cond_vjp
cond_p.batch = _cond_batch

