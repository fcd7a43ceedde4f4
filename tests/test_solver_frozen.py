"""The re-plan's frozen and kept visits in the solver (solver/frozen.py, crews.form_crews)."""

from __future__ import annotations

import dataclasses
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rso_scheduler.models import Absence
from rso_scheduler.solver import PlanOptions, greedy_plan
from rso_scheduler.solver.crews import form_crews
from rso_scheduler.solver.options import FixedVisit
from tests.solver_helpers import dataset, officer, person, run

WEEK = (date(2027, 1, 4), date(2027, 1, 8))  # Monday to Friday


def _fixed(res, pinned: bool) -> tuple[FixedVisit, ...]:  # type: ignore[no-untyped-def]
    return tuple(
        FixedVisit(v.offender_id, v.date, v.start_min, v.officer_ids, pinned) for v in res.visits
    )


def _team():  # type: ignore[no-untyped-def]
    people = [
        person(f"P{i}", ["very_high", "high", "medium"][i % 3], lat=51.45 + i / 400)
        for i in range(9)
    ]
    officers = [officer(o) for o in ("A", "B", "C", "D")]
    return dataset(people, officers)


def test_pinned_roster_comes_back_exactly() -> None:
    """Every visit pinned: the re-plan returns the same days, start times and officers."""
    ds = _team()
    first = run(ds, *WEEK)
    again = run(ds, *WEEK, fixed=_fixed(first, pinned=True))
    key = lambda r: sorted((v.offender_id, v.date, v.start_min, v.officer_ids) for v in r.visits)  # noqa: E731
    assert first.visits and key(again) == key(first)
    assert again.not_kept == {}


def test_kept_visits_keep_day_and_crew() -> None:
    """Unpinned issued visits keep their day and crew when nothing changed."""
    ds = _team()
    first = run(ds, *WEEK)
    again = run(ds, *WEEK, fixed=_fixed(first, pinned=False))
    key = lambda r: sorted((v.offender_id, v.date, v.officer_ids) for v in r.visits)  # noqa: E731
    assert key(again) == key(first)


def test_absent_officer_loses_pinned_visit_with_reason() -> None:
    """A pinned visit whose officer is now absent is re-planned without them, saying why."""
    ds = _team()
    first = run(ds, *WEEK)
    v = first.visits[0]
    gone = v.officer_ids[0]
    absent = ds.model_copy(update={"absences": (_absence(gone),)})
    again = run(absent, *WEEK, fixed=_fixed(first, pinned=True))
    assert all(gone not in w.officer_ids for w in again.visits)
    assert "absent" in again.not_kept[v.offender_id, v.date]


def _absence(oid: str):  # type: ignore[no-untyped-def]
    return Absence(officer_id=oid, start=WEEK[0], end=WEEK[1], reason="sickness")


def _one_slot():  # type: ignore[no-untyped-def]
    """One crew on Monday only, one visit a day: room for a single visit in the week."""
    officers = [officer(o, working_days=frozenset({0}), max_visits_per_day=1) for o in ("A", "B")]
    people = [person("LOW", "low", last_visit_date=date(2025, 1, 1)), person("VH", "very_high")]
    return dataset(people, officers)


def test_kept_visit_gives_way_to_a_more_serious_one() -> None:
    """An unpinned low-risk visit in the only slot makes room for an owed very-high visit."""
    fixed = (FixedVisit("LOW", WEEK[0], 9 * 60, ("A", "B"), pinned=False),)
    res = run(_one_slot(), *WEEK, fixed=fixed)
    assert [v.offender_id for v in res.visits] == ["VH"]
    assert "more serious" in res.not_kept["LOW", WEEK[0]]
    assert [u.offender_id for u in res.unscheduled] == ["LOW"]


def test_pinned_visit_does_not_give_way() -> None:
    """The same visit pinned stays; the very-high visit is unscheduled with its reason."""
    fixed = (FixedVisit("LOW", WEEK[0], 9 * 60, ("A", "B"), pinned=True),)
    res = run(_one_slot(), *WEEK, fixed=fixed)
    assert [(v.offender_id, v.start_min) for v in res.visits] == [("LOW", 9 * 60)]
    assert [u.offender_id for u in res.unscheduled] == ["VH"]


def test_required_crews_are_formed_first() -> None:
    """A composition a kept visit needs is formed on its day even against standing partners."""
    officers = [officer(o) for o in ("A", "B", "C", "D")]
    plain = {c.officer_ids for c in form_crews(officers, (), WEEK[0], WEEK[0], {})}
    wanted = ("A", "D") if ("A", "D") not in plain else ("A", "C")
    crews = form_crews(officers, (), WEEK[0], WEEK[0], {}, {WEEK[0]: [wanted]})
    assert wanted in {c.officer_ids for c in crews}
    ids = [o for c in crews for o in c.officer_ids]
    assert sorted(ids) == ["A", "B", "C", "D"]  # everyone in exactly one crew


def test_replan_is_deterministic() -> None:
    """Same inputs, issued visits and seed: the same re-planned roster, twice."""
    ds = _team()
    first = run(ds, *WEEK)
    half = _fixed(first, pinned=False)[::2]
    a = run(ds, *WEEK, fixed=half)
    b = run(ds, *WEEK, fixed=half)
    assert a.visits == b.visits and a.not_kept == b.not_kept


def test_kept_visit_gives_an_earlier_day_to_a_more_serious_late_one() -> None:
    """Room on Monday and Friday only: the kept low-risk visit moves to Friday so that the
    overdue very-high visit is made on Monday (fewer risk-weighted days late in all)."""
    officers = [
        officer(o, working_days=frozenset({0, 4}), max_visits_per_day=1) for o in ("A", "B")
    ]
    people = [person("LOW", "low", last_visit_date=date(2025, 1, 1)), person("VH", "very_high")]
    fixed = (FixedVisit("LOW", WEEK[0], 9 * 60, ("A", "B"), pinned=False),)
    res = run(dataset(people, officers), *WEEK, fixed=fixed)
    days = {v.offender_id: v.date for v in res.visits}
    assert days == {"VH": WEEK[0], "LOW": WEEK[1]}
    assert "less late" in res.not_kept["LOW", WEEK[0]]
    pinned = (dataclasses.replace(fixed[0], pinned=True),)
    res = run(dataset(people, officers), *WEEK, fixed=pinned)
    assert {v.offender_id: v.date for v in res.visits} == {"LOW": WEEK[0], "VH": WEEK[1]}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pins=st.lists(st.booleans(), min_size=40, max_size=40),
    absent=st.sampled_from(["A", "B", "C", "D", None]),
    day=st.integers(min_value=0, max_value=4),
)
def test_pinned_visits_survive_any_absence(pins: list[bool], absent: str | None, day: int) -> None:
    """Whatever is pinned and whoever falls sick from any day: every pinned visit the absence
    does not touch comes back exactly; nobody absent gets a visit."""
    people = [
        person(f"P{i}", ["very_high", "high", "medium"][i % 3], lat=51.45 + i / 400)
        for i in range(12)
    ]
    officers = [officer(o, max_visits_per_day=2) for o in ("A", "B", "C", "D")]
    ds = dataset(people, officers)  # two visits a crew-day: the week's visits spread over days
    issued = greedy_plan(ds, *WEEK, PlanOptions(seed=1))
    assert len({v.date for v in issued.visits}) >= 3
    fixed = tuple(
        FixedVisit(v.offender_id, v.date, v.start_min, v.officer_ids, pin)
        for v, pin in zip(issued.visits, pins, strict=False)
    )
    sick_from = date.fromordinal(WEEK[0].toordinal() + day)
    now = ds
    if absent:
        gone = Absence(officer_id=absent, start=sick_from, end=WEEK[1], reason="sickness")
        now = ds.model_copy(update={"absences": (gone,)})
    res = run(now, *WEEK, fixed=fixed, time_limit_s=3.0)
    got = {(v.offender_id, v.date, v.start_min, v.officer_ids) for v in res.visits}
    for f in fixed:
        touched = absent in f.officer_ids and f.date >= sick_from
        if f.pinned and not touched:
            assert (f.offender_id, f.date, f.start_min, f.officer_ids) in got
    for v in res.visits:
        assert not (absent in v.officer_ids and v.date >= sick_from)


def test_kept_last_visit_too_early_for_the_period_is_re_planned(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A weekly person owes two visits in 4-15 January (4th, then 11th). An issued roster with
    the second on the 8th would make a third fall due on the 15th: that visit is not kept (the
    reason says so) and the re-plan's last visit leaves nothing more due inside the period."""
    from datetime import timedelta

    from tests.solver_helpers import assert_valid

    ds = dataset([person("W", "very_high", visit_interval_days=7)], [officer("A"), officer("B")])
    end = date(2027, 1, 15)
    issued = tuple(
        FixedVisit("W", d, 9 * 60, ("A", "B"), False) for d in (date(2027, 1, 4), date(2027, 1, 8))
    )
    res = run(ds, WEEK[0], end, fixed=issued)
    assert "one more visit would fall due" in res.not_kept[("W", date(2027, 1, 8))]
    dates = sorted(v.date for v in res.visits if v.offender_id == "W" and not v.pulled_forward)
    assert dates[0] == date(2027, 1, 4) and dates[-1] + timedelta(days=7) > end
    assert len(dates) + sum(1 for u in res.unscheduled if u.offender_id == "W") == 2
    assert_valid(ds, res, tmp_path)
