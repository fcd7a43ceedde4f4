"""Benchmark of long plans: a 366-day force plan against the January-only plan and greedy.

Issue #11, "Long horizons": a plan of any length visits overdue people as early as a one-month
plan would; per risk level it makes at least as many visits as greedy; memory stays under 2 GB.
Generates the seeded force (2,000 people, 40 officers, plan start 2027-01-01), then plans, each
in a fresh process (so peak memory is per plan): greedy for the year, the optimiser for January
only, and the optimiser for the year (planned month by month, `solver/horizon.py`). Every
roster is checked by the independent checker. Prints a table; `--write` replaces the "Long
plans" section of docs/BENCHMARKS.md.

    .venv/bin/python bench/bench_long.py                  # about 8 minutes on 2 cores
    .venv/bin/python bench/bench_long.py --time-limit 20 --people 600 --officers 14

*overdue at start*: people whose first owed visit is due on or before the plan's first day.
*first visit vs January*: for each overdue person the January-only optimiser plan visits, the
day the year plan first visits them against that plan's day (later / same / earlier).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

START = date(2027, 1, 1)
YEAR_END = date(2028, 1, 1)  # 366 days, as in the issue
JAN_END = date(2027, 1, 31)
SEED = 1
MEM_LIMIT_MB = 2048
LEVELS = ("very_high", "high", "medium", "low")


def _dataset(tmp: Path, people: int, officers: int) -> Any:
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.synth import generate, write_dataset

    write_dataset(tmp / "data", generate(people, officers, SEED, START))
    return load_dataset(tmp / "data", today=START - timedelta(days=1))


def run_plan(planner: str, end: date, people: int, officers: int, limit: float, queue: Any) -> None:
    """Child process: generate, plan, check, put a result dict on `queue`."""
    from rso_scheduler.check import check_plan
    from rso_scheduler.demand import requirements
    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.roster_files import read_roster, write_plan
    from rso_scheduler.solver import PlanOptions, greedy_plan, plan

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        ds = _dataset(tmp, people, officers)
        fn = greedy_plan if planner == "greedy" else plan
        t = time.monotonic()
        res = fn(ds, START, end, PlanOptions(time_limit_s=limit, seed=SEED, workers=2))
        wall = time.monotonic() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with staged_output(tmp / "out") as stage:
            write_plan(stage, ds, res, {"solver": planner})
        violations = check_plan(ds, read_roster(tmp / "out"), work_bank_holidays=False)
        overdue = {
            r.offender_id
            for r in requirements(ds, START, end, include_optional=False)
            if r.first_due <= START
        }
        first: dict[str, date] = {}
        for v in sorted(res.visits, key=lambda v: (v.date, v.offender_id)):
            first.setdefault(v.offender_id, v.date)
        queue.put(
            {
                "planner": planner,
                "end": end,
                "wall_s": wall,
                "peak_mb": peak,
                "due": res.visits_due,
                "planned": len(res.visits),
                "pulled": res.pulled_forward,
                "missed": len(res.unscheduled),
                "max_late": max((v.days_late for v in res.visits), default=0),
                "violations": len(violations),
                "by_level": Counter(v.risk_level.value for v in res.visits),
                "overdue": overdue,
                "first": first,
                "net_fired": bool(res.stats.get("wall_clock_net_fired")),
            }
        )


def _run(planner: str, end: date, args: argparse.Namespace) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(
        target=run_plan, args=(planner, end, args.people, args.officers, args.time_limit, q)
    )
    p.start()
    r = q.get()
    p.join()
    print(f"  {planner} to {end}: {r['wall_s']:.0f} s, {r['peak_mb']:.0f} MB", flush=True)
    return r


def table(greedy: dict[str, Any], jan: dict[str, Any], year: dict[str, Any]) -> str:
    """The comparison as Markdown tables."""
    lines = [
        "| plan | wall s | peak MB | owed | planned | pulled fwd | missed | longest late d | "
        + " | ".join(f"{lvl} visits" for lvl in LEVELS)
        + " | violations | safety net |",
        "|---|" + "---|" * (9 + len(LEVELS)),
    ]
    for name, r in (
        ("greedy, year", greedy),
        ("optimiser, January only", jan),
        ("optimiser, year", year),
    ):
        lines.append(
            f"| {name} | {r['wall_s']:.0f} | {r['peak_mb']:.0f} | {r['due']:,} | "
            f"{r['planned']:,} | {r['pulled']:,} | {r['missed']} | {r['max_late']} | "
            + " | ".join(f"{r['by_level'].get(lvl, 0):,}" for lvl in LEVELS)
            + f" | {r['violations']} | {'fired' if r['net_fired'] else 'no'} |"
        )
    later = same = earlier = not_visited = 0
    worst = 0
    for pid in sorted(jan["overdue"]):
        d_jan = jan["first"].get(pid)
        if d_jan is None:
            continue
        d_year = year["first"].get(pid)
        if d_year is None:
            not_visited += 1
        elif d_year > d_jan:
            later += 1
            worst = max(worst, (d_year - d_jan).days)
        elif d_year == d_jan:
            same += 1
        else:
            earlier += 1
    lines += [
        "",
        "| overdue people the January plan visits | first visited later in the year plan | "
        "same day | earlier | not visited in the year plan | most days later |",
        "|---|---|---|---|---|---|",
        f"| {later + same + earlier + not_visited} | {later} | {same} | {earlier} | "
        f"{not_visited} | {worst} |",
        "",
        "| target | met |",
        "|---|---|",
    ]
    targets = {
        "no violations": year["violations"] == 0,
        "no overdue person first visited later than in the January plan": later == 0
        and not_visited == 0,
        "per risk level at least as many visits as greedy": all(
            year["by_level"].get(lvl, 0) >= greedy["by_level"].get(lvl, 0) for lvl in LEVELS
        ),
        "memory < 2 GB": year["peak_mb"] < MEM_LIMIT_MB,
    }
    lines += [f"| {k} | {'yes' if v else '**no**'} |" for k, v in targets.items()]
    return "\n".join(lines)


def write_section(text: str, args: argparse.Namespace) -> None:
    """Replace (or add) the '## Long plans' section of docs/BENCHMARKS.md."""
    from bench_ingest import write_section as replace_section
    from bench_plan import _machine

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    intro = textwrap.fill(
        f"A {(YEAR_END - START).days + 1}-day plan ({START} to {YEAR_END}) of the seeded force "
        f"({args.people:,} people, {args.officers} officers, seed {SEED}, "
        f"{args.time_limit:.0f} s per month) against the January-only optimiser plan and the "
        "greedy year (issue #11, long horizons). *overdue*: first owed visit due on or before "
        "the first day.",
        width=96,
    )
    replace_section(
        f"## Long plans\n\n{intro}\n\n"
        "Reproduce: `.venv/bin/python bench/bench_long.py --write`.\n\n"
        f"{text}\n\n"
        f"Measured {now} at commit {commit} on {_machine()}.\n",
        heading="## Long plans",
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--people", type=int, default=2000)
    ap.add_argument("--officers", type=int, default=40)
    ap.add_argument("--time-limit", type=float, default=60.0, help="optimiser seconds per month")
    ap.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = ap.parse_args()
    greedy = _run("greedy", YEAR_END, args)
    jan = _run("optimiser", JAN_END, args)
    year = _run("optimiser", YEAR_END, args)
    text = table(greedy, jan, year)
    print()
    print(text)
    if args.write:
        write_section(text, args)
        print("docs/BENCHMARKS.md updated")


if __name__ == "__main__":
    main()
