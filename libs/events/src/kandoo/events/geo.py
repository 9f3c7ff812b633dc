"""Plane geometry the platform needs, in pure Python: jurisdiction, distances, geohash cells.

FerretDB has no geo indexes, so everything geographic is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Point = tuple[float, float]  # (lat, lon), WGS84 degrees
EARTH_RADIUS_M = 6_371_008.8
_GEOHASH = "0123456789bcdefghjkmnpqrstuvwxyz"


def contains(polygon: Sequence[Point], lat: float, lon: float) -> bool:
    """Whether (lat, lon) lies inside `polygon` (ray casting; fine at a city's scale)."""
    inside = False
    n = len(polygon)
    for i in range(n):
        lat1, lon1 = polygon[i]
        lat2, lon2 = polygon[(i + 1) % n]
        if (lat1 > lat) != (lat2 > lat):
            crossing = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if lon < crossing:
                inside = not inside
    return inside


METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
"""Metres per degree of latitude (and of longitude at the equator)."""


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def geohash(lat: float, lon: float, precision: int = 7) -> str:
    """The geohash cell of a point; precision 7 is about 153 m x 153 m."""
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    chars: list[str] = []
    bits, bit_count, even = 0, 0, True
    while len(chars) < precision:
        rng, value = (lon_range, lon) if even else (lat_range, lat)
        mid = (rng[0] + rng[1]) / 2
        bits <<= 1
        if value >= mid:
            bits |= 1
            rng[0] = mid
        else:
            rng[1] = mid
        even = not even
        bit_count += 1
        if bit_count == 5:
            chars.append(_GEOHASH[bits])
            bits, bit_count = 0, 0
    return "".join(chars)


def geohash_bounds(cell: str) -> tuple[float, float, float, float]:
    """The (south, west, north, east) edges of a geohash cell."""
    lat_range, lon_range = [-90.0, 90.0], [-180.0, 180.0]
    even = True
    for char in cell:
        bits = _GEOHASH.index(char)
        for shift in range(4, -1, -1):
            rng = lon_range if even else lat_range
            mid = (rng[0] + rng[1]) / 2
            if bits >> shift & 1:
                rng[0] = mid
            else:
                rng[1] = mid
            even = not even
    return lat_range[0], lon_range[0], lat_range[1], lon_range[1]


def cells_covering(
    south: float, west: float, north: float, east: float, precision: int
) -> list[str]:
    """The geohash cells of `precision` that a (south, west, north, east) box touches."""
    s0, w0, n0, e0 = geohash_bounds(geohash(south, west, precision))
    height, width = n0 - s0, e0 - w0
    cells: set[str] = set()
    lat = s0 + height / 2
    while lat < north + height / 2:
        lon = w0 + width / 2
        while lon < east + width / 2:
            cells.add(geohash(min(lat, 90.0), min(lon, 180.0), precision))
            lon += width
        lat += height
    return sorted(cells)
