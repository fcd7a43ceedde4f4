"""Benchmark of the accounting: every owed visit in the roster or in unscheduled.csv.

For generated months of several shapes (team, force, events-heavy, tight capacity) it plans
with the greedy baseline and the optimiser in the same process and reports, per planner:
the owed count from `rso validate`'s source (`demand.owed_visits`) against the plan's
`visits_due`, people whose owed visits are not all accounted for (planned + unscheduled =
owed), people overdue in the compliance report on the first day but in neither file, and the
independent checker's violations. Every figure must be 0 (or equal) for the accounting to hold.

    .venv/bin/python bench/bench_accounting.py               # all shapes
    .venv/bin/python bench/bench_accounting.py --shapes team events --time-limit 10
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

START = date(2027, 2, 1)
END = date(2027, 2, 28)
# name: (people, officers, officer share kept, events-heavy)
SHAPES: dict[str, tuple[int, int, float, bool]] = {
    "team": (300, 8, 1.0, False),
    "force": (2000, 40, 1.0, False),
    "events": (300, 8, 1.0, True),
    "tight": (300, 8, 0.5, False),
}


def _with_events(ds: Any, seed: int) -> Any:
    """Half the people had a visit in the last three weeks and then a release or a move."""
    rng = random.Random(seed)
    people = []
    for p in ds.offenders:
        if rng.random() < 0.5:
            last = START - timedelta(days=rng.randint(3, 21))
            event = min(last + timedelta(days=rng.randint(1, 20)), START - timedelta(days=1))
            kind = rng.choice(["released_on", "address_changed_on"])
            p = p.model_copy(update={"last_visit_date": last, kind: event})
        people.append(p)
    return ds.model_copy(update={"offenders": tuple(people)})


def measure(ds: Any, result: Any) -> dict[str, Any]:
    """The accounting figures of one plan."""
    from rso_scheduler.check import check_plan
    from rso_scheduler.demand import owed_visits
    from rso_scheduler.models import Status
    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.roster_files import read_roster, write_plan
    from rso_scheduler.report.compliance import State, compliance

    owed = Counter(v.requirement.offender_id for v in owed_visits(ds, START, END))
    planned = Counter(v.offender_id for v in result.visits if not v.pulled_forward)
    listed = Counter(u.offender_id for u in result.unscheduled)
    unaccounted = sum(
        1
        for pid in set(owed) | set(planned) | set(listed)
        if planned[pid] + listed[pid] != owed[pid]
    )
    people = ds.offender_by_id()
    overdue_missing = sum(
        1
        for p in compliance(ds, START).overdue
        if p.state is State.overdue
        and people[p.offender_id].status is Status.active
        and p.offender_id not in planned
        and p.offender_id not in listed
    )
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "out"
        with staged_output(out) as stage:
            write_plan(stage, ds, result, {"solver": "bench"})
        violations = check_plan(ds, read_roster(out), work_bank_holidays=False)
    return {
        "owed": sum(owed.values()),
        "visits_due": result.visits_due,
        "planned": sum(planned.values()),
        "unscheduled": len(result.unscheduled),
        "unaccounted": unaccounted,
        "overdue_missing": overdue_missing,
        "violations": len(violations),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    ap.add_argument("--time-limit", type=float, default=20.0)
    args = ap.parse_args()

    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.solver import PlanOptions, greedy_plan, plan
    from rso_scheduler.synth import generate, write_dataset

    rows = []
    for name in args.shapes:
        n_people, n_officers, keep, events = SHAPES[name]
        with tempfile.TemporaryDirectory() as d:
            write_dataset(Path(d), generate(n_people, n_officers, 3, START))
            ds = load_dataset(Path(d), today=START - timedelta(days=1))
        if keep < 1.0:
            ds = ds.model_copy(
                update={"officers": ds.officers[: max(2, int(len(ds.officers) * keep))]}
            )
        if events:
            ds = _with_events(ds, 3)
        for planner in ("greedy", "optimiser"):
            t0 = time.perf_counter()
            if planner == "greedy":
                res = greedy_plan(ds, START, END, PlanOptions())
            else:
                res = plan(ds, START, END, PlanOptions(time_limit_s=args.time_limit, seed=1))
            row = {"shape": name, "planner": planner, **measure(ds, res)}
            row["seconds"] = round(time.perf_counter() - t0, 1)
            rows.append(row)
            print(row, file=sys.stderr)

    cols = ["shape", "planner", "owed", "visits_due", "planned", "unscheduled", "unaccounted",
            "overdue_missing", "violations", "seconds"]  # fmt: skip
    print(f"Accounting, {START} to {END}; {platform.machine()}, {datetime.now(UTC):%Y-%m-%d}")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
