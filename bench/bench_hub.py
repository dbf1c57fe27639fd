"""Hub: orders dispatched durably with 200 connected terminals, and intake-to-terminal latency.

Everything is real: Mosquitto with mutual TLS, the hub's SQLite file (WAL, synchronous=FULL),
its HTTP API served by waitress, and 200 paho clients standing in for terminals, each
answering every order with a signed `received` report. Figures:

- `dispatch_orders_per_s`: incidents posted back to back through the service (each its own
  fsync'd transaction), until every order is stored, delivered, `received` by its terminal
  and that report committed;
- `intake_commit_orders_per_s`: the store-and-route step alone (no MQTT);
- `intake_to_terminal_ms_p50/p99`: signed HTTP POST until the terminal holds the order,
  one at a time, beside `broker_hop_ms_p50/p99`: a bare QoS 1 publish to the same terminal.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import pcts, tls_broker, wait
from hub.registry import Registry, Unit, load_registry
from hub.runtime import Hub
from hub.sources.api_keys import sign
from tests.hub.harness import hub_config
from tests.support.mqtt import MqttTestClient
from wire import codec, topics
from wire import kinds as k
from wire.clock import SystemClock
from wire.signing import Signer

TERMINALS = 200
ORDERS = 1000
LATENCY_SAMPLES = 200
KEY = bytes.fromhex("11" * 32)
SOURCE = "cad-110"


def _registry(n: int) -> Registry:
    """The shipped county plus `n` bench units, each the lead of its own category."""
    reg = load_registry(None)
    units = dict(reg.units)
    cats = dict(reg.categories)
    for i in range(n):
        uid = f"bench-{i:03d}"
        units[uid] = Unit(uid, f"测试单位{i}", f"Bench {i}", 1, "tier1", None, ())
        cats[uid] = dataclasses.replace(
            next(iter(reg.categories.values())), code=uid, lead_unit=uid, township_also=False
        )
    return dataclasses.replace(reg, units=units, categories=cats)


class _Terminal:
    def __init__(self, client: MqttTestClient, unit: str, signer: Signer) -> None:
        self.client, self.unit, self.signer = client, unit, signer
        self.got: dict[str, float] = {}
        self.lock = threading.Lock()
        client.client.on_message = self._on_message

    def _on_message(self, c: Any, userdata: Any, msg: Any) -> None:
        now = time.perf_counter()
        obj = json.loads(msg.payload)
        if obj["kind"] == "order":
            oid = obj["body"]["order_id"]
            with self.lock:
                if oid in self.got:
                    return
                self.got[oid] = now
            _, payload = codec.encode(
                "received",
                self.unit,
                k.ReceivedBody(order_id=oid),
                self.signer,
                at=SystemClock().now(),
            )
            c.publish(topics.up("shuangbai", self.unit), payload, qos=1)
        elif obj["kind"] == "bare":
            with self.lock:
                self.got[obj["id"]] = now


def run(workdir: Path) -> dict[str, Any]:
    pki, broker = tls_broker(workdir)
    port = broker.port
    units = [f"bench-{i:03d}" for i in range(TERMINALS)]
    hub = Hub(hub_config(workdir / "PKI", broker, pki, units), registry=_registry(TERMINALS))
    hub.start()
    terms: list[_Terminal] = []
    try:
        for u in units:
            cert, key = pki.client(u)
            c = MqttTestClient("127.0.0.1", port, pki.ca_path, cert, key, f"t-{u}").connect()
            c.subscribe(topics.down("shuangbai", u))
            terms.append(_Terminal(c, u, Signer.from_pem(key.read_bytes())))
        hub.link.connected.wait(10)
        svc = hub.desk

        # 1) durable dispatch with every `received` committed
        started = time.perf_counter()
        for i in range(ORDERS):
            svc.intake(_incident(f"D{i}", units[i % TERMINALS]), source=SOURCE)
        stored = time.perf_counter() - started
        wait(
            lambda: (
                _count(hub, "SELECT count(*) AS n FROM orders WHERE state='received'") >= ORDERS
            ),
            120,
        )
        total = time.perf_counter() - started

        # 2) latency: HTTP intake -> terminal holds the order, one at a time
        lat: list[float] = []
        http: list[float] = []
        for i in range(LATENCY_SAMPLES):
            t = terms[i % TERMINALS]
            body = json.dumps(_incident(f"L{i}", t.unit)).encode()
            req = urllib.request.Request(  # noqa: S310 - loopback
                hub.url + "/api/v1/incidents",
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Liandong-Source": SOURCE,
                    "X-Liandong-Signature": sign(KEY, body),
                },
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310
                oid = json.loads(r.read())["orders"][0]["id"]
            http.append((time.perf_counter() - t0) * 1000)
            got = wait(lambda t=t, oid=oid: t.got.get(oid), 10)
            lat.append((got - t0) * 1000)

        # 3) the bare broker hop, same broker, same terminal clients
        hub_cert, hub_key = pki.client("bench-pub")
        pub = MqttTestClient(
            "127.0.0.1", port, pki.ca_path, hub_cert, hub_key, "bench-pub"
        ).connect()
        hop: list[float] = []
        for i in range(LATENCY_SAMPLES):
            t = terms[i % TERMINALS]
            mid = f"bare{i}"
            t0 = time.perf_counter()
            pub.client.publish(
                topics.down("shuangbai", t.unit), json.dumps({"kind": "bare", "id": mid}), qos=1
            )
            got = wait(lambda t=t, mid=mid: t.got.get(mid), 10)
            hop.append((got - t0) * 1000)
        pub.close()
    finally:
        for t in terms:
            t.client.close()
        hub.stop()
        broker.stop()
    p50, p99 = pcts(lat)
    b50, b99 = pcts(hop)
    h50, h99 = pcts(http)
    return {
        "terminals": TERMINALS,
        "orders": ORDERS,
        "dispatch_orders_per_s": round(ORDERS / total, 1),
        "intake_commit_orders_per_s": round(ORDERS / stored, 1),
        "intake_to_terminal_ms_p50": p50,
        "intake_to_terminal_ms_p99": p99,
        "intake_http_answer_ms_p50": h50,
        "intake_http_answer_ms_p99": h99,
        "broker_hop_ms_p50": b50,
        "broker_hop_ms_p99": b99,
    }


def _count(hub: Any, sql: str) -> int:
    row = hub.store.one(sql)
    return int(row["n"]) if row else 0


def _incident(source_id: str, category: str) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "category": category,
        "address": "妥甸镇 东街 12 号",
        "township": "tuodian",
        "summary": "基准测试",
        "caller_phone": "13812345678",
        "reported_at": SystemClock().now().isoformat(),  # inside the hub's intake window
    }
