"""`rso outcomes`: the fill-in sheet of a roster's visits, for officers to write outcomes on."""

from __future__ import annotations

from pathlib import Path

import click

from rso_scheduler.commands.common import handle_errors, parse_iso_date

HELP = """Write the fill-in sheet of an issued roster: one row per visit, outcome blank.

\b
Examples:
  rso outcomes out/2027-01 --through 2027-01-09 --out outcomes-week1.csv
  rso outcomes out/replan-12 --out outcomes.csv

\b
Columns: visit_id, offender_id, date, start, officer_ids, outcome, kind (visits.csv's own,
plus visit_id). Fill in outcome (completed, no_access or cancelled) and correct the date,
start or officers where the visit was made otherwise; leave outcome blank for a visit not
reported yet. Then `rso record DATA_DIR FILE.csv` checks it and adds it to visits.csv.
PLAN_DIR may be a re-plan: before its --from, the visits of the plan it re-planned are listed
too (the roster in force). --through DATE lists only visits up to that day (default: the
whole roster). The file is
written readable by you only, atomically, with spreadsheet formulas neutralised.
"""


@click.command("outcomes", help=HELP)
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.option("--through", "through_text", metavar="DATE", help="Last day listed.")
@click.option(
    "--out", "out_file", required=True, type=click.Path(path_type=Path), help="The CSV to write."
)
@handle_errors
def command(plan_dir: Path, through_text: str | None, out_file: Path) -> None:
    from rso_scheduler.commands.cycle_steps import issued_in_force
    from rso_scheduler.outcomes import SHEET_COLUMNS, sheet_rows
    from rso_scheduler.outputs.files import write_csv
    from rso_scheduler.outputs.roster_files import read_roster

    through = parse_iso_date(through_text, "--through") if through_text else None
    if out_file.is_dir():
        from rso_scheduler.commands.common import UserError

        raise UserError(f"--out {out_file} is a folder; expected a .csv file to write", 2)
    issued = read_roster(plan_dir)
    rows = sheet_rows(issued_in_force(plan_dir), through)
    write_csv(out_file, SHEET_COLUMNS, rows)
    click.echo(
        f"{len(rows)} visit{'s' if len(rows) != 1 else ''} "
        f"({issued.plan_start} to {through or issued.plan_end}) written to {out_file}; fill in "
        "outcome, then: rso record DATA_DIR " + str(out_file)
    )
