"""Small datasets and rule assertions shared by the optimiser's tests."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from rso_scheduler.calendar import absences_by_officer, bank_holidays
from rso_scheduler.check import check_plan
from rso_scheduler.duty import officer_works
from rso_scheduler.models import Dataset, Offender, Officer, RiskLevel
from rso_scheduler.outputs.files import staged_output
from rso_scheduler.outputs.roster_files import read_roster, write_plan
from rso_scheduler.policy import Policy, TravelPolicy
from rso_scheduler.roster import PlanResult
from rso_scheduler.solver import PlanOptions
from rso_scheduler.solver import plan as optimise
from rso_scheduler.travel import HaversineTravel, Place

JAN = (date(2027, 1, 1), date(2027, 1, 31))
READING = (51.456, -0.971)
SLOUGH = (51.511, -0.595)


def person(pid: str, risk: str = "high", **kw: Any) -> Offender:
    """An active person near Reading station, overdue since before the plan unless told otherwise."""
    fields: dict[str, Any] = dict(
        offender_id=pid,
        risk_level=RiskLevel(risk),
        lat=51.46,
        lon=-0.98,
        area="Reading",
        last_visit_date=date(2026, 6, 1),
    )
    fields.update(kw)
    return Offender(**fields)  # fmt: skip


def officer(oid: str, lat: float = READING[0], lon: float = READING[1], **kw: Any) -> Officer:
    """An officer based at Reading (Mon-Fri 08:00-16:00 unless told otherwise)."""
    return Officer(officer_id=oid, base_lat=lat, base_lon=lon, area=kw.pop("area", "Reading"), **kw)


def dataset(
    people: list[Offender], officers: list[Officer], policy: Policy | None = None, **kw: Any
) -> Dataset:
    """A Dataset built straight from models (no files)."""
    return Dataset(
        offenders=tuple(people), officers=tuple(officers), policy=policy or Policy(), **kw
    )


def run(ds: Dataset, start: date = JAN[0], end: date = JAN[1], **options: Any) -> PlanResult:
    """The optimiser with a small time budget and a fixed seed."""
    options.setdefault("time_limit_s", 5.0)
    options.setdefault("seed", 7)
    return optimise(ds, start, end, PlanOptions(**options))


def own_rule_problems(ds: Dataset, res: PlanResult) -> list[str]:
    """Hard rules re-checked directly on the PlanResult (independent of the solver's code)."""
    out: list[str] = []
    people = ds.offender_by_id()
    officers = ds.officer_by_id()
    hols = {} if res.work_bank_holidays else bank_holidays(res.plan_start, res.plan_end)
    absences = absences_by_officer(ds.absences)
    policy = ds.policy
    by_officer_day: dict[tuple[str, date], list[Any]] = defaultdict(list)
    by_person: dict[str, list[Any]] = defaultdict(list)
    for v in res.visits:
        p = people[v.offender_id]
        rp = policy.for_risk(p.risk_level)
        dur = p.visit_minutes or rp.visit_minutes
        two = rp.two_officers if p.two_officers is None else p.two_officers
        if v.end_min - v.start_min != dur:
            out.append(f"{v.visit_id}: duration")
        if p.unavailable_on(v.date):
            out.append(f"{v.visit_id}: person unavailable")
        if p.window_start_min is not None and not (
            p.window_start_min <= v.start_min and v.end_min <= (p.window_end_min or 0)
        ):
            out.append(f"{v.visit_id}: window")
        if len(set(v.officer_ids)) != len(v.officer_ids) or (two and len(v.officer_ids) < 2):
            out.append(f"{v.visit_id}: crew")
        crew_skills: set[str] = set()
        for oid in v.officer_ids:
            o = officers[oid]
            crew_skills |= o.skills
            if not officer_works(o, v.date, absences, hols):
                out.append(f"{v.visit_id}: {oid} not working")
            if policy.areas.mode == "strict" and p.area is not None and o.area != p.area:
                out.append(f"{v.visit_id}: strict area")
            by_officer_day[(oid, v.date)].append(v)
        if not p.required_skills <= crew_skills:
            out.append(f"{v.visit_id}: skills")
        by_person[v.offender_id].append(v)
    for (oid, _day), vs in by_officer_day.items():
        o = officers[oid]
        vs.sort(key=lambda v: v.start_min)
        if o.max_visits_per_day is not None and len(vs) > o.max_visits_per_day:
            out.append(f"{oid}: max visits")
        pos = (o.base_lat, o.base_lon)
        t = o.shift_start_min
        for v in vs:
            p = people[v.offender_id]
            t += straight_min(pos[0], pos[1], p.lat, p.lon, policy.travel)
            if v.start_min < t:
                out.append(f"{v.visit_id}: {oid} cannot arrive in time")
            t = v.end_min
            pos = (p.lat, p.lon)
        if (
            t + straight_min(pos[0], pos[1], o.base_lat, o.base_lon, policy.travel)
            > o.shift_end_min
        ):
            out.append(f"{oid}: back after shift end")
    for pid, vs in by_person.items():
        p = people[pid]
        interval = p.visit_interval_days or policy.for_risk(p.risk_level).interval_days
        gap = math.ceil(interval / 2)
        prev = p.last_visit_date
        # a visit brought forward by an event after the last visit is not held back by the gap
        events = [e for e in (p.released_on, p.address_changed_on) if e is not None]
        event_first = prev is not None and any(e > prev for e in events)
        for i, v in enumerate(sorted(vs, key=lambda v: v.date)):
            exempt = i == 0 and event_first
            if prev is not None and not exempt and (v.date - prev).days < gap:
                out.append(f"{v.visit_id}: minimum gap")
            prev = v.date
    return out


def assert_valid(ds: Dataset, res: PlanResult, tmp_path: Path) -> None:
    """Own rule assertions, then the independent checker on the written files."""
    problems = own_rule_problems(ds, res)
    assert problems == [], problems
    out = tmp_path / "out"
    with staged_output(out) as stage:
        write_plan(stage, ds, res, {"solver": "cp-sat"})
    violations = check_plan(ds, read_roster(out), work_bank_holidays=res.work_bank_holidays)
    assert violations == [], "\n".join(map(str, violations))


def straight_min(lat1: float, lon1: float, lat2: float, lon2: float, tp: TravelPolicy) -> int:
    """The contract's straight-line minutes between two points (via the travel object)."""
    return HaversineTravel(tp).minutes(Place("a", lat1, lon1), Place("b", lat2, lon2))


def straight_km(lat1: float, lon1: float, lat2: float, lon2: float, tp: TravelPolicy) -> float:
    """The contract's straight-line km x circuity between two points."""
    return HaversineTravel(tp).km(Place("a", lat1, lon1), Place("b", lat2, lon2))
