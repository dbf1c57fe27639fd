"""Field trackers' fixes (OwnTracks JSON): always a position, an arrival only when fresh.

A tracker near the scene marks the order arrived, but only with a fix that says the unit
is there now. A fix does not count as arrival when:
- it was taken before the order was dispatched, by any amount: unlike a signed report,
  whose clock may drift a minute, a fix from before the order existed cannot be the unit
  arriving for it (a fix 18 s before dispatch used to count);
- it is older than `max_fix_age_s` by the hub's clock when it arrives (a phone that was
  offline catches up with fixes from its way there, not from its arrival);
- the broker delivered it from its retained store, which happens at every subscribe of the
  hub: that is the last known position, however recent it looks (a retained fix from an
  hour before dispatch once marked a new order arrived).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from hub.db.store import Store
from hub.db.times import must_ts
from hub.dispatch.order_reports import OrderReports
from hub.dispatch.presence import Presence
from hub.dispatch.wake import Wake
from wire import kinds as k
from wire.clock import Clock
from wire.geo import distance_m
from wire.owntracks import OwnTracksLocation

log = logging.getLogger(__name__)


class Trackers:
    """Applies one parsed fix: the unit's position, and an arrival for each open order
    near it when the fix may count as one."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        wake: Wake,
        units: Presence,
        orders: OrderReports,
        *,
        radius_m: float = 150.0,
        max_fix_age_s: float = 120.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.wake = wake
        self.units = units
        self.orders = orders
        self.radius = radius_m
        self.max_age = timedelta(seconds=max_fix_age_s)

    def fix(
        self, unit: str, tracker: str, loc: OwnTracksLocation, payload: bytes, *, retained: bool
    ) -> None:
        """Apply one parsed tracker fix (`payload` is kept as the arrival's evidence);
        ReportRejected (time out of range) before anything is written."""
        now = self.clock.now()
        self.units.window.check("tracker fix", loc.fix_at, now)
        updates: list[dict[str, Any]] = []
        with self.store.write() as db:
            self.units.touch(db, unit, now)
            self.units.position(db, unit, loc.lat, loc.lon, loc.fix_at, "tracker")
            why_not = self._not_arrival(loc, now, retained)
            for o in self.store.query(
                "SELECT o.id, o.dispatched_at, i.lat, i.lon FROM orders o"
                " JOIN incidents i ON i.id = o.incident_id"
                " WHERE o.unit=? AND o.state IN ('dispatched','received','acknowledged')"
                " AND i.lat IS NOT NULL",
                (unit,),
            ):
                if distance_m(loc.lat, loc.lon, o["lat"], o["lon"]) > self.radius:
                    continue
                reason = why_not
                if reason is None and loc.fix_at < must_ts(o["dispatched_at"]):
                    reason = "taken before the order was dispatched"
                if reason is not None:
                    log.info(
                        "tracker %s/%s near order %s: not an arrival (%s)",
                        unit,
                        tracker,
                        o["id"],
                        reason,
                    )
                    continue
                body = k.ArrivedBody(
                    order_id=o["id"],
                    source="tracker",
                    position=k.Position(lat=loc.lat, lon=loc.lon, accuracy_m=loc.acc),
                )
                updates += self.orders.apply(
                    db,
                    unit,
                    "arrived",
                    body,
                    loc.fix_at,
                    now,
                    source=f"tracker:{tracker}",
                    raw=payload,
                )
        self.wake.changed(
            {"type": "unit", "id": unit, "position": [loc.lat, loc.lon]}, *updates, outbox=False
        )

    def _not_arrival(self, loc: OwnTracksLocation, now: datetime, retained: bool) -> str | None:
        """Why this fix cannot be an arrival for any order, or None."""
        if retained:
            return "delivered from the broker's retained store: a last known position"
        if now - loc.fix_at > self.max_age:
            return f"the fix is older than {self.max_age}"
        return None
