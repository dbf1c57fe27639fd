"""`command` from the hub: silence, realarm (the hub's escalation), test_print, resync,
rollcall (点名: stored, then it rings until answered or expired; one that arrives after its
expiry is stored as missed and never rings);
update (a release offered: kept for gateway/update/, docs/updates.md).

Seen and done in one commit: a kill between them must not leave a command marked seen (so
skipped when the broker delivers it again) but never carried out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.devices.spool import PrintQueue, Spooler
from gateway.errors import UnknownOrderError
from gateway.state.orders import OrderBook
from gateway.state.rollcalls import RollcallBook
from gateway.state.seen import SeenIds
from gateway.state.store import Store
from gateway.uplink.sender import Sender
from wire.clock import Clock
from wire.codec import Message
from wire.kinds import CommandBody, UpdateOffer

log = logging.getLogger(__name__)


class CommandMessages:
    def __init__(
        self,
        store: Store,
        seen: SeenIds,
        orders: OrderBook,
        prints: PrintQueue,
        clock: Clock,
        refresh_alarm: Callable[[], None],
        spooler: Spooler,
        sender: Sender,
        publish_state: Callable[[], None],
        rollcalls: RollcallBook | None = None,
        on_update: Callable[[UpdateOffer], None] | None = None,
    ) -> None:
        self.store = store
        self.seen = seen
        self.orders = orders
        self.prints = prints
        self.clock = clock
        self.refresh_alarm = refresh_alarm
        self.spooler = spooler
        self.sender = sender
        self.publish_state = publish_state
        """Send the retained `online` state with fresh health (on `resync`)."""
        self.rollcalls = rollcalls or RollcallBook(store)
        self.on_update = on_update
        """Keep an offered release (durably) for when the room is idle (`update`)."""

    def on_command(self, msg: Message) -> None:
        body = msg.body
        if not isinstance(body, CommandBody):
            raise TypeError("expected a CommandBody")
        log.info("command %s (order %s)", body.command, body.order_id)
        if body.command == "update" and body.update is not None and self.on_update is not None:
            # kept before the command is marked seen: a kill between them repeats the offer
            self.on_update(body.update)
        with self.store.tx():
            self.seen.mark(msg)
            if body.command == "silence":
                self.orders.set_alarming(body.order_id, False)
            elif body.command == "realarm":
                ids = (
                    [body.order_id]
                    if body.order_id
                    else [o.order_id for o in self.orders.unacknowledged()]
                )
                for order_id in ids:
                    if self.still_needs_action(order_id):
                        self.orders.set_alarming(order_id, True)
            elif body.command == "test_print":
                self.prints.add("", "test", body.text)
            elif body.command == "rollcall":
                self.on_rollcall(body)
        if body.command == "test_print":
            self.spooler.kick()
        elif body.command == "resync":
            self.sender.new_round()
            self.publish_state()
        self.refresh_alarm()

    def on_rollcall(self, body: CommandBody) -> None:
        """Store a roll-call (in the handler's transaction); the refresh after the commit
        rings it, unless it came after its expiry (then it is shown as missed)."""
        assert body.rollcall_id and body.answer_by and body.expires_at  # noqa: S101 - wire checks
        call = self.rollcalls.add(
            body.rollcall_id, body.answer_by, body.expires_at, self.clock.now()
        )
        if call.missed:
            log.warning("roll-call %s arrived after its expiry: not answered", call.rollcall_id)

    def still_needs_action(self, order_id: str) -> bool:
        """Whether a hub `realarm` should sound for this order.

        The hub escalates by its own view, which lags what the duty room has already done
        while the link was down (the ack may still sit in our outbox). Re-sounding the buzzer
        for an order that is acknowledged and on time, on scene or fed back would teach the
        room to ignore it, so only an order still waiting for a person sounds again: not yet
        acknowledged, or past its on-scene deadline with no arrival.
        """
        try:
            view = self.orders.get(order_id)
        except UnknownOrderError:
            return False
        if not view.is_open or view.fed_back_at:
            return False
        if not view.acked_at:
            return True
        arrive_by = view.order.deadlines.arrive_by
        return view.arrived_at is None and arrive_by is not None and self.clock.now() >= arrive_by
