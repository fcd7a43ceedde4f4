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
from browser_helpers import overflow_at, print_pdf  # noqa: E402


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
    assert overflow_at(driver, tmp_path / "compliance.html", 718, 1000, "print") == 0  # 190 mm wide


def test_comparison_page_fits_a_laptop_and_a4_landscape(driver, tmp_path: Path):
    """Five long-named scenarios over nine months: nothing runs off a 1366 px screen or an A4
    landscape page (277 mm of content = 1047 px), and every printed page is numbered."""
    from test_scenario_report import _result

    from rso_scheduler.scenario_report import comparison_html

    results = [
        _result(f"Scenario {k}: a long name for what changes in it", [k] * 9, [k % 2] * 9)
        for k in range(5)
    ]
    page = tmp_path / "comparison.html"
    page.write_text(comparison_html(results), encoding="utf-8")
    assert overflow_at(driver, page, 1366, 768, "screen") == 0
    assert overflow_at(driver, page, 1047, 700, "print") == 0
    pdf = print_pdf(driver, page)
    sizes = pdf_page_sizes_mm(pdf)
    assert all((round(w), round(h)) == (297, 210) for w, h in sizes)
    texts = pdf_pages_text(pdf)
    assert all(f"page {n} of {len(texts)}" in t for n, t in enumerate(texts, start=1))
