"""The monthly flow figures inspectors ask for, overall, by area and by offender manager.

`flow(dataset, as_of, issued=())` -> `FlowRow`s: for each month from the visit log's first up to
`as_of`, of the visits that fell due in that month (up to `as_of`), how many were made on time
(a completed visit on or before the due date), made late, or not made yet; and the share made
on time. Overall (`group_by` "all"), and for each area and each offender manager.

`group_trend(dataset, as_of)` -> `GroupTrendPoint`s: overdue people at each month end by area
and by offender manager (the risk-level trend is `compliance.overdue_trend`; people whose
visits before a date the log does not cover are left out of that date, as there).

Due dates are the contract's (`demand.due_state`): each completed visit of a person (log or
`last_visit_date`) makes the next one due; a person never visited is due from their
registration. Only dues inside the log's span count (before it, the log cannot say what was
made). As in the rest of the report, today's status and area are used for every month.

`issued`: plans from the record, as (plan id, start, end, figures) for the months they cover:
each month's row then also says what the latest plan issued for it planned (visits owed, on
time), so plan and outcome sit side by side.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rso_scheduler.demand import due_state
from rso_scheduler.models import Dataset, Offender, Outcome, Status
from rso_scheduler.report.compliance import NONE_KEY, known_on, month_ends

GROUPINGS = ("all", "area", "offender_manager")


@dataclass(frozen=True)
class FlowRow:
    """One month's flow for one group."""

    month: str  # YYYY-MM
    group_by: str  # one of GROUPINGS
    group: str
    due: int
    on_time: int
    late: int
    not_made: int
    planned_in: str = ""  # the record's plan for the month (its id), "all" rows only
    planned_due: int | None = None
    planned_on_time: int | None = None

    @property
    def on_time_pct(self) -> float | None:
        return None if self.due == 0 else round(100.0 * self.on_time / self.due, 1)


@dataclass(frozen=True)
class GroupTrendPoint:
    """Active and overdue people of one group at one month end (or the report date)."""

    day: date
    group_by: str
    group: str
    active: int
    overdue: int


def _groups(o: Offender) -> list[tuple[str, str]]:
    return [
        ("all", "all"),
        ("area", o.area or NONE_KEY),
        ("offender_manager", o.offender_manager_id or NONE_KEY),
    ]


def _completed(dataset: Dataset, as_of: date) -> dict[str, list[date]]:
    out: dict[str, list[date]] = defaultdict(list)
    for v in dataset.visits:
        if v.outcome is Outcome.completed and v.date <= as_of:
            out[v.offender_id].append(v.date)
    for o in dataset.offenders:
        if o.last_visit_date is not None and o.last_visit_date <= as_of:
            out[o.offender_id].append(o.last_visit_date)
    return {k: sorted(set(v)) for k, v in out.items()}


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def flow(
    dataset: Dataset,
    as_of: date,
    issued: Iterable[tuple[str, str, str, dict[str, Any]]] = (),
) -> list[FlowRow]:
    """Visits due each month up to `as_of` and how many were made on time (see the module)."""
    logged = [v.date for v in dataset.visits if v.date <= as_of]
    if not logged:
        return []
    start = min(logged)
    completed = _completed(dataset, as_of)
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for o in dataset.offenders:
        k = known_on(o, as_of)
        if k is None or k.status is not Status.active:
            continue
        dates = completed.get(o.offender_id, [])
        for last in [None, *dates]:
            due = due_state(k, last, dataset.policy).due
            if due is None or due < start or due > as_of:
                continue
            i = bisect.bisect_right(dates, last) if last is not None else 0
            made = dates[i] if i < len(dates) else None
            slot = 0 if made is not None and made <= due else 1 if made is not None else 2
            for group_by, group in _groups(o):
                counts[(_month(due), group_by, group)][slot] += 1
    plans: dict[str, tuple[str, dict[str, Any]]] = {}
    for plan_id, first, end, figures in issued:  # the latest plan issued for each month wins
        month, stop = _month(date.fromisoformat(first)), _month(date.fromisoformat(end))
        while month <= stop:
            plans[month] = (plan_id, figures)
            y, m = int(month[:4]), int(month[5:])
            month = _month(date(y + (m == 12), m % 12 + 1, 1))
    rows = []
    order = {g: i for i, g in enumerate(GROUPINGS)}
    for (month, group_by, group), (on_time, late, missing) in sorted(
        counts.items(), key=lambda kv: (kv[0][0], order[kv[0][1]], kv[0][2])
    ):
        plan = plans.get(month) if group_by == "all" else None
        rows.append(
            FlowRow(
                month,
                group_by,
                group,
                on_time + late + missing,
                on_time,
                late,
                missing,
                planned_in=plan[0] if plan else "",
                planned_due=plan[1].get("visits_due") if plan else None,
                planned_on_time=plan[1].get("on_time") if plan else None,
            )  # fmt: skip
        )
    return rows


def group_trend(dataset: Dataset, as_of: date) -> list[GroupTrendPoint]:
    """Overdue people by area and by offender manager at each month end of the log, and `as_of`."""
    logged = [v.date for v in dataset.visits if v.date <= as_of]
    if not logged:
        return []
    start = min(logged)
    days = [d for d in month_ends(start, as_of) if d < as_of] + [as_of]
    completed = _completed(dataset, as_of)
    out: list[GroupTrendPoint] = []
    for day in days:
        active: dict[tuple[str, str], int] = defaultdict(int)
        overdue: dict[tuple[str, str], int] = defaultdict(int)
        for o in dataset.offenders:
            k = known_on(o, day)
            if k is None or k.status is not Status.active:
                continue
            dates = completed.get(o.offender_id, [])
            i = bisect.bisect_right(dates, day)
            if not i and dates and (o.registered_on is None or o.registered_on < start):
                continue  # visits before `day` the log does not cover (as overdue_trend)
            due = due_state(k, dates[i - 1] if i else None, dataset.policy).due
            for key in _groups(o)[1:]:
                active[key] += 1
                if due is None or day > due:
                    overdue[key] += 1
        out += [
            GroupTrendPoint(day, g, n, active[(g, n)], overdue[(g, n)]) for g, n in sorted(active)
        ]
    return out


def flow_rows(rows: Sequence[FlowRow]) -> list[tuple[Any, ...]]:
    """The flow table's rows (tables.py), with the share on time as a percentage."""
    return [
        (
            r.month,
            r.group_by,
            r.group,
            r.due,
            r.on_time,
            r.late,
            r.not_made,
            r.on_time_pct,
            r.planned_in,
            r.planned_due,
            r.planned_on_time,
        )  # fmt: skip
        for r in rows
    ]


FLOW_HEADER = (
    "month",
    "group_by",
    "group",
    "due",
    "made_on_time",
    "made_late",
    "not_made",
    "on_time_pct",
    "plan",
    "plan_visits_due",
    "plan_on_time",
)
GROUP_TREND_HEADER = ("date", "group_by", "group", "active", "overdue")
