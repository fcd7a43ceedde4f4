"""Bounds: when may the planner say "capacity"?

An owed visit left out although some crew could make it is either a full roster or a planner
that did not find the room. A supervisor reads "capacity" as "more officers needed", so the
reason says it only where a bound proves it: the eligible crew-days of the visit's possible days
(set C) offer W working minutes (shift spans, or a split crew's part); every owed visit whose
eligible crew-days all lie in C must be made by them, so if those visits' minutes plus this
visit's exceed W (or their count exceeds the crews' visit caps), no plan of these crews holds
them all, whatever the order, the day or the crew. Travel is left out of the sum (0 is a lower
bound), so the bound is weak but never false.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import numpy as np

from rso_scheduler.models import Dataset
from rso_scheduler.solver.problem import Problem, owed_count
from rso_scheduler.solver.state import State


class RoomBound:
    """The "capacity" proof of one plan (see the module docstring); crew-day sets cached."""

    def __init__(self, prob: Problem, st: State):
        self.prob = prob
        self.st = st
        self._sets: dict[int, frozenset[int]] = {}

    def eligible_crew_days(
        self, person: int, first: int = 0, last: int | None = None
    ) -> frozenset[int]:
        """Crew-day indices that could make the person's visit on days first..last."""
        prob = self.prob
        r = prob.reqs[person]
        last = prob.n_days - 1 if last is None else last
        lo = max(first, (r.first_earliest - prob.start).days, 0)
        out = set()
        for d in range(lo, last + 1):
            if not r.available_on(prob.day(d)):
                continue
            for comp, crew in prob.crews_by_day[d].items():
                if prob.static_eligibility(person, comp) is not None:
                    out.add(crew.index)
        return frozenset(out)

    def _whole(self, person: int) -> frozenset[int]:
        got = self._sets.get(person)
        if got is None:
            got = self._sets[person] = self.eligible_crew_days(person)
        return got

    def proof(self, person: int, first: date, last: date) -> str | None:
        """Why the eligible crew-days of first..last cannot hold the visit, or None."""
        prob = self.prob
        crews = self.eligible_crew_days(person, (first - prob.start).days, (last - prob.start).days)
        if not crews:
            return None
        minutes = sum(prob.crews[c].end_min - prob.crews[c].start_min for c in crews)
        caps = [prob.crews[c].max_visits for c in crews]
        places = None if any(c is None for c in caps) else sum(c for c in caps if c is not None)
        need = prob.reqs[person].duration_min
        count = 1
        for q, r in enumerate(prob.reqs):
            if q == person or r.optional:
                continue
            made = len(self.st.by_person.get(q, []))
            if not made:
                continue
            mine = self._whole(q)
            if mine and mine <= crews:
                n = min(made, owed_count(prob, q))
                need += n * r.duration_min
                count += n
        if places is not None and count > places:
            return f"they can make {places} visits; {count} are visits only they can make"
        if need <= minutes:
            return None
        return (
            f"their {minutes} working minutes cannot hold the {need} minutes of visits "
            "only they can make"
        )

    def full_because(self, person: int) -> Callable[[date, date], str | None]:
        """`diagnose.unscheduled_reason`'s hook for one person."""

        def because(first: date, last: date) -> str | None:
            return self.proof(person, first, last)

        return because


def late_lower_bound(dataset: Dataset, start: date, end: date) -> tuple[int, float]:
    """A lower bound on risk-weighted late days of the month's first owed visits, and the
    visits the relaxation itself could not place (misses come first, as in the objective).

    The linear relaxation of the month's assignment (OR-Tools' GLOP): each first owed visit is a
    fraction spread over the days from its first possible day (`scenarios.first_possible_day`:
    necessary conditions only) that the person is available, or missed. Each day offers the
    officer-minutes of the shifts on duty; a visit takes its minutes times its officers, plus
    the drive into it from the nearest other home or base (no visit is reached for less). A
    visit with a window also draws on the officer-minutes that overlap that window alone, which
    is what binds evening work. Every plan that makes the visits this relaxation makes is at
    least as late as its optimum; chained later visits are left out (a relaxation too).
    """
    from ortools.linear_solver import pywraplp

    from rso_scheduler.demand import requirements
    from rso_scheduler.duty import DutyCalendar
    from rso_scheduler.geo import haversine_matrix_km
    from rso_scheduler.scenarios import first_possible_day

    cal = DutyCalendar(dataset.officers, dataset.absences, start, end)
    all_days = cal.days
    on_duty = {d: cal.on_duty(d) for d in all_days}
    mode = dataset.policy.areas.mode
    reqs = [
        (r, fd)
        for r in requirements(dataset, start, end, include_optional=False)
        if (fd := first_possible_day(r, start, end, on_duty, mode)) is not None
    ]
    if not reqs:
        return 0, 0.0
    tp = dataset.policy.travel
    lats = [r.lat for r, _ in reqs] + [o.base_lat for o in dataset.officers]
    lons = [r.lon for r, _ in reqs] + [o.base_lon for o in dataset.officers]
    km = haversine_matrix_km(lats[: len(reqs)], lons[: len(reqs)], lats, lons)
    for i in range(len(reqs)):
        km[i, i] = np.inf
    into_min = np.floor(km.min(axis=1) * tp.circuity / tp.speed_kmh * 60)
    solver = pywraplp.Solver.CreateSolver("GLOP")
    assert solver is not None
    # per unit weight: a miss costs more than any lateness (inherited days included)
    miss_cost = 10 * (max((end - r.first_due).days for r, _ in reqs) + 1)
    objective = solver.Objective()
    per_day: dict[date, list[tuple[float, object, tuple[int, int] | None]]] = {}
    misses = []
    for i, (r, fd) in enumerate(reqs):
        need = (2 if r.two_officers else 1) * (r.duration_min + float(into_min[i]))
        window = None
        if r.window_start_min is not None or r.window_end_min is not None:
            window = (r.window_start_min or 0, r.window_end_min or 24 * 60)
        ct = solver.Constraint(1, 1)
        m = solver.NumVar(0, 1, "")
        ct.SetCoefficient(m, 1)
        objective.SetCoefficient(m, miss_cost * r.weight)
        misses.append(m)
        for d in all_days:
            if d < fd or not r.available_on(d) or not on_duty[d]:
                continue
            x = solver.NumVar(0, 1, "")
            ct.SetCoefficient(x, 1)
            objective.SetCoefficient(x, r.weight * max(0, (d - r.first_due).days))
            per_day.setdefault(d, []).append((need, x, window))
    objective.SetMinimization()
    for d, items in per_day.items():
        offs = on_duty[d]
        cap = solver.Constraint(0, sum(o.shift_end_min - o.shift_start_min for o in offs))
        windows: dict[tuple[int, int], object] = {}
        for need, x, window in items:
            cap.SetCoefficient(x, need)
            if window is None:
                continue
            wct = windows.get(window)
            if wct is None:
                lo, hi = window
                room = sum(
                    max(0, min(o.shift_end_min, hi) - max(o.shift_start_min, lo)) for o in offs
                )
                wct = windows[window] = solver.Constraint(0, room)
            wct.SetCoefficient(x, need)  # type: ignore[attr-defined]
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return 0, 0.0
    missed = sum(m.solution_value() for m in misses)
    late = objective.Value() - sum(
        miss_cost * r.weight * m.solution_value() for (r, _), m in zip(reqs, misses, strict=True)
    )
    return int(math.ceil(late - 1e-6)), missed
