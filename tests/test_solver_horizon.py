"""Long plans: monthly windows, first visits as early as a one-month plan, deferral charged."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from rso_scheduler.solver.horizon import windows
from tests.solver_helpers import JAN, assert_valid, dataset, officer, person, run


def test_windows_are_months_from_the_start() -> None:
    """A year from 15 January: months from the 15th, the last window ending on the plan's end."""
    ws = windows(date(2027, 1, 15), date(2027, 4, 20))
    assert ws == [
        (date(2027, 1, 15), date(2027, 2, 14)),
        (date(2027, 2, 15), date(2027, 3, 14)),
        (date(2027, 3, 15), date(2027, 4, 14)),
        (date(2027, 4, 15), date(2027, 4, 20)),
    ]
    assert windows(*JAN) == [JAN]


def _overdue_team() -> list:  # type: ignore[type-arg]
    people = [
        person(f"H{i}", risk="high", lat=51.44 + i * 0.003, last_visit_date=date(2026, 8, 1))
        for i in range(6)
    ]
    people += [
        person(f"V{i}", risk="very_high", lat=51.45 + i * 0.003, last_visit_date=date(2026, 11, 20))
        for i in range(3)
    ]
    return people


def test_long_plan_visits_overdue_people_as_early_as_a_month(tmp_path: Path) -> None:
    """A four-month plan: each overdue person's first visit is on the day the January plan
    gives it, every owed visit of the period is accounted for, and the roster is valid."""
    ds = dataset(_overdue_team(), [officer("A"), officer("B"), officer("C"), officer("D")])
    end = date(2027, 4, 30)
    month = run(ds, time_limit_s=5.0)
    long = run(ds, end=end, time_limit_s=20.0)
    first_month = {v.offender_id: v.date for v in month.visits if v.seq == 0}
    first_long = {v.offender_id: v.date for v in long.visits if v.seq == 0}
    assert first_long == first_month
    assert [v.visit_id for v in long.visits] == [f"V{i + 1:05d}" for i in range(len(long.visits))]
    assert long.stats["windows"] and len(long.stats["windows"]) == 4
    # very high every 30 days: four or five visits each in four months, chained on the plan
    for pid in ("V0", "V1", "V2"):
        dates = sorted(v.date for v in long.visits if v.offender_id == pid)
        assert len(dates) >= 4
        assert all(b - a <= timedelta(days=30) for a, b in zip(dates, dates[1:], strict=False))
    assert long.visits_due == sum(1 for v in long.visits if not v.pulled_forward) + len(
        long.unscheduled
    )
    assert all(v.pulled_forward == (v.due_date > end) for v in long.visits)
    assert_valid(ds, long, tmp_path)


def test_long_plan_is_deterministic() -> None:
    """Two long plans with the same inputs and seed: the same roster."""
    ds = dataset(_overdue_team(), [officer("A"), officer("B")])
    end = date(2027, 3, 31)
    a = run(ds, end=end, time_limit_s=9.0, seed=4)
    b = run(ds, end=end, time_limit_s=9.0, seed=4)
    assert a.visits == b.visits and a.routes == b.routes and a.unscheduled == b.unscheduled


def test_long_plan_accounts_like_one_plan_of_the_period() -> None:
    """A person no officer can visit: every visit of the period's one count is unscheduled,
    as a single plan of the whole period would list them (not just the last month's)."""
    people = _overdue_team() + [
        person("X", risk="very_high", required_skills=frozenset({"polish"}))
    ]
    ds = dataset(people, [officer("A"), officer("B")])
    end = date(2027, 3, 31)
    res = run(ds, end=end, time_limit_s=9.0)
    rows = [u for u in res.unscheduled if u.offender_id == "X"]
    assert len(rows) >= 3  # due at the start, then every 30 days
    assert all("polish" in u.reason or "follows" in u.reason for u in rows)
    assert res.visits_due == sum(1 for v in res.visits if not v.pulled_forward) + len(
        res.unscheduled
    )


def test_a_month_of_a_long_plan_does_not_defer_a_visit_the_whole_plan_needs(
    tmp_path: Path,
) -> None:
    """February of a long plan, one visit a day, nine people due on 4 February (away in
    January): someone is late, and by lateness alone the medium-risk "Z" (every 60 days) would
    go last. But Z must be seen by 9 February, or the visit the whole plan owes it on 5 April
    falls after the plan's end; the month charges that as a miss, so Z is seen in time and gets
    both visits."""
    away = dict(unavailable_from=date(2027, 1, 1), unavailable_to=date(2027, 2, 3))
    people = [
        person(f"H{i}", lat=51.46 + i * 0.002, last_visit_date=date(2026, 11, 5), **away)
        for i in range(8)
    ]
    people.append(
        person(
            "Z",
            "medium",
            lat=51.47,
            last_visit_date=date(2026, 12, 6),
            visit_interval_days=60,
            **away,
        )
    )
    ds = dataset(people, [officer(o, max_visits_per_day=1) for o in "AB"])
    res = run(ds, start=date(2027, 1, 4), end=date(2027, 4, 10), time_limit_s=15.0)
    z = sorted(v.date for v in res.visits if v.offender_id == "Z" and not v.pulled_forward)
    assert z[0] <= date(2027, 2, 9)
    assert len(z) == 2 and not [u for u in res.unscheduled if u.offender_id == "Z"]
    assert_valid(ds, res, tmp_path)
