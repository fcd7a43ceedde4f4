"""Counted work: how the local search, repair and exchanges know when to stop.

A search step that stops on the wall clock gives a different roster on a busy machine. Here
every search is bounded by *counted work* (route evaluations, each a pass over one crew-day's
visits with the exact travel model), which is the same on every run with the same inputs.
The wall clock is kept only as a safety net for an overloaded machine; when it fires, the
budget remembers it, and the planner says so on the terminal and in the run's statistics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

# Route evaluations per second of the time limit, measured on the benchmark machine (2 cores,
# idle): the force month runs ~400,000 evaluations a second in the local search. The budget is
# set so that an idle machine uses about half the time limit, leaving headroom for load.
EVALS_PER_S = 150_000


@dataclass
class WorkBudget:
    """A limit on counted work with a wall-clock safety net (monotonic seconds)."""

    limit: int  # route evaluations allowed
    safety_deadline: float  # time.monotonic() value after which the search stops anyway
    used: int = 0
    clock_fired: bool = False

    def spend(self, units: int = 1) -> None:
        self.used += units

    def exhausted(self) -> bool:
        """True when the counted work is used up, or (safety net) the clock has run out."""
        if self.used >= self.limit:
            return True
        if time.monotonic() > self.safety_deadline:
            self.clock_fired = True
            return True
        return False

    @property
    def work_done(self) -> bool:
        """True when the counted limit (not the clock) ended the search."""
        return self.used >= self.limit and not self.clock_fired


def evals_for(seconds: float) -> int:
    """Counted work allowed for a share of the time limit (deterministic: seconds are the
    user's budget, never the clock)."""
    return max(1, int(seconds * EVALS_PER_S))
