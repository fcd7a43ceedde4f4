"""Late days the plan inherited and late days it added, and a reason for every late visit,
end to end through the CLI into tmp_path (issue 19)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main

SPLIT = ("late_days", "risk_weighted_late_days")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def plan(data: Path, out: Path, solver: str, *period: str) -> str:
    code, text = run(
        "plan", str(data), *(period or ("--month", "2027-01")), "--out", str(out),
        "--solver", solver, "--no-maps", "--quiet", "--time-limit", "5", "--today", "2026-11-20",
    )  # fmt: skip
    assert code == 0, text
    return text


def assert_split(figures: dict[str, int]) -> None:
    for name in SPLIT:
        assert figures[f"{name}_inherited"] + figures[f"{name}_added"] == figures[name], name


@pytest.mark.parametrize("solver", ["greedy", "optimised"])
def test_plan_splits_late_days_and_every_late_visit_says_why(
    tiny_dir: Path, tmp_path: Path, solver: str
) -> None:
    """Every late visit has a reason; one overdue at the start says by how much first;
    summary.json's inherited + added = total and matches roster.csv; the terminal says it."""
    out = tmp_path / "p"
    text = plan(tiny_dir, out, solver)
    summary = json.loads((out / "summary.json").read_text())
    weight = {k: v["weight"] for k, v in summary["policy"]["risk"].items()}
    start = date.fromisoformat(summary["plan_start"])
    inherited = rw_inherited = total = rw_total = 0
    for r in rows(out / "roster.csv"):
        late, due = int(r["days_late"]), date.fromisoformat(r["due_date"])
        assert bool(r["late_reason"]) == (late > 0), r["visit_id"]
        if late == 0:
            continue
        before = max(0, (start - due).days)
        if before:
            assert r["late_reason"].startswith(f"already {before} days overdue when the plan began")
            if late > before:
                assert f"; then {late - before} more day" in r["late_reason"]
        else:
            assert "overdue when the plan began" not in r["late_reason"]
        inherited += min(before, late)
        rw_inherited += weight[r["risk_level"]] * min(before, late)
        total += late
        rw_total += weight[r["risk_level"]] * late
    assert inherited > 0, "the tiny folder has visits overdue before January"
    assert_split(summary)
    assert (summary["late_days"], summary["late_days_inherited"]) == (total, inherited)
    assert summary["risk_weighted_late_days"] == rw_total
    assert summary["risk_weighted_late_days_inherited"] == rw_inherited
    assert summary["unscheduled_overdue_at_start"] == sum(
        1 for u in rows(out / "unscheduled.csv") if date.fromisoformat(u["due_date"]) < start
    )
    assert (
        f"Late days: {rw_total} risk-weighted = {rw_inherited} inherited (overdue before the "
        f"plan began) + {rw_total - rw_inherited} added by the plan; {total} days unweighted = "
        f"{inherited} inherited + {total - inherited} added."
    ) in text


@pytest.mark.parametrize("solver", ["greedy", "optimised"])
def test_overdue_visit_made_on_the_first_day_is_not_blank(
    tiny_dir: Path, tmp_path: Path, solver: str
) -> None:
    """A visit overdue at the start and made on the plan's first day says only that (it was
    blank before: nothing the plan did made it late)."""
    out = tmp_path / "p"
    plan(tiny_dir, out, solver, "--start", "2027-01-04", "--end", "2027-01-29")
    first_day = [r for r in rows(out / "roster.csv") if r["date"] == "2027-01-04"]
    late = [r for r in first_day if int(r["days_late"]) > 0]
    assert late, "the tiny folder has overdue visits made on 4 January"
    for r in late:
        assert r["late_reason"] == f"already {r['days_late']} days overdue when the plan began"
    summary = json.loads((out / "summary.json").read_text())
    assert_split(summary)
    assert summary["late_days_inherited"] >= sum(int(r["days_late"]) for r in late)


def test_replan_says_inherited_and_added(planned: Path, tiny_dir: Path, tmp_path: Path) -> None:
    """`rso replan` writes the split into summary.json and on the terminal, and reasons."""
    out = tmp_path / "r"
    code, text = run(
        "replan", str(planned), str(tiny_dir), "--from", "2027-01-11", "--out", str(out),
        "--no-maps", "--quiet", "--time-limit", "5",
    )  # fmt: skip
    assert code == 0, text
    summary = json.loads((out / "summary.json").read_text())
    assert_split(summary)
    if summary["late_days"]:
        assert "Late days: " in text and " inherited (overdue before the plan began) + " in text
    for r in rows(out / "roster.csv"):
        assert bool(r["late_reason"]) == (int(r["days_late"]) > 0), r["visit_id"]


def test_compliance_roster_splits_late_days(tiny_dir: Path, tmp_path: Path) -> None:
    """compliance --roster splits each made visit's late days at the plan's first day (from
    summary.json), per visit in plan_vs_actual.csv and in total on the terminal and page."""
    with (tiny_dir / "visits.csv").open("a", encoding="utf-8") as fh:
        fh.write("P002,2026-12-24,10:00,TV001;TV002,completed,announced\n")
        fh.write("P001,2026-12-23,10:00,TV001;TV002,completed,announced\n")
    roster = tmp_path / "plan"
    roster.mkdir()
    (roster / "roster.csv").write_text(
        "visit_id,date,start,end,offender_id,officer_ids,risk_level,due_date,days_late,kind\n"
        "V1,2026-12-24,10:00,11:15,P002,TV001;TV002,high,2026-12-20,4,announced\n"
        "V2,2026-12-23,10:00,11:30,P001,TV001;TV002,very_high,2026-12-01,22,announced\n",
        encoding="utf-8",
    )
    (roster / "summary.json").write_text('{"plan_start": "2026-12-22"}', encoding="utf-8")
    out = tmp_path / "rep"
    code, text = run(
        "report", "compliance", str(tiny_dir), "--as-of", "2026-12-31", "--today", "2027-01-05",
        "--out", str(out), "--roster", str(roster), "-q",
    )  # fmt: skip
    assert code == 0, text
    checks = {r["visit_id"]: r for r in rows(out / "plan_vs_actual.csv")}
    assert (checks["V1"]["days_late"], checks["V1"]["days_late_inherited"]) == ("4", "2")
    assert checks["V1"]["days_late_added"] == "2"
    assert (checks["V2"]["days_late"], checks["V2"]["days_late_inherited"]) == ("22", "21")
    assert checks["V2"]["days_late_added"] == "1"
    # high weighs 4, very high 8 (the default policy)
    line = (
        "late days of the visits made: 192 risk-weighted = 176 inherited (overdue before the "
        "plan began) + 16 added; 26 unweighted = 23 inherited + 3 added"
    )
    assert line in text
    page = (out / "compliance.html").read_text(encoding="utf-8")
    assert "192 risk-weighted = 176 inherited" in page
    record = json.loads((out / "report_run.json").read_text())
    assert record["plan_start"] == "2026-12-22"
    assert_split(record["plan_lateness"])


def test_compliance_roster_bad_plan_start_is_located(tiny_dir: Path, tmp_path: Path) -> None:
    """A summary.json beside the roster whose plan_start is not a date: exit 2, located."""
    roster = tmp_path / "plan"
    roster.mkdir()
    (roster / "roster.csv").write_text(
        "visit_id,date,start,end,offender_id,officer_ids,risk_level,due_date,days_late,kind\n",
        encoding="utf-8",
    )
    (roster / "summary.json").write_text('{"plan_start": "2026-13-01"}', encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["report", "compliance", str(tiny_dir), "--out", str(tmp_path / "r"), "--roster",
         str(roster), "-q"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "summary.json" in result.stderr and "plan_start" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "r").exists()


def test_scenario_tables_split_late_days(tiny_dir: Path, tmp_path: Path) -> None:
    """scenario run's comparison.csv and months.csv split late days (inherited + added =
    total), the terminal shows both, and the page charts them."""
    scenario = tmp_path / "base.toml"
    scenario.write_text(
        f'data = "{tiny_dir}"\nstart = "2027-01-01"\nmonths = 2\nname = "Baseline"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    code, text = run(
        "scenario", "run", str(scenario), "--out", str(out), "--planner", "greedy", "--jobs", "1",
        "--time-limit", "2",
    )  # fmt: skip
    assert code == 0, text
    for table in ("comparison.csv", "months.csv"):
        for r in rows(out / table):
            assert_split({k: int(v) for k, v in r.items() if "late_days" in k and v.isdigit()})
    (comp,) = rows(out / "comparison.csv")
    assert int(comp["late_days_inherited"]) > 0
    assert "late_days_inherited" in text and "late_days_added" in text
    page = (out / "comparison.html").read_text(encoding="utf-8")
    assert "Late days over the horizon: inherited" in page


def test_crew_reasons_are_one_short_sentence_with_names(tmp_path: Path) -> None:
    """crews.csv: formed_because is one sentence of at most 200 characters (the chain of
    trades and every visit named go to formed_detail), never 'made 0 of'; officers' names are
    in officer_names and on each crew-day page."""
    from tests.conftest import SAMPLE_DIR

    out = tmp_path / "p"
    code, text = run(
        "plan", str(SAMPLE_DIR), "--start", "2027-01-04", "--end", "2027-01-08", "--out",
        str(out), "--time-limit", "5", "--quiet", "--today", "2026-12-05",
    )  # fmt: skip
    assert code == 0, text
    names = {r["officer_id"]: r["name"] for r in rows(SAMPLE_DIR / "officers.csv")}
    crews = rows(out / "crews.csv")
    assert any(len(c["formed_detail"]) > 200 for c in crews), "the week has long chains"
    for c in crews:
        why = c["formed_because"]
        assert 0 < len(why) <= 200 and why.endswith("."), why
        assert ". " not in why[:-1] and "(formed as" not in why, why
        assert "made 0 of" not in why + c["formed_detail"]
        if c["formed_detail"]:
            assert len(c["formed_detail"]) > len(why) or "(formed as" in c["formed_detail"]
        ids = c["officer_ids"].split(";")
        assert c["officer_names"].split(";") == [names[i] or i for i in ids]
    busy = next(c for c in crews if int(c["visits"]) > 0)
    pages = list((out / "maps" / busy["date"]).glob("*.html"))
    page = next(p.read_text() for p in pages if busy["crew_id"] in p.read_text())
    for i in busy["officer_ids"].split(";"):
        assert f"{names[i]} ({i})" in page


# Drive limit: P1 (high risk, due 4 January) lives at Banbury; the Reading pair is on duty all
# month but 146 minutes away, the Banbury pair only from 18 January. Q1 needs Polish, which only
# a Reading officer speaks.
FAR_OFFENDERS = """offender_id,risk_level,lat,lon,offender_manager_id,area,status,last_visit_date,registered_on,visit_interval_days,two_officers,window_start,window_end,required_skills
P1,high,52.0600,-1.3400,,Banbury,active,2026-10-05,2015-03-01,,,,,
Q1,low,52.0650,-1.3300,,Banbury,active,2026-01-10,2015-03-01,,false,,,polish
"""
FAR_OFFICERS = """officer_id,name,base_lat,base_lon,area,working_days,shift_start,shift_end,max_visits_per_day,skills
A1,PC Reading One,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,08:00,16:00,,polish
A2,PC Reading Two,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,08:00,16:00,,
B1,PC Banbury One,52.0620,-1.3380,Banbury,Mon;Tue;Wed;Thu;Fri,08:00,16:00,,
B2,PC Banbury Two,52.0620,-1.3380,Banbury,Mon;Tue;Wed;Thu;Fri,08:00,16:00,,
"""
FAR_ABSENCES = """officer_id,start,end,reason
B1,2027-01-01,2027-01-17,leave
B2,2027-01-01,2027-01-17,leave
"""


def far_dir(tmp_path: Path, policy: str = "") -> Path:
    from tests.conftest import write_data_dir

    files = {"offenders": FAR_OFFENDERS, "officers": FAR_OFFICERS, "absences": FAR_ABSENCES}
    if policy:
        files["policy"] = policy
    return write_data_dir(tmp_path / "far", **files)


def plan_far(data: Path, out: Path, *extra: str) -> str:
    """`rso plan` of January 2027 with the optimiser; the terminal text."""
    code, text = run(
        "plan", str(data), "--month", "2027-01", "--out", str(out), "--time-limit", "5",
        "--quiet", "--today", "2026-11-20", *extra,
    )  # fmt: skip
    assert code == 0, text
    return text


def test_drive_limit_waits_for_the_near_crew_and_says_when_it_is_passed(tmp_path: Path) -> None:
    """With the default 90-minute limit P1 waits for the Banbury pair (late, not missed) rather
    than a 146-minute drive; Q1, whom only a Reading officer can visit, goes beyond the limit,
    and crews.csv, the crew-day page, summary.json and the terminal say so."""
    out = tmp_path / "p"
    text = plan_far(far_dir(tmp_path), out)
    visits = {r["offender_id"]: r for r in rows(out / "roster.csv")}
    assert visits["P1"]["officer_ids"] == "B1;B2" and visits["P1"]["date"] >= "2027-01-18"
    assert visits["Q1"]["officer_ids"].startswith("A1")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"]["planner"]["max_leg_minutes"] == 90
    assert summary["solver"]["visits_beyond_max_leg"] == 1
    (far,) = summary["solver"]["crew_days_beyond_max_leg"]
    assert far["date"] == visits["Q1"]["date"] and far["longest_drive_min"] > 90
    assert "drive beyond [planner] max_leg_minutes (90)" in text
    (crew,) = [
        c for c in rows(out / "crews.csv") if c["date"] == far["date"] and "A1" in c["crew_id"]
    ]
    assert "drives beyond the 90-minute limit" in crew["formed_because"]
    assert "Q1" in crew["formed_because"] and len(crew["formed_because"]) <= 200
    page = next(
        p.read_text()
        for p in (out / "maps" / far["date"]).glob("*.html")
        if far["crew_id"] in p.read_text()
    )
    assert "drives beyond the 90-minute limit" in page


def test_no_drive_limit_sends_the_far_crew_on_time(tmp_path: Path) -> None:
    """With max_leg_minutes = 0 (no limit) the Reading pair makes P1's visit on time: the
    limit is what kept it from the 146-minute drive."""
    out = tmp_path / "p"
    plan_far(far_dir(tmp_path, "[planner]\nmax_leg_minutes = 0\n"), out, "--no-maps")
    visits = {r["offender_id"]: r for r in rows(out / "roster.csv")}
    assert visits["P1"]["officer_ids"].startswith("A") and visits["P1"]["days_late"] == "0"
    summary = json.loads((out / "summary.json").read_text())
    assert "visits_beyond_max_leg" not in summary["solver"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20", "20 is not valid: expected 0 (no limit) or a whole number of minutes from 30"),
        ("true", "True is not valid: expected a number, not true/false"),
        ('"far"', "'far' is not valid: input should be a valid integer"),
    ],
)
def test_bad_drive_limit_is_a_located_error(tmp_path: Path, value: str, expected: str) -> None:
    """A bad [planner] max_leg_minutes: file, line and key, exit 2, nothing written."""
    data = far_dir(tmp_path, f"# how far is too far\n[planner]\nmax_leg_minutes = {value}\n")
    out = tmp_path / "p"
    result = CliRunner().invoke(
        main, ["plan", str(data), "--month", "2027-01", "--out", str(out), "--no-maps", "-q"]
    )
    assert result.exit_code == 2
    assert f"policy.toml:3 planner.max_leg_minutes: {expected}" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_long_plan_names_the_month_a_late_visit_was_left_over_from(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """In a two-month plan a late visit says how overdue it was when the plan began, or, if it
    fell due in the first month and is made in the second, when the second month began; every
    late visit has a reason and the summary splits at the plan's first day."""
    with (tiny_dir / "absences.csv").open("a", encoding="utf-8") as fh:  # nobody, 25-31 Jan
        fh.writelines(f"TV00{i},2027-01-25,2027-01-31,training\n" for i in range(1, 5))
    out = tmp_path / "p"
    plan(tiny_dir, out, "optimised", "--start", "2027-01-01", "--end", "2027-02-28")
    summary = json.loads((out / "summary.json").read_text())
    assert_split(summary)
    start, second = date(2027, 1, 1), date(2027, 2, 1)
    roster = rows(out / "roster.csv")
    assert any(
        start <= date.fromisoformat(r["due_date"]) < second <= date.fromisoformat(r["date"])
        and int(r["days_late"])
        for r in roster
    ), "a visit due in the absent week is made in February"
    for r in roster:
        late, due, made = (
            int(r["days_late"]),
            *(date.fromisoformat(r[k]) for k in ("due_date", "date")),
        )
        assert bool(r["late_reason"]) == (late > 0), r["visit_id"]
        if late and due < start:
            assert "overdue when the plan began" in r["late_reason"]
        elif late and due < second <= made:
            days = (second - due).days
            assert r["late_reason"].startswith(
                f"already {days} day{'s' if days != 1 else ''} overdue when the month from "
                "2027-02-01 began"
            )
        else:
            assert "began" not in r["late_reason"]
