"""Distances on the earth, one formula for the hub and the gateways.

Both sides decide "arrived" by the same radius (150 m by default); computing the distance
the same way on both keeps a terminal and the hub from disagreeing at the edge.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
"""The IUGG mean radius; the sphere is good to well under a metre at 150 m."""


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
