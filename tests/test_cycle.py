"""The cycle's joins of issued roster and visit log (cycle.py), and `rso plan --after`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.cycle import (
    LOG_GAP_WARN_DAYS,
    assumed_done,
    assumed_from_run,
    listed,
    log_gap_days,
    log_gap_warning,
    unrecorded,
)
from rso_scheduler.models import Outcome, VisitRecord
from rso_scheduler.outputs.roster_files import RosterRow


def _row(vid: str, pid: str, day: date) -> RosterRow:
    return RosterRow(
        line=2, visit_id=vid, date=day, start_min=600, end_min=660, offender_id=pid,
        officer_ids=("A", "B"), risk_level="high", due_date=day, days_late=0, kind="announced",
    )  # fmt: skip


def _log(pid: str, day: date, outcome: Outcome) -> VisitRecord:
    return VisitRecord(offender_id=pid, date=day, officer_ids=("A", "B"), outcome=outcome)


ISSUED = [
    _row("V00001", "P1", date(2027, 1, 5)),
    _row("V00002", "P2", date(2027, 1, 6)),
    _row("V00003", "P3", date(2027, 1, 7)),
    _row("V00004", "P4", date(2027, 2, 3)),
]


def test_unrecorded_skips_any_logged_outcome_and_later_days() -> None:
    """A visit with any outcome logged, or dated on/after the day, is not unrecorded."""
    log = [
        _log("P1", date(2027, 1, 5), Outcome.completed),
        _log("P2", date(2027, 1, 6), Outcome.no_access),
    ]
    got = unrecorded(ISSUED, log, date(2027, 2, 1))
    assert [r.visit_id for r in got] == ["V00003"]


def test_assumed_done_are_completed_on_the_planned_day() -> None:
    """Assumed visits are completed log entries on their planned day with the planned crew."""
    (v,) = assumed_done(ISSUED, [], date(2027, 1, 6))
    assert (v.offender_id, v.date, v.outcome, v.officer_ids) == (
        "P1", date(2027, 1, 5), Outcome.completed, ("A", "B"),
    )  # fmt: skip


def test_assumed_visits_survive_run_json() -> None:
    """What run.json lists reads back as the same assumed visits (rso check uses it)."""
    rows = unrecorded(ISSUED, [], date(2027, 2, 1))
    back = assumed_from_run({"assumed_done": listed(rows)})
    assert back == assumed_done(ISSUED, [], date(2027, 2, 1))


def test_log_gap_warns_past_the_threshold_only() -> None:
    """A log ending a week before is fine; a day more is warned about, with the count of days."""
    start = date(2027, 2, 1)
    near = [_log("P1", date(2027, 1, 25), Outcome.completed)]
    far = [_log("P1", date(2027, 1, 24), Outcome.completed)]
    assert log_gap_days(near, start) == LOG_GAP_WARN_DAYS
    assert log_gap_warning(near, start) is None
    assert f"{LOG_GAP_WARN_DAYS + 1} days before" in (log_gap_warning(far, start) or "")
    assert log_gap_warning([], start) is None


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small generated team whose log ends 31 December, and its issued January plan."""
    root = tmp_path_factory.mktemp("team")
    data, jan = root / "data", root / "jan"
    code, out, err = _run(
        "generate", "--offenders", "60", "--officers", "4", "--start", "2027-01-01",
        "--as-of", "2026-12-31", "--today", "2026-12-31", "--out", str(data), "-q",
    )  # fmt: skip
    assert code == 0, out + err
    code, out, err = _run(
        "plan", str(data), "--month", "2027-01", "--today", "2026-12-31", "--out", str(jan),
        "--time-limit", "3", "--no-maps", "-q",
    )  # fmt: skip
    assert code == 0, out + err
    return data, jan


def test_plan_after_takes_the_issued_roster_as_made(
    team: tuple[Path, Path], tmp_path: Path
) -> None:
    """February --after January: January's visits count as made, so less is owed and none is late."""
    data, jan = team
    base = [
        "plan",
        str(data),
        "--month",
        "2027-02",
        "--today",
        "2026-12-31",
        "--time-limit",
        "3",
        "--no-maps",
        "-q",
    ]
    code, out, err = _run(*base, "--out", str(tmp_path / "plain"))
    assert code == 0, out + err
    assert "32 days before the period starts" in err
    code, out, err = _run(*base, "--after", str(jan), "--out", str(tmp_path / "after"))
    assert code == 0, out + err
    assert "days before the period" not in err
    plain = json.loads((tmp_path / "plain" / "summary.json").read_text())
    after = json.loads((tmp_path / "after" / "summary.json").read_text())
    run = json.loads((tmp_path / "after" / "run.json").read_text())
    n_jan = sum(1 for _ in (jan / "roster.csv").open()) - 1
    assert plain["assumed_done"] == 0
    assert after["assumed_done"] == n_jan == len(run["assumed_done"]) > 0
    assert after["visits_due"] < plain["visits_due"]
    assert after["late"] <= plain["late"]
    # rso check reads the assumed visits from run.json and agrees with the plan
    code, out, err = _run("check", str(data), str(tmp_path / "after"))
    assert code == 0, out + err


def test_validate_warns_when_the_log_ends_early(team: tuple[Path, Path]) -> None:
    """`rso validate` for February says the log ends 32 days before it."""
    data, _ = team
    code, out, err = _run(
        "validate", str(data), "--today", "2026-12-31", "--month", "2027-02", "-q"
    )
    assert code == 0, out + err
    assert "the log ends on 2026-12-31, 32 days before the period starts" in out
