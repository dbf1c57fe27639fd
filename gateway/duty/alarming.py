"""The alarm follows the orders: after every change, the orders that alarm set the pattern.

The most urgent real order sets it; the drill pattern plays only when every alarming order
is a drill (`choose_pattern`), so a drill can never mask a real call.
"""

from __future__ import annotations

from gateway.devices.alarm import Alarm, choose_pattern
from gateway.state.orders import OrderBook


class Alarming:
    def __init__(self, orders: OrderBook, alarm: Alarm) -> None:
        self.orders = orders
        self.alarm = alarm

    def refresh(self) -> None:
        alarming = self.orders.alarming()
        self.alarm.set_pattern(
            choose_pattern([(o.order.priority, o.order.drill) for o in alarming])
        )
