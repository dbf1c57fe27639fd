"""Issue 11, case 3: ESC/POS commands hidden in an order's text never reach the printer.

The hub refuses control characters at intake; the terminal must still strip any that
arrive. Both orders go the real way: signed by the test hub key, through a real
Mosquitto, stored, spooled and printed on the printer simulator. The hostile order's
bytes must equal those of a clean order whose text is what is left once the controls are
gone: the only ESC/POS commands on the paper are the ones our own layout sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec
import pytest

from demo.broker import Broker
from gateway.kiosk import create_app
from gateway.simulators import PrinterSimulator
from gateway.terminal import Gateway
from tests.gateway.conftest import Hub, TerminalFiles, order_body
from tests.support.wait import wait_for
from wire.kinds import OrderBody

pytestmark = pytest.mark.broker

CLEAN_ID = "01JORDER00000000000CLEAN"
HOSTILE_ID = "01JORDER0000000000HOSTIL"  # same length: the QR code's header is the same

RESET, CUT, UPSIDE_DOWN, CODE_PAGE, PULSE = (
    "\x1b@",
    "\x1dV\x00",
    "\x1b{\x01",
    "\x1bt\x10",
    "\x10\x14\x01\x00\x05",
)
HOSTILE = {
    "summary": f"{RESET}整条街停电，{CUT}有老人{UPSIDE_DOWN}使用制氧机。{CODE_PAGE}{PULSE}"
    "\r\n\r\n\r\n\x0c\x0b第二行\x07\tDEL\x7f C1\x9b\x85",
    "address": f"妥甸镇\x7f 东街\x9b 12 号{RESET}\n\r",
    "note": f"请{PULSE}尽快\x00到场{CUT}",
    "category_name": f"停电{UPSIDE_DOWN}",
}
RESIDUE = {  # what a person would have typed to see the same paper
    "summary": "@整条街停电，V有老人{使用制氧机。t\n第二行 DEL C1",
    "address": "妥甸镇 东街 12 号@",
    "note": "请尽快到场V",
    "category_name": "停电{",
}
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Any C0 control but the page's own newlines and tabs, DEL, any C1 control."""


def _order(order_id: str, **text: str) -> OrderBody:
    return msgspec.structs.replace(order_body(order_id), **text)


def _print(gw: Gateway, hub: Hub, printer: PrinterSimulator, order: OrderBody) -> bytes:
    """Send one signed order and return the bytes that reached the paper for it."""
    before = len(printer.received)
    hub.send("order", order)

    def done() -> bool:
        stored = any(o.order_id == order.order_id for o in gw.orders.all())
        return stored and gw.health().unprinted == 0

    wait_for(done, 10, f"order {order.order_id} stored and printed")
    wait_for(lambda: bytes(printer.received).endswith(b"\x1dV\x00"), 5, "the cut")
    return bytes(printer.received[before:])


def test_control_bytes_in_order_text_never_reach_the_printer_or_the_kiosk(
    files: TerminalFiles,
    broker: Broker,
    hub: Hub,
    printer_sim: PrinterSimulator,
    make_gateway: Callable[..., Gateway],
) -> None:
    files.printer_url = printer_sim.url
    files.broker_port = broker.port
    gw = make_gateway(files.config())
    wait_for(gw.link.connected.is_set, 10, "the terminal to connect")

    clean = _print(gw, hub, printer_sim, _order(CLEAN_ID, **RESIDUE))
    hostile = _print(gw, hub, printer_sim, _order(HOSTILE_ID, **HOSTILE))

    for command in (RESET, CUT, UPSIDE_DOWN, CODE_PAGE, PULSE):
        assert hostile.count(command.encode("latin-1")) == clean.count(command.encode("latin-1"))
    assert hostile.count(b"\x1b@") == 1, "one reset: our own, at the start of the slip"
    assert b"\x10\x14" not in hostile and b"\x1b{\x01" not in hostile
    assert hostile.replace(HOSTILE_ID.encode(), CLEAN_ID.encode()) == clean
    paper = printer_sim.text()
    assert "概要：@整条街停电，V有老人{使用制氧机。t\n第二行 DEL C1\n" in paper
    assert "地址：妥甸镇 东街 12 号@\n" in paper

    client = create_app(gw, {"WTF_CSRF_ENABLED": False}).test_client()
    page = client.get("/").get_data(as_text=True)
    assert HOSTILE_ID in page and "使用制氧机" in page
    assert not CONTROL.search(page), repr(CONTROL.findall(page))
    [shown] = [
        o for o in client.get("/status.json").get_json()["orders"] if o["order_id"] == HOSTILE_ID
    ]
    assert shown["summary"] == RESIDUE["summary"]
    assert shown["address"] == RESIDUE["address"]
    assert shown["category"] == RESIDUE["category_name"]
