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
from dataclasses import dataclass
from datetime import date

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


@dataclass(frozen=True)
class Saved:
    """What a far crew-day's visits saved: those no other crew of the day could make (`only`),
    those no other able crew had room for (`full`), those it takes the named offender manager
    to (`manager`), and how many others had room elsewhere too (`spare`), of `visits`."""

    only: tuple[str, ...]
    full: tuple[str, ...]
    manager: tuple[str, ...]
    spare: int
    visits: int

    def text(self) -> str:
        """In full, naming each visit (crews.csv `formed_detail`)."""
        if not self.visits:
            return "made no visits"
        parts = []
        if self.only:
            parts.append(f"the only crew on duty that can make {', '.join(self.only)}")
        if self.full:
            parts.append(f"no other crew that can make {', '.join(self.full)} had room that day")
        if self.manager:
            parts.append(f"takes their named offender manager to {', '.join(self.manager)}")
        if self.spare:
            parts.append(
                f"{self.spare} of its {self.visits} visits other crews of the day had room for "
                "too; the planner found no nearer crew to take them for less travel without "
                "more lateness"
            )
        return "; ".join(parts)

    def short(self) -> str:
        """In a few words, counting visits (crews.csv `formed_because`)."""
        if not self.visits:
            return "it made no visits"
        parts = []
        if self.only:
            parts.append(f"the only crew able to make {_of_its(len(self.only), self.visits)}")
        if self.full:
            parts.append(f"no other able crew had room for {_of_its(len(self.full), self.visits)}")
        if self.manager:
            parts.append(f"it takes the offender manager to {len(self.manager)}")
        if self.spare:
            parts.append(f"{self.spare} could have gone to a crew with room")
        return ", ".join(parts)


def _of_its(n: int, total: int) -> str:
    if total == 1:
        return "its visit"
    if n == total:
        return f"all {total} of its visits"
    return f"{n} of its {total} visits"


def saved_by(
    prob: Problem,
    stops: dict[int, list[Stop]],
    person_of: dict[int, int],
    crew: CrewDay,
    lateness: Callable[[int], str],
) -> Saved:
    """For a far crew-day: which of its visits no other crew of the day could make or had room
    for (`lateness(key)`: e.g. "on time, due 2027-01-12"), and how many others could have."""
    order = stops.get(crew.index, [])
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
    return Saved(tuple(only), tuple(full), tuple(manager), spare, len(order))


def what_it_saved(
    prob: Problem,
    stops: dict[int, list[Stop]],
    person_of: dict[int, int],
    crew: CrewDay,
    lateness: Callable[[int], str],
) -> str:
    """`saved_by` in full words."""
    return saved_by(prob, stops, person_of, crew, lateness).text()


MAX_REASON_CHARS = 200  # crews.csv formed_because: one sentence a supervisor reads in one breath


def paired_for(
    crew: CrewDay, made_here: set[str], planned_on: dict[str, list[date]], visits: int
) -> tuple[str, str]:
    """(detail, short) on the set-hours visits a crew was paired for: how many it made, and,
    where it made none, where they went and what the crew is kept for. ("", "") when it was
    not paired for any; no short note when it made some, or was traded into (its pairing was
    another crew's)."""
    n = len(crew.formed_for)
    if not n:
        return "", ""
    made = sum(1 for oid in crew.formed_for if oid in made_here)
    what = f"{n} set-hours visit{'s' if n != 1 else ''} it was paired for"
    if made:
        return f"; made {made} of the {what}", ""
    same_day = sum(1 for oid in crew.formed_for if crew.day in planned_on.get(oid, []))
    other_day = sum(
        1 for oid in crew.formed_for if planned_on.get(oid) and crew.day not in planned_on[oid]
    )
    unplanned = n - same_day - other_day
    counts = [(same_day, "to another crew that day"), (other_day, "to another day")]
    counts.append((unplanned, "unplanned"))
    gone = [(k, words) for k, words in counts if k]
    where = ", ".join(f"{k} {words}" for k, words in gone)
    kept = (
        f"kept for its {visits} other visit{'s' if visits != 1 else ''}"
        if visits
        else "it made no visits"
    )
    detail = f"; made none of the {what} ({where}); {kept}"
    if crew.traded:
        return detail, ""
    them = "it" if n == 1 else "all" if len(gone) == 1 else "they"
    went = gone[0][1] if len(gone) == 1 else where
    if len(gone) == 1 and gone[0][1] == "unplanned":
        return detail, f", but {'it was' if n == 1 else 'they were'} not planned; {kept}"
    return detail, f", but {them} went {went}; {kept}"


def over_limit(legs: list[tuple[str, int, bool]], limit: int) -> str:
    """What a crew-day's drives beyond `[planner] max_leg_minutes` are for ("" for none):
    (offender id, longest drive, kept from the issued roster) per visit."""
    if not legs:
        return ""
    longest = max(m for _oid, m, _kept in legs)
    whose = ", ".join(sorted({oid for oid, _m, _kept in legs}))
    why = (
        "kept from the issued roster"
        if all(kept for _oid, _m, kept in legs)
        else "no crew within it could take the visit, and a miss costs more"
    )
    return f"drives beyond the {limit}-minute limit ({longest} minutes, {whose}): {why}"


def crew_reason(
    crew: CrewDay,
    paired: tuple[str, str],
    far: list[str],
    saved: Saved | None,
    over: str = "",
) -> tuple[str, str]:
    """(formed_because, formed_detail) of a crew-day: one sentence of at most
    `MAX_REASON_CHARS` (why it was formed in a few words, what became of the visits it was
    paired for, and for a far crew-day with visits what makes it far and what it saved, in
    counts; `over`: its drives beyond `[planner] max_leg_minutes`, first) and the whole chain in full (every trade, every visit named; "" when it says no
    more than the sentence)."""
    detail = crew.formed_because + paired[0]
    if far and saved is not None:
        detail = f"{detail}. Kept although {', '.join(far)}: {saved.text()}"
    if over:
        detail = f"{detail}. It {over}"
    head = crew.formed_short or crew.formed_because
    head = head[:1].upper() + head[1:]
    if saved is None or not saved.visits:
        far = []
    tries = []
    if over:  # the limit comes first: a supervisor must see it
        for far_words, note in ((far, paired[1]), ([], paired[1]), ([], "")):
            also = f", {', '.join(far_words)}" if far_words else ""
            tries.append(f"{head}{note}; {over}{also}.")
    for far_words, note in ((far, paired[1]), (far[:1], paired[1]), (far[:1], "")):
        kept = (
            f"; kept although {', '.join(far_words)}: {saved.short()}"
            if far_words and saved
            else ""
        )
        tries.append(f"{head}{note}{kept}.")
    short = next((t for t in tries if len(t) <= MAX_REASON_CHARS), tries[-1])
    if len(short) > MAX_REASON_CHARS:
        short = short[: MAX_REASON_CHARS - 3].rstrip(" ,;") + "..."
    same = short.rstrip(".").lower() == detail.rstrip(".").lower()
    return short, "" if same else detail
