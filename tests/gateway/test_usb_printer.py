"""A USB printer-class printer (`/dev/usb/lp0` under usblp): a character device, not a tty.

What stands in for the device: `/dev/null` (a real character device that is not a tty:
it takes every byte, answers no read and has no LPGETSTATUS, like a unidirectional
printer) proves that `open_port` picks the character-device path and that status is then
"unknown" with a note; one end of a UNIX socketpair served by `PrinterSimulator` plays a
bidirectional printer answering DLE EOT, paper out included. Not covered without the
hardware: the usblp driver itself (its read on a unidirectional printer, its
LPGETSTATUS answer); `parse_lp_status` is checked on the bits the driver returns.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gateway.devices.printer import Port, Printer, PrinterConfig, open_port
from gateway.devices.simulators import PrinterSimulator
from gateway.devices.slip import check_page_slip, order_slip
from gateway.devices.usblp import (
    LP_PERRORP,
    LP_POUTPA,
    LP_PSELECD,
    CharDevicePort,
    is_char_device,
    parse_lp_status,
)
from gateway.errors import PrinterError
from tests.gateway.conftest import TerminalFiles, order_body

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_dev_null_is_opened_as_a_char_device_and_status_is_unknown_with_a_note() -> None:
    assert is_char_device("/dev/null") and not is_char_device("loop://")
    port = open_port("/dev/null", 9600, 0.05)
    assert isinstance(port, CharDevicePort)
    assert port.lp_status() is None  # /dev/null has no LPGETSTATUS
    port.close()
    p = Printer(PrinterConfig(port="/dev/null"), status_timeout=0.05)
    p.print_slip(check_page_slip("power-co", NOW))  # unknown is not a refusal
    assert p.state == "unknown"
    assert "paper state unknown" in p.note and "/dev/null" in p.note
    p.close()


def test_a_tty_path_still_goes_to_pyserial() -> None:
    master, slave = os.openpty()
    try:
        assert CharDevicePort.open(os.ttyname(slave), 0.1) is None
    finally:
        os.close(slave)
        os.close(master)


@pytest.fixture
def usb_sim() -> Iterator[tuple[PrinterSimulator, Printer]]:
    """A bidirectional USB printer: the terminal's end of a socketpair as its device."""
    ours, theirs = socket.socketpair()
    sim = PrinterSimulator().attach(theirs)

    def opener(url: str, baudrate: int, timeout: float) -> Port:
        return CharDevicePort(os.dup(ours.fileno()), url, timeout)

    p = Printer(PrinterConfig(port="/dev/usb/lp0"), status_timeout=1.0, opener=opener)
    yield sim, p
    p.close()
    ours.close()
    sim.stop()


def test_usb_printer_answers_dle_eot_prints_and_reports_paper_out(
    usb_sim: tuple[PrinterSimulator, Printer],
) -> None:
    sim, p = usb_sim
    assert p.status() == "ok"
    p.print_slip(order_slip(order_body(), NOW))
    assert "社会应急联动指令单" in sim.text()
    sim.paper = False
    with pytest.raises(PrinterError, match="paper_out"):
        p.print_slip(order_slip(order_body(), NOW))
    assert p.state == "paper_out" and p.note == ""


@pytest.mark.parametrize(
    ("status", "state"),
    [
        (LP_PERRORP | LP_PSELECD, "ok"),
        (LP_PERRORP | LP_PSELECD | LP_POUTPA, "paper_out"),
        (LP_PERRORP, "offline"),  # not selected: off line
        (LP_PSELECD, "offline"),  # nFault low: cover open, cutter jam
        (LP_POUTPA, "paper_out"),
    ],
)
def test_lpgetstatus_bits(status: int, state: str) -> None:
    assert parse_lp_status(status) == state


def test_gateway_toml_takes_a_usb_printer_device(files: TerminalFiles) -> None:
    files.printer_url = "/dev/usb/lp0"
    assert files.config().printer.port == "/dev/usb/lp0"
