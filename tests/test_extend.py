"""`funcdiff.extend`: the documented way to define a primitive, end to end.

docs/extend.md defines an elementwise primitive and a general one (softmax, every
rule written out) and checks each under grad, jvp, vmap, jit and to second order
against central differences; this test runs the page, and checks that the module
exports exactly its documented names.
"""

import re
from pathlib import Path

import numpy as np

import funcdiff.extend as fe

ROOT = Path(__file__).resolve().parents[1]


def test_extend_page_examples_run():
    text = (ROOT / "docs" / "extend.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 3
    namespace = {"__name__": "docs_example"}
    with np.errstate(over="ignore"):
        for i, block in enumerate(blocks):
            exec(compile(block, f"docs/extend.md (block {i + 1})", "exec"), namespace)
    softmax = namespace["softmax"]
    assert softmax.__module__ == "docs_example" and namespace["softmax_p"].abstract_eval


def test_extend_exports_its_documented_names():
    public = {n for n in dir(fe) if not n.startswith("_")}
    assert public == set(fe.__all__), public ^ set(fe.__all__)
    for name in fe.__all__:
        assert name in fe.__doc__ or getattr(fe, name).__doc__, name
