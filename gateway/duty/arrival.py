"""到场: arrival by the panel button, the kiosk or the GPS, and the unit's position on the way.

The button means the open order that attends a scene and has no arrival yet: the one
nearest the last good fix when positions are known, else the most recently dispatched.
The GPS reports arrival on its own (`source: gps`) when a fix comes within the arrival
radius of an open order's position. While an order waits for arrival, a `position` report
goes to the hub at most once a minute (the board shows units on their way); no tracking
otherwise.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from gateway.devices.gps import Fix
from gateway.duty.reports import DutyReports
from gateway.errors import UnknownOrderError
from gateway.state.orders import OrderBook, OrderView
from gateway.state.store import Store
from gateway.uplink.outbox import Outbox
from gateway.uplink.sender import Sender
from gateway.uplink.signer import ReportSigner
from wire.clock import Clock
from wire.geo import distance_m
from wire.kinds import Position, PositionBody

log = logging.getLogger(__name__)

ARRIVAL_FIX_MAX_AGE_S = 600.0
"""The arrival button attaches the last good fix if it is younger than this."""
POSITION_EVERY_S = 60.0
"""While an order waits for arrival, the unit's position goes to the hub this often."""


class Arrival:
    def __init__(
        self,
        orders: OrderBook,
        store: Store,
        reports: DutyReports,
        signer: ReportSigner,
        outbox: Outbox,
        sender: Sender,
        refresh_alarm: Callable[[], None],
        clock: Clock,
        radius_m: float,
    ) -> None:
        self.orders = orders
        self.store = store
        self.reports = reports
        self.signer = signer
        self.outbox = outbox
        self.sender = sender
        self.refresh_alarm = refresh_alarm
        self.clock = clock
        self.radius_m = radius_m
        self.last_fix: Fix | None = None
        self._last_position_at: datetime | None = None

    def fix_position(self) -> Position | None:
        """The last fix if it is fresh enough to say where the unit is."""
        fix = self.last_fix
        if fix is None:
            return None
        age = (self.clock.now() - fix.at).total_seconds()
        return Position(lat=fix.lat, lon=fix.lon) if age <= ARRIVAL_FIX_MAX_AGE_S else None

    def waiting(self) -> list[OrderView]:
        """Open orders with a scene to reach and no arrival yet."""
        return [
            o
            for o in self.orders.open()
            if not o.arrived_at and o.order.deadlines.arrive_by is not None
        ]

    def candidate(self) -> str | None:
        """The order the arrival button means: of the open orders with a scene and no
        arrival yet, the one nearest the last fix if positions are known, else the latest."""
        waiting = self.waiting()
        if not waiting:
            return None
        pos = self.fix_position()
        located = [(o.order_id, o.order.position) for o in waiting if o.order.position]
        if pos and located:
            return min(located, key=lambda x: distance_m(pos.lat, pos.lon, x[1].lat, x[1].lon))[0]
        return max(waiting, key=lambda o: o.order.dispatched_at).order_id

    def arrive(self, order_id: str | None, source: str) -> str | None:
        """到场 with the last good fix; returns the order recorded, None if nothing to do."""
        order_id = order_id or self.candidate()
        if order_id is None:
            log.info("arrival pressed with no open order waiting for arrival")
            return None
        if not self._record(order_id, source, self.fix_position()):
            return None
        log.info("arrival at order %s (%s)", order_id, source)
        self.refresh_alarm()
        self.sender.kick()
        return order_id

    def _record(self, order_id: str, source: str, position: Position | None) -> bool:
        """到场: also acknowledges an order not yet acknowledged (someone clearly has it)."""
        with self.store.tx():
            view = self.orders.get(order_id)
            if not view.is_open or view.arrived_at:
                return False
            if not view.acked_at:
                self.reports.ack(order_id, "kiosk" if source == "kiosk" else "button")
            self.reports.arrived(order_id, source, position)
        return True

    def on_fix(self, fix: Fix) -> None:
        """Every fix (once a second): one read of the orders serves both uses."""
        self.last_fix = fix
        waiting = self.waiting()
        self._maybe_report_position(fix, waiting)
        for o in waiting:
            p = o.order.position
            if p is not None and distance_m(fix.lat, fix.lon, p.lat, p.lon) <= self.radius_m:
                with contextlib.suppress(UnknownOrderError):
                    self.arrive(o.order_id, "gps")

    def _maybe_report_position(self, fix: Fix, waiting: list[OrderView]) -> None:
        """While an order waits for arrival, tell the hub where the unit is, at most once
        every POSITION_EVERY_S (the board shows units on their way; no tracking otherwise)."""
        last = self._last_position_at
        if last is not None and (fix.at - last).total_seconds() < POSITION_EVERY_S:
            return
        if not waiting:
            return
        body = PositionBody(position=Position(lat=fix.lat, lon=fix.lon), fix_at=fix.at)
        self.outbox.add(self.signer.make("position", body))
        self._last_position_at = fix.at
        self.sender.kick()
