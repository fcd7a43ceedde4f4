"""Why an owed visit is not in the roster, or is late: a specific, plain-English reason.

The reason is the rule (`rso_scheduler.rules`) that stops the visit on the days it could
otherwise be made, found by narrowing down from the person's own earliest date and availability
to the officers on duty, skills, area, window and crew size; only when some crew could have
made the visit is the cause given as capacity. Both planners use these functions, so a reason
reads the same whichever made the roster. Reasons never contain coordinates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta

from rso_scheduler.demand import Requirement
from rso_scheduler.models import Officer
from rso_scheduler.roster import PlannedVisit, Unscheduled
from rso_scheduler.rules import (
    crew_area,
    crew_skills,
    last_owed_floor,
    not_before,
    officer_shift_holds,
    person_available,
)


def _span(lo: date, hi: date) -> str:
    if lo == hi:
        return f"on {lo.isoformat()}"
    return f"between {lo.isoformat()} and {hi.isoformat()}"


def blocking_reason(
    req: Requirement,
    lo: date,
    hi: date,
    on_duty: Callable[[date], Sequence[Officer]],
    area_mode: str,
    eligible_crews_on: Callable[[date], int] | None = None,
) -> str | None:
    """The rule that stops the visit on every day of [lo, hi], or None if some day has an
    eligible crew (then the cause, if any, is capacity or a planning choice).

    `on_duty(day)` gives the officers on duty; `eligible_crews_on(day)`, where the planner
    forms crews before assigning visits, how many of that day's crews could make the visit.
    """
    if lo > hi:
        return None
    span = _span(lo, hi)
    days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    open_days = [d for d in days if person_available(req, d) is None]
    if not open_days:
        return person_available(req, lo) or f"person unavailable {span}"
    officer_days = [(d, o) for d in open_days for o in on_duty(d)]
    if not officer_days:
        return f"no officer on duty on any day the person is available {span}"
    need = 2 if req.two_officers else 1
    no_skill = crew_skills(req, [o for _, o in officer_days])  # no crew of them could hold it
    if no_skill:
        return f"{no_skill} on duty {span}"
    pool = [(d, o) for d, o in officer_days if crew_area(req, (o,), area_mode) is None]
    if not pool:
        return f"strict area: no officer of area {req.area} on duty {span}"
    if need == 2 and not _two_same_day(pool):
        if area_mode == "strict" and req.area is not None:
            return f"strict area: never two officers of area {req.area} on duty the same day {span}"
        return f"needs two officers but never two on duty the same day {span}"
    covering = [(d, o) for d, o in pool if officer_shift_holds(o, req) is None]
    if not covering:
        return officer_shift_holds(pool[0][1], req) or f"no shift holds the visit {span}"
    if need == 2 and not _two_same_day(covering):
        return "the window is covered by the shift of only one officer on any day (two needed)"
    if eligible_crews_on is not None and not any(eligible_crews_on(d) for d in open_days):
        what = ["two officers"] if need == 2 else []
        if req.skills:
            what.append("skills " + ";".join(sorted(req.skills)))
        if req.window_start_min is not None and req.window_end_min is not None:
            what.append("the window reachable with travel")
        if area_mode == "strict" and req.area is not None:
            what.append(f"area {req.area}")
        need_text = ", ".join(what) if what else "the visit's needs"
        return f"no crew formed on any day has {need_text} {span}"
    return None


def _two_same_day(pool: list[tuple[date, Officer]]) -> bool:
    count: dict[date, int] = {}
    for d, _o in pool:
        count[d] = count.get(d, 0) + 1
        if count[d] >= 2:
            return True
    return False


def unscheduled_reason(
    req: Requirement,
    lo: date,
    earliest_why: str,
    start: date,
    end: date,
    on_duty: Callable[[date], Sequence[Officer]],
    area_mode: str,
    eligible_crews_on: Callable[[date], int] | None = None,
    full_because: Callable[[date, date], str | None] | None = None,
) -> str:
    """Why a visit whose earliest date is `lo` (set by `earliest_why`) is not planned by `end`.

    `full_because(first, last)`: where the planner can bound its crews' room, why the eligible
    crew-days of those days cannot hold the visit (None: not shown; the reason then says the
    planner could not fit it rather than "capacity")."""
    first = max(lo, start)
    if first > end:
        return not_before(end + timedelta(days=1), lo, earliest_why) or "not possible in the plan"
    held_back = ""
    if lo > start and earliest_why:
        held_back = "; " + (not_before(start, lo, earliest_why) or "")
    why = blocking_reason(req, first, end, on_duty, area_mode, eligible_crews_on)
    if why is not None:
        return why + held_back
    if eligible_crews_on is not None:
        n = sum(eligible_crews_on(d) for d in _days(first, end) if req.available_on(d))
        if full_because is not None:
            # "capacity" asks for more officers: said only where a bound shows no room
            proof = full_because(first, end)
            if proof is None:
                return (
                    f"the planner could not fit it into the {n} eligible crew-days "
                    f"{_span(first, end)} (not shown to be full)" + held_back
                )
            return f"capacity: all {n} eligible crew-days full {_span(first, end)} ({proof})" + (
                held_back
            )
        return f"capacity: all {n} eligible crew-days full {_span(first, end)}" + held_back
    return f"capacity: all eligible officers full {_span(first, end)}" + held_back


BACKLOG = "overdue when the plan began"  # a window of a long plan names its own first day


def with_late_reasons(
    visits: Sequence[PlannedVisit],
    reqs: Mapping[str, Requirement],
    start: date,
    end: date,
    on_duty: Callable[[date], Sequence[Officer]],
    area_mode: str,
    owed_of: Callable[[str], int],
    room_for: Callable[[str], Callable[[date], int] | None] | None = None,
    eligible_for: Callable[[str], Callable[[date], int] | None] | None = None,
) -> list[PlannedVisit]:
    """Each late visit with its `late_reason` (never blank), in the order given: the one place
    both planners and re-plan give reasons. A person's earliest date for each visit follows
    the previous visit planned, and the last owed visit keeps the floor the planners keep
    (`rules.last_owed_floor`). `room_for`/`eligible_for` (by offender id), where the planner
    knows its crews, let a reason name a planner's choice or the crews formed."""
    by_person: dict[str, list[PlannedVisit]] = {}
    for v in visits:
        by_person.setdefault(v.offender_id, []).append(v)
    out: dict[str, PlannedVisit] = {}
    for oid, mine in by_person.items():
        r = reqs[oid]
        owed = owed_of(oid)
        prev: date | None = None
        for i, v in enumerate(sorted(mine, key=lambda x: x.date)):
            lo, why = (
                (r.first_earliest, r.earliest_why) if prev is None else r.next_earliest_why(prev)
            )
            if i == owed - 1 and not v.pulled_forward:
                floor, floor_why = last_owed_floor(r, end, owed)
                if floor > lo:
                    lo, why = floor, floor_why
            prev = v.date
            if v.days_late > 0:
                text = late_reason(
                    r,
                    lo,
                    why,
                    v.due_date,
                    v.date,
                    start,
                    on_duty,
                    area_mode,
                    room_for(oid) if room_for is not None else None,
                    eligible_for(oid) if eligible_for is not None else None,
                )
                v = replace(v, late_reason=text)
            out[v.visit_id] = v
    return [out[v.visit_id] for v in visits]


def late_reason(
    req: Requirement,
    lo: date,
    earliest_why: str,
    due: date,
    made: date,
    start: date,
    on_duty: Callable[[date], Sequence[Officer]],
    area_mode: str,
    room_on: Callable[[date], int] | None,
    eligible_crews_on: Callable[[date], int] | None = None,
) -> str:
    """Why a visit due `due` is made on `made`, later; "" only when it is not late.

    A visit already overdue on the plan's first day says so first ("already N days overdue
    when the plan began"); the days the plan added after that are put down to the rule that
    stops the visit on every day from the first it could be on time, a full roster, or (where
    crew-days with room existed) the planner's choice.
    """
    if made <= due:
        return ""
    inherited = max(0, (start - due).days)
    backlog = (
        f"already {inherited} day{'s' if inherited != 1 else ''} {BACKLOG}" if inherited else ""
    )
    if made <= start:
        return backlog
    added = (made - max(due, start)).days
    why = ""
    first = max(due, start)
    if lo > first:
        if lo >= made:
            why = not_before(first, lo, earliest_why) or f"not allowed before {lo.isoformat()}"
        first = lo
    last = made - timedelta(days=1)
    if not why:
        why = blocking_reason(req, first, last, on_duty, area_mode, eligible_crews_on) or ""
    if not why and room_on is not None:
        free = sum(room_on(d) for d in _days(first, last) if req.available_on(d))
        if free:
            why = (
                f"planner's choice: {free} eligible crew-day{'s' if free != 1 else ''} "
                f"{_span(first, last)} had room (planned later for travel or more serious visits)"
            )
    why = why or f"every eligible crew-day {_span(first, last)} full"
    if not backlog:
        return why
    return f"{backlog}; then {added} more day{'s' if added != 1 else ''}: {why}"


def _days(lo: date, hi: date) -> list[date]:
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]


def unplanned_owed(
    req: Requirement,
    planned: Sequence[date],
    owed_dues: Sequence[date],
    end: date,
    reason_for: Callable[[date, str], str],
) -> list[Unscheduled]:
    """The person's owed visits (the one count, `owed_dues`) that the plan does not hold.

    `planned` are the dates of the person's owed visits in the roster, in order. The first one
    missing is due by the contract's rule (an interval after the last planned visit); if a late
    visit before it pushed that due date past the end, it is still listed (it was owed), with
    that as the reason. `reason_for(earliest, why)` diagnoses a visit that could fall in the plan.
    """
    out: list[Unscheduled] = []
    k, m = len(owed_dues), len(planned)
    for j in range(m, k):
        if j == m:
            if m == 0:
                due, lo, why = req.first_due, req.first_earliest, req.earliest_why
            else:
                prev = planned[-1]
                due = req.next_due(prev)
                lo, why = req.next_earliest_why(prev)
            if j == k - 1:
                floor, floor_why = last_owed_floor(req, end, k)
                if floor > lo:
                    lo, why = floor, floor_why
            if due > end:
                late = (prev - owed_dues[m - 1]).days if m else 0
                due = owed_dues[j]
                text = (
                    f"the visit before it is planned on {prev.isoformat()}"
                    + (f" ({late} days after its due date)" if late > 0 else "")
                    + f", which moves this visit's due date to {req.next_due(prev).isoformat()}, "
                    "after the plan"
                )
            else:
                text = reason_for(lo, why)
            first_missing_due = due
        else:
            due = owed_dues[j]
            text = f"follows the unplanned visit due {first_missing_due.isoformat()}"
        out.append(Unscheduled(req.offender_id, req.risk_level, due, text))
    return out
