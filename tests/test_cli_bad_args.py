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
