"""HubService: the one entry point for every operation on incidents and orders.

The HTTP API, the console (hub/console, through exactly these methods) and the MQTT side
all go through here, so a rule lives in one place. Each method is one transaction; live
updates go to `events` after the commit, never before.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from hub.alerts.live import EventBus
from hub.db.store import Store, must_ts, ts
from hub.dispatch import read
from hub.dispatch.intake import IntakeWindow, validate
from hub.dispatch.ledger import ACTIVE_SQL, ACTIVE_STATES, Ledger
from hub.dispatch.text import checked
from hub.dispatch.views import IncidentView, OrderView, UnitStatus
from hub.errors import Conflict, IntakeError, NotFound
from hub.metrics import HubMetrics
from hub.registry import Registry, load_registry
from wire.clock import Clock, SystemClock
from wire.ids import new_id
from wire.signing import Signer

log = logging.getLogger(__name__)

STALE_AFTER_S = 75.0
"""Silence after which a unit is shown offline even without its will: 2.5 health intervals
(the terminal reports health every 30 s). The will itself, published by the broker 1.5 x
the terminal's 10 s keepalive after the link dies, tells the hub within 15 s."""


class HubService:
    """Incidents, orders and units over one Store; see docs/hub.md for the lifecycle."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        signer: Signer,
        *,
        clock: Clock | None = None,
        stale_after_s: float = STALE_AFTER_S,
        intake_window: IntakeWindow | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.signer = signer
        self.clock: Clock = clock or SystemClock()
        self.county = registry.county_id
        self.stale_after_s = stale_after_s
        self.intake_window = intake_window or IntakeWindow()
        self.events = EventBus()
        self.metrics = HubMetrics()
        self.ledger = Ledger(registry, signer, self.county)
        self.outbox_ready = threading.Event()  # wakes the delivery loop
        self.revoked_units: frozenset[str] = frozenset()  # sent nothing (hub/revocation.py)
        self.deadlines_changed = threading.Event()  # wakes the deadline engine

    @classmethod
    def open(
        cls,
        db_path: Path | str,
        *,
        registry: Registry | None = None,
        signer: Signer | None = None,
        clock: Clock | None = None,
    ) -> HubService:
        """A service over a database file; a throwaway signing key when none is given
        (tests and tools that never talk to a terminal)."""
        signer = signer or Signer(ec.generate_private_key(ec.SECP256R1()))
        return cls(Store(db_path), registry or load_registry(None), signer, clock=clock)

    @property
    def db_path(self) -> Path:
        return self.store.path

    # ---- helpers -------------------------------------------------------------------------
    def changed(self, *updates: dict[str, Any], outbox: bool = True) -> None:
        """After a commit: wake the delivery loop and the engine, tell the console."""
        if outbox:
            self.outbox_ready.set()
        self.deadlines_changed.set()
        for u in updates:
            self.events.publish(u)

    def _incident_row(self, incident_id: str) -> dict[str, Any]:
        row = self.store.one("SELECT * FROM incidents WHERE id=?", (incident_id,))
        if row is None:
            raise NotFound(f"no incident {incident_id!r}")
        return row

    def _order_row(self, order_id: str) -> dict[str, Any]:
        row = self.store.one("SELECT * FROM orders WHERE id=?", (order_id,))
        if row is None:
            raise NotFound(f"no order {order_id!r}")
        return row

    def _both_tier2(self, a: str, b: str) -> bool:
        units = self.registry.units
        return a in units and units[a].tier == 2 and units[b].tier == 2

    def _unit(self, unit_id: str) -> None:
        if unit_id not in self.registry.units:
            raise NotFound(f"no unit {unit_id!r}")

    # ---- intake --------------------------------------------------------------------------
    def intake(self, data: dict[str, Any], *, source: str) -> tuple[IncidentView, bool]:
        """Store an incident and dispatch its orders; a repeat of (source, source_id)
        returns the stored incident and False. Raises IntakeError naming each bad field."""
        now = self.clock.now()
        new = validate(data, self.registry, now=now, window=self.intake_window)
        if not source or len(source) > 64:
            raise IntakeError({"source": ("来源名称无效", "invalid source name")})
        with self.store.write() as db:
            found = self.store.one(
                "SELECT id FROM incidents WHERE source=? AND source_id=?", (source, new.source_id)
            )
            if found is not None:
                return self.incident(found["id"]), False
            incident_id = new_id()
            row = {
                "id": incident_id,
                "source": source,
                "source_id": new.source_id,
                "category": new.category,
                "address": new.address,
                "township": new.township,
                "lat": new.lat,
                "lon": new.lon,
                "caller_phone": new.caller_phone,
                "summary": new.summary,
                "priority": new.priority,
                "drill": int(new.drill),
                "reported_at": ts(new.reported_at),
                "created_at": ts(now),
                "state": "open",
                "closed_at": None,
            }
            db.table("incidents").insert(row)
            self.ledger.event(
                db,
                at=new.reported_at,
                recorded_at=now,
                type="incident",
                source="intake" if source != "drill" else "operator:drill",
                incident_id=incident_id,
                detail={"source": source, "source_id": new.source_id, "category": new.category},
            )
            for unit_id, role in self.route(new.category, new.township):
                self.ledger.dispatch(
                    db, row, unit_id, role, now, source="intake", arrive_min=new.arrive_min
                )
        self.changed({"type": "incident", "id": incident_id, "new": True})
        return self.incident(incident_id), True

    def route(self, category_code: str, township_id: str) -> list[tuple[str, str]]:
        """谁主管、谁负责 plus 属地管理: the lead unit, and the township's government when the
        category says so (not twice when the township government is itself the lead)."""
        category = self.registry.categories[category_code]
        plan = [(category.lead_unit, "lead")]
        if category.township_also:
            gov = self.registry.township_unit(township_id).id
            if gov != category.lead_unit:
                plan.append((gov, "assist"))
        return plan

    # ---- reads ---------------------------------------------------------------------------
    def open_incidents(self) -> list[IncidentView]:
        return read.open_incidents(self.store, self.registry)

    def incident(self, incident_id: str) -> IncidentView:
        return read.incident(self.store, self.registry, incident_id)

    def order(self, order_id: str) -> OrderView:
        return read.order(self.store, self.registry, order_id)

    def units_status(self) -> list[UnitStatus]:
        return read.units_status(
            self.store, self.registry, self.clock.now(), self.stale_after_s, self.revoked_units
        )

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
                raise Conflict(f"incident {incident_id} is closed")
            busy = self.store.one(
                f"SELECT id FROM orders WHERE incident_id=? AND unit=? AND state IN {ACTIVE_SQL}",  # noqa: S608 - constant
                (incident_id, unit_id),
            )
            if busy is not None:
                raise Conflict(f"unit {unit_id} already has order {busy['id']} for this incident")
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
        self.changed({"type": "order", "id": order_id, "incident_id": incident_id})
        return self.order(order_id)

    def reassign(self, order_id: str, unit_id: str, *, by: str, reason: str = "") -> OrderView:
        """改派: the order goes to another unit; the first unit's terminal is told to stop."""
        reason = checked("reason", reason, multiline=True)  # printed with the cancel
        self._unit(unit_id)
        now = self.clock.now()
        with self.store.write() as db:
            old = self._order_row(order_id)
            if old["state"] not in ACTIVE_STATES:
                raise Conflict(f"order {order_id} is {old['state']}; it cannot be reassigned")
            if old["unit"] == unit_id:
                raise Conflict(f"order {order_id} is already with {unit_id}")
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
        self.changed(
            {"type": "order", "id": new_order, "incident_id": old["incident_id"]},
            {"type": "order", "id": order_id, "incident_id": old["incident_id"]},
        )
        return self.order(new_order)

    def cancel_order(self, order_id: str, *, by: str, reason: str) -> OrderView:
        """撤单: the order stops; its deadlines are voided; the terminal is told."""
        reason = checked("reason", reason, multiline=True)
        if not reason.strip():
            raise Conflict("a cancellation needs a reason")
        now = self.clock.now()
        with self.store.write() as db:
            o = self._order_row(order_id)
            if o["state"] not in ACTIVE_STATES:
                raise Conflict(f"order {order_id} is {o['state']}; it cannot be cancelled")
            self.ledger.end_order(
                db,
                o,
                "cancelled",
                now,
                source=f"operator:{by}",
                reason=reason,
                notify_terminal=True,
            )
        self.changed({"type": "order", "id": order_id, "incident_id": o["incident_id"]})
        return self.order(order_id)

    def close_incident(self, incident_id: str, *, by: str, note: str = "") -> IncidentView:
        """办结: every order still running is closed (terminals told to stop alarming)."""
        note = checked("note", note, multiline=True)  # the terminals' cancel reason
        now = self.clock.now()
        with self.store.write() as db:
            inc = self._incident_row(incident_id)
            if inc["state"] != "open":
                raise Conflict(f"incident {incident_id} is already closed")
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
            db.execute(
                "UPDATE incidents SET state='closed', closed_at=? WHERE id=?",
                (ts(now), incident_id),
            )
            self.ledger.event(
                db,
                at=now,
                recorded_at=now,
                type="closed",
                source=f"operator:{by}",
                incident_id=incident_id,
                detail={"note": note},
            )
        self.changed({"type": "incident", "id": incident_id, "closed": True})
        return self.incident(incident_id)

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
        self.changed({"type": "incident", "id": incident_id}, outbox=False)

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
            raise NotFound(f"no category {code!r}")
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
            db.table("incidents").insert(row)
            self.ledger.event(
                db,
                at=now,
                recorded_at=now,
                type="incident",
                source=f"operator:{by}",
                incident_id=incident_id,
                detail={"drill": True, "units": unit_ids},
            )
            ids = [
                self.ledger.dispatch(
                    db, row, u, "lead" if i == 0 else "assist", now, source=f"operator:{by}"
                )
                for i, u in enumerate(dict.fromkeys(unit_ids))
            ]
        self.changed({"type": "incident", "id": incident_id, "new": True, "drill": True})
        return [self.order(i) for i in ids]

    # ---- 110 boundary ----
    # Writes that only the 110 gate asks for (hub/sources/boundary): a later message for the
    # same 110 number updates or cancels its incident, never makes a second one. Each gate
    # message is recorded as a `boundary` event carrying its own id, in the transaction of
    # its change, so a file taken twice (a crash between commit and move) applies once.
    def gate_message(
        self,
        kind: str,
        data: dict[str, Any],
        *,
        source: str,
        msg_id: str,
        refs: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
        reason: str = "",
    ) -> tuple[IncidentView, str]:
        """Apply one gate message; returns the incident and `created`, `updated`,
        `cancelled` or `repeat`. Raises IntakeError (bad fields) or NotFound (a cancel of an
        incident never received)."""
        now = self.clock.now()
        new = validate(data, self.registry, now=now, window=self.intake_window)
        with self.store.write() as db:
            row = None
            for number in dict.fromkeys((new.source_id, *refs)):
                row = self.store.one(
                    "SELECT * FROM incidents WHERE source=? AND source_id=?", (source, number)
                )
                if row is not None:
                    break
            if row is None:
                if kind == "cancel":
                    raise NotFound(f"no incident {new.source_id!r} from {source} to cancel")
                view, _ = self.intake(data, source=source)
                self._gate_event(db, view.id, now, msg_id, kind, notes, {})
                return view, "created"
            if self.store.one(
                "SELECT 1 AS x FROM events WHERE incident_id=? AND type='boundary'"
                " AND json_extract(detail, '$.msg_id')=?",
                (row["id"], msg_id),
            ):
                return self.incident(row["id"]), "repeat"
            if kind == "cancel":
                outcome = self._gate_cancel(db, row, now, reason or "110 撤销")
                self._gate_event(db, row["id"], now, msg_id, kind, notes, {})
            else:
                changes = self._gate_update(db, row, new, now)
                self._gate_event(db, row["id"], now, msg_id, "update", notes, changes)
                outcome = "updated"
        self.changed({"type": "incident", "id": row["id"]})
        return self.incident(row["id"]), outcome

    def _gate_event(
        self,
        db: Any,
        incident_id: str,
        now: Any,
        msg_id: str,
        kind: str,
        notes: tuple[str, ...],
        changes: dict[str, Any],
    ) -> None:
        self.ledger.event(
            db,
            at=now,
            recorded_at=now,
            type="boundary",
            source="intake",
            incident_id=incident_id,
            detail={"msg_id": msg_id, "kind": kind, "notes": list(notes), "changes": changes},
        )

    def _gate_update(self, db: Any, row: dict[str, Any], new: Any, now: Any) -> dict[str, Any]:
        """Address, summary, priority and position follow the 110 side; a revised order
        (rev + 1) goes to every terminal still working on it. The township is kept: moving
        it would re-route, which is the operator's call (the timeline shows the new one)."""
        changes: dict[str, Any] = {}
        for name in ("address", "summary", "priority", "lat", "lon"):
            value = getattr(new, name)
            if name in ("lat", "lon") and value is None:
                continue
            if value != row[name] and (value or name != "summary"):
                changes[name] = value
        if new.township != row["township"]:
            changes["township_named"] = new.township
        settable = {k: v for k, v in changes.items() if k != "township_named"}
        if row["state"] != "open" or not settable:
            return changes
        sets = ", ".join(f"{k}=?" for k in settable)
        db.execute(
            f"UPDATE incidents SET {sets} WHERE id=?",  # noqa: S608 - names from a fixed list
            (*settable.values(), row["id"]),
        )
        fresh = self._incident_row(row["id"])
        for o in self.store.query(
            f"SELECT * FROM orders WHERE incident_id=? AND state IN {ACTIVE_SQL}",  # noqa: S608 - constant
            (row["id"],),
        ):
            rev = o["rev"] + 1
            due = {
                d["name"]: must_ts(d["due_at"])
                for d in self.store.query(
                    "SELECT name, due_at FROM deadlines WHERE order_id=?", (o["id"],)
                )
            }
            body = self.ledger.order_body(
                fresh, o["id"], o["unit"], o["role"], rev, must_ts(o["dispatched_at"]), due,
                o["note"],
            )  # fmt: skip
            db.execute("UPDATE orders SET rev=? WHERE id=?", (rev, o["id"]))
            self.ledger.enqueue(db, "order", o["unit"], body, now, order_id=o["id"], rev=rev)
        return changes

    def _gate_cancel(self, db: Any, row: dict[str, Any], now: Any, reason: str) -> str:
        """110 withdrew the call: every running order is cancelled (terminals told to stop)
        and the incident is closed."""
        if row["state"] != "open":
            return "repeat"
        for o in self.store.query(
            f"SELECT * FROM orders WHERE incident_id=? AND state IN {ACTIVE_SQL}",  # noqa: S608 - constant
            (row["id"],),
        ):
            self.ledger.end_order(
                db, o, "cancelled", now, source="intake", reason=reason, notify_terminal=True
            )
        db.execute(
            "UPDATE incidents SET state='closed', closed_at=? WHERE id=?", (ts(now), row["id"])
        )
        self.ledger.event(
            db,
            at=now,
            recorded_at=now,
            type="closed",
            source="intake",
            incident_id=row["id"],
            detail={"note": reason, "cancelled_by": "110"},
        )
        return "cancelled"
