"""Located rows: a table's records (CSV text or a workbook sheet) -> stripped cells per
contract column, each with its line, after one header check shared by every source.

A source is an iterator of `(first line, last line, cells)`: `csv_records(text)` for CSV,
`workbook.sheet_records` for a sheet (its rows are its lines). The header check maps an
export's own names (`columns.toml`), refuses a header close to a contract name it does not
match (`last_visited` for `last_visit_date`: an ignored optional column silently changes what
is owed), and finds the required columns, or one group of alternatives (lat and lon, or a
postcode, or a UPRN).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rso_scheduler.errors import Problem
from rso_scheduler.redact import may_be_coordinate, shown, shown_all

Records = Iterator[tuple[int, int, list[str]]]
NEAR_CUTOFF = 0.8  # difflib ratio from which an unknown header is taken for a misspelt column


class Formula(str):
    """A workbook cell that holds a formula: read as blank and refused, never evaluated."""


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
class Table:
    """The rows of a CSV file as stripped cells keyed by contract column, with their lines."""

    rows: list[tuple[int, dict[str, str]]]
    problems: list[Problem]
    warnings: list[str]
    ok: bool  # False: the header itself is unusable, so no row was read
    records: int = 0
    skipped: list[dict[str, str]] = field(default_factory=list)  # rows refused whole (cell count)
    present: frozenset[str] = frozenset()  # contract columns found in the header
    index: dict[str, int] = field(default_factory=dict)  # contract column -> 0-based position
    header_line: int = 1


class _CsvBroken(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def csv_records(text: str) -> Records:
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


def header_name(cell: str) -> str:
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


def read_table(text: str, file: str, columns: list[Col]) -> Table:
    """Split CSV text into stripped cells per contract column, checking the header."""
    table, rows = open_table(text, file, columns)
    table.rows = list(rows)
    return table


_NO_ROWS: Iterator[tuple[int, dict[str, str]]] = iter(())


@dataclass(frozen=True)
class Header:
    """How a table's header is read: an export's own names, and groups of alternatives."""

    rename: dict[str, str] = field(default_factory=dict)  # export name (normalised) -> contract
    # Groups of columns of which one whole group must be present, e.g. (("lat", "lon"),
    # ("postcode",), ("uprn",)); the first group is named when none is.
    one_of: tuple[tuple[str, ...], ...] = ()
    one_of_hint: str = ""


def open_table(
    text: str, file: str, columns: list[Col], header_rules: Header | None = None
) -> tuple[Table, Iterator[tuple[int, dict[str, str]]]]:
    """CSV text: check the header; return the table and a lazy iterator of its rows."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return open_records(csv_records(text), file, columns, header_rules, text=text)


def open_records(
    records: Records,
    file: str,
    columns: list[Col],
    header_rules: Header | None = None,
    *,
    text: str | None = None,
) -> tuple[Table, Iterator[tuple[int, dict[str, str]]]]:
    """Check the header; return the table (problems so far) and a lazy iterator of its rows.

    Rows are produced one at a time so that a national-size file is never held twice; the
    iterator adds the problems it meets (cell counts, unclosed quotes) to the table as it goes.
    `text` is the CSV text (to find unclosed quotes); None for a workbook.
    """
    rules = header_rules or Header()
    problems: list[Problem] = []
    warnings: list[str] = []
    header: list[str] | None = None
    header_line = 1
    try:
        for line, _, cells in records:
            if cells and "".join(cells).strip():
                header, header_line = cells, line
                break
    except _CsvBroken as exc:
        problems.append(Problem(file, exc.line, None, f"is not readable as CSV: {exc}"))
        return Table([], problems, warnings, False), _NO_ROWS
    if header is None:
        problems.append(Problem(file, None, None, "is empty; expected a header row"))
        return Table([], problems, warnings, False), _NO_ROWS
    names = [header_name(h) for h in header]
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
        return Table([], problems, warnings, False), _NO_ROWS
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
        return Table([], problems, warnings, False), _NO_ROWS

    names = [rules.rename.get(n, n) for n in names]
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
        unknown = _near_misses(unknown, [c.name for c in columns if c.name not in index], file,
                               header_line, problems)  # fmt: skip
        if unknown:
            more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
            warnings.append(f"{file}: unknown column(s) ignored: {shown_all(unknown[:20])}{more}")
    for c in columns:
        if c.required and c.name not in index:
            problems.append(
                Problem(file, header_line, c.name, "required column is missing from the header")
            )
    if rules.one_of and not any(all(n in index for n in group) for group in rules.one_of):
        for name in rules.one_of[0]:
            if name not in index:
                problems.append(
                    Problem(
                        file,
                        header_line,
                        name,
                        f"required column is missing from the header{rules.one_of_hint}",
                    )  # fmt: skip
                )
    if problems:
        return Table([], problems, warnings, False), _NO_ROWS

    wanted = [(c.name, index[c.name]) for c in columns if c.name in index]
    table = Table(
        [], problems, warnings, True, present=frozenset(n for n, _ in wanted),
        index=dict(wanted), header_line=header_line,
    )  # fmt: skip
    return table, _rows(table, records, text, file, wanted, len(names))


def _near_misses(
    unknown: list[str], absent: list[str], file: str, line: int, problems: list[Problem]
) -> list[str]:
    """Refuse unknown headers close to an absent contract column; return the rest."""
    rest: list[str] = []
    for name in unknown:
        close = difflib.get_close_matches(name, absent, n=1, cutoff=NEAR_CUTOFF)
        if close:
            problems.append(
                Problem(
                    file,
                    line,
                    None,
                    f"column {shown(name)} is not a contract column; did you mean "
                    f"'{close[0]}'? rename it, or map it in columns.toml (an optional column "
                    "left unread would silently change what is owed)",
                )  # fmt: skip
            )
        else:
            rest.append(name)
    return rest


def _rows(
    table: Table,
    records: Records,
    text: str | None,
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
            if last > line and text is not None:
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
            if text is None:
                formulas = [name for name, i in wanted if i < n and isinstance(cells[i], Formula)]
                if formulas:
                    problems.extend(
                        Problem(
                            file,
                            line,
                            name,
                            "holds a formula, not a value; expected a typed value (copy the "
                            "column and paste it as values)",
                        )  # fmt: skip
                        for name in formulas
                    )
                    skipped.append(row)
                    continue
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


def convert_cells(
    file: str,
    line: int,
    cells: dict[str, str],
    specs: list[tuple[str, str, Callable[[str], Any], bool]],
    problems: list[Problem],
) -> tuple[dict[str, Any], bool]:
    """One row's cells converted by `specs` (column, key, converter, required): the values
    that converted, by key, and whether all did. A blank required cell and a cell its converter
    refused (a `ValueError` saying what was found and what was expected) each add a located
    problem."""
    values: dict[str, Any] = {}
    bad = False
    for name, target, convert, required in specs:
        raw = cells.get(name, "")
        if not raw:
            if required:
                problems.append(Problem(file, line, name, f"is blank; {name} is required"))
                bad = True
            continue
        try:
            values[target] = convert(raw)
        except ValueError as exc:
            problems.append(Problem(file, line, name, str(exc)))
            bad = True
    return values, not bad
