"""Great-circle distance: the one home of the Earth radius and the haversine formula.

A leaf module (numpy and math only), as OSMnx keeps its distance maths in `distance.py`: travel,
the road network, the input checks and the planners all import it, and it imports none of them.
The independent checker (`check.py`) keeps its own copy on purpose.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # the contract's radius (IUGG mean)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in decimal degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_pairs_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle km between paired points (arrays broadcast element-wise)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (
        np.sin((p2 - p1) / 2) ** 2
        + np.cos(p1) * np.cos(p2) * np.sin(np.radians(np.asarray(lon2) - np.asarray(lon1)) / 2) ** 2
    )
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a))))


def haversine_matrix_km(
    lats_a: Sequence[float],
    lons_a: Sequence[float],
    lats_b: Sequence[float],
    lons_b: Sequence[float],
) -> np.ndarray:
    """Straight-line km between every point of A (rows) and of B (columns), vectorised."""
    la = np.asarray(lats_a, dtype=float)[:, None]
    oa = np.asarray(lons_a, dtype=float)[:, None]
    lb = np.asarray(lats_b, dtype=float)[None, :]
    ob = np.asarray(lons_b, dtype=float)[None, :]
    return haversine_pairs_km(la, oa, lb, ob)


def unit_vectors(lat_deg: Sequence[float], lon_deg: Sequence[float]) -> np.ndarray:
    """Points as unit vectors on the sphere (rows x, y, z): dot products give great-circle angles."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
