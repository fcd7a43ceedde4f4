"""A re-plan's changes: changes.csv and a printable page of changes per officer.

`write_changes(stage, dataset, changes)` writes `changes.csv` (visit_id, offender_id, change,
old_date, old_officers, new_date, new_officers, reason, then old_visit_id, old_start,
new_start, pinned) and `changes/<officer>.html`: every change that involves the officer, on
the issued roster or the new one, A4 with the OFFICIAL-SENSITIVE marking, all text escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from html import escape
from pathlib import Path

from rso_scheduler.models import Dataset
from rso_scheduler.outputs.files import write_csv, write_private
from rso_scheduler.outputs.handouts import page
from rso_scheduler.outputs.roster_files import safe_file_name
from rso_scheduler.replan import CHANGE_KINDS, Change
from rso_scheduler.roster import hhmm

CHANGES_COLUMNS = (
    "visit_id",
    "offender_id",
    "change",
    "old_date",
    "old_officers",
    "new_date",
    "new_officers",
    "reason",
    "old_visit_id",
    "old_start",
    "new_start",
    "pinned",
)


def _when(day: object, start: int | None) -> str:
    return "" if day is None else f"{day} {hhmm(start)}" if start is not None else str(day)


def _row(c: Change) -> list[object]:
    return [
        c.visit_id,
        c.offender_id,
        c.change,
        c.old_date.isoformat() if c.old_date else "",
        ";".join(c.old_officers),
        c.new_date.isoformat() if c.new_date else "",
        ";".join(c.new_officers),
        c.reason,
        c.old_visit_id,
        hhmm(c.old_start_min) if c.old_start_min is not None else "",
        hhmm(c.new_start_min) if c.new_start_min is not None else "",
        "yes" if c.pinned else "no",
    ]


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _officer_page(oid: str, name: str, changes: list[Change], names: dict[str, str]) -> str:
    def crew(ids: tuple[str, ...]) -> str:
        return ", ".join(names.get(i, i) for i in ids)

    counts = {k: sum(1 for c in changes if c.change == k) for k in CHANGE_KINDS}
    shown = [c for c in changes if c.change != "kept"]
    rows = "".join(
        f"<tr><td>{_e(c.change)}</td><td>{_e(c.offender_id)}</td>"
        f"<td>{_e(_when(c.old_date, c.old_start_min))}<br>{_e(crew(c.old_officers))}</td>"
        f"<td>{_e(_when(c.new_date, c.new_start_min))}<br>{_e(crew(c.new_officers))}</td>"
        f"<td>{_e(c.reason)}</td></tr>"
        for c in shown
    )
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    body = (
        f"<h1>Roster changes: {_e(name)}</h1>"
        f'<p class="sub">Officer {_e(oid)} &middot; {_e(summary or "no visits")}. Visits kept '
        "as issued are not listed; the new roster is in handouts/.</p>"
        "<table><thead><tr><th>change</th><th>person</th><th>was</th><th>now</th>"
        f"<th>why</th></tr></thead><tbody>{rows}</tbody></table>"
        if shown
        else f'<h1>Roster changes: {_e(name)}</h1><p class="sub">Officer {_e(oid)}: '
        f"no change to your visits ({_e(summary or 'no visits')}).</p>"
    )
    return page(f"Roster changes {name}", body)


def write_changes(stage: Path, dataset: Dataset, changes: Sequence[Change]) -> None:
    """changes.csv and changes/<officer>.html into a staging folder."""
    stage = Path(stage)
    write_csv(stage / "changes.csv", CHANGES_COLUMNS, [_row(c) for c in changes])
    names = {oid: o.display_name for oid, o in dataset.officer_by_id().items()}
    per_officer: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        for oid in dict.fromkeys((*c.old_officers, *c.new_officers)):
            per_officer[oid].append(c)
    used: set[str] = set()
    for oid, theirs in sorted(per_officer.items()):
        name = names.get(oid, oid)
        write_private(
            stage / "changes" / safe_file_name(oid, used, ".html"),
            _officer_page(oid, name, theirs, names),
        )
