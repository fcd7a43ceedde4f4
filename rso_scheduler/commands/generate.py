"""`rso generate`: write a synthetic Thames Valley data folder (for demos, tests, benchmarks)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click

from rso_scheduler.calendar import next_month_start
from rso_scheduler.commands.common import (
    Progress,
    UserError,
    handle_errors,
    parse_iso_date,
    today_option,
)
from rso_scheduler.limits import MAX_SEED
from rso_scheduler.synth import FILE_NAMES, choose_lpas, generate, write_dataset
from rso_scheduler.synth_postcodes import postcode_export

EARLIEST_GENERATED = date(1950, 1, 1)

HELP = """Write a synthetic data folder: people, officers, absences, visit log, policy.

The data is made up but shaped like a real team's in the Thames Valley Police area: people
around real towns, officers at real station towns, the national risk mix, a backlog with
about 10% of visits already overdue at --start, evening windows, skills, leave and a two-year
visit log. The same options always give byte-identical files. No real person is in it.

\b
Small caseloads cover a block of neighbouring policing areas sized to them (600 people:
Reading, Wokingham, Bracknell, West Berkshire); 1,500 or more cover the whole force.

\b
Examples:
  rso generate --out data/demo
  rso generate --offenders 2000 --officers 40 --seed 7 --start 2027-01-01 --out data/tvp
  rso generate --start 2026-11-23 --as-of 2026-11-22 --out data/sample --force
  rso generate --offenders 70000 --officers 1400 --out /tmp/national --force
  rso generate --postcodes --out data/postcodes

\b
--postcodes writes the folder as a force holds it: offenders.csv with postcode and address
instead of lat, lon; officers.csv with base_postcode; a gazetteer in the ONS Postcode
Directory's layout (gazetteer/onspd_synthetic.csv, made-up ZZ postcodes) named in policy.toml.
It plans to the same roster as the folder with coordinates.
"""


@click.command("generate", help=HELP)
@click.option(
    "--offenders",
    "n_offenders",
    type=click.IntRange(min=1, max=1_000_000),
    default=600,
    show_default=True,
    help="People to generate.",
)
@click.option(
    "--officers",
    "n_officers",
    type=click.IntRange(min=2, max=50_000),
    default=14,
    show_default=True,
    help="Officers to generate (at least two: no lone visits).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, MAX_SEED),
    default=1,
    show_default=True,
    help="Random seed.",
)
@click.option(
    "--start",
    "start_text",
    metavar="YYYY-MM-DD",
    help="First day of the plan the data is for; the visit log ends the day before "
    "(default: the first day of the month after --today).",
)
@click.option(
    "--as-of",
    "as_of_text",
    metavar="YYYY-MM-DD",
    help="Day the data is exported: no visit, registration, release or move after it "
    "(default: --today; only matters when --start is later than that).",
)
@today_option("--as-of may not be after it; the default --start is the 1st of the month after it.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write (created if missing).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite the data files of a folder that is not empty."
)
@click.option(
    "--postcodes",
    is_flag=True,
    help="Give locations as postcodes with a gazetteer (ONSPD layout), not coordinates.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def command(
    n_offenders: int,
    n_officers: int,
    seed: int,
    start_text: str | None,
    as_of_text: str | None,
    today: date,
    out_dir: Path,
    force: bool,
    postcodes: bool,
    quiet: bool,
) -> None:
    """Generate a synthetic data folder."""
    start = parse_iso_date(start_text, "--start") if start_text else next_month_start(today)
    # A plan for next month is made before it starts: the history must stop at the export
    # day, or `rso validate` rightly rejects completed visits in the future.
    as_of = parse_iso_date(as_of_text, "--as-of") if as_of_text else today
    for option, day in (("--start", start), ("--as-of", as_of)):
        if day < EARLIEST_GENERATED:
            # Registrations and the visit log reach decades back from these dates.
            raise UserError(
                f"{option} {day} is too early; synthetic data starts from "
                f"{EARLIEST_GENERATED} (its history reaches decades back)",
                2,
            )
    if as_of > today:
        raise UserError(
            f"--as-of {as_of} is after today ({today}); the visit log would hold visits in the "
            "future, which `rso validate` and `rso plan` reject. Use today or an earlier day",
            2,
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out: {out_dir} is a file; expected a folder", 2)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise UserError(
            f"--out: {out_dir} is not empty; use --force to overwrite its data files "
            f"({', '.join(FILE_NAMES)}) or choose another folder",
            2,
        )
    # Progress lines only pay off for big folders; small ones take well under a second.
    progress = Progress(enabled=not quiet and n_offenders >= 10_000)
    areas = choose_lpas(n_offenders, n_officers)
    progress(f"generating {n_offenders} people and {n_officers} officers (seed {seed})")
    files = generate(n_offenders, n_officers, seed, start, progress=progress, as_of=as_of)
    if postcodes:
        files = postcode_export(files)
    progress(f"writing {out_dir}")
    write_dataset(out_dir, files)
    visits = files["visits.csv"].count("\n") - 1
    click.echo(
        f"Wrote {out_dir}: {n_offenders} people, {n_officers} officers in {len(areas)} "
        f"area{'s' if len(areas) != 1 else ''}, {visits} visit records, plan start {start}."
    )
    log_end = min(as_of, start - timedelta(days=1))
    if log_end < start - timedelta(days=1):
        # not silent: visits due between the export and the plan start are overdue at the start
        gap = (start - log_end).days - 1
        click.echo(
            f"The data is as of {log_end} (--as-of, default --today): no visit is logged on the "
            f"{gap} day{'s' if gap != 1 else ''} from {log_end + timedelta(days=1)} to "
            f"{start - timedelta(days=1)}, so visits due then are overdue on {start}. For data "
            "that runs up to the plan, give --today (or --as-of) the day before --start."
        )


__all__ = ["command"]
