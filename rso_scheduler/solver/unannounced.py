"""Which planned visits are unannounced: the policy's share, highest risk first.

A visit on the weekday of the person's previous visit is made unannounced only when the share
cannot be filled otherwise (the choice costs no miss and no lateness: the visit's day and time
stay), so that a person cannot predict the weekday police will call. Then highest risk first;
among people of the same risk, visits that differ from the person's previous visit in both
weekday and time of day come first, then those differing in one. Deterministic: ties are
broken by person and date.
"""

from __future__ import annotations

from datetime import date

from rso_scheduler.solver.problem import Problem


def time_band(start_min: int) -> int:
    """0 morning (before 12:00), 1 afternoon (before 17:00), 2 evening."""
    if start_min < 12 * 60:
        return 0
    return 1 if start_min < 17 * 60 else 2


def choose_unannounced(prob: Problem, drafts: list[dict[str, object]]) -> dict[int, bool]:
    """Map each draft visit's key to True when it should be unannounced."""
    share = prob.policy.visits.unannounced_share
    n = int(share * len(drafts) + 0.5)
    prev: dict[int, tuple[int | None, int | None]] = {}
    ranked: list[tuple[int, int, int, str, date, int]] = []
    for d in sorted(drafts, key=lambda x: (int(x["person"]), x["date"])):  # type: ignore[call-overload]
        p = int(d["person"])  # type: ignore[call-overload]
        r = prob.reqs[p]
        day: date = d["date"]  # type: ignore[assignment]
        start = int(d["start"])  # type: ignore[call-overload]
        pw, ps = prev.get(p, (r.prev_weekday, r.prev_start_min))
        variety = int(pw is None or pw != day.weekday()) + int(
            ps is None or time_band(ps) != time_band(start)
        )
        same_day = int(pw is not None and pw == day.weekday())
        ranked.append((same_day, r.risk_level.rank, -variety, r.offender_id, day, int(d["key"])))  # type: ignore[call-overload]
        prev[p] = (day.weekday(), start)
    ranked.sort()
    return {key: i < n for i, (*_rank, key) in enumerate(ranked)}
