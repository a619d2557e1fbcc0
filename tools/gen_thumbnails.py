"""Regenerate the gallery's thumbnails: each notebook's first plot.

Executes every notebook in notebooks/ (as the tests and the docs build do) and writes the
first PNG output of each to docs/images/gallery/<notebook stem>.png, scaled to a thumbnail.
Run it after changing a notebook's first plot:

    python tools/gen_thumbnails.py            # all notebooks
    python tools/gen_thumbnails.py 07-sparse  # some of them
"""

from __future__ import annotations

import base64
import io
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import nbclient  # noqa: E402
import nbformat  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images" / "gallery"
WIDTH = 360  # pixels


def first_png(path):
    """The first image/png output of the notebook at `path`, executed (bytes or None)."""
    nb = nbformat.read(path, as_version=4)
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("MPLBACKEND", None)  # the kernel's inline backend: plots become outputs
    os.environ.update(env)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                return base64.b64decode(data["image/png"])
    return None


def thumbnail(png, dest):
    img = mpimg.imread(io.BytesIO(png), format="png")
    h, w = img.shape[:2]
    fig = plt.figure(figsize=(WIDTH / 100, WIDTH * h / w / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(img, interpolation="antialiased")
    ax.axis("off")
    fig.savefig(dest, dpi=100)
    plt.close(fig)


def main(names):
    OUT.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if names and not any(n in path.stem for n in names):
            continue
        png = first_png(path)
        if png is None:
            print(f"{path.name}: no plot", file=sys.stderr)
            continue
        thumbnail(png, OUT / f"{path.stem}.png")
        print(f"{path.name}: {OUT.relative_to(ROOT) / (path.stem + '.png')}")


if __name__ == "__main__":
    main(sys.argv[1:])
