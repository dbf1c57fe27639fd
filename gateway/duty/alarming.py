"""The alarm follows the orders: after every change, the orders that alarm set the pattern.

The most urgent real order sets it; the drill pattern plays only when every alarming order
is a drill (`choose_pattern`), so a drill can never mask a real call.

Once the pins are driven, each alarming order whose rev has not yet been reported gets its
signed `alarmed` (with `alarmed_rev`, in one transaction): the hub then knows the duty room
was actually alerted, not only that the terminal stored the order.
Whatever follows the alarm (speech, `duty/speaking.py`) is told after the pattern is set,
and must not block.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.devices.alarm import Alarm, choose_pattern
from gateway.duty.reports import DutyReports
from gateway.state.orders import OrderBook

log = logging.getLogger(__name__)


class Alarming:
    def __init__(
        self,
        orders: OrderBook,
        alarm: Alarm,
        reports: DutyReports | None = None,
        kick: Callable[[], None] | None = None,
        then: Callable[[], None] | None = None,
    ) -> None:
        self.orders = orders
        self.alarm = alarm
        self.reports = reports
        self.kick = kick
        self.then = then

    def refresh(self) -> None:
        alarming = self.orders.alarming()
        self.alarm.set_pattern(
            choose_pattern([(o.order.priority, o.order.drill) for o in alarming])
        )
        if self.then is not None:
            try:
                self.then()
            except Exception:  # speech must never stop the alarm's caller
                log.exception("after the alarm refresh")
        if self.reports is None or not self.alarm.active:
            return
        due = [o for o in alarming if (o.alarmed_rev or 0) < o.order.rev]
        sent = [self.reports.alarmed(o.order_id, o.order.rev) for o in due]
        if any(sent) and self.kick:
            self.kick()
