"""Assignment of owed visits to crew-days: a CP-SAT model, with a greedy start.

Booleans x[slot, crew-day] exist only for candidates (see `problem`). Per crew-day, capacity in
minutes (visit duration plus an estimate of travel) and in visits (max_visits_per_day, shared
by an officer's two parts of a day in split crews); per
person, chained visits linked by day variables (minimum gap, the next due date moving with the
planned date). The objective is lexicographic in spirit, by weights far enough apart:
missed (x risk weight) >> days late (x risk weight) >> continuity of the named offender
manager > estimated travel > cross-area (prefer mode) > workload balance.

The exact timing is done afterwards by `routing`; what does not fit there is cut from this
model and the model solved again.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from rso_scheduler.rules import last_owed_floor
from rso_scheduler.signals import stop_on_signal
from rso_scheduler.solver.problem import COMPS_PER_PERSON, Problem, Slot, due_index, owed_count

W_MISS = 1_000_000  # per unit of risk weight: a missed owed visit
W_LATE = 2_000  # per risk-weighted day late
# Days late a heuristic counts for a day past a long plan's keep-count deadline (a miss)
PAST_DEADLINE = 100_000
# A visit made without the person's named offender manager costs the policy's
# `[planner] continuity_minutes` (`Problem.continuity_cost`).
W_AREA = 30  # per officer from another area (areas mode "prefer")
W_TRAVEL = 1  # per estimated travel minute (one way, summed over officers)
W_BAL = 10  # per visit of the busiest officer's month
STOP_SLACK_MIN = 5  # capacity estimate: minutes per stop on top of its share of travel
USAGE_TRAVEL_PCT = 60  # capacity estimate: share of the one-way travel charged per stop
# Above this many candidates the LP-based full-problem subsolvers are left out (memory, speed).
LARGE_MODEL_CANDIDATES = 25_000
LP_SUBSOLVERS = (
    "default_lp",
    "max_lp",
    "core",
    "pseudo_costs",
    "reduced_costs",
    "quick_restart",
    "quick_restart_no_lp",
)
MAX_MEMORY_MB = 1500  # CP-SAT stops searching (keeping its best solution) above this
ZONE_KM = 8.0  # map cells for the trip cost (0: charge every visit its one-way travel)
ZONE_STOP_MIN = 5  # estimated travel per visit inside a cell, per officer
CREWS_PER_DAY = 3  # nearest eligible crews offered per day on or before the due date
CREWS_PER_LATE_DAY = 6  # ... and per day after it


@dataclass(frozen=True)
class Candidate:
    """A slot that a crew-day may take, with its cost terms."""

    slot: int
    crew: int
    day: int
    usage_min: int  # capacity estimate
    cost: int  # continuity + travel + area terms (lateness of slot 0 added in the model)
    zone: int = 0  # the person's map cell (visits in one cell on one crew-day share a trip)
    trip_cost: int = 0  # estimated travel of a trip from the crew's bases to that cell


@dataclass
class AssignResult:
    """Plain result of one assignment solve."""

    chosen: dict[int, int]  # slot -> crew index
    status: str
    objective: float
    bound: float
    wall_s: float
    deterministic_s: float
    stopped_by_clock: bool = False  # the wall-clock safety net, not the deterministic limit


def build_candidates(prob: Problem, forbidden: set[tuple[int, int]]) -> list[Candidate]:
    """Every (slot, crew-day) pair the model may choose, sorted by (slot, crew)."""
    out: list[Candidate] = []
    zones = zone_of_people(prob)
    for s in prob.slots:
        r = prob.reqs[s.person]
        comps = prob.ranked_comps(s.person, COMPS_PER_PERSON)
        manager_comps = [
            c for c in comps if r.manager_id is not None and r.manager_id in prob.comps[c]
        ]
        due = due_index(prob, s.person) if s.seq == 0 else prob.n_days
        for d in prob.slot_days(s):
            today = prob.crews_by_day[d]
            # late days are where capacity binds: offer more crews there
            width = CREWS_PER_DAY if d <= due else CREWS_PER_LATE_DAY
            picked = [c for c in comps if c in today][:width]
            for c in manager_comps:
                if c in today and c not in picked:
                    picked.append(c)
            for c in picked:
                crew = today[c]
                if (s.index, crew.index) in forbidden:
                    continue
                elig = prob.static_eligibility(s.person, c)
                assert elig is not None
                mismatch, travel_sum = elig
                approx = int(prob.approx_min[s.person, c]) if prob.approx_min is not None else 0
                cont = prob.continuity_cost(s.person, crew.index)
                out.append(
                    Candidate(
                        slot=s.index,
                        crew=crew.index,
                        day=d,
                        usage_min=r.duration_min
                        + (approx * USAGE_TRAVEL_PCT) // 100
                        + STOP_SLACK_MIN,
                        cost=cont
                        + W_AREA * mismatch
                        + (
                            W_TRAVEL * ZONE_STOP_MIN * crew.size
                            if ZONE_KM
                            else W_TRAVEL * travel_sum
                        ),
                        zone=zones[s.person],
                        trip_cost=W_TRAVEL * travel_sum,
                    )
                )
    out.sort(key=lambda c: (c.slot, c.crew))
    return out


def zone_of_people(prob: Problem) -> list[int]:
    """A map cell per person (square cells of ZONE_KM), numbered in sorted cell order."""
    if not prob.reqs:
        return []
    lat0 = sum(r.lat for r in prob.reqs) / len(prob.reqs)
    dlat = ZONE_KM / 111.2 if ZONE_KM else 1.0
    dlon = dlat / max(0.1, math.cos(math.radians(lat0)))
    cells = [(math.floor(r.lat / dlat), math.floor(r.lon / dlon)) for r in prob.reqs]
    number = {c: i for i, c in enumerate(sorted(set(cells)))}
    return [number[c] for c in cells]


def greedy_assignment(
    prob: Problem, cands: list[Candidate], capacity: dict[int, int]
) -> dict[int, int]:
    """A quick feasible start for the model: most serious and most overdue first, each slot
    on its least-late, cheapest candidate with room left."""
    by_slot: dict[int, list[Candidate]] = defaultdict(list)
    for c in cands:
        by_slot[c.slot].append(c)
    used_min: dict[int, int] = defaultdict(int)
    used_n: dict[int, int] = defaultdict(int)
    chains: dict[int, list[Slot]] = defaultdict(list)
    for s in prob.slots:
        chains[s.person].append(s)
    order = sorted(
        chains,
        key=lambda p: (-prob.reqs[p].weight, prob.reqs[p].first_due, prob.reqs[p].offender_id),
    )
    chosen: dict[int, int] = {}
    opened: set[tuple[int, int]] = set()
    for p in order:
        r = prob.reqs[p]
        due = due_index(prob, p)
        last: int | None = None
        for s in chains[p]:
            if last is not None:
                due = last + r.interval_days
                if due > prob.n_days - 1:
                    break  # the next visit falls due after the plan: not owed
            lo = s.earliest_index if last is None else last + prob.step_days(p)
            best: tuple[int, int, int] | None = None
            best_c: Candidate | None = None
            for c in by_slot.get(s.index, ()):
                if c.day < lo:
                    continue
                left = prob.visits_left(c.crew, used_n.__getitem__)
                if left is not None and left < 1:
                    continue
                if used_min[c.crew] + c.usage_min > capacity[c.crew]:
                    continue
                # a trip to the person's cell is paid once per crew-day: joining one that
                # already goes there is cheaper, which groups neighbours on the same day
                trip = 0 if (c.crew, c.zone) in opened else c.trip_cost
                late = max(0, c.day - due) + (
                    PAST_DEADLINE if prob.past_deadline(p, s.seq, c.day) else 0
                )
                key = (late, c.cost + (trip if ZONE_KM else 0), c.crew)
                if best is None or key < best:
                    best, best_c = key, c
            if best_c is None:
                break
            chosen[s.index] = best_c.crew
            opened.add((best_c.crew, best_c.zone))
            used_min[best_c.crew] += best_c.usage_min
            used_n[best_c.crew] += 1
            last = best_c.day
        # a chain's last slot must not leave a further owed visit unmodelled: trim if so
        mine = [s for s in chains[p] if s.index in chosen]
        if mine and mine[-1] is chains[p][-1]:
            d_last = prob.crews[chosen[mine[-1].index]].day_index
            if d_last + r.interval_days <= prob.n_days - 1:
                c_idx = chosen.pop(mine[-1].index)
                used_n[c_idx] -= 1
                used_min[c_idx] -= r.duration_min
    return chosen


def solve_assignment(
    prob: Problem,
    cands: list[Candidate],
    capacity: dict[int, int],
    hint: dict[int, int],
    time_limit_s: float,
    seed: int,
    workers: int,
    deterministic_limit_s: float,
    interleave: bool = True,
) -> AssignResult:
    """Solve the assignment model; returns the chosen crew-day per slot (plain dict)."""
    m = cp_model.CpModel()
    n_days = prob.n_days
    last_day = n_days - 1
    x: list[cp_model.IntVar] = [m.new_bool_var(f"x{i}") for i in range(len(cands))]
    by_slot: dict[int, list[int]] = defaultdict(list)
    by_crew: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        by_slot[c.slot].append(i)
        by_crew[c.crew].append(i)
    obj: list[tuple[int, cp_model.LinearExprT]] = []
    const = 0
    chains: dict[int, list[Slot]] = defaultdict(list)
    for s in prob.slots:
        chains[s.person].append(s)
    present: dict[int, Any] = {}  # a sum of x, or 0 when the slot has no candidate
    for s in prob.slots:
        idx = by_slot.get(s.index, [])
        if idx:
            m.add_at_most_one(x[i] for i in idx)
            present[s.index] = sum(x[i] for i in idx)
        else:
            present[s.index] = 0
    for p, chain in sorted(chains.items()):
        r = prob.reqs[p]
        w = r.weight
        due0 = due_index(prob, p)
        s0 = chain[0]
        # slot 0: missed and lateness are linear in the x of its candidates
        const += W_MISS * w
        for i in by_slot.get(s0.index, []):
            late = max(0, cands[i].day - due0)
            obj.append((-W_MISS * w + W_LATE * w * late, x[i]))
        if len(chain) == 1:
            continue
        day_vars: dict[int, cp_model.IntVar] = {}
        for s in chain:
            dv = m.new_int_var(0, last_day, f"d{s.index}")
            idx = by_slot.get(s.index, [])
            m.add(dv == sum(cands[i].day * x[i] for i in idx))
            day_vars[s.index] = dv
        for prev, s in zip(chain, chain[1:], strict=False):
            pres_prev, pres = present[prev.index], present[s.index]
            if isinstance(pres, int) and pres == 0:
                pres_var = None
            else:
                pres_var = m.new_bool_var(f"p{s.index}")
                m.add(pres_var == pres)
            if pres_var is not None:
                m.add(pres <= pres_prev)
                m.add(
                    day_vars[s.index] >= day_vars[prev.index] + prob.step_days(p)
                ).only_enforce_if(pres_var)
                # planned only while it falls due inside the plan (else it would be a pulled-
                # forward visit, not the owed one): a late visit before it can push it out
                m.add(day_vars[prev.index] <= last_day - r.interval_days).only_enforce_if(pres_var)
                late_var = m.new_int_var(0, n_days + r.interval_days, f"l{s.index}")
                m.add(late_var >= day_vars[s.index] - day_vars[prev.index] - r.interval_days)
                obj.append((W_LATE * w, late_var))
            # every modelled slot is owed (demand.owed_dues): a chained visit that a deferral
            # pushes out of the plan costs a miss, so putting off a visit never pays
            const += W_MISS * w
            if not (isinstance(pres, int) and pres == 0):
                obj.append((-W_MISS * w, pres))
        s_last = chain[-1]
        floor = max(
            0,
            (
                max(last_owed_floor(r, prob.end, owed_count(prob, p))[0], prob.start) - prob.start
            ).days,
        )
        if by_slot.get(s_last.index) and floor > 0:
            # no owed visit may fall beyond the modelled chain (`rules.last_owed_floor`; a month
            # of a long plan has none: its count is capped by the whole period's)
            pl = m.new_bool_var(f"pl{s_last.index}")
            m.add(pl == present[s_last.index])
            m.add(day_vars[s_last.index] >= floor).only_enforce_if(pl)
    for i, c in enumerate(cands):
        cost = c.cost
        if prob.past_deadline(prob.slots[c.slot].person, prob.slots[c.slot].seq, c.day):
            # a month of a long plan: this day pushes a visit the whole plan owes out of it
            cost += W_MISS * prob.reqs[prob.slots[c.slot].person].weight
        if cost:
            obj.append((cost, x[i]))
    # capacity per crew-day
    if ZONE_KM:
        # a crew-day pays the trip to a map cell once, however many visits it makes there
        groups: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, c in enumerate(cands):
            groups[(c.crew, c.zone)].append(i)
        for (_crew, _zone), idx in sorted(groups.items()):
            trip = m.new_bool_var("")
            for i in idx:
                m.add_implication(x[i], trip)
            obj.append((min(cands[i].trip_cost for i in idx), trip))
    for crew_idx, idx in sorted(by_crew.items()):
        crew = prob.crews[crew_idx]
        m.add(sum(cands[i].usage_min * x[i] for i in idx) <= capacity[crew_idx])
        if crew.max_visits is not None and crew.max_visits < len(idx):
            m.add(sum(x[i] for i in idx) <= crew.max_visits)
    # an officer in two parts of a day (split crews): their cap is shared by both parts
    for (oid, _day), split in sorted(prob.split_crews.items()):
        cap = prob.officers[oid].max_visits_per_day
        idx = [i for c in split for i in by_crew.get(c, [])]
        if cap is not None and cap < len(idx):
            m.add(sum(x[i] for i in idx) <= cap)
    # workload balance: the busiest officer's month
    load: dict[str, list[int]] = defaultdict(list)
    for crew_idx, idx in by_crew.items():
        for oid in prob.crews[crew_idx].officer_ids:
            load[oid].extend(idx)
    if load:
        top = m.new_int_var(0, len(prob.slots), "maxload")
        for _oid, idx in sorted(load.items()):
            m.add(top >= sum(x[i] for i in idx))
        obj.append((W_BAL, top))
    m.minimize(sum(coef * var for coef, var in obj) + const)
    for i, c in enumerate(cands):
        m.add_hint(x[i], 1 if hint.get(c.slot) == c.crew else 0)

    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.random_seed = seed
    prm.num_workers = workers
    prm.max_time_in_seconds = max(0.5, time_limit_s)
    # the deterministic limit is what normally stops the search, so the same inputs give the
    # same answer; interleaved search keeps several workers deterministic too
    prm.max_deterministic_time = max(0.1, deterministic_limit_s)
    if workers > 1 and interleave:
        prm.interleave_search = True
    if len(cands) > LARGE_MODEL_CANDIDATES:
        # Interleaved search keeps every subsolver's copy of the model in memory; on the
        # large-force month (~70,000 candidates) the LP-based ones took the process to 2 GB
        # and found worse solutions in the same deterministic time than LNS alone (measured).
        prm.ignore_subsolvers.extend(LP_SUBSOLVERS)
    prm.max_memory_in_mb = MAX_MEMORY_MB
    # CP-SAT's own Ctrl-C handling ends the search quietly with the best plan so far (a plan
    # with fewer visits, passed off as a result) and then resets Ctrl-C to a silent kill: off.
    # A signal instead stops the search and raises once it has returned (signals.py).
    prm.catch_sigint_signal = False
    with stop_on_signal(solver.stop_search):
        status = solver.solve(m)
    name = solver.status_name(status)
    chosen: dict[int, int] = {}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for i, c in enumerate(cands):
            if solver.boolean_value(x[i]):
                chosen[c.slot] = c.crew
        objective, bound = solver.objective_value, solver.best_objective_bound
    else:
        objective, bound = float("nan"), float("nan")
    # A search without a proof that ran to the wall-clock limit was cut by it (the
    # deterministic limit is checked between batches of interleaved search, so the reported
    # deterministic time may already be past its limit when the clock cuts the last batch).
    finished = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID)
    cut = not finished and solver.wall_time >= 0.98 * prm.max_time_in_seconds
    return AssignResult(
        chosen=chosen,
        status=name,
        objective=objective,
        bound=bound,
        wall_s=solver.wall_time,
        deterministic_s=solver.deterministic_time,
        stopped_by_clock=cut,
    )
