"""The outcome sheet (outcomes.py), `rso outcomes` and `rso record`."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.errors import InputError
from rso_scheduler.ingest import load_dataset, parse_visits
from rso_scheduler.models import Outcome
from rso_scheduler.outcomes import SHEET_COLUMNS, appended_log, parse_sheet

TODAY = date(2027, 1, 10)
HEAD = ",".join(SHEET_COLUMNS) + "\n"


def _problems(tiny_dir: Path, body: str) -> list[str]:
    dataset = load_dataset(tiny_dir, today=TODAY)
    with pytest.raises(InputError) as exc:
        parse_sheet(HEAD + body, "sheet.csv", dataset, TODAY)
    return [str(p) for p in exc.value.problems]


def test_a_good_sheet_reads_and_blank_rows_are_skipped(tiny_dir: Path) -> None:
    """Filled rows become log entries with their visit ids; blank outcomes are counted."""
    dataset = load_dataset(tiny_dir, today=TODAY)
    sheet = parse_sheet(
        HEAD
        + "V00001,P001,2027-01-05,10:00,TV001;TV002,completed,announced\n"
        + "V00002,P002,2027-01-06,11:00,TV001;TV002,,unannounced\n"
        + "V00003,P003,2027-01-06,18:00,TV001;TV002,no access,\n",
        "sheet.csv",
        dataset,
        TODAY,
    )
    assert sheet.blank == 1
    assert [(r.visit_id, r.record.outcome) for r in sheet.rows] == [
        ("V00001", Outcome.completed),
        ("V00003", Outcome.no_access),
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "V1,NOBODY,2027-01-05,10:00,TV001;TV002,completed,",
            "sheet.csv:2 offender_id: 'NOBODY' is not a person",
        ),
        (
            "V1,P001,2027-01-05,10:00,TV001;TV999,completed,",
            "sheet.csv:2 officer_ids: 'TV999' is not an officer_id",
        ),
        ("V1,P001,2027-01-05,10:00,TV001;TV002,made,", "sheet.csv:2 outcome:"),
        (
            "V1,P001,2027-01-11,10:00,TV001;TV002,completed,",
            "sheet.csv:2 date: '2027-01-11' is after today",
        ),
        ("V1,P001,05/01/2027,10:00,TV001;TV002,completed,", "sheet.csv:2 date:"),
        (
            "V1,P001,2026-11-01,10:00,TV001;TV002,completed,",
            "already has an outcome on 2026-11-01 in visits.csv (line 2)",
        ),
    ],
)
def test_each_bad_row_is_located(tiny_dir: Path, row: str, expected: str) -> None:
    """Unknown person or officer, bad outcome, future or malformed date, already logged."""
    assert any(expected in p for p in _problems(tiny_dir, row + "\n"))


def test_a_visit_recorded_twice_is_refused(tiny_dir: Path) -> None:
    """The same visit_id, or the same person and day, twice in a sheet is an error on line 3."""
    got = _problems(
        tiny_dir,
        "V1,P001,2027-01-05,10:00,TV001;TV002,completed,\n"
        "V1,P001,2027-01-05,10:00,TV001;TV002,completed,\n",
    )
    assert any(p.startswith("sheet.csv:3 visit_id:") and "twice" in p for p in got)
    assert any(p.startswith("sheet.csv:3 date:") and "second outcome" in p for p in got)


def test_appended_log_keeps_the_old_text_and_its_column_order(tiny_dir: Path) -> None:
    """New rows follow the old bytes, in the log's own column order, and parse back."""
    dataset = load_dataset(tiny_dir, today=TODAY)
    old = "outcome,offender_id,date,officer_ids\ncompleted,P001,2026-11-01,TV001;TV002"
    sheet = parse_sheet(
        HEAD + "V1,P002,2027-01-05,,TV001;TV002,cancelled,\n", "s.csv", dataset, TODAY
    )
    text = appended_log(old, [r.record for r in sheet.rows], "visits.csv")
    assert text.startswith(old + "\n")
    assert text.endswith("cancelled,P002,2027-01-05,TV001;TV002\n")
    assert len(parse_visits(text).rows) == 2


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_outcomes_then_record_through_the_cli(
    tiny_dir: Path, planned: Path, tmp_path: Path
) -> None:
    """The sheet lists the roster up to --through; record appends once and refuses a second time."""
    sheet = tmp_path / "sheet.csv"
    code, out, err = _run("outcomes", str(planned), "--through", "2027-01-15", "--out", str(sheet))
    assert code == 0, out + err
    rows = list(csv.DictReader(io.StringIO(sheet.read_text())))
    assert rows and all(r["outcome"] == "" and r["date"] <= "2027-01-15" for r in rows)
    assert list(rows[0]) == list(SHEET_COLUMNS)
    rows[0]["outcome"] = "completed"
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, SHEET_COLUMNS)
        w.writeheader()
        w.writerows(rows)
    before = (tiny_dir / "visits.csv").read_text()
    code, out, err = _run("record", str(tiny_dir), str(sheet), "--today", "2027-01-31")
    assert code == 0, out + err
    assert "Recorded 1 outcome" in out and f"{len(rows) - 1} rows left blank" in out
    after = (tiny_dir / "visits.csv").read_text()
    assert after.startswith(before) and after.count("\n") == before.count("\n") + 1
    code, out, err = _run("record", str(tiny_dir), str(sheet), "--today", "2027-01-31")
    assert code == 2 and "sheet.csv:2 date:" in err and "nothing was written" in err
    assert (tiny_dir / "visits.csv").read_text() == after


def test_record_refuses_a_future_outcome_and_writes_nothing(tiny_dir: Path, tmp_path: Path) -> None:
    """An outcome dated after --today: exit 2, located, visits.csv untouched."""
    sheet = tmp_path / "s.csv"
    sheet.write_text(HEAD + "V1,P001,2027-02-01,10:00,TV001;TV002,completed,\n")
    before = (tiny_dir / "visits.csv").read_bytes()
    code, out, err = _run("record", str(tiny_dir), str(sheet), "--today", "2027-01-31")
    assert code == 2 and "s.csv:2 date: '2027-02-01' is after today" in err
    assert (tiny_dir / "visits.csv").read_bytes() == before


def test_record_rows_takes_a_forms_outcomes_by_the_same_rules(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """The workbench's way in: rows as dicts, the same located errors, then log and record."""
    from rso_scheduler.record import Store, outcomes
    from rso_scheduler.record.intake import record_rows

    record = tmp_path / "r.sqlite"
    good = {"visit_id": "V00001", "offender_id": "P001", "date": "2027-01-05",
            "officer_ids": "TV001;TV002", "outcome": "completed"}  # fmt: skip
    with pytest.raises(InputError) as exc:
        record_rows(tiny_dir, [good, {**good, "visit_id": "V2", "offender_id": "NOBODY"}],
                    TODAY, "web", record, file="web")  # fmt: skip
    assert any(str(p).startswith("web:3 offender_id:") for p in exc.value.problems)
    with Store.open(record) as store:
        assert store.entries() == []  # nothing recorded, nothing appended
    assert "2027-01-05" not in (tiny_dir / "visits.csv").read_text()
    done = record_rows(tiny_dir, [good], TODAY, "web", record)
    assert done.entry is not None and "P001,2027-01-05" in (tiny_dir / "visits.csv").read_text()
    with Store.open(record) as store:
        assert [(o["visit_id"], o["outcome"]) for o in outcomes(store, "P001")] == [
            ("V00001", "completed")
        ]
