"""What the route maps draw, as plain data: visits grouped into crew-days, area outlines.

Maps never solve. They read a written roster folder (roster.csv, unscheduled.csv, run.json) or
take a `PlanResult` straight from the planner, and turn it into `MapRoster` / `CrewDay` values.
`parse_*` functions are pure (text in, data out); `read_roster_folder` opens the files.
Errors are located by file, line and column and never quote coordinates or whole rows.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rso_scheduler.errors import InputError, OutputError, Problem
from rso_scheduler.models import Dataset, RiskLevel
from rso_scheduler.roster import PlanResult

_Date = date  # dataclasses below have a field called `date`

ROSTER_REQUIRED = (
    "visit_id",
    "date",
    "start",
    "end",
    "offender_id",
    "officer_ids",
    "risk_level",
    "due_date",
)
UNSCHEDULED_REQUIRED = ("offender_id", "risk_level", "due_date")
_RISK_ALIASES = {
    "vh": "very_high",
    "very high": "very_high",
    "h": "high",
    "m": "medium",
    "l": "low",
}
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r", "'\n")
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


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


@dataclass
class MapRoster:
    """Everything the maps draw from a plan."""

    visits: list[MapVisit]
    unscheduled: list[MapUnscheduled]
    plan_start: _Date | None = None
    plan_end: _Date | None = None
    # Crew-days as the planner formed them (from a PlanResult); None: group the visits.
    crews: list[CrewDay] | None = None
    source: str = "roster.csv"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AreaOutline:
    """A buffered convex hull around an area's homes and stations, and where to put its name."""

    name: str
    ring: tuple[tuple[float, float], ...]  # (lat, lon), closed implicitly
    label_at: tuple[float, float]


# --- parsing -------------------------------------------------------------------------------


def _unneutralise(value: str) -> str:
    """Undo the apostrophe that `outputs.files.safe_cell` puts before formula-like text."""
    return value[1:] if value.startswith(_NEUTRALISED) else value


def _rows(
    text: str, file: str, required: Sequence[str]
) -> tuple[list[tuple[int, dict[str, str]]], list[Problem]]:
    """CSV rows as (line, {lower-case header: stripped cell}); problems for missing columns."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        return [], [Problem(file, 1, None, "is empty; expected a header row")]
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        return [], [
            Problem(file, 1, c, f"column is missing; expected columns {', '.join(required)}")
            for c in missing
        ]
    rows: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        cells = {
            n: _unneutralise(row[i].strip()) if i < len(row) else "" for i, n in enumerate(names)
        }
        rows.append((reader.line_num, cells))
    return rows, []


def _text(cells: dict[str, str], col: str, file: str, line: int, problems: list[Problem]) -> str:
    value = cells.get(col, "")
    if not value:
        problems.append(Problem(file, line, col, "is empty; expected a value"))
    return value


def _date(cells: dict[str, str], col: str, file: str, line: int, problems: list[Problem]) -> date:
    value = cells.get(col, "")
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(
            Problem(file, line, col, f"'{value[:20]}' is not a date; expected YYYY-MM-DD")
        )
        return date.min


def _time(cells: dict[str, str], col: str, file: str, line: int, problems: list[Problem]) -> int:
    value = cells.get(col, "")
    m = _HHMM.match(value)
    if m and int(m.group(1)) <= 24 and int(m.group(2)) < 60:
        minutes = int(m.group(1)) * 60 + int(m.group(2))
        if minutes <= 24 * 60:
            return minutes
    problems.append(
        Problem(file, line, col, f"'{value[:20]}' is not a time; expected HH:MM (24 h)")
    )
    return 0


def parse_risk(value: str) -> RiskLevel | None:
    """A risk level as written in the contract (`very_high`, `very high`, `VH`, ...), else None."""
    key = value.strip().lower()
    key = _RISK_ALIASES.get(key, key.replace(" ", "_"))
    try:
        return RiskLevel(key)
    except ValueError:
        return None


def _risk(cells: dict[str, str], file: str, line: int, problems: list[Problem]) -> RiskLevel:
    value = cells.get("risk_level", "")
    level = parse_risk(value)
    if level is None:
        problems.append(
            Problem(
                file,
                line,
                "risk_level",
                f"'{value[:20]}' is not a risk level; expected very_high, high, medium or low",
            )
        )
        return RiskLevel.low
    return level


def parse_roster_csv(text: str, file: str = "roster.csv") -> list[MapVisit]:
    """Planned visits from roster.csv text; raises `InputError` with every problem found."""
    rows, problems = _rows(text, file, ROSTER_REQUIRED)
    visits: list[MapVisit] = []
    for line, c in rows:
        before = len(problems)
        visit_id = _text(c, "visit_id", file, line, problems)
        day = _date(c, "date", file, line, problems)
        start_min = _time(c, "start", file, line, problems)
        end_min = _time(c, "end", file, line, problems)
        offender_id = _text(c, "offender_id", file, line, problems)
        officer_ids = tuple(o.strip() for o in c.get("officer_ids", "").split(";") if o.strip())
        if not officer_ids:
            problems.append(
                Problem(file, line, "officer_ids", "is empty; expected ';'-separated officer ids")
            )
        risk = _risk(c, file, line, problems)
        due = _date(c, "due_date", file, line, problems)
        late_text = c.get("days_late", "")
        days_late = max(0, (day - due).days) if day != date.min and due != date.min else 0
        if late_text:
            try:
                days_late = int(late_text)
            except ValueError:
                problems.append(
                    Problem(file, line, "days_late", f"'{late_text[:20]}' is not a whole number")
                )
        if len(problems) != before:
            continue
        visits.append(
            MapVisit(
                visit_id=visit_id,
                date=day,
                start_min=start_min,
                end_min=end_min,
                offender_id=offender_id,
                officer_ids=officer_ids,
                risk_level=risk,
                due_date=due,
                days_late=days_late,
                kind=c.get("kind", ""),
                crew_id=c.get("crew_id") or None,
                line=line,
            )
        )
    if problems:
        raise InputError(problems)
    return visits


def parse_unscheduled_csv(text: str, file: str = "unscheduled.csv") -> list[MapUnscheduled]:
    """Owed visits left unscheduled from unscheduled.csv text; raises `InputError` on problems."""
    rows, problems = _rows(text, file, UNSCHEDULED_REQUIRED)
    out: list[MapUnscheduled] = []
    for line, c in rows:
        before = len(problems)
        offender_id = _text(c, "offender_id", file, line, problems)
        risk = _risk(c, file, line, problems)
        due = _date(c, "due_date", file, line, problems)
        if len(problems) == before:
            out.append(MapUnscheduled(offender_id, risk, due, c.get("reason", ""), line))
    if problems:
        raise InputError(problems)
    return out


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError([Problem(path.name, None, None, "is not UTF-8 text")]) from None
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {exc.strerror}") from None


def read_run_record(out_dir: Path) -> dict[str, Any]:
    """run.json of a roster folder as a dict ({} if it is absent)."""
    path = Path(out_dir) / "run.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem("run.json", exc.lineno, None, f"is not valid JSON ({exc.msg})")]
        ) from None
    return data if isinstance(data, dict) else {}


def _period(run: dict[str, Any], summary: dict[str, Any]) -> tuple[date | None, date | None]:
    out: list[date | None] = []
    for key in ("plan_start", "plan_end"):
        value = summary.get(key) or run.get(key)
        if value is None and isinstance(run.get("plan"), dict):
            value = run["plan"].get(key.removeprefix("plan_")) or run["plan"].get(key)
        try:
            out.append(date.fromisoformat(str(value)) if value else None)
        except ValueError:
            out.append(None)
    return out[0], out[1]


def read_roster_folder(out_dir: Path) -> MapRoster:
    """Read roster.csv (required), unscheduled.csv, summary.json and run.json of a roster folder."""
    out_dir = Path(out_dir)
    roster_path = out_dir / "roster.csv"
    if not roster_path.is_file():
        raise InputError(
            [
                Problem(
                    str(roster_path),
                    None,
                    None,
                    "not found; expected the folder written by `rso plan --out`",
                )
            ]
        )
    visits = parse_roster_csv(_read_text(roster_path))
    unsched_path = out_dir / "unscheduled.csv"
    unscheduled = parse_unscheduled_csv(_read_text(unsched_path)) if unsched_path.is_file() else []
    summary: dict[str, Any] = {}
    summary_path = out_dir / "summary.json"
    if summary_path.is_file():
        try:
            loaded = json.loads(_read_text(summary_path))
            summary = loaded if isinstance(loaded, dict) else {}
        except json.JSONDecodeError:
            summary = {}  # the period is a nicety for titles; the roster itself is what matters
    start, end = _period(read_run_record(out_dir), summary)
    return MapRoster(visits, unscheduled, start, end)


def roster_from_plan(result: PlanResult) -> MapRoster:
    """A `MapRoster` straight from the planner's result (crew-days as the planner formed them)."""
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
        )
        for v in result.visits
    ]
    by_id = {v.visit_id: v for v in visits}
    crews = []
    for r in result.routes:
        members = [by_id[i] for i in r.visit_ids if i in by_id]
        if members:
            members.sort(key=lambda v: (v.start_min, v.visit_id))
            crews.append(CrewDay(r.date, r.crew_id, tuple(r.officer_ids), tuple(members)))
    unscheduled = [
        MapUnscheduled(u.offender_id, u.risk_level, u.due_date, u.reason)
        for u in result.unscheduled
    ]
    return MapRoster(
        visits, unscheduled, result.plan_start, result.plan_end, crews=crews, source="plan"
    )


def as_map_roster(roster: Any, out_dir: Path) -> MapRoster:
    """Whatever the caller holds (a MapRoster, a PlanResult, a folder, or files read back) as a MapRoster.

    Anything else (e.g. the roster files object of `outputs.roster_files`) is read back from
    `out_dir/roster.csv`, which the planner writes into the same folder before the maps.
    """
    if isinstance(roster, MapRoster):
        return roster
    if isinstance(roster, PlanResult):
        return roster_from_plan(roster)
    if isinstance(roster, (str, Path)):
        return read_roster_folder(Path(roster))
    if roster is not None and hasattr(roster, "routes") and hasattr(roster, "visits"):
        return roster_from_plan(roster)
    if (Path(out_dir) / "roster.csv").is_file():
        return read_roster_folder(Path(out_dir))
    raise OutputError("no roster to map: expected roster.csv in the output folder or a plan result")


# --- crews ---------------------------------------------------------------------------------


def crew_days(roster: MapRoster, known_officers: Iterable[str]) -> list[CrewDay]:
    """Visits grouped into crew-days, each in start-time order, sorted by (date, crew).

    Groups by (date, crew_id), or by (date, officer_ids) when crew_id is missing. The officers
    whose bases start the route are the crew id's parts when they are all known officers
    (a greedy roster names one officer per day), else every officer on the crew's visits.
    """
    if roster.crews is not None:
        return sorted(roster.crews, key=lambda c: (c.date, c.crew_id))
    known = set(known_officers)
    groups: dict[tuple[date, str], list[MapVisit]] = {}
    for v in roster.visits:
        crew = v.crew_id or "+".join(v.officer_ids)
        groups.setdefault((v.date, crew), []).append(v)
    out = []
    for (day, crew), members in groups.items():
        members.sort(key=lambda v: (v.start_min, v.visit_id))
        parts = tuple(p for p in re.split(r"[+;]", crew) if p)
        if parts and all(p in known for p in parts):
            officers = parts
        else:
            seen: dict[str, None] = {}
            for v in members:
                for o in v.officer_ids:
                    seen.setdefault(o, None)
            officers = tuple(seen)
        out.append(CrewDay(day, crew, officers, tuple(members)))
    out.sort(key=lambda c: (c.date, c.crew_id))
    return out


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
                    f"'{v.offender_id}' is not in offenders.csv; {hint}",
                )
            )
        for o in v.officer_ids:
            if o not in officers:
                problems.append(
                    Problem(
                        roster.source,
                        v.line,
                        "officer_ids",
                        f"'{o}' is not in officers.csv; {hint}",
                    )
                )
    for u in roster.unscheduled:
        if u.offender_id not in people:
            problems.append(
                Problem(
                    "unscheduled.csv",
                    u.line,
                    "offender_id",
                    f"'{u.offender_id}' is not in offenders.csv; {hint}",
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
