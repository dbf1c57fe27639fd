"""The processes bench_hub runs beside the hub, so that the hub is what is measured.

    python -m bench.fleet terminals PORT PKI_ROOT FIRST N
        N paho clients standing in for terminals (bench-FIRST...), each answering every order
        with a signed `received`; prints READY once all are subscribed, then one line per
        first arrival: `O <order_id> <monotonic>` or `B <id> <monotonic>` (a bare message).
    python -m bench.fleet clients PORT PKI_ROOT N URL KEYHEX RUN ORDERS CONCURRENCY SAMPLES
        the 110 side: a burst of ORDERS signed POSTs over CONCURRENCY kept-alive connections
        (`BURST <start> <end> <CPU seconds it took here>`), then (after a line on stdin)
        SAMPLES single POSTs one at a time (`L <order_id> <sent> <answered>`), then SAMPLES
        bare QoS 1 publishes to the same terminals (`H <id> <sent>`); ends with DONE.

Times are `time.monotonic()` (CLOCK_MONOTONIC, one clock for every process of the machine).
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.intake import intake_request
from wire import codec, topics
from wire import kinds as k
from wire.clock import SystemClock
from wire.signing import Signer
from wire.tls import client_context

COUNTY = "shuangbai"
SOURCE = "cad-110"
_out = threading.Lock()


def say(line: str) -> None:
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def unit_name(i: int) -> str:
    return f"bench-{i:03d}"


def _client(root: Path, name: str, port: int) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{name}", protocol=mqtt.MQTTv5)
    c.tls_set_context(client_context(root / "ca.crt", root / f"{name}.crt", root / f"{name}.key"))
    return c


class _Terminal:
    def __init__(self, root: Path, unit: str, port: int) -> None:
        self.unit = unit
        self.signer = Signer.from_pem((root / f"{unit}.key").read_bytes())
        self.got: set[str] = set()
        self.subscribed = threading.Event()
        self.c = _client(root, unit, port)
        self.c.on_message = self._on_message
        self.c.on_connect = lambda c, *a: c.subscribe(topics.down(COUNTY, unit), qos=1)
        self.c.on_subscribe = lambda *a: self.subscribed.set()
        self.c.connect("127.0.0.1", port, keepalive=60)
        self.c.loop_start()

    def _on_message(self, c: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        obj = json.loads(msg.payload)
        if obj["kind"] == "bare":
            say(f"B {obj['id']} {now}")
            return
        if obj["kind"] != "order":
            return
        oid = obj["body"]["order_id"]
        if oid in self.got:
            return
        self.got.add(oid)
        say(f"O {oid} {now}")
        body = k.ReceivedBody(order_id=oid)
        _, payload = codec.encode("received", self.unit, body, self.signer, at=SystemClock().now())
        c.publish(topics.up(COUNTY, self.unit), payload, qos=1)


PER_PROCESS = 250
"""paho waits on select(), which takes no file number above 1023, and each client holds
three (its socket and a socket pair): at most this many terminals per process."""


def terminals(port: int, root: Path, first: int, n: int) -> None:
    with ThreadPoolExecutor(16) as pool:
        fleet = list(
            pool.map(lambda i: _Terminal(root, unit_name(i), port), range(first, first + n))
        )
    for t in fleet:
        t.subscribed.wait(60)
    say("READY")
    sys.stdin.read()  # until the parent closes our stdin
    for t in fleet:
        t.c.disconnect()
        t.c.loop_stop()


def incident(source_id: str, category: str) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "category": category,
        "address": "妥甸镇 东街 12 号",
        "township": "tuodian",
        "summary": "基准测试",
        "caller_phone": "13812345678",
        "reported_at": SystemClock().now().isoformat(),
    }


_held = threading.local()


def post(url: str, key: bytes, data: dict[str, Any]) -> str:
    """One signed POST on this thread's own HTTP/1.1 connection, kept open between
    requests as nginx keeps its connections to the hub (`keepalive` in the installed
    site, hub-install/nginx/): the hub is measured as a county runs it, not accepting
    and closing a TCP connection per call."""
    request = intake_request(url, SOURCE, key, data)
    conn = getattr(_held, "conn", None)
    if conn is None:
        parts = urllib.parse.urlsplit(url)
        conn = _held.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    assert request.data is not None and isinstance(request.data, bytes)
    conn.request("POST", request.selector, body=request.data, headers=dict(request.header_items()))
    r = conn.getresponse()
    body = r.read()
    if r.status != 201:
        raise RuntimeError(f"intake answered {r.status}: {body[:200]!r}")
    return str(json.loads(body)["orders"][0]["id"])


def clients(argv: list[str]) -> None:
    port, root, n = int(argv[0]), Path(argv[1]), int(argv[2])
    url, key, run = argv[3], bytes.fromhex(argv[4]), argv[5]
    orders, concurrency, samples = int(argv[6]), int(argv[7]), int(argv[8])
    start, cpu = time.monotonic(), time.process_time()
    with ThreadPoolExecutor(concurrency) as pool:
        list(
            pool.map(
                lambda i: post(url, key, incident(f"D{run}-{i}", unit_name(i % n))), range(orders)
            )
        )
    say(f"BURST {start} {time.monotonic()} {time.process_time() - cpu}")
    sys.stdin.readline()  # the parent says GO once every order of the burst is received
    for i in range(samples):
        sent = time.monotonic()
        oid = post(url, key, incident(f"L{run}-{i}", unit_name(i % n)))
        say(f"L {oid} {sent} {time.monotonic()}")
        time.sleep(0.02)  # the order reaches its terminal before the next is sent
    pub = _client(root, "bench-pub", port)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    time.sleep(0.5)
    for i in range(samples):
        mid = f"bare{run}-{i}"
        sent = time.monotonic()
        payload = json.dumps({"kind": "bare", "id": mid})
        pub.publish(topics.down(COUNTY, unit_name(i % n)), payload, qos=1)
        say(f"H {mid} {sent}")
        time.sleep(0.02)
    pub.disconnect()
    pub.loop_stop()
    say("DONE")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "terminals":
        terminals(int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        clients(sys.argv[2:])
