"""Why an owed visit is not in the roster, or is late: a specific, plain-English reason.

The reason is the rule (`rso_scheduler.rules`) that stops the visit on the days it could
otherwise be made, found by narrowing down from the person's own earliest date and availability
to the officers on duty, skills, area, window and crew size; only when some crew could have
made the visit is the cause given as capacity. Both planners use these functions, so a reason
reads the same whichever made the roster. Reasons never contain coordinates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from rso_scheduler.demand import Requirement
from rso_scheduler.models import Officer
from rso_scheduler.roster import Unscheduled
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
    """Why a visit due `due` is made on `made`, later: the rule that stops it on every day from
    the first it could be on time, or a full roster, or (where crew-days with room existed) the
    planner's choice. "" when the visit is not late."""
    if made <= due:
        return ""
    first = max(due, start)
    if lo > first:
        why = not_before(first, lo, earliest_why)
        if lo >= made and why:
            return why
        first = lo
    last = made - timedelta(days=1)
    if first > last:
        return ""
    block = blocking_reason(req, first, last, on_duty, area_mode, eligible_crews_on)
    if block is not None:
        return block
    if room_on is not None:
        free = sum(room_on(d) for d in _days(first, last) if req.available_on(d))
        if free:
            return (
                f"planner's choice: {free} eligible crew-day{'s' if free != 1 else ''} "
                f"{_span(first, last)} had room (planned later for travel or more serious visits)"
            )
    return f"every eligible crew-day {_span(first, last)} full"


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
