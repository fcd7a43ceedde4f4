"""Offline route maps: files, privacy, escaping, counts, tiles and the `rso map` command."""

from __future__ import annotations

import json
import re
import stat
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from rso_scheduler.cli import main
from rso_scheduler.errors import InputError
from rso_scheduler.models import Dataset, Offender, Officer, RiskLevel, VisitKind
from rso_scheduler.outputs.maps import (
    ASSET_SOURCES,
    _leaflet_css,
    content_security_policy,
    external_references,
    write_maps,
)
from rso_scheduler.outputs.maps_data import (
    MapRoster,
    MapVisit,
    area_outlines,
    buffered_hull,
    crew_days,
    crew_file_names,
    read_roster_folder,
)
from rso_scheduler.policy import MapsPolicy, Policy
from rso_scheduler.roster import CrewRoute, OfficerLeg, PlannedVisit, PlanResult, Unscheduled

EVIL = "<script>alert(1)</script>"
HEADER = (
    "visit_id,date,start,end,offender_id,officer_ids,risk_level,due_date,days_late,kind,"
    "seq,pulled_forward,crew_id,offender_manager_on_visit\n"
)
# Two fixed crews over two days, one late visit, an officer id with markup in it.
ROSTER = (
    HEADER
    + "V1,2027-01-04,09:00,10:30,P1,A1;A2,very_high,2027-01-06,0,announced,0,false,A1+A2,true\n"
    + "V2,2027-01-04,11:00,12:15,P2,A1;A2,high,2027-01-01,3,unannounced,0,false,A1+A2,false\n"
    + f'V3,2027-01-04,09:30,10:30,"{EVIL}",B1;B<i>2,medium,2027-01-20,0,announced,0,false,B1+B<i>2,true\n'
    + "V4,2027-01-05,13:00,14:00,P4,A1;A2,low,2027-01-30,0,unannounced,0,false,A1+A2,true\n"
    + "V5,2027-01-05,09:00,10:00,P5,B1;B<i>2,low,2027-01-30,0,announced,0,false,B1+B<i>2,false\n"
    + "V6,2027-01-05,10:30,11:30,P1,B1;B<i>2,very_high,2027-02-03,0,announced,1,false,B1+B<i>2,false\n"
)
UNSCHEDULED = (
    "offender_id,risk_level,due_date,reason\n"
    "P6,high,2027-01-10,capacity: all eligible officers full\n"
    "P6,high,2027-01-28,<b>no officer</b> with skill polish\n"
    "P4,low,2027-01-25,capacity: all eligible officers full\n"
)
CREW_DAYS = 4  # (A1+A2, B1+B<i>2) x (4 Jan, 5 Jan)


def _dataset(policy: Policy | None = None) -> Dataset:
    people = (
        Offender(
            offender_id="P1", risk_level=RiskLevel.very_high, lat=51.455, lon=-0.970, area="Reading"
        ),
        Offender(
            offender_id="P2", risk_level=RiskLevel.high, lat=51.470, lon=-0.990, area="Reading"
        ),
        Offender(
            offender_id=EVIL, risk_level=RiskLevel.medium, lat=51.510, lon=-0.600, area="Slough"
        ),
        Offender(
            offender_id="P4", risk_level=RiskLevel.low, lat=51.440, lon=-0.950, area="Reading"
        ),
        Offender(offender_id="P5", risk_level=RiskLevel.low, lat=51.520, lon=-0.610, area=EVIL),
        Offender(
            offender_id="P6", risk_level=RiskLevel.high, lat=51.500, lon=-0.590, area="Slough"
        ),
    )
    officers = (
        Officer(officer_id="A1", base_lat=51.456, base_lon=-0.971, area="Reading"),
        Officer(officer_id="A2", base_lat=51.456, base_lon=-0.971, area="Reading"),
        Officer(officer_id="B1", base_lat=51.511, base_lon=-0.595, area="Slough"),
        # a colleague from another station: the route must draw their legs too
        Officer(officer_id="B<i>2", base_lat=51.480, base_lon=-0.700, area="Slough"),
    )
    return Dataset(offenders=people, officers=officers, policy=policy or Policy())


def _plan_folder(root: Path, data_dir: Path | None = None, roster: str = ROSTER) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "roster.csv").write_text(roster, encoding="utf-8")
    (root / "unscheduled.csv").write_text(UNSCHEDULED, encoding="utf-8")
    period = {"plan_start": "2027-01-01", "plan_end": "2027-01-31"}
    (root / "summary.json").write_text(json.dumps(period), encoding="utf-8")
    run = dict(period, data_dir=str(data_dir) if data_dir else None)
    (root / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return root


def _blob(page: str) -> dict:
    """The data blob a page hands to rsoDraw."""
    m = re.search(r"rsoDraw\(\w+, (\{.*?\})\);", page, flags=re.S)
    assert m, "no rsoDraw call in the page"
    return json.loads(m.group(1))


def _resource_refs(page: str) -> list[str]:
    """Every src/href/srcset attribute of a real tag, <link> tags, and url() in styles."""
    refs: list[str] = []

    class Scan(HTMLParser):
        style = False

        def handle_starttag(self, tag, attrs):
            self.style = tag == "style"
            if tag == "link":
                refs.append("<link>")
            for name, value in attrs:
                if name in ("src", "href", "srcset") and value is not None:
                    refs.append(value)
                if name == "style" and value:
                    refs.extend(re.findall(r"url\(([^)]*)\)", value))

        def handle_data(self, data):
            if self.style:
                refs.extend(re.findall(r"url\(([^)]*)\)", data))

    Scan().feed(page)
    return refs


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, list[Path]]:
    out = _plan_folder(tmp_path / "out")
    return out, write_maps(out, _dataset())


def test_writes_index_days_and_a_page_per_crew_day(written):
    """index.html, days.html and one page per crew-day under maps/<date>/."""
    out, files = written
    maps = out / "maps"
    assert (maps / "index.html").is_file() and (maps / "days.html").is_file()
    pages = sorted(p.relative_to(maps).as_posix() for p in maps.glob("*/*.html"))
    assert pages == [
        "2027-01-04/A1+A2.html",
        "2027-01-04/B1+B_i_2.html",
        "2027-01-05/A1+A2.html",
        "2027-01-05/B1+B_i_2.html",
    ]
    assert sorted(files) == sorted(p for p in maps.rglob("*") if p.is_file())
    assert sorted(p.name for p in (maps / "assets").iterdir()) == sorted(ASSET_SOURCES)


def test_days_page_links_every_crew_day_relatively(written):
    """days.html links each crew-day page by a relative path that exists."""
    out, _ = written
    links = [
        r for r in _resource_refs((out / "maps" / "days.html").read_text()) if r.startswith("2027")
    ]
    assert len(links) == CREW_DAYS
    for link in links:
        assert (out / "maps" / link.replace("%3C", "<")).is_file()


def test_files_and_folders_are_owner_only(written):
    """Every page is 0600 and every folder 0700."""
    out, _ = written
    for p in (out / "maps").rglob("*"):
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o700 if p.is_dir() else 0o600), p


def test_pages_load_nothing_from_elsewhere(written):
    """No tag or style refers to an http(s) or protocol-relative resource; no CDN is named."""
    out, _ = written
    for page_path in (out / "maps").rglob("*.html"):
        page = page_path.read_text()
        for ref in _resource_refs(page):
            assert not re.match(r"^\s*(https?:)?//", ref, flags=re.I), (page_path.name, ref)
        # scripts and styles come only from maps/assets/, by a relative URL that exists
        loaded = re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page)
        for ref in loaded:
            target = (page_path.parent / ref).resolve()
            assert target.parent == (out / "maps" / "assets").resolve(), (page_path.name, ref)
            assert target.is_file(), (page_path.name, ref)
        assert page.lower().count("<script src") == page.lower().count('<script src="')
        assert len(loaded) == page.lower().count("<script src") + page.lower().count("<link")
        for cdn in (
            "jsdelivr",
            "code.jquery",
            "bootstrapcdn",
            "cdnjs",
            "unpkg",
            "tile.openstreetmap",
        ):
            assert cdn not in page.lower(), (page_path.name, cdn)
        assert "default-src 'none'" in page
        assert "OFFICIAL-SENSITIVE" in page


def test_vendored_leaflet_is_written_once_with_its_licence(written):
    """Leaflet 1.9.4 and Leaflet.heat are written once to maps/assets/ with their BSD licences, not into pages."""
    out, _ = written
    shared = out / "maps" / "assets"
    assert "Leaflet 1.9.4" in (shared / "leaflet.js").read_text()
    assert "L.heatLayer=" in (shared / "leaflet-heat.js").read_text()
    assert "Agafonkin" in (shared / "LICENSE-leaflet.txt").read_text()
    assert "Vladimir Agafonkin" in (shared / "LICENSE-leaflet.heat.txt").read_text()
    assert (shared / "leaflet.css").read_text() == _leaflet_css()
    index = (out / "maps" / "index.html").read_text()
    day = (out / "maps" / "2027-01-04" / "A1+A2.html").read_text()
    assert '<script src="assets/leaflet-heat.js">' in index
    assert '<script src="../assets/leaflet.js">' in day and "leaflet-heat" not in day
    for page in (index, day):
        assert "Leaflet 1.9.4" not in page and "L.heatLayer=" not in page
    assert len(day) < 30_000  # was ~190 KB with Leaflet inlined


def test_markup_in_ids_appears_only_escaped(written):
    """An id such as <script>alert(1)</script> never reaches a page as markup."""
    out, _ = written
    for page_path in (out / "maps").rglob("*.html"):
        page = page_path.read_text()
        assert EVIL not in page, page_path
        assert "<b>no officer</b>" not in page
        assert "B<i>2" not in page
    day_page = (out / "maps" / "2027-01-04" / "B1+B_i_2.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in day_page  # in the printable list
    index = (out / "maps" / "index.html").read_text()
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in index  # in the data blob
    assert EVIL in json.dumps(_blob(index), ensure_ascii=False)  # and decodes back intact


def test_town_names_label_the_maps_area_only(written):
    """Without tiles there are town names to navigate by: the bundled towns inside the map's box."""
    out, _ = written
    blob = _blob((out / "maps" / "index.html").read_text())
    names = [t[2] for t in blob["towns"]]
    assert "Reading" in names and "Slough" in names
    assert "Manchester" not in names and "London" not in names  # far outside the Reading-Slough box
    (lat0, lon0), (lat1, lon1) = blob["bounds"]
    assert all(
        lat0 - 0.1 <= t[0] <= lat1 + 0.1 and lon0 - 0.1 <= t[1] <= lon1 + 0.1 for t in blob["towns"]
    )
    page = next((out / "maps").glob("2027-*/*.html")).read_text()
    assert _blob(page)["towns"] is not None
    assert "Town names" in (out / "maps" / "assets" / "rso_map.js").read_text()


def test_index_holds_every_stop_route_and_layer(written):
    """The index blob has a route per crew-day, a stop per visit and the thematic layers."""
    out, _ = written
    blob = _blob((out / "maps" / "index.html").read_text())
    assert len(blob["routes"]) == CREW_DAYS
    assert sum(len(r["s"]) for r in blob["routes"]) == 6
    assert [d["label"] for d in blob["days"]] == ["Mon 4 Jan 2027", "Tue 5 Jan 2027"]
    assert blob["crews"] == ["A1+A2", "B1+B<i>2"]
    assert sorted(u[2] for u in blob["unsched"]) == ["P4", "P6"]  # one marker per person
    assert len(blob["heat"]) == 2
    assert {a["name"] for a in blob["areas"]} == {"Reading", "Slough", EVIL}
    assert len(blob["stations"]) == 3  # A1 and A2 share a station
    late = [s for r in blob["routes"] for s in r["s"] if s[8] > 0]
    assert [s[9] for s in late] == ["V2"]


def test_stops_are_numbered_in_visiting_order(written):
    """Within a crew-day, stops are numbered 1.. by start time, and the route runs base to base."""
    out, _ = written
    blob = _blob((out / "maps" / "index.html").read_text())
    route = next(r for r in blob["routes"] if blob["crews"][r["c"]] == "B1+B<i>2" and r["d"] == 1)
    assert [(s[2], s[9]) for s in route["s"]] == [(1, "V5"), (2, "V6")]
    assert route["p"][0] == route["p"][-1] == [51.511, -0.595]
    # the second officer's station differs: both of its legs are drawn
    assert route["x"] == [[[51.48, -0.7], route["p"][1]], [route["p"][-2], [51.48, -0.7]]]


def test_tooltips_never_carry_coordinates(written):
    """Text shown in tooltips and lists is ids, risk, times and dates: no coordinates."""
    out, _ = written
    day_page = (out / "maps" / "2027-01-04" / "A1+A2.html").read_text()
    listing = day_page[day_page.index('<aside class="rso-day-list">') : day_page.index("</aside>")]
    assert "51.4" not in listing and "-0.9" not in listing
    blob = _blob((out / "maps" / "index.html").read_text())
    for r in blob["routes"]:
        for s in r["s"]:
            assert not any(isinstance(x, str) and re.search(r"\d+\.\d{3}", x) for x in s)


def test_crew_day_page_lists_order_times_and_due_dates(written):
    """A crew-day page lists each visit in order with its times, person, risk and due date."""
    out, _ = written
    page = (out / "maps" / "2027-01-04" / "A1+A2.html").read_text()
    rows = re.findall(
        r"<tr class=\"(?:late)?\"><td>(\d)</td><td>([\d:]+)&ndash;([\d:]+)</td><td>([^<]+)</td>",
        page,
    )
    assert rows == [("1", "09:00", "10:30", "P1"), ("2", "11:00", "12:15", "P2")]
    assert "2027-01-01" in page and 'href="../assets/rso_map.css"' in page
    assert "@media print" in (out / "maps" / "assets" / "rso_map.css").read_text()
    assert len(_blob(page)["routes"]) == 1


def test_tiles_option_adds_the_server_and_nothing_else(tmp_path):
    """--tiles puts the tile URL in the page and its origin (only) in the CSP; attribution is escaped."""
    out = _plan_folder(tmp_path / "out")
    url = "https://{s}.tiles.force.example/{z}/{x}/{y}.png"
    policy = Policy(maps=MapsPolicy(tile_hosts=("*.tiles.force.example",)))
    write_maps(out, _dataset(policy), tiles=url, attribution="<b>Force GIS</b>")
    page = (out / "maps" / "index.html").read_text()
    assert url in page and "L.tileLayer(" in page
    assert "img-src data: https://*.tiles.force.example;" in page
    assert "<b>Force GIS</b>" not in page
    untiled = _plan_folder(tmp_path / "plain")
    write_maps(untiled, _dataset())
    assert "L.tileLayer(" not in (untiled / "maps" / "index.html").read_text()


def test_policy_maps_tiles_are_the_default(tmp_path):
    """policy.toml [maps] tiles is used when no tiles are given."""
    out = _plan_folder(tmp_path / "out")
    policy = Policy(
        maps=MapsPolicy(
            tile_hosts=("gis.force.example",),
            tiles="https://gis.force.example:8443/t/{z}/{x}/{y}.png",
        )
    )
    write_maps(out, _dataset(policy))
    page = (out / "maps" / "2027-01-05" / "A1+A2.html").read_text()
    assert "https://gis.force.example:8443/t/{z}/{x}/{y}.png" in page
    assert "img-src data: https://gis.force.example:8443;" in page


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)//{z}/{x}/{y}",
        "https://tiles.example/{z}/{x}.png",
        "//tiles.example/{z}/{x}/{y}.png",
        'https://tiles.example/{z}/{x}/{y}.png"onload=x',
        "file:///srv/tiles/{z}/{x}/{y}.png",
    ],
)
def test_bad_tile_urls_are_refused(tmp_path, url):
    """Only http(s) tile templates with {z}/{x}/{y} are accepted, with a clear message."""
    out = _plan_folder(tmp_path / "out")
    with pytest.raises(InputError) as exc:
        write_maps(out, _dataset(), tiles=url)
    assert "tile URL template" in exc.value.report()
    assert not (out / "maps").exists()


def test_roster_from_another_data_folder_is_a_located_error(tmp_path):
    """A person the data folder does not know is reported by file, line and column, without coordinates."""
    roster = (
        ROSTER
        + "V7,2027-01-05,15:00,16:00,P99,A1;A2,low,2027-01-30,0,announced,0,false,A1+A2,true\n"
    )
    out = _plan_folder(tmp_path / "out", roster=roster)
    with pytest.raises(InputError) as exc:
        write_maps(out, _dataset())
    report = exc.value.report()
    assert "roster.csv:8 offender_id: 'P99' is not in offenders.csv" in report
    assert "51." not in report


def test_plan_result_draws_the_same_routes_as_its_files(tmp_path):
    """A PlanResult straight from the planner gives the same crew-days as the roster read back."""
    folder = read_roster_folder(_plan_folder(tmp_path / "out"))
    visits = [
        PlannedVisit(
            v.visit_id,
            v.date,
            v.start_min,
            v.end_min,
            v.offender_id,
            v.officer_ids,
            v.risk_level,
            v.due_date,
            VisitKind.announced,
        )
        for v in folder.visits
    ]
    routes = [
        CrewRoute(
            c.date,
            c.crew_id,
            c.officer_ids,
            tuple(v.visit_id for v in c.visits),
            (OfficerLeg("x", 0, 0, 0, 0.0),),
        )
        for c in crew_days(folder)
    ]
    owed = [Unscheduled("P6", RiskLevel.high, date(2027, 1, 10), "capacity")]
    result = PlanResult(date(2027, 1, 1), date(2027, 1, 31), visits, owed, routes, 7, 0.0, 0, 1.0)
    files = write_maps(tmp_path / "direct", _dataset(), result)
    assert sorted(p.name for p in files if p.parent.name.startswith("2027")) == [
        "A1+A2.html",
        "A1+A2.html",
        "B1+B_i_2.html",
        "B1+B_i_2.html",
    ]
    blob = _blob((tmp_path / "direct" / "maps" / "index.html").read_text())
    assert [u[2] for u in blob["unsched"]] == ["P6"]


def _visit(vid: str, day: int, start_h: int, officers: str, crew: str | None) -> MapVisit:
    return MapVisit(
        vid,
        date(2027, 1, day),
        start_h * 60,
        start_h * 60 + 60,
        "P1",
        tuple(officers.split(";")),
        RiskLevel.low,
        date(2027, 1, 20),
        0,
        crew_id=crew,
    )


def test_fixed_crews_group_by_date_and_crew_id():
    """A crew that stays together all day is one crew-day, stops in start order."""
    roster = MapRoster([_visit("b", 4, 11, "A;B", "A+B"), _visit("a", 4, 9, "A;B", "A+B")], [])
    (crew,) = crew_days(roster)
    assert crew.crew_id == "A+B" and crew.officer_ids == ("A", "B")
    assert [v.visit_id for v in crew.visits] == ["a", "b"]


def test_changing_pairs_give_each_officer_their_own_route():
    """When pairs change during the day (greedy), each officer's real day is drawn, not the pairs."""
    roster = MapRoster(
        [
            _visit("1", 4, 9, "A;B", "A+B"),
            _visit("2", 4, 11, "A;C", "A+C"),
            _visit("3", 4, 13, "B;A", "B+A"),
        ],
        [],
    )
    got = {c.crew_id: [v.visit_id for v in c.visits] for c in crew_days(roster)}
    assert got == {"A": ["1", "2", "3"], "B": ["1", "3"], "C": ["2"]}


def test_missing_crew_id_groups_by_officers():
    """Without crew_id the officers on the visits define the crew."""
    roster = MapRoster([_visit("1", 4, 9, "A;B", None), _visit("2", 4, 12, "A;B", None)], [])
    assert [(c.crew_id, len(c.visits)) for c in crew_days(roster)] == [("A+B", 2)]


def test_crew_file_names_are_safe_and_distinct():
    """Crew ids become safe, distinct file names within a day."""
    roster = MapRoster(
        [
            _visit("1", 4, 9, "../x", "../x"),
            _visit("2", 4, 9, "._x", "._x"),
            _visit("3", 4, 9, "a/b", "a/b"),
        ],
        [],
    )
    names = crew_file_names(crew_days(roster))
    assert len(set(names)) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_+-][A-Za-z0-9._+-]*", n) for n in names)


def test_area_outline_contains_its_homes_and_stations():
    """Each area's buffered hull encloses its homes and stations, with the label among its homes."""
    ds = _dataset()
    outlines = {a.name: a for a in area_outlines(ds)}
    reading = outlines["Reading"]
    lats = [p[0] for p in reading.ring]
    lons = [p[1] for p in reading.ring]
    for o in ds.offenders:
        if o.area == "Reading":
            assert min(lats) < o.lat < max(lats) and min(lons) < o.lon < max(lons)
    assert 51.44 < reading.label_at[0] < 51.47
    assert len(buffered_hull([(51.0, -1.0)], 1.0)) == 16  # a lone point gives a small polygon


def test_cli_map_redraws_maps_atomically(tmp_path, tiny_dir):
    """`rso map OUT` reads run.json's data_dir, replaces the tool's maps (the user's files stay)."""
    roster = (
        HEADER
        + "V1,2027-01-05,09:00,10:30,P001,TV001;TV002,very_high,2027-01-10,0,announced,0,false,TV001+TV002,true\n"
        + "V2,2027-01-05,11:00,12:15,P002,TV001;TV002,high,2027-01-02,3,unannounced,0,false,TV001+TV002,true\n"
    )
    out = _plan_folder(tmp_path / "out", data_dir=tiny_dir, roster=roster)
    (out / "unscheduled.csv").write_text(
        "offender_id,risk_level,due_date,reason\n", encoding="utf-8"
    )
    (out / "maps").mkdir()
    (out / "maps" / "stale.html").write_text("old", encoding="utf-8")
    (out / "maps" / "notes.txt").write_text("the user's own", encoding="utf-8")
    # The manifest says which of these an earlier run of the tool wrote.
    (out / ".rso-manifest.json").write_text(
        json.dumps({"tool": "rso-scheduler", "paths": ["maps", "maps/stale.html"]})
    )
    result = CliRunner().invoke(main, ["map", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "index.html" in result.output
    assert not (out / "maps" / "stale.html").exists()
    assert (out / "maps" / "notes.txt").read_text(encoding="utf-8") == "the user's own"
    assert (out / "maps" / "2027-01-05" / "TV001+TV002.html").is_file()
    tiled_args = [
        "map",
        str(out),
        "--data",
        str(tiny_dir),
        "--quiet",
        "--tiles",
        "https://t.example/{z}/{x}/{y}.png",
    ]
    tiled = CliRunner().invoke(main, tiled_args)
    assert tiled.exit_code == 2 and "[maps] tile_hosts" in tiled.output  # not the force's
    assert "https://t.example/" not in (out / "maps" / "index.html").read_text()
    (tiny_dir / "policy.toml").write_text("[maps]\ntile_hosts = ['t.example']\n")
    tiled = CliRunner().invoke(main, tiled_args)
    assert tiled.exit_code == 0, tiled.output
    assert "https://t.example/{z}/{x}/{y}.png" in (out / "maps" / "index.html").read_text()


def test_index_opens_on_the_first_day_or_the_chosen_one(tmp_path):
    """index.html starts on the first day with routes; --day picks another; a day without routes is refused."""
    out = _plan_folder(tmp_path / "out")
    write_maps(out, _dataset())
    assert _blob((out / "maps" / "index.html").read_text())["startDay"] == 0
    write_maps(out, _dataset(), day=date(2027, 1, 5))
    blob = _blob((out / "maps" / "index.html").read_text())
    assert blob["startDay"] == 1 and blob["days"][1]["label"] == "Tue 5 Jan 2027"
    with pytest.raises(InputError) as info:
        write_maps(out, _dataset(), day=date(2027, 1, 9))
    assert "2027-01-09 has no routes; days with routes: 2027-01-04 to 2027-01-05" in str(
        info.value.problems[0]
    )


def test_cli_map_day_option(tmp_path, tiny_dir):
    """`rso map OUT --day` opens the map on that day; a day with no routes exits 2, one line."""
    roster = (
        HEADER
        + "V1,2027-01-05,09:00,10:30,P001,TV001;TV002,very_high,2027-01-10,0,announced,0,false,TV001+TV002,true\n"
        + "V2,2027-01-06,11:00,12:15,P002,TV001;TV002,high,2027-01-02,3,unannounced,0,false,TV001+TV002,true\n"
    )
    out = _plan_folder(tmp_path / "out", data_dir=tiny_dir, roster=roster)
    (out / "unscheduled.csv").write_text(
        "offender_id,risk_level,due_date,reason\n", encoding="utf-8"
    )
    ok = CliRunner().invoke(main, ["map", str(out), "--quiet", "--day", "2027-01-06"])
    assert ok.exit_code == 0, ok.output
    assert _blob((out / "maps" / "index.html").read_text())["startDay"] == 1
    bad = CliRunner().invoke(main, ["map", str(out), "--quiet", "--day", "2027-01-07"])
    assert bad.exit_code == 2 and "has no routes" in bad.output and "Traceback" not in bad.output


def test_cli_map_bad_input_is_one_clear_message(tmp_path, tiny_dir):
    """A folder with no roster, or a bad --tiles, exits 2 with a message and no traceback."""
    empty = CliRunner().invoke(main, ["map", str(tmp_path / "nothing")])
    assert (
        empty.exit_code == 2 and "no roster.csv" in empty.output and "Traceback" not in empty.output
    )
    out = _plan_folder(tmp_path / "out", data_dir=tiny_dir, roster=HEADER)
    (out / "unscheduled.csv").write_text(
        "offender_id,risk_level,due_date,reason\n", encoding="utf-8"
    )
    bad = CliRunner().invoke(main, ["map", str(out), "--tiles", "https://x/{z}.png"])
    assert bad.exit_code == 2 and "tile URL template" in bad.output
    assert not (out / "maps").exists()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "public tile server (OpenStreetMap)"),
        ("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png", "(CARTO)"),
        ("https://server.arcgisonline.com/t/{z}/{y}/{x}", "(Esri / ArcGIS Online)"),
        ("http://tiles.force.example/{z}/{x}/{y}.png", "plain http:// is refused"),
        ("https://u:pw@tiles.force.example/{z}/{x}/{y}.png", "user name or password"),
    ],
)
def test_cli_map_refuses_public_and_plain_http_tiles(
    tmp_path: Path, tiny_dir: Path, url: str, words: str
) -> None:
    """`rso map --tiles` refuses public tile hosts, http:// and user@, before drawing anything."""
    out = _plan_folder(tmp_path / "out", data_dir=tiny_dir, roster=HEADER)
    result = CliRunner().invoke(main, ["map", str(out), "--tiles", url, "-q"])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert ":pw@" not in result.output  # a password is never echoed
    assert not (out / "maps").exists()


def test_cli_plan_refuses_public_tiles_in_policy_with_its_line(
    tmp_path: Path, tiny_dir: Path
) -> None:
    """A public `[maps] tiles` in policy.toml stops `rso plan` and `rso validate` at that line."""
    (tiny_dir / "policy.toml").write_text(
        "[maps]\nattribution = 'x'\ntiles = 'https://a.tile.openstreetmap.org/{z}/{x}/{y}.png'\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    for argv in (
        ["plan", str(tiny_dir), "--month", "2027-01", "--out", str(out), "--solver", "greedy"],
        ["validate", str(tiny_dir)],
    ):
        result = CliRunner().invoke(main, [*argv, "--today", "2026-11-20", "-q"])
        assert result.exit_code == 2, result.output
        assert "policy.toml:3 maps.tiles:" in result.output
        assert "public tile server (OpenStreetMap)" in result.output
    assert not out.exists()


def test_cli_map_help_has_an_example():
    """`rso map --help` shows an example."""
    result = CliRunner().invoke(main, ["map", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "rso map out" in result.output


@pytest.mark.slow
def test_force_size_month_stays_light(tmp_path):
    """About 1,600 visits in 400 crew-days: the index stays well under 1 MB."""
    import random

    rnd = random.Random(3)
    people = tuple(
        Offender(
            offender_id=f"P{i:04d}",
            risk_level=rnd.choice(list(RiskLevel)),
            lat=51.4 + rnd.random() * 0.3,
            lon=-1.2 + rnd.random() * 0.6,
            area=f"Area {i % 6}",
        )
        for i in range(2000)
    )
    officers = tuple(
        Officer(officer_id=f"O{j:02d}", base_lat=51.5, base_lon=-0.9 + j * 0.01) for j in range(40)
    )
    ds = Dataset(offenders=people, officers=officers, policy=Policy())
    rows = []
    n = 0
    for day in range(20):
        for crew in range(20):
            a, b = f"O{2 * crew:02d}", f"O{2 * crew + 1:02d}"
            for k in range(4):
                p = people[n % len(people)]
                n += 1
                rows.append(
                    f"V{n},2027-01-{day + 4:02d},{9 + 2 * k:02d}:00,{10 + 2 * k:02d}:00,{p.offender_id},{a};{b},"
                    f"{p.risk_level.value},2027-01-20,0,announced,0,false,{a}+{b},true\n"
                )
    out = _plan_folder(tmp_path / "out", roster=HEADER + "".join(rows))
    (out / "unscheduled.csv").write_text(
        "offender_id,risk_level,due_date,reason\n", encoding="utf-8"
    )
    files = write_maps(out, ds)
    assert len(files) == 2 + 400 + len(ASSET_SOURCES)
    assert (out / "maps" / "index.html").stat().st_size < 1_000_000
    # Leaflet once, not per page: the month was ~73 MB when every page inlined it.
    assert sum(p.stat().st_size for p in files) < 8_000_000


def test_empty_roster_still_draws_the_period(tmp_path):
    """A plan with no visits writes index.html and days.html only, framing the whole caseload."""
    out = _plan_folder(tmp_path / "out", roster=HEADER)
    (out / "unscheduled.csv").write_text(
        "offender_id,risk_level,due_date,reason\n", encoding="utf-8"
    )
    files = write_maps(out, _dataset())
    assert sorted(p.name for p in files if p.suffix == ".html") == ["days.html", "index.html"]
    blob = _blob((out / "maps" / "index.html").read_text())
    assert blob["routes"] == [] and blob["heat"] == [] and blob["bounds"] is not None
    assert "No visits are planned." in (out / "maps" / "days.html").read_text()


def test_rso_map_draws_a_real_plan(tmp_path, tiny_dir):
    """`rso plan` (greedy) then `rso map`: a page per route the planner wrote, every visit drawn."""
    out = tmp_path / "out"
    plan = CliRunner().invoke(
        main,
        ["plan", str(tiny_dir), "--month", "2027-01", "--out", str(out), "--solver", "greedy"]
        + ["--no-maps", "--quiet"],
    )
    assert plan.exit_code == 0, plan.output
    assert not (out / "maps").exists()
    drawn = CliRunner().invoke(main, ["map", str(out), "--quiet"])
    assert drawn.exit_code == 0, drawn.output
    folder = read_roster_folder(out)
    blob = _blob((out / "maps" / "index.html").read_text())
    drawn_visits = {s[9] for r in blob["routes"] for s in r["s"]}
    assert drawn_visits == {v.visit_id for v in folder.visits} and drawn_visits
    assert (
        len(list((out / "maps").glob("*/*.html"))) == len(blob["routes"]) == len(crew_days(folder))
    )


@pytest.mark.parametrize(
    ("page", "bad"),
    [
        ('<script src="https://cdn.example/l.js"></script>', True),
        ('<link rel="stylesheet" href="l.css">', True),
        ('<link rel="stylesheet" href="assets/leaflet.css">', False),
        ('<link rel="stylesheet" href="../assets/rso_map.css">', False),
        ('<link rel="icon" href="assets/leaflet.css">', True),
        ('<link rel="stylesheet" href="../../assets/leaflet.css">', True),
        ('<link rel="stylesheet" href="/assets/leaflet.css">', True),
        ('<script src="assets/leaflet.js"></script>', False),
        ('<script src="../assets/leaflet-heat.js"></script>', False),
        ('<script src="assets/other.js"></script>', True),
        ('<script src="file:///tmp/maps/assets/leaflet.js"></script>', True),
        ('<script src="assets/LICENSE-leaflet.txt"></script>', True),
        ('<img src="//cdn.example/x.png">', True),
        ("<style>.a{background:url(http://x/y.png)}</style>", True),
        ('<div style="background:url(images/x.png)"></div>', True),
        ('<a href="2027-01-04/A1+A2.html">A1+A2</a>', False),
        ('<img src="data:image/png;base64,AAAA">', False),
        ("<script>var a = '<a href=\"https://leafletjs.com\">';</script>", False),
    ],
)
def test_external_reference_guard(page, bad):
    """The writer's last check flags any resource load, and only resource loads."""
    assert bool(external_references(page)) is bad


def test_csp_allows_own_files_inline_and_the_tile_server_only():
    """The CSP: 'self' and inline for scripts and styles, data: images and the tile origin; nothing broad."""
    csp = content_security_policy("https://*.tiles.force.example")
    assert csp.startswith("default-src 'none';")
    assert "script-src 'self' 'unsafe-inline';" in csp
    assert "img-src data: https://*.tiles.force.example;" in csp
    assert "*;" not in csp and " * " not in csp and "file:" not in csp and "http:" not in csp
    assert "'self'" not in content_security_policy(local_assets=False)


def test_vendored_css_loses_its_image_urls():
    """Leaflet's CSS is inlined without its marker and layer images (no image may load)."""
    css = _leaflet_css()
    assert ".leaflet-control-layers-toggle" in css
    assert "images/" not in css and not re.search(r"url\((?!\s*['\"]?data:)", css)


def test_crew_day_page_gives_each_station_its_own_leave_and_return_times(written):
    """A colleague from another station leaves and returns at their own times; one station, one row."""
    out, _ = written
    same = (out / "maps" / "2027-01-04" / "A1+A2.html").read_text()
    assert len(re.findall(r"leave base \(A1, A2\)", same)) == 1
    assert len(re.findall(r"back at base \(A1, A2\)", same)) == 1
    pages = [p for p in (out / "maps" / "2027-01-05").glob("*.html") if p.name != "A1+A2.html"]
    assert len(pages) == 1
    two = pages[0].read_text()
    leave = re.findall(r"~(\d\d:\d\d)</td><td colspan=\"5\">leave base \(([^)]+)\)", two)
    back = re.findall(r"~(\d\d:\d\d)</td><td colspan=\"5\">back at base \(([^)]+)\)", two)
    assert [o for _, o in leave] == ["B1", "B&lt;i&gt;2"] == [o for _, o in back]
    assert leave[0][0] != leave[1][0]  # B<i>2's station is farther from the first stop


def test_route_tooltip_gives_each_stations_times():
    """A crew from two stations: the route's tooltip gives each officer's own leave and back times."""
    from rso_scheduler.outputs.maps import _times_text

    one = {
        "officer_times": [("A", 500, 900), ("B", 500, 900)],
        "depart_min": 500,
        "return_min": 900,
        "km": 12.4,
    }
    assert _times_text(one) == "leave base ~08:20, back ~15:00, ~12 km"
    two = dict(one, officer_times=[("A", 500, 900), ("W", 470, 950)])
    assert _times_text(two) == (
        "A: leave base ~08:20, back ~15:00; W: leave base ~07:50, back ~15:50, ~12 km"
    )


def test_crew_day_page_says_why_the_crew_was_formed(tmp_path):
    """The crew-day page shows crews.csv's reason, HTML-escaped; other crew-days show none."""
    out = _plan_folder(tmp_path / "out")
    (out / "crews.csv").write_text(
        f'date,crew_id,officer_ids,formed_because\n2027-01-04,A1+A2,A1;A2,"paired for {EVIL}"\n',
        encoding="utf-8",
    )
    write_maps(out, _dataset())
    page = (out / "maps" / "2027-01-04" / "A1+A2.html").read_text()
    assert "Why this crew: paired for &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert f"paired for {EVIL}" not in page  # never raw
    other = (out / "maps" / "2027-01-05" / "A1+A2.html").read_text()
    assert "Why this crew" not in other


def test_plan_folder_without_crews_csv_shows_no_reason(written):
    """An older plan folder (no crews.csv) still draws, with no reason line and no error."""
    out, _ = written
    assert not (out / "crews.csv").exists()
    assert "Why this crew" not in (out / "maps" / "2027-01-04" / "A1+A2.html").read_text()
