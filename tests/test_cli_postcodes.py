"""A force's own export (workbooks, its own headers, postcodes and a gazetteer) plans to the same
roster rows as the same team given as CSV with coordinates, through the CLI."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.ingest import load_dataset

TODAY = date(2026, 11, 30)
GENERATE = ["--offenders", "90", "--officers", "6", "--seed", "3", "--start", "2027-01-01",
            "--today", TODAY.isoformat()]  # fmt: skip
# A force's own headers for some contract columns (columns.toml), as in a ViSOR export.
OWN = {
    "offenders": {
        "offender_id": "ViSOR Ref",
        "risk_level": "Risk Level (ARMS)",
        "postcode": "Home Postcode",
        "last_visit_date": "Last Home Visit",
    },
    "officers": {"officer_id": "Collar No", "base_postcode": "Station Postcode"},
    "visits": {"officer_ids": "Officers"},
}
DATES = {
    "last_visit_date", "registered_on", "released_on", "address_changed_on", "unavailable_from",
    "unavailable_to", "date",
}  # fmt: skip
TIMES = {"window_start", "window_end", "shift_start", "shift_end"}
NUMBERS = {"visit_interval_days", "visit_minutes", "max_visits_per_day"}


def _run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _typed(table: str, column: str, value: str) -> object:
    """A cell as Excel would type it: dates, times, numbers and yes/no as such."""
    if not value:
        return None
    if column in DATES or (table == "absences" and column in ("start", "end")):
        return date.fromisoformat(value)
    if column in TIMES or (table == "visits" and column == "start"):
        h, m = value.split(":")
        return time(int(h), int(m))
    if column in NUMBERS:
        return int(value)
    if column == "two_officers":
        return value == "true"
    return value


def to_workbooks(src: Path, dst: Path) -> None:
    """Copy a data folder with every table as NAME.xlsx under the force's own headers."""
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.csv", ".rso-cache"))
    shutil.copytree(src / "gazetteer", dst / "gazetteer", dirs_exist_ok=True)
    toml = []
    for table in ("offenders", "officers", "absences", "visits"):
        rows = list(csv.reader(io.StringIO((src / f"{table}.csv").read_text(encoding="utf-8"))))
        own = OWN.get(table, {})
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = table
        sheet.append([own.get(h, h) for h in rows[0]])
        for row in rows[1:]:
            sheet.append([_typed(table, h, v) for h, v in zip(rows[0], row, strict=True)])
        book.save(dst / f"{table}.xlsx")
        if own:
            toml.append(f"[{table}]")
            toml.extend(f'{k} = "{v}"' for k, v in own.items())
    (dst / "columns.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """One generated team three ways: CSV with coordinates, CSV with postcodes, workbooks."""
    root = tmp_path_factory.mktemp("postcodes")
    _run("generate", *GENERATE, "--out", str(root / "coords"), "--force")
    _run("generate", *GENERATE, "--out", str(root / "postcodes"), "--postcodes", "--force")
    to_workbooks(root / "postcodes", root / "workbooks")
    return root / "coords", root / "postcodes", root / "workbooks"


def _roster(data: Path, out: Path) -> list[str]:
    _run("plan", str(data), "--month", "2027-01", "--out", str(out), "--solver", "greedy",
         "--no-maps", "-q", "--today", TODAY.isoformat(), "--seed", "4")  # fmt: skip
    return (out / "roster.csv").read_text(encoding="utf-8").splitlines()


def test_workbooks_with_own_headers_and_postcodes_plan_to_the_same_roster(
    folders: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """Workbooks + columns.toml + postcodes + gazetteer: the same roster rows as CSV + lat/lon."""
    coords, postcodes, workbooks = folders
    expected = _roster(coords, tmp_path / "a")
    assert len(expected) > 20
    assert _roster(postcodes, tmp_path / "b") == expected
    assert _roster(workbooks, tmp_path / "c") == expected


def test_the_same_people_and_places_whichever_way_in(folders: tuple[Path, Path, Path]) -> None:
    """Every person and officer has the same coordinates and fields, from any of the three."""
    coords, postcodes, workbooks = (load_dataset(f, today=TODAY) for f in folders)

    def rows(items: tuple[object, ...], *skip: str) -> list[dict[str, object]]:
        return [o.model_dump(exclude={"line", *skip}) for o in items]  # type: ignore[attr-defined]

    for other in (postcodes, workbooks):
        assert rows(other.offenders, "address") == rows(coords.offenders, "address")
        assert rows(other.officers) == rows(coords.officers)
        assert rows(other.absences) == rows(coords.absences)
        assert rows(other.visits) == rows(coords.visits)
    assert all(o.address for o in workbooks.offenders)
    assert workbooks.locations["offenders.xlsx"]["postcode"] == len(coords.offenders)


def test_validate_says_how_locations_were_resolved(folders: tuple[Path, Path, Path]) -> None:
    """`rso validate` on the postcode folder: counts by coordinates, postcode, UPRN."""
    out = _run("validate", str(folders[2]), "--today", TODAY.isoformat())
    assert "Locations:" in out
    assert "offenders.xlsx  0 by coordinates, 90 by postcode, 0 by UPRN; 0 unmatched" in out
    assert "ZZ" not in out  # no postcode, whole or outward, of a person is printed


def test_the_gazetteer_index_is_owner_only_and_reused(folders: tuple[Path, Path, Path]) -> None:
    """The index sits in .rso-cache/ (0700, files 0600) and is not rebuilt on the next run."""
    data = folders[1]
    cache = data / ".rso-cache"
    files = list(cache.iterdir())
    assert cache.stat().st_mode & 0o777 == 0o700
    assert files and all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    before = {f: f.stat().st_mtime_ns for f in files}
    load_dataset(data, today=TODAY)
    assert {f: f.stat().st_mtime_ns for f in cache.iterdir()} == before


def test_addresses_reach_handouts_and_crew_day_pages_not_calendars_by_default(
    folders: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """The address column is on handouts and crew-day pages; calendars carry it only when
    policy `[outputs] calendar_addresses = true`."""
    data = tmp_path / "data"
    shutil.copytree(folders[1], data, ignore=shutil.ignore_patterns(".rso-cache"))
    offenders = (data / "offenders.csv").read_text(encoding="utf-8")
    # addresses with HTML in them (one street in six): escaped wherever they are shown
    (data / "offenders.csv").write_text(offenders.replace("Mill Lane", "<b>Mill</b> Lane"), "utf-8")
    out = tmp_path / "plan"
    _run("plan", str(data), "--month", "2027-01", "--out", str(out), "--solver", "greedy",
         "-q", "--today", TODAY.isoformat())  # fmt: skip
    handouts = "".join(p.read_text(encoding="utf-8") for p in (out / "handouts").glob("*.html"))
    days = "".join(p.read_text(encoding="utf-8") for p in (out / "maps").glob("*/*.html"))
    calendars = "".join(p.read_text(encoding="utf-8") for p in (out / "calendar").glob("*.ics"))
    assert 'class="addr"' in handouts and 'class="addr"' in days
    assert "<b>Mill</b>" not in handouts + days
    assert "&lt;b&gt;Mill&lt;/b&gt; Lane" in handouts and "&lt;b&gt;Mill&lt;/b&gt; Lane" in days
    assert "LOCATION" not in calendars
    policy = (data / "policy.toml").read_text(encoding="utf-8")
    (data / "policy.toml").write_text(policy + "\n[outputs]\ncalendar_addresses = true\n", "utf-8")
    out2 = tmp_path / "plan2"
    _run("plan", str(data), "--month", "2027-01", "--out", str(out2), "--solver", "greedy",
         "-q", "--no-maps", "--today", TODAY.isoformat())  # fmt: skip
    calendars = "".join(p.read_text(encoding="utf-8") for p in (out2 / "calendar").glob("*.ics"))
    assert "LOCATION:" in calendars


def test_a_run_stopped_by_bad_input_keeps_no_gazetteer_index(
    folders: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """Bad input elsewhere in the folder: exit 2 and no .rso-cache/ left behind; fixed, the
    next run builds the index and keeps it."""
    data = tmp_path / "data"
    shutil.copytree(folders[1], data, ignore=shutil.ignore_patterns(".rso-cache"))
    officers = data / "officers.csv"
    good = officers.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(good)))
    rows[1][rows[0].index("shift_start")] = "nine"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    officers.write_text(buf.getvalue(), encoding="utf-8")
    out = tmp_path / "plan"
    args = ["plan", str(data), "--month", "2027-01", "--out", str(out), "--solver", "greedy",
            "-q", "--today", TODAY.isoformat()]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "officers.csv" in result.output
    assert not (data / ".rso-cache").exists() and not out.exists()
    officers.write_text(good, encoding="utf-8")
    _run(*args)
    assert [p.suffix for p in (data / ".rso-cache").iterdir()] == [".sqlite"]
