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


def _n(count: int, what: str) -> str:
    return f"{count} {what}{'s' if count != 1 else ''}"


@click.command("record", help=HELP)
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.argument("sheet", type=click.Path(path_type=Path))
@today_option("No outcome may be dated after it.")
@handle_errors
def command(data_dir: Path, sheet: Path, today: date) -> None:
    from rso_scheduler.commands.cycle_steps import command_line
    from rso_scheduler.ingest import read_text
    from rso_scheduler.record.intake import record_sheet

    if not sheet.is_file():
        raise UserError(f"{sheet} is not a file; expected the CSV from `rso outcomes`", 2)
    done = record_sheet(data_dir, read_text(sheet), sheet.name, today, command_line())
    rows, blank = done.sheet.rows, done.sheet.blank
    if done.entry is None:
        click.echo(f"{sheet}: no outcome filled in ({blank} blank); nothing recorded")
        return
    by = {
        o: sum(1 for r in rows if r.record.outcome.value == o)
        for o in ("completed", "no_access", "cancelled")
    }
    click.echo(
        f"Recorded {_n(len(rows), 'outcome')} in {done.log} ({by['completed']} completed, "
        f"{by['no_access']} no access, {by['cancelled']} cancelled)"
        + (f"; {_n(blank, 'row')} left blank, not recorded" if blank else "")
        + "."
    )
    click.echo(f"Record: entry {done.entry.seq}, in {done.record}")
