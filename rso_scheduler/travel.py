"""Travel between places under the configured travel model: one object per run.

`build_travel(policy, dataset, data_dir)` makes the run's `Travel` once; the solver, the greedy
baseline, the checker, the maps and the day sheets all ask it, so a road network or a force's own
matrix replaces the straight line without touching them. Three models (`[travel] model`):

- `haversine` (the contract's default): whole minutes `ceil(haversine_km * circuity / speed_kmh
  * 60)` with Earth radius 6371.0088 km; km = straight line x circuity.
- `road`: fastest car paths over an OpenStreetMap extract, computed on this machine (`road.py`).
- `matrix`: a force's own table of times, `travel.csv` (`from_id, to_id, minutes[, km]`).

A `Place` carries an id as well as coordinates because the matrix model is keyed by
offender_id and officer_id (bases). Great-circle distance lives in `geo` (`haversine_km`,
`haversine_matrix_km`), for estimates only: never travel times.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from rso_scheduler.errors import PlanError
from rso_scheduler.geo import haversine_km, haversine_matrix_km
from rso_scheduler.policy import Policy, TravelPolicy

if TYPE_CHECKING:
    from rso_scheduler.models import Dataset, Offender, Officer

_EPS = 1e-9  # guards ceil() against float noise such as 12.000000000001
LIST_MAX_PAIRS = 25_000_000  # matrices up to 5,000 places are also kept as Python lists


class Place(NamedTuple):
    """A point travel is asked about: a home (offender_id) or a base (officer_id).

    A named tuple, not a dataclass: routing hashes places millions of times a plan.
    """

    id: str
    lat: float
    lon: float

    @property
    def point(self) -> tuple[float, float]:
        return (self.lat, self.lon)


def home(offender: Offender) -> Place:
    """A person's home as a travel place."""
    return Place(offender.offender_id, offender.lat, offender.lon)


def base(officer: Officer) -> Place:
    """An officer's base as a travel place."""
    return Place(officer.officer_id, officer.base_lat, officer.base_lon)


def dataset_places(dataset: Dataset) -> list[Place]:
    """Every home and base of a dataset, bases first, each in input order."""
    return [base(o) for o in dataset.officers] + [home(p) for p in dataset.offenders]


def longest_leg_min(
    minutes: Callable[[Place, Place], int], bases: Sequence[Place], stops: Sequence[Place]
) -> int:
    """The longest single drive of a crew-day: each officer from their base through the stops
    in order and back (0 without stops)."""
    if not stops:
        return 0
    legs = [minutes(b, stops[0]) for b in bases] + [minutes(stops[-1], b) for b in bases]
    legs += [minutes(a, b) for a, b in zip(stops, stops[1:], strict=False)]
    return max(legs)


def contract_minutes(km_straight: float, travel: TravelPolicy) -> int:
    """The contract's whole minutes for a straight-line distance."""
    return max(0, math.ceil(km_straight * travel.circuity / travel.speed_kmh * 60 - _EPS))


class Travel:
    """Whole minutes and km between places under one model; built once per run."""

    model = "haversine"

    def __init__(self, policy: TravelPolicy):
        self.policy = policy
        self.notes: list[str] = []  # what a supervisor must be told (fallbacks), no coordinates

    def minutes(self, a: Place, b: Place) -> int:
        """Whole minutes of travel from `a` to `b`."""
        return contract_minutes(haversine_km(a.lat, a.lon, b.lat, b.lon), self.policy)

    def km(self, a: Place, b: Place) -> float:
        """Distance driven from `a` to `b` in km."""
        return haversine_km(a.lat, a.lon, b.lat, b.lon) * self.policy.circuity

    def matrix_min(self, places: Sequence[Place]) -> list[list[int]]:
        """Minutes among places (row = from, column = to)."""
        return [[0 if a == b else self.minutes(a, b) for b in places] for a in places]

    def minutes_array(self, froms: Sequence[Place], tos: Sequence[Place]) -> np.ndarray:
        """Minutes from every place of `froms` (rows) to every place of `tos` (columns)."""
        km = haversine_matrix_km(
            [p.lat for p in froms],
            [p.lon for p in froms],
            [p.lat for p in tos],
            [p.lon for p in tos],
        )
        return np.maximum(0, np.ceil(km * self.policy.circuity / self.policy.speed_kmh * 60 - _EPS))

    def record(self) -> dict[str, Any]:
        """What the run record and summary say about travel (no coordinates)."""
        return {"model": self.model, "notes": list(self.notes)}


class HaversineTravel(Travel):
    """The contract's straight-line model (symmetric)."""


class TableTravel(Travel):
    """Minutes and km looked up in a matrix among known places (the road and matrix models).

    `index` maps each place to its row; pairs marked in `fallback` are answered by the
    straight-line model (the road network could not join them) and counted in `record()`.
    """

    def __init__(
        self,
        model: str,
        policy: TravelPolicy,
        index: dict[Place, int],
        minutes_m: np.ndarray,
        km_m: np.ndarray,
        fallback: np.ndarray | None = None,
        info: dict[str, Any] | None = None,
    ):
        super().__init__(policy)
        self.model = model
        self.index = index
        self.minutes_m = minutes_m  # int32, row = from, column = to
        self.km_m = km_m  # float32
        self.fallback = fallback  # bool, True where the straight line answers
        self.info = dict(info or {})
        # plain lists of small ints (shared objects): fast scalar reads in routing's hot loops;
        # a very large matrix stays an array (8 bytes a pair more would not fit)
        self._rows_min: list[list[int]] | None = (
            minutes_m.tolist() if minutes_m.size <= LIST_MAX_PAIRS else None
        )
        self.snap_m: np.ndarray | None = (
            None  # road model: metres from each row's point to its road
        )
        self.joined: np.ndarray | None = None  # road model: row's point on the main network

    def row(self, place: Place) -> int:
        """The matrix row of a place."""
        return self._rows(place, place)[0]

    def _rows(self, a: Place, b: Place) -> tuple[int, int]:
        try:
            return self.index[a], self.index[b]
        except KeyError as exc:
            place: Place = exc.args[0]
            raise PlanError(
                f"travel: {place.id} is not among the places the {self.model} travel model was "
                "built for; build the travel model from the same data as the plan"
            ) from None

    def minutes(self, a: Place, b: Place) -> int:
        """Whole minutes from `a` to `b`."""
        i, j = self._rows(a, b)
        if self._rows_min is not None:
            return self._rows_min[i][j]
        return int(self.minutes_m[i, j])

    def km(self, a: Place, b: Place) -> float:
        """Road km from `a` to `b`."""
        i, j = self._rows(a, b)
        return float(self.km_m[i, j])

    def matrix_min(self, places: Sequence[Place]) -> list[list[int]]:
        """Minutes among places (row = from, column = to)."""
        rows = [self._rows(p, p)[0] for p in places]
        out: list[list[int]] = self.minutes_m[np.ix_(rows, rows)].astype(int).tolist()
        return out

    def minutes_array(self, froms: Sequence[Place], tos: Sequence[Place]) -> np.ndarray:
        """Minutes from every place of `froms` (rows) to every place of `tos` (columns)."""
        rows = [self._rows(p, p)[0] for p in froms]
        cols = [self._rows(p, p)[0] for p in tos]
        return self.minutes_m[np.ix_(rows, cols)].astype(float)

    def record(self) -> dict[str, Any]:
        """Model, fallback counts and build figures (no coordinates)."""
        out: dict[str, Any] = {"model": self.model, **self.info}
        if self.fallback is not None:
            out["straight_line_pairs"] = int(self.fallback.sum())
        out["notes"] = list(self.notes)
        return out


def travel_for(travel: Travel | None, policy: Policy) -> Travel:
    """The run's travel object, or the straight-line one when none was built and none is needed.

    A road or matrix policy without a built object is a programming error made loud: the
    solver reads no files, so it cannot build one itself.
    """
    if travel is not None:
        return travel
    if policy.travel.model != "haversine":
        raise PlanError(
            f'policy.toml [travel] model = "{policy.travel.model}" needs the travel model built '
            "from the data folder (build_travel) before planning, checking or drawing"
        )
    return HaversineTravel(policy.travel)


def build_travel(
    policy: Policy,
    dataset: Dataset,
    data_dir: Path | str | None = None,
    progress: Any = None,
) -> Travel:
    """The run's travel object for `policy.travel.model`, built once from the data folder.

    `data_dir` defaults to the folder the dataset was read from; `network` and `file` are
    relative to it. Raises `InputError` (located) for a broken matrix file or extract.
    """
    tp = policy.travel
    if tp.model == "haversine":
        return HaversineTravel(tp)
    root = Path(data_dir if data_dir is not None else (dataset.source_dir or "."))
    places = dataset_places(dataset)
    if tp.model == "matrix":
        from rso_scheduler.travel_matrix import load_matrix

        assert tp.file is not None  # policy.py insists
        return load_matrix(root / tp.file, tp.file, places, tp)
    from rso_scheduler.road import build_road_travel

    assert tp.network is not None
    return build_road_travel(root / tp.network, tp.network, places, tp, progress=progress)
