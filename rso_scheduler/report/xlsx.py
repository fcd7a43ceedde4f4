"""compliance.xlsx: every table of the report on its own sheet, formatted for auditors.

Bold frozen header row, an autofilter, column widths from the content, dates as real dates with
a date format, numbers as numbers, and any text a spreadsheet would run as a formula neutralised
with `outputs.files.safe_cell` (openpyxl would otherwise store "=..." as a live formula).
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
MARKING = "OFFICIAL-SENSITIVE"
_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_MAX_WIDTH = 60


def xlsx_cell(value: Any) -> Any:
    """A value as the sheet should hold it: dates and numbers as such, text neutralised."""
    if value is None or isinstance(value, (bool, int, float, date)):
        return value
    # Control characters are not allowed in XLSX XML; drop them rather than fail the report.
    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _sheet(wb: Workbook, table: Table) -> None:
    # Write-only mode streams rows (a national caseload has tens of thousands); so widths,
    # panes and the filter are all set before the first row is written.
    ws = wb.create_sheet(title=table.name[:31])
    values = [[xlsx_cell(v) for v in row] for row in table.rows]
    widths = [len(h) for h in table.header]
    for row in values:
        for i, v in enumerate(row):
            if isinstance(v, date):
                widths[i] = max(widths[i], 10)
            elif v is not None:
                widths[i] = max(widths[i], len(str(v)))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(_MAX_WIDTH, width + 3)
    ws.freeze_panes = "A2"
    last = get_column_letter(max(1, len(table.header)))
    ws.auto_filter.ref = f"A1:{last}{len(values) + 1}"
    ws.oddHeader.center.text = MARKING
    ws.oddFooter.center.text = MARKING
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (Worksheet.PAPERSIZE_A4)
    ws.print_title_rows = "1:1"
    ws.append([_header_cell(ws, h) for h in table.header])
    for row in values:
        ws.append([_date_cell(ws, v) if isinstance(v, date) else v for v in row])


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
    ws.append([_header_cell(ws, "key"), _header_cell(ws, "value")])
    for k, v in pairs:
        ws.append([xlsx_cell(k), xlsx_cell(v)])


def xlsx_bytes(report: ComplianceReport) -> bytes:
    """The workbook as bytes (the caller writes it with `write_private`)."""
    wb = Workbook(write_only=True)
    for table in report_tables(report):
        _sheet(wb, table)
    _run_sheet(wb, report)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
