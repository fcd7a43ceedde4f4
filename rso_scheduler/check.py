"""The independent checker: re-derives every rule of the data contract from the inputs.

`check_plan(dataset, roster_files, work_bank_holidays=...)` reads nothing but the validated
inputs and the roster files as written, and lists every broken rule. It deliberately does
NOT import `demand`, `calendar` or anything in `solver`, nor the travel formulas: due dates,
the contract's straight-line travel times and bank holidays are worked out again here, in simple
direct code, so that a bug in the planner is not repeated by the check that is meant to catch it.

Travel times of the road and matrix models are input data, not a rule: for those the checker
asks the run's travel object (`travel=`, built by `travel.build_travel` from the data folder, as
the plan's was) for each leg's minutes and km; only the `Place` type is imported for that. With
the default haversine model it ignores any travel object and uses its own formula.

Rules checked (each `Violation.rule` below):
visit_id, date_in_plan, person_known, person_active, person_unavailable, window, duration,
officer_known, officers_distinct, officer_working, max_visits_per_day, two_officers, skills,
strict_area, risk_level, kind, overlap, travel_from_base, travel_between, travel_to_base,
due_date, earliest, days_late, pulled_forward, manager_flag, missing, both, not_owed, summary, inputs_changed,
refreshment (breaks.csv: every officer-day with a visit and a shift of 5 hours or more has one
break of the due length inside its window, clear of the officer's visits and drives).

A roster a supervisor edited by hand (rows removed, times or officers changed, `pinned` set) is
checked by the same rules: the totals are recomputed from the roster (`roster_totals`), and
`findings` folds what only a hand edit makes stale (summary.json's totals, the
`offender_manager_on_visit` column) into one warning each, leaving the rules as errors.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import holidays

from rso_scheduler.errors import PlanError
from rso_scheduler.models import Dataset, Offender, Officer, Outcome, Status
from rso_scheduler.outputs.roster_files import BreakRow, RosterFiles, RosterRow, UnscheduledRow
from rso_scheduler.policy import Policy
from rso_scheduler.redact import shown
from rso_scheduler.travel import Place

EARTH_RADIUS_KM = 6371.0088
# Same tolerance as the planner's travel model: without it, float noise such as
# 12.000000000001 minutes would round up to 13 here and to 12 there.
_EPS = 1e-9


@dataclass(frozen=True)
class Violation:
    """One broken rule, with the ids it concerns (never coordinates)."""

    rule: str
    message: str
    visit_id: str | None = None
    offender_id: str | None = None
    officer_id: str | None = None
    line: int | None = None  # line in roster.csv / unscheduled.csv where known

    def __str__(self) -> str:
        ids = [
            f"{k} {v}"
            for k, v in (
                ("visit", self.visit_id),
                ("person", self.offender_id),
                ("officer", self.officer_id),
            )
            if v
        ]
        where = f" ({', '.join(ids)})" if ids else ""
        return f"[{self.rule}]{where}: {self.message}"


# --- independent re-implementations ------------------------------------------------------


def contract_travel_min(lat1: float, lon1: float, lat2: float, lon2: float, policy: Policy) -> int:
    """`ceil(haversine_km * circuity / speed_kmh * 60)`, Earth radius 6371.0088 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
    return max(0, math.ceil(km * policy.travel.circuity / policy.travel.speed_kmh * 60 - _EPS))


def _road_km(lat1: float, lon1: float, lat2: float, lon2: float, policy: Policy) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a))) * policy.travel.circuity


class _Drive:
    """Minutes and km of one leg: the contract formula, or the run's road/matrix model."""

    def __init__(self, policy: Policy, travel: Any):
        self.policy = policy
        self.travel = None if policy.travel.model == "haversine" else travel
        if self.travel is None and policy.travel.model != "haversine":
            raise PlanError(
                f'the checker needs the travel model of [travel] model = "{policy.travel.model}"'
            )

    def minutes(self, a: Place, b: Place) -> int:
        if self.travel is None:
            return contract_travel_min(a.lat, a.lon, b.lat, b.lon, self.policy)
        return int(self.travel.minutes(a, b))

    def km(self, a: Place, b: Place) -> float:
        if self.travel is None:
            return _road_km(a.lat, a.lon, b.lat, b.lon, self.policy)
        return float(self.travel.km(a, b))


def _base(o: Officer) -> Place:
    return Place(o.officer_id, o.base_lat, o.base_lon)


def _home(p: Offender) -> Place:
    return Place(p.offender_id, p.lat, p.lon)


def _bank_holidays(start: date, end: date) -> set[date]:
    days: set[date] = set()
    for year in range(start.year, end.year + 1):
        days |= {
            d
            for d in holidays.country_holidays("GB", subdiv="ENG", years=year)
            if start <= d <= end
        }
    return days


@dataclass(frozen=True)
class _Owed:
    """A person's first owed visit as the contract defines it."""

    due: date  # plan start when never visited and never registered
    earliest: date  # never before the plan start
    interval_days: int
    window_days: int


def first_owed(
    offender: Offender, dataset: Dataset, start: date, completed: list[date] | None = None
) -> _Owed:
    """Due and earliest dates of a person's next visit from the history known before `start`."""
    policy = dataset.policy
    rp = policy.risk[offender.risk_level.value]
    interval = offender.visit_interval_days or rp.interval_days
    first = timedelta(days=policy.visits.first_visit_days)
    last = (
        offender.last_visit_date
        if offender.last_visit_date and offender.last_visit_date < start
        else None
    )
    for v in dataset.visits:
        if (
            v.offender_id == offender.offender_id
            and v.outcome is Outcome.completed
            and v.date < start
        ):
            last = v.date if last is None or v.date > last else last
    due: date | None = None
    floor: date | None = None  # nobody to visit before a registration / release / move
    if last is not None:
        due = last + timedelta(days=interval)
    elif offender.registered_on is not None:
        due, floor = offender.registered_on + first, offender.registered_on
    else:
        due = start  # never visited, never registered: already owed at the plan start
    for event in (offender.released_on, offender.address_changed_on):
        later = event is not None and (last is None or event > last)
        if later and event is not None and (due is None or event + first < due):
            due, floor = event + first, event
    earliest = start
    if due is not None:
        earliest = max(earliest, due - timedelta(days=rp.window_days))
    if floor is not None:
        # brought forward by an event: from the event date on, no half-interval spacing
        earliest = max(earliest, floor)
    elif last is not None:
        earliest = max(earliest, last + timedelta(days=math.ceil(interval / 2)))
    return _Owed(due, earliest, interval, rp.window_days)


@dataclass(frozen=True)
class Findings:
    """A check's outcome for a person: errors (broken rules) and warnings (stale annotations)."""

    errors: list[Violation]
    warnings: list[str]


# Columns and files derived from the roster rows: a hand edit makes them stale without
# breaking any rule of the contract.
STALE_RULES = ("summary", "manager_flag", "late_reason")


def _some_ids(found: list[Violation]) -> str:
    """The first five visit ids of some findings, and how many more."""
    shown = ", ".join(v.visit_id or "?" for v in found[:5])
    return shown + (f" and {len(found) - 5} more" if len(found) > 5 else "")


def findings(violations: list[Violation]) -> Findings:
    """Errors, and one warning per kind of stale annotation (summary.json, manager flag)."""
    errors = [v for v in violations if v.rule not in STALE_RULES]
    warnings: list[str] = []
    summary = [v.message.removeprefix("summary.json ") for v in violations if v.rule == "summary"]
    if summary:
        warnings.append(
            "summary.json no longer matches the roster (edited by hand?): "
            + "; ".join(summary)
            + ". The totals above are recomputed from the roster."
        )
    blank = [v for v in violations if v.rule == "late_reason"]
    if blank:
        warnings.append(
            f"{len(blank)} late visit{'s' if len(blank) != 1 else ''} ({_some_ids(blank)}) "
            "have no late_reason (edited by hand?); the planners give every late visit one"
        )
    flags = [v for v in violations if v.rule == "manager_flag"]
    if flags:
        warnings.append(
            f"offender_manager_on_visit no longer matches the officers on {len(flags)} "
            f"visit{'s' if len(flags) != 1 else ''} ({_some_ids(flags)}); the officers listed count"
        )
    return Findings(errors, warnings)


# --- the checker --------------------------------------------------------------------------


def check_plan(
    dataset: Dataset, roster_files: RosterFiles, *, work_bank_holidays: bool, travel: Any = None
) -> list[Violation]:
    """Every contract rule the written roster breaks (an empty list: the roster is valid).

    `travel`: the run's travel object, needed (and used) only for the road and matrix models.
    """
    start, end = roster_files.plan_start, roster_files.plan_end
    policy = dataset.policy
    drive = _Drive(policy, travel)
    people = {o.offender_id: o for o in dataset.offenders}
    officers = {o.officer_id: o for o in dataset.officers}
    out: list[Violation] = []
    rows = roster_files.visits
    hols = set() if work_bank_holidays else _bank_holidays(start, end)

    seen_ids: set[str] = set()
    for r in rows:
        if r.visit_id in seen_ids:
            out.append(
                Violation(
                    "visit_id",
                    f"visit id {r.visit_id} is used more than once",
                    r.visit_id,
                    r.offender_id,
                    line=r.line,
                )
            )
        seen_ids.add(r.visit_id)
        out.extend(_check_visit(r, people, officers, policy, start, end, hols, dataset))

    out.extend(_check_officer_days(rows, people, officers, drive))
    out.extend(_check_breaks(rows, roster_files.breaks, people, officers, policy, drive))
    out.extend(_check_demand(rows, roster_files.unscheduled, people, dataset, start, end, hols))
    out.extend(_check_summary(roster_files, people, officers, policy, drive))
    out.extend(_check_late_reasons(roster_files))
    out.extend(_check_inputs(roster_files, dataset))
    out.extend(_check_travel_source(roster_files, drive.travel))
    return out


def _check_visit(
    r: RosterRow,
    people: dict[str, Offender],
    officers: dict[str, Officer],
    policy: Policy,
    start: date,
    end: date,
    hols: set[date],
    dataset: Dataset,
) -> list[Violation]:
    out: list[Violation] = []

    def v(rule: str, msg: str, officer: str | None = None) -> None:
        out.append(Violation(rule, msg, r.visit_id, r.offender_id, officer, r.line))

    if not start <= r.date <= end:
        v("date_in_plan", f"date {r.date} is outside the plan {start} to {end}")
    if r.kind not in ("announced", "unannounced"):
        v("kind", f"kind {shown(r.kind)} is not valid; expected announced or unannounced")
    if r.end_min <= r.start_min:
        v("duration", f"ends ({_hhmm(r.end_min)}) before it starts ({_hhmm(r.start_min)})")
    person = people.get(r.offender_id)
    if person is None:
        v("person_known", f"person {r.offender_id} is not in offenders.csv")
    else:
        if person.status is not Status.active:
            v(
                "person_active",
                f"person's status is {person.status.value}; only active people get planned visits",
            )
        if _unavailable(person, r.date):
            v("person_unavailable", f"person is unavailable on {r.date}")
        if r.risk_level != person.risk_level.value:
            v(
                "risk_level",
                f"risk level {shown(r.risk_level)} differs from the input ({person.risk_level.value})",
            )
        ws, we = person.window_start_min, person.window_end_min
        if ws is not None and we is not None and (r.start_min < ws or r.end_min > we):
            v(
                "window",
                f"visit {_hhmm(r.start_min)}-{_hhmm(r.end_min)} is outside the window "
                f"{_hhmm(ws)}-{_hhmm(we)}",
            )
        want = person.visit_minutes or policy.risk[person.risk_level.value].visit_minutes
        if r.end_min - r.start_min != want and r.end_min > r.start_min:
            v("duration", f"lasts {r.end_min - r.start_min} minutes; expected {want}")
        two = person.two_officers
        if two is None:
            two = policy.risk[person.risk_level.value].two_officers
        if two and len(set(r.officer_ids)) < 2:
            v("two_officers", f"needs two officers; {len(set(r.officer_ids))} on the visit")
        if not r.officer_ids:
            v("officer_known", "no officer on the visit")
        if r.offender_manager_on_visit is not None:
            om = person.offender_manager_id
            if r.offender_manager_on_visit != (om is not None and om in r.officer_ids):
                v(
                    "manager_flag",
                    f"offender_manager_on_visit is {str(r.offender_manager_on_visit).lower()}, "
                    f"but the named manager is {om or 'nobody'}",
                )

    if len(set(r.officer_ids)) != len(r.officer_ids):
        v("officers_distinct", "the same officer is listed twice")
    held: set[str] = set()
    for oid in dict.fromkeys(r.officer_ids):
        o = officers.get(oid)
        if o is None:
            v("officer_known", f"officer {oid} is not in officers.csv", oid)
            continue
        held |= o.skills
        why = _not_working(o, r.date, dataset, hols)
        if why:
            v("officer_working", f"officer does not work on {r.date}: {why}", oid)
        if (
            person is not None
            and policy.areas.mode == "strict"
            and person.area is not None
            and o.area != person.area
        ):
            v(
                "strict_area",
                f"officer's area ({o.area or 'none'}) is not the person's ({person.area}) and areas are strict",
                oid,
            )
    if person is not None:
        known = all(oid in officers for oid in r.officer_ids)
        missing = sorted(person.required_skills - held)
        if missing and known:
            v("skills", f"no officer on the visit holds skill {', '.join(missing)}")
    return out


def _unavailable(person: Offender, day: date) -> bool:
    if person.unavailable_from is None and person.unavailable_to is None:
        return False
    lo = person.unavailable_from or date.min
    hi = person.unavailable_to or date.max
    return lo <= day <= hi


def _not_working(o: Officer, day: date, dataset: Dataset, hols: set[date]) -> str | None:
    if day.weekday() not in o.working_days:
        return f"not a working day ({day.strftime('%a')})"
    if day in hols:
        return "bank holiday"
    if o.max_visits_per_day == 0:
        return "max_visits_per_day is 0"
    for a in dataset.absences:
        if a.officer_id == o.officer_id and a.start <= day <= a.end:
            return f"absent ({a.reason or 'absence'})"
    return None


def _officer_days(rows: list[RosterRow]) -> dict[tuple[str, date], list[RosterRow]]:
    days: dict[tuple[str, date], list[RosterRow]] = defaultdict(list)
    for r in rows:
        for oid in dict.fromkeys(r.officer_ids):
            days[oid, r.date].append(r)
    for lst in days.values():
        lst.sort(key=lambda r: (r.start_min, r.end_min, r.visit_id))
    return days


def _check_officer_days(
    rows: list[RosterRow], people: dict[str, Offender], officers: dict[str, Officer], drive: _Drive
) -> list[Violation]:
    """Each officer's day in start order: shift, travel from base, between visits, back to base."""
    out: list[Violation] = []
    for (oid, day), seq in sorted(_officer_days(rows).items()):
        o = officers.get(oid)
        if o is None:
            continue
        if o.max_visits_per_day is not None and len(seq) > o.max_visits_per_day > 0:
            out.append(
                Violation(
                    "max_visits_per_day",
                    f"{len(seq)} visits on {day}; the officer's cap is {o.max_visits_per_day}",
                    officer_id=oid,
                )
            )
        located = [(r, people[r.offender_id]) for r in seq if r.offender_id in people]
        if not located:
            continue
        first, fp = located[0]
        t = drive.minutes(_base(o), _home(fp))
        if o.shift_start_min + t > first.start_min:
            out.append(
                Violation(
                    "travel_from_base",
                    f"starts {_hhmm(first.start_min)} on {day}, but the shift starts {_hhmm(o.shift_start_min)} and the drive from base takes {t} min",
                    first.visit_id,
                    first.offender_id,
                    oid,
                    first.line,
                )
            )
        for (a, ap), (b, bp) in zip(located, located[1:], strict=False):
            if b.start_min < a.end_min:
                out.append(
                    Violation(
                        "overlap",
                        f"visit {b.visit_id} starts {_hhmm(b.start_min)} before visit {a.visit_id} ends {_hhmm(a.end_min)} on {day}",
                        b.visit_id,
                        b.offender_id,
                        oid,
                        b.line,
                    )
                )
                continue
            t = drive.minutes(_home(ap), _home(bp))
            if a.end_min + t > b.start_min:
                out.append(
                    Violation(
                        "travel_between",
                        f"{t} min drive from visit {a.visit_id} (ends {_hhmm(a.end_min)}) does not fit before {_hhmm(b.start_min)} on {day}",
                        b.visit_id,
                        b.offender_id,
                        oid,
                        b.line,
                    )
                )
        last, lp = located[-1]
        t = drive.minutes(_home(lp), _base(o))
        if last.end_min + t > o.shift_end_min:
            out.append(
                Violation(
                    "travel_to_base",
                    f"ends {_hhmm(last.end_min)} on {day}; with {t} min back to base that passes the shift end {_hhmm(o.shift_end_min)}",
                    last.visit_id,
                    last.offender_id,
                    oid,
                    last.line,
                )
            )
    return out


# Police Regulations Annex E (the checker's own copy): (tour minutes from, break minutes).
_ANNEX_E = ((600, 60), (540, 50), (480, 45), (420, 40), (360, 35), (300, 30))


def _break_due(o: Officer, policy: Policy) -> tuple[int, int, int] | None:
    """(minutes, window start, window end) of the break an officer-day with a visit needs."""
    tour = o.shift_end_min - o.shift_start_min
    mode = policy.shifts.refreshment
    if mode == "none" or tour < 300:
        return None
    if o.refreshment_minutes is not None:
        minutes = o.refreshment_minutes
    elif isinstance(mode, int):
        minutes = mode
    else:
        minutes = next(m for t, m in _ANNEX_E if tour >= t)
    if minutes <= 0:
        return None
    lo_h, hi_h = policy.shifts.refreshment_window
    return (
        minutes,
        o.shift_start_min + 60 * lo_h,
        min(o.shift_start_min + 60 * hi_h, o.shift_end_min),
    )


def _break_clear(
    b: BreakRow, o: Officer, seq: list[tuple[RosterRow, Offender]], drive: _Drive
) -> str | None:
    """Why a break is not clear of the officer's visits and drives (None: it is). It lies in
    one gap of the day (base, visits, base) and the gap still holds that gap's drive."""
    points: list[tuple[int, int, Place]] = [(o.shift_start_min, o.shift_start_min, _base(o))]
    points += [(r.start_min, r.end_min, _home(p)) for r, p in seq]
    points.append((o.shift_end_min, o.shift_end_min, _base(o)))
    for (_s0, e0, pa), (s1, _e1, pb) in zip(points, points[1:], strict=False):
        if e0 <= b.start_min and b.end_min <= s1:
            t = drive.minutes(pa, pb)
            if (b.start_min - e0) + (s1 - b.end_min) < t:
                return f"leaves no time for the {t}-minute drive around it"
            return None
    return "overlaps a visit or lies outside the shift"


def _check_breaks(
    rows: list[RosterRow],
    breaks: list[BreakRow] | None,
    people: dict[str, Offender],
    officers: dict[str, Officer],
    policy: Policy,
    drive: _Drive,
) -> list[Violation]:
    """Each officer-day with a visit and a break due has one lawful break in breaks.csv."""
    out: list[Violation] = []
    by_day: dict[tuple[str, date], list[BreakRow]] = defaultdict(list)
    for b in breaks or []:
        by_day[b.officer_id, b.date].append(b)
    missing_file = False
    for (oid, day), seq in sorted(_officer_days(rows).items()):
        o = officers.get(oid)
        due = _break_due(o, policy) if o is not None else None
        if o is None or due is None:
            continue
        if breaks is None:
            missing_file = True
            continue
        minutes, lo, hi = due
        got = by_day.get((oid, day), [])
        if len(got) != 1:
            found = "no refreshment break" if not got else f"{len(got)} refreshment breaks"
            out.append(Violation("refreshment", f"{found} on {day}; expected one", officer_id=oid))
            continue
        b = got[0]
        span = f"break {_hhmm(b.start_min)}-{_hhmm(b.end_min)} on {day}"
        why = None
        if b.end_min - b.start_min < minutes:
            why = f"is shorter than the {minutes} minutes due"
        elif b.start_min < lo or b.end_min > hi:
            why = f"is outside the refreshment window {_hhmm(lo)}-{_hhmm(hi)}"
        else:
            located = [(r, people[r.offender_id]) for r in seq if r.offender_id in people]
            why = _break_clear(b, o, located, drive)
        if why:
            out.append(Violation("refreshment", f"{span} {why}", officer_id=oid, line=b.line))
    if missing_file:
        out.append(Violation("refreshment", "breaks.csv is missing; refreshment breaks are due"))
    return out


def _completed_dates(dataset: Dataset) -> defaultdict[str, list[date]]:
    out: defaultdict[str, list[date]] = defaultdict(list)
    for v in dataset.visits:
        if v.outcome is Outcome.completed:
            out[v.offender_id].append(v.date)
    return out


def _owed_count(person: Offender, owed: _Owed, start: date, end: date, duty: set[date]) -> int:
    """Visits owed by `end` if each is made on its due date, or when it cannot be made that
    day (before its earliest date, the person unavailable, no officer on duty) on the first
    day after that it can; the next falls due an interval after that day."""
    if owed.due > end:
        return 0

    def made_on(day: date) -> date | None:
        while day <= end:
            if day in duty and not _unavailable(person, day):
                return day
            day += timedelta(days=1)
        return None

    n = 1
    made = made_on(max(owed.due, owed.earliest))
    while made is not None and n < 400:
        due = made + timedelta(days=owed.interval_days)
        if due > end:
            break
        n += 1
        made = made_on(due)
    return n


def _check_demand(
    rows: list[RosterRow],
    unscheduled: list[UnscheduledRow],
    people: dict[str, Offender],
    dataset: Dataset,
    start: date,
    end: date,
    hols: set[date],
) -> list[Violation]:
    """Due dates, earliest dates, lateness, and that every owed visit is planned or listed."""
    out: list[Violation] = []
    by_person: dict[str, list[RosterRow]] = defaultdict(list)
    for r in rows:
        by_person[r.offender_id].append(r)
    completed = _completed_dates(dataset)
    duty = {
        start + timedelta(days=i)
        for i in range((end - start).days + 1)
        if any(
            _not_working(o, start + timedelta(days=i), dataset, hols) is None
            for o in dataset.officers
        )
    }
    unsched_by_person: dict[str, list[UnscheduledRow]] = defaultdict(list)
    for u in unscheduled:
        unsched_by_person[u.offender_id].append(u)

    for pid in sorted(set(people) | set(unsched_by_person)):
        person = people.get(pid)
        listed = unsched_by_person.get(pid, [])
        if person is None:
            for u in listed:
                out.append(
                    Violation(
                        "not_owed",
                        "unscheduled row for a person not in offenders.csv",
                        offender_id=pid,
                        line=u.line,
                    )
                )
            continue
        if person.status is not Status.active:
            for u in listed:
                out.append(
                    Violation(
                        "not_owed",
                        f"listed as unscheduled, but the person's status is {person.status.value}",
                        offender_id=pid,
                        line=u.line,
                    )
                )
            continue
        owed = first_owed(person, dataset, start, completed[pid])
        half = timedelta(days=math.ceil(owed.interval_days / 2))
        planned = sorted(by_person.get(pid, []), key=lambda r: (r.date, r.start_min))
        prev: date | None = None
        planned_dues: set[date] = set()
        for r in planned:
            if prev is None:
                due, earliest = owed.due, owed.earliest
            else:
                due = prev + timedelta(days=owed.interval_days)
                earliest = max(due - timedelta(days=owed.window_days), prev + half)
            planned_dues.add(due)
            if r.due_date != due:
                out.append(
                    Violation(
                        "due_date",
                        f"due_date {r.due_date}; the inputs give {due}",
                        r.visit_id,
                        pid,
                        line=r.line,
                    )
                )
            if r.date < earliest:
                out.append(
                    Violation(
                        "earliest",
                        f"made on {r.date}, before the earliest allowed date {earliest}",
                        r.visit_id,
                        pid,
                        line=r.line,
                    )
                )
            late = max(0, (r.date - r.due_date).days)
            if r.days_late != late:
                out.append(
                    Violation(
                        "days_late",
                        f"days_late {r.days_late}; {r.date} against due {r.due_date} gives {late}",
                        r.visit_id,
                        pid,
                        line=r.line,
                    )
                )
            if r.pulled_forward != (due > end):
                out.append(
                    Violation(
                        "pulled_forward",
                        f"pulled_forward is {str(r.pulled_forward).lower()} but the visit is due {due}, {'after' if due > end else 'inside'} the plan",
                        r.visit_id,
                        pid,
                        line=r.line,
                    )
                )
            prev = r.date
        # the next visit after the last planned one (or the first, if none was planned)
        next_due = owed.due if prev is None else prev + timedelta(days=owed.interval_days)
        # the one count: visits owed if each is made on its due date (or the first day after
        # it that it can be); the plan holds each or lists it, even one a late visit pushed out
        k = _owed_count(person, owed, start, end, duty)
        m = sum(1 for r in planned if not r.pulled_forward)
        matched = False
        for u in sorted(listed, key=lambda u: u.due_date):
            if u.risk_level != person.risk_level.value:
                out.append(
                    Violation(
                        "risk_level",
                        f"unscheduled risk level {shown(u.risk_level)} differs from the input ({person.risk_level.value})",
                        offender_id=pid,
                        line=u.line,
                    )
                )
            if u.due_date > end:
                out.append(
                    Violation(
                        "not_owed",
                        f"listed as unscheduled with due {u.due_date}, after the plan ends {end}",
                        offender_id=pid,
                        line=u.line,
                    )
                )
            if u.due_date == next_due:
                matched = True
            if not u.reason.strip():
                out.append(
                    Violation(
                        "not_owed", "unscheduled row has no reason", offender_id=pid, line=u.line
                    )
                )
        if m + len(listed) > k:
            rule = "both" if m >= k else "not_owed"
            out.append(
                Violation(
                    rule,
                    f"{len(listed)} unscheduled row(s), but the person owes {k} visit(s) by {end} "
                    f"and roster.csv holds {m}",
                    offender_id=pid,
                    line=listed[0].line if listed else None,
                )
            )
        elif m + len(listed) < k:
            out.append(
                Violation(
                    "missing",
                    f"{k} visit(s) owed by {end} (first due {owed.due}); roster.csv holds {m} and "
                    f"unscheduled.csv {len(listed)}: {k - m - len(listed)} in neither",
                    offender_id=pid,
                )
            )
        elif k > m and next_due <= end and not matched:
            out.append(
                Violation(
                    "missing",
                    f"a visit due {next_due} is owed but neither in roster.csv nor in "
                    "unscheduled.csv (a row deleted by hand? list it in unscheduled.csv with "
                    "the reason, or re-plan with `rso replan`)",
                    offender_id=pid,
                )
            )
    return out


def roster_totals(
    files: RosterFiles,
    people: dict[str, Offender],
    officers: dict[str, Officer],
    policy: Policy,
    travel: Any = None,
) -> dict[str, Any]:
    """The summary totals as the roster rows give them (travel by the contract's formula, or
    the run's road/matrix model: `travel`, as in `check_plan`)."""
    drive = travel if isinstance(travel, _Drive) else _Drive(policy, travel)
    rows = files.visits
    late = sum(1 for r in rows if (r.date - r.due_date).days > 0)
    on_time = sum(1 for r in rows if (r.date - r.due_date).days <= 0 and not r.pulled_forward)
    travel_min = 0
    travel_km = 0.0
    for (oid, _day), seq in _officer_days(rows).items():
        o = officers.get(oid)
        if o is None:
            continue
        points = [_base(o)]
        points += [_home(people[r.offender_id]) for r in seq if r.offender_id in people]
        points.append(_base(o))
        for a, b in zip(points, points[1:], strict=False):
            travel_min += drive.minutes(a, b)
            travel_km += drive.km(a, b)
    return {
        "plan_start": files.plan_start.isoformat(),
        "plan_end": files.plan_end.isoformat(),
        "visits_planned": len(rows),
        "visits_due": sum(1 for r in rows if not r.pulled_forward) + len(files.unscheduled),
        "on_time": on_time,
        "late": late,
        "unscheduled": len(files.unscheduled),
        "travel_minutes": travel_min,
        "travel_km": travel_km,
    }


def _check_late_reasons(files: RosterFiles) -> list[Violation]:
    """The contract: roster.csv's late_reason is never blank for a late visit."""
    return [
        Violation(
            "late_reason",
            "a late visit with no late_reason",
            r.visit_id,
            r.offender_id,
            None,
            r.line,
        )
        for r in files.visits
        if (r.date - r.due_date).days > 0 and not r.late_reason.strip()
    ]


def _late_split(files: RosterFiles, policy: Policy) -> dict[str, int]:
    """Late days as the rows give them, split at the plan's first day: inherited (the days a
    visit was overdue before it) and added, unweighted and by the policy's risk weights (the
    checker's own copy of `roster.lateness`)."""
    out = dict.fromkeys(("late_days", "late_days_inherited", "rw", "rw_inherited"), 0)
    for r in files.visits:
        late = (r.date - r.due_date).days
        if late <= 0:
            continue
        before = min(late, max(0, (files.plan_start - r.due_date).days))
        rp = policy.risk.get(r.risk_level)
        weight = rp.weight if rp is not None else 0
        out["late_days"] += late
        out["late_days_inherited"] += before
        out["rw"] += weight * late
        out["rw_inherited"] += weight * before
    return {
        "late_days": out["late_days"],
        "late_days_inherited": out["late_days_inherited"],
        "late_days_added": out["late_days"] - out["late_days_inherited"],
        "risk_weighted_late_days": out["rw"],
        "risk_weighted_late_days_inherited": out["rw_inherited"],
        "risk_weighted_late_days_added": out["rw"] - out["rw_inherited"],
    }


def _check_summary(
    files: RosterFiles,
    people: dict[str, Offender],
    officers: dict[str, Officer],
    policy: Policy,
    drive: _Drive,
) -> list[Violation]:
    """summary.json counts recomputed from the files."""
    s = files.summary
    expected = roster_totals(files, people, officers, policy, drive)
    expected.update(_late_split(files, policy))
    travel_km = expected.pop("travel_km")
    out: list[Violation] = []
    for key, want in expected.items():
        got = s.get(key)
        if got is None:
            out.append(Violation("summary", f"summary.json has no {key}"))
        elif str(got) != str(want):
            out.append(Violation("summary", f"summary.json {key} is {got}; the files give {want}"))
    got_km = s.get("travel_km")
    if not isinstance(got_km, int | float):
        out.append(Violation("summary", "summary.json has no numeric travel_km"))
    elif abs(got_km - travel_km) > 0.1 + 1e-6 * travel_km:
        out.append(
            Violation(
                "summary", f"summary.json travel_km is {got_km}; the files give {travel_km:.1f}"
            )
        )
    return out


def _check_inputs(files: RosterFiles, dataset: Dataset) -> list[Violation]:
    """The data folder must be the one the plan was made from (same file hashes)."""
    planned_with = files.run.get("input_files") or files.summary.get("input_files") or {}
    now = dataset.file_hashes()
    if not planned_with or not now:
        return []
    out = []
    for name in sorted(set(planned_with) | set(now)):
        if planned_with.get(name) != now.get(name):
            state = (
                "is new"
                if name not in planned_with
                else "is gone"
                if name not in now
                else "has changed"
            )
            out.append(Violation("inputs_changed", f"{name} {state} since the plan was made"))
    return out


def _check_travel_source(files: RosterFiles, travel: Any) -> list[Violation]:
    """The road extract or travel table must be the one the plan was timed with."""
    planned = (files.run.get("travel") or files.summary.get("travel") or {}).get("source_sha256")
    now = travel.record().get("source_sha256") if travel is not None else None
    if planned and now and planned != now:
        name = travel.record().get("network") or travel.record().get("file")
        return [Violation("inputs_changed", f"{name} has changed since the plan was made")]
    return []


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
