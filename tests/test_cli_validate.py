"""`rso validate` end to end: the summary of a good folder, --json, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from tests.conftest import SAMPLE_DIR

BAD = Path(__file__).parent / "data" / "bad"


def run(*args: str) -> object:
    return CliRunner().invoke(main, ["validate", *args])


def test_summary_of_tiny_folder(tiny_dir: Path) -> None:
    """The text summary lists files, people by risk and status, officers by area and the month."""
    result = run(str(tiny_dir), "--today", "2026-11-20", "--month", "2027-01", "-q")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "offenders.csv   8 rows" in out and "visits.csv      3 rows" in out
    assert "People: 8" in out and "Officers: 4" in out
    assert "Reading                  2" in out and "Slough                   2" in out
    assert "Period 2027-01-01 to 2027-01-31" in out
    # P008 registered 2026-12-01, after --today: flagged, not blocking
    assert "registered_on is in the future" in out
    assert result.stderr == ""


def test_json_numbers_of_tiny_folder(tiny_dir: Path) -> None:
    """--json gives the figures, checked here by hand from the conftest data for January 2027."""
    result = run(str(tiny_dir), "--today", "2026-11-20", "--month", "2027-01", "--json", "-q")
    assert result.exit_code == 0, result.output
    s = json.loads(result.stdout)
    assert s["today"] == "2026-11-20"
    assert s["people"]["total"] == 8
    people = s["people"]["by_risk_and_status"]
    assert people["low"] == {"active": 1, "reactive": 1, "custody": 0, "hospital": 0, "abroad": 0}
    assert people["medium"]["custody"] == 1 and people["very_high"]["active"] == 2
    assert s["officers"]["by_area"] == {"Reading": 2, "Slough": 2}
    m = s["month"]
    assert m["bank_holidays"] == {"2027-01-01": "New Year's Day"}
    # The one count: each visit made on its due date, or the first day after it that some
    # officer is on duty (1 January is a bank holiday, 2-3 January a weekend: Monday the 4th).
    # P001 (last visit 2026-11-01, 30 days) due 12-01, made 01-04, next due 02-03: 1 visit;
    # P008 (registered 12-01, 14 days, every 7) due 12-15, made 01-04, then 01-11, 18, 25: 4.
    assert m["owed_by_risk"]["very_high"] == {"people": 2, "visits": 5, "overdue_at_start": 2}
    # Jan 2027 has 21 weekdays, one a bank holiday: TV001 and TV002 work 20 days each,
    # TV003 (Mon-Thu) 16, TV004 20 less a 5-day absence = 15: 71 days of 8 hours.
    assert m["officer_days_available"] == 71
    assert m["officer_hours_available"] == 568.0
    assert m["owed_total"]["people"] == sum(r["people"] for r in m["owed_by_risk"].values())
    assert [f["name"] for f in s["files"]] == [
        "offenders.csv",
        "officers.csv",
        "absences.csv",
        "visits.csv",
    ]


def test_default_month_is_the_one_after_today(tiny_dir: Path) -> None:
    """Without --month the summary covers the calendar month after --today."""
    result = run(str(tiny_dir), "--today", "2026-12-31", "--json", "-q")
    assert result.exit_code == 0, result.output
    m = json.loads(result.stdout)["month"]
    assert (m["start"], m["end"]) == ("2027-01-01", "2027-01-31")


def test_bad_folder_exits_2_with_problems_on_stderr() -> None:
    """A broken folder gives exit 2, every problem on stderr and nothing on stdout."""
    result = run(str(BAD / "policy_and_csv_together"), "--today", "2026-11-20")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "offenders.csv:2 risk_level: 'extreme' is not one of" in result.stderr
    assert "policy.toml:2 travel.speed_kmh:" in result.stderr
    assert "2 problems found" in result.stderr
    assert "Traceback" not in result.output


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    """A data folder that does not exist is a one-line error, exit 1."""
    result = run(str(tmp_path / "nowhere"), "-q")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--today", "20/11/2026"], "--today: '20/11/2026' is not a date; expected YYYY-MM-DD"),
        (["--month", "2027-13"], "--month: '2027-13' is not a month; expected YYYY-MM"),
        (["--month", "January"], "--month: 'January' is not a month; expected YYYY-MM"),
    ],
)
def test_bad_options(tiny_dir: Path, args: list[str], needle: str) -> None:
    """Bad --today / --month values are refused with exit 2 and say what is expected."""
    result = run(str(tiny_dir), *args, "-q")
    assert result.exit_code == 2
    assert needle in result.stderr


@pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason="data/sample not generated yet")
def test_sample_folder_validates() -> None:
    """The embedded sample data is valid; the JSON totals agree with the files."""
    result = run(str(SAMPLE_DIR), "--json", "-q")
    assert result.exit_code == 0, result.output
    s = json.loads(result.stdout)
    rows = {f["name"]: f["rows"] for f in s["files"]}
    lines = (SAMPLE_DIR / "offenders.csv").read_text(encoding="utf-8-sig").strip().splitlines()
    assert rows["offenders.csv"] == len(lines) - 1 == s["people"]["total"]
    by = s["people"]["by_risk_and_status"]
    assert sum(sum(r.values()) for r in by.values()) == s["people"]["total"]
    assert sum(s["officers"]["by_area"].values()) == s["officers"]["total"]
    assert s["month"]["officer_days_available"] > 0
    text = run(str(SAMPLE_DIR), "-q")
    assert text.exit_code == 0 and "People:" in text.stdout


def test_start_end_owes_what_the_plan_of_that_period_owes(tiny_dir: Path, tmp_path: Path) -> None:
    """`validate --start/--end` summarises the period `rso plan` plans (make run's four weeks)."""
    period = ["--today", "2026-11-20", "--start", "2026-12-07", "--end", "2027-01-03"]
    result = run(str(tiny_dir), *period, "--json", "-q")
    assert result.exit_code == 0, result.output
    month = json.loads(result.stdout)["month"]
    assert (month["start"], month["end"]) == ("2026-12-07", "2027-01-03")
    out = tmp_path / "plan"
    planned = CliRunner().invoke(
        main,
        [
            "plan",
            str(tiny_dir),
            *period,
            "--solver",
            "greedy",
            "--no-maps",
            "-q",
            "--out",
            str(out),
        ],
    )
    assert planned.exit_code == 0, planned.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert month["owed_total"]["visits"] == summary["visits_due"]


def test_start_end_are_checked_as_in_plan(tiny_dir: Path) -> None:
    """--month with --start, or --start alone, is a usage error (exit 2), as for rso plan."""
    both = run(
        str(tiny_dir),
        "--today",
        "2026-11-20",
        "--month",
        "2027-01",
        "--start",
        "2027-01-04",
        "--end",
        "2027-01-10",
    )
    assert both.exit_code == 2 and "either --month or --start/--end" in both.output
    alone = run(str(tiny_dir), "--today", "2026-11-20", "--start", "2027-01-04")
    assert alone.exit_code == 2 and "must be given together" in alone.output
