"""`rso check` given the wrong or damaged folder: clear messages, no traceback, a non-zero exit."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from rso_scheduler.cli import main


def _check(data: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", str(data), str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_roster_of_another_data_set_is_named_as_the_cause(
    planned: Path, tiny_dir: Path, tmp_path: Path
) -> None:
    """Checking against a different data folder ends by saying the inputs differ from the plan's."""
    other = tmp_path / "other"
    shutil.copytree(tiny_dir, other)
    text = (other / "offenders.csv").read_text(encoding="utf-8")
    (other / "offenders.csv").write_text(text.replace(",high,", ",low,", 1), encoding="utf-8")
    code, out = _check(other, planned)
    assert code == 1
    lines = out.strip().splitlines()
    assert "differ from those the plan was made from" in lines[-1], lines[-1]
    # and before the violations, so the cause is read first
    note = next(i for i, line in enumerate(lines) if line.startswith("note: "))
    first = next(i for i, line in enumerate(lines) if line.startswith("["))
    assert note < first and "may follow from that" in lines[note]


def test_many_violations_end_with_a_count_by_rule(
    planned: Path, tiny_dir: Path, tmp_path: Path
) -> None:
    """Checked against data where every high-risk person is low: each violation is listed, then
    one line counts them by rule, most first, and the counts add up to the list."""
    other = tmp_path / "other"
    shutil.copytree(tiny_dir, other)
    text = (other / "offenders.csv").read_text(encoding="utf-8")
    (other / "offenders.csv").write_text(text.replace(",high,", ",low,"), encoding="utf-8")
    code, out = _check(other, planned)
    lines = out.strip().splitlines()
    listed = [line for line in lines if line.startswith("[")]
    summary = next(line for line in lines if line.startswith("by rule: "))
    counts = [int(part.rsplit(" ", 1)[1]) for part in summary[len("by rule: ") :].split(", ")]
    assert code == 1 and len(listed) > 1
    assert sum(counts) == len(listed) and counts == sorted(counts, reverse=True)


def test_roster_that_is_not_utf8(planned: Path, tiny_dir: Path) -> None:
    """A roster.csv saved in another encoding: one located line, not a Python codec message."""
    (planned / "roster.csv").write_bytes(b"\xff\xfevisit_id\n")
    code, out = _check(tiny_dir, planned)
    assert code == 2
    assert "roster.csv: is not UTF-8 text" in out and "codec" not in out


def test_roster_file_instead_of_folder(planned: Path, tiny_dir: Path) -> None:
    """Naming roster.csv itself instead of its folder works like naming the folder."""
    code, out = _check(tiny_dir, planned / "roster.csv")
    assert code == 0 and out.startswith("no violations"), out


def test_run_record_without_period(planned: Path, tiny_dir: Path) -> None:
    """run.json and summary.json without plan dates: 'is missing', not 'None is not a date'."""
    (planned / "run.json").write_text("{}", encoding="utf-8")
    (planned / "summary.json").write_text("{}", encoding="utf-8")
    code, out = _check(tiny_dir, planned)
    assert code == 2
    assert "run.json plan_start: is missing; expected YYYY-MM-DD" in out and "None" not in out


def test_formula_like_ids_survive_the_round_trip(tiny_dir: Path, tmp_path: Path) -> None:
    """Ids like '+P1' are written neutralised; check and report --roster read them back as +P1."""
    for name in ("offenders.csv", "visits.csv"):
        path = tiny_dir / name
        text = path.read_text(encoding="utf-8").replace("P001,", "+P1,").replace("TV001", "@TV1")
        path.write_text(text, encoding="utf-8")
    officers = tiny_dir / "officers.csv"
    officers.write_text(officers.read_text(encoding="utf-8").replace("TV001", "@TV1"), "utf-8")
    out = tmp_path / "plan"
    args = ["plan", str(tiny_dir), "--month", "2027-01", "--solver", "greedy", "--no-maps", "-q"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "'+P1" in (out / "roster.csv").read_text(encoding="utf-8")  # neutralised on disk
    assert _check(tiny_dir, out)[0] == 0
    report = tmp_path / "report"
    args = ["report", "compliance", str(tiny_dir), "--roster", str(out), "--as-of", "2027-01-31"]
    result = CliRunner().invoke(main, [*args, "--format", "csv", "-q", "--out", str(report)])
    assert result.exit_code == 0, result.output
    rows = (report / "plan_vs_actual.csv").read_text(encoding="utf-8").splitlines()
    mine = [r for r in rows if "+P1" in r]
    assert mine and all("not in caseload" not in r for r in rows), rows


def test_roster_resaved_by_excel_still_checks(planned: Path, tiny_dir: Path) -> None:
    """A roster.csv saved again from Excel (UTF-8 with BOM, CRLF lines) checks as before."""
    for name in ("roster.csv", "unscheduled.csv"):
        path = planned / name
        text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    code, out = _check(tiny_dir, planned)
    assert code == 0 and out.startswith("no violations"), out


def test_written_files_follow_the_contract_literally(planned: Path) -> None:
    """Headers and summary keys as spelled in data-contract.md (not via the module's constants)."""
    import json

    roster = (planned / "roster.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert roster[:10] == [
        "visit_id", "date", "start", "end", "offender_id", "officer_ids", "risk_level",
        "due_date", "days_late", "kind",
    ]  # fmt: skip
    unscheduled = (planned / "unscheduled.csv").read_text(encoding="utf-8").splitlines()[0]
    assert unscheduled == "offender_id,risk_level,due_date,reason"
    summary = json.loads((planned / "summary.json").read_text(encoding="utf-8"))
    for key in (
        "plan_start", "plan_end", "visits_due", "visits_planned", "on_time", "late",
        "unscheduled", "travel_minutes", "travel_km", "solve_seconds",
    ):  # fmt: skip
        assert key in summary, key
    assert summary["policy_sha256"] and summary["input_files"]
    assert summary["visits_due"] == summary["on_time"] + summary["late"] + summary["unscheduled"]


def test_report_warns_about_a_roster_of_another_data_set(
    planned: Path, tiny_dir: Path, tmp_path: Path
) -> None:
    """report --roster with people the data folder does not know: a warning naming the cause."""
    roster = planned / "roster.csv"
    roster.write_text(roster.read_text(encoding="utf-8").replace(",P00", ",Q00"), "utf-8")
    args = ["report", "compliance", str(tiny_dir), "--roster", str(planned), "-q"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "r"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "people in the roster are not in" in result.output
    assert "another data folder" in result.output


def test_no_violations_line_speaks_like_the_plan(planned: Path, tiny_dir: Path) -> None:
    """`rso check` counts in rso plan's words: visits planned, not scheduled, officer-hours."""
    import json

    from click.testing import CliRunner

    from rso_scheduler.cli import main

    result = CliRunner().invoke(main, ["check", str(tiny_dir), str(planned)])
    assert result.exit_code == 0, result.output
    summary = json.loads((planned / "summary.json").read_text(encoding="utf-8"))
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith(f"no violations: {summary['visits_planned']} visits planned (")
    assert f", {summary['unscheduled']} not scheduled, " in line and "rows" not in line
    assert f"travel {summary['travel_minutes'] / 60:.1f} officer-hours" in line
