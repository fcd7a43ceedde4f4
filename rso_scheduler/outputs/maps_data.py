"""What the route maps draw, as plain data: visits grouped into crew-days, area outlines.

Maps never solve. They take a plan folder as read back by `outputs.roster_files.read_roster`
(roster.csv, unscheduled.csv, summary.json, run.json) or a `PlanResult` straight from the
planner, and turn it into `MapRoster` / `CrewDay` values. Errors are located by file, line and
column and never quote coordinates or whole rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.models import Dataset, RiskLevel
from rso_scheduler.outputs.roster_files import RosterFiles, read_roster
from rso_scheduler.redact import shown
from rso_scheduler.roster import PlanResult

_Date = date  # dataclasses below have a field called `date`

_RISK_ALIASES = {
    "vh": "very_high",
    "very high": "very_high",
    "h": "high",
    "m": "medium",
    "l": "low",
}


@dataclass(frozen=True)
class MapVisit:
    """One planned visit as the maps need it (a roster.csv row)."""

    visit_id: str
    date: _Date
    start_min: int
    end_min: int
    offender_id: str
    officer_ids: tuple[str, ...]
    risk_level: RiskLevel
    due_date: _Date
    days_late: int
    kind: str = ""
    crew_id: str | None = None
    line: int | None = None  # line in roster.csv, for messages


@dataclass(frozen=True)
class MapUnscheduled:
    """An owed visit the roster does not hold (an unscheduled.csv row)."""

    offender_id: str
    risk_level: RiskLevel
    due_date: _Date
    reason: str = ""
    line: int | None = None


@dataclass(frozen=True)
class CrewDay:
    """A crew's visits on one day, in visiting order, and the officers whose bases start it."""

    date: _Date
    crew_id: str
    officer_ids: tuple[str, ...]
    visits: tuple[MapVisit, ...]
    formed_because: str = ""  # crews.csv's reason ("" when the plan folder has no crews.csv)


@dataclass
class MapRoster:
    """Everything the maps draw from a plan."""

    visits: list[MapVisit]
    unscheduled: list[MapUnscheduled]
    plan_start: _Date | None = None
    plan_end: _Date | None = None
    source: str = "roster.csv"
    extra: dict[str, Any] = field(default_factory=dict)
    # (date, crew_id) -> why the crew was formed (crews.csv, or the planner's result)
    crew_reasons: dict[tuple[_Date, str], str] = field(default_factory=dict)
    # (officer_id, date) -> the officer's refreshment break (start, end minutes): breaks.csv
    breaks: dict[tuple[str, _Date], tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class AreaOutline:
    """A buffered convex hull around an area's homes and stations, and where to put its name."""

    name: str
    ring: tuple[tuple[float, float], ...]  # (lat, lon), closed implicitly
    label_at: tuple[float, float]


# --- reading -------------------------------------------------------------------------------


def parse_risk(value: str) -> RiskLevel | None:
    """A risk level as written in the contract (`very_high`, `very high`, `VH`, ...), else None."""
    key = value.strip().lower()
    key = _RISK_ALIASES.get(key, key.replace(" ", "_"))
    try:
        return RiskLevel(key)
    except ValueError:
        return None


def _risk(value: str, file: str, line: int | None, problems: list[Problem]) -> RiskLevel:
    level = parse_risk(value)
    if level is None:
        problems.append(
            Problem(
                file,
                line,
                "risk_level",
                f"{shown(value)} is not a risk level; expected very_high, high, medium or low",
            )
        )
        return RiskLevel.low
    return level


def roster_from_files(files: RosterFiles) -> MapRoster:
    """A `MapRoster` from the parsed files of a plan folder (`roster_files.read_roster`)."""
    problems: list[Problem] = []
    visits = [
        MapVisit(
            visit_id=r.visit_id,
            date=r.date,
            start_min=r.start_min,
            end_min=r.end_min,
            offender_id=r.offender_id,
            officer_ids=tuple(r.officer_ids),
            risk_level=_risk(r.risk_level, "roster.csv", r.line, problems),
            due_date=r.due_date,
            days_late=r.days_late,
            kind=r.kind,
            crew_id=r.crew_id or None,
            line=r.line,
        )
        for r in files.visits
    ]
    unscheduled = [
        MapUnscheduled(
            u.offender_id,
            _risk(u.risk_level, "unscheduled.csv", u.line, problems),
            u.due_date,
            u.reason,
            u.line,
        )
        for u in files.unscheduled
    ]
    if problems:
        raise InputError(problems)
    return MapRoster(
        visits,
        unscheduled,
        files.plan_start,
        files.plan_end,
        extra={"run": files.run},
        crew_reasons={(c.date, c.crew_id): c.formed_because for c in files.crews},
        breaks={(b.officer_id, b.date): (b.start_min, b.end_min) for b in files.breaks or []},
    )


def read_roster_folder(out_dir: Path) -> MapRoster:
    """Read a plan folder (roster.csv, unscheduled.csv, summary.json, run.json) for the maps."""
    return roster_from_files(read_roster(Path(out_dir)))


def roster_from_plan(result: PlanResult) -> MapRoster:
    """A `MapRoster` straight from the planner's result (no files read)."""
    # A visit's crew is the route whose officers are exactly the visit's (as roster.csv records it).
    crew_of: dict[str, str] = {}
    officers_of = {v.visit_id: set(v.officer_ids) for v in result.visits}
    for route in result.routes:
        for vid in route.visit_ids:
            if set(route.officer_ids) == officers_of.get(vid):
                crew_of[vid] = route.crew_id
    visits = [
        MapVisit(
            visit_id=v.visit_id,
            date=v.date,
            start_min=v.start_min,
            end_min=v.end_min,
            offender_id=v.offender_id,
            officer_ids=tuple(v.officer_ids),
            risk_level=v.risk_level,
            due_date=v.due_date,
            days_late=v.days_late,
            kind=getattr(v.kind, "value", str(v.kind)),
            crew_id=crew_of.get(v.visit_id),
        )
        for v in result.visits
    ]
    unscheduled = [
        MapUnscheduled(u.offender_id, u.risk_level, u.due_date, u.reason)
        for u in result.unscheduled
    ]
    return MapRoster(
        visits,
        unscheduled,
        result.plan_start,
        result.plan_end,
        source="plan",
        crew_reasons={(c.date, c.crew_id): c.formed_because for c in result.crew_days},
        breaks={(b.officer_id, b.date): (b.start_min, b.end_min) for b in result.breaks},
    )


def as_map_roster(roster: Any, out_dir: Path) -> MapRoster:
    """Whatever the caller holds as a MapRoster: a MapRoster, a PlanResult, the parsed files of
    a plan folder (`RosterFiles`), a plan folder, or None (read the plan in `out_dir`)."""
    if isinstance(roster, MapRoster):
        return roster
    if isinstance(roster, PlanResult):
        return roster_from_plan(roster)
    if isinstance(roster, RosterFiles):
        return roster_from_files(roster)
    if isinstance(roster, (str, Path)):
        return read_roster_folder(Path(roster))
    if roster is None:
        return read_roster_folder(Path(out_dir))
    raise TypeError(f"cannot draw maps from a {type(roster).__name__}")


# --- crews ---------------------------------------------------------------------------------


def crew_days(roster: MapRoster) -> list[CrewDay]:
    """The routes actually travelled: one per group of officers who spent a day together.

    Each officer's day is the visits they attend, by start time. Officers whose days hold
    exactly the same visits travelled together and share one route; its id is the roster's
    crew_id when every visit names the same crew of exactly those officers, else the officer
    ids joined by "+". For a roster of fixed crews this is grouping by (date, crew_id); for one
    whose pairs change during the day (the greedy baseline) each officer gets their own route,
    so no leg is drawn that nobody drove. Sorted by (date, crew id).
    """
    days: dict[tuple[_Date, str], list[MapVisit]] = {}
    for v in roster.visits:
        for o in v.officer_ids:
            days.setdefault((v.date, o), []).append(v)
    together: dict[tuple[_Date, tuple[str, ...]], list[str]] = {}
    members: dict[tuple[_Date, tuple[str, ...]], list[MapVisit]] = {}
    for (day, officer), visits in days.items():
        visits.sort(key=lambda v: (v.start_min, v.visit_id))
        key = (day, tuple(v.visit_id for v in visits))
        together.setdefault(key, []).append(officer)
        members[key] = visits
    out = []
    for key, officers in together.items():
        visits = members[key]
        # the officers in the order the roster lists them (the offender manager first)
        order = {o: i for i, o in enumerate(visits[0].officer_ids)}
        officers.sort(key=lambda o: (order.get(o, len(order)), o))
        named = {v.crew_id for v in visits}
        crew = named.pop() if len(named) == 1 else None
        if not crew or set(re.split(r"[+;]", crew)) != set(officers):
            crew = "+".join(officers)
        out.append(
            CrewDay(key[0], crew, tuple(officers), tuple(visits), _reason(roster, key[0], crew))
        )
    out.sort(key=lambda c: (c.date, c.crew_id))
    return out


def _reason(roster: MapRoster, day: _Date, crew: str) -> str:
    """Why a crew-day was formed: its own row, else (a route drawn for officers who travelled
    together in a plan whose crews vary per visit) the one reason all its officers share."""
    own = roster.crew_reasons.get((day, crew))
    if own is not None:
        return own
    each = {roster.crew_reasons.get((day, o), "") for o in re.split(r"[+;]", crew)}
    return each.pop() if len(each) == 1 else ""


def check_against_dataset(roster: MapRoster, dataset: Dataset, limit: int = 20) -> None:
    """Every visited or unscheduled person and every officer must be in the data folder."""
    people = dataset.offender_by_id()
    officers = dataset.officer_by_id()
    problems: list[Problem] = []
    hint = "is this the data folder the roster was planned from? (use --data)"
    for v in roster.visits:
        if v.offender_id not in people:
            problems.append(
                Problem(
                    roster.source,
                    v.line,
                    "offender_id",
                    f"{shown(v.offender_id)} is not in offenders.csv; {hint}",
                )
            )
        for o in v.officer_ids:
            if o not in officers:
                problems.append(
                    Problem(
                        roster.source,
                        v.line,
                        "officer_ids",
                        f"{shown(o)} is not in officers.csv; {hint}",
                    )
                )
    for u in roster.unscheduled:
        if u.offender_id not in people:
            problems.append(
                Problem(
                    "unscheduled.csv",
                    u.line,
                    "offender_id",
                    f"{shown(u.offender_id)} is not in offenders.csv; {hint}",
                )
            )
    if problems:
        raise InputError(problems[:limit])


_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def crew_file_names(crews: Sequence[CrewDay]) -> list[str]:
    """A distinct, file-system-safe name (no extension) for each crew-day within its date."""
    used: dict[date, set[str]] = {}
    names = []
    for c in crews:
        base = _FILE_UNSAFE.sub("_", c.crew_id)[:80].lstrip(".") or "crew"
        taken = used.setdefault(c.date, set())
        name, n = base, 2
        while name.lower() in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name.lower())
        names.append(name)
    return names


# --- geometry ------------------------------------------------------------------------------

_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LON_EQUATOR = 111.320


def convex_hull(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise, without repeating the first point."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def buffered_hull(
    latlons: Sequence[tuple[float, float]], buffer_km: float, sides: int = 16
) -> list[tuple[float, float]]:
    """The convex hull of points grown by about `buffer_km` (hull of a small polygon around each point).

    Works in a local flat projection around the points' mean latitude: areas are a few tens of
    km across, where the distortion is far below the buffer.
    """
    if not latlons:
        return []
    lat0 = sum(p[0] for p in latlons) / len(latlons)
    kx = _KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
    ky = _KM_PER_DEG_LAT
    ring = [(2 * math.pi * i / sides) for i in range(sides)]
    grown = [
        (lon * kx + buffer_km * math.cos(a), lat * ky + buffer_km * math.sin(a))
        for lat, lon in latlons
        for a in ring
    ]
    return [(round(y / ky, 5), round(x / kx, 5)) for x, y in convex_hull(grown)]


def area_outlines(dataset: Dataset, buffer_km: float = 0.8) -> list[AreaOutline]:
    """One outline per named area: the homes of its people and its officers' stations, buffered."""
    homes: dict[str, list[tuple[float, float]]] = {}
    for o in dataset.offenders:
        if o.area:
            homes.setdefault(o.area, []).append((o.lat, o.lon))
    stations: dict[str, list[tuple[float, float]]] = {}
    for f in dataset.officers:
        if f.area:
            stations.setdefault(f.area, []).append((f.base_lat, f.base_lon))
    out = []
    for name in sorted(set(homes) | set(stations)):
        pts = homes.get(name, []) + stations.get(name, [])
        label_pts = homes.get(name) or stations[name]
        label_at = (
            round(sum(p[0] for p in label_pts) / len(label_pts), 5),
            round(sum(p[1] for p in label_pts) / len(label_pts), 5),
        )
        out.append(AreaOutline(name, tuple(buffered_hull(pts, buffer_km)), label_at))
    return out
