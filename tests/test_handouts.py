"""Officers' handouts: printable A4 rosters and iCalendar files (outputs/handouts.py)."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime
from pathlib import Path

from icalendar import Calendar

from rso_scheduler.models import RiskLevel, VisitKind
from rso_scheduler.outputs.handouts import (
    CalendarPlan,
    event_uid,
    read_calendar_index,
    write_handouts,
)
from rso_scheduler.roster import CrewRoute, OfficerLeg, PlannedVisit, PlanResult
from tests.solver_helpers import dataset, officer, person

PLAN = (date(2027, 7, 1), date(2027, 7, 31))  # summer: British Summer Time (UTC+1)


def _ds():  # type: ignore[no-untyped-def]
    people = [person("P1", lat=51.4612, lon=-0.9873), person("P2", "very_high", lat=51.4655)]
    officers = [officer("A/1", name="<b>Sgt</b> Ames"), officer("B", name="PC Brook")]
    return dataset(people, officers)


def _visit(vid: str, pid: str, day: date, start: int, officers: tuple[str, ...]) -> PlannedVisit:
    return PlannedVisit(
        visit_id=vid,
        date=day,
        start_min=start,
        end_min=start + 60,
        offender_id=pid,
        officer_ids=officers,
        risk_level=RiskLevel.high,
        due_date=date(2027, 7, 20),
        kind=VisitKind.unannounced,
    )


def _result(visits: list[PlannedVisit]) -> PlanResult:
    routes = []
    for v in visits:
        legs = tuple(
            OfficerLeg(o, v.start_min - 20, v.end_min + 20, 40, 20.0) for o in v.officer_ids
        )
        routes.append(
            CrewRoute(v.date, "+".join(v.officer_ids), v.officer_ids, (v.visit_id,), legs)
        )
    return PlanResult(PLAN[0], PLAN[1], visits, [], routes, len(visits), 0.0, 0, 60.0)


def _events(path: Path) -> list:  # type: ignore[type-arg]
    cal = Calendar.from_ical(path.read_bytes())
    return [c for c in cal.walk("VEVENT")]


def test_ics_parse_one_event_per_visit_in_london_time(tmp_path: Path) -> None:
    """Each officer's .ics parses; one event per visit; 10:00 in July is 09:00 UTC."""
    visits = [_visit("V1", "P1", date(2027, 7, 5), 600, ("A/1", "B"))]
    visits.append(_visit("V2", "P2", date(2027, 7, 6), 840, ("B",)))
    write_handouts(tmp_path, _ds(), _result(visits), CalendarPlan("plan1"))
    a = _events(tmp_path / "calendar" / "A_1.ics")
    b = _events(tmp_path / "calendar" / "B.ics")
    assert len(a) == 1 and len(b) == 2
    start = a[0].decoded("dtstart")
    assert start.astimezone(UTC) == datetime(2027, 7, 5, 9, 0, tzinfo=UTC)
    assert "VTIMEZONE" in (tmp_path / "calendar" / "A_1.ics").read_text()
    text = str(a[0].get("description"))
    assert "P1" in text and "risk High" in text and "unannounced" in text and "PC Brook" in text


def test_ics_carries_no_coordinate(tmp_path: Path) -> None:
    """No latitude or longitude of a person (or base) appears in any calendar file."""
    ds = _ds()
    visits = [_visit("V1", "P1", date(2027, 7, 5), 600, ("A/1", "B"))]
    write_handouts(tmp_path, ds, _result(visits), CalendarPlan("plan1"))
    coords = {f"{x:.3f}"[:6] for p in ds.offenders for x in (p.lat, p.lon)}
    coords |= {f"{x:.3f}"[:6] for o in ds.officers for x in (o.base_lat, o.base_lon)}
    for path in (tmp_path / "calendar").glob("*"):
        text = path.read_text()
        assert not any(c in text for c in coords), path
        assert not re.search(r"\bGEO\b|LOCATION", text)


def test_uid_stable_sequence_raised_and_removed_visit_cancelled(tmp_path: Path) -> None:
    """A re-plan keeps UIDs; a moved event's SEQUENCE rises; a dropped one is CANCELLED."""
    first = tmp_path / "first"
    v1 = _visit("V1", "P1", date(2027, 7, 5), 600, ("A/1", "B"))
    v2 = _visit("V2", "P2", date(2027, 7, 6), 600, ("A/1", "B"))
    write_handouts(first, _ds(), _result([v1, v2]), CalendarPlan("plan1"))
    before = {str(e["uid"]): int(e["sequence"]) for e in _events(first / "calendar" / "B.ics")}
    second = tmp_path / "second"
    moved = dataclasses.replace(v1, visit_id="V7", date=date(2027, 7, 8))  # new id, same visit
    write_handouts(
        second,
        _ds(),
        _result([moved]),
        CalendarPlan("plan1", previous=read_calendar_index(first)),
    )
    after = _events(second / "calendar" / "B.ics")
    by_uid = {str(e["uid"]): e for e in after}
    assert set(by_uid) == set(before)  # same events: updated, not duplicated
    uid1 = event_uid("plan1", "P1", v1.due_date, 0)
    assert int(by_uid[uid1]["sequence"]) == before[uid1] + 1
    uid2 = event_uid("plan1", "P2", v2.due_date, 0)
    assert str(by_uid[uid2]["status"]) == "CANCELLED" and int(by_uid[uid2]["sequence"]) == 1
    cancel = Calendar.from_ical((second / "calendar" / "B.cancel.ics").read_bytes())
    assert str(cancel["method"]) == "CANCEL"
    assert [str(e["uid"]) for e in cancel.walk("VEVENT")] == [uid2]
    # unchanged again: same sequence, no second cancellation number
    third = tmp_path / "third"
    write_handouts(
        third, _ds(), _result([moved]), CalendarPlan("plan1", previous=read_calendar_index(second))
    )
    again = {str(e["uid"]): int(e["sequence"]) for e in _events(third / "calendar" / "B.ics")}
    assert again == {uid1: before[uid1] + 1, uid2: 1}


def test_handout_page_is_marked_escaped_and_offline(tmp_path: Path) -> None:
    """A4 page: marking top and bottom, names escaped, base times, outcome box, no URLs."""
    visits = [_visit("V1", "P1", date(2027, 7, 5), 600, ("A/1", "B"))]
    write_handouts(tmp_path, _ds(), _result(visits), CalendarPlan("plan1"))
    html = (tmp_path / "handouts" / "B.html").read_text()
    assert html.count("OFFICIAL-SENSITIVE") == 2 and "@page { size: A4" in html
    assert "&lt;b&gt;Sgt&lt;/b&gt; Ames" in html and "<b>Sgt" not in html
    assert "leave base 09:40" in html and "back at base 11:20" in html
    assert "outcome" in html and "P1" in html and "unannounced" in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert (tmp_path / "handouts" / "A_1.html").exists()  # a safe name from 'A/1'


def test_plan_writes_handouts_and_calendars_owner_only(planned: Path) -> None:
    """`rso plan` writes handouts/ and calendar/ per officer, readable by the owner only."""
    html = sorted((planned / "handouts").glob("*.html"))
    ics = sorted((planned / "calendar").glob("*.ics"))
    assert html and len(html) == len(ics)
    for path in [*html, *ics, planned / "calendar" / "index.csv"]:
        assert path.stat().st_mode & 0o077 == 0, path
    assert (planned / "calendar").stat().st_mode & 0o077 == 0
    n_events = sum(len(_events(p)) for p in ics)
    rows = (planned / "roster.csv").read_text().splitlines()[1:]
    breaks = (planned / "breaks.csv").read_text().splitlines()[1:]  # one event per break
    assert breaks and n_events == sum(len(r.split(",")[5].split(";")) for r in rows) + len(breaks)


def test_handout_days_share_one_grid_and_read_naturally(tmp_path: Path) -> None:
    """Every day's table has the same fixed columns; days are headed `Monday 5 July 2027`."""
    visits = [
        _visit("V1", "P1", date(2027, 7, 5), 600, ("A/1", "B")),
        _visit("V2", "P2", date(2027, 7, 12), 600, ("B",)),
    ]
    write_handouts(tmp_path, _ds(), _result(visits), CalendarPlan("plan1"))
    html = (tmp_path / "handouts" / "B.html").read_text()
    tables = re.findall(r'<table class="visits">(<colgroup>.*?</colgroup>)', html)
    assert len(tables) == 2 and tables[0] == tables[1]
    assert "table.visits { table-layout: fixed; }" in html
    assert "<h2>Monday 5 July 2027</h2>" in html and "<h2>Monday 12 July 2027</h2>" in html
