"""Every kind of bad registry is refused with the line and the problem named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hub.registry import RegistryError, load_registry
from tests.hub.registry.small import SMALL, line_of, replace_once

Write = Callable[[str], Path]


def refused(write: Write, text: str) -> RegistryError:
    with pytest.raises(RegistryError) as info:
        load_registry(write(text))
    return info.value


def test_small_registry_is_valid(write_registry: Write) -> None:
    reg = load_registry(write_registry(SMALL))
    assert reg.county_id == "testcounty"
    assert set(reg.townships) == {"town", "hills"}
    assert reg.deadlines.ack_s == 120  # set in the file
    assert reg.deadlines.receive_s == 30  # default kept
    assert reg.units["town-police"].duty_phones == ("0878-7700003", "0878-7700004")
    assert reg.units["hills-gov"].lat == 24.5
    assert reg.units["town-gov"].lat is None
    assert reg.categories["weather-enquiry"].scene is False
    assert reg.categories["power-cut"].tier2_deadline_min is None
    assert reg.categories["telecom-line-down"].tier2_deadline_min == 120


def test_lead_unit_that_does_not_exist(write_registry: Write) -> None:
    text = replace_once(SMALL, 'lead_unit = "power-co"', 'lead_unit = "gas-co"')
    error = refused(write_registry, text)
    line = line_of(text, 'lead_unit = "gas-co"')
    assert str(error) == (
        f'reg.toml line {line}: category "power-cut": lead_unit "gas-co" is not a unit in [[units]]'
    )
    assert error.problems == (str(error),)


def test_local_unit_in_a_township_that_does_not_exist(write_registry: Write) -> None:
    text = replace_once(SMALL, 'township = "town"', 'township = "tonw"', occurrence=2)
    line = line_of(text, 'township = "tonw"')
    assert str(refused(write_registry, text)) == (
        f'reg.toml line {line}: unit "town-police": township "tonw" is not a township in '
        "[[townships]]"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('class = "tier1"\nduty', 'class = "tier1"\nshift = 3\nduty', 'unknown key "shift"'),
        ('lead_unit = "power-co"', 'lead_unit = "power-co"\npriority = "urgent"', "priority"),
        ('name_en = "Test County"', 'name_en = "Test County"\nzip = "675100"', 'key "zip"'),
        ("ack_s = 120", "ack_s = 120\nack_min = 3", 'unknown key "ack_min"'),
    ],
)
def test_unknown_key(write_registry: Write, old: str, new: str, message: str) -> None:
    text = replace_once(SMALL, old, new)
    added = new.rsplit("\n", maxsplit=1)[-1] if "duty" not in new else new.split("\n")[1]
    line = line_of(text, added)
    error = str(refused(write_registry, text))
    assert error.startswith(f"reg.toml line {line}: ")
    assert message in error
    assert "unknown key" in error


def test_unknown_top_level_table(write_registry: Write) -> None:
    text = SMALL + "\n[dispatch]\nmode = 1\n"
    line = line_of(text, "[dispatch]")
    assert str(refused(write_registry, text)) == (
        f'reg.toml line {line}: unknown top-level table or key "dispatch" '
        "(known: county, deadlines, centre, townships, units, categories)"
    )


@pytest.mark.parametrize(
    ("drop", "label", "key"),
    [
        ('name_en = "Power Supply Bureau"\n', 'unit "power-co"', "name_en"),
        ('duty_phones = ["0878-7700006"]\n', 'unit "china-telecom"', "duty_phones"),
        ("township_also = false\ndefault_priority", 'category "power-cut"', "township_also"),
        ('government = "hills-gov"\n', 'township "hills"', "government"),
        ("center = [24.69, 101.64]\n", "[county]", "center"),
    ],
)
def test_missing_key_names_the_entry_header(
    write_registry: Write, drop: str, label: str, key: str
) -> None:
    keep = "default_priority" if drop.endswith("default_priority") else ""
    text = replace_once(SMALL, drop, keep)
    error = str(refused(write_registry, text))
    entry_id = label.split('"')[1] if '"' in label else None
    if entry_id is None:
        header = line_of(text, "[county]")
    else:
        id_key = "code" if label.startswith("category") else "id"
        header = line_of(text, f'{id_key} = "{entry_id}"') - 1  # the [[...]] line above
    assert error.startswith(f'reg.toml line {header}: {label}: missing key "{key}"')


def test_missing_entry_id_is_labelled_by_position(write_registry: Write) -> None:
    text = replace_once(SMALL, 'id = "power-co"\n', "")
    header = line_of(text, "[[units]]", occurrence=4)
    assert str(refused(write_registry, text)).startswith(
        f'reg.toml line {header}: [[units]] entry 4: missing key "id"'
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("urban = false", 'urban = "no"', 'urban must be true or false, not a string "no"'),
        ("tier = 2", "tier = true", "tier must be a whole number from 1 to 3, not true or false"),
        ("tier = 2", 'tier = "2"', 'tier must be a whole number from 1 to 3, not a string "2"'),
        ('name_zh = "停电"', "name_zh = 7", "name_zh must be a string, not a whole number 7"),
        ("lat = 24.5\nlon = 101.5\n\n", 'lat = "N24"\nlon = 101.5\n\n', "lat must be a number"),
        ('duty_phones = ["0878-7700005"]', 'duty_phones = "0878-7700005"', "an array of phone"),
        ("tier2_deadline_min = 120", "tier2_deadline_min = 1.5", "whole number from 1 to 1440"),
        ("scene = false", "scene = 0", "scene must be true or false"),
    ],
)
def test_wrong_type(write_registry: Write, old: str, new: str, expected: str) -> None:
    text = replace_once(SMALL, old, new)
    line = line_of(text, new.split("\n", maxsplit=1)[0])
    error = str(refused(write_registry, text))
    assert error.startswith(f"reg.toml line {line}: ")
    assert expected in error


@pytest.mark.parametrize("tier", [0, 4, -1])
def test_tier_outside_one_to_three(write_registry: Write, tier: int) -> None:
    text = replace_once(SMALL, "tier = 2", f"tier = {tier}")
    line = line_of(text, f"tier = {tier}")
    assert str(refused(write_registry, text)) == (
        f'reg.toml line {line}: unit "china-telecom": tier must be a whole number from 1 to 3, '
        f"not {tier}"
    )


@pytest.mark.parametrize(
    ("first", "kind", "key"),
    [
        ('id = "power-co"', "unit", "id"),
        ('id = "hills"', "township", "id"),
        ('code = "telecom-line-down"', "category", "code"),
    ],
)
def test_duplicate_id(write_registry: Write, first: str, kind: str, key: str) -> None:
    original = replace_once(SMALL, 'id = "meteorology"', 'id = "power-co"')
    original = replace_once(original, 'id = "town"', 'id = "hills"')
    original = replace_once(original, 'code = "weather-enquiry"', 'code = "telecom-line-down"')
    error = refused(write_registry, original)
    first_line = line_of(original, first)
    second_line = line_of(original, first, occurrence=2)
    ident = first.split('"')[1]
    expected = (
        f'reg.toml line {second_line}: {kind} "{ident}": duplicate {key}; '
        f"first defined at line {first_line}"
    )
    assert expected in error.problems


@pytest.mark.parametrize(
    "bad",
    ["Power-Co", "power co", "-power", "power_co", "a" * 33, ""],
)
def test_bad_unit_id(write_registry: Write, bad: str) -> None:
    text = replace_once(SMALL, 'id = "power-co"', f'id = "{bad}"')
    line = line_of(text, f'id = "{bad}"')
    error = str(refused(write_registry, text))
    assert error.startswith(f"reg.toml line {line}: [[units]] entry 4: unit id ")
    assert "1 to 32 lowercase letters, digits or hyphens" in error


def test_bad_category_code_and_reference_ids(write_registry: Write) -> None:
    text = replace_once(SMALL, 'code = "power-cut"', 'code = "Power Cut"')
    text = replace_once(text, 'government = "hills-gov"', 'government = "Hills Gov"')
    error = refused(write_registry, text)
    assert len(error.problems) == 2
    assert error.problems[0].startswith(
        f"reg.toml line {line_of(text, 'Hills Gov')}: township \"hills\": unit id 'Hills Gov'"
    )
    assert error.problems[1].startswith(
        f"reg.toml line {line_of(text, 'Power Cut')}: [[categories]] entry 1: category code"
    )


def test_tier3_lead_of_a_category_that_needs_a_scene(write_registry: Write) -> None:
    text = replace_once(SMALL, "scene = false", "scene = true")
    line = line_of(text, 'lead_unit = "meteorology"')
    assert str(refused(write_registry, text)) == (
        f'reg.toml line {line}: category "weather-enquiry": lead_unit "meteorology" is tier 3 '
        "(support, attends no scene) but the category needs a scene; choose a tier-1 or "
        "tier-2 lead, or set scene = false"
    )


def test_tier3_lead_needs_scene_by_default(write_registry: Write) -> None:
    text = replace_once(SMALL, "scene = false\n", "")
    assert "is tier 3" in str(refused(write_registry, text))


def test_class_must_match_tier(write_registry: Write) -> None:
    text = replace_once(SMALL, 'class = "specialist"', 'class = "emergency"')
    line = line_of(text, 'class = "emergency"', occurrence=2)
    assert str(refused(write_registry, text)).startswith(
        f'reg.toml line {line}: unit "china-telecom": class "emergency" belongs to tier 1, '
        "but tier = 2"
    )


def test_unknown_class_and_priority(write_registry: Write) -> None:
    text = replace_once(SMALL, 'class = "specialist"', 'class = "expert"')
    text = replace_once(text, 'default_priority = "urgent"', 'default_priority = "high"')
    error = refused(write_registry, text)
    assert error.problems == (
        f'reg.toml line {line_of(text, "expert")}: unit "china-telecom": class must be one of '
        '"emergency", "tier1", "specialist", "support", not "expert"',
        f'reg.toml line {line_of(text, "high")}: category "power-cut": default_priority must '
        'be one of "critical", "urgent", "normal", not "high"',
    )


def test_local_unit_cannot_lead_a_category(write_registry: Write) -> None:
    text = replace_once(SMALL, 'lead_unit = "power-co"', 'lead_unit = "town-police"')
    line = line_of(text, 'lead_unit = "town-police"')
    assert str(refused(write_registry, text)).startswith(
        f'reg.toml line {line}: category "power-cut": lead_unit "town-police" serves only '
        'township "town"'
    )


def test_tier2_deadline_only_for_a_tier2_lead(write_registry: Write) -> None:
    text = replace_once(
        SMALL, 'lead_unit = "power-co"\n', 'lead_unit = "power-co"\ntier2_deadline_min = 45\n'
    )
    line = line_of(text, "tier2_deadline_min = 45")
    assert str(refused(write_registry, text)).startswith(
        f'reg.toml line {line}: category "power-cut": tier2_deadline_min only applies to a '
        'tier-2 lead; "power-co" is tier 1'
    )


@pytest.mark.parametrize(
    ("government", "expected"),
    [
        ("nobody", 'government "nobody" is not a unit in [[units]]'),
        (
            "town-gov",
            'government "town-gov" must be a unit with class = "tier1" and township = "hills" '
            '(it has class "tier1", township "town")',
        ),
        (
            "power-co",
            'government "power-co" must be a unit with class = "tier1" and township = "hills" '
            '(it has class "tier1", township none)',
        ),
    ],
)
def test_township_government_must_be_its_own_unit(
    write_registry: Write, government: str, expected: str
) -> None:
    text = replace_once(SMALL, 'government = "hills-gov"', f'government = "{government}"')
    line = line_of(
        text, f'government = "{government}"', occurrence=2 if "town" in government else 1
    )
    assert str(refused(write_registry, text)).startswith(
        f'reg.toml line {line}: township "hills": {expected}'
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('duty_phones = ["0878-7700005"]', "duty_phones = []", "at least one duty phone"),
        ('duty_phones = ["0878-7700005"]', 'duty_phones = ["call Li"]', '"call Li" is not a'),
        ("lat = 24.5\nlon = 101.5\n\n", "lat = 124.5\nlon = 101.5\n\n", "from -90 to 90"),
        ("center = [24.69, 101.64]", "center = [24.69]", "center must be [lat, lon]"),
        ("ack_s = 120", "ack_s = 0", "ack_s must be a whole number from 1 to 86400, not 0"),
        ('name_zh = "停电"', 'name_zh = "  "', "name_zh must not be empty"),
        ('name_zh = "停电"', 'name_zh = "停\\u001b电"', "control character U+001B"),
        ('name_en = "Power cut"', 'name_en = "Power\\tcut"', "control character U+0009"),
        ('name_en = "Power cut"', f'name_en = "{"x" * 201}"', "201 characters; at most 200"),
    ],
)
def test_bad_values(write_registry: Write, old: str, new: str, expected: str) -> None:
    text = replace_once(SMALL, old, new)
    line = line_of(text, new.split("\n", maxsplit=1)[0])
    error = str(refused(write_registry, text))
    assert error.startswith(f"reg.toml line {line}: ")
    assert expected in error


def test_lat_without_lon(write_registry: Write) -> None:
    text = replace_once(SMALL, "lon = 101.5\n\n", "\n")
    header = line_of(text, 'id = "hills-gov"') - 1
    assert str(refused(write_registry, text)) == (
        f'reg.toml line {header}: unit "hills-gov": give both lat and lon for the base '
        "position, or neither"
    )


def test_toml_syntax_error_names_line_and_column(write_registry: Write) -> None:
    text = replace_once(SMALL, 'name_en = "Power Supply Bureau"', 'name_en = "Power Supply Bureau')
    line = line_of(text, 'name_en = "Power Supply Bureau')
    error = str(refused(write_registry, text))
    assert error.startswith(f"reg.toml line {line}: TOML syntax error: ")
    assert "(column " in error


def test_duplicate_key_is_a_syntax_error_with_line(write_registry: Write) -> None:
    text = replace_once(SMALL, "tier = 2\n", "tier = 2\ntier = 3\n")
    line = line_of(text, "tier = 3")
    assert str(refused(write_registry, text)).startswith(f"reg.toml line {line}: TOML syntax")


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    text = replace_once(SMALL, "tier = 2", "tier = 2\n# 注释")
    path.write_bytes(text.encode("gbk"))
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    error = str(info.value)
    # the first non-ASCII text is on line 4 (name_zh = "测试县")
    assert error.startswith("gbk.toml line 4: not UTF-8")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"nope\.toml: cannot read the registry file"):
        load_registry(tmp_path / "nope.toml")


def test_units_as_a_plain_table(write_registry: Write) -> None:
    start = SMALL.index("[[units]]")
    end = SMALL.index("[[categories]]")
    text = SMALL[:start] + '[units]\nfire = "x"\n\n' + SMALL[end:]
    error = refused(write_registry, text)
    assert (
        f"reg.toml line {line_of(text, '[units]')}: units must be an array of tables written "
        "[[units]], one per entry"
    ) in error.problems


def test_every_problem_is_reported_at_once_in_line_order(write_registry: Write) -> None:
    text = replace_once(SMALL, 'lead_unit = "power-co"', 'lead_unit = "gas-co"')
    text = replace_once(text, "tier = 2", "tier = 9")
    text = replace_once(text, "urban = false", "urban = 0")
    error = refused(write_registry, text)
    lines = [int(p.split()[2].rstrip(":")) for p in error.problems]
    assert len(lines) == 3
    assert lines == sorted(lines)
    assert lines == [line_of(text, "urban = 0"), line_of(text, "tier = 9"), line_of(text, "gas-co")]


def test_an_entry_with_a_problem_does_not_cascade(write_registry: Write) -> None:
    """A unit with a bad tier is still a unit: categories naming it are not also refused."""
    text = replace_once(SMALL, "tier = 2", "tier = 5")
    assert len(refused(write_registry, text).problems) == 1


def test_police_station_is_not_a_township_government(write_registry: Write) -> None:
    text = replace_once(SMALL, 'government = "town-gov"', 'government = "town-police"')
    line = line_of(text, 'government = "town-police"')
    assert str(refused(write_registry, text)) == (
        f'reg.toml line {line}: township "town": government "town-police" must be a unit with '
        'class = "tier1" and township = "town" (it has class "emergency", township "town")'
    )
