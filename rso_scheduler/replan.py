"""Re-plan an issued roster from a date, keeping as much of it as the rules and the data allow.

`replan(dataset, issued, from_date, options, planner)` plans `from_date` to the end of the issued
plan. Before `from_date` is history: the visit log in `dataset` says what was done, and a
planned visit with no completed record is owed again by the usual due-date rules (the planner's
requirements see only the log). On or after `from_date`, the issued visits are handed to the
planner as `PlanOptions.fixed`: pinned ones are kept exactly while still possible, the others
keep their day and crew unless they must move (solver/frozen.py).

`compare(issued_rows, result)` then names each change: kept (same day, same officers),
reassigned (same day, other officers), moved (another day), added (not on the issued roster)
and removed (no longer on the roster), with the reason where the planner gave one.
No files are read or written here.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rso_scheduler.errors import PlanError
from rso_scheduler.models import Dataset, Outcome
from rso_scheduler.outputs.roster_files import RosterRow
from rso_scheduler.roster import PlannedVisit, PlanResult, hhmm
from rso_scheduler.solver.options import FixedVisit, PlanOptions
from rso_scheduler.solver.win_back import LATE_TOLERANCE_PCT, SOFT_REASONS, worse_than_fresh
from rso_scheduler.visit_ids import keep_visit_ids

CHANGE_KINDS = ("kept", "moved", "reassigned", "added", "removed")
# The plan of the same days from scratch has the whole time limit, as `rso plan` of those days
# would, so the re-plan is checked against exactly that plan; the re-plan from the issued
# roster has this share of the limit more (it converges early, with no assignment model: about
# 5 s of a 60 s limit on the force month), so a re-plan takes at most 1.4 times the limit
STABLE_SHARE = 0.4


@dataclass(frozen=True)
class Change:
    """One line of changes.csv: what happened to a visit between the issued plan and this one."""

    change: str  # one of CHANGE_KINDS
    offender_id: str
    visit_id: str  # in the new roster ('' when removed)
    old_visit_id: str  # in the issued roster ('' when added)
    old_date: date | None
    old_start_min: int | None
    old_officers: tuple[str, ...]
    new_date: date | None
    new_start_min: int | None
    new_officers: tuple[str, ...]
    reason: str
    pinned: bool = False


@dataclass
class Replanned:
    """A re-plan's result, its changes against the issued roster, and their counts."""

    result: PlanResult
    changes: list[Change]
    issued_from: list[RosterRow]  # the issued visits on or after the re-plan date
    # the re-plan from the issued roster against the plan from scratch (`_stable_or_fresh`)
    against_fresh: dict[str, Any] = dataclasses.field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        """Changes by kind, and the share of issued visits kept (summary.json `replan`)."""
        by_kind = {k: sum(1 for c in self.changes if c.change == k) for k in CHANGE_KINDS}
        issued = len(self.issued_from)
        pinned = [c for c in self.changes if c.pinned]
        return {
            **by_kind,
            "issued_visits": issued,
            "kept_share": round(by_kind["kept"] / issued, 4) if issued else None,
            "pinned": len(pinned),
            "pinned_kept": sum(1 for c in pinned if c.change == "kept"),
            "against_fresh": self.against_fresh or None,
        }


def fixed_visits(rows: Sequence[RosterRow], from_date: date) -> tuple[FixedVisit, ...]:
    """The issued visits on or after `from_date`, as the planner's fixed visits."""
    return tuple(
        FixedVisit(r.offender_id, r.date, r.start_min, tuple(r.officer_ids), r.pinned)
        for r in sorted(rows, key=lambda r: (r.date, r.start_min, r.visit_id))
        if r.date >= from_date
    )


def replan(
    dataset: Dataset,
    issued_rows: Sequence[RosterRow],
    plan_end: date,
    from_date: date,
    options: PlanOptions,
    planner: Callable[[Dataset, date, date, PlanOptions], PlanResult],
    last_id_number: int = 0,
) -> Replanned:
    """Plan `from_date`..`plan_end` starting from the issued roster's visits.

    The period is planned twice: from the issued roster (`STABLE_SHARE` of the time limit),
    and from scratch with the whole limit, as `rso plan` of the same days would (then moved
    back towards the issued roster, solver/win_back.py). The first is the re-plan unless it misses more risk-weighted
    visits than the second, or as many and is more than 5% later (`win_back.worse_than_fresh`);
    then the second is, and the run says so. Both plans are deterministic, so the choice is.

    A visit matched to an issued one keeps its visit_id; a new one gets a number above every
    id the issued roster used and above `last_id_number` (the highest any earlier version used,
    from run.json), so an id never names two visits (visit_ids.py)."""
    if from_date > plan_end:
        raise PlanError(f"--from {from_date} is after the issued plan's end ({plan_end})")
    fixed = fixed_visits(issued_rows, from_date)
    result, against = _stable_or_fresh(dataset, from_date, plan_end, options, planner, fixed)
    issued_from = [r for r in issued_rows if r.date >= from_date]
    changes = compare(dataset, issued_rows, from_date, result)
    changes = keep_visit_ids(result, changes, issued_rows, last_id_number)
    pinned_kept = {c.visit_id for c in changes if c.pinned and c.change == "kept"}
    result.visits = [
        dataclasses.replace(v, pinned=v.visit_id in pinned_kept) for v in result.visits
    ]
    if against.get("used") == "from scratch":
        kept = sum(1 for c in changes if c.change == "kept")
        against["issued_kept"] = kept
        _notice(
            result,
            options,
            f"re-plan: {against['cause']}; the re-plan started from it and kept {kept} of the "
            f"{len(issued_from)} issued visits ({against['moved_back']} moved back to their "
            "issued day and crew)",
        )
    return Replanned(result, changes, issued_from, against)


def weighted_figures(dataset: Dataset, result: PlanResult) -> tuple[int, int]:
    """(risk-weighted missed, risk-weighted late days) of a plan, as summary.json counts them."""

    def weight(level: Any) -> int:
        return dataset.policy.for_risk(level).weight

    missed = sum(weight(u.risk_level) for u in result.unscheduled)
    return missed, result.lateness(weight).risk_weighted_late_days


def _notice(result: PlanResult, options: PlanOptions, text: str) -> None:
    notices = result.stats.setdefault("notices", [])
    assert isinstance(notices, list)
    notices.append(text)
    options.progress(f"note: {text}")


def _stable_or_fresh(
    dataset: Dataset,
    start: date,
    end: date,
    options: PlanOptions,
    planner: Callable[[Dataset, date, date, PlanOptions], PlanResult],
    fixed: tuple[FixedVisit, ...],
) -> tuple[PlanResult, dict[str, Any]]:
    """The re-plan from the issued roster, or the plan from scratch moved back towards it when
    the first breaks the guarantee; and what was compared (summary.json `replan.against_fresh`)."""
    if not fixed:  # nothing issued from the date on: a plan from scratch is the re-plan
        return planner(dataset, start, end, options), {}
    limit = options.time_limit_s
    say = options.progress
    say(f"re-plan from the issued roster (at most {limit * STABLE_SHARE:.0f} s)")
    stable = planner(
        dataset,
        start,
        end,
        dataclasses.replace(options, fixed=fixed, time_limit_s=limit * STABLE_SHARE),
    )
    say(f"plan of the same days from scratch (about {limit:.0f} s, as rso plan would)")
    fresh = planner(
        dataset,
        start,
        end,
        dataclasses.replace(options, win_back=fixed, time_limit_s=limit),
    )
    wb = fresh.stats["win_back"]
    assert isinstance(wb, dict)
    s_fig = weighted_figures(dataset, stable)
    f_fig = (int(wb["fresh_risk_weighted_missed"]), int(wb["fresh_risk_weighted_late_days"]))
    cause = worse_than_fresh(s_fig, f_fig)
    against: dict[str, Any] = {
        "from_issued": {"risk_weighted_missed": s_fig[0], "risk_weighted_late_days": s_fig[1]},
        "from_scratch": {"risk_weighted_missed": f_fig[0], "risk_weighted_late_days": f_fig[1]},
        "late_tolerance_pct": LATE_TOLERANCE_PCT,
        "used": "from the issued roster" if cause is None else "from scratch",
        "time_limit_s": {
            "from_issued": limit * STABLE_SHARE,
            "from_scratch": limit,
        },
    }
    pins = [f for f in fixed if f.pinned]
    # A pin is the supervisor's instruction: the plan from scratch is not taken over it.
    lost = _pins_kept(pins, stable) - _pins_kept(pins, fresh) if cause is not None else 0
    use_stable = cause is None or lost > 0
    chosen, other = (stable, fresh) if use_stable else (fresh, stable)
    chosen.solve_seconds = round(stable.solve_seconds + fresh.solve_seconds, 3)
    # what the plan not used said (a safety net that fired there changed the choice too)
    notices = chosen.stats.setdefault("notices", [])
    assert isinstance(notices, list)
    what = "from scratch" if use_stable else "from the issued roster"
    notices.extend(f"(the plan {what}, not used) {n}" for n in other.stats.get("notices", []))
    chosen.stats["wall_clock_net_fired"] = bool(
        chosen.stats.get("wall_clock_net_fired") or other.stats.get("wall_clock_net_fired")
    )
    if cause is None:
        say(
            "re-plan kept: it misses no more risk-weighted visits than the plan from scratch "
            f"({s_fig[0]} vs {f_fig[0]}) and is within {LATE_TOLERANCE_PCT}% of its "
            f"risk-weighted late days ({s_fig[1]:,} vs {f_fig[1]:,})"
        )
        return stable, against
    if lost > 0:
        against["used"] = "from the issued roster (pins kept)"
        against["cause"] = cause
        against["pins_the_plan_from_scratch_drops"] = lost
        _notice(
            stable,
            options,
            f"re-plan: {cause}, but it would not keep {lost} of the {len(pins)} pinned visits "
            "this re-plan keeps; the pins were kept. Unpin them (or pin fewer) to let the "
            "re-plan start from the plan from scratch",
        )
        return stable, against
    against["cause"] = cause
    against["moved_back"] = int(wb["moved_back"])
    against["already_on_issued_day_and_crew"] = int(wb["already_on_issued_day_and_crew"])
    fresh.not_kept = {
        k: f"re-planned from scratch ({cause}); {why}" if why in SOFT_REASONS else why
        for k, why in fresh.not_kept.items()
    }
    return fresh, against


def _pins_kept(pins: Sequence[FixedVisit], result: PlanResult) -> int:
    """How many pinned visits `result` keeps exactly (day, start, officers)."""
    held = {
        (v.offender_id, v.date, v.start_min, tuple(sorted(v.officer_ids))) for v in result.visits
    }
    return sum(
        1
        for f in pins
        if (f.offender_id, f.date, f.start_min, tuple(sorted(f.officer_ids))) in held
    )


def _earlier_attempt(
    dataset: Dataset, issued_rows: Sequence[RosterRow], offender_id: str, from_date: date
) -> str:
    """Why a person is owed a visit the issued roster did not hold on or after `from_date`."""
    before = [r for r in issued_rows if r.offender_id == offender_id and r.date < from_date]
    if not before:
        return "owed and not on the issued roster (a new or changed case)"
    last = max(before, key=lambda r: (r.date, r.start_min))
    logged = [v for v in dataset.visits if v.offender_id == offender_id and v.date == last.date]
    if any(v.outcome is Outcome.completed for v in logged):
        return f"the next visit, after the one completed on {last.date}"
    if logged:
        outcome = logged[-1].outcome.value.replace("_", " ")
        return f"owed again: the visit planned {last.date} was recorded as {outcome}"
    return f"owed again: the visit planned {last.date} has no completed record"


def compare(
    dataset: Dataset, issued_rows: Sequence[RosterRow], from_date: date, result: PlanResult
) -> list[Change]:
    """Each issued visit on or after `from_date` matched to the new roster, and each new visit."""
    old: dict[str, list[RosterRow]] = defaultdict(list)
    for r in issued_rows:
        if r.date >= from_date:
            old[r.offender_id].append(r)
    new: dict[str, list[PlannedVisit]] = defaultdict(list)
    for v in result.visits:
        new[v.offender_id].append(v)
    out: list[Change] = []
    for pid in sorted(set(old) | set(new)):
        olds = sorted(old.get(pid, []), key=lambda r: (r.date, r.start_min))
        news = sorted(new.get(pid, []), key=lambda v: (v.date, v.start_min))
        pairs: list[tuple[RosterRow | None, PlannedVisit | None]] = []
        for r in list(olds):  # same day and officers first: kept
            hit = next(
                (v for v in news if v.date == r.date and set(v.officer_ids) == set(r.officer_ids)),
                None,
            )
            if hit is not None:
                pairs.append((r, hit))
                olds.remove(r)
                news.remove(hit)
        for r in list(olds):  # same day, other officers: reassigned
            hit = next((v for v in news if v.date == r.date), None)
            if hit is not None:
                pairs.append((r, hit))
                olds.remove(r)
                news.remove(hit)
        for r, v in zip(list(olds), list(news), strict=False):  # in date order: moved
            pairs.append((r, v))
            olds.remove(r)
            news.remove(v)
        pairs += [(r, None) for r in olds] + [(None, v) for v in news]
        for old_row, new_visit in pairs:
            out.append(_change(dataset, issued_rows, from_date, result, pid, old_row, new_visit))
    out.sort(
        key=lambda c: (
            c.new_date or c.old_date or date.min,
            c.new_start_min if c.new_start_min is not None else -1,
            c.offender_id,
        )
    )
    return out


def _change(
    dataset: Dataset,
    issued_rows: Sequence[RosterRow],
    from_date: date,
    result: PlanResult,
    pid: str,
    r: RosterRow | None,
    v: PlannedVisit | None,
) -> Change:
    why = result.not_kept.get((pid, r.date), "") if r is not None else ""
    if r is None:
        assert v is not None
        kind = "added"
        why = _earlier_attempt(dataset, issued_rows, pid, from_date)
        if v.pulled_forward:
            why = "due after the period, brought forward on a crew-day that goes out anyway"
    elif v is None:
        kind = "removed"
        owed = next((u for u in result.unscheduled if u.offender_id == pid), None)
        if owed is not None:
            why = f"{why}; not re-planned: {owed.reason}" if why else owed.reason
        why = why or "no visit owed in the period any more"
    elif v.date == r.date and set(v.officer_ids) == set(r.officer_ids):
        kind = "kept"
        if v.start_min != r.start_min:
            why = f"same day and crew; re-timed from {hhmm(r.start_min)}"
    else:
        kind = "reassigned" if v.date == r.date else "moved"
        if not why:
            late_before = max(0, (r.date - v.due_date).days)
            why = (
                f"less late ({late_before} -> {v.days_late} days)"
                if v.days_late < late_before
                else "re-planned with the rest of the period"
            )
    return Change(
        change=kind,
        offender_id=pid,
        visit_id=v.visit_id if v else "",
        old_visit_id=r.visit_id if r else "",
        old_date=r.date if r else None,
        old_start_min=r.start_min if r else None,
        old_officers=tuple(r.officer_ids) if r else (),
        new_date=v.date if v else None,
        new_start_min=v.start_min if v else None,
        new_officers=v.officer_ids if v else (),
        reason=why,
        pinned=bool(r and r.pinned),
    )


def default_today(from_date: date) -> date:
    """The data of a re-plan is as it stands the evening before `from_date`."""
    return from_date - timedelta(days=1)
