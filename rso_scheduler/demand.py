"""Demand: the home visits owed in a plan period, by the contract's due-date rules.

For each visitable person this gives a `Requirement`: the first visit's due and earliest
dates plus everything a planner needs (interval, window, duration, crew size, skills,
unavailability, area, named offender manager). When the interval is shorter than the plan,
more visits follow; their due dates depend on when the previous one is planned, so they are
derived with `Requirement.next_due(previous_date)` / `next_earliest(previous_date)`.

Rules (data contract, "Due dates"):
- interval = per-person `visit_interval_days`, else the risk level's policy interval.
- due = last counted completed visit + interval; never visited -> registered_on +
  first_visit_days; neither -> due at plan start (already owed).
- released_on / address_changed_on later than the last visit bring the due date forward to
  that date + first_visit_days if that is sooner.
- earliest = max(due - window_days, previous visit + ceil(interval / 2)).
  Addition: a visit brought forward by an event is never earlier than the event itself
  (there is nobody to visit at the new address, or out of custody, before it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from rso_scheduler.models import (
    Dataset,
    Offender,
    Outcome,
    RiskLevel,
    Status,
    VisitRecord,
    in_unavailable_range,
)
from rso_scheduler.policy import Policy


@dataclass(frozen=True)
class DueState:
    """When a person's next visit is due, from their history as known on some date."""

    last_visit: date | None
    due: date | None  # None: no registration date and never visited -> owed from the start
    interval_days: int
    earliest: date | None  # None: no lower bound other than the plan start
    trigger: str  # why it is due: "interval", "registration", "release", "address change", "never visited"


def interval_for(offender: Offender, policy: Policy) -> int:
    return offender.visit_interval_days or policy.for_risk(offender.risk_level).interval_days


def half_interval(interval_days: int) -> int:
    """Minimum gap between two visits: half the interval, rounded up."""
    return math.ceil(interval_days / 2)


def due_state(offender: Offender, last_visit: date | None, policy: Policy) -> DueState:
    """The due and earliest dates of a person's next visit given their last completed visit."""
    rp = policy.for_risk(offender.risk_level)
    interval = interval_for(offender, policy)
    first = policy.visits.first_visit_days
    due: date | None
    trigger: str
    floor: date | None = None
    if last_visit is not None:
        due, trigger = last_visit + timedelta(days=interval), "interval"
    elif offender.registered_on is not None:
        due, trigger = offender.registered_on + timedelta(days=first), "registration"
        floor = offender.registered_on
    else:
        due, trigger = None, "never visited"
    for event, name in (
        (offender.released_on, "release"),
        (offender.address_changed_on, "address change"),
    ):
        if event is None or (last_visit is not None and event <= last_visit):
            continue
        candidate = event + timedelta(days=first)
        if due is None or candidate < due:
            due, trigger = candidate, name
            floor = event
    earliest: date | None = None
    if due is not None:
        earliest = due - timedelta(days=rp.window_days)
        if floor is not None and trigger != "interval":
            earliest = max(earliest, floor)
    if last_visit is not None:
        gap_floor = last_visit + timedelta(days=half_interval(interval))
        earliest = gap_floor if earliest is None else max(earliest, gap_floor)
    return DueState(last_visit, due, interval, earliest, trigger)


def history_by_offender(
    visits: tuple[VisitRecord, ...] | list[VisitRecord],
) -> dict[str, list[VisitRecord]]:
    out: dict[str, list[VisitRecord]] = defaultdict(list)
    for v in visits:
        out[v.offender_id].append(v)
    for lst in out.values():
        lst.sort(key=lambda v: (v.date, v.start_min or 0))
    return dict(out)


def last_completed(
    offender: Offender, history: list[VisitRecord], on_or_before: date | None = None
) -> date | None:
    """Latest completed visit (log or `last_visit_date`), optionally only up to a date."""
    best = offender.last_visit_date
    if best is not None and on_or_before is not None and best > on_or_before:
        best = None
    for v in history:
        if v.outcome is not Outcome.completed:
            continue
        if on_or_before is not None and v.date > on_or_before:
            continue
        if best is None or v.date > best:
            best = v.date
    return best


@dataclass(frozen=True)
class Requirement:
    """A person's owed visits in a plan period, with everything the planner needs."""

    offender_id: str
    risk_level: RiskLevel
    weight: int
    lat: float
    lon: float
    area: str | None
    manager_id: str | None
    interval_days: int
    window_days: int
    duration_min: int
    two_officers: bool
    window_start_min: int | None
    window_end_min: int | None
    skills: frozenset[str]
    unavailable_from: date | None
    unavailable_to: date | None
    last_visit: date | None
    first_due: date  # due date of the first owed visit (plan start if owed with no date)
    first_earliest: date  # earliest date the first visit may be made (>= plan start)
    optional: bool  # the first visit falls due after the plan ends: pull forward only if spare
    trigger: str
    prev_weekday: int | None = None  # weekday of the last completed visit (0 = Monday)
    prev_start_min: int | None = None  # its start time, if recorded
    line: int = 0
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def min_gap_days(self) -> int:
        return half_interval(self.interval_days)

    def next_due(self, previous: date) -> date:
        """Due date of the visit after one planned on `previous`."""
        return previous + timedelta(days=self.interval_days)

    def next_earliest(self, previous: date) -> date:
        """Earliest date of the visit after one planned on `previous`."""
        due = self.next_due(previous)
        return max(
            due - timedelta(days=self.window_days), previous + timedelta(days=self.min_gap_days)
        )

    def available_on(self, day: date) -> bool:
        return not in_unavailable_range(self.unavailable_from, self.unavailable_to, day)

    def chain_estimate(self, plan_end: date) -> int:
        """How many visits fall due in the plan if each is made on its due date (at least 1 if owed)."""
        if self.optional:
            return 0
        n, due = 1, self.first_due
        while True:
            due = self.next_due(max(due, self.first_earliest))
            if due > plan_end:
                return n
            n += 1


def requirement_for(
    offender: Offender, history: list[VisitRecord], policy: Policy, start: date, end: date
) -> Requirement | None:
    """The requirement of one person for the plan [start, end], or None if nothing is owed.

    None for people not under active management (reactive, custody, hospital, abroad) and for
    those whose next visit can not be made inside the period (earliest after `end`).
    """
    if offender.status is not Status.active:
        return None
    rp = policy.for_risk(offender.risk_level)
    last = last_completed(offender, history, on_or_before=start - timedelta(days=1))
    st = due_state(offender, last, policy)
    due = st.due if st.due is not None else start
    earliest = max(st.earliest or start, start)
    if earliest > end:
        return None
    prev = [v for v in history if v.outcome is Outcome.completed and v.date == last]
    prev_start = prev[-1].start_min if prev else None
    return Requirement(
        offender_id=offender.offender_id,
        risk_level=offender.risk_level,
        weight=rp.weight,
        lat=offender.lat,
        lon=offender.lon,
        area=offender.area,
        manager_id=offender.offender_manager_id,
        interval_days=st.interval_days,
        window_days=rp.window_days,
        duration_min=offender.visit_minutes or rp.visit_minutes,
        two_officers=rp.two_officers if offender.two_officers is None else offender.two_officers,
        window_start_min=offender.window_start_min,
        window_end_min=offender.window_end_min,
        skills=offender.required_skills,
        unavailable_from=offender.unavailable_from,
        unavailable_to=offender.unavailable_to,
        last_visit=last,
        first_due=due,
        first_earliest=earliest,
        optional=due > end,
        trigger=st.trigger,
        prev_weekday=last.weekday() if last else None,
        prev_start_min=prev_start,
        line=offender.line,
    )


def requirements(
    dataset: Dataset, start: date, end: date, include_optional: bool = True
) -> list[Requirement]:
    """Every person's requirement for the plan period, most serious and most overdue first."""
    hist = history_by_offender(dataset.visits)
    out: list[Requirement] = []
    for o in dataset.offenders:
        r = requirement_for(o, hist.get(o.offender_id, []), dataset.policy, start, end)
        if r is not None and (include_optional or not r.optional):
            out.append(r)
    out.sort(key=lambda r: (r.optional, r.risk_level.rank, r.first_due, r.offender_id))
    return out
