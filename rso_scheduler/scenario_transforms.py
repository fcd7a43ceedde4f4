"""Scenario transforms: pure functions on a `Dataset`, deterministic for a seed.

Officers removed (by id or a seeded share spread over areas), added (copying an area's
working pattern from its station), or absent more often; the caseload grown (or shrunk) in
the same risk and area mix; policy overrides. `apply_scenario` applies a scenario's changes
in that order: policy, officers removed by id, by share, added, extra absence, caseload.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from rso_scheduler.demand import history_by_offender, last_completed
from rso_scheduler.duty import DutyCalendar
from rso_scheduler.errors import PolicyError, ScenarioError
from rso_scheduler.limits import MAX_ADD_FACTOR
from rso_scheduler.models import (
    Absence,
    Dataset,
    Offender,
    Officer,
)
from rso_scheduler.policy import apply_overrides
from rso_scheduler.redact import shown_all
from rso_scheduler.scenario_file import Scenario, relocate_policy_problems


def _rng(seed: int, stream: str) -> random.Random:
    # A string seed is hashed with SHA-512 by `random`, so streams are stable across runs
    # and Python versions, and each transform's draws do not depend on the others'.
    return random.Random(f"rso-scenario:{seed}:{stream}")


def area_key(area: str | None) -> str:
    """The grouping key of an area (no area is a group of its own)."""
    return area if area is not None else ""


def apportion(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split `total` over keys in proportion to `weights` (largest remainder; exact sum).

    Ties in the remainders go to the larger weight, then the key in sorted order, so the
    split is deterministic.
    """
    keys = sorted(weights)
    wsum = sum(weights.values())
    if total <= 0 or wsum <= 0:
        return dict.fromkeys(keys, 0)
    exact = {k: total * weights[k] / wsum for k in keys}
    out = {k: math.floor(exact[k]) for k in keys}
    left = total - sum(out.values())
    order = sorted(keys, key=lambda k: (-(exact[k] - out[k]), -weights[k], k))
    for k in order[:left]:
        out[k] += 1
    return out


def officers_by_area(officers: Sequence[Officer]) -> dict[str, list[Officer]]:
    out: dict[str, list[Officer]] = defaultdict(list)
    for o in officers:
        out[area_key(o.area)].append(o)
    for lst in out.values():
        lst.sort(key=lambda o: o.officer_id)
    return dict(out)


def pick_officers_to_remove(dataset: Dataset, count: int, seed: int) -> list[str]:
    """`count` officer ids sampled with the seed, spread over areas in proportion to their size."""
    if count < 0 or count >= len(dataset.officers):
        raise ScenarioError(
            f"cannot remove {count} of {len(dataset.officers)} officers; at least one must remain"
        )
    groups = officers_by_area(dataset.officers)
    quota = apportion(count, {a: len(v) for a, v in groups.items()})
    rng = _rng(seed, "remove")
    out: list[str] = []
    for area in sorted(groups):
        out += [o.officer_id for o in rng.sample(groups[area], quota[area])]
    return sorted(out)


def remove_officers(dataset: Dataset, officer_ids: Sequence[str]) -> Dataset:
    """The dataset without these officers (and their absences).

    People they managed get the remaining officer of the same area with the fewest people
    (ties by id), or no named manager if none of the area remains.
    """
    known = dataset.officer_by_id()
    unknown = sorted(set(officer_ids) - set(known))
    if unknown:
        shown = shown_all(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise ScenarioError(f"cannot remove unknown officer id(s): {shown}")
    gone = set(officer_ids)
    if len(gone) >= len(dataset.officers):
        raise ScenarioError("cannot remove every officer; at least one must remain")
    officers = tuple(o for o in dataset.officers if o.officer_id not in gone)
    load = Counter(
        p.offender_manager_id for p in dataset.offenders if p.offender_manager_id not in gone
    )
    groups = officers_by_area(officers)
    offenders = []
    for p in dataset.offenders:
        if p.offender_manager_id in gone:
            pool = groups.get(area_key(known[p.offender_manager_id].area)) or groups.get(
                area_key(p.area)
            )
            new_id = None
            if pool:
                best = min(pool, key=lambda o: (load[o.officer_id], o.officer_id))
                new_id = best.officer_id
                load[new_id] += 1
            p = p.model_copy(update={"offender_manager_id": new_id})
        offenders.append(p)
    absences = tuple(a for a in dataset.absences if a.officer_id not in gone)
    return dataset.model_copy(
        update={"officers": officers, "offenders": tuple(offenders), "absences": absences}
    )


def _new_ids(prefix: str, taken: set[str], n: int) -> list[str]:
    """`n` ids `PREFIX0001`... that are not in `taken` (which is updated)."""
    out: list[str] = []
    k = 0
    while len(out) < n:
        k += 1
        cand = f"{prefix}{k:04d}"
        if cand not in taken:
            taken.add(cand)
            out.append(cand)
    return out


def _station(officers: Sequence[Officer]) -> tuple[float, float]:
    """The area's station: the base most of its officers start from (ties: first by id)."""
    counts = Counter((o.base_lat, o.base_lon) for o in officers)
    best = max(counts.values())
    for o in officers:
        if counts[(o.base_lat, o.base_lon)] == best:
            return (o.base_lat, o.base_lon)
    raise AssertionError("unreachable: officers is not empty")


def add_officers(dataset: Dataset, count: int, seed: int) -> Dataset:
    """`count` new officers following the area mix.

    Each copies the working pattern (days, shift, daily cap, skills) of an officer of its area
    drawn with the seed, starts from the area's station, and gets an id that cannot clash.
    """
    if count <= 0:
        return dataset
    groups = officers_by_area(dataset.officers)
    if not groups:
        raise ScenarioError(
            "cannot add officers to a dataset without officers to copy a pattern from"
        )
    quota = apportion(count, {a: len(v) for a, v in groups.items()})
    rng = _rng(seed, "add")
    taken = {o.officer_id for o in dataset.officers}
    new: list[Officer] = []
    ids = iter(_new_ids("SCN", taken, count))
    for area in sorted(groups):
        base_lat, base_lon = _station(groups[area])
        for _ in range(quota[area]):
            tpl = rng.choice(groups[area])
            oid = next(ids)
            new.append(
                tpl.model_copy(
                    update={
                        "officer_id": oid,
                        "name": f"Scenario officer {oid}",
                        "base_lat": base_lat,
                        "base_lon": base_lon,
                        "line": 0,
                    }
                )
            )
    return dataset.model_copy(update={"officers": dataset.officers + tuple(new)})


def scale_officers(dataset: Dataset, target: int, seed: int) -> Dataset:
    """The dataset with exactly `target` officers (removing or cloning, area mix kept)."""
    n = len(dataset.officers)
    if target < 1:
        raise ScenarioError("a scenario needs at least one officer")
    if target < n:
        return remove_officers(dataset, pick_officers_to_remove(dataset, n - target, seed))
    return add_officers(dataset, target - n, seed)


def add_extra_absences(
    dataset: Dataset, share: float, start: date, end: date, seed: int
) -> Dataset:
    """Each officer loses `share` of their working days in [start, end] (seeded days, exact count).

    Days already lost (absence, bank holiday, day off) are not counted as working days.
    """
    if share <= 0:
        return dataset
    cal = DutyCalendar(dataset.officers, dataset.absences, start, end)
    rng = _rng(seed, "absence")
    extra: list[Absence] = []
    for o in sorted(dataset.officers, key=lambda o: o.officer_id):
        work = cal.officer_days(o)
        lost = sorted(rng.sample(work, round(share * len(work))))
        for a, b in _runs(lost):
            extra.append(
                Absence(officer_id=o.officer_id, start=a, end=b, reason="scenario extra absence")
            )
    return dataset.model_copy(update={"absences": dataset.absences + tuple(extra)})


def _runs(sorted_days: list[date]) -> list[tuple[date, date]]:
    """Consecutive dates merged into inclusive ranges."""
    out: list[tuple[date, date]] = []
    for d in sorted_days:
        if out and out[-1][1] + timedelta(days=1) == d:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


# About 500 m: new homes are near existing ones (same geography) but not on top of them.
_JITTER_KM = 0.5
_KM_PER_DEG_LAT = 111.2


def grow_caseload(dataset: Dataset, growth: float, start: date, seed: int) -> Dataset:
    """`growth` x the caseload more people (fewer if negative), same risk mix and geography.

    New people are drawn per (risk level, area) stratum in proportion to its size, so the risk
    mix and area mix are kept to within one person per stratum. Each copies a person of the
    stratum: their status, interval, crew, window, duration and skills, a home about 500 m
    from theirs, and a history like theirs (last visit or registration date moved by up to two
    weeks, never after the plan start), so some are never visited or newly registered, as in
    the population. Their manager is an officer of the area (seeded), if there is one.
    """
    n = len(dataset.offenders)
    count = round(abs(growth) * n)
    if count == 0 or n == 0:
        return dataset
    strata: dict[str, list[Offender]] = defaultdict(list)
    for p in dataset.offenders:
        strata[f"{p.risk_level.value}|{area_key(p.area)}"].append(p)
    for lst in strata.values():
        lst.sort(key=lambda p: p.offender_id)
    quota = apportion(count, {k: len(v) for k, v in strata.items()})
    rng = _rng(seed, "caseload")
    if growth < 0:
        gone: set[str] = set()
        for k in sorted(strata):
            gone |= {p.offender_id for p in rng.sample(strata[k], quota[k])}
        return dataset.model_copy(
            update={
                "offenders": tuple(p for p in dataset.offenders if p.offender_id not in gone),
                "visits": tuple(v for v in dataset.visits if v.offender_id not in gone),
            }
        )
    hist = history_by_offender(dataset.visits)
    managers = officers_by_area(dataset.officers)
    taken = {p.offender_id for p in dataset.offenders}
    ids = iter(_new_ids("SCNP", taken, count))
    latest = start - timedelta(days=1)
    new: list[Offender] = []
    for k in sorted(strata):
        for _ in range(quota[k]):
            tpl = rng.choice(strata[k])
            last = last_completed(tpl, hist.get(tpl.offender_id, []))
            lat, lon = _jitter(tpl.lat, tpl.lon, rng)
            shift = timedelta(days=rng.randint(-14, 14))
            pool = managers.get(area_key(tpl.area), [])
            new.append(
                Offender(
                    offender_id=next(ids),
                    risk_level=tpl.risk_level,
                    lat=lat,
                    lon=lon,
                    offender_manager_id=rng.choice(pool).officer_id if pool else None,
                    area=tpl.area,
                    status=tpl.status,
                    last_visit_date=min(last + shift, latest) if last else None,
                    registered_on=(
                        min(tpl.registered_on + shift, latest + timedelta(days=1))
                        if tpl.registered_on
                        else None
                    ),
                    visit_interval_days=tpl.visit_interval_days,
                    two_officers=tpl.two_officers,
                    window_start_min=tpl.window_start_min,
                    window_end_min=tpl.window_end_min,
                    visit_minutes=tpl.visit_minutes,
                    required_skills=tpl.required_skills,
                )
            )
    return dataset.model_copy(update={"offenders": dataset.offenders + tuple(new)})


def _jitter(lat: float, lon: float, rng: random.Random) -> tuple[float, float]:
    dlat = rng.gauss(0.0, _JITTER_KM) / _KM_PER_DEG_LAT
    dlon = rng.gauss(0.0, _JITTER_KM) / (_KM_PER_DEG_LAT * max(0.01, math.cos(math.radians(lat))))
    return (min(90.0, max(-90.0, lat + dlat)), min(180.0, max(-180.0, lon + dlon)))


def apply_scenario(dataset: Dataset, scenario: Scenario, start: date, end: date) -> Dataset:
    """The scenario's dataset: policy overrides, officers removed/added/absent, caseload grown."""
    seed = scenario.seed
    ds = dataset
    if scenario.policy:
        try:
            ds = ds.model_copy(
                update={"policy": apply_overrides(ds.policy, scenario.policy, scenario.file)}
            )
        except PolicyError as exc:
            raise PolicyError(relocate_policy_problems(exc.problems, scenario.file, {})) from None
    oc = scenario.officers
    if oc.remove:
        ds = remove_officers(ds, oc.remove)
    if oc.remove_share > 0:
        ds = remove_officers(
            ds, pick_officers_to_remove(ds, round(oc.remove_share * len(ds.officers)), seed)
        )
    if oc.add:
        limit = MAX_ADD_FACTOR * len(ds.officers)
        if oc.add > limit:
            # Work grows with the officers: 10,000 clones of a team of four never finish.
            raise ScenarioError(
                f"{scenario.file}: [officers] add = {oc.add} is more than {MAX_ADD_FACTOR} times "
                f"the {len(ds.officers)} officer(s) of the data; expected at most {limit}"
            )
        ds = add_officers(ds, oc.add, seed)
    if oc.extra_absence_share > 0:
        a = max(start, oc.extra_absence_from or start)
        b = min(end, oc.extra_absence_to or end)
        if a <= b:
            ds = add_extra_absences(ds, oc.extra_absence_share, a, b, seed)
    if scenario.caseload.growth:
        ds = grow_caseload(ds, scenario.caseload.growth, start, seed)
    return ds


# ---------------------------------------------------------------------------------------------
