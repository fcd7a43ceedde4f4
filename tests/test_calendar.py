"""Working calendar: bank holidays, officers' visit days, month bounds."""

from __future__ import annotations

from datetime import date

from rso_scheduler.calendar import (
    absences_by_officer,
    bank_holidays,
    days,
    month_bounds,
    next_month_start,
)
from rso_scheduler.duty import officer_works
from rso_scheduler.models import Absence, Officer


def _officer(**kw: object) -> Officer:
    base = dict(officer_id="TV1", base_lat=51.45, base_lon=-0.97)
    base.update(kw)
    return Officer(**base)  # type: ignore[arg-type]


def test_bank_holidays_england_and_wales() -> None:
    """Christmas, Boxing Day and New Year are bank holidays; 2 January is not (that is Scotland)."""
    bh = bank_holidays(date(2026, 12, 1), date(2027, 1, 31))
    assert date(2026, 12, 25) in bh and date(2026, 12, 28) in bh  # Boxing Day substitute
    assert date(2027, 1, 1) in bh
    assert date(2027, 1, 4) not in bh


def test_officer_works_on_working_day_only() -> None:
    """Default Mon-Fri: a Monday is worked, a Saturday is not."""
    o = _officer()
    assert officer_works(o, date(2027, 1, 4), {}, set())
    assert not officer_works(o, date(2027, 1, 9), {}, set())


def test_absence_and_bank_holiday_block_a_day() -> None:
    """Leave and bank holidays take a working day away; the day after leave is worked again."""
    o = _officer()
    ab = absences_by_officer(
        [Absence(officer_id="TV1", start=date(2027, 1, 4), end=date(2027, 1, 5))]
    )
    assert not officer_works(o, date(2027, 1, 5), ab, set())
    assert officer_works(o, date(2027, 1, 6), ab, set())
    assert not officer_works(o, date(2027, 1, 6), {}, {date(2027, 1, 6)})


def test_zero_visit_cap_means_no_visit_day() -> None:
    """max_visits_per_day = 0 means the officer makes no visits."""
    assert not officer_works(_officer(max_visits_per_day=0), date(2027, 1, 4), {}, set())


def test_month_bounds_and_days() -> None:
    """Month bounds cover leap Februaries and year ends; days() is inclusive."""
    assert month_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert len(days(*month_bounds("2027-01"))) == 31
    assert next_month_start(date(2026, 12, 15)) == date(2027, 1, 1)
