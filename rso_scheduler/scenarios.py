"""What-if scenarios: the rolling horizon, running many scenarios, and the capacity search.

A scenario file (TOML, `scenario_file.py`) names a data folder and what to change in it:
officers lost, added or absent more often, a growing caseload, policy overrides.
`apply_scenario` (`scenario_transforms.py`) turns a `Dataset` into the scenario's `Dataset`
(pure and deterministic for a seed); `run_scenario` plans it month by month, treating each
month's planned visits as done before planning the next, so missed visits stay owed and
backlogs grow; `capacity_search` finds the fewest officers that leave nothing avoidable
missed or late. This module re-exports the public names of the other two.

Definitions used in every figure (documented in the README):
- a visit is *due* in a month if the planner owes it there (first owed visit of each person,
  plus chained visits of short intervals); due = on_time + late + missed.
- *missed*: owed in the month and not planned (the planner's unscheduled list). Missed visits
  stay owed: next month they are overdue from day one.
- *backlog late days*: lateness of visits already due on or before the first day of the
  horizon (inherited overdue visits). No staffing makes them on time; they only have to be
  made in the month (else they are missed).
- *first possible day* of a visit: the first day of the month on or after its earliest date
  on which the person is available and enough officers are on duty whose shift can hold the
  visit (inside the person's time window), who together hold its skills, and (under
  `areas.mode = "strict"`) belong to the person's area: two for a two-officer visit. These
  are necessary conditions only, so it is a lower bound.
- *avoidable late days*: for visits falling due after the horizon's first day, days late
  beyond the first possible day (visits chained after another of the same month: all of
  their lateness).
- an *unavoidable miss*: an owed first visit with no possible day in the month, or a chained
  visit whose due date the previous visit's planned date moves past the month (the earlier
  visit's lateness is counted where it is avoidable).
- *enough* officers (capacity search): no avoidable miss and no avoidable late day in any
  month of the horizon.
- utilisation: officer-minutes of visits (duration x crew size) plus travel minutes, over the
  shift minutes of the officers on the days they are on duty (working day, not absent, not a
  bank holiday unless the plan works them).
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from rso_scheduler.dask_cluster import (  # noqa: F401  (check_dask_address: public API)
    check_dask_address,
    distributed_module,
    private_local_cluster,
)
from rso_scheduler.demand import Requirement, requirements
from rso_scheduler.duty import DutyCalendar, shift_minutes
from rso_scheduler.errors import ScenarioError
from rso_scheduler.models import (
    RISK_ORDER,
    Dataset,
    Officer,
)
from rso_scheduler.roster import LateSplit, PlanResult, WeightedLateSplit, hhmm, lateness
from rso_scheduler.scenario_file import (  # noqa: F401  (re-exported: the public API)
    CaseloadChanges,
    OfficerChanges,
    Scenario,
    load_scenario,
    load_scenario_data,
    parse_scenario,
)
from rso_scheduler.scenario_transforms import (  # noqa: F401  (re-exported: the public API)
    add_extra_absences,
    add_officers,
    apply_scenario,
    apportion,
    area_key,
    grow_caseload,
    officers_by_area,
    pick_officers_to_remove,
    remove_officers,
    scale_officers,
)
from rso_scheduler.solver import PlannerName, PlanOptions, planner_for
from rso_scheduler.solver.diagnose import blocking_reason
from rso_scheduler.solver.horizon import with_visits_done
from rso_scheduler.travel import build_travel

Planner = Callable[[Dataset, date, date, PlanOptions], PlanResult]
RISKS: tuple[str, ...] = tuple(r.value for r in RISK_ORDER)


# ---------------------------------------------------------------------------------------------
# Rolling horizon


def month_periods(start: date, months: int) -> list[tuple[date, date]]:
    """Consecutive periods of one month each from `start`."""
    out = []
    for i in range(months):
        a = _month_shift(start, i)
        b = _month_shift(start, i + 1) - timedelta(days=1)
        out.append((a, b))
    return out


def _month_shift(day: date, n: int) -> date:
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


@dataclass(frozen=True)
class RunOptions:
    """How to run scenarios."""

    today: date  # the data is as of this day; scenarios without a start begin the month after
    planner: PlannerName = "greedy"
    time_limit_s: float = 20.0  # per month planned
    workers: int = 1  # CP-SAT workers per plan (1 when scenarios run in parallel)
    work_bank_holidays: bool = False

    def __post_init__(self) -> None:
        if self.planner not in ("optimised", "greedy"):
            raise ValueError("planner must be 'optimised' or 'greedy'")
        if self.time_limit_s <= 0:
            raise ValueError("time_limit_s must be positive")


@dataclass
class MonthMetrics(WeightedLateSplit):
    """What one month of a scenario came to."""

    plan_start: date
    plan_end: date
    officers: int
    people: int
    visits_due: int = 0
    planned: int = 0  # visits due in the month that were planned (on time or late)
    pulled_forward: int = 0  # visits due after the month, made early with spare capacity
    on_time: int = 0
    late: int = 0
    missed: int = 0
    missed_unavoidable: int = 0
    risk_weighted_missed: int = 0
    late_days: int = 0
    risk_weighted_late_days: int = 0
    # of those, the days visits were already overdue on the horizon's first day (`lateness`)
    late_days_inherited: int = 0
    risk_weighted_late_days_inherited: int = 0
    avoidable_late_days: int = 0
    backlog_late_days: int = 0  # late days of visits already overdue when the horizon began
    travel_minutes: int = 0
    busy_minutes: int = 0  # officer-minutes of visits and travel
    available_minutes: int = 0  # officer shift minutes on duty days
    solve_seconds: float = 0.0
    by_risk: dict[str, dict[str, int]] = field(default_factory=dict)
    # What the avoidably late visits and the avoidable misses needed (see `visit_needs`), and
    # the areas of those people: where more officers would have to go, or which rule binds.
    avoidable_needs: dict[str, int] = field(default_factory=dict)
    avoidable_areas: dict[str, int] = field(default_factory=dict)
    missed_reasons: dict[str, int] = field(default_factory=dict)
    clock_cut: bool = False  # the planner's wall-clock safety net stopped its search early

    @property
    def utilisation(self) -> float:
        return self.busy_minutes / self.available_minutes if self.available_minutes else 0.0

    @property
    def avoidable_missed(self) -> int:
        return self.missed - self.missed_unavoidable


RISK_FIELDS = ("due", "on_time", "late", "missed", "late_days")


@dataclass
class ScenarioResult:
    """A scenario's rolling-horizon outcome, month by month."""

    name: str
    file: str
    planner: str
    seed: int
    time_limit_s: float
    officers: int
    people: int
    months: list[MonthMetrics]

    def total(self, name: str) -> int:
        return sum(int(getattr(m, name)) for m in self.months)

    @property
    def utilisation(self) -> float:
        avail = self.total("available_minutes")
        return self.total("busy_minutes") / avail if avail else 0.0

    def risk_total(self, risk: str, name: str) -> int:
        return sum(m.by_risk.get(risk, {}).get(name, 0) for m in self.months)


def first_possible_day(
    req: Requirement,
    start: date,
    end: date,
    on_duty: dict[date, list[Officer]],
    area_mode: str,
) -> date | None:
    """The first day in [start, end] the visit could be made at all, ignoring other visits.

    A day counts when no hard rule blocks it (`solver.diagnose.blocking_reason`, built on
    `rules`: the person's earliest date and availability, officers on duty, skills, area,
    shifts and window, crew size). These are necessary conditions only, so lateness before
    that day is truly unavoidable.
    """
    day = max(start, req.first_earliest)
    while day <= end:
        if blocking_reason(req, day, day, lambda d: on_duty.get(d, []), area_mode) is None:
            return day
        day += timedelta(days=1)
    return None


EVENING_FROM_MIN = 16 * 60  # a visit window opening at 16:00 or later needs a late shift


def visit_needs(req: Requirement, strict_areas: bool) -> str:
    """What a visit needs beyond any two officers on a day shift, in words (e.g. "evening window
    17:30-20:30 + skill polish"); "no special need" when nothing narrows who can make it."""
    needs = []
    if req.window_start_min is not None and req.window_end_min is not None:
        kind = "evening window" if req.window_start_min >= EVENING_FROM_MIN else "window"
        needs.append(f"{kind} {hhmm(req.window_start_min)}-{hhmm(req.window_end_min)}")
    if req.skills:
        needs.append("skill " + ", ".join(sorted(req.skills)))
    if strict_areas and req.area:
        needs.append(f"strict area {req.area}")
    if req.unavailable_from is not None or req.unavailable_to is not None:
        needs.append("person unavailable part of the month")
    return " + ".join(needs) or (
        "nothing special (two officers)" if req.two_officers else "nothing special (one officer)"
    )


def _count(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def _on_duty(
    dataset: Dataset, start: date, end: date, work_bank_holidays: bool
) -> dict[date, list[Officer]]:
    cal = DutyCalendar(dataset.officers, dataset.absences, start, end, work_bank_holidays)
    return {d: cal.on_duty(d) for d in cal.days}


def month_metrics(
    dataset: Dataset,
    result: PlanResult,
    start: date,
    end: date,
    work_bank_holidays: bool,
    horizon_start: date | None = None,
) -> MonthMetrics:
    """Figures of one planned month (the dataset is the one the month was planned from).

    Visits due on or before `horizon_start` (default: `start`) are the inherited backlog:
    their lateness goes to `backlog_late_days`, not to `avoidable_late_days`.
    """
    backlog_until = horizon_start or start
    policy = dataset.policy
    duty = _on_duty(dataset, start, end, work_bank_holidays)
    reqs = {r.offender_id: r for r in requirements(dataset, start, end)}
    mode = policy.areas.mode
    first_day = {oid: first_possible_day(r, start, end, duty, mode) for oid, r in reqs.items()}

    m = MonthMetrics(start, end, officers=len(dataset.officers), people=len(dataset.offenders))
    split = lateness(
        ((v.due_date, v.date, v.risk_level) for v in result.visits if not v.pulled_forward),
        backlog_until,
        lambda r: policy.for_risk(r).weight,
    )
    m.late_days, m.risk_weighted_late_days = split.late_days, split.risk_weighted_late_days
    m.late_days_inherited = split.late_days_inherited
    m.risk_weighted_late_days_inherited = split.risk_weighted_late_days_inherited
    by_risk = {r: dict.fromkeys(RISK_FIELDS, 0) for r in RISKS}
    for v in result.visits:
        m.busy_minutes += (v.end_min - v.start_min) * max(1, len(v.officer_ids))
        if v.pulled_forward:
            m.pulled_forward += 1
            continue
        risk = v.risk_level.value
        m.planned += 1
        by_risk[risk]["due"] += 1
        late = v.days_late
        if late > 0:
            m.late += 1
            by_risk[risk]["late"] += 1
            by_risk[risk]["late_days"] += late
            if v.due_date <= backlog_until:
                m.backlog_late_days += late
                continue
            unavoidable = 0
            req = reqs.get(v.offender_id)
            fd = first_day.get(v.offender_id)
            if v.seq == 0 and req is not None and fd is not None and v.due_date == req.first_due:
                unavoidable = max(0, (fd - v.due_date).days)
            m.avoidable_late_days += max(0, late - unavoidable)
            if late > unavoidable and req is not None:
                _count(m.avoidable_needs, visit_needs(req, mode == "strict"))
                _count(m.avoidable_areas, req.area or "no area")
        else:
            m.on_time += 1
            by_risk[risk]["on_time"] += 1
    last_planned: dict[str, date] = {}
    for v in result.visits:
        if not v.pulled_forward:
            last_planned[v.offender_id] = max(v.date, last_planned.get(v.offender_id, v.date))
    cascade: set[str] = set()  # people whose chain can no longer fall inside the month
    for u in sorted(result.unscheduled, key=lambda u: (u.offender_id, u.due_date)):
        risk = u.risk_level.value
        m.missed += 1
        m.risk_weighted_missed += policy.for_risk(u.risk_level).weight
        by_risk[risk]["due"] += 1
        by_risk[risk]["missed"] += 1
        req = reqs.get(u.offender_id)
        prev = last_planned.get(u.offender_id)
        if req is not None and u.due_date == req.first_due and first_day.get(u.offender_id) is None:
            m.missed_unavoidable += 1
            cascade.add(u.offender_id)
        elif (
            req is not None
            and u.due_date != req.first_due
            and (u.offender_id in cascade or (prev is not None and req.next_due(prev) > end))
        ):
            # A chained visit whose due date the previous visit's date moved past the month:
            # no day of the month can hold it (its cause, the earlier lateness, counts there).
            m.missed_unavoidable += 1
            cascade.add(u.offender_id)
        else:
            _count(m.missed_reasons, re.sub(r"\d+", "N", u.reason))
            if req is not None:
                _count(m.avoidable_needs, visit_needs(req, mode == "strict"))
                _count(m.avoidable_areas, req.area or "no area")
    m.visits_due = m.planned + m.missed
    m.travel_minutes = result.travel_min
    m.busy_minutes += result.travel_min
    m.available_minutes = sum(shift_minutes(o) for offs in duty.values() for o in offs)
    m.solve_seconds = result.solve_seconds
    m.by_risk = by_risk
    m.clock_cut = bool(result.stats.get("wall_clock_net_fired"))
    return m


def record_plan(dataset: Dataset, result: PlanResult) -> Dataset:
    """The dataset with the plan's visits logged as completed (the next month plans from there)."""
    return with_visits_done(dataset, result.visits)


def run_horizon(
    dataset: Dataset,
    start: date,
    months: int,
    options: RunOptions,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    planner: Planner | None = None,
    stop: Callable[[list[MonthMetrics]], bool] | None = None,
) -> list[MonthMetrics]:
    """Plan `months` months one after another, each from the history the previous ones made.

    `stop(months_so_far)` true ends the horizon early (the capacity search stops once a count
    has failed: later months cannot make it pass).
    """
    plan = planner or planner_for(options.planner)
    # once per scenario: months add visits, never places (the road matrix is cached on disk)
    travel = build_travel(dataset.policy, dataset)
    for note in travel.notes:
        if progress is not None:
            progress(f"  warning: {note}")
    out: list[MonthMetrics] = []
    for i, (a, b) in enumerate(month_periods(start, months)):
        opts = PlanOptions(
            time_limit_s=options.time_limit_s,
            seed=seed + i,
            work_bank_holidays=options.work_bank_holidays,
            workers=options.workers,
            travel=travel,
        )
        result = plan(dataset, a, b, opts)
        out.append(month_metrics(dataset, result, a, b, options.work_bank_holidays, start))
        if progress is not None:
            mm = out[-1]
            progress(f"  {a:%Y-%m}: {mm.visits_due} due, {mm.late} late, {mm.missed} missed")
        if stop is not None and stop(out):
            break
        dataset = record_plan(dataset, result)
    return out


def prepare(scenario: Scenario, base: Dataset, options: RunOptions) -> tuple[Dataset, date]:
    """The scenario's transformed dataset and its first plan day."""
    start = scenario.plan_start(options.today)
    end = month_periods(start, scenario.months)[-1][1]
    return apply_scenario(base, scenario, start, end), start


def run_prepared(
    scenario: Scenario,
    dataset: Dataset,
    start: date,
    options: RunOptions,
    progress: Callable[[str], None] | None = None,
) -> ScenarioResult:
    """Run an already transformed scenario (the unit of work sent to a process or Dask worker)."""
    months = run_horizon(dataset, start, scenario.months, options, scenario.seed, progress)
    return ScenarioResult(
        name=scenario.name,
        file=scenario.file,
        planner=options.planner,
        seed=scenario.seed,
        time_limit_s=options.time_limit_s,
        officers=len(dataset.officers),
        people=len(dataset.offenders),
        months=months,
    )


def run_scenario(
    scenario: Scenario,
    options: RunOptions,
    dataset: Dataset | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScenarioResult:
    """Transform the scenario's data and plan it month by month (rolling horizon)."""
    base = dataset if dataset is not None else load_scenario_data(scenario, options.today)
    ds, start = prepare(scenario, base, options)
    return run_prepared(scenario, ds, start, options, progress)


# ---------------------------------------------------------------------------------------------
# Running many scenarios: in this process, a process pool, or on Dask


def _run_job(
    job: tuple[Scenario, Dataset, date, RunOptions], messages: Any = None
) -> ScenarioResult:
    """One scenario in a worker; its month-by-month progress goes to `messages` (a queue)."""
    scenario, dataset, start, options = job
    progress = None
    if messages is not None:

        def progress(message: str) -> None:
            messages.put(f"{scenario.name}: {message.strip()}")

    return run_prepared(scenario, dataset, start, options, progress)


def run_many(
    jobs: Sequence[tuple[Scenario, Dataset, date]],
    options: RunOptions,
    n_jobs: int = 1,
    dask_address: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[ScenarioResult]:
    """Run prepared scenarios, in order of `jobs`; in parallel when `n_jobs` > 1 or on Dask.

    Each plan gets one CP-SAT worker when plans run side by side, so they do not fight over cores.
    """
    say = progress or (lambda _m: None)
    parallel = dask_address is not None or (n_jobs > 1 and len(jobs) > 1)
    if parallel and options.workers != 1:
        options = replace(options, workers=1)
    work = [(s, d, st, options) for s, d, st in jobs]
    if dask_address is not None:
        return _run_dask(work, dask_address, n_jobs, say)
    if not parallel:
        out = []
        for i, (s, d, st, o) in enumerate(work, 1):
            say(f"scenario {i}/{len(work)}: {s.name}")
            out.append(run_prepared(s, d, st, o, say))
        return out
    import multiprocessing
    import queue
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    results: dict[int, ScenarioResult] = {}
    # Workers put their month-by-month lines on a managed queue; this process prints them as
    # they come, so a long parallel run shows progress, not minutes of silence.
    with multiprocessing.Manager() as manager:
        messages = manager.Queue()

        def relay() -> None:
            while True:
                try:
                    say(messages.get_nowait())
                except queue.Empty:
                    return

        with ProcessPoolExecutor(max_workers=min(n_jobs, len(work))) as pool:
            futures = {pool.submit(_run_job, w, messages): i for i, w in enumerate(work)}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                relay()
                for fut in sorted(done, key=lambda f: futures[f]):
                    i = futures[fut]
                    results[i] = fut.result()
                    say(f"done {len(results)}/{len(work)}: {work[i][0].name}")
        relay()
    return [results[i] for i in range(len(work))]


def _run_dask(
    work: list[tuple[Scenario, Dataset, date, RunOptions]],
    address: str,
    n_jobs: int,
    say: Callable[[str], None],
) -> list[ScenarioResult]:
    check_dask_address(address)
    distributed = distributed_module()
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # Dask logs every connection at INFO; keep stderr to our progress unless -v was given.
        logging.getLogger("distributed").setLevel(logging.WARNING)
    with contextlib.ExitStack() as stack:
        try:
            if address == "local":
                client = stack.enter_context(private_local_cluster(n_jobs))
            else:
                client = distributed.Client(address, timeout="10s")
                stack.callback(client.close)
        except (OSError, ValueError, TypeError) as exc:
            # TypeError/ValueError: a tls:// address without Dask's TLS configured
            raise ScenarioError(
                f"cannot connect to the Dask scheduler at {address}: {exc}"
            ) from None
        say(f"Dask: {len(work)} scenario(s) on {address}")
        futures = client.map(_run_job, work, pure=False)
        results: list[ScenarioResult] = client.gather(futures)
        return results


# ---------------------------------------------------------------------------------------------
# Capacity: the fewest officers that leave nothing avoidable missed or late

# Avoidable late days tolerated by default: this share of the visits due over the horizon at the
# scenario's own staffing (at least 1). A single visit a day late must not decide a team's size:
# the first possible day is a lower bound that ignores how crews pair, so a few days of
# "avoidable" lateness remain at any staffing; more officers than that do not remove them.
DEFAULT_LATE_SHARE = 0.02
# Every officer count is built and planned with this seed, whatever the scenario's seed (which
# still draws the scenario's own changes): the officers copied or removed and the planner's
# choices are then the same on every run, so an answer is a property of the team, not of a draw.
CAPACITY_SEED = 0


@dataclass(frozen=True)
class CapacityMonth(LateSplit):
    """One month of a capacity evaluation: the figures that decide it."""

    month: str  # YYYY-MM
    visits_due: int
    late: int
    late_days: int
    missed: int
    avoidable_missed: int
    avoidable_late_days: int
    utilisation: float
    late_days_inherited: int = 0  # of late_days, overdue before the horizon began


@dataclass(frozen=True)
class CapacityPoint(LateSplit):
    """The outcome of the scenario's horizon with a given number of officers."""

    officers: int
    visits_due: int
    missed: int
    avoidable_missed: int
    risk_weighted_missed: int
    late: int
    late_days: int
    avoidable_late_days: int
    utilisation: float
    enough: bool  # no avoidable miss, avoidable late days within the tolerance
    months: tuple[CapacityMonth, ...] = ()
    late_days_inherited: int = 0  # of late_days, overdue before the horizon began
    months_planned: int = 0  # fewer than the horizon: stopped once it could no longer pass
    needs: tuple[tuple[str, int], ...] = ()  # what the avoidably late or missed visits needed
    areas: tuple[tuple[str, int], ...] = ()  # where those people live
    missed_reasons: tuple[tuple[str, int], ...] = ()
    clock_cut: int = 0  # months whose plan the wall-clock safety net cut short


@dataclass
class CapacityResult:
    """The answer (None: not reached within the bounds) and every point evaluated."""

    scenario: str
    baseline_officers: int
    answer: int | None
    points: list[CapacityPoint]
    min_officers: int
    max_officers: int
    allowed_late_days: int = 0
    months: int = 0
    tolerance_from: str = ""  # how the tolerance was set, in words
    planner: str = ""
    seconds: float = 0.0

    def point(self, n: int) -> CapacityPoint | None:
        return next((p for p in self.points if p.officers == n), None)

    def verdict(self, p: CapacityPoint) -> str:
        """'enough', 'not enough', or 'planner' for a count that fails above a passing one."""
        if p.enough:
            return "enough"
        if self.answer is not None and p.officers > self.answer:
            return "planner"
        return "not enough"

    @property
    def planner_failures(self) -> list[int]:
        """Counts above the answer that fail: the planner's doing, not the staffing's."""
        return [p.officers for p in self.points if self.verdict(p) == "planner"]

    @property
    def flat(self) -> bool:
        """True when more officers stop helping: the most officers tried do no better on the
        deciding figures than the fewest that pass (or, with no answer, than the median count)."""
        top = self.points[-1] if self.points else None
        if top is None or (self.answer is not None and top.officers < self.answer + 2):
            return False
        ref = (
            self.point(self.answer)
            if self.answer is not None
            else self.points[len(self.points) // 2]
        )
        if ref is None or ref is top:
            return False
        return (top.avoidable_missed, top.avoidable_late_days) >= (
            ref.avoidable_missed,
            ref.avoidable_late_days,
        ) and (top.avoidable_missed or top.avoidable_late_days) > 0


def _top(counter: dict[str, int], n: int = 5) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def _point(n: int, months: list[MonthMetrics], allowed_late_days: int) -> CapacityPoint:
    busy = sum(m.busy_minutes for m in months)
    avail = sum(m.available_minutes for m in months)
    needs: dict[str, int] = {}
    areas: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for m in months:
        for into, src in ((needs, m.avoidable_needs), (areas, m.avoidable_areas)):
            for k, v in src.items():
                into[k] = into.get(k, 0) + v
        for k, v in m.missed_reasons.items():
            reasons[k] = reasons.get(k, 0) + v
    avoidable_missed = sum(m.avoidable_missed for m in months)
    avoidable_late = sum(m.avoidable_late_days for m in months)
    return CapacityPoint(
        officers=n,
        visits_due=sum(m.visits_due for m in months),
        missed=sum(m.missed for m in months),
        avoidable_missed=avoidable_missed,
        risk_weighted_missed=sum(m.risk_weighted_missed for m in months),
        late=sum(m.late for m in months),
        late_days=sum(m.late_days for m in months),
        late_days_inherited=sum(m.late_days_inherited for m in months),
        avoidable_late_days=avoidable_late,
        utilisation=busy / avail if avail else 0.0,
        enough=avoidable_missed == 0 and avoidable_late <= allowed_late_days,
        months=tuple(
            CapacityMonth(
                month=f"{m.plan_start:%Y-%m}",
                visits_due=m.visits_due,
                late=m.late,
                late_days=m.late_days,
                missed=m.missed,
                avoidable_missed=m.avoidable_missed,
                avoidable_late_days=m.avoidable_late_days,
                utilisation=m.utilisation,
                late_days_inherited=m.late_days_inherited,
            )
            for m in months
        ),
        months_planned=len(months),
        needs=_top(needs),
        areas=_top(areas),
        missed_reasons=_top(reasons),
        clock_cut=sum(1 for m in months if m.clock_cut),
    )


def _capacity_job(
    job: tuple[Dataset, int, date, int, int, RunOptions, int | None],
) -> CapacityPoint:
    """One capacity evaluation: the horizon with `n` officers (the unit sent to a process).

    With a tolerance (`allowed` not None) the horizon stops at the first month after which the
    count can no longer pass: an avoidable miss, or more avoidable late days than allowed.
    The officers added or removed and the planner's seeds are fixed by `seed`, so the same
    count gives the same figures on every run.
    """
    ds, n, start, months, seed, options, allowed = job
    scaled = scale_officers(ds, n, seed)

    def failed(done: list[MonthMetrics]) -> bool:
        return allowed is not None and (
            sum(m.avoidable_missed for m in done) > 0
            or sum(m.avoidable_late_days for m in done) > allowed
        )

    out = run_horizon(scaled, start, months, options, seed, stop=failed)
    return _point(n, out, allowed if allowed is not None else 0)


def capacity_curve(
    scenario: Scenario,
    dataset: Dataset,
    options: RunOptions,
    counts: Sequence[int],
    allowed_late_days: int | None = None,
) -> list[CapacityPoint]:
    """The capacity figures of the given officer counts, each planned exactly as the search
    plans it (same seeds; with `allowed_late_days`, stopped once it can no longer pass)."""
    ds, start = prepare(scenario, dataset, options)
    return [
        _capacity_job((ds, n, start, scenario.months, CAPACITY_SEED, options, allowed_late_days))
        for n in counts
    ]


def late_tolerance(visits_due: int, share: float = DEFAULT_LATE_SHARE) -> int:
    """The default avoidable late days allowed: `share` of the visits due, at least 1."""
    return max(1, math.ceil(share * visits_due))


def capacity_search(
    scenario: Scenario,
    dataset: Dataset,
    options: RunOptions,
    min_officers: int = 1,
    max_officers: int | None = None,
    progress: Callable[[str], None] | None = None,
    verify: int = 2,
    allowed_late_days: int | None = None,
    jobs: int = 1,
) -> CapacityResult:
    """The fewest officers (scaled per area from the scenario's own) with nothing avoidable
    missed and avoidable late days within a tolerance.

    The tolerance is `allowed_late_days` over the whole horizon; None means 2% of the visits
    due at the scenario's own staffing (`late_tolerance`), so that a day or two of lateness
    the lower bound cannot see (how crews pair) does not decide the answer. Each count is
    built and planned with `CAPACITY_SEED` on every run, whatever the scenario's seed (which
    draws only the scenario's own changes); a count stops being planned at the first month
    after which it can no longer pass. Search: exponential from the scenario's officer count
    (down while enough, up while not), then binary between the last 'not enough' and the
    first 'enough'; with `jobs` > 1 each round tries `jobs` counts side by side. A heuristic
    planner does not guarantee that more officers help, so the `verify` counts just below the
    answer are also tried (if one is enough the search continues below it), and a count above
    the answer that fails is reported as the planner's doing (`CapacityResult.verdict`).
    """
    t0 = time.monotonic()
    say = progress or (lambda _m: None)
    ds, start = prepare(scenario, dataset, options)
    base = len(ds.officers)
    lo_bound = max(1, min_officers)
    hi_bound = max_officers if max_officers is not None else max(4 * base, base + 10)
    if allowed_late_days is not None and allowed_late_days < 0:
        raise ScenarioError("the allowed avoidable late days cannot be negative")
    if lo_bound > hi_bound:
        raise ScenarioError(f"--min {lo_bound} is above --max {hi_bound}")
    jobs = max(1, jobs)
    if jobs > 1:
        options = replace(options, workers=1)
    cache: dict[int, CapacityPoint] = {}
    pool = None
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(max_workers=jobs)
    allowed = allowed_late_days
    tolerance_from = "given" if allowed is not None else ""

    def evaluate(ns: Sequence[int]) -> None:
        todo = sorted({n for n in ns if n not in cache})
        work = [(ds, n, start, scenario.months, CAPACITY_SEED, options, allowed) for n in todo]
        points = (
            list(pool.map(_capacity_job, work)) if pool is not None else map(_capacity_job, work)
        )
        for p in points:
            cache[p.officers] = p
            cut = (
                f" (stopped after month {p.months_planned} of {scenario.months})"
                if p.months_planned < scenario.months
                else ""
            )
            say(
                f"{p.officers} officers: {p.avoidable_missed} avoidable missed, "
                f"{p.avoidable_late_days} avoidable late days"
                + (f" (at most {allowed})" if allowed is not None else "")
                + cut
                + ((" - enough" if p.enough else " - not enough") if allowed is not None else "")
            )

    def ok(n: int) -> bool:
        return cache[n].enough

    def search(first: int) -> int | None:
        """Smallest n in [lo_bound, hi_bound] found enough, assuming rough monotonicity."""
        n = min(max(first, lo_bound), hi_bound)
        evaluate([n])
        step = 1
        if ok(n):
            good, bad = n, None
            while bad is None and good > lo_bound:  # walk down in doubling steps
                cands: list[int] = []
                for _ in range(jobs):
                    c = max(lo_bound, (cands[-1] if cands else good) - step)
                    if cands and c == cands[-1]:
                        break
                    cands.append(c)
                    step *= 2
                evaluate(cands)
                for c in cands:  # descending
                    if not ok(c):
                        bad = c
                        break
                    good = c
            if bad is None:
                return good
        else:
            bad, found = n, None
            while found is None and bad < hi_bound:  # walk up in doubling steps
                cands = []
                for _ in range(jobs):
                    c = min(hi_bound, (cands[-1] if cands else bad) + step)
                    if cands and c == cands[-1]:
                        break
                    cands.append(c)
                    step *= 2
                evaluate(cands)
                for c in cands:  # ascending
                    if ok(c):
                        found = c
                        break
                    bad = c
            if found is None:
                return None
            good = found
        while good - bad > 1:  # k-ary search between the last 'not enough' and the first 'enough'
            k = min(jobs, good - bad - 1)
            cands = sorted({bad + (good - bad) * (i + 1) // (k + 1) for i in range(k)})
            cands = [c for c in cands if bad < c < good]
            evaluate(cands)
            for c in cands:
                if ok(c):
                    good = c
                    break
                bad = c
        return good

    try:
        start_n = min(max(base, lo_bound), hi_bound)
        if allowed is None:
            # The tolerance comes from the demand at the scenario's own staffing: plan that count
            # over the whole horizon first (it is the search's first probe anyway).
            evaluate([start_n])
            allowed = late_tolerance(cache[start_n].visits_due)
            tolerance_from = (
                f"{DEFAULT_LATE_SHARE:.0%} of the {cache[start_n].visits_due} visits due "
                f"with {start_n} officers"
            )
            cache[start_n] = replace(
                cache[start_n],
                enough=cache[start_n].avoidable_missed == 0
                and cache[start_n].avoidable_late_days <= allowed,
            )
            say(
                f"tolerance: at most {allowed} avoidable late days ({tolerance_from}); "
                f"{start_n} officers are " + ("enough" if cache[start_n].enough else "not enough")
            )
        answer = search(start_n)
        while answer is not None:
            below = list(range(answer - 1, max(lo_bound, answer - verify) - 1, -1))
            evaluate(below)
            lower = next((n for n in below if ok(n)), None)
            if lower is None:
                break
            say(f"not monotone: {lower} officers are also enough; searching below")
            answer = search(lower)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    passing = [n for n, p in cache.items() if p.enough]
    answer = min(passing) if passing and answer is not None else answer
    return CapacityResult(
        scenario=scenario.name,
        baseline_officers=base,
        answer=answer,
        points=[cache[n] for n in sorted(cache)],
        min_officers=lo_bound,
        max_officers=hi_bound,
        allowed_late_days=allowed,
        months=scenario.months,
        tolerance_from=tolerance_from,
        planner=options.planner,
        seconds=time.monotonic() - t0,
    )
