"""The cycle's steps that several commands share: planning on top of an issued roster, and
saying what the visit log does not hold yet (`rso plan --after`, `rso validate`, `rso replan`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from rso_scheduler.cycle import assumed_done, log_gap_warning, unrecorded, with_visits
from rso_scheduler.models import Dataset
from rso_scheduler.outputs.roster_files import RosterRow, read_roster


def warn(message: str | None) -> None:
    """A warning on stderr (shown even with --quiet)."""
    if message:
        click.echo(f"warning: {message}", err=True)


def on_top_of(
    dataset: Dataset, after_dir: Path | None, plan_start: date
) -> tuple[Dataset, list[RosterRow]]:
    """The data with the issued plan's unrecorded visits before `plan_start` taken as made,
    and those visits; without --after, the data as it is and a warning if the log ends early."""
    if after_dir is None:
        warn(log_gap_warning(dataset.visits, plan_start))
        return dataset, []
    issued = read_roster(after_dir)
    rows = unrecorded(issued.visits, dataset.visits, plan_start)
    dataset = with_visits(dataset, assumed_done(issued.visits, dataset.visits, plan_start))
    click.echo(
        f"--after {after_dir}: {len(rows)} issued visit{'s' if len(rows) != 1 else ''} before "
        f"{plan_start} with no outcome in visits.csv taken as made on their planned day",
        err=True,
    )
    return dataset, rows


def warn_unrecorded(issued: list[RosterRow], dataset: Dataset, before: date) -> list[RosterRow]:
    """`rso replan`: the issued visits before --from with no outcome logged, said on stderr."""
    rows = unrecorded(issued, dataset.visits, before)
    if rows:
        shown = ", ".join(r.visit_id for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        warn(
            f"{len(rows)} issued visit{'s' if len(rows) != 1 else ''} before {before} "
            f"{'have' if len(rows) != 1 else 'has'} no outcome in visits.csv ({shown}); they "
            "count as not made and are owed again: record them first (rso outcomes, rso record) "
            "if they were made. Listed in run.json `unrecorded` and summary.json"
        )
    return rows
