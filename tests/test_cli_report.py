"""`rso report compliance` end to end through the CLI, into tmp_path."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from tests.conftest import SAMPLE_DIR


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_tiny_end_to_end(tiny_dir: Path, tmp_path: Path):
    """The tiny folder reports 7 managed people (one not yet registered) and writes every file."""
    out = tmp_path / "rep"
    code, stdout, stderr = run(
        "report", "compliance", str(tiny_dir), "--as-of", "2026-11-20", "--out", str(out), "--trend"
    )
    assert code == 0, stderr
    assert "managed 7 (5 active, 1 reactive, 1 suspended)" in stdout
    assert "overdue 0" in stdout
    assert {"overdue.csv", "compliance.csv", "trend.csv", "compliance.html", "compliance.xlsx"} <= {
        p.name for p in out.iterdir()
    }
    people = {r["offender_id"]: r for r in rows(out / "compliance.csv")}
    assert people["P003"]["state"] == "due_soon" and people["P003"]["due_date"] == "2026-11-30"
    assert people["P005"]["state"] == "reactive" and people["P007"]["state"] == "suspended"
    assert "P008" not in people  # registered 2026-12-01, after the report date
    run_record = json.loads((out / "report_run.json").read_text())
    assert run_record["as_of"] == "2026-11-20"
    assert set(run_record["input_files"]) >= {"offenders.csv", "officers.csv", "visits.csv"}


def test_tiny_later_date_shows_overdue(tiny_dir: Path, tmp_path: Path):
    """A month later P002 (high, visited 2026-09-20, due 2026-12-20) is overdue by 11 days."""
    out = tmp_path / "rep"
    code, stdout, stderr = run(
        "report",
        "compliance",
        str(tiny_dir),
        "--as-of",
        "2026-12-31",
        "--out",
        str(out),
        "--format",
        "csv",
        "-q",
    )
    assert code == 0, stderr
    assert "warning: --as-of 2026-12-31 is after today" in stderr or date.today() >= date(
        2026, 12, 31
    )
    overdue = {r["offender_id"]: r for r in rows(out / "overdue.csv")}
    assert overdue["P002"]["days_overdue"] == "11"
    assert list(overdue)[0] == "P001"  # very high first (visited 2026-11-01, due 2026-12-01)
    assert not (out / "compliance.html").exists()


def test_roster_plan_vs_actual(tiny_dir: Path, tmp_path: Path):
    """--roster checks planned visits up to the date against the log."""
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "roster.csv").write_text(
        "visit_id,date,start,end,offender_id,officer_ids,risk_level,due_date,days_late,kind\n"
        "V1,2026-11-01,10:00,11:30,P001,TV001;TV002,very_high,2026-11-05,0,announced\n"
        "V2,2026-10-02,18:00,19:00,P003,TV001;TV002,medium,2026-11-30,0,unannounced\n"
        "V3,2026-12-20,10:00,11:00,P002,TV001;TV002,high,2026-12-20,0,announced\n",
        encoding="utf-8",
    )
    out = tmp_path / "rep"
    code, stdout, stderr = run(
        "report",
        "compliance",
        str(tiny_dir),
        "--as-of",
        "2026-11-20",
        "--out",
        str(out),
        "--roster",
        str(plan),
    )
    assert code == 0, stderr
    assert "planned visits up to the date: 2, made 1" in stdout
    checks = {r["visit_id"]: r["outcome"] for r in rows(out / "plan_vs_actual.csv")}
    assert checks == {"V1": "made", "V2": "no access"}
    run_record = json.loads((out / "report_run.json").read_text())
    assert (
        run_record["roster_sha256"]
        == hashlib.sha256((plan / "roster.csv").read_bytes()).hexdigest()
    )
    html = (out / "compliance.html").read_text(encoding="utf-8")
    assert ">Plan against actual</h2>" in html and "no access: 1" in html


def test_bad_roster_is_a_clean_error(tiny_dir: Path, tmp_path: Path):
    """A broken roster.csv gives file, line and column, exit code 2, no traceback."""
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "roster.csv").write_text(
        "visit_id,date,offender_id,risk_level,due_date\nV1,2026-13-01,P001,high,2026-11-05\n",
        encoding="utf-8",
    )
    code, _, stderr = run(
        "report", "compliance", str(tiny_dir), "--out", str(tmp_path / "r"), "--roster", str(plan)
    )
    assert code == 2
    assert "roster.csv:2 date: '2026-13-01' is not a real date" in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "20/11/2026"], "--as-of: '20/11/2026' is not a date"),
        (["--format", "csv,pdf"], "--format: 'csv,pdf' is not valid"),
    ],
)
def test_bad_options_are_clean_errors(
    tiny_dir: Path, tmp_path: Path, args: list[str], message: str
):
    """Bad option values exit 2 with a one-line message and write nothing."""
    code, _, stderr = run(
        "report", "compliance", str(tiny_dir), "--out", str(tmp_path / "r"), *args
    )
    assert code == 2 and message in stderr
    assert not (tmp_path / "r").exists()


def test_missing_data_folder(tmp_path: Path):
    """A data folder that does not exist is reported plainly."""
    code, _, stderr = run(
        "report", "compliance", str(tmp_path / "nope"), "--out", str(tmp_path / "r")
    )
    assert code == 2 and "does not exist" in stderr and "Traceback" not in stderr


def test_help_has_examples():
    """The group and the subcommand both show examples."""
    for args in (["report", "--help"], ["report", "compliance", "--help"]):
        code, stdout, _ = run(*args)
        assert code == 0 and "rso report compliance data/sample" in stdout


@pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason="no data/sample in this checkout")
def test_sample_end_to_end(tmp_path: Path):
    """The embedded sample reports without error and the overdue list agrees with the summary."""
    out = tmp_path / "rep"
    code, stdout, stderr = run(
        "report", "compliance", str(SAMPLE_DIR), "--out", str(out), "--trend", "-q"
    )
    assert code == 0, stderr
    overdue = rows(out / "overdue.csv")
    assert f"overdue {len(overdue)}:" in stdout
    trend = rows(out / "trend.csv")
    assert trend and trend[-1]["overdue"] == str(len(overdue))


@pytest.mark.slow
def test_force_size_report(tmp_path: Path):
    """A force-size synthetic caseload (2,000 people, 60 officers) is reported with trend and all formats."""
    from rso_scheduler.synth import generate, write_dataset

    data = tmp_path / "force"
    write_dataset(data, generate(2000, 60, seed=7, start=date(2026, 11, 23)))
    out = tmp_path / "rep"
    code, stdout, stderr = run(
        "report", "compliance", str(data), "--as-of", "2026-11-22", "--out", str(out), "--trend"
    )
    assert code == 0, stderr
    assert "managed 2000" in stdout
    assert len(rows(out / "compliance.csv")) == 2000
