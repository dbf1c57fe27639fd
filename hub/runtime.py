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
from pathlib import Path
from types import FrameType

from waitress.server import create_server
from waitress.wasyncore import close_all

from hub.alerts.notify import Notifier
from hub.config import HubConfig
from hub.errors import ConfigError
from hub.fleet.wiring import build_fleet
from hub.one_cpu import pin_to_one_cpu
from hub.parts import build, open_store
from hub.proxy import server_settings
from hub.registry import Registry, load_registry
from hub.sources.boundary.bridge import APP_KEY as BRIDGE_KEY
from hub.sources.boundary.bridge import Bridge
from hub.terminals.link import BROKER_KEY, MqttLink
from hub.terminals.unit_certs import UnitKeys
from hub.web import create_app
from wire.clock import Clock, SystemClock
from wire.signing import Signer

log = logging.getLogger(__name__)


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
            self.link = MqttLink(
                config.mqtt, config.county, self._on_message, clock=clock, on_batch=self._on_batch
            )
            undo.callback(self.link.stop)
            self.metrics.connected.set_function(lambda: float(self.link.connected.is_set()))
            self.revocations = parts.revocations(self.keys)
            self.delivery = parts.delivery(
                self.link, window=config.window, revocations=self.revocations
            )
            self.engine = parts.engine(notifier=notifier)
            self.sms = parts.sms_sender()  # escalation SMS, when [notify] is configured
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
            self.app.extensions[BROKER_KEY] = self.link.watch  # the console's red banner
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
            self._server = create_server(self.app, sockets=[listener], **server_settings(config))
            if not config.release_url:  # the port may have been chosen by the system
                self.fleet.set_download_url(f"{self.url}/releases/")
            undo.pop_all()
        self._http: threading.Thread | None = None
        self._closing = threading.Event()
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

    def _on_batch(self, messages: list[tuple[str, bytes, bool]]) -> None:
        with self.metrics.apply_seconds.time():
            outcomes = self.uplink.handle_batch(messages)
        for outcome in outcomes:  # after the commit: receipts, in batches per unit
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
        if self.sms:
            self.sms.start()
        self.fleet.start()
        self.revocations.refresh(force=True)  # known before the first message goes out
        self.delivery.start()
        self.link.start()
        self._http = threading.Thread(target=self._serve, name="hub-http", daemon=True)
        self._http.start()
        if self.bridge:  # after the writer is up: it takes the files left while down
            self.bridge.start()
        log.info("hub for %s listening on %s", self.config.county, self.url)

    def _serve(self) -> None:
        try:
            self._server.run()
        except OSError:
            # stop() closes the listening socket from another thread; waitress's select can
            # then see the closed descriptor (EBADF): after stop() that is the loop's end.
            if not self._closing.is_set():
                raise
            close_all(self._server._map, ignore_all=True)  # the connections it held open

    def stop(self) -> None:
        self._closing.set()
        if self.bridge:
            self.bridge.stop()
        self.desk.events.close()  # open board streams end now, not at waitress's timeout
        # waitress ends its worker threads only when told; a worker still finishing a
        # response pulls the server's trigger, so the workers stop (after their request)
        # before the server and its trigger are closed, never after (EBADF in a worker).
        self._server.task_dispatcher.shutdown(timeout=5)
        self._server.close()
        self.link.stop()
        self.delivery.stop()
        self.engine.stop()
        if self.sms:
            self.sms.stop()
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
        if self.config.one_cpu:  # after start: every thread is there to be moved
            pin_to_one_cpu()
        self._stopped.wait()
        self._stopped.clear()
        self.stop()
