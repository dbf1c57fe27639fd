"""The hub's one MQTT connection (paho-mqtt 2.x, MQTT 5, mutual TLS), wrapped small.

- client id "hub", clean_start false and a session expiry of 7 days: the broker queues
  reports for the hub while it restarts;
- manual acknowledgement: a report is acknowledged to the broker only after its database
  commit, so a kill -9 between receipt and commit makes the broker deliver it again;
- every callback catches its exceptions: one bad message must not kill paho's thread;
- publishing goes through `publish()`, which counts what paho holds unacknowledged so the
  delivery loop can keep that window small (paho rescans its queue on every ack).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from hub.errors import ConfigError
from wire import topics
from wire.tls import client_context

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600


@dataclass(frozen=True)
class MqttSettings:
    host: str
    port: int
    ca: Path
    cert: Path
    key: Path
    client_id: str = "hub"
    keepalive: int = 30


MessageHandler = Callable[[str, bytes], None]
"""Called on paho's thread for each message; returns only after the commit."""


class MqttLink:
    def __init__(self, settings: MqttSettings, county: str, on_message: MessageHandler) -> None:
        self.settings = settings
        self.county = county
        self._handler = on_message
        self.connected = threading.Event()
        self.on_connected: Callable[[], None] = lambda: None
        self.on_published: Callable[[int], None] = lambda mid: None
        self.failures = 0
        try:
            ctx = client_context(settings.ca, settings.cert, settings.key)
        except OSError as e:  # a missing file, or ssl.SSLError for a bad one
            raise ConfigError(
                f"MQTT TLS files (ca {settings.ca}, cert {settings.cert}, key {settings.key}): {e}"
            ) from None
        c = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        c.tls_set_context(ctx)
        c.reconnect_delay_set(min_delay=1, max_delay=15)
        c.max_inflight_messages_set(1000)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        self.client = c

    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect_async(
            self.settings.host,
            self.settings.port,
            keepalive=self.settings.keepalive,
            clean_start=False,
            properties=props,
        )
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()
        # paho closes its wake-up socket pair only in __del__, which a reference cycle can
        # postpone past interpreter shutdown (an "unclosed socket" warning): close it now.
        self.client._reset_sockets()

    def publish(self, topic: str, payload: bytes) -> int:
        """QoS 1; returns paho's message id (acknowledged later through `on_published`)."""
        info = self.client.publish(topic, payload, qos=1)
        return info.mid

    # ---- callbacks (paho's thread; never let an exception escape) -----------------------
    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        try:
            if reason.is_failure:
                log.error("broker refused the hub: %s", reason)
                return
            subs = [(t, 1) for t in topics.hub_subscriptions(self.county)]
            client.subscribe(subs)
            log.info(
                "connected to %s:%d (session present: %s)",
                self.settings.host,
                self.settings.port,
                flags.session_present,
            )
            self.connected.set()
            self.on_connected()
        except Exception:
            log.exception("on_connect failed")

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        self.connected.clear()
        log.warning("disconnected from the broker: %s", reason)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            self._handler(msg.topic, bytes(msg.payload))
        except Exception:
            # Not committed: leave it unacknowledged; the broker sends it again after a
            # reconnect. Bad input never gets here (it is stored as rejected and acked).
            self.failures += 1
            log.exception("message on %s not stored; it stays unacknowledged", msg.topic)
            return
        try:
            client.ack(msg.mid, msg.qos)
        except Exception:
            log.exception("could not acknowledge message %s", msg.mid)

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        try:
            self.on_published(mid)
        except Exception:
            log.exception("on_publish failed")
