"""The timing engine's refreshment break (solver/routing.py): where it bites, where it does not."""

from __future__ import annotations

from rso_scheduler.policy import Policy, ShiftsPolicy
from rso_scheduler.solver.routing import CrewTimer, Stop, TravelCache
from tests.solver_helpers import officer

POLICE = ShiftsPolicy()
NONE = ShiftsPolicy(refreshment="none")


def timer(*officers, shifts=POLICE, part=None) -> CrewTimer:  # type: ignore[no-untyped-def]
    """A timer of the officers with the straight-line travel."""
    return CrewTimer(list(officers), TravelCache(Policy().travel), part, shifts)


def visit(key: int, start: int, end: int, minutes: int = 90) -> Stop:
    """A visit near Reading base with a window [start, end] (minutes after midnight)."""
    return Stop(key, 51.46, -0.98, minutes, start, end, f"P{key}")


def test_a_full_day_leaves_no_room_for_the_break() -> None:
    """Five 90-minute visits nearly fill 08:00-16:00: lawful without breaks, not with them;
    four leave room for the 45 minutes."""
    five = [visit(k, 0, 24 * 60) for k in range(5)]
    assert timer(officer("A"), shifts=NONE).evaluate(five) is not None
    assert timer(officer("A")).evaluate(five) is None
    assert timer(officer("A")).evaluate(five[:4]) is not None


def test_the_break_lies_in_its_window_clear_of_visits() -> None:
    """Each officer's break is 45 minutes inside 11:00-14:00 and overlaps no visit."""
    day = [visit(k, 0, 24 * 60) for k in range(4)]
    route = timer(officer("A"), officer("B")).make_route(day)
    assert route is not None
    spans = [(s, s + 90) for s in route.starts_min]
    for leg in route.legs:
        assert leg.break_start_min is not None and leg.break_end_min is not None
        assert leg.break_end_min - leg.break_start_min == 45
        assert leg.break_start_min >= 11 * 60 and leg.break_end_min <= 14 * 60
        assert all(leg.break_end_min <= a or b <= leg.break_start_min for a, b in spans)


def test_no_break_under_five_hours_or_with_none() -> None:
    """A 4-hour shift and the "none" policy give no break and the same starts."""
    day = [visit(1, 0, 24 * 60)]
    short = timer(officer("A", shift_end_min=12 * 60)).make_route(day)
    off = timer(officer("A"), shifts=NONE).make_route(day)
    assert short is not None and off is not None
    assert short.legs[0].break_start_min is None and off.legs[0].break_start_min is None


def test_a_break_after_the_last_visit_keeps_the_visits_early() -> None:
    """One morning visit: the break comes after it, and the visit starts as without breaks."""
    day = [visit(1, 0, 24 * 60)]
    with_break = timer(officer("A")).make_route(day)
    without = timer(officer("A"), shifts=NONE).make_route(day)
    assert with_break is not None and without is not None
    assert with_break.starts_min == without.starts_min
    leg = with_break.legs[0]
    assert leg.break_start_min is not None and leg.break_start_min >= with_break.starts_min[0] + 90


def test_an_evening_visit_takes_the_break_before_it() -> None:
    """A late shift (14:00-22:00) with one 19:00-21:00 visit breaks in 17:00-20:00 before it."""
    late = officer("L", shift_start_min=14 * 60, shift_end_min=22 * 60)
    route = timer(late).make_route([visit(1, 19 * 60, 21 * 60)])
    assert route is not None
    leg = route.legs[0]
    assert leg.break_start_min is not None and leg.break_end_min is not None
    assert leg.break_start_min >= 17 * 60 and leg.break_end_min <= route.starts_min[0]


def test_the_exact_router_and_the_timeline_agree() -> None:
    """The order `best_order` finds is one the timeline accepts (breaks included)."""
    stops = [visit(k, 0, 24 * 60, 60) for k in range(5)]
    t = timer(officer("A"), officer("B"))
    order = t.best_order(stops)
    assert order is not None and t.timeline(order) is not None
    assert t.best_order([visit(k, 0, 24 * 60) for k in range(5)]) is None


def test_a_split_officer_breaks_in_the_part_holding_the_window() -> None:
    """08:00-16:00 split at 12:30: the break is due in the morning part, not the afternoon."""
    a = officer("A")
    assert timer(a, part=(8 * 60, 12 * 60 + 30)).breaks[0] is not None
    assert timer(a, part=(12 * 60 + 30, 16 * 60)).breaks[0] is None


def test_the_fast_check_and_the_timeline_agree_on_random_days() -> None:
    """On random crew-days the searches' fast check accepts exactly the days the timeline
    times, and every timed break lies in its window clear of the visits."""
    import random

    from rso_scheduler.models import Officer

    rng = random.Random(3)
    feasible = 0
    for _ in range(400):
        start = rng.choice([420, 480, 600, 840])
        offs = [
            Officer(
                officer_id=f"O{i}",
                base_lat=51.4 + rng.random() * 0.3,
                base_lon=-1 + rng.random() * 0.4,
                shift_start_min=start + rng.choice([0, 0, 180]),
                shift_end_min=min(1440, start + rng.choice([300, 480, 600])),
            )
            for i in range(rng.choice([1, 2]))
        ]
        stops = [
            Stop(k, 51.4 + rng.random() * 0.3, -1 + rng.random() * 0.4, rng.choice([45, 60, 90]),
                 ws, min(1440, ws + rng.choice([1440, 240])), f"P{k}")
            for k, ws in enumerate(rng.choice([0, 0, 600, 1080]) for _ in range(rng.randint(1, 5)))
        ]  # fmt: skip
        t = timer(*offs)
        route = t.make_route(stops)
        assert (t.evaluate(stops) is not None) == (route is not None)
        if route is None:
            continue
        feasible += 1
        for leg, need in zip(route.legs, t.breaks, strict=True):
            if need is None:
                continue
            assert leg.break_start_min is not None and leg.break_end_min is not None
            assert need.earliest_min <= leg.break_start_min
            assert leg.break_end_min == leg.break_start_min + need.minutes <= need.latest_min
            for st, s in zip(route.starts_min, stops, strict=True):
                assert leg.break_end_min <= st or st + s.duration_min <= leg.break_start_min
    assert feasible > 20


def test_break_aware_timings_are_counted_work_once_per_order() -> None:
    """A day with a break due counts its break check; one whose break cannot go after its last
    visit counts the break-aware steps too, once per order (asked again, the answer is
    remembered); a budget made before counts it, and a day without breaks counts nothing."""
    from rso_scheduler.solver.work import (
        BREAK_CHECK_UNITS,
        BREAK_STEP_UNITS,
        WorkBudget,
        break_work,
    )

    busy = [visit(k, 0, 24 * 60) for k in range(4)]  # the break must go between visits
    t = timer(officer("A"))
    budget = WorkBudget(10**9, float("inf"))
    before = break_work()
    assert t.evaluate(busy) is not None
    assert break_work() - before == BREAK_CHECK_UNITS + BREAK_STEP_UNITS
    assert t.evaluate(busy) is not None
    assert break_work() - before == 2 * BREAK_CHECK_UNITS + BREAK_STEP_UNITS
    assert budget.spent == 2 * BREAK_CHECK_UNITS + BREAK_STEP_UNITS
    assert timer(officer("A"), shifts=NONE).evaluate(busy) is not None
    assert break_work() - before == 2 * BREAK_CHECK_UNITS + BREAK_STEP_UNITS
