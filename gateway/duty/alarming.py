"""The alarm follows the orders: after every change, the orders that alarm set the pattern.

The most urgent real order sets it; the drill pattern plays only when every alarming order
is a drill (`choose_pattern`), so a drill can never mask a real call.

Once the pins are driven, each alarming order whose rev has not yet been reported gets its
signed `alarmed` (with `alarmed_rev`, in one transaction): the hub then knows the duty room
was actually alerted, not only that the terminal stored the order.
Whatever follows the alarm (speech, `duty/speaking.py`) is told after the pattern is set,
and must not block.
A roll-call (点名) waiting for its answer plays its own pattern, only while no order alarms:
orders first. It stops by itself when the roll-call expires (`watch`, called by the alarm's
thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from gateway.devices.alarm import Alarm, choose_pattern
from gateway.duty.reports import DutyReports
from gateway.state.orders import OrderBook
from gateway.state.rollcalls import RollcallBook
from wire.clock import Clock

log = logging.getLogger(__name__)


class Alarming:
    def __init__(
        self,
        orders: OrderBook,
        alarm: Alarm,
        reports: DutyReports | None = None,
        kick: Callable[[], None] | None = None,
        then: Callable[[], None] | None = None,
        *,
        rollcalls: RollcallBook | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.orders = orders
        self.alarm = alarm
        self.reports = reports
        self.kick = kick
        self.then = then
        self.rollcalls = rollcalls
        self.clock = clock
        self._until: datetime | None = None
        """When the roll-call pattern must be looked at again (the first expiry)."""

    def refresh(self) -> None:
        alarming = self.orders.alarming()
        pattern = choose_pattern([(o.order.priority, o.order.drill) for o in alarming])
        self._until = None
        if self.rollcalls is not None and self.clock is not None:
            ringing = self.rollcalls.ringing(self.clock.now())
            if ringing:
                self._until = min(r.expires_at for r in ringing)
                pattern = pattern or "rollcall"
        self.alarm.set_pattern(pattern)
        if self.then is not None:
            try:
                self.then()
            except Exception:  # speech must never stop the alarm's caller
                log.exception("after the alarm refresh")
        if self.reports is None or not alarming or not self.alarm.active:
            return
        due = [o for o in alarming if (o.alarmed_rev or 0) < o.order.rev]
        sent = [self.reports.alarmed(o.order_id, o.order.rev) for o in due]
        if any(sent) and self.kick:
            self.kick()

    def watch(self) -> None:
        """Refresh once a roll-call has expired unanswered (it stops ringing)."""
        until = self._until
        if until is not None and self.clock is not None and self.clock.now() >= until:
            self.refresh()
