"""Crews: who works with whom on each day.

Officers available on a day are paired into two-officer crews (no lone visits is the default).
A stable partner is chosen once for the whole plan (same area, overlapping shifts, nearby bases,
shared working days, complementary skills) so that pairs stay together across days; officers
whose partner is off that day are paired among themselves, and anyone left over is a single
crew (only for visits that do not need two officers).

A crew's usable time is the intersection of its officers' shifts. Its first leg is the maximum
of each officer's travel from their own base, and the last leg likewise back, which is exact
for the hard rules even when the two bases differ (each officer's own timing is checked).

Split crews (`_split_day`): where owed windowed work needs it, an officer may work with a
second partner in the hours outside their crew's shared ones (a late officer with a day-shift
partner until 18:00, then with another late officer for the evening). Each crew then covers a
part of the day (`CrewDay.part`); an officer's parts never overlap, and each starts and ends at
base inside its hours, so the officer's joined day obeys the contract's officer-level rule
whenever travel obeys the triangle inequality (the haversine and road models).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from rso_scheduler.calendar import absences_by_officer, days
from rso_scheduler.demand import Requirement
from rso_scheduler.duty import officer_works
from rso_scheduler.geo import haversine_km
from rso_scheduler.models import Absence, Officer
from rso_scheduler.rules import (
    MIN_SHARED_SHIFT_MIN,
    crew_can_make,
    crew_visit_cap,
    crews_share_shift,
    officer_on_duty,
    shared_hours,
)

# A pair is worth forming when the two shifts share enough hours for a few visits (the rule
# lives in rules.crews_share_shift). Measured on the synthetic force: a 75% overlap rule left
# officers alone and their people's two-officer visits late.
MIN_OVERLAP_MIN = MIN_SHARED_SHIFT_MIN
# Pairing that follows the work (see `form_crews`): a standing partnership is worth this much on
# a day, and each unit of risk weight of a windowed visit a pair can make that no crew has been
# formed for yet is worth NEED_VALUE (a same-area pair scores +1,000, each km between bases -10).
STANDING_BONUS = 300.0
NEED_VALUE = 300.0
NEEDS_PER_CREW = 2  # windowed visits one crew-day is counted on to make (an evening holds ~2)
NEAR_KM = 25.0  # a visit outside both officers' areas counts for a pair this close to it
# Split crews (`_split_day`): officers may work with a second partner in the hours outside their
# crew's shared ones, where owed windowed work needs it (see docs/DESIGN.md for the figures).
SPLIT_CREWS = True

CompKey = tuple[tuple[str, ...], tuple[int, int] | None]  # officer ids, part of the day


def windowed_two_officer(r: Requirement) -> bool:
    """Is it an owed two-officer visit restricted to a part of the day (the work crews are
    paired for: `form_crews`' needs, `reform.py`'s unmet work)?"""
    return (
        not r.optional
        and r.two_officers
        and (r.window_start_min is not None or r.window_end_min is not None)
    )


def window_needs(reqs: list[Requirement]) -> list[Requirement]:
    """Owed two-officer visits restricted to a part of the day, for pairing crews to them."""
    return [r for r in reqs if windowed_two_officer(r)]


def comp_order(key: CompKey) -> tuple[tuple[str, ...], tuple[int, int]]:
    """Sort key of crew compositions: by officers, then whole-day before parts by start."""
    return key[0], key[1] if key[1] is not None else (-1, -1)


@dataclass(frozen=True)
class CrewDay:
    """One crew (one or two officers) working together on one day, or on a part of it."""

    index: int  # position in the plan's sorted crew-day list
    day: date
    day_index: int  # days after the plan start
    officers: tuple[Officer, ...]  # sorted by officer_id
    # A split crew covers only a part of the day (its officers work with someone else in
    # another part, which does not overlap): the crew leaves base at the part's start at the
    # earliest and is back by its end. None: the whole shared shift.
    part_start_min: int | None = None
    part_end_min: int | None = None
    formed_because: str = ""  # why these officers work together that day (`form_crews`)
    formed_short: str = ""  # the same in a few words, for a one-sentence reason (crews.csv)
    formed_for: tuple[str, ...] = ()  # offender ids of the set-hours visits it was paired for
    traded: bool = False  # an officer traded places into it (`balance.exchange_officers`)

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
    def part(self) -> tuple[int, int] | None:
        """(start, end) minutes of the part of the day a split crew covers; None: whole day."""
        if self.part_start_min is None or self.part_end_min is None:
            return None
        return self.part_start_min, self.part_end_min

    @property
    def comp_key(self) -> CompKey:
        """The crew's composition: its officers and the part of the day (one timer each)."""
        return self.officer_ids, self.part

    @property
    def start_min(self) -> int:
        return shared_hours(self.officers, self.part)[0]

    @property
    def end_min(self) -> int:
        return shared_hours(self.officers, self.part)[1]

    @property
    def max_visits(self) -> int | None:
        """The crew's visit cap (`rules.crew_visit_cap`)."""
        return crew_visit_cap(self.officers)


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


def _greedy_matching(
    officers: list[Officer], value: Callable[[Officer, Officer], float] = pair_score
) -> list[tuple[Officer, Officer]]:
    """Pairs by descending value, ties by ids: deterministic and close to the best matching."""
    pairs: list[tuple[float, str, str, Officer, Officer]] = []
    for i, a in enumerate(officers):
        for b in officers[i + 1 :]:
            if can_pair(a, b):
                pairs.append((-value(a, b), a.officer_id, b.officer_id, a, b))
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


def _standing_then_rest(
    avail: list[Officer], partners: dict[str, str], by_id: dict[str, Officer]
) -> list[tuple[Officer, Officer]]:
    """Standing partners both on duty work together; the others are matched among themselves."""
    avail_ids = {o.officer_id for o in avail}
    used: set[str] = set()
    out: list[tuple[Officer, Officer]] = []
    for o in avail:
        p = partners.get(o.officer_id)
        if o.officer_id in used or p is None or p not in avail_ids or p in used:
            continue
        used.update((o.officer_id, p))
        out.append((o, by_id[p]))
    out.extend(_greedy_matching([o for o in avail if o.officer_id not in used]))
    return out


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


def covers(
    a: Officer,
    b: Officer,
    need: Requirement,
    area_mode: str,
    part: tuple[int, int] | None = None,
) -> bool:
    """Can the pair (a, b) make the visit (size, skills, strict area, window in both shifts,
    inside `part` of the day for a split crew)?"""
    return crew_can_make(need, (a, b), area_mode, part) is None


def _near(a: Officer, b: Officer, need: Requirement) -> bool:
    if need.area is not None and need.area in (a.area, b.area):
        return True
    return min(haversine_km(o.base_lat, o.base_lon, need.lat, need.lon) for o in (a, b)) <= NEAR_KM


def _day_pairs(
    avail: list[Officer],
    partners: dict[str, str],
    open_needs: list[Requirement],
    area_mode: str,
) -> list[tuple[Officer, Officer]]:
    """A day's pairing: standing partners are worth a bonus, and a pair that can make owed
    windowed visits nobody has been paired for yet (an evening needs two late shifts) is worth
    their weight; greedy by value, ties by ids (deterministic)."""

    def value(a: Officer, b: Officer) -> float:
        v = pair_score(a, b)
        if partners.get(a.officer_id) == b.officer_id:
            v += STANDING_BONUS
        served = [n for n in open_needs if _near(a, b, n) and covers(a, b, n, area_mode)]
        v += NEED_VALUE * sum(n.weight for n in served[:NEEDS_PER_CREW])
        return v

    return _greedy_matching(avail, value)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _need_words(need: Requirement) -> str:
    """A windowed visit in a reason: whose, and its part of the day."""
    lo = need.window_start_min if need.window_start_min is not None else 0
    hi = need.window_end_min if need.window_end_min is not None else 24 * 60
    return f"{need.offender_id}'s {_hhmm(lo)}-{_hhmm(hi)} visit"


def _areas(officers: Sequence[Officer]) -> str:
    names = sorted({o.area or "no area" for o in officers})
    return " and ".join(names)


def _same_area_pair(avail: list[Officer], need: Requirement, area_mode: str) -> bool:
    """Is a pair of officers of the person's area on duty that can make the visit?"""
    mine = [o for o in avail if need.area is not None and o.area == need.area]
    return any(covers(a, b, need, area_mode) for i, a in enumerate(mine) for b in mine[i + 1 :])


def _for_needs_reason(
    a: Officer, b: Officer, booked: list[Requirement], avail: list[Officer], area_mode: str
) -> str:
    """Why a pair was formed for owed visits in a part of the day."""
    areas = sorted({n.area or "no area" for n in booked})
    text = (
        f"paired for {len(booked)} owed visit{'s' if len(booked) > 1 else ''} in set hours in "
        f"{', '.join(areas)} ({', '.join(_need_words(n) for n in booked)})"
    )
    away = [n for n in booked if n.area is not None and not (a.area == b.area == n.area)]
    if away and not any(_same_area_pair(avail, n, area_mode) for n in away):
        them = "them" if len(away) > 1 else "it"
        text += (
            f"; no pair of {', '.join(sorted({str(n.area) for n in away}))} officers on duty "
            f"can make {them}"
        )
    elif away:
        text += "; the pairs of the area on duty that could are formed for other work or less near"
    return text


def _for_needs_short(booked: list[Requirement]) -> str:
    """`_for_needs_reason` in a few words: how many set-hours visits, and where."""
    areas = sorted({n.area or "no area" for n in booked})
    n = len(booked)
    return f"paired for {n} set-hours visit{'s' if n != 1 else ''} in {', '.join(areas)}"


def _off_reason(
    o: Officer,
    partners: dict[str, str],
    by_id: dict[str, Officer],
    day: date,
    absences: dict[str, list[Absence]],
    holidays_off: dict[date, str] | frozenset[date],
    used_ids: set[str],
) -> str | None:
    """Why an officer is not with their standing partner today (None: the partner is free)."""
    p = partners.get(o.officer_id)
    if p is None:
        return f"{o.officer_id} has no standing partner"
    off = officer_on_duty(by_id[p], day, absences, holidays_off)
    if off is not None:
        return f"{o.officer_id}'s standing partner is off ({off})"
    if p in used_ids:
        return f"{o.officer_id}'s standing partner {p} is in a crew kept from the issued roster"
    return None


def _free_pair_reason(a: Officer, b: Officer, why_off: list[str]) -> str:
    """Why two officers who are not standing partners (or not needed for set hours) pair."""
    base = (
        "paired with a free officer on duty (same area first, then shared hours and nearest base)"
    )
    if why_off:
        return f"{'; '.join(why_off)}: {base}"
    return f"their standing partners are paired for other work today: {base}"


def _alone_reason(o: Officer, free: list[Officer], used: set[str]) -> str:
    """Why an officer works alone (only visits that do not need two officers)."""
    left = [x for x in free if x.officer_id not in used and x.officer_id != o.officer_id]
    if not left:
        return "alone: no free officer on duty to pair with"
    return (
        "alone: no free officer on duty whose shift shares "
        f"{MIN_SHARED_SHIFT_MIN // 60} hours with theirs"
    )


Part = tuple[int, int]


@dataclass
class _DayCrew:
    """A crew of the day being formed: its officers and hours."""

    officers: tuple[Officer, ...]
    hours: Part  # the shared shift, or the part of the day of a split crew
    split: bool = False  # a split crew formed for the hours outside its officers' crews


def _free_windows(o: Officer, crews: list[_DayCrew]) -> list[Part]:
    """The officer's shift outside the two-officer crews they are already in."""
    taken = sorted(c.hours for c in crews if len(c.officers) > 1 and o in c.officers)
    out: list[Part] = []
    t = o.shift_start_min
    for lo, hi in taken:
        if lo > t:
            out.append((t, lo))
        t = max(t, hi)
    if o.shift_end_min > t:
        out.append((t, o.shift_end_min))
    return out


def _makes(a: Officer, b: Officer, need: Requirement, area_mode: str, part: Part) -> bool:
    return _near(a, b, need) and covers(a, b, need, area_mode, part)


def _split_options(
    officers: list[Officer],
    crews: list[_DayCrew],
    open_needs: list[Requirement],
    booked: set[str],
    area_mode: str,
) -> list[tuple[tuple[float, float, str, str, Part], Officer, Officer, Part]]:
    """Every split crew worth forming now, best first: (sort key, a, b, part).

    Two officers of different crews work together in `part` when it lies in both officers'
    free hours (outside their two-officer crews; a lone officer's whole shift) and is long
    enough for a crew; worth it only for owed windowed visits no crew was counted on for.
    """
    pairs_of = {
        o.officer_id: sum(1 for c in crews if len(c.officers) > 1 and o in c.officers)
        for o in officers
    }
    crew_of = {o.officer_id: i for i, c in enumerate(crews) for o in c.officers}
    unbooked = [n for n in open_needs if n.offender_id not in booked]
    if not unbooked:
        return []
    free = {
        o.officer_id: _free_windows(o, crews) for o in officers if pairs_of[o.officer_id] < 2
    }  # two parts of a day at most
    open_officers = [o for o in officers if free.get(o.officer_id)]
    out: list[tuple[tuple[float, float, str, str, Part], Officer, Officer, Part]] = []
    for i, a in enumerate(open_officers):
        for b in open_officers[i + 1 :]:
            if crew_of[a.officer_id] == crew_of[b.officer_id]:
                continue
            for wa in free[a.officer_id]:
                for wb in free[b.officer_id]:
                    part = (max(wa[0], wb[0]), min(wa[1], wb[1]))
                    if crews_share_shift(a, b, part) is not None:
                        continue
                    served = [n for n in unbooked if _makes(a, b, n, area_mode, part)]
                    if served:
                        need = sum(n.weight for n in served[:NEEDS_PER_CREW])
                        key = (-need, -pair_score(a, b), a.officer_id, b.officer_id, part)
                        out.append((key, a, b, part))
    out.sort(key=lambda o: o[0])
    return out


def _split_day(
    crews: list[tuple[Officer, ...]],
    open_needs: list[Requirement],
    booked: set[str],
    area_mode: str,
    booked_by: dict[tuple[tuple[str, ...], Part], list[Requirement]] | None = None,
) -> list[tuple[tuple[Officer, ...], Part | None]]:
    """A day's crews with split crews added where owed windowed work needs them.

    An officer may work with a second partner in another part of the day (at most two parts;
    parts never overlap) when two officers' free hours (outside their crews' shared ones, or a
    lone officer's shift) overlap long enough (`rules.crews_share_shift` inside the part):
    typically a late officer with an early-shift partner in the afternoon and with another late
    officer in the evening. Formed only for owed windowed visits no crew of the day was counted
    on for, the most urgent first, then `pair_score`, ties by ids (deterministic), one at a
    time. A lone officer who joins one keeps the longer rest of their shift alone when it is
    long enough for a crew. Returns (officers, part) per crew, part None for a crew of the
    whole day; `booked` gains the needs counted on the new crews (and `booked_by`, by officer
    ids and part, the needs of each split crew).

    Also measured: cutting a whole-day crew's hours so that a lone officer can work with one of
    its officers at one end (the rest kept by the crew) made the evening-heavy month worse (18
    evening visits missed against 5 without split crews): the evening crews then start late.
    """
    day = [_DayCrew(c, shared_hours(c)) for c in crews]
    if not SPLIT_CREWS or not open_needs:
        return [(c, None) for c in crews]
    officers = sorted((o for c in crews for o in c), key=lambda o: o.officer_id)
    for _ in range(len(officers)):
        options = _split_options(officers, day, open_needs, booked, area_mode)
        if not options:
            break
        _key, a, b, part = options[0]
        new = tuple(sorted((a, b), key=lambda o: o.officer_id))
        mine = [
            n
            for n in open_needs
            if n.offender_id not in booked and _makes(a, b, n, area_mode, part)
        ][:NEEDS_PER_CREW]
        booked.update(n.offender_id for n in mine)
        if booked_by is not None:  # what the split crew was formed for (its reason)
            booked_by[(tuple(o.officer_id for o in new), part)] = mine
        day.append(_DayCrew(new, part, split=True))
    pairs = [c for c in day if len(c.officers) > 1]
    in_split = {o.officer_id for c in pairs if c.split for o in c.officers}
    out: list[tuple[tuple[Officer, ...], Part | None]] = []
    for c in pairs:
        touched = c.split or any(o.officer_id in in_split for o in c.officers)
        out.append((c.officers, c.hours if touched else None))
    for c in day:
        if len(c.officers) > 1:
            continue
        (o,) = c.officers
        theirs = [p for p in pairs if o in p.officers]
        if not theirs:
            out.append((c.officers, None))
            continue
        if len(theirs) > 1:
            continue
        rest = max(_free_windows(o, day), key=lambda w: (w[1] - w[0], -w[0]), default=None)
        if rest is not None and rest[1] - rest[0] >= MIN_SHARED_SHIFT_MIN:
            out.append((c.officers, rest))
    return out


def _required_day(
    kept: list[tuple[Officer, ...]], split: bool
) -> list[tuple[tuple[Officer, ...], Part | None]]:
    """A re-plan's crews of a day, in order: each formed when none of its officers is in an
    earlier one; a two-officer crew of officers already in one crew each is formed as a split
    crew in their free hours (as `_split_day` forms them), when those are long enough."""
    day: list[_DayCrew] = []
    for offs in kept:
        taken = [c for c in day if any(o in c.officers for o in offs)]
        if not taken:
            day.append(_DayCrew(offs, shared_hours(offs)))
            continue
        if not (split and SPLIT_CREWS) or len(offs) != 2:
            continue
        a, b = offs
        if any(len(c.officers) == 1 for c in taken) or any(
            sum(1 for c in day if o in c.officers) > 1 for o in offs
        ):
            continue
        windows = [
            (max(wa[0], wb[0]), min(wa[1], wb[1]))
            for wa in _free_windows(a, day)
            for wb in _free_windows(b, day)
        ]
        fits = [w for w in windows if crews_share_shift(a, b, w) is None]
        if fits:
            day.append(_DayCrew(offs, max(fits, key=lambda w: (w[1] - w[0], -w[0])), split=True))
    in_split = {o.officer_id for c in day if c.split for o in c.officers}
    return [
        (
            c.officers,
            c.hours if c.split or any(o.officer_id in in_split for o in c.officers) else None,
        )
        for c in day
    ]


def _part_words(part: Part) -> str:
    return f"{_hhmm(part[0])}-{_hhmm(part[1])}"


def _reason_in_day(
    offs: tuple[Officer, ...],
    part: Part | None,
    whole: dict[tuple[str, ...], tuple[str, str]],
    split_for: dict[tuple[tuple[str, ...], Part], list[Requirement]],
    avail: list[Officer],
    area_mode: str,
) -> tuple[str, str, tuple[str, ...]]:
    """(why, why in a few words, needs it was formed for) of a crew as `_split_day` returned it: a whole-day crew
    keeps its pairing's reason; one cut to a part (an officer of it is also in a split crew)
    says so; a split crew says what it was formed for; a lone officer's rest of a shift too."""
    ids = tuple(o.officer_id for o in offs)
    if part is not None and (ids, part) in split_for:
        mine = split_for[(ids, part)]
        a, b = offs
        why = (
            f"split crew for {_part_words(part)} (each officer works with another partner or "
            f"alone in the rest of their shift): {_for_needs_reason(a, b, mine, avail, area_mode)}"
        )
        if a.area != b.area:
            why += f" (officers of {_areas(offs)})"
        short = f"split crew for {_part_words(part)}, {_for_needs_short(mine)}"
        return why, short, tuple(n.offender_id for n in mine)
    why, short = whole.get(ids, ("", ""))
    if part is not None and len(offs) > 1:
        why = f"{why}; for {_part_words(part)} only, as an officer of it is in a split crew"
        short = f"{short}, for {_part_words(part)} only (an officer is in a split crew)"
    elif part is not None:
        why = f"alone for {_part_words(part)}, the rest of the shift outside a split crew"
        short = why
    return why, short, ()


def form_crews(
    officers: list[Officer],
    absences: tuple[Absence, ...],
    start: date,
    end: date,
    holidays_off: dict[date, str] | frozenset[date],
    required: Mapping[date, Sequence[tuple[str, ...]]] | None = None,
    needs: list[Requirement] | None = None,
    area_mode: str = "prefer",
    split: bool = True,
) -> list[CrewDay]:
    """Every crew-day of the plan, sorted by (day, crew_id), each with the reason it was formed.

    `required` (a re-plan): crews that must exist on a day, formed first when all their
    officers are on duty and not already in an earlier required crew of that day, or as a
    split crew in the free hours of two officers who are (an issued roster's split crews).

    Without `needs`, standing partners work together whenever both are on duty and the others
    are paired among themselves. With `needs` (owed visits in a part of the day, checked with
    `rules.crew_can_make`), each day's pairing also follows the work: a pair that can make needed
    visits no crew of an earlier day was formed for (most urgent first, `NEEDS_PER_CREW` per
    crew-day) is worth their risk weight, so two late officers are paired on a day with
    evening visits to make even if their standing partners are on duty.
    """
    partners = standing_partners(officers)
    by_officer = absences_by_officer(absences)
    by_id = {o.officer_id: o for o in officers}
    crews: list[tuple[date, tuple[Officer, ...], Part | None, str, str, tuple[str, ...]]] = []
    pending = sorted(needs or [], key=lambda n: (n.first_earliest, -n.weight, n.offender_id))
    for day in days(start, end):
        avail = working_officers(officers, day, by_officer, holidays_off)
        avail_ids = {o.officer_id for o in avail}
        used: set[str] = set()
        kept = [
            tuple(by_id[i] for i in sorted(comp))
            for comp in (required or {}).get(day, ())
            if set(comp) <= avail_ids and len(set(comp)) == len(comp)
        ]
        for offs, part in _required_day(kept, split):
            used.update(o.officer_id for o in offs)
            crews.append(
                (
                    day,
                    offs,
                    part,
                    "kept from the issued roster (a re-plan keeps its crews)",
                    "kept from the issued roster",
                    (),
                )
            )
        kept_ids = set(used)
        free = [o for o in avail if o.officer_id not in used]
        open_needs = [n for n in pending if n.first_earliest <= day]
        booked: set[str] = set()
        booked_by: dict[tuple[str, str], list[Requirement]] = {}
        if open_needs:
            pairs = _day_pairs(free, partners, open_needs, area_mode)
            for a, b in pairs:  # each crew takes the needs it can make, most urgent first
                mine = [
                    n
                    for n in open_needs
                    if n.offender_id not in booked and _near(a, b, n) and covers(a, b, n, area_mode)
                ]
                booked.update(n.offender_id for n in mine[:NEEDS_PER_CREW])
                booked_by[(a.officer_id, b.officer_id)] = mine[:NEEDS_PER_CREW]
        else:
            pairs = _standing_then_rest(free, partners, by_id)
        today = [tuple(sorted((a, b), key=lambda x: x.officer_id)) for a, b in pairs]
        whole: dict[tuple[str, ...], tuple[str, str]] = {}
        needs_of: dict[tuple[str, ...], tuple[str, ...]] = {}
        for a, b in pairs:
            used.update((a.officer_id, b.officer_id))
        for a, b in pairs:
            mine = booked_by.get((a.officer_id, b.officer_id), [])
            if mine:
                why = _for_needs_reason(a, b, mine, avail, area_mode)
                short = _for_needs_short(mine)
                if partners.get(a.officer_id) == b.officer_id:
                    why = f"standing partners; {why}"
                    short = f"standing partners, {short}"
            elif partners.get(a.officer_id) == b.officer_id:
                why = short = "standing partners"
            else:
                off = [
                    r
                    for o in (a, b)
                    if (
                        r := _off_reason(
                            o, partners, by_id, day, by_officer, holidays_off, kept_ids
                        )
                    )
                ]
                why = _free_pair_reason(a, b, off)
                short = (
                    "a standing partner is off, so paired with a free officer on duty"
                    if off
                    else "standing partners busy with other work, so paired with a free officer"
                )
            if a.area != b.area:
                why += f" (officers of {_areas((a, b))})"
            ids = tuple(sorted((a.officer_id, b.officer_id)))
            whole[ids] = why, short
            needs_of[ids] = tuple(n.offender_id for n in mine)
        for o in avail:
            if o.officer_id not in used:
                alone = _alone_reason(o, free, used)
                whole[(o.officer_id,)] = alone, alone
        today.extend((o,) for o in avail if o.officer_id not in used)
        split_for: dict[tuple[tuple[str, ...], Part], list[Requirement]] = {}
        formed = (
            _split_day(today, open_needs, booked, area_mode, split_for)
            if split
            else [(c, None) for c in today]
        )
        for offs, part in formed:
            why, short, made_for = _reason_in_day(offs, part, whole, split_for, avail, area_mode)
            ids = tuple(o.officer_id for o in offs)
            crews.append((day, offs, part, why, short, made_for or needs_of.get(ids, ())))
        pending = [n for n in pending if n.offender_id not in booked]
    crews.sort(key=lambda c: (c[0], "+".join(o.officer_id for o in c[1]), c[2] or (-1, -1)))
    return [
        CrewDay(
            index=i,
            day=d,
            day_index=(d - start).days,
            officers=offs,
            part_start_min=part[0] if part else None,
            part_end_min=part[1] if part else None,
            formed_because=why,
            formed_short=short,
            formed_for=made_for,
        )
        for i, (d, offs, part, why, short, made_for) in enumerate(crews)
    ]
