"""Outcomes in, as `rso record` and the workbench take them: checked, appended to visits.csv,
and recorded, all or nothing.

`record_sheet(data_dir, text, file, today, command)` takes a filled-in outcome sheet's text;
`record_rows(data_dir, rows, today, command)` takes rows as dicts (the sheet's columns: a web
form's outcomes), checked by the same rules with the same located errors. Both raise
`InputError` (every problem, nothing written) or return what was recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.outcomes import SHEET_COLUMNS, Sheet, appended_log, parse_sheet
from rso_scheduler.outputs.files import csv_text, write_private
from rso_scheduler.record.book import record_outcomes
from rso_scheduler.record.store import Entry, Store, record_path


@dataclass
class Intake:
    """What one sheet added: its rows (and blanks), the log written and the record's entry."""

    sheet: Sheet
    log: Path
    entry: Entry | None  # None: nothing was filled in, nothing written
    record: Path


def record_sheet(
    data_dir: Path | str,
    text: str,
    file: str,
    today: date,
    command: str,
    record_file: Path | str | None = None,
) -> Intake:
    """Check a filled-in sheet against the data folder and add it to visits.csv and the record."""
    from rso_scheduler.ingest import data_folder, load_dataset, parse_visits, read_text

    root = data_folder(data_dir)
    if (root / "visits.xlsx").exists():
        raise InputError(
            [
                Problem(
                    "visits.xlsx",
                    None,
                    None,
                    "outcomes are appended to visits.csv only; add them to the workbook by "
                    "hand, or convert it to visits.csv",
                )
            ]
        )
    where = record_path(root, record_file)
    log = root / "visits.csv"
    # The record's write lock is held from reading the log to appending the entry: two
    # `rso record` runs (or the workbench) never append from the same old log.
    with Store.open(where) as store, store.exclusive():
        dataset = load_dataset(root, today=today)
        checked = parse_sheet(text, file, dataset, today)
        if not checked.rows:
            return Intake(checked, log, None, where)
        existing = read_text(log) if log.is_file() else None
        new_text = appended_log(existing, [r.record for r in checked.rows], "visits.csv")
        parsed = parse_visits(new_text, "visits.csv")  # the log as it will be read next time
        if parsed.problems:
            raise InputError(parsed.problems)
        write_private(log, new_text)
        entry = record_outcomes(store, file, checked.rows, command)
    return Intake(checked, log, entry, where)


def record_rows(
    data_dir: Path | str,
    rows: Sequence[Mapping[str, str]],
    today: date,
    command: str,
    record_file: Path | str | None = None,
    file: str = "outcomes",
) -> Intake:
    """`record_sheet` for rows given as dicts of the sheet's columns (line 2 is the first row)."""
    text = csv_text(SHEET_COLUMNS, [[str(r.get(c, "") or "") for c in SHEET_COLUMNS] for r in rows])
    return record_sheet(data_dir, text, file, today, command, record_file)
