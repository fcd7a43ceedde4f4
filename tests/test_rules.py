"""The hard rules (rso_scheduler/rules.py): for each rule one case where it bites, one where not."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from rso_scheduler import rules
from rso_scheduler.demand import Requirement, requirement_for
from rso_scheduler.models import Absence, Status
from rso_scheduler.policy import Policy, ShiftsPolicy
from tests.solver_helpers import JAN, officer, person

MON = date(2027, 1, 4)
SAT = date(2027, 1, 9)


def req(**kw: Any) -> Requirement:
    """The January requirement of one person (overdue since June unless told otherwise)."""
    r = requirement_for(person("P", **kw), [], Policy(), JAN[0], JAN[1])
    assert r is not None
    return r


def test_person_status_bites_and_passes() -> None:
    """Only active people get planned visits."""
    assert rules.person_status(Status.active) is None
    assert rules.person_status(Status.custody) == "status is custody: no visits while in that state"
    assert "reactive" in (rules.person_status(Status.reactive) or "")


def test_person_available_bites_and_passes() -> None:
    """A day inside the person's unavailable range is refused with the range."""
    r = req(unavailable_from=date(2027, 1, 5), unavailable_to=date(2027, 1, 8))
    assert rules.person_available(r, MON) is None
    assert rules.person_available(r, date(2027, 1, 6)) == (
        "person unavailable from 2027-01-05 to 2027-01-08"
    )


def test_not_before_bites_and_passes() -> None:
    """A day before the earliest date is refused, naming what sets it."""
    why = "half the interval after the visit on 2026-12-20"
    assert rules.not_before(date(2027, 1, 10), date(2027, 1, 10), why) is None
    assert rules.not_before(MON, date(2027, 1, 10), why) == (
        f"next visit not allowed before 2027-01-10 ({why})"
    )


def test_officer_on_duty_bites_and_passes() -> None:
    """Weekends, bank holidays, absences and a zero visit cap take an officer off duty."""
    o = officer("A")
    absent = {"A": [Absence(officer_id="A", start=MON, end=MON, reason="court")]}
    assert rules.officer_on_duty(o, MON, {}, set()) is None
    assert rules.officer_on_duty(o, SAT, {}, set()) == "officer A does not work on Saturdays"
    assert rules.officer_on_duty(o, MON, {}, {MON}) == "2027-01-04 is a bank holiday"
    assert rules.officer_on_duty(o, MON, absent, set()) == "officer A absent (court) on 2027-01-04"
    assert "max_visits_per_day is 0" in (
        rules.officer_on_duty(officer("Z", max_visits_per_day=0), MON, {}, set()) or ""
    )


def test_officer_shift_holds_bites_and_passes() -> None:
    """An evening window is outside a day shift, inside a late one."""
    r = req(window_start_min=18 * 60, window_end_min=20 * 60)
    assert (
        rules.officer_shift_holds(officer("L", shift_start_min=14 * 60, shift_end_min=22 * 60), r)
        is None
    )
    assert rules.officer_shift_holds(officer("D"), r) == (
        "window 18:00-20:00 is not covered by the shift 08:00-16:00"
    )
    short = req(window_start_min=18 * 60, window_end_min=18 * 60 + 30)
    assert "shorter than the 75-minute visit" in (
        rules.officer_shift_holds(officer("D"), short) or ""
    )


def test_crew_size_bites_and_passes() -> None:
    """A two-officer visit needs two different officers."""
    r = req()
    assert rules.crew_size(r, [officer("A"), officer("B")]) is None
    assert rules.crew_size(r, [officer("A")]) == "needs two officers"
    assert rules.crew_size(req(two_officers=False), [officer("A")]) is None


def test_crew_skills_bites_and_passes() -> None:
    """Every required skill is held by someone on the crew."""
    r = req(required_skills=frozenset({"polish", "female"}))
    both = [officer("A", skills=frozenset({"polish"})), officer("B", skills=frozenset({"female"}))]
    assert rules.crew_skills(r, both) is None
    assert rules.crew_skills(r, both[:1]) == "no officer with skill female"


@pytest.mark.parametrize("mode", ["prefer", "ignore"])
def test_crew_area_passes_unless_strict(mode: str) -> None:
    """Only strict areas refuse an officer of another area."""
    assert rules.crew_area(req(), [officer("A", area="Slough")], mode) is None


def test_crew_area_bites_when_strict() -> None:
    """Strict areas: an officer of another area is refused; a person with no area is not bound."""
    crew = [officer("A"), officer("B", area="Slough")]
    assert rules.crew_area(req(), crew, "strict") == "strict area: officer B is not of area Reading"
    assert rules.crew_area(req(area=None), crew, "strict") is None
    assert rules.crew_area(req(), crew[:1], "strict") is None


def test_crews_share_shift_bites_and_passes() -> None:
    """An early and a late shift share too little to be a crew; two day shifts share enough."""
    early = officer("E", shift_start_min=7 * 60, shift_end_min=15 * 60)
    late = officer("L", shift_start_min=14 * 60, shift_end_min=22 * 60)
    assert rules.crews_share_shift(early, officer("D")) is None
    assert "share 60 minutes" in (rules.crews_share_shift(early, late) or "")


def test_crews_share_shift_inside_a_part() -> None:
    """A split crew's officers must share enough hours inside its part of the day."""
    a = officer("A", shift_start_min=14 * 60, shift_end_min=22 * 60)
    b = officer("B", shift_start_min=14 * 60, shift_end_min=22 * 60)
    assert rules.crews_share_shift(a, b, (18 * 60, 22 * 60)) is None
    why = rules.crews_share_shift(a, b, (20 * 60, 23 * 60)) or ""
    assert "share 120 minutes between 20:00 and 23:00" in why
    assert rules.shared_hours((a, b), (18 * 60, 23 * 60)) == (18 * 60, 22 * 60)


def test_crew_shift_holds_inside_a_part() -> None:
    """A split crew makes a visit only when its part of the day holds it in the window."""
    r = req(window_start_min=17 * 60, window_end_min=21 * 60)
    crew = [officer(o, shift_start_min=14 * 60, shift_end_min=22 * 60) for o in "AB"]
    assert rules.crew_shift_holds(r, crew, (18 * 60, 22 * 60)) is None
    assert rules.crew_shift_holds(r, crew, (14 * 60, 17 * 60 + 30)) == (
        "the crew's part of the day (14:00-17:30) does not hold the visit in its window"
    )
    assert rules.crew_can_make(r, crew, "prefer", (14 * 60, 17 * 60 + 30)) is not None


def test_crew_max_visits_bites_and_passes() -> None:
    """A crew with an officer at their daily cap is full."""
    crew = [officer("A", max_visits_per_day=3), officer("B")]
    assert rules.crew_max_visits(crew, 2) is None
    assert rules.crew_max_visits(crew, 3) == "crew full: 3 visits a day at most"


def test_crew_shift_holds_bites_and_passes() -> None:
    """Two shifts that each hold the visit may still share too little of the window."""
    r = req(window_start_min=12 * 60, window_end_min=16 * 60)
    a = officer("A", shift_start_min=8 * 60, shift_end_min=13 * 60 + 30)
    b = officer("B", shift_start_min=12 * 60 + 30, shift_end_min=20 * 60)
    assert rules.crew_shift_holds(r, [officer("C"), officer("D")]) is None
    assert rules.crew_shift_holds(r, [a, b]) == (
        "the officers' shared shift hours do not hold the visit in its window"
    )


def test_crew_can_make_names_the_first_rule_broken() -> None:
    """The composite rule gives the first reason (size before skills before area)."""
    r = req(required_skills=frozenset({"welsh"}))
    assert rules.crew_can_make(r, [officer("A")], "strict") == "needs two officers"
    assert (
        rules.crew_can_make(r, [officer("A"), officer("B")], "strict")
        == "no officer with skill welsh"
    )
    ok = [officer("A", skills=frozenset({"welsh"})), officer("B")]
    assert rules.crew_can_make(r, ok, "strict") is None


def test_window_reachable_bites_and_passes() -> None:
    """The timing callback decides; the reason names the window."""
    r = req(window_start_min=9 * 60, window_end_min=10 * 60 + 30)
    assert rules.window_reachable(r, lambda: (10, [540])) is None
    assert rules.window_reachable(r, lambda: None) == (
        "window 09:00-10:30 not reachable inside the shifts with travel from and back to base"
    )


def test_last_owed_floor() -> None:
    """The last owed visit of a 30-day interval in January is not before 2 January."""
    floor, why = rules.last_owed_floor(req(risk="very_high"), JAN[1], 1)
    assert floor == date(2027, 1, 2) and "one more visit would fall due" in why


def test_last_owed_floor_under_a_cap() -> None:
    """A month of a long plan: once the visits reach the whole period's cap the floor is from
    the whole plan's end (none if unknown); below the cap the month's floor holds."""
    import dataclasses

    capped = dataclasses.replace(req(risk="very_high"), owed_cap=2)
    assert rules.last_owed_floor(capped, JAN[1], 2)[0] == date.min
    assert rules.last_owed_floor(capped, JAN[1], 1)[0] == date(2027, 1, 2)
    # with the whole plan's end known, the cap-reaching visit's floor is from that end
    whole = dataclasses.replace(capped, count_end=date(2027, 3, 31))
    assert rules.last_owed_floor(whole, JAN[1], 2)[0] == date(2027, 3, 2)


def test_crew_visit_cap_is_the_lowest_cap_and_serves_crew_days() -> None:
    """The crew's cap is its officers' lowest max_visits_per_day (None: none set), and the
    crew-day of the planner reads it from rules rather than its own copy."""
    from datetime import date

    from rso_scheduler.rules import crew_max_visits, crew_visit_cap
    from rso_scheduler.solver.crews import CrewDay
    from tests.solver_helpers import officer

    a, b, c = officer("A", max_visits_per_day=3), officer("B"), officer("C", max_visits_per_day=5)
    assert crew_visit_cap([a, b, c]) == 3 and crew_visit_cap([b]) is None
    assert crew_max_visits([a, b], 2) is None and crew_max_visits([a, b], 3) is not None
    crew = CrewDay(index=0, day=date(2027, 1, 4), day_index=0, officers=(a, c))
    assert crew.max_visits == crew_visit_cap((a, c)) == 3


def test_pulled_forward_floor() -> None:
    """A 30-day visit pulled forward into January is not made before 2 January (the next would
    fall due on 31 January, inside the plan)."""
    assert rules.pulled_forward_floor(req(risk="very_high"), JAN[1]) == date(2027, 1, 2)


def test_keep_count_deadline() -> None:
    """A month of a long plan owing one of two visits every 60 days to 10 March: the month's
    visit is due by 9 January (60 days before the end); none outside a long plan or once the
    month holds all the whole plan owes."""
    import dataclasses

    r = dataclasses.replace(req(), interval_days=60, owed_cap=2, count_end=date(2027, 3, 10))
    assert rules.keep_count_deadline(r, 1) == date(2027, 1, 9)
    assert rules.keep_count_deadline(r, 2) is None
    assert rules.keep_count_deadline(req(), 1) is None


def test_start_in_window_bites_and_passes() -> None:
    """A pinned start must begin and end inside the person's window; no window, any time."""
    r = req(window_start_min=17 * 60 + 30, window_end_min=20 * 60 + 30)
    assert rules.start_in_window(r, 18 * 60, 60) is None
    assert rules.start_in_window(r, 19 * 60 + 30, 60) is None
    assert rules.start_in_window(r, 17 * 60, 60) == "17:00 is outside the person's window"
    assert rules.start_in_window(r, 19 * 60 + 45, 60) == "19:45 is outside the person's window"
    assert rules.start_in_window(req(), 6 * 60, 60) is None


def test_refreshment_minutes_bites_and_passes() -> None:
    """Annex E by tour length; none under 5 hours or with "none"; policy and officer override."""
    police = ShiftsPolicy()
    assert rules.refreshment_minutes(officer("A"), police) == 45  # 08:00-16:00
    assert rules.refreshment_minutes(officer("A", shift_end_min=12 * 60 + 59), police) == 0
    assert rules.refreshment_minutes(officer("A", shift_end_min=13 * 60), police) == 30
    assert rules.refreshment_minutes(officer("A", shift_end_min=18 * 60), police) == 60
    assert rules.refreshment_minutes(officer("A"), ShiftsPolicy(refreshment="none")) == 0
    assert rules.refreshment_minutes(officer("A"), ShiftsPolicy(refreshment=30)) == 30
    staff = officer("S", refreshment_minutes=20)
    assert rules.refreshment_minutes(staff, police) == 20
    assert rules.refreshment_minutes(staff, ShiftsPolicy(refreshment="none")) == 0


def test_refreshment_break_window_lies_in_the_shift() -> None:
    """The window runs from the 3rd to the 6th hour, cut at the shift's end."""
    need = rules.refreshment_break(officer("A"), ShiftsPolicy())
    assert need == rules.Refreshment("A", 45, 11 * 60, 14 * 60)
    short = rules.refreshment_break(officer("A", shift_end_min=13 * 60 + 30), ShiftsPolicy())
    assert short is not None and short.latest_min == 13 * 60 + 30
    assert rules.refreshment_break(officer("A", shift_end_min=12 * 60), ShiftsPolicy()) is None


def test_break_kept_bites_and_passes() -> None:
    """A planned break of the due length inside its window passes; missing, short or outside
    the window does not."""
    need = rules.Refreshment("A", 45, 11 * 60, 14 * 60)
    assert rules.break_kept(need, 11 * 60, 11 * 60 + 45) is None
    assert rules.break_kept(need, None, None) == "officer A has no refreshment break"
    assert "shorter" in (rules.break_kept(need, 11 * 60, 11 * 60 + 30) or "")
    assert "outside" in (rules.break_kept(need, 13 * 60 + 30, 14 * 60 + 15) or "")


def test_every_hard_rule_is_registered_once() -> None:
    """The registry names each rule once, and each is a function of rules.py."""
    names = [r.name for r in rules.HARD_RULES]
    assert len(names) == len(set(names))
    assert all(getattr(rules, r.check.__name__) is r.check for r in rules.HARD_RULES)
    assert {"refreshment_break", "officer_on_duty", "window_reachable"} <= set(names)
