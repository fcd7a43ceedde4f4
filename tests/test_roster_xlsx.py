"""roster.xlsx in every plan folder: officers by day, the visit list, printed like the
compliance workbook, formulas neutralised."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from rso_scheduler.cli import main
from tests.conftest import (
    TINY_ABSENCES,
    TINY_OFFENDERS,
    TINY_OFFICERS,
    TINY_VISITS,
    write_data_dir,
)


def test_plan_writes_roster_xlsx(tiny_dir: Path, tmp_path: Path) -> None:
    """A plan's roster.xlsx: the grid matches roster.csv, every sheet marked, A4 landscape."""
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        main, ["plan", str(tiny_dir), "--month", "2027-01", "--out", str(out), "--no-maps", "-q",
               "--solver", "greedy"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = out / "roster.xlsx"
    assert path.stat().st_mode & 0o777 == 0o600
    book = openpyxl.load_workbook(path)
    roster = list(csv.DictReader((out / "roster.csv").open(encoding="utf-8")))
    days = sorted({r["date"] for r in roster})
    assert book.sheetnames == ["month", "visits", "days", *days]
    for day in days:
        listed = [row[3] for row in book[day].iter_rows(min_row=2, values_only=True)]
        assert sorted(listed) == sorted(r["offender_id"] for r in roster if r["date"] == day)
    visits = list(book["visits"].iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in visits) == sorted(r["visit_id"] for r in roster)
    grid = book["month"]
    header = [c.value for c in grid[1]]
    assert header[:2] == ["Officer id", "Name"] and len(header) == 2 + 31
    per_officer: dict[str, int] = {}
    for r in roster:
        for oid in r["officer_ids"].split(";"):
            per_officer[oid] = per_officer.get(oid, 0) + 1
    for row in grid.iter_rows(min_row=2, values_only=True):
        counted = sum(
            int(cell.split(" · ")[1].split()[0])
            for cell in row[2:]
            if isinstance(cell, str) and " · " in cell
        )
        assert counted == per_officer.get(row[0], 0)
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE"
        assert ws.oddFooter.right.text == "Page &P of &N"
        assert ws.auto_filter.ref


def test_roster_xlsx_neutralises_formulas(tmp_path: Path) -> None:
    """An officer name that looks like a formula is stored as text, never as a live formula."""
    officers = TINY_OFFICERS.replace("Officer A", "=HYPERLINK(x)", 1)
    assert officers != TINY_OFFICERS
    data = write_data_dir(
        tmp_path / "d", offenders=TINY_OFFENDERS, officers=officers, absences=TINY_ABSENCES,
        visits=TINY_VISITS,
    )  # fmt: skip
    out = tmp_path / "plan"
    result = CliRunner().invoke(
        main, ["plan", str(data), "--month", "2027-01", "--out", str(out), "--no-maps", "-q",
               "--solver", "greedy"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out / "roster.xlsx")
    names = [row[1] for row in book["month"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(x)" in names
    assert all(c.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for c in row)
