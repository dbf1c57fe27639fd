"""On-scene deadlines per DESIGN.md's table, and the figures coming from the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hub.registry import Registry, load_registry
from tests.hub.registry.small import SMALL, replace_once


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


def test_emergency_unit_in_the_urban_area_gets_15(reg: Registry) -> None:
    urban = reg.townships["tuodian"]
    assert urban.urban
    for unit_id in ("tuodian-police", "traffic-police", "fire", "health-120"):
        assert reg.arrive_minutes(reg.units[unit_id], urban) == 15


def test_emergency_unit_outside_the_urban_area_gets_the_tier1_figure(reg: Registry) -> None:
    rural = reg.townships["ejia"]
    assert not rural.urban
    assert reg.arrive_minutes(reg.units["ejia-police"], rural) == 30
    assert reg.arrive_minutes(reg.units["fire"], rural) == 30


def test_other_tier1_units_get_30_anywhere(reg: Registry) -> None:
    for township_id in ("tuodian", "dutian"):
        township = reg.townships[township_id]
        assert reg.arrive_minutes(reg.units["power-co"], township) == 30
        assert reg.arrive_minutes(reg.township_unit(township_id), township) == 30


def test_tier1_ignores_an_override(reg: Registry) -> None:
    """The tier-1 figures are the notice's; an operator figure only applies to tier 2."""
    assert reg.arrive_minutes(reg.units["power-co"], reg.townships["tuodian"], 90) == 30


def test_tier2_default_and_override(reg: Registry) -> None:
    telecom = reg.units["china-telecom"]
    town = reg.townships["fabiao"]
    assert reg.arrive_minutes(telecom, town) == 60
    assert reg.arrive_minutes(telecom, town, override_min=45) == 45


def test_tier3_attends_no_scene(reg: Registry) -> None:
    assert reg.arrive_minutes(reg.units["finance"], reg.townships["tuodian"]) is None
    assert reg.arrive_minutes(reg.units["finance"], reg.townships["tuodian"], 20) is None


def test_override_must_be_positive(reg: Registry) -> None:
    with pytest.raises(ValueError, match="positive"):
        reg.arrive_minutes(reg.units["china-telecom"], reg.townships["tuodian"], 0)


def test_category_figure_then_operator_figure(reg: Registry) -> None:
    landslide = reg.categories["landslide"]
    lead = reg.units[landslide.lead_unit]
    town = reg.townships["ainishan"]
    assert lead.tier == 2
    assert reg.category_arrive_minutes(landslide, lead, town) == landslide.tier2_deadline_min
    assert reg.category_arrive_minutes(landslide, lead, town, operator_min=50) == 50
    # the township government's order keeps the tier-1 figure
    gov = reg.township_unit("ainishan")
    assert reg.category_arrive_minutes(landslide, gov, town, operator_min=50) == 30
    enquiry = reg.categories["weather-enquiry"]
    assert reg.category_arrive_minutes(enquiry, reg.units["meteorology"], town) is None


def test_figures_come_from_the_file(write_registry: Callable[[str], Path]) -> None:
    text = replace_once(
        SMALL,
        "ack_s = 120",
        "ack_s = 120\narrive_emergency_urban_min = 12\narrive_tier1_min = 25\n"
        "arrive_tier2_default_min = 90",
    )
    reg = load_registry(write_registry(text))
    town, hills = reg.townships["town"], reg.townships["hills"]
    assert reg.arrive_minutes(reg.units["town-police"], town) == 12
    assert reg.arrive_minutes(reg.units["town-police"], hills) == 25
    assert reg.arrive_minutes(reg.units["power-co"], town) == 25
    assert reg.arrive_minutes(reg.units["china-telecom"], town) == 90
