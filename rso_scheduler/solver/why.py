"""Why a crew-day is as it is: what a far pair or a long drive saved, said in plain English.

`form_crews` records why officers were paired (standing partners, set-hours work, a partner off
duty). A crew-day that pairs officers of different areas, whose bases are far apart, or that
drives a leg over `LONG_LEG_MIN`, must also say what it saved: for each of its visits, whether
it was the only crew on duty that day that could make it, the only one with room left, or
whether another crew could have taken it (then it saved nothing there). Computed on the final
roster with the planner's routing and the run's travel; nothing is changed here.
"""

from __future__ import annotations

from collections.abc import Callable

from rso_scheduler.geo import haversine_km
from rso_scheduler.solver.crews import CrewDay
from rso_scheduler.solver.problem import Problem
from rso_scheduler.solver.routing import CrewTimer, Stop
from rso_scheduler.travel import longest_leg_min

FAR_PAIR_KM = 40.0  # two officers whose bases are this far apart (straight line) are a far pair
LONG_LEG_MIN = 90  # a single drive this long is a long leg
FAR_VISIT_MIN = 45  # a visit this far from the crew (the longer of its officers' drives) ...
NEAR_CREW_MIN = 20  # ... is handed to a crew this near with room, where that loses nothing


def base_drive_min(timer: CrewTimer, stop: Stop) -> int:
    """How far a visit is from a crew: the longer of its officers' drives from base."""
    return max(timer.out_legs(stop))


def bases_km(crew: CrewDay) -> float:
    """Straight-line km between a pair's bases (0 for one officer)."""
    if crew.size != 2:
        return 0.0
    a, b = crew.officers
    return haversine_km(a.base_lat, a.base_lon, b.base_lat, b.base_lon)


def drives_far(crew: CrewDay, timer: CrewTimer, order: list[Stop]) -> bool:
    """Does a crew-day drive far: a leg over LONG_LEG_MIN, bases over FAR_PAIR_KM apart, or a
    visit over FAR_VISIT_MIN from base (what `improve.bring_near` works on)?"""
    if not order:
        return False
    if bases_km(crew) > FAR_PAIR_KM:
        return True
    if any(base_drive_min(timer, s) > FAR_VISIT_MIN for s in order):
        return True
    return (
        longest_leg_min(timer.cache.minutes, timer.bases, [s.place for s in order]) > LONG_LEG_MIN
    )


def far_because(crew: CrewDay, longest_min: int) -> list[str]:
    """What makes a crew-day far (empty: nothing): areas, bases apart, a long leg."""
    out = []
    areas = sorted({o.area or "no area" for o in crew.officers})
    if len(areas) > 1:
        out.append(f"officers of {' and '.join(areas)}")
    km = bases_km(crew)
    if km > FAR_PAIR_KM:
        out.append(f"bases {km:.0f} km apart")
    if longest_min > LONG_LEG_MIN:
        out.append(f"a {longest_min}-minute drive")
    return out


def _window(stop: Stop) -> str:
    if stop.window_start_min <= 0 and stop.window_end_min >= 24 * 60:
        return ""
    lo, hi = stop.window_start_min, stop.window_end_min
    return f" {lo // 60:02d}:{lo % 60:02d}-{hi // 60:02d}:{hi % 60:02d}"


def _alternatives(
    prob: Problem, stops: dict[int, list[Stop]], crew: CrewDay, person: int, stop: Stop
) -> tuple[int, int]:
    """(crews of the day that could ever make the visit, of them with room for it now)."""
    able = room = 0
    for comp, other in sorted(prob.crews_by_day[crew.day_index].items()):
        if other.index == crew.index or prob.static_eligibility(person, comp) is None:
            continue
        able += 1
        order = stops.get(other.index, [])
        left = prob.visits_left(other.index, lambda i: len(stops.get(i, [])))
        if left is not None and left <= 0:
            continue
        if prob.timers[comp].cheapest_insertion(order, stop) is not None:
            room += 1
    return able, room


def what_it_saved(
    prob: Problem,
    stops: dict[int, list[Stop]],
    person_of: dict[int, int],
    crew: CrewDay,
    lateness: Callable[[int], str],
) -> str:
    """For a far crew-day: which of its visits no other crew of the day could make or had room
    for (`lateness(key)`: e.g. "on time, due 2027-01-12"), and how many others could have."""
    order = stops.get(crew.index, [])
    if not order:
        return "made no visits"
    only: list[str] = []
    full: list[str] = []
    manager: list[str] = []
    spare = 0
    for s in order:
        p = person_of[s.key]
        able, room = _alternatives(prob, stops, crew, p, s)
        r = prob.reqs[p]
        who = f"{r.offender_id}'s{_window(s)} visit ({lateness(s.key)})"
        if able == 0:
            only.append(who)
        elif room == 0:
            full.append(who)
        elif r.manager_id is not None and r.manager_id in crew.officer_ids:
            manager.append(r.offender_id)
        else:
            spare += 1
    parts = []
    if only:
        parts.append(f"the only crew on duty that can make {', '.join(only)}")
    if full:
        parts.append(f"no other crew that can make {', '.join(full)} had room that day")
    if manager:
        parts.append(f"takes their named offender manager to {', '.join(manager)}")
    if spare:
        parts.append(
            f"{spare} of its {len(order)} visits other crews of the day had room for too; the "
            "planner found no nearer crew to take them for less travel without more lateness"
        )
    return "; ".join(parts)
