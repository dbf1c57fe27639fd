"""Issue 11, case 3: ESC/POS commands hidden in an order's text never reach the printer.

Three layers, each tested here: the hub refuses control characters at intake (tests/hub),
the wire contract refuses them in an order's text (so a signed hostile order is dropped by
the terminal, first test), and the terminal strips any that still reach its order handler
(an older hub, a future kind: second test). In the second test both orders are stored,
spooled and printed on the printer simulator the real way; the hostile order's bytes must
equal those of a clean order whose text is what is left once the controls are gone: the
only ESC/POS commands on the paper are the ones our own layout sends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from demo.broker import Broker
from gateway.devices.printer import Printer, PrinterConfig
from gateway.devices.simulators import PrinterSimulator
from gateway.devices.slip import order_slip
from gateway.health.screen import order_view
from gateway.state.orders import OrderView
from gateway.terminal import Gateway
from tests.gateway.conftest import COUNTY, UNIT, Hub, TerminalFiles, order_body
from tests.support.wait import wait_for
from wire import topics
from wire.clock import rfc3339
from wire.ids import new_id
from wire.kinds import OrderBody
from wire.signing import canonical

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


def _signed_anyway(hub: Hub, order: OrderBody) -> bytes:
    """A hostile order signed with the hub's key without `encode`'s contract check, as a
    hub that predates the check (or a bug) would send it."""
    obj: dict[str, Any] = {
        "v": 1,
        "id": new_id(),
        "kind": "order",
        "unit": UNIT,
        "at": rfc3339(datetime.now().astimezone()),
        "body": msgspec.to_builtins(order),
    }
    obj["sig"] = hub.signer.sign(canonical(obj))
    return canonical(obj)


def _print(
    gw: Gateway, printer: PrinterSimulator, order: OrderBody, send: Callable[[OrderBody], None]
) -> bytes:
    """Send one order and return the bytes that reached the paper for it."""
    before = len(printer.received)
    send(order)

    def done() -> bool:
        stored = any(o.order_id == order.order_id for o in gw.orders.all())
        return stored and gw.health().unprinted == 0

    wait_for(done, 10, f"order {order.order_id} stored and printed")
    wait_for(lambda: bytes(printer.received).endswith(b"\x1dV\x00"), 5, "the cut")
    return bytes(printer.received[before:])


def test_control_bytes_in_order_text_never_reach_the_printer_or_the_screen(
    printer_sim: PrinterSimulator,
) -> None:
    """Past the contract (an order stored by an older version): the slip writer, the
    printer's byte encoder and the kiosk's view strip what is left."""
    printer = Printer(PrinterConfig(port=printer_sim.url))
    now = datetime.now(UTC)

    def paper(order: OrderBody) -> bytes:
        before = len(printer_sim.received)
        printer.print_slip(order_slip(order, now))
        wait_for(lambda: bytes(printer_sim.received).endswith(b"\x1dV\x00"), 5, "the cut")
        return bytes(printer_sim.received[before:])

    clean = paper(_order(CLEAN_ID, **RESIDUE))
    hostile = paper(_order(HOSTILE_ID, **HOSTILE))
    printer.close()

    for command in (RESET, CUT, UPSIDE_DOWN, CODE_PAGE, PULSE):
        assert hostile.count(command.encode("latin-1")) == clean.count(command.encode("latin-1"))
    assert hostile.count(b"\x1b@") == 1, "one reset: our own, at the start of the slip"
    assert b"\x10\x14" not in hostile and b"\x1b{\x01" not in hostile
    assert hostile.replace(HOSTILE_ID.encode(), CLEAN_ID.encode()) == clean
    text = printer_sim.text()
    assert "概要：@整条街停电，V有老人{使用制氧机。t\n第二行 DEL C1\n" in text
    assert "地址：妥甸镇 东街 12 号@\n" in text

    view = OrderView(_order(HOSTILE_ID, **HOSTILE), "open", None, None, None, None, None, True)
    shown = order_view(view, now)
    assert not CONTROL.search(repr(shown)), repr(CONTROL.findall(repr(shown)))
    assert shown["summary"] == RESIDUE["summary"]
    assert shown["address"] == RESIDUE["address"]
    assert shown["category"] == RESIDUE["category_name"]


def test_a_signed_order_carrying_control_bytes_is_refused_by_the_terminal(
    files: TerminalFiles,
    broker: Broker,
    hub: Hub,
    printer_sim: PrinterSimulator,
    make_gateway: Callable[..., Gateway],
) -> None:
    files.printer_url = printer_sim.url
    files.broker_port = broker.port
    gw = make_gateway(files.config())
    wait_for(gw.link.subscribed.is_set, 10, "the terminal to connect and subscribe")
    hub.client.publish(
        topics.down(COUNTY, UNIT), _signed_anyway(hub, _order(HOSTILE_ID, **HOSTILE))
    )
    # The broker keeps order on one topic: once the clean order is stored, the hostile one
    # before it has been handled.
    _print(gw, printer_sim, _order(CLEAN_ID, **RESIDUE), lambda o: hub.send("order", o) and None)
    assert [o.order_id for o in gw.orders.all()] == [CLEAN_ID]
    assert b"\x10\x14" not in bytes(printer_sim.received)
