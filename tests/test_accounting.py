"""Every owed visit accounted for: in the roster or in unscheduled.csv, never both, never neither.

The one count (`demand.owed_visits`) is what `rso validate` reports and what every plan must
account for; the compliance report's overdue list on the plan's first day is covered too.
Hypothesis draws teams of several shapes (the generator of test_check_generated, plus an
events-heavy one: a recent visit, then a release or an address change).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rso_scheduler.demand import owed_visits
from rso_scheduler.models import Dataset, Status
from rso_scheduler.report.compliance import State, compliance
from rso_scheduler.roster import PlanResult
from rso_scheduler.solver import PlanOptions, greedy_plan
from rso_scheduler.solver import plan as optimise
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
