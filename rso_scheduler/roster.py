"""The result of planning: visits placed, visits left unscheduled, and each crew's day.

Plain data only: the solver fills these and never lets an OR-Tools object through; outputs,
maps, reports and the checker read them (or the CSV files written from them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
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


def inherited_late_days(due: dt.date, made: dt.date, plan_start: dt.date) -> int:
    """The part of a visit's lateness that was already there when the plan began: the days
    from its due date to the plan's first day, never more than the visit is late."""
    return max(0, min((made - due).days, (plan_start - due).days))


class LateSplit:
    """Mixin: the late days added = all late days - those inherited (overdue before the
    plan's first day), on any record holding the two."""

    late_days: int
    late_days_inherited: int

    @property
    def late_days_added(self) -> int:
        return self.late_days - self.late_days_inherited


class WeightedLateSplit(LateSplit):
    """Mixin: `LateSplit`, and the same for late days weighted by risk."""

    risk_weighted_late_days: int
    risk_weighted_late_days_inherited: int

    @property
    def risk_weighted_late_days_added(self) -> int:
        return self.risk_weighted_late_days - self.risk_weighted_late_days_inherited


@dataclass(frozen=True)
class Lateness(WeightedLateSplit):
    """Late days split into those the plan inherited (overdue before its first day) and those
    it added; inherited + added = total, weighted and unweighted."""

    late_days: int = 0
    late_days_inherited: int = 0
    risk_weighted_late_days: int = 0
    risk_weighted_late_days_inherited: int = 0

    def as_dict(self) -> dict[str, int]:
        """The six figures by their summary.json names."""
        return {
            "late_days": self.late_days,
            "late_days_inherited": self.late_days_inherited,
            "late_days_added": self.late_days_added,
            "risk_weighted_late_days": self.risk_weighted_late_days,
            "risk_weighted_late_days_inherited": self.risk_weighted_late_days_inherited,
            "risk_weighted_late_days_added": self.risk_weighted_late_days_added,
        }


def lateness(
    visits: Iterable[tuple[dt.date, dt.date, RiskLevel]],
    plan_start: dt.date,
    weight: Callable[[RiskLevel], int],
) -> Lateness:
    """The late days of (due date, date made, risk) visits, split at `plan_start`: the one
    place the inherited/added split is computed (plan, re-plan, compliance, scenarios)."""
    days = inherited = rw = rw_inherited = 0
    for due, made, risk in visits:
        late = max(0, (made - due).days)
        if late == 0:
            continue
        old = inherited_late_days(due, made, plan_start)
        w = weight(risk)
        days += late
        inherited += old
        rw += w * late
        rw_inherited += w * old
    return Lateness(days, inherited, rw, rw_inherited)


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
    formed_because: str  # plain English, never coordinates; one sentence, <= 200 characters
    formed_detail: str = ""  # the whole chain (trades, each visit named), "" if no more to say


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

    def lateness(self, weight: Callable[[RiskLevel], int]) -> Lateness:
        """The plan's late days, inherited (overdue before `plan_start`) and added."""
        return lateness(
            ((v.due_date, v.date, v.risk_level) for v in self.visits), self.plan_start, weight
        )

    @property
    def overdue_at_start_unscheduled(self) -> int:
        """Unscheduled visits already overdue on the plan's first day (counted as missed, not
        in the late days: they have no date to be late by)."""
        return sum(1 for u in self.unscheduled if u.due_date < self.plan_start)

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
