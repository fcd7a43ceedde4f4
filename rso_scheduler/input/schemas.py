"""The table schemas: each input table's columns, row rules and model, and the one row parser.

`parse_offenders(source)` and friends take CSV text or a workbook's records (`table.Records`)
and give a `ParseResult`: pure, no file is opened here. Rows whose location is a postcode or a
UPRN are resolved in one batch through a `Gazetteer` after the whole table is read, so a
national table costs one index look-up per thousand rows, not one per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from rso_scheduler.errors import Problem
from rso_scheduler.input.cells import (
    COORDINATE_COLUMNS,
    to_address,
    to_bool,
    to_date,
    to_end_time,
    to_free_text,
    to_id,
    to_id_list,
    to_interval_days,
    to_kind,
    to_lat,
    to_lon,
    to_name,
    to_non_negative_int,
    to_outcome,
    to_postcode,
    to_refreshment_minutes,
    to_risk,
    to_skills,
    to_start_time,
    to_status,
    to_uprn,
    to_visit_minutes,
    to_weekdays,
)
from rso_scheduler.input.table import (
    Col,
    Header,
    Records,
    convert_cells,
    open_records,
    open_table,
)
from rso_scheduler.models import Absence, Offender, Officer, VisitRecord
from rso_scheduler.redact import shown

T = TypeVar("T", bound=BaseModel)


@dataclass
class ParseResult(Generic[T]):
    """What a parser gives back: the rows that parsed, and what was wrong or odd."""

    rows: list[T] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    records: int = 0  # data rows in the file (parsed or not), for the file summary
    ids: set[str] = field(default_factory=set)  # every id seen, even on rows that failed
    read: bool = False  # the header was usable, so rows were read

    # How rows were located: "coordinates", "postcode", "uprn", "terminated" (postcodes), for
    # `rso validate`.
    located: dict[str, int] = field(default_factory=dict)
    cells: dict[str, int] = field(default_factory=dict)  # contract column -> header position


class Gazetteer(Protocol):
    """Postcodes and UPRNs to WGS84 (lat, lon, terminated); keys as `to_postcode`/`to_uprn` give."""

    name: str

    def postcodes(self, keys: Sequence[str]) -> dict[str, tuple[float, float, bool]]: ...

    def uprns(self, keys: Sequence[str]) -> dict[str, tuple[float, float, bool]]: ...


@dataclass(frozen=True)
class Location:
    """A table's location columns: coordinates, or a postcode or UPRN to look up."""

    lat: str
    lon: str
    postcode: str
    uprn: str

    def header(self, rename: dict[str, str]) -> Header:
        return Header(
            rename=rename,
            one_of=((self.lat, self.lon), (self.postcode,), (self.uprn,)),
            one_of_hint=(
                f" (or give {self.postcode} or {self.uprn}, with a [locations] gazetteer "
                "in policy.toml)"
            ),
        )


OFFENDER_LOCATION = Location("lat", "lon", "postcode", "uprn")
OFFICER_LOCATION = Location("base_lat", "base_lon", "base_postcode", "base_uprn")
_NOT_MODEL = {"postcode", "uprn", "base_postcode", "base_uprn"}  # read to locate, then dropped


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
Source = str | Records  # CSV text, or a workbook sheet's records


def _parse_rows(
    source: Source,
    file: str,
    columns: list[Col],
    model: type[T],
    id_column: str | None,
    row_check: RowCheck | None = None,
    *,
    rename: dict[str, str] | None = None,
    location: Location | None = None,
    gazetteer: Gazetteer | None = None,
) -> ParseResult[T]:
    rules = location.header(rename or {}) if location else Header(rename=rename or {})
    if isinstance(source, str):
        table, rows = open_table(source, file, columns, rules)
    else:
        table, rows = open_records(source, file, columns, rules)
    result: ParseResult[T] = ParseResult(
        problems=table.problems, warnings=table.warnings, read=table.ok
    )
    if not table.ok:
        return result
    result.cells = dict(table.index)
    present = [
        (c.name, c.target, c.convert, c.required) for c in columns if c.name in table.present
    ]
    first_line: dict[str, int] = {}
    problems = result.problems
    good: list[tuple[int, dict[str, Any], dict[str, str]]] = []
    for line, cells in rows:
        converted, ok = convert_cells(file, line, cells, present, problems)
        bad = not ok
        values: dict[str, Any] = {"line": line, **converted}
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
        if location is not None:
            found = _location_rule(location, cells)
            if found:
                problems.append(Problem(file, line, found[0], found[1]))
                bad = True
        # Row rules run even when a cell failed (they skip values that did not convert), so
        # that one pass reports everything.
        if row_check is not None:
            found_all = row_check(values, cells)
            if found_all:
                problems.extend(Problem(file, line, col, msg) for col, msg in found_all)
                bad = True
        if not bad:
            good.append((line, values, cells))
    if location is not None:
        good = _locate(good, location, gazetteer, file, table.header_line, result)
    for line, values, cells in good:
        for key in _NOT_MODEL.intersection(values):
            del values[key]
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


def _location_rule(loc: Location, cells: dict[str, str]) -> tuple[str, str] | None:
    """A row's location: both coordinates, or a postcode or UPRN; None if it has one."""
    has_lat, has_lon = bool(cells.get(loc.lat)), bool(cells.get(loc.lon))
    if has_lat and has_lon:
        return None
    if has_lat != has_lon:
        missing, given = (loc.lon, loc.lat) if has_lat else (loc.lat, loc.lon)
        return missing, f"is blank but {given} is given; give both or neither"
    if cells.get(loc.postcode) or cells.get(loc.uprn):
        return None
    column = loc.lat if loc.lat in cells else loc.postcode if loc.postcode in cells else loc.uprn
    return column, (
        f"the row has no location; expected {loc.lat} and {loc.lon}, or a {loc.postcode} "
        f"or {loc.uprn}"
    )


def _lines_text(lines: list[int]) -> str:
    more = f" and {len(lines) - 10} more" if len(lines) > 10 else ""
    return ", ".join(str(n) for n in lines[:10]) + more


def _locate(
    good: list[tuple[int, dict[str, Any], dict[str, str]]],
    loc: Location,
    gazetteer: Gazetteer | None,
    file: str,
    header_line: int,
    result: ParseResult[Any],
) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    """Fill the coordinates of rows given by postcode or UPRN; drop (and locate) the unmatched."""
    counts = {"coordinates": 0, "postcode": 0, "uprn": 0, "terminated": 0}
    wanted: dict[str, set[str]] = {"postcode": set(), "uprn": set()}
    for _, values, _ in good:
        if loc.lat in values and loc.lon in values:
            counts["coordinates"] += 1
        elif loc.postcode in values:
            wanted["postcode"].add(values[loc.postcode])
        elif loc.uprn in values:
            wanted["uprn"].add(values[loc.uprn])
    result.located = counts
    if not wanted["postcode"] and not wanted["uprn"]:
        return good
    if gazetteer is None:
        column = loc.postcode if wanted["postcode"] else loc.uprn
        result.problems.append(
            Problem(
                file,
                header_line,
                column,
                f"{len(wanted['postcode']) + len(wanted['uprn'])} location(s) are given by "
                f"postcode or UPRN but policy.toml names no gazetteer; add [locations] "
                'gazetteer = "..." (the force\'s ONSPD, Code-Point Open or postcode,lat,lon '
                "file, relative to the data folder), or give lat and lon",
            )  # fmt: skip
        )
        return [g for g in good if loc.lat in g[1] and loc.lon in g[1]]
    if getattr(gazetteer, "failed", False):
        # The gazetteer itself is broken and already reported: its rows are not blamed too.
        return [g for g in good if loc.lat in g[1] and loc.lon in g[1]]
    found = {
        "postcode": gazetteer.postcodes(sorted(wanted["postcode"])),
        "uprn": gazetteer.uprns(sorted(wanted["uprn"])),
    }
    terminated: list[int] = []
    out: list[tuple[int, dict[str, Any], dict[str, str]]] = []
    for line, values, cells in good:
        if loc.lat in values and loc.lon in values:
            out.append((line, values, cells))
            continue
        kind, column = ("postcode", loc.postcode) if loc.postcode in values else ("uprn", loc.uprn)
        hit = found[kind].get(values[column])
        if hit is None:
            what = (
                f"postcode in {_outward(values[column])} (shown to its outward code)"
                if kind == "postcode"
                else "UPRN (not shown)"
            )
            result.problems.append(
                Problem(
                    file,
                    line,
                    column,
                    f"the {what} is not in the gazetteer {gazetteer.name}; check it, or give "
                    f"{loc.lat} and {loc.lon}",
                )  # fmt: skip
            )
            continue
        values[loc.lat], values[loc.lon] = hit[0], hit[1]
        counts[kind] += 1
        if hit[2]:
            terminated.append(line)
        out.append((line, values, cells))
    counts["terminated"] = len(terminated)
    if terminated:
        result.warnings.append(
            f"{file}: {len(terminated)} postcode(s) are terminated in the gazetteer (line(s) "
            f"{_lines_text(terminated)}); their last location is used; check the addresses"
        )
    return out


def _outward(key: str) -> str:
    """The outward code of a postcode key (`RG11AA` -> `RG1`): all but the last three."""
    return key[:-3]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


OFFENDER_COLUMNS = [
    Col("offender_id", to_id, required=True),
    Col("risk_level", to_risk, required=True),
    Col("lat", to_lat),
    Col("lon", to_lon),
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
    Col("postcode", to_postcode),
    Col("uprn", to_uprn),
    Col("address", to_address),
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


def parse_offenders(
    source: Source,
    file: str = "offenders.csv",
    *,
    rename: dict[str, str] | None = None,
    gazetteer: Gazetteer | None = None,
) -> ParseResult[Offender]:
    """Parse offenders.csv text (or a sheet's records) into `Offender` rows; every problem
    located by line and column; postcodes and UPRNs resolved through `gazetteer`."""
    return _parse_rows(
        source, file, OFFENDER_COLUMNS, Offender, "offender_id", _check_offender,
        rename=rename, location=OFFENDER_LOCATION, gazetteer=gazetteer,
    )  # fmt: skip


OFFICER_COLUMNS = [
    Col("officer_id", to_id, required=True),
    Col("name", to_free_text),
    Col("base_lat", to_lat),
    Col("base_lon", to_lon),
    Col("area", to_name),
    Col("working_days", to_weekdays),
    Col("shift_start", to_start_time, field="shift_start_min"),
    Col("shift_end", to_end_time, field="shift_end_min"),
    Col("max_visits_per_day", to_non_negative_int),
    Col("skills", to_skills),
    Col("refreshment_minutes", to_refreshment_minutes),
    Col("base_postcode", to_postcode),
    Col("base_uprn", to_uprn),
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


def parse_officers(
    source: Source,
    file: str = "officers.csv",
    *,
    rename: dict[str, str] | None = None,
    gazetteer: Gazetteer | None = None,
) -> ParseResult[Officer]:
    """Parse officers.csv text (or a sheet's records) into `Officer` rows."""
    return _parse_rows(
        source, file, OFFICER_COLUMNS, Officer, "officer_id", _check_officer,
        rename=rename, location=OFFICER_LOCATION, gazetteer=gazetteer,
    )  # fmt: skip


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


def parse_absences(
    source: Source, file: str = "absences.csv", *, rename: dict[str, str] | None = None, **_: Any
) -> ParseResult[Absence]:
    """Parse absences.csv text (or a sheet's records) into `Absence` rows (inclusive ranges)."""
    return _parse_rows(source, file, ABSENCE_COLUMNS, Absence, None, _check_absence, rename=rename)


VISIT_COLUMNS = [
    Col("offender_id", to_id, required=True),
    Col("date", to_date, required=True),
    Col("start", to_start_time, field="start_min"),
    Col("officer_ids", to_id_list, required=True),
    Col("outcome", to_outcome, required=True),
    Col("kind", to_kind),
]


def parse_visits(
    source: Source, file: str = "visits.csv", *, rename: dict[str, str] | None = None, **_: Any
) -> ParseResult[VisitRecord]:
    """Parse visits.csv text (the visit history log) into `VisitRecord` rows.

    Rows that repeat an earlier row exactly (an export appended twice) are kept, with one
    warning that counts them (due dates use the latest completed visit, so they do not move them).
    """
    result = _parse_rows(source, file, VISIT_COLUMNS, VisitRecord, None, rename=rename)
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
