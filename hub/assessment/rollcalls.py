"""点名 evidence for the assessment: per unit, the roll-calls of a period and how many were
answered by their answer-by time (judged by the answer's signed time, as the hub recorded
it). Read-only, from the tables hub/dispatch/rollcall/ writes and the spot check's
(`rollcall_checks.py`).

A call still inside its answer-by time at `as_of` is not a case yet (neither met nor
missed); one answered after answer-by, or never, is a case not met, unless the spot check
found the room on duty and excused it (then it is no case). A database from before
roll-call (no table) has no case.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.assessment.rollcall_checks import checks_in_force
from hub.db.times import ts


@dataclass(frozen=True)
class RollcallCount:
    cases: int = 0
    met: int = 0

    @property
    def missed(self) -> int:
        return self.cases - self.met

    def __add__(self, other: RollcallCount) -> RollcallCount:
        return RollcallCount(self.cases + other.cases, self.met + other.met)


@dataclass(frozen=True)
class MissedRollcall:
    rollcall_id: str
    unit: str
    called_at: str
    answer_by: str
    check: str | None  # the spot check's result in force: absent | excused | None


def _calls(
    conn: sqlite3.Connection, start: datetime, end: datetime, as_of: datetime
) -> list[tuple[str, str, str, str, bool]]:
    """(id, unit, called_at, answer_by, met) of the calls of [start, end) judged by as_of."""
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='rollcall_calls'"
    ).fetchone()
    if not has:
        return []
    rows = conn.execute(
        "SELECT c.id, c.unit, r.called_at, c.answer_by,"
        " c.answered_at IS NOT NULL AND c.answered_at <= c.answer_by AND c.recorded_at <= ?"
        " FROM rollcall_calls c JOIN rollcall_rounds r ON r.id = c.round_id"
        " WHERE r.called_at >= ? AND r.called_at < ? AND c.answer_by <= ?"
        " ORDER BY r.called_at, c.unit",
        (ts(as_of), ts(start), ts(end), ts(as_of)),
    ).fetchall()
    return [(str(i), str(u), str(c), str(a), bool(m)) for i, u, c, a, m in rows]


def read_rollcalls(
    conn: sqlite3.Connection, start: datetime, end: datetime, as_of: datetime
) -> dict[str, RollcallCount]:
    """Per unit, the roll-calls called in [start, end) that are judged by `as_of`."""
    excused = {k for k, v in checks_in_force(conn).items() if v == "excused"}
    counts: dict[str, RollcallCount] = {}
    for rid, unit, _called, _by, met in _calls(conn, start, end, as_of):
        if not met and rid in excused:
            continue
        counts[unit] = counts.get(unit, RollcallCount()) + RollcallCount(1, int(met))
    return counts


def missed_on(
    conn: sqlite3.Connection, start: datetime, end: datetime, as_of: datetime
) -> list[MissedRollcall]:
    """Every roll-call of [start, end) not answered by its answer-by time as of `as_of`,
    oldest first, with its spot check in force: what the day's spot check goes through."""
    checks = checks_in_force(conn)
    return [
        MissedRollcall(rid, unit, called, by, checks.get(rid))
        for rid, unit, called, by, met in _calls(conn, start, end, as_of)
        if not met
    ]
