"""Build GradBench's C++ `manual` tool (the plan's reference for workloads 7 and 8).

GradBench's reference implementations are C++ programs in its repository
(`tools/manual`); nothing of them is part of funcdiff. This script compiles them from a
checkout of GradBench you provide, so that `benchmarks/run.py` can time them in the same run
as funcdiff:

    git clone https://github.com/gradbench/gradbench /path/to/gradbench
    python benchmarks/gradbench/build_manual.py /path/to/gradbench --out /tmp/gradbench-manual
    FUNCDIFF_GRADBENCH_MANUAL=/tmp/gradbench-manual python benchmarks/run.py --only gmm,ba,9

It also writes GradBench's `ht` instances (ADBench's hand models and data files, in the
checkout's `evals/ht/data`) as GradBench JSON inputs under `inputs/ht/` of the same
directory, so that the `ht` benchmark runs on the real hands (without them it runs on
synthetic hands of the same shapes).

It needs a C++17 compiler (`c++`) and `make`. GradBench's C++ code includes nlohmann's
`json.hpp`; the script takes its headers from the `nlohmann_json` package on PyPI
(`pip download`, no install) unless `--json-include DIR` names a directory holding
`nlohmann/json.hpp`. The build is portable (`NATIVE=no`: no `-march=native`, as in
GradBench's own Docker images) and single-threaded.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

MODULES = ("gmm", "ba", "ht", "lstm")  # the evals whose manual tool the benchmarks time
HT_SETS = ("complicated_big", "simple_big", "complicated_small", "simple_small")


def json_include(tmp):
    """A directory holding nlohmann/json.hpp, from the nlohmann_json wheel on PyPI."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp,
                    "nlohmann_json"], check=True)  # fmt: skip
    (wheel,) = glob.glob(os.path.join(tmp, "nlohmann_json-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(os.path.join(tmp, "wheel"))
    (header,) = glob.glob(os.path.join(tmp, "wheel", "**", "nlohmann", "json.hpp"), recursive=True)
    return os.path.dirname(os.path.dirname(header))


def build(gradbench, out, include, modules):
    tool = os.path.join(gradbench, "tools", "manual")
    if not os.path.isdir(tool):
        raise SystemExit(f"{tool} does not exist: pass the root of a GradBench checkout")
    # GradBench's sources say `#include "json.hpp"` (found through -I../../cpp); point it
    # at the real header without writing into the checkout
    shim = os.path.join(out, "include")
    os.makedirs(shim, exist_ok=True)
    with open(os.path.join(shim, "json.hpp"), "w") as f:
        f.write("#include <nlohmann/json.hpp>\n")
    flags = f"-std=c++17 -O3 -Wall -Wno-unknown-pragmas -I{shim} -I{include} -I../../cpp"
    for module in modules:
        print(f"building {module} ...", file=sys.stderr)
        subprocess.run(["make", "-C", tool, f"bin/{module}", "-B", "NATIVE=no",
                        "MULTITHREADED=no", f"CXXFLAGS={flags}"], check=True)  # fmt: skip
        shutil.copy2(os.path.join(tool, "bin", module), os.path.join(out, module))
    return out


def _hand_model(folder):
    """ADBench's hand model files (':'-separated) as the `model` of a GradBench ht input."""
    def rows(name):
        with open(os.path.join(folder, name)) as f:
            return [line.rstrip("\n").split(":") for line in f if line.strip()]

    bones = rows("bones.txt")
    verts = rows("vertices.txt")
    weights = [[0.0] * len(bones) for _ in verts]
    for w, atoms in zip(weights, verts):
        for i in range(int(atoms[8])):
            w[int(atoms[9 + 2 * i])] = float(atoms[10 + 2 * i])

    def mat(atoms):
        return [[float(v) for v in atoms[4 * r:4 * r + 4]] for r in range(4)]

    return {
        "bone_count": len(bones),
        "bone_names": [b[0] for b in bones],
        "parents": [int(b[1]) for b in bones],
        "base_relatives": [mat(b[2:18]) for b in bones],
        "inverse_base_absolutes": [mat(b[18:34]) for b in bones],
        "base_positions": [[float(v) for v in a[:3]] + [1.0] for a in verts],
        "weights": weights,
        "triangles": [[int(v) for v in t] for t in rows("triangles.txt")],
        "is_mirrored": False,
    }


def _hand_instance(path, model, complicated):
    """One ADBench hand data file (`hand<i>_t26_c<n>.txt`) as a GradBench ht input."""
    with open(path) as f:
        npts, ntheta = (int(v) for v in f.readline().split())
        lines = [f.readline().split() for _ in range(npts)]
        us = [[float(v) for v in f.readline().split()] for _ in range(npts)] if complicated else []
        theta = [float(f.readline()) for _ in range(ntheta)]
    data = {"model": model, "correspondences": [int(ln[0]) for ln in lines],
            "points": [[float(v) for v in ln[1:4]] for ln in lines]}  # fmt: skip
    return {"theta": theta, "data": data, "us": us}


def export_ht_inputs(gradbench, out):
    """GradBench's ht instances as JSON inputs: `out/inputs/ht/<set>_hand<i>.json`."""
    root = os.path.join(gradbench, "evals", "ht", "data")
    target = os.path.join(out, "inputs", "ht")
    os.makedirs(target, exist_ok=True)
    for name in HT_SETS:
        folder = os.path.join(root, name)
        if not os.path.isdir(folder):
            print(f"no {folder}: ht inputs of {name} not written", file=sys.stderr)
            continue
        model = _hand_model(os.path.join(folder, "model"))
        for path in glob.glob(os.path.join(folder, "hand*_t*_c*.txt")):
            i = os.path.basename(path).split("_")[0][len("hand"):]
            inp = _hand_instance(path, model, name.startswith("complicated"))
            with open(os.path.join(target, f"{name}_hand{i}.json"), "w") as f:
                json.dump(inp, f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("gradbench", help="root of a GradBench checkout")
    p.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "gradbench-manual"),
                   help="where the binaries go (default: %(default)s)")
    p.add_argument("--json-include", help="directory holding nlohmann/json.hpp")
    p.add_argument("--modules", default=",".join(MODULES), help="default: %(default)s")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        include = args.json_include or json_include(tmp)
        build(os.path.abspath(args.gradbench), os.path.abspath(args.out), include,
              [m for m in args.modules.split(",") if m])  # fmt: skip
    export_ht_inputs(os.path.abspath(args.gradbench), os.path.abspath(args.out))
    print(f"export FUNCDIFF_GRADBENCH_MANUAL={os.path.abspath(args.out)}")


if __name__ == "__main__":
    main()
