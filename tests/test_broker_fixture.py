"""The broker fixture every later test uses: real Mosquitto, mutual TLS, paho-mqtt 2.x."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo.broker import Broker
from provisioning.pki import new_key
from tests.support import samples
from tests.support.mqtt import MqttTestClient
from tests.support.pki import ThrowawayPKI
from wire import Signer, decode, encode, topics


def client(broker: Broker, pki: ThrowawayPKI, cn: str) -> MqttTestClient:
    cert, key = pki.client(cn)
    return MqttTestClient(broker.host, broker.port, pki.ca_path, cert, key, client_id=cn)


def test_signed_order_round_trips_over_tls(broker: Broker, test_pki: ThrowawayPKI) -> None:
    hub_signer = Signer(new_key())
    unit = client(broker, test_pki, "power-co").connect()
    hub = client(broker, test_pki, "hub").connect()
    try:
        unit.subscribe(topics.down("shuangbai", "power-co"))
        msg_id, raw = encode("order", "power-co", samples.order(), hub_signer, at=samples.T0)
        hub.publish(topics.down("shuangbai", "power-co"), raw)
        topic, payload = unit.get()
        msg = decode(payload, hub_signer.verifier, unit="power-co", direction="down")
        assert topic == "ld/v1/shuangbai/power-co/down"
        assert msg.id == msg_id
        assert msg.body == samples.order()
    finally:
        unit.close()
        hub.close()


def test_client_without_certificate_gets_nothing(broker: Broker, test_pki: ThrowawayPKI) -> None:
    anon = MqttTestClient(broker.host, broker.port, test_pki.ca_path, None, None, client_id="anon")
    with pytest.raises((ConnectionError, OSError)):
        anon.connect(timeout=3)
    with pytest.raises(queue.Empty):
        anon.get(timeout=0.2)


def test_broker_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    """A test run killed from outside must not leave brokers running."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from tests.support.pki import ThrowawayPKI\n"
        "from demo.broker import Broker, free_port, write_dev_config\n"
        "root = Path(sys.argv[1])\n"
        "pki = ThrowawayPKI.create(root / 'pki')\n"
        "port = free_port()\n"
        "conf = write_dev_config(root / 'b', port, cafile=pki.ca_path,\n"
        "    certfile=pki.root / 'broker.crt', keyfile=pki.root / 'broker.key')\n"
        "b = Broker(conf, port, root / 'b.log'); b.start()\n"
        "print(b.pid, flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat")
        if not state.exists() or state.read_text().split()[2] == "Z":
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    raise AssertionError("the broker outlived the process that started it")
