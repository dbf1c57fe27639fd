"""What a terminal's verified message changes: the one call the uplink makes per message.

The uplink (hub/terminals/uplink.py) parses the topic, verifies the signature, checks the
message id against `seen`, and then calls exactly one of these; each is one transaction:
- `report`: the id into `seen`, the unit heard from, the order (received, ack, arrived,
  feedback), a roll-call answer, the unit's own news (health, position) or a call it took
  itself (selfcall: a new incident, `selfcalls.py`), with its event; a report that
  cannot be applied is stored in `rejected` in the same transaction, never applied;
- `state`: the retained online/offline state; `tracker_fix`: an OwnTracks fix;
- `refuse`: a message refused before it could be applied (bad topic, forged, retained...).
The uplink applies the messages waiting for it as one batch: `batch()` is one transaction
around them (so one commit, one fsync for many), `one()` a savepoint around each.
After the commit, the live stream and the delivery loop hear of it (`Wake`).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager
from typing import Any

from hub.db.store import Store
from hub.db.times import ts
from hub.dispatch.order_reports import OrderReports
from hub.dispatch.presence import Presence
from hub.dispatch.rejections import Rejections
from hub.dispatch.rollcall.calls import RollCalls
from hub.dispatch.selfcalls import SelfCalls
from hub.dispatch.trackers import Trackers
from hub.dispatch.wake import Wake
from hub.errors import ReportRejected
from hub.metrics import HubMetrics
from wire import kinds as k
from wire import topics
from wire.clock import Clock
from wire.codec import Message
from wire.owntracks import OwnTracksLocation

log = logging.getLogger(__name__)


class Inbox:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        wake: Wake,
        metrics: HubMetrics,
        *,
        county: str,
        presence: Presence,
        orders: OrderReports,
        trackers: Trackers,
        rejections: Rejections,
        selfcalls: SelfCalls,
        rollcalls: RollCalls | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.wake = wake
        self.metrics = metrics
        self.county = county
        self.presence = presence
        self.orders = orders
        self.trackers = trackers
        self.rejections = rejections
        self.selfcalls = selfcalls
        self.rollcalls = rollcalls

    def batch(self) -> AbstractContextManager[object]:
        """One transaction around a batch of messages (the uplink's): each call below joins
        it, and the whole batch commits once, before any of it is acknowledged or
        receipted. Who must look again is told after that commit (`Store.after_commit`)."""
        return self.store.write()

    def one(self) -> AbstractContextManager[object]:
        """One message of a batch: undone alone if applying it fails (it is then refused
        as `internal_error`), the rest of the batch kept."""
        return self.store.savepoint()

    def seen(self, msg_id: str) -> bool:
        """Whether a report with this id was applied already (it is receipted again)."""
        return self.store.one("SELECT 1 AS x FROM seen WHERE msg_id=?", (msg_id,)) is not None

    def report(self, unit: str, msg: Message) -> None:
        """Apply one verified report from `unit` on `up`, once: an id already in `seen`
        (a second delivery racing the first) changes nothing."""
        now = self.clock.now()
        updates: list[dict[str, Any]] = []
        with self.store.write() as db:
            if self.seen(msg.id):
                self.metrics.duplicates.inc()
                return
            db.execute(
                "INSERT INTO seen (msg_id, unit, recorded_at) VALUES (?,?,?)",
                (msg.id, unit, ts(now)),
            )
            self.presence.touch(db, unit, now)
            try:
                if msg.kind in ("health", "position"):
                    updates += self.presence.report(db, unit, msg, now)
                elif msg.kind == "selfcall":  # 自接警情 (双轨制): a new incident
                    updates += self.selfcalls.apply(db, unit, msg, now)
                elif msg.kind == "rollcall_answer":
                    if self.rollcalls is None:
                        raise ReportRejected("unknown_rollcall", "this hub calls no roll")
                    assert isinstance(msg.body, k.RollcallAnswerBody)  # noqa: S101 - by kind
                    updates += self.rollcalls.answer(
                        db, unit, msg.body, msg.at, now, sig=msg.sig, raw=msg.raw, event_id=msg.id
                    )
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
                up = topics.up(self.county, unit)
                self.rejections.record(db, now, up, unit, e.reason, str(e), msg.raw)
        self.metrics.reports.labels(msg.kind).inc()
        self.wake.changed(*updates, outbox=bool(updates))

    def state(self, unit: str, msg: Message) -> bool:
        """A verified `state` message; returns whether the unit is now online."""
        return self.presence.state(unit, msg)

    def tracker_fix(
        self, unit: str, tracker: str, loc: OwnTracksLocation, raw: bytes, *, retained: bool
    ) -> None:
        """A parsed OwnTracks fix of one of `unit`'s trackers."""
        self.trackers.fix(unit, tracker, loc, raw, retained=retained)

    def refuse(self, topic: str, unit: str | None, reason: str, message: str, raw: bytes) -> None:
        """Count (and, within the unit's rate, keep) a message that is not applied."""
        with self.store.write() as db:
            self.rejections.record(db, self.clock.now(), topic, unit, reason, message, raw)
