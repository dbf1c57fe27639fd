"""One synthetic quarter through the real hub, shared by the assessment tests (read-only)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from hub.assessment import periods
from hub.assessment.rubric import Rubric, load_rubric
from hub.registry import Registry, load_registry
from tests.hub.assessment.synth import simulate
from tests.support.hubparts import TestService

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
    second so that the quarter's boundary has orders on both sides."""
    root = tmp_path_factory.mktemp("quarter")
    service, clock, stats = simulate(
        root, registry, start=QUARTER.start, days=97, calls=2000, seed=14
    )
    yield Quarter(service, service.db_path, clock.now(), stats)
    service.store.close()
