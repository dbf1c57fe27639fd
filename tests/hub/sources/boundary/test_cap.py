"""CAP 1.2 from the real files of ../shared/data/cap: each one an incident or a refusal
naming its unmapped event; each in invalid/ refused with a reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from hub.registry import Registry
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.model import GateMessage, GateRejection
from hub.sources.boundary.parse import parse_bytes
from tests.hub.sources.boundary.conftest import CAP_DIR, cap_files, shared

VALID = cap_files(CAP_DIR)
INVALID = cap_files(CAP_DIR / "invalid")


def parse(path: Path, registry: Registry, mapping: Mapping) -> GateMessage:
    return parse_bytes(shared(path).read_bytes(), registry, mapping)


@pytest.mark.parametrize("path", VALID or [CAP_DIR / "absent.xml"], ids=lambda p: p.name)
def test_every_real_file_is_an_incident_or_names_its_event(
    path: Path, registry: Registry, mapping: Mapping
) -> None:
    try:
        msg = parse(path, registry, mapping)
    except GateRejection as e:
        assert e.reason == "unmapped", e.to_json()
        assert e.element == "event" and "<event>" in e.zh and "event" in e.en
        return
    assert msg.format == "cap" and msg.source_id
    assert msg.intake["category"] in registry.categories


@pytest.mark.parametrize("path", INVALID or [CAP_DIR / "invalid/absent.xml"], ids=lambda p: p.name)
def test_every_invalid_file_is_refused_with_a_reason(
    path: Path, registry: Registry, mapping: Mapping
) -> None:
    with pytest.raises(GateRejection) as e:
        parse(path, registry, mapping)
    why = e.value.to_json()
    assert why["reason"] in ("cap_version", "cap_schema") and why["zh"] and why["en"]
    if path.name.startswith(("cap10", "cap11", "noaa")):
        assert ("1.0" if "cap10" in path.name else "1.1") in e.value.en


def test_old_versions_are_named(registry: Registry, mapping: Mapping) -> None:
    with pytest.raises(GateRejection, match=r"CAP 1\.0"):
        parse(CAP_DIR / "invalid/cap10-earthquake.xml", registry, mapping)


def test_update_names_the_original_by_references(registry: Registry, mapping: Mapping) -> None:
    msg = parse(CAP_DIR / "oasis-a3-earthquake.xml", registry, mapping)
    assert msg.kind == "update" and msg.source_id == "TRI13970876.1"
    assert msg.refs == ("TRI13970876.1",) and msg.msg_id == "cap:TRI13970876.2"


def test_test_status_is_a_drill(registry: Registry, mapping: Mapping) -> None:
    msg = parse(CAP_DIR / "tw-zh-fire-alarm-circle-test.xml", registry, mapping)
    assert msg.drill and msg.intake["drill"] is True and msg.intake["category"] == "fire"


def test_prefix_bom_and_iso_8859_1(registry: Registry, mapping: Mapping) -> None:
    assert parse(CAP_DIR / "australia-cap-prefixed.xml", registry, mapping).intake["category"]
    assert parse(CAP_DIR / "tw-zh-earthquake-bom-geocodes.xml", registry, mapping).kind == "new"
    usgs = parse(CAP_DIR / "usgs-earthquake-iso8859-1-signed.xml", registry, mapping)
    assert "Usulut" in usgs.intake["summary"]  # decoded from Latin-1


def _moved(path: Path, old: bytes, new: bytes) -> bytes:
    data = shared(path).read_bytes()
    assert old in data
    return data.replace(old, new)


def test_circle_in_the_county_gives_position_and_township(
    registry: Registry, mapping: Mapping
) -> None:
    """A real zh-TW fire alarm, its circle moved to Dazhuang (24.770, 101.560)."""
    data = _moved(
        CAP_DIR / "tw-zh-fire-alarm-circle-test.xml", b"24.978476,121.504593", b"24.771,101.561"
    )
    msg = parse_bytes(data, registry, replace(mapping, default_township=None))
    assert msg.intake["township"] == "dazhuang"
    assert (msg.intake["lat"], msg.intake["lon"]) == (24.771, 101.561)


def test_polygon_centroid(registry: Registry, mapping: Mapping) -> None:
    path = CAP_DIR / "tw-zh-thunderstorm-polygon.xml"
    mine = replace(mapping, tables={**mapping.tables, "cap.event": {"雷雨": "flooding"}})
    far = parse_bytes(shared(path).read_bytes(), registry, mine)
    assert "lat" not in far.intake and any("县外" in n for n in far.notes)
    # the same polygon shifted into the county: the centroid lands near Ejia (24.40, 101.25)
    import re

    data = path.read_bytes()
    poly = re.search(rb"<polygon>(.*?)</polygon>", data, re.S)
    assert poly is not None
    pts = [tuple(map(float, p.split(b","))) for p in poly.group(1).split()]
    lat0 = sum(p[0] for p in pts) / len(pts)
    lon0 = sum(p[1] for p in pts) / len(pts)
    shifted = b" ".join(
        f"{p[0] - lat0 + 24.40:.5f},{p[1] - lon0 + 101.25:.5f}".encode() for p in pts
    )
    msg = parse_bytes(data.replace(poly.group(1), shifted), registry, mine)
    assert msg.intake["township"] == "ejia"
    assert abs(msg.intake["lat"] - 24.40) < 0.1 and abs(msg.intake["lon"] - 101.25) < 0.1


def test_language_pick_is_case_insensitive_and_prefers_zh(
    registry: Registry, mapping: Mapping
) -> None:
    path = CAP_DIR / "oasis-a4-amber-alert-en-es.xml"
    mine = replace(
        mapping, tables={**mapping.tables, "cap.event": {"abducción de niño": "lost-person"}}
    )
    es_as_zh = _moved(path, b"<language>es-US</language>", b"<language>ZH-cn</language>")
    assert parse_bytes(es_as_zh, registry, mine).intake["category"] == "lost-person"
    with pytest.raises(GateRejection, match="Child Abduction"):  # no zh: the first info
        parse_bytes(shared(path).read_bytes(), registry, mine)


def test_unmapped_refusal_names_the_event(registry: Registry, mapping: Mapping) -> None:
    with pytest.raises(GateRejection) as e:
        parse(CAP_DIR / "oasis-a2-thunderstorm.xml", registry, mapping)
    assert "SEVERE THUNDERSTORM" in e.value.zh and "SEVERE THUNDERSTORM" in e.value.en
    assert e.value.line is not None
