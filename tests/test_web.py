"""The workbench (`rso serve`): its security, pages and JSON API through Starlette's TestClient."""

from __future__ import annotations

import csv
import html
import stat
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TINY_ABSENCES, TINY_OFFENDERS, TINY_OFFICERS, TINY_VISITS, write_data_dir

from rso_scheduler.cli import main
from rso_scheduler.web.app import create_app
from rso_scheduler.web.bench import Workbench
from rso_scheduler.web.security import Sessions

pytest.importorskip("httpx")
from starlette.testclient import TestClient  # noqa: E402

TODAY = date(2027, 1, 31)
HOST = "127.0.0.1:8765"
# P001 (very high) is away 2027-01-18 to 2027-01-22; an officer's name and a person's id are
# hostile text that every page must show as text.
HOSTILE_NAME = "<script>alert('officer')</script>"
HOSTILE_ID = "P<img src=x>4"


def web_offenders() -> str:
    """The tiny folder's people, P001 away for a week and one id holding markup."""
    lines = TINY_OFFENDERS.strip().splitlines()
    lines[0] += ",unavailable_from,unavailable_to"
    out = [lines[0]]
    for line in lines[1:]:
        extra = ",2027-01-18,2027-01-22" if line.startswith("P001,") else ",,"
        out.append(line.replace("P004,", f"{HOSTILE_ID},", 1) + extra)
    return "\n".join(out) + "\n"


def make_plan(root: Path) -> Path:
    """The data folder with its January 2027 plan issued into the record (through the CLI)."""
    data = write_data_dir(
        root / "data",
        offenders=web_offenders(),
        officers=TINY_OFFICERS.replace("Officer A", HOSTILE_NAME),
        absences=TINY_ABSENCES,
        visits=TINY_VISITS,
    )
    args = ["plan", str(data), "--month", "2027-01", "--out", str(root / "plan")]
    args += ["--solver", "greedy", "--quiet", "--today", "2026-12-01"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return data


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A planned data folder with a record of its own (RSO_RECORD is shared by the suite)."""
    monkeypatch.setenv("RSO_RECORD", str(tmp_path / "record" / "record.sqlite"))
    return make_plan(tmp_path)


def app_for(data: Path) -> tuple[object, Sessions]:
    sessions = Sessions()
    bench = Workbench(data, today=TODAY)
    return create_app(bench, sessions, [HOST], today=TODAY), sessions


def client(app: object) -> TestClient:
    return TestClient(app, base_url=f"http://{HOST}")  # type: ignore[arg-type]


@pytest.fixture
def signed_in(data_dir: Path) -> tuple[TestClient, str]:
    """A client signed in with the printed token, and its CSRF token."""
    app, sessions = app_for(data_dir)
    c = client(app)
    r = c.get(f"/?token={sessions.token}", follow_redirects=False)
    assert r.status_code == 303
    csrf = c.get("/api/session").json()["csrf_token"]
    return c, csrf


def visits(c: TestClient) -> list[dict]:
    return c.get("/api/plans/1/visits").json()


def entries(data: Path) -> int:
    from rso_scheduler.record import Store, record_path, trail

    with Store.open(record_path(data)) as store:
        return len(trail(store))


# --- security ---------------------------------------------------------------------------------

PATHS = ["/", "/plans/1", "/api/plans", "/api/plans/1/visits", "/audit", "/static/htmx.min.js"]


@pytest.mark.parametrize("path", PATHS)
def test_nothing_answers_without_the_token(data_dir, path):
    """Pages, API and even static files answer 401 without a session, and show no data."""
    app, _ = app_for(data_dir)
    r = client(app).get(path, follow_redirects=False)
    assert r.status_code == 401
    assert "P001" not in r.text and "V0000" not in r.text


def test_a_wrong_token_opens_nothing(data_dir):
    """A made-up token gets 401 and no cookie."""
    app, _ = app_for(data_dir)
    r = client(app).get("/?token=guess", follow_redirects=False)
    assert r.status_code == 401 and "set-cookie" not in r.headers


def test_the_token_opens_a_strict_http_only_session_and_leaves_the_address(data_dir):
    """The printed token sets an HttpOnly, SameSite=Strict cookie and redirects without it."""
    app, sessions = app_for(data_dir)
    c = client(app)
    r = c.get(f"/plans/1?token={sessions.token}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/plans/1"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("rso_session_8765=")  # one name per port
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert c.get("/plans/1").status_code == 200


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "evil.example"])
def test_a_foreign_host_is_refused_even_signed_in(signed_in, host):
    """DNS rebinding: any Host other than the listening address:port gets 421."""
    c, _ = signed_in
    assert c.get("/api/plans", headers={"host": host}).status_code == 421


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(signed_in, data_dir):
    """POST without X-CSRF-Token (or with a wrong one) is 403 and records nothing."""
    c, _ = signed_in
    vid = visits(c)[0]["visit_id"]
    before = entries(data_dir)
    body = {"pinned": True, "reason": "forged"}
    assert c.post(f"/api/plans/1/visits/{vid}/pin", json=body).status_code == 403
    r = c.post(f"/api/plans/1/visits/{vid}/pin", json=body, headers={"X-CSRF-Token": "x"})
    assert r.status_code == 403
    assert entries(data_dir) == before
    assert not visits(c)[0]["pinned"]


def test_non_ascii_tokens_are_refused_not_a_server_error(signed_in, data_dir):
    """A non-ASCII ?token=, session cookie or X-CSRF-Token (decoded as latin-1) is 401/403,
    never 500 (compare_digest on str raises for non-ASCII text)."""
    c, csrf = signed_in
    app, _ = app_for(data_dir)
    fresh = client(app)
    assert fresh.get("/?token=%C3%A9t%C3%A9", follow_redirects=False).status_code == 401
    r = fresh.get("/api/plans", headers={"cookie": "rso_session_8765=\xe9t\xe9".encode("latin-1")})
    assert r.status_code == 401
    vid = visits(c)[0]["visit_id"]
    body = {"pinned": True, "reason": "forged"}
    r = c.post(
        f"/api/plans/1/visits/{vid}/pin",
        json=body,
        headers={"X-CSRF-Token": (csrf[:-1] + "\xe9").encode("latin-1")},
    )
    assert r.status_code == 403
    assert not visits(c)[0]["pinned"]


def _csp_ok(headers) -> None:
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "http" not in policy
    assert headers["x-frame-options"] == "DENY"


def test_the_csp_header_is_on_every_response(signed_in, data_dir):
    """401, 421, 403, 404, 409, pages, static files and JSON all carry the CSP and DENY."""
    c, csrf = signed_in
    app, _ = app_for(data_dir)
    vid = visits(c)[0]["visit_id"]
    responses = [
        client(app).get("/plans/1"),
        c.get("/", headers={"host": "evil.example"}),
        c.post(f"/api/plans/1/visits/{vid}/pin", json={}),
        c.get("/plans/1"),
        c.get("/plans/1/days/2027-01-05"),
        c.get(f"/plans/1/visits/{vid}"),
        c.get("/plans/1/unscheduled"),
        c.get("/people/P001"),
        c.get("/audit"),
        c.get("/compliance"),
        c.get("/static/htmx.min.js"),
        c.get("/static/workbench.css"),
        c.get("/api/plans"),
        c.get("/plans/99"),
        c.post(
            f"/api/plans/1/visits/{vid}/move",
            json={"date": "2027-01-01", "reason": "x"},
            headers={"X-CSRF-Token": csrf},
        ),
    ]
    assert {r.status_code for r in responses} >= {200, 401, 403, 404, 409, 421}
    for r in responses:
        _csp_ok(r.headers)


def test_every_page_carries_its_csrf_token_and_loads_only_its_own_assets(signed_in):
    """Each page has <meta name="csrf-token"> with the session's token; scripts are local."""
    c, csrf = signed_in
    vid = visits(c)[0]["visit_id"]
    for path in ["/plans/1", f"/plans/1/visits/{vid}", "/audit", "/compliance", "/people/P001"]:
        text = c.get(path).text
        assert f'<meta name="csrf-token" content="{csrf}">' in text
        assert "OFFICIAL-SENSITIVE" in text
        assert "<script>" not in text and "http://" not in text and "https://" not in text


def test_hostile_text_from_the_data_is_escaped_everywhere(signed_in):
    """An officer's name and a person's id holding markup are shown as text on every page."""
    c, csrf = signed_in
    rows = visits(c)
    vid = rows[0]["visit_id"]
    reason = "<script>alert('reason')</script>"
    c.post(
        f"/api/plans/1/visits/{vid}/pin",
        json={"pinned": True, "reason": reason},
        headers={"X-CSRF-Token": csrf},
    )
    pages = ["/plans/1", "/plans/1/unscheduled", "/audit", "/people/P001", f"/plans/1/visits/{vid}"]
    pages += [f"/plans/1/days/{r['date']}" for r in rows]
    pages += ["/people/P%3Cimg%20src%3Dx%3E4"]
    texts = [c.get(p).text for p in pages]
    joined = "\n".join(texts)
    assert "&lt;script&gt;alert(&#39;officer&#39;)" in joined
    assert "&lt;script&gt;alert(&#39;reason&#39;)" in joined
    assert "P&lt;img src=x&gt;4" in joined
    for t in texts:
        assert "<script>alert" not in t and "<img src=x>" not in t


def test_map_files_are_served_from_the_plan_folder_only(signed_in):
    """A map path cannot climb out of maps/ (../roster.csv is 404)."""
    c, _ = signed_in
    assert c.get("/plans/1/maps/../roster.csv").status_code == 404
    assert c.get("/plans/1/maps/%2e%2e/roster.csv").status_code == 404


def test_the_record_file_is_owner_only(signed_in, data_dir):
    """The record the workbench writes to is readable by its owner alone."""
    from rso_scheduler.record import record_path

    assert stat.S_IMODE(record_path(data_dir).stat().st_mode) == 0o600


# --- the API ----------------------------------------------------------------------------------


def test_api_lists_plans_and_their_visits(signed_in):
    """GET /api/plans gives id, start, end; GET .../visits the roster rows with visit ids."""
    c, _ = signed_in
    plans = c.get("/api/plans").json()
    assert [(p["id"], p["start"], p["end"]) for p in plans] == [("1", "2027-01-01", "2027-01-31")]
    rows = visits(c)
    assert rows and {"visit_id", "date", "offender_id", "officer_ids", "start", "end"} <= set(
        rows[0]
    )
    assert isinstance(rows[0]["officer_ids"], list)


def _p001(c: TestClient) -> dict:
    return next(r for r in visits(c) if r["offender_id"] == "P001")


def test_moving_onto_a_day_the_person_is_away_is_refused_with_the_rule(signed_in, data_dir):
    """409 names person_available and the record and roster are unchanged."""
    c, csrf = signed_in
    v = _p001(c)
    before = entries(data_dir)
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/move",
        json={"date": "2027-01-19", "reason": "try"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 409
    assert r.json()["rule"] == "person_available"
    assert "2027-01-18" in r.json()["message"]
    assert entries(data_dir) == before and _p001(c) == v


def test_a_change_without_a_reason_is_refused(signed_in):
    """Every change needs a reason: 409 with rule `reason`."""
    c, csrf = signed_in
    v = _p001(c)
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/pin",
        json={"pinned": True, "reason": "  "},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 409 and r.json()["rule"] == "reason"


def legal_move(c: TestClient, csrf: str, v: dict) -> tuple[str, dict]:
    """Move `v` to the first day of the plan that both checks accept (the day and answer)."""
    from datetime import timedelta

    day = date(2027, 1, 1)
    while day <= date(2027, 1, 31):
        if day.isoformat() != v["date"]:
            r = c.post(
                f"/api/plans/1/visits/{v['visit_id']}/move",
                json={"date": day.isoformat(), "reason": "officer at court that day"},
                headers={"X-CSRF-Token": csrf},
            )
            if r.status_code == 200:
                return day.isoformat(), r.json()
            assert r.status_code == 409 and r.json()["rule"]
        day += timedelta(days=1)
    raise AssertionError("no legal day")


def test_moving_to_a_legal_day_is_recorded_with_its_effect_and_checks_clean(signed_in, data_dir):
    """200 with the changed visit and its effect; the record holds the reason; roster.csv is
    rewritten and `rso check` finds no violation in it."""
    c, csrf = signed_in
    v = _p001(c)
    day, answer = legal_move(c, csrf, v)
    moved = answer["visit"]
    assert moved["visit_id"] == v["visit_id"] and moved["date"] == day
    # P001 was overdue before the plan began: still late, why it was, and that it was moved
    assert moved["days_late"] == (date.fromisoformat(day) - date(2026, 12, 1)).days
    assert moved["late_reason"] == f"{v['late_reason']}; then moved by the supervisor"
    assert set(answer["effect"]) == {
        "days_late",
        "risk_weighted_late_days",
        "travel_minutes",
        "travel_km",
    }
    assert _p001(c)["date"] == day
    history = c.get("/people/P001").text
    assert "officer at court that day" in history
    with (data_dir.parent / "plan" / "roster.csv").open(encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["visit_id"] == v["visit_id"])
    assert row["date"] == day
    result = CliRunner().invoke(
        main, ["check", str(data_dir), str(data_dir.parent / "plan"), "--today", "2027-01-31"]
    )
    assert result.exit_code == 0, result.output


def test_pin_and_unpin_through_the_api(signed_in, data_dir):
    """POST .../pin sets and clears `pinned`; roster.csv follows."""
    c, csrf = signed_in
    v = _p001(c)
    url = f"/api/plans/1/visits/{v['visit_id']}/pin"
    r = c.post(url, json={"pinned": True, "reason": "OM asked"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["visit"]["pinned"] is True
    roster = (data_dir.parent / "plan" / "roster.csv").read_text(encoding="utf-8")
    assert f"{v['visit_id']}," in roster
    assert _p001(c)["pinned"] is True
    r = c.post(url, json={"pinned": False, "reason": "no longer"}, headers={"X-CSRF-Token": csrf})
    assert r.json()["visit"]["pinned"] is False


def test_take_out_removes_the_visit_from_the_plan(signed_in):
    """A visit taken out is no longer in the plan's visits."""
    c, csrf = signed_in
    v = _p001(c)
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/take-out",
        json={"reason": "moved away"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200 and r.json()["visit"] is None
    assert v["visit_id"] not in {x["visit_id"] for x in visits(c)}


def test_an_outcome_is_recorded_as_rso_record_does(signed_in, data_dir):
    """The outcome is appended to visits.csv and to the record; the headline counts it."""
    c, csrf = signed_in
    v = _p001(c)
    r = c.post(
        f"/plans/1/visits/{v['visit_id']}/outcome",
        data={"outcome": "no_access"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    log = (data_dir / "visits.csv").read_text(encoding="utf-8").splitlines()
    assert log[-1].startswith(f"P001,{v['date']},") and "no_access" in log[-1]
    assert '<b id="hl-no-access">1</b>' in c.get("/plans/1").text
    again = c.post(
        f"/plans/1/visits/{v['visit_id']}/outcome",
        data={"outcome": "completed"},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 409  # a visit is recorded once


def test_replan_from_a_date_issues_a_new_version(signed_in):
    """The re-plan button runs rso replan: a second plan in the record, from that date."""
    c, csrf = signed_in
    r = c.post("/plans/1/replan", data={"from": "2027-01-11"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    plans = c.get("/api/plans").json()
    assert len(plans) == 2 and plans[1]["replan_from"] == "2027-01-11"
    assert plans[1]["replan_of"] == "1"
    # the issued version is now history: changes go to the new one
    vid = visits(c)[0]["visit_id"]
    r = c.post(
        f"/api/plans/1/visits/{vid}/pin",
        json={"pinned": True, "reason": "late"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 409 and r.json()["rule"] == "superseded"
    assert plans[1]["id"] in r.json()["message"]


def test_serve_help_says_what_another_host_means():
    """`rso serve --help` has examples and warns about listening beyond this computer."""
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "rso serve data/sample" in result.output and "0.0.0.0" in result.output


def test_only_loopback_addresses_count_as_this_computer():
    """127.0.0.1, ::1 and localhost are local; anything else is warned about."""
    from rso_scheduler.commands.serve import _loopback

    assert _loopback("127.0.0.1") and _loopback("::1") and _loopback("localhost")
    assert not _loopback("0.0.0.0") and not _loopback("192.168.1.4")


def test_serve_prints_a_token_address_on_loopback_with_the_access_log_off(data_dir, monkeypatch):
    """`rso serve` prints http://127.0.0.1:PORT/?token=..., runs uvicorn there, access log off."""
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    result = CliRunner().invoke(main, ["serve", str(data_dir), "--port", "8799"])
    assert result.exit_code == 0, result.output
    assert "open http://127.0.0.1:8799/?token=" in result.output
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8799 and seen["access_log"] is False
    assert "warning" not in result.output


def test_serve_on_another_address_says_what_that_means(data_dir, monkeypatch):
    """--host 0.0.0.0 warns that other computers can reach it over plain HTTP."""
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    result = CliRunner().invoke(main, ["serve", str(data_dir), "--host", "0.0.0.0"])
    assert result.exit_code == 0
    assert "other computers" in result.output and "plain HTTP" in result.output


def test_a_move_rewrites_summary_and_maps_so_the_folder_checks_clean(signed_in, data_dir):
    """After a move summary.json equals a fresh recount of the rewritten roster (the checker's
    own totals), `rso check` says nothing is stale, and the new day has its route map."""
    import json

    from rso_scheduler.check import roster_totals
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.outputs.roster_files import read_roster

    c, csrf = signed_in
    plan = data_dir.parent / "plan"
    v = _p001(c)
    day, _answer = legal_move(c, csrf, v)
    summary = json.loads((plan / "summary.json").read_text(encoding="utf-8"))
    ds = load_dataset(data_dir, today=date(2026, 12, 1))
    fresh = roster_totals(
        read_roster(plan), ds.offender_by_id(), ds.officer_by_id(), ds.policy, None
    )
    assert summary["travel_km"] == round(fresh.pop("travel_km"), 1)
    assert {k: summary[k] for k in fresh} == fresh
    late = sum(int(r["days_late"]) for r in visits(c))
    assert summary["late_days"] == late
    assert (plan / "maps" / day).is_dir() and any((plan / "maps" / day).glob("*.html"))
    result = CliRunner().invoke(main, ["check", str(data_dir), str(plan), "--today", "2027-01-31"])
    assert result.exit_code == 0, result.output
    assert "summary.json no longer matches" not in result.output


def test_a_change_while_another_process_holds_the_record_is_refused_then_made(data_dir):
    """While another process holds the record's write lock (a pin it records meanwhile), a
    move through the workbench is refused 503 `busy` with nothing written; made after, it
    keeps the other's pin in roster.csv (never lost)."""
    from rso_scheduler.record import Store, record_path
    from rso_scheduler.record.book import append_change

    sessions = Sessions()
    second = create_app(Workbench(data_dir, today=TODAY, busy_timeout_s=0.2), sessions, [HOST])
    c = client(second)
    assert c.get(f"/?token={sessions.token}", follow_redirects=False).status_code == 303
    csrf = c.get("/api/session").json()["csrf_token"]
    v, other = _p001(c), next(r for r in visits(c) if r["offender_id"] == "P008")
    roster = (data_dir.parent / "plan" / "roster.csv").read_bytes()
    before = entries(data_dir)
    day = "2027-01-05" if v["date"] != "2027-01-05" else "2027-01-06"
    move = {"date": day, "reason": "officer at court"}
    with Store.open(record_path(data_dir)) as holder, holder.exclusive():
        append_change(holder, "1", other, {**other, "pinned": True}, "pin", "keep", "other")
        r = c.post(
            f"/api/plans/1/visits/{v['visit_id']}/move", json=move, headers={"X-CSRF-Token": csrf}
        )
        assert r.status_code == 503, r.text
        assert r.json()["rule"] == "busy" and "try again" in r.json()["message"]
        assert r.headers["retry-after"]
    assert entries(data_dir) == before + 1
    assert (data_dir.parent / "plan" / "roster.csv").read_bytes() == roster
    legal_move(c, csrf, v)
    assert entries(data_dir) == before + 2
    with (data_dir.parent / "plan" / "roster.csv").open(encoding="utf-8") as f:
        row = next(x for x in csv.DictReader(f) if x["visit_id"] == other["visit_id"])
    assert row["pinned"] == "yes"


def test_pages_show_risk_in_words_and_the_api_keeps_the_codes(signed_in):
    """ "Very high", never `very_high`, on every page that shows a risk (CSS classes aside);
    the JSON API keeps the contract's code."""
    import re

    c, _ = signed_in
    v = _p001(c)
    assert v["risk_level"] == "very_high"
    pages = [
        "/plans/1",
        f"/plans/1/days/{v['date']}",
        f"/plans/1/visits/{v['visit_id']}",
        "/plans/1/unscheduled",
        "/people/P001",
        "/compliance",
    ]
    for path in pages:
        text = re.sub(r'class="[^"]*"', "", c.get(path).text)
        assert "very_high" not in text, path
    for path in pages[:3]:
        assert "Very high" in c.get(path).text, path


def test_the_compliance_page_lists_the_overdue_as_rso_report_compliance_does(signed_in, data_dir):
    """The page's overdue table holds the people, days overdue and why due of the report's
    overdue.csv, in its order, with risk in words; the whole report prints with the marking."""
    import re

    c, _ = signed_in
    out = data_dir.parent / "compliance"
    args = ["report", "compliance", str(data_dir), "--as-of", "2027-01-31", "--today", "2027-01-31"]
    result = CliRunner().invoke(main, [*args, "--trend", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with (out / "overdue.csv").open(encoding="utf-8") as f:
        want = [(r["offender_id"], r["days_overdue"], r["trigger"]) for r in csv.DictReader(f)]
    assert want
    text = c.get("/compliance").text
    table = text[
        text.index('<table id="overdue"') : text.index("</table>", text.index('id="overdue"'))
    ]
    rows = [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell))
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", r)
        ]
        for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)
        if "<td" in r
    ]
    assert [(r[0], r[6], r[8]) for r in rows] == [(o, d or "unknown", t) for o, d, t in want]
    assert rows[0][1] == "Very high" and 'class="sortable"' in table
    full = c.get("/compliance/report")
    assert full.status_code == 200 and "OFFICIAL-SENSITIVE" in full.text
    assert "Overdue visits (" in full.text and "@page" in full.text
    assert (
        "<script" not in full.text
        and "frame-ancestors 'none'" in full.headers["content-security-policy"]
    )


def test_a_visit_of_officers_paired_per_visit_says_why_their_days_were_formed(signed_in):
    """The greedy plan forms one day per officer: an unmoved two-officer visit shows those
    days' reason, not that it was moved."""
    c, _ = signed_in
    v = _p001(c)
    assert len(v["officer_ids"]) == 2
    text = c.get(f"/plans/1/visits/{v['visit_id']}").text
    assert "greedy baseline: one officer&#39;s day" in text and "was moved here" not in text


def test_the_compliance_page_shows_the_monthly_flow_from_the_log(signed_in):
    """The compliance page has the flow table: the months of the visit log, on time of due."""
    c, _ = signed_in
    text = c.get("/compliance").text
    assert '<table id="flow">' in text
    assert "<td>2026-11</td><td>all</td>" in text  # P001's completed visit of 2026-11-01


def test_moving_to_a_crew_with_an_absent_officer_is_refused(signed_in):
    """A new crew is checked too: TV004 on leave 2027-01-11 to 15 -> officer_on_duty."""
    c, csrf = signed_in
    v = _p001(c)
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/move",
        json={"date": "2027-01-13", "officer_ids": ["TV003", "TV004"], "reason": "swap"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 409 and r.json()["rule"] == "officer_on_duty"
    assert "TV004 absent (leave)" in r.json()["message"]


# --- refreshment breaks -------------------------------------------------------------------------

P006_ROW = "P006,high,51.5100,-0.5900,TV003,Slough,active,2026-10-10,2014-04-04,,,,,polish"


@pytest.fixture
def narrow_break(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, str, Path]:
    """A plan whose 08:00 officers break 11:00-12:00 and whose P006 is seen after 10:45 (so a
    P006 visit at 10:45 leaves its crew no break); signed in."""
    monkeypatch.setenv("RSO_RECORD", str(tmp_path / "record" / "record.sqlite"))
    seen_late = P006_ROW.replace(",,,,polish", ",,10:45,14:00,polish")
    offenders = TINY_OFFENDERS.replace(P006_ROW, seen_late)
    assert offenders != TINY_OFFENDERS
    data = write_data_dir(
        tmp_path / "data",
        offenders=offenders,
        officers=TINY_OFFICERS,
        absences=TINY_ABSENCES,
        visits=TINY_VISITS,
        policy="[shifts]\nrefreshment_window = [3, 4]\n",
    )
    args = ["plan", str(data), "--month", "2027-01", "--out", str(tmp_path / "plan")]
    args += ["--solver", "greedy", "--no-maps", "--quiet", "--today", "2026-12-01"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    app, sessions = app_for(data)
    c = client(app)
    assert c.get(f"/?token={sessions.token}", follow_redirects=False).status_code == 303
    return c, c.get("/api/session").json()["csrf_token"], data


def test_a_move_whose_only_lawful_start_follows_the_break_is_accepted_there(narrow_break):
    """P006 (seen 10:45-14:00) onto TV003+TV004's empty 2027-01-06: at 10:45 the break due
    11:00-12:00 no longer fits after it, so the timing engine's start (break first) is taken:
    200 at 11:45, the crew's breaks before it, and the folder checks clean."""
    from rso_scheduler.record import Store, plan_breaks, record_path

    c, csrf, data = narrow_break
    v = next(r for r in visits(c) if r["offender_id"] == "P006")
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/move",
        json={"date": "2027-01-06", "reason": "officer at court on the planned day"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["visit"]["start"] == "11:45"
    with Store.open(record_path(data)) as store:
        now = plan_breaks(store, "1")
    assert now is not None
    assert now["TV003", "2027-01-06"][1] <= "11:45" and now["TV004", "2027-01-06"][1] <= "11:45"
    result = CliRunner().invoke(
        main, ["check", str(data), str(data.parent / "plan"), "--today", "2027-01-31"]
    )
    assert result.exit_code == 0, result.output


def test_a_move_leaving_the_crew_no_break_is_refused_by_refreshment(narrow_break):
    """With P006 now seen only until 12:45, no start on 2027-01-06 leaves its crew the break:
    409 names `refreshment` in plain words; the record and breaks.csv are unchanged."""
    c, csrf, data = narrow_break
    v = next(r for r in visits(c) if r["offender_id"] == "P006")
    offenders = data / "offenders.csv"
    text = offenders.read_text(encoding="utf-8")
    offenders.write_text(text.replace(",10:45,14:00,", ",10:45,12:45,"), encoding="utf-8")
    before, plan = entries(data), data.parent / "plan"
    breaks = (plan / "breaks.csv").read_bytes()
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/move",
        json={"date": "2027-01-06", "reason": "try"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 409, r.text
    assert r.json()["rule"] == "refreshment"
    assert "no time on 2027-01-06 for the 45-minute refreshment break" in r.json()["message"]
    assert entries(data) == before and (plan / "breaks.csv").read_bytes() == breaks


def test_a_legal_move_stores_lawful_breaks(narrow_break):
    """200; the change entry holds the re-derived breaks and the rewritten folder (breaks.csv
    from the record) passes the independent checker."""
    from rso_scheduler.record import Store, plan_breaks, record_path

    c, csrf, data = narrow_break
    v = next(r for r in visits(c) if r["offender_id"] == "P008" and r["date"] == "2027-01-25")
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/move",
        json={"date": "2027-01-26", "reason": "officer at court"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    with Store.open(record_path(data)) as store:
        change = store.entries(kind="change")[-1].body["breaks"]
        now = plan_breaks(store, "1")
    assert ["TV003", "2027-01-26"] in change["days"] and ["TV003", "2027-01-25"] in change["days"]
    assert now is not None and ("TV003", "2027-01-26") in now
    assert ("TV003", "2027-01-25") not in now
    with (data.parent / "plan" / "breaks.csv").open(encoding="utf-8") as f:
        written = {(b["officer_id"], b["date"]): (b["start"], b["end"]) for b in csv.DictReader(f)}
    assert written == now
    result = CliRunner().invoke(
        main, ["check", str(data), str(data.parent / "plan"), "--today", "2027-01-31"]
    )
    assert result.exit_code == 0, result.output


def test_take_out_places_the_breaks_of_the_days_it_leaves(narrow_break):
    """The officers' day emptied by a take-out keeps no break in breaks.csv; no break rule
    is broken."""
    c, csrf, data = narrow_break
    v = next(r for r in visits(c) if r["offender_id"] == "P008" and r["date"] == "2027-01-25")
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/take-out",
        json={"reason": "moved away"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    text = (data.parent / "plan" / "breaks.csv").read_text(encoding="utf-8")
    assert "TV003,2027-01-25" not in text and "TV003,2027-01-04" in text
    result = CliRunner().invoke(
        main, ["check", str(data), str(data.parent / "plan"), "--today", "2027-01-31"]
    )
    # the visit taken out is owed again (`missing` until the re-plan); no break rule is broken
    assert "[missing] (person P008)" in result.output and "[refreshment]" not in result.output


# --- the plan folder after a change: every file agrees with roster.csv ----------------------


def _events(ics: Path) -> dict[str, tuple[date, int, str]]:
    """uid -> (day, SEQUENCE, STATUS) of each event in a calendar file."""
    from icalendar import Calendar

    cal = Calendar.from_ical(ics.read_bytes())
    out = {}
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("dtstart")
        out[str(ev["uid"])] = (
            start.date() if hasattr(start, "date") else start,
            int(ev.get("sequence", 0)),
            str(ev.get("status", "")),
        )
    return out


def test_a_move_rewrites_day_sheets_calendars_handouts_and_roster_xlsx(signed_in, data_dir):
    """After a move the visit is on its new day, not its old, in every officer's day sheet,
    calendar (same UID, SEQUENCE up), handout and roster.xlsx; `rso check` passes."""
    import openpyxl

    from rso_scheduler.outputs.handouts import read_calendar_index

    c, csrf = signed_in
    plan = data_dir.parent / "plan"
    v = _p001(c)
    old_day = v["date"]
    before = {e.officer_id: e for e in read_calendar_index(plan) if e.visit_id == v["visit_id"]}
    day, _answer = legal_move(c, csrf, v)
    assert set(before) == set(v["officer_ids"])
    for oid in v["officer_ids"]:
        with (plan / "day_sheets" / f"{oid}.csv").open(encoding="utf-8") as f:
            mine = [r["date"] for r in csv.DictReader(f) if r["offender_id"] == "P001"]
        assert day in mine and old_day not in mine
        event = _events(plan / "calendar" / f"{oid}.ics")[before[oid].uid]
        assert event[0] == date.fromisoformat(day)
        assert event[1] == before[oid].sequence + 1 and event[2] == "CONFIRMED"
        handout = (plan / "handouts" / f"{oid}.html").read_text(encoding="utf-8")
        assert "P001" in handout
    sheet = openpyxl.load_workbook(plan / "roster.xlsx", read_only=True)["visits"]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == v["visit_id"])
    assert row[1].date() == date.fromisoformat(day)
    result = CliRunner().invoke(main, ["check", str(data_dir), str(plan), "--today", "2027-01-31"])
    assert result.exit_code == 0, result.output


def test_a_visit_taken_out_is_cancelled_in_its_officers_calendars(signed_in, data_dir):
    """A visit taken out is a CANCELLED event (its UID kept) and leaves the day sheets."""
    from rso_scheduler.outputs.handouts import read_calendar_index

    c, csrf = signed_in
    plan = data_dir.parent / "plan"
    v = _p001(c)
    uid = next(e.uid for e in read_calendar_index(plan) if e.visit_id == v["visit_id"])
    r = c.post(
        f"/api/plans/1/visits/{v['visit_id']}/take-out",
        json={"reason": "moved away"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200
    for oid in v["officer_ids"]:
        assert _events(plan / "calendar" / f"{oid}.ics")[uid][2] == "CANCELLED"
        sheet = plan / "day_sheets" / f"{oid}.csv"
        if sheet.is_file():
            with sheet.open(encoding="utf-8") as f:
                rows = [r for r in csv.DictReader(f) if r["offender_id"] == "P001"]
            assert v["date"] not in {r["date"] for r in rows}


def test_after_a_move_crews_csv_describes_the_roster_with_its_reasons(signed_in, data_dir):
    """Each crew-day the moved visit's officers work on its new day counts that day's visits
    and either keeps why it was formed (the change noted in its detail) or gives the reason
    recorded for the change; the old day's counts drop."""
    c, csrf = signed_in
    plan = data_dir.parent / "plan"
    v = _p001(c)
    with (plan / "crews.csv").open(encoding="utf-8") as f:
        was = {(r["date"], r["crew_id"]): r for r in csv.DictReader(f)}
    day, _answer = legal_move(c, csrf, v)
    with (plan / "crews.csv").open(encoding="utf-8") as f:
        now = {(r["date"], r["crew_id"]): r for r in csv.DictReader(f)}
    with (plan / "roster.csv").open(encoding="utf-8") as f:
        roster = list(csv.DictReader(f))
    note = "changed in the workbench: officer at court that day"
    for d in (day, v["date"]):
        for key, crew in now.items():
            if key[0] != d or not set(crew["officer_ids"].split(";")) & set(v["officer_ids"]):
                continue
            ids = set(crew["officer_ids"].split(";"))
            makes = [
                r for r in roster if r["date"] == d and ids <= set(r["officer_ids"].split(";"))
            ]
            assert int(crew["visits"]) == len(makes)
            if key in was and was[key]["visits"] != crew["visits"]:
                assert crew["formed_because"] == was[key]["formed_because"]
                assert crew["formed_detail"].endswith(note)
            elif key not in was:
                assert crew["formed_because"] == note
    on_new_day = [
        k
        for k, r in now.items()
        if k[0] == day and set(v["officer_ids"]) >= set(r["officer_ids"].split(";"))
    ]
    assert on_new_day
    untouched = {k: r for k, r in was.items() if k[0] not in (day, v["date"])}
    assert all(now[k] == r for k, r in untouched.items())


def test_a_move_redraws_only_the_maps_of_the_days_it_touches(signed_in, data_dir):
    """The crew pages of the old and new day (and the index pages) are redrawn; every other
    day's page is the same file, untouched (content and modification time)."""
    c, csrf = signed_in
    maps = data_dir.parent / "plan" / "maps"
    v = _p001(c)

    def pages() -> dict[str, tuple[int, bytes]]:
        return {
            str(p.relative_to(maps)): (p.stat().st_mtime_ns, p.read_bytes())
            for p in maps.glob("20*/*.html")
        }

    before = pages()
    day, _answer = legal_move(c, csrf, v)
    after = pages()
    others = {k for k in before if not k.startswith((day, v["date"]))}
    assert others, "the plan has days the move does not touch"
    assert {k: after.get(k) for k in others} == {k: before[k] for k in others}
    assert any(k.startswith(day) for k in after)
    assert any(after.get(k) != before[k] for k in before if k.startswith(v["date"])) or not any(
        k.startswith(v["date"]) for k in after
    )
