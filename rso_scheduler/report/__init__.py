"""Compliance reporting: figures (`compliance`), and the files written from them (`write_report`).

Outputs (all through `outputs.files`: atomic, owner-only, formula-neutral CSV):
overdue.csv, compliance.csv, by_manager.csv, by_area.csv, ageing.csv (+ trend.csv,
plan_vs_actual.csv when asked for), compliance.html, compliance.xlsx and report_run.json.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rso_scheduler.outputs.files import staged_output, write_csv, write_json, write_private
from rso_scheduler.report.compliance import ComplianceReport, compliance
from rso_scheduler.report.tables import CSV_TABLES, csv_cell, report_tables

FORMATS = ("csv", "html", "xlsx")
RUN_FILE = "report_run.json"

__all__ = ["FORMATS", "ComplianceReport", "compliance", "write_report"]


def write_report(
    report: ComplianceReport, out_dir: Path, formats: Iterable[str] = FORMATS
) -> list[str]:
    """Write the report files into `out_dir` atomically; returns the file names written."""
    wanted = set(formats)
    unknown = wanted - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report format(s): {', '.join(sorted(unknown))}")
    written: list[str] = []
    every_file = [f"{name}.csv" for name in CSV_TABLES]
    every_file += ["compliance.html", "compliance.xlsx", RUN_FILE]
    with staged_output(Path(out_dir), replaces=every_file) as stage:
        if "csv" in wanted:
            for table in report_tables(report):
                if table.name in CSV_TABLES:
                    write_csv(
                        stage / f"{table.name}.csv",
                        table.header,
                        ([csv_cell(v) for v in row] for row in table.rows),
                    )
                    written.append(f"{table.name}.csv")
        if "html" in wanted:
            from rso_scheduler.report.html import render_html

            write_private(stage / "compliance.html", render_html(report))
            written.append("compliance.html")
        if "xlsx" in wanted:
            from rso_scheduler.report.xlsx import xlsx_bytes

            write_private(stage / "compliance.xlsx", xlsx_bytes(report))
            written.append("compliance.xlsx")
        write_json(stage / RUN_FILE, {**report.run, "files": sorted(written)})
        written.append(RUN_FILE)
    return written
