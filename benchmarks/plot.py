"""Plot the target ratios of a `run.py` results file: one bar per target, log scale.

    python benchmarks/plot.py          # benchmarks/results.json -> docs/benchmarks.png
    python benchmarks/plot.py --json r.json --out plot.png

Each bar is the ratio a target is about (funcdiff / reference, / a peer, / a limit), in
the run recorded in the file; the black tick across it is the target's limit (a bar left of
its tick meets the target). Green: met; red: missed.
"""

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def bars(doc):
    """(label, ratio, limit, met, workload) for every target with a measured ratio."""
    out = []
    for row in doc["rows"]:
        for t in row.get("targets", []):
            if t.get("ratio") is None or t.get("limit") is None:
                continue
            tag = row.get("label") or row.get("name", "")
            label = f"#{row['workload']} {tag} {row['size']}: {t['name']}"
            out.append((label, t["ratio"], t["limit"], t["met"], row["workload"]))
    return out


def plot(doc, out):
    items = bars(doc)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.26 * max(len(items), 1)))
    if not items:
        ax.text(0.5, 0.5, "no targets with a measured ratio", ha="center", va="center")
        ax.set_axis_off()
    else:
        ys = range(len(items))
        colors = ["tab:green" if met else "tab:red" for _, _, _, met, _ in items]
        ax.barh(list(ys), [r for _, r, _, _, _ in items], color=colors, alpha=0.8)
        for y, (_, _, limit, _, _) in zip(ys, items):
            ax.vlines(limit, y - 0.45, y + 0.45, color="black", linewidth=2)
        for y in range(1, len(items)):  # a thin line between workloads
            if items[y][4] != items[y - 1][4]:
                ax.axhline(y - 0.5, color="0.8", linewidth=0.8)
        ax.set_yticks(list(ys))
        ax.set_yticklabels([label for label, *_ in items], fontsize=7)
        ax.set_ylim(len(items) - 0.5, -0.5)  # first bar on top, no margins
        ax.set_xscale("log")
        ax.set_xlabel("ratio (log scale); black tick = target limit; green = met, red = missed")
    meta = doc.get("meta", {})
    ax.set_title(f"funcdiff benchmark targets ({meta.get('mode', '?')} run, "
                 f"{meta.get('date', '?')}, {meta.get('cpu', '?')})", fontsize=9)  # fmt: skip
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return len(items)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", default=str(BENCH / "results.json"), help="run.py's results")
    p.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.png"), help="the PNG")
    args = p.parse_args(argv)
    n = plot(json.loads(Path(args.json).read_text()), Path(args.out))
    print(f"wrote {args.out} ({n} targets)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
