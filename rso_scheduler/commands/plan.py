"""`rso plan`: plan a period's home visits, write the roster files, and check them."""

from __future__ import annotations

import shlex
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import click

from rso_scheduler.commands.common import (
    Progress,
    UserError,
    data_dir_or_here,
    handle_errors,
    plan_period,
    say,
    seed_option,
    time_limit_option,
    today_option,
)
from rso_scheduler.models import RISK_ORDER, Dataset

HELP = """Plan a month (or any period) of home visits and write the roster files.

\b
Examples:
  rso plan data/sample --month 2027-01 --out out
  rso plan data/sample --start 2027-01-04 --end 2027-01-17 --out out/fortnight
  rso plan data/sample --month 2027-01 --solver greedy --out out/baseline
  rso plan data/sample --month 2027-02 --after out/2027-01 --out out/2027-02

\b
--after PLAN_DIR plans on top of an issued roster still being worked: its visits dated
before the new period with no outcome in visits.csv are taken as made on their planned
day (summary.json `assumed_done` counts them; run.json lists them). Without it, a visit
log that ends more than a week before the period is warned about.

\b
Writes into OUT (all files readable by you only, replaced atomically):
  roster.csv        one row per planned visit (contract columns, then seq,
                    pulled_forward, crew_id, offender_manager_on_visit, late_reason,
                    pinned)
  unscheduled.csv   every owed visit the roster does not hold, with the reason
  summary.json      counts, travel, policy and input file hashes
  day_sheets/       one CSV per officer, and index.csv
  handouts/         a printable A4 roster per officer (names, base times, outcome boxes)
  calendar/         an iCalendar (.ics) file per officer, and index.csv
  run.json          the run record (versions, options, inputs, timings)
  maps/             offline route maps (unless --no-maps)

\b
The roster is then re-checked by the independent checker (as `rso check` does); a roster
that breaks any rule is reported and the command exits with status 1.
DATA_DIR defaults to the current folder if it holds offenders.csv; the period defaults to
the month after --today.
"""

# Every file and folder a plan writes (a new plan into the same folder replaces the tool's own
# files among them; files of the user's inside these folders stay: outputs/files.py).
PLAN_FILES = [
    "roster.csv",
    "roster.xlsx",
    "unscheduled.csv",
    "breaks.csv",
    "summary.json",
    "run.json",
    "crews.csv",
    "day_sheets",
    "handouts",
    "calendar",
    "maps",
]


def _write_maps(stage: Path, dataset: Dataset, travel: Any = None) -> None:
    """The route maps of the roster just written into the stage."""
    from rso_scheduler.outputs import maps
    from rso_scheduler.outputs.roster_files import read_roster

    maps.write_maps(stage, dataset, read_roster(stage), travel=travel)


def late_days_text(figures: dict[str, Any]) -> str:
    """One line: late days, risk-weighted and plain, split into inherited and added."""
    return (
        f"Late days: {figures['risk_weighted_late_days']} risk-weighted = "
        f"{figures['risk_weighted_late_days_inherited']} inherited (overdue before the plan "
        f"began) + {figures['risk_weighted_late_days_added']} added by the plan; "
        f"{figures['late_days']} days unweighted = {figures['late_days_inherited']} inherited + "
        f"{figures['late_days_added']} added."
    )


def _summary_text(summary: dict[str, Any], out: Path, dataset: Dataset) -> str:
    """A short, supervisor-friendly summary of the plan."""
    lines = [
        f"Plan {summary['plan_start']} to {summary['plan_end']}: {summary['visits_due']} visits owed, "
        f"{summary['on_time']} planned on time, {summary['late']} planned late, "
        f"{summary['unscheduled']} not scheduled.",
    ]
    if summary.get("pulled_forward"):
        lines.append(
            f"{summary['pulled_forward']} visits due next period brought forward with spare capacity."
        )
    lines.append("By risk (owed / on time / late / not scheduled):")
    for level in RISK_ORDER:
        b = summary["by_risk"][level.value]
        if b["visits_due"] or b["visits_planned"]:
            lines.append(
                f"  {level.label:<10} {b['visits_due']:>5} / {b['on_time']:>5} / {b['late']:>5} / {b['unscheduled']:>5}"
            )
    if summary.get("late_days"):
        lines.append(late_days_text(summary))
    if summary.get("unscheduled_overdue_at_start"):
        lines.append(
            f"{summary['unscheduled_overdue_at_start']} of the visits not scheduled were already "
            "overdue when the plan began."
        )
    worst = summary.get("most_overdue")
    if worst:
        lines.append(
            f"Most overdue case: {worst['offender_id']} ({worst['risk_level'].replace('_', ' ')}), "
            f"due {worst['due_date']}, "
            + (
                f"planned {worst['days_late']} days late."
                if worst.get("planned", True)
                else f"NOT SCHEDULED: {worst['days_late']} days overdue by the end of the plan."
            )
        )
    hours = summary["travel_minutes"] / 60
    how = {"road": "by road", "matrix": "from the travel table"}.get(
        dataset.policy.travel.model, "estimated"
    )
    lines.append(f"Travel: {hours:.1f} officer-hours, {summary['travel_km']:.0f} km ({how}).")
    fallback = summary.get("travel", {}).get("straight_line_pairs")
    if fallback:
        lines.append(f"Travel: {fallback:,} journeys not joined by road use the straight line.")
    lines.append(f"Files: {out.resolve()}")
    return "\n".join(lines)


def end_with_check(violations: list[Any], what: str = "roster") -> None:
    """The independent check's verdict on a written roster: exit 1 if it breaks a rule."""
    if violations:
        for v in violations:
            click.echo(str(v), err=True)
        raise UserError(
            f"the {what} FAILED its own check: {len(violations)} rule violation"
            f"{'s' if len(violations) != 1 else ''} (listed above); do not use it",
            1,
        )
    say("Check: no violations.")


@click.command("plan", help=HELP)
@click.argument("data_dir", required=False, type=click.Path(path_type=Path))
@click.option(
    "--month",
    metavar="YYYY-MM",
    help="Plan this calendar month (default: the month after --today).",
)
@click.option("--start", metavar="DATE", help="First day of the plan (with --end).")
@click.option("--end", metavar="DATE", help="Last day of the plan (with --start).")
@today_option("No completed visit may be after it; the default period is the month after it.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Output folder."
)
@time_limit_option
@seed_option
@click.option(
    "--work-bank-holidays", is_flag=True, help="Allow visits on bank holidays (off by default)."
)
@click.option(
    "--solver",
    type=click.Choice(["optimised", "greedy"]),
    default="optimised",
    show_default=True,
    help="The optimiser, or the simple greedy baseline.",
)
@click.option(
    "--no-pull-forward", is_flag=True, help="Never bring forward visits due after the period."
)
@click.option(
    "--after",
    "after_dir",
    type=click.Path(path_type=Path),
    help="An issued plan folder: its unrecorded visits before the period count as made.",
)
@click.option("--no-maps", is_flag=True, help="Do not draw route maps.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def command(
    data_dir: Path | None,
    month: str | None,
    start: str | None,
    end: str | None,
    today: date,
    out_dir: Path,
    time_limit_s: float,
    seed: int,
    work_bank_holidays: bool,
    solver: Literal["optimised", "greedy"],
    no_pull_forward: bool,
    after_dir: Path | None,
    no_maps: bool,
    quiet: bool,
) -> None:
    from rso_scheduler.commands.cycle_steps import ensure_record
    from rso_scheduler.outputs.files import check_out_dir
    from rso_scheduler.pipeline import PlanRequest, plan_folder
    from rso_scheduler.solver import planner_for

    started = datetime.now(UTC).isoformat(timespec="seconds")
    progress = Progress(not quiet)
    plan_start, plan_end = plan_period(month, start, end, today)
    data_dir = data_dir_or_here(data_dir, "rso plan data/sample --out out")
    planner_for(solver)  # an unknown solver before anything else
    # before minutes of planning, not after them
    check_out_dir(
        out_dir,
        files=[n for n in PLAN_FILES if "." in n],  # the others are folders
        folders=[n for n in PLAN_FILES if "." not in n],
    )
    ensure_record(data_dir)
    request = PlanRequest(
        data_dir=data_dir,
        out_dir=out_dir,
        plan_start=plan_start,
        plan_end=plan_end,
        today=today,
        time_limit_s=time_limit_s,
        seed=seed,
        solver=solver,
        work_bank_holidays=work_bank_holidays,
        pull_forward=not no_pull_forward,
        after_dir=after_dir,
        maps=not no_maps,
        options_given={
            "month": month,
            "start": start,
            "end": end,
            "out": str(out_dir),
            "time_limit_s": time_limit_s,
            "seed": seed,
            "work_bank_holidays": work_bank_holidays,
            "solver": solver,
            "pull_forward": not no_pull_forward,
            "maps": not no_maps,
        },
        # `rso -v plan ...` too; None when called as a library or from a test runner.
        command_line=shlex.join(["rso", *sys.argv[1:]]) if "plan" in sys.argv[1:3] else None,
        started=started,
    )
    plan_folder(request, progress, quiet)
