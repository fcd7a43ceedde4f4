"""The month as a cycle: the issued roster and the visit log, read together.

A team plans next month around the 20th while this month's roster is still being worked, and
re-plans mid-month after sickness. Three questions join the issued roster to visits.csv:

- `unrecorded(issued, log, before)`: the issued visits dated before a day with no outcome in
  the log at all (neither completed, nor no access, nor cancelled).
- `assumed_done(issued, log, before)`: those same visits as completed log entries on their
  planned day (`rso plan --after PLAN_DIR`: "assume the issued roster is carried out").
- `log_gap_days(log, start)`: how many days before a period the log ends (a warning past
  `LOG_GAP_WARN_DAYS`).

Plain data in, plain data out: no files read or written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.models import Dataset, Outcome, VisitKind, VisitRecord
from rso_scheduler.outputs.roster_files import RosterRow
from rso_scheduler.roster import hhmm

# A log that ends more than a week before the period is worth a warning: a team exports and
# logs weekly at worst, so a longer gap means visits made since are missing from the due dates.
LOG_GAP_WARN_DAYS = 7


def _logged(log: Iterable[VisitRecord]) -> set[tuple[str, date]]:
    return {(v.offender_id, v.date) for v in log}


def unrecorded(
    issued: Sequence[RosterRow], log: Iterable[VisitRecord], before: date
) -> list[RosterRow]:
    """Issued visits dated before `before` with no outcome of any kind logged for that person
    on that day, in date order."""
    seen = _logged(log)
    return sorted(
        (r for r in issued if r.date < before and (r.offender_id, r.date) not in seen),
        key=lambda r: (r.date, r.start_min, r.visit_id),
    )


def assumed_done(
    issued: Sequence[RosterRow], log: Iterable[VisitRecord], before: date
) -> list[VisitRecord]:
    """The unrecorded issued visits before `before`, taken as completed on their planned day."""
    return [
        VisitRecord(
            offender_id=r.offender_id,
            date=r.date,
            start_min=r.start_min,
            officer_ids=tuple(r.officer_ids),
            outcome=Outcome.completed,
            kind=VisitKind(r.kind) if r.kind in VisitKind.__members__ else None,
            line=0,  # not from visits.csv
        )
        for r in unrecorded(issued, log, before)
    ]


def log_gap_days(log: Sequence[VisitRecord], start: date) -> int | None:
    """Days between the last logged visit and `start` (None with an empty log)."""
    if not log:
        return None
    return (start - max(v.date for v in log)).days


def log_gap_warning(log: Sequence[VisitRecord], start: date, *, after: bool = False) -> str | None:
    """The warning `validate` and `plan` give when the log ends well before the period."""
    gap = log_gap_days(log, start)
    if gap is None or gap <= LOG_GAP_WARN_DAYS:
        return None
    last = max(v.date for v in log)
    advice = (
        "issued visits since are taken as made (--after)"
        if after
        else "visits made since count as not made: record them (rso record) or plan with "
        "--after PLAN_DIR to take the issued roster as carried out"
    )
    return (
        f"visits.csv: the log ends on {last}, {gap} days before the period starts ({start}); "
        f"{advice}"
    )


def listed(rows: Sequence[RosterRow]) -> list[dict[str, str]]:
    """Issued visits as run.json lists them: ids, day, time and officers, never a place."""
    return [
        {
            "visit_id": r.visit_id,
            "offender_id": r.offender_id,
            "date": r.date.isoformat(),
            "start": hhmm(r.start_min),
            "officer_ids": ";".join(r.officer_ids),
            "kind": r.kind,
        }
        for r in rows
    ]


def with_visits(dataset: Dataset, extra: Sequence[VisitRecord]) -> Dataset:
    """`dataset` with `extra` log entries added (the assumed visits of a plan made --after)."""
    if not extra:
        return dataset
    return dataset.model_copy(update={"visits": (*dataset.visits, *extra)})


def assumed_from_run(run: dict[str, Any]) -> list[VisitRecord]:
    """The visits a plan's run.json lists as assumed made, as completed log entries.

    `rso check` adds them to the data as `rso plan --after` did, so both see the same due dates.
    """
    out = []
    for item in run.get("assumed_done") or []:
        try:
            start = str(item.get("start") or "")
            out.append(
                VisitRecord(
                    offender_id=str(item["offender_id"]),
                    date=date.fromisoformat(str(item["date"])),
                    start_min=int(start[:2]) * 60 + int(start[3:5]) if start else None,
                    officer_ids=tuple(x for x in str(item.get("officer_ids", "")).split(";") if x),
                    outcome=Outcome.completed,
                    kind=VisitKind(item["kind"])
                    if item.get("kind") in VisitKind.__members__
                    else None,
                )
            )
        except (KeyError, TypeError, ValueError):
            raise InputError(
                [Problem("run.json", None, "assumed_done", "holds an entry that is not a visit")]
            ) from None
    return out
