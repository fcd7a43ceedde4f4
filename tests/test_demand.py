"""The due-date engine (rso_scheduler.demand): each contract rule where it applies and where it does not."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from rso_scheduler.demand import (
    due_state,
    half_interval,
    history_by_offender,
    interval_for,
    last_completed,
    requirement_for,
    requirements,
)
from rso_scheduler.models import Dataset, Offender, Outcome, RiskLevel, Status, VisitRecord
from rso_scheduler.policy import Policy, apply_overrides

POLICY = Policy()
START, END = date(2027, 1, 1), date(2027, 1, 31)


def off(risk: str = "high", oid: str = "A", **kw: Any) -> Offender:
    fields: dict[str, Any] = {"offender_id": oid, "risk_level": risk, "lat": 51.45, "lon": -0.97}
    fields.update(kw)
    return Offender(**fields)


def rec(
    day: str, outcome: str = "completed", oid: str = "A", start_min: int | None = None
) -> VisitRecord:
    return VisitRecord(
        offender_id=oid, date=date.fromisoformat(day), outcome=Outcome(outcome), start_min=start_min
    )


def d(s: str) -> date:
    return date.fromisoformat(s)


# --- interval -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "days"), [("very_high", 30), ("high", 91), ("medium", 182), ("low", 365)]
)
def test_interval_from_policy(risk: str, days: int):
    """Without a per-person interval the risk level's policy interval applies."""
    assert interval_for(off(risk), POLICY) == days


def test_interval_per_person_overrides_policy():
    """visit_interval_days replaces the policy interval."""
    assert interval_for(off("low", visit_interval_days=60), POLICY) == 60
    assert due_state(off("low", visit_interval_days=60), d("2026-12-01"), POLICY).due == d(
        "2027-01-30"
    )


def test_interval_follows_policy_file():
    """A policy override changes the default interval of its risk level only."""
    policy = apply_overrides(POLICY, {"risk.medium.interval_days": 120})
    assert interval_for(off("medium"), policy) == 120
    assert interval_for(off("high"), policy) == 91


# --- due date -------------------------------------------------------------------------------


def test_due_from_last_visit():
    """Due = last completed visit + interval, trigger 'interval'."""
    st = due_state(off("high", registered_on=d("2010-01-01")), d("2026-11-01"), POLICY)
    assert (
        st.due == d("2027-01-31") and st.trigger == "interval" and st.last_visit == d("2026-11-01")
    )


def test_never_visited_due_from_registration():
    """Never visited: due registered_on + first_visit_days."""
    st = due_state(off("high", registered_on=d("2026-12-20")), None, POLICY)
    assert st.due == d("2027-01-03") and st.trigger == "registration"


def test_registration_ignored_once_visited():
    """A registration date does not move the due date of someone already visited."""
    st = due_state(off("high", registered_on=d("2026-12-20")), d("2026-12-22"), POLICY)
    assert st.due == d("2027-03-23") and st.trigger == "interval"


def test_first_visit_days_from_policy():
    """first_visit_days comes from [visits] in the policy."""
    policy = apply_overrides(POLICY, {"visits.first_visit_days": 7})
    assert due_state(off(registered_on=d("2026-12-20")), None, policy).due == d("2026-12-27")


def test_neither_visit_nor_registration_owed_at_plan_start():
    """No visit and no registration: no due date, so the requirement is due at plan start."""
    o = off("medium")
    st = due_state(o, None, POLICY)
    assert st.due is None and st.earliest is None and st.trigger == "never visited"
    r = requirement_for(o, [], POLICY, START, END)
    assert r is not None and r.first_due == START and r.first_earliest == START and not r.optional


@pytest.mark.parametrize(
    ("field", "trigger"), [("released_on", "release"), ("address_changed_on", "address change")]
)
def test_event_after_last_visit_brings_due_forward(field: str, trigger: str):
    """Release / address change after the last visit: due = event + first_visit_days when sooner."""
    st = due_state(off("low", **{field: d("2026-12-10")}), d("2026-10-01"), POLICY)
    assert st.due == d("2026-12-24") and st.trigger == trigger


@pytest.mark.parametrize("field", ["released_on", "address_changed_on"])
def test_event_before_last_visit_ignored(field: str):
    """An event on or before the last visit does not move the due date."""
    for event in ("2026-09-01", "2026-10-01"):
        st = due_state(off("low", **{field: d(event)}), d("2026-10-01"), POLICY)
        assert st.due == d("2027-10-01") and st.trigger == "interval"


@pytest.mark.parametrize("field", ["released_on", "address_changed_on"])
def test_event_only_if_sooner(field: str):
    """An event whose first-visit date is later than the interval due date changes nothing."""
    st = due_state(off("very_high", **{field: d("2026-12-25")}), d("2026-12-01"), POLICY)
    assert st.due == d("2026-12-31") and st.trigger == "interval"


def test_event_counts_for_never_visited_with_no_registration():
    """Never visited and no registration: a release still gives a due date."""
    st = due_state(off("high", released_on=d("2026-12-01")), None, POLICY)
    assert st.due == d("2026-12-15") and st.trigger == "release"


def test_sooner_of_two_events_wins():
    """With both a release and an address change, the sooner first-visit date counts."""
    o = off("low", released_on=d("2026-12-10"), address_changed_on=d("2026-12-01"))
    st = due_state(o, d("2026-06-01"), POLICY)
    assert st.due == d("2026-12-15") and st.trigger == "address change"


# --- earliest date --------------------------------------------------------------------------


def test_earliest_is_due_minus_window():
    """Earliest = due - window_days (high: 30) when the half-interval gap is not binding."""
    st = due_state(off("high"), d("2026-11-01"), POLICY)
    assert st.earliest == st.due - timedelta(days=30)


def test_earliest_never_before_event():
    """A visit brought forward by an event is never earlier than the event itself."""
    st = due_state(off("very_high", address_changed_on=d("2026-12-10")), None, POLICY)
    assert st.due == d("2026-12-24")
    assert st.earliest == d("2026-12-14")  # due - 10, already after the event
    policy = apply_overrides(POLICY, {"visits.first_visit_days": 3})
    st2 = due_state(off("very_high", address_changed_on=d("2026-12-10")), None, policy)
    assert st2.due == d("2026-12-13") and st2.earliest == d("2026-12-10")


@pytest.mark.parametrize(("interval", "gap"), [(7, 4), (8, 4), (30, 15), (91, 46), (1, 1)])
def test_half_interval_rounds_up(interval: int, gap: int):
    """The minimum gap is half the interval, rounded up."""
    assert half_interval(interval) == gap


def test_min_gap_binds_when_window_is_wider():
    """Interval 7 with a 10-day window: earliest is last + 4, not due - 10."""
    st = due_state(off("very_high", visit_interval_days=7), d("2026-12-01"), POLICY)
    assert st.due == d("2026-12-08") and st.earliest == d("2026-12-05")


def test_min_gap_not_binding_for_default_interval():
    """Very high default (30 days, window 10): due - 10 is later than last + 15."""
    st = due_state(off("very_high"), d("2026-12-01"), POLICY)
    assert st.earliest == d("2026-12-21")


def test_min_gap_does_not_hold_back_event_visit():
    """A visit brought forward by an event may be made from the event date: no half-interval."""
    policy = apply_overrides(POLICY, {"visits.first_visit_days": 2})
    st = due_state(off("very_high", released_on=d("2026-12-03")), d("2026-12-01"), policy)
    assert st.due == d("2026-12-05") and st.earliest == d("2026-12-03")
    assert st.earliest_why == "the release on 2026-12-03"


def test_min_gap_holds_back_routine_visit():
    """A routine visit is never sooner than half the interval after the previous one."""
    policy = apply_overrides(POLICY, {"risk.very_high.window_days": 25})
    st = due_state(off("very_high"), d("2026-12-01"), policy)
    assert st.due == d("2026-12-31") and st.earliest == d("2026-12-16")
    assert st.earliest_why == "half the interval after the visit on 2026-12-01"


# --- what counts as the last visit ----------------------------------------------------------


def test_last_completed_log_later_than_field():
    """A completed log visit later than last_visit_date counts."""
    o = off(last_visit_date=d("2026-09-01"))
    assert last_completed(o, [rec("2026-10-01")]) == d("2026-10-01")


def test_last_completed_field_later_than_log():
    """last_visit_date later than the log counts."""
    o = off(last_visit_date=d("2026-11-01"))
    assert last_completed(o, [rec("2026-10-01")]) == d("2026-11-01")


@pytest.mark.parametrize("outcome", ["no_access", "cancelled"])
def test_failed_visits_do_not_count(outcome: str):
    """no_access and cancelled visits never satisfy the requirement."""
    o = off(last_visit_date=d("2026-09-01"))
    assert last_completed(o, [rec("2026-10-01", outcome)]) == d("2026-09-01")
    assert last_completed(off(), [rec("2026-10-01", outcome)]) is None


def test_last_completed_cut_off():
    """on_or_before drops later log visits and a later last_visit_date."""
    o = off(last_visit_date=d("2026-11-15"))
    hist = [rec("2026-08-01"), rec("2026-10-01")]
    assert last_completed(o, hist, on_or_before=d("2026-10-01")) == d("2026-10-01")
    assert last_completed(o, hist, on_or_before=d("2026-09-30")) == d("2026-08-01")
    assert last_completed(o, hist, on_or_before=d("2026-07-01")) is None


def test_history_by_offender_sorted():
    """The log is grouped per person and sorted by date then start time."""
    hist = history_by_offender(
        [
            rec("2026-10-02", oid="B"),
            rec("2026-10-01", oid="A", start_min=600),
            rec("2026-10-01", oid="A", start_min=540),
        ]
    )
    assert [v.start_min for v in hist["A"]] == [540, 600]
    assert list(hist["B"]) == [rec("2026-10-02", oid="B")]


def test_requirement_ignores_visits_from_plan_start():
    """Only visits before the plan start count for the plan's first due date."""
    o = off("very_high")
    r = requirement_for(o, [rec("2026-12-10"), rec("2027-01-02")], POLICY, START, END)
    assert r is not None and r.last_visit == d("2026-12-10") and r.first_due == d("2027-01-09")


# --- requirements ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [Status.reactive, Status.custody, Status.hospital, Status.abroad]
)
def test_non_active_statuses_give_no_requirement(status: Status):
    """Reactive, custody, hospital and abroad people get no planned visit."""
    assert requirement_for(off("very_high", status=status), [], POLICY, START, END) is None


def test_active_status_gives_requirement():
    """An active person owed a visit in the plan gets a requirement."""
    assert (
        requirement_for(off("very_high", status=Status.active), [], POLICY, START, END) is not None
    )


def test_optional_when_due_after_plan_end():
    """Due after the plan but inside the window: optional (pull forward only if spare)."""
    r = requirement_for(off("high"), [rec("2026-11-15")], POLICY, START, END)
    assert r is not None and r.first_due == d("2027-02-14") and r.optional
    assert r.first_earliest == d("2027-01-15")
    assert r.chain_estimate(END, ALL_DAYS) == 0


def test_not_optional_when_due_in_plan():
    """Due inside the plan: a required visit."""
    r = requirement_for(off("high"), [rec("2026-10-20")], POLICY, START, END)
    assert r is not None and not r.optional and r.first_due == d("2027-01-19")


def test_no_requirement_when_earliest_after_plan_end():
    """Nothing is owed when the next visit may not be made before the plan ends."""
    assert requirement_for(off("low"), [rec("2026-12-01")], POLICY, START, END) is None


def test_overdue_requirement_starts_at_plan_start():
    """An overdue visit keeps its past due date; it may be made from the plan start."""
    r = requirement_for(off("high"), [rec("2026-06-01")], POLICY, START, END)
    assert r is not None and r.first_due == d("2026-08-31") and r.first_earliest == START


def test_requirement_carries_person_overrides():
    """Per-person crew size, duration and skills override the policy."""
    o = off("high", two_officers=False, visit_minutes=40, required_skills=frozenset({"polish"}))
    r = requirement_for(o, [], POLICY, START, END)
    assert r is not None and not r.two_officers and r.duration_min == 40 and r.skills == {"polish"}
    r2 = requirement_for(off("high"), [], POLICY, START, END)
    assert r2 is not None and r2.two_officers and r2.duration_min == 75 and r2.weight == 4


def test_requirement_previous_visit_weekday_and_time():
    """The last completed visit's weekday and start time are carried for variety."""
    r = requirement_for(off("very_high"), [rec("2026-12-10", start_min=1080)], POLICY, START, END)
    assert r is not None and r.prev_weekday == 3 and r.prev_start_min == 1080


# --- chained visits -------------------------------------------------------------------------


def test_next_due_and_earliest_follow_planned_date():
    """The next visit is due interval days after the planned one; earliest respects the gap."""
    r = requirement_for(
        off("very_high", visit_interval_days=7), [rec("2026-12-28")], POLICY, START, END
    )
    assert r is not None
    assert r.next_due(d("2027-01-06")) == d("2027-01-13")
    assert r.next_earliest(d("2027-01-06")) == d("2027-01-10")  # gap 4 beats due - 10
    r30 = requirement_for(off("very_high"), [rec("2026-12-10")], POLICY, START, END)
    assert r30 is not None and r30.next_earliest(d("2027-01-09")) == d("2027-01-29")


ALL_DAYS = frozenset(d("2027-01-01") + timedelta(days=i) for i in range(31))


def test_chain_estimate_waits_for_a_duty_day():
    """An overdue visit counts as made on the first day an officer is on duty."""
    r = requirement_for(
        off("very_high", visit_interval_days=10), [rec("2026-11-01")], POLICY, START, END
    )
    assert r is not None
    duty = ALL_DAYS - {d("2027-01-01"), d("2027-01-02"), d("2027-01-03")}
    assert r.owed_dues(END, duty) == [d("2026-11-11"), d("2027-01-14"), d("2027-01-24")]


def test_chain_estimate_counts_visits_in_plan():
    """Interval 7 from a due date of Jan 4 in January: visits due 4, 11, 18, 25 -> 4."""
    r = requirement_for(
        off("very_high", visit_interval_days=7), [rec("2026-12-28")], POLICY, START, END
    )
    assert r is not None and r.first_due == d("2027-01-04")
    assert r.chain_estimate(END, ALL_DAYS) == 4


def test_chain_estimate_single_when_interval_longer_than_plan():
    """A 30-day interval due on Jan 9 gives one visit in January."""
    r = requirement_for(off("very_high"), [rec("2026-12-10")], POLICY, START, END)
    assert r is not None and r.chain_estimate(END, ALL_DAYS) == 1


def test_chain_estimate_from_plan_start_when_overdue():
    """An overdue person's chain restarts from the plan start, not the old due date."""
    r = requirement_for(
        off("very_high", visit_interval_days=10), [rec("2026-11-01")], POLICY, START, END
    )
    assert r is not None and r.first_due == d("2026-11-11")
    assert r.chain_estimate(END, ALL_DAYS) == 4  # Jan 1, then 11, 21, 31


def test_requirements_order_and_filter():
    """Required before optional, then most serious risk, then earliest due; optional may be dropped."""
    people = (
        off("low", "L", registered_on=d("2026-12-20")),
        off("very_high", "V", last_visit_date=d("2026-12-15")),
        off("high", "H", last_visit_date=d("2026-11-15")),  # optional: due Feb 14
        off("medium", "R", status=Status.reactive),
    )
    data = Dataset(offenders=people, officers=(), policy=POLICY)
    got = requirements(data, START, END)
    assert [r.offender_id for r in got] == ["V", "L", "H"]
    assert [r.risk_level for r in got][:2] == [RiskLevel.very_high, RiskLevel.low]
    assert [r.offender_id for r in requirements(data, START, END, include_optional=False)] == [
        "V",
        "L",
    ]


def test_never_visited_never_registered_owed_at_start_despite_later_release():
    """No visit and no registration: owed at the plan start; a later release cannot put it off."""
    o = off("high", last_visit_date=None, released_on=d("2027-01-20"))
    r = requirement_for(o, [], POLICY, START, END)
    assert r is not None and not r.optional
    assert r.first_due == START and r.first_earliest == START and r.trigger == "never visited"


def test_capped_limits_owed_visits_and_keeps_only_late_pull_forwards() -> None:
    """`capped` (a month of a long plan): a cap shortens the chain; a person capped at 0 is
    left out unless their only visit is due after the whole plan (a pull-forward)."""
    from datetime import date

    from rso_scheduler.demand import capped, duty_days, requirements
    from tests.solver_helpers import dataset, officer, person

    start, end, until = date(2027, 1, 1), date(2027, 1, 31), date(2027, 2, 15)
    weekly = person("W", visit_interval_days=7)
    later = person("L", last_visit_date=date(2026, 12, 20), visit_interval_days=62)
    ds = dataset([weekly, later], [officer("O1"), officer("O2")])
    reqs = {r.offender_id: r for r in requirements(ds, start, end)}
    duty = duty_days(ds, start, end)
    assert len(reqs["W"].owed_dues(end, duty)) > 2
    (w,) = capped([reqs["W"]], {"W": 2}, until)
    assert w.owed_cap == 2 and len(w.owed_dues(end, duty)) == 2
    assert capped([reqs["W"]], {"W": 0}, until) == []
    assert reqs["L"].optional and reqs["L"].first_due > until
    assert capped([reqs["L"]], {"L": 0}, until) == [reqs["L"]]
    assert capped([reqs["L"]], {"L": 0}, date(2027, 3, 31)) == []
