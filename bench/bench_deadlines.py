"""Deadline engine: about 10,000 open deadlines, how late the running loop fires them, and
how long a restarted hub takes to fire every one that fell due while it was down.

The hub's real parts over a real SQLite file (WAL, synchronous=FULL). The clock is the real
one shifted forward at will (the engine takes any clock): 2,600 incidents are taken in,
each order with its receive, ack, arrive and feedback deadlines; the clock then jumps to a
few seconds before the first receive deadline, and the engine's own thread fires them as
they fall due (lateness = fired_at - due_at, on that clock). Then the engine stops, the
clock jumps a day on, and a new engine's first `run_due()` fires all the rest, timed,
beside its baseline from the same run: reading those rows alone.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import columns, goal, spread, wait
from hub.db.times import must_ts, ts
from hub.dispatch.deadlines import DUE_QUERY
from hub.parts import open_parts

RUNS = 3
INCIDENTS = 2600


class ShiftedClock:
    """The real clock, moved forward by `offset`."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def _incident(i: int, now: datetime) -> dict[str, Any]:
    return {
        "source_id": f"DL{i}",
        "category": "power-cut",
        "address": "妥甸镇 东街 12 号",
        "township": "tuodian",
        "summary": "基准测试",
        "caller_phone": "13812345678",
        "reported_at": now.isoformat(),
    }


def _one(workdir: Path, run: int) -> dict[str, float]:
    clock = ShiftedClock()
    parts = open_parts(workdir / f"deadlines-{run}.db", clock=clock)
    for i in range(INCIDENTS):
        parts.incoming.intake(_incident(i, clock.now()), source="cad-110")
    store = parts.store
    open_rows = store.one("SELECT count(*) AS n FROM deadlines WHERE fired_at IS NULL")
    first = store.one("SELECT min(due_at) AS d FROM deadlines WHERE name='receive'")
    last = store.one("SELECT max(due_at) AS d FROM deadlines WHERE name='receive'")
    assert open_rows and first and last
    clock.offset = must_ts(first["d"]) - datetime.now(UTC) - timedelta(seconds=2)
    engine = parts.engine()
    engine.start()
    receive = "SELECT count(*) AS n FROM deadlines WHERE name='receive' AND fired_at IS NULL"
    wait(lambda: (store.one(receive) or {"n": 1})["n"] == 0, 120, 0.05)
    engine.stop()
    late = [
        (must_ts(r["fired_at"]) - must_ts(r["due_at"])).total_seconds() * 1000
        for r in store.query("SELECT due_at, fired_at FROM deadlines WHERE name='receive'")
    ]
    clock.offset += timedelta(days=1)  # the hub was down a day: everything is due
    t0 = time.perf_counter()
    rows = store.query(DUE_QUERY, (ts(clock.now()), 1_000_000))
    read = time.perf_counter() - t0
    restarted = parts.engine()
    t0 = time.perf_counter()
    fired = restarted.run_due()
    fire_all = time.perf_counter() - t0
    left = store.one("SELECT count(*) AS n FROM deadlines WHERE fired_at IS NULL")
    store.close()
    return {
        "open": float(open_rows["n"]),
        "late_max": max(late),
        "late_p50": statistics.median(late),
        "restart_fired": float(fired),
        "restart_s": fire_all,
        "read_s": read,
        "due_rows": float(len(rows)),
        "left": float(left["n"]) if left else -1.0,
    }


def run(workdir: Path) -> dict[str, Any]:
    runs = [_one(workdir, i) for i in range(RUNS)]

    col = columns(runs)

    return {
        "runs": RUNS,
        "open deadlines": spread(col("open"), 0),
        "running loop: receive deadlines fired late, p50 (ms)": spread(col("late_p50"), 1),
        "running loop: receive deadlines fired late, max (ms)": spread(col("late_max"), 1),
        "running loop goal": goal(max(col("late_max")) <= 1000, "every one within 1 s"),
        "after a restart: deadlines fired by the first pass": spread(col("restart_fired"), 0),
        "after a restart: first pass fires them all (s)": spread(col("restart_s")),
        "baseline: reading those rows alone (s)": spread(col("read_s"), 3),
        "ratio restart pass / read": spread(
            [a / b for a, b in zip(col("restart_s"), col("read_s"), strict=True)], 1
        ),
        "open after the restart pass": spread(col("left"), 0),
    }
