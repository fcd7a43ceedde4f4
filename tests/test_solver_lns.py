"""Ruin and recreate (solver/lns.py): clusters re-made, never more lateness, issued visits stay."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rso_scheduler.demand import requirements
from rso_scheduler.ingest import load_dataset
from rso_scheduler.solver import lns
from rso_scheduler.solver import optimise as optimise_module
from rso_scheduler.solver.crews import form_crews
from rso_scheduler.solver.improve import _cont, _late_of, _route_cost
from rso_scheduler.solver.problem import Problem, build_problem
from rso_scheduler.solver.routing import Stop
from rso_scheduler.solver.state import State
from rso_scheduler.solver.work import WorkBudget
from tests.solver_helpers import JAN, assert_valid, dataset, officer, person, run

MON, TUE = date(2027, 1, 4), date(2027, 1, 5)
NORTH = [(51.56, -0.97), (51.565, -0.975)]  # two people about 11 km north of Reading
SOUTH = [(51.36, -0.97), (51.355, -0.965)]  # ... and two about 11 km south


def _objective(prob: Problem, st: State) -> tuple[int, int]:
    """(risk-weighted days late, travel + continuity penalty) of a state, as lns.py counts it."""
    late = sum(_late_of(prob, st, k) for k in st.crew_of)
    cost = sum(_cont(prob, st.person_of[k], c) for k, c in st.crew_of.items())
    work = WorkBudget(10**12, float("inf"))
    for ci, order in st.stops.items():
        c = _route_cost(prob, ci, order, work)
        assert c is not None
        cost += c
    return late, cost


def _mixed_days() -> tuple[Problem, State, dict[str, int]]:
    """One crew, two visits a day at most, four equally overdue people: Monday and Tuesday each
    hold one northern and one southern visit (two long trips a day)."""
    coords = NORTH + SOUTH
    people = [person(f"P{i}", lat=la, lon=lo) for i, (la, lo) in enumerate(coords)]
    offs = [officer("A", max_visits_per_day=2), officer("B", max_visits_per_day=2)]
    ds = dataset(people, offs)
    reqs = requirements(ds, *JAN)
    crews = form_crews(offs, (), *JAN, {})
    prob = build_problem(*JAN, ds.policy, reqs, crews, offs)
    st = State(prob)
    by_day = {c.day: c for c in crews}
    index = {r.offender_id: p for p, r in enumerate(reqs)}
    stops: dict[str, Stop] = {pid: st.new_stop(index[pid]) for pid in ("P0", "P1", "P2", "P3")}
    for day, pids in ((MON, ("P0", "P2")), (TUE, ("P1", "P3"))):
        ci = by_day[day].index
        st.stops[ci] = []
        for pid in pids:
            st.add(ci, index[pid], st.stops[ci] + [stops[pid]])
    return prob, st, {pid: s.key for pid, s in stops.items()}


def test_neighbours_nearest_first() -> None:
    """Each visit's neighbours are the others, nearest first."""
    pts = [(0, 51.0, 0.0), (1, 51.01, 0.0), (2, 51.05, 0.0), (3, 51.5, 0.0)]
    stops = {k: Stop(k, la, lo, 60, 0, 24 * 60) for k, la, lo in pts}
    near = lns.neighbours([0, 1, 2, 3], stops, 2)
    assert near == {0: [1, 2], 1: [0, 2], 2: [1, 0], 3: [2, 1]}
    assert lns.neighbours([5], {5: stops[0]}, 3) == {5: []}


def test_equally_overdue_visits_trade_days_to_stay_near() -> None:
    """Two long trips a day become one trip north and one south: the four overdue visits of
    equal risk trade days, so the days late stay the same and travel falls."""
    prob, st, key = _mixed_days()
    before = _objective(prob, st)
    counts = lns.ruin_recreate(prob, st, WorkBudget(2_000_000, float("inf")), seed=1)
    after = _objective(prob, st)
    assert counts["lns_improved"] >= 1
    assert after[0] == before[0] and after[1] < before[1]
    day = {pid: prob.crews[st.crew_of[k]].day_index for pid, k in key.items()}
    assert day["P0"] == day["P1"] and day["P2"] == day["P3"] and day["P0"] != day["P2"]
    assert sorted(st.crew_of) == sorted(key.values())  # every visit placed once


def test_same_result_from_the_same_seed() -> None:
    """Two searches from the same roster and seed end in the same roster."""
    results = []
    for _ in range(2):
        prob, st, _key = _mixed_days()
        lns.ruin_recreate(prob, st, WorkBudget(300_000, float("inf")), seed=5)
        results.append({c: [s.key for s in o] for c, o in st.stops.items() if o})
    assert results[0] == results[1]


def test_issued_visits_are_never_taken_out() -> None:
    """A re-plan's kept and pinned visits stay on their crew-day."""
    prob, st, key = _mixed_days()
    st.kept.add(key["P0"])
    st.frozen.add(key["P3"])
    where = {k: st.crew_of[k] for k in (key["P0"], key["P3"])}
    lns.ruin_recreate(prob, st, WorkBudget(2_000_000, float("inf")), seed=1)
    assert {k: st.crew_of[k] for k in where} == where


def test_counted_work_bounds_the_search() -> None:
    """The search stops at its counted work and says it did not converge."""
    prob, st, _key = _mixed_days()
    work = WorkBudget(50, float("inf"))
    counts = lns.ruin_recreate(prob, st, work, seed=1)
    assert work.work_done and counts["lns_converged"] == 0
    assert counts["lns_tries"] >= 1


def test_plan_never_worse_after_the_search(tmp_path: Path, monkeypatch: Any) -> None:
    """On a generated team month the search never raises lateness or travel plus continuity,
    keeps every visit, leaves issued visits alone, and the roster passes the checker."""
    from rso_scheduler.synth import generate, write_dataset

    write_dataset(tmp_path / "synth", generate(300, 8, 2, JAN[0]))
    ds = load_dataset(tmp_path / "synth", today=date(2026, 12, 31))
    seen: list[tuple[tuple[int, int], tuple[int, int], int]] = []

    def checked(prob: Problem, st: State, work: WorkBudget, seed: int) -> dict[str, int]:
        trial = copy.deepcopy(st)  # issued visits: half the roster marked kept, on a copy
        trial.kept.update(sorted(trial.crew_of)[::2])
        where = {k: trial.crew_of[k] for k in trial.kept}
        lns.ruin_recreate(prob, trial, WorkBudget(work.limit, float("inf")), seed)
        assert {k: trial.crew_of[k] for k in where} == where
        keys = sorted(st.crew_of)
        before = _objective(prob, st)
        counts = lns.ruin_recreate(prob, st, work, seed)
        seen.append((before, _objective(prob, st), counts["lns_improved"]))
        assert sorted(st.crew_of) == keys
        assert sorted(s.key for o in st.stops.values() for s in o) == keys
        return counts

    monkeypatch.setattr(optimise_module, "ruin_recreate", checked)
    res = run(ds, time_limit_s=10.0, seed=3)
    ((before, after, improved),) = seen
    assert after <= before
    assert (after < before) == (improved > 0)
    assert res.stats["lns_stopped_by"] in ("converged", "work limit")
    assert_valid(ds, res, tmp_path)


@pytest.mark.parametrize("limit", [0.5, 5.0])
def test_summary_reports_the_search(limit: float) -> None:
    """The plan's statistics say how the search went, whatever the budget."""
    ds = dataset([person("P0"), person("P1", lat=51.5)], [officer("A"), officer("B")])
    stats = run(ds, time_limit_s=limit).stats
    assert stats["lns_evaluation_limit"] >= 1 and stats["lns_evaluations"] >= 0
    assert stats["lns_stopped_by"] in ("converged", "work limit")
    assert stats["lns_tries"] >= 0 and stats["lns_taken"] >= stats["lns_improved"] >= 0
