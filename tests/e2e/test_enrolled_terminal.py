"""Drill: a terminal that enrolled itself (key made on the terminal, one-time token, the
hub's enrollment endpoint) connects to the county's broker with the issued certificate and
gets an order; the hub believes its signed reports.

The real hub process listens on plain HTTP (in production nginx in front terminates HTTPS;
tests/gateway/test_enroll.py covers the client over TLS), so this drill uses the client's
`--insecure-http`, which exists for exactly this."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli_w
from click.testing import CliRunner
from gpiozero.pins.mock import MockFactory

from demo.broker import free_port
from gateway.cli import main as gateway_cli
from gateway.config import load_config
from gateway.devices.simulators import PrinterSimulator
from gateway.terminal import Gateway
from hub.config import load_config as load_hub_config
from hub.runtime import Hub
from provisioning.cli import main as provision
from tests.e2e import api
from tests.e2e.conftest import Running
from tests.e2e.county import County
from tests.support.wait import wait_for
from wire.clock import SystemClock

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_an_enrolled_terminal_connects_and_gets_an_order(
    make_county: Callable[[list[str]], County], running: Running, tmp_path: Path
) -> None:
    county = make_county(["power-co"])
    hub = Hub(load_hub_config(county.hub_toml))
    hub.start()
    running.add(hub.stop)
    token = tmp_path / "liandong-token.json"
    made = CliRunner().invoke(
        provision,
        ["token", "power-co", "--dir", str(county.pki), "--out", str(token), "--hub-url", hub.url],
    )
    assert made.exit_code == 0, made.output
    bundle = tmp_path / "terminal"
    r = CliRunner().invoke(
        gateway_cli,
        ["enroll", "--token-file", str(token), "--dir", str(bundle), "--insecure-http"],
    )
    assert r.exit_code == 0, r.output

    printer = PrinterSimulator().start()
    running.add(printer.stop)
    path = bundle / "gateway.toml"
    data = tomllib.loads(path.read_text())
    data["kiosk"]["listen"] = f"127.0.0.1:{free_port()}"  # a shared test host
    data["printer"]["port"] = printer.url
    path.write_text(tomli_w.dumps(data))
    gw = Gateway(load_config(path), SystemClock(), pin_factory=MockFactory(), print_retry_s=0.2)
    gw.start()
    running.add(gw.stop)
    wait_for(gw.link.connected.is_set, what="the enrolled terminal to connect with its own key")

    status, incident = api.post_incident(hub.url, county.intake_key, api.incident_data("J9"))
    assert status == 201
    order_id = incident["orders"][0]["id"]
    wait_for(lambda: any(o.order_id == order_id for o in gw.orders.all()), what="the order")
    # the hub verified the `received` signed with the key made on the terminal
    wait_for(lambda: hub.desk.order(order_id).state == "received", what="received at the hub")
    wait_for(lambda: "社会应急联动指令单" in printer.text(), what="the slip")
