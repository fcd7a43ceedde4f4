"""The optimising planner: crews -> assignment (CP-SAT) -> routing -> repair -> roster.

`plan(dataset, start, end, options)` is the entry point. See docs/DESIGN.md for why the
problem is decomposed this way and what was measured.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Literal

import rso_scheduler.solver.dayroute as dayroute
import rso_scheduler.solver.reform as reform
from rso_scheduler import rules
from rso_scheduler.calendar import bank_holidays
from rso_scheduler.demand import Requirement, capped, requirements
from rso_scheduler.errors import PlanError
from rso_scheduler.models import Dataset, Officer, VisitKind
from rso_scheduler.roster import (
    CrewDayRecord,
    CrewRoute,
    OfficerLeg,
    PlannedVisit,
    PlanResult,
    Unscheduled,
)
from rso_scheduler.rules import last_owed_floor, pulled_forward_floor
from rso_scheduler.solver.assign import (
    PAST_DEADLINE,
    build_candidates,
    greedy_assignment,
    solve_assignment,
)
from rso_scheduler.solver.balance import exchange_officers
from rso_scheduler.solver.bound import RoomBound
from rso_scheduler.solver.crews import CrewDay, form_crews, window_needs
from rso_scheduler.solver.diagnose import unplanned_owed, unscheduled_reason, with_late_reasons
from rso_scheduler.solver.frozen import (
    evict_for_late,
    evict_for_owed,
    note_evictions,
    place_fixed,
    required_crews,
)
from rso_scheduler.solver.horizon import WINDOW_MAX_DAYS, plan_in_windows
from rso_scheduler.solver.improve import _allowed_days, _best_insertion, bring_near, improve
from rso_scheduler.solver.lns import ruin_recreate
from rso_scheduler.solver.options import PlanOptions
from rso_scheduler.solver.problem import (
    REPAIR_COMPS,
    Problem,
    build_problem,
    due_index,
    owed_count,
)
from rso_scheduler.solver.routing import Route
from rso_scheduler.solver.state import State as _State
from rso_scheduler.solver.unannounced import choose_unannounced
from rso_scheduler.solver.why import crew_reason, far_because, over_limit, paired_for, saved_by
from rso_scheduler.solver.win_back import win_back
from rso_scheduler.solver.work import WorkBudget, evals_for
from rso_scheduler.travel import base, longest_leg_min

PAIR_FOR_WINDOWS = True  # each day's crews follow the windowed work (crews.form_crews)
PREFER_NEAR = True  # far crew-days hand their visits to nearer crews of the day (bring_near)
MAX_ROUNDS = 3  # assignment -> routing rounds (cuts added between them)
PULL_MAX_ADDED_MIN = 4  # a pulled-forward visit may add at most this much crew travel (next door)
# Share of the time budget for the first assignment solve; later rounds get a smaller share.
FIRST_SOLVE_SHARE = 0.4
LATER_SOLVE_SHARE = 0.08
# CP-SAT deterministic time per wall second, as measured on the benchmark machine (about 1 on
# 2 cores); the deterministic limit is what normally ends the search, keeping runs repeatable.
DET_PER_WALL_S = 0.25
# The first solve's wall-clock safety net: share of the time left (normally never reached).
WALL_SAFETY_SHARE = 0.8
# Counted work of the local search, as a share of the time limit (see work.EVALS_PER_S).
IMPROVE_SHARE = 0.3
# ... and of handing far visits to nearer crews (`improve.bring_near`), which stops, the same on
# every run, when it is used up
NEAR_SHARE = 0.05
# Ruin and recreate after the local search (lns.py): counted work for this share of the budget
LNS_SHARE = 0.25
DAYROUTE_SHARE = 0.25  # of the budget: counted PyVRP iterations re-routing each day (dayroute.py)
DAYROUTE_MAX_SHARE = 0.5  # ... with what the local search left, at most (the budget holds)
# Crews re-formed on the windowed work left unmet (reform.py): counted work for at most this
# share of the budget; twice it is taken from ruin and recreate's (so the time limit holds)
REFORM_SHARE = 0.015
# Repair and pull-forward are bounded by the visits to place, not by work: only the clock net.
REPAIR_MAX_EVALS = 2**62
MAKE_ROOM_TRIES = 5_000  # visits tried for moving out, per owed visit that fits nowhere


def _net(deadline: float, budget: float) -> float:
    """A wall-clock safety net for a step that must finish (repair, exchanges): the time limit,
    or at least a quarter of it (10 s or more) from now, so only an overloaded machine hits it."""
    return max(deadline, time.monotonic() + max(10.0, 0.25 * budget))


def _stopped_by(work: WorkBudget, converged: bool) -> str:
    """What ended a search: its counted work, convergence, its pass limit, or the clock."""
    if work.clock_fired:
        return "wall clock"
    if converged:
        return "converged"
    return "work limit" if work.work_done else "pass limit"


def _cut_by_clock(what: str, done: str, work: WorkBudget) -> str:
    """The notice for a search the wall-clock safety net stopped before its counted work."""
    return (
        f"{what} was stopped by the wall clock after {done} ({work.spent:,} of {work.limit:,} "
        "route evaluations): the machine is busy, and the roster may differ from another run "
        "with the same inputs and seed; raise --time-limit"
    )


def _next_owed(prob: Problem, st: _State, person: int) -> tuple[int, int] | None:
    """(due day, earliest day) of the person's next owed visit not yet planned, or None when
    every owed visit is planned or the next one cannot be placed (a late visit before it
    pushed its due date past the end: it is listed as unscheduled, with that reason)."""
    r = prob.reqs[person]
    if r.optional:
        return None
    ds = st.person_days(person)
    k = owed_count(prob, person)
    if len(ds) >= k:
        return None
    if not ds:
        due, lo = due_index(prob, person), (r.first_earliest - prob.start).days
    else:
        due = ds[-1] + r.interval_days
        if due > prob.n_days - 1:
            return None
        lo = ds[-1] + prob.step_days(person)
    if len(ds) == k - 1:
        lo = max(lo, (last_owed_floor(r, prob.end, k)[0] - prob.start).days)
    return due, lo


def _drop_not_owed(prob: Problem, st: _State) -> int:
    """Remove chained visits that fall due after the plan or beyond the owed count (an
    unfinished search can leave them in); pull-forward is decided separately, with its own
    rules. Returns how many."""
    last_day = prob.n_days - 1
    dropped = 0
    for p in sorted(st.by_person):
        keys = sorted(st.by_person[p], key=lambda k: (prob.crews[st.crew_of[k]].day_index, k))
        r = prob.reqs[p]
        keep = len(keys) if r.optional else min(len(keys), owed_count(prob, p))
        for i, (prev, _key) in enumerate(zip(keys, keys[1:], strict=False)):
            if prob.crews[st.crew_of[prev]].day_index + r.interval_days > last_day:
                keep = min(keep, i + 1)
                break
        for k in keys[keep:]:
            crew = st.crew_of.pop(k)
            st.person_of.pop(k)
            st.stops[crew] = [s for s in st.stops[crew] if s.key != k]
        st.by_person[p] = keys[:keep]
        dropped += len(keys) - keep
    return dropped


def _route_round(
    prob: Problem, chosen: dict[int, int], st: _State
) -> tuple[list[tuple[int, int]], int]:
    """Route every crew-day of an assignment; returns the (slot, crew) pairs that did not fit."""
    per_crew: dict[int, list[int]] = defaultdict(list)
    for slot, crew_index in sorted(chosen.items()):
        per_crew[crew_index].append(slot)
    dropped: list[tuple[int, int]] = []
    for crew_idx, slots in sorted(per_crew.items()):
        crew = prob.crews[crew_idx]
        timer = prob.timer_of(crew)
        keep = list(slots)
        while keep:
            stops = [prob.stop(prob.slots[s].person, s) for s in keep]
            order = timer.best_order(stops)
            if order is not None:
                break
            # drop the least serious visit (later chained visits before earlier ones)
            worst = min(
                keep,
                key=lambda s: (prob.reqs[prob.slots[s].person].weight, -prob.slots[s].seq, -s),
            )
            keep.remove(worst)
            dropped.append((worst, crew_idx))
        if keep and order is not None:
            st.stops[crew_idx] = order
    return dropped, len(per_crew)


def _try_insert(
    prob: Problem,
    st: _State,
    person: int,
    lo: int,
    due: int,
    only_busy: bool,
    max_added: int | None,
    work: WorkBudget,
    n_comps: int = REPAIR_COMPS,
    beyond_limit: bool = False,
) -> bool:
    """Insert one visit of `person` on the least-late, then cheapest, feasible crew-day of the
    `n_comps` nearest eligible crew compositions (`beyond_limit`: also those driving over
    `[planner] max_leg_minutes`)."""
    r = prob.reqs[person]
    comps = prob.ranked_comps(person, n_comps, beyond_limit)
    days = [d for d in range(max(lo, 0), prob.n_days) if r.available_on(prob.day(d))]
    # consider days in order of lateness; stop at the first lateness level with a fit
    k = len(st.person_days(person))

    def level_of(d: int) -> int:
        return max(0, d - due) + (PAST_DEADLINE if prob.past_deadline(person, k, d) else 0)

    days.sort(key=lambda d: (level_of(d), d))
    stop = st.new_stop(person)
    i = 0
    while i < len(days):
        if work.exhausted():
            return False
        level = level_of(days[i])
        group = []
        while i < len(days) and level_of(days[i]) == level:
            group.append(days[i])
            i += 1
        best: tuple[int, int, int, int] | None = None
        for d in group:
            for c, crew in prob.on_duty(d, comps):
                order = st.stops.get(crew.index, [])
                if only_busy and not order:
                    continue
                left = prob.visits_left(crew.index, lambda i: len(st.stops.get(i, [])))
                if left is not None and left <= 0:
                    continue
                used = sum(s.duration_min for s in order) + r.duration_min
                if used > crew.end_min - crew.start_min:
                    continue
                work.spend(len(order) + 2)
                ins = prob.timers[c].cheapest_insertion(order, stop)
                if ins is None:
                    continue
                pos, added = ins
                if max_added is not None and added > max_added:
                    continue
                key = (added + prob.continuity_cost(person, crew.index), d, crew.index, pos)
                if best is None or key < best:
                    best = key
        if best is not None:
            _, _d, crew_idx, pos = best
            order = list(st.stops.get(crew_idx, []))
            order.insert(pos, stop)
            st.stops[crew_idx] = order
            st.person_of[stop.key] = person
            st.crew_of[stop.key] = crew_idx
            st.by_person[person].append(stop.key)
            return True
    return False


def _repair_owed(
    prob: Problem,
    st: _State,
    order_people: list[int],
    work: WorkBudget,
    n_comps: int = REPAIR_COMPS,
    beyond_limit: bool = False,
) -> int:
    """Insert each person's still-missing owed visits (chains continue), in the given order.

    Returns how many visits were placed; a person stops at their first visit that fits nowhere.
    """
    repaired = 0
    for p in order_people:
        for _ in range(64):  # bound on chained visits of one person (a weekly interval: ~5)
            nxt = _next_owed(prob, st, p)
            if nxt is None:
                break
            due, lo = nxt
            if not _try_insert(prob, st, p, lo, due, False, None, work, n_comps, beyond_limit):
                break
            repaired += 1
    return repaired


def _make_room(prob: Problem, st: _State, person: int, work: WorkBudget) -> bool | None:
    """The person's next owed visit, which fits nowhere, takes the place of a visit that can
    move to another crew-day, on any day it may take however late (a miss costs more than any
    lateness): the least late day first, the nearest crews first, the least serious visit
    first; the first exchange that places both is taken. A re-plan's issued visits are not
    moved (frozen.py decides those). True if the visit was placed, False if no exchange places
    both, None if the search stopped at `MAKE_ROOM_TRIES` (or its clock net) first."""
    nxt = _next_owed(prob, st, person)
    if nxt is None:
        return False
    due, lo = nxt
    r = prob.reqs[person]
    k = len(st.person_days(person))
    days = [
        d
        for d in range(max(lo, 0), prob.n_days)
        if r.available_on(prob.day(d)) and not prob.past_deadline(person, k, d)
    ]
    days.sort(key=lambda d: (max(0, d - due), d))
    # a miss costs more than any drive: crews beyond `[planner] max_leg_minutes` too
    comps = prob.ranked_comps(person, len(prob.comps), beyond_limit=True)
    stop = st.new_stop(person)
    tries = 0
    for d in days:
        for c, crew in prob.on_duty(d, comps):
            order = st.stops.get(crew.index, [])
            out = sorted(
                (s for s in order if st.movable(s.key)),
                key=lambda s: (prob.reqs[st.person_of[s.key]].weight, s.key),
            )
            for x in out:
                tries += 1
                if tries > MAKE_ROOM_TRIES or work.exhausted():
                    return None
                without = [s for s in order if s.key != x.key]
                work.spend(len(without) + 2)
                ins = prob.timers[c].cheapest_insertion(without, stop)
                if ins is None:
                    continue
                mine = without[: ins[0]] + [stop] + without[ins[0] :]
                px = st.person_of[x.key]
                days_x, due_x = _allowed_days(prob, st, x.key)
                elsewhere = _best_insertion(
                    prob, st, x, px, days_x, due_x, 1 << 60, {crew.index}, {crew.index: mine}, work
                )
                if elsewhere is None:
                    continue
                _late, _added, _dx, ci, pos = elsewhere
                st.stops[crew.index] = mine
                moved = list(st.stops.get(ci, []))
                moved.insert(pos, x)
                st.stops[ci] = moved
                st.crew_of[x.key] = ci
                st.person_of[stop.key] = person
                st.crew_of[stop.key] = crew.index
                st.by_person[person].append(stop.key)
                return True
    return False


def plan(dataset: Dataset, start: date, end: date, options: PlanOptions) -> PlanResult:
    """Plan the visits owed between `start` and `end` (inclusive) with the optimiser."""
    t0 = time.monotonic()
    if end < start:
        raise PlanError(f"the plan ends ({end}) before it starts ({start})")
    if (end - start).days + 1 > WINDOW_MAX_DAYS and not (options.fixed or options.win_back):
        # long plans month by month (see horizon.py): earliest visits, bounded memory; a
        # re-plan (either of its two plans, replan.py) keeps its issued visits in one model
        result = plan_in_windows(dataset, start, end, options, plan)
        result.solve_seconds = round(time.monotonic() - t0, 3)
        return result
    budget = options.time_limit_s
    deadline = t0 + budget
    say = options.progress
    holidays_off = {} if options.work_bank_holidays else bank_holidays(start, end)
    reqs = capped(
        requirements(dataset, start, end, include_optional=options.pull_forward),
        options.owed_cap,
        options.owed_until,
    )
    officers = sorted(dataset.officers, key=lambda o: o.officer_id)
    # Split crews are valid by the triangle inequality (each part starts and ends at base); a
    # user-supplied matrix need not obey it, so none are formed under that model.
    model = options.travel.model if options.travel is not None else dataset.policy.travel.model
    crew_args = (
        officers,
        dataset.absences,
        start,
        end,
        holidays_off,
        required_crews(options.fixed),
        window_needs(reqs) if PAIR_FOR_WINDOWS else None,
        dataset.policy.areas.mode,
    )
    crews = form_crews(*crew_args)
    no_split = model == "matrix" and any(c.part is not None for c in crews)
    if no_split:  # said in the notices below
        crews = form_crews(*crew_args, split=False)
    prob = build_problem(
        start, end, dataset.policy, reqs, crews, officers, options.travel, options.keep_count
    )
    say(f"{len(reqs)} people, {len(prob.slots)} visit slots, {len(crews)} crew-days")

    capacity = {c.index: c.end_min - c.start_min for c in crews}
    forbidden: set[tuple[int, int]] = set()
    hint: dict[int, int] = {}
    stats: dict[str, object] = {"solver": "cp-sat", "rounds": 0, "routing_drops": 0}
    notices: list[str] = []

    def notice(message: str) -> None:
        notices.append(message)
        say(f"note: {message}")

    stats["split_crew_days"] = sum(1 for c in crews if c.part is not None)
    if no_split:
        notice(
            "no split crews (an officer working with two partners in two parts of a day, for "
            "windowed visits) under the matrix travel model: its minutes need not obey the "
            "triangle inequality, so the officer's joined day could not be shown to fit; each "
            "officer works in one crew a day"
        )

    st = _State(prob)
    accepted: dict[int, int] = {}
    # a re-plan starts from the issued roster (frozen.py) instead of a fresh assignment
    for rnd in range(0 if options.fixed else MAX_ROUNDS):
        cands = build_candidates(prob, forbidden)
        if rnd == 0:
            hint = greedy_assignment(prob, cands, capacity)
            stats["candidates"] = len(cands)
            stats["greedy_start_visits"] = len(hint)
        remaining = deadline - time.monotonic()
        share = FIRST_SOLVE_SHARE if rnd == 0 else LATER_SOLVE_SHARE
        # The deterministic limit, derived from the budget alone (never from the clock), is what
        # ends the search, so the same inputs and seed give the same roster on a busy machine
        # too. The wall-clock limit is only a safety net with generous headroom.
        limit = max(0.5, budget * share)
        det_limit = limit * DET_PER_WALL_S
        # (at least three times the share: on a quiet machine the deterministic limit is
        # reached in about a third of it, so only a machine loaded several times over hits it)
        wall_limit = max(0.5, remaining * WALL_SAFETY_SHARE if rnd == 0 else 0.0, 3 * limit)
        say(f"assignment round {rnd + 1}: {len(cands)} candidates, about {limit:.0f} s")
        res = solve_assignment(
            prob,
            cands,
            capacity,
            hint,
            time_limit_s=wall_limit,
            seed=options.seed,
            workers=options.workers,
            deterministic_limit_s=det_limit,
        )
        stats["rounds"] = rnd + 1
        stats["status"] = res.status
        stats["objective"] = res.objective
        stats["bound"] = res.bound
        stats["cp_sat_wall_s"] = round(float(stats.get("cp_sat_wall_s", 0.0)) + res.wall_s, 3)  # type: ignore[arg-type]
        stats["cp_sat_deterministic_s"] = round(
            float(stats.get("cp_sat_deterministic_s", 0.0)) + res.deterministic_s,  # type: ignore[arg-type]
            3,
        )
        if res.stopped_by_clock:
            stats["assignment_stopped_by_clock"] = True
            notice(
                f"the assignment search (round {rnd + 1}) was stopped by the wall clock after "
                f"{res.wall_s:.0f} s, before its deterministic limit: the machine is busy, and "
                "the roster may differ from another run with the same inputs and seed; "
                "raise --time-limit (or plan when the machine is less loaded)"
            )
        found = res.status in ("OPTIMAL", "FEASIBLE")
        chosen = res.chosen if found else hint
        if not found:
            stats["status"] = f"{res.status} (greedy start used)"
            notice(
                f"the assignment model found no solution ({res.status}) within its limit; "
                "the greedy start was used instead and improved by the local search; "
                "a longer --time-limit gives the model more time"
            )
        st = _State(prob)
        dropped, _n = _route_round(prob, chosen, st)
        stats["routing_drops"] = int(stats["routing_drops"]) + len(dropped)  # type: ignore[call-overload]
        accepted = {s: c for s, c in chosen.items() if (s, c) not in set(dropped)}
        say(f"round {rnd + 1}: {len(accepted)} visits routed, {len(dropped)} did not fit")
        if not dropped or res.status != "OPTIMAL":
            # re-solving pays only when the model solves to optimality; otherwise the repair
            # pass places what did not fit faster and better (measured on the force month)
            break
        forbidden.update(dropped)
        hint = accepted
    # register the routed stops
    for crew_idx, order in sorted(st.stops.items()):
        for s in order:
            st.person_of[s.key] = prob.slots[s.key].person
            st.crew_of[s.key] = crew_idx
            st.by_person[prob.slots[s.key].person].append(s.key)
    st.next_key = len(prob.slots)
    stats["not_owed_dropped"] = _drop_not_owed(prob, st)
    not_kept = place_fixed(prob, st, options.fixed, dataset, holidays_off)

    # Repair, pull-forward and exchanges always run to the end (their work is bounded by the
    # visits to place); the local search is bounded by counted work. The clock is only a
    # safety net for each (an overloaded machine), and when it fires the run says so.
    repair_work = WorkBudget(REPAIR_MAX_EVALS, _net(deadline, budget))
    # the net leaves the counted work three times the time it takes on a quiet machine
    improve_work = WorkBudget(
        evals_for(budget * IMPROVE_SHARE),
        max(deadline - 0.1 * budget, time.monotonic() + 3 * budget * IMPROVE_SHARE),
    )
    order_people = sorted(
        (p for p, r in enumerate(reqs) if not r.optional),
        key=lambda p: (reqs[p].risk_level.rank, reqs[p].first_due, reqs[p].offender_id),
    )
    repaired = _repair_owed(prob, st, order_people, repair_work)
    if options.fixed:  # --- re-plan: a kept visit gives way to a more serious one

        def repair_one(p: int) -> int:
            return _repair_owed(prob, st, [p], repair_work)

        def missing(p: int) -> bool:
            return _next_owed(prob, st, p) is not None

        net = repair_work.safety_deadline
        missed = evict_for_owed(prob, st, order_people, missing, repair_one, net)
        later = evict_for_late(prob, st, repair_one, net)
        note_evictions(not_kept, options.fixed, start, reqs, missed, later)
        stats["kept_evicted"] = len(missed) + len(later)  # --- end re-plan
    stats["repaired"] = repaired
    # local search with exact routes, then a second repair for what the moves made room for
    t_imp = time.monotonic()
    moved = improve(prob, st, improve_work)
    stats["improve_s"] = round(time.monotonic() - t_imp, 3)
    stats["improve_moves"] = moved["moves"]
    stats["improve_passes"] = moved["passes"]
    stats["improve_emptied_crew_days"] = moved["emptied"]
    stats["improve_swaps"] = moved["swaps"]
    stats["improve_evaluations"] = improve_work.spent
    stats["improve_evaluation_limit"] = improve_work.limit
    stats["improve_stopped_by"] = _stopped_by(improve_work, bool(moved["converged"]))
    if improve_work.clock_fired:
        notice(_cut_by_clock("the local search", f"{moved['passes']} passes", improve_work))

    # ruin and recreate: clusters of neighbouring visits re-made together (counted work; the
    # net leaves it three times the time it takes on a quiet machine)
    # Re-forming crews on the windowed work left unmet (reform.py, below) takes its share from
    # ruin and recreate, and only when such work is left after the local search (the time
    # limit holds: its counted work costs about twice a route evaluation's time, measured)
    def next_owed(p: int) -> tuple[int, int] | None:
        return _next_owed(prob, st, p)

    if reform.REFORM and PAIR_FOR_WINDOWS and not options.fixed:
        stats["reform_unmet_before"] = reform.unmet_count(prob, st, next_owed)
    reform_on = int(stats.get("reform_unmet_before", 0)) > 0  # type: ignore[call-overload]
    lns_share = LNS_SHARE - (2 * REFORM_SHARE if reform_on else 0.0)
    lns_work = WorkBudget(
        evals_for(budget * lns_share),
        max(deadline - 0.05 * budget, time.monotonic() + 3 * budget * lns_share),
    )
    say(f"re-making clusters of neighbouring visits (about {budget * lns_share * 0.6:.0f} s)")
    t_lns = time.monotonic()
    stats.update(ruin_recreate(prob, st, lns_work, options.seed))
    stats["lns_s"] = round(time.monotonic() - t_lns, 3)
    stats["lns_evaluations"] = lns_work.spent
    stats["lns_evaluation_limit"] = lns_work.limit
    stats["lns_stopped_by"] = _stopped_by(lns_work, bool(stats["lns_converged"]))
    if lns_work.clock_fired:
        what = "re-making clusters of neighbouring visits"
        notice(_cut_by_clock(what, f"{stats['lns_tries']:,} tries", lns_work))
    repair_work.safety_deadline = _net(deadline, budget)  # a fresh net after the local search
    repaired += _repair_owed(prob, st, order_people, repair_work)
    # the last resort for an owed visit still missing: any crew that can make it, however far,
    # beyond `[planner] max_leg_minutes` too (a miss costs more than any drive; the crew-day's
    # reason in crews.csv says what it saved, and summary.json which crew-days drive beyond)
    still = [p for p in order_people if _next_owed(prob, st, p) is not None]
    wide = (
        _repair_owed(prob, st, still, repair_work, len(prob.comps), beyond_limit=True)
        if still
        else 0
    )
    repaired += wide
    stats["repaired_by_far_crews"] = wide
    # and when no crew has room: a visit that can move to another day (later, if need be)
    # makes room for it, since a miss costs more than any lateness
    made_room = room_cut = 0
    for p in order_people:
        while _next_owed(prob, st, p) is not None:
            placed = _make_room(prob, st, p, repair_work)
            if not placed:
                room_cut += placed is None
                break
            made_room += 1
            repaired += _repair_owed(prob, st, [p], repair_work)  # the chain goes on
    repaired += made_room
    stats["repaired_by_making_room"] = made_room
    # crews re-formed on the windowed work left unmet (reform.py): counted work taken from
    # ruin and recreate's share above, and nothing at all without unmet windowed work
    if reform_on:

        def form_day(day: date, needs: list[Requirement]) -> list[CrewDay]:
            return form_crews(
                officers,
                dataset.absences,
                day,
                day,
                holidays_off,
                None,
                needs,
                dataset.policy.areas.mode,
                split=not no_split,
            )

        reform_work = WorkBudget(evals_for(budget * REFORM_SHARE), _net(deadline, budget))
        t_ref = time.monotonic()
        stats.update(reform.reform_crews(prob, st, form_day, next_owed, reform_work))
        stats["reform_s"] = round(time.monotonic() - t_ref, 3)
        stats["reform_evaluations"] = reform_work.spent
        repaired += int(stats["reform_visits_gained"])  # type: ignore[call-overload]
        if stats["reform_days_kept"]:
            say(
                f"crews re-formed on {stats['reform_days_kept']} day(s) for the set-hours work "
                f"left over: {stats['reform_crew_days']} new crew-day(s), "
                f"{stats['reform_visits_gained']} visit(s) placed; risk-weighted misses "
                f"{-int(stats['reform_weighted_missed_saved']):+d}, days late "  # type: ignore[call-overload]
                f"{-int(stats['reform_weighted_late_days_saved']):+d}"  # type: ignore[call-overload]
            )
        if reform_work.clock_fired:
            stats["reform_stopped_by_clock"] = True
            notice(
                "re-forming crews for the set-hours work left over was stopped by the wall clock "
                "(the machine is busy); the roster may differ from another run with the same "
                "inputs and seed; raise --time-limit"
            )
    # each day's crews re-routed together (PyVRP proposes, the timing engine checks)
    if dayroute.available():
        t_day = time.monotonic()
        # its share, and what the local search and ruin and recreate left of theirs when they
        # converged early (counted work, so the same on every run): the budget buys quality
        left = IMPROVE_SHARE * (1 - min(1.0, improve_work.spent / improve_work.limit))
        left += lns_share * (1 - min(1.0, lns_work.spent / lns_work.limit))
        share = budget * min(DAYROUTE_MAX_SHARE, DAYROUTE_SHARE + left)
        # the net leaves the counted iterations three times their time on a quiet machine
        net = max(deadline - 0.05 * budget, t_day + 3 * share)
        stats.update(dayroute.reroute_days(prob, st, share, options.seed, net))
        stats["dayroute_s"] = round(time.monotonic() - t_day, 3)
        if stats["dayroute_stopped_by_clock"]:
            notice(
                "re-routing each day's crews together was stopped by the wall clock (the machine "
                "is busy); the roster may differ from another run with the same inputs and seed; "
                "raise --time-limit"
            )
        repaired += int(stats["dayroute_placed"])  # type: ignore[call-overload]
    else:
        notice("PyVRP is not installed: each day's crews were not re-routed together")
    if room_cut:
        stats["make_room_cut"] = room_cut
        notice(
            f"{room_cut} owed visit(s) that no crew had room for stayed unscheduled after "
            f"{MAKE_ROOM_TRIES:,} tries each to move another visit out of their way; a visit "
            "that could move may still exist: check unscheduled.csv"
        )
    if options.fixed:  # re-plan: the last owed visits may move kept ones of any risk level
        last = evict_for_owed(
            prob,
            st,
            order_people,
            missing,
            repair_one,
            repair_work.safety_deadline,
            as_serious=True,
        )
        note_evictions(not_kept, options.fixed, start, reqs, last, [])
        stats["kept_evicted"] = int(stats["kept_evicted"]) + len(last)  # type: ignore[call-overload]
    stats["repaired"] = repaired
    # pull forward: people not yet due, only into crew-days already going out, cheaply
    pulled = 0
    if options.pull_forward:
        opt_people = sorted(
            (p for p, r in enumerate(reqs) if r.optional),
            key=lambda p: (reqs[p].risk_level.rank, reqs[p].first_due, reqs[p].offender_id),
        )
        for p in opt_people:
            if repair_work.exhausted():
                break
            if st.by_person.get(p):
                continue  # a re-plan kept this person's pulled-forward visit
            r = reqs[p]
            lo = (r.first_earliest - start).days
            # the visit after a pulled-forward one must not fall due inside the plan
            lo = max(lo, (pulled_forward_floor(r, prob.end) - prob.start).days)
            if lo >= prob.n_days:
                continue
            due = due_index(prob, p)
            if _try_insert(prob, st, p, lo, due, True, PULL_MAX_ADDED_MIN, repair_work):
                pulled += 1
    stats["pulled_forward"] = pulled
    if repair_work.clock_fired:
        stats["repair_stopped_by_clock"] = True
        notice(
            "repair and pull-forward were stopped by the wall clock: some visits may be "
            "unscheduled or not pulled forward that a run on a quiet machine would place; "
            "raise --time-limit"
        )
    if options.win_back:  # a re-plan's plan from scratch, moved back towards the issued roster
        wb_why, stats["win_back"] = win_back(
            prob, st, options.win_back, dataset, holidays_off, repair_work
        )
        not_kept.update(wb_why)
    # workload balance last: officers trade places between crews of a day; visits, days and
    # order stay, so nothing above it in the objective can get worse beyond a little travel
    t_ex = time.monotonic()
    stats.update(exchange_officers(prob, st, _net(deadline, budget)))
    stats["exchange_s"] = round(time.monotonic() - t_ex, 3)
    if stats.get("exchanges_stopped_by_clock"):
        notice(
            "officer exchanges were stopped by the wall clock (the machine is busy); the "
            "roster may differ from another run with the same inputs and seed; raise --time-limit"
        )
    # far crew-days last: a visit handed to another crew of its day keeps its date, so nothing
    # above travel in the objective changes (why.py says what the far ones that stay saved)
    near_work = WorkBudget(evals_for(budget * NEAR_SHARE), _net(deadline, budget))
    t_near = time.monotonic()
    if PREFER_NEAR:
        stats.update(bring_near(prob, st, near_work))
    stats["near_s"] = round(time.monotonic() - t_near, 3)
    stats["near_evaluations"] = near_work.spent
    stats["near_evaluation_limit"] = near_work.limit
    if near_work.clock_fired:
        stats["near_stopped_by_clock"] = True
        notice(
            "handing far visits to nearer crews was stopped by the wall clock (the machine is "
            "busy); the roster may differ from another run with the same inputs and seed; "
            "raise --time-limit"
        )
    stats["wall_clock_net_fired"] = (
        any(
            bool(stats.get(k))
            for k in (
                "assignment_stopped_by_clock",
                "repair_stopped_by_clock",
                "exchanges_stopped_by_clock",
                "near_stopped_by_clock",
                "dayroute_stopped_by_clock",
                "reform_stopped_by_clock",
            )
        )
        or improve_work.clock_fired
        or lns_work.clock_fired
    )
    joins_dropped = check_split_joins(prob, st)
    if joins_dropped:
        stats["split_join_dropped"] = joins_dropped
        notice(
            f"{joins_dropped} visit(s) of split crews were left out: the drive between an "
            "officer's two parts of a day did not fit under this travel model"
        )
    beyond = beyond_leg_limit(prob, st)
    if beyond:
        limit = prob.policy.planner.max_leg_minutes
        stats["visits_beyond_max_leg"] = sum(len(v) for v in beyond.values())
        stats["crew_days_beyond_max_leg"] = [
            {
                "date": prob.crews[c].day.isoformat(),
                "crew_id": prob.crews[c].crew_id,
                "longest_drive_min": max(m for _oid, m, _kept in legs),
            }
            for c, legs in sorted(beyond.items(), key=lambda kv: (prob.crews[kv[0]].day, kv[0]))
        ]
        notice(
            f"{stats['visits_beyond_max_leg']} visit(s) on {len(beyond)} crew-day(s) drive "
            f"beyond [planner] max_leg_minutes ({limit}): no crew within it could take them, "
            "and a miss costs more than a long drive (crews.csv and the crew-day pages say which)"
        )
    stats["notices"] = notices
    result = _extract(prob, st, options, stats)
    result.not_kept = not_kept
    result.solve_seconds = round(time.monotonic() - t0, 3)
    say(f"planned {len(result.visits)} visits, {len(result.unscheduled)} unscheduled")
    return result


class _Diagnosis:
    """What the shared diagnosis (`diagnose.py`) needs to know of this plan: who is on duty,
    which crews could make a person's visit, and which of them still have room in the roster."""

    def __init__(self, prob: Problem, st: _State):
        self.prob = prob
        self.st = st
        duty: dict[date, dict[str, Officer]] = {}
        for crews in prob.crews_by_day:
            for crew in crews.values():  # an officer of split crews is in two of them
                duty.setdefault(crew.day, {}).update((o.officer_id, o) for o in crew.officers)
        self._duty = {d: list(offs.values()) for d, offs in duty.items()}

    def on_duty(self, day: date) -> list[Officer]:
        return self._duty.get(day, [])

    def eligible_for(self, person: int) -> Callable[[date], int]:
        prob = self.prob

        def count(day: date) -> int:
            d = (day - prob.start).days
            if not 0 <= d < prob.n_days:
                return 0
            return sum(
                1 for c in prob.crews_by_day[d] if prob.static_eligibility(person, c) is not None
            )

        return count

    def room_for(self, person: int) -> Callable[[date], int]:
        """Crew-days of a day that could take one more visit of the person as routed now."""
        prob, st = self.prob, self.st

        def count(day: date) -> int:
            d = (day - prob.start).days
            if not 0 <= d < prob.n_days:
                return 0
            n = 0
            stop = prob.stop(person, -1)
            for comp, crew in sorted(prob.crews_by_day[d].items()):
                if prob.static_eligibility(person, comp) is None:
                    continue
                order = st.stops.get(crew.index, [])
                left = prob.visits_left(crew.index, lambda i: len(st.stops.get(i, [])))
                if left is not None and left <= 0:
                    continue
                if prob.timers[comp].cheapest_insertion(order, stop) is not None:
                    n += 1
            return n

        return count


def _split_parts(prob: Problem, st: _State) -> list[tuple[str, int, int]]:
    """(officer, earlier crew-day, later crew-day) for each officer working in two parts of a
    day that both have visits, the earlier part first."""
    out: list[tuple[str, int, int]] = []
    for (oid, _d), crews in sorted(prob.split_crews.items()):
        busy = sorted((prob.crews[c].start_min, c) for c in crews if st.stops.get(c))
        if len(busy) == 2:
            out.append((oid, busy[0][1], busy[1][1]))
    return out


def _join_fits(prob: Problem, st: _State, oid: str, a: int, b: int) -> bool:
    """Does the officer's day, the earlier part's visits then the later part's, fit the
    contract's officer-level rule: the drive from the earlier part's last visit to the later
    part's first must fit between them? (Always true when travel obeys the triangle
    inequality: each part starts and ends at base inside its own hours.)"""
    ra = prob.timer_of(prob.crews[a]).timeline(st.stops[a])
    rb = prob.timer_of(prob.crews[b]).timeline(st.stops[b])
    if ra is None or rb is None:
        return False
    last, first = st.stops[a][-1], st.stops[b][0]
    end_a = ra.starts[-1] + last.duration_min
    return end_a + prob.cache.minutes(last.place, first.place) <= rb.starts[0]


def check_split_joins(prob: Problem, st: _State) -> int:
    """Drop the later part's first visits where an officer's joined day would not fit (a
    safety net for travel that breaks the triangle inequality); returns how many visits."""
    dropped = 0
    for oid, a, b in _split_parts(prob, st):
        while st.stops.get(b) and st.stops.get(a) and not _join_fits(prob, st, oid, a, b):
            gone = st.stops[b][0]
            rest = st.stops[b][1:]
            order = prob.timer_of(prob.crews[b]).best_order(rest) if rest else []
            st.stops[b] = order or []
            for s in [gone] + ([] if order else rest):
                p = st.person_of.pop(s.key)
                st.crew_of.pop(s.key)
                st.by_person[p] = [k for k in st.by_person[p] if k != s.key]
                st.frozen.discard(s.key)
                st.kept.discard(s.key)
                dropped += 1
    return dropped


def _break_in_gap(
    prob: Problem,
    officer: Officer,
    brk_a: tuple[int | None, int | None],
    brk_b: tuple[int | None, int | None],
    end_a: int,
    start_b: int,
    join_min: int,
) -> tuple[int, int] | None | Literal[False]:
    """A split officer's break when the two parts are joined by a straight drive: None if it
    lies inside a part (unchanged), the new (start, end) in the gap after the drive, or False
    if it does not fit there (the parts then keep their trips via base)."""
    in_gap = (brk_a[0] is not None and brk_a[0] >= end_a) or (
        brk_b[1] is not None and brk_b[1] <= start_b
    )
    if not in_gap:
        return None
    need = rules.refreshment_break(officer, prob.policy.shifts)
    if need is None:
        return None
    b = max(end_a + join_min, need.earliest_min)
    if b + need.minutes > min(need.latest_min, start_b):
        return False
    return b, b + need.minutes


def _join_split_legs(
    prob: Problem,
    st: _State,
    made: dict[int, Route],
    routes_raw: list[tuple[date, str, int, list[int], tuple[OfficerLeg, ...]]],
) -> list[tuple[date, str, int, list[int], tuple[OfficerLeg, ...]]]:
    """An officer in two parts of a day drives from the earlier part's last visit straight to
    the later part's first (the contract's officer day): the earlier leg ends on arrival there,
    the later one starts then, and travel counts that drive instead of the trip via base."""
    new_legs: dict[tuple[int, str], OfficerLeg] = {}
    for oid, a, b in _split_parts(prob, st):
        o = prob.officers[oid]
        home = base(o)
        last, first = st.stops[a][-1], st.stops[b][0]
        ra, rb = made[a], made[b]
        leg_a = next(g for g in ra.legs if g.officer_id == oid)
        leg_b = next(g for g in rb.legs if g.officer_id == oid)
        join_min = prob.cache.minutes(last.place, first.place)
        join_km = prob.cache.km(last.place, first.place)
        end_a = ra.starts_min[-1] + last.duration_min
        arrive = end_a + join_min
        brk_a = (leg_a.break_start_min, leg_a.break_end_min)
        brk_b = (leg_b.break_start_min, leg_b.break_end_min)
        gap = _break_in_gap(prob, o, brk_a, brk_b, end_a, rb.starts_min[0], join_min)
        if gap is False:
            continue  # the break needs the trip via base: the parts stay apart
        if gap is not None:  # the break moves into the drive's gap, on arrival
            brk_a, brk_b = (None, None), (gap[0], gap[1])
        new_legs[a, oid] = OfficerLeg(
            oid,
            leg_a.depart_min,
            arrive,
            leg_a.travel_min - prob.cache.minutes(last.place, home) + join_min,
            round(leg_a.travel_km - prob.cache.km(last.place, home) + join_km, 3),
            *brk_a,
        )
        new_legs[b, oid] = OfficerLeg(
            oid,
            arrive,
            leg_b.return_min,
            leg_b.travel_min - prob.cache.minutes(home, first.place),
            round(leg_b.travel_km - prob.cache.km(home, first.place), 3),
            *brk_b,
        )
    if not new_legs:
        return routes_raw
    return [
        (day, cid, ci, keys, tuple(new_legs.get((ci, g.officer_id), g) for g in legs))
        for day, cid, ci, keys, legs in routes_raw
    ]


def _split_breaks_at_base(
    prob: Problem, routes_raw: list[tuple[date, str, int, list[int], tuple[OfficerLeg, ...]]]
) -> list[tuple[date, str, int, list[int], tuple[OfficerLeg, ...]]]:
    """An officer in a crew for a part of the day whose break belongs to another part (one
    without visits, or without a crew) takes it at base then: the first free stretch of the
    window outside their legs (`routing._in_part` gives each part its share of the window)."""
    legs_of: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    has_break: set[tuple[str, int]] = set()
    for _day, _cid, ci, _keys, legs in routes_raw:
        for k, g in enumerate(legs):
            key = (g.officer_id, prob.crews[ci].day_index)
            legs_of[key].append((ci, k))
            if g.break_start_min is not None:
                has_break.add(key)
    fixes: dict[tuple[int, int], OfficerLeg] = {}
    for key in sorted(legs_of):
        if key in has_break or all(prob.crews[ci].part is None for ci, _k in legs_of[key]):
            continue
        need = rules.refreshment_break(prob.officers[key[0]], prob.policy.shifts)
        if need is None:
            continue
        raw = {ci: legs for _d, _c, ci, _k, legs in routes_raw}
        busy = sorted((raw[ci][k].depart_min, raw[ci][k].return_min) for ci, k in legs_of[key])
        for b in [need.earliest_min, *(r for _d, r in busy)]:
            b = max(b, need.earliest_min)
            if b + need.minutes <= need.latest_min and all(
                b + need.minutes <= d or r <= b for d, r in busy
            ):
                ci, k = legs_of[key][0]
                fixes[ci, k] = replace(
                    raw[ci][k], break_start_min=b, break_end_min=b + need.minutes
                )
                break
    if not fixes:
        return routes_raw
    return [
        (day, cid, ci, keys, tuple(fixes.get((ci, k), g) for k, g in enumerate(legs)))
        for day, cid, ci, keys, legs in routes_raw
    ]


def _extract(
    prob: Problem,
    st: _State,
    options: PlanOptions,
    stats: dict[str, object],
) -> PlanResult:
    """Plain roster rows, crew routes, unscheduled visits with reasons, and statistics."""
    rows: list[tuple[date, str, int, int, int, int]] = []  # day, crew_id, start, end, person, key
    routes_raw: list[tuple[date, str, int, list[int], tuple[OfficerLeg, ...]]] = []
    made: dict[int, Route] = {}
    for crew_idx, order in sorted(st.stops.items()):
        if not order:
            continue
        crew = prob.crews[crew_idx]
        timer = prob.timer_of(crew)
        route = timer.make_route(order)
        if route is None:  # cannot happen: every order kept here was checked
            raise PlanError(f"internal error: crew {crew.crew_id} on {crew.day} lost its timing")
        for s, start_min in zip(order, route.starts_min, strict=True):
            rows.append(
                (
                    crew.day,
                    crew.crew_id,
                    start_min,
                    start_min + s.duration_min,
                    st.person_of[s.key],
                    s.key,
                )
            )
        made[crew_idx] = route
        legs = tuple(
            OfficerLeg(
                g.officer_id,
                g.depart_min,
                g.return_min,
                g.travel_min,
                g.travel_km,
                g.break_start_min,
                g.break_end_min,
            )
            for g in route.legs
        )
        routes_raw.append((crew.day, crew.crew_id, crew_idx, [s.key for s in order], legs))
    routes_raw = _join_split_legs(prob, st, made, routes_raw)
    routes_raw = _split_breaks_at_base(prob, routes_raw)
    rows.sort(key=lambda r: (r[0], r[1], r[2], prob.reqs[r[4]].offender_id))
    visit_id = {row[5]: f"V{i + 1:05d}" for i, row in enumerate(rows)}
    # dues follow the planned dates: the first owed visit satisfies the first due date, each
    # later one the due date set by the visit before it
    by_person: dict[int, list[tuple[date, str, int, int, int, int]]] = defaultdict(list)
    for row in rows:
        by_person[row[4]].append(row)
    drafts: list[dict[str, object]] = []
    for p, prow in sorted(by_person.items()):
        r = prob.reqs[p]
        due = r.first_due
        for seq, row in enumerate(sorted(prow, key=lambda x: x[0])):
            drafts.append(
                {
                    "key": row[5],
                    "person": p,
                    "date": row[0],
                    "start": row[2],
                    "end": row[3],
                    "crew": row[1],
                    "due": due,
                    "seq": seq,
                    # due after the plan: a visit made early (first visit of someone not
                    # yet due, or a chained one that is not owed)
                    "pulled": due > prob.end,
                }
            )
            due = r.next_due(row[0])
    kinds = choose_unannounced(prob, drafts)
    visits: list[PlannedVisit] = []
    for d in drafts:
        p = int(d["person"])  # type: ignore[call-overload]
        r = prob.reqs[p]
        key = int(d["key"])  # type: ignore[call-overload]
        visits.append(
            PlannedVisit(
                visit_id=visit_id[key],
                date=d["date"],  # type: ignore[arg-type]
                start_min=int(d["start"]),  # type: ignore[call-overload]
                end_min=int(d["end"]),  # type: ignore[call-overload]
                offender_id=r.offender_id,
                officer_ids=tuple(str(d["crew"]).split("+")),
                risk_level=r.risk_level,
                due_date=d["due"],  # type: ignore[arg-type]
                kind=VisitKind.unannounced if kinds.get(key) else VisitKind.announced,
                seq=int(d["seq"]),  # type: ignore[call-overload]
                pulled_forward=bool(d["pulled"]),
            )
        )
    visits.sort(key=lambda v: v.visit_id)
    routes = [
        CrewRoute(
            date=day,
            crew_id=crew_id,
            officer_ids=tuple(crew_id.split("+")),
            visit_ids=tuple(visit_id[k] for k in keys),
            legs=legs,
        )
        for day, crew_id, _ci, keys, legs in sorted(routes_raw, key=lambda x: (x[0], x[1]))
    ]
    hooks = _Diagnosis(prob, st)
    room = RoomBound(prob, st)
    unscheduled: list[Unscheduled] = []
    owed_dates: dict[int, list[date]] = defaultdict(list)
    for v in visits:
        if not v.pulled_forward:
            owed_dates[prob.person_index[v.offender_id]].append(v.date)
    for p, r in enumerate(prob.reqs):
        if r.optional:
            continue

        def reason_for(lo: date, why: str, p: int = p, r: Requirement = r) -> str:
            return unscheduled_reason(
                r,
                lo,
                why,
                prob.start,
                prob.end,
                hooks.on_duty,
                prob.area_mode,
                hooks.eligible_for(p),
                room.full_because(p),
            )

        unscheduled.extend(
            unplanned_owed(
                r,
                sorted(owed_dates.get(p, [])),
                r.owed_dues(prob.end, prob.duty_days),
                prob.end,
                reason_for,
            )
        )
    unscheduled.sort(key=lambda u: (u.risk_level.rank, u.due_date, u.offender_id))
    visits = with_late_reasons(
        visits,
        {r.offender_id: r for r in prob.reqs},
        prob.start,
        prob.end,
        hooks.on_duty,
        prob.area_mode,
        lambda oid: owed_count(prob, prob.person_index[oid]),
        lambda oid: hooks.room_for(prob.person_index[oid]),
        lambda oid: hooks.eligible_for(prob.person_index[oid]),
    )
    owed_planned = sum(1 for v in visits if not v.pulled_forward)
    stats["visits_planned"] = len(visits)
    stats["crew_days"] = len(prob.crews)
    stats["slots"] = len(prob.slots)
    stats["people"] = len(prob.reqs)
    return PlanResult(
        plan_start=prob.start,
        plan_end=prob.end,
        visits=visits,
        unscheduled=unscheduled,
        routes=routes,
        visits_due=owed_planned + len(unscheduled),
        solve_seconds=0.0,
        seed=options.seed,
        time_limit_s=options.time_limit_s,
        work_bank_holidays=options.work_bank_holidays,
        stats=stats,
        crew_days=_crew_records(prob, st, visit_id, {v.visit_id: v for v in visits}),
    )


def beyond_leg_limit(prob: Problem, st: _State) -> dict[int, list[tuple[str, int, bool]]]:
    """Crew-days with visits over `[planner] max_leg_minutes` from an officer's base: crew
    index -> (offender id, longest drive, kept from the issued roster) of each such visit."""
    out: dict[int, list[tuple[str, int, bool]]] = {}
    for c, order in st.stops.items():
        comp = prob.comp_of(prob.crews[c])
        for s in order:
            p = st.person_of[s.key]
            minutes = prob.leg_over(p, comp)
            if minutes is not None:
                kept = not st.movable(s.key)
                out.setdefault(c, []).append((prob.reqs[p].offender_id, minutes, kept))
    return out


def _crew_records(
    prob: Problem, st: _State, visit_id: dict[int, str], visits: dict[str, PlannedVisit]
) -> list[CrewDayRecord]:
    """Every crew-day with the reason it was formed; a far one (areas, bases apart, a long
    leg: `why.far_because`) also says what it saved (`why.what_it_saved`)."""

    def lateness(key: int) -> str:
        v = visits[visit_id[key]]
        if v.pulled_forward:
            return f"pulled forward, due {v.due_date}"
        if v.days_late:
            return f"{v.days_late} day{'s' if v.days_late > 1 else ''} late, due {v.due_date}"
        return f"on time, due {v.due_date}"

    beyond = beyond_leg_limit(prob, st)
    planned_on: dict[str, list[date]] = defaultdict(list)
    for v in visits.values():
        planned_on[v.offender_id].append(v.date)
    out = []
    for c in sorted(prob.crews, key=lambda c: (c.day, c.crew_id)):
        timer = prob.timer_of(c)
        order = st.stops.get(c.index, [])
        longest = longest_leg_min(timer.cache.minutes, timer.bases, [s.place for s in order])
        here = {prob.reqs[st.person_of[s.key]].offender_id for s in order}
        paired = paired_for(c, here, planned_on, len(order))
        far = far_because(c, longest)
        saved = saved_by(prob, st.stops, st.person_of, c, lateness) if far else None
        over = over_limit(beyond.get(c.index, []), prob.policy.planner.max_leg_minutes)
        short, detail = crew_reason(c, paired, far, saved, over)
        out.append(
            CrewDayRecord(
                c.day,
                c.crew_id,
                c.officer_ids,
                c.start_min,
                c.end_min,
                short,
                detail,
            )
        )
    return out
