"""The shipped Shuangbai registry: complete, consistent and true to the notice."""

from __future__ import annotations

import dataclasses

import pytest

from hub.registry import (
    Category,
    DeadlinePolicy,
    Registry,
    Township,
    Unit,
    default_registry_path,
    load_registry,
)
from wire.ids import is_name

TOWNSHIPS = {
    "tuodian": "妥甸镇",
    "dazhuang": "大庄镇",
    "fabiao": "法脿镇",
    "ejia": "鄂嘉镇",
    "damaidi": "大麦地镇",
    "anlongbao": "安龙堡乡",
    "ainishan": "爱尼山乡",
    "dutian": "独田乡",
}


@pytest.fixture(scope="module")
def reg() -> Registry:
    return load_registry()


def test_default_path_is_package_data() -> None:
    path = default_registry_path()
    assert path.name == "shuangbai.toml"
    assert path.is_file()
    assert load_registry(path) == load_registry()


def test_county(reg: Registry) -> None:
    assert reg.county_id == "shuangbai"
    assert reg.county_name == "双柏县"
    assert reg.center == (24.69, 101.64)
    assert reg.deadlines == DeadlinePolicy(
        receive_s=30,
        ack_s=180,
        arrive_emergency_urban_min=15,
        arrive_tier1_min=30,
        arrive_tier2_default_min=60,
        feedback_h=24,
    )


def test_eight_townships_only_the_county_seat_urban(reg: Registry) -> None:
    assert {t.id: t.name_zh for t in reg.townships.values()} == TOWNSHIPS
    assert [t.id for t in reg.townships.values() if t.urban] == ["tuodian"]
    for township in reg.townships.values():
        # within about 60 km of the county seat
        assert abs(township.lat - 24.69) < 0.6
        assert abs(township.lon - 101.64) < 0.6


def test_every_township_has_its_government_and_police_station(reg: Registry) -> None:
    for township_id in TOWNSHIPS:
        gov = reg.township_unit(township_id)
        assert gov.id == f"{township_id}-gov"
        assert (gov.tier, gov.unit_class, gov.township) == (1, "tier1", township_id)
        police = reg.units[f"{township_id}-police"]
        assert (police.tier, police.unit_class, police.township) == (1, "emergency", township_id)
    with pytest.raises(KeyError, match="unknown township 'atlantis'"):
        reg.township_unit("atlantis")


def test_the_three_tiers_of_the_notice(reg: Registry) -> None:
    by_tier = {tier: {u.id for u in reg.units.values() if u.tier == tier} for tier in (1, 2, 3)}
    assert {
        "traffic-police",
        "fire",
        "health-120",
        "health",
        "housing",
        "transport",
        "power-co",
        "water-co",
        "civil-affairs",
        "environment",
        "market",
        "emergency-mgmt",
        "culture",
    } <= by_tier[1]
    assert {
        "china-telecom",
        "china-mobile",
        "china-unicom",
        "hr-social",
        "land-resources",
        "foreign-affairs",
        "forestry",
        "agriculture",
        "earthquake",
        "petitions",
        "education",
        "economy-it",
        "tobacco",
        "highway",
    } <= by_tier[2]
    assert {
        "publicity",
        "finance",
        "ethnic-religious",
        "development-reform",
        "justice",
        "court",
        "procuratorate",
        "meteorology",
        "science-tech",
        "peoples-bank",
    } <= by_tier[3]
    emergency = {u.id for u in reg.units.values() if u.unit_class == "emergency"}
    assert emergency == {"traffic-police", "fire", "health-120"} | {
        f"{t}-police" for t in TOWNSHIPS
    }


def test_units_are_well_formed(reg: Registry) -> None:
    for unit in reg.units.values():
        assert is_name(unit.id)
        assert unit.name_zh and unit.name_en
        assert unit.duty_phones and all(p.startswith("0878-77") for p in unit.duty_phones)
        assert unit.lat is not None and unit.lon is not None
        assert abs(unit.lat - 24.69) < 0.6 and abs(unit.lon - 101.64) < 0.6
    phones = [p for u in reg.units.values() for p in u.duty_phones]
    assert len(phones) == len(set(phones)), "each duty phone belongs to one unit"


def test_categories(reg: Registry) -> None:
    assert len(reg.categories) >= 30
    for code in (
        "power-cut",
        "water-main-burst",
        "gas-smell",
        "road-damage",
        "fallen-tree",
        "stray-dog",
        "noise",
        "food-safety",
        "wage-dispute",
        "vagrant-help",
        "forest-fire",
        "landslide",
        "medical-emergency",
        "fire",
    ):
        assert code in reg.categories
    for category in reg.categories.values():
        lead = reg.units[category.lead_unit]
        assert lead.township is None
        assert is_name(category.code)
        if category.tier2_deadline_min is not None:
            assert lead.tier == 2
        if category.scene:
            assert lead.tier in (1, 2)
    assert reg.categories["medical-emergency"].lead_unit == "health-120"
    assert reg.categories["fire"].lead_unit == "fire"
    assert reg.categories["elevator-entrapment"].lead_unit == "market"
    assert reg.categories["gas-smell"].default_priority == "critical"


def test_values_are_frozen(reg: Registry) -> None:
    for value in (
        reg,
        reg.deadlines,
        next(iter(reg.townships.values())),
        next(iter(reg.units.values())),
        next(iter(reg.categories.values())),
    ):
        assert dataclasses.is_dataclass(value)
        first_field = dataclasses.fields(value)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(value, first_field, None)
    assert isinstance(reg.units["fire"], Unit)
    assert isinstance(reg.townships["ejia"], Township)
    assert isinstance(reg.categories["fire"], Category)
