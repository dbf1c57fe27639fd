"""`order` (new or revised) and `cancel` from the hub.

An order is stored with its id in `seen`, its `received` report in the outbox and its print
job in one transaction; only then does it alarm and print. An equal or older rev changes
nothing and queues nothing: if that order's `received` is still unreceipted, the outbox
starts a new send round at once (the hub evidently has not got it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.devices.spool import PrintQueue, Spooler
from gateway.health.metrics import Metrics
from gateway.state.orders import OrderBook, Outcome
from gateway.state.seen import SeenIds
from gateway.state.store import Store
from gateway.uplink.outbox import Outbox
from gateway.uplink.sender import Sender
from gateway.uplink.signer import ReportSigner
from wire.codec import Message
from wire.kinds import CancelBody, OrderBody, ReceivedBody

log = logging.getLogger(__name__)


class OrderMessages:
    def __init__(
        self,
        store: Store,
        seen: SeenIds,
        orders: OrderBook,
        signer: ReportSigner,
        outbox: Outbox,
        prints: PrintQueue,
        metrics: Metrics,
        refresh_alarm: Callable[[], None],
        spooler: Spooler,
        sender: Sender,
    ) -> None:
        self.store = store
        self.seen = seen
        self.orders = orders
        self.signer = signer
        self.outbox = outbox
        self.prints = prints
        self.metrics = metrics
        self.refresh_alarm = refresh_alarm
        self.spooler = spooler
        self.sender = sender

    def on_order(self, msg: Message) -> None:
        if not isinstance(msg.body, OrderBody):
            raise TypeError("expected an OrderBody")
        outcome = self._store(msg, msg.body)
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
        with self.store.tx():
            self.seen.mark(msg)
            cancelled = self.orders.cancel(msg.body.order_id)
            if cancelled:
                self.prints.add(msg.body.order_id, "cancel", msg.body.reason)
        if cancelled:
            log.info("order %s cancelled", msg.body.order_id)
            self.refresh_alarm()
            self.spooler.kick()

    def _store(self, msg: Message, order: OrderBody) -> Outcome:
        """The order with its id seen, its `received` report and its print job, in one
        transaction; DUPLICATE (only the id marked) for an equal or older rev."""
        with self.store.tx():
            self.seen.mark(msg)
            if self.orders.is_stale(order):
                return Outcome.DUPLICATE
            received = self.signer.make("received", ReceivedBody(order.order_id, order.rev))
            self.outbox.add(received)
            outcome = self.orders.put(order, received.at, received.id)
            self.prints.add(order.order_id, "order")
        return outcome
