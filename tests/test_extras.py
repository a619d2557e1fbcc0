"""funcdiff/_src/numpy/extras.py: values against NumPy, derivatives, vmap and jit.

Table-driven: each case is a function of some arrays (the other arguments
bound in a lambda). For every case the value computed on traced arguments
(inside `jvp`, and inside `jit`) must equal NumPy's (values, shape, dtype);
differentiable cases pass `check_grads` to second order in forward and
reverse mode; and `vmap` over a batch of arguments equals a loop.
"""

from __future__ import annotations

import numpy as np
import pytest

import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.numpy import extras as ex
from funcdiff.errors import ConcretizationError
from funcdiff.testing import check_grads

RNG = np.random.default_rng(0)
nan, inf = np.nan, np.inf


def randn(*shape, dtype=np.float64):
    return np.asarray(RNG.standard_normal(shape), dtype)


def crandn(*shape, dtype=np.complex128):
    return np.asarray(RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape), dtype)


def coords(n):
    """Increasing, non-uniform coordinates."""
    return np.cumsum(RNG.uniform(0.5, 1.5, n))


# (id, funcdiff function, numpy function, args, differentiable)
# The functions take the array arguments positionally; other arguments are bound.
def case(name, f, g, args, diff=True):
    return pytest.param(f, g, args, diff, id=name)


_PLACE_MASK = np.array([[True, False, True], [False, True, True]])


def _numpy_in_place(fn, a, *args):
    """NumPy's in-place function on a copy of `a`, returning the copy."""
    a = np.array(a)
    fn(a, *args)
    return a


def data_dependent(f):
    """A case whose result's size depends on the values: vmap raises ConcretizationError."""
    def g(*args):
        return f(*args)

    g.data_dependent = True
    return g


CASES = [
    # angle
    case("angle", ex.angle, np.angle, (crandn(5),)),
    case("angle-deg", lambda z: ex.angle(z, deg=True), lambda z: np.angle(z, deg=True),
         (crandn(2, 3),)),
    case("angle-c64", ex.angle, np.angle, (crandn(4, dtype=np.complex64),)),
    case("angle-real", ex.angle, np.angle, (np.array([-2.0, 0.5, -0.5, 3.0]),)),
    case("angle-zeros", ex.angle, np.angle, (np.array([0.0, -0.0, 1.0]),), diff=False),
    case("angle-complex-zeros", ex.angle, np.angle,
         (np.array([0j, complex(-0.0, 0.0), complex(0.0, -0.0), 1j]),), diff=False),
    # real_if_close
    case("real_if_close-real", ex.real_if_close, np.real_if_close,
         (np.array([1.0 + 1e-15j, 2.0 - 1e-16j]),), diff=False),  # dtype jumps under FD
    case("real_if_close-complex", ex.real_if_close, np.real_if_close, (crandn(3),)),
    # nan_to_num
    case("nan_to_num", lambda x: ex.nan_to_num(3.0 * x), lambda x: np.nan_to_num(3.0 * x),
         (np.array([nan, inf, -inf, 1.5, -2.0]),)),
    case("nan_to_num-values",
         lambda x: ex.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
         lambda x: np.nan_to_num(x, nan=-1.0, posinf=9.0, neginf=-9.0),
         (np.array([[nan, 1.0], [inf, -inf]], np.float32),)),
    case("nan_to_num-complex", ex.nan_to_num, np.nan_to_num,
         (np.array([complex(nan, 1.0), complex(2.0, inf), 1.0 - 2.0j]),)),
    # isclose / allclose (no derivative)
    case("isclose", ex.isclose, np.isclose,
         (np.array([1.0, 1e10, nan, inf, 0.0]), np.array([1.0 + 1e-9, 1.0001e10, nan, inf, 1e-9])),
         diff=False),
    case("isclose-equal_nan", lambda a, b: ex.isclose(a, b, equal_nan=True, atol=0.1),
         lambda a, b: np.isclose(a, b, equal_nan=True, atol=0.1),
         (np.array([nan, 1.0, 2.0], np.float32), np.array([nan, 1.05, 2.5], np.float32)),
         diff=False),
    case("allclose", ex.allclose, np.allclose, (randn(3), randn(3)), diff=False),
    # diff
    case("diff", ex.diff, np.diff, (randn(6),)),
    case("diff-n2-axis0", lambda a: ex.diff(a, n=2, axis=0), lambda a: np.diff(a, n=2, axis=0),
         (randn(5, 3),)),
    case("diff-prepend-append", lambda a, p: ex.diff(a, prepend=p, append=1.5),
         lambda a, p: np.diff(a, prepend=p, append=1.5), (randn(3, 4), randn(3, 1))),
    case("diff-prepend-scalar", lambda a, p: ex.diff(a, axis=0, prepend=p),
         lambda a, p: np.diff(a, axis=0, prepend=p), (randn(3, 2), randn())),
    case("diff-f32-n3", lambda a: ex.diff(a, 3), lambda a: np.diff(a, 3),
         (randn(2, 6, dtype=np.float32),)),
    # gradient
    case("gradient", ex.gradient, np.gradient, (randn(6),)),
    case("gradient-h", ex.gradient, np.gradient, (randn(5), 0.7)),
    case("gradient-h-edge2", lambda f, h: ex.gradient(f, h, edge_order=2),
         lambda f, h: np.gradient(f, h, edge_order=2), (randn(5), 0.7)),
    case("gradient-coords", ex.gradient, np.gradient, (randn(6), coords(6))),
    case("gradient-coords-edge2", lambda f, x: ex.gradient(f, x, edge_order=2),
         lambda f, x: np.gradient(f, x, edge_order=2), (randn(5), coords(5))),
    case("gradient-2d", ex.gradient, np.gradient, (randn(4, 3),)),
    case("gradient-2d-mixed", lambda f, x: ex.gradient(f, x, 0.5, edge_order=2),
         lambda f, x: np.gradient(f, x, 0.5, edge_order=2), (randn(4, 3), coords(4))),
    case("gradient-axis", lambda f: ex.gradient(f, 2.0, axis=-1),
         lambda f: np.gradient(f, 2.0, axis=-1), (randn(2, 3, 4),)),
    case("gradient-f32", lambda f: ex.gradient(f, edge_order=2),
         lambda f: np.gradient(f, edge_order=2), (randn(5, dtype=np.float32),)),
    case("gradient-n2", ex.gradient, np.gradient, (randn(2),)),
    # linspace
    case("linspace", lambda a, b: ex.linspace(a, b, 7), lambda a, b: np.linspace(a, b, 7),
         (randn(), randn())),
    case("linspace-arrays", lambda a, b: ex.linspace(a, b, 4, axis=-1),
         lambda a, b: np.linspace(a, b, 4, axis=-1), (randn(3, 1), randn(2))),
    case("linspace-noendpoint-retstep", lambda a, b: ex.linspace(a, b, 5, endpoint=False,
                                                                  retstep=True),
         lambda a, b: np.linspace(a, b, 5, endpoint=False, retstep=True), (randn(2), randn())),
    case("linspace-num1", lambda a, b: ex.linspace(a, b, 1), lambda a, b: np.linspace(a, b, 1),
         (randn(), randn())),
    case("linspace-f32", lambda a: ex.linspace(a, 2.0, 6, axis=1),
         lambda a: np.linspace(a, 2.0, 6, axis=1), (randn(2, 3, dtype=np.float32),)),
    case("linspace-int", lambda a: ex.linspace(a, 10, 4, dtype=int),
         lambda a: np.linspace(a, 10, 4, dtype=int), (np.array(0.5),), diff=False),
    # meshgrid
    case("meshgrid", ex.meshgrid, np.meshgrid, (randn(3), randn(2))),
    case("meshgrid-ij-3", lambda x, y, z: ex.meshgrid(x, y, z, indexing="ij"),
         lambda x, y, z: np.meshgrid(x, y, z, indexing="ij"), (randn(3), randn(2), randn(4))),
    case("meshgrid-sparse", lambda x, y, z: ex.meshgrid(x, y, z, sparse=True),
         lambda x, y, z: np.meshgrid(x, y, z, sparse=True), (randn(3), randn(2), randn(4))),
    # partition
    case("partition", lambda a: ex.partition(a, 2), lambda a: np.partition(a, 2), (randn(40),)),
    case("partition-kths-axis0", lambda a: ex.partition(a, [1, -2], axis=0),
         lambda a: np.partition(a, [1, -2], axis=0), (randn(30, 3),)),
    case("partition-axis-none", lambda a: ex.partition(a, 5, axis=None),
         lambda a: np.partition(a, 5, axis=None), (randn(4, 5),)),
    case("argpartition", lambda a: ex.argpartition(a, 3), lambda a: np.argpartition(a, 3),
         (randn(50),), diff=False),
    # convolve / correlate
    *[case(f"convolve-{n}-{m}-{mode}", lambda a, v, mode=mode: ex.convolve(a, v, mode),
           lambda a, v, mode=mode: np.convolve(a, v, mode), (randn(n), randn(m)))
      for n, m in [(5, 3), (3, 5), (4, 4), (2, 7), (1, 1)] for mode in ("full", "same", "valid")],
    *[case(f"correlate-{n}-{m}-{mode}", lambda a, v, mode=mode: ex.correlate(a, v, mode),
           lambda a, v, mode=mode: np.correlate(a, v, mode), (randn(n), randn(m)))
      for n, m in [(5, 3), (3, 5), (4, 4), (2, 7), (1, 1)] for mode in ("full", "same", "valid")],
    case("convolve-complex", ex.convolve, np.convolve, (crandn(5), crandn(2))),
    case("correlate-complex-same", lambda a, v: ex.correlate(a, v, "same"),
         lambda a, v: np.correlate(a, v, "same"), (crandn(2), crandn(5))),
    case("convolve-f32", ex.convolve, np.convolve,
         (randn(6, dtype=np.float32), randn(3, dtype=np.float32))),
    case("convolve-scalar", ex.convolve, np.convolve, (randn(), randn(3))),
    # polyval
    case("polyval", ex.polyval, np.polyval, (randn(4), randn(3, 2))),
    case("polyval-f32", ex.polyval, np.polyval,
         (randn(3, dtype=np.float32), randn(5, dtype=np.float32))),
    case("polyval-complex", ex.polyval, np.polyval, (crandn(3), crandn(2))),
    # -- #16: editing, predicates, statistics, grids and polynomials, interpolation
    case("append", ex.append, np.append, (randn(2, 3), randn(4))),
    case("append-axis", lambda a, b: ex.append(a, b, axis=0),
         lambda a, b: np.append(a, b, axis=0), (randn(2, 3), randn(1, 3))),
    case("delete", lambda a: ex.delete(a, [0, 2]), lambda a: np.delete(a, [0, 2]), (randn(5),)),
    case("delete-axis", lambda a: ex.delete(a, slice(0, 3, 2), axis=1),
         lambda a: np.delete(a, slice(0, 3, 2), axis=1), (randn(2, 4),)),
    case("ediff1d", lambda a: ex.ediff1d(a, to_end=[1.0, 2.0], to_begin=-1.0),
         lambda a: np.ediff1d(a, to_end=[1.0, 2.0], to_begin=-1.0), (randn(2, 3),)),
    case("trapezoid-x", ex.trapezoid, np.trapezoid, (randn(5), coords(5))),
    case("trapezoid-dx", lambda y: ex.trapezoid(y, dx=0.5, axis=0),
         lambda y: np.trapezoid(y, dx=0.5, axis=0), (randn(4, 3),)),
    case("trapezoid-x2d", lambda y, x: ex.trapezoid(y, x, axis=1),
         lambda y, x: np.trapezoid(y, x, axis=1), (randn(2, 4), np.stack([coords(4)] * 2))),
    case("isposinf", ex.isposinf, np.isposinf, (np.array([inf, -inf, 1.0, nan]),), diff=False),
    case("isneginf", ex.isneginf, np.isneginf, (np.array([inf, -inf, 1.0, nan]),), diff=False),
    case("isreal", ex.isreal, np.isreal, (np.array([1 + 0j, 1j, -2.0 + 0j]),), diff=False),
    case("iscomplex", ex.iscomplex, np.iscomplex, (np.array([1 + 0j, 1j]),), diff=False),
    case("isreal-real", ex.isreal, np.isreal, (randn(3),), diff=False),
    case("count_nonzero", lambda a: ex.count_nonzero(a, axis=1),
         lambda a: np.count_nonzero(a, axis=1), (np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 3.0]]),),
         diff=False),
    case("count_nonzero-keepdims", lambda a: ex.count_nonzero(a, axis=0, keepdims=True),
         lambda a: np.count_nonzero(a, axis=0, keepdims=True),
         (np.array([[0.0, 1.0], [2.0, 0.0]]),), diff=False),
    case("nanargmax", lambda a: ex.nanargmax(a, axis=1), lambda a: np.nanargmax(a, axis=1),
         (np.array([[1.0, nan, 3.0], [nan, 5.0, 2.0]]),), diff=False),
    case("nanargmin", ex.nanargmin, np.nanargmin, (np.array([4.0, nan, -3.0, 2.0]),),
         diff=False),
    case("cov", ex.cov, np.cov, (randn(3, 6),)),
    case("cov-1d-y", ex.cov, np.cov, (randn(5), randn(5))),
    case("cov-weights", lambda m: ex.cov(m, rowvar=False, bias=True, aweights=np.arange(1, 5.0),
                                         fweights=np.array([1, 2, 1, 3])),
         lambda m: np.cov(m, rowvar=False, bias=True, aweights=np.arange(1, 5.0),
                          fweights=np.array([1, 2, 1, 3])), (randn(4, 2),)),
    case("cov-traced-weights", lambda m, w: ex.cov(m, aweights=w * w),
         lambda m, w: np.cov(m, aweights=w * w), (randn(2, 5), 1.0 + np.abs(randn(5)))),
    case("cov-complex", ex.cov, np.cov, (crandn(2, 4),)),
    case("corrcoef", ex.corrcoef, np.corrcoef, (randn(3, 6),)),
    case("corrcoef-y", ex.corrcoef, np.corrcoef, (randn(6), randn(6))),
    case("vander", lambda a: ex.vander(a, 4), lambda a: np.vander(a, 4), (randn(3),)),
    case("vander-increasing", lambda a: ex.vander(a, increasing=True),
         lambda a: np.vander(a, increasing=True), (randn(4),)),
    case("logspace", lambda a, b: ex.logspace(a, b, 5), lambda a, b: np.logspace(a, b, 5),
         (np.float64(0.5), np.float64(2.0))),
    case("logspace-base", lambda a, b: ex.logspace(a, b, 4, base=b * b, endpoint=False),
         lambda a, b: np.logspace(a, b, 4, base=b * b, endpoint=False),
         (np.float64(0.5), np.float64(2.0))),
    case("geomspace", lambda a, b: ex.geomspace(a, b, 5), lambda a, b: np.geomspace(a, b, 5),
         (np.float64(2.0), np.float64(50.0))),
    case("geomspace-negative", lambda a, b: ex.geomspace(a, b, 4, endpoint=False),
         lambda a, b: np.geomspace(a, b, 4, endpoint=False),
         (np.float64(-2.0), np.float64(-50.0))),
    case("geomspace-vector", lambda a, b: ex.geomspace(a, b, 3, axis=1),
         lambda a, b: np.geomspace(a, b, 3, axis=1),
         (np.array([1.0, 2.0]), np.array([8.0, 32.0]))),
    case("polyadd", ex.polyadd, np.polyadd, (randn(4), randn(2))),
    case("polysub", ex.polysub, np.polysub, (randn(2), randn(4))),
    case("polymul", ex.polymul, np.polymul, (randn(4), randn(3))),
    case("polyder", lambda p: ex.polyder(p, 2), lambda p: np.polyder(p, 2), (randn(5),)),
    case("polyint", lambda p: ex.polyint(p, 2, k=[1.0, 2.0]),
         lambda p: np.polyint(p, 2, k=[1.0, 2.0]), (randn(4),)),
    case("polyint-traced-k", lambda p, k: ex.polyint(p, 1, k=k),
         lambda p, k: np.polyint(p, 1, k=k), (randn(3), randn(1))),
    case("interp", lambda x: ex.interp(x, np.array([0.0, 1.0, 2.5, 4.0]),
                                       np.array([1.0, -1.0, 3.0, 0.5])),
         lambda x: np.interp(x, np.array([0.0, 1.0, 2.5, 4.0]), np.array([1.0, -1.0, 3.0, 0.5])),
         (np.array([-1.0, 0.3, 1.7, 3.1, 5.0]),)),
    case("interp-fp-xp", lambda x, xp, fp: ex.interp(x, xp, fp, left=-2.0, right=2.0),
         lambda x, xp, fp: np.interp(x, xp, fp, left=-2.0, right=2.0),
         (np.array([-1.0, 0.7, 2.2, 6.0]), coords(4), randn(4))),
    case("signbit", ex.signbit, np.signbit,
         (np.array([-0.0, 0.0, -1.5, 2.0, nan, -nan]),), diff=False),
    case("divmod", ex.divmod, np.divmod, (np.array([7.0, -7.5, 3.25]), np.array([2.0, 2.0, -1.5])),
         diff=False),
    case("ldexp", lambda v: ex.ldexp(v, np.array([1, -2, 3])),
         lambda v: np.ldexp(v, np.array([1, -2, 3])), (randn(3),)),
    case("modf", ex.modf, np.modf, (np.array([1.5, -2.25, 0.75]),)),
    case("unwrap", ex.unwrap, np.unwrap, (np.cumsum(RNG.uniform(0.5, 2.5, 8)),)),
    case("unwrap-axis0", lambda p: ex.unwrap(p, axis=0), lambda p: np.unwrap(p, axis=0),
         (np.cumsum(RNG.uniform(0.5, 2.5, (6, 2)), axis=0),)),
    case("resize", lambda v: ex.resize(v, (2, 4)), lambda v: np.resize(v, (2, 4)), (randn(3),)),
    case("trim_zeros", data_dependent(ex.trim_zeros), np.trim_zeros,
         (np.array([0.0, 0.0, 1.5, -2.0, 0.0]),), diff=False),
    case("unique", data_dependent(ex.unique), np.unique,
         (np.array([3.0, 1.0, 2.0, 3.0, 1.0]),), diff=False),
    case("unique-all", data_dependent(lambda v: ex.unique(v, return_index=True,
                                                          return_inverse=True,
                                                          return_counts=True)),
         lambda v: np.unique(v, return_index=True, return_inverse=True, return_counts=True),
         (np.array([[3.0, 1.0], [3.0, 2.0]]),), diff=False),
    case("union1d", data_dependent(ex.union1d), np.union1d,
         (np.array([3.0, 1.0, 2.0]), np.array([2.0, 5.0])), diff=False),
    case("intersect1d", data_dependent(ex.intersect1d), np.intersect1d,
         (np.array([3.0, 1.0, 2.0]), np.array([2.0, 5.0, 3.0])), diff=False),
    case("setdiff1d", data_dependent(ex.setdiff1d), np.setdiff1d,
         (np.array([3.0, 1.0, 2.0]), np.array([2.0, 5.0])), diff=False),
    case("isin", ex.isin, np.isin, (np.array([3.0, 1.0, 2.0]), np.array([2.0, 5.0])),
         diff=False),
    case("digitize", lambda v: ex.digitize(v, np.array([0.5, 1.5, 2.5])),
         lambda v: np.digitize(v, np.array([0.5, 1.5, 2.5])), (np.array([3.0, 1.0, 0.2]),),
         diff=False),
    case("digitize-decreasing", lambda v: ex.digitize(v, np.array([2.5, 1.5, 0.5]), right=True),
         lambda v: np.digitize(v, np.array([2.5, 1.5, 0.5]), right=True),
         (np.array([3.0, 1.5, 0.2]),), diff=False),
    case("block", lambda a, b, c: ex.block([[a, b], [c]]),
         lambda a, b, c: np.block([[a, b], [c]]), (randn(2, 2), randn(2, 3), randn(1, 5))),
    case("block-1d", lambda a, b: ex.block([a, b]), lambda a, b: np.block([a, b]),
         (randn(2), randn(3))),
    case("r_", lambda a, b: ex.r_[a, b, 0:2], lambda a, b: np.r_[a, b, 0:2],
         (randn(2), randn(3))),
    case("c_", lambda a, b: ex.c_[a, b], lambda a, b: np.c_[a, b], (randn(3), randn(3))),
    case("bincount-weights", lambda w: ex.bincount(np.array([0, 1, 1, 3]), weights=w,
                                                   minlength=6),
         lambda w: np.bincount(np.array([0, 1, 1, 3]), weights=w, minlength=6), (randn(4),)),
    case("histogram-weights-density",
         lambda a, w: ex.histogram(a, [-1.0, 0.0, 0.5, 2.0], weights=w, density=True),
         lambda a, w: np.histogram(a, [-1.0, 0.0, 0.5, 2.0], weights=w, density=True),
         (np.array([-0.7, 0.2, 0.3, 1.1, 1.9]), 1.0 + np.abs(randn(5))), diff=False),
    case("histogram-counts", lambda a: ex.histogram(a, 4), lambda a: np.histogram(a, 4),
         (randn(12),), diff=False),
    case("poly", ex.poly, np.poly, (randn(3),)),
    case("polydiv", ex.polydiv, np.polydiv, (randn(5), np.array([2.0, 1.0, -0.5]))),
    case("polyfit", lambda x, y: ex.polyfit(x, y, 2), lambda x, y: np.polyfit(x, y, 2),
         (coords(8), randn(8))),
    case("polyfit-weights", lambda x, y, w: ex.polyfit(x, y, 1, w=w),
         lambda x, y, w: np.polyfit(x, y, 1, w=w), (coords(6), randn(6), 1.0 + np.abs(randn(6)))),
    case("roots", data_dependent(ex.roots), np.roots, (np.array([1.0, -3.5, 2.0]),)),
    case("apply_along_axis", lambda a: ex.apply_along_axis(lambda v: fnp.sum(v ** 2), 1, a),
         lambda a: np.apply_along_axis(lambda v: np.sum(v ** 2), 1, a), (randn(2, 3),)),
    case("apply_along_axis-vector",
         lambda a: ex.apply_along_axis(lambda v: v[::-1] * 2.0, 0, a),
         lambda a: np.apply_along_axis(lambda v: v[::-1] * 2.0, 0, a), (randn(3, 2),)),
    case("apply_over_axes", lambda a: ex.apply_over_axes(fnp.sum, a, [0, 1]),
         lambda a: np.apply_over_axes(np.sum, a, [0, 1]), (randn(2, 3),)),
    case("piecewise", lambda x: ex.piecewise(x, [x < 0, x >= 0],
                                             [lambda v: -v, lambda v: v ** 2]),
         lambda x: np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2]),
         (np.array([-1.5, -0.3, 0.4, 2.0]),)),
    case("piecewise-default", lambda x: ex.piecewise(x, [x < -0.5], [0.0, lambda v: v * 3]),
         lambda x: np.piecewise(x, [x < -0.5], [0.0, lambda v: v * 3]),
         (np.array([-1.5, -0.3, 0.4, 2.0]),)),
    case("unique_values", data_dependent(ex.unique_values), np.unique_values,
         (np.array([3.0, 1.0, 2.0, 3.0]),), diff=False),
    case("unique_counts", data_dependent(lambda v: tuple(ex.unique_counts(v))),
         lambda v: tuple(np.unique_counts(v)), (np.array([3.0, 1.0, 3.0]),), diff=False),
    case("unique_all", data_dependent(lambda v: tuple(ex.unique_all(v))),
         lambda v: tuple(np.unique_all(v)), (np.array([3.0, 1.0, 3.0]),), diff=False),
    case("setxor1d", data_dependent(ex.setxor1d), np.setxor1d,
         (np.array([3.0, 1.0, 2.0]), np.array([2.0, 5.0])), diff=False),
    case("histogram_bin_edges", lambda v: ex.histogram_bin_edges(v, 4),
         lambda v: np.histogram_bin_edges(v, 4), (randn(6),), diff=False),
    case("sort_complex", ex.sort_complex, np.sort_complex,
         (np.array([2 + 2j, 1 - 1j, 0.5 + 0j]),)),
    case("lexsort", data_dependent(lambda u, v: ex.lexsort((u, v))),
         lambda u, v: np.lexsort((u, v)), (np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0])),
         diff=False),
    case("nanmedian", data_dependent(lambda m: ex.nanmedian(m, axis=1)),
         lambda m: np.nanmedian(m, axis=1),
         (np.array([[1.0, nan, 3.0, 0.5], [nan, 5.0, 2.0, 1.0]]),)),
    case("nanquantile", data_dependent(lambda m: ex.nanquantile(m, [0.25, 0.5], axis=1)),
         lambda m: np.nanquantile(m, [0.25, 0.5], axis=1),
         (np.array([[1.0, nan, 3.0, 0.5], [nan, 5.0, 2.0, 1.0]]),)),
    case("nanpercentile", data_dependent(lambda m: ex.nanpercentile(m, 30.0)),
         lambda m: np.nanpercentile(m, 30.0), (np.array([1.0, nan, 3.0, 0.5]),)),
    case("insert", lambda a: ex.insert(a, 2, 9.0), lambda a: np.insert(a, 2, 9.0), (randn(3),)),
    case("insert-axis", lambda a, b: ex.insert(a, [1, 3], b, axis=1),
         lambda a, b: np.insert(a, [1, 3], b, axis=1), (randn(3, 4), randn(2))),
    case("insert-block", lambda a, b: ex.insert(a, 1, b, axis=0),
         lambda a, b: np.insert(a, 1, b, axis=0), (randn(3, 4), randn(4))),
    case("fill_diagonal", lambda a, v: ex.fill_diagonal(a, v, inplace=False),
         lambda a, v: _numpy_in_place(np.fill_diagonal, a, v), (randn(3, 4), randn(3))),
    case("fill_diagonal-wrap", lambda a: ex.fill_diagonal(a, 5.0, wrap=True, inplace=False),
         lambda a: _numpy_in_place(np.fill_diagonal, a, 5.0, True), (randn(7, 3),)),
    case("place", lambda a, v: ex.place(a, _PLACE_MASK, v, inplace=False),
         lambda a, v: _numpy_in_place(np.place, a, _PLACE_MASK, v), (randn(2, 3), randn(2))),
    case("put", lambda a, v: ex.put(a, [0, 5, 5], v, inplace=False),
         lambda a, v: _numpy_in_place(np.put, a, [0, 5, 5], v), (randn(2, 3), randn(3))),
    case("frexp", ex.frexp, np.frexp, (np.array([-3.5, 0.3, 7.25, 1e3]),)),
    case("frexp-f32", ex.frexp, np.frexp, (randn(4, dtype=np.float32) * 100,), diff=False),
    case("nextafter", ex.nextafter, np.nextafter, (randn(4), randn(4))),
    case("spacing", ex.spacing, np.spacing, (randn(2, 3),), diff=False),
    case("i0", ex.i0, np.i0, (np.array([-4.0, -0.5, 0.3, 2.0, 9.0]),)),
    case("i0-f32", ex.i0, np.i0, (randn(4, dtype=np.float32),), diff=False),
    case("histogram2d", lambda x, y, w: ex.histogram2d(x, y, bins=3, weights=w),
         lambda x, y, w: np.histogram2d(x, y, bins=3, weights=w),
         (randn(20), randn(20), randn(20) ** 2)),
    case("histogram2d-density", lambda x, y: ex.histogram2d(x, y, bins=[2, 4], density=True),
         lambda x, y: np.histogram2d(x, y, bins=[2, 4], density=True), (randn(20), randn(20)),
         diff=False),
    case("histogramdd", lambda s, w: (lambda h, e: (h, *e))(*ex.histogramdd(
        s, bins=(2, 3, 2), weights=w, range=[(-1, 1), None, (-2, 2)])),
         lambda s, w: (lambda h, e: (h, *e))(*np.histogramdd(
             s, bins=(2, 3, 2), weights=w, range=[(-1, 1), None, (-2, 2)])),
         (randn(15, 3), randn(15) ** 2)),
    case("packbits", lambda x: ex.packbits(x > 0, axis=1), lambda x: np.packbits(x > 0, axis=1),
         (randn(3, 11),), diff=False),
    case("unpackbits", lambda x: ex.unpackbits(ex.packbits(x > 0), count=-2, bitorder="little"),
         lambda x: np.unpackbits(np.packbits(x > 0), count=-2, bitorder="little"),
         (randn(3, 5),), diff=False),
]




def _inexact(a):
    return np.result_type(a).kind in "fc"


def traced(f, args):
    """`f(*args)` computed on traced arguments (inside jvp, concrete tracers)."""
    idx = [i for i, a in enumerate(args) if _inexact(a)]

    def g(*xs):
        full = list(args)
        for i, x in zip(idx, xs):
            full[i] = x
        return f(*full)

    primals = tuple(args[i] for i in idx)
    return fd.jvp(g, primals, tuple(np.zeros_like(p) for p in primals))[0]


def assert_like(got, want, exact=False):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_like(g, w, exact)
        return
    g, w = np.asarray(got), np.asarray(want)
    assert g.shape == w.shape, (g.shape, w.shape)
    assert g.dtype == w.dtype, (g.dtype, w.dtype)
    if exact or w.dtype.kind in "biu":
        np.testing.assert_array_equal(g, w)
    else:
        tol = 1e-5 if np.finfo(w.dtype).bits == 32 else 1e-12
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("f, g, args, differentiable", CASES)
def test_values_like_numpy(f, g, args, differentiable):
    want = g(*args)
    assert_like(f(*args), want, exact=True)  # outside transforms: NumPy itself
    assert_like(traced(f, args), want)


@pytest.mark.parametrize("f, g, args, differentiable", CASES)
def test_jit_like_numpy(f, g, args, differentiable):
    if getattr(f, "data_dependent", False):
        with pytest.raises(ConcretizationError, match="depends on the"):
            fd.jit(f)(*args)
        return
    if f is ex.real_if_close:
        with pytest.raises(ConcretizationError, match="fnp.real"):
            fd.jit(f)(*args)
        return
    if f is ex.allclose:  # a 0-d boolean array under jit
        assert bool(fd.jit(f)(*args)) == g(*args)
        return
    assert_like(fd.jit(f)(*args), g(*args))


@pytest.mark.parametrize("f, g, args, differentiable", [c for c in CASES if c.values[3]])
def test_derivatives_second_order(f, g, args, differentiable):
    assert differentiable
    idx = [i for i, a in enumerate(args) if _inexact(a)]

    def h(*xs):
        full = list(args)
        for i, x in zip(idx, xs):
            full[i] = x
        return f(*full)

    with np.errstate(invalid="ignore"):  # inf - inf in the finite differences of nan_to_num
        check_grads(h, tuple(args[i] for i in idx), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("f, g, args, differentiable", CASES)
def test_vmap_matches_loop(f, g, args, differentiable):
    with np.errstate(invalid="ignore"):  # complex nan/inf
        batched = [np.stack([a, a * 0.5 + 0.25, -a]) for a in map(np.asarray, args)]
    if f is ex.real_if_close or getattr(f, "data_dependent", False):
        with pytest.raises(ConcretizationError):
            fd.vmap(f)(*batched)
        return
    got = fd.vmap(f)(*batched)
    want = [g(*[b[i] for b in batched]) for i in range(3)]
    if isinstance(want[0], tuple):
        want = tuple(np.stack([w[k] for w in want]) for k in range(len(want[0])))
    else:
        want = np.stack(want)
    assert_like(got, want)


def test_vmap_in_axes_and_unbatched_argument():
    a, v = randn(4, 6), randn(3)
    got = fd.vmap(ex.convolve, in_axes=(1, None))(a, v)
    np.testing.assert_allclose(got, np.stack([np.convolve(a[:, i], v) for i in range(6)]))
    got = fd.vmap(lambda p, x: ex.polyval(p, x), in_axes=(None, 0))(randn(3), randn(5, 2))
    assert got.shape == (5, 2)


# -- conventions ------------------------------------------------------------------------
def test_angle_derivative_at_zero_is_zero():
    assert fd.grad(ex.angle)(0j) == 0
    assert fd.grad(ex.angle)(0.0) == 0
    _, t = fd.jvp(ex.angle, (np.array([0j, 1j]),), (np.array([1 + 1j, 1.0 + 0j]),))
    np.testing.assert_allclose(t, [0.0, -1.0])
    # d angle / dz for real output: df/dx - i df/dy = (-y + i x) / |z|^2 ... conj convention
    z = 1.0 + 2.0j
    np.testing.assert_allclose(fd.grad(ex.angle)(z), (-2.0 - 1.0j) / 5)


def test_nan_to_num_replaced_elements_have_zero_gradient():
    x = np.array([nan, inf, -inf, 2.0])
    g = fd.grad(lambda x: fnp.sum(ex.nan_to_num(x, posinf=5.0, neginf=-5.0) ** 2))(x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 4.0])
    g = fd.grad(lambda x: fnp.sum(ex.nan_to_num(x, posinf=x[3])))(x)  # traced replacement
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0, 2.0])


def test_real_if_close_derivatives():
    z = np.array([1.0 + 1e-15j, 2.0 - 1e-16j])
    g = fd.grad(lambda z: fnp.sum(ex.real_if_close(z) * np.array([2.0, 3.0])))(z)
    np.testing.assert_array_equal(g, [2.0, 3.0])  # real part passes; conj convention
    check_grads(lambda z: ex.real_if_close(z), (crandn(3),), order=2)  # stays complex


def test_partition_values_follow_elements_with_ties():
    x = np.array([3.0, 1.0, 3.0, 0.0, 2.0])
    g = fd.grad(lambda x: fnp.sum(ex.partition(x, 3)[3:] * 10.0))(x)
    assert g.sum() == 20.0 and g[3] == 0 and g[1] == 0  # the two largest, wherever they are


def test_linspace_derivatives_in_start_and_stop():
    ga, gb = fd.grad(lambda a, b: fnp.sum(ex.linspace(a, b, 5) * fnp.arange(5.0)),
                     argnums=(0, 1))(0.0, 1.0)
    w = np.arange(5) / 4
    np.testing.assert_allclose([ga, gb], [np.sum((1 - w) * np.arange(5)), np.sum(w * np.arange(5))])
    step = fd.grad(lambda b: ex.linspace(0.0, b, 5, retstep=True)[1])(2.0)
    assert step == 0.25


def test_gradient_differentiable_in_coordinates():
    f = randn(6)
    x = coords(6)
    check_grads(lambda x: ex.gradient(f, x, edge_order=2), (x,), order=2)


def test_integer_and_bool_inputs():
    i = np.arange(6) ** 2
    for fn, gn in [(ex.diff, np.diff), (ex.gradient, np.gradient)]:
        assert_like(fd.jit(fn)(i), gn(i))
    b = np.array([True, False, False, True])
    assert_like(fd.jit(ex.diff)(b), np.diff(b))
    assert_like(fd.jit(ex.convolve)(np.arange(4), np.arange(3)), np.convolve(np.arange(4),
                                                                             np.arange(3)))


def test_numpy_errors_inside_transforms():
    jit = fd.jit
    with pytest.raises(ValueError, match="at least one dimensional"):
        jit(ex.diff)(np.float64(1.0))
    with pytest.raises(ValueError, match="non-negative"):
        jit(lambda a: ex.diff(a, -1))(randn(3))
    with pytest.raises(np.exceptions.AxisError):
        jit(lambda a: ex.diff(a, axis=2))(randn(3))
    with pytest.raises(ValueError, match="too small"):
        jit(lambda f: ex.gradient(f, edge_order=2))(randn(2))
    with pytest.raises(ValueError, match="greater than 2"):
        jit(lambda f: ex.gradient(f, edge_order=3))(randn(5))
    with pytest.raises(TypeError, match="invalid number of arguments"):
        jit(lambda f: ex.gradient(f, 1.0, 2.0))(randn(5))
    with pytest.raises(ValueError, match="must match the length"):
        jit(lambda f: ex.gradient(f, np.arange(3.0)))(randn(5))
    with pytest.raises(ValueError, match="'valid', 'same', or 'full'"):
        jit(lambda a: ex.convolve(a, a, "middle"))(randn(3))
    with pytest.raises(ValueError, match="too deep"):
        jit(lambda a: ex.convolve(a, a))(randn(2, 2))
    with pytest.raises(ValueError, match="cannot be empty"):
        jit(lambda a: ex.convolve(a, np.zeros(0)))(randn(3))
    with pytest.raises(ValueError, match="indexing"):
        jit(lambda a: ex.meshgrid(a, a, indexing="xx"))(randn(3))
    with pytest.raises(ValueError, match="must be non-negative"):
        jit(lambda a: ex.linspace(a, 1.0, -1))(0.0)
    with pytest.raises(ValueError):
        jit(lambda a: ex.partition(a, 5))(randn(3))


def test_numpy_functions_dispatch_to_extras():
    names = [n for n in ex.__all__ if hasattr(fnp, n)]
    assert names == ex.__all__, "funcdiff.numpy exports only part of _extras"
    for n in names:
        assert getattr(fnp, n) is getattr(ex, n)
    g = fd.grad(lambda x: np.sum(np.diff(x) ** 2))(np.array([1.0, 3.0, 2.0]))
    np.testing.assert_allclose(g, [-4.0, 6.0, -2.0])


def test_unique_and_set_results_are_differentiable_through_first_occurrences():
    """unique/union1d gather their values from the inputs (the first occurrence of each),
    so gradients flow to those entries; the indices are NumPy's."""
    a = np.array([3.0, 1.0, 2.0, 3.0, 1.0])
    g = fd.grad(lambda v: fnp.sum(fnp.unique(v) ** 2))(a)
    np.testing.assert_array_equal(g, [6.0, 2.0, 4.0, 0.0, 0.0])
    g = fd.grad(lambda v: fnp.sum(fnp.union1d(v, np.array([2.0, 5.0])) * 3.0))(a)
    np.testing.assert_array_equal(g, [3.0, 3.0, 3.0, 0.0, 0.0])
    g = fd.grad(lambda v: fnp.sum(fnp.interp(np.array([0.5, 1.5]), np.array([0.0, 1.0, 2.0]),
                                              v)))(np.array([1.0, 3.0, 2.0]))
    np.testing.assert_allclose(g, [0.5, 1.0, 0.5])


def test_digitize_and_nanargmax_under_jit_need_no_known_values():
    """Decreasing bins are detected on abstract values too; an all-NaN slice gives -1 where
    NumPy's error cannot be raised (the values are not known)."""
    x = np.array([3.0, 1.5, 0.2])
    dec = np.array([2.5, 1.5, 0.5])
    np.testing.assert_array_equal(fd.jit(fnp.digitize)(x, dec), np.digitize(x, dec))
    np.testing.assert_array_equal(fd.jit(fnp.digitize)(x, dec[::-1]), np.digitize(x, dec[::-1]))
    m = np.array([[1.0, nan], [nan, nan]])
    np.testing.assert_array_equal(fd.jit(lambda v: fnp.nanargmax(v, axis=1))(m), [0, -1])
    with pytest.raises(ValueError, match="All-NaN"):
        fd.jvp(lambda v: fnp.nanargmax(v, axis=1), (m,), (np.zeros_like(m),))



def test_i1_against_scipy():
    """funcdiff's own I1 (i0's derivative, NumPy has none) agrees with SciPy's to rounding."""
    special = pytest.importorskip("scipy.special")
    from funcdiff._src.lax.elementwise import i1

    x = np.concatenate([-np.geomspace(1e-8, 700, 60), [0.0], np.geomspace(1e-8, 700, 60)])
    np.testing.assert_allclose(i1(x), special.i1(x), rtol=2e-14, atol=0)
    x32 = x[np.abs(x) < 80].astype(np.float32)
    assert i1(x32).dtype == np.float32
    np.testing.assert_allclose(i1(x32), special.i1(x32), rtol=1e-6)
    # second derivative of i0 is I1' = I0 - I1/x (1/2 at 0), to any order
    for v in (0.0, 0.3, -2.5, 40.0):
        h2 = fd.grad(fd.grad(fnp.i0))(v)
        want = 0.5 if v == 0 else special.i0(v) - special.i1(v) / v
        np.testing.assert_allclose(h2, want, rtol=1e-13)


# -- JAX's size= (and bincount's length=): fixed-size results on any values -------------------
def _padded(result, size, fill):
    """NumPy's result, cut or padded to `size` entries along its first axis."""
    if isinstance(result, tuple):
        return tuple(_padded(r, size, fill) for r in result)
    r = np.asarray(result)[:size]
    pad = np.full((size - len(r),) + r.shape[1:], fill, r.dtype)
    return np.concatenate([r, pad])


_MASKED = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]])
_MASK = _MASKED != 0
_VALUES = np.array([2.5, -1.0, 2.5, 0.5, -1.0, 4.0])
_OTHER = np.array([0.5, 3.0, 4.0])
# derivatives: where the selection is locally constant (a fixed mask; distinct values, so
# finite differences do not break ties)
_DISTINCT, _DISTINCT2 = np.array([2.5, -1.0, 0.3, 4.0]), np.array([0.3, 3.0, 4.0])
SIZED = [
    # (id, funcdiff call, NumPy's result cut/padded, args, args for derivatives or None)
    ("nonzero", lambda a: fnp.nonzero(a, size=4, fill_value=-1),
     lambda a: _padded(np.nonzero(a), 4, -1), (_MASKED,), None),
    ("nonzero-short", lambda a: fnp.nonzero(a, size=2),
     lambda a: _padded(np.nonzero(a), 2, 0), (_MASKED,), None),
    ("argwhere", lambda a: fnp.argwhere(a, size=4, fill_value=7),
     lambda a: _padded(np.argwhere(a), 4, 7), (_MASKED,), None),
    ("flatnonzero", lambda a: fnp.flatnonzero(a, size=5),
     lambda a: _padded(np.flatnonzero(a), 5, 0), (_MASKED,), None),
    ("where-1arg", lambda a: fnp.where(a > 0, size=3, fill_value=9),
     lambda a: _padded(np.where(a > 0), 3, 9), (_MASKED,), None),
    ("extract", lambda a: fnp.extract(_MASK, a, size=4, fill_value=0.5),
     lambda a: _padded(np.extract(_MASK, a), 4, 0.5), (_MASKED,), (_MASKED,)),
    ("compress", lambda a: fnp.compress(_MASK[0], a, axis=1, size=3, fill_value=-4.0),
     lambda a: np.concatenate([np.compress(_MASK[0], a, axis=1), np.full((2, 1), -4.0)], 1),
     (_MASKED,), (_MASKED,)),
    ("unique", lambda v: fnp.unique(v, size=6, fill_value=9.0),
     lambda v: _padded(np.unique(v), 6, 9.0), (_VALUES,), (_DISTINCT,)),
    ("unique-default-fill", lambda v: fnp.unique(v, size=5),
     lambda v: _padded(np.unique(v), 5, np.min(v)), (_VALUES,), (_DISTINCT,)),
    ("unique-all", lambda v: fnp.unique(v, True, True, True, size=3),
     lambda v: (lambda u, i, inv, c: (u[:3], i[:3], inv, c[:3]))(
         *np.unique(v, True, True, True)), (_VALUES,), None),
    ("unique_counts", lambda v: tuple(fnp.unique_counts(v, size=5, fill_value=0.0)),
     lambda v: (_padded(np.unique_counts(v).values, 5, 0.0),
                _padded(np.unique_counts(v).counts, 5, 0)), (_VALUES,), (_DISTINCT,)),
    ("unique_inverse", lambda v: tuple(fnp.unique_inverse(v, size=4)),
     lambda v: tuple(np.unique_inverse(v)), (_VALUES,), (_DISTINCT,)),
    ("union1d", lambda a, b: fnp.union1d(a, b, size=7, fill_value=0.0),
     lambda a, b: _padded(np.union1d(a, b), 7, 0.0), (_VALUES, _OTHER), None),
    ("intersect1d", lambda a, b: fnp.intersect1d(a, b, size=3, fill_value=0.0),
     lambda a, b: _padded(np.intersect1d(a, b), 3, 0.0), (_VALUES, _OTHER), None),
    ("intersect1d-indices", lambda a, b: fnp.intersect1d(a, b, return_indices=True, size=2),
     lambda a, b: np.intersect1d(a, b, return_indices=True), (_VALUES, _OTHER), None),
    ("setdiff1d", lambda a, b: fnp.setdiff1d(a, b, size=4, fill_value=0.0),
     lambda a, b: _padded(np.setdiff1d(a, b), 4, 0.0), (_VALUES, _OTHER), None),
    ("setxor1d", lambda a, b: fnp.setxor1d(a, b, size=5, fill_value=0.0),
     lambda a, b: _padded(np.setxor1d(a, b), 5, 0.0), (_VALUES, _OTHER), None),
    ("bincount", lambda w: fnp.bincount(np.array([0, 3, 3, 1, 7]), w, length=4),
     lambda w: np.bincount(np.array([0, 3, 3, 1, 7]), w)[:4], (np.arange(5.0) + 0.5,),
     (np.arange(5.0) + 0.5,)),
    ("bincount-counts", lambda x: fnp.bincount(fnp.astype(x, np.intp), length=6),
     lambda x: np.bincount(x.astype(np.intp), minlength=6)[:6],
     (np.array([0.0, 2.0, 2.0, 5.0]),), None),
]


@pytest.mark.parametrize("f, want, args, grad_args",
                         [pytest.param(*row[1:], id=row[0]) for row in SIZED])
def test_size_fixes_data_dependent_results(f, want, args, grad_args):
    """With size= the same values eagerly, under jvp, under jit, and under vmap (against a
    loop), and derivatives against finite differences where the selection is locally
    constant."""
    expected = want(*args)
    assert_like(f(*args), expected, exact=True)
    assert_like(traced(f, args), expected)
    assert_like(fd.jit(f)(*args), expected)
    batched = [np.stack([a, a[::-1] if a.ndim == 1 else a * 2.0]) for a in args]
    loop = [f(*[b[i] for b in batched]) for i in range(2)]
    got = fd.vmap(f)(*batched)
    if isinstance(loop[0], tuple):
        loop = tuple(np.stack([r[k] for r in loop]) for k in range(len(loop[0])))
    else:
        loop = np.stack(loop)
    assert_like(got, loop)
    if grad_args is not None:
        check_grads(f, grad_args, order=2, modes=("fwd", "rev"))


def test_set_operations_with_size_are_differentiable():
    """union/intersect/setdiff/setxor with size=: the values follow their first occurrence
    in the concatenated inputs (as without size=)."""
    a, b = _DISTINCT, _DISTINCT2  # 0.3 and 4.0 in both
    for name in ("union1d", "intersect1d", "setdiff1d", "setxor1d"):
        fn = getattr(fnp, name)
        g_sized = fd.grad(lambda a, b, fn=fn: fnp.sum(fn(a, b, size=8, fill_value=0.0) ** 2),
                          argnums=(0, 1))(a, b)
        g_exact = fd.grad(lambda a, b, fn=fn: fnp.sum(fn(a, b) ** 2), argnums=(0, 1))(a, b)
        for gs, ge in zip(g_sized, g_exact):
            np.testing.assert_allclose(gs, ge)
        assert np.any(g_sized[0])


def test_size_errors_name_the_argument():
    with pytest.raises(TypeError, match="size must be a non-negative integer"):
        fnp.nonzero(np.ones(3), size=2.5)
    with pytest.raises(ValueError, match="size must be non-negative"):
        fnp.unique(np.ones(3), size=-1)
    with pytest.raises(ValueError, match="fill_value: expected a scalar or 2 values"):
        fnp.nonzero(np.ones((2, 2)), size=2, fill_value=(0, 0, 0))
    with pytest.raises(ValueError, match="size and fill_value apply to where"):
        fnp.where(np.ones(2) > 0, 1.0, 2.0, size=2)
    with pytest.raises(ValueError, match="needs a fill_value"):
        fnp.unique(np.zeros(0), size=2)
    # without size=, under jit the error names the way out
    with pytest.raises(ConcretizationError):
        fd.jit(lambda v: fnp.unique(v))(_VALUES)


def test_scalar_types_are_numpys_and_convert_traced_values():
    """fnp.float32 & co. are NumPy's types wherever a type is read, and (JAX's
    jnp.float32(x)) convert traced values: differentiable, under jit and vmap."""
    import pickle

    x = np.array([1.5, -2.5])
    assert np.zeros(2, fnp.float32).dtype == np.float32 and np.dtype(fnp.int8) == np.int8
    assert x.astype(fnp.complex64).dtype == np.complex64
    assert fnp.float32 == np.float32 and np.float32 == fnp.float32
    assert {np.float64: "f8"}[fnp.float64] == "f8"
    assert isinstance(np.float32(1.0), fnp.float32) and not isinstance(1.0, fnp.float32)
    assert np.issubdtype(fnp.float16, np.floating) and fnp.bool is fnp.bool_
    assert pickle.loads(pickle.dumps(fnp.float32)) == np.float32
    assert type(fnp.float32(1.5)) is np.float32 and fnp.int64() == 0  # NumPy's, outside
    np.testing.assert_array_equal(fd.grad(lambda x: fnp.sum(fnp.float32(x) * x))(x),
                                  2 * x.astype(np.float32))
    got = fd.jit(lambda x: fnp.int64(x))(x)
    assert got.dtype == np.int64 and np.array_equal(got, x.astype(np.int64))
    got = fd.vmap(fnp.float32)(np.stack([x, 2 * x]))
    assert got.dtype == np.float32
    assert not np.any(fd.grad(lambda x: fnp.sum(fnp.int32(x) * 1.0))(x))  # integers: 0
    with pytest.raises(fd.DetachError):  # NumPy's own type converts with numpy.asarray
        fd.grad(lambda x: fnp.sum(np.float32(x)))(x)


def test_asarray_copy_is_numpys():
    a = np.ones(3)
    b = fnp.asarray(a, copy=True)
    b[0] = 5.0
    assert a[0] == 1.0 and fnp.asarray(a) is a
    with pytest.raises(ValueError):
        fnp.asarray([1.0, 2.0], copy=False)  # NumPy's: a list needs a copy
    np.testing.assert_allclose(fd.grad(lambda x: fnp.sum(fnp.asarray(x, copy=True) ** 2))(a),
                               2 * a)


@pytest.mark.parametrize("name", ["unique", "union1d", "intersect1d", "setdiff1d", "setxor1d",
                                  "nonzero"])
def test_size_matches_numpy_on_random_data(name):
    """Hypothesis-drawn data with ties and NaN: size= under jit is NumPy's result cut or
    padded (the fill value where short)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    values = st.lists(st.sampled_from([0.0, 1.0, -2.0, 3.5, np.nan]), min_size=0, max_size=9)

    @settings(max_examples=40, deadline=None)
    @given(values, values, st.integers(1, 8))
    def check(a, b, size):
        a, b = np.array(a, float), np.array(b, float)
        if name == "nonzero":
            want = _padded(np.nonzero(a), size, 7)
            got = fd.jit(lambda a: fnp.nonzero(a, size=size, fill_value=7))(a)
        elif name == "unique":
            if not len(a):
                return
            want = _padded(np.unique(a), size, -9.0)
            got = fd.jit(lambda a: fnp.unique(a, size=size, fill_value=-9.0))(a)
        else:
            want = _padded(getattr(np, name)(a, b), size, -9.0)
            got = fd.jit(lambda a, b: getattr(fnp, name)(a, b, size=size, fill_value=-9.0))(a, b)
        assert_like(got, want)

    check()


def test_histograms_and_bits_match_numpy_on_random_data():
    """Hypothesis-drawn samples (ties, values on the edges, a constant column) and bit
    arrays: histogram2d/histogramdd and packbits/unpackbits under jit are NumPy's."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    coords = st.lists(st.sampled_from([-1.0, 0.0, 0.25, 1.0, 2.0]), min_size=1, max_size=12)

    @settings(max_examples=30, deadline=None)
    @given(coords, st.integers(1, 4), st.booleans())
    def check_hist(xs, bins, density):
        x = np.array(xs)
        y = x[::-1] * 0.5
        want = np.histogram2d(x, y, bins=bins, density=density)
        got = fd.jit(lambda x, y: ex.histogram2d(x, y, bins=bins, density=density))(x, y)
        assert_like(got, want)
        sample = np.stack([x, y, np.ones_like(x)], axis=1)  # (a constant column: widened)
        want = np.histogramdd(sample, bins=bins)
        got = fd.jit(lambda s: ex.histogramdd(s, bins=bins))(sample)
        assert_like((got[0], *got[1]), (want[0], *want[1]))

    @settings(max_examples=30, deadline=None)
    @given(st.lists(st.booleans(), min_size=1, max_size=20), st.integers(-12, 30),
           st.sampled_from(["big", "little"]))
    def check_bits(bits, count, order):
        b = np.array(bits)
        packed = np.packbits(b, bitorder=order)
        assert_like(fd.jit(lambda b: ex.packbits(b, bitorder=order))(b), packed)
        if count < -8 * len(packed):
            for unpack in (np.unpackbits, fd.jit(ex.unpackbits, static_argnums=(1, 2))):
                with pytest.raises(ValueError, match="-count larger"):
                    unpack(packed, None, count)
            return
        assert_like(fd.jit(lambda p: ex.unpackbits(p, count=count, bitorder=order))(packed),
                    np.unpackbits(packed, count=count, bitorder=order))

    check_hist()
    check_bits()
