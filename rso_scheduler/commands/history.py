"""`rso history`: one person's visits due, each plan version's visits, changes and outcomes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from rso_scheduler.commands.common import UserError, handle_errors
from rso_scheduler.commands.cycle_steps import existing_record, record_option

HELP = """Show one person's history from the record: due, planned, changed, done.

\b
Examples:
  rso history data/team RSO00042
  rso history data/team RSO00042 --json

\b
For PERSON (an offender_id): the visits due (each due date any plan version held), each
version of the plan that held them (planned day, officers, lateness, pinned; or not
scheduled and why; or taken as made), each change with its reason, and each outcome recorded
(when and by whom), then the visit log (visits.csv) for them. Ids, days and reasons only.
"""


def _visit(r: dict[str, Any]) -> str:
    late = f", {r['days_late']} days late" if r.get("days_late") else ""
    pin = ", pinned" if r.get("pinned") else ""
    return (
        f"{r['visit_id']} {r['date']} {r['start']} {';'.join(r['officer_ids'])} "
        f"(due {r['due_date']}{late}{pin})"
    )


def render(h: dict[str, Any], log: list[dict[str, str]]) -> str:
    """The history as text."""
    lines = [f"History of {h['offender_id']}"]
    lines.append(
        "Visits due: "
        + (", ".join(f"{d['due_date']} ({d['risk_level']})" for d in h["due"]) or "none recorded")
    )
    for v in h["versions"]:
        what = f"re-plan from {v['replan_from']}" if v["replan_from"] else "plan"
        lines.append(
            f"Plan {v['plan']} ({what} {v['start']} to {v['end']}; issued {v['issued_at']} by {v['issued_by']}):"
        )
        lines += [f"  planned {_visit(r)}" for r in v["visits"]]
        lines += [f"  not scheduled (due {u['due_date']}): {u['reason']}" for u in v["unscheduled"]]
        lines += [f"  taken as made: {a['visit_id']} {a['date']}" for a in v["assumed_done"]]
        lines += [
            f"  change: {c.get('change')} {c.get('visit_id') or c.get('old_visit_id')}: {c.get('reason')}"
            for c in v["changes"]
        ]
    for c in h["changes"]:
        lines.append(
            f"Change to plan {c['plan']} ({c['at']}, {c['by']}): {c['action']} {c['visit_id']}: {c['reason']}"
        )
    for o in h["outcomes"]:
        lines.append(
            f"Outcome {o['date']} {o['outcome']} ({o['visit_id'] or 'not on a roster'}; recorded {o['recorded_at']} by {o['recorded_by']})"
        )
    if log:
        lines.append("Visit log (visits.csv):")
        lines += [f"  {v['date']} {v['outcome']} {v['officer_ids']}" for v in log]
    return "\n".join(lines)


@click.command("history", help=HELP)
@click.argument("data_dir", type=click.Path(path_type=Path))
@click.argument("person")
@click.option("--json", "as_json", is_flag=True, help="The history as JSON on stdout.")
@record_option
@handle_errors
def command(data_dir: Path, person: str, as_json: bool, record_file: Path | None) -> None:
    from rso_scheduler.ingest import parse_visits, read_text
    from rso_scheduler.record import history

    with existing_record(data_dir, record_file) as store:
        h = history(store, person)
    log_file = Path(data_dir) / "visits.csv"
    log = []
    if log_file.is_file():
        for v in parse_visits(read_text(log_file)).rows:
            if v.offender_id == person:
                log.append(
                    {
                        "date": v.date.isoformat(),
                        "outcome": v.outcome.value,
                        "officer_ids": ";".join(v.officer_ids),
                    }
                )
    if not h["versions"] and not h["outcomes"] and not log:
        raise UserError(f"{person!r} is in no plan, outcome or visit log of {data_dir}", 1)
    if as_json:
        click.echo(json.dumps({**h, "log": log}, indent=2))
    else:
        click.echo(render(h, log))
