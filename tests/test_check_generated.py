"""Generated instances: every planner's roster passes the independent checker.

Hypothesis builds many small teams straight from the models (no files): windows, skills,
absences, 7-day intervals, every status, and extremes (nobody available, everyone overdue,
one officer holding a needed skill, windows no shift covers). Each plan is written with
`write_plan`, read back with `read_roster` and checked; any violation fails the test.
"""

from __future__ import annotations

import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rso_scheduler.solver as solvers
from rso_scheduler.check import check_plan
from rso_scheduler.models import (
    Absence,
    Dataset,
    Offender,
    Officer,
    Outcome,
    RiskLevel,
    Status,
    VisitRecord,
)
from rso_scheduler.outputs.files import staged_output
from rso_scheduler.outputs.roster_files import read_roster, write_plan
from rso_scheduler.policy import Policy, apply_overrides
from rso_scheduler.roster import PlanResult
from rso_scheduler.solver import PlanOptions, greedy_plan

SKILLS = ("polish", "female", "welsh")
AREAS = ("Reading", "Reading", "Reading", "Slough", None)
DAY0 = date(2026, 12, 14)  # plans start within ~5 months of this, so Christmas and Easter occur


def _officers(rng: random.Random, n: int) -> list[Officer]:
    out = []
    for i in range(n):
        start = rng.choice([6 * 60, 8 * 60, 8 * 60, 10 * 60 + 30, 14 * 60])
        days = rng.choice([range(5), range(7), range(4), rng.sample(range(7), rng.randint(0, 7))])
        out.append(
            Officer(
                officer_id=f"O{i}",
                base_lat=rng.uniform(51.35, 51.6),
                base_lon=rng.uniform(-1.2, -0.6),
                area=rng.choice(AREAS),
                working_days=frozenset(days),
                shift_start_min=start,
                shift_end_min=min(24 * 60, start + rng.choice([4 * 60, 8 * 60, 8 * 60, 10 * 60])),
                max_visits_per_day=rng.choice([None, None, 0, 1, 2, 4]),
                skills=frozenset(rng.sample(SKILLS, rng.choice([0, 0, 1, 1, 2]))),
            )
        )
    return out


def _people(rng: random.Random, n: int, start: date, everyone_overdue: bool) -> list[Offender]:
    def when(p_none: float) -> date | None:
        return None if rng.random() < p_none else start + timedelta(days=rng.randint(-800, 25))

    out = []
    for i in range(n):
        ws = we = None
        if rng.random() < 0.2:
            ws = rng.randint(0, 22 * 60)
            we = min(24 * 60, ws + rng.randint(60, 300))
        away_from = away_to = None
        if rng.random() < 0.15:
            away_from = start + timedelta(days=rng.randint(-10, 40))
            away_to = away_from + timedelta(days=rng.randint(0, 40))
        out.append(
            Offender(
                offender_id=f"P{i}",
                risk_level=rng.choice(list(RiskLevel)),
                lat=rng.uniform(51.35, 51.6),
                lon=rng.uniform(-1.2, -0.6),
                offender_manager_id=rng.choice([None, "O0", "O1", "O2", "NOBODY"]),
                area=rng.choice(AREAS),
                status=rng.choice([Status.active] * 6 + list(Status)),
                last_visit_date=start - timedelta(days=400) if everyone_overdue else when(0.3),
                registered_on=when(0.5),
                released_on=when(0.8),
                address_changed_on=when(0.8),
                visit_interval_days=rng.choice([None, None, None, 7, 7, 10, 30, 200]),
                two_officers=rng.choice([None, None, True, False]),
                window_start_min=ws,
                window_end_min=we,
                unavailable_from=away_from if rng.random() < 0.9 else None,
                unavailable_to=away_to,
                visit_minutes=rng.choice([None, None, rng.randint(20, 150)]),
                required_skills=frozenset(rng.sample(SKILLS, 1))
                if rng.random() < 0.25
                else frozenset(),
            )
        )
    return out


@st.composite
def instances(draw: st.DrawFn, max_people: int = 10) -> tuple[Dataset, date, date, bool]:
    """A small team, its caseload and history, a policy, and a plan period.

    Hypothesis draws a seed and the shape; the details come from a seeded generator, which
    gives far more varied teams per example than drawing every field through Hypothesis.
    """
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    start = DAY0 + timedelta(days=rng.randint(0, 150))
    end = start + timedelta(days=rng.choice([27, 30, 13, 6, 0]))
    # mostly workable teams; some extremes (nobody, or a lone officer)
    team = _officers(rng, rng.choice([3, 4, 5, 6, 2, 0, 1, 4, 5, 3]))
    caseload = _people(rng, rng.randint(0, max_people), start, rng.random() < 0.2)
    absences = []
    for o in team:
        for _ in range(rng.randint(0, 2)):
            a = start + timedelta(days=rng.randint(-5, 30))
            absences.append(
                Absence(
                    officer_id=o.officer_id, start=a, end=a + timedelta(days=rng.randint(0, 10))
                )
            )
    history = [
        VisitRecord(
            offender_id=p.offender_id,
            date=start - timedelta(days=rng.randint(1, 400)),
            outcome=rng.choice(list(Outcome)),
        )
        for p in caseload
        for _ in range(rng.randint(0, 2))
    ]
    policy = apply_overrides(
        Policy(),
        {
            "areas.mode": rng.choice(["strict", "prefer", "prefer", "ignore"]),
            "visits.unannounced_share": rng.choice([0.0, 0.5, 1.0]),
            "visits.first_visit_days": rng.randint(0, 20),
            "risk.high.window_days": rng.randint(0, 40),
            "risk.low.two_officers": rng.random() < 0.5,
        },
    )
    ds = Dataset(
        offenders=tuple(caseload),
        officers=tuple(team),
        absences=tuple(absences),
        visits=tuple(history),
        policy=policy,
    )
    return ds, start, end, draw(st.booleans())


def assert_checks(ds: Dataset, result: PlanResult) -> None:
    """Write, read back, and check: no violations."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        with staged_output(out) as stage:
            write_plan(stage, ds, result, {"solver": "test"})
        found = check_plan(ds, read_roster(out), work_bank_holidays=result.work_bank_holidays)
    assert found == [], "\n".join(map(str, found))


QUICK = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(instances())
def test_greedy_rosters_pass_the_checker(inst: tuple[Dataset, date, date, bool]) -> None:
    """Greedy rosters of generated teams break no contract rule."""
    ds, start, end, bank = inst
    assert_checks(ds, greedy_plan(ds, start, end, PlanOptions(work_bank_holidays=bank)))


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_people=8))
def test_optimiser_rosters_pass_the_checker(inst: tuple[Dataset, date, date, bool]) -> None:
    """Optimised rosters of generated teams (tiny time limit) break no contract rule."""
    ds, start, end, bank = inst
    plan = solvers.plan
    assert_checks(
        ds, plan(ds, start, end, PlanOptions(time_limit_s=2, work_bank_holidays=bank, seed=1))
    )


def test_extremes_pass_the_checker() -> None:
    """Nobody available, one skill holder, windows no shift covers: still valid, honestly listed."""
    start, end = date(2027, 1, 1), date(2027, 1, 31)
    person = dict(risk_level=RiskLevel.high, lat=51.46, lon=-0.98, last_visit_date=date(2025, 1, 1))
    caseload = (
        Offender(offender_id="SKILL", required_skills=frozenset({"polish"}), **person),
        Offender(offender_id="NIGHT", window_start_min=23 * 60, window_end_min=24 * 60, **person),
        Offender(offender_id="WEEKLY", visit_interval_days=7, **person),
    )
    holder = Officer(officer_id="POL", base_lat=51.7, base_lon=-1.3, skills=frozenset({"polish"}))
    team = (Officer(officer_id="A", base_lat=51.45, base_lon=-0.97), holder)
    for officers_ in ((), team, team[:1]):
        ds = Dataset(offenders=caseload, officers=officers_, policy=Policy())
        result = greedy_plan(ds, start, end, PlanOptions())
        assert_checks(ds, result)
        assert "NIGHT" in {u.offender_id for u in result.unscheduled}
        if len(officers_) == 2:
            assert any(v.offender_id == "SKILL" and "POL" in v.officer_ids for v in result.visits)


@pytest.mark.slow
@MANY
@given(instances(max_people=25))
def test_greedy_many_instances(inst: tuple[Dataset, date, date, bool]) -> None:
    """Many more, larger generated teams: greedy rosters break no rule."""
    ds, start, end, bank = inst
    assert_checks(ds, greedy_plan(ds, start, end, PlanOptions(work_bank_holidays=bank)))


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_people=15))
def test_optimiser_many_instances(inst: tuple[Dataset, date, date, bool]) -> None:
    """Many more generated teams: optimised rosters break no rule."""
    ds, start, end, bank = inst
    plan = solvers.plan
    assert_checks(
        ds, plan(ds, start, end, PlanOptions(time_limit_s=3, work_bank_holidays=bank, seed=2))
    )


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["greedy", "optimised"])
def test_force_size_instance(tmp_path: Path, solver: str) -> None:
    """A force-size synthetic month (2,000 people, 40 officers) passes the checker."""
    synth = pytest.importorskip("rso_scheduler.synth")
    from rso_scheduler.ingest import load_dataset

    start, end = date(2027, 1, 1), date(2027, 1, 31)
    data = tmp_path / "data"
    synth.write_dataset(data, synth.generate(2000, 40, seed=7, start=start))
    ds = load_dataset(data, today=start - timedelta(days=1))
    plan = greedy_plan if solver == "greedy" else solvers.plan
    result = plan(ds, start, end, PlanOptions(time_limit_s=60, seed=7))
    assert result.visits
    assert_checks(ds, result)
