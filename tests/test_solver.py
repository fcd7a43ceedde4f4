"""The optimiser's objective: risk first, lateness, continuity, travel, determinism, pull-forward."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rso_scheduler.ingest import load_dataset
from rso_scheduler.models import VisitKind
from rso_scheduler.policy import Policy, apply_overrides
from rso_scheduler.roster import CrewRoute, PlannedVisit, Unscheduled
from rso_scheduler.solver import greedy_plan
from rso_scheduler.solver.crews import can_pair, form_crews, standing_partners
from rso_scheduler.solver.options import PlanOptions
from rso_scheduler.solver.routing import CrewTimer, Stop, TravelCache
from tests.solver_helpers import JAN, assert_valid, dataset, officer, person, run


def _short_capacity_case() -> tuple[list, list]:  # type: ignore[type-arg]
    """Eight overdue people (four very high, four low) and a crew able to make only a few."""
    people = [person(f"VH{i}", risk="very_high", lat=51.46 + i * 0.002) for i in range(4)]
    people += [
        person(f"LO{i}", risk="low", lat=51.47 + i * 0.002, last_visit_date=date(2025, 6, 1))
        for i in range(4)
    ]
    offs = [
        officer("A", max_visits_per_day=1, working_days=frozenset({0})),
        officer("B", max_visits_per_day=1, working_days=frozenset({0})),
    ]
    return people, offs


def test_risk_first_when_capacity_is_short(tmp_path: Path) -> None:
    """Four Mondays, one visit a day: all four very high people are visited, no low one."""
    people, offs = _short_capacity_case()
    ds = dataset(people, offs)
    res = run(ds)
    assert sorted(v.offender_id for v in res.visits) == ["VH0", "VH1", "VH2", "VH3"]
    assert {u.offender_id for u in res.unscheduled} == {"LO0", "LO1", "LO2", "LO3"}
    assert all(u.reason.startswith("capacity") for u in res.unscheduled)
    assert_valid(ds, res, tmp_path)


def test_lateness_weighted_by_risk(tmp_path: Path) -> None:
    """Two overdue people, one slot a day: the very high person goes first (fewer weighted days late)."""
    people = [
        person("LO", risk="low", last_visit_date=date(2025, 6, 1)),
        person("VH", risk="very_high", last_visit_date=date(2026, 11, 1)),
    ]
    offs = [officer("A", max_visits_per_day=1), officer("B", max_visits_per_day=1)]
    ds = dataset(people, offs)
    res = run(ds)
    first = min(res.visits, key=lambda v: v.date)
    assert first.offender_id == "VH"
    assert_valid(ds, res, tmp_path)


def test_continuity_named_manager_goes(tmp_path: Path) -> None:
    """The named offender manager is on their own person's visit when they work."""
    people = [person("P1", offender_manager_id="C"), person("P2", offender_manager_id="A")]
    offs = [officer("A"), officer("B"), officer("C"), officer("D")]
    ds = dataset(people, offs)
    res = run(ds)
    by_person = {v.offender_id: v.officer_ids for v in res.visits}
    assert "C" in by_person["P1"] and "A" in by_person["P2"]
    assert_valid(ds, res, tmp_path)


def test_continuity_yields_when_manager_absent(tmp_path: Path) -> None:
    """A manager on leave all month: the visit is still made, on time, by others."""
    from rso_scheduler.models import Absence

    people = [person("P1", offender_manager_id="C", last_visit_date=date(2026, 10, 10))]
    offs = [officer("A"), officer("B"), officer("C"), officer("D")]
    ds = dataset(people, offs, absences=(Absence(officer_id="C", start=JAN[0], end=JAN[1]),))
    res = run(ds)
    (v,) = res.visits
    assert "C" not in v.officer_ids and v.days_late == 0
    assert_valid(ds, res, tmp_path)


# A person beside Reading station: crew A+B is based there, crew C+D (C the named manager)
# 10 km further out; C+D's round trip costs its two officers about 80 minutes against A+B's 8
# (once C goes, the balance pass may swap D for A: the manager stays, the travel falls).
FAR_LAT = 51.546


@pytest.mark.parametrize(
    ("continuity_minutes", "manager_goes"),
    [(0, False), (30, False), (200, True)],
    ids=["ignored", "default-below-the-gap", "above-the-gap"],
)
def test_continuity_minutes_decides_the_far_manager(
    continuity_minutes: int, manager_goes: bool, tmp_path: Path
) -> None:
    """The named manager's farther crew goes only when `[planner] continuity_minutes` exceeds
    the extra driving."""
    people = [person("P1", offender_manager_id="C", last_visit_date=date(2026, 10, 10))]
    offs = [officer("A"), officer("B"), officer("C", lat=FAR_LAT), officer("D", lat=FAR_LAT)]
    policy = apply_overrides(Policy(), {"planner.continuity_minutes": continuity_minutes})
    ds = dataset(people, offs, policy)
    res = run(ds)
    (v,) = res.visits
    assert ("C" in v.officer_ids) == manager_goes and v.days_late == 0
    assert_valid(ds, res, tmp_path)


def test_nearby_visits_share_a_crew_day(tmp_path: Path) -> None:
    """Three neighbours due the same week are made on one trip rather than three."""
    people = [
        person(f"P{i}", lat=51.60 + i * 0.001, lon=-0.90, last_visit_date=date(2026, 10, 12))
        for i in range(3)
    ]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds, pull_forward=False)
    assert len(res.visits) == 3
    assert len(res.routes) == 1
    assert_valid(ds, res, tmp_path)


def test_same_seed_same_roster(tiny_dir: Path) -> None:
    """Identical inputs and seed give an identical roster, routes and reasons."""
    ds = load_dataset(tiny_dir, today=date(2026, 12, 15))
    a = run(ds, time_limit_s=3.0, seed=3)
    b = run(ds, time_limit_s=3.0, seed=3)
    assert a.visits == b.visits
    assert a.routes == b.routes
    assert a.unscheduled == b.unscheduled


def test_tiny_folder_plan_is_valid(tiny_dir: Path, tmp_path: Path) -> None:
    """The shared tiny folder plans with no rule broken, and every owed visit is accounted for."""
    ds = load_dataset(tiny_dir, today=date(2026, 12, 15))
    res = run(ds)
    assert res.visits_due == sum(1 for v in res.visits if not v.pulled_forward) + len(
        res.unscheduled
    )
    assert all(isinstance(v, PlannedVisit) for v in res.visits)
    assert all(isinstance(u, Unscheduled) and u.reason for u in res.unscheduled)
    assert all(isinstance(r, CrewRoute) for r in res.routes)
    assert [v.visit_id for v in res.visits] == [f"V{i + 1:05d}" for i in range(len(res.visits))]
    assert_valid(ds, res, tmp_path)


def test_not_worse_than_greedy_on_tiny(tiny_dir: Path) -> None:
    """On the tiny folder the optimiser misses no more weighted visits and is no later than greedy."""
    ds = load_dataset(tiny_dir, today=date(2026, 12, 15))
    opt = run(ds)
    base = greedy_plan(ds, *JAN, PlanOptions(time_limit_s=5))
    weight = {r: ds.policy.for_risk(r).weight for r in ("very_high", "high", "medium", "low")}

    def missed(res) -> int:  # type: ignore[no-untyped-def]
        return sum(weight[u.risk_level.value] for u in res.unscheduled)

    def late(res) -> int:  # type: ignore[no-untyped-def]
        return sum(weight[v.risk_level.value] * v.days_late for v in res.visits)

    assert missed(opt) <= missed(base)
    assert late(opt) <= late(base)


def test_unannounced_share_highest_risk_first(tmp_path: Path) -> None:
    """Half the visits are unannounced, very high ones before low ones."""
    people = [
        person(f"VH{i}", risk="very_high", last_visit_date=date(2026, 12, 1)) for i in range(2)
    ]
    people += [person(f"LO{i}", risk="low", last_visit_date=date(2026, 1, 20)) for i in range(2)]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds, pull_forward=False)
    kinds = {v.offender_id: v.kind for v in res.visits if v.seq == 0}
    assert kinds["VH0"] is kinds["VH1"] is VisitKind.unannounced
    assert kinds["LO0"] is kinds["LO1"] is VisitKind.announced


def test_pull_forward_only_when_spare(tmp_path: Path) -> None:
    """A person due next month is visited early only on a trip already going out, and flagged."""
    people = [
        person(
            "DUE",
            last_visit_date=date(2026, 10, 20),
            unavailable_from=date(2026, 12, 1),
            unavailable_to=date(2027, 1, 14),
        ),
        person("NEXT", lat=51.461, last_visit_date=date(2026, 11, 5)),  # due 2027-02-04
    ]
    ds = dataset(people, [officer("A"), officer("B")])
    res = run(ds)
    pulled = [v for v in res.visits if v.pulled_forward]
    assert [v.offender_id for v in pulled] == ["NEXT"]
    assert res.visits_due == 1
    assert_valid(ds, res, tmp_path)
    off = run(ds, pull_forward=False)
    assert [v.offender_id for v in off.visits] == ["DUE"]


def test_pull_forward_never_displaces_owed_visit(tmp_path: Path) -> None:
    """With room for one visit a day on one day, the owed visit wins over the pulled-forward one."""
    people = [
        person("DUE", last_visit_date=date(2026, 10, 12)),
        person("NEXT", lat=51.461, last_visit_date=date(2026, 11, 20)),
    ]
    offs = [
        officer("A", max_visits_per_day=1, working_days=frozenset({0})),
        officer("B", max_visits_per_day=1, working_days=frozenset({0})),
    ]
    ds = dataset(people, offs, policy=apply_overrides(Policy(), {}))
    res = run(ds)
    assert "DUE" in {v.offender_id for v in res.visits}
    assert_valid(ds, res, tmp_path)


def test_crews_pair_overlapping_shifts_only() -> None:
    """An early and a late shift are not paired; two early shifts are, and partners are stable."""
    early_a, early_b = officer("A"), officer("B")
    late = officer("L", shift_start_min=14 * 60, shift_end_min=22 * 60)
    assert can_pair(early_a, early_b) and not can_pair(early_a, late)
    assert standing_partners([early_a, early_b, late]) == {"A": "B", "B": "A"}
    crews = form_crews([early_a, early_b, late], (), *JAN, {})
    assert {c.crew_id for c in crews} == {"A+B", "L"}


def test_routing_orders_by_window_and_travel() -> None:
    """The exact router orders visits to respect windows and returns None when they cannot fit."""
    cache = TravelCache(Policy().travel)
    timer = CrewTimer([officer("A"), officer("B")], cache)
    late = Stop(1, 51.46, -0.98, 60, 14 * 60, 16 * 60)
    early = Stop(2, 51.47, -0.98, 60, 8 * 60, 11 * 60)
    order = timer.best_order([late, early])
    assert order is not None and [s.key for s in order] == [2, 1]
    too_many = [Stop(i, 51.46, -0.98, 120, 0, 24 * 60) for i in range(5)]
    assert timer.best_order(too_many) is None


def test_options_validate() -> None:
    """Bad options are refused at creation."""
    with pytest.raises(ValueError):
        PlanOptions(time_limit_s=0)
    for seed in (-1, 2**31):
        with pytest.raises(ValueError):
            PlanOptions(seed=seed)
    assert PlanOptions(seed=2**31 - 1).seed == 2**31 - 1


def _synthetic(n_people: int, n_officers: int, tmp_path: Path):  # type: ignore[no-untyped-def]
    from rso_scheduler.synth import generate, write_dataset

    write_dataset(tmp_path / "synth", generate(n_people, n_officers, 5, JAN[0]))
    return load_dataset(tmp_path / "synth", today=date(2026, 12, 31))


def test_synthetic_small_team_valid_and_deterministic(tmp_path: Path) -> None:
    """A generated small team plans validly, and twice with the same seed gives the same roster."""
    ds = _synthetic(120, 6, tmp_path)
    a = run(ds, time_limit_s=6.0, seed=11)
    b = run(ds, time_limit_s=6.0, seed=11)
    assert a.visits == b.visits and a.routes == b.routes and a.unscheduled == b.unscheduled
    assert_valid(ds, a, tmp_path)


@pytest.mark.slow
def test_synthetic_team_beats_greedy(tmp_path: Path) -> None:
    """Team size (300 people, 8 officers): valid, deterministic, no more missed or later than greedy."""
    ds = _synthetic(300, 8, tmp_path)
    a = run(ds, time_limit_s=20.0, seed=1)
    b = run(ds, time_limit_s=20.0, seed=1)
    assert a.visits == b.visits and a.routes == b.routes
    assert_valid(ds, a, tmp_path)
    base = greedy_plan(ds, *JAN, PlanOptions(time_limit_s=20))
    weight = {r: ds.policy.for_risk(r).weight for r in ("very_high", "high", "medium", "low")}
    assert sum(weight[u.risk_level.value] for u in a.unscheduled) <= sum(
        weight[u.risk_level.value] for u in base.unscheduled
    )
    late = sum(weight[v.risk_level.value] * v.days_late for v in a.visits)
    assert late <= sum(weight[v.risk_level.value] * v.days_late for v in base.visits)
    assert a.travel_min < base.travel_min


def test_chained_visit_not_owed_is_removed() -> None:
    """A second visit falling due after the plan (left by an unfinished search) is dropped."""
    from rso_scheduler.demand import requirements
    from rso_scheduler.solver.optimise import _drop_not_owed, _State
    from rso_scheduler.solver.problem import build_problem

    ds = dataset(
        [person("VH", risk="very_high", last_visit_date=date(2026, 12, 17))],
        [officer("A"), officer("B")],
    )
    offs = list(ds.officers)
    crews = form_crews(offs, (), *JAN, {})
    prob = build_problem(*JAN, ds.policy, requirements(ds, *JAN), crews, offs)
    st = _State(prob)
    jan6 = next(c for c in crews if c.day == date(2027, 1, 6))
    jan27 = next(c for c in crews if c.day == date(2027, 1, 27))
    st.add(jan6.index, 0, [prob.stop(0, 0)])
    st.add(jan27.index, 0, [prob.stop(0, 1)])
    assert _drop_not_owed(prob, st) == 1
    assert st.by_person[0] == [0] and st.stops[jan27.index] == []


def test_repair_reaches_a_far_crew_only_when_asked() -> None:
    """The planner's last resort before a miss: Reading's crew is full (one visit a day, taken),
    so repair among the nearest crew composition places nothing, and repair among every
    composition (as `plan` runs it for whatever is still missing) sends Slough's crew."""
    from rso_scheduler.demand import requirements
    from rso_scheduler.solver.optimise import _repair_owed, _State
    from rso_scheduler.solver.problem import build_problem
    from rso_scheduler.solver.work import WorkBudget
    from tests.solver_helpers import SLOUGH

    day = date(2027, 1, 4)
    ds = dataset(
        [person("Q", "very_high"), person("P", "high")],
        [
            officer("A", max_visits_per_day=1),
            officer("B", max_visits_per_day=1),
            officer("C", *SLOUGH, area="Slough"),
            officer("D", *SLOUGH, area="Slough"),
        ],
    )
    offs = sorted(ds.officers, key=lambda o: o.officer_id)
    reqs = requirements(ds, day, day, include_optional=False)
    prob = build_problem(day, day, ds.policy, reqs, form_crews(offs, (), day, day, {}), offs)
    st = _State(prob)
    near = next(c for c in prob.crews if c.officer_ids == ("A", "B"))
    q = prob.person_index["Q"]
    st.add(near.index, q, [st.new_stop(q)])
    p = prob.person_index["P"]
    assert _repair_owed(prob, st, [p], WorkBudget(10**6, float("inf")), n_comps=1) == 0
    assert (
        _repair_owed(prob, st, [p], WorkBudget(10**6, float("inf")), n_comps=len(prob.comps)) == 1
    )
    (key,) = st.by_person[p]
    assert prob.crews[st.crew_of[key]].officer_ids == ("C", "D")


def test_a_visit_that_fits_nowhere_takes_the_place_of_one_that_can_wait() -> None:
    """With Monday's only crew-day full (one visit a day) and a person who can be seen only on
    Monday, the visit made there moves to Tuesday and the Monday-only person is seen: a miss
    costs more than a day late."""
    from rso_scheduler.demand import requirements
    from rso_scheduler.solver.optimise import _make_room, _next_owed, _repair_owed
    from rso_scheduler.solver.problem import build_problem
    from rso_scheduler.solver.state import State
    from rso_scheduler.solver.work import WorkBudget

    mon, tue = date(2027, 1, 4), date(2027, 1, 5)
    people = [
        person("P0", risk="medium"),
        person("P1", unavailable_from=tue, unavailable_to=JAN[1]),
    ]
    offs = [officer("A", max_visits_per_day=1), officer("B", max_visits_per_day=1)]
    ds = dataset(people, offs)
    reqs = requirements(ds, mon, JAN[1])  # a plan from Monday the 4th
    crews = form_crews(offs, (), mon, JAN[1], {})
    prob = build_problem(mon, JAN[1], ds.policy, reqs, crews, offs)
    st = State(prob)
    index = {r.offender_id: p for p, r in enumerate(reqs)}
    monday = next(c for c in crews if c.day == mon)
    st.add(monday.index, index["P0"], [st.new_stop(index["P0"])])
    work = WorkBudget(10**9, float("inf"))
    assert _repair_owed(prob, st, [index["P1"]], work) == 0  # no room anywhere it can go
    with pytest.MonkeyPatch.context() as mp:  # a search stopped at its tries says so
        mp.setattr("rso_scheduler.solver.optimise.MAKE_ROOM_TRIES", 0)
        assert _make_room(prob, st, index["P1"], work) is None
    assert _make_room(prob, st, index["P1"], work) is True
    assert _next_owed(prob, st, index["P1"]) is None
    day_of = {reqs[st.person_of[k]].offender_id: prob.crews[c].day for k, c in st.crew_of.items()}
    assert day_of == {"P1": mon, "P0": tue}
