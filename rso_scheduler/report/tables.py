"""The compliance report as named tables: one definition shared by the CSV, HTML and XLSX writers.

Cells are plain Python values (str, int, float, date or None) so each writer can format them
properly: CSV writes ISO dates and blanks, XLSX real dates and numbers, HTML escaped text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from rso_scheduler.models import RISK_ORDER
from rso_scheduler.report.compliance import (
    BAND_LABELS,
    ComplianceReport,
    GroupRow,
    PersonState,
    ageing_band,
)

if TYPE_CHECKING:
    import pandas as pd

Cell = str | int | float | date | None


@dataclass(frozen=True)
class Table:
    """A titled table: `name` is the file stem (overdue -> overdue.csv) and XLSX sheet name."""

    name: str
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


OVERDUE_HEADER = (
    "offender_id",
    "risk_level",
    "offender_manager_id",
    "area",
    "last_visit_date",
    "due_date",
    "days_overdue",
    "ageing_band",
    "interval_days",
    "trigger",
    "no_access_since_last",
    "cancelled_since_last",
    "last_attempt_date",
    "last_attempt_outcome",
    "note",
)

PEOPLE_HEADER = (
    "offender_id",
    "risk_level",
    "offender_manager_id",
    "area",
    "status",
    "state",
    "last_visit_date",
    "due_date",
    "days_overdue",
    "days_to_due",
    "interval_days",
    "window_days",
    "trigger",
    "no_access_since_last",
    "cancelled_since_last",
    "last_attempt_date",
    "last_attempt_outcome",
    "note",
)

GROUP_TAIL = (
    "managed",
    "active",
    "due",
    "due_soon",
    "overdue",
    "worst_days_overdue",
    "on_time_pct",
)


def _overdue_row(p: PersonState) -> tuple[Cell, ...]:
    return (
        p.offender_id,
        p.risk_level.value,
        p.offender_manager_id,
        p.area,
        p.last_visit_date,
        p.due_date,
        p.days_overdue,
        ageing_band(p.days_overdue),
        p.interval_days,
        p.trigger,
        p.no_access_since_last,
        p.cancelled_since_last,
        p.last_attempt_date,
        p.last_attempt_outcome,
        p.note,
    )


def _person_row(p: PersonState) -> tuple[Cell, ...]:
    return (
        p.offender_id,
        p.risk_level.value,
        p.offender_manager_id,
        p.area,
        p.status.value,
        p.state.value,
        p.last_visit_date,
        p.due_date,
        p.days_overdue,
        p.days_to_due,
        p.interval_days,
        p.window_days,
        p.trigger,
        p.no_access_since_last,
        p.cancelled_since_last,
        p.last_attempt_date,
        p.last_attempt_outcome,
        p.note,
    )


def _group_row(g: GroupRow) -> tuple[Cell, ...]:
    return (
        g.key,
        g.managed,
        g.active,
        g.due,
        g.due_soon,
        g.overdue,
        g.worst_days_overdue,
        g.on_time_pct,
    )


def headline_rows(report: ComplianceReport) -> list[tuple[str, Cell]]:
    """The headline as (figure, value) pairs, in reading order."""
    h = report.headline
    most = h.most_overdue
    rows: list[tuple[str, Cell]] = [
        ("as_of", report.as_of),
        ("managed", h.managed),
        ("under active management", h.active),
        ("reactive management", h.reactive),
        ("suspended (custody, hospital, abroad)", h.suspended),
        ("due soon", h.due_soon),
        ("overdue", h.overdue),
        ("overdue, due date unknown", h.overdue_unknown_age),
        ("on time %", h.on_time_pct),
        ("median days overdue", h.median_days_overdue),
        ("worst days overdue", h.worst_days_overdue),
        ("most overdue: offender_id", most.offender_id if most else None),
        ("most overdue: risk_level", most.risk_level.value if most else None),
        ("most overdue: days_overdue", most.days_overdue if most else None),
        ("people with no-access attempts since last visit", h.no_access_people),
    ]
    for r in h.by_risk:
        rows.append((f"on time % {r.risk_level.value}", r.on_time_pct))
    return rows


def report_tables(report: ComplianceReport) -> list[Table]:
    """Every table of the report, in the order the files and sheets are written."""
    h = report.headline
    tables = [
        Table("headline", "Headline", ("figure", "value"), list(headline_rows(report))),
        Table(
            "by_risk",
            "By risk level",
            (
                "risk_level",
                "managed",
                "active",
                "due_soon",
                "overdue",
                "worst_days_overdue",
                "on_time_pct",
            ),
            [
                (
                    r.risk_level.value,
                    r.managed,
                    r.active,
                    r.due_soon,
                    r.overdue,
                    r.worst_days_overdue,
                    r.on_time_pct,
                )
                for r in h.by_risk
            ],
        ),
        Table(
            "overdue", "Overdue visits", OVERDUE_HEADER, [_overdue_row(p) for p in report.overdue]
        ),
        Table(
            "ageing",
            "Ageing of overdue visits (days overdue) by risk level",
            ("risk_level", *BAND_LABELS, "total"),
            [
                (
                    level.value,
                    *(report.ageing[level][b] for b in BAND_LABELS),
                    sum(report.ageing[level].values()),
                )
                for level in RISK_ORDER
            ],
        ),
        Table(
            "by_manager",
            "By offender manager",
            ("offender_manager_id", *GROUP_TAIL),
            [_group_row(g) for g in report.by_manager],
        ),
        Table("by_area", "By area", ("area", *GROUP_TAIL), [_group_row(g) for g in report.by_area]),
        Table(
            "no_access",
            "No-access attempts since the last completed visit",
            OVERDUE_HEADER,
            [_overdue_row(p) for p in report.no_access],
        ),
        Table(
            "suspended",
            "Suspended (custody, hospital, abroad)",
            PEOPLE_HEADER,
            [_person_row(p) for p in report.suspended],
        ),
        Table(
            "reactive",
            "Reactive management",
            PEOPLE_HEADER,
            [_person_row(p) for p in report.reactive],
        ),
        Table(
            "compliance", "Everyone managed", PEOPLE_HEADER, [_person_row(p) for p in report.people]
        ),
    ]
    if report.plan_vs_actual is not None:
        tables.append(
            Table(
                "plan_vs_actual",
                "Plan against actual",
                (
                    "visit_id",
                    "planned_date",
                    "offender_id",
                    "risk_level",
                    "due_date",
                    "officer_ids",
                    "outcome",
                    "actual_date",
                    "days_from_plan",
                    "days_late",
                ),
                [
                    (
                        c.visit_id,
                        c.planned_date,
                        c.offender_id,
                        c.risk_level.value,
                        c.due_date,
                        ";".join(c.officer_ids),
                        c.outcome,
                        c.actual_date,
                        c.days_from_plan,
                        c.days_late,
                    )
                    for c in report.plan_vs_actual
                ],
            )
        )
    if report.trend is not None:
        tables.append(
            Table(
                "trend",
                "Overdue at each month end",
                (
                    "date",
                    "managed",
                    "active",
                    "overdue",
                    *(f"overdue_{lv.value}" for lv in RISK_ORDER),
                    "history_not_in_log",
                ),
                [
                    (
                        t.day,
                        t.managed,
                        t.active,
                        t.overdue,
                        *(t.overdue_by_risk[lv] for lv in RISK_ORDER),
                        t.unknown,
                    )
                    for t in report.trend
                ],
            )
        )
    if report.flow is not None:
        from rso_scheduler.report.flow import FLOW_HEADER, GROUP_TREND_HEADER, flow_rows

        tables.append(
            Table(
                "flow", "Visits due each month: made on time", FLOW_HEADER, flow_rows(report.flow)
            )
        )
        tables.append(
            Table(
                "trend_by_group",
                "Overdue at each month end, by area and offender manager",
                GROUP_TREND_HEADER,
                [
                    (t.day, t.group_by, t.group, t.active, t.overdue)
                    for t in report.group_trend or []
                ],
            )
        )
    return tables


# Tables written as CSV files (the others appear in the HTML and XLSX only; they are subsets of
# compliance.csv or shown by the headline).
CSV_TABLES = (
    "overdue",
    "compliance",
    "by_manager",
    "by_area",
    "ageing",
    "trend",
    "plan_vs_actual",
    "flow",
    "trend_by_group",
)


def csv_cell(value: Any) -> Any:
    """A cell as CSV text wants it: ISO dates, blanks for None."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return value


def report_frames(report: ComplianceReport) -> dict[str, pd.DataFrame]:
    """Every table of the report as a pandas DataFrame, keyed by table name (`overdue`, ...).

    Columns keep the CSV's code names; date columns are `datetime64`, counts stay integers
    (nullable `Int64` where a value may be missing), `on_time_pct` is a percentage (0-100).
    """
    import pandas as pd

    frames: dict[str, pd.DataFrame] = {}
    for table in report_tables(report):
        df = pd.DataFrame.from_records(table.rows, columns=list(table.header))
        for col in df.columns:
            values = [v for v in df[col] if v is not None]
            if values and all(isinstance(v, date) for v in values):
                df[col] = pd.to_datetime(df[col])
            elif values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                df[col] = df[col].astype("Int64")
        frames[table.name] = df
    return frames
