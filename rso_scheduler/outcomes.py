"""Outcomes in: the fill-in sheet made from a roster, checked, and appended to visits.csv.

- `sheet_rows(roster, through)`: one row per planned visit up to a day, outcome blank
  (`rso outcomes`). Columns: visit_id, then visits.csv's own (offender_id, date, start,
  officer_ids, outcome, kind).
- `parse_sheet(text, file, dataset, today)`: the filled-in sheet as log entries, every problem
  located (file, line, column): unknown person or officer, an outcome not in the contract, a
  date after today, a visit (visit_id, or person and day) twice in the sheet or already in
  visits.csv. Rows with the outcome left blank are skipped (not known yet) and counted.
- `appended_log(existing, records)`: the text of visits.csv with the new entries after the
  old ones, in the file's own column order (`rso record` writes it atomically).

Parsing is separate from reading: no files are touched here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.models import Dataset, VisitRecord
from rso_scheduler.outputs.files import csv_text
from rso_scheduler.outputs.roster_files import RosterRow
from rso_scheduler.redact import shown
from rso_scheduler.roster import hhmm

LOG_COLUMNS = ("offender_id", "date", "start", "officer_ids", "outcome", "kind")
SHEET_COLUMNS = ("visit_id", *LOG_COLUMNS)


def sheet_rows(roster: Sequence[RosterRow], through: date | None = None) -> list[list[str]]:
    """The fill-in sheet's rows: each planned visit up to `through` (all without it)."""
    return [
        [
            r.visit_id,
            r.offender_id,
            r.date.isoformat(),
            hhmm(r.start_min),
            ";".join(r.officer_ids),
            "",
            r.kind,
        ]
        for r in sorted(roster, key=lambda r: (r.date, r.start_min, r.visit_id))
        if through is None or r.date <= through
    ]


@dataclass(frozen=True)
class Recorded:
    """One filled-in row of the sheet: the log entry and the visit it reports on."""

    visit_id: str  # '' for a visit that was not on the roster
    record: VisitRecord


@dataclass
class Sheet:
    """A checked sheet: its entries and how many rows were left blank."""

    rows: list[Recorded]
    blank: int


def parse_sheet(text: str, file: str, dataset: Dataset, today: date) -> Sheet:
    """The sheet's filled-in rows as log entries; `InputError` with every problem located."""
    from rso_scheduler.input.cells import (
        to_date,
        to_id,
        to_id_list,
        to_kind,
        to_outcome,
        to_start_time,
    )
    from rso_scheduler.input.table import Col, convert_cells, read_table

    columns = [
        Col("visit_id", str),
        Col("offender_id", str, required=True),
        Col("date", str, required=True),
        Col("start", str),
        Col("officer_ids", str, required=True),
        Col("outcome", str, required=True),
        Col("kind", str),
    ]
    table = read_table(text, file, columns)
    problems = list(table.problems)
    if not table.ok:
        raise InputError(problems)
    people = dataset.offender_by_id()
    officers = dataset.officer_by_id()
    logged = {(v.offender_id, v.date): v.line for v in dataset.visits}
    seen_ids: dict[str, int] = {}
    seen_days: dict[tuple[str, date], int] = {}
    out: list[Recorded] = []
    blank = 0
    converters: list[tuple[str, str, Callable[[str], Any], bool]] = [
        ("offender_id", "offender_id", to_id, True),
        ("date", "date", to_date, True),
        ("start", "start", to_start_time, False),
        ("officer_ids", "officer_ids", to_id_list, True),
        ("outcome", "outcome", to_outcome, False),  # a blank outcome skips the row (above)
        ("kind", "kind", to_kind, False),
    ]
    for line, cells in table.rows:
        if not cells.get("outcome", ""):
            blank += 1
            continue
        values, ok = convert_cells(file, line, cells, converters, problems)
        if not ok:
            continue
        pid = str(values["offender_id"])
        day = values["date"]
        assert isinstance(day, date)
        crew: tuple[str, ...] = tuple(values["officer_ids"])
        if pid not in people:
            problems.append(
                Problem(file, line, "offender_id", f"{shown(pid)} is not a person in offenders.csv")
            )
        for officer in crew:
            if officer not in officers:
                problems.append(
                    Problem(
                        file,
                        line,
                        "officer_ids",
                        f"{shown(officer)} is not an officer_id in officers.csv",
                    )
                )
        if day > today:
            problems.append(
                Problem(
                    file,
                    line,
                    "date",
                    f"'{day.isoformat()}' is after today ({today.isoformat()}); an outcome is "
                    "recorded once the visit is due and done",
                )
            )
        visit_id = cells.get("visit_id", "")
        if visit_id:
            if visit_id in seen_ids:
                problems.append(
                    Problem(
                        file,
                        line,
                        "visit_id",
                        f"{shown(visit_id)} is recorded twice (first on line {seen_ids[visit_id]}); "
                        "a visit has one outcome",
                    )
                )
            seen_ids.setdefault(visit_id, line)
        key = (pid, day)
        if key in seen_days:
            problems.append(
                Problem(
                    file,
                    line,
                    "date",
                    f"a second outcome for {shown(pid)} on {day} (first on line {seen_days[key]}); "
                    "a visit is recorded once",
                )
            )
        seen_days.setdefault(key, line)
        if key in logged:
            problems.append(
                Problem(
                    file,
                    line,
                    "date",
                    f"{shown(pid)} already has an outcome on {day} in visits.csv "
                    f"(line {logged[key]}); a visit is recorded once",
                )
            )
        out.append(
            Recorded(
                visit_id,
                VisitRecord(
                    offender_id=pid,
                    date=day,
                    start_min=values.get("start"),
                    officer_ids=crew,
                    outcome=values["outcome"],
                    kind=values.get("kind"),
                    line=line,
                ),
            )
        )
    if problems:
        raise InputError(problems)
    return Sheet(out, blank)


def _cells(v: VisitRecord) -> dict[str, str]:
    return {
        "offender_id": v.offender_id,
        "date": v.date.isoformat(),
        "start": hhmm(v.start_min) if v.start_min is not None else "",
        "officer_ids": ";".join(v.officer_ids),
        "outcome": v.outcome.value,
        "kind": v.kind.value if v.kind else "",
    }


def appended_log(existing: str | None, records: Sequence[VisitRecord], file: str) -> str:
    """visits.csv's text with `records` after its rows, in its own column order.

    The old text is kept byte for byte; new rows go in the columns of its header (matched
    ignoring case and spaces), blank in columns the log has beyond the contract's. A log whose
    header lacks a contract column the entries need is an `InputError`.
    """
    if existing is None or not existing.strip():
        return csv_text(LOG_COLUMNS, [[_cells(v)[c] for c in LOG_COLUMNS] for v in records])
    body = existing.lstrip("\ufeff")
    header = next(csv.reader(io.StringIO(body)))
    names = [h.strip().lower().replace(" ", "_") for h in header]
    needed = [c for c in ("offender_id", "date", "officer_ids", "outcome") if c not in names]
    if needed:
        raise InputError(
            [
                Problem(
                    file,
                    1,
                    needed[0],
                    "is not in the header; rso record appends in the contract's column names "
                    "(a log mapped by columns.toml is appended to by its own export, not here)",
                )
            ]
        )
    rows = [[_cells(v).get(n, "") for n in names] for v in records]
    added = csv_text(header, rows).split("\n", 1)[1]
    if not existing.endswith("\n"):
        existing += "\n"
    return existing + added
