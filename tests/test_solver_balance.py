"""Workload balance: officers trade places between crews of a day (solver/balance.py)."""

from __future__ import annotations

from datetime import date

from rso_scheduler.demand import requirements
from rso_scheduler.policy import Policy, apply_overrides
from rso_scheduler.solver.balance import exchange_officers, fair_shares, officer_loads
from rso_scheduler.solver.crews import form_crews
from rso_scheduler.solver.optimise import _State
from rso_scheduler.solver.problem import build_problem
from tests.solver_helpers import dataset, officer, person

START, END = date(2027, 1, 4), date(2027, 1, 8)  # Monday to Friday


def _busy_first_crew(
    manager: str | None = None, policy: Policy | None = None
) -> tuple[object, _State]:
    """Four officers at one base, two crews a day; every visit on the first crew of its day."""
    people = [
        person(f"P{i:02d}", lat=51.46 + 0.002 * i, lon=-0.98, offender_manager_id=manager)
        for i in range(10)
    ]
    offs = [officer(f"O{i}") for i in range(1, 5)]
    ds = dataset(people, offs, policy)
    reqs = requirements(ds, START, END, include_optional=False)
    crews = form_crews(sorted(offs, key=lambda o: o.officer_id), (), START, END, {})
    prob = build_problem(START, END, ds.policy, reqs, crews, offs)
    st = _State(prob)
    for i, p in enumerate(range(len(reqs))):
        day = i % prob.n_days
        first = min(c.index for c in prob.crews_by_day[day].values())
        st.stops.setdefault(first, []).append(prob.stop(p, i))
        st.person_of[i] = p
        st.crew_of[i] = first
        st.by_person[p].append(i)
    for ci, order in st.stops.items():
        crew = prob.crews[ci]
        best = prob.timer_of(crew).best_order(order)
        assert best is not None
        st.stops[ci] = best
    return prob, st


def _squared_dev(prob: object, st: _State) -> float:
    load, avail = officer_loads(prob, st)  # type: ignore[arg-type]
    share = fair_shares(load, avail)
    return sum((load[o] - share[o]) ** 2 for o in load)


def test_fair_shares_follow_available_days() -> None:
    """An officer with half the available days gets half the fair share."""
    share = fair_shares({"A": 30, "B": 0}, {"A": 20, "B": 10})
    assert share == {"A": 20.0, "B": 10.0}


def test_exchange_balances_and_keeps_days() -> None:
    """Trading officers evens the load out; every visit keeps its day and still fits exactly."""
    prob, st = _busy_first_crew()
    days_before = {k: prob.crews[c].day_index for k, c in st.crew_of.items()}  # type: ignore[attr-defined]
    dev_before = _squared_dev(prob, st)
    out = exchange_officers(prob, st, deadline=float("inf"))  # type: ignore[arg-type]
    assert out["exchanges"] > 0
    assert _squared_dev(prob, st) < dev_before
    assert {k: prob.crews[c].day_index for k, c in st.crew_of.items()} == days_before  # type: ignore[attr-defined]
    for ci, order in st.stops.items():
        crew = prob.crews[ci]  # type: ignore[attr-defined]
        timer = prob.timer_of(crew)  # type: ignore[attr-defined]
        assert timer.evaluate(order) is not None
    load, _avail = officer_loads(prob, st)  # type: ignore[arg-type]
    assert max(load.values()) - min(load.values()) < 10


def test_traded_crew_says_what_the_trade_gained() -> None:
    """A crew changed by a trade says who traded, what it gained and how it was formed."""
    prob, st = _busy_first_crew()
    exchange_officers(prob, st, deadline=float("inf"))  # type: ignore[arg-type]
    traded = [c for c in prob.crews if "traded places" in c.formed_because]  # type: ignore[attr-defined]
    assert traded
    for c in traded:
        assert ": balances the workload (formed as " in c.formed_because
        assert c.formed_because.endswith(": standing partners)")


def test_exchange_keeps_named_manager_on_visits() -> None:
    """The named offender manager is never traded away from their own people's visits."""
    prob, st = _busy_first_crew(manager="O1")
    with_manager = {
        k
        for k, c in st.crew_of.items()
        if "O1" in prob.crews[c].officer_ids  # type: ignore[attr-defined]
    }
    exchange_officers(prob, st, deadline=float("inf"))  # type: ignore[arg-type]
    after = {k for k, c in st.crew_of.items() if "O1" in prob.crews[c].officer_ids}  # type: ignore[attr-defined]
    assert with_manager <= after


def test_exchange_for_a_manager_only_when_continuity_counts() -> None:
    """Officers trade to put an idle named manager on visits, unless continuity_minutes is 0."""
    prob, st = _busy_first_crew(manager="O3")
    exchange_officers(prob, st, deadline=float("inf"))  # type: ignore[arg-type]
    why = [c.formed_because for c in prob.crews]  # type: ignore[attr-defined]
    assert any("puts a named offender manager" in w for w in why)
    ignored = apply_overrides(Policy(), {"planner.continuity_minutes": 0})
    prob, st = _busy_first_crew(manager="O3", policy=ignored)
    exchange_officers(prob, st, deadline=float("inf"))  # type: ignore[arg-type]
    why = [c.formed_because for c in prob.crews]  # type: ignore[attr-defined]
    assert not any("puts a named offender manager" in w for w in why)
