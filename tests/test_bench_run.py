"""benchmarks/run.py end to end, in `--smoke` mode (tiny rounds: the plumbing, not the speed).

Each run is a subprocess (run.py itself starts one worker process per workload); no peers,
so it takes a few seconds.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"
HEADER = (
    "| # | workload | size | funcdiff eager | funcdiff jit | autograd | jax eager | jax jit "
    "| torch | reference | ratio | target | met? |"
)


def run(tmp_path, *args):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--peers", "", "--json", str(out), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the repository: run.py must find everything itself
    )
    doc = json.loads(out.read_text()) if out.exists() else None
    return proc, doc


def test_smoke_run_prints_the_table_and_writes_the_json(tmp_path):
    proc, doc = run(tmp_path, "--only", "overhead")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert HEADER in proc.stdout.splitlines()
    assert "workload 1 overhead" in proc.stderr  # the progress line
    assert set(doc) == {"meta", "workloads", "rows", "failures"}
    meta = doc["meta"]
    for key in ("platform", "cpu", "cores", "numpy", "blas", "versions", "threads", "commit"):
        assert key in meta, key
    assert set(meta["threads"].values()) == {"1"} and meta["mode"] == "smoke"
    assert doc["failures"] == []
    assert doc["workloads"]["overhead"]["returncode"] == 0
    assert len(doc["rows"]) == 3  # np.float64, float, n=100
    for row in doc["rows"]:
        assert row["workload"] == 1 and row["name"] == "overhead"
        assert {"funcdiff eager", "reference"} <= set(row["medians"])
        assert all(t > 0 for t in row["medians"].values())
        (tgt,) = row["targets"]
        assert tgt["ratio"] > 0 and tgt["limit"] > 1.3 and tgt["met"] in (True, False)


def test_reference_mismatch_is_a_check_failure(tmp_path):
    proc, doc = run(tmp_path, "--only", "selftest", "--inject-mismatch")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "CHECK FAILURES" in proc.stdout
    assert "reference differs from funcdiff eager" in proc.stdout
    assert any("reference differs" in f for f in doc["failures"])
    (row,) = doc["rows"]
    assert "reference" not in row["medians"]  # left out of the timings
    assert "funcdiff eager" in row["medians"]

    proc, doc = run(tmp_path, "--only", "0")  # the same workload by number, reference right
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert doc["failures"] == [] and "reference" in doc["rows"][0]["medians"]


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    proc, _ = run(tmp_path, "--only", "overhead")
    assert proc.returncode == 0
    png = tmp_path / "plot.png"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "plot.py"), "--json",
         str(tmp_path / "results.json"), "--out", str(png)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_workload_is_an_error(tmp_path):
    proc, doc = run(tmp_path, "--only", "no-such-workload")
    assert proc.returncode != 0 and doc is None
    assert "unknown workload" in proc.stderr


FAKE_MANUAL = """#!{python}
# stands in for GradBench's C++ gmm tool: same command line and output format
import json, sys, time
sys.path[:0] = [{evals!r}, {root!r}]
from evals import gmm
inp = json.load(open(sys.argv[1]))
args = gmm.prepare(inp)
times = []
for _ in range(inp.get("min_runs", 1)):
    t0 = time.perf_counter_ns()
    g = gmm.FUNCTIONS[sys.argv[2]](args)
    times.append(time.perf_counter_ns() - t0)
out = gmm.to_json(sys.argv[2], g)
if {wrong}:
    out["alpha"][0] += 1.0
print(json.dumps(out))
print(json.dumps({{"name": "prepare", "nanoseconds": 1}}))
for t in times:
    print(json.dumps({{"name": "evaluate", "nanoseconds": t}}))
"""


@pytest.mark.parametrize("wrong", [False, True])
def test_cpp_manual_tool_is_checked_and_timed_when_built(tmp_path, monkeypatch, wrong):
    tool = tmp_path / "bin" / "gmm"
    tool.parent.mkdir()
    tool.write_text(FAKE_MANUAL.format(python=sys.executable, wrong=wrong, root=str(ROOT),
                                       evals=str(ROOT / "benchmarks" / "gradbench")))
    tool.chmod(0o755)
    monkeypatch.setenv("FUNCDIFF_GRADBENCH_MANUAL", str(tool.parent))
    proc, doc = run(tmp_path, "--only", "gmm")
    (row,) = doc["rows"]
    if wrong:
        assert proc.returncode == 1
        assert any("C++ manual differs from funcdiff" in f for f in doc["failures"])
        assert "C++ manual" not in row["medians"]
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert row["medians"]["C++ manual"] > 0
        assert row["ratios"]["funcdiff eager / C++ manual"] > 0
        assert "| C++ manual |" in proc.stdout  # under "Other candidates"
