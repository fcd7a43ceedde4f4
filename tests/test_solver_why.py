"""Crews that explain themselves: why each crew-day was formed, and far crews only with cause."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from rso_scheduler.demand import requirements
from rso_scheduler.geo import haversine_km
from rso_scheduler.models import Absence, Officer
from rso_scheduler.solver.crews import form_crews
from rso_scheduler.solver.improve import bring_near
from rso_scheduler.solver.optimise import window_needs
from rso_scheduler.solver.problem import build_problem
from rso_scheduler.solver.state import State
from rso_scheduler.solver.why import FAR_PAIR_KM, drives_far, far_because, what_it_saved
from rso_scheduler.solver.work import WorkBudget
from tests.solver_helpers import JAN, READING, assert_valid, dataset, officer, person, run

MILTON_KEYNES = (52.041, -0.759)  # about 66 km from Reading
EVENING = {"window_start_min": 18 * 60, "window_end_min": 21 * 60}
LATE = {"shift_start_min": 14 * 60, "shift_end_min": 22 * 60}
MON = date(2027, 1, 4)


def _reasons(crews: list, day: date) -> dict[str, str]:
    return {c.crew_id: c.formed_because for c in crews if c.day == day}


def test_reason_standing_partners() -> None:
    """Standing partners both on duty say so."""
    offs = [officer("A"), officer("B")]
    assert _reasons(form_crews(offs, (), *JAN, {}), MON) == {"A+B": "standing partners"}


def test_reason_partner_on_leave_and_alone() -> None:
    """With a partner on leave the officer pairs with a free one and says why; with nobody
    free, the officer works alone and says so."""
    offs = [officer("A"), officer("B"), officer("C"), officer("D"), officer("E")]
    leave = (Absence(officer_id="B", start=MON, end=MON, reason="annual leave"),)
    today = _reasons(form_crews(offs, leave, *JAN, {}), MON)
    paired = [why for crew, why in today.items() if "+" in crew and "standing partners" not in why]
    assert len(paired) == 1
    assert "standing partner is off (officer B absent (annual leave) on 2027-01-04)" in paired[0]
    assert "paired with a free officer on duty" in paired[0]
    assert "E has no standing partner" in paired[0]
    four = _reasons(form_crews(offs[:4], leave, *JAN, {}), MON)
    assert four["A"] == "alone: no free officer on duty to pair with"


def test_reason_alone_when_shifts_do_not_meet() -> None:
    """An officer whose shift shares too little with every free one says that is why."""
    offs = [officer("A"), officer("N", shift_start_min=18 * 60, shift_end_min=23 * 60 + 59)]
    today = _reasons(form_crews(offs, (), *JAN, {}), MON)
    assert today["N"] == "alone: no free officer on duty whose shift shares 3 hours with theirs"


def test_reason_paired_for_evening_visits() -> None:
    """Two late officers paired for evening work name the visits, the area and whether a
    same-area pair could have made them."""
    offs = [
        officer("L1", area="Reading", **LATE),
        officer("D1", area="Reading", shift_start_min=10 * 60, shift_end_min=18 * 60),
        officer("L2", area="Wokingham", **LATE),
        officer("D2", area="Wokingham", shift_start_min=10 * 60, shift_end_min=18 * 60),
    ]
    ds = dataset([person("E0", **EVENING)], offs)
    needs = window_needs(requirements(ds, *JAN))
    crews = form_crews(offs, (), *JAN, {}, needs=needs, area_mode="prefer")
    first = [c for c in crews if c.day == JAN[0] and c.crew_id == "L1+L2"]
    assert len(first) == 1 and first[0].formed_for == ("E0",)
    why = first[0].formed_because
    assert why.startswith(
        "paired for 1 owed visit in set hours in Reading (E0's 18:00-21:00 visit)"
    )
    assert "no pair of Reading officers on duty can make it" in why
    assert why.endswith("(officers of Reading and Wokingham)")


def test_reason_kept_crew_of_a_replan() -> None:
    """A crew a re-plan must keep says it was kept from the issued roster."""
    offs = [officer("A"), officer("B"), officer("C"), officer("D")]
    crews = form_crews(offs, (), *JAN, {}, required={MON: [("A", "C")]})
    assert _reasons(crews, MON)["A+C"] == "kept from the issued roster (a re-plan keeps its crews)"


def _far_case() -> tuple[list, list[Officer]]:
    """A Reading late officer whose only possible partner is a late officer based in Milton
    Keynes, and one evening visit in Reading that only two late officers can make."""
    offs = [
        officer("N1", area="Reading", **LATE),
        officer("F1", *MILTON_KEYNES, area="Milton Keynes", **LATE),
        officer("D1", area="Reading"),
        officer("D2", area="Reading"),
    ]
    return [person("E0", **EVENING)], offs


def test_far_pair_that_saves_a_miss_is_kept_and_says_why(tmp_path: Path) -> None:
    """The far pair is the only crew that can make the evening visit: it makes it, and its
    crew-day says what it saved."""
    people, offs = _far_case()
    assert haversine_km(*READING, *MILTON_KEYNES) > FAR_PAIR_KM
    ds = dataset(people, offs)
    res = run(ds)
    assert res.unscheduled == []
    (visit,) = [v for v in res.visits if v.offender_id == "E0"]
    assert visit.officer_ids == ("F1", "N1")
    (rec,) = [c for c in res.crew_days if c.date == visit.date and c.crew_id == "F1+N1"]
    km = round(haversine_km(*READING, *MILTON_KEYNES))
    assert f"Kept although officers of Milton Keynes and Reading, bases {km} km apart" in (
        rec.formed_detail
    )
    assert "the only crew on duty that can make E0's 18:00-21:00 visit (" in rec.formed_detail
    # in one sentence: why it was formed and, first, that it drives beyond the policy's limit
    assert "; drives beyond the 90-minute limit (135 minutes, E0): no crew within it" in (
        rec.formed_because
    )
    assert res.stats["visits_beyond_max_leg"] == 1
    assert len(rec.formed_because) <= 200
    assert_valid(ds, res, tmp_path)


def _three_at_reading_one_at_milton_keynes() -> list[Officer]:
    """Three Reading officers and one at Milton Keynes: one near pair, one far pair."""
    return [
        officer("R1", area="Reading"),
        officer("R2", area="Reading"),
        officer("R3", area="Reading"),
        officer("F1", *MILTON_KEYNES, area="Milton Keynes"),
    ]


def test_far_crew_hands_its_visit_to_a_near_crew() -> None:
    """A visit placed on a far pair moves to a near crew with room, never later: the far crew
    stays at base."""
    offs = _three_at_reading_one_at_milton_keynes()
    ds = dataset([person("P0")], offs)
    reqs = requirements(ds, *JAN)
    crews = form_crews(offs, (), *JAN, {})
    monday = [c for c in crews if c.day == MON]
    assert {c.crew_id for c in monday} == {"F1+R3", "R1+R2"}
    prob = build_problem(*JAN, ds.policy, reqs, crews, offs)
    st = State(prob)
    far = next(c for c in monday if c.crew_id == "F1+R3")
    stop = st.new_stop(0)
    st.add(far.index, 0, [stop])
    timer = prob.timer_of(far)
    assert drives_far(far, timer, [stop])
    moved = bring_near(prob, st, WorkBudget(10**9, float("inf")))
    assert moved == {"near_emptied": 1, "near_moved": 1}
    now = prob.crews[st.crew_of[stop.key]]
    assert now.crew_id == "R1+R2" and st.stops[far.index] == []
    assert now.day_index <= far.day_index  # an overdue visit: never later (here earlier)


def test_near_pair_is_not_far() -> None:
    """A pair of one area at one station, driving short legs, is not far."""
    offs = [officer("R1"), officer("R2")]
    crew = form_crews(offs, (), *JAN, {})[0]
    assert far_because(crew, 30) == []
    assert far_because(crew, 91) == ["a 91-minute drive"]


def test_plan_gives_the_visit_to_the_near_crew(tmp_path: Path) -> None:
    """With a near pair and a far pair on duty, the optimiser's visit goes to the near pair and
    the far pair's crew-day says it made no visits."""
    offs = _three_at_reading_one_at_milton_keynes()
    ds = dataset([person("P0")], offs)
    res = run(ds)
    (visit,) = res.visits
    assert visit.officer_ids == ("R1", "R2")
    (rec,) = [c for c in res.crew_days if c.date == visit.date and c.crew_id == "F1+R3"]
    assert rec.formed_detail.endswith(": made no visits")
    assert "kept although" not in rec.formed_because  # it drove nowhere: nothing to excuse
    assert_valid(ds, res, tmp_path)


def _saved(manager: str | None) -> tuple[str, str]:
    """What the far pair F1+R3 saved with one visit of P0 on it (near pair R1+R2 idle), and
    what the idle near pair's day says."""
    offs = _three_at_reading_one_at_milton_keynes()
    ds = dataset([person("P0", offender_manager_id=manager)], offs)
    crews = form_crews(offs, (), *JAN, {})
    prob = build_problem(*JAN, ds.policy, requirements(ds, *JAN), crews, offs)
    st = State(prob)
    far = next(c for c in crews if c.day == MON and c.crew_id == "F1+R3")
    near = next(c for c in crews if c.day == MON and c.crew_id == "R1+R2")
    st.add(far.index, 0, [st.new_stop(0)])

    def lateness(key: int) -> str:
        return "on time"

    return (
        what_it_saved(prob, st.stops, st.person_of, far, lateness),
        what_it_saved(prob, st.stops, st.person_of, near, lateness),
    )


def test_what_a_far_crew_saved_names_its_manager_or_the_others_with_room() -> None:
    """A far crew's visit that a near crew had room for is said so; kept with the person's named
    offender manager, that is the reason given; an idle crew-day made no visits."""
    spare, idle = _saved(None)
    assert spare == (
        "1 of its 1 visits other crews of the day had room for too; the planner found no nearer "
        "crew to take them for less travel without more lateness"
    )
    assert idle == "made no visits"
    assert _saved("F1")[0] == "takes their named offender manager to P0"


def test_reason_split_crews() -> None:
    """A split crew names its part of the day and what it was formed for; a crew cut to a part
    and a lone officer's rest of a shift say so."""
    from tests.test_solver_crews import MONDAY as SPLIT_DAY
    from tests.test_solver_crews import _crews_of_day, _split_case

    people, offs = _split_case()
    why = {c.crew_id: c.formed_because for c in _crews_of_day(dataset(people, offs), SPLIT_DAY)}
    assert why["L1+L2"] == (
        "split crew for 18:00-22:00 (each officer works with another partner or alone in the "
        "rest of their shift): paired for 1 owed visit in set hours in Reading (E0's "
        "19:00-21:00 visit)"
    )
    assert why["D1+L1"].endswith("; for 14:00-18:00 only, as an officer of it is in a split crew")
    assert why["L2"] == "alone for 14:00-18:00, the rest of the shift outside a split crew"
