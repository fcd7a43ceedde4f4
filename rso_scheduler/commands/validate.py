"""`rso validate`: check a data folder against the contract and summarise what it holds."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import click

from rso_scheduler.commands.common import (
    Progress,
    data_dir_or_here,
    handle_errors,
    plan_period,
    today_option,
)
from rso_scheduler.cycle import log_gap_warning
from rso_scheduler.demand import owed_visits
from rso_scheduler.duty import DutyCalendar
from rso_scheduler.ingest import load_dataset
from rso_scheduler.models import RISK_ORDER, Dataset, Status

HELP = """Check a data folder against the data contract and summarise it.

Reads offenders.csv and officers.csv (required), absences.csv, visits.csv and policy.toml
(optional); any table may be NAME.xlsx instead, columns.toml may map an export's own headers,
and postcodes or UPRNs are placed through the gazetteer policy.toml names ([locations]). Every problem in every file is listed at once, one per line as
`file:line column: message`, and the exit code is 2. Messages never show coordinates.

\b
If the data is good, prints: the files read (rows, warnings); how locations were resolved
(by coordinates, postcode or UPRN) when any were not coordinates; people by risk level and
status; officers by area; and for the month (default: the month after --today; or the
period --start to --end, the same count as `rso plan` of that period) the visits owed by
risk level (how many already overdue at its start) against the visit days and hours
available. DATA_DIR defaults to the current folder if it holds offenders.csv.

\b
Examples:
  rso validate data/sample
  rso validate data/sample --today 2026-11-20 --month 2027-01
  rso validate data/sample --today 2026-11-23 --start 2026-11-23 --end 2026-12-20
  rso validate data/sample --json > summary.json
"""


def summarise(dataset: Dataset, start: date, end: date) -> dict[str, Any]:
    """The validate summary as plain data (the --json output)."""
    risks = [r.value for r in RISK_ORDER]
    statuses = [s.value for s in Status]
    by_rs: Counter[tuple[str, str]] = Counter(
        (o.risk_level.value, o.status.value) for o in dataset.offenders
    )
    people = {r: {s: by_rs[(r, s)] for s in statuses} for r in risks}

    officers_by_area: Counter[str] = Counter(o.area or "(no area)" for o in dataset.officers)

    owed: dict[str, dict[str, int]] = {
        r: {"people": 0, "visits": 0, "overdue_at_start": 0} for r in risks
    }
    officer_hours_owed = 0.0
    for v in owed_visits(dataset, start, end):
        q = v.requirement
        row = owed[q.risk_level.value]
        row["visits"] += 1
        if v.seq == 0:
            row["people"] += 1
            if q.first_due < start:
                row["overdue_at_start"] += 1
        officer_hours_owed += q.duration_min * (2 if q.two_officers else 1) / 60
    totals = {k: sum(owed[r][k] for r in risks) for k in ("people", "visits", "overdue_at_start")}

    cal = DutyCalendar(dataset.officers, dataset.absences, start, end)
    holidays = cal.holidays_off
    officer_days = sum(len(cal.on_duty(d)) for d in cal.days)
    shift_hours = cal.shift_hours()

    return {
        "data_dir": dataset.source_dir,
        "files": [{"name": f.name, "rows": f.rows, "sha256": f.sha256} for f in dataset.files],
        "warnings": list(dataset.warnings),
        "locations": {name: dict(counts) for name, counts in dataset.locations.items()},
        "notes": list(dataset.notes),
        "people": {"total": len(dataset.offenders), "by_risk_and_status": people},
        "officers": {
            "total": len(dataset.officers),
            "by_area": dict(sorted(officers_by_area.items())),
        },
        "month": {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "bank_holidays": {d.isoformat(): name for d, name in sorted(holidays.items())},
            "owed_by_risk": owed,
            "owed_total": totals,
            "officer_hours_owed": round(officer_hours_owed, 1),
            "officer_days_available": officer_days,
            "officer_hours_available": round(shift_hours, 1),
        },
    }


def _locations_lines(summary: dict[str, Any]) -> list[str]:
    """How each table's rows were placed: by coordinates, postcode or UPRN (terminated ones)."""
    located = summary.get("locations") or {}
    if not any(c.get("postcode") or c.get("uprn") for c in located.values()):
        return []  # coordinates only, as always: nothing new to say
    lines = ["", "Locations:"]
    for name, c in located.items():
        parts = [f"{c.get('coordinates', 0)} by coordinates", f"{c.get('postcode', 0)} by postcode"]
        parts.append(f"{c.get('uprn', 0)} by UPRN")
        if c.get("terminated"):
            parts.append(f"{c['terminated']} of them terminated postcodes (warned)")
        lines.append(f"  {name:<15} " + ", ".join(parts) + "; 0 unmatched")
    lines.extend(f"  {note}" for note in summary.get("notes") or [])
    return lines


def render(summary: dict[str, Any]) -> str:
    """The summary as readable text."""
    n_files = len(summary["files"])
    lines: list[str] = [
        f"Data folder: {summary['data_dir']}",
        f"No problems found in {n_files} file{'s' if n_files != 1 else ''}"
        f" ({len(summary['warnings'])} warning{'s' if len(summary['warnings']) != 1 else ''}).",
        "",
        "Files read:",
    ]
    for f in summary["files"]:
        rows = f"{f['rows']} rows" if f["name"].endswith((".csv", ".xlsx")) else "read"
        lines.append(f"  {f['name']:<15} {rows}")
    lines.extend(_locations_lines(summary))
    if summary["warnings"]:
        lines.append("")
        lines.append("Warnings:")
        lines.extend(f"  {w}" for w in summary["warnings"])

    people = summary["people"]
    statuses = [s.value for s in Status]
    lines += ["", f"People: {people['total']}"]
    head = f"  {'risk level':<11}" + "".join(f"{s:>10}" for s in statuses) + f"{'total':>10}"
    lines.append(head)
    col_totals: dict[str, int] = defaultdict(int)
    for risk, row in people["by_risk_and_status"].items():
        for s in statuses:
            col_totals[s] += row[s]
        cells = "".join(f"{row[s]:>10}" for s in statuses)
        lines.append(f"  {risk.replace('_', ' '):<11}{cells}{sum(row.values()):>10}")
    lines.append(
        f"  {'total':<11}"
        + "".join(f"{col_totals[s]:>10}" for s in statuses)
        + f"{people['total']:>10}"
    )

    officers = summary["officers"]
    lines += ["", f"Officers: {officers['total']}"]
    lines.extend(f"  {area:<20} {n:>5}" for area, n in officers["by_area"].items())

    m = summary["month"]
    lines += ["", f"Period {m['start']} to {m['end']}:"]
    lines.append(f"  {'risk level':<11}{'people':>8}{'visits':>8}{'overdue at start':>18}")
    for risk, row in m["owed_by_risk"].items():
        lines.append(
            f"  {risk.replace('_', ' '):<11}{row['people']:>8}{row['visits']:>8}{row['overdue_at_start']:>18}"
        )
    t = m["owed_total"]
    lines.append(f"  {'total':<11}{t['people']:>8}{t['visits']:>8}{t['overdue_at_start']:>18}")
    hol = len(m["bank_holidays"])
    lines += [
        f"  officer-hours of visits owed (visit time only, no travel): {m['officer_hours_owed']:.1f}",
        f"  officer visit days available: {m['officer_days_available']}"
        f" (bank holidays excluded: {hol}), shift hours: {m['officer_hours_available']:.1f}",
    ]
    return "\n".join(lines)


@click.command("validate", help=HELP)
@click.argument("data_dir", required=False, type=click.Path(path_type=Path))
@today_option("No completed visit may be after it; the default month is the one after it.")
@click.option(
    "--month", metavar="YYYY-MM", help="Month to summarise (default: the month after --today)."
)
@click.option(
    "--start",
    metavar="DATE",
    help="First day of the period to summarise (with --end), as in rso plan.",
)
@click.option("--end", metavar="DATE", help="Last day of the period to summarise (with --start).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@handle_errors
def command(
    data_dir: Path | None,
    today: date,
    month: str | None,
    start: str | None,
    end: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Validate a data folder and print a summary."""
    progress = Progress(enabled=not quiet)
    first, last = plan_period(month, start, end, today)
    root = data_dir_or_here(data_dir, "rso validate data/sample")
    progress(f"reading {root}")
    dataset = load_dataset(root, today=today)
    progress(
        f"valid: {len(dataset.offenders)} people, {len(dataset.officers)} officers; "
        f"summarising {first} to {last}"
    )
    summary = summarise(dataset, first, last)
    gap = log_gap_warning(dataset.visits, first)
    if gap:
        summary["warnings"].append(gap)
    summary["today"] = today.isoformat()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(render(summary))


__all__ = ["command", "render", "summarise"]
