"""Same inputs and seed, same roster: `rso plan` (optimised and greedy), a long plan planned
month by month, and `rso replan`, each run twice through the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from tests.replan_helpers import as_it_happens

FILES = ("roster.csv", "unscheduled.csv")


def _run(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated team (120 people, 6 officers)."""
    out = tmp_path_factory.mktemp("det") / "data"
    _run(
        "generate", "--offenders", "120", "--officers", "6", "--seed", "5",
        "--start", "2027-01-01", "--as-of", "2026-11-30", "--out", str(out),
    )  # fmt: skip
    return out


def _twice(tmp: Path, *args: str) -> tuple[Path, Path]:
    """Run a command twice into two folders (the last argument after --out is the folder)."""
    a, b = tmp / "a", tmp / "b"
    for out in (a, b):
        _run(*args, "--out", str(out), "--no-maps", "-q")
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    return a, b


@pytest.mark.parametrize("solver", ["optimised", "greedy"])
def test_plan_twice_same_roster(data: Path, tmp_path: Path, solver: str) -> None:
    """`rso plan` twice with the same inputs and seed: byte-identical roster and unscheduled."""
    _twice(
        tmp_path, "plan", str(data), "--month", "2027-01", "--time-limit", "3", "--seed", "7",
        "--solver", solver,
    )  # fmt: skip


def test_long_plan_twice_same_roster(data: Path, tmp_path: Path) -> None:
    """A 45-day plan (two monthly windows) twice: byte-identical roster and unscheduled."""
    _twice(
        tmp_path, "plan", str(data), "--start", "2027-01-01", "--end", "2027-02-14",
        "--time-limit", "2", "--seed", "7",
    )  # fmt: skip


def test_replan_twice_same_roster(data: Path, tmp_path: Path) -> None:
    """`rso replan` twice from the same issued plan and data: byte-identical roster, changes."""
    plan = tmp_path / "plan"
    _run("plan", str(data), "--month", "2027-01", "--out", str(plan), "--time-limit", "3",
         "--no-maps", "-q")  # fmt: skip
    first = (data / "officers.csv").read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    now = as_it_happens(data, plan, date(2027, 1, 11), tmp_path / "now", absent=[first])
    a, b = _twice(tmp_path, "replan", str(plan), str(now), "--from", "2027-01-11",
                  "--time-limit", "3", "--seed", "7")  # fmt: skip
    assert (a / "changes.csv").read_bytes() == (b / "changes.csv").read_bytes()
