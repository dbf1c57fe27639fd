"""The generated ACL, against a real Mosquitto started from the generated config."""

from __future__ import annotations

import queue
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from demo.broker import Broker
from provisioning import pki
from provisioning.enroll import make_csr
from provisioning.tokens import create_token, redeem
from tests.provisioning.conftest import COUNTY
from tests.provisioning.mqtt_helpers import (
    client_as,
    connect_persistent,
    nothing_arrives,
)
from tests.support.mqtt import MqttTestClient

pytestmark = pytest.mark.broker
BASE = f"ld/v1/{COUNTY}"


def test_unit_receives_its_own_orders(county_broker: Broker, county: Path) -> None:
    unit = client_as(county_broker, county, "power-co").connect()
    hub = client_as(county_broker, county, "hub").connect()
    try:
        unit.subscribe(f"{BASE}/power-co/down")
        hub.publish(f"{BASE}/power-co/down", b"order")
        assert unit.get() == (f"{BASE}/power-co/down", b"order")
    finally:
        unit.close()
        hub.close()


def test_unit_cannot_read_another_units_orders(county_broker: Broker, county: Path) -> None:
    spy = client_as(county_broker, county, "water-co").connect()
    owner = client_as(county_broker, county, "power-co").connect()
    hub = client_as(county_broker, county, "hub").connect()
    try:
        spy.subscribe(f"{BASE}/power-co/down")
        spy.subscribe(f"{BASE}/+/down")
        owner.subscribe(f"{BASE}/power-co/down")
        hub.publish(f"{BASE}/power-co/down", b"secret order")
        assert owner.get() == (f"{BASE}/power-co/down", b"secret order")
        assert nothing_arrives(spy)
    finally:
        for c in (spy, owner, hub):
            c.close()


@pytest.mark.parametrize("channel", ["up", "state"])
def test_unit_cannot_write_another_units_reports(
    county_broker: Broker, county: Path, channel: str
) -> None:
    hub = client_as(county_broker, county, "hub").connect()
    forger = client_as(county_broker, county, "water-co").connect()
    try:
        hub.subscribe(f"{BASE}/+/{channel}")
        forger.publish(f"{BASE}/power-co/{channel}", b"forged")
        forger.publish(f"{BASE}/water-co/{channel}", b"own")
        # The unit's own report arrives (the control); the forged one never does.
        assert hub.get() == (f"{BASE}/water-co/{channel}", b"own")
        assert nothing_arrives(hub)
    finally:
        hub.close()
        forger.close()


def test_unit_cannot_write_orders_or_read_reports(county_broker: Broker, county: Path) -> None:
    unit = client_as(county_broker, county, "power-co").connect()
    other = client_as(county_broker, county, "water-co").connect()
    try:
        other.subscribe(f"{BASE}/water-co/down")
        unit.subscribe(f"{BASE}/+/up")
        unit.publish(f"{BASE}/water-co/down", b"fake order")
        unit.publish(f"{BASE}/power-co/down", b"fake order to itself")
        other.publish(f"{BASE}/water-co/up", b"report")
        assert nothing_arrives(other)
        assert nothing_arrives(unit)
    finally:
        unit.close()
        other.close()


def test_unit_cannot_take_another_units_session_or_queued_orders(
    county_broker: Broker, county: Path
) -> None:
    owner = connect_persistent(client_as(county_broker, county, "power-co"))
    owner.subscribe(f"{BASE}/power-co/down")
    owner.close()
    hub = client_as(county_broker, county, "hub").connect()
    try:
        hub.publish(f"{BASE}/power-co/down", b"queued order")
        thief = connect_persistent(client_as(county_broker, county, "water-co", "power-co"))
        try:
            assert nothing_arrives(thief, wait=1.0)
        finally:
            thief.close()
        owner = connect_persistent(client_as(county_broker, county, "power-co"))
        assert owner.get() == (f"{BASE}/power-co/down", b"queued order")
        # And a connected owner is not kicked off by a second client claiming its id.
        intruder = client_as(county_broker, county, "water-co", "power-co").connect()
        intruder.close()
        assert not owner.disconnected.is_set()
        assert owner.client.is_connected()
        owner.close()
    finally:
        hub.close()


def test_tracker_writes_only_its_own_topic(county_broker: Broker, county: Path) -> None:
    hub = client_as(county_broker, county, "hub").connect()
    tracker = client_as(county_broker, county, "power-co/trackers/van-1").connect()
    try:
        hub.subscribe(f"{BASE}/#")
        tracker.publish(f"{BASE}/power-co/trackers/van-2", b"other tracker")
        tracker.publish(f"{BASE}/water-co/trackers/van-1", b"other unit")
        tracker.publish(f"{BASE}/power-co/up", b"pretending to be the unit")
        tracker.publish(f"{BASE}/power-co/state", b"pretending to be the unit")
        tracker.publish(f"{BASE}/power-co/trackers/van-1", b'{"_type":"location"}')
        assert hub.get() == (f"{BASE}/power-co/trackers/van-1", b'{"_type":"location"}')
        assert nothing_arrives(hub)
    finally:
        hub.close()
        tracker.close()


def test_gateway_may_relay_its_own_trackers(county_broker: Broker, county: Path) -> None:
    hub = client_as(county_broker, county, "hub").connect()
    unit = client_as(county_broker, county, "power-co").connect()
    try:
        hub.subscribe(f"{BASE}/+/trackers/+")
        unit.publish(f"{BASE}/water-co/trackers/van-1", b"not its tracker")
        unit.publish(f"{BASE}/power-co/trackers/van-1", b"relayed")
        assert hub.get() == (f"{BASE}/power-co/trackers/van-1", b"relayed")
        assert nothing_arrives(hub)
    finally:
        hub.close()
        unit.close()


def _plain_port(broker: Broker) -> int:
    lines = broker.config.read_text().splitlines()
    return int([ln for ln in lines if ln.startswith("listener ")][-1].split()[1])


def test_the_hub_can_clear_a_retained_message_a_unit_left_on_its_up(
    county_broker: Broker, county: Path
) -> None:
    """Mosquitto's ACL file cannot refuse the retain flag per topic, so a unit can leave a
    retained message on its own `up`; the hub's readwrite on the county lets it clear it
    (an empty retained message), which is what the hub does (hub/reports.py)."""
    up = f"{BASE}/power-co/up"
    unit = client_as(county_broker, county, "power-co").connect()
    try:
        unit.publish(up, b"sticky", retain=True)
    finally:
        unit.close()
    hub = client_as(county_broker, county, "hub").connect()
    try:
        hub.subscribe(up)
        assert hub.get() == (up, b"sticky")  # from the retained store, at subscribe
        hub.publish(up, b"", retain=True)
        assert hub.get() == (up, b"")
        marker = f"{BASE}/power-co/state"
        hub.publish(marker, b"marker", retain=True)
        hub.client.unsubscribe(up)
        hub.client.subscribe([(up, 1), (marker, 1)])
        # The broker answers the filters in order: the marker first means `up` holds nothing.
        assert hub.get() == (marker, b"marker")
    finally:
        hub.close()


def test_plain_listener_is_loopback_monitoring_only(county_broker: Broker, county: Path) -> None:
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    mon = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="monitor", protocol=mqtt.MQTTv5)
    mon.on_message = lambda _c, _u, msg: got.put((msg.topic, bytes(msg.payload)))
    unit = client_as(county_broker, county, "power-co").connect()
    try:
        unit.subscribe(f"{BASE}/power-co/down")
        mon.connect("127.0.0.1", _plain_port(county_broker))
        mon.loop_start()
        mon.subscribe("$SYS/broker/version", qos=1)
        _topic, payload = got.get(timeout=5)
        assert payload.startswith(b"mosquitto version")
        mon.subscribe(f"{BASE}/#", qos=1)
        mon.publish(f"{BASE}/power-co/down", b"anonymous order", qos=1).wait_for_publish(5)
        assert nothing_arrives(unit)
        with pytest.raises(queue.Empty):
            got.get(timeout=0.2)
    finally:
        mon.disconnect()
        mon.loop_stop()
        mon._reset_sockets()
        unit.close()
    assert "listener" in county_broker.config.read_text()
    assert f"listener {_plain_port(county_broker)} 127.0.0.1" in county_broker.config.read_text()


def test_unit_enrolled_over_the_network_connects_without_a_broker_change(
    county_broker: Broker, county: Path
) -> None:
    """Token + CSR (the key made "on the terminal"), then straight onto the running broker:
    the ACL patterns cover a new unit, so no reload is needed."""
    token = create_token(county, "health-1")
    key = pki.new_key()
    cert_pem = redeem(county, token, make_csr(key, "health-1"))
    terminal = county / "terminal"
    pki.write_public(terminal / "unit.crt", cert_pem)
    pki.write_private(terminal / "unit.key", pki.key_pem(key))
    unit = MqttTestClient(
        county_broker.host,
        county_broker.port,
        county / "units" / "health-1" / "ca.crt",
        terminal / "unit.crt",
        terminal / "unit.key",
        client_id="health-1",
    ).connect()
    hub = client_as(county_broker, county, "hub").connect()
    try:
        unit.subscribe(f"{BASE}/health-1/down")
        hub.publish(f"{BASE}/health-1/down", b"first order")
        assert unit.get() == (f"{BASE}/health-1/down", b"first order")
    finally:
        unit.close()
        hub.close()
