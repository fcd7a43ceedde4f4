"""Benchmark of the planners: the optimiser (`plan`) against the greedy baseline.

Generates seeded synthetic instances (team, force, large force; each also with officers'
visit days cut to 70%, or the shares `--cut` gives), runs both planners on the same dataset in the same process (one
fresh process per instance, so peak memory is per instance), checks both rosters with the
independent checker, and prints a table. `--write` replaces the "Planning" section of
docs/BENCHMARKS.md with the table, the machine and the date.

    .venv/bin/python bench/bench_plan.py                 # team and force sizes
    .venv/bin/python bench/bench_plan.py --sizes all --write
    .venv/bin/python bench/bench_plan.py --sizes team --time-limit 20
    .venv/bin/python bench/bench_plan.py --sizes force --no-cut --refreshment none

`--refreshment` sets policy.toml's `[shifts] refreshment` for every instance ("police", the
default, "none", or whole minutes): the capacity a refreshment break costs is the difference.

Targets (issue #11): no violations; never more risk-weighted missed than greedy; risk-weighted
late days above the lower bound by at most 30% of the greedy's excess; travel at most 60% of
greedy's; time within the size's limit (force 60 s, large 180 s); memory under 2 GB; the same
roster bytes from a second optimiser run made while two processes keep both cores busy.
The evening instance is the force with a quarter of the officers on 14:00-22:00 and a quarter
of the active people visitable only in the evening.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# far visits, near crews, far pairs and long legs: the planner's own thresholds (one home)
from rso_scheduler.solver.why import (  # noqa: E402
    FAR_PAIR_KM,
    FAR_VISIT_MIN,
    LONG_LEG_MIN,
    NEAR_CREW_MIN,
)

# name: (people, officers, time limit in seconds)
SIZES: dict[str, tuple[int, int, float]] = {
    "team": (300, 8, 60.0),
    "force": (2000, 40, 60.0),
    "evening": (2000, 40, 60.0),  # the force with many evening windows and late shifts
    # issue #23's held-out shape: 35% evening-only people, 22% late officers (run with --cut)
    "evening-tight": (2000, 40, 60.0),
    "large": (8000, 160, 180.0),
}
EVENING_PEOPLE_SHARE = 0.25  # of active people in the evening instance: evenings only
LATE_OFFICER_SHARE = 0.25  # of officers in the evening instance: 14:00-22:00
EVENING_WINDOWS_MIN = ((17 * 60 + 30, 20 * 60 + 30), (18 * 60, 21 * 60))
TIGHT_PEOPLE_SHARE = 0.35  # the evening-tight instance: evening-only people ...
TIGHT_LATE_SHARE = 0.22  # ... and officers on 14:00-22:00 (fewer late officers than evening work)
START = date(2027, 1, 1)
END = date(2027, 1, 31)
SEED = 1
MEM_LIMIT_MB = 2048


def _lower_bound_late(dataset: Any) -> int:
    """Risk-weighted late days if every first owed visit were made on its first possible day.

    'Possible' uses necessary conditions only (person available, enough officers on duty whose
    shifts and areas can hold the visit, skills held), so no planner can do better; visits that
    cannot be made at all count from their due date to the plan end.
    """
    from rso_scheduler.calendar import absences_by_officer, bank_holidays, days
    from rso_scheduler.demand import requirements
    from rso_scheduler.duty import officer_works
    from rso_scheduler.scenarios import first_possible_day

    by_officer = absences_by_officer(dataset.absences)
    hols = bank_holidays(START, END)
    on_duty = {
        d: [o for o in dataset.officers if officer_works(o, d, by_officer, hols)]
        for d in days(START, END)
    }
    mode = dataset.policy.areas.mode
    total = 0
    for r in requirements(dataset, START, END, include_optional=False):
        day = first_possible_day(r, START, END, on_duty, mode)
        if day is None:
            continue  # never possible: counted as missed, not late
        total += r.weight * max(0, (day - r.first_due).days)
    return total


def _metrics(dataset: Any, res: Any, tmp: Path, name: str) -> dict[str, Any]:
    from rso_scheduler.check import check_plan
    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.roster_files import read_roster, write_plan

    weight = {lvl: dataset.policy.for_risk(lvl).weight for lvl in dataset.policy.risk}
    out = tmp / name
    with staged_output(out) as stage:
        write_plan(stage, dataset, res, {"solver": name})
    violations = check_plan(dataset, read_roster(out), work_bank_holidays=False)
    people = dataset.offender_by_id()
    with_om = [v for v in res.visits if people[v.offender_id].offender_manager_id]
    cont = sum(1 for v in with_om if people[v.offender_id].offender_manager_id in v.officer_ids)
    load: dict[str, int] = defaultdict(int)
    for o in dataset.officers:
        load[o.officer_id] = 0
    for v in res.visits:
        for oid in v.officer_ids:
            load[oid] += 1
    loads = sorted(load.values())
    # visits per available officer-day: an officer with half the days should have half the load
    from rso_scheduler.calendar import absences_by_officer, bank_holidays, days
    from rso_scheduler.duty import officer_works

    by_officer = absences_by_officer(dataset.absences)
    hols = bank_holidays(START, END)
    rates = []
    for o in dataset.officers:
        n_days = sum(1 for d in days(START, END) if officer_works(o, d, by_officer, hols))
        if n_days:
            rates.append(load[o.officer_id] / n_days)
    mean = sum(rates) / len(rates) if rates else 0.0
    cv = (sum((x - mean) ** 2 for x in rates) / len(rates)) ** 0.5 / mean if mean else 0.0
    owed_planned = [v for v in res.visits if not v.pulled_forward]
    same, known = _same_weekday(dataset, res)
    return {
        "owed": res.visits_due,
        "planned": len(owed_planned),
        "pulled": res.pulled_forward,
        "on_time": sum(1 for v in owed_planned if v.days_late == 0),
        "late": sum(1 for v in owed_planned if v.days_late > 0),
        "missed": len(res.unscheduled),
        "w_missed": sum(weight[u.risk_level.value] for u in res.unscheduled),
        "w_late": sum(weight[v.risk_level.value] * v.days_late for v in res.visits),
        "travel_min": res.travel_min,
        "continuity": cont / len(with_om) if with_om else 1.0,
        "spread": loads[-1] - loads[0] if loads else 0,
        "cv": cv,
        "violations": len(violations),
        "status": res.stats.get("status", ""),
        "unann_same_weekday": same,
        "unann_known": known,
    }


def _same_weekday(dataset: Any, res: Any) -> tuple[int, int]:
    """Unannounced visits on the weekday of the person's previous visit (planned, else the
    last completed), and unannounced visits whose previous visit is known."""
    from rso_scheduler.demand import requirements

    prev = {r.offender_id: r.prev_weekday for r in requirements(dataset, START, END)}
    same = known = 0
    for v in sorted(res.visits, key=lambda v: (v.offender_id, v.date)):
        before = prev.get(v.offender_id)
        if v.kind.value == "unannounced" and before is not None:
            known += 1
            same += before == v.date.weekday()
        prev[v.offender_id] = v.date.weekday()
    return same, known


def _every(share: float, i: int) -> bool:
    """True for `share` of the indices, spread evenly (deterministic)."""
    return int((i + 1) * share) != int(i * share)


def evening_heavy(
    ds: Any, people_share: float | None = None, late_share: float | None = None
) -> Any:
    """The data set with a quarter of the officers on late shifts (14:00-22:00) and a quarter of
    the active people visitable only in the evening (deterministic: every fourth by id); given
    shares instead, those shares spread evenly by id (the evening-tight instance)."""
    officers = sorted(ds.officers, key=lambda o: o.officer_id)
    late = {o.officer_id for i, o in enumerate(officers) if i % round(1 / LATE_OFFICER_SHARE) == 1}
    if late_share is not None:
        late = {o.officer_id for i, o in enumerate(officers) if _every(late_share, i)}
    new_officers = tuple(
        o.model_copy(update={"shift_start_min": 14 * 60, "shift_end_min": 22 * 60})
        if o.officer_id in late
        else o
        for o in ds.officers
    )
    people = sorted(ds.offenders, key=lambda p: p.offender_id)
    step = round(1 / EVENING_PEOPLE_SHARE)
    evening = {p.offender_id: i for i, p in enumerate(people) if i % step == 0}
    if people_share is not None:
        evening = {p.offender_id: i * step for i, p in enumerate(people) if _every(people_share, i)}
    new_people = tuple(
        p.model_copy(
            update=dict(
                zip(
                    ("window_start_min", "window_end_min"),
                    EVENING_WINDOWS_MIN[evening[p.offender_id] // step % len(EVENING_WINDOWS_MIN)],
                    strict=True,
                )
            )
        )
        if p.offender_id in evening
        else p
        for p in ds.offenders
    )
    return ds.model_copy(update={"officers": new_officers, "offenders": new_people})


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def _roster_hash(dataset: Any, res: Any, tmp: Path, name: str) -> str:
    import hashlib

    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.roster_files import write_plan

    with staged_output(tmp / name) as stage:
        write_plan(stage, dataset, res, {"solver": name})
    return hashlib.sha256((tmp / name / "roster.csv").read_bytes()).hexdigest()[:12]


class _Room:
    """Which crew-days of a plan were on duty each day, and whether one of them could still
    have made a visit: the crew can make it (`rules.crew_can_make`) and the visit inserted into
    its day as planned still fits (the planner's routing with the run's travel, inside a split
    crew's part of the day)."""

    def __init__(self, dataset: Any, res: Any, travel: Any):
        from rso_scheduler.demand import requirements
        from rso_scheduler.solver.routing import TravelCache

        self.officers = dataset.officer_by_id()
        self.people = dataset.offender_by_id()
        self.mode = dataset.policy.areas.mode
        self.travel = travel
        self.reqs = {
            r.offender_id: r for r in requirements(dataset, START, END, include_optional=True)
        }
        self.cache = TravelCache(travel)
        self.timers: dict[tuple[tuple[str, ...], Any], Any] = {}
        self.part: dict[tuple[Any, tuple[str, ...]], tuple[int, int] | None] = {}
        self.by_crew: dict[tuple[Any, tuple[str, ...]], list[Any]] = defaultdict(list)
        for v in res.visits:
            self.by_crew[(v.date, v.officer_ids)].append(v)
        self.crews_of_day: dict[Any, set[tuple[str, ...]]] = defaultdict(set)
        for c in getattr(res, "crew_days", []):
            ids = tuple(c.officer_ids)
            self.crews_of_day[c.date].add(ids)
            offs = [self.officers[o] for o in ids]
            whole = (max(o.shift_start_min for o in offs), min(o.shift_end_min for o in offs))
            hours = (c.start_min, c.end_min)
            self.part[(c.date, ids)] = None if hours == whole else hours
        for d, ids in self.by_crew:
            self.crews_of_day[d].add(ids)

    def _stop(self, offender_id: str, key: int) -> Any:
        from rso_scheduler.solver.routing import Stop

        r = self.reqs[offender_id]
        ws = r.window_start_min if r.window_start_min is not None else 0
        we = r.window_end_min if r.window_end_min is not None else 24 * 60
        return Stop(key, r.lat, r.lon, r.duration_min, ws, we, r.offender_id)

    def drive(self, ids: tuple[str, ...], offender_id: str) -> int:
        """The longer of the crew's drives from base to the person's home."""
        from rso_scheduler.travel import base, home

        return max(
            self.travel.minutes(base(self.officers[o]), home(self.people[offender_id])) for o in ids
        )

    def fits(self, day: Any, ids: tuple[str, ...], offender_id: str) -> bool:
        """Could this crew-day have made the person's visit too?"""
        from rso_scheduler.rules import crew_can_make, crew_visit_cap
        from rso_scheduler.solver.routing import CrewTimer

        offs = [self.officers[o] for o in ids]
        if crew_can_make(self.reqs[offender_id], offs, self.mode) is not None:
            return False
        mine = sorted(self.by_crew.get((day, ids), []), key=lambda x: x.start_min)
        cap = crew_visit_cap(offs)
        if cap is not None and len(mine) >= cap:
            return False
        part = self.part.get((day, ids))
        timer = self.timers.get((ids, part))
        if timer is None:
            timer = self.timers[(ids, part)] = CrewTimer(offs, self.cache, part)
        order = [self._stop(x.offender_id, i) for i, x in enumerate(mine)]
        return timer.cheapest_insertion(order, self._stop(offender_id, len(order))) is not None


def _far_visits(room: _Room, res: Any) -> int:
    """Visits made by a crew more than FAR_VISIT_MIN away while another crew-day of the day that
    could make it was within NEAR_CREW_MIN of it and had room (`_Room.fits`)."""
    far = 0
    for v in res.visits:
        if (
            v.offender_id not in room.reqs
            or room.drive(v.officer_ids, v.offender_id) <= FAR_VISIT_MIN
        ):
            continue
        for ids in sorted(room.crews_of_day[v.date]):
            if ids == v.officer_ids or room.drive(ids, v.offender_id) > NEAR_CREW_MIN:
                continue
            if room.fits(v.date, ids, v.offender_id):
                far += 1
                break
    return far


def _evening_missed_with_room(room: _Room, res: Any) -> int:
    """Owed evening visits left unscheduled while a crew-day that could make them had room on a
    day the visit could take (the person available; from their earliest date, or after their
    last planned visit by the minimum gap): issue #11's evening target."""
    from rso_scheduler.calendar import days

    planned: dict[str, list[Any]] = defaultdict(list)
    for v in res.visits:
        planned[v.offender_id].append(v.date)
    out = 0
    for u in res.unscheduled:
        r = room.reqs.get(u.offender_id)
        if r is None or (r.window_start_min or 0) < 17 * 60:
            continue
        before = sorted(planned.get(u.offender_id, []))
        lo = (
            before[-1] + timedelta(days=max(r.min_gap_days, r.interval_days - r.window_days))
            if before
            else r.first_earliest
        )
        if any(
            room.fits(d, ids, u.offender_id)
            for d in days(max(lo, START), END)
            if r.available_on(d)
            for ids in sorted(room.crews_of_day[d])
        ):
            out += 1
    return out


def _shape(dataset: Any, res: Any) -> dict[str, Any]:
    """Idle officer-days, the longest single drive, cross-area pairs, evening visits missed,
    long legs, far pairs and far visits."""
    from rso_scheduler.calendar import absences_by_officer, bank_holidays, days
    from rso_scheduler.duty import officer_works
    from rso_scheduler.geo import haversine_km
    from rso_scheduler.travel import base, home, travel_for

    travel = travel_for(None, dataset.policy)
    officers = dataset.officer_by_id()
    people = dataset.offender_by_id()
    by_officer = absences_by_officer(dataset.absences)
    hols = bank_holidays(START, END)
    busy = {(oid, v.date) for v in res.visits for oid in v.officer_ids}
    on_duty = [
        (o.officer_id, d)
        for o in dataset.officers
        for d in days(START, END)
        if officer_works(o, d, by_officer, hols)
    ]
    seq: dict[tuple[str, Any], list[Any]] = defaultdict(list)
    for v in res.visits:
        for oid in v.officer_ids:
            seq[(oid, v.date)].append(v)
    longest = 0
    long_legs = 0
    for (oid, _d), vs in seq.items():
        o = officers[oid]
        pts = [base(o)]
        pts += [home(people[v.offender_id]) for v in sorted(vs, key=lambda v: v.start_min)]
        pts.append(base(o))
        for a, b in zip(pts, pts[1:], strict=False):
            leg = travel.minutes(a, b)
            longest = max(longest, leg)
            long_legs += leg > LONG_LEG_MIN
    pairs = {
        (v.date, v.officer_ids)
        for v in res.visits
        if len(v.officer_ids) == 2
        and officers[v.officer_ids[0]].area != officers[v.officer_ids[1]].area
    }

    def apart_km(ids: tuple[str, ...]) -> float:
        a, b = (officers[i] for i in ids)
        return haversine_km(a.base_lat, a.base_lon, b.base_lat, b.base_lon)

    far_pairs = {
        (v.date, v.officer_ids)
        for v in res.visits
        if len(v.officer_ids) == 2 and apart_km(v.officer_ids) > FAR_PAIR_KM
    }
    room = _Room(dataset, res, travel)
    evening_missed = sum(
        1 for u in res.unscheduled if (people[u.offender_id].window_start_min or 0) >= 17 * 60
    )
    return {
        "idle_officer_days": sum(1 for k in on_duty if k not in busy),
        "longest_leg_min": longest,
        "long_legs": long_legs,
        "cross_area_pairs": len(pairs),
        "far_pairs": len(far_pairs),
        "far_visits": _far_visits(room, res),
        "evening_missed": evening_missed,
        "evening_missed_room": _evening_missed_with_room(room, res),
    }


def run_instance(
    name: str,
    cut: float,
    time_limit: float | None,
    load_check: bool,
    queue: Any,
    seed: int = SEED,
    refreshment: str = "police",
) -> None:
    """Child process: generate, plan with both planners, measure, put a row dict on `queue`."""
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.scenarios import add_extra_absences
    from rso_scheduler.solver import PlanOptions, greedy_plan, plan
    from rso_scheduler.synth import generate, write_dataset

    n_people, n_officers, limit = SIZES[name]
    limit = time_limit or limit
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        write_dataset(tmp / "data", generate(n_people, n_officers, seed, START))
        ds = load_dataset(tmp / "data", today=START - timedelta(days=1))
        if refreshment != "police":
            from rso_scheduler.policy import apply_overrides

            value: str | int = int(refreshment) if refreshment.isdigit() else refreshment
            policy = apply_overrides(ds.policy, {"shifts.refreshment": value})
            ds = ds.model_copy(update={"policy": policy})
        if name == "evening":
            ds = evening_heavy(ds)
        if name == "evening-tight":
            ds = evening_heavy(ds, TIGHT_PEOPLE_SHARE, TIGHT_LATE_SHARE)
        if cut:
            ds = add_extra_absences(ds, round(1 - cut, 6), START, END, seed)
        lb = _lower_bound_late(ds)
        from rso_scheduler.solver.bound import late_lower_bound

        lp_lb, lp_missed = late_lower_bound(ds, START, END)
        rows = {}
        for planner, fn in (("greedy", greedy_plan), ("optimiser", plan)):
            t = time.monotonic()
            res = fn(ds, START, END, PlanOptions(time_limit_s=limit, seed=seed, workers=2))
            wall = time.monotonic() - t
            m = _metrics(ds, res, tmp, planner)
            m.update(_shape(ds, res))
            m["wall_s"] = wall
            m["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            m["hash"] = _roster_hash(ds, res, tmp, planner + "-1")
            m["hash_loaded"] = ""
            m["net_fired_first"] = bool(res.stats.get("wall_clock_net_fired"))
            # visits the optimiser sent beyond `[planner] max_leg_minutes` to avoid a miss
            m["beyond_limit"] = int(res.stats.get("visits_beyond_max_leg", 0))
            if load_check and planner == "optimiser":
                # the same plan again with both cores kept busy by two spinning processes
                ctx = mp.get_context("spawn")
                spin = [ctx.Process(target=_spin, args=(3 * limit,), daemon=True) for _ in "ab"]
                for sp in spin:
                    sp.start()
                try:
                    again = fn(
                        ds, START, END, PlanOptions(time_limit_s=limit, seed=seed, workers=2)
                    )
                finally:
                    for sp in spin:
                        sp.terminate()
                        sp.join()
                m["hash_loaded"] = _roster_hash(ds, again, tmp, planner + "-2")
                m["net_fired"] = bool(again.stats.get("wall_clock_net_fired"))
            rows[planner] = m
        queue.put(
            {
                "name": name,
                "cut": cut,
                "limit": limit,
                "lb": lb,
                "lp_lb": lp_lb,
                "lp_missed": lp_missed,
                "rows": rows,
                "seed": seed,
                "refreshment": refreshment,
            }
        )


def _targets(r: dict[str, Any]) -> dict[str, bool]:
    g, o, lb = r["rows"]["greedy"], r["rows"]["optimiser"], r["lb"]
    out = {
        "no violations": o["violations"] == 0,
        "w. missed <= greedy": o["w_missed"] <= g["w_missed"],
        "late excess <= 30% greedy's": o["w_late"] - lb <= 0.3 * max(0, g["w_late"] - lb),
        "travel <= 60% greedy": o["travel_min"] <= 0.6 * g["travel_min"],
        "time": o["wall_s"] <= r["limit"] * 1.05,
        "memory < 2 GB": o["peak_mb"] < MEM_LIMIT_MB,
        "no evening miss with room": o["evening_missed_room"] == 0,
        "same weekday <= 5%": o["unann_same_weekday"] <= 0.05 * max(1, o["unann_known"]),
    }
    if o.get("hash_loaded"):
        out["same roster under load"] = o["hash"] == o["hash_loaded"]
    return out


def _instance(r: dict[str, Any]) -> str:
    n_people, n_officers, _ = SIZES[r["name"]]
    seed = r.get("seed", SEED)
    return (
        f"{r['name']} {n_people:,}/{n_officers}"
        + (f" {r['cut']:.0%} days" if r["cut"] else "")
        + (f" seed {seed}" if seed != SEED else "")
        + (f" breaks {r['refreshment']}" if r.get("refreshment", "police") != "police" else "")
    )


def table(results: list[dict[str, Any]]) -> str:
    """Markdown tables: every instance and planner, the crews' shape, then the targets."""
    head = (
        "| instance | planner | wall s | peak MB | owed | planned | on time | late | missed | "
        "w. missed | w. late days | late LB | w. late above LB | travel min | pulled fwd | "
        "continuity | spread | load CV | violations |"
    )
    lines = [head, "|" + "---|" * 19]
    for r in results:
        for planner in ("greedy", "optimiser"):
            m = r["rows"][planner]
            lines.append(
                f"| {_instance(r)} | {planner} | {m['wall_s']:.1f} | {m['peak_mb']:.0f} | "
                f"{m['owed']} | {m['planned']} | {m['on_time']} | {m['late']} | {m['missed']} | "
                f"{m['w_missed']} | {m['w_late']} | {r['lb']} | {m['w_late'] - r['lb']} | "
                f"{m['travel_min']:,} | {m['pulled']} | {m['continuity']:.0%} | {m['spread']} | "
                f"{m['cv']:.2f} | {m['violations']} |"
            )
    lines.append("")
    lines.append(
        "| instance | planner | idle officer-days | longest leg min | legs over "
        f"{LONG_LEG_MIN} min | beyond drive limit | cross-area pairs | far pairs | far visits | "
        "evening missed | of which with room | roster hash | hash, second run under load |"
    )
    lines.append("|" + "---|" * 13)
    for r in results:
        for planner in ("greedy", "optimiser"):
            m = r["rows"][planner]
            loaded = m.get("hash_loaded") or "-"
            if m.get("net_fired"):
                loaded += " (safety net fired)"
            first = m["hash"] + (" (safety net fired)" if m.get("net_fired_first") else "")
            lines.append(
                f"| {_instance(r)} | {planner} | {m['idle_officer_days']} | "
                f"{m['longest_leg_min']} | {m['long_legs']} | {m.get('beyond_limit', 0)} | "
                f"{m['cross_area_pairs']} | "
                f"{m['far_pairs']} | {m['far_visits']} | {m['evening_missed']} | "
                f"{m['evening_missed_room']} | {first} | {loaded} |"
            )
    lines.append("")
    lines.append(
        "| instance | planner | w. late days | first-day LB | LP LB | LP misses | gap to LP LB | "
        "share of greedy's excess over LP LB | unannounced on previous weekday |"
    )
    lines.append("|" + "---|" * 9)
    for r in results:
        g = r["rows"]["greedy"]
        for planner in ("greedy", "optimiser"):
            m = r["rows"][planner]
            lp = r.get("lp_lb", 0)
            gap = f"{(m['w_late'] - lp) / lp:.1%}" if lp else "-"
            excess = g["w_late"] - lp
            share = f"{(m['w_late'] - lp) / excess:.1%}" if excess > 0 else "-"
            known = m.get("unann_known", 0)
            wk = f"{m.get('unann_same_weekday', 0)} of {known}" + (
                f" ({m['unann_same_weekday'] / known:.1%})" if known else ""
            )
            lines.append(
                f"| {_instance(r)} | {planner} | {m['w_late']} | {r['lb']} | {lp} | "
                f"{r.get('lp_missed', 0):.1f} | {gap} | {share} | {wk} |"
            )
    lines.append("")
    lines.append("| instance | " + " | ".join(_targets(results[0]).keys()) + " |")
    lines.append("|" + "---|" * (1 + len(_targets(results[0]))))
    for r in results:
        t = _targets(r)
        lines.append(
            f"| {_instance(r)} | " + " | ".join("yes" if v else "**no**" for v in t.values()) + " |"
        )
    return "\n".join(lines)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores (shared), {mem_gb:.1f} GiB RAM, Python {platform.python_version()}"


def write_section(text: str, seed: int = SEED) -> None:
    """Replace (or add) the '## Planning' section of docs/BENCHMARKS.md."""
    path = ROOT / "docs" / "BENCHMARKS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        "## Planning\n\n"
        "The optimiser (`rso_scheduler.solver.plan`) against the greedy baseline on seeded\n"
        f"synthetic months ({START} to {END}, seed {seed}); each instance also with 30% of every\n"
        "officer's working days removed (70% days). Both planners run in the same process on the\n"
        "same data; every roster is checked by the independent checker. Weighted figures use the\n"
        "policy's risk weights (8/4/2/1). *late LB*: weighted late days if every first owed visit were\n"
        "made on its first possible day (a lower bound for any planner). *travel min* counts every\n"
        "officer's minutes, pulled-forward visits included (greedy never pulls forward).\n"
        "*spread*: visits of the busiest officer minus the least busy. *load CV*: coefficient of\n"
        "variation of each officer's visits per available day (officers with no day left out;\n"
        "lower is fairer). *legs over 90 min*: officers' single drives (base to visit, visit to\n"
        "visit, visit to base) longer than 90 minutes. *beyond drive limit*: visits the optimiser\n"
        "gave a crew whose drive from base is over `[planner] max_leg_minutes` (default 90), the\n"
        "last resort before a miss (the greedy does not apply the limit). *far pairs*: crew-days with visits whose two\n"
        f"officers' bases are more than {FAR_PAIR_KM:.0f} km apart. *far visits*: visits made by a\n"
        f"crew more than {FAR_VISIT_MIN} min from the home (the longer of its officers' drives\n"
        "from base) while another crew-day of that day that could make it\n"
        f"(`rules.crew_can_make`) was within {NEAR_CREW_MIN} min and had room: the visit inserted\n"
        "into that crew's day as planned still fits, timed by the planner's routing\n"
        "(`solver/routing.py`) with the run's travel. The greedy's crews vary per visit, so its\n"
        "room check sees only the visits of the same pair that day (optimistic).\n\n"
        "Reproduce: `.venv/bin/python bench/bench_plan.py --sizes all --write`.\n\n"
        f"{text}\n\n"
        f"Measured {now} at commit {commit} on {_machine()}.\n"
    )
    pattern = re.compile(r"^## Planning\n.*?(?=^## |\Z)", re.S | re.M)
    new = (
        pattern.sub(section + "\n", old) if pattern.search(old) else old.rstrip() + "\n\n" + section
    )
    path.write_text(new, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="team,force", help="comma list of team,force,evening,large or 'all'"
    )
    ap.add_argument("--no-cut", action="store_true", help="skip the cut officer-days variants")
    ap.add_argument(
        "--cut",
        default="0.7",
        help="comma list of shares of each officer's working days kept in the cut variants "
        "(default 0.7; issue #11 measured 0.8)",
    )
    ap.add_argument("--time-limit", type=float, default=None, help="override every size's limit")
    ap.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    ap.add_argument(
        "--seed",
        type=int,
        default=SEED,
        help=f"seed of the generated data and of both planners (default {SEED}; others are "
        "held-out instances of the same shapes)",
    )
    ap.add_argument(
        "--no-load-check",
        action="store_true",
        help="skip the second optimiser run with both cores busy (roster hash under load)",
    )
    ap.add_argument(
        "--refreshment",
        default="police",
        help='[shifts] refreshment of every instance: "police" (default), "none" or minutes',
    )
    args = ap.parse_args()
    names = list(SIZES) if args.sizes == "all" else [s.strip() for s in args.sizes.split(",")]
    ctx = mp.get_context("spawn")
    results = []
    for name in names:
        cuts = [float(c) for c in args.cut.split(",")]
        for cut in [0.0] if args.no_cut else [0.0, *cuts]:
            q = ctx.Queue()
            p = ctx.Process(
                target=run_instance,
                args=(
                    name,
                    cut,
                    args.time_limit,
                    not args.no_load_check,
                    q,
                    args.seed,
                    args.refreshment,
                ),
            )
            p.start()
            r = q.get()
            p.join()
            results.append(r)
            print(table([r]), flush=True)
    text = table(results)
    print()
    print(text)
    if args.write:
        write_section(text, args.seed)
        print("docs/BENCHMARKS.md updated")


if __name__ == "__main__":
    main()
