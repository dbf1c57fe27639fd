"""The alarm follows the orders: after every change, the orders that alarm set the pattern.

The most urgent real order sets it; the drill pattern plays only when every alarming order
is a drill (`choose_pattern`), so a drill can never mask a real call. A roll-call (点名)
waiting for its answer plays its own pattern, only while no order alarms: orders first.
It stops by itself when the roll-call expires (`watch`, called by the alarm's thread).
"""

from __future__ import annotations

from datetime import datetime

from gateway.devices.alarm import Alarm, choose_pattern
from gateway.state.orders import OrderBook
from gateway.state.rollcalls import RollcallBook
from wire.clock import Clock


class Alarming:
    def __init__(
        self,
        orders: OrderBook,
        alarm: Alarm,
        rollcalls: RollcallBook | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.orders = orders
        self.alarm = alarm
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

    def watch(self) -> None:
        """Refresh once a roll-call has expired unanswered (it stops ringing)."""
        until = self._until
        if until is not None and self.clock is not None and self.clock.now() >= until:
            self.refresh()
