"""Store and forward: send the outbox in a bounded window, re-send until a receipt comes.

paho keeps its outgoing queue in memory and rescans it on every acknowledgement, so it is
handed at most `window` messages at a time from our SQLite outbox, never thousands at once.
A report leaves the outbox only when a hub `receipt` names it (`Outbox.remove`);
a PUBACK only frees a slot in the window.

Sending goes in rounds over the outbox in order (`seq`). A new round starts at every
(re)connect, on `resync`, and when a round has ended and `resend_s` has passed without all
receipts: the hub may have lost what it had not yet committed. The timer backs off
(doubling up to `max_resend_s`) while no receipts come, and resets when one does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from gateway.uplink.outbox import Outbox

log = logging.getLogger(__name__)

WINDOW = 50


class Sender:
    """Moves reports from the outbox to the link, `window` at a time."""

    def __init__(
        self,
        outbox: Outbox,
        publish: Callable[[bytes], int | None],
        window: int = WINDOW,
        resend_s: float = 30.0,
        max_resend_s: float = 600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outbox = outbox
        self.publish = publish
        self.window = window
        self.base_resend_s = resend_s
        self.resend_s = resend_s
        self.max_resend_s = max_resend_s
        self.monotonic = monotonic
        self.sent_total = 0
        self._lock = threading.Lock()
        self._in_flight: dict[int, str] = {}
        self._early: set[int] = set()
        self._cursor = 0
        self._round_done_at: float | None = None
        self._connected = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def kick(self) -> None:
        self._wake.set()

    def new_round(self) -> None:
        with self._lock:
            self._cursor = 0
            self._round_done_at = None
        self.kick()

    def on_connect(self) -> None:
        with self._lock:
            self._connected = True
            self._in_flight.clear()
            self._early.clear()
        self.new_round()

    def on_disconnect(self) -> None:
        with self._lock:
            self._connected = False
            self._in_flight.clear()
            self._early.clear()

    def on_puback(self, mid: int) -> None:
        with self._lock:
            if self._in_flight.pop(mid, None) is None:
                self._early.add(mid)
        self.kick()

    def on_receipt(self, removed: int) -> None:
        if removed:
            self.resend_s = self.base_resend_s

    def pump(self) -> int:
        """Fill the window from the outbox; returns how many were handed to the link."""
        sent = 0
        while True:
            with self._lock:
                room = self.window - len(self._in_flight)
                if not self._connected or room <= 0:
                    return sent
                cursor = self._cursor
            batch = self.outbox.batch(cursor, room)
            if not batch:
                with self._lock:
                    if self._round_done_at is None and not self._in_flight:
                        self._round_done_at = self.monotonic()
                return sent
            for seq, msg_id, payload in batch:
                # publish outside our lock: paho calls on_puback holding its own lock, and
                # holding ours here too would deadlock the two threads.
                mid = self.publish(payload)
                if mid is None:
                    return sent
                with self._lock:
                    if mid in self._early:
                        self._early.discard(mid)  # its PUBACK beat us here
                    else:
                        self._in_flight[mid] = msg_id
                    self._cursor = seq
                sent += 1
                self.sent_total += 1

    def _timer(self) -> None:
        """Start a new round when the last one ended long enough ago and reports remain."""
        with self._lock:
            done = self._round_done_at
        if done is None or self.monotonic() - done < self.resend_s:
            return
        if self.outbox.depth() == 0:
            with self._lock:
                self._round_done_at = self.monotonic()
            return
        log.info("re-sending unreceipted reports (next wait %.0fs)", self.resend_s)
        self.resend_s = min(self.resend_s * 2, self.max_resend_s)
        self.new_round()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            try:
                self._timer()
                self.pump()
            except Exception:  # the sender must outlive any one bad row or link hiccup
                log.exception("outbox sender failed; retrying")
                self._stop.wait(1.0)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(3)
