"""What the workbench does, without HTTP: read the record's plans, check and make changes.

`Workbench(data_dir)` opens the data folder's record (`rso_scheduler.record`) for each call.
A change (move, re-crew, pin, take out) is checked at once:

1. by the planner's own rules (`rso_scheduler.rules`: `person_status`, `person_available`,
   `officer_on_duty`, `crew_can_make`, `crew_max_visits`; a rule's name is its function's
   name), then
2. by the independent checker (`check.check_plan`, through the record's
   `record.checking.rule_check`) on the whole roster with the change made: any rule it finds
   broken that it did not find before the change refuses it, by the checker's rule name
   (`travel_between`, `overlap`, `earliest`, ...).

A moved visit keeps its length; its start is the one the planner's timing engine
(`solver.routing.CrewTimer.timeline`, breaks included) gives it inserted at the best place
in the crew's day with the other visits held to their times, then the first reachable start,
its own time and the first after each of the crew's other visits: the first the checker
accepts is taken. An accepted change goes to the record with its reason
(`record.book.append_change`, the same `change` entry as `record.book.apply_change`, with the
end, days late and late reason the move changes too), and the plan folder is rewritten to the
plan as it stands as one staged set (roster.csv, breaks.csv, summary.json recounted by
`rso plan`'s own `plan_summary`, the maps), so `rso check` and `rso replan` see the same roster
and nothing is stale. Each change holds the record's cross-process write lock
(`Store.exclusive`) from its first read to its last write (`Workbench.exclusive`).

Re-planning and outcomes run the `rso replan` and `rso record` commands themselves.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from rso_scheduler import rules
from rso_scheduler.errors import RsoError
from rso_scheduler.models import Dataset, Officer
from rso_scheduler.outputs.roster_files import (
    ROSTER_COLUMNS,
    ROSTER_EXTRA_COLUMNS,
    RosterFiles,
    RosterRow,
    read_roster,
)
from rso_scheduler.record.checking import RuleCheck, rule_check

OUTCOMES = ("completed", "no_access", "cancelled")
# summary.json keys that say where the plan came from (the run), not what it holds: a change
# keeps them as the plan was issued
_PROVENANCE = frozenset(
    {
        "solve_seconds",
        "seed",
        "time_limit_s",
        "work_bank_holidays",
        "solver",
        "policy",
        "policy_sha256",
        "input_files",
        "travel",
    }
)


class Refused(RsoError):
    """A change that breaks a rule: `rule` names it, `message` says why (no coordinates)."""

    exit_code = 1

    def __init__(self, rule: str, message: str):
        super().__init__(f"{rule}: {message}")
        self.rule, self.message = rule, message


class Busy(Refused):
    """A change that could not have the record's write lock in time (another writer holds it)."""


class Missing(RsoError):
    """A plan or visit that is not in the record."""

    exit_code = 1


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _min(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


@dataclass
class PlanContext:
    """One plan's inputs for checking: its files, the data as of its day, the travel model."""

    files: RosterFiles
    dataset: Dataset
    travel: Any
    by_id: dict[str, RosterRow] = field(default_factory=dict)
    cache: Any = None  # the timing engine's `TravelCache` over `travel`, made when first asked


@dataclass(frozen=True)
class Effect:
    """What an accepted change does to the plan's lateness and travel."""

    days_late_before: int
    days_late_after: int
    weighted_late_before: int
    weighted_late_after: int
    travel_min_before: int
    travel_min_after: int
    travel_km_before: float
    travel_km_after: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "days_late": {"before": self.days_late_before, "after": self.days_late_after},
            "risk_weighted_late_days": {
                "before": self.weighted_late_before,
                "after": self.weighted_late_after,
            },
            "travel_minutes": {"before": self.travel_min_before, "after": self.travel_min_after},
            "travel_km": {
                "before": round(self.travel_km_before, 1),
                "after": round(self.travel_km_after, 1),
            },
        }


@dataclass(frozen=True)
class Accepted:
    """A change recorded: the visit after it (None: taken out) and its effect."""

    visit: dict[str, Any] | None
    effect: Effect
    entry: int


class Workbench:
    """The workbench over one data folder's record (thread-safe: one change at a time)."""

    def __init__(
        self,
        data_dir: Path,
        record_file: Path | None = None,
        today: date | None = None,
        busy_timeout_s: float = 30.0,
    ):
        self.data_dir = Path(data_dir)
        self.record_file = record_file
        self.today = today  # the data is read as of the later of this and the plan's day
        self.busy_timeout_s = busy_timeout_s  # how long a change waits for another writer
        self._lock = threading.RLock()
        self._held = threading.local()  # this thread's record while it holds the write lock
        self._contexts: dict[tuple[str, tuple[float, ...]], PlanContext] = {}

    # --- reading ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def store(self) -> Iterator[Any]:
        """The record, opened for one call (inside `exclusive`: the one it holds)."""
        from rso_scheduler.record import Store, record_path

        held = getattr(self._held, "store", None)
        if held is not None:
            yield held
            return
        with Store.open(record_path(self.data_dir, self.record_file)) as store:
            yield store

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[Any]:
        """Hold the record's cross-process write lock (`Store.exclusive`) for one change, read,
        check and write: another workbench or command on the same record waits, and so does
        this one (`busy_timeout_s`, then `Busy`). Every read inside sees the same record."""
        from rso_scheduler.record import RecordError

        with self._lock, self.store() as store, contextlib.ExitStack() as stack:
            store.con.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            try:
                stack.enter_context(store.exclusive())
            except RecordError:
                raise Busy(
                    "busy",
                    "another workbench or command is changing this data folder's record; "
                    "nothing was changed: try again in a moment",
                ) from None
            self._held.store = store
            try:
                yield store
            finally:
                self._held.store = None

    def plans(self) -> list[Any]:
        """Every plan version in the record, oldest first (`record.PlanInfo`)."""
        from rso_scheduler.record import plans

        with self.store() as store:
            return list(plans(store))

    def plan(self, plan_id: str) -> Any:
        """One plan version (`record.PlanInfo`); `Missing` if the record has none."""
        from rso_scheduler.record import NotFound, plan_info

        with self.store() as store:
            try:
                return plan_info(store, plan_id)
            except NotFound as exc:
                raise Missing(str(exc)) from None

    def visits(self, plan_id: str) -> list[dict[str, Any]]:
        """A plan's visits as they stand (as issued, each recorded change applied)."""
        from rso_scheduler.record import NotFound, plan_visits

        with self.store() as store:
            try:
                return list(plan_visits(store, plan_id))
            except NotFound as exc:
                raise Missing(str(exc)) from None

    def visit(self, plan_id: str, visit_id: str) -> dict[str, Any]:
        """One visit of a plan as it stands; `Missing` if the plan has none by that id."""
        for v in self.visits(plan_id):
            if v["visit_id"] == visit_id:
                return v
        raise Missing(f"plan {plan_id} has no visit {visit_id}")

    def context(self, plan_id: str) -> PlanContext:
        """The plan's files, data and travel (cached while the data files are unchanged)."""
        from rso_scheduler.commands.common import Progress, plan_today, run_travel
        from rso_scheduler.ingest import load_dataset

        info = self.plan(plan_id)
        stamps = tuple(p.stat().st_mtime for p in sorted(self.data_dir.iterdir()) if p.is_file())
        key = (str(plan_id), stamps)
        if key not in self._contexts:
            files = read_roster(Path(info.out_dir))
            as_of = plan_today(None, files.run)
            if self.today is not None and self.today > as_of:
                as_of = self.today  # outcomes recorded since the plan was made are in the log
            dataset = load_dataset(self.data_dir, today=as_of)
            travel = run_travel(dataset, self.data_dir, Progress(False))
            self._contexts = {
                key: PlanContext(files, dataset, travel, {r.visit_id: r for r in files.visits})
            }
        return self._contexts[key]

    # --- checking ---------------------------------------------------------------------------

    def as_rows(self, ctx: PlanContext, visits: Sequence[dict[str, Any]]) -> list[RosterRow]:
        """Record rows as roster rows (what the checker reads), in the roster's order."""
        out = []
        for n, v in enumerate(visits, start=2):
            was = ctx.by_id.get(v["visit_id"])
            row = RosterRow(
                line=n,
                visit_id=v["visit_id"],
                date=date.fromisoformat(v["date"]),
                start_min=_min(v["start"]),
                end_min=_min(v["end"]),
                offender_id=v["offender_id"],
                officer_ids=tuple(v["officer_ids"]),
                risk_level=v["risk_level"],
                due_date=date.fromisoformat(v["due_date"]),
                days_late=int(v["days_late"]),
                kind=v["kind"],
                late_reason=v.get("late_reason", ""),
                pinned=bool(v.get("pinned")),
                crew_id=v.get("crew_id", ""),
            )
            if was is not None:
                row = replace(
                    row,
                    seq=was.seq,
                    pulled_forward=was.pulled_forward,
                    offender_manager_on_visit=was.offender_manager_on_visit,
                )
            out.append(row)
        return out

    def planner_rules(
        self,
        ctx: PlanContext,
        visit: dict[str, Any],
        day: date,
        officer_ids: Sequence[str],
        others: Sequence[dict[str, Any]],
    ) -> tuple[str, str] | None:
        """The first planner rule (`rules.py`) the visit breaks on `day` with these officers."""
        from rso_scheduler.calendar import absences_by_officer, bank_holidays
        from rso_scheduler.demand import history_by_offender, requirement_for

        ds, files = ctx.dataset, ctx.files
        if not files.plan_start <= day <= files.plan_end:
            return (
                "date_in_plan",
                f"{day} is outside the plan ({files.plan_start} to {files.plan_end})",
            )
        person = ds.offender_by_id().get(visit["offender_id"])
        if person is None:
            return "person_known", f"person {visit['offender_id']} is not in offenders.csv"
        why = rules.person_status(person.status)
        if why:
            return "person_status", why
        known = ds.officer_by_id()
        unknown = [o for o in officer_ids if o not in known]
        if unknown or not officer_ids:
            return "officer_known", f"unknown officer {', '.join(unknown) or '(none given)'}"
        officers: list[Officer] = [known[o] for o in officer_ids]
        req = requirement_for(
            person,
            history_by_offender(ds.visits).get(person.offender_id, []),
            ds.policy,
            files.plan_start,
            files.plan_end,
        )
        if req is not None:
            why = rules.person_available(req, day)
            if why:
                return "person_available", why
        hols = {} if files.work_bank_holidays else bank_holidays(files.plan_start, files.plan_end)
        absences = absences_by_officer(ds.absences)
        for o in officers:
            why = rules.officer_on_duty(o, day, absences, hols)
            if why:
                return "officer_on_duty", why
        if req is not None:
            why = rules.crew_can_make(req, officers, ds.policy.areas.mode)
            if why:
                return "crew_can_make", why
        same_crew = [
            v
            for v in others
            if v["date"] == day.isoformat() and set(v["officer_ids"]) == set(officer_ids)
        ]
        why = rules.crew_max_visits(officers, len(same_crew))
        if why:
            return "crew_max_visits", why
        return None

    def _starts(
        self,
        ctx: PlanContext,
        visit: dict[str, Any],
        day: date,
        officer_ids: Sequence[str],
        others: Sequence[dict[str, Any]],
    ) -> list[int]:
        """Start times to try on `day`: the first the crew could reach the home from base, and
        the first after each of its officers' other visits that day (travel included)."""
        from rso_scheduler.travel import base, home

        ds = ctx.dataset
        people, known = ds.offender_by_id(), ds.officer_by_id()
        person = people[visit["offender_id"]]
        officers = [known[o] for o in officer_ids]
        length = _min(visit["end"]) - _min(visit["start"])
        lo = max(o.shift_start_min for o in officers)
        hi = min(o.shift_end_min for o in officers)
        if person.window_start_min is not None:
            lo = max(lo, person.window_start_min)
        if person.window_end_min is not None:
            hi = min(hi, person.window_end_min)
        there = home(person)
        starts = {
            max(lo, max(o.shift_start_min + ctx.travel.minutes(base(o), there) for o in officers))
        }
        if visit["date"] == day.isoformat():
            starts.add(_min(visit["start"]))
        for v in others:
            if v["date"] == day.isoformat() and set(v["officer_ids"]) & set(officer_ids):
                prev = people.get(v["offender_id"])
                if prev is not None:
                    starts.add(max(lo, _min(v["end"]) + ctx.travel.minutes(home(prev), there)))
        engine = self._engine_starts(ctx, visit, day, officers, others)
        rest = sorted(s for s in starts if s + length <= hi and s not in engine)
        return engine + rest

    def _engine_starts(
        self,
        ctx: PlanContext,
        visit: dict[str, Any],
        day: date,
        officers: Sequence[Officer],
        others: Sequence[dict[str, Any]],
    ) -> list[int]:
        """The starts the one timing engine (`solver.routing.CrewTimer.timeline`, breaks
        included) gives the visit inserted at each position of the crew's day, the officers'
        other visits held to their times; the best position (least travel) first."""
        from rso_scheduler.solver.routing import CrewTimer, Stop, TravelCache
        from rso_scheduler.travel import home

        people = ctx.dataset.offender_by_id()
        person = people[visit["offender_id"]]
        ids = {o.officer_id for o in officers}
        fixed = []
        for k, v in enumerate(
            sorted(
                (
                    v
                    for v in others
                    if v["date"] == day.isoformat()
                    and ids & set(v["officer_ids"])
                    and v["offender_id"] in people
                ),
                key=lambda v: v["start"],
            ),
            start=1,
        ):
            p = home(people[v["offender_id"]])
            s, e = _min(v["start"]), _min(v["end"])
            fixed.append(Stop(k, p.lat, p.lon, e - s, s, e, p.id))
        there = home(person)
        length = _min(visit["end"]) - _min(visit["start"])
        lo = person.window_start_min if person.window_start_min is not None else 0
        hi = person.window_end_min if person.window_end_min is not None else 24 * 60
        moved = Stop(0, there.lat, there.lon, length, lo, hi, there.id)
        if ctx.cache is None:
            ctx.cache = TravelCache(ctx.travel)  # the drives asked, kept with the plan's data
        timer = CrewTimer(officers, ctx.cache, shifts=ctx.dataset.policy.shifts)
        found: list[tuple[int, int]] = []
        for at in range(len(fixed) + 1):
            timed = timer.timeline([*fixed[:at], moved, *fixed[at:]])
            if timed is not None:
                found.append((timed.cost, timed.starts[at]))
        return list(dict.fromkeys(start for _cost, start in sorted(found)))

    # --- changing ---------------------------------------------------------------------------

    def move(
        self,
        plan_id: str,
        visit_id: str,
        *,
        day: date,
        officer_ids: Sequence[str] | None,
        reason: str,
        command: str = "rso serve: move",
    ) -> Accepted:
        """Move a visit to another day and/or crew, or refuse naming the rule (`Refused`)."""
        with self.exclusive():
            ctx, rows, before = self._changing(plan_id, visit_id, reason)
            crew = list(officer_ids) if officer_ids else list(before["officer_ids"])
            others = [r for r in rows if r["visit_id"] != visit_id]
            broken = self.planner_rules(ctx, before, day, crew, others)
            if broken:
                raise Refused(*broken)
            length = _min(before["end"]) - _min(before["start"])
            late = max(0, (day - date.fromisoformat(before["due_date"])).days)
            first_problem: tuple[str, str] | None = None
            starts = self._starts(ctx, before, day, crew, others)
            if not starts:
                raise Refused(
                    "crew_shift_holds", "the crew's shared shift has no room for the visit that day"
                )
            newly_broken = self._rule_check(ctx, plan_id)
            for start in starts:
                after = {
                    **before,
                    "date": day.isoformat(),
                    "start": _hhmm(start),
                    "end": _hhmm(start + length),
                    "officer_ids": crew,
                    "crew_id": "+".join(sorted(crew)),
                    "days_late": late,
                    "late_reason": _moved_reason(before, late),
                }
                proposed = self.rechain(
                    ctx, [after if r["visit_id"] == visit_id else r for r in rows], before
                )
                new = newly_broken(proposed, visit_id)
                if not new:
                    return self._commit(
                        ctx,
                        plan_id,
                        rows,
                        proposed,
                        "move",
                        reason,
                        command,
                        visit_id,
                        newly_broken.breaks_change(proposed).as_body(),
                    )
                first_problem = first_problem or new[0]
            assert first_problem is not None
            rule, text = first_problem
            raise Refused(
                rule, f"{text} (no start in the crew's day on {day} passes: {len(starts)} tried)"
            )

    def pin(
        self,
        plan_id: str,
        visit_id: str,
        *,
        pinned: bool,
        reason: str,
        command: str = "rso serve: pin",
    ) -> Accepted:
        """Pin (keep as it is at the next re-plan) or unpin a visit."""
        with self.exclusive():
            ctx, rows, before = self._changing(plan_id, visit_id, reason)
            after = {**before, "pinned": bool(pinned)}
            proposed = [after if r["visit_id"] == visit_id else r for r in rows]
            return self._commit(ctx, plan_id, rows, proposed, "pin", reason, command, visit_id)

    def take_out(
        self, plan_id: str, visit_id: str, *, reason: str, command: str = "rso serve: take out"
    ) -> Accepted:
        """Take a visit out of the plan (it is owed again at the next re-plan)."""
        with self.exclusive():
            ctx, rows, before = self._changing(plan_id, visit_id, reason)
            proposed = self.rechain(ctx, [r for r in rows if r["visit_id"] != visit_id], before)
            # the officers' days it leaves: their breaks placed again
            breaks = self._rule_check(ctx, plan_id).breaks_change(proposed)
            return self._commit(
                ctx, plan_id, rows, proposed, "remove", reason, command, visit_id, breaks.as_body()
            )

    def _rule_check(self, ctx: PlanContext, plan_id: str) -> RuleCheck:
        """The independent checker's check of changes to the plan (with its breaks)."""
        with self.store() as store:
            return rule_check(
                ctx.dataset,
                store,
                plan_id,
                work_bank_holidays=ctx.files.work_bank_holidays,
                travel=ctx.travel,
            )

    def _changing(
        self, plan_id: str, visit_id: str, reason: str
    ) -> tuple[PlanContext, list[dict[str, Any]], dict[str, Any]]:
        """(context, rows, the visit) of a change that may go ahead: it gives a reason and the
        plan is still the one in force (else `Refused`)."""
        ctx = self.context(plan_id)
        rows = self.visits(plan_id)
        before = self._find(rows, plan_id, visit_id)
        _need_reason(reason)
        self._not_superseded(plan_id)
        return ctx, rows, before

    def _not_superseded(self, plan_id: str) -> None:
        """A plan a later version re-planned is history: its visits are changed in that one."""
        for p in self.plans():
            if p.replan_of == str(plan_id):
                raise Refused(
                    "superseded",
                    f"plan {p.id} re-planned this plan from {p.replan_from}: change that version",
                )

    def _find(self, rows: Sequence[dict[str, Any]], plan_id: str, visit_id: str) -> dict[str, Any]:
        for r in rows:
            if r["visit_id"] == visit_id:
                return dict(r)
        raise Missing(f"plan {plan_id} has no visit {visit_id}")

    def rechain(
        self, ctx: PlanContext, rows: list[dict[str, Any]], changed: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The person's visits after a change re-chained: the first keeps the first due date,
        each next one falls due `interval` days after the one before it is planned (the
        contract's rule for several visits in a plan); days late follow."""
        from rso_scheduler.demand import interval_for

        pid = changed["offender_id"]
        mine = sorted(
            (r for r in rows if r["offender_id"] == pid), key=lambda r: (r["date"], r["start"])
        )
        person = ctx.dataset.offender_by_id().get(pid)
        if len(mine) < 1 or person is None:
            return rows
        interval = interval_for(person, ctx.dataset.policy)
        first_due = min(
            date.fromisoformat(r["due_date"])
            for r in [*mine, changed]
            if (ctx.by_id.get(r["visit_id"]) is None or ctx.by_id[r["visit_id"]].seq in (0, None))
        )
        fixed: dict[str, dict[str, Any]] = {}
        due = first_due
        for n, r in enumerate(mine):
            if n > 0:
                due = date.fromisoformat(mine[n - 1]["date"]) + timedelta(days=interval)
            late = max(0, (date.fromisoformat(r["date"]) - due).days)
            if r["due_date"] != due.isoformat() or int(r["days_late"]) != late:
                if r["visit_id"] == changed["visit_id"]:
                    reason = _moved_reason(changed, late)
                else:
                    reason = r.get("late_reason", "") or "the visit before it was moved by hand"
                    reason = reason if late else ""
                fixed[r["visit_id"]] = {
                    **r,
                    "due_date": due.isoformat(),
                    "days_late": late,
                    "late_reason": reason,
                }
        return [fixed.get(r["visit_id"], r) for r in rows]

    def _commit(
        self,
        ctx: PlanContext,
        plan_id: str,
        rows: list[dict[str, Any]],
        proposed: list[dict[str, Any]],
        action: str,
        reason: str,
        command: str,
        visit_id: str,
        breaks: dict[str, Any] | None = None,
    ) -> Accepted:
        """Record every visit the change alters (the one changed first, with the breaks it
        leaves on the officer-days it touches) and rewrite roster.csv and breaks.csv."""
        from rso_scheduler.record.book import append_change, plan_breaks

        effect = self.effect(ctx, rows, proposed)
        old = {r["visit_id"]: r for r in rows}
        new = {r["visit_id"]: r for r in proposed}
        altered = [visit_id] + [v for v in old if v != visit_id and new.get(v) != old[v]]
        first = None
        with self.store() as store:
            for vid in altered:
                entry = append_change(
                    store,
                    plan_id,
                    old[vid],
                    new.get(vid),
                    action,
                    reason,
                    command,
                    breaks if first is None else None,
                )
                first = first or entry.seq
            now = plan_breaks(store, plan_id)
        self.write_folder(ctx, proposed, now, before=rows, reason=reason)
        return Accepted(new.get(visit_id), effect, first or 0)

    def effect(
        self, ctx: PlanContext, before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]]
    ) -> Effect:
        """Lateness and travel of the whole plan before and after a change."""
        from rso_scheduler.check import roster_totals
        from rso_scheduler.models import RiskLevel

        ds = ctx.dataset

        def figures(visits: Sequence[dict[str, Any]]) -> tuple[int, int, int, float]:
            late = sum(int(v["days_late"]) for v in visits)
            weighted = sum(
                int(v["days_late"]) * ds.policy.for_risk(RiskLevel(v["risk_level"])).weight
                for v in visits
            )
            files = replace(ctx.files, visits=self.as_rows(ctx, visits))
            t = roster_totals(files, ds.offender_by_id(), ds.officer_by_id(), ds.policy, ctx.travel)
            return late, weighted, int(t["travel_minutes"]), float(t["travel_km"])

        b, a = figures(before), figures(after)
        return Effect(b[0], a[0], b[1], a[1], b[2], a[2], b[3], a[3])

    def write_folder(
        self,
        ctx: PlanContext,
        visits: Sequence[dict[str, Any]],
        breaks: dict[tuple[str, str], tuple[str, str]] | None,
        *,
        before: Sequence[dict[str, Any]] | None = None,
        reason: str = "",
    ) -> None:
        """Rewrite the plan folder to the plan as it stands, as one set (staged, owner-only,
        swapped in atomically under the folder's lock), so that every file agrees with
        roster.csv: roster.csv, breaks.csv, summary.json (`plan_summary`, the figures
        `rso plan` writes, recounted; where the plan came from kept), unscheduled.csv as it
        is, day_sheets/, the handouts and calendars (`write_handouts` with the plan's own
        identity: a changed visit's event keeps its UID and its SEQUENCE rises, one taken out
        is cancelled), roster.xlsx, crews.csv (`crews_after_change`: a crew-day the change
        altered says "changed in the workbench: <reason>") and, when the plan has maps, the
        route maps of the days the change touched (`before`: the visits before it; without
        it, every day), with the index pages that list every day."""
        from rso_scheduler.outputs import maps
        from rso_scheduler.outputs.files import (
            staged_output,
            write_csv,
            write_json,
            write_private,
        )
        from rso_scheduler.outputs.handouts import (
            CalendarPlan,
            plan_id_of,
            read_calendar_index,
            write_handouts,
        )
        from rso_scheduler.outputs.roster_files import (
            BREAK_COLUMNS,
            CREW_COLUMNS,
            BreakRow,
            crews_after_change,
            plan_result_of,
            plan_summary,
            read_crews,
            write_day_sheets,
        )
        from rso_scheduler.outputs.roster_xlsx import roster_xlsx_bytes

        rows = self.as_rows(ctx, visits)
        out: list[list[Any]] = []
        for r in rows:
            out.append(
                [
                    r.visit_id,
                    r.date.isoformat(),
                    _hhmm(r.start_min),
                    _hhmm(r.end_min),
                    r.offender_id,
                    ";".join(r.officer_ids),
                    r.risk_level,
                    r.due_date.isoformat(),
                    r.days_late,
                    r.kind,
                    "" if r.seq is None else r.seq,
                    "true" if r.pulled_forward else "false",
                    r.crew_id,
                    ""
                    if r.offender_manager_on_visit is None
                    else ("true" if r.offender_manager_on_visit else "false"),
                    r.late_reason,
                    "yes" if r.pinned else "no",
                ]
            )
        folder = ctx.files.out_dir
        if breaks is None:
            kept = ctx.files.breaks
        else:
            kept = [
                BreakRow(n, o, date.fromisoformat(d), _min(s), _min(e))
                for n, ((o, d), (s, e)) in enumerate(sorted(breaks.items()), start=2)
            ]
        old_rows = self.as_rows(ctx, before) if before is not None else rows
        had_crews = (folder / "crews.csv").is_file()
        note = f"changed in the workbench: {reason}" if reason else "changed in the workbench"
        crews, crew_table = crews_after_change(
            read_crews(folder) if had_crews else [],
            old_rows,
            rows,
            ctx.dataset,
            ctx.travel,
            note,
        )
        files = replace(ctx.files, visits=rows, breaks=kept, crews=crews)
        result = plan_result_of(files, ctx.dataset, ctx.travel)
        figures = plan_summary(ctx.dataset, result, ctx.travel)
        summary = {**ctx.files.summary}
        summary.update({k: v for k, v in figures.items() if k not in _PROVENANCE})
        # the calendars go on from the events they last carried (calendar/index.csv)
        previous = read_calendar_index(folder)
        uids = {e.visit_id: e.uid for e in previous if e.visit_id and e.status == "CONFIRMED"}
        was = {r.visit_id: r for r in old_rows}
        now = {r.visit_id: r for r in rows}
        changed = [v for v in now if was.get(v) != now[v]]
        calendar = CalendarPlan(
            plan_id_of(ctx.files), uids, previous, {v: note[:1].upper() + note[1:] for v in changed}
        )
        # maps: the days the change touched (a crew-day's page depends on its day only)
        touched = {r.date for v in set(was) ^ set(now) for r in (was.get(v), now.get(v)) if r}
        touched |= {r.date for v in changed for r in (was.get(v), now[v]) if r}
        redraw = touched if before is not None else None
        with staged_output(folder, replaces=()) as stage:
            write_csv(stage / "roster.csv", (*ROSTER_COLUMNS, *ROSTER_EXTRA_COLUMNS), out)
            if kept is not None:
                write_csv(
                    stage / "breaks.csv",
                    BREAK_COLUMNS,
                    [
                        [b.officer_id, b.date.isoformat(), _hhmm(b.start_min), _hhmm(b.end_min)]
                        for b in kept
                    ],
                )
            write_json(stage / "summary.json", summary)
            if had_crews:
                write_csv(stage / "crews.csv", CREW_COLUMNS, crew_table)
            write_day_sheets(stage, ctx.dataset, result, ctx.travel)
            write_handouts(stage, ctx.dataset, result, calendar)
            write_private(stage / "roster.xlsx", roster_xlsx_bytes(ctx.dataset, result))
            if (folder / "maps").is_dir():
                maps.write_maps(
                    stage,
                    ctx.dataset,
                    files,
                    travel=ctx.travel,
                    redraw=redraw,
                    drawn_in=folder,
                )

    # --- re-plan and outcomes: the commands themselves --------------------------------------

    def replan(self, plan_id: str, from_day: date, *, seconds: float = 10.0) -> tuple[str, str]:
        """Run `rso replan` on the plan as it stands from `from_day`; (new plan id, its output)."""
        from rso_scheduler.commands.replan import command as replan_command

        with self._lock:
            info = self.plan(plan_id)
            plan_dir = Path(info.out_dir)
            n = len(self.plans()) + 1
            out = plan_dir.parent / f"{plan_dir.name}-replan-{from_day.isoformat()}-{n}"
            text = _run(
                replan_command,
                [
                    str(plan_dir),
                    str(self.data_dir),
                    "--from",
                    from_day.isoformat(),
                    "--out",
                    str(out),
                    "--time-limit",
                    str(seconds),
                    "--quiet",
                ],
            )
            newest = self.plans()[-1]
            if Path(newest.out_dir) != out.resolve():
                raise RsoError(f"the re-plan was not recorded: {text.strip()}")
            return newest.id, text

    def record_outcome(
        self, plan_id: str, visit_id: str, *, outcome: str, today: date | None = None
    ) -> str:
        """Record a visit's outcome on its planned day and crew as `rso record` does (the same
        `record.intake`: checked, appended to visits.csv, recorded; all or nothing)."""
        from rso_scheduler.errors import InputError
        from rso_scheduler.record.intake import record_rows

        if outcome not in OUTCOMES:
            raise Refused("outcome", f"{outcome!r} is not one of {', '.join(OUTCOMES)}")
        with self._lock:
            v = self._find(self.visits(plan_id), plan_id, visit_id)
            row = {
                "visit_id": v["visit_id"],
                "offender_id": v["offender_id"],
                "date": v["date"],
                "start": v["start"],
                "officer_ids": ";".join(v["officer_ids"]),
                "outcome": outcome,
                "kind": v["kind"],
            }
            try:
                intake = record_rows(
                    self.data_dir,
                    [row],
                    today or date.today(),
                    "rso serve: outcome",
                    self.record_file,
                    file=f"workbench outcome {visit_id}",
                )
            except InputError as exc:
                raise Refused("record", "; ".join(str(p) for p in exc.problems)) from None
            entry = intake.entry.seq if intake.entry is not None else "-"
            return (
                f"Recorded {outcome.replace('_', ' ')} for visit {visit_id} ({v['offender_id']}) "
                f"on {v['date']} in {intake.log.name}; record entry {entry}."
            )


_RUN_LOCK = threading.Lock()


def _run(cmd: click.Command, args: list[str]) -> str:
    """Run a click command in this process (the very code the terminal runs); its output, or
    `RsoError` with its message when it fails."""
    buf = io.StringIO()
    with _RUN_LOCK, contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        try:
            cmd.main(args, prog_name=f"rso {cmd.name}", standalone_mode=False)
        except click.ClickException as exc:
            raise RsoError(exc.format_message()) from None
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise RsoError(
                    buf.getvalue().strip().splitlines()[-1:][0]
                    if buf.getvalue().strip()
                    else "failed"
                ) from None
    return buf.getvalue()


def _moved_reason(before: dict[str, Any], late: int) -> str:
    """The late reason of a visit moved by hand: why it was late before, and the move."""
    if not late:
        return ""
    was = before.get("late_reason", "") if int(before.get("days_late", 0)) else ""
    if "moved by the supervisor" in was:
        return was
    return f"{was}; then moved by the supervisor" if was else "moved by the supervisor"


def _need_reason(reason: str) -> None:
    if not reason or not reason.strip():
        raise Refused("reason", "every change needs a reason")


def legal_days(bench: Workbench, plan_id: str, visit_id: str) -> list[date]:
    """Days of the plan on which the planner's rules let the visit's crew make it (a hint
    for the move form; the checker still decides on the time)."""
    ctx = bench.context(plan_id)
    rows = bench.visits(plan_id)
    v = bench._find(rows, plan_id, visit_id)
    others = [r for r in rows if r["visit_id"] != visit_id]
    out = []
    day = ctx.files.plan_start
    while day <= ctx.files.plan_end:
        if bench.planner_rules(ctx, v, day, v["officer_ids"], others) is None:
            out.append(day)
        day += timedelta(days=1)
    return out
