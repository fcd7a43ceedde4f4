"""External benchmark: rso's day planner on public VRPTW instances, beside PyVRP and the reference.

Solomon's VRPTW instances (25 and 100 customers; C1/R1/RC1 tight windows, C2/R2/RC2 wide) are
the yardstick nobody here wrote. The instances are not in this repository (fetched material is
never committed): point `--instances` at a folder holding LKH-3's copies, `NAME.N.K.vrptw` with
their best tours `NAME.N.K.COST.tour` (LKH-3's CVRPTW/INSTANCES and CVRPTW/TOURS, Solomon_25 and
Solomon_100). The instance is read with `vrplib`; the tour is LKH's TOUR_SECTION (depot copies
numbered above the dimension).

Conversion into a one-day rso problem (a data folder with a matrix travel model):
- every customer is a person owing one visit that day (very_high, due that day), two officers;
- every vehicle is a crew of two officers based at the depot, the reference tour's number of
  vehicles, on duty from the depot's opening to its closing; no refreshment break and no
  limit on a leg from the depot (policy `refreshment = "none"`, `max_leg_minutes = 0`);
- time: one Solomon unit is `s` rso minutes, `s` the largest of 10, 5, 4, 2, 1, 0.5, 0.4, 0.25,
  0.2 that puts the depot's closing inside a day and keeps service times whole minutes (C1 and
  R2/RC2: 1; R1/RC1: 5; C2: 0.4). Travel minutes are floor(euclidean x s), a visit's window
  is [floor(ready x s), floor(due x s) + service] (Solomon's due is the latest start, the
  contract's window end the latest end). Flooring keeps every reference route feasible, so the
  converted problem is a relaxation of the instance; vehicle capacity has no rso counterpart and
  is dropped (the reference satisfies it anyway).
- distance: the matrix's km column is the instance's distance truncated to one decimal (the
  convention of the exact-method literature and of LKH's FLOOR_2D with SCALE 10), and the table's
  distance is summed the same way over each crew's visits in start order, so rso, PyVRP and the
  reference are measured by one rule.

Per instance the bench runs rso's optimiser on the day (`--time-limit`, default 60 s), PyVRP on
the same converted problem (same fleet, same integer minutes and windows, no capacity;
`--pyvrp-s`, default 10 s; seed 1) and writes the reference tour as an rso roster that
`check_plan` (the independent checker behind `rso check`) must pass.

    .venv/bin/python bench/bench_vrptw.py --instances /path/to/solomon
    .venv/bin/python bench/bench_vrptw.py --instances DIR --names C101.25,R101.100 --time-limit 30
    .venv/bin/python bench/bench_vrptw.py --instances DIR --write   # docs/BENCHMARKS.md section
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY = date(2027, 1, 4)  # a Monday
SCALES = (10.0, 5.0, 4.0, 2.0, 1.0, 0.5, 0.4, 0.25, 0.2)
DEFAULT_NAMES = (
    "C101.25",
    "R101.25",
    "RC101.25",
    "C201.25",
    "R201.25",
    "C101.100",
    "R101.100",
    "RC101.100",
    "R201.100",
)
SECTION = "## External yardstick: Solomon VRPTW"


@dataclass(frozen=True)
class Instance:
    """A VRPTW instance in Solomon units, with its reference routes."""

    name: str
    xy: list[tuple[float, float]]  # index 0: the depot
    ready: list[float]
    due: list[float]  # latest start (the depot: latest return)
    service: list[float]
    routes: list[list[int]]  # the reference: customer indices per vehicle
    reference: float  # the reference's distance (one decimal, as published)

    @property
    def n(self) -> int:
        return len(self.xy) - 1

    def tenths(self, a: int, b: int) -> int:
        """Distance a->b in tenths, truncated (the literature's one-decimal convention)."""
        (xa, ya), (xb, yb) = self.xy[a], self.xy[b]
        return math.floor(10 * math.hypot(xa - xb, ya - yb) + 1e-9)

    def route_tenths(self, route: list[int]) -> int:
        path = [0, *route, 0]
        return sum(self.tenths(a, b) for a, b in zip(path, path[1:], strict=False))


def parse_tour(text: str, dimension: int) -> list[list[int]]:
    """LKH's TOUR_SECTION as routes of customer indices (0-based, the depot 0).

    Node 1 is the depot and nodes above `dimension` are its copies, so a route ends at each.
    """
    nodes: list[int] = []
    inside = False
    for line in text.splitlines():
        s = line.strip()
        if s == "TOUR_SECTION":
            inside = True
            continue
        if inside:
            if s in ("-1", "EOF", ""):
                break
            nodes.append(int(s))
    routes: list[list[int]] = []
    cur: list[int] = []
    for v in nodes:
        if v == 1 or v > dimension:
            if cur:
                routes.append(cur)
            cur = []
        else:
            cur.append(v - 1)
    if cur:
        routes.append(cur)
    return routes


def read_instance(folder: Path, name: str) -> Instance:
    """`NAME` (e.g. C101.25) from `folder`: the .vrptw through vrplib, the best .tour beside it."""
    import vrplib

    found = sorted(folder.glob(f"{name}.*.vrptw"))
    if not found:
        raise SystemExit(f"no {name}.*.vrptw in {folder}")
    inst = vrplib.read_instance(str(found[0]))
    tours = sorted(folder.glob(f"{found[0].stem}.*.tour"), key=lambda p: int(p.name.split(".")[-2]))
    if not tours:
        raise SystemExit(f"no tour for {found[0].name} in {folder}")
    dim = int(inst["dimension"])
    routes = parse_tour(tours[0].read_text(), dim)
    tw = inst["time_window"]
    service = inst.get("service_time", 0)
    serv = [
        float(service[i]) if hasattr(service, "__len__") else float(service) for i in range(dim)
    ]
    serv[0] = 0.0
    xy = [(float(x), float(y)) for x, y in inst["node_coord"]]
    reference = int(tours[0].name.split(".")[-2]) / 10
    return Instance(
        name=name,
        xy=xy,
        ready=[float(a) for a, _ in tw],
        due=[float(b) for _, b in tw],
        service=serv,
        routes=routes,
        reference=reference,
    )


def scale_for(inst: Instance) -> float:
    """Rso minutes per Solomon unit: the largest in SCALES that fits the day, whole services."""
    for s in SCALES:
        if inst.due[0] * s <= 23 * 60 + 59 and all(
            abs(v * s - round(v * s)) < 1e-9 for v in inst.service
        ):
            return s
    raise SystemExit(f"{inst.name}: no time scale fits one day")


@dataclass(frozen=True)
class Converted:
    """The instance as rso sees it: integer minutes."""

    s: float
    travel: list[list[int]]  # minutes, node x node
    open_min: list[int]
    close_min: list[int]  # latest end of a visit (the depot: latest return)
    dur_min: list[int]


def convert(inst: Instance) -> Converted:
    s = scale_for(inst)
    n1 = len(inst.xy)
    travel = [
        [
            math.floor(
                math.hypot(inst.xy[a][0] - inst.xy[b][0], inst.xy[a][1] - inst.xy[b][1]) * s + 1e-9
            )
            for b in range(n1)
        ]
        for a in range(n1)
    ]
    dur = [round(v * s) for v in inst.service]
    open_min = [math.floor(v * s + 1e-9) for v in inst.ready]
    close = [math.floor(inst.due[i] * s + 1e-9) + dur[i] for i in range(n1)]
    close[0] = math.floor(inst.due[0] * s + 1e-9)
    return Converted(s, travel, open_min, close, dur)


def _hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def pid(i: int) -> str:
    return f"P{i:03d}"


def oid(k: int, j: int) -> str:
    return f"K{k:02d}{'ab'[j]}"


def write_data(inst: Instance, conv: Converted, k: int, folder: Path) -> None:
    """An rso data folder: offenders, officers, travel.csv (matrix model), policy.toml."""
    from rso_scheduler.outputs.files import write_private

    folder.mkdir(parents=True, exist_ok=True)
    last = (DAY - timedelta(days=30)).isoformat()

    def ll(i: int) -> str:
        x, y = inst.xy[i]
        return f"{51.0 + y / 1000:.6f},{-1.0 + x / 1000:.6f}"

    rows = ["offender_id,risk_level,lat,lon,last_visit_date,window_start,window_end,visit_minutes"]
    for i in range(1, inst.n + 1):
        rows.append(
            f"{pid(i)},very_high,{ll(i)},{last},{_hhmm(conv.open_min[i])},"
            f"{_hhmm(conv.close_min[i])},{conv.dur_min[i]}"
        )
    write_private(folder / "offenders.csv", "\n".join(rows) + "\n")
    rows = ["officer_id,base_lat,base_lon,working_days,shift_start,shift_end"]
    for c in range(k):
        for j in range(2):
            rows.append(
                f"{oid(c, j)},{ll(0)},Mon;Tue;Wed;Thu;Fri;Sat;Sun,"
                f"{_hhmm(conv.open_min[0])},{_hhmm(conv.close_min[0])}"
            )
    write_private(folder / "officers.csv", "\n".join(rows) + "\n")
    ids = [(pid(i), i) for i in range(1, inst.n + 1)] + [
        (oid(c, j), 0) for c in range(k) for j in range(2)
    ]
    rows = ["from_id,to_id,minutes,km"]
    for a, ia in ids:
        for b, ib in ids:
            if a != b:
                rows.append(f"{a},{b},{conv.travel[ia][ib]},{inst.tenths(ia, ib) / 10:.1f}")
    write_private(folder / "travel.csv", "\n".join(rows) + "\n")
    write_private(
        folder / "policy.toml",
        '[travel]\nmodel = "matrix"\nfile = "travel.csv"\n\n[areas]\nmode = "ignore"\n\n'
        # a Solomon day has no refreshment break and no limit on a leg from the depot (the
        # reference tours take none and keep none)
        '[shifts]\nrefreshment = "none"\n\n[planner]\nmax_leg_minutes = 0\n',
    )


def _distance(inst: Instance, visits: list[tuple[str, int, tuple[str, ...]]]) -> int:
    """Tenths over each crew's visits in start order (visits: offender_id, start, officers)."""
    by_crew: dict[tuple[str, ...], list[tuple[int, int]]] = {}
    for person, start, officers in visits:
        by_crew.setdefault(tuple(sorted(officers)), []).append((start, int(person[1:])))
    return sum(inst.route_tenths([i for _, i in sorted(v)]) for v in by_crew.values())


def run_rso(inst: Instance, conv: Converted, k: int, tmp: Path, limit: float) -> dict[str, Any]:
    from rso_scheduler.check import check_plan
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.roster_files import read_roster, write_plan
    from rso_scheduler.solver import PlanOptions, plan
    from rso_scheduler.travel import build_travel

    data = tmp / "data"
    write_data(inst, conv, k, data)
    try:
        ds = load_dataset(data, today=DAY - timedelta(days=1))
    except Exception as exc:
        raise SystemExit(f"{inst.name}: {exc} {getattr(exc, 'problems', '')}") from exc
    travel = build_travel(ds.policy, ds, data)
    t = time.monotonic()
    res = plan(ds, DAY, DAY, PlanOptions(time_limit_s=limit, seed=1, travel=travel))
    wall = time.monotonic() - t
    out = tmp / "rso"
    with staged_output(out) as stage:
        write_plan(stage, ds, res, {"solver": "optimiser"}, travel=travel)
    violations = check_plan(ds, read_roster(out), work_bank_holidays=True, travel=travel)
    visits = [(v.offender_id, v.start_min, v.officer_ids) for v in res.visits]
    reasons = sorted({u.reason for u in res.unscheduled})
    ref = check_reference(inst, conv, ds, travel, out, tmp)
    return {
        "placed": len(res.visits),
        "tenths": _distance(inst, visits),
        "seconds": wall,
        "stopped": str(res.stats.get("stopped_by", res.stats.get("status", ""))),
        "violations": len(violations),
        "reasons": reasons,
        "stats": {k: v for k, v in res.stats.items() if isinstance(v, (int, float, str))},
        "reference_violations": ref,
    }


def reference_times(inst: Instance, conv: Converted) -> list[list[tuple[int, int]]]:
    """Earliest start times of the reference routes in rso minutes (per route: node, start)."""
    out = []
    for route in inst.routes:
        t = conv.open_min[0]
        prev = 0
        timed = []
        for i in route:
            t = max(t + conv.travel[prev][i], conv.open_min[i])
            timed.append((i, t))
            t += conv.dur_min[i]
            prev = i
        out.append(timed)
    return out


def check_reference(
    inst: Instance, conv: Converted, ds: Any, travel: Any, out: Path, tmp: Path
) -> int:
    """Write the reference as roster.csv beside rso's run files and count checker violations."""
    import csv
    import io
    import shutil

    from rso_scheduler.check import check_plan
    from rso_scheduler.outputs.files import write_private
    from rso_scheduler.outputs.roster_files import read_roster

    ref = tmp / "reference"
    shutil.copytree(out, ref)
    header = (ref / "roster.csv").read_text().splitlines()[0].split(",")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    n = 0
    for c, timed in enumerate(reference_times(inst, conv)):
        for i, start in timed:
            n += 1
            row = dict.fromkeys(header, "")
            row.update(
                visit_id=f"V{n:04d}",
                date=DAY.isoformat(),
                start=_hhmm(start),
                end=_hhmm(start + conv.dur_min[i]),
                offender_id=pid(i),
                officer_ids=f"{oid(c, 0)};{oid(c, 1)}",
                risk_level="very_high",
                due_date=DAY.isoformat(),
                days_late="0",
                kind="announced",
                seq="0",
                pulled_forward="false",
                crew_id=f"C{c:02d}",
                pinned="false",
            )
            w.writerow({h: row[h] for h in header})
    write_private(ref / "roster.csv", buf.getvalue())
    unsched = (ref / "unscheduled.csv").read_text().splitlines()[0]
    write_private(ref / "unscheduled.csv", unsched + "\n")
    # the copied summary.json holds rso's totals, not the reference's: only rules count
    found = [
        v
        for v in check_plan(ds, read_roster(ref), work_bank_holidays=True, travel=travel)
        if v.rule != "summary"
    ]
    for v in found[:3]:
        print(f"  reference roster: {v}", file=sys.stderr)
    return len(found)


def run_pyvrp(inst: Instance, conv: Converted, k: int, seconds: float) -> dict[str, Any]:
    """PyVRP on the converted problem: same fleet, minutes and windows; distance in tenths."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    m = Model()
    locs = [m.add_location(x=x, y=y) for x, y in inst.xy]
    depot = m.add_depot(locs[0], tw_early=conv.open_min[0], tw_late=conv.close_min[0])
    m.add_vehicle_type(
        num_available=k,
        start_depot=depot,
        end_depot=depot,
        tw_early=conv.open_min[0],
        tw_late=conv.close_min[0],
    )
    for i in range(1, inst.n + 1):
        m.add_client(
            locs[i],
            service_duration=conv.dur_min[i],
            tw_early=conv.open_min[i],
            tw_late=conv.close_min[i] - conv.dur_min[i],
        )
    for a, fa in enumerate(locs):
        for b, fb in enumerate(locs):
            if a != b:
                m.add_edge(fa, fb, distance=inst.tenths(a, b), duration=conv.travel[a][b])
    t = time.monotonic()
    res = m.solve(stop=MaxRuntime(seconds), seed=1, display=False)
    wall = time.monotonic() - t
    sol = res.best
    routes = [[_client_index(a) for a in r if _is_client(a)] for r in sol.routes()]
    return {
        "placed": sum(len(r) for r in routes) if sol.is_feasible() else 0,
        "tenths": sum(inst.route_tenths(r) for r in routes),
        "feasible": sol.is_feasible(),
        "seconds": wall,
    }


def _is_client(activity: Any) -> bool:
    flag = activity.is_client
    return bool(flag() if callable(flag) else flag)


def _client_index(activity: Any) -> int:
    """PyVRP numbers clients from 0 among clients; the instance numbers them from 1."""
    return int(activity.idx) + 1


def run_one(folder: Path, name: str, limit: float, pyvrp_s: float) -> dict[str, Any]:
    inst = read_instance(folder, name)
    conv = convert(inst)
    k = len(inst.routes)
    ref_tenths = sum(inst.route_tenths(r) for r in inst.routes)
    with tempfile.TemporaryDirectory() as d:
        rso = run_rso(inst, conv, k, Path(d), limit)
    pv = run_pyvrp(inst, conv, k, pyvrp_s)
    return {
        "name": name,
        "n": inst.n,
        "k": k,
        "s": conv.s,
        "reference": inst.reference,
        "ref_tenths": ref_tenths,
        "rso": rso,
        "pyvrp": pv,
    }


def _gap(tenths: int, ref: float) -> str:
    return f"{100 * (tenths / 10 - ref) / ref:+.1f}%"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| instance | crews | min/unit | reference | ref. roster checks | rso placed | rso distance "
        "| rso gap | rso s | rso CP-SAT | PyVRP placed | PyVRP distance | PyVRP gap | PyVRP s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        a, p = r["rso"], r["pyvrp"]
        lines.append(
            f"| {r['name']} | {r['k']} | {r['s']:g} | {r['reference']:.1f} | "
            f"{'pass' if a['reference_violations'] == 0 else str(a['reference_violations']) + ' violations'} | "
            f"{a['placed']}/{r['n']} | {a['tenths'] / 10:.1f} | {_gap(a['tenths'], r['reference'])} | "
            f"{a['seconds']:.1f} | {a['stopped']} | {p['placed']}/{r['n']} | {p['tenths'] / 10:.1f} | "
            f"{_gap(p['tenths'], r['reference'])} | {p['seconds']:.1f} |"
        )
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]]) -> str:
    all_placed = sum(1 for r in rows if r["rso"]["placed"] == r["n"])
    within = sum(
        1
        for r in rows
        if r["rso"]["placed"] == r["n"] and r["rso"]["tenths"] / 10 <= 1.02 * r["reference"]
    )
    return (
        f"rso placed every visit on {all_placed} of {len(rows)} instances (the reference places "
        f"all on every one); distance within 2% of the reference on {within} of {len(rows)}."
    )


def _machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores (shared with other engineers' work, loaded), "
        f"Python {platform.python_version()}"
    )


def write_section(text: str) -> None:
    path = ROOT / "docs" / "BENCHMARKS.md"
    doc = path.read_text()
    block = f"{SECTION}\n\n{text}\n"
    if SECTION in doc:
        head, _, rest = doc.partition(SECTION)
        nxt = re.search(r"^## ", rest[1:], flags=re.M)
        tail = rest[nxt.start() + 1 :] if nxt else ""
        doc = head + block + ("\n" + tail if tail else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + block
    path.write_text(doc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--instances",
        type=Path,
        default=os.environ.get("RSO_VRPTW_INSTANCES"),
        help="folder of .vrptw and .tour files (default: $RSO_VRPTW_INSTANCES)",
    )
    ap.add_argument("--names", default=",".join(DEFAULT_NAMES), help="comma-separated NAME.N")
    ap.add_argument("--time-limit", type=float, default=60.0, help="rso seconds (default 60)")
    ap.add_argument("--pyvrp-s", type=float, default=10.0, help="PyVRP seconds (default 10)")
    ap.add_argument("--write", action="store_true", help="replace the section in BENCHMARKS.md")
    args = ap.parse_args()
    if args.instances is None or not Path(args.instances).is_dir():
        # the instances are fetched material, never in this repository (`make bench` runs on)
        print("bench_vrptw: skipped, no instance folder (--instances or $RSO_VRPTW_INSTANCES)")
        return
    args.instances = Path(args.instances)
    rows = []
    for name in args.names.split(","):
        r = run_one(args.instances, name.strip(), args.time_limit, args.pyvrp_s)
        rows.append(r)
        a = r["rso"]
        print(
            f"{name}: rso {a['placed']}/{r['n']} {a['tenths'] / 10:.1f} "
            f"({_gap(a['tenths'], r['reference'])}, {a['seconds']:.1f}s, {a['stopped']}); "
            f"PyVRP {r['pyvrp']['placed']}/{r['n']} {r['pyvrp']['tenths'] / 10:.1f}; "
            f"ref {r['reference']:.1f} (roster violations {a['reference_violations']}); "
            f"reasons {a['reasons'][:3]}",
            flush=True,
        )
    text = "\n\n".join(
        [
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {_machine()}; rso "
            f"--time-limit {args.time_limit:g} s, PyVRP {args.pyvrp_s:g} s (seed 1).",
            table(rows),
            targets(rows),
        ]
    )
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
