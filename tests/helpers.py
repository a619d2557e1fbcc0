"""Helpers shared by the test modules: comparisons, random inputs, finite differences, and
parametrization without skips.

Import them as `from helpers import ...`: pytest puts this directory on `sys.path` (the
test files live in a folder without `__init__.py`, collected in pytest's default "prepend"
import mode; conftest.py is imported from the same folder the same way).

Tolerances: every comparison takes its tolerance as an argument; the defaults are the
strict ones (1e-12), and a test that needs a looser one says so where it calls.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import funcdiff as fd
from funcdiff.tree import tree_map

__all__ = [
    "assert_same",
    "close",
    "fd_grad",
    "fd_jac",
    "inside",
    "inside_jvp",
    "leaves",
    "normal",
    "rand",
    "line_of",
    "INTEGER_ONLY",
    "close_scaled",
    "parametrize_product",
    "tree_close",
]


# -- comparisons -------------------------------------------------------------------------
def close(a, b, tol=1e-12):
    """Values of `a` and `b` within `tol`, relative and absolute (NaNs at the same places)."""
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def close_scaled(got, want, rtol=1e-9):
    """Same shape, and values within `rtol` relative to the largest entry of `want` (for
    results with entries of very different sizes: inverses, adjugates, factors)."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    scale = max(1.0, float(np.abs(want).max(initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


def tree_close(a, b, tol=1e-12):
    """`close` leaf by leaf over two pytrees of the same structure."""
    tree_map(lambda x, y: close(x, y, tol), a, b)


def leaves(x):
    """The outputs of a function as a list: the items of a tuple, else `[x]`."""
    return list(x) if isinstance(x, tuple) else [x]


def assert_same(got, want, rtol=1e-12, atol=1e-12):
    """Same shapes and dtypes and values within tolerance, output by output (a tuple's
    items, else the one array)."""
    for g, w in zip(leaves(got), leaves(want), strict=True):
        assert np.shape(g) == np.shape(w), (np.shape(g), np.shape(w))
        assert np.result_type(g) == np.result_type(w), (np.result_type(g), np.result_type(w))
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


# -- values computed through the primitives ----------------------------------------------
def inside(f, *args):
    """`f(*args)` computed inside a transform (under vjp, so through funcdiff's primitives,
    not NumPy's or SciPy's own functions)."""
    return fd.vjp(f, *args)[0]


def inside_jvp(f, *args):
    """`f(*args)` computed under jvp (every argument a concrete tracer, zero tangents)."""
    return fd.jvp(f, args, tuple(np.zeros_like(a) for a in args))[0]


# -- random inputs -----------------------------------------------------------------------
# elementwise primitives defined on integers and booleans only (NumPy raises for floats)
INTEGER_ONLY = frozenset({"bitwise_and", "bitwise_or", "bitwise_xor", "invert", "left_shift",
                          "right_shift", "gcd", "lcm", "bitwise_count"})


def line_of(path, marker):
    """The number of the one line of file `path` that ends with the comment `# <marker>`
    (for tests that check a report names the user's line)."""
    with open(path) as f:
        lines = [i for i, ln in enumerate(f.read().splitlines(), 1) if ln.endswith("# " + marker)]
    assert len(lines) == 1, (marker, lines)
    return lines[0]


def rand(shape, dtype=np.float64, seed=0):
    """A standard-normal array of `shape` and `dtype` from a generator seeded with `seed`."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def normal(rng, shape, dtype=np.float64):
    """Standard normal draws from `rng` as `dtype`: complex dtypes get an imaginary part
    from a second draw, integer dtypes integers in [-5, 5) from a draw after the first.

    Each module binds its own generator, `rand = functools.partial(normal, RNG)`, so its
    inputs do not depend on which other modules run.
    """
    x = rng.standard_normal(shape)
    kind = np.dtype(dtype).kind
    if kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    elif kind in "iu":
        x = rng.integers(-5, 5, shape)
    return np.asarray(x, dtype)


# -- finite differences ------------------------------------------------------------------
def _wide(v):
    v = np.asarray(v)
    return v.astype(np.complex128 if v.dtype.kind == "c" else np.float64)


def fd_jac(f, x, eps=1e-6):
    """Central differences of `f` at `x`, one entry of `x` at a time (step `eps`): the
    Jacobian with the output axes first, `f(x).shape + x.shape`. `x` is taken in float64
    (complex128 if complex: real steps, the complex derivative of a holomorphic `f`)."""
    x = np.asarray(x, np.complex128 if np.iscomplexobj(x) else np.float64)
    cols = []
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        cols.append((_wide(f(x + e)) - _wide(f(x - e))) / (2 * eps))
    if not cols:
        return np.zeros(np.shape(f(x)) + x.shape)
    return np.stack(cols, axis=-1).reshape(cols[0].shape + x.shape)


def fd_grad(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function of one array (see `fd_jac`)."""
    return fd_jac(f, x, eps)


# -- parametrization ---------------------------------------------------------------------
def _param_id(value, name, index):
    """The id pytest gives `value`, the `index`-th value of parameter `name`."""
    if isinstance(value, (str, int, float, complex, bool)) or value is None:
        return str(value)
    if isinstance(getattr(value, "__name__", None), str):
        return value.__name__
    return f"{name}{index}"


def parametrize_product(keep=None, **axes):
    """`pytest.mark.parametrize` over the product of the value lists `axes` (the first
    varies slowest, as when one `parametrize` decorator is stacked per axis, the first axis
    nearest the function), keeping only the combinations where `keep(**combination)` is
    true: a combination that does not apply is never generated (no skip at run time).
    The ids are the ones the stacked decorators would give, e.g. `solve-shape0-float64`.
    """
    names = list(axes)
    lists = [list(values) for values in axes.values()]
    params = []
    for idx in itertools.product(*(range(len(values)) for values in lists)):
        combo = tuple(values[i] for values, i in zip(lists, idx))
        if keep is None or keep(**dict(zip(names, combo))):
            ids = (_param_id(v, n, i) for v, n, i in zip(combo, names, idx))
            params.append(pytest.param(*combo, id="-".join(ids)))
    return pytest.mark.parametrize(",".join(names), params)


@fd.custom_jvp
def softplus(x):
    """log(1 + exp(x)) with a hand-written JVP rule: a custom_jvp function for tests."""
    return fd.numpy.logaddexp(x, 0.0)


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t / (1.0 + fd.numpy.exp(-x))
