"""Workload modules of `benchmarks/run.py`: one module per workload of the benchmark plan.

Each module has `NUMBER`, `NAME`, `TITLE`, `PEERS` (the peers it may time) and
`run(ctx) -> list of rows` (see `common.py`); `run.py` runs each in a process of its own.
Importing the package puts the repository, `benchmarks/` (overhead.py, per_example.py,
hvp.py) and `benchmarks/gradbench/` (the GradBench tool's `evals`) on `sys.path`.
"""

import sys
from pathlib import Path

_BENCH = Path(__file__).resolve().parents[1]
for _p in (str(_BENCH / "gradbench"), str(_BENCH), str(_BENCH.parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)
