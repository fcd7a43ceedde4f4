"""Compliance figures on crafted histories (rso_scheduler.report.compliance)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from rso_scheduler.models import (
    Dataset,
    Offender,
    Outcome,
    RiskLevel,
    Status,
    VisitKind,
    VisitRecord,
)
from rso_scheduler.policy import Policy
from rso_scheduler.report.compliance import (
    NO_DATE_NOTE,
    State,
    ageing_band,
    compliance,
    month_ends,
)
from rso_scheduler.roster import PlannedVisit

AS_OF = date(2026, 11, 20)


def off(oid: str, risk: str = "high", **kw: Any) -> Offender:
    """An offender in Reading with the given fields."""
    base: dict[str, Any] = {
        "offender_id": oid,
        "risk_level": risk,
        "lat": 51.45,
        "lon": -0.97,
        "offender_manager_id": "OM1",
        "area": "Reading",
    }
    base.update(kw)
    return Offender(**base)


def visit(
    oid: str, day: str, outcome: str = "completed", start_min: int | None = None
) -> VisitRecord:
    return VisitRecord(
        offender_id=oid, date=date.fromisoformat(day), outcome=Outcome(outcome), start_min=start_min
    )


def ds(
    offenders: list[Offender], visits: list[VisitRecord] | None = None, policy: Policy | None = None
) -> Dataset:
    return Dataset(
        offenders=tuple(offenders),
        officers=(),
        visits=tuple(visits or ()),
        policy=policy or Policy(),
    )


def person(report: Any, oid: str) -> Any:
    return next(p for p in report.people if p.offender_id == oid)


def d(s: str) -> date:
    return date.fromisoformat(s)


def test_completed_visit_counts_but_no_access_does_not():
    """A completed visit resets the due date; a later no-access attempt does not."""
    data = ds(
        [off("A", "high"), off("B", "high")],
        [visit("A", "2026-10-01"), visit("B", "2026-05-01"), visit("B", "2026-08-01", "no_access")],
    )
    r = compliance(data, AS_OF)
    a, b = person(r, "A"), person(r, "B")
    assert a.state is State.on_time and a.due_date == d("2026-12-31")
    assert a.last_visit_date == d("2026-10-01")
    assert b.last_visit_date == d("2026-05-01")
    assert b.state is State.overdue
    assert b.days_overdue == (AS_OF - (d("2026-05-01") + timedelta(days=91))).days
    assert b.no_access_since_last == 1
    assert b.last_attempt_date == d("2026-08-01") and b.last_attempt_outcome == "no_access"


def test_high_risk_due_and_overdue_days_exact():
    """Due = last completed + 91 days for high risk; overdue by as_of - due."""
    data = ds([off("A", "high")], [visit("A", "2026-08-01")])
    a = person(compliance(data, AS_OF), "A")
    assert a.due_date == d("2026-10-31")
    assert a.state is State.overdue and a.days_overdue == 20


def test_last_visit_date_vs_log_later_wins():
    """The later of last_visit_date and the log counts, either way round."""
    data = ds(
        [off("A", last_visit_date=d("2026-10-01")), off("B", last_visit_date=d("2026-06-01"))],
        [visit("A", "2026-07-01"), visit("B", "2026-10-01")],
    )
    r = compliance(data, AS_OF)
    assert person(r, "A").last_visit_date == d("2026-10-01")
    assert person(r, "B").last_visit_date == d("2026-10-01")
    assert person(r, "A").state is not State.overdue


def test_as_of_cut_off_ignores_later_visits_and_dates():
    """Visits, last_visit_date and events after as_of are ignored."""
    data = ds(
        [
            off("A", last_visit_date=d("2026-11-25")),
            off("B", released_on=d("2026-11-25"), last_visit_date=d("2026-01-01")),
            off("C", registered_on=d("2026-12-01")),
        ],
        [visit("A", "2026-06-01"), visit("A", "2026-11-21"), visit("B", "2026-11-22", "no_access")],
    )
    r = compliance(data, AS_OF)
    a, b = person(r, "A"), person(r, "B")
    assert a.last_visit_date == d("2026-06-01")
    assert a.due_date == d("2026-08-31") and a.state is State.overdue
    assert b.trigger == "interval" and b.due_date == d("2026-04-02")
    assert b.no_access_since_last == 0 and b.last_attempt_date is None
    assert [p.offender_id for p in r.people] == ["A", "B"]
    assert r.run["not_yet_registered"] == 1
    # The same data a week later sees the visit of the 21st.
    later = compliance(data, d("2026-11-28"))
    assert person(later, "A").last_visit_date == d("2026-11-25")


def test_release_brings_due_forward_only_if_after_last_visit():
    """A release after the last visit brings the due date forward; one before it does not."""
    data = ds(
        [
            off("A", "low", last_visit_date=d("2026-06-01"), released_on=d("2026-10-01")),
            off("B", "low", last_visit_date=d("2026-06-01"), released_on=d("2026-05-01")),
        ]
    )
    r = compliance(data, AS_OF)
    a, b = person(r, "A"), person(r, "B")
    assert a.trigger == "release" and a.due_date == d("2026-10-15") and a.days_overdue == 36
    assert b.trigger == "interval" and b.due_date == d("2027-06-01") and b.state is State.on_time


def test_address_change_brings_due_forward():
    """A notified address change after the last visit makes the visit due 14 days later."""
    data = ds(
        [off("A", "medium", last_visit_date=d("2026-09-01"), address_changed_on=d("2026-11-01"))]
    )
    a = person(compliance(data, AS_OF), "A")
    assert a.trigger == "address change" and a.due_date == d("2026-11-15") and a.days_overdue == 5


def test_suspended_and_reactive_are_never_overdue():
    """Custody, hospital, abroad and reactive people are listed apart, not overdue."""
    old = d("2020-01-01")
    data = ds(
        [
            off("C", status=Status.custody, last_visit_date=old),
            off("H", status=Status.hospital, last_visit_date=old),
            off("X", status=Status.abroad, last_visit_date=old),
            off("R", "low", status=Status.reactive, last_visit_date=old),
            off("A", last_visit_date=old),
        ]
    )
    r = compliance(data, AS_OF)
    assert [p.offender_id for p in r.suspended] == ["C", "H", "X"]
    assert [p.offender_id for p in r.reactive] == ["R"]
    assert [p.offender_id for p in r.overdue] == ["A"]
    assert r.headline.managed == 5 and r.headline.active == 1
    assert r.headline.by_risk[1].on_time_pct == 0.0  # high: 1 active, 1 overdue


def test_per_person_interval_overrides_policy():
    """visit_interval_days replaces the risk level's interval."""
    data = ds(
        [
            off("A", "low", last_visit_date=d("2026-10-01"), visit_interval_days=30),
            off("B", "low", last_visit_date=d("2026-10-01")),
        ]
    )
    r = compliance(data, AS_OF)
    assert person(r, "A").state is State.overdue and person(r, "A").days_overdue == 20
    assert person(r, "A").interval_days == 30
    assert person(r, "B").state is State.on_time


def test_due_soon_within_window():
    """Due within the risk level's window is 'due soon'; just outside it is 'on time'."""
    # very high: interval 30, window 10
    data = ds(
        [
            off("A", "very_high", last_visit_date=AS_OF - timedelta(days=20)),  # due in 10 days
            off("B", "very_high", last_visit_date=AS_OF - timedelta(days=19)),  # due in 11 days
            off("C", "very_high", last_visit_date=AS_OF - timedelta(days=30)),  # due today
        ]
    )
    r = compliance(data, AS_OF)
    assert person(r, "A").state is State.due_soon and person(r, "A").days_to_due == 10
    assert person(r, "B").state is State.on_time
    assert person(r, "C").state is State.due_soon and person(r, "C").days_to_due == 0


def test_never_visited_without_dates_is_overdue_of_unknown_age():
    """No visit and no registration date: overdue, age unknown, listed first in its risk level."""
    data = ds(
        [
            off("N", "high"),
            off("A", "high", last_visit_date=d("2025-01-01")),
            off("V", "very_high", last_visit_date=d("2026-10-01")),
        ]
    )
    r = compliance(data, AS_OF)
    assert [p.offender_id for p in r.overdue] == ["V", "N", "A"]
    n = person(r, "N")
    assert n.days_overdue is None and n.note.startswith(NO_DATE_NOTE)
    assert r.ageing[RiskLevel.high]["unknown"] == 1
    assert r.headline.overdue_unknown_age == 1
    assert r.headline.worst_days_overdue == person(r, "A").days_overdue


def test_never_visited_with_registration():
    """Never visited: due registered_on + first_visit_days."""
    data = ds(
        [
            off("A", "low", registered_on=d("2026-11-01")),
            off("B", "low", registered_on=d("2026-11-10")),
        ]
    )
    r = compliance(data, AS_OF)
    assert person(r, "A").due_date == d("2026-11-15") and person(r, "A").days_overdue == 5
    assert person(r, "A").trigger == "registration"
    assert person(r, "B").state is State.due_soon


def test_overdue_order_and_headline():
    """Overdue sorted by risk then days; median, worst and most overdue case are right."""
    data = ds(
        [
            off("L1", "low", last_visit_date=AS_OF - timedelta(days=365 + 200)),
            off("H1", "high", last_visit_date=AS_OF - timedelta(days=91 + 5)),
            off("H2", "high", last_visit_date=AS_OF - timedelta(days=91 + 40)),
            off("V1", "very_high", last_visit_date=AS_OF - timedelta(days=30 + 2)),
        ]
    )
    r = compliance(data, AS_OF)
    assert [p.offender_id for p in r.overdue] == ["V1", "H2", "H1", "L1"]
    h = r.headline
    assert h.overdue == 4 and h.worst_days_overdue == 200
    assert h.median_days_overdue == 22.5
    assert h.most_overdue is not None and h.most_overdue.offender_id == "L1"
    assert r.ageing[RiskLevel.high] == {"1-7": 1, "8-30": 0, "31-90": 1, "over 90": 0, "unknown": 0}
    assert r.ageing[RiskLevel.low]["over 90"] == 1


@pytest.mark.parametrize(
    ("days", "band"),
    [
        (1, "1-7"),
        (7, "1-7"),
        (8, "8-30"),
        (30, "8-30"),
        (31, "31-90"),
        (90, "31-90"),
        (91, "over 90"),
        (None, "unknown"),
    ],
)
def test_ageing_band_edges(days, band):
    """Ageing band boundaries are inclusive at both ends."""
    assert ageing_band(days) == band


def test_ageing_band_rejects_zero():
    """Zero days overdue is not overdue, so no band."""
    with pytest.raises(ValueError):
        ageing_band(0)


def test_groups_by_manager_and_area():
    """Tables by offender manager and area count managed, due and overdue, worst first."""
    data = ds(
        [
            off(
                "A",
                "high",
                offender_manager_id="OM1",
                area="Reading",
                last_visit_date=d("2026-01-01"),
            ),
            off(
                "B",
                "high",
                offender_manager_id="OM1",
                area="Slough",
                last_visit_date=d("2026-11-01"),
            ),
            off(
                "C",
                "high",
                offender_manager_id="OM2",
                area="Slough",
                last_visit_date=d("2026-03-01"),
            ),
            off("D", "high", offender_manager_id=None, area=None, status=Status.custody),
        ]
    )
    r = compliance(data, AS_OF)
    om = {g.key: g for g in r.by_manager}
    assert om["OM1"].managed == 2 and om["OM1"].overdue == 1 and om["OM1"].on_time_pct == 50.0
    assert om["OM1"].worst_days_overdue == (AS_OF - d("2026-04-02")).days
    assert om["(none)"].active == 0 and om["(none)"].on_time_pct is None
    assert [g.key for g in r.by_manager][0] == "OM1"  # worst first (ties broken by worst days)
    area = {g.key: g for g in r.by_area}
    assert area["Slough"].managed == 2 and area["Slough"].overdue == 1


def test_cancelled_and_no_access_counted_since_last_completed_only():
    """Attempts before the last completed visit are not counted."""
    data = ds(
        [off("A", "very_high")],
        [
            visit("A", "2026-06-01", "no_access"),
            visit("A", "2026-06-05"),
            visit("A", "2026-07-10", "no_access"),
            visit("A", "2026-07-12", "cancelled"),
            visit("A", "2026-07-20", "no_access"),
        ],
    )
    r = compliance(data, AS_OF)
    a = person(r, "A")
    assert a.no_access_since_last == 2 and a.cancelled_since_last == 1
    assert a.last_attempt_date == d("2026-07-20")
    assert [p.offender_id for p in r.no_access] == ["A"]


def test_trend_counts_overdue_at_month_ends_and_ends_on_as_of():
    """The trend's last point agrees with the report; earlier points use only earlier visits."""
    data = ds(
        [off("A", "very_high"), off("B", "high")],
        [visit("A", "2026-07-01"), visit("A", "2026-09-15"), visit("B", "2026-07-10")],
    )
    r = compliance(data, AS_OF, trend=True)
    assert r.trend is not None
    assert [t.day for t in r.trend] == [
        d("2026-07-31"),
        d("2026-08-31"),
        d("2026-09-30"),
        d("2026-10-31"),
        AS_OF,
    ]
    by_day = {t.day: t for t in r.trend}
    assert by_day[d("2026-07-31")].overdue == 0  # A due that day, B due 10-09
    assert by_day[d("2026-08-31")].overdue_by_risk[RiskLevel.very_high] == 1  # A due 07-31
    assert by_day[d("2026-09-30")].overdue_by_risk[RiskLevel.very_high] == 0  # visited 09-15
    assert by_day[d("2026-10-31")].overdue == 2  # A due 10-15, B due 10-09
    assert r.trend[-1].overdue == r.headline.overdue


def test_month_ends_spans_year_boundary():
    """Month ends run across December into January and stop at the last date."""
    assert month_ends(d("2026-11-15"), d("2027-02-27")) == [
        d("2026-11-30"),
        d("2026-12-31"),
        d("2027-01-31"),
    ]


def _pv(vid: str, oid: str, day: str, due: str) -> PlannedVisit:
    return PlannedVisit(
        visit_id=vid,
        date=d(day),
        start_min=600,
        end_min=690,
        offender_id=oid,
        officer_ids=("O1", "O2"),
        risk_level=RiskLevel.high,
        due_date=d(due),
        kind=VisitKind.announced,
    )


def test_plan_vs_actual_outcomes():
    """Planned visits match completed log visits within the grace window; others say why not."""
    data = ds(
        [off("A"), off("B"), off("C"), off("D"), off("E")],
        [
            visit("A", "2026-11-02"),
            visit("B", "2026-11-06"),
            visit("C", "2026-11-03", "no_access"),
            visit("E", "2026-11-19"),
        ],
    )
    roster = [
        _pv("V1", "A", "2026-11-02", "2026-11-10"),
        _pv("V2", "B", "2026-11-03", "2026-11-04"),
        _pv("V3", "C", "2026-11-03", "2026-11-10"),
        _pv("V4", "D", "2026-11-04", "2026-11-10"),
        _pv("V5", "E", "2026-11-05", "2026-11-10"),
        _pv("V6", "A", "2026-11-25", "2026-12-10"),  # after as_of: not checked
        _pv("V7", "Z", "2026-11-05", "2026-11-10"),
    ]
    r = compliance(data, AS_OF, roster=roster)
    assert r.plan_vs_actual is not None
    got = {c.visit_id: c for c in r.plan_vs_actual}
    assert set(got) == {"V1", "V2", "V3", "V4", "V5", "V7"}
    assert got["V1"].outcome == "made" and got["V1"].days_late == 0
    assert got["V2"].outcome == "made on another day" and got["V2"].days_from_plan == 3
    assert got["V2"].days_late == 2
    assert got["V3"].outcome == "no access"
    assert got["V4"].outcome == "not recorded"
    assert got["V5"].outcome == "not recorded"  # 14 days later: outside the 7-day grace
    assert got["V7"].outcome == "not in caseload"
    assert r.run["planned_visits_checked"] == 6


def test_plan_vs_actual_one_log_visit_matches_one_plan():
    """Two planned visits cannot both be satisfied by one logged visit."""
    data = ds([off("A", "very_high", visit_interval_days=7)], [visit("A", "2026-11-10")])
    roster = [
        _pv("V1", "A", "2026-11-09", "2026-11-10"),
        _pv("V2", "A", "2026-11-12", "2026-11-17"),
    ]
    checks = compliance(data, AS_OF, roster=roster).plan_vs_actual
    assert checks is not None
    assert [c.made for c in checks] == [True, False]


def test_run_record_has_hashes_and_version():
    """The run record names the date, version and policy hash."""
    r = compliance(ds([off("A")]), AS_OF)
    assert r.run["as_of"] == "2026-11-20"
    assert r.run["tool_version"]
    assert len(r.run["policy_sha256"]) == 64
    assert "produced_at" in r.run and r.run["input_files"] == {}


def test_unavailable_on_report_date_is_noted():
    """A notified absence covering the report date is noted; one that does not is not."""
    data = ds(
        [
            off(
                "A",
                last_visit_date=d("2026-01-01"),
                unavailable_from=d("2026-11-15"),
                unavailable_to=d("2026-11-30"),
            ),
            off(
                "B",
                last_visit_date=d("2026-01-01"),
                unavailable_from=d("2026-12-01"),
                unavailable_to=d("2026-12-05"),
            ),
        ]
    )
    r = compliance(data, AS_OF)
    assert "unavailable" in person(r, "A").note and person(r, "A").state is State.overdue
    assert person(r, "B").note == ""


def test_empty_caseload():
    """No people: zero counts, no most-overdue case, no median."""
    r = compliance(ds([]), AS_OF, trend=True)
    h = r.headline
    assert (h.managed, h.overdue, h.most_overdue, h.median_days_overdue, h.on_time_pct) == (
        0,
        0,
        None,
        None,
        None,
    )
    assert r.trend == []


def test_trend_history_not_in_log_is_not_overdue():
    """A person whose only known visit is after a month end, registered before the log, is 'unknown' then."""
    data = ds(
        [
            off("A", "very_high", registered_on=d("2010-01-01"), last_visit_date=d("2026-11-10")),
            off("B", "very_high", registered_on=d("2026-08-05")),  # registered after the log began
        ],
        [visit("C", "2026-08-01")],
    )
    r = compliance(data, AS_OF, trend=True)
    assert r.trend is not None
    aug = r.trend[0]
    assert aug.day == d("2026-08-31") and aug.unknown == 1 and aug.overdue == 1  # B: due 08-19
    assert r.trend[-1].unknown == 0 and r.trend[-1].overdue == r.headline.overdue
