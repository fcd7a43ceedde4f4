"""Parsing and validating the data contract: parsers on inline text, load_dataset on folders."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rso_scheduler import ingest
from rso_scheduler.errors import InputError, Problem, RsoError
from rso_scheduler.ingest import (
    cross_check,
    decode_text,
    far_from_bases,
    load_dataset,
    parse_absences,
    parse_offenders,
    parse_officers,
    parse_visits,
    read_text,
)
from rso_scheduler.models import Outcome, RiskLevel, Status, VisitKind
from tests.conftest import TINY_OFFENDERS, TINY_OFFICERS, write_data_dir

OFF_HEAD = "offender_id,risk_level,lat,lon"
OFFICERS = "officer_id,base_lat,base_lon\nTV001,51.4560,-0.9710\n"
TODAY = date(2026, 11, 20)


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def one_problem(text: str, parser=parse_offenders) -> Problem:
    result = parser(text)
    assert len(result.problems) == 1, messages(result.problems)
    return result.problems[0]


# --- offenders.csv -----------------------------------------------------------------------


def test_offenders_good_rows_all_fields() -> None:
    """A row using every column parses into the model with converted values."""
    text = (
        "offender_id,risk_level,lat,lon,offender_manager_id,area,status,last_visit_date,"
        "registered_on,released_on,address_changed_on,visit_interval_days,two_officers,"
        "window_start,window_end,unavailable_from,unavailable_to,visit_minutes,required_skills\n"
        "P1,high,51.5,-1.0,TV001,Reading,reactive,2026-01-02,2015-03-04,2025-05-06,2025-07-08,"
        "60,no,17:30,24:00,2027-01-01,2027-01-10,45,Female; polish;\n"
    )
    result = parse_offenders(text)
    assert result.problems == []
    (o,) = result.rows
    assert o.offender_id == "P1" and o.risk_level is RiskLevel.high and o.status is Status.reactive
    assert (o.lat, o.lon) == (51.5, -1.0)
    assert o.last_visit_date == date(2026, 1, 2) and o.registered_on == date(2015, 3, 4)
    assert o.released_on == date(2025, 5, 6) and o.address_changed_on == date(2025, 7, 8)
    assert o.visit_interval_days == 60 and o.two_officers is False and o.visit_minutes == 45
    assert (o.window_start_min, o.window_end_min) == (17 * 60 + 30, 24 * 60)
    assert (o.unavailable_from, o.unavailable_to) == (date(2027, 1, 1), date(2027, 1, 10))
    assert o.required_skills == frozenset({"female", "polish"})
    assert o.line == 2


@pytest.mark.parametrize(
    ("alias", "level"),
    [
        ("very_high", RiskLevel.very_high),
        ("very high", RiskLevel.very_high),
        ("Very High", RiskLevel.very_high),
        ("very-high", RiskLevel.very_high),
        ("VH", RiskLevel.very_high),
        ("vh", RiskLevel.very_high),
        ("HIGH", RiskLevel.high),
        ("H", RiskLevel.high),
        ("medium", RiskLevel.medium),
        ("m", RiskLevel.medium),
        ("Low", RiskLevel.low),
        ("L", RiskLevel.low),
    ],
)
def test_risk_level_aliases(alias: str, level: RiskLevel) -> None:
    """Every documented risk-level alias is accepted, in any case."""
    result = parse_offenders(f"{OFF_HEAD}\nP1,{alias},51.5,-1.0\n")
    assert result.problems == []
    assert result.rows[0].risk_level is level


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("YES", True),
        ("y", True),
        ("1", True),
        ("False", False),
        ("no", False),
        ("N", False),
        ("0", False),
    ],
)
def test_boolean_spellings(text: str, value: bool) -> None:
    """Booleans accept true/false/yes/no/1/0/y/n in any case."""
    result = parse_offenders(f"{OFF_HEAD},two_officers\nP1,low,51.5,-1.0,{text}\n")
    assert result.problems == []
    assert result.rows[0].two_officers is value


def test_blank_optional_cells_take_defaults() -> None:
    """Blank optional cells mean the default (active, no override)."""
    result = parse_offenders(f"{OFF_HEAD},status,two_officers,visit_minutes\nP1,low,51.5,-1.0,,,\n")
    assert result.problems == []
    o = result.rows[0]
    assert o.status is Status.active and o.two_officers is None and o.visit_minutes is None


def test_bom_crlf_stray_spaces_header_case_and_column_order() -> None:
    """A BOM, CRLF line ends, spaces around cells and an upper-case, reordered header all parse."""
    text = "\ufeff LON , Risk_Level ,Offender_ID,LAT\r\n -1.0 ,  High , P1 , 51.5 \r\n"
    result = parse_offenders(text)
    assert result.problems == []
    o = result.rows[0]
    assert (o.offender_id, o.risk_level, o.lat, o.lon) == ("P1", RiskLevel.high, 51.5, -1.0)


def test_header_spaces_and_hyphens_read_as_underscores() -> None:
    """`Offender ID` and `risk-level` headers are read as offender_id and risk_level."""
    result = parse_offenders("Offender ID,risk-level, LAT ,lon\nP1,low,51.5,-1.0\n")
    assert result.problems == [] and result.warnings == []
    assert result.rows[0].offender_id == "P1"


def test_leading_zeros_in_identifiers_are_kept() -> None:
    """Identifiers are opaque strings: 00123 stays 00123."""
    result = parse_offenders(f"{OFF_HEAD},offender_manager_id\n00123,low,51.5,-1.0,0007\n")
    assert result.rows[0].offender_id == "00123"
    assert result.rows[0].offender_manager_id == "0007"


def test_unknown_columns_give_one_warning_per_file() -> None:
    """Unknown columns are ignored with a single warning that names them all."""
    result = parse_offenders(
        f"{OFF_HEAD},notes,colour\nP1,low,51.5,-1.0,x,y\nP2,low,51.5,-1.0,x,y\n"
    )
    assert result.problems == []
    assert result.warnings == ["offenders.csv: unknown column(s) ignored: 'notes', 'colour'"]
    assert len(result.rows) == 2


def test_missing_required_column_is_reported_at_line_1() -> None:
    """A required column absent from the header is a problem at line 1 naming the column."""
    p = one_problem("offender_id,lat,lon\nP1,51.5,-1.0\n")
    assert str(p) == "offenders.csv:1 risk_level: required column is missing from the header"


def test_semicolon_separated_file_is_one_problem() -> None:
    """A semicolon-separated export gives one problem saying it must be comma-separated."""
    p = one_problem("offender_id;risk_level;lat;lon\nP1;low;51,5;-1,0\nP2;low;51,5;-1,0\n")
    assert p.line == 1
    assert "separated by semicolons" in p.message and "comma-separated" in p.message


def test_empty_file_is_a_problem() -> None:
    """An empty file says a header row was expected."""
    assert one_problem("").message == "is empty; expected a header row"


def test_blank_lines_and_empty_rows_are_skipped_but_counted_in_line_numbers() -> None:
    """Blank lines and rows of empty cells are skipped; line numbers stay physical."""
    text = f"{OFF_HEAD}\n\nP1,low,51.5,-1.0\n,,,\nP2,bad,51.5,-1.0\n"
    result = parse_offenders(text)
    assert [o.line for o in result.rows] == [3]
    assert messages(result.problems) == [
        "offenders.csv:5 risk_level: 'bad' is not one of very_high, high, medium, low"
    ]


def test_quoted_multiline_cell_keeps_physical_line_numbers() -> None:
    """A quoted cell spanning lines does not shift the line numbers of later rows."""
    text = f'{OFF_HEAD},area\nP1,low,51.5,-1.0,"North\nWest"\nP2,nope,51.5,-1.0,x\n'
    result = parse_offenders(text)
    assert result.rows[0].area == "North\nWest"
    assert [p.line for p in result.problems] == [4]


def test_too_many_cells_is_a_problem() -> None:
    """A row with more cells than the header (an unquoted comma) is reported, without its values."""
    p = one_problem(f"{OFF_HEAD}\nP1,low,51.5,-1.0,extra\n")
    assert p.line == 2 and "has 5 cells but the header has 4 columns" in p.message


def test_duplicate_header_column_is_a_problem() -> None:
    """The same column twice in the header is a problem at line 1."""
    p = one_problem("offender_id,risk_level,lat,lon,LAT\nP1,low,51.5,-1.0,51.6\n")
    assert (p.line, p.column) == (1, "lat") and "appears twice" in p.message


@pytest.mark.parametrize("value", ["31/12/2026", "1/2/26", "31.12.2026", "31-12-2026"])
def test_day_first_date_refused_with_hint(value: str) -> None:
    """A day-first date is refused, never guessed, with a hint to write YYYY-MM-DD."""
    p = one_problem(f"{OFF_HEAD},registered_on\nP1,low,51.5,-1.0,{value}\n")
    assert p.column == "registered_on"
    assert p.message == (
        f"{ingest.shown(value)} is not accepted: write dates as YYYY-MM-DD, e.g. 2026-12-31; "
        "day-first dates are not accepted because 03/04 is ambiguous"
    )


@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026/12/31", "20261231", "2026-12-31T00:00", "yesterday"]
)
def test_other_bad_dates_say_what_is_expected(value: str) -> None:
    """Impossible and non-ISO dates name the value and the expected format."""
    p = one_problem(f"{OFF_HEAD},last_visit_date\nP1,low,51.5,-1.0,{value}\n")
    assert p.message.startswith(f"'{value}' is not")
    assert "YYYY-MM-DD" in p.message


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("window_start", "25:00"),
        ("window_start", "9.30"),
        ("window_start", "24:00"),
        ("window_end", "12:60"),
    ],
)
def test_bad_times(column: str, value: str) -> None:
    """Times must be HH:MM 24 h; 24:00 only as an end."""
    other = "window_end" if column == "window_start" else "window_start"
    other_value = "23:00" if other == "window_end" else "08:00"
    p = one_problem(f"{OFF_HEAD},{column},{other}\nP1,low,51.5,-1.0,{value},{other_value}\n")
    assert p.column == column and p.message.startswith(ingest.shown(value)) and "HH:MM" in p.message


@pytest.mark.parametrize(
    ("cells", "column", "needle"),
    [
        (
            "x,51.5,-1.0,status,maybe",
            "status",
            "'maybe' is not one of active, reactive, custody, hospital, abroad",
        ),
        ("x,51.5,-1.0,two_officers,perhaps", "two_officers", "'perhaps' is not a yes/no value"),
        ("x,51.5,-1.0,visit_interval_days,0", "visit_interval_days", "'0' is not positive"),
        (
            "x,51.5,-1.0,visit_interval_days,4.5",
            "visit_interval_days",
            "'4.5' is not a whole number",
        ),
        ("x,51.5,-1.0,visit_minutes,-10", "visit_minutes", "'-10' is not positive"),
        (
            "x,51.5,-1.0,visit_minutes,1500",
            "visit_minutes",
            "'1500' is more than a day; expected minutes from 1 to 1440",
        ),
    ],
)
def test_bad_optional_cells(cells: str, column: str, needle: str) -> None:
    """Bad enum, boolean and integer cells name the value and what is expected."""
    ident, lat, lon, col, value = cells.split(",")
    p = one_problem(f"{OFF_HEAD},{col}\n{ident},low,{lat},{lon},{value}\n")
    assert p.column == column and needle in p.message


def test_required_blank_cell() -> None:
    """A blank required cell says it is required."""
    assert (
        str(one_problem(f"{OFF_HEAD}\nP1,,51.5,-1.0\n"))
        == "offenders.csv:2 risk_level: is blank; risk_level is required"
    )


def test_window_rules() -> None:
    """Window ends come as a pair and the end is after the start."""
    result = parse_offenders(
        f"{OFF_HEAD},window_start,window_end\nP1,low,51.5,-1.0,17:00,\nP2,low,51.5,-1.0,,17:00\nP3,low,51.5,-1.0,18:00,17:00\n"
    )
    assert messages(result.problems) == [
        "offenders.csv:2 window_end: is blank but window_start is given; give both or neither",
        "offenders.csv:3 window_start: is blank but window_end is given; give both or neither",
        "offenders.csv:4 window_end: '17:00' is not after window_start '18:00'",
    ]


def test_unavailable_range_order() -> None:
    """unavailable_to before unavailable_from is a problem; equal dates are fine."""
    result = parse_offenders(
        f"{OFF_HEAD},unavailable_from,unavailable_to\nP1,low,51.5,-1.0,2027-01-05,2027-01-04\nP2,low,51.5,-1.0,2027-01-05,2027-01-05\n"
    )
    assert messages(result.problems) == [
        "offenders.csv:2 unavailable_to: '2027-01-04' is before unavailable_from '2027-01-05'"
    ]
    assert [o.offender_id for o in result.rows] == ["P2"]


def test_coordinates_are_never_echoed() -> None:
    """Messages about lat/lon (and base_lat/base_lon) never contain the value."""
    result = parse_offenders(
        f"{OFF_HEAD}\nP1,low,91.123456,-1.0\nP2,low,51.5,-181.654321\nP3,low,5x1.777777,-1.0\nP4,low,0,0\nP5,low,nan,inf\n"
    )
    text = "\n".join(messages(result.problems))
    assert len(result.problems) == 6
    for secret in ("91.123456", "181.654321", "5x1.777777", "nan", "inf"):
        assert secret not in text
    assert "offenders.csv:2 lat: is outside -90 to 90" in text
    assert "offenders.csv:3 lon: is outside -180 to 180" in text
    assert "offenders.csv:4 lat: is not a number" in text
    assert "offenders.csv:5 lat: lat and lon are both 0, which is a missing geocode" in text
    officers = parse_officers("officer_id,base_lat,base_lon\nTV1,95.4321,-1\nTV2,0,0\n")
    text = "\n".join(messages(officers.problems))
    assert (
        "95.4321" not in text
        and "base_lat: is outside -90 to 90" in text
        and "missing geocode" in text
    )


def test_all_problems_reported_at_once() -> None:
    """Every bad cell of every row is reported in one pass, not just the first."""
    text = f"{OFF_HEAD},registered_on,window_start\nP1,zz,99,-1.0,01/02/2026,17:00\nP2,low,51.5,-1.0,,\nP3,vh,51.5,999,,25:00\n"
    result = parse_offenders(text)
    assert [(p.line, p.column) for p in result.problems] == [
        (2, "risk_level"),
        (2, "lat"),
        (2, "registered_on"),
        (2, "window_end"),
        (4, "lon"),
        (4, "window_start"),
        (4, "window_end"),
    ]
    assert [o.offender_id for o in result.rows] == ["P2"]


def test_duplicate_offender_id_names_first_line() -> None:
    """A repeated offender_id is reported with the line of its first use."""
    p = one_problem(f"{OFF_HEAD}\nP1,low,51.5,-1.0\nP2,low,51.5,-1.0\nP1,low,51.5,-1.0\n")
    assert (
        str(p)
        == "offenders.csv:4 offender_id: 'P1' is a duplicate: the same offender_id is on line 2"
    )


def test_ids_include_rows_that_failed() -> None:
    """The ids of rows with bad cells are still known, so other files do not blame them."""
    result = parse_offenders(f"{OFF_HEAD}\nP1,zz,51.5,-1.0\nP2,low,51.5,-1.0\n")
    assert result.ids == {"P1", "P2"} and [o.offender_id for o in result.rows] == ["P2"]


def test_values_that_may_leak_are_described_not_echoed() -> None:
    """A coordinate in the wrong column, or a row run together by a quote, is never echoed."""
    text = f'{OFF_HEAD}\nP1,51.4550,low,-1.0\nP2,"low,51.4660,-0.9770",51.5,-1.0\nP3,{"x" * 60},51.5,-1.0\nP4,"lo,w",51.5,-1.0\n'
    result = parse_offenders(text)
    joined = "\n".join(messages(result.problems))
    assert "51.4550" not in joined and "51.4660" not in joined and "x" * 41 not in joined
    assert (
        "offenders.csv:2 risk_level: a number with 2 or more decimals or degrees (not shown: it may be a coordinate)"
        in joined
    )
    assert (
        "offenders.csv:3 risk_level: a number with 2 or more decimals or degrees (not shown"
        in joined
    )
    assert (
        "offenders.csv:5 risk_level: a value holding commas, quotes or line breaks (not shown"
        in joined
    )
    assert "offenders.csv:4 risk_level: a value of 60 characters (too long to show)" in joined


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("very hgih", "'very hgih'"),
        ("31.12.2026", None),  # two decimals: may be a coordinate
        ("-0.9700", None),
        ("a,b", None),
    ],
)
def test_shown(value: str, shown: str | None) -> None:
    """Ordinary values are quoted; coordinate-like and row-like values are described."""
    out = ingest.shown(value)
    if shown is None:
        assert value not in out and "not shown" in out
    else:
        assert out == shown


def test_unclosed_quote_is_one_problem() -> None:
    """A quote never closed swallows the rest of the file: one problem naming the lines, no values."""
    text = (
        f'{OFF_HEAD},area\nP1,low,51.5,-1.0,"Reading\nP2,low,51.4550,-1.0,x\nP3,low,51.5,-1.0,y\n'
    )
    result = parse_offenders(text)
    assert messages(result.problems) == [
        "offenders.csv:2: a quoted cell on this line is never closed, so lines 2 to 4 were read as one row; "
        "is a quote mark missing?"
    ]


def test_tab_separated_file_is_one_problem() -> None:
    """A tab-separated export gives one problem saying it must be comma-separated."""
    p = one_problem("offender_id\trisk_level\tlat\tlon\nP1\tlow\t51.5\t-1.0\n")
    assert p.line == 1 and "separated by tabs" in p.message


# --- officers.csv ------------------------------------------------------------------------


def test_officers_good_rows() -> None:
    """Officers parse with working days in any spelling, shifts, caps and skills."""
    text = (
        "officer_id,name,base_lat,base_lon,area,working_days,shift_start,shift_end,max_visits_per_day,skills\n"
        "007,A B,51.4,-0.9,Reading,mon;TUE; thursday,14:00,22:00,0,Polish;arms_trained\n"
        "TV2,,51.4,-0.9,,,,,,\n"
    )
    result = parse_officers(text)
    assert result.problems == []
    a, b = result.rows
    assert a.officer_id == "007" and a.working_days == frozenset({0, 1, 3})
    assert (a.shift_start_min, a.shift_end_min, a.max_visits_per_day) == (840, 1320, 0)
    assert a.skills == frozenset({"polish", "arms_trained"})
    assert b.working_days == frozenset({0, 1, 2, 3, 4}) and (
        b.shift_start_min,
        b.shift_end_min,
    ) == (480, 960)


def test_officer_checks() -> None:
    """Bad days, reversed shifts (including against the default), negative caps and duplicates."""
    text = (
        "officer_id,base_lat,base_lon,working_days,shift_start,shift_end,max_visits_per_day\n"
        "TV1,51.4,-0.9,Mon;Funday,,,\n"
        "TV2,51.4,-0.9,,16:00,08:00,\n"
        "TV3,51.4,-0.9,,17:00,,\n"
        "TV4,51.4,-0.9,,,,-1\n"
        "TV1,51.4,-0.9,,,,\n"
    )
    assert messages(parse_officers(text).problems) == [
        "officers.csv:2 working_days: 'Funday' is not a day of the week; expected days like Mon;Tue;Thu",
        "officers.csv:3 shift_end: '08:00' is not after shift_start '16:00'; shifts must end after they start",
        "officers.csv:4 shift_end: (default 16:00) is not after shift_start '17:00'; shifts must end after they start",
        "officers.csv:5 max_visits_per_day: '-1' is negative; expected a whole number of 0 or more",
        "officers.csv:6 officer_id: 'TV1' is a duplicate: the same officer_id is on line 2",
    ]


# --- absences.csv and visits.csv ----------------------------------------------------------


def test_absences_parse_and_check_order() -> None:
    """Absences parse inclusive ranges; an end before the start is a problem."""
    result = parse_absences(
        "officer_id,start,end,reason\nTV1,2027-01-04,2027-01-04,court\nTV1,2027-01-05,2027-01-01,\n"
    )
    assert [(a.start, a.end, a.reason) for a in result.rows] == [
        (date(2027, 1, 4), date(2027, 1, 4), "court")
    ]
    assert messages(result.problems) == [
        "absences.csv:3 end: '2027-01-01' is before start '2027-01-05'"
    ]


def test_visits_parse_outcomes_kinds_and_officer_lists() -> None:
    """Visits parse outcomes (including 'no access'), kinds and ;-separated officers."""
    text = (
        "offender_id,date,start,officer_ids,outcome,kind\n"
        "P1,2026-10-01,18:30,TV1; TV2,completed,Unannounced\n"
        "P1,2026-10-02,,TV1,No Access,\n"
        "P1,2026-10-03,,TV1,cancelled,announced\n"
    )
    result = parse_visits(text)
    assert result.problems == []
    a, b, c = result.rows
    assert (
        a.officer_ids == ("TV1", "TV2") and a.start_min == 1110 and a.kind is VisitKind.unannounced
    )
    assert b.outcome is Outcome.no_access and b.kind is None and b.start_min is None
    assert c.outcome is Outcome.cancelled


def test_visit_bad_outcome_and_kind() -> None:
    """Unknown outcomes and kinds are listed with the accepted values."""
    result = parse_visits(
        "offender_id,date,officer_ids,outcome,kind\nP1,2026-10-01,TV1,done,surprise\n"
    )
    assert messages(result.problems) == [
        "visits.csv:2 outcome: 'done' is not one of completed, no_access, cancelled",
        "visits.csv:2 kind: 'surprise' is not one of announced, unannounced",
    ]


# --- encodings ---------------------------------------------------------------------------


def test_non_utf8_file_names_likely_encoding(tmp_path: Path) -> None:
    """A Windows-1252 file is a problem naming the file, the likely encoding and the fix."""
    path = tmp_path / "offenders.csv"
    path.write_bytes(
        f"{OFF_HEAD},area\nP1,low,51.5,-1.0,ok\nP2,low,51.5,-1.0,Caf\xe9\n".encode("cp1252")
    )
    with pytest.raises(InputError) as info:
        read_text(path)
    (p,) = info.value.problems
    assert p.file == "offenders.csv" and p.line == 3
    assert "Windows-1252" in p.message and "save it as UTF-8 (CSV UTF-8 in Excel)" in p.message


def test_utf16_is_refused_and_utf8_bom_accepted() -> None:
    """UTF-16 (Excel 'Unicode text') is refused; UTF-8 with a BOM decodes without it."""
    with pytest.raises(InputError, match="problem"):
        decode_text("a,b\n".encode("utf-16"), "officers.csv")
    assert decode_text("\ufeffa,b\r\n".encode(), "x.csv") == "a,b\r\n"


# --- cross-file checks -------------------------------------------------------------------


def _people(text_rows: str) -> list:
    return parse_offenders(
        f"{OFF_HEAD},offender_manager_id,last_visit_date,registered_on\n{text_rows}"
    ).rows


def _officers() -> list:
    return parse_officers(OFFICERS).rows


def test_cross_manager_must_be_an_officer() -> None:
    """offender_manager_id must name an officer; a known one passes."""
    people = _people("P1,low,51.5,-1.0,TV001,,\nP2,low,51.5,-1.0,TV999,,\n")
    problems, _ = cross_check(people, _officers(), [], [], TODAY)
    assert messages(problems) == [
        "offenders.csv:3 offender_manager_id: 'TV999' is not an officer_id in officers.csv"
    ]


def test_cross_absence_and_visit_officers_and_people_must_exist() -> None:
    """Absences and visits must name known officers; visits must name known people."""
    people = _people("P1,low,51.5,-1.0,,,\n")
    absences = parse_absences(
        "officer_id,start,end\nTV001,2027-01-01,2027-01-02\nTVX,2027-01-01,2027-01-02\n"
    ).rows
    visits = parse_visits(
        "offender_id,date,officer_ids,outcome\nP1,2026-01-01,TV001,completed\nP9,2026-01-01,TV001;TVA;TVB,completed\n"
    ).rows
    problems, _ = cross_check(people, _officers(), absences, visits, TODAY)
    assert messages(problems) == [
        "absences.csv:3 officer_id: 'TVX' is not an officer_id in officers.csv",
        "visits.csv:3 offender_id: 'P9' is not an offender_id in offenders.csv; if the person"
        " has left the caseload, leave their visits out of the export",
        "visits.csv:3 officer_ids: 'TVA', 'TVB' are not officer_ids in officers.csv; if the"
        " officer has left the team, keep them in officers.csv with max_visits_per_day 0",
    ]


def test_cross_unknown_id_suggests_near_spelling() -> None:
    """An id that differs only in case or dropped leading zeros gets a 'did you mean' hint."""
    officers = parse_officers(
        "officer_id,base_lat,base_lon\n007,51.4560,-0.9710\nTV001,51.4560,-0.9710\n"
    ).rows
    people = _people("P1,low,51.5,-1.0,7,,\nP2,low,51.5,-1.0,tv001,,\nP3,low,51.5,-1.0,TV002,,\n")
    problems, _ = cross_check(people, officers, [], [], TODAY)
    assert messages(problems) == [
        "offenders.csv:2 offender_manager_id: '7' is not an officer_id in officers.csv; "
        "did you mean '007'? (leading zeros dropped by a spreadsheet?)",
        "offenders.csv:3 offender_manager_id: 'tv001' is not an officer_id in officers.csv; did you mean 'TV001'?",
        "offenders.csv:4 offender_manager_id: 'TV002' is not an officer_id in officers.csv",
    ]


def test_cross_unreadable_file_does_not_blame_every_row() -> None:
    """With officers.csv unreadable (ids None), rows are not blamed for unknown officers."""
    people = _people("P1,low,51.5,-1.0,TV999,,\n")
    problems, _ = cross_check(people, [], [], [], TODAY, officer_ids=None)
    assert problems == []


def test_cross_home_far_from_every_base() -> None:
    """A home over 150 km from every base (e.g. lat/lon swapped) is a problem without coordinates."""
    people = _people("P1,low,51.5,-1.0,,,\nP2,low,-1.0,51.5,,,\nP3,low,52.8,-1.0,,,\n")
    problems, _ = cross_check(people, _officers(), [], [], TODAY)
    assert messages(problems) == [
        "offenders.csv:3 lat: home is more than 150 km from every officer base; "
        "are lat and lon swapped, or the address badly geocoded?"
    ]
    assert "51.5" not in problems[0].message


def test_far_from_bases_matches_haversine_near_the_limit() -> None:
    """The fast dot-product test agrees with the haversine distance just inside and outside 150 km."""
    from rso_scheduler.geo import haversine_km

    officers = _officers()
    base = officers[0]
    # due north of the base: 1 degree of latitude is about 111.2 km
    inside = base.base_lat + 149.9 / 111.195
    outside = base.base_lat + 150.1 / 111.195
    people = _people(f"P1,low,{inside},{base.base_lon},,,\nP2,low,{outside},{base.base_lon},,,\n")
    assert haversine_km(inside, base.base_lon, base.base_lat, base.base_lon) < 150
    assert haversine_km(outside, base.base_lon, base.base_lat, base.base_lon) > 150
    assert [o.offender_id for o in far_from_bases(people, officers)] == ["P2"]


def test_cross_dates_after_today() -> None:
    """last_visit_date and completed visits after today are problems; planned ones are not."""
    people = _people("P1,low,51.5,-1.0,,2026-11-21,\nP2,low,51.5,-1.0,,2026-11-20,\n")
    visits = parse_visits(
        "offender_id,date,officer_ids,outcome\nP1,2026-11-21,TV001,completed\nP1,2026-11-21,TV001,cancelled\nP2,2026-11-20,TV001,completed\n"
    ).rows
    problems, _ = cross_check(people, _officers(), [], visits, TODAY)
    assert messages(problems) == [
        "offenders.csv:2 last_visit_date: '2026-11-21' is after today (2026-11-20); the last visit cannot be in the future",
        "visits.csv:2 date: '2026-11-21' is after today (2026-11-20); a completed visit cannot be in the future",
    ]


def test_cross_future_registration_is_a_warning() -> None:
    """A registered_on after today is flagged (as a warning, not a blocking problem)."""
    people = _people("P1,low,51.5,-1.0,,,2026-12-01\nP2,low,51.5,-1.0,,,2026-11-20\n")
    problems, warnings = cross_check(people, _officers(), [], [], TODAY)
    assert problems == []
    assert warnings == [
        "offenders.csv: registered_on is in the future (after 2026-11-20) on line(s) 2; check the date"
    ]


def test_cross_skill_nobody_holds_is_a_warning() -> None:
    """A required skill that no officer holds gives a warning."""
    people = parse_offenders(f"{OFF_HEAD},required_skills\nP1,low,51.5,-1.0,welsh\n").rows
    _, warnings = cross_check(people, _officers(), [], [], TODAY)
    assert warnings == [
        "offenders.csv: skill 'welsh' is required by 1 person(s) but held by no officer; those visits cannot be planned"
    ]


# --- load_dataset ------------------------------------------------------------------------


def test_load_tiny_dataset(tiny_dir: Path) -> None:
    """The conftest folder loads: every file recorded with its hash and row count."""
    ds = load_dataset(tiny_dir, today=TODAY)
    assert (
        len(ds.offenders) == 8
        and len(ds.officers) == 4
        and len(ds.absences) == 1
        and len(ds.visits) == 3
    )
    assert [(f.name, f.rows) for f in ds.files] == [
        ("offenders.csv", 8),
        ("officers.csv", 4),
        ("absences.csv", 1),
        ("visits.csv", 3),
    ]
    raw = (tiny_dir / "offenders.csv").read_bytes()
    import hashlib

    assert ds.file_hashes()["offenders.csv"] == hashlib.sha256(raw).hexdigest()
    assert ds.source_dir == str(tiny_dir)


def test_load_dataset_merges_policy_and_csv_problems(tmp_path: Path) -> None:
    """A policy problem does not hide CSV problems: all come in one InputError."""
    d = write_data_dir(
        tmp_path / "d",
        offenders=TINY_OFFENDERS.replace("P002,high", "P002,hgh"),
        officers=TINY_OFFICERS,
        policy="[risk.high]\ninterval_days = 0\n",
    )
    with pytest.raises(InputError) as info:
        load_dataset(d, today=TODAY)
    assert messages(info.value.problems) == [
        "offenders.csv:3 risk_level: 'hgh' is not one of very_high, high, medium, low",
        "policy.toml:2 risk.high.interval_days: 0 is not valid: input should be greater than 0",
    ]


def test_load_dataset_policy_applied_and_hashed(tmp_path: Path) -> None:
    """A valid policy.toml is applied and its hash recorded."""
    d = write_data_dir(
        tmp_path / "d",
        offenders=TINY_OFFENDERS,
        officers=TINY_OFFICERS,
        policy="[risk.low]\ninterval_days = 400\n",
    )
    ds = load_dataset(d, today=TODAY)
    assert ds.policy.for_risk("low").interval_days == 400
    assert "policy.toml" in ds.file_hashes()


def test_load_dataset_missing_required_files(tmp_path: Path) -> None:
    """Both required files missing are both reported."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as info:
        load_dataset(tmp_path / "empty", today=TODAY)
    assert [(p.file, p.line) for p in info.value.problems] == [
        ("offenders.csv", None),
        ("officers.csv", None),
    ]
    assert all("is missing" in p.message and "required" in p.message for p in info.value.problems)


def test_load_dataset_header_only_required_file(tmp_path: Path) -> None:
    """offenders.csv with a header and no rows is a problem (a plan of nobody is never meant)."""
    d = write_data_dir(tmp_path / "d", offenders=OFF_HEAD + "\n", officers=TINY_OFFICERS)
    with pytest.raises(InputError) as info:
        load_dataset(d, today=TODAY)
    assert messages(info.value.problems) == [
        "offenders.csv: has a header but no rows; expected one row per managed person"
    ]


def test_load_dataset_non_existent_folder(tmp_path: Path) -> None:
    """A folder that does not exist is a plain RsoError naming it."""
    with pytest.raises(RsoError, match="does not exist") as info:
        load_dataset(tmp_path / "nope", today=TODAY)
    assert not isinstance(info.value, InputError)


def test_load_dataset_non_utf8_and_other_problems_together(tmp_path: Path) -> None:
    """A non-UTF-8 file is reported alongside other files' problems."""
    d = write_data_dir(tmp_path / "d", offenders=TINY_OFFENDERS, officers=TINY_OFFICERS)
    (d / "absences.csv").write_bytes(
        "officer_id,start,end,reason\nTV001,2027-01-01,2027-01-02,cong\xe9\n".encode("cp1252")
    )
    (d / "visits.csv").write_text(
        "offender_id,date,officer_ids,outcome\nP001,2026-01-01,TV001,done\n"
    )
    with pytest.raises(InputError) as info:
        load_dataset(d, today=TODAY)
    assert [(p.file, p.line) for p in info.value.problems] == [
        ("absences.csv", 2),
        ("visits.csv", 2),
    ]


def test_load_dataset_warnings_are_kept(tmp_path: Path) -> None:
    """Unknown-column warnings reach the Dataset."""
    d = write_data_dir(
        tmp_path / "d",
        offenders=TINY_OFFENDERS.replace("required_skills\n", "required_skills,notes\n", 1),
        officers=TINY_OFFICERS,
    )
    ds = load_dataset(d, today=date(2027, 1, 1))
    assert ds.warnings == ("offenders.csv: unknown column(s) ignored: 'notes'",)


@pytest.mark.slow
def test_seventy_thousand_offenders_parse_within_budget() -> None:
    """70,000 offender rows parse and cross-check within the 30 s budget (timings: bench/)."""
    rows = [OFF_HEAD + ",offender_manager_id,last_visit_date,registered_on,window_start,window_end"]
    for i in range(70_000):
        rows.append(
            f"P{i:05d},{['VH', 'H', 'M', 'L'][i % 4]},{51 + (i % 997) / 1000},{-1 + (i % 991) / 1000},TV001,2026-0{1 + i % 9}-15,2015-01-01,17:00,20:00"
        )
    text = "\n".join(rows) + "\n"
    t0 = time.perf_counter()
    result = parse_offenders(text)
    problems, _ = cross_check(result.rows, _officers(), [], [], TODAY)
    elapsed_s = time.perf_counter() - t0
    assert result.problems == [] and problems == [] and len(result.rows) == 70_000
    assert elapsed_s < 30, elapsed_s


def test_parse_result_is_generic_dataclass() -> None:
    """ParseResult defaults are independent lists (no shared mutable defaults)."""
    a, b = ingest.ParseResult(), ingest.ParseResult()
    a.problems.append(Problem("x", 1, None, "m"))
    assert b.problems == []


# --- robustness ----------------------------------------------------------------------------

_CELL = st.text(alphabet=st.sampled_from(list('abcHLM019:-/.;," \n\r\t\ufeff\xe9')), max_size=12)


@settings(max_examples=150, deadline=None)
@given(cells=st.lists(st.lists(_CELL, min_size=0, max_size=6), max_size=6))
def test_parsers_never_raise_on_arbitrary_text(cells: list[list[str]]) -> None:
    """Any text gives a ParseResult (rows and/or located problems), never an exception."""
    body = "\n".join(",".join(row) for row in cells)
    for head, parser in (
        (OFF_HEAD, parse_offenders),
        ("officer_id,base_lat,base_lon,working_days,shift_start,shift_end", parse_officers),
        ("officer_id,start,end", parse_absences),
        ("offender_id,date,start,officer_ids,outcome,kind", parse_visits),
    ):
        result = parser(f"{head}\n{body}\n")
        for p in result.problems:
            assert p.line is None or p.line >= 1
            assert str(p).startswith(p.file)


@settings(max_examples=100, deadline=None)
@given(
    lat=st.floats(min_value=-89.9999, max_value=89.9999, allow_nan=False),
    lon=st.floats(min_value=-179.9999, max_value=179.9999, allow_nan=False),
    junk=st.sampled_from(["zz", "31/12/2026", "25:00", "maybe", "-3"]),
)
def test_no_coordinate_in_any_message(lat: float, lon: float, junk: str) -> None:
    """Whatever else is wrong with a row, its coordinates never appear in a message."""
    lat_s, lon_s = f"{lat:.5f}", f"{lon:.5f}"
    text = (
        f"{OFF_HEAD},registered_on,window_start,window_end,two_officers,visit_minutes\n"
        f"{junk},{junk},{lat_s},{lon_s},{junk},{junk},{junk},{junk},{junk}\n"
        f"P2,{lat_s},{lon_s},{junk},,,,,\n"
    )
    result = parse_offenders(text)
    assert result.problems
    for p in result.problems:
        assert lat_s not in p.message and lon_s not in p.message


def test_many_missing_skills_give_a_bounded_number_of_warnings(tmp_path: Path) -> None:
    """5,000 different skills nobody holds: 20 warning lines and one for the rest, not 5,000."""
    rows = "".join(f"Q{i},low,51.4550,-0.9700,skill{i}\n" for i in range(5000))
    data = write_data_dir(
        tmp_path / "d",
        offenders="offender_id,risk_level,lat,lon,required_skills\n" + rows,
        officers=TINY_OFFICERS,
    )
    warnings = load_dataset(data, today=date(2026, 11, 20)).warnings
    assert len(warnings) == 21
    assert warnings[-1] == (
        "offenders.csv: 4980 more skill(s) are required by 4980 person(s) but held by no officer"
    )


def test_a_header_of_thousands_of_unknown_columns_gives_one_short_warning() -> None:
    """The unknown-column warning names at most 20 columns, then how many more."""
    header = OFF_HEAD + "," + ",".join(f"extra{i}" for i in range(3000))
    result = parse_offenders(f"{header}\nP1,low,51.5,-1.0\n")
    assert len(result.warnings) == 1 and result.warnings[0].endswith("'extra19' and 2980 more")
