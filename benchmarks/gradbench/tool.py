"""funcdiff's GradBench tool: speaks GradBench's JSON-lines protocol on stdin/stdout.

Run it as the tool of a GradBench eval (see README.md beside this file):

    python benchmarks/gradbench/tool.py

Each line read is one message from the eval; each reply is one line, flushed:

- `{"kind": "start"}` -> `{"id", "tool": "funcdiff", "config": {...}}`
- `{"kind": "define", "module"}` -> `{"id", "success"}` (whether we implement the module)
- `{"kind": "evaluate", "module", "function", "input"}` -> `{"id", "success", "output",
  "timings"}`, running the function until both `min_runs` runs and `min_seconds` seconds are
  reached, one `"evaluate"` timing per run (parsing the input and encoding the output are not
  timed)
- anything else (e.g. `"analysis"`) -> `{"id"}`

Every eval is a module `evals/<name>.py` with `prepare(input)` (JSON input -> arguments, not
timed), `FUNCTIONS` (name -> function of the prepared arguments, timed) and
`to_json(function, result)` (not timed).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _p in (str(_HERE), str(_HERE.parents[1])):  # evals/ and the funcdiff checkout
    if _p not in sys.path:
        sys.path.insert(0, _p)

EVALS = (
    "hello", "lse", "llsq", "ode", "det", "gmm", "kmeans", "lstm", "ba", "ht", "saddle", "particle",
)  # fmt: skip


def load(module):
    """The eval module `evals/<module>.py`, or None if there is none."""
    if module not in EVALS:
        return None
    return importlib.import_module(f"evals.{module}")


def run_timed(fn, args, min_runs=1, min_seconds=0.0):
    """Call `fn(args)` until both `min_runs` calls and `min_seconds` seconds are reached.

    Returns `(last result, list of per-call nanoseconds)`.
    """
    times = []
    elapsed = 0
    result = None
    while len(times) < min_runs or elapsed < min_seconds * 1e9:
        start = time.perf_counter_ns()
        result = fn(args)
        ns = time.perf_counter_ns() - start
        times.append(ns)
        elapsed += ns
    return result, times


def evaluate(message):
    """The reply fields of an `evaluate` message (without the id)."""
    mod = load(message["module"])
    if mod is None:
        return {"success": False, "error": f"unknown module {message['module']!r}"}
    fn = mod.FUNCTIONS.get(message["function"])
    if fn is None:
        return {"success": False, "error": f"unknown function {message['function']!r}"}
    raw = message["input"]
    runs, seconds = 1, 0.0
    if isinstance(raw, dict):
        runs = int(raw.get("min_runs", 1))
        seconds = float(raw.get("min_seconds", 0.0))
    args = mod.prepare(raw)
    result, times = run_timed(fn, args, runs, seconds)
    return {
        "success": True,
        "output": mod.to_json(message["function"], result),
        "timings": [{"name": "evaluate", "nanoseconds": t} for t in times],
    }


def handle(message):
    """The reply to one protocol message."""
    reply = {"id": message["id"]}
    kind = message.get("kind")
    try:
        if kind == "start":
            reply["tool"] = "funcdiff"
            reply["config"] = {"evals": list(EVALS)}
        elif kind == "define":
            try:
                ok = load(message["module"]) is not None
                reply["success"] = ok
                if not ok:
                    reply["error"] = f"funcdiff has no implementation of {message['module']!r}"
            except Exception as e:  # an import error in an eval module
                reply["success"] = False
                reply["error"] = "".join(traceback.format_exception(e))
        elif kind == "evaluate":
            reply.update(evaluate(message))
    except Exception as e:
        reply["success"] = False
        reply["error"] = "".join(traceback.format_exception(e))
    return reply


def main(stdin=sys.stdin, stdout=sys.stdout):
    for line in stdin:
        if not line.strip():
            continue
        reply = handle(json.loads(line))
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()


if __name__ == "__main__":
    main()
