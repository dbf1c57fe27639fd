"""The escalation contacts of the registry: a unit's leader and the centre's supervisors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hub.registry import RegistryError, load_registry
from tests.hub.registry.small import SMALL, line_of, replace_once

Write = Callable[[str], Path]
POWER = 'duty_phones = ["0878-7700005"]'


def test_leader_and_supervisors_are_read(write_registry: Write) -> None:
    text = replace_once(
        SMALL, POWER, POWER + '\nleader_name = "李某某"\nleader_phone = "139-0878-0005"'
    )
    text = replace_once(
        text, "[[townships]]", '[centre]\nsupervisor_phones = ["13908789001"]\n\n[[townships]]'
    )
    reg = load_registry(write_registry(text))
    power = reg.units["power-co"]
    assert (power.leader_name, power.leader_phone) == ("李某某", "139-0878-0005")
    assert reg.units["town-gov"].leader_phone is None
    assert reg.centre.supervisor_phones == ("13908789001",)


def test_both_are_optional(write_registry: Write) -> None:
    reg = load_registry(write_registry(SMALL))
    assert reg.centre.supervisor_phones == ()
    assert all(u.leader_phone is None for u in reg.units.values())


def test_the_shipped_registry_names_a_leader_for_every_unit() -> None:
    reg = load_registry(None)
    assert all(u.leader_name and u.leader_phone for u in reg.units.values())
    assert len(reg.centre.supervisor_phones) >= 1


@pytest.mark.parametrize(
    ("added", "bad", "message"),
    [
        ('leader_name = "李某某"\nleader_phone = "boss"', 'leader_phone = "boss"', "not a phone"),
        ('leader_name = "李某某"', 'leader_name = "李某某"', "give both leader_name and"),
        ('leader_name = "李某某"\nleader_phone = 139', "leader_phone = 139", "must be a phone"),
    ],
)
def test_a_bad_leader_is_refused_with_its_line(
    write_registry: Write, added: str, bad: str, message: str
) -> None:
    text = replace_once(SMALL, POWER, POWER + "\n" + added)
    with pytest.raises(RegistryError) as info:
        load_registry(write_registry(text))
    error = str(info.value)
    assert 'unit "power-co"' in error
    assert message in error
    if "give both" not in message:  # a problem of the entry, not of one key
        assert error.startswith(f"reg.toml line {line_of(text, bad)}: ")


@pytest.mark.parametrize(
    ("centre", "message"),
    [
        ('supervisor_phones = ["x"]', "is not a phone number"),
        ("supervisor_phones = []", "at least one supervisor's mobile"),
        ('supervisors = ["13908789001"]', 'unknown key "supervisors"'),
    ],
)
def test_a_bad_centre_is_refused_with_its_line(
    write_registry: Write, centre: str, message: str
) -> None:
    text = replace_once(SMALL, "[[townships]]", f"[centre]\n{centre}\n\n[[townships]]")
    with pytest.raises(RegistryError) as info:
        load_registry(write_registry(text))
    assert str(info.value).startswith(f"reg.toml line {line_of(text, centre)}: [centre]: ")
    assert message in str(info.value)
