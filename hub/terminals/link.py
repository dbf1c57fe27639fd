"""The hub's one MQTT connection (paho-mqtt 2.x, MQTT 5, mutual TLS), wrapped small.

- client id "hub", clean_start false and a session expiry of 7 days: the broker queues
  reports for the hub while it restarts;
- manual acknowledgement: a report is acknowledged to the broker only after its database
  commit, so a kill -9 between receipt and commit makes the broker deliver it again;
- with `on_batch`, messages are applied on a thread of their own ("hub-apply"): every
  message waiting when it looks (up to BATCH_MAX) in one transaction, each acknowledged
  after that one commit (issue 17: one fsync per report made a 10,000-report drain take
  35 s, and paho's thread waited for the database lock);
- every callback is wrapped in `mqttlink.never_raise`: one bad message must not kill
  paho's thread (client set-up, the persistent session and the socket-pair close are
  `mqttlink`'s, shared with the terminal's link);
- a message is left unacknowledged only while the database cannot take it (the handler
  raises StoreUnavailable): it is tried again on a thread of its own, with back-off, and
  acknowledged once stored. Anything else is acknowledged, since the broker holds at most
  20 unacknowledged messages for the hub: 20 that can never be stored would stall every
  unit's reports, and a restart would only have them delivered again;
- `up` is subscribed with No Local (the hub's own empty message that clears a retained
  report is not read back) and Retain As Published (a report published retained is seen
  as such at once); trackers and state keep the plain options, so the retain flag there
  means "from the broker's retained store", i.e. sent at the hub's subscribe;
- publishing goes through `publish()`, which counts what paho holds unacknowledged so the
  delivery loop can keep that window small (paho rescans its queue on every ack);
- a connection without the hub's session (a broker that crashed and lost its state) is
  told to `on_subscribed(False)` once the subscriptions stand: the delivery loop then sends
  every unit a `resync`, so reports the broker dropped meanwhile come back in seconds;
- every failed attempt and every (re)connection goes to `watch` (mqttlink/watch.py), which
  logs each cause at once and then at most once a minute, and whose state the console's
  red banner shows.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

import mqttlink
from hub.errors import ConfigError, StoreUnavailable
from mqttlink import never_raise
from mqttlink.watch import LinkWatch, Problem, current_problem
from wire import topics
from wire.clock import Clock
from wire.tls import client_context

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = mqttlink.SESSION_EXPIRY_S
BROKER_KEY = "liandong.broker_link"
"""`app.extensions` key of the link's LinkWatch (the console shows a banner from it)."""


@dataclass(frozen=True)
class MqttSettings:
    host: str
    port: int
    ca: Path
    cert: Path
    key: Path
    client_id: str = "hub"
    keepalive: int = 30


RETRY_FIRST_S = 0.2
RETRY_MAX_S = 5.0

MessageHandler = Callable[[str, bytes, bool], None]
"""(topic, payload, retain) for each message, on paho's thread or the retry thread; returns
only after the commit, or raises StoreUnavailable to have the message tried again."""
BatchHandler = Callable[[list[tuple[str, bytes, bool]]], None]
"""The messages waiting, in order, on the apply thread: applied in one transaction; returns
only after its commit, or raises StoreUnavailable (nothing stored) to have them tried again."""
BATCH_MAX = 500
"""At most this many messages in one transaction (the broker holds 20 unacknowledged
messages for the hub, so a batch is rarely larger than that)."""


def _subscriptions(county: str) -> list[tuple[str, SubscribeOptions]]:
    return [
        (t, SubscribeOptions(qos=1, noLocal=True, retainAsPublished=True))
        if t.endswith("/up")
        else (t, SubscribeOptions(qos=1))
        for t in topics.hub_subscriptions(county)
    ]


def _no_delay(client: mqtt.Client) -> None:
    """TCP_NODELAY on the hub's socket (paho leaves Nagle on): an order published while an
    acknowledgement or a receipt is still unacknowledged by the broker's TCP waited for the
    broker's delayed ACK, up to 40 ms (issue 17: the intake -> terminal p99 tail)."""
    sock = client.socket()
    if isinstance(sock, socket.socket):  # ssl.SSLSocket is one
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError as e:  # not TCP (a test's socket pair): nothing to tune
            log.debug("TCP_NODELAY not set: %s", e)


class MqttLink:
    def __init__(
        self,
        settings: MqttSettings,
        county: str,
        on_message: MessageHandler,
        *,
        clock: Clock | None = None,
        on_batch: BatchHandler | None = None,
    ) -> None:
        self.settings = settings
        self.watch = LinkWatch(f"{settings.host}:{settings.port}", log, clock=clock)
        """Whether the hub reaches the broker, and why not (the console's banner)."""
        self.county = county
        self._handler = on_message
        self._batch_handler = on_batch
        self._inbound: queue.Queue[tuple[int, mqtt.MQTTMessage | None]] = queue.Queue()
        self._applier: threading.Thread | None = None
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        """Set once the broker has granted the hub's subscriptions (cleared on disconnect)."""
        self.on_connected: Callable[[], None] = lambda: None
        self.on_published: Callable[[int], None] = lambda mid: None
        self.on_subscribed: Callable[[bool], None] = lambda session_present: None
        """Called once the broker granted the subscriptions, with whether it still held the
        hub's session: without one, reports published meanwhile reached no one."""
        self._session_present = True
        self.failures = 0
        """Messages that could not be stored when they came (tried again, or acknowledged
        unstored as a last resort): 0 in a healthy hub."""
        self._retry: queue.Queue[tuple[int, mqtt.MQTTMessage]] = queue.Queue()
        self._generation = 0  # a new connection: messages held for retry are the broker's again
        self._stopping = threading.Event()
        self._retry_wake = threading.Event()
        self._retrier: threading.Thread | None = None
        try:
            ctx = client_context(settings.ca, settings.cert, settings.key)
        except OSError as e:  # a missing file, or ssl.SSLError for a bad one
            raise ConfigError(
                f"MQTT TLS files (ca {settings.ca}, cert {settings.cert}, key {settings.key}): {e}"
            ) from None
        c = mqttlink.make_client(settings.client_id, ctx, manual_ack=True)
        c.reconnect_delay_set(min_delay=1, max_delay=15)
        c.max_inflight_messages_set(1000)
        c.on_connect = self._on_connect
        c.on_connect_fail = self._on_connect_fail
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_subscribe
        self.client = c

    def start(self) -> None:
        log.info("connecting to the broker %s as %s", self.watch.where, self.settings.client_id)
        mqttlink.start(
            self.client,
            self.settings.host,
            self.settings.port,
            keepalive=self.settings.keepalive,
            session_expiry_s=SESSION_EXPIRY_S,
        )
        self._stopping.clear()
        self._retrier = threading.Thread(target=self._retry_loop, name="hub-retry", daemon=True)
        self._retrier.start()
        if self._batch_handler is not None:
            self._applier = threading.Thread(target=self._apply_loop, name="hub-apply", daemon=True)
            self._applier.start()

    def stop(self) -> None:
        self._stopping.set()
        self._retry_wake.set()
        self.client.disconnect()
        self.client.loop_stop()
        if self._retrier:
            self._retrier.join(10)
        if self._applier:
            self._inbound.put((-1, None))  # wakes the apply loop to see it must stop
            self._applier.join(10)
        self.connected.clear()
        self.subscribed.clear()
        mqttlink.release_sockets(self.client)

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int:
        """QoS 1; returns paho's message id (acknowledged later through `on_published`)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return info.mid

    # ---- callbacks (paho's thread; each wrapped in never_raise) --------------------------
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
            self.watch.failed(Problem("rejected", f"the broker refused the hub: {reason}"))
            return
        _no_delay(client)
        client.subscribe(_subscriptions(self.county))
        self.watch.up()
        log.debug("session present: %s", flags.session_present)
        self._session_present = bool(flags.session_present)
        self.connected.set()
        self.on_connected()

    @never_raise
    def _on_connect_fail(self, client: mqtt.Client, userdata: object) -> None:
        self.watch.failed(current_problem())  # paho calls this inside its `except OSError`

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
        self._generation += 1  # the broker delivers what we did not acknowledge again
        self.watch.lost(str(reason))

    @never_raise
    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reasons: list[ReasonCode],
        props: Properties | None,
    ) -> None:
        bad = [r for r in reasons if r.is_failure]
        if bad:
            log.error("broker refused the hub's subscriptions: %s", bad)
            return
        self.subscribed.set()
        self.on_subscribed(self._session_present)

    @never_raise
    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if self._batch_handler is not None:
            # Applied on the apply thread, with whatever else is waiting then, in one
            # transaction; paho's thread goes back to reading the socket meanwhile.
            self._inbound.put((self._generation, msg))
            return
        try:
            if self._apply(msg):
                return
        except StoreUnavailable as e:
            self.failures += 1
            log.warning("message on %s not stored yet (%s); trying again", msg.topic, e)
            self._hold(msg)
            return
        except Exception:  # e.g. a topic paho cannot decode: never kill paho's thread
            log.exception("message %s could not be handled", msg.mid)
        self._ack(msg)

    def _apply(self, msg: mqtt.MQTTMessage) -> bool:
        """Hand one message to the handler; True if it must wait for the retry thread (one
        is already waiting: keep their order). StoreUnavailable passes through; any other
        error is logged and the message counts as done (the handler records refusals
        itself; reaching here means even that failed)."""
        if not self._retry.empty():
            self._hold(msg)
            return True
        try:
            self._handler(msg.topic, bytes(msg.payload), bool(msg.retain))
        except StoreUnavailable:
            raise
        except Exception:
            self.failures += 1
            log.exception("message on %s could not be stored; acknowledged unstored", msg.topic)
        return False

    def _apply_loop(self) -> None:
        """Take every message waiting (up to BATCH_MAX), apply them in one transaction,
        acknowledge each only after that commit; repeat. Messages received on an earlier
        connection are not acknowledged on this one (their packet ids are not this
        connection's): the broker delivers them again and `seen` drops the duplicate."""
        while not self._stopping.is_set():
            try:
                first = self._inbound.get(timeout=1.0)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._inbound.get_nowait())
                except queue.Empty:
                    break
            messages = [(g, m) for g, m in batch if m is not None]
            if messages:
                self._apply_batch(messages)

    def _apply_batch(self, batch: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        assert self._batch_handler is not None  # noqa: S101 - only started with one
        if not self._retry.empty():  # one is waiting for the database: keep the order
            for generation, msg in batch:
                self._retry.put((generation, msg))
            self._retry_wake.set()
            return
        try:
            self._batch_handler([(m.topic, bytes(m.payload), bool(m.retain)) for _, m in batch])
        except StoreUnavailable as e:
            self.failures += len(batch)
            log.warning("%d message(s) not stored yet (%s); trying again", len(batch), e)
            for generation, msg in batch:
                self._retry.put((generation, msg))
            self._retry_wake.set()
            return
        except Exception:
            log.exception("a batch of %d failed; applying its messages one by one", len(batch))
            for generation, msg in batch:
                try:
                    if self._apply(msg):
                        continue
                except StoreUnavailable:
                    self._retry.put((generation, msg))
                    self._retry_wake.set()
                    continue
                if generation == self._generation:
                    self._ack(msg)
            return
        for generation, msg in batch:
            if generation == self._generation:
                self._ack(msg)

    def _hold(self, msg: mqtt.MQTTMessage) -> None:
        self._retry.put((self._generation, msg))
        self._retry_wake.set()

    def _ack(self, msg: mqtt.MQTTMessage) -> None:
        try:
            self.client.ack(msg.mid, msg.qos)
        except Exception:
            log.exception("could not acknowledge message %s", msg.mid)

    def _retry_loop(self) -> None:
        """Messages the database could not take, in order, until each is stored."""
        delay = RETRY_FIRST_S
        while not self._stopping.is_set():
            with self._retry.mutex:
                head = self._retry.queue[0] if self._retry.queue else None
            if head is None:
                delay = RETRY_FIRST_S  # the next one failed just now: give it a moment
                self._retry_wake.wait(1.0)
                self._retry_wake.clear()
                continue
            generation, msg = head
            if generation != self._generation:
                self._retry.get()  # from an earlier connection: the broker re-delivers it
                continue
            if delay and self._stopping.wait(delay):
                return
            try:
                self._handler(msg.topic, bytes(msg.payload), bool(msg.retain))
            except StoreUnavailable as e:
                delay = min(max(delay * 2, RETRY_FIRST_S), RETRY_MAX_S)
                log.warning("message on %s still not stored (%s)", msg.topic, e)
                continue
            except Exception:
                log.exception("message on %s could not be stored; acknowledged unstored", msg.topic)
            self._retry.get()
            delay = 0.0  # the database takes writes again: the next one at once
            if generation == self._generation:
                self._ack(msg)

    @never_raise
    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason: ReasonCode,
        props: Properties | None,
    ) -> None:
        self.on_published(mid)
