"""Stable visit ids across re-plans: a kept visit keeps its id, a new one gets a new id.

The solver numbers its visits V00001, V00002... afresh each run. A re-plan renames them: each
new visit matched to an issued one (kept, moved or reassigned) takes the issued visit's id; each
added one takes the next number above every id the plan's versions have used, so changes.csv,
an officer's calendar and a case note can be joined on visit_id across versions.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from typing import Any

from rso_scheduler.outputs.roster_files import RosterRow
from rso_scheduler.roster import PlanResult

_NUMBERED = re.compile(r"^V(\d+)$")


def id_number(visit_id: str) -> int:
    """The number of a `V00042` id (0 for an id of another shape)."""
    m = _NUMBERED.match(visit_id)
    return int(m.group(1)) if m else 0


def highest_number(ids: Iterable[str], floor: int = 0) -> int:
    """The highest number among `ids`, at least `floor`."""
    return max([floor, *(id_number(i) for i in ids)])


def visit_id(number: int) -> str:
    """The id of visit `number` (V00001...), as the solver writes them."""
    return f"V{number:05d}"


def keep_visit_ids(
    result: PlanResult, changes: Sequence[Any], issued: Sequence[RosterRow], floor: int = 0
) -> list[Any]:
    """Rename `result`'s visits (in place) and return `changes` with the new ids.

    `changes` are `replan.Change`s pairing new visit ids with issued ones.
    """
    rename: dict[str, str] = {}
    for c in changes:
        if c.visit_id and c.old_visit_id:
            rename[c.visit_id] = c.old_visit_id
    next_number = highest_number((r.visit_id for r in issued), floor)
    for v in sorted(result.visits, key=lambda v: (v.date, v.start_min, v.visit_id)):
        if v.visit_id not in rename:
            next_number += 1
            rename[v.visit_id] = visit_id(next_number)
    result.visits = sorted(
        (dataclasses.replace(v, visit_id=rename[v.visit_id]) for v in result.visits),
        key=lambda v: v.visit_id,
    )
    result.routes = [
        dataclasses.replace(r, visit_ids=tuple(rename.get(x, x) for x in r.visit_ids))
        for r in result.routes
    ]
    return [dataclasses.replace(c, visit_id=rename.get(c.visit_id, c.visit_id)) for c in changes]
