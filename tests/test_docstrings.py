"""Every docstring example in funcdiff runs: `>>>` examples pass under doctest, code runs.

Every module under `funcdiff` (public and private: `pkgutil.walk_packages`), every
docstring that doctest finds in it (the module's, and those of the functions, classes,
methods and properties defined there), and in each docstring:

- its `>>>` examples (usually inside a ```python fence that ends after a blank line) run
  under doctest, with the flags of the docs pages' runs (`ELLIPSIS`, `NORMALIZE_WHITESPACE`);
- every ```python fence without `>>>` runs as code; a `test_*` function it defines (the
  hypothesis strategies' examples) is then called. A result such a block states is an
  `assert` in it (or the block is a doctest).

Both run in the module's globals (as `doctest.testmod` gives them) plus `np`, `fd` and
`fnp`, with warnings as errors. `test_every_docstring_example_is_collected` checks that
the walk sees every docstring with an example that the source files hold.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import pkgutil
import re
import textwrap
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import funcdiff
import funcdiff as fd
import funcdiff.numpy as fnp

PACKAGE = Path(funcdiff.__file__).resolve().parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
FENCE = re.compile(r"^([ \t]*)```python[ \t]*\n(.*?)^[ \t]*```[ \t]*$", re.S | re.M)


def _has_example(doc):
    return bool(doc) and (">>>" in doc or FENCE.search(doc) is not None)


# funcdiff.scipy needs SciPy (an optional dependency)
SKIPPED = () if importlib.util.find_spec("scipy") else ("funcdiff.scipy",)


def _modules():
    # all of them: funcdiff.demo only defines functions on import (its tour runs under
    # __main__)
    names = ["funcdiff"] + [
        m.name for m in pkgutil.walk_packages(funcdiff.__path__, "funcdiff.")
    ]
    return [
        importlib.import_module(n)
        for n in names
        if not any(n == s or n.startswith(s + ".") for s in SKIPPED)
    ]


def _docstrings():
    """The DocTests (examples or not) of every docstring with an example, by name."""
    found = {}
    finder = doctest.DocTestFinder(exclude_empty=False)
    for module in _modules():
        for test in finder.find(module):
            if _has_example(test.docstring) and test.name not in found:
                found[test.name] = (module, test)
    return found


DOCSTRINGS = _docstrings()


def _globals(module):
    globs = dict(vars(module))
    for name, value in (("np", np), ("fd", fd), ("fnp", fnp)):
        globs.setdefault(name, value)
    return globs


def _code_blocks(test):
    """(first line in the file, code) of each ```python fence without `>>>`."""
    doc = test.docstring
    start = (test.lineno or 0) + 1  # the docstring's first line (1-based)
    for m in FENCE.finditer(doc):
        if ">>>" not in m.group(2):
            yield start + doc.count("\n", 0, m.start(2)), textwrap.dedent(m.group(2))


DOCTESTS = sorted(name for name, (_, t) in DOCSTRINGS.items() if t.examples)
CODE_BLOCKS = sorted(
    (name, i) for name, (_, t) in DOCSTRINGS.items() for i, _ in enumerate(_code_blocks(t))
)

@pytest.mark.parametrize("name", DOCTESTS)
def test_doctest(name):
    module, test = DOCSTRINGS[name]
    test.globs = _globals(module)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runner.run(test, out=report.append, clear_globs=True)
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize(("name", "index"), CODE_BLOCKS)
def test_code_block(name, index):
    module, test = DOCSTRINGS[name]
    line, code = list(_code_blocks(test))[index]
    globs = _globals(module)
    before = set(globs)
    # padded so that a traceback names the line in the source file
    compiled = compile("\n" * (line - 1) + code, test.filename or name, "exec")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compiled, globs)
        for new in sorted(set(globs) - before):
            if new.startswith("test_") and callable(globs[new]):
                globs[new]()  # a hypothesis test the example defines: run it


def test_fenced_doctests_start_with_a_prompt():
    # doctest reads lines before the first `>>>` as prose: code there would never run
    bad = [
        name
        for name, (_, test) in DOCSTRINGS.items()
        for m in FENCE.finditer(test.docstring)
        if ">>>" in m.group(2) and not m.group(2).lstrip().startswith(">>>")
    ]
    assert not bad, f"```python blocks with `>>>` examples but code before them: {bad}"


def _source_docstrings():
    """Every docstring with an example in funcdiff's source files (nested ones included)."""
    docs = []
    skipped = [PACKAGE.joinpath(*s.split(".")[1:]) for s in SKIPPED]
    for path in sorted(PACKAGE.rglob("*.py")):
        if any(path.is_relative_to(d) for d in skipped):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(
                node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
            ):
                doc = ast.get_docstring(node, clean=False)
                if _has_example(doc):
                    docs.append(doc)
    return docs


def test_every_docstring_example_is_collected():
    missing = Counter(_source_docstrings()) - Counter(t.docstring for _, t in DOCSTRINGS.values())
    assert not missing, "docstrings with examples that the walk does not reach:\n" + "\n---\n".join(
        d[:300] for d in missing
    )
