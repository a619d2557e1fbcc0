"""Walk every public function, and every NumPy/SciPy function funcdiff dispatches, under grad/jvp.

Three walks, one probe input each:

1. every name in the `__all__` of `funcdiff.numpy`, `funcdiff.numpy.linalg`,
   `funcdiff.numpy.fft`, `funcdiff.scipy.special`, `funcdiff.scipy.linalg`,
   `funcdiff.scipy.signal`, `funcdiff.scipy.integrate`, and every
   `funcdiff.scipy.stats.<dist>.<method>`, called as funcdiff's function (and the
   private functions that public syntax calls, `BEYOND_ALL`: `x[idx]`);
2. every NumPy (SciPy) callable in the dispatch table
   (`funcdiff._src.numpy.dispatch.implementation` over the objects of `numpy`,
   `numpy.linalg`, `numpy.fft` and `scipy.special` whose names are in the
   funcdiff modules' `__all__`), called as the NumPy function itself on tracers,
   and the ufunc methods the dispatch handles (`reduce`, `accumulate`, `outer`);
3. the elementwise functions again on complex input, on both sides.

Inputs are the probe table of tools/gen_coverage.py (`PROBES`, whose templates
`fn(module)` give the call for the funcdiff module and for the NumPy/SciPy module
alike), plus `EXTRA` below for the public names the coverage checklist does not
list. With every float argument traced, a function with float outputs must
either give the derivative of finite differences, in reverse mode (`fd.grad` of
the sum of the real parts of all float outputs, paired with a random direction)
and in forward mode (`fd.jvp`, output by output), or raise a clear error (a
TypeError, ValueError, NotImplementedError or LinAlgError with a message; never
an AssertionError or a RecursionError). A zero or otherwise wrong derivative
fails. A function with integer or boolean outputs must run under `jvp`/`vjp`
and give its eager value. Names that are not functions of arrays are listed in
`NOT_APPLICABLE` with the reason; a new public name that is in none of the
tables fails `test_walk_is_complete`. The calls that raise (clear) errors are pinned in
`CLEAR_ERROR_CASES`.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.numpy import dispatch as _dispatch
from funcdiff._src.numpy.dispatch import implementation
from funcdiff._src.numpy.indexing import _getitem
from funcdiff.testing import numerical_jvp
from funcdiff.tree import tree_flatten, tree_leaves

pytest.importorskip("scipy.special")  # (its import puts SciPy's ufuncs in the dispatch table)

ROOT = Path(__file__).resolve().parents[1]


def _load_gen():
    path = ROOT / "tools" / "gen_coverage.py"
    spec = importlib.util.spec_from_file_location("gen_coverage_walk", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_gen()
P = GEN.P

# the walked funcdiff modules and the NumPy/SciPy modules dispatched to them
MODULES = ("funcdiff.numpy", "funcdiff.numpy.linalg", "funcdiff.numpy.fft",
           "funcdiff.scipy.special", "funcdiff.scipy.linalg", "funcdiff.scipy.signal",
           "funcdiff.scipy.integrate", "funcdiff.scipy.fft", "funcdiff.scipy.ndimage",
           "funcdiff.scipy.interpolate", "funcdiff.scipy.optimize")
STATS = "funcdiff.scipy.stats"
DISPATCHED = (("numpy", "funcdiff.numpy"), ("numpy.linalg", "funcdiff.numpy.linalg"),
              ("numpy.fft", "funcdiff.numpy.fft"), ("scipy.special", "funcdiff.scipy.special"))

# ------------------------------------------------------------------ inputs beyond the probes
# (drawn with the probe table's helpers, from this test's own copy of its generator)
N, U, C, _spd = GEN.N, GEN.U, GEN.C, GEN.SPD


_with_nan = N(3, 4)
_with_nan[1, 2] = np.nan
_choice = np.array([[0, 1, 0], [1, 1, 0]])
_Q = N(3, 3) + 3 * np.eye(3)
_EIG = _Q @ np.diag([1.0, 2.0, 3.5]) @ np.linalg.inv(_Q)  # distinct real eigenvalues
_loc_scale = (np.float64(0.2), np.float64(1.4))


def _at(m):
    def f(x, v):
        a = m.at(x)
        return (a[0, 1].set(v[0]), a[:, [0, 0]].add(v[:, None]),
                a[:, [0, 0]].subtract(v[:, None]), a[1, 1:].multiply(v),
                a[:, 2].min(v), a[:, 2].max(v), a[1].get())

    return f


def _indices_from(name):
    def template(m):
        def f(x):
            idx = getattr(m, name)(x)
            return idx, x[idx]  # the integer indices, and a gather through them

        return f

    return template


EXTRA = {
    # -- funcdiff.numpy
    ("funcdiff.numpy", "shape"): P(N(2, 3), fn=lambda m: lambda x: np.array(m.shape(x))),
    ("funcdiff.numpy", "ndim"): P(N(2, 3)),
    ("funcdiff.numpy", "size"): P(N(2, 3)),
    ("funcdiff.numpy", "result_type"): P(
        N(2, 3).astype(np.float32),
        fn=lambda m: lambda x: m.astype(x, m.result_type(x, np.float64))),
    ("funcdiff.numpy", "isscalar"): P(N(2, 3), fn=lambda m: lambda x: np.array(m.isscalar(x))),
    ("funcdiff.numpy", "iscomplexobj"): P(C(3), fn=lambda m: lambda x: np.array(
        m.iscomplexobj(x))),
    ("funcdiff.numpy", "isrealobj"): P(N(3), fn=lambda m: lambda x: np.array(m.isrealobj(x))),
    **{("funcdiff.numpy", n): P(N(2, 3), fn=lambda m, n=n: lambda x: getattr(m, n)(
        m.astype(4 * x, np.int64), m.astype(3 * x, np.int64)))
       for n in ("bitwise_and", "bitwise_or", "bitwise_xor")},
    ("funcdiff.numpy", "invert"): P(N(2, 3), fn=lambda m: lambda x: m.invert(x > 0)),
    ("funcdiff.numpy", "rint"): P(3 * N(2, 3)),
    ("funcdiff.numpy", "around"): P(3 * N(2, 3), fn=lambda m: lambda x: m.around(x, 1)),
    ("funcdiff.numpy", "fix"): P(3 * N(2, 3)),
    ("funcdiff.numpy", "cumulative_sum"): P(N(3, 4), fn=lambda m: lambda x: m.cumulative_sum(
        x, axis=1, include_initial=True)),
    ("funcdiff.numpy", "cumulative_prod"): P(N(3, 4), fn=lambda m: lambda x: m.cumulative_prod(
        x, axis=0)),
    **{("funcdiff.numpy", n): P(_with_nan, fn=lambda m, n=n: lambda x: getattr(m, n)(x, axis=1))
       for n in ("nanprod", "nancumsum", "nancumprod")},
    ("funcdiff.numpy", "matrix_transpose"): P(N(2, 3, 4)),
    ("funcdiff.numpy", "concat"): P(N(2, 3), N(2, 1), fn=lambda m: lambda x, y: m.concat(
        [x, y], axis=1)),
    ("funcdiff.numpy", "unstack"): P(N(3, 4), fn=lambda m: lambda x: m.unstack(x, axis=1)),
    ("funcdiff.numpy", "at"): P(N(2, 3), N(2), fn=_at),
    ("funcdiff.numpy", "compress"): P(N(2, 3), fn=lambda m: lambda x: m.compress(
        [True, False, True], x, axis=1)),
    ("funcdiff.numpy", "extract"): P(N(2, 3), fn=lambda m: lambda x: m.extract(x > 0, x)),
    ("funcdiff.numpy", "argwhere"): P(N(2, 3), fn=lambda m: lambda x: m.argwhere(x > 0)),
    ("funcdiff.numpy", "flatnonzero"): P(N(2, 3), fn=lambda m: lambda x: m.flatnonzero(x > 0)),
    ("funcdiff.numpy", "choose"): P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.choose(
        _choice, [x, y])),
    **{("funcdiff.numpy", n): P(N(3, 3), fn=_indices_from(n))
       for n in ("diag_indices_from", "tril_indices_from", "triu_indices_from")},
    ("funcdiff.numpy", "vecdot"): P(C(2, 3), C(3)),
    ("funcdiff.numpy", "matvec"): P(N(2, 3, 4), N(4)),
    ("funcdiff.numpy", "vecmat"): P(N(3), N(2, 3, 4)),
    ("funcdiff.numpy", "argpartition"): P(N(2, 5), fn=lambda m: lambda x: m.argpartition(
        x, 1, axis=1)),
    # -- funcdiff.numpy.linalg
    ("funcdiff.numpy.linalg", "eigvalsh"): P(_spd(3), fn=lambda m: lambda a: m.eigvalsh(
        GEN._sym(a))),
    ("funcdiff.numpy.linalg", "eigvals"): P(_EIG),
    ("funcdiff.numpy.linalg", "svdvals"): P(N(3, 2)),
    ("funcdiff.numpy.linalg", "vector_norm"): P(N(3, 4), fn=lambda m: lambda x: tuple(
        m.vector_norm(x, axis=1, ord=o) for o in (1, 2, 3, np.inf, -np.inf, 0.5))),
    ("funcdiff.numpy.linalg", "matrix_norm"): P(N(3, 4), fn=lambda m: lambda x: tuple(
        m.matrix_norm(x, ord=o) for o in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf))),
    ("funcdiff.numpy.linalg", "cond"): P(N(3, 3), fn=lambda m: lambda x: tuple(
        m.cond(x, p) for p in (None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf))),
    ("funcdiff.numpy.linalg", "matrix_rank"): P(N(3, 4)),
    ("funcdiff.numpy.linalg", "diagonal"): P(N(2, 3, 3), fn=lambda m: lambda x: m.diagonal(
        x, offset=1)),
    ("funcdiff.numpy.linalg", "matrix_transpose"): P(N(2, 3, 4)),
    ("funcdiff.numpy.linalg", "matmul"): P(N(2, 3), N(3, 4)),
    ("funcdiff.numpy.linalg", "outer"): P(N(3), N(2)),
    ("funcdiff.numpy.linalg", "cross"): P(N(2, 3), N(3)),
    ("funcdiff.numpy.linalg", "vecdot"): P(N(2, 3), N(3)),
    ("funcdiff.numpy.linalg", "tensordot"): P(N(2, 3, 4), N(3, 4, 2)),
    # -- funcdiff.numpy.fft
    ("funcdiff.numpy.fft", "hfft"): P(C(4, 4)),
    ("funcdiff.numpy.fft", "ihfft"): P(N(4, 6)),
    # -- funcdiff.scipy.special
    ("funcdiff.scipy.special", "betaincc"): P(U(0.5, 3, 3), U(0.5, 3, 3), U(0.2, 0.8, 3)),
    ("funcdiff.scipy.special", "log_expit"): P(3 * N(3)),
    ("funcdiff.scipy.special", "loggamma"): P(U(0.5, 3, 3)),
    ("funcdiff.scipy.special", "jv"): P(U(0.5, 3, 3), fn=lambda m: lambda x: m.jv(1.5, x)),
    ("funcdiff.scipy.special", "ndtr"): P(N(3)),
    ("funcdiff.scipy.special", "ndtri"): P(U(0.2, 0.8, 3)),
    ("funcdiff.scipy.special", "log_ndtr"): P(3 * N(3)),
    ("funcdiff.scipy.special", "stdtr"): P(U(2, 5, 3), N(3)),
    # -- funcdiff.numpy, #16's first names
    ("funcdiff.numpy", "append"): P(N(2, 3), N(4)),
    ("funcdiff.numpy", "delete"): P(N(2, 4), fn=lambda m: lambda x: m.delete(x, [0, 2], axis=1)),
    ("funcdiff.numpy", "ediff1d"): P(N(2, 3), fn=lambda m: lambda x: m.ediff1d(x, to_end=[1.0])),
    ("funcdiff.numpy", "trapezoid"): P(N(5), np.cumsum(U(0.5, 1.5, 5))),
    **{("funcdiff.numpy", n): P(np.array([np.inf, -np.inf, 1.0, -2.0]))
       for n in ("isposinf", "isneginf")},
    ("funcdiff.numpy", "isreal"): P(C(3)),
    ("funcdiff.numpy", "iscomplex"): P(C(3)),
    ("funcdiff.numpy", "count_nonzero"): P(N(2, 3), fn=lambda m: lambda x: m.count_nonzero(
        x > 0, axis=1)),
    ("funcdiff.numpy", "array_equal"): P(N(2, 3), fn=lambda m: lambda x: np.array(
        m.array_equal(x, x))),
    ("funcdiff.numpy", "array_equiv"): P(N(2, 3), fn=lambda m: lambda x: np.array(
        m.array_equiv(x, x[0]))),
    **{("funcdiff.numpy", n): P(_with_nan, fn=lambda m, n=n: lambda x: getattr(m, n)(x, axis=1))
       for n in ("nanargmax", "nanargmin")},
    ("funcdiff.numpy", "cov"): P(N(3, 5)),
    ("funcdiff.numpy", "corrcoef"): P(N(3, 5)),
    ("funcdiff.numpy", "vander"): P(N(4), fn=lambda m: lambda x: m.vander(x, 3)),
    ("funcdiff.numpy", "logspace"): P(N(), N(), fn=lambda m: lambda a, b: m.logspace(a, b, 4)),
    ("funcdiff.numpy", "geomspace"): P(U(1, 2), U(3, 5),
                                       fn=lambda m: lambda a, b: m.geomspace(a, b, 4)),
    **{("funcdiff.numpy", n): P(N(4), N(2)) for n in ("polyadd", "polysub", "polymul")},
    ("funcdiff.numpy", "polyder"): P(N(4)),
    ("funcdiff.numpy", "polyint"): P(N(4)),
    ("funcdiff.numpy", "interp"): P(U(0.2, 3.8, 5), N(5), fn=lambda m: lambda x, f: m.interp(
        x, np.array([0.0, 1.0, 2.0, 3.0, 4.0]), f)),
    ("funcdiff.numpy", "signbit"): P(N(2, 3)),
    ("funcdiff.numpy", "divmod"): P(3 * N(2, 3), U(1, 2, 2, 3)),
    ("funcdiff.numpy", "ldexp"): P(N(2, 3), fn=lambda m: lambda x: m.ldexp(x, 3)),
    ("funcdiff.numpy", "modf"): P(U(0.2, 0.8, 3) + np.array([1.0, -3.0, 2.0])),
    ("funcdiff.numpy", "unwrap"): P(np.cumsum(U(0.5, 2.5, 6))),
    ("funcdiff.numpy", "resize"): P(N(3), fn=lambda m: lambda x: m.resize(x, (2, 4))),
    # (data-dependent sizes: the probes keep their zeros and ties under perturbation)
    ("funcdiff.numpy", "trim_zeros"): P(N(5), fn=lambda m: lambda x: m.trim_zeros(
        x * np.array([0.0, 0.0, 1.0, 1.0, 0.0]))),
    ("funcdiff.numpy", "unique"): P(N(3), fn=lambda m: lambda x: m.unique(
        m.concatenate([x, x[:2]]))),
    ("funcdiff.numpy", "union1d"): P(N(3), fn=lambda m: lambda x: m.union1d(x, x[1:] * 1.0)),
    ("funcdiff.numpy", "intersect1d"): P(N(3), fn=lambda m: lambda x: m.intersect1d(x, x[:2])),
    ("funcdiff.numpy", "setdiff1d"): P(N(3), fn=lambda m: lambda x: m.setdiff1d(x, x[:1])),
    ("funcdiff.numpy", "isin"): P(np.array([3.0, 1.0, 2.0]), np.array([2.0, 5.0])),
    ("funcdiff.numpy", "digitize"): P(U(0, 3, 4), fn=lambda m: lambda x: m.digitize(
        x, np.array([0.5, 1.5, 2.5]))),
    ("funcdiff.numpy", "block"): P(N(2, 2), N(2, 3), N(1, 5), fn=lambda m: lambda a, b, c: m.block(
        [[a, b], [c]])),
    ("funcdiff.numpy", "r_"): P(N(2), N(3), fn=lambda m: lambda a, b: m.r_[a, b]),
    ("funcdiff.numpy", "c_"): P(N(3), N(3), fn=lambda m: lambda a, b: m.c_[a, b]),
    ("funcdiff.numpy", "bincount"): P(N(4), fn=lambda m: lambda w: m.bincount(
        np.array([0, 1, 1, 3]), weights=w)),
    ("funcdiff.numpy", "histogram"): P(N(5), N(5), fn=lambda m: lambda a, w: m.histogram(
        np.array([-0.7, 0.2, 0.3, 1.1, 1.9]), [-1.0, 0.0, 0.5, 2.0], weights=w)[0]),
    ("funcdiff.numpy", "poly"): P(N(3)),
    ("funcdiff.numpy", "polydiv"): P(N(5), np.array([2.0, 1.0, -0.5])),
    ("funcdiff.numpy", "polyfit"): P(np.cumsum(U(0.5, 1.5, 8)), N(8),
                                     fn=lambda m: lambda x, y: m.polyfit(x, y, 2)),
    ("funcdiff.numpy", "roots"): P(np.array([1.0, -3.5, 2.0])),
    ("funcdiff.numpy", "apply_along_axis"): P(N(2, 3), fn=lambda m: lambda a: m.apply_along_axis(
        lambda v: v[::-1] * v, 1, a)),
    ("funcdiff.numpy", "apply_over_axes"): P(N(2, 3), fn=lambda m: lambda a: m.apply_over_axes(
        m.sum, a, [0, 1])),
    ("funcdiff.numpy", "piecewise"): P(np.array([-1.5, -0.3, 0.4, 2.0]), fn=lambda m: lambda x: (
        m.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2]))),
    **{("funcdiff.numpy", n): P(N(2, 3), fn=lambda m, n=n: lambda x: getattr(m, n)(
        m.astype(4 * x, np.int64), m.astype(abs(x) + 1, np.int64)))
       for n in ("left_shift", "right_shift", "bitwise_left_shift", "bitwise_right_shift",
                 "gcd", "lcm")},
    **{("funcdiff.numpy", n): P(N(2, 3), fn=lambda m, n=n: lambda x: getattr(m, n)(
        m.astype(4 * x, np.int64)))
       for n in ("bitwise_count", "bitwise_invert", "bitwise_not")},
    ("funcdiff.numpy", "unique_values"): P(N(3), fn=lambda m: lambda x: m.unique_values(
        m.concatenate([x, x[:2]]))),
    **{("funcdiff.numpy", n): P(N(3), fn=lambda m, n=n: lambda x: tuple(getattr(m, n)(
        m.concatenate([x, x[:2]]))))
       for n in ("unique_counts", "unique_inverse", "unique_all")},
    ("funcdiff.numpy", "setxor1d"): P(N(3), fn=lambda m: lambda x: m.setxor1d(x, x[:1])),
    ("funcdiff.numpy", "histogram_bin_edges"): P(N(5), fn=lambda m: lambda x: m.histogram_bin_edges(
        np.array([0.0, 1.0, 3.0]) + 0 * m.sum(x), 3)),
    ("funcdiff.numpy", "sort_complex"): P(C(4)),
    ("funcdiff.numpy", "lexsort"): P(N(4), N(4), fn=lambda m: lambda a, b: m.lexsort((a, b))),
    **{("funcdiff.numpy", n): P(_with_nan, fn=lambda m, n=n: lambda x: getattr(m, n)(
        x, *((0.3,) if n != "nanmedian" else ()), axis=1))
       for n in ("nanmedian", "nanquantile")},
    ("funcdiff.numpy", "nanpercentile"): P(_with_nan, fn=lambda m: lambda x: m.nanpercentile(
        x, 30.0, axis=1)),
    ("funcdiff.numpy", "vectorize"): P(N(2, 3), N(3), fn=lambda m: lambda x, y: m.vectorize(
        lambda a, b: m.sum(m.sin(a) * b), signature="(n),(n)->()")(x, y)),
    ("funcdiff.numpy", "insert"): P(N(3, 4), N(2), fn=lambda m: lambda a, b: m.insert(
        a, [1, 3], b, axis=1)),
    ("funcdiff.numpy", "fill_diagonal"): P(N(3, 4), N(3), fn=lambda m: lambda a, v: (
        m.fill_diagonal(a, v, inplace=False))),
    ("funcdiff.numpy", "place"): P(N(2, 3), N(2), fn=lambda m: lambda a, v: m.place(
        a, np.array([[True, False, True], [False, True, True]]), v, inplace=False)),
    ("funcdiff.numpy", "put"): P(N(2, 3), N(3), fn=lambda m: lambda a, v: m.put(
        a, [0, 4], v[:2], inplace=False)),
}
# functions that are in no `__all__` but that public syntax calls, walked as the public names
# (id -> probe): `x[idx]` on a traced value is `_getitem(x, idx)`
BEYOND_ALL = {
    "funcdiff._src.numpy.indexing._getitem": P(N(3, 4), fn=lambda m: lambda x: _getitem(
        x, (slice(None, None, -2), [0, 0, 3]))),
}
# -- funcdiff.scipy.stats: the methods outside the checklist (quantile functions)
for _d in ("norm", "cauchy", "expon", "laplace", "logistic", "uniform"):
    for _m in ("ppf", "isf"):
        EXTRA[(STATS, f"{_d}.{_m}")] = P(
            U(0.2, 0.8, 3), *_loc_scale,
            fn=lambda m, _d=_d, _m=_m: getattr(getattr(m, _d), _m))

_TYPE = "a NumPy type re-exported for dtype arguments: a class, not a function of arrays"
_CONST = "a constant"
NOT_APPLICABLE = {
    **{("funcdiff.numpy", n): _TYPE for n in (
        "ndarray", "float16", "float32", "float64", "complex64", "complex128", "int8", "int16",
        "int32", "int64", "uint8", "uint32", "uint64", "bool_", "dtype", "finfo", "iinfo",
        "floating", "complexfloating", "integer", "inexact", "number")},
    **{("funcdiff.numpy", n): _CONST for n in ("pi", "e", "inf", "nan")},
    ("funcdiff.numpy", "newaxis"): "None, an indexing constant",
    ("funcdiff.numpy", "tri"): "NumPy's constant of 0s and 1s from integer sizes: no array",
    **{("funcdiff.numpy", n): "NumPy's window of an integer size, re-exported: no array"
       for n in ("bartlett", "blackman", "hamming", "hanning", "kaiser")},
    ("funcdiff.numpy", "indices"): "NumPy's index grid of integer sizes, re-exported: no array",
    **{("funcdiff.numpy", n): "NumPy's indexing helper, re-exported: builds indices, no array"
       for n in ("s_", "index_exp", "mgrid", "ogrid")},
    **{("funcdiff.numpy", n): "NumPy's function of files, strings, settings, dtypes or "
       "integer indices, re-exported: nothing to differentiate"
       for n in ("array_repr", "array_str", "get_printoptions", "set_printoptions",
                 "printoptions", "load", "save", "savez", "frombuffer", "fromfile", "fromiter",
                 "fromstring", "from_dlpack", "can_cast", "isdtype", "iterable", "einsum_path",
                 "mask_indices", "ravel_multi_index", "unravel_index", "frompyfunc",
                 "fromfunction")},
    **{("funcdiff.numpy", n): _TYPE for n in (
        "longdouble", "clongdouble", "int_", "uint", "intp", "uintp", "half", "single", "double",
        "csingle", "cdouble")},
    ("funcdiff.numpy", "issubdtype"): "NumPy's function of dtypes, re-exported: no array",
    ("funcdiff.numpy", "promote_types"): "NumPy's function of dtypes, re-exported: no array",
    ("funcdiff.numpy", "broadcast_shapes"): "NumPy's function of shapes, re-exported: no array",
    ("funcdiff.numpy", "empty"): "NumPy's, re-exported: takes a shape, values are arbitrary",
    ("funcdiff.numpy", "diag_indices"): "NumPy's, re-exported: takes an int, no array",
    ("funcdiff.numpy", "tril_indices"): "NumPy's, re-exported: takes ints, no array",
    ("funcdiff.numpy", "triu_indices"): "NumPy's, re-exported: takes ints, no array",
    ("funcdiff.numpy", "ix_"): "NumPy's, re-exported: takes integer index sequences only",
    ("funcdiff.numpy", "stop_gradient"): "its derivative is zero on purpose: "
                                         "test_stop_gradient_detaches checks it",
    ("funcdiff.numpy", "empty_like"): "its values are arbitrary (NumPy's are uninitialized), "
                                      "so finite differences are meaningless: "
                                      "test_empty_like_has_no_derivative checks it",
    ("funcdiff.numpy.linalg", "LinAlgError"): "an exception class",
}


# -- probes of the names added to funcdiff.scipy.special (issue #16)
EXTRA.update({
})
NOT_APPLICABLE.update({
})

# -- probes of the names added to funcdiff.scipy.linalg (decompositions, solvers) (issue #16)
EXTRA.update({
})
NOT_APPLICABLE.update({
})

# -- probes of the names added to funcdiff.scipy.linalg (special matrices) and funcdiff.scipy.optimize (issue #16)
EXTRA.update({
})
NOT_APPLICABLE.update({
})

# -- probes of the names added to funcdiff.scipy.stats (issue #16)
EXTRA.update({
})
NOT_APPLICABLE.update({
})

# -- probes of the names added to funcdiff.scipy.signal, fft, integrate, ndimage, interpolate (issue #16)
EXTRA.update({
})
NOT_APPLICABLE.update({
})

# -- probes of the names added to funcdiff.numpy (issue #16)
EXTRA.update({
})
NOT_APPLICABLE.update({
})


# NumPy/SciPy calls that convert their traced input before any dispatch hook can run (no
# `__array_function__`/`__array_ufunc__`): they raise DetachError naming the funcdiff function
# to call instead, which is the contract's clear error.
_CONVERTS = "converts its input before NumPy's dispatch (DetachError names the fix)"
CLEAR_ERROR_CASES = {
    "numpy.array": "numpy.array has no dispatch hook (`like=` only): " + _CONVERTS,
    "numpy.asarray": "numpy.asarray has no dispatch hook (`like=` only): " + _CONVERTS,
    "numpy.full": "numpy.full dispatches on `like=` only: " + _CONVERTS,
    **{f"scipy.special.{n}": f"a Python function, not a ufunc: {_CONVERTS}"
       for n in ("polygamma", "multigammaln", "logsumexp", "softmax", "log_softmax")},
}


# ------------------------------------------------------------------ the walk
def _inexact(x):
    return np.result_type(x).kind in "fc"


def _public(module):
    """(module, name) of every public name of a walked module."""
    if module == STATS:
        stats = importlib.import_module(STATS)
        return [(STATS, f"{d}.{m}") for d in stats.__all__ for m in getattr(stats, d).__all__]
    return [(module, n) for n in importlib.import_module(module).__all__]


def _probe(key):
    return GEN.PROBES.get(key) or EXTRA.get(key)


def _resolve(obj, dotted):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _template(key, p):
    return p.fn or (lambda m: _resolve(m, key[1]))


def _dispatched():
    """(NumPy module name, funcdiff key) of every NumPy/SciPy callable of the dispatch table."""
    out = []
    for np_name, fd_name in DISPATCHED:
        np_mod = importlib.import_module(np_name)
        for name in importlib.import_module(fd_name).__all__:
            obj = getattr(np_mod, name, None)
            if obj is not None and callable(obj) and implementation(obj) is not None:
                out.append((np_name, (fd_name, name)))
    return out


def _ufunc_methods():
    """(id, template, probe) of the ufunc methods funcdiff dispatches: `reduce`/`accumulate`
    (`_dispatch._METHODS`), and `outer` of every binary (non-generalized) ufunc of the table
    whose probe calls it directly on its arguments."""
    out = []
    for ufunc, method in _dispatch._METHODS:
        arg = N(3, 4)
        if ufunc in (np.logical_and, np.logical_or):  # boolean in, boolean out
            out.append((f"numpy.{ufunc.__name__}.{method}", lambda m, u=ufunc, me=method: (
                lambda x: getattr(u, me)(x > 0, axis=1)), P(arg)))
            continue
        for kw in ({}, {"axis": 1}):
            out.append((f"numpy.{ufunc.__name__}.{method}({', '.join(kw)})",
                        lambda m, u=ufunc, me=method, kw=kw: lambda x: getattr(u, me)(x, **kw),
                        P(arg)))
    for np_name, key in _dispatched():
        ufunc = getattr(importlib.import_module(np_name), key[1])
        p = _probe(key)
        if (isinstance(ufunc, np.ufunc) and ufunc.nin == 2 and ufunc.signature is None
                and p.fn is None):  # (NumPy's gufuncs, matmul and vecdot, have no outer)
            out.append((f"{np_name}.{key[1]}.outer", lambda m, u=ufunc: u.outer, p))
    return out


def _cases():
    cases = []
    for module in (*MODULES, STATS):
        mod = importlib.import_module(module)
        for key in _public(module):
            p = _probe(key)
            if p is not None and key not in NOT_APPLICABLE:
                cases.append(pytest.param(_template(key, p)(mod), p, id=f"{key[0]}.{key[1]}"))
    for name, p in BEYOND_ALL.items():
        cases.append(pytest.param(p.fn(fnp), p, id=name))
    for np_name, key in _dispatched():
        p = _probe(key)
        if p is not None and key not in NOT_APPLICABLE:
            template = _template(key, p)
            cases.append(pytest.param(template(importlib.import_module(np_name)), p,
                                      id=f"{np_name}.{key[1]}"))
    for name, template, p in _ufunc_methods():
        cases.append(pytest.param(template(np), p, id=name))
    for name, p in _complex_probes():
        for side in (fnp, np):
            cases.append(pytest.param(getattr(side, name), p,
                                      id=f"{side.__name__}.{name}(complex)"))
    return cases


def _complex_probes():
    """(name, probe) of the elementwise functions of the probe table again, on complex input
    (both sides), where NumPy accepts complex numbers: the branches of complex derivatives."""
    z = 0.4 * C(3) + 0.3
    out = []
    for names, args in ((GEN._pos + GEN._real + ["arccosh", "acosh"], (z,)),
                        (GEN._binary + ["power", "pow", "float_power"], (z, z[::-1] + 0.1))):
        for name in names:
            try:
                with np.errstate(all="ignore"):
                    getattr(np, name)(*args)
            except TypeError:  # not defined for complex numbers
                continue
            out.append((name, P(*args)))
    return out


CASES = _cases()
CLEAR_ERRORS = (TypeError, ValueError, NotImplementedError, np.linalg.LinAlgError)


def _assert_clear(exc, what):
    """`exc` is a typed error with a message, not a crash (AssertionError, RecursionError)."""
    if not isinstance(exc, CLEAR_ERRORS) or not str(exc).strip():
        raise AssertionError(
            f"{what} raised {type(exc).__name__}({exc!r}), not a clear typed error") from exc


def _like(x, rng):
    t = rng.standard_normal(np.shape(x))
    if np.result_type(x).kind == "c":
        t = t + 1j * rng.standard_normal(np.shape(x))
    return np.asarray(t, np.result_type(x))


def _same(got, want, rtol):
    g_leaves, w_leaves = tree_leaves(got), tree_leaves(want)
    if len(g_leaves) != len(w_leaves):
        return False
    for g, w in zip(g_leaves, w_leaves):
        g, w = np.asarray(g), np.asarray(w)
        if g.shape != w.shape or g.dtype != w.dtype:
            return False
        if w.dtype.kind in "fc":
            if not np.allclose(g, w, rtol=rtol, atol=rtol, equal_nan=True):
                return False
        elif not np.array_equal(g, w):
            return False
    return True


def walk(fn, p, name="f"):
    """Check `fn` on the probe `p`; returns {"rev"|"fwd": "ok" | "value" | "Error: msg"}."""
    args = p.args
    idx = [i for i, a in enumerate(args) if _inexact(a)]
    assert idx, f"{name}: the probe has no float argument to trace"
    tol = p.tol or 1e-5

    def h(*xs):
        full = list(args)
        for i, x in zip(idx, xs):
            full[i] = x
        return fn(*full)

    xs = tuple(args[i] for i in idx)
    eager = h(*xs)
    outcome = {}
    if any(np.finfo(np.result_type(a)).bits < 64 for a in (*xs, *tree_leaves(eager))
           if _inexact(a)):
        tol = max(tol, 1e-2)  # single precision somewhere (as funcdiff.testing's defaults)
    if not any(_inexact(o) for o in tree_leaves(eager)):  # integer/boolean outputs
        for mode in ("fwd", "rev"):
            try:
                if mode == "fwd":
                    out = fd.jvp(h, xs, tuple(np.zeros_like(x) for x in xs))[0]
                else:
                    out = fd.vjp(h, *xs)[0]
            except Exception as e:  # noqa: BLE001
                _assert_clear(e, f"{name} under {mode}")
                outcome[mode] = f"{type(e).__name__}: {e}"
                continue
            assert _same(out, eager, 1e-6), (
                f"{name}: under {mode} the value is {out!r}, eagerly {eager!r}")
            outcome[mode] = "value"
        return outcome

    rng = np.random.default_rng(zlib.crc32(name.encode()))
    ts = tuple(_like(x, rng) for x in xs)
    num, _ = tree_flatten(numerical_jvp(h, xs, ts, eps=p.eps))
    want = sum(float(np.real(np.sum(n))) for n, o in zip(num, tree_leaves(eager))
               if _inexact(o))
    assert np.isfinite(want), f"{name}: the finite difference is {want} (change the probe)"

    # reverse mode: grad of the sum of the real parts of the float outputs, paired with ts
    def total(*xs):
        return sum(fnp.sum(fnp.real(o)) for o in tree_leaves(h(*xs)) if _inexact(o))

    try:
        g = fd.grad(total, argnums=tuple(range(len(xs))))(*xs)
    except Exception as e:  # noqa: BLE001
        _assert_clear(e, f"{name} under grad")
        outcome["rev"] = f"{type(e).__name__}: {e}"
    else:
        got = sum(float(np.real(np.sum(np.asarray(gi) * ti))) for gi, ti in zip(g, ts))
        scale = 1.0 + abs(want) + sum(float(np.sum(np.abs(gi) * np.abs(ti)))
                                      for gi, ti in zip(g, ts))
        zero = all(not np.any(np.asarray(gi)) for gi in g)
        assert abs(got - want) <= tol * scale, (
            f"{name}: grad paired with a random direction is {got!r}, finite differences "
            f"give {want!r}" + (" (a ZERO gradient)" if zero else "") + f"; grad = {g!r}")
        outcome["rev"] = "ok"

    # forward mode, output by output
    try:
        out, t_out = fd.jvp(h, xs, ts)
    except Exception as e:  # noqa: BLE001
        _assert_clear(e, f"{name} under jvp")
        outcome["fwd"] = f"{type(e).__name__}: {e}"
        return outcome
    assert _same(out, eager, p.tol or 1e-6), (
        f"{name}: jvp's primal output {out!r} differs from the eager value {eager!r}")
    t_leaves = tree_leaves(t_out)
    assert len(t_leaves) == len(num), f"{name}: jvp's tangents have the wrong structure"
    for k, (t, n, o) in enumerate(zip(t_leaves, num, tree_leaves(eager))):
        if not _inexact(o):
            continue
        t = np.asarray(t)
        assert t.shape == np.shape(o), f"{name}: tangent {k} has shape {t.shape}"
        assert np.allclose(t, n, rtol=tol, atol=tol, equal_nan=True), (
            f"{name}: jvp output {k} is {t!r}, finite differences give {n!r}"
            + (" (a ZERO tangent)" if not np.any(t) else ""))
    outcome["fwd"] = "ok"
    return outcome


@pytest.mark.parametrize(("fn", "p"), CASES)
def test_walk(fn, p, request):
    name = request.node.callspec.id
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        outcome = walk(fn, p, name)
    # a clear error passes the contract; these are pinned, so that a function that stops
    # working (or starts to) is noticed
    errors = {mode: why for mode, why in outcome.items() if why not in ("ok", "value")}
    if name in CLEAR_ERROR_CASES:
        assert set(errors) == {"fwd", "rev"}, (
            f"{name} works now ({outcome}): remove it from CLEAR_ERROR_CASES")
        assert all(why.startswith("DetachError") for why in errors.values()), errors
    else:
        assert not errors, (
            f"{name} raised {errors}; if that is a deliberate limitation, list it in "
            "CLEAR_ERROR_CASES with the reason")


def test_walk_is_complete():
    """Every public name is probed, in EXTRA, or documented as not applicable."""
    missing = [key for module in (*MODULES, STATS) for key in _public(module)
               if _probe(key) is None and key not in NOT_APPLICABLE]
    assert not missing, (
        f"new public names {missing}: add probe inputs to EXTRA in tests/test_walk.py (or to "
        "PROBES in tools/gen_coverage.py), or, for a name that is not a function of arrays, "
        "to NOT_APPLICABLE with the reason")
    stale = [key for key in list(EXTRA) + list(NOT_APPLICABLE)
             if key not in {k for m in (*MODULES, STATS) for k in _public(m)}]
    assert not stale, f"EXTRA/NOT_APPLICABLE name {stale}, which are not public names"
    both = [key for key in EXTRA if key in GEN.PROBES or key in NOT_APPLICABLE]
    assert not both, f"{both} are probed twice (EXTRA and PROBES/NOT_APPLICABLE)"
    ids = {c.id for c in CASES}
    assert set(CLEAR_ERROR_CASES) <= ids, set(CLEAR_ERROR_CASES) - ids
    table = [key for _, key in _dispatched() if _probe(key) is None and key not in NOT_APPLICABLE]
    assert not table, f"dispatched NumPy functions {table} have no probe input"


def test_stop_gradient_detaches():
    x = N(3)
    t = N(3)
    assert not np.any(fd.grad(lambda x: fnp.sum(fnp.stop_gradient(x) * 2.0))(x))
    out, tangent = fd.jvp(fnp.stop_gradient, (x,), (t,))
    np.testing.assert_array_equal(out, x)
    assert not np.any(tangent)
    # while the product rule through it keeps the other factor's derivative
    np.testing.assert_allclose(fd.grad(lambda x: fnp.sum(x * fnp.stop_gradient(x)))(x), x)


@pytest.mark.parametrize("empty_like", [fnp.empty_like, np.empty_like], ids=["fnp", "np"])
def test_empty_like_has_no_derivative(empty_like):
    x, t = N(2, 3), N(2, 3)
    out, tangent = fd.jvp(lambda x: empty_like(x), (x,), (t,))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert np.shape(tangent) == x.shape and not np.any(tangent)
    _, pullback = fd.vjp(lambda x: empty_like(x), x)
    assert not np.any(pullback(np.ones_like(x))[0])


_IDX = np.array([[1], [0]])


def _np_put_along_axis(x, v):
    y = x * 1.0  # a fresh array (a tracer inside the transforms)
    np.put_along_axis(y, _IDX, v, axis=1)  # NumPy writes in place and returns None
    return np.sum(y * y)


def _np_putmask(x, v):
    y = x * 1.0
    np.putmask(y, y > 0, v)
    return np.sum(y * y)


def _np_copyto(x, v):
    y = x * 1.0
    np.copyto(y, v)
    return np.sum(y * y)


def _np_place(x, v):
    y = x * 1.0
    np.place(y, y > 0, v)
    return np.sum(y * y)


def _np_put(x, v):
    y = x * 1.0
    np.put(y, [0, 2], v)
    return np.sum(y * y)


def _np_fill_diagonal(x, v):
    y = x * 1.0
    np.fill_diagonal(y, v)
    return np.sum(y * y)


@pytest.mark.parametrize("f", [_np_put_along_axis, _np_putmask, _np_copyto, _np_place, _np_put,
                               _np_fill_diagonal], ids=lambda f: f.__name__[1:])
def test_numpy_in_place_functions_raise(f):
    """NumPy's in-place writers on tracers raise; never funcdiff's functional version, whose
    result NumPy's caller ignores (the written values' derivative would silently be zero)."""
    x, v = N(2, 3), N(2, 1)
    f(x.copy(), v)  # NumPy itself
    # "in place" from the dispatch; numpy.fill_diagonal has no __array_function__ hook and
    # converts its argument (a DetachError)
    clear = "in place|would drop the derivative"
    for argnums in (0, 1):
        with pytest.raises(TypeError, match=clear):
            fd.grad(f, argnums=argnums)(x, v)
    with pytest.raises(TypeError, match=clear):
        fd.jvp(f, (x, v), (x, v))
