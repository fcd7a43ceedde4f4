"""Crews formed from the work: late officers paired together on days with evening visits owed."""

from __future__ import annotations

from pathlib import Path

import pytest

import rso_scheduler.solver.optimise as optimise_module
from rso_scheduler.demand import requirements
from rso_scheduler.models import Offender, Officer
from rso_scheduler.solver.crews import form_crews, standing_partners
from rso_scheduler.solver.optimise import window_needs
from tests.solver_helpers import JAN, assert_valid, dataset, officer, person, run

EVENING = {"window_start_min": 17 * 60 + 30, "window_end_min": 20 * 60 + 30}


def _late(oid: str, area: str) -> Officer:
    return officer(oid, area=area, shift_start_min=14 * 60, shift_end_min=22 * 60)


def _day(oid: str, area: str) -> Officer:
    return officer(oid, area=area, shift_start_min=10 * 60, shift_end_min=18 * 60)


def _case() -> tuple[list[Offender], list[Officer]]:
    """Two late officers, each the standing partner of a day officer of their own area, and two
    overdue people in Reading visitable only in the evening."""
    offs = [
        _late("L1", "Reading"),
        _day("D1", "Reading"),
        _late("L2", "Wokingham"),
        _day("D2", "Wokingham"),
    ]
    people = [person(f"E{i}", lat=51.45 + 0.004 * i, **EVENING) for i in range(2)]
    return people, offs


def test_standing_partners_split_the_late_officers() -> None:
    """Without the work in view, each late officer works with their area's day officer."""
    _people, offs = _case()
    assert standing_partners(offs) == {"D1": "L1", "L1": "D1", "D2": "L2", "L2": "D2"}
    crews = form_crews(offs, (), *JAN, {})
    assert {c.crew_id for c in crews} == {"D1+L1", "D2+L2"}


def test_evening_work_pairs_the_late_officers() -> None:
    """With evening visits owed, the two late officers work together until they are booked."""
    people, offs = _case()
    ds = dataset(people, offs)
    needs = window_needs(requirements(ds, *JAN))
    crews = form_crews(offs, (), *JAN, {}, needs=needs, area_mode=ds.policy.areas.mode)
    first = sorted(c.crew_id for c in crews if c.day == JAN[0])
    assert first == ["D1+D2", "L1+L2"]
    # two visits booked on the first day: the standing pairs return afterwards
    assert {c.crew_id for c in crews if c.day_index > 3} == {"D1+L1", "D2+L2"}


def test_plan_makes_the_evening_visits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The optimiser visits both evening people; with standing pairs only it could not."""
    people, offs = _case()
    ds = dataset(people, offs)
    res = run(ds)
    assert sorted(v.offender_id for v in res.visits if v.seq == 0) == ["E0", "E1"]
    assert all(set(v.officer_ids) == {"L1", "L2"} for v in res.visits)
    assert_valid(ds, res, tmp_path)
    monkeypatch.setattr(optimise_module, "PAIR_FOR_WINDOWS", False)
    assert len(run(ds).unscheduled) == 2


def test_officers_left_to_pair_are_matched_exactly() -> None:
    """Four free officers along a road: pairing the nearest two first leaves the two ends
    together (22 km apart); the exact matching pairs neighbours (10 km each)."""
    from rso_scheduler.solver.crews import _best_matching, _greedy_matching

    km = 1 / 69.4  # degrees of longitude per km at this latitude, about
    offs = [officer(o, lon=-1.0 + x * km) for o, x in (("A", 0), ("B", 10), ("C", 12), ("D", 22))]

    def ids(pairs: list) -> list[str]:
        return sorted(f"{a.officer_id}+{b.officer_id}" for a, b in pairs)

    assert ids(_greedy_matching(offs)) == ["A+D", "B+C"]
    assert ids(_best_matching(offs)) == ["A+B", "C+D"]
