"""The one place that wires the hub: `build()` makes the parts, `Hub` runs them.

    hub = Hub(load_config(Path("PKI/hub/hub.toml")))  # or Hub(config, clock=..., registry=...)
    hub.start()          # returns once HTTP listens; MQTT connects in the background
    hub.desk             # what the console and the API drive (hub/dispatch/desk.py)
    hub.url              # http://127.0.0.1:PORT (port 0 in the config = any free port)
    hub.stop()

`liandong-hub serve` is `Hub(config).run_forever()`. Each part is handed only what it uses
(cosmicpython's bootstrap): the uplink gets the dispatch inbox and the unit certificates,
delivery gets the outbox and the link, the console and the API get the desk, the 110 gate
its ports. Nothing else holds the store or the ledger.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from cryptography.hazmat.primitives.asymmetric import ec
from waitress.server import create_server

from hub.alerts.live import EventBus
from hub.alerts.notify import Notifier
from hub.assessment.schema import MIGRATIONS as ASSESSMENT_STEPS
from hub.config import HubConfig, Settings
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
from hub.dispatch.presence import Presence
from hub.dispatch.read import Reads
from hub.dispatch.rejections import Rejections
from hub.dispatch.schema import MIGRATIONS as DISPATCH_SET
from hub.dispatch.trackers import Trackers
from hub.dispatch.updates import UpdateOffers
from hub.dispatch.wake import Wake
from hub.errors import ConfigError
from hub.fleet.wiring import build_fleet
from hub.metrics import HubMetrics
from hub.registry import Registry, load_registry
from hub.sources.boundary.bridge import APP_KEY as BRIDGE_KEY
from hub.sources.boundary.bridge import Bridge
from hub.sources.boundary.ports import GatePorts
from hub.terminals.delivery import Delivery
from hub.terminals.link import MqttLink
from hub.terminals.revocation import RevocationWatch
from hub.terminals.unit_certs import UnitKeys
from hub.terminals.uplink import Uplink
from hub.web import create_app
from wire.clock import Clock, SystemClock
from wire.signing import Signer

log = logging.getLogger(__name__)


STORE_SETS = (DISPATCH_SET, named_set("assessment", ASSESSMENT_STEPS))
"""The migration sets the store applies when it opens: the dispatch tables and
assessment's (`liandong-hub report` reads a file a hub may never have served from). The
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
            **kw,  # type: ignore[arg-type]
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
    wake = Wake(live)
    ledger = Ledger(registry, signer, registry.county_id)
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
    )
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
            updates=UpdateOffers(store, ledger, registry, clock, wake),
        ),
        gate=GatePorts(incoming.gate_message, registry, clock, store, metrics),
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


class Hub:
    def __init__(
        self,
        config: HubConfig,
        *,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        unit_keys: UnitKeys | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.config = config
        clock = clock or SystemClock()
        registry = registry or load_registry(config.registry)
        if registry.county_id != config.county:
            raise ConfigError(
                f"hub.toml is for county {config.county!r} but the registry is "
                f"{registry.county_id!r}"
            )
        try:
            signer = Signer.from_pem(Path(config.dispatch_key).read_bytes())
        except (OSError, ValueError) as e:
            raise ConfigError(f"dispatch key {config.dispatch_key}: {e}") from None
        with ExitStack() as undo:  # a hub that cannot be built leaves nothing open
            self.store = open_store(config.db_path)
            undo.callback(self.store.close)
            self.parts = parts = build(
                self.store, registry, signer, clock=clock, settings=config.settings()
            )
            self.desk = parts.desk
            self.metrics = parts.metrics
            # Certificate validity is judged by the real clock, even when the hub runs on a
            # fake one.
            self.keys = unit_keys or UnitKeys(config.pki_dir)
            self.uplink = parts.uplink(self.keys)
            self.link = MqttLink(config.mqtt, config.county, self._on_message)
            undo.callback(self.link.stop)
            self.metrics.connected.set_function(lambda: float(self.link.connected.is_set()))
            self.revocations = parts.revocations(self.keys)
            self.delivery = parts.delivery(
                self.link, window=config.window, revocations=self.revocations
            )
            self.engine = parts.engine(notifier=notifier)
            # ---- 110 boundary: the gate folders, when [boundary] is configured
            self.bridge = Bridge(parts.gate, config.boundary) if config.boundary else None
            self.app = create_app(
                parts.desk,
                gate=parts.gate,
                metrics=self.metrics,
                assessment_store=self.store,
                test_config={
                    "INTAKE_KEYS": config.intake_keys,
                    "PKI_DIR": config.pki_dir,
                    "CONSOLE_TRUSTED_PROXIES": config.trusted_proxies,
                    "ASSESSMENT_RUBRIC": config.rubric,
                },
            )
            if self.bridge:  # the console's 边界交换 page reads it
                self.app.extensions[BRIDGE_KEY] = self.bridge
            self.fleet = build_fleet(config, parts.desk, self.app)
            # The port is bound here, not by waitress: a taken port then fails before waitress
            # has started its worker threads, which it would leave running.
            family = socket.AF_INET6 if ":" in config.listen_host else socket.AF_INET
            try:
                listener = socket.create_server(
                    (config.listen_host, config.listen_port), family=family
                )
            except OSError as e:
                raise ConfigError(
                    f"cannot listen on {config.listen_host}:{config.listen_port}: {e}"
                ) from None
            undo.callback(listener.close)
            self._server = create_server(self.app, sockets=[listener], threads=8)
            if not config.release_url:  # the port may have been chosen by the system
                self.fleet.set_download_url(f"{self.url}/releases/")
            undo.pop_all()
        self._http: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        return f"http://{self.config.listen_host}:{self.port}"

    def _on_message(self, topic: str, payload: bytes, retain: bool) -> None:
        with self.metrics.apply_seconds.time():
            outcome = self.uplink.handle(topic, payload, retain=retain)
        if outcome.receipt:
            self.delivery.receipt(*outcome.receipt)
        if outcome.clear:
            self.delivery.clear_retained(outcome.clear)

    def start(self) -> None:
        # Deadlines first: whatever fell due while the hub was down fires now, marked late.
        fired = self.engine.run_due()
        if fired:
            log.warning("%d deadline(s) fell due while the hub was down; fired late", fired)
        self.engine.start()
        self.fleet.start()
        self.revocations.refresh(force=True)  # known before the first message goes out
        self.delivery.start()
        self.link.start()
        self._http = threading.Thread(target=self._server.run, name="hub-http", daemon=True)
        self._http.start()
        if self.bridge:  # after the writer is up: it takes the files left while down
            self.bridge.start()
        log.info("hub for %s listening on %s", self.config.county, self.url)

    def stop(self) -> None:
        if self.bridge:
            self.bridge.stop()
        self._server.close()
        # waitress ends its worker threads only when its own loop is interrupted; closing
        # the socket leaves them waiting, so an in-process hub (demo, tests) would leak them.
        self._server.task_dispatcher.shutdown(timeout=5)
        self.link.stop()
        self.delivery.stop()
        self.engine.stop()
        self.fleet.stop()
        if self._http:
            self._http.join(5)
        self.store.close()
        self._stopped.set()

    def run_forever(self) -> None:
        def _term(signum: int, frame: FrameType | None) -> None:
            self._stopped.set()

        signal.signal(signal.SIGTERM, _term)
        signal.signal(signal.SIGINT, _term)
        self.start()
        self._stopped.wait()
        self._stopped.clear()
        self.stop()
