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
- A routine visit may be made from `due - window_days`, never sooner than half the interval
  (rounded up) after the previous visit. A visit brought forward by an event (registration,
  release, address change) may be made from the event date onward: the half-interval spacing
  does not hold it back, and it is never earlier than the event itself.

The one count of visits owed in a period (`owed_visits`, used by `rso validate`, `rso plan`,
scenarios and the checker's counterpart): each active person's visits that fall due on or
before the last day if every visit is made on its due date (an overdue one on the first day it
may be made). A plan must hold each of them or list it in unscheduled.csv with its reason —
also a chained visit that a late visit before it pushed past the end, and a visit no rule lets
be made inside the period.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from rso_scheduler.duty import DutyCalendar
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
    earliest_why: str = ""  # what sets `earliest`, in words (empty: nothing but the plan start)


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
    earliest, why = _earliest(due, trigger, floor, last_visit, interval, rp.window_days)
    return DueState(last_visit, due, interval, earliest, trigger, why)


def _earliest(
    due: date | None,
    trigger: str,
    event: date | None,
    previous: date | None,
    interval: int,
    window_days: int,
) -> tuple[date | None, str]:
    """The earliest date of a visit and what sets it, in words.

    A routine visit: the window before its due date, never sooner than half the interval after
    the previous visit. A visit brought forward by an event: the window, never before the event.
    """
    if due is None:
        return None, ""
    earliest = due - timedelta(days=window_days)
    why = f"the window opens {window_days} days before the due date {due.isoformat()}"
    if trigger == "interval":
        if previous is not None:
            gap = previous + timedelta(days=half_interval(interval))
            if gap > earliest:
                earliest = gap
                why = f"half the interval after the visit on {previous.isoformat()}"
    elif event is not None and event > earliest:
        earliest = event
        why = f"the {trigger} on {event.isoformat()}"
    return earliest, why


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


# A bound on one person's visits in a plan (a plan is at most 366 days; the shortest interval
# a policy allows is 1 day): keeps every chain loop finite.
MAX_CHAIN = 400


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
    first_earliest: date  # earliest date the first visit may be made (>= plan start; may be
    # after the plan end when no rule lets the owed visit be made inside the period)
    optional: bool  # the first visit falls due after the plan ends: pull forward only if spare
    trigger: str
    earliest_why: str = ""  # what sets first_earliest, in words ("" = the plan start)
    prev_weekday: int | None = None  # weekday of the last completed visit (0 = Monday)
    prev_start_min: int | None = None  # its start time, if recorded
    line: int = 0
    # a month of a longer plan: at most this many owed visits (what the whole period still
    # owes, `capped`); None: the plan's own count
    owed_cap: int | None = None
    count_end: date | None = None  # with owed_cap: the whole plan's last day
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def min_gap_days(self) -> int:
        return half_interval(self.interval_days)

    def next_due(self, previous: date) -> date:
        """Due date of the visit after one planned on `previous`."""
        return previous + timedelta(days=self.interval_days)

    def next_earliest(self, previous: date) -> date:
        """Earliest date of the visit after one planned on `previous` (a routine visit)."""
        return self.next_earliest_why(previous)[0]

    def next_earliest_why(self, previous: date) -> tuple[date, str]:
        """Earliest date of the visit after one planned on `previous`, and what sets it."""
        earliest, why = _earliest(
            self.next_due(previous),
            "interval",
            None,
            previous,
            self.interval_days,
            self.window_days,
        )
        assert earliest is not None
        return earliest, why

    def available_on(self, day: date) -> bool:
        return not in_unavailable_range(self.unavailable_from, self.unavailable_to, day)

    def owed_dues(self, plan_end: date, duty_days: Collection[date]) -> list[date]:
        """Due dates of the visits owed by `plan_end` (the one count).

        Each visit is taken as made on its due date or, when it cannot be made that day
        (before its earliest date, the person unavailable, no officer on duty: `duty_days`), on
        the first day after that it can; the next falls due an interval later. Empty if the
        first visit is not due by `plan_end`.
        """
        if self.optional:
            return []
        dues = [self.first_due]
        made = self._made_on(max(self.first_due, self.first_earliest), plan_end, duty_days)
        while len(dues) < min(MAX_CHAIN, self.owed_cap or MAX_CHAIN):
            due = self.next_due(made)
            if due > plan_end:
                break
            dues.append(due)
            made = self._made_on(due, plan_end, duty_days)
        return dues

    def _made_on(self, day: date, plan_end: date, duty_days: Collection[date]) -> date:
        """First day from `day` the visit can be made (person available, an officer on duty);
        a day after the plan if none, so that nothing more falls due."""
        while day <= plan_end:
            if day in duty_days and self.available_on(day):
                return day
            day += timedelta(days=1)
        return plan_end + timedelta(days=1)

    def chain_estimate(self, plan_end: date, duty_days: Collection[date]) -> int:
        """How many visits are owed by `plan_end` (the one count; see `owed_dues`)."""
        return len(self.owed_dues(plan_end, duty_days))


def requirement_for(
    offender: Offender, history: list[VisitRecord], policy: Policy, start: date, end: date
) -> Requirement | None:
    """The requirement of one person for the plan [start, end], or None if nothing is owed.

    None for people not under active management (reactive, custody, hospital, abroad), and for
    those not due by `end` whose next visit could not even be pulled forward into the period.
    A visit due by `end` is always owed, even when no rule lets it be made inside the period
    (its `first_earliest` is then after `end`, and the planner lists it with the reason).
    """
    if offender.status is not Status.active:
        return None
    rp = policy.for_risk(offender.risk_level)
    last = last_completed(offender, history, on_or_before=start - timedelta(days=1))
    st = due_state(offender, last, policy)
    if last is None and offender.registered_on is None and (st.due is None or st.due > start):
        # never visited and never registered: already owed at the plan start, which a later
        # release or address change cannot put off (it brings a due date forward, never back)
        st = DueState(None, None, st.interval_days, None, "never visited")
    due = st.due if st.due is not None else start
    earliest = st.earliest or start
    why = st.earliest_why
    if earliest <= start:
        earliest, why = start, ""
    if earliest > end and due > end:
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
        earliest_why=why,
        prev_weekday=last.weekday() if last else None,
        prev_start_min=prev_start,
        line=offender.line,
    )


@dataclass(frozen=True)
class OwedVisit:
    """One visit owed in a plan period (the one count): whose, which in the chain, due when."""

    requirement: Requirement
    seq: int  # 0: the person's first owed visit; 1, 2...: chained visits
    due_on_time: date  # its due date if every visit before it is made on its due date


def duty_days(
    dataset: Dataset, start: date, end: date, work_bank_holidays: bool = False
) -> frozenset[date]:
    """Days of [start, end] on which at least one officer is on duty (`rules.officer_on_duty`)."""
    return DutyCalendar(
        dataset.officers, dataset.absences, start, end, work_bank_holidays
    ).duty_days


def owed_visits(
    dataset: Dataset, start: date, end: date, work_bank_holidays: bool = False
) -> list[OwedVisit]:
    """Every visit owed in [start, end], most serious and most overdue person first.

    The one count of visits owed: `rso validate`, `rso plan`, the scenarios and the compliance
    cross-check all use it, and a plan accounts for each (in its roster or its unscheduled list).
    """
    on_duty = duty_days(dataset, start, end, work_bank_holidays)
    out: list[OwedVisit] = []
    for r in requirements(dataset, start, end, include_optional=False):
        out.extend(OwedVisit(r, k, d) for k, d in enumerate(r.owed_dues(end, on_duty)))
    return out


def capped(
    reqs: list[Requirement], owed_cap: Mapping[str, int] | None, until: date | None = None
) -> list[Requirement]:
    """Requirements with each listed person's owed visits capped (`PlanOptions.owed_cap`, the
    visits due by `until`, the whole plan's end). A person capped at 0 owes nothing more: left
    out, unless only a visit due after `until` is left to pull forward."""
    if owed_cap is None:
        return reqs
    out: list[Requirement] = []
    for r in reqs:
        cap = owed_cap.get(r.offender_id)
        if cap is None:
            out.append(r)
        elif cap > 0:
            out.append(replace(r, owed_cap=cap, count_end=until))
        elif r.optional and until is not None and r.first_due > until:
            out.append(r)
    return out


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
