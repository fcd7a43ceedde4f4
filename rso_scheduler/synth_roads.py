"""Synthetic OpenStreetMap extracts (.osm.pbf) for tests and benchmarks: no download needed.

`write_osm(path, nodes, ways)` writes nodes and tagged ways; `grid_extract(...)` writes a
county-like grid of residential streets with faster roads every few blocks, optionally cut by
an east-west river crossed by one bridge. Deterministic: the same arguments give the same file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from rso_scheduler.geo import EARTH_RADIUS_KM

Way = tuple[Sequence[int], Mapping[str, str]]


def write_osm(path: Path, nodes: Mapping[int, tuple[float, float]], ways: Sequence[Way]) -> Path:
    """Write `nodes` (id -> (lat, lon)) and `ways` ((node ids, tags)) as an .osm.pbf file."""
    import osmium

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    writer = osmium.SimpleWriter(str(path))
    try:
        for nid in sorted(nodes):
            lat, lon = nodes[nid]
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=(lon, lat)))
        for wid, (refs, tags) in enumerate(ways, start=1):
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=list(refs), tags=dict(tags)))
    finally:
        writer.close()
    return path


def _grid_tags(fast: bool) -> dict[str, str]:
    """A grid road's tags: a 60 mph primary road, or a 30 mph residential street."""
    if fast:
        return {"highway": "primary", "maxspeed": "60 mph"}
    return {"highway": "residential", "maxspeed": "30 mph"}


def grid_extract(
    path: Path,
    south: float,
    west: float,
    north: float,
    east: float,
    spacing_m: float = 500.0,
    *,
    fast_every: int = 10,
    river_row: int | None = None,
    bridge_col: int | None = None,
) -> dict[str, int]:
    """A grid of streets over the box: residential "30 mph", every `fast_every`th line a
    primary road at "60 mph". With `river_row`, the north-south links between that row and the
    next are missing except at `bridge_col` (a river with one bridge). Returns the counts."""
    dy = spacing_m / 1000.0 / EARTH_RADIUS_KM * 180 / math.pi
    mid = math.radians((south + north) / 2)
    dx = dy / math.cos(mid)
    rows = max(2, int((north - south) / dy) + 1)
    cols = max(2, int((east - west) / dx) + 1)

    def nid(r: int, c: int) -> int:
        return r * cols + c + 1

    nodes = {nid(r, c): (south + r * dy, west + c * dx) for r in range(rows) for c in range(cols)}
    ways: list[Way] = []
    for r in range(rows):
        ways.append(([nid(r, c) for c in range(cols)], _grid_tags(r % fast_every == 0)))
    for c in range(cols):
        tags = _grid_tags(c % fast_every == 0)
        if river_row is None:
            ways.append(([nid(r, c) for r in range(rows)], tags))
            continue
        ways.append(([nid(r, c) for r in range(river_row + 1)], tags))
        ways.append(([nid(r, c) for r in range(river_row + 1, rows)], tags))
        if c == bridge_col:
            ways.append(([nid(river_row, c), nid(river_row + 1, c)], {**tags, "bridge": "yes"}))
    write_osm(path, nodes, ways)
    return {"nodes": len(nodes), "ways": len(ways), "rows": rows, "cols": cols}
