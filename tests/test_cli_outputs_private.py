"""Every command's outputs: 0600 files in 0700 folders (new parents too), and a bad --out fails
before any work is done, with a clear message and nothing written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _assert_private_tree(root: Path, top: Path) -> None:
    """Every folder from `top` down is 0700 and every file 0600."""
    assert stat.S_IMODE(top.stat().st_mode) == 0o700, top
    for dirpath, dirnames, filenames in os.walk(top):
        for d in dirnames:
            assert stat.S_IMODE((Path(dirpath) / d).stat().st_mode) == 0o700, d
        for f in filenames:
            assert stat.S_IMODE((Path(dirpath) / f).stat().st_mode) == 0o600, f
    assert any(root.rglob("*")), "nothing was written"


def _scenario(tmp_path: Path, tiny_dir: Path) -> Path:
    path = tmp_path / "base.toml"
    text = f'name = "Base"\ndata = "{tiny_dir}"\nstart = "2027-01-01"\nmonths = 1\n'
    path.write_text(text, encoding="utf-8")
    return path


def test_every_command_writes_private_trees(tiny_dir: Path, tmp_path: Path) -> None:
    """plan (with maps), report, generate and scenario run: new parents and leaves are private."""
    old = os.umask(0o022)
    try:
        top = tmp_path / "new"
        plan_out = top / "a" / "plan"
        code, out = _invoke(
            "plan", str(tiny_dir), "--month", "2027-01", "--out", str(plan_out),
            "--solver", "greedy", "--quiet",
        )  # fmt: skip
        assert code == 0, out
        _assert_private_tree(plan_out, top)
        code, out = _invoke("map", str(plan_out))  # redrawn maps: private as well
        assert code == 0, out
        _assert_private_tree(plan_out / "maps", top)
        for args, where in [
            (["report", "compliance", str(tiny_dir), "--as-of", "2026-11-20", "-q"], "b/report"),
            (["generate", "--offenders", "20", "--officers", "2", "-q"], "c/gen"),
            (
                ["scenario", "run", str(_scenario(tmp_path, tiny_dir)), "-q"]
                + ["--planner", "greedy", "--jobs", "1", "--time-limit", "1"],
                "d/scen",
            ),
        ]:
            code, out = _invoke(*args, "--out", str(top / where))
            assert code == 0, out
            _assert_private_tree(top / where, top / where.split("/")[0])
    finally:
        os.umask(old)


def test_existing_open_out_folder_is_made_private(tiny_dir: Path, tmp_path: Path) -> None:
    """An existing world-readable --out folder is narrowed to 0700 when the roster lands in it."""
    out_dir = tmp_path / "shared"
    out_dir.mkdir(mode=0o755)
    os.chmod(out_dir, 0o755)
    code, out = _invoke(
        "report", "compliance", str(tiny_dir), "--as-of", "2026-11-20", "-q", "--out", str(out_dir)
    )
    assert code == 0, out
    _assert_private_tree(out_dir, out_dir)


@pytest.mark.parametrize(
    "command",
    [
        ["plan", "{data}", "--month", "2027-01", "--solver", "greedy", "--no-maps"],
        ["report", "compliance", "{data}", "--as-of", "2026-11-20"],
        ["scenario", "run", "{scenario}", "--planner", "greedy", "--jobs", "1"],
    ],
)
def test_out_that_is_a_file_fails_first(tiny_dir: Path, tmp_path: Path, command: list[str]) -> None:
    """--out naming an existing file: a one-line error before any planning, file untouched."""
    blocker = tmp_path / "taken.txt"
    blocker.write_text("keep me", encoding="utf-8")
    scenario = _scenario(tmp_path, tiny_dir)
    args = [a.format(data=tiny_dir, scenario=scenario) for a in command]
    result = CliRunner().invoke(main, [*args, "--out", str(blocker)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "taken.txt" in result.output
    assert "not a folder" in result.output or "is a file" in result.output
    assert "planning" not in result.output and "working out" not in result.output
    assert blocker.read_text(encoding="utf-8") == "keep me"


def test_rerun_leaves_no_stale_outputs(tiny_dir: Path, tmp_path: Path) -> None:
    """A second run into the same --out removes what it no longer writes (old maps, old trend)."""
    out = tmp_path / "plan"
    base = ["plan", str(tiny_dir), "--solver", "greedy", "-q", "--out", str(out)]
    assert _invoke(*base, "--month", "2027-01")[0] == 0
    assert (out / "maps").is_dir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")  # not ours: must survive
    assert _invoke(*base, "--month", "2027-02", "--no-maps")[0] == 0
    assert not (out / "maps").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert "2027-02-01" in (out / "summary.json").read_text(encoding="utf-8")

    report = tmp_path / "report"
    args = ["report", "compliance", str(tiny_dir), "--as-of", "2026-11-20", "-q", "--out"]
    assert _invoke(*args, str(report), "--trend")[0] == 0
    assert {"trend.csv", "compliance.html", "compliance.xlsx"} <= {p.name for p in report.iterdir()}
    assert _invoke(*args, str(report), "--format", "csv")[0] == 0
    names = {p.name for p in report.iterdir()}
    assert "trend.csv" not in names and "compliance.html" not in names
    assert "compliance.xlsx" not in names and "overdue.csv" in names


def test_shared_out_folder_is_not_narrowed(tiny_dir: Path, tmp_path: Path) -> None:
    """--out naming a shared sticky folder (like /tmp) leaves its mode alone; files are 0600."""
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    code, out = _invoke(
        "report", "compliance", str(tiny_dir), "--as-of", "2026-11-20", "-q", "--out", str(shared)
    )
    assert code == 0, out
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in shared.iterdir())


def test_open_folder_with_other_files_is_left_with_a_warning(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """--out naming e.g. a home folder (other files in it): mode kept, a warning, files 0600."""
    home = tmp_path / "home"
    home.mkdir()
    os.chmod(home, 0o755)
    (home / "letters.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["report", "compliance", str(tiny_dir), "--as-of", "2026-11-20", "-q", "--out", str(home)],
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(home.stat().st_mode) == 0o755
    assert stat.S_IMODE((home / "overdue.csv").stat().st_mode) == 0o600
