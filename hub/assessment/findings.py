"""Reading the spot-check tables: which findings stand, which late marks were excused.

Append-only records need one rule for what is in force, applied the same way by the
console's work queue and by every score: a finding stands unless a later finding supersedes
it or an appeal against it was upheld by the latest decision on that appeal; a late mark on
an order's stage is excused when an appeal against it was upheld. Functions take any
sqlite3 connection (the report's read-only one, or the hub store's) and return plain values.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.assessment.evidence import table_exists
from hub.db.times import must_ts


@dataclass(frozen=True)
class Finding:
    id: str
    order_id: str
    unit: str
    kind: str  # callback | dress | handling
    reached: bool | None
    satisfaction: int | None
    ok: bool | None
    remark: str
    author: str
    recorded_at: datetime
    supersedes: str | None


@dataclass(frozen=True)
class Appeal:
    id: str
    order_id: str
    unit: str
    finding_id: str | None
    stage: str | None
    reason: str
    author: str
    filed_at: datetime
    upheld: bool | None  # the latest decision; None while undecided
    decided_by: str | None
    decision_remark: str


def rows(conn: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows as dicts whatever the connection's row factory."""
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, tuple(r), strict=True)) for r in cur.fetchall()]


def _finding(r: dict[str, Any]) -> Finding:
    def opt(v: Any) -> bool | None:
        return None if v is None else bool(v)

    return Finding(
        id=r["id"],
        order_id=r["order_id"],
        unit=r["unit"],
        kind=r["kind"],
        reached=opt(r["reached"]),
        satisfaction=r["satisfaction"],
        ok=opt(r["ok"]),
        remark=r["remark"],
        author=r["author"],
        recorded_at=must_ts(r["recorded_at"]),
        supersedes=r["supersedes"],
    )


def all_findings(conn: sqlite3.Connection, order_id: str | None = None) -> list[Finding]:
    """Every finding ever recorded (superseded ones too), oldest first: the history."""
    if not table_exists(conn, "assessment_findings"):
        return []
    sql = "SELECT * FROM assessment_findings"
    args: tuple[Any, ...] = ()
    if order_id is not None:
        sql += " WHERE order_id=?"
        args = (order_id,)
    return [_finding(r) for r in rows(conn, sql + " ORDER BY seq", args)]


def appeals(conn: sqlite3.Connection) -> list[Appeal]:
    """Every appeal with its latest decision (a later decision replaces an earlier one)."""
    if not table_exists(conn, "assessment_appeals"):
        return []
    latest = {
        r["appeal_id"]: r for r in rows(conn, "SELECT * FROM assessment_decisions ORDER BY seq")
    }
    out = []
    for r in rows(conn, "SELECT * FROM assessment_appeals ORDER BY seq"):
        d = latest.get(r["id"])
        out.append(
            Appeal(
                id=r["id"],
                order_id=r["order_id"],
                unit=r["unit"],
                finding_id=r["finding_id"],
                stage=r["stage"],
                reason=r["reason"],
                author=r["author"],
                filed_at=must_ts(r["filed_at"]),
                upheld=None if d is None else bool(d["upheld"]),
                decided_by=None if d is None else d["author"],
                decision_remark="" if d is None else d["remark"],
            )
        )
    return out


def standing_findings(conn: sqlite3.Connection) -> list[Finding]:
    """The findings in force: not superseded, not struck out by an upheld appeal."""
    found = all_findings(conn)
    superseded = {f.supersedes for f in found if f.supersedes}
    struck = {a.finding_id for a in appeals(conn) if a.finding_id and a.upheld}
    return [f for f in found if f.id not in superseded and f.id not in struck]


def excused_stages(conn: sqlite3.Connection) -> frozenset[tuple[str, str]]:
    """(order id, stage) whose late mark an auditor excused on appeal."""
    return frozenset(
        (a.order_id, a.stage) for a in appeals(conn) if a.stage is not None and a.upheld
    )
