"""Documentation stays true: examples run, the API page is complete, CI runs the README.

- docstring examples (`>>>` lines, usually inside ```python fences) of funcdiff's public
  modules pass under doctest;
- the `>>>` examples of docs/index.md and docs/sharp-bits.md pass, and the README's Python
  example runs;
- every public name of funcdiff, funcdiff.tree, funcdiff.errors and funcdiff.testing has a
  `::: ...` entry in docs/api.md, and every entry there names an existing object;
- .ci/run contains the README's Quickstart commands verbatim.
"""

import doctest
import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import pytest

import funcdiff
import funcdiff.transforms

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# ----------------------------------------------------------------- docstring examples


def _doctest_modules():
    names = ["funcdiff.tree"]
    transforms = pkgutil.iter_modules(funcdiff.transforms.__path__)
    names += [f"funcdiff.transforms.{m.name}" for m in transforms]
    if importlib.util.find_spec("funcdiff.testing") is not None:
        names.append("funcdiff.testing")
    return names


def _run(tests):
    """Run doctests; return (failures, attempted, report)."""
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = []
    for test in tests:
        runner.run(test, out=report.append)
    return runner.failures, runner.tries, "".join(report)


@pytest.mark.parametrize("modname", _doctest_modules())
def test_docstring_examples(modname):
    module = importlib.import_module(modname)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module)
    failed, _, report = _run(tests)
    assert failed == 0, f"docstring examples of {modname} fail:\n{report}"


# ----------------------------------------------------------------- pages


def _strip_fences(text):
    # doctest ends an expected output at a blank line; a closing ``` right after the
    # output would otherwise be read as part of it.
    return re.sub(r"^[ \t]*```.*$", "", text, flags=re.M)


# pages whose `>>>` examples run here (other pages: tests/test_numerics.py,
# tests/test_control.py, tests/test_jit.py)
DOCTEST_PAGES = ["docs/index.md", "docs/sharp-bits.md"]


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
