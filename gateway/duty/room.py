"""The duty room's actions that the panel buttons and the kiosk share: 签收, 反馈, device
tests; the arrival button hands over to `Arrival`.

One press of 签收 acknowledges every order that is alarming, each with its own signed `ack`
(docs/gateway.md says why); if nothing alarms (the hub silenced it), every open order not
yet acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.devices.alarm import Alarm
from gateway.devices.spool import Spooler
from gateway.duty.arrival import Arrival
from gateway.state.orders import OrderBook
from gateway.uplink.sender import Sender
from wire.clock import Clock

log = logging.getLogger(__name__)


class DutyRoom:
    def __init__(
        self,
        orders: OrderBook,
        arrival: Arrival,
        alarm: Alarm,
        refresh_alarm: Callable[[], None],
        spooler: Spooler,
        sender: Sender,
        clock: Clock,
    ) -> None:
        self.orders = orders
        self.arrival = arrival
        self.alarm = alarm
        self.refresh_alarm = refresh_alarm
        self.spooler = spooler
        self.sender = sender
        self.clock = clock
        self.last_press: dict[str, str | None] = {"ack": None, "arrive": None}

    def acknowledge(self, order_ids: list[str] | None, via: str) -> list[str]:
        """签收. With no ids (the button): every order that is alarming, each with its own
        signed `ack`; if none is alarming (e.g. silenced by the hub), every open order not
        yet acknowledged. See docs/gateway.md for why one press takes them all."""
        if order_ids is None:
            order_ids = [o.order_id for o in self.orders.alarming()] or [
                o.order_id for o in self.orders.unacknowledged()
            ]
        done = self.orders.acknowledge(order_ids, via)
        if done:
            log.info("acknowledged %s via %s", ", ".join(done), via)
        self.refresh_alarm()
        self.sender.kick()
        return done

    def feedback(self, order_id: str, result_code: str, text: str) -> None:
        self.orders.feedback(order_id, result_code, text)
        self.sender.kick()

    def test_device(self, device: str) -> bool:
        """设备测试 from the kiosk: sound the buzzer, light the lamp (one second each) or print
        a test slip. The buzzer and light are refused while a real alarm sounds."""
        if device == "printer":
            self.orders.queue_print("", "test", "设备测试 / device test")
            self.spooler.kick()
            return True
        return self.alarm.test(device)

    # ---- the panel buttons (after our own debouncing) ------------------------------------

    def on_ack_button(self) -> None:
        self.last_press["ack"] = self.clock.now().isoformat()
        self.acknowledge(None, "button")

    def on_arrive_button(self) -> None:
        self.last_press["arrive"] = self.clock.now().isoformat()
        self.arrival.arrive(None, "button")
