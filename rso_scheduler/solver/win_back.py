"""Stability won back: a plan from scratch moved back towards an issued roster.

`rso replan` plans its period twice (replan.py): from the issued roster (least change first,
frozen.py) and from scratch. A re-plan must never miss more risk-weighted visits than the plan
from scratch, nor be more than `LATE_TOLERANCE_PCT`% later in risk-weighted late days
(`worse_than_fresh`); when the first is, the re-plan starts from the second and `win_back`
moves its visits back to their issued day and crew wherever that adds no miss and keeps the
weighted late days within the tolerance of the plan from scratch: least change comes only
after misses and lateness.

What moves back: a visit on the issued day with other officers (to the issued crew, the
date and so every due date unchanged), and the only visit of a person with one issued visit
(to the issued day, if the due-date rules allow that day: `improve.single_visit_days`; an
owed visit the plan from scratch left out is put back too, one miss fewer). Chained visits on
other days stay (moving one moves the due dates after it). Bounded by the issued visits, each
tried once in a fixed order (least added lateness, pinned first), so it is deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from rso_scheduler.calendar import absences_by_officer
from rso_scheduler.models import Dataset
from rso_scheduler.solver.frozen import check_fixed
from rso_scheduler.solver.improve import single_visit_days
from rso_scheduler.solver.options import FixedVisit
from rso_scheduler.solver.problem import Problem
from rso_scheduler.solver.routing import Stop
from rso_scheduler.solver.state import State
from rso_scheduler.solver.work import WorkBudget

MAX_ROUNDS = 4  # passes over the issued visits not back yet (each stops when none comes back)
LATE_TOLERANCE_PCT = 5  # a re-plan may be this much later than the plan from scratch, no more
# the reason of an issued visit that could not go back (replan.py prefixes what happened)
NO_ROOM = "its issued crew-day had no room for it in the plan from scratch"
TOO_LATE = (
    f"its issued day would add lateness beyond {LATE_TOLERANCE_PCT}% of the plan from scratch"
)
NOT_ALLOWED = "its issued day is not allowed by the due-date rules of the plan from scratch"
CHAINED = "one of several visits of the person in the period (its day moves the due dates after it)"
NO_CREW = "its crew was not formed that day in the plan from scratch"
SOFT_REASONS = (NO_ROOM, TOO_LATE, NOT_ALLOWED, CHAINED, NO_CREW)


def late_cap(fresh_late: int) -> int:
    """The most risk-weighted late days a re-plan may have against a plan from scratch."""
    return fresh_late + fresh_late * LATE_TOLERANCE_PCT // 100


def worse_than_fresh(stable: tuple[int, int], fresh: tuple[int, int]) -> str | None:
    """Why a re-plan's (risk-weighted missed, risk-weighted late days) break the guarantee
    against the plan from scratch's, or None: more misses, or as many and more than the
    tolerance later (fewer misses bought with lateness are better: misses come first)."""
    (s_miss, s_late), (f_miss, f_late) = stable, fresh
    if f_miss < s_miss:
        return (
            f"the plan of the same days from scratch missed fewer visits ({f_miss} vs {s_miss} "
            "risk-weighted)"
        )
    if f_miss == s_miss and s_late > late_cap(f_late):
        return (
            f"the plan of the same days from scratch was less late ({f_late:,} vs {s_late:,} "
            f"risk-weighted late days, more than {LATE_TOLERANCE_PCT}% apart)"
        )
    return None


def figures(prob: Problem, st: State) -> tuple[int, int]:
    """(risk-weighted missed, risk-weighted late days) of the roster as it stands, counted as
    the plan's result counts them (each visit due by the one before it; one miss per owed
    visit not held)."""
    missed = late = 0
    for p, r in enumerate(prob.reqs):
        due = r.first_due
        held = 0
        for d in st.person_days(p):
            day = prob.day(d)
            if due <= prob.end:  # due after the plan: pulled forward, never late
                held += 1
                late += max(0, (day - due).days) * r.weight
            due = r.next_due(day)
        if not r.optional:
            missed += max(0, len(r.owed_dues(prob.end, prob.duty_days)) - held) * r.weight
    return missed, late


def _late(prob: Problem, p: int, d: int) -> int:
    due = (prob.reqs[p].first_due - prob.start).days
    return max(0, d - due) * prob.reqs[p].weight


def win_back(
    prob: Problem,
    st: State,
    issued: Sequence[FixedVisit],
    dataset: Dataset,
    holidays_off: dict[date, str],
    work: WorkBudget,
) -> tuple[dict[tuple[str, date], str], dict[str, int]]:
    """Move the plan's visits back to the issued visits' days and crews where that adds no
    miss and keeps the risk-weighted late days within `late_cap` of the plan's own; the
    visits that are back become the re-plan's kept (pinned: frozen) visits. Returns why each
    issued visit not back is not, keyed by (offender_id, issued date), and the counts."""
    missed, late_fresh = figures(prob, st)
    late_now, cap = late_fresh, late_cap(late_fresh)
    by_officer = absences_by_officer(dataset.absences)
    issued_of: dict[str, int] = defaultdict(int)
    for f in issued:
        issued_of[f.offender_id] += 1
    why: dict[tuple[str, date], str] = {}
    already = 0
    # (added lateness, not pinned, date, person, the visit, its crew-day, its stop, person,
    # the plan's visit it replaces or None)
    todo: list[tuple[int, bool, date, str, FixedVisit, int, Stop, int, int | None]] = []
    for f in sorted(issued, key=lambda f: (f.offender_id, f.date, f.start_min)):
        where = (f.offender_id, f.date)
        got = check_fixed(prob, st, f, dataset, by_officer, holidays_off, NO_CREW)
        if isinstance(got, str):
            why[where] = got
            continue
        crew, stop, p = got
        keys = list(st.by_person.get(p, []))
        same_day = [k for k in keys if prob.crews[st.crew_of[k]].day_index == crew.day_index]
        here = [k for k in same_day if st.crew_of[k] == crew.index]
        if here and not f.pinned:
            st.kept.add(here[0])
            already += 1
            continue
        old: int | None
        if same_day:
            old, added = same_day[0], 0
        elif len(keys) <= 1 and issued_of[f.offender_id] == 1:
            old = keys[0] if keys else None
            cur = prob.crews[st.crew_of[old]].day_index if old is not None else None
            days, _due = single_visit_days(prob, p, cur)
            if crew.day_index not in days:
                why[where] = NOT_ALLOWED
                continue
            added = _late(prob, p, crew.day_index) - (_late(prob, p, cur) if cur is not None else 0)
        else:
            why[where] = CHAINED
            continue
        todo.append((added, not f.pinned, f.date, f.offender_id, f, crew.index, stop, p, old))
    back = 0
    pending = sorted(todo, key=lambda t: t[:4])
    for _round in range(MAX_ROUNDS):  # a visit back frees room another one may need
        left = []
        for item in pending:
            _a, _np, _d, _oid, f, crew_idx, stop, p, old = item
            where = (f.offender_id, f.date)
            added = _added(prob, st, p, crew_idx, old)
            if late_now + added > cap:
                why[where] = TOO_LATE
                left.append(item)
                continue
            if _move(prob, st, crew_idx, stop, p, old, work):
                late_now += added
            else:
                room = cap - late_now - added
                swapped = (
                    None if old is None else _exchange(prob, st, crew_idx, stop, p, old, room, work)
                )
                if swapped is None:
                    why[where] = NO_ROOM
                    left.append(item)
                    continue
                late_now += added + swapped
            why.pop(where, None)
            (st.frozen if f.pinned else st.kept).add(stop.key)
            back += 1
        if len(left) == len(pending):
            break
        pending = left
    counts = {
        "fresh_risk_weighted_missed": missed,
        "fresh_risk_weighted_late_days": late_fresh,
        "late_cap": cap,
        "already_on_issued_day_and_crew": already,
        "moved_back": back,
    }
    return why, counts


def _added(prob: Problem, st: State, p: int, crew_idx: int, old: int | None) -> int:
    """Risk-weighted late days the person's visit adds on the crew-day (its plan's visit `old`,
    if any, leaving its own day)."""
    cur = prob.crews[st.crew_of[old]].day_index if old is not None else None
    day = prob.crews[crew_idx].day_index
    return _late(prob, p, day) - (_late(prob, p, cur) if cur is not None else 0)


def _exchange(
    prob: Problem,
    st: State,
    crew_idx: int,
    stop: Stop,
    p: int,
    old: int,
    room: int,
    work: WorkBudget,
) -> int | None:
    """Swap places: a visit of the issued crew-day that is not itself kept (the only visit of
    its person) goes to the crew-day the person's visit `old` leaves, if its due-date rules
    allow that day and it adds at most `room` risk-weighted late days. Returns the late days
    it adds, or None (nothing changed) when no swap fits."""
    source = st.crew_of[old]
    if source == crew_idx:
        return None
    src_crew, crew = prob.crews[source], prob.crews[crew_idx]
    for u in list(st.stops.get(crew_idx, [])):
        if not st.movable(u.key):
            continue
        q = st.person_of[u.key]
        if len(st.by_person[q]) != 1:
            continue  # a chained visit keeps its day
        if prob.static_eligibility(q, prob.comp_of(src_crew)) is None:
            continue  # that crew may not make it (size, skills, area, window, drive)
        days, _due = single_visit_days(prob, q, crew.day_index)
        added = _late(prob, q, src_crew.day_index) - _late(prob, q, crew.day_index)
        if src_crew.day_index not in days or added > room:
            continue
        here = [s for s in st.stops[crew_idx] if s.key != u.key]
        there = [s for s in st.stops[source] if s.key != old]
        work.spend(len(here) + len(there) + 4)
        ins_v = prob.timer_of(crew).cheapest_insertion(here, stop)
        if ins_v is None:
            continue
        ins_u = prob.timer_of(src_crew).cheapest_insertion(there, u)
        if ins_u is None:
            continue
        st.person_of.pop(old)
        st.crew_of.pop(old)
        st.by_person[p] = [k for k in st.by_person[p] if k != old]
        st.stops[crew_idx] = here[: ins_v[0]] + [stop] + here[ins_v[0] :]
        st.stops[source] = there[: ins_u[0]] + [u] + there[ins_u[0] :]
        st.person_of[stop.key] = p
        st.crew_of[stop.key] = crew_idx
        st.by_person[p].append(stop.key)
        st.crew_of[u.key] = source
        return added
    return None


def _move(
    prob: Problem,
    st: State,
    crew_idx: int,
    stop: Stop,
    p: int,
    old: int | None,
    work: WorkBudget,
) -> bool:
    """Put the person's visit `stop` on the crew-day (cheapest place), taking `old` (the
    plan's visit it replaces, if any) out of its crew-day; False, and nothing changed, if it
    does not fit."""
    crew = prob.crews[crew_idx]
    timer = prob.timer_of(crew)
    target = [s for s in st.stops.get(crew_idx, []) if s.key != old]
    source = st.crew_of.get(old) if old is not None else None
    if source != crew_idx:
        left = prob.visits_left(crew_idx, lambda i: len(st.stops.get(i, [])))
        if left is not None and left <= 0:
            return False
    work.spend(len(target) + 2)
    ins = timer.cheapest_insertion(target, stop)
    if ins is None:
        return False
    rest: list[Stop] | None = None
    if source is not None and source != crew_idx:
        rest = [s for s in st.stops[source] if s.key != old]
        work.spend(1)
        src_timer = prob.timer_of(prob.crews[source])
        if rest and src_timer.evaluate(rest) is None:  # travel without the triangle inequality
            rest = src_timer.best_order(rest)
            if rest is None:
                return False
    if old is not None:
        st.person_of.pop(old)
        st.crew_of.pop(old)
        st.by_person[p] = [k for k in st.by_person[p] if k != old]
    if rest is not None and source is not None:
        st.stops[source] = rest
    st.stops[crew_idx] = target[: ins[0]] + [stop] + target[ins[0] :]
    st.person_of[stop.key] = p
    st.crew_of[stop.key] = crew_idx
    st.by_person[p].append(stop.key)
    return True
