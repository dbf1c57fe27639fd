"""One duty-room terminal: memory and start-to-ready beside a bare paho TLS client, and a
10,000-report outbox drained into the real hub beside a bare paho receiver.

Every figure is three runs (min/median/max), each beside its baseline from the same run and
the ratio (the machine is shared and noisy):
- start-to-ready: `liandong-gateway run` from exec to systemd's READY=1 (NOTIFY_SOCKET),
  with mock pins, a printer writing to a file and a real Mosquitto over mutual TLS; the
  baseline: a bare paho MQTT 5 client with `cryptography` loaded, exec to CONNACK;
- resident memory (VmRSS) and CPU over 5 s of idle, read from /proc, both processes. The
  terminal runs the configuration a terminal is shipped with (provisioning's gateway.toml
  as firmware-config installs it: [unit], [mqtt], [pins], [printer], [kiosk]; no [gps],
  [speech] or A/B slots), kiosk on (the default) and off (`[kiosk] enabled = false`), as on
  a terminal: every module of a distribution the [gateway] extra does not install is
  blocked (this venv also holds the hub's and the tests' packages: numpy, which
  sqlite-utils imports when it can, babel, which flask-wtf imports when it can). Its state
  file exists, as after its first start; the first start itself (migrations applied) is
  measured apart;
- what each import costs: VmRSS after importing the start's modules layer by layer in a
  fresh interpreter, blocked as above (one run: the figures do not vary);
- drain: 10,000 reports queued while offline, then the terminal connects; time until the
  last one is receipted by the REAL hub (`Hub`: verified, committed, acknowledged,
  receipted), beside the same drain receipted by a bare paho client (verify, no database).
"""

from __future__ import annotations

import dataclasses
import queue
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import tomli_w
from gpiozero.pins.mock import MockFactory
from paho.mqtt.enums import CallbackAPIVersion

from bench.common import goal, ratios, spread, tls_broker, wait
from bench.orders import sample_order
from bench.terminal_imports import as_on_a_terminal, import_costs
from bench.terminal_process import Dispatcher, Sample, measure, unit_environment
from demo.broker import Broker, free_port
from gateway.config import parse_config
from gateway.devices.pin_numbers import DEFAULT_PINS
from gateway.state.store import Store
from gateway.terminal import Gateway
from hub.runtime import Hub
from provisioning import pki
from tests.hub.harness import hub_config
from tests.support.pki import ThrowawayPKI
from wire import Signer, Verifier, decode, encode, topics
from wire.clock import SystemClock
from wire.kinds import ReceiptBody
from wire.tls import client_context

UNIT, COUNTY = "power-co", "shuangbai"
RUNS = 3
REPORTS = 10_000
BARE_CLIENT = """
import sys, ssl, threading, time
import cryptography.x509, cryptography.hazmat.primitives.asymmetric.ec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
ca, cert, key, port = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
up = threading.Event()
c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bare-baseline", protocol=mqtt.MQTTv5)
c.tls_set_context(ctx)
c.on_connect = lambda *a: up.set()
c.connect("127.0.0.1", int(port), keepalive=30)
c.loop_start()
up.wait(30)
print("READY", flush=True)
time.sleep(3600)
"""


def _files(root: Path, test_pki: ThrowawayPKI) -> dict[str, Path]:
    """The unit's certificate and key, the CA, and the hub's dispatch public key."""
    cert, key = test_pki.client(UNIT)
    dispatch = root / "PKI" / "hub" / "dispatch.key"
    if not dispatch.exists():
        dispatch.parent.mkdir(parents=True, exist_ok=True)
        pki.write_private(dispatch, pki.key_pem(pki.new_key()))
    hub_pub = root / "hub-dispatch.pub"
    pki.write_public(
        hub_pub,
        pki.public_pem(pki.load_key(dispatch).public_key()),
    )
    return {"ca": test_pki.ca_path, "cert": cert, "key": key, "hub_key": hub_pub}


def _config_data(
    files: dict[str, Path], broker_port: int, state: str, *, kiosk: bool = True
) -> dict[str, Any]:
    """A terminal as shipped (provisioning/configs.py's gateway_config), on this machine."""
    return {
        "unit": {"id": UNIT, "county": COUNTY, "state_dir": state},
        "mqtt": {
            "host": "127.0.0.1",
            "port": broker_port,
            "ca": str(files["ca"]),
            "cert": str(files["cert"]),
            "key": str(files["key"]),
            "hub_key": str(files["hub_key"]),
            "keepalive": 10,
        },
        "pins": dict(DEFAULT_PINS),
        "printer": {"port": "file:paper.bin", "baudrate": 9600, "encoding": "gb18030"},
        "kiosk": {"listen": f"127.0.0.1:{free_port()}", "enabled": kiosk},
    }


class _BareHub:
    """The baseline receiver: verifies each report and receipts in batches of 500, no
    database (what the drain would take if the hub cost nothing)."""

    def __init__(self, files: dict[str, Path], port: int, hub_key: Any) -> None:
        self.signer = Signer(hub_key)
        self.unit_key = Verifier.from_pem(files["cert"].read_bytes())
        self.q: queue.Queue[bytes] = queue.Queue()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bare-hub", protocol=mqtt.MQTTv5)
        hub_cert, hub_keyfile = files["hub_cert"], files["hub_keyfile"]
        c.tls_set_context(client_context(files["ca"], hub_cert, hub_keyfile))
        c.on_message = lambda cl, u, m: self.q.put(bytes(m.payload))
        c.connect("127.0.0.1", port)
        c.subscribe(topics.up(COUNTY, UNIT), qos=1)
        c.loop_start()
        self.client = c

    def receipt_loop(self, done: Callable[[], bool], timeout: float) -> None:
        """Verify and receipt (500 ids a receipt) until `done()`."""
        pending: list[str] = []
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            try:
                raw = self.q.get(timeout=0.01)
                msg = decode(raw, self.unit_key, unit=UNIT, direction="up")
                pending.append(msg.id)
                if len(pending) < 500:
                    continue
            except queue.Empty:
                pass
            if pending:
                self._receipt(pending)
                pending = []

    def _receipt(self, ids: list[str]) -> None:
        _, raw = encode("receipt", UNIT, ReceiptBody(ids=ids), self.signer, at=SystemClock().now())
        self.client.publish(topics.down(COUNTY, UNIT), raw, qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _queued_terminal(
    root: Path, files: dict[str, Path], port: int, order_payload: bytes
) -> tuple[Gateway, list[str]]:
    """A fresh terminal holding the order, with REPORTS feedback reports queued offline."""
    shutil.rmtree(root / "state", ignore_errors=True)
    gw = Gateway(
        parse_config(_config_data(files, port, "state"), root),
        SystemClock(),
        pin_factory=MockFactory(),
        health_interval=3600,
    )
    gw.handle_down(order_payload)
    order_id = gw.orders.all()[0].order_id
    for i in range(REPORTS):
        gw.feedback(order_id, "resolved", f"第{i}次")
    with gw.store.read() as c:
        ids = [r[0] for r in c.execute("SELECT id FROM outbox")]
    return gw, ids


def _drain_real(root: Path, broker: Broker, test_pki: ThrowawayPKI, run: int) -> dict[str, float]:
    files = _files(root, test_pki)
    config = hub_config(root / "PKI", broker, test_pki, [UNIT], db_path=root / f"hub{run}.db")
    # A session of its own per run: what the baseline published meanwhile is not queued for it
    mqtt_settings = dataclasses.replace(config.mqtt, client_id=f"hub-{run}")
    hub = Hub(dataclasses.replace(config, mqtt=mqtt_settings))
    hub.start()
    try:
        wait(hub.link.subscribed.is_set, 30)
        hub.desk.intake(_incident(f"G{run}"), source="cad-110")
        row = hub.store.one("SELECT payload FROM outbox WHERE kind='order'")
        assert row is not None
        gw, ids = _queued_terminal(root, files, broker.port, bytes(row["payload"]))
        t0 = time.perf_counter()
        gw.start()
        try:
            wait(lambda: gw.outbox.depth() == 0, 300, every=0.01)
            drained = time.perf_counter() - t0
        finally:
            gw.stop()
        seen = {
            r["msg_id"] for r in hub.store.query("SELECT msg_id FROM seen WHERE unit=?", (UNIT,))
        }
        events = hub.store.query("SELECT count(*) AS n FROM events WHERE type='feedback'")
        rejected = hub.store.query("SELECT count(*) AS n FROM rejected")
    finally:
        hub.stop()
    return {
        "drain_s": drained,
        "lost": float(len(set(ids) - seen)),
        "queued": float(len(ids)),
        "feedback_events": float(events[0]["n"]),
        "rejected": float(rejected[0]["n"]),
    }


def _drain_bare(root: Path, broker: Broker, test_pki: ThrowawayPKI) -> float:
    files = _files(root, test_pki)
    hub_cert, hub_keyfile = test_pki.client("hub")
    files.update(hub_cert=hub_cert, hub_keyfile=hub_keyfile)
    dispatch = pki.load_key(root / "PKI" / "hub" / "dispatch.key")
    now = SystemClock().now()
    order = sample_order(now)
    payload = encode("order", UNIT, order, Signer(dispatch), at=now)[1]
    gw, _ = _queued_terminal(root, files, broker.port, payload)
    bare = _BareHub(files, broker.port, dispatch)
    try:
        t0 = time.perf_counter()
        gw.start()
        bare.receipt_loop(lambda: gw.outbox.depth() == 0, 300)
        return time.perf_counter() - t0
    finally:
        bare.close()
        gw.stop()


def _incident(source_id: str) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "category": "power-cut",
        "address": "妥甸镇 东街 12 号",
        "township": "tuodian",
        "summary": "基准测试",
        "caller_phone": "13812345678",
        "reported_at": SystemClock().now().isoformat(),
    }


def _terminal(toml: Path, blocked: str) -> list[str]:
    return [sys.executable, "-c", blocked + CLI, "run", "--config", str(toml)]


CLI = " from gateway.launch import main; main()"


def run(workdir: Path) -> dict[str, object]:
    test_pki, broker = tls_broker(workdir)
    root = workdir / "unit"
    root.mkdir()
    files = _files(root, test_pki)
    data = {k: _config_data(files, broker.port, "st", kiosk=k == "on") for k in ("on", "off")}
    for k, d in data.items():
        (root / f"kiosk-{k}.toml").write_text(tomli_w.dumps(d))
    on, off = root / "kiosk-on.toml", root / "kiosk-off.toml"
    first = root / "first-start.toml"
    blocked = as_on_a_terminal()
    cli = str(Path(sys.executable).parent / "liandong-gateway")
    env = unit_environment()
    Store(root / "st" / "gateway.sqlite3", SystemClock()).close()  # as after the first start
    hub_cert, hub_key = test_pki.client("hub")
    dispatcher = Dispatcher(
        files["ca"], hub_cert, hub_key, broker.port, root / "PKI/hub/dispatch.key", COUNTY
    )
    paper = root / "paper.bin"
    kiosk_url = f"http://{data['on']['kiosk']['listen']}/"
    runs: dict[str, list[Sample]] = {k: [] for k in ("on", "off", "first", "venv", "bare")}
    real: list[dict[str, float]] = []
    base: list[float] = []
    try:
        for i in range(RUNS):
            runs["on"].append(
                measure(
                    _terminal(on, blocked),
                    root,
                    env=env,
                    notify_ready=True,
                    steady=dispatcher.first_order(UNIT, paper, kiosk_url),
                )
            )
            runs["off"].append(
                measure(
                    _terminal(off, blocked),
                    root,
                    env=env,
                    notify_ready=True,
                    steady=dispatcher.first_order(UNIT, paper, None),
                )
            )
            first.write_text(tomli_w.dumps(_config_data(files, broker.port, f"first{i}")))
            runs["first"].append(
                measure(_terminal(first, blocked), root, env=env, notify_ready=True)
            )
            runs["venv"].append(
                measure([cli, "run", "--config", str(on)], root, env=env, notify_ready=True)
            )
            runs["bare"].append(
                measure(
                    [
                        sys.executable,
                        "-c",
                        BARE_CLIENT,
                        str(files["ca"]),
                        str(files["cert"]),
                        str(files["key"]),
                        str(broker.port),
                    ],
                    root,
                    env={},
                    notify_ready=False,
                )
            )
            real.append(_drain_real(root, broker, test_pki, i))
            base.append(_drain_bare(root, broker, test_pki))
    finally:
        dispatcher.close()
        broker.stop()
    return {"runs": RUNS, **_memory_figures(runs), **import_costs(blocked), **_drain(real, base)}


def _memory_figures(runs: dict[str, list[Sample]]) -> dict[str, str]:
    def ready(key: str) -> list[float]:
        return [r.ready_s for r in runs[key]]

    def rss(key: str) -> list[float]:
        return [r.rss_ready for r in runs[key]]

    def steady(key: str) -> list[float]:
        return [r.rss_steady or 0.0 for r in runs[key]]

    def anon(key: str) -> list[float]:
        return [r.anon_steady or r.anon_ready for r in runs[key]]

    bare = rss("bare")
    on_ratio, off_ratio = ratios(rss("on"), bare), ratios(rss("off"), bare)
    on_steady, off_steady = ratios(steady("on"), bare), ratios(steady("off"), bare)
    return {
        "start to ready, terminal as shipped, kiosk on (s)": spread(ready("on")),
        "start to ready, kiosk off (s)": spread(ready("off")),
        "start to ready, first start: migrations applied (s)": spread(ready("first")),
        "start to ready, bare paho TLS client (s, baseline)": spread(ready("bare")),
        "start to ready goal": goal(statistics.median(ready("on")) <= 0.5, "<= 0.5 s"),
        "RSS, bare paho TLS client with cryptography (MiB, baseline)": spread(bare, 1),
        "RSS after an order printed and the kiosk page served, kiosk on (MiB, steady state)": (
            spread(steady("on"), 1)
        ),
        "RSS after an order printed, kiosk off (MiB, steady state)": spread(steady("off"), 1),
        "RSS ratio steady state kiosk on / baseline": spread(on_steady),
        "RSS ratio steady state kiosk off / baseline": spread(off_steady),
        "RSS goal, steady state kiosk on (as shipped)": goal(
            statistics.median(on_steady) <= 1.4, "<= 1.4x"
        ),
        "RSS goal, steady state kiosk off": goal(statistics.median(off_steady) <= 1.4, "<= 1.4x"),
        "anonymous RSS (RssAnon: heap, objects, stacks; no shared library pages), baseline (MiB)": (
            spread(anon("bare"), 1)
        ),
        "anonymous RSS at the steady state, kiosk on / kiosk off (MiB)": (
            f"{spread(anon('on'), 1)} / {spread(anon('off'), 1)}"
        ),
        "anonymous RSS ratio at the steady state, kiosk on / kiosk off": (
            f"{spread(ratios(anon('on'), anon('bare')))} / "
            f"{spread(ratios(anon('off'), anon('bare')))}"
        ),
        "RSS at READY=1, kiosk on (MiB)": spread(rss("on"), 1),
        "RSS at READY=1, kiosk off (MiB)": spread(rss("off"), 1),
        "RSS ratio at READY=1 kiosk on / baseline": spread(on_ratio),
        "RSS ratio at READY=1 kiosk off / baseline": spread(off_ratio),
        "RSS at READY=1, first start, kiosk on: sqlite-utils imported to migrate (MiB)": spread(
            rss("first"), 1
        ),
        "RSS at READY=1, kiosk on, in this dev venv: flask-wtf imports the hub's babel (MiB)": (
            spread(rss("venv"), 1)
        ),
        "idle CPU, terminal kiosk on (% of one core)": spread([r.cpu_idle for r in runs["on"]]),
        "idle CPU, baseline (% of one core)": spread([r.cpu_idle for r in runs["bare"]]),
    }


def _drain(real: list[dict[str, float]], base: list[float]) -> dict[str, str]:
    drain = [r["drain_s"] for r in real]
    return {
        "reports drained into the real hub": spread([r["queued"] for r in real], 0),
        "lost / feedback events at the hub": (
            f"{sum(r['lost'] for r in real):g} / " + spread([r["feedback_events"] for r in real], 0)
        ),
        "drain of 10,000 reports into the real hub (s)": spread(drain),
        "drain receipted by a bare paho client, no database (s, baseline)": spread(base),
        "drain ratio real hub / baseline": spread(ratios(drain, base)),
        "drain goal": goal(statistics.median(drain) <= 10, "<= 10 s"),
    }
