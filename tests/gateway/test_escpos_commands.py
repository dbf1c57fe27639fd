"""The terminal's own ESC/POS commands emit exactly what python-escpos emitted for the same
slip, the library being the oracle (a dev dependency since issue 17: docs/gateway.md).

`escpos_render` is `gateway.devices.printer.render` as it was on python-escpos's `Dummy`;
every slip below is rendered both ways and the bytes compared: each field present or
absent or empty, banner or none, every QR size, long and non-ASCII QR data, the real slips.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.devices import escpos_commands
from gateway.devices.printer import FS_CHINESE_ON, render, text_bytes
from gateway.devices.simulators import printed_text
from gateway.devices.slip import Slip, cancel_slip, check_page_slip, order_slip, reprint
from tests.gateway.conftest import order_body

NOW = datetime(2026, 11, 28, 16, 5, tzinfo=UTC)


def escpos_render(slip: Slip, encoding: str, qr_size: int = 6) -> bytes:
    """The slip through python-escpos, as render() built it before issue 17."""
    d = Dummy()

    def line(text: str) -> None:
        d._raw(text_bytes(text, encoding) + b"\n")

    d.hw("INIT")
    d._raw(FS_CHINESE_ON)
    d.set(align="center", bold=True, double_height=True, double_width=True)
    if slip.banner:
        line(slip.banner)
    line(slip.title)
    d.set(align="left", bold=False, normal_textsize=True)
    for text in slip.lines:
        line(text)
    if slip.qr:
        d.set(align="center")
        d.qr(slip.qr, native=True, size=qr_size)
        d.set(align="left")
    for text in slip.footer:
        line(text)
    d.cut()
    return bytes(d.output)


LONG_QR = "01JORDER" + "0123456789ABCDEFGHJKMNPQRSTVWXYZ" * 40
QRS = [None, "", "01JORDER0000000000000001", "联动：派单 01J…", LONG_QR, "x" * 7000, "é🚒\n\t"]
BANNERS = [None, "", "演练", "撤销：重复派单"]
LINES: list[list[str]] = [[], [""], ["单号：01J", "", "地址：妥甸镇 东街 12 号"], ["a" * 300]]
FOOTERS: list[list[str]] = [[], ["打印时间：2026-11-29 00:05"], ["", "补打"]]


@pytest.mark.parametrize("qr", QRS)
def test_every_field_combination_matches_python_escpos(qr: str | None) -> None:
    for banner, lines, footer, encoding in itertools.product(
        BANNERS, LINES, FOOTERS, ("gb18030", "big5", "utf-8")
    ):
        slip = Slip("社会应急联动指令单", list(lines), qr, banner, list(footer))
        assert render(slip, encoding) == escpos_render(slip, encoding), (slip, encoding)


@pytest.mark.parametrize("size", range(1, 17))
def test_every_qr_size_matches_python_escpos(size: int) -> None:
    for qr in QRS:
        slip = Slip("标题", ["一行"], qr)
        assert render(slip, "gb18030", size) == escpos_render(slip, "gb18030", size)


def test_the_real_slips_match_python_escpos() -> None:
    order = order_body()
    slips = [
        order_slip(order, NOW),
        reprint(order_slip(order, NOW), NOW),
        cancel_slip(order, "重复派单", NOW),
        check_page_slip("power-co", NOW, "测试页"),
    ]
    for slip in slips:
        for size in (1, 6, 16):
            ours = render(slip, "gb18030", size)
            assert ours == escpos_render(slip, "gb18030", size)
            words = [w for w in slip.text().splitlines() if not w.startswith("[二维码")]
            assert printed_text(ours).splitlines() == words


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(max_size=40),
    lines=st.lists(st.text(max_size=40), max_size=5),
    qr=st.none() | st.text(max_size=300),
    banner=st.none() | st.text(max_size=10),
    size=st.integers(1, 16),
)
def test_any_slip_matches_python_escpos(
    title: str, lines: list[str], qr: str | None, banner: str | None, size: int
) -> None:
    slip = Slip(title, lines, qr, banner, lines[:2])
    assert render(slip, "gb18030", size) == escpos_render(slip, "gb18030", size)


@pytest.mark.parametrize("size", [0, 17, -1])
def test_a_qr_size_outside_1_to_16_is_refused_as_by_python_escpos(size: int) -> None:
    slip = Slip("标题", [], "01JORDER0000000000000001")
    with pytest.raises(ValueError):
        escpos_render(slip, "gb18030", size)
    with pytest.raises(ValueError, match="1-16"):
        render(slip, "gb18030", size)


def test_qr_data_longer_than_one_command_is_refused() -> None:
    """GS ( k carries at most 65,535 bytes; python-escpos wraps the length silently (its
    bound check is off), so a printer would read the rest as commands. We refuse, and
    print_slip falls back to plain text."""
    with pytest.raises(ValueError, match="too long"):
        escpos_commands.qr("x" * 65_534, 6)
    assert escpos_commands.qr("x" * 65_531, 6)  # 65,531 + m + cn + fn = 65,534 fits
