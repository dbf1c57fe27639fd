"""Drill: the slip cannot print (paper out). The hub hears it at once, with the reason, on
the incident's timeline; once paper is back the slip prints and the hub hears that too.
Real broker with mutual TLS, real hub, real terminal, the printer simulated at the edge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gateway.devices.simulators import PrinterSimulator
from hub.config import load_config
from hub.runtime import Hub
from tests.e2e import api
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.e2e.terminals import gateway
from tests.support.wait import wait_for
from wire.clock import SystemClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_paper_out_reaches_the_hub_at_once_then_the_print(
    make_county: Callable[[list[str]], County], running: Running
) -> None:
    county = make_county(["power-co"])
    printer = PrinterSimulator().start()
    running.add(printer.stop)
    printer.paper = False
    hub = Hub(load_config(county.hub_toml))
    hub.start()
    running.add(hub.stop)
    gw = gateway(county, "power-co", SystemClock(), printer=printer.url)
    gw.start()
    running.add(gw.stop)
    wait_for(gw.link.connected.is_set, what="the terminal to connect")

    status, incident = api.post_incident(hub.url, county.intake_key, api.incident_data("J2"))
    assert status == 201
    [order] = incident["orders"]

    def chain() -> list[dict[str, Any]]:
        view = api.get(hub.url, county.intake_key, f"/api/v1/incidents/{incident['id']}")
        return [
            e
            for e in view["timeline"]
            if e["order_id"] == order["id"] and e["type"] in ("alarmed", "printed", "print_failed")
        ]

    wait_for(lambda: len(chain()) == 2, what="alarmed and print_failed at the hub")
    failed = next(e for e in chain() if e["type"] == "print_failed")
    assert failed["detail"] == {"rev": 1, "reason": "paper_out"}
    assert failed["source"] == "unit:power-co"
    assert hub.desk.order(order["id"]).state == "received"  # the failure moved nothing

    printer.paper = True
    wait_for(lambda: len(chain()) == 3, what="printed at the hub")
    assert chain()[-1]["type"] == "printed" and "社会应急联动指令单" in printer.text()
    wait_for(lambda: gw.outbox.depth() == 0, what="every report receipted")
    assert len(chain()) == 3  # receipted once, applied once
