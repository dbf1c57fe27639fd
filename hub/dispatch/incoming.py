"""Incidents coming in: intake (the API, the console's entry form, the 110 gate) and the
110 gate's later messages about an incident it sent (an update, a withdrawal).

Each intake is one transaction, shared with the intakes other threads make at the same
time (group commit, `Store.grouped`: one fsync for the group, each caller answered after
it): the incident, its routed orders with their deadlines, the
events and the signed order messages are stored together or not at all. A repeat of
(source, source_id) returns the stored incident; a gate message already applied (its own
id is on a `boundary` event) applies nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlite_utils

from hub.db.store import Store
from hub.db.times import must_ts, ts
from hub.dispatch.intake import IntakeWindow, NewIncident, validate
from hub.dispatch.ledger import ACTIVE_SQL, Ledger, Written
from hub.dispatch.read import Reads
from hub.dispatch.views import IncidentView
from hub.dispatch.wake import Wake
from hub.errors import IntakeError, NotFound
from hub.registry import Registry
from wire.clock import Clock
from wire.ids import new_id

log = logging.getLogger(__name__)


class Incoming:
    def __init__(
        self,
        store: Store,
        ledger: Ledger,
        registry: Registry,
        clock: Clock,
        wake: Wake,
        reads: Reads,
        *,
        window: IntakeWindow | None = None,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.registry = registry
        self.clock = clock
        self.wake = wake
        self.reads = reads
        self.window = window or IntakeWindow()
        """How far from the hub's clock a `reported_at` may be (hub.toml `[intake]`)."""

    # ---- intake --------------------------------------------------------------------------
    def intake(self, data: dict[str, Any], *, source: str) -> tuple[IncidentView, bool]:
        """Store an incident and dispatch its orders; a repeat of (source, source_id)
        returns the stored incident and False. Raises IntakeError naming each bad field."""
        now = self.clock.now()
        new = validate(data, self.registry, now=now, window=self.window)
        if not source or len(source) > 64:
            raise IntakeError({"source": ("来源名称无效", "invalid source name")})
        incident_id, written = self.store.grouped(lambda db: self._store(db, new, source, now))
        if written is None:
            return self.reads.incident(incident_id), False
        self.wake.changed({"type": "incident", "id": incident_id, "new": True})
        # committed: the answer is what this intake wrote, not read back (issue 17)
        return self.reads.written(*written), True

    def _store(
        self, db: sqlite_utils.Database, new: NewIncident, source: str, now: datetime
    ) -> tuple[str, tuple[dict[str, Any], Written] | None]:
        """The intake's writes, in a transaction shared with concurrent intakes (group
        commit: `Store.grouped`): the incident's id, and for a new one its row and the
        rows written with it (None for a repeat)."""
        found = self.store.one(
            "SELECT id FROM incidents WHERE source=? AND source_id=?", (source, new.source_id)
        )
        if found is not None:
            return found["id"], None
        written = Written()
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
        self.ledger.open_incident(
            db,
            row,
            at=new.reported_at,
            recorded_at=now,
            source="intake" if source != "drill" else "operator:drill",
            detail={"source": source, "source_id": new.source_id, "category": new.category},
            written=written,
        )
        for unit_id, role in self.route(new.category, new.township):
            self.ledger.dispatch(
                db,
                row,
                unit_id,
                role,
                now,
                source="intake",
                arrive_min=new.arrive_min,
                written=written,
            )
        return incident_id, (row, written)

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
        new = validate(data, self.registry, now=now, window=self.window)
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
                    raise NotFound(
                        "no incident %(number)s from %(source)s to cancel",
                        number=new.source_id,
                        source=source,
                    )
                view, _ = self.intake(data, source=source)
                self._gate_event(db, view.id, now, msg_id, kind, notes, {})
                return view, "created"
            if self.store.one(
                "SELECT 1 AS x FROM events WHERE incident_id=? AND type='boundary'"
                " AND json_extract(detail, '$.msg_id')=?",
                (row["id"], msg_id),
            ):
                return self.reads.incident(row["id"]), "repeat"
            if kind == "cancel":
                outcome = self._gate_cancel(db, row, now, reason or "110 撤销")
                self._gate_event(db, row["id"], now, msg_id, kind, notes, {})
            else:
                changes = self._gate_update(db, row, new, now)
                self._gate_event(db, row["id"], now, msg_id, "update", notes, changes)
                outcome = "updated"
        self.wake.changed({"type": "incident", "id": row["id"]})
        return self.reads.incident(row["id"]), outcome

    def _gate_event(
        self,
        db: sqlite_utils.Database,
        incident_id: str,
        now: datetime,
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

    def _gate_update(
        self, db: sqlite_utils.Database, row: dict[str, Any], new: NewIncident, now: datetime
    ) -> dict[str, Any]:
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
        fresh = self.store.one("SELECT * FROM incidents WHERE id=?", (row["id"],))
        if fresh is None:
            raise NotFound("no incident %(incident)s", incident=row["id"])
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

    def _gate_cancel(
        self, db: sqlite_utils.Database, row: dict[str, Any], now: datetime, reason: str
    ) -> str:
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
        self.ledger.mark_closed(
            db,
            row["id"],
            now,
            source="intake",
            detail={"note": reason, "cancelled_by": "110"},
        )
        return "cancelled"
