"""The way in for every down message: verify, count, dedupe by id, then hand it to its kind.

Called on paho's thread; returns only after the handler's commit, so the link acknowledges
the MQTT message only then (manual ack). A message that fails verification (unsigned,
forged, for another unit, malformed, too large) is counted by reason, logged and dropped;
it never raises into the link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from gateway.health.clock_offset import ClockOffset
from gateway.health.metrics import Metrics
from gateway.state.seen import SeenIds
from wire import Verifier, WireError, decode
from wire.clock import Clock
from wire.codec import Message

log = logging.getLogger(__name__)

Handler = Callable[[Message], None]


class DownHandler:
    def __init__(
        self,
        unit: str,
        verifier: Verifier,
        clock: Clock,
        seen: SeenIds,
        metrics: Metrics,
        clock_offset: ClockOffset,
        handlers: Mapping[str, Handler],
    ) -> None:
        self.unit = unit
        self.verifier = verifier
        self.clock = clock
        self.seen = seen
        self.metrics = metrics
        self.clock_offset = clock_offset
        self.handlers = handlers

    def handle(self, raw: bytes) -> None:
        """Verify, store, then act. Called on paho's thread; returns after the commit."""
        try:
            msg = decode(raw, self.verifier, unit=self.unit, direction="down")
        except WireError as e:
            self.metrics.rejected.labels(reason=e.reason).inc()
            log.warning("rejected a down message (%s): %s", e.reason, e)
            return
        self.metrics.received.labels(kind=msg.kind).inc()
        self.clock_offset.observe(msg.at, self.clock.now())
        if self.seen.seen(msg.id):
            self.metrics.duplicates.inc()
            return
        self.handlers[msg.kind](msg)
