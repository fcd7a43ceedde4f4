"""Re-route each day's crews together with PyVRP's hybrid genetic search, then keep the result
only where the planner's own timing engine agrees.

The month's passes (assignment, repair, relocate/swap, ruin and recreate) move one or a few
visits at a time between crew-days; on a day with tight windows and many crews that leaves
visits unplaced that a whole-day re-route places, and routes some percent longer than the best
known (bench/bench_vrptw.py). One day's crews and visits are a vehicle routing problem with
time windows and several depots, which PyVRP solves well (route-based crossover, SWAP*,
penalised infeasibility). Each day becomes one PyVRP problem:

- a vehicle per crew-day; its depot is a point of its own, whose legs to and from each visit are
  the crew's: the drive out is charged as the officers' minutes summed (the planner's cost) and
  timed as the last officer's arrival after their shift start; the drive back is charged summed
  and timed so that every officer is back by their own shift end (`routing.CrewTimer` rules);
- the visits planned that day are required clients; an owed visit still unplaced that may be
  made that day (no visit of the person planned, one owed, the day allowed and not past a
  deadline) is an optional client with a prize worth more than any drive, so it is placed
  wherever a route has room;
- a profile per crew carries what differs between crews: eligibility (a visit a crew may not
  make costs more than any plan) and the continuity charge (`Problem.continuity_cost`);
- a crew's visit cap is its vehicle's capacity.

PyVRP proposes; the planner disposes: every proposed route is re-timed by the crew's
`CrewTimer` (the one timing engine), eligibility and the caps (split crews' shared caps too) are
checked, and the day is taken only if it places more owed visits, or as many for less travel
plus continuity. Days holding a re-plan's pinned visits are left as they are; a day holding its
other issued visits is re-made only when that places a visit the re-plan would miss (misses
first, then lateness, then change). Deterministic:
PyVRP is seeded and stopped by a count of iterations derived from the time budget, never the
clock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from rso_scheduler.rules import last_owed_floor
from rso_scheduler.solver.problem import Problem, owed_count
from rso_scheduler.solver.routing import Stop
from rso_scheduler.solver.state import State

FORBIDDEN = 10**9  # cost and duration of an edge into a visit the crew may not make
PRIZE = 10**7  # an unplaced owed visit's prize: more than any day's drives
ITERS_PER_S = 500  # PyVRP iterations per second of the budget share (100 visits, one quiet core)
PATIENCE = 4000  # a day's search also ends after this many iterations without a better route
MIN_ITERS = 300  # per day
MAX_ITERS = 100_000  # per day


@dataclass
class _Day:
    crews: list[int]  # crew indices (vehicles, in order)
    stops: list[Stop]  # clients, in order: planned visits first, then candidates
    person: list[int]  # person of each client
    required: int  # the first `required` clients are planned visits
    holds_kept: bool = False  # a re-plan's issued visits: re-routed only to save a miss


def available() -> bool:
    """Is PyVRP importable (a wheel on PyPI; the planner says so when it is not)?"""
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


def _candidates(prob: Problem, st: State, day: int) -> list[int]:
    """People whose single owed visit is unplaced and may be made on `day`."""
    out = []
    for p, r in enumerate(prob.reqs):
        if r.optional or st.by_person.get(p) or owed_count(prob, p) != 1:
            continue
        lo = max(
            (r.first_earliest - prob.start).days,
            (last_owed_floor(r, prob.end, 1)[0] - prob.start).days,
        )
        if day < lo or not r.available_on(prob.day(day)) or prob.past_deadline(p, 0, day):
            continue
        out.append(p)
    return out


def _day_problem(prob: Problem, st: State, day: int, with_candidates: bool) -> _Day | None:
    crews = sorted(c.index for c in prob.crews_by_day[day].values())
    if not crews:
        return None
    stops: list[Stop] = []
    person: list[int] = []
    kept = False
    for ci in crews:
        for s in st.stops.get(ci, []):
            if s.key in st.frozen:
                return None  # a re-plan's pinned visits stay exactly as they are
            kept = kept or s.key in st.kept
            stops.append(s)
            person.append(st.person_of[s.key])
    required = len(stops)
    if with_candidates:
        for p in _candidates(prob, st, day):
            stops.append(prob.stop(p, -1 - p))
            person.append(p)
    if len(stops) <= required and required < 2:
        return None
    return _Day(crews, stops, person, required, kept)


def _data(prob: Problem, d: _Day) -> Any:
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    k, m = len(d.crews), len(d.stops)
    n = k + m
    cache = prob.cache
    timers = [prob.timer_of(prob.crews[ci]) for ci in d.crews]
    locs = []
    for t in timers:
        lat = sum(b.lat for b in t.bases) / len(t.bases)
        lon = sum(b.lon for b in t.bases) / len(t.bases)
        locs.append(Location(x=round(lon * 1e5), y=round(lat * 1e5)))
    locs += [Location(x=round(s.lon * 1e5), y=round(s.lat * 1e5)) for s in d.stops]
    inner = np.zeros((m, m), dtype=np.int64)
    for i, a in enumerate(d.stops):
        for j, b in enumerate(d.stops):
            if i != j:
                inner[i, j] = cache.minutes(a.place, b.place)
    caps = [prob.crews[ci].max_visits for ci in d.crews]
    use_load = any(c is not None for c in caps)
    end_cap = [t.end_cap for t in timers]
    clients = [
        Client(
            location=k + i,
            delivery=[1] if use_load else [],
            service_duration=s.duration_min,
            tw_early=s.window_start_min,
            tw_late=max(s.window_start_min, min(s.window_end_min, max(end_cap)) - s.duration_min),
            prize=0 if i < d.required else PRIZE * prob.reqs[d.person[i]].weight,
            required=i < d.required,
        )
        for i, s in enumerate(d.stops)
    ]
    depots = [Depot(location=v) for v in range(k)]
    dist_mats: list[Any] = []
    dur_mats: list[Any] = []
    vtypes = []
    for v, (ci, t) in enumerate(zip(d.crews, timers, strict=True)):
        n_off = len(t.officers)
        dist = np.full((n, n), FORBIDDEN, dtype=np.int64)
        dur = np.full((n, n), FORBIDDEN, dtype=np.int64)
        dist[k:, k:] = n_off * inner
        dur[k:, k:] = inner
        comp = prob.comp_of(prob.crews[ci])
        for i, s in enumerate(d.stops):
            out = t.out_legs(s)
            back = t.back_legs(s)
            ok = prob.static_eligibility(d.person[i], comp) is not None
            extra = prob.continuity_cost(d.person[i], ci)
            if not ok:
                dist[k:, k + i] = FORBIDDEN
                dur[k:, k + i] = FORBIDDEN
                continue
            dist[v, k + i] = sum(out) + extra
            dist[k:, k + i] += extra
            dur[v, k + i] = max(s0 + o for s0, o in zip(t.starts, out, strict=True))
            dist[k + i, v] = sum(back)
            dur[k + i, v] = max(
                0, max(b + t.end_cap - e for b, e in zip(back, t.ends, strict=True))
            )
        np.fill_diagonal(dist, 0)
        np.fill_diagonal(dur, 0)
        dist_mats.append(dist)
        dur_mats.append(dur)
        cap = caps[v]
        vtypes.append(
            VehicleType(
                num_available=1,
                capacity=[cap if cap is not None else m] if use_load else [],
                start_depot=v,
                end_depot=v,
                tw_early=0,
                tw_late=t.end_cap,
                profile=v,
            )
        )
    return ProblemData(locs, clients, depots, vtypes, dist_mats, dur_mats)


def _day_cost(
    prob: Problem, st: State, crews: list[int], routes: dict[int, list[Stop]]
) -> int | None:
    total = 0
    for ci in crews:
        order = routes.get(ci, [])
        ev = prob.timer_of(prob.crews[ci]).evaluate(order)
        if ev is None:
            return None
        total += ev[0]
        for s in order:
            p = st.person_of.get(s.key)
            if p is not None:
                total += prob.continuity_cost(p, ci)
    return total


def _caps_hold(prob: Problem, routes: dict[int, list[Stop]], st: State) -> bool:
    def routed(i: int) -> int:
        return len(routes.get(i, st.stops.get(i, [])))

    return all((left := prob.visits_left(ci, routed)) is None or left >= 0 for ci in routes)


def reroute_days(
    prob: Problem, st: State, seconds: float, seed: int, safety_deadline: float
) -> dict[str, int]:
    """Re-route every day's crews together (see the module docstring); returns counts.

    `safety_deadline` (time.monotonic()) is only a net for an overloaded machine: the counted
    iterations end each search; `dayroute_stopped_by_clock` says when the net cut one short."""
    import time
    import warnings

    from pyvrp import Route, Solution, SolveParams, solve
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

    taken = placed = rejected = days = iterations = clock = 0
    # the counted work, shared among days by their planned visits (never the clock)
    weight = [
        sum(len(st.stops.get(c.index, [])) for c in prob.crews_by_day[day].values()) + 1
        for day in range(prob.n_days)
    ]
    total = ITERS_PER_S * seconds
    for day in range(prob.n_days):
        if time.monotonic() >= safety_deadline:
            clock = 1
            break
        d = _day_problem(prob, st, day, with_candidates=True)
        if d is None:
            continue
        days += 1
        iters = int(min(MAX_ITERS, max(MIN_ITERS, total * weight[day] / sum(weight))))
        iterations += iters
        data = _data(prob, d)
        # the day as planned is the search's start: what comes back is never worse
        start, i = [], 0
        for v, ci in enumerate(d.crews):
            n = len(st.stops.get(ci, []))
            if n:
                start.append(Route(data, list(range(i, i + n)), v))
            i += n
        with warnings.catch_warnings():  # its penalty bounds: the prizes are large on purpose
            warnings.simplefilter("ignore")
            res = solve(
                data,
                initial_solution=Solution(data, start),
                stop=MultipleCriteria(
                    [
                        MaxIterations(iters),
                        NoImprovement(PATIENCE),
                        MaxRuntime(max(0.01, safety_deadline - time.monotonic())),
                    ]
                ),
                seed=seed,
                collect_stats=False,
                display=False,
                params=SolveParams(),
            )
        if time.monotonic() >= safety_deadline:
            clock = 1
        sol = res.best
        if not sol.is_feasible():
            rejected += 1
            continue
        routes: dict[int, list[Stop]] = {ci: [] for ci in d.crews}
        new: list[tuple[int, int, int]] = []  # (crew, position, client)
        for r in sol.routes():
            ci = d.crews[r.vehicle_type()]
            order: list[Stop] = []
            for act in r.schedule():
                flag = act.is_client
                if not (flag() if callable(flag) else flag):
                    continue
                i = int(act.idx)
                if i >= d.required:
                    new.append((ci, len(order), i))
                order.append(d.stops[i])
            routes[ci] = order
        # the engine's word: re-time every route, check eligibility and caps
        index = {s.key: i for i, s in enumerate(d.stops)}
        ok = all(
            prob.static_eligibility(d.person[index[s.key]], prob.comp_of(prob.crews[ci]))
            is not None
            for ci, order in routes.items()
            for s in order
        )
        for ci, pos, i in new:  # a new visit gets its own key before it is costed
            routes[ci][pos] = st.new_stop(d.person[i])
            st.person_of[routes[ci][pos].key] = d.person[i]
        before = _day_cost(prob, st, d.crews, {ci: st.stops.get(ci, []) for ci in d.crews})
        after = _day_cost(prob, st, d.crews, routes) if ok else None
        if (
            after is None
            or not _caps_hold(prob, routes, st)
            or before is None
            # issued visits of a re-plan move only to save a miss
            or (not new and (after >= before or d.holds_kept))
        ):
            ok = False
        if not ok:
            for ci, pos, _i in new:
                st.person_of.pop(routes[ci][pos].key, None)
            if after is None:
                rejected += 1
            continue
        taken += 1
        for ci in d.crews:
            st.stops[ci] = routes[ci]
            for s in routes[ci]:
                st.crew_of[s.key] = ci
        for ci, pos, i in new:
            st.by_person[d.person[i]].append(routes[ci][pos].key)
            placed += 1
    return {
        "dayroute_days": days,
        "dayroute_taken": taken,
        "dayroute_placed": placed,
        "dayroute_rejected": rejected,
        "dayroute_iterations": iterations,
        "dayroute_stopped_by_clock": clock,
    }


def missing_by_day(prob: Problem, st: State) -> dict[int, int]:
    """Owed single visits still unplaced that each day could take (for diagnostics)."""
    out: dict[int, int] = defaultdict(int)
    for day in range(prob.n_days):
        out[day] = len(_candidates(prob, st, day))
    return dict(out)
