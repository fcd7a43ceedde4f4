"""The greedy baseline: a valid roster made the simple way, for benchmarks and as a fallback.

Visits are taken earliest due first (ties: higher risk). Each goes on the first possible day
from its earliest date, appended at the end of the crew's day: the named offender manager plus
the nearest colleague (by base distance) who works that day, or, when the manager cannot go,
any available eligible officers (nearest to the home first). Chained visits (interval shorter
than the plan) follow the planned date of the previous one. Visits due after the plan ends are
never pulled forward. Every hard rule of the data contract is kept; nothing is optimised.

No files, no printing: the result is a plain `PlanResult`.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from rso_scheduler.demand import Requirement, requirements
from rso_scheduler.duty import DutyCalendar
from rso_scheduler.errors import PlanError
from rso_scheduler.geo import haversine_km
from rso_scheduler.models import Dataset, Officer, VisitKind
from rso_scheduler.policy import Policy, ShiftsPolicy
from rso_scheduler.roster import (
    CrewDayRecord,
    CrewRoute,
    OfficerLeg,
    PlannedVisit,
    PlanResult,
    Unscheduled,
)
from rso_scheduler.rules import crew_area, crew_max_visits, crew_skills, last_owed_floor
from rso_scheduler.solver.diagnose import unplanned_owed, unscheduled_reason, with_late_reasons
from rso_scheduler.solver.options import PlanOptions
from rso_scheduler.solver.routing import CrewTimer, Stop, TravelCache
from rso_scheduler.travel import Place, Travel, base, travel_for

# Candidate crews tried per day before moving on: keeps a force-size month to seconds while
# still reaching a lone skill holder (one candidate per first officer in that case).
MAX_CREWS_PER_DAY = 200
GREEDY_CREWS = (
    "greedy baseline: one officer's day; the officers of each visit are chosen per visit "
    "(the named offender manager and the nearest colleague on duty, else the nearest eligible "
    "officers)"
)


@dataclass
class _Stop:
    visit_id: str
    place: Place
    start_min: int
    end_min: int


@dataclass
class _Day:
    """One officer's day as built so far: visits appended in order."""

    officer: Officer
    stops: list[_Stop] = field(default_factory=list)

    def pinned(self) -> list[Stop]:
        """The day's visits as stops of the timing engine, each held at its planned minute."""
        return [
            Stop(
                i,
                s.place.lat,
                s.place.lon,
                s.end_min - s.start_min,
                s.start_min,
                s.end_min,
                s.place.id,
            )
            for i, s in enumerate(self.stops)
        ]


class _Timers:
    """One officer's timing engine (`routing.CrewTimer` of that officer alone), made once."""

    def __init__(self, travel: Travel, shifts: ShiftsPolicy):
        self.cache = TravelCache(travel)
        self.shifts = shifts
        self._by_id: dict[str, CrewTimer] = {}

    def of(self, officer: Officer) -> CrewTimer:
        t = self._by_id.get(officer.officer_id)
        if t is None:
            t = self._by_id[officer.officer_id] = CrewTimer(
                [officer], self.cache, None, self.shifts
            )
        return t


@dataclass(order=True)
class _Job:
    """One owed visit waiting to be placed (heap order: due, risk, person, seq)."""

    due: date
    rank: int
    offender_id: str
    seq: int
    earliest: date = field(compare=False)
    req: Requirement = field(compare=False)


def greedy_plan(dataset: Dataset, start: date, end: date, options: PlanOptions) -> PlanResult:
    """Plan [start, end] greedily; a valid roster by every hard rule, not an optimised one."""
    if end < start:
        raise PlanError(f"the plan ends ({end}) before it starts ({start})")
    if options.fixed:  # never silently drop a re-plan's issued visits
        raise PlanError("the greedy baseline does not re-plan; `rso replan` uses the optimiser")
    t0 = time.perf_counter()
    policy = dataset.policy
    travel = travel_for(options.travel, policy)
    timers = _Timers(travel, policy.shifts)
    officers = sorted(dataset.officers, key=lambda o: o.officer_id)
    by_id = {o.officer_id: o for o in officers}
    cal = DutyCalendar(officers, dataset.absences, start, end, options.work_bank_holidays)
    plan_days = cal.days
    working: dict[date, list[Officer]] = {d: cal.on_duty(d) for d in plan_days}
    partners = _partner_order(officers)
    firsts_of: dict[str, list[str]] = {}
    sheets: dict[tuple[str, date], _Day] = {}

    reqs = requirements(dataset, start, end, include_optional=False)
    duty = frozenset(d for d in plan_days if working[d])
    owed = {r.offender_id: r.owed_dues(end, duty) for r in reqs}
    options.progress(f"greedy: {len(reqs)} people owe a visit")
    heap: list[_Job] = []
    for r in reqs:
        lo = r.first_earliest
        if len(owed[r.offender_id]) == 1:
            lo = max(lo, last_owed_floor(r, end, 1)[0])
        heap.append(_Job(r.first_due, r.risk_level.rank, r.offender_id, 0, lo, r))
    heapq.heapify(heap)

    placed: list[tuple[Requirement, int, date, int, int, tuple[str, ...], date]] = []
    planned_on: dict[str, list[date]] = {}
    counter = 0
    while heap:
        job = heapq.heappop(heap)
        r = job.req
        found = None
        if r.offender_id not in firsts_of:
            firsts_of[r.offender_id] = _first_order(r, officers)
        firsts = firsts_of[r.offender_id]
        for d in plan_days:
            if d < job.earliest or not r.available_on(d):
                continue
            found = _place_on_day(r, d, working[d], by_id, firsts, partners, sheets, policy, timers)
            if found is not None:
                break
        if found is None:
            continue  # listed with its reason below (and so is the rest of the person's chain)
        d, start_min, crew = found
        counter += 1
        vid = f"G{counter:05d}"
        end_min = start_min + r.duration_min
        for oid in crew:
            sheets.setdefault((oid, d), _Day(by_id[oid])).stops.append(
                _Stop(vid, Place(r.offender_id, r.lat, r.lon), start_min, end_min)
            )
        placed.append((r, job.seq, d, start_min, end_min, crew, job.due))
        mine = planned_on.setdefault(r.offender_id, [])
        mine.append(d)
        nxt_due = r.next_due(d)
        k = len(owed[r.offender_id])
        if len(mine) < k and nxt_due <= end:
            lo = r.next_earliest(d)
            if len(mine) == k - 1:
                lo = max(lo, last_owed_floor(r, end, k)[0])
            heapq.heappush(
                heap, _Job(nxt_due, r.risk_level.rank, r.offender_id, job.seq + 1, lo, r)
            )

    def on_duty(day: date) -> list[Officer]:
        return working.get(day, [])

    unscheduled: list[Unscheduled] = []
    for r in reqs:

        def reason_for(lo: date, why: str, r: Requirement = r) -> str:
            return unscheduled_reason(r, lo, why, start, end, on_duty, policy.areas.mode)

        unscheduled.extend(
            unplanned_owed(
                r, planned_on.get(r.offender_id, []), owed[r.offender_id], end, reason_for
            )
        )

    visits = _finish_visits(placed, sheets, policy.visits.unannounced_share)
    visits = with_late_reasons(
        visits,
        {r.offender_id: r for r in reqs},
        start,
        end,
        on_duty,
        policy.areas.mode,
        lambda oid: len(owed[oid]),
    )
    routes = _routes(sheets, travel, timers)
    seconds = time.perf_counter() - t0
    options.progress(
        f"greedy: {len(visits)} visits placed, {len(unscheduled)} unscheduled in {seconds:.1f}s"
    )
    return PlanResult(
        plan_start=start,
        plan_end=end,
        visits=visits,
        unscheduled=sorted(
            unscheduled, key=lambda u: (u.risk_level.rank, u.due_date, u.offender_id)
        ),
        routes=routes,
        visits_due=len(visits) + len(unscheduled),
        solve_seconds=seconds,
        seed=options.seed,
        time_limit_s=options.time_limit_s,
        work_bank_holidays=options.work_bank_holidays,
        stats={"solver": "greedy", "status": "FEASIBLE", "people_owing": len(reqs)},
        crew_days=[
            CrewDayRecord(
                r.date,
                r.crew_id,
                r.officer_ids,
                by_id[r.crew_id].shift_start_min,
                by_id[r.crew_id].shift_end_min,
                GREEDY_CREWS,
            )
            for r in routes
        ],
    )


def _partner_order(officers: list[Officer]) -> dict[str, list[str]]:
    """Each officer's colleagues, nearest base first (ties by id, for determinism)."""
    out: dict[str, list[str]] = {}
    for a in officers:
        dist = {
            b.officer_id: haversine_km(a.base_lat, a.base_lon, b.base_lat, b.base_lon)
            for b in officers
            if b is not a
        }
        out[a.officer_id] = sorted(dist, key=lambda o: (dist[o], o))
    return out


def _first_order(r: Requirement, officers: list[Officer]) -> list[str]:
    """Who leads the crew, in preference order: the named manager, then nearest to the home."""
    dist = {o.officer_id: haversine_km(o.base_lat, o.base_lon, r.lat, r.lon) for o in officers}
    order = sorted(dist, key=lambda o: (dist[o], o))
    if r.manager_id in dist:
        order.remove(r.manager_id)
        order.insert(0, r.manager_id)
    return order


def _candidate_crews(
    r: Requirement,
    firsts: list[str],
    partners: dict[str, list[str]],
    ids: set[str],
    by_id: dict[str, Officer],
) -> Iterator[tuple[str, ...]]:
    """Crews among `ids` holding the skills needed, best first, at most MAX_CREWS_PER_DAY."""
    size = 2 if r.two_officers else 1
    seen: set[frozenset[str]] = set()
    n = 0
    for first in firsts:
        if first not in ids:
            continue
        seconds_: list[str | None] = (
            [None] if size == 1 else [o for o in partners[first] if o in ids]
        )
        for second in seconds_:
            crew = (first,) if second is None else (first, second)
            key = frozenset(crew)
            if key in seen:
                continue
            seen.add(key)
            if crew_skills(r, [by_id[oid] for oid in crew]) is None:
                yield crew
                n += 1
                if n >= MAX_CREWS_PER_DAY:
                    return


def _place_on_day(
    r: Requirement,
    d: date,
    working: list[Officer],
    by_id: dict[str, Officer],
    firsts: list[str],
    partners: dict[str, list[str]],
    sheets: dict[tuple[str, date], _Day],
    policy: Policy,
    timers: _Timers,
) -> tuple[date, int, tuple[str, ...]] | None:
    """The start time and crew for `r` appended to crews' days on `d`, or None if none fits."""
    mode = policy.areas.mode
    eligible = []
    for o in working:
        if crew_area(r, (o,), mode) is not None:
            continue
        sheet = sheets.get((o.officer_id, d))
        if crew_max_visits((o,), len(sheet.stops) if sheet else 0) is not None:
            continue
        eligible.append(o)
    ids = {o.officer_id for o in eligible}
    ws = r.window_start_min if r.window_start_min is not None else 0
    we = r.window_end_min if r.window_end_min is not None else 24 * 60

    def timed(o: Officer, lo: int, hi: int) -> int | None:
        # the visit appended to the officer's day (timing engine: travel, window, break)
        sheet = sheets.get((o.officer_id, d)) or _Day(o)
        day = sheet.pinned()
        day.append(Stop(len(day), r.lat, r.lon, r.duration_min, lo, hi, r.offender_id))
        tl = timers.of(o).timeline(day)
        return None if tl is None else tl.starts[-1]

    # each officer's earliest start at this home today, worked out once per officer (not per
    # crew: crews share officers and travel is the costly part)
    earliest = {o.officer_id: timed(o, ws, we) for o in eligible}
    held: dict[tuple[str, int], bool] = {}

    def holds(oid: str, start_min: int) -> bool:
        # a later start than the officer's earliest: still lawful (the break may not fit)
        if earliest[oid] == start_min:
            return True
        key = (oid, start_min)
        if key not in held:
            held[key] = timed(by_id[oid], start_min, start_min + r.duration_min) is not None
        return held[key]

    for crew in _candidate_crews(r, firsts, partners, ids, by_id):
        starts = [earliest[oid] for oid in crew]
        if any(x is None for x in starts):
            continue
        start_min = max(x for x in starts if x is not None)
        if all(holds(oid, start_min) for oid in crew):
            return d, start_min, crew
    return None


def _finish_visits(
    placed: list[tuple[Requirement, int, date, int, int, tuple[str, ...], date]],
    sheets: dict[tuple[str, date], _Day],
    unannounced_share: float,
) -> list[PlannedVisit]:
    """PlannedVisits with kinds: the most serious `unannounced_share` of visits unannounced."""
    order = sorted(
        range(len(placed)),
        key=lambda i: (
            placed[i][0].risk_level.rank,
            placed[i][2],
            placed[i][3],
            placed[i][0].offender_id,
        ),
    )
    n_unannounced = math.floor(unannounced_share * len(placed) + 0.5)
    unannounced = set(order[:n_unannounced])
    # ids in date/time order so the roster reads naturally
    by_time = sorted(
        range(len(placed)), key=lambda i: (placed[i][2], placed[i][3], placed[i][0].offender_id)
    )
    out: list[PlannedVisit] = []
    for k, i in enumerate(by_time, start=1):
        r, seq, d, s, e, crew, due = placed[i]
        out.append(
            PlannedVisit(
                visit_id=f"V{k:05d}",
                date=d,
                start_min=s,
                end_min=e,
                offender_id=r.offender_id,
                officer_ids=crew,
                risk_level=r.risk_level,
                due_date=due,
                kind=VisitKind.unannounced if i in unannounced else VisitKind.announced,
                seq=seq,
                pulled_forward=False,
            )
        )
    # the stop ids were provisional (placement order); give the day sheets the final ids
    rename: dict[str, str] = {}
    for k, i in enumerate(by_time, start=1):
        rename[f"G{i + 1:05d}"] = f"V{k:05d}"
    for sheet in sheets.values():
        for stop in sheet.stops:
            stop.visit_id = rename[stop.visit_id]
    return out


def _routes(
    sheets: dict[tuple[str, date], _Day], travel: Travel, timers: _Timers
) -> list[CrewRoute]:
    """One route per officer-day (greedy pairs vary per visit, so crews are single officers),
    timed by the timing engine with each visit at its planned minute (and the break due)."""
    out: list[CrewRoute] = []
    for (oid, d), sheet in sorted(sheets.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        o = sheet.officer
        points = [base(o)] + [s.place for s in sheet.stops] + [base(o)]
        mins = [travel.minutes(a, b) for a, b in zip(points, points[1:], strict=False)]
        km = sum(travel.km(a, b) for a, b in zip(points, points[1:], strict=False))
        route = timers.of(o).make_route(sheet.pinned())
        if route is None:  # cannot happen: every visit was placed through the same engine
            raise PlanError(f"internal error: officer {oid} on {d} lost its timing")
        (leg,) = route.legs
        out.append(
            CrewRoute(
                date=d,
                crew_id=oid,
                officer_ids=(oid,),
                visit_ids=tuple(s.visit_id for s in sheet.stops),
                legs=(
                    OfficerLeg(
                        oid,
                        leg.depart_min,
                        leg.return_min,
                        sum(mins),
                        km,
                        leg.break_start_min,
                        leg.break_end_min,
                    ),
                ),
            )
        )
    return out


__all__ = ["greedy_plan"]
