"""Making, starting and stopping a paho-mqtt 2.x client the way both links need it.

- MQTT 5 with paho's VERSION2 callback API, over a TLS context the caller built (each
  side reports a bad certificate file in its own words);
- manual acknowledgement by default: paho would otherwise acknowledge a QoS 1 message when
  `on_message` returns, and a receiver must acknowledge only after its database commit;
- a persistent session: clean start off and a `SessionExpiryInterval` in the CONNECT
  properties. paho sends no session expiry unless told to, and with MQTT 5 the session
  then ends at disconnect, so the broker would queue nothing while a side is away;
- `stop` also closes paho's wake-up socket pair, which paho closes only in `__del__`: a
  reference cycle can postpone that past interpreter shutdown (an "unclosed socket"
  ResourceWarning, an error under the test suite's warning filter).
"""

from __future__ import annotations

import ssl
from typing import Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mqttlink.props import share_tables

SESSION_EXPIRY_S: Final = 7 * 24 * 3600
"""How long the broker keeps a disconnected side's session and queue: a week."""


def make_client(client_id: str, tls: ssl.SSLContext, *, manual_ack: bool = True) -> mqtt.Client:
    """An MQTT 5 client with this id over `tls`; not connected yet. Its packets' MQTT 5
    properties share paho's lookup tables (mqttlink/props.py)."""
    share_tables()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )
    client.tls_set_context(tls)
    return client


def session_properties(expiry_s: int = SESSION_EXPIRY_S) -> Properties:
    """CONNECT properties asking the broker to keep the session `expiry_s` seconds."""
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = expiry_s
    return props


def start(
    client: mqtt.Client,
    host: str,
    port: int,
    *,
    keepalive: int,
    session_expiry_s: int = SESSION_EXPIRY_S,
) -> None:
    """Connect in the background with a persistent session and start paho's thread.

    `connect_async`: the first attempt, and every reconnect, happens on paho's thread, so a
    side starts (and can alarm, print, serve its console) while the broker is away.
    """
    client.connect_async(
        host,
        port,
        keepalive=keepalive,
        clean_start=False,
        properties=session_properties(session_expiry_s),
    )
    client.loop_start()


def stop(client: mqtt.Client) -> None:
    """Disconnect, stop paho's thread and close its sockets now."""
    client.disconnect()
    client.loop_stop()
    release_sockets(client)


def release_sockets(client: mqtt.Client) -> None:
    """Close paho's wake-up socket pair (see the module docstring); safe to call twice."""
    client._reset_sockets()
