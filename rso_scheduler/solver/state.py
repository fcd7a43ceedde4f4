"""The roster under construction, shared by every pass of the optimiser."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from rso_scheduler.solver.problem import Problem
from rso_scheduler.solver.routing import Stop


@dataclass
class State:
    """The roster under construction: ordered stops per crew-day, planned days per person."""

    prob: Problem
    stops: dict[int, list[Stop]] = field(default_factory=dict)  # crew index -> visiting order
    person_of: dict[int, int] = field(default_factory=dict)  # stop key -> person
    crew_of: dict[int, int] = field(default_factory=dict)  # stop key -> crew index
    by_person: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))  # -> keys
    next_key: int = 0
    # A re-plan's issued visits: `frozen` ones (pinned) no move touches; `kept` ones (the rest
    # of the issued roster) move only to save a miss or lateness (frozen.py), never for
    # travel, balance or continuity.
    frozen: set[int] = field(default_factory=set)
    kept: set[int] = field(default_factory=set)

    def add(self, crew: int, person: int, order: list[Stop]) -> None:
        self.stops[crew] = order
        for s in order:
            if s.key not in self.person_of:
                self.person_of[s.key] = person
                self.crew_of[s.key] = crew
                self.by_person[person].append(s.key)

    def new_stop(self, person: int) -> Stop:
        key = self.next_key
        self.next_key += 1
        return self.prob.stop(person, key)

    def person_days(self, person: int) -> list[int]:
        return sorted(
            self.prob.crews[self.crew_of[k]].day_index for k in self.by_person.get(person, [])
        )

    def movable(self, key: int) -> bool:
        """May a pass move this visit for travel, balance or continuity alone?"""
        return key not in self.frozen and key not in self.kept
