"""Headless Chromium for the browser tests and bench/screenshots.py: no network, explicit driver."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def have_chromium() -> bool:
    """True where Debian's chromium and chromium-driver are installed."""
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def chromium(
    profile: Path,
    width: int = 1400,
    height: int = 900,
    performance: bool = False,
    loopback: bool = False,
) -> Any:
    """A headless Chromium WebDriver that cannot reach any network (quit it when done);
    `performance` also keeps its network log (`driver.get_log("performance")`), `loopback`
    lets it reach 127.0.0.1 (a local server under test) and nothing else."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-default-apps",
        # no network at all: every request goes to a proxy that is not there, no name resolves
        "--proxy-server=127.0.0.1:9",
        "--host-resolver-rules=MAP * ~NOTFOUND" + (", EXCLUDE 127.0.0.1" if loopback else ""),
        "--hide-scrollbars",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(arg)
    logs = {"browser": "ALL", **({"performance": "ALL"} if performance else {})}
    opts.set_capability("goog:loggingPrefs", logs)
    # An explicit chromedriver path: Selenium Manager must never download anything.
    drv = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    drv.set_page_load_timeout(30)
    return drv


# How far anything on the page runs past the window's right edge, in px. Leaflet's map pane is
# left out: its tiles, markers panned out of view and its vector renderer (an SVG drawn 10% of
# the view past each side, so that panning shows routes at once) are clipped by the map's box
# on purpose. The map's box, its controls, the legend and everything else on the page count.
_OVERFLOW_JS = (
    "return Math.max(0, document.documentElement.scrollWidth - window.innerWidth,"
    " ...[...document.querySelectorAll('body *')].filter(e => !e.closest('.leaflet-map-pane'))"
    ".map(e => Math.round(e.getBoundingClientRect().right) - window.innerWidth))"
)


def sideways_overflow_px(driver: Any) -> int:
    """Pixels by which the page shown (or any element in it) runs past the window's width."""
    return int(driver.execute_script(_OVERFLOW_JS))


def overflow_at(driver: Any, page: Path, width: int, height: int, media: str) -> int:
    """`sideways_overflow_px` of `page` in a window of `width` x `height` in `media` (screen, print)."""
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        driver.get(page.as_uri())
        driver.execute_script("return document.fonts.ready.then(() => true)")
        return sideways_overflow_px(driver)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def print_pdf(driver: Any, page: Path) -> bytes:
    """`page` printed to PDF by Chromium as a person would (CSS page size, backgrounds)."""
    driver.get(page.as_uri())
    out = driver.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )
    return base64.b64decode(out["data"])


def pdf_pages_text(pdf: bytes) -> list[str]:
    """The text of each page of a PDF."""
    from pypdf import PdfReader

    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages]


def pdf_page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) of each page of a PDF in millimetres."""
    from pypdf import PdfReader

    pt = 25.4 / 72
    return [
        (float(p.mediabox.width) * pt, float(p.mediabox.height) * pt)
        for p in PdfReader(io.BytesIO(pdf)).pages
    ]
