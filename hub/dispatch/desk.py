"""`Desk`: what an operator's door (the console, the HTTP API) may do and see, and no more.

It holds the intake, the operator actions and the read side, and exposes their methods
under one name each, so the console's button and the API's endpoint for an action call the
same method. It does not hand out the store, the ledger or the metrics: a door cannot
write around the dispatch rules. `hub.runtime` builds one.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from hub.alerts.live import EventBus
from hub.dispatch.actions import Actions
from hub.dispatch.incoming import Incoming
from hub.dispatch.phone_reports import PhoneReports
from hub.dispatch.read import Reads
from hub.dispatch.rollcall.calls import RollCalls
from hub.dispatch.rollcall.views import RollcallReads, RoundView, Tally
from hub.dispatch.updates import UpdateOffers
from hub.dispatch.views import IncidentView, OrderView, UnitStatus
from hub.errors import Conflict
from hub.registry import Registry
from wire.clock import Clock
from wire.kinds import UpdateOffer


class Desk:
    def __init__(
        self,
        incoming: Incoming,
        actions: Actions,
        reads: Reads,
        *,
        live: EventBus,
        db_path: Path,
        phone: PhoneReports | None = None,
        rollcalls: RollCalls | None = None,
        rollcall_reads: RollcallReads | None = None,
        updates: UpdateOffers | None = None,
    ) -> None:
        self._incoming = incoming
        self._actions = actions
        self._reads = reads
        self._phone = phone
        self.events = live
        """The console's live stream: `subscribe()` / `unsubscribe(q)`."""
        self.db_path = db_path
        self._updates = updates
        """The hub's SQLite file, where the console keeps its own tables."""
        self._rollcalls = rollcalls
        self._rollcall_reads = rollcall_reads

    @property
    def registry(self) -> Registry:
        return self._reads.registry

    @property
    def clock(self) -> Clock:
        return self._reads.clock

    @property
    def county(self) -> str:
        return self._reads.registry.county_id

    @property
    def revoked_units(self) -> frozenset[str]:
        """Units whose certificate is revoked: the hub sends them nothing (已吊销)."""
        return self._reads.revoked()

    # ---- incidents in ----------------------------------------------------------------------
    def intake(self, data: dict[str, Any], *, source: str) -> tuple[IncidentView, bool]:
        return self._incoming.intake(data, source=source)

    def route(self, category_code: str, township_id: str) -> list[tuple[str, str]]:
        return self._incoming.route(category_code, township_id)

    # ---- reads -------------------------------------------------------------------------------
    def open_incidents(self) -> list[IncidentView]:
        return self._reads.open_incidents()

    def incident(self, incident_id: str) -> IncidentView:
        return self._reads.incident(incident_id)

    def order(self, order_id: str) -> OrderView:
        return self._reads.order(order_id)

    def incident_by_source(self, source: str, source_id: str) -> IncidentView | None:
        return self._reads.incident_by_source(source, source_id)

    def units_status(self) -> list[UnitStatus]:
        return self._reads.units_status()

    def boundary_changes(self, after: int, limit: int) -> list[dict[str, Any]]:
        return self._reads.boundary_changes(after, limit)

    # ---- operator actions (hub/dispatch/actions.py) -------------------------------------------
    def add_assist(
        self,
        incident_id: str,
        unit_id: str,
        *,
        by: str,
        note: str = "",
        arrive_min: int | None = None,
    ) -> OrderView:
        return self._actions.add_assist(
            incident_id, unit_id, by=by, note=note, arrive_min=arrive_min
        )

    def reassign(self, order_id: str, unit_id: str, *, by: str, reason: str = "") -> OrderView:
        return self._actions.reassign(order_id, unit_id, by=by, reason=reason)

    def cancel_order(self, order_id: str, *, by: str, reason: str) -> OrderView:
        return self._actions.cancel_order(order_id, by=by, reason=reason)

    def close_incident(self, incident_id: str, *, by: str, note: str = "") -> IncidentView:
        return self._actions.close_incident(incident_id, by=by, note=note)

    def add_note(self, incident_id: str, text: str, *, by: str) -> None:
        self._actions.add_note(incident_id, text, by=by)

    def send_drill(
        self, unit_ids: list[str], *, by: str, category: str | None = None
    ) -> list[OrderView]:
        return self._actions.send_drill(unit_ids, by=by, category=category)

    # ---- units without a terminal (hub/dispatch/phone_reports.py) -----------------------------
    def record_by_phone(
        self,
        order_id: str,
        step: str,
        *,
        by: str,
        taken_by: str = "",
        result_code: str = "",
        text: str = "",
    ) -> OrderView:
        """通知已送达 / 已签收 / 已到场 / 反馈 as a unit without a terminal said on the phone."""
        if self._phone is None:
            raise Conflict("this hub takes no phone records")
        return self._phone.record(
            order_id, step, by=by, taken_by=taken_by, result_code=result_code, text=text
        )

    # ---- 点名 (hub/dispatch/rollcall/) --------------------------------------------------------
    def rollcall_now(self, *, by: str, units: list[str] | None = None) -> str:
        """Call the roll now (every tier-1 unit, or `units`); returns the round's id."""
        if self._rollcalls is None:
            raise Conflict("this hub calls no roll")
        return self._rollcalls.call_now(by=by, units=units)

    def rollcall_rounds(self, limit: int = 10) -> list[RoundView]:
        return self._rollcall_reads.rounds(limit) if self._rollcall_reads else []

    def rollcall_total(self, start: datetime, end: datetime) -> Tally:
        return self._rollcall_reads.total(start, end) if self._rollcall_reads else Tally()

    # ---- software updates (hub/fleet/ decides, docs/updates.md) ---------------------------
    def offer_update(self, unit_ids: list[str], offer: UpdateOffer, *, by: str) -> dict[str, str]:
        if self._updates is None:
            raise Conflict("this hub was built without update offers")
        return self._updates.offer(unit_ids, offer, by=by)
