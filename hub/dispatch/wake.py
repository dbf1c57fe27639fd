"""After a commit: who must look again. Delivery waits on `outbox`, the deadline engine on
`deadlines`, the console on the live stream. Writers call `changed()` once their
transaction has committed, never before, so nobody is woken to read what is not there yet.
"""

from __future__ import annotations

import threading
from typing import Any

from hub.alerts.live import EventBus


class Wake:
    def __init__(self, live: EventBus) -> None:
        self.live = live
        self.outbox = threading.Event()
        """Set when the outbox may hold something to send: wakes the delivery loop."""
        self.deadlines = threading.Event()
        """Set when deadlines changed: wakes the deadline engine."""

    def changed(self, *updates: dict[str, Any], outbox: bool = True) -> None:
        """After a commit: wake the delivery loop and the engine, tell the console."""
        if outbox:
            self.outbox.set()
        self.deadlines.set()
        for u in updates:
            self.live.publish(u)
