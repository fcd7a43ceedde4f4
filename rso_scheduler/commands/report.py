"""`rso report compliance`: who is overdue on a date, by how much, and who manages them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from rso_scheduler.commands.common import (
    Progress,
    UserError,
    data_dir_or_here,
    handle_errors,
    parse_iso_date,
    today_option,
)

REPORT_HELP = """Audit reports from the visit log.

\b
Example:
  rso report compliance data/sample --as-of 2026-11-20 --out out/compliance
"""

COMPLIANCE_HELP = """Compliance report: every overdue person with days overdue and risk, on a date.

Reads DATA_DIR (default: the current folder, if it holds offenders.csv). Only visits
recorded on or before --as-of count, by the data contract's due-date rules; only completed
visits satisfy a requirement. --as-of defaults to --today, which defaults to the computer's
date; a completed visit after --today is refused as a data error.

\b
Writes into --out (owner-only, atomically):
  overdue.csv         one row per overdue person: risk, OM, area, due date, days overdue
  compliance.csv      everyone managed: status, last visit, due date, state
  by_manager.csv, by_area.csv, ageing.csv (days-overdue bands x risk level)
  trend.csv           with --trend: overdue people at each month end of the log
  flow.csv            with --trend: of the visits due each month, how many were made on
                      time, late or not yet (overall, by area, by offender manager), beside
                      what the record's plan for the month planned
  trend_by_group.csv  with --trend: overdue people at each month end by area and manager
  plan_vs_actual.csv  with --roster: planned visits up to --as-of against the log
  compliance.html     print-ready A4 report marked OFFICIAL-SENSITIVE (no external resources)
  compliance.xlsx     the same tables, a sheet each
  report_run.json     as-of date, tool version, input file hashes

\b
Examples:
  rso report compliance data/sample --as-of 2026-11-20 --out out/compliance
  rso report compliance data/sample --out out/compliance --trend --format html,xlsx
  rso report compliance data/sample --as-of 2027-01-31 --roster out --out out/compliance
"""


@click.group(name="report", help=REPORT_HELP)
def command() -> None:
    """Audit reports from the visit log."""


def _formats(value: str) -> list[str]:
    from rso_scheduler.report import FORMATS

    parts = [p.strip().lower() for p in value.split(",") if p.strip()]
    bad = [p for p in parts if p not in FORMATS]
    if bad or not parts:
        raise UserError(
            f"--format: '{value}' is not valid; expected a comma-separated list of {', '.join(FORMATS)}",
            2,
        )
    return parts


@command.command(name="compliance", help=COMPLIANCE_HELP)
@click.argument("data_dir", required=False, type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", metavar="DATE", help="Report date YYYY-MM-DD (default: --today).")
@today_option("No completed visit may be after it; --as-of defaults to it.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the report files.",
)
@click.option(
    "--roster",
    "roster_dir",
    type=click.Path(path_type=Path),
    help="Output folder of `rso plan` (or its roster.csv): check planned visits against the log.",
)
@click.option(
    "--grace-days",
    default=7,
    show_default=True,
    type=click.IntRange(min=0, max=366),  # more is meaningless, and dates overflow
    help="With --roster: a logged visit this many days either side of the planned date counts "
    "(0 to 366).",
)
@click.option(
    "--trend", is_flag=True, help="Add overdue counts at each month end of the log's history."
)
@click.option(
    "--format",
    "fmt",
    default="csv,html,xlsx",
    show_default=True,
    help="Comma-separated: csv, html, xlsx.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def compliance_command(
    data_dir: Path | None,
    as_of: str | None,
    today: date,
    out: Path,
    roster_dir: Path | None,
    grace_days: int,
    trend: bool,
    fmt: str,
    quiet: bool,
) -> None:
    from rso_scheduler.commands.cycle_steps import issued_plans, record_compliance
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.outputs.files import check_out_dir
    from rso_scheduler.outputs.roster_files import read_planned
    from rso_scheduler.report import compliance, write_report

    formats = _formats(fmt)
    check_out_dir(out)
    day = parse_iso_date(as_of, "--as-of") if as_of else today
    progress = Progress(not quiet)
    src = data_dir_or_here(data_dir, "rso report compliance data/sample --out out/compliance")
    progress(f"reading {src}")
    dataset = load_dataset(src, today=today)
    for w in dataset.warnings:
        click.echo(f"warning: {w}", err=True)
    if day > today:
        click.echo(
            f"warning: --as-of {day.isoformat()} is after today ({today.isoformat()}); "
            "no visit after today is known",
            err=True,
        )
    roster, roster_sha256 = None, None
    if roster_dir is not None:
        roster, roster_sha256 = read_planned(roster_dir)
        progress(f"read {len(roster)} planned visits")
    progress(f"working out due dates on {day.isoformat()}")
    issued = issued_plans(src) if trend else []
    report = compliance(
        dataset, day, roster=roster, trend=trend, grace_days=grace_days, issued=issued
    )
    report.run["today"] = today.isoformat()  # the day the data was taken as of (`--today`)
    if roster_sha256 is not None:
        report.run["roster_sha256"] = roster_sha256
    if roster:
        strangers = {v.offender_id for v in roster} - {o.offender_id for o in dataset.offenders}
        if strangers:
            click.echo(
                f"warning: {len(strangers)} of the {len({v.offender_id for v in roster})} people "
                f"in the roster are not in {src}/offenders.csv; was --roster planned from "
                "another data folder?",
                err=True,
            )
    progress("writing report files")
    written = write_report(report, out, formats)
    record_compliance(src, report, out, written)
    _summary(report, out, written)


def _summary(report: object, out: Path, written: list[str]) -> None:
    from rso_scheduler.report import ComplianceReport

    assert isinstance(report, ComplianceReport)
    h = report.headline
    by_risk = ", ".join(f"{r.risk_level.label} {r.overdue}" for r in h.by_risk)
    click.echo(f"Compliance as of {report.as_of.isoformat()}")
    click.echo(
        f"  managed {h.managed} ({h.active} active, {h.reactive} reactive, {h.suspended} suspended)"
    )
    click.echo(f"  overdue {h.overdue}: {by_risk}")
    if h.overdue_unknown_age:
        click.echo(f"  of which {h.overdue_unknown_age} never visited with no registration date")
    most = h.most_overdue
    if most is not None:
        click.echo(
            f"  most overdue: {most.offender_id} ({most.risk_level.label} risk), {most.days_overdue} days"
        )
    if h.median_days_overdue is not None:
        click.echo(
            f"  days overdue: median {h.median_days_overdue:g}, worst {h.worst_days_overdue}"
        )
    if report.plan_vs_actual is not None:
        made = sum(1 for c in report.plan_vs_actual if c.made)
        click.echo(f"  planned visits up to the date: {len(report.plan_vs_actual)}, made {made}")
    click.echo(f"  wrote {len(written)} files to {out}: {', '.join(written)}")
