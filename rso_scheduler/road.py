"""The road travel model: fastest car paths over an OpenStreetMap extract, on this machine.

Read with pyosmium (`osmium`), routed with scipy's sparse-graph Dijkstra; nothing is fetched.
The rules (README "Road travel times" repeats them):

- Drivable ways: `highway` in `DEFAULT_SPEED_KMH`, except `access`/`motor_vehicle`/`motorcar`
  = no or private (unless `motor_vehicle`/`motorcar` = yes) and `area=yes`.
- Speed of a way: its `maxspeed` ("30 mph" in mph; a plain number, or "km/h", in km/h; the UK
  national limits `GB:nsl_single` 60 mph, `GB:nsl_dual` and `GB:motorway` 70 mph; several
  values "30;40" take the lowest), else the class default below; then times
  `[travel] congestion_factor`.
- One-way: `oneway` = yes/true/1 (forward), -1/reverse (backward), `junction` = roundabout or
  circular, and `highway` = motorway (unless `oneway=no`).
- Homes and bases snap to the nearest node of a drivable way that is not a motorway or a
  motorway/trunk slip road; the snap leg itself is not timed. A point more than
  `MAX_SNAP_M` from any road, or a pair with no path (an island, a road missing from the
  extract), falls back to the straight-line model for its pairs, counted and reported.
- Minutes are the path's time rounded up to whole minutes; km is the length of that path. Ties
  in time are broken by the shorter path.

The matrix among a run's points is cached in `<data folder>/.rso-cache/` (folder 0700, files
0600), keyed by the extract's SHA-256, the road settings and the points, so a re-plan or a
scenario sweep reuses it.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.geo import EARTH_RADIUS_KM, haversine_pairs_km
from rso_scheduler.input.files import open_problem, present
from rso_scheduler.policy import TravelPolicy
from rso_scheduler.travel import (
    HaversineTravel,
    Place,
    TableTravel,
)

MPH_KMH = 1.609344
# Class speeds (km/h) where a way has no usable maxspeed: typical free-flow speeds on English
# roads of each class (a motorway's 70 mph limit is rarely held on average).
DEFAULT_SPEED_KMH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 65.0,
    "primary_link": 40.0,
    "secondary": 55.0,
    "secondary_link": 40.0,
    "tertiary": 45.0,
    "tertiary_link": 35.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
}
NAMED_LIMITS_KMH = {
    "gb:nsl_single": 60 * MPH_KMH,
    "gb:nsl_dual": 70 * MPH_KMH,
    "gb:motorway": 70 * MPH_KMH,
    "uk:nsl_single": 60 * MPH_KMH,
    "uk:nsl_dual": 70 * MPH_KMH,
    "uk:motorway": 70 * MPH_KMH,
    "walk": 6.0,
}
NO_SNAP = frozenset({"motorway", "motorway_link", "trunk_link"})
MAX_SNAP_M = 3000.0  # farther than this from any road: the point is not on the network
CACHE_DIR = ".rso-cache"
CACHE_FORMAT = 1
MAX_POINTS = 10000  # distinct points; memory is about points^2 x 17 bytes (1.7 GB at 10,000)
# Path weights are exact integers in float64: time in ms x K + length in decimetres, so one
# Dijkstra gives the fastest time and that path's length (exact below 2**53: 25 hours).
_K = 10**8
_CHUNK = 32  # Dijkstra sources per batch (bounds memory to _CHUNK x nodes x 8 bytes)


def parse_maxspeed(value: str | None) -> float | None:
    """km/h from an OSM `maxspeed` value, or None if it gives no usable number."""
    if not value:
        return None
    speeds: list[float] = []
    for part in value.split(";"):
        s = part.strip().lower()
        if s in NAMED_LIMITS_KMH:
            speeds.append(NAMED_LIMITS_KMH[s])
            continue
        factor = 1.0
        if s.endswith("mph"):
            factor, s = MPH_KMH, s[:-3].strip()
        elif s.endswith("km/h") or s.endswith("kmh") or s.endswith("kph"):
            s = s.rstrip("km/hp").strip()
        try:
            v = float(s) * factor
        except ValueError:
            continue
        if 0 < v <= 200:
            speeds.append(v)
    return min(speeds) if speeds else None


def way_speed_kmh(tags: dict[str, str]) -> float | None:
    """The speed of a drivable way before congestion, or None if cars may not use it."""
    hw = tags.get("highway")
    if hw not in DEFAULT_SPEED_KMH or tags.get("area") == "yes":
        return None
    allowed = {tags.get("motor_vehicle"), tags.get("motorcar")} & {"yes", "designated"}
    barred = {"no", "private"}
    if not allowed and (
        tags.get("access") in barred
        or tags.get("motor_vehicle") in barred
        or tags.get("motorcar") in barred
    ):
        return None
    return parse_maxspeed(tags.get("maxspeed")) or DEFAULT_SPEED_KMH[hw]


def oneway(tags: dict[str, str]) -> int:
    """1 forward only, -1 backward only, 0 both ways."""
    v = (tags.get("oneway") or "").lower()
    if v in ("yes", "true", "1"):
        return 1
    if v in ("-1", "reverse"):
        return -1
    if v == "no":
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway":
        return 1
    return 0


@dataclass
class RoadNetwork:
    """The drivable graph of an extract: node coordinates and directed weighted edges."""

    lat: np.ndarray
    lon: np.ndarray
    snappable: np.ndarray  # bool per node
    graph: Any  # scipy.sparse.csr_matrix of combined weights
    sha256: str
    ways: int

    @property
    def nodes(self) -> int:
        return len(self.lat)

    @property
    def edges(self) -> int:
        return int(self.graph.nnz)


def _hash_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


MAX_NETWORK_BYTES = 2 * 1024**3  # England is ~1.4 GB as .osm.pbf; a force area far less


def read_network(path: Path, name: str, congestion_factor: float) -> RoadNetwork:
    """The drivable network of an .osm.pbf extract; `InputError` naming `name` if unusable."""
    import osmium
    from scipy.sparse import csr_matrix

    if not present(path):
        raise InputError(
            [
                Problem(
                    "policy.toml",
                    None,
                    "travel.network",
                    f"{name} is not in the data folder; expected an OpenStreetMap extract "
                    "(.osm.pbf) of the force area",
                )
            ]
        )
    # A FIFO, a folder or a dangling link is an error like any input's (input.files).
    problem = open_problem(path, name, MAX_NETWORK_BYTES)
    if problem is not None:
        raise InputError([problem])
    sha = _hash_file(path)
    node_index: dict[int, int] = {}
    lats: list[float] = []
    lons: list[float] = []
    snap: list[bool] = []
    us: list[int] = []
    vs: list[int] = []
    secs_per_m: list[float] = []
    ways = 0
    try:
        fp = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in fp:
            if not isinstance(obj, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in obj.tags}
            kmh = way_speed_kmh(tags)
            if kmh is None:
                continue
            direction = oneway(tags)
            can_snap = tags.get("highway") not in NO_SNAP
            prev = -1
            for n in obj.nodes:
                if not n.location.valid():
                    prev = -1  # a node cut off by the extract boundary
                    continue
                i = node_index.get(n.ref)
                if i is None:
                    i = len(lats)
                    node_index[n.ref] = i
                    lats.append(n.location.lat)
                    lons.append(n.location.lon)
                    snap.append(can_snap)
                elif can_snap:
                    snap[i] = True
                if prev >= 0 and prev != i:
                    if direction >= 0:
                        us.append(prev)
                        vs.append(i)
                        secs_per_m.append(3.6 / (kmh * congestion_factor))
                    if direction <= 0:
                        us.append(i)
                        vs.append(prev)
                        secs_per_m.append(3.6 / (kmh * congestion_factor))
                prev = i
            ways += 1
    except RuntimeError as exc:
        raise InputError(
            [
                Problem(
                    "policy.toml",
                    None,
                    "travel.network",
                    f"{name} cannot be read as an OpenStreetMap extract ({type(exc).__name__}); "
                    "expected an .osm.pbf file",
                )
            ]
        ) from None
    if not us:
        raise InputError(
            [
                Problem(
                    "policy.toml",
                    None,
                    "travel.network",
                    f"{name} holds no drivable roads; expected an OpenStreetMap extract with "
                    "highway ways of the force area",
                )
            ]
        )
    lat = np.asarray(lats)
    lon = np.asarray(lons)
    u = np.asarray(us, dtype=np.int64)
    v = np.asarray(vs, dtype=np.int64)
    length_m = haversine_pairs_km(lat[u], lon[u], lat[v], lon[v]) * 1000.0
    time_ms = np.rint(length_m * np.asarray(secs_per_m) * 1000.0)
    weight = time_ms * _K + np.rint(length_m * 10.0)
    weight = np.maximum(weight, 1.0)  # two nodes at one spot: still an edge
    # Parallel edges: keep the cheapest (csr_matrix would add them up).
    order = np.lexsort((weight, v, u))
    u, v, weight = u[order], v[order], weight[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    size = len(lat)
    graph = csr_matrix((weight[first], (u[first], v[first])), shape=(size, size))
    return RoadNetwork(lat, lon, np.asarray(snap), graph, sha, ways)


def snap_points(
    network: RoadNetwork, points: Sequence[tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray]:
    """(nearest snappable node, distance to it in metres) for every point."""
    from scipy.spatial import cKDTree

    cand = np.flatnonzero(network.snappable)
    if len(cand) == 0:
        cand = np.arange(network.nodes)
    lat0 = math.radians(float(np.mean(network.lat[cand])))

    def xy(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        return np.column_stack(
            (np.radians(lon) * math.cos(lat0) * EARTH_RADIUS_KM, np.radians(lat) * EARTH_RADIUS_KM)
        )

    tree = cKDTree(xy(network.lat[cand], network.lon[cand]))
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    _, k = tree.query(xy(pts[:, 0], pts[:, 1]))
    nodes = cand[np.asarray(k, dtype=np.int64)]
    dist = haversine_pairs_km(pts[:, 0], pts[:, 1], network.lat[nodes], network.lon[nodes]) * 1000.0
    return nodes, dist


def node_matrix(
    network: RoadNetwork,
    nodes: Sequence[int],
    progress: Callable[[str], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(ms as int32, m as float32) of the fastest path from every node of `nodes` to every
    other; -1 where there is none."""
    from scipy.sparse.csgraph import dijkstra

    src = np.asarray(nodes, dtype=np.int64)
    n = len(src)
    time_ms = np.full((n, n), -1, dtype=np.int32)  # int32 holds 596 hours
    length_m = np.full((n, n), -1, dtype=np.float32)
    for lo in range(0, n, _CHUNK):
        d = dijkstra(network.graph, directed=True, indices=src[lo : lo + _CHUNK])
        d = np.atleast_2d(d)[:, src]
        ok = np.isfinite(d)
        t = np.floor(d[ok] / _K)
        time_ms[lo : lo + _CHUNK][ok] = t
        length_m[lo : lo + _CHUNK][ok] = (d[ok] - t * _K) / 10.0
        if progress and lo and lo % (_CHUNK * 16) == 0:
            progress(f"road travel: paths from {lo:,} of {n:,} points")
    return time_ms, length_m


def _cache_key(sha: str, tp: TravelPolicy, points: Sequence[tuple[float, float]]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([CACHE_FORMAT, sha, tp.congestion_factor, MAX_SNAP_M]).encode())
    h.update(json.dumps(DEFAULT_SPEED_KMH, sort_keys=True).encode())
    h.update(np.asarray(points, dtype=np.float64).tobytes())
    return h.hexdigest()


def _read_cache(path: Path, n: int) -> dict[str, Any] | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # unreadable or from another version: computed again and rewritten
    if data.get("time_ms") is None or data["time_ms"].shape != (n, n):
        return None
    return data


def _write_cache(path: Path, data: dict[str, Any]) -> str | None:
    """Write the cache owner-only; the reason it could not be written, or None."""
    from rso_scheduler.outputs.files import write_private

    buf = io.BytesIO()
    np.savez_compressed(buf, **data)
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        os.chmod(path.parent, 0o700)
        write_private(path, buf.getvalue())
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def _percentile(values: np.ndarray, q: float) -> float:
    return round(float(np.percentile(values, q)), 1) if len(values) else 0.0


def build_road_travel(
    path: Path,
    name: str,
    places: Sequence[Place],
    tp: TravelPolicy,
    progress: Callable[[str], None] | None = None,
    cache_dir: Path | None = None,
) -> TableTravel:
    """The road model among `places` (cached under `cache_dir`, default beside the extract)."""
    say = progress or (lambda _m: None)
    points = list(dict.fromkeys(p.point for p in places))
    if len(points) > MAX_POINTS:
        raise InputError(
            [
                Problem(
                    "policy.toml",
                    None,
                    "travel.model",
                    f"the road model handles at most {MAX_POINTS:,} distinct homes and bases; "
                    f"this data has {len(points):,} (plan one force at a time)",
                )
            ]
        )
    row = {pt: i for i, pt in enumerate(points)}
    index = {p: row[p.point] for p in places}
    sha = _hash_file(path) if path.is_file() else ""
    cache_dir = cache_dir or path.parent / CACHE_DIR
    cache_file = cache_dir / f"travel-road-{_cache_key(sha, tp, points)[:40]}.npz"
    data = _read_cache(cache_file, len(points)) if sha else None
    cache_note: str
    if data is not None:
        cache_note = "reused"
        say(f"road travel: cached matrix for {len(points):,} points reused")
    else:
        say(f"road travel: reading {name}")
        net = read_network(path, name, tp.congestion_factor)
        say(
            f"road travel: {net.nodes:,} road nodes, {net.edges:,} one-way links; "
            f"routing among {len(points):,} points"
        )
        nodes, snap_m = snap_points(net, points)
        on_net = snap_m <= MAX_SNAP_M
        uniq, inv = np.unique(nodes[on_net], return_inverse=True)
        t_u, l_u = node_matrix(net, uniq.tolist(), say)
        n = len(points)
        time_ms = np.full((n, n), -1, dtype=np.int32)
        length_m = np.full((n, n), -1, dtype=np.float32)
        idx = np.flatnonzero(on_net)
        time_ms[np.ix_(idx, idx)] = t_u[np.ix_(inv, inv)]
        length_m[np.ix_(idx, idx)] = l_u[np.ix_(inv, inv)]
        from scipy.sparse.csgraph import connected_components

        _, comp = connected_components(net.graph, directed=True, connection="strong")
        main = np.bincount(comp).argmax()
        in_main = on_net & (comp[nodes] == main)
        del t_u, l_u
        data = {
            "time_ms": time_ms,  # whole ms; -1 where no path
            "length_m": length_m,
            "snap_m": snap_m,
            "in_main": in_main,
            "meta": np.asarray(
                json.dumps(
                    {
                        "nodes": net.nodes,
                        "links": net.edges,
                        "ways": net.ways,
                    }
                )
            ),
        }
        why = _write_cache(cache_file, data)
        cache_note = "written" if why is None else f"not written ({why})"
    time_ms = np.asarray(data["time_ms"], dtype=np.int32)
    np.fill_diagonal(time_ms, 0)
    fallback = time_ms < 0
    # whole minutes rounded up, in integers (exact): ceil(ms / 60000)
    minutes = (time_ms + 59_999) // 60_000
    km = np.asarray(data["length_m"], dtype=np.float32) / 1000.0
    np.fill_diagonal(km, 0.0)
    del time_ms
    if fallback.any():
        # only the journeys without a road path: the contract's straight-line formula
        straight = HaversineTravel(tp)
        for i in np.flatnonzero(fallback.any(axis=1)):
            cols = np.flatnonzero(fallback[i])
            here = [Place("", *points[i])]
            there = [Place("", *points[j]) for j in cols]
            minutes[i, cols] = straight.minutes_array(here, there)[0]
            km[i, cols] = [straight.km(here[0], b) for b in there]
    meta = json.loads(str(data["meta"]))
    snap_m = np.asarray(data["snap_m"])
    in_main = np.asarray(data["in_main"], dtype=bool)
    off_net = snap_m > MAX_SNAP_M
    ids_at = {p.point: p for p in places}
    cut_off = [ids_at[points[i]] for i in np.flatnonzero(~in_main)]
    info = {
        "network": name,
        "source_sha256": sha,
        "road_nodes": meta["nodes"],
        "road_links": meta["links"],
        "congestion_factor": tp.congestion_factor,
        "points": len(points),
        "snap_median_m": _percentile(snap_m, 50),
        "snap_p95_m": _percentile(snap_m, 95),
        "snap_max_m": round(float(snap_m.max()), 1) if len(snap_m) else 0.0,
        "points_off_network": int(off_net.sum()),
        "points_cut_off": len(cut_off),
        "cache": cache_note,
    }
    travel = TableTravel("road", tp, index, minutes, km, fallback, info)
    n_fb = int(fallback.sum())
    if n_fb:
        travel.notes.append(
            f"road travel: {len(cut_off)} of {len(points)} homes and bases are not joined to the "
            f"main road network ({int(off_net.sum())} over {MAX_SNAP_M / 1000:g} km from any road); "
            f"{n_fb:,} of {len(points) ** 2 - len(points):,} journeys between them use the "
            "straight-line model"
        )
    travel.info["cut_off_ids"] = sorted(p.id for p in cut_off)[:20]
    travel.snap_m = snap_m  # per matrix row, for `rso travel`'s coverage figures
    travel.joined = in_main
    return travel
