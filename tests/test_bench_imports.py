"""Every benchmark module imports: `make bench` is not in `make test` and mypy does not
read bench/, so a name moved in the code (hub.runtime.open_parts went to hub.parts) once
left `python -m bench deadlines` failing at import with nothing noticing."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.parametrize("module", sorted(p.stem for p in BENCH.glob("*.py")))
def test_the_bench_module_imports(module: str) -> None:
    importlib.import_module(f"bench.{module}")
