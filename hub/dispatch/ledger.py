"""The write side of orders: every change is an event, a projection update and, when a
terminal must hear of it, a signed message in the outbox, all in the caller's transaction.

Functions here take the open `sqlite_utils.Database` of a `Store.write()` block and never
commit themselves: the caller decides what belongs together.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from hub.db.times import must_ts, ts
from hub.dispatch.text import unify_newlines
from hub.registry import Registry
from wire import codec
from wire import kinds as k
from wire.ids import new_id
from wire.phone import mask_phone
from wire.signing import Signer

ACTIVE_STATES = ("dispatched", "received", "acknowledged", "arrived", "fed_back")
"""Orders a terminal is still working on (feedback given but incident not yet closed)."""
ACTIVE_SQL = "(" + ",".join(f"'{s}'" for s in ACTIVE_STATES) + ")"
"""ACTIVE_STATES as an SQL list, for `state IN ACTIVE_SQL`."""
STATE_RANK = {s: i for i, s in enumerate(ACTIVE_STATES)}
DEADLINE_NAMES = ("receive", "ack", "arrive", "feedback")


# the columns of the rows `Written` keeps, in the order they are inserted
_EVENT_COLUMNS: tuple[str, ...] = ("id", "at", "recorded_at", "incident_id", "order_id", "unit")
_EVENT_COLUMNS += ("type", "source", "late", "detail", "sig", "raw")
_NEW_ORDER_COLUMNS: tuple[str, ...] = ("id", "incident_id", "unit", "role", "drill", "note")
_NEW_ORDER_COLUMNS += ("arrive_min", "dispatched_at")
_NEW_ORDER: dict[str, Any] = {"rev": 1, "state": "dispatched"}  # and what a new order has not
_NEW_ORDER |= dict.fromkeys(("received_at", "acked_at", "arrived_at", "fed_back_at", "closed_at"))
_NEW_ORDER |= dict.fromkeys(("result_code", "result_text", "replaced_by"))
_NEW_DEADLINE: dict[str, Any] = {"fired_at": None, "fired_late": 0, "met_at": None, "void_at": None}


@dataclass
class Written:
    """The rows an intake wrote, each as a read of its table returns it: the intake's
    answer is built from these instead of reading them back after the commit (issue 17:
    that read was about 70 us of the hub's CPU per order)."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    deadlines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Ledger:
    registry: Registry
    signer: Signer
    county: str
    on_due: Callable[[datetime], None] = lambda when: None
    """Told the earliest due time of every new order's deadlines (`Wake.due`), so the
    engine is woken only for a deadline earlier than the one it waits for."""

    # ---- events ------------------------------------------------------------------------
    def event(
        self,
        db: sqlite_utils.Database,
        *,
        at: datetime,
        recorded_at: datetime,
        type: str,
        source: str,
        incident_id: str | None = None,
        order_id: str | None = None,
        unit: str | None = None,
        detail: dict[str, Any] | None = None,
        late: bool = False,
        sig: str | None = None,
        raw: bytes | None = None,
        event_id: str | None = None,
        written: Written | None = None,
    ) -> str:
        """Append one event: the truth every projection is derived from."""
        eid = event_id or new_id()
        row = (
            eid,
            ts(at),
            ts(recorded_at),
            incident_id,
            order_id,
            unit,
            type,
            source,
            int(late),
            json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
            sig,
            raw,
        )
        db.execute(
            "INSERT INTO events (id, at, recorded_at, incident_id, order_id, unit, type, source,"
            " late, detail, sig, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            row,
        )
        if written is not None:
            written.events.append(dict(zip(_EVENT_COLUMNS, row, strict=True)))
        return eid

    # ---- incidents ---------------------------------------------------------------------
    def open_incident(
        self,
        db: sqlite_utils.Database,
        row: dict[str, Any],
        *,
        at: datetime,
        recorded_at: datetime,
        source: str,
        detail: dict[str, Any],
        written: Written | None = None,
    ) -> None:
        """Store a new incident row and its `incident` event (intake, the gate, a drill)."""
        # Plain SQL: sqlite-utils' insert looks the table up first, on every intake.
        db.execute(
            f"INSERT INTO incidents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",  # noqa: S608 - our own column names
            tuple(row.values()),
        )
        self.event(
            db,
            at=at,
            recorded_at=recorded_at,
            type="incident",
            source=source,
            incident_id=row["id"],
            detail=detail,
            written=written,
        )

    def mark_closed(
        self,
        db: sqlite_utils.Database,
        incident_id: str,
        now: datetime,
        *,
        source: str,
        detail: dict[str, Any],
    ) -> None:
        """The incident is closed, with its `closed` event; its orders are ended first by
        the caller (办结 closes them, a 110 withdrawal cancels them)."""
        db.execute(
            "UPDATE incidents SET state='closed', closed_at=? WHERE id=?", (ts(now), incident_id)
        )
        self.event(
            db,
            at=now,
            recorded_at=now,
            type="closed",
            source=source,
            incident_id=incident_id,
            detail=detail,
        )

    # ---- outbox ------------------------------------------------------------------------
    def enqueue(
        self,
        db: sqlite_utils.Database,
        kind: str,
        unit: str,
        body: k.Body,
        now: datetime,
        *,
        order_id: str | None = None,
        rev: int | None = None,
    ) -> str:
        """Sign a down message and queue it; the delivery loop publishes it. A unit without
        a terminal (registry `terminal = false`) is reached by phone: nothing is queued for
        it (no MQTT message nobody reads) and "" is returned."""
        known = self.registry.units.get(unit)
        if known is not None and not known.terminal:
            return ""
        msg_id, payload = codec.encode(kind, unit, body, self.signer, at=now)
        db.execute(
            "INSERT INTO outbox (msg_id, unit, kind, order_id, rev, payload, created_at,"
            " next_try_at) VALUES (?,?,?,?,?,?,?,?)",
            (msg_id, unit, kind, order_id, rev, payload, ts(now), ts(now)),
        )
        return msg_id

    # ---- orders ------------------------------------------------------------------------
    def deadlines_for(
        self, incident: dict[str, Any], unit_id: str, dispatched: datetime, arrive_min: int | None
    ) -> tuple[dict[str, datetime], int | None]:
        """The DESIGN.md table from registry figures: absolute due times per name."""
        reg = self.registry
        policy = reg.deadlines
        unit = reg.units[unit_id]
        category = reg.categories[incident["category"]]
        township = reg.townships[incident["township"]]
        minutes = reg.category_arrive_minutes(category, unit, township, arrive_min)
        due = {
            "receive": dispatched + timedelta(seconds=policy.receive_s),
            "ack": dispatched + timedelta(seconds=policy.ack_s),
            "feedback": dispatched + timedelta(hours=policy.feedback_h),
        }
        if minutes is not None:
            due["arrive"] = dispatched + timedelta(minutes=minutes)
        return due, minutes

    def dispatch(
        self,
        db: sqlite_utils.Database,
        incident: dict[str, Any],
        unit_id: str,
        role: str,
        now: datetime,
        *,
        source: str,
        arrive_min: int | None = None,
        note: str = "",
        written: Written | None = None,
    ) -> str:
        """Create one order with its deadlines, its event and its signed message."""
        order_id = new_id()
        due, minutes = self.deadlines_for(incident, unit_id, now, arrive_min)
        order = (order_id, incident["id"], unit_id, role, incident["drill"], note, minutes, ts(now))
        db.execute(
            "INSERT INTO orders (id, incident_id, unit, role, drill, note, arrive_min,"
            " dispatched_at, rev, state) VALUES (?,?,?,?,?,?,?,?,1,'dispatched')",
            order,
        )
        deadlines = [(order_id, name, ts(when)) for name, when in due.items()]
        db.conn.executemany(
            "INSERT INTO deadlines (order_id, name, due_at) VALUES (?,?,?)", deadlines
        )
        if written is not None:  # the rows as stored, the columns' defaults included
            written.orders.append(
                {**_NEW_ORDER, **dict(zip(_NEW_ORDER_COLUMNS, order, strict=True))}
            )
            written.deadlines[order_id] = [
                {**_NEW_DEADLINE, "order_id": o, "name": n, "due_at": d} for o, n, d in deadlines
            ]
        if due:
            self.on_due(min(due.values()))
        body = self.order_body(incident, order_id, unit_id, role, 1, now, due, note)
        self.enqueue(db, "order", unit_id, body, now, order_id=order_id, rev=1)
        self.event(
            db,
            at=now,
            recorded_at=now,
            type="dispatched",
            source=source,
            incident_id=incident["id"],
            order_id=order_id,
            unit=unit_id,
            detail={"role": role, "deadlines": {n: ts(w) for n, w in due.items()}},
            written=written,
        )
        return order_id

    def order_body(
        self,
        incident: dict[str, Any],
        order_id: str,
        unit_id: str,
        role: str,
        rev: int,
        dispatched: datetime,
        due: dict[str, datetime],
        note: str,
    ) -> k.OrderBody:
        reg = self.registry
        category = reg.categories[incident["category"]]
        township = reg.townships[incident["township"]]
        position = None
        if incident["lat"] is not None and incident["lon"] is not None:
            position = k.Position(lat=incident["lat"], lon=incident["lon"])
        return k.OrderBody(
            order_id=order_id,
            incident_id=incident["id"],
            rev=rev,
            category=category.code,
            category_name=category.name_zh,
            priority=incident["priority"],
            address=incident["address"],
            township=township.id,
            township_name=township.name_zh,
            # rows stored before intake unified line ends may hold a console textarea's CR LF,
            # which `PrintText` refuses; a new order for such an incident must still go out
            summary=unify_newlines(incident["summary"]),
            reported_at=must_ts(incident["reported_at"]),
            dispatched_at=dispatched,
            role=role,  # type: ignore[arg-type]
            deadlines=k.Deadlines(
                receive_by=due["receive"],
                ack_by=due["ack"],
                feedback_by=due["feedback"],
                arrive_by=due.get("arrive"),
            ),
            source_id=incident["source_id"][:200] if incident["source"] != "drill" else None,
            position=position,
            caller_phone=mask_phone(incident["caller_phone"]),
            drill=bool(incident["drill"]),
            note=unify_newlines(note),
        )

    def end_order(
        self,
        db: sqlite_utils.Database,
        order: dict[str, Any],
        state: str,
        now: datetime,
        *,
        source: str,
        reason: str,
        notify_terminal: bool,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Close, cancel or mark reassigned: void open deadlines, stop re-sends, tell the
        terminal (a `cancel` silences its alarm) when it may still be working on it."""
        db.execute(
            "UPDATE orders SET state=?, closed_at=? WHERE id=?", (state, ts(now), order["id"])
        )
        db.execute(
            "UPDATE deadlines SET void_at=? WHERE order_id=? AND fired_at IS NULL"
            " AND met_at IS NULL AND void_at IS NULL",
            (ts(now), order["id"]),
        )
        db.execute(
            "UPDATE outbox SET done_at=? WHERE order_id=? AND kind='order' AND done_at IS NULL",
            (ts(now), order["id"]),
        )
        if notify_terminal:
            body = k.CancelBody(
                order_id=order["id"], reason=reason[:2000], drill=bool(order["drill"])
            )
            self.enqueue(db, "cancel", order["unit"], body, now, order_id=order["id"])
        self.event(
            db,
            at=now,
            recorded_at=now,
            type=state,
            source=source,
            incident_id=order["incident_id"],
            order_id=order["id"],
            unit=order["unit"],
            detail={"reason": reason, **(detail or {})},
        )
