"""Working calendar: bank holidays in England and Wales and each officer's visit days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays

from rso_scheduler.models import Absence

# Dates outside these years are typos (e.g. 9999-12-31 as "no end", 0001-01-01 as "unknown");
# refusing them at the door keeps date arithmetic (due +/- windows, trends) from overflowing.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
DATE_RANGE_TEXT = "between 1900-01-01 and 2199-12-31"


def in_supported_range(day: date) -> bool:
    """Whether `day` is a date the tool plans and reports with (1900 to 2199)."""
    return EARLIEST_DATE <= day <= LATEST_DATE


@lru_cache(maxsize=64)
def _bank_holidays_for_year(year: int) -> dict[date, str]:
    # England and Wales share one list; the `holidays` package calls it GB subdivision ENG.
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year))


def bank_holidays(start: date, end: date) -> dict[date, str]:
    """Bank holidays in England and Wales between two dates (inclusive), with their names."""
    out: dict[date, str] = {}
    for year in range(start.year, end.year + 1):
        for d, name in _bank_holidays_for_year(year).items():
            if start <= d <= end:
                out[d] = name
    return out


def days(start: date, end: date) -> list[date]:
    """Every date from start to end inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def absences_by_officer(absences: Iterable[Absence]) -> dict[str, list[Absence]]:
    out: dict[str, list[Absence]] = defaultdict(list)
    for a in absences:
        out[a.officer_id].append(a)
    return dict(out)


def is_absent(officer_id: str, day: date, by_officer: dict[str, list[Absence]]) -> Absence | None:
    for a in by_officer.get(officer_id, ()):
        if a.start <= day <= a.end:
            return a
    return None


def month_bounds(month: str) -> tuple[date, date]:
    """'2027-01' -> (2027-01-01, 2027-01-31). Raises ValueError on a bad month."""
    y, m = month.split("-")
    start = date(int(y), int(m), 1)
    if not in_supported_range(start):
        raise ValueError(f"{month} is outside the supported years")
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def next_month_start(today: date) -> date:
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)
