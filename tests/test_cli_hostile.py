"""Hostile and unlucky inputs end to end (issue #10): nothing leaks, nothing of the user's is lost."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.redact import may_be_coordinate
from tests.conftest import TINY_OFFENDERS, TINY_OFFICERS, write_data_dir

BAD = Path(__file__).parent / "data" / "bad"
RUN_TOGETHER = BAD / "header_runs_into_first_row"
INPUT_COORDINATES = ("51.4550", "-0.9700", "51.455", "-0.970", "51.46", "-0.97", "51.45")


def invoke(*args: str) -> tuple[int, str]:
    """Run the CLI; (exit code, stdout and stderr together)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def no_coordinate(text: str) -> None:
    for c in INPUT_COORDINATES:
        assert c not in text, f"coordinate {c} leaked:\n{text}"
    assert "Traceback" not in text


def scenario_file(folder: Path, data: Path, body: str = "") -> Path:
    path = folder / "s.toml"
    text = f'name = "s"\ndata = "{data}"\nstart = "2027-01-01"\nmonths = 1\n{body}'
    path.write_text(text, encoding="utf-8")
    return path


def plan(data: Path, out: Path, *extra: str) -> tuple[int, str]:
    return invoke(
        "plan", str(data), "--month", "2027-01", "--out", str(out), "--solver", "greedy",
        "--time-limit", "5", *extra,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["validate", "validate-json", "plan-q", "scenario"])
def test_header_run_into_the_first_row_is_refused_without_echoing_it(
    tmp_path: Path, command: str
) -> None:
    """A lost newline after the header: exit 2 from every command, no coordinate printed."""
    data = tmp_path / "data"
    shutil.copytree(RUN_TOGETHER, data)
    out = tmp_path / "out"
    if command == "validate":
        code, text = invoke("validate", str(data), "--today", "2026-11-20")
    elif command == "validate-json":
        code, text = invoke("validate", str(data), "--today", "2026-11-20", "--json")
    elif command == "plan-q":
        code, text = plan(data, out, "-q")
    else:
        code, text = invoke(
            "scenario", "run", str(scenario_file(tmp_path, data)), "--out", str(out)
        )
    assert code == 2, text
    assert "is the line break after the header missing?" in text
    no_coordinate(text)
    assert not out.exists()


@pytest.mark.parametrize("command", ["validate", "validate-json", "plan-q", "scenario"])
def test_odd_header_names_are_masked_in_the_unknown_column_warning(
    tmp_path: Path, tiny_dir: Path, command: str
) -> None:
    """Header names go through the masking too: an unknown column holding commas or escapes."""
    text = (tiny_dir / "offenders.csv").read_text(encoding="utf-8").split("\n")
    text[0] += ',"note, 51x",colour\x1b[2J'
    (tiny_dir / "offenders.csv").write_text("\n".join(text), encoding="utf-8")
    out = tmp_path / "out"
    if command == "validate":
        code, output = invoke("validate", str(tiny_dir), "--today", "2026-11-20")
    elif command == "validate-json":
        code, output = invoke("validate", str(tiny_dir), "--today", "2026-11-20", "--json")
    elif command == "plan-q":
        code, output = plan(tiny_dir, out, "-q", "--no-maps")
    else:
        scen = scenario_file(tmp_path, tiny_dir)
        code, output = invoke("scenario", "run", str(scen), "--out", str(out), "--time-limit", "2")
    assert code == 0, output
    assert "unknown column(s) ignored: a value holding commas" in output
    assert "a value holding control characters (not shown)" in output
    assert "\x1b" not in output and "note, 51x" not in output


def test_user_files_in_home_survive_plan_without_maps(tmp_path: Path, tiny_dir: Path) -> None:
    """`rso plan --no-maps --out HOME` keeps maps/holiday.txt and day_sheets/my_rota.xlsx."""
    home = tmp_path / "home"
    (home / "maps").mkdir(parents=True)
    (home / "day_sheets").mkdir()
    (home / "maps" / "holiday.txt").write_text("photos list")
    (home / "day_sheets" / "my_rota.xlsx").write_bytes(b"PK\x03\x04 mine")
    code, text = plan(tiny_dir, home, "--no-maps", "-q")
    assert code == 0, text
    assert (home / "maps" / "holiday.txt").read_text() == "photos list"
    assert (home / "day_sheets" / "my_rota.xlsx").read_bytes() == b"PK\x03\x04 mine"
    assert (home / "day_sheets" / "index.csv").is_file()
    code, text = plan(tiny_dir, home, "-q")  # maps now, then none again: only its own go
    assert code == 0, text
    assert (home / "maps" / "index.html").is_file()
    code, text = plan(tiny_dir, home, "--no-maps", "-q")
    assert code == 0, text
    assert sorted(p.name for p in (home / "maps").iterdir()) == ["holiday.txt"]


def test_folder_in_the_way_is_refused_before_planning(tmp_path: Path, tiny_dir: Path) -> None:
    """A folder named roster.csv: exit 2 before planning, the old outputs untouched."""
    out = tmp_path / "out"
    code, text = plan(tiny_dir, out, "-q")
    assert code == 0, text
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (out / "roster.csv").unlink()
    (out / "roster.csv").mkdir()
    before = {k: v for k, v in before.items() if k != Path("roster.csv")}
    code, text = plan(tiny_dir, out, "-q")
    assert code == 2 and "roster.csv is a folder, but rso writes a file" in text
    assert "planning" not in text and "Traceback" not in text
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_out_naming_a_file_is_a_bad_option(tmp_path: Path, tiny_dir: Path) -> None:
    """--out naming a file exits 2 (a bad option) with a clear message."""
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    code, text = plan(tiny_dir, target, "-q")
    assert code == 2 and "is a file, not a folder" in text
    assert target.read_text() == "mine"


@pytest.mark.parametrize("command", ["plan", "validate"])
def test_month_beyond_the_range_says_so(tmp_path: Path, tiny_dir: Path, command: str) -> None:
    """--month 9999-12 is refused as beyond the supported range, not as "not a month"."""
    if command == "plan":
        code, text = invoke(
            "plan", str(tiny_dir), "--month", "9999-12", "--out", str(tmp_path / "o")
        )
    else:
        code, text = invoke("validate", str(tiny_dir), "--month", "9999-12")
    assert code == 2
    assert "'9999-12' is beyond the supported range" in text and "not a month" not in text


@pytest.mark.parametrize("name", ["roster.csv", "unscheduled.csv"])
@pytest.mark.parametrize("command", ["check", "map"])
def test_oversized_cell_in_a_plan_file_is_located(
    tmp_path: Path, tiny_dir: Path, name: str, command: str
) -> None:
    """A cell over 131,072 characters in roster.csv or unscheduled.csv: exit 2, file and line."""
    out = tmp_path / "out"
    code, text = plan(tiny_dir, out, "-q", "--no-maps")
    assert code == 0, text
    lines = (out / name).read_text(encoding="utf-8").split("\n")
    lines.insert(1, "x" * 140_000 + "," + lines[1])
    (out / name).write_text("\n".join(lines), encoding="utf-8")
    args = ["check", str(tiny_dir), str(out)] if command == "check" else ["map", str(out), "-q"]
    code, text = invoke(*args)
    assert code == 2, text
    assert f"{name}:2: is not readable as CSV: field larger than field limit" in text
    assert "x" * 50 not in text and "Traceback" not in text


def test_ids_that_look_like_neutralised_formulas_pass_their_own_check(
    tmp_path: Path,
) -> None:
    """Ids `'=RSO13` and `=RSO14` are written differently and read back as themselves."""
    offenders = TINY_OFFENDERS.replace("P001,", "'=RSO13,").replace("P002,", "=RSO14,")
    officers = TINY_OFFICERS.replace("TV001", "'+TV1").replace("TV002", "@TV2")
    offenders = offenders.replace("TV001", "'+TV1").replace("TV002", "@TV2")
    data = write_data_dir(tmp_path / "data", offenders=offenders, officers=officers)
    out = tmp_path / "out"
    code, text = plan(data, out, "-q", "--no-maps")
    assert code == 0, text
    assert "Check: no violations." in text
    roster = (out / "roster.csv").read_text(encoding="utf-8")
    assert "''=RSO13" in roster and "'=RSO14" in roster
    code, text = invoke("check", str(data), str(out))
    assert code == 0, text


def test_scenario_adding_far_more_officers_than_the_data_is_refused(
    tmp_path: Path, tiny_dir: Path
) -> None:
    """`[officers] add = 10000` on four officers is refused up front (exit 2), nothing written."""
    scen = scenario_file(tmp_path, tiny_dir, "[officers]\nadd = 10000\n")
    out = tmp_path / "out"
    code, text = invoke("scenario", "run", str(scen), "--out", str(out), "--planner", "greedy")
    assert code == 2, text
    assert "add = 10000 is more than 3 times the 4 officer(s)" in text
    assert not out.exists()


def test_policy_problems_come_with_the_scenarios_other_problems(tmp_path: Path) -> None:
    """A scenario's [policy] problems are reported in the same round as its other problems."""
    scen = tmp_path / "s.toml"
    scen.write_text(
        'name = "s"\ndata = "."\nmonths = 99\n[policy]\nrisk.medium.interval_days = -4\n',
        encoding="utf-8",
    )
    code, text = invoke("scenario", "run", str(scen), "--out", str(tmp_path / "o"))
    assert code == 2
    assert "s.toml:3 months:" in text and "s.toml:5 policy.risk.medium.interval_days:" in text


def test_many_bad_rows_print_a_capped_list(tmp_path: Path, tiny_dir: Path) -> None:
    """5,000 bad rows print the first 200 problems, then how many more, then the count."""
    rows = "".join(f"Q{i},zz,51.4550,-0.9700\n" for i in range(5000))
    data = write_data_dir(
        tmp_path / "d", offenders="offender_id,risk_level,lat,lon\n" + rows, officers=TINY_OFFICERS
    )
    code, text = invoke("validate", str(data), "--json", "-q")
    assert code == 2
    problem_lines = [line for line in text.splitlines() if "risk_level:" in line]
    assert len(problem_lines) == 200
    assert "... and 4800 more problems (the first 200 shown)" in text
    assert "5000 problems found; nothing was written." in text
    no_coordinate(text)


def test_repeated_visit_rows_are_counted_in_one_warning(tmp_path: Path, tiny_dir: Path) -> None:
    """A visit log exported twice gives one warning with the count of repeated rows."""
    row = "P001,2026-11-01,10:00,TV001;TV002,completed,announced\n"
    visits = "offender_id,date,start,officer_ids,outcome,kind\n" + row * 3000
    (tiny_dir / "visits.csv").write_text(visits, encoding="utf-8")
    code, text = invoke("validate", str(tiny_dir), "--today", "2026-11-20", "--json")
    assert code == 0, text
    warnings = json.loads(text[text.index("{") :])["warnings"]
    assert any("2999 row(s) repeat an earlier row exactly" in w for w in warnings)


def test_empty_out_of_another_user_gets_a_true_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An empty --out owned by another user is left as it is, and the warning says why."""
    import os

    from rso_scheduler.outputs import files

    out = tmp_path / "theirs"
    out.mkdir(mode=0o755)
    os.chmod(out, 0o755)
    real_uid = os.getuid()
    monkeypatch.setattr(files.os, "getuid", lambda: real_uid + 4242)
    with caplog.at_level(logging.WARNING), files.staged_output(out) as stage:
        files.write_csv(stage / "roster.csv", ["x"], [[1]])
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert "belongs to another user" in warned and "holds other files" not in warned
    assert (out / "roster.csv").is_file()


def test_input_coordinates_never_in_the_masked_forms() -> None:
    """The masking test itself: every form a coordinate takes in these tests is caught."""
    for text in ("51.45", "-0.97", "51°45′07″N", "51 45 07 N", "51.4550", "x51.45y"):
        assert may_be_coordinate(text), text
    for text in ("P001", "2026-11-20", "17:30", "TV0012", "1.5"):
        assert not may_be_coordinate(text), text


@pytest.mark.parametrize("where", ["policy.toml", "scenario", "run.json", "manifest"])
def test_deeply_nested_files_are_bad_input_not_a_crash(
    tmp_path: Path, tiny_dir: Path, where: str
) -> None:
    """Arrays nested thousands deep (parser recursion) in TOML or JSON: exit 2 or ignored, never 70."""
    deep = "[" * 5000 + "]" * 5000
    if where == "policy.toml":
        (tiny_dir / "policy.toml").write_text(f"a = {deep}\n", encoding="utf-8")
        code, text = invoke("validate", str(tiny_dir))
        assert code == 2 and "policy.toml: is not valid: nested too deeply" in text, text
    elif where == "scenario":
        scen = tmp_path / "s.toml"
        scen.write_text(f"name = {deep}\n", encoding="utf-8")
        code, text = invoke("scenario", "run", str(scen), "--out", str(tmp_path / "o"))
        assert code == 2 and "nested too deeply" in text, text
    else:
        out = tmp_path / "out"
        code, text = plan(tiny_dir, out, "-q", "--no-maps")
        assert code == 0, text
        name = "run.json" if where == "run.json" else ".rso-manifest.json"
        (out / name).write_text(deep, encoding="utf-8")
        code, text = invoke("check", str(tiny_dir), str(out))
        if where == "run.json":
            assert code == 2 and "run.json: is not valid: nested too deeply" in text, text
        else:
            code, text = plan(tiny_dir, out, "-q", "--no-maps")  # an unreadable manifest: none
            assert code == 0, text
    assert "Traceback" not in text


def test_huge_grace_days_is_a_bad_option_not_a_crash(tmp_path: Path, tiny_dir: Path) -> None:
    """--grace-days beyond a year is refused (exit 2) instead of overflowing the dates (exit 70)."""
    out = tmp_path / "out"
    code, text = plan(tiny_dir, out, "-q", "--no-maps")
    assert code == 0, text
    code, text = invoke(
        "report", "compliance", str(tiny_dir), "--as-of", "2027-01-31", "--roster", str(out),
        "--grace-days", "99999999999", "--out", str(tmp_path / "rep"),
    )  # fmt: skip
    assert code == 2 and "--grace-days" in text and "Traceback" not in text
    assert not (tmp_path / "rep").exists()
