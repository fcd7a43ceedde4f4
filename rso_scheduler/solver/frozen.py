"""A re-plan's starting roster: the issued visits, kept where the hard rules still allow.

`place_fixed(prob, st, fixed, ...)` puts each `FixedVisit` of an issued roster back on its day
and crew before anything else is planned. Pinned visits keep their start time exactly (their
stop may only start at that minute) and go into `st.frozen`, which no pass moves; the others go
into `st.kept`: they may be re-timed within their crew-day, and move only to save a miss
(`evict_for_owed`) or lateness (`evict_for_late`: an earlier day for a more serious late visit);
the local search and the officer exchanges leave both sets alone (`State.movable`). A visit that can no longer be kept is left out with the reason, and the
planner then treats it as any owed visit.

The crews of kept visits are formed first on their days (`required_crews` for
`crews.form_crews`), so the crew exists whenever its officers are all on duty.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date

from rso_scheduler import rules
from rso_scheduler.calendar import absences_by_officer
from rso_scheduler.demand import Requirement
from rso_scheduler.models import Dataset
from rso_scheduler.solver.crews import CrewDay
from rso_scheduler.solver.options import FixedVisit
from rso_scheduler.solver.problem import REPAIR_COMPS, Problem, due_index, owed_count
from rso_scheduler.solver.routing import Stop
from rso_scheduler.solver.state import State

MAX_EVICTION_TRIES = 40  # kept visits tried as room for one missing owed visit


def required_crews(fixed: Sequence[FixedVisit]) -> dict[date, list[tuple[str, ...]]]:
    """Crew compositions the issued visits need, per day: pinned visits' crews first."""
    out: dict[date, list[tuple[str, ...]]] = defaultdict(list)
    for f in sorted(fixed, key=lambda f: (not f.pinned, f.date, f.start_min, f.offender_id)):
        comp = tuple(sorted(f.officer_ids))
        if comp not in out[f.date]:
            out[f.date].append(comp)
    return dict(out)


def _officers_reason(
    f: FixedVisit, dataset: Dataset, by_officer: dict, holidays_off: dict[date, str]
) -> str | None:
    officers = dataset.officer_by_id()
    for oid in f.officer_ids:
        o = officers.get(oid)
        if o is None:
            return f"officer {oid} is no longer in officers.csv"
        why = rules.officer_on_duty(o, f.date, by_officer, holidays_off)
        if why:
            return why
    return None


def _person_reason(f: FixedVisit, dataset: Dataset) -> str:
    person = dataset.offender_by_id().get(f.offender_id)
    if person is None:
        return "person no longer in offenders.csv"
    return rules.person_status(person.status) or (
        "no visit owed in the period any more (visited since the plan was issued?)"
    )


NO_CREW = "its crew could not be formed that day (an officer is in another kept crew)"


def check_fixed(
    prob: Problem,
    st: State,
    f: FixedVisit,
    dataset: Dataset,
    by_officer: dict,
    holidays_off: dict[date, str],
    no_crew: str = NO_CREW,
) -> tuple[CrewDay, Stop, int] | str:
    """An issued visit's crew-day, its stop (a pinned one only at its minute) and person, or
    why it cannot be kept (the hard rules, checked for it alone): the one home of "may this
    issued visit stay" for `place_fixed` and `win_back.win_back`."""
    p = prob.person_index.get(f.offender_id)
    d = (f.date - prob.start).days
    if p is None:
        return _person_reason(f, dataset)
    r = prob.reqs[p]
    if not 0 <= d < prob.n_days:
        return f"{f.date} is outside the re-planned period"
    reason = rules.person_available(r, f.date) or _officers_reason(
        f, dataset, by_officer, holidays_off
    )
    crew = prob.crew_with(d, tuple(sorted(f.officer_ids))) if 0 <= d < prob.n_days else None
    if reason is None and crew is None:
        reason = no_crew
    if reason is not None:
        return reason
    assert crew is not None
    stop = st.new_stop(p)
    alone = functools.partial(prob.timer_of(crew).evaluate, [stop])
    reason = rules.crew_can_make(r, crew.officers, prob.area_mode, crew.part) or (
        rules.window_reachable(r, alone)
    )
    if reason is not None:
        return reason
    if f.pinned:
        outside = rules.start_in_window(r, f.start_min, stop.duration_min)
        if outside is not None:
            return outside
        end = f.start_min + stop.duration_min
        stop = dataclasses.replace(stop, window_start_min=f.start_min, window_end_min=end)
    return crew, stop, p


def place_fixed(
    prob: Problem,
    st: State,
    fixed: Sequence[FixedVisit],
    dataset: Dataset,
    holidays_off: dict[date, str],
) -> dict[tuple[str, date], str]:
    """Pre-place the issued visits that are still possible; returns why each other one is not
    kept, keyed by (offender_id, issued date)."""
    by_officer = absences_by_officer(dataset.absences)
    why: dict[tuple[str, date], str] = {}
    wanted: dict[int, list[tuple[FixedVisit, Stop, int]]] = defaultdict(list)  # crew -> visits
    for f in sorted(fixed, key=lambda f: (f.offender_id, f.date, f.start_min)):
        got = check_fixed(prob, st, f, dataset, by_officer, holidays_off)
        if isinstance(got, str):
            why[f.offender_id, f.date] = got
            continue
        crew, stop, p = got
        wanted[crew.index].append((f, stop, p))
    for crew_idx, items in sorted(wanted.items()):
        _place_crew_day(prob, st, crew_idx, items, why)
    _check_chains(prob, st, why)
    return why


def _place_crew_day(
    prob: Problem,
    st: State,
    crew_idx: int,
    items: list[tuple[FixedVisit, Stop, int]],
    why: dict[tuple[str, date], str],
) -> None:
    """Route one crew-day's issued visits; drop the least important until they fit."""
    crew = prob.crews[crew_idx]
    timer = prob.timer_of(crew)
    keep = sorted(items, key=lambda it: (it[0].start_min, it[1].key))
    # the crew's cap, shared with the officers' other part of the day if they are split
    cap = prob.visits_left(crew_idx, lambda c: len(st.stops.get(c, [])))
    while keep:
        too_many = cap is not None and len(keep) > cap
        order = None if too_many else [s for _, s, _ in keep]
        if order is not None and timer.evaluate(order) is None:
            order = timer.best_order(order)
        if order is not None:
            break
        # unpinned before pinned, least serious first, the later visit of the day first
        worst = min(keep, key=lambda it: (it[0].pinned, prob.reqs[it[2]].weight, -it[0].start_min))
        keep.remove(worst)
        why[worst[0].offender_id, worst[0].date] = (
            f"no longer fits the crew's day on {crew.day} (shift, travel, refreshment break or the officers' cap)"
            if not too_many
            else f"more visits than the officers' max_visits_per_day on {crew.day}"
        )
    if not keep or order is None:
        return
    st.stops[crew_idx] = order
    for f, stop, p in keep:
        st.person_of[stop.key] = p
        st.crew_of[stop.key] = crew_idx
        st.by_person[p].append(stop.key)
        (st.frozen if f.pinned else st.kept).add(stop.key)


def _check_chains(prob: Problem, st: State, why: dict[tuple[str, date], str]) -> None:
    """Keep a person's issued visits only while they obey the due-date rules of the period."""
    for p, keys in sorted(st.by_person.items()):
        r = prob.reqs[p]
        ordered = sorted(keys, key=lambda k: (prob.crews[st.crew_of[k]].day_index, k))
        prev: int | None = None
        drop: list[int] = []
        owed = owed_count(prob, p)
        held = 0
        for k in ordered:
            d = prob.crews[st.crew_of[k]].day_index
            because = "from the visit history now known"
            if prev is None:
                lo = (r.first_earliest - prob.start).days
                if r.optional:  # due after the period: only as a pulled-forward visit
                    lo = max(lo, (rules.pulled_forward_floor(r, prob.end) - prob.start).days)
                owed_ok = True
            else:
                lo = prev + prob.step_days(p)
                owed_ok = prev + r.interval_days <= prob.n_days - 1
            if not r.optional:
                # no more than the one count, and the last owed visit not so early that one
                # more would fall due inside the period (`rules.last_owed_floor`); a pinned
                # visit stays where the supervisor put it
                owed_ok = owed_ok and held < owed
                if held == owed - 1 and k not in st.frozen:
                    floor, floor_why = rules.last_owed_floor(r, prob.end, owed)
                    if (floor - prob.start).days > lo:
                        lo, because = (floor - prob.start).days, floor_why
            if d < lo or not owed_ok:
                drop.append(k)
                day = prob.day(d)
                why[r.offender_id, day] = (
                    rules.not_before(day, prob.day(lo), because) or ""
                    if owed_ok
                    else "no further visit owed in the period"
                )
                continue
            prev = d
            held += 1
        for k in drop:
            _remove(st, k)


def _remove(st: State, key: int) -> tuple[int, int, list[Stop]]:
    """Take a visit out of the roster; returns (crew, person, the crew's previous order)."""
    crew = st.crew_of.pop(key)
    person = st.person_of.pop(key)
    before = st.stops[crew]
    st.stops[crew] = [s for s in before if s.key != key]
    st.by_person[person] = [k for k in st.by_person[person] if k != key]
    st.frozen.discard(key)
    st.kept.discard(key)
    return crew, person, before


def evict_for_owed(
    prob: Problem,
    st: State,
    people: Sequence[int],
    missing: Callable[[int], bool],
    repair: Callable[[int], int],
    deadline: float,
    as_serious: bool = False,
) -> list[tuple[int, int]]:
    """Make room for owed visits that fit nowhere: a kept visit (the last of its person's
    visits in the period) gives its place and is re-placed where it can go. A less serious one
    may end up unscheduled; with `as_serious` (the last pass, when nothing else is left to
    place) one as serious or more also moves, but only if it is re-placed, so each eviction
    lowers the risk-weighted misses.

    `missing(p)`: is an owed visit of p still unplanned; `repair(p)`: place p's owed visits,
    returning how many. Returns (person served, person evicted) pairs."""
    done: list[tuple[int, int]] = []
    for p in people:
        if time.monotonic() > deadline:
            break
        if not missing(p):
            continue
        w = prob.reqs[p].weight
        comps = set(prob.ranked_comps(p, REPAIR_COMPS))
        victims = []
        # the last pass may also move visits placed by this re-plan (no change to the issued
        # roster), first of all
        pool = set(st.kept) | ({k for k in st.person_of if st.movable(k)} if as_serious else set())
        for key in sorted(pool):
            q = st.person_of[key]
            crew = prob.crews[st.crew_of[key]]
            last = max(st.by_person[q], key=lambda k: (prob.crews[st.crew_of[k]].day_index, k))
            if key != last or q == p or prob.comp_of(crew) not in comps:
                continue
            if not prob.reqs[p].available_on(crew.day):
                continue
            wq = prob.reqs[q].weight
            if wq < w or as_serious:
                victims.append((key in st.kept, wq >= w, wq, crew.day_index, key))
        for was_kept, _more, wq, _d, key in sorted(victims)[:MAX_EVICTION_TRIES]:
            crew_idx, q, before = _remove(st, key)
            had_p = list(st.by_person[p])
            if repair(p):
                if repair(q) or prob.reqs[q].optional or wq < w:
                    if was_kept:
                        done.append((p, q))  # re-placed, or less serious than the one let in
                    break
                for k in [k for k in st.by_person[p] if k not in had_p]:
                    _remove(st, k)
            _put(st, key, crew_idx, q, before)
            if was_kept:
                st.kept.add(key)
    return done


def _put(st: State, key: int, crew_idx: int, person: int, order: list[Stop]) -> None:
    st.stops[crew_idx] = order
    st.person_of[key] = person
    st.crew_of[key] = crew_idx
    st.by_person[person].append(key)


def evict_for_late(
    prob: Problem, st: State, repair: Callable[[int], int], deadline: float
) -> list[tuple[int, int]]:
    """Let a late new visit (owed again, new, displaced) take an earlier day from a kept visit of
    a less serious person, when the risk-weighted days late of the two together fall.

    Only people with a single visit in the period (no chain to keep valid); the kept visit is
    re-placed where it can go (a pulled-forward one may be dropped: it was not owed), and an
    owed kept visit that would be missed is never evicted. Returns (person, evicted) pairs."""
    done: list[tuple[int, int]] = []

    def single(key: int) -> bool:
        return len(st.by_person[st.person_of[key]]) == 1

    def late(person: int, day: int) -> int:
        return max(0, day - due_index(prob, person)) * prob.reqs[person].weight

    late_new = sorted(
        (
            (-prob.reqs[p].weight, -late(p, prob.crews[st.crew_of[k]].day_index), k)
            for k, p in st.person_of.items()
            if st.movable(k) and single(k) and not prob.reqs[p].optional
        )
    )
    for _w, lateness, v in late_new:
        if time.monotonic() > deadline:
            break
        if lateness == 0 or v not in st.person_of or not single(v):
            continue
        p = st.person_of[v]
        w = prob.reqs[p].weight
        v_crew = st.crew_of[v]
        v_day = prob.crews[v_crew].day_index
        comps = set(prob.ranked_comps(p, REPAIR_COMPS))
        lo = (prob.reqs[p].first_earliest - prob.start).days
        victims = []
        for k in sorted(st.kept):
            q = st.person_of[k]
            crew = prob.crews[st.crew_of[k]]
            if prob.reqs[q].weight >= w or not single(k) or not lo <= crew.day_index < v_day:
                continue
            if prob.comp_of(crew) not in comps:
                continue
            if prob.reqs[p].available_on(crew.day) and late(p, crew.day_index) < -lateness:
                victims.append((prob.reqs[q].weight, crew.day_index, k))
        for _wq, _d, k in sorted(victims)[:MAX_EVICTION_TRIES]:
            k_crew = st.crew_of[k]
            q = st.person_of[k]
            crew = prob.crews[k_crew]
            before_q = late(q, crew.day_index)
            stop_v = next(s for s in st.stops[v_crew] if s.key == v)
            _kc, _q, before_k = _remove(st, k)
            rest = st.stops[k_crew]
            ins = prob.timer_of(crew).cheapest_insertion(rest, stop_v)
            left = prob.visits_left(k_crew, lambda c: len(st.stops.get(c, [])))
            full = left is not None and left <= 0
            if ins is None or full:
                _put(st, k, k_crew, q, before_k)
                st.kept.add(k)
                continue
            _vc, _p, before_v = _remove(st, v)
            rest = st.stops[k_crew]
            _put(st, v, k_crew, p, rest[: ins[0]] + [stop_v] + rest[ins[0] :])
            optional = prob.reqs[q].optional
            placed = 0 if optional else repair(q)
            if placed or optional:
                q_days = st.person_days(q)
                after_q = late(q, q_days[0]) if q_days else 0
                if late(p, crew.day_index) + after_q < -lateness + before_q:
                    done.append((p, q))
                    break
            # undo: the re-placed visit, the move, the eviction
            for key in list(st.by_person[q]):
                _remove(st, key)
            _remove(st, v)
            st.stops[v_crew] = before_v
            _put(st, v, v_crew, p, before_v)
            _put(st, k, k_crew, q, before_k)
            st.kept.add(k)
    return done


def note_evictions(
    not_kept: dict[tuple[str, date], str],
    fixed: Sequence[FixedVisit],
    start: date,
    reqs: Sequence[Requirement],
    for_missed: Sequence[tuple[int, int]],
    for_late: Sequence[tuple[int, int]],
) -> None:
    """Say why each evicted issued visit moved: (person served, person evicted) pairs."""
    for pairs, why in (
        (for_missed, "made room for a more serious owed visit ({}) that fitted nowhere else"),
        (for_late, "made room for a more serious visit ({}) to be less late"),
    ):
        for served, gone in pairs:
            for f in fixed:
                if f.offender_id == reqs[gone].offender_id and f.date >= start:
                    not_kept.setdefault(
                        (f.offender_id, f.date), why.format(reqs[served].offender_id)
                    )
