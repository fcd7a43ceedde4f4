"""The monthly on-time flow and the trends by area and offender manager (report/flow.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rso_scheduler.ingest import load_dataset
from rso_scheduler.report import compliance
from rso_scheduler.report.flow import flow, group_trend
from rso_scheduler.report.tables import report_tables
from tests.conftest import TINY_OFFICERS, write_data_dir

OFFENDERS = """offender_id,risk_level,lat,lon,offender_manager_id,area,registered_on
P1,very_high,51.4550,-0.9700,TV001,Reading,2015-03-01
P2,very_high,51.5100,-0.5900,TV003,Slough,2015-03-01
"""
# P1: due 1 Oct (made that day), due 31 Oct (made 5 Nov, late), due 5 Dec (not made by the 20th)
# P2: due 1 Oct (made 25 Sep: on time), 25 Oct (made that day), 24 Nov (made 20 Nov), 20 Dec
VISITS = """offender_id,date,officer_ids,outcome
P1,2026-09-01,TV001;TV002,completed
P1,2026-10-01,TV001;TV002,completed
P1,2026-11-05,TV001;TV002,completed
P2,2026-09-01,TV003;TV004,completed
P2,2026-09-25,TV003;TV004,completed
P2,2026-10-25,TV003;TV004,no_access
P2,2026-10-25,TV003;TV004,completed
P2,2026-11-20,TV003;TV004,completed
"""
AS_OF = date(2026, 12, 20)


def _dataset(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = write_data_dir(
        tmp_path / "d", offenders=OFFENDERS, officers=TINY_OFFICERS, visits=VISITS
    )
    return load_dataset(root, today=AS_OF)


def test_flow_counts_each_due_visit_once_by_its_month(tmp_path: Path) -> None:
    """Due in October: 4 (3 on time, 1 late); November: 1 on time; December: 2, not made yet."""
    rows = {(r.month, r.group_by, r.group): r for r in flow(_dataset(tmp_path), AS_OF)}
    oct_ = rows[("2026-10", "all", "all")]
    assert (oct_.due, oct_.on_time, oct_.late, oct_.not_made, oct_.on_time_pct) == (
        4,
        3,
        1,
        0,
        75.0,
    )
    nov = rows[("2026-11", "all", "all")]
    assert (nov.due, nov.on_time) == (1, 1)
    dec = rows[("2026-12", "all", "all")]
    assert (dec.due, dec.not_made) == (2, 2)  # P1's (5 Dec) and P2's (due on the report date)
    by_area = rows[("2026-10", "area", "Reading")]
    assert (by_area.due, by_area.on_time, by_area.late) == (2, 1, 1)
    by_manager = rows[("2026-10", "offender_manager", "TV003")]
    assert (by_manager.due, by_manager.on_time) == (2, 2)


def test_flow_sets_the_records_plan_beside_its_month(tmp_path: Path) -> None:
    """A plan issued for December puts its id and figures on December's overall row only."""
    issued = [("7", "2026-12-01", "2026-12-31", {"visits_due": 9, "on_time": 8})]
    rows = flow(_dataset(tmp_path), AS_OF, issued)
    dec = [r for r in rows if r.month == "2026-12"]
    assert [(r.group_by, r.planned_in, r.planned_due, r.planned_on_time) for r in dec][0] == (
        "all", "7", 9, 8,
    )  # fmt: skip
    assert all(r.planned_in == "" for r in dec if r.group_by != "all")


def test_group_trend_counts_overdue_by_area_at_month_ends(tmp_path: Path) -> None:
    """On 31 October P1 (due 31 Oct) is not yet overdue; on 20 December P1 is, in Reading."""
    points = {(t.day, t.group_by, t.group): t for t in group_trend(_dataset(tmp_path), AS_OF)}
    assert points[(date(2026, 10, 31), "area", "Reading")].overdue == 0
    assert points[(AS_OF, "area", "Reading")].overdue == 1
    assert points[(AS_OF, "area", "Slough")].overdue == 0
    assert points[(AS_OF, "offender_manager", "TV001")].active == 1


def test_the_report_has_the_flow_tables_only_with_the_trend(tmp_path: Path) -> None:
    """--trend adds flow and trend_by_group to the tables written as CSV, HTML and XLSX."""
    dataset = _dataset(tmp_path)
    names = {t.name for t in report_tables(compliance(dataset, AS_OF, trend=True))}
    assert {"flow", "trend_by_group"} <= names
    names = {t.name for t in report_tables(compliance(dataset, AS_OF))}
    assert not {"flow", "trend_by_group"} & names
