"""Benchmark: the road travel model at force size on a county-size synthetic extract.

A generated Thames Valley force (2,000 people, 40 officers, seed 1) is laid on a synthetic
street grid covering its whole area (250 m blocks, faster roads every 10 blocks, a river with
one bridge: `synth_roads.grid_extract`). Each step runs in a fresh Python process so that its
wall time and peak resident memory are its own:
  1. matrix build: read the extract, snap, Dijkstra among every home and base (no cache);
  2. the same with the cache written by step 1 (a re-plan or scenario sweep);
  3. a January plan with the greedy baseline and the optimiser, haversine against road, each
     roster re-checked by the independent checker with the same travel model.

Usage:
  .venv/bin/python bench/bench_travel.py                 print the table
  .venv/bin/python bench/bench_travel.py --write         and update docs/BENCHMARKS.md
  .venv/bin/python bench/bench_travel.py --spacing 400   a coarser grid (faster)

Nothing is fetched from the network; everything goes to a temporary folder that is removed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ingest import DOC, ROOT, machine, write_section  # noqa: E402
from bench_ingest import _child as run_stage  # noqa: E402

SECTION = "## Road travel"
SEED = 1
PEOPLE, OFFICERS = 2000, 40
START, END = date(2027, 1, 1), date(2027, 1, 31)
TIME_LIMIT_S = 60.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def stage_data(folder: Path, spacing_m: float) -> dict[str, Any]:
    """Generate the force and its extract; two policies (haversine, road) as two folders."""
    import csv

    from rso_scheduler.synth import generate, write_dataset
    from rso_scheduler.synth_roads import grid_extract

    write_dataset(folder / "haversine", generate(PEOPLE, OFFICERS, SEED, START))
    lats: list[float] = []
    lons: list[float] = []
    with (folder / "haversine" / "offenders.csv").open() as fh:
        for r in csv.DictReader(fh):
            lats.append(float(r["lat"]))
            lons.append(float(r["lon"]))
    south, north = min(lats) - 0.03, max(lats) + 0.03
    west, east = min(lons) - 0.05, max(lons) + 0.05
    road = folder / "road"
    road.mkdir()
    for f in (folder / "haversine").iterdir():
        (road / f.name).write_bytes(f.read_bytes())
    t0 = time.perf_counter()
    rows = round((north - south) * 111.2 / (spacing_m / 1000))
    counts = grid_extract(
        road / "county.osm.pbf", south, west, north, east, spacing_m,
        river_row=rows // 2, bridge_col=5,
    )  # fmt: skip
    text = (road / "policy.toml").read_text()
    text = re.sub(r'model = "haversine".*\n', 'model = "road"\nnetwork = "county.osm.pbf"\n', text)
    (road / "policy.toml").write_text(text)
    km_ns = (north - south) * 111.2
    km_ew = (east - west) * 111.2 * 0.62
    return {
        **counts,
        "write_s": time.perf_counter() - t0,
        "area": f"{km_ew:.0f} x {km_ns:.0f} km",
        "pbf_kb": (road / "county.osm.pbf").stat().st_size / 1024,
    }


def stage_matrix(folder: Path) -> dict[str, Any]:
    """Build the road model for the road folder (cache as found) and time it."""
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.travel import build_travel

    ds = load_dataset(folder, today=START - timedelta(days=1))
    c0, t0 = _cpu_s(), time.perf_counter()
    travel = build_travel(ds.policy, ds, folder)
    rec = travel.record()
    return {
        "seconds": time.perf_counter() - t0,
        "cpu_s": _cpu_s() - c0,
        "peak_mb": _peak_mb(),
        "points": rec["points"],
        "nodes": rec["road_nodes"],
        "links": rec["road_links"],
        "cache": rec["cache"],
        "fallback": rec.get("straight_line_pairs", 0),
        "snap_p95": rec["snap_p95_m"],
    }


def stage_plan(folder: Path, planner: str) -> dict[str, Any]:
    """Plan January with one planner on one folder's travel model, then check the roster."""
    from rso_scheduler.check import check_plan
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.roster_files import read_roster, write_plan
    from rso_scheduler.solver import PlanOptions, greedy_plan, plan
    from rso_scheduler.travel import build_travel

    ds = load_dataset(folder, today=START - timedelta(days=1))
    t0 = time.perf_counter()
    travel = build_travel(ds.policy, ds, folder)
    travel_s = time.perf_counter() - t0
    fn = greedy_plan if planner == "greedy" else plan
    opts = PlanOptions(time_limit_s=TIME_LIMIT_S, seed=SEED, workers=2, travel=travel)
    t0 = time.perf_counter()
    res = fn(ds, START, END, opts)
    plan_s = time.perf_counter() - t0
    out = folder.parent / f"out-{folder.name}-{planner}"
    with staged_output(out) as stage:
        write_plan(stage, ds, res, {"solver": planner}, travel=travel)
    violations = check_plan(ds, read_roster(out), work_bank_holidays=False, travel=travel)
    return {
        "travel_s": travel_s,
        "plan_s": plan_s,
        "peak_mb": _peak_mb(),
        "planned": len(res.visits),
        "missed": len(res.unscheduled),
        "late": sum(1 for v in res.visits if v.days_late > 0),
        "travel_min": res.travel_min,
        "violations": len(violations),
    }


def _child(*args: str) -> dict[str, Any]:
    return run_stage(list(args), Path(__file__))


def tables(
    data: dict[str, Any], builds: list[dict[str, Any]], plans: dict[tuple[str, str], Any]
) -> str:
    lines = [
        "| step | wall s | CPU s | peak MB | notes |",
        "|---|---:|---:|---:|---|",
    ]
    for label, b in zip(("matrix build (no cache)", "matrix build (cached)"), builds, strict=True):
        lines.append(
            f"| {label} | {b['seconds']:.1f} | {b['cpu_s']:.1f} | {b['peak_mb']:.0f} | "
            f"{b['points']:,} distinct points, {b['nodes']:,} road nodes, {b['links']:,} "
            f"one-way links; cache {b['cache']}; {b['fallback']} straight-line pairs; "
            f"snap 95th percentile {b['snap_p95']:.0f} m |"
        )
    lines += [
        "",
        "| planner | travel model | build s | plan s | peak MB | planned | late | missed | "
        "travel min | violations |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (planner, model), p in plans.items():
        lines.append(
            f"| {planner} | {model} | {p['travel_s']:.1f} | {p['plan_s']:.1f} | "
            f"{p['peak_mb']:.0f} | {p['planned']} | {p['late']} | {p['missed']} | "
            f"{p['travel_min']:,} | {p['violations']} |"
        )
    return "\n".join(lines)


def section(text: str, data: dict[str, Any], info: dict[str, str], spacing: float) -> str:
    return f"""{SECTION}

`[travel] model = "road"` at force size: a generated Thames Valley force ({PEOPLE:,} people,
{OFFICERS} officers, seed {SEED}) on a synthetic county-size extract covering its whole area
({data["area"]}, a {spacing:g} m street grid, {data["nodes"]:,} nodes, primary roads at 60 mph
every 10 blocks and residential streets at 30 mph between them, a river across the middle with
one bridge; {data["pbf_kb"]:.0f} KB of .osm.pbf). Each step is a fresh Python process (peak
memory is that process's maximum resident set). The matrix is every home and base to every
other: read the extract (pyosmium), snap, one scipy Dijkstra per distinct point. Plans: January
2027, time limit {TIME_LIMIT_S:g} s, each roster re-checked by the independent checker with the
same travel model; *build s* is the travel model's build inside that plan's process (the cache
written by the first step is reused).

Travel minutes are lower with the road model here because this grid is faster than the
straight line's 40 km/h door-to-door assumption (60 mph roads every 10 blocks): on a real
extract `rso travel` shows which way the straight line errs.

Reproduce: `.venv/bin/python bench/bench_travel.py --write` (`--spacing` sets the grid).

{text}

Measured {info["date"]} at commit {info["commit"]} on `{info["uname"]}`; CPU {info["cpu"]},
{info["cores"]} cores, shared with other agents' work (load average {info["load"]} at the
start: wall times are inflated by that load; CPU times much less), {info["ram"]} RAM, Python
{info["python"]}.
"""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--spacing", type=float, default=250.0, help="grid spacing in metres")
    p.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    p.add_argument("--no-optimiser", action="store_true", help="greedy plans only (quicker)")
    p.add_argument("--stage", help=argparse.SUPPRESS)
    p.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--planner", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.stage == "data":
        print(json.dumps(stage_data(args.dir, args.spacing)))
        return 0
    if args.stage == "matrix":
        print(json.dumps(stage_matrix(args.dir)))
        return 0
    if args.stage == "plan":
        print(json.dumps(stage_plan(args.dir, args.planner)))
        return 0

    info = machine()
    with tempfile.TemporaryDirectory(prefix="rso-bench-travel-") as tmp:
        folder = Path(tmp)
        data = _child("--stage", "data", "--dir", str(folder), "--spacing", str(args.spacing))
        print(f"extract: {data}", file=sys.stderr)
        builds = [_child("--stage", "matrix", "--dir", str(folder / "road")) for _ in range(2)]
        plans: dict[tuple[str, str], Any] = {}
        planners = ["greedy"] + ([] if args.no_optimiser else ["optimiser"])
        for planner in planners:
            for model in ("haversine", "road"):
                print(f"plan: {planner} / {model}", file=sys.stderr)
                plans[planner, model] = _child(
                    "--stage", "plan", "--dir", str(folder / model), "--planner", planner
                )
    text = tables(data, builds, plans)
    print(text)
    print(f"\n{info['cpu']}, {info['cores']} cores, load {info['load']}; {info['date']}")
    if args.write:
        write_section(section(text, data, info, args.spacing), heading=SECTION)
        print(f"updated {DOC.relative_to(ROOT)}", file=sys.stderr)
    bad = any(p["violations"] for p in plans.values()) or any(b["fallback"] for b in builds)
    return 1 if bad else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
