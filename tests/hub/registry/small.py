"""A small valid registry that each validation test breaks in one place, and helpers."""

from __future__ import annotations

SMALL = """\
# a two-township county for tests
[county]
id = "testcounty"
name_zh = "测试县"
name_en = "Test County"
center = [24.69, 101.64]

[deadlines]
ack_s = 120

[[townships]]
id = "town"
name_zh = "城关镇"
name_en = "Chengguan"
urban = true
lat = 24.69
lon = 101.64
government = "town-gov"

[[townships]]
id = "hills"
name_zh = "山区乡"
name_en = "Hills"
urban = false
lat = 24.5
lon = 101.5
government = "hills-gov"

[[units]]
id = "town-gov"
name_zh = "城关镇人民政府"
name_en = "Chengguan Town Government"
tier = 1
class = "tier1"
township = "town"
duty_phones = ["0878-7700001"]

[[units]]
id = "hills-gov"
name_zh = "山区乡人民政府"
name_en = "Hills Township Government"
tier = 1
class = "tier1"
township = "hills"
duty_phones = ["0878-7700002"]
lat = 24.5
lon = 101.5

[[units]]
id = "town-police"
name_zh = "城关派出所"
name_en = "Chengguan Police Station"
tier = 1
class = "emergency"
township = "town"
duty_phones = ["0878-7700003", "0878-7700004"]

[[units]]
id = "power-co"
name_zh = "供电局"
name_en = "Power Supply Bureau"
tier = 1
class = "tier1"
duty_phones = ["0878-7700005"]

[[units]]
id = "china-telecom"
name_zh = "电信分公司"
name_en = "China Telecom Branch"
tier = 2
class = "specialist"
duty_phones = ["0878-7700006"]

[[units]]
id = "meteorology"
name_zh = "气象局"
name_en = "Meteorological Bureau"
tier = 3
class = "support"
duty_phones = ["0878-7700007"]

[[categories]]
code = "power-cut"
name_zh = "停电"
name_en = "Power cut"
lead_unit = "power-co"
township_also = false
default_priority = "urgent"

[[categories]]
code = "telecom-line-down"
name_zh = "通信线路故障"
name_en = "Telecom line down"
lead_unit = "china-telecom"
township_also = true
tier2_deadline_min = 120
default_priority = "normal"

[[categories]]
code = "weather-enquiry"
name_zh = "气象灾害咨询"
name_en = "Weather hazard enquiry"
lead_unit = "meteorology"
township_also = false
default_priority = "normal"
scene = false
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line containing `needle`."""
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in the text")


def replace_once(text: str, old: str, new: str, occurrence: int = 1) -> str:
    """`text` with the `occurrence`-th `old` replaced by `new`; fails if there is none."""
    start = -1
    for _ in range(occurrence):
        start = text.find(old, start + 1)
        assert start >= 0, f"{old!r} occurs fewer than {occurrence} times"
    return text[:start] + new + text[start + len(old) :]
