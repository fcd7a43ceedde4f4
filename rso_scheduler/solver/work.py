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
# Refreshment breaks make route evaluations dearer, and the counted work says so: a crew-day
# with a break due costs three evaluations more for its break check (`BREAK_CHECK_UNITS`), and a
# day whose breaks do not simply go after the last visit is put through the break-aware steps
# (`routing.CrewTimer._fits_steps`), about 20 times a plain evaluation (measured on a team
# month: ~190 us against ~8 us), counted as `BREAK_STEP_UNITS`. So a plan with breaks keeps to
# its time limit by counted work, not by the clock (force month 2,000/40 at 60 s on an idle
# machine: 73.7 s before, the local search and ruin and recreate taking ~19 s each; 60.0 s
# with these units, both stopped by their counted work).
BREAK_CHECK_UNITS = 3
BREAK_STEP_UNITS = 20

_counted = threading.local()  # per thread: a workbench re-plan never counts another's work


def count_break_work(units: int) -> None:
    """Count `units` evaluations of break-aware timing done by this thread (routing calls it)."""
    _counted.units = getattr(_counted, "units", 0) + units


def break_work() -> int:
    """Evaluations of break-aware timing this thread has counted so far."""
    return int(getattr(_counted, "units", 0))


@dataclass
class WorkBudget:
    """A limit on counted work with a wall-clock safety net (monotonic seconds)."""

    limit: int  # route evaluations allowed
    safety_deadline: float  # time.monotonic() value after which the search stops anyway
    used: int = 0
    clock_fired: bool = False
    break_from: int = field(default_factory=break_work)  # break-aware work before it

    def spend(self, units: int = 1) -> None:
        self.used += units

    @property
    def spent(self) -> int:
        """Counted work so far: what the searches spent, plus the break-aware timing counted
        since this budget was made."""
        return self.used + break_work() - self.break_from

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
