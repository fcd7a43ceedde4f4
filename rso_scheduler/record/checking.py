"""A recorded plan's changes checked by the contract's rules (the independent checker).

`rule_check(dataset, store, plan_id, ...)` gives `book.apply_change` its `check`: the roster
with the change made is checked by `check.check_plan`, and any rule it breaks that the roster
as it stood did not is returned as (rule, message), so a change is refused with the rule's
name. The workbench loads the data folder (and its travel model) and passes them in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from rso_scheduler.models import Dataset
from rso_scheduler.outputs.roster_files import RosterFiles, RosterRow, UnscheduledRow
from rso_scheduler.record.book import _plan_entry, plan_visits
from rso_scheduler.record.store import Store

# Rules about the files rather than the visits: they say nothing about one change.
_FILE_RULES = frozenset({"summary", "inputs_changed"})
# Figures that follow from a visit's day (its due date in a chain, lateness, the flags): named
# after the rule that made the move wrong (an officer off duty, the person away), not before it.
_DERIVED_RULES = frozenset({"due_date", "earliest", "days_late", "pulled_forward", "manager_flag"})


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def roster_row(r: dict[str, Any], line: int) -> RosterRow:
    """A recorded roster row back as the checker reads roster.csv."""
    day, due = date.fromisoformat(r["date"]), date.fromisoformat(r["due_date"])
    return RosterRow(
        line=line,
        visit_id=r["visit_id"],
        date=day,
        start_min=_minutes(r["start"]),
        end_min=_minutes(r["end"]),
        offender_id=r["offender_id"],
        officer_ids=tuple(r["officer_ids"]),
        risk_level=r["risk_level"],
        due_date=due,
        days_late=max(0, (day - due).days),
        kind=r["kind"],
        crew_id=r.get("crew_id", ""),
        late_reason=r.get("late_reason", ""),
        pinned=bool(r.get("pinned")),
    )


def rule_check(
    dataset: Dataset,
    store: Store,
    plan_id: str,
    *,
    work_bank_holidays: bool = False,
    travel: Any = None,
) -> Callable[[list[dict[str, Any]], str], list[tuple[str, str]]]:
    """The check for changes to plan `plan_id`: the rules a changed roster newly breaks."""
    from rso_scheduler.check import check_plan

    body = _plan_entry(store, plan_id).body
    unscheduled = [
        UnscheduledRow(
            i + 2, u["offender_id"], u["risk_level"], date.fromisoformat(u["due_date"]), u["reason"]
        )
        for i, u in enumerate(body["unscheduled"])
    ]

    def broken(rows: list[dict[str, Any]]) -> set[tuple[str | None, str, str]]:
        files = RosterFiles(
            out_dir=Path(body.get("out_dir") or "."),
            plan_start=date.fromisoformat(body["start"]),
            plan_end=date.fromisoformat(body["end"]),
            work_bank_holidays=work_bank_holidays,
            visits=[roster_row(r, i + 2) for i, r in enumerate(rows)],
            unscheduled=unscheduled,
        )
        found = check_plan(dataset, files, work_bank_holidays=work_bank_holidays, travel=travel)
        return {(v.visit_id, v.rule, str(v)) for v in found if v.rule not in _FILE_RULES}

    before = {(rule, text) for _, rule, text in broken(plan_visits(store, plan_id))}

    def check(rows: list[dict[str, Any]], visit_id: str) -> list[tuple[str, str]]:
        new = [
            (v != visit_id, rule in _DERIVED_RULES, rule, text)
            for v, rule, text in broken(rows)
            if (rule, text) not in before
        ]
        return [(rule, text) for _, _, rule, text in sorted(new)]

    return check
