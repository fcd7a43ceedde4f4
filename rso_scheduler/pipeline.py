"""One pipeline from a data folder to an issued plan folder (as PyVRP's `solve()` returns a
`Result`): load -> travel -> plan -> write (plan files, handouts, roster.xlsx, maps) -> check
-> record.

- `plan_folder` runs the whole of it for a period (`rso plan`);
- `issue_folder` is its second half, shared by every command that issues a plan folder
  (`rso plan`, `rso replan`, and so the workbench's re-plan, which runs `rso replan`): the
  folder is locked from staging through the check (the check reads what this run wrote), the
  summary is said, the plan is recorded after the check, and the check's verdict ends it.

Both return a `Result` that owns the figures; the caller does not re-read summary.json.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rso_scheduler.commands.common import Progress
from rso_scheduler.models import Dataset


@dataclass(frozen=True)
class Result:
    """A plan folder written, checked and recorded."""

    out_dir: Path
    summary: dict[str, Any]  # as written to summary.json
    violations: list[Any] = field(default_factory=list)  # the independent check's findings

    @property
    def ok(self) -> bool:
        """The written roster passed its own check."""
        return not self.violations

    @property
    def visits_planned(self) -> int:
        return int(self.summary.get("visits_planned", 0))

    @property
    def late(self) -> int:
        return int(self.summary.get("late", 0))

    @property
    def unscheduled(self) -> int:
        return int(self.summary.get("unscheduled", 0))

    @property
    def assumed_done(self) -> int:
        return int(self.summary.get("assumed_done", 0))


def issue_folder(
    out_dir: Path,
    dataset: Dataset,
    result: Any,
    *,
    data_dir: Path,
    run_info: dict[str, Any],
    summary_extra: dict[str, Any],
    travel: Any,
    work_bank_holidays: bool,
    calendar: Any,
    maps: bool,
    progress: Callable[[str], None],
    replaces: Sequence[str] | None = None,
    expect: dict[str, str] | None = None,
    extra: Callable[[Path], None] | None = None,
    say_more: Callable[[dict[str, Any]], None] | None = None,
    what: str = "roster",
    map_progress: bool = True,
) -> Result:
    """Write `result` into `out_dir` (staged, atomic), check it, say it, record it.

    `extra(stage)` writes a command's own files into the stage (a re-plan's changes) before
    the maps; `say_more(summary)` adds the command's own lines after the summary. Exit 1 (`UserError`) when the check finds a violation, after recording."""
    from rso_scheduler.check import check_plan
    from rso_scheduler.commands.common import say
    from rso_scheduler.commands.cycle_steps import record_issued_plan
    from rso_scheduler.commands.plan import PLAN_FILES, _summary_text, _write_maps, end_with_check
    from rso_scheduler.outputs import lock
    from rso_scheduler.outputs.files import staged_output, write_private
    from rso_scheduler.outputs.handouts import write_handouts
    from rso_scheduler.outputs.roster_files import read_roster, write_plan
    from rso_scheduler.outputs.roster_xlsx import roster_xlsx_bytes

    # The folder stays locked until its roster is checked: the check reads what this run wrote.
    with lock.exclusive(out_dir):
        # Maps left from an earlier plan would show visits this roster does not hold.
        with staged_output(out_dir, replaces=list(replaces or PLAN_FILES), expect=expect) as stage:
            summary = write_plan(stage, dataset, result, run_info, summary_extra, travel=travel)
            write_handouts(stage, dataset, result, calendar)
            write_private(stage / "roster.xlsx", roster_xlsx_bytes(dataset, result))
            if extra is not None:
                extra(stage)
            if maps:
                if map_progress:
                    progress("drawing maps")
                _write_maps(stage, dataset, travel)

        progress("checking the written roster")
        violations = check_plan(
            dataset, read_roster(out_dir), work_bank_holidays=work_bank_holidays, travel=travel
        )
    say(_summary_text(summary, out_dir, dataset))
    if say_more is not None:
        say_more(summary)
    record_issued_plan(data_dir, out_dir, len(violations))
    done = Result(Path(out_dir), summary, list(violations))
    end_with_check(violations, what)
    return done


@dataclass(frozen=True)
class PlanRequest:
    """What `rso plan` is asked: the period, the options, where to write."""

    data_dir: Path
    out_dir: Path
    plan_start: date
    plan_end: date
    today: date
    time_limit_s: float
    seed: int
    solver: str = "optimised"
    work_bank_holidays: bool = False
    pull_forward: bool = True
    after_dir: Path | None = None
    maps: bool = True
    options_given: dict[str, Any] = field(default_factory=dict)  # run.json's "options"
    command_line: str | None = None
    started: str = ""


def plan_folder(req: PlanRequest, progress: Progress, quiet: bool = False) -> Result:
    """Load the data folder, its travel, plan the period, and issue the plan folder."""
    import click

    from rso_scheduler.commands.common import run_travel, say_notices
    from rso_scheduler.commands.cycle_steps import on_top_of
    from rso_scheduler.cycle import listed
    from rso_scheduler.ingest import load_dataset
    from rso_scheduler.outputs.handouts import CalendarPlan, plan_identity
    from rso_scheduler.solver import PlanOptions, planner_for

    plan_fn = planner_for(req.solver)  # type: ignore[arg-type]
    progress(f"loading {req.data_dir}")
    dataset = load_dataset(req.data_dir, today=req.today)
    for w in dataset.warnings:  # not progress: shown even with --quiet
        click.echo(f"warning: {w}", err=True)
    dataset, assumed = on_top_of(dataset, req.after_dir, req.plan_start)
    progress(f"{len(dataset.offenders)} people, {len(dataset.officers)} officers")
    travel = run_travel(dataset, req.data_dir, progress)

    progress(f"planning {req.plan_start} to {req.plan_end} with the {req.solver} solver")
    options = PlanOptions(
        time_limit_s=req.time_limit_s,
        seed=req.seed,
        work_bank_holidays=req.work_bank_holidays,
        pull_forward=req.pull_forward,
        progress=progress,
        travel=travel,
    )
    result = plan_fn(dataset, req.plan_start, req.plan_end, options)
    say_notices(result.stats, quiet)

    progress(f"writing {req.out_dir}")
    plan_id = plan_identity(
        req.plan_start, req.plan_end, dataset.file_hashes(), f"{req.solver}|{req.seed}"
    )
    run_info = {
        "command_line": req.command_line,
        "options": req.options_given,
        "data_dir": str(Path(req.data_dir).resolve()),
        "today": req.today.isoformat(),  # the day the data was taken as of (`--today`)
        "solver": req.solver,
        "started": req.started,
        "plan_id": plan_id,
        "after": str(Path(req.after_dir).resolve()) if req.after_dir else None,
        "assumed_done": listed(assumed),
    }
    return issue_folder(
        req.out_dir,
        dataset,
        result,
        data_dir=req.data_dir,
        run_info=run_info,
        summary_extra={"assumed_done": len(assumed)},
        travel=travel,
        work_bank_holidays=req.work_bank_holidays,
        calendar=CalendarPlan(plan_id),
        maps=req.maps,
        progress=progress,
    )
