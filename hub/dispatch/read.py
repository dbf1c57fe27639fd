"""The read side: rows to frozen views (hub/views.py), a few queries per screen.

Overdue is derived from the deadlines table, never stored twice: a deadline is missed when
it fired before being met, or was met after its due time (an on-time report that arrived
late counts as met, by its own signed `at`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from hub.db.store import Store
from hub.db.times import must_ts, parse_ts
from hub.dispatch.ledger import Written
from hub.dispatch.rejections import refused_since
from hub.dispatch.views import EventView, IncidentView, NextDeadline, OrderView, UnitStatus
from hub.errors import NotFound
from hub.registry import Registry
from wire.clock import Clock
from wire.phone import mask_phone

REFUSED_WINDOW = timedelta(hours=24)
"""A unit's refused messages are shown for this long (by the hour: up to 25 h)."""


def missed(d: dict[str, Any]) -> bool:
    if d["void_at"] is not None and d["fired_at"] is None:
        return False
    if d["met_at"] is not None:
        return bool(d["met_at"] > d["due_at"])
    return d["fired_at"] is not None


def order_view(o: dict[str, Any], deadlines: Iterable[dict[str, Any]], reg: Registry) -> OrderView:
    ds = list(deadlines)
    open_ = [
        d for d in ds if d["fired_at"] is None and d["met_at"] is None and d["void_at"] is None
    ]
    nxt = min(open_, key=lambda d: d["due_at"]) if open_ else None
    unit = reg.units.get(o["unit"])
    return OrderView(
        id=o["id"],
        incident_id=o["incident_id"],
        unit=o["unit"],
        unit_name=unit.name_zh if unit else o["unit"],
        role=o["role"],
        rev=o["rev"],
        state=o["state"],
        dispatched_at=must_ts(o["dispatched_at"]),
        received_at=parse_ts(o["received_at"]),
        acked_at=parse_ts(o["acked_at"]),
        arrived_at=parse_ts(o["arrived_at"]),
        fed_back_at=parse_ts(o["fed_back_at"]),
        next_deadline=NextDeadline(nxt["name"], must_ts(nxt["due_at"])) if nxt else None,
        overdue=[d["name"] for d in sorted(ds, key=lambda d: d["due_at"]) if missed(d)],
        drill=bool(o["drill"]),
        pending=o["state"] == "dispatched",
        result_code=o["result_code"],
        result_text=o["result_text"],
        arrive_min=o["arrive_min"],
        note=o["note"] or "",
        terminal=unit.terminal if unit else True,
    )


def event_view(e: dict[str, Any]) -> EventView:
    return EventView(
        at=must_ts(e["at"]),
        recorded_at=must_ts(e["recorded_at"]),
        order_id=e["order_id"],
        type=e["type"],
        source=e["source"],
        detail=json.loads(e["detail"]),
        late=bool(e["late"]),
    )


def _orders(store: Store, incident_ids: list[str], reg: Registry) -> dict[str, list[OrderView]]:
    if not incident_ids:
        return {}
    marks = ",".join("?" * len(incident_ids))
    orders = store.query(
        f"SELECT * FROM orders WHERE incident_id IN ({marks}) ORDER BY dispatched_at, id",  # noqa: S608 - placeholders only
        tuple(incident_ids),
    )
    deadlines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if orders:
        omarks = ",".join("?" * len(orders))
        for d in store.query(
            f"SELECT * FROM deadlines WHERE order_id IN ({omarks})",  # noqa: S608 - placeholders only
            tuple(o["id"] for o in orders),
        ):
            deadlines[d["order_id"]].append(d)
    out: dict[str, list[OrderView]] = defaultdict(list)
    for o in orders:
        out[o["incident_id"]].append(order_view(o, deadlines[o["id"]], reg))
    return out


def incident_view(
    i: dict[str, Any], orders: list[OrderView], reg: Registry, timeline: list[EventView]
) -> IncidentView:
    category = reg.categories.get(i["category"])
    township = reg.townships.get(i["township"])
    return IncidentView(
        id=i["id"],
        source=i["source"],
        source_id=i["source_id"],
        category=i["category"],
        category_name=category.name_zh if category else i["category"],
        address=i["address"],
        township=i["township"],
        township_name=township.name_zh if township else i["township"],
        lat=i["lat"],
        lon=i["lon"],
        caller_phone_masked=mask_phone(i["caller_phone"]),
        summary=i["summary"],
        priority=i["priority"],
        drill=bool(i["drill"]),
        reported_at=must_ts(i["reported_at"]),
        created_at=must_ts(i["created_at"]),
        state=i["state"],
        orders=orders,
        timeline=timeline,
        late=any(o.overdue for o in orders),
        closed_at=parse_ts(i["closed_at"]),
    )


def incident(
    store: Store, reg: Registry, incident_id: str, *, timeline: bool = True
) -> IncidentView:
    row = store.one("SELECT * FROM incidents WHERE id=?", (incident_id,))
    if row is None:
        raise NotFound("no incident %(incident)s", incident=incident_id)
    events = (
        [
            event_view(e)
            for e in store.query(
                "SELECT * FROM events WHERE incident_id=? ORDER BY seq", (incident_id,)
            )
        ]
        if timeline
        else []
    )
    return incident_view(row, _orders(store, [incident_id], reg).get(incident_id, []), reg, events)


def open_incidents(store: Store, reg: Registry) -> list[IncidentView]:
    rows = store.query("SELECT * FROM incidents WHERE state='open' ORDER BY created_at DESC")
    orders = _orders(store, [r["id"] for r in rows], reg)
    views = [incident_view(r, orders.get(r["id"], []), reg, []) for r in rows]
    return sorted(views, key=lambda v: not v.late)  # stable: late first, newest first within


def order(store: Store, reg: Registry, order_id: str) -> OrderView:
    row = store.one("SELECT * FROM orders WHERE id=?", (order_id,))
    if row is None:
        raise NotFound("no order %(order)s", order=order_id)
    return order_view(
        row, store.query("SELECT * FROM deadlines WHERE order_id=?", (order_id,)), reg
    )


def units_status(
    store: Store,
    reg: Registry,
    now: datetime,
    stale_after_s: float,
    revoked: frozenset[str] = frozenset(),
) -> list[UnitStatus]:
    states = {r["unit"]: r for r in store.query("SELECT * FROM unit_state")}
    counts = {
        r["unit"]: r["n"]
        for r in store.query(
            "SELECT unit, count(*) AS n FROM orders WHERE state IN"
            " ('dispatched','received','acknowledged','arrived') GROUP BY unit"
        )
    }
    refused = refused_since(store, now - REFUSED_WINDOW)
    out = []
    for u in reg.units.values():
        s = states.get(u.id, {})
        last_seen = parse_ts(s.get("last_seen"))
        out.append(
            UnitStatus(
                id=u.id,
                name_zh=u.name_zh,
                name_en=u.name_en,
                tier=u.tier,
                online=is_online(s, now, stale_after_s),
                last_seen=last_seen,
                printer=s.get("printer"),
                gps_fix_age_s=s.get("gps_fix_age_s"),
                outbox_depth=s.get("outbox_depth"),
                version=s.get("version"),
                open_orders=counts.get(u.id, 0),
                lat=s.get("lat"),
                lon=s.get("lon"),
                position_at=parse_ts(s.get("position_at")),
                revoked=u.id in revoked,
                refused=refused.get(u.id, 0),
                clock_offset_s=s.get("clock_offset_s"),
                terminal=u.terminal,
                duty_phones=u.duty_phones,
            )
        )
    return out


def is_online(state: dict[str, Any], now: datetime, stale_after_s: float) -> bool:
    """Online: its last state said so and it was heard from within `stale_after_s`."""
    last = parse_ts(state.get("last_seen"))
    return (
        bool(state.get("online"))
        and last is not None
        and (now - last <= timedelta(seconds=stale_after_s))
    )


BOUNDARY_QUERY = (
    "SELECT e.seq, e.type, e.at, e.order_id, e.unit, e.detail, i.id AS incident_id,"
    " i.source, i.source_id FROM events e JOIN incidents i ON i.id = e.incident_id"
    " WHERE e.seq > ? AND e.type IN ('incident', 'dispatched', 'received', 'ack', 'arrived',"
    " 'feedback', 'overdue', 'reassigned', 'cancelled', 'closed')"
    " AND i.drill = 0 ORDER BY e.seq LIMIT ?"
)
"""Status changes for the 110 side, oldest first: the API's outbox and the gate's outbound."""


def boundary_changes(store: Store, after: int, limit: int) -> list[dict[str, Any]]:
    """The changes after cursor `after` (an event's seq), at most `limit`, as plain data."""
    return [
        {
            "cursor": r["seq"],
            "incident_id": r["incident_id"],
            "source": r["source"],
            "source_id": r["source_id"],
            "type": r["type"],
            "at": r["at"],
            "order_id": r["order_id"],
            "unit": r["unit"],
            "detail": json.loads(r["detail"]),
        }
        for r in store.query(BOUNDARY_QUERY, (after, limit))
    ]


class Reads:
    """The read side bound to one store and registry: what the desk shows and the actions
    return after their commit."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        clock: Clock,
        *,
        stale_after_s: float,
        revoked: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.store = store
        self.registry = registry
        self.clock = clock
        self.stale_after_s = stale_after_s
        self.revoked = revoked
        """The units whose certificate is revoked now (hub/terminals/revocation.py)."""

    def open_incidents(self) -> list[IncidentView]:
        return open_incidents(self.store, self.registry)

    def incident(self, incident_id: str) -> IncidentView:
        return incident(self.store, self.registry, incident_id)

    def written(self, row: dict[str, Any], written: Written) -> IncidentView:
        """The view `incident` would read, built from the rows an intake just wrote."""
        orders = sorted(written.orders, key=lambda o: (o["dispatched_at"], o["id"]))
        return incident_view(
            row,
            [order_view(o, written.deadlines[o["id"]], self.registry) for o in orders],
            self.registry,
            [event_view(e) for e in written.events],
        )

    def order(self, order_id: str) -> OrderView:
        return order(self.store, self.registry, order_id)

    def incident_by_source(self, source: str, source_id: str) -> IncidentView | None:
        """The incident a source knows by its own number (110's), if it has come in."""
        row = self.store.one(
            "SELECT id FROM incidents WHERE source=? AND source_id=?", (source, source_id)
        )
        return None if row is None else self.incident(str(row["id"]))

    def units_status(self) -> list[UnitStatus]:
        return units_status(
            self.store, self.registry, self.clock.now(), self.stale_after_s, self.revoked()
        )

    def boundary_changes(self, after: int, limit: int) -> list[dict[str, Any]]:
        return boundary_changes(self.store, after, limit)
