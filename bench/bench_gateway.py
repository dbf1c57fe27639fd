"""One duty-room terminal: memory, idle CPU, start-to-ready, and draining a 10,000-report outbox.

- start-to-ready: `liandong-gateway run` from exec to systemd's READY=1 (NOTIFY_SOCKET),
  with mock pins, a printer writing to a file and a real Mosquitto over mutual TLS;
- resident memory (VmRSS) and CPU over 10 s of idle, read from /proc;
- drain: 10,000 reports queued while offline, then the terminal connects; time until the
  last one has been receipted by a hub client (every report verified and committed).
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import tomli_w
from gpiozero.pins.mock import MockFactory
from paho.mqtt.enums import CallbackAPIVersion

from bench.orders import sample_order
from demo.broker import Broker, free_port, write_dev_config
from gateway.config import parse_config
from gateway.terminal import Gateway
from provisioning import pki
from wire import Signer, Verifier, decode, encode, topics
from wire.clock import SystemClock
from wire.kinds import ReceiptBody
from wire.tls import client_context

UNIT, COUNTY = "power-co", "shuangbai"


def _pki(root: Path) -> tuple[pki.Issued, Any]:
    root.mkdir(parents=True)
    ca = pki.make_ca(COUNTY)
    pki.write_public(root / "ca.crt", pki.cert_pem(ca.cert))
    for name, hosts in (("broker", ["localhost", "127.0.0.1"]), (UNIT, None), ("hub", None)):
        issued = pki.issue(ca, name, server_hosts=hosts)
        pki.write_public(root / f"{name}.crt", pki.cert_pem(issued.cert))
        pki.write_private(root / f"{name}.key", pki.key_pem(issued.key), force=True)
    hub_key = pki.new_key()
    pki.write_public(root / "hub-dispatch.pub", pki.public_pem(hub_key.public_key()))
    return ca, hub_key


def _config_data(root: Path, broker_port: int) -> dict[str, Any]:
    return {
        "unit": {"id": UNIT, "county": COUNTY, "state_dir": "state"},
        "mqtt": {
            "host": "127.0.0.1",
            "port": broker_port,
            "ca": "ca.crt",
            "cert": f"{UNIT}.crt",
            "key": f"{UNIT}.key",
            "hub_key": "hub-dispatch.pub",
        },
        "printer": {"port": "file:paper.bin"},
        "kiosk": {"listen": f"127.0.0.1:{free_port()}"},
    }


def _proc_stat(pid: int) -> tuple[float, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return cpu, rss


def _one_terminal(root: Path) -> dict[str, object]:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(root / "notify.sock"))
    notify.settimeout(30)
    env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock", "NOTIFY_SOCKET": str(root / "notify.sock")}
    cli = Path(sys.executable).parent / "liandong-gateway"
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(cli), "run", "--config", str(root / "gateway.toml")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not notify.recv(4096).startswith(b"READY=1"):
            pass
        ready = time.perf_counter() - t0
        time.sleep(2)
        cpu0, _ = _proc_stat(proc.pid)
        time.sleep(10)
        cpu1, rss = _proc_stat(proc.pid)
    finally:
        proc.terminate()
        proc.wait(15)
        notify.close()
    return {
        "start to ready (s)": round(ready, 2),
        "resident memory (MiB)": round(rss / 1024, 1),
        "idle CPU (% of one core)": round((cpu1 - cpu0) / 10 * 100, 2),
    }


class _Hub:
    """Receives reports, verifies each, and sends receipts in batches of 500."""

    def __init__(self, root: Path, port: int, hub_key: Any) -> None:
        self.signer = Signer(hub_key)
        self.unit_key = Verifier.from_pem((root / f"{UNIT}.crt").read_bytes())
        self.q: queue.Queue[bytes] = queue.Queue()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="hub", protocol=mqtt.MQTTv5)
        c.tls_set_context(client_context(root / "ca.crt", root / "hub.crt", root / "hub.key"))
        c.on_message = lambda cl, u, m: self.q.put(bytes(m.payload))
        c.connect("127.0.0.1", port)
        c.subscribe(topics.up(COUNTY, UNIT), qos=1)
        c.loop_start()
        self.client = c

    def receipt_loop(self, n: int, timeout: float) -> int:
        got: set[str] = set()
        pending: list[str] = []
        deadline = time.monotonic() + timeout
        while len(got) < n and time.monotonic() < deadline:
            try:
                raw = self.q.get(timeout=0.05)
                msg = decode(raw, self.unit_key, unit=UNIT, direction="up")
                if msg.kind == "feedback":
                    got.add(msg.id)
                pending.append(msg.id)
                if len(pending) < 500:
                    continue
            except queue.Empty:
                pass
            if pending:
                self._receipt(pending)
                pending = []
        if pending:
            self._receipt(pending)
        return len(got)

    def _receipt(self, ids: list[str]) -> None:
        _, raw = encode("receipt", UNIT, ReceiptBody(ids=ids), self.signer, at=SystemClock().now())
        self.client.publish(topics.down(COUNTY, UNIT), raw, qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _drain(root: Path, port: int, hub_key: Any, n: int = 10_000) -> dict[str, object]:
    clock = SystemClock()
    gw = Gateway(
        parse_config(_config_data(root, port), root),
        clock,
        pin_factory=MockFactory(),
        health_interval=3600,
    )
    now = clock.now()
    order = sample_order(now)
    gw.handle_down(encode("order", UNIT, order, Signer(hub_key), at=now)[1])
    t0 = time.perf_counter()
    for i in range(n):
        gw.feedback(order.order_id, "resolved", f"第{i}次")
    queue_rate = n / (time.perf_counter() - t0)
    hub = _Hub(root, port, hub_key)
    try:
        t0 = time.perf_counter()
        gw.start()
        got = hub.receipt_loop(n, 300)
        while gw.outbox.depth() and time.perf_counter() - t0 < 300:
            time.sleep(0.01)
        drained = time.perf_counter() - t0
    finally:
        hub.close()
        gw.stop()
    return {
        "reports queued offline per second (one transaction each, fsync)": round(queue_rate),
        "outbox drained (reports)": got,
        "drain time incl. receipts (s)": round(drained, 2),
        "drain rate (reports/s)": round(n / drained),
    }


def run(workdir: Path) -> dict[str, object]:
    root = workdir / "unit"
    _, hub_key = _pki(root)
    port = free_port()
    conf = write_dev_config(
        workdir / "broker",
        port,
        cafile=root / "ca.crt",
        certfile=root / "broker.crt",
        keyfile=root / "broker.key",
    )
    (root / "gateway.toml").write_text(tomli_w.dumps(_config_data(root, port)))
    with Broker(conf, port, workdir / "broker" / "mosquitto.log"):
        figures = _one_terminal(root)
        shutil.rmtree(root / "state")  # the drain starts from a fresh terminal
        figures.update(_drain(root, port, hub_key))
    return figures
