"""The workbench's web application: Starlette routes, Jinja2 pages (autoescaped) and the API.

`create_app(bench, sessions, allowed_hosts)` wraps every route in `security.Guard`. Pages are
server-rendered; forms post through the vendored htmx (static/htmx.min.js), which sends the
page's CSRF token as `X-CSRF-Token` on every request. No inline script, no other origin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from rso_scheduler.errors import RsoError
from rso_scheduler.models import RiskLevel
from rso_scheduler.report.html import MARKING
from rso_scheduler.web.bench import (
    OUTCOMES,
    Accepted,
    Busy,
    Missing,
    Refused,
    Workbench,
    legal_days,
)
from rso_scheduler.web.security import Guard, Sessions, csp

STATIC = Path(__file__).parent / "static"
_env = Environment(
    loader=PackageLoader("rso_scheduler.web", "templates"),
    autoescape=select_autoescape(["html"], default=True),
)
_env.filters["seg"] = lambda value, safe="": quote(str(value), safe=safe)  # one path segment


def risk_label(value: Any) -> str:
    """A risk level as people read it ("Very high"), from `models.RiskLevel.label`; the API
    keeps the contract's codes (`very_high`)."""
    try:
        level = value if isinstance(value, RiskLevel) else RiskLevel(str(value))
        return level.label
    except ValueError:
        return str(value)


_env.filters["risk"] = risk_label
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def _page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    text = _env.get_template(template).render(
        csrf=request.scope.get("state", {}).get("csrf", ""),
        marking=MARKING,
        request_path=request.url.path,
        **ctx,
    )
    return HTMLResponse(text, status_code=status)


def _bench(request: Request) -> Workbench:
    bench: Workbench = request.app.state.bench
    return bench


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, "expected a date YYYY-MM-DD") from None


# --- pages ----------------------------------------------------------------------------------


def home(request: Request) -> Response:
    plans = _bench(request).plans()
    if not plans:
        return _page(request, "empty.html", plans=[])
    return RedirectResponse(f"/plans/{plans[-1].id}", status_code=303)


def _headline(bench: Workbench, plan_id: str) -> dict[str, Any]:
    """The compliance headline of the plan as it stands now (visits and the record)."""
    ctx = bench.context(plan_id)
    visits = bench.visits(plan_id)
    late = [v for v in visits if int(v["days_late"]) > 0]
    done = _done_visits(bench)
    return {
        "planned": len(visits),
        "on_time": len(visits) - len(late),
        "late": len(late),
        "unscheduled": len(ctx.files.unscheduled),
        "completed": sum(1 for v in visits if done.get(v["visit_id"]) == "completed"),
        "no_access": sum(1 for v in visits if done.get(v["visit_id"]) == "no_access"),
        "cancelled": sum(1 for v in visits if done.get(v["visit_id"]) == "cancelled"),
    }


def _done_visits(bench: Workbench) -> dict[str, str]:
    from rso_scheduler.record import outcomes

    with bench.store() as store:
        return {o["visit_id"]: o["outcome"] for o in outcomes(store) if o.get("visit_id")}


def month(request: Request) -> Response:
    bench = _bench(request)
    pid = request.path_params["plan_id"]
    info = bench.plan(pid)
    ctx = bench.context(pid)
    visits = bench.visits(pid)
    days = _days(ctx.files.plan_start, ctx.files.plan_end)
    grid: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for v in visits:
        for o in v["officer_ids"]:
            grid[(o, v["date"])].append(v)
    from rso_scheduler.calendar import absences_by_officer, is_absent

    absences = absences_by_officer(ctx.dataset.absences)
    breaks = _breaks(Path(info.out_dir))
    officers = []
    for o in ctx.dataset.officers:
        cells = []
        for d in days:
            mine = sorted(grid.get((o.officer_id, d.isoformat()), []), key=lambda v: v["start"])
            away = is_absent(o.officer_id, d, absences)
            hours = ""
            if mine:
                hours = f"{mine[0]['start']}-{mine[-1]['end']}"
            cells.append(
                {
                    "day": d.isoformat(),
                    "visits": mine,
                    "hours": hours,
                    "leave": (away.reason or "absent") if away else "",
                    "off": d.weekday() not in o.working_days,
                    "break": breaks.get((o.officer_id, d.isoformat()), ""),
                }
            )
        officers.append({"id": o.officer_id, "name": o.name or "", "cells": cells})
    return _page(
        request,
        "month.html",
        info=info,
        days=days,
        officers=officers,
        headline=_headline(bench, pid),
        done=_done_visits(bench),
        has_breaks=bool(breaks),
        plans=bench.plans(),
    )


def _days(start: date, end: date) -> list[date]:
    from rso_scheduler.calendar import days

    return days(start, end)


def _breaks(plan_dir: Path) -> dict[tuple[str, str], str]:
    import csv

    path = plan_dir / "breaks.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as f:
        return {(r["officer_id"], r["date"]): f"{r['start']}-{r['end']}" for r in csv.DictReader(f)}


def day_page(request: Request) -> Response:
    bench = _bench(request)
    pid = request.path_params["plan_id"]
    day = _day(request.path_params["day"])
    info = bench.plan(pid)
    visits = [v for v in bench.visits(pid) if v["date"] == day.isoformat()]
    crews: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in sorted(visits, key=lambda v: v["start"]):
        crews["+".join(v["officer_ids"])].append(v)
    maps = _day_maps(Path(info.out_dir), day)
    return _page(
        request,
        "day.html",
        info=info,
        day=day,
        crews=sorted(crews.items()),
        maps=maps,
        done=_done_visits(bench),
    )


def _day_maps(plan_dir: Path, day: date) -> list[str]:
    """The route maps of a day in the plan folder's maps/ (one per crew), then the month's."""
    folder = plan_dir / "maps"
    if not folder.is_dir():
        return []
    crews = (
        sorted(f"{day.isoformat()}/{p.name}" for p in (folder / day.isoformat()).glob("*.html"))
        if (folder / day.isoformat()).is_dir()
        else []
    )
    return crews + (["index.html"] if (folder / "index.html").is_file() else [])


def visit_page(request: Request) -> Response:
    bench = _bench(request)
    pid, vid = request.path_params["plan_id"], request.path_params["visit_id"]
    info = bench.plan(pid)
    v = bench.visit(pid, vid)
    ctx = bench.context(pid)
    crew = _crew_reason(Path(info.out_dir), v)
    person = ctx.dataset.offender_by_id().get(v["offender_id"])
    return _page(
        request,
        "visit.html",
        info=info,
        v=v,
        crew_reason=crew,
        manager=person.offender_manager_id if person else None,
        officers=[o.officer_id for o in ctx.dataset.officers],
        legal=[d.isoformat() for d in legal_days(bench, pid, vid)],
        outcomes=OUTCOMES,
        done=_done_visits(bench).get(vid),
    )


def _crew_reason(plan_dir: Path, v: dict[str, Any]) -> str:
    from rso_scheduler.outputs.roster_files import read_crews

    try:
        crews = read_crews(plan_dir)
    except RsoError:
        return ""
    day = [c for c in crews if c.date.isoformat() == v["date"]]
    for c in day:
        if set(c.officer_ids) == set(v["officer_ids"]):
            return c.formed_because
    # officers' days formed one by one (the greedy baseline pairs them per visit)
    own = [c for c in day if set(c.officer_ids) <= set(v["officer_ids"])]
    if own and {o for c in own for o in c.officer_ids} == set(v["officer_ids"]):
        return "; ".join(dict.fromkeys(c.formed_because for c in own))
    if crews:
        return "this crew-day was not in the issued plan: the visit was moved here (see the record)"
    return ""


def unscheduled_page(request: Request) -> Response:
    bench = _bench(request)
    pid = request.path_params["plan_id"]
    info = bench.plan(pid)
    ctx = bench.context(pid)
    return _page(request, "unscheduled.html", info=info, rows=ctx.files.unscheduled)


def person_page(request: Request) -> Response:
    from rso_scheduler.record import history

    bench = _bench(request)
    person = request.path_params["person"]
    with bench.store() as store:
        h = history(store, person)
    return _page(request, "person.html", person=person, h=h)


def person_search(request: Request) -> Response:
    person = request.query_params.get("person", "").strip()
    if not person:
        raise HTTPException(400, "give a person's id")
    return RedirectResponse(f"/people/{quote(person, safe='')}", status_code=303)


def audit_page(request: Request) -> Response:
    from rso_scheduler.record import trail

    bench = _bench(request)
    with bench.store() as store:
        entries = trail(store)
        broken = store.verify()
    return _page(request, "audit.html", entries=entries, broken=broken)


def _compliance_report(bench: Workbench) -> Any:
    """The compliance report as `rso report compliance --trend` gives it on the workbench's
    day (`report.compliance`), with the newest plan as it stands as the roster checked
    against the log."""
    from rso_scheduler.outputs.roster_files import planned_visits
    from rso_scheduler.report import compliance

    plans = bench.plans()
    as_of = bench.today or date.today()
    roster, plan_start, dataset = None, None, None
    if plans:
        latest = plans[-1]
        ctx = bench.context(latest.id)
        dataset = ctx.dataset
        roster = planned_visits(bench.as_rows(ctx, bench.visits(latest.id)))
        plan_start = ctx.files.plan_start
    if dataset is None:
        from rso_scheduler.ingest import load_dataset

        dataset = load_dataset(bench.data_dir, today=as_of)
    report = compliance(
        dataset,
        as_of,
        roster=roster,
        trend=True,
        # the whole-period plans, as `rso report compliance` sets them beside the flow
        issued=[(p.id, p.start, p.end, p.figures) for p in plans if not p.replan_from],
        plan_start=plan_start,
    )
    report.run["today"] = as_of.isoformat()
    return report


def compliance_page(request: Request) -> Response:
    from rso_scheduler.report.compliance import ageing_band

    bench = _bench(request)
    plans = bench.plans()
    rows = []
    for p in plans:
        f = p.figures
        due = int(f.get("visits_due", 0) or 0)
        rows.append(
            {
                "plan": p,
                "due": due,
                "share": (100 * int(f.get("on_time", 0)) / due) if due else None,
            }
        )
    head = _headline(bench, plans[-1].id) if plans else None
    report = _compliance_report(bench)
    flow_rows = [r for r in report.flow or [] if r.group_by in ("all", "area")][-36:]
    return _page(
        request,
        "compliance.html",
        rows=rows,
        headline=head,
        latest=plans[-1] if plans else None,
        flow=flow_rows,
        report=report,
        band=ageing_band,
    )


def compliance_report_page(request: Request) -> Response:
    """The whole compliance report as `rso report compliance` writes compliance.html (A4,
    marked, self-contained: its own inline styles, no script)."""
    from rso_scheduler.report.html import render_html

    report = _compliance_report(_bench(request))
    return HTMLResponse(
        render_html(report), headers={"content-security-policy": csp(inline_styles=True)}
    )


def plan_file(request: Request) -> Response:
    """A file of the plan folder's maps/ (the offline route maps), never outside it."""
    bench = _bench(request)
    info = bench.plan(request.path_params["plan_id"])
    root = (Path(info.out_dir) / "maps").resolve()
    target = (root / request.path_params["path"]).resolve()
    if not target.is_file() or root not in target.parents:
        raise HTTPException(404, "no such map file")
    if target.suffix == ".html":
        body = target.read_bytes()
        hashes = [
            base64.b64encode(hashlib.sha256(m).digest()).decode()
            for m in _INLINE_SCRIPT.findall(body)
        ]
        return Response(
            body,
            media_type="text/html; charset=utf-8",
            headers={"content-security-policy": csp(hashes, inline_styles=True)},
        )
    return FileResponse(target)


# --- forms (htmx) and the API -----------------------------------------------------------------


async def _json_or_form(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        data = await request.json()
        if not isinstance(data, dict):
            raise HTTPException(400, "expected a JSON object")
        return data
    form = await request.form()
    out: dict[str, Any] = {}
    for k in form:
        values = form.getlist(k)
        out[k] = values if k == "officer_ids" else values[-1]
    return out


def _officers(value: Any) -> list[str] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        value = [value]
    ids = [str(x).strip() for x in value if str(x).strip()]
    return ids or None


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _result(request: Request, accepted: Any, message: str) -> Response:
    if _is_api(request):
        return JSONResponse(
            {"visit": accepted.visit, "effect": accepted.effect.as_dict(), "entry": accepted.entry}
        )
    return _page(
        request,
        "result.html",
        ok=True,
        message=message,
        effect=accepted.effect,
        visit=accepted.visit,
    )


def _refused(request: Request, exc: Refused) -> Response:
    """409 with the rule broken; 503 (try again) when another writer held the record."""
    status, headers = (503, {"retry-after": "5"}) if isinstance(exc, Busy) else (409, {})
    if _is_api(request):
        return JSONResponse(
            {"rule": exc.rule, "message": exc.message}, status_code=status, headers=headers
        )
    response = _page(
        request, "result.html", status=status, ok=False, rule=exc.rule, message=exc.message
    )
    response.headers.update(headers)
    return response


async def _change(
    request: Request,
    action: Callable[..., Accepted],
    said: Callable[[Any], str],
    **options: Any,
) -> Response:
    """One change to a visit (`action`: the workbench's move, pin or take out) made off the
    event loop: the visit and its effect with `said(visit)` as the page's message, or the
    rule that refused it."""
    try:
        accepted = await run_in_threadpool(
            action, request.path_params["plan_id"], request.path_params["visit_id"], **options
        )
    except Refused as exc:
        return _refused(request, exc)
    return _result(request, accepted, said(accepted.visit))


async def move(request: Request) -> Response:
    data = await _json_or_form(request)
    return await _change(
        request,
        _bench(request).move,
        lambda v: (
            f"Moved to {v['date']} {v['start']}-{v['end']} with {', '.join(v['officer_ids'])}."
        ),
        day=_day(str(data.get("date", ""))),
        officer_ids=_officers(data.get("officer_ids")),
        reason=str(data.get("reason", "")),
    )


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "yes", "1", "on")


async def pin(request: Request) -> Response:
    data = await _json_or_form(request)
    if "pinned" not in data:
        raise HTTPException(400, "pinned (true or false) is required")
    pinned = _flag(data["pinned"])
    said = "Pinned: the next re-plan keeps it as it is." if pinned else "Unpinned."
    return await _change(
        request,
        _bench(request).pin,
        lambda _v: said,
        pinned=pinned,
        reason=str(data.get("reason", "")),
    )


async def take_out(request: Request) -> Response:
    data = await _json_or_form(request)
    return await _change(
        request,
        _bench(request).take_out,
        lambda _v: "Taken out of the plan.",
        reason=str(data.get("reason", "")),
    )


async def outcome(request: Request) -> Response:
    bench = _bench(request)
    data = await _json_or_form(request)
    try:
        text = await run_in_threadpool(
            bench.record_outcome,
            request.path_params["plan_id"],
            request.path_params["visit_id"],
            outcome=str(data.get("outcome", "")),
            today=request.app.state.today,
        )
    except Refused as exc:
        return _refused(request, exc)
    except RsoError as exc:
        return _refused(request, Refused("record", str(exc)))
    if _is_api(request):
        return JSONResponse({"recorded": text.strip()})
    return _page(request, "result.html", ok=True, message=text.strip(), effect=None, visit=None)


async def replan(request: Request) -> Response:
    bench = _bench(request)
    data = await _json_or_form(request)
    pid = request.path_params["plan_id"]
    try:
        new_id, text = await run_in_threadpool(
            bench.replan,
            pid,
            _day(str(data.get("from", ""))),
            seconds=request.app.state.replan_seconds,
        )
    except RsoError as exc:
        return _refused(request, Refused("replan", str(exc)))
    if _is_api(request):
        return JSONResponse({"plan": new_id, "output": text.strip()})
    info = bench.plan(new_id)
    changes = _changes(Path(info.out_dir))
    return _page(request, "replanned.html", new_id=new_id, text=text.strip(), changes=changes)


def _changes(plan_dir: Path) -> list[dict[str, str]]:
    import csv

    path = plan_dir / "changes.csv"
    if not path.is_file():
        return []
    from rso_scheduler.outputs.files import unneutralise

    with path.open(encoding="utf-8") as f:
        return [{k: unneutralise(v or "") for k, v in r.items() if k} for r in csv.DictReader(f)]


def api_plans(request: Request) -> Response:
    return JSONResponse(
        [
            {
                "id": p.id,
                "start": p.start,
                "end": p.end,
                "replan_from": p.replan_from,
                "replan_of": p.replan_of,
                "issued_at": p.at,
                "issued_by": p.user,
                "figures": p.figures,
            }
            for p in _bench(request).plans()
        ]
    )


def api_visits(request: Request) -> Response:
    return JSONResponse(_bench(request).visits(request.path_params["plan_id"]))


def api_session(request: Request) -> Response:
    return JSONResponse({"csrf_token": request.scope.get("state", {}).get("csrf", "")})


# --- errors ---------------------------------------------------------------------------------


async def _missing(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return JSONResponse({"rule": "not_found", "message": str(exc)}, status_code=404)
    return _page(request, "result.html", status=404, ok=False, rule="not_found", message=str(exc))


async def _failed(request: Request, exc: Exception) -> Response:
    """A user error from the library (a data file that no longer loads...): said, no traceback."""
    if _is_api(request):
        return JSONResponse({"rule": "error", "message": str(exc)}, status_code=500)
    return _page(request, "result.html", status=500, ok=False, rule="error", message=str(exc))


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _is_api(request):
        return JSONResponse({"rule": "request", "message": exc.detail}, status_code=exc.status_code)
    return _page(
        request, "result.html", status=exc.status_code, ok=False, rule="request", message=exc.detail
    )


def create_app(
    bench: Workbench,
    sessions: Sessions,
    allowed_hosts: list[str],
    *,
    today: date | None = None,
    replan_seconds: float = 10.0,
) -> Any:
    """The ASGI application: routes behind the guard."""
    routes = [
        Route("/", home),
        Route("/plans/{plan_id}", month),
        Route("/plans/{plan_id}/days/{day}", day_page),
        Route("/plans/{plan_id}/visits/{visit_id}", visit_page),
        Route("/plans/{plan_id}/unscheduled", unscheduled_page),
        Route("/plans/{plan_id}/maps/{path:path}", plan_file),
        Route("/plans/{plan_id}/visits/{visit_id}/move", move, methods=["POST"]),
        Route("/plans/{plan_id}/visits/{visit_id}/pin", pin, methods=["POST"]),
        Route("/plans/{plan_id}/visits/{visit_id}/take-out", take_out, methods=["POST"]),
        Route("/plans/{plan_id}/visits/{visit_id}/outcome", outcome, methods=["POST"]),
        Route("/plans/{plan_id}/replan", replan, methods=["POST"]),
        Route("/people", person_search),
        Route("/people/{person}", person_page),
        Route("/audit", audit_page),
        Route("/compliance", compliance_page),
        Route("/compliance/report", compliance_report_page),
        Route("/api/session", api_session),
        Route("/api/plans", api_plans),
        Route("/api/plans/{plan_id}/visits", api_visits),
        Route("/api/plans/{plan_id}/visits/{visit_id}/move", move, methods=["POST"]),
        Route("/api/plans/{plan_id}/visits/{visit_id}/pin", pin, methods=["POST"]),
        Route("/api/plans/{plan_id}/visits/{visit_id}/take-out", take_out, methods=["POST"]),
        Route("/api/plans/{plan_id}/visits/{visit_id}/outcome", outcome, methods=["POST"]),
        Route("/api/plans/{plan_id}/replan", replan, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={Missing: _missing, HTTPException: _http, RsoError: _failed},
    )
    app.state.bench = bench
    app.state.today = today
    app.state.replan_seconds = replan_seconds
    return Guard(app, sessions, allowed_hosts)
