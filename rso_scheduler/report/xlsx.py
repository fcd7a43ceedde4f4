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
    ws = wb.create_sheet(title=table.name[:31])
    ws.append([xlsx_cell(h) for h in table.header])
    for row in table.rows:
        ws.append([xlsx_cell(v) for v in row])
    widths = [len(h) for h in table.header]
    for row_cells in ws.iter_rows(min_row=2):
        for i, cell in enumerate(row_cells):
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
                widths[i] = max(widths[i], 10)
            elif cell.value is not None:
                widths[i] = max(widths[i], len(str(cell.value)))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(_MAX_WIDTH, width + 3)
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    ws.freeze_panes = "A2"
    last = get_column_letter(max(1, len(table.header)))
    ws.auto_filter.ref = f"A1:{last}{max(1, ws.max_row)}"
    ws.oddHeader.center.text = MARKING
    ws.oddFooter.center.text = MARKING
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.print_title_rows = "1:1"


def _run_sheet(wb: Workbook, report: ComplianceReport) -> None:
    ws = wb.create_sheet(title="run")
    ws.append(["key", "value"])
    for key, value in report.run.items():
        if isinstance(value, dict):
            for k, v in value.items():
                ws.append([xlsx_cell(f"{key}.{k}"), xlsx_cell(v)])
        else:
            ws.append([xlsx_cell(key), xlsx_cell(value)])
    ws.append(["marking", MARKING])
    for cell in ws[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:B{ws.max_row}"
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 70


def xlsx_bytes(report: ComplianceReport) -> bytes:
    """The workbook as bytes (the caller writes it with `write_private`)."""
    wb = Workbook()
    wb.remove(wb.active)
    for table in report_tables(report):
        _sheet(wb, table)
    _run_sheet(wb, report)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
