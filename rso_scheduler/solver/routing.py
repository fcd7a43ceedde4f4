"""Order and time one crew's visits on one day, with the exact travel model.

Crew-days hold few visits (shifts of hours, visits of an hour or more), so the visiting order
is found exactly by dynamic programming over subsets with Pareto labels (finish time, travel)
for up to `EXACT_MAX_STOPS` visits, and by cheapest insertion beyond that. Every timing uses
the run's travel object (`travel.Travel`, through `TravelCache`), so what is planned here is
what the checker re-derives (travel may differ by direction: one-way streets):
- each officer leaves their own base no earlier than their shift start and is back by its end
  (inside the crew's part of the day for a split crew);
- the crew starts a visit only when every officer has arrived, inside the person's window;
- visits start as early as possible (waiting is allowed when a window opens later).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from rso_scheduler.models import Officer
from rso_scheduler.policy import TravelPolicy
from rso_scheduler.travel import HaversineTravel, Place, Travel, base

EXACT_MAX_STOPS = 9


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
    ):
        self.officers = tuple(officers)
        self.cache = cache
        self.part = part
        self.bases = [base(o) for o in self.officers]
        lo, hi = part if part is not None else (0, 24 * 60)
        self.starts = [max(o.shift_start_min, lo) for o in self.officers]
        self.ends = [min(o.shift_end_min, hi) for o in self.officers]
        self.end_cap = min(self.ends)
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

    def evaluate(self, stops: Sequence[Stop]) -> tuple[int, list[int]] | None:
        """(travel minutes over all officers, start times) of this order, or None if infeasible."""
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

    def make_route(self, stops: Sequence[Stop]) -> Route | None:
        """A `Route` for stops in the given order, with each officer's leg, or None."""
        ev = self.evaluate(stops)
        if ev is None:
            return None
        cost, starts = ev
        legs: list[Leg] = []
        if stops:
            first, last = stops[0], stops[-1]
            inner_min = 0
            inner_km = 0.0
            for a, b in zip(stops, stops[1:], strict=False):
                inner_min += self.cache.minutes(a.place, b.place)
                inner_km += self.cache.km(a.place, b.place)
            end = starts[-1] + last.duration_min
            for o, home in zip(self.officers, self.bases, strict=True):
                out_t = self.cache.minutes(home, first.place)
                back_t = self.cache.minutes(last.place, home)
                km = self.cache.km(home, first.place) + inner_km
                km += self.cache.km(last.place, home)
                legs.append(
                    Leg(
                        officer_id=o.officer_id,
                        depart_min=starts[0] - out_t,
                        return_min=end + back_t,
                        travel_min=out_t + inner_min + back_t,
                        travel_km=round(km, 3),
                    )
                )
        return Route(tuple(s.key for s in stops), tuple(starts), cost, tuple(legs))

    def best_order(self, stops: Sequence[Stop]) -> list[Stop] | None:
        """The least-travel feasible order of all stops, or None if they cannot all fit."""
        stops = sorted(stops, key=lambda s: s.key)
        if len(stops) <= 1:
            return list(stops) if self.evaluate(stops) is not None else None
        if len(stops) <= EXACT_MAX_STOPS:
            return self._exact(stops)
        return self._insertion(stops)

    def _exact(self, stops: list[Stop]) -> list[Stop] | None:
        n = len(stops)
        n_off = len(self.officers)
        pts = [s.place for s in stops]
        tt = [[self.cache.minutes(pts[i], pts[j]) for j in range(n)] for i in range(n)]
        out = [self.out_legs(s) for s in stops]
        # labels[(mask, last)] = list of (end_min, cost, prev_label_ref); Pareto on (end, cost)
        Label = tuple[int, int, object]
        labels: dict[tuple[int, int], list[Label]] = {}
        for j, s in enumerate(stops):
            st = self.first_start(s)
            end = st + s.duration_min
            if end <= s.window_end_min and end <= self.end_cap:
                labels[(1 << j, j)] = [(end, sum(out[j]), (j, None))]
        for mask in range(1, 1 << n):
            for last in range(n):
                cur = labels.get((mask, last))
                if not cur:
                    continue
                for j in range(n):
                    if mask & (1 << j):
                        continue
                    s = stops[j]
                    nm = mask | (1 << j)
                    for end0, cost0, ref in cur:
                        st = max(end0 + tt[last][j], s.window_start_min)
                        end = st + s.duration_min
                        if end > s.window_end_min or end > self.end_cap:
                            continue
                        _insert_label(
                            labels.setdefault((nm, j), []),
                            (end, cost0 + n_off * tt[last][j], (j, ref)),
                        )
        full = (1 << n) - 1
        best: tuple[int, int, object] | None = None
        for last in range(n):
            for end, cost, ref in labels.get((full, last), []):
                if not self.fits_home(stops[last], end):
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
