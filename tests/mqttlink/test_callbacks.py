"""An exception in a paho callback neither escapes the wrapper nor ends paho's thread."""

from __future__ import annotations

import logging
import queue
import threading

import paho.mqtt.client as mqtt
import pytest

from demo.broker import Broker
from mqttlink import make_client, never_raise, start, stop
from tests.support.mqtt import MqttTestClient
from tests.support.pki import ThrowawayPKI
from wire.tls import client_context

TOPIC = "ld/v1/shuangbai/power-co/down"


def test_an_exception_is_logged_and_swallowed(caplog: pytest.LogCaptureFixture) -> None:
    @never_raise
    def on_message(payload: bytes) -> None:
        raise ValueError(f"bad {payload!r}")

    with caplog.at_level(logging.ERROR, logger=__name__):
        assert on_message(b"x") is None
    [record] = caplog.records
    assert record.name == __name__  # the logger of the module that wrote the callback
    assert "on_message" in record.getMessage()
    assert record.exc_info is not None and "bad b'x'" in str(record.exc_info[1])


def test_what_is_meant_to_stop_still_stops() -> None:
    @never_raise
    def on_connect() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        on_connect()


def test_a_method_keeps_its_name_and_its_self() -> None:
    class Link:
        calls: list[int]

        def __init__(self) -> None:
            self.calls = []

        @never_raise
        def _on_publish(self, mid: int) -> None:
            self.calls.append(mid)

    link = Link()
    link._on_publish(7)
    assert link.calls == [7]
    assert Link._on_publish.__name__ == "_on_publish"


def test_paho_thread_survives_a_raising_callback(
    broker: Broker, test_pki: ThrowawayPKI, caplog: pytest.LogCaptureFixture
) -> None:
    """The first message raises in on_message; the second still arrives on the same thread."""
    cert, key = test_pki.client("power-co")
    client = make_client("power-co", client_context(test_pki.ca_path, cert, key), manual_ack=False)
    got: queue.Queue[bytes] = queue.Queue()
    subscribed = threading.Event()

    @never_raise
    def on_message(c: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.payload == b"poison":
            raise RuntimeError("a callback bug")
        got.put(bytes(msg.payload))

    client.on_message = on_message
    client.on_connect = never_raise(lambda c, *a: c.subscribe(TOPIC, qos=1))
    client.on_subscribe = never_raise(lambda *a: subscribed.set())
    hub_cert, hub_key = test_pki.client("hub")
    sender = MqttTestClient(
        broker.host, broker.port, test_pki.ca_path, hub_cert, hub_key, "hub"
    ).connect()
    start(client, broker.host, broker.port, keepalive=10, session_expiry_s=0)
    try:
        assert subscribed.wait(5)
        thread = client._thread
        with caplog.at_level(logging.ERROR):
            sender.publish(TOPIC, b"poison")
            sender.publish(TOPIC, b"fine")
            assert got.get(timeout=5) == b"fine"
        assert thread is not None and thread.is_alive() and client._thread is thread
        assert any("a callback bug" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    finally:
        stop(client)
        sender.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_without_the_wrapper_paho_thread_dies(broker: Broker, test_pki: ThrowawayPKI) -> None:
    """The control: the same callback unwrapped ends paho's network thread (the pitfall)."""
    cert, key = test_pki.client("power-co")
    client = make_client("power-co", client_context(test_pki.ca_path, cert, key), manual_ack=False)
    subscribed = threading.Event()

    def on_message(c: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        raise RuntimeError("a callback bug")

    client.on_message = on_message
    client.on_connect = never_raise(lambda c, *a: c.subscribe(TOPIC, qos=1))
    client.on_subscribe = never_raise(lambda *a: subscribed.set())
    client.suppress_exceptions = False
    hub_cert, hub_key = test_pki.client("hub")
    sender = MqttTestClient(
        broker.host, broker.port, test_pki.ca_path, hub_cert, hub_key, "hub"
    ).connect()
    start(client, broker.host, broker.port, keepalive=10, session_expiry_s=0)
    try:
        assert subscribed.wait(5)
        thread = client._thread
        assert thread is not None
        sender.publish(TOPIC, b"poison")
        thread.join(5)
        assert not thread.is_alive()
    finally:
        stop(client)
        sender.close()
