"""A unit's own news: online or offline, health, position (the `unit_state` projection),
and the record of its certificate's revocation.

Positions and health carry a time the hub did not see made. One dated far in the future
used to freeze a unit's position (a later fix must be newer to replace it), and health from
year 1, 1970 or 9999 was taken as news: `TimeWindow` refuses such a time before anything is
written. Reports about orders are not checked here: `order_reports.judged_time` decides
what their time is worth.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import sqlite_utils

from hub.db.store import Store
from hub.db.times import ts
from hub.dispatch.ledger import Ledger
from hub.dispatch.wake import Wake
from hub.errors import ReportRejected
from wire import kinds as k
from wire.clock import Clock
from wire.codec import Message

log = logging.getLogger(__name__)

STALE_AFTER_S = 75.0
"""Silence after which a unit is shown offline even without its will: 2.5 health intervals
(the terminal reports health every 30 s). The will itself, published by the broker 1.5 x
the terminal's 10 s keepalive after the link dies, tells the hub within 15 s."""
REVOCATION_SOURCE = "crl"
"""The revocation events' source: the county's revocation list, as the hub read it."""


@dataclass(frozen=True)
class TimeWindow:
    """How far from the hub's clock a position or health report may be dated.

    The past allows for a terminal's outbox catching up after an outage (its reports keep
    their own time); the future, for a terminal clock a little ahead."""

    past: timedelta = timedelta(hours=24)
    ahead: timedelta = timedelta(minutes=5)

    def check(self, what: str, at: datetime, now: datetime) -> None:
        """Raise ReportRejected (`time_out_of_range`) for a time outside the window."""
        if now - self.past <= at <= now + self.ahead:
            return
        cause = (
            "ahead of the hub: check the terminal's clock"
            if at > now
            else "too old to apply: a wrong terminal clock, or an outbox caught up after a"
            " long outage"
        )
        raise ReportRejected(
            "time_out_of_range",
            f"{what} is dated {at.isoformat()}, outside {self.past} before to {self.ahead}"
            f" after the hub's clock ({ts(now)}): {cause}",
        )


class Presence:
    """Writes `unit_state` and the online, offline, revoked and reinstated events."""

    def __init__(
        self,
        store: Store,
        ledger: Ledger,
        clock: Clock,
        wake: Wake,
        *,
        stale_after_s: float = STALE_AFTER_S,
        window: TimeWindow | None = None,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.clock = clock
        self.wake = wake
        self.stale_after_s = stale_after_s
        self.window = window or TimeWindow()

    def touch(self, db: sqlite_utils.Database, unit: str, now: datetime) -> None:
        db.execute(
            "INSERT INTO unit_state (unit, last_seen) VALUES (?, ?)"
            " ON CONFLICT(unit) DO UPDATE SET last_seen=excluded.last_seen",
            (unit, ts(now)),
        )

    def report(
        self, db: sqlite_utils.Database, unit: str, msg: Message, now: datetime
    ) -> list[dict[str, Any]]:
        """A `health` or `position` report; ReportRejected before any write if its time is
        outside the window."""
        body = msg.body
        if isinstance(body, k.HealthBody):
            self.window.check("health report", msg.at, now)
            self.health(db, unit, body)
            return self.alive(db, unit, msg.at, now, msg.sig)
        assert isinstance(body, k.PositionBody)  # noqa: S101 - the only other unit kind
        self.window.check("position fix", body.fix_at, now)
        self.position(db, unit, body.position.lat, body.position.lon, body.fix_at, body.source)
        return []

    def alive(
        self, db: sqlite_utils.Database, unit: str, at: datetime, now: datetime, sig: str
    ) -> list[dict[str, Any]]:
        """A fresh health report shows the unit is connected now: online again if the hub
        had marked it offline for silence (an old report caught up from a queue does not)."""
        if (now - at).total_seconds() > self.stale_after_s:
            return []
        row = self.store.one("SELECT online FROM unit_state WHERE unit=?", (unit,))
        if row is None or row["online"]:
            return []
        db.execute("UPDATE unit_state SET online=1 WHERE unit=?", (unit,))
        self.ledger.event(
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

    def health(self, db: sqlite_utils.Database, unit: str, h: k.HealthBody) -> None:
        db.execute(
            "UPDATE unit_state SET printer=?, gps_fix_age_s=?, outbox_depth=?, version=?,"
            " clock_offset_s=? WHERE unit=?",
            (
                h.printer,
                h.gps.age_s if h.gps else None,
                h.outbox_depth,
                h.version,
                h.clock_offset_s,
                unit,
            ),
        )
        failed = msgspec.json.encode(h.update_failed).decode() if h.update_failed else None
        db.execute(
            "UPDATE unit_state SET update_failed=?, update_trial=? WHERE unit=?",
            (failed, int(h.update_trial), unit),
        )

    def position(
        self,
        db: sqlite_utils.Database,
        unit: str,
        lat: float,
        lon: float,
        at: datetime,
        source: str,
    ) -> None:
        """The newest fix wins; an older one arriving late changes nothing."""
        db.execute(
            "UPDATE unit_state SET lat=?, lon=?, position_at=?, position_source=? WHERE unit=?"
            " AND (position_at IS NULL OR position_at <= ?)",
            (lat, lon, ts(at), source, unit, ts(at)),
        )

    def state(self, unit: str, msg: Message) -> bool:
        """Apply a `state` message (retained `online` with health, or the will `offline`);
        returns whether the unit is now online."""
        body = msg.body
        assert isinstance(body, k.StateBody)  # noqa: S101 - the only state kind
        now = self.clock.now()
        online = body.status == "online"
        with self.store.write() as db:
            before = self.store.one("SELECT online FROM unit_state WHERE unit=?", (unit,))
            self.touch(db, unit, now)
            db.execute(
                "UPDATE unit_state SET online=?, state_at=? WHERE unit=?",
                (int(online), ts(msg.at), unit),
            )
            if body.health is not None:
                self.health(db, unit, body.health)
            if online:  # re-send what it has not confirmed, now
                db.execute(
                    "UPDATE outbox SET next_try_at=? WHERE unit=? AND done_at IS NULL",
                    (ts(now), unit),
                )
            changed = before is None or bool(before["online"]) != online
            if changed:
                self.ledger.event(
                    db,
                    at=now,
                    recorded_at=now,
                    type="online" if online else "offline",
                    source=f"unit:{unit}",
                    unit=unit,
                    sig=msg.sig,
                    raw=msg.raw,
                )
        self.wake.changed({"type": "unit", "id": unit, "online": online}, outbox=online)
        return online

    def sweep(self) -> list[str]:
        """Mark units offline that have not been heard from within `stale_after_s`: the
        backstop for a will the broker failed to send (the deadline engine runs it)."""
        now = self.clock.now()
        cutoff = ts(now - timedelta(seconds=self.stale_after_s))
        stale = "SELECT unit FROM unit_state WHERE online=1 AND last_seen < ?"
        if not self.store.query(stale, (cutoff,)):
            return []  # the usual pass: no write transaction, no wait for the lock's queue
        with self.store.write() as db:
            gone = [r["unit"] for r in self.store.query(stale, (cutoff,))]
            for unit in gone:
                db.execute("UPDATE unit_state SET online=0 WHERE unit=?", (unit,))
                self.ledger.event(
                    db,
                    at=now,
                    recorded_at=now,
                    type="offline",
                    source="engine",
                    unit=unit,
                    detail={"reason": f"not heard from for {self.stale_after_s:g} s"},
                )
        for unit in gone:
            self.wake.live.publish({"type": "unit", "id": unit, "online": False})
        return gone

    # ---- revocation (hub/terminals/revocation.py reads the CRL, this records it) ----
    def revoked_on_record(self) -> dict[str, int]:
        """What the events say is revoked now: the latest `revoked`/`reinstated` per unit
        (unit -> certificate serial), so a restart records nothing twice."""
        state: dict[str, int] = {}
        for row in self.store.query(
            "SELECT unit, type, detail FROM events WHERE incident_id IS NULL"
            " AND type IN ('revoked', 'reinstated') ORDER BY seq"
        ):
            if row["type"] == "revoked":
                state[row["unit"]] = int(json.loads(row["detail"])["serial"], 16)
            else:
                state.pop(row["unit"], None)
        return state

    def record_revocations(self, changes: list[tuple[str, str, int]], now: datetime) -> None:
        """(`revoked`|`reinstated`, unit, serial) each as one event, committed together;
        the console hears of each after the commit."""
        with self.store.write() as db:
            for kind, unit, serial in changes:
                self.ledger.event(
                    db,
                    at=now,
                    recorded_at=now,
                    type=kind,
                    source=REVOCATION_SOURCE,
                    unit=unit,
                    detail={"serial": f"{serial:x}"},
                )
        for kind, unit, _ in changes:
            self.wake.live.publish({"type": "unit", "id": unit, "revoked": kind == "revoked"})
