"""Local search on the routed roster: move single visits to better crew-days.

The assignment model works with estimated travel; once every crew-day is routed exactly, a
visit is moved (removed from its route and inserted at the cheapest feasible place of another
crew-day) when that lowers, in this order, the risk-weighted days late, then travel plus a
continuity penalty. Moves never break a hard rule: every changed route is re-timed with the
exact travel model, and only visits whose date can move freely are moved (people with one
visit in the plan; chained visits stay on their day but may change crew).

Deterministic: visits are taken in a fixed order, and the search is bounded by counted work
(route evaluations, `work.WorkBudget`) and passes; the clock is only a safety net.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Protocol

from rso_scheduler.rules import last_owed_floor, pulled_forward_floor
from rso_scheduler.solver.problem import Problem, due_index, owed_count
from rso_scheduler.solver.routing import Stop
from rso_scheduler.solver.why import base_drive_min, drives_far
from rso_scheduler.solver.work import WorkBudget

MAX_PASSES = 40
SWAP_DAY_RADIUS = 7  # swaps look this many days either side of a visit's date
SWAP_COMPS = 6  # ... among this many nearest crew compositions
NEIGHBOUR_COMPS = 12  # crew compositions tried per visit (nearest eligible first)


class _State(Protocol):
    stops: dict[int, list[Stop]]
    person_of: dict[int, int]
    crew_of: dict[int, int]
    by_person: dict[int, list[int]]
    frozen: set[int]  # a re-plan's pinned visits: never moved (solver/state.py)
    kept: set[int]  # a re-plan's issued visits: moved only to save a miss or lateness

    def movable(self, key: int) -> bool: ...


def _route_cost(prob: Problem, crew_idx: int, order: list[Stop], work: WorkBudget) -> int | None:
    work.spend(1)
    crew = prob.crews[crew_idx]
    ev = prob.timer_of(crew).evaluate(order)
    return None if ev is None else ev[0]


def _insertion(
    prob: Problem, comp: int, order: list[Stop], stop: Stop, work: WorkBudget
) -> tuple[int, int] | None:
    """Cheapest insertion of `stop` into `order` for a crew composition, counted as work."""
    work.spend(len(order) + 2)  # the route without it, and each position with it
    return prob.timers[comp].cheapest_insertion(order, stop)


def _cont(prob: Problem, person: int, crew_idx: int) -> int:
    return prob.continuity_cost(person, crew_idx)


def _allowed_days(prob: Problem, st: _State, key: int) -> tuple[list[int], int]:
    """Days a visit may move to, and the due day its lateness is measured from."""
    p = st.person_of[key]
    cur_day = prob.crews[st.crew_of[key]].day_index
    if len(st.by_person[p]) > 1:
        return [cur_day], cur_day  # chained visits keep their day (the chain stays valid)
    return single_visit_days(prob, p, cur_day)


def single_visit_days(prob: Problem, p: int, cur_day: int | None) -> tuple[list[int], int]:
    """Days the only visit of a person in the plan may take (now on `cur_day`, or None when
    the plan holds none yet), and the due day its lateness is measured from."""
    r = prob.reqs[p]
    last_day = prob.n_days - 1
    lo = (r.first_earliest - prob.start).days
    if r.optional:
        # a pulled-forward visit: the visit after it must not fall due inside the plan
        lo = max(lo, (pulled_forward_floor(r, prob.end) - prob.start).days)
    elif owed_count(prob, p) == 1:
        # the last owed visit: moving it earlier must not make one more fall due in the plan
        # (in a month of a long plan, not in the whole plan either: `rules.last_owed_floor`)
        lo = max(lo, (last_owed_floor(r, prob.end, 1)[0] - prob.start).days)
    days = [
        d
        for d in range(max(lo, 0), last_day + 1)
        if r.available_on(prob.day(d))
        and ((cur_day is not None and d <= cur_day) or not prob.past_deadline(p, 0, d))
    ]
    return days, due_index(prob, p)


def _into(
    prob: Problem,
    st: _State,
    comp: int,
    crew_idx: int,
    stop: Stop,
    person: int,
    routes: dict[int, list[Stop]],
    work: WorkBudget,
) -> tuple[int, int] | None:
    """(added travel + continuity penalty, position) of the cheapest insertion of a visit into
    one crew-day (its route in `routes` if there, else as planned), or None if it does not fit."""
    other = routes.get(crew_idx, st.stops.get(crew_idx, []))
    left = prob.visits_left(crew_idx, lambda i: len(routes.get(i, st.stops.get(i, []))))
    if left is not None and left <= 0:
        return None  # its cap, or (split crews) an officer's cap shared by both parts
    ins = _insertion(prob, comp, other, stop, work)
    if ins is None:
        return None
    return ins[1] + _cont(prob, person, crew_idx), ins[0]


def _best_insertion(
    prob: Problem,
    st: _State,
    stop: Stop,
    person: int,
    days: list[int],
    due: int,
    max_late: int,
    exclude: set[int],
    routes: dict[int, list[Stop]],
    work: WorkBudget,
) -> tuple[int, int, int, int, int] | None:
    """(weighted late, added cost, day, crew, position) of the best insertion, or None."""
    r = prob.reqs[person]
    comps = prob.ranked_comps(person, NEIGHBOUR_COMPS)
    best: tuple[int, int, int, int, int] | None = None
    for d in days:
        late = max(0, d - due) * r.weight
        if late > max_late:
            continue
        today = prob.crews_by_day[d]
        for c in comps:
            crew = today.get(c)
            if crew is None or crew.index in exclude:
                continue
            ins = _into(prob, st, c, crew.index, stop, person, routes, work)
            if ins is None:
                continue
            cand = (late, ins[0], d, crew.index, ins[1])
            if best is None or cand < best:
                best = cand
    return best


def _empty_route(
    prob: Problem,
    st: _State,
    ci: int,
    work: WorkBudget,
    find: Callable[[Stop, dict[int, list[Stop]]], tuple[int, int, int] | None],
) -> bool:
    """Move every visit of a crew-day elsewhere when the insertions (`find(stop, routes so far)`:
    added travel + continuity penalty, crew, position; None: nowhere) cost less than the route
    and its continuity penalties; the crew then stays at base. True if it was emptied."""
    stops = st.stops.get(ci, [])
    cost = _route_cost(prob, ci, stops, work)
    if cost is None:
        return False
    gain = cost + sum(_cont(prob, st.person_of[s.key], ci) for s in stops)
    scratch: dict[int, list[Stop]] = {}
    moves: list[tuple[int, int]] = []
    added = 0
    for s in stops:
        best = find(s, scratch)
        if best is None:
            return False
        cost_add, new_crew, pos = best
        route = list(scratch.get(new_crew, st.stops.get(new_crew, [])))
        route.insert(pos, s)
        scratch[new_crew] = route
        moves.append((s.key, new_crew))
        added += cost_add
        if added >= gain:
            return False
    st.stops[ci] = []
    for new_crew, route in scratch.items():
        st.stops[new_crew] = route
    for key, new_crew in moves:
        st.crew_of[key] = new_crew
    return True


def eliminate_routes(prob: Problem, st: _State, work: WorkBudget, max_stops: int = 3) -> int:
    """Empty short crew-days by moving all their visits elsewhere when that saves travel."""
    done = 0
    order = sorted(
        (
            ci
            for ci, stops in st.stops.items()
            if 0 < len(stops) <= max_stops and all(st.movable(s.key) for s in stops)
        ),
        key=lambda ci: (len(st.stops[ci]), ci),
    )
    for ci in order:
        if work.exhausted():
            break
        stops = st.stops.get(ci, [])
        if not stops or len(stops) > max_stops:
            continue

        def find(
            s: Stop, scratch: dict[int, list[Stop]], ci: int = ci
        ) -> tuple[int, int, int] | None:
            p = st.person_of[s.key]
            days, due = _allowed_days(prob, st, s.key)
            cur_late = max(0, prob.crews[ci].day_index - due) * prob.reqs[p].weight
            best = _best_insertion(prob, st, s, p, days, due, cur_late, {ci}, scratch, work)
            return None if best is None else (best[1], best[3], best[4])

        if _empty_route(prob, st, ci, work, find):
            done += 1
    return done


def swap_visits(prob: Problem, st: _State, work: WorkBudget, day_radius: int, n_comps: int) -> int:
    """Exchange two visits between crew-days (same day, or up to `day_radius` days apart)
    when risk-weighted lateness does not grow and travel + continuity penalty falls."""
    done = 0
    allowed: dict[int, tuple[set[int], int]] = {}

    def allowed_of(k: int) -> tuple[set[int], int]:
        if k not in allowed:
            days, due = _allowed_days(prob, st, k)
            allowed[k] = (set(days), due)
        return allowed[k]

    for key in sorted(st.person_of):
        if work.exhausted():
            break
        if not st.movable(key):
            continue  # swaps trade travel, never lateness alone: issued visits stay
        a_crew = st.crew_of[key]
        pa = st.person_of[key]
        wa = prob.reqs[pa].weight
        crew_a = prob.crews[a_crew]
        day_a = crew_a.day_index
        comp_a = prob.comp_of(crew_a)
        route_a = st.stops[a_crew]
        pos_a = next(i for i, s in enumerate(route_a) if s.key == key)
        stop_a = route_a[pos_a]
        rest_a = route_a[:pos_a] + route_a[pos_a + 1 :]
        cost_a = _route_cost(prob, a_crew, route_a, work)
        if cost_a is None:
            continue
        days_a, due_a = allowed_of(key)
        best: tuple[int, int, int, list[Stop], list[Stop], int] | None = None
        for d in range(day_a - day_radius, day_a + day_radius + 1):
            if d not in days_a:
                continue
            today = prob.crews_by_day[d]
            for c in prob.ranked_comps(pa, n_comps):
                crew_b = today.get(c)
                if crew_b is None or crew_b.index == a_crew:
                    continue
                route_b = st.stops.get(crew_b.index, [])
                if not route_b:
                    continue
                cost_b = _route_cost(prob, crew_b.index, route_b, work)
                if cost_b is None:
                    continue
                for pos_b, stop_b in enumerate(route_b):
                    pb = st.person_of[stop_b.key]
                    if not st.movable(stop_b.key):
                        continue
                    if pb == pa or prob.static_eligibility(pb, comp_a) is None:
                        continue
                    days_b, due_b = allowed_of(stop_b.key)
                    if day_a not in days_b:
                        continue
                    wb = prob.reqs[pb].weight
                    late_delta = wa * (max(0, d - due_a) - max(0, day_a - due_a)) + wb * (
                        max(0, day_a - due_b) - max(0, d - due_b)
                    )
                    if late_delta > 0:
                        continue
                    rest_b = route_b[:pos_b] + route_b[pos_b + 1 :]
                    ins_a = _insertion(prob, c, rest_b, stop_a, work)
                    if ins_a is None:
                        continue
                    ins_b = _insertion(prob, comp_a, rest_a, stop_b, work)
                    if ins_b is None:
                        continue
                    new_a = rest_a[: ins_b[0]] + [stop_b] + rest_a[ins_b[0] :]
                    new_b = rest_b[: ins_a[0]] + [stop_a] + rest_b[ins_a[0] :]
                    ca = _route_cost(prob, a_crew, new_a, work)
                    cb = _route_cost(prob, crew_b.index, new_b, work)
                    if ca is None or cb is None:
                        continue
                    delta = ca + cb - cost_a - cost_b
                    delta += _cont(prob, pa, crew_b.index) - _cont(prob, pa, a_crew)
                    delta += _cont(prob, pb, a_crew) - _cont(prob, pb, crew_b.index)
                    if (late_delta, delta) >= (0, 0):
                        continue
                    cand = (late_delta, delta, crew_b.index, new_a, new_b, stop_b.key)
                    if best is None or cand[:3] < best[:3]:
                        best = cand
        if best is None:
            continue
        _ld, _delta, b_crew, new_a, new_b, key_b = best
        st.stops[a_crew] = new_a
        st.stops[b_crew] = new_b
        st.crew_of[key] = b_crew
        st.crew_of[key_b] = a_crew
        allowed.pop(key, None)
        allowed.pop(key_b, None)
        done += 1
    return done


def improve(
    prob: Problem, st: _State, work: WorkBudget, keys: Collection[int] | None = None
) -> dict[str, int]:
    """Relocate visits, empty short crew-days and swap visits while it helps, within the
    counted work; returns counts of moves and passes. `keys`: relocate only these visits (a
    re-formed day's, `reform.py`), without emptying crew-days or swapping."""
    moves = 0
    emptied = 0
    swaps = 0
    passes = 0
    converged = 0
    for _ in range(MAX_PASSES):
        passes += 1
        improved = 0
        for key in sorted(st.person_of if keys is None else set(keys) & set(st.person_of)):
            if work.exhausted():
                return {
                    "moves": moves + improved,
                    "emptied": emptied,
                    "swaps": swaps,
                    "passes": passes,
                    "converged": 0,
                }
            if not st.movable(key):
                continue  # a re-plan's issued visits move only to make room (frozen.py)
            p = st.person_of[key]
            r = prob.reqs[p]
            cur_crew = st.crew_of[key]
            days, due = _allowed_days(prob, st, key)
            cur_late = max(0, prob.crews[cur_crew].day_index - due) * r.weight
            order = st.stops[cur_crew]
            pos = next(i for i, s in enumerate(order) if s.key == key)
            stop = order[pos]
            without = order[:pos] + order[pos + 1 :]
            cost_with = _route_cost(prob, cur_crew, order, work)
            cost_without = _route_cost(prob, cur_crew, without, work)
            if cost_with is None or cost_without is None:
                continue
            saving = cost_with - cost_without + _cont(prob, p, cur_crew)
            best = _best_insertion(prob, st, stop, p, days, due, cur_late, {cur_crew}, {}, work)
            if best is None or (best[0], best[1] - saving) >= (cur_late, 0):
                continue
            _late, _added, _d, new_crew, new_pos = best
            st.stops[cur_crew] = without
            target = list(st.stops.get(new_crew, []))
            target.insert(new_pos, stop)
            st.stops[new_crew] = target
            st.crew_of[key] = new_crew
            improved += 1
        moves += improved
        gone = swapped = 0
        if keys is None:
            gone = eliminate_routes(prob, st, work)
            swapped = swap_visits(prob, st, work, SWAP_DAY_RADIUS, SWAP_COMPS)
        emptied += gone
        swaps += swapped
        if not improved and not gone and not swapped:
            converged = 1
            break
        if work.exhausted():
            break
    return {
        "moves": moves,
        "emptied": emptied,
        "swaps": swaps,
        "passes": passes,
        "converged": converged,
    }


def _best_nearer(
    prob: Problem,
    st: _State,
    stop: Stop,
    exclude: int,
    routes: dict[int, list[Stop]],
    work: WorkBudget,
) -> tuple[int, int, int, int] | None:
    """(weighted late, added travel + continuity penalty, crew, position) of the best insertion
    of a visit into a crew-day nearer to it than its own crew (the longer of the officers'
    drives from base), on any day it may move to with no more lateness: every composition on
    duty, not only the nearest few the local search ranks. None if there is none."""
    key = stop.key
    person = st.person_of[key]
    r = prob.reqs[person]
    own = prob.crews[exclude]
    limit = base_drive_min(prob.timer_of(own), stop)
    days, due = _allowed_days(prob, st, key)
    cur_late = max(0, own.day_index - due) * r.weight
    best: tuple[int, int, int, int] | None = None
    for d in days:
        late = max(0, d - due) * r.weight
        if late > cur_late:
            continue
        for comp, crew in sorted(prob.crews_by_day[d].items()):
            work.spend(1)
            if crew.index == exclude or base_drive_min(prob.timers[comp], stop) >= limit:
                continue
            if prob.static_eligibility(person, comp) is None:
                continue
            ins = _into(prob, st, comp, crew.index, stop, person, routes, work)
            if ins is None:
                continue
            cand = (late, ins[0], crew.index, ins[1])
            if best is None or cand < best:
                best = cand
    return best


def _late_of(prob: Problem, st: _State, key: int) -> int:
    r = prob.reqs[st.person_of[key]]
    _days, due = _allowed_days(prob, st, key)
    return max(0, prob.crews[st.crew_of[key]].day_index - due) * r.weight


def _empty_day(prob: Problem, st: _State, ci: int, work: WorkBudget) -> bool:
    """Move every visit of a crew-day to nearer crews when lateness does not grow and travel
    plus continuity penalty falls (the crew then stays at base)."""
    if not all(st.movable(s.key) for s in st.stops[ci]):
        return False

    def find(s: Stop, scratch: dict[int, list[Stop]]) -> tuple[int, int, int] | None:
        best = _best_nearer(prob, st, s, ci, scratch, work)
        if best is None or best[0] > _late_of(prob, st, s.key):
            return None
        return best[1], best[2], best[3]

    return _empty_route(prob, st, ci, work, find)


def _move_out(prob: Problem, st: _State, ci: int, work: WorkBudget) -> int:
    """Move single visits of a crew-day to nearer crews when each move keeps lateness and
    lowers travel plus continuity penalty; returns how many moved."""
    moved = 0
    for s in list(st.stops[ci]):
        if not st.movable(s.key):
            continue
        order = st.stops[ci]
        without = [x for x in order if x.key != s.key]
        cost_with = _route_cost(prob, ci, order, work)
        cost_without = _route_cost(prob, ci, without, work)
        if cost_with is None or cost_without is None:
            continue
        saving = cost_with - cost_without + _cont(prob, st.person_of[s.key], ci)
        best = _best_nearer(prob, st, s, ci, {}, work)
        if best is None or (best[0], best[1] - saving) >= (_late_of(prob, st, s.key), 0):
            continue
        _late, _added, new_crew, pos = best
        st.stops[ci] = without
        target = list(st.stops.get(new_crew, []))
        target.insert(pos, s)
        st.stops[new_crew] = target
        st.crew_of[s.key] = new_crew
        moved += 1
    return moved


def bring_near(prob: Problem, st: _State, work: WorkBudget) -> dict[str, int]:
    """Crew-days that drive far (`why.drives_far`: a long leg, bases far apart, a far visit)
    hand their visits to nearer crews (on the same or another day the visit may take) when
    risk-weighted lateness does not grow and travel plus continuity penalty falls: the whole
    day first (the crew then stays at base), else visit by visit. Chained visits keep their
    day; a visit made early stays inside its rules (`_allowed_days`). Deterministic: crew-days
    by (day, index), counted work, and a move is taken only when it lowers the objective."""
    emptied = moved = 0
    for ci in sorted(st.stops, key=lambda c: (prob.crews[c].day_index, c)):
        if work.exhausted():
            break
        order = st.stops.get(ci, [])
        crew = prob.crews[ci]
        if not drives_far(crew, prob.timer_of(crew), order):
            continue
        if _empty_day(prob, st, ci, work):
            emptied += 1
            moved += len(order)
        else:
            moved += _move_out(prob, st, ci, work)
    return {"near_emptied": emptied, "near_moved": moved}
