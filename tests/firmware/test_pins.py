"""The pin map on the SD card and the gateway's defaults cannot drift apart."""

from __future__ import annotations

import re
import tomllib

import pytest

import gateway.devices.pin_numbers as pins_module
from tests.firmware.conftest import FIRMWARE, REPO

BOARDS = ("pi3bplus", "pi4", "pi5", "zero2w")
PIN_KEYS = {"buzzer", "light", "ack_button", "arrive_button"}


def board_pins(board: str) -> dict[str, int]:
    doc = tomllib.loads((FIRMWARE / "pins" / f"{board}.toml").read_text(encoding="utf-8"))
    assert doc["board"] == board
    pins: dict[str, int] = doc["pins"]
    return pins


def test_every_board_has_a_profile_and_a_pin_map() -> None:
    assert sorted(p.stem for p in (FIRMWARE / "pins").glob("*.toml")) == sorted(BOARDS)
    for board in BOARDS:
        assert (FIRMWARE / "boards" / board / "base.txt").is_file()
        assert (FIRMWARE / "boards" / board / "gps-uart.txt").is_file()
        pins = board_pins(board)
        assert set(pins) == PIN_KEYS
        assert len(set(pins.values())) == len(pins), f"{board}: two functions share a pin"
        assert not set(pins.values()) & {0, 1, 14, 15}, f"{board}: pin on the UART or ID bus"


@pytest.mark.parametrize("board", BOARDS)
def test_board_pins_match_gateway_defaults(board: str) -> None:
    assert board_pins(board) == pins_module.DEFAULT_PINS


def test_documented_pins_match_the_maps() -> None:
    """docs/wiring.md and the gateway.toml example in docs/layout-and-config.md say the same."""
    pins = board_pins("pi4")
    wiring = (REPO / "docs" / "wiring.md").read_text(encoding="utf-8")
    for key, pin in pins.items():
        assert re.search(rf"`{key}`.*\bBCM {pin}\b", wiring), f"docs/wiring.md: {key} = BCM {pin}"
    layout = (REPO / "docs" / "layout-and-config.md").read_text(encoding="utf-8")
    example = layout[layout.index("[pins]") :].split("\n\n")[0]
    assert tomllib.loads(re.sub(r"#.*", "", example))["pins"] == pins
