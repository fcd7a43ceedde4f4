"""rso check (check.py) works out due dates on its own; they must agree with demand.py's.

Both are derived from the data contract's "Due dates" rules, but by separate code, so that a
mistake in the planner's demand is caught by the checker. Here they are compared person by
person on generated data folders (every status, trigger and history shape synth makes).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from rso_scheduler.check import first_owed
from rso_scheduler.demand import history_by_offender, requirement_for
from rso_scheduler.ingest import load_dataset
from rso_scheduler.models import Status
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
