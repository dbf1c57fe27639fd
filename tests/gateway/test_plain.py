"""gateway.devices.plain and the printer's last guard, with literal strings and any text at all."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.devices.plain import block, lines, one_line
from gateway.devices.printer import COMMAND_BYTES, text_bytes

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("整条街停电，有老人使用制氧机。", ["整条街停电，有老人使用制氧机。"]),
        (
            "\x1b@复位\x1dV\x00切纸\x1b{\x01倒印\x1bt\x10代码页\x10\x14\x01\x00\x05",
            ["@复位V切纸{倒印t代码页"],
        ),
        (
            "第一行\r\n第二行\r第三行\n\n\n\u2028第四行\u2029",
            ["第一行", "第二行", "第三行", "第四行"],
        ),
        ("\t缩进\t的行  \n   \n", [" 缩进 的行"]),
        ("\x7fDEL \x9bC1 \x85NEL \ud800 \u202e反向\u202c", ["DEL C1 NEL  反向"]),
        ("\x00\x07\x0b\x0c", []),
        ("", []),
    ],
)
def test_lines(text: str, expected: list[str]) -> None:
    assert lines(text) == expected


def test_one_line_and_block() -> None:
    assert one_line("妥甸镇\n东街\x1b@ 12 号\r\n") == "妥甸镇 东街@ 12 号"
    assert block("a\x00\r\n\r\nb\x1dV\x00") == "a\nbV"


@given(st.text())
def test_no_control_character_survives(text: str) -> None:
    for line in lines(text):
        assert not CONTROL.search(line) and line.strip()
    assert "\n" not in one_line(text)


@given(st.text(), st.sampled_from(["gb18030", "gbk", "big5", "utf-16", "iso2022_jp"]))
def test_text_bytes_never_hold_a_command_byte(text: str, encoding: str) -> None:
    """Whatever the text and even with an encoding that would emit NUL or ESC."""
    data = text_bytes(text, encoding)
    assert not set(data) & set(COMMAND_BYTES)
