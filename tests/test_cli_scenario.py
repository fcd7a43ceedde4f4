"""`rso scenario run` and `rso scenario capacity` end to end through the CLI."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main


def _scenario(folder: Path, stem: str, body: str, data: Path) -> Path:
    path = folder / f"{stem}.toml"
    path.write_text(f'data = "{data}"\nstart = "2027-01-01"\nmonths = 2\n{body}', encoding="utf-8")
    return path


@pytest.fixture
def scenario_files(tmp_path: Path, tiny_dir: Path) -> list[Path]:
    """Three scenarios on the tiny data folder: baseline, one officer fewer, caseload doubled."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    return [
        _scenario(folder, "base", 'name = "Baseline"\n', tiny_dir),
        _scenario(
            folder, "lose", 'name = "Lose TV004"\n[officers]\nremove = ["TV004"]\n', tiny_dir
        ),
        _scenario(
            folder, "grow", 'name = "Double"\nseed = 2\n[caseload]\ngrowth = 1.0\n', tiny_dir
        ),
    ]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_run_writes_comparison_months_and_html(tmp_path: Path, scenario_files: list[Path]) -> None:
    """Three scenarios give one comparison row each, two month rows each, and a chart page."""
    out = tmp_path / "out"
    args = ["scenario", "run", *map(str, scenario_files), "--out", str(out), "--planner", "greedy"]
    result = CliRunner().invoke(main, [*args, "--jobs", "1", "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    comp = _rows(out / "comparison.csv")
    assert [r["scenario"] for r in comp] == ["Baseline", "Lose TV004", "Double"]
    assert comp[0]["officers"] == "4" and comp[1]["officers"] == "3"
    assert int(comp[2]["people"]) == 2 * int(comp[0]["people"])
    for r in comp:
        assert int(r["visits_due"]) == int(r["on_time"]) + int(r["late"]) + int(r["missed"])
    months = _rows(out / "months.csv")
    assert len(months) == 6 and {m["month"] for m in months} == {"2027-01", "2027-02"}
    assert "late_very_high" in months[0] and "missed_low" in months[0]
    page = (out / "comparison.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Lose TV004" in page and "https://" not in page
    for name in ("comparison.csv", "months.csv", "comparison.html"):
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert "Baseline" in result.stdout and "missed" in result.stdout


def test_run_in_two_processes_gives_the_same_table(
    tmp_path: Path, scenario_files: list[Path]
) -> None:
    """--jobs 2 writes the same comparison.csv as --jobs 1."""
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        args = [
            "scenario",
            "run",
            *map(str, scenario_files),
            "--out",
            str(out),
            "--planner",
            "greedy",
        ]
        result = CliRunner().invoke(main, [*args, "--jobs", jobs, "-q"])
        assert result.exit_code == 0, result.output
        outs.append((out / "comparison.csv").read_text(encoding="utf-8"))
    assert outs[0] == outs[1]


def test_bad_scenario_file_is_located_without_traceback(tmp_path: Path, tiny_dir: Path) -> None:
    """An unknown key exits 2 with file, line and key; nothing is written."""
    bad = _scenario(tmp_path, "bad", 'name = "Bad"\n[officers]\nremove_shar = 0.2\n', tiny_dir)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["scenario", "run", str(bad), "--out", str(out), "--planner", "greedy"]
    )
    assert result.exit_code == 2
    assert "bad.toml:6 officers.remove_shar: unknown key" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_unknown_officer_to_remove_is_a_clear_error(tmp_path: Path, tiny_dir: Path) -> None:
    """remove = ["NOPE"] names the unknown id and exits non-zero."""
    bad = _scenario(tmp_path, "bad", 'name = "Bad"\n[officers]\nremove = ["NOPE"]\n', tiny_dir)
    result = CliRunner().invoke(
        main, ["scenario", "run", str(bad), "--out", str(tmp_path / "o"), "--planner", "greedy"]
    )
    assert result.exit_code == 2
    assert "NOPE" in result.output and "Traceback" not in result.output


def test_duplicate_scenario_names_are_refused(tmp_path: Path, scenario_files: list[Path]) -> None:
    """Two files with the same scenario name would make the table ambiguous."""
    args = [
        "scenario",
        "run",
        str(scenario_files[0]),
        str(scenario_files[0]),
        "--out",
        str(tmp_path / "o"),
    ]
    result = CliRunner().invoke(main, [*args, "--planner", "greedy"])
    assert result.exit_code == 2 and "share the name" in result.output


def test_capacity_writes_curve_and_answer(tmp_path: Path, scenario_files: list[Path]) -> None:
    """capacity writes capacity.csv (sorted by officers) and capacity.html and prints the answer."""
    out = tmp_path / "cap"
    args = [
        "scenario",
        "capacity",
        str(scenario_files[0]),
        "--out",
        str(out),
        "--planner",
        "greedy",
    ]
    result = CliRunner().invoke(main, [*args, "--min", "2", "--max", "12", "-q"])
    assert result.exit_code == 0, result.output
    rows = _rows(out / "capacity.csv")
    counts = [int(r["officers"]) for r in rows]
    assert counts == sorted(counts) and 4 in counts
    assert all(2 <= n <= 12 for n in counts)
    assert "Fewest officers" in result.stdout or "No officer count" in result.stdout
    page = (out / "capacity.html").read_text(encoding="utf-8")
    assert "<svg" in page and "https://" not in page


@pytest.mark.parametrize("path", [("scenario",), ("scenario", "run"), ("scenario", "capacity")])
def test_help_has_an_example(path: tuple[str, ...]) -> None:
    """Each scenario command's --help shows an example invocation."""
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "rso " + " ".join(path) in result.output


def test_jobs_beyond_the_cores_are_capped(
    tmp_path: Path, scenario_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs 500 runs no more processes than there are cores, and says so."""
    import rso_scheduler.commands.scenario as scenario_cmd

    seen: list[int] = []
    real = scenario_cmd.run_many

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(int(kwargs["n_jobs"]))  # type: ignore[call-overload]
        return real(*args, **{**kwargs, "n_jobs": 1})  # type: ignore[arg-type]

    monkeypatch.setattr(scenario_cmd, "run_many", spy)
    monkeypatch.setattr(scenario_cmd.os, "cpu_count", lambda: 2)
    out = tmp_path / "out"
    args = ["scenario", "run", str(scenario_files[0]), "--out", str(out), "--planner", "greedy"]
    result = CliRunner().invoke(main, [*args, "--jobs", "500", "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    assert seen == [2] and "--jobs 500 is more than this machine's 2 cores" in result.output


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("tcp://10.1.2.3:8786", "no authentication"),
        ("scheduler.example:8786", "no authentication"),
        ("http://127.0.0.1:8787", "not a Dask protocol"),
        ("tcp://127.attacker.example:8786", "no authentication"),
        ("tcp://127.0.0.9.evil.example:8786", "no authentication"),
        ("tcp://localhost.evil.example:8786", "no authentication"),
        ("tcp://[::ffff:10.1.2.3]:8786", "no authentication"),
        ("tcp://[::1:8786", "no authentication"),
        ("tcp://127.0.0.1:8786", "no authentication"),
        ("localhost:8786", "no authentication"),
        ("tcp://[::1]:8786", "no authentication"),
    ],
)
def test_dask_address_that_would_leak_is_refused(
    tmp_path: Path, scenario_files: list[Path], address: str, words: str
) -> None:
    """A scheduler over plain TCP (even on this machine) lets others in: refused up front."""
    out = tmp_path / "out"
    args = ["scenario", "run", str(scenario_files[0]), "--out", str(out), "--dask", address]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_dask_addresses_on_this_machine_or_tls_pass() -> None:
    """TLS anywhere, in-process and 'local' are accepted by the address check."""
    from rso_scheduler.scenarios import check_dask_address

    for address in (
        "local",
        "tls://127.0.0.1:8786",
        "inproc://10.1.2.3/123/1",
        "tls://10.1.2.3:8786",
    ):
        check_dask_address(address)


def test_capacity_refuses_an_absurd_officer_count(tmp_path: Path) -> None:
    """--min beyond any force is refused before any work (exit 2, no traceback)."""
    scen = tmp_path / "s.toml"
    scen.write_text('name = "x"\ndata = "."\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["scenario", "capacity", str(scen), "--min", "60000"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "60000" in result.output


@pytest.mark.parametrize(
    ("command", "files"),
    [
        ("run", ["comparison.csv", "comparison_vs_baseline.csv", "months.csv", "comparison.html"]),
        ("capacity", ["capacity.csv", "capacity_months.csv", "capacity.html"]),
    ],
)
def test_out_help_names_every_file_written(command: str, files: list[str]) -> None:
    """--out's help names every file the command writes there."""
    import click

    group = main.get_command(click.Context(main), "scenario")
    assert isinstance(group, click.Group)
    cmd = group.get_command(click.Context(group), command)
    assert cmd is not None
    out_help = next(p.help for p in cmd.params if isinstance(p, click.Option) and "--out" in p.opts)
    assert [f for f in files if f not in out_help] == []
