"""The receipt chain behind 签收 on the terminal: `alarmed` once the alarm pins are driven,
`printed` once the slip left the printer, `print_failed` at once with its reason; each
committed with the state change it reports, once per rev (or per reason)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from gateway.devices.simulators import PrinterSimulator
from gateway.terminal import Gateway
from tests.gateway.conftest import UNIT, TerminalFiles, order_body
from tests.support.wait import wait_for
from wire import Signer, encode
from wire.clock import FakeClock
from wire.kinds import Body

OID = "01JORDER0000000000000001"


def _down(signer: Signer, kind: str, body: Body, gw: Gateway) -> bytes:
    return encode(kind, UNIT, body, signer, at=gw.clock.now())[1]


def _chain(gw: Gateway) -> list[tuple[str, dict[str, Any]]]:
    with gw.store.read() as c:
        rows = c.execute("SELECT payload FROM outbox ORDER BY seq").fetchall()
    reports = [msgspec.json.decode(bytes(r[0])) for r in rows]
    return [
        (r["kind"], r["body"])
        for r in reports
        if r["kind"] in ("alarmed", "printed", "print_failed")
    ]


@pytest.fixture
def gw(
    files: TerminalFiles, printer_sim: PrinterSimulator, make_gateway: Callable[..., Gateway]
) -> Gateway:
    files.printer_url = printer_sim.url
    return make_gateway(files.config(), FakeClock())


def test_alarmed_and_printed_once_per_rev(gw: Gateway, hub_signer: Signer) -> None:
    gw.handle_down(_down(hub_signer, "order", order_body(OID, now=gw.clock.now()), gw))
    assert gw.alarm.active
    wait_for(lambda: len(_chain(gw)) == 2, what="alarmed and printed")
    assert _chain(gw) == [
        ("alarmed", {"order_id": OID, "rev": 1}),
        ("printed", {"order_id": OID, "rev": 1, "reprint": False}),
    ]
    assert gw.orders.get(OID).alarmed_rev == 1
    gw.alarming.refresh()  # a refresh (a command, a button) does not report again
    gw.handle_down(_down(hub_signer, "order", order_body(OID, now=gw.clock.now()), gw))
    assert len(_chain(gw)) == 2
    gw.handle_down(_down(hub_signer, "order", order_body(OID, rev=2, now=gw.clock.now()), gw))
    wait_for(lambda: len(_chain(gw)) == 4, what="the revision's alarmed and printed")
    assert _chain(gw)[2:] == [
        ("alarmed", {"order_id": OID, "rev": 2}),
        ("printed", {"order_id": OID, "rev": 2, "reprint": False}),
    ]


def test_an_acknowledged_order_revised_is_printed_but_not_alarmed(
    gw: Gateway, hub_signer: Signer
) -> None:
    gw.handle_down(_down(hub_signer, "order", order_body(OID, now=gw.clock.now()), gw))
    wait_for(lambda: len(_chain(gw)) == 2, what="alarmed and printed")
    gw.press("ack")
    gw.handle_down(_down(hub_signer, "order", order_body(OID, rev=2, now=gw.clock.now()), gw))
    wait_for(lambda: len(_chain(gw)) == 3, what="the revision printed")
    assert _chain(gw)[-1] == ("printed", {"order_id": OID, "rev": 2, "reprint": False})
    assert not gw.alarm.active and gw.orders.get(OID).alarmed_rev == 1


def test_print_failure_is_reported_at_once_with_its_reason_and_only_again_on_a_new_reason(
    gw: Gateway, hub_signer: Signer, printer_sim: PrinterSimulator
) -> None:
    printer_sim.paper = False
    gw.handle_down(_down(hub_signer, "order", order_body(OID, now=gw.clock.now()), gw))
    wait_for(lambda: "print_failed" in [k for k, _ in _chain(gw)], what="print_failed")
    kind, body = _chain(gw)[-1]
    assert kind == "print_failed"
    assert body["reason"] == "paper_out" and body["rev"] == 1
    assert "paper_out" in body["detail"]
    failures = gw.spooler.failures
    wait_for(lambda: gw.spooler.failures >= failures + 3, what="three more retries")
    assert [k for k, _ in _chain(gw)] == ["alarmed", "print_failed"]  # not once per retry
    port = printer_sim.port
    printer_sim.stop()  # now unplugged as well: a new reason
    wait_for(lambda: len(_chain(gw)) == 3, what="print_failed offline")
    assert _chain(gw)[2][1]["reason"] == "offline"
    back = PrinterSimulator(port=port).start()
    try:
        wait_for(lambda: len(_chain(gw)) == 4, what="printed once the printer is back")
        assert _chain(gw)[3] == ("printed", {"order_id": OID, "rev": 1, "reprint": False})
        assert "社会应急联动指令单" in back.text()
    finally:
        back.stop()


def test_alarmed_survives_a_restart_without_a_second_report(
    files: TerminalFiles,
    printer_sim: PrinterSimulator,
    make_gateway: Callable[..., Gateway],
    hub_signer: Signer,
) -> None:
    files.printer_url = printer_sim.url
    gw = make_gateway(files.config(), FakeClock())
    gw.handle_down(_down(hub_signer, "order", order_body(OID, now=gw.clock.now()), gw))
    wait_for(lambda: len(_chain(gw)) == 2, what="alarmed and printed")
    gw.stop()
    again = make_gateway(files.config(), FakeClock())
    assert again.alarm.active  # the order alarms again after the restart ...
    assert [k for k, _ in _chain(again)] == ["alarmed", "printed"]  # ... reported once


def test_test_slips_and_cancel_slips_report_nothing(gw: Gateway) -> None:
    gw.room.test_device("printer")
    wait_for(lambda: gw.spooler.printed == 1, what="the test slip")
    assert _chain(gw) == []
