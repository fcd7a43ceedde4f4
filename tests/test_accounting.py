"""Every owed visit accounted for: in the roster or in unscheduled.csv, never both, never neither.

The one count (`demand.owed_visits`) is what `rso validate` reports and what every plan must
account for; the compliance report's overdue list on the plan's first day is covered too.
Hypothesis draws teams of several shapes (the generator of test_check_generated, plus an
events-heavy one: a recent visit, then a release or an address change).
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rso_scheduler.check import check_plan
from rso_scheduler.demand import interval_for, owed_visits
from rso_scheduler.models import (
    Absence,
    Dataset,
    Offender,
    Officer,
    Outcome,
    RiskLevel,
    Status,
)
from rso_scheduler.outputs.files import staged_output
from rso_scheduler.outputs.roster_files import RosterRow, read_roster, write_plan
from rso_scheduler.policy import Policy
from rso_scheduler.replan import replan
from rso_scheduler.report.compliance import State, compliance
from rso_scheduler.roster import PlanResult
from rso_scheduler.solver import PlanOptions, greedy_plan
from rso_scheduler.solver import plan as optimise
from rso_scheduler.solver.horizon import with_visits_done
from rso_scheduler.travel import TableTravel, dataset_places
from tests.test_check_generated import assert_checks, instances

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def events_heavy(draw: st.DrawFn) -> tuple[Dataset, date, date, bool]:
    """A generated team where many people had a visit lately and then an event."""
    ds, start, end, bank = draw(instances(max_people=10))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    people = []
    for p in ds.offenders:
        if rng.random() < 0.6:
            last = start - timedelta(days=rng.randint(1, 20))
            event = last + timedelta(days=rng.randint(1, 25))
            kind = rng.choice(["released_on", "address_changed_on"])
            p = p.model_copy(
                update={"last_visit_date": last, kind: min(event, start + timedelta(days=5))}
            )
        people.append(p)
    return ds.model_copy(update={"offenders": tuple(people)}), start, end, bank


def assert_accounted(ds: Dataset, start: date, end: date, result: PlanResult) -> None:
    """Per person: owed visits = planned owed visits + unscheduled rows; totals agree."""
    owed = Counter(
        v.requirement.offender_id for v in owed_visits(ds, start, end, result.work_bank_holidays)
    )
    planned = Counter(v.offender_id for v in result.visits if not v.pulled_forward)
    listed = Counter(u.offender_id for u in result.unscheduled)
    for pid in set(owed) | set(planned) | set(listed):
        assert planned[pid] + listed[pid] == owed[pid], (
            f"{pid}: owed {owed[pid]}, planned {planned[pid]}, unscheduled {listed[pid]}"
        )
    assert result.visits_due == sum(owed.values())
    assert all(u.due_date <= end and u.reason for u in result.unscheduled)
    # by the contract's chain (next due = last planned date + interval) nothing more falls due
    # inside the plan for a person whose owed visits are all planned
    people = ds.offender_by_id()
    for pid in planned:
        if owed[pid] and not listed[pid]:
            last = max(v.date for v in result.visits if v.offender_id == pid)
            interval = interval_for(people[pid], ds.policy)
            assert last + timedelta(days=interval) > end, f"{pid}: a visit due after {last}"
    # an auditor's overdue list on the first day is covered
    report = compliance(ds, start)
    accounted = set(planned) | set(listed)
    for p in report.overdue:
        person = ds.offender_by_id()[p.offender_id]
        if person.status is Status.active and p.state is State.overdue:
            assert p.offender_id in accounted, (
                f"{p.offender_id} overdue on {start} but not in the plan"
            )


@SETTINGS
@given(st.one_of(instances(), events_heavy()))
def test_greedy_accounts_for_every_owed_visit(inst: tuple[Dataset, date, date, bool]) -> None:
    """Greedy: every owed visit is planned or listed, and the checker agrees."""
    ds, start, end, bank = inst
    result = greedy_plan(ds, start, end, PlanOptions(work_bank_holidays=bank))
    assert_accounted(ds, start, end, result)
    assert_checks(ds, result)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(instances(max_people=8), events_heavy()))
def test_optimiser_accounts_for_every_owed_visit(inst: tuple[Dataset, date, date, bool]) -> None:
    """Optimiser (tiny limit): every owed visit is planned or listed, and the checker agrees."""
    ds, start, end, bank = inst
    result = optimise(ds, start, end, PlanOptions(time_limit_s=2, seed=1, work_bank_holidays=bank))
    assert_accounted(ds, start, end, result)
    assert_checks(ds, result)


def _issued_rows(result: PlanResult, pin_every: int) -> list[RosterRow]:
    """The plan's visits as roster rows, every `pin_every`-th one pinned (a supervisor's marks)."""
    return [
        RosterRow(
            line=i + 2,
            visit_id=v.visit_id,
            date=v.date,
            start_min=v.start_min,
            end_min=v.end_min,
            offender_id=v.offender_id,
            officer_ids=v.officer_ids,
            risk_level=v.risk_level.value,
            due_date=v.due_date,
            days_late=v.days_late,
            kind=str(v.kind.value if hasattr(v.kind, "value") else v.kind),
            pinned=pin_every > 0 and i % pin_every == 0,
        )
        for i, v in enumerate(result.visits)
    ]


@st.composite
def replans(draw: st.DrawFn) -> tuple[Dataset, list[RosterRow], date, date, bool]:
    """An issued greedy plan and the data as it stands on a later day of it: the visits before
    that day done (some with no one at home), an officer off sick from it, some visits pinned."""
    ds, start, end, bank = draw(st.one_of(instances(max_people=8), events_heavy()))
    issued = greedy_plan(ds, start, end, PlanOptions(work_bank_holidays=bank))
    from_date = start + timedelta(days=draw(st.integers(0, (end - start).days)))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    logged = with_visits_done(ds, [v for v in issued.visits if v.date < from_date]).visits
    done = tuple(
        v.model_copy(update={"outcome": Outcome.no_access}) if rng.random() < 0.3 else v
        for v in logged[len(ds.visits) :]
    )
    absences = ds.absences
    if ds.officers and rng.random() < 0.5:
        sick = rng.choice(ds.officers).officer_id
        absences += (Absence(officer_id=sick, start=from_date, end=end, reason="sickness"),)
    now = ds.model_copy(update={"visits": ds.visits + done, "absences": absences})
    rows = _issued_rows(issued, draw(st.sampled_from([0, 1, 3])))
    return now, rows, from_date, end, bank


def _check_replan(inst: tuple[Dataset, list[RosterRow], date, date, bool]) -> None:
    """Re-plan (the optimiser: greedy does not re-plan); every owed visit of the period accounted
    for and the checker agrees."""
    now, rows, from_date, end, bank = inst
    opts = PlanOptions(time_limit_s=1, seed=1, work_bank_holidays=bank)
    result = replan(now, rows, end, from_date, opts, optimise).result
    assert_accounted(now, from_date, end, result)
    assert_checks(now, result)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replans())
def test_replan_accounts_for_every_owed_visit(
    inst: tuple[Dataset, list[RosterRow], date, date, bool],
) -> None:
    """Re-plan (frozen and pinned visits, a sick officer, no access): every owed visit planned
    or listed, and the checker agrees."""
    _check_replan(inst)


@st.composite
def long_plans(draw: st.DrawFn, max_people: int = 6) -> tuple[Dataset, date, date, bool]:
    """A generated team planned for 32 to 95 days (month by month)."""
    ds, start, _end, bank = draw(st.one_of(instances(max_people=max_people), events_heavy()))
    return ds, start, start + timedelta(days=draw(st.integers(31, 94))), bank


def _check_long_optimised(inst: tuple[Dataset, date, date, bool]) -> None:
    """Optimise a long plan; every owed visit of the whole period accounted for."""
    ds, start, end, bank = inst
    result = optimise(ds, start, end, PlanOptions(time_limit_s=1, seed=1, work_bank_holidays=bank))
    assert_accounted(ds, start, end, result)
    assert_checks(ds, result)


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_plans())
def test_long_optimised_plan_accounts_for_every_owed_visit(
    inst: tuple[Dataset, date, date, bool],
) -> None:
    """A plan over 31 days (monthly windows): every owed visit of the whole period accounted for."""
    _check_long_optimised(inst)


@given(long_plans())
@SETTINGS
def test_long_greedy_plan_accounts_for_every_owed_visit(
    inst: tuple[Dataset, date, date, bool],
) -> None:
    """Greedy over 32 to 95 days: every owed visit of the whole period accounted for."""
    ds, start, end, bank = inst
    result = greedy_plan(ds, start, end, PlanOptions(work_bank_holidays=bank))
    assert_accounted(ds, start, end, result)
    assert_checks(ds, result)


def _matrix_travel(ds: Dataset, seed: int) -> tuple[Dataset, TableTravel]:
    """A matrix travel model with random directed times (some legs far too long to make)."""
    rng = np.random.default_rng(seed)
    places = list(dict.fromkeys(dataset_places(ds)))
    n = len(places)
    minutes_m = rng.choice([5, 20, 45, 90, 700], size=(n, n)).astype(np.int32)
    np.fill_diagonal(minutes_m, 0)
    km_m = (minutes_m * 0.6).astype(np.float32)
    policy = ds.policy.model_copy(
        update={"travel": ds.policy.travel.model_copy(update={"model": "matrix"})}
    )
    tp = policy.travel
    travel = TableTravel("matrix", tp, {p: i for i, p in enumerate(places)}, minutes_m, km_m)
    return ds.model_copy(update={"policy": policy}), travel


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(instances(max_people=8), events_heavy()), st.integers(0, 2**16), st.booleans())
def test_matrix_travel_plans_account_for_every_owed_visit(
    inst: tuple[Dataset, date, date, bool], seed: int, greedy: bool
) -> None:
    """A matrix travel model (directed times, some unmakeable legs): every owed visit planned
    or listed, and the checker with the same model agrees."""
    ds0, start, end, bank = inst
    ds, travel = _matrix_travel(ds0, seed)
    opts = PlanOptions(time_limit_s=1, seed=1, work_bank_holidays=bank, travel=travel)
    result = greedy_plan(ds, start, end, opts) if greedy else optimise(ds, start, end, opts)
    assert_accounted(ds, start, end, result)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        with staged_output(out) as stage:
            write_plan(stage, ds, result, {"solver": "test"}, travel=travel)
        found = check_plan(ds, read_roster(out), work_bank_holidays=bank, travel=travel)
    assert found == [], "\n".join(map(str, found))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replans())
def test_many_replans_account_for_every_owed_visit(
    inst: tuple[Dataset, list[RosterRow], date, date, bool],
) -> None:
    """Many generated re-plans: every owed visit planned or listed, and the checker agrees."""
    _check_replan(inst)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(long_plans(10))
def test_many_long_plans_account_for_every_owed_visit(
    inst: tuple[Dataset, date, date, bool],
) -> None:
    """Many generated long optimised plans: every owed visit planned or listed, checker agrees."""
    _check_long_optimised(inst)


def test_long_plan_visits_due_agrees_with_the_one_count() -> None:
    """An 83-day plan of a monthly person: a month that visits early makes no extra visit fall
    due (the checker would call it not owed); visits_due is the one count, as validate says."""
    person = Offender(
        offender_id="P0",
        risk_level=RiskLevel.very_high,
        lat=51.57,
        lon=-0.95,
        visit_interval_days=30,
        last_visit_date=date(2025, 9, 21),
        two_officers=False,
    )
    officer = Officer(
        officer_id="O2",
        base_lat=51.39,
        base_lon=-0.89,
        working_days=frozenset(range(7)),
        shift_start_min=480,
        shift_end_min=1080,
    )
    ds = Dataset(offenders=(person,), officers=(officer,), policy=Policy())
    start, end = date(2027, 4, 28), date(2027, 7, 19)
    result = optimise(ds, start, end, PlanOptions(time_limit_s=1, seed=1))
    assert result.visits_due == len(owed_visits(ds, start, end)) == 3
    # and no fourth visit falls due inside the plan by the contract's chain (last + interval)
    assert max(v.date for v in result.visits) + timedelta(days=30) > end
    assert_accounted(ds, start, end, result)
    assert_checks(ds, result)


def test_long_plan_of_weekly_people_is_on_time() -> None:
    """Three weekly people, two officers every day, 42 days (two windows): every owed visit
    planned and none late (a month that stops early must not leave one to fall due unplanned)."""
    people = [
        Offender(
            offender_id=f"W{i}",
            risk_level=RiskLevel.high,
            lat=51.46,
            lon=-0.98,
            visit_interval_days=7,
            last_visit_date=date(2027, 1, 1),
        )
        for i in range(3)
    ]
    officers = [
        Officer(officer_id=o, base_lat=51.454, base_lon=-0.977, working_days=frozenset(range(7)))
        for o in ("O1", "O2")
    ]
    ds = Dataset(offenders=tuple(people), officers=tuple(officers), policy=Policy())
    start, end = date(2027, 1, 4), date(2027, 2, 14)
    result = optimise(ds, start, end, PlanOptions(time_limit_s=2, seed=1))
    assert_accounted(ds, start, end, result)
    assert not result.unscheduled and max(v.days_late for v in result.visits) == 0
    assert_checks(ds, result)


def test_long_plan_ignores_a_last_visit_date_inside_the_period() -> None:
    """A last_visit_date inside a long plan's period is not history of the plan (a single plan
    ignores it), so a later month must not count it either: the checker agrees with every month."""
    from tests.solver_helpers import dataset, officer, person

    start, end = date(2027, 3, 31), date(2027, 5, 10)
    p = person(
        "P2",
        risk="medium",
        visit_interval_days=30,
        last_visit_date=date(2027, 4, 6),
        registered_on=date(2026, 12, 1),
    )
    every_day = frozenset(range(7))
    team = [officer("A", working_days=every_day), officer("B", working_days=every_day)]
    ds = dataset([p], team)
    result = optimise(ds, start, end, PlanOptions(time_limit_s=2, seed=1))
    assert_accounted(ds, start, end, result)
    assert_checks(ds, result)
