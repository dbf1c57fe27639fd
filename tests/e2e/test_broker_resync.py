"""A broker killed -9 that comes back without its state: a report the terminal published
before the hub had subscribed again reached no one. The hub's link comes back without a
session, so it sends every unit a `resync`, and the report is applied in seconds, not on
the terminal's 30 s resend timer (production figure, kept here)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from hub.config import load_config
from hub.runtime import Hub
from tests.e2e import api
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.terminals import gateway, holds
from tests.support.wait import wait_for
from wire.clock import SystemClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]

HUB_RECONNECT_S = 3
"""The hub reconnects after the terminal (1 s), so the terminal's ack reaches no one."""
WITHIN_S = 10.0


def _state(hub: Hub, order_id: str) -> str:
    row = hub.store.one("SELECT state FROM orders WHERE id=?", (order_id,))
    return str(row["state"]) if row else ""


def test_reports_lost_with_the_brokers_state_come_back_in_seconds(
    make_county: Callable[[list[str]], County], running: Running
) -> None:
    county = make_county(["power-co"])
    hub = Hub(load_config(county.hub_toml))
    hub.start()
    running.add(hub.stop)
    gw = gateway(county, "power-co", SystemClock(), printer="loop://")
    assert gw.sender.base_resend_s == 30.0, "the production resend timer"
    gw.start()
    running.add(gw.stop)
    wait_for(lambda: gw.link.connected.is_set() and hub.link.subscribed.is_set())
    status, body = api.post_incident(hub.url, county.intake_key, api.incident_data("R-1"))
    assert status == 201
    order_id = body["orders"][0]["id"]
    wait_for(lambda: holds(gw, order_id) and _state(hub, order_id) == "received", 15)
    wait_for(lambda: gw.outbox.depth() == 0, what="`received` receipted")

    hub.link.client.reconnect_delay_set(HUB_RECONNECT_S, HUB_RECONNECT_S)
    county.broker.stop(kill=True)
    for f in county.broker.config.parent.rglob("*.db"):
        f.unlink()  # whatever it saved is gone too: the broker comes back empty
    assert gw.acknowledge(None, "button") == [order_id]  # queued while the broker is down
    county.broker.start()
    restarted = time.monotonic()
    wait_for(lambda: gw.link.connected.is_set(), 10, "the terminal to reconnect")
    wait_for(lambda: hub.link.subscribed.is_set(), 15, "the hub to subscribe again")
    wait_for(lambda: _state(hub, order_id) == "acknowledged", 25, "the ack to reach the hub")
    took = time.monotonic() - restarted
    assert took < WITHIN_S, f"the ack came back after {took:.1f} s (resend timer, no resync)"
    wait_for(lambda: gw.outbox.depth() == 0, 10, "the ack receipted")
    events = hub.store.query("SELECT count(*) AS n FROM events WHERE type='ack'")
    assert events[0]["n"] == 1
