"""Travel model objects: the contract's formula, how a model is chosen, and its policy keys."""

from __future__ import annotations

import math

import pytest

from rso_scheduler.errors import PlanError, PolicyError
from rso_scheduler.policy import Policy, TravelPolicy, parse_policy
from rso_scheduler.travel import (
    HaversineTravel,
    Place,
    haversine_km,
    haversine_matrix_km,
    travel_for,
)

READING = Place("R", 51.4543, -0.9781)
OXFORD = Place("O", 51.7520, -1.2577)
SLOUGH = Place("S", 51.5105, -0.5950)


def _minutes(a: Place, b: Place, tp: TravelPolicy | None = None) -> int:
    return HaversineTravel(tp or TravelPolicy()).minutes(a, b)


def test_haversine_reading_oxford_is_about_38_km() -> None:
    """Reading to Oxford is about 38 km in a straight line."""
    assert 37.0 < haversine_km(*READING.point, *OXFORD.point) < 39.5


def test_travel_minutes_match_contract_formula() -> None:
    """ceil(km * circuity / speed * 60) with the default policy."""
    km = haversine_km(*READING.point, *OXFORD.point)
    assert _minutes(READING, OXFORD) == math.ceil(km * 1.35 / 40 * 60)


def test_travel_minutes_follow_policy_speed() -> None:
    """Doubling the speed roughly halves the minutes."""
    slow = _minutes(READING, OXFORD, TravelPolicy(speed_kmh=40))
    fast = _minutes(READING, OXFORD, TravelPolicy(speed_kmh=80))
    assert fast in (math.ceil(slow / 2) - 1, math.ceil(slow / 2))


def test_same_point_is_zero_minutes() -> None:
    """No travel between a point and itself."""
    assert _minutes(READING, READING) == 0


def test_symmetric_and_km_uses_circuity() -> None:
    """Straight-line travel is symmetric; km = straight km x circuity."""
    tp = TravelPolicy(circuity=1.5)
    t = HaversineTravel(tp)
    assert t.minutes(READING, OXFORD) == t.minutes(OXFORD, READING)
    assert math.isclose(t.km(READING, OXFORD), 1.5 * haversine_km(*READING.point, *OXFORD.point))


def test_matrix_agrees_with_scalar() -> None:
    """The km estimate matrix, the minute matrix and the bulk array agree with the scalar."""
    pts = [READING, OXFORD, SLOUGH]
    km = haversine_matrix_km(
        [p.lat for p in pts], [p.lon for p in pts], [p.lat for p in pts], [p.lon for p in pts]
    )
    t = HaversineTravel(TravelPolicy())
    mins = t.matrix_min(pts)
    bulk = t.minutes_array(pts, pts)
    for i, a in enumerate(pts):
        for j, b in enumerate(pts):
            assert math.isclose(km[i, j], haversine_km(*a.point, *b.point), abs_tol=1e-6)
            assert mins[i][j] == t.minutes(a, b) == int(bulk[i, j])


def test_travel_for_refuses_a_road_policy_without_a_built_model() -> None:
    """A road policy with no travel object built is a loud error, never a silent straight line."""
    road = parse_policy('[travel]\nmodel = "road"\nnetwork = "area.osm.pbf"\n')
    with pytest.raises(PlanError, match="build_travel"):
        travel_for(None, road)
    assert isinstance(travel_for(None, Policy()), HaversineTravel)


@pytest.mark.parametrize(
    ("text", "key", "found"),
    [
        ('[travel]\nmodel = "road"\n', "travel.network", "is missing"),
        ('[travel]\nmodel = "matrix"\n', "travel.file", "is missing"),
        ('[travel]\nnetwork = "a.osm.pbf"\n', "travel.network", 'only with model = "road"'),
        ('[travel]\nmodel = "road"\nnetwork = "a.csv"\n', "travel.network", ".osm.pbf"),
        ('[travel]\nfile = "t.csv"\n', "travel.file", 'only with model = "matrix"'),
        ('[travel]\nmodel = "osrm"\n', "travel.model", "haversine"),
        (
            '[travel]\nmodel = "road"\nnetwork = "a.osm.pbf"\ncongestion_factor = 0\n',
            "travel.congestion_factor",
            "greater than 0",
        ),
        (
            '[travel]\nmodel = "road"\nnetwork = "a.osm.pbf"\ncongestion_factor = true\n',
            "travel.congestion_factor",
            "not true/false",
        ),
    ],
)
def test_travel_policy_problems_are_located(text: str, key: str, found: str) -> None:
    """Each bad [travel] setting is reported with its key and a line."""
    with pytest.raises(PolicyError) as exc:
        parse_policy(text)
    (p,) = exc.value.problems
    assert p.column == key and p.line is not None and found in p.message


def test_haversine_policy_hash_is_unchanged_by_the_new_keys() -> None:
    """The straight-line policy's record has no road or matrix keys (old hashes stay)."""
    assert set(Policy().as_dict()["travel"]) == {"model", "circuity", "speed_kmh"}
