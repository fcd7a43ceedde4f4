"""Long plans in rolling monthly windows: each month planned from the history the earlier made.

A plan longer than `WINDOW_MAX_DAYS` is cut into windows of one calendar month from its start
(the last one shorter). Each window is planned by the single-window pipeline with the earlier
windows' visits counted as completed, so a window is exactly the plan a supervisor would make
for that month after the earlier ones: an overdue person is visited as early in a year's plan
as in a one-month plan with the same budget, and putting a visit off can never shrink what is
owed (later windows re-derive every due date from the visits actually planned). It also bounds
memory: one month's model at a time (a single 366-day model of the force took 4.6 GB).

Every visit owed on or before the plan's last day is accounted for, by the same one count as a
single plan of the period (`Requirement.owed_dues` over the whole period, so `rso validate` and
the checker agree): each window owes at most what the whole period still owes of each person
(`PlanOptions.owed_cap`), so a window that visits early cannot make one more visit fall due
inside the plan; a visit unscheduled in one window stays owed (same due date) in the next, and
what no window planned is listed with the last window's reason. Each window has the time limit
of a one-month plan (a shorter last window a share of it); each window is deterministic, so the
whole plan is too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from rso_scheduler.demand import duty_days, requirements
from rso_scheduler.models import Dataset, Outcome, VisitKind, VisitRecord
from rso_scheduler.roster import CrewRoute, PlannedVisit, PlanResult, Unscheduled
from rso_scheduler.solver.diagnose import BACKLOG, unplanned_owed
from rso_scheduler.solver.options import PlanOptions

WINDOW_MAX_DAYS = 31  # longer plans are planned month by month

Planner = Callable[[Dataset, date, date, PlanOptions], PlanResult]


def _window_reason(reason: str, window_start: date, start: date) -> str:
    """A later window's "overdue when the plan began" names the window's own first day (the
    visit was left over from the month before, not from before the whole plan)."""
    if window_start == start:
        return reason
    return reason.replace(BACKLOG, f"overdue when the month from {window_start.isoformat()} began")


def _month_after(day: date) -> date:
    """The same day of the next month (the month's last day when it has fewer days)."""
    y, m = divmod(day.month, 12)
    year, month = day.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def windows(start: date, end: date) -> list[tuple[date, date]]:
    """Consecutive one-month windows from `start`; the last ends on `end`."""
    out: list[tuple[date, date]] = []
    a = start
    while a <= end:
        b = min(end, _month_after(a) - timedelta(days=1))
        out.append((a, b))
        a = b + timedelta(days=1)
    return out


def with_visits_done(dataset: Dataset, visits: list[PlannedVisit]) -> Dataset:
    """The dataset with the given planned visits logged as completed."""
    done = tuple(
        VisitRecord(
            offender_id=v.offender_id,
            date=v.date,
            start_min=v.start_min,
            officer_ids=v.officer_ids,
            outcome=Outcome.completed,
            kind=v.kind if isinstance(v.kind, VisitKind) else VisitKind(v.kind),
        )
        for v in sorted(visits, key=lambda v: (v.date, v.start_min, v.offender_id))
    )
    return dataset.model_copy(update={"visits": dataset.visits + done})


def known_before(dataset: Dataset, start: date) -> Dataset:
    """The dataset as a plan from `start` sees its history: visits logged on or after `start`
    (and a `last_visit_date` there) are not history of the plan, so later windows must not
    count them either (a single plan of the period ignores them: `demand.last_completed`)."""
    people = tuple(
        o.model_copy(update={"last_visit_date": None})
        if o.last_visit_date is not None and o.last_visit_date >= start
        else o
        for o in dataset.offenders
    )
    visits = tuple(v for v in dataset.visits if v.date < start)
    return dataset.model_copy(update={"offenders": people, "visits": visits})


def events_consumed(dataset: Dataset, start: date, visits: list[PlannedVisit]) -> Dataset:
    """The dataset with the release, address change and registration dates on or after the
    plan's `start` cleared for the people the given planned visits see: a single plan of the
    period counts such an event for a person's first owed visit only, and chains the later ones
    from the planned dates (contract, "Due dates"), so a later month must not bring a visit
    forward again for an event a visit of an earlier month already followed or passed."""
    seen = {v.offender_id for v in visits}
    fields = ("released_on", "address_changed_on", "registered_on")
    people = tuple(
        o.model_copy(
            update={f: None for f in fields if (d := getattr(o, f)) is not None and d >= start}
        )
        if o.offender_id in seen and any((getattr(o, f) or date.min) >= start for f in fields)
        else o
        for o in dataset.offenders
    )
    return dataset.model_copy(update={"offenders": people})


def plan_in_windows(
    dataset: Dataset, start: date, end: date, options: PlanOptions, plan_window: Planner
) -> PlanResult:
    """Plan [start, end] month by month with `plan_window`; one combined result."""
    periods = windows(start, end)
    total_days = (end - start).days + 1
    say = options.progress
    results: list[PlanResult] = []
    history = known_before(dataset, start)
    # the one count over the whole period caps each month: a month that visits early cannot
    # make one more visit fall due inside the plan (the checker and `rso validate` count it so)
    duty = duty_days(dataset, start, end, options.work_bank_holidays)
    owed_total = {
        r.offender_id: len(r.owed_dues(end, duty))
        for r in requirements(dataset, start, end, include_optional=False)
    }
    held: dict[str, int] = defaultdict(int)
    say(
        f"{total_days} days: planned as {len(periods)} monthly windows, each with the time "
        f"limit of a month ({options.time_limit_s:.0f} s for a full month)"
    )
    for i, (a, b) in enumerate(periods):
        share = options.time_limit_s * min(1.0, ((b - a).days + 1) / WINDOW_MAX_DAYS)
        say(f"window {i + 1} of {len(periods)}: {a} to {b}")

        def relay(message: str, label: str = f"  [{a:%Y-%m}] ") -> None:
            say(label + message)

        cap = {pid: max(0, k - held[pid]) for pid, k in owed_total.items()}
        # the first month is the one-month plan (no overdue person seen later than there); from
        # the second on, a deferral that pushes out a visit the whole plan owes costs a miss
        opts = replace(
            options,
            time_limit_s=share,
            progress=relay,
            owed_cap=cap,
            owed_until=end,
            keep_count=i > 0,
        )
        res = plan_window(history, a, b, opts)
        results.append(res)
        for v in res.visits:
            if v.due_date <= end:
                held[v.offender_id] += 1
        history = events_consumed(with_visits_done(history, res.visits), start, res.visits)
    return combine(
        results, start, end, options, _horizon_unscheduled(dataset, results, start, end, options)
    )


def _horizon_unscheduled(
    dataset: Dataset,
    results: list[PlanResult],
    start: date,
    end: date,
    options: PlanOptions,
) -> list[Unscheduled]:
    """The whole plan's owed visits (the one count over [start, end], as `rso validate` counts
    them) that no window planned, with the last window's reason for each person."""
    duty = duty_days(dataset, start, end, options.work_bank_holidays)
    planned: dict[str, list[date]] = defaultdict(list)
    for res in results:
        for v in res.visits:
            if v.due_date <= end:
                planned[v.offender_id].append(v.date)
    last_reason: dict[str, str] = {}
    for u in results[-1].unscheduled:
        last_reason.setdefault(u.offender_id, u.reason)
    out: list[Unscheduled] = []
    for r in requirements(dataset, start, end, include_optional=False):

        def reason_for(_lo: date, _why: str, oid: str = r.offender_id) -> str:
            return last_reason.get(oid, "not planned in any month of the plan")

        owed = r.owed_dues(end, duty)
        out.extend(unplanned_owed(r, sorted(planned.get(r.offender_id, [])), owed, end, reason_for))
    out.sort(key=lambda u: (u.risk_level.rank, u.due_date, u.offender_id))
    return out


def combine(
    results: list[PlanResult],
    start: date,
    end: date,
    options: PlanOptions,
    unscheduled: list[Unscheduled],
) -> PlanResult:
    """One plan from consecutive windows: visit ids renumbered in order, flags re-derived, and
    the whole plan's unscheduled visits."""
    visits: list[PlannedVisit] = []
    routes: list[CrewRoute] = []
    seq_of: dict[str, int] = {}
    n = 0
    for res in results:
        ids: dict[str, str] = {}
        for v in sorted(res.visits, key=lambda v: v.visit_id):
            n += 1
            ids[v.visit_id] = f"V{n:05d}"
            seq = seq_of.get(v.offender_id, 0)
            seq_of[v.offender_id] = seq + 1
            visits.append(
                replace(
                    v,
                    visit_id=ids[v.visit_id],
                    seq=seq,
                    # early only if due after the whole plan (a visit owed in a later window is
                    # simply made early in its window)
                    pulled_forward=v.due_date > end,
                    late_reason=_window_reason(v.late_reason, res.plan_start, start),
                )
            )
        routes.extend(replace(r, visit_ids=tuple(ids[x] for x in r.visit_ids)) for r in res.routes)
    last = results[-1]
    owed_planned = sum(1 for v in visits if not v.pulled_forward)
    notices = [
        f"{res.plan_start:%Y-%m}: {note}"
        for res in results
        for note in res.stats.get("notices", [])
    ]
    stats: dict[str, object] = {
        "solver": last.stats.get("solver", "cp-sat"),
        "windows": [
            {
                "start": res.plan_start.isoformat(),
                "end": res.plan_end.isoformat(),
                **{
                    k: res.stats[k]
                    for k in (
                        "status",
                        "cp_sat_deterministic_s",
                        "improve_stopped_by",
                        "wall_clock_net_fired",
                        "visits_planned",
                    )
                    if k in res.stats
                },
            }
            for res in results
        ],
        "status": "; ".join(sorted({str(r.stats.get("status", "")) for r in results})),
        "wall_clock_net_fired": any(bool(r.stats.get("wall_clock_net_fired")) for r in results),
        "notices": notices,
        "visits_planned": len(visits),
    }
    return PlanResult(
        plan_start=start,
        plan_end=end,
        visits=visits,
        unscheduled=unscheduled,
        routes=routes,
        visits_due=owed_planned + len(unscheduled),
        solve_seconds=round(sum(r.solve_seconds for r in results), 3),
        seed=options.seed,
        time_limit_s=options.time_limit_s,
        work_bank_holidays=options.work_bank_holidays,
        stats=stats,
        crew_days=[c for res in results for c in res.crew_days],
    )
