"""The greedy baseline: valid rosters by the independent checker, and its simple rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from rso_scheduler.calendar import bank_holidays
from rso_scheduler.check import check_plan
from rso_scheduler.models import Absence, Dataset, VisitKind
from rso_scheduler.outputs.files import staged_output
from rso_scheduler.outputs.roster_files import read_roster, write_plan
from rso_scheduler.policy import Policy, apply_overrides
from rso_scheduler.roster import PlanResult
from rso_scheduler.solver import PlanOptions, greedy_plan
from tests.solver_helpers import JAN, READING, dataset, officer, person, straight_min


def plan(ds: Dataset, start: date = JAN[0], end: date = JAN[1], **options: Any) -> PlanResult:
    return greedy_plan(ds, start, end, PlanOptions(**options))


def assert_valid(ds: Dataset, result: PlanResult, tmp_path: Path) -> None:
    """Write the plan and run the independent checker on the files."""
    out = tmp_path / "out"
    with staged_output(out) as stage:
        write_plan(stage, ds, result, {"solver": "greedy"})
    violations = check_plan(ds, read_roster(out), work_bank_holidays=result.work_bank_holidays)
    assert violations == [], "\n".join(map(str, violations))


def test_tiny_team_roster_is_valid(tmp_path: Path) -> None:
    """A mixed caseload with windows, skills, one-officer visits and absences passes the checker."""
    people = [
        person("P1", "very_high", offender_manager_id="A", last_visit_date=date(2026, 12, 10)),
        person("P2", "high", offender_manager_id="A", lat=51.47, lon=-0.99),
        person(
            "P3",
            "medium",
            offender_manager_id="B",
            window_start_min=17 * 60 + 30,
            window_end_min=20 * 60 + 30,
        ),
        person(
            "P4",
            "low",
            offender_manager_id="B",
            two_officers=False,
            last_visit_date=date(2025, 12, 15),
        ),
        person(
            "P6",
            "high",
            offender_manager_id="C",
            lat=51.51,
            lon=-0.59,
            area="Slough",
            required_skills=frozenset({"polish"}),
        ),
        person(
            "P8",
            "very_high",
            offender_manager_id="C",
            lat=51.52,
            lon=-0.61,
            area="Slough",
            last_visit_date=None,
            registered_on=date(2026, 12, 1),
            visit_interval_days=7,
        ),
    ]
    officers = [
        officer("A", skills=frozenset({"arms_trained"})),
        officer("B", shift_start_min=14 * 60, shift_end_min=22 * 60, skills=frozenset({"female"})),
        officer(
            "C",
            51.511,
            -0.595,
            area="Slough",
            working_days=frozenset({0, 1, 2, 3}),
            max_visits_per_day=4,
            skills=frozenset({"polish"}),
        ),
        officer("D", 51.511, -0.595, area="Slough"),
    ]
    ds = dataset(
        people,
        officers,
        absences=(Absence(officer_id="D", start=date(2027, 1, 11), end=date(2027, 1, 15)),),
    )
    result = plan(ds)
    assert result.visits and result.visits_due == len(result.visits) + len(result.unscheduled)
    assert_valid(ds, result, tmp_path)  # fmt: skip


def test_manager_and_nearest_colleague() -> None:
    """The crew is the named offender manager plus the colleague with the nearest base."""
    ds = dataset(
        [person("P1", offender_manager_id="A")],
        [officer("A"), officer("FAR", 51.75, -1.25), officer("NEAR", 51.46, -0.97)],
    )
    (v,) = plan(ds).visits
    assert v.officer_ids == ("A", "NEAR")
    assert v.date == date(2027, 1, 4)  # 1 Jan is a bank holiday, 2-3 Jan a weekend


def test_manager_absent_uses_others() -> None:
    """When the manager cannot go, available officers make the visit on the first possible day."""
    ds = dataset(
        [person("P1", offender_manager_id="A")],
        [officer("A"), officer("B"), officer("C")],
        absences=(Absence(officer_id="A", start=date(2027, 1, 1), end=date(2027, 1, 31)),),
    )
    (v,) = plan(ds).visits
    assert set(v.officer_ids) == {"B", "C"} and v.date == date(2027, 1, 4)


def test_earliest_due_first_takes_the_only_slot() -> None:
    """With room for one visit, the person due earliest gets it and the other is unscheduled."""
    people = [
        person("LATER", "very_high", last_visit_date=date(2026, 12, 1)),
        person("FIRST", "low", last_visit_date=date(2025, 11, 1), two_officers=True),
    ]
    ds = dataset(people, [officer("A", max_visits_per_day=1), officer("B", max_visits_per_day=1)])
    result = plan(ds, date(2027, 1, 4), date(2027, 1, 4))
    assert [v.offender_id for v in result.visits] == ["FIRST"]
    (u,) = result.unscheduled
    assert u.offender_id == "LATER" and u.reason.startswith("capacity")


def test_chained_weekly_visits() -> None:
    """A 7-day interval chains visits: each due 7 days after the previous planned date."""
    ds = dataset(
        [person("W", "very_high", visit_interval_days=7, last_visit_date=date(2026, 12, 30))],
        [officer("A"), officer("B")],
    )
    visits = sorted(plan(ds).visits, key=lambda v: v.date)
    assert len(visits) >= 4
    assert [v.seq for v in visits] == list(range(len(visits)))
    for a, b in zip(visits, visits[1:], strict=False):
        assert b.due_date == a.date.fromordinal(a.date.toordinal() + 7)
        assert (b.date - a.date).days >= 4  # half of 7, rounded up


def test_visits_due_after_the_plan_are_not_pulled_forward() -> None:
    """A visit due after the plan ends is left alone even with spare capacity."""
    ds = dataset(
        [person("P", "medium", last_visit_date=date(2026, 8, 20))], [officer("A"), officer("B")]
    )
    result = plan(ds)
    assert result.visits == [] and result.unscheduled == [] and result.visits_due == 0


def test_unscheduled_reasons_are_plain() -> None:
    """Each cause of an unscheduled visit is named in plain English."""
    people = [
        person("SKILL", required_skills=frozenset({"welsh"})),
        person("AWAY", unavailable_from=date(2026, 12, 20), unavailable_to=date(2027, 2, 10)),
        person("NIGHT", window_start_min=22 * 60, window_end_min=23 * 60 + 30),
    ]
    ds = dataset(people, [officer("A"), officer("B")])
    reasons = {u.offender_id: u.reason for u in plan(ds).unscheduled}
    # the optimiser's wording: both planners share one diagnosis (solver/diagnose.py)
    assert (
        reasons["SKILL"] == "no officer with skill welsh on duty between 2027-01-01 and 2027-01-31"
    )
    assert reasons["AWAY"] == "person unavailable from 2026-12-20 to 2027-02-10"
    assert reasons["NIGHT"] == "window 22:00-23:30 is not covered by the shift 08:00-16:00"
    strict = dataset(
        [person("S", area="Banbury")],
        [officer("A"), officer("B")],
        apply_overrides(Policy(), {"areas.mode": "strict"}),
    )
    assert (
        plan(strict)
        .unscheduled[0]
        .reason.startswith("strict area: no officer of area Banbury on duty")
    )
    alone = dataset([person("L")], [officer("A")])
    assert (
        plan(alone)
        .unscheduled[0]
        .reason.startswith("needs two officers but never two on duty the same day")
    )


def test_one_skill_holder_far_away_is_found() -> None:
    """A visit needing a skill only a distant officer holds is still planned with that officer."""
    officers = [officer(f"O{i}") for i in range(6)] + [
        officer("POL", 51.75, -1.25, skills=frozenset({"polish"}))
    ]
    ds = dataset(
        [person("P", offender_manager_id="O0", required_skills=frozenset({"polish"}))], officers
    )
    (v,) = plan(ds).visits
    assert "POL" in v.officer_ids and "O0" in v.officer_ids


def test_kinds_most_serious_unannounced() -> None:
    """The unannounced share goes to the most serious visits first."""
    people = [
        person(f"P{i}", risk, last_visit_date=date(2025, 6, 1))
        for i, risk in enumerate(["low", "very_high", "medium", "high"])
    ]
    ds = dataset(people, [officer("A"), officer("B")])
    kinds = {v.risk_level.value: v.kind for v in plan(ds).visits}
    assert kinds == {
        "very_high": VisitKind.unannounced,
        "high": VisitKind.unannounced,
        "medium": VisitKind.announced,
        "low": VisitKind.announced,
    }


def test_bank_holidays_off_unless_allowed() -> None:
    """No visit on a bank holiday by default; with work_bank_holidays the first one is used."""
    ds = dataset(
        [person("P")],
        [
            officer("A", working_days=frozenset(range(7))),
            officer("B", working_days=frozenset(range(7))),
        ],
    )
    assert plan(ds).visits[0].date == date(2027, 1, 2)
    assert date(2027, 1, 1) in bank_holidays(*JAN)
    assert plan(ds, work_bank_holidays=True).visits[0].date == date(2027, 1, 1)  # fmt: skip


def test_routes_per_officer_day_and_travel() -> None:
    """Routes are one per officer-day, crew_id is the officer, travel is base to visits to base."""
    ds = dataset([person("P1", lat=51.47), person("P2", lat=51.48)], [officer("A"), officer("B")])
    result = plan(ds)
    assert {(r.crew_id, r.date) for r in result.routes} == {
        ("A", date(2027, 1, 4)),
        ("B", date(2027, 1, 4)),
    }
    route = next(r for r in result.routes if r.crew_id == "A")
    p = ds.offender_by_id()
    stops = (
        [READING]
        + [
            (p[v.offender_id].lat, p[v.offender_id].lon)
            for v in sorted(result.visits, key=lambda v: v.start_min)
        ]
        + [READING]
    )
    assert route.travel_min == sum(
        straight_min(*a, *b, ds.policy.travel) for a, b in zip(stops, stops[1:], strict=False)
    )
    assert result.travel_min == 2 * route.travel_min  # fmt: skip


def test_deterministic() -> None:
    """The same inputs give the same roster."""
    people = [
        person(f"P{i}", ["very_high", "high", "medium", "low"][i % 4], lat=51.4 + i / 100)
        for i in range(20)
    ]
    ds = dataset(people, [officer("A"), officer("B"), officer("C", 51.5, -0.9)])
    assert plan(ds).visits == plan(ds).visits
