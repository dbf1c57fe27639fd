"""Revoked terminals: the hub sends nothing more to a unit whose certificate is on the CRL.

Mosquitto checks the CRL only when a connection is made. After `liandong-provision revoke`
and a reload (SIGHUP) it turns the revoked certificate away at its next connect, but the
session that certificate already has stays open and is handed whatever is published to the
unit's topic (tests/provisioning/test_revoked_session.py, docs/security.md). Only the hub
may publish on a unit's `down` topic (the ACL), so the hub refusing to publish is what
guarantees that a stolen terminal receives nothing more: no order, command or receipt.

`RevocationWatch.refresh()` runs at the start of every delivery pass (about once a second):
it asks `UnitKeys` which registry units' current certificates are on the CRL. That re-reads
a file only when its time changed, and every `reread_s` of the hub's clock (a minute) reads
them all again whatever their times say, for filesystems whose times are too coarse to show
a quick rewrite. Each change is recorded once, as an event (`revoked`, or `reinstated` once
the unit is enrolled again with a new certificate), so a restart records nothing twice; the
console reads `revoked` (through its desk) and shows 已吊销. A unit leaves the list only with a new
certificate that is not revoked (enrolled again), never because its file went missing; a
CRL that cannot be read keeps what was known and says so in the log. Either way, taking the
absence of a file for "not revoked" would hand a stolen terminal its orders again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from hub.dispatch.presence import Presence
from hub.errors import ConfigError
from hub.metrics import HubMetrics
from hub.terminals.unit_certs import UnitKeys
from wire.clock import Clock

log = logging.getLogger(__name__)

REREAD_S = 60.0
"""Seconds of the hub's clock after which every certificate and the CRL are read again."""
MIN_INTERVAL_S = 1.0
"""Real seconds between two checks, however often the delivery loop runs."""


class RevocationWatch:
    """Which units the hub must not send to; `refresh()` keeps `revoked` up to date."""

    def __init__(
        self,
        keys: UnitKeys,
        presence: Presence,
        *,
        units: Iterable[str],
        clock: Clock,
        metrics: HubMetrics,
        reread_s: float = REREAD_S,
        min_interval_s: float = MIN_INTERVAL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keys = keys
        self.presence = presence
        self.units = sorted(units)
        self.clock = clock
        self.metrics = metrics
        self.revoked: frozenset[str] = frozenset()
        """Units whose current certificate is on the CRL: sent nothing, shown 已吊销."""
        self.reread_s = reread_s
        self.min_interval_s = min_interval_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last_check: float | None = None
        self._last_reread: datetime | None = None
        self._recorded: dict[str, int] | None = None  # unit -> serial, as the events say
        self._error = ""

    def refresh(self, *, force: bool = False) -> frozenset[str]:
        """Check the CRL now (at most once per `min_interval_s` unless `force`); return the
        units whose certificate is revoked."""
        with self._lock:
            real = self._monotonic()
            if (
                not force
                and self._last_check is not None
                and real - self._last_check < self.min_interval_s
            ):
                return self.revoked
            self._last_check = real
            now = self.clock.now()
            reread = force or self._due(now)
            try:
                certs = self.keys.certificates(self.units, reread=reread)
            except ConfigError as e:
                if str(e) != self._error:  # once per distinct problem, not every second
                    log.error("%s: units already known as revoked stay refused", e)
                    self._error = str(e)
                return self.revoked
            self._error = ""
            if reread:
                self._last_reread = now
            if self._recorded is None:
                self._recorded = self.presence.revoked_on_record()
            found = {unit: serial for unit, (serial, revoked) in certs.items() if revoked}
            # A revoked unit whose certificate file is gone or unusable stays revoked: only a
            # new, usable certificate (enrolled again) lets the hub send to it once more.
            found.update({u: s for u, s in self._recorded.items() if u not in certs})
            if found != self._recorded:
                self._record(found, now)
            self.revoked = frozenset(found)
            self.metrics.revoked.set(len(found))
            return self.revoked

    def _due(self, now: datetime) -> bool:
        last = self._last_reread
        return last is None or not 0 <= (now - last).total_seconds() < self.reread_s

    def _record(self, found: dict[str, int], now: datetime) -> None:
        """One event per change (hub/dispatch/presence.py writes them), then the log."""
        before = self._recorded or {}
        changes = [("revoked", u, s) for u, s in found.items() if before.get(u) != s]
        changes += [("reinstated", u, s) for u, s in before.items() if u not in found]
        self.presence.record_revocations(sorted(changes), now)
        self._recorded = dict(found)
        for kind, unit, serial in sorted(changes):
            what = "is revoked: nothing more is sent" if kind == "revoked" else "was replaced"
            log.warning("unit %s: certificate %x %s", unit, serial, what)
