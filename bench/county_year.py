"""The benchmark's county-year, built once through the real hub and then kept in a file.

Building 40,000 orders through `HubService` and `ReportHandler` takes minutes, and it is
set-up, not what is measured. So the built database is copied into a cache folder under a
name made from everything that decides its content: the generator's parameters (start,
days, calls, seed) and a hash of the generator's source (the simulator, the scenario, the
hub's store schema and report handling). A re-run with the same inputs opens the copy; a
changed generator, a first run on a fresh machine (CI) or LIANDONG_BENCH_REBUILD=1 builds it
honestly again. The cache is `$LIANDONG_BENCH_CACHE`, else `~/.cache/liandong/bench`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hub.registry import Registry
from tests.hub.assessment.synth import simulate

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    "tests/hub/assessment/synth.py",
    "demo/scenario.py",
    "hub/db/*.py",
    "hub/dispatch/*.py",
    "hub/terminals/uplink.py",
    "hub/assessment/schema.py",
)
"""What makes the county-year (globs under the project): a change to any of them rebuilds."""


@dataclass(frozen=True)
class Built:
    db_path: Path
    end: datetime  # the simulator's clock when the last report was in
    stats: dict[str, int]
    made_s: float  # how long building took (when it was built in this run)
    cached: bool


def cache_dir() -> Path:
    found = os.environ.get("LIANDONG_BENCH_CACHE")
    return Path(found) if found else Path.home() / ".cache" / "liandong" / "bench"


def key(start: datetime, days: int, calls: int, seed: int) -> str:
    """The cache name: the parameters and the generator's code, hashed."""
    h = hashlib.sha256(f"{start.isoformat()}|{days}|{calls}|{seed}".encode())
    for pattern in SOURCES:
        files = sorted(ROOT.glob(pattern))
        if not files:
            raise FileNotFoundError(f"bench/county_year.py: nothing matches {pattern!r}")
        for f in files:
            h.update(f.read_bytes())
    return h.hexdigest()[:20]


def county_year(
    workdir: Path, registry: Registry, *, start: datetime, days: int, calls: int, seed: int
) -> Built:
    """The database of the simulated period in `workdir` (copied from the cache, or built)."""
    name = key(start, days, calls, seed)
    cached_db = cache_dir() / f"assessment-{name}.sqlite3"
    meta = cached_db.with_suffix(".json")
    target = workdir / "hub.sqlite3"
    if os.environ.get("LIANDONG_BENCH_REBUILD") != "1" and cached_db.exists() and meta.exists():
        shutil.copyfile(cached_db, target)
        info = json.loads(meta.read_text())
        end = datetime.fromisoformat(info["end"])
        return Built(target, end, info["stats"], info["made_s"], cached=True)
    t0 = time.perf_counter()
    service, clock, stats = simulate(
        workdir, registry, start=start, days=days, calls=calls, seed=seed
    )
    made_s = round(time.perf_counter() - t0, 1)
    service.store.close()
    cache_dir().mkdir(parents=True, exist_ok=True)
    partial = cached_db.with_suffix(".tmp")
    src, dst = sqlite3.connect(target), sqlite3.connect(partial)
    try:
        src.backup(dst)  # a consistent copy whatever WAL state the hub left
    finally:
        src.close()
        dst.close()
    partial.replace(cached_db)
    meta.write_text(json.dumps({"end": clock.now().isoformat(), "stats": stats, "made_s": made_s}))
    return Built(target, clock.now(), stats, made_s, cached=False)
