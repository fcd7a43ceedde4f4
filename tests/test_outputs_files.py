"""Safe outputs: formula-neutral cells, owner-only files, atomic staging."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rso_scheduler.outputs.files import MANIFEST, csv_text, safe_cell, staged_output, write_csv
from rso_scheduler.outputs.lock import LOCK_NAME


@pytest.mark.parametrize("text", ["=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1"])
def test_formula_text_is_neutralised(text: str) -> None:
    """Text a spreadsheet would run as a formula gets a leading apostrophe."""
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-3", "-0.5", "P001", "", 7, 1.5, None])
def test_plain_values_are_untouched(value: object) -> None:
    """Numbers, negative numbers as text and ordinary ids are left alone."""
    assert safe_cell(value) == value


def test_csv_text_neutralises_every_cell() -> None:
    """csv_text applies safe_cell to each cell and writes None as empty."""
    text = csv_text(["a", "b"], [["=x", None]])
    assert text == "a,b\n'=x,\n"


def test_written_files_are_owner_only(tmp_path: Path) -> None:
    """Files are 0600 and folders 0700 after staging."""
    out = tmp_path / "out"
    with staged_output(out) as stage:
        write_csv(stage / "roster.csv", ["x"], [[1]])
        (stage / "maps").mkdir()
        write_csv(stage / "maps" / "a.csv", ["x"], [[1]])
    assert stat.S_IMODE((out / "roster.csv").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "maps").stat().st_mode) == 0o700
    assert stat.S_IMODE((out / "maps" / "a.csv").stat().st_mode) == 0o600


def test_failed_run_leaves_output_untouched(tmp_path: Path) -> None:
    """An exception inside the staging block changes nothing in the output folder."""
    out = tmp_path / "out"
    with staged_output(out) as stage:
        write_csv(stage / "roster.csv", ["x"], [["old"]])
    with pytest.raises(RuntimeError), staged_output(out) as stage:
        write_csv(stage / "roster.csv", ["x"], [["new"]])
        raise RuntimeError("solver failed")
    assert (out / "roster.csv").read_text() == "x\nold\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_successful_run_replaces_folders_whole(tmp_path: Path) -> None:
    """A staged maps/ folder replaces the old one whole (no stale pages left behind)."""
    out = tmp_path / "out"
    with staged_output(out) as stage:
        (stage / "maps").mkdir()
        write_csv(stage / "maps" / "old.csv", ["x"], [[1]])
    with staged_output(out) as stage:
        (stage / "maps").mkdir()
        write_csv(stage / "maps" / "new.csv", ["x"], [[1]])
    assert sorted(p.name for p in (out / "maps").iterdir()) == ["new.csv"]


def test_existing_out_folder_stages_inside_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--out .` must work when only the folder itself is writable: staging happens inside it."""
    import tempfile

    out = tmp_path / "out"
    out.mkdir()
    where: list[Path] = []
    real = tempfile.mkdtemp

    def spy(*args: Any, **kwargs: Any) -> str:
        where.append(Path(kwargs["dir"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    with staged_output(out) as stage:
        (stage / "a.txt").write_text("x", encoding="utf-8")
    assert where and all(w == out.resolve() for w in where)
    assert sorted(p.name for p in out.iterdir() if p.name not in (MANIFEST, LOCK_NAME)) == [
        "a.txt"
    ]  # no staging folder left


def _plan_set(out: Path, tag: str, maps: bool = True) -> None:
    """Write a plan-like set (roster, day sheets, maps) tagged `tag` through staged_output."""
    names = ["roster.csv", "day_sheets", "maps"]
    with staged_output(out, replaces=names) as stage:
        write_csv(stage / "roster.csv", ["x"], [[tag]])
        (stage / "day_sheets").mkdir()
        write_csv(stage / "day_sheets" / "OM01.csv", ["x"], [[tag]])
        if maps:
            (stage / "maps" / "2027-01-05").mkdir(parents=True)
            write_csv(stage / "maps" / "2027-01-05" / "c.csv", ["x"], [[tag]])


def _tag_of(out: Path) -> set[str]:
    """The tags of the plan files present (one tag: a whole set)."""
    files = [out / "roster.csv", out / "day_sheets" / "OM01.csv"]
    return {f.read_text().splitlines()[1] for f in files if f.exists()}


def test_user_files_inside_output_folders_survive(tmp_path: Path) -> None:
    """A user's maps/holiday.txt and day_sheets/my_rota.xlsx survive a run without maps."""
    home = tmp_path / "home"
    (home / "maps").mkdir(parents=True)
    (home / "day_sheets").mkdir()
    (home / "maps" / "holiday.txt").write_text("mine")
    (home / "day_sheets" / "my_rota.xlsx").write_text("mine too")
    _plan_set(home, "new", maps=False)
    assert (home / "maps" / "holiday.txt").read_text() == "mine"
    assert (home / "day_sheets" / "my_rota.xlsx").read_text() == "mine too"
    assert (home / "day_sheets" / "OM01.csv").is_file()


def test_own_stale_outputs_go_but_user_files_stay(tmp_path: Path) -> None:
    """Maps of an earlier run are removed after a run without maps; a file the user added stays."""
    out = tmp_path / "out"
    _plan_set(out, "old")
    (out / "maps" / "2027-01-05" / "notes.txt").write_text("mine")
    _plan_set(out, "new", maps=False)
    assert not (out / "maps" / "2027-01-05" / "c.csv").exists()
    assert (out / "maps" / "2027-01-05" / "notes.txt").read_text() == "mine"
    assert _tag_of(out) == {"new"}


def test_report_names_in_a_shared_folder_are_kept_unless_the_tool_wrote_them(
    tmp_path: Path,
) -> None:
    """A stale-name removal touches only names the last manifest lists."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "trend.csv").write_text("the user's own trend table")
    with staged_output(shared, replaces=["trend.csv", "overdue.csv"]) as stage:
        write_csv(stage / "overdue.csv", ["x"], [[1]])
    assert (shared / "trend.csv").read_text() == "the user's own trend table"
    with staged_output(shared, replaces=["trend.csv", "overdue.csv"]) as stage:
        write_csv(stage / "trend.csv", ["x"], [[1]])
    with staged_output(shared, replaces=["trend.csv", "overdue.csv"]) as stage:
        write_csv(stage / "overdue.csv", ["x"], [[2]])
    assert not (shared / "trend.csv").exists()  # the tool's own this time


def test_something_in_the_way_is_refused_before_anything_moves(tmp_path: Path) -> None:
    """A folder named roster.csv is refused and the old day sheets and maps stay as they were."""
    from rso_scheduler.errors import OutputError

    out = tmp_path / "out"
    _plan_set(out, "old")
    (out / "roster.csv").unlink()
    (out / "roster.csv").mkdir()
    with pytest.raises(OutputError, match="roster.csv is a folder"):
        _plan_set(out, "new")
    assert (out / "day_sheets" / "OM01.csv").read_text() == "x\nold\n"
    assert (out / "maps" / "2027-01-05" / "c.csv").read_text() == "x\nold\n"
    assert not [p for p in out.iterdir() if p.name.startswith((".rso-staging", ".rso-old"))]


@pytest.mark.parametrize("fail_at", range(8))
def test_a_failed_move_leaves_the_old_set_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    """A move that raises part-way through the swap is undone: the old set is intact."""
    import rso_scheduler.outputs.files as files

    out = tmp_path / "out"
    _plan_set(out, "old")
    (out / "maps" / "mine.txt").write_text("mine")
    real = files._Swap._move
    calls = []

    def flaky(self: Any, src: Path, dst: Path) -> None:
        calls.append(dst)
        if len(calls) > fail_at:
            raise OSError(28, "No space left on device")
        real(self, src, dst)

    monkeypatch.setattr(files._Swap, "_move", flaky)
    try:
        _plan_set(out, "new")
    except files.OutputError:
        assert _tag_of(out) == {"old"}
        assert (out / "maps" / "2027-01-05" / "c.csv").read_text() == "x\nold\n"
    else:  # fewer moves than fail_at: the swap finished
        assert _tag_of(out) == {"new"}
    assert (out / "maps" / "mine.txt").read_text() == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith((".rso-staging", ".rso-old"))]


_KILLED_RUN = """
import os, signal, sys
from pathlib import Path
import rso_scheduler.outputs.files as files
sys.path.insert(0, {tests!r})
from test_outputs_files import _plan_set
kill_at = int(sys.argv[2])
real, calls = files._Swap._move, []
def killing(self, src, dst):
    calls.append(dst)
    if len(calls) > kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real(self, src, dst)
files._Swap._move = killing
if kill_at < 0:  # killed while writing the staged files, before any move
    real_write = files.write_csv
    def dying(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    files.write_csv = dying
    import test_outputs_files
    test_outputs_files.write_csv = dying
_plan_set(Path(sys.argv[1]), "new")
"""


@pytest.mark.parametrize("kill_at", [-1, 0, 1, 2, 3, 4, 5])
def test_kill_9_during_the_swap_ends_with_one_whole_set(tmp_path: Path, kill_at: int) -> None:
    """After a kill -9 at any step, the next run leaves one whole set and no staging folders."""
    import subprocess
    import sys

    from rso_scheduler.outputs.files import recover

    out = tmp_path / "out"
    _plan_set(out, "old")
    (out / "day_sheets" / "my_rota.xlsx").write_text("mine")
    script = _KILLED_RUN.format(tests=str(Path(__file__).parent))
    proc = subprocess.run([sys.executable, "-c", script, str(out), str(kill_at)], check=False)
    assert proc.returncode == -9
    recover(out)
    assert _tag_of(out) in ({"old"}, {"new"})
    if kill_at >= 0:  # the new set was complete in staging: the swap is finished
        assert _tag_of(out) == {"new"}
        assert (out / "maps" / "2027-01-05" / "c.csv").read_text() == "x\nnew\n"
    assert (out / "day_sheets" / "my_rota.xlsx").read_text() == "mine"
    leftovers = [p for p in (*out.iterdir(), *tmp_path.iterdir()) if p.name.startswith(".rso-")]
    assert sorted(p.name for p in leftovers) == sorted([MANIFEST, LOCK_NAME])


def test_stale_folders_not_the_tools_are_left_alone(tmp_path: Path) -> None:
    """A `.rso-old-*` folder without the tool's marker is not the tool's: it is never removed."""
    out = tmp_path / "out"
    _plan_set(out, "old")
    (out / ".rso-old-mine").mkdir()
    (out / ".rso-old-mine" / "keep.txt").write_text("mine")
    _plan_set(out, "new")
    assert (out / ".rso-old-mine" / "keep.txt").read_text() == "mine"


@given(st.lists(st.text(), min_size=1, max_size=6))
@settings(max_examples=300, deadline=None)
def test_neutralisation_round_trips_any_text(cells: list[str]) -> None:
    """Any strings written by csv_text read back exactly through unneutralise."""
    import csv
    import io

    from rso_scheduler.outputs.files import unneutralise

    text = csv_text([f"c{i}" for i in range(len(cells))], [cells])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert [unneutralise(c) for c in rows[1]] == cells


def test_formula_and_quoted_formula_are_written_differently() -> None:
    """`=X` and `'=X` are different cells in the file, and each reads back as itself."""
    from rso_scheduler.outputs.files import unneutralise

    assert safe_cell("=X") != safe_cell("'=X")
    assert unneutralise(safe_cell("=X")) == "=X" and unneutralise(safe_cell("'=X")) == "'=X"
    assert safe_cell("-inf") == "'-inf" and safe_cell("-3.5") == "-3.5"


def test_reading_a_killed_plan_folder_finishes_it_first(tmp_path: Path) -> None:
    """`rso check`/`map`/`report --roster` after a kill read the whole new set, never a mix."""
    import subprocess
    import sys

    from rso_scheduler.outputs.roster_files import read_roster

    out = tmp_path / "out"
    _plan_set(out, "old")
    script = _KILLED_RUN.format(tests=str(Path(__file__).parent))
    proc = subprocess.run([sys.executable, "-c", script, str(out), "4"], check=False)
    assert proc.returncode == -9
    assert _tag_of(out) == {"old", "new"}  # mixed on disk until finished
    with pytest.raises(Exception, match="missing|problem"):  # not a real plan folder, but...
        read_roster(out)
    assert _tag_of(out) == {"new"}  # ...the swap was finished before anything was read
