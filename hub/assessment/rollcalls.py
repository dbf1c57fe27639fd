"""点名 evidence for the assessment: per unit, the roll-calls of a period and how many were
answered by their answer-by time (judged by the answer's signed time, as the hub recorded
it). Read-only, from the tables hub/dispatch/rollcall/ writes.

A call still inside its answer-by time at `as_of` is not a case yet (neither met nor
missed); one answered after answer-by, or never, is a case not met. A database from before
roll-call (no table) has no case.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

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


def read_rollcalls(
    conn: sqlite3.Connection, start: datetime, end: datetime, as_of: datetime
) -> dict[str, RollcallCount]:
    """Per unit, the roll-calls called in [start, end) that are judged by `as_of`."""
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='rollcall_calls'"
    ).fetchone()
    if not has:
        return {}
    rows = conn.execute(
        "SELECT c.unit, count(*),"
        " sum(CASE WHEN c.answered_at IS NOT NULL AND c.answered_at <= c.answer_by"
        "     AND c.recorded_at <= ? THEN 1 ELSE 0 END)"
        " FROM rollcall_calls c JOIN rollcall_rounds r ON r.id = c.round_id"
        " WHERE r.called_at >= ? AND r.called_at < ? AND c.answer_by <= ?"
        " GROUP BY c.unit",
        (ts(as_of), ts(start), ts(end), ts(as_of)),
    ).fetchall()
    return {str(unit): RollcallCount(int(n), int(met or 0)) for unit, n, met in rows}


def missed_on(
    conn: sqlite3.Connection, start: datetime, end: datetime, as_of: datetime
) -> list[tuple[str, str, str]]:
    """(unit, called_at, answer_by) of every roll-call of [start, end) not answered by its
    answer-by time as of `as_of`, oldest first: what the day's spot check goes through."""
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='rollcall_calls'"
    ).fetchone()
    if not has:
        return []
    rows = conn.execute(
        "SELECT c.unit, r.called_at, c.answer_by FROM rollcall_calls c"
        " JOIN rollcall_rounds r ON r.id = c.round_id"
        " WHERE r.called_at >= ? AND r.called_at < ? AND c.answer_by <= ?"
        " AND NOT (c.answered_at IS NOT NULL AND c.answered_at <= c.answer_by"
        "          AND c.recorded_at <= ?)"
        " ORDER BY r.called_at, c.unit",
        (ts(start), ts(end), ts(as_of), ts(as_of)),
    ).fetchall()
    return [(str(u), str(c), str(a)) for u, c, a in rows]
