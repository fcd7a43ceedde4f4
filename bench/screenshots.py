"""Screenshots of every page the tool writes, in headless Chromium (no network), for a person to look at.

Makes a plan, its maps, a compliance report, a scenario comparison and a capacity search from
the embedded sample (greedy planner: the pages, not the plans, are under review), then for
each page saves a laptop-screen screenshot (1366x768, the whole page height) and, for the
printable pages, an A4 PDF plus a screenshot in print media at A4 width. Prints a table of the
files with the page count of each PDF and whether anything overflows the page sideways.

    .venv/bin/python bench/screenshots.py --out /tmp/shots      # then open /tmp/shots/*.png

Needs Debian's chromium and chromium-driver (and selenium, pypdf: the dev extra).
"""

from __future__ import annotations

import argparse
import base64
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import (  # noqa: E402
    chromium,
    have_chromium,
    pdf_pages_text,
    print_pdf,
    sideways_overflow_px,
)

RSO = [str(Path(sys.executable).with_name("rso"))]
LAPTOP = (1366, 768)
A4_LANDSCAPE_PX = (1123, 794)  # 297 x 210 mm at 96 dpi
A4_PORTRAIT_PX = (794, 1123)


def run(*args: str) -> None:
    """One rso command, quietly; stops the script if it fails."""
    subprocess.run([*RSO, *args, "-q"], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def make_pages(work: Path) -> dict[str, tuple[Path, tuple[int, int] | None]]:
    """Write every kind of page; name -> (file, print size in px or None for screen only)."""
    plan = work / "plan"
    run("plan", "data/sample", "--month", "2026-12", "--solver", "greedy", "--out", str(plan))
    run(
        "report",
        "compliance",
        "data/sample",
        "--as-of",
        "2026-11-20",
        "--trend",
        "--out",
        str(work / "report"),
    )
    stretched = sorted(str(p) for p in (ROOT / "scenarios" / "stretched").glob("*.toml"))
    run("scenario", "run", *stretched, "--planner", "greedy", "--out", str(work / "scenarios"))
    run(
        "scenario",
        "capacity",
        "scenarios/baseline.toml",
        "--planner",
        "greedy",
        "--out",
        str(work / "capacity"),
    )
    maps = plan / "maps"
    day_page = sorted(maps.glob("20*/*.html"))[0]
    return {
        "map_index": (maps / "index.html", None),
        "map_days": (maps / "days.html", None),
        "map_crew_day": (day_page, A4_PORTRAIT_PX),
        "compliance": (work / "report" / "compliance.html", A4_PORTRAIT_PX),
        "comparison": (work / "scenarios" / "comparison.html", A4_LANDSCAPE_PX),
        "capacity": (work / "capacity" / "capacity.html", A4_LANDSCAPE_PX),
    }


def shoot(driver, page: Path, png: Path, size: tuple[int, int], media: str) -> int:
    """A full-height screenshot of `page` at `size` in `media` ('screen' or 'print')."""
    w, h = size
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": media})
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(page.as_uri())
    time.sleep(1.0)  # maps draw after load
    over = sideways_overflow_px(driver)
    full_h = min(6000, int(driver.execute_script("return document.documentElement.scrollHeight")))
    is_map = bool(driver.execute_script("return !!window.rsoMap"))
    if not is_map:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": w, "height": max(h, full_h), "deviceScaleFactor": 1, "mobile": False},
        )
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    png.write_bytes(base64.b64decode(shot["data"]))
    return over


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/rso-screenshots"))
    args = ap.parse_args()
    if not have_chromium():
        print("needs /usr/bin/chromium and /usr/bin/chromedriver", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    work = Path(tempfile.mkdtemp(prefix="rso-pages-"))
    profile = Path(tempfile.mkdtemp(prefix="rso-chromium-"))
    driver = chromium(profile, *LAPTOP)
    rows = []
    try:
        for name, (page, print_size) in make_pages(work).items():
            over = shoot(driver, page, out / f"{name}.png", LAPTOP, "screen")
            row = [name, f"{name}.png", str(over), "", "", ""]
            if print_size is not None:
                pover = shoot(driver, page, out / f"{name}-print.png", print_size, "print")
                driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
                pdf = print_pdf(driver, page)
                (out / f"{name}.pdf").write_bytes(pdf)
                pages = pdf_pages_text(pdf)
                numbered = sum(
                    1 for i, t in enumerate(pages, 1) if f"page {i} of {len(pages)}" in t
                )
                row[3:] = [str(pover), str(len(pages)), f"{numbered}/{len(pages)}"]
            rows.append(row)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    print(
        "| page | screenshot | overflow px (laptop) | overflow px (print) | PDF pages | numbered |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
