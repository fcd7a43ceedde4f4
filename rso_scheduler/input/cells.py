"""Cell converters: one stripped, non-blank cell (text) -> a value, or `BadCell` saying why.

Shared by every reader (CSV and workbook cells arrive here as text) and by the readers of the
tool's own CSV outputs, so that their messages read the same everywhere. Messages say what was
found and what was expected, never a coordinate and never a whole postcode.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from rso_scheduler.calendar import DATE_RANGE_TEXT, in_supported_range
from rso_scheduler.limits import MAX_ID_CHARS, MAX_TEXT_CHARS
from rso_scheduler.models import Outcome, RiskLevel, Status, VisitKind
from rso_scheduler.policy import MAX_DAYS
from rso_scheduler.redact import may_be_coordinate, outward_code, shown


class BadCell(ValueError):
    """A cell value that breaks the contract; the message says what was found and expected."""


# --------------------------------------------------------------------------------------------
# Cell converters: str (already stripped, non-blank) -> value, or raise BadCell

_DAY_FIRST = re.compile(r"^\d{1,2}[/.\-]\d{1,2}[/.\-](\d{2}|\d{4})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE_HINT = "expected YYYY-MM-DD, e.g. 2026-12-31"
_DAY_FIRST_HINT = (
    "write dates as YYYY-MM-DD, e.g. 2026-12-31; "
    "day-first dates are not accepted because 03/04 is ambiguous"
)


def to_date(s: str) -> date:
    """A `YYYY-MM-DD` date; anything else (notably day-first dates) is refused, never guessed."""
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and s.isascii():
        try:
            day = date.fromisoformat(s)
        except ValueError:
            raise BadCell(f"{shown(s)} is not a real date; {_DATE_HINT}") from None
        if not in_supported_range(day):
            raise BadCell(f"{shown(s)} is not a plausible date; expected one {DATE_RANGE_TEXT}")
        return day
    if _DAY_FIRST.match(s):
        raise BadCell(f"{shown(s)} is not accepted: {_DAY_FIRST_HINT}")
    if len(s) > 10 and s[10] in " T" and s[:10].count("-") == 2:
        # Spreadsheets often export date cells as date-times (2026-11-01 00:00:00).
        raise BadCell(
            f"{shown(s)} is not a date but a date and time; expected just YYYY-MM-DD "
            "(format the column as a date before exporting)"
        )
    raise BadCell(f"{shown(s)} is not a date; {_DATE_HINT}")


def _to_time(s: str, allow_24: bool) -> int:
    m = _TIME.match(s)
    if m:
        h, mi = int(m.group(1)), int(m.group(2))
        if h == 24 and mi == 0:
            if allow_24:
                return 24 * 60
            raise BadCell(
                f"{shown(s)} is allowed only as an end time; expected HH:MM from 00:00 to 23:59"
            )
        if h < 24 and mi < 60:
            return h * 60 + mi
    expected = "00:00 to 24:00" if allow_24 else "00:00 to 23:59"
    raise BadCell(f"{shown(s)} is not a time; expected HH:MM (24 h) from {expected}, e.g. 17:30")


def to_start_time(s: str) -> int:
    """`HH:MM` (24 h) as minutes after midnight; 24:00 is refused (it is not a start)."""
    return _to_time(s, allow_24=False)


def to_end_time(s: str) -> int:
    """`HH:MM` (24 h) as minutes after midnight; 24:00 (end of the day) is allowed."""
    return _to_time(s, allow_24=True)


_BOOLS = {
    "true": True,
    "yes": True,
    "y": True,
    "1": True,
    "false": False,
    "no": False,
    "n": False,
    "0": False,
}


def to_bool(s: str) -> bool:
    """true/false/yes/no/1/0/y/n, case-insensitive."""
    v = _BOOLS.get(s.lower())
    if v is None:
        raise BadCell(
            f"{shown(s)} is not a yes/no value; expected one of true, false, yes, no, 1, 0, y, n"
        )
    return v


_RISK_ALIASES = {
    "very_high": RiskLevel.very_high,
    "vh": RiskLevel.very_high,
    "high": RiskLevel.high,
    "h": RiskLevel.high,
    "medium": RiskLevel.medium,
    "m": RiskLevel.medium,
    "low": RiskLevel.low,
    "l": RiskLevel.low,
}


def to_risk(s: str) -> RiskLevel:
    """A risk level or one of its aliases (`very high`, `very-high`, `VH`, `H`, `M`, `L`)."""
    key = " ".join(s.lower().split()).replace(" ", "_").replace("-", "_")
    v = _RISK_ALIASES.get(key)
    if v is None:
        raise BadCell(f"{shown(s)} is not one of very_high, high, medium, low")
    return v


def _enum_converter(enum: type[Any], aliases: dict[str, str] | None = None) -> Callable[[str], Any]:
    table = {m.value: m for m in enum}
    for alias, value in (aliases or {}).items():
        table[alias] = enum(value)
    expected = ", ".join(m.value for m in enum)

    def convert(s: str) -> Any:
        key = " ".join(s.lower().split())
        v = table.get(key)
        if v is None:
            raise BadCell(f"{shown(s)} is not one of {expected}")
        return v

    return convert


to_status = _enum_converter(Status)
to_outcome = _enum_converter(Outcome, {"no access": "no_access", "no-access": "no_access"})
to_kind = _enum_converter(VisitKind)

_DAY_NAMES = {
    "mon": 0,
    "monday": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "wed": 2,
    "wednesday": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "fri": 4,
    "friday": 4,
    "sat": 5,
    "saturday": 5,
    "sun": 6,
    "sunday": 6,
}


def to_list(s: str) -> tuple[str, ...]:
    """`a;b; c;` -> ('a', 'b', 'c'): split on `;`, trim, drop empties, keep order and case."""
    if ";" not in s:
        return (s,)  # cells arrive stripped and non-blank
    return tuple(filter(None, [p.strip() for p in s.split(";")]))


def to_skills(s: str) -> frozenset[str]:
    """A `;` list of skills; lower-cased so that `Polish` and `polish` match; each bounded."""
    return frozenset(_check_id(p, "skills").lower() for p in to_list(s))


def to_weekdays(s: str) -> frozenset[int]:
    """`Mon;Tue;Thu` (or full names, any case) -> weekday numbers, 0 = Monday."""
    out = set()
    for part in to_list(s):
        d = _DAY_NAMES.get(part.lower())
        if d is None:
            raise BadCell(f"{shown(part)} is not a day of the week; expected days like Mon;Tue;Thu")
        out.add(d)
    if not out:
        raise BadCell(f"{shown(s)} lists no days; expected days like Mon;Tue;Thu")
    return frozenset(out)


def _to_int(s: str) -> int:
    t = s[1:] if s[:1] in "+-" else s
    if not (t.isascii() and t.isdigit()):
        raise BadCell(f"{shown(s)} is not a whole number")
    return int(s)


def to_positive_int(s: str) -> int:
    """A whole number of 1 or more."""
    try:
        v = _to_int(s)
    except BadCell:
        raise BadCell(
            f"{shown(s)} is not a whole number; expected a whole number of 1 or more"
        ) from None
    if v <= 0:
        raise BadCell(f"{shown(s)} is not positive; expected a whole number of 1 or more")
    return v


def to_interval_days(s: str) -> int:
    """A per-person visit interval: 1 to MAX_DAYS (ten years) days."""
    v = to_positive_int(s)
    if v > MAX_DAYS:
        raise BadCell(f"{shown(s)} days is too long; expected at most {MAX_DAYS} (ten years)")
    return v


def to_visit_minutes(s: str) -> int:
    """A visit length: a whole number of minutes from 1 to 1440 (a day)."""
    v = to_positive_int(s)
    if v > 24 * 60:
        raise BadCell(f"{shown(s)} is more than a day; expected minutes from 1 to 1440")
    return v


def to_non_negative_int(s: str) -> int:
    """A whole number of 0 or more."""
    try:
        v = _to_int(s)
    except BadCell:
        raise BadCell(
            f"{shown(s)} is not a whole number; expected a whole number of 0 or more"
        ) from None
    if v < 0:
        raise BadCell(f"{shown(s)} is negative; expected a whole number of 0 or more")
    return v


def _coordinate(limit: float) -> Callable[[str], float]:
    # Never echo the value: a coordinate in a log is a disclosed home address.
    def convert(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise BadCell("is not a number; expected decimal degrees (WGS84)") from None
        if not math.isfinite(v):
            raise BadCell("is not a number; expected decimal degrees (WGS84)")
        if not -limit <= v <= limit:
            lo, hi = int(-limit), int(limit)
            raise BadCell(f"is outside {lo} to {hi}; expected decimal degrees (WGS84)")
        return v

    return convert


to_lat = _coordinate(90.0)
to_lon = _coordinate(180.0)
COORDINATE_COLUMNS = frozenset({"lat", "lon", "base_lat", "base_lon"})


def to_free_text(s: str) -> str:
    """Free text (a name, a reason) of at most MAX_TEXT_CHARS characters."""
    if len(s) > MAX_TEXT_CHARS:
        raise BadCell(f"is {len(s)} characters long; expected at most {MAX_TEXT_CHARS}")
    return s


@functools.lru_cache(maxsize=1 << 16)
def _looks_like_coordinate(s: str) -> bool:
    # Cached: the same ids recur on every line of the visit log (a national one has 300,000).
    return may_be_coordinate(s)


def _check_id(s: str, what: str = "identifiers") -> str:
    if len(s) > MAX_ID_CHARS:
        raise BadCell(f"is {len(s)} characters long; {what} may have at most {MAX_ID_CHARS}")
    if _looks_like_coordinate(s):
        raise BadCell(
            f"{shown(s)}; {what} must not hold numbers with 2 or more decimals or degrees, "
            "which may be coordinates"
        )
    return s


def to_id(s: str) -> str:
    """An identifier: at most MAX_ID_CHARS characters, no `;` (lists use it), nothing like a coordinate."""
    _check_id(s)
    if ";" in s:
        raise BadCell(f"{shown(s)} holds ';', which separates lists; expected one identifier")
    return s


def to_name(s: str) -> str:
    """An area or similar label: bounded like an identifier, `;` allowed."""
    return _check_id(s, "names")


def to_id_list(s: str) -> tuple[str, ...]:
    """A `;` list of identifiers, each bounded as `to_id`."""
    return tuple(_check_id(p) for p in to_list(s))


MAX_ADDRESS_CHARS = 300  # a postal address on one line, with room to spare
MAX_REFRESHMENT_MIN = 180


def to_address(s: str) -> str:
    """A postal address (free text for the officers' papers); never echoed in a message."""
    if len(s) > MAX_ADDRESS_CHARS:
        raise BadCell(
            f"is {len(s)} characters long; expected an address of at most {MAX_ADDRESS_CHARS}"
        )
    if _CONTROL_CHAR.search(s):
        raise BadCell("holds a control character; expected a one-line postal address")
    return s


_CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A UK postcode without its space: outward code (area, district), then inward code.
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
_UPRN = re.compile(r"^[0-9]{1,12}$")


def postcode_key(s: str) -> str:
    """A postcode as the gazetteer indexes it: upper case, no spaces (`rg1 1aa` -> `RG11AA`)."""
    return "".join(s.split()).upper()


def to_postcode(s: str) -> str:
    """A UK postcode, any case and spacing, as its key (`RG11AA`); the value is never echoed."""
    key = postcode_key(s)
    if POSTCODE.match(key):
        return key
    if _UPRN.match(key):
        raise BadCell(
            "holds digits only, like a UPRN, not a postcode; is it in the wrong column? "
            "(expected a postcode such as AB1 2CD, or put UPRNs in a uprn column)"
        )
    raise BadCell("is not a UK postcode (not shown); expected a postcode such as AB1 2CD")


def to_uprn(s: str) -> str:
    """A Unique Property Reference Number: 1 to 12 digits (kept as text, leading zeros dropped)."""
    key = "".join(s.split())
    if key.endswith(".0") and key[:-2].isdigit():
        key = key[:-2]  # a workbook number cell read as 12345.0
    if key.isascii() and key.isdigit() and _UPRN.match(key.lstrip("0") or "0"):
        return key.lstrip("0") or "0"
    if POSTCODE.match(postcode_key(s)):
        raise BadCell(
            f"holds a postcode (in {outward_code(s)}), not a UPRN; is it in the wrong column? "
            "(expected up to 12 digits, or put postcodes in a postcode column)"
        )
    raise BadCell("is not a UPRN (not shown); expected a number of up to 12 digits")


def to_refreshment_minutes(s: str) -> int:
    """An officer's own refreshment break: whole minutes from 0 to 180."""
    try:
        v = _to_int(s)
    except BadCell:
        raise BadCell(
            f"{shown(s)} is not a whole number; expected minutes from 0 to {MAX_REFRESHMENT_MIN}"
        ) from None
    if not 0 <= v <= MAX_REFRESHMENT_MIN:
        raise BadCell(
            f"{shown(s)} is out of range; expected minutes from 0 to {MAX_REFRESHMENT_MIN}"
        )
    return v
