"""What terminals send up: the entry point of every message on `up`, `state`, `trackers`.

Three rooms, as for an intake: here the topic is parsed, the signature verified against
the unit's certificate and the id checked against what was applied; then one call into
`hub.dispatch.inbox.Inbox` applies it (or records its refusal) in one transaction, with
its event (signature and raw bytes: evidence in a dispute). The messages waiting on the
link are applied as one batch (`handle_batch`): one transaction and one commit for all of
them, each in a savepoint of its own. Only after that commit does
the MQTT link acknowledge the message to the broker and the delivery loop send the
`receipt`. This module writes nothing itself.

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
from collections.abc import Sequence
from dataclasses import dataclass

from hub.db.store import unavailable
from hub.dispatch.inbox import Inbox
from hub.errors import ReportRejected, StoreUnavailable
from hub.metrics import HubMetrics
from hub.terminals.unit_certs import UnitKeys
from wire import codec, topics
from wire.errors import WireError
from wire.owntracks import parse_location

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What the link does after the commit: `receipt` = (unit, message id) to confirm."""

    receipt: tuple[str, str] | None = None
    online: str | None = None  # a unit that just came online: re-send its pending orders
    clear: str | None = None  # a topic whose retained message the hub must remove


class Uplink:
    def __init__(self, inbox: Inbox, keys: UnitKeys, *, county: str, metrics: HubMetrics) -> None:
        self.inbox = inbox
        self.keys = keys
        self.county = county
        self.metrics = metrics

    # ---- entry -----------------------------------------------------------------------------
    def handle(self, topic: str, payload: bytes, *, retain: bool = False) -> Outcome:
        """Apply one MQTT message. Raises only StoreUnavailable (see the module's doc)."""
        return self.handle_batch([(topic, payload, retain)])[0]

    def handle_batch(self, messages: Sequence[tuple[str, bytes, bool]]) -> list[Outcome]:
        """Apply (topic, payload, retain) messages in order, in one transaction; returns
        after its commit, one Outcome each. Raises only StoreUnavailable, and then nothing
        of the batch is stored (the link acknowledges none of it and tries it again)."""
        try:
            with self.inbox.batch():
                return [self._one(topic, payload, retain) for topic, payload, retain in messages]
        except Exception as e:
            if unavailable(e):
                raise StoreUnavailable(f"database unavailable: {e}") from e
            raise

    def _one(self, topic: str, payload: bytes, retain: bool) -> Outcome:
        try:
            with self.inbox.one():
                return self._route(topic, payload, retain)
        except Exception as e:
            if unavailable(e):
                raise
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
            if t.county != self.county:
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
                online = self.inbox.state(t.unit, msg)
                return Outcome(online=t.unit if online else None)
            if t.channel == "trackers":
                loc = parse_location(payload)
                if loc is not None:
                    self.inbox.tracker_fix(t.unit, t.tracker or "", loc, payload, retained=retain)
                return Outcome()
            raise WireError("bad_topic", f"the hub does not read {topic!r}")
        except (WireError, ReportRejected) as e:
            self._refuse(topic, unit, e.reason, str(e), payload)
            return Outcome()

    def _refuse(self, topic: str, unit: str | None, reason: str, message: str, raw: bytes) -> None:
        self.inbox.refuse(topic, unit, reason, message, raw)

    # ---- reports ---------------------------------------------------------------------------
    def _up(self, unit: str, payload: bytes) -> Outcome:
        msg = codec.decode(payload, self.keys.verifier, unit=unit, direction="up")
        self.inbox.report(unit, msg)  # a report seen before changes nothing (and is counted)
        return Outcome(receipt=(unit, msg.id))


def _unit_of(topic: str) -> str | None:
    try:
        return topics.parse(topic).unit
    except WireError:
        return None
