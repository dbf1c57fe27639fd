"""NENA EIDO JSON (NENA-STA-021) -> GateMessage: pure, bytes in.

We read what an incident needs and check the shape of exactly that (objects where the
schema has objects, strings where it has strings, `$id` present); the full OpenAPI schema
is NENA's and is not shipped, but the tests validate NENA's own sample with it (the
upstream `minItems: 1,` typo read as 1, as ../shared/data/eido's README says).

- 110 number: `incidentComponent.incidentTrackingIdentifier`, else the EIDO's `$id`.
- Category: `incidentTypeCommonRegistryText`, else the call types, by the county mapping.
- Place: the PIDF-LO `locationByValue` (civic address, or a gml:pos point), parsed with the
  same safe XML reader as CAP; a `locationByReferenceUrl` is never fetched.
- Caller: the `tel:` callback URI; stored by the hub in full, masked everywhere it is
  shown, and masked here in every note.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from hub.registry import Registry
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.model import GateMessage, GateRejection, Kind
from hub.sources.boundary.place import locate
from hub.sources.boundary.rawbytes import utf8_text
from hub.sources.boundary.xmlsafe import parse_xml
from wire.limits import MAX_SHORT, MAX_TEXT
from wire.phone import mask_phone

_TAGS = re.compile(r"<[^>]*>")
_PHONE_RUN = re.compile(r"\+?\d[\d -]{6,}\d")
_CIVIC_ORDER = ("country", "A1", "A2", "A3", "A4", "A5", "A6", "PRD", "RD", "STS", "POD",
                "HNO", "HNS", "LMK", "LOC", "NAM", "BLD", "FLR", "ROOM")  # fmt: skip
CIVIC_NS = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
GML_NS = "http://www.opengis.net/gml"


def mask_text(text: str) -> str:
    """Every run of 8 or more digits that looks like a phone number, masked."""
    return _PHONE_RUN.sub(lambda m: mask_phone(m.group(0)), text)


def _bad(zh: str, en: str, field: str) -> GateRejection:
    return GateRejection("eido_schema", zh, en, field=field)


def _obj(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise _bad(f"{name} 须为对象", f"{name} must be an object", name)
    return value


def _list(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _bad(f"{name} 须为对象数组", f"{name} must be an array of objects", name)
    return value


def _str(data: dict[str, Any], name: str, where: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise _bad(
            f"{where}.{name} 须为文字", f"{where}.{name} must be a string", f"{where}.{name}"
        )
    return " ".join(value.split())


def _civic_and_point(xml: str) -> tuple[str, tuple[float, float] | None]:
    root = parse_xml(xml.encode("utf-8"))
    parts = []
    for civic in root.iter(f"{{{CIVIC_NS}}}civicAddress"):
        by_name = {etree.QName(c).localname: " ".join((c.text or "").split()) for c in civic}
        parts = [by_name[k] for k in _CIVIC_ORDER if by_name.get(k)]
        break
    point = None
    for pos in root.iter(f"{{{GML_NS}}}pos"):
        try:
            lat, lon = (float(x) for x in (pos.text or "").split()[:2])
        except ValueError:
            continue
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            point = (lat, lon)
            break
    return " ".join(parts), point


def _category(incident: dict[str, Any], calls: list[dict[str, Any]], mapping: Mapping) -> str:
    tried = []
    names = [_str(incident, "incidentTypeCommonRegistryText", "incidentComponent")]
    for call in calls:
        for key in ("localCallType", "standardSecondaryCallType", "standardPrimaryCallType"):
            names.append(_str(call, key, "callComponent"))
    for name in names:
        if name:
            tried.append(name)
            found = mapping.lookup("eido.incident_type", name)
            if found:
                return found
    raise GateRejection(
        "unmapped",
        f"本县映射表中没有此类事件：{tried or '（未给类型）'}，请在映射表中补充后重新处理",
        f"no mapping for incident type {tried or '(none given)'}: add it to the county's "
        "mapping file, then re-process",
        field="incidentComponent.incidentTypeCommonRegistryText",
    )


def parse_eido(data: bytes, registry: Registry, mapping: Mapping) -> GateMessage:
    try:
        doc = json.loads(utf8_text(data))
    except (json.JSONDecodeError, RecursionError) as e:
        line = getattr(e, "lineno", None)
        raise GateRejection(
            "malformed", f"JSON 格式错误：{e}", f"malformed JSON: {e}", line=line
        ) from None
    if not isinstance(doc, dict):
        raise _bad("EIDO 须为 JSON 对象", "an EIDO must be a JSON object", "body")
    eido_id = _str(doc, "$id", "eido")
    if not eido_id:
        raise _bad("缺少 $id", "$id is required", "$id")
    incident = _obj(doc, "incidentComponent")
    calls = _list(doc, "callComponent")
    number = _str(incident, "incidentTrackingIdentifier", "incidentComponent") or eido_id
    status = " ".join(
        s for s in incident.get("incidentStatusCommonRegistryText", []) if isinstance(s, str)
    ).casefold()
    kind: Kind = "cancel" if "cancel" in status else "new"
    notes = [
        mask_text(_TAGS.sub(" ", _str(n, "notesActionComments", "notesComponent")))
        for n in _list(doc, "notesComponent")
    ]
    address, point = "", None
    for loc in _list(doc, "locationComponent"):
        by_value = _str(loc, "locationByValue", "locationComponent")
        if by_value:
            address, point = _civic_and_point(by_value)
            if address or point:
                break
    place = locate(registry, mapping, address, point, element="locationComponent")
    phone = ""
    for cb in _list(doc, "callbackComponent"):
        uris = cb.get("callBackInformationUri", [])
        for uri in uris if isinstance(uris, list) else []:
            if isinstance(uri, str) and uri.startswith("tel:"):
                phone = re.sub(r"[^0-9+]", "", uri[4:])[:32]
                break
        if phone:
            break
    started = next((_str(c, "callStartTimestamp", "callComponent") for c in calls), "")
    summary = "\n".join(n for n in notes if n.strip()) or _str(
        incident, "incidentTypeInternalText", "incidentComponent"
    )
    intake: dict[str, Any] = {
        "source_id": number,
        "category": _category(incident, calls, mapping)
        if kind != "cancel"
        else next(iter(registry.categories)),
        "township": place.township,
        "address": (address or "（EIDO 未给地址）")[:MAX_SHORT],
        "summary": summary[:MAX_TEXT],
        "reported_at": started or _str(doc, "lastUpdateTimeStamp", "eido"),
    }
    if phone:
        intake["caller_phone"] = phone
    if place.lat is not None:
        intake["lat"], intake["lon"] = place.lat, place.lon
    timeline = [f"EIDO {eido_id}" + (f"，来电 {mask_phone(phone)}" if phone else "")]
    if place.note:
        timeline.append(place.note)
    return GateMessage(
        kind=kind,
        format="eido",
        source_id=number,
        msg_id=f"eido:{eido_id}@{_str(doc, 'lastUpdateTimeStamp', 'eido')}",
        intake=intake,
        notes=tuple(timeline + [n for n in notes if n.strip()]),
        reason="110 撤销 (EIDO cancelled)",
    )
