"""OASIS CAP 1.2 -> GateMessage: pure, bytes in (see docs/boundary.md for the field table).

Which `<info>`: the one in zh-CN, else any zh-*, else the first (languages compared
case-insensitively: real feeds write `Zh-TW`). Category: the county mapping, `<eventCode>`
values first, then `<event>`, then `<category>`; nothing mapped is a refusal naming the
event. `status` Exercise/Test is a drill; System/Draft and msgType Ack/Error are not
incidents. Update/Cancel name the incident by `<references>`: its key is the identifier of
the first message referenced (the original alert), and every referenced identifier is
tried, so a chain of updates lands on one incident.
"""

from __future__ import annotations

import hashlib
from typing import Any

from lxml import etree

from hub.registry import Registry
from hub.sources.boundary.capschema import NS, check_alert
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.model import GateMessage, GateRejection, Kind
from hub.sources.boundary.place import centroid, locate
from hub.sources.boundary.xmlsafe import parse_xml
from wire.limits import MAX_SHORT, MAX_TEXT

_KIND: dict[str, Kind] = {"Alert": "new", "Update": "update", "Cancel": "cancel"}


def _t(el: etree._Element | None, name: str) -> str:
    if el is None:
        return ""
    return " ".join((el.findtext(f"{{{NS}}}{name}") or "").split())


def _all(el: etree._Element, name: str) -> list[etree._Element]:
    return list(el.iterfind(f"{{{NS}}}{name}"))


def pick_info(alert: etree._Element) -> etree._Element | None:
    infos = _all(alert, "info")
    if not infos:
        return None
    langs = [(_t(i, "language") or "en-US").casefold() for i in infos]
    for want in ("zh-cn",):
        if want in langs:
            return infos[langs.index(want)]
    for lang, info in zip(langs, infos, strict=True):
        if lang == "zh" or lang.startswith("zh-"):
            return info
    return infos[0]


def _point(text: str, el: etree._Element) -> tuple[float, float]:
    try:
        lat_s, lon_s = text.split(",")
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        lat = lon = float("nan")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise GateRejection(
            "position",
            f"坐标 {text!r} 无效（应为 纬度,经度）",
            f"bad point {text!r} (want lat,lon)",
            element=etree.QName(el).localname,
            line=el.sourceline,
        )
    return lat, lon


def position(info: etree._Element) -> tuple[float, float] | None:
    """The first `<circle>`'s centre, else the first `<polygon>`'s centroid."""
    for area in _all(info, "area"):
        for circle in _all(area, "circle"):
            centre = (circle.text or "").split()
            if centre:
                return _point(centre[0], circle)
    for area in _all(info, "area"):
        for polygon in _all(area, "polygon"):
            pts = [_point(p, polygon) for p in (polygon.text or "").split()]
            if len(pts) >= 3:
                return centroid(pts)
    return None


def category(info: etree._Element, mapping: Mapping) -> str:
    codes = [(_t(c, "valueName"), _t(c, "value")) for c in _all(info, "eventCode")]
    for name, value in codes:
        found = mapping.lookup("cap.event_code", f"{name}:{value}") or mapping.lookup(
            "cap.event_code", value
        )
        if found:
            return found
    event = _t(info, "event")
    found = mapping.lookup("cap.event", event)
    cats = [" ".join((c.text or "").split()) for c in _all(info, "category")]
    for cat in [] if found else cats:
        found = mapping.lookup("cap.category", cat)
        if found:
            break
    if found:
        return found
    named = f"event {event!r}" + (f", eventCode {[v for _, v in codes]}" if codes else "")
    raise GateRejection(
        "unmapped",
        f"本县映射表中没有此类事件：<event>{event}</event>（{', '.join(cats)}），"
        "请在映射表中补充后重新处理",
        f"no mapping for {named} (categories {', '.join(cats)}): add it to the county's "
        "mapping file, then re-process",
        field="category",
        element="event",
        line=info.find(f"{{{NS}}}event").sourceline,  # type: ignore[union-attr]
    )


def _refs(alert: etree._Element) -> tuple[str, ...]:
    refs = []
    for triple in _t(alert, "references").split():
        parts = triple.split(",")
        if len(parts) >= 3 and parts[1]:
            refs.append(parts[1])
    return tuple(refs)


def parse_cap(data: bytes, registry: Registry, mapping: Mapping) -> GateMessage:
    alert = parse_xml(data)
    check_alert(alert)
    status, msg_type = _t(alert, "status"), _t(alert, "msgType")
    identifier = _t(alert, "identifier")
    if status in ("System", "Draft") or msg_type in ("Ack", "Error"):
        what = status if status in ("System", "Draft") else msg_type
        raise GateRejection(
            "not_incident",
            f"CAP {what} 消息不是警情，未处理",
            f"a CAP {what} message is not an incident; nothing done",
            element="status" if what == status else "msgType",
        )
    kind = _KIND[msg_type]
    refs = _refs(alert)
    if kind != "new" and not refs:
        raise GateRejection(
            "references",
            f"{msg_type} 须用 <references> 指明原警情",
            f"an {msg_type} must name the incident in <references>",
            element="references",
        )
    info = pick_info(alert)
    if info is None:
        raise GateRejection("no_info", "CAP 警报没有 <info>", "the CAP alert has no <info>",
                            element="info")  # fmt: skip
    notes: list[str] = []
    areas = [_t(a, "areaDesc") for a in _all(info, "area")]
    text = " ".join([*areas, _t(info, "headline"), _t(info, "description")])
    place = locate(registry, mapping, text, position(info))
    if place.note:
        notes.append(place.note)
    summary = "\n".join(s for s in (_t(info, "headline"), _t(info, "description")) if s)
    intake: dict[str, Any] = {
        "source_id": refs[0] if kind != "new" else identifier,
        "category": category(info, mapping) if kind != "cancel" else None,
        "township": place.township,
        "address": ("；".join(a for a in areas if a) or _t(info, "headline") or "（未给地址）")[
            :MAX_SHORT
        ],
        "summary": summary[:MAX_TEXT],
        "reported_at": _t(alert, "sent"),
        "drill": status in ("Exercise", "Test"),
    }
    if intake["category"] is None:  # a cancel needs no category; keep the dict complete
        intake["category"] = _cancel_category(info, mapping, registry)
    if place.lat is not None:
        intake["lat"], intake["lon"] = place.lat, place.lon
    severity = mapping.severity.get(_t(info, "severity").casefold())
    if severity:
        intake["priority"] = severity
    who = _t(info, "senderName") or _t(alert, "sender")
    notes.append(f"CAP {msg_type} {identifier}（{who}）")
    if _t(alert, "note"):
        notes.append(_t(alert, "note")[:MAX_TEXT])
    return GateMessage(
        kind=kind,
        format="cap",
        source_id=str(intake["source_id"]),
        msg_id="cap:" + (identifier or hashlib.sha256(data).hexdigest()),
        intake=intake,
        drill=bool(intake["drill"]),
        refs=refs,
        notes=tuple(notes),
        reason=_t(alert, "note") or _t(info, "headline") or "110 撤销",
    )


def _cancel_category(info: etree._Element, mapping: Mapping, registry: Registry) -> str:
    try:
        return category(info, mapping)
    except GateRejection:  # a cancel of an unmappable event still cancels what it names
        return next(iter(registry.categories))
