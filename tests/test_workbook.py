"""The workbook reader: typed cells read as such, identifiers keep leading zeros, cells located."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from rso_scheduler.errors import InputError
from rso_scheduler.ingest import load_dataset
from rso_scheduler.input.workbook import cell_text, column_letter

TODAY = date(2026, 11, 20)
OFFICERS = "officer_id,base_lat,base_lon\n007,51.4560,-0.9710\n"


def _book(path: Path, rows: list[list[object]], title: str = "offenders") -> None:
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    book.save(path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (7, "7"),
        (7.0, "7"),
        (51.4551, "51.4551"),
        (True, "true"),
        (date(2026, 10, 1), "2026-10-01"),
        (datetime(2026, 10, 1), "2026-10-01"),
        (datetime(2026, 10, 1, 8, 30), "2026-10-01 08:30:00"),
        (time(17, 30), "17:30"),
        ("007", "007"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    """Each Excel cell type becomes the text the contract's converters read."""
    assert cell_text(value) == text


def test_column_letters() -> None:
    """0 -> A, 25 -> Z, 26 -> AA, 701 -> ZZ, 702 -> AAA."""
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_a_workbook_reads_typed_cells_and_keeps_leading_zeros(tmp_path: Path) -> None:
    """Dates, times and numbers typed by Excel are read; text ids keep their leading zeros."""
    _book(
        tmp_path / "offenders.xlsx",
        [
            ["Offender ID", "risk_level", "lat", "lon", "offender_manager_id", "last_visit_date",
             "window_start", "window_end", "visit_minutes"],
            ["00042", "H", 51.455, -0.97, "007", date(2026, 10, 1), time(17, 30), time(20, 30), 45],
        ],
    )  # fmt: skip
    (tmp_path / "officers.csv").write_text(OFFICERS, encoding="utf-8")
    ds = load_dataset(tmp_path, today=TODAY)
    person = ds.offenders[0]
    assert person.offender_id == "00042" and person.offender_manager_id == "007"
    assert person.last_visit_date == date(2026, 10, 1)
    assert (person.window_start_min, person.window_end_min, person.visit_minutes) == (
        1050,
        1230,
        45,
    )
    assert [f.name for f in ds.files] == ["offenders.xlsx", "officers.csv"]


def test_cross_file_problems_in_a_workbook_name_the_cell(tmp_path: Path) -> None:
    """An unknown manager in offenders.xlsx is located as its cell, e.g. offenders.xlsx!E3."""
    _book(
        tmp_path / "offenders.xlsx",
        [
            ["offender_id", "risk_level", "lat", "lon", "offender_manager_id"],
            ["A1", "high", 51.455, -0.97, "007"],
            ["A2", "high", 51.455, -0.97, "008"],
        ],
    )
    (tmp_path / "officers.csv").write_text(OFFICERS, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path, today=TODAY)
    assert "offenders.xlsx!E3 offender_manager_id: '008' is not an officer_id in officers.csv" in (
        info.value.report()
    )


def test_a_sheet_named_like_the_table_is_chosen_among_several(tmp_path: Path) -> None:
    """With a notes sheet beside it, the sheet named `offenders` is read."""
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["exported from ViSOR"])
    sheet = book.create_sheet("Offenders")
    sheet.append(["offender_id", "risk_level", "lat", "lon"])
    sheet.append(["A1", "low", 51.455, -0.97])
    book.save(tmp_path / "offenders.xlsx")
    (tmp_path / "officers.csv").write_text(OFFICERS, encoding="utf-8")
    assert [o.offender_id for o in load_dataset(tmp_path, today=TODAY).offenders] == ["A1"]


def test_a_csv_renamed_xlsx_is_named_for_what_it_is(tmp_path: Path) -> None:
    """Text in an .xlsx: a located error that says it is not a zip file."""
    (tmp_path / "offenders.xlsx").write_text("offender_id,risk_level,lat,lon\n", encoding="utf-8")
    (tmp_path / "officers.csv").write_text(OFFICERS, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path, today=TODAY)
    assert "offenders.xlsx: is not a readable Excel workbook (.xlsx) (it is not a zip file" in (
        info.value.report()
    )
