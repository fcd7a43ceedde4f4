"""The month as it happens, for re-plan tests and the re-plan benchmark: a data folder as it
stands on a day of an issued plan (visits before it done or not, officers off sick)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterable
from datetime import date
from pathlib import Path


def roster_rows(plan_dir: Path) -> list[dict[str, str]]:
    """roster.csv of a plan folder as dicts."""
    text = (plan_dir / "roster.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def pinned_copy(plan_dir: Path, out: Path, chosen: set[str]) -> Path:
    """A copy of a plan folder with pinned = yes on the chosen visit ids (as a supervisor would)."""
    shutil.copytree(plan_dir, out)
    rows = roster_rows(out)
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "pinned": "yes" if r["visit_id"] in chosen else "no"})
    (out / "roster.csv").write_text(buf.getvalue(), encoding="utf-8")
    return out


def as_it_happens(
    data_dir: Path,
    plan_dir: Path,
    from_date: date,
    out: Path,
    absent: Iterable[str] = (),
    no_access: Iterable[str] = (),
) -> Path:
    """Copy `data_dir` to `out`; log the issued visits before `from_date` as completed (those
    of the people in `no_access` as no access), and put `absent` officers off sick from
    `from_date` to the end of the plan."""
    shutil.copytree(data_dir, out)
    missed = set(no_access)
    rows = [r for r in roster_rows(plan_dir) if date.fromisoformat(r["date"]) < from_date]
    _append(
        out / "visits.csv",
        ("offender_id", "date", "start", "officer_ids", "outcome", "kind"),
        [
            {
                **r,
                "outcome": "no_access" if r["offender_id"] in missed else "completed",
            }
            for r in rows
        ],
    )
    end = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))["plan_end"]
    _append(
        out / "absences.csv",
        ("officer_id", "start", "end", "reason"),
        [
            {"officer_id": o, "start": from_date.isoformat(), "end": end, "reason": "sickness"}
            for o in absent
        ],
    )
    return out


def _append(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    """Add rows to a CSV of the data folder, in its own column order (a new file if none)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    header = next(csv.reader(io.StringIO(text)), None) or list(columns)
    buf = io.StringIO()
    w = csv.DictWriter(buf, header, extrasaction="ignore", lineterminator="\n")
    if not text:
        w.writeheader()
    w.writerows(rows)
    if text and not text.endswith("\n"):
        text += "\n"
    path.write_text(text + buf.getvalue(), encoding="utf-8")
