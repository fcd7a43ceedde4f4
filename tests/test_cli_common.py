"""What every command shares, through the CLI: `--today DATE` and no silent default data folder."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.commands.common import TODAY_HELP
from tests.test_cli import _leaf

# Every command that checks dates against today or derives a default from it.
TODAY_COMMANDS = [
    ("validate",),
    ("plan",),
    ("check",),
    ("map",),
    ("report", "compliance"),
    ("scenario", "run"),
    ("scenario", "capacity"),
    ("generate",),
]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def plan_greedy(data_dir: Path, out: Path, *extra: str) -> tuple[int, str]:
    """`rso plan` with the greedy baseline, no maps, quietly."""
    return run(
        "plan", str(data_dir), "--out", str(out), "--solver", "greedy", "--no-maps", "-q", *extra
    )


@pytest.mark.parametrize("path", TODAY_COMMANDS, ids=" ".join)
def test_today_option_is_the_same_everywhere(path: tuple[str, ...]) -> None:
    """Each command has one `--today DATE` option with the shared help text."""
    [opt] = [p for p in _leaf(path).params if "--today" in getattr(p, "opts", [])]
    assert isinstance(opt, click.Option)
    assert opt.opts == ["--today"] and opt.metavar == "DATE"
    assert opt.help is not None and opt.help.startswith(TODAY_HELP)


@pytest.mark.parametrize("path", TODAY_COMMANDS, ids=" ".join)
def test_bad_today_is_the_same_usage_error_everywhere(path: tuple[str, ...]) -> None:
    """`--today 5/1/2027` stops every command with exit 2 and the same one-line message."""
    code, text = run(*path, "--today", "5/1/2027")  # parsed first: before any missing argument
    assert code == 2, text
    assert "--today: '5/1/2027' is not a date; expected YYYY-MM-DD" in text
    assert "Traceback" not in text


def test_completed_visit_after_today_is_refused_by_plan(tiny_dir: Path, tmp_path: Path) -> None:
    """The tiny log has a completed visit on 2026-11-01: with --today 2026-10-15 plan refuses it."""
    out = tmp_path / "out"
    code, text = plan_greedy(tiny_dir, out, "--month", "2027-01", "--today", "2026-10-15")
    assert code == 2, text
    assert "visits.csv:2" in text and "after today (2026-10-15)" in text
    assert not out.exists()


def test_completed_visit_after_today_is_refused_by_validate(tiny_dir: Path) -> None:
    """`rso validate --today` applies the same date to the data."""
    code, text = run("validate", str(tiny_dir), "--today", "2026-10-15", "-q")
    assert code == 2 and "after today (2026-10-15)" in text, text
    code, text = run("validate", str(tiny_dir), "--today", "2026-11-20", "-q")
    assert code == 0, text


def test_today_sets_the_default_month_and_is_recorded(tiny_dir: Path, tmp_path: Path) -> None:
    """Without --month, plan covers the month after --today, and run.json records that today."""
    out = tmp_path / "out"
    code, text = plan_greedy(tiny_dir, out, "--today", "2027-02-10")
    assert code == 0, text
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["today"] == "2027-02-10"
    assert (run_json["plan_start"], run_json["plan_end"]) == ("2027-03-01", "2027-03-31")


def test_validate_default_month_follows_today(tiny_dir: Path) -> None:
    """`rso validate --today` summarises the month after it."""
    code, text = run("validate", str(tiny_dir), "--today", "2027-03-05", "--json", "-q")
    assert code == 0, text
    summary = json.loads(text[text.index("{") :])
    assert summary["today"] == "2027-03-05" and summary["month"]["start"] == "2027-04-01"


def test_check_reads_the_data_as_of_the_plans_today(tiny_dir: Path, tmp_path: Path) -> None:
    """`rso check` takes the data as of the today in run.json unless --today says otherwise."""
    out = tmp_path / "out"
    code, text = plan_greedy(tiny_dir, out, "--month", "2027-01", "--today", "2026-11-05")
    assert code == 0, text
    code, text = run("check", str(tiny_dir), str(out))
    assert code == 0 and text.startswith("no violations"), text
    with (tiny_dir / "visits.csv").open("a", encoding="utf-8") as fh:
        fh.write("P004,2026-11-10,10:00,TV001;TV002,completed,announced\n")
    code, text = run("check", str(tiny_dir), str(out))
    assert code == 2 and "after today (2026-11-05)" in text, text
    # Today given: the visit is known, and the changed log is what the checker reports.
    code, text = run("check", str(tiny_dir), str(out), "--today", "2026-11-30")
    assert code == 1 and "differ from those the plan was made from" in text, text


def test_report_as_of_defaults_to_today(tiny_dir: Path, tmp_path: Path) -> None:
    """`rso report compliance --today D` reports as of D and records it in report_run.json."""
    out = tmp_path / "report"
    code, text = run(
        "report", "compliance", str(tiny_dir), "--today", "2026-12-20", "--out", str(out),
        "--format", "csv", "-q",
    )  # fmt: skip
    assert code == 0, text
    assert "Compliance as of 2026-12-20" in text
    record = json.loads((out / "report_run.json").read_text())
    assert record["today"] == "2026-12-20" and record["as_of"] == "2026-12-20"
    code, text = run(
        "report", "compliance", str(tiny_dir), "--today", "2026-10-15", "--out", str(out), "-q"
    )
    assert code == 2 and "after today (2026-10-15)" in text, text


def test_scenario_without_start_begins_the_month_after_today(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """A scenario with no start date is planned from the 1st of the month after --today."""
    scenario = tmp_path / "base.toml"
    scenario.write_text(f'name = "Base"\ndata = "{tiny_dir}"\nmonths = 1\n', encoding="utf-8")
    out = tmp_path / "scen"
    code, text = run(
        "scenario", "run", str(scenario), "--out", str(out), "--planner", "greedy",
        "--today", "2027-01-20", "-q",
    )  # fmt: skip
    assert code == 0, text
    with (out / "months.csv").open(encoding="utf-8") as fh:
        [month] = list(csv.DictReader(fh))
    assert month["plan_start"] == "2027-02-01"


def test_generate_counts_its_defaults_from_today(tmp_path: Path) -> None:
    """`rso generate --today` sets the default --start, and --as-of may not be after it."""
    code, text = run("generate", "--offenders", "30", "--officers", "2", "--today", "2026-06-10",
                     "--out", str(tmp_path / "d"))  # fmt: skip
    assert code == 0 and "plan start 2026-07-01" in text, text
    code, text = run("generate", "--today", "2026-06-10", "--as-of", "2026-06-11",
                     "--out", str(tmp_path / "e"))  # fmt: skip
    assert code == 2 and "after today (2026-06-10)" in text, text


def test_generate_says_when_its_log_stops_before_the_plan(tmp_path: Path) -> None:
    """--start weeks after --today: the days with no logged visits are named, not left silent."""
    code, text = run("generate", "--offenders", "30", "--officers", "2", "--today", "2026-12-01",
                     "--start", "2027-01-01", "--out", str(tmp_path / "d"))  # fmt: skip
    assert code == 0, text
    assert "no visit is logged on the 30 days from 2026-12-02 to 2026-12-31" in text, text
    code, text = run("generate", "--offenders", "30", "--officers", "2", "--today", "2026-12-31",
                     "--start", "2027-01-01", "--out", str(tmp_path / "e"))  # fmt: skip
    assert code == 0 and "no visit is logged" not in text, text


# --- no silent default data folder ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "example"),
    [
        (["validate"], "rso validate data/sample"),
        (["plan", "--out", "{out}"], "rso plan data/sample --out out"),
        (
            ["report", "compliance", "--out", "{out}"],
            "rso report compliance data/sample --out out/compliance",
        ),
    ],
    ids=["validate", "plan", "report compliance"],
)
def test_no_data_dir_and_no_offenders_here_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], example: str
) -> None:
    """Without DATA_DIR, in a folder with no offenders.csv, the command stops (exit 2) and says how."""
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    out = tmp_path / "out"
    code, text = run(*[a.format(out=out) for a in args])
    assert code == 2, text
    assert "no data folder given and the current folder" in text and "has no offenders.csv" in text
    assert f"`{example}`" in text and "Traceback" not in text
    assert not out.exists()


def test_no_data_dir_uses_the_current_folder(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without DATA_DIR, a folder holding offenders.csv is the data folder (not the sample)."""
    monkeypatch.chdir(tiny_dir)
    code, text = run("validate", "--today", "2026-11-20", "-q")
    assert code == 0, text
    assert f"Data folder: {tiny_dir}" in text and "People: 8" in text
    out = tmp_path / "out"
    code, text = run("plan", "--month", "2027-01", "--out", str(out), "--solver", "greedy",
                     "--no-maps", "-q")  # fmt: skip
    assert code == 0, text
    assert json.loads((out / "run.json").read_text())["data_dir"] == str(tiny_dir.resolve())
