"""Checks across input files (and today's date): ids that must exist, dates not in the
future, homes near some base, skills somebody holds. Pure: parsed rows in, problems out."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date

import numpy as np

from rso_scheduler.errors import Problem
from rso_scheduler.geo import EARTH_RADIUS_KM, unit_vectors
from rso_scheduler.models import Absence, Offender, Officer, Outcome, VisitRecord
from rso_scheduler.redact import shown

# A home further than this from every base is almost surely mis-geocoded (or lat/lon swapped).
MAX_HOME_TO_BASE_KM = 150.0
_DISTANCE_CHUNK = 2048  # offenders per distance block: keeps the matrix small for big forces
CSV_NAMES = {
    "offenders": "offenders.csv",
    "officers": "officers.csv",
    "absences": "absences.csv",
    "visits": "visits.csv",
}


def _not_after_today(
    problems: list[Problem],
    file: str,
    line: int,
    column: str,
    value: date | None,
    today: date,
    why: str,
) -> None:
    if value is not None and value > today:
        problems.append(
            Problem(
                file,
                line,
                column,
                f"'{value.isoformat()}' is after today ({today.isoformat()}); {why}",
            )
        )


def far_from_bases(
    offenders: list[Offender], officers: list[Officer], limit_km: float = MAX_HOME_TO_BASE_KM
) -> list[Offender]:
    """People whose home is further than `limit_km` (great circle) from every officer base.

    The great-circle distance grows as the dot product of the two unit vectors falls, so
    "further than limit from every base" is "largest dot product below cos(limit / R)": one
    matrix product per chunk instead of a haversine per pair (70,000 x 800 in well under a second).
    """
    if not offenders or not officers:
        return []
    bases = sorted({(o.base_lat, o.base_lon) for o in officers})
    b = unit_vectors([x[0] for x in bases], [x[1] for x in bases])
    homes = unit_vectors([o.lat for o in offenders], [o.lon for o in offenders])
    threshold = math.cos(limit_km / EARTH_RADIUS_KM)
    far: list[Offender] = []
    for i in range(0, len(offenders), _DISTANCE_CHUNK):
        closest = (homes[i : i + _DISTANCE_CHUNK] @ b.T).max(axis=1)
        for j in np.nonzero(closest < threshold)[0]:
            far.append(offenders[i + int(j)])
    return far


def _id_key(ident: str) -> str:
    return ident.lower().lstrip("0")


class _Unknown:
    """Messages for an id missing from a file, with a hint when a near spelling exists.

    Near means equal ignoring case or leading zeros: a spreadsheet opened and saved turns
    `007` into `7`, and hand-typed ids drift in case.
    """

    def __init__(self, known: set[str], column: str, file: str):
        self.column, self.file = column, file
        self.near: dict[str, str] = {}
        for ident in sorted(known):
            self.near.setdefault(_id_key(ident), ident)

    def hint(self, ident: str) -> str:
        near = self.near.get(_id_key(ident))
        if near is None or near == ident:
            return ""
        why = " (leading zeros dropped by a spreadsheet?)" if near.lower() != ident.lower() else ""
        return f"; did you mean {shown(near)}?{why}"

    def message(self, ident: str) -> str:
        return f"{shown(ident)} is not an {self.column} in {self.file}{self.hint(ident)}"


class _FromRows:
    """Marker: take the ids from the parsed rows."""


FROM_ROWS = _FromRows()


# The visit log is history, but the contract ties every entry to the current files; say how to
# get a clean export when someone has left rather than silently ignoring the rows.
_LEFT_HINT_PERSON = "; if the person has left the caseload, leave their visits out of the export"
_LEFT_HINT_OFFICER = (
    "; if the officer has left the team, keep them in officers.csv with max_visits_per_day 0"
)


def cross_check(
    offenders: list[Offender],
    officers: list[Officer],
    absences: list[Absence],
    visits: list[VisitRecord],
    today: date,
    officer_ids: set[str] | None | _FromRows = FROM_ROWS,
    offender_ids: set[str] | None | _FromRows = FROM_ROWS,
    bases_complete: bool = True,
    names: dict[str, str] | None = None,
) -> tuple[list[Problem], list[str]]:
    """Checks that need more than one file (and today's date). Returns (problems, warnings).

    `officer_ids` / `offender_ids` are every id in the file, including rows that failed to
    parse (default: the ids of the parsed rows); None skips the checks against a file that
    could not be read at all, rather than blaming every row. `bases_complete` False (some
    officer rows failed) skips the distance check, which would wrongly flag homes near them.
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    files = {**CSV_NAMES, **(names or {})}
    f_offenders, f_officers = files["offenders"], files["officers"]
    f_absences, f_visits = files["absences"], files["visits"]
    if isinstance(officer_ids, _FromRows):
        officer_ids = {o.officer_id for o in officers}
    if isinstance(offender_ids, _FromRows):
        offender_ids = {o.offender_id for o in offenders}
    officers_read = officer_ids is not None
    offenders_read = offender_ids is not None
    officer_ids = officer_ids or set()
    offender_ids = offender_ids or set()
    unknown_officer = _Unknown(officer_ids, "officer_id", f_officers)
    unknown_offender = _Unknown(offender_ids, "offender_id", f_offenders)
    future_registrations: list[int] = []
    for o in offenders:
        if officers_read and o.offender_manager_id and o.offender_manager_id not in officer_ids:
            problems.append(
                Problem(
                    f_offenders,
                    o.line,
                    "offender_manager_id",
                    unknown_officer.message(o.offender_manager_id),
                )
            )
        _not_after_today(
            problems, f_offenders, o.line, "last_visit_date", o.last_visit_date, today,
            "the last visit cannot be in the future",
        )  # fmt: skip
        if o.registered_on is not None and o.registered_on > today:
            future_registrations.append(o.line)
    if future_registrations:
        lines = ", ".join(str(n) for n in future_registrations[:10])
        more = (
            f" and {len(future_registrations) - 10} more" if len(future_registrations) > 10 else ""
        )
        warnings.append(
            f"{f_offenders}: registered_on is in the future (after {today.isoformat()}) on line(s) "
            f"{lines}{more}; check the date"
        )
    if officers_read and bases_complete:
        for o in far_from_bases(offenders, officers):
            problems.append(
                Problem(
                    f_offenders,
                    o.line,
                    "lat",
                    f"home is more than {MAX_HOME_TO_BASE_KM:.0f} km from every officer base; "
                    "are lat and lon swapped, or the address badly geocoded?",
                )
            )
    if officers_read:
        for a in absences:
            if a.officer_id not in officer_ids:
                problems.append(
                    Problem(
                        f_absences,
                        a.line,
                        "officer_id",
                        unknown_officer.message(a.officer_id),
                    )
                )
    for v in visits:
        if offenders_read and v.offender_id not in offender_ids:
            problems.append(
                Problem(
                    f_visits,
                    v.line,
                    "offender_id",
                    unknown_offender.message(v.offender_id) + _LEFT_HINT_PERSON,
                )
            )
        if officers_read:
            unknown = [i for i in v.officer_ids if i not in officer_ids]
            if len(unknown) == 1:
                problems.append(
                    Problem(
                        f_visits,
                        v.line,
                        "officer_ids",
                        unknown_officer.message(unknown[0]) + _LEFT_HINT_OFFICER,
                    )
                )
            elif unknown:
                listed = ", ".join(shown(i) for i in unknown)
                problems.append(
                    Problem(
                        f_visits,
                        v.line,
                        "officer_ids",
                        f"{listed} are not officer_ids in {f_officers}" + _LEFT_HINT_OFFICER,
                    )
                )
        if v.outcome is Outcome.completed:
            _not_after_today(
                problems, f_visits, v.line, "date", v.date, today,
                "a completed visit cannot be in the future",
            )  # fmt: skip
    # A skill nobody holds makes those visits impossible: worth saying before planning.
    if officers_read and officers:
        held = set().union(*(o.skills for o in officers))
        missing: dict[str, int] = defaultdict(int)
        for o in offenders:
            for s in o.required_skills - held:
                missing[s] += 1
        by_skill = sorted(missing.items())
        for s, n in by_skill[:_MAX_SKILL_WARNINGS]:
            warnings.append(
                f"{f_offenders}: skill {shown(s)} is required by {n} person(s) but held by no officer; "
                "those visits cannot be planned"
            )
        rest = by_skill[_MAX_SKILL_WARNINGS:]
        if rest:
            warnings.append(
                f"{f_offenders}: {len(rest)} more skill(s) are required by "
                f"{sum(n for _, n in rest)} person(s) but held by no officer"
            )
    return problems, warnings


_MAX_SKILL_WARNINGS = 20  # one line per missing skill, up to this many, then one line for the rest
