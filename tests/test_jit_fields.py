"""`jit` knows primitives only through their fields (issue #14).

`Primitive.scalar` (the math form of scalar float64 programs), `identity` and
`neutral` (no-ops the optimizer drops) and `aliases` (which outputs may share memory
with the inputs, so `jit` copies them) are set beside each primitive; jit.py compares
no primitive names. A primitive under a new name with the same fields gets the same
treatment, and one without them is treated conservatively.
"""

from __future__ import annotations

import ast
import operator
import pathlib

import numpy as np
import pytest

import funcdiff as fd
import funcdiff._src.lax.elementwise as ew
from funcdiff._src.core import Primitive

X3 = np.array([0.5, -1.0, 2.0])


JIT_SOURCES = sorted((pathlib.Path(fd.__file__).parent / "_src" / "jit").glob("*.py"))


@pytest.mark.parametrize("path", JIT_SOURCES, ids=lambda p: p.name)
def test_jit_compares_no_primitive_names(path):
    """jit reads a primitive's name only inside f-strings: generated identifiers and
    messages, never a comparison or a table's key."""
    tree = ast.parse(path.read_text())

    def prim_names(node):
        return [
            n for n in ast.walk(node)
            if isinstance(n, ast.Attribute) and n.attr == "name" and "prim" in ast.unparse(n.value)
        ]

    in_fstrings = {id(n) for s in ast.walk(tree) if isinstance(s, ast.JoinedStr)
                   for n in prim_names(s)}
    uses = prim_names(tree)
    if path.name == "codegen.py":
        assert uses  # (the walk finds them: the generated names use them)
    bad = [ast.unparse(n) for n in uses if id(n) not in in_fstrings]
    assert not bad, bad


def _plus():
    """np.add under another name, declared as add is."""
    return ew.elementwise(
        "plus_under_another_name", np.add, lambda o, x, y: ew.ONE, lambda o, x, y: ew.ONE,
        linear="all", scalar=operator.add, neutral=(0, 0),
    )


def test_a_renamed_primitive_keeps_the_scalar_path_and_noops():
    plus = _plus()
    f = fd.jit(lambda x, y: plus.bind(x, y))
    src = f.source(0.5, 2.0)
    assert "(v0 + v1)" in src and "float(" in src  # the scalar path, infix
    assert type(f(0.5, 2.0)) is np.float64 and f(0.5, 2.0) == 2.5
    g = fd.jit(lambda x: plus.bind(0.0, plus.bind(x, np.zeros(3))))
    assert g.lower(X3).eqns == []  # both additions of zero dropped
    out = g(X3)
    np.testing.assert_array_equal(out, X3)
    assert out is not X3  # the input is returned as a copy


def test_fields_unset_mean_no_optimization():
    """A primitive without `scalar`, `neutral`, `identity`: nothing is assumed."""
    plain = Primitive("plain_add", np.add)
    plain.abstract_eval = ew.elementwise_abstract_eval(np.add)
    f = fd.jit(lambda x: plain.bind(x, 0.0))
    assert [e.prim for e in f.lower(X3).eqns] == [plain]
    assert "float(" not in f.source(0.5)  # no math form: NumPy code
    np.testing.assert_array_equal(f(X3), X3)


def test_aliases_decide_the_copies():
    """An output that `aliases` says may be a view of an input is copied; a new one not."""
    def every_other(x):
        return x[::2]

    view = Primitive("every_other_view", every_other)
    view.abstract_eval = lambda a: type(a)(((a.shape[0] + 1) // 2,), a.dtype)
    view.aliases = "view"
    f = fd.jit(lambda x: view.bind(x))
    assert ".copy()" in f.source(X3)
    out = f(X3)
    out[0] = 7.0
    assert X3[0] == 0.5
    new = Primitive("every_other_new", lambda x: x[::2].copy())
    new.abstract_eval = view.abstract_eval
    new.aliases = "new"
    assert ".copy()" not in fd.jit(lambda x: new.bind(x)).source(X3)
