"""`rso check` on a roster.csv a supervisor edited by hand: the rules as before, totals recomputed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main


def _rows(out: Path) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO((out / "roster.csv").read_text(encoding="utf-8")))
    return list(reader.fieldnames or []), list(reader)


def _write(out: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, header, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (out / "roster.csv").write_text(buf.getvalue(), encoding="utf-8")


def _check(data: Path, out: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", str(data), str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_plan_writes_pinned_no(planned: Path) -> None:
    """`rso plan` writes the pinned column, every row `no`."""
    header, rows = _rows(planned)
    assert "pinned" in header and rows and {r["pinned"] for r in rows} == {"no"}


def test_deleted_row_is_one_error_and_one_warning(planned: Path, tiny_dir: Path) -> None:
    """A deleted owed visit: one 'missing' error; the stale summary is one warning, not five."""
    header, rows = _rows(planned)
    gone = next(r for r in rows if r["seq"] == "0" and r["pulled_forward"] == "false")
    rest = [r for r in rows if r is not gone and r["offender_id"] != gone["offender_id"]]
    _write(planned, header, rest)
    code, out, err = _check(tiny_dir, planned)
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("[")]
    assert len(errors) == 1 and errors[0].startswith("[missing]"), out
    assert gone["offender_id"] in errors[0]
    assert "[summary]" not in out
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "summary.json no longer matches" in warnings[0], err
    assert f"{len(rest)} visits" in out


def test_pinned_set_and_column_dropped_both_check_clean(planned: Path, tiny_dir: Path) -> None:
    """pinned set to yes/Y/1/blank, or the column removed: no violations, no warning."""
    header, rows = _rows(planned)
    for r, value in zip(rows, ["yes", "Y", "1", "", "false"] * len(rows), strict=False):
        r["pinned"] = value
    _write(planned, header, rows)
    code, out, err = _check(tiny_dir, planned)
    assert code == 0 and out.startswith("no violations"), out + err
    _write(planned, [h for h in header if h != "pinned"], rows)
    code, out, err = _check(tiny_dir, planned)
    assert code == 0 and out.startswith("no violations") and "warning" not in err, out + err


def test_bad_pinned_value_is_located(planned: Path, tiny_dir: Path) -> None:
    """pinned = 'maybe' is bad input naming file, line and column (exit 2)."""
    header, rows = _rows(planned)
    rows[0]["pinned"] = "maybe"
    _write(planned, header, rows)
    code, _out, err = _check(tiny_dir, planned)
    assert code == 2 and "roster.csv:2 pinned: 'maybe' is not true or false" in err, err


def test_officer_changed_to_an_absent_one_is_an_error(planned: Path, tiny_dir: Path) -> None:
    """An officer swapped in by hand who is on leave that day breaks officer_working."""
    header, rows = _rows(planned)
    r = next(r for r in rows if "2027-01-11" <= r["date"] <= "2027-01-15")
    r["officer_ids"] = ";".join(["TV004", *r["officer_ids"].split(";")[1:]])
    _write(planned, header, rows)
    code, out, err = _check(tiny_dir, planned)
    assert code == 1 and "[officer_working]" in out and "TV004" in out, out
    assert "offender_manager_on_visit" in err or "[manager_flag]" not in out


def test_time_moved_by_hand_is_checked(planned: Path, tiny_dir: Path) -> None:
    """A visit moved to 23:00 by hand breaks the shift (travel back to base), as before."""
    header, rows = _rows(planned)
    rows[0]["start"], rows[0]["end"] = "22:00", "23:30"
    _write(planned, header, rows)
    code, out, _err = _check(tiny_dir, planned)
    assert code == 1 and "[travel_to_base]" in out, out


def test_report_roster_reader_accepts_pinned() -> None:
    """The compliance report's roster reader takes pinned absent, blank or yes; refuses 'maybe'."""
    from rso_scheduler.errors import InputError
    from rso_scheduler.outputs.roster_files import parse_planned as parse_roster

    head = "visit_id,date,offender_id,risk_level,due_date"
    rows = "V1,2027-01-04,P1,high,2027-01-04{}\nV2,2027-01-05,P2,low,2027-01-05{}\n"
    assert len(parse_roster(f"{head}\n" + rows.format("", ""))) == 2
    assert len(parse_roster(f"{head},pinned\n" + rows.format(",", ",yes"))) == 2
    with pytest.raises(InputError):
        parse_roster(f"{head},pinned\n" + rows.format(",no", ",maybe"))


def _excel_resave(out: Path, drop_one: bool) -> None:
    """roster.csv as Excel saves it after a supervisor's edits: a BOM, CRLF line ends, every
    cell quoted, pinned typed as Yes on the first row (and, if asked, one row deleted)."""
    header, rows = _rows(out)
    if drop_one:
        rows = rows[1:]
    rows[0]["pinned"] = "Yes"
    buf = io.StringIO()
    w = csv.DictWriter(buf, header, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    (out / "roster.csv").write_bytes(b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8"))


@pytest.mark.parametrize("drop_one", [False, True])
def test_every_command_reads_an_excel_resaved_roster(
    planned: Path, tiny_dir: Path, tmp_path: Path, drop_one: bool
) -> None:
    """check, map, report --roster and replan all read one roster.csv re-saved by Excel (and
    hand-edited): the one reader (`outputs.roster_files.parse_roster`) serves every command."""
    _excel_resave(planned, drop_one)
    runner = CliRunner()
    code, out, err = _check(tiny_dir, planned)
    assert code == (1 if drop_one else 0), out + err  # a deleted row is a rule, not a read error
    commands = [
        ["map", str(planned), "--data", str(tiny_dir)],
        ["report", "compliance", str(tiny_dir), "--out", str(tmp_path / "r"), "--roster",
         str(planned), "--today", "2027-01-05"],
        ["replan", str(planned), str(tiny_dir), "--from", "2027-01-11", "--out",
         str(tmp_path / "re"), "--time-limit", "2", "--no-maps", "-q"],
    ]  # fmt: skip
    for args in commands:
        result = runner.invoke(main, args)
        assert result.exit_code == 0, f"{args[0]}: {result.output}"
