"""compliance.xlsx: every table of the report on its own sheet, formatted for auditors.

Headers in plain words ("Days overdue", not `days_overdue`; the CSV files keep the code names),
bold frozen header row, an autofilter, column widths from the content, dates as real dates with a
date format, shares as percentages, day counts as days, and any text a spreadsheet would run as
a formula neutralised with `outputs.files.safe_cell` (openpyxl would otherwise store "=..." as a
live formula). Every sheet prints on A4 landscape, one page wide, with the header row repeated,
OFFICIAL-SENSITIVE in its page header and footer and "Page N of M" in the footer.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from rso_scheduler.outputs.files import safe_cell
from rso_scheduler.report.compliance import ComplianceReport
from rso_scheduler.report.tables import Table, report_tables

DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
DAYS_FORMAT = '0" days"'
MARKING = "OFFICIAL-SENSITIVE"
# Column (code name) -> header in plain words; a name not listed is shown with its first letter
# capitalised and underscores as spaces.
HEADER_LABELS = {
    "offender_id": "Person (ID)",
    "offender_manager_id": "Offender manager",
    "risk_level": "Risk level",
    "last_visit_date": "Last visit",
    "due_date": "Due date",
    "days_overdue": "Days overdue",
    "days_to_due": "Days to due date",
    "interval_days": "Visit interval",
    "window_days": "Visit window",
    "no_access_since_last": "No-access attempts since last visit",
    "cancelled_since_last": "Cancelled since last visit",
    "last_attempt_date": "Last attempt",
    "last_attempt_outcome": "Last attempt outcome",
    "due_soon": "Due soon",
    "worst_days_overdue": "Most days overdue",
    "on_time_pct": "On time",
    "visit_id": "Visit ID",
    "planned_date": "Planned date",
    "officer_ids": "Officers",
    "actual_date": "Actual date",
    "days_from_plan": "Days from plan",
    "days_late": "Days late",
    "days_late_inherited": "Days late inherited",
    "days_late_added": "Days late added",
    "history_not_in_log": "History not in log",
    "figure": "Figure",
    "value": "Value",
}
# Columns holding a number of days, and columns holding a percentage (0-100 in the report).
DAY_COLUMNS = frozenset(
    {
        "days_overdue",
        "days_to_due",
        "interval_days",
        "window_days",
        "worst_days_overdue",
        "days_from_plan",
        "days_late",
        "days_late_inherited",
        "days_late_added",
    }
)
PERCENT_COLUMNS = frozenset({"on_time_pct"})
_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_MAX_WIDTH = 60


def xlsx_cell(value: Any) -> Any:
    """A value as the sheet should hold it: dates and numbers as such, text neutralised."""
    if value is None or isinstance(value, (bool, int, float, date)):
        return value
    # Control characters are not allowed in XLSX XML; drop them rather than fail the report.
    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def header_label(name: str) -> str:
    """A column's header in plain words (`days_overdue` -> "Days overdue")."""
    if name in HEADER_LABELS:
        return HEADER_LABELS[name]
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _number_format(column: str, figure: Any = None) -> str | None:
    """The format of a cell of `column` (the headline's value column looks at its figure name)."""
    if column in PERCENT_COLUMNS or (column == "value" and str(figure).startswith("on time %")):
        return PERCENT_FORMAT
    if column in DAY_COLUMNS or (column == "value" and "days" in str(figure)):
        return DAYS_FORMAT
    return None


def _print_setup(ws: Any) -> None:
    """A4 landscape, one page wide, header row repeated, the marking and page numbers."""
    ws.oddHeader.center.text = MARKING
    ws.oddHeader.center.font = "Arial,Bold"
    ws.oddFooter.center.text = MARKING
    ws.oddFooter.center.font = "Arial,Bold"
    ws.oddFooter.right.text = "Page &P of &N"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def table_sheet(wb: Workbook, table: Table) -> None:
    """A table on its own sheet: plain-word headers, filter, widths, dates, A4 print setup."""
    # Write-only mode streams rows (a national caseload has tens of thousands); so widths,
    # panes and the filter are all set before the first row is written.
    ws = wb.create_sheet(title=table.name[:31])
    labels = [header_label(h) for h in table.header]
    values = [[xlsx_cell(v) for v in row] for row in table.rows]
    formats = [[_number_format(h, row[0]) for h in table.header] for row in values]
    widths = [len(h) for h in labels]
    for row, fmts in zip(values, formats, strict=True):
        for i, (v, fmt) in enumerate(zip(row, fmts, strict=True)):
            if isinstance(v, date):
                widths[i] = max(widths[i], 10)
            elif v is not None:
                widths[i] = max(widths[i], len(str(v)) + (5 if fmt == DAYS_FORMAT else 1))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(_MAX_WIDTH, width + 3)
    ws.freeze_panes = "A2"
    last = get_column_letter(max(1, len(table.header)))
    ws.auto_filter.ref = f"A1:{last}{len(values) + 1}"
    _print_setup(ws)
    ws.append([_header_cell(ws, h) for h in labels])
    for row, fmts in zip(values, formats, strict=True):
        ws.append([_value_cell(ws, v, fmt) for v, fmt in zip(row, fmts, strict=True)])


def _value_cell(ws: Any, value: Any, fmt: str | None) -> Any:
    if isinstance(value, date):
        return _date_cell(ws, value)
    if fmt is None or not isinstance(value, (int, float)) or isinstance(value, bool):
        return value
    cell = WriteOnlyCell(ws, value=value / 100 if fmt == PERCENT_FORMAT else value)
    cell.number_format = '0.0" days"' if fmt == DAYS_FORMAT and isinstance(value, float) else fmt
    return cell


def _header_cell(ws: Any, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=xlsx_cell(text))
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.alignment = Alignment(vertical="center")
    return cell


def _date_cell(ws: Any, value: date) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.number_format = DATE_FORMAT
    return cell


def _run_sheet(wb: Workbook, report: ComplianceReport) -> None:
    ws = wb.create_sheet(title="run")
    pairs: list[tuple[str, Any]] = []
    for key, value in report.run.items():
        if isinstance(value, dict):
            pairs.extend((f"{key}.{k}", v) for k, v in value.items())
        else:
            pairs.append((key, value))
    pairs.append(("marking", MARKING))
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 70
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:B{len(pairs) + 1}"
    _print_setup(ws)
    ws.append([_header_cell(ws, "Setting"), _header_cell(ws, "Value")])
    for k, v in pairs:
        ws.append([xlsx_cell(k), xlsx_cell(v)])


def xlsx_bytes(report: ComplianceReport) -> bytes:
    """The workbook as bytes (the caller writes it with `write_private`)."""
    wb = Workbook(write_only=True)
    for table in report_tables(report):
        table_sheet(wb, table)
    _run_sheet(wb, report)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
