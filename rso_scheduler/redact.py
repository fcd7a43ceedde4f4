"""The one masking function: how any text that came from a file may appear in a message.

Every value, header name, id or key read from a user's file passes through `shown` before it is
printed, written to a message or to JSON. It quotes the text when that is safe and describes it
instead when it could disclose a location or a whole row:

- a number with two or more decimals (`51.45`, `-0.97`, `51.4550`): it may be a coordinate;
- degrees, minutes and seconds (`51°45′07″N`, `51 45 07 N`, `51d45m07s`);
- commas, quote marks or line breaks: usually a row run together with its neighbours;
- control characters (NUL, escape sequences): they could rewrite the terminal;
- a UK postcode (location data): only its outward code is shown (`a postcode in RG1`);
- anything longer than `MAX_SHOWN` characters.

`may_be_coordinate` is the same test on its own, for the ingest rule that identifiers never
look like coordinates (so ids can be printed and drawn freely downstream).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

MAX_SHOWN = 40

# No digit before: `2026.11` inside a date is not one, `20.11.2026` (day-first) is masked.
_DECIMAL = re.compile(r"(?<!\d)[+-]?\d{1,3}[.,]\d{2,}")
_DMS_MARK = re.compile(r"\d\s*[°º˚]|[′″]|\d\s*(?:''|\")")
_DMS_WORDS = re.compile(
    r"(?<!\d)\d{1,3}\s*[d:\s]\s*\d{1,2}\s*[m:'’\s]\s*\d{1,2}(?:[.,]\d+)?\s*[s\"”]?\s*[NSEWnsew]\b"
)


# A whole postcode anywhere in the text, any case, with or without its space.
_POSTCODE_IN = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)\s*([0-9][A-Za-z]{2})(?![A-Za-z0-9])"
)


def outward_code(text: str) -> str:
    """The outward code of the (first) postcode in `text` (`rg1 1aa` -> `RG1`), or `?`."""
    m = _POSTCODE_IN.search(text)
    return m.group(1).upper() if m else "?"


def has_postcode(text: str) -> bool:
    """True if `text` holds a whole UK postcode."""
    return bool(_POSTCODE_IN.search(text))


def may_be_coordinate(text: str) -> bool:
    """True if `text` holds something that could be a latitude or longitude in any usual form."""
    return bool(_DECIMAL.search(text) or _DMS_MARK.search(text) or _DMS_WORDS.search(text))


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text)


def shown(value: str, limit: int = MAX_SHOWN) -> str:
    """`value` quoted for a message, or a description of it when it may leak a location or row."""
    if may_be_coordinate(value):
        return "a number with 2 or more decimals or degrees (not shown: it may be a coordinate)"
    if has_postcode(value):
        return f"a postcode in {outward_code(value)} (not shown whole: it is location data)"
    if any(c in value for c in ',"\n\r'):
        return "a value holding commas, quotes or line breaks (not shown: a stray quote mark?)"
    if _has_control(value):
        return "a value holding control characters (not shown)"
    if len(value) > limit:
        return f"a value of {len(value)} characters (too long to show)"
    return f"'{value}'"


def shown_all(values: Iterable[str], limit: int = MAX_SHOWN) -> str:
    """Several values for one message, each through `shown`, comma-separated."""
    return ", ".join(shown(v, limit) for v in values)


MAX_SHOWN_SETTING = 200  # a TOML setting (a tile URL) is one value, not a row: show more of it


def shown_found(found: object) -> str:
    """A value parsed from TOML (text, number, table) for a message, through `shown` when needed."""
    if isinstance(found, str):
        return shown(found, MAX_SHOWN_SETTING)
    if isinstance(found, dict):
        return "a table"
    if isinstance(found, list | tuple):
        return "a list"
    text = repr(found)
    return shown(text) if may_be_coordinate(text) or len(text) > MAX_SHOWN_SETTING else text
