"""The Dask backend of `run_many` gives the same results as running locally."""

from __future__ import annotations

from datetime import date

import pytest

from rso_scheduler.errors import ScenarioError
from rso_scheduler.scenario_report import comparison_rows, month_rows
from rso_scheduler.scenarios import RunOptions, prepare, run_many
from tests.test_scenarios import make_dataset, scenario

GREEDY = RunOptions(planner="greedy", time_limit_s=5, today=date(2026, 12, 1))


def _jobs() -> list:
    team = make_dataset({"Reading": 4, "Slough": 3}, 300)
    out = []
    for s in (
        scenario(name="base", months=2),
        scenario(name="lose half", months=2, officers={"remove_share": 0.5}),
        scenario(name="grow", months=2, caseload={"growth": 0.2}, seed=3),
    ):
        ds, start = prepare(s, team, GREEDY)
        out.append((s, ds, start))
    return out


def test_dask_local_cluster_matches_local_run() -> None:
    """A LocalCluster (threads, one worker) returns the same tables as the in-process run."""
    distributed = pytest.importorskip("dask.distributed")
    jobs = _jobs()
    local = run_many(jobs, GREEDY, n_jobs=1)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote = run_many(jobs, GREEDY, dask_address=cluster.scheduler_address)
    assert comparison_rows(remote) == comparison_rows(local)
    assert month_rows(remote) == month_rows(local)
    assert [r.name for r in remote] == ["base", "lose half", "grow"]


def test_process_pool_matches_local_run() -> None:
    """Two worker processes return the same tables, in the order of the jobs."""
    jobs = _jobs()
    local = run_many(jobs, GREEDY, n_jobs=1)
    pooled = run_many(jobs, GREEDY, n_jobs=2)
    assert comparison_rows(pooled) == comparison_rows(local)
    assert month_rows(pooled) == month_rows(local)


@pytest.mark.slow
def test_unreachable_dask_scheduler_is_a_clear_error() -> None:
    """A scheduler address nobody listens on gives a ScenarioError, not a traceback."""
    pytest.importorskip("dask.distributed")
    with pytest.raises(ScenarioError, match="Dask scheduler"):
        run_many(
            _jobs()[:1],
            RunOptions(planner="greedy", time_limit_s=1),
            dask_address="tcp://127.0.0.1:9",
        )
