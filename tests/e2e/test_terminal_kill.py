"""Drill 4: `liandong-gateway run` killed with -9 after it stored an order but before it
could print it (the printer is unreachable), then started again with the printer back.

The terminal must come back alarming for the unacknowledged order and print it once,
without telling the hub `received` a second time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from demo.broker import free_port
from gateway.devices.simulators import PrinterSimulator
from hub.config import load_config
from hub.runtime import Hub
from tests.e2e import api
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.procs import GatewayProcess
from tests.support.wait import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def _our_order(status: dict[str, object], order_id: str) -> dict[str, object]:
    [order] = [o for o in status["orders"] if o["order_id"] == order_id]  # type: ignore[attr-defined]
    return order  # type: ignore[no-any-return]


def test_terminal_killed_before_printing_alarms_and_prints_after_restart(
    make_county: Callable[[list[str]], County], running: Running
) -> None:
    county = make_county(["power-co"])
    printer_port = free_port()  # nothing listens there yet: the printer is unplugged
    county.set_printer("power-co", f"socket://127.0.0.1:{printer_port}")
    hub = Hub(load_config(county.hub_toml))
    hub.start()
    running.add(hub.stop)
    term = GatewayProcess(county.gateway_toml("power-co"), county.kiosk_url("power-co"))
    term.start()
    running.add(term.stop)
    running.logs["liandong-gateway"] = term.read_log
    wait_for(lambda: term.status()["link"]["connected"], 15, "the terminal to connect")

    _, incident = api.post_incident(hub.url, county.intake_key, api.incident_data("J4"))
    order_id = incident["orders"][0]["id"]
    wait_for(lambda: hub.desk.order(order_id).state == "received", 10, "received")
    status = wait_for(
        lambda: (s := term.status())["outbox"]["depth"] == 0 and s["printer"]["unprinted"] and s,
        10,
        "stored, receipted, not printed",
    )
    assert status["alarm"]["active"] and status["printer"]["state"] == "offline"
    assert _our_order(status, order_id)["alarming"]

    term.kill9()
    state = county.bundle("power-co") / "state" / "gateway.sqlite3"
    with sqlite3.connect(state) as db:  # what survived the kill
        assert db.execute("SELECT count(*) FROM orders").fetchone()[0] == 1
        jobs = db.execute("SELECT order_id, printed_at FROM prints").fetchall()
        assert jobs == [(order_id, None)]

    printer = PrinterSimulator(port=printer_port).start()  # plugged back in
    running.add(printer.stop)
    term.start()
    status = term.status()
    assert status["alarm"]["active"], "alarming again at once for the unacknowledged order"
    assert _our_order(status, order_id)["alarming"]
    paper = wait_for(lambda: "反馈时限" in (t := printer.text()) and t, 15, "the slip")
    assert paper.count("社会应急联动指令单") == 1
    assert f"单号：{order_id}" in paper and "报警电话：138****5678" in paper
    wait_for(lambda: term.status()["printer"]["unprinted"] == 0, 5, "the job marked printed")
    wait_for(lambda: term.status()["link"]["connected"], 15, "the terminal to reconnect")
    received = [e for e in hub.desk.incident(incident["id"]).timeline if e.type == "received"]
    assert len(received) == 1
