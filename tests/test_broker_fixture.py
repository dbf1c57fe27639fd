"""The broker fixture every later test uses: real Mosquitto, mutual TLS, paho-mqtt 2.x."""

from __future__ import annotations

import queue

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
