"""The MQTT link to the hub: one small class around paho-mqtt 2.x (MQTT 5, mutual TLS).

- Persistent session: client id = unit id, clean start off, a session expiry of 7 days set
  in the CONNECT properties (paho sends none by default, and the session would end at
  disconnect), so the broker also queues orders while the terminal is away.
- A retained, signed will `offline` on the state topic; on connect a retained `online`
  with health.
- Manual acknowledgement: a down message is acknowledged only after `on_down` returns,
  i.e. after the database commit. If the store itself fails, it is not acknowledged and
  the broker delivers it again after reconnecting.
- Reconnect with exponential back-off and jitter (paho's own back-off has no jitter: a
  county's terminals would all reconnect in the same second after a broker restart).
- Every callback is wrapped in `mqttlink.never_raise`: an exception in a callback kills
  paho's thread. Client set-up, the session and the socket-pair close are `mqttlink`'s.
- Every failed attempt, with its cause, and every (re)connection goes to `watch`
  (mqttlink/watch.py): logged at once, the same cause then at most once a minute; the
  kiosk shows the cause.
"""

from __future__ import annotations

import contextlib
import logging
import random
import sqlite3
import threading
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

import mqttlink
from gateway.config import GatewayConfig
from mqttlink import never_raise
from mqttlink.watch import LinkWatch, Problem, current_problem
from wire import topics
from wire.clock import Clock
from wire.tls import client_context

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = mqttlink.SESSION_EXPIRY_S
MIN_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0


class Link:
    """The terminal's one MQTT connection."""

    def __init__(
        self,
        config: GatewayConfig,
        will: bytes,
        on_down: Callable[[bytes], None],
        on_connected: Callable[[], None],
        on_disconnected: Callable[[], None],
        on_puback: Callable[[int], None],
        window: int,
        clock: Clock | None = None,
    ) -> None:
        self.config = config
        self.watch = LinkWatch(f"{config.mqtt.host}:{config.mqtt.port}", log, clock=clock)
        self.down_topic = topics.down(config.county, config.unit_id)
        self.up_topic = topics.up(config.county, config.unit_id)
        self.state_topic = topics.state(config.county, config.unit_id)
        self.on_down = on_down
        self.on_connected = on_connected
        self.on_disconnected = on_disconnected
        self.on_puback = on_puback
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        """Set once the broker has granted the `down` subscription of this connection: a
        message published to `down` before then may be lost on a first-ever connection
        (no session yet), so a caller that publishes the moment we connect waits for it."""
        self.connects = 0
        self.last_error = ""
        self._attempt = 0
        c = mqttlink.make_client(
            config.unit_id, client_context(config.mqtt.ca, config.mqtt.cert, config.mqtt.key)
        )
        c.will_set(self.state_topic, will, qos=1, retain=True)
        c.max_inflight_messages_set(window)
        c.max_queued_messages_set(0)
        c.reconnect_delay_set(1, int(MAX_BACKOFF_S))
        c.on_connect = self._on_connect
        c.on_connect_fail = self._on_connect_fail
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_subscribe
        self.client = c

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        m = self.config.mqtt
        log.info("connecting to the broker %s as %s", self.watch.where, self.config.unit_id)
        mqttlink.start(
            self.client, m.host, m.port, keepalive=m.keepalive, session_expiry_s=SESSION_EXPIRY_S
        )

    def stop(self, offline_state: bytes | None = None) -> None:
        """Say `offline` (retained) when we can, then leave cleanly."""
        if offline_state is not None and self.connected.is_set():
            info = self.client.publish(self.state_topic, offline_state, qos=1, retain=True)
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(2)
        mqttlink.stop(self.client)

    # ---- sending -------------------------------------------------------------------------

    def publish_up(self, payload: bytes) -> int | None:
        """Hand one report to paho; None when not connected (the outbox keeps it)."""
        if not self.connected.is_set():
            return None
        info = self.client.publish(self.up_topic, payload, qos=1)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return None
        return int(info.mid)

    def publish_state(self, payload: bytes) -> None:
        if self.connected.is_set():
            self.client.publish(self.state_topic, payload, qos=1, retain=True)

    # ---- paho callbacks (each wrapped in never_raise: paho's thread must live) -----------

    def _backoff(self) -> None:
        self._attempt += 1
        delay = min(MAX_BACKOFF_S, MIN_BACKOFF_S * 2 ** min(self._attempt, 10))
        delay = max(1, round(delay * random.uniform(0.5, 1.0)))  # noqa: S311 (jitter, not crypto)
        self.client.reconnect_delay_set(delay, delay)

    @never_raise
    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        if reason.is_failure:
            self.last_error = str(reason)
            self.watch.failed(Problem("rejected", f"the broker refused this terminal: {reason}"))
            self._backoff()
            return
        self._attempt = 0
        self.last_error = ""  # connected again: the kiosk and status.json show the present
        self.client.reconnect_delay_set(1, int(MAX_BACKOFF_S))
        self.connects += 1
        self.last_error = ""
        self.watch.up()
        log.debug("session present: %s", flags.session_present)
        client.subscribe(self.down_topic, qos=1)
        self.connected.set()
        self.on_connected()

    @never_raise
    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        problem = current_problem()  # paho calls this inside its `except OSError`
        self.last_error = str(problem)
        self.watch.failed(problem)
        self._backoff()

    @never_raise
    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        self.connected.clear()
        self.subscribed.clear()
        self.last_error = str(reason)
        self.watch.lost(str(reason))
        self._backoff()
        self.on_disconnected()

    @never_raise
    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        try:
            self.on_down(bytes(msg.payload))
        except sqlite3.Error:
            log.exception("cannot store a down message; the broker will deliver it again")
            return
        except Exception:
            log.exception("handling a down message failed")
        try:
            client.ack(msg.mid, msg.qos)
        except Exception:
            log.exception("ack failed")

    @never_raise
    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        self.on_puback(mid)

    @never_raise
    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        props: Properties | None,
    ) -> None:
        refused = [r for r in reasons if r.is_failure]
        for r in refused:
            log.error("subscription to %s refused: %s", self.down_topic, r)
        if not refused:
            self.subscribed.set()
