"""Connecting as a county identity, and watching what a refused client actually gets."""

from __future__ import annotations

import queue
import time
from pathlib import Path

from demo.broker import Broker
from mqttlink import release_sockets, session_properties
from tests.support.mqtt import MqttTestClient

QUIET = 0.5  # how long "nothing arrives" is watched, after a positive control arrived


def identity_files(pki: Path, who: str) -> tuple[Path, Path]:
    """(cert, key) of "hub", a unit id, or "UNIT/trackers/TRACKER"."""
    if who == "hub":
        return pki / "hub" / "hub.crt", pki / "hub" / "hub.key"
    if "/trackers/" in who:
        unit, tracker = who.split("/trackers/")
        folder = pki / "trackers" / unit / tracker
        return folder / "tracker.crt", folder / "tracker.key"
    return pki / "units" / who / "unit.crt", pki / "units" / who / "unit.key"


def client_as(broker: Broker, pki: Path, who: str, client_id: str | None = None) -> MqttTestClient:
    cert, key = identity_files(pki, who)
    return MqttTestClient(
        broker.host, broker.port, pki / "ca" / "ca.crt", cert, key, client_id=client_id or who
    )


def connect_persistent(client: MqttTestClient, timeout: float = 5.0) -> MqttTestClient:
    """Connect with clean_start false and a session of an hour, as a gateway does."""
    props = session_properties(3600)
    client.client.connect(client.host, client.port, clean_start=False, properties=props)
    client.client.loop_start()
    if not client.connected.wait(timeout):
        client.close()
        raise ConnectionError(f"not connected: {client.reason}")
    return client


def outcome_of_connect(client: MqttTestClient, timeout: float = 5.0) -> str:
    """ "connected", or how the attempt ended: "tls-error" (refused during the handshake)
    or "closed" (TLS 1.3: the handshake looked fine, then the broker closed the socket)."""
    try:
        client.client.connect(client.host, client.port)
    except OSError:
        release(client)
        return "tls-error"
    client.client.loop_start()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if client.connected.is_set():
                return "connected"
            if client.disconnected.is_set():
                return "closed"
            time.sleep(0.02)
        return "no answer"
    finally:
        client.client.disconnect()
        client.client.loop_stop()
        release(client)


def release(client: MqttTestClient) -> None:
    """Close paho's wake-up socket pair now: left to the garbage collector (the client is in
    a reference cycle with its callbacks) it raises ResourceWarning in a later test."""
    release_sockets(client.client)


def nothing_arrives(client: MqttTestClient, wait: float = QUIET) -> bool:
    try:
        client.get(timeout=wait)
    except queue.Empty:
        return True
    return False
