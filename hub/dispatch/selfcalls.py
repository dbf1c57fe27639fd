"""自接警情 (双轨制): a call a unit took from the public itself, reported by its terminal.

The unit's `selfcall` report becomes an incident sourced from the unit (`unit:ID`, the
unit's own `call_id` as source id, so a repeat makes nothing new) with the unit's own lead
order already in the state the report records: taken (acknowledged) at `taken_at`, on scene
at `arrived_at` if it went, fed back with the result when the report was made. Applied in
the inbox's transaction, with the report's signature and bytes on the incident's event.

The order gets no deadlines: nobody dispatched it, so it can be neither late nor missed
(the assessment counts it as a self-recorded call, docs/assessment.md). The operator sees it
on the board marked 自接 and may add assisting units as for any incident; if the unit asked
for help (`needs_assist`), the board says so.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlite_utils

from hub.db.store import Store
from hub.db.times import ts
from hub.dispatch.ledger import Ledger
from hub.dispatch.order_reports import CLOCK_TOLERANCE
from hub.dispatch.text import checked
from hub.errors import IntakeError, ReportRejected
from hub.registry import Registry
from wire import kinds as k
from wire.codec import Message
from wire.ids import new_id

log = logging.getLogger(__name__)

SELF_SOURCE_PREFIX = "unit:"
"""An incident whose `source` starts with this was taken by that unit itself (自接)."""


class SelfCalls:
    def __init__(self, store: Store, ledger: Ledger, registry: Registry) -> None:
        self.store = store
        self.ledger = ledger
        self.registry = registry

    def apply(
        self, db: sqlite_utils.Database, unit: str, msg: Message, now: datetime
    ) -> list[dict[str, Any]]:
        """One verified `selfcall` from `unit`, in the caller's transaction. Raises
        ReportRejected (the inbox keeps it in `rejected`) when it cannot become an incident."""
        body = msg.body
        if not isinstance(body, k.SelfCallBody):
            raise ReportRejected("invalid", f"not a selfcall body: {type(body).__name__}")
        source = f"{SELF_SOURCE_PREFIX}{unit}"
        found = self.store.one(
            "SELECT id FROM incidents WHERE source=? AND source_id=?", (source, body.call_id)
        )
        if found is not None:  # the same call again (a new envelope for an old record)
            log.info("self-recorded call %s of %s already stored", body.call_id, unit)
            return []
        category, fields = self._check(unit, body)
        taken, arrived, made = self._times(body, msg.at, now)
        incident_id = new_id()
        row = {
            "id": incident_id,
            "source": source,
            "source_id": body.call_id,
            "category": body.category,
            "address": fields["address"],
            "township": body.township,
            "lat": None,
            "lon": None,
            "caller_phone": body.caller_phone,  # masked by the terminal; never the full number
            "summary": fields["summary"],
            "priority": category.default_priority,
            "drill": 0,
            "reported_at": ts(taken),
            "created_at": ts(now),
            "state": "open",
            "closed_at": None,
        }
        self.ledger.open_incident(
            db,
            row,
            at=taken,
            recorded_at=now,
            source=source,
            detail={
                "source": source,
                "source_id": body.call_id,
                "category": body.category,
                "self_recorded": True,
                "needs_assist": body.needs_assist,
                "assist_note": fields["assist_note"],
            },
        )
        order_id = self._lead_order(db, row, unit, body, taken, arrived, made, fields, now)
        # The signed report itself, as evidence: it is what the unit said, byte for byte.
        self.ledger.event(
            db,
            at=made,
            recorded_at=now,
            type="selfcall",
            source=source,
            incident_id=incident_id,
            order_id=order_id,
            unit=unit,
            detail={"call_id": body.call_id, "needs_assist": body.needs_assist},
            sig=msg.sig,
            raw=msg.raw,
            event_id=msg.id,
        )
        log.info("self-recorded call %s of %s is incident %s", body.call_id, unit, incident_id)
        return [{"type": "incident", "id": incident_id, "new": True, "self_recorded": True}]

    def _check(self, unit: str, body: k.SelfCallBody) -> tuple[Any, dict[str, str]]:
        reg = self.registry
        category = reg.categories.get(body.category)
        if category is None:
            raise ReportRejected("unknown_category", f"{unit}: no category {body.category!r}")
        if body.township not in reg.townships:
            raise ReportRejected("unknown_township", f"{unit}: no township {body.township!r}")
        try:
            # An assisting unit's order prints the address and summary: no printer commands.
            fields = {
                "address": checked("address", body.address.strip(), multiline=False),
                "summary": checked("summary", body.summary, multiline=True),
                "result_text": checked("result_text", body.result_text, multiline=True),
                "assist_note": checked("assist_note", body.assist_note, multiline=True),
            }
        except IntakeError as e:
            raise ReportRejected("invalid", f"{unit}: {e}") from e
        if not fields["address"] or not fields["summary"].strip():
            raise ReportRejected("invalid", f"{unit}: a self-recorded call needs where and what")
        return category, fields

    @staticmethod
    def _times(
        body: k.SelfCallBody, at: datetime, now: datetime
    ) -> tuple[datetime, datetime | None, datetime]:
        """(taken, arrived, made): the report's times as far as they could have been. A
        time after the record was made (or after now) is not believed and becomes the
        record's time; arrival is never before the call."""
        made = min(at, now) if at <= now + CLOCK_TOLERANCE else now
        taken = min(body.taken_at, made)
        arrived = None
        if body.arrived_at is not None:
            arrived = min(max(body.arrived_at, taken), made)
        return taken, arrived, made

    def _lead_order(
        self,
        db: sqlite_utils.Database,
        incident: dict[str, Any],
        unit: str,
        body: k.SelfCallBody,
        taken: datetime,
        arrived: datetime | None,
        made: datetime,
        fields: dict[str, str],
        now: datetime,
    ) -> str:
        """The unit's own order, already fed back; its stage events carry the unit as their
        source, so the timeline reads as the unit reported it."""
        order_id = new_id()
        db.execute(
            "INSERT INTO orders (id, incident_id, unit, role, rev, state, drill, note,"
            " arrive_min, dispatched_at, received_at, acked_at, arrived_at, fed_back_at,"
            " result_code, result_text) VALUES (?,?,?,'lead',1,'fed_back',0,?,NULL,?,?,?,?,?,?,?)",
            (
                order_id,
                incident["id"],
                unit,
                # the unit's request for help, where the board and the incident page show it
                (fields["assist_note"] or "需其他单位协助") if body.needs_assist else "",
                ts(taken),
                ts(taken),
                ts(taken),
                ts(arrived) if arrived else None,
                ts(made),
                body.result_code,
                fields["result_text"],
            ),
        )
        source = f"{SELF_SOURCE_PREFIX}{unit}"
        stages: list[tuple[str, datetime, dict[str, Any]]] = [
            ("dispatched", taken, {"role": "lead", "deadlines": {}, "self_recorded": True}),
            ("ack", taken, {"via": "selfcall"}),
        ]
        if arrived is not None:
            stages.append(("arrived", arrived, {"via": "selfcall"}))
        stages.append(
            ("feedback", made, {"result_code": body.result_code, "text": fields["result_text"]})
        )
        for kind, when, detail in stages:
            self.ledger.event(
                db,
                at=when,
                recorded_at=now,
                type=kind,
                source=source,
                incident_id=incident["id"],
                order_id=order_id,
                unit=unit,
                detail=detail,
            )
        return order_id
