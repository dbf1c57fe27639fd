"""`make demo`: the largest slice of the system that exists so far.

Today: a throwaway county PKI, a real Mosquitto with mutual TLS, and one signed dispatch
order sent by a hub identity to a unit identity, verified and shown as the duty room would
read it. Later issues grow this into the whole county on one machine.
"""

from __future__ import annotations

import argparse
import queue
import ssl
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from demo.broker import Broker, free_port, write_dev_config
from provisioning import pki
from wire import Deadlines, OrderBody, Position, Signer, decode, encode, topics
from wire.clock import shanghai
from wire.ids import new_id
from wire.kinds import PRIORITY_NAMES
from wire.phone import mask_phone


def _client(port: int, root: Path, cn: str) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cn, protocol=mqtt.MQTTv5)
    ctx = ssl.create_default_context(cafile=str(root / "ca.crt"))
    ctx.load_cert_chain(str(root / f"{cn}.crt"), str(root / f"{cn}.key"))
    c.tls_set_context(ctx)
    c.connect("127.0.0.1", port)
    return c


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--state", type=Path, default=Path("demo-state"))
    args = parser.parse_args(argv)
    root: Path = args.state / "pki"
    ca = pki.make_ca("shuangbai")
    pki.write_public(root / "ca.crt", pki.cert_pem(ca.cert))
    for cn, hosts in (("broker", ["localhost", "127.0.0.1"]), ("hub", None), ("power-co", None)):
        issued = pki.issue(ca, cn, server_hosts=hosts)
        pki.write_public(root / f"{cn}.crt", pki.cert_pem(issued.cert))
        pki.write_private(root / f"{cn}.key", pki.key_pem(issued.key), force=True)
    port = free_port()
    conf = write_dev_config(
        args.state / "broker",
        port,
        cafile=root / "ca.crt",
        certfile=root / "broker.crt",
        keyfile=root / "broker.key",
    )
    signer = Signer(pki.new_key())
    now = datetime.now(UTC)
    order = OrderBody(
        order_id=new_id(),
        incident_id=new_id(),
        rev=1,
        category="power-cut",
        category_name="停电",
        priority="urgent",
        address="妥甸镇 东街 12 号",
        township="tuodian",
        township_name="妥甸镇",
        summary="整条街停电，有老人使用制氧机。",
        reported_at=now,
        dispatched_at=now,
        role="lead",
        deadlines=Deadlines(
            receive_by=now + timedelta(seconds=30),
            ack_by=now + timedelta(minutes=3),
            arrive_by=now + timedelta(minutes=30),
            feedback_by=now + timedelta(hours=24),
        ),
        position=Position(lat=24.689, lon=101.641),
        caller_phone=mask_phone("13812345678"),
    )
    with Broker(conf, port, args.state / "broker" / "mosquitto.log") as broker:
        print(f"Mosquitto (mutual TLS) on 127.0.0.1:{broker.port}")
        got: queue.Queue[bytes] = queue.Queue()
        unit = _client(port, root, "power-co")
        unit.on_message = lambda c, u, m: got.put(bytes(m.payload))
        unit.subscribe(topics.down("shuangbai", "power-co"), qos=1)
        unit.loop_start()
        hub = _client(port, root, "hub")
        hub.loop_start()
        _, raw = encode("order", "power-co", order, signer, at=now)
        hub.publish(topics.down("shuangbai", "power-co"), raw, qos=1).wait_for_publish(5)
        try:
            msg = decode(got.get(timeout=10), signer.verifier, unit="power-co", direction="down")
        except queue.Empty:
            print("the unit received nothing: see", broker.log_path, file=sys.stderr)
            return 1
        finally:
            unit.loop_stop()
            hub.loop_stop()
        body = msg.body
        if not isinstance(body, OrderBody):
            print(f"expected an order, got {msg.kind}", file=sys.stderr)
            return 1
        print("\n社会应急联动指令单 (verified signature, unit power-co)")
        print(f"  单号: {body.order_id}")
        print(f"  时间: {shanghai(body.dispatched_at):%Y-%m-%d %H:%M:%S}")
        print(f"  类别: {body.category_name}    等级: {PRIORITY_NAMES[body.priority]}")
        print(f"  地址: {body.township_name} {body.address}")
        print(f"  摘要: {body.summary}")
        print(f"  来电: {body.caller_phone}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
