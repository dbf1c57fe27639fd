"""Fixtures for the hub's uplink under hostile input: real Mosquitto, real hubs, two units.

`hubs` builds hubs on one configuration (the same database file and the same persistent
broker session, client id "hub"), so a test can start one, stop it and start the next as a
restart would, or publish before any hub has subscribed. Every hub is stopped afterwards.
"""

from __future__ import annotations

import dataclasses
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from demo.broker import Broker
from hub.config import HubConfig
from hub.runtime import Hub
from tests.hub.harness import COUNTY, Terminal, hub_config
from tests.support.mqtt import MqttTestClient
from tests.support.pki import ThrowawayPKI
from tests.support.wait import wait_for
from wire import kinds as k
from wire import topics
from wire.clock import FakeClock
from wire.signing import Signer

UNITS = ["power-co", "water-co"]


class Hubs:
    """Hubs that share one configuration; `start()` returns once the hub has subscribed."""

    def __init__(self, config: HubConfig, clock: FakeClock) -> None:
        self.config = config
        self.clock = clock
        self._running: list[Hub] = []

    def build(self, **over: Any) -> Hub:
        """A hub not yet started: its database is open, it has no broker session yet."""
        return Hub(dataclasses.replace(self.config, **over), clock=self.clock)

    def start(self, hub: Hub | None = None, **over: Any) -> Hub:
        h = hub or self.build(**over)
        h.start()
        self._running.append(h)
        wait_for(h.link.subscribed.is_set, what="hub subscribed")
        return h

    def stop(self, hub: Hub) -> None:
        hub.stop()
        self._running.remove(hub)

    def restart(self, hub: Hub) -> Hub:
        self.stop(hub)
        return self.start()

    def stop_all(self) -> None:
        for h in list(self._running):
            self.stop(h)


@pytest.fixture
def config(tmp_path: Path, broker: Broker, test_pki: ThrowawayPKI) -> HubConfig:
    return hub_config(tmp_path / "PKI", broker, test_pki, UNITS)


@pytest.fixture
def hubs(config: HubConfig, clock: FakeClock) -> Iterator[Hubs]:
    made = Hubs(config, clock)
    yield made
    made.stop_all()


@pytest.fixture
def terminals(
    config: HubConfig, broker: Broker, test_pki: ThrowawayPKI, clock: FakeClock
) -> Iterator[dict[str, Terminal]]:
    dispatch = Signer.from_pem(config.dispatch_key.read_bytes())
    made = {u: Terminal(broker, test_pki, u, dispatch, clock) for u in UNITS}
    yield made
    for t in made.values():
        t.close()


def health(version: str = "0.1.0") -> k.HealthBody:
    return k.HealthBody(version=version, uptime_s=60, printer="ok", outbox_depth=0)


def unit_row(hub: Hub, unit: str) -> dict[str, Any]:
    return hub.store.one("SELECT * FROM unit_state WHERE unit=?", (unit,)) or {}


def version_of(hub: Hub, unit: str) -> str | None:
    return unit_row(hub, unit).get("version")


def refused(hub: Hub, unit: str, reason: str) -> int:
    """How many messages of `unit` the hub refused for `reason` (exact, even when only a
    sample of them is kept)."""
    row = hub.store.one(
        "SELECT sum(n) AS n FROM rejected_counts WHERE unit=? AND reason=?", (unit, reason)
    )
    return int(row["n"] or 0) if row else 0


def up(unit: str) -> str:
    return topics.up(COUNTY, unit)


def retained_on(broker: Broker, test_pki: ThrowawayPKI, topic: str) -> bytes | None:
    """The retained message the broker holds on `topic`, or None.

    Subscribes to `topic` and to a topic holding a retained marker in one SUBSCRIBE: the
    broker answers a subscribe's filters in order, so the marker arriving first proves that
    `topic` holds nothing (no waiting for something not to happen)."""
    cert, key = test_pki.client("probe")
    probe = MqttTestClient("127.0.0.1", broker.port, test_pki.ca_path, cert, key, "probe")
    probe.connect()
    try:
        marker = "test/marker"
        probe.publish(marker, b"marker", retain=True)
        probe.client.subscribe([(topic, 1), (marker, 1)])
        while True:
            try:
                got_topic, payload = probe.get(timeout=5)
            except queue.Empty:
                raise AssertionError("the broker sent no retained marker") from None
            if got_topic == marker:
                return None
            if got_topic == topic:
                return payload
    finally:
        probe.close()


def publish(client: MqttTestClient, topic: str, payload: bytes, *, retain: bool = False) -> None:
    """QoS 1 publish that returns once the broker has it (not once the hub has read it)."""
    info = client.client.publish(topic, payload, qos=1, retain=retain)
    info.wait_for_publish(5)
    if info.rc != mqtt.MQTT_ERR_SUCCESS:
        raise AssertionError(f"publish to {topic} failed: {info.rc}")


def publish_all(client: MqttTestClient, topic: str, payloads: list[bytes]) -> None:
    """Publish without waiting for each acknowledgement (a flood), then wait for all."""
    infos = [client.client.publish(topic, p, qos=1) for p in payloads]
    for info in infos:
        info.wait_for_publish(30)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError(f"publish to {topic} failed: {info.rc}")
