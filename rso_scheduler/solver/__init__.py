"""Planners: `plan` (the optimiser) and `greedy_plan` (the simple baseline). Both return a PlanResult."""

from collections.abc import Callable
from typing import Literal

from rso_scheduler.roster import PlanResult
from rso_scheduler.solver.greedy import greedy_plan
from rso_scheduler.solver.optimise import plan
from rso_scheduler.solver.options import PlanOptions

PlannerName = Literal["optimised", "greedy"]


def planner_for(name: PlannerName) -> Callable[..., PlanResult]:
    """The planning function for a planner name (`rso plan --solver`, `--planner`)."""
    if name not in ("optimised", "greedy"):
        raise ValueError(f"unknown planner {name!r}; expected 'optimised' or 'greedy'")
    # Looked up when called, so a test that replaces one of them reaches every command.
    return plan if name == "optimised" else greedy_plan


__all__ = ["PlanOptions", "PlannerName", "greedy_plan", "plan", "planner_for"]
