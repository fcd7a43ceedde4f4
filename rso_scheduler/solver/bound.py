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

from collections.abc import Callable
from datetime import date

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
