"""`rso record`: check a filled-in outcome sheet and append it to visits.csv, all or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from rso_scheduler.commands.common import UserError, handle_errors, today_option

HELP = """Check a filled-in outcome sheet and add its outcomes to DATA_DIR/visits.csv.

\b
Examples:
  rso record data/team outcomes-week1.csv
  rso record data/team outcomes.csv --today 2027-01-10

\b
Checks every row before anything is written: the person is in offenders.csv and the
officers in officers.csv; outcome is completed, no_access or cancelled; the date is not
after --today; each visit is recorded once (in the sheet, and not already in visits.csv).
Every problem is listed as FILE:LINE COLUMN: message and nothing is written (exit 2).
Rows whose outcome is blank are skipped and counted. The new rows are appended after the
old ones in visits.csv's own column order, the file replaced atomically, and the outcomes
(with their visit ids) are added to the data folder's record (see `rso audit`).
"""


@click.command("record", help=HELP)
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.argument("sheet", type=click.Path(path_type=Path))
@today_option("No outcome may be dated after it.")
@handle_errors
def command(data_dir: Path, sheet: Path, today: date) -> None:
    from rso_scheduler.commands.cycle_steps import command_line, open_record
    from rso_scheduler.errors import InputError
    from rso_scheduler.ingest import data_folder, load_dataset, parse_visits, read_text
    from rso_scheduler.outcomes import appended_log, parse_sheet
    from rso_scheduler.outputs.files import write_private
    from rso_scheduler.record import record_outcomes

    root = data_folder(data_dir)
    if (root / "visits.xlsx").exists():
        raise UserError(
            f"{root} holds visits.xlsx: rso record appends to visits.csv only; add the "
            "outcomes to the workbook by hand, or convert it to visits.csv",
            2,
        )
    if not sheet.is_file():
        raise UserError(f"{sheet} is not a file; expected the CSV from `rso outcomes`", 2)
    dataset = load_dataset(root, today=today)
    checked = parse_sheet(read_text(sheet), sheet.name, dataset, today)
    if not checked.rows:
        click.echo(f"{sheet}: no outcome filled in ({checked.blank} blank); nothing recorded")
        return
    log = root / "visits.csv"
    existing = read_text(log) if log.is_file() else None
    text = appended_log(existing, [r.record for r in checked.rows], "visits.csv")
    parsed = parse_visits(text, "visits.csv")  # the log as it will be read next time
    if parsed.problems:
        raise InputError(parsed.problems)
    with open_record(root) as store:  # opened first: a record that cannot be written stops it
        write_private(log, text)
        entry = record_outcomes(store, sheet.name, checked.rows, command_line())
    by = {
        o: sum(1 for r in checked.rows if r.record.outcome.value == o)
        for o in ("completed", "no_access", "cancelled")
    }
    click.echo(
        f"Recorded {len(checked.rows)} outcome{'s' if len(checked.rows) != 1 else ''} in {log} "
        f"({by['completed']} completed, {by['no_access']} no access, {by['cancelled']} cancelled)"
        + (
            f"; {checked.blank} row{'s' if checked.blank != 1 else ''} left blank, not recorded"
            if checked.blank
            else ""
        )
        + "."
    )
    click.echo(f"Record: entry {entry.seq}, in {store.path}")
