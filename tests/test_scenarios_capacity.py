"""The capacity search: deterministic counts, a stated tolerance, monotone reporting, what binds."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from rso_scheduler.demand import requirements
from rso_scheduler.ingest import load_dataset
from rso_scheduler.models import Dataset
from rso_scheduler.scenario_report import capacity_findings, capacity_html, terminal_capacity
from rso_scheduler.scenarios import (
    CapacityPoint,
    CapacityResult,
    RunOptions,
    Scenario,
    capacity_curve,
    capacity_search,
    late_tolerance,
    visit_needs,
)
from rso_scheduler.synth import generate, write_dataset

START = date(2027, 1, 1)
GREEDY = RunOptions(planner="greedy", time_limit_s=5, today=date(2026, 12, 31))


@pytest.fixture(scope="module")
def generated_team(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """`rso generate --offenders 300 --officers 8` for a January plan (backlog, windows, skills)."""
    folder = tmp_path_factory.mktemp("team")
    write_dataset(folder, generate(300, 8, 1, START, as_of=date(2026, 11, 30)))
    return load_dataset(folder, today=date(2026, 12, 31))


def _scenario(seed: int, months: int = 2) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "team",
            "data": Path("/nonexistent"),
            "start": START,
            "months": months,
            "seed": seed,
        }
    )


def test_same_answer_on_three_seeds_and_a_monotone_pass_fail_curve(generated_team: Dataset):
    """Seeds 1, 2 and 3 give the same answer and figures; every count below fails, above passes."""
    results = [capacity_search(_scenario(seed), generated_team, GREEDY) for seed in (1, 2, 3)]
    answers = {r.answer for r in results}
    assert len(answers) == 1 and results[0].answer is not None
    assert results[0].points == results[1].points == results[2].points
    first = results[0]
    assert first.allowed_late_days == late_tolerance(first.point(8).visits_due)  # type: ignore[union-attr]
    counts = list(range(8, first.answer + 4))
    curve = capacity_curve(_scenario(1), generated_team, GREEDY, counts, first.allowed_late_days)
    passes = [p.enough for p in curve]
    assert passes == sorted(passes), list(
        zip(counts, passes, strict=True)
    )  # fail ... fail pass ...
    assert passes.index(True) == counts.index(first.answer)
    searched = {p.officers: p for p in first.points}
    for p in curve:  # the search's figures for a count are the curve's (the first probe,
        # planned in full to set the tolerance, aside)
        if p.officers in searched and searched[p.officers].months_planned == p.months_planned:
            assert searched[p.officers] == p


def test_tolerance_is_stated_and_a_failing_count_stops_early(generated_team: Dataset):
    """The printed findings state the tolerance; a count that fails in month 1 is not planned on."""
    res = capacity_search(_scenario(1), generated_team, GREEDY)
    text = terminal_capacity(res)
    assert f"Tolerance: avoidable late days <= {res.allowed_late_days} over the 2 months" in text
    assert "2% of the" in text
    worst = next(p for p in res.points if p.officers != res.baseline_officers)
    assert not worst.enough and worst.months_planned == 1 and len(worst.months) == 1
    assert res.point(res.answer).months_planned == 2  # type: ignore[union-attr]
    assert f"{res.answer - 1} officers: " in text and "fails in 2027-01" in text  # type: ignore[operator]


def _pt(n: int, late: int, enough: bool, **kw: object) -> CapacityPoint:
    fields: dict[str, object] = {
        "officers": n,
        "visits_due": 100,
        "missed": 0,
        "avoidable_missed": 0,
        "risk_weighted_missed": 0,
        "late": late,
        "late_days": late,
        "avoidable_late_days": late,
        "utilisation": 0.2,
        "enough": enough,
        "months_planned": 1,
    }
    return CapacityPoint(**{**fields, **kw})  # type: ignore[arg-type]


def test_a_failing_count_above_the_answer_is_called_the_planner():
    """A count above a passing one that fails is reported as the planner, not the staffing."""
    res = CapacityResult(
        scenario="s",
        baseline_officers=10,
        answer=10,
        points=[_pt(9, 9, False), _pt(10, 2, True), _pt(11, 4, False), _pt(12, 1, True)],
        min_officers=1,
        max_officers=40,
        allowed_late_days=3,
        months=1,
    )
    assert [res.verdict(p) for p in res.points] == ["not enough", "enough", "planner", "enough"]
    text = "\n".join(capacity_findings(res))
    assert "11 officers fail although 10 are enough: that is the planner, not the staffing" in text


def test_what_binds_when_more_officers_do_not_help():
    """With the figures flat above the answer, the findings name what the late visits need."""
    needs = (("evening window 17:30-20:30", 3), ("skill polish", 1))
    flat = [_pt(n, 2, True, needs=needs, areas=(("Reading", 4),)) for n in (10, 11, 12, 14, 18)]
    res = CapacityResult("s", 10, 10, flat, 1, 40, allowed_late_days=3, months=1)
    assert res.flat
    text = "\n".join(capacity_findings(res))
    assert "More officers stop helping: with 18 (the most tried) 2 avoidable late days" in text
    assert (
        "need (visits): evening window 17:30-20:30 (3), skill polish (1); areas: Reading (4)"
        in text
    )


def test_visit_needs_names_window_skill_and_area(generated_team: Dataset):
    """visit_needs says an evening window, a skill and a strict area in words."""
    reqs = requirements(generated_team, START, date(2027, 1, 31))
    evening = next(r for r in reqs if r.window_start_min and r.window_start_min >= 16 * 60)
    assert visit_needs(evening, False).startswith("evening window ")
    skilled = next(r for r in reqs if r.skills)
    assert "skill " in visit_needs(skilled, False)
    assert f"strict area {skilled.area}" in visit_needs(skilled, True)
    plain = next(r for r in reqs if not r.skills and r.window_start_min is None)
    assert visit_needs(plain, False).startswith("nothing special")


def test_deciding_chart_is_scaled_to_the_deciding_figure():
    """The first chart's y-axis tops out near the avoidable late days and tolerance, not total lateness."""
    pts = [
        _pt(9, 5, False, late_days=2900),
        _pt(10, 2, True, late_days=2800),
    ]
    res = CapacityResult("s", 10, 10, pts, 1, 40, allowed_late_days=3, months=1)
    page = capacity_html(res)
    first_svg = page[page.index("<svg") : page.index("</svg>")]
    ticks = [int(t) for t in re.findall(r'text-anchor="end">(\d+)</text>', first_svg)]
    assert max(ticks) <= 10
    assert "tolerance: 3 late days" in first_svg


@pytest.mark.slow
def test_optimiser_gives_the_same_answer_on_three_seeds(generated_team: Dataset):
    """The optimiser's capacity answer on the generated team does not change with the seed."""
    opts = RunOptions(planner="optimised", time_limit_s=20, workers=1, today=date(2026, 12, 31))
    results = [capacity_search(_scenario(seed, 1), generated_team, opts) for seed in (1, 2, 3)]
    assert len({r.answer for r in results}) == 1 and results[0].answer is not None
    for r in results:
        below = [p for p in r.points if p.officers < r.answer]  # type: ignore[operator]
        assert not any(p.enough for p in below)
