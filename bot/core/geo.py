"""Distances on the WGS84 sphere."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from bot.core.models import GeoPoint

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def in_ring(point: GeoPoint, ring: Sequence[Sequence[float]]) -> bool:
    """Is ``point`` inside a GeoJSON linear ring (``[[lon, lat], …]``)? Even-odd ray casting."""
    lon, lat = point.lon, point.lat
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def in_polygon(point: GeoPoint, rings: Sequence[Sequence[Sequence[float]]]) -> bool:
    """Inside a GeoJSON polygon: its outer ring and none of its holes."""
    return in_ring(point, rings[0]) and not any(in_ring(point, hole) for hole in rings[1:])


def distance_to_ring_m(point: GeoPoint, ring: Sequence[Sequence[float]]) -> float:
    """Metres from ``point`` to the nearest edge of a ring (planar within an edge: fine at a city's scale)."""
    k = math.cos(math.radians(point.lat))
    best = math.inf
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        ax, ay = (x1 - point.lon) * k, y1 - point.lat
        bx, by = (x2 - point.lon) * k, y2 - point.lat
        dx, dy = bx - ax, by - ay
        t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / (dx * dx + dy * dy)))
        cx, cy = ax + t * dx, ay + t * dy
        best = min(best, math.hypot(cx, cy))
    return math.radians(best) * EARTH_RADIUS_M
