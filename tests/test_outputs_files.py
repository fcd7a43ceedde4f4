"""Safe outputs: formula-neutral cells, owner-only files, atomic staging."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from rso_scheduler.outputs.files import MANIFEST, csv_text, safe_cell, staged_output, write_csv


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
    assert sorted(p.name for p in out.iterdir() if p.name != MANIFEST) == ["a.txt"]  # no staging folder left
