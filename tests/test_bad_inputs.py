"""Every folder in tests/data/bad breaks one contract rule; each must give its exact problem lines.

A case folder holds a small data folder with one thing broken and `expected.txt`: the problem
lines the report must contain (`{data_dir}` stands for the folder path as given).
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.errors import InputError
from rso_scheduler.ingest import load_dataset
from rso_scheduler.redact import has_postcode, may_be_coordinate

DATA = Path(__file__).parent / "data"
BAD_CASES = sorted(p for p in (DATA / "bad").iterdir() if p.is_dir())
GOOD_CASES = sorted(p for p in (DATA / "good").iterdir() if p.is_dir())
TODAY = date(2026, 11, 20)
COORDINATE_COLUMNS = {"lat", "lon", "base_lat", "base_lon"}


def expected_lines(case: Path, folder: Path | None = None) -> list[str]:
    text = (case / "expected.txt").read_text(encoding="utf-8")
    where = str(folder or case)
    return [line.replace("{data_dir}", where) for line in text.splitlines() if line.strip()]


def copied(case: Path, tmp_path: Path) -> Path:
    """The case copied out of the source tree (a gazetteer index must not be left in it)."""
    folder = tmp_path / case.name
    shutil.copytree(case, folder, symlinks=True)
    return folder


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def coordinate_cells(case: Path) -> set[str]:
    """Every coordinate written in the case's CSV files, wherever it stands (must never leak).

    The numbers in coordinate columns, plus any cell that looks like one (2+ decimals, degrees),
    since a shifted column can carry a coordinate into another column's messages.
    """
    found: set[str] = set()
    for path in case.glob("*.csv"):
        text = path.read_bytes().decode("utf-8", errors="replace")
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error:
            continue  # not CSV at all (a workbook renamed .csv): its own case
        if not rows:
            continue
        header = [h.strip().lower() for h in rows[0]]
        cols = [i for i, h in enumerate(header) if h in COORDINATE_COLUMNS]
        for row in rows[1:]:
            for i, cell in enumerate(row):
                value = cell.strip()
                in_column = i in cols and _is_number(value) and value != "0"
                if in_column or may_be_coordinate(value):
                    found.add(value)
    return found


def postcode_cells(case: Path) -> set[str]:
    """Every whole postcode written in the case's CSV files (must never appear in a message)."""
    found: set[str] = set()
    for path in case.glob("*.csv"):
        text = path.read_bytes().decode("utf-8", errors="replace")
        for cell in text.replace("\n", ",").split(","):
            if has_postcode(cell):
                found.add(cell.strip().upper())
    return found


def test_there_are_enough_cases() -> None:
    """The broken-input collection covers at least 30 rules, each with an expected.txt."""
    assert len(BAD_CASES) >= 30
    assert all((c / "expected.txt").is_file() for c in BAD_CASES)


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda p: p.name)
def test_bad_case_reports_expected_problems(case: Path, tmp_path: Path) -> None:
    """load_dataset raises InputError whose report holds every expected line."""
    folder = copied(case, tmp_path)
    with pytest.raises(InputError) as info:
        load_dataset(folder, today=TODAY)
    report = info.value.report().splitlines()
    for line in expected_lines(case, folder):
        assert line in report, f"{line!r} not in:\n" + "\n".join(report)


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda p: p.name)
def test_bad_case_through_the_cli(case: Path, tmp_path: Path) -> None:
    """`rso validate` exits 2 with the problems on stderr, no traceback and no coordinates."""
    folder = copied(case, tmp_path)
    result = CliRunner().invoke(main, ["validate", str(folder), "--today", TODAY.isoformat()])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for line in expected_lines(case, folder):
        assert line in result.stderr
    for value in coordinate_cells(case):
        assert value not in result.output, f"coordinate {value!r} leaked"
    for value in postcode_cells(case):
        assert value not in result.output.upper(), f"postcode {value!r} leaked"


@pytest.mark.parametrize("case", GOOD_CASES, ids=lambda p: p.name)
def test_good_case_loads_without_warnings(case: Path) -> None:
    """Each folder in tests/data/good is valid and gives no warnings."""
    dataset = load_dataset(case, today=TODAY)
    assert dataset.offenders and dataset.officers
    assert dataset.warnings == ()


def test_minimal_folder_has_only_the_two_required_files() -> None:
    """The minimal good folder is just offenders.csv and officers.csv."""
    assert sorted(p.name for p in (DATA / "good" / "minimal").iterdir()) == [
        "offenders.csv",
        "officers.csv",
    ]
