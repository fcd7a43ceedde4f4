"""The planning problem in plain indexed form: people, visit slots, crew-days and candidates.

Built once per plan from the requirements and crews. Everything here is sorted and indexed so
that the same inputs always give the same model (no set or dict order leaks into the solver).

A *slot* is one owed visit of one person: slot 0 is the first owed visit; slots 1, 2... are
chained visits of people whose interval is shorter than the plan. A *candidate* is a pair
(slot, crew-day) that passes every static hard rule (date range, person available, crew size,
skills, strict area, the window reachable inside the crew's shifts with exact travel), pruned
to the crews nearest the person each day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from rso_scheduler.demand import Requirement
from rso_scheduler.models import Officer
from rso_scheduler.policy import Policy
from rso_scheduler.rules import (
    area_mismatches,
    crew_can_make,
    keep_count_deadline,
    last_owed_floor,
    window_reachable,
)
from rso_scheduler.solver.crews import CompKey, CrewDay, comp_order
from rso_scheduler.solver.routing import CrewTimer, Stop, TravelCache
from rso_scheduler.travel import Place, Travel, base, travel_for

DAY_MIN = 24 * 60
# Candidate pruning: crews kept per person and day for the assignment model; the repair pass
# looks wider (REPAIR_COMPS) for whatever the model could not place.
COMPS_PER_PERSON = 8
REPAIR_COMPS = 40


@dataclass(frozen=True)
class Slot:
    """One owed visit of one person (seq 0 = first owed visit in the plan)."""

    index: int
    person: int  # index into Problem.reqs
    seq: int
    earliest_index: int  # earliest day (days after plan start) this slot could ever take


@dataclass
class Problem:
    """Indexed planning data shared by the assignment model, routing, repair and extraction."""

    start: date
    end: date
    policy: Policy
    reqs: list[Requirement]
    crews: list[CrewDay]
    cache: TravelCache
    area_mode: str
    officers: dict[str, Officer]
    slots: list[Slot] = field(default_factory=list)
    comps: list[tuple[str, ...]] = field(default_factory=list)  # officers of each composition
    comp_index: dict[CompKey, int] = field(default_factory=dict)  # (officers, part) -> comp
    timers: list[CrewTimer] = field(default_factory=list)
    crews_by_day: list[dict[int, CrewDay]] = field(default_factory=list)  # day -> comp -> crew
    approx_min: np.ndarray | None = None  # person x comp: max over officers of one-way minutes
    ranked_cache: dict[int, list[int]] = field(default_factory=dict)
    # the same beyond `[planner] max_leg_minutes` too (the last resort before a miss)
    ranked_beyond_cache: dict[int, list[int]] = field(default_factory=dict)
    duty_days: frozenset[date] = frozenset()  # days some officer is on duty (some crew exists)
    person_index: dict[str, int] = field(default_factory=dict)  # offender_id -> index in reqs
    # officers in two parts of a day (split crews): (officer, day index) -> their crew indices
    split_crews: dict[tuple[str, int], tuple[int, ...]] = field(default_factory=dict)
    _elig: dict[tuple[int, int], tuple[int, int] | None] = field(default_factory=dict)
    _leg: dict[tuple[int, int], int | None] = field(default_factory=dict)
    keep_count: bool = False  # charge keep-count deadlines (a month of a long plan, not the first)
    _deadline: dict[int, int | None] = field(default_factory=dict)

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    def day(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def stop(self, person: int, key: int) -> Stop:
        r = self.reqs[person]
        ws = r.window_start_min if r.window_start_min is not None else 0
        we = r.window_end_min if r.window_end_min is not None else DAY_MIN
        return Stop(key, r.lat, r.lon, r.duration_min, ws, we, r.offender_id)

    def comp_of(self, crew: CrewDay) -> int:
        """The index of a crew-day's composition (officers and part of the day)."""
        return self.comp_index[crew.comp_key]

    def add_comp(self, key: CompKey) -> int:
        """The index of a crew composition, registered (timer, approximate travel) if new: an
        officer exchange or a re-formed day (`reform.py`) makes crews the plan began without."""
        idx = self.comp_index.get(key)
        if idx is not None:
            return idx
        ids, part = key
        idx = len(self.comps)
        self.comps.append(ids)
        self.comp_index[key] = idx
        officers = [self.officers[i] for i in ids]
        self.timers.append(CrewTimer(officers, self.cache, part, self.policy.shifts))
        if self.approx_min is not None and self.reqs:
            mins = self.cache.travel.minutes_array(
                [base(o) for o in officers],
                [Place(r.offender_id, r.lat, r.lon) for r in self.reqs],
            )
            col = np.asarray(mins).max(axis=0).reshape(-1, 1)
            self.approx_min = np.hstack([self.approx_min, col])
        elif self.approx_min is not None:
            self.approx_min = np.zeros((0, len(self.comps)))
        return idx

    def drop_comps(self, n: int) -> None:
        """Forget the compositions registered after the first `n` (a re-formed day that was
        not kept), with their cached eligibility."""
        for key in [k for k, i in self.comp_index.items() if i >= n]:
            del self.comp_index[key]
        del self.comps[n:]
        del self.timers[n:]
        if self.approx_min is not None:
            self.approx_min = self.approx_min[:, :n]
        for cache in (self._elig, self._leg):
            for k in [k for k in cache if k[1] >= n]:
                del cache[k]

    def timer_of(self, crew: CrewDay) -> CrewTimer:
        """The timer of a crew-day (its officers, inside its part of the day)."""
        return self.timers[self.comp_index[crew.comp_key]]

    def on_duty(self, day_index: int, comps: list[int]) -> Iterator[tuple[int, CrewDay]]:
        """(composition, crew-day) of each of `comps` on duty that day, in the order given."""
        today = self.crews_by_day[day_index]
        for c in comps:
            crew = today.get(c)
            if crew is not None:
                yield c, crew

    def crew_with(self, day_index: int, officer_ids: tuple[str, ...]) -> CrewDay | None:
        """The crew-day of exactly these officers on a day (at most one: split crews of one
        officer have different partners), or None."""
        for crew in self.crews_by_day[day_index].values():
            if crew.officer_ids == officer_ids:
                return crew
        return None

    def visits_left(self, crew_idx: int, routed: Callable[[int], int]) -> int | None:
        """How many more visits a crew-day may take (None: no cap): its visit cap, and for an
        officer in two parts of the day their `max_visits_per_day` shared by both parts.
        `routed(crew index)` is how many visits a crew-day holds now."""
        crew = self.crews[crew_idx]
        cap = crew.max_visits
        left = None if cap is None else cap - routed(crew_idx)
        for o in crew.officers:
            mine = self.split_crews.get((o.officer_id, crew.day_index))
            if mine is None or o.max_visits_per_day is None:
                continue
            own = o.max_visits_per_day - sum(routed(c) for c in mine)
            left = own if left is None else min(left, own)
        return left

    def step_days(self, person: int) -> int:
        """Least days between two planned visits of a person (min gap, and window before due)."""
        r = self.reqs[person]
        return max(r.min_gap_days, r.interval_days - r.window_days)

    def past_deadline(self, person: int, k: int, day: int) -> bool:
        """Would the person's `k`-th owed visit (0-based) on `day` push a visit the whole plan
        owes out of it (a month of a long plan: `rules.keep_count_deadline`)? Only the month's
        last owed visit has such a deadline; it is charged as a miss."""
        if not self.keep_count:
            return False
        n = owed_count(self, person)
        if k != n - 1:
            return False
        if person not in self._deadline:
            d = keep_count_deadline(self.reqs[person], n)
            self._deadline[person] = None if d is None else (d - self.start).days
        limit = self._deadline[person]
        return limit is not None and day > limit

    # -- eligibility -------------------------------------------------------------------------

    def static_eligibility(
        self, person: int, comp: int, beyond_limit: bool = False
    ) -> tuple[int, int] | None:
        """(area mismatches, one-way travel summed over officers) if the crew may ever make the
        visit (`crew_ineligible`: size, skills, strict area, window inside shifts with exact
        travel) within the policy's longest drive (`leg_over`; `beyond_limit`: however far),
        else None."""
        out = self._eligibility(person, comp)
        if out is None or beyond_limit or self.leg_over(person, comp) is None:
            return out
        return None

    def leg_over(self, person: int, comp: int) -> int | None:
        """The crew's longest drive between an officer's base and the person's home (either
        way) if it is over `[planner] max_leg_minutes`, else None (also with no limit)."""
        limit = self.policy.planner.max_leg_minutes
        if not limit:
            return None
        key = (person, comp)
        if key not in self._leg:
            timer = self.timers[comp]
            stop = self.stop(person, -1)
            longest = max(max(timer.out_legs(stop)), max(timer.back_legs(stop)))
            self._leg[key] = longest if longest > limit else None
        return self._leg[key]

    def _eligibility(self, person: int, comp: int) -> tuple[int, int] | None:
        key = (person, comp)
        if key in self._elig:
            return self._elig[key]
        out: tuple[int, int] | None = None
        if self.crew_ineligible(person, comp) is None:
            r = self.reqs[person]
            timer = self.timers[comp]
            mismatch = area_mismatches(r, timer.officers, self.area_mode)
            stop = self.stop(person, -1)
            out = (mismatch if self.area_mode == "prefer" else 0, sum(timer.out_legs(stop)))
        self._elig[key] = out
        return out

    def crew_ineligible(self, person: int, comp: int) -> str | None:
        """Why a crew composition can never make the person's visit (None: it can)."""
        r = self.reqs[person]
        timer = self.timers[comp]
        return crew_can_make(r, timer.officers, self.area_mode, timer.part) or window_reachable(
            r, lambda: timer.evaluate([self.stop(person, -1)])
        )

    def ranked_comps(self, person: int, limit: int, beyond_limit: bool = False) -> list[int]:
        """Up to `limit` eligible crew compositions for a person, best first, plus any crew
        holding the person's named offender manager (continuity); `beyond_limit`: crews whose
        drive is over `[planner] max_leg_minutes` too (the last resort before a miss)."""
        cache = self.ranked_beyond_cache if beyond_limit else self.ranked_cache
        cached = cache.get(person)
        if cached is not None and len(cached) >= limit:
            return cached[:limit] + [c for c in cached[limit:] if self._has_manager(person, c)]
        assert self.approx_min is not None
        r = self.reqs[person]
        approx = self.approx_min[person]
        mis = np.array(
            [
                area_mismatches(r, self.timers[c].officers, self.area_mode)
                for c in range(len(self.comps))
            ],
            dtype=int,
        )
        order = np.lexsort((np.arange(len(self.comps)), approx, mis))
        picked: list[tuple[tuple[int, int], int]] = []
        manager: list[tuple[tuple[int, int], int]] = []
        for c in order.tolist():
            e = self.static_eligibility(person, c, beyond_limit)
            if e is None:
                continue
            if len(picked) < limit:
                picked.append((e, c))
            elif self._has_manager(person, c):
                manager.append((e, c))
            if len(picked) >= limit and len(manager) >= 2:
                break
        picked.sort()
        result = [c for _, c in picked]
        full = result + [c for _, c in manager]
        cache[person] = full
        return full

    def continuity_cost(self, person: int, crew_idx: int) -> int:
        """The objective's charge for a crew-day making the person's visit without their named
        offender manager: the policy's `[planner] continuity_minutes` (0 when there is no named
        manager or the crew holds them)."""
        m = self.reqs[person].manager_id
        if m is None or m in self.crews[crew_idx].officer_ids:
            return 0
        return self.policy.planner.continuity_minutes

    def _has_manager(self, person: int, comp: int) -> bool:
        m = self.reqs[person].manager_id
        return m is not None and m in self.comps[comp]

    def slot_days(self, slot: Slot) -> list[int]:
        """Days a slot may take (range and person availability)."""
        r = self.reqs[slot.person]
        return [d for d in range(slot.earliest_index, self.n_days) if r.available_on(self.day(d))]


def build_problem(
    start: date,
    end: date,
    policy: Policy,
    reqs: list[Requirement],
    crews: list[CrewDay],
    officers: list[Officer],
    travel: Travel | None = None,
    keep_count: bool = False,
) -> Problem:
    """Index the plan: slots for owed visits, crew compositions, approximate travel."""
    cache = TravelCache(travel_for(travel, policy))
    prob = Problem(
        start=start,
        end=end,
        policy=policy,
        reqs=reqs,
        crews=crews,
        cache=cache,
        area_mode=policy.areas.mode,
        officers={o.officer_id: o for o in officers},
        keep_count=keep_count,
    )
    keys = sorted({c.comp_key for c in crews}, key=comp_order)
    comps = [ids for ids, _part in keys]
    prob.comps = comps
    prob.comp_index = {k: i for i, k in enumerate(keys)}
    prob.timers = [
        CrewTimer([prob.officers[i] for i in ids], cache, part, policy.shifts) for ids, part in keys
    ]
    prob.crews_by_day = [{} for _ in range(prob.n_days)]
    per_officer_day: dict[tuple[str, int], list[int]] = {}
    for c in crews:
        prob.crews_by_day[c.day_index][prob.comp_index[c.comp_key]] = c
        for oid in c.officer_ids:
            per_officer_day.setdefault((oid, c.day_index), []).append(c.index)
    prob.split_crews = {k: tuple(v) for k, v in per_officer_day.items() if len(v) > 1}
    # one-way minutes from every officer base to every person (the travel model's, in bulk)
    off_ids = sorted(prob.officers)
    col = {oid: i for i, oid in enumerate(off_ids)}
    if reqs and off_ids:
        mins = cache.travel.minutes_array(
            [base(prob.officers[o]) for o in off_ids],
            [Place(r.offender_id, r.lat, r.lon) for r in reqs],
        ).T
        approx = np.zeros((len(reqs), len(comps)))
        for ci, comp in enumerate(comps):
            approx[:, ci] = mins[:, [col[o] for o in comp]].max(axis=1)
        prob.approx_min = approx
    else:
        prob.approx_min = np.zeros((len(reqs), len(comps)))
    # slots: every owed visit, chained ones as far as they could fall inside the plan
    slots: list[Slot] = []
    prob.duty_days = frozenset(c.day for c in crews)
    prob.person_index = {r.offender_id: p for p, r in enumerate(reqs)}
    for p, r in enumerate(reqs):
        if r.optional:
            continue
        first = (r.first_earliest - start).days
        step = prob.step_days(p)
        n = owed_count(prob, p)
        for k in range(n):
            e = first + k * step
            if k == n - 1:
                e = max(e, (last_owed_floor(r, end, n)[0] - start).days)
            if e >= prob.n_days:
                break  # cannot be made inside the plan: listed as unscheduled with its reason
            slots.append(Slot(len(slots), p, k, e))
    prob.slots = slots
    return prob


def owed_count(prob: Problem, person: int) -> int:
    """Visits the person owes in the plan (the one count, `demand.owed_dues`)."""
    return prob.reqs[person].chain_estimate(prob.end, prob.duty_days)


def due_index(prob: Problem, person: int) -> int:
    """Due day of a person's first owed visit, as days after the plan start (may be negative)."""
    return (prob.reqs[person].first_due - prob.start).days
