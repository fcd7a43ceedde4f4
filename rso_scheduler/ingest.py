"""Reading a data folder: CSV text -> validated models, with every problem located.

Pure parsers (`parse_offenders(text, file)` and friends: text in, `ParseResult` out) are kept
apart from reading (`read_text(path)`), as vrplib does. `load_dataset(data_dir, today=)` reads the
folder, parses every file, runs the cross-file checks and raises one `InputError` holding
*all* problems from *all* files, so a user fixes everything in one round.

Messages say what was found and what was expected, except for coordinates, which are never
echoed (home addresses are the most sensitive data the tool handles).

The header check, `Col` and the cell converters (`to_date`, `to_risk`, ...) are reused by the
readers of the tool's own CSV outputs, so their messages read the same everywhere.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from rso_scheduler.calendar import DATE_RANGE_TEXT, in_supported_range
from rso_scheduler.errors import InputError, PathError, PolicyError, Problem, RsoError
from rso_scheduler.limits import MAX_ID_CHARS, MAX_TEXT_CHARS
from rso_scheduler.models import (
    Absence,
    Dataset,
    InputFile,
    Offender,
    Officer,
    Outcome,
    RiskLevel,
    Status,
    VisitKind,
    VisitRecord,
)
from rso_scheduler.policy import MAX_DAYS, Policy, load_policy
from rso_scheduler.redact import may_be_coordinate, shown, shown_all
from rso_scheduler.travel import EARTH_RADIUS_KM

T = TypeVar("T", bound=BaseModel)

# A home further than this from every base is almost surely mis-geocoded (or lat/lon swapped).
MAX_HOME_TO_BASE_KM = 150.0
_DISTANCE_CHUNK = 2048  # offenders per distance block: keeps the matrix small for big forces

# --------------------------------------------------------------------------------------------
# Results and cell errors


@dataclass
class ParseResult(Generic[T]):
    """What a parser gives back: the rows that parsed, and what was wrong or odd."""

    rows: list[T] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: int = 0  # data rows in the file (parsed or not), for the file summary
    ids: set[str] = field(default_factory=set)  # every id seen, even on rows that failed
    read: bool = False  # the header was usable, so rows were read


class _Bad(ValueError):
    """A cell value that breaks the contract; the message says what was found and expected."""


# --------------------------------------------------------------------------------------------
# Cell converters: str (already stripped, non-blank) -> value, or raise _Bad

_DAY_FIRST = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-](\d{2}|\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE_HINT = "expected YYYY-MM-DD, e.g. 2026-12-31"
_DAY_FIRST_HINT = (
    "write dates as YYYY-MM-DD, e.g. 2026-12-31; "
    "day-first dates are not accepted because 03/04 is ambiguous"
)


def to_date(s: str) -> date:
    """A `YYYY-MM-DD` date; anything else (notably day-first dates) is refused, never guessed."""
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and s.isascii():
        try:
            day = date.fromisoformat(s)
        except ValueError:
            raise _Bad(f"{shown(s)} is not a real date; {_DATE_HINT}") from None
        if not in_supported_range(day):
            raise _Bad(f"{shown(s)} is not a plausible date; expected one {DATE_RANGE_TEXT}")
        return day
    if _DAY_FIRST.match(s):
        raise _Bad(f"{shown(s)} is not accepted: {_DAY_FIRST_HINT}")
    if len(s) > 10 and s[10] in " T" and s[:10].count("-") == 2:
        # Spreadsheets often export date cells as date-times (2026-11-01 00:00:00).
        raise _Bad(
            f"{shown(s)} is not a date but a date and time; expected just YYYY-MM-DD "
            "(format the column as a date before exporting)"
        )
    raise _Bad(f"{shown(s)} is not a date; {_DATE_HINT}")


def _to_time(s: str, allow_24: bool) -> int:
    m = _TIME.match(s)
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if h == 24 and mi == 0:
            if allow_24:
                return 24 * 60
            raise _Bad(
                f"{shown(s)} is allowed only as an end time; expected HH:MM from 00:00 to 23:59"
            )
        if h < 24 and mi < 60:
            return h * 60 + mi
    expected = "00:00 to 24:00" if allow_24 else "00:00 to 23:59"
    raise _Bad(f"{shown(s)} is not a time; expected HH:MM (24 h) from {expected}, e.g. 17:30")


def to_start_time(s: str) -> int:
    """`HH:MM` (24 h) as minutes after midnight; 24:00 is refused (it is not a start)."""
    return _to_time(s, allow_24=False)


def to_end_time(s: str) -> int:
    """`HH:MM` (24 h) as minutes after midnight; 24:00 (end of the day) is allowed."""
    return _to_time(s, allow_24=True)


_BOOLS = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}


def to_bool(s: str) -> bool:
    """true/false/yes/no/1/0/y/n, case-insensitive."""
    v = _BOOLS.get(s.lower())
    if v is None:
        raise _Bad(
            f"{shown(s)} is not a yes/no value; expected one of true, false, yes, no, 1, 0, y, n"
        )
    return v


_RISK_ALIASES = {
    "very_high": RiskLevel.very_high,
    "vh": RiskLevel.very_high,
    "high": RiskLevel.high,
    "h": RiskLevel.high,
    "medium": RiskLevel.medium,
    "m": RiskLevel.medium,
    "low": RiskLevel.low,
    "l": RiskLevel.low,
}


def to_risk(s: str) -> RiskLevel:
    """A risk level or one of its aliases (`very high`, `very-high`, `VH`, `H`, `M`, `L`)."""
    key = " ".join(s.lower().split()).replace(" ", "_").replace("-", "_")
    v = _RISK_ALIASES.get(key)
    if v is None:
        raise _Bad(f"{shown(s)} is not one of very_high, high, medium, low")
    return v


def _enum_converter(enum: type[Any], aliases: dict[str, str] | None = None) -> Callable[[str], Any]:
    table = {m.value: m for m in enum}
    for alias, value in (aliases or {}).items():
        table[alias] = enum(value)
    expected = ", ".join(m.value for m in enum)

    def convert(s: str) -> Any:
        key = " ".join(s.lower().split())
        v = table.get(key)
        if v is None:
            raise _Bad(f"{shown(s)} is not one of {expected}")
        return v

    return convert


to_status = _enum_converter(Status)
to_outcome = _enum_converter(Outcome, {"no access": "no_access", "no-access": "no_access"})
to_kind = _enum_converter(VisitKind)

_DAY_NAMES = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}


def to_list(s: str) -> tuple[str, ...]:
    """`a;b; c;` -> ('a', 'b', 'c'): split on `;`, trim, drop empties, keep order and case."""
    if ";" not in s:
        return (s,)  # cells arrive stripped and non-blank
    return tuple(filter(None, [p.strip() for p in s.split(";")]))


def to_skills(s: str) -> frozenset[str]:
    """A `;` list of skills; lower-cased so that `Polish` and `polish` match; each bounded."""
    return frozenset(_check_id(p, "skills").lower() for p in to_list(s))


def to_weekdays(s: str) -> frozenset[int]:
    """`Mon;Tue;Thu` (or full names, any case) -> weekday numbers, 0 = Monday."""
    out = set()
    for part in to_list(s):
        d = _DAY_NAMES.get(part.lower())
        if d is None:
            raise _Bad(f"{shown(part)} is not a day of the week; expected days like Mon;Tue;Thu")
        out.add(d)
    if not out:
        raise _Bad(f"{shown(s)} lists no days; expected days like Mon;Tue;Thu")
    return frozenset(out)


def _to_int(s: str) -> int:
    t = s[1:] if s[:1] in "+-" else s
    if not (t.isascii() and t.isdigit()):
        raise _Bad(f"{shown(s)} is not a whole number")
    return int(s)


def to_positive_int(s: str) -> int:
    """A whole number of 1 or more."""
    try:
        v = _to_int(s)
    except _Bad:
        raise _Bad(
            f"{shown(s)} is not a whole number; expected a whole number of 1 or more"
        ) from None
    if v <= 0:
        raise _Bad(f"{shown(s)} is not positive; expected a whole number of 1 or more")
    return v


def to_interval_days(s: str) -> int:
    """A per-person visit interval: 1 to MAX_DAYS (ten years) days."""
    v = to_positive_int(s)
    if v > MAX_DAYS:
        raise _Bad(f"{shown(s)} days is too long; expected at most {MAX_DAYS} (ten years)")
    return v


def to_visit_minutes(s: str) -> int:
    """A visit length: a whole number of minutes from 1 to 1440 (a day)."""
    v = to_positive_int(s)
    if v > 24 * 60:
        raise _Bad(f"{shown(s)} is more than a day; expected minutes from 1 to 1440")
    return v


def to_non_negative_int(s: str) -> int:
    """A whole number of 0 or more."""
    try:
        v = _to_int(s)
    except _Bad:
        raise _Bad(
            f"{shown(s)} is not a whole number; expected a whole number of 0 or more"
        ) from None
    if v < 0:
        raise _Bad(f"{shown(s)} is negative; expected a whole number of 0 or more")
    return v


def _coordinate(limit: float) -> Callable[[str], float]:
    # Never echo the value: a coordinate in a log is a disclosed home address.
    def convert(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise _Bad("is not a number; expected decimal degrees (WGS84)") from None
        if not math.isfinite(v):
            raise _Bad("is not a number; expected decimal degrees (WGS84)")
        if not -limit <= v <= limit:
            lo, hi = int(-limit), int(limit)
            raise _Bad(f"is outside {lo} to {hi}; expected decimal degrees (WGS84)")
        return v

    return convert


to_lat = _coordinate(90.0)
to_lon = _coordinate(180.0)
COORDINATE_COLUMNS = frozenset({"lat", "lon", "base_lat", "base_lon"})


def to_free_text(s: str) -> str:
    """Free text (a name, a reason) of at most MAX_TEXT_CHARS characters."""
    if len(s) > MAX_TEXT_CHARS:
        raise _Bad(f"is {len(s)} characters long; expected at most {MAX_TEXT_CHARS}")
    return s


@functools.lru_cache(maxsize=1 << 16)
def _looks_like_coordinate(s: str) -> bool:
    # Cached: the same ids recur on every line of the visit log (a national one has 300,000).
    return may_be_coordinate(s)


def _check_id(s: str, what: str = "identifiers") -> str:
    if len(s) > MAX_ID_CHARS:
        raise _Bad(f"is {len(s)} characters long; {what} may have at most {MAX_ID_CHARS}")
    if _looks_like_coordinate(s):
        raise _Bad(
            f"{shown(s)}; {what} must not hold numbers with 2 or more decimals or degrees, "
            "which may be coordinates"
        )
    return s


def to_id(s: str) -> str:
    """An identifier: at most MAX_ID_CHARS characters, no `;` (lists use it), nothing like a coordinate."""
    _check_id(s)
    if ";" in s:
        raise _Bad(f"{shown(s)} holds ';', which separates lists; expected one identifier")
    return s


def to_name(s: str) -> str:
    """An area or similar label: bounded like an identifier, `;` allowed."""
    return _check_id(s, "names")


def to_id_list(s: str) -> tuple[str, ...]:
    """A `;` list of identifiers, each bounded as `to_id`."""
    return tuple(_check_id(p) for p in to_list(s))


# --------------------------------------------------------------------------------------------
# Table reading


@dataclass(frozen=True)
class Col:
    """One contract column: its name, whether it is required, its converter and model field."""

    name: str
    convert: Callable[[str], Any]
    required: bool = False
    field: str | None = None  # model field name if it differs from the column name

    @property
    def target(self) -> str:
        return self.field or self.name


@dataclass
class _Table:
    """The rows of a CSV file as stripped cells keyed by contract column, with their lines."""

    rows: list[tuple[int, dict[str, str]]]
    problems: list[Problem]
    warnings: list[str]
    ok: bool  # False: the header itself is unusable, so no row was read
    records: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)  # rows refused whole (cell count)
    present: frozenset[str] = frozenset()  # contract columns found in the header


class _CsvBroken(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def _iter_records(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """(first physical line, last physical line, cells) per record; quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    prev = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CsvBroken(prev + 1, str(exc)) from None
        yield prev + 1, reader.line_num, cells
        prev = reader.line_num


def _header_name(cell: str) -> str:
    """`Offender ID` / `offender-id` / ` OFFENDER_ID ` -> `offender_id` (spreadsheet headers drift)."""
    return "_".join(cell.strip().lower().replace("-", " ").split())


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NUMBER_OR_DATE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$|^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$")
# Control characters (NUL, escape...) are never text in a cell; tab and line breaks inside a
# quoted cell are ordinary CSV.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _looks_like_value(name: str) -> bool:
    """A header cell that is a number, a date or a coordinate: the first row ran into the header."""
    name = name.strip()
    return bool(_NUMBER_OR_DATE.match(name) or may_be_coordinate(name))


def read_table(text: str, file: str, columns: list[Col]) -> _Table:
    """Split CSV text into stripped cells per contract column, checking the header."""
    table, rows = _open_table(text, file, columns)
    table.rows = list(rows)
    return table


_NO_ROWS: Iterator[tuple[int, dict[str, str]]] = iter(())


def _open_table(
    text: str, file: str, columns: list[Col]
) -> tuple[_Table, Iterator[tuple[int, dict[str, str]]]]:
    """Check the header; return the table (problems so far) and a lazy iterator of its rows.

    Rows are produced one at a time so that a national-size file is never held twice; the
    iterator adds the problems it meets (cell counts, unclosed quotes) to the table as it goes.
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    records = _iter_records(text)
    header: list[str] | None = None
    header_line = 1
    try:
        for line, _, cells in records:
            if cells and "".join(cells).strip():
                header, header_line = cells, line
                break
    except _CsvBroken as exc:
        problems.append(Problem(file, exc.line, None, f"is not readable as CSV: {exc}"))
        return _Table([], problems, warnings, False), _NO_ROWS
    if header is None:
        problems.append(Problem(file, None, None, "is empty; expected a header row"))
        return _Table([], problems, warnings, False), _NO_ROWS
    names = [_header_name(h) for h in header]
    if len(names) == 1 and ";" in header[0]:
        problems.append(
            Problem(
                file,
                header_line,
                None,
                "is separated by semicolons; it must be comma-separated "
                "(in Excel save as 'CSV UTF-8 (Comma delimited)')",
            )
        )
        return _Table([], problems, warnings, False), _NO_ROWS
    if len(names) == 1 and "\t" in header[0]:
        problems.append(
            Problem(
                file,
                header_line,
                None,
                "is separated by tabs; it must be comma-separated "
                "(in Excel save as 'CSV UTF-8 (Comma delimited)')",
            )
        )
        return _Table([], problems, warnings, False), _NO_ROWS

    known = {c.name for c in columns}
    index: dict[str, int] = {}
    unknown: list[str] = []
    for i, name in enumerate(names):
        if not name:
            continue  # an empty trailing header cell (spreadsheets leave these) is harmless
        if name in index:
            problems.append(
                Problem(
                    file,
                    header_line,
                    name if name in known else None,
                    f"column {shown(name)} appears twice (columns {index[name] + 1} and {i + 1}); "
                    "expected each column once",
                )
            )
            continue
        index[name] = i
        if name not in known:
            unknown.append(name)
    values = [
        h for h, n in zip(header, names, strict=True) if n not in known and _looks_like_value(h)
    ]
    if values:
        problems.append(
            Problem(
                file,
                header_line,
                None,
                f"the header holds {len(values)} cell(s) that look like values, not column names "
                "(numbers or dates, not shown); is the line break after the header missing? "
                "expected a header row of column names, then one row per record",
            )
        )
    elif unknown:
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        warnings.append(f"{file}: unknown column(s) ignored: {shown_all(unknown[:20])}{more}")
    for c in columns:
        if c.required and c.name not in index:
            problems.append(
                Problem(file, header_line, c.name, "required column is missing from the header")
            )
    if problems:
        return _Table([], problems, warnings, False), _NO_ROWS

    wanted = [(c.name, index[c.name]) for c in columns if c.name in index]
    table = _Table([], problems, warnings, True, present=frozenset(n for n, _ in wanted))
    return table, _rows(table, records, text, file, wanted, len(names))


def _rows(
    table: _Table,
    records: Iterator[tuple[int, int, list[str]]],
    text: str,
    file: str,
    wanted: list[tuple[str, int]],
    width: int,
) -> Iterator[tuple[int, dict[str, str]]]:
    problems = table.problems
    skipped = table.skipped
    physical: list[str] | None = None
    try:
        for line, last, cells in records:
            if not cells or not "".join(cells).strip():
                continue  # blank lines and rows of empty cells (spreadsheet leftovers)
            table.records += 1
            if last > line:
                # A quoted cell spans lines. Legitimate, unless its quote is never closed and
                # the reader swallowed the rest of the file into one cell.
                if physical is None:
                    physical = _LINE_BREAK.split(text)
                if sum(p.count('"') for p in physical[line - 1 : last]) % 2:
                    problems.append(
                        Problem(
                            file,
                            line,
                            None,
                            f"a quoted cell on this line is never closed, so lines {line} to "
                            f"{last} were read as one row; is a quote mark missing?",
                        )
                    )
                    continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                problems.append(
                    Problem(
                        file,
                        line,
                        None,
                        f"has {len(cells)} cells but the header has {width} columns; "
                        "is there an unquoted comma in a cell?",
                    )
                )
                skipped.append({name: cells[i].strip() for name, i in wanted})
                continue
            n = len(cells)
            row = {name: (cells[i].strip() if i < n else "") for name, i in wanted}
            control = (
                [name for name, cell in row.items() if _CONTROL.search(cell)]
                if _CONTROL.search("".join(row.values()))  # one search per row when clean
                else []
            )
            if control:
                problems.extend(
                    Problem(
                        file,
                        line,
                        name,
                        "holds a control character (such as a NUL byte), which is not text; "
                        "expected plain text (is the export damaged?)",
                    )
                    for name in control
                )
                skipped.append(row)
                continue
            yield line, row
    except _CsvBroken as exc:
        problems.append(Problem(file, exc.line, None, f"is not readable as CSV: {exc}"))
        # The rest of the file is lost: its ids are unknown, so other files must not be
        # blamed for naming them, nor the file for having no rows.
        table.ok = False


# --------------------------------------------------------------------------------------------
# Row parsing into models

_FIELD_TO_COLUMN = {
    "window_start_min": "window_start",
    "window_end_min": "window_end",
    "shift_start_min": "shift_start",
    "shift_end_min": "shift_end",
    "start_min": "start",
}


def _validation_problems(
    exc: ValidationError, file: str, line: int, cells: dict[str, str]
) -> list[Problem]:
    """Map a pydantic error of one row to Problems on the right columns (never echoing coordinates)."""
    out: list[Problem] = []
    for err in exc.errors():
        loc = err.get("loc") or ()
        name = str(loc[0]) if loc else None
        column = _FIELD_TO_COLUMN.get(name, name) if name else None
        msg = str(err.get("msg", "is not valid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if column and column not in COORDINATE_COLUMNS and column in cells:
            msg = f"{shown(cells[column])} is not valid: {msg.lower()}"
        out.append(Problem(file, line, column, msg))
    return out


RowCheck = Callable[[dict[str, Any], dict[str, str]], list[tuple[str, str]]]


def _parse_rows(
    text: str,
    file: str,
    columns: list[Col],
    model: type[T],
    id_column: str | None,
    row_check: RowCheck | None = None,
) -> ParseResult[T]:
    table, rows = _open_table(text, file, columns)
    result: ParseResult[T] = ParseResult(
        problems=table.problems, warnings=table.warnings, read=table.ok
    )
    if not table.ok:
        return result
    present = [
        (c.name, c.target, c.convert, c.required) for c in columns if c.name in table.present
    ]
    first_line: dict[str, int] = {}
    problems = result.problems
    for line, cells in rows:
        values: dict[str, Any] = {"line": line}
        bad = False
        for name, target, convert, required in present:
            raw = cells[name]
            if not raw:
                if required:
                    problems.append(Problem(file, line, name, f"is blank; {name} is required"))
                    bad = True
                continue
            try:
                values[target] = convert(raw)
            except _Bad as exc:
                problems.append(Problem(file, line, name, str(exc)))
                bad = True
        if id_column is not None and cells.get(id_column):
            ident = cells[id_column]
            result.ids.add(ident)
            if ident in first_line:
                problems.append(
                    Problem(
                        file,
                        line,
                        id_column,
                        f"{shown(ident)} is a duplicate: the same {id_column} is on line {first_line[ident]}",
                    )
                )
                bad = True
            else:
                first_line[ident] = line
        # Row rules run even when a cell failed (they skip values that did not convert), so
        # that one pass reports everything.
        if row_check is not None:
            found = row_check(values, cells)
            if found:
                problems.extend(Problem(file, line, col, msg) for col, msg in found)
                bad = True
        if bad:
            continue
        try:
            result.rows.append(model.model_validate(values))
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, file, line, cells))
    result.records = table.records
    result.read = table.ok  # False if the CSV broke part-way (see _rows)
    if id_column is not None:
        # so that other files do not also blame rows that referred to these ids
        result.ids.update(c[id_column] for c in table.skipped if c.get(id_column))
    return result


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


OFFENDER_COLUMNS = [
    Col("offender_id", to_id, required=True),
    Col("risk_level", to_risk, required=True),
    Col("lat", to_lat, required=True),
    Col("lon", to_lon, required=True),
    Col("offender_manager_id", to_id),
    Col("area", to_name),
    Col("status", to_status),
    Col("last_visit_date", to_date),
    Col("registered_on", to_date),
    Col("released_on", to_date),
    Col("address_changed_on", to_date),
    Col("visit_interval_days", to_interval_days),
    Col("two_officers", to_bool),
    Col("window_start", to_start_time, field="window_start_min"),
    Col("window_end", to_end_time, field="window_end_min"),
    Col("unavailable_from", to_date),
    Col("unavailable_to", to_date),
    Col("visit_minutes", to_visit_minutes),
    Col("required_skills", to_skills),
]


def _check_offender(v: dict[str, Any], cells: dict[str, str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if v.get("lat") == 0.0 and v.get("lon") == 0.0:
        out.append(
            ("lat", "lat and lon are both 0, which is a missing geocode; expected the home address")
        )
    ws, we = v.get("window_start_min"), v.get("window_end_min")
    has_ws, has_we = bool(cells.get("window_start")), bool(cells.get("window_end"))
    if has_ws != has_we:
        missing = "window_start" if has_we else "window_end"
        given = "window_end" if has_we else "window_start"
        out.append((missing, f"is blank but {given} is given; give both or neither"))
    elif ws is not None and we is not None and we <= ws:
        out.append(
            (
                "window_end",
                f"{shown(cells['window_end'])} is not after window_start {shown(cells['window_start'])}",
            )
        )
    uf, ut = v.get("unavailable_from"), v.get("unavailable_to")
    if uf is not None and ut is not None and ut < uf:
        out.append(
            (
                "unavailable_to",
                f"{shown(cells['unavailable_to'])} is before unavailable_from {shown(cells['unavailable_from'])}",
            )
        )
    return out


def parse_offenders(text: str, file: str = "offenders.csv") -> ParseResult[Offender]:
    """Parse offenders.csv text into `Offender` rows; every problem located by line and column."""
    return _parse_rows(text, file, OFFENDER_COLUMNS, Offender, "offender_id", _check_offender)


OFFICER_COLUMNS = [
    Col("officer_id", to_id, required=True),
    Col("name", to_free_text),
    Col("base_lat", to_lat, required=True),
    Col("base_lon", to_lon, required=True),
    Col("area", to_name),
    Col("working_days", to_weekdays),
    Col("shift_start", to_start_time, field="shift_start_min"),
    Col("shift_end", to_end_time, field="shift_end_min"),
    Col("max_visits_per_day", to_non_negative_int),
    Col("skills", to_skills),
]

_DEFAULT_SHIFT = (
    Officer.model_fields["shift_start_min"].default,
    Officer.model_fields["shift_end_min"].default,
)


def _check_officer(v: dict[str, Any], cells: dict[str, str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if v.get("base_lat") == 0.0 and v.get("base_lon") == 0.0:
        out.append(
            (
                "base_lat",
                "base_lat and base_lon are both 0, which is a missing geocode; expected the station",
            )
        )
    # A blank cell means the default; a cell that failed to convert is skipped here.
    start = v.get("shift_start_min", None if cells.get("shift_start") else _DEFAULT_SHIFT[0])
    end = v.get("shift_end_min", None if cells.get("shift_end") else _DEFAULT_SHIFT[1])
    if start is not None and end is not None and end <= start:
        shown_end = (
            f"{shown(cells['shift_end'])}" if cells.get("shift_end") else f"(default {_hhmm(end)})"
        )
        shown_start = (
            f"{shown(cells['shift_start'])}"
            if cells.get("shift_start")
            else f"(default {_hhmm(start)})"
        )
        out.append(
            (
                "shift_end",
                f"{shown_end} is not after shift_start {shown_start}; shifts must end after they start",
            )
        )
    return out


def parse_officers(text: str, file: str = "officers.csv") -> ParseResult[Officer]:
    """Parse officers.csv text into `Officer` rows."""
    return _parse_rows(text, file, OFFICER_COLUMNS, Officer, "officer_id", _check_officer)


ABSENCE_COLUMNS = [
    Col("officer_id", to_id, required=True),
    Col("start", to_date, required=True),
    Col("end", to_date, required=True),
    Col("reason", to_free_text),
]


def _check_absence(v: dict[str, Any], cells: dict[str, str]) -> list[tuple[str, str]]:
    if "end" in v and "start" in v and v["end"] < v["start"]:
        return [("end", f"{shown(cells['end'])} is before start {shown(cells['start'])}")]
    return []


def parse_absences(text: str, file: str = "absences.csv") -> ParseResult[Absence]:
    """Parse absences.csv text into `Absence` rows (inclusive date ranges)."""
    return _parse_rows(text, file, ABSENCE_COLUMNS, Absence, None, _check_absence)


VISIT_COLUMNS = [
    Col("offender_id", to_id, required=True),
    Col("date", to_date, required=True),
    Col("start", to_start_time, field="start_min"),
    Col("officer_ids", to_id_list, required=True),
    Col("outcome", to_outcome, required=True),
    Col("kind", to_kind),
]


def parse_visits(text: str, file: str = "visits.csv") -> ParseResult[VisitRecord]:
    """Parse visits.csv text (the visit history log) into `VisitRecord` rows.

    Rows that repeat an earlier row exactly (an export appended twice) are kept, with one
    warning that counts them (due dates use the latest completed visit, so they do not move them).
    """
    result = _parse_rows(text, file, VISIT_COLUMNS, VisitRecord, None)
    first: dict[tuple[Any, ...], int] = {}
    repeats: list[int] = []
    for v in result.rows:
        key = (v.offender_id, v.date, v.start_min, v.officer_ids, v.outcome, v.kind)
        if key in first:
            repeats.append(v.line)
        else:
            first[key] = v.line
    if repeats:
        lines = ", ".join(str(n) for n in repeats[:10])
        more = f" and {len(repeats) - 10} more" if len(repeats) > 10 else ""
        result.warnings.append(
            f"{file}: {len(repeats)} row(s) repeat an earlier row exactly (line(s) {lines}{more}); "
            "was the log exported twice?"
        )
    return result


# --------------------------------------------------------------------------------------------
# Reading files

_UTF8_HINT = "save it as UTF-8 (CSV UTF-8 in Excel)"


def decode_text(raw: bytes, file: str) -> str:
    """Bytes -> text: UTF-8 with or without BOM; anything else is an `InputError` with a hint."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError([Problem(file, None, None, f"is UTF-16 text, not UTF-8; {_UTF8_HINT}")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        try:
            raw.decode("cp1252")
            likely = "Windows-1252 (ANSI)"
        except UnicodeDecodeError:
            likely = "Latin-1 (ISO-8859-1)"
        raise InputError(
            [Problem(file, line, None, f"is not UTF-8 (it looks like {likely}); {_UTF8_HINT}")]
        ) from None


def read_text(path: Path) -> str:
    """Read a text file: UTF-8 with or without BOM, any line ends. Not UTF-8 -> `InputError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RsoError(f"cannot read {path}: {exc.strerror}") from None
    return decode_text(raw, path.name)


# --------------------------------------------------------------------------------------------
# Cross-file checks


def _not_after_today(
    problems: list[Problem],
    file: str,
    line: int,
    column: str,
    value: date | None,
    today: date,
    why: str,
) -> None:
    if value is not None and value > today:
        problems.append(
            Problem(
                file,
                line,
                column,
                f"'{value.isoformat()}' is after today ({today.isoformat()}); {why}",
            )
        )


def _unit_vectors(lat_deg: list[float], lon_deg: list[float]) -> np.ndarray:
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def far_from_bases(
    offenders: list[Offender], officers: list[Officer], limit_km: float = MAX_HOME_TO_BASE_KM
) -> list[Offender]:
    """People whose home is further than `limit_km` (great circle) from every officer base.

    The great-circle distance grows as the dot product of the two unit vectors falls, so
    "further than limit from every base" is "largest dot product below cos(limit / R)": one
    matrix product per chunk instead of a haversine per pair (70,000 x 800 in well under a second).
    """
    if not offenders or not officers:
        return []
    bases = sorted({(o.base_lat, o.base_lon) for o in officers})
    b = _unit_vectors([x[0] for x in bases], [x[1] for x in bases])
    homes = _unit_vectors([o.lat for o in offenders], [o.lon for o in offenders])
    threshold = math.cos(limit_km / EARTH_RADIUS_KM)
    far: list[Offender] = []
    for i in range(0, len(offenders), _DISTANCE_CHUNK):
        closest = (homes[i : i + _DISTANCE_CHUNK] @ b.T).max(axis=1)
        for j in np.nonzero(closest < threshold)[0]:
            far.append(offenders[i + int(j)])
    return far


def _id_key(ident: str) -> str:
    return ident.lower().lstrip("0")


class _Unknown:
    """Messages for an id missing from a file, with a hint when a near spelling exists.

    Near means equal ignoring case or leading zeros: a spreadsheet opened and saved turns
    `007` into `7`, and hand-typed ids drift in case.
    """

    def __init__(self, known: set[str], column: str, file: str):
        self.column, self.file = column, file
        self.near: dict[str, str] = {}
        for ident in sorted(known):
            self.near.setdefault(_id_key(ident), ident)

    def hint(self, ident: str) -> str:
        near = self.near.get(_id_key(ident))
        if near is None or near == ident:
            return ""
        why = " (leading zeros dropped by a spreadsheet?)" if near.lower() != ident.lower() else ""
        return f"; did you mean {shown(near)}?{why}"

    def message(self, ident: str) -> str:
        return f"{shown(ident)} is not an {self.column} in {self.file}{self.hint(ident)}"


class _FromRows:
    """Marker: take the ids from the parsed rows."""


FROM_ROWS = _FromRows()


# The visit log is history, but the contract ties every entry to the current files; say how to
# get a clean export when someone has left rather than silently ignoring the rows.
_LEFT_HINT_PERSON = "; if the person has left the caseload, leave their visits out of the export"
_LEFT_HINT_OFFICER = (
    "; if the officer has left the team, keep them in officers.csv with max_visits_per_day 0"
)


def cross_check(
    offenders: list[Offender],
    officers: list[Officer],
    absences: list[Absence],
    visits: list[VisitRecord],
    today: date,
    officer_ids: set[str] | None | _FromRows = FROM_ROWS,
    offender_ids: set[str] | None | _FromRows = FROM_ROWS,
    bases_complete: bool = True,
) -> tuple[list[Problem], list[str]]:
    """Checks that need more than one file (and today's date). Returns (problems, warnings).

    `officer_ids` / `offender_ids` are every id in the file, including rows that failed to
    parse (default: the ids of the parsed rows); None skips the checks against a file that
    could not be read at all, rather than blaming every row. `bases_complete` False (some
    officer rows failed) skips the distance check, which would wrongly flag homes near them.
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    if isinstance(officer_ids, _FromRows):
        officer_ids = {o.officer_id for o in officers}
    if isinstance(offender_ids, _FromRows):
        offender_ids = {o.offender_id for o in offenders}
    officers_read = officer_ids is not None
    offenders_read = offender_ids is not None
    officer_ids = officer_ids or set()
    offender_ids = offender_ids or set()
    unknown_officer = _Unknown(officer_ids, "officer_id", "officers.csv")
    unknown_offender = _Unknown(offender_ids, "offender_id", "offenders.csv")
    future_registrations: list[int] = []
    for o in offenders:
        if officers_read and o.offender_manager_id and o.offender_manager_id not in officer_ids:
            problems.append(
                Problem(
                    "offenders.csv",
                    o.line,
                    "offender_manager_id",
                    unknown_officer.message(o.offender_manager_id),
                )
            )
        _not_after_today(
            problems, "offenders.csv", o.line, "last_visit_date", o.last_visit_date, today,
            "the last visit cannot be in the future",
        )  # fmt: skip
        if o.registered_on is not None and o.registered_on > today:
            future_registrations.append(o.line)
    if future_registrations:
        lines = ", ".join(str(n) for n in future_registrations[:10])
        more = (
            f" and {len(future_registrations) - 10} more" if len(future_registrations) > 10 else ""
        )
        warnings.append(
            f"offenders.csv: registered_on is in the future (after {today.isoformat()}) on line(s) "
            f"{lines}{more}; check the date"
        )
    if officers_read and bases_complete:
        for o in far_from_bases(offenders, officers):
            problems.append(
                Problem(
                    "offenders.csv",
                    o.line,
                    "lat",
                    f"home is more than {MAX_HOME_TO_BASE_KM:.0f} km from every officer base; "
                    "are lat and lon swapped, or the address badly geocoded?",
                )
            )
    if officers_read:
        for a in absences:
            if a.officer_id not in officer_ids:
                problems.append(
                    Problem(
                        "absences.csv",
                        a.line,
                        "officer_id",
                        unknown_officer.message(a.officer_id),
                    )
                )
    for v in visits:
        if offenders_read and v.offender_id not in offender_ids:
            problems.append(
                Problem(
                    "visits.csv",
                    v.line,
                    "offender_id",
                    unknown_offender.message(v.offender_id) + _LEFT_HINT_PERSON,
                )
            )
        if officers_read:
            unknown = [i for i in v.officer_ids if i not in officer_ids]
            if len(unknown) == 1:
                problems.append(
                    Problem(
                        "visits.csv",
                        v.line,
                        "officer_ids",
                        unknown_officer.message(unknown[0]) + _LEFT_HINT_OFFICER,
                    )
                )
            elif unknown:
                listed = ", ".join(shown(i) for i in unknown)
                problems.append(
                    Problem(
                        "visits.csv",
                        v.line,
                        "officer_ids",
                        f"{listed} are not officer_ids in officers.csv" + _LEFT_HINT_OFFICER,
                    )
                )
        if v.outcome is Outcome.completed:
            _not_after_today(
                problems, "visits.csv", v.line, "date", v.date, today,
                "a completed visit cannot be in the future",
            )  # fmt: skip
    # A skill nobody holds makes those visits impossible: worth saying before planning.
    if officers_read and officers:
        held = set().union(*(o.skills for o in officers))
        missing: dict[str, int] = defaultdict(int)
        for o in offenders:
            for s in o.required_skills - held:
                missing[s] += 1
        by_skill = sorted(missing.items())
        for s, n in by_skill[:_MAX_SKILL_WARNINGS]:
            warnings.append(
                f"offenders.csv: skill {shown(s)} is required by {n} person(s) but held by no officer; "
                "those visits cannot be planned"
            )
        rest = by_skill[_MAX_SKILL_WARNINGS:]
        if rest:
            warnings.append(
                f"offenders.csv: {len(rest)} more skill(s) are required by "
                f"{sum(n for _, n in rest)} person(s) but held by no officer"
            )
    return problems, warnings


_MAX_SKILL_WARNINGS = 20  # one line per missing skill, up to this many, then one line for the rest


# --------------------------------------------------------------------------------------------
# The data folder

REQUIRED_FILES = ("offenders.csv", "officers.csv")
OPTIONAL_FILES = ("absences.csv", "visits.csv")
POLICY_FILE = "policy.toml"

_PARSERS: dict[str, Callable[[str, str], ParseResult[Any]]] = {
    "offenders.csv": parse_offenders,
    "officers.csv": parse_officers,
    "absences.csv": parse_absences,
    "visits.csv": parse_visits,
}


def data_folder(data_dir: Path | str) -> Path:
    """`data_dir` as a Path, or `PathError` if it is not an existing folder."""
    root = Path(data_dir)
    if not root.exists():
        raise PathError(f"data folder {root} does not exist")
    if not root.is_dir():
        raise PathError(
            f"{root} is not a folder; expected a data folder holding offenders.csv and officers.csv"
        )
    return root


def load_dataset(data_dir: Path | str, *, today: date) -> Dataset:
    """Read, validate and cross-check a data folder; nothing in it may be after `today`.

    `today` is the day the data is as of (the commands' `--today`, default the real date).
    Raises `InputError` listing every problem in every file (policy problems included), or
    `RsoError` if the folder does not exist.
    """
    root = data_folder(data_dir)
    problems: list[Problem] = []
    warnings: list[str] = []
    files: list[InputFile] = []
    parsed: dict[str, ParseResult[Any]] = {}

    for name in REQUIRED_FILES + OPTIONAL_FILES:
        path = root / name
        if not path.is_file():
            if name in REQUIRED_FILES:
                problems.append(
                    Problem(name, None, None, f"is missing from {root}; it is required")
                )
            continue
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(Problem(name, None, None, f"cannot be read: {exc.strerror}"))
            continue
        if name in OPTIONAL_FILES and not raw.strip():
            # An export with nothing to say (no absences yet) often comes out as an empty file.
            warnings.append(f"{name}: is empty; read as no rows")
            files.append(InputFile(name=name, sha256=hashlib.sha256(raw).hexdigest(), rows=0))
            continue
        try:
            text = decode_text(raw, name)
        except InputError as exc:
            problems.extend(exc.problems)
            files.append(InputFile(name=name, sha256=hashlib.sha256(raw).hexdigest(), rows=0))
            continue
        result = _PARSERS[name](text, name)
        parsed[name] = result
        problems.extend(result.problems)
        if name in REQUIRED_FILES and result.read and result.records == 0:
            # A plan of nobody, or by nobody, is never what a team meant to export.
            what = (
                "one row per managed person" if name == "offenders.csv" else "one row per officer"
            )
            problems.append(Problem(name, None, None, f"has a header but no rows; expected {what}"))
        warnings.extend(result.warnings)
        files.append(
            InputFile(name=name, sha256=hashlib.sha256(raw).hexdigest(), rows=result.records)
        )

    policy = Policy()
    policy_path = root / POLICY_FILE
    if policy_path.is_file():
        try:
            raw = policy_path.read_bytes()
        except OSError as exc:
            problems.append(Problem(POLICY_FILE, None, None, f"cannot be read: {exc.strerror}"))
        else:
            files.append(
                InputFile(name=POLICY_FILE, sha256=hashlib.sha256(raw).hexdigest(), rows=0)
            )
            try:
                policy = load_policy(policy_path)
            except PolicyError as exc:
                problems.extend(exc.problems)

    def rows(name: str) -> list[Any]:
        return parsed[name].rows if name in parsed else []

    def ids(name: str) -> set[str] | None:
        return parsed[name].ids if name in parsed and parsed[name].read else None

    cross_problems, cross_warnings = cross_check(
        rows("offenders.csv"),
        rows("officers.csv"),
        rows("absences.csv"),
        rows("visits.csv"),
        today,
        officer_ids=ids("officers.csv"),
        offender_ids=ids("offenders.csv"),
        bases_complete="officers.csv" in parsed and not parsed["officers.csv"].problems,
    )
    problems.extend(cross_problems)
    warnings.extend(cross_warnings)
    if problems:
        raise InputError(problems)
    return Dataset(
        offenders=tuple(rows("offenders.csv")),
        officers=tuple(rows("officers.csv")),
        absences=tuple(rows("absences.csv")),
        visits=tuple(rows("visits.csv")),
        policy=policy,
        files=tuple(files),
        warnings=tuple(warnings),
        source_dir=str(root),
    )
