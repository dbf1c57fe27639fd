from __future__ import annotations

import pytest

from wire import topics
from wire.errors import WireError
from wire.ids import check_name, new_id
from wire.phone import mask_phone


def test_build_and_parse() -> None:
    assert topics.down("shuangbai", "power-co") == "ld/v1/shuangbai/power-co/down"
    t = topics.parse(topics.tracker("shuangbai", "fire", "truck-2"))
    assert (t.county, t.unit, t.channel, t.tracker) == ("shuangbai", "fire", "trackers", "truck-2")
    assert str(t) == "ld/v1/shuangbai/fire/trackers/truck-2"
    assert topics.parse("ld/v1/shuangbai/fire/state").channel == "state"


@pytest.mark.parametrize(
    "bad",
    [
        "ld/v1/shuangbai/fire",
        "ld/v2/shuangbai/fire/up",
        "ld/v1/shuangbai/Fire/up",
        "ld/v1/shuangbai/fire/sideways",
        "ld/v1/shuangbai/fire/up/extra",
        "ld/v1/shuangbai/+/up",
        "ld/v1/shuangbai/fire/trackers/",
        "",
    ],
)
def test_parse_rejects(bad: str) -> None:
    with pytest.raises(WireError) as e:
        topics.parse(bad)
    assert e.value.reason == "bad_topic"


@pytest.mark.parametrize("bad", ["", "A", "a/b", "a+", "#", "-lead", "x" * 33, "名字"])
def test_ids_rejected(bad: str) -> None:
    with pytest.raises(WireError, match="1 to 32 lowercase"):
        check_name(bad)
    with pytest.raises(WireError):
        topics.up("shuangbai", bad)


def test_ids_accepted() -> None:
    assert check_name("x" * 32) == "x" * 32
    assert check_name("tuodian-police-1") == "tuodian-police-1"
    assert new_id() != new_id()


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "861****5678"),
        ("0878-7712345", "087****2345"),
        ("7712345", "***45"),
        ("87712345", "****2345"),
        ("12345", "***45"),
        ("", ""),
        (None, ""),
        ("unknown", ""),
        ("139****1234", "139****1234"),  # already masked (a self-recorded call): kept
        ("***45", "***45"),
        ("139*1234", "***34"),  # one star is no mask: the digits are masked
    ],
)
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked
