"""Synthetic Thames Valley data for demos, tests and benchmarks (`rso generate`).

`generate(n_offenders, n_officers, seed, start)` returns the text of a complete data folder
(offenders.csv, officers.csv, absences.csv, visits.csv, policy.toml) that follows the data
contract; `write_dataset(out_dir, files)` writes it atomically and owner-only.

Nothing here is real data: people are scattered around real towns of the Thames Valley Police
area (approximate coordinates and populations) so that travel times and workloads look like a
real team's, but no address, person or officer exists. The output depends only on the
arguments: one `numpy.random.default_rng(seed)` drives every choice and nothing iterates over
a set or reads the clock, so a seed always gives byte-identical files.

Realism choices (see `docs/BENCHMARKS.md` and the brief in the README):
- Small caseloads take a contiguous block of local policing areas (LPAs) sized to the caseload;
  a force-size request (>= 1,500 people) uses every LPA.
- Risk mix 2 / 18 / 30 / 50 %; a quarter of low risk under reactive management; a few people in
  custody, hospital or abroad.
- A backlog relative to `start`: most people not yet due, some due within the month, about 10 %
  already overdue (a few by up to 8 months), new registrations, recent releases and moves.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from rso_scheduler.calendar import bank_holidays
from rso_scheduler.errors import GenerationError
from rso_scheduler.models import WEEKDAYS
from rso_scheduler.outputs.files import csv_text, staged_output, write_private
from rso_scheduler.policy import RISK_KEYS, Policy

FILE_NAMES = ("offenders.csv", "officers.csv", "absences.csv", "visits.csv", "policy.toml")

# Thames Valley Police area, with a little margin: (min lat, max lat, min lon, max lon).
THAMES_VALLEY_BBOX = (51.32, 52.20, -1.72, -0.48)

FORCE_SIZE = 1500  # a request this large gets the whole force area
FORCE_CASELOAD = 2000  # Thames Valley's registered sex offenders (about 2,000): sizes areas
RISK_SHARES = (0.02, 0.18, 0.30, 0.50)  # very high, high, medium, low (2016 national mix)
REACTIVE_SHARE_OF_LOW = 0.25
OVERDUE_SHARE = 0.08  # interval overdue; releases and moves add a few more points
EVENING_SHARE = 0.08  # people in work: visits only in the evening
RURAL_SHARE = 0.15
HISTORY_DAYS = 730  # how far back the visit log goes
ABSENCE_HORIZON_DAYS = 61  # absences are known for about two months from `start`
SKILLS = ("female", "polish", "urdu", "arms_trained")
KM_PER_DEG_LAT = 111.2

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Lpa:
    """A local policing area and the station its MOSOVO team works from."""

    name: str
    station: str
    lat: float
    lon: float
    residents: int  # rough population, sizes the share of the force's caseload


@dataclass(frozen=True)
class Town:
    name: str
    lat: float
    lon: float
    population: int
    lpa: str


# Ordered so that every prefix is a contiguous block of neighbouring areas, starting from
# Reading: a small caseload becomes one plausible team's patch rather than scattered areas.
LPAS: tuple[Lpa, ...] = (
    Lpa("Reading", "Reading", 51.4540, -0.9770, 175_000),
    Lpa("Wokingham", "Wokingham", 51.4105, -0.8330, 180_000),
    Lpa("Bracknell", "Bracknell", 51.4150, -0.7520, 125_000),
    Lpa("West Berkshire", "Newbury", 51.4000, -1.3220, 160_000),
    Lpa("Windsor & Maidenhead", "Maidenhead", 51.5230, -0.7200, 155_000),
    Lpa("Slough", "Slough", 51.5110, -0.5930, 160_000),
    Lpa("South & Vale", "Abingdon", 51.6705, -1.2820, 285_000),
    Lpa("Oxford", "Oxford", 51.7495, -1.2575, 162_000),
    Lpa("Wycombe", "High Wycombe", 51.6300, -0.7500, 175_000),
    Lpa("Chiltern & South Bucks", "Amersham", 51.6750, -0.6080, 190_000),
    Lpa("Cherwell & West Oxfordshire", "Banbury", 52.0610, -1.3380, 275_000),
    Lpa("Aylesbury Vale", "Aylesbury", 51.8160, -0.8130, 200_000),
    Lpa("Milton Keynes", "Milton Keynes", 52.0400, -0.7570, 290_000),
)

TOWNS: tuple[Town, ...] = (
    Town("Reading", 51.4543, -0.9781, 160_000, "Reading"),
    Town("Caversham", 51.4700, -0.9740, 25_000, "Reading"),
    Town("Tilehurst", 51.4590, -1.0340, 15_000, "Reading"),
    Town("Wokingham", 51.4112, -0.8357, 47_000, "Wokingham"),
    Town("Earley", 51.4330, -0.9330, 32_000, "Wokingham"),
    Town("Woodley", 51.4530, -0.9020, 27_000, "Wokingham"),
    Town("Twyford", 51.4770, -0.8640, 7_000, "Wokingham"),
    Town("Finchampstead", 51.3620, -0.8630, 11_000, "Wokingham"),
    Town("Bracknell", 51.4160, -0.7490, 84_000, "Bracknell"),
    Town("Sandhurst", 51.3490, -0.8000, 20_000, "Bracknell"),
    Town("Crowthorne", 51.3700, -0.7920, 7_000, "Bracknell"),
    Town("Binfield", 51.4330, -0.7890, 8_000, "Bracknell"),
    Town("Newbury", 51.4014, -1.3231, 33_000, "West Berkshire"),
    Town("Thatcham", 51.4030, -1.2610, 26_000, "West Berkshire"),
    Town("Hungerford", 51.4150, -1.5150, 6_000, "West Berkshire"),
    Town("Theale", 51.4380, -1.0750, 3_000, "West Berkshire"),
    Town("Pangbourne", 51.4860, -1.0860, 3_000, "West Berkshire"),
    Town("Maidenhead", 51.5220, -0.7190, 70_000, "Windsor & Maidenhead"),
    Town("Windsor", 51.4839, -0.6044, 32_000, "Windsor & Maidenhead"),
    Town("Ascot", 51.4100, -0.6750, 6_000, "Windsor & Maidenhead"),
    Town("Cookham", 51.5590, -0.7090, 5_500, "Windsor & Maidenhead"),
    Town("Datchet", 51.4840, -0.5790, 5_000, "Windsor & Maidenhead"),
    Town("Slough", 51.5105, -0.5950, 140_000, "Slough"),
    Town("Langley", 51.5050, -0.5490, 25_000, "Slough"),
    Town("Abingdon", 51.6710, -1.2830, 37_000, "South & Vale"),
    Town("Didcot", 51.6060, -1.2410, 33_000, "South & Vale"),
    Town("Wantage", 51.5880, -1.4260, 12_000, "South & Vale"),
    Town("Wallingford", 51.6000, -1.1250, 12_000, "South & Vale"),
    Town("Henley-on-Thames", 51.5360, -0.9030, 12_000, "South & Vale"),
    Town("Thame", 51.7470, -0.9760, 12_000, "South & Vale"),
    Town("Faringdon", 51.6560, -1.5860, 7_000, "South & Vale"),
    Town("Oxford", 51.7520, -1.2577, 110_000, "Oxford"),
    Town("Headington", 51.7600, -1.2150, 25_000, "Oxford"),
    Town("Cowley", 51.7330, -1.2130, 27_000, "Oxford"),
    Town("High Wycombe", 51.6287, -0.7482, 125_000, "Wycombe"),
    Town("Marlow", 51.5710, -0.7760, 14_000, "Wycombe"),
    Town("Princes Risborough", 51.7240, -0.8340, 8_000, "Wycombe"),
    Town("Amersham", 51.6770, -0.6070, 24_000, "Chiltern & South Bucks"),
    Town("Chesham", 51.7060, -0.6110, 22_000, "Chiltern & South Bucks"),
    Town("Beaconsfield", 51.6110, -0.6440, 12_000, "Chiltern & South Bucks"),
    Town("Gerrards Cross", 51.5860, -0.5550, 8_000, "Chiltern & South Bucks"),
    Town("Burnham", 51.5400, -0.6570, 11_000, "Chiltern & South Bucks"),
    Town("Banbury", 52.0629, -1.3398, 50_000, "Cherwell & West Oxfordshire"),
    Town("Bicester", 51.8990, -1.1530, 37_000, "Cherwell & West Oxfordshire"),
    Town("Kidlington", 51.8230, -1.2900, 16_000, "Cherwell & West Oxfordshire"),
    Town("Witney", 51.7850, -1.4850, 29_000, "Cherwell & West Oxfordshire"),
    Town("Carterton", 51.7590, -1.5950, 16_000, "Cherwell & West Oxfordshire"),
    Town("Chipping Norton", 51.9420, -1.5460, 6_500, "Cherwell & West Oxfordshire"),
    Town("Aylesbury", 51.8168, -0.8124, 71_000, "Aylesbury Vale"),
    Town("Buckingham", 51.9990, -0.9870, 13_000, "Aylesbury Vale"),
    Town("Winslow", 51.9430, -0.8810, 4_500, "Aylesbury Vale"),
    Town("Wendover", 51.7620, -0.7420, 7_500, "Aylesbury Vale"),
    Town("Milton Keynes", 52.0406, -0.7594, 170_000, "Milton Keynes"),
    Town("Bletchley", 51.9940, -0.7320, 37_000, "Milton Keynes"),
    Town("Wolverton", 52.0600, -0.8100, 12_000, "Milton Keynes"),
    Town("Newport Pagnell", 52.0870, -0.7220, 15_000, "Milton Keynes"),
    Town("Olney", 52.1530, -0.7010, 6_500, "Milton Keynes"),
)

_SURNAMES = (
    "Khan", "Smith", "Patel", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans",
    "Wilson", "Thomas", "Roberts", "Johnson", "Lewis", "Walker", "Robinson", "Wood", "Thompson",
    "White", "Hughes", "Edwards", "Green", "Hall", "Martin", "Clarke", "Jackson", "Hussain",
    "Begum", "Kowalski", "Nowak", "Okafor", "Adeyemi", "Singh", "Kaur", "Ali", "Ahmed",
    "Murphy", "O'Brien", "Campbell", "Stewart", "Wright", "Turner", "Hill", "Moore", "Cooper",
    "Ward", "Morris", "King", "Baker", "Harrison", "Mensah", "Wiśniewska", "Chen", "Nguyen",
)  # fmt: skip
_INITIALS = "ABCDEFGHIJKLMNPRSTVW"
_DAY_SHIFTS = (("08:00", "16:00"), ("07:00", "15:00"), ("10:00", "18:00"))
_DAY_SHIFT_P = (0.6, 0.2, 0.2)
_LATE_SHIFT = ("14:00", "22:00")
_EVENING_WINDOWS = (("17:30", "20:30"), ("18:00", "21:00"), ("17:00", "20:00"))
_INTERVAL_OVERRIDES = {  # per-person intervals an offender manager might set, by risk level
    "very_high": (14, 28),
    "high": (28, 60),
    "medium": (60, 120),
    "low": (120,),
}

OFFENDER_COLUMNS = (
    "offender_id", "risk_level", "lat", "lon", "offender_manager_id", "area", "status",
    "last_visit_date", "registered_on", "released_on", "address_changed_on",
    "visit_interval_days", "two_officers", "window_start", "window_end", "unavailable_from",
    "unavailable_to", "visit_minutes", "required_skills",
)  # fmt: skip
OFFICER_COLUMNS = (
    "officer_id", "name", "base_lat", "base_lon", "area", "working_days", "shift_start",
    "shift_end", "max_visits_per_day", "skills",
)  # fmt: skip
ABSENCE_COLUMNS = ("officer_id", "start", "end", "reason")
VISIT_COLUMNS = ("offender_id", "date", "start", "officer_ids", "outcome", "kind")


@dataclass
class _Officer:
    officer_id: str
    name: str
    lpa: Lpa
    days: list[int]
    shift: tuple[str, str]
    max_per_day: int | None
    skills: list[str]


@dataclass
class _Person:
    lpa: Lpa
    lat: float
    lon: float
    risk: str = "low"
    status: str = "active"
    manager: _Officer | None = None
    interval_override: int | None = None
    two_officers: bool | None = None
    window: tuple[str, str] | None = None
    unavailable: tuple[date, date] | None = None
    visit_minutes: int | None = None
    skills: list[str] = field(default_factory=list)
    last_visit: date | None = None
    registered_on: date | None = None
    released_on: date | None = None
    address_changed_on: date | None = None
    offender_id: str = ""


def choose_lpas(n_offenders: int, n_officers: int) -> list[Lpa]:
    """The local policing areas a data set of this size covers.

    A force-size caseload covers every area; a smaller one the shortest contiguous block (in
    `LPAS` order) whose expected caseload, at Thames Valley's rate, reaches 80 % of
    `n_offenders` (people cluster a little more than average). Each
    area needs a team of at least two officers (no lone visits), which can shrink the block.
    """
    if n_offenders >= FORCE_SIZE:
        chosen = list(LPAS)
    else:
        total = sum(a.residents for a in LPAS)
        chosen, expected = [], 0.0
        for area in LPAS:
            chosen.append(area)
            expected += FORCE_CASELOAD * area.residents / total
            # People may be a little denser than the force average (hotspots), so stop at 80 %.
            if expected >= 0.8 * n_offenders:
                break
    return chosen[: max(1, min(len(chosen), n_officers // 2))]


def generate(
    n_offenders: int,
    n_officers: int,
    seed: int,
    start: date,
    progress: Progress | None = None,
    as_of: date | None = None,
) -> dict[str, str]:
    """A complete synthetic data folder: file name -> text, deterministic for the arguments.

    `start` is the first day of the plan the data is made for: the visit log ends the day
    before, absences cover the two months from it, and due dates are spread around it.
    `as_of` (optional) is the day the data is exported: nothing in the history (visits,
    registrations, releases, moves) is later than it, for a plan that starts in the future.
    """
    if n_offenders < 1:
        raise GenerationError(f"offenders: {n_offenders} is too few; expected at least 1")
    if n_officers < 2:
        raise GenerationError(
            f"officers: {n_officers} is too few; expected at least 2 (visits need two officers)"
        )
    say = progress or (lambda _msg: None)
    rng = np.random.default_rng(seed)
    lpas = choose_lpas(n_offenders, n_officers)
    say(f"areas: {', '.join(a.name for a in lpas)}")

    people_per_lpa = _apportion(n_offenders, [a.residents for a in lpas])
    officers_per_lpa = _apportion_min(n_officers, people_per_lpa, minimum=2)
    officers = _make_officers(rng, lpas, officers_per_lpa)
    teams = {a.name: [o for o in officers if o.lpa is a] for a in lpas}
    say(f"{len(officers)} officers in {len(lpas)} teams")

    people: list[_Person] = []
    for area, count in zip(lpas, people_per_lpa, strict=True):
        people.extend(_place_people(rng, area, count))
    say(f"placed {len(people)} people")

    _assign_risk_and_status(rng, people)
    _assign_managers(rng, people, teams)
    _assign_conditions(rng, people, teams)
    ref = start if as_of is None else min(start, as_of + timedelta(days=1))
    _assign_dates(rng, people, ref, start)

    order = rng.permutation(len(people))  # ids carry no hint of area or risk
    width = max(5, len(str(len(people))))
    for rank, idx in enumerate(order, start=1):
        people[int(idx)].offender_id = f"RSO{rank:0{width}d}"
    people.sort(key=lambda p: p.offender_id)

    say("writing the visit log")
    visits = _history(rng, people, teams, ref)
    absences = _absences(rng, officers, start)
    files = {
        "offenders.csv": csv_text(OFFENDER_COLUMNS, (_offender_row(p) for p in people)),
        "officers.csv": csv_text(OFFICER_COLUMNS, (_officer_row(o) for o in officers)),
        "absences.csv": csv_text(ABSENCE_COLUMNS, absences),
        "visits.csv": csv_text(VISIT_COLUMNS, visits),
        "policy.toml": policy_toml(),
    }
    say(f"{len(people)} people, {len(officers)} officers, {len(visits)} visit records")
    return files


def write_dataset(out_dir: Path, files: dict[str, str]) -> None:
    """Write a generated data folder atomically (owner-only files, all or nothing)."""
    with staged_output(Path(out_dir), manifest=False) as stage:
        for name in sorted(files):
            write_private(stage / name, files[name])


def policy_toml(policy: Policy | None = None) -> str:
    """The policy as a commented policy.toml (the built-in defaults unless one is given)."""
    p = policy or Policy()
    if p == Policy():
        head = "# Visiting policy (data contract: policy.toml). Every value here is the built-in default;"
    else:
        head = "# Visiting policy (data contract: policy.toml), changed from the built-in defaults;"
    lines = [head, "# delete a line to use the default, or change it to your force's policy.", ""]
    notes = {
        "very_high": "visited about monthly",
        "high": "about every three months",
        "medium": "about every six months",
        "low": "about yearly (many low-risk people are under reactive management instead)",
    }
    for level in RISK_KEYS:
        rp = p.risk[level]
        lines += [
            f"[risk.{level}]  # {notes[level]}",
            f"interval_days = {rp.interval_days}  # default days between visits; a per-person visit_interval_days overrides it",
            f"window_days = {rp.window_days}  # a visit may be made this many days before it is due",
            f"visit_minutes = {rp.visit_minutes}  # time at the address (an ARMS review takes longer)",
            f"two_officers = {str(rp.two_officers).lower()}  # no lone visits (national guidance)",
            f"weight = {rp.weight}  # priority when not everything fits",
            "",
        ]
    lines += [
        "[visits]",
        f"first_visit_days = {p.visits.first_visit_days}  # due this many days after registration, release or a move",
        f"unannounced_share = {p.visits.unannounced_share}  # share of visits made unannounced",
        "",
        "[travel]",
        f'model = "{p.travel.model}"  # straight line x circuity at an average speed; no network needed',
        f"circuity = {p.travel.circuity}  # road distance / straight-line distance",
        f"speed_kmh = {p.travel.speed_kmh:g}  # effective door-to-door speed",
        "",
        "[areas]",
        f'mode = "{p.areas.mode}"  # "strict": own area only; "prefer": crossing areas costs extra; "ignore"',
        "",
        "[planner]",
        f"continuity_minutes = {p.planner.continuity_minutes}  # officer-minutes of driving (whole crew) worth spending to send the named offender manager; 0 ignores it",
        "",
        "# [maps]  # optional: the force's own map tile server for route maps (never public tiles)",
        "# tiles = URL template of the internal tile server, with {z}/{x}/{y}",
        '# attribution = "Force GIS"',
        "",
    ]
    return "\n".join(lines)


# --- building blocks -------------------------------------------------------------------------


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder, ties to the earlier)."""
    s = float(sum(weights))
    raw = [total * w / s for w in weights]
    out = [math.floor(r) for r in raw]
    rest = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in rest[: total - sum(out)]:
        out[i] += 1
    return out


def _apportion_min(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """Like `_apportion` but every share gets at least `minimum` (needs total >= n * minimum)."""
    base = [minimum] * len(weights)
    extra = _apportion(total - minimum * len(weights), weights) if sum(weights) else []
    return [b + e for b, e in zip(base, extra or [0] * len(weights), strict=True)]


def _make_officers(rng: np.random.Generator, lpas: list[Lpa], counts: list[int]) -> list[_Officer]:
    officers: list[_Officer] = []
    for area, k in zip(lpas, counts, strict=True):
        # Late shifts (14:00-22:00) let a pair meet evening windows, so every team of three or
        # more has two (a fifth of a big team); a pair of officers works days only.
        n_late = max(2, round(0.2 * k)) if k >= 3 else 0
        small = k - n_late == 1  # the one day officer of a small team overlaps the late pair
        late = set(rng.choice(k, size=n_late, replace=False).tolist()) if n_late else set()
        team: list[_Officer] = []
        for i in range(k):
            n_days = int(rng.choice([2, 3, 4], p=[0.2, 0.65, 0.15]))
            if i in late:
                n_days = max(n_days, 3)  # two late officers then share at least one day
            days = sorted(rng.choice(5, size=n_days, replace=False).tolist())
            if i in late:
                shift = _LATE_SHIFT
            else:
                shift = _DAY_SHIFTS[int(rng.choice(len(_DAY_SHIFTS), p=_DAY_SHIFT_P))]
                if small:
                    shift = ("10:00", "18:00")
            cap = int(rng.choice([4, 5, 6])) if rng.random() < 0.3 else None
            urdu_p = (
                0.25
                if area.name in ("Slough", "Wycombe", "Oxford", "Reading", "Milton Keynes")
                else 0.05
            )
            skill_p = {"female": 0.35, "polish": 0.08, "urdu": urdu_p, "arms_trained": 0.1}
            skills = [s for s in SKILLS if rng.random() < skill_p[s]]
            rank = "PC" if rng.random() < 0.75 else "DC"
            name = f"{rank} {_INITIALS[int(rng.integers(len(_INITIALS)))]}. {_SURNAMES[int(rng.integers(len(_SURNAMES)))]}"
            team.append(_Officer("", name, area, days, shift, cap, skills))
        if not any("female" in o.skills for o in team):
            team[int(rng.integers(k))].skills.insert(0, "female")
        officers.extend(team)
    # Every skill exists somewhere, so even a small data set has people needing each one.
    for skill in SKILLS:
        if not any(skill in o.skills for o in officers):
            officers[int(rng.integers(len(officers)))].skills.append(skill)
    for n, o in enumerate(officers, start=1):
        o.officer_id = f"TV{n:04d}"
        o.skills.sort()
    return officers


def _km_to_deg(lat: float, dy_km: np.ndarray, dx_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return dy_km / KM_PER_DEG_LAT, dx_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))


def _place_people(rng: np.random.Generator, area: Lpa, count: int) -> list[_Person]:
    """Scatter `count` people around the area's towns, with a rural share between them."""
    towns = [t for t in TOWNS if t.lpa == area.name]
    pops = np.array([t.population for t in towns], dtype=float)
    p = pops / pops.sum()
    n_rural = int(round(RURAL_SHARE * count))
    lat = np.empty(count)
    lon = np.empty(count)
    # Town dwellers: gaussian around the centre, wider for bigger towns.
    which = rng.choice(len(towns), size=count - n_rural, p=p)
    sigma_km = np.array([1.0 + 0.6 * math.sqrt(t.population / 10_000) for t in towns])[which]
    dy, dx = rng.normal(size=(2, count - n_rural)) * sigma_km
    base_lat = np.array([t.lat for t in towns])[which]
    base_lon = np.array([t.lon for t in towns])[which]
    dlat, dlon = _km_to_deg(area.lat, dy, dx)
    lat[: count - n_rural] = base_lat + dlat
    lon[: count - n_rural] = base_lon + dlon
    # Rural: somewhere along the way between two of the area's towns, off the road.
    a = rng.choice(len(towns), size=n_rural, p=p)
    b = rng.choice(len(towns), size=n_rural, p=p)
    t = rng.random(n_rural)
    tl = np.array([x.lat for x in towns])
    tn = np.array([x.lon for x in towns])
    dy, dx = rng.normal(size=(2, n_rural)) * 2.5
    dlat, dlon = _km_to_deg(area.lat, dy, dx)
    lat[count - n_rural :] = tl[a] + t * (tl[b] - tl[a]) + dlat
    lon[count - n_rural :] = tn[a] + t * (tn[b] - tn[a]) + dlon
    # Keep everyone inside the force area: pull stray points back towards the station.
    lo_lat, hi_lat, lo_lon, hi_lon = THAMES_VALLEY_BBOX
    for _ in range(20):
        out = (lat < lo_lat) | (lat > hi_lat) | (lon < lo_lon) | (lon > hi_lon)
        if not out.any():
            break
        lat[out] = area.lat + (lat[out] - area.lat) * 0.7
        lon[out] = area.lon + (lon[out] - area.lon) * 0.7
    return [
        _Person(area, round(float(y), 5), round(float(x), 5)) for y, x in zip(lat, lon, strict=True)
    ]


def _assign_risk_and_status(rng: np.random.Generator, people: list[_Person]) -> None:
    n = len(people)
    # Exact quotas, shuffled: the mix is right even for a few hundred people.
    counts = _apportion(n, RISK_SHARES)
    levels = np.repeat(np.arange(4), counts)
    rng.shuffle(levels)
    u = rng.random(n)
    for person, level, x in zip(people, levels, u, strict=True):
        person.risk = RISK_KEYS[int(level)]
        if x < 0.025:
            person.status = "custody"
        elif x < 0.03:
            person.status = "hospital"
        elif x < 0.035:
            person.status = "abroad"
        elif person.risk == "low" and rng.random() < REACTIVE_SHARE_OF_LOW:
            person.status = "reactive"


def _assign_managers(
    rng: np.random.Generator, people: list[_Person], teams: dict[str, list[_Officer]]
) -> None:
    """Named offender manager from the person's own team, caseloads balanced within a team."""
    by_area: dict[str, list[_Person]] = {}
    for p in people:
        by_area.setdefault(p.lpa.name, []).append(p)
    for name, members in by_area.items():
        team = teams[name]
        for i, idx in enumerate(rng.permutation(len(members))):
            members[int(idx)].manager = team[i % len(team)]


def _assign_conditions(
    rng: np.random.Generator, people: list[_Person], teams: dict[str, list[_Officer]]
) -> None:
    """Per-person overrides: intervals, windows, lone visits, durations, travel, skills."""
    late_teams = {
        name for name, team in teams.items() if sum(o.shift == _LATE_SHIFT for o in team) >= 2
    }
    # Evening windows need a pair on late shifts, so only teams with two late officers get
    # them; those teams take a larger share so the force-wide share stays near EVENING_SHARE.
    in_late = sum(p.lpa.name in late_teams for p in people)
    evening_p = min(0.2, EVENING_SHARE * len(people) / in_late) if in_late else 0.0
    for p in people:
        r = rng.random(7)
        if p.status != "active" and p.status != "reactive":
            continue
        if r[0] < 0.03:
            choices = _INTERVAL_OVERRIDES[p.risk]
            p.interval_override = int(choices[int(rng.integers(len(choices)))])
        if p.status == "reactive":
            continue
        if r[1] < evening_p and p.lpa.name in late_teams:  # people in work: evenings only
            p.window = _EVENING_WINDOWS[int(rng.integers(len(_EVENING_WINDOWS)))]
        if p.risk == "low" and r[2] < 0.06:
            p.two_officers = False
        if r[3] < 0.03:
            p.visit_minutes = int(rng.choice([45, 90, 120]))
        if r[4] < 0.04:
            held = sorted({s for o in teams[p.lpa.name] for s in o.skills})
            if held:
                weights = np.array([3.0 if s == "female" else 1.0 for s in held])
                p.skills = [held[int(rng.choice(len(held), p=weights / weights.sum()))]]


def _interval(p: _Person) -> int:
    return p.interval_override or Policy().risk[p.risk].interval_days


def _weekday_on_or_before(d: date) -> date:
    """Visits happen on weekdays: move a Saturday or Sunday back to the Friday."""
    return d - timedelta(days=max(0, d.weekday() - 4))


def _assign_dates(rng: np.random.Generator, people: list[_Person], ref: date, start: date) -> None:
    """Registration, last visit, release and move dates that give a realistic backlog.

    History is drawn back from `ref` (the day after the data is known to, normally `start`);
    notified travel lies around the plan month from `start`.
    """
    for p in people:
        interval = _interval(p)
        r = rng.random(8)
        if p.status == "active" and r[0] < 0.015:
            # New registration, not yet visited: due 14 days after registering.
            p.registered_on = ref - timedelta(days=int(rng.integers(1, 43)))
            continue
        if p.status == "active" and r[0] < 0.018:
            continue  # no dates at all (data gap): owed from the start of the plan
        years = rng.uniform(1, 3) if r[1] < 0.15 else rng.uniform(3, 20)
        p.registered_on = ref - timedelta(days=int(years * 365))
        if p.status == "active" and r[2] < OVERDUE_SHARE:
            # Overdue: mostly by days or weeks, a few by months (as inspections found).
            if r[3] < 0.75:
                late = int(rng.integers(1, 46))
            elif r[3] < 0.95:
                late = int(rng.integers(46, 121))
            else:
                late = int(rng.integers(121, 241))
            since = interval + late
        elif p.status == "reactive":
            since = int(rng.integers(30, 3 * 365))
        elif p.status != "active":
            since = int(rng.integers(90, 2 * 365))  # last seen before custody, hospital, abroad
        else:
            since = int(rng.integers(1, interval + 1))
        last = _weekday_on_or_before(ref - timedelta(days=since))
        if last <= p.registered_on:  # registered earlier than drawn: keep the backlog drawn
            p.registered_on = last - timedelta(days=int(rng.integers(30, 366)))
        p.last_visit = last
        gap_max = min(120, interval - 15)
        if p.status == "active" and r[4] < 0.03 and gap_max >= 20:
            # Released from a short spell in custody (a recall or remand): seen shortly before,
            # so the release, not the interval, sets the next visit (contract: if sooner).
            p.released_on = ref - timedelta(days=int(rng.integers(1, 71)))
            p.last_visit = _weekday_on_or_before(
                p.released_on - timedelta(days=int(rng.integers(20, gap_max + 1)))
            )
            p.registered_on = min(p.registered_on, p.last_visit - timedelta(days=365))
        elif r[5] < 0.3 and p.last_visit is not None:
            # An older release, already followed up by a visit: no effect on the due date.
            span = (p.last_visit - p.registered_on).days
            if span > 30:
                p.released_on = p.registered_on + timedelta(days=int(rng.integers(1, span - 14)))
        if p.status == "active" and p.last_visit is not None and r[6] < 0.02:
            gap = (ref - p.last_visit).days
            if gap > 2:  # moved since the last visit: visit at the new address soon
                p.address_changed_on = ref - timedelta(days=int(rng.integers(1, min(gap, 43))))
        elif p.last_visit is not None and r[6] < 0.12:
            span = (p.last_visit - p.registered_on).days
            if span > 2:
                p.address_changed_on = p.registered_on + timedelta(days=int(rng.integers(1, span)))
        if p.status == "active" and r[7] < 0.015:
            # Notified travel: away for a while around the plan month.
            a = start + timedelta(days=int(rng.integers(-5, 26)))
            p.unavailable = (a, a + timedelta(days=int(rng.integers(4, 22))))


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


class _ShiftIndex:
    """Who of a team is on shift around a given start time (cached: few distinct times)."""

    def __init__(self, teams: dict[str, list[_Officer]]):
        self.teams = teams
        self._on: dict[tuple[str, int], list[_Officer]] = {}
        self._slots: dict[str, list[int]] = {}

    def on_shift(self, area: str, minute: int) -> list[_Officer]:
        """Officers on shift from half an hour before a visit to an hour and a half after it."""
        key = (area, minute)
        if key not in self._on:
            self._on[key] = [
                o
                for o in self.teams[area]
                if _minutes(o.shift[0]) <= minute - 30 and _minutes(o.shift[1]) >= minute + 90
            ]
        return self._on[key]

    def pair_slots(self, lead: _Officer) -> list[int]:
        """Daytime start times (from 09:00, 15-minute steps) when `lead` and a colleague are on."""
        if lead.officer_id not in self._slots:
            lo = max(_minutes(lead.shift[0]) + 30, 9 * 60)
            hi = max(lo, _minutes(lead.shift[1]) - 90)
            ok = [
                m
                for m in range(lo, hi + 1, 15)
                if lead in (team := self.on_shift(lead.lpa.name, m)) and len(team) >= 2
            ]
            self._slots[lead.officer_id] = ok or list(range(lo, hi + 1, 15))
        return self._slots[lead.officer_id]


def _pick_visit(
    rng: np.random.Generator, p: _Person, team: list[_Officer], single: bool, shifts: _ShiftIndex
) -> tuple[str, str]:
    """Start time and crew of a past visit: usually the manager with a colleague, both on
    shift, at a time inside the person's window or the lead officer's shift."""
    manager = p.manager
    assert manager is not None
    lead = manager if rng.random() < 0.85 else team[int(rng.integers(len(team)))]
    if p.window is not None:
        minute = _minutes(p.window[0]) + 15 * int(rng.integers(0, 5))
    else:
        slots = shifts.pair_slots(lead)
        minute = slots[int(rng.integers(len(slots)))]
    on_shift = shifts.on_shift(p.lpa.name, minute)
    if lead not in on_shift and on_shift:  # e.g. an evening visit: a late officer leads
        lead = on_shift[int(rng.integers(len(on_shift)))]
    time_text = f"{minute // 60:02d}:{minute % 60:02d}"
    if single or len(team) < 2:
        return time_text, lead.officer_id
    pool = on_shift if any(o is not lead for o in on_shift) else team
    other = lead
    while other is lead:
        other = pool[int(rng.integers(len(pool)))]
    return time_text, f"{lead.officer_id};{other.officer_id}"


def _history(
    rng: np.random.Generator,
    people: list[_Person],
    teams: dict[str, list[_Officer]],
    ref: date,
) -> list[tuple[str, str, str, str, str, str]]:
    """The visit log up to the day before `ref`: completed, no-access and cancelled visits."""
    log_start = ref - timedelta(days=HISTORY_DAYS)
    last_day = ref - timedelta(days=1)
    rows: list[tuple[str, date, str, str, str, str]] = []
    shifts = _ShiftIndex(teams)

    def add(p: _Person, day: date, outcome: str) -> None:
        day = _weekday_on_or_before(day)
        if day < log_start or day > last_day:
            return
        if p.registered_on is not None and day < p.registered_on:
            return
        kind = "unannounced" if rng.random() < 0.5 else "announced"
        single = p.two_officers is False and rng.random() < 0.6
        start_text, crew = _pick_visit(rng, p, teams[p.lpa.name], single, shifts)
        rows.append((p.offender_id, day, start_text, crew, outcome, kind))

    for p in people:
        if p.last_visit is None:
            continue
        interval = _interval(p)
        r = rng.random(4)
        completed: list[date] = []
        if r[0] < 0.9:  # most last visits are in the log; some predate it or were kept elsewhere
            completed.append(p.last_visit)
        day = p.last_visit
        for _ in range(40):
            step = max(7, int(interval * rng.uniform(0.8, 1.1)))
            day = _weekday_on_or_before(day - timedelta(days=step))
            if day < log_start or (p.registered_on is not None and day <= p.registered_on):
                break
            if rng.random() < 0.97:
                completed.append(day)
        for d in sorted(completed):
            x = rng.random()
            if x < 0.06:  # nobody home on a first try shortly before
                add(p, d - timedelta(days=int(rng.integers(1, 11))), "no_access")
            elif x < 0.09:
                add(p, d - timedelta(days=int(rng.integers(1, 15))), "cancelled")
            add(p, d, "completed")
        due = p.last_visit + timedelta(days=interval)
        if p.status == "active" and due < last_day and r[1] < 0.45:
            # Overdue people often have failed attempts since the visit fell due.
            for _ in range(1 + int(r[2] < 0.4)):
                gap = (last_day - due).days
                add(p, due + timedelta(days=int(rng.integers(0, gap + 1))), "no_access")
        elif p.status == "active" and r[3] < 0.03 and (last_day - p.last_visit).days > 3:
            gap = (last_day - p.last_visit).days
            add(p, p.last_visit + timedelta(days=int(rng.integers(2, gap + 1))), "no_access")
    # Two failed attempts drawn for the same day and slot would be one row written twice,
    # which the validator warns about as a log exported twice: keep one.
    rows = sorted(set(rows), key=lambda row: (row[1], row[2], row[0], row[3], row[4], row[5]))
    return [(o, d.isoformat(), t, c, out, k) for o, d, t, c, out, k in rows]


def _absences(
    rng: np.random.Generator, officers: list[_Officer], start: date
) -> list[tuple[str, str, str, str]]:
    """Leave, training, court and sickness in the two months from `start`, never overlapping."""
    horizon = start + timedelta(days=ABSENCE_HORIZON_DAYS)
    closed = bank_holidays(start, horizon)  # no training or court on a bank holiday

    def working_day(offset: int) -> date | None:
        d = _weekday_on_or_before(start + timedelta(days=offset))
        while d in closed:
            d = _weekday_on_or_before(d - timedelta(days=1))
        return d if d >= start else None

    rows: list[tuple[str, str, str, str]] = []
    for o in officers:
        taken: list[tuple[date, date]] = []

        def book(a: date, b: date, reason: str, o: _Officer = o, taken: list = taken) -> None:
            b = min(b, horizon)
            if a > horizon or any(not (b < x or a > y) for x, y in taken):
                return
            taken.append((a, b))
            rows.append((o.officer_id, a.isoformat(), b.isoformat(), reason))

        r = rng.random(4)
        if r[0] < 0.6:  # a week or two of annual leave (Christmas falls in most windows)
            a = start + timedelta(days=int(rng.integers(0, ABSENCE_HORIZON_DAYS - 7)))
            a -= timedelta(days=a.weekday())  # leave runs Monday to Friday
            a = max(a, start)
            weeks = 1 if rng.random() < 0.6 else 2
            book(a, a + timedelta(days=7 * weeks - 3), "annual leave")
        for _ in range(int(rng.integers(0, 3))):
            day = working_day(int(rng.integers(0, ABSENCE_HORIZON_DAYS)))
            if day is not None:
                book(day, day, "training")
        if r[1] < 0.3:
            day = working_day(int(rng.integers(0, ABSENCE_HORIZON_DAYS)))
            if day is not None:
                book(day, day, "court")
        if r[2] < 0.12:
            a = start + timedelta(days=int(rng.integers(0, ABSENCE_HORIZON_DAYS)))
            book(a, a + timedelta(days=int(rng.integers(0, 5))), "sickness")
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _iso(d: date | None) -> str:
    return d.isoformat() if d is not None else ""


def _offender_row(p: _Person) -> list[str]:
    return [
        p.offender_id,
        p.risk,
        f"{p.lat:.5f}",
        f"{p.lon:.5f}",
        p.manager.officer_id if p.manager else "",
        p.lpa.name,
        p.status,
        _iso(p.last_visit),
        _iso(p.registered_on),
        _iso(p.released_on),
        _iso(p.address_changed_on),
        str(p.interval_override) if p.interval_override else "",
        "" if p.two_officers is None else str(p.two_officers).lower(),
        p.window[0] if p.window else "",
        p.window[1] if p.window else "",
        _iso(p.unavailable[0]) if p.unavailable else "",
        _iso(p.unavailable[1]) if p.unavailable else "",
        str(p.visit_minutes) if p.visit_minutes else "",
        ";".join(p.skills),
    ]


def _officer_row(o: _Officer) -> list[str]:
    return [
        o.officer_id,
        o.name,
        f"{o.lpa.lat:.5f}",
        f"{o.lpa.lon:.5f}",
        o.lpa.name,
        ";".join(WEEKDAYS[d] for d in o.days),
        o.shift[0],
        o.shift[1],
        str(o.max_per_day) if o.max_per_day else "",
        ";".join(o.skills),
    ]
