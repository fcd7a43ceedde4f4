"""`rso check`: re-derive every contract rule of a written roster from the inputs."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import click

from rso_scheduler.commands.common import (
    Progress,
    UserError,
    handle_errors,
    plan_today,
    run_travel,
    today_option,
)

HELP = """Check a roster against the data contract, independently of the planner.

\b
Examples:
  rso check data/sample out
  rso check data/sample out/baseline

\b
Reads OUT/roster.csv, unscheduled.csv, summary.json and run.json (for the plan period and
whether bank holidays were worked), re-derives due dates, availability, skills, crews,
shifts and travel from DATA_DIR, and prints "no violations" or each violation (exit 1).
With more than one violation, a last line counts them by rule.
OUT_DIR may also be the roster.csv itself. Missing or unreadable files: exit 2. If the data
folder's files differ from those the plan was made from, the last line says so: check a plan
against the data it was made with. The data is read as of the --today the plan was made
with (recorded in run.json), unless --today says otherwise.

\b
A roster edited by hand (rows removed, times or officers changed, the pinned column set) is
checked by the same rules; the totals are recomputed from it, and a summary.json that no
longer matches is one warning (exit 0 if no rule is broken). A deleted row of an owed visit
is reported once, as owed but in neither file.
"""


@click.command("check", help=HELP)
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.argument("out_dir", type=click.Path(path_type=Path))
@today_option(
    "No completed visit may be after it.",
    from_plan=True,
)
@handle_errors
def command(data_dir: Path, out_dir: Path, today: date | None) -> None:
    from rso_scheduler.check import check_plan, findings, roster_totals
    from rso_scheduler.cycle import assumed_from_run, with_visits
    from rso_scheduler.ingest import data_folder, load_dataset
    from rso_scheduler.outputs.roster_files import read_roster

    data_folder(data_dir)  # named first on the command line, so reported first
    files = read_roster(out_dir)
    dataset = load_dataset(data_dir, today=plan_today(today, files.run))
    dataset = with_visits(dataset, assumed_from_run(files.run))  # a plan made --after
    travel = run_travel(dataset, data_dir, Progress(False))
    violations = check_plan(
        dataset, files, work_bank_holidays=files.work_bank_holidays, travel=travel
    )
    people = dataset.offender_by_id()
    totals = roster_totals(files, people, dataset.officer_by_id(), dataset.policy, travel)
    found = findings(violations)
    # in rso plan's words and units, so the two summaries can be read side by side
    counted = (
        f"{totals['visits_planned']} visits planned ({totals['on_time']} on time, "
        f"{totals['late']} late), {totals['unscheduled']} not scheduled, {files.plan_start} to "
        f"{files.plan_end}; travel {totals['travel_minutes'] / 60:.1f} officer-hours "
        f"({totals['travel_minutes']} minutes)"
    )
    for w in found.warnings:  # stale annotations, not broken rules
        click.echo(f"warning: {w}", err=True)
    if not found.errors:
        click.echo(f"no violations: {counted}")
        return
    click.echo(f"checked {counted}")
    changed = [v for v in found.errors if v.rule == "inputs_changed"]
    if changed:
        # said first too: a supervisor reading thousands of lines should know why before them
        click.echo(
            f"note: {len(changed)} input file{'s' if len(changed) != 1 else ''} differ from "
            "those the plan was made from; the violations below may follow from that",
            err=True,
        )
    for v in found.errors:
        click.echo(str(v))
    n = len(found.errors)
    if n > 1:  # a long list is read from its end: the count of each rule broken
        by_rule = Counter(v.rule for v in found.errors)
        click.echo(
            "by rule: "
            + ", ".join(
                f"{rule} {k}" for rule, k in sorted(by_rule.items(), key=lambda i: (-i[1], i[0]))
            )
        )
    message = f"{n} violation{'s' if n != 1 else ''} of the data contract"
    if changed:
        # Most of the other violations then follow from checking against the wrong data.
        message += (
            f"; {len(changed)} input file{'s' if len(changed) != 1 else ''} differ from those the "
            f"plan was made from, so check it against the data folder it was planned with"
        )
    raise UserError(message, 1)
