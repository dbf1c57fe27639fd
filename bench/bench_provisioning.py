"""Provisioning: enrolling units, revoking many, and what a long CRL costs each TLS connect."""

from __future__ import annotations

import logging
import statistics
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from demo.broker import Broker, free_port, run_as_user
from provisioning import pki
from provisioning.broker_config import BrokerOptions, write_broker_config
from provisioning.county import init_county
from provisioning.enroll import enroll_unit
from provisioning.layout import Layout
from provisioning.revocation import load_ca, revoke_certificate
from wire.tls import client_context

UNITS = 200
REVOKED = 1000
CONNECTS = 30


def _connect_ms(broker: Broker, pki_dir: Path) -> float:
    """Median time from TCP connect to CONNACK for one unit, over CONNECTS tries."""
    times = []
    bundle = pki_dir / "units" / "unit-0"
    for i in range(CONNECTS):
        done = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"b{i}", protocol=mqtt.MQTTv5)
        client.tls_set_context(
            client_context(bundle / "ca.crt", bundle / "unit.crt", bundle / "unit.key")
        )
        client.on_connect = lambda *_a, done=done: done.set()
        t0 = time.perf_counter()
        client.connect(broker.host, broker.port)
        client.loop_start()
        if not done.wait(10):
            raise RuntimeError("no CONNACK")
        times.append(time.perf_counter() - t0)
        client.disconnect()
        client.loop_stop()
        client._reset_sockets()  # paho frees its wake-up socket pair only in __del__
    return round(statistics.median(times) * 1000, 2)


def run(workdir: Path) -> dict[str, object]:
    logging.getLogger("provisioning").setLevel(logging.ERROR)  # 1,000 revocations
    pki_dir = workdir / "pki"
    t0 = time.perf_counter()
    init_county(pki_dir, "bench")
    t1 = time.perf_counter()
    for i in range(UNITS):
        enroll_unit(pki_dir, f"unit-{i}")
    t2 = time.perf_counter()
    port = free_port()
    options = BrokerOptions(port=port, bind="127.0.0.1", run_as=run_as_user())
    conf = write_broker_config(pki_dir, workdir / "broker", options)
    with Broker(conf, port, workdir / "broker" / "mosquitto.log") as broker:
        empty_crl_ms = _connect_ms(broker, pki_dir)
        ca = load_ca(Layout(pki_dir))
        t3 = time.perf_counter()
        for i in range(REVOKED):
            revoke_certificate(pki_dir, pki.issue(ca, f"old-{i}").cert, f"old-{i}")
        t4 = time.perf_counter()
        broker.reload()
        time.sleep(0.5)  # let the broker re-read the CRL before measuring
        long_crl_ms = _connect_ms(broker, pki_dir)
    return {
        "init (ms)": round((t1 - t0) * 1000, 1),
        f"enroll one unit, key made here (ms, mean of {UNITS})": round((t2 - t1) / UNITS * 1000, 2),
        f"revoke one certificate, CRL re-signed (ms, mean over {REVOKED})": round(
            (t4 - t3) / REVOKED * 1000, 2
        ),
        f"CRL size with {REVOKED} entries (bytes)": (pki_dir / "ca" / "crl.pem").stat().st_size,
        "TLS connect to CONNACK, empty CRL (ms, median)": empty_crl_ms,
        f"TLS connect to CONNACK, {REVOKED}-entry CRL (ms, median)": long_crl_ms,
    }
