"""Counted work: how the local search, repair and exchanges know when to stop.

A search step that stops on the wall clock gives a different roster on a busy machine. Here
every search is bounded by *counted work* (route evaluations, each a pass over one crew-day's
visits with the exact travel model), which is the same on every run with the same inputs.
The wall clock is kept only as a safety net for an overloaded machine; when it fires, the
budget remembers it, and the planner says so on the terminal and in the run's statistics.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

# Route evaluations per second of the time limit, measured on the benchmark machine (2 cores,
# idle): the force month runs ~400,000 evaluations a second in the local search. The budget is
# set so that an idle machine uses about half the time limit, leaving headroom for load.
EVALS_PER_S = 150_000
# A day whose refreshment breaks do not simply go after the last visit is put through the
# break-aware steps (`routing.CrewTimer._fits_steps`), which take about 20 times a plain route
# evaluation (measured on a team month: ~190 us against ~8 us). Each one is counted as this
# many evaluations, so that a plan with breaks keeps to its time limit by counted work, not by
# the clock (team month 300/8, 10 s: 15.3 s with the local search cut by the clock, before).
BREAK_STEP_UNITS = 20

_counted = threading.local()  # per thread: a workbench re-plan never counts another's work


def count_break_steps(n: int = 1) -> None:
    """Count `n` break-aware timings done by this thread (routing calls it)."""
    _counted.steps = getattr(_counted, "steps", 0) + n


def break_steps() -> int:
    """Break-aware timings this thread has done so far."""
    return int(getattr(_counted, "steps", 0))


@dataclass
class WorkBudget:
    """A limit on counted work with a wall-clock safety net (monotonic seconds)."""

    limit: int  # route evaluations allowed
    safety_deadline: float  # time.monotonic() value after which the search stops anyway
    used: int = 0
    clock_fired: bool = False
    steps_from: int = field(default_factory=break_steps)  # break-aware timings before it

    def spend(self, units: int = 1) -> None:
        self.used += units

    @property
    def spent(self) -> int:
        """Counted work so far: what the searches spent, plus the break-aware timings done
        since this budget was made, each worth `BREAK_STEP_UNITS` evaluations."""
        return self.used + (break_steps() - self.steps_from) * BREAK_STEP_UNITS

    def exhausted(self) -> bool:
        """True when the counted work is used up, or (safety net) the clock has run out."""
        if self.spent >= self.limit:
            return True
        if time.monotonic() > self.safety_deadline:
            self.clock_fired = True
            return True
        return False

    @property
    def work_done(self) -> bool:
        """True when the counted limit (not the clock) ended the search."""
        return self.spent >= self.limit and not self.clock_fired


def evals_for(seconds: float) -> int:
    """Counted work allowed for a share of the time limit (deterministic: seconds are the
    user's budget, never the clock)."""
    return max(1, int(seconds * EVALS_PER_S))
