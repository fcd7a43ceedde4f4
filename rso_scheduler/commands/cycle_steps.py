"""The cycle's steps that several commands share: planning on top of an issued roster, and
saying what the visit log does not hold yet (`rso plan --after`, `rso validate`, `rso replan`)."""

from __future__ import annotations

import shlex
import sys
from datetime import date
from pathlib import Path
from typing import Any

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
    issued = issued_in_force(after_dir)
    rows = unrecorded(issued, dataset.visits, plan_start)
    dataset = with_visits(dataset, assumed_done(issued, dataset.visits, plan_start))
    click.echo(
        f"--after {after_dir}: {len(rows)} issued visit{'s' if len(rows) != 1 else ''} before "
        f"{plan_start} with no outcome in visits.csv taken as made on their planned day",
        err=True,
    )
    return dataset, rows


def issued_in_force(plan_dir: Path, depth: int = 0) -> list[RosterRow]:
    """The roster in force: a re-plan's visits, and before its --from the visits of the plan it
    re-planned (followed back while that folder is still there)."""
    files = read_roster(plan_dir)
    rows = list(files.visits)
    earlier = files.run.get("replan_of")
    start = (files.summary.get("replan") or {}).get("from")
    if earlier and start and depth < 24 and (Path(earlier) / "roster.csv").is_file():
        before = date.fromisoformat(str(start))
        rows += [r for r in issued_in_force(Path(earlier), depth + 1) if r.date < before]
    return rows


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


def command_line() -> str:
    """The command as typed (`rso ...`), or its name and options when called from Python."""
    ctx = click.get_current_context(silent=True)
    name = ctx.info_name if ctx is not None else None
    if name and name in sys.argv[1:4]:
        return shlex.join(["rso", *sys.argv[1:]])
    if ctx is None:
        return "rso"
    params = " ".join(f"{k}={v}" for k, v in sorted(ctx.params.items()) if v not in (None, False))
    return f"{ctx.command_path} {params}".strip()


def record_option(fn: Any) -> Any:
    """`--record PATH`: the record to use (default $RSO_RECORD, else DATA_DIR/.rso/record.sqlite)."""
    return click.option(
        "--record",
        "record_file",
        type=click.Path(path_type=Path),
        help="The record file (default: $RSO_RECORD, else DATA_DIR/.rso/record.sqlite).",
    )(fn)


def open_record(data_dir: Path, given: Path | None = None) -> Any:
    """The record of a data folder, opened (a context manager giving a `record.Store`)."""
    from rso_scheduler.record import Store, record_path

    return Store.open(record_path(data_dir, given))


def ensure_record(data_dir: Path) -> None:
    """Open (create, migrate) the data folder's record now, so a record that cannot be written
    stops a plan before minutes of planning rather than after it."""
    with open_record(data_dir):
        pass


def existing_record(data_dir: Path, given: Path | None) -> Any:
    """The record of a data folder for reading (a context manager); exit 2 if there is none."""
    from rso_scheduler.commands.common import UserError
    from rso_scheduler.record import record_path

    path = record_path(data_dir, given)
    if not path.is_file():
        raise UserError(f"no record at {path}; it is made by the first `rso plan` of {data_dir}", 2)
    return open_record(data_dir, given)


def record_issued_plan(data_dir: Path, out_dir: Path, violations: int) -> None:
    """Add the plan just written to the data folder's record, and say so."""
    from rso_scheduler.record import record_issued

    with open_record(data_dir) as store:
        entry = record_issued(store, out_dir, command_line(), violations)
    click.echo(f"Record: plan {entry.seq} issued, in {store.path}")


def record_compliance(data_dir: Path, report: Any, out: Path, written: list[str]) -> None:
    """Add a compliance report made to the data folder's record (headline figures only)."""
    from rso_scheduler.record import record_report

    h = report.headline
    body = {
        "as_of": report.as_of.isoformat(),
        "out": str(Path(out).resolve()),
        "files": written,
        "headline": {"managed": h.managed, "active": h.active, "overdue": h.overdue},
    }
    with open_record(data_dir) as store:
        record_report(store, "compliance", body, command_line())


def issued_plans(data_dir: Path) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The record's whole-period plans (not re-plans) as (id, start, end, figures), oldest
    first; none when the data folder has no record yet."""
    from rso_scheduler.record import plans, record_path

    if not record_path(data_dir).is_file():
        return []
    with open_record(data_dir) as store:
        return [(p.id, p.start, p.end, p.figures) for p in plans(store) if not p.replan_from]
