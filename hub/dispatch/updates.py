"""Software update offers (docs/updates.md): the signed `command` of `update` to each unit
of a rollout's stage, queued in the outbox like every down message, with an event per
unit, in one transaction. hub/fleet/ decides who gets which release; dispatch, the one
writer of the outbox, queues it.
"""

from __future__ import annotations

import logging

from hub.db.store import Store
from hub.dispatch.ledger import Ledger
from hub.dispatch.wake import Wake
from hub.errors import NotFound
from hub.registry import Registry
from wire.clock import Clock
from wire.kinds import CommandBody, UpdateOffer

log = logging.getLogger(__name__)


class UpdateOffers:
    def __init__(
        self, store: Store, ledger: Ledger, registry: Registry, clock: Clock, wake: Wake
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.registry = registry
        self.clock = clock
        self.wake = wake

    def offer(self, unit_ids: list[str], offer: UpdateOffer, *, by: str) -> dict[str, str]:
        """Queue the offer to each unit; returns the message id per unit."""
        for u in unit_ids:
            if u not in self.registry.units:
                raise NotFound("no unit %(unit)s", unit=u)
        body = CommandBody(command="update", update=offer)
        now = self.clock.now()
        sent: dict[str, str] = {}
        with self.store.write() as db:
            for u in dict.fromkeys(unit_ids):
                sent[u] = self.ledger.enqueue(db, "command", u, body, now)
                self.ledger.event(
                    db,
                    at=now,
                    recorded_at=now,
                    type="update_offered",
                    source=f"operator:{by}",
                    unit=u,
                    detail={"version": offer.version, "msg_id": sent[u]},
                )
        self.wake.changed(outbox=True)
        log.info("release %s offered to %d unit(s) by %s", offer.version, len(sent), by)
        return sent
