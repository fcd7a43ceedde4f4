"""Ruin and recreate on the routed roster: take out a cluster of neighbouring visits over a few
days and put them back together.

The local search (`improve.py`) moves or swaps one or two visits at a time and stops when no
such move helps. Visits of one neighbourhood spread over several days and crews need a bigger
change to be drawn onto fewer, shorter trips: a seed visit is picked, it and its nearest planned
neighbours on days near it are taken out of their routes, and each is put back, most
constrained first, among the crew compositions nearest to it (`improve.NEIGHBOUR_COMPS`) on
any day it may take (`improve._allowed_days`) inside the cluster's days: in half the tries
where it adds the least travel plus continuity penalty, in the other half where it is least
late and then cheapest (`LATE_FIRST_SHARE`). Lateness is a budget, not a per-visit rule: a
visit may go on a later day when another goes on an earlier one, as long as the cluster's
risk-weighted days late do not grow. That is what lets two equally serious overdue visits
trade days so that each crew's day stays in one neighbourhood.

A change is kept when it lowers the risk-weighted days late, or keeps them and lowers travel
plus continuity penalty; one that keeps lateness and costs a little more is kept with a
probability that falls as the search goes on (simulated annealing), so the search can leave a
local optimum. The best roster seen is the one returned. Every changed route is re-timed with
the exact travel model and the caps on visits per officer-day hold (`Problem.visits_left`); a
re-plan's issued visits are never taken out.

Deterministic: a generator seeded with the run's seed picks the seeds and sizes, visits are
taken in a fixed order, and the search is bounded by counted work (`work.WorkBudget`) and by
a number of tries without a new best; the clock is only a safety net.
"""

from __future__ import annotations

import math
import random

import numpy as np

from rso_scheduler.solver.improve import (
    NEIGHBOUR_COMPS,
    _allowed_days,
    _cont,
    _into,
    _route_cost,
    _State,
)
from rso_scheduler.solver.problem import Problem
from rso_scheduler.solver.routing import Stop
from rso_scheduler.solver.work import WorkBudget

MIN_REMOVE = 4  # visits taken out per try, at least ...
MAX_REMOVE = 12  # ... and at most
DAY_RADIUS = 3  # the cluster: neighbours planned up to this many days from the seed's visit
NEIGHBOURS = 40  # nearest planned visits considered per seed
T_START = 10.0  # annealing temperature (minutes of travel + continuity) at the start ...
T_END = 0.5  # ... and at the end of the counted work
# Share of tries that put each visit back least late first (then cheapest); the others put it
# back cheapest first within the cluster's lateness budget
LATE_FIRST_SHARE = 0.5
PATIENCE = 4  # stop after this many tries per movable visit without a new best

Snapshot = tuple[dict[int, list[Stop]], dict[int, int]]


def neighbours(keys: list[int], stops: dict[int, Stop], n: int) -> dict[int, list[int]]:
    """The `n` nearest other visits of each visit, nearest first (straight line on a local
    flat projection; ties by key)."""
    n = min(n, len(keys) - 1)
    if n <= 0:
        return {k: [] for k in keys}
    lat = np.radians(np.array([stops[k].lat for k in keys]))
    lon = np.radians(np.array([stops[k].lon for k in keys]))
    x = lon * np.cos(lat.mean())
    arr = np.array(keys)
    out: dict[int, list[int]] = {}
    for i, k in enumerate(keys):
        d = (x - x[i]) ** 2 + (lat - lat[i]) ** 2
        d[i] = np.inf
        idx = np.argpartition(d, n - 1)[:n]
        idx = idx[np.lexsort((arr[idx], d[idx]))]
        out[k] = [int(arr[j]) for j in idx]
    return out


class _Allowed:
    """`improve._allowed_days` memoised by (visit, its current day): within the search a visit's
    allowed days change only with its own day (chains keep their length)."""

    def __init__(self, prob: Problem, st: _State):
        self.prob = prob
        self.st = st
        self.memo: dict[tuple[int, int], tuple[list[int], int]] = {}

    def __call__(self, key: int) -> tuple[list[int], int]:
        at = (key, self.prob.crews[self.st.crew_of[key]].day_index)
        got = self.memo.get(at)
        if got is None:
            got = self.memo[at] = _allowed_days(self.prob, self.st, key)
        return got


def _snapshot(st: _State) -> Snapshot:
    return {c: list(o) for c, o in st.stops.items()}, dict(st.crew_of)


def _restore(st: _State, snap: Snapshot) -> None:
    stops, crew_of = snap
    st.stops.clear()
    st.stops.update({c: list(o) for c, o in stops.items()})
    st.crew_of.clear()
    st.crew_of.update(crew_of)


def ruin_recreate(prob: Problem, st: _State, work: WorkBudget, seed: int) -> dict[str, int]:
    """Take out and put back clusters of neighbouring visits within the counted work; leaves
    the best roster seen in `st` and returns counts of tries, changes taken and new bests."""
    rng = random.Random(seed)
    keys = sorted(k for k in st.person_of if st.movable(k))
    counts = {"lns_tries": 0, "lns_taken": 0, "lns_improved": 0, "lns_converged": 0}
    if len(keys) < MIN_REMOVE:
        counts["lns_converged"] = 1
        return counts
    stop_of = {s.key: s for order in st.stops.values() for s in order}
    near = neighbours(keys, stop_of, NEIGHBOURS)
    cur = best = (0, 0)  # objective relative to the start: (weighted late, travel + continuity)
    best_state = _snapshot(st)
    since_best = 0
    patience = PATIENCE * len(keys)
    allowed = _Allowed(prob, st)
    while not work.exhausted():
        if since_best >= patience:
            counts["lns_converged"] = 1
            break
        counts["lns_tries"] += 1
        since_best += 1
        temp = T_START * (T_END / T_START) ** min(1.0, work.spent / work.limit)
        seed_key = keys[rng.randrange(len(keys))]
        size = rng.randint(MIN_REMOVE, MAX_REMOVE)
        day0 = prob.crews[st.crew_of[seed_key]].day_index
        removed = [seed_key]
        for k in near[seed_key]:
            if len(removed) >= size:
                break
            if abs(prob.crews[st.crew_of[k]].day_index - day0) <= DAY_RADIUS:
                removed.append(k)
        delta = _try(prob, st, removed, rng, work, temp, allowed)
        if delta is None:
            continue
        counts["lns_taken"] += 1
        cur = (cur[0] + delta[0], cur[1] + delta[1])
        if cur < best:
            best = cur
            best_state = _snapshot(st)
            since_best = 0
            counts["lns_improved"] += 1
    if cur != best:
        _restore(st, best_state)
    return counts


def _try(
    prob: Problem,
    st: _State,
    removed: list[int],
    rng: random.Random,
    work: WorkBudget,
    temp: float,
    allowed: _Allowed,
) -> tuple[int, int] | None:
    """Take `removed` out and put them back. Applies the change and returns its (weighted late,
    travel + continuity) delta when it is taken; None (nothing changed) otherwise."""
    old_crew = {k: st.crew_of[k] for k in removed}
    touched = set(old_crew.values())
    old_late = 0
    options: dict[int, list[tuple[int, int]]] = {}
    for k, c in old_crew.items():
        days, due = allowed(k)
        w = prob.reqs[st.person_of[k]].weight
        old_late += max(0, prob.crews[c].day_index - due) * w
        options[k] = [(d, max(0, d - due) * w) for d in days]
    old_cost = sum(_cont(prob, st.person_of[k], c) for k, c in old_crew.items())
    for ci in sorted(touched):
        cost = _route_cost(prob, ci, st.stops[ci], work)
        if cost is None:
            return None
        old_cost += cost
    gone = set(removed)
    scratch = {ci: [s for s in st.stops[ci] if s.key not in gone] for ci in sorted(touched)}
    stop_of = {s.key: s for ci in touched for s in st.stops[ci] if s.key in gone}
    day_of = [prob.crews[c].day_index for c in old_crew.values()]
    lo, hi = min(day_of) - 1, max(day_of) + 1
    # each visit's days inside the cluster, with its weighted lateness on each
    for k in removed:
        options[k] = [(d, late) for d, late in options[k] if lo <= d <= hi]
        if not options[k]:
            return None
    lowest = {k: min(late for _d, late in opts) for k, opts in options.items()}
    # most constrained first: fewest days, then the most serious; ties in random order
    order = sorted(
        removed,
        key=lambda k: (len(options[k]), -prob.reqs[st.person_of[k]].weight, rng.random()),
    )
    still = sum(lowest.values())  # the least lateness the visits not yet placed can have
    new_late = 0
    new_crew: dict[int, int] = {}
    late_first = rng.random() < LATE_FIRST_SHARE
    for k in order:
        person = st.person_of[k]
        still -= lowest[k]
        room = old_late - new_late - still  # lateness this visit may take
        comps = prob.ranked_comps(person, NEIGHBOUR_COMPS)
        best: tuple[int, int, int, int] | None = None  # (added cost, late, crew, position)
        for d, late in options[k]:
            if late > room:
                continue
            today = prob.crews_by_day[d]
            for c in comps:
                crew = today.get(c)
                if crew is None:
                    continue
                ins = _into(prob, st, c, crew.index, stop_of[k], person, scratch, work)
                if ins is None:
                    continue
                cand = (
                    (late, ins[0], crew.index, ins[1])
                    if late_first
                    else (ins[0], late, crew.index, ins[1])
                )
                if best is None or cand < best:
                    best = cand
        if best is None:
            return None
        if late_first:
            late, _added, ci, pos = best
        else:
            _added, late, ci, pos = best
        route = list(scratch.get(ci, st.stops.get(ci, [])))
        route.insert(pos, stop_of[k])
        scratch[ci] = route
        new_crew[k] = ci
        new_late += late
    new_cost = sum(_cont(prob, st.person_of[k], c) for k, c in new_crew.items())
    for ci, route in sorted(scratch.items()):
        cost = _route_cost(prob, ci, route, work)
        if cost is None:
            return None
        new_cost += cost
        if ci not in touched:
            before = _route_cost(prob, ci, st.stops.get(ci, []), work)
            if before is None:
                return None
            new_cost -= before
    d_late, d_cost = new_late - old_late, new_cost - old_cost
    if d_late > 0:
        return None
    if d_late == 0 and d_cost >= 0 and rng.random() >= math.exp(-(d_cost + 1) / temp):
        return None
    for ci, route in scratch.items():
        st.stops[ci] = route
    for k, ci in new_crew.items():
        st.crew_of[k] = ci
    return d_late, d_cost
