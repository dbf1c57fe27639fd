"""The offline county map: hull, outline and projection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.console import maps
from hub.registry import Registry


def test_hull_of_a_square_with_a_point_inside() -> None:
    hull = maps.convex_hull([(0, 0), (0, 1), (1, 1), (1, 0), (0.5, 0.5)])
    assert sorted(hull) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def _inside(poly: list[tuple[float, float]], p: tuple[float, float]) -> bool:
    sign = 0
    for i, a in enumerate(poly):
        b = poly[(i + 1) % len(poly)]
        cross = (b[1] - a[1]) * (p[0] - a[0]) - (b[0] - a[0]) * (p[1] - a[1])
        if abs(cross) < 1e-12:
            continue
        s = 1 if cross > 0 else -1
        if sign and s != sign:
            return False
        sign = s
    return True


def test_the_outline_encloses_every_township(registry: Registry) -> None:
    points = [(t.lat, t.lon) for t in registry.townships.values()]
    outline = maps.outline(points)
    assert all(_inside(outline, p) for p in points)


@given(
    st.lists(
        st.tuples(st.floats(20, 30), st.floats(95, 110)), min_size=1, max_size=20, unique=True
    ),
    st.tuples(st.floats(20, 30), st.floats(95, 110)),
)
def test_every_marker_lands_inside_the_picture(
    towns: list[tuple[float, float]], incident: tuple[float, float]
) -> None:
    view = maps.build([(f"t{i}", p, i == 0) for i, p in enumerate(towns)], ("x", incident))
    assert len(view.markers) == len(towns) + 1
    for m in view.markers:
        assert 0 <= m.x <= view.width and 0 <= m.y <= view.height
    for pair in view.outline.split():
        x, y = map(float, pair.split(","))
        assert -0.5 <= x <= view.width + 0.5 and -0.5 <= y <= view.height + 0.5


def test_north_is_up_and_east_is_right(registry: Registry) -> None:
    towns = [(t.id, (t.lat, t.lon), t.urban) for t in registry.townships.values()]
    view = maps.build(towns, None)
    at = {m.label: m for m in view.markers}
    north = max(registry.townships.values(), key=lambda t: t.lat).id
    south = min(registry.townships.values(), key=lambda t: t.lat).id
    east = max(registry.townships.values(), key=lambda t: t.lon).id
    west = min(registry.townships.values(), key=lambda t: t.lon).id
    assert at[north].y < at[south].y and at[east].x > at[west].x


def test_a_map_needs_townships() -> None:
    with pytest.raises(ValueError, match="at least one township"):
        maps.build([], None)
