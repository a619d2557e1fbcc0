"""The notebooks in notebooks/ run without errors and are committed without outputs."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have stored outputs or execution counts; "
        f"clear them before committing (e.g. `jupyter nbconvert --clear-output --inplace {path}`)."
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs(path, monkeypatch):
    # The kernel imports funcdiff from this checkout, installed or not.
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), pythonpath])))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as e:
        pytest.fail(f"{path.name}: a cell raised an error:\n{e}", pytrace=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_in_the_docs_gallery_and_nav(path):
    # the site builds every notebook (mkdocs-jupyter, executed) from docs/notebooks, a link
    # to notebooks/; the gallery shows each with its first plot
    assert (ROOT / "docs" / "notebooks").resolve() == (ROOT / "notebooks").resolve()
    assert f"notebooks/{path.name}" in (ROOT / "mkdocs.yml").read_text()
    gallery = (ROOT / "docs" / "gallery.md").read_text()
    assert f"(notebooks/{path.name})" in gallery
    thumb = f"images/gallery/{path.stem}.png"
    assert thumb in gallery and (ROOT / "docs" / thumb).is_file(), (
        f"{path.name}: no thumbnail; run python tools/gen_thumbnails.py {path.stem}")
