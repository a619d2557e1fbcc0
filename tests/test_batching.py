"""vmap of every primitive against a Python loop, over in_axes and batch sizes.

Each row of the primitive tables (tests/test_primitives.py) is run under
`vmap` with in_axes 0, 1 and -1 for every argument, and with each argument
in turn unmapped (`None`), for batch sizes 0, 1 and 3, and compared with a
loop over the examples. `test_no_primitive_lacks_a_batching_rule` lists the
primitives that would need the slow generic fallback (there must be none).
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
import warnings
import zlib

import numpy as np
import pytest

import funcdiff
import funcdiff as fd
import funcdiff.numpy as fnp
from funcdiff._src.core import Primitive
from funcdiff._src.interpreters import batching as vmap_module
from tests.test_primitives import ELEMENTWISE, FAMILIES, _uniform


def all_primitives():
    prims = {}
    for info in pkgutil.walk_packages(funcdiff.__path__, "funcdiff."):
        mod = importlib.import_module(info.name)
        for value in vars(mod).values():
            if isinstance(value, Primitive):
                prims[value.name] = value
    return prims


def test_no_primitive_lacks_a_batching_rule():
    missing = sorted(
        name
        for name, p in all_primitives().items()
        if p.batch is None and not p.collective
    )
    assert missing == [], f"primitives without a batching rule (would loop): {missing}"


def _axes_cases(nargs):
    cases = [(ax,) * nargs for ax in (0, 1, -1)]
    if nargs > 1:
        for i in range(nargs):
            cases.append(tuple(None if j == i else 0 for j in range(nargs)))
    return cases


def _batched(draw, shape, ax, n):
    if ax is None:
        return draw(shape)
    full = list(shape)
    pos = ax if ax >= 0 else len(shape) + 1 + ax
    full.insert(pos, n)
    return draw(tuple(full))


def _loop(f, args, axes, n, example_out):
    outs = []
    for i in range(n):
        sl = [a if ax is None else np.take(a, i, axis=ax) for a, ax in zip(args, axes)]
        outs.append(np.asarray(f(*sl)))
    if not outs:
        return np.zeros((0,) + np.shape(example_out), np.result_type(example_out))
    return np.stack(outs)


def _check(f, draws, shapes, axes, n):
    if any(ax is not None and len(s) == 0 and ax not in (0, -1) for s, ax in zip(shapes, axes)):
        return  # axis 1 of a 0-d example does not exist
    args = [_batched(d, s, ax, n) for d, s, ax in zip(draws, shapes, axes)]
    example = f(*[d(s) for d, s in zip(draws, shapes)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = fd.vmap(f, in_axes=tuple(axes))(*args)
        want = _loop(f, args, axes, n, example)
    assert np.shape(got) == np.shape(want), (np.shape(got), np.shape(want))
    assert np.result_type(got) == np.result_type(want)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12, equal_nan=True)


def _elementwise_cases():
    for row in ELEMENTWISE:
        nargs = len(row.args)
        for axes, n in itertools.product(_axes_cases(nargs), (0, 1, 3)):
            yield pytest.param(row, axes, n, id=f"{row.id}-{axes}-{n}")


@pytest.mark.parametrize("row, axes, n", list(_elementwise_cases()))
def test_vmap_elementwise(row, axes, n):
    dtype = np.dtype(row.dtypes[0])
    rng = np.random.default_rng(zlib.crc32(f"{row.id}{axes}{n}".encode()))
    samplers = [s if callable(s) else _uniform(*s) for s in row.args]
    draws = [
        (lambda shape, s=s: np.asarray(s(rng, shape)).astype(dtype)) for s in samplers
    ]
    _check(row.fn, draws, [(2,)] * len(samplers), axes, n)


def _family_cases():
    for row in FAMILIES:
        for axes, n in itertools.product(_axes_cases(len(row.shapes)), (0, 1, 3)):
            yield pytest.param(row, axes, n, id=f"{row.name}-{axes}-{n}")


@pytest.mark.parametrize("row, axes, n", list(_family_cases()))
def test_vmap_families(row, axes, n):
    fn = getattr(fnp, row.fn) if isinstance(row.fn, str) else row.fn
    rng = np.random.default_rng(zlib.crc32(f"{row.name}{axes}{n}".encode()))

    def draw(shape):
        return rng.uniform(0.2, 2.0, shape) * rng.choice([-1, 1], shape)
    _check(fn, [draw] * len(row.shapes), list(row.shapes), axes, n)


def test_vmap_table_needed_no_fallback():
    # runs after the table tests in this module: none of them hit the loop fallback
    assert vmap_module.FALLBACK_USED == set()


def test_fallback_loop_warns_once_and_is_correct():
    p = Primitive("test_only_double", lambda x: 2 * x)
    p.jvp = lambda primals, tangents: (p.bind(primals[0]), 2 * tangents[0])
    try:
        with pytest.warns(UserWarning, match="test_only_double"):
            out = fd.vmap(lambda x: p.bind(x))(np.arange(3.0))
        np.testing.assert_allclose(out, [0.0, 2.0, 4.0])
    finally:
        vmap_module.FALLBACK_USED.discard("test_only_double")
