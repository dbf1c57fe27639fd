"""Speech follows the alarm: what the terminal says, and when, as the orders change.

- An order that starts to alarm (new, or a revision while unacknowledged) is said once the
  alarm pattern has sounded for `lead_s`, then every `repeat_s` for as long as it alarms;
  签收, arrival, the hub's silence or a cancel stop it, as they stop the alarm.
- A revision of an order already acknowledged is said once (the alarm stays quiet for it,
  but the duty room should hear that the order changed).
- A cancel is said once, whether or not the order had been acknowledged: the crew may be on
  its way.
Several orders due together are queued in the order they came, each under its own key.

`refresh()` is what `Alarming` calls after each change: it only wakes this part's thread,
so the down handler and the duty room never wait for a read, a render or a sound. `scan`
and `tick` take the monotonic time, so tests step through minutes of repeats without
sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.devices.announce import Kind, words
from gateway.devices.speech import Speaker
from gateway.state.orders import OrderBook
from wire.kinds import OrderBody

log = logging.getLogger(__name__)


@dataclass
class _Due:
    at: float
    order: OrderBody
    kind: Kind


class Speaking:
    def __init__(
        self,
        orders: OrderBook,
        speaker: Speaker,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.orders = orders
        self.speaker = speaker
        self.monotonic = monotonic
        self.repeat_s = speaker.config.repeat_s
        self.lead_s = speaker.config.lead_s
        self._known: dict[str, int] | None = None
        """Open orders and their rev, as of the last scan (None before the first)."""
        self._due: dict[str, _Due] = {}
        """Alarming orders and when each is said next."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh(self) -> None:
        """The orders changed: look again soon (in this part's own thread)."""
        self._wake.set()

    def scan(self, now: float | None = None) -> None:
        """Compare the orders with the last scan; queue what changed; then `tick`."""
        t = self.monotonic() if now is None else now
        open_now = {o.order_id: o for o in self.orders.open()}
        alarming = {o.order_id for o in self.orders.alarming()}
        with self._lock:
            first = self._known is None
            known = self._known or {}
            for oid, view in open_now.items():
                rev = known.get(oid)
                changed = rev is None or view.order.rev > rev
                kind: Kind = "revised" if view.order.rev > 1 else "new"
                if oid in alarming:
                    if changed or oid not in self._due:  # new, revised, or re-alarmed
                        self._due[oid] = _Due(t + self.lead_s, view.order, kind)
                elif changed and kind == "revised" and not first:
                    self._say(view.order, kind)
            for oid in set(known) - set(open_now):
                self._gone(oid)
            for oid in set(self._due) - alarming:
                del self._due[oid]  # acknowledged, arrived, silenced or cancelled
            self._known = {oid: v.order.rev for oid, v in open_now.items()}
        self.tick(t)

    def _gone(self, order_id: str) -> None:
        """An order left the open ones: fed back (nothing to say) or cancelled."""
        try:
            view = self.orders.get(order_id)
        except Exception:
            log.exception("speech: cannot read order %s", order_id)
            return
        if view.status == "cancelled":
            self._say(view.order, "cancelled")

    def tick(self, now: float | None = None) -> None:
        """Say every alarming order whose time has come, and set its next time."""
        t = self.monotonic() if now is None else now
        with self._lock:
            for due in self._due.values():
                if due.at <= t:
                    self._say(due.order, due.kind)
                    due.at = t + self.repeat_s

    def _say(self, order: OrderBody, kind: Kind) -> None:
        self.speaker.say(order.order_id, words(order, kind))

    def start(self, period: float = 0.5) -> None:
        def run() -> None:
            while not self._stop.is_set():
                woke = self._wake.wait(period)
                if self._stop.is_set():
                    return
                try:
                    if woke:
                        self._wake.clear()
                        self.scan()
                    else:
                        self.tick()
                except Exception:  # a failed read must not end speech for the next order
                    log.exception("speech scan failed")

        self.speaker.start()
        self._thread = threading.Thread(target=run, name="speaking", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(2)
        self.speaker.stop()
