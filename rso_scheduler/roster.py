"""The result of planning: visits placed, visits left unscheduled, and each crew's day.

Plain data only: the solver fills these and never lets an OR-Tools object through; outputs,
maps, reports and the checker read them (or the CSV files written from them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from rso_scheduler.models import RiskLevel, VisitKind


def hhmm(minutes: int) -> str:
    """Minutes after midnight as HH:MM."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class PlannedVisit:
    """One row of roster.csv."""

    visit_id: str
    date: dt.date
    start_min: int
    end_min: int
    offender_id: str
    officer_ids: tuple[str, ...]
    risk_level: RiskLevel
    due_date: dt.date
    kind: VisitKind
    seq: int = 0  # 0: the person's first owed visit in the plan; 1, 2...: chained visits
    pulled_forward: bool = False  # due after the plan ends, made early because capacity was spare
    late_reason: str = ""  # why a late visit is not earlier: a rule, a full roster, or a choice
    pinned: bool = False  # a supervisor's "keep as it is", carried through re-plans

    @property
    def days_late(self) -> int:
        return max(0, (self.date - self.due_date).days)


@dataclass(frozen=True)
class Unscheduled:
    """One row of unscheduled.csv: an owed visit the roster does not hold, and why."""

    offender_id: str
    risk_level: RiskLevel
    due_date: dt.date
    reason: str


@dataclass(frozen=True)
class OfficerLeg:
    """One officer's day: leaves base, makes the crew's visits, returns."""

    officer_id: str
    depart_min: int
    return_min: int
    travel_min: int
    travel_km: float
    break_start_min: int | None = None  # the officer's refreshment break (breaks.csv)
    break_end_min: int | None = None


@dataclass(frozen=True)
class Break:
    """One row of breaks.csv: an officer's refreshment break on a day."""

    officer_id: str
    date: dt.date
    start_min: int
    end_min: int


@dataclass(frozen=True)
class CrewRoute:
    """A crew's (one or two officers') visits on one day, in visiting order."""

    date: dt.date
    crew_id: str  # e.g. "TV001+TV007"
    officer_ids: tuple[str, ...]
    visit_ids: tuple[str, ...]
    legs: tuple[OfficerLeg, ...]

    @property
    def travel_min(self) -> int:
        return sum(leg.travel_min for leg in self.legs)

    @property
    def travel_km(self) -> float:
        return sum(leg.travel_km for leg in self.legs)


@dataclass(frozen=True)
class CrewDayRecord:
    """A crew-day the plan formed (with or without visits) and why: one row of crews.csv."""

    date: dt.date
    crew_id: str  # e.g. "TV001+TV007"; matches `CrewRoute.crew_id`
    officer_ids: tuple[str, ...]
    start_min: int  # the crew's shared shift
    end_min: int
    formed_because: str  # plain English, never coordinates


@dataclass
class PlanResult:
    """Everything a plan produced. `stats` holds solver figures (status, iterations, bounds)."""

    plan_start: dt.date
    plan_end: dt.date
    visits: list[PlannedVisit]
    unscheduled: list[Unscheduled]
    routes: list[CrewRoute]
    visits_due: int
    solve_seconds: float
    seed: int
    time_limit_s: float
    work_bank_holidays: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    # a re-plan: why each issued visit (offender_id, issued date) could not be kept as it was
    not_kept: dict[tuple[str, dt.date], str] = field(default_factory=dict)
    # every crew-day formed, sorted by (date, crew_id), with the reason it was formed
    crew_days: list[CrewDayRecord] = field(default_factory=list)

    @property
    def on_time(self) -> int:
        return sum(1 for v in self.visits if v.days_late == 0 and not v.pulled_forward)

    @property
    def late(self) -> int:
        return sum(1 for v in self.visits if v.days_late > 0)

    @property
    def pulled_forward(self) -> int:
        return sum(1 for v in self.visits if v.pulled_forward)

    @property
    def travel_min(self) -> int:
        return sum(r.travel_min for r in self.routes)

    @property
    def travel_km(self) -> float:
        return sum(r.travel_km for r in self.routes)

    @property
    def breaks(self) -> list[Break]:
        """Every officer's refreshment break, by date and officer (one per officer-day)."""
        seen: dict[tuple[str, dt.date], Break] = {}
        for r in self.routes:
            for g in r.legs:
                if g.break_start_min is None or g.break_end_min is None:
                    continue
                key = (g.officer_id, r.date)
                if key not in seen:
                    seen[key] = Break(g.officer_id, r.date, g.break_start_min, g.break_end_min)
        return [seen[k] for k in sorted(seen, key=lambda k: (k[1], k[0]))]
