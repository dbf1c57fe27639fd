"""Assessment: a county-year of about 40,000 orders; the quarterly xlsx and PDF, each timed.

The year is made by the assessment tests' simulator (tests/hub/assessment/synth.py): calls
through the real desk (hub/dispatch/desk.py), signed reports through the real Uplink, a
FakeClock.
The baseline in the same run is a bare SQL scan of the rows the quarter's report reads
(orders joined to their events), so the cost of judging, scoring and rendering shows apart
from the cost of reading; each try of a figure is paired with a scan of its own, and the
tries are written min/median/max with the ratio. Target: each quarterly output <= 5 s on
this machine.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from bench.common import goal, ratios, spread
from bench.county_year import county_year
from hub.assessment import periods
from hub.assessment.command import Request, write
from hub.assessment.compute import assess
from hub.assessment.evidence import connect_readonly
from hub.assessment.rubric import load_rubric
from hub.db.times import ts
from hub.registry import load_registry

CALLS = 25_800  # about 1.55 orders per call (属地 assists, reassignments): ~40,000 orders
TRIES = 3
TARGET_S = 5.0


def _seconds(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(workdir: Path) -> dict[str, object]:
    for name in ("hub", "wire", "matplotlib", "fontTools", "weasyprint"):
        logging.getLogger(name).setLevel(logging.ERROR)
    registry, rubric = load_registry(None), load_rubric()
    year = periods.year(2026)
    built = county_year(workdir, registry, start=year.start, days=367, calls=CALLS, seed=40)
    stats = built.stats
    conn = connect_readonly(built.db_path)
    q2 = periods.quarter(2026, 2)
    as_of = built.end + timedelta(days=1)
    year_orders = conn.execute(
        "SELECT count(*) FROM orders WHERE dispatched_at >= ? AND dispatched_at < ?",
        (ts(year.start), ts(year.end)),
    ).fetchone()[0]

    def scan() -> None:
        conn.execute(
            "SELECT e.seq, e.id, e.order_id, e.type, e.at, e.recorded_at, e.source, e.detail"
            " FROM orders o JOIN events e ON e.order_id = o.id"
            " WHERE o.dispatched_at >= ? AND o.dispatched_at < ? ORDER BY e.seq",
            (ts(q2.start), ts(q2.end)),
        ).fetchall()

    quarter = assess(conn, registry, rubric, q2, as_of)
    # Each try of a figure is paired with a scan in the same try: the ratio is per try.
    scans: list[float] = []
    assessed: list[float] = []
    xlsx: list[float] = []
    pdf: list[float] = []
    for _ in range(TRIES):
        scans.append(_seconds(scan))
        assessed.append(_seconds(lambda: assess(conn, registry, rubric, q2, as_of)))
        xlsx.append(
            _seconds(
                lambda: write(
                    conn, registry, rubric, q2, as_of, Request("quarter"), workdir / "q.xlsx"
                )
            )
        )
        pdf.append(
            _seconds(
                lambda: write(
                    conn, registry, rubric, q2, as_of, Request("quarter", format="pdf"),
                    workdir / "q.pdf",
                )
            )
        )  # fmt: skip
    year_xlsx_s = _seconds(
        lambda: write(conn, registry, rubric, year, as_of, Request("year"), workdir / "y.xlsx")
    )
    return {
        "tries": TRIES,
        "orders in the county-year (drills included)": year_orders,
        "orders counted in the quarter (Q2)": len(quarter.rows),
        "making the year through the real hub (s, setup, not a target)": (
            f"{built.made_s} (copied from the cache bench/county_year.py keeps)"
            if built.cached
            else built.made_s
        ),
        "baseline: bare SQL scan of the quarter's orders and events (s)": spread(scans, 3),
        "assess() the quarter: read, judge, score, rank (s)": spread(assessed, 3),
        "ratio assess / scan": spread(ratios(assessed, scans), 1),
        "quarterly xlsx incl. 派单明细 (s)": spread(xlsx, 3),
        "ratio xlsx / scan": spread(ratios(xlsx, scans), 1),
        "quarterly PDF bulletin with charts and previous quarter (s)": spread(pdf, 3),
        "ratio PDF / scan": spread(ratios(pdf, scans), 1),
        "goals": "; ".join(
            [
                goal(statistics.median(xlsx) <= TARGET_S, "quarterly xlsx <= 5 s"),
                goal(statistics.median(pdf) <= TARGET_S, "quarterly PDF <= 5 s"),
            ]
        ),
        "year xlsx, 40,000-row 派单明细 (s, one try)": round(year_xlsx_s, 3),
        "offline / clock-suspect / cancelled / reassigned orders made": (
            f"{stats.get('offline_orders', 0)} / {stats.get('clock_suspect', 0)} / "
            f"{stats.get('cancelled', 0)} / {stats.get('reassigned', 0)}"
        ),
    }
