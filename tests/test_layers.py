"""The implementation's layers import only downward, at the top of each module.

`LAYERS` is the order a newcomer reads `funcdiff/_src` in (docs/design.md follows
it): each module may import only modules listed before it, and only at module
level (no imports inside functions, so no hidden cycles). Optional third-party
dependencies (hypothesis, scipy) are the one exception: they are imported where
they are used, so that funcdiff imports without them.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "funcdiff"

LAYERS = [
    # foundations: no funcdiff imports
    "_src.errors", "_src.config", "_src.source", "_src.messages", "_src.tree",
    # array libraries other than NumPy (Dask, CuPy, the array API)
    "_src.backend",
    # the core: tracers, traces, the interpreter stack, bind
    "_src.core", "_src.program", "_src.nans", "_src.api_util",
    # primitives with their rules (lax): structural ops first, then the ones built on them
    "_src.lax.shape", "_src.lax.checks", "_src.lax.elementwise", "_src.lax.reductions",
    "_src.lax.indexing", "_src.lax.contraction", "_src.lax.linalg", "_src.lax.fft",
    # the NumPy API over the primitives
    "_src.numpy.util", "_src.numpy.creation", "_src.numpy.elementwise", "_src.numpy.inplace",
    "_src.numpy.reductions",
    "_src.numpy.shape", "_src.numpy.indexing", "_src.numpy.contraction",
    "_src.numpy.linalg", "_src.numpy.fft", "_src.numpy.extras", "_src.numpy.scalars",
    "_src.numpy.dispatch",
    "_src.numpy.methods", "numpy", "numpy.linalg", "numpy.fft",
    # the interpreters (one per transform), then jit's optimizer and compiler
    "_src.interpreters.jvp", "_src.interpreters.reverse", "_src.interpreters.staging",
    "_src.interpreters.batching", "_src.jit.optimize", "_src.jit.memory", "_src.jit.codegen",
    "_src.jit.dispatch",
    # the transforms as users call them (pytrees, argument checks, messages)
    "_src.api.forward", "_src.api.reverse", "_src.api.vmap", "_src.api.vectorize",
    "_src.api.collectives",
    # control flow and custom derivative rules, built on all the transforms
    "_src.control.primitives", "_src.control.custom", "_src.control.flow",
    # built on everything above
    "_src.ravel", "_src.api.linear", "_src.api.jacobians", "_src.sparse", "_src.debugging",
    "_src.implicit",
    "_src.testing", "_src.optimizers",
    # SciPy
    "_src.scipy.special", "scipy.special", "_src.scipy.matrices", "_src.scipy.linalg",
    "_src.scipy.fft", "_src.scipy.signal", "_src.scipy.integrate", "_src.scipy.ndimage",
    "_src.scipy.interpolate", "_src.scipy.stats.util", "_src.scipy.stats.gamma",
    "_src.scipy.stats.gumbel", "_src.scipy.stats", "_src.scipy.optimize",
]
# (and the array libraries funcdiff runs on when their arrays are passed)
OPTIONAL = ("hypothesis", "scipy", "array_api_compat", "dask", "cupy")


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


def _rank(name):
    best = None
    for i, layer in enumerate(LAYERS):
        if name == layer or name.startswith(layer + "."):
            if best is None or len(layer) > len(LAYERS[best]):
                best = i
    return best


def _is_module(name):
    path = ROOT.joinpath(*name.split(".")) if name else ROOT
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports(tree):
    """(line, target, at module level?) for each import: a funcdiff module as its name
    under the package (say `_src.core`), a third-party one as `EXT:<top-level name>`."""
    top = set()
    for node in tree.body:
        top.update(ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            full = [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            full = [(a.name, None) for a in node.names]
        else:
            continue
        for module, name in full:
            if module != "funcdiff" and not module.startswith("funcdiff."):
                yield node.lineno, "EXT:" + module.split(".")[0], node in top
                continue
            target = module.removeprefix("funcdiff").lstrip(".")
            if name and _is_module(f"{target}.{name}".lstrip(".")):
                target = f"{target}.{name}".lstrip(".")
            yield node.lineno, target, node in top


SOURCES = sorted(ROOT.glob("_src/**/*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: _module_name(p))
def test_imports_go_down_and_sit_at_the_top(path):
    me = _module_name(path)
    rank = _rank(me)
    if path.name == "__init__.py":
        assert path.read_text().strip() == "", f"{me}: the _src packages' __init__ stay empty"
        return
    assert rank is not None, f"{me} is not in LAYERS (tests/test_layers.py): add it in its place"
    problems = []
    for line, target, at_top in _imports(ast.parse(path.read_text())):
        if target.startswith("EXT:"):
            if not at_top and target[4:] not in OPTIONAL:
                problems.append(f"line {line}: `import {target[4:]}` inside a function")
            continue
        r = _rank(target)
        if not at_top:
            problems.append(f"line {line}: imports {target or 'funcdiff'} inside a function")
        elif r is None or r >= rank:
            problems.append(f"line {line}: imports {target or 'funcdiff'}, not below {me}")
    assert not problems, f"{me}:\n" + "\n".join(sorted(set(problems)))


def test_every_layer_exists():
    names = {_module_name(p) for p in ROOT.rglob("*.py")}
    missing = [m for m in LAYERS if not any(n == m or n.startswith(m + ".") for n in names)]
    assert not missing
