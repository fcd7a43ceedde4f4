"""The matrix travel model: a force's own table of times, `travel.csv`.

Columns `from_id, to_id, minutes[, km]` (header names case-insensitive, order free): ids are
offender_id for homes and officer_id for bases; `minutes` a whole number >= 0; `km` a number
>= 0 (without the column, km are the straight line x circuity, and the run says so). Every
ordered pair of distinct homes and bases in the data must have a row; rows naming ids not in
the data are skipped (the table may cover the whole force) and counted. `parse_matrix` is pure;
`load_matrix` reads the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from rso_scheduler.errors import InputError, Problem
from rso_scheduler.geo import haversine_matrix_km
from rso_scheduler.input.files import MAX_TABLE_BYTES, decode_text, present, read_bytes
from rso_scheduler.policy import TravelPolicy
from rso_scheduler.redact import shown
from rso_scheduler.travel import Place, TableTravel

REQUIRED = ("from_id", "to_id", "minutes")
MAX_MINUTES = 24 * 60
MAX_LISTED = 10  # missing pairs named one by one before a count


def _norm(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def _records(
    reader: Iterator[list[str]], file: str, problems: list[Problem]
) -> Iterator[list[str]]:
    """The CSV records, ending with a located problem where the CSV itself breaks.

    A cell over the csv module's 131,072-character limit or a NUL byte is bad input, not a crash.
    """
    try:
        yield from reader
    except csv.Error as exc:
        line = getattr(reader, "line_num", 0)  # the line the reader stopped on
        problems.append(Problem(file, line, None, f"is not readable as CSV: {exc}"))


def parse_matrix(
    text: str, file: str, places: Sequence[Place], tp: TravelPolicy, sha256: str = ""
) -> TableTravel:
    """A `TableTravel` among `places` from CSV text; `InputError` listing every problem."""
    problems: list[Problem] = []
    by_id: dict[str, Place] = {}
    for p in places:
        other = by_id.setdefault(p.id, p)
        if other != p:
            problems.append(
                Problem(
                    file,
                    None,
                    None,
                    f"id {p.id} is both an offender_id and an officer_id (or two places); "
                    "a travel table cannot tell them apart: give them distinct ids",
                )
            )
    ids = sorted(by_id)
    row_of = {pid: i for i, pid in enumerate(ids)}
    n = len(ids)
    minutes = np.full((n, n), -1, dtype=np.int32)
    km = np.full((n, n), np.nan, dtype=np.float32)
    first_line = np.zeros((n, n), dtype=np.int32)
    reader = _records(csv.reader(io.StringIO(text)), file, problems)
    header = next(reader, None)
    if header is None:
        raise InputError(
            problems or [Problem(file, None, None, "is empty; expected from_id, to_id, minutes")]
        )
    cols = {_norm(h): i for i, h in enumerate(header)}
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise InputError(
            [
                Problem(
                    file,
                    1,
                    None,
                    f"has no {', '.join(missing)} column; expected from_id, to_id, minutes[, km]",
                )
            ]
        )
    fi, ti, mi = cols["from_id"], cols["to_id"], cols["minutes"]
    ki = cols.get("km")
    skipped = 0
    for line, rec in enumerate(reader, start=2):
        if not rec or all(not c.strip() for c in rec):
            continue
        if len(rec) < len(header):
            problems.append(
                Problem(file, line, None, f"has {len(rec)} fields; expected {len(header)}")
            )
            continue
        a, b = rec[fi].strip(), rec[ti].strip()
        i, j = row_of.get(a), row_of.get(b)
        raw_min = rec[mi].strip()
        try:
            m = int(raw_min)
            if not 0 <= m <= MAX_MINUTES:
                raise ValueError
        except ValueError:
            problems.append(
                Problem(
                    file,
                    line,
                    header[mi],
                    f"{shown(raw_min)} is not a whole number of minutes from 0 to {MAX_MINUTES}",
                )
            )
            continue
        k = float("nan")
        if ki is not None:
            raw_km = rec[ki].strip()
            try:
                k = float(raw_km)
                if not 0 <= k <= 2000:
                    raise ValueError
            except ValueError:
                problems.append(
                    Problem(file, line, header[ki], f"{shown(raw_km)} is not a distance in km")
                )
                continue
        if i is None or j is None:
            skipped += 1
            continue
        if first_line[i, j]:
            problems.append(
                Problem(
                    file,
                    line,
                    None,
                    f"from {a} to {b} is given twice (first on line {first_line[i, j]})",
                )
            )
            continue
        first_line[i, j] = line
        minutes[i, j] = m
        km[i, j] = k
    np.fill_diagonal(minutes, 0)
    np.fill_diagonal(km, 0.0)
    holes = np.argwhere(minutes < 0)
    for i, j in holes[:MAX_LISTED]:
        problems.append(
            Problem(file, None, None, f"no row from {ids[i]} to {ids[j]}; every pair is needed")
        )
    if len(holes) > MAX_LISTED:
        problems.append(
            Problem(
                file,
                None,
                None,
                f"{len(holes) - MAX_LISTED:,} more pairs missing ({len(holes):,} of {n * n - n:,})",
            )
        )
    if problems:
        raise InputError(problems)
    notes: list[str] = []
    if ki is None or np.isnan(km).any():
        lat = [by_id[x].lat for x in ids]
        lon = [by_id[x].lon for x in ids]
        straight = (haversine_matrix_km(lat, lon, lat, lon) * tp.circuity).astype(np.float32)
        gaps = np.isnan(km)
        km[gaps] = straight[gaps]
        notes.append(
            f"{file}: km not given for {int(gaps.sum()):,} pairs; those km are the straight "
            f"line x circuity {tp.circuity:g}"
        )
    index = {p: row_of[p.id] for p in places}
    info = {"file": file, "source_sha256": sha256, "places": n, "rows_skipped_unknown_ids": skipped}
    travel = TableTravel("matrix", tp, index, minutes, km, None, info)
    travel.notes.extend(notes)
    return travel


def load_matrix(path: Path, name: str, places: Sequence[Place], tp: TravelPolicy) -> TableTravel:
    """Read `travel.csv` (named `name` in messages) and build the matrix model."""
    if not present(path):
        raise InputError(
            [
                Problem(
                    "policy.toml",
                    None,
                    "travel.file",
                    f"{name} is not in the data folder; expected a CSV of from_id, to_id, "
                    "minutes[, km]",
                )
            ]
        )
    raw = read_bytes(path, name, MAX_TABLE_BYTES)
    return parse_matrix(decode_text(raw, name), name, places, tp, hashlib.sha256(raw).hexdigest())
