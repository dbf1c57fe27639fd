"""Small paho-mqtt 2.x helpers for tests: a TLS client that records what it receives.

Made and stopped through `mqttlink`, as the hub's and the terminal's links are; it
acknowledges automatically (no store behind it) and connects synchronously, so a refused
handshake raises at `connect()`.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from mqttlink import make_client, never_raise
from mqttlink import stop as stop_client
from wire.tls import client_context


class MqttTestClient:
    """A connected MQTT 5 client over mutual TLS; `messages` is a queue of (topic, payload)."""

    def __init__(
        self,
        host: str,
        port: int,
        ca: Path,
        cert: Path | None,
        key: Path | None,
        client_id: str,
    ) -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.reason: ReasonCode | None = None
        self.client = make_client(client_id, client_context(ca, cert, key), manual_ack=False)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.host, self.port = host, port

    @never_raise
    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        self.reason = reason
        if not reason.is_failure:
            self.connected.set()

    @never_raise
    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        self.reason = reason
        self.disconnected.set()

    @never_raise
    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self.messages.put((msg.topic, bytes(msg.payload)))

    def connect(self, timeout: float = 5.0) -> MqttTestClient:
        self.client.connect(self.host, self.port)
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.close()
            raise ConnectionError(f"not connected: {self.reason}")
        return self

    def subscribe(self, topic: str, qos: int = 1) -> None:
        done = threading.Event()
        self.client.on_subscribe = never_raise(lambda *a: done.set())
        self.client.subscribe(topic, qos)
        if not done.wait(5):
            raise TimeoutError(f"no SUBACK for {topic}")

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(5)

    def get(self, timeout: float = 5.0) -> tuple[str, bytes]:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        stop_client(self.client)
