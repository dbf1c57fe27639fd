"""mqttlink's client against a real Mosquitto over mutual TLS: a round trip with manual
acknowledgement, a session that outlives a disconnect, and a stop that leaves no socket."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from demo.broker import Broker
from mqttlink import make_client, never_raise, start, stop
from tests.support.mqtt import MqttTestClient
from tests.support.pki import ThrowawayPKI
from wire.tls import client_context

TOPIC = "ld/v1/shuangbai/power-co/down"


class Receiver:
    """A client made and started by mqttlink, subscribing on every connect, acknowledging by
    hand only what the test lets it acknowledge."""

    def __init__(self, broker: Broker, pki: ThrowawayPKI, session_expiry_s: int = 3600) -> None:
        cert, key = pki.client("power-co")
        self.broker = broker
        self.session_expiry_s = session_expiry_s
        self.client = make_client("power-co", client_context(pki.ca_path, cert, key))
        self.subscribed = threading.Event()
        self.session_present: bool | None = None
        self.messages: queue.Queue[bytes] = queue.Queue()
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = never_raise(lambda *a: self.subscribed.set())
        self.client.on_message = self._on_message

    @never_raise
    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        self.session_present = flags.session_present
        client.subscribe(TOPIC, qos=1)

    @never_raise
    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self.messages.put(bytes(msg.payload))
        client.ack(msg.mid, msg.qos)

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        start(
            self.client,
            self.broker.host,
            self.broker.port,
            keepalive=10,
            session_expiry_s=self.session_expiry_s,
        )
        try:
            assert self.subscribed.wait(5), "no SUBACK"
            yield self
        finally:
            stop(self.client)
            self.subscribed.clear()


def _sender(broker: Broker, pki: ThrowawayPKI) -> MqttTestClient:
    cert, key = pki.client("hub")
    return MqttTestClient(broker.host, broker.port, pki.ca_path, cert, key, "hub").connect()


def test_round_trip_with_manual_ack(broker: Broker, test_pki: ThrowawayPKI) -> None:
    sender = _sender(broker, test_pki)
    try:
        with Receiver(broker, test_pki).running() as rx:
            sender.publish(TOPIC, b"one")
            assert rx.messages.get(timeout=5) == b"one"
            assert rx.client._manual_ack is True
    finally:
        sender.close()


def test_the_session_outlives_a_disconnect(broker: Broker, test_pki: ThrowawayPKI) -> None:
    """What paho does not do by itself: the session expiry in CONNECT makes the broker keep
    the subscription and queue what comes while the receiver is away."""
    sender = _sender(broker, test_pki)
    rx = Receiver(broker, test_pki)
    try:
        with rx.running():
            pass
        sender.publish(TOPIC, b"while away")
        with rx.running():
            assert rx.session_present is True
            assert rx.messages.get(timeout=5) == b"while away"
    finally:
        sender.close()


def test_without_a_session_expiry_nothing_is_kept(broker: Broker, test_pki: ThrowawayPKI) -> None:
    """The control for the test above: expiry 0 is paho's default, and the broker forgets."""
    sender = _sender(broker, test_pki)
    rx = Receiver(broker, test_pki, session_expiry_s=0)
    try:
        with rx.running():
            pass
        sender.publish(TOPIC, b"lost")
        with rx.running():
            assert rx.session_present is False
            sender.publish(TOPIC, b"after")
            assert rx.messages.get(timeout=5) == b"after"
    finally:
        sender.close()


def test_stop_closes_paho_sockets(broker: Broker, test_pki: ThrowawayPKI) -> None:
    rx = Receiver(broker, test_pki)
    with rx.running():
        assert rx.client._sockpairR is not None
    assert rx.client._sockpairR is None and rx.client._sockpairW is None
    assert rx.client._thread is None  # loop_stop joined paho's thread
