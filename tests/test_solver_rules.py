"""The optimiser keeps every hard rule: for each, a case where it bites and one where it does not."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from rso_scheduler.models import Absence
from rso_scheduler.policy import Policy, apply_overrides
from tests.solver_helpers import JAN, SLOUGH, assert_valid, dataset, officer, person, run


def _officers_of(res, pid: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {oid for v in res.visits if v.offender_id == pid for oid in v.officer_ids}


def test_officer_on_leave_gets_no_visit(tmp_path: Path) -> None:
    """An officer absent all month is never on the roster; the others make the visits."""
    people = [person(f"P{i}") for i in range(4)]
    offs = [officer("A"), officer("B"), officer("C"), officer("D")]
    leave = (Absence(officer_id="A", start=JAN[0], end=JAN[1]),)
    res = run(dataset(people, offs, absences=leave))
    assert all("A" not in v.officer_ids for v in res.visits)
    assert len(res.visits) == 4
    assert_valid(dataset(people, offs, absences=leave), res, tmp_path)


def test_officer_without_leave_is_used(tmp_path: Path) -> None:
    """Without the absence the same officer does make visits (the rule is what kept them off)."""
    people = [person(f"P{i}") for i in range(4)]
    offs = [officer("A"), officer("B")]
    ds = dataset(people, offs)
    res = run(ds)
    assert any("A" in v.officer_ids for v in res.visits)
    assert_valid(ds, res, tmp_path)


def test_skill_held_by_one_officer_forces_that_officer(tmp_path: Path) -> None:
    """A person needing Polish is visited by a crew holding the only Polish speaker."""
    people = [person("P1", required_skills=frozenset({"polish"})), person("P2")]
    offs = [officer("A"), officer("B"), officer("C", skills=frozenset({"polish"})), officer("D")]
    ds = dataset(people, offs)
    res = run(ds)
    assert "C" in _officers_of(res, "P1")
    assert_valid(ds, res, tmp_path)


def test_skill_nobody_holds_is_unscheduled_with_reason(tmp_path: Path) -> None:
    """No officer with the skill: the visit is unscheduled and the reason names the skill."""
    people = [person("P1", required_skills=frozenset({"welsh"}))]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    assert res.visits == []
    assert len(res.unscheduled) == 1
    assert "skill welsh" in res.unscheduled[0].reason
    assert_valid(ds, res, tmp_path)


def test_strict_area_uses_only_area_officers(tmp_path: Path) -> None:
    """Strict areas: Slough officers never visit a Reading person, even when nearer."""
    policy = apply_overrides(Policy(), {"areas.mode": "strict"})
    people = [person("P1", lat=51.50, lon=-0.62)]  # lives near Slough station, area Reading
    offs = [
        officer("R1"),
        officer("R2"),
        officer("S1", *SLOUGH, area="Slough"),
        officer("S2", *SLOUGH, area="Slough"),
    ]
    ds = dataset(people, offs, policy)
    res = run(ds)
    assert _officers_of(res, "P1") == {"R1", "R2"}
    assert_valid(ds, res, tmp_path)


def test_strict_area_without_area_officers_gives_reason(tmp_path: Path) -> None:
    """Strict areas with no officer of the person's area: unscheduled, reason names the area."""
    policy = apply_overrides(Policy(), {"areas.mode": "strict"})
    people = [person("P1", area="Wokingham")]
    ds = dataset(people, [officer("R1"), officer("R2")], policy)
    res = run(ds)
    assert res.visits == []
    assert "strict area" in res.unscheduled[0].reason and "Wokingham" in res.unscheduled[0].reason


def test_ignore_area_lets_nearest_crew_go(tmp_path: Path) -> None:
    """Areas ignored: the nearby Slough crew makes the visit instead of the far Reading one."""
    policy = apply_overrides(Policy(), {"areas.mode": "ignore"})
    people = [person("P1", lat=51.50, lon=-0.62)]
    offs = [
        officer("R1"),
        officer("R2"),
        officer("S1", *SLOUGH, area="Slough"),
        officer("S2", *SLOUGH, area="Slough"),
    ]
    ds = dataset(people, offs, policy)
    res = run(ds)
    assert _officers_of(res, "P1") == {"S1", "S2"}
    assert_valid(ds, res, tmp_path)


def test_evening_window_needs_late_shift(tmp_path: Path) -> None:
    """A 17:30-20:30 window is made by the late-shift pair, inside the window."""
    people = [person("P1", window_start_min=17 * 60 + 30, window_end_min=20 * 60 + 30)]
    offs = [
        officer("E1"),
        officer("E2"),
        officer("L1", shift_start_min=14 * 60, shift_end_min=22 * 60),
        officer("L2", shift_start_min=14 * 60, shift_end_min=22 * 60),
    ]
    ds = dataset(people, offs)
    res = run(ds)
    assert len(res.visits) == 1
    v = res.visits[0]
    assert set(v.officer_ids) == {"L1", "L2"}
    assert v.start_min >= 17 * 60 + 30 and v.end_min <= 20 * 60 + 30
    assert_valid(ds, res, tmp_path)


def test_evening_window_without_late_shift_is_explained(tmp_path: Path) -> None:
    """Only day shifts: the evening visit is unscheduled and the reason names the window."""
    people = [person("P1", window_start_min=17 * 60 + 30, window_end_min=20 * 60 + 30)]
    ds = dataset(people, [officer("E1"), officer("E2")])
    res = run(ds)
    assert res.visits == []
    assert "window 17:30-20:30" in res.unscheduled[0].reason


def test_max_visits_per_day_respected(tmp_path: Path) -> None:
    """With a cap of one visit a day, no officer makes two visits on any day."""
    people = [person(f"P{i}", lat=51.46 + i * 0.001) for i in range(6)]
    offs = [officer("A", max_visits_per_day=1), officer("B", max_visits_per_day=1)]
    ds = dataset(people, offs)
    res = run(ds)
    days = [v.date for v in res.visits]
    assert len(days) == len(set(days)) == 6
    assert_valid(ds, res, tmp_path)


def test_without_cap_visits_share_a_day(tmp_path: Path) -> None:
    """Without a cap, nearby overdue visits are grouped on the same day (less lateness and travel)."""
    people = [person(f"P{i}", lat=51.46 + i * 0.001) for i in range(4)]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    assert len(res.visits) == 4
    assert len({v.date for v in res.visits}) < 4
    assert_valid(ds, res, tmp_path)


def test_two_officers_attend_together(tmp_path: Path) -> None:
    """A two-officer visit has two distinct officers, both present for the whole visit."""
    people = [person("P1")]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    (v,) = res.visits
    assert sorted(v.officer_ids) == ["A", "B"]
    route = next(r for r in res.routes if v.visit_id in r.visit_ids)
    assert all(leg.depart_min <= v.start_min and leg.return_min >= v.end_min for leg in route.legs)
    assert_valid(ds, res, tmp_path)


def test_lone_officer_cannot_make_two_officer_visit(tmp_path: Path) -> None:
    """One officer alone: a two-officer visit is unscheduled, a lone-allowed visit is made."""
    people = [person("P1"), person("P2", two_officers=False)]
    ds = dataset(people, [officer("A")])
    res = run(ds)
    assert [v.offender_id for v in res.visits] == ["P2"]
    assert res.visits[0].officer_ids == ("A",)
    assert [u.offender_id for u in res.unscheduled] == ["P1"]
    assert "two officers" in res.unscheduled[0].reason
    assert_valid(ds, res, tmp_path)


def test_weekly_chain_keeps_minimum_gap(tmp_path: Path) -> None:
    """A 7-day interval gives a chain of visits, each at least 4 days after the previous."""
    people = [
        person("P1", risk="very_high", visit_interval_days=7, last_visit_date=date(2026, 12, 29))
    ]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    dates = sorted(v.date for v in res.visits if v.offender_id == "P1")
    assert len(dates) >= 4
    prev = date(2026, 12, 29)
    for d in dates:
        assert (d - prev).days >= 4
        prev = d
    dues = [v.due_date for v in sorted(res.visits, key=lambda v: v.date)]
    assert dues[0] == date(2027, 1, 5)
    assert all(dues[i + 1] == dates[i] + timedelta(days=7) for i in range(len(dates) - 1))
    assert_valid(ds, res, tmp_path)


def test_long_interval_gives_one_visit(tmp_path: Path) -> None:
    """A yearly interval gives exactly one visit in the month (no chain)."""
    people = [person("P1", risk="low", last_visit_date=date(2026, 1, 10))]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    assert len(res.visits) == 1
    assert_valid(ds, res, tmp_path)


def test_no_visits_on_bank_holiday(tmp_path: Path) -> None:
    """New Year's Day is a bank holiday: no visit on it unless bank holidays are worked."""
    people = [person("P1", risk="very_high", last_visit_date=date(2026, 11, 15))]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    assert res.visits and all(v.date != date(2027, 1, 1) for v in res.visits)
    assert_valid(ds, res, tmp_path)
    worked = run(ds, work_bank_holidays=True)
    assert worked.visits[0].date == date(2027, 1, 1)
    assert_valid(ds, worked, tmp_path / "worked")


def test_person_unavailable_days_avoided(tmp_path: Path) -> None:
    """Notified travel over the first fortnight: the visit comes after it."""
    people = [person("P1", unavailable_from=date(2026, 12, 20), unavailable_to=date(2027, 1, 14))]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    assert res.visits[0].date > date(2027, 1, 14)
    assert_valid(ds, res, tmp_path)


def test_person_unavailable_all_month_is_explained(tmp_path: Path) -> None:
    """Unavailable the whole month: unscheduled with the reason saying so."""
    people = [person("P1", unavailable_from=date(2026, 12, 20), unavailable_to=date(2027, 2, 14))]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    assert res.visits == []
    assert "person unavailable" in res.unscheduled[0].reason


def test_shift_and_travel_fit_far_visit(tmp_path: Path) -> None:
    """A visit far from base still leaves and returns inside the shift (legs timed exactly)."""
    people = [person("P1", lat=51.75, lon=-1.26)]  # Oxford, about an hour and a half away
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    (route,) = res.routes
    for leg in route.legs:
        assert leg.depart_min >= 8 * 60 and leg.return_min <= 16 * 60
        assert leg.travel_min > 60
    assert_valid(ds, res, tmp_path)


def test_no_officers_everything_unscheduled(tmp_path: Path) -> None:
    """Without officers nothing is planned and every owed visit says why."""
    ds = dataset([person("P1"), person("P2", risk="very_high")], [])
    res = run(ds)
    assert res.visits == [] and res.routes == []
    assert {u.offender_id for u in res.unscheduled} == {"P1", "P2"}
    assert all("no officer on duty" in u.reason for u in res.unscheduled)


def test_nobody_owed_gives_empty_roster(tmp_path: Path) -> None:
    """People visited recently owe nothing: an empty, valid roster."""
    ds = dataset([person("P1", risk="low", last_visit_date=date(2026, 12, 1))], [officer("A")])
    res = run(ds, pull_forward=False)
    assert res.visits == [] and res.unscheduled == [] and res.visits_due == 0
    assert_valid(ds, res, tmp_path)


def test_plan_end_before_start_refused() -> None:
    """A period ending before it starts is a PlanError, not a crash."""
    import pytest

    from rso_scheduler.errors import PlanError

    with pytest.raises(PlanError):
        run(dataset([person("P1")], [officer("A")]), start=JAN[1], end=JAN[0])


def test_window_shorter_than_the_visit_is_explained(tmp_path: Path) -> None:
    """A 30-minute window for a 75-minute visit: unscheduled, and the reason says so."""
    people = [person("P1", window_start_min=10 * 60, window_end_min=10 * 60 + 30)]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    assert not res.visits
    assert res.unscheduled[0].reason == "window 10:00-10:30 is shorter than the 75-minute visit"
    assert_valid(ds, res, tmp_path)


def test_window_as_long_as_the_visit_is_planned(tmp_path: Path) -> None:
    """A window exactly as long as the visit is met by starting at its opening."""
    people = [person("P1", window_start_min=10 * 60, window_end_min=11 * 60 + 15)]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    assert [(v.start_min, v.end_min) for v in res.visits] == [(600, 675)]
    assert_valid(ds, res, tmp_path)


def test_unscheduled_reason_names_every_missing_skill() -> None:
    """A visit needing two skills no officer on duty holds: the reason names both (one rule,
    `rules.crew_skills`, not a copy that stopped at the first)."""
    from datetime import date

    from rso_scheduler.demand import requirements
    from rso_scheduler.solver.diagnose import blocking_reason
    from tests.solver_helpers import dataset, officer, person

    ds = dataset(
        [person("P1", required_skills=frozenset({"polish", "welsh"}))],
        [officer("O1"), officer("O2")],
    )
    start, end = date(2027, 1, 4), date(2027, 1, 8)
    (req,) = requirements(ds, start, end)
    why = blocking_reason(req, start, end, lambda _d: list(ds.officers), "prefer")
    assert why is not None and "no officer with skill polish;welsh on duty" in why, why
