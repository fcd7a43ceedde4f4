"""Roster output files: what write_plan writes, and read_roster's located errors."""

from __future__ import annotations

import csv
import json
import stat
from datetime import date
from pathlib import Path

import pytest

from rso_scheduler.errors import InputError, OutputError
from rso_scheduler.models import Dataset, InputFile, Offender, Officer, RiskLevel, VisitKind
from rso_scheduler.outputs.files import staged_output
from rso_scheduler.outputs.roster_files import (
    CREW_COLUMNS,
    ROSTER_COLUMNS,
    parse_crews,
    parse_roster,
    parse_unscheduled,
    read_crews,
    read_roster,
    write_plan,
)
from rso_scheduler.policy import Policy
from rso_scheduler.roster import (
    CrewDayRecord,
    CrewRoute,
    OfficerLeg,
    PlannedVisit,
    PlanResult,
    Unscheduled,
)
from tests.solver_helpers import straight_min

START, END = date(2027, 1, 1), date(2027, 1, 31)


def _dataset() -> Dataset:
    people = (
        Offender(
            offender_id="P1",
            risk_level=RiskLevel.very_high,
            lat=51.46,
            lon=-0.98,
            offender_manager_id="A/1",
        ),
        Offender(
            offender_id="=HYPERLINK(1)",
            risk_level=RiskLevel.low,
            lat=51.47,
            lon=-0.99,
            offender_manager_id="B",
        ),
        Offender(offender_id="P3", risk_level=RiskLevel.high, lat=51.45, lon=-0.96),
    )
    officers = (
        Officer(officer_id="A/1", name="DC One", base_lat=51.45, base_lon=-0.97),
        Officer(officer_id="B", base_lat=51.45, base_lon=-0.97),
    )
    files = (InputFile(name="offenders.csv", sha256="ab" * 32, rows=3),)
    return Dataset(offenders=people, officers=officers, policy=Policy(), files=files)  # fmt: skip


def _result() -> PlanResult:
    v1 = PlannedVisit(
        "V1",
        date(2027, 1, 4),
        600,
        690,
        "P1",
        ("A/1", "B"),
        RiskLevel.very_high,
        date(2027, 1, 1),
        VisitKind.unannounced,
    )
    v2 = PlannedVisit(
        "V2",
        date(2027, 1, 4),
        720,
        780,
        "=HYPERLINK(1)",
        ("A/1", "B"),
        RiskLevel.low,
        date(2027, 1, 10),
        VisitKind.announced,
        seq=0,
        pulled_forward=False,
    )
    legs = (OfficerLeg("A/1", 590, 790, 25, 12.5), OfficerLeg("B", 590, 790, 25, 12.5))
    route = CrewRoute(date(2027, 1, 4), "A/1+B", ("A/1", "B"), ("V1", "V2"), legs)
    un = Unscheduled(
        "P3",
        RiskLevel.high,
        date(2027, 1, 20),
        "capacity: all eligible officers full before plan end",
    )
    crews = [
        CrewDayRecord(date(2027, 1, 4), "A/1+B", ("A/1", "B"), 480, 960, "=standing partners"),
        CrewDayRecord(date(2027, 1, 5), "A/1+B", ("A/1", "B"), 480, 960, "standing partners"),
    ]
    return PlanResult(START, END, [v1, v2], [un], [route], 3, 1.234, 7, 30.0, stats={"solver": "test"}, crew_days=crews)  # fmt: skip


@pytest.fixture
def written(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    with staged_output(out) as stage:
        write_plan(stage, _dataset(), _result(), {"solver": "test", "data_dir": "/data"})
    return out


def test_roster_columns_in_contract_order(written: Path) -> None:
    """roster.csv has the contract columns in order, then the documented extras."""
    with (written / "roster.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0][:10]) == ROSTER_COLUMNS
    assert rows[0][10:] == [
        "seq",
        "pulled_forward",
        "crew_id",
        "offender_manager_on_visit",
        "late_reason",
        "pinned",
    ]
    assert rows[1] == [
        "V1",
        "2027-01-04",
        "10:00",
        "11:30",
        "P1",
        "A/1;B",
        "very_high",
        "2027-01-01",
        "3",
        "unannounced",
        "0",
        "false",
        "A/1+B",
        "true",
        "",
        "no",
    ]
    assert rows[2][4] == "'=HYPERLINK(1)"  # formula-neutral
    assert rows[2][13] == "true" and rows[2][8] == "0"  # fmt: skip


def test_crews_csv_one_row_per_crew_day(written: Path) -> None:
    """crews.csv: every crew-day formed (an idle one too) with its figures and its reason,
    formulas neutralised, readable back by parse_crews."""
    text = (written / "crews.csv").read_text()
    rows = list(csv.reader(text.splitlines()))
    assert tuple(rows[0]) == CREW_COLUMNS
    ds = _dataset()
    people, officers = ds.offender_by_id(), ds.officer_by_id()
    home1, home2 = people["P1"], people["=HYPERLINK(1)"]
    base = officers["B"]
    legs = [
        straight_min(base.base_lat, base.base_lon, home1.lat, home1.lon, ds.policy.travel),
        straight_min(home1.lat, home1.lon, home2.lat, home2.lon, ds.policy.travel),
        straight_min(home2.lat, home2.lon, base.base_lat, base.base_lon, ds.policy.travel),
    ]
    assert rows[1] == [
        "2027-01-04",
        "A/1+B",
        "A/1;B",
        "DC One;B",  # names where officers.csv has them, else the id
        ";",
        "08:00",
        "16:00",
        "2",
        "50",
        str(max(legs)),
        "'=standing partners",
        "",  # no more detail than the sentence
    ]
    assert rows[2][:3] == ["2027-01-05", "A/1+B", "A/1;B"] and rows[2][7:10] == ["0", "0", "0"]
    back = parse_crews(text)
    assert [(c.date, c.crew_id, c.formed_because) for c in back] == [
        (date(2027, 1, 4), "A/1+B", "=standing partners"),
        (date(2027, 1, 5), "A/1+B", "standing partners"),
    ]


def test_crews_csv_of_long_officer_ids_reads_back() -> None:
    """A crew of two officers with the longest ids allowed reads back (its crew id is longer
    than one id may be); a row with no crew id is a located error."""
    a, b = "A" * 64, "B" * 64
    back = parse_crews(f"date,crew_id,officer_ids,formed_because\n2027-01-04,{a}+{b},{a};{b},x\n")
    assert back[0].crew_id == f"{a}+{b}" and back[0].officer_ids == (a, b)
    with pytest.raises(InputError) as err:
        parse_crews("date,crew_id,officer_ids,formed_because\n2027-01-04,,A,x\n")
    (p,) = err.value.problems
    assert (p.file, p.line, p.column) == ("crews.csv", 2, "crew_id")


def test_crews_csv_missing_reads_as_none(tmp_path: Path) -> None:
    """An older plan folder without crews.csv has no crew reasons, and that is no error."""
    assert read_crews(tmp_path) == []


def test_files_are_private(written: Path) -> None:
    """Every file written is readable by the owner only."""
    paths = [p for p in written.rglob("*") if p.is_file()]
    assert {p.name for p in paths} >= {
        "roster.csv",
        "unscheduled.csv",
        "summary.json",
        "run.json",
        "crews.csv",
        "index.csv",
    }
    for p in paths:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_summary_and_run_record(written: Path) -> None:
    """summary.json has the contract fields and breakdowns; run.json records versions and inputs."""
    s = json.loads((written / "summary.json").read_text())
    assert (s["visits_due"], s["visits_planned"], s["on_time"], s["late"], s["unscheduled"]) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert s["travel_minutes"] == 50 and s["travel_km"] == 25.0
    assert s["policy_sha256"] == Policy().digest() and s["input_files"] == {
        "offenders.csv": "ab" * 32
    }
    assert s["by_risk"]["high"] == {
        "visits_due": 1,
        "visits_planned": 0,
        "on_time": 0,
        "late": 0,
        "unscheduled": 1,
        "max_days_late": 0,
    }
    assert s["risk_weighted_missed"] == 4 and s["risk_weighted_late_days"] == 8 * 3
    assert s["continuity_share"] == 1.0 and s["max_days_late"] == 3
    # the unscheduled P3 (due 20 Jan) is 11 days overdue by 31 Jan: worse than P1 planned 3 days late
    assert s["most_overdue"] == {
        "offender_id": "P3",
        "risk_level": "high",
        "due_date": "2027-01-20",
        "days_late": 11,
        "planned": False,
    }
    r = json.loads((written / "run.json").read_text())
    for key in (
        "version",
        "python",
        "ortools",
        "pydantic",
        "data_dir",
        "seed",
        "time_limit_s",
        "solver",
        "input_files",
        "finished",
        "policy",
    ):
        assert key in r, key
    assert (r["plan_start"], r["plan_end"], r["seed"]) == ("2027-01-01", "2027-01-31", 7)  # fmt: skip


def test_day_sheets(written: Path) -> None:
    """One sheet per officer (ids made safe as file names) and an index with travel."""
    with (written / "day_sheets" / "index.csv").open() as fh:
        index = list(csv.DictReader(fh))
    assert [(r["officer_id"], r["file"], r["days"], r["visits"]) for r in index] == [
        ("A/1", "A_1.csv", "1", "2"),
        ("B", "B.csv", "1", "2"),
    ]
    with (written / "day_sheets" / "A_1.csv").open() as fh:
        sheet = list(csv.DictReader(fh))
    assert [r["order"] for r in sheet] == ["1", "2"] and sheet[0]["partner_officers"] == "B"
    home = straight_min(51.47, -0.99, 51.45, -0.97, Policy().travel)  # last visit back to base
    assert (
        int(index[0]["travel_minutes"])
        == sum(int(r["travel_from_previous_min"]) for r in sheet) + home
    )
    assert int(sheet[0]["travel_from_previous_min"]) == straight_min(
        51.45, -0.97, 51.46, -0.98, Policy().travel
    )


def test_round_trip(written: Path) -> None:
    """read_roster gives back what was written, formula guard removed."""
    rf = read_roster(written)
    assert (rf.plan_start, rf.plan_end, rf.work_bank_holidays) == (START, END, False)
    v1, v2 = rf.visits
    assert (v1.visit_id, v1.start_min, v1.end_min, v1.officer_ids, v1.days_late, v1.kind) == (
        "V1",
        600,
        690,
        ("A/1", "B"),
        3,
        "unannounced",
    )
    assert v2.offender_id == "=HYPERLINK(1)" and v2.line == 3
    assert rf.unscheduled[0].offender_id == "P3" and rf.unscheduled[0].due_date == date(2027, 1, 20)  # fmt: skip


HEADER = ",".join(ROSTER_COLUMNS)
GOOD = "V1,2027-01-04,10:00,11:30,P1,A;B,very_high,2027-01-01,3,unannounced"


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        (
            f"{HEADER}\n{GOOD}\n{GOOD.replace('2027-01-04', '04/01/2027')}\n",
            3,
            "date",
            "write dates as YYYY-MM-DD",
        ),
        (f"{HEADER}\n{GOOD.replace('10:00', '10h')}\n", 2, "start", "expected HH:MM"),
        (f"{HEADER}\n{GOOD.replace(',3,', ',three,')}\n", 2, "days_late", "whole number"),
        (f"{HEADER}\n{GOOD},extra\n", 2, None, "cells"),
        (f"{HEADER.replace('kind', 'sort')}\n{GOOD}\n", 1, "kind", "missing"),
        (f"{HEADER}\n{GOOD.replace('V1', '')}\n", 2, "visit_id", "empty"),
    ],
)
def test_malformed_roster_is_located(text: str, line: int, column: str | None, words: str) -> None:
    """A malformed roster.csv is reported with file, line and column."""
    with pytest.raises(InputError) as exc:
        parse_roster(text)
    (p,) = exc.value.problems
    assert (p.file, p.line, p.column) == ("roster.csv", line, column) and words in p.message


def test_quoted_newlines_keep_line_numbers() -> None:
    """Line numbers count physical lines, even after a cell holding a newline."""
    text = f'{HEADER},crew_id\n{GOOD},"two\nlines"\n{GOOD.replace("2027-01-04", "bad")},x\n'
    with pytest.raises(InputError) as exc:
        parse_roster(text)
    assert exc.value.problems[0].line == 4


def test_unscheduled_and_missing_files(tmp_path: Path, written: Path) -> None:
    """Bad unscheduled dates are located; a folder without a plan gives a clear error."""
    with pytest.raises(InputError) as exc:
        parse_unscheduled("offender_id,risk_level,due_date,reason\nP1,high,soon,x\n")
    assert (exc.value.problems[0].line, exc.value.problems[0].column) == (2, "due_date")
    with pytest.raises(OutputError, match="roster.csv is missing"):
        read_roster(tmp_path / "nothing")
    (written / "summary.json").write_text("{oops")
    with pytest.raises(InputError) as exc:
        read_roster(written)
    assert exc.value.problems[0].file == "summary.json" and exc.value.problems[0].line == 1


def test_crews_after_change_forms_a_crew_for_a_re_crew_and_keeps_the_one_left_idle():
    """A visit re-crewed to officers not together that day forms their crew-day with the
    change's reason; the crew it left stays listed, idle, its reason kept and the change noted;
    an untouched crew-day's row is written back as it was."""
    from rso_scheduler.outputs.roster_files import CrewRow, RosterRow, crews_after_change
    from rso_scheduler.travel import travel_for

    ds = _dataset()
    d1, d2 = date(2027, 1, 4), date(2027, 1, 5)

    def visit(vid: str, day: date, ids: tuple[str, ...]) -> RosterRow:
        return RosterRow(2, vid, day, 600, 660, "P3", ids, "high", d1, 0, "announced")

    kept_cells = ("2027-01-05", "A/1+B", "A/1;B", "DC One;B", ";", "09:00", "17:00")
    kept_cells += ("1", "4", "2", "paired", "")
    crews = [
        CrewRow(2, d1, "A/1+B", ("A/1", "B"), "paired for skills", "detail"),
        CrewRow(3, d2, "A/1+B", ("A/1", "B"), "paired", "", kept_cells),
    ]
    before = [visit("V1", d1, ("A/1", "B")), visit("V2", d2, ("A/1", "B"))]
    after = [visit("V1", d1, ("A/1",)), visit("V2", d2, ("A/1", "B"))]
    note = "changed in the workbench: B at court"
    rows, table = crews_after_change(crews, before, after, ds, travel_for(None, ds.policy), note)
    by_key = {(r.date, r.crew_id): t for r, t in zip(rows, table, strict=True)}
    col = {name: i for i, name in enumerate(CREW_COLUMNS)}
    new = by_key[d1, "A/1"]
    assert new[col["visits"]] == 1 and new[col["formed_because"]] == note
    assert new[col["travel_min"]] > 0
    idle = by_key[d1, "A/1+B"]
    assert idle[col["visits"]] == 0 and idle[col["formed_because"]] == "paired for skills"
    assert idle[col["formed_detail"]] == f"detail; {note}"
    assert by_key[d2, "A/1+B"] == list(kept_cells)
