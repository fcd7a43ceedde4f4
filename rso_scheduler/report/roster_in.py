"""Read a written roster.csv back as planned visits, for the plan-against-actual check.

`parse_roster(text, file)` is pure; `read_roster(out_dir)` opens `<out_dir>/roster.csv`. Only the
columns the check needs are required (visit_id, date, offender_id, risk_level, due_date); the
cell converters and header checks are ingest's, so messages read the same as for the inputs.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from rso_scheduler.errors import InputError, PathError, Problem, RsoError
from rso_scheduler.ingest import (
    Col,
    read_table,
    to_bool,
    to_date,
    to_end_time,
    to_id,
    to_id_list,
    to_kind,
    to_risk,
    to_start_time,
)
from rso_scheduler.models import RiskLevel, VisitKind
from rso_scheduler.outputs.files import finish_interrupted, unneutralise
from rso_scheduler.redact import shown
from rso_scheduler.roster import PlannedVisit

ROSTER_COLUMNS = [
    Col("visit_id", to_id, required=True),
    Col("date", to_date, required=True),
    Col("offender_id", to_id, required=True),
    Col("risk_level", to_risk, required=True),
    Col("due_date", to_date, required=True),
    Col("officer_ids", to_id_list),
    Col("start", to_start_time),
    Col("end", to_end_time),
    Col("kind", to_kind),
    # Written by `rso plan` but not needed here; listed so they are not reported as unknown.
    Col("days_late", str),
    Col("seq", str),
    Col("pulled_forward", str),
    Col("crew_id", str),
    Col("offender_manager_on_visit", str),
    Col("pinned", to_bool),
]


def parse_roster(text: str, file: str = "roster.csv") -> list[PlannedVisit]:
    """Planned visits from roster.csv text; raises `InputError` with every problem found."""
    table = read_table(text, file, ROSTER_COLUMNS)
    problems = list(table.problems)
    visits: list[PlannedVisit] = []
    seen: dict[str, int] = {}
    for line, written in table.rows:
        # roster.csv cells that looked like formulas carry safe_cell's apostrophe: undo it,
        # or an id such as '+P3' would never match the caseload's +P3.
        cells = {name: unneutralise(cell) for name, cell in written.items()}
        values: dict[str, object] = {}
        for col in ROSTER_COLUMNS:
            raw = cells.get(col.name, "")
            if not raw:
                if col.required:
                    problems.append(Problem(file, line, col.name, "is blank; a value is required"))
                continue
            try:
                values[col.name] = col.convert(raw)
            except ValueError as exc:
                problems.append(Problem(file, line, col.name, str(exc)))
        vid = cells.get("visit_id", "")
        if vid:
            if vid in seen:
                problems.append(
                    Problem(
                        file,
                        line,
                        "visit_id",
                        f"{shown(vid)} is also on line {seen[vid]}; expected unique ids",
                    )
                )
            seen.setdefault(vid, line)
        if any(p.line == line for p in problems):
            continue
        start = _int(values.get("start"), 0)
        visits.append(
            PlannedVisit(
                visit_id=str(values["visit_id"]),
                date=_date(values["date"]),
                start_min=start,
                end_min=_int(values.get("end"), start),
                offender_id=str(values["offender_id"]),
                officer_ids=tuple(str(o) for o in _seq(values.get("officer_ids"))),
                risk_level=RiskLevel(str(values["risk_level"])),
                due_date=_date(values["due_date"]),
                kind=VisitKind(str(values.get("kind", VisitKind.announced))),
            )
        )
    if problems:
        raise InputError(problems)
    return visits


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) else default


def _date(value: object) -> date:
    assert isinstance(value, date)  # the converter made it; checked for mypy
    return value


def _seq(value: object) -> tuple[object, ...]:
    return value if isinstance(value, tuple) else ()


def read_roster(out_dir: Path) -> list[PlannedVisit]:
    """The planned visits of `<out_dir>/roster.csv` (or of the file itself if given one)."""
    return read_roster_with_hash(out_dir)[0]


def read_roster_with_hash(out_dir: Path) -> tuple[list[PlannedVisit], str]:
    """As `read_roster`, with the SHA-256 of the file read (for the run record)."""
    path = Path(out_dir)
    finish_interrupted(path)
    if path.is_dir():
        path = path / "roster.csv"
    if not path.is_file():
        raise PathError(f"no roster found at {path}; expected the output folder of `rso plan`")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(path.name, None, None, "is not UTF-8 text")]) from None
    except OSError as exc:
        raise RsoError(f"cannot read {path}: {exc.strerror}") from None
    return parse_roster(text, path.name), hashlib.sha256(raw).hexdigest()
