"""The data folder: one way in (`load_dataset`), picking a reader per table and source.

Like vrplib's `read_instance` picking a parser: each table is `NAME.csv` (CSV reader) or
`NAME.xlsx` (workbook reader), never both; policy.toml and columns.toml are read first (the
gazetteer and the export's own names are needed to read the tables); every file is opened
through `files`; every problem of every file is gathered into one `InputError`.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from rso_scheduler.errors import InputError, PathError, PolicyError, Problem
from rso_scheduler.input.columns import COLUMNS_FILE, Renames, read_columns
from rso_scheduler.input.crosscheck import cross_check
from rso_scheduler.input.files import MAX_TABLE_BYTES, decode_text, present, read_bytes
from rso_scheduler.input.gazetteer import GazetteerIndex, open_gazetteer
from rso_scheduler.input.schemas import (
    ABSENCE_COLUMNS,
    OFFENDER_COLUMNS,
    OFFICER_COLUMNS,
    VISIT_COLUMNS,
    ParseResult,
    parse_absences,
    parse_offenders,
    parse_officers,
    parse_visits,
)
from rso_scheduler.input.workbook import Workbook, merged_problems, with_cells
from rso_scheduler.models import Dataset, InputFile
from rso_scheduler.policy import Policy, load_policy

TABLES = ("offenders", "officers", "absences", "visits")
REQUIRED_TABLES = ("offenders", "officers")
REQUIRED_FILES = ("offenders.csv", "officers.csv")
OPTIONAL_FILES = ("absences.csv", "visits.csv")
POLICY_FILE = "policy.toml"
KNOWN_COLUMNS = {
    "offenders": [c.name for c in OFFENDER_COLUMNS],
    "officers": [c.name for c in OFFICER_COLUMNS],
    "absences": [c.name for c in ABSENCE_COLUMNS],
    "visits": [c.name for c in VISIT_COLUMNS],
}
_PARSERS: dict[str, Any] = {
    "offenders": parse_offenders,
    "officers": parse_officers,
    "absences": parse_absences,
    "visits": parse_visits,
}
_PLAN_MARKS = ("roster.csv", "summary.json")


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


def _plan_folder_problem(root: Path) -> Problem | None:
    """A plan folder given where the data folder was expected says so."""
    has_table = any(
        present(root / f"{t}.{ext}") for t in REQUIRED_TABLES for ext in ("csv", "xlsx")
    )
    if not has_table and all((root / m).is_file() for m in _PLAN_MARKS):
        return Problem(
            str(root), None, None,
            "is a plan folder (it holds roster.csv and summary.json), not a data folder; "
            "expected the folder holding offenders.csv and officers.csv that the plan was made from",
        )  # fmt: skip
    return None


def _read_table(
    root: Path,
    table: str,
    renames: Renames,
    gazetteer: GazetteerIndex | _Broken | None,
    problems: list[Problem],
    warnings: list[str],
    files: list[InputFile],
) -> ParseResult[Any] | None:
    """Read one table from NAME.csv or NAME.xlsx; None if absent or unreadable."""
    csv_name, xlsx_name = f"{table}.csv", f"{table}.xlsx"
    has_csv, has_xlsx = present(root / csv_name), present(root / xlsx_name)
    required = table in REQUIRED_TABLES
    if has_csv and has_xlsx:
        problems.append(
            Problem(
                csv_name,
                None,
                None,
                f"and {xlsx_name} are both in the folder; expected one of them (which is "
                "current is not for the tool to guess)",
            )  # fmt: skip
        )
        return None
    if not has_csv and not has_xlsx:
        if required:
            problems.append(
                Problem(csv_name, None, None, f"is missing from {root}; it is required")
            )
        return None
    parse = _PARSERS[table]
    kwargs = {"rename": renames.get(table, {}), "gazetteer": gazetteer}
    if has_xlsx:
        return _read_workbook(
            root / xlsx_name, xlsx_name, table, parse, kwargs, problems, warnings, files
        )
    try:
        raw = read_bytes(root / csv_name, csv_name, MAX_TABLE_BYTES)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    sha = hashlib.sha256(raw).hexdigest()
    if not required and not raw.strip():
        # An export with nothing to say (no absences yet) often comes out as an empty file.
        warnings.append(f"{csv_name}: is empty; read as no rows")
        files.append(InputFile(name=csv_name, sha256=sha, rows=0))
        return None
    try:
        text = decode_text(raw, csv_name)
    except InputError as exc:
        problems.extend(exc.problems)
        files.append(InputFile(name=csv_name, sha256=sha, rows=0))
        return None
    del raw
    result: ParseResult[Any] = parse(text, csv_name, **kwargs)
    files.append(InputFile(name=csv_name, sha256=sha, rows=result.records))
    return result


def _read_workbook(
    path: Path,
    name: str,
    table: str,
    parse: Any,
    kwargs: dict[str, Any],
    problems: list[Problem],
    warnings: list[str],
    files: list[InputFile],
) -> ParseResult[Any] | None:
    try:
        book = Workbook(path, name, table)
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    try:
        merged = book.merged()
        if merged:
            problems.extend(merged_problems(merged, name))
            return None
        result: ParseResult[Any] = parse(book.records(), name, **kwargs)
    finally:
        book.close()
    result.problems[:] = with_cells(result.problems, name, result.cells)
    files.append(InputFile(name=name, sha256=_sha256_file(path), rows=result.records))
    return result


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _read_policy(root: Path, problems: list[Problem], files: list[InputFile]) -> Policy:
    path = root / POLICY_FILE
    if not present(path):
        return Policy()
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        problems.extend(exc.problems)
        return Policy()
    files.append(InputFile(name=POLICY_FILE, sha256=_sha256_file(path), rows=0))
    return policy


class _Broken:
    """Stands for a gazetteer that could not be opened (its problem already listed)."""

    name = "(unreadable)"
    failed = True

    def postcodes(self, keys: object) -> dict[str, tuple[float, float, bool]]:
        return {}

    def uprns(self, keys: object) -> dict[str, tuple[float, float, bool]]:
        return {}

    def close(self, keep: bool = True) -> None:
        return None


_BROKEN = _Broken()


def _open_gazetteer(
    root: Path, policy: Policy, problems: list[Problem], notes: list[str]
) -> GazetteerIndex | _Broken | None:
    name = policy.locations.gazetteer
    if name is None:
        return None
    try:
        index, found = open_gazetteer(root / name, name, root)
    except InputError as exc:
        problems.extend(exc.problems)
        return _BROKEN

    notes.extend(found)
    return index


def _cross_check(
    parsed: dict[str, ParseResult[Any]],
    names: dict[str, str],
    today: date,
    problems: list[Problem],
    warnings: list[str],
) -> None:
    """The checks across files (`crosscheck.cross_check`), located in workbooks' cells."""

    def rows(table: str) -> list[Any]:
        return parsed[table].rows if table in parsed else []

    def ids(table: str) -> set[str] | None:
        return parsed[table].ids if table in parsed and parsed[table].read else None

    cross_problems, cross_warnings = cross_check(
        rows("offenders"),
        rows("officers"),
        rows("absences"),
        rows("visits"),
        today,
        officer_ids=ids("officers"),
        offender_ids=ids("offenders"),
        bases_complete="officers" in parsed and not parsed["officers"].problems,
        names=names,
    )
    for table, result in parsed.items():
        if names[table].endswith(".xlsx"):
            cross_problems = with_cells(cross_problems, names[table], result.cells)
    problems.extend(cross_problems)
    warnings.extend(cross_warnings)


def load_dataset(data_dir: Path | str, *, today: date) -> Dataset:
    """Read, validate and cross-check a data folder; nothing in it may be after `today`.

    `today` is the day the data is as of (the commands' `--today`, default the real date).
    Raises `InputError` listing every problem in every file (policy problems included), or
    `PathError` if the folder does not exist.
    """
    root = data_folder(data_dir)
    plan = _plan_folder_problem(root)
    if plan is not None:
        raise InputError([plan])
    problems: list[Problem] = []
    warnings: list[str] = []
    notes: list[str] = []
    files: list[InputFile] = []

    policy = _read_policy(root, problems, files)
    renames: Renames = {}
    if present(root / COLUMNS_FILE):
        try:
            renames = read_columns(root / COLUMNS_FILE, KNOWN_COLUMNS)
        except InputError as exc:
            problems.extend(exc.problems)
        else:
            files.append(
                InputFile(name=COLUMNS_FILE, sha256=_sha256_file(root / COLUMNS_FILE), rows=0)
            )
    gazetteer = _open_gazetteer(root, policy, problems, notes)
    parsed: dict[str, ParseResult[Any]] = {}
    names: dict[str, str] = {}
    clean = False  # an index built this run is kept only if the folder reads clean
    try:
        for table in TABLES:
            result = _read_table(root, table, renames, gazetteer, problems, warnings, files)
            if result is None:
                continue
            name = files[-1].name
            names[table] = name
            parsed[table] = result
            problems.extend(result.problems)
            if table in REQUIRED_TABLES and result.read and result.records == 0:
                # A plan of nobody, or by nobody, is never what a team meant to export.
                what = (
                    "one row per managed person" if table == "offenders" else "one row per officer"
                )
                problems.append(
                    Problem(name, None, None, f"has a header but no rows; expected {what}")
                )
            warnings.extend(result.warnings)
        _cross_check(parsed, names, today, problems, warnings)
        clean = not problems
    finally:
        if gazetteer is not None:
            gazetteer.close(keep=clean)

    def rows(table: str) -> list[Any]:
        return parsed[table].rows if table in parsed else []

    if problems:
        raise InputError(problems)
    return Dataset(
        offenders=tuple(rows("offenders")),
        officers=tuple(rows("officers")),
        absences=tuple(rows("absences")),
        visits=tuple(rows("visits")),
        policy=policy,
        files=tuple(files),
        warnings=tuple(warnings),
        source_dir=str(root),
        locations={names[t]: parsed[t].located for t in ("offenders", "officers") if t in parsed},
        notes=tuple(notes),
    )
