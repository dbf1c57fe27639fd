"""An offline map as inline SVG: the county outline, its townships and the incident.

The command centre's network has no internet, so no tile server: the outline is the convex
hull of the township points pushed outward by a margin (a fair sketch of a county whose
townships are spread over it), projected equirectangularly with the longitude scaled by
cos(latitude) so distances look right at 24 degrees north. Pure functions; the template
draws the numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Point = tuple[float, float]  # (lat, lon)

WIDTH = 480.0
HEIGHT = 360.0
PAD = 24.0
MARGIN = 0.18  # the outline reaches this fraction of the extent beyond the outer townships


@dataclass(frozen=True)
class Marker:
    """A labelled point on the map, in SVG units."""

    x: float
    y: float
    label: str
    kind: str  # "township" | "urban" | "incident"


@dataclass(frozen=True)
class MapView:
    """What the template draws."""

    width: float
    height: float
    outline: str  # SVG `points` attribute
    markers: tuple[Marker, ...]
    # The projection, so a click on the map can be turned back into a position (entry.html
    # hands these to static/pick.js): x = off_x + (lon - lon_min) * k * scale,
    # y = off_y + (lat_max - lat) * scale.
    lat_max: float = 0.0
    lon_min: float = 0.0
    k: float = 1.0
    scale: float = 1.0
    off_x: float = 0.0
    off_y: float = 0.0

    def latlon(self, x: float, y: float) -> Point:
        """The position under an SVG point (the inverse of the projection)."""
        return (
            self.lat_max - (y - self.off_y) / self.scale,
            self.lon_min + (x - self.off_x) / (self.k * self.scale),
        )


def convex_hull(points: Iterable[Point]) -> list[Point]:
    """Andrew's monotone chain on (lon, lat); returns the hull counter-clockwise."""
    pts = sorted(set(points), key=lambda p: (p[1], p[0]))
    if len(pts) <= 2:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def outline(points: list[Point]) -> list[Point]:
    """The hull pushed outward from its centre; a small diamond for fewer than 3 points."""
    hull = convex_hull(points)
    lat0 = sum(p[0] for p in points) / len(points)
    lon0 = sum(p[1] for p in points) / len(points)
    if len(hull) < 3:
        r = 0.05
        return [(lat0 + r, lon0), (lat0, lon0 + r), (lat0 - r, lon0), (lat0, lon0 - r)]
    span = max(
        max(p[0] for p in hull) - min(p[0] for p in hull),
        max(p[1] for p in hull) - min(p[1] for p in hull),
    )
    grow = MARGIN * span
    out = []
    for lat, lon in hull:
        d = math.hypot(lat - lat0, lon - lon0) or 1.0
        out.append((lat + (lat - lat0) / d * grow, lon + (lon - lon0) / d * grow))
    return out


def build(townships: list[tuple[str, Point, bool]], incident: tuple[str, Point] | None) -> MapView:
    """Project the outline, townships (name, point, urban) and the incident onto the SVG box."""
    if not townships:
        raise ValueError("a map needs at least one township")
    shape = outline([p for _, p, _ in townships])
    every = shape + [p for _, p, _ in townships] + ([incident[1]] if incident else [])
    lat_min, lat_max = min(p[0] for p in every), max(p[0] for p in every)
    lon_min, lon_max = min(p[1] for p in every), max(p[1] for p in every)
    k = math.cos(math.radians((lat_min + lat_max) / 2))
    span_x = max((lon_max - lon_min) * k, 1e-6)
    span_y = max(lat_max - lat_min, 1e-6)
    scale = min((WIDTH - 2 * PAD) / span_x, (HEIGHT - 2 * PAD) / span_y)
    off_x = (WIDTH - span_x * scale) / 2
    off_y = (HEIGHT - span_y * scale) / 2

    def xy(p: Point) -> tuple[float, float]:
        x = off_x + (p[1] - lon_min) * k * scale
        y = off_y + (lat_max - p[0]) * scale
        return round(x, 1), round(y, 1)

    markers = [
        Marker(*xy(p), label=name, kind="urban" if urban else "township")
        for name, p, urban in townships
    ]
    if incident:
        markers.append(Marker(*xy(incident[1]), label=incident[0], kind="incident"))
    points = " ".join(f"{x},{y}" for x, y in (xy(p) for p in shape))
    return MapView(WIDTH, HEIGHT, points, tuple(markers), lat_max, lon_min, k, scale, off_x, off_y)


def bounds(townships: list[Point]) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of the county's outline: a typed or picked
    position outside it is a typo (or the wrong county), refused before it reaches a unit."""
    shape = outline(townships)
    lats, lons = [p[0] for p in shape], [p[1] for p in shape]
    return min(lats), max(lats), min(lons), max(lons)
