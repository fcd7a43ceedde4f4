"""The plan-folder pipeline (rso_scheduler/pipeline.py): one call from a data folder to an
issued, checked and recorded plan folder, its figures owned by the Result."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from rso_scheduler.commands.common import Progress
from rso_scheduler.pipeline import PlanRequest, plan_folder
from rso_scheduler.record import Store, plans, record_path


def test_plan_folder_writes_checks_and_records_and_owns_the_figures(
    tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Result's figures are summary.json's; the roster passed its check; plan 1 recorded."""
    monkeypatch.setenv("RSO_RECORD", str(tmp_path / "record.sqlite"))
    out = tmp_path / "plan"
    request = PlanRequest(
        data_dir=tiny_dir,
        out_dir=out,
        plan_start=date(2027, 1, 1),
        plan_end=date(2027, 1, 31),
        today=date(2026, 12, 31),
        time_limit_s=5.0,
        seed=0,
        solver="greedy",
        maps=False,
    )
    result = plan_folder(request, Progress(False), quiet=True)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert result.ok and result.out_dir == out
    assert (result.visits_planned, result.late, result.unscheduled) == (
        summary["visits_planned"],
        summary["late"],
        summary["unscheduled"],
    )
    assert result.visits_planned > 0
    for name in ("roster.csv", "breaks.csv", "roster.xlsx", "handouts"):
        assert (out / name).exists()
    with Store.open(record_path(tiny_dir)) as store:
        (info,) = plans(store)
    assert Path(info.out_dir) == out.resolve()
