"""The record's meaning: plans issued, changes with reasons, outcomes, reports, and the reads a
supervisor, an auditor or a web layer needs. No caller touches the plan folders or SQL.

Entries (kinds):
- `plan`: a plan or re-plan issued. Its id is its entry number (`PlanInfo.id`). Body: period,
  re-plan date and the plan it re-plans, folders, input hashes, figures, every roster row and
  unscheduled row, the visits taken as made (`--after`) or found unrecorded (re-plan), and a
  re-plan's changes with their reasons.
- `change`: one visit of a recorded plan moved, re-crewed, pinned or taken out, with the reason
  (`apply_change`; the web workbench's adjustments). Subject: the plan id.
- `outcomes`: a checked outcome sheet appended to visits.csv (`rso record`).
- `report`: a report made (`rso report compliance`) with its headline.

Nothing here holds coordinates, postcodes or addresses: roster rows carry ids, days and times.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date as _date
from pathlib import Path
from typing import Any, Protocol

from rso_scheduler.errors import RsoError
from rso_scheduler.outputs.files import unneutralise
from rso_scheduler.record.store import Entry, RecordError, Store

FIGURES = (
    "visits_due",
    "visits_planned",
    "on_time",
    "late",
    "unscheduled",
    "assumed_done",
    "unrecorded",
)


class NotFound(RecordError):
    """A plan or visit the record does not hold."""


class ChangeRefused(RsoError):
    """A change that breaks a rule (named) or lacks a reason; nothing was recorded."""

    exit_code = 1

    def __init__(self, rule: str, message: str):
        super().__init__(f"{rule}: {message}")
        self.rule, self.message = rule, message


@dataclass(frozen=True)
class PlanInfo:
    """A plan version as listed: `GET /api/plans` gives these."""

    id: str
    start: str
    end: str
    replan_from: str | None
    replan_of: str | None
    out_dir: str
    at: str
    user: str
    figures: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def roster_row(r: Any) -> dict[str, Any]:
    """A `RosterRow` as the record keeps it (no places)."""
    return {
        "visit_id": r.visit_id,
        "date": r.date.isoformat(),
        "start": _hhmm(r.start_min),
        "end": _hhmm(r.end_min),
        "offender_id": r.offender_id,
        "officer_ids": list(r.officer_ids),
        "risk_level": r.risk_level,
        "due_date": r.due_date.isoformat(),
        "days_late": r.days_late,
        "kind": r.kind,
        "late_reason": r.late_reason,
        "pinned": r.pinned,
        "crew_id": r.crew_id,
    }


def _changes_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    return [{k: unneutralise(v or "") for k, v in row.items() if k} for row in rows]


def record_issued(store: Store, out_dir: Path, command: str, violations: int = 0) -> Entry:
    """Record the plan or re-plan just written to `out_dir` (read back from its files)."""
    from rso_scheduler.outputs.roster_files import read_roster

    files = read_roster(out_dir)
    run, summary = files.run, files.summary
    out = str(Path(out_dir).resolve())
    replan_of = None
    if run.get("replan_of"):
        earlier = [p for p in plans(store) if p.out_dir == run["replan_of"]]
        replan_of = earlier[-1].id if earlier else None
    body = {
        "plan_id": run.get("plan_id"),
        "start": files.plan_start.isoformat(),
        "end": files.plan_end.isoformat(),
        "replan_from": (summary.get("replan") or {}).get("from"),
        "replan_of": replan_of,
        "replan_of_dir": run.get("replan_of"),
        "out_dir": out,
        "data_dir": run.get("data_dir"),
        "today": run.get("today"),
        "inputs": run.get("input_files") or {},
        "policy_sha256": run.get("policy_sha256"),
        "seed": run.get("seed"),
        "solver": run.get("solver"),
        "figures": {k: summary[k] for k in FIGURES if k in summary},
        "violations": violations,
        "visits": [roster_row(r) for r in files.visits],
        "unscheduled": [
            {
                "offender_id": u.offender_id,
                "risk_level": u.risk_level,
                "due_date": u.due_date.isoformat(),
                "reason": u.reason,
            }
            for u in files.unscheduled
        ],
        "assumed_done": run.get("assumed_done") or [],
        "unrecorded": run.get("unrecorded") or [],
        "changes": _changes_csv(Path(out_dir) / "changes.csv"),
        "breaks": None
        if files.breaks is None
        else [
            {
                "officer_id": b.officer_id,
                "date": b.date.isoformat(),
                "start": _hhmm(b.start_min),
                "end": _hhmm(b.end_min),
            }
            for b in files.breaks
        ],
    }
    return store.append("plan", body, command=command)


def _info(e: Entry) -> PlanInfo:
    b = e.body
    return PlanInfo(
        id=str(e.seq),
        start=b["start"],
        end=b["end"],
        replan_from=b.get("replan_from"),
        replan_of=b.get("replan_of"),
        out_dir=b.get("out_dir", ""),
        at=e.at,
        user=e.user,
        figures=b.get("figures", {}),
    )


def plans(store: Store) -> list[PlanInfo]:
    """Every plan version issued, oldest first."""
    return [_info(e) for e in store.entries(kind="plan")]


def _plan_entry(store: Store, plan_id: str) -> Entry:
    found = [e for e in store.entries(kind="plan") if str(e.seq) == str(plan_id)]
    if not found:
        raise NotFound(f"no plan {plan_id} in the record {store.path}")
    return found[0]


def plan_info(store: Store, plan_id: str) -> PlanInfo:
    """One plan version."""
    return _info(_plan_entry(store, plan_id))


def plan_visits(store: Store, plan_id: str) -> list[dict[str, Any]]:
    """A plan's roster rows as they stand: as issued, then each recorded change applied."""
    rows = {r["visit_id"]: dict(r) for r in _plan_entry(store, plan_id).body["visits"]}
    for e in store.entries(kind="change", subject=str(plan_id)):
        after = e.body.get("after")
        if after is None:
            rows.pop(e.body["visit_id"], None)
        else:
            rows[e.body["visit_id"]] = after
    return sorted(rows.values(), key=lambda r: (r["date"], r["start"], r["visit_id"]))


def plan_breaks(store: Store, plan_id: str) -> dict[tuple[str, str], tuple[str, str]] | None:
    """A plan's refreshment breaks as they stand, {(officer_id, date): (start, end)}: as
    issued (breaks.csv), then each recorded change's re-derived officer-days applied. None:
    the plan was recorded without its breaks (before the record kept them, or no breaks.csv)."""
    entry = _plan_entry(store, plan_id)
    rows = store.breaks(entry.seq)
    if rows is None:
        return None
    out = {(o, d): (s, e) for o, d, s, e in rows}
    for e in store.entries(kind="change", subject=str(plan_id)):
        change = e.body.get("breaks")
        if not change:
            continue
        for o, d in change["days"]:
            out.pop((o, d), None)
        for b in change["rows"]:
            out[b["officer_id"], b["date"]] = (b["start"], b["end"])
    return out


class ChangeCheck(Protocol):
    """What `apply_change` checks a change with (`record.checking.RuleCheck`)."""

    def __call__(self, rows: list[dict[str, Any]], visit_id: str) -> list[tuple[str, str]]: ...

    def breaks_change(self, rows: Sequence[dict[str, Any]]) -> Any: ...


def apply_change(
    store: Store,
    plan_id: str,
    visit_id: str,
    *,
    reason: str,
    command: str,
    date: str | None = None,
    start: str | None = None,
    officer_ids: Sequence[str] | None = None,
    pinned: bool | None = None,
    remove: bool = False,
    check: ChangeCheck | None = None,
) -> dict[str, Any] | None:
    """Change one visit of a recorded plan and record it with its reason.

    `check` gets the whole roster with the change made and the visit changed, and returns the
    rules it breaks as (rule, message), those of that visit first; any -> `ChangeRefused`
    naming the first, and nothing is recorded. (The web
    layer passes the planner's rules; see check.py.) The breaks the change leaves on the
    officer-days it touches (`check.breaks_change`) are recorded with it. Returns the changed
    visit (None: removed).
    """
    if not reason or not reason.strip():
        raise ChangeRefused("reason", "every change needs a reason")
    rows = plan_visits(store, plan_id)
    before = next((r for r in rows if r["visit_id"] == visit_id), None)
    if before is None:
        raise NotFound(f"plan {plan_id} has no visit {visit_id}")
    after: dict[str, Any] | None = None
    if not remove:
        after = dict(before)
        if date is not None:
            after["date"] = date
            late = max(0, (_date.fromisoformat(date) - _date.fromisoformat(after["due_date"])).days)
            after["days_late"] = late
            if late and not after.get("late_reason"):
                after["late_reason"] = f"moved by hand: {reason.strip()}"
            elif not late:
                after["late_reason"] = ""
        if start is not None:  # the visit keeps its length
            length = _minutes(after["end"]) - _minutes(after["start"])
            after["start"], after["end"] = start, _hhmm(_minutes(start) + length)
        if officer_ids is not None:
            after["officer_ids"] = list(officer_ids)
            after["crew_id"] = "+".join(sorted(officer_ids))
        if pinned is not None:
            after["pinned"] = bool(pinned)
    breaks = None
    if check is not None:
        proposed = [after if r["visit_id"] == visit_id else r for r in rows]
        changed = [r for r in proposed if r is not None]
        broken = check(changed, visit_id)
        if broken:
            raise ChangeRefused(*broken[0])
        derive = getattr(check, "breaks_change", None)  # a bare callable keeps no breaks
        breaks = derive(changed).as_body() if derive is not None else None
    action = (
        "remove"
        if after is None
        else "pin"
        if after.get("pinned") != before.get("pinned") and after["date"] == before["date"]
        else "move"
    )
    append_change(store, plan_id, before, after, action, reason, command, breaks)
    return after


def append_change(
    store: Store,
    plan_id: str,
    before: dict[str, Any],
    after: dict[str, Any] | None,
    action: str,
    reason: str,
    command: str,
    breaks: dict[str, Any] | None = None,
) -> Entry:
    """Append a `change` entry: the visit before and after (None: taken out), the action, the
    reason, and the breaks it leaves on the officer-days it touches (the one home of its form)."""
    return store.append(
        "change",
        {
            "plan": str(plan_id),
            "visit_id": before["visit_id"],
            "offender_id": before["offender_id"],
            "action": action,
            "before": before,
            "after": after,
            "reason": reason.strip(),
            **({"breaks": breaks} if breaks is not None else {}),
        },
        subject=str(plan_id),
        command=command,
    )


def record_outcomes(store: Store, sheet: str, rows: Sequence[Any], command: str) -> Entry:
    """Record the outcomes `rso record` appended (`outcomes.Recorded` rows)."""
    return store.append(
        "outcomes",
        {
            "sheet": sheet,
            "rows": [
                {
                    "visit_id": r.visit_id,
                    "offender_id": r.record.offender_id,
                    "date": r.record.date.isoformat(),
                    "start": _hhmm(r.record.start_min) if r.record.start_min is not None else "",
                    "officer_ids": list(r.record.officer_ids),
                    "outcome": r.record.outcome.value,
                    "kind": r.record.kind.value if r.record.kind else "",
                }
                for r in rows
            ],
        },
        command=command,
    )


def record_report(store: Store, report: str, body: dict[str, Any], command: str) -> Entry:
    """Record a report made (its kind, date, folder and headline figures)."""
    return store.append("report", {"report": report, **body}, command=command, people=())


def outcomes(store: Store, person: str | None = None) -> list[dict[str, Any]]:
    """Every outcome recorded (of one person), oldest first, with when and by whom."""
    out = []
    for e in store.entries(kind="outcomes", person=person):
        for r in e.body["rows"]:
            if person is None or r["offender_id"] == person:
                out.append({**r, "recorded_at": e.at, "recorded_by": e.user, "entry": e.seq})
    return out


def history(store: Store, person: str) -> dict[str, Any]:
    """A person's visits due, each plan version's visits for them, changes, and what was done."""
    versions = []
    for e in store.entries(kind="plan", person=person):
        b = e.body
        versions.append(
            {
                "plan": str(e.seq),
                "start": b["start"],
                "end": b["end"],
                "replan_from": b.get("replan_from"),
                "issued_at": e.at,
                "issued_by": e.user,
                "visits": [r for r in b["visits"] if r["offender_id"] == person],
                "unscheduled": [u for u in b["unscheduled"] if u["offender_id"] == person],
                "assumed_done": [a for a in b["assumed_done"] if a["offender_id"] == person],
                "changes": [c for c in b.get("changes", []) if c.get("offender_id") == person],
            }
        )
    due = sorted(
        {
            (r["due_date"], r["risk_level"])
            for v in versions
            for r in [*v["visits"], *v["unscheduled"]]
        }
    )
    changes = [
        {
            "plan": e.body["plan"],
            "at": e.at,
            "by": e.user,
            **{k: e.body[k] for k in ("visit_id", "action", "before", "after", "reason")},
        }
        for e in store.entries(kind="change", person=person)
    ]
    return {
        "offender_id": person,
        "due": [{"due_date": d, "risk_level": r} for d, r in due],
        "versions": versions,
        "changes": changes,
        "outcomes": outcomes(store, person),
    }


def trail(store: Store) -> list[dict[str, Any]]:
    """The audit trail: each entry's number, time, user, command, kind and a one-line gist."""
    return [
        {
            "entry": e.seq,
            "at": e.at,
            "user": e.user,
            "command": e.command,
            "kind": e.kind,
            "subject": e.subject,
            "gist": gist(e),
            "hash": e.hash,
        }
        for e in store.entries()
    ]


def gist(e: Entry) -> str:
    """One line saying what an entry records (ids and counts only)."""
    b = e.body
    if e.kind == "plan":
        f = b.get("figures", {})
        what = (
            f"re-plan of plan {b.get('replan_of') or '?'} from {b['replan_from']}"
            if b.get("replan_from")
            else "plan"
        )
        return (
            f"plan {e.seq}: {what} {b['start']} to {b['end']}: {len(b['visits'])} visits, "
            f"{f.get('late', 0)} late, {f.get('unscheduled', 0)} not scheduled"
            + (f", {len(b['changes'])} changes" if b.get("changes") else "")
            + (f", {len(b['assumed_done'])} assumed made" if b.get("assumed_done") else "")
        )
    if e.kind == "change":
        return (
            f"plan {b['plan']}: {b['action']} {b['visit_id']} ({b['offender_id']}): {b['reason']}"
        )
    if e.kind == "outcomes":
        n = len(b["rows"])
        return f"{n} outcome{'s' if n != 1 else ''} recorded from {b['sheet']}"
    if e.kind == "report":
        return f"{b['report']} report as of {b.get('as_of', '?')}"
    return e.kind
