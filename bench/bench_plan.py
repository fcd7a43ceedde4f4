"""Benchmark of the planners: the optimiser (`plan`) against the greedy baseline.

Generates seeded synthetic instances (team, force, large force; each also with officers'
visit days cut to 70%), runs both planners on the same dataset in the same process (one
fresh process per instance, so peak memory is per instance), checks both rosters with the
independent checker, and prints a table. `--write` replaces the "Planning" section of
docs/BENCHMARKS.md with the table, the machine and the date.

    .venv/bin/python bench/bench_plan.py                 # team and force sizes
    .venv/bin/python bench/bench_plan.py --sizes all --write
    .venv/bin/python bench/bench_plan.py --sizes team --time-limit 20

Targets: no violations; never more risk-weighted missed than greedy; risk-weighted late days
above the lower bound by at most half the greedy's excess; travel at most 70% of greedy's;
time within the size's limit; memory under 2 GB.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# name: (people, officers, time limit in seconds)
SIZES: dict[str, tuple[int, int, float]] = {
    "team": (300, 8, 60.0),
    "force": (2000, 40, 60.0),
    "large": (8000, 160, 300.0),
}
START = date(2027, 1, 1)
END = date(2027, 1, 31)
SEED = 1
MEM_LIMIT_MB = 2048


def _lower_bound_late(dataset: Any) -> int:
    """Risk-weighted late days if every first owed visit were made on its first possible day.

    'Possible' uses necessary conditions only (person available, enough officers on duty whose
    shifts and areas can hold the visit, skills held), so no planner can do better; visits that
    cannot be made at all count from their due date to the plan end.
    """
    from rso_scheduler.calendar import absences_by_officer, bank_holidays, days, officer_works
    from rso_scheduler.demand import requirements
    from rso_scheduler.scenarios import first_possible_day

    by_officer = absences_by_officer(dataset.absences)
    hols = bank_holidays(START, END)
    on_duty = {
        d: [o for o in dataset.officers if officer_works(o, d, by_officer, hols)]
        for d in days(START, END)
    }
    mode = dataset.policy.areas.mode
    total = 0
    for r in requirements(dataset, START, END, include_optional=False):
        day = first_possible_day(r, START, END, on_duty, mode)
        if day is None:
            continue  # never possible: counted as missed, not late
        total += r.weight * max(0, (day - r.first_due).days)
    return total


def _metrics(dataset: Any, res: Any, tmp: Path, name: str) -> dict[str, Any]:
    from rso_scheduler.check import check_plan
    from rso_scheduler.outputs.files import staged_output
    from rso_scheduler.outputs.roster_files import read_roster, write_plan

    weight = {lvl: dataset.policy.for_risk(lvl).weight for lvl in dataset.policy.risk}
    out = tmp / name
    with staged_output(out) as stage:
        write_plan(stage, dataset, res, {"solver": name})
    violations = check_plan(dataset, read_roster(out), work_bank_holidays=False)
    people = dataset.offender_by_id()
    with_om = [v for v in res.visits if people[v.offender_id].offender_manager_id]
    cont = sum(1 for v in with_om if people[v.offender_id].offender_manager_id in v.officer_ids)
    load: dict[str, int] = defaultdict(int)
    for o in dataset.officers:
        load[o.officer_id] = 0
    for v in res.visits:
        for oid in v.officer_ids:
            load[oid] += 1
    loads = sorted(load.values())
    # visits per available officer-day: an officer with half the days should have half the load
    from rso_scheduler.calendar import absences_by_officer, bank_holidays, days, officer_works

    by_officer = absences_by_officer(dataset.absences)
    hols = bank_holidays(START, END)
    rates = []
    for o in dataset.officers:
        n_days = sum(1 for d in days(START, END) if officer_works(o, d, by_officer, hols))
        if n_days:
            rates.append(load[o.officer_id] / n_days)
    mean = sum(rates) / len(rates) if rates else 0.0
    cv = (sum((x - mean) ** 2 for x in rates) / len(rates)) ** 0.5 / mean if mean else 0.0
    owed_planned = [v for v in res.visits if not v.pulled_forward]
    return {
        "owed": res.visits_due,
        "planned": len(owed_planned),
        "pulled": res.pulled_forward,
        "on_time": sum(1 for v in owed_planned if v.days_late == 0),
        "late": sum(1 for v in owed_planned if v.days_late > 0),
        "missed": len(res.unscheduled),
        "w_missed": sum(weight[u.risk_level.value] for u in res.unscheduled),
        "w_late": sum(weight[v.risk_level.value] * v.days_late for v in res.visits),
        "travel_min": res.travel_min,
        "continuity": cont / len(with_om) if with_om else 1.0,
        "spread": loads[-1] - loads[0] if loads else 0,
        "cv": cv,
        "violations": len(violations),
        "status": res.stats.get("status", ""),
    }


def run_instance(name: str, cut: bool, time_limit: float | None, queue: Any) -> None:
    """Child process: generate, plan with both planners, measure, put a row dict on `queue`."""
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.scenarios import add_extra_absences
    from rso_scheduler.solver import PlanOptions, greedy_plan, plan
    from rso_scheduler.synth import generate, write_dataset

    n_people, n_officers, limit = SIZES[name]
    limit = time_limit or limit
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        write_dataset(tmp / "data", generate(n_people, n_officers, SEED, START))
        ds = load_dataset(tmp / "data", today=START - timedelta(days=1))
        if cut:
            ds = add_extra_absences(ds, 0.3, START, END, SEED)
        lb = _lower_bound_late(ds)
        rows = {}
        for planner, fn in (("greedy", greedy_plan), ("optimiser", plan)):
            t = time.monotonic()
            res = fn(ds, START, END, PlanOptions(time_limit_s=limit, seed=SEED, workers=2))
            wall = time.monotonic() - t
            m = _metrics(ds, res, tmp, planner)
            m["wall_s"] = wall
            m["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rows[planner] = m
        queue.put({"name": name, "cut": cut, "limit": limit, "lb": lb, "rows": rows})


def _targets(r: dict[str, Any]) -> dict[str, bool]:
    g, o, lb = r["rows"]["greedy"], r["rows"]["optimiser"], r["lb"]
    return {
        "no violations": o["violations"] == 0,
        "missed <= greedy": o["w_missed"] <= g["w_missed"],
        "late excess <= half greedy's": o["w_late"] - lb <= 0.5 * max(0, g["w_late"] - lb),
        "travel <= 70% greedy": o["travel_min"] <= 0.7 * g["travel_min"],
        "time": o["wall_s"] <= r["limit"] * 1.05,
        "memory < 2 GB": o["peak_mb"] < MEM_LIMIT_MB,
    }


def table(results: list[dict[str, Any]]) -> str:
    """Markdown table of every instance and planner, then the targets met per instance."""
    head = (
        "| instance | planner | wall s | peak MB | owed | planned | on time | late | missed | "
        "w. missed | w. late days | late LB | travel min | pulled fwd | continuity | "
        "spread | load CV | violations |"
    )
    lines = [head, "|" + "---|" * 18]
    for r in results:
        n_people, n_officers, _ = SIZES[r["name"]]
        inst = f"{r['name']} {n_people:,}/{n_officers}" + (" 70% days" if r["cut"] else "")
        for planner in ("greedy", "optimiser"):
            m = r["rows"][planner]
            lines.append(
                f"| {inst} | {planner} | {m['wall_s']:.1f} | {m['peak_mb']:.0f} | {m['owed']} | "
                f"{m['planned']} | {m['on_time']} | {m['late']} | {m['missed']} | "
                f"{m['w_missed']} | {m['w_late']} | {r['lb']} | {m['travel_min']:,} | "
                f"{m['pulled']} | {m['continuity']:.0%} | {m['spread']} | {m['cv']:.2f} | {m['violations']} |"
            )
    lines.append("")
    lines.append("| instance | " + " | ".join(_targets(results[0]).keys()) + " |")
    lines.append("|" + "---|" * (1 + len(_targets(results[0]))))
    for r in results:
        inst = r["name"] + (" 70% days" if r["cut"] else "")
        t = _targets(r)
        lines.append(
            f"| {inst} | " + " | ".join("yes" if v else "**no**" for v in t.values()) + " |"
        )
    return "\n".join(lines)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores (shared), {mem_gb:.1f} GiB RAM, Python {platform.python_version()}"


def write_section(text: str) -> None:
    """Replace (or add) the '## Planning' section of docs/BENCHMARKS.md."""
    path = ROOT / "docs" / "BENCHMARKS.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        "## Planning\n\n"
        "The optimiser (`rso_scheduler.solver.plan`) against the greedy baseline on seeded\n"
        f"synthetic months ({START} to {END}, seed {SEED}); each instance also with 30% of every\n"
        "officer's working days removed (70% days). Both planners run in the same process on the\n"
        "same data; every roster is checked by the independent checker. Weighted figures use the\n"
        "policy's risk weights (8/4/2/1). *late LB*: weighted late days if every first owed visit were\n"
        "made on its first possible day (a lower bound for any planner). *travel min* counts every\n"
        "officer's minutes, pulled-forward visits included (greedy never pulls forward).\n"
        "*spread*: visits of the busiest officer minus the least busy. *load CV*: coefficient of\n"
        "variation of each officer's visits per available day (officers with no day left out;\n"
        "lower is fairer).\n\n"
        "Reproduce: `.venv/bin/python bench/bench_plan.py --sizes all --write`.\n\n"
        f"{text}\n\n"
        f"Measured {now} at commit {commit} on {_machine()}.\n"
    )
    pattern = re.compile(r"^## Planning\n.*?(?=^## |\Z)", re.S | re.M)
    new = (
        pattern.sub(section + "\n", old) if pattern.search(old) else old.rstrip() + "\n\n" + section
    )
    path.write_text(new, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="team,force", help="comma list of team,force,large or 'all'")
    ap.add_argument("--no-cut", action="store_true", help="skip the 70%% officer-days variants")
    ap.add_argument("--time-limit", type=float, default=None, help="override every size's limit")
    ap.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = ap.parse_args()
    names = list(SIZES) if args.sizes == "all" else [s.strip() for s in args.sizes.split(",")]
    ctx = mp.get_context("spawn")
    results = []
    for name in names:
        for cut in (False,) if args.no_cut else (False, True):
            q = ctx.Queue()
            p = ctx.Process(target=run_instance, args=(name, cut, args.time_limit, q))
            p.start()
            r = q.get()
            p.join()
            results.append(r)
            print(table([r]).split("\n\n")[0], flush=True)
    text = table(results)
    print()
    print(text)
    if args.write:
        write_section(text)
        print("docs/BENCHMARKS.md updated")


if __name__ == "__main__":
    main()
