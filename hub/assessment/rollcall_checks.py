"""The spot check of missed roll-calls (点名核实): the one writer of
`assessment_rollcall_checks` (made by schema.py's `assessment_0002_rollcall_checks`).

Every roll-call not answered in time is checked, not sampled: the auditor phones the duty
room and records what was found. `absent` (脱岗) confirms the miss; `excused` (在岗，终端或
线路故障) takes it out of the assessment's roll-call item, the way an upheld appeal
excuses a late stage. Append-only like every assessment record: a second check of the same
roll-call supersedes the first, which stays on record (the database refuses UPDATE and
DELETE).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from hub.db.store import Store
from hub.db.times import must_ts, ts
from hub.errors import HubError
from wire.clock import Clock

RESULTS = ("absent", "excused")
REMARK_MAX = 500


class RollcallCheckError(HubError, ValueError):
    """A check that cannot be recorded (an unknown or answered roll-call, a bad result);
    raised with a template the console translates (`HubError`)."""


@dataclass(frozen=True)
class RollcallCheck:
    rollcall_id: str
    unit: str
    result: str
    remark: str
    author: str
    recorded_at: datetime


def checks_in_force(conn: sqlite3.Connection) -> dict[str, str]:
    """rollcall_id -> the result of its latest check (a database without the table: none)."""
    has = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='assessment_rollcall_checks'"
    ).fetchone()
    if not has:
        return {}
    rows = conn.execute(
        "SELECT rollcall_id, result FROM assessment_rollcall_checks ORDER BY seq"
    ).fetchall()
    return {str(rid): str(result) for rid, result in rows}


class RollcallChecks:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def record(self, rollcall_id: str, *, result: str, remark: str, by: str) -> RollcallCheck:
        """Record what the auditor found; only a roll-call not answered in time is checked."""
        if result not in RESULTS:
            raise RollcallCheckError(
                "result must be one of %(results)s", results=", ".join(RESULTS)
            )
        remark = remark.strip()
        if len(remark) > REMARK_MAX:
            raise RollcallCheckError("remark longer than %(max)d characters", max=REMARK_MAX)
        now = self.clock.now()
        with self.store.write() as db:
            call = self.store.one(
                "SELECT unit, answered_at, answer_by FROM rollcall_calls WHERE id=?",
                (rollcall_id,),
            )
            if call is None:
                raise RollcallCheckError("no roll-call %(rollcall)s", rollcall=rollcall_id)
            on_time = call["answered_at"] is not None and call["answered_at"] <= call["answer_by"]
            if on_time or must_ts(call["answer_by"]) > now:
                raise RollcallCheckError("only a roll-call not answered in time is checked")
            db.execute(
                "INSERT INTO assessment_rollcall_checks (rollcall_id, unit, result, remark,"
                " author, recorded_at) VALUES (?,?,?,?,?,?)",
                (rollcall_id, call["unit"], result, remark, by, ts(now)),
            )
        return RollcallCheck(rollcall_id, call["unit"], result, remark, by, now)

    def in_force(self) -> dict[str, str]:
        with self.store.lock:
            return checks_in_force(self.store.db.conn)
