"""The duty calendar: who is on duty on a day, and an officer's shift and break that day.

One home for "is this officer working today" (the rule is `rules.officer_on_duty`) and for the
minutes a shift gives. Every planner, the demand count, `rso validate` and the scenarios ask a
`DutyCalendar` instead of rebuilding the absences, bank holidays and working days themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import cached_property

from rso_scheduler.calendar import absences_by_officer, bank_holidays, days
from rso_scheduler.models import Absence, Officer
from rso_scheduler.rules import officer_on_duty


def officer_works(
    officer: Officer,
    day: date,
    by_officer: dict[str, list[Absence]],
    holidays_off: dict[date, str] | set[date] | frozenset[date],
) -> bool:
    """True if the officer is available for visits on `day` (the rule: `rules.officer_on_duty`)."""
    return officer_on_duty(officer, day, by_officer, holidays_off) is None


def shift_minutes(officer: Officer) -> int:
    """Minutes of the officer's shift (the length of tour the break follows)."""
    return officer.shift_end_min - officer.shift_start_min


class DutyCalendar:
    """Officers, absences and bank holidays of a period: who is on duty on each day.

    `work_bank_holidays` keeps bank holidays as working days (the `--work-bank-holidays` flag).
    """

    def __init__(
        self,
        officers: Sequence[Officer],
        absences: Iterable[Absence],
        start: date,
        end: date,
        work_bank_holidays: bool = False,
    ):
        self.officers = sorted(officers, key=lambda o: o.officer_id)
        self.start, self.end = start, end
        self.absences = absences_by_officer(absences)
        self.holidays_off: dict[date, str] = {} if work_bank_holidays else bank_holidays(start, end)
        self._on: dict[date, list[Officer]] = {}

    @cached_property
    def days(self) -> list[date]:
        return days(self.start, self.end)

    def why_off(self, officer: Officer, day: date) -> str | None:
        """Why the officer makes no visits on `day` (None: on duty)."""
        return officer_on_duty(officer, day, self.absences, self.holidays_off)

    def works(self, officer: Officer, day: date) -> bool:
        """Whether the officer is on duty on `day`."""
        return self.why_off(officer, day) is None

    def on_duty(self, day: date) -> list[Officer]:
        """The officers on duty on `day`, by officer_id."""
        got = self._on.get(day)
        if got is None:
            got = self._on[day] = [o for o in self.officers if self.works(o, day)]
        return got

    @cached_property
    def duty_days(self) -> frozenset[date]:
        """Days of the period on which at least one officer is on duty."""
        return frozenset(d for d in self.days if self.on_duty(d))

    def officer_days(self, officer: Officer) -> list[date]:
        """The days of the period the officer is on duty."""
        return [d for d in self.days if self.works(officer, d)]

    def shift_hours(self) -> float:
        """Shift hours on duty over the period, summed over officers."""
        return sum(shift_minutes(o) for d in self.days for o in self.on_duty(d)) / 60
