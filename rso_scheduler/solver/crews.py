"""Crews: who works with whom on each day.

Officers available on a day are paired into two-officer crews (no lone visits is the default).
A stable partner is chosen once for the whole plan (same area, overlapping shifts, nearby bases,
shared working days, complementary skills) so that pairs stay together across days; officers
whose partner is off that day are paired among themselves, and anyone left over is a single
crew (only for visits that do not need two officers).

A crew's usable time is the intersection of its officers' shifts. Its first leg is the maximum
of each officer's travel from their own base, and the last leg likewise back, which is exact
for the hard rules even when the two bases differ (each officer's own timing is checked).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from rso_scheduler.calendar import absences_by_officer, days, officer_works
from rso_scheduler.models import Absence, Officer
from rso_scheduler.rules import MIN_SHARED_SHIFT_MIN, crews_share_shift
from rso_scheduler.travel import haversine_km

# A pair is worth forming when the two shifts share enough hours for a few visits (the rule
# lives in rules.crews_share_shift). Measured on the synthetic force: a 75% overlap rule left
# officers alone and their people's two-officer visits late.
MIN_OVERLAP_MIN = MIN_SHARED_SHIFT_MIN


@dataclass(frozen=True)
class CrewDay:
    """One crew (one or two officers) working together on one day."""

    index: int  # position in the plan's sorted crew-day list
    day: date
    day_index: int  # days after the plan start
    officers: tuple[Officer, ...]  # sorted by officer_id

    @property
    def crew_id(self) -> str:
        return "+".join(o.officer_id for o in self.officers)

    @property
    def officer_ids(self) -> tuple[str, ...]:
        return tuple(o.officer_id for o in self.officers)

    @property
    def size(self) -> int:
        return len(self.officers)

    @property
    def start_min(self) -> int:
        return max(o.shift_start_min for o in self.officers)

    @property
    def end_min(self) -> int:
        return min(o.shift_end_min for o in self.officers)

    @property
    def skills(self) -> frozenset[str]:
        out: frozenset[str] = frozenset()
        for o in self.officers:
            out |= o.skills
        return out

    @property
    def max_visits(self) -> int | None:
        caps = [o.max_visits_per_day for o in self.officers if o.max_visits_per_day is not None]
        return min(caps) if caps else None


def _overlap_min(a: Officer, b: Officer) -> int:
    return min(a.shift_end_min, b.shift_end_min) - max(a.shift_start_min, b.shift_start_min)


def can_pair(a: Officer, b: Officer) -> bool:
    """Two officers can form a crew when their shifts share enough hours for a few visits."""
    return crews_share_shift(a, b) is None


def pair_score(a: Officer, b: Officer) -> float:
    """How good a standing partnership is (higher is better); only for pairs that `can_pair`."""
    score = 2.0 * float(_overlap_min(a, b))
    if a.area is not None and a.area == b.area:
        score += 1000.0
    score -= 10.0 * haversine_km(a.base_lat, a.base_lon, b.base_lat, b.base_lon)
    score += 40.0 * len(a.working_days & b.working_days)
    # complementary skills widen what the crew can cover
    score += 5.0 * len(a.skills ^ b.skills)
    return score


def _greedy_matching(officers: list[Officer]) -> list[tuple[Officer, Officer]]:
    """Pairs by descending score, ties by ids: deterministic and close to the best matching."""
    pairs: list[tuple[float, str, str, Officer, Officer]] = []
    for i, a in enumerate(officers):
        for b in officers[i + 1 :]:
            if can_pair(a, b):
                pairs.append((-pair_score(a, b), a.officer_id, b.officer_id, a, b))
    pairs.sort(key=lambda p: (p[0], p[1], p[2]))
    used: set[str] = set()
    out: list[tuple[Officer, Officer]] = []
    for _, ida, idb, a, b in pairs:
        if ida in used or idb in used:
            continue
        used.add(ida)
        used.add(idb)
        out.append((a, b))
    return out


def standing_partners(officers: list[Officer]) -> dict[str, str]:
    """Each officer's standing partner for the plan (officer_id -> officer_id)."""
    by_id = sorted(officers, key=lambda o: o.officer_id)
    partner: dict[str, str] = {}
    for a, b in _greedy_matching(by_id):
        partner[a.officer_id] = b.officer_id
        partner[b.officer_id] = a.officer_id
    return partner


def working_officers(
    officers: list[Officer],
    day: date,
    absences: dict[str, list[Absence]],
    holidays_off: dict[date, str] | frozenset[date],
) -> list[Officer]:
    """Officers available for visits on a day, sorted by id."""
    return sorted(
        (o for o in officers if officer_works(o, day, absences, holidays_off)),
        key=lambda o: o.officer_id,
    )


def form_crews(
    officers: list[Officer],
    absences: tuple[Absence, ...],
    start: date,
    end: date,
    holidays_off: dict[date, str] | frozenset[date],
    required: Mapping[date, Sequence[tuple[str, ...]]] | None = None,
) -> list[CrewDay]:
    """Every crew-day of the plan, sorted by (day, crew_id).

    `required` (a re-plan): crews that must exist on a day, formed first when all their
    officers are on duty and not already in an earlier required crew of that day."""
    partners = standing_partners(officers)
    by_officer = absences_by_officer(absences)
    by_id = {o.officer_id: o for o in officers}
    crews: list[tuple[date, tuple[Officer, ...]]] = []
    for day in days(start, end):
        avail = working_officers(officers, day, by_officer, holidays_off)
        avail_ids = {o.officer_id for o in avail}
        used: set[str] = set()
        for comp in (required or {}).get(day, ()):
            ids = set(comp)
            if ids <= avail_ids and not ids & used and len(ids) == len(comp):
                used.update(ids)
                crews.append((day, tuple(by_id[i] for i in sorted(ids))))
        for o in avail:
            p = partners.get(o.officer_id)
            if o.officer_id in used or p is None or p not in avail_ids or p in used:
                continue
            used.update((o.officer_id, p))
            crews.append((day, tuple(sorted((o, by_id[p]), key=lambda x: x.officer_id))))
        rest = [o for o in avail if o.officer_id not in used]
        for a, b in _greedy_matching(rest):
            used.update((a.officer_id, b.officer_id))
            crews.append((day, (a, b)))
        for o in rest:
            if o.officer_id not in used:
                crews.append((day, (o,)))
    crews.sort(key=lambda c: (c[0], "+".join(o.officer_id for o in c[1])))
    return [
        CrewDay(index=i, day=d, day_index=(d - start).days, officers=offs)
        for i, (d, offs) in enumerate(crews)
    ]
