"""Workload balance on the finished roster: officers trade places between crews of a day.

Each officer's fair share of the month's officer-visits is proportional to their available
days (the crew-days they are on). On a day, officer `a` of crew C1 and officer `b` of crew C2
trade places (C1 - a + b, C2 - b + a). The visits and their days stay (a route may be
re-ordered), so missed visits and lateness cannot change. An exchange must never make the
workload less balanced (sum of squared deviations from the fair shares) nor put the named
offender managers on fewer visits; both new crews must be able to work together (shared shift
hours, skills, strict areas, max visits per day) and both routes must still fit exactly. It is
taken when it puts a named manager on more visits (for at most the policy's
`[planner] continuity_minutes` of added travel each), saves travel, or balances the workload,
at a travel cost of at most `MOVE_MAX_ADDED_MIN` per exchange and `TOTAL_MAX_ADDED_PCT` of the
roster's travel in all (travel ranks above balance in the objective). With
`continuity_minutes = 0` the named managers count for nothing here either. Among the allowed
exchanges of two crews the best is taken in the objective's order: continuity, travel, balance.

Moving single visits towards less busy officers was tried first and dropped: on the force month
it added 100-200 travel minutes for almost no gain in balance (load CV 0.294 against 0.311),
because the less busy officers are mostly in other areas, on crews whose shared shift is short,
or the named manager of few people.

Deterministic: days, crews and officers are taken in sorted order, passes are bounded.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from typing import Protocol

from rso_scheduler.geo import haversine_km
from rso_scheduler.models import Officer
from rso_scheduler.rules import crew_can_make, crew_max_visits
from rso_scheduler.solver.crews import CrewDay, can_pair
from rso_scheduler.solver.problem import Problem
from rso_scheduler.solver.routing import CrewTimer, Stop

MAX_PASSES = 4
MAX_BASE_KM = 60.0  # only officers whose bases are this close trade places
MOVE_MAX_ADDED_MIN = 10  # exact travel one exchange may add (both crews together)
TOTAL_MAX_ADDED_PCT = 1  # ... and all exchanges together, % of the roster's travel


class _State(Protocol):
    stops: dict[int, list[Stop]]
    person_of: dict[int, int]
    crew_of: dict[int, int]
    by_person: dict[int, list[int]]
    frozen: set[int]  # a re-plan's pinned visits: never moved (solver/state.py)
    kept: set[int]  # a re-plan's issued visits: moved only to save a miss or lateness

    def movable(self, key: int) -> bool: ...


def officer_loads(prob: Problem, st: _State) -> tuple[dict[str, int], dict[str, int]]:
    """(visits, available crew-days) per officer in the current roster."""
    load: dict[str, int] = defaultdict(int)
    avail: dict[str, int] = defaultdict(int)
    for crew in prob.crews:
        n = len(st.stops.get(crew.index, []))
        for oid in crew.officer_ids:
            first = prob.split_crews.get((oid, crew.day_index), (crew.index,))[0]
            avail[oid] += crew.index == first  # a day in two split crews is one day
            load[oid] += n
    return dict(load), dict(avail)


def fair_shares(load: dict[str, int], avail: dict[str, int]) -> dict[str, float]:
    """Each officer's share of the officer-visits, proportional to their available days."""
    total_visits = sum(load.values())
    total_days = sum(avail.values())
    if not total_days:
        return {o: 0.0 for o in avail}
    return {o: total_visits * n / total_days for o, n in avail.items()}


def _timer(prob: Problem, officers: tuple[Officer, ...]) -> CrewTimer:
    """The timer of a crew composition, registered in the problem if it is new."""
    # exchanges are between whole-day crews only
    return prob.timers[prob.add_comp((tuple(o.officer_id for o in officers), None))]


def _continuity(prob: Problem, st: _State, officers: tuple[Officer, ...], order: list[Stop]) -> int:
    """What the named managers on a route are worth: visits they make x the policy's
    `[planner] continuity_minutes` (0 when the force ignores continuity)."""
    ids = {o.officer_id for o in officers}
    made = sum(1 for s in order if prob.reqs[st.person_of[s.key]].manager_id in ids)
    return made * prob.policy.planner.continuity_minutes


def _route(
    prob: Problem, st: _State, officers: tuple[Officer, ...], order: list[Stop]
) -> tuple[list[Stop], int] | None:
    """(visiting order, exact travel) of the stops with another crew, or None if they do not fit."""
    if not order:
        return [], 0
    if any(
        crew_can_make(prob.reqs[st.person_of[s.key]], officers, prob.area_mode) is not None
        for s in order
    ):
        return None
    if crew_max_visits(officers, len(order) - 1) is not None:
        return None
    timer = _timer(prob, officers)
    comp = prob.comp_index[(tuple(o.officer_id for o in officers), None)]
    if any(prob.leg_over(st.person_of[s.key], comp) is not None for s in order):
        return None  # a trade never drives beyond `[planner] max_leg_minutes`
    ev = timer.evaluate(order)
    if ev is not None:
        return list(order), ev[0]
    best = timer.best_order(order)
    if best is None:
        return None
    ev = timer.evaluate(best)
    return None if ev is None else (best, ev[0])


def _replace_crew(prob: Problem, crew: CrewDay, officers: tuple[Officer, ...], why: str) -> None:
    new = dataclasses.replace(
        crew,
        officers=officers,
        formed_because=f"{why} (formed as {crew.crew_id}: {crew.formed_because})",
        formed_short=why,  # the trade alone: the chain stays in formed_because (formed_detail)
        traded=True,
    )
    prob.crews[crew.index] = new
    today = prob.crews_by_day[crew.day_index]
    today.pop(prob.comp_of(crew), None)
    today[prob.comp_of(new)] = new


def exchange_officers(prob: Problem, st: _State, deadline: float) -> dict[str, int]:
    """Trade officers between crews of the same day while it balances the workload."""
    load, avail = officer_loads(prob, st)
    share = fair_shares(load, avail)
    travel: dict[int, int] = {}
    for ci, order in st.stops.items():
        if order:
            crew = prob.crews[ci]
            ev = prob.timer_of(crew).evaluate(order)
            travel[ci] = ev[0] if ev is not None else 0
    budget = sum(travel.values()) * TOTAL_MAX_ADDED_PCT // 100
    spent = 0
    done = 0
    passes = 0

    def dev(oid: str, n: int) -> float:
        return (n - share[oid]) ** 2

    for _ in range(MAX_PASSES):
        passes += 1
        changed = 0
        for d in range(prob.n_days):
            if time.monotonic() > deadline:  # a safety net only: passes bound the work
                return {
                    "exchanges": done,
                    "exchange_passes": passes,
                    "exchange_added_min": spent,
                    "exchanges_stopped_by_clock": 1,
                }
            # a split crew's officers work in another crew too: they keep their places
            crews = sorted(
                (c for c in prob.crews_by_day[d].values() if c.part is None),
                key=lambda c: c.index,
            )
            for i, c1 in enumerate(crews):
                for c2 in crews[i + 1 :]:
                    c1 = prob.crews[c1.index]  # may have been replaced in this loop
                    c2 = prob.crews[c2.index]
                    if not all(
                        st.movable(s.key)
                        for s in st.stops.get(c1.index, []) + st.stops.get(c2.index, [])
                    ):
                        continue  # a re-plan's issued visits keep their crew
                    n1 = len(st.stops.get(c1.index, []))
                    n2 = len(st.stops.get(c2.index, []))
                    best: tuple[float, int, Officer, Officer] | None = None
                    best_key: tuple[int, int, float, str, str] = (0, 0, 0.0, "", "")
                    best_routes: tuple[list[Stop], list[Stop]] | None = None
                    for a in c1.officers:
                        for b in c2.officers:
                            gain = (
                                dev(a.officer_id, load[a.officer_id] - n1 + n2)
                                + dev(b.officer_id, load[b.officer_id] - n2 + n1)
                                - dev(a.officer_id, load[a.officer_id])
                                - dev(b.officer_id, load[b.officer_id])
                            )
                            if haversine_km(a.base_lat, a.base_lon, b.base_lat, b.base_lon) > (
                                MAX_BASE_KM
                            ):
                                continue  # far apart: the routes would change a lot
                            new1 = tuple(
                                sorted(
                                    [o for o in c1.officers if o is not a] + [b],
                                    key=lambda o: o.officer_id,
                                )
                            )
                            new2 = tuple(
                                sorted(
                                    [o for o in c2.officers if o is not b] + [a],
                                    key=lambda o: o.officer_id,
                                )
                            )
                            if any(len(n) == 2 and not can_pair(*n) for n in (new1, new2)):
                                continue
                            o1 = st.stops.get(c1.index, [])
                            o2 = st.stops.get(c2.index, [])
                            cont_before = _continuity(prob, st, c1.officers, o1) + _continuity(
                                prob, st, c2.officers, o2
                            )
                            cont_after = _continuity(prob, st, new1, o1) + _continuity(
                                prob, st, new2, o2
                            )
                            if cont_after < cont_before:
                                continue
                            if gain > 1e-9 and cont_after == cont_before:
                                continue  # less balanced only for more continuity
                            r1 = _route(prob, st, new1, o1)
                            r2 = _route(prob, st, new2, o2)
                            if r1 is None or r2 is None:
                                continue
                            added = (
                                r1[1] + r2[1] - travel.get(c1.index, 0) - travel.get(c2.index, 0)
                            )
                            if added > MOVE_MAX_ADDED_MIN or spent + max(0, added) > budget:
                                continue
                            more_cont = cont_after - cont_before
                            # more continuity is worth its minutes of travel, no more
                            if not (
                                (more_cont > 0 and added <= more_cont) or added < 0 or gain < -1e-9
                            ):
                                continue
                            # continuity first, then travel, then balance (the objective's order)
                            key = (-more_cont, added, gain, a.officer_id, b.officer_id)
                            if best is None or key < best_key:
                                best = (gain, added, a, b)
                                best_key = key
                                best_routes = (r1[0], r2[0])
                                best_new = (new1, new2, r1[1], r2[1])
                    if best is None or best_routes is None:
                        continue
                    _gain, added, a, b = best
                    new1, new2, t1, t2 = best_new
                    _timer(prob, new1)
                    _timer(prob, new2)
                    more_cont = -best_key[0]
                    gained = (
                        "puts a named offender manager on their person's visit"
                        if more_cont > 0
                        else f"saves {-added} travel minute{'s' if added != -1 else ''}"
                        if added < 0
                        else "balances the workload"
                    )
                    why = f"{a.officer_id} and {b.officer_id} traded places: {gained}"
                    _replace_crew(prob, c1, new1, why)
                    _replace_crew(prob, c2, new2, why)
                    if st.stops.get(c1.index):
                        st.stops[c1.index] = best_routes[0]
                        travel[c1.index] = t1
                    if st.stops.get(c2.index):
                        st.stops[c2.index] = best_routes[1]
                        travel[c2.index] = t2
                    load[a.officer_id] += n2 - n1
                    load[b.officer_id] += n1 - n2
                    spent += added
                    changed += 1
        done += changed
        if not changed:
            break
    return {"exchanges": done, "exchange_passes": passes, "exchange_added_min": spent}
