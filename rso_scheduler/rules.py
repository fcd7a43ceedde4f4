"""The hard rules of a visit: one named function per rule, each returning None or a reason.

This is the planner's one home for "may this crew make this visit on this day". Candidate
generation, the greedy planner, officer exchanges, the diagnosis of unscheduled and late visits
and the scenarios' first possible day all call these functions; adding a rule means one
function here plus its counterpart in the independent checker (`check.py`, which keeps its own
code on purpose). A reason is plain English a supervisor understands and never holds
coordinates.

Rules about the person: `person_status`, `person_available`, `not_before` (the earliest date).
Rules about an officer: `officer_on_duty`, `officer_shift_holds`.
Rules about a crew: `crew_size`, `crew_skills`, `crew_area`, `crews_share_shift`,
`crew_max_visits`, `crew_shift_holds`, and `crew_can_make` (all static crew rules in order).
Rules about an officer's day: `refreshment_minutes` and `refreshment_break` (the break an
officer-day needs: its effect on a crew's timeline, which the timing engine `solver/routing.py`
keeps), `break_kept` (a planned break is lawful).
`HARD_RULES` lists every rule by name with its effect on a crew's timeline, if it has one.
Timing with travel (`window_reachable`) needs the travel model, so it takes a timing function;
a fixed start (a re-plan's pinned visit) is checked against the person's part of the day by
`start_in_window`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rso_scheduler.calendar import is_absent
from rso_scheduler.models import Absence, Officer, Status
from rso_scheduler.policy import POLICE_REFRESHMENT, REFRESHMENT_FROM_MIN, ShiftsPolicy

if TYPE_CHECKING:  # demand builds on the duty calendar, which builds on these rules
    from rso_scheduler.demand import Requirement

DAY_MIN = 24 * 60
# Two officers form a crew only when their shifts share this long: an early (07:00-15:00) and
# a late (14:00-22:00) shift share one hour, no working day for a crew (see docs/DESIGN.md).
MIN_SHARED_SHIFT_MIN = 180
AREA_MODES = ("strict", "prefer", "ignore")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day(d: date) -> str:
    return d.isoformat()


# --- the person ------------------------------------------------------------------------------


def person_status(status: Status) -> str | None:
    """Only people under active management get planned home visits."""
    if status is Status.active:
        return None
    if status is Status.reactive:
        return "reactive management: no planned home visits"
    return f"status is {status.value}: no visits while in that state"


def person_available(req: Requirement, day: date) -> str | None:
    """The person is not unavailable on the day (notified travel and the like)."""
    if req.available_on(day):
        return None
    lo, hi = req.unavailable_from, req.unavailable_to
    if lo is not None and hi is not None:
        return f"person unavailable from {_day(lo)} to {_day(hi)}"
    if lo is not None:
        return f"person unavailable from {_day(lo)}"
    assert hi is not None
    return f"person unavailable until {_day(hi)}"


def not_before(day: date, earliest: date, why: str) -> str | None:
    """A visit is not made before its earliest date (`why` says what sets that date)."""
    if day >= earliest:
        return None
    because = f" ({why})" if why else ""
    return f"next visit not allowed before {_day(earliest)}{because}"


# --- one officer -----------------------------------------------------------------------------


def officer_on_duty(
    officer: Officer,
    day: date,
    absences: dict[str, list[Absence]],
    holidays_off: dict[date, str] | set[date] | frozenset[date],
) -> str | None:
    """The officer works that day: a working day, not a bank holiday, not absent, visits allowed."""
    if day.weekday() not in officer.working_days:
        return f"officer {officer.officer_id} does not work on {day.strftime('%A')}s"
    if day in holidays_off:
        return f"{_day(day)} is a bank holiday"
    if officer.max_visits_per_day == 0:
        return f"officer {officer.officer_id} makes no visits (max_visits_per_day is 0)"
    a = is_absent(officer.officer_id, day, absences)
    if a is not None:
        return f"officer {officer.officer_id} absent ({a.reason or 'absence'}) on {_day(day)}"
    return None


def officer_shift_holds(officer: Officer, req: Requirement) -> str | None:
    """The officer's shift leaves room for the visit inside the person's window (travel aside)."""
    lo, hi = officer.shift_start_min, officer.shift_end_min
    ws, we = req.window_start_min, req.window_end_min
    if ws is not None and we is not None:
        if we - ws < req.duration_min:
            return f"window {_hhmm(ws)}-{_hhmm(we)} is shorter than the {req.duration_min}-minute visit"
        lo, hi = max(lo, ws), min(hi, we)
        if hi - lo < req.duration_min:
            return (
                f"window {_hhmm(ws)}-{_hhmm(we)} is not covered by the shift "
                f"{_hhmm(officer.shift_start_min)}-{_hhmm(officer.shift_end_min)}"
            )
    elif hi - lo < req.duration_min:
        return f"the shift is shorter than the {req.duration_min}-minute visit"
    return None


# --- a crew ----------------------------------------------------------------------------------


def crew_size(req: Requirement, officers: Sequence[Officer]) -> str | None:
    """Two officers attend where the policy or the person's record says so (no lone visits)."""
    if req.two_officers and len({o.officer_id for o in officers}) < 2:
        return "needs two officers"
    if not officers:
        return "no officer"
    return None


def crew_skills(req: Requirement, officers: Sequence[Officer]) -> str | None:
    """Every skill the visit needs is held by at least one officer on it."""
    held: set[str] = set()
    for o in officers:
        held |= o.skills
    missing = sorted(req.skills - held)
    if missing:
        return f"no officer with skill {';'.join(missing)}"
    return None


def crew_area(req: Requirement, officers: Sequence[Officer], mode: str) -> str | None:
    """Under strict areas, every officer belongs to the person's area (a person with no area
    is not constrained, in every mode)."""
    if mode != "strict" or req.area is None:
        return None
    other = sorted({o.officer_id for o in officers if o.area != req.area})
    if other:
        return f"strict area: officer {', '.join(other)} is not of area {req.area}"
    return None


def area_mismatches(req: Requirement, officers: Sequence[Officer], mode: str) -> int:
    """Officers from another area than the person's (the `prefer` mode's soft cost)."""
    if mode == "ignore" or req.area is None:
        return 0
    return sum(1 for o in officers if o.area != req.area)


def shared_hours(
    officers: Sequence[Officer], part: tuple[int, int] | None = None
) -> tuple[int, int]:
    """(start, end) minutes a crew can work: its officers' shifts intersected, and with the
    part of the day it covers (a split crew, `part`: None for the whole shared shift)."""
    lo = max(o.shift_start_min for o in officers)
    hi = min(o.shift_end_min for o in officers)
    if part is not None:
        lo, hi = max(lo, part[0]), min(hi, part[1])
    return lo, hi


def crews_share_shift(a: Officer, b: Officer, part: tuple[int, int] | None = None) -> str | None:
    """Two officers can work as a crew when their shifts share enough hours for a few visits
    (inside `part` for a crew that covers only a part of the day)."""
    lo, hi = shared_hours((a, b), part)
    shared = hi - lo
    if shared >= MIN_SHARED_SHIFT_MIN:
        return None
    within = "" if part is None else f" between {_hhmm(part[0])} and {_hhmm(part[1])}"
    return (
        f"shifts of officers {a.officer_id} and {b.officer_id} share "
        f"{max(0, shared)} minutes{within} (a crew needs {MIN_SHARED_SHIFT_MIN})"
    )


def crew_visit_cap(officers: Sequence[Officer]) -> int | None:
    """The most visits a crew makes in a day: its officers' lowest `max_visits_per_day`
    (None: no cap). The assignment model's constraint and `crew_max_visits` both use it."""
    caps = [o.max_visits_per_day for o in officers if o.max_visits_per_day is not None]
    return min(caps) if caps else None


def crew_max_visits(officers: Sequence[Officer], visits_already: int) -> str | None:
    """No officer makes more visits in a day than their `max_visits_per_day`."""
    cap = crew_visit_cap(officers)
    if cap is not None and visits_already >= cap:
        return f"crew full: {cap} visits a day at most"
    return None


def crew_shift_holds(
    req: Requirement, officers: Sequence[Officer], part: tuple[int, int] | None = None
) -> str | None:
    """The crew's shared shift (inside its part of the day, if split) leaves room for the visit
    inside the person's window."""
    for o in officers:
        why = officer_shift_holds(o, req)
        if why:
            return why
    if len(officers) > 1 or part is not None:
        lo, hi = shared_hours(officers, part)
        if req.window_start_min is not None and req.window_end_min is not None:
            lo, hi = max(lo, req.window_start_min), min(hi, req.window_end_min)
        if hi - lo < req.duration_min:
            if part is not None:
                return (
                    f"the crew's part of the day ({_hhmm(part[0])}-{_hhmm(part[1])}) does not "
                    "hold the visit in its window"
                )
            return "the officers' shared shift hours do not hold the visit in its window"
    return None


def crew_can_make(
    req: Requirement,
    officers: Sequence[Officer],
    mode: str,
    part: tuple[int, int] | None = None,
) -> str | None:
    """Every static crew rule, in order (size, skills, area, shift and window); None if all pass."""
    return (
        crew_size(req, officers)
        or crew_skills(req, officers)
        or crew_area(req, officers, mode)
        or crew_shift_holds(req, officers, part)
    )


# --- an officer's day: the refreshment break ----------------------------------------------


@dataclass(frozen=True)
class Refreshment:
    """One officer's refreshment break on a day: `minutes` long, inside [earliest, latest]."""

    officer_id: str
    minutes: int
    earliest_min: int  # the break starts no sooner
    latest_min: int  # and ends no later


def refreshment_minutes(officer: Officer, shifts: ShiftsPolicy) -> int:
    """The break an officer's tour earns (0: none). Tours under 5 hours have none; otherwise
    the officer's own `refreshment_minutes`, else the policy's minutes, else Police
    Regulations Annex E by length of tour."""
    tour = officer.shift_end_min - officer.shift_start_min
    if shifts.refreshment == "none" or tour < REFRESHMENT_FROM_MIN:
        return 0
    if officer.refreshment_minutes is not None:
        return officer.refreshment_minutes
    if isinstance(shifts.refreshment, int):
        return shifts.refreshment
    return next(length for from_min, length in POLICE_REFRESHMENT if tour >= from_min)


def refreshment_break(officer: Officer, shifts: ShiftsPolicy) -> Refreshment | None:
    """The break an officer-day with a visit must hold (None: no break due): its length and
    the refreshment window, hours after the shift starts, inside the shift."""
    minutes = refreshment_minutes(officer, shifts)
    if minutes <= 0:
        return None
    lo_h, hi_h = shifts.refreshment_window
    lo = officer.shift_start_min + 60 * lo_h
    hi = min(officer.shift_start_min + 60 * hi_h, officer.shift_end_min)
    return Refreshment(officer.officer_id, minutes, lo, hi)


def break_kept(need: Refreshment, start_min: int | None, end_min: int | None) -> str | None:
    """A planned break is lawful: there is one, of the length due, inside the window (that it
    overlaps no visit or drive is the timing engine's part: `CrewTimer`)."""
    if start_min is None or end_min is None:
        return f"officer {need.officer_id} has no refreshment break"
    if end_min - start_min < need.minutes:
        return f"officer {need.officer_id}'s break is shorter than {need.minutes} minutes"
    if start_min < need.earliest_min or end_min > need.latest_min:
        return (
            f"officer {need.officer_id}'s break {_hhmm(start_min)}-{_hhmm(end_min)} is outside "
            f"the refreshment window {_hhmm(need.earliest_min)}-{_hhmm(need.latest_min)}"
        )
    return None


def window_reachable(req: Requirement, timing: Callable[[], object | None]) -> str | None:
    """The visit alone fits the crew's day with exact travel from and back to each base.

    `timing` evaluates the one-visit day with the run's travel model and returns None when it
    does not fit (the solver's `CrewTimer.evaluate`).
    """
    if timing() is not None:
        return None
    if req.window_start_min is not None and req.window_end_min is not None:
        w = f"{_hhmm(req.window_start_min)}-{_hhmm(req.window_end_min)}"
        return f"window {w} not reachable inside the shifts with travel from and back to base"
    return "the visit does not fit the shifts with travel from and back to base"


def start_in_window(req: Requirement, start_min: int, duration_min: int) -> str | None:
    """A visit at a fixed start (a pinned visit) begins and ends inside the person's window."""
    lo = req.window_start_min if req.window_start_min is not None else 0
    hi = req.window_end_min if req.window_end_min is not None else DAY_MIN
    if start_min < lo or start_min + duration_min > hi:
        return f"{_hhmm(start_min)} is outside the person's window"
    return None


def pulled_forward_floor(req: Requirement, plan_end: date) -> date:
    """The earliest date of a visit pulled forward (due after the plan): the visit after it
    must not fall due inside the plan."""
    return plan_end - timedelta(days=req.interval_days - 1)


def last_owed_floor(req: Requirement, plan_end: date, owed: int) -> tuple[date, str]:
    """The earliest date of a person's last owed visit (the `owed`-th) in a plan: made earlier,
    one more visit would fall due inside the plan (the owed count would no longer be the one
    count). In a month of a longer plan whose `owed` visits reach what the whole period owes
    (`Requirement.owed_cap`), the floor is from the whole plan's end (`count_end`): the person's
    last visit of the whole plan (none at all without that date)."""
    if req.owed_cap is not None and owed >= req.owed_cap:
        if req.count_end is None:
            return date.min, ""
        plan_end = req.count_end
    floor = pulled_forward_floor(req, plan_end)  # the same arithmetic: no next visit inside
    return floor, "made earlier, one more visit would fall due inside the plan"


def keep_count_deadline(req: Requirement, owed: int) -> date | None:
    """In a month of a longer plan, the latest date of the person's last visit of the month
    (the `owed`-th) that still leaves room, each made on its due date, for every visit the
    whole plan owes after it (`Requirement.owed_cap`, `count_end`). Made later, one of those
    falls after the plan and stops being owed: the deferral would shrink the count, so the
    planner charges it as a miss (issue #11). None outside a long plan, or when the month's
    visits are all the whole plan still owes."""
    if req.owed_cap is None or req.count_end is None or owed >= req.owed_cap:
        return None
    return req.count_end - timedelta(days=(req.owed_cap - owed) * req.interval_days)


@dataclass(frozen=True)
class HardRule:
    """A hard rule: its function (returning a reason or None) and its effect on a crew's
    timeline where it has one (the timing engine, `solver/routing.py`, applies it)."""

    name: str
    check: Callable[..., object]
    timeline: str = ""


# Every hard rule, in the order a planner asks them (Timefold's `define_constraints`). The
# independent checker (`check.py`) keeps its own copy of each on purpose.
HARD_RULES: tuple[HardRule, ...] = (
    HardRule("person_status", person_status),
    HardRule("person_available", person_available),
    HardRule("not_before", not_before),
    HardRule("officer_on_duty", officer_on_duty),
    HardRule("officer_shift_holds", officer_shift_holds, "visits lie inside the shift"),
    HardRule("crew_size", crew_size),
    HardRule("crew_skills", crew_skills),
    HardRule("crew_area", crew_area),
    HardRule("crews_share_shift", crews_share_shift),
    HardRule("crew_max_visits", crew_max_visits),
    HardRule("crew_shift_holds", crew_shift_holds, "each officer leaves base and returns in shift"),
    HardRule("window_reachable", window_reachable, "visits start inside the person's window"),
    HardRule("start_in_window", start_in_window, "a pinned visit starts at its minute"),
    HardRule(
        "refreshment_break",
        break_kept,
        "one pause per officer-day: no visit or drive for the break's minutes, in its window",
    ),
)
