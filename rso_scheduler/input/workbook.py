"""The workbook reader: one sheet of `NAME.xlsx` -> located records, streamed.

openpyxl's read-only mode streams the sheet's XML, so a 70,000-row sheet is never held as cell
objects. Cells typed by Excel are read as what they are (a date cell becomes `2026-11-01`, a
whole number `7`, a time `17:30`), text cells as written (identifiers keep their leading zeros);
a formula cell is a `table.Formula`, refused by the row reader where a column needs it. Merged
cells are found in the sheet's XML (read-only mode does not expose them) and refused: a merged
header hides which column a value belongs to.

Messages name the cell as Excel does: `offenders.xlsx!C14` (`Problem.cell`).
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.input.files import MAX_WORKBOOK_BYTES, open_problem
from rso_scheduler.input.table import Formula, Records
from rso_scheduler.redact import shown

_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')


def column_letter(index: int) -> str:
    """0-based column index -> Excel letters (0 -> A, 26 -> AA)."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def cell_text(value: Any) -> str:
    """A cell's value as the text the contract's converters read."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}" + (
            f":{value.second:02d}" if value.second else ""
        )
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return str(value)


class Workbook:
    """An open workbook and the one sheet that holds a table; close it after reading."""

    def __init__(self, path: Path, file: str, table: str):
        problem = open_problem(path, file, MAX_WORKBOOK_BYTES)
        if problem is not None:
            raise InputError([problem])
        from openpyxl import load_workbook

        try:
            self._book = load_workbook(path, read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
            raise InputError(
                [
                    Problem(
                        file,
                        None,
                        None,
                        "is not a readable Excel workbook (.xlsx)"
                        + (
                            " (it is not a zip file: a CSV renamed .xlsx?)"
                            if isinstance(exc, zipfile.BadZipFile)
                            else ""
                        )
                        + "; expected a workbook saved by Excel as .xlsx",
                    )  # fmt: skip
                ]
            ) from None
        except Exception as exc:  # openpyxl's own InvalidFileException and friends
            self._book = None
            raise InputError(
                [
                    Problem(
                        file, None, None, f"is not a readable Excel workbook ({type(exc).__name__})"
                    )
                ]
            ) from None
        self.file = file
        try:
            self.sheet = self._pick(table)
        except InputError:
            self.close()
            raise

    def _pick(self, table: str) -> Any:
        names = list(self._book.sheetnames)
        named = [n for n in names if n.strip().lower() == table]
        if len(named) > 1:
            raise InputError(
                [
                    Problem(
                        self.file,
                        None,
                        None,
                        f"has {len(named)} sheets named {shown(table)}; expected one",
                    )
                ]
            )
        if named:
            return self._book[named[0]]
        if len(names) == 1:
            return self._book[names[0]]
        raise InputError(
            [
                Problem(
                    self.file,
                    None,
                    None,
                    f"has {len(names)} sheets and none is named {shown(table)}, so which to read "
                    f"is unclear; name the sheet {shown(table)} or keep only one sheet",
                )  # fmt: skip
            ]
        )

    def merged(self) -> list[str]:
        """The merged ranges of the sheet (`A1:C1`), read from its XML."""
        path = getattr(self.sheet, "_worksheet_path", None)
        archive = getattr(self._book, "_archive", None)
        if path is None or archive is None:
            return []
        found: list[str] = []
        tail = b""
        with archive.open(path) as src:
            while chunk := src.read(1 << 20):
                data = tail + chunk
                found.extend(m.group(1).decode() for m in _MERGE.finditer(data))
                tail = data[-200:]
                # a match inside the overlap is found twice; dedupe below
        return sorted(set(found))

    def records(self) -> Records:
        """(row, row, cells as text) for every row from the first, formulas as `Formula`."""
        sheet = self.sheet
        sheet.reset_dimensions()
        return _records(sheet)

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None


def _records(sheet: Any) -> Iterator[tuple[int, int, list[str]]]:
    for n, row in enumerate(sheet.iter_rows(min_row=1), 1):
        cells: list[str] = []
        for cell in row:
            value = getattr(cell, "value", None)
            if getattr(cell, "data_type", None) == "f":
                cells.append(Formula(""))
            else:
                cells.append(cell_text(value))
        yield n, n, cells


def merged_problems(ranges: list[str], file: str) -> list[Problem]:
    """Merged cells are refused: the first of each range, located."""
    out = []
    for ref in ranges[:20]:
        first = ref.split(":")[0]
        out.append(
            Problem(
                file,
                None,
                None,
                f"cells {ref} are merged (at {first}); expected one value per cell and one "
                "header name per column: unmerge them",
            )  # fmt: skip
        )
    return out


def with_cells(problems: list[Problem], file: str, index: dict[str, int]) -> list[Problem]:
    """Problems of a sheet located as Excel cells (`offenders.xlsx!C14`) where a column is known."""
    out = []
    for p in problems:
        if p.file == file and p.line is not None and p.column in index:
            p = dataclasses.replace(p, cell=f"{column_letter(index[p.column])}{p.line}")
        out.append(p)
    return out
