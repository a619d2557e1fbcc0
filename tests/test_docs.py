"""Documentation stays true: examples run, the API page is complete, CI runs the README.

- the `>>>` examples of docs/index.md and docs/sharp-bits.md pass, and the README's Python
  example runs (docstring examples: tests/test_docstrings.py);
- every public name of funcdiff, funcdiff.tree, funcdiff.errors, funcdiff.testing,
  funcdiff.extend, funcdiff.debug and funcdiff.optimizers has a `::: ...` entry in
  docs/api.md, and every entry there names an
  existing object;
- every public module exports exactly its `__all__` (the names of `dir(module)` that do not
  start with an underscore, less its documented submodules), and every name of `__all__` is
  documented: in docs/api.md (above), or, for funcdiff.numpy and funcdiff.scipy.*, whose
  documentation is docs/coverage.md and the module docstrings, by a docstring of its own;
- .ci/run contains the README's Quickstart commands verbatim.
"""

import doctest
import importlib
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# ----------------------------------------------------------------- pages


def _run(tests):
    """Run doctests; return (failures, attempted, report)."""
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    for test in tests:
        runner.run(test, out=report.append)
    return runner.failures, runner.tries, "".join(report)


def _strip_fences(text):
    # doctest ends an expected output at a blank line; a closing ``` right after the
    # output would otherwise be read as part of it.
    return re.sub(r"^[ \t]*```.*$", "", text, flags=re.M)


# pages whose `>>>` examples run here (other pages: tests/test_numerics.py,
# tests/test_control.py, tests/test_jit.py)
DOCTEST_PAGES = ["docs/index.md", "docs/sharp-bits.md", "docs/debugging.md"]


@pytest.mark.parametrize("page", DOCTEST_PAGES)
def test_page_examples(page):
    path = ROOT / page
    # globals as doctest.testfile gives them (a module has a __name__; warnings use it)
    test = doctest.DocTestParser().get_doctest(
        _strip_fences(path.read_text()), {"__name__": "__main__"}, page, str(path), 0
    )
    failed, attempted, report = _run([test])
    assert attempted > 0
    assert failed == 0, f"examples in {page} fail:\n{report}"


def test_readme_example_runs():
    blocks = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(), re.S | re.M)
    assert blocks, "README.md has no ```python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})


# ----------------------------------------------------------------- API page


def _api_entries():
    text = (ROOT / "docs" / "api.md").read_text()
    return re.findall(r"^:::\s+([\w.]+)\s*$", text, flags=re.M)


def _resolve(path):
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(path)


def _public_names(modname):
    module = importlib.import_module(modname)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            n
            for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == modname
        ]
    return module, list(names)


def test_api_entries_exist():
    missing = []
    for path in _api_entries():
        try:
            _resolve(path)
        except (ImportError, AttributeError):
            missing.append(path)
    assert not missing, f"docs/api.md documents names that do not exist: {missing}"


API_MODULES = [
    "funcdiff", "funcdiff.tree", "funcdiff.errors", "funcdiff.testing", "funcdiff.extend",
    "funcdiff.debug", "funcdiff.optimizers",
]


@pytest.mark.parametrize("modname", API_MODULES)
def test_api_page_lists_every_public_name(modname):
    module, names = _public_names(modname)
    entries = set(_api_entries())
    documented = []
    for path in entries:
        try:
            documented.append(_resolve(path))
        except (ImportError, AttributeError):
            pass
    undocumented = [
        name
        for name in names
        if f"{modname}.{name}" not in entries
        and not any(getattr(module, name) is obj for obj in documented)
    ]
    assert not undocumented, (
        f"docs/api.md has no `::: {modname}.<name>` entry for: {undocumented}"
    )


# ----------------------------------------------------------------- public namespaces

STATS_DISTS = [
    "bernoulli", "beta", "betabinom", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma",
    "gennorm", "geom", "gumbel_l", "gumbel_r", "laplace", "logistic", "multinomial",
    "multivariate_normal", "nbinom", "norm", "pareto", "poisson", "t", "truncnorm", "uniform",
    "vonmises", "wrapcauchy",
]
# every public module (docs/api.md, docs/coverage.md); the rest is internal
PUBLIC_MODULES = [
    *API_MODULES,
    "funcdiff.numpy", "funcdiff.numpy.linalg", "funcdiff.numpy.fft",
    "funcdiff.scipy", "funcdiff.scipy.special", "funcdiff.scipy.stats",
    *(f"funcdiff.scipy.stats.{d}" for d in STATS_DISTS),
    "funcdiff.scipy.linalg", "funcdiff.scipy.signal", "funcdiff.scipy.integrate",
    "funcdiff.scipy.fft", "funcdiff.scipy.ndimage", "funcdiff.scipy.interpolate",
    "funcdiff.scipy.optimize",
]
# submodules that are attributes of their package without being in its `__all__`: documented
# as modules of their own (`import funcdiff.numpy as fnp`, `fnp.linalg`), or internal
# (docs/api.md: funcdiff._src.*; funcdiff.demo is the script `python -m funcdiff.demo`),
# there only because importing a submodule binds it
SUBMODULES = {
    "funcdiff": {"numpy", "scipy", "tree", "testing", "errors", "extend", "debug",
                 "optimizers", "_src", "demo"},
    "funcdiff.numpy": {"linalg", "fft"},
}
# public names that are neither functions, classes nor modules (which must have docstrings),
# with their documentation
CONSTANTS = {
    ("funcdiff", "config"): "docs/api.md (::: funcdiff.config)",
    ("funcdiff", "float0"): "docs/api.md (::: funcdiff.float0)",
    **{("funcdiff.numpy", n): "NumPy's constant, re-exported"
       for n in ("pi", "e", "inf", "nan", "newaxis", "euler_gamma")},
    **{("funcdiff.numpy", n): "NumPy's index-syntax helper, re-exported"
       for n in ("s_", "index_exp", "mgrid", "ogrid")},
    **{("funcdiff.numpy", n): "NumPy's index-syntax concatenation; traced values stay traced "
       "(docs/coverage.md)" for n in ("r_", "c_")},
}


def _import_public(modname):
    if modname.startswith("funcdiff.scipy"):
        pytest.importorskip("scipy")
    if modname == "funcdiff.testing":
        pytest.importorskip("funcdiff.testing")
    return importlib.import_module(modname)


@pytest.mark.parametrize("modname", PUBLIC_MODULES)
def test_module_exports_exactly_its_all(modname):
    module = _import_public(modname)
    names = module.__all__
    assert len(set(names)) == len(names), f"{modname}.__all__ repeats a name"
    private = [n for n in names if n.startswith("_")]
    assert not private, f"{modname}.__all__ has private names: {private}"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{modname}.__all__ names what it does not define: {missing}"
    submodules = SUBMODULES.get(modname, set())
    public = {
        n for n in dir(module)
        if not n.startswith("_")
        and not (n in submodules and getattr(module, n).__name__ == f"{modname}.{n}")
    }
    extra = sorted(public - set(names))
    assert not extra, (
        f"{modname} has public names outside its __all__: {extra}. Keep helpers and imports in "
        f"the private module that implements it (funcdiff/_src/scipy/linalg.py for "
        f"funcdiff.scipy.linalg), and import only its public names from there"
    )


def test_public_modules_are_listed():
    """New distributions and the scipy submodules are in PUBLIC_MODULES."""
    pytest.importorskip("scipy")
    import funcdiff.scipy
    import funcdiff.scipy.stats

    stats_modules = [n for n in funcdiff.scipy.stats.__all__
                     if inspect.ismodule(getattr(funcdiff.scipy.stats, n))]
    assert sorted(stats_modules) == STATS_DISTS
    for name in funcdiff.scipy.__all__:
        assert f"funcdiff.scipy.{name}" in PUBLIC_MODULES, name
    for name in SUBMODULES["funcdiff"] - {"_src", "demo"}:
        assert f"funcdiff.{name}" in PUBLIC_MODULES, name
    stale = [key for key in CONSTANTS if key[1] not in _import_public(key[0]).__all__]
    assert not stale, f"CONSTANTS lists names that are not public: {stale}"


def _coverage_sections():
    """The `## module` sections of docs/coverage.md, and the `### name` ones under each."""
    sections, current = {}, None
    for line in (ROOT / "docs" / "coverage.md").read_text().splitlines():
        if line.startswith("## "):  # (a module's names beyond the checklist: a section too)
            title = line[3:].removesuffix(" (beyond the checklist)").strip()
            current = sections.setdefault(title, set())
        elif line.startswith("### ") and current is not None:
            current.add(line[4:].strip())
    return sections


@pytest.mark.parametrize("modname", [m for m in PUBLIC_MODULES if m not in API_MODULES])
def test_numpy_and_scipy_names_are_documented(modname):
    """funcdiff.numpy and funcdiff.scipy.*: documented by docs/coverage.md and docstrings."""
    module = _import_public(modname)
    assert (module.__doc__ or "").strip(), f"{modname} has no docstring"
    sections = _coverage_sections()
    parent, _, last = modname.rpartition(".")
    if modname != "funcdiff.scipy":
        assert modname in sections or last in sections.get(parent, ()), (
            f"docs/coverage.md has no section for {modname}")
    undocumented = []
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj) or inspect.ismodule(obj):
            if not (getattr(obj, "__doc__", None) or "").strip():
                undocumented.append(name)
        elif (modname, name) not in CONSTANTS:
            undocumented.append(name)
    assert not undocumented, (
        f"{modname}: {undocumented} have no docstring (constants: list them in CONSTANTS)")


# ----------------------------------------------------------------- CI runs the README


def _quickstart_commands():
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Quickstart\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Quickstart' section"
    blocks = re.findall(r"^```(?:bash|sh|console)?\n(.*?)^```", section.group(1), re.S | re.M)
    assert len(blocks) == 1, "the Quickstart section should have one code block"
    return [line.strip() for line in blocks[0].splitlines() if line.strip()]


def test_readme_quickstart_has_two_commands():
    commands = _quickstart_commands()
    assert len(commands) == 2, commands
    assert "pytest" in commands[1]


def test_ci_runs_readme_commands_verbatim():
    ci_lines = {line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()}
    for command in _quickstart_commands():
        assert command in ci_lines, f".ci/run does not run the README command {command!r}"
