"""Roster outputs: write a plan's files into a staging folder, and read them back.

`write_plan(stage, dataset, result, run_info, travel=...)` writes (all through `outputs.files`,
so owner-only and formula-neutral; day sheets timed by the run's travel model):

- `roster.csv`: the contract columns in contract order (visit_id, date, start, end,
  offender_id, officer_ids, risk_level, due_date, days_late, kind), then the additions
  `seq` (0 = the person's first owed visit in the plan, 1, 2... chained ones), `pulled_forward`
  (true: due after the plan, made early with spare capacity), `crew_id`, and
  `offender_manager_on_visit` (true/false; blank when the person has no named manager),
  `late_reason` (a late visit: the rule, the full roster or the planner's choice that made it
  late; blank when on time), and `pinned` (written `no` by `rso plan`; a supervisor sets `yes`
  on a visit `rso replan` must keep as it is; read as a contract boolean, blank or absent = no).
- `unscheduled.csv`: offender_id, risk_level, due_date, reason.
- `breaks.csv`: officer_id, date, start, end: each officer's refreshment break on a day with a
  visit (none with `[shifts] refreshment = "none"`).
- `summary.json`: counts, travel, policy and its hash, input file hashes, breakdowns by risk.
- `day_sheets/<officer>.csv` and `day_sheets/index.csv`: each officer's visits, day by day.
- `run.json`: the run record (versions, command line, data folder, seed, time limit...).

`read_roster(out_dir)` parses them back for the checker and the maps, and `read_planned(path)`
reads roster.csv as planned visits for `rso report compliance --roster`: one parser
(`parse_roster`) for every command, every problem in a malformed roster located by file, line
and column (`errors.InputError`).
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from rso_scheduler import __version__
from rso_scheduler.errors import InputError, OutputError, PathError, Problem
from rso_scheduler.models import RISK_ORDER, Dataset, RiskLevel, VisitKind
from rso_scheduler.outputs import lock
from rso_scheduler.outputs.files import finish_interrupted, unneutralise, write_csv, write_json
from rso_scheduler.policy import NESTED_TOO_DEEPLY
from rso_scheduler.redact import shown, shown_found
from rso_scheduler.roster import PlannedVisit, PlanResult, hhmm
from rso_scheduler.travel import Travel, base, home, longest_leg_min, travel_for

ROSTER_COLUMNS = (
    "visit_id",
    "date",
    "start",
    "end",
    "offender_id",
    "officer_ids",
    "risk_level",
    "due_date",
    "days_late",
    "kind",
)
ROSTER_EXTRA_COLUMNS = (
    "seq",
    "pulled_forward",
    "crew_id",
    "offender_manager_on_visit",
    "late_reason",
    "pinned",
)
UNSCHEDULED_COLUMNS = ("offender_id", "risk_level", "due_date", "reason")
BREAK_COLUMNS = ("officer_id", "date", "start", "end")
DAY_SHEET_COLUMNS = (
    "date",
    "order",
    "start",
    "end",
    "offender_id",
    "risk_level",
    "partner_officers",
    "travel_from_previous_min",
    "kind",
)
_Date = date  # RosterRow has a field called `date`, which hides the type inside the class

INDEX_COLUMNS = ("officer_id", "name", "file", "days", "visits", "travel_minutes")
CREW_COLUMNS = (
    "date",
    "crew_id",
    "officer_ids",
    "officer_names",
    "areas",
    "start",
    "end",
    "visits",
    "travel_min",
    "longest_leg_min",
    "formed_because",
    "formed_detail",
)


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterRow:
    """One row of roster.csv as written (kind and risk level kept as text for the checker)."""

    line: int
    visit_id: str
    date: date
    start_min: int
    end_min: int
    offender_id: str
    officer_ids: tuple[str, ...]
    risk_level: str
    due_date: _Date
    days_late: int
    kind: str
    seq: int | None = None
    pulled_forward: bool = False
    crew_id: str = ""
    offender_manager_on_visit: bool | None = None
    late_reason: str = ""
    pinned: bool = False  # a supervisor's "keep this visit as it is" (rso replan)


@dataclass(frozen=True)
class UnscheduledRow:
    """One row of unscheduled.csv."""

    line: int
    offender_id: str
    risk_level: str
    due_date: date
    reason: str


@dataclass(frozen=True)
class BreakRow:
    """One row of breaks.csv: an officer's refreshment break."""

    line: int
    officer_id: str
    date: date
    start_min: int
    end_min: int


@dataclass(frozen=True)
class CrewRow:
    """One row of crews.csv: a crew-day and why it was formed (what the maps show)."""

    line: int
    date: date
    crew_id: str
    officer_ids: tuple[str, ...]
    formed_because: str
    formed_detail: str = ""
    # the row as read, every column in CREW_COLUMNS order (a row kept as it was is written back)
    cells: tuple[str, ...] = field(default=(), compare=False)


@dataclass
class RosterFiles:
    """The files of one plan, parsed."""

    out_dir: Path
    plan_start: date
    plan_end: date
    work_bank_holidays: bool
    visits: list[RosterRow]
    unscheduled: list[UnscheduledRow]
    summary: dict[str, Any] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    crews: list[CrewRow] = field(default_factory=list)  # crews.csv (none in an older plan)
    roster_sha256: str = ""  # of the roster.csv bytes read: a writer refuses if it changed
    breaks: list[BreakRow] | None = None  # None: the folder has no breaks.csv


T = TypeVar("T")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


def _parse_time(text: str) -> int:
    m = _TIME.match(text.strip())
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        raise ValueError(f"{shown(text)} is not a time; expected HH:MM")
    minutes = int(m.group(1)) * 60 + int(m.group(2))
    if minutes > 24 * 60:
        raise ValueError(f"{shown(text)} is not a time; expected HH:MM up to 24:00")
    return minutes


def _parse_date(text: str) -> date:
    from rso_scheduler.ingest import to_date  # the inputs' date rule and its hints

    return to_date(text.strip())


def _parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{shown(text)} is not a whole number") from None


def _parse_bool(text: str) -> bool:
    t = text.strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise ValueError(f"{shown(text)} is not true or false")


def _rows(
    text: str,
    file: str,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    problems: list[Problem],
) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV as {column: stripped cell}, with their physical line numbers.

    Read by ingest's table reader, the one used for the inputs: the same header, cell-count,
    quoting, size and control-character checks, every problem located.
    """
    # Imported here: the checker imports this module and must not load the planner's calendar
    # (which ingest uses for its date range) just by being imported.
    from rso_scheduler.ingest import Col, read_table

    table = read_table(text, file, [Col(c, str, required=c in required) for c in columns])
    problems.extend(table.problems)
    return table.rows if table.ok else []


def _cell(
    row: dict[str, str],
    col: str,
    parse: Callable[[str], T],
    file: str,
    line: int,
    problems: list[Problem],
) -> T | None:
    try:
        return parse(row.get(col, ""))
    except ValueError as exc:
        problems.append(Problem(file, line, col, str(exc)))
        return None


def _text(s: str) -> str:
    # Cells were written through files.safe_cell, which may have put an apostrophe first.
    return unneutralise(s.strip())


# What the plan-against-actual report needs of a roster (`rso report compliance --roster`): a
# roster kept by hand may leave out the times, officers, kind and days_late.
REPORT_ROSTER_COLUMNS = ("visit_id", "date", "offender_id", "risk_level", "due_date")


def _blank_or(parse: Callable[[str], int], required: bool) -> Callable[[str], int | None]:
    """A column's parser; a blank cell of a column not required reads as None."""
    return parse if required else (lambda s: parse(s) if s.strip() else None)


def parse_roster(
    text: str, file: str = "roster.csv", required: tuple[str, ...] = ROSTER_COLUMNS
) -> list[RosterRow]:
    """roster.csv text -> rows; raises InputError listing every problem.

    `required`: the columns that must be present and filled (every contract column for the
    checker and the maps; `REPORT_ROSTER_COLUMNS` for the report). A blank start reads as 00:00,
    a blank end as the start, a blank days_late as computed from the dates.
    """
    from rso_scheduler.ingest import to_id, to_id_list  # ids bounded as in the inputs

    problems: list[Problem] = []
    out: list[RosterRow] = []
    for line, row in _rows(text, file, ROSTER_COLUMNS + ROSTER_EXTRA_COLUMNS, required, problems):
        n = len(problems)
        day = _cell(row, "date", _parse_date, file, line, problems)
        start = _cell(
            row, "start", _blank_or(_parse_time, "start" in required), file, line, problems
        )
        end = _cell(row, "end", _blank_or(_parse_time, "end" in required), file, line, problems)
        due = _cell(row, "due_date", _parse_date, file, line, problems)
        late = _cell(
            row, "days_late", _blank_or(_parse_int, "days_late" in required), file, line, problems
        )
        seq = _cell(
            row, "seq", lambda s: _parse_int(s) if s.strip() else None, file, line, problems
        )
        pulled = _cell(row, "pulled_forward", _parse_bool, file, line, problems)
        pinned = _cell(row, "pinned", _parse_bool, file, line, problems)
        om_text = row.get("offender_manager_on_visit", "").strip()
        om = (
            _cell(row, "offender_manager_on_visit", _parse_bool, file, line, problems)
            if om_text
            else None
        )
        for col in ("visit_id", "offender_id"):
            if not _text(row[col]):
                problems.append(Problem(file, line, col, "is empty; expected an identifier"))
            else:
                _cell(row, col, lambda c: to_id(_text(c)), file, line, problems)
        _cell(
            row,
            "officer_ids",
            lambda c: to_id_list(_text(c)) if _text(c) else (),
            file,
            line,
            problems,
        )
        if len(problems) > n:
            continue
        assert day is not None and due is not None
        start = 0 if start is None else start
        out.append(
            RosterRow(
                line=line,
                visit_id=_text(row["visit_id"]),
                date=day,
                start_min=start,
                end_min=start if end is None else end,
                offender_id=_text(row["offender_id"]),
                officer_ids=tuple(
                    p for p in _text(row.get("officer_ids", "")).split(";") if p.strip()
                ),
                risk_level=_text(row["risk_level"]),
                due_date=due,
                days_late=max(0, (day - due).days) if late is None else late,
                kind=_text(row.get("kind", "")),
                seq=seq,
                pulled_forward=bool(pulled),
                crew_id=_text(row.get("crew_id", "")),
                offender_manager_on_visit=om,
                late_reason=_text(row.get("late_reason", "")),
                pinned=bool(pinned),
            )
        )
    if problems:
        raise InputError(problems)
    return out


def parse_unscheduled(text: str, file: str = "unscheduled.csv") -> list[UnscheduledRow]:
    """unscheduled.csv text -> rows; raises InputError listing every problem."""
    from rso_scheduler.ingest import to_id

    problems: list[Problem] = []
    out: list[UnscheduledRow] = []
    for line, row in _rows(text, file, UNSCHEDULED_COLUMNS, UNSCHEDULED_COLUMNS, problems):
        due = _cell(row, "due_date", _parse_date, file, line, problems)
        if not _text(row["offender_id"]):
            problems.append(Problem(file, line, "offender_id", "is empty; expected an identifier"))
            continue
        if _cell(row, "offender_id", lambda c: to_id(_text(c)), file, line, problems) is None:
            continue
        if due is not None:
            out.append(
                UnscheduledRow(
                    line,
                    _text(row["offender_id"]),
                    _text(row["risk_level"]),
                    due,
                    _text(row["reason"]),
                )
            )
    if problems:
        raise InputError(problems)
    return out


def parse_breaks(text: str, file: str = "breaks.csv") -> list[BreakRow]:
    """breaks.csv text -> rows; raises InputError listing every problem."""
    from rso_scheduler.ingest import to_id

    problems: list[Problem] = []
    out: list[BreakRow] = []
    for line, row in _rows(text, file, BREAK_COLUMNS, BREAK_COLUMNS, problems):
        oid = _cell(row, "officer_id", lambda c: to_id(_text(c)), file, line, problems)
        day = _cell(row, "date", _parse_date, file, line, problems)
        start = _cell(row, "start", _parse_time, file, line, problems)
        end = _cell(row, "end", _parse_time, file, line, problems)
        if oid is None or day is None or start is None or end is None:
            continue
        if not oid:
            problems.append(Problem(file, line, "officer_id", "is empty; expected an identifier"))
        elif end <= start:
            problems.append(Problem(file, line, "end", "is not after start"))
        else:
            out.append(BreakRow(line, oid, day, start, end))
    if problems:
        raise InputError(problems)
    return out


def parse_crews(text: str, file: str = "crews.csv") -> list[CrewRow]:
    """crews.csv text -> rows (date, crew and reason; the figures are for people, not read
    back); raises InputError listing every problem."""
    from rso_scheduler.ingest import to_id_list

    problems: list[Problem] = []
    out: list[CrewRow] = []
    required = ("date", "crew_id", "formed_because")
    for line, row in _rows(text, file, CREW_COLUMNS, required, problems):
        n = len(problems)
        day = _cell(row, "date", _parse_date, file, line, problems)
        if not _text(row["crew_id"]):  # officer ids joined by "+" (as in roster.csv)
            problems.append(Problem(file, line, "crew_id", "is empty; expected a crew id"))
        ids = _cell(
            row,
            "officer_ids",
            lambda c: tuple(to_id_list(_text(c))) if _text(c) else (),
            file,
            line,
            problems,
        )
        if len(problems) > n or day is None:
            continue
        out.append(
            CrewRow(
                line,
                day,
                _text(row["crew_id"]),
                ids or (),
                _text(row["formed_because"]),
                _text(row.get("formed_detail", "")),
                tuple(_text(row.get(col, "")) for col in CREW_COLUMNS),
            )
        )
    if problems:
        raise InputError(problems)
    return out


def read_crews(out_dir: Path) -> list[CrewRow]:
    """The crew-days of a plan folder (crews.csv); none for an older plan without the file."""
    path = Path(out_dir) / "crews.csv"
    if not path.is_file():
        return []
    return parse_crews(_read_text(path))


def planned_visits(rows: list[RosterRow], file: str = "roster.csv") -> list[PlannedVisit]:
    """Roster rows as planned visits (the report's plan-against-actual check): risk level and
    kind read as in the inputs, visit ids unique; raises InputError listing every problem."""
    from rso_scheduler.ingest import to_kind, to_risk

    problems: list[Problem] = []
    out: list[PlannedVisit] = []
    seen: dict[str, int] = {}
    for r in rows:
        n = len(problems)
        if r.visit_id in seen:
            problems.append(
                Problem(
                    file,
                    r.line,
                    "visit_id",
                    f"{shown(r.visit_id)} is also on line {seen[r.visit_id]}; expected unique ids",
                )
            )
        seen.setdefault(r.visit_id, r.line)
        risk = _cell({"risk_level": r.risk_level}, "risk_level", to_risk, file, r.line, problems)
        kind = _cell({"kind": r.kind or "announced"}, "kind", to_kind, file, r.line, problems)
        if len(problems) > n:
            continue
        out.append(
            PlannedVisit(
                visit_id=r.visit_id,
                date=r.date,
                start_min=r.start_min,
                end_min=r.end_min,
                offender_id=r.offender_id,
                officer_ids=r.officer_ids,
                risk_level=RiskLevel(str(risk)),
                due_date=r.due_date,
                kind=VisitKind(str(kind)),
            )
        )
    if problems:
        raise InputError(problems)
    return out


def parse_planned(text: str, file: str = "roster.csv") -> list[PlannedVisit]:
    """roster.csv text as planned visits for the report (only `REPORT_ROSTER_COLUMNS` needed)."""
    return planned_visits(parse_roster(text, file, REPORT_ROSTER_COLUMNS), file)


def read_planned(path: Path) -> tuple[list[PlannedVisit], str]:
    """The planned visits of `<path>/roster.csv` (or of the file itself if given one), with the
    SHA-256 of the bytes read (for the run record)."""
    path = Path(path)
    finish_interrupted(path)
    if path.is_dir():
        path = path / "roster.csv"
    if not path.is_file():
        raise PathError(f"no roster found at {path}; expected the output folder of `rso plan`")
    try:
        with lock.shared(path.parent):  # not while a plan swaps the folder
            raw = path.read_bytes()
        text = raw.decode("utf-8-sig")  # Excel saves with a BOM
    except UnicodeDecodeError:
        raise InputError([Problem(path.name, None, None, "is not UTF-8 text")]) from None
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {exc.strerror}") from None
    return parse_planned(text, path.name), hashlib.sha256(raw).hexdigest()


def plan_start_of(path: Path) -> date | None:
    """The plan's first day from summary.json beside a roster (`path`: the folder or its
    roster.csv); None when there is no summary.json (then a report takes the first planned
    date). A summary.json that is there but unreadable is a located error."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if not (folder / "summary.json").is_file():
        return None
    raw = _read_json(folder / "summary.json").get("plan_start")
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        raise InputError(
            [Problem("summary.json", None, "plan_start", "is not a date; expected YYYY-MM-DD")]
        ) from None


class MissingRosterFile(OutputError, PathError):
    """A plan folder lacks one of its files (bad input: exit code 2, as PathError)."""

    exit_code = 2


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # Excel saves with a BOM
    except FileNotFoundError:
        raise MissingRosterFile(
            f"{path.name} is missing from {path.parent}; is this the output folder of `rso plan`?"
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            [
                Problem(
                    path.name, None, None, "is not UTF-8 text; expected the file `rso plan` wrote"
                )
            ]
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {exc.strerror}") from None


def _read_json(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem(path.name, exc.lineno, f"column {exc.colno}", f"not valid JSON: {exc.msg}")]
        ) from None
    except RecursionError:
        raise InputError([Problem(path.name, None, None, NESTED_TOO_DEEPLY)]) from None
    if not isinstance(data, dict):
        raise InputError([Problem(path.name, 1, None, "expected a JSON object")])
    return data


def read_roster(out_dir: Path) -> RosterFiles:
    """Parse roster.csv, unscheduled.csv, summary.json and run.json of a plan's output folder."""
    out_dir = Path(out_dir)
    if out_dir.is_file() and out_dir.name == "roster.csv":
        out_dir = out_dir.parent  # given the roster itself: its folder holds the rest
    elif out_dir.exists() and not out_dir.is_dir():
        raise MissingRosterFile(f"{out_dir} is a file; expected the output folder of `rso plan`")
    finish_interrupted(out_dir)
    problems: list[Problem] = []
    visits: list[RosterRow] = []
    unscheduled: list[UnscheduledRow] = []
    crews: list[CrewRow] = []
    # one plan's files, never some of one plan and some of the next: read holding the lock
    with lock.shared(out_dir):
        roster_text = _read_text(out_dir / "roster.csv")
        roster_sha256 = hashlib.sha256((out_dir / "roster.csv").read_bytes()).hexdigest()
        unscheduled_text = _read_text(out_dir / "unscheduled.csv")
        summary = _read_json(out_dir / "summary.json")
        run = _read_json(out_dir / "run.json")
        crews_path = out_dir / "crews.csv"
        crews_text = _read_text(crews_path) if crews_path.is_file() else None
        breaks_path = out_dir / "breaks.csv"
        breaks_text = _read_text(breaks_path) if breaks_path.is_file() else None
    try:
        visits = parse_roster(roster_text)
    except InputError as exc:
        problems += exc.problems
    try:
        unscheduled = parse_unscheduled(unscheduled_text)
    except InputError as exc:
        problems += exc.problems
    if crews_text is not None:
        try:
            crews = parse_crews(crews_text)
        except InputError as exc:
            problems += exc.problems
    breaks: list[BreakRow] | None = None  # None: the folder has no breaks.csv
    if breaks_text is not None:
        try:
            breaks = parse_breaks(breaks_text)
        except InputError as exc:
            problems += exc.problems
    period: list[date] = []
    for key in ("plan_start", "plan_end"):
        raw = run.get(key, summary.get(key))
        try:
            period.append(date.fromisoformat(str(raw)))
        except ValueError:
            found = "is missing" if raw is None else f"{shown_found(raw)} is not a date"
            problems.append(Problem("run.json", None, key, f"{found}; expected YYYY-MM-DD"))
    if problems:
        raise InputError(problems)
    return RosterFiles(
        out_dir=out_dir,
        plan_start=period[0],
        plan_end=period[1],
        work_bank_holidays=bool(
            run.get("work_bank_holidays", summary.get("work_bank_holidays", False))
        ),
        visits=visits,
        unscheduled=unscheduled,
        summary=summary,
        run=run,
        crews=crews,
        roster_sha256=roster_sha256,
        breaks=breaks,
    )


# --- writing --------------------------------------------------------------------------------


def _crew_ids(result: PlanResult) -> dict[str, str]:
    """visit_id -> crew id: the route whose officers are exactly the visit's, else the ids joined."""
    out: dict[str, str] = {}
    officers_of = {v.visit_id: set(v.officer_ids) for v in result.visits}
    for route in result.routes:
        for vid in route.visit_ids:
            if set(route.officer_ids) == officers_of.get(vid):
                out[vid] = route.crew_id
    for v in result.visits:
        out.setdefault(v.visit_id, "+".join(v.officer_ids))
    return out


def _roster_rows(dataset: Dataset, result: PlanResult) -> list[list[Any]]:
    people = dataset.offender_by_id()
    crews = _crew_ids(result)
    rows = []
    for v in sorted(result.visits, key=lambda v: (v.date, v.start_min, v.visit_id)):
        om = people[v.offender_id].offender_manager_id if v.offender_id in people else None
        rows.append(
            [
                v.visit_id,
                v.date.isoformat(),
                hhmm(v.start_min),
                hhmm(v.end_min),
                v.offender_id,
                ";".join(v.officer_ids),
                v.risk_level.value,
                v.due_date.isoformat(),
                v.days_late,
                v.kind.value,
                v.seq,
                "true" if v.pulled_forward else "false",
                crews[v.visit_id],
                "" if om is None else ("true" if om in v.officer_ids else "false"),
                v.late_reason,
                "yes" if v.pinned else "no",
            ]
        )
    return rows


def _crew_rows(dataset: Dataset, result: PlanResult, travel: Travel) -> list[list[Any]]:
    """crews.csv: every crew-day the plan formed (idle ones too), with its figures and reason."""
    officers = dataset.officer_by_id()
    people = dataset.offender_by_id()
    homes = {v.visit_id: home(people[v.offender_id]) for v in result.visits}
    routes = {(r.date, r.crew_id): r for r in result.routes}
    records = {(c.date, c.crew_id): c for c in result.crew_days}
    rows = []
    for key in sorted(set(records) | set(routes)):
        route = routes.get(key)
        rec = records.get(key)
        ids = rec.officer_ids if rec is not None else routes[key].officer_ids
        crew = [officers[o] for o in ids if o in officers]
        start = rec.start_min if rec else max(o.shift_start_min for o in crew)
        end = rec.end_min if rec else min(o.shift_end_min for o in crew)
        stops = [homes[v] for v in route.visit_ids] if route else []
        rows.append(
            [
                key[0].isoformat(),
                key[1],
                ";".join(ids),
                ";".join(officers[o].display_name if o in officers else o for o in ids),
                ";".join(o.area or "" for o in crew),
                hhmm(start),
                hhmm(end),
                len(stops),
                route.travel_min if route else 0,
                longest_leg_min(travel.minutes, [base(o) for o in crew], stops),
                rec.formed_because if rec else "",
                rec.formed_detail if rec else "",
            ]
        )
    return rows


CrewKey = tuple[date, str]


def _crews_making(
    crews: Sequence[CrewRow], visits: Sequence[RosterRow]
) -> tuple[dict[CrewKey, list[RosterRow]], list[RosterRow]]:
    """Which crew-day makes each visit: the crew of exactly its officers that day, else every
    crew-day of one or more of them that day (a plan whose pairs vary per visit lists each
    officer's day); (crew-day -> its visits, the visits no crew-day of their day fits)."""
    of_day: dict[date, list[CrewRow]] = defaultdict(list)
    for c in crews:
        of_day[c.date].append(c)
    making: dict[CrewKey, list[RosterRow]] = {(c.date, c.crew_id): [] for c in crews}
    orphans = []
    for v in visits:
        mine = set(v.officer_ids)
        day = of_day.get(v.date, [])
        fit = [c for c in day if set(c.officer_ids) == mine] or [
            c for c in day if c.officer_ids and set(c.officer_ids) < mine
        ]
        for c in fit:
            making[c.date, c.crew_id].append(v)
        if not fit:
            orphans.append(v)
    return making, orphans


def crews_after_change(
    crews: Sequence[CrewRow],
    before: Sequence[RosterRow],
    after: Sequence[RosterRow],
    dataset: Dataset,
    travel: Travel,
    note: str,
) -> tuple[list[CrewRow], list[list[Any]]]:
    """crews.csv after a change made by hand (the workbench) turned roster `before` into
    `after`: (the crew-days, crews.csv's rows). A crew-day whose visits the change left as
    they were keeps its row as `crews` has it; one whose visits it changed (it makes one it did
    not, or no longer makes any: then it stays, idle, as the planner lists idle crew-days) is
    recounted and keeps why it was formed, `note` added to its detail; visits no crew-day of
    their day fits (re-crewed to officers not together that day) form a new crew-day, of
    exactly their officers, whose reason is `note`. `note` says what the change was and why
    (\"changed in the workbench: <the recorded reason>\")."""
    officers, people = dataset.officer_by_id(), dataset.offender_by_id()
    was, _ = _crews_making(crews, before)
    now, orphans = _crews_making(crews, after)
    rows = {(c.date, c.crew_id): c for c in crews}
    added: dict[CrewKey, list[RosterRow]] = defaultdict(list)
    for v in orphans:
        ids = tuple(sorted(set(v.officer_ids)))
        crew_id, k = "+".join(ids), 2
        while (v.date, crew_id) in rows and set(rows[v.date, crew_id].officer_ids) != set(ids):
            crew_id, k = f"{'+'.join(ids)}-{k}", k + 1
        if (v.date, crew_id) not in rows:
            rows[v.date, crew_id] = CrewRow(0, v.date, crew_id, ids, note[:200])
        added[v.date, crew_id].append(v)
    out: list[CrewRow] = []
    table: list[list[Any]] = []
    for key in sorted(rows):
        c = rows[key]
        visits = sorted(now.get(key, []) + added.get(key, []), key=lambda v: v.start_min)
        changed = key in added or [v.visit_id for v in was.get(key, [])] != [
            v.visit_id for v in visits
        ]
        if not changed and len(c.cells) == len(CREW_COLUMNS):
            out.append(c)
            table.append(list(c.cells))
            continue
        if key not in added:
            detail = f"{c.formed_detail}; {note}" if c.formed_detail else note
            c = replace(c, formed_detail=detail)
        crew = [officers[o] for o in c.officer_ids if o in officers]
        stops = [home(people[v.offender_id]) for v in visits if v.offender_id in people]
        drive = 0
        for o in crew:  # each officer's own drive, base -> homes -> base
            points = [base(o), *stops, base(o)] if stops else []
            drive += sum(travel.minutes(x, y) for x, y in zip(points, points[1:], strict=False))
        starts = [o.shift_start_min for o in crew] or [0]
        ends = [o.shift_end_min for o in crew] or [0]
        shift = [hhmm(max(starts)), hhmm(min(ends))]
        if len(c.cells) == len(CREW_COLUMNS):  # the crew's shared shift that day, as it was
            at = CREW_COLUMNS.index("start")
            shift = list(c.cells[at : at + 2])
        out.append(c)
        table.append(
            [
                c.date.isoformat(),
                c.crew_id,
                ";".join(c.officer_ids),
                ";".join(officers[o].display_name if o in officers else o for o in c.officer_ids),
                ";".join(o.area or "" for o in crew),
                *shift,
                len(stops),
                drive,
                longest_leg_min(travel.minutes, [base(o) for o in crew], stops),
                c.formed_because,
                c.formed_detail,
            ]
        )
    return out, table


def _officer_days(result: PlanResult) -> dict[str, dict[date, list[PlannedVisit]]]:
    out: dict[str, dict[date, list[PlannedVisit]]] = defaultdict(lambda: defaultdict(list))
    for v in result.visits:
        for oid in v.officer_ids:
            out[oid][v.date].append(v)
    for days in out.values():
        for lst in days.values():
            lst.sort(key=lambda v: (v.start_min, v.visit_id))
    return out


def safe_file_name(
    officer_id: str, used: set[str], suffix: str, reserved: tuple[str, ...] = ()
) -> str:
    """A file name from an opaque officer id: no path syntax, unique (case-insensitively)."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", officer_id).lstrip(".") or "officer"
    taken = {r.lower() for r in reserved}
    name, k = f"{stem}{suffix}", 2
    while name.lower() in used or name.lower() in taken:
        name, k = f"{stem}_{k}{suffix}", k + 1
    used.add(name.lower())
    return name


def write_day_sheets(stage: Path, dataset: Dataset, result: PlanResult, travel: Travel) -> None:
    """day_sheets/: one CSV per officer with a visit (visits and break in time order, the
    minutes driven to each), and index.csv."""
    people = dataset.offender_by_id()
    officers = dataset.officer_by_id()
    index: list[list[Any]] = []
    used: set[str] = set()
    breaks = {(b.officer_id, b.date): b for b in result.breaks}
    for oid, days in sorted(_officer_days(result).items()):
        o = officers.get(oid)
        rows: list[list[Any]] = []
        total = 0
        n_visits = 0
        for day, visits in sorted(days.items()):
            n_visits += len(visits)
            b = breaks.get((oid, day))
            if b is not None:  # a row of its own, in time order among the visits
                before = sum(1 for v in visits if v.start_min < b.start_min)
                brow = [day.isoformat(), "", hhmm(b.start_min), hhmm(b.end_min)]
                brow += ["", "", "", "", "refreshment break"]
            day_rows: list[list[Any]] = []
            pos = base(o) if o else None
            for k, v in enumerate(visits, start=1):
                p = people.get(v.offender_id)
                here = home(p) if p else None
                t = travel.minutes(pos, here) if pos and here else ""
                total += t if isinstance(t, int) else 0
                day_rows.append(
                    [
                        day.isoformat(),
                        k,
                        hhmm(v.start_min),
                        hhmm(v.end_min),
                        v.offender_id,
                        v.risk_level.value,
                        ";".join(x for x in v.officer_ids if x != oid),
                        t,
                        v.kind.value,
                    ]
                )
                pos = here
            if o and pos:
                total += travel.minutes(pos, base(o))
            if b is not None:
                day_rows.insert(before, brow)
            rows += day_rows
        name = safe_file_name(oid, used, ".csv", reserved=("index.csv",))
        write_csv(stage / "day_sheets" / name, DAY_SHEET_COLUMNS, rows)
        index.append([oid, o.display_name if o else "", name, len(days), n_visits, total])
    write_csv(stage / "day_sheets" / "index.csv", INDEX_COLUMNS, index)


def plan_summary(dataset: Dataset, result: PlanResult, travel: Travel) -> dict[str, Any]:
    """summary.json of a plan result (`write_plan`; the workbench after a change)."""
    policy = dataset.policy
    people = dataset.offender_by_id()
    by_risk: dict[str, dict[str, int]] = {}
    for level in RISK_ORDER:
        vs = [v for v in result.visits if v.risk_level is level]
        us = [u for u in result.unscheduled if u.risk_level is level]
        by_risk[level.value] = {
            "visits_due": sum(1 for v in vs if not v.pulled_forward) + len(us),
            "visits_planned": len(vs),
            "on_time": sum(1 for v in vs if v.days_late == 0 and not v.pulled_forward),
            "late": sum(1 for v in vs if v.days_late > 0),
            "unscheduled": len(us),
            "max_days_late": max((v.days_late for v in vs), default=0),
        }
    with_om = [
        v
        for v in result.visits
        if people.get(v.offender_id) and people[v.offender_id].offender_manager_id
    ]
    om_on = sum(1 for v in with_om if people[v.offender_id].offender_manager_id in v.officer_ids)
    weight = {k: rp.weight for k, rp in policy.risk.items()}
    # the most overdue case: a planned visit's lateness, or an unscheduled visit's days
    # overdue by the end of the plan (it is still owed then), most serious risk on ties
    cases = [
        (v.days_late, -v.risk_level.rank, v.offender_id, v.risk_level, v.due_date, True)
        for v in result.visits
    ]
    cases += [
        (
            (result.plan_end - u.due_date).days,
            -u.risk_level.rank,
            u.offender_id,
            u.risk_level,
            u.due_date,
            False,
        )
        for u in result.unscheduled
    ]
    worst = max(cases, key=lambda c: (c[0], c[1]), default=None)
    return {
        "plan_start": result.plan_start.isoformat(),
        "plan_end": result.plan_end.isoformat(),
        "visits_due": sum(1 for v in result.visits if not v.pulled_forward)
        + len(result.unscheduled),
        "visits_planned": len(result.visits),
        "on_time": result.on_time,
        "late": result.late,
        "unscheduled": len(result.unscheduled),
        "pulled_forward": result.pulled_forward,
        # officer-minutes: each officer's own drive, base to visits to base, summed
        "travel_minutes": result.travel_min,
        "travel_km": round(result.travel_km, 1),
        "solve_seconds": round(result.solve_seconds, 2),
        "max_days_late": max((v.days_late for v in result.visits), default=0),
        "most_overdue": None
        if worst is None or worst[0] <= 0
        else {
            "offender_id": worst[2],
            "risk_level": worst[3].value,
            "due_date": worst[4].isoformat(),
            "days_late": worst[0],  # planned: days late; unscheduled: days overdue at plan end
            "planned": worst[5],
        },
        "risk_weighted_missed": sum(weight[u.risk_level.value] for u in result.unscheduled),
        # late days split at the plan's first day: inherited (overdue before it) + added = total
        **result.lateness(lambda r: weight[r.value]).as_dict(),
        "unscheduled_overdue_at_start": result.overdue_at_start_unscheduled,
        "continuity_share": round(om_on / len(with_om), 4) if with_om else None,
        "by_risk": by_risk,
        "seed": result.seed,
        "time_limit_s": result.time_limit_s,
        "work_bank_holidays": result.work_bank_holidays,
        "solver": result.stats,
        "policy": policy.as_dict(),
        "policy_sha256": policy.digest(),
        "input_files": dataset.file_hashes(),
        "travel": travel.record(),
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def plan_result_of(
    files: RosterFiles, dataset: Dataset, travel: Travel | None = None
) -> PlanResult:
    """A plan folder's files as the `PlanResult` they describe (a roster changed by hand, as
    the workbench changes it): each officer-day one route, driven base -> homes in time order
    -> base with `travel` (None: the straight line), carrying its break from breaks.csv; seed,
    time limit and solver figures as summary.json gave them."""
    from rso_scheduler.roster import CrewRoute, OfficerLeg, Unscheduled

    travel = travel_for(travel, dataset.policy)
    people, officers = dataset.offender_by_id(), dataset.officer_by_id()
    visits = [
        replace(
            v,
            seq=r.seq or 0,
            pulled_forward=r.pulled_forward,
            late_reason=r.late_reason,
            pinned=r.pinned,
        )
        for v, r in zip(planned_visits(files.visits), files.visits, strict=True)
    ]
    breaks = {(b.officer_id, b.date): b for b in files.breaks or []}
    days: dict[tuple[str, date], list[PlannedVisit]] = defaultdict(list)
    for v in visits:
        for oid in dict.fromkeys(v.officer_ids):
            days[oid, v.date].append(v)
    routes = []
    for (oid, day), mine in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        officer = officers.get(oid)
        if officer is None:
            continue
        mine.sort(key=lambda v: v.start_min)
        stops = [home(people[v.offender_id]) for v in mine if v.offender_id in people]
        points = [base(officer), *stops, base(officer)]
        legs = list(zip(points, points[1:], strict=False))
        b = breaks.get((oid, day))
        leg = OfficerLeg(
            oid,
            mine[0].start_min - (travel.minutes(points[0], points[1]) if stops else 0),
            mine[-1].end_min + (travel.minutes(points[-2], points[-1]) if stops else 0),
            sum(travel.minutes(x, y) for x, y in legs),
            sum(travel.km(x, y) for x, y in legs),
            b.start_min if b else None,
            b.end_min if b else None,
        )
        routes.append(CrewRoute(day, oid, (oid,), tuple(v.visit_id for v in mine), (leg,)))
    unscheduled = [
        Unscheduled(u.offender_id, RiskLevel(u.risk_level), u.due_date, u.reason)
        for u in files.unscheduled
    ]
    s = files.summary
    return PlanResult(
        plan_start=files.plan_start,
        plan_end=files.plan_end,
        visits=visits,
        unscheduled=unscheduled,
        routes=routes,
        visits_due=sum(1 for v in visits if not v.pulled_forward) + len(unscheduled),
        solve_seconds=float(s.get("solve_seconds") or 0.0),
        seed=int(s.get("seed") or 0),
        time_limit_s=float(s.get("time_limit_s") or 0.0),
        work_bank_holidays=files.work_bank_holidays,
        stats=dict(s.get("solver") or {}),
    )


def write_plan(
    stage: Path,
    dataset: Dataset,
    result: PlanResult,
    run_info: dict[str, Any],
    summary_extra: dict[str, Any] | None = None,
    travel: Travel | None = None,
) -> dict[str, Any]:
    """Write every plan file into `stage` (a `staged_output` folder); returns the summary
    (`summary_extra`: further top-level keys, e.g. a re-plan's counts of changes).

    `travel` is the run's travel model (the day sheets' minutes); None: the straight line.
    """
    stage = Path(stage)
    travel = travel_for(travel, dataset.policy)
    known = {v.visit_id for v in result.visits}
    if len(known) != len(result.visits):
        raise OutputError("the plan has repeated visit ids; nothing was written")
    write_csv(
        stage / "roster.csv", ROSTER_COLUMNS + ROSTER_EXTRA_COLUMNS, _roster_rows(dataset, result)
    )
    write_csv(
        stage / "unscheduled.csv",
        UNSCHEDULED_COLUMNS,
        [
            [u.offender_id, u.risk_level.value, u.due_date.isoformat(), u.reason]
            for u in result.unscheduled
        ],
    )
    write_csv(
        stage / "breaks.csv",
        BREAK_COLUMNS,
        [
            [b.officer_id, b.date.isoformat(), hhmm(b.start_min), hhmm(b.end_min)]
            for b in result.breaks
        ],
    )
    summary = {**plan_summary(dataset, result, travel), **(summary_extra or {})}
    write_json(stage / "summary.json", summary)
    write_day_sheets(stage, dataset, result, travel)
    write_csv(stage / "crews.csv", CREW_COLUMNS, _crew_rows(dataset, result, travel))
    run = {
        "tool": "rso-scheduler",
        "version": __version__,
        "python": platform.python_version(),
        "ortools": _version("ortools"),
        "pydantic": _version("pydantic"),
        **run_info,
        "plan_start": result.plan_start.isoformat(),
        "plan_end": result.plan_end.isoformat(),
        "seed": result.seed,
        "time_limit_s": result.time_limit_s,
        "work_bank_holidays": result.work_bank_holidays,
        "solver": run_info.get("solver", result.stats.get("solver")),
        "policy": dataset.policy.as_dict(),
        "policy_sha256": dataset.policy.digest(),
        "input_files": dataset.file_hashes(),
        "travel": travel.record(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    write_json(stage / "run.json", run)
    return summary


__all__ = [
    "plan_result_of",
    "plan_summary",
    "BREAK_COLUMNS",
    "BreakRow",
    "CREW_COLUMNS",
    "CrewRow",
    "crews_after_change",
    "parse_crews",
    "read_crews",
    "ROSTER_COLUMNS",
    "ROSTER_EXTRA_COLUMNS",
    "RosterFiles",
    "RosterRow",
    "UnscheduledRow",
    "parse_breaks",
    "parse_roster",
    "parse_unscheduled",
    "read_roster",
    "safe_file_name",
    "write_day_sheets",
    "write_plan",
]
