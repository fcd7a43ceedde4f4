"""Counted work and the wall-clock safety net: same roster at any load, and said when the net fires."""

from __future__ import annotations

import multiprocessing as mp
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

import rso_scheduler.solver.optimise as optimise_module
import rso_scheduler.solver.work as work_module
from rso_scheduler.cli import main
from rso_scheduler.ingest import load_dataset
from rso_scheduler.models import Dataset
from rso_scheduler.outputs.files import staged_output
from rso_scheduler.outputs.roster_files import write_plan
from rso_scheduler.roster import PlanResult
from rso_scheduler.solver.assign import AssignResult
from rso_scheduler.solver.work import WorkBudget
from tests.solver_helpers import JAN, dataset, officer, person, run


def _team() -> Dataset:
    people = [person(f"P{i}", risk="high", lat=51.44 + i * 0.004) for i in range(8)]
    return dataset(people, [officer("A"), officer("B"), officer("C"), officer("D")])


def _far_future() -> float:
    return time.monotonic() + 1e9


def test_budget_stops_at_counted_limit() -> None:
    """The counted limit ends the work, not the clock."""
    w = WorkBudget(limit=10, safety_deadline=time.monotonic() + 3600)
    w.spend(9)
    assert not w.exhausted()
    w.spend(1)
    assert w.exhausted() and w.work_done and not w.clock_fired


def test_budget_safety_net_is_remembered() -> None:
    """A passed safety deadline stops the work and is recorded as the clock firing."""
    w = WorkBudget(limit=10**9, safety_deadline=time.monotonic() - 1.0)
    assert w.exhausted() and w.clock_fired and not w.work_done


def test_quiet_machine_run_reports_no_net() -> None:
    """A normal run: local search ends by convergence or counted work, no notice."""
    res = run(_team())
    assert res.stats["wall_clock_net_fired"] is False
    assert res.stats["notices"] == []
    assert res.stats["improve_stopped_by"] in ("converged", "work limit", "pass limit")
    assert res.stats["improve_evaluations"] > 0


def test_clock_net_firing_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the wall clock stops the search, the stats and the notices say so and what to do."""
    monkeypatch.setattr(work_module, "time", SimpleNamespace(monotonic=_far_future))
    said: list[str] = []
    res = run(_team(), progress=said.append)
    assert res.stats["wall_clock_net_fired"] is True
    assert res.stats["improve_stopped_by"] == "wall clock"
    assert any("local search was stopped by the wall clock" in n for n in res.stats["notices"])
    assert all("--time-limit" in n for n in res.stats["notices"])
    assert any(line.startswith("note: ") for line in said)


def test_greedy_start_fallback_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """CP-SAT finding nothing (UNKNOWN): the greedy start is used, and the run says so."""

    def unknown(*_a, **_k):  # type: ignore[no-untyped-def]
        return AssignResult({}, "UNKNOWN", float("nan"), float("nan"), 1.0, 0.1)

    monkeypatch.setattr(optimise_module, "solve_assignment", unknown)
    res = run(_team())
    assert res.stats["status"] == "UNKNOWN (greedy start used)"
    assert any("greedy start was used" in n for n in res.stats["notices"])
    assert len(res.visits) == 8  # the greedy start and repair still plan everyone


def test_quiet_cli_still_prints_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`rso plan --quiet` prints the safety-net notes (they are not progress)."""
    monkeypatch.setattr(work_module, "time", SimpleNamespace(monotonic=_far_future))
    data = tmp_path / "data"
    data.mkdir()
    rows = [f"P{i},high,{51.44 + i * 0.004:.3f},-0.98" for i in range(6)]
    (data / "offenders.csv").write_text("offender_id,risk_level,lat,lon\n" + "\n".join(rows))
    (data / "officers.csv").write_text(
        "officer_id,base_lat,base_lon\nA,51.456,-0.971\nB,51.456,-0.971"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["plan", str(data), "--month", "2027-01", "--out", str(out), "--no-maps", "--quiet",
         "--time-limit", "5"],
    )  # fmt: skip
    assert "note: the local search was stopped by the wall clock" in result.output
    assert "wall_clock_net_fired" in (out / "summary.json").read_text()


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def _roster_bytes(ds: Dataset, res: PlanResult, out: Path) -> bytes:
    with staged_output(out) as stage:
        write_plan(stage, ds, res, {"solver": "optimised"})
    return (out / "roster.csv").read_bytes() + (out / "unscheduled.csv").read_bytes()


@pytest.mark.slow
def test_same_roster_with_both_cores_busy(tmp_path: Path) -> None:
    """Two plans of a generated team, the second with both cores busy: byte-identical rosters."""
    from rso_scheduler.synth import generate, write_dataset

    write_dataset(tmp_path / "synth", generate(300, 8, 1, JAN[0]))
    ds = load_dataset(tmp_path / "synth", today=date(2026, 12, 31))
    first = run(ds, time_limit_s=30.0, seed=3)
    ctx = mp.get_context("spawn")
    busy = [ctx.Process(target=_spin, args=(240.0,), daemon=True) for _ in range(2)]
    for p in busy:
        p.start()
    try:
        second = run(ds, time_limit_s=30.0, seed=3)
    finally:
        for p in busy:
            p.terminate()
            p.join()
    assert not first.stats["wall_clock_net_fired"] and not second.stats["wall_clock_net_fired"]
    assert _roster_bytes(ds, first, tmp_path / "a") == _roster_bytes(ds, second, tmp_path / "b")
