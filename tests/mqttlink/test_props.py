"""paho's MQTT 5 properties decoded with shared tables (mqttlink/props.py): the same
properties as paho's own class decodes, still checked on assignment."""

from __future__ import annotations

import struct

import pytest
from paho.mqtt import _packet
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import MQTTException, Properties

from mqttlink.props import SharedTablesProperties, share_tables


def _publish(props: Properties, payload: bytes) -> bytes:
    """A QoS 1 PUBLISH's variable header and payload, as the broker sends it."""
    topic = b"ld/v1/shuangbai/power-co/up"
    return struct.pack("!H", len(topic)) + topic + struct.pack("!H", 7) + props.pack() + payload


def test_decoded_properties_match_pahos_own() -> None:
    sent = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    sent.MessageExpiryInterval = 30
    sent.UserProperty = ("unit", "power-co")
    packet = _publish(sent, b"{}")
    before = _packet.decode_publish(0x32, packet, 5)  # paho's own class, or already shared
    assert share_tables() is True and share_tables() is True  # idempotent
    after = _packet.decode_publish(0x32, packet, 5)
    again = _packet.decode_publish(0x32, packet, 5)
    assert type(after.properties) is SharedTablesProperties
    assert after.properties is not None and before.properties is not None
    assert after.properties.json() == before.properties.json() == sent.json()
    assert after.payload == b"{}" and after.mid == 7
    assert again.properties is not None and again.properties.names is after.properties.names
    # what is set on one decoded packet stays on it
    after.properties.ContentType = "application/json"
    assert not hasattr(again.properties, "ContentType")
    # paho's checks on assignment still apply
    with pytest.raises(MQTTException):
        after.properties.SessionExpiryInterval = 1  # a CONNECT property, not a PUBLISH one
    with pytest.raises(MQTTException):
        after.properties.NoSuchProperty = 1
