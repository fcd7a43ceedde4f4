"""The route maps in headless Chromium with the network blocked: they draw, offline, without errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_helpers import have_chromium
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.outputs.maps import write_maps

pytestmark = pytest.mark.browser

if not have_chromium():
    pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver")
from browser_helpers import overflow_at, pdf_page_sizes_mm, pdf_pages_text, print_pdf  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from test_maps import EVIL, _dataset, _plan_folder  # noqa: E402


@pytest.fixture(scope="module")
def maps_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = _plan_folder(tmp_path_factory.mktemp("plan") / "out")
    write_maps(out, _dataset())
    return out / "maps"


@pytest.fixture(scope="module")
def sample_maps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The maps of the sample's first roster (`make run`'s dates; greedy: the pages are tested)."""
    out = tmp_path_factory.mktemp("sample") / "out"
    sample = Path(__file__).resolve().parent.parent / "data" / "sample"
    dates = ["--today", "2026-11-23", "--month", "2026-12"]
    args = ["plan", str(sample), *dates, "--solver", "greedy", "--out", str(out), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out / "maps"


@pytest.fixture(scope="module")
def driver(chromium_driver):
    return chromium_driver


def _open(driver, page: Path) -> None:
    driver.get_log("browser")  # drop anything logged before this page
    driver.get(page.as_uri())
    deadline = time.monotonic() + 10
    while not driver.execute_script("return !!window.rsoMap") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert driver.execute_script("return !!window.rsoMap"), "the map did not draw"


def _count(driver, selector: str) -> int:
    return driver.execute_script("return document.querySelectorAll(arguments[0]).length", selector)


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _requested(driver) -> list[str]:
    """Resources the page asked for other than local files (Chromium's Resource Timing skips file://)."""
    return driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")


def _assets_only(driver, maps_dir: Path, heat: bool) -> None:
    """The page's scripts and styles are exactly our files in maps/assets/, and they ran."""
    expected = {"leaflet.js", "leaflet.css", "rso_map.js", "rso_map.css"}
    if heat:
        expected.add("leaflet-heat.js")
    scripts, sheets = driver.execute_script(
        "return [[...document.scripts].filter(s => s.src).map(s => s.src),"
        " [...document.styleSheets].filter(s => s.href).map(s => s.href)]"
    )
    assets = (maps_dir / "assets").resolve().as_uri() + "/"
    assert all(u.startswith(assets) for u in scripts + sheets), scripts + sheets
    assert {u.removeprefix(assets) for u in scripts + sheets} == expected
    # they loaded under the page's CSP: Leaflet ran, and its stylesheet applies
    assert driver.execute_script("return L.version") == "1.9.4"
    heat_type = driver.execute_script("return typeof L.heatLayer")
    assert heat_type == ("function" if heat else "undefined")
    overflow = driver.execute_script(
        "return getComputedStyle(document.querySelector('.leaflet-container')).overflow"
    )
    assert overflow == "hidden"


def test_index_draws_offline_without_errors(driver, maps_dir, tmp_path):
    """index.html: no console errors, no resource requests, every stop, route and marker in the DOM."""
    _open(driver, maps_dir / "index.html")
    assert _errors(driver) == []
    assert _requested(driver) == []
    _assets_only(driver, maps_dir, heat=True)
    # it opens on the first day with routes: 4 Jan, two crew-days, three stops
    assert _count(driver, "path.rso-route") == 2  # one polyline per crew-day shown
    assert _count(driver, "path.rso-stop.leaflet-interactive") == 3
    assert _count(driver, "path.rso-late") == 1
    assert _count(driver, ".rso-num") == 3
    assert _count(driver, ".rso-unsched") == 2
    assert _count(driver, ".rso-station") == 3
    assert _count(driver, "path.rso-area") == 3
    assert _count(driver, ".leaflet-heatmap-layer") == 1
    assert _count(driver, "#rso-legend") == 1
    labels = driver.execute_script(
        "return [...document.querySelectorAll('.rso-area-label span')].map(e => e.textContent)"
    )
    assert EVIL in labels  # shown as text, not run
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018
    shot = tmp_path / "index.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_day_filter_switches_routes_off_and_on(driver, maps_dir):
    """Ticking a day adds its routes, unticking one removes them; only the first is on at first."""
    _open(driver, maps_dir / "index.html")
    boxes = driver.find_elements("css selector", ".rso-filter-list input")
    assert len(boxes) == 2 + 2  # two days, two crews
    assert [b.is_selected() for b in boxes[:2]] == [True, False]
    boxes[1].click()
    assert _count(driver, "path.rso-route") == 4
    boxes[0].click()
    assert _count(driver, "path.rso-route") == 2
    assert _count(driver, "path.rso-stop") == 3
    assert _errors(driver) == []


def _text(driver, selector: str) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)", selector
    )


def test_crew_list_and_legend_follow_the_day(driver, maps_dir):
    """The crew list counts each crew's visits on the days shown and the legend counts what is shown."""
    _open(driver, maps_dir / "index.html")
    crews = lambda: driver.execute_script(  # noqa: E731
        "return [...document.querySelectorAll('.rso-filter-block')[1].querySelectorAll('label')]"
        ".filter(e => !e.hidden).map(e => e.textContent)"
    )
    assert [c.strip() for c in crews()] == ["A1+A2 (2)", "B1+B<i>2 (1)"]
    assert _text(driver, "#rso-legend [data-count]") == ["1", "1", "1", "0", "1", "3", "2"]
    assert _text(driver, ".rso-shown") == ["Shown: Mon 4 Jan 2027"]
    driver.find_element("xpath", "//button[contains(., 'next day')]").click()
    assert [c.strip() for c in crews()] == ["A1+A2 (1)", "B1+B<i>2 (2)"]
    assert _text(driver, "#rso-legend [data-count]") == ["1", "0", "0", "2", "0", "3", "2"]
    assert _text(driver, ".rso-shown") == ["Shown: Tue 5 Jan 2027"]
    assert _count(driver, "path.rso-route") == 2
    driver.find_element("xpath", "//button[contains(., 'previous day')]").click()
    assert _text(driver, ".rso-shown") == ["Shown: Mon 4 Jan 2027"]
    assert _errors(driver) == []


def test_stops_at_one_address_each_show_their_number(driver, maps_dir):
    """P1 is visited on both days: with both shown, its two stops sit apart, numbers not overlapping."""
    _open(driver, maps_dir / "index.html")
    driver.find_element(
        "xpath", "//div[contains(@class,'rso-filter-head')][span='Days']/button[.='all']"
    ).click()
    # zoom in on the stops (the view opens off-centre of them, clear of the panels)
    driver.execute_script(
        "const m = window.rsoMap, b = L.latLngBounds([]);"
        " m.eachLayer(l => { if (l.options && /rso-stop/.test(l.options.className)) b.extend(l.getLatLng()); });"
        " m.setView(b.getCenter(), 15, {animate: false});"
    )
    time.sleep(0.5)
    boxes = driver.execute_script(
        "return [...document.querySelectorAll('.rso-num')].map(e => {"
        " const b = e.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; })"
    )
    assert len(boxes) == 6
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = abs(a[0] - b[0]) >= 12 or abs(a[1] - b[1]) >= 12
            assert apart, (a, b)  # no two numbers on top of each other


def test_area_names_do_not_overlap(driver, maps_dir):
    """Area names are moved or hidden so that none overlaps another name or a station's name."""
    _open(driver, maps_dir / "index.html")
    assert _text(driver, ".rso-station-label span")  # stations are named: something to go by
    for zoom in (8, 10, 12):
        driver.execute_script("window.rsoMap.setZoom(arguments[0], {animate: false})", zoom)
        time.sleep(0.4)
        areas, stations = driver.execute_script(
            "const r = s => [...document.querySelectorAll(s)]"
            ".filter(e => getComputedStyle(e).visibility !== 'hidden')"
            ".map(e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; });"
            "return [r('.rso-area-label span'), r('.rso-station-label span')];"
        )
        for i, a in enumerate(areas):
            for b in areas[i + 1 :] + stations:
                overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                assert not overlap, (zoom, a, b)


def test_station_names_at_one_place_do_not_print_over_each_other(driver, maps_dir):
    """Two stations a street apart (Slough and Windsor at force scale): one name moves a line."""
    _open(driver, maps_dir / "index.html")
    moved = driver.execute_script(
        "const m = []; window.rsoMap.eachLayer(l => { if (l.options && l.options.icon &&"
        " l.options.icon.options.className === 'rso-station-label') m.push(l); });"
        "if (m.length < 2) return false; m[1].setLatLng(m[0].getLatLng()); return true;"
    )
    assert moved, "the fixture needs two stations"
    for zoom in (9, 11):
        # setZoom to the zoom already shown fires nothing: fire zoomend as a user's zoom does
        driver.execute_script(
            "window.rsoMap.setZoom(arguments[0], {animate: false}); window.rsoMap.fire('zoomend')",
            zoom,
        )
        time.sleep(0.4)
        boxes = driver.execute_script(
            "return [...document.querySelectorAll('.rso-station-label span')]"
            ".filter(e => getComputedStyle(e).visibility !== 'hidden')"
            ".map(e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; });"
        )
        assert len(boxes) >= 2  # station names are never hidden
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                assert not overlap, (zoom, a, b)


def test_crew_day_page_draws_offline_without_errors(driver, maps_dir, tmp_path):
    """A crew-day page: its one route, numbered stops, both officers' bases and the list."""
    _open(driver, maps_dir / "2027-01-05" / "B1+B_i_2.html")
    assert _errors(driver) == []
    assert _requested(driver) == []
    _assets_only(driver, maps_dir, heat=False)
    assert _count(driver, "path.rso-route") == 1
    assert _count(driver, "path.rso-stop") == 2
    numbers = driver.execute_script(
        "return [...document.querySelectorAll('.rso-num')].map(e => e.textContent)"
    )
    assert sorted(numbers) == ["1", "2"]
    assert _count(driver, ".rso-station") == 2  # the two officers work from different stations
    # each station's leave-base row, two visits, each station's back-at-base row
    assert _count(driver, ".rso-day-list tbody tr") == 2 + 2 + 2
    shot = tmp_path / "day.png"
    assert driver.save_screenshot(str(shot)) and shot.stat().st_size > 5_000


def test_csp_blocks_a_script_from_outside_the_assets(driver, maps_dir):
    """The pages' CSP is enforced: an injected remote script and a remote image are refused."""
    _open(driver, maps_dir / "index.html")
    driver.get_log("browser")
    driver.execute_script(
        "for (const [t, u] of [['script', 'https://cdn.example/x.js'], ['img', 'http://x.example/a.png']]) {"
        " const e = document.createElement(t); e.src = u; document.body.appendChild(e); }"
    )
    time.sleep(0.5)
    refused = [
        e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]
    ]
    assert any("https://cdn.example/x.js" in m for m in refused), refused
    assert any("http://x.example/a.png" in m for m in refused), refused
    assert driver.execute_script("return typeof window.rsoMap") == "object"  # the page still works


@pytest.mark.parametrize("width", [1366, 1024])
def test_whole_period_map_fits_a_laptop_window(driver, sample_maps, width):
    """The sample's index.html at 1366 and 1024 px: no banner, control or legend runs off sideways."""
    assert overflow_at(driver, sample_maps / "index.html", width, 768, "screen") == 0


def _boxes(driver, selector: str) -> list[list[float]]:
    """[left, top, right, bottom] of each element shown that matches `selector`."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])]"
        ".filter(e => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden')"
        ".map(e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; })",
        selector,
    )


def test_no_station_is_hidden_under_the_legend_or_the_controls(driver, sample_maps):
    """The sample's index.html at 1366x768 opens with every station and its name in view and
    clear of the legend, the route filter and the layer list."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        _open(driver, sample_maps / "index.html")
        (legend,) = _boxes(driver, "#rso-legend")
        (view,) = _boxes(driver, ".leaflet-container")
        panels = _boxes(driver, "#rso-legend, .rso-filter, .leaflet-control-layers")
        stations = _boxes(driver, ".rso-station-label span, .rso-station")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert len(panels) == 3 and len(stations) >= 2 * 3  # the sample has several named stations
    for s in stations:
        inside = view[0] <= s[0] and s[2] <= view[2] and view[1] <= s[1] and s[3] <= view[3]
        assert inside, (s, view)
        for p in panels:
            overlap = s[0] < p[2] and p[0] < s[2] and s[1] < p[3] and p[1] < s[3]
            assert not overlap, (s, p, p == legend)


def test_crew_day_page_prints_on_a4_without_cutting_the_right(driver, sample_maps):
    """A crew-day page in print media at A4's width inside 12 mm margins (186 mm = 703 px):
    nothing runs past the right edge; printed, it is numbered A4 pages holding the whole list."""
    page = sorted(sample_maps.glob("20*/*.html"))[0]
    assert overflow_at(driver, page, 703, 1000, "print") == 0
    pdf = print_pdf(driver, page)
    texts = pdf_pages_text(pdf)
    assert 1 <= len(texts) <= 2
    assert all((round(w), round(h)) == (210, 297) for w, h in pdf_page_sizes_mm(pdf))
    assert all(f"page {n} of {len(texts)}" in t for n, t in enumerate(texts, start=1))
    assert "back at base" in "".join(texts)  # the list's last row is printed
