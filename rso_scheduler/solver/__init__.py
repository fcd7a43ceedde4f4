"""Planners: `plan` (the optimiser) and `greedy_plan` (the simple baseline). Both return a PlanResult."""

from rso_scheduler.solver.greedy import greedy_plan
from rso_scheduler.solver.optimise import plan
from rso_scheduler.solver.options import PlanOptions

__all__ = ["PlanOptions", "greedy_plan", "plan"]
