"""Crews formed from the work: late officers paired together on days with evening visits owed,
and split crews (two partners in two parts of a day)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rso_scheduler.solver.crews as crews_module
import rso_scheduler.solver.optimise as optimise_module
from rso_scheduler.demand import requirements
from rso_scheduler.ingest import load_dataset
from rso_scheduler.models import Offender, Officer
from rso_scheduler.outputs.files import staged_output
from rso_scheduler.outputs.handouts import CalendarPlan, write_handouts
from rso_scheduler.roster import hhmm
from rso_scheduler.solver.crews import form_crews, standing_partners
from rso_scheduler.solver.optimise import check_split_joins, window_needs
from rso_scheduler.solver.options import FixedVisit
from rso_scheduler.solver.problem import build_problem
from rso_scheduler.solver.state import State
from rso_scheduler.synth import generate, write_dataset
from rso_scheduler.travel import TableTravel, dataset_places
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


# --- split crews: two partners in two parts of a day -------------------------------------

MONDAY = date(2027, 1, 4)
AFTERNOON = {"window_start_min": 14 * 60 + 30, "window_end_min": 17 * 60 + 30}
LATE_EVENING = {"window_start_min": 19 * 60, "window_end_min": 21 * 60}


def _split_case(cap: int | None = None) -> tuple[list[Offender], list[Officer]]:
    """A day officer (the only one with skill X) and two late officers; a very-high-risk person
        needing skill X in the afternoon and a low-risk one visitable only in the evening. A crew of
        the whole day makes one of them at most: the day officer's shift ends at 18:00, and a crew of
    both late officers has no skill X."""
    offs = [
        officer("D1", shift_start_min=10 * 60, shift_end_min=18 * 60, skills=frozenset({"X"})),
        officer("L1", shift_start_min=14 * 60, shift_end_min=22 * 60, max_visits_per_day=cap),
        officer("L2", shift_start_min=14 * 60, shift_end_min=22 * 60),
    ]
    people = [
        person("A0", "very_high", two_officers=True, required_skills=frozenset({"X"}), **AFTERNOON),
        person("E0", "medium", two_officers=True, **LATE_EVENING),
    ]
    return people, offs


def _crews_of_day(ds: Any, day: date) -> list[Any]:
    needs = window_needs(requirements(ds, day, day))
    crews = form_crews(list(ds.officers), (), day, day, {}, needs=needs, area_mode="prefer")
    return sorted(crews, key=lambda c: (c.crew_id, c.part or (-1, -1)))


def test_split_crews_follow_the_evening_work() -> None:
    """The late officer works with the day officer until 18:00 and with the other late officer
    after it; the other late officer is alone in the afternoon."""
    people, offs = _split_case()
    crews = _crews_of_day(dataset(people, offs), MONDAY)
    got = [(c.crew_id, c.part, c.start_min, c.end_min) for c in crews]
    assert got == [
        ("D1+L1", (14 * 60, 18 * 60), 14 * 60, 18 * 60),
        ("L1+L2", (18 * 60, 22 * 60), 18 * 60, 22 * 60),
        ("L2", (14 * 60, 18 * 60), 14 * 60, 18 * 60),
    ]


def test_split_crews_make_both_visits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Planned with split crews, both people are visited and the checker passes; with one crew
    per officer a day, one of the two is missed."""
    people, offs = _split_case()
    ds = dataset(people, offs)
    res = run(ds, MONDAY, MONDAY)
    crews = {v.offender_id: set(v.officer_ids) for v in res.visits}
    assert crews == {"A0": {"D1", "L1"}, "E0": {"L1", "L2"}}
    assert res.unscheduled == []
    assert res.stats["split_crew_days"] == 3
    assert_valid(ds, res, tmp_path)
    monkeypatch.setattr(crews_module, "SPLIT_CREWS", False)
    assert len(run(ds, MONDAY, MONDAY).unscheduled) == 1


def test_split_officer_drives_straight_between_parts(tmp_path: Path) -> None:
    """The split officer's legs join at the evening's first visit: the roster's travel is the
    contract's (the summary agrees with the files) and the handout gives the whole day."""
    people, offs = _split_case()
    ds = dataset(people, offs)
    res = run(ds, MONDAY, MONDAY)
    legs = sorted(
        (g for r in res.routes for g in r.legs if g.officer_id == "L1"), key=lambda g: g.depart_min
    )
    assert len(legs) == 2 and legs[0].return_min == legs[1].depart_min
    visits = {v.offender_id: v for v in res.visits}
    assert legs[1].depart_min <= visits["E0"].start_min
    assert_valid(ds, res, tmp_path)  # summary travel = the files' officer days
    with staged_output(tmp_path / "handouts") as stage:
        write_handouts(stage, ds, res, CalendarPlan("split-test"))
    page = (tmp_path / "handouts" / "handouts" / "L1.html").read_text(encoding="utf-8")
    assert page.index("A0") < page.index("E0")
    assert f"leave base {hhmm(legs[0].depart_min)}" in page
    assert f"back at base {hhmm(legs[1].return_min)}" in page


def test_split_officer_cap_is_shared(tmp_path: Path) -> None:
    """An officer's max_visits_per_day counts the visits of both parts of the day."""
    people, offs = _split_case(cap=1)
    ds = dataset(people, offs)
    res = run(ds, MONDAY, MONDAY)
    assert sum(1 for v in res.visits if "L1" in v.officer_ids) == 1
    assert [u.offender_id for u in res.unscheduled] == ["E0"]  # the very-high-risk one first
    assert_valid(ds, res, tmp_path)


def test_split_parts_never_overlap(tmp_path: Path) -> None:
    """On a generated team with late shifts and evening windows, split crews exist, an
    officer is in two crews a day at most, and their parts lie in the shift and do not overlap."""
    write_dataset(tmp_path / "data", generate(300, 10, 3, JAN[0]))
    ds = load_dataset(tmp_path / "data", today=date(2026, 12, 31))
    offs = [
        o.model_copy(update={"shift_start_min": 14 * 60, "shift_end_min": 22 * 60})
        if i % 3 == 1
        else o.model_copy(update={"shift_start_min": 10 * 60, "shift_end_min": 18 * 60})
        for i, o in enumerate(sorted(ds.officers, key=lambda o: o.officer_id))
    ]
    people = [
        p.model_copy(update=LATE_EVENING) if i % 4 == 0 else p
        for i, p in enumerate(sorted(ds.offenders, key=lambda p: p.offender_id))
    ]
    ds = ds.model_copy(update={"officers": tuple(offs), "offenders": tuple(people)})
    needs = window_needs(requirements(ds, *JAN))
    crews = form_crews(offs, ds.absences, *JAN, {}, needs=needs, area_mode="prefer")
    assert any(c.part is not None for c in crews)
    by_officer_day: dict[tuple[str, date], list[Any]] = defaultdict(list)
    for c in crews:
        for o in c.officers:
            by_officer_day[o.officer_id, c.day].append(c)
            assert o.shift_start_min <= c.start_min < c.end_min <= o.shift_end_min
    for mine in by_officer_day.values():
        assert len(mine) <= 2
        if len(mine) == 2:
            a, b = sorted(mine, key=lambda c: c.start_min)
            assert a.part is not None and b.part is not None
            assert a.end_min <= b.start_min
    again = form_crews(offs, ds.absences, *JAN, {}, needs=needs, area_mode="prefer")
    assert again == crews  # deterministic


def test_split_plan_is_deterministic() -> None:
    """Two plans of the split case give the same visits."""
    people, offs = _split_case()
    ds = dataset(people, offs)
    a, b = run(ds, MONDAY, MONDAY), run(ds, MONDAY, MONDAY)
    assert a.visits == b.visits and a.routes == b.routes


@pytest.mark.parametrize("pinned", [True, False])
def test_replan_keeps_split_crews(tmp_path: Path, pinned: bool) -> None:
    """Re-planning the split day from its issued roster keeps both visits with their crews."""
    people, offs = _split_case()
    ds = dataset(people, offs)
    first = run(ds, MONDAY, MONDAY)
    fixed = tuple(
        FixedVisit(v.offender_id, v.date, v.start_min, v.officer_ids, pinned) for v in first.visits
    )
    again = run(ds, MONDAY, MONDAY, fixed=fixed)
    key = lambda r: sorted((v.offender_id, v.officer_ids) for v in r.visits)  # noqa: E731
    assert key(again) == key(first)
    assert again.not_kept == {}
    assert_valid(ds, again, tmp_path)


def test_no_split_crews_under_the_matrix_model() -> None:
    """A user's matrix need not obey the triangle inequality: no split crews, and the run
    says so."""
    people, offs = _split_case()
    ds = dataset(people, offs)
    places = list(dict.fromkeys(dataset_places(ds)))
    minutes_m = np.full((len(places), len(places)), 10, dtype=np.int32)
    np.fill_diagonal(minutes_m, 0)
    policy = ds.policy.model_copy(
        update={"travel": ds.policy.travel.model_copy(update={"model": "matrix"})}
    )
    travel = TableTravel(
        "matrix",
        policy.travel,
        {p: i for i, p in enumerate(places)},
        minutes_m,
        (minutes_m * 0.5).astype(np.float32),
    )
    res = run(ds.model_copy(update={"policy": policy}), MONDAY, MONDAY, travel=travel)
    assert res.stats["split_crew_days"] == 0
    assert any("no split crews" in n for n in res.stats["notices"])
    assert [u.offender_id for u in res.unscheduled] == ["E0"]


def test_split_join_safety_net_drops_what_does_not_fit() -> None:
    """With travel that breaks the triangle inequality (a direct drive far longer than the trip
    via base), the joined-day check drops the later part's visit that the drive cannot reach."""
    people, offs = _split_case()
    ds = dataset(people, offs)
    places = list(dict.fromkeys(dataset_places(ds)))
    row = {p: i for i, p in enumerate(places)}
    at = {p.id: i for p, i in row.items()}
    minutes_m = np.full((len(places), len(places)), 5, dtype=np.int32)
    np.fill_diagonal(minutes_m, 0)
    minutes_m[at["A0"], at["E0"]] = 600
    travel = TableTravel("road", ds.policy.travel, row, minutes_m, minutes_m.astype(np.float32))
    reqs = requirements(ds, MONDAY, MONDAY)
    needs = window_needs(reqs)
    crews = form_crews(list(ds.officers), (), MONDAY, MONDAY, {}, None, needs, "prefer")
    prob = build_problem(MONDAY, MONDAY, ds.policy, reqs, crews, list(ds.officers), travel)
    st = State(prob)
    for slot in prob.slots:
        oid = prob.reqs[slot.person].offender_id
        crew = prob.crew_with(0, ("D1", "L1") if oid == "A0" else ("L1", "L2"))
        assert crew is not None
        st.add(crew.index, slot.person, [prob.stop(slot.person, slot.index)])
    assert check_split_joins(prob, st) == 1
    assert sorted(prob.reqs[p].offender_id for p in st.person_of.values()) == ["A0"]
