"""Drill: a terminal revoked while it is connected gets nothing more from the hub, and the
console says 已吊销 (issue 11, case 8).

The county is provisioned and its broker started from its own generated configuration (CRL,
ACL); the hub is the real one from hub.toml, on a FakeClock so "within a minute" is a minute
of the hub's clock. The water company's terminal is stolen: whoever holds it keeps the MQTT
session that was open before `revoke` (Mosquitto checks the CRL only when a connection is
made, docs/security.md), so it is watched here with a plain client on the unit's own
certificate, which sees everything the broker hands that session. The power company's real
gateway shows that the other units are unaffected.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from hub.config import load_config
from hub.runtime import Hub
from provisioning.revocation import revoke
from tests.e2e import api
from tests.e2e.conftest import Running
from tests.e2e.county import COUNTY, County
from tests.e2e.terminals import gateway, holds
from tests.hub.console.conftest import login, make_user
from tests.provisioning.mqtt_helpers import nothing_arrives
from tests.support.mqtt import MqttTestClient
from tests.support.wait import wait_for
from wire import topics
from wire.clock import FakeClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]
WATER = {"category": "water-main-burst", "summary": "东街水管爆裂，路面积水。"}


def _subscriber(county: County, unit: str) -> MqttTestClient:
    """The stolen terminal: the unit's own certificate and key, subscribed to its orders."""
    bundle = county.bundle(unit)
    client = MqttTestClient(
        "127.0.0.1",
        county.broker.port,
        bundle / "ca.crt",
        bundle / "unit.crt",
        bundle / "unit.key",
        unit,
    ).connect()
    client.subscribe(topics.down(COUNTY, unit))
    return client


def _dispatch(hub: Hub, county: County, source_id: str, **over: str) -> str:
    """A call through the HTTP API, as 110 sends it; the id of its (single) order."""
    status, incident = api.post_incident(
        hub.url, county.intake_key, api.incident_data(source_id, **over)
    )
    assert status == 201
    [order] = incident["orders"]
    return str(order["id"])


def _row(page: str, attribute: str) -> str:
    """The table row of a page carrying `attribute` (e.g. `data-unit="water-co"`)."""
    found = re.search(rf"<tr[^>]*{re.escape(attribute)}[^>]*>.*?</tr>", page, re.S)
    assert found, f"no row with {attribute}"
    return found.group(0)


def _revocations(hub: Hub, unit: str) -> int:
    row = hub.store.one("SELECT count(*) AS n FROM events WHERE type='revoked' AND unit=?", (unit,))
    return int(row["n"]) if row else 0


def _let_the_hub_run(hub: Hub, seconds: float, until: Callable[[], bool]) -> None:
    """Real seconds for the hub's loops to act on what just changed (no failure here: the
    assertions after it say what must have happened)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        time.sleep(0.05)


def test_a_revoked_terminal_gets_nothing_more_and_the_console_says_revoked(
    make_county: Callable[[list[str]], County], running: Running
) -> None:
    county = make_county(["power-co", "water-co"])
    clock = FakeClock(datetime.now(UTC))  # certificates are judged by the real time
    hub = Hub(load_config(county.hub_toml), clock=clock)
    hub.start()
    running.add(hub.stop)
    wait_for(hub.link.connected.is_set, what="the hub to connect")
    power = gateway(county, "power-co", clock)
    power.start()
    running.add(power.stop)
    thief = _subscriber(county, "water-co")
    running.add(thief.close)
    wait_for(power.link.connected.is_set, what="power-co's terminal to connect")

    # Before the revocation the water company's terminal gets its orders like any other.
    first = _dispatch(hub, county, "W1", **WATER)
    _, raw = thief.get(timeout=10)
    assert json.loads(raw)["body"]["order_id"] == first

    # The terminal is stolen: the county revokes it and reloads the broker.
    revoke(county.pki, "water-co", reason="terminal stolen")
    county.broker.reload()
    clock.advance(60)
    _let_the_hub_run(hub, 10, lambda: _revocations(hub, "water-co") > 0)

    second = _dispatch(hub, county, "W2", **WATER)
    other = _dispatch(hub, county, "P1")
    wait_for(lambda: holds(power, other), 10, "power-co's terminal to store its order")
    wait_for(lambda: hub.desk.order(other).state == "received", 10, "power-co's receipt")
    assert nothing_arrives(thief, 2.0), "the revoked terminal still receives the hub's orders"
    sent = hub.store.one("SELECT attempts, last_sent_at FROM outbox WHERE order_id=?", (second,))
    assert sent is not None and sent["attempts"] == 0 and sent["last_sent_at"] is None
    # Mosquitto kept the session open across the reload: the hub's refusal is what counts.
    assert thief.connected.is_set() and not thief.disconnected.is_set()

    # The console says 已吊销 on the units page and beside the unit's orders on the board.
    console = hub.app.test_client()
    make_user(hub.desk, "duty", "operator")
    assert login(console, "duty").status_code == 302
    units = console.get("/units").get_data(as_text=True)
    assert "已吊销" in _row(units, 'data-unit="water-co"')
    assert "已吊销" not in _row(units, 'data-unit="power-co"')
    board = console.get("/").get_data(as_text=True)
    assert "已吊销" in _row(board, f'data-order="{second}"')
    assert "已吊销" not in _row(board, f'data-order="{other}"')

    # One event records it, however often the CRL is read again.
    clock.advance(180)
    time.sleep(1.5)
    assert _revocations(hub, "water-co") == 1
    assert _revocations(hub, "power-co") == 0
