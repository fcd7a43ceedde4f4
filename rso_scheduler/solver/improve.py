"""Local search on the routed roster: move single visits to better crew-days.

The assignment model works with estimated travel; once every crew-day is routed exactly, a
visit is moved (removed from its route and inserted at the cheapest feasible place of another
crew-day) when that lowers, in this order, the risk-weighted days late, then travel plus a
continuity penalty. Moves never break a hard rule: every changed route is re-timed with the
exact travel model, and only visits whose date can move freely are moved (people with one
visit in the plan; chained visits stay on their day but may change crew).

Deterministic: visits are taken in a fixed order, passes are bounded by count, and the clock
is consulted only as a safety net.
"""

from __future__ import annotations

import time
from typing import Protocol

from rso_scheduler.solver.assign import W_CONT
from rso_scheduler.solver.problem import Problem, due_index
from rso_scheduler.solver.routing import Stop

MAX_PASSES = 4
NEIGHBOUR_COMPS = 12  # crew compositions tried per visit (nearest eligible first)


class _State(Protocol):
    stops: dict[int, list[Stop]]
    person_of: dict[int, int]
    crew_of: dict[int, int]
    by_person: dict[int, list[int]]


def _route_cost(prob: Problem, crew_idx: int, order: list[Stop]) -> int | None:
    crew = prob.crews[crew_idx]
    ev = prob.timers[prob.comp_index[crew.officer_ids]].evaluate(order)
    return None if ev is None else ev[0]


def _cont(prob: Problem, person: int, crew_idx: int) -> int:
    m = prob.reqs[person].manager_id
    return 0 if m is None or m in prob.crews[crew_idx].officer_ids else W_CONT


def improve(
    prob: Problem, st: _State, deadline: float, pull_forward_keys: set[int]
) -> dict[str, int]:
    """Relocate visits while it helps; returns counts of moves made and passes run."""
    moves = 0
    passes = 0
    last_day = prob.n_days - 1
    for _ in range(MAX_PASSES):
        passes += 1
        improved = 0
        keys = sorted(st.person_of)
        for key in keys:
            if time.monotonic() > deadline:
                return {"moves": moves, "passes": passes, "stopped_by_clock": 1}
            p = st.person_of[key]
            r = prob.reqs[p]
            cur_crew = st.crew_of[key]
            cur_day = prob.crews[cur_crew].day_index
            chained = len(st.by_person[p]) > 1
            if chained:
                days = [cur_day]
                due = cur_day  # lateness unchanged on the same day
            else:
                lo = (r.first_earliest - prob.start).days
                if key in pull_forward_keys:
                    lo = max(lo, prob.n_days - r.interval_days)
                days = [d for d in range(max(lo, 0), last_day + 1) if r.available_on(prob.day(d))]
                due = due_index(prob, p) if key not in pull_forward_keys else last_day + 1
            cur_late = max(0, cur_day - due) * r.weight
            order = st.stops[cur_crew]
            pos = next(i for i, s in enumerate(order) if s.key == key)
            stop = order[pos]
            without = order[:pos] + order[pos + 1 :]
            cost_with = _route_cost(prob, cur_crew, order)
            cost_without = _route_cost(prob, cur_crew, without)
            if cost_with is None or cost_without is None:
                continue
            saving = cost_with - cost_without + _cont(prob, p, cur_crew)
            comps = prob.ranked_comps(p, NEIGHBOUR_COMPS)
            best: tuple[int, int, int, int, int] | None = None  # late, delta, day, crew, pos
            for d in days:
                late = max(0, d - due) * r.weight
                if late > cur_late:
                    continue
                today = prob.crews_by_day[d]
                for c in comps:
                    crew = today.get(c)
                    if crew is None or crew.index == cur_crew:
                        continue
                    other = st.stops.get(crew.index, [])
                    if crew.max_visits is not None and len(other) >= crew.max_visits:
                        continue
                    ins = prob.timers[c].cheapest_insertion(other, stop)
                    if ins is None:
                        continue
                    delta = ins[1] + _cont(prob, p, crew.index) - saving
                    cand = (late, delta, d, crew.index, ins[0])
                    if (late, delta) < (cur_late, 0) and (best is None or cand < best):
                        best = cand
            if best is None:
                continue
            _late, _delta, _d, new_crew, new_pos = best
            st.stops[cur_crew] = without
            target = list(st.stops.get(new_crew, []))
            target.insert(new_pos, stop)
            st.stops[new_crew] = target
            st.crew_of[key] = new_crew
            improved += 1
        moves += improved
        if not improved:
            break
    return {"moves": moves, "passes": passes, "stopped_by_clock": 0}
