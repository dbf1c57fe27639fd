"""The facts of each order, read from the hub's database through a read-only connection.

The event log is the truth (hub/dispatch/): an order's dispatch, its deadlines (as written in
its `dispatched` event), every report with the time it is judged by (`at`, already the
hub's receipt time when the signed time was impossible: `clock_suspect`), and how it ended
(closed, cancelled, reassigned). Only what the hub had *recorded* by `as_of` is read, so a
report re-run later for the same period and the same `as_of` gives the same figures.

Nothing here judges anything; `judge.py` does, as a pure function of these facts.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.db.times import must_ts, parse_ts, ts

_stored = datetime.fromisoformat
"""Times the hub stored (`hub.store.ts`: fixed-width RFC 3339 in UTC with `Z`) read as they
are: Python 3.11 reads the `Z` itself, and a quarter's report reads 140,000 of them, so the
general `must_ts` (which also accepts other offsets and normalises) is kept for the rest."""

REPORT_TYPES = ("received", "ack", "arrived", "feedback")
END_TYPES = ("closed", "cancelled", "reassigned")


@dataclass(frozen=True)
class Report:
    """One terminal (or tracker, or operator-recorded) report about an order."""

    event_id: str
    seq: int
    type: str
    at: datetime  # the time it is judged by
    recorded_at: datetime  # when the hub committed it (later than `at` for offline reports)
    source: str
    clock_suspect: bool
    signed_at: datetime | None  # the terminal's own claim, kept when it was not believed


@dataclass(frozen=True)
class End:
    type: str  # closed | cancelled | reassigned
    at: datetime
    event_id: str
    reason: str
    new_order: str | None  # reassigned: the order that replaced this one


@dataclass
class OrderFacts:
    order_id: str
    incident_id: str
    source_id: str  # the 110 incident number
    unit: str
    role: str
    township: str
    category: str
    drill: bool
    dispatched_at: datetime
    dispatch_event: str
    deadlines: dict[str, datetime]
    reports: list[Report] = field(default_factory=list)
    end: End | None = None
    replaces: str | None = None  # this order was made by reassigning that one
    self_recorded: bool = False  # 自接 (双轨制): the unit's own order for a call it took itself


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """A connection that cannot write: assessment never changes the dispatch tables."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA query_only=ON")
    return conn


_ORDERS = """
SELECT o.id, o.incident_id, o.unit, o.role, o.drill AS odrill, o.dispatched_at,
       i.township, i.category, i.drill AS idrill, i.source_id, i.source
FROM orders o JOIN incidents i ON i.id = o.incident_id
WHERE o.dispatched_at >= ? AND o.dispatched_at < ? AND o.dispatched_at <= ?
"""
_EVENTS = """
SELECT e.seq, e.id, e.order_id, e.type, e.at, e.recorded_at, e.source, e.detail
FROM orders o JOIN events e ON e.order_id = o.id
WHERE o.dispatched_at >= ? AND o.dispatched_at < ? AND o.dispatched_at <= ?
  AND e.recorded_at <= ? AND e.type IN ('dispatched', 'received', 'ack', 'arrived',
      'feedback', 'closed', 'cancelled', 'reassigned')
ORDER BY e.seq
"""


def read_orders(
    conn: sqlite3.Connection, start: datetime, end: datetime, as_of: datetime
) -> list[OrderFacts]:
    """Every order dispatched in [start, end) and recorded by `as_of`, drills included
    (flagged: they go to the drill report, never into a score), oldest dispatch first."""
    args = (ts(start), ts(end), ts(as_of))
    facts: dict[str, OrderFacts] = {}
    for r in conn.execute(_ORDERS, args):
        facts[r["id"]] = OrderFacts(
            order_id=r["id"],
            incident_id=r["incident_id"],
            source_id=r["source_id"],
            unit=r["unit"],
            role=r["role"],
            township=r["township"],
            category=r["category"],
            drill=bool(r["odrill"] or r["idrill"]),
            dispatched_at=_stored(r["dispatched_at"]),
            dispatch_event="",
            deadlines={},
            # hub/dispatch/selfcalls.py: the incident is sourced from the unit that took it
            self_recorded=r["role"] == "lead" and r["source"] == f"unit:{r['unit']}",
        )
    replaced: dict[str, str] = {}
    for e in conn.execute(_EVENTS, (*args, ts(as_of))):
        f = facts.get(e["order_id"])
        if f is None:
            continue
        _apply(f, e, replaced)
    for old, new in replaced.items():
        if new in facts:
            facts[new].replaces = old
    return sorted(facts.values(), key=lambda f: (f.dispatched_at, f.order_id))


def _apply(f: OrderFacts, e: sqlite3.Row, replaced: dict[str, str]) -> None:
    kind = e["type"]
    if kind == "dispatched":
        if not f.dispatch_event:
            f.dispatch_event = e["id"]
            detail = _detail(e["detail"])
            f.deadlines = {n: must_ts(v) for n, v in detail.get("deadlines", {}).items()}
        return
    if kind in END_TYPES:
        if f.end is None:
            detail = _detail(e["detail"])
            new = detail.get("new_order")
            f.end = End(kind, _stored(e["at"]), e["id"], str(detail.get("reason", "")), new)
            if new:
                replaced[f.order_id] = new
        return
    raw = e["detail"]
    suspect = "clock_suspect" in raw
    signed = parse_ts(_detail(raw).get("signed_at")) if suspect else None
    f.reports.append(
        Report(
            event_id=e["id"],
            seq=e["seq"],
            type=kind,
            at=_stored(e["at"]),
            recorded_at=_stored(e["recorded_at"]),
            source=e["source"],
            clock_suspect=suspect,
            signed_at=signed,
        )
    )


def _detail(raw: str) -> dict[str, Any]:
    value = json.loads(raw or "{}")
    return value if isinstance(value, dict) else {}


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    """Assessment's own tables may be missing in a database the hub has not opened since
    they were added; then there simply are no findings yet."""
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)
    ).fetchone()
    return row is not None
