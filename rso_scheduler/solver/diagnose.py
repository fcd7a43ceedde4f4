"""Why an owed visit is not in the roster: a specific, plain-English reason per visit.

The reason is found by narrowing down the officer-days that could have made the visit, from the
person's own availability to skills, area, window and crew size; only when some crew could
have made the visit is the cause given as capacity. Reasons never contain coordinates.
"""

from __future__ import annotations

from datetime import date

from rso_scheduler.models import Officer
from rso_scheduler.roster import hhmm
from rso_scheduler.solver.problem import Problem


def _span(prob: Problem, lo: int) -> str:
    first = prob.day(max(lo, 0))
    return f"between {first.isoformat()} and {prob.end.isoformat()}"


def _covers(o: Officer, ws: int, we: int, duration_min: int) -> bool:
    """The officer's shift has room for the visit inside the window (travel aside)."""
    return max(o.shift_start_min, ws) + duration_min <= min(o.shift_end_min, we)


def unscheduled_reason(prob: Problem, person: int, lo: int, holidays_off: dict[date, str]) -> str:
    """A specific reason why the person's next owed visit (earliest day `lo`) is unplanned."""
    r = prob.reqs[person]
    lo = max(lo, 0)
    span = _span(prob, lo)
    if lo >= prob.n_days:
        return "the minimum gap after the previous visit ends after the plan"
    days = [d for d in range(lo, prob.n_days) if r.available_on(prob.day(d))]
    if not days:
        return f"person unavailable for the whole period {span}"
    officer_days: list[tuple[int, Officer]] = []
    for d in days:
        seen: set[str] = set()
        for crew in prob.crews_by_day[d].values():
            for o in crew.officers:
                if o.officer_id not in seen:
                    seen.add(o.officer_id)
                    officer_days.append((d, o))
    if not officer_days:
        return f"no officer works on any day the person is available {span}"
    need = 2 if r.two_officers else 1
    for skill in sorted(r.skills):
        if not any(skill in o.skills for _, o in officer_days):
            return f"no officer with skill {skill} works {span}"
    pool = officer_days
    if prob.area_mode == "strict" and r.area is not None:
        pool = [(d, o) for d, o in officer_days if o.area == r.area]
        if not pool:
            return f"strict area: no officer of area {r.area} works {span}"
        if need == 2 and not _two_same_day(pool):
            return f"strict area: never two officers of area {r.area} on the same day {span}"
    if r.window_start_min is not None and r.window_end_min is not None:
        ws, we = r.window_start_min, r.window_end_min
        window = f"{hhmm(ws)}-{hhmm(we)}"
        if we - ws < r.duration_min:
            return f"window {window} is shorter than the {r.duration_min}-minute visit"
        covering = [(d, o) for d, o in pool if _covers(o, ws, we, r.duration_min)]
        if not covering:
            return f"window {window} is covered by no shift {span}"
        if need == 2 and not _two_same_day(covering):
            return f"window {window} is covered by the shift of only one officer on any day (two needed)"
    if need == 2 and not _two_same_day(pool):
        return f"needs two officers but no two eligible officers work the same day {span}"
    eligible_crews = 0
    for d in days:
        for comp, crew in prob.crews_by_day[d].items():
            del crew
            if prob.static_eligibility(person, comp) is not None:
                eligible_crews += 1
    if eligible_crews == 0:
        what = ["two officers"] if need == 2 else []
        if r.skills:
            what.append("skills " + ";".join(sorted(r.skills)))
        if r.window_start_min is not None and r.window_end_min is not None:
            what.append(f"window {hhmm(r.window_start_min)}-{hhmm(r.window_end_min)} reachable")
        if prob.area_mode == "strict" and r.area is not None:
            what.append(f"area {r.area}")
        need_text = ", ".join(what) if what else "the visit's needs"
        return f"no crew formed on any day has {need_text} {span}"
    return f"capacity: all {eligible_crews} eligible crew-days full {span}"


def _two_same_day(pool: list[tuple[int, Officer]]) -> bool:
    count: dict[int, int] = {}
    for d, _o in pool:
        count[d] = count.get(d, 0) + 1
        if count[d] >= 2:
            return True
    return False
