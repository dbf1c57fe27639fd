"""Reports about an order (received, ack, arrived, feedback), applied in the caller's
transaction: the order moves forward (never back) and meets its deadlines.

The receipt chain (`alarmed`, `printed`, `print_failed`: the terminal sounded the alarm,
the slip is on paper, or it is not and why) is evidence only: an event on the incident's
timeline, signed, once per message id; it moves no state and meets no deadline, so the
assessment (which reads received, ack, arrived and feedback) counts exactly as before.

A report is judged by its own signed `at`: an ack made offline before `ack_by` is on time
however late it arrives; if the deadline already fired, an event records that the report
was in fact on time. A time it could not have had is not believed (`judged_time`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from hub.db.store import Store
from hub.db.times import parse_ts, ts
from hub.dispatch.ledger import ACTIVE_STATES, STATE_RANK, Ledger
from hub.errors import ReportRejected
from wire import kinds as k

log = logging.getLogger(__name__)

ORDER_KINDS = {
    "received": "received",
    "ack": "acknowledged",
    "arrived": "arrived",
    "feedback": "fed_back",
}
RECEIPT_CHAIN = ("alarmed", "printed", "print_failed")
"""Reports that are recorded as events and change nothing else."""
DEADLINE_OF = {"received": "receive", "ack": "ack", "arrived": "arrive", "feedback": "feedback"}
SET_TIME = {
    kind: f"UPDATE orders SET {col}=coalesce({col}, ?) WHERE id=?"  # noqa: S608 - constants
    for kind, col in {
        "received": "received_at",
        "ack": "acked_at",
        "arrived": "arrived_at",
        "feedback": "fed_back_at",
    }.items()
}


CLOCK_TOLERANCE = timedelta(seconds=60)
"""How far a report's signed time may lie outside [dispatch, now] before it is not believed."""


def judged_time(at: datetime, dispatched_at: datetime, now: datetime) -> datetime:
    """The time a report is judged by: its own signed `at` when that time was possible.

    A report cannot precede its order's dispatch nor come from the future. A terminal whose
    clock is wrong (or a unit trying its luck with the assessment) must not be judged on
    time by a time it could not have had, so an impossible time is not evidence and the
    report counts from when the hub got it. Within a minute either way is a clock's normal
    drift and is believed."""
    if at < dispatched_at - CLOCK_TOLERANCE or at > now + CLOCK_TOLERANCE:
        return now
    return at


class OrderReports:
    """Applies order reports in the caller's transaction (the inbox's or a tracker fix's)."""

    def __init__(self, store: Store, ledger: Ledger) -> None:
        self.store = store
        self.ledger = ledger

    def apply(
        self,
        db: sqlite_utils.Database,
        unit: str,
        kind: str,
        body: Any,
        at: datetime,
        now: datetime,
        *,
        source: str,
        sig: str | None = None,
        raw: bytes | None = None,
        event_id: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """received / ack / arrived / feedback (or the receipt chain's alarmed / printed /
        print_failed) for one order, in the caller's transaction. `extra` is added to the
        event's detail (an operator's phone record says how)."""
        order = self.store.one("SELECT * FROM orders WHERE id=?", (body.order_id,))
        if order is None:
            raise ReportRejected("unknown_order", f"{kind} for unknown order {body.order_id}")
        if order["unit"] != unit:
            raise ReportRejected(
                "wrong_order", f"{unit} reported {kind} for {order['unit']}'s order {order['id']}"
            )
        detail: dict[str, Any] = {}
        if isinstance(body, k.ArrivedBody):
            detail = {"via": body.source}
            if body.position:
                detail["position"] = [body.position.lat, body.position.lon]
        elif isinstance(body, k.FeedbackBody):
            detail = {"result_code": body.result_code, "text": body.text}
        elif isinstance(body, k.AckBody):
            detail = {"via": body.via}
        elif isinstance(body, k.ReceivedBody | k.AlarmedBody):
            detail = {"rev": body.rev}
        elif isinstance(body, k.PrintedBody):
            detail = {"rev": body.rev, **({"reprint": True} if body.reprint else {})}
        elif isinstance(body, k.PrintFailedBody):
            # the printer's own words (`body.detail`) stay in the signed message (`raw`)
            detail = {"rev": body.rev, "reason": body.reason}
        detail.update(extra or {})
        dispatched = parse_ts(order["dispatched_at"])
        judged = judged_time(at, dispatched, now) if dispatched else at
        if judged != at:
            detail["signed_at"] = ts(at)
            detail["clock_suspect"] = True
            log.warning("%s from %s signed at %s, judged at %s", kind, unit, ts(at), ts(judged))
            at = judged
        late = False
        if kind in RECEIPT_CHAIN:
            pass  # evidence only: no state, no deadline (the module's docstring)
        elif order["state"] not in ACTIVE_STATES:
            detail["ignored"] = f"order is {order['state']}"
        else:
            late = self._advance(db, order, kind, body, at, now)
        self.ledger.event(
            db,
            at=at,
            recorded_at=now,
            type=kind,
            source=source,
            incident_id=order["incident_id"],
            order_id=order["id"],
            unit=unit,
            detail=detail,
            late=late,
            sig=sig,
            raw=raw,
            event_id=event_id,
        )
        return [
            {"type": "order", "id": order["id"], "incident_id": order["incident_id"], "kind": kind}
        ]

    def _advance(
        self,
        db: sqlite_utils.Database,
        order: dict[str, Any],
        kind: str,
        body: Any,
        at: datetime,
        now: datetime,
    ) -> bool:
        """Move the order forward (never back) and meet its deadlines; True if late."""
        oid = order["id"]
        # Any report proves the terminal holds the order: it counts as received.
        if order["received_at"] is None:
            db.execute("UPDATE orders SET received_at=? WHERE id=?", (ts(at), oid))
        db.execute(
            "UPDATE outbox SET done_at=? WHERE order_id=? AND kind='order' AND done_at IS NULL"
            " AND rev <= ?",
            (ts(now), oid, getattr(body, "rev", order["rev"])),
        )
        self._meet(db, order, "receive", at, now)
        if kind == "received":
            # received_at and the receive deadline are done just above: the SET_TIME and
            # second `_meet` the other kinds need would change nothing (issue 17: two of a
            # `received` report's seven statements; the second `_meet` found the deadline
            # met and answered False, so the event is not marked late, as before)
            if order["state"] == "dispatched":
                db.execute("UPDATE orders SET state='received' WHERE id=?", (oid,))
            return False
        db.execute(SET_TIME[kind], (ts(at), oid))
        new_state = ORDER_KINDS[kind]
        if STATE_RANK[new_state] > STATE_RANK[order["state"]]:
            db.execute("UPDATE orders SET state=? WHERE id=?", (new_state, oid))
        if isinstance(body, k.FeedbackBody):
            db.execute(
                "UPDATE orders SET result_code=?, result_text=? WHERE id=?",
                (body.result_code, body.text, oid),
            )
        return self._meet(db, order, DEADLINE_OF[kind], at, now)

    def _meet(
        self,
        db: sqlite_utils.Database,
        order: dict[str, Any],
        name: str,
        at: datetime,
        now: datetime,
    ) -> bool:
        d = self.store.one(
            "SELECT * FROM deadlines WHERE order_id=? AND name=?", (order["id"], name)
        )
        if d is None or d["met_at"] is not None or d["void_at"] is not None:
            return False
        met = ts(at)
        db.execute(
            "UPDATE deadlines SET met_at=? WHERE order_id=? AND name=?", (met, order["id"], name)
        )
        late = bool(met > d["due_at"])
        if d["fired_at"] is not None and not late:
            # Fired while the report was on its way: the unit was on time by its own clock.
            self.ledger.event(
                db,
                at=at,
                recorded_at=now,
                type="deadline_met_in_time",
                source="engine",
                incident_id=order["incident_id"],
                order_id=order["id"],
                unit=order["unit"],
                detail={"deadline": name, "due_at": d["due_at"], "fired_at": d["fired_at"]},
            )
        return late
