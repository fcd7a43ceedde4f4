"""policy.toml: defaults, overrides, every kind of error with its line, and scenario overrides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rso_scheduler.errors import PolicyError
from rso_scheduler.policy import DEFAULT_RISK, Policy, apply_overrides, load_policy, parse_policy


def problems_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    return [str(p) for p in info.value.problems]


def test_defaults_match_the_contract() -> None:
    """The built-in defaults are the contract's figures."""
    p = Policy()
    got = {
        k: (r.interval_days, r.window_days, r.visit_minutes, r.two_officers, r.weight)
        for k, r in p.risk.items()
    }
    assert got == {
        "very_high": (30, 10, 90, True, 8),
        "high": (91, 30, 75, True, 4),
        "medium": (182, 45, 60, True, 2),
        "low": (365, 60, 60, True, 1),
    }
    assert (p.visits.first_visit_days, p.visits.unannounced_share) == (14, 0.5)
    assert (p.travel.model, p.travel.circuity, p.travel.speed_kmh) == ("haversine", 1.35, 40.0)
    assert p.areas.mode == "prefer"
    assert p.planner.continuity_minutes == 30


def test_continuity_minutes_is_read_and_recorded() -> None:
    """`[planner] continuity_minutes` is read (0 and 1,000 included) and changes the digest."""
    assert parse_policy("[planner]\ncontinuity_minutes = 0\n").planner.continuity_minutes == 0
    given = parse_policy("[planner]\ncontinuity_minutes = 1000\n")
    assert given.planner.continuity_minutes == 1000
    assert given.as_dict()["planner"] == {"continuity_minutes": 1000, "max_leg_minutes": 90}
    assert given.digest() != Policy().digest()


def test_continuity_minutes_stays_below_a_late_day() -> None:
    """The largest accepted continuity weight is below the cost of one risk-weighted late day."""
    from rso_scheduler.policy import MAX_CONTINUITY_MIN
    from rso_scheduler.solver.assign import W_LATE

    assert MAX_CONTINUITY_MIN < W_LATE


LEG_RANGE_MSG = (
    "expected 0 (no limit) or a whole number of minutes from 30 to 600: the longest drive "
    "from an officer's base to a visit (or back) the planner uses before it would rather leave "
    "the visit later"
)


def test_max_leg_minutes_is_read_and_recorded() -> None:
    """`[planner] max_leg_minutes` defaults to 90, takes 0 (no limit), 30 and 600, and is part
    of the policy hash."""
    assert Policy().planner.max_leg_minutes == 90
    for value in (0, 30, 600):
        given = parse_policy(f"[planner]\nmax_leg_minutes = {value}\n")
        assert given.planner.max_leg_minutes == value
        assert given.as_dict()["planner"]["max_leg_minutes"] == value
        assert given.digest() != Policy().digest()


CONTINUITY_RANGE_MSG = (
    "expected a whole number of minutes from 0 to 1000; a larger value could make the planner "
    "visit someone late just to send their named offender manager"
)


def test_empty_text_gives_defaults() -> None:
    """An empty (or comment-only) policy file means the defaults."""
    assert parse_policy("# nothing here\n") == Policy()


def test_partial_override_keeps_other_defaults() -> None:
    """Overriding one key of one level leaves every other value at its default."""
    p = parse_policy(
        '[risk.medium]\ninterval_days = 120\n\n[areas]\nmode = "strict"\n\n[travel]\nspeed_kmh = 32.5\n'
    )
    assert p.for_risk("medium").interval_days == 120
    assert p.for_risk("medium").window_days == DEFAULT_RISK["medium"].window_days
    assert p.for_risk("high") == DEFAULT_RISK["high"]
    assert p.areas.mode == "strict" and p.travel.speed_kmh == 32.5 and p.travel.circuity == 1.35


def test_for_risk_accepts_enum_or_string() -> None:
    """for_risk works with a RiskLevel or its string value."""
    from rso_scheduler.models import RiskLevel

    p = Policy()
    assert p.for_risk(RiskLevel.high) is p.for_risk("high")


def test_digest_changes_with_the_policy() -> None:
    """The recorded policy digest is stable and changes when a value changes."""
    assert Policy().digest() == parse_policy("").digest()
    assert parse_policy("[risk.low]\nweight = 2\n").digest() != Policy().digest()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[risk.high]\ninterval_days = 60\n\n[risk.severe]\ninterval_days = 14\n",
            "policy.toml:4 risk.severe: unknown risk level 'severe'; expected one of very_high, high, medium, low",
        ),
        (
            "[visit]\nfirst_visit_days = 3\n",
            "policy.toml:1 visit: unknown section 'visit'; expected one of areas, locations, maps, outputs, planner, risk, shifts, travel, visits",
        ),
        (
            "[risk.high]\nwindow_days = 20\nintervl_days = 60\n",
            "policy.toml:3 risk.high.intervl_days: unknown key 'intervl_days' in [risk.high]; "
            "expected one of interval_days, window_days, visit_minutes, two_officers, weight",
        ),
        (
            "[visits]\nfirst_visit_days = 14\nshare = 0.3\n",
            "policy.toml:3 visits.share: unknown key 'share' in [visits]; expected one of first_visit_days, unannounced_share",
        ),
        ("risk = 3\n", "policy.toml:1 risk: expected a table of risk levels"),
        (
            "[risk.medium]\ninterval_days = -5\n",
            "policy.toml:2 risk.medium.interval_days: -5 is not valid: input should be greater than 0",
        ),
        (
            "[risk.low]\nvisit_minutes = 0\n",
            "policy.toml:2 risk.low.visit_minutes: 0 is not valid: input should be greater than 0",
        ),
        (
            '[risk.low]\ninterval_days = "yearly"\n',
            "policy.toml:2 risk.low.interval_days: 'yearly' is not valid: input should be a valid integer, "
            "unable to parse string as an integer",
        ),
        (
            "[risk.low]\ninterval_days = true\n",
            "policy.toml:2 risk.low.interval_days: True is not valid: expected a number, not true/false",
        ),
        (
            "[risk.low]\nweight = 2.5\n",
            "policy.toml:2 risk.low.weight: 2.5 is not valid: input should be a valid integer, got a number with a fractional part",
        ),
        (
            "[visits]\nunannounced_share = 1.5\n",
            "policy.toml:2 visits.unannounced_share: 1.5 is not valid: input should be less than or equal to 1",
        ),
        (
            '[travel]\nmodel = "osrm"\n',
            "policy.toml:2 travel.model: 'osrm' is not valid: input should be 'haversine', 'road' or 'matrix'",
        ),
        (
            '[areas]\nmode = "loose"\n',
            "policy.toml:2 areas.mode: 'loose' is not valid: input should be 'strict', 'prefer' or 'ignore'",
        ),
        (
            "risk.high.interval_days = 0\n",
            "policy.toml:1 risk.high.interval_days: 0 is not valid: input should be greater than 0",
        ),
        (
            "# the force's trade-offs\n[planner]\ncontinuity_minutes = 1001\n",
            f"policy.toml:3 planner.continuity_minutes: 1001 is not valid: {CONTINUITY_RANGE_MSG}",
        ),
        (
            "[planner]\ncontinuity_minutes = -1\n",
            f"policy.toml:2 planner.continuity_minutes: -1 is not valid: {CONTINUITY_RANGE_MSG}",
        ),
        (
            '[planner]\ncontinuity_minutes = "half an hour"\n',
            "policy.toml:2 planner.continuity_minutes: 'half an hour' is not valid: input should be "
            "a valid integer, unable to parse string as an integer",
        ),
        (
            "[planner]\ncontinuity_minutes = 30.5\n",
            "policy.toml:2 planner.continuity_minutes: 30.5 is not valid: input should be a valid "
            "integer, got a number with a fractional part",
        ),
        (
            "[planner]\ncontinuity_minutes = false\n",
            "policy.toml:2 planner.continuity_minutes: False is not valid: expected a number, not "
            "true/false",
        ),
        (
            "[planner]\ncontinuity_minutes = 30\ncontinuity = 60\n",
            "policy.toml:3 planner.continuity: unknown key 'continuity' in [planner]; "
            "expected one of continuity_minutes, max_leg_minutes",
        ),
        (
            "# how far is too far\n[planner]\nmax_leg_minutes = 20\n",
            f"policy.toml:3 planner.max_leg_minutes: 20 is not valid: {LEG_RANGE_MSG}",
        ),
        (
            "[planner]\nmax_leg_minutes = 601\n",
            f"policy.toml:2 planner.max_leg_minutes: 601 is not valid: {LEG_RANGE_MSG}",
        ),
        (
            "[planner]\nmax_leg_minutes = true\n",
            "policy.toml:2 planner.max_leg_minutes: True is not valid: expected a number, not "
            "true/false",
        ),
        (
            "[planner]\nmax_leg_minutes = 90.5\n",
            "policy.toml:2 planner.max_leg_minutes: 90.5 is not valid: input should be a valid "
            "integer, got a number with a fractional part",
        ),
    ],
    ids=[
        "unknown-risk-level",
        "unknown-section",
        "unknown-risk-key",
        "unknown-visits-key",
        "risk-not-a-table",
        "negative-interval",
        "zero-minutes",
        "string-for-int",
        "bool-for-int",
        "fraction-for-int",
        "share-above-1",
        "unknown-travel-model",
        "unknown-areas-mode",
        "dotted-key-line",
        "continuity-above-1000",
        "continuity-negative",
        "continuity-string",
        "continuity-fraction",
        "continuity-bool",
        "unknown-planner-key",
        "max-leg-below-30",
        "max-leg-above-600",
        "max-leg-bool",
        "max-leg-fraction",
    ],
)
def test_policy_errors(text: str, expected: str) -> None:
    """Each kind of policy error is one problem at the line of the offending key."""
    assert problems_of(text) == [expected]


def test_all_value_problems_reported_at_once_with_lines() -> None:
    """Several bad values give one problem each, each with its own line."""
    text = (
        "# comment\n[risk.high]\ninterval_days = 0\nwindow_days = -1\n\n[travel]\ncircuity = 0.5\n"
    )
    assert problems_of(text) == [
        "policy.toml:3 risk.high.interval_days: 0 is not valid: input should be greater than 0",
        "policy.toml:4 risk.high.window_days: -1 is not valid: input should be greater than or equal to 0",
        "policy.toml:7 travel.circuity: 0.5 is not valid: input should be greater than or equal to 1",
    ]


def test_unknown_names_do_not_hide_bad_values() -> None:
    """An unknown section or risk level is reported together with bad values elsewhere."""
    text = '[risk.extreme]\ninterval_days = 3\n[risk.high]\ninterval_days = 0\n[visit]\nx = 1\n[areas]\nmode = "x"\n'
    assert problems_of(text) == [
        "policy.toml:1 risk.extreme: unknown risk level 'extreme'; expected one of very_high, high, medium, low",
        "policy.toml:4 risk.high.interval_days: 0 is not valid: input should be greater than 0",
        "policy.toml:5 visit: unknown section 'visit'; expected one of areas, locations, maps, outputs, planner, risk, shifts, travel, visits",
        "policy.toml:8 areas.mode: 'x' is not valid: input should be 'strict', 'prefer' or 'ignore'",
    ]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[visits]\nfirst_visit_days = 14\nunannounced_share = \n", 3),
        ("[risk.high\ninterval_days = 1\n", 1),
        ("[risk.high]\ninterval_days = 3\ninterval_days = 4\n", 3),
    ],
)
def test_bad_toml_reports_line(text: str, line: int) -> None:
    """Text that is not TOML is one problem at the line tomllib points to."""
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    (p,) = info.value.problems
    assert p.line == line and p.message.startswith("not valid TOML")


def test_load_policy_missing_file_is_defaults(tmp_path: Path) -> None:
    """No policy.toml means the built-in defaults."""
    assert load_policy(tmp_path / "policy.toml") == Policy()
    assert load_policy(None) == Policy()


def test_load_policy_reads_bom_and_refuses_non_utf8(tmp_path: Path) -> None:
    """A UTF-8 BOM is fine; a non-UTF-8 file is a problem naming the file."""
    path = tmp_path / "policy.toml"
    path.write_bytes("\ufeff[risk.low]\ninterval_days = 300\n".encode())
    assert load_policy(path).for_risk("low").interval_days == 300
    path.write_bytes("# caf\xe9\n[risk.low]\ninterval_days = 300\n".encode("cp1252"))
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert (
        info.value.problems[0].file == "policy.toml" and "UTF-8" in info.value.problems[0].message
    )


def test_apply_overrides_dotted_and_nested() -> None:
    """Scenario overrides accept dotted keys and nested tables, on top of a given policy."""
    base = parse_policy("[risk.low]\nweight = 3\n")
    p = apply_overrides(base, {"risk.medium.interval_days": 120, "travel": {"speed_kmh": 30}})
    assert p.for_risk("medium").interval_days == 120 and p.travel.speed_kmh == 30
    assert p.for_risk("low").weight == 3  # the base policy's own change is kept


def test_apply_overrides_errors_name_the_scenario() -> None:
    """A bad override is a PolicyError located in the scenario file."""
    with pytest.raises(PolicyError) as info:
        apply_overrides(Policy(), {"risk.medium.nope": 5}, file="lose_fifth.toml")
    (p,) = info.value.problems
    assert (
        p.file == "lose_fifth.toml"
        and p.column == "risk.medium.nope"
        and "unknown key 'nope'" in p.message
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://tiles.force.example/{z}/{x}.png",  # no {y}
        "javascript:alert(1)//{z}/{x}/{y}",
        "file:///srv/tiles/{z}/{x}/{y}.png",
        "//tiles.force.example/{z}/{x}/{y}.png",
        'https://tiles.force.example/{z}/{x}/{y}.png"onload=x',
        "https://tiles.force.example/<b>/{z}/{x}/{y}.png",
        "https://tiles.force.example/{z}/{x}/{y}.png ",
        "https://tiles.force.example/a b/{z}/{x}/{y}.png",
    ],
)
def test_bad_maps_tiles_is_a_located_problem(url: str) -> None:
    """A bad [maps] tiles value is reported with its line and key when the policy is read."""
    text = f"[visits]\nfirst_visit_days = 7\n\n[maps]\nattribution = 'Force GIS'\ntiles = '{url}'\n"
    assert [p.split(": ")[0] for p in problems_of(text)] == ["policy.toml:6 maps.tiles"]
    assert "tile URL template" in problems_of(text)[0]


def test_bad_maps_tiles_is_reported_with_every_other_problem() -> None:
    """A bad tiles value does not hide other problems in the file, and vice versa."""
    got = problems_of(
        "[risk.high]\ninterval_days = 0\n\n[maps]\ntiles = 'http://t.example/{z}/{y}.png'\n"
    )
    assert [p.split(": ")[0] for p in got] == [
        "policy.toml:2 risk.high.interval_days",
        "policy.toml:5 maps.tiles",
    ]


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tiles.force.example/{z}/{x}/{y}.png", "https://tiles.force.example"),
        ("https://{s}.tiles.force.example/{z}/{x}/{y}.png", "https://*.tiles.force.example"),
        ("https://gis.force.example:8443/wmts/{z}/{x}/{-y}.png", "https://gis.force.example:8443"),
        ("HTTPS://Tiles.Force.Example/{z}/{x}/{y}.png", "https://tiles.force.example"),
        (
            "https://tiles.force.example/osm/openstreetmap/{z}/{x}/{y}.png",
            "https://tiles.force.example",
        ),
        ("https://notgoogle.com/{z}/{x}/{y}.png", "https://notgoogle.com"),
        ("https://google.com.force.example/{z}/{x}/{y}.png", "https://google.com.force.example"),
    ],
)
def test_good_maps_tiles_are_accepted(url: str, origin: str) -> None:
    """A force's own https tile template on a listed host is accepted as written; its CSP
    origin is the scheme, host and port."""
    from rso_scheduler.policy import tile_url_origin

    host = origin.removeprefix("https://").split(":")[0]
    text = f"[maps]\ntile_hosts = ['{host}']\ntiles = '{url}'\n"
    assert parse_policy(text).maps.tiles == url
    assert tile_url_origin(url, [host]) == origin


@pytest.mark.parametrize(
    ("hosts", "url", "words"),
    [
        ("[]", "https://tiles.force.example/{z}/{x}/{y}.png", "which is empty"),
        ("['tiles.force.example']", "https://tiles.other.example/{z}/{x}/{y}.png", "not in"),
        ("['tiles.force.example']", "https://{s}.tiles.force.example/{z}/{x}/{y}.png", "not in"),
        ("['*.tiles.force.example']", "https://tiles.force.example/{z}/{x}/{y}.png", "not in"),
        # unlisted public services a denylist missed, and a public CDN's raw address
        ("[]", "https://tiles.maps.eox.at/wmts/1.0.0/s2/{z}/{y}/{x}.jpg", "tile_hosts"),
        ("[]", "https://basemap.nationalmap.gov/arcgis/tile/{z}/{y}/{x}", "tile_hosts"),
        ("[]", "https://gibs.earthdata.nasa.gov/wmts/{z}/{y}/{x}.jpg", "tile_hosts"),
        ("[]", "https://mapserver.mapy.cz/base-m/{z}-{x}-{y}", "tile_hosts"),
        ("['tiles.force.example']", "https://151.101.2.217/{z}/{x}/{y}.png", "IP address"),
        ("['tiles.force.example']", "https://2130706433/{z}/{x}/{y}.png", "IP address"),
        ("['tiles.force.example']", "https://0x97.0x65.2.217/{z}/{x}/{y}.png", "IP address"),
    ],
)
def test_tiles_off_the_allowlist_are_refused(hosts: str, url: str, words: str) -> None:
    """A tile server not named in [maps] tile_hosts, or an IP address, is a located problem."""
    [problem] = problems_of(f"[maps]\ntile_hosts = {hosts}\ntiles = '{url}'\n")
    assert problem.startswith("policy.toml:3 maps.tiles: ") and words in problem


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("10.20.30.40", "IP address"),
        ("[::1]", "IP address"),
        ("tile.openstreetmap.org", "public tile server"),
        ("*.arcgisonline.com", "public tile server"),
        ("localhost", "not a host name"),
        ("tiles.*.example", "not a host name"),
        ("https://tiles.force.example", "not a host name"),
    ],
)
def test_bad_tile_hosts_are_located_problems(entry: str, words: str) -> None:
    """A [maps] tile_hosts entry that is not a host name of the force's own is located."""
    problems = problems_of(f"[visits]\nfirst_visit_days = 7\n[maps]\ntile_hosts = ['{entry}']\n")
    assert [p.split(": ")[0] for p in problems] == ["policy.toml:4 maps.tile_hosts"]
    assert words in problems[0]


def test_load_dataset_reports_bad_maps_tiles_before_any_planning(tiny_dir: Path) -> None:
    """load_dataset lists a bad [maps] tiles beside the data files' problems, as policy.toml:line."""
    from rso_scheduler.errors import InputError
    from rso_scheduler.ingest import load_dataset

    (tiny_dir / "policy.toml").write_text(
        "# force policy\n[maps]\ntiles = 'https://tiles.force.example/{z}/{x}/{y}.png\"'\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        load_dataset(tiny_dir, today=date(2026, 12, 15))
    located = [str(p) for p in info.value.problems]
    assert any(p.startswith("policy.toml:3 maps.tiles: ") for p in located), located


# One public tile URL per family the maps must never contact.
PUBLIC_TILES = {
    "OpenStreetMap": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
    "OpenStreetMap subdomains": "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png",
    "OpenStreetMap France": "https://{s}.tile.openstreetmap.fr/hot/{z}/{x}/{y}.png",
    "OpenStreetMap Germany": "https://tile.openstreetmap.de/{z}/{x}/{y}.png",
    "OSM elsewhere": "https://tile.osm.ch/switzerland/{z}/{x}/{y}.png",
    "Esri server": "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
    "Esri services": "https://services.arcgisonline.com/arcgis/rest/services/Topo/MapServer/tile/{z}/{y}/{x}",
    "ArcGIS": "https://tiles.arcgis.com/tiles/abc/arcgis/rest/services/x/MapServer/tile/{z}/{y}/{x}",
    "Google": "https://mt1.google.com/vt/lyrs=m&x={x}&y={y}&z={z}",
    "Google APIs": "https://tile.googleapis.com/v1/2dtiles/{z}/{x}/{y}",
    "Mapbox": "https://api.mapbox.com/styles/v1/mapbox/streets-v12/tiles/{z}/{x}/{y}",
    "CARTO": "https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",
    "CARTO site": "https://tiles.carto.com/{z}/{x}/{y}.png",
    "Stadia": "https://tiles.stadiamaps.com/tiles/alidade_smooth/{z}/{x}/{y}.png",
    "Thunderforest": "https://tile.thunderforest.com/cycle/{z}/{x}/{y}.png",
    "Stamen": "https://stamen-tiles.a.ssl.fastly.net/toner/{z}/{x}/{y}.png",
    "OpenTopoMap": "https://{s}.tile.opentopomap.org/{z}/{x}/{y}.png",
    "Wikimedia": "https://maps.wikimedia.org/osm-intl/{z}/{x}/{y}.png",
    "HERE": "https://maps.hereapi.com/v3/base/mc/{z}/{x}/{y}/png",
    "Bing": "https://ecn.t0.tiles.virtualearth.net/tiles/r{z}{x}{y}.png",
    "MapTiler": "https://api.maptiler.com/maps/streets/{z}/{x}/{y}.png",
    "Ordnance Survey": "https://api.os.uk/maps/raster/v1/zxy/Road_3857/{z}/{x}/{y}.png",
}


@pytest.mark.parametrize("url", PUBLIC_TILES.values(), ids=PUBLIC_TILES.keys())
def test_public_tile_servers_are_refused(url: str) -> None:
    """Every well-known public tile host is refused, saying home locations would reach it."""
    [problem] = problems_of(f"[maps]\ntiles = '{url}'\n")
    assert problem.startswith("policy.toml:2 maps.tiles: ")
    assert "public tile server" in problem and "home locations would reach" in problem


@pytest.mark.parametrize(
    "url",
    [
        "https://TILE.OpenStreetMap.ORG/{z}/{x}/{y}.png",  # case
        "https://tile.openstreetmap.org:443/{z}/{x}/{y}.png",  # a port
        "https://tile.openstreetmap.org./{z}/{x}/{y}.png",  # a trailing dot
        "https://tile.openstreetmap.org.force.example/{z}/{x}/{y}.png",  # OSM's name inside
        "https://a.b.c.mapbox.com/{z}/{x}/{y}.png",  # deep subdomain
    ],
)
def test_public_tile_host_tricks_are_refused(url: str) -> None:
    """Case, ports, trailing dots and subdomains do not hide a public tile host."""
    [problem] = problems_of(f"[maps]\ntiles = '{url}'\n")
    assert "public tile server" in problem


@pytest.mark.parametrize(
    "url",
    [
        "https://user@tile.openstreetmap.org.evil/{z}/{x}/{y}.png",
        "https://tiles.force.example@tile.openstreetmap.org/{z}/{x}/{y}.png",
        "https://user:secret@tiles.force.example/{z}/{x}/{y}.png",
    ],
)
def test_user_info_in_tile_urls_is_refused(url: str) -> None:
    """`user@host` is refused: it hides which server is contacted and would be in every page."""
    [problem] = problems_of(f"[maps]\ntiles = '{url}'\n")
    assert "user name or password" in problem and "secret" not in problem
    assert "'https://...@" in problem  # the value is shown without what precedes the @


@pytest.mark.parametrize(
    "url",
    ["http://tiles.force.example/{z}/{x}/{y}.png", "HTTP://tiles.force.example/{z}/{x}/{y}.png"],
)
def test_plain_http_tiles_are_refused(url: str) -> None:
    """A force's own server over plain http:// is refused, saying why."""
    [problem] = problems_of(f"[maps]\ntiles = '{url}'\n")
    assert "plain http:// is refused" in problem and "https" in problem
