"""`terminal`: which units have a terminal; defaults by tier, checked like every other key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hub.registry import RegistryError, load_registry
from tests.hub.registry.small import SMALL, line_of, replace_once

Write = Callable[[str], Path]


def test_default_is_true_for_tier_1_and_false_for_tiers_2_and_3(write_registry: Write) -> None:
    reg = load_registry(write_registry(SMALL))
    for unit in reg.units.values():
        assert unit.terminal is (unit.tier == 1), unit.id


def test_a_county_can_give_a_tier_2_unit_a_terminal_and_take_one_away(
    write_registry: Write,
) -> None:
    text = replace_once(
        SMALL, 'duty_phones = ["0878-7700006"]', 'duty_phones = ["0878-7700006"]\nterminal = true'
    )
    text = replace_once(
        text, 'duty_phones = ["0878-7700005"]', 'duty_phones = ["0878-7700005"]\nterminal = false'
    )
    reg = load_registry(write_registry(text))
    assert reg.units["china-telecom"].terminal is True
    assert reg.units["power-co"].terminal is False


@pytest.mark.parametrize("value", ['"yes"', "1", "[true]"])
def test_terminal_must_be_true_or_false_with_its_line(write_registry: Write, value: str) -> None:
    text = replace_once(
        SMALL,
        'duty_phones = ["0878-7700005"]',
        f'duty_phones = ["0878-7700005"]\nterminal = {value}',
    )
    with pytest.raises(RegistryError) as info:
        load_registry(write_registry(text))
    line = line_of(text, f"terminal = {value}")
    assert str(info.value).startswith(
        f'reg.toml line {line}: unit "power-co": terminal must be true or false'
    )


def test_shipped_registry_has_terminals_in_every_tier_1_duty_room() -> None:
    reg = load_registry()
    with_terminal = {u.id for u in reg.units.values() if u.terminal}
    assert with_terminal == {u.id for u in reg.units.values() if u.tier == 1}
    assert len(with_terminal) == 29
