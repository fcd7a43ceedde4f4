"""Crews re-formed on the windowed work the first search left unmet (solver/reform.py)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import rso_scheduler.solver.reform as reform_module
from rso_scheduler.models import Offender, Officer
from tests.conftest import invoke_cli, write_data_dir
from tests.solver_helpers import assert_valid, dataset, officer, person, run

EVENING = {"window_start_min": 17 * 60 + 30, "window_end_min": 20 * 60 + 30}


def _late(oid: str, area: str, **kw: Any) -> Officer:
    return officer(oid, area=area, shift_start_min=14 * 60, shift_end_min=22 * 60, **kw)


def _day(oid: str, area: str) -> Officer:
    return officer(oid, area=area, shift_start_min=10 * 60, shift_end_min=18 * 60)


def _case() -> tuple[list[Offender], list[Officer]]:
    """Two late officers (L1 makes one visit a day at most), each the standing partner of a day
    officer of their own area, and two overdue people visitable only in the evening. The
    up-front pairing counts on L1+L2 for both evening visits on the first working day, where
    the cap allows one; afterwards the standing pairs, who share no evening hours, return."""
    offs = [
        _late("L1", "Reading", max_visits_per_day=1),
        _day("D1", "Reading"),
        _late("L2", "Wokingham"),
        _day("D2", "Wokingham"),
    ]
    people = [person(f"E{i}", lat=51.45 + 0.004 * i, **EVENING) for i in range(2)]
    return people, offs


def test_up_front_pairing_leaves_an_evening_visit_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without re-forming, one evening visit is unscheduled: no crew of a later day can make it."""
    monkeypatch.setattr(reform_module, "REFORM", False)
    people, offs = _case()
    res = run(dataset(people, offs))
    assert [u.offender_id for u in res.unscheduled] == ["E1"]
    assert "reform_days_kept" not in res.stats


def test_re_formed_crew_makes_the_evening_visit(tmp_path: Path) -> None:
    """The day after, the late officers are paired again for the visit left over: both evening
    visits are made by L1+L2, the crew says why, and the checker passes."""
    people, offs = _case()
    ds = dataset(people, offs)
    res = run(ds)
    assert res.unscheduled == []
    assert sorted(v.offender_id for v in res.visits) == ["E0", "E1"]
    assert all(v.officer_ids == ("L1", "L2") for v in res.visits)
    assert res.stats["reform_days_kept"] == 1
    assert res.stats["reform_visits_gained"] == 1
    assert (
        res.stats["reform_weighted_missed_saved"] == ds.policy.for_risk(people[1].risk_level).weight
    )
    e1 = next(v for v in res.visits if v.offender_id == "E1")
    crew = next(c for c in res.crew_days if c.date == e1.date and c.crew_id == "L1+L2")
    assert crew.formed_because.startswith("Re-formed for set-hours work left over")
    assert "re-formed after the first search" in crew.formed_detail
    assert_valid(ds, res, tmp_path)


def test_re_forming_is_deterministic() -> None:
    """The same inputs and seed give the same roster, crews and counts."""
    people, offs = _case()
    ds = dataset(people, offs)

    def roster(res: Any) -> list[tuple[Any, ...]]:
        return [(v.offender_id, v.date, v.start_min, v.officer_ids) for v in res.visits]

    a, b = run(ds), run(ds)
    assert roster(a) == roster(b)
    assert [(c.date, c.crew_id, c.formed_because) for c in a.crew_days] == [
        (c.date, c.crew_id, c.formed_because) for c in b.crew_days
    ]
    keys = [k for k in a.stats if k.startswith("reform_") and k != "reform_s"]
    assert keys and all(a.stats[k] == b.stats[k] for k in keys)


def test_no_change_without_unmet_windowed_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evening work the first search makes on time leaves nothing to re-form: the roster is the
    one planned with re-forming off."""
    offs = [_late("L1", "Reading"), _day("D1", "Reading"), _late("L2", "Reading")]
    people = [
        person("E0", last_visit_date=None, registered_on=None, **EVENING),
        person("D0"),
        person("D1", lat=51.47),
    ]
    ds = dataset(people, offs)
    on = run(ds)
    assert on.stats["reform_unmet_before"] == 0
    assert "reform_days_tried" not in on.stats  # the pass did not run
    monkeypatch.setattr(reform_module, "REFORM", False)
    off = run(ds)
    assert [(v.offender_id, v.date, v.start_min, v.officer_ids) for v in on.visits] == [
        (v.offender_id, v.date, v.start_min, v.officer_ids) for v in off.visits
    ]


OFFENDERS = """offender_id,risk_level,lat,lon,offender_manager_id,area,status,last_visit_date,registered_on,visit_interval_days,two_officers,window_start,window_end,required_skills
E0,high,51.4500,-0.9800,,Reading,active,2026-06-01,2015-03-01,,true,17:30,20:30,
E1,high,51.4540,-0.9800,,Reading,active,2026-06-01,2016-05-10,,true,17:30,20:30,
"""

OFFICERS = """officer_id,name,base_lat,base_lon,area,working_days,shift_start,shift_end,max_visits_per_day,skills
L1,Officer L,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,14:00,22:00,1,
D1,Officer D,51.4560,-0.9710,Reading,Mon;Tue;Wed;Thu;Fri,10:00,18:00,,
L2,Officer M,51.4560,-0.9710,Wokingham,Mon;Tue;Wed;Thu;Fri,14:00,22:00,,
D2,Officer E,51.4560,-0.9710,Wokingham,Mon;Tue;Wed;Thu;Fri,10:00,18:00,,
"""


def test_plan_says_what_re_forming_did(tmp_path: Path) -> None:
    """Through `rso plan`: both evening visits made, the terminal and summary.json say how many
    crew-days were re-formed and visits gained, crews.csv says why, and `rso check` passes."""
    data = write_data_dir(tmp_path / "data", offenders=OFFENDERS, officers=OFFICERS)
    out = tmp_path / "out"
    code, text = invoke_cli(
        "plan", str(data), "--start", "2027-01-04", "--end", "2027-01-08",
        "--today", "2027-01-03", "--out", str(out), "--time-limit", "5",
    )  # fmt: skip
    assert code == 0, text
    assert "crews re-formed on 1 day(s)" in text
    rows = list(csv.DictReader(io.StringIO((out / "roster.csv").read_text(encoding="utf-8"))))
    assert sorted(r["offender_id"] for r in rows) == ["E0", "E1"]
    solver = json.loads((out / "summary.json").read_text(encoding="utf-8"))["solver"]
    assert solver["reform_days_kept"] == 1 and solver["reform_visits_gained"] == 1
    assert solver["reform_crew_days"] >= 1
    crews = list(csv.DictReader(io.StringIO((out / "crews.csv").read_text(encoding="utf-8"))))
    assert any(c["formed_because"].startswith("Re-formed") for c in crews)
    code, text = invoke_cli("check", str(data), str(out), "--today", "2027-01-03")
    assert code == 0, text
