"""rso check (check.py) works out due dates on its own; they must agree with demand.py's.

Both are derived from the data contract's "Due dates" rules, but by separate code, so that a
mistake in the planner's demand is caught by the checker. Here they are compared person by
person on generated data folders (every status, trigger and history shape synth makes).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rso_scheduler.check import first_owed
from rso_scheduler.demand import history_by_offender, requirement_for
from rso_scheduler.ingest import load_dataset
from rso_scheduler.models import Dataset, Offender, Outcome, RiskLevel, Status, VisitRecord
from rso_scheduler.policy import Policy
from rso_scheduler.synth import generate, write_dataset


@pytest.mark.parametrize(
    ("seed", "start", "days"),
    [(1, date(2027, 1, 1), 31), (5, date(2027, 3, 1), 91), (9, date(2026, 12, 7), 14)],
)
def test_checker_and_demand_give_the_same_due_dates(
    tmp_path: Path, seed: int, start: date, days: int
) -> None:
    """For every active person, check.first_owed and demand.requirement_for agree on due/earliest."""
    data = tmp_path / "data"
    write_dataset(data, generate(400, 8, seed, start, as_of=date(2026, 11, 20)))
    dataset = load_dataset(data, today=date(2026, 11, 20))
    end = start + timedelta(days=days - 1)
    hist = history_by_offender(dataset.visits)
    compared = owed_later = 0
    for person in dataset.offenders:
        req = requirement_for(person, hist.get(person.offender_id, []), dataset.policy, start, end)
        if person.status is not Status.active:
            assert req is None, person.offender_id
            continue
        owed = first_owed(person, dataset, start)
        if req is None:
            # demand plans nothing: the checker must agree the next visit cannot be made in time
            assert owed.earliest > end, person.offender_id
            owed_later += 1
            continue
        assert (owed.due, owed.earliest) == (req.first_due, req.first_earliest), person.offender_id
        assert owed.interval_days == req.interval_days, person.offender_id
        compared += 1
    assert compared > 50 and owed_later > 10  # the data set exercises both branches


def test_checker_does_not_import_the_planner() -> None:
    """check.py loads neither demand.py, calendar.py nor the solver (its rules are its own)."""
    import subprocess
    import sys

    code = (
        "import sys, rso_scheduler.check; "
        "print(' '.join(m for m in sys.modules if m.startswith('rso_scheduler')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "rso_scheduler.check" in loaded
    for planner_module in (
        "rso_scheduler.demand",
        "rso_scheduler.calendar",
        "rso_scheduler.solver",
    ):
        assert planner_module not in loaded


_DAY = st.integers(min_value=-800, max_value=120).map(lambda n: date(2027, 1, 1) + timedelta(n))


@settings(max_examples=300, deadline=None)
@given(
    risk=st.sampled_from(list(RiskLevel)),
    last=st.none() | _DAY,
    logged=st.lists(st.tuples(_DAY, st.sampled_from(list(Outcome))), max_size=4),
    registered=st.none() | _DAY,
    released=st.none() | _DAY,
    moved=st.none() | _DAY,
    interval=st.none() | st.integers(min_value=1, max_value=400),
    days=st.integers(min_value=1, max_value=92),
)
def test_due_dates_agree_on_any_history(
    risk: RiskLevel,
    last: date | None,
    logged: list[tuple[date, Outcome]],
    registered: date | None,
    released: date | None,
    moved: date | None,
    interval: int | None,
    days: int,
) -> None:
    """Any mix of last visit, log, registration, release, move and interval: the same dates."""
    start = date(2027, 1, 1)
    end = start + timedelta(days=days - 1)
    person = Offender(
        offender_id="P", risk_level=risk, lat=51.45, lon=-0.97, last_visit_date=last,
        registered_on=registered, released_on=released, address_changed_on=moved,
        visit_interval_days=interval,
    )  # fmt: skip
    log = tuple(VisitRecord(offender_id="P", date=d, outcome=o) for d, o in logged)
    dataset = Dataset(offenders=(person,), officers=(), visits=log, policy=Policy())
    req = requirement_for(person, history_by_offender(log).get("P", []), Policy(), start, end)
    owed = first_owed(person, dataset, start)
    if req is None:
        assert owed.earliest > end
    else:
        assert (owed.due, owed.earliest) == (req.first_due, req.first_earliest)
