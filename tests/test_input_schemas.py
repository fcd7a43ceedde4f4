"""The new optional columns and columns.toml, parsed on inline data (pure parsers)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rso_scheduler.errors import InputError
from rso_scheduler.ingest import load_dataset, parse_offenders, parse_officers
from rso_scheduler.input.columns import parse_columns
from rso_scheduler.input.folder import KNOWN_COLUMNS

TODAY = date(2026, 11, 20)


def test_address_is_read_and_never_echoed() -> None:
    """`address` reaches the model; a bad one is refused without showing it."""
    ok = parse_offenders(
        'offender_id,risk_level,lat,lon,address\nA1,high,51.4550,-0.9700,"1 Mill Lane, Reading"\n'
    )
    assert ok.rows[0].address == "1 Mill Lane, Reading"
    long = "x" * 301
    bad = parse_offenders(
        f"offender_id,risk_level,lat,lon,address\nA1,high,51.4550,-0.9700,{long}\n"
    )
    assert [str(p) for p in bad.problems] == [
        "offenders.csv:2 address: is 301 characters long; expected an address of at most 300"
    ]


@pytest.mark.parametrize(("cell", "minutes"), [("0", 0), ("20", 20), ("180", 180), ("", None)])
def test_refreshment_minutes_in_range(cell: str, minutes: int | None) -> None:
    """Whole minutes 0 to 180 (blank: the policy's break)."""
    result = parse_officers(
        f"officer_id,base_lat,base_lon,refreshment_minutes\nO1,51.4560,-0.9710,{cell}\n"
    )
    assert result.problems == [] and result.rows[0].refreshment_minutes == minutes


@pytest.mark.parametrize("cell", ["-1", "181", "20.5", "half an hour"])
def test_refreshment_minutes_out_of_range_is_located(cell: str) -> None:
    """Anything but a whole number 0..180 is a located error."""
    result = parse_officers(
        f"officer_id,base_lat,base_lon,refreshment_minutes\nO1,51.4560,-0.9710,{cell}\n"
    )
    assert len(result.problems) == 1 and result.problems[0].column == "refreshment_minutes"
    assert "expected minutes from 0 to 180" in result.problems[0].message


def test_columns_toml_maps_a_near_miss_header(tmp_path: Path) -> None:
    """`last_visited` is an error alone, and read as last_visit_date once columns.toml says so."""
    (tmp_path / "offenders.csv").write_text(
        "ViSOR Ref,risk_level,lat,lon,last_visited\nA1,high,51.4550,-0.9700,2026-10-01\n"
    )
    (tmp_path / "officers.csv").write_text("officer_id,base_lat,base_lon\nO1,51.4560,-0.9710\n")
    (tmp_path / "columns.toml").write_text('[offenders]\noffender_id = "ViSOR Ref"\n')
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path, today=TODAY)
    assert "did you mean 'last_visit_date'?" in info.value.report()
    (tmp_path / "columns.toml").write_text(
        '[offenders]\noffender_id = "ViSOR Ref"\nlast_visit_date = "last_visited"\n'
    )
    ds = load_dataset(tmp_path, today=TODAY)
    assert ds.offenders[0].offender_id == "A1"
    assert ds.offenders[0].last_visit_date == date(2026, 10, 1)
    assert "columns.toml" in ds.file_hashes()


def test_unrelated_unknown_columns_stay_one_warning() -> None:
    """Columns unlike any contract name (notes, gender) are a warning, not an error."""
    result = parse_offenders(
        "offender_id,risk_level,lat,lon,notes,gender\nA1,high,51.4550,-0.9700,x,y\n"
    )
    assert result.problems == []
    assert result.warnings == ["offenders.csv: unknown column(s) ignored: 'notes', 'gender'"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[offender]\noffender_id = 'x'\n", "is not a table of the contract"),
        ("[offenders]\noffender_id = 3\n", "expected the export's header text"),
        (
            "[offenders]\noffender_id = 'X'\narea = 'x'\n",
            "names the same header as offenders.offender_id",
        ),
        ("[offenders\n", "not valid TOML"),
    ],
)
def test_bad_columns_toml(text: str, said: str) -> None:
    """Each mistake in columns.toml is a located problem."""
    with pytest.raises(InputError) as info:
        parse_columns(text, KNOWN_COLUMNS)
    assert said in info.value.report()
