"""wire.geo: the one distance both the hub and the gateways decide arrival by."""

from __future__ import annotations

import pytest

from wire.geo import distance_m


def test_distance() -> None:
    # one minute of latitude is one nautical mile
    assert distance_m(24.0, 101.0, 24.0 + 1 / 60, 101.0) == pytest.approx(1853, rel=2e-3)
    assert distance_m(24.69, 101.64, 24.69, 101.64) == 0


def test_distance_is_symmetric_and_shrinks_with_latitude() -> None:
    a = distance_m(24.69, 101.64, 24.70, 101.65)
    assert a == pytest.approx(distance_m(24.70, 101.65, 24.69, 101.64))
    # a degree of longitude is shorter in the north of China than at the equator
    assert distance_m(45.0, 120.0, 45.0, 121.0) < distance_m(0.0, 120.0, 0.0, 121.0)
