"""The visiting policy (policy.toml): per-risk intervals, windows, durations, travel and areas.

`parse_policy(text, file)` turns TOML text into a validated `Policy`, reporting every problem
(unknown keys and risk levels, wrong types, non-positive intervals or durations) at once with
the line of the offending key. `load_policy(path)` reads the file; a missing file means the
built-in defaults.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from rso_scheduler import redact
from rso_scheduler.errors import InputError, PolicyError, Problem
from rso_scheduler.input.files import present, read_toml_text, toml_bounds_problems

RISK_KEYS = ("very_high", "high", "medium", "low")


def _not_a_boolean(value: Any) -> Any:
    # pydantic would read `interval_days = true` as 1; a yes/no is never a number here.
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


MAX_DAYS = 3650  # longest interval, window or first-visit delay accepted: ten years


class RiskPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Ten years bounds every real policy (the longest is annual) and keeps date sums in range.
    interval_days: int = Field(gt=0, le=MAX_DAYS)
    window_days: int = Field(ge=0, le=MAX_DAYS)
    visit_minutes: int = Field(gt=0, le=24 * 60)
    two_officers: bool = True
    weight: int = Field(gt=0, le=1000)

    _numbers = field_validator(
        "interval_days", "window_days", "visit_minutes", "weight", mode="before"
    )(_not_a_boolean)


DEFAULT_RISK: dict[str, RiskPolicy] = {
    "very_high": RiskPolicy(interval_days=30, window_days=10, visit_minutes=90, weight=8),
    "high": RiskPolicy(interval_days=91, window_days=30, visit_minutes=75, weight=4),
    "medium": RiskPolicy(interval_days=182, window_days=45, visit_minutes=60, weight=2),
    "low": RiskPolicy(interval_days=365, window_days=60, visit_minutes=60, weight=1),
}


class VisitsPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    first_visit_days: int = Field(default=14, ge=0, le=MAX_DAYS)
    unannounced_share: float = Field(default=0.5, ge=0.0, le=1.0)

    _numbers = field_validator("first_visit_days", "unannounced_share", mode="before")(
        _not_a_boolean
    )


class TravelPolicy(BaseModel):
    """`[travel]`: the straight-line model's circuity and speed, or a road network or matrix.

    `network` (model "road") and `file` (model "matrix") are paths relative to the data folder;
    `congestion_factor` multiplies every road speed (1 = the posted or class speed).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: Literal["haversine", "road", "matrix"] = "haversine"
    circuity: float = Field(default=1.35, ge=1.0, le=5.0)
    speed_kmh: float = Field(default=40.0, gt=0, le=200)
    network: str | None = Field(default=None, validate_default=True)
    file: str | None = Field(default=None, validate_default=True)
    congestion_factor: float = Field(default=0.8, gt=0, le=1.0)

    _numbers = field_validator("circuity", "speed_kmh", "congestion_factor", mode="before")(
        _not_a_boolean
    )

    @field_validator("network")
    @classmethod
    def _network(cls, value: str | None, info: ValidationInfo) -> str | None:
        model = info.data.get("model")
        if model == "road" and not value:
            raise ValueError(
                'model = "road" needs network = "PATH.osm.pbf", an OpenStreetMap extract '
                "relative to the data folder"
            )
        if value is not None and model != "road":
            raise ValueError('network is used only with model = "road"')
        if value is not None and not value.lower().endswith(".pbf"):
            raise ValueError("expected an OpenStreetMap extract ending in .osm.pbf")
        return value

    @field_validator("file")
    @classmethod
    def _file(cls, value: str | None, info: ValidationInfo) -> str | None:
        model = info.data.get("model")
        if model == "matrix" and not value:
            raise ValueError(
                'model = "matrix" needs file = "travel.csv" (from_id, to_id, minutes[, km]) '
                "relative to the data folder"
            )
        if value is not None and model != "matrix":
            raise ValueError('file is used only with model = "matrix"')
        return value


# Police Regulations, Annex E to regulation 22: a refreshment break by length of tour, for an
# officer on duty 5 hours or more. (tour minutes from, break minutes), longest tour first.
POLICE_REFRESHMENT = ((600, 60), (540, 50), (480, 45), (420, 40), (360, 35), (300, 30))
REFRESHMENT_FROM_MIN = 300  # tours shorter than 5 hours have no break


class ShiftsPolicy(BaseModel):
    """Refreshment breaks (contract: [shifts]).

    `refreshment`: "police" (Annex E by length of tour), "none", or whole minutes for every
    tour of 5 hours or more; `refreshment_window`: [from, to] hours after the shift starts
    within which the break lies.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    refreshment: Literal["police", "none"] | int = "police"
    refreshment_window: tuple[int, int] = (3, 6)

    _numbers = field_validator("refreshment", mode="before")(_not_a_boolean)

    @field_validator("refreshment", mode="before")
    @classmethod
    def _refreshment(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in ("police", "none"):
            raise ValueError('expected "police", "none" or whole minutes from 1 to 240')
        if isinstance(value, float):
            raise ValueError("expected whole minutes (no fraction)")
        if isinstance(value, int) and not 1 <= value <= 240:
            raise ValueError("expected whole minutes from 1 to 240")
        return value

    @field_validator("refreshment_window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> Any:
        ok = (
            isinstance(value, list | tuple)
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        )
        if not ok:
            raise ValueError("expected two whole hours [from, to], e.g. [3, 6]")
        lo, hi = value
        if not 0 <= lo < hi <= 24:
            raise ValueError("expected 0 <= from < to <= 24 hours after the shift starts")
        return tuple(value)


class AreasPolicy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["strict", "prefer", "ignore"] = "prefer"


# Most continuity_minutes accepted: it must stay below the cost of one risk-weighted day late
# (solver/assign.py W_LATE, 2,000) so that keeping the named manager never makes a visit late.
MAX_CONTINUITY_MIN = 1000
CONTINUITY_RANGE = (
    f"expected a whole number of minutes from 0 to {MAX_CONTINUITY_MIN}; a larger value could "
    "make the planner visit someone late just to send their named offender manager"
)


# `[planner] max_leg_minutes`: 0 (no limit) or a drive from MIN_LEG_LIMIT to MAX_LEG_LIMIT
MIN_LEG_LIMIT, MAX_LEG_LIMIT = 30, 600
LEG_LIMIT_RANGE = (
    f"expected 0 (no limit) or a whole number of minutes from {MIN_LEG_LIMIT} to "
    f"{MAX_LEG_LIMIT}: the longest drive from an officer's base to a visit (or back) the "
    "planner uses before it would rather leave the visit later"
)


class PlannerPolicy(BaseModel):
    """Addition to the contract: the force's trade-offs in the optimiser's objective.

    `continuity_minutes`: the officer-minutes of driving (summed over the crew's officers) the
    planner will spend to have a person's named offender manager make their visit; 0 ignores
    continuity.
    `max_leg_minutes`: the longest drive from any officer's base to a visit, or back, that the
    optimiser plans, however much lateness a longer one would save; only a visit that would
    otherwise be missed goes to a crew beyond it (and the crew-day and summary.json say so).
    0: no limit.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    continuity_minutes: int = 30
    max_leg_minutes: int = 90

    _numbers = field_validator("continuity_minutes", "max_leg_minutes", mode="before")(
        _not_a_boolean
    )

    @field_validator("max_leg_minutes")
    @classmethod
    def _leg_range(cls, value: int) -> int:
        if value != 0 and not MIN_LEG_LIMIT <= value <= MAX_LEG_LIMIT:
            raise ValueError(LEG_LIMIT_RANGE)
        return value

    @field_validator("continuity_minutes")
    @classmethod
    def _continuity_range(cls, value: int) -> int:
        if not 0 <= value <= MAX_CONTINUITY_MIN:
            raise ValueError(CONTINUITY_RANGE)
        return value


_TILE_URL = re.compile(
    r"^(https?)://([A-Za-z0-9.\-]+|\{s\}\.[A-Za-z0-9.\-]+)(:\d{1,5})?(/[^\s\"'<>\\`]*)?$",
    re.IGNORECASE,
)
TILE_URL_EXPECTED = (
    "not a tile URL template; expected an https URL with {z}, {x} and {y} and no quotes, "
    "angle brackets or spaces, e.g. https://tiles.force.example/{z}/{x}/{y}.png"
)
TILE_HTTP_REFUSED = (
    "plain http:// is refused: every tile the map pages ask for names the place around a "
    "home, and unencrypted those requests can be read on the way; use the force's own https "
    "tile server"
)
TILE_USERINFO_REFUSED = (
    "a user name or password before the host ('user@') is refused: it would be written into "
    "every map page, and it hides which server the pages contact; give the https URL of the "
    "force's own tile server alone"
)

# Public tile services, as (name, host suffixes): a host is theirs when it is one of the
# suffixes or ends in "." + one (dot boundaries: "notgoogle.com" is not Google's).
PUBLIC_TILE_SERVICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "OpenStreetMap",
        (
            "openstreetmap.org",
            "osm.org",
            "osmfoundation.org",
            "openstreetmap.fr",
            "openstreetmap.de",
            "openfreemap.org",
            "openmaptiles.org",
        ),
    ),
    ("Esri / ArcGIS Online", ("arcgisonline.com", "arcgis.com", "esri.com")),
    ("Google", ("google.com", "googleapis.com", "gstatic.com", "google.co.uk")),
    ("Mapbox", ("mapbox.com",)),
    ("CARTO", ("cartocdn.com", "carto.com")),
    ("Stadia Maps", ("stadiamaps.com",)),
    ("Thunderforest", ("thunderforest.com",)),
    ("Stamen", ("stamen.com", "stamen-tiles.a.ssl.fastly.net")),
    ("OpenTopoMap", ("opentopomap.org",)),
    ("Wikimedia maps", ("wikimedia.org", "wmflabs.org", "wmcloud.org")),
    ("HERE", ("here.com", "hereapi.com")),
    ("Bing Maps / Virtual Earth", ("virtualearth.net", "bing.com")),
    ("MapTiler", ("maptiler.com",)),
    ("Ordnance Survey Data Hub", ("api.os.uk",)),
    ("MapQuest", ("mapquest.com", "mqcdn.com")),
    ("TomTom", ("tomtom.com",)),
    ("Jawg", ("jawg.io",)),
    ("Tracestrack", ("tracestrack.com",)),
    ("Apple Maps", ("apple-mapkit.com", "ls.apple.com")),
    ("Yandex", ("yandex.net", "yandex.ru", "yandex.com")),
)


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#]*@")


def hide_userinfo(value: str) -> str:
    """`value` with any `user:password@` after the scheme replaced by `...@`, for messages."""
    return _USERINFO.sub(r"\1...@", value)


def public_tile_service(host: str) -> str | None:
    """The public tile service a host belongs to (`a.tile.openstreetmap.org` -> OpenStreetMap).

    Case and a trailing dot are ignored; `{s}`/`*` subdomain labels never match a service by
    themselves. Any host with an `openstreetmap` label (every country's OSM tile server) or
    starting `tile.osm.` counts as OpenStreetMap.
    """
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if "openstreetmap" in labels or labels[:2] == ["tile", "osm"]:
        return "OpenStreetMap"
    for name, suffixes in PUBLIC_TILE_SERVICES:
        if any(host == s or host.endswith("." + s) for s in suffixes):
            return name
    return None


MAX_TILE_HOSTS = 20
_HOST_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
TILE_HOSTS_EXPECTED = (
    "expected a host name of the force's own tile server, e.g. 'tiles.force.example', or "
    "'*.tiles.force.example' for its numbered subdomains"
)


def ip_literal(host: str) -> bool:
    """True if a browser would take `host` as an IP address: a last label of digits or 0x hex
    (the URL standard reads `2130706433` and `0x7f.1` as IPv4), or an IPv6 literal."""
    host = host.lower().rstrip(".")
    last = host.rsplit(".", 1)[-1]
    return ":" in host or host.startswith("[") or bool(re.fullmatch(r"\d+|0x[0-9a-f]*", last))


def check_tile_host(entry: str) -> str:
    """One `[maps] tile_hosts` entry, lower-cased; raises ValueError if it is not a host name
    of the force's own (an IP address, a public tile service, a pattern other than `*.`)."""
    host = entry.lower().rstrip(".")
    labels = host.split(".")
    wild = labels[0] == "*"
    if "/" in host or "@" in host:
        raise ValueError(f"not a host name (a URL?); {TILE_HOSTS_EXPECTED}")
    if ip_literal(host):
        raise ValueError(
            "an IP address is refused: it says nothing of whose server it is (a public "
            f"service's address passes unseen); {TILE_HOSTS_EXPECTED}"
        )
    if (
        len(host) > 253
        or len(labels) < 2 + wild
        or not all(_HOST_LABEL.match(label) for label in labels[wild:])
    ):
        raise ValueError(f"not a host name; {TILE_HOSTS_EXPECTED}")
    service = public_tile_service(host.removeprefix("*."))
    if service is not None:
        raise ValueError(
            f"{host} is a public tile server ({service}): home locations must never reach a "
            "public server; list the force's own tile server"
        )
    return host


def tile_host_allowed(host: str, allowed: Sequence[str]) -> bool:
    """Is a template's host (`*` for `{s}`) on the allowlist? `*.x.example` covers every
    subdomain of x.example (and `{s}.x.example`), never x.example itself."""
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.lower().rstrip(".")
        if host == entry or (entry.startswith("*.") and host.endswith(entry[1:])):
            return True
    return False


def tile_url_origin(url: str, allowed_hosts: Sequence[str] | None = None) -> str:
    """The CSP source of a tile URL template (`https://{s}.tiles.example/{z}/{x}/{y}.png` -> `https://*.tiles.example`).

    The one check of a tile setting, shared by policy.toml `[maps] tiles` and `rso map --tiles`:
    an https URL template with {z}, {x} and {y} (or {-y}), no quotes, angle brackets or
    whitespace, no `user@`, on a host name (never an IP address) that is not a public tile
    service and, given `allowed_hosts` (the policy's `[maps] tile_hosts`), is on that list:
    home locations go only to servers the force named. Raises `ValueError` saying which rule
    it breaks.
    """
    # No strip(): a stray space would end up in the page and the CSP.
    if url[:7].lower() == "http://":
        raise ValueError(TILE_HTTP_REFUSED)
    if url[:8].lower() == "https://" and "@" in urlsplit(url).netloc:
        raise ValueError(TILE_USERINFO_REFUSED)
    m = _TILE_URL.match(url)
    if (
        not m
        or m.group(1).lower() != "https"
        or not all(k in url for k in ("{z}", "{x}"))
        or not ("{y}" in url or "{-y}" in url)
    ):
        raise ValueError(TILE_URL_EXPECTED)
    host = m.group(2).lower().replace("{s}", "*")
    if ip_literal(host):
        raise ValueError(
            f"{host} is an IP address: a tile server is named by its host name, listed in "
            "policy.toml [maps] tile_hosts (an address says nothing of whose server it is)"
        )
    service = public_tile_service(host)
    if service is not None:
        raise ValueError(
            f"{host.rstrip('.')} is a public tile server ({service}): the map pages would ask it "
            "for the tiles around every home on the roster, so home locations would reach a "
            "public server; use the force's own https tile server"
        )
    if allowed_hosts is not None and not tile_host_allowed(host, allowed_hosts):
        raise ValueError(
            f"{host.rstrip('.')} is not in policy.toml [maps] tile_hosts"
            + (f" ({', '.join(allowed_hosts)})" if allowed_hosts else ", which is empty")
            + ": the map pages ask their tile server for the tiles around every home, so "
            "only the force's own servers named there are used; add it there if it is one"
        )
    return f"https://{host}{m.group(3) or ''}"


class MapsPolicy(BaseModel):
    """Addition to the contract: a force's own tile server for the route maps (never public tiles)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # the allowlist: host names of the force's own tile servers (before `tiles`, which it checks)
    tile_hosts: tuple[str, ...] = ()
    tiles: str | None = None
    attribution: str | None = None

    @field_validator("tile_hosts")
    @classmethod
    def _tile_hosts(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_TILE_HOSTS:
            raise ValueError(f"{len(value)} hosts; expected at most {MAX_TILE_HOSTS}")
        hosts = []
        for entry in value:
            try:
                hosts.append(check_tile_host(entry))
            except ValueError as exc:
                raise ValueError(f"entry {redact.shown(entry)[:80]}: {exc}") from None
        return tuple(hosts)

    @field_validator("tiles")
    @classmethod
    def _tile_template(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Checked here, not when the maps are drawn, so `rso plan` reports it up front
        # with every other policy problem instead of failing after the solve. A bad
        # tile_hosts is reported by itself (then `tile_hosts` is missing here).
        if value is not None:
            tile_url_origin(value, info.data.get("tile_hosts"))
        return value


class LocationsPolicy(BaseModel):
    """Addition to the contract: the force's gazetteer, for locations given by postcode or UPRN."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gazetteer: str | None = None  # a file or folder, relative to the data folder

    @field_validator("gazetteer")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is blank; expected the path of the gazetteer file or folder")
        return value


class OutputsPolicy(BaseModel):
    """Addition to the contract: what the officers' papers carry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Off by default: calendar files are imported into phones and mail services that may
    # leave the force network; handouts and crew-day pages stay on the force's own paper.
    calendar_addresses: bool = Field(default=False, strict=True)


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    risk: dict[str, RiskPolicy] = Field(default_factory=lambda: dict(DEFAULT_RISK))
    visits: VisitsPolicy = VisitsPolicy()
    travel: TravelPolicy = TravelPolicy()
    areas: AreasPolicy = AreasPolicy()
    shifts: ShiftsPolicy = ShiftsPolicy()
    maps: MapsPolicy = MapsPolicy()
    planner: PlannerPolicy = PlannerPolicy()
    locations: LocationsPolicy = LocationsPolicy()
    outputs: OutputsPolicy = OutputsPolicy()

    def for_risk(self, level: Any) -> RiskPolicy:
        """The policy of a risk level (a `RiskLevel` or its string value)."""
        return self.risk[getattr(level, "value", level)]

    def as_dict(self) -> dict[str, Any]:
        """Plain data, for run records."""
        data = self.model_dump(mode="json")
        if self.travel.model == "haversine":
            # Keys the straight line never reads stay out, so its policy hash is unchanged.
            for key in ("network", "file", "congestion_factor"):
                data["travel"].pop(key, None)
        else:
            data["travel"] = {k: v for k, v in data["travel"].items() if v is not None}
        # Sections at their defaults stay out, so adding them left every policy hash unchanged.
        for section, default in (("locations", LocationsPolicy()), ("outputs", OutputsPolicy())):
            if getattr(self, section) == default:
                data.pop(section, None)
        return data

    def digest(self) -> str:
        """A stable hash of the effective policy (recorded in summaries)."""
        import json

        text = json.dumps(self.as_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _key_lines(text: str) -> dict[str, int]:
    """Map dotted keys (`risk.high.interval_days`) to the line they are written on.

    tomllib gives no positions, so this light scan of `[table]` headers and `key =` lines
    is used only to point messages at a line; parsing itself is tomllib's.
    """
    lines: dict[str, int] = {}
    table = ""
    for i, raw in enumerate(text.splitlines(), start=1):
        s = raw.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", s)
        if m:
            table = ".".join(p.strip().strip('"') for p in m.group(1).split("."))
            lines.setdefault(table, i)
            continue
        m = re.match(r"^([A-Za-z0-9_.\"\- ]+?)\s*=", s)
        if m:
            key = ".".join(p.strip().strip('"') for p in m.group(1).split("."))
            full = f"{table}.{key}" if table else key
            lines.setdefault(full, i)
    return lines


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def policy_from_mapping(data: dict[str, Any], file: str = "policy.toml", text: str = "") -> Policy:
    """Validate a policy given as nested data, on top of the built-in defaults.

    Every problem is collected; raises `PolicyError` with all of them.
    """
    key_lines = _key_lines(text) if text else {}
    problems: list[Problem] = []

    def problem(key: str, msg: str) -> None:
        line = key_lines.get(key)
        if line is None:
            # fall back to the nearest enclosing table that we know the line of
            parts = key.split(".")
            while parts and line is None:
                parts.pop()
                line = key_lines.get(".".join(parts))
        problems.append(Problem(file, line, key, msg))

    known_tables = set(Policy.model_fields)
    for key in data:
        if key not in known_tables:
            problem(
                key,
                f"unknown section {redact.shown(key)}; expected one of {', '.join(sorted(known_tables))}",
            )
    risk = data.get("risk", {})
    if isinstance(risk, dict):
        for level in risk:
            if level not in RISK_KEYS:
                problem(
                    f"risk.{level}",
                    f"unknown risk level {redact.shown(str(level))}; expected one of {', '.join(RISK_KEYS)}",
                )
    elif "risk" in data:
        problem("risk", "expected a table of risk levels")
    # Validate what remains too, so that one pass reports every problem in the file.
    data = {k: v for k, v in data.items() if k in known_tables}
    if isinstance(data.get("risk"), dict):
        data["risk"] = {k: v for k, v in data["risk"].items() if k in RISK_KEYS}
    else:
        data.pop("risk", None)

    defaults = Policy().model_dump()
    merged = _merge(defaults, data)
    try:
        policy = Policy.model_validate(merged)
    except ValidationError as exc:
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                section = ".".join(str(p) for p in err["loc"][:-1])
                allowed = _allowed_keys(err["loc"][:-1])
                problem(
                    key,
                    f"unknown key {redact.shown(str(err['loc'][-1]))} in [{section}]; "
                    f"expected one of {allowed}",
                )
            else:
                found = err.get("input")
                shown = redact.shown_found(
                    hide_userinfo(found) if isinstance(found, str) else found
                )  # never echo a password
                msg = err["msg"].removeprefix("Value error, ")
                if found is None:  # a key that must be given with another (travel.network)
                    problem(key, f"is missing: {msg}")
                else:
                    problem(key, f"{shown} is not valid: {msg[:1].lower()}{msg[1:]}")
        raise PolicyError(problems) from None
    if problems:
        raise PolicyError(problems)
    return policy


def _allowed_keys(loc: tuple[Any, ...]) -> str:
    model: Any = Policy
    for part in loc:
        if model is Policy and part == "risk":
            model = dict
            continue
        if model is dict:
            model = RiskPolicy
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return "?"
        model = field.annotation
    return ", ".join(model.model_fields) if hasattr(model, "model_fields") else "?"


# Deeply nested arrays or tables exhaust the parser's recursion: damage, never a policy.
NESTED_TOO_DEEPLY = "is not valid: nested too deeply to read (is the file damaged?)"


def parse_policy(text: str, file: str = "policy.toml") -> Policy:
    """Parse policy TOML text (bounded first: `toml_bounds_problems`); raise `PolicyError`."""
    bounds = toml_bounds_problems(text, file)
    if bounds:
        raise PolicyError(bounds)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        msg = str(exc).split(" (at ")[0]
        col = f"column {m.group(2)}" if m else None
        raise PolicyError([Problem(file, line, col, f"not valid TOML: {msg}")]) from None
    except RecursionError:
        raise PolicyError([Problem(file, None, None, NESTED_TOO_DEEPLY)]) from None
    except ValueError:  # a number past Python's digit limit, if the bounds were skipped
        raise PolicyError(
            [Problem(file, None, None, "holds a number too long to read; expected a setting")]
        ) from None
    return policy_from_mapping(data, file, text)


def load_policy(path: Path | None) -> Policy:
    """Read policy.toml; `None` or nothing at the path gives the built-in defaults.

    Anything present that is not a readable regular file (a folder, a FIFO, a dangling link,
    no permission), too large or too deep is a `PolicyError`, never the defaults."""
    if path is None or not present(path):
        return Policy()
    try:
        text = read_toml_text(path, path.name)
    except InputError as exc:
        raise PolicyError(exc.problems) from None
    return parse_policy(text, path.name)


def apply_overrides(policy: Policy, overrides: dict[str, Any], file: str = "scenario") -> Policy:
    """A new policy with dotted or nested overrides (`{"risk.medium.interval_days": 120}`)."""
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        parts = key.split(".")
        node = nested
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        if isinstance(value, dict) and isinstance(node.get(parts[-1]), dict):
            node[parts[-1]] = _merge(node[parts[-1]], value)
        else:
            node[parts[-1]] = value
    return policy_from_mapping(_merge(policy.model_dump(), nested), file)
