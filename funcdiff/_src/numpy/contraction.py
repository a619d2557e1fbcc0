"""Products of funcdiff.numpy: einsum, dot, matmul, tensordot, ... all through `einsum_p`.

Each function turns its arguments into explicit einsum subscripts ('...'
expanded, size-1 dimensions broadcast) and binds the one contraction
primitive (funcdiff/_src/lax/contraction.py), whose derivatives are
einsums again. Outside transforms each calls its NumPy namesake.
`multi_dot` is here too, for `funcdiff.numpy.linalg` to export.
"""

from __future__ import annotations

import string
import warnings
from collections import Counter
from functools import cache, lru_cache

import numpy as np

from funcdiff._src.core import dtype_of, shape_of
from funcdiff._src.lax import contraction as pc
from funcdiff._src.lax.elementwise import conj, convert_element_type, multiply
from funcdiff._src.lax.shape import broadcast_to, reshape, transpose
from funcdiff._src.numpy.creation import asarray as _asarray
from funcdiff._src.numpy.util import numpy_outside_transforms

__all__ = [
    "einsum", "dot", "matmul", "vdot", "inner", "outer", "tensordot", "kron", "cross",
    "vecdot", "matvec", "vecmat",
]

_SUBLIST_LABELS = string.ascii_uppercase + string.ascii_lowercase  # numpy's int -> label


class _Invalid(Exception):
    """Arguments NumPy rejects: `_numpy_error` then raises NumPy's own error."""




def _numpy_error(fn, *operands):
    """Raise the error NumPy raises for operands of these shapes and dtypes."""
    dummies = [np.broadcast_to(np.zeros((), dtype_of(x)), shape_of(x)) for x in operands]
    fn(*dummies)
    shapes = ", ".join(str(shape_of(x)) for x in operands)
    raise ValueError(f"{getattr(fn, '__name__', 'contraction')}: invalid operand shapes {shapes}")


def _no_out(out, name):
    if out is not None:
        raise TypeError(
            f"funcdiff.numpy.{name}(..., out=...) cannot write into an array inside a "
            "funcdiff transform; drop `out=` and use the returned value."
        )


@lru_cache(maxsize=512)
def _normalize(subscripts, shapes):
    """NumPy einsum subscripts as explicit ones with one size per label.

    Returns `(subscripts, targets)`: '...' is replaced by unused letters, the
    implicit output (ellipsis labels, then the labels seen once, sorted) made
    explicit, and `targets[i]` is the shape operand i is broadcast to (None
    when it already has it).
    """
    subs = subscripts.replace(" ", "")
    lhs, arrow, out = subs.partition("->")
    terms = lhs.split(",")
    labels = set(subs) - set(",->.")
    if "->" in out or len(terms) != len(shapes) or not labels <= set(pc.LETTERS):
        raise _Invalid
    ell_dims = []
    for t, s in zip(terms, shapes):
        n = len(s) - len(t) + 3 if "..." in t else (0 if len(t) == len(s) else -1)
        if n < 0 or t.count(".") not in (0, 3) or ("." in t and "..." not in t):
            raise _Invalid
        ell_dims.append(n)
    nell = max(ell_dims, default=0)
    ell = "".join([c for c in pc.LETTERS if c not in labels][:nell])
    if len(ell) < nell:
        raise _Invalid
    if arrow:
        if out.count(".") not in (0, 3) or ("." in out and "..." not in out):
            raise _Invalid
        if nell and "..." not in out:
            raise _Invalid
        out = out.replace("...", ell)
        if len(set(out)) != len(out) or not set(out) <= labels | set(ell):
            raise _Invalid
    else:
        counts = Counter(c for t in terms for c in t if c != ".")
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1))
    terms = [t.replace("...", ell[nell - n:]) for t, n in zip(terms, ell_dims)]
    sizes = {}
    for t, s in zip(terms, shapes):
        own = {}
        for c, n in zip(t, s):
            if own.setdefault(c, n) != n:  # a diagonal needs equal sizes
                raise _Invalid
            m = sizes.get(c)
            if m is None or m == 1:
                sizes[c] = n
            elif n not in (1, m):
                raise _Invalid
    targets = []
    for t, s in zip(terms, shapes):
        full = tuple(sizes[c] for c in t)
        targets.append(None if full == tuple(s) else full)
    return ",".join(terms) + "->" + out, tuple(targets)


def _contract(subscripts, operands, check):
    """einsum of NumPy-style `subscripts`; `check` raises NumPy's error if invalid."""
    ops = [_asarray(x) for x in operands]
    try:
        subs, targets = _normalize(subscripts, tuple(shape_of(x) for x in ops))
    except _Invalid:
        _numpy_error(check, *ops)
    ops = [x if t is None else broadcast_to(x, t) for x, t in zip(ops, targets)]
    return pc.einsum(subs, *ops)


def _interleaved(args):
    """einsum(op0, sublist0, op1, sublist1, ..., [sublistout]) as (subscripts, operands)."""

    def labels(sub):
        return "".join("..." if s is Ellipsis else _SUBLIST_LABELS[s] for s in sub)

    ops, terms = list(args[0::2]), [labels(s) for s in args[1::2]]
    if len(args) % 2:  # an output sublist
        return ",".join(terms) + "->" + labels(ops.pop()), ops
    return ",".join(terms), ops


@numpy_outside_transforms(np.einsum)
def einsum(*operands, out=None, optimize=False, **kwargs):
    """`numpy.einsum`, differentiable (to any order, in every operand).

    Subscripts may use '...' and the implicit output; the interleaved form
    `einsum(a, [0, 1], b, [1, 2])` works too. Inside transforms the
    contraction order comes from `opt_einsum` (cached per subscripts and
    shapes) and pairwise steps run as BLAS matrix products, so `optimize` is
    used only outside transforms (where it is NumPy's argument).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> a = fnp.array([[1.0, 2.0], [3.0, 4.0]])
        >>> fnp.einsum("ii->", a).item()
        5.0
        >>> fd.grad(lambda a: fnp.einsum("ij,ij->", a, a))(a).tolist()
        [[2.0, 4.0], [6.0, 8.0]]

        ```
    """
    _no_out(out, "einsum")
    if isinstance(operands[0], str):
        subscripts, ops = operands[0], list(operands[1:])
    else:
        subscripts, ops = _interleaved(operands)
    dtype = kwargs.get("dtype")
    if dtype is not None:
        ops = [convert_element_type(_asarray(x), dtype) for x in ops]
    return _contract(subscripts, ops, lambda *xs: np.einsum(subscripts, *xs))


@numpy_outside_transforms(np.dot)
def dot(a, b, out=None):
    """`numpy.dot`, differentiable: a product over the last axis of `a` and the
    second-to-last of `b` (the only axis of a 1-D `b`); a plain product with a scalar.

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> fd.grad(lambda x: fnp.dot(x, x))(fnp.array([1.0, 2.0])).tolist()
        [2.0, 4.0]

        ```
    """
    _no_out(out, "dot")
    a, b = _asarray(a), _asarray(b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return multiply(a, b)
    if sa[-1] != sb[-2 if len(sb) > 1 else 0]:
        _numpy_error(np.dot, a, b)
    la = pc.LETTERS[:len(sa)]
    rest = pc.LETTERS[len(sa):len(sa) + len(sb) - 1]
    lb = rest[:-1] + la[-1] + rest[-1:]  # b's second-to-last (or only) axis is a's last
    return pc.einsum(f"{la},{lb}->{la[:-1]}{rest}", a, b)


@numpy_outside_transforms(np.matmul)
def matmul(a, b, /, out=None, *, dtype=None):
    """`numpy.matmul` (the `@` operator), differentiable: batch axes broadcast,
    a 1-D argument is a vector (promoted to a matrix, then the axis is removed).

    Example:
        ```python
        >>> import funcdiff as fd, funcdiff.numpy as fnp
        >>> W = fnp.ones((3, 2))
        >>> fd.grad(lambda x: fnp.sum(x @ W))(fnp.ones((4, 3))).tolist()[0]
        [2.0, 2.0, 2.0]

        ```
    """
    _no_out(out, "matmul")
    a, b = _asarray(a), _asarray(b)
    if dtype is not None:
        a, b = convert_element_type(a, dtype), convert_element_type(b, dtype)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb or sa[-1] != sb[-2 if len(sb) > 1 else 0]:
        _numpy_error(np.matmul, a, b)
    if len(sa) <= 2 and len(sb) <= 2:  # no batch axes
        ta, tb = "ik"[2 - len(sa):], "kj"[:len(sb)]
        return pc.einsum(f"{ta},{tb}->{ta[:-1]}{tb[1:]}", a, b)
    ta, tb = ("...ik" if len(sa) > 1 else "k"), ("...kj" if len(sb) > 1 else "k")
    return _contract(f"{ta},{tb}->...{ta[3:-1]}{tb[4:]}", (a, b), np.matmul)


@numpy_outside_transforms(np.vdot)
def vdot(a, b, /):
    """`numpy.vdot`, differentiable: the dot product of the flattened arrays,
    conjugating `a` when complex.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> complex(fnp.vdot(fnp.array([1j]), fnp.array([1j])))
        (1+0j)

        ```
    """
    a, b = _asarray(a), _asarray(b)
    if _size(a) != _size(b):
        _numpy_error(np.vdot, a, b)
    if dtype_of(a).kind == "c":
        a = conj(a)
    return pc.einsum("i,i->", _ravel(a), _ravel(b))


@numpy_outside_transforms(np.inner)
def inner(a, b, /):
    """`numpy.inner`, differentiable: a product over the last axes of `a` and `b`.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.inner(fnp.ones((2, 3)), fnp.ones(3)).tolist()
        [3.0, 3.0]

        ```
    """
    a, b = _asarray(a), _asarray(b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return multiply(a, b)
    if sa[-1] != sb[-1]:
        _numpy_error(np.inner, a, b)
    la = pc.LETTERS[:len(sa)]
    lb = pc.LETTERS[len(sa):len(sa) + len(sb) - 1]
    return pc.einsum(f"{la},{lb}{la[-1]}->{la[:-1]}{lb}", a, b)


@numpy_outside_transforms(np.outer)
def outer(a, b, out=None):
    """`numpy.outer`, differentiable: `out[i, j] = a.ravel()[i] * b.ravel()[j]`.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.outer(fnp.array([1.0, 2.0]), fnp.array([3.0, 4.0])).tolist()
        [[3.0, 4.0], [6.0, 8.0]]

        ```
    """
    _no_out(out, "outer")
    return pc.einsum("i,j->ij", _ravel(_asarray(a)), _ravel(_asarray(b)))


def _size(x):
    return int(np.prod(shape_of(x), dtype=np.int64))


def _ravel(x):
    return x if len(shape_of(x)) == 1 else reshape(x, (_size(x),))


def _tensordot_axes(axes, nda, ndb):
    """NumPy's `axes` argument as two equal-length lists of non-negative axes."""
    try:
        iter(axes)
    except TypeError:
        axes_a, axes_b = list(range(nda - axes, nda)), list(range(axes))
    else:
        axes_a, axes_b = axes
    axes_a = [axes_a] if np.ndim(axes_a) == 0 else list(axes_a)
    axes_b = [axes_b] if np.ndim(axes_b) == 0 else list(axes_b)
    if len(axes_a) != len(axes_b):
        raise _Invalid
    out_a, out_b = [], []
    for ax, nd, dst in ((axes_a, nda, out_a), (axes_b, ndb, out_b)):
        for i in ax:
            i = int(i)
            if not -nd <= i < nd:
                raise _Invalid
            dst.append(i % nd)
        if len(set(dst)) != len(dst):
            raise _Invalid
    return out_a, out_b


@numpy_outside_transforms(np.tensordot)
def tensordot(a, b, axes=2):
    """`numpy.tensordot`, differentiable: sum over `axes` (an int N: the last N
    axes of `a` and the first N of `b`; or a pair of axis sequences).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.tensordot(fnp.ones((2, 3, 4)), fnp.ones((3, 4, 5)), axes=2).shape
        (2, 5)

        ```
    """
    a, b = _asarray(a), _asarray(b)
    sa, sb = shape_of(a), shape_of(b)
    try:
        axes_a, axes_b = _tensordot_axes(axes, len(sa), len(sb))
        if any(sa[i] != sb[j] for i, j in zip(axes_a, axes_b)):
            raise _Invalid
    except _Invalid:
        _numpy_error(lambda x, y: np.tensordot(x, y, axes), a, b)
    la = pc.LETTERS[:len(sa)]
    new = iter(pc.LETTERS[len(sa):])
    lb = "".join(la[axes_a[axes_b.index(j)]] if j in axes_b else next(new) for j in range(len(sb)))
    out = "".join(c for i, c in enumerate(la) if i not in axes_a)
    out += "".join(c for j, c in enumerate(lb) if j not in axes_b)
    return pc.einsum(f"{la},{lb}->{out}", a, b)


@numpy_outside_transforms(np.kron)
def kron(a, b):
    """`numpy.kron`, differentiable: the Kronecker product (blocks `a[i, j] * b`).

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.kron(fnp.eye(2), fnp.ones((1, 2))).tolist()
        [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]

        ```
    """
    a, b = _asarray(a), _asarray(b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        return multiply(a, b)
    nd = max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    la, lb = pc.LETTERS[:nd], pc.LETTERS[nd:2 * nd]
    out = "".join(x + y for x, y in zip(la, lb))
    prod = pc.einsum(f"{la},{lb}->{out}", reshape(a, sa), reshape(b, sb))
    return reshape(prod, tuple(x * y for x, y in zip(sa, sb)))


@cache
def _levi_civita():
    eps = np.zeros((3, 3, 3), np.int8)
    for i, j, k in ((0, 1, 2), (1, 2, 0), (2, 0, 1)):
        eps[i, j, k], eps[i, k, j] = 1, -1
    return eps


def _move_axis(x, source, dest):
    nd = len(shape_of(x))
    source, dest = source % nd, dest % nd
    if source == dest:
        return x
    order = [i for i in range(nd) if i != source]
    order.insert(dest, source)
    return transpose(x, tuple(order))


@numpy_outside_transforms(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """`numpy.cross`, differentiable: the cross product of 3- (or 2-) vectors
    along the given axes, broadcasting the others.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.cross(fnp.array([1.0, 0, 0]), fnp.array([0.0, 1, 0])).tolist()
        [0.0, 0.0, 1.0]

        ```
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _asarray(a), _asarray(b)
    sa, sb = shape_of(a), shape_of(b)

    def check(x, y):
        return np.cross(x, y, axisa, axisb, axisc)

    if not (-len(sa) <= axisa < len(sa) and -len(sb) <= axisb < len(sb)):
        _numpy_error(check, a, b)
    a, b = _move_axis(a, axisa, -1), _move_axis(b, axisb, -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        _numpy_error(check, a, b)
    if na == 2 or nb == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional "
            "vectors instead. (deprecated in NumPy 2.0)", DeprecationWarning, stacklevel=2
        )
    if na == 2 and nb == 2:
        return _contract("jk,...j,...k->...", (_levi_civita()[2, :2, :2], a, b), check)
    c = _contract("ijk,...j,...k->...i", (_levi_civita()[:, :na, :nb], a, b), check)
    nc = len(shape_of(c))
    if not -nc <= axisc < nc:
        _numpy_error(check, a, b)
    return _move_axis(c, -1, axisc)


@numpy_outside_transforms(np.vecdot)
def vecdot(x1, x2, /, *, axis=-1, **kwargs):
    """`numpy.vecdot`, differentiable: `sum(conj(x1) * x2, axis)`, broadcasting.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.vecdot(fnp.ones((2, 3)), fnp.ones(3)).tolist()
        [3.0, 3.0]

        ```
    """
    _no_out(kwargs.get("out"), "vecdot")
    x1, x2 = _asarray(x1), _asarray(x2)
    s1, s2 = shape_of(x1), shape_of(x2)
    if not (s1 and s2 and -len(s1) <= axis < len(s1) and -len(s2) <= axis < len(s2)):
        _numpy_error(lambda x, y: np.vecdot(x, y, axis=axis), x1, x2)
    x1, x2 = _move_axis(x1, axis, -1), _move_axis(x2, axis, -1)
    if shape_of(x1)[-1] != shape_of(x2)[-1]:
        _numpy_error(lambda x, y: np.vecdot(x, y, axis=axis), x1, x2)
    if dtype_of(x1).kind == "c":
        x1 = conj(x1)
    return _contract("...i,...i->...", (x1, x2), np.vecdot)


@numpy_outside_transforms(np.matvec)
def matvec(x1, x2, /, **kwargs):
    """`numpy.matvec`, differentiable: matrix-vector products over broadcast batch axes.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.matvec(fnp.eye(2), fnp.array([1.0, 2.0])).tolist()
        [1.0, 2.0]

        ```
    """
    _no_out(kwargs.get("out"), "matvec")
    x1, x2 = _asarray(x1), _asarray(x2)
    s1, s2 = shape_of(x1), shape_of(x2)
    if len(s1) < 2 or not s2 or s1[-1] != s2[-1]:
        _numpy_error(np.matvec, x1, x2)
    return _contract("...ij,...j->...i", (x1, x2), np.matvec)


@numpy_outside_transforms(np.vecmat)
def vecmat(x1, x2, /, **kwargs):
    """`numpy.vecmat`, differentiable: `conj(x1) @ x2` over broadcast batch axes.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> fnp.vecmat(fnp.array([1.0, 2.0]), fnp.eye(2)).tolist()
        [1.0, 2.0]

        ```
    """
    _no_out(kwargs.get("out"), "vecmat")
    x1, x2 = _asarray(x1), _asarray(x2)
    s1, s2 = shape_of(x1), shape_of(x2)
    if not s1 or len(s2) < 2 or s1[-1] != s2[-2]:
        _numpy_error(np.vecmat, x1, x2)
    if dtype_of(x1).kind == "c":
        x1 = conj(x1)
    return _contract("...j,...ji->...i", (x1, x2), np.vecmat)


@numpy_outside_transforms(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """`numpy.linalg.multi_dot`, differentiable: the chained product of `arrays`
    as one einsum, multiplied in the cheapest order (opt_einsum's path).

    The first array may be 1-D (a row vector) and the last 1-D (a column
    vector); the others must be 2-D. Exported by `funcdiff.numpy.linalg`.

    Example:
        ```python
        >>> import funcdiff.numpy as fnp
        >>> from funcdiff._src.numpy.contraction import multi_dot
        >>> multi_dot([fnp.ones(2), fnp.ones((2, 3)), fnp.ones(3)]).item()
        6.0

        ```
    """
    _no_out(out, "linalg.multi_dot")
    ops = [_asarray(x) for x in arrays]
    nds = [len(shape_of(x)) for x in ops]
    n = len(ops)
    if (n < 2 or any(d != 2 for d in nds[1:-1]) or nds[0] not in (1, 2)
            or nds[-1] not in (1, 2) or n > len(pc.LETTERS) - 1):
        _numpy_error(lambda *xs: np.linalg.multi_dot(xs), *ops)
    terms = [pc.LETTERS[k:k + 2] for k in range(n)]
    if nds[0] == 1:
        terms[0] = terms[0][1]
    if nds[-1] == 1:
        terms[-1] = terms[-1][0]
    out_labels = terms[0][:-1] + terms[-1][1:]
    if any(shape_of(x)[-1] != shape_of(y)[0] for x, y in zip(ops, ops[1:])):
        _numpy_error(lambda *xs: np.linalg.multi_dot(xs), *ops)
    return pc.einsum(",".join(terms) + "->" + out_labels, *ops)
