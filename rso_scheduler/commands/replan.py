"""`rso replan`: re-plan an issued roster from a date, keeping as much of it as possible."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from rso_scheduler.commands.common import (
    Progress,
    UserError,
    data_dir_or_here,
    handle_errors,
    parse_iso_date,
    replan_time_limit_option,
    run_travel,
    say,
    say_notices,
    seed_option,
)

HELP = """Re-plan an issued roster from a date: sickness, no-access visits, new cases.

\b
Examples:
  rso replan out data/sample --from 2027-01-12 --out out/replan-12
  rso replan out --from 2027-01-12 --today 2027-01-11 --out out/replan-12 -q
  rso check data/sample out/replan-12

\b
PLAN_DIR is an issued plan folder (from `rso plan` or an earlier `rso replan`); DATA_DIR the
data as it stands now: new absences, new people, and the outcomes of visits up to the day
before --from in visits.csv (default: the data folder the plan was made from). It plans
--from to the end of the issued plan:
  - before --from is history: a planned visit with no completed record in visits.csv is
    owed again by the usual due-date rules;
  - visits on or after --from with pinned = yes in PLAN_DIR/roster.csv stay exactly as
    they are (day, time, officers) while still possible; one that no longer is (an
    officer absent, the person in custody) is re-planned, and changes.csv says why;
  - every other visit keeps its day and crew unless it must move or moving it saves a
    miss or lateness: least change first, then the usual objective;
  - the same days are also planned from scratch (40% of --time-limit for the first plan,
    60% for this one): when keeping the issued roster misses more risk-weighted visits,
    or as many and is more than 5% later, the re-plan starts from the plan from scratch,
    moves back to their issued day and crew the visits it can without a miss or more
    than 5% more lateness, and says so.

\b
Writes into OUT the usual plan files for the new period (roster.csv, unscheduled.csv,
summary.json with the count of each kind of change and the share kept, day_sheets/,
handouts/, calendar/, run.json, maps/) plus
  changes.csv       each visit: kept, moved, reassigned, added or removed, with the old
                    and new date and officers and the reason
  changes/          a printable page of changes per officer
The calendar files update the issued events (same UIDs) and cancel removed visits.
The new roster is then checked by the independent checker (exit 1 if it breaks a rule).
"""


@click.command("replan", help=HELP)
@click.argument("plan_dir", type=click.Path(path_type=Path))
@click.argument("data_dir", required=False, type=click.Path(path_type=Path))
@click.option("--from", "from_text", required=True, metavar="DATE", help="First day re-planned.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder."
)
@replan_time_limit_option
@seed_option
@click.option(
    "--today",
    "today_text",
    metavar="DATE",
    help="The date the data is as of (default: the day before --from); later visits are refused.",
)
@click.option("--no-maps", is_flag=True, help="Do not draw route maps.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def command(
    plan_dir: Path,
    data_dir: Path | None,
    from_text: str,
    out_dir: Path,
    time_limit_s: float,
    seed: int,
    today_text: str | None,
    no_maps: bool,
    quiet: bool,
) -> None:
    from rso_scheduler.commands.cycle_steps import ensure_record, warn_unrecorded
    from rso_scheduler.commands.plan import PLAN_FILES
    from rso_scheduler.cycle import listed
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.outputs import lock
    from rso_scheduler.outputs.changes import write_changes
    from rso_scheduler.outputs.files import check_out_dir, finish_interrupted
    from rso_scheduler.outputs.handouts import (
        CalendarPlan,
        event_uid,
        plan_id_of,
        read_calendar_index,
    )
    from rso_scheduler.outputs.roster_files import read_roster
    from rso_scheduler.pipeline import issue_folder
    from rso_scheduler.replan import default_today, replan
    from rso_scheduler.solver import PlanOptions, planner_for
    from rso_scheduler.visit_ids import highest_number

    started = datetime.now(UTC).isoformat(timespec="seconds")
    progress = Progress(not quiet)
    from_date = parse_iso_date(from_text, "--from")
    today = parse_iso_date(today_text, "--today") if today_text else default_today(from_date)
    # The roster and its calendar index as one snapshot (a plan may replace the folder later).
    finish_interrupted(plan_dir)  # first: finishing a killed write needs the writer's lock
    with lock.shared(plan_dir.parent if plan_dir.is_file() else plan_dir):
        issued = read_roster(plan_dir)
        calendar_index = read_calendar_index(issued.out_dir)
    if not issued.plan_start <= from_date <= issued.plan_end:
        raise UserError(
            f"--from {from_date} is outside the issued plan ({issued.plan_start} to "
            f"{issued.plan_end}); give a day inside it",
            2,
        )
    if data_dir is None:
        recorded = issued.run.get("data_dir")
        if recorded and (Path(recorded) / "offenders.csv").is_file():
            data_dir = Path(recorded)  # said even with -q: the data is not named on the line
            click.echo(f"data: {data_dir} (the folder the issued plan was made from)", err=True)
        else:
            data_dir = data_dir_or_here(None, "rso replan out data/sample --from DATE --out OUT")
    check_out_dir(out_dir)
    ensure_record(data_dir)

    progress(f"loading {data_dir} (as of {today})")
    dataset = load_dataset(data_dir, today=today)
    for w in dataset.warnings:  # not progress: shown even with --quiet
        click.echo(f"warning: {w}", err=True)
    missing = warn_unrecorded(issued.visits, dataset, from_date)
    travel = run_travel(dataset, data_dir, progress)
    options = issued.run.get("options") or {}
    work_bank_holidays = issued.work_bank_holidays
    plan_options = PlanOptions(
        time_limit_s=time_limit_s,
        seed=seed,
        work_bank_holidays=work_bank_holidays,
        pull_forward=bool(options.get("pull_forward", True)),
        progress=progress,
        travel=travel,
    )
    n_pinned = sum(1 for r in issued.visits if r.pinned and r.date >= from_date)
    progress(
        f"re-planning {from_date} to {issued.plan_end}: "
        f"{sum(1 for r in issued.visits if r.date >= from_date)} issued visits, {n_pinned} pinned"
    )
    floor = int(issued.run.get("last_visit_number") or 0)
    done = replan(
        dataset,
        issued.visits,
        issued.plan_end,
        from_date,
        plan_options,
        planner_for("optimised"),
        floor,
    )
    result = done.result
    say_notices(result.stats, quiet)
    counts = done.counts()

    plan_id = plan_id_of(issued)
    previous = [e for e in calendar_index if e.date and e.date >= from_date]
    uid_of_old = {e.visit_id: e.uid for e in previous if e.status == "CONFIRMED"}
    old_rows = {r.visit_id: r for r in issued.visits}
    uids: dict[str, str] = {}
    notes: dict[str, str] = {}
    for c in done.changes:
        if c.visit_id and c.old_visit_id:
            old = old_rows[c.old_visit_id]
            uids[c.visit_id] = uid_of_old.get(c.old_visit_id) or event_uid(
                plan_id, old.offender_id, old.due_date, old.seq or 0
            )
        if c.visit_id and c.change != "kept":
            notes[c.visit_id] = f"Re-planned {from_date}: {c.change}; {c.reason}"

    run_info: dict[str, Any] = {
        "command_line": shlex.join(["rso", *sys.argv[1:]]) if "replan" in sys.argv[1:3] else None,
        "options": {
            "from": from_date.isoformat(),
            "today": today.isoformat(),
            "out": str(out_dir),
            "time_limit_s": time_limit_s,
            "seed": seed,
            "work_bank_holidays": work_bank_holidays,
            "solver": "optimised",
            "pull_forward": plan_options.pull_forward,
            "maps": not no_maps,
        },
        "data_dir": str(Path(data_dir).resolve()),
        "solver": "optimised",
        "started": started,
        "today": today.isoformat(),  # the day the data was taken as of (`rso check` reads it)
        "plan_id": plan_id,
        "replan_of": str(Path(plan_dir).resolve()),
        "unrecorded": listed(missing),
        # every visit id this plan's versions have used stays unused by later ones
        "last_visit_number": highest_number(
            [*(r.visit_id for r in issued.visits), *(v.visit_id for v in result.visits)], floor
        ),
    }
    replan_summary = {
        "replan": {"from": from_date.isoformat(), **counts},
        "unrecorded": len(missing),
    }
    progress(f"writing {out_dir}")
    # Into the plan's own folder: refused if another run replaced the roster meanwhile.
    same = Path(out_dir).resolve() == Path(plan_dir).resolve()

    def say_changes(_summary: dict[str, Any]) -> None:
        share = counts["kept_share"]
        say(
            f"Changes: {counts['kept']} kept, {counts['moved']} moved, {counts['reassigned']} "
            f"reassigned, {counts['added']} added, {counts['removed']} removed"
            + (
                f"; {share:.0%} of the {counts['issued_visits']} issued visits kept"
                if share is not None
                else ""
            )
            + (
                f"; {counts['pinned_kept']} of {counts['pinned']} pinned kept."
                if counts["pinned"]
                else "."
            )
        )

    issue_folder(
        out_dir,
        dataset,
        result,
        data_dir=data_dir,
        run_info=run_info,
        summary_extra=replan_summary,
        travel=travel,
        work_bank_holidays=work_bank_holidays,
        calendar=CalendarPlan(plan_id, uids, previous, notes),
        maps=not no_maps,
        progress=progress,
        replaces=[*PLAN_FILES, "changes.csv", "changes"],
        expect={"roster.csv": issued.roster_sha256} if same else None,
        extra=lambda stage: write_changes(stage, dataset, done.changes),
        say_more=say_changes,
        what="re-planned roster",
        map_progress=False,
    )
