"""A recorded plan's changes checked by the contract's rules (the independent checker).

`rule_check(dataset, store, plan_id, ...)` gives `book.apply_change` its `check`: the roster
with the change made is checked by `check.check_plan`, and any rule it breaks that the roster
as it stood did not is returned as (rule, message), so a change is refused with the rule's
name. The workbench loads the data folder (and its travel model) and passes them in.

Refreshment breaks: the record keeps each plan's breaks (breaks.csv) and each change's new
breaks. A change re-derives the breaks of the officer-days it touches with the planner's own
timing engine (`solver.routing.fixed_day_break`: `CrewTimer.timeline` over the officer's day
with each visit held to its time), so the checker sees the breaks the change leaves; when no
lawful break fits any more the change is refused by rule `refreshment`. A plan recorded
before the record kept breaks has every officer-day's break derived the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rso_scheduler.models import Dataset
from rso_scheduler.outputs.roster_files import BreakRow, RosterFiles, RosterRow, UnscheduledRow
from rso_scheduler.record.book import _plan_entry, plan_breaks, plan_visits
from rso_scheduler.record.store import Store

# Rules about the files rather than the visits: they say nothing about one change.
_FILE_RULES = frozenset({"summary", "inputs_changed"})
# Figures that follow from a visit's day (its due date in a chain, lateness, the flags): named
# after the rule that made the move wrong (an officer off duty, the person away), not before it.
_DERIVED_RULES = frozenset({"due_date", "earliest", "days_late", "pulled_forward", "manager_flag"})

OfficerDay = tuple[str, str]  # (officer_id, ISO date)
Breaks = dict[OfficerDay, tuple[str, str]]  # each officer-day's break (start, end) as HH:MM


def _minutes(text: str) -> int:
    return int(text[:2]) * 60 + int(text[3:5])


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


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


def officer_days(rows: Sequence[dict[str, Any]]) -> dict[OfficerDay, list[tuple[Any, ...]]]:
    """Each officer-day's visits as (start, end, visit_id, offender_id), in time order."""
    out: dict[OfficerDay, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        for oid in dict.fromkeys(r["officer_ids"]):
            out[oid, r["date"]].append((r["start"], r["end"], r["visit_id"], r["offender_id"]))
    for seq in out.values():
        seq.sort()
    return out


@dataclass(frozen=True)
class BreakChange:
    """The breaks a change leaves on the officer-days it touches (stored with the change)."""

    days: list[OfficerDay]  # the officer-days re-derived
    breaks: Breaks  # their breaks (a day with none due or none that fits has no entry)
    no_room: list[tuple[str, str]]  # (rule, message) of each day a due break no longer fits

    def as_body(self) -> dict[str, Any]:
        """The change entry's `breaks`: the days re-derived and their break rows."""
        return {
            "days": [list(d) for d in self.days],
            "rows": [
                {"officer_id": o, "date": d, "start": s, "end": e}
                for (o, d), (s, e) in sorted(self.breaks.items())
            ],
        }


class BreakDeriver:
    """The planner's timing engine over officer-days whose visits are timed (see module)."""

    def __init__(self, dataset: Dataset, travel: Any = None):
        from rso_scheduler.solver.routing import TravelCache

        self.people = dataset.offender_by_id()
        self.officers = dataset.officer_by_id()
        self.shifts = dataset.policy.shifts
        self.cache = TravelCache(travel if travel is not None else dataset.policy.travel)

    def derive(
        self, days: dict[OfficerDay, list[tuple[Any, ...]]], wanted: Sequence[OfficerDay]
    ) -> BreakChange:
        """The breaks of the `wanted` officer-days (their visits from `days`)."""
        from rso_scheduler.rules import refreshment_break
        from rso_scheduler.solver.routing import CrewTimer, Stop, fixed_day_break
        from rso_scheduler.travel import home

        breaks: Breaks = {}
        no_room: list[tuple[str, str]] = []
        for oid, day in wanted:
            officer = self.officers.get(oid)
            visits = [
                (_minutes(s), _minutes(e), home(self.people[pid]))
                for s, e, _v, pid in days.get((oid, day), [])
                if pid in self.people
            ]
            if officer is None or not visits:
                continue
            need = refreshment_break(officer, self.shifts)
            if need is None:
                continue
            got = fixed_day_break(officer, visits, self.cache, self.shifts)
            if got is not None:
                breaks[oid, day] = (_hhmm(got[0]), _hhmm(got[1]))
                continue
            stops = [Stop(k, p.lat, p.lon, e - s, s, e, p.id) for k, (s, e, p) in enumerate(visits)]
            if CrewTimer([officer], self.cache).timeline(stops) is None:
                continue  # the day does not fit at all: the checker names that rule
            no_room.append(
                (
                    "refreshment",
                    f"officer {oid} would have no time on {day} for the {need.minutes}-minute "
                    f"refreshment break due between {_hhmm(need.earliest_min)} and "
                    f"{_hhmm(need.latest_min)}: the visits and the drives between them fill it",
                )
            )
        return BreakChange(sorted(wanted), breaks, no_room)


class RuleCheck:
    """The check for changes to one recorded plan (`rule_check`): called with the roster as
    changed and the visit changed, the rules it newly breaks, those of that visit first;
    `breaks_change` gives the breaks the change leaves, for the record."""

    def __init__(
        self,
        dataset: Dataset,
        store: Store,
        plan_id: str,
        *,
        work_bank_holidays: bool = False,
        travel: Any = None,
    ):
        self.dataset, self.travel, self.work_bank_holidays = dataset, travel, work_bank_holidays
        self.body = _plan_entry(store, plan_id).body
        self.unscheduled = [
            UnscheduledRow(
                i + 2,
                u["offender_id"],
                u["risk_level"],
                date.fromisoformat(u["due_date"]),
                u["reason"],
            )
            for i, u in enumerate(self.body["unscheduled"])
        ]
        self.deriver = BreakDeriver(dataset, travel)
        self.rows = plan_visits(store, plan_id)
        self.days = officer_days(self.rows)
        stored = plan_breaks(store, plan_id)
        if stored is None:  # recorded before the record kept breaks: derive every day's
            stored = self.deriver.derive(self.days, list(self.days)).breaks
        self.breaks: Breaks = stored
        self.before = {(rule, text) for _, rule, text in self._broken(self.rows, self.breaks)}

    def _broken(self, rows: list[dict[str, Any]], breaks: Breaks) -> set[tuple[Any, str, str]]:
        from rso_scheduler.check import check_plan

        files = RosterFiles(
            out_dir=Path(self.body.get("out_dir") or "."),
            plan_start=date.fromisoformat(self.body["start"]),
            plan_end=date.fromisoformat(self.body["end"]),
            work_bank_holidays=self.work_bank_holidays,
            visits=[roster_row(r, i + 2) for i, r in enumerate(rows)],
            unscheduled=self.unscheduled,
            breaks=[
                BreakRow(i + 2, o, date.fromisoformat(d), _minutes(s), _minutes(e))
                for i, ((o, d), (s, e)) in enumerate(sorted(breaks.items()))
            ],
        )
        found = check_plan(
            self.dataset, files, work_bank_holidays=self.work_bank_holidays, travel=self.travel
        )
        return {(v.visit_id, v.rule, str(v)) for v in found if v.rule not in _FILE_RULES}

    def breaks_change(self, rows: Sequence[dict[str, Any]]) -> BreakChange:
        """The officer-days whose visits the change alters, with their breaks re-derived."""
        days = officer_days(rows)
        touched = [d for d in sorted({*days, *self.days}) if days.get(d) != self.days.get(d)]
        return self.deriver.derive(days, touched)

    def breaks_after(self, change: BreakChange) -> Breaks:
        """The plan's breaks with a change's officer-days replaced."""
        kept = {d: b for d, b in self.breaks.items() if d not in set(change.days)}
        return {**kept, **change.breaks}

    def __call__(self, rows: list[dict[str, Any]], visit_id: str) -> list[tuple[str, str]]:
        change = self.breaks_change(rows)
        new = [
            (v != visit_id, rule in _DERIVED_RULES, rule, text)
            for v, rule, text in self._broken(rows, self.breaks_after(change))
            if (rule, text) not in self.before
            and not (rule == "refreshment" and change.no_room)  # said plainly below
        ]
        out = [(rule, text) for _, _, rule, text in sorted(new)]
        return out + change.no_room


def rule_check(
    dataset: Dataset,
    store: Store,
    plan_id: str,
    *,
    work_bank_holidays: bool = False,
    travel: Any = None,
) -> RuleCheck:
    """The check for changes to plan `plan_id`: the rules a changed roster newly breaks."""
    return RuleCheck(dataset, store, plan_id, work_bank_holidays=work_bank_holidays, travel=travel)
