"""Options shared by every planner (the optimiser and the greedy baseline)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rso_scheduler.travel import Travel

from rso_scheduler.limits import MAX_SEED


def _quiet(_message: str) -> None:
    return None


@dataclass(frozen=True)
class FixedVisit:
    """A visit of an issued roster to keep in a re-plan (`rso replan`).

    Pinned: kept exactly (day, start, officers) while the hard rules allow it; no move of the
    planner touches it. Not pinned: the starting roster; moved only to save a miss or lateness.
    """

    offender_id: str
    date: date
    start_min: int
    officer_ids: tuple[str, ...]
    pinned: bool = False


@dataclass(frozen=True)
class PlanOptions:
    """How to plan. Validated on creation."""

    time_limit_s: float = 60.0  # wall-clock budget for the whole solve
    seed: int = 0  # identical inputs + seed -> identical roster
    work_bank_holidays: bool = False  # bank holidays in England and Wales are off unless True
    pull_forward: bool = True  # plan visits due after the period when capacity is spare
    workers: int = 2  # CP-SAT search workers (the machine has 2 cores)
    progress: Callable[[str], None] = _quiet  # progress messages (the CLI prints them to stderr)
    # the run's travel model (travel.build_travel); None: the policy's straight-line model
    travel: Travel | None = None
    fixed: tuple[FixedVisit, ...] = ()  # a re-plan: the issued visits to keep (see FixedVisit)
    # a re-plan's plan from scratch (replan.py): planned without them, then its visits moved
    # back to these issued days and crews where no miss and little lateness follow (win_back.py)
    win_back: tuple[FixedVisit, ...] = ()
    # a month of a longer plan (solver/horizon.py): offender_id -> owed visits the whole period
    # still owes (`demand.capped`); None: the month's own count
    owed_cap: Mapping[str, int] | None = None
    owed_until: date | None = None  # the whole plan's last day (with owed_cap)
    # with owed_cap: charge a visit made so late that one the whole period owes falls after it
    # as a miss (`rules.keep_count_deadline`); horizon.py sets it from the second month on
    keep_count: bool = False

    def __post_init__(self) -> None:
        if self.fixed and self.win_back:
            raise ValueError("a plan keeps its issued visits (fixed) or wins them back, not both")
        if self.time_limit_s <= 0:
            raise ValueError("time_limit_s must be positive")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        if not 0 <= self.seed <= MAX_SEED:
            # CP-SAT takes a 32-bit signed seed; a larger one is a TypeError deep in OR-Tools
            raise ValueError(f"seed must be between 0 and {MAX_SEED}")
