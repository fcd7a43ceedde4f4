"""roster.xlsx: the month as supervisors keep it, in every plan folder.

Three sheets, each printed like the compliance workbook (`report.xlsx.table_sheet`: A4
landscape one page wide, OFFICIAL-SENSITIVE and "Page N of M" on every page, header row
repeated, filters, real dates, text neutralised so no cell runs as a formula):

- `month`: officers by day; each cell the officer's crew partner(s), visits and hours out
  (leave base to back at base), `absent` on a day of leave, blank on a day without visits;
- `visits`: every planned visit, one row each, with filters (the roster.csv rows);
- `days`: one row per officer-day with visits (date, officer, partner, visits, leave, back),
  the long form of the grid for sorting and pivoting;
- one sheet per day with visits, named by its date (`2027-01-04`): each crew's visits in order,
  to print a day's list.

Built from the plan result and the data, never from the written CSV files.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta

from openpyxl import Workbook

from rso_scheduler.models import Dataset
from rso_scheduler.outputs.roster_files import ROSTER_COLUMNS
from rso_scheduler.report.tables import Cell, Table
from rso_scheduler.report.xlsx import table_sheet
from rso_scheduler.roster import PlanResult, hhmm


def _officer_days(result: PlanResult) -> dict[tuple[str, date], tuple[set[str], int, int, int]]:
    """(officer, day) -> (partners, visits, leave base min, back at base min)."""
    out: dict[tuple[str, date], tuple[set[str], int, int, int]] = {}
    visits_of: dict[tuple[str, date], int] = defaultdict(int)
    for v in result.visits:
        for oid in v.officer_ids:
            visits_of[(oid, v.date)] += 1
    for route in result.routes:
        for leg in route.legs:
            key = (leg.officer_id, route.date)
            partners, n, lo, hi = out.get(key, (set(), 0, leg.depart_min, leg.return_min))
            partners |= {o for o in route.officer_ids if o != leg.officer_id}
            out[key] = (partners, n, min(lo, leg.depart_min), max(hi, leg.return_min))
    for key, n in visits_of.items():
        partners, _, lo, hi = out.get(key, (set(), 0, 0, 0))
        out[key] = (partners, n, lo, hi)
    return out


def roster_tables(dataset: Dataset, result: PlanResult) -> list[Table]:
    """The workbook's sheets as tables (plain values: the XLSX writer formats them)."""
    days = [
        result.plan_start + timedelta(days=i)
        for i in range((result.plan_end - result.plan_start).days + 1)
    ]
    cells = _officer_days(result)
    absent = {(a.officer_id, d) for a in dataset.absences for d in days if a.start <= d <= a.end}
    grid: list[tuple[Cell, ...]] = []
    for officer in dataset.officers:
        row: list[Cell] = [officer.officer_id, officer.display_name]
        for d in days:
            found = cells.get((officer.officer_id, d))
            if found and found[1]:
                partners, n, lo, hi = found
                who = ", ".join(sorted(partners)) or "alone"
                hours = f" · {(hi - lo) / 60:.1f} h" if hi > lo else ""
                row.append(f"{who} · {n} visit{'s' if n != 1 else ''}{hours}")
            else:
                row.append("absent" if (officer.officer_id, d) in absent else None)
        grid.append(tuple(row))
    month = Table(
        "month",
        "Officers by day",
        ("officer_id", "name", *(f"{d:%a} {d.isoformat()}" for d in days)),
        grid,
    )
    visits = Table(
        "visits",
        "Visits",
        ROSTER_COLUMNS,  # the roster.csv columns, in their order
        [
            (
                v.visit_id,
                v.date,
                hhmm(v.start_min),
                hhmm(v.end_min),
                v.offender_id,
                ";".join(v.officer_ids),
                v.risk_level.value,
                v.due_date,
                v.days_late,
                v.kind.value,
            )  # fmt: skip
            for v in sorted(result.visits, key=lambda v: (v.date, v.start_min, v.visit_id))
        ],
    )
    names = {o.officer_id: o.display_name for o in dataset.officers}
    long_rows: list[tuple[Cell, ...]] = []
    for (oid, d), (partners, n, lo, hi) in sorted(
        cells.items(), key=lambda kv: (kv[0][1], kv[0][0])
    ):
        if not n:
            continue
        long_rows.append(
            (
                d,
                oid,
                names.get(oid, oid),
                ", ".join(sorted(partners)) or "alone",
                n,
                hhmm(lo) if hi > lo else None,
                hhmm(hi) if hi > lo else None,
            )  # fmt: skip
        )
    officer_days = Table(
        "days",
        "Officer-days",
        ("date", "officer_id", "name", "partner", "visits", "leave_base", "back_at_base"),
        long_rows,
    )
    return [month, visits, officer_days, *_day_tables(result)]


def _day_tables(result: PlanResult) -> list[Table]:
    """One sheet per day with visits (named by its date): each crew's visits in order."""
    crew_of = {vid: r.crew_id for r in result.routes for vid in r.visit_ids}
    by_day: dict[date, list[tuple[Cell, ...]]] = defaultdict(list)
    for v in sorted(
        result.visits, key=lambda v: (v.date, crew_of.get(v.visit_id, ""), v.start_min)
    ):
        by_day[v.date].append(
            (
                crew_of.get(v.visit_id, ";".join(v.officer_ids)),
                hhmm(v.start_min),
                hhmm(v.end_min),
                v.offender_id,
                v.risk_level.value,
                v.kind.value,
                v.due_date,
                v.days_late,
            )  # fmt: skip
        )
    header = ("crew", "start", "end", "offender_id", "risk_level", "kind", "due_date", "days_late")
    return [
        Table(d.isoformat(), f"Visits on {d.isoformat()}", header, rows)
        for d, rows in sorted(by_day.items())
    ]


def roster_xlsx_bytes(dataset: Dataset, result: PlanResult) -> bytes:
    """roster.xlsx as bytes (the caller writes it with `write_private`)."""
    wb = Workbook(write_only=True)
    for table in roster_tables(dataset, result):
        table_sheet(wb, table)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
