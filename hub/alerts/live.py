"""Live updates for the console (server-sent events): a fan-out of small dicts.

Each subscriber gets its own bounded queue; a subscriber that stops reading loses updates
rather than growing the hub's memory (the console reloads the board on reconnect anyway).
When the hub stops, `close()` hands every subscriber `CLOSING`, so an open board stream ends
at once instead of holding one of the server's threads (and the hub's stop) until its next
heartbeat or until waitress gives up on it.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from typing import Any

log = logging.getLogger(__name__)

CLOSING: dict[str, Any] = {"type": "closing"}
"""The last update a subscriber gets: the hub is stopping (the browser reconnects later)."""


class EventBus:
    def __init__(self, maxsize: int = 1000) -> None:
        self._subs: list[queue.Queue[dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._maxsize = maxsize
        self._closed = False

    def subscribe(self) -> queue.Queue[dict[str, Any]]:
        q: queue.Queue[dict[str, Any]] = queue.Queue(self._maxsize)
        with self._lock:
            if self._closed:
                q.put_nowait(CLOSING)
            else:
                self._subs.append(q)
        return q

    def close(self) -> None:
        """Tell every subscriber, now and later, that the hub is stopping."""
        with self._lock:
            self._closed = True
            subs, self._subs = self._subs, []
        for q in subs:
            while True:
                try:
                    q.put_nowait(CLOSING)
                    break
                except queue.Full:  # a subscriber that stopped reading: drop its oldest
                    with contextlib.suppress(queue.Empty):
                        q.get_nowait()

    def unsubscribe(self, q: queue.Queue[dict[str, Any]]) -> None:
        with self._lock:
            if q in self._subs:
                self._subs.remove(q)

    def publish(self, update: dict[str, Any]) -> None:
        """Send `{"type": "incident"|"order"|"unit"|"escalation", "id": ..., ...}` to all."""
        with self._lock:
            subs = list(self._subs)
        for q in subs:
            try:
                q.put_nowait(update)
            except queue.Full:
                log.warning("console subscriber is not reading; update %s dropped", update)
