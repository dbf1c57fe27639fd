"""One synthetic quarter through the real hub, shared by the assessment tests (read-only)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from hub.assessment import periods
from hub.assessment.rubric import Rubric, load_rubric
from hub.registry import Registry, load_registry
from tests.hub.assessment.synth import simulate
from tests.support.hubparts import TestService
from tests.support.once import built_once
from wire.clock import FakeClock

QUARTER = periods.quarter(2026, 1)


@dataclass
class Quarter:
    service: TestService
    db_path: Path
    as_of: datetime
    stats: dict[str, int]


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(None)


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return load_rubric()


@pytest.fixture(scope="session")
def quarter(tmp_path_factory: pytest.TempPathFactory, registry: Registry) -> Iterator[Quarter]:
    """About 3,000 orders over the first quarter of 2026 (seeded), plus a week into the
    second so that the quarter's boundary has orders on both sides. Simulating it takes
    ten seconds of CPU, so it is simulated once per run (tests/support/once.py) and each
    xdist worker reads its own copy."""

    def build(root: Path) -> dict[str, Any]:
        service, clock, stats = simulate(
            root, registry, start=QUARTER.start, days=97, calls=2000, seed=14
        )
        service.store.close()
        return {"as_of": clock.now().isoformat(), "stats": stats}

    mine = tmp_path_factory.mktemp("quarter") / "hub.sqlite3"
    built, made = built_once(tmp_path_factory, "quarter", build)
    with (
        closing(sqlite3.connect(f"file:{built / 'hub.sqlite3'}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(mine)) as dst,
    ):
        src.backup(dst)  # the whole database, whatever its WAL held
    as_of = datetime.fromisoformat(made["as_of"])
    service = TestService.open(mine, registry=registry, clock=FakeClock(as_of))
    yield Quarter(service, mine, as_of, made["stats"])
    service.store.close()
