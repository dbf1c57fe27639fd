"""Provisioning: enrolling units, revoking many, and what a long CRL costs each TLS connect.

Three runs, min/median/max, each beside a baseline from the same run: for making a county
and enrolling a unit, the bare `cryptography` calls no certificate can skip (a P-256 key
and a certificate signed by the CA), so the rest (files written and fsync'd, the bundle's
gateway.toml, checks) shows apart; for a revocation, one CRL of the mean size signed bare;
for a connect with a 1,000-entry CRL, the same connect with the empty CRL. Issue 17 set
no goal here; ours: revoking many units must not slow every unit's connect (a 1,000-entry
CRL within 1.1x of the empty one).
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion

from bench.common import columns, goal, ratios, spread
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
RUNS = 3


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


def _bare_cert(issuer_key: ec.EllipticCurvePrivateKey, cn: str) -> x509.Certificate:
    """A new P-256 key and a certificate for it signed by `issuer_key`: nothing else."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=365))
        .sign(issuer_key, hashes.SHA256())
    )


def _bare_crl(issuer_key: ec.EllipticCurvePrivateKey, entries: int) -> None:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench CA")])
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(name)
        .last_update(now)
        .next_update(now + timedelta(days=30))
    )
    for serial in range(1, entries + 1):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    builder.sign(issuer_key, hashes.SHA256())


def _one_run(workdir: Path) -> dict[str, float]:
    workdir.mkdir(parents=True)
    pki_dir = workdir / "pki"
    t0 = time.perf_counter()
    init_county(pki_dir, "bench")
    t1 = time.perf_counter()
    for i in range(UNITS):
        enroll_unit(pki_dir, f"unit-{i}")
    t2 = time.perf_counter()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    b0 = time.perf_counter()
    for i in range(4):  # init: the CA, the broker, the hub, the dispatch key (3 certificates)
        _bare_cert(ca_key, f"init-{i}")
    b1 = time.perf_counter()
    for i in range(UNITS):
        _bare_cert(ca_key, f"unit-{i}")
    b2 = time.perf_counter()
    _bare_crl(ca_key, REVOKED // 2)
    b3 = time.perf_counter()
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
        "init": (t1 - t0) * 1000,
        "bare_init": (b1 - b0) * 1000,
        "enroll": (t2 - t1) / UNITS * 1000,
        "bare_enroll": (b2 - b1) / UNITS * 1000,
        "revoke": (t4 - t3) / REVOKED * 1000,
        "bare_crl": (b3 - b2) * 1000,
        "crl_bytes": (pki_dir / "ca" / "crl.pem").stat().st_size,
        "empty": empty_crl_ms,
        "long": long_crl_ms,
    }


def run(workdir: Path) -> dict[str, object]:
    logging.getLogger("provisioning").setLevel(logging.ERROR)  # 1,000 revocations
    runs = [_one_run(workdir / f"run-{i}") for i in range(RUNS)]

    col = columns(runs)

    crl = ratios(col("long"), col("empty"))
    return {
        "runs": RUNS,
        "init: CA, broker, hub, dispatch key, files (ms)": spread(col("init"), 1),
        "baseline: 4 bare P-256 keys, 4 certificates signed (ms)": spread(col("bare_init"), 1),
        "ratio init / baseline": spread(ratios(col("init"), col("bare_init"))),
        f"enroll one unit, key made here (ms, mean of {UNITS})": spread(col("enroll")),
        "baseline: one bare key and certificate (ms)": spread(col("bare_enroll")),
        "ratio enroll / baseline": spread(ratios(col("enroll"), col("bare_enroll"))),
        f"revoke one certificate, CRL re-signed (ms, mean over {REVOKED})": spread(col("revoke")),
        f"baseline: one bare CRL of {REVOKED // 2} entries (the mean size) signed (ms)": spread(
            col("bare_crl")
        ),
        "ratio revoke / baseline": spread(ratios(col("revoke"), col("bare_crl"))),
        f"CRL size with {REVOKED} entries (bytes)": spread(col("crl_bytes"), 0),
        "TLS connect to CONNACK, empty CRL (ms, median of 30; baseline)": spread(col("empty")),
        f"TLS connect to CONNACK, {REVOKED}-entry CRL (ms, median of 30)": spread(col("long")),
        f"ratio {REVOKED}-entry / empty CRL": spread(crl),
        "goal (ours)": goal(statistics.median(crl) <= 1.1, "long CRL connect <= 1.1x empty"),
    }
