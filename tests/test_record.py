"""The record (record/store.py, record/book.py): migrations, the hash chain, tampering found,
changes with reasons, and the reads a web layer uses."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.record import (
    ChangeRefused,
    NotFound,
    Store,
    apply_change,
    plan_visits,
    plans,
    record_path,
)
from rso_scheduler.record.store import MIGRATIONS, migrate, schema_version


def _visit(vid: str, pid: str, day: str) -> dict[str, object]:
    return {
        "visit_id": vid, "date": day, "start": "10:00", "end": "11:00", "offender_id": pid,
        "officer_ids": ["A", "B"], "risk_level": "high", "due_date": day, "days_late": 0,
        "kind": "announced", "late_reason": "", "pinned": False, "crew_id": "A+B",
    }  # fmt: skip


def _fill(path: Path) -> None:
    """Five entries: a plan, two changes, outcomes, a report."""
    with Store.open(path) as s:
        s.append(
            "plan",
            {"start": "2027-01-01", "end": "2027-01-31", "visits": [_visit("V00001", "P1", "2027-01-05"), _visit("V00002", "P2", "2027-01-06")],
             "unscheduled": [], "assumed_done": [], "figures": {}, "out_dir": "/x"},
            command="rso plan",
        )  # fmt: skip
        apply_change(s, "1", "V00001", date="2027-01-07", reason="officer at court", command="t")
        apply_change(s, "1", "V00002", pinned=True, reason="agreed with the family", command="t")
        s.append(
            "outcomes", {"sheet": "s.csv", "rows": [{"offender_id": "P1", "date": "2027-01-07"}]}
        )
        s.append("report", {"report": "compliance", "as_of": "2027-01-31"}, people=())


def _verify(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["audit", str(path.parent), "--verify", "--record", str(path)]
    )
    return result.exit_code, result.output


def test_a_whole_chain_verifies(tmp_path: Path) -> None:
    """Five entries appended through the API verify, and the head is the fifth."""
    path = tmp_path / "r.sqlite"
    _fill(path)
    code, out = _verify(path)
    assert code == 0 and "verified: 5 entries" in out, out


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            "UPDATE entries SET body = replace(body, 'court', 'leave') WHERE seq = 2",
            "entry 2: its content does not match its hash",
        ),
        (
            "UPDATE entries SET user_name = 'someone' WHERE seq = 4",
            "entry 4: its content does not match its hash",
        ),
        (
            "DELETE FROM entries WHERE seq = 3",
            "entry 4: expected entry 3 here; entries are missing",
        ),
        (
            "UPDATE entries SET seq = -seq WHERE seq IN (2, 3); UPDATE entries SET seq = 5 + seq WHERE seq IN (-2, -3)",
            "entry 2: does not follow the entry before it",
        ),
    ],
    ids=["altered-body", "altered-user", "deleted", "reordered"],
)
def test_verify_finds_tampering(tmp_path: Path, tamper: str, expected: str) -> None:
    """An altered, a deleted and a reordered entry, each made directly in SQLite, fail --verify."""
    path = tmp_path / "r.sqlite"
    _fill(path)
    con = sqlite3.connect(path)
    con.executescript(tamper)
    con.commit()
    con.close()
    code, out = _verify(path)
    assert code == 1, out
    assert expected in out and "FAILED verification" in out


def test_a_kept_head_finds_entries_cut_off_the_end(tmp_path: Path) -> None:
    """Cutting the last entries leaves a whole chain; --head with the old head fails it."""
    path = tmp_path / "r.sqlite"
    _fill(path)
    with Store.open(path) as s:
        head = s.head()[1]
    args = ["audit", str(tmp_path), "--verify", "--record", str(path), "--head", head]
    assert CliRunner().invoke(main, args).exit_code == 0
    con = sqlite3.connect(path)
    con.execute("DELETE FROM entries WHERE seq = 5")
    con.commit()
    con.close()
    assert _verify(path)[0] == 0  # the shorter chain is whole...
    result = CliRunner().invoke(main, args)
    assert (
        result.exit_code == 1 and "is not in the chain" in result.output
    )  # ...but not the kept head


def test_the_default_place_is_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DATA_DIR/.rso/record.sqlite by default: folder 0700, file 0600; RSO_RECORD moves it."""
    monkeypatch.delenv("RSO_RECORD", raising=False)
    path = record_path(tmp_path)
    assert path == tmp_path / ".rso" / "record.sqlite"
    with Store.open(path):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    monkeypatch.setenv("RSO_RECORD", str(tmp_path / "elsewhere.sqlite"))
    assert record_path(tmp_path) == tmp_path / "elsewhere.sqlite"


def test_migrations_bring_an_old_record_up_to_date(tmp_path: Path) -> None:
    """A record made at schema 1 is migrated to the latest, and its people are indexed."""
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path, isolation_level=None)
    assert migrate(con, upto=1) == [1]
    con.execute(
        "INSERT INTO entries VALUES (1, 't', 'u', 'c', 'outcomes', '', ?, ?, 'h')",
        ('{"rows":[{"offender_id":"P9"}]}', "0" * 64),
    )
    assert migrate(con) == [v for v, _, _ in MIGRATIONS if v > 1]
    assert schema_version(con) == MIGRATIONS[-1][0]
    assert con.execute("SELECT offender_id FROM entry_people").fetchall() == [("P9",)]
    assert migrate(con) == []  # nothing twice
    con.close()


def test_changes_apply_in_order_and_need_a_reason(tmp_path: Path) -> None:
    """A plan's visits read with its changes applied; no reason, or a broken rule, is refused."""
    path = tmp_path / "r.sqlite"
    _fill(path)
    with Store.open(path) as s:
        (info,) = plans(s)
        assert (info.id, info.start, info.end) == ("1", "2027-01-01", "2027-01-31")
        rows = {r["visit_id"]: r for r in plan_visits(s, "1")}
        assert rows["V00001"]["date"] == "2027-01-07" and rows["V00002"]["pinned"] is True
        with pytest.raises(ChangeRefused) as refused:
            apply_change(s, "1", "V00001", date="2027-01-08", reason=" ", command="t")
        assert refused.value.rule == "reason"
        with pytest.raises(ChangeRefused) as refused:
            apply_change(
                s, "1", "V00001", date="2027-01-09", reason="r", command="t",
                check=lambda rows, vid: [("person_unavailable", f"{vid}: P1 is away")],
            )  # fmt: skip
        assert refused.value.rule == "person_unavailable"
        with pytest.raises(NotFound):
            apply_change(s, "1", "V99999", date="2027-01-09", reason="r", command="t")
        assert len(s.entries()) == 5  # nothing recorded by the refusals
        apply_change(s, "1", "V00002", remove=True, reason="moved away", command="t")
        assert [r["visit_id"] for r in plan_visits(s, "1")] == ["V00001"]


def test_rule_check_refuses_a_move_by_the_rules_name(
    tiny_dir: Path, planned: Path, tmp_path: Path
) -> None:
    """A visit moved onto a Sunday is refused naming the broken rule; a pin is accepted."""
    from datetime import date

    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.record import plan_visits, record_issued
    from rso_scheduler.record.checking import rule_check

    dataset = load_dataset(tiny_dir, today=date(2026, 12, 31))
    with Store.open(tmp_path / "r.sqlite") as s:
        plan_id = str(record_issued(s, planned, "rso plan").seq)
        check = rule_check(dataset, s, plan_id)
        visit = plan_visits(s, plan_id)[0]
        with pytest.raises(ChangeRefused) as refused:
            apply_change(
                s,
                plan_id,
                visit["visit_id"],
                date="2027-01-10",
                reason="r",
                command="t",
                check=check,
            )
        assert refused.value.rule == "officer_working", refused.value  # Sunday: nobody on duty
        assert visit["visit_id"] in refused.value.message  # the moved visit's own rule first
        after = apply_change(
            s, plan_id, visit["visit_id"], pinned=True, reason="agreed", command="t", check=check
        )
        assert after is not None and after["pinned"] is True
        assert [e.kind for e in s.entries()] == ["plan", "change"]


def test_a_second_writer_waits_for_the_lock(tmp_path: Path) -> None:
    """While one writer holds the record's lock another cannot append; after it, the chain is whole."""
    path = tmp_path / "r.sqlite"
    _fill(path)
    with Store.open(path) as first, first.exclusive():
        first.append("report", {"report": "x"}, people=())
        other = sqlite3.connect(path, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    with Store.open(path) as s:
        s.append("report", {"report": "y"}, people=())
        assert s.verify() == [] and s.head()[0] == 7


def test_an_unwritable_record_stops_a_plan_before_planning(tiny_dir: Path, tmp_path: Path) -> None:
    """A record that cannot be made (its place is a file's child) stops rso plan early, saying how."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(
        main,
        ["plan", str(tiny_dir), "--month", "2027-01", "--out", str(tmp_path / "out"), "--solver", "greedy", "--no-maps", "-q"],
        env={"RSO_RECORD": str(blocker / "record.sqlite")},
    )  # fmt: skip
    assert result.exit_code == 1 and "RSO_RECORD=" in result.output
    assert not (tmp_path / "out").exists()


NARROW_BREAK = "[shifts]\nrefreshment_window = [3, 4]\n"  # 08:00 shifts: a break 11:00-12:00


def _narrow_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny folder with a one-hour refreshment window, planned by greedy and recorded as
    plan 1 in a record of its own."""
    from conftest import TINY_ABSENCES, TINY_OFFENDERS, TINY_OFFICERS, TINY_VISITS, write_data_dir

    data = write_data_dir(
        tmp_path / "narrow",
        offenders=TINY_OFFENDERS,
        officers=TINY_OFFICERS,
        absences=TINY_ABSENCES,
        visits=TINY_VISITS,
        policy=NARROW_BREAK,
    )
    monkeypatch.setenv("RSO_RECORD", str(tmp_path / "record.sqlite"))
    args = ["plan", str(data), "--month", "2027-01", "--out", str(tmp_path / "plan")]
    result = CliRunner().invoke(main, [*args, "--solver", "greedy", "--no-maps", "--quiet"])
    assert result.exit_code == 0, result.output
    return data


def test_migration_3_keeps_the_breaks_of_plans_recorded_before_it(tmp_path: Path) -> None:
    """A plan recorded at schema 2 gets its folder's breaks.csv in plan_breaks on migrating."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "breaks.csv").write_text(
        "officer_id,date,start,end\nTV001,2027-01-04,11:00,11:45\n", encoding="utf-8"
    )
    con = sqlite3.connect(tmp_path / "old.sqlite", isolation_level=None)
    assert migrate(con, upto=2) == [1, 2]
    con.execute(
        "INSERT INTO entries VALUES (1, 't', 'u', 'c', 'plan', '', ?, ?, 'h')",
        ('{"out_dir":"%s","visits":[]}' % (tmp_path / "p"), "0" * 64),
    )
    assert migrate(con) == [3]
    got = con.execute("SELECT officer_id, day, break_start, break_end FROM plan_breaks")
    assert got.fetchall() == [("TV001", "2027-01-04", "11:00", "11:45")]
    con.close()


def test_a_change_keeps_a_lawful_break_or_is_refused_by_refreshment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A move filling the officers' break window is refused by `refreshment`; a legal move is
    recorded with re-derived breaks that the independent checker passes."""
    from datetime import date

    from rso_scheduler.check import check_plan
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.outputs.roster_files import BreakRow, read_roster
    from rso_scheduler.record import plan_breaks
    from rso_scheduler.record.checking import roster_row, rule_check

    data = _narrow_plan(tmp_path, monkeypatch)
    dataset = load_dataset(data, today=date(2026, 12, 31))
    with Store.open(record_path(data)) as s:
        issued = plan_breaks(s, "1")
        assert issued and issued[("TV003", "2027-01-25")] == ("11:00", "11:45")
        visit = next(r for r in plan_visits(s, "1") if r["date"] == "2027-01-25")
        entries = len(s.entries())
        assert visit["officer_ids"] == ["TV003", "TV004"]
        with pytest.raises(ChangeRefused) as refused:
            apply_change(
                s, "1", visit["visit_id"], start="10:45", reason="r", command="t",
                check=rule_check(dataset, s, "1"),
            )  # fmt: skip
        assert refused.value.rule == "refreshment", refused.value
        assert "no time on 2027-01-25" in refused.value.message
        assert len(s.entries()) == entries  # nothing recorded
        apply_change(
            s, "1", visit["visit_id"], date="2027-01-26", reason="court", command="t",
            check=rule_check(dataset, s, "1"),
        )  # fmt: skip
        breaks = plan_breaks(s, "1")
        rows = plan_visits(s, "1")
    assert breaks is not None and ("TV003", "2027-01-26") in breaks
    assert ("TV003", "2027-01-25") not in breaks  # the day it left has no visit now
    files = read_roster(tmp_path / "plan")
    files.visits = [roster_row(r, i + 2) for i, r in enumerate(rows)]
    files.breaks = [
        BreakRow(i + 2, o, date.fromisoformat(d), int(a[:2]) * 60 + int(a[3:]), int(b[:2]) * 60 + int(b[3:]))
        for i, ((o, d), (a, b)) in enumerate(sorted(breaks.items()))
    ]  # fmt: skip
    found = check_plan(dataset, files, work_bank_holidays=False)
    assert [v for v in found if v.rule not in ("summary", "inputs_changed")] == []
