"""The duty room's actions that the panel buttons and the kiosk share: 签收, 反馈, device
tests; the arrival button hands over to `Arrival`.

One press of 签收 acknowledges every order that is alarming, each with its own signed `ack`
(docs/gateway.md says why); if no order alarms and a roll-call (点名) is waiting, the press
answers the roll-call; otherwise (the hub silenced the alarm) it acknowledges every open
order not yet acknowledged. Orders always come first: a press while an order alarms never
answers a roll-call, so its meaning never depends on what the room thinks is sounding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.devices.alarm import Alarm
from gateway.devices.spool import PrintQueue, Spooler
from gateway.duty.arrival import Arrival
from gateway.duty.reports import DutyReports
from gateway.errors import UnknownOrderError
from gateway.state.orders import OrderBook
from gateway.state.rollcalls import RollcallBook
from gateway.state.store import Store
from gateway.uplink.sender import Sender
from wire.clock import Clock

log = logging.getLogger(__name__)


class DutyRoom:
    def __init__(
        self,
        store: Store,
        orders: OrderBook,
        reports: DutyReports,
        prints: PrintQueue,
        arrival: Arrival,
        alarm: Alarm,
        refresh_alarm: Callable[[], None],
        spooler: Spooler,
        sender: Sender,
        clock: Clock,
        rollcalls: RollcallBook | None = None,
    ) -> None:
        self.store = store
        self.orders = orders
        self.reports = reports
        self.prints = prints
        self.arrival = arrival
        self.alarm = alarm
        self.refresh_alarm = refresh_alarm
        self.spooler = spooler
        self.sender = sender
        self.clock = clock
        self.rollcalls = rollcalls or RollcallBook(store)
        self.last_press: dict[str, str | None] = {"ack": None, "arrive": None}

    def acknowledge(self, order_ids: list[str] | None, via: str) -> list[str]:
        """签收. With no ids (the button): every order that is alarming, each with its own
        signed `ack`; if none is alarming (e.g. silenced by the hub), every open order not
        yet acknowledged. See docs/gateway.md for why one press takes them all."""
        if order_ids is None:
            order_ids = [o.order_id for o in self.orders.alarming()] or [
                o.order_id for o in self.orders.unacknowledged()
            ]
        done: list[str] = []
        with self.store.tx():
            for order_id in order_ids:
                view = self.orders.get(order_id)
                if not view.is_open or view.acked_at:
                    continue
                self.reports.ack(order_id, via)
                done.append(order_id)
        if done:
            log.info("acknowledged %s via %s", ", ".join(done), via)
        self.refresh_alarm()
        self.sender.kick()
        return done

    def answer_rollcall(self, rollcall_id: str | None, via: str) -> list[str]:
        """点名应答. With no id (the button): every roll-call still ringing. An expired one
        is not answered (it stays missed); a second answer changes nothing."""
        now = self.clock.now()
        if rollcall_id is None:
            ids = [r.rollcall_id for r in self.rollcalls.ringing(now)]
        else:
            ids = [rollcall_id]
        done: list[str] = []
        with self.store.tx():
            for rid in ids:
                if self.rollcalls.get(rid).ringing(now):
                    self.reports.rollcall_answer(rid, via)
                    done.append(rid)
        if done:
            log.info("answered roll-call %s via %s", ", ".join(done), via)
        self.refresh_alarm()
        self.sender.kick()
        return done

    def feedback(self, order_id: str, result_code: str, text: str) -> None:
        """处置反馈; may be given again (a later feedback corrects an earlier one)."""
        with self.store.tx():
            if self.orders.get(order_id).status == "cancelled":
                raise UnknownOrderError(f"order {order_id} was cancelled")
            self.reports.feedback(order_id, result_code, text)
        self.sender.kick()

    def test_device(self, device: str) -> bool:
        """设备测试 from the kiosk: sound the buzzer, light the lamp (one second each) or print
        a test slip. The buzzer and light are refused while a real alarm sounds."""
        if device == "printer":
            self.prints.add("", "test", "设备测试 / device test")
            self.spooler.kick()
            return True
        return self.alarm.test(device)

    # ---- the panel buttons (after our own debouncing) ------------------------------------

    def on_ack_button(self) -> None:
        now = self.clock.now()
        self.last_press["ack"] = now.isoformat()
        if not self.orders.alarming() and self.rollcalls.ringing(now):
            self.answer_rollcall(None, "button")
        else:
            self.acknowledge(None, "button")

    def on_arrive_button(self) -> None:
        self.last_press["arrive"] = self.clock.now().isoformat()
        self.arrival.arrive(None, "button")
