"""Travel time between two points under the configured travel model.

The contract's default model: whole minutes `ceil(haversine_km * circuity / speed_kmh * 60)`
with Earth radius 6371.0088 km. Every part of the tool (solver, checker, reports) uses
`travel_min` so that the same pair of points always gives the same minutes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rso_scheduler.policy import TravelPolicy

EARTH_RADIUS_KM = 6371.0088
_EPS = 1e-9  # guards ceil() against float noise such as 12.000000000001


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def road_km(lat1: float, lon1: float, lat2: float, lon2: float, travel: TravelPolicy) -> float:
    """Estimated road distance: straight line times circuity."""
    return haversine_km(lat1, lon1, lat2, lon2) * travel.circuity


def travel_min(lat1: float, lon1: float, lat2: float, lon2: float, travel: TravelPolicy) -> int:
    """Whole minutes of travel between two points (the contract's formula)."""
    km = haversine_km(lat1, lon1, lat2, lon2)
    return max(0, math.ceil(km * travel.circuity / travel.speed_kmh * 60 - _EPS))


def haversine_matrix_km(
    lats_a: Sequence[float],
    lons_a: Sequence[float],
    lats_b: Sequence[float],
    lons_b: Sequence[float],
) -> np.ndarray:
    """Straight-line km between every point of A (rows) and of B (columns), vectorised.

    For estimates and nearest-neighbour search only; exact minutes come from `travel_min`.
    """
    la = np.radians(np.asarray(lats_a, dtype=float))[:, None]
    oa = np.radians(np.asarray(lons_a, dtype=float))[:, None]
    lb = np.radians(np.asarray(lats_b, dtype=float))[None, :]
    ob = np.radians(np.asarray(lons_b, dtype=float))[None, :]
    a = np.sin((lb - la) / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin((ob - oa) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
