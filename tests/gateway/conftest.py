"""Fixtures for the terminal: mock pins, a hub key, a terminal's files, a running Gateway.

The hub side in these tests is a plain paho client (tests.support.mqtt) that signs with a
test dispatch key, as the real hub does; the printer is gateway.devices.simulators.PrinterSimulator
on a local TCP port; pins are gpiozero's own MockFactory.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
import tomli_w
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from demo.broker import Broker, free_port
from gateway.config import GatewayConfig, parse_config
from gateway.devices.simulators import PrinterSimulator
from gateway.terminal import Gateway
from provisioning import pki
from tests.support import samples
from tests.support.mqtt import MqttTestClient
from tests.support.pki import ThrowawayPKI
from wire import Signer, Verifier, decode, encode, topics
from wire.clock import FakeClock
from wire.kinds import Body, Deadlines, OrderBody, Position, ReceiptBody

UNIT = "power-co"
COUNTY = "shuangbai"
SHARED_DATA = Path(__file__).parents[2] / ".." / "shared" / "data"


@pytest.fixture
def mock_pins() -> Iterator[MockFactory]:
    """gpiozero's MockFactory for the whole test, restored afterwards."""
    old = Device.pin_factory
    factory = MockFactory()
    Device.pin_factory = factory
    yield factory
    factory.reset()
    Device.pin_factory = old


@pytest.fixture(scope="session")
def hub_key() -> Any:
    return pki.new_key()


@pytest.fixture(scope="session")
def hub_signer(hub_key: Any) -> Signer:
    return Signer(hub_key)


def order_body(
    order_id: str = "01JORDER0000000000000001",
    rev: int = 1,
    *,
    priority: str = "urgent",
    drill: bool = False,
    now: datetime | None = None,
    position: tuple[float, float] | None = (24.689, 101.641),
) -> OrderBody:
    base = samples.order(order_id, rev)
    t0 = now or base.dispatched_at
    fields: dict[str, Any] = {f: getattr(base, f) for f in base.__struct_fields__}
    fields.update(
        priority=priority,
        drill=drill,
        dispatched_at=t0,
        reported_at=t0 - timedelta(seconds=40),
        deadlines=Deadlines(
            receive_by=t0 + timedelta(seconds=30),
            ack_by=t0 + timedelta(minutes=3),
            arrive_by=t0 + timedelta(minutes=30),
            feedback_by=t0 + timedelta(hours=24),
        ),
        position=None if position is None else Position(lat=position[0], lon=position[1]),
    )
    return OrderBody(**fields)


@dataclass
class TerminalFiles:
    """A unit's files on disk, laid out as the provisioning bundle lays them out."""

    root: Path
    hub_key: Any
    pki: ThrowawayPKI
    printer_url: str = "loop://"
    broker_port: int = 1
    gps: str | None = None
    gpsd: str | None = None
    """HOST:PORT: [gps] source = "gpsd" instead of a port."""
    speech: dict[str, Any] | None = None
    """The [speech] table, if any."""

    kiosk: str = "127.0.0.1:0"

    def data(self, **printer: Any) -> dict[str, Any]:
        cert, key = self.pki.client(UNIT)
        self.root.mkdir(parents=True, exist_ok=True)
        hub_pub = self.root / "hub-dispatch.pub"
        hub_pub.write_bytes(pki.public_pem(self.hub_key.public_key()))
        data: dict[str, Any] = {
            "unit": {"id": UNIT, "county": COUNTY, "state_dir": "state"},
            "mqtt": {
                "host": "127.0.0.1",
                "port": self.broker_port,
                "ca": str(self.pki.ca_path),
                "cert": str(cert),
                "key": str(key),
                "hub_key": "hub-dispatch.pub",
                "keepalive": 10,
            },
            "printer": {"port": self.printer_url, **printer},
            "kiosk": {"listen": self.kiosk},
        }
        if self.gps:
            data["gps"] = {"port": self.gps, "arrival_radius_m": 150}
        if self.gpsd:
            data["gps"] = {"source": "gpsd", "gpsd": self.gpsd, "arrival_radius_m": 150}
        if self.speech is not None:
            data["speech"] = self.speech
        return data

    def config(self, **printer: Any) -> GatewayConfig:
        return parse_config(self.data(**printer), self.root)

    def write(self) -> Path:
        """gateway.toml in the unit's folder, as the provisioning bundle has it."""
        path = self.root / "gateway.toml"
        path.write_text(tomli_w.dumps(self.data()))
        return path


@pytest.fixture
def files(tmp_path: Path, test_pki: ThrowawayPKI, hub_key: Any) -> TerminalFiles:
    return TerminalFiles(tmp_path / "unit", hub_key, test_pki)


@pytest.fixture
def printer_sim() -> Iterator[PrinterSimulator]:
    sim = PrinterSimulator().start()
    yield sim
    sim.stop()


@dataclass
class Hub:
    """The hub side of a test: signs down messages, records up messages, sends receipts."""

    signer: Signer
    client: MqttTestClient
    up: queue.Queue[tuple[str, bytes]] = field(default_factory=queue.Queue)
    auto_receipt: bool = True
    seen_ids: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def send(self, kind: str, body: Body, at: datetime | None = None) -> str:
        msg_id, raw = encode(kind, UNIT, body, self.signer, at=at or datetime.now().astimezone())
        self.client.publish(topics.down(COUNTY, UNIT), raw)
        return msg_id

    def start_receipts(self, unit_verifier: Any) -> None:
        def run() -> None:
            pending: list[str] = []
            while not self._stop.is_set():
                try:
                    topic, raw = self.client.get(timeout=0.05)
                except queue.Empty:
                    if pending and self.auto_receipt:
                        for i in range(0, len(pending), 500):
                            self.send("receipt", ReceiptBody(ids=pending[i : i + 500]))
                        pending = []
                    continue
                self.up.put((topic, raw))
                if topic.endswith("/up"):
                    msg = decode(raw, unit_verifier, unit=UNIT, direction="up")
                    self.seen_ids.append(msg.id)
                    pending.append(msg.id)

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def wait_kind(self, kind: str, timeout: float = 5.0) -> Any:
        """The next up/state message of `kind`, decoded (others are skipped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                _topic, raw = self.up.get(timeout=0.1)
            except queue.Empty:
                continue
            obj = msgspec.json.decode(raw)
            if obj["kind"] == kind:
                return obj
        raise AssertionError(f"no {kind} message within {timeout}s")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.client.close()


@pytest.fixture
def hub(broker: Broker, test_pki: ThrowawayPKI, hub_signer: Signer) -> Iterator[Hub]:
    cert, key = test_pki.client("hub")
    client = MqttTestClient("127.0.0.1", broker.port, test_pki.ca_path, cert, key, "hub").connect()
    client.subscribe(topics.up(COUNTY, UNIT))
    client.subscribe(topics.state(COUNTY, UNIT))
    h = Hub(hub_signer, client)
    cert_u, _ = test_pki.client(UNIT)
    h.start_receipts(Verifier.from_pem(cert_u.read_bytes()))
    yield h
    h.close()


@pytest.fixture
def make_gateway(mock_pins: MockFactory) -> Iterator[Callable[..., Gateway]]:
    made: list[Gateway] = []

    def make(config: GatewayConfig, clock: Any = None, start: bool = True, **kw: Any) -> Gateway:
        kw.setdefault("print_retry_s", 0.2)
        gw = Gateway(config, clock or FakeClock(datetime.now().astimezone()), **kw)
        made.append(gw)
        if start:
            gw.start()
        return gw

    yield make
    for gw in made:
        if gw.ready.is_set():
            gw.stop()


__all__ = ["COUNTY", "SHARED_DATA", "UNIT", "free_port"]
