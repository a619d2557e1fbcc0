"""Build GradBench's C++ `manual` tool (the plan's reference for workloads 7 and 8).

GradBench's reference implementations are C++ programs in its repository
(`tools/manual`); nothing of them is part of funcdiff. This script compiles them from a
checkout of GradBench you provide, so that `benchmarks/run.py` can time them in the same run
as funcdiff:

    git clone https://github.com/gradbench/gradbench /path/to/gradbench
    python benchmarks/gradbench/build_manual.py /path/to/gradbench --out /tmp/gradbench-manual
    FUNCDIFF_GRADBENCH_MANUAL=/tmp/gradbench-manual python benchmarks/run.py --only gmm,ba

It needs a C++17 compiler (`c++`) and `make`. GradBench's C++ code includes nlohmann's
`json.hpp`; the script takes its headers from the `nlohmann_json` package on PyPI
(`pip download`, no install) unless `--json-include DIR` names a directory holding
`nlohmann/json.hpp`. The build is portable (`NATIVE=no`: no `-march=native`, as in
GradBench's own Docker images) and single-threaded.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

MODULES = ("gmm", "ba")  # the evals whose manual tool the benchmark plan compares against


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
    print(f"export FUNCDIFF_GRADBENCH_MANUAL={os.path.abspath(args.out)}")


if __name__ == "__main__":
    main()
