"""Two months of the cycle through the CLI, as a supervisor runs it, kept on one record."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _ok(*args: str) -> tuple[str, str]:
    code, out, err = _run(*args)
    assert code == 0, out + err
    return out, err


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _fill(sheet: Path, no_access: int = 1) -> list[dict[str, str]]:
    """Fill every outcome in: the first `no_access` rows no access, the rest completed."""
    rows = _rows(sheet)
    for i, r in enumerate(rows):
        r["outcome"] = "no_access" if i < no_access else "completed"
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    sheet.write_text(buf.getvalue(), encoding="utf-8")
    return rows


def test_two_months_of_the_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """plan, outcomes, record, sickness, re-plan, next month --after, history, audit, compliance."""
    monkeypatch.delenv("RSO_RECORD", raising=False)  # the default place, DATA_DIR/.rso
    data = tmp_path / "team"
    plan = ["--time-limit", "2", "--no-maps", "-q"]
    _ok("generate", "--offenders", "150", "--officers", "6", "--start", "2027-01-01",
        "--as-of", "2026-12-31", "--today", "2026-12-31", "--out", str(data), "-q")  # fmt: skip

    # January, planned on 31 December
    out, _ = _ok("plan", str(data), "--month", "2027-01", "--today", "2026-12-31",
                 "--out", str(tmp_path / "jan"), *plan)  # fmt: skip
    assert "Record: plan 1 issued" in out
    jan = _rows(tmp_path / "jan" / "roster.csv")

    # outcomes of the first week in
    sheet = tmp_path / "week1.csv"
    _ok("outcomes", str(tmp_path / "jan"), "--through", "2027-01-06", "--out", str(sheet))
    week1 = _fill(sheet)
    assert week1 and all(r["date"] <= "2027-01-06" for r in week1)
    out, _ = _ok("record", str(data), str(sheet), "--today", "2027-01-10")
    assert f"Recorded {len(week1)} outcomes" in out and "1 no access" in out

    # sickness from the 11th: the officer with most visits left
    later = [r for r in jan if r["date"] >= "2027-01-11"]
    sick = max(
        {o for r in later for o in r["officer_ids"].split(";")},
        key=lambda o: (sum(o in r["officer_ids"] for r in later), o),
    )
    with (data / "absences.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{sick},2027-01-11,2027-01-31,sickness\n")
    out, err = _ok("replan", str(tmp_path / "jan"), str(data), "--from", "2027-01-11",
                   "--out", str(tmp_path / "jan-r"), *plan)  # fmt: skip
    gap = [r for r in jan if "2027-01-07" <= r["date"] < "2027-01-11"]
    assert gap  # the visits of the 7th to the 10th have no outcome: said, counted and listed
    assert f"{len(gap)} issued visits before 2027-01-11 have no outcome in visits.csv" in err
    run = json.loads((tmp_path / "jan-r" / "run.json").read_text())
    assert sorted(u["visit_id"] for u in run["unrecorded"]) == sorted(r["visit_id"] for r in gap)
    summary = json.loads((tmp_path / "jan-r" / "summary.json").read_text())
    assert summary["unrecorded"] == len(gap)
    assert "Record: plan 3 issued" in out
    replanned = _rows(tmp_path / "jan-r" / "roster.csv")
    assert all(sick not in r["officer_ids"] for r in replanned)
    changes = _rows(tmp_path / "jan-r" / "changes.csv")
    assert all(
        c["visit_id"] == c["old_visit_id"]
        for c in changes
        if c["change"] in ("kept", "moved", "reassigned")
    )

    # February, planned on the 20th on top of the roster in force
    out, err = _ok("plan", str(data), "--month", "2027-02", "--today", "2027-01-20",
                   "--after", str(tmp_path / "jan-r"), "--out", str(tmp_path / "feb"), *plan)  # fmt: skip
    feb_summary = json.loads((tmp_path / "feb" / "summary.json").read_text())
    in_force = [r for r in jan if r["date"] < "2027-01-11"] + replanned
    assert feb_summary["assumed_done"] == len([r for r in in_force if r["date"] > "2027-01-06"])
    # the sheet of the re-plan lists the roster in force: January's first days, then the re-plan
    sheet_r = tmp_path / "in-force.csv"
    _ok("outcomes", str(tmp_path / "jan-r"), "--through", "2027-01-31", "--out", str(sheet_r))
    assert sorted(r["visit_id"] for r in _rows(sheet_r)) == sorted(r["visit_id"] for r in in_force)
    assert "Record: plan 4 issued" in out

    # February's first week's outcomes, then the auditors' questions
    sheet2 = tmp_path / "feb-week1.csv"
    _ok("outcomes", str(tmp_path / "feb"), "--through", "2027-02-07", "--out", str(sheet2))
    if _rows(sheet2):
        _fill(sheet2, no_access=0)
        _ok("record", str(data), str(sheet2), "--today", "2027-02-08")
    out, _ = _ok("report", "compliance", str(data), "--today", "2027-02-08", "--trend",
                 "--out", str(tmp_path / "compliance"), "-q")  # fmt: skip

    flow = {
        (r["month"], r["group_by"], r["group"]): r
        for r in _rows(tmp_path / "compliance" / "flow.csv")
    }
    jan_flow = flow[("2027-01", "all", "all")]
    assert jan_flow["plan"] == "1" and int(jan_flow["due"]) > 0 and jan_flow["on_time_pct"]
    areas = {r["area"] for r in _rows(data / "offenders.csv")}
    assert {("2027-01", "area", a) for a in areas} <= set(flow)
    assert any(k[1] == "offender_manager" for k in flow)
    assert "the share made on time" in (tmp_path / "compliance" / "compliance.html").read_text()

    out, _ = _ok("audit", str(data))
    kinds = [line.split()[3] for line in out.splitlines() if line[:5].strip().isdigit()]
    assert kinds[:4] == ["plan", str(len(week1)), "plan", "plan"]
    assert "re-plan of plan 1 from 2027-01-11" in out and "from_text=2027-01-11" in out
    out, _ = _ok("audit", str(data), "--verify")
    assert out.startswith("verified:") and "chain whole" in out

    moved = next(c for c in changes if c["change"] in ("moved", "reassigned"))
    out, _ = _ok("history", str(data), moved["offender_id"])
    assert "Plan 1 (plan 2027-01-01" in out and "Plan 3 (re-plan from 2027-01-11" in out
    assert moved["visit_id"] in out and f"change: {moved['change']}" in out
    person = week1[0]["offender_id"]  # recorded as no access in week 1
    out, _ = _ok("history", str(data), person)
    assert f"Outcome {week1[0]['date']} no_access ({week1[0]['visit_id']}" in out

    record = data / ".rso" / "record.sqlite"
    assert stat.S_IMODE(record.stat().st_mode) == 0o600
    assert stat.S_IMODE(record.parent.stat().st_mode) == 0o700
    # no coordinates anywhere in the record's printed output
    out, _ = _ok("audit", str(data), "--json")
    people = _rows(data / "offenders.csv")
    for p in people[:20]:
        assert p["lat"] not in out and p["lon"] not in out

    # and an entry altered afterwards is found
    con = sqlite3.connect(record)
    con.execute("UPDATE entries SET command = 'rso plan (edited)' WHERE seq = 1")
    con.commit()
    con.close()
    code, out, err = _run("audit", str(data), "--verify")
    assert code == 1 and "entry 1: its content does not match its hash" in out + err
