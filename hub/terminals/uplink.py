"""What terminals send up: reports, state and tracker fixes, verified then applied.

Each message is applied in one transaction with its message id (dedupe), its event (with
the signature and raw bytes, evidence in a dispute) and the projection changes. Only after
the commit does the MQTT link acknowledge it to the broker and the delivery loop send the
`receipt`. The parts: `order_reports` (received, ack, arrived, feedback), `unit_state`
(state, health, position), `trackers` (OwnTracks fixes), `rejections` (what is refused).

Whatever a message holds, `handle` ends in one of two ways (issue 11):
- applied or refused (recorded in `rejected`) and so acknowledged: bad input, a report
  that cannot be applied, and also a failure of the hub's own code on that message
  (`internal_error`, logged with its traceback): none of these would go away if the
  broker delivered the message again, and an unacknowledged message holds one of the
  broker's 20 in-flight slots for the hub, so 20 of them would stall every unit;
- StoreUnavailable, only when the database cannot take a write right now: the link
  leaves the message unacknowledged and tries it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from hub.db.store import ts, unavailable
from hub.dispatch.actions import HubService
from hub.dispatch.order_reports import OrderReports
from hub.dispatch.presence import TimeWindow, UnitState
from hub.dispatch.rejections import RejectionLimits, Rejections
from hub.dispatch.trackers import Trackers
from hub.errors import ReportRejected, StoreUnavailable
from hub.terminals.unit_certs import UnitKeys
from wire import codec, topics
from wire.errors import WireError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What the link does after the commit: `receipt` = (unit, message id) to confirm."""

    receipt: tuple[str, str] | None = None
    online: str | None = None  # a unit that just came online: re-send its pending orders
    clear: str | None = None  # a topic whose retained message the hub must remove


class ReportHandler:
    def __init__(
        self,
        service: HubService,
        keys: UnitKeys,
        *,
        arrival_radius_m: float = 150.0,
        max_fix_age_s: float = 120.0,
        window: TimeWindow | None = None,
        rejection_limits: RejectionLimits | None = None,
    ) -> None:
        self.service = service
        self.keys = keys
        self.rejections = Rejections(service.metrics, rejection_limits)
        self.orders = OrderReports(service)
        self.units = UnitState(service, window)
        self.trackers = Trackers(
            service,
            self.units,
            self.orders,
            radius_m=arrival_radius_m,
            max_fix_age_s=max_fix_age_s,
        )

    # ---- entry -----------------------------------------------------------------------------
    def handle(self, topic: str, payload: bytes, *, retain: bool = False) -> Outcome:
        """Apply one MQTT message. Raises only StoreUnavailable (see the module's doc)."""
        try:
            return self._route(topic, payload, retain)
        except Exception as e:
            if unavailable(e):
                raise StoreUnavailable(f"database unavailable: {e}") from e
            log.exception("message on %s failed in the hub: refused as internal_error", topic)
            self._refuse(
                topic, _unit_of(topic), "internal_error", f"{type(e).__name__}: {e}", payload
            )
            return Outcome()

    def _route(self, topic: str, payload: bytes, retain: bool) -> Outcome:
        unit = None
        try:
            t = topics.parse(topic)
            unit = t.unit
            if t.county != self.service.county:
                raise WireError("bad_topic", f"topic {topic!r} is for another county")
            if t.channel == "up":
                if retain and not payload:
                    return Outcome()  # a retained message being cleared: nothing to apply
                if retain:
                    # The ACL file cannot refuse retain per topic (only `state` is retained):
                    # never apply it, and remove it from the broker.
                    self._refuse(
                        topic, unit, "retained", "a report on `up` must not be retained", payload
                    )
                    return Outcome(clear=topic)
                return self._up(t.unit, payload)
            if t.channel == "state":
                msg = codec.decode(payload, self.keys.verifier, unit=t.unit, direction="state")
                online = self.units.state(t.unit, msg)
                return Outcome(online=t.unit if online else None)
            if t.channel == "trackers":
                self.trackers.fix(t.unit, t.tracker or "", payload, retained=retain)
                return Outcome()
            raise WireError("bad_topic", f"the hub does not read {topic!r}")
        except (WireError, ReportRejected) as e:
            self._refuse(topic, unit, e.reason, str(e), payload)
            return Outcome()

    def _refuse(self, topic: str, unit: str | None, reason: str, message: str, raw: bytes) -> None:
        with self.service.store.write() as db:
            self.rejections.record(db, self.service.clock.now(), topic, unit, reason, message, raw)

    # ---- reports ---------------------------------------------------------------------------
    def _up(self, unit: str, payload: bytes) -> Outcome:
        msg = codec.decode(payload, self.keys.verifier, unit=unit, direction="up")
        svc = self.service
        now = svc.clock.now()
        updates: list[dict[str, Any]] = []
        with svc.store.write() as db:
            if svc.store.one("SELECT 1 AS x FROM seen WHERE msg_id=?", (msg.id,)):
                svc.metrics.duplicates.inc()
                return Outcome(receipt=(unit, msg.id))
            db.execute(
                "INSERT INTO seen (msg_id, unit, recorded_at) VALUES (?,?,?)",
                (msg.id, unit, ts(now)),
            )
            self.units.touch(db, unit, now)
            try:
                if msg.kind in ("health", "position"):
                    updates += self.units.report(db, unit, msg, now)
                else:
                    updates += self.orders.apply(
                        db,
                        unit,
                        msg.kind,
                        msg.body,
                        msg.at,
                        now,
                        source=f"unit:{unit}",
                        sig=msg.sig,
                        raw=msg.raw,
                        event_id=msg.id,
                    )
            except ReportRejected as e:
                # Stored and confirmed (so the terminal stops re-sending it), never applied.
                log.warning("report %s from %s refused: %s", msg.id, unit, e)
                up = topics.up(svc.county, unit)
                self.rejections.record(db, now, up, unit, e.reason, str(e), msg.raw)
        svc.metrics.reports.labels(msg.kind).inc()
        svc.changed(*updates, outbox=bool(updates))
        return Outcome(receipt=(unit, msg.id))


def _unit_of(topic: str) -> str | None:
    try:
        return topics.parse(topic).unit
    except WireError:
        return None
