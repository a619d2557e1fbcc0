"""`python -m funcdiff.demo` runs, fits its model and passes its derivative checks."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_demo():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "funcdiff.demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_demo_runs_fits_and_passes_checks():
    proc = run_demo()
    out = proc.stdout
    assert proc.returncode == 0, f"demo failed:\n{out}\n{proc.stderr}"

    initial = float(re.search(r"^initial loss\s+([0-9.eE+-]+)", out, re.M).group(1))
    final = float(re.search(r"^final loss\s+([0-9.eE+-]+)", out, re.M).group(1))
    assert final < initial

    passes = re.findall(r"^\s*PASS\s+(.+?)\s{2,}", out, re.M)
    for check in (
        "gradient vs central differences",
        "jvp vs vjp",
        "HVP vs central differences of grad",
    ):
        assert any(p.startswith(check) for p in passes), f"no PASS line for {check!r}:\n{out}"
    assert "FAIL" not in out
    assert "derivative checks passed" in out
