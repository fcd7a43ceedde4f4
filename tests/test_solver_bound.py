"""The LP lower bound on weighted lateness: never above a plan, tighter than first possible days."""

from __future__ import annotations

from datetime import date

from rso_scheduler.demand import requirements
from rso_scheduler.solver.bound import late_lower_bound
from tests.solver_helpers import dataset, officer, person, run

START, END = date(2027, 1, 4), date(2027, 1, 8)  # Monday to Friday


def test_lp_bound_counts_day_capacity() -> None:
    """Three 200-minute visits, one crew: two fit a day, so the bound charges the third a day."""
    people = [person(f"P{i}", lat=51.46 + 0.004 * i, visit_minutes=200) for i in range(3)]
    ds = dataset(people, [officer("A"), officer("B")])
    first_days = sum(
        r.weight * (START - r.first_due).days for r in requirements(ds, START, END, False)
    )
    lp, missed = late_lower_bound(ds, START, END)
    assert missed == 0
    assert lp > first_days  # the first-possible-day bound puts all three on Monday
    res = run(ds, START, END)
    weight = {lvl: ds.policy.for_risk(lvl).weight for lvl in ds.policy.risk}
    late = sum(weight[v.risk_level.value] * v.days_late for v in res.visits)
    assert len(res.visits) == 3 and lp <= late


def test_lp_bound_equals_first_days_when_room() -> None:
    """One short visit and a free crew: the bound is the first-day bound."""
    ds = dataset([person("P0")], [officer("A"), officer("B")])
    (r,) = requirements(ds, START, END, False)
    assert late_lower_bound(ds, START, END) == (r.weight * (START - r.first_due).days, 0.0)
