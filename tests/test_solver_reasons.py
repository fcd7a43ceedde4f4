"""True reasons: "capacity" only where a bound shows the crews full, else the planner's failure."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rso_scheduler.solver import dayroute, optimise
from tests.solver_helpers import assert_valid, dataset, officer, person, run

MONDAY = date(2027, 1, 4)


def _three_people() -> Any:
    people = [person(f"P{i}", lat=51.46 + 0.004 * i) for i in range(3)]
    return dataset(people, [officer("A"), officer("B")])


def _out_of_reach(monkeypatch: pytest.MonkeyPatch, prob_person: str, day_too: bool = True) -> None:
    """Every way the optimiser places a visit skips `prob_person` (the planner fails it);
    `day_too=False` leaves it to the whole-day re-route (dayroute.py)."""
    real_cands = optimise.build_candidates
    real_insert = optimise._try_insert
    real_room = optimise._make_room
    real_day = dayroute._candidates

    def pid(prob: Any, p: int) -> str:
        return str(prob.reqs[p].offender_id)

    def cands(prob: Any, forbidden: Any) -> Any:
        return [
            c
            for c in real_cands(prob, forbidden)
            if pid(prob, prob.slots[c.slot].person) != prob_person
        ]

    def insert(prob: Any, st: Any, p: int, *a: Any, **k: Any) -> bool:
        return False if pid(prob, p) == prob_person else real_insert(prob, st, p, *a, **k)

    def room(prob: Any, st: Any, p: int, work: Any) -> bool | None:
        return False if pid(prob, p) == prob_person else real_room(prob, st, p, work)

    def day_cands(prob: Any, st: Any, day: int) -> list[int]:
        return [p for p in real_day(prob, st, day) if pid(prob, p) != prob_person]

    monkeypatch.setattr(optimise, "build_candidates", cands)
    monkeypatch.setattr(optimise, "_try_insert", insert)
    monkeypatch.setattr(optimise, "_make_room", room)
    if day_too:
        monkeypatch.setattr(dayroute, "_candidates", day_cands)


def test_feasible_roster_missing_visit_is_not_capacity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day that holds all three visits (a checked roster shows it) never calls a planner miss capacity."""
    ds = _three_people()
    full = run(ds, MONDAY, MONDAY)
    assert sorted(v.offender_id for v in full.visits) == ["P0", "P1", "P2"]
    assert_valid(ds, full, tmp_path / "full")  # the known feasible roster
    _out_of_reach(monkeypatch, "P2")
    res = run(ds, MONDAY, MONDAY)
    assert [u.offender_id for u in res.unscheduled] == ["P2"]
    reason = res.unscheduled[0].reason
    assert reason.startswith("the planner could not fit it into the 1 eligible crew-days"), reason
    assert "capacity" not in reason


def test_capacity_said_where_minutes_bound_proves_it(tmp_path: Path) -> None:
    """Three 200-minute visits for one 480-minute crew-day: the third is capacity, with the proof."""
    people = [person(f"P{i}", lat=51.46 + 0.004 * i, visit_minutes=200) for i in range(3)]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds, MONDAY, MONDAY)
    assert len(res.visits) == 2 and len(res.unscheduled) == 1
    reason = res.unscheduled[0].reason
    assert reason.startswith("capacity: all 1 eligible crew-days full"), reason
    assert "480 working minutes cannot hold the 600 minutes" in reason
    assert_valid(ds, res, tmp_path)


def test_capacity_said_where_visit_caps_prove_it() -> None:
    """One visit a day for each officer and two people: the second is capacity (the cap is the proof)."""
    people = [person(f"P{i}", lat=51.46 + 0.004 * i) for i in range(2)]
    offs = [officer("A", max_visits_per_day=1), officer("B", max_visits_per_day=1)]
    res = run(dataset(people, offs), MONDAY, MONDAY)
    assert len(res.unscheduled) == 1
    assert "they can make 1 visits; 2 are visits only they can make" in res.unscheduled[0].reason


def test_day_reroute_places_what_the_moves_missed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visit the assignment and repairs skip is placed by re-routing the day together."""
    ds = _three_people()
    _out_of_reach(monkeypatch, "P2", day_too=False)
    res = run(ds, MONDAY, MONDAY)
    assert sorted(v.offender_id for v in res.visits) == ["P0", "P1", "P2"]
    assert res.stats["dayroute_placed"] == 1 and not res.unscheduled
    assert_valid(ds, res, tmp_path)


def test_unannounced_avoids_the_previous_weekday() -> None:
    """A very high visit on its previous visit's weekday is announced; a varied low one takes the share."""
    from types import SimpleNamespace

    from rso_scheduler.models import RiskLevel
    from rso_scheduler.policy import Policy
    from rso_scheduler.solver.unannounced import choose_unannounced

    def req(pid: str, risk: str, weekday: int) -> SimpleNamespace:
        return SimpleNamespace(
            offender_id=pid, risk_level=RiskLevel(risk), prev_weekday=weekday, prev_start_min=600
        )

    prob = SimpleNamespace(policy=Policy(), reqs=[req("VH", "very_high", 0), req("LO", "low", 3)])
    drafts = [
        {"person": 0, "date": MONDAY, "start": 600, "key": 0},  # Monday again
        {"person": 1, "date": MONDAY, "start": 600, "key": 1},  # last seen on a Thursday
    ]
    assert choose_unannounced(prob, drafts) == {0: False, 1: True}  # type: ignore[arg-type]
