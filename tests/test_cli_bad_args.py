"""Every command given a folder that is not there: exit 2 (bad input), one line, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main

CASES = [
    (["validate", "{missing}"], "data folder"),
    (["plan", "{missing}", "--month", "2027-01", "--out", "{out}"], "data folder"),
    (["check", "{missing}", "{out}"], "data folder"),
    (["check", "{data}", "{missing}"], "roster.csv is missing"),
    (["report", "compliance", "{missing}", "--out", "{out}"], "data folder"),
    (["report", "compliance", "{data}", "--out", "{out}", "--roster", "{missing}"], "no roster"),
    (["map", "{missing}"], "no roster.csv"),
]


@pytest.mark.parametrize(("args", "words"), CASES)
def test_missing_folder_is_bad_input(
    tiny_dir: Path, tmp_path: Path, args: list[str], words: str
) -> None:
    """A missing data or plan folder exits 2 with a one-line message naming it."""
    missing = tmp_path / "not-there"
    out = tmp_path / "out"
    argv = [a.format(missing=missing, out=out, data=tiny_dir) for a in args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and words in errors[0] and "not-there" in errors[0], result.output
    assert not out.exists() and not missing.exists()


FAR_DATES = [
    (["report", "compliance", "{data}", "--as-of", "9999-12-31", "--trend", "--out", "{out}"]),
    (["generate", "--start", "9999-12-01", "--out", "{out}"]),
    (["generate", "--start", "0001-01-01", "--as-of", "0001-01-01", "--out", "{out}"]),
    (["plan", "{data}", "--start", "9999-12-01", "--end", "9999-12-31", "--out", "{out}"]),
    (["plan", "{data}", "--month", "0001-01", "--out", "{out}"]),
    (["validate", "{data}", "--today", "0001-01-01"]),
    (["scenario", "run", "{scenario}", "--today", "9999-01-01", "--out", "{out}"]),
]


@pytest.mark.parametrize("args", FAR_DATES, ids=lambda a: " ".join(a[:2]))
def test_far_off_option_dates_are_refused(tiny_dir: Path, tmp_path: Path, args: list[str]) -> None:
    """Year 1 or 9999 in an option: a one-line usage error (it used to overflow into a traceback)."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'name = "s"\ndata = "{tiny_dir}"\n', encoding="utf-8")
    out = tmp_path / "out"
    argv = [a.format(data=tiny_dir, out=out, scenario=scenario) for a in args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, OverflowError)
    assert not out.exists()


def test_far_off_dates_in_data_and_scenario_are_located(tiny_dir: Path, tmp_path: Path) -> None:
    """9999-12-30 in offenders.csv or a scenario's start: a located problem, not an overflow."""
    offenders = tiny_dir / "offenders.csv"
    text = offenders.read_text(encoding="utf-8")
    offenders.write_text(text.replace("2016-05-10", "9999-12-30"), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tiny_dir), "-q"])
    assert result.exit_code == 2, result.output
    assert "offenders.csv:3 registered_on: '9999-12-30' is not a plausible date" in result.output
    scenario = tmp_path / "far.toml"
    scenario.write_text(f'name = "s"\ndata = "{tiny_dir}"\nstart = 9999-11-01\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["scenario", "run", str(scenario), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "far.toml:3 start:" in result.output and "Traceback" not in result.output
    assert "value error" not in result.output.lower()


def test_a_bug_is_one_line_without_data(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception: exit 70 and one line naming its type, never its text or a trace."""
    import rso_scheduler.ingest as ingest

    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("51.45501,-0.97001")

    monkeypatch.setattr(ingest, "load_dataset", broken)
    monkeypatch.delenv("RSO_DEBUG", raising=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["plan", str(tiny_dir), "--month", "2027-01", "--out", str(out)]
    )
    assert result.exit_code == 70, result.output
    assert "internal error (KeyError at test_cli_bad_args.py" not in result.output
    assert "internal error (KeyError" in result.output
    assert "51.455" not in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_absurd_intervals_are_located_input_problems(tiny_dir: Path) -> None:
    """Intervals of millions of days (policy or per person) are refused, not overflowed."""
    (tiny_dir / "policy.toml").write_text(
        "[risk.high]\ninterval_days = 99999999\n[visits]\nfirst_visit_days = 4000\n",
        encoding="utf-8",
    )
    offenders = tiny_dir / "offenders.csv"
    text = offenders.read_text(encoding="utf-8")
    offenders.write_text(text.replace("2016-05-10,,", "2016-05-10,99999999,"), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tiny_dir), "-q"])
    assert result.exit_code == 2, result.output
    assert "policy.toml:2 risk.high.interval_days: 99999999" in result.output
    assert "policy.toml:4 visits.first_visit_days: 4000" in result.output
    assert "offenders.csv:3 visit_interval_days: '99999999' days is too long" in result.output


def test_empty_optional_file_is_no_rows(tiny_dir: Path) -> None:
    """An empty absences.csv or visits.csv (nothing to export) is read as no rows, with a warning."""
    (tiny_dir / "absences.csv").write_text("", encoding="utf-8")
    (tiny_dir / "visits.csv").write_text("\n\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tiny_dir), "-q"])
    assert result.exit_code == 0, result.output
    assert "absences.csv: is empty; read as no rows" in result.output
    assert "visits.csv: is empty; read as no rows" in result.output
    (tiny_dir / "offenders.csv").write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tiny_dir), "-q"])
    assert result.exit_code == 2 and "offenders.csv: is empty" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--seed", "-1", "--offenders", "20", "--officers", "2", "--out", "{out}"],
        [
            "plan",
            "{data}",
            "--month",
            "2027-01",
            "--seed",
            "99999999999999999999",
            "--out",
            "{out}",
        ],
    ],
    ids=["generate negative", "plan huge"],
)
def test_seed_out_of_range_is_a_usage_error(
    tiny_dir: Path, tmp_path: Path, args: list[str]
) -> None:
    """Seeds numpy or OR-Tools cannot take are refused up front (they crashed deep inside)."""
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [a.format(data=tiny_dir, out=out) for a in args])
    assert result.exit_code == 2 and "--seed" in result.output, result.output
    assert "internal error" not in result.output and not out.exists()


def test_unreadable_policy_is_a_located_problem(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """policy.toml that cannot be read (permissions): a problem line, not an internal error."""
    import rso_scheduler.input.files as files

    (tiny_dir / "policy.toml").write_text("[visits]\nfirst_visit_days = 14\n", encoding="utf-8")
    real = files.os.open

    def refuse(path: object, flags: int, *args: object) -> int:
        if Path(str(path)).name == "policy.toml":
            raise PermissionError(13, "Permission denied")
        return real(path, flags, *args)  # type: ignore[arg-type]

    # every input is opened by input.files (os.open, non-blocking), not Path.read_bytes
    monkeypatch.setattr(files.os, "open", refuse)
    result = CliRunner().invoke(main, ["validate", str(tiny_dir), "-q"])
    assert result.exit_code == 2, result.output
    assert "policy.toml: cannot be read: Permission denied" in result.output


def test_data_warnings_survive_quiet(tiny_dir: Path, tmp_path: Path) -> None:
    """--quiet hides progress, never warnings about the data (plan and scenario run)."""
    offenders = tiny_dir / "offenders.csv"
    lines = offenders.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",colour"] + [line + ",red" for line in lines[1:]]
    offenders.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = ["plan", str(tiny_dir), "--month", "2027-01", "--solver", "greedy", "--no-maps", "-q"]
    result = CliRunner().invoke(main, [*plan, "--out", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "warning: offenders.csv: unknown column(s) ignored: 'colour'" in result.output
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'name = "s"\ndata = "{tiny_dir}"\nmonths = 1\n', encoding="utf-8")
    run = ["scenario", "run", str(scenario), "--planner", "greedy", "-j", "1", "-q"]
    result = CliRunner().invoke(main, [*run, "--today", "2026-11-20", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "unknown column(s) ignored: 'colour'" in result.output


def test_scenario_name_with_terminal_escape_is_refused(tiny_dir: Path, tmp_path: Path) -> None:
    """A scenario name carrying an ANSI escape (printed in the comparison) is a located problem."""
    scenario = tmp_path / "esc.toml"
    scenario.write_text(f'name = "a\\u001b[2Jb"\ndata = "{tiny_dir}"\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["scenario", "run", str(scenario), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "esc.toml:1 name:" in result.output and "control characters" in result.output
    assert "\x1b" not in result.output


def test_spreadsheet_date_time_gets_a_hint(tiny_dir: Path) -> None:
    """A date exported as a date-time says what to change, not just 'not a date'."""
    offenders = tiny_dir / "offenders.csv"
    text = offenders.read_text(encoding="utf-8")
    offenders.write_text(text.replace("2026-11-01", "2026-11-01 00:00:00", 1), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tiny_dir), "-q"])
    assert result.exit_code == 2
    assert (
        "offenders.csv:2 last_visit_date: '2026-11-01 00:00:00' is not a date but a date and time"
        in result.output
    )


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_time_limit_must_be_finite(tiny_dir: Path, tmp_path: Path, value: str) -> None:
    """--time-limit nan/inf is refused (it was accepted and written to summary.json as NaN)."""
    out = tmp_path / "out"
    args = ["plan", str(tiny_dir), "--month", "2027-01", "--time-limit", value, "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "--time-limit" in result.output, result.output
    assert not out.exists()
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'name = "s"\ndata = "{tiny_dir}"\n', encoding="utf-8")
    args = ["scenario", "run", str(scenario), "--time-limit", value, "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "--time-limit" in result.output, result.output


def test_csv_that_breaks_part_way_gives_one_problem(tiny_dir: Path) -> None:
    """A CSV the reader gives up on (a 200 kB cell) is one problem, not a cascade of unknown ids."""
    officers = tiny_dir / "officers.csv"
    text = officers.read_text(encoding="utf-8").replace("Officer A", '"' + "A" * 200_000 + '"')
    officers.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tiny_dir), "-q"])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if "officers.csv" in line]
    assert len(errors) == 1 and "is not readable as CSV" in errors[0], result.output
    assert "1 problem found" in result.output


# Cases broken only relative to "today" are left to test_bad_inputs, which fixes today's date.
_DEPENDS_ON_TODAY = {"last_visit_in_future", "completed_visit_in_future"}
BAD_CASES = sorted(
    p
    for p in (Path(__file__).parent / "data" / "bad").iterdir()
    if p.is_dir() and p.name not in _DEPENDS_ON_TODAY
)


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda p: p.name)
def test_every_broken_folder_stops_plan_and_report(case: Path, tmp_path: Path) -> None:
    """plan and report on each broken folder: exit 2, no traceback, nothing written."""
    for args in (
        ["plan", str(case), "--month", "2027-01", "--solver", "greedy", "-q"],
        ["report", "compliance", str(case), "--as-of", "2026-11-20", "-q"],
    ):
        out = tmp_path / args[0]
        result = CliRunner().invoke(main, [*args, "--out", str(out)])
        assert result.exit_code == 2, (args[0], result.output)
        assert "Traceback" not in result.output and "internal error" not in result.output
        assert "nothing was written" in result.output
        assert not out.exists()
