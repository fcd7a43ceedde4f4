"""Compliance figures from the visit log: who is overdue on a date, by how much, and who manages them.

`compliance(dataset, as_of, roster=None, trend=False) -> ComplianceReport` is pure: no files, no
printing. The report holds plain dataclasses (see `ComplianceReport`); `report.tables` turns
them into the rows written to CSV, HTML and XLSX.

Rules (all "as known on `as_of`"; nothing dated after `as_of` counts):
- A person is *managed* on `as_of` unless their `registered_on` is after it (not yet registered:
  left out and counted in the run record).
- Their last visit is the later of `last_visit_date` and the latest *completed* visit in the log,
  both only up to `as_of` (`demand.last_completed`); `no_access` and `cancelled` never count.
  `released_on` / `address_changed_on` after `as_of` are ignored (the event had not happened).
- Due date from `demand.due_state` (the contract's rules: interval or per-person interval,
  registration / release / address change + first_visit_days).
- State: `reactive` and `suspended` (custody, hospital, abroad) come from the status column and are
  never overdue; otherwise *overdue* when `as_of > due` with `days_overdue = (as_of - due).days`
  (so the smallest is 1), *due soon* when `due - window_days <= as_of <= due` (the visit may be
  made now), else *on time*.
- Never visited and no registration, release or address-change date: the due date is unknown. The
  contract says such a visit is already owed, so the person is *overdue* with `days_overdue`
  blank and the note "never visited, no registration date"; they sort first within their risk
  level (nobody can say how late they are), fall in the ageing band "unknown", and are left out
  of the median and worst days overdue (counted separately as `overdue_unknown_age`).
- Overdue list order: risk (very high first), then unknown age, then days overdue (most first),
  then offender id.
- The status column has no history, so every date of the trend uses today's status.

Plan against actual (`roster`, e.g. read from a roster.csv): each planned visit dated on or
before `as_of` is matched to the nearest completed visit of that person in the log within
`grace_days` either side of the planned date (each logged visit matches one planned visit).
Outcome: "made" (same day), "made on another day", else the log's `no_access` / `cancelled`
record in that window ("no access" / "cancelled"), else "not recorded".
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rso_scheduler import __version__
from rso_scheduler.demand import DueState, due_state, history_by_offender, last_completed
from rso_scheduler.models import (
    RISK_ORDER,
    Dataset,
    Offender,
    Outcome,
    RiskLevel,
    Status,
    VisitRecord,
)
from rso_scheduler.policy import Policy
from rso_scheduler.roster import PlannedVisit

if TYPE_CHECKING:
    import pandas as pd

    from rso_scheduler.report.flow import FlowRow, GroupTrendPoint

NO_DATE_NOTE = "never visited, no registration date"
UNKNOWN_BAND = "unknown"
# (label, lowest days overdue, highest or None): the bands inspectors ask about.
AGEING_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("1-7", 1, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("over 90", 91, None),
)
BAND_LABELS: tuple[str, ...] = tuple(b[0] for b in AGEING_BANDS) + (UNKNOWN_BAND,)
NONE_KEY = "(none)"  # group key of people with no offender manager / area recorded
DEFAULT_GRACE_DAYS = 7


class State(StrEnum):
    """Where a person stands on the report date."""

    overdue = "overdue"
    due_soon = "due_soon"
    on_time = "on_time"
    suspended = "suspended"  # custody, hospital, abroad: no visits while in that state
    reactive = "reactive"  # reactive management: no planned home visits

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class PersonState:
    """One managed person on the report date (a row of compliance.csv; overdue.csv if overdue)."""

    offender_id: str
    risk_level: RiskLevel
    offender_manager_id: str | None
    area: str | None
    status: Status
    state: State
    last_visit_date: date | None
    due_date: date | None
    days_overdue: int | None  # overdue with a known due date only
    days_to_due: int | None  # not overdue: days from the report date to the due date
    interval_days: int
    window_days: int
    trigger: str  # why the visit is due: interval, registration, release, address change...
    no_access_since_last: int  # no_access attempts after the last completed visit
    cancelled_since_last: int
    last_attempt_date: date | None  # latest log entry of any outcome up to the report date
    last_attempt_outcome: str | None
    note: str = ""

    @property
    def unknown_age(self) -> bool:
        """Overdue but nobody can say by how long (never visited, no dates)."""
        return self.state is State.overdue and self.days_overdue is None


@dataclass(frozen=True)
class GroupRow:
    """Figures for one offender manager or one area."""

    key: str
    managed: int
    active: int
    due_soon: int
    overdue: int
    worst_days_overdue: int | None

    @property
    def due(self) -> int:
        """Visits that may be made now: due soon plus overdue."""
        return self.due_soon + self.overdue

    @property
    def on_time_pct(self) -> float | None:
        return _pct(self.active - self.overdue, self.active)


@dataclass(frozen=True)
class RiskRow:
    """Headline figures for one risk level."""

    risk_level: RiskLevel
    managed: int
    active: int
    due_soon: int
    overdue: int
    worst_days_overdue: int | None

    @property
    def on_time_pct(self) -> float | None:
        """Share of people under active management who are not overdue."""
        return _pct(self.active - self.overdue, self.active)


@dataclass(frozen=True)
class Headline:
    """The figures a force leader reads first."""

    managed: int
    active: int
    reactive: int
    suspended: int
    due_soon: int
    overdue: int
    overdue_unknown_age: int
    median_days_overdue: float | None
    worst_days_overdue: int | None
    most_overdue: PersonState | None
    no_access_people: int
    by_risk: tuple[RiskRow, ...]

    @property
    def on_time_pct(self) -> float | None:
        return _pct(self.active - self.overdue, self.active)


@dataclass(frozen=True)
class PlanCheck:
    """One planned visit dated on or before the report date, against the log (plan_vs_actual.csv)."""

    visit_id: str
    planned_date: date
    offender_id: str
    risk_level: RiskLevel
    due_date: date
    officer_ids: tuple[str, ...]
    outcome: str  # made, made on another day, no access, cancelled, not recorded, not in caseload
    actual_date: date | None
    days_from_plan: int | None  # actual - planned (negative: made early)
    days_late: int | None  # actual - due when positive, else 0

    @property
    def made(self) -> bool:
        return self.outcome in ("made", "made on another day")


@dataclass(frozen=True)
class TrendPoint:
    """Overdue people at one month end (the last point is the report date itself)."""

    day: date
    managed: int
    active: int
    overdue: int
    overdue_by_risk: dict[RiskLevel, int]
    unknown: int = 0  # active people whose visits before this date the log does not cover


@dataclass
class ComplianceReport:
    """Everything the compliance report shows.

    `people` is everyone managed (sorted by risk, then offender id); `overdue` the overdue ones
    in report order; `ageing[risk][band]` counts overdue people; `plan_vs_actual` and `trend`
    are None unless asked for.
    """

    as_of: date
    people: list[PersonState]
    overdue: list[PersonState]
    headline: Headline
    ageing: dict[RiskLevel, dict[str, int]]
    by_manager: list[GroupRow]
    by_area: list[GroupRow]
    no_access: list[PersonState]
    suspended: list[PersonState]
    reactive: list[PersonState]
    plan_vs_actual: list[PlanCheck] | None
    trend: list[TrendPoint] | None
    run: dict[str, Any] = field(default_factory=dict)
    # with the trend: the monthly on-time flow and overdue by area and manager (report/flow.py)
    flow: list[FlowRow] | None = None
    group_trend: list[GroupTrendPoint] | None = None

    def frames(self) -> dict[str, pd.DataFrame]:
        """Each table of the report (as in the CSV/XLSX files) as a pandas DataFrame, by name."""
        from rso_scheduler.report.tables import report_frames

        return report_frames(self)


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 1)


def known_on(offender: Offender, day: date) -> Offender | None:
    """The person as known on `day`: None if not yet registered, later events removed."""
    if offender.registered_on is not None and offender.registered_on > day:
        return None
    update: dict[str, Any] = {}
    if offender.released_on is not None and offender.released_on > day:
        update["released_on"] = None
    if offender.address_changed_on is not None and offender.address_changed_on > day:
        update["address_changed_on"] = None
    return offender.model_copy(update=update) if update else offender


def classify(
    offender: Offender, history: Sequence[VisitRecord], as_of: date, policy: Policy
) -> PersonState:
    """The state of one person on `as_of` from their log entries (`history`: theirs only)."""
    last = last_completed(offender, list(history), on_or_before=as_of)
    st = due_state(offender, last, policy)
    window = policy.for_risk(offender.risk_level).window_days
    no_access = cancelled = 0
    last_attempt: VisitRecord | None = None
    for v in history:
        if v.date > as_of:
            continue
        if last_attempt is None or (v.date, v.start_min or 0) >= (
            last_attempt.date,
            last_attempt.start_min or 0,
        ):
            last_attempt = v
        if last is not None and v.date <= last:
            continue
        if v.outcome is Outcome.no_access:
            no_access += 1
        elif v.outcome is Outcome.cancelled:
            cancelled += 1
    state, days_overdue, days_to_due, notes = _state_of(offender, st, as_of, window)
    return PersonState(
        offender_id=offender.offender_id,
        risk_level=offender.risk_level,
        offender_manager_id=offender.offender_manager_id,
        area=offender.area,
        status=offender.status,
        state=state,
        last_visit_date=last,
        due_date=st.due,
        days_overdue=days_overdue,
        days_to_due=days_to_due,
        interval_days=st.interval_days,
        window_days=window,
        trigger=st.trigger,
        no_access_since_last=no_access,
        cancelled_since_last=cancelled,
        last_attempt_date=last_attempt.date if last_attempt else None,
        last_attempt_outcome=last_attempt.outcome.value if last_attempt else None,
        note="; ".join(notes),
    )


def _state_of(
    offender: Offender, st: DueState, as_of: date, window_days: int
) -> tuple[State, int | None, int | None, list[str]]:
    notes: list[str] = []
    if offender.status is Status.reactive:
        return State.reactive, None, None, notes
    if offender.status.suspended:
        notes.append(offender.status.value)
        return State.suspended, None, None, notes
    if offender.unavailable_on(as_of):
        notes.append("unavailable on the report date (notified absence)")
    if st.due is None:
        notes.insert(0, NO_DATE_NOTE)
        return State.overdue, None, None, notes
    if as_of > st.due:
        return State.overdue, (as_of - st.due).days, None, notes
    to_due = (st.due - as_of).days
    return (State.due_soon if to_due <= window_days else State.on_time), None, to_due, notes


def overdue_order(p: PersonState) -> tuple[int, int, int, str]:
    """Sort key of the overdue list: risk, unknown age first, most days overdue, id."""
    return (p.risk_level.rank, 0 if p.unknown_age else 1, -(p.days_overdue or 0), p.offender_id)


def ageing_band(days_overdue: int | None) -> str:
    """The ageing band label of a number of days overdue (None: 'unknown')."""
    if days_overdue is None:
        return UNKNOWN_BAND
    for label, lo, hi in AGEING_BANDS:
        if days_overdue >= lo and (hi is None or days_overdue <= hi):
            return label
    raise ValueError(f"days overdue must be at least 1, got {days_overdue}")


def _groups(people: Iterable[PersonState], key: str) -> list[GroupRow]:
    buckets: dict[str, list[PersonState]] = {}
    for p in people:
        k = getattr(p, key) or NONE_KEY
        buckets.setdefault(k, []).append(p)
    rows = []
    for k, ps in buckets.items():
        days = [p.days_overdue for p in ps if p.days_overdue is not None]
        rows.append(
            GroupRow(
                key=k,
                managed=len(ps),
                active=sum(1 for p in ps if p.status is Status.active),
                due_soon=sum(1 for p in ps if p.state is State.due_soon),
                overdue=sum(1 for p in ps if p.state is State.overdue),
                worst_days_overdue=max(days) if days else None,
            )
        )
    # Most overdue first, so the teams with the biggest backlog head the table.
    rows.sort(key=lambda r: (-r.overdue, -(r.worst_days_overdue or 0), r.key))
    return rows


def _headline(people: list[PersonState], overdue: list[PersonState]) -> Headline:
    days = [p.days_overdue for p in overdue if p.days_overdue is not None]
    known = [p for p in overdue if p.days_overdue is not None]
    most = max(known, key=lambda p: (p.days_overdue or 0, -p.risk_level.rank), default=None)
    by_risk = []
    for level in RISK_ORDER:
        ps = [p for p in people if p.risk_level is level]
        d = [p.days_overdue for p in ps if p.days_overdue is not None]
        by_risk.append(
            RiskRow(
                risk_level=level,
                managed=len(ps),
                active=sum(1 for p in ps if p.status is Status.active),
                due_soon=sum(1 for p in ps if p.state is State.due_soon),
                overdue=sum(1 for p in ps if p.state is State.overdue),
                worst_days_overdue=max(d) if d else None,
            )
        )
    return Headline(
        managed=len(people),
        active=sum(1 for p in people if p.status is Status.active),
        reactive=sum(1 for p in people if p.state is State.reactive),
        suspended=sum(1 for p in people if p.state is State.suspended),
        due_soon=sum(1 for p in people if p.state is State.due_soon),
        overdue=len(overdue),
        overdue_unknown_age=sum(1 for p in overdue if p.unknown_age),
        median_days_overdue=float(statistics.median(days)) if days else None,
        worst_days_overdue=max(days) if days else None,
        most_overdue=most,
        no_access_people=sum(1 for p in people if p.no_access_since_last > 0),
        by_risk=tuple(by_risk),
    )


def compliance(
    dataset: Dataset,
    as_of: date,
    roster: Sequence[PlannedVisit] | None = None,
    trend: bool = False,
    grace_days: int = DEFAULT_GRACE_DAYS,
    issued: Sequence[tuple[str, str, str, dict[str, Any]]] = (),
) -> ComplianceReport:
    """The compliance report of a caseload on `as_of` (only log entries up to `as_of` count).

    `roster`: planned visits to check against the log (plan against actual); `trend`: overdue
    counts at each month end of the log's history, with the monthly flow and the trends by area
    and offender manager (`issued`: the record's plans, set beside the flow; report/flow.py).
    """
    from rso_scheduler.report.flow import flow, group_trend

    if grace_days < 0:
        raise ValueError("grace_days must not be negative")
    hist = history_by_offender(dataset.visits)
    people: list[PersonState] = []
    not_registered = 0
    for o in dataset.offenders:
        k = known_on(o, as_of)
        if k is None:
            not_registered += 1
            continue
        people.append(classify(k, hist.get(o.offender_id, []), as_of, dataset.policy))
    people.sort(key=lambda p: (p.risk_level.rank, p.offender_id))
    overdue = sorted((p for p in people if p.state is State.overdue), key=overdue_order)
    ageing = {level: dict.fromkeys(BAND_LABELS, 0) for level in RISK_ORDER}
    for p in overdue:
        ageing[p.risk_level][ageing_band(p.days_overdue)] += 1
    no_access = sorted(
        (p for p in people if p.no_access_since_last > 0),
        key=lambda p: (p.risk_level.rank, -p.no_access_since_last, p.offender_id),
    )
    checks = plan_vs_actual(dataset, roster, as_of, grace_days) if roster is not None else None
    points = overdue_trend(dataset, as_of) if trend else None
    run: dict[str, Any] = {
        "report": "compliance",
        "as_of": as_of.isoformat(),
        "tool": "rso-scheduler",
        "tool_version": __version__,
        "produced_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "input_files": dataset.file_hashes(),
        "policy_sha256": dataset.policy.digest(),
        "not_yet_registered": not_registered,
        "trend": trend,
    }
    if roster is not None:
        run["grace_days"] = grace_days
        run["planned_visits_checked"] = len(checks or [])
    return ComplianceReport(
        as_of=as_of,
        people=people,
        overdue=overdue,
        headline=_headline(people, overdue),
        ageing=ageing,
        by_manager=_groups(people, "offender_manager_id"),
        by_area=_groups(people, "area"),
        no_access=no_access,
        suspended=[p for p in people if p.state is State.suspended],
        reactive=[p for p in people if p.state is State.reactive],
        plan_vs_actual=checks,
        trend=points,
        run=run,
        flow=flow(dataset, as_of, issued) if trend else None,
        group_trend=group_trend(dataset, as_of) if trend else None,
    )


def plan_vs_actual(
    dataset: Dataset,
    roster: Sequence[PlannedVisit],
    as_of: date,
    grace_days: int = DEFAULT_GRACE_DAYS,
) -> list[PlanCheck]:
    """Planned visits dated on or before `as_of`, each matched against the visit log."""
    known = {o.offender_id for o in dataset.offenders}
    hist = history_by_offender([v for v in dataset.visits if v.date <= as_of])
    used: set[tuple[str, int]] = set()  # (offender_id, index in their history) already matched
    grace = timedelta(days=grace_days)
    out: list[PlanCheck] = []
    for pv in sorted(roster, key=lambda v: (v.date, v.offender_id, v.visit_id)):
        if pv.date > as_of:
            continue
        outcome, actual = "not recorded", None
        if pv.offender_id not in known:
            outcome = "not in caseload"
        else:
            lo, hi = pv.date - grace, pv.date + grace
            entries = hist.get(pv.offender_id, [])
            done = [
                (abs((v.date - pv.date).days), i)
                for i, v in enumerate(entries)
                if v.outcome is Outcome.completed
                and lo <= v.date <= hi
                and (pv.offender_id, i) not in used
            ]
            if done:
                _, i = min(done)
                used.add((pv.offender_id, i))
                actual = entries[i].date
                outcome = "made" if actual == pv.date else "made on another day"
            else:
                failed = [v for v in entries if lo <= v.date <= hi]
                if any(v.outcome is Outcome.no_access for v in failed):
                    outcome = "no access"
                elif any(v.outcome is Outcome.cancelled for v in failed):
                    outcome = "cancelled"
        out.append(
            PlanCheck(
                visit_id=pv.visit_id,
                planned_date=pv.date,
                offender_id=pv.offender_id,
                risk_level=pv.risk_level,
                due_date=pv.due_date,
                officer_ids=pv.officer_ids,
                outcome=outcome,
                actual_date=actual,
                days_from_plan=(actual - pv.date).days if actual else None,
                days_late=max(0, (actual - pv.due_date).days) if actual else None,
            )
        )
    return out


def month_ends(first: date, last: date) -> list[date]:
    """Every month end from the one of `first`'s month up to `last` (inclusive)."""
    out: list[date] = []
    y, m = first.year, first.month
    while True:
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        end = nxt - timedelta(days=1)
        if end > last:
            return out
        out.append(end)
        y, m = nxt.year, nxt.month


def overdue_trend(dataset: Dataset, as_of: date) -> list[TrendPoint]:
    """Overdue people at each month end from the log's first month up to `as_of`, then `as_of`.

    Each person's completed visits are sorted once; each date looks up the last one by bisection.
    Empty when the log has no entries on or before `as_of`. A person with no completed visit
    known on a date but one known after it, registered before the log began (or with no
    registration date), has history the log does not cover: counted as `unknown`, not overdue.
    """
    logged = [v for v in dataset.visits if v.date <= as_of]
    if not logged:
        return []
    start = min(v.date for v in logged)
    days = [d for d in month_ends(start, as_of) if d < as_of] + [as_of]
    completed: dict[str, list[date]] = {}
    for v in logged:
        if v.outcome is Outcome.completed:
            completed.setdefault(v.offender_id, []).append(v.date)
    for o in dataset.offenders:
        if o.last_visit_date is not None and o.last_visit_date <= as_of:
            completed.setdefault(o.offender_id, []).append(o.last_visit_date)
    for lst in completed.values():
        lst.sort()
    policy = dataset.policy
    points = []
    for day in days:
        counts = dict.fromkeys(RISK_ORDER, 0)
        managed = active = unknown = 0
        for o in dataset.offenders:
            k = known_on(o, day)
            if k is None:
                continue
            managed += 1
            if k.status is not Status.active:
                continue
            active += 1
            dates = completed.get(o.offender_id, [])
            i = bisect.bisect_right(dates, day)
            last = dates[i - 1] if i else None
            if (
                last is None
                and i < len(dates)
                and (o.registered_on is None or o.registered_on < start)
            ):
                unknown += 1
                continue
            st = due_state(k, last, policy)
            if st.due is None or day > st.due:
                counts[o.risk_level] += 1
        points.append(TrendPoint(day, managed, active, sum(counts.values()), counts, unknown))
    return points
