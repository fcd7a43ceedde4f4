"""Crews re-formed on the windowed work the search left unmet (issue #23, item 3).

`crews.form_crews` pairs officers once, before the search, on the windowed (set-hours) visits
owed: it counts on each pair for `NEEDS_PER_CREW` of them. Where that count was wrong (the
crew-day filled up, or the visits it was counted on for went elsewhere) an evening visit can end
up late or unscheduled while, on a day it could take, two late-shift officers work with day
partners. Here, after the main search, crews follow the demand left unmet:

1. *Unmet windowed work*: owed two-officer visits in set hours (`crews.window_needs`) that are
   unscheduled, or planned after their due day while an earlier day is allowed (a single owed
   visit: `improve._allowed_days`). Each day such a visit could take is worth its risk weight
   times the days late it would save (an unscheduled one: `MISS_DAYS` days).
2. The days most worth it (`MAX_DAYS`), one at a time: the day's crews are formed again by
   `form_crews`' own scoring on that day alone, with the unmet visits that could take the day
   and the windowed visits already planned on it as its needs, so evening-capable pairs go
   where the evening work left over is. A day whose crews come out the same is skipped.
3. The day is rebuilt: crews whose composition is unchanged keep their visits; the visits of
   the others go back through the insertion the repair uses (least late day, then cheapest, on
   every crew of the days they may take, with the exact timing engine and its breaks); the
   unmet visits are then placed or moved earlier, and the local search relocates the visits
   touched (`improve.improve` with `keys`).
4. The change is kept only if it is lexicographically better for the people and crew-days it
   touched: risk-weighted misses, then risk-weighted days late, then travel plus continuity
   penalty; otherwise everything is put back as it was.

Deterministic: days, crews and visits in a fixed order, bounded by counted work
(`work.WorkBudget`); the clock is only a safety net, and the planner says when it fired. Hard
rules hold because every placement goes through the timing engine (`routing.CrewTimer`) and the
rules' one home (`rules.crew_can_make` via `Problem.static_eligibility`), and re-formed crews
come from `form_crews`, which obeys shared shifts and split-crew parts.

A re-plan keeps its issued crews (frozen.py), so it never re-forms them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from rso_scheduler.demand import Requirement
from rso_scheduler.solver.crews import CrewDay, comp_order, windowed_two_officer
from rso_scheduler.solver.improve import _allowed_days, _into, improve
from rso_scheduler.solver.problem import Problem, due_index, owed_count
from rso_scheduler.solver.routing import Stop
from rso_scheduler.solver.state import State
from rso_scheduler.solver.work import WorkBudget

REFORM = True  # re-form crews on the windowed work left unmet (off: the crews stay as formed)
MAX_DAYS = 8  # days re-formed (tried; a day whose crews come out the same is not counted)
MISS_DAYS = 30  # days late an unscheduled visit counts for when ranking the days
MAX_UNMET_PER_DAY = 24  # unmet visits a day is re-formed for, most weighted days saved first
# The pairing's work (each pair of a day's officers against each need, and the new crews'
# eligibility), counted as this many route evaluations per 100 pair-need checks: measured on the
# evening-tight month, ~0.5 s a day for ~23,000 checks with 122 needs (loaded machine)
FORM_UNITS = 150

FormDay = Callable[[date, list[Requirement]], list[CrewDay]]
NextOwed = Callable[[int], "tuple[int, int] | None"]


@dataclass(frozen=True)
class _Unmet:
    person: int
    key: int | None  # the planned (late) visit; None: unscheduled
    days: tuple[int, ...]  # days it could take that would save lateness or place it
    gain: tuple[int, ...]  # weighted days saved on each of `days`


def _unmet(prob: Problem, st: State, next_owed: NextOwed) -> list[_Unmet]:
    """Owed windowed two-officer visits left unscheduled, or late where an earlier day is allowed."""
    out: list[_Unmet] = []
    for p, r in enumerate(prob.reqs):
        if not windowed_two_officer(r):
            continue
        keys = st.by_person.get(p, [])
        if len(keys) < owed_count(prob, p):
            nxt = next_owed(p)
            if nxt is None:
                continue
            due, lo = nxt
            days = [
                d
                for d in range(max(lo, 0), prob.n_days)
                if prob.crews_by_day[d]
                and r.available_on(prob.day(d))
                and not prob.past_deadline(p, len(keys), d)
            ]
            gain = [r.weight * (MISS_DAYS - max(0, d - due)) for d in days]
            if days:
                out.append(_Unmet(p, None, tuple(days), tuple(max(1, g) for g in gain)))
            continue
        if len(keys) != 1 or not st.movable(keys[0]):
            continue  # chained visits keep their day (improve.py); a re-plan's stay
        key = keys[0]
        cur = prob.crews[st.crew_of[key]].day_index
        allowed, due = _allowed_days(prob, st, key)
        if cur <= max(due, 0):
            continue
        days = [
            d for d in allowed if d < cur and max(0, d - due) < cur - due and prob.crews_by_day[d]
        ]
        if days:
            saved = tuple(r.weight * ((cur - due) - max(0, d - due)) for d in days)
            out.append(_Unmet(p, key, tuple(days), saved))
    return out


def _person_cost(prob: Problem, st: State, p: int) -> tuple[int, int]:
    """(weighted visits missed, weighted days late) of one person as planned now."""
    r = prob.reqs[p]
    days = sorted(prob.crews[st.crew_of[k]].day_index for k in st.by_person.get(p, []))
    missed = max(0, owed_count(prob, p) - len(days)) * r.weight
    late = 0
    due = due_index(prob, p)
    for d in days:
        late += max(0, d - due) * r.weight
        due = d + r.interval_days
    return missed, late


def _route_cost(prob: Problem, st: State, ci: int, order: list[Stop], work: WorkBudget) -> int:
    """Travel plus continuity penalty of one crew-day's route (the local search's measure)."""
    if not order:
        return 0
    work.spend(1)
    ev = prob.timer_of(prob.crews[ci]).evaluate(order)
    assert ev is not None, "a kept route always fits"  # every change was timed when made
    return ev[0] + sum(prob.continuity_cost(st.person_of[s.key], ci) for s in order)


def _place(
    prob: Problem, st: State, stop: Stop, p: int, days: list[int], due: int, work: WorkBudget
) -> tuple[int, int] | None:
    """(crew, position) of the least late, then cheapest, insertion of a visit on any crew of
    the days given that may make it (the repair's order), or None."""
    levels = sorted({max(0, d - due) for d in days})
    for level in levels:
        best: tuple[int, int, int, int] | None = None
        for d in sorted(d for d in days if max(0, d - due) == level):
            for comp, crew in sorted(prob.crews_by_day[d].items(), key=lambda kv: kv[1].index):
                if prob.static_eligibility(p, comp) is None:
                    continue
                ins = _into(prob, st, comp, crew.index, stop, p, {}, work)
                if ins is None:
                    continue
                cand = (ins[0], d, crew.index, ins[1])
                if best is None or cand < best:
                    best = cand
        if best is not None:
            return best[2], best[3]
    return None


def _insert(st: State, p: int, stop: Stop, crew: int, pos: int) -> None:
    order = list(st.stops.get(crew, []))
    order.insert(pos, stop)
    st.stops[crew] = order
    st.crew_of[stop.key] = crew
    if stop.key not in st.person_of:
        st.person_of[stop.key] = p
        st.by_person[p].append(stop.key)


def _take_out(st: State, key: int) -> Stop:
    crew = st.crew_of.pop(key)
    stop = next(s for s in st.stops[crew] if s.key == key)
    st.stops[crew] = [s for s in st.stops[crew] if s.key != key]
    return stop


@dataclass
class _Saved:
    """What one try changes, to put back when it is not kept."""

    stops: dict[int, list[Stop]]
    person_of: dict[int, int]
    crew_of: dict[int, int]
    by_person: dict[int, list[int]]
    next_key: int
    n_crews: int
    today: dict[int, CrewDay]
    split_crews: dict[tuple[str, int], tuple[int, ...]]
    ranked: dict[int, list[int]]
    ranked_beyond: dict[int, list[int]]
    n_comps: int


def _save(prob: Problem, st: State, day: int) -> _Saved:
    return _Saved(
        {c: list(o) for c, o in st.stops.items()},
        dict(st.person_of),
        dict(st.crew_of),
        {p: list(k) for p, k in st.by_person.items()},
        st.next_key,
        len(prob.crews),
        dict(prob.crews_by_day[day]),
        dict(prob.split_crews),
        prob.ranked_cache,
        prob.ranked_beyond_cache,
        len(prob.comps),
    )


def _restore(prob: Problem, st: State, day: int, saved: _Saved) -> None:
    st.stops.clear()
    st.stops.update(saved.stops)
    st.person_of.clear()
    st.person_of.update(saved.person_of)
    st.crew_of.clear()
    st.crew_of.update(saved.crew_of)
    st.by_person.clear()
    st.by_person.update(saved.by_person)
    st.next_key = saved.next_key
    del prob.crews[saved.n_crews :]
    prob.crews_by_day[day] = saved.today
    prob.split_crews = saved.split_crews
    prob.ranked_cache = saved.ranked
    prob.ranked_beyond_cache = saved.ranked_beyond
    prob.drop_comps(saved.n_comps)  # so no later ranking counts a crew never formed


def _split_of_day(prob: Problem, day: int) -> None:
    """`Problem.split_crews` for one day from its crews now."""
    for k in [k for k in prob.split_crews if k[1] == day]:
        del prob.split_crews[k]
    mine: dict[str, list[int]] = {}
    for crew in sorted(prob.crews_by_day[day].values(), key=lambda c: c.index):
        for oid in crew.officer_ids:
            mine.setdefault(oid, []).append(crew.index)
    for oid, idx in mine.items():
        if len(idx) > 1:
            prob.split_crews[(oid, day)] = tuple(idx)


def _reformed(crew: CrewDay) -> CrewDay:
    """A re-formed crew's reason says so, then why `form_crews` paired it."""
    short = crew.formed_short or crew.formed_because
    return dataclasses.replace(
        crew,
        formed_because=(
            "re-formed after the first search, for the set-hours visits it left late or "
            f"unscheduled: {crew.formed_because}"
        ),
        formed_short=f"re-formed for set-hours work left over: {short}",
    )


def _try_day(
    prob: Problem,
    st: State,
    day: int,
    unmet: list[_Unmet],
    form_day: FormDay,
    next_owed: NextOwed,
    work: WorkBudget,
) -> tuple[bool, int, int, int] | None:
    """Re-form one day's crews and rebuild it; (kept, visits gained, weighted misses saved,
    weighted days late saved: negative when a visit placed is late) or None (its crews come
    out the same)."""
    # the unmet visits most worth the day (weighted days saved there), `MAX_UNMET_PER_DAY`
    gain_at = {u.person: g for u in unmet for d, g in zip(u.days, u.gain, strict=True) if d == day}
    mine = sorted(
        (u for u in unmet if u.person in gain_at), key=lambda u: (-gain_at[u.person], u.person)
    )[:MAX_UNMET_PER_DAY]
    planned = sorted(
        {
            st.person_of[s.key]
            for crew in prob.crews_by_day[day].values()
            for s in st.stops.get(crew.index, [])
            if windowed_two_officer(prob.reqs[st.person_of[s.key]])
        }
    )
    needs = [prob.reqs[u.person] for u in mine] + [prob.reqs[p] for p in planned]
    formed = form_day(prob.day(day), needs)
    # the pairing's own work, counted (each pair of the day's officers against each need)
    n_off = len({o for c in prob.crews_by_day[day].values() for o in c.officer_ids})
    work.spend(max(1, len(needs)) * n_off * (n_off - 1) // 2 * FORM_UNITS // 100)
    old = {prob.comp_of(c): c for c in prob.crews_by_day[day].values()}
    old_keys = {c.comp_key for c in old.values()}
    new_keys = {c.comp_key for c in formed}
    if new_keys == old_keys:
        return None
    saved = _save(prob, st, day)
    touched = sorted(
        {u.person for u in mine}
        | {st.person_of[s.key] for c in old.values() for s in st.stops.get(c.index, [])}
    )
    before = [_person_cost(prob, st, p) for p in touched]
    before_routes = {c: list(o) for c, o in st.stops.items()}
    # the day's crews: unchanged compositions keep their crew-day (and visits), others are new
    prob.ranked_cache = {}
    prob.ranked_beyond_cache = {}
    today = prob.crews_by_day[day]
    displaced: list[tuple[int, Stop, list[int], int]] = []
    for comp, crew in sorted(old.items(), key=lambda kv: kv[1].index):
        if crew.comp_key in new_keys:
            continue
        for s in st.stops.get(crew.index, []):
            days, due = _allowed_days(prob, st, s.key)
            displaced.append((st.person_of[s.key], s, days, due))
        for s in list(st.stops.get(crew.index, [])):
            _take_out(st, s.key)
        del today[comp]
    for crew in sorted(formed, key=lambda c: comp_order(c.comp_key)):
        if crew.comp_key in old_keys:
            continue
        comp = prob.add_comp(crew.comp_key)
        new = dataclasses.replace(_reformed(crew), index=len(prob.crews), day_index=day)
        prob.crews.append(new)
        today[comp] = new
    _split_of_day(prob, day)
    # the visits of the crews that changed go back first, the most serious first, each least
    # late then cheapest; then the unmet visits, the most serious first, on the earliest day
    # they now fit (measured: taking the unmet ones first, onto the re-formed day only, kept
    # fewer days on the evening-tight month, 27 weighted late days saved against 66)
    ok = True
    gained = 0
    moved_keys: list[int] = []
    displaced.sort(key=lambda x: (-prob.reqs[x[0]].weight, x[1].key))
    for p, stop, days, due in displaced:
        at = _place(prob, st, stop, p, days, due, work)
        if at is None:
            ok = False
            break
        _insert(st, p, stop, *at)
        moved_keys.append(stop.key)
    for u in sorted(mine, key=lambda u: (-prob.reqs[u.person].weight, u.person)) if ok else []:
        if u.key is None:
            nxt = next_owed(u.person)
            if nxt is None:
                continue
            stop = st.new_stop(u.person)
            at = _place(prob, st, stop, u.person, list(u.days), nxt[0], work)
            if at is not None:
                _insert(st, u.person, stop, *at)
                moved_keys.append(stop.key)
                gained += 1
            continue
        cur = prob.crews[st.crew_of[u.key]].day_index
        due = due_index(prob, u.person)
        earlier = [d for d in u.days if max(0, d - due) < max(0, cur - due)]
        stop = next(s for s in st.stops[st.crew_of[u.key]] if s.key == u.key)
        at = _place(prob, st, stop, u.person, earlier, due, work) if earlier else None
        if at is not None:
            _take_out(st, u.key)
            _insert(st, u.person, stop, *at)
            moved_keys.append(u.key)
    if ok and moved_keys:
        improve(prob, st, work, keys=moved_keys)
    if ok:
        after = [_person_cost(prob, st, p) for p in touched]
        changed = sorted(
            c
            for c in set(before_routes) | set(st.stops)
            if [s.key for s in before_routes.get(c, [])] != [s.key for s in st.stops.get(c, [])]
        )
        travel_before = sum(
            _route_cost(prob, st, c, before_routes.get(c, []), work)
            for c in changed
            if all(s.key in st.person_of for s in before_routes.get(c, []))
        )
        travel_after = sum(_route_cost(prob, st, c, st.stops.get(c, []), work) for c in changed)
        old_score = (sum(m for m, _ in before), sum(la for _, la in before), travel_before)
        new_score = (sum(m for m, _ in after), sum(la for _, la in after), travel_after)
        ok = new_score < old_score
    if not ok:
        _restore(prob, st, day, saved)
        return False, 0, 0, 0
    return True, gained, old_score[0] - new_score[0], old_score[1] - new_score[1]


def compact(prob: Problem, st: State) -> None:
    """Crew-days sorted and indexed again after re-forming (every crew-day's index is its
    position in the plan's sorted list, as `form_crews` made it); the routes follow."""
    live = [c for c in prob.crews if prob.crews_by_day[c.day_index].get(prob.comp_of(c)) is c]
    alive = {id(c) for c in live}
    for c in prob.crews:
        if id(c) not in alive:
            assert not st.stops.get(c.index), "a crew-day left out still had visits"
    live.sort(key=lambda c: (c.day, c.crew_id, c.part or (-1, -1)))
    new_of = {c.index: i for i, c in enumerate(live)}
    prob.crews = [dataclasses.replace(c, index=i) for i, c in enumerate(live)]
    prob.crews_by_day = [{} for _ in range(prob.n_days)]
    per_officer_day: dict[tuple[str, int], list[int]] = {}
    for c in prob.crews:
        prob.crews_by_day[c.day_index][prob.comp_of(c)] = c
        for oid in c.officer_ids:
            per_officer_day.setdefault((oid, c.day_index), []).append(c.index)
    prob.split_crews = {k: tuple(v) for k, v in per_officer_day.items() if len(v) > 1}
    stops = {new_of[ci]: o for ci, o in st.stops.items() if ci in new_of}
    st.stops.clear()
    st.stops.update(stops)
    for key, ci in list(st.crew_of.items()):
        st.crew_of[key] = new_of[ci]


def unmet_count(prob: Problem, st: State, next_owed: NextOwed) -> int:
    """Owed windowed two-officer visits left unscheduled, or late with an earlier day allowed."""
    return len(_unmet(prob, st, next_owed))


def reform_crews(
    prob: Problem, st: State, form_day: FormDay, next_owed: NextOwed, work: WorkBudget
) -> dict[str, int]:
    """Re-form the crews of the days most worth it for the windowed work left unmet (see the
    module docstring); returns counts for the run's statistics."""
    counts = {
        "reform_unmet_before": 0,
        "reform_days_tried": 0,
        "reform_crew_days": 0,
        "reform_days_kept": 0,
        "reform_visits_gained": 0,
        "reform_weighted_missed_saved": 0,
        "reform_weighted_late_days_saved": 0,  # negative when the visits placed are late
        "reform_unmet_after": 0,
    }
    tried: set[int] = set()
    unmet = _unmet(prob, st, next_owed)
    counts["reform_unmet_before"] = len(unmet)
    kept_any = False
    while unmet and counts["reform_days_tried"] < MAX_DAYS and not work.exhausted():
        worth: dict[int, int] = {}
        for u in unmet:
            for d, g in zip(u.days, u.gain, strict=True):
                worth[d] = worth.get(d, 0) + g
        options = sorted((-w, d) for d, w in worth.items() if d not in tried and w > 0)
        if not options:
            break
        day = options[0][1]
        tried.add(day)
        n_before = len(prob.crews)
        res = _try_day(prob, st, day, unmet, form_day, next_owed, work)
        if res is None:
            continue
        counts["reform_days_tried"] += 1
        kept, gained, missed_saved, late_saved = res
        if kept:
            kept_any = True
            counts["reform_days_kept"] += 1
            counts["reform_crew_days"] += sum(
                1 for c in prob.crews_by_day[day].values() if c.index >= n_before
            )
            counts["reform_visits_gained"] += gained
            counts["reform_weighted_missed_saved"] += missed_saved
            counts["reform_weighted_late_days_saved"] += late_saved
            unmet = _unmet(prob, st, next_owed)
    if kept_any:
        compact(prob, st)
    counts["reform_unmet_after"] = len(_unmet(prob, st, next_owed))
    return counts
