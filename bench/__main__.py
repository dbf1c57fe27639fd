"""Run the benchmarks: every `bench/bench_*.py` module's `run(workdir: Path) -> dict`.

Each result is written to `bench/results/<name>.json`; `docs/benchmarks.md` gets a table of
every figure with the machine it was measured on. `make bench ARGS="gateway"` runs only the
modules whose name contains "gateway".
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DOC = HERE.parent / "docs" / "benchmarks.md"


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _write_doc() -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` from `bench/results/*.json`; each figure as last measured.",
        "",
        "The machine is shared and noisy, so every timed figure is three runs (the",
        "assessment's, three tries on one county-year), written min/median/max, each beside",
        "a baseline taken in the same run and the ratio of the two, with its goal (issue 17's,",
        "or ours where it set none, or none) and whether the median meets it. What the figures",
        "mean, where the time goes and what is not met: docs/hub.md (Measured),",
        "docs/gateway.md (Figures), docs/assessment.md.",
        "",
    ]
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        lines += [f"## {path.stem}", "", f"{data.get('about', '')}", ""]
        lines += [f"Measured {data['measured_at']} on {data['machine']}.", ""]
        lines += ["| figure | value |", "| --- | --- |"]
        lines += [f"| {k} | {v} |" for k, v in data["figures"].items()]
        lines.append("")
    DOC.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench")
    parser.add_argument("only", nargs="*", help="run only modules whose name contains this")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if any(o in n for o in args.only)]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        with tempfile.TemporaryDirectory(prefix=f"ld-{name}-") as tmp:
            figures = module.run(Path(tmp))
        result = {
            "about": (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else "",
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": _machine(),
            "figures": figures,
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
        for k, v in figures.items():
            print(f"   {k}: {v}")
    _write_doc()
    print(f"summary written to {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
