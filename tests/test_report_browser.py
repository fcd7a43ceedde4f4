"""The printed HTML pages in headless Chromium: "page N of M" on every page, A4, nothing clipped."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from browser_helpers import have_chromium, pdf_page_sizes_mm, pdf_pages_text

from rso_scheduler.models import Dataset, Offender
from rso_scheduler.policy import Policy
from rso_scheduler.report import compliance, write_report

pytestmark = pytest.mark.browser

if not have_chromium():
    pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver", allow_module_level=True)
pytest.importorskip("selenium.webdriver")
pytest.importorskip("pypdf")
from browser_helpers import print_pdf  # noqa: E402


@pytest.fixture(scope="module")
def driver(chromium_driver):
    return chromium_driver


def _caseload(n: int) -> Dataset:
    """`n` overdue people: enough rows for a report of several printed pages."""
    people = tuple(
        Offender(
            offender_id=f"P{i:04d}",
            risk_level=("very_high", "high", "medium", "low")[i % 4],  # type: ignore[arg-type]
            lat=51.45,
            lon=-0.97,
            offender_manager_id=f"OM{i % 7}",
            area=f"Area {i % 5}",
            last_visit_date=date(2025, 1, 1 + i % 28),
        )
        for i in range(n)
    )
    return Dataset(offenders=people, officers=(), policy=Policy())


def test_every_printed_report_page_is_numbered(driver, tmp_path: Path):
    """compliance.html printed by Chromium: A4 pages, each with 'page N of M' and the marking."""
    write_report(compliance(_caseload(150), date(2026, 11, 20)), tmp_path, formats=["html"])
    pdf = print_pdf(driver, tmp_path / "compliance.html")
    pages = pdf_pages_text(pdf)
    assert len(pages) >= 3
    for n, text in enumerate(pages, start=1):
        assert re.search(rf"page {n} of {len(pages)}\b", text), (n, text[-200:])
        assert "OFFICIAL-SENSITIVE" in text
    for w, h in pdf_page_sizes_mm(pdf):
        assert (round(w), round(h)) == (210, 297)
