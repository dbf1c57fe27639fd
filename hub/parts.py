"""The hub's parts, built over one store: `build()` hands each only what it names.

This is cosmicpython's bootstrap: the uplink gets the dispatch inbox, delivery the outbox,
the console and the API the desk, the 110 gate its ports; nothing else holds the store or
the ledger. `runtime.Hub` runs what is built here; tests and tools build parts of their own
(`open_parts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from hub.alerts.channel import Channel
from hub.alerts.live import EventBus
from hub.alerts.notify import Notifier
from hub.alerts.outbox import Notifications
from hub.alerts.schema import MIGRATIONS as ALERTS_SET
from hub.alerts.sender import Sender, channel_for
from hub.assessment.schema import MIGRATIONS as ASSESSMENT_STEPS
from hub.config import Settings
from hub.db.migrations import named_set
from hub.db.store import Store
from hub.dispatch.actions import Actions
from hub.dispatch.deadlines import DeadlineEngine
from hub.dispatch.desk import Desk
from hub.dispatch.inbox import Inbox
from hub.dispatch.incoming import Incoming
from hub.dispatch.ledger import Ledger
from hub.dispatch.order_reports import OrderReports
from hub.dispatch.outbox import Outbox
from hub.dispatch.phone_reports import PhoneReports
from hub.dispatch.presence import Presence
from hub.dispatch.read import Reads
from hub.dispatch.rejections import Rejections
from hub.dispatch.rollcall.calls import RollCalls
from hub.dispatch.rollcall.plan import RollcallPlan
from hub.dispatch.rollcall.schema import MIGRATIONS as ROLLCALL_SET
from hub.dispatch.rollcall.views import RollcallReads
from hub.dispatch.schema import MIGRATIONS as DISPATCH_SET
from hub.dispatch.selfcalls import SelfCalls
from hub.dispatch.trackers import Trackers
from hub.dispatch.updates import UpdateOffers
from hub.dispatch.wake import Wake
from hub.metrics import HubMetrics
from hub.registry import Registry, load_registry
from hub.sources.boundary.ports import GatePorts
from hub.terminals.delivery import Delivery
from hub.terminals.link import MqttLink
from hub.terminals.revocation import RevocationWatch
from hub.terminals.unit_certs import UnitKeys
from hub.terminals.uplink import Uplink
from wire.clock import Clock, SystemClock
from wire.signing import Signer

STORE_SETS = (DISPATCH_SET, named_set("assessment", ASSESSMENT_STEPS), ALERTS_SET, ROLLCALL_SET)
"""The migration sets the store applies when it opens: the dispatch tables, the SMS outbox
(the deadline engine writes it in its own transactions) and assessment's
(`liandong-hub report` reads a file a hub may never have served from). The
console and the 110 bridge apply their own sets when they start."""


def open_store(path: Path | str) -> Store:
    """The hub's database file, created or migrated (hub/db/migrations.py)."""
    return Store(path, STORE_SETS)


@dataclass
class Parts:
    """The hub's parts over one store, without threads, sockets or MQTT: what `Hub` runs,
    and what tests and tools use in-process. Only wiring code reads its fields."""

    store: Store
    registry: Registry
    clock: Clock
    signer: Signer
    metrics: HubMetrics
    live: EventBus
    wake: Wake
    ledger: Ledger
    reads: Reads
    incoming: Incoming
    actions: Actions
    presence: Presence
    inbox: Inbox
    outbox: Outbox
    desk: Desk
    gate: GatePorts
    phone: PhoneReports
    rollcalls: RollCalls
    rollcall_plan: RollcallPlan
    rollcall_reads: RollcallReads
    notifications: Notifications | None = None  # the SMS outbox, when [notify] is set

    def engine(self, notifier: Notifier | None = None, **kw: object) -> DeadlineEngine:
        """A deadline engine over these parts (`Hub` makes one; tests make their own)."""
        return DeadlineEngine(
            self.store,
            self.ledger,
            self.registry,
            self.clock,
            self.wake,
            self.metrics,
            self.presence,
            notifier=notifier,
            rollcalls=self.rollcalls,
            plan=self.rollcall_plan,
            notifications=self.notifications,
            **kw,  # type: ignore[arg-type]
        )

    def sms_sender(self, channel: Channel | None = None, **kw: float) -> Sender | None:
        """The SMS sender over the outbox, through `channel` or the one `[notify]` names;
        None when `[notify]` is not configured."""
        if self.notifications is None:
            return None
        channel = channel or channel_for(self.notifications.settings, self.clock)
        return Sender(
            self.notifications, channel, self.clock, self.metrics, self.notifications.settings, **kw
        )

    def uplink(self, keys: UnitKeys) -> Uplink:
        """The entry point of terminals' messages, verifying with `keys`."""
        return Uplink(self.inbox, keys, county=self.registry.county_id, metrics=self.metrics)

    def delivery(
        self, link: MqttLink, *, window: int = 100, revocations: RevocationWatch | None = None
    ) -> Delivery:
        """The outbox pump over `link`; it signs receipts with the dispatch key."""
        return Delivery(
            self.outbox,
            link,
            ready=self.wake.outbox,
            signer=self.signer,
            county=self.registry.county_id,
            clock=self.clock,
            metrics=self.metrics,
            window=window,
            revocations=revocations,
            # resync goes to terminals only: a unit reached by phone has none to ask
            units=tuple(u.id for u in self.registry.units.values() if u.terminal),
        )

    def revocations(self, keys: UnitKeys, **kw: float) -> RevocationWatch:
        """The CRL watch; the read side and the desk learn the revoked units from it."""
        watch = RevocationWatch(
            keys,
            self.presence,
            units=self.registry.units,
            clock=self.clock,
            metrics=self.metrics,
            **kw,  # type: ignore[arg-type]
        )
        self.reads.revoked = lambda: watch.revoked
        return watch


def build(
    store: Store,
    registry: Registry,
    signer: Signer,
    *,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> Parts:
    """Wire the dispatch parts over `store`: each gets only what it names."""
    clock = clock or SystemClock()
    settings = settings or Settings()
    metrics = HubMetrics()
    live = EventBus()
    wake = Wake(live, after_commit=store.after_commit)
    ledger = Ledger(registry, signer, registry.county_id, on_due=wake.due)
    reads = Reads(store, registry, clock, stale_after_s=settings.stale_after_s)
    incoming = Incoming(store, ledger, registry, clock, wake, reads, window=settings.intake_window)
    actions = Actions(store, ledger, registry, clock, wake, reads)
    presence = Presence(
        store,
        ledger,
        clock,
        wake,
        stale_after_s=settings.stale_after_s,
        window=settings.report_window,
    )
    orders = OrderReports(store, ledger)
    # `reads.revoked` is replaced once the CRL watch exists (`Parts.revocations`): look it up late
    revoked = lambda: reads.revoked()  # noqa: E731, PLW0108
    rollcalls = RollCalls(store, ledger, registry, clock, wake, settings.rollcall_times, revoked)
    plan = RollcallPlan(
        store, rollcalls, clock, wake, settings.rollcall, signer.derive(b"rollcall-plan")
    )
    rollcall_reads = RollcallReads(store, registry, clock)
    inbox = Inbox(
        store,
        clock,
        wake,
        metrics,
        county=registry.county_id,
        presence=presence,
        orders=orders,
        trackers=Trackers(
            store,
            clock,
            wake,
            presence,
            orders,
            radius_m=settings.arrival_radius_m,
            max_fix_age_s=settings.max_fix_age_s,
        ),
        rejections=Rejections(metrics, settings.rejection_limits),
        selfcalls=SelfCalls(store, ledger, registry),
        rollcalls=rollcalls,
    )
    phone = PhoneReports(store, orders, reads, clock, wake)
    return Parts(
        store=store,
        registry=registry,
        clock=clock,
        signer=signer,
        metrics=metrics,
        live=live,
        wake=wake,
        ledger=ledger,
        reads=reads,
        incoming=incoming,
        actions=actions,
        presence=presence,
        inbox=inbox,
        outbox=Outbox(store),
        desk=Desk(
            incoming,
            actions,
            reads,
            live=live,
            db_path=store.path,
            phone=phone,
            rollcalls=rollcalls,
            rollcall_reads=rollcall_reads,
            updates=UpdateOffers(store, ledger, registry, clock, wake),
        ),
        gate=GatePorts(incoming.gate_message, registry, clock, store, metrics),
        notifications=Notifications(store, registry, settings.notify) if settings.notify else None,
        phone=phone,
        rollcalls=rollcalls,
        rollcall_plan=plan,
        rollcall_reads=rollcall_reads,
    )


def open_parts(
    db_path: Path | str,
    *,
    registry: Registry | None = None,
    signer: Signer | None = None,
    clock: Clock | None = None,
    settings: Settings | None = None,
) -> Parts:
    """The parts over a database file; a throwaway signing key when none is given (tests
    and tools that never talk to a terminal)."""
    signer = signer or Signer(ec.generate_private_key(ec.SECP256R1()))
    return build(
        open_store(db_path), registry or load_registry(None), signer, clock=clock, settings=settings
    )
