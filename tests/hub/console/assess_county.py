"""A few simulated county days for the 考核 page tests, made once through the real hub.

`tests/hub/assessment/synth.py` drives calls through the real `HubService` and signed
terminal reports through the real `ReportHandler` (offline terminals, wrong clocks,
cancels, reassignments, drills). Building takes seconds, so it is made once per session
and every test opens its own copy of the database: the tests write spot checks and
appeals, and must not see each other's.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from hub.assessment import periods
from hub.registry import Registry
from tests.hub.assessment.synth import simulate

FIRST_DAY = date(2026, 1, 5)
CHECK_DAY = date(2026, 1, 6)  # a full day inside the simulated span


@dataclass(frozen=True)
class CountyDays:
    db_path: Path
    end: datetime  # the simulator's clock after the last report

    def copy_to(self, folder: Path) -> Path:
        target = folder / "hub.sqlite3"
        shutil.copyfile(self.db_path, target)
        return target


def build(root: Path, registry: Registry) -> CountyDays:
    service, clock, _stats = simulate(
        root, registry, start=periods.day(FIRST_DAY).start, days=6, calls=160, seed=21
    )
    service.store.close()
    return CountyDays(root / "hub.sqlite3", clock.now())
