"""Roll-call rounds and calls: the one writer of `rollcall_rounds` and `rollcall_calls`.

A round calls every chosen tier-1 unit at once: per unit one call row (its id is the
`rollcall_id` the terminal answers with) and one signed `rollcall` command in the outbox,
all in one transaction, so a round is either wholly queued or not at all. The answer-by
time lives in the call row like an order's deadline lives in `deadlines`: the deadline
engine asks `fire_due()` on every pass, so a hub restart loses no missed roll-call (it fires
at the first pass, marked late). A missed call escalates through the same notifier as a
missed acknowledgement, as deadline kind `rollcall_missed`.

An answer is judged by its own signed time, like an ack: made before answer-by it is on
time however late it arrives (an uplink outage), even when the miss has fired already.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from hub.alerts.notify import Escalation
from hub.db.store import Store
from hub.db.times import must_ts, parse_ts, ts
from hub.dispatch.ledger import Ledger
from hub.dispatch.order_reports import judged_time
from hub.dispatch.wake import Wake
from hub.errors import Conflict, NotFound, ReportRejected
from hub.registry import Registry
from wire import kinds as k
from wire.clock import Clock
from wire.ids import new_id

log = logging.getLogger(__name__)

MISSED = "rollcall_missed"
"""The escalation's deadline kind: the SMS ladder routes on it."""
LATE_AFTER_S = 2.0
BATCH = 200


@dataclass(frozen=True)
class RollcallTimes:
    """How long a duty room has to answer, and when a call is no longer worth answering."""

    answer_s: float = 180.0
    expire_s: float = 600.0

    def __post_init__(self) -> None:
        if not 0 < self.answer_s <= self.expire_s:
            raise ValueError("roll-call times need 0 < answer_s <= expire_s")


class RollCalls:
    def __init__(
        self,
        store: Store,
        ledger: Ledger,
        registry: Registry,
        clock: Clock,
        wake: Wake,
        times: RollcallTimes | None = None,
        revoked: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.registry = registry
        self.clock = clock
        self.wake = wake
        self.times = times or RollcallTimes()
        self.revoked = revoked
        """Units whose certificate is revoked now: the hub sends them nothing, so they are
        not called (a call they cannot hear would count against them)."""

    def duty_units(self) -> list[str]:
        """The units that keep 24-hour duty and are called: tier 1 with a terminal, not
        revoked, in registry order. (`terminal` is the registry's field for a unit without
        a terminal, issue 15; a registry without the field has one for every tier-1 unit.)"""
        revoked = self.revoked()
        return [
            u.id
            for u in self.registry.units.values()
            if u.tier == 1 and getattr(u, "terminal", True) and u.id not in revoked
        ]

    # ---- calling ---------------------------------------------------------------------------
    def call(
        self,
        db: sqlite_utils.Database,
        now: datetime,
        *,
        source: str,
        by: str = "",
        units: Iterable[str] | None = None,
    ) -> str:
        """Queue one round in the caller's transaction; returns the round's id."""
        chosen = list(dict.fromkeys(units)) if units is not None else self.duty_units()
        unknown = [u for u in chosen if u not in self.registry.units]
        if unknown:
            raise NotFound("no unit %(unit)s", unit=", ".join(unknown))
        if not chosen:
            raise Conflict("a roll-call needs at least one unit")
        answer_by = now + timedelta(seconds=self.times.answer_s)
        self.wake.due(answer_by)  # the engine wakes for it if it is its earliest deadline
        expires_at = now + timedelta(seconds=self.times.expire_s)
        round_id = new_id()
        db.execute(
            "INSERT INTO rollcall_rounds (id, called_at, answer_by, expires_at, source, called_by)"
            " VALUES (?,?,?,?,?,?)",
            (round_id, ts(now), ts(answer_by), ts(expires_at), source, by),
        )
        for unit in chosen:
            call_id = new_id()
            body = k.CommandBody(
                command="rollcall",
                rollcall_id=call_id,
                answer_by=answer_by,
                expires_at=expires_at,
                text="点名",
            )
            msg_id = self.ledger.enqueue(db, "command", unit, body, now)
            db.execute(
                "INSERT INTO rollcall_calls (id, round_id, unit, answer_by, expires_at, msg_id)"
                " VALUES (?,?,?,?,?,?)",
                (call_id, round_id, unit, ts(answer_by), ts(expires_at), msg_id),
            )
        self.ledger.event(
            db,
            at=now,
            recorded_at=now,
            type="rollcall",
            source=by or source,
            detail={"round_id": round_id, "units": chosen, "answer_by": ts(answer_by)},
        )
        return round_id

    def call_now(self, *, by: str, units: Iterable[str] | None = None) -> str:
        """点名 from the console (a supervisor): one round now; returns its id."""
        now = self.clock.now()
        with self.store.write() as db:
            round_id = self.call(db, now, source="console", by=by, units=units)
        self.wake.changed({"type": "rollcall", "id": round_id})
        log.info("roll-call %s called by %s", round_id, by)
        return round_id

    # ---- answers -----------------------------------------------------------------------------
    def answer(
        self,
        db: sqlite_utils.Database,
        unit: str,
        body: k.RollcallAnswerBody,
        at: datetime,
        now: datetime,
        *,
        sig: str | None = None,
        raw: bytes | None = None,
        event_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """A unit's signed answer, in the inbox's transaction; refuses a call that is not
        this unit's. A second answer to the same call changes nothing."""
        row = db.execute(
            "SELECT c.unit, c.answer_by, c.answered_at, c.missed_at, r.called_at"
            " FROM rollcall_calls c JOIN rollcall_rounds r ON r.id = c.round_id WHERE c.id=?",
            (body.rollcall_id,),
        ).fetchone()
        if row is None or row[0] != unit:
            raise ReportRejected("unknown_rollcall", f"no roll-call {body.rollcall_id} for {unit}")
        if row[2] is not None:
            return []
        when = judged_time(at, must_ts(row[4]), now)
        on_time = when <= must_ts(row[1])
        db.execute(
            "UPDATE rollcall_calls SET answered_at=?, recorded_at=?, via=?, sig=? WHERE id=?",
            (ts(when), ts(now), body.via, sig, body.rollcall_id),
        )
        self.ledger.event(
            db,
            at=when,
            recorded_at=now,
            type="rollcall_answer",
            source=f"unit:{unit}",
            unit=unit,
            detail={"rollcall_id": body.rollcall_id, "via": body.via, "on_time": on_time},
            sig=sig,
            raw=raw,
            event_id=event_id,
        )
        if on_time and row[3] is not None:
            log.info("roll-call %s: %s answered on time after all", body.rollcall_id, unit)
        return [{"type": "rollcall_answer", "id": body.rollcall_id, "unit": unit}]

    # ---- misses ------------------------------------------------------------------------------
    def next_due(self) -> datetime | None:
        row = self.store.one(
            "SELECT min(answer_by) AS due FROM rollcall_calls"
            " WHERE answered_at IS NULL AND missed_at IS NULL"
        )
        return parse_ts(row["due"]) if row else None

    def fire_due(
        self, enqueue: Callable[[sqlite_utils.Database, Escalation], object] | None = None
    ) -> list[Escalation]:
        """Mark every unanswered call past its answer-by missed, each with its event, in
        one transaction; returns the escalations for the notifier (after the commit).
        `enqueue` queues each escalation's SMS in that same transaction (hub/alerts/)."""
        now = self.clock.now()
        out: list[Escalation] = []
        due = self.next_due()
        if due is None or due > now:
            return out  # the usual pass: one indexed read, no write transaction
        with self.store.write() as db:
            rows = self.store.query(
                "SELECT id, unit, answer_by FROM rollcall_calls WHERE answered_at IS NULL"
                " AND missed_at IS NULL AND answer_by <= ? ORDER BY answer_by LIMIT ?",
                (ts(now), BATCH),
            )
            for r in rows:
                due = must_ts(r["answer_by"])
                late = (now - due) > timedelta(seconds=LATE_AFTER_S)
                db.execute(
                    "UPDATE rollcall_calls SET missed_at=?, missed_late=? WHERE id=?",
                    (ts(now), int(late), r["id"]),
                )
                self.ledger.event(
                    db,
                    at=now,
                    recorded_at=now,
                    type=MISSED,
                    source="engine",
                    unit=r["unit"],
                    detail={"rollcall_id": r["id"], "answer_by": r["answer_by"]},
                    late=late,
                )
                unit = self.registry.units.get(r["unit"])
                out.append(
                    Escalation(
                        order_id=r["id"],
                        incident_id="",
                        unit=r["unit"],
                        deadline=MISSED,
                        due_at=due,
                        fired_at=now,
                        late=late,
                        drill=False,
                        duty_phones=unit.duty_phones if unit else (),
                    )
                )
                if enqueue is not None:
                    enqueue(db, out[-1])
        return out
