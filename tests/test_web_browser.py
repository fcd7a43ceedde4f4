"""The workbench in real headless Chromium: a supervisor's month and an auditor's look, offline.

A real `uvicorn` server on 127.0.0.1 serves the app; Chromium cannot reach any other host
(browser_helpers). Screenshots of each page go to tmp_path, and to docs/workbench/ when
RSO_SCREENSHOTS names that folder (`RSO_SCREENSHOTS=docs/workbench pytest -m browser ...`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from datetime import date
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # about 40 s with a real server

from test_web import TODAY, make_plan  # noqa: E402

from rso_scheduler.web.app import create_app  # noqa: E402
from rso_scheduler.web.bench import Workbench  # noqa: E402
from rso_scheduler.web.security import Sessions  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A planned data folder served by uvicorn on a free loopback port: (base URL, token, data)."""
    import uvicorn

    monkeypatch.setenv("RSO_RECORD", str(tmp_path / "record" / "record.sqlite"))
    data = make_plan(tmp_path)
    port = _free_port()
    sessions = Sessions()
    app = create_app(
        Workbench(data, today=TODAY),
        sessions,
        [f"127.0.0.1:{port}"],
        today=TODAY,
        replan_seconds=2.0,
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", sessions.token, data
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def driver(tmp_path_factory: pytest.TempPathFactory):
    """Headless Chromium keeping its network log; skipped where it is absent."""
    from browser_helpers import chromium, have_chromium

    if not have_chromium():
        pytest.skip("needs /usr/bin/chromium and /usr/bin/chromedriver")
    pytest.importorskip("selenium.webdriver")
    profile = tmp_path_factory.mktemp("chromium-workbench")
    drv = chromium(profile, width=1400, height=1000, performance=True, loopback=True)
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Walk:
    """The steps of the walk, with a screenshot of each page."""

    def __init__(self, driver, base: str, shots: Path):
        self.d, self.base, self.shots = driver, base, shots
        self.shots.mkdir(parents=True, exist_ok=True)

    def get(self, path: str) -> None:
        self.d.get(self.base + path)
        self.wait_css("main")

    def wait_css(self, css: str, timeout: float = 30):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.d, timeout).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def css(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, selector)

    def shot(self, name: str) -> None:
        self.d.save_screenshot(str(self.shots / f"{name}.png"))

    def set(self, selector: str, value: str) -> None:
        self.d.execute_script("arguments[0].value = arguments[1]", self.css(selector), value)

    def submit(self, button: str, into: str = "#result") -> str:
        """Click a form's button and wait for its answer; the answer's element id."""
        self.d.execute_script("document.querySelector(arguments[0]).innerHTML = ''", into)
        self.css(button).click()
        el = self.wait_css(f"{into} > div")
        return str(el.get_attribute("id"))

    def headline(self, key: str) -> int:
        return int(self.css(f"#hl-{key}").text)


def _hosts_requested(driver) -> set[str]:
    hosts = set()
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg["params"]["request"]["url"]
            if url.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp"):
                hosts.add(url.split("/")[2])  # chrome://, data: and about: are not the network
    return hosts


def test_a_supervisor_runs_the_month_and_an_auditor_reads_a_history(server, driver, tmp_path):
    """Month, visit, a refused move (rule named), an accepted move (effect shown), a pin, a
    re-plan, an outcome changing the headline; then a person's history and the audit trail;
    no request to any other host and no CSP refusal in the console."""
    base, token, data = server
    target = os.environ.get("RSO_SCREENSHOTS")
    w = Walk(driver, base, Path(target) if target else tmp_path / "shots")

    # open the month (the token becomes a session cookie and leaves the address)
    w.get(f"/?token={token}")
    assert "token" not in driver.current_url and driver.current_url.endswith("/plans/1")
    assert "OFFICIAL-SENSITIVE" in w.css("body").text
    w.shot("month")

    # open a visit of P001 (away 2027-01-18 to 2027-01-22)
    w.css("a.visit[title^='P001 ']").click()
    w.wait_css("#visit-facts")
    assert "P001" in w.css("#person-link").text
    assert "Very high" in w.css("#visit-facts").text and "very_high" not in w.css("main").text
    w.shot("visit")
    legal = w.css("#move-form .hint").text.split(": ", 1)[1].rstrip(".").split(", ")

    # move it onto a day the person is away: refused, the rule named
    w.set("#move-date", "2027-01-19")
    w.css("#move-reason").send_keys("officer asked")
    assert w.submit("#move-go") == "refused"
    assert w.css("#refused-rule").text == "person_available"
    w.shot("move-refused")

    # move it to a legal day: accepted, the effect on lateness and travel shown
    was = w.css("#visit-when").text
    for day in legal:
        if day in was:
            continue
        w.set("#move-date", day)
        if w.submit("#move-go") == "accepted":
            break
    else:
        raise AssertionError(f"no legal day accepted among {legal}")
    effect = w.css("#accepted").text
    assert "Travel, minutes" in effect and "Days late" in effect
    w.shot("move-accepted")

    # pin it
    driver.refresh()
    w.wait_css("#pin-form")
    assert day in w.css("#visit-when").text
    w.css("#pin-reason").send_keys("the offender manager will attend")
    assert w.submit("#pin-go") == "accepted"
    driver.refresh()
    w.wait_css("#visit-pinned")
    assert w.css("#visit-pinned").text == "yes"
    w.shot("pinned")

    # re-plan from a date: a new version issued, its changes shown
    w.get("/plans/1")
    w.set("#replan-from", "2027-01-11")
    assert w.submit("#replan-go", into="#replan-result") == "replanned"
    w.shot("replanned")
    w.css("#new-plan").click()
    w.wait_css("#headline")
    new_plan = driver.current_url.rsplit("/", 1)[1]
    assert new_plan != "1" and "re-plan from 2027-01-11" in w.css("main").text

    # record outcomes and see the compliance headline change
    completed = w.headline("completed")
    w.css("a.visit").click()
    w.wait_css("#outcome-form")
    w.set("#outcome", "completed")
    assert w.submit("#outcome-go") == "accepted"
    w.get(f"/plans/{new_plan}")
    assert w.headline("completed") == completed + 1
    w.get("/compliance")
    assert int(w.css("#hl-completed").text) == completed + 1
    w.shot("compliance")

    # the overdue list sorts by a column; the whole report opens ready to print
    def days_overdue() -> list[int]:
        cells = driver.find_elements("css selector", "#overdue tbody td:nth-child(7)")
        return [int(c.text) for c in cells]

    by_risk = days_overdue()
    assert len(by_risk) > 1 and by_risk != sorted(by_risk)
    days = w.css("#overdue thead th:nth-child(7)")
    days.click()
    assert days_overdue() == sorted(by_risk) and days.get_attribute("aria-sort") == "ascending"
    days.click()
    assert days_overdue() == sorted(by_risk, reverse=True)
    w.shot("compliance-sorted")
    w.css("#full-report").click()
    w.wait_css("header.title")
    assert "Home-visit compliance report" in w.css("h1").text
    w.shot("compliance-report")

    # the day, its maps and the unscheduled list
    w.get(f"/plans/{new_plan}/days/{date(2027, 1, 11).isoformat()}")
    w.shot("day")
    w.css("section a[href*='/maps/2027-01-11/']").click()  # the day's offline route map
    w.wait_css(".leaflet-container")
    w.shot("route-map")
    w.get(f"/plans/{new_plan}/unscheduled")
    w.shot("unscheduled")

    # an auditor: a person's history and the audit trail, read only
    w.get("/people/P001")
    text = w.css("main").text
    assert "officer asked" in text and "the offender manager will attend" in text
    assert "Plan 1 " in text and f"Plan {new_plan} " in text
    assert not driver.find_elements("css selector", "main form")
    w.shot("person-history")
    w.get("/audit")
    assert "verifies" in w.css("#chain").text
    w.shot("audit")

    # nothing but this server was asked for anything, and nothing was refused by the CSP
    assert _hosts_requested(driver) == {base.split("/")[2]}
    console = [e["message"] for e in driver.get_log("browser")]
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m], console


def _printed(server, driver, path: str) -> list[str]:
    """A page printed by Chromium as a PDF: each page A4 and the first and last marked; the
    text of each page."""
    import base64

    from browser_helpers import pdf_page_sizes_mm, pdf_pages_text

    base, token, _ = server
    driver.get(f"{base}/?token={token}")
    driver.get(f"{base}{path}")
    out = driver.execute_cdp_cmd(
        "Page.printToPDF", {"preferCSSPageSize": True, "printBackground": True}
    )
    pdf = base64.b64decode(out["data"])
    for w, h in pdf_page_sizes_mm(pdf):
        assert {round(w), round(h)} == {210, 297}
    text = pdf_pages_text(pdf)
    assert "OFFICIAL-SENSITIVE" in text[0] and "OFFICIAL-SENSITIVE" in text[-1]
    return text


def test_the_workbench_prints_on_a4_with_the_marking(server, driver):
    """The month printed by Chromium: A4 pages, each with OFFICIAL-SENSITIVE, forms hidden."""
    assert "Re-plan and issue" not in "".join(_printed(server, driver, "/plans/1"))


def test_the_compliance_page_prints_on_a4_with_the_marking(server, driver):
    """The compliance page printed by Chromium: A4 pages, marked, the overdue table in."""
    text = "".join(_printed(server, driver, "/compliance"))
    assert "Overdue visits" in text and "Very high" in text
