"""Order and time one crew's visits on one day, with the exact travel model.

Crew-days hold few visits (shifts of hours, visits of an hour or more), so the visiting order
is found exactly by dynamic programming over subsets with Pareto labels (finish time, travel)
for up to `EXACT_MAX_STOPS` visits, and by cheapest insertion beyond that. Every timing uses
the run's travel object (`travel.Travel`, through `TravelCache`), so what is planned here is
what the checker re-derives (travel may differ by direction: one-way streets):
- each officer leaves their own base no earlier than their shift start and is back by its end
  (inside the crew's part of the day for a split crew);
- the crew starts a visit only when every officer has arrived, inside the person's window;
- visits start as early as possible (waiting is allowed when a window opens later);
- each officer with a refreshment break due (`rules.refreshment_break`) takes it inside its
  window, neither driving nor visiting: at base before leaving or after returning, or the crew
  pauses together between two visits (before driving on, or on arrival at the next person).

This is the one timing engine: the optimiser's routing and repair, greedy's day placement and a
re-plan's kept visits all time a day through `CrewTimer.timeline` (ordered stops in, a timed
day or None out); a search that orders stops differently calls it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from rso_scheduler.models import Officer
from rso_scheduler.policy import ShiftsPolicy, TravelPolicy
from rso_scheduler.rules import Refreshment, refreshment_break
from rso_scheduler.solver.work import BREAK_CHECK_UNITS, BREAK_STEP_UNITS, count_break_work
from rso_scheduler.travel import HaversineTravel, Place, Travel, base

EXACT_MAX_STOPS = 9
FITS_MEMO_MAX = 512  # break-aware answers kept per crew-day (a pure function of the order)


@dataclass(frozen=True)
class Stop:
    """A visit to place in a crew's day: where, how long, and the part of the day allowed."""

    key: int  # the caller's identifier
    lat: float
    lon: float
    duration_min: int
    window_start_min: int  # earliest start
    window_end_min: int  # latest end
    place_id: str = ""  # the person's offender_id: the matrix travel model is keyed by it

    @cached_property
    def place(self) -> Place:
        return Place(self.place_id, self.lat, self.lon)


@dataclass(frozen=True)
class Leg:
    """One officer's day around the crew's visits."""

    officer_id: str
    depart_min: int
    return_min: int
    travel_min: int
    travel_km: float
    break_start_min: int | None = None  # the officer's refreshment break, if one is due
    break_end_min: int | None = None


# Where a crew-day's break is taken: ("base", 0) before leaving, ("leave", k) after visit k-1
# before driving on, ("at", k) on arrival at stop k before its visit, ("end", n) after the last
# visit (each officer at base or at the last stop), ("", 0) no break due.
BreakAt = tuple[str, int]
NO_BREAK: BreakAt = ("", 0)
# A step of the timeline: (kind, k, officers taking their break there as a bit mask).
Step = tuple[str, int, int]


def _mark(at: tuple[BreakAt, ...], step: Step) -> tuple[BreakAt, ...]:
    """Where each officer took the break, after `step`."""
    kind, k, mask = step
    if not mask:
        return at
    return tuple((kind, k) if mask >> i & 1 else a for i, a in enumerate(at))


@dataclass(frozen=True)
class Timeline:
    """A timed crew-day: travel minutes over all officers, visit starts and where each
    officer takes the break (`BreakAt`, in officer order; empty: no break due)."""

    cost: int
    starts: tuple[int, ...]
    break_at: tuple[BreakAt, ...] = ()


@dataclass(frozen=True)
class Route:
    """A timed visiting order for one crew-day."""

    keys: tuple[int, ...]
    starts_min: tuple[int, ...]
    travel_min: int  # summed over the crew's officers
    legs: tuple[Leg, ...]


class TravelCache:
    """Exact travel minutes between places, memoised; asks the run's `Travel` object.

    Given a `TravelPolicy` instead (tests, the straight-line default) it makes the
    contract's haversine model. Keys are directed: a road model may differ by direction.
    """

    def __init__(self, travel: Travel | TravelPolicy):
        self.travel = travel if isinstance(travel, Travel) else HaversineTravel(travel)
        self.policy = self.travel.policy
        self._min: dict[tuple[Place, Place], int] = {}

    def minutes(self, a: Place, b: Place) -> int:
        key = (a, b)
        t = self._min.get(key)
        if t is None:
            t = self.travel.minutes(a, b)
            self._min[key] = t
        return t

    def km(self, a: Place, b: Place) -> float:
        return self.travel.km(a, b)


class CrewTimer:
    """Timing rules of one crew: officers' bases and shifts, plus a travel cache.

    A split crew (`part`: the part of the day it covers) has each officer leave base no earlier
    than the part's start and back by its end, so the officer's other part of the day, which
    does not overlap it, starts and ends at base too.
    """

    def __init__(
        self,
        officers: Sequence[Officer],
        cache: TravelCache,
        part: tuple[int, int] | None = None,
        shifts: ShiftsPolicy | None = None,
    ):
        self.officers = tuple(officers)
        self.cache = cache
        self.part = part
        self.bases = [base(o) for o in self.officers]
        lo, hi = part if part is not None else (0, 24 * 60)
        self.starts = [max(o.shift_start_min, lo) for o in self.officers]
        self.ends = [min(o.shift_end_min, hi) for o in self.officers]
        self.end_cap = min(self.ends)
        # each officer's break in this crew-day (None: none due here); `shifts` None: no breaks
        needs = [refreshment_break(o, shifts) if shifts is not None else None for o in officers]
        if part is not None:
            needs = [
                _in_part(n, o, part) if n else None for n, o in zip(needs, officers, strict=True)
            ]
        self.breaks: tuple[Refreshment | None, ...] = tuple(needs)
        self.due_mask = sum(1 << i for i, n in enumerate(needs) if n is not None)
        # orders already put through the break-aware steps: the searches ask the same order
        # again and again (measured on a team month: 91,159 asks, 20,754 orders)
        self._fits_memo: dict[tuple[Stop, ...], bool] = {}
        self.needs_break = self.due_mask != 0
        # per set of officers (bit mask): their (window start, minutes, window end), and the
        # non-empty subsets of each set (worked out once: the steps ask for them constantly)
        full = 1 << len(needs)
        self._need_of = [
            [
                (n.earliest_min, n.minutes, n.latest_min)
                for i, n in enumerate(needs)
                if n is not None and m >> i & 1
            ]
            for m in range(full)
        ]
        self._subs = [[t for t in range(1, m + 1) if t & m == t] for m in range(full)]
        # the crew's drives from and to base, per place: every route evaluation asks for them
        self._out: dict[Place, tuple[int, ...]] = {}
        self._back: dict[Place, tuple[int, ...]] = {}

    def out_legs(self, stop: Stop) -> tuple[int, ...]:
        """Minutes from each officer's base to the stop (memoised per place)."""
        place = stop.place
        legs = self._out.get(place)
        if legs is None:
            legs = self._out[place] = tuple(self.cache.minutes(b, place) for b in self.bases)
        return legs

    def back_legs(self, stop: Stop) -> tuple[int, ...]:
        """Minutes from the stop back to each officer's base (memoised per place)."""
        place = stop.place
        legs = self._back.get(place)
        if legs is None:
            legs = self._back[place] = tuple(self.cache.minutes(place, b) for b in self.bases)
        return legs

    def first_start(self, stop: Stop) -> int:
        """Earliest start of a first visit: every officer must have arrived from their base."""
        arrive = max(s + t for s, t in zip(self.starts, self.out_legs(stop), strict=True))
        return max(arrive, stop.window_start_min)

    def fits_home(self, stop: Stop, end_min: int) -> bool:
        """Can every officer get back to base by shift end after finishing `stop` at `end_min`?"""
        return all(end_min + t <= e for e, t in zip(self.ends, self.back_legs(stop), strict=True))

    # --- the timing engine: one step at a time, shared by `timeline` and `_exact` ----------

    def pause_end(self, t: int, mask: int) -> int | None:
        """The crew, standing still from `t`, pauses until the officers in `mask` have each
        taken their break inside its window (from the later of `t` and the window's start);
        None if one cannot be."""
        end = t
        for lo, minutes, hi in self._need_of[mask]:
            b = t if t > lo else lo
            if b + minutes > hi:
                return None
            if b + minutes > end:
                end = b + minutes
        return end

    def _break_at_base_first(self, stop: Stop, mask: int) -> int | None:
        """Arrival of the crew at the first stop when the officers in `mask` take the break
        at base before leaving (None: a break does not fit there)."""
        arrive = 0
        for i, (s0, need, t) in enumerate(
            zip(self.starts, self.breaks, self.out_legs(stop), strict=True)
        ):
            depart = s0
            if need is not None and mask >> i & 1:
                b = max(s0, need.earliest_min)
                if b + need.minutes > need.latest_min:
                    return None
                depart = b + need.minutes
            arrive = max(arrive, depart + t)
        return arrive

    def _visit(self, arrive: int | None, stop: Stop) -> int | None:
        """The start of `stop`'s visit after arriving at `arrive` (None: it does not fit)."""
        if arrive is None:
            return None
        st = max(arrive, stop.window_start_min)
        end = st + stop.duration_min
        if end > stop.window_end_min or end > self.end_cap:
            return None
        return st

    def first_steps(self, stop: Stop) -> list[tuple[int, int, Step]]:
        """(visit start, officers whose break is taken, where) of the day's first visit:
        without a break, and with the breaks of some officers at base or on arrival."""
        arrive = max(s + t for s, t in zip(self.starts, self.out_legs(stop), strict=True))
        out: list[tuple[int, int, Step]] = []
        st = self._visit(arrive, stop)
        if st is not None:
            out.append((st, 0, ("", 0, 0)))
        for sub in self._subs[self.due_mask]:
            for st2, step in (
                (self._visit(self._break_at_base_first(stop, sub), stop), ("base", 0, sub)),
                (self._visit(self.pause_end(arrive, sub), stop), ("at", 0, sub)),
            ):
                if st2 is not None:
                    out.append((st2, sub, step))
        return out

    def next_steps(
        self, end0: int, taken: int, leg: int, stop: Stop, k: int
    ) -> list[tuple[int, int, Step]]:
        """(visit start, officers whose break is taken, where) of stop `k` after the previous
        visit ended at `end0`, `leg` minutes away; the crew may pause for the breaks of some
        officers still due, before driving on or on arrival."""
        out: list[tuple[int, int, Step]] = []
        st = self._visit(end0 + leg, stop)
        if st is not None:
            out.append((st, taken, ("", 0, 0)))
        for sub in self._subs[self.due_mask & ~taken]:
            p = self.pause_end(end0, sub)
            for st2, step in (
                (self._visit(None if p is None else p + leg, stop), ("leave", k, sub)),
                (self._visit(self.pause_end(end0 + leg, sub), stop), ("at", k, sub)),
            ):
                if st2 is not None:
                    out.append((st2, taken | sub, step))
        return out

    def end_breaks(
        self, stop: Stop, end_min: int, mask: int | None = None
    ) -> list[tuple[int, int, int]] | None:
        """Each officer's (break start, break end, return to base) when the officers in `mask`
        (default: all with a break due) take it after the last visit: at base after
        returning, else at the last stop (None: it does not fit); the others have
        (-1, -1, return)."""
        mask = self.due_mask if mask is None else mask
        out: list[tuple[int, int, int]] = []
        for i, (need, t, e) in enumerate(
            zip(self.breaks, self.back_legs(stop), self.ends, strict=True)
        ):
            home = end_min + t
            if home > e:
                return None
            if need is None or not mask >> i & 1:
                out.append((-1, -1, home))
                continue
            b = max(home, need.earliest_min)
            if b + need.minutes <= need.latest_min:
                out.append((b, b + need.minutes, home))
                continue
            b = max(end_min, need.earliest_min)
            if b + need.minutes > need.latest_min or b + need.minutes + t > e:
                return None
            out.append((b, b + need.minutes, b + need.minutes + t))
        return out

    def timeline(self, stops: Sequence[Stop]) -> Timeline | None:
        """The timed day of stops in this order, or None if it breaks a rule: each officer
        leaves base at shift start at the earliest, drives, waits for the window, visits,
        takes the break due, and is back by shift end. Visits start as early as the breaks
        allow; breaks after the last visit are preferred (visits then start as without).

        Breaks only remove days (travel does not change), so the day without them is timed
        first: infeasible there is infeasible here, and when the breaks fit after the last
        visit that timing stands. Only the rest go through the break-aware steps."""
        plain = self._plain(stops)
        if plain is None:
            return None
        cost, starts = plain
        if not self.needs_break or not stops:
            return Timeline(cost, tuple(starts))
        last = stops[-1]
        if self.end_breaks(last, starts[-1] + last.duration_min) is not None:
            at = tuple(("end", len(stops)) if n else NO_BREAK for n in self.breaks)
            return Timeline(cost, tuple(starts), at)
        return self._timeline_steps(stops)

    def _timeline_steps(self, stops: Sequence[Stop]) -> Timeline | None:
        """`timeline` through the break-aware steps: one state per set of officers whose
        break is taken, each the earliest end of the last visit so far (earliest is always
        best, so this is exact for the order)."""
        n_off = len(self.officers)
        # states[taken] = (end of the last visit, starts, where each officer took the break)
        State = tuple[int, tuple[int, ...], tuple[BreakAt, ...]]
        states: dict[int, State] = {}
        none_at: tuple[BreakAt, ...] = tuple(NO_BREAK for _ in self.officers)
        s0 = stops[0]
        for st, taken, step in self.first_steps(s0):
            e = st + s0.duration_min
            if taken not in states or e < states[taken][0]:
                states[taken] = (e, (st,), _mark(none_at, step))
        cost = sum(self.out_legs(s0))
        for k in range(1, len(stops)):
            s = stops[k]
            leg = self.cache.minutes(stops[k - 1].place, s.place)
            cost += n_off * leg
            nxt: dict[int, State] = {}
            for taken0, (end0, starts, at0) in sorted(states.items()):
                for st, taken, step in self.next_steps(end0, taken0, leg, s, k):
                    e = st + s.duration_min
                    if taken not in nxt or e < nxt[taken][0]:
                        nxt[taken] = (e, (*starts, st), _mark(at0, step))
            # a state with more breaks taken that ends no later is at least as good
            states = {
                t: v
                for t, v in nxt.items()
                if not any(u != t and u & t == t and nxt[u][0] <= v[0] for u in nxt)
            }
            if not states:
                return None
        last = stops[-1]
        cost += sum(self.back_legs(last))
        for taken, (end, starts, at) in sorted(states.items()):
            rest = self.due_mask & ~taken
            if self.end_breaks(last, end, rest) is not None:
                end_at = tuple(
                    ("end", len(stops)) if rest >> i & 1 else a for i, a in enumerate(at)
                )
                return Timeline(cost, starts, end_at)
        return None

    def evaluate(self, stops: Sequence[Stop]) -> tuple[int, list[int]] | None:
        """(travel minutes over all officers, earliest start times without breaks) of this
        order, or None if infeasible, breaks included: the searches' hot path, which needs
        the cost only. `timeline` gives the times with the breaks."""
        plain = self._plain(stops)
        if plain is None or not self.needs_break or not stops:
            return plain
        count_break_work(BREAK_CHECK_UNITS)
        last = stops[-1]
        if self.end_breaks(last, plain[1][-1] + last.duration_min) is not None:
            return plain
        key = tuple(stops)
        fits = self._fits_memo.get(key)
        if fits is None:
            if len(self._fits_memo) >= FITS_MEMO_MAX:
                self._fits_memo.clear()  # bounded: a large month holds thousands of crew-days
            fits = self._fits_memo[key] = self._fits_steps(stops)
            count_break_work(BREAK_STEP_UNITS)
        return plain if fits else None

    def _fits_steps(self, stops: Sequence[Stop]) -> bool:
        """Whether the order holds every break (`_timeline_steps` without the times: only
        the earliest end per set of officers whose break is taken)."""
        cap = self.end_cap
        due = self.due_mask
        pause = self.pause_end
        subs = self._subs
        s0 = stops[0]
        ends = [-1] * (due + 1)
        for st, taken, _step in self.first_steps(s0):
            e = st + s0.duration_min
            if ends[taken] < 0 or e < ends[taken]:
                ends[taken] = e
        for k in range(1, len(stops)):
            s = stops[k]
            leg = self.cache.minutes(stops[k - 1].place, s.place)
            ws, we, dur = s.window_start_min, s.window_end_min, s.duration_min
            nxt = [-1] * (due + 1)
            for taken, end0 in enumerate(ends):
                if end0 < 0:
                    continue
                cands = [(end0 + leg, taken)]
                for sub in subs[due & ~taken]:
                    p = pause(end0, sub)
                    if p is not None:
                        cands.append((p + leg, taken | sub))
                    p = pause(end0 + leg, sub)
                    if p is not None:
                        cands.append((p, taken | sub))
                for arrive, t2 in cands:
                    st = arrive if arrive > ws else ws
                    e = st + dur
                    if e <= we and e <= cap and (nxt[t2] < 0 or e < nxt[t2]):
                        nxt[t2] = e
            ends = nxt
        last = stops[-1]
        return any(
            e >= 0 and self.end_breaks(last, e, due & ~taken) is not None
            for taken, e in enumerate(ends)
        )

    def _plain(self, stops: Sequence[Stop]) -> tuple[int, list[int]] | None:
        """(travel minutes, start times) of this order with no break, or None (the hot path:
        a break can only make a day infeasible, never cheaper)."""
        if not stops:
            return 0, []
        n_off = len(self.officers)
        t = self.first_start(stops[0])
        starts: list[int] = []
        cost = sum(self.out_legs(stops[0]))
        prev: Stop | None = None
        for s in stops:
            if prev is not None:
                leg = self.cache.minutes(prev.place, s.place)
                cost += n_off * leg
                t = max(t + leg, s.window_start_min)
            end = t + s.duration_min
            if end > s.window_end_min or end > self.end_cap:
                return None
            starts.append(t)
            t = end
            prev = s
        assert prev is not None
        if not self.fits_home(prev, t):
            return None
        cost += sum(self.back_legs(prev))
        return cost, starts

    def _breaks_of(
        self, stops: Sequence[Stop], tl: Timeline
    ) -> list[tuple[int, int, int | None, int | None]]:
        """Each officer's (depart, return, break start, break end) on a timed day."""
        first, last = stops[0], stops[-1]
        end = tl.starts[-1] + last.duration_min
        outs, backs = self.out_legs(first), self.back_legs(last)
        at = tl.break_at or tuple(NO_BREAK for _ in self.officers)
        departs = [tl.starts[0] - t for t in outs]
        returns = [end + t for t in backs]
        if ("at", 0) in at:  # the crew met at the first stop and paused there: all left early
            met = max(s + t for s, t in zip(self.starts, outs, strict=True))
            departs = [met - t for t in outs]
        at_end = sum(1 << i for i, a in enumerate(at) if a[0] == "end")
        got = self.end_breaks(last, end, at_end) if at_end else None
        out: list[tuple[int, int, int | None, int | None]] = []
        for i, ((kind, k), n) in enumerate(zip(at, self.breaks, strict=True)):
            b: int | None = None
            if n is None or not kind:
                pass
            elif kind == "base":
                b = max(self.starts[i], n.earliest_min)
            elif kind == "end":
                assert got is not None  # the timeline was checked with the same function
                b, returns[i] = got[i][0], got[i][2]
            elif kind == "at" and k == 0:
                b = max(max(s + t for s, t in zip(self.starts, outs, strict=True)), n.earliest_min)
            else:
                pause_from = tl.starts[k - 1] + stops[k - 1].duration_min
                if kind == "at":
                    pause_from += self.cache.minutes(stops[k - 1].place, stops[k].place)
                b = max(pause_from, n.earliest_min)
            out.append(
                (departs[i], returns[i], b, None if b is None or n is None else b + n.minutes)
            )
        return out

    def make_route(self, stops: Sequence[Stop]) -> Route | None:
        """A `Route` for stops in the given order, with each officer's leg and break, or None."""
        tl = self.timeline(stops)
        if tl is None:
            return None
        legs: list[Leg] = []
        if stops:
            first, last = stops[0], stops[-1]
            inner_min = 0
            inner_km = 0.0
            for a, b in zip(stops, stops[1:], strict=False):
                inner_min += self.cache.minutes(a.place, b.place)
                inner_km += self.cache.km(a.place, b.place)
            times = self._breaks_of(stops, tl)
            for o, home, (dep, ret, b0, b1) in zip(self.officers, self.bases, times, strict=True):
                out_t = self.cache.minutes(home, first.place)
                back_t = self.cache.minutes(last.place, home)
                km = self.cache.km(home, first.place) + inner_km
                km += self.cache.km(last.place, home)
                legs.append(
                    Leg(
                        officer_id=o.officer_id,
                        depart_min=dep,
                        return_min=ret,
                        travel_min=out_t + inner_min + back_t,
                        travel_km=round(km, 3),
                        break_start_min=b0,
                        break_end_min=b1,
                    )
                )
        return Route(tuple(s.key for s in stops), tl.starts, tl.cost, tuple(legs))

    def best_order(self, stops: Sequence[Stop]) -> list[Stop] | None:
        """The least-travel feasible order of all stops, or None if they cannot all fit."""
        stops = sorted(stops, key=lambda s: s.key)
        if len(stops) <= 1:
            return list(stops) if self.evaluate(stops) is not None else None
        if len(stops) <= EXACT_MAX_STOPS:
            # the least-travel order without breaks is the answer whenever it holds the break
            # (breaks change no travel); otherwise the break-aware search
            order = self._exact(stops, with_breaks=False)
            if order is None or not self.needs_break or self.evaluate(order) is not None:
                return order
            return self._exact(stops, with_breaks=True)
        return self._insertion(stops)

    def _plain_first(self, stop: Stop) -> list[tuple[int, int, Step]]:
        """`first_steps` with no break (the exact search's fast pass: every break counts as
        taken)."""
        st = self._visit(self.first_start(stop), stop)
        return [] if st is None else [(st, self.due_mask, ("", 0, 0))]

    def _plain_next(
        self, end0: int, taken: int, leg: int, stop: Stop, k: int
    ) -> list[tuple[int, int, Step]]:
        """`next_steps` with no break (the exact search's fast pass)."""
        st = self._visit(end0 + leg, stop)
        return [] if st is None else [(st, taken, ("", 0, 0))]

    def _exact(self, stops: list[Stop], with_breaks: bool) -> list[Stop] | None:
        """The least-travel order by dynamic programming over subsets; `with_breaks` False
        leaves the break out (every label then counts it as taken)."""
        first = self.first_steps if with_breaks else self._plain_first
        step = self.next_steps if with_breaks else self._plain_next
        n = len(stops)
        n_off = len(self.officers)
        pts = [s.place for s in stops]
        tt = [[self.cache.minutes(pts[i], pts[j]) for j in range(n)] for i in range(n)]
        out = [self.out_legs(s) for s in stops]
        # labels[(mask, last, breaks taken)] = list of (end_min, cost, prev_label_ref); Pareto
        # on (end, cost) within a bucket; the steps are the timing engine's (`next_steps`)
        Label = tuple[int, int, object]
        labels: dict[tuple[int, int, int], list[Label]] = {}
        takens = [t for t in range(self.due_mask + 1) if t & self.due_mask == t]
        for j, s in enumerate(stops):
            for st, done, _at in first(s):
                _insert_label(
                    labels.setdefault((1 << j, j, done), []),
                    (st + s.duration_min, sum(out[j]), (j, None)),
                )
        for mask in range(1, 1 << n):
            for last in range(n):
                for done0 in takens:
                    cur = labels.get((mask, last, done0))
                    if not cur:
                        continue
                    for j in range(n):
                        if mask & (1 << j):
                            continue
                        s = stops[j]
                        nm = mask | (1 << j)
                        leg = tt[last][j]
                        for end0, cost0, ref in cur:
                            for st, done, _at in step(end0, done0, leg, s, 1):
                                _insert_label(
                                    labels.setdefault((nm, j, done), []),
                                    (st + s.duration_min, cost0 + n_off * leg, (j, ref)),
                                )
        full = (1 << n) - 1
        best: tuple[int, int, object] | None = None
        for last in range(n):
            for done in takens:
                for end, cost, ref in labels.get((full, last, done), []):
                    rest = self.due_mask & ~done
                    if self.end_breaks(stops[last], end, rest) is None:
                        continue
                    total = cost + sum(self.back_legs(stops[last]))
                    if best is None or (total, end) < (best[0], best[1]):
                        best = (total, end, ref)
        if best is None:
            return None
        order: list[int] = []
        ref = best[2]
        while ref is not None:
            j, ref = ref  # type: ignore[misc]
            order.append(j)
        order.reverse()
        return [stops[j] for j in order]

    def _insertion(self, stops: list[Stop]) -> list[Stop] | None:
        # many short visits: insert by opening time, each at its cheapest feasible position
        order: list[Stop] = []
        for s in sorted(stops, key=lambda s: (s.window_start_min, s.window_end_min, s.key)):
            pos = self.cheapest_insertion(order, s)
            if pos is None:
                return None
            order.insert(pos[0], s)
        return order

    def cheapest_insertion(self, order: list[Stop], stop: Stop) -> tuple[int, int] | None:
        """(position, added travel) of the cheapest feasible insertion of `stop`, or None."""
        base = self.evaluate(order)
        if base is None:
            return None
        best: tuple[int, int] | None = None
        for pos in range(len(order) + 1):
            ev = self.evaluate(order[:pos] + [stop] + order[pos:])
            if ev is None:
                continue
            added = ev[0] - base[0]
            if best is None or added < best[1]:
                best = (pos, added)
        return best


def _insert_label(bucket: list[tuple[int, int, object]], label: tuple[int, int, object]) -> None:
    end, cost, _ = label
    for e, c, _r in bucket:
        if e <= end and c <= cost:
            return  # dominated (or equal: keep the first found, which is deterministic)
    bucket[:] = [b for b in bucket if not (end <= b[0] and cost <= b[1])]
    bucket.append(label)


def _in_part(need: Refreshment, officer: Officer, part: tuple[int, int]) -> Refreshment | None:
    """A split officer's break goes in the part of the day holding most of its window (ties:
    the earlier part), clipped to that part; None in the other part."""
    lo, hi = need.earliest_min, need.latest_min
    inside = max(0, min(hi, part[1]) - max(lo, part[0]))
    outside = (hi - lo) - inside
    if inside > outside or (inside == outside and part[0] <= lo):
        return replace(need, earliest_min=max(lo, part[0]), latest_min=min(hi, part[1]))
    return None


def fixed_day_break(
    officer: Officer,
    visits: Sequence[tuple[int, int, Place]],
    cache: TravelCache,
    shifts: ShiftsPolicy,
) -> tuple[int, int] | None:
    """The officer's refreshment break on a day whose visits are already timed ((start, end,
    place) each, in time order): the timing engine (`CrewTimer.timeline`) over the officer's
    day with each visit held to its time, so the break goes where the planner would put it.
    None when no break is due, or none fits (`CrewTimer` with `shifts=None` tells the two
    apart from a day that does not fit at all)."""
    timer = CrewTimer([officer], cache, shifts=shifts)
    if timer.breaks[0] is None:
        return None
    stops = [
        Stop(k, p.lat, p.lon, end - start, start, end, p.id)
        for k, (start, end, p) in enumerate(visits)
    ]
    route = timer.make_route(stops)
    if route is None or not route.legs:
        return None
    leg = route.legs[0]
    if leg.break_start_min is None or leg.break_end_min is None:
        return None
    return leg.break_start_min, leg.break_end_min
