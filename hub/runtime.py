"""`Hub`: the whole hub in one process: store, service, HTTP, MQTT link, delivery, deadlines.

    hub = Hub(load_config(Path("PKI/hub/hub.toml")))  # or Hub(config, clock=..., registry=...)
    hub.start()          # returns once HTTP listens; MQTT connects in the background
    hub.service          # HubService (console, demo, tests)
    hub.url              # http://127.0.0.1:PORT (port 0 in the config = any free port)
    hub.stop()

`liandong-hub serve` is `Hub(config).run_forever()`.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from types import FrameType

from waitress.server import create_server

from hub.app import create_app
from hub.config import HubConfig
from hub.delivery import Delivery
from hub.engine import DeadlineEngine
from hub.errors import ConfigError
from hub.keys import UnitKeys
from hub.link import MqttLink
from hub.notify import Notifier
from hub.registry import Registry, load_registry
from hub.rejections import RejectionLimits
from hub.reports import ReportHandler
from hub.revocation import RevocationWatch
from hub.service import HubService
from hub.sources.boundary.bridge import APP_KEY as BRIDGE_KEY
from hub.sources.boundary.bridge import Bridge
from hub.store import Store
from hub.unit_state import TimeWindow
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
            self.store = Store(config.db_path)
            undo.callback(self.store.close)
            self.service = HubService(
                self.store,
                registry,
                signer,
                clock=clock,
                stale_after_s=config.stale_after_s,
                intake_window=config.intake_window,
            )
            # Certificate validity is judged by the real clock, even when the hub runs on a
            # fake one.
            self.keys = unit_keys or UnitKeys(config.pki_dir)
            self.reports = ReportHandler(
                self.service,
                self.keys,
                arrival_radius_m=config.arrival_radius_m,
                max_fix_age_s=config.max_fix_age_s,
                window=TimeWindow(
                    past=timedelta(seconds=config.max_report_age_s),
                    ahead=timedelta(seconds=config.max_report_ahead_s),
                ),
                rejection_limits=RejectionLimits(
                    sample=config.rejected_sample,
                    rate_per_s=config.rejected_rate_per_s,
                    burst=config.rejected_burst,
                ),
            )
            self.link = MqttLink(config.mqtt, config.county, self._on_message)
            undo.callback(self.link.stop)
            self.service.metrics.connected.set_function(lambda: float(self.link.connected.is_set()))
            self.revocations = RevocationWatch(self.service, self.keys)
            self.delivery = Delivery(
                self.service, self.link, window=config.window, revocations=self.revocations
            )
            self.engine = DeadlineEngine(self.service, notifier=notifier)
            # ---- 110 boundary: the gate folders, when [boundary] is configured
            self.bridge = Bridge(self.service, config.boundary) if config.boundary else None
            self.app = create_app(
                self.service,
                test_config={
                    "INTAKE_KEYS": config.intake_keys,
                    "PKI_DIR": config.pki_dir,
                    "CONSOLE_TRUSTED_PROXIES": config.trusted_proxies,
                    "ASSESSMENT_RUBRIC": config.rubric,
                },
            )
            if self.bridge:  # the console's 边界交换 page reads it
                self.app.extensions[BRIDGE_KEY] = self.bridge
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
        with self.service.metrics.apply_seconds.time():
            outcome = self.reports.handle(topic, payload, retain=retain)
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
        self.revocations.refresh(force=True)  # known before the first message goes out
        self.delivery.start()
        self.link.start()
        self._http = threading.Thread(target=self._server.run, name="hub-http", daemon=True)
        self._http.start()
        if self.bridge:  # after the writer is up: it takes the files left while down
            self.bridge.start()
        log.info("hub for %s listening on %s", self.service.county, self.url)

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
