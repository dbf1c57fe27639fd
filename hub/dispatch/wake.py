"""After a commit: who must look again. Delivery waits on `outbox`, the deadline engine on
`deadlines`, the console on the live stream. Writers call `changed()` once their
transaction has committed, never before, so nobody is woken to read what is not there yet.

The engine is woken only for a new deadline earlier than the one it waits for (`due()`,
told by the ledger inside the transaction; `changed()` acts on it after the commit): it
looks again within a second of the clock anyway, so waking it on every intake and every
report (issue 17: a read and two write transactions per wake) bought nothing but contention.
A hint left by a transaction that rolled back only wakes the engine once for nothing; the
engine reads on the store's connection, behind its lock, so it never reads before the commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.alerts.live import EventBus


class Wake:
    def __init__(
        self, live: EventBus, *, after_commit: Callable[[Callable[[], None]], None] | None = None
    ) -> None:
        self.live = live
        self._after_commit = after_commit or (lambda fn: fn())
        """`Store.after_commit`: a writer nested in a batch's transaction (the uplink's)
        wakes the others only when the whole batch has committed."""
        self.outbox = threading.Event()
        """Set when the outbox may hold something to send: wakes the delivery loop."""
        self.deadlines = threading.Event()
        """Set when a deadline earlier than the engine's next one was added: wakes it."""
        self.next_due: datetime | None = None
        """The engine's next due time as of its last pass (None: nothing open)."""
        self._lock = threading.Lock()
        self._earliest: datetime | None = None

    def due(self, when: datetime) -> None:
        """A deadline due at `when` is being added (inside the writer's transaction)."""
        with self._lock:
            if self._earliest is None or when < self._earliest:
                self._earliest = when

    def changed(self, *updates: dict[str, Any], outbox: bool = True) -> None:
        """After a commit: wake the delivery loop, the engine if a new deadline is earlier
        than its next one, tell the console."""
        self._after_commit(lambda: self._changed(updates, outbox))

    def _changed(self, updates: tuple[dict[str, Any], ...], outbox: bool) -> None:
        if outbox:
            self.outbox.set()
        with self._lock:
            earliest, self._earliest = self._earliest, None
        nxt = self.next_due
        if earliest is not None and (nxt is None or earliest < nxt):
            self.deadlines.set()
        for u in updates:
            self.live.publish(u)
