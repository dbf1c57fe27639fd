"""What the terminal says about itself: `health()` (the hub's `health` report and the
retained `online` state), `status()` (the kiosk page and /status.json), and the loop that
reports health every `interval` seconds.

Read straight from the parts at the moment of asking, so the hub, the kiosk and /metrics
always agree. Only the latest unsent `health` stays in the outbox (a snapshot that the
next one supersedes).
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from gateway.devices.alarm import Alarm
from gateway.devices.printer import Printer
from gateway.devices.spool import PrintQueue
from gateway.duty.arrival import Arrival
from gateway.health.clock_offset import ClockOffset
from gateway.health.screen import order_view
from gateway.state.orders import OrderBook
from gateway.state.rollcalls import RollcallBook
from gateway.uplink.link import Link
from gateway.uplink.outbox import Outbox
from gateway.uplink.sender import Sender
from gateway.uplink.signer import ReportSigner
from wire.clock import Clock, shanghai
from wire.kinds import GpsHealth, HealthBody, UpdateFailure

log = logging.getLogger(__name__)

try:
    VERSION = importlib.metadata.version("liandong")
except importlib.metadata.PackageNotFoundError:  # pragma: no cover (running from a tree)
    VERSION = "0.0.0"

FIX_FRESH_S = 10.0
"""A fix older than this does not count as a current fix in health."""


class HealthStatus:
    def __init__(
        self,
        *,
        unit: str,
        clock: Clock,
        monotonic: Callable[[], float],
        interval: float,
        orders: OrderBook,
        prints: PrintQueue,
        outbox: Outbox,
        signer: ReportSigner,
        alarm: Alarm,
        printer: Printer,
        arrival: Arrival,
        gps_configured: bool,
        clock_offset: ClockOffset,
        sender: Sender,
        link: Link,
        last_press: dict[str, str | None],
        unit_name: str = "",
        rollcalls: RollcallBook | None = None,
    ) -> None:
        self.unit = unit
        self.unit_name = unit_name or unit
        self.clock = clock
        self.monotonic = monotonic
        self.interval = interval
        self.orders = orders
        self.prints = prints
        self.outbox = outbox
        self.signer = signer
        self.alarm = alarm
        self.printer = printer
        self.arrival = arrival
        self.gps_configured = gps_configured
        self.clock_offset = clock_offset
        self.sender = sender
        self.link = link
        self.last_press = last_press
        self.rollcalls = rollcalls
        self.version = VERSION
        """The release running (the update agent sets it: the demo's terminals have none)."""
        self.update_failed: Callable[[], UpdateFailure | None] = lambda: None
        """The last release given up (gateway/update/), reported until a newer one runs."""
        self.update_trial: Callable[[], bool] = lambda: False
        """Whether this start is a release on trial, not yet confirmed."""
        self.started = monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- for the hub ---------------------------------------------------------------------

    def gps_health(self) -> GpsHealth | None:
        fix = self.arrival.last_fix
        if not self.gps_configured and fix is None:
            return None
        if fix is None:
            return GpsHealth(fix=False)
        age = max(0.0, (self.clock.now() - fix.at).total_seconds())
        return GpsHealth(fix=age <= FIX_FRESH_S, age_s=round(age, 1), satellites=fix.satellites)

    def health(self) -> HealthBody:
        open_orders = self.orders.open()
        return HealthBody(
            version=self.version,
            uptime_s=round(max(0.0, self.monotonic() - self.started), 1),
            printer=self.printer.state,
            outbox_depth=self.outbox.depth(),
            alarm_active=self.alarm.active,
            open_orders=len(open_orders),
            gps=self.gps_health(),
            clock_offset_s=self.clock_offset.estimate(),
            unprinted=len(self.prints.pending()),
            update_failed=self.update_failed(),
            update_trial=self.update_trial(),
        )

    def publish_state(self) -> None:
        """The retained `online` state with fresh health (on connect and on `resync`)."""
        self.link.publish_state(self.signer.state(self.health()))

    def report(self) -> None:
        health = self.health()
        self.outbox.add(self.signer.make("health", health))
        self.link.publish_state(self.signer.state(health))
        self.sender.kick()

    # ---- for the kiosk and /status.json --------------------------------------------------

    def status(self) -> dict[str, Any]:
        now = self.clock.now()
        orders = [order_view(o, now) for o in self.orders.all(50)]
        fix = self.arrival.last_fix
        return {
            "unit": self.unit,
            "unit_name": self.unit_name,
            "now": now.isoformat(),
            "alarm": {"active": self.alarm.active, "pattern": self.alarm.pattern},
            "buttons": dict(self.last_press),
            "link": {
                "connected": self.link.connected.is_set(),
                "error": self.link.last_error,
                "cause": problem.code if (problem := self.link.watch.state().problem) else "",
            },
            "outbox": {"depth": self.outbox.depth(), "in_flight": self.sender.in_flight},
            "printer": {
                "state": self.printer.state,
                "note": self.printer.note if self.printer.state == "unknown" else "",
                "unprinted": len(self.prints.pending()),
            },
            "gps": None
            if fix is None
            else {
                "lat": fix.lat,
                "lon": fix.lon,
                "age_s": round((now - fix.at) / timedelta(seconds=1), 1),
            },
            "orders": orders,
            "rollcalls": self.rollcall_views(now),
        }

    def rollcall_views(self, now: datetime) -> list[dict[str, Any]]:
        """The last few roll-calls for the kiosk: outcome, seconds left to answer (ringing
        ones), and the Beijing time it came, never a raw id on screen (the id is for the
        answer button's form only)."""
        if self.rollcalls is None:
            return []
        return [
            {
                "rollcall_id": r.rollcall_id,
                "outcome": r.outcome(now),
                "seconds_left": max(0, round((r.answer_by - now).total_seconds())),
                "expires_left": max(0, round((r.expires_at - now).total_seconds())),
                "received": shanghai(r.received_at).strftime("%m-%d %H:%M"),
            }
            for r in self.rollcalls.recent(5)
        ]

    # ---- the reporting loop --------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.report()
            except Exception:
                log.exception("health report failed")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(3)

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread
