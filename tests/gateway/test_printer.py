"""The printer: Chinese text encoded by us, status by DLE EOT, over loop://, a pty pair
and a local TCP network printer that runs out of paper and is unplugged."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gateway.devices.printer import FS_CHINESE_ON, Printer, PrinterConfig, parse_status, render
from gateway.devices.simulators import PrinterSimulator, printed_text, strip_escpos
from gateway.devices.slip import cancel_slip, check_page_slip, order_slip, reprint
from gateway.errors import PrinterError
from tests.gateway.conftest import order_body

NOW = datetime(2026, 11, 28, 16, 5, tzinfo=UTC)  # 00:05 on the 29th in Shanghai


def test_order_slip_layout() -> None:
    text = order_slip(order_body(), NOW).text()
    lines = text.splitlines()
    assert lines[0] == "社会应急联动指令单"
    for expected in (
        "单号：01JORDER0000000000000001",
        "110警情号：J5323220000000123",
        "类别：停电",
        "等级：紧急",
        "职责：主办",
        "地址：妥甸镇 东街 12 号",
        "乡镇：妥甸镇",
        "概要：整条街停电，有老人使用制氧机。",
        "报警电话：138****5678",
        "派单时间：2026-11-28 14:30",  # 06:30 UTC shown in Asia/Shanghai
        "签收时限：2026-11-28 14:33",
        "打印时间：2026-11-29 00:05",
        "[二维码 01JORDER0000000000000001]",
    ):
        assert expected in lines, expected
    drill = order_slip(order_body(drill=True), NOW).text()
    assert drill.startswith("【演练】\n社会应急联动指令单")
    assert "演练" in cancel_slip(order_body(drill=True), "", NOW).text()


def test_reprint_layout() -> None:
    first = datetime(2026, 11, 28, 16, 1, tzinfo=UTC)
    again = reprint(order_slip(order_body(drill=True), NOW), first).text()
    assert again.startswith("【演练】【补打】\n社会应急联动指令单\n")
    assert "补打：首次打印 2026-11-29 00:01\n打印时间：2026-11-29 00:05\n" in again
    assert reprint(check_page_slip("power-co", NOW), first).text().startswith("【补打】\n打印测试")


def test_render_sends_chinese_in_the_printer_encoding_not_code_pages() -> None:
    slip = order_slip(order_body(), NOW)
    data = render(slip, "gb18030")
    assert FS_CHINESE_ON in data
    # the pitfall: punctuation outside U+4E00-U+9FA5 must still be GB18030, not a code page
    assert "，".encode("gb18030") in data and "：".encode("gb18030") in data
    assert b"\x1d(k" in data  # native QR code
    assert data.endswith(b"\x1dV\x00")  # cut
    paper = printed_text(data)
    for line in slip.text().splitlines():
        if not line.startswith("[二维码"):
            assert line in paper, line
    assert printed_text(data).count("整条街停电，有老人使用制氧机。") == 1


def test_encoding_is_per_printer() -> None:
    slip = check_page_slip("power-co", NOW, "𠀀")  # U+20000: in GB18030, not in GBK
    assert "𠀀" in printed_text(render(slip, "gb18030"), "gb18030")
    gbk = printed_text(render(slip, "gbk"), "gbk")
    assert "𠀀" not in gbk and "单位：power-co" in gbk


@pytest.mark.parametrize(
    ("printer", "paper", "state"),
    [
        (b"\x12", b"\x12", "ok"),
        (b"\x12", b"\x72", "paper_out"),
        (b"\x12", b"\x1e", "paper_low"),
        (b"\x1a", b"\x12", "offline"),
        (b"", b"", "unknown"),
        (b"\x10", b"\x10", "unknown"),  # loop:// echoes our own query back
        (b"\x12", b"", "ok"),
    ],
)
def test_parse_status(printer: bytes, paper: bytes, state: str) -> None:
    assert parse_status(printer, paper) == state


def test_loop_port_prints_and_status_is_unknown() -> None:
    p = Printer(PrinterConfig(port="loop://"), status_timeout=0.05)
    p.print_slip(check_page_slip("power-co", NOW))
    assert p.state == "unknown"
    p.close()


@pytest.fixture
def pty_printer() -> Iterator[tuple[str, bytearray]]:
    """A pty pair: the terminal opens the slave like /dev/ttyUSB0; the master plays a
    printer that answers DLE EOT and keeps what it is sent."""
    master, slave = os.openpty()
    got = bytearray()
    stop = threading.Event()

    def printer() -> None:
        while not stop.is_set():
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            got.extend(data)
            for _ in range(data.count(b"\x10\x04")):
                os.write(master, b"\x12")

    t = threading.Thread(target=printer, daemon=True)
    t.start()
    yield os.ttyname(slave), got
    stop.set()
    os.close(slave)
    os.close(master)


def test_pty_printer_answers_status(pty_printer: tuple[str, bytearray]) -> None:
    path, got = pty_printer
    p = Printer(PrinterConfig(port=path, baudrate=9600), status_timeout=1.0)
    assert p.status() == "ok"
    p.print_slip(order_slip(order_body(), NOW))
    p.close()
    assert "社会应急联动指令单" in printed_text(bytes(got))


def test_network_printer_out_of_paper_and_unplugged(printer_sim: PrinterSimulator) -> None:
    p = Printer(PrinterConfig(port=printer_sim.url))
    slip = order_slip(order_body(), NOW)
    printer_sim.paper = False
    with pytest.raises(PrinterError, match="paper_out"):
        p.print_slip(slip)
    assert printer_sim.text() == ""
    assert p.state == "paper_out"
    printer_sim.paper = True
    p.print_slip(slip)
    assert p.status() == "ok"
    assert "社会应急联动指令单" in printer_sim.text()
    port = printer_sim.port
    printer_sim.stop()  # unplugged mid-service
    with pytest.raises(PrinterError):
        p.print_slip(slip)
    assert p.status() == "offline"
    back = PrinterSimulator(port=port).start()
    try:
        p.print_slip(slip)
        assert "社会应急联动指令单" in back.text()
        assert p.status() == "ok"
    finally:
        p.close()
        back.stop()


def test_layout_failure_prints_raw_text(printer_sim: PrinterSimulator) -> None:
    p = Printer(PrinterConfig(port=printer_sim.url), qr_size=17)  # escpos refuses size 17
    p.print_slip(order_slip(order_body(), NOW))
    p.close()
    text = printer_sim.text()
    assert "社会应急联动指令单" in text and "[二维码 01JORDER0000000000000001]" in text
    assert b"\x1d(k" not in strip_escpos(bytes(printer_sim.received))
