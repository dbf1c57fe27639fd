"""What terminals send up: reports, state and tracker fixes, verified then applied.

Each message is applied in one transaction with its message id (dedupe), its event (with
the signature and raw bytes, evidence in a dispute) and the projection changes. Only after
the commit does the MQTT link acknowledge it to the broker and the delivery loop send the
`receipt`. A report is judged by its own signed `at`: an ack made offline before `ack_by`
is on time however late it arrives; if the deadline already fired, an event records that
the report was in fact on time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from hub.errors import ReportRejected
from hub.keys import UnitKeys
from hub.ledger import ACTIVE_STATES, STATE_RANK
from hub.service import HubService
from hub.store import parse_ts, ts
from wire import codec, topics
from wire import kinds as k
from wire.errors import WireError
from wire.geo import distance_m
from wire.owntracks import parse_location

log = logging.getLogger(__name__)

ORDER_KINDS = {
    "received": "received",
    "ack": "acknowledged",
    "arrived": "arrived",
    "feedback": "fed_back",
}
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


@dataclass(frozen=True)
class Outcome:
    """What the link does after the commit: `receipt` = (unit, message id) to confirm."""

    receipt: tuple[str, str] | None = None
    online: str | None = None  # a unit that just came online: re-send its pending orders


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


class ReportHandler:
    def __init__(
        self, service: HubService, keys: UnitKeys, *, arrival_radius_m: float = 150.0
    ) -> None:
        self.service = service
        self.keys = keys
        self.radius = arrival_radius_m

    # ---- entry -----------------------------------------------------------------------------
    def handle(self, topic: str, payload: bytes) -> Outcome:
        """Apply one MQTT message; never raises for bad input (it is stored as rejected)."""
        unit = None
        try:
            t = topics.parse(topic)
            unit = t.unit
            if t.county != self.service.county:
                raise WireError("bad_topic", f"topic {topic!r} is for another county")
            if t.channel == "up":
                return self._up(t.unit, payload)
            if t.channel == "state":
                return self._state(t.unit, payload)
            if t.channel == "trackers":
                return self._tracker(t.unit, t.tracker or "", payload)
            raise WireError("bad_topic", f"the hub does not read {topic!r}")
        except (WireError, ReportRejected) as e:
            self.reject(topic, unit, e.reason, str(e), payload)
            return Outcome()

    def reject(self, topic: str, unit: str | None, reason: str, message: str, raw: bytes) -> None:
        log.warning("refused message on %s: %s (%s)", topic, message, reason)
        with self.service.store.write() as db:
            self._store_rejected(db, self.service.clock.now(), topic, unit, reason, message, raw)

    def _store_rejected(
        self,
        db: sqlite_utils.Database,
        now: datetime,
        topic: str,
        unit: str | None,
        reason: str,
        message: str,
        raw: bytes,
    ) -> None:
        """Keep a refused message (its first 64 KiB) as evidence, in the caller's transaction."""
        self.service.metrics.rejected.labels(reason).inc()
        db.execute(
            "INSERT INTO rejected (recorded_at, topic, unit, reason, message, raw)"
            " VALUES (?,?,?,?,?,?)",
            (ts(now), topic, unit, reason, message, raw[:65536]),
        )

    # ---- reports ---------------------------------------------------------------------------
    def _up(self, unit: str, payload: bytes) -> Outcome:
        msg = codec.decode(payload, self.keys.verifier, unit=unit, direction="up")
        svc = self.service
        now = svc.clock.now()
        updates: list[dict[str, Any]] = []
        with svc.store.write() as db:
            if svc.store.one("SELECT 1 AS x FROM seen WHERE msg_id=?", (msg.id,)):
                svc.metrics.duplicates.inc()
                return Outcome(receipt=(unit, msg.id))
            db.execute(
                "INSERT INTO seen (msg_id, unit, recorded_at) VALUES (?,?,?)",
                (msg.id, unit, ts(now)),
            )
            self._touch(db, unit, now)
            body = msg.body
            if isinstance(body, k.HealthBody):
                self._health(db, unit, body)
                updates += self._alive(db, unit, msg.at, now, msg.sig)
            elif isinstance(body, k.PositionBody):
                self._position(
                    db, unit, body.position.lat, body.position.lon, body.fix_at, body.source
                )
            else:
                try:
                    updates += self.apply_order_report(
                        db,
                        unit,
                        msg.kind,
                        body,
                        msg.at,
                        now,
                        source=f"unit:{unit}",
                        sig=msg.sig,
                        raw=msg.raw,
                        event_id=msg.id,
                    )
                except ReportRejected as e:
                    # Stored and confirmed (so the terminal stops re-sending it), never applied.
                    log.warning("report %s from %s refused: %s", msg.id, unit, e)
                    up = topics.up(svc.county, unit)
                    self._store_rejected(db, now, up, unit, e.reason, str(e), msg.raw)
        svc.metrics.reports.labels(msg.kind).inc()
        svc.changed(*updates, outbox=bool(updates))
        return Outcome(receipt=(unit, msg.id))

    def apply_order_report(
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
    ) -> list[dict[str, Any]]:
        """received / ack / arrived / feedback for one order, in the caller's transaction."""
        svc = self.service
        order = svc.store.one("SELECT * FROM orders WHERE id=?", (body.order_id,))
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
        elif isinstance(body, k.ReceivedBody):
            detail = {"rev": body.rev}
        dispatched = parse_ts(order["dispatched_at"])
        judged = judged_time(at, dispatched, now) if dispatched else at
        if judged != at:
            detail["signed_at"] = ts(at)
            detail["clock_suspect"] = True
            log.warning("%s from %s signed at %s, judged at %s", kind, unit, ts(at), ts(judged))
            at = judged
        late = False
        if order["state"] not in ACTIVE_STATES:
            detail["ignored"] = f"order is {order['state']}"
        else:
            late = self._advance(db, order, kind, body, at, now)
        svc.ledger.event(
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
        d = self.service.store.one(
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
            self.service.ledger.event(
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

    # ---- unit state ------------------------------------------------------------------------
    def _touch(self, db: sqlite_utils.Database, unit: str, now: datetime) -> None:
        db.execute(
            "INSERT INTO unit_state (unit, last_seen) VALUES (?, ?)"
            " ON CONFLICT(unit) DO UPDATE SET last_seen=excluded.last_seen",
            (unit, ts(now)),
        )

    def _alive(
        self, db: sqlite_utils.Database, unit: str, at: datetime, now: datetime, sig: str
    ) -> list[dict[str, Any]]:
        """A fresh health report shows the unit is connected now: online again if the hub
        had marked it offline for silence (an old report caught up from a queue does not)."""
        if (now - at).total_seconds() > self.service.stale_after_s:
            return []
        row = self.service.store.one("SELECT online FROM unit_state WHERE unit=?", (unit,))
        if row is None or row["online"]:
            return []
        db.execute("UPDATE unit_state SET online=1 WHERE unit=?", (unit,))
        self.service.ledger.event(
            db,
            at=now,
            recorded_at=now,
            type="online",
            source=f"unit:{unit}",
            unit=unit,
            detail={"via": "health"},
            sig=sig,
        )
        return [{"type": "unit", "id": unit, "online": True}]

    def _health(self, db: sqlite_utils.Database, unit: str, h: k.HealthBody) -> None:
        db.execute(
            "UPDATE unit_state SET printer=?, gps_fix_age_s=?, outbox_depth=?, version=?"
            " WHERE unit=?",
            (h.printer, h.gps.age_s if h.gps else None, h.outbox_depth, h.version, unit),
        )

    def _position(
        self,
        db: sqlite_utils.Database,
        unit: str,
        lat: float,
        lon: float,
        at: datetime,
        source: str,
    ) -> None:
        db.execute(
            "UPDATE unit_state SET lat=?, lon=?, position_at=?, position_source=? WHERE unit=?"
            " AND (position_at IS NULL OR position_at <= ?)",
            (lat, lon, ts(at), source, unit, ts(at)),
        )

    def _state(self, unit: str, payload: bytes) -> Outcome:
        msg = codec.decode(payload, self.keys.verifier, unit=unit, direction="state")
        body = msg.body
        assert isinstance(body, k.StateBody)  # noqa: S101 - the only state kind
        svc = self.service
        now = svc.clock.now()
        online = body.status == "online"
        with svc.store.write() as db:
            before = svc.store.one("SELECT online FROM unit_state WHERE unit=?", (unit,))
            self._touch(db, unit, now)
            db.execute(
                "UPDATE unit_state SET online=?, state_at=? WHERE unit=?",
                (int(online), ts(msg.at), unit),
            )
            if body.health is not None:
                self._health(db, unit, body.health)
            if online:  # re-send what it has not confirmed, now
                db.execute(
                    "UPDATE outbox SET next_try_at=? WHERE unit=? AND done_at IS NULL",
                    (ts(now), unit),
                )
            changed = before is None or bool(before["online"]) != online
            if changed:
                svc.ledger.event(
                    db,
                    at=now,
                    recorded_at=now,
                    type="online" if online else "offline",
                    source=f"unit:{unit}",
                    unit=unit,
                    sig=msg.sig,
                    raw=msg.raw,
                )
        svc.changed({"type": "unit", "id": unit, "online": online}, outbox=online)
        return Outcome(online=unit if online else None)

    # ---- trackers --------------------------------------------------------------------------
    def _tracker(self, unit: str, tracker: str, payload: bytes) -> Outcome:
        loc = parse_location(payload)
        if loc is None:
            return Outcome()
        svc = self.service
        now = svc.clock.now()
        updates: list[dict[str, Any]] = []
        with svc.store.write() as db:
            self._touch(db, unit, now)
            self._position(db, unit, loc.lat, loc.lon, loc.fix_at, "tracker")
            for o in svc.store.query(
                "SELECT o.id, i.lat, i.lon FROM orders o JOIN incidents i ON i.id = o.incident_id"
                " WHERE o.unit=? AND o.state IN ('dispatched','received','acknowledged')"
                " AND i.lat IS NOT NULL",
                (unit,),
            ):
                if distance_m(loc.lat, loc.lon, o["lat"], o["lon"]) <= self.radius:
                    body = k.ArrivedBody(
                        order_id=o["id"],
                        source="tracker",
                        position=k.Position(lat=loc.lat, lon=loc.lon, accuracy_m=loc.acc),
                    )
                    updates += self.apply_order_report(
                        db,
                        unit,
                        "arrived",
                        body,
                        loc.fix_at,
                        now,
                        source=f"tracker:{tracker}",
                        raw=payload,
                    )
        svc.changed(
            {"type": "unit", "id": unit, "position": [loc.lat, loc.lon]}, *updates, outbox=False
        )
        return Outcome()
