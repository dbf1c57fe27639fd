"""Where an incident is: a township of the registry, and a position when one is in the county.

The township decides 属地管理 (the township government also gets an order), so it is never
guessed from nothing: first a township named in the address text, then the nearest
township centre to the position if that is within the county (`max_km`), then the county's
`default_township` if it set one; otherwise the file is refused. A position far outside
the county (a foreign feed) is not put on the order: it would send a crew to the wrong map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hub.registry import Registry
from hub.sources.boundary.mapping import Mapping
from hub.sources.boundary.model import GateRejection

EARTH_KM = 6371.0


@dataclass(frozen=True)
class Place:
    township: str
    lat: float | None
    lon: float | None
    note: str = ""  # for the timeline when the position was not used


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Area centroid of a closed ring of (lat, lon); the vertex mean if it is degenerate.
    Plane geometry is right at a county's scale."""
    ring = points[:-1] if len(points) > 1 and points[0] == points[-1] else points
    area = cx = cy = 0.0
    for (y0, x0), (y1, x1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    return cy / (3 * area), cx / (3 * area)


def township_in_text(registry: Registry, text: str) -> str | None:
    """A township whose Chinese name (妥甸镇) or id appears in the text; the longest wins."""
    found = [
        t
        for t in registry.townships.values()
        if t.name_zh in text or (len(t.id) > 3 and t.id in text.casefold())
    ]
    return max(found, key=lambda t: len(t.name_zh)).id if found else None


def locate(
    registry: Registry,
    mapping: Mapping,
    text: str,
    position: tuple[float, float] | None,
    *,
    element: str = "area",
) -> Place:
    named = township_in_text(registry, text)
    lat = lon = None
    note = ""
    nearest = None
    if position is not None:
        plat, plon = position
        dist, nearest = min(
            (distance_km(plat, plon, t.lat, t.lon), t.id) for t in registry.townships.values()
        )
        if dist <= mapping.max_km:
            lat, lon = plat, plon
        else:
            nearest = None
            note = (
                f"位置 {plat:.5f},{plon:.5f} 距最近乡镇 {dist:.0f} km，在县外，未采用 "
                f"(position {dist:.0f} km from the county: not used)"
            )
    township = named or nearest or mapping.default_township
    if township is None:
        raise GateRejection(
            "township",
            "无法确定乡镇：地址中没有本县乡镇名，也没有县内坐标",
            "no township: the address names none of the county's townships and there is no "
            "position inside the county",
            field="township",
            element=element,
        )
    return Place(township, lat, lon, note)
