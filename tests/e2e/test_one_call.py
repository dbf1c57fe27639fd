"""Drill 1: one call from intake to feedback through the hub and a real terminal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from gateway.devices.simulators import PrinterSimulator
from hub.config import load_config
from hub.runtime import Hub
from tests.e2e import api
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.terminals import buzzer_states, gateway
from tests.support.wait import wait_for
from wire.clock import SystemClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_one_call_from_intake_to_feedback(
    make_county: Callable[[list[str]], County], running: Running
) -> None:
    county = make_county(["power-co"])
    printer = PrinterSimulator().start()
    running.add(printer.stop)
    hub = Hub(load_config(county.hub_toml))
    hub.start()
    running.add(hub.stop)
    gw = gateway(county, "power-co", SystemClock(), printer=printer.url)
    gw.start()
    running.add(gw.stop)
    wait_for(gw.link.connected.is_set, what="the terminal to connect")

    status, incident = api.post_incident(hub.url, county.intake_key, api.incident_data("J1"))
    assert status == 201
    [order] = incident["orders"]
    assert order["unit"] == "power-co"
    order_id = order["id"]

    # The terminal stores the order, alarms and prints it.
    wait_for(lambda: gw.alarm.active, what="the alarm")
    assert gw.alarm.pattern == "urgent"  # a power cut's default priority
    wait_for(lambda: True in buzzer_states(gw), 3, "the buzzer to sound")
    paper = wait_for(
        lambda: "社会应急联动指令单" in (t := printer.text()) and "反馈时限" in t and t,
        what="the slip",
    )
    assert "地址：妥甸镇 东街 12 号" in paper
    assert f"单号：{order_id}" in paper
    assert "报警电话：138****5678" in paper
    assert "13812345678" not in paper  # never the full number on paper
    assert "13812345678".encode("gb18030") not in bytes(printer.received)
    wait_for(lambda: hub.desk.order(order_id).state == "received", what="received at the hub")

    # The duty room presses 签收 on the panel: the buzzer stops.
    gw.press("ack")
    wait_for(lambda: not gw.alarm.active, 3, "the alarm to stop")
    assert buzzer_states(gw)[-1] is False
    assert gw.pins.buzzer.value == 0 and gw.pins.light.value == 0
    wait_for(lambda: hub.desk.order(order_id).state == "acknowledged", what="the ack")

    gw.press("arrive")
    wait_for(lambda: hub.desk.order(order_id).state == "arrived", what="the arrival")
    gw.feedback(order_id, "resolved", "线路已抢修，恢复供电。")
    wait_for(lambda: hub.desk.order(order_id).state == "fed_back", what="the feedback")
    assert not gw.alarm.active and buzzer_states(gw)[-1] is False

    # The hub's timeline, read through the signed API as the 110 side would read it.
    view = api.get(hub.url, county.intake_key, f"/api/v1/incidents/{incident['id']}")
    events = [e for e in view["timeline"] if e["order_id"] == order_id]
    # the receipt chain: the terminal says it sounded the alarm and printed the slip
    chain = [e for e in events if e["type"] in ("alarmed", "printed")]
    assert sorted((e["type"], e["detail"]["rev"]) for e in chain) == [
        ("alarmed", 1),
        ("printed", 1),
    ]
    assert {e["source"] for e in chain} == {"unit:power-co"}
    events = [e for e in events if e not in chain]
    kinds = [e["type"] for e in events]
    assert kinds == ["dispatched", "received", "ack", "arrived", "feedback"], kinds
    assert [e["source"] for e in events] == ["intake"] + ["unit:power-co"] * 4
    ats = [datetime.fromisoformat(e["at"]) for e in events]
    assert ats == sorted(ats) and all(a.tzinfo is not None for a in ats)
    assert ats[-1] <= datetime.now(UTC)
    assert events[2]["detail"]["via"] == "button"
    assert events[3]["detail"]["via"] == "button"
    assert events[4]["detail"]["text"] == "线路已抢修，恢复供电。"
    [shown] = view["orders"]
    assert shown["state"] == "fed_back" and shown["overdue"] == []
    assert view["caller_phone_masked"] == "138****5678"
    assert gw.outbox.depth() == 0 or wait_for(
        lambda: gw.outbox.depth() == 0, what="every report receipted"
    )
