"""`order` (new or revised) and `cancel` from the hub.

An order is stored with its id in `seen`, its `received` report in the outbox and its print
job in one transaction; only then does it alarm and print. An equal or older rev changes
nothing and queues nothing: if that order's `received` is still unreceipted, the outbox
starts a new send round at once (the hub evidently has not got it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.devices.spool import Spooler
from gateway.health.metrics import Metrics
from gateway.state.orders import OrderBook, Outcome
from gateway.uplink.sender import Sender
from wire.codec import Message
from wire.kinds import CancelBody, OrderBody

log = logging.getLogger(__name__)


class OrderMessages:
    def __init__(
        self,
        orders: OrderBook,
        metrics: Metrics,
        refresh_alarm: Callable[[], None],
        spooler: Spooler,
        sender: Sender,
    ) -> None:
        self.orders = orders
        self.metrics = metrics
        self.refresh_alarm = refresh_alarm
        self.spooler = spooler
        self.sender = sender

    def on_order(self, msg: Message) -> None:
        if not isinstance(msg.body, OrderBody):
            raise TypeError("expected an OrderBody")
        outcome = self.orders.accept(msg)
        if outcome is Outcome.DUPLICATE:
            self.metrics.duplicates.inc()
            if self.orders.received_pending(msg.body.order_id):
                self.sender.new_round()  # the hub has not got our `received`: send again now
            return
        log.info("order %s stored (%s)", msg.body.order_id, outcome.value)
        self.refresh_alarm()
        self.spooler.kick()
        self.sender.kick()

    def on_cancel(self, msg: Message) -> None:
        if not isinstance(msg.body, CancelBody):
            raise TypeError("expected a CancelBody")
        if self.orders.cancel(msg):
            log.info("order %s cancelled", msg.body.order_id)
            self.refresh_alarm()
            self.spooler.kick()
