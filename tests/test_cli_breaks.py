"""Refreshment breaks end to end through the CLI: breaks.csv, the pages that show them, and
`rso check` refusing a roster whose breaks are dropped or moved."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def plan(data: Path, out: Path, solver: str, maps: bool = False) -> None:
    """`rso plan` of January 2027 into `out`, which must pass its own check."""
    code, text = run(
        "plan", str(data), "--month", "2027-01", "--out", str(out), "--solver", solver,
        "--time-limit", "5", "--quiet", *([] if maps else ["--no-maps"]),
    )  # fmt: skip
    assert code == 0 and "Check: no violations." in text, text


def breaks_of(out: Path) -> list[dict[str, str]]:
    with (out / "breaks.csv").open() as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("solver", ["greedy", "optimised"])
def test_every_busy_officer_day_has_a_break(tiny_dir: Path, tmp_path: Path, solver: str) -> None:
    """Each officer-day with a visit has one 45-minute break (8-hour shifts) between the 3rd
    and the 6th hour: 11:00-14:00 on a day shift, 17:00-20:00 on TV002's late shift."""
    out = tmp_path / "out"
    plan(tiny_dir, out, solver)
    with (out / "roster.csv").open() as fh:
        busy = {(o, r["date"]) for r in csv.DictReader(fh) for o in r["officer_ids"].split(";")}
    rows = breaks_of(out)
    assert {(b["officer_id"], b["date"]) for b in rows} == busy and len(rows) == len(busy)
    for b in rows:
        lo, hi = ("17:00", "20:00") if b["officer_id"] == "TV002" else ("11:00", "14:00")
        assert lo <= b["start"] < b["end"] <= hi
        h, m = (int(x) for x in b["start"].split(":"))
        assert f"{h + (m + 45) // 60:02d}:{(m + 45) % 60:02d}" == b["end"]
    assert "breaks.csv" in (out / ".rso-manifest.json").read_text()
    assert (out / "breaks.csv").stat().st_mode & 0o077 == 0


def test_breaks_show_on_every_page(tiny_dir: Path, tmp_path: Path) -> None:
    """Handout, day sheet, calendar and crew-day map page each show the officer's break."""
    out = tmp_path / "out"
    plan(tiny_dir, out, "optimised", maps=True)
    b = breaks_of(out)[0]
    oid, when = b["officer_id"], f"{b['start']}&ndash;{b['end']}"
    assert f"refreshment break {when}" in (out / "handouts" / f"{oid}.html").read_text()
    with (out / "day_sheets" / f"{oid}.csv").open() as fh:
        sheet = list(csv.DictReader(fh))
    assert any(r["date"] == b["date"] and r["start"] == b["start"] for r in sheet)
    assert "SUMMARY:Refreshment break" in (out / "calendar" / f"{oid}.ics").read_text()
    pages = (out / "maps" / b["date"]).glob("*.html")
    assert any(f'{when}</td><td colspan="5">refreshment break' in p.read_text() for p in pages)


def test_none_writes_no_breaks(tiny_dir: Path, tmp_path: Path) -> None:
    """With `[shifts] refreshment = "none"` breaks.csv has its header and no rows."""
    (tiny_dir / "policy.toml").write_text('[shifts]\nrefreshment = "none"\n')
    out = tmp_path / "out"
    plan(tiny_dir, out, "greedy")
    assert breaks_of(out) == [] and (out / "breaks.csv").read_text().startswith("officer_id")


@pytest.mark.parametrize("edit", ["drop", "into a visit"])
def test_check_refuses_a_dropped_or_moved_break(tiny_dir: Path, tmp_path: Path, edit: str) -> None:
    """`rso check` fails a roster whose breaks.csv lost a break or has one inside a visit."""
    out = tmp_path / "out"
    plan(tiny_dir, out, "greedy")
    rows = breaks_of(out)
    if edit == "drop":
        rows = rows[1:]
    else:
        with (out / "roster.csv").open() as fh:
            visit = next(
                r for r in csv.DictReader(fh) if rows[0]["officer_id"] in r["officer_ids"].split(";")
                and r["date"] == rows[0]["date"]
            )  # fmt: skip
        rows[0] = {**rows[0], "start": visit["start"], "end": visit["end"]}
    with (out / "breaks.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["officer_id", "date", "start", "end"])
        w.writeheader()
        w.writerows(rows)
    code, text = run("check", str(tiny_dir), str(out))
    assert code != 0 and "refreshment" in text, text


def test_a_bad_refreshment_policy_is_refused_with_its_line(tiny_dir: Path, tmp_path: Path) -> None:
    """A refreshment window the wrong way round stops the plan at the policy's line, exit 2."""
    (tiny_dir / "policy.toml").write_text("[shifts]\nrefreshment_window = [6, 3]\n")
    out = tmp_path / "out"
    code, text = run("plan", str(tiny_dir), "--month", "2027-01", "--out", str(out), "--quiet")
    assert code == 2 and "policy.toml:2" in text and "refreshment_window" in text, text
    assert not out.exists()
