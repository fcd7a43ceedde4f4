"""`rso plan` and `rso check` end to end through the CLI, into tmp_path."""

from __future__ import annotations

import csv
import dataclasses
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

import rso_scheduler.solver as solvers
from rso_scheduler.cli import main
from rso_scheduler.errors import OutputError
from tests.conftest import SAMPLE_DIR

EXPECTED = {
    "roster.csv",
    "unscheduled.csv",
    "summary.json",
    "run.json",
    "crews.csv",
    "day_sheets",
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def plan_greedy_january(data_dir: Path, out: Path) -> tuple[int, str]:
    """`rso plan` of January 2027 with the greedy baseline, no maps, quietly."""
    return run(
        "plan", str(data_dir), "--month", "2027-01", "--out", str(out),
        "--solver", "greedy", "--no-maps", "--quiet",
    )  # fmt: skip


def assert_private(out: Path) -> None:
    assert {p.name for p in out.iterdir()} >= EXPECTED
    for p in out.rglob("*"):
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), p


@pytest.mark.parametrize("solver", ["greedy", "optimised"])
def test_plan_tiny_then_check(tiny_dir: Path, tmp_path: Path, solver: str) -> None:
    """Planning the tiny folder writes private files that pass `rso check`."""
    out = tmp_path / "out"
    code, text = run(
        "plan",
        str(tiny_dir),
        "--month",
        "2027-01",
        "--out",
        str(out),
        "--solver",
        solver,
        "--time-limit",
        "5",
        "--no-maps",
        "--quiet",
    )
    assert code == 0, text
    assert "visits owed" in text and "Check: no violations." in text and str(out.resolve()) in text
    assert_private(out)
    code, text = run("check", str(tiny_dir), str(out))
    assert code == 0 and text.startswith("no violations"), text  # fmt: skip


def test_every_crew_day_says_why(tiny_dir: Path, tmp_path: Path) -> None:
    """crews.csv gives every crew-day a reason, and each crew-day map page shows it, also when
    `rso map` redraws the maps from the plan folder."""
    out = tmp_path / "out"
    code, text = run(
        "plan", str(tiny_dir), "--month", "2027-01", "--out", str(out), "--time-limit", "5",
        "--quiet",
    )  # fmt: skip
    assert code == 0, text
    with (out / "crews.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["formed_because"] for r in rows)
    busy = [r for r in rows if int(r["visits"]) > 0]
    assert busy
    for again in (False, True):
        if again:
            code, text = run("map", str(out), "--data", str(tiny_dir))
            assert code == 0, text
        pages = sorted((out / "maps").glob("2027-*/*.html"))
        assert len(pages) == len(busy)
        assert all("Why this crew: " in p.read_text() for p in pages)


@pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason="data/sample is not present")
@pytest.mark.parametrize("solver", ["greedy", "optimised"])
def test_plan_sample(tmp_path: Path, solver: str) -> None:
    """The sample data plans and passes its own check (tiny time limit for the optimiser)."""
    out = tmp_path / "out"
    code, text = run(
        "plan",
        str(SAMPLE_DIR),
        "--month",
        "2027-01",
        "--out",
        str(out),
        "--solver",
        solver,
        "--time-limit",
        "5",
        "--no-maps",
        "--quiet",
    )
    assert code == 0, text
    assert_private(out)
    with (out / "roster.csv").open() as fh:
        assert len(list(csv.reader(fh))) > 50  # fmt: skip


def test_check_fails_on_tampered_roster(tiny_dir: Path, tmp_path: Path) -> None:
    """Moving one visit to a Sunday and editing an officer are both caught by `rso check`."""
    out = tmp_path / "out"
    assert plan_greedy_january(tiny_dir, out)[0] == 0
    roster = out / "roster.csv"
    lines = roster.read_text().splitlines()
    cells = lines[1].split(",")
    cells[1] = "2027-01-10"  # a Sunday
    lines[1] = ",".join(cells)
    roster.write_text("\n".join(lines) + "\n")
    code, text = run("check", str(tiny_dir), str(out))
    assert code == 1
    assert "[officer_working]" in text and "violation" in text  # fmt: skip


def test_plan_that_fails_its_check_exits_nonzero(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A planner bug (a visit moved onto a weekend) is reported and the command fails."""
    real = solvers.greedy_plan

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real(*args, **kwargs)
        result.visits[0] = dataclasses.replace(result.visits[0], date=date(2027, 1, 9))
        return result

    monkeypatch.setattr(solvers, "greedy_plan", broken)
    code, text = plan_greedy_january(tiny_dir, tmp_path / "out")
    assert code == 1
    assert "FAILED its own check" in text and "[officer_working]" in text  # fmt: skip


def test_failure_mid_write_leaves_out_untouched(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If writing fails part-way, the previous contents of OUT stay exactly as they were."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "roster.csv").write_text("the previous roster\n")

    def fail(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise OutputError("disk full while writing day sheets")

    import rso_scheduler.outputs.roster_files as rf

    monkeypatch.setattr(rf, "write_day_sheets", fail)
    code, text = plan_greedy_january(tiny_dir, out)
    assert code == 1 and "disk full" in text and "Traceback" not in text
    assert [p.name for p in out.iterdir()] == ["roster.csv"]  # no manifest: nothing moved
    assert (out / "roster.csv").read_text() == "the previous roster\n"
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []  # fmt: skip


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--month", "2027-13"], "not a month"),
        (["--month", "2027-01", "--start", "2027-01-01", "--end", "2027-01-02"], "not both"),
        (["--start", "2027-01-05"], "together"),
        (["--start", "2027-01-05", "--end", "2027-01-01"], "before"),
        (["--start", "5 Jan", "--end", "2027-01-09"], "expected YYYY-MM-DD"),
        (["--start", "2027-01-01", "--end", "2031-12-31"], "at most 366 days"),
    ],
)
def test_bad_period_options(tiny_dir: Path, tmp_path: Path, args: list[str], words: str) -> None:
    """Bad period options give exit code 2 and a message saying what is expected."""
    code, text = run(
        "plan", str(tiny_dir), *args, "--out", str(tmp_path / "out"), "--solver", "greedy"
    )
    assert code == 2 and words in text


def test_run_record_and_period_option(tiny_dir: Path, tmp_path: Path) -> None:
    """--start/--end plans that period; run.json records it, the data folder and the options."""
    import json

    out = tmp_path / "out"
    code, text = run(
        "plan",
        str(tiny_dir),
        "--start",
        "2027-01-04",
        "--end",
        "2027-01-08",
        "--out",
        str(out),
        "--solver",
        "greedy",
        "--seed",
        "3",
        "--work-bank-holidays",
        "--no-maps",
        "--quiet",
    )
    assert code == 0, text
    rec = json.loads((out / "run.json").read_text())
    assert (rec["plan_start"], rec["plan_end"], rec["seed"], rec["work_bank_holidays"]) == (
        "2027-01-04",
        "2027-01-08",
        3,
        True,
    )
    assert rec["data_dir"] == str(tiny_dir.resolve()) and rec["solver"] == "greedy"
    assert set(rec["input_files"]) >= {"offenders.csv", "officers.csv"}
    code, text = run("check", str(tiny_dir), str(out))
    assert code == 0, text  # fmt: skip


def test_check_reports_changed_inputs(tiny_dir: Path, tmp_path: Path) -> None:
    """Checking a roster against a data folder that changed since planning says so."""
    out = tmp_path / "out"
    assert plan_greedy_january(tiny_dir, out)[0] == 0
    with (tiny_dir / "absences.csv").open("a") as fh:
        fh.write("TV001,2027-03-01,2027-03-02,training\n")
    code, text = run("check", str(tiny_dir), str(out))
    assert code == 1 and "absences.csv has changed" in text  # fmt: skip


@pytest.mark.parametrize("solver", ["greedy", "optimised"])
def test_validate_and_plan_agree_on_the_owed_count(
    tiny_dir: Path, tmp_path: Path, solver: str
) -> None:
    """`rso validate` and `rso plan` give one count of visits owed, per risk level too."""
    import json

    code, out = run(
        "validate", str(tiny_dir), "--today", "2026-11-20", "--month", "2027-01", "--json", "-q"
    )
    assert code == 0, out
    owed = json.loads(out)["month"]["owed_by_risk"]
    code, out = run(
        "plan", str(tiny_dir), "--month", "2027-01", "--out", str(tmp_path / "p"),
        "--solver", solver, "--no-maps", "--quiet", "--time-limit", "5",
    )  # fmt: skip
    assert code == 0, out
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["visits_due"] == sum(r["visits"] for r in owed.values())
    for risk, row in owed.items():
        assert summary["by_risk"][risk]["visits_due"] == row["visits"], risk
    with (tmp_path / "p" / "roster.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert any(int(r["days_late"]) > 0 for r in rows)
    for r in rows:  # a late visit says why; an on-time one has nothing to explain
        assert bool(r["late_reason"]) == (int(r["days_late"]) > 0), r["visit_id"]


def test_check_reports_an_owed_visit_in_neither_file(tiny_dir: Path, tmp_path: Path) -> None:
    """Deleting an unscheduled row (a silent drop) is an error of `rso check`, never 'no violations'."""
    out = tmp_path / "p"
    code, text = plan_greedy_january(tiny_dir, out)
    assert code in (0, 1), text
    lines = (out / "unscheduled.csv").read_text().splitlines()
    assert len(lines) > 1, "the tiny folder leaves something unscheduled"
    (out / "unscheduled.csv").write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    code, text = run("check", str(tiny_dir), str(out))
    assert code == 1
    assert "[missing]" in text and "in neither" in text
