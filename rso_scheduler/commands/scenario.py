"""`rso scenario run` and `rso scenario capacity`: what-if capacity scenarios."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

import click

from rso_scheduler.commands.common import (
    Progress,
    UserError,
    finite_seconds,
    handle_errors,
    today_option,
)
from rso_scheduler.models import Dataset
from rso_scheduler.outputs.files import check_out_dir, staged_output
from rso_scheduler.scenario_report import (
    terminal_capacity,
    terminal_comparison,
    write_capacity,
    write_comparison,
)
from rso_scheduler.scenarios import (
    RunOptions,
    Scenario,
    capacity_search,
    check_dask_address,
    load_scenario,
    load_scenario_data,
    prepare,
    run_many,
)

# Officer counts a capacity search may try: beyond a national force, a typo (--min 60000 would
# build sixty thousand officers before planning anything).
MAX_OFFICERS_TRIED = 20_000

GROUP_HELP = """What-if scenarios: losing officers, a growing caseload, a policy change.

\b
Examples:
  rso scenario run scenarios/*.toml --out out/scenarios
  rso scenario capacity scenarios/baseline.toml --out out/capacity

\b
A scenario file (TOML) names a data folder and what changes in it:
  name = "Lose a fifth of the officers"
  data = "../data/sample"      # relative to the scenario file
  start = "2027-01-01"         # default: first day of next month
  months = 3                   # planned month by month
  seed = 7
  [officers]
  remove_share = 0.2           # or remove = ["TV012"]; add = 3; extra_absence_share = 0.1
  [caseload]
  growth = 0.05
  [policy]                     # any policy.toml key
  risk.medium.interval_days = 120
"""

RUN_HELP = """Run scenarios month by month and compare their compliance.

Each month's planned visits count as made before the next month is planned, so missed
visits stay owed and backlogs carry over. The first scenario is the baseline: every figure of
the others is also shown as its difference from it. Writes DIR/comparison.csv (one row per
scenario), DIR/comparison_vs_baseline.csv (the same, as differences from the first),
DIR/months.csv (per month, with risk-level columns) and DIR/comparison.html (tables with
the differences, month by month, and charts of late and missed visits where there are any;
no scripts, nothing external; prints on A4 landscape), and prints the comparison with its
months.

\b
Examples:
  rso scenario run scenarios/*.toml --out out/scenarios
  rso scenario run scenarios/baseline.toml scenarios/lose_fifth.toml --out out/s --planner greedy
  rso scenario run scenarios/*.toml --out out/s --jobs 2 --time-limit 10
  rso scenario run scenarios/*.toml --out out/s --dask local
"""

CAPACITY_HELP = """Find the fewest officers that keep a scenario on time.

Officers are scaled in every area in proportion (removing officers, or copying an area's
working patterns from its station) and the scenario's months are planned for each count,
with the same seeds every time (the same count always gives the same answer).
Enough means, over the months: no visit missed that could have been made at all in its
month, and avoidable late days within the tolerance. A visit's avoidable lateness is the
days it was made after the first day it was possible (the person available and enough
officers with a fitting shift, area and skills on duty), for visits falling due after the
scenario's first day; visits already overdue at the start only have to be made. The
tolerance (default: 2% of the visits due at the scenario's own staffing, at least 1 day;
--allow-late-days to set it) is printed: the first possible day cannot see how crews pair,
so a few late days remain at any staffing. A count stops being planned once it can no
longer pass. Exponential then binary search over the officer count; the counts just below
the answer are checked too, and a count above the answer that fails is reported as the
planner's doing, not the staffing's. Prints each month's deciding figures, and what the
visits still avoidably late need (an evening window, a skill, an area) when more officers
stop helping. Writes DIR/capacity.csv, DIR/capacity_months.csv and DIR/capacity.html.

\b
Examples:
  rso scenario capacity scenarios/baseline.toml --out out/capacity
  rso scenario capacity scenarios/caseload_up_10.toml --min 20 --max 80 --planner greedy
  rso scenario capacity scenarios/lose_fifth.toml --allow-late-days 30
"""


@click.group("scenario", help=GROUP_HELP)
def command() -> None:
    pass


def _planner_options(fn: click.decorators.FC) -> click.decorators.FC:
    fn = click.option(
        "--planner",
        type=click.Choice(["optimised", "greedy"]),
        default="optimised",
        show_default=True,
        help="The optimiser, or the fast greedy baseline.",
    )(fn)
    fn = click.option(
        "--time-limit",
        "time_limit_s",
        type=click.FloatRange(min=0.1),
        callback=finite_seconds,
        default=20.0,
        show_default=True,
        help="Planner time limit per month, in seconds.",
    )(fn)
    fn = today_option(
        "No completed visit in a scenario's data may be after it; a scenario without a start "
        "begins on the first day of the month after it."
    )(fn)
    fn = click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")(fn)
    return fn


def _jobs(asked: int | None, say: Progress) -> int:
    """Processes to run side by side: as asked, but never more than the machine has cores.

    Each job is a whole planner (often using several threads); hundreds of them at once
    would only thrash the machine, or on a shared server starve everyone else.
    """
    cores = os.cpu_count() or 1
    if asked is not None and asked > cores:
        say(f"--jobs {asked} is more than this machine's {cores} cores; running {cores} at once")
        return cores
    return asked or cores


def _load_all(
    files: tuple[Path, ...], today: date, say: Progress
) -> list[tuple[Scenario, Dataset]]:
    scenarios = [load_scenario(f) for f in files]
    cache: dict[Path, Dataset] = {}
    out = []
    for s in scenarios:
        key = s.data.resolve()
        if key not in cache:
            say(f"reading {s.data}")
            cache[key] = load_scenario_data(s, today)
            for w in cache[key].warnings:  # not progress: shown even with --quiet
                click.echo(f"warning: {s.data}: {w}", err=True)
        out.append((s, cache[key]))
    return out


@command.command("run", help=RUN_HELP)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for comparison.csv, comparison_vs_baseline.csv, months.csv and comparison.html.",
)
@_planner_options
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Scenarios run side by side (default: the machine's cores).",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS",
    help="Run on a Dask cluster (scheduler address), or 'local' for a local cluster.",
)
@handle_errors
def run_cmd(
    files: tuple[Path, ...],
    out_dir: Path,
    planner: Literal["optimised", "greedy"],
    time_limit_s: float,
    today: date,
    quiet: bool,
    jobs: int | None,
    dask_address: str | None,
) -> None:

    check_out_dir(out_dir)  # before any planning, not after it
    if dask_address is not None:
        check_dask_address(dask_address)
    say = Progress(not quiet)
    options = RunOptions(planner=planner, time_limit_s=time_limit_s, today=today)
    loaded = _load_all(files, options.today, say)
    names = [s.name for s, _ in loaded]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UserError(f"two scenario files share the name '{dupes[0]}'; names must be unique", 2)
    prepared = []
    for s, ds in loaded:
        tds, start = prepare(s, ds, options)
        prepared.append((s, tds, start))
    n_jobs = _jobs(jobs, say)
    say(f"{len(prepared)} scenario(s), planner {planner}, {time_limit_s:g} s per month")
    results = run_many(prepared, options, n_jobs=n_jobs, dask_address=dask_address, progress=say)
    with staged_output(out_dir) as stage:
        write_comparison(stage, results)
    click.echo(terminal_comparison(results))
    say(f"wrote {out_dir}/comparison.csv, comparison_vs_baseline.csv, months.csv, comparison.html")


@command.command("capacity", help=CAPACITY_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    default=Path("out/capacity"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for capacity.csv, capacity_months.csv and capacity.html.",
)
@click.option(
    "--min",
    "min_officers",
    type=click.IntRange(min=1, max=MAX_OFFICERS_TRIED),
    default=1,
    show_default=True,
    help="Fewest officers tried.",
)
@click.option(
    "--max",
    "max_officers",
    type=click.IntRange(min=1, max=MAX_OFFICERS_TRIED),
    default=None,
    help="Most officers tried (default: four times the scenario's, at least +10).",
)
@click.option(
    "--allow-late-days",
    type=click.IntRange(min=0),
    default=None,
    help="Avoidable late days (over all months) still counted as enough "
    "(default: 2% of the visits due at the scenario's staffing, at least 1).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Officer counts tried side by side (default: the machine's cores).",
)
@_planner_options
@handle_errors
def capacity_cmd(
    file: Path,
    out_dir: Path,
    min_officers: int,
    max_officers: int | None,
    allow_late_days: int | None,
    jobs: int | None,
    planner: Literal["optimised", "greedy"],
    time_limit_s: float,
    today: date,
    quiet: bool,
) -> None:

    check_out_dir(out_dir)  # before the search, not after it
    say = Progress(not quiet)
    options = RunOptions(planner=planner, time_limit_s=time_limit_s, today=today, workers=2)
    [(scenario, dataset)] = _load_all((file,), options.today, say)
    say(f"capacity search for '{scenario.name}', planner {planner}")
    result = capacity_search(
        scenario,
        dataset,
        options,
        min_officers=min_officers,
        max_officers=max_officers,
        progress=say,
        allowed_late_days=allow_late_days,
        jobs=_jobs(jobs, say),
    )
    with staged_output(out_dir) as stage:
        write_capacity(stage, result)
    click.echo(terminal_capacity(result))
    say(
        f"wrote {out_dir}/capacity.csv, capacity_months.csv, capacity.html "
        f"({result.seconds:.0f} s, {len(result.points)} officer counts planned)"
    )
