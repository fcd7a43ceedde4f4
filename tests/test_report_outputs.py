"""Report files: CSV, HTML and XLSX are escaped, formula-neutral, private and well formed."""

from __future__ import annotations

import csv
import io
import re
import stat
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from rso_scheduler.errors import InputError
from rso_scheduler.models import Dataset, Offender, Outcome, RiskLevel, Status, VisitRecord
from rso_scheduler.outputs.files import MANIFEST
from rso_scheduler.outputs.roster_files import parse_planned as parse_roster
from rso_scheduler.policy import Policy
from rso_scheduler.report import compliance, write_report
from rso_scheduler.report.html import CSP, MARKING, ageing_svg, render_html
from rso_scheduler.report.xlsx import xlsx_cell

AS_OF = date(2026, 11, 20)
EVIL_IDS = (
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
)


def _offender(oid: str, risk: str = "high", **kw: object) -> Offender:
    fields: dict[str, object] = {
        "offender_id": oid,
        "risk_level": risk,
        "lat": 51.45,
        "lon": -0.97,
        "offender_manager_id": "OM1",
        "area": "Reading",
    }
    fields.update(kw)
    return Offender(**fields)  # type: ignore[arg-type]


def hostile_dataset() -> Dataset:
    """Overdue people whose ids, OM and area are markup or spreadsheet formulas."""
    people = [
        _offender(EVIL_IDS[0], "very_high", last_visit_date=date(2026, 9, 1), area="<b>Area</b>"),
        _offender(
            EVIL_IDS[1], "high", last_visit_date=date(2026, 5, 1), offender_manager_id="=1+1"
        ),
        _offender(EVIL_IDS[2], "low", last_visit_date=date(2025, 1, 1)),
        _offender(EVIL_IDS[3], "medium", status=Status.custody),
        _offender("P5", "low", status=Status.reactive),
    ]
    visits = [
        VisitRecord(offender_id=EVIL_IDS[1], date=date(2026, 5, 1), outcome=Outcome.completed),
        VisitRecord(offender_id=EVIL_IDS[1], date=date(2026, 10, 1), outcome=Outcome.no_access),
    ]
    return Dataset(offenders=tuple(people), officers=(), visits=tuple(visits), policy=Policy())


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """The full report of the hostile dataset, with trend, written to tmp_path/out."""
    report = compliance(hostile_dataset(), AS_OF, trend=True)
    write_report(report, tmp_path / "out")
    return tmp_path / "out"


def _read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_files_written_and_private(written: Path):
    """Every expected file is there and readable by the owner only."""
    names = {p.name for p in written.iterdir()}
    expected = {
        "overdue.csv",
        "compliance.csv",
        "by_manager.csv",
        "by_area.csv",
        "ageing.csv",
        "trend.csv",
    }
    assert expected | {"compliance.html", "compliance.xlsx", "report_run.json"} <= names
    for p in written.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
    assert stat.S_IMODE(written.stat().st_mode) == 0o700


def test_csv_cells_formula_neutral(written: Path):
    """Ids that a spreadsheet would run as formulas are written with a leading apostrophe."""
    rows = _read_csv(written / "overdue.csv")
    ids = {r["offender_id"] for r in rows}
    assert "'" + EVIL_IDS[1] in ids and "'" + EVIL_IDS[2] in ids
    assert not any(i.startswith(("=", "+", "@")) for i in ids)
    managers = {r["offender_manager_id"] for r in _read_csv(written / "by_manager.csv")}
    assert "'=1+1" in managers


def test_overdue_csv_order_and_values(written: Path):
    """overdue.csv: very high first, days overdue exact, blanks for unknowns."""
    rows = _read_csv(written / "overdue.csv")
    assert [r["risk_level"] for r in rows] == ["very_high", "high", "low"]
    assert rows[0]["due_date"] == "2026-10-01" and rows[0]["days_overdue"] == "50"
    assert rows[1]["no_access_since_last"] == "1" and rows[1]["last_attempt_outcome"] == "no_access"
    everyone = _read_csv(written / "compliance.csv")
    assert {r["state"] for r in everyone} == {"overdue", "suspended", "reactive"}
    assert len(everyone) == 5


class _Collector(HTMLParser):
    """Collects tags, script elements and text of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_everything(written: Path):
    """An id `<script>` appears only as escaped text; no script or bold tag is injected."""
    html = (written / "compliance.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(html)
    assert "script" not in parser.tags and "b" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert EVIL_IDS[0] in "".join(parser.text)  # the id is shown, as text


def test_html_is_offline_and_marked(written: Path):
    """No http(s) resource is referenced, the CSP is set, and the marking is top and bottom."""
    html = (written / "compliance.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert f'content="{CSP}"'.replace("'", "&#x27;") in html
    assert html.count(f">{MARKING}</div>") == 2
    assert 'class="marking top"' in html and 'class="marking bottom"' in html
    assert "@media print" in html and "size: A4" in html
    # The only URL is the SVG namespace, which loads nothing.
    urls = set(re.findall(r"https?://[^\s\"'<>&]+", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://x.example"}


def test_html_sections_and_figures(written: Path):
    """Headline, charts, tables, overdue list and run record are all rendered."""
    html = (written / "compliance.html").read_text(encoding="utf-8")
    for heading in (
        "Headline",
        "How overdue: ageing by risk level",
        "Overdue at each month end",
        "By offender manager",
        "By area",
        "Overdue visits (3)",
        "No-access attempts",
        "Suspended: custody, hospital, abroad (1)",
        "Reactive management (1)",
        "Run record",
    ):
        assert f">{heading}" in html, heading
    assert html.count("<svg") == 2


def test_ageing_svg_bar_heights_follow_counts():
    """The tallest bar belongs to the largest count; zero counts draw zero-height bars."""
    ageing = {
        lv: dict.fromkeys(("1-7", "8-30", "31-90", "over 90", "unknown"), 0) for lv in RiskLevel
    }
    ageing[RiskLevel.high]["8-30"] = 4
    ageing[RiskLevel.low]["1-7"] = 2
    svg = ageing_svg(ageing)
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg)]
    assert len(heights) == 20
    assert max(heights) == pytest.approx(2 * sorted(heights)[-2])
    assert heights.count(0.0) == 18


def test_xlsx_dates_numbers_header_filter_and_formulas(written: Path):
    """XLSX: real dates with a date format, numbers as numbers, bold frozen header, filter, no formulas."""
    wb = load_workbook(written / "compliance.xlsx")
    assert {"overdue", "compliance", "by_manager", "by_area", "ageing", "trend", "run"} <= set(
        wb.sheetnames
    )
    ws = wb["overdue"]
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    assert all(c.font.bold for c in ws[1])
    due = ws.cell(row=2, column=header.index("Due date") + 1)
    assert isinstance(due.value, datetime) and due.value.date() == date(2026, 10, 1)
    assert "yy" in due.number_format
    days = ws.cell(row=2, column=header.index("Days overdue") + 1)
    assert days.value == 50 and days.data_type == "n"
    assert days.number_format == '0" days"'
    for row in wb["overdue"].iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", cell.value
    ids = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert "'" + EVIL_IDS[1] in ids


def test_xlsx_headers_formats_print_setup_and_marking(written: Path):
    """XLSX: plain-word headers, on-time shares as percentages, one page wide, marked on every sheet."""
    wb = load_workbook(written / "compliance.xlsx")
    header = [c.value for c in wb["by_risk"][1]]
    assert header[:2] == ["Risk level", "Managed"] and "On time" in header
    assert not any("_" in str(h) for ws in wb.worksheets for h in (c.value for c in ws[1]))
    share = wb["by_risk"].cell(row=2, column=header.index("On time") + 1)
    assert share.number_format == "0.0%" and 0 <= share.value <= 1
    headline = {r[0].value: r[1] for r in wb["headline"].iter_rows(min_row=2)}
    assert headline["on time %"].number_format == "0.0%"
    assert headline["worst days overdue"].number_format.endswith('" days"')
    for ws in wb.worksheets:
        assert ws.oddHeader.center.text == "OFFICIAL-SENSITIVE", ws.title
        assert ws.oddFooter.center.text == "OFFICIAL-SENSITIVE", ws.title
        assert ws.oddFooter.right.text == "Page &P of &N", ws.title
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == "$1:$1"


def test_report_tables_as_dataframes():
    """compliance(...).frames() gives every table as a DataFrame with the CSV's columns and typed values."""
    report = compliance(hostile_dataset(), AS_OF, trend=True)
    frames = report.frames()
    assert set(frames) >= {"headline", "by_risk", "overdue", "ageing", "compliance", "trend"}
    overdue = frames["overdue"]
    assert list(overdue.columns[:3]) == ["offender_id", "risk_level", "offender_manager_id"]
    assert len(overdue) == len(report.overdue)
    assert str(overdue["due_date"].dtype).startswith("datetime64")
    assert str(overdue["days_overdue"].dtype) == "Int64"
    by_risk = frames["by_risk"].set_index("risk_level")
    assert by_risk.loc["very_high", "overdue"] == 1
    assert frames["by_risk"]["on_time_pct"].dtype.kind == "f"


def test_xlsx_cell_conversions():
    """Formula-like text is neutralised, control characters dropped, numbers and dates kept."""
    assert xlsx_cell("=1+2") == "'=1+2"
    assert xlsx_cell("a\x01b") == "ab"
    assert xlsx_cell(3) == 3 and xlsx_cell(2.5) == 2.5
    assert xlsx_cell(date(2026, 1, 2)) == date(2026, 1, 2)
    assert xlsx_cell(None) is None


def test_write_report_formats_subset(tmp_path: Path):
    """Asking for html only writes the HTML and the run record."""
    report = compliance(hostile_dataset(), AS_OF)
    written = write_report(report, tmp_path / "o", ["html"])
    assert written == ["compliance.html", "report_run.json"]
    assert {p.name for p in (tmp_path / "o").iterdir()} == {*written, MANIFEST}


def test_write_report_rejects_unknown_format(tmp_path: Path):
    """An unknown format is refused before anything is written."""
    with pytest.raises(ValueError):
        write_report(compliance(hostile_dataset(), AS_OF), tmp_path / "o", ["pdf"])
    assert not (tmp_path / "o").exists()


def test_render_html_of_empty_caseload():
    """An empty caseload renders with 'n/a' figures and a note that the log is empty."""
    html = render_html(
        compliance(Dataset(offenders=(), officers=(), policy=Policy()), AS_OF, trend=True)
    )
    assert ">n/a<" in html and "no entries on or before the report date" in html


def test_render_html_without_overdue_people():
    """A caseload with nobody overdue renders, saying 'None.' for the empty lists."""
    data = Dataset(offenders=(_offender("A", last_visit_date=AS_OF),), officers=(), policy=Policy())
    html = render_html(compliance(data, AS_OF))
    assert "Overdue visits (0)" in html and 'class="empty">None.' in html


ROSTER = """visit_id,date,start,end,offender_id,officer_ids,risk_level,due_date,days_late,kind
V1,2026-11-02,10:00,11:30,A,TV001;TV002,very_high,2026-11-10,0,announced
V2,2026-11-03,,,B,,high,2026-11-04,0,
"""


def test_parse_roster_reads_rows():
    """roster.csv rows become planned visits; optional cells may be blank."""
    visits = parse_roster(ROSTER)
    assert [v.visit_id for v in visits] == ["V1", "V2"]
    assert visits[0].officer_ids == ("TV001", "TV002") and visits[0].start_min == 600
    assert visits[1].risk_level is RiskLevel.high and visits[1].due_date == date(2026, 11, 4)


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("visit_id,date,offender_id,risk_level\nV1,2026-11-02,A,high\n", 1, "due_date", "missing"),
        (
            "visit_id,date,offender_id,risk_level,due_date\nV1,02/11/2026,A,high,2026-11-10\n",
            2,
            "date",
            "02/11/2026",
        ),
        (
            "visit_id,date,offender_id,risk_level,due_date\nV1,2026-11-02,A,severe,2026-11-10\n",
            2,
            "risk_level",
            "severe",
        ),
        (
            "visit_id,date,offender_id,risk_level,due_date\nV1,2026-11-02,A,high,2026-11-10\nV1,2026-11-03,B,low,2026-11-10\n",
            3,
            "visit_id",
            "line 2",
        ),
        (
            "visit_id,date,offender_id,risk_level,due_date\nV1,2026-11-02,,high,2026-11-10\n",
            2,
            "offender_id",
            "empty",
        ),
    ],
)
def test_parse_roster_reports_bad_cells(text: str, line: int, column: str, fragment: str):
    """A broken roster.csv is refused with file, line, column and the value found."""
    with pytest.raises(InputError) as exc:
        parse_roster(text)
    p = exc.value.problems[0]
    assert (p.file, p.line, p.column) == ("roster.csv", line, column)
    assert fragment in p.message


def test_roster_written_by_plan_reads_back(tiny_dir: Path, tmp_path: Path):
    """A roster.csv written by `outputs.roster_files.write_plan` reads back as the same visits."""
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.models import VisitKind
    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.roster_files import read_planned, write_plan
    from rso_scheduler.roster import PlannedVisit, PlanResult

    data = load_dataset(tiny_dir, today=date(2026, 12, 15))
    visits = [
        PlannedVisit(
            "V1",
            date(2027, 1, 4),
            600,
            690,
            "P001",
            ("TV001", "TV002"),
            RiskLevel.very_high,
            date(2027, 1, 5),
            VisitKind.unannounced,
        ),
        PlannedVisit(
            "V2",
            date(2027, 1, 6),
            1080,
            1140,
            "P003",
            ("TV002",),
            RiskLevel.medium,
            date(2026, 11, 30),
            VisitKind.announced,
        ),
    ]
    result = PlanResult(date(2027, 1, 1), date(2027, 1, 31), visits, [], [], 2, 0.0, 1, 1.0)
    with staged_output(tmp_path / "plan") as stage:
        write_plan(stage, data, result, {})
    assert read_planned(tmp_path / "plan")[0] == visits
