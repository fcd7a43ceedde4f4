"""Offline route maps (Folium + vendored Leaflet): `OUT/maps/index.html`, a page per crew-day.

Maps never solve: they draw a written roster (or a `PlanResult`) over the dataset's homes and
stations. Every page is offline and private:

- Leaflet, Leaflet.heat and the drawing code are written once per plan into `maps/assets/` (from
  `rso_scheduler/assets/`) and loaded by relative URL (`assets/leaflet.js` from index.html,
  `../assets/leaflet.js` from a crew-day page). Folium's CDN links for Leaflet, jQuery, Bootstrap
  and awesome-markers are dropped, so nothing outside the maps folder is loaded. A month's 400
  crew-day pages used to inline Leaflet each (~180 KB a page, ~70 MB a force-size month).
- A Content-Security-Policy meta tag allows scripts and styles from `'self'` (the local asset
  files; Chromium matches file:// pages' own folder tree with it, tested in
  tests/test_maps_browser.py) plus the page's inline blob, `data:` images, and the force's own
  tile server if given; nothing else.
- No tiles by default; `tiles` / `attribution` (or policy `maps.tiles` / `maps.attribution`)
  point at a force's tile server.
- All text is HTML-escaped in Python, or set through textContent / escaped in the page's script;
  the data blob is JSON with `<`, `>` and `&` escaped, so an id such as `<script>` stays inert.
- Tooltips and popups carry only pseudonymous ids, risk levels, planned times and due dates.

Each page embeds one compact JSON blob drawn by `assets/rso_map.js` instead of thousands of
separate Folium objects: a force-size month (about 1,500 visits) gives an index page of a few
hundred KB that draws in well under a second, and crew-day pages of about 10 KB.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import json
import os
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from rso_scheduler.errors import InputError, OutputError, Problem
from rso_scheduler.models import RISK_ORDER, Dataset, Officer, RiskLevel
from rso_scheduler.outputs.files import DIR_MODE, write_private
from rso_scheduler.outputs.maps_data import (
    CrewDay,
    MapRoster,
    MapUnscheduled,
    area_outlines,
    as_map_roster,
    check_against_dataset,
    crew_days,
    crew_file_names,
)
from rso_scheduler.policy import hide_userinfo, tile_url_origin
from rso_scheduler.roster import hhmm
from rso_scheduler.travel import Travel, base, home, travel_for

RISK_COLOURS: dict[RiskLevel, str] = {
    RiskLevel.very_high: "#8b0000",  # dark red
    RiskLevel.high: "#ff8c00",  # orange
    RiskLevel.medium: "#daa520",  # gold (goldenrod: pure gold is unreadable on white)
    RiskLevel.low: "#2e8b57",  # green
}
# Blues and purples for routes, so a route never looks like a risk colour.
ROUTE_COLOURS = (
    "#1f5fa8",
    "#6a3d9a",
    "#0e7c86",
    "#3b4cc0",
    "#8e44ad",
    "#2c7fb8",
    "#5e3c99",
    "#01665e",
    "#4575b4",
    "#762a83",
)
BANNER = "OFFICIAL-SENSITIVE"
NUMBERS_FROM_ZOOM = 12  # on the whole-period map, stop numbers show from this zoom in
ASSETS_DIR = "assets"  # maps/assets/: the shared scripts and styles of every page
# Written file -> vendored source in rso_scheduler/assets/ (the licences ship with the code).
ASSET_SOURCES: dict[str, str] = {
    "leaflet.js": "leaflet/leaflet.js",
    "leaflet.css": "leaflet/leaflet.css",
    "leaflet-heat.js": "leaflet.heat/leaflet-heat.js",
    "rso_map.js": "rso_map.js",
    "rso_map.css": "rso_map.css",
    "LICENSE-leaflet.txt": "leaflet/LICENSE",
    "LICENSE-leaflet.heat.txt": "leaflet.heat/LICENSE",
}
# The only src/href a page may load: our own asset files, from maps/ or from maps/<date>/.
_LOCAL_ASSET = re.compile(
    r"^(\.\./)?"
    + re.escape(ASSETS_DIR)
    + "/("
    + "|".join(re.escape(n) for n in ASSET_SOURCES if n.endswith((".js", ".css")))
    + ")$"
)


# --- assets ------------------------------------------------------------------------------------


@functools.cache
def _vendored(name: str) -> str:
    """A file of rso_scheduler/assets as text, unmodified."""
    return (
        resources.files("rso_scheduler")
        .joinpath("assets", *name.split("/"))
        .read_text(encoding="utf-8")
    )


def _asset(name: str) -> str:
    """A file of rso_scheduler/assets made safe to inline in a <script> or <style>."""
    # An inline script or style must not close its own element early.
    return re.sub(r"</(script|style)", r"<\\/\1", _vendored(name), flags=re.IGNORECASE)


@functools.cache
def _leaflet_css() -> str:
    """leaflet.css without its url(...) image references (no image markers; CSP allows data: only)."""
    return re.sub(r"url\((?!\s*['\"]?data:)[^)]*\)", "none", _vendored("leaflet/leaflet.css"))


def asset_files() -> dict[str, str]:
    """What `maps/assets/` holds: file name -> text (leaflet.css loses its image URLs)."""
    return {
        name: _leaflet_css() if name == "leaflet.css" else _vendored(src)
        for name, src in ASSET_SOURCES.items()
    }


def tile_origin(
    url: str, source: str = "--tiles", allowed_hosts: Sequence[str] | None = None
) -> str:
    """The CSP source for a tile URL template (`https://{s}.tiles.example/{z}/{x}/{y}.png` -> `https://*.tiles.example`).

    The check is `policy.tile_url_origin`, the same one policy.toml gets (with the policy's
    `[maps] tile_hosts` as `allowed_hosts` once it is known); raises `InputError`.
    """
    try:
        return tile_url_origin(url, allowed_hosts)
    except ValueError as exc:
        raise InputError(
            [
                Problem(
                    source,
                    None,
                    "maps.tiles" if source != "--tiles" else None,
                    f"{hide_userinfo(url)[:80]!r} is not valid: {exc}",
                )
            ]
        ) from None


def content_security_policy(tiles_origin: str | None = None, *, local_assets: bool = True) -> str:
    """The pages' CSP: scripts and styles from the local asset files and inline, data: images,
    plus the tile server if any. `local_assets=False` (the script-free days page) drops 'self'.
    """
    own = "'self' 'unsafe-inline'" if local_assets else "'unsafe-inline'"
    img = "data:" + (f" {tiles_origin}" if tiles_origin else "")
    return (
        f"default-src 'none'; script-src {own}; style-src {own}; "
        f"img-src {img}; base-uri 'none'; form-action 'none'"
    )


def external_references(page: str) -> list[str]:
    """Resources a page would load from elsewhere: src/href/srcset/data attributes and CSS url()s.

    Links to other local pages (`<a href="2027-01-04/X.html">`) are fine, and so are
    `<script src>` / `<link rel="stylesheet" href>` naming one of our own asset files
    (`assets/leaflet.js`, `../assets/rso_map.css`); anything with a scheme other than data:, a
    protocol-relative URL, any other <link>, a <base>, or a script from anywhere else is reported.
    """
    found: list[str] = []

    class _Scan(HTMLParser):
        in_style = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "link" and _own_asset(a.get("href")) and a.get("rel") == "stylesheet":
                pass  # one of the maps/assets/ styles
            elif tag in ("link", "base", "iframe", "object", "embed"):
                found.append(f"<{tag}>")
            if tag == "script" and "src" in a and not _own_asset(a["src"]):
                found.append(f"script src={(a['src'] or '')[:60]}")
            self.in_style = tag == "style"
            for name, value in attrs:
                v = (value or "").strip().lower()
                if name in ("src", "href", "srcset", "data", "poster", "action") and (
                    re.match(r"^[a-z][a-z0-9+.-]*:", v)
                    and not v.startswith("data:")
                    or v.startswith("//")
                ):
                    found.append(f"{tag} {name}={v[:60]}")
                if name == "style":
                    found.extend(_css_urls(v))

        def handle_data(self, data: str) -> None:
            if self.in_style:
                found.extend(_css_urls(data))

        def handle_endtag(self, tag: str) -> None:
            self.in_style = False

    _Scan().feed(page)
    return found


def _own_asset(url: str | None) -> bool:
    return url is not None and bool(_LOCAL_ASSET.match(url))


def _css_urls(css: str) -> list[str]:
    return [
        f"url({u[:60]})"
        for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", css)
        if not u.startswith("data:")
    ]


# --- folium pages ------------------------------------------------------------------------------


class _Raw(Element):
    """Literal text in a page section (branca's Element would run it through Jinja)."""

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self.text = text


class _Draw(MacroElement):
    """Calls rsoDraw(map, data) once the map exists: the whole page's layers from one blob."""

    _template = Template(
        "{% macro script(this, kwargs) %}rsoDraw({{ this._parent.get_name() }}, {{ this.blob }});{% endmacro %}"
    )

    def __init__(self, blob: str):
        super().__init__()
        self._name = "RsoDraw"
        self.blob = blob


def js_blob(data: Any) -> str:
    """JSON safe to embed in an inline <script>: no `<`, `>`, `&` or JS line separators survive."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    for ch, rep in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, rep)
    return text


_SLOTS = ("title", "before", "after", "data")
_SLOT = re.compile(r"@@RSO_(TITLE|BEFORE|AFTER|DATA)@@")


@functools.cache
def _page_shell(
    heat: bool, tiles: str | None, attribution: str | None, origin: str | None, up: str
) -> str:
    """A rendered Folium page with @@RSO_...@@ slots for the title, body parts and data blob.

    `up` leads from the page's folder to maps/ ("" for index.html, "../" for a crew-day page).
    Rendered once per kind of page and filled per page: Folium compiles Jinja templates on
    every render, which made a month's 400 crew-day pages several times slower.
    """
    m = folium.Map(
        location=[52.0, -1.0], zoom_start=8, tiles=None, control_scale=True, prefer_canvas=False
    )
    # Drop Folium's CDN links (Leaflet, jQuery, Bootstrap, awesome-markers); ours are local.
    m.default_js = []
    m.default_css = []
    if tiles:
        folium.TileLayer(
            tiles=tiles,
            attr=html.escape(attribution or f"Map tiles: {origin}"),  # Leaflet shows it as HTML
            name="Base map",
            control=False,
            max_zoom=19,
            max_native_zoom=19,
        ).add_to(m)
    root = m.get_root()
    assert isinstance(root, Figure)  # folium.Map always sits in a Figure
    # Plain (non-async) tags in <head>: Leaflet must exist before Folium's map script runs.
    base = f"{up}{ASSETS_DIR}/"
    tags = [
        f'<link rel="stylesheet" href="{base}leaflet.css">',
        f'<link rel="stylesheet" href="{base}rso_map.css">',
        f'<script src="{base}leaflet.js"></script>',
        *([f'<script src="{base}leaflet-heat.js"></script>'] if heat else []),
        f'<script src="{base}rso_map.js"></script>',
    ]
    root.header.add_child(_Raw("\n".join(tags)), name="rso_assets")
    root.html.add_child(_Raw("@@RSO_BEFORE@@"), name="rso_before", index=0)
    root.html.add_child(_Raw("@@RSO_AFTER@@"), name="rso_after")
    _Draw("@@RSO_DATA@@").add_to(m)
    page = root.render()
    csp = html.escape(content_security_policy(origin), quote=False)
    head = (
        f'<head>\n<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="referrer" content="no-referrer">\n<title>@@RSO_TITLE@@</title>'
    )
    page = page.replace("<html>", '<html lang="en-GB">', 1).replace("<head>", head, 1)
    if sorted(_SLOT.findall(page)) != sorted(s.upper() for s in _SLOTS):
        raise OutputError("internal: the map page template lost a slot; nothing written")
    _refuse_external(page)
    return page


def _page(
    title: str,
    data: dict[str, Any],
    *,
    body_before: str,
    body_after: str,
    heat: bool,
    tiles: str | None,
    attribution: str | None,
    origin: str | None,
    up: str,
) -> str:
    """One map page: Folium's map, links to maps/assets/, our blob and body parts."""
    # The shell was checked for external loads once; the blob cannot hold markup (js_blob
    # escapes < > &), so only the HTML parts need checking here.
    _refuse_external(body_before + body_after)
    fill = {
        "TITLE": html.escape(title),
        "BEFORE": body_before,
        "AFTER": body_after,
        "DATA": js_blob(data),
    }
    # One pass, so text inserted into one slot is never read as another slot.
    return _SLOT.sub(lambda m: fill[m.group(1)], _page_shell(heat, tiles, attribution, origin, up))


def _refuse_external(page: str) -> None:
    refs = external_references(page)
    if refs:
        # A bug, not a user error: never write a page that would reach the network.
        raise OutputError(
            f"a map page would load {len(refs)} external resource(s) ({refs[0]}); nothing written"
        )


def _static_page(title: str, body: str) -> str:
    """A non-map page (the day index) with the same CSP, banner style and no script at all."""
    page = (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(content_security_policy(local_assets=False), quote=False)}">\n'
        f'<meta name="referrer" content="no-referrer">\n<title>{html.escape(title)}</title>\n'
        f"<style>{_asset('rso_map.css')}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    _refuse_external(page)
    return page


# --- what the pages hold -----------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _rd(x: float) -> float:
    return round(x, 5)  # about a metre: plenty for a map, and keeps the blob small


def _bases(crew: CrewDay, officers: dict[str, Officer]) -> list[tuple[str, tuple[float, float]]]:
    out = []
    for oid in crew.officer_ids:
        o = officers.get(oid)
        if o is not None:
            out.append((oid, (o.base_lat, o.base_lon)))
    return out


def _crew_plan(crew: CrewDay, dataset: Dataset, travel: Travel) -> dict[str, Any]:
    """Route geometry and estimated times of one crew-day (travel by the run's model)."""
    people = dataset.offender_by_id()
    officers = dataset.officer_by_id()
    homes = [home(people[v.offender_id]) for v in crew.visits]
    stops = [h.point for h in homes]
    bases = _bases(crew, officers)
    main = bases[0][1] if bases else stops[0]
    path = [main, *stops, main]
    extra = []
    seen = {main}
    for _, b in bases[1:]:
        if b not in seen:  # a colleague from another station: draw their own legs in and out
            seen.add(b)
            extra.append([b, stops[0]])
            extra.append([stops[-1], b])
    # the same legs as places (travel may be keyed by id, and differ by direction)
    main_at = base(officers[bases[0][0]]) if bases else homes[0]
    route = [main_at, *homes, main_at]
    km = sum(travel.km(a, b) for a, b in zip(route, route[1:], strict=False))
    shown = {main}
    for oid, b in bases[1:]:
        if b not in shown:
            shown.add(b)
            km += travel.km(base(officers[oid]), homes[0]) + travel.km(
                homes[-1], base(officers[oid])
            )
    depart = crew.visits[0].start_min - travel.minutes(main_at, homes[0])
    back = crew.visits[-1].end_min + travel.minutes(homes[-1], main_at)
    # each officer leaves and returns to their own station: a colleague from another station
    # has other times (the crew-day list shows every officer's, not only the first's)
    officer_times = [
        (
            oid,
            crew.visits[0].start_min - travel.minutes(base(officers[oid]), homes[0]),
            crew.visits[-1].end_min + travel.minutes(homes[-1], base(officers[oid])),
        )
        for oid, _ in bases
    ]
    return {
        "path": path,
        "extra": extra,
        "stops": stops,
        "km": km,
        "depart_min": depart,
        "return_min": back,
        "main_officer": bases[0][0] if bases else None,
        "officer_times": officer_times,
    }


def _stations(dataset: Dataset, only: set[str] | None = None) -> list[list[Any]]:
    """Stations as [lat, lon, areas, officer ids] (officers sharing a base share a station)."""
    at: dict[tuple[float, float], list[Officer]] = {}
    for o in dataset.officers:
        if only is None or o.officer_id in only:
            at.setdefault((o.base_lat, o.base_lon), []).append(o)
    out = []
    for (lat, lon), offs in sorted(at.items()):
        areas = sorted({o.area for o in offs if o.area})
        ids = [o.officer_id for o in offs]
        shown = ", ".join(ids[:12]) + (f" and {len(ids) - 12} more" if len(ids) > 12 else "")
        out.append([_rd(lat), _rd(lon), ", ".join(areas), shown])
    return out


def _route_entry(
    crew: CrewDay, plan: dict[str, Any], day_idx: int, crew_idx: int, colour: str, href: str | None
) -> dict[str, Any]:
    stops = [
        [
            _rd(lat),
            _rd(lon),
            n,
            v.offender_id,
            v.risk_level.rank,
            hhmm(v.start_min),
            hhmm(v.end_min),
            v.due_date.isoformat(),
            v.days_late,
            v.visit_id,
        ]
        for n, (v, (lat, lon)) in enumerate(zip(crew.visits, plan["stops"], strict=True), start=1)
    ]
    return {
        "d": day_idx,
        "c": crew_idx,
        "p": [[_rd(a), _rd(b)] for a, b in plan["path"]],
        "x": [[[_rd(a), _rd(b)] for a, b in leg] for leg in plan["extra"]],
        "col": colour,
        "s": stops,
        "t": _times_text(plan),
        "href": href,
    }


def _times_text(plan: dict[str, Any]) -> str:
    """A route's tooltip line: when the crew leaves and is back, per officer where their
    stations differ (each officer leaves and returns to their own)."""

    def span(depart: int, back: int) -> str:
        return f"leave base ~{hhmm(max(0, depart))}, back ~{hhmm(min(24 * 60, back))}"

    times = plan.get("officer_times") or []
    if len({(t[1], t[2]) for t in times}) > 1:
        parts = "; ".join(f"{oid}: {span(d, b)}" for oid, d, b in times)
    else:
        parts = span(plan["depart_min"], plan["return_min"])
    return f"{parts}, ~{plan['km']:.0f} km"


# Town names come from GeoNames (CC BY 4.0; assets/README.md): England and Wales, 10,000 people
# or more. Only towns inside the map's box, widened by this margin, are drawn; the largest
# are placed first so that where names would collide the better known one is kept.
TOWN_MARGIN_DEG = 0.08
MAX_TOWNS = 120


@functools.cache
def _town_table() -> tuple[tuple[str, float, float], ...]:
    """(name, lat, lon) of the bundled towns, largest first."""
    rows = csv.DictReader(io.StringIO(_vendored("towns_england_wales.csv")))
    return tuple((r["name"], float(r["lat"]), float(r["lon"])) for r in rows)


def _towns(bounds: list[list[float]] | None) -> list[list[Any]]:
    """Towns to label inside a map's bounds as [lat, lon, name], largest first."""
    if bounds is None:
        return []
    (lat0, lon0), (lat1, lon1) = bounds
    m = TOWN_MARGIN_DEG
    inside = [
        [lat, lon, name]
        for name, lat, lon in _town_table()
        if lat0 - m <= lat <= lat1 + m and lon0 - m <= lon <= lon1 + m
    ]
    return inside[:MAX_TOWNS]


def _bounds(points: Sequence[tuple[float, float]]) -> list[list[float]] | None:
    if not points:
        return None
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    return [[_rd(min(lats)), _rd(min(lons))], [_rd(max(lats)), _rd(max(lons))]]


def _unscheduled_entries(
    unscheduled: Sequence[MapUnscheduled], dataset: Dataset
) -> tuple[list[Any], list[Any], float]:
    """One marker per person left unscheduled, and heat points weighted by the policy's risk weight."""
    people = dataset.offender_by_id()
    by_person: dict[str, list[MapUnscheduled]] = {}
    for u in unscheduled:
        by_person.setdefault(u.offender_id, []).append(u)
    markers, heat = [], []
    for pid, rows in sorted(by_person.items()):
        p = people[pid]
        rows.sort(key=lambda u: u.due_date)
        worst = min(u.risk_level.rank for u in rows)
        markers.append(
            [
                _rd(p.lat),
                _rd(p.lon),
                pid,
                worst,
                [[u.due_date.isoformat(), u.reason[:160]] for u in rows],
            ]
        )
        weight = sum(dataset.policy.for_risk(u.risk_level).weight for u in rows)
        heat.append([_rd(p.lat), _rd(p.lon), weight])
    heat_max = float(max((h[2] for h in heat), default=1))
    return markers, heat, heat_max


def _legend(
    roster: MapRoster, crews: Sequence[CrewDay], n_people_unscheduled: int, days_link: bool
) -> str:
    """The legend; its figures (`data-count`) follow the days and crews shown on the page."""
    counts = {level: 0 for level in RISK_ORDER}
    for c in crews:
        for v in c.visits:
            counts[v.risk_level] += 1
    late = sum(1 for c in crews for v in c.visits if v.days_late > 0)
    n_visits = sum(len(c.visits) for c in crews)
    rows = ['<div class="rso-shown">Shown: every day</div>'] if days_link else []
    rows += [
        f'<div><span class="sw" style="background:{RISK_COLOURS[level]}"></span>{_e(level.label)} risk '
        f'(<span data-count="risk-{level.rank}">{counts[level]}</span>)</div>'
        for level in RISK_ORDER
    ]
    rows += [
        f'<div><span class="sw sw-late"></span>late visit (thick black ring): <span data-count="late">{late}</span></div>',
        f'<div><span class="sw sw-unsched"></span>person left unscheduled: {n_people_unscheduled}</div>',
        '<div><span class="sw sw-station"></span>police station</div>',
        '<div><span class="sw sw-route"></span>crew route, base to base</div>',
        '<div><span class="sw sw-area"></span>area (homes and stations)</div>',
    ]
    figures = (
        f'<span data-count="visits">{n_visits}</span> visits in '
        f'<span data-count="routes">{len(crews)}</span> crew-days shown; '
        f"{len(roster.unscheduled)} owed visits unscheduled in the whole period. "
        "Numbers show the visiting order when zoomed in; stops at one address are drawn side by side."
    )
    link = '<div><a href="days.html">All crew-day pages</a></div>' if days_link else ""
    return (
        '<div id="rso-legend" class="rso-legend" hidden><h4>Legend</h4>'
        + "".join(rows)
        + f'<div class="figures">{figures}</div>{link}</div>'
    )


def _banner(title: str, links: Sequence[tuple[str, str]] = ()) -> str:
    parts = "".join(f'<a href="{_e(href)}">{_e(text)}</a>' for href, text in links)
    return (
        f'<div class="rso-banner"><strong>{BANNER}</strong><span>{_e(title)}</span>{parts}'
        "<span>Home locations: do not share or leave printed copies unattended.</span></div>"
    )


def _period_text(roster: MapRoster, crews: Sequence[CrewDay]) -> str:
    start = roster.plan_start or (crews[0].date if crews else None)
    end = roster.plan_end or (crews[-1].date if crews else None)
    return f"{start} to {end}" if start and end else "no visits planned"


def _href(day: date, name: str) -> str:
    return quote(f"{day.isoformat()}/{name}.html", safe="/+")


def _break_rows(
    crew: CrewDay, breaks: dict[tuple[str, date], tuple[int, int]]
) -> list[tuple[int, str]]:
    """(start, table row) of each crew officer's refreshment break inside this crew-day."""
    out: list[tuple[int, str]] = []
    for oid in crew.officer_ids:
        b = breaks.get((oid, crew.date))
        if b is None:
            continue
        out.append(
            (
                b[0],
                f'<tr class="base"><td></td><td>{hhmm(b[0])}&ndash;{hhmm(b[1])}</td>'
                f'<td colspan="5">refreshment break{_e(f" ({oid})")}</td></tr>',
            )
        )
    return out


def _crew_list(
    crew: CrewDay,
    plan: dict[str, Any],
    back_prefix: str,
    addresses: Mapping[str, str],
    names: dict[str, str] | None = None,
    breaks: dict[tuple[str, date], tuple[int, int]] | None = None,
) -> str:
    """The printable list beside a crew-day map: order, times, ids (and addresses), risk, due
    dates, refreshment breaks; officers by name where officers.csv has one (`names`: officer id
    -> display name)."""
    names = names or {}
    crew_names = ", ".join(
        f"{names[o]} ({o})" if names.get(o, o) != o else o for o in crew.officer_ids
    )
    times = plan["officer_times"] or [(None, plan["depart_min"], plan["return_min"])]
    one_row = len({(t[1], t[2]) for t in times}) == 1  # one station (or the same times)

    def base_rows(what: str, at: int) -> list[str]:
        if one_row:
            entries = [(", ".join(t[0] for t in times if t[0]), times[0][at])]
        else:
            entries = [(t[0] or "", t[at]) for t in times]
        return [
            f'<tr class="base"><td></td><td>~{hhmm(max(0, min(24 * 60, minute)))}</td>'
            f'<td colspan="5">{what}{_e(f" ({who})") if who else ""}</td></tr>'
            for who, minute in entries
        ]

    rows = base_rows("leave base", 1)
    pauses = sorted(_break_rows(crew, breaks or {}))
    for n, v in enumerate(crew.visits, start=1):
        while pauses and pauses[0][0] < v.start_min:
            rows.append(pauses.pop(0)[1])
        late = f"{v.days_late}" if v.days_late > 0 else ""
        rows.append(
            f'<tr class="{"late" if v.days_late > 0 else ""}"><td>{n}</td>'
            f"<td>{hhmm(v.start_min)}&ndash;{hhmm(v.end_min)}</td><td>{_e(v.offender_id)}"
            f"{_address_line(addresses.get(v.offender_id))}</td>"
            f'<td><span class="chip" style="background:{RISK_COLOURS[v.risk_level]}"></span>{_e(v.risk_level.label)}</td>'
            f"<td>{v.due_date.isoformat()}</td><td>{late}</td><td>{_e(v.kind)}</td></tr>"
        )
    rows.extend(p[1] for p in pauses)
    rows.extend(base_rows("back at base", 2))
    n_late = sum(1 for v in crew.visits if v.days_late > 0)
    return (
        '<aside class="rso-day-list">'
        f"<h1>Crew {_e(crew.crew_id)} &middot; {_e(_day_label(crew.date))}</h1>"
        f'<div class="meta">Officers: {_e(crew_names)}<br>'
        f"{len(crew.visits)} visit{'s' if len(crew.visits) != 1 else ''}"
        f"{f', {n_late} late' if n_late else ''}; about {plan['km']:.0f} km by road (estimate)</div>"
        + (
            f'<div class="why">Why this crew: {_e(crew.formed_because)}</div>'
            if crew.formed_because
            else ""
        )
        + "<table><thead><tr><th>#</th><th>time</th><th>person</th><th>risk</th><th>due</th>"
        "<th>days late</th><th>kind</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
        f'<div class="nav"><a href="{back_prefix}days.html">All crew-days</a> &middot; '
        f'<a href="{back_prefix}index.html">Whole-period map</a></div></aside>'
    )


def _address_line(address: str | None) -> str:
    """A person's address under their id on an officer's page (the data's `address` column)."""
    return f'<br><span class="addr">{_e(address)}</span>' if address else ""


def _days_page(roster: MapRoster, crews: Sequence[CrewDay], names: Sequence[str]) -> str:
    by_day: dict[date, list[tuple[CrewDay, str]]] = {}
    for c, name in zip(crews, names, strict=True):
        by_day.setdefault(c.date, []).append((c, name))
    sections = []
    for day, items in sorted(by_day.items()):
        rows = "".join(
            f'<tr><td><a href="{_e(_href(c.date, name))}">{_e(c.crew_id)}</a></td><td>{len(c.visits)}</td>'
            f"<td>{sum(1 for v in c.visits if v.days_late > 0)}</td>"
            f"<td>{hhmm(c.visits[0].start_min)}&ndash;{hhmm(c.visits[-1].end_min)}</td></tr>"
            for c, name in items
        )
        sections.append(
            f"<h2>{_e(_day_label(day))}</h2><table><thead><tr><th>crew</th><th>visits</th><th>late</th>"
            f"<th>first&ndash;last visit</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    title = f"Crew-day route pages, {_period_text(roster, crews)}"
    body = (
        _banner(title, [("index.html", "Whole-period map")])
        + '<main class="rso-days">'
        + f"<h1>{_e(title)}</h1>"
        + ("".join(sections) or "<p>No visits are planned.</p>")
        + "</main>"
    )
    return _static_page(title, body)


def _keep(earlier: Path, page: Path) -> None:
    """An earlier drawing's page, unchanged, at `page` (a hard link; a private copy if the
    file system will not link)."""
    page.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    try:
        os.link(earlier, page)
    except OSError:
        write_private(page, earlier.read_bytes())


# --- the entry point ---------------------------------------------------------------------------


def write_maps(
    out_dir: Path,
    dataset: Dataset,
    roster: Any = None,
    *,
    tiles: str | None = None,
    attribution: str | None = None,
    day: date | None = None,
    travel: Travel | None = None,
    redraw: Collection[date] | None = None,
    drawn_in: Path | None = None,
) -> list[Path]:
    """Write `out_dir/maps/`: index.html, days.html, `<date>/<crew>.html` per crew-day, and
    the scripts and styles they share in `assets/` (once, not per page).

    index.html opens on one day's routes: `day` if given (it must have routes; else
    `InputError`), otherwise the first day with routes; its day list shows the others.

    `roster` is a `PlanResult`, a `MapRoster`, a roster folder, or None / a roster-files object
    (then `out_dir/roster.csv` is read). `tiles` / `attribution` default to the policy's `maps`
    settings; with no tiles the pages have a plain background. The caller stages `out_dir`.
    `travel` is the run's travel model (None: the straight line). Returns the files written
    (pages and assets).

    `redraw` (with `drawn_in`, the folder whose maps/ an earlier call wrote): only those
    days' crew pages are drawn (a crew-day's page depends on its own day only); every other day's page is the earlier one,
    linked (same file system) or copied unchanged. index.html and days.html, which list every
    day, are always drawn.
    """
    out_dir = Path(out_dir)
    travel = travel_for(travel, dataset.policy)
    if tiles is None:
        tiles, source = dataset.policy.maps.tiles, "policy.toml"
    else:
        source = "--tiles"
    if attribution is None:
        attribution = dataset.policy.maps.attribution
    origin = tile_origin(tiles, source, dataset.policy.maps.tile_hosts) if tiles else None
    mr = as_map_roster(roster, out_dir)
    check_against_dataset(mr, dataset)

    crews = crew_days(mr)
    names = crew_file_names(crews)
    addresses = {o.offender_id: o.address for o in dataset.offenders if o.address}
    officer_names = {o.officer_id: o.display_name for o in dataset.officers}
    days = sorted({c.date for c in crews})
    day_idx = {d: i for i, d in enumerate(days)}
    if day is not None and day not in day_idx:
        span = f"{days[0]} to {days[-1]}" if days else "none"
        raise InputError(
            [Problem("--day", None, None, f"{day} has no routes; days with routes: {span}")]
        )
    crew_ids = sorted({c.crew_id for c in crews})
    crew_idx = {c: i for i, c in enumerate(crew_ids)}
    # a route's colour is its place among its day's crews: distinct on the day the map shows,
    # and a crew-day's page depends on its own day only (so a change redraws only its days)
    on_day: dict[date, list[str]] = {}
    for c in crews:
        on_day.setdefault(c.date, []).append(c.crew_id)
    plans = [_crew_plan(c, dataset, travel) for c in crews]
    risk = [{"label": level.label, "color": RISK_COLOURS[level]} for level in RISK_ORDER]
    areas = [
        {"name": a.name, "ring": [list(p) for p in a.ring], "at": list(a.label_at)}
        for a in area_outlines(dataset)
    ]
    markers, heat, heat_max = _unscheduled_entries(mr.unscheduled, dataset)
    period = _period_text(mr, crews)
    page_args: dict[str, Any] = {"tiles": tiles, "attribution": attribution, "origin": origin}

    routes = [
        _route_entry(
            c,
            p,
            day_idx[c.date],
            crew_idx[c.crew_id],
            ROUTE_COLOURS[on_day[c.date].index(c.crew_id) % len(ROUTE_COLOURS)],
            _href(c.date, n),
        )
        for c, p, n in zip(crews, plans, names, strict=True)
    ]
    drawn = [pt for p in plans for pt in p["path"]] + [(m[0], m[1]) for m in markers]
    everything = [(o.lat, o.lon) for o in dataset.offenders] + [
        (o.base_lat, o.base_lon) for o in dataset.officers
    ]
    index_bounds = _bounds(drawn) or _bounds(everything)
    index_data = {
        "risk": risk,
        "days": [{"label": _day_label(d), "n": sum(1 for c in crews if c.date == d)} for d in days],
        "crews": crew_ids,
        "routes": routes,
        "stations": _stations(dataset),
        "areas": areas,
        "towns": [],
        "unsched": markers,
        "heat": heat,
        "heatMax": heat_max,
        "bounds": index_bounds,
        "numZoom": NUMBERS_FROM_ZOOM,
        "stopRadius": 7,
        "layers": True,
        "filter": True,
        "startDay": day_idx[day] if day is not None else 0,
    }
    index_data["towns"] = _towns(index_bounds)
    maps_dir = out_dir / "maps"
    written: list[Path] = []

    def put(path: Path, text: str) -> None:
        write_private(path, text)
        written.append(path)

    for name, text in asset_files().items():
        put(maps_dir / ASSETS_DIR / name, text)
    title = f"Route maps, {period}"
    put(
        maps_dir / "index.html",
        _page(
            title,
            index_data,
            body_before=_banner(title, [("days.html", "Crew-day pages")]),
            body_after=_legend(mr, crews, len(markers), days_link=True),
            heat=True,
            up="",
            **page_args,
        ),
    )
    put(maps_dir / "days.html", _days_page(mr, crews, names))
    for c, p, n, r in zip(crews, plans, names, routes, strict=True):
        page = maps_dir / c.date.isoformat() / f"{n}.html"
        if redraw is not None and drawn_in is not None and c.date not in redraw:
            earlier = Path(drawn_in) / "maps" / c.date.isoformat() / f"{n}.html"
            if earlier.is_file() and not earlier.is_symlink():
                _keep(earlier, page)
                written.append(page)
                continue
        one = dict(r, d=0, c=0, href=None)
        page_title = f"Crew {c.crew_id}, {_day_label(c.date)}"
        page_bounds = _bounds(p["path"] + [pt for leg in p["extra"] for pt in leg])
        data = {
            "risk": risk,
            "days": [{"label": _day_label(c.date), "n": 1}],
            "crews": [c.crew_id],
            "routes": [one],
            "stations": _stations(dataset, set(c.officer_ids)),
            "areas": [],
            "towns": [],
            "unsched": [],
            "heat": [],
            "heatMax": 1,
            "bounds": page_bounds,
            "numZoom": 0,
            "stopRadius": 10,
            "layers": False,
            "filter": False,
        }
        data["towns"] = _towns(page_bounds)
        put(
            page,
            _page(
                page_title,
                data,
                body_before=_banner(
                    page_title,
                    [("../days.html", "All crew-days"), ("../index.html", "Whole-period map")],
                ),
                body_after=_crew_list(c, p, "../", addresses, officer_names, mr.breaks),
                heat=False,
                up="../",
                **page_args,
            ),
        )
    return written
