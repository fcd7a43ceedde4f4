"""Inputs that are present but not readable files, or too big, or hostile TOML: each a located
error (exit 2, nothing written) found before anything is read (issue 21's input findings)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.errors import InputError
from rso_scheduler.input.files import (
    MAX_TOML_DIGITS,
    decode_text,
    read_bytes,
    read_toml_text,
    toml_bounds_problems,
)

TODAY = "2026-11-20"


def _plan(data: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["plan", str(data), "--month", "2027-01", "--out", str(out), "--today", TODAY,
               "--solver", "greedy", "--no-maps", "-q"],
    )  # fmt: skip
    return result.exit_code, result.output


def _make(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling":
        path.symlink_to(path.parent / "unmounted-share" / path.name)


@pytest.mark.parametrize("name", ["absences.csv", "visits.csv", "policy.toml", "columns.toml"])
@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("fifo", "is a named pipe (FIFO), not a file; expected a readable file"),
        ("folder", "is a folder, not a file; expected a readable file"),
        ("dangling", "is a link to something that does not exist (an unmounted share?)"),
    ],
)
def test_an_optional_input_that_is_not_a_file_is_an_error_not_absent(
    tiny_dir: Path, tmp_path: Path, name: str, kind: str, said: str
) -> None:
    """A FIFO, folder or dangling link for an optional input: exit 2 naming it, nothing written."""
    data = tiny_dir
    (data / name).unlink(missing_ok=True)
    _make(kind, data / name)
    out = tmp_path / "out"
    code, output = _plan(data, out)
    assert code == 2, output
    assert f"{name}: {said}" in output
    assert "Traceback" not in output and not out.exists()


def test_a_sparse_1_gb_offenders_csv_is_refused_by_its_size(tiny_dir: Path, tmp_path: Path) -> None:
    """A 1 GB (sparse) offenders.csv is refused from its size alone: exit 2, nothing written."""
    data = tiny_dir
    with open(data / "offenders.csv", "r+b") as f:
        f.truncate(1 << 30)
    out = tmp_path / "out"
    code, output = _plan(data, out)
    assert code == 2, output
    assert "offenders.csv: is 1,024 MB, more than the 512 MB an input of this kind may be" in output
    assert not out.exists()


def test_read_bytes_never_reads_past_the_cap(tmp_path: Path) -> None:
    """The cap is checked on the size before reading: a file one byte over is refused."""
    path = tmp_path / "x.csv"
    path.write_bytes(b"a" * 101)
    with pytest.raises(InputError) as info:
        read_bytes(path, "x.csv", 100)
    assert "more than the 100 bytes" in info.value.report()
    assert read_bytes(path, "x.csv", 101) == b"a" * 101


def test_a_200_kb_dotted_key_in_policy_toml_is_refused_before_parsing(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """A 200 KB dotted key: a located error on its line, exit 2, nothing written."""
    data = tiny_dir
    (data / "policy.toml").write_text("a" + ".a" * 100_000 + " = 1\n", encoding="utf-8")
    out = tmp_path / "out"
    code, output = _plan(data, out)
    assert code == 2, output
    assert "policy.toml:1: line is 200,005 characters long" in output
    assert not out.exists()


def test_deep_dotted_keys_and_long_numbers_are_located() -> None:
    """Bounds on TOML text: key depth and digits, each with its line; strings are not numbers."""
    text = "a.b.c.d.e.f.g.h.i = 1\nx = " + "1" * 40 + '\nurl = "' + "7" * 40 + '"\n'
    found = [str(p) for p in toml_bounds_problems(text, "p.toml")]
    assert found == [
        "p.toml:1: a key 9 levels deep; expected at most 8 (such as risk.high.interval_days)",
        f"p.toml:2 x: holds a number of 40 digits; expected at most {MAX_TOML_DIGITS}",
    ]
    assert toml_bounds_problems("[risk.high]\ninterval_days = 91\n", "p.toml") == []


def test_a_scenario_file_with_a_5000_digit_number_is_bad_input(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """A scenario file's TOML is bounded like policy.toml: exit 2, not an internal error."""
    data = tiny_dir
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'data = "{data}"\nseed = {"9" * 5000}\n', encoding="utf-8")
    result = CliRunner().invoke(
        main, ["scenario", "run", str(scenario), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "s.toml:2 seed: holds a number of 5,000 digits" in result.output


def test_read_toml_text_refuses_utf16() -> None:
    """TOML in UTF-16 is named for what it is."""
    with pytest.raises(InputError) as info:
        decode_text("a = 1\n".encode("utf-16"), "p.toml")
    assert "UTF-16" in info.value.report()


def test_toml_read_refuses_a_fifo(tmp_path: Path) -> None:
    """read_toml_text on a FIFO answers at once (never blocks waiting for a writer)."""
    os.mkfifo(tmp_path / "p.toml")
    with pytest.raises(InputError) as info:
        read_toml_text(tmp_path / "p.toml")
    assert "named pipe" in info.value.report()


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("offender_id,risk\n".encode("utf-16-le"), "UTF-16 text without a byte-order mark"),
        ("offender_id,risk\n".encode("utf-16-be"), "UTF-16 text without a byte-order mark"),
        ("offender_id,risk\n".encode("utf-16"), "UTF-16 text, not UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old Excel 97-2003 workbook"),
        (b"PK\x03\x04rest", "an Excel workbook (.xlsx)"),
    ],
)
def test_encodings_and_binaries_are_named(raw: bytes, said: str) -> None:
    """decode_text says what non-UTF-8 bytes are."""
    with pytest.raises(InputError) as info:
        decode_text(raw, "offenders.csv")
    assert said in str(info.value.problems[0])


def test_an_unreadable_policy_toml_is_an_error_not_the_defaults(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """policy.toml without read permission (simulated: the tests run as root): exit 2, never
    the built-in defaults."""
    import rso_scheduler.input.files as files

    (tiny_dir / "policy.toml").write_text("[visits]\nfirst_visit_days = 7\n", encoding="utf-8")
    real = os.access
    monkeypatch.setattr(
        files.os, "access", lambda p, mode: Path(p).name != "policy.toml" and real(p, mode)
    )
    out = tmp_path / "out"
    code, output = _plan(tiny_dir, out)
    assert code == 2, output
    assert "policy.toml: cannot be read: permission denied" in output
    assert not out.exists()


def test_a_road_network_that_is_a_fifo_is_a_located_error(tmp_path: Path) -> None:
    """The .osm.pbf extract goes through the same file checks as every input."""
    from rso_scheduler.road import read_network

    os.mkfifo(tmp_path / "area.osm.pbf")
    with pytest.raises(InputError) as info:
        read_network(tmp_path / "area.osm.pbf", "area.osm.pbf", 1.0)
    assert "area.osm.pbf: is a named pipe (FIFO), not a file" in info.value.report()
