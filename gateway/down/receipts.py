"""`receipt`: the hub has committed these reports, so they leave the outbox.

Marked seen in the same transaction that removes them: a kill between the two must not
make the broker's re-delivery be skipped as already seen.
"""

from __future__ import annotations

from gateway.state.seen import SeenIds
from gateway.state.store import Store
from gateway.uplink.outbox import Outbox
from gateway.uplink.sender import Sender
from wire.codec import Message
from wire.kinds import ReceiptBody


class ReceiptMessages:
    def __init__(self, store: Store, seen: SeenIds, outbox: Outbox, sender: Sender) -> None:
        self.store = store
        self.seen = seen
        self.outbox = outbox
        self.sender = sender

    def on_receipt(self, msg: Message) -> None:
        if not isinstance(msg.body, ReceiptBody):
            raise TypeError("expected a ReceiptBody")
        with self.store.tx():
            self.seen.mark(msg)
            removed = self.outbox.remove(msg.body.ids)
        self.sender.on_receipt(removed)
