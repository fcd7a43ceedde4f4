"""Travel model: the contract's formula, symmetric, and the matrix agrees with the scalar."""

from __future__ import annotations

import math

from rso_scheduler.policy import TravelPolicy
from rso_scheduler.travel import (
    haversine_km,
    haversine_matrix_km,
    road_km,
    travel_min,
)

READING = (51.4543, -0.9781)
OXFORD = (51.7520, -1.2577)


def test_haversine_reading_oxford_is_about_38_km() -> None:
    """Reading to Oxford is about 38 km in a straight line."""
    assert 37.0 < haversine_km(*READING, *OXFORD) < 39.5


def test_travel_minutes_match_contract_formula() -> None:
    """ceil(km * circuity / speed * 60) with the default policy."""
    tp = TravelPolicy()
    km = haversine_km(*READING, *OXFORD)
    assert travel_min(*READING, *OXFORD, tp) == math.ceil(km * 1.35 / 40 * 60)


def test_travel_minutes_follow_policy_speed() -> None:
    """Doubling the speed roughly halves the minutes."""
    slow = travel_min(*READING, *OXFORD, TravelPolicy(speed_kmh=40))
    fast = travel_min(*READING, *OXFORD, TravelPolicy(speed_kmh=80))
    assert fast in (math.ceil(slow / 2) - 1, math.ceil(slow / 2))


def test_same_point_is_zero_minutes() -> None:
    """No travel between a point and itself."""
    assert travel_min(*READING, *READING, TravelPolicy()) == 0


def test_symmetric_and_road_km_uses_circuity() -> None:
    """Travel is symmetric; road km = straight km x circuity."""
    tp = TravelPolicy(circuity=1.5)
    assert travel_min(*READING, *OXFORD, tp) == travel_min(*OXFORD, *READING, tp)
    assert math.isclose(road_km(*READING, *OXFORD, tp), 1.5 * haversine_km(*READING, *OXFORD))


def test_matrix_agrees_with_scalar() -> None:
    """The vectorised km matrix agrees with the scalar function."""
    pts = [READING, OXFORD, (51.5105, -0.5950)]
    km = haversine_matrix_km(
        [p[0] for p in pts], [p[1] for p in pts], [p[0] for p in pts], [p[1] for p in pts]
    )
    for i, a in enumerate(pts):
        for j, b in enumerate(pts):
            assert math.isclose(km[i, j], haversine_km(*a, *b), abs_tol=1e-6)
