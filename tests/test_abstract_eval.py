"""Shape/dtype rules (`abstract_eval`) of the elementwise and `scipy.special` primitives.

`elementwise(...)` derives each primitive's rule: NumPy's broadcasting of the input
shapes, and the dtype from NumPy's type resolution of the implementation's ufunc
(`ufunc.resolve_dtypes`, Python scalars weakly) or a declared rule, never from running
the implementation on data. These tests hold every such rule to what the
implementation itself returns, over a table of input dtypes (arrays and Python
scalars) and of shapes (0-d, broadcasting, size 0): the same shape and dtype, or an
error of the same kind where the implementation raises one.
"""

from __future__ import annotations

import inspect
import itertools
import warnings

import numpy as np
import pytest
from helpers import INTEGER_ONLY

import funcdiff._src.lax.elementwise as ew
import funcdiff._src.scipy.special as fsp_impl
from funcdiff._src.core import Primitive, ShapedArray, get_aval

PRIMITIVES = [
    p
    for module in (ew, fsp_impl)
    for p in dict.fromkeys(v for v in vars(module).values() if isinstance(v, Primitive))
]
# convert_element_type has a parameter (the dtype): tested on its own below
ELEMENTWISE = [p for p in PRIMITIVES if p.name != "convert_element_type"]


def _arity(prim):
    impl = prim.impl
    if isinstance(impl, np.ufunc):
        return impl.nin
    sig = inspect.signature(impl)
    return sum(
        1 for q in sig.parameters.values()
        if q.default is q.empty and q.kind in (q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD)
    )


DTYPES = [np.bool_, np.int8, np.int32, np.int64, np.uint8, np.float16, np.float32,
          np.float64, np.complex64, np.complex128]
PYTHON_SCALARS = [True, 1, 1.0, 1.0 + 0j]
# one input per entry: arrays of each dtype (shape (2,); 0-d below) and Python scalars
INPUTS = [np.ones(2, d) for d in DTYPES] + PYTHON_SCALARS


def _run(fn, *args):
    """('ok', result) or ('error', exception type) of `fn(*args)`, quietly."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return "ok", fn(*args)
        except (TypeError, ValueError) as e:  # no loop for the dtypes; shape mismatch
            return "error", TypeError if isinstance(e, TypeError) else ValueError


def _check(prim, args):
    """`prim.abstract_eval` on `args`' abstract values agrees with `prim.impl(*args)`."""
    kind, out = _run(prim.impl, *args)
    akind, aval = _run(prim.abstract_eval, *[get_aval(a) for a in args])
    where = f"{prim.name}{tuple(_describe(a) for a in args)}"
    if kind == "error":
        assert (akind, aval) == ("error", out), (
            f"{where}: the implementation raises {out.__name__}, the rule gives {aval}"
        )
        return
    assert akind == "ok", (
        f"{where}: the rule raises {aval.__name__}, the implementation gives {get_aval(out)}"
    )
    expected = get_aval(out)
    assert isinstance(aval, ShapedArray), where
    assert (aval.shape, aval.dtype) == (expected.shape, expected.dtype), (
        f"{where}: rule {aval}, implementation {expected}"
    )
    # Python scalars in, a Python scalar out (real, imag, stop_gradient): weak, so that
    # later operations promote it weakly; `mul_safe`'s is a Python scalar or NumPy's
    # zero depending on the values, and its rule says NumPy's
    if prim.name != "mul_safe":
        assert aval.weak == expected.weak, f"{where}: rule {aval}, implementation {expected}"


def _describe(a):
    return f"{a.dtype}{list(a.shape)}" if isinstance(a, np.ndarray) else repr(a)


def test_every_primitive_has_a_rule():
    assert len(PRIMITIVES) > 100
    missing = [p.name for p in PRIMITIVES if p.abstract_eval is None]
    assert not missing, f"no abstract_eval: {missing}"


@pytest.mark.parametrize("prim", ELEMENTWISE, ids=lambda p: p.name)
def test_dtypes_are_the_implementations(prim):
    """Every combination of input dtypes (arrays, Python scalars)."""
    for args in itertools.product(INPUTS, repeat=_arity(prim)):
        _check(prim, args)


_INTEGER_ONLY = INTEGER_ONLY  # (tests/helpers.py)
SHAPES = {
    1: [(), (0,), (3,), (2, 3), (1, 0, 2)],
    2: [((), ()), ((), (3,)), ((3,), ()), ((2, 3), (3,)), ((2, 1), (1, 3)), ((1,), (2, 0)),
        ((3,), (4,)), ((2, 3), (3, 2))],
    3: [((), (), ()), ((3,), (), (2, 1)), ((2, 1, 1), (3, 1), (4,)), ((2,), (3,), ()),
        ((0,), (1,), ())],
    4: [((), (), (), ()), ((3,), (), (2, 1), (1,)), ((2, 1, 1), (3, 1), (4,), ()),
        ((0,), (1,), (), ()), ((3,), (4,), (), ())],
}


@pytest.mark.parametrize("prim", ELEMENTWISE, ids=lambda p: p.name)
def test_shapes_broadcast(prim):
    """Broadcasting (and its errors), 0-d arrays, size 0, Python scalars with arrays."""
    n = _arity(prim)
    dtype = np.int32 if prim.name in _INTEGER_ONLY else np.float32
    for shapes in SHAPES[n]:
        shapes = (shapes,) if n == 1 else shapes
        _check(prim, [np.full(s, 1, dtype) for s in shapes])
    if n > 1:  # a Python scalar in each position, with 0-d and 2-d arrays
        for k, s in itertools.product(range(n), [(), (2, 3)]):
            _check(prim, [1.0 if i == k else np.ones(s, dtype) for i in range(n)])


def test_0d_arrays():
    """0-d arrays (strong, unlike Python scalars): NumPy scalars out, shape ()."""
    for prim in ELEMENTWISE:
        n = _arity(prim)
        for d in (np.int64, np.float32, np.complex128):
            _check(prim, [np.ones((), d)] * n)


def test_python_ints_beyond_int64():
    """A Python int outside int64 (its abstract value's dtype is NumPy's for it: object
    or uint64) still promotes as a Python int does."""
    for k, x in itertools.product((2**63, 2**70), (np.ones(3), np.ones(3, np.float32))):
        for prim in (ew.add_p, ew.multiply_p, ew.divide_p, ew.where_p):
            args = (x > 0, x, k) if prim is ew.where_p else (x, k)
            _check(prim, args)


def test_convert_element_type():
    prim = ew.convert_element_type_p
    for x, d in itertools.product(INPUTS + [np.ones((), np.float32)], DTYPES):
        kind, out = _run(prim.impl, x, np.dtype(d))
        if kind == "error":  # a Python complex to a real dtype (`convert_element_type`
            continue  # takes the real part first)
        aval = prim.abstract_eval(get_aval(x), np.dtype(d))
        assert (aval.shape, aval.dtype, aval.weak) == (np.shape(out), out.dtype, False)


def test_rules_cost_no_data():
    """The rules read dtypes and shapes only: inputs of 8 TB each cost nothing (the
    ufuncs' type resolution; polygamma and zeta run SciPy on 0-size arrays)."""
    big = ShapedArray((10**6, 10**6), np.float64)
    for prim in ELEMENTWISE:
        d = np.int64 if prim.name in _INTEGER_ONLY else np.float64
        dtypes = [d] * _arity(prim)
        if prim.name == "ldexp":  # x * 2**n: an integer exponent
            dtypes[1] = np.int64
        aval = prim.abstract_eval(*[ShapedArray(big.shape, t) for t in dtypes])
        assert aval.shape == big.shape
