"""Drill 3: `liandong-hub serve` killed with -9 while orders and deadlines are open, then
started again as a new process.

The county runs with short receive/ack figures (4 s and 8 s, county config) so deadlines
fall due on the real clock while the hub is dead. power-co has its order and acknowledges
it while the hub is down (the report waits in the terminal's outbox and the broker);
water-co's terminal was off when its order went out, so that order is still pending and
the broker holds nothing for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from gateway.devices.simulators import PrinterSimulator
from tests.e2e import api
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.procs import HubProcess, query
from tests.e2e.terminals import gateway, holds
from tests.support.wait import wait_for
from wire.clock import SystemClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]

RECEIVE_S, ACK_S = 4, 8
LATE_AFTER_S = 2  # hub/engine.py: fired more than this after its time = late


def test_hub_killed_with_open_deadlines_restarts_with_nothing_lost(
    make_county: Callable[[list[str]], County], running: Running
) -> None:
    county = make_county(["power-co", "water-co"])
    county.short_deadlines(RECEIVE_S, ACK_S)
    clock = SystemClock()
    printers = {u: PrinterSimulator().start() for u in county.units}
    for p in printers.values():
        running.add(p.stop)
    hub = HubProcess(county.hub_toml, county.hub_url)
    hub.start()
    running.add(hub.stop)
    running.logs["liandong-hub"] = hub.read_log
    power = gateway(county, "power-co", clock, printer=printers["power-co"].url)
    power.start()
    running.add(power.stop)
    wait_for(power.link.connected.is_set, what="power-co to connect")

    _, a = api.post_incident(hub.url, county.intake_key, api.incident_data("J3-A"))
    _, b = api.post_incident(
        hub.url,
        county.intake_key,
        api.incident_data("J3-B", category="water-main-burst", summary="路口水管爆裂。"),
    )
    order_a, order_b = a["orders"][0]["id"], b["orders"][0]["id"]
    assert b["orders"][0]["unit"] == "water-co"
    db = county.hub_db
    wait_for(
        lambda: holds(power, order_a) and power.outbox.depth() == 0,
        what="power-co to hold order A, its `received` receipted",
    )
    wait_for(
        lambda: query(db, "SELECT attempts FROM outbox WHERE order_id=?", (order_b,))[0][0] > 0,
        what="order B published to nobody",
    )
    hub.kill9()
    killed = datetime.now(UTC)
    due = {
        r["order_id"] + r["name"]: datetime.fromisoformat(r["due_at"])
        for r in query(db, "SELECT order_id, name, due_at FROM deadlines")
    }
    assert killed < due[order_b + "receive"], "the hub must die before any deadline falls due"

    # While the hub is dead: power-co acknowledges in time; water-co's terminal comes up.
    assert power.acknowledge(None, "button") == [order_a]
    ack_at = power.orders.get(order_a).acked_at
    assert ack_at is not None and datetime.fromisoformat(ack_at) < due[order_a + "ack"]
    water = gateway(county, "water-co", clock, printer=printers["water-co"].url)
    water.start()
    running.add(water.stop)
    wait_for(water.link.connected.is_set, what="water-co to connect")
    assert water.orders.all() == []  # nobody holds order B: only the hub can re-send it
    last_due = max(due[order_a + "ack"], due[order_b + "ack"])
    time.sleep(max(0.0, (last_due - datetime.now(UTC)).total_seconds() + LATE_AFTER_S + 0.5))

    restarted = datetime.now(UTC)
    hub.start()  # a new process on the same database
    # Resync: water-co gets its pending order (re-sent when the hub sees it online)...
    wait_for(lambda: water.orders.all(), 15, "order B re-sent to water-co")
    assert [o.order_id for o in water.orders.all()] == [order_b]
    wait_for(lambda: water.alarm.active, what="water-co alarming")
    # ...and power-co's queued ack is applied, judged by its own signed time.
    wait_for(
        lambda: (
            api.get(hub.url, county.intake_key, f"/api/v1/incidents/{a['id']}")["orders"][0][
                "state"
            ]
            == "acknowledged"
        ),
        15,
        "the queued ack applied",
    )
    wait_for(
        lambda: (
            api.get(hub.url, county.intake_key, f"/api/v1/incidents/{b['id']}")["orders"][0][
                "state"
            ]
            == "received"
        ),
        15,
        "order B received",
    )
    wait_for(lambda: power.outbox.depth() == 0, what="power-co's ack receipted")

    # Nothing lost: both incidents, both orders, every deadline row.
    assert [r[0] for r in query(db, "SELECT count(*) FROM incidents")] == [2]
    assert [r[0] for r in query(db, "SELECT count(*) FROM orders")] == [2]
    # Escalations that fell due while the hub was down fired at start, marked late.
    fired = {
        (r["order_id"], r["name"]): r["fired_late"]
        for r in query(
            db, "SELECT order_id, name, fired_late FROM deadlines WHERE fired_at NOT NULL"
        )
    }
    # (A's receive deadline was met before the kill; B's never was.)
    assert fired == {(order_a, "ack"): 1, (order_b, "receive"): 1, (order_b, "ack"): 1}
    view_a = api.get(hub.url, county.intake_key, f"/api/v1/incidents/{a['id']}")
    view_b = api.get(hub.url, county.intake_key, f"/api/v1/incidents/{b['id']}")
    assert view_a["orders"][0]["overdue"] == []  # the ack was pressed in time
    assert view_a["orders"][0]["acked_at"] == ack_at
    assert sorted(view_b["orders"][0]["overdue"]) == ["ack", "receive"]
    late = [e for e in view_b["timeline"] if e["type"] == "overdue"]
    assert {e["detail"]["deadline"] for e in late} == {"receive", "ack"}
    assert all(e["late"] for e in late)
    assert all(datetime.fromisoformat(e["recorded_at"]) >= restarted for e in late)
    met = [
        e["detail"]["deadline"] for e in view_a["timeline"] if e["type"] == "deadline_met_in_time"
    ]
    assert met == ["ack"]
    received = [e for e in view_b["timeline"] if e["type"] == "received"]
    assert len(received) == 1 and received[0]["source"] == "unit:water-co"
