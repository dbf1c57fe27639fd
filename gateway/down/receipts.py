"""`receipt`: the hub has committed these reports, so they leave the outbox.

Marked seen in the same transaction that removes them: a kill between the two must not
make the broker's re-delivery be skipped as already seen.
"""

from __future__ import annotations

from gateway.state.orders import OrderBook
from gateway.state.store import Store
from gateway.uplink.sender import Sender
from wire.codec import Message
from wire.kinds import ReceiptBody


class ReceiptMessages:
    def __init__(self, store: Store, orders: OrderBook, sender: Sender) -> None:
        self.store = store
        self.orders = orders
        self.sender = sender

    def on_receipt(self, msg: Message) -> None:
        if not isinstance(msg.body, ReceiptBody):
            raise TypeError("expected a ReceiptBody")
        with self.store.tx():
            self.orders.mark_seen(msg)
            removed = self.store.outbox_remove(msg.body.ids)
        self.sender.on_receipt(removed)
