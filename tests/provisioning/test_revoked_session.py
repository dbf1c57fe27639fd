"""What Mosquitto does with a session that was open when its certificate was revoked.

Mosquitto 2.0 (2.0.11 here) re-reads the CRL on SIGHUP, but only new TLS handshakes are
checked against it: on reload `mosquitto_security_apply_default` rebuilds each listener's
SSL context and re-derives the usernames of connected clients from their certificates,
without verifying those certificates again. So a stolen terminal that is connected when it
is revoked keeps its session, and keeps receiving whatever is published to its topics,
until it disconnects. These tests pin that down on the real broker (if a Mosquitto upgrade
changes it, they fail: update docs/security.md) and show what does end the session: a
restart, after which the revoked certificate cannot connect again. The hub's own refusal to
publish to a revoked unit (hub/revocation.py) is what guarantees it receives nothing more.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from demo.broker import Broker
from provisioning import pki
from provisioning.revocation import revoke, revoke_certificate
from tests.provisioning.mqtt_helpers import client_as, nothing_arrives, outcome_of_connect
from tests.support.mqtt import MqttTestClient

pytestmark = pytest.mark.broker
DOWN = "ld/v1/shuangbai/water-co/down"
REFUSED = {"tls-error", "closed"}


def _connected_unit(broker: Broker, county: Path) -> MqttTestClient:
    unit = client_as(broker, county, "water-co").connect()
    unit.subscribe(DOWN)
    return unit


def _revoke_and_reload(broker: Broker, county: Path) -> None:
    """Revoke water-co, reload, and wait until the broker uses the new CRL.

    A connection with water-co's certificate cannot show that (the broker would hand it
    water-co's session and close the one under test), so a tracker's certificate is revoked
    in the same CRL and its refusal shows the reload has taken effect."""
    revoke(county, "water-co", reason="terminal stolen")
    tracker = county / "trackers" / "power-co" / "van-1" / "tracker.crt"
    revoke_certificate(county, pki.load_cert(tracker), "power-co/trackers/van-1")
    broker.reload()
    for _ in range(50):
        if outcome_of_connect(client_as(broker, county, "power-co/trackers/van-1")) in REFUSED:
            return
        time.sleep(0.1)
    pytest.fail("the reloaded CRL never took effect")


def test_a_reload_keeps_the_revoked_units_live_session(county_broker: Broker, county: Path) -> None:
    unit = _connected_unit(county_broker, county)
    hub = client_as(county_broker, county, "hub").connect()
    try:
        _revoke_and_reload(county_broker, county)
        hub.publish(DOWN, b"after the reload")
        assert unit.get(timeout=5) == (DOWN, b"after the reload")
        assert not unit.disconnected.is_set()
    finally:
        unit.close()
        hub.close()


def test_a_restart_ends_it_and_the_revoked_certificate_stays_out(
    county_broker: Broker, county: Path
) -> None:
    unit = _connected_unit(county_broker, county)
    try:
        _revoke_and_reload(county_broker, county)
        county_broker.stop()
        county_broker.start()
        assert unit.disconnected.wait(5)
        time.sleep(2)  # paho keeps trying to reconnect; each attempt is refused
        assert not unit.client.is_connected()
        assert outcome_of_connect(client_as(county_broker, county, "water-co")) in REFUSED
        hub = client_as(county_broker, county, "hub").connect()
        hub.publish(DOWN, b"after the restart")
        assert nothing_arrives(unit, 1.0)
        hub.close()
        assert outcome_of_connect(client_as(county_broker, county, "power-co")) == "connected"
    finally:
        unit.close()
