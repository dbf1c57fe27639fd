"""Signing reports with the unit's own key.

A unit's TLS key is also its signing key (docs/wire.md): the hub verifies every report
against the unit's certificate, so a signed acknowledgement is evidence in an assessment
dispute. Each report takes its `at` from the clock when it is made, not when it is sent.
"""

from __future__ import annotations

from gateway.uplink.outbox import Report
from wire import Signer, encode
from wire.clock import Clock, rfc3339
from wire.kinds import Body, HealthBody, StateBody


class ReportSigner:
    """Makes signed up and state messages for one unit."""

    def __init__(self, unit: str, signer: Signer, clock: Clock) -> None:
        self.unit = unit
        self.signer = signer
        self.clock = clock

    def make(self, kind: str, body: Body) -> Report:
        at = self.clock.now()
        msg_id, payload = encode(kind, self.unit, body, self.signer, at=at)
        return Report(id=msg_id, kind=kind, at=rfc3339(at), payload=payload)

    def state(self, health: HealthBody | None) -> bytes:
        """The retained state: `online` with health, or the will `offline` (health None)."""
        body = StateBody(status="online", health=health) if health else StateBody("offline")
        return self.make("state", body).payload
