"""Operator actions (the console's buttons and the API's `/incidents/...` and `/orders/...`
calls): each defined once, here, and called by both.

An action is one transaction; its live update goes out after the commit (`Wake`), never
before. Text an operator types may reach a duty room's printer, so notes and reasons are
held to `hub.dispatch.text` here, whichever door they came through.
"""

from __future__ import annotations

import logging
from typing import Any

from hub.db.store import Store
from hub.db.times import ts
from hub.dispatch.ledger import ACTIVE_SQL, ACTIVE_STATES, Ledger
from hub.dispatch.read import Reads
from hub.dispatch.text import checked
from hub.dispatch.views import IncidentView, OrderView
from hub.dispatch.wake import Wake
from hub.errors import Conflict, NotFound
from hub.registry import Registry
from wire.clock import Clock
from wire.ids import new_id

log = logging.getLogger(__name__)


class Actions:
    def __init__(
        self,
        store: Store,
        ledger: Ledger,
        registry: Registry,
        clock: Clock,
        wake: Wake,
        reads: Reads,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.registry = registry
        self.clock = clock
        self.wake = wake
        self.reads = reads

    # ---- helpers -------------------------------------------------------------------------
    def _incident_row(self, incident_id: str) -> dict[str, Any]:
        row = self.store.one("SELECT * FROM incidents WHERE id=?", (incident_id,))
        if row is None:
            raise NotFound("no incident %(incident)s", incident=incident_id)
        return row

    def _order_row(self, order_id: str) -> dict[str, Any]:
        row = self.store.one("SELECT * FROM orders WHERE id=?", (order_id,))
        if row is None:
            raise NotFound("no order %(order)s", order=order_id)
        return row

    def _both_tier2(self, a: str, b: str) -> bool:
        units = self.registry.units
        return a in units and units[a].tier == 2 and units[b].tier == 2

    def _unit(self, unit_id: str) -> None:
        if unit_id not in self.registry.units:
            raise NotFound("no unit %(unit)s", unit=unit_id)

    # ---- operators -----------------------------------------------------------------------
    def add_assist(
        self,
        incident_id: str,
        unit_id: str,
        *,
        by: str,
        note: str = "",
        arrive_min: int | None = None,
    ) -> OrderView:
        """视情指令: order one more unit to assist."""
        note = checked("note", note, multiline=True)  # printed on the order
        self._unit(unit_id)
        now = self.clock.now()
        with self.store.write() as db:
            inc = self._incident_row(incident_id)
            if inc["state"] != "open":
                raise Conflict("incident %(incident)s is closed", incident=incident_id)
            busy = self.store.one(
                f"SELECT id FROM orders WHERE incident_id=? AND unit=? AND state IN {ACTIVE_SQL}",  # noqa: S608 - constant
                (incident_id, unit_id),
            )
            if busy is not None:
                raise Conflict(
                    "unit %(unit)s already has order %(order)s for this incident",
                    unit=unit_id,
                    order=busy["id"],
                )
            order_id = self.ledger.dispatch(
                db,
                inc,
                unit_id,
                "assist",
                now,
                source=f"operator:{by}",
                arrive_min=arrive_min,
                note=note,
            )
        self.wake.changed({"type": "order", "id": order_id, "incident_id": incident_id})
        return self.reads.order(order_id)

    def reassign(self, order_id: str, unit_id: str, *, by: str, reason: str = "") -> OrderView:
        """改派: the order goes to another unit; the first unit's terminal is told to stop."""
        reason = checked("reason", reason, multiline=True)  # printed with the cancel
        self._unit(unit_id)
        now = self.clock.now()
        with self.store.write() as db:
            old = self._order_row(order_id)
            if old["state"] not in ACTIVE_STATES:
                raise Conflict(
                    "order %(order)s is %(state)s; it cannot be reassigned",
                    order=order_id,
                    state=old["state"],
                )
            if old["unit"] == unit_id:
                raise Conflict(
                    "order %(order)s is already with %(unit)s", order=order_id, unit=unit_id
                )
            inc = self._incident_row(old["incident_id"])
            new_order = self.ledger.dispatch(
                db,
                inc,
                unit_id,
                old["role"],
                now,
                source=f"operator:{by}",
                # a tier-2 figure carries over only from one tier-2 unit to another
                arrive_min=old["arrive_min"] if self._both_tier2(old["unit"], unit_id) else None,
                note=old["note"],
            )
            self.ledger.end_order(
                db,
                old,
                "reassigned",
                now,
                source=f"operator:{by}",
                reason=reason or "改派",
                notify_terminal=True,
                detail={"to": unit_id, "new_order": new_order},
            )
            db.execute("UPDATE orders SET replaced_by=? WHERE id=?", (new_order, order_id))
        self.wake.changed(
            {"type": "order", "id": new_order, "incident_id": old["incident_id"]},
            {"type": "order", "id": order_id, "incident_id": old["incident_id"]},
        )
        return self.reads.order(new_order)

    def cancel_order(self, order_id: str, *, by: str, reason: str) -> OrderView:
        """撤单: the order stops; its deadlines are voided; the terminal is told."""
        reason = checked("reason", reason, multiline=True)
        if not reason.strip():
            raise Conflict("a cancellation needs a reason")
        now = self.clock.now()
        with self.store.write() as db:
            o = self._order_row(order_id)
            if o["state"] not in ACTIVE_STATES:
                raise Conflict(
                    "order %(order)s is %(state)s; it cannot be cancelled",
                    order=order_id,
                    state=o["state"],
                )
            self.ledger.end_order(
                db,
                o,
                "cancelled",
                now,
                source=f"operator:{by}",
                reason=reason,
                notify_terminal=True,
            )
        self.wake.changed({"type": "order", "id": order_id, "incident_id": o["incident_id"]})
        return self.reads.order(order_id)

    def close_incident(self, incident_id: str, *, by: str, note: str = "") -> IncidentView:
        """办结: every order still running is closed (terminals told to stop alarming)."""
        note = checked("note", note, multiline=True)  # the terminals' cancel reason
        now = self.clock.now()
        with self.store.write() as db:
            inc = self._incident_row(incident_id)
            if inc["state"] != "open":
                raise Conflict("incident %(incident)s is already closed", incident=incident_id)
            for o in self.store.query(
                f"SELECT * FROM orders WHERE incident_id=? AND state IN {ACTIVE_SQL}",  # noqa: S608 - constant
                (incident_id,),
            ):
                self.ledger.end_order(
                    db,
                    o,
                    "closed",
                    now,
                    source=f"operator:{by}",
                    reason=note or "事件已办结",
                    notify_terminal=o["state"] != "fed_back",
                )
            self.ledger.mark_closed(
                db, incident_id, now, source=f"operator:{by}", detail={"note": note}
            )
        self.wake.changed({"type": "incident", "id": incident_id, "closed": True})
        return self.reads.incident(incident_id)

    def add_note(self, incident_id: str, text: str, *, by: str) -> None:
        text = checked("text", text, multiline=True)
        if not text.strip() or len(text) > 2000:
            raise Conflict("a note needs 1 to 2000 characters")
        now = self.clock.now()
        with self.store.write() as db:
            self._incident_row(incident_id)
            self.ledger.event(
                db,
                at=now,
                recorded_at=now,
                type="note",
                source=f"operator:{by}",
                incident_id=incident_id,
                detail={"text": text},
            )
        self.wake.changed({"type": "incident", "id": incident_id}, outbox=False)

    def send_drill(
        self, unit_ids: list[str], *, by: str, category: str | None = None
    ) -> list[OrderView]:
        """演练: one drill incident with an order to each unit, marked drill end to end."""
        if not unit_ids:
            raise Conflict("a drill needs at least one unit")
        for u in unit_ids:
            self._unit(u)
        code = category or next(iter(self.registry.categories))
        if code not in self.registry.categories:
            raise NotFound("no category %(category)s", category=code)
        first = self.registry.units[unit_ids[0]]
        township = first.township or next(iter(self.registry.townships))
        now = self.clock.now()
        with self.store.write() as db:
            incident_id = new_id()
            row = {
                "id": incident_id,
                "source": "drill",
                "source_id": incident_id,
                "category": code,
                "address": "演练（非真实警情）",
                "township": township,
                "lat": None,
                "lon": None,
                "caller_phone": "",
                "summary": f"联动演练，由 {by} 发起。",
                "priority": "normal",
                "drill": 1,
                "reported_at": ts(now),
                "created_at": ts(now),
                "state": "open",
                "closed_at": None,
            }
            self.ledger.open_incident(
                db,
                row,
                at=now,
                recorded_at=now,
                source=f"operator:{by}",
                detail={"drill": True, "units": unit_ids},
            )
            ids = [
                self.ledger.dispatch(
                    db, row, u, "lead" if i == 0 else "assist", now, source=f"operator:{by}"
                )
                for i, u in enumerate(dict.fromkeys(unit_ids))
            ]
        self.wake.changed({"type": "incident", "id": incident_id, "new": True, "drill": True})
        return [self.reads.order(i) for i in ids]
