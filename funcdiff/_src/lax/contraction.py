"""The contraction primitive: `einsum`, which every product (dot, matmul, ...) binds.

`einsum_p` takes static params `subscripts`, an explicit, normalized
subscripts string ("ij,jk->ik": no '...', one size per label across operands)
and `path`, opt_einsum's order of pairwise contractions. The implementation
runs each pairwise step as one `numpy.matmul` on transposed and reshaped
operands (so matrix products reach BLAS at NumPy's cost); when nothing is
summed, as a broadcast multiply (or `numpy.einsum`, for outer products), and
single-operand steps (diagonals, sums) use `numpy.einsum`. Steps are
compiled once per (subscripts, shapes, path).

einsum is linear in each operand, so its derivatives are einsums too: the JVP
swaps one operand for its tangent at a time, and the VJP for operand k
contracts the output cotangent with the other operands into k's subscripts.
Labels repeated within operand k (a diagonal, as in "ii->i") are embedded
back with identity matrices; labels of k summed away ("ij->i") are
broadcast back.
"""

from __future__ import annotations

import string
from functools import lru_cache, partial

import numpy as np
import opt_einsum

from funcdiff._src import backend
from funcdiff._src.core import Primitive, ShapedArray, Tracer, _state, dtype_of, shape_of
from funcdiff._src.lax.elementwise import add, convert_element_type
from funcdiff._src.lax.shape import broadcast_to, reshape

LETTERS = string.ascii_letters  # the 52 labels numpy.einsum accepts


def split_subscripts(subscripts):
    """ "ij,jk->ik" -> (("ij", "jk"), "ik")."""
    lhs, out = subscripts.split("->")
    return tuple(lhs.split(",")), out


@lru_cache(maxsize=1024)
def contraction_path(subscripts, shapes):
    """opt_einsum's pairwise contraction order for operands of `shapes` (cached)."""
    if len(shapes) == 1:
        return ((0,),)
    if len(shapes) == 2:
        return ((0, 1),)
    path, _ = opt_einsum.contract_path(subscripts, *shapes, shapes=True)
    return tuple(tuple(int(i) for i in step) for step in path)


# --------------------------------------------------------------------------
# The implementation: a compiled sequence of contraction steps


def _unary(term, keep):
    """Step reducing one operand with labels `term` to the labels `keep` (in order)."""
    if term == keep:
        return None
    if sorted(term) == sorted(keep):  # a pure permutation: a view
        perm = tuple(term.index(c) for c in keep)
        return lambda x: x.transpose(perm)
    spec = f"{term}->{keep}"
    return lambda x: np.einsum(spec, x)


def _dedupe(term, needed):
    """`term` without repeated labels and without the labels not in `needed`."""
    out = ""
    for c in term:
        if c in needed and c not in out:
            out += c
    return out


def _pair(ta, tb, needed, target, sizes):
    """Step contracting two operands; returns (function, labels of the result).

    `needed`: labels used after this step; `target`: the wanted result labels
    when this is the last step (else None).
    """
    # diagonals and labels summed within one operand come first (numpy.einsum)
    ka, kb = _dedupe(ta, needed | set(tb)), _dedupe(tb, needed | set(ta))
    pre_a, pre_b = _unary(ta, ka), _unary(tb, kb)
    batch = "".join(c for c in ka if c in kb and c in needed)
    contract = "".join(c for c in ka if c in kb and c not in needed)
    only_a = "".join(c for c in ka if c not in kb)
    only_b = "".join(c for c in kb if c not in ka)
    if target is not None and target == batch + only_b + only_a != batch + only_a + only_b:
        fn, result = _pair(tb, ta, needed, target, sizes)  # result in the wanted order
        return (lambda a, b: fn(b, a)), result
    result = batch + only_a + only_b

    if only_a and only_b and all(sizes[c] == 1 for c in contract):
        # an outer product (a contraction of length 1 is one too): numpy.einsum's
        # loop is 2-4x faster than a matrix product with inner dimension 1
        fa = fb = None
        step = partial(np.einsum, f"{ka},{kb}->{result}")
    elif not contract:  # an elementwise product: broadcast multiply
        fa, fb = _expand(ka, result, sizes), _expand(kb, result, sizes)
        step = np.multiply
    else:
        bshape = tuple(sizes[c] for c in batch)
        m = int(np.prod([sizes[c] for c in only_a], dtype=np.int64))
        n = int(np.prod([sizes[c] for c in only_b], dtype=np.int64))
        k = int(np.prod([sizes[c] for c in contract], dtype=np.int64))
        # without batch labels a vector operand stays 1-D (matrix-vector, dot)
        shape_a = bshape + ((k,) if not batch and not only_a else (m, k))
        shape_b = bshape + ((k,) if not batch and not only_b else (k, n))
        fa = _arrange(ka, batch + only_a + contract, shape_a, sizes)
        fb = _arrange(kb, batch + contract + only_b, shape_b, sizes)
        shape_c = tuple(sizes[c] for c in result)
        if shape_c == bshape + shape_a[len(bshape):-1] + shape_b[len(bshape) + 1:]:
            step = np.matmul
        else:

            def step(a, b):
                return np.matmul(a, b).reshape(shape_c)

    fa, fb = _chain(pre_a, fa), _chain(pre_b, fb)
    if fa is None and fb is None:
        return step, result

    def run(a, b):
        return step(a if fa is None else fa(a), b if fb is None else fb(b))

    return run, result


def _arrange(term, order, shape, sizes):
    """Function transposing labels `term` to `order` and reshaping to `shape` (None: no-op)."""
    perm = tuple(term.index(c) for c in order)
    if perm == tuple(range(len(perm))):
        if shape == tuple(sizes[c] for c in term):
            return None
        return lambda x: x.reshape(shape)
    return lambda x: x.transpose(perm).reshape(shape)


def _expand(term, result, sizes):
    """Function putting labels `term` in `result`'s order, with size-1 axes for the others."""
    order = "".join(c for c in result if c in term)
    return _arrange(term, order, tuple(sizes[c] if c in term else 1 for c in result), sizes)


def _chain(f, g):
    if f is None or g is None:
        return g if f is None else f
    return lambda x: g(f(x))


@lru_cache(maxsize=1024)
def _compile(subscripts, shapes, path):
    """A function computing the einsum, following `path` (one entry per step)."""
    ins, out = split_subscripts(subscripts)
    sizes = {c: n for t, s in zip(ins, shapes) for c, n in zip(t, s)}
    terms = list(ins)
    steps = []  # (positions, function)
    for i, positions in enumerate(path):
        positions = tuple(sorted(positions))
        rest = [t for j, t in enumerate(terms) if j not in positions]
        picked = [terms[j] for j in positions]
        last = i == len(path) - 1
        needed = set(out).union(*rest)
        if len(picked) == 2:
            fn, result = _pair(*picked, needed, out if last else None, sizes)
        else:  # one operand, or several at once: numpy.einsum (no BLAS)
            result = out if last else "".join(sorted(set("".join(picked)) & needed))
            spec = ",".join(picked) + "->" + result
            fn = partial(np.einsum, spec)
        steps.append((positions, fn))
        terms = rest + [result]
    final = _unary(terms[0], out)
    if len(steps) == 1 and final is None:  # the common case: one step
        fn = steps[0][1]

        def run(*ops):
            r = fn(*ops)
            return r[()] if r.ndim == 0 else r

        return run

    def run(*ops):
        ops = list(ops)
        for positions, fn in steps:
            picked = [ops[j] for j in positions]
            ops = [x for j, x in enumerate(ops) if j not in positions]
            ops.append(fn(*picked))
        r = ops[0] if final is None else final(ops[0])
        return r[()] if r.ndim == 0 else r

    return run


def _einsum_impl(*operands, subscripts, path):
    ops = [x if type(x) is np.ndarray else np.asarray(x) for x in operands]
    return _compile(subscripts, tuple([x.shape for x in ops]), path)(*ops)


einsum_p = Primitive("einsum", _einsum_impl, linear="each")
einsum_p.xp_impl = lambda xp, *ops, subscripts, path: backend.einsum(xp, subscripts, *ops)
einsum_p.sparsity = "contract"


def einsum(subscripts, *operands):
    """einsum for normalized `subscripts` (explicit, no '...', consistent sizes)."""
    shapes = tuple([x.shape if type(x) is np.ndarray else shape_of(x) for x in operands])
    path = contraction_path(subscripts, shapes)
    if _state.stack:
        for x in operands:
            if isinstance(x, Tracer):
                return einsum_p.bind(*operands, subscripts=subscripts, path=path)
    return _einsum_impl(*operands, subscripts=subscripts, path=path)


# --------------------------------------------------------------------------
# Rules


def _einsum_jvp(primals, tangents, subscripts, path):
    out = einsum_p.bind(*primals, subscripts=subscripts, path=path)
    tout = None
    for k, t in enumerate(tangents):
        if t is None:
            continue
        ops = list(primals)
        ops[k] = t
        term = einsum_p.bind(*ops, subscripts=subscripts, path=path)
        tout = term if tout is None else add(tout, term)
    return out, tout


@lru_cache(maxsize=1024)
def _cotangent_spec(subscripts, k, shape):
    """How to compute operand k's cotangent: (subscripts, eye sizes, keepdims shape).

    Each repeat of a label within operand k gets a fresh label tied to the
    first one by an identity matrix; labels of k used nowhere else are left
    out of the einsum and broadcast back afterwards.
    """
    ins, out = split_subscripts(subscripts)
    fresh = iter(c for c in LETTERS if c not in subscripts)
    term, eyes = "", []
    for c in ins[k]:
        if c in term:
            d = next(fresh)
            eyes.append(c + d)
            term += d
        else:
            term += c
    others = ins[:k] + ins[k + 1:]
    used = set(out).union(*others, *eyes)
    keep = "".join(c for c in term if c in used)
    spec = ",".join((out, *others, *eyes)) + "->" + keep
    eye_sizes = tuple(shape[term.index(e[0])] for e in eyes)
    kept_shape = tuple(n if c in used else 1 for c, n in zip(term, shape))
    return spec, eye_sizes, kept_shape


def _einsum_vjp(g, out, primals, argnums, subscripts, path):
    cts = []
    for k in argnums:
        x = primals[k]
        dtype = dtype_of(x)
        if dtype.kind not in "fc":
            cts.append(None)
            continue
        shape = shape_of(x)
        spec, eye_sizes, kept_shape = _cotangent_spec(subscripts, k, shape)
        eyes = [np.eye(n, dtype=np.finfo(dtype).dtype) for n in eye_sizes]
        ct = einsum(spec, g, *primals[:k], *primals[k + 1:], *eyes)
        if kept_shape != shape:
            ct = broadcast_to(reshape(ct, kept_shape), shape)
        if dtype_of(ct) != dtype:
            ct = convert_element_type(ct, dtype)
        cts.append(ct)
    return cts


@lru_cache(maxsize=1024)
def _batched_subscripts(subscripts, dims):
    """`subscripts` with a new label for the batch axes `dims`, first in the output."""
    ins, out = split_subscripts(subscripts)
    b = next(c for c in LETTERS if c not in subscripts)
    terms = [t if d is None else t[:d] + b + t[d:] for t, d in zip(ins, dims)]
    return ",".join(terms) + "->" + b + out


def _einsum_batch(args, dims, subscripts, path):
    return einsum(_batched_subscripts(subscripts, tuple(dims)), *args), 0


def _einsum_abstract_eval(*avals, subscripts, path):
    ins, out = split_subscripts(subscripts)
    sizes = {c: n for t, a in zip(ins, avals) for c, n in zip(t, a.shape)}
    dtypes = [a.dtype.type(0).item() if a.weak else a.dtype for a in avals]  # weak scalars
    return ShapedArray(tuple(sizes[c] for c in out), np.result_type(*dtypes))


einsum_p.jvp = _einsum_jvp
einsum_p.vjp = _einsum_vjp
einsum_p.residuals = "inputs"  # the output is not needed by the VJP
einsum_p.batch = _einsum_batch
einsum_p.abstract_eval = _einsum_abstract_eval
# several operands: a new array of its own; one: numpy.einsum's views too ("ii->i", "ij->ji")
einsum_p.aliases = lambda avals, subscripts, path: "fresh" if len(avals) > 1 else "view or new"


def _einsum_specialize(avals, subscripts, path):
    if any(not a.shape for a in avals):  # a 0-d value may come as a Python scalar
        return None
    return _compile(subscripts, tuple(a.shape for a in avals), path)


einsum_p.specialize = _einsum_specialize
