"""A minimal GradBench intermediary: run an eval command against a tool command, locally.

GradBench's own intermediary is its `gradbench run` CLI; this stand-in only forwards lines
between the two processes (through pipes, nothing else) and prints one summary line per
`evaluate`: function, description, whether the eval judged the output valid, and the median
of the tool's `evaluate` timings.

    python benchmarks/gradbench/run_eval.py --eval "python path/to/evals/gmm/run.py -n 100" \
        [--tool "python benchmarks/gradbench/tool.py"] [--log session.jsonl] [--cwd DIR]

Exit status 0 if every evaluation succeeded and was judged valid.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

TOOL = f"{sys.executable} {Path(__file__).resolve().parent / 'tool.py'}"


def run(eval_cmd, tool_cmd=TOOL, cwd=None, log=None, out=sys.stdout):
    """Drive the session; returns the list of `(message, response, analysis)` per evaluate."""
    ev = subprocess.Popen(shlex.split(eval_cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True, cwd=cwd)  # fmt: skip
    tool = subprocess.Popen(shlex.split(tool_cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    pending = {}
    results = []
    try:
        for line in ev.stdout:
            message = json.loads(line)
            tool.stdin.write(line if line.endswith("\n") else line + "\n")
            tool.stdin.flush()
            reply_line = tool.stdout.readline()
            if not reply_line:
                raise RuntimeError("the tool closed its output")
            reply = json.loads(reply_line)
            if log is not None:
                log.write(json.dumps({"message": message}) + "\n")
                log.write(json.dumps({"response": reply}) + "\n")
            if message["kind"] == "evaluate":
                pending[message["id"]] = (message, reply)
                if not reply.get("success"):
                    results.append((message, reply, None))
                    _report(message, reply, None, out)
            elif message["kind"] == "analysis" and message["of"] in pending:
                msg, rep = pending.pop(message["of"])
                results.append((msg, rep, message))
                _report(msg, rep, message, out)
            elif message["kind"] == "define" and not reply.get("success"):
                print(f"define {message['module']}: failed {reply.get('error', '')}", file=out)
            ev.stdin.write(reply_line)
            ev.stdin.flush()
    finally:
        for p in (ev, tool):
            try:
                p.stdin.close()
            except BrokenPipeError:
                pass
        ev.wait()
        tool.wait()
    return results


def _report(message, reply, analysis, out):
    times = [t["nanoseconds"] for t in reply.get("timings", []) if t["name"] == "evaluate"]
    median = f"{statistics.median(times) / 1e6:10.3f} ms" if times else "         -   "
    if not reply.get("success"):
        verdict = "FAILED: " + reply.get("error", "").strip().splitlines()[-1][:200]
    elif analysis is None:
        verdict = "not checked"
    elif analysis["valid"]:
        verdict = "valid"
    else:
        verdict = "INVALID: " + analysis.get("error", "").strip().replace("\n", " | ")[:300]
    desc = message.get("description", "")
    print(f"{message['module']}::{message['function']:<10} {desc:<32} {median}"
          f" ({len(times)} runs)  {verdict}", file=out, flush=True)  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", required=True, help="eval command line")
    parser.add_argument("--tool", default=TOOL, help="tool command line (default: funcdiff's)")
    parser.add_argument("--cwd", default=None, help="working directory of the eval")
    parser.add_argument("--log", default=None, help="write the session (JSON lines) here")
    args = parser.parse_args(argv)
    log = open(args.log, "w") if args.log else None
    try:
        results = run(args.eval, args.tool, cwd=args.cwd, log=log)
    finally:
        if log is not None:
            log.close()
    ok = all(rep.get("success") and an is not None and an["valid"] for _, rep, an in results)
    return 0 if ok and results else 1


if __name__ == "__main__":
    sys.exit(main())
